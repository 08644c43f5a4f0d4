//! The host API against itself over loopback TCP: handshake, data in every
//! delivery mode, errors on both sides.

use std::time::Duration;

use wassl::process::{self, Message};
use wassl::ssl::{self, Active, Mode, OptName, SslOption, SslSocket, Verify, Version};
use wassl_tests::Pki;

fn server_opts(pki: &Pki) -> Vec<SslOption> {
    vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
        SslOption::Reuseaddr(true),
        SslOption::Mode(Mode::Binary),
    ]
}

fn client_opts(pki: &Pki) -> Vec<SslOption> {
    vec![
        SslOption::Cacertfile(pki.ca.id.certfile.clone()),
        SslOption::Mode(Mode::Binary),
    ]
}

/// An echo server: accepts `n` connections, each handled by its own process.
async fn echo_server(
    opts: Vec<SslOption>,
    n: usize,
) -> (
    u16,
    tokio::sync::mpsc::UnboundedReceiver<Result<(), ssl::Reason>>,
) {
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let (res_tx, res_rx) = tokio::sync::mpsc::unbounded_channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.expect("listen");
        port_tx
            .send(ssl::sockname(&l).await.unwrap().port())
            .unwrap();
        for _ in 0..n {
            let t = ssl::transport_accept(&l, 10_000).await.expect("accept");
            let res_tx = res_tx.clone();
            let worker = process::spawn(async move {
                match process::receive().await {
                    Message::Other(m) => {
                        let s = *m.downcast::<SslSocket>().unwrap();
                        let r = ssl::handshake(&s, 10_000).await;
                        let ok = r.is_ok();
                        res_tx.send(r.map(|_| ())).unwrap();
                        if ok {
                            while let Message::Ssl(s, d) = process::receive().await {
                                ssl::send(&s, d.as_bytes()).await.unwrap();
                            }
                        }
                    }
                    other => panic!("unexpected {other:?}"),
                }
            });
            ssl::controlling_process(&t, &worker).await.unwrap();
            worker.send(t);
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    (port_rx.await.unwrap(), res_rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_and_active_echo() {
    let pki = Pki::new();
    let (port, mut results) = echo_server(server_opts(&pki), 1).await;
    process::run(async {
        let mut opts = client_opts(&pki);
        opts.push(SslOption::AlpnAdvertisedProtocols(vec![b"h2".to_vec()]));
        let s = ssl::connect("localhost", port, opts, 10_000)
            .await
            .expect("connect");
        assert_eq!(results.recv().await.unwrap(), Ok(()));
        let info = ssl::connection_information(&s).await.unwrap();
        assert_eq!(info.protocol, Version::Tlsv1_3);
        // As OTP: only a server reports the name it was asked for.
        assert_eq!(info.sni_hostname, None);
        assert_eq!(
            ssl::negotiated_protocol(&s).await,
            Err(ssl::Reason::ProtocolNotNegotiated)
        );
        let cert = ssl::peercert(&s).await.unwrap();
        assert_eq!(cert, pki.server.cert_der);
        ssl::send(&s, b"hello").await.unwrap();
        match process::receive_timeout(5000).await {
            Some(Message::Ssl(from, data)) => {
                assert_eq!(from, s);
                assert_eq!(data.as_bytes(), b"hello");
            }
            other => panic!("expected {{ssl, S, <<\"hello\">>}}, got {other:?}"),
        }
        assert_eq!(
            ssl::recv(&s, 0, 100).await,
            Err(ssl::Reason::Einval),
            "recv on an active socket"
        );
        assert_eq!(
            ssl::getopts(&s, &[OptName::Active, OptName::Mode])
                .await
                .unwrap(),
            // OTP answers in the reverse of the order asked.
            vec![
                SslOption::Mode(Mode::Binary),
                SslOption::Active(Active::True)
            ]
        );
        ssl::close(&s).await.unwrap();
        assert_eq!(ssl::send(&s, b"x").await, Err(ssl::Reason::Closed));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_ca_is_unknown_ca_on_both_sides() {
    let pki = Pki::new();
    let (port, mut results) = echo_server(server_opts(&pki), 1).await;
    process::run(async {
        let opts = vec![
            SslOption::Cacertfile(pki.other_ca.id.certfile.clone()),
            SslOption::Verify(Verify::VerifyPeer),
        ];
        let err = ssl::connect("localhost", port, opts, 10_000)
            .await
            .unwrap_err();
        match &err {
            ssl::Reason::TlsAlert { description, text } => {
                assert_eq!(description, "unknown_ca");
                assert!(
                    text.starts_with("TLS client:")
                        && text.contains("generated CLIENT ALERT: Fatal - Unknown CA"),
                    "{text}"
                );
            }
            other => panic!("expected tls_alert, got {other}"),
        }
        let server_side = results.recv().await.unwrap().unwrap_err();
        match &server_side {
            ssl::Reason::TlsAlert { description, text } => {
                assert_eq!(description, "unknown_ca");
                assert!(
                    text.contains("received CLIENT ALERT: Fatal - Unknown CA"),
                    "{text}"
                );
            }
            other => panic!("expected tls_alert on the server, got {other}"),
        }
        assert!(ssl::format_error(&err).contains("Unknown CA"));
    })
    .await;
}

/// Data sent by the client right behind its Finished must reach the server's
/// owner even if nothing else ever arrives (it comes in the handshake's last read).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_in_the_handshakes_last_flight_is_delivered() {
    let pki = Pki::new();
    for version in [Version::Tlsv1_2, Version::Tlsv1_3] {
        let (port, mut results) = echo_server(server_opts(&pki), 1).await;
        // A native-speed peer: openssl writes Finished and data in one go.
        let mut client = wassl_tests::Peer::start(
            "openssl",
            &[
                "s_client",
                "-connect",
                &format!("127.0.0.1:{port}"),
                "-CAfile",
                pki.ca.id.certfile.to_str().unwrap(),
                "-ign_eof",
                "-quiet",
                if version == Version::Tlsv1_2 {
                    "-tls1_2"
                } else {
                    "-tls1_3"
                },
            ],
            b"first words\n",
            true,
        );
        assert_eq!(results.recv().await.unwrap(), Ok(()));
        client.expect("first words", 10);
    }
}
