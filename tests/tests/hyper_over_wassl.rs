//! hyper, unchanged, over `wassl::stream::SslStream`: a hyper server that
//! `curl` fetches from, and a hyper client that fetches from it too.

use std::convert::Infallible;

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use wassl::process;
use wassl::ssl::{self, Mode, SslOption};
use wassl::stream::SslStream;
use wassl_tests::{require, skip_interop, Pki};

async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok(Response::new(Full::new(Bytes::from(format!(
        "hello from wassl, {} bytes in",
        body.len()
    )))))
}

async fn hyper_server(pki: &Pki) -> u16 {
    let opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
        SslOption::AlpnPreferredProtocols(vec![b"http/1.1".to_vec()]),
        SslOption::Active(ssl::Active::False),
    ];
    let (tx, rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.unwrap();
        tx.send(ssl::sockname(&l).await.unwrap().port()).unwrap();
        loop {
            let Ok(t) = ssl::transport_accept(&l, 30_000).await else {
                return;
            };
            let Ok(s) = ssl::handshake(&t, 10_000).await else {
                continue;
            };
            let stream = SslStream::new(s).await.unwrap();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(hello))
                    .await;
            });
        }
    });
    rx.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_fetches_from_hyper_over_wassl() {
    if skip_interop() {
        return;
    }
    require("curl");
    let pki = Pki::new();
    let port = hyper_server(&pki).await;
    let ca = pki.ca.id.certfile.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "20",
                "--cacert",
                ca.to_str().unwrap(),
                "-d",
                "twelve bytes",
                &format!("https://localhost:{port}/x"),
            ])
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
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello from wassl, 12 bytes in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_client_over_wassl() {
    let pki = Pki::new();
    let port = hyper_server(&pki).await;
    let body = process::run(async {
        let s = ssl::connect(
            "localhost",
            port,
            vec![
                SslOption::Cacertfile(pki.ca.id.certfile.clone()),
                SslOption::AlpnAdvertisedProtocols(vec![b"http/1.1".to_vec()]),
                SslOption::Mode(Mode::Binary),
            ],
            10_000,
        )
        .await
        .unwrap();
        assert_eq!(ssl::negotiated_protocol(&s).await.unwrap(), b"http/1.1");
        let stream = SslStream::new(s).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let mut bodies = Vec::new();
        for _ in 0..3 {
            sender.ready().await.unwrap();
            let req = Request::get("/")
                .header("host", "localhost")
                .body(Empty::<Bytes>::new())
                .unwrap();
            let resp = sender.send_request(req).await.unwrap();
            assert!(resp.status().is_success());
            bodies.push(resp.into_body().collect().await.unwrap().to_bytes());
        }
        bodies
    })
    .await;
    assert_eq!(body.len(), 3, "three requests on one keep-alive connection");
    assert!(body.iter().all(|b| b == "hello from wassl, 0 bytes in"));
}

/// An active socket that already delivered data: `SslStream::new` takes the
/// messages back from the owner's mailbox, in order, before reading more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_takes_back_data_already_delivered() {
    use tokio::io::AsyncReadExt;
    let pki = Pki::new();
    let opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
    ];
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (got_tx, got_rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.unwrap();
        tx.send(ssl::sockname(&l).await.unwrap().port()).unwrap();
        let t = ssl::transport_accept(&l, 10_000).await.unwrap();
        let s = ssl::handshake(&t, 10_000).await.unwrap();
        // Active (the default): "first " arrives as a message in our mailbox.
        while process::self_pid().message_queue_len() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let mut stream = SslStream::new(s).await.unwrap();
        assert_eq!(
            process::self_pid().message_queue_len(),
            0,
            "the stream took the message"
        );
        let mut all = vec![0u8; 12];
        stream.read_exact(&mut all).await.unwrap();
        got_tx.send(all).unwrap();
    });
    let port = rx.await.unwrap();
    process::run(async {
        let s = ssl::connect(
            "localhost",
            port,
            vec![SslOption::Cacertfile(pki.ca.id.certfile.clone())],
            10_000,
        )
        .await
        .unwrap();
        ssl::send(&s, b"first ").await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        ssl::send(&s, b"second").await.unwrap();
        assert_eq!(got_rx.await.unwrap(), b"first second");
    })
    .await;
}
