//! wassl with nginx (OpenSSL inside, its own TLS configuration), started by
//! the test in the foreground with a configuration of its own: a wassl
//! client against nginx's TLS 1.2 and 1.3, with ALPN and a client
//! certificate nginx verifies; and nginx as a TLS client of a wassl server
//! (`proxy_pass https://`, `proxy_ssl_verify on`).

use std::path::Path;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use wassl::ssl::{self, SslOption, Version};
use wassl::stream::{SslStream, TlsAcceptor, TlsConnector};
use wassl_tests::{free_port, require, scratch_dir, skip_interop, Peer, Pki};

/// nginx in the foreground, one process, everything under `dir`; waits
/// until `port` accepts.
async fn nginx(dir: &Path, http: &str, port: u16) -> Peer {
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n{http}\n}}\n",
        d = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let conf = dir.join("nginx.conf");
    let prefix = format!("{}/", dir.display());
    let p = Peer::start(
        "nginx",
        &["-e", "stderr", "-p", &prefix, "-c", conf.to_str().unwrap()],
        b"",
        true,
    );
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Not listening: this fails with everything nginx printed.
    let mut p = p;
    p.expect(&format!("nginx did not listen on {port}"), 1);
    unreachable!()
}

async fn get(stream: SslStream, path: &str) -> (u16, String) {
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::get(path)
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wassl_client_against_nginx() {
    if skip_interop() {
        return;
    }
    require("nginx");
    let pki = Pki::new();
    let dir = scratch_dir("nginx-server");
    let port = free_port();
    let http = format!(
        "  server {{\n    listen 127.0.0.1:{port} ssl http2;\n\
         ssl_certificate {cert};\n    ssl_certificate_key {key};\n\
         ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_client_certificate {ca};\n    ssl_verify_client optional;\n\
         location / {{ return 200 \"nginx $ssl_protocol verify=$ssl_client_verify dn=$ssl_client_s_dn\\n\"; }}\n  }}",
        cert = pki.server.certfile.display(),
        key = pki.server.keyfile.display(),
        ca = pki.ca.id.certfile.display(),
    );
    let _nginx = nginx(&dir, &http, port).await;
    for (version, name) in [(Version::Tlsv1_3, "TLSv1.3"), (Version::Tlsv1_2, "TLSv1.2")] {
        let connector = TlsConnector::new(vec![
            SslOption::Cacertfile(pki.ca.id.certfile.clone()),
            SslOption::Versions(vec![version]),
            SslOption::Certfile(pki.client.certfile.clone()),
            SslOption::Keyfile(pki.client.keyfile.clone()),
            SslOption::AlpnAdvertisedProtocols(vec![b"http/1.1".to_vec()]),
        ])
        .await
        .unwrap();
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let stream = connector.connect("localhost", tcp).await.unwrap();
        assert_eq!(
            ssl::negotiated_protocol(stream.socket()).await.unwrap(),
            b"http/1.1"
        );
        let (status, body) = get(stream, "/").await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            format!("nginx {name} verify=SUCCESS dn=CN=wassl client\n")
        );
    }
    // nginx's certificate checked against another CA: refused by wassl.
    let other = TlsConnector::new(vec![SslOption::Cacertfile(
        pki.other_ca.id.certfile.clone(),
    )])
    .await
    .unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let r = other.connect("localhost", tcp).await;
    let text = ssl::format_error(&r.err().expect("unknown CA"));
    assert!(
        text.contains("Unknown CA") || text.contains("unknown_ca"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_proxies_to_a_wassl_server_and_verifies_it() {
    if skip_interop() {
        return;
    }
    require("nginx");
    let pki = Pki::new();
    // The wassl server: hyper over TlsAcceptor, answering with what TLS said.
    let acceptor = TlsAcceptor::new(vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
    ])
    .await
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tls_port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let info = ssl::connection_information(stream.socket()).await.unwrap();
                let text = format!(
                    "wassl {} sni={}\n",
                    info.protocol.atom(),
                    info.sni_hostname.unwrap_or_default()
                );
                let service = hyper::service::service_fn(move |_req| {
                    let text = text.clone();
                    async move {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            Bytes::from(text),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let dir = scratch_dir("nginx-client");
    let port = free_port();
    let http = format!(
        "  server {{\n    listen 127.0.0.1:{port};\n    location / {{\n\
         proxy_pass https://127.0.0.1:{tls_port};\n      proxy_ssl_verify on;\n\
         proxy_ssl_trusted_certificate {ca};\n      proxy_ssl_name localhost;\n\
         proxy_ssl_server_name on;\n      proxy_ssl_protocols TLSv1.3;\n    }}\n  }}",
        ca = pki.ca.id.certfile.display(),
    );
    let _nginx = nginx(&dir, &http, port).await;
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let resp = send
        .send_request(
            hyper::Request::get("/")
                .header("host", "localhost")
                .body(Empty::<Bytes>::new())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
    assert_eq!(status, 200, "{log}");
    assert_eq!(
        String::from_utf8_lossy(&body),
        "wassl 'tlsv1.3' sni=localhost\n",
        "{log}"
    );
}
