//! Delivery modes and owners, as Erlang's `ssl` behaves: passive `recv`
//! (exact lengths, timeouts, the data-loss rule), `{active, once}`,
//! `{active, N}` with `{ssl_passive, S}`, data before `{ssl_closed, S}`,
//! `controlling_process`, owners that end, listen sockets that close.

use std::time::Duration;

use wassl::process::{self, Message};
use wassl::ssl::{self, Active, Mode, Packet, Reason, SslOption, SslSocket};
use wassl_tests::Pki;

async fn server<F, Fut>(pki: &Pki, opts: Vec<SslOption>, script: F) -> u16
where
    F: Fn(SslSocket) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    wassl_tests::scripted_server(pki, opts, script).await
}

async fn client(pki: &Pki, port: u16, extra: Vec<SslOption>) -> SslSocket {
    wassl_tests::pki_client(pki, port, extra).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_recv_lengths_timeouts_and_close() {
    let pki = Pki::new();
    let port = server(&pki, vec![], |s| async move {
        ssl::send(&s, b"0123456789").await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        ssl::send(&s, b"abc").await.unwrap();
        ssl::close(&s).await.unwrap();
    })
    .await;
    process::run(async {
        let s = client(&pki, port, vec![SslOption::Active(Active::False)]).await;
        assert_eq!(ssl::recv(&s, 4, 5_000).await.unwrap().as_bytes(), b"0123");
        assert_eq!(ssl::recv(&s, 6, 5_000).await.unwrap().as_bytes(), b"456789");
        assert_eq!(
            ssl::recv(&s, 1, 50).await,
            Err(Reason::Timeout),
            "nothing yet"
        );
        // Erlang's rule: fewer than Length bytes are lost when the peer closes.
        assert_eq!(ssl::recv(&s, 5, 5_000).await, Err(Reason::Closed));
        assert_eq!(ssl::recv(&s, 0, 1_000).await, Err(Reason::Closed));
        assert!(
            process::receive_timeout(100).await.is_none(),
            "passive sockets send no messages"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_once_and_n_deliver_then_go_passive() {
    let pki = Pki::new();
    let port = server(
        &pki,
        vec![SslOption::Packet(Packet::Len(2))],
        |s| async move {
            for i in 0..6u8 {
                ssl::send(&s, [b'a' + i; 3]).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            ssl::close(&s).await.unwrap();
        },
    )
    .await;
    process::run(async {
        let s = client(
            &pki,
            port,
            vec![
                SslOption::Active(Active::Once),
                SslOption::Packet(Packet::Len(2)),
            ],
        )
        .await;
        let next = || async {
            match process::receive_timeout(5_000).await {
                Some(m) => m,
                None => panic!("no message"),
            }
        };
        // {active, once}: one packet, then passive.
        assert!(matches!(next().await, Message::Ssl(_, d) if d.as_bytes() == b"aaa"));
        assert!(
            process::receive_timeout(200).await.is_none(),
            "once means one"
        );
        assert_eq!(
            ssl::getopts(&s, &[ssl::OptName::Active]).await.unwrap(),
            vec![SslOption::Active(Active::False)]
        );
        // A passive read takes the next packet (framing applies).
        assert_eq!(ssl::recv(&s, 0, 5_000).await.unwrap().as_bytes(), b"bbb");
        // {active, 2}: two packets then {ssl_passive, S}.
        ssl::setopts(&s, vec![SslOption::Active(Active::N(2))])
            .await
            .unwrap();
        assert!(matches!(next().await, Message::Ssl(_, d) if d.as_bytes() == b"ccc"));
        assert!(matches!(next().await, Message::Ssl(_, d) if d.as_bytes() == b"ddd"));
        assert!(matches!(next().await, Message::SslPassive(x) if x == s));
        // Back to active: the rest, then {ssl_closed, S} after the data.
        ssl::setopts(&s, vec![SslOption::Active(Active::True)])
            .await
            .unwrap();
        assert!(matches!(next().await, Message::Ssl(_, d) if d.as_bytes() == b"eee"));
        assert!(matches!(next().await, Message::Ssl(_, d) if d.as_bytes() == b"fff"));
        assert!(matches!(next().await, Message::SslClosed(x) if x == s));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_mode_and_line_packets() {
    let pki = Pki::new();
    let port = server(&pki, vec![], |s| async move {
        ssl::send(&s, b"one\ntw").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        ssl::send(&s, b"o\n").await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    process::run(async {
        let _s = client(
            &pki,
            port,
            vec![SslOption::Mode(Mode::List), SslOption::Packet(Packet::Line)],
        )
        .await;
        for want in [&b"one\n"[..], b"two\n"] {
            match process::receive_timeout(5_000).await {
                Some(Message::Ssl(_, ssl::Data::List(d))) => assert_eq!(d, want),
                other => panic!("expected a list, got {other:?}"),
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_controlling_process_and_exit() {
    let pki = Pki::new();
    let (closed_tx, mut closed_rx) = tokio::sync::mpsc::unbounded_channel();
    let port = server(&pki, vec![], move |s| {
        let closed_tx = closed_tx.clone();
        async move {
            ssl::send(&s, b"hi").await.unwrap();
            loop {
                match process::receive_timeout(10_000).await {
                    Some(Message::SslClosed(_)) => {
                        closed_tx.send(()).unwrap();
                        return;
                    }
                    Some(_) => continue,
                    None => return,
                }
            }
        }
    })
    .await;
    process::run(async {
        // Passive until handed over, so the data is not delivered to us first.
        let s = client(&pki, port, vec![SslOption::Active(Active::False)]).await;
        // Another process cannot give the socket away.
        let (tx, rx) = tokio::sync::oneshot::channel();
        let s2 = s.clone();
        process::spawn(async move {
            tx.send(ssl::controlling_process(&s2, &process::self_pid()).await)
                .unwrap();
        });
        assert_eq!(rx.await.unwrap(), Err(Reason::NotOwner));
        // The owner gives it to a new process, which gets the data, then ends:
        // the socket dies with it and the peer sees the close.
        let (got_tx, got_rx) = tokio::sync::oneshot::channel();
        let new_owner = process::spawn(async move {
            let m = process::receive_timeout(5_000).await;
            got_tx
                .send(matches!(m, Some(Message::Ssl(_, ref d)) if d.as_bytes() == b"hi"))
                .unwrap();
        });
        ssl::controlling_process(&s, &new_owner).await.unwrap();
        assert_eq!(
            ssl::controlling_process(&s, &new_owner).await,
            Err(Reason::NotOwner),
            "no longer ours"
        );
        ssl::setopts(&s, vec![SslOption::Active(Active::True)])
            .await
            .unwrap();
        assert!(got_rx.await.unwrap(), "the new owner receives the data");
        assert!(
            process::receive_timeout(100).await.is_none(),
            "the old owner receives nothing"
        );
        tokio::time::timeout(Duration::from_secs(10), closed_rx.recv())
            .await
            .expect("peer sees the close")
            .unwrap();
        assert_eq!(ssl::send(&s, b"x").await, Err(Reason::Closed));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_listen_socket_stops_its_acceptors() {
    let pki = Pki::new();
    process::run(async {
        let l = ssl::listen(
            0,
            vec![
                SslOption::Certfile(pki.server.certfile.clone()),
                SslOption::Keyfile(pki.server.keyfile.clone()),
            ],
        )
        .await
        .unwrap();
        assert_eq!(
            ssl::transport_accept(&l, 50).await.unwrap_err(),
            Reason::Timeout
        );
        let l2 = l.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        process::spawn(async move {
            tx.send(
                ssl::transport_accept(&l2, ssl::Timeout::Infinity)
                    .await
                    .map(|_| ()),
            )
            .unwrap();
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        ssl::close(&l).await.unwrap();
        assert_eq!(rx.await.unwrap(), Err(Reason::Closed));
        assert_eq!(ssl::sockname(&l).await, Err(Reason::Closed));
    })
    .await;
}
