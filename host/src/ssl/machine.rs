//! The connection as a state machine without I/O: what OTP's connection
//! process decides when plaintext, calls and timers arrive.
//!
//! Events come in as method calls (plaintext from the engine, the peer's
//! end, an API call, a deadline); what follows goes out as messages to an
//! [`Owner`], answers on the callers' reply channels, and bytes left in the
//! [`Outbox`] for whoever writes to the peer. The task in `socket.rs` owns
//! the TCP stream and the sandbox and drives this; tests drive it in memory.

use tokio::time::Instant;

use super::options::{self, Active, LogLevel, Packet, SocketOpts, SslOption};
use super::outbox::Outbox;
use super::packet::{self, Decoded, HttpPacket, Step};
use super::received::Received;
use super::request::Reply;
use super::{Data, Reason, Stat};

/// A message for the owner, as OTP's connection process sends it.
#[derive(Debug)]
pub(crate) enum Tell {
    /// `{ssl, S, Data}`
    Data(Data),
    /// `{ssl_closed, S}`
    Closed,
    /// `{ssl_error, S, Reason}`
    Error(Reason),
    /// `{ssl_passive, S}`
    Passive,
}

/// Where [`Tell`]s go: the owner process, or a test's list.
pub(crate) trait Owner {
    fn tell(&mut self, t: Tell);
}

/// The peer's side of an established connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Incoming {
    Open,
    /// close_notify or EOF from the peer, or `shutdown(read)`: the owner
    /// has not heard yet.
    Ended,
    /// Ended, and the owner (or a `recv`) was told.
    Told,
}

/// Our side of an established connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outgoing {
    Open,
    /// close_notify sent (or being sent).
    Closed,
}

/// Where the connection is: one enum, no flags beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// From transport_accept (or before connect's handshake): no TLS yet.
    Accepted,
    /// `{handshake, hello}`: the ClientHello is read, the server waits.
    Paused,
    /// Handshake done: data flows while both halves allow.
    Open(Incoming, Outgoing),
    /// A fatal error a passive owner has not heard of yet: its next `recv`
    /// (or a turn to active) hears it.
    Failed(Reason),
    /// Over, as OTP's connection process is once its owner heard
    /// `{ssl_closed, S}` or `{ssl_error, S, R}`, or a passive `recv` got
    /// `closed`: calls answer `closed` (the addresses and `getstat`,
    /// `einval`). The task stays only for `close`.
    Closed(Option<Reason>),
}

struct PendingRecv {
    len: usize,
    deadline: Option<Instant>,
    reply: Reply<Data>,
}

#[derive(Default)]
struct Counters {
    recv_oct: u64,
    recv_cnt: u64,
    recv_max: u64,
    send_oct: u64,
    send_cnt: u64,
    send_max: u64,
}

pub(crate) struct Machine<O> {
    pub(crate) owner: O,
    phase: Phase,
    opts: SocketOpts,
    /// Decrypted data not yet delivered.
    buf: Received,
    /// With `{packet, http}`: the next packet is a request/response line.
    http_line: bool,
    /// Plain bytes that followed the peer's close_notify.
    after_close: Vec<u8>,
    pending: Option<PendingRecv>,
    stats: Counters,
    /// Plaintext bytes sent since the last key update (`key_update_at`).
    since_update: u64,
    /// Records for the peer, written while the connection goes on reading.
    pub(crate) out: Outbox,
}

impl<O: Owner> Machine<O> {
    pub(crate) fn new(opts: SocketOpts, owner: O) -> Self {
        Machine {
            owner,
            phase: Phase::Accepted,
            opts,
            buf: Received::default(),
            http_line: true,
            after_close: Vec::new(),
            pending: None,
            stats: Counters::default(),
            since_update: 0,
            out: Outbox::default(),
        }
    }

    pub(crate) fn phase(&self) -> &Phase {
        &self.phase
    }

    pub(crate) fn opts(&self) -> &SocketOpts {
        &self.opts
    }

    /// Options replaced wholesale (a handshake with extra options).
    pub(crate) fn set_opts(&mut self, opts: SocketOpts) {
        self.opts = opts;
    }

    /// `{handshake, hello}` stopped at the ClientHello.
    pub(crate) fn paused(&mut self) {
        self.phase = Phase::Paused;
    }

    /// The handshake is done.
    pub(crate) fn established(&mut self) {
        self.phase = Phase::Open(Incoming::Open, Outgoing::Open);
    }

    /// Established, ended or not (a failure not yet told included): what
    /// `shutdown`, `close/2` and the connection's queries require.
    pub(crate) fn is_established(&self) -> bool {
        matches!(self.phase, Phase::Open(..) | Phase::Failed(_))
    }

    /// The fatal error, once there is one.
    pub(crate) fn error(&self) -> Option<&Reason> {
        match &self.phase {
            Phase::Failed(e) | Phase::Closed(Some(e)) => Some(e),
            _ => None,
        }
    }

    fn incoming(&self) -> Option<Incoming> {
        match self.phase {
            Phase::Open(i, _) => Some(i),
            _ => None,
        }
    }

    /// Whether the connection should read from the peer now. Backpressure:
    /// a passive socket, or an active one that has used up its `once`/`N`,
    /// reads nothing until asked; TCP flow control does the rest. A passive
    /// socket reads ahead until it holds `buffer` bytes, as OTP's does, so
    /// records that arrive apart are delivered apart.
    pub(crate) fn wants_read(&self) -> bool {
        self.incoming() == Some(Incoming::Open)
            && (self.opts.active != Active::False
                || self.pending.is_some()
                || self.buf.len() < self.opts.buffer)
    }

    /// Whether there are records to write (none once the connection failed).
    pub(crate) fn wants_write(&self) -> bool {
        !self.out.is_empty() && self.error().is_none()
    }

    /// Whether our side may still send records.
    pub(crate) fn can_send(&self) -> Result<(), Reason> {
        match self.phase {
            Phase::Open(_, Outgoing::Open) => Ok(()),
            Phase::Accepted | Phase::Paused => Err(Reason::NotsupOnTransportAcceptSocket),
            _ => Err(Reason::Closed),
        }
    }

    /// Our close_notify is on its way.
    pub(crate) fn closed_outgoing(&mut self) {
        if let Phase::Open(i, _) = self.phase {
            self.phase = Phase::Open(i, Outgoing::Closed);
        }
    }

    /// The peer's close_notify came and the owner keeps no half-open
    /// socket: answer it (OTP does, unless `{exit_on_close, false}`).
    pub(crate) fn should_answer_close(&self) -> bool {
        matches!(self.phase, Phase::Open(Incoming::Ended, Outgoing::Open))
            && self.opts.exit_on_close
    }

    /// The peer's close_notify, or the end of its TCP stream.
    pub(crate) fn peer_ended(&mut self) {
        if let Phase::Open(Incoming::Open, o) = self.phase {
            self.phase = Phase::Open(Incoming::Ended, o);
        }
    }

    /// One TCP read of `n` bytes.
    pub(crate) fn received(&mut self, n: usize) {
        self.stats.recv_oct += n as u64;
        self.stats.recv_cnt += 1;
        self.stats.recv_max = self.stats.recv_max.max(n as u64);
    }

    /// Bytes read from the peer in all.
    pub(crate) fn received_total(&self) -> u64 {
        self.stats.recv_oct
    }

    /// What the engine decrypted from one TCP read (one batch), and whether
    /// the peer's close_notify was among it (with the bytes after it).
    pub(crate) fn plaintext(&mut self, data: &mut Vec<u8>, peer_closed: bool, rest: &mut Vec<u8>) {
        // Once the peer's end was reached (or read was shut down), nothing
        // more is delivered, as OTP drops what follows.
        if matches!(
            self.phase,
            Phase::Accepted | Phase::Paused | Phase::Open(Incoming::Open, _)
        ) {
            self.buf.push(data);
        }
        if peer_closed {
            self.peer_ended();
            self.after_close.append(rest);
        }
    }

    /// The plain bytes that followed the peer's close_notify (`close/2`
    /// with a new controller gets them with the TCP stream).
    pub(crate) fn take_after_close(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.after_close)
    }

    /// Queue records for the peer (owned records move into an empty queue).
    pub(crate) fn queue(&mut self, bytes: impl Into<Vec<u8>>) {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return;
        }
        self.stats.send_cnt += 1;
        self.stats.send_max = self.stats.send_max.max(bytes.len() as u64);
        self.out.push(bytes);
    }

    /// `n` queued bytes reached the kernel.
    pub(crate) fn wrote(&mut self, n: usize) {
        self.out.written(n);
        self.stats.send_oct += n as u64;
    }

    /// A `send` of `data`: its bytes framed for `packet`, and whether
    /// `key_update_at` asks for new keys first.
    pub(crate) fn frame(&mut self, data: Vec<u8>) -> Result<(Vec<u8>, bool), Reason> {
        self.can_send()?;
        let mut update = false;
        if let Some(limit) = self.opts.key_update_at {
            self.since_update += data.len() as u64;
            update = self.since_update >= limit;
        }
        Ok((packet::encode(data, self.opts.packet)?, update))
    }

    /// Keys were updated.
    pub(crate) fn keys_updated(&mut self) {
        self.since_update = 0;
    }

    /// A waiting send's `send_timeout` passed: it gets `timeout`, its bytes
    /// stay queued (no record is cut); true when `send_timeout_close` says
    /// the connection ends.
    pub(crate) fn send_timed_out(&mut self, now: Instant) -> bool {
        self.out.expire(now) > 0 && self.opts.send_timeout_close
    }

    /// `recv(S, Len, Timeout)` on a passive socket.
    pub(crate) fn recv(&mut self, len: usize, deadline: Option<Instant>, reply: Reply<Data>) {
        if self.opts.active != Active::False || self.pending.is_some() {
            // Erlang: recv on an active socket is einval.
            let _ = reply.send(Err(Reason::Einval));
            return;
        }
        // Erlang: a length is only meaningful in raw mode; elsewhere it is ignored.
        let len = if self.opts.packet == Packet::Raw {
            len
        } else {
            0
        };
        self.pending = Some(PendingRecv {
            len,
            deadline,
            reply,
        });
        self.deliver();
    }

    /// When the waiting `recv` times out.
    pub(crate) fn recv_deadline(&self) -> Option<Instant> {
        self.pending.as_ref().and_then(|p| p.deadline)
    }

    pub(crate) fn recv_timed_out(&mut self) {
        if let Some(p) = self.pending.take() {
            let _ = p.reply.send(Err(Reason::Timeout));
        }
    }

    /// `setopts`: the new options, checked; the caller applies what the
    /// kernel and the engine keep from [`Self::opts`].
    pub(crate) fn setopts(&mut self, opts: &[SslOption]) -> Result<(), Reason> {
        let before = self.opts.active;
        let mut next = self.opts.clone();
        // OTP's ssl: a positive {active, N} adds to a running count (past
        // 32767 it is refused with this term and the old count kept); an N
        // of 0 or below makes the socket passive with {ssl_passive, S},
        // whatever the count was (gen_tcp would add it).
        let given = opts.iter().rev().find_map(|o| match o {
            SslOption::Active(Active::N(n)) => Some(*n),
            _ => None,
        });
        let running = given.map(|n| match before {
            Active::N(old) if n > 0 => old + n,
            _ => n,
        });
        if let (Some(n), Some(count)) = (given, running) {
            if !(-32768..=32767).contains(&n) || count > 32767 {
                return Err(Reason::options(
                    "socket_options",
                    format!("{{active,{n}}}"),
                    "{active, N}: N lies in -32768..32767 and the running count may not pass 32767",
                ));
            }
        }
        next.apply(opts)?;
        // A count is N itself when none was given now (the option kept).
        if let Active::N(n) = next.active {
            let count = running.unwrap_or(n);
            next.active = Active::N(count);
            if count <= 0 {
                next.active = Active::False;
                self.owner.tell(Tell::Passive);
            }
        }
        if next.packet != self.opts.packet {
            self.http_line = true;
        }
        self.opts = next;
        Ok(())
    }

    pub(crate) fn getstat(&self, stats: &[Stat]) -> Vec<(Stat, u64)> {
        let c = &self.stats;
        let avg = |oct: u64, cnt: u64| oct.checked_div(cnt).unwrap_or(0);
        stats
            .iter()
            .map(|s| {
                let v = match s {
                    Stat::RecvOct => c.recv_oct,
                    Stat::RecvCnt => c.recv_cnt,
                    Stat::RecvMax => c.recv_max,
                    Stat::RecvAvg => avg(c.recv_oct, c.recv_cnt),
                    Stat::SendOct => c.send_oct,
                    Stat::SendCnt => c.send_cnt,
                    Stat::SendMax => c.send_max,
                    Stat::SendAvg => avg(c.send_oct, c.send_cnt),
                    Stat::SendPend => self.out.pending() as u64,
                };
                (*s, v)
            })
            .collect()
    }

    /// `shutdown(S, read)` (the write half is the caller's: it needs the
    /// engine's close_notify).
    pub(crate) fn shutdown_read(&mut self) {
        if let Phase::Open(_, o) = self.phase {
            self.phase = Phase::Open(Incoming::Told, o);
        }
        self.buf.clear();
    }

    /// A fatal error: the owner hears of it as Erlang's owner would.
    pub(crate) fn fail(&mut self, reason: Reason) {
        if self.opts.log_level >= LogLevel::Info {
            tracing::info!(reason = %reason, "connection error");
        }
        self.out.fail_all(&Reason::Closed);
        // The owner heard the end already (a write failing after the peer's
        // close was answered): no ssl_error after ssl_closed, as in OTP.
        if matches!(
            self.phase,
            Phase::Closed(_) | Phase::Open(Incoming::Told, _)
        ) {
            if let Some(p) = self.pending.take() {
                let _ = p.reply.send(Err(Reason::Closed));
            }
            self.phase = Phase::Closed(Some(reason));
            return;
        }
        let trap = matches!(reason, Reason::EngineTrap(_));
        let told = if let Some(p) = self.pending.take() {
            let _ = p.reply.send(Err(reason.clone()));
            if trap {
                self.owner.tell(Tell::Error(reason.clone()));
            }
            true
        } else if self.opts.active != Active::False || trap {
            self.owner.tell(Tell::Error(reason.clone()));
            true
        } else {
            // Passive: the next recv (or a turn to active) hears of it.
            false
        };
        self.phase = if told {
            Phase::Closed(Some(reason))
        } else {
            Phase::Failed(reason)
        };
    }

    /// The connection is going away (`close`, the owner's exit): waiting
    /// calls are answered `closed`.
    pub(crate) fn end(&mut self) {
        self.out.fail_all(&Reason::Closed);
        if let Some(p) = self.pending.take() {
            let _ = p.reply.send(Err(Reason::Closed));
        }
        if !matches!(self.phase, Phase::Closed(_)) {
            self.phase = Phase::Closed(self.error().cloned());
        }
    }

    /// `hibernate_after`: give back what idle buffers hold.
    pub(crate) fn hibernate(&mut self) {
        self.buf.shrink();
        self.out.shrink();
        self.after_close.shrink_to_fit();
    }

    fn data(&self, d: Decoded) -> Data {
        match d {
            Decoded::Http(h) => Data::Http(h),
            Decoded::Bytes(bytes) => match self.opts.mode {
                options::Mode::Binary if self.opts.header > 0 => {
                    Data::Header(self.opts.header.min(bytes.len()), bytes)
                }
                options::Mode::Binary => Data::Binary(bytes),
                options::Mode::List => Data::List(bytes),
            },
        }
    }

    /// The next packet off the buffer, or why there is none.
    fn next_packet(&mut self) -> Option<Result<Data, Reason>> {
        if self.opts.packet == Packet::Raw {
            // Raw: one received batch at a time, as OTP delivers them.
            if self.buf.is_empty() {
                return None;
            }
            let batch = self.buf.take_batch();
            return Some(Ok(self.data(Decoded::Bytes(batch))));
        }
        match packet::decode(
            self.opts.packet,
            self.buf.bytes(),
            self.opts.packet_size,
            self.http_line,
        ) {
            // A packet must use bytes, or delivery would never end.
            Step::Packet(_, 0) => Some(Err(Reason::InvalidPacket(self.buf.take_all()))),
            Step::Packet(d, used) => {
                self.buf.take(used);
                if let Decoded::Http(h) = &d {
                    // ssl switches http to httph after a request/response line,
                    // and back after the end of the headers.
                    if matches!(self.opts.packet, Packet::Http | Packet::HttpBin) {
                        match h {
                            HttpPacket::Request { .. } | HttpPacket::Response { .. } => {
                                self.http_line = false
                            }
                            HttpPacket::Eoh => self.http_line = true,
                            _ => {}
                        }
                    }
                }
                Some(Ok(self.data(d)))
            }
            Step::More(_) => None,
            Step::Invalid => Some(Err(Reason::InvalidPacket(self.buf.take_all()))),
        }
    }

    /// Hand buffered data to the owner (active) or the waiting `recv`
    /// (passive), then report the end once the data is gone.
    pub(crate) fn deliver(&mut self) {
        while self.opts.active != Active::False && self.error().is_none() {
            let data = match self.next_packet() {
                Some(Ok(d)) => d,
                Some(Err(reason)) => {
                    self.fail(reason);
                    return;
                }
                None => break,
            };
            self.owner.tell(Tell::Data(data));
            match self.opts.active {
                Active::Once => self.opts.active = Active::False,
                Active::N(n) if n <= 1 => {
                    self.opts.active = Active::False;
                    self.owner.tell(Tell::Passive);
                }
                Active::N(n) => self.opts.active = Active::N(n - 1),
                _ => {}
            }
        }
        self.answer_recv();
        let unheard = match &self.phase {
            Phase::Open(Incoming::Ended, _) => Some(None),
            Phase::Failed(e) => Some(Some(e.clone())),
            _ => None,
        };
        if let (Some(error), true) = (unheard, self.opts.active != Active::False) {
            self.buf.clear();
            match error {
                // Read ahead while passive, told now that the socket is active.
                Some(e) => {
                    self.owner.tell(Tell::Error(e.clone()));
                    self.phase = Phase::Closed(Some(e));
                }
                None => {
                    self.owner.tell(Tell::Closed);
                    self.phase = match self.phase {
                        _ if self.opts.exit_on_close => Phase::Closed(None),
                        Phase::Open(_, o) => Phase::Open(Incoming::Told, o),
                        ref p => p.clone(),
                    };
                }
            }
        }
    }

    /// Answer the waiting `recv` if the buffer (or the end) allows.
    fn answer_recv(&mut self) {
        let Some(p) = self.pending.take() else {
            return;
        };
        let got = if p.len > 0 {
            (self.buf.len() >= p.len)
                .then(|| Ok(Data::from_mode(self.opts.mode, self.buf.take(p.len))))
        } else {
            self.next_packet()
        };
        let ended = !matches!(self.phase, Phase::Open(Incoming::Open, _));
        match (got, ended) {
            (Some(Ok(data)), _) => {
                let _ = p.reply.send(Ok(data));
            }
            (Some(Err(reason)), _) => {
                self.pending = Some(p);
                self.fail(reason);
            }
            // Erlang's rule: fewer than Length bytes are lost when the peer
            // closes (checked against OTP 25: a later recv(S, 0) is closed too).
            // An error is reported once; from then on, closed.
            (None, true) => {
                self.buf.clear();
                self.phase = match std::mem::replace(&mut self.phase, Phase::Accepted) {
                    // An error read ahead of this recv is its answer, once.
                    Phase::Failed(e) => {
                        let _ = p.reply.send(Err(e.clone()));
                        Phase::Closed(Some(e))
                    }
                    // The peer closed: over, as in OTP (not after our own
                    // shutdown(read), nor with {exit_on_close, false},
                    // which keeps writing).
                    Phase::Open(Incoming::Ended, _) if self.opts.exit_on_close => {
                        let _ = p.reply.send(Err(Reason::Closed));
                        Phase::Closed(None)
                    }
                    Phase::Open(_, o) => {
                        let _ = p.reply.send(Err(Reason::Closed));
                        Phase::Open(Incoming::Told, o)
                    }
                    other => {
                        let _ = p.reply.send(Err(Reason::Closed));
                        other
                    }
                };
            }
            (None, false) => self.pending = Some(p),
        }
    }
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
