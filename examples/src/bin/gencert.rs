//! `gencert [DIR]`: a throwaway CA and certificates to try the examples
//! with, written to DIR (default: the current directory): `ca.pem`,
//! `server.pem`/`server.key` (localhost, 127.0.0.1), `api.pem`/`api.key`
//! (api.localhost) and `client.pem`/`client.key`. Valid for 30 days.

use std::path::PathBuf;

use wassl_tests::{Ca, LeafSpec};

fn main() {
    let dir = match std::env::args().nth(1) {
        Some(a) if a == "--help" || a == "-h" || a == "-help" => {
            println!(
                "usage: gencert [DIR]\n\nWrites a throwaway CA (ca.pem) and certificates signed by it to DIR\n\
                 (default: .): server.pem/server.key for localhost and 127.0.0.1,\n\
                 api.pem/api.key for api.localhost, client.pem/client.key. For trying\n\
                 the examples only: the CA's key (ca.key) is written beside them."
            );
            return;
        }
        Some(a) => PathBuf::from(a),
        None => PathBuf::from("."),
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("gencert: {}: {e}", dir.display());
        std::process::exit(1);
    }
    let ca = Ca::new("ca", &dir);
    for (cn, names, server) in [
        ("server", &["localhost", "127.0.0.1"][..], true),
        ("api", &["api.localhost"][..], true),
        ("client", &["client.localhost"][..], false),
    ] {
        ca.issue(&LeafSpec {
            cn,
            names,
            expired: false,
            server,
        });
    }
    println!(
        "gencert: wrote ca.pem, server.pem, server.key, api.pem, api.key, client.pem, client.key in {}",
        dir.display()
    );
}
