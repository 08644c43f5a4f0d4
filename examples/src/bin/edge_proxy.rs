//! `edge_proxy CONFIG.toml`: a TLS-terminating reverse proxy on wassl (see
//! `wassl_examples::edge` for the configuration). SIGTERM and Ctrl-C stop
//! accepting and let open connections finish; SIGHUP reads the file again
//! and applies it to new connections.
//!
//! ```text
//! cargo run -p wassl-examples --bin edge_proxy -- examples/edge_proxy.toml
//! ```

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use wassl_examples::edge::{serve_reloading, Config};

const USAGE: &str = "usage: edge_proxy CONFIG.toml

A TLS-terminating reverse proxy: one or several listeners, certificates and
a backend per SNI name, ALPN, optional client certificates, TCP mode (bytes,
optionally after a PROXY v2 header) or HTTP mode (HTTP/1.1 and HTTP/2,
Forwarded headers, 502/504), session resumption (one node or a fleet
through Redis), an access log line per connection, metrics and health on
an admin listener.

Signals: SIGTERM or Ctrl-C drains (no new connections, open ones get
shutdown_grace_ms); SIGHUP reloads CONFIG.toml for new connections
(established ones go on; a bad file is logged and the old one kept).

Configuration: see examples/edge_proxy.toml. For certificates to try it
with, run `cargo run -p wassl-examples --bin gencert` first.";

fn read(path: &str) -> Result<Config, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("{path}: {e}"))
        .and_then(|t| Config::from_toml(&t))
}

#[tokio::main]
async fn main() {
    let path = match std::env::args().nth(1) {
        Some(a) if a == "--help" || a == "-h" || a == "-help" => {
            println!("{USAGE}");
            return;
        }
        Some(a) => a,
        None => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let cfg = match read(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        eprintln!("edge_proxy: cannot install signal handlers");
        std::process::exit(1);
    };
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        if let Ok(port) = ready_rx.await {
            eprintln!("edge_proxy: listening on port {port}");
        }
    });
    let (reload_tx, reloads) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            eprintln!("edge_proxy: SIGHUP, reloading {path}");
            // A file that does not parse is reported here; one that
            // parses is checked whole by the proxy before it applies.
            match read(&path) {
                Ok(c) => {
                    let _ = reload_tx.send(c);
                }
                Err(e) => eprintln!("edge_proxy: reload failed, running configuration kept: {e}"),
            }
        }
    });
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        eprintln!("edge_proxy: shutting down");
    };
    // On a worker, not on main's own thread: each accepted connection is
    // handed from an acceptor task to this loop, and waking the main thread
    // for it costs a futex wake-up both ways.
    let served = tokio::spawn(serve_reloading(cfg, ready_tx, shutdown, reloads)).await;
    if let Err(e) = served.unwrap_or_else(|e| Err(e.to_string())) {
        eprintln!("edge_proxy: {e}");
        std::process::exit(1);
    }
}
