//! `rustls_server`: the yardstick for wassl's servers: a minimal
//! tokio-rustls echo server of the same shape as `s_server` (one task per
//! connection, what a client sends is echoed back), as a user of
//! tokio-rustls would write it.
//!
//! ```text
//! rustls_server -accept PORT -cert cert.pem -key key.pem [-tickets none|stateful|stateless]
//!               [-provider ring|aws-lc-rs] [-tls1_2|-tls1_3] [-nodelay]
//! ```
//! `-tickets none` (the default, as `s_server`) sends no TLS 1.3 tickets;
//! TLS 1.2 resumes by session ID either way. `-provider aws-lc-rs` (rustls's
//! default provider) needs `cargo build -p wassl-yardstick --features aws-lc`.
//! `-nodelay` sets `TCP_NODELAY` on each connection, as `s_server -nodelay`.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const USAGE: &str = "usage: rustls_server -accept PORT -cert FILE -key FILE \
[-tickets none|stateful|stateless] [-provider ring|aws-lc-rs] [-tls1_2|-tls1_3] [-nodelay]";

/// `-name value` flags, as `openssl s_server` takes them.
struct Flags(Vec<String>);

impl Flags {
    fn value(&self, name: &str) -> Option<String> {
        let i = self.0.iter().position(|a| a == name)?;
        self.0.get(i + 1).cloned()
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|a| a == name)
    }

    /// Flags neither in `known` nor taking a value from `with_value`.
    fn unknown(&self, known: &[&str], with_value: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.0.len() {
            let a = self.0[i].as_str();
            if with_value.contains(&a) {
                i += 2;
                continue;
            }
            if !known.contains(&a) {
                out.push(a.to_string());
            }
            i += 1;
        }
        out
    }
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("rustls_server: {msg}\n{USAGE}");
    std::process::exit(2)
}

fn provider(name: &str) -> rustls::crypto::CryptoProvider {
    match name {
        "ring" => rustls::crypto::ring::default_provider(),
        #[cfg(feature = "aws-lc")]
        "aws-lc-rs" => rustls::crypto::aws_lc_rs::default_provider(),
        #[cfg(not(feature = "aws-lc"))]
        "aws-lc-rs" => fail(
            "built without the aws-lc feature (cargo build -p wassl-yardstick --features aws-lc)",
        ),
        other => fail(format!("unknown provider {other}")),
    }
}

fn config(f: &Flags) -> rustls::ServerConfig {
    let cert = f
        .value("-cert")
        .unwrap_or_else(|| fail("-cert is required"));
    let key = f.value("-key").unwrap_or_else(|| fail("-key is required"));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .and_then(|i| i.collect())
        .unwrap_or_else(|e| fail(format!("{cert}: {e}")));
    let key = PrivateKeyDer::from_pem_file(&key).unwrap_or_else(|e| fail(format!("{key}: {e}")));
    let provider = Arc::new(provider(
        &f.value("-provider").unwrap_or_else(|| "ring".into()),
    ));
    let versions: &[&rustls::SupportedProtocolVersion] = if f.has("-tls1_2") {
        &[&rustls::version::TLS12]
    } else if f.has("-tls1_3") {
        &[&rustls::version::TLS13]
    } else {
        rustls::ALL_VERSIONS
    };
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .unwrap_or_else(|e| fail(e))
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap_or_else(|e| fail(e));
    // wassl keeps 20,000 sessions; rustls's default keeps 256.
    cfg.session_storage = rustls::server::ServerSessionMemoryCache::new(20_000);
    match f.value("-tickets").as_deref().unwrap_or("none") {
        "none" => cfg.send_tls13_tickets = 0,
        "stateful" => {}
        "stateless" => {
            cfg.ticketer = match f.value("-provider").as_deref() {
                #[cfg(feature = "aws-lc")]
                Some("aws-lc-rs") => rustls::crypto::aws_lc_rs::Ticketer::new(),
                _ => rustls::crypto::ring::Ticketer::new(),
            }
            .unwrap_or_else(|e| fail(e))
        }
        other => fail(format!("-tickets {other}: none, stateful or stateless")),
    }
    cfg
}

#[tokio::main]
async fn main() {
    let f = Flags(std::env::args().skip(1).collect());
    if f.has("-help") {
        println!("{USAGE}");
        return;
    }
    let unknown = f.unknown(
        &["-tls1_2", "-tls1_3", "-nodelay", "-help"],
        &["-accept", "-cert", "-key", "-tickets", "-provider"],
    );
    if !unknown.is_empty() {
        fail(format!("unknown flags: {unknown:?}"));
    }
    let port: u16 = f
        .value("-accept")
        .and_then(|p| p.parse().ok())
        .unwrap_or(4433);
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config(&f)));
    let listener = tokio::net::TcpSocket::new_v4()
        .and_then(|s| {
            s.set_reuseaddr(true)?;
            s.bind(([0, 0, 0, 0], port).into())?;
            s.listen(1024)
        })
        .unwrap_or_else(|e| fail(format!("listen on {port}: {e}")));
    let nodelay = f.has("-nodelay");
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
    eprintln!("ACCEPT 0.0.0.0:{port}");
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        if nodelay && tcp.set_nodelay(true).is_err() {
            continue;
        }
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                return;
            };
            let mut buf = vec![0u8; 16384];
            while let Ok(n @ 1..) = tls.read(&mut buf).await {
                // tokio-rustls keeps what the socket did not take until a
                // flush: without one the echo's tail can wait forever (a
                // bulk echo hung so).
                if tls.write_all(&buf[..n]).await.is_err() || tls.flush().await.is_err() {
                    return;
                }
            }
            let _ = tls.shutdown().await;
        });
    }
}
