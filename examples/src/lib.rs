//! Shared bits of the wassl examples: OpenSSL-style flag parsing and the
//! handshake summary both `s_client` and `s_server` print.

use wassl::ssl::{self, SslSocket};

pub mod edge;

/// Flags in OpenSSL's style: `-name value` or `-name` alone.
pub struct Flags {
    args: Vec<String>,
}

impl Flags {
    /// From the process arguments.
    pub fn from_env() -> Flags {
        Flags {
            args: std::env::args().skip(1).collect(),
        }
    }

    /// The value after `-name`, if present.
    pub fn value(&self, name: &str) -> Option<String> {
        let pos = self.args.iter().position(|a| a == name)?;
        self.args.get(pos + 1).cloned()
    }

    /// True when `-name` is present.
    pub fn has(&self, name: &str) -> bool {
        self.args.iter().any(|a| a == name)
    }

    /// `-help` (or `--help`, `-h`): print `usage` and exit 0. Flags not in
    /// `known` or `with_value`: print `usage` and them, and exit 2.
    pub fn check(&self, usage: &str, known: &[&str], with_value: &[&str]) {
        if self.has("-help") || self.has("--help") || self.has("-h") {
            println!("{usage}");
            std::process::exit(0);
        }
        let unknown = self.unknown(known, with_value);
        if !unknown.is_empty() {
            eprintln!("{usage}\nunknown flags: {unknown:?}");
            std::process::exit(2);
        }
    }

    /// Flags that are not in `known` (for a helpful error).
    pub fn unknown(&self, known: &[&str], with_value: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.args.len() {
            let a = &self.args[i];
            if with_value.contains(&a.as_str()) {
                i += 2;
                continue;
            }
            if !known.contains(&a.as_str()) {
                out.push(a.clone());
            }
            i += 1;
        }
        out
    }
}

/// `-alpn h2,http/1.1` as the option's list.
pub fn alpn_list(s: &str) -> Vec<Vec<u8>> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| p.as_bytes().to_vec())
        .collect()
}

/// Print what the handshake negotiated, as `openssl s_client` does, to stderr.
pub async fn print_session(s: &SslSocket) {
    match ssl::connection_information(s).await {
        Ok(i) => {
            eprintln!("---");
            eprintln!("Protocol  : {}", i.protocol.atom().trim_matches('\''));
            eprintln!("Cipher    : {}", i.selected_cipher_suite.iana_name);
            if let Some(g) = &i.ecc {
                eprintln!("Group     : {g}");
            }
            if let Some(sni) = &i.sni_hostname {
                eprintln!("SNI       : {sni}");
            }
            match &i.negotiated_protocol {
                Some(p) => eprintln!("ALPN      : {}", String::from_utf8_lossy(p)),
                None => eprintln!("ALPN      : none"),
            }
        }
        Err(e) => eprintln!("connection_information: {}", ssl::format_error(&e)),
    }
    match ssl::peercert(s).await.map(|d| wassl::cert::decode(&d)) {
        Ok(Ok(c)) => {
            eprintln!("Peer      : {}", c.subject);
            eprintln!("Issuer    : {}", c.issuer);
        }
        _ => eprintln!("Peer      : no certificate"),
    }
    eprintln!("---");
}
