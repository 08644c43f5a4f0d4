//! The edge proxy's modes, with curl as the client: HTTP mode (HTTP/2 and
//! HTTP/1.1 from clients, HTTP/1.1 kept alive to backends, `Forwarded` and
//! `X-Forwarded-*` set by the proxy alone, the client certificate in a
//! header, 502 for a dead backend, 504 for a slow one), TCP mode's PROXY
//! protocol v2 header on several listeners, and the settings that cannot
//! work together refused at start.

use std::convert::Infallible;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wassl_examples::edge::{serve, Config};
use wassl_tests::{free_port, require, scratch_dir, skip_interop, LeafSpec, Pki};

mod edge_common;
use edge_common::{answer, backend, curl, read_head, start};

/// An HTTP/1.1 backend (hyper, keep-alive) answering with the request line
/// and headers it got; counts the connections it accepted.
async fn echo_backend() -> (String, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let conns = Arc::new(AtomicUsize::new(0));
    let counted = conns.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let echo = |req: Request<Incoming>| async move {
                    let mut text = format!("{} {} {:?}\n", req.method(), req.uri(), req.version());
                    for (k, v) in req.headers() {
                        text.push_str(&format!("{k}: {}\n", v.to_str().unwrap_or("?")));
                    }
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
                };
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), hyper::service::service_fn(echo))
                    .await;
            });
        }
    });
    (addr, conns)
}

/// An address nothing listens on.
async fn dead_address() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().to_string()
}

/// curl's (status line code, HTTP version, body) for `url` names.
fn fetch(ca: &Path, name: &str, port: u16, extra: &[&str]) -> (String, String, String) {
    let mut args = vec!["-w", "\n%{http_code} %{http_version}"];
    args.extend_from_slice(extra);
    let (_, out, err) = curl(ca, name, port, &args);
    let (body, tail) = out.rsplit_once('\n').unwrap_or(("", &out));
    let (code, version) = tail.split_once(' ').unwrap_or((tail, ""));
    assert!(!code.is_empty(), "{err}");
    (code.into(), version.into(), body.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_mode_forwards_h2_and_h1_with_forwarded_headers_and_answers_502_504() {
    if skip_interop() {
        return;
    }
    require("curl");
    let pki = Pki::new();
    let others = pki.ca.issue(&LeafSpec {
        cn: "others",
        names: &["dead.test", "slow.test"],
        expired: false,
        server: true,
    });
    let (echo, conns) = echo_backend().await;
    let (dead, slow) = (dead_address().await, backend("S", 3000).await);
    let log = scratch_dir("edge-http").join("access.log");
    let text = format!(
        r#"
listen = "127.0.0.1:0"
mode = "http"
alpn = ["h2", "http/1.1"]
access_log = {log:?}
client_cacertfile = {ca:?}
client_cert_header = "X-Client-Cert"
backend_response_timeout_ms = 500

[default]
certfile = {cert:?}
keyfile = {key:?}
backend = "{echo}"

[[hosts]]
name = "dead.test"
certfile = {ocert:?}
keyfile = {okey:?}
backend = "{dead}"

[[hosts]]
name = "slow.test"
certfile = {ocert:?}
keyfile = {okey:?}
backend = "{slow}"
"#,
        ca = pki.ca.id.certfile,
        cert = pki.server.certfile,
        key = pki.server.keyfile,
        ocert = others.certfile,
        okey = others.keyfile,
    );
    let proxy = start(&text).await;
    let port = proxy.port;
    let ca = pki.ca.id.certfile.clone();
    let (cert, key) = (pki.client.certfile.clone(), pki.client.keyfile.clone());
    let results = tokio::task::spawn_blocking(move || {
        let c = [
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ];
        // What a client claims about itself is dropped, not passed on.
        let forged = [
            "-H",
            "X-Forwarded-For: 6.6.6.6",
            "-H",
            "X-Client-Cert: forged",
        ];
        let h2 = fetch(
            &ca,
            "localhost",
            port,
            &[&c[..], &forged, &["--http2"]].concat(),
        );
        let h1 = fetch(&ca, "localhost", port, &[&c[..], &["--http1.1"]].concat());
        let dead = fetch(&ca, "dead.test", port, &c);
        let slow = fetch(&ca, "slow.test", port, &c);
        (h2, h1, dead, slow)
    })
    .await
    .unwrap();
    let (h2, h1, dead, slow) = results;

    assert_eq!((h2.0.as_str(), h2.1.as_str()), ("200", "2"), "{}", h2.2);
    let body = &h2.2;
    assert!(body.starts_with("GET / HTTP/1.1\n"), "{body}");
    assert!(
        body.contains(&format!("host: localhost:{port}\n")),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "forwarded: for=127.0.0.1;proto=https;host=\"localhost:{port}\"\n"
        )),
        "{body}"
    );
    assert!(body.contains("x-forwarded-for: 127.0.0.1\n"), "{body}");
    assert!(body.contains("x-forwarded-proto: https\n"), "{body}");
    assert!(
        !body.contains("6.6.6.6") && !body.contains("forged"),
        "{body}"
    );
    // The client certificate that was verified, as URL-escaped PEM.
    let line = body
        .lines()
        .find(|l| l.starts_with("x-client-cert: "))
        .unwrap_or_else(|| panic!("{body}"));
    assert!(
        line.starts_with("x-client-cert: -----BEGIN%20CERTIFICATE-----%0A"),
        "{line}"
    );
    assert!(line.ends_with("-----END%20CERTIFICATE-----%0A"), "{line}");

    assert_eq!((h1.0.as_str(), h1.1.as_str()), ("200", "1.1"), "{}", h1.2);
    assert!(h1.2.contains("x-forwarded-for: 127.0.0.1\n"), "{}", h1.2);
    assert_eq!(dead.0, "502", "{}", dead.2);
    assert_eq!(dead.2, "502 Bad Gateway\n");
    assert_eq!(slow.0, "504", "{}", slow.2);

    // Requests of one client connection share a kept-alive backend connection.
    let before = conns.load(Ordering::SeqCst);
    let ca = pki.ca.id.certfile.clone();
    let (cert, key) = (pki.client.certfile.clone(), pki.client.keyfile.clone());
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        let url = format!("https://localhost:{port}/second");
        curl(
            &ca,
            "localhost",
            port,
            &[
                "--cert",
                cert.to_str().unwrap(),
                "--key",
                key.to_str().unwrap(),
                &url,
            ],
        )
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert!(
        out.contains("GET / HTTP/1.1") && out.contains("GET /second HTTP/1.1"),
        "{out}"
    );
    assert_eq!(conns.load(Ordering::SeqCst) - before, 1);
}

/// A backend that reads a PROXY v2 header, then an HTTP request, and
/// answers with what the header said.
async fn proxy_v2_backend() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 16];
                if s.read_exact(&mut head).await.is_err() {
                    return;
                }
                let mut rest = vec![0u8; u16::from_be_bytes([head[14], head[15]]) as usize];
                if s.read_exact(&mut rest).await.is_err() {
                    return;
                }
                let mut said = format!(
                    "sig={} cmd={:#x} fam={:#x}",
                    head[..12] == *b"\r\n\r\n\0\r\nQUIT\n",
                    head[12],
                    head[13]
                );
                if head[13] == 0x11 {
                    let ip = |b: &[u8]| format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]);
                    let port = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]);
                    said += &format!(
                        " src={}:{} dst={}:{}",
                        ip(&rest[0..4]),
                        port(&rest[8..10]),
                        ip(&rest[4..8]),
                        port(&rest[10..12])
                    );
                    let mut t = &rest[12..];
                    while t.len() >= 3 {
                        let len = u16::from_be_bytes([t[1], t[2]]) as usize;
                        let v = &t[3..3 + len];
                        match t[0] {
                            0x01 => said += &format!(" alpn={}", String::from_utf8_lossy(v)),
                            0x02 => said += &format!(" sni={}", String::from_utf8_lossy(v)),
                            0x20 => {
                                said += &format!(" client={:#x}", v[0]);
                                if v.len() > 8 && v[5] == 0x21 {
                                    said +=
                                        &format!(" version={}", String::from_utf8_lossy(&v[8..]));
                                }
                            }
                            _ => {}
                        }
                        t = &t[3 + len..];
                    }
                }
                if read_head(&mut s).await {
                    answer(&mut s, &format!("{said}\n")).await;
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_mode_sends_a_proxy_v2_header_on_every_listener() {
    if skip_interop() {
        return;
    }
    require("curl");
    let pki = Pki::new();
    let be = proxy_v2_backend().await;
    let log = scratch_dir("edge-pp2").join("access.log");
    let (p1, p2) = (free_port(), free_port());
    let text = format!(
        r#"
listen = ["127.0.0.1:{p1}", "127.0.0.1:{p2}"]
proxy_protocol = "v2"
alpn = ["http/1.1"]
access_log = {log:?}

[default]
certfile = {cert:?}
keyfile = {key:?}
backend = "{be}"
"#,
        cert = pki.server.certfile,
        key = pki.server.keyfile,
    );
    let _proxy = start(&text).await;
    assert_eq!(_proxy.port, p1);
    for port in [p1, p2] {
        let ca = pki.ca.id.certfile.clone();
        let (ok, body, err) =
            tokio::task::spawn_blocking(move || curl(&ca, "localhost", port, &["--http1.1"]))
                .await
                .unwrap();
        assert!(ok, "{err}");
        assert!(
            body.starts_with("sig=true cmd=0x21 fam=0x11 src=127.0.0.1:"),
            "{body}"
        );
        assert!(
            body.contains(&format!(
                " dst=127.0.0.1:{port} alpn=http/1.1 sni=localhost client=0x1 version=TLSv1.3\n"
            )),
            "{body}"
        );
    }
    let lines = std::fs::read_to_string(&log).unwrap();
    assert!(
        lines.contains(&format!("listening: 127.0.0.1:{p1} 127.0.0.1:{p2}")),
        "{lines}"
    );
}

/// Settings that cannot work together stop the proxy at start, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mode_settings_that_cannot_work_are_refused_at_start() {
    let pki = Pki::new();
    let base = format!(
        "listen = \"127.0.0.1:0\"\n[default]\ncertfile = {:?}\nkeyfile = {:?}\nbackend = \"127.0.0.1:9\"\n",
        pki.server.certfile, pki.server.keyfile
    );
    for (top, says) in [
        ("alpn = [\"h2\"]", "alpn \"h2\" in TCP mode"),
        (
            "client_cert_header = \"X-C\"",
            "client_cert_header: HTTP mode only",
        ),
        (
            "mode = \"http\"\nproxy_protocol = \"v2\"",
            "proxy_protocol: TCP mode only",
        ),
        (
            "mode = \"http\"\nclient_cert_header = \"X-C\"",
            "needs client_cacertfile",
        ),
        (
            "mode = \"http\"\nalpn = [\"spdy/3\"]",
            "HTTP mode speaks h2 and http/1.1",
        ),
    ] {
        let cfg = Config::from_toml(&format!("{top}\n{base}")).unwrap();
        let (ready, _) = tokio::sync::oneshot::channel();
        let e = serve(cfg, ready, std::future::pending()).await.unwrap_err();
        assert!(e.contains(says), "{top}: {e}");
    }
    let cfg = Config::from_toml(&base.replace("listen = \"127.0.0.1:0\"", "listen = []")).unwrap();
    let (ready, _) = tokio::sync::oneshot::channel();
    let e = serve(cfg, ready, std::future::pending()).await.unwrap_err();
    assert!(e.contains("listen: no address"), "{e}");
    // With backends that speak it, h2 in TCP mode is the operator's choice.
    let proxy = start(&format!(
        "alpn = [\"h2\"]\nbackends_speak_h2 = true\n{base}"
    ))
    .await;
    assert_ne!(proxy.port, 0);
}

/// `handshake_timeout_ms` and `max_handshakes_per_address`: a host that
/// stalls a handshake holds its one slot until the deadline; meanwhile its
/// next connection is refused with an alert, and afterwards served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_address_is_limited_then_dropped_at_the_deadline() {
    if skip_interop() {
        return;
    }
    require("curl");
    let pki = Pki::new();
    let a = backend("A", 0).await;
    let log = scratch_dir("edge-limit").join("access.log");
    let text = format!(
        "listen = \"127.0.0.1:0\"\nhandshake_timeout_ms = 1500\nmax_handshakes_per_address = 1\n\
         access_log = {log:?}\n[default]\ncertfile = {:?}\nkeyfile = {:?}\nbackend = \"{a}\"\n",
        pki.server.certfile, pki.server.keyfile
    );
    let proxy = start(&text).await;
    let port = proxy.port;
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stalled.write_all(&[22, 3, 1, 0, 200, 1]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let ca = pki.ca.id.certfile.clone();
    let (ok, _, err) = tokio::task::spawn_blocking(move || curl(&ca, "localhost", port, &[]))
        .await
        .unwrap();
    assert!(!ok && err.contains("internal error"), "{err}");
    // The stalled handshake ends at its deadline: the server closes it.
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), stalled.read(&mut buf))
        .await
        .expect("closed at the deadline");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    let ca = pki.ca.id.certfile.clone();
    let (ok, body, err) = tokio::task::spawn_blocking(move || curl(&ca, "localhost", port, &[]))
        .await
        .unwrap();
    assert!(ok && body == "backend A\n", "{err}");
    let lines = std::fs::read_to_string(&log).unwrap();
    assert!(lines.contains("result=handshake:system_limit"), "{lines}");
    assert!(lines.contains("result=handshake:timeout"), "{lines}");
}
