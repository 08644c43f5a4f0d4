//! A server under a flood with a small sandbox pool (`max_connections` 4):
//! accepted connections that send nothing hold no sandbox, so they cannot
//! shut real clients out; and a handshake that finds the pool full waits
//! for a slot instead of being refused. A test binary of its own: limits are
//! set once per process.

use std::time::Duration;

use wassl::process;
use wassl::runtime::{self, Limits};
use wassl::ssl::{self, Reason, SslOption, SslSocket};
use wassl_tests::{pki_client, Pki};

/// A client connection; a refusal of its own slot (one an earlier
/// connection is about to give back) is retried for a while.
async fn connect_retrying(port: u16, opts: Vec<SslOption>) -> SslSocket {
    for _ in 0..100 {
        match ssl::connect("localhost", port, opts.clone(), 20_000).await {
            Err(Reason::SystemLimit) => tokio::time::sleep(Duration::from_millis(20)).await,
            r => return r.expect("connect"),
        }
    }
    panic!("no slot for a client in 2 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_hold_no_sandbox_and_a_full_pool_queues() {
    assert!(runtime::configure(Limits {
        max_connections: 4,
        ..Limits::default()
    }));
    let pki = Pki::new();
    let opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
    ];
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.expect("listen");
        port_tx
            .send(ssl::sockname(&l).await.unwrap().port())
            .unwrap();
        // One process per connection, each handshake with a long limit, as
        // a server under attack would run.
        while let Ok(t) = ssl::transport_accept(&l, 60_000).await {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let w = process::spawn(async move {
                let Ok(t) = rx.await else { return };
                if let Ok(s) = ssl::handshake(&t, 30_000).await {
                    let _ = process::receive_timeout(30_000u64).await;
                    let _ = ssl::close(&s).await;
                }
            });
            if ssl::controlling_process(&t, &w).await.is_ok() {
                let _ = tx.send(t);
            }
        }
    });
    let port = port_rx.await.unwrap();

    // Three times the pool in silent connections, every one accepted and
    // its handshake started.
    let mut idle = Vec::new();
    for _ in 0..12 {
        idle.push(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap(),
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    process::run(async {
        // A real client is served all the same.
        let s = tokio::time::timeout(Duration::from_secs(20), pki_client(&pki, port, vec![]))
            .await
            .expect("a client is served while silent connections are open");
        ssl::send(&s, b"served").await.unwrap();

        // Clients that keep their records in their sandboxes hold a slot
        // each (the server's side gives its slot back just after the
        // handshake, so a refusal of the client's own slot is retried).
        let opts = [
            vec![SslOption::Cacertfile(pki.ca.id.certfile.clone())],
            vec![SslOption::RecordOffload(false)],
        ]
        .concat();
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(connect_retrying(port, opts.clone()).await);
        }
        // d's client side takes the last slot; its server side finds the
        // pool full and waits, until a slot is given back.
        let mut waiting = None;
        for _ in 0..40 {
            let o = opts.clone();
            let d = tokio::spawn(process::run(async move {
                ssl::connect("localhost", port, o, 20_000).await
            }));
            tokio::time::sleep(Duration::from_millis(500)).await;
            if !d.is_finished() {
                waiting = Some(d);
                break;
            }
            // Done early: only d's own slot, not yet given back by an
            // earlier server side, may have been refused.
            let r = d.await.unwrap();
            assert_eq!(
                r.err(),
                Some(Reason::SystemLimit),
                "d did not wait for a slot"
            );
        }
        let d = waiting.expect("d's handshake waits for a slot");
        ssl::close(&held.remove(0)).await.unwrap();
        let d = d.await.unwrap();
        assert!(d.is_ok(), "the queued handshake completes: {:?}", d.err());
    })
    .await;
    drop(idle);
}
