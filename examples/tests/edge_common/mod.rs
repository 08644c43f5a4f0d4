//! What the edge proxy's test files share: backends, curl, a configuration.
#![allow(dead_code)] // each test file uses its own part

use std::path::Path;
use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wassl_examples::edge::{serve, Config};
use wassl_tests::Pki;

/// A running proxy: its (first) port, the sender that stops it (dropping
/// it stops it too), and its task, which ends with `serve`'s result.
pub(crate) struct Running {
    pub(crate) port: u16,
    pub(crate) stop: oneshot::Sender<()>,
    pub(crate) task: JoinHandle<Result<(), String>>,
}

/// Start the proxy on configuration `toml`; returns once it listens.
pub(crate) async fn start(toml: &str) -> Running {
    let cfg = Config::from_toml(toml).unwrap();
    let (ready_tx, ready_rx) = oneshot::channel();
    let (stop, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(cfg, ready_tx, async {
        let _ = stop_rx.await;
    }));
    let port = ready_rx.await.expect("the proxy listens");
    Running { port, stop, task }
}

/// Read an HTTP request's head (through the blank line); false if the
/// peer closed first.
pub(crate) async fn read_head(s: &mut TcpStream) -> bool {
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    true
}

/// Answer 200 with `body`, then close.
pub(crate) async fn answer(s: &mut TcpStream, body: &str) {
    let resp = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(resp.as_bytes()).await;
    let _ = s.shutdown().await;
}

/// A plain-TCP HTTP/1.1 backend answering `backend NAME` to every request
/// (after `delay_ms`); returns its address.
pub(crate) async fn backend(name: &'static str, delay_ms: u64) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                if !read_head(&mut s).await {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
                answer(&mut s, &format!("backend {name}\n")).await;
            });
        }
    });
    addr
}

/// curl `https://NAME:PORT/` resolved to 127.0.0.1; (success, stdout, stderr).
pub(crate) fn curl(ca: &Path, name: &str, port: u16, extra: &[&str]) -> (bool, String, String) {
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

pub(crate) fn config(
    pki: &Pki,
    b: &wassl_tests::Identity,
    a_addr: &str,
    b_addr: &str,
    log: &Path,
) -> String {
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
