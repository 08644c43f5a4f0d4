//! Fuzz entry points: peer bytes into the engine in each role. libFuzzer
//! calls them from `fuzz/`; the test command replays mutated real
//! handshakes through them (`tests/tests/fuzz_corpus.rs`). An input's first
//! byte says how the rest is cut into feeds, so record and message
//! boundaries are fuzzed too.

use std::sync::{Arc, OnceLock};

use super::*;

/// A P-256 certificate for `localhost` and its key (self-signed, for
/// fuzzing only).
const CERT: &[u8] = include_bytes!("fuzzing/localhost.der");
const KEY: &[u8] = include_bytes!("fuzzing/localhost.key.der");

fn both_versions() -> TlsOption {
    TlsOption::Versions(vec![ProtocolVersion::Tlsv1_3, ProtocolVersion::Tlsv1_2])
}

fn server_config() -> &'static Config {
    static C: OnceLock<Config> = OnceLock::new();
    C.get_or_init(|| {
        let opts = vec![
            TlsOption::Cert(vec![CERT.to_vec()]),
            TlsOption::Key {
                kind: PrivateKeyKind::PrivateKeyInfo,
                der: KEY.to_vec(),
            },
            both_versions(),
        ];
        Config::new(
            Role::Server,
            opts,
            Arc::new(DefaultVerify(VerifyType::VerifyNone)),
        )
        .expect("the fuzzing server's configuration")
    })
}

fn client_config() -> &'static Config {
    static C: OnceLock<Config> = OnceLock::new();
    C.get_or_init(|| {
        let opts = vec![TlsOption::Cacerts(vec![CERT.to_vec()]), both_versions()];
        Config::new(
            Role::Client,
            opts,
            Arc::new(DefaultVerify(VerifyType::VerifyPeer)),
        )
        .expect("the fuzzing client's configuration")
    })
}

/// `data` past its first byte, in pieces of the size that byte picks
/// (1 to 64 bytes, or 256 to 16,384 when its top bit is set).
fn pieces(data: &[u8]) -> Vec<&[u8]> {
    let Some((&first, rest)) = data.split_first() else {
        return Vec::new();
    };
    let size = 1 + usize::from(first & 0x3f);
    let size = if first & 0x80 != 0 { size * 256 } else { size };
    rest.chunks(size).collect()
}

/// Bounds every answer must keep, whatever the peer sent.
fn check(r: &Result<Progress, Failure>, fed: usize) {
    match r {
        // A flight of ours (certificate, tickets) or the echo of what was fed.
        Ok(p) => assert!(
            p.output.len() <= 64 * 1024 + 2 * fed,
            "output {}",
            p.output.len()
        ),
        Err(f) => assert!(
            f.output.len() <= 1024,
            "an alert of {} bytes",
            f.output.len()
        ),
    }
}

fn drive(conn: &mut Connection, pieces: &[&[u8]]) {
    for piece in pieces {
        let r = conn.feed(piece);
        check(&r, piece.len());
        if r.is_err() {
            return;
        }
    }
    // Whatever was accepted, the connection still answers.
    let _ = conn.info();
    let _ = conn.close_notify();
}

/// A server reading `data` from a client.
pub fn server(data: &[u8]) {
    let Ok(mut conn) = Connection::server(server_config()) else {
        return;
    };
    drive(&mut conn, &pieces(data));
}

/// A client, its ClientHello sent, reading `data` from a server.
pub fn client(data: &[u8]) {
    let Ok(mut conn) = Connection::client(client_config(), "localhost") else {
        return;
    };
    let first = conn.feed(&[]);
    check(&first, 0);
    drive(&mut conn, &pieces(data));
}

/// A `{handshake, hello}` server: paused at the ClientHello, then resumed.
pub fn paused_server(data: &[u8]) {
    let pieces = pieces(data);
    let mut paused = PausedServer::default();
    for (i, piece) in pieces.iter().enumerate() {
        let r = paused.feed(piece);
        check(&r, piece.len());
        if r.is_err() {
            return;
        }
        if paused.client_hello().is_some() {
            if let Ok((mut conn, _)) = paused.resume(server_config()) {
                drive(&mut conn, &pieces[i + 1..]);
            }
            return;
        }
    }
}

/// Real inputs for each target: what native rustls peers send the engine in
/// full TLS 1.3 and TLS 1.2 handshakes, as (target, input) with a first
/// byte that feeds whole flights.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        // What a native client sends an engine server.
        let mut roots = rustls::RootCertStore::empty();
        let _ = roots.add(rustls::pki_types::CertificateDer::from(CERT.to_vec()));
        let cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[version])
            .expect("a version")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut native =
            rustls::ClientConnection::new(Arc::new(cfg), "localhost".try_into().expect("a name"))
                .expect("a native client");
        let Ok(mut engine) = Connection::server(server_config()) else {
            continue;
        };
        let sent = pair(&mut engine, &mut native);
        out.push(("server", [&[0xbf][..], &sent].concat()));
        out.push(("paused_server", [&[0xbf][..], &sent].concat()));
        // What a native server sends an engine client.
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(KEY.to_vec().into());
        let cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[version])
            .expect("a version")
            .with_no_client_auth()
            .with_single_cert(vec![CERT.to_vec().into()], key)
            .expect("the certificate and key");
        let mut native = rustls::ServerConnection::new(Arc::new(cfg)).expect("a native server");
        let Ok(mut engine) = Connection::client(client_config(), "localhost") else {
            continue;
        };
        let sent = pair(&mut engine, &mut native);
        out.push(("client", [&[0xbf][..], &sent].concat()));
    }
    out
}

/// Run a handshake between the engine and a native peer; what the peer sent.
fn pair<D>(engine: &mut Connection, native: &mut rustls::ConnectionCommon<D>) -> Vec<u8> {
    use std::io::Write;
    let mut sent = Vec::new();
    let mut to_native = engine.feed(&[]).map(|p| p.output).unwrap_or_default();
    for _ in 0..10 {
        let mut rd = &to_native[..];
        while !rd.is_empty() {
            if native.read_tls(&mut rd).is_err() || native.process_new_packets().is_err() {
                return sent;
            }
        }
        if native.is_handshaking() || sent.is_empty() {
            let _ = native.writer().write_all(b"");
        } else {
            let _ = native.writer().write_all(b"hello after the handshake");
        }
        let mut to_engine = Vec::new();
        while native.wants_write() {
            if native.write_tls(&mut to_engine).is_err() {
                break;
            }
        }
        if to_engine.is_empty() && to_native.is_empty() {
            break;
        }
        sent.extend_from_slice(&to_engine);
        to_native = match engine.feed(&to_engine) {
            Ok(p) => p.output,
            Err(_) => return sent,
        };
    }
    sent
}
