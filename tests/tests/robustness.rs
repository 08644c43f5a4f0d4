//! Bad input loses nothing and hurts nobody else: a trapped sandbox ends one
//! socket, garbage and vanishing peers give clear errors, bad options are
//! refused before any byte is sent.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wassl::process::{self, Message};
use wassl::ssl::{self, Mode, Reason, SslOption, Version};
use wassl_tests::Pki;

fn server_opts(pki: &Pki) -> Vec<SslOption> {
    vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
        SslOption::Mode(Mode::Binary),
    ]
}

/// Echo server for `n` connections; reports each handshake's result.
async fn echo_server(
    pki: &Pki,
    n: usize,
) -> (
    u16,
    tokio::sync::mpsc::UnboundedReceiver<Result<(), Reason>>,
) {
    let opts = server_opts(pki);
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.expect("listen");
        port_tx
            .send(ssl::sockname(&l).await.unwrap().port())
            .unwrap();
        for _ in 0..n {
            let t = ssl::transport_accept(&l, 20_000).await.expect("accept");
            let tx = tx.clone();
            let w = process::spawn(async move {
                let Message::Other(m) = process::receive().await else {
                    return;
                };
                let t = *m.downcast::<ssl::SslSocket>().unwrap();
                let r = ssl::handshake(&t, 1_500).await.map(|_| ());
                let ok = r.is_ok();
                tx.send(r).unwrap();
                if ok {
                    while let Message::Ssl(s, d) = process::receive().await {
                        if ssl::send(&s, d.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                }
            });
            ssl::controlling_process(&t, &w).await.unwrap();
            w.send(t);
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    });
    (port_rx.await.unwrap(), rx)
}

fn client_opts(pki: &Pki) -> Vec<SslOption> {
    vec![
        SslOption::Cacertfile(pki.ca.id.certfile.clone()),
        SslOption::Mode(Mode::Binary),
    ]
}

async fn echo_once(s: &ssl::SslSocket, payload: &[u8]) -> Vec<u8> {
    ssl::send(s, payload).await.unwrap();
    let mut got = Vec::new();
    while got.len() < payload.len() {
        match process::receive_match(|m| matches!(m, Message::Ssl(x, _) if x == s), 10_000).await {
            Some(Message::Ssl(_, d)) => got.extend_from_slice(d.as_bytes()),
            other => panic!("no echo: {other:?}"),
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_ends_one_socket_only() {
    let pki = Pki::new();
    let (port, _results) = echo_server(&pki, 2).await;
    process::run(async {
        // A's records stay in its sandbox, so that a send grows its memory.
        let mut a_opts = client_opts(&pki);
        a_opts.push(SslOption::RecordOffload(false));
        let a = ssl::connect("localhost", port, a_opts, 10_000)
            .await
            .unwrap();
        let b = ssl::connect("localhost", port, client_opts(&pki), 10_000)
            .await
            .unwrap();
        assert_eq!(echo_once(&a, b"a before").await, b"a before");
        // Freeze A's sandbox at its current size: the next growth traps it.
        let used = ssl::engine_memory(&a).await.unwrap();
        assert!(used > 0);
        ssl::setopts(&a, vec![SslOption::EngineMemoryLimit(used)])
            .await
            .unwrap();
        let big = vec![7u8; 4 << 20];
        let err = ssl::send(&a, &big).await.unwrap_err();
        let Reason::EngineTrap(text) = &err else {
            panic!("expected engine_trap, got {err}")
        };
        assert!(text.contains("memory limit"), "{text}");
        // The owner hears of it as {ssl_error, S, Reason}.
        match process::receive_match(|m| matches!(m, Message::SslError(..)), 5_000).await {
            Some(Message::SslError(s, r)) => {
                assert_eq!(s, a);
                assert_eq!(r, err);
            }
            other => panic!("expected {{ssl_error, A, _}}, got {other:?}"),
        }
        assert_eq!(
            ssl::send(&a, b"again").await,
            Err(Reason::Closed),
            "the trapped socket stays dead"
        );
        // B, in its own sandbox, carries on, and new connections work too.
        assert_eq!(echo_once(&b, &big).await, big);
        assert!(ssl::format_error(&err).contains("sandbox"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_vanishing_peers_give_clear_errors() {
    let pki = Pki::new();
    let (port, mut results) = echo_server(&pki, 3).await;
    // 1. Plain garbage instead of a ClientHello: a decode alert goes back.
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
    assert_eq!(
        answer.first(),
        Some(&21),
        "a TLS alert record comes back: {answer:?}"
    );
    match results.recv().await.unwrap() {
        Err(Reason::TlsAlert { description, text }) => {
            assert!(
                ["unexpected_message", "decode_error", "protocol_version"]
                    .contains(&description.as_str()),
                "{description}"
            );
            assert!(text.starts_with("TLS server:"), "{text}");
        }
        other => panic!("expected a tls_alert, got {other:?}"),
    }
    // 2. A peer that connects and vanishes: {error, closed}.
    drop(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap(),
    );
    assert_eq!(results.recv().await.unwrap(), Err(Reason::Closed));
    // 3. A peer that says nothing: the handshake times out.
    let _silent = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    assert_eq!(results.recv().await.unwrap(), Err(Reason::Timeout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_vanishes_mid_handshake() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut hello = [0u8; 512];
        let _ = s.read(&mut hello).await;
        // Half a ServerHello record header, then gone.
        let _ = s.write_all(&[22, 3, 3, 0]).await;
    });
    process::run(async {
        let r = ssl::connect(
            "127.0.0.1",
            port,
            vec![SslOption::Verify(ssl::Verify::VerifyNone)],
            5_000,
        )
        .await;
        assert_eq!(r.unwrap_err(), Reason::Closed);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_options_are_refused_before_connecting() {
    let pki = Pki::new();
    process::run(async {
        // Nothing listens on this port: option errors must come first.
        let port = wassl_tests::free_port();
        let missing = ssl::connect("localhost", port, vec![SslOption::Cacertfile("/nonexistent/ca.pem".into())], 2_000)
            .await
            .unwrap_err();
        assert_eq!(missing.to_string(), r#"{options,{cacertfile,"/nonexistent/ca.pem",{error,enoent}}}"#);
        assert!(ssl::format_error(&missing).contains("CA certificate file"));

        let old = ssl::connect("localhost", port, vec![SslOption::Versions(vec![Version::Tlsv1_1])], 2_000)
            .await
            .unwrap_err();
        assert_eq!(old.to_string(), "{options,{'tlsv1.1',{versions,['tlsv1.1']}}}");
        assert!(ssl::format_error(&old).contains("RFC 8996"));

        let npn = ssl::connect("localhost", port, vec![SslOption::NextProtocolsAdvertised(vec![b"h2".to_vec()])], 2_000)
            .await
            .unwrap_err();
        assert!(ssl::format_error(&npn).contains("ALPN"), "{}", ssl::format_error(&npn));

        let empty_alpn = ssl::connect("localhost", port, vec![SslOption::AlpnAdvertisedProtocols(vec![vec![]])], 2_000)
            .await
            .unwrap_err();
        assert!(matches!(&empty_alpn, Reason::Options { option, .. } if option == "alpn_advertised_protocols"));

        // Not a PEM file at all.
        let junk = pki.dir.join("junk.pem");
        std::fs::write(&junk, b"not pem").unwrap();
        let e = ssl::connect("localhost", port, vec![SslOption::Cacertfile(junk)], 2_000).await.unwrap_err();
        assert!(matches!(&e, Reason::Options { option, .. } if option == "cacertfile"), "{e}");

        // A server without a certificate, and with a key that is not its certificate's.
        let e = ssl::listen(0, vec![]).await.unwrap_err();
        assert!(matches!(&e, Reason::Options { option, .. } if option == "certfile"), "{e}");
        let e = ssl::listen(
            0,
            vec![SslOption::Certfile(pki.server.certfile.clone()), SslOption::Keyfile(pki.client.keyfile.clone())],
        )
        .await
        .unwrap_err();
        assert!(ssl::format_error(&e).contains("does not match"), "{}", ssl::format_error(&e));

        // Client-only options on a server are ignored, as OTP 25 does...
        let mut opts = server_opts(&pki);
        opts.push(SslOption::AlpnAdvertisedProtocols(vec![b"h2".to_vec()]));
        opts.push(SslOption::ServerNameIndication(ssl::ServerNameIndication::Host("x".into())));
        ssl::close(&ssl::listen(0, opts).await.expect("ignored")).await.unwrap();
        // ...but fail_if_no_peer_cert on a client is OTP's incompatible error.
        let e = ssl::connect("localhost", port, vec![SslOption::FailIfNoPeerCert(true)], 2_000).await.unwrap_err();
        assert_eq!(e.to_string(), "{options,incompatible,{verify,verify_peer},{fail_if_no_peer_cert,true}}");

        // Nothing listening: a POSIX reason.
        let e = ssl::connect("127.0.0.1", port, vec![SslOption::Verify(ssl::Verify::VerifyNone)], 2_000).await.unwrap_err();
        assert_eq!(e, Reason::Posix("econnrefused".into()));
    })
    .await;
}
