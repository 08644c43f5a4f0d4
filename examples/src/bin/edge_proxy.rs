//! `edge_proxy CONFIG.toml`: a TLS-terminating reverse proxy on wassl (see
//! `wassl_examples::edge` for the configuration). Ctrl-C stops accepting and
//! lets open connections finish.
//!
//! ```text
//! cargo run -p wassl-examples --bin edge_proxy -- examples/edge_proxy.toml
//! ```

use wassl::process;
use wassl_examples::edge::{serve, Config};

#[tokio::main]
async fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: edge_proxy CONFIG.toml");
        std::process::exit(2);
    };
    let cfg = std::fs::read_to_string(&path)
        .map_err(|e| format!("{path}: {e}"))
        .and_then(|t| Config::from_toml(&t));
    let cfg = match cfg {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let r = process::run(async move {
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            if let Ok(port) = rx.await {
                eprintln!("edge_proxy: listening on port {port}");
            }
        });
        serve(cfg, tx, async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("edge_proxy: shutting down");
        })
        .await
    })
    .await;
    if let Err(e) = r {
        eprintln!("edge_proxy: {e}");
        std::process::exit(1);
    }
}
