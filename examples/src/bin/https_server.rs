//! `https_server`: hyper serving HTTPS over wassl, unchanged hyper code on a
//! [`wassl::stream::SslStream`].
//!
//! ```text
//! https_server [-accept PORT] [-cert FILE -key FILE]
//! ```
//! Without `-cert`, it makes a throwaway CA and prints where its certificate
//! is, so `curl --cacert <that file> https://localhost:PORT/` works.

use std::convert::Infallible;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use wassl::process;
use wassl::ssl::{self, SslOption};
use wassl::stream::SslStream;
use wassl_examples::Flags;

async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = format!("hello from wassl: {} {}\n", req.method(), req.uri().path());
    Ok(Response::new(Full::new(Bytes::from(body))))
}

#[tokio::main]
async fn main() {
    let f = Flags::from_env();
    f.check(
        "usage: https_server [-accept PORT] [-cert FILE -key FILE]\n\n\
         hyper serving HTTPS over wassl, one owner process per connection.\n\
         Without -cert it makes a throwaway CA and prints where its certificate is.",
        &[],
        &["-accept", "-cert", "-key"],
    );
    let port: u16 = f
        .value("-accept")
        .and_then(|p| p.parse().ok())
        .unwrap_or(8443);
    let pki = wassl_tests::Pki::new();
    let (cert, key) = match (f.value("-cert"), f.value("-key")) {
        (Some(c), Some(k)) => (c.into(), k.into()),
        _ => {
            eprintln!("throwaway CA: {}", pki.ca.id.certfile.display());
            (pki.server.certfile.clone(), pki.server.keyfile.clone())
        }
    };
    process::run(async move {
        let l = ssl::listen(
            port,
            vec![
                SslOption::Certfile(cert),
                SslOption::Keyfile(key),
                SslOption::AlpnPreferredProtocols(vec![b"http/1.1".to_vec()]),
                SslOption::Reuseaddr(true),
                SslOption::Backlog(1024),
                SslOption::Active(ssl::Active::False),
            ],
        )
        .await
        .unwrap_or_else(|e| {
            eprintln!("https_server: listen: {}", ssl::format_error(&e));
            std::process::exit(1);
        });
        eprintln!(
            "listening on https://localhost:{}/",
            ssl::sockname(&l).await.map(|a| a.port()).unwrap_or(port)
        );
        loop {
            let Ok(t) = ssl::transport_accept(&l, ssl::Timeout::Infinity).await else {
                continue;
            };
            // One process per connection, as an Erlang server would.
            let (tx, rx) = tokio::sync::oneshot::channel();
            let w = process::spawn(async move {
                let Ok(t) = rx.await else { return };
                let Ok(s) = ssl::handshake(&t, 10_000).await else {
                    return;
                };
                let Ok(stream) = SslStream::new(s).await else {
                    return;
                };
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(hello));
                if let Err(e) = conn.await {
                    eprintln!("connection: {e}");
                }
            });
            if ssl::controlling_process(&t, &w).await.is_ok() {
                let _ = tx.send(t);
            }
        }
    })
    .await;
}
