//! `Limits::max_connections`: with every sandbox slot held, a new
//! connection is refused with `system_limit` (nothing else is disturbed),
//! and a slot given back serves the next one. A test binary of its own:
//! limits are set once per process.

use wassl::process;
use wassl::runtime::{self, Limits};
use wassl::ssl::{self, Reason, SslOption};
use wassl_tests::{pki_client, Pki};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pool_refuses_with_system_limit_and_recovers() {
    assert!(runtime::configure(Limits {
        max_connections: 3,
        ..Limits::default()
    }));
    let pki = Pki::new();
    let opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
    ];
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let (err_tx, mut err_rx) = tokio::sync::mpsc::unbounded_channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.expect("listen");
        port_tx
            .send(ssl::sockname(&l).await.unwrap().port())
            .unwrap();
        let mut held = Vec::new();
        loop {
            match ssl::transport_accept(&l, 20_000).await {
                Ok(t) => match ssl::handshake(&t, 10_000).await {
                    Ok(s) => held.push(s),
                    Err(e) => err_tx.send(e).unwrap(),
                },
                Err(Reason::Timeout) => return,
                Err(e) => err_tx.send(e).unwrap(),
            }
        }
    });
    let port = port_rx.await.unwrap();
    process::run(async {
        // Clients that keep their records in their sandboxes hold a slot
        // each; the server's connections hand theirs back after the handshake.
        let keep = || vec![SslOption::RecordOffload(false)];
        let a = pki_client(&pki, port, keep()).await;
        let b = pki_client(&pki, port, keep()).await;
        // A third client takes the last slot: its server side has none.
        let c = ssl::connect(
            "localhost",
            port,
            [
                vec![SslOption::Cacertfile(pki.ca.id.certfile.clone())],
                keep(),
            ]
            .concat(),
            10_000,
        )
        .await;
        // The last slot is the client's or the server's: either way the
        // refusal is system_limit, and nothing else is disturbed.
        let refusal = match c {
            Err(Reason::SystemLimit) => Reason::SystemLimit,
            Err(_) => err_rx.recv().await.expect("the server's refusal"),
            Ok(_) => panic!("a connection past max_connections"),
        };
        assert_eq!(refusal, Reason::SystemLimit);
        assert!(ssl::format_error(&refusal).contains("sandbox"));
        ssl::send(&b, b"b carries on").await.unwrap();
        // A slot given back serves the next connection.
        // (The socket's task frees its sandbox just after close returns.)
        ssl::close(&a).await.unwrap();
        let opts = [
            vec![SslOption::Cacertfile(pki.ca.id.certfile.clone())],
            keep(),
        ]
        .concat();
        let mut d = Err(Reason::SystemLimit);
        for _ in 0..40 {
            d = ssl::connect("localhost", port, opts.clone(), 10_000).await;
            if d != Err(Reason::SystemLimit) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        ssl::send(&d.expect("a freed slot serves the next connection"), b"x")
            .await
            .unwrap();
    })
    .await;
}
