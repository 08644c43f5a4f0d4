//! The tokio-rustls-shaped face: `TlsAcceptor` and `TlsConnector` from plain
//! tokio tasks (no `process::run` anywhere in this file), carrying hyper and
//! axum servers and a hyper client, one task per connection so a slow
//! handshake holds up nobody else.

use std::convert::Infallible;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use wassl::ssl::{self, HandshakeMode, Reason, SslOption};
use wassl::stream::{SslStream, TlsAcceptor, TlsConnector};
use wassl_tests::{require, skip_interop, Pki};

fn server_options(pki: &Pki) -> Vec<SslOption> {
    vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
        SslOption::AlpnPreferredProtocols(vec![b"http/1.1".to_vec()]),
    ]
}

async fn connector(pki: &Pki) -> TlsConnector {
    TlsConnector::new(vec![
        SslOption::Cacertfile(pki.ca.id.certfile.clone()),
        SslOption::AlpnAdvertisedProtocols(vec![b"http/1.1".to_vec()]),
    ])
    .await
    .unwrap()
}

async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from(format!(
        "hyper over TlsAcceptor: {}",
        req.uri().path()
    )))))
}

/// The non-blocking pattern: accept TCP in the loop, handshake and serve in
/// a task per connection.
async fn hyper_server(acceptor: TlsAcceptor) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(hello))
                    .await;
            });
        }
    });
    port
}

async fn axum_server(acceptor: TlsAcceptor) -> u16 {
    use axum::routing::{get, post};
    let app = axum::Router::new()
        .route("/", get(|| async { "axum over TlsAcceptor" }))
        .route(
            "/len",
            post(|body: Bytes| async move { format!("{} bytes", body.len()) }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app))
                    .await;
            });
        }
    });
    port
}

async fn get_over(stream: SslStream, path: &str) -> (hyper::StatusCode, Bytes) {
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::get(path)
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status();
    (status, resp.into_body().collect().await.unwrap().to_bytes())
}

/// hyper on both sides, and a client whose TCP connection sends nothing is
/// open the whole time: its handshake waits in its own task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_server_and_client_with_an_idle_client_open() {
    let pki = Pki::new();
    let port = hyper_server(TlsAcceptor::new(server_options(&pki)).await.unwrap()).await;
    let _idle = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let connector = connector(&pki).await;
    let fetch = async {
        let mut bodies = Vec::new();
        for path in ["/a", "/b"] {
            let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let stream = connector.connect("localhost", tcp).await.unwrap();
            assert_eq!(
                ssl::negotiated_protocol(stream.socket()).await.unwrap(),
                b"http/1.1"
            );
            bodies.push(get_over(stream, path).await);
        }
        bodies
    };
    // A sequential accept would wait for the idle client for ever.
    let bodies = tokio::time::timeout(Duration::from_secs(30), fetch)
        .await
        .expect("requests finish while an idle client holds a handshake open");
    assert_eq!(bodies[0].1, "hyper over TlsAcceptor: /a");
    assert_eq!(bodies[1].1, "hyper over TlsAcceptor: /b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_server_answers_hyper_and_curl() {
    let pki = Pki::new();
    let port = axum_server(TlsAcceptor::new(server_options(&pki)).await.unwrap()).await;
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let stream = connector(&pki)
        .await
        .connect("localhost", tcp)
        .await
        .unwrap();
    let (status, body) = get_over(stream, "/").await;
    assert!(status.is_success());
    assert_eq!(body, "axum over TlsAcceptor");
    if skip_interop() {
        return;
    }
    require("curl");
    let ca = pki.ca.id.certfile.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["-sS", "--max-time", "20", "--cacert"])
            .arg(&ca)
            .args(["-d", "seventeen bytes!!"])
            .arg(format!("https://localhost:{port}/len"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "17 bytes");
}

/// A caller's timeout drops the `accept` future: the connection closes at
/// once (the peer reads the end), not when some handshake limit passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_accept_closes_the_connection() {
    let pki = Pki::new();
    let acceptor = TlsAcceptor::new(server_options(&pki)).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut client = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (tcp, _) = listener.accept().await.unwrap();
    let r = tokio::time::timeout(Duration::from_millis(200), acceptor.accept(tcp)).await;
    assert!(
        r.is_err(),
        "nothing was sent, so the handshake cannot finish"
    );
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(10), client.read(&mut buf))
        .await
        .expect("the abandoned connection is closed, not left waiting");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_timeout_answers_timeout() {
    let pki = Pki::new();
    let acceptor = TlsAcceptor::new(server_options(&pki))
        .await
        .unwrap()
        .handshake_timeout(300);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _client = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (tcp, _) = listener.accept().await.unwrap();
    let r = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp))
        .await
        .expect("the handshake limit applies");
    assert!(matches!(r, Err(Reason::Timeout)), "{:?}", r.err());
}

/// Servers facing the internet get a handshake deadline without asking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acceptor_has_a_handshake_deadline_by_default() {
    let pki = Pki::new();
    let acceptor = TlsAcceptor::new(server_options(&pki)).await.unwrap();
    assert_eq!(
        acceptor.handshake_timeout_value(),
        ssl::Timeout::After(wassl::stream::DEFAULT_HANDSHAKE_TIMEOUT)
    );
    assert_eq!(
        acceptor
            .handshake_timeout(ssl::Timeout::Infinity)
            .handshake_timeout_value(),
        ssl::Timeout::Infinity
    );
}

/// One address trickling handshakes cannot hold more than its share:
/// past the limit it is refused with an alert at once, other handshakes
/// (and that address, once one finishes) go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshakes_per_address_are_limited() {
    let pki = Pki::new();
    let acceptor = TlsAcceptor::new(server_options(&pki))
        .await
        .unwrap()
        .handshake_timeout(3000)
        .max_handshakes_per_address(2);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut stalled = Vec::new();
    let mut pending = Vec::new();
    for _ in 0..2 {
        // Half a ClientHello record: a handshake in progress, never done.
        let mut c = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut c, &[22, 3, 1, 0, 200, 1])
            .await
            .unwrap();
        stalled.push(c);
        let (tcp, _) = listener.accept().await.unwrap();
        let a = acceptor.clone();
        pending.push(tokio::spawn(async move { a.accept(tcp).await.map(|_| ()) }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (tcp, _) = listener.accept().await.unwrap();
    let r = tokio::time::timeout(Duration::from_secs(1), acceptor.accept(tcp))
        .await
        .expect("refused at once, not after the deadline");
    assert!(matches!(r, Err(Reason::SystemLimit)), "{:?}", r.err());
    let mut buf = [0u8; 16];
    let n = third.read(&mut buf).await.unwrap();
    assert_eq!(
        &buf[..n],
        &[21, 3, 3, 0, 2, 2, 80],
        "a fatal internal_error alert"
    );

    // The two stalled ones end at their deadline; then the address may
    // handshake again, and a real client completes.
    for p in pending {
        let r = p.await.unwrap();
        assert!(matches!(r, Err(Reason::Timeout)), "{r:?}");
    }
    let served = tokio::spawn({
        let acceptor = acceptor.clone();
        async move {
            let (tcp, _) = listener.accept().await.unwrap();
            acceptor.accept(tcp).await.map(|_| ())
        }
    });
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let stream = connector(&pki).await.connect("localhost", tcp).await;
    assert!(stream.is_ok(), "{:?}", stream.err());
    assert!(served.await.unwrap().is_ok());
}

/// Errors come back as `Reason`s, from `new` for bad options and from
/// `connect` for a certificate the client cannot verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_reasons() {
    let pki = Pki::new();
    let missing = TlsAcceptor::new(vec![
        SslOption::Certfile("/nonexistent/server.pem".into()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
    ])
    .await;
    let text = ssl::format_error(&missing.err().expect("a missing certificate is refused"));
    assert!(text.contains("server.pem"), "{text}");
    let paused = TlsAcceptor::new(
        [
            server_options(&pki),
            vec![SslOption::Handshake(HandshakeMode::Hello)],
        ]
        .concat(),
    )
    .await;
    assert!(matches!(paused, Err(Reason::Options { .. })));

    let port = hyper_server(TlsAcceptor::new(server_options(&pki)).await.unwrap()).await;
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let other = TlsConnector::new(vec![SslOption::Cacertfile(
        pki.other_ca.id.certfile.clone(),
    )])
    .await
    .unwrap();
    let err = other
        .connect("localhost", tcp)
        .await
        .err()
        .expect("a server from another CA is refused");
    assert!(
        matches!(err, Reason::TlsAlert { ref description, .. } if description == "unknown_ca"),
        "{err:?}"
    );
}

/// `SslStream::relay` joins a TLS stream to a TCP one as
/// `copy_bidirectional` does: bytes the stream read before go first, each
/// side's end of data becomes the other's (close_notify, FIN) while the
/// other direction goes on, and it answers the bytes moved each way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_joins_a_stream_to_tcp_and_passes_each_end_on() {
    use tokio::io::AsyncWriteExt;
    let pki = Pki::new();
    let acceptor = TlsAcceptor::new(server_options(&pki)).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let backend = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend_port = backend.local_addr().unwrap().port();
    // Several records' worth each way, in patterns a reordering would break.
    let request: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let answer: Vec<u8> = (0..700_000u32).map(|i| (i % 241) as u8).collect();

    let (req, ans) = (request.clone(), answer.clone());
    let backend_task = tokio::spawn(async move {
        let (mut tcp, _) = backend.accept().await.unwrap();
        let mut got = Vec::new();
        // The client's close_notify arrives here as a FIN.
        tcp.read_to_end(&mut got).await.unwrap();
        assert!(got == req[5..], "the backend got {} bytes", got.len());
        tcp.write_all(&ans).await.unwrap();
    });
    let proxy = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        // The proxy reads 5 bytes itself (a protocol sniff); the rest of
        // what it read must still reach the backend, first.
        let mut head = [0u8; 5];
        tls.read_exact(&mut head).await.unwrap();
        let mut up = TcpStream::connect(("127.0.0.1", backend_port))
            .await
            .unwrap();
        (head, tls.relay(&mut up).await.unwrap())
    });

    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut client = connector(&pki)
        .await
        .connect("localhost", tcp)
        .await
        .unwrap();
    client.write_all(&request).await.unwrap();
    client.shutdown().await.unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), client.read_to_end(&mut got))
        .await
        .expect("the backend's end reaches the client")
        .unwrap();
    assert!(got == answer, "the client got {} bytes", got.len());
    backend_task.await.unwrap();
    let (head, moved) = proxy.await.unwrap();
    assert_eq!(head, request[..5]);
    assert_eq!(
        moved,
        ((request.len() - 5) as u64, answer.len() as u64),
        "bytes moved to the backend and from it"
    );
}
