//! What the edge proxy's test files share: backends, curl, a configuration.
#![allow(dead_code)] // each test file uses its own part

use std::path::Path;
use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wassl_tests::Pki;

/// A plain-TCP HTTP/1.1 backend answering `backend NAME` to every request
/// (after `delay_ms`); returns its address.
pub(crate) async fn backend(name: &'static str, delay_ms: u64) -> String {
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
