//! A server under a flood with a small sandbox pool (`max_connections` 4):
//! accepted connections that send nothing hold no sandbox, so they cannot
//! shut real clients out; and a handshake that finds the pool full waits
//! for a slot instead of being refused. A test binary of its own: limits are
//! set once per process.

use std::time::Duration;

use wassl::process;
use wassl::runtime::{self, Limits};
use wassl::ssl::{self, SslOption};
use wassl_tests::{pki_client, Pki};

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
        // each (the server's side gives its slot back after the handshake).
        let keep = || vec![SslOption::RecordOffload(false)];
        let a = pki_client(&pki, port, keep()).await;
        let _b = pki_client(&pki, port, keep()).await;
        let _c = pki_client(&pki, port, keep()).await;
        // d's client side takes the last slot; its server side finds the
        // pool full and waits, until a's slot is given back.
        let opts = [
            vec![SslOption::Cacertfile(pki.ca.id.certfile.clone())],
            keep(),
        ]
        .concat();
        let d = tokio::spawn(process::run(async move {
            ssl::connect("localhost", port, opts, 20_000).await
        }));
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!d.is_finished(), "d waits for a slot");
        ssl::close(&a).await.unwrap();
        let d = d.await.unwrap();
        assert!(d.is_ok(), "the queued handshake completes: {:?}", d.err());
    })
    .await;
    drop(idle);
}
