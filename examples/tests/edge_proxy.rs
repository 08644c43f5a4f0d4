//! The edge proxy (`wassl_examples::edge`) with curl as the client: a
//! certificate and a backend per SNI name, ALPN, client certificates, the
//! access log and a graceful shutdown.

use std::path::Path;
use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wassl::process;
use wassl_examples::edge::{serve, Config};
use wassl_tests::{require, scratch_dir, skip_interop, LeafSpec, Pki};

/// A plain-TCP HTTP/1.1 backend answering `backend NAME` to every request
/// (after `delay_ms`); returns its address.
async fn backend(name: &'static str, delay_ms: u64) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
                let body = format!("backend {name}\n");
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

/// curl `https://NAME:PORT/` resolved to 127.0.0.1; (success, stdout, stderr).
fn curl(ca: &Path, name: &str, port: u16, extra: &[&str]) -> (bool, String, String) {
    let resolve = format!("{name}:{port}:127.0.0.1");
    let url = format!("https://{name}:{port}/");
    let out = Command::new("curl")
        .args(["-sS", "-v", "--max-time", "10", "--cacert"])
        .arg(ca)
        .args(["--resolve", &resolve])
        .args(extra)
        .arg(&url)
        .output()
        .expect("run curl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn config(pki: &Pki, b: &wassl_tests::Identity, a_addr: &str, b_addr: &str, log: &Path) -> String {
    format!(
        r#"
listen = "127.0.0.1:0"
alpn = ["http/1.1"]
access_log = {log:?}
shutdown_grace_ms = 3000

[default]
certfile = {:?}
keyfile = {:?}
backend = "{a_addr}"

[[hosts]]
name = "b.test"
certfile = {:?}
keyfile = {:?}
backend = "{b_addr}"
"#,
        pki.server.certfile, pki.server.keyfile, b.certfile, b.keyfile,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_by_sni_logs_and_shuts_down_gracefully() {
    if skip_interop() {
        return;
    }
    require("curl");
    let pki = Pki::new();
    let b = pki.ca.issue(&LeafSpec {
        cn: "b.test",
        names: &["b.test"],
        expired: false,
        server: true,
    });
    let (a_addr, b_addr) = (backend("A", 0).await, backend("B", 700).await);
    let log = scratch_dir("edge").join("access.log");
    let cfg = Config::from_toml(&config(&pki, &b, &a_addr, &b_addr, &log)).unwrap();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let proxy = tokio::spawn(process::run(serve(cfg, ready_tx, async {
        let _ = stop_rx.await;
    })));
    let port = ready_rx.await.unwrap();
    let ca = pki.ca.id.certfile.clone();

    // localhost has no host entry: the default certificate and backend.
    let (ok, body, err) = tokio::task::spawn_blocking({
        let ca = ca.clone();
        move || curl(&ca, "localhost", port, &[])
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert_eq!(body, "backend A\n");
    assert!(err.contains("CN=localhost"), "{err}");
    assert!(err.contains("ALPN: server accepted http/1.1"), "{err}");

    // b.test: its own certificate (curl checks the name) and backend. Its
    // backend is slow: stop the proxy while the request is in flight.
    let slow = tokio::task::spawn_blocking({
        let ca = ca.clone();
        move || curl(&ca, "b.test", port, &[])
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop_tx.send(()).unwrap();
    let (ok, body, err) = slow.await.unwrap();
    assert!(
        ok,
        "the open connection finishes during the grace period: {err}"
    );
    assert_eq!(body, "backend B\n");
    assert!(err.contains("CN=b.test"), "{err}");
    proxy.await.unwrap().unwrap();

    // Closed for new connections now.
    let (ok, _, _) = curl(&ca, "localhost", port, &[]);
    assert!(!ok, "the proxy stopped listening");

    let lines = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].contains("sni=localhost alpn=http/1.1 version=tlsv1.3 resumed=false client_cert=false"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains(&format!("backend={a_addr}")) && lines[0].ends_with("result=ok"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("sni=b.test") && lines[1].contains(&format!("backend={b_addr}")),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("out=") && !lines[1].contains("out=0 "),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "shutdown: 0 connection(s) still open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_when_configured() {
    if skip_interop() {
        return;
    }
    require("curl");
    let pki = Pki::new();
    let a_addr = backend("A", 0).await;
    let log = scratch_dir("edge-mtls").join("access.log");
    let mut text = config(&pki, &pki.server, &a_addr, &a_addr, &log);
    text = text.replace(
        "shutdown_grace_ms = 3000",
        &format!(
            "shutdown_grace_ms = 3000\nclient_cacertfile = {:?}",
            pki.ca.id.certfile
        ),
    );
    let cfg = Config::from_toml(&text).unwrap();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (_stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(process::run(serve(cfg, ready_tx, async {
        let _ = stop_rx.await;
    })));
    let port = ready_rx.await.unwrap();
    let ca = pki.ca.id.certfile.clone();
    let (cert, key) = (pki.client.certfile.clone(), pki.client.keyfile.clone());
    let (without, with) = tokio::task::spawn_blocking(move || {
        let without = curl(&ca, "localhost", port, &[]);
        let with = curl(
            &ca,
            "localhost",
            port,
            &[
                "--cert",
                cert.to_str().unwrap(),
                "--key",
                key.to_str().unwrap(),
            ],
        );
        (without, with)
    })
    .await
    .unwrap();
    assert!(
        !without.0,
        "no client certificate, no response: {}",
        without.2
    );
    assert!(with.0, "{}", with.2);
    assert_eq!(with.1, "backend A\n");
    // A line is written when its connection ends, just after curl's.
    let mut lines = String::new();
    for _ in 0..100 {
        lines = std::fs::read_to_string(&log).unwrap_or_default();
        if lines.lines().count() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        lines.contains("client_cert=false") && lines.contains("result=handshake:"),
        "{lines}"
    );
    assert!(
        lines.contains("client_cert=true") && lines.contains("result=ok"),
        "{lines}"
    );
}

#[test]
fn bad_configs_are_refused_with_the_reason() {
    let e = Config::from_toml("listen = 1").unwrap_err();
    assert!(e.starts_with("config:"), "{e}");
    let e = Config::from_toml(
        "listen = \"127.0.0.1:0\"\nbogus = 1\n[default]\ncertfile = \"a\"\nkeyfile = \"b\"\nbackend = \"c\"\n",
    )
    .unwrap_err();
    assert!(e.contains("bogus"), "{e}");
}
