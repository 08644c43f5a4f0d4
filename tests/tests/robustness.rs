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
        // A limit below what A's sandbox holds: its next call into the
        // engine ends it, as growing past the limit would.
        let used = ssl::engine_memory(&a).await.unwrap();
        assert!(used > 0);
        ssl::setopts(&a, vec![SslOption::EngineMemoryLimit(used / 2)])
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
        // B, in its own sandbox, carries on. Its TLS 1.3 records are the
        // host's, so a limit below what its sandbox holds does not end it.
        let b_used = ssl::engine_memory(&b).await.unwrap();
        ssl::setopts(&b, vec![SslOption::EngineMemoryLimit(b_used / 2)])
            .await
            .unwrap();
        assert_eq!(echo_once(&b, &big).await, big);
        ssl::connection_information(&b).await.unwrap();
        ssl::update_keys(&b, ssl::KeyUpdate::Write).await.unwrap();
        assert!(ssl::format_error(&err).contains("sandbox"));
    })
    .await;
}

/// Growing past `engine_memory_limit` traps the sandbox in the middle of
/// its work: 2 MiB of trusted certificates do not fit in 1 MiB. Only that
/// connect fails; the next one, without the limit, handshakes and echoes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_that_outgrows_its_limit_traps() {
    let pki = Pki::new();
    let (port, _results) = echo_server(&pki, 1).await;
    process::run(async {
        let der = &pki.ca.id.cert_der;
        let opts = vec![
            SslOption::Cacerts(vec![der.clone(); (2 << 20) / der.len()]),
            SslOption::Mode(Mode::Binary),
        ];
        let limited = [opts.clone(), vec![SslOption::EngineMemoryLimit(1 << 20)]].concat();
        let err = ssl::connect("localhost", port, limited, 10_000)
            .await
            .unwrap_err();
        let Reason::EngineTrap(text) = &err else {
            panic!("expected engine_trap, got {err}")
        };
        assert!(
            text.starts_with("memory limit reached: the engine wanted"),
            "{text}"
        );
        let s = ssl::connect("localhost", port, opts, 10_000).await.unwrap();
        assert_eq!(echo_once(&s, b"after").await, b"after");
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

/// The sandbox's entropy reaches the wire: ring inside the guest draws on
/// `wasi:random` (through the getrandom 0.2 stand-in in guest/vendor), so
/// two guest-only ClientHellos share neither random, session id nor key
/// share, and none of them is zeros.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_hellos_carry_fresh_randomness_from_the_sandbox() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hellos = tokio::spawn(async move {
        let mut hellos = Vec::new();
        for _ in 0..2 {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut header = [0u8; 5];
            s.read_exact(&mut header).await.unwrap();
            let mut body = vec![0u8; u16::from_be_bytes([header[3], header[4]]) as usize];
            s.read_exact(&mut body).await.unwrap();
            hellos.push(body);
        }
        hellos
    });
    process::run(async {
        for _ in 0..2 {
            let r = ssl::connect(
                "127.0.0.1",
                port,
                vec![
                    SslOption::Verify(ssl::Verify::VerifyNone),
                    SslOption::HostCrypto(false),
                    SslOption::Versions(vec![Version::Tlsv1_3]),
                ],
                5_000,
            )
            .await;
            assert_eq!(r.unwrap_err(), Reason::Closed);
        }
    })
    .await;
    let hellos = hellos.await.unwrap();
    // Handshake header (4), legacy version (2), random (32), session id.
    let fields = |h: &[u8]| -> Vec<Vec<u8>> {
        assert_eq!(h[0], 1, "a ClientHello");
        let random = h[6..38].to_vec();
        let sid = h[39..39 + h[38] as usize].to_vec();
        // The X25519 share: group 0x001d, length 32, inside key_share.
        let at = h
            .windows(4)
            .position(|w| w == [0x00, 0x1d, 0x00, 0x20])
            .expect("an X25519 key share");
        vec![random, sid, h[at + 4..at + 36].to_vec()]
    };
    let (a, b) = (fields(&hellos[0]), fields(&hellos[1]));
    for (name, (x, y)) in ["random", "session id", "key share"]
        .iter()
        .zip(a.iter().zip(&b))
    {
        assert_eq!(x.len(), 32, "{name}");
        assert_ne!(x, y, "{name} repeats");
        assert!(
            x.iter().any(|&b| b != 0) && y.iter().any(|&b| b != 0),
            "{name} is zeros"
        );
    }
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

        let npn = ssl::connect("localhost", port, vec![SslOption::ClientPreferredNextProtocols(vec![b"h2".to_vec()])], 2_000)
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

        // The other role's options are errors, as in modern OTP (OTP 25 ignored them).
        let mut opts = server_opts(&pki);
        opts.push(SslOption::AlpnAdvertisedProtocols(vec![b"h2".to_vec()]));
        let e = ssl::listen(0, opts).await.unwrap_err();
        assert_eq!(e.to_string(), "{option,client_only,alpn_advertised_protocols}");
        let e = ssl::connect("localhost", port, vec![SslOption::FailIfNoPeerCert(true)], 2_000).await.unwrap_err();
        assert_eq!(e.to_string(), "{option,server_only,fail_if_no_peer_cert}");
        assert!(ssl::format_error(&e).contains("server option"), "{}", ssl::format_error(&e));

        // Nothing listening: a POSIX reason.
        let e = ssl::connect("127.0.0.1", port, vec![SslOption::Verify(ssl::Verify::VerifyNone)], 2_000).await.unwrap_err();
        assert_eq!(e, Reason::Posix("econnrefused".into()));
    })
    .await;
}

/// A plain tokio task is not a process: the calls that make a socket's
/// owner answer `no_process` there instead of panicking, and the same calls
/// work inside `process::run`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_outside_a_process_answer_no_process() {
    let pki = Pki::new();
    let opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
    ];
    let e = tokio::spawn(ssl::listen(0, opts.clone()))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(e, Reason::NoProcess);
    assert_eq!(e.to_string(), "no_process");
    assert!(
        ssl::format_error(&e).contains("process::run"),
        "{}",
        ssl::format_error(&e)
    );
    let e = tokio::spawn(ssl::connect("localhost", 1, vec![], 1_000))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(e, Reason::NoProcess);
    // A socket made inside a process (which lives on), used from outside.
    process::run(async move {
        let l = ssl::listen(0, opts).await.unwrap();
        let l2 = l.clone();
        let e = tokio::spawn(async move { ssl::transport_accept(&l2, 10).await })
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(e, Reason::NoProcess);
        let l2 = l.clone();
        let e = tokio::spawn(async move { wassl::stream::SslStream::new(l2).await.map(drop) })
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(e, Reason::NoProcess);
        // Inside the process the same call is answered (nobody connects).
        let e = ssl::transport_accept(&l, 10).await.map(drop).unwrap_err();
        assert_eq!(e, Reason::Timeout);
    })
    .await;
}

/// A handshake that waits on a silent peer ends when its caller stops
/// waiting (the future dropped by a timeout) and when its owner ends: the
/// peer sees the connection close, instead of the socket (and its sandbox)
/// waiting for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_handshake_closes_its_connection() {
    let pki = Pki::new();
    let closed = |mut client: tokio::net::TcpStream| async move {
        let mut buf = [0u8; 16];
        let n = tokio::time::timeout(Duration::from_secs(10), client.read(&mut buf))
            .await
            .expect("the connection is closed once the handshake is abandoned");
        assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    };

    // The caller stops waiting; its process lives on.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (tcp, _) = listener.accept().await.unwrap();
    let opts = server_opts(&pki);
    process::run(async move {
        let r = tokio::time::timeout(
            Duration::from_millis(200),
            ssl::handshake_tcp(tcp, opts, ssl::Timeout::Infinity),
        )
        .await;
        assert!(r.is_err(), "the peer sent nothing");
        closed(client).await;
    })
    .await;

    // The owner ends while another process's handshake call waits.
    let (accepted, take) = tokio::sync::oneshot::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let opts = server_opts(&pki);
    let owner = process::spawn(async move {
        let l = ssl::listen(0, opts).await.unwrap();
        let port = ssl::sockname(&l).await.unwrap().port();
        let client = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let t = ssl::transport_accept(&l, 5_000).await.unwrap();
        let _ = accepted.send((t, client));
        let _ = stopped.await;
    });
    let (t, client) = take.await.unwrap();
    let call = tokio::spawn(process::run(async move {
        ssl::handshake(&t, ssl::Timeout::Infinity).await.err()
    }));
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(stop);
    owner.exited().await;
    closed(client).await;
    let err = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("the waiting handshake call is answered")
        .unwrap();
    assert!(matches!(err, Some(Reason::Closed)), "{err:?}");
}
