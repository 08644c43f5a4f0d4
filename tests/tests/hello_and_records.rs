//! `{handshake, hello}` (a server paused at the ClientHello, then
//! handshake_continue / handshake_cancel) and the host's TLS 1.3 record
//! layer, both against `openssl s_client`.

use wassl::process::{self, Message};
use wassl::ssl::{self, HandshakeMode, Mode, Reason, SslOption, Version};
use wassl_tests::{skip_interop, Peer, Pki};

/// A server that pauses every handshake and hands the socket and its
/// `Ext` to `decide`, which continues (with options) or cancels.
async fn paused_server(
    pki: &Pki,
) -> (
    u16,
    tokio::sync::mpsc::UnboundedReceiver<(ssl::SslSocket, ssl::HelloExt)>,
) {
    let opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
        SslOption::Mode(Mode::Binary),
        // Passive: the test's process reads, not the listener's.
        SslOption::Active(ssl::Active::False),
    ];
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.expect("listen");
        port_tx
            .send(ssl::sockname(&l).await.unwrap().port())
            .unwrap();
        while let Ok(t) = ssl::transport_accept(&l, 20_000).await {
            match ssl::handshake_hello(&t, vec![], 10_000).await {
                Ok(paused) => {
                    let _ = tx.send(paused);
                }
                Err(e) => panic!("handshake_hello: {e}"),
            }
        }
    });
    (port_rx.await.unwrap(), rx)
}

/// `stdin` is written and closed; empty keeps it open for `Peer::send`.
fn s_client(pki: &Pki, port: u16, extra: &[&str], stdin: &[u8]) -> Peer {
    let connect = format!("127.0.0.1:{port}");
    let mut args = vec![
        "s_client",
        "-connect",
        &connect,
        "-CAfile",
        pki.ca.id.certfile.to_str().unwrap(),
        "-verify_return_error",
    ];
    if !stdin.is_empty() {
        // Read replies after stdin ends; -ign_eof also turns off the
        // k/K/Q command letters that an open stdin can type.
        args.push("-ign_eof");
    }
    args.extend_from_slice(extra);
    Peer::start("openssl", &args, stdin, !stdin.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_server_chooses_alpn_from_the_client_hello() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let (port, mut paused) = paused_server(&pki).await;
    let mut client = s_client(
        &pki,
        port,
        &["-servername", "localhost", "-alpn", "spdy/1,h2,http/1.1"],
        b"ping after a pause\n",
    );
    let (s, ext) = paused.recv().await.expect("a paused handshake");
    assert_eq!(ext.sni.as_deref(), Some("localhost"));
    assert_eq!(
        ext.alpn,
        vec![b"spdy/1".to_vec(), b"h2".to_vec(), b"http/1.1".to_vec()]
    );
    assert!(ext.versions.contains(&Version::Tlsv1_3), "{ext:?}");
    assert!(ext.versions.contains(&Version::Tlsv1_2), "{ext:?}");
    assert!(ext.cipher_suites.contains(&0x1301), "{ext:?}");
    assert!(ext.groups.iter().any(|g| g == "x25519"), "{ext:?}");
    assert!(
        ext.signature_algs
            .iter()
            .any(|a| a == "ecdsa_secp256r1_sha256"),
        "{ext:?}"
    );
    // Pick from what was offered: the second choice, to show it is ours.
    let pick = ext.alpn[1].clone();
    process::run(async move {
        let s = ssl::handshake_continue(
            &s,
            vec![SslOption::AlpnPreferredProtocols(vec![pick])],
            10_000,
        )
        .await
        .expect("handshake_continue");
        let info = ssl::connection_information(&s).await.unwrap();
        assert_eq!(info.negotiated_protocol.as_deref(), Some(&b"h2"[..]));
        assert_eq!(info.sni_hostname.as_deref(), Some("localhost"));
        let d = ssl::recv(&s, 0, 10_000)
            .await
            .expect("data after the pause");
        ssl::send(&s, d.as_bytes()).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        ssl::close(&s).await.unwrap();
    })
    .await;
    client.expect("ALPN protocol: h2", 10);
    client.expect("ping after a pause", 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_cancel_sends_user_canceled() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let (port, mut paused) = paused_server(&pki).await;
    let mut client = s_client(&pki, port, &["-servername", "nobody.test"], b"");
    let (s, ext) = paused.recv().await.expect("a paused handshake");
    assert_eq!(ext.sni.as_deref(), Some("nobody.test"));
    process::run(async move {
        ssl::handshake_cancel(&s).await.unwrap();
        // The socket is gone afterwards.
        assert!(ssl::send(&s, b"x").await.is_err());
    })
    .await;
    client.expect("alert number 90", 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_pause() {
    let err = process::run(ssl::connect(
        "localhost",
        1,
        vec![SslOption::Handshake(HandshakeMode::Hello)],
        1_000,
    ))
    .await
    .unwrap_err();
    let Reason::Options { option, detail, .. } = &err else {
        panic!("expected {{options, ...}}, got {err}")
    };
    assert_eq!(option, "handshake");
    assert!(detail.contains("ServerHello"), "{detail}");
    assert!(ssl::format_error(&err).contains("handshake"));
}

/// openssl's `K` sends a KeyUpdate asking for ours, `k` one that does not.
/// The record layer (the host's by default, the engine's with
/// `{record_offload, false}`) must follow both and keep echoing, answer the
/// request, and its own KeyUpdate (`update_keys`) must be one OpenSSL takes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_updates_both_ways_with_openssl() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    for offload in [true, false] {
        let port = wassl_tests::scripted_server(
            &pki,
            vec![SslOption::RecordOffload(offload)],
            |s| async move {
                // Echo every line; after "three", update our own keys.
                while let Some(Message::Ssl(_, d)) = process::receive_timeout(10_000).await {
                    ssl::send(&s, d.as_bytes()).await.unwrap();
                    if d.as_bytes().starts_with(b"three") {
                        ssl::update_keys(&s, ssl::KeyUpdate::Write).await.unwrap();
                    }
                }
            },
        )
        .await;
        let mut client = s_client(
            &pki,
            port,
            &["-servername", "localhost", "-tls1_3", "-msg"],
            b"",
        );
        client.expect("Verify return code: 0 (ok)", 10);
        client.send(b"one\n");
        client.expect("one", 10);
        // K: update and ask the server to; its KeyUpdate comes back (the
        // host's layer answers at once, rustls before its next write).
        client.send(b"K\n");
        client.expect(">>> TLS 1.3, Handshake [length 0005], KeyUpdate", 10);
        client.send(b"two\n");
        client.expect("<<< TLS 1.3, Handshake [length 0005], KeyUpdate", 10);
        client.expect("two", 10);
        client.send(b"k\n");
        client.expect(">>> TLS 1.3, Handshake [length 0005], KeyUpdate", 10);
        client.send(b"three\n");
        client.expect("three", 10);
        // The server's own update, then data under its new keys.
        client.expect("<<< TLS 1.3, Handshake [length 0005], KeyUpdate", 10);
        client.send(b"four\n");
        let line = client.expect("four", 10);
        assert!(line.contains("four"), "offload={offload}");
    }
}

/// 0-RTT: `openssl s_client` keeps a ticket from a first connection, then
/// sends early data on resumption; a wassl server with `{early_data,
/// enabled}` and stateful tickets accepts it and its owner gets the bytes
/// as ordinary data, before anything sent after the handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_sends_early_data_to_a_wassl_server() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let (tx, mut got) = tokio::sync::mpsc::unbounded_channel();
    let port = wassl_tests::scripted_server(
        &pki,
        vec![
            SslOption::SessionTickets(ssl::SessionTickets::Stateful),
            SslOption::EarlyData(ssl::EarlyData::Enabled),
        ],
        move |s| {
            let tx = tx.clone();
            async move {
                let resumed = ssl::connection_information(&s)
                    .await
                    .unwrap()
                    .session_resumption;
                let mut data = Vec::new();
                while let Some(Message::Ssl(_, d)) = process::receive_timeout(1_500).await {
                    data.extend_from_slice(d.as_bytes());
                }
                let _ = tx.send((resumed, String::from_utf8_lossy(&data).into_owned()));
            }
        },
    )
    .await;
    let dir = wassl_tests::scratch_dir("early");
    let (sess, early) = (dir.join("sess.pem"), dir.join("early.txt"));
    std::fs::write(&early, "zero round trips\n").unwrap();
    let connect = format!("127.0.0.1:{port}");
    let ca = pki.ca.id.certfile.to_str().unwrap().to_string();
    let base = [
        "s_client", "-connect", &connect, "-CAfile", &ca, "-tls1_3", "-ign_eof",
    ];
    let mut first = base.to_vec();
    first.extend(["-sess_out", sess.to_str().unwrap()]);
    let mut p = Peer::start("openssl", &first, b"first\n", true);
    p.expect("New, TLSv1.3", 10);
    p.finish(2);
    assert_eq!(got.recv().await.unwrap(), (false, "first\n".into()));
    let mut second = base.to_vec();
    second.extend([
        "-sess_in",
        sess.to_str().unwrap(),
        "-early_data",
        early.to_str().unwrap(),
    ]);
    let mut p = Peer::start("openssl", &second, b"after the handshake\n", true);
    p.expect("Reused, TLSv1.3", 10);
    p.expect("Early data was accepted", 10);
    let (resumed, data) = got.recv().await.unwrap();
    assert!(resumed);
    assert_eq!(data, "zero round trips\nafter the handshake\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_data_needs_stateful_tickets_and_a_server() {
    let e = process::run(ssl::listen(
        0,
        vec![
            SslOption::EarlyData(ssl::EarlyData::Enabled),
            SslOption::SessionTickets(ssl::SessionTickets::Stateless),
        ],
    ))
    .await
    .unwrap_err();
    assert!(
        ssl::format_error(&e).contains("stateful"),
        "{}",
        ssl::format_error(&e)
    );
    let e = process::run(ssl::connect(
        "localhost",
        1,
        vec![SslOption::EarlyData(ssl::EarlyData::Send(b"hi".to_vec()))],
        1_000,
    ))
    .await
    .unwrap_err();
    assert!(
        ssl::format_error(&e).contains("tickets"),
        "{}",
        ssl::format_error(&e)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_handshake_size_bounds_what_a_peer_may_send() {
    let pki = Pki::new();
    for (max, ok) in [(100usize, false), (64 * 1024, true)] {
        let opts = vec![
            SslOption::Certfile(pki.server.certfile.clone()),
            SslOption::Keyfile(pki.server.keyfile.clone()),
            SslOption::MaxHandshakeSize(max),
        ];
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        process::spawn(async move {
            let l = ssl::listen(0, opts).await.unwrap();
            port_tx
                .send(ssl::sockname(&l).await.unwrap().port())
                .unwrap();
            let t = ssl::transport_accept(&l, 10_000).await.unwrap();
            let _ = tx.send(ssl::handshake(&t, 10_000).await.map(|_| ()));
        });
        let port = port_rx.await.unwrap();
        let client = process::run(ssl::connect(
            "localhost",
            port,
            vec![SslOption::Cacertfile(pki.ca.id.certfile.clone())],
            10_000,
        ))
        .await;
        let server = rx.await.unwrap();
        assert_eq!(client.is_ok(), ok, "{max}: {client:?}");
        match server {
            Ok(()) => assert!(ok),
            Err(Reason::TlsAlert { description, text }) => {
                assert!(!ok);
                assert_eq!(description, "handshake_failure");
                assert!(text.contains("{max_handshake_size,100}"), "{text}");
            }
            Err(e) => panic!("{max}: {e}"),
        }
    }
}
