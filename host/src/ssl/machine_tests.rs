//! The connection's Erlang semantics in memory: no socket, no sandbox.
//! The expectations are OTP 25's, as `tests/erlang_scenarios.rs` observes
//! them next to a real Erlang peer.

use tokio::sync::oneshot;

use super::*;
use crate::ssl::options::Mode;

/// The owner's mailbox, each message as a short line.
#[derive(Default)]
struct Mailbox(Vec<String>);

impl Owner for Mailbox {
    fn tell(&mut self, t: Tell) {
        self.0.push(match t {
            Tell::Data(d) => format!("ssl {}", show(&d)),
            Tell::Closed => "ssl_closed".into(),
            Tell::Error(r) => format!("ssl_error {r:?}"),
            Tell::Passive => "ssl_passive".into(),
        });
    }
}

fn show(d: &Data) -> String {
    match d {
        Data::List(b) | Data::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        other => format!("{other:?}"),
    }
}

fn established(opts: &[SslOption]) -> Machine<Mailbox> {
    let mut o = SocketOpts::default();
    o.apply(&[SslOption::Mode(Mode::Binary)]).unwrap();
    o.apply(opts).unwrap();
    let mut m = Machine::new(o, Mailbox::default());
    m.established();
    m
}

/// One TCP read's plaintext arrives.
fn arrive(m: &mut Machine<Mailbox>, bytes: &[u8]) {
    m.received(bytes.len() + 22);
    m.plaintext(&mut bytes.to_vec(), false, &mut Vec::new());
    m.deliver();
}

fn mail(m: &mut Machine<Mailbox>) -> Vec<String> {
    std::mem::take(&mut m.owner.0)
}

/// A `recv` and its answer, if it has one already.
fn recv(m: &mut Machine<Mailbox>, len: usize) -> Option<Result<String, Reason>> {
    let (tx, mut rx) = oneshot::channel();
    m.recv(len, None, tx);
    rx.try_recv().ok().map(|r| r.map(|d| show(&d)))
}

#[test]
fn raw_data_keeps_the_batches_it_arrived_in() {
    // Scenario `boundaries`: 1, 2, 3 by recv, then 4, 5 active.
    let mut m = established(&[SslOption::Active(Active::False)]);
    for b in ["1", "2", "3", "4", "5"] {
        arrive(&mut m, b.as_bytes());
    }
    assert!(mail(&mut m).is_empty(), "a passive socket tells nothing");
    for want in ["1", "2", "3"] {
        assert_eq!(recv(&mut m, 0), Some(Ok(want.into())));
    }
    m.setopts(&[SslOption::Active(Active::True)]).unwrap();
    m.deliver();
    assert_eq!(mail(&mut m), ["ssl 4", "ssl 5"]);
}

#[test]
fn a_passive_socket_reads_ahead_only_to_its_buffer() {
    // `buffer` is at least 1024 bytes.
    let mut m = established(&[SslOption::Active(Active::False), SslOption::Buffer(1024)]);
    assert!(m.wants_read());
    arrive(&mut m, &[b'a'; 1000]);
    assert!(m.wants_read());
    arrive(&mut m, &[b'b'; 24]);
    assert!(
        !m.wants_read(),
        "a full buffer stops reading (backpressure)"
    );
    assert_eq!(recv(&mut m, 4), Some(Ok("aaaa".into())));
    assert!(m.wants_read());
    // A waiting recv reads on whatever the buffer holds.
    arrive(&mut m, &[b'c'; 10]);
    assert_eq!(recv(&mut m, 2000), None);
    assert!(m.wants_read());
}

#[test]
fn active_n_is_a_running_count_and_ends_passive() {
    // Scenario `active_n`.
    let mut m = established(&[SslOption::Active(Active::False)]);
    assert!(m.setopts(&[SslOption::Active(Active::N(30000))]).is_ok());
    let refused = m.setopts(&[SslOption::Active(Active::N(30000))]);
    assert!(
        matches!(&refused, Err(Reason::Options { option, value, .. })
            if option == "socket_options" && value == "{active,30000}"),
        "{refused:?}"
    );
    assert_eq!(m.opts().active, Active::N(30000), "the old count is kept");
    assert!(m.setopts(&[SslOption::Active(Active::N(40000))]).is_err());
    assert!(m.setopts(&[SslOption::Active(Active::N(-40000))]).is_err());
    m.setopts(&[SslOption::Active(Active::False)]).unwrap();
    m.setopts(&[SslOption::Active(Active::N(2))]).unwrap();
    assert_eq!(m.opts().active, Active::N(2));
    assert!(mail(&mut m).is_empty());
    m.setopts(&[SslOption::Active(Active::N(-1))]).unwrap();
    assert_eq!(m.opts().active, Active::False);
    assert_eq!(mail(&mut m), ["ssl_passive"]);
    // Counting down: two messages, then passive; the third waits.
    m.setopts(&[SslOption::Active(Active::N(2))]).unwrap();
    for b in ["a", "b", "c"] {
        arrive(&mut m, b.as_bytes());
    }
    assert_eq!(mail(&mut m), ["ssl a", "ssl b", "ssl_passive"]);
    assert_eq!(recv(&mut m, 0), Some(Ok("c".into())));
}

#[test]
fn active_once_delivers_one_packet_per_turn() {
    let mut m = established(&[
        SslOption::Active(Active::Once),
        SslOption::Packet(Packet::Len(2)),
    ]);
    // A packet split over two reads, and the next one's start.
    arrive(&mut m, &[0, 3, b'a']);
    assert!(mail(&mut m).is_empty(), "half a packet is not delivered");
    arrive(&mut m, &[b'b', b'c', 0, 2, b'd', b'e']);
    assert_eq!(mail(&mut m), ["ssl abc"]);
    assert_eq!(m.opts().active, Active::False);
    m.setopts(&[SslOption::Active(Active::Once)]).unwrap();
    m.deliver();
    assert_eq!(mail(&mut m), ["ssl de"]);
}

#[test]
fn a_packet_over_packet_size_fails_the_connection() {
    let mut m = established(&[SslOption::Packet(Packet::Len(2)), SslOption::PacketSize(4)]);
    arrive(&mut m, &[0, 9, 1, 2, 3]);
    let told = mail(&mut m);
    assert_eq!(told.len(), 1);
    assert!(told[0].starts_with("ssl_error InvalidPacket"), "{told:?}");
    assert!(matches!(
        m.phase(),
        Phase::Closed(Some(Reason::InvalidPacket(_)))
    ));
    assert!(!m.wants_read());
}

#[test]
fn the_peers_close_is_told_after_its_data_then_the_socket_is_over() {
    // Scenario `after_closed`.
    let mut m = established(&[]);
    m.plaintext(&mut b"x".to_vec(), true, &mut b"plain".to_vec());
    assert!(m.should_answer_close(), "close_notify is answered");
    m.closed_outgoing();
    m.deliver();
    assert_eq!(mail(&mut m), ["ssl x", "ssl_closed"]);
    assert_eq!(*m.phase(), Phase::Closed(None));
    assert_eq!(m.take_after_close(), b"plain");
}

#[test]
fn exit_on_close_false_keeps_the_writing_half() {
    let mut m = established(&[SslOption::ExitOnClose(false)]);
    m.peer_ended();
    assert!(!m.should_answer_close(), "the owner may still write");
    m.deliver();
    assert_eq!(mail(&mut m), ["ssl_closed"]);
    assert_eq!(*m.phase(), Phase::Open(Incoming::Told, Outgoing::Open));
    assert!(m.frame(b"more".to_vec()).is_ok());
    m.deliver();
    assert!(mail(&mut m).is_empty(), "the close is told once");
}

#[test]
fn a_passive_socket_hears_the_close_after_its_data() {
    // Scenario `passive_closed`: data, then closed, then the socket is over.
    let mut m = established(&[SslOption::Active(Active::False)]);
    arrive(&mut m, b"bye");
    m.peer_ended();
    assert_eq!(recv(&mut m, 0), Some(Ok("bye".into())));
    assert_eq!(recv(&mut m, 0), Some(Err(Reason::Closed)));
    assert_eq!(*m.phase(), Phase::Closed(None));
}

#[test]
fn a_short_tail_is_lost_when_the_peer_closes_under_a_length_recv() {
    let mut m = established(&[SslOption::Active(Active::False)]);
    arrive(&mut m, b"abc");
    let (tx, mut rx) = oneshot::channel();
    m.recv(5, None, tx);
    assert!(rx.try_recv().is_err(), "3 of 5 bytes: it waits");
    m.peer_ended();
    m.deliver();
    assert!(matches!(rx.try_recv(), Ok(Err(Reason::Closed))));
    assert_eq!(
        recv(&mut m, 0),
        Some(Err(Reason::Closed)),
        "and closed from then on"
    );
}

#[test]
fn an_error_read_ahead_is_the_next_recvs_answer_once() {
    let mut m = established(&[SslOption::Active(Active::False)]);
    let alert = Reason::TlsAlert {
        description: "bad_record_mac".into(),
        text: "x".into(),
    };
    m.fail(alert.clone());
    assert!(
        mail(&mut m).is_empty(),
        "a passive owner is told by its recv"
    );
    assert_eq!(*m.phase(), Phase::Failed(alert.clone()));
    assert_eq!(m.can_send(), Err(Reason::Closed));
    assert_eq!(recv(&mut m, 0), Some(Err(alert.clone())));
    assert_eq!(*m.phase(), Phase::Closed(Some(alert)));
}

#[test]
fn a_read_ahead_error_is_told_when_the_socket_turns_active() {
    let mut m = established(&[SslOption::Active(Active::False)]);
    m.fail(Reason::Closed);
    m.setopts(&[SslOption::Active(Active::Once)]).unwrap();
    m.deliver();
    assert_eq!(mail(&mut m), ["ssl_error Closed"]);
    assert_eq!(*m.phase(), Phase::Closed(Some(Reason::Closed)));
}

#[test]
fn a_trap_is_told_even_to_a_passive_owner() {
    let mut m = established(&[SslOption::Active(Active::False)]);
    let (tx, mut rx) = oneshot::channel();
    m.recv(0, None, tx);
    m.fail(Reason::EngineTrap("deadline".into()));
    assert!(matches!(rx.try_recv(), Ok(Err(Reason::EngineTrap(_)))));
    assert_eq!(mail(&mut m).len(), 1);
}

#[test]
fn recv_is_einval_on_an_active_socket_and_times_out() {
    let mut m = established(&[]);
    assert_eq!(recv(&mut m, 0), Some(Err(Reason::Einval)));
    m.setopts(&[SslOption::Active(Active::False)]).unwrap();
    let (tx, mut rx) = oneshot::channel();
    let at = Instant::now();
    m.recv(0, Some(at), tx);
    assert_eq!(m.recv_deadline(), Some(at));
    assert_eq!(
        recv(&mut m, 0),
        Some(Err(Reason::Einval)),
        "one recv at a time"
    );
    m.recv_timed_out();
    assert!(matches!(rx.try_recv(), Ok(Err(Reason::Timeout))));
    assert_eq!(m.recv_deadline(), None);
}

#[test]
fn sends_are_refused_before_the_handshake_and_after_our_close() {
    let mut m = Machine::new(SocketOpts::default(), Mailbox::default());
    assert_eq!(m.can_send(), Err(Reason::NotsupOnTransportAcceptSocket));
    assert!(!m.wants_read());
    m.established();
    assert!(m.frame(b"x".to_vec()).is_ok());
    m.closed_outgoing();
    assert!(matches!(m.frame(b"x".to_vec()), Err(Reason::Closed)));
}

#[test]
fn key_update_at_asks_for_new_keys_when_the_count_passes() {
    let mut m = established(&[SslOption::KeyUpdateAt(10)]);
    assert!(!m.frame(vec![0; 6]).unwrap().1);
    assert!(m.frame(vec![0; 6]).unwrap().1);
    m.keys_updated();
    assert!(!m.frame(vec![0; 6]).unwrap().1);
    let (framed, _) = established(&[SslOption::Packet(Packet::Len(1))])
        .frame(b"ab".to_vec())
        .unwrap();
    assert_eq!(framed, [2, b'a', b'b']);
}

#[test]
fn getstat_counts_reads_records_and_what_is_pending() {
    let mut m = established(&[SslOption::Active(Active::False)]);
    arrive(&mut m, b"abc");
    arrive(&mut m, b"d");
    m.queue([1; 100]);
    m.queue([2; 50]);
    m.wrote(120);
    let stats = m.getstat(&[
        Stat::RecvOct,
        Stat::RecvCnt,
        Stat::RecvMax,
        Stat::SendCnt,
        Stat::SendMax,
        Stat::SendOct,
        Stat::SendPend,
    ]);
    let values: Vec<u64> = stats.iter().map(|(_, v)| *v).collect();
    assert_eq!(values, [25 + 23, 2, 25, 2, 100, 120, 30]);
}

#[test]
fn end_answers_waiting_calls_closed() {
    let mut m = established(&[SslOption::Active(Active::False)]);
    let (tx, mut rx) = oneshot::channel();
    m.recv(0, None, tx);
    m.queue(b"record");
    let (stx, mut srx) = oneshot::channel();
    m.out.wait(None, stx);
    m.end();
    assert!(matches!(rx.try_recv(), Ok(Err(Reason::Closed))));
    assert!(matches!(srx.try_recv(), Ok(Err(Reason::Closed))));
    assert_eq!(*m.phase(), Phase::Closed(None));
}

#[test]
fn a_write_failing_after_ssl_closed_tells_nothing_more() {
    // Found by the machine fuzz target: the answer to the peer's
    // close_notify failing to go out (EPIPE) sent ssl_error after
    // ssl_closed.
    let mut m = established(&[]);
    m.peer_ended();
    m.deliver();
    assert_eq!(mail(&mut m), ["ssl_closed"]);
    m.fail(Reason::Closed);
    assert!(mail(&mut m).is_empty());
    assert!(matches!(m.phase(), Phase::Closed(_)));
}

#[test]
fn nothing_is_delivered_after_the_end_or_a_read_shutdown() {
    let mut m = established(&[SslOption::ExitOnClose(false)]);
    m.peer_ended();
    m.deliver();
    arrive(&mut m, b"late");
    assert_eq!(mail(&mut m), ["ssl_closed"]);
    let mut m = established(&[SslOption::Active(Active::False)]);
    m.shutdown_read();
    arrive(&mut m, b"late");
    assert_eq!(recv(&mut m, 0), Some(Err(Reason::Closed)));
}

#[test]
fn a_packet_of_no_bytes_is_invalid_not_delivered_for_ever() {
    let mut m = established(&[SslOption::Packet(Packet::Tpkt)]);
    arrive(&mut m, &[3, 0, 0, 0, 1]);
    let told = mail(&mut m);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].starts_with("ssl_error InvalidPacket"));
}
