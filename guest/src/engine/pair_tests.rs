//! The engine against native rustls, in memory: every byte the engine emits
//! is fed to a rustls peer and back. No sockets, no wasm: the sans-I/O core.

use std::io::{Read, Write};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::*;

struct Certs {
    ca: Vec<u8>,
    other_ca: Vec<u8>,
    leaf: Vec<u8>,
    leaf_key: Vec<u8>,
}

fn certs(names: &[&str]) -> Certs {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "pair CA");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["other".to_string()]).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let mut p =
        rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, names[0]);
    let leaf = p
        .signed_by(&leaf_key, &rcgen::Issuer::from_params(&ca_params, &ca_key))
        .unwrap();
    Certs {
        ca: ca.der().to_vec(),
        other_ca: other.cert.der().to_vec(),
        leaf: leaf.der().to_vec(),
        leaf_key: leaf_key.serialize_der(),
    }
}

fn hook(v: VerifyType) -> Arc<dyn VerifyHook> {
    Arc::new(DefaultVerify(v))
}

fn native_server(
    c: &Certs,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ServerConnection {
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(versions)
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(c.leaf.clone())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.leaf_key.clone())),
    )
    .unwrap();
    rustls::ServerConnection::new(Arc::new(cfg)).unwrap()
}

fn native_client(ca: &[u8], name: &str) -> rustls::ClientConnection {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca.to_vec())).unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    rustls::ClientConnection::new(Arc::new(cfg), name.to_string().try_into().unwrap()).unwrap()
}

/// Move bytes between the engine and a native peer until both are quiet.
/// Returns the engine's plaintext and its first failure.
fn pump<D>(
    engine: &mut Connection,
    peer: &mut rustls::ConnectionCommon<D>,
    byte_by_byte: bool,
) -> (Vec<u8>, Option<Failure>) {
    let mut plaintext = Vec::new();
    let mut to_peer = match engine.feed(&[]) {
        Ok(p) => p.output,
        Err(f) => return (plaintext, Some(f)),
    };
    for _ in 0..50 {
        let mut rd = &to_peer[..];
        while !rd.is_empty() {
            peer.read_tls(&mut rd).unwrap();
            if peer.process_new_packets().is_err() {
                break;
            }
        }
        let mut to_engine = Vec::new();
        while peer.wants_write() {
            peer.write_tls(&mut to_engine).unwrap();
        }
        if to_engine.is_empty() && to_peer.is_empty() {
            break;
        }
        to_peer.clear();
        let chunks: Vec<&[u8]> = if byte_by_byte {
            to_engine.chunks(1).collect()
        } else {
            vec![&to_engine[..]]
        };
        for c in chunks {
            match engine.feed(c) {
                Ok(mut p) => {
                    to_peer.append(&mut p.output);
                    plaintext.append(&mut p.plaintext);
                }
                Err(f) => {
                    let mut rd = &f.output[..];
                    let _ = peer.read_tls(&mut rd);
                    let _ = peer.process_new_packets();
                    return (plaintext, Some(f));
                }
            }
        }
    }
    (plaintext, None)
}

fn client_config(c: &Certs, ca: &[u8], versions: Vec<ProtocolVersion>) -> Config {
    Config::new(
        Role::Client,
        vec![
            TlsOption::Cacerts(vec![ca.to_vec()]),
            TlsOption::Versions(versions),
        ],
        hook(VerifyType::VerifyPeer),
    )
    .unwrap_or_else(|e| panic!("{e:?} {}", c.leaf.len()))
}

/// An engine server on the leaf certificate and key, no client
/// certificate, and `extra` options.
fn server_config(c: &Certs, extra: Vec<TlsOption>) -> Config {
    let mut opts = vec![
        TlsOption::Cert(vec![c.leaf.clone()]),
        TlsOption::Key {
            kind: PrivateKeyKind::PrivateKeyInfo,
            der: c.leaf_key.clone(),
        },
    ];
    opts.extend(extra);
    Config::new(Role::Server, opts, hook(VerifyType::VerifyNone)).unwrap()
}

#[test]
fn engine_client_talks_to_native_server_both_versions() {
    let c = certs(&["localhost"]);
    for (v, native) in [
        (ProtocolVersion::Tlsv1_2, &rustls::version::TLS12),
        (ProtocolVersion::Tlsv1_3, &rustls::version::TLS13),
    ] {
        for byte_by_byte in [false, true] {
            let cfg = client_config(&c, &c.ca, vec![v]);
            let mut engine = Connection::client(&cfg, "localhost").unwrap();
            let mut server = native_server(&c, &[native]);
            let (_, failure) = pump(&mut engine, &mut server, byte_by_byte);
            assert!(failure.is_none(), "{failure:?}");
            assert!(!engine.is_handshaking());
            let info = engine.info().unwrap();
            assert_eq!(info.protocol, v);
            assert_eq!(info.sni_hostname.as_deref(), Some("localhost"));
            // Data both ways.
            server.writer().write_all(b"from native").unwrap();
            let records = engine.send(b"from engine").unwrap();
            let (got, failure) = pump_records(&mut engine, &mut server, &records);
            assert!(failure.is_none());
            assert_eq!(got, b"from native");
            let mut buf = [0u8; 64];
            let n = server.reader().read(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"from engine");
        }
    }
}

/// An engine client after its handshake with a native server in `v`.
fn connected(v: ProtocolVersion) -> (Connection, rustls::ServerConnection) {
    let c = certs(&["localhost"]);
    let native = match v {
        ProtocolVersion::Tlsv1_2 => &rustls::version::TLS12,
        ProtocolVersion::Tlsv1_3 => &rustls::version::TLS13,
    };
    let cfg = client_config(&c, &c.ca, vec![v]);
    let mut engine = Connection::client(&cfg, "localhost").unwrap();
    let mut server = native_server(&c, &[native]);
    let (_, failure) = pump(&mut engine, &mut server, false);
    assert!(failure.is_none(), "{failure:?}");
    (engine, server)
}

/// A TLS 1.2 hand-off gives the sequence numbers and the master secret
/// and randoms (the keys and RFC 5705 exporters come from them): the
/// peer's exporter agrees with one made from them.
#[test]
fn a_tls12_hand_off_gives_the_keys_and_the_exporters_inputs() {
    let (engine, server) = connected(ProtocolVersion::Tlsv1_2);
    let HandOff::ReadyTls12(snapshot, k) = engine.hand_off() else {
        panic!("a TLS 1.2 connection hands off")
    };
    assert_eq!(snapshot.info.protocol, ProtocolVersion::Tlsv1_2);
    // rustls's server picks by its own order: AES-256-GCM with SHA-384.
    assert_eq!(k.suite, 0xc02c, "{:?}", snapshot.info.selected_cipher_suite);
    // Each side's Finished was the first record under the new keys.
    assert_eq!((k.tx_seq, k.rx_seq), (1, 1));
    let mut theirs = [0u8; 32];
    server
        .export_keying_material(&mut theirs, b"EXPERIMENTAL wassl", Some(b"ctx"))
        .unwrap();
    let mut seed = [k.client_random.clone(), k.server_random.clone()].concat();
    seed.extend_from_slice(&[0, 3]);
    seed.extend_from_slice(b"ctx");
    let ours = super::crypto::ring_tls12_prf(
        super::crypto::HashAlg::Sha384,
        &k.master_secret,
        b"EXPERIMENTAL wassl",
        &seed,
        32,
    );
    assert_eq!(ours, theirs);
}

/// `ssl:prf/5` in the engine: with the master secret and the two randoms
/// it is the RFC 5705 exporter without context, which the native peer
/// computes; other seeds and secrets go through the same PRF. TLS 1.3 has
/// none. `connection_information`'s randoms and master secret agree.
#[test]
fn prf_is_the_sessions_tls12_prf() {
    let (engine, server) = connected(ProtocolVersion::Tlsv1_2);
    let randoms = [PrfSeed::ClientRandom, PrfSeed::ServerRandom];
    let ours = engine
        .prf(None, b"EXPERIMENTAL wassl", &randoms, 40)
        .unwrap();
    let mut theirs = [0u8; 40];
    server
        .export_keying_material(&mut theirs, b"EXPERIMENTAL wassl", None)
        .unwrap();
    assert_eq!(ours, theirs);

    let info = engine.info().unwrap();
    let (cr, sr) = (info.client_random.unwrap(), info.server_random.unwrap());
    assert_eq!((cr.len(), sr.len()), (32, 32));
    assert_ne!(cr, sr);
    let master = engine.master_secret().unwrap();
    assert_eq!(master.len(), 48);
    // The seed's pieces in the caller's order, and a secret of the caller's.
    let seed = [
        PrfSeed::ServerRandom,
        PrfSeed::Bytes(b"x".to_vec()),
        PrfSeed::ClientRandom,
    ];
    let sha384 = super::crypto::HashAlg::Sha384;
    let expect = super::crypto::ring_tls12_prf(
        sha384,
        &master,
        b"label",
        &[&sr[..], b"x", &cr[..]].concat(),
        20,
    );
    assert_eq!(engine.prf(None, b"label", &seed, 20).unwrap(), expect);
    let expect = super::crypto::ring_tls12_prf(sha384, b"secret", b"label", b"seed", 16);
    let seed = [PrfSeed::Bytes(b"seed".to_vec())];
    assert_eq!(
        engine.prf(Some(b"secret"), b"label", &seed, 16).unwrap(),
        expect
    );
    // A prf/5 with the key block's label leaves the session's inputs be.
    engine.prf(
        Some(b"other"),
        b"key expansion",
        &[PrfSeed::Bytes(vec![7; 64])],
        8,
    );
    assert_eq!(engine.master_secret().unwrap(), master);
    assert_eq!(
        engine
            .prf(None, b"EXPERIMENTAL wassl", &randoms, 40)
            .unwrap(),
        theirs
    );

    let (engine, _server) = connected(ProtocolVersion::Tlsv1_3);
    assert_eq!(engine.prf(None, b"label", &randoms, 16), None);
    assert_eq!(engine.master_secret(), None);
    let info = engine.info().unwrap();
    assert_eq!(info.client_random.map(|r| r.len()), Some(32));
    assert_eq!(info.server_random, None);
}

fn pump_records(
    engine: &mut Connection,
    peer: &mut rustls::ServerConnection,
    records: &[u8],
) -> (Vec<u8>, Option<Failure>) {
    let mut rd = records;
    while !rd.is_empty() {
        peer.read_tls(&mut rd).unwrap();
    }
    peer.process_new_packets().unwrap();
    let mut out = Vec::new();
    while peer.wants_write() {
        peer.write_tls(&mut out).unwrap();
    }
    match engine.feed(&out) {
        Ok(p) => (p.plaintext, None),
        Err(f) => (Vec::new(), Some(f)),
    }
}

#[test]
fn native_client_talks_to_engine_server() {
    let c = certs(&["localhost"]);
    let cfg = server_config(
        &c,
        vec![TlsOption::AlpnPreferredProtocols(vec![b"h2".to_vec()])],
    );
    let mut engine = Connection::server(&cfg).unwrap();
    let mut client = native_client(&c.ca, "localhost");
    client
        .writer()
        .write_all(b"early app data after handshake")
        .unwrap();
    let (plain, failure) = pump(&mut engine, &mut client, false);
    assert!(failure.is_none(), "{failure:?}");
    assert_eq!(plain, b"early app data after handshake");
    let info = engine.info().unwrap();
    assert_eq!(info.sni_hostname.as_deref(), Some("localhost"));
    assert_eq!(info.selected_cipher_suite.key_exchange, "any");
}

#[test]
fn wrong_ca_fails_with_unknown_ca_and_the_peer_hears_it() {
    let c = certs(&["localhost"]);
    let cfg = client_config(&c, &c.other_ca, vec![ProtocolVersion::Tlsv1_3]);
    let mut engine = Connection::client(&cfg, "localhost").unwrap();
    let mut server = native_server(&c, &[&rustls::version::TLS13]);
    let (_, failure) = pump(&mut engine, &mut server, false);
    let f = failure.expect("must fail");
    let TlsError::TlsAlert(a) = &f.error else {
        panic!("{f:?}")
    };
    assert_eq!(a.description, "unknown_ca");
    assert_eq!(a.origin, AlertOrigin::Local);
    assert!(a.text.starts_with(
        "TLS client: In state wait_cert_cr generated CLIENT ALERT: Fatal - Unknown CA"
    ));
    assert!(!f.output.is_empty(), "the alert is sent");
    // Errors are sticky.
    let again = engine.feed(b"more").unwrap_err();
    assert_eq!(again.error, f.error);
    assert!(again.output.is_empty());
    // The native server received the alert.
    assert!(matches!(
        server.process_new_packets(),
        Err(rustls::Error::AlertReceived(
            rustls::AlertDescription::UnknownCA
        ))
    ));
}

#[test]
fn hostname_mismatch_is_handshake_failure_with_erlang_reason() {
    let c = certs(&["localhost"]);
    let cfg = client_config(&c, &c.ca, vec![ProtocolVersion::Tlsv1_3]);
    let mut engine = Connection::client(&cfg, "other.example").unwrap();
    let mut server = native_server(&c, &[&rustls::version::TLS13]);
    let f = pump(&mut engine, &mut server, false).1.expect("must fail");
    let TlsError::TlsAlert(a) = &f.error else {
        panic!("{f:?}")
    };
    assert_eq!(a.description, "handshake_failure");
    assert!(
        a.text.ends_with("{bad_cert,hostname_check_failed}"),
        "{}",
        a.text
    );
}

#[test]
fn verify_none_accepts_an_unknown_ca() {
    let c = certs(&["localhost"]);
    let cfg = Config::new(
        Role::Client,
        vec![
            TlsOption::Cacerts(vec![c.other_ca.clone()]),
            TlsOption::Verify(VerifyType::VerifyNone),
        ],
        hook(VerifyType::VerifyNone),
    )
    .unwrap();
    let mut engine = Connection::client(&cfg, "localhost").unwrap();
    let mut server = native_server(&c, &[&rustls::version::TLS13]);
    assert!(pump(&mut engine, &mut server, false).1.is_none());
    assert_eq!(engine.peer_certificates(), vec![c.leaf.clone()]);
}

#[test]
fn garbage_is_a_fatal_alert_not_a_panic() {
    let c = certs(&["localhost"]);
    let cfg = server_config(&c, Vec::new());
    for garbage in [
        &b"\x16\x03\x01\x00\x05hello"[..],
        b"GET / HTTP/1.1\r\n\r\n",
        &[0xff; 300],
    ] {
        let mut engine = Connection::server(&cfg).unwrap();
        let f = engine.feed(garbage).unwrap_err();
        assert!(
            matches!(f.error, TlsError::TlsAlert(ref a) if a.origin == AlertOrigin::Local),
            "{f:?}"
        );
        assert_eq!(
            f.output.first(),
            Some(&21),
            "an alert record goes out for {garbage:?}: {f:?}"
        );
    }
}

#[test]
fn option_errors_name_the_option() {
    let c = certs(&["localhost"]);
    let e = Config::new(
        Role::Client,
        vec![TlsOption::Cacertfile {
            path: "/x.pem".into(),
            contents: b"nothing".to_vec(),
        }],
        hook(VerifyType::VerifyPeer),
    )
    .unwrap_err();
    assert_eq!(
        (e.option.as_str(), e.value.as_str()),
        ("cacertfile", "\"/x.pem\"")
    );
    let other = rcgen::KeyPair::generate().unwrap().serialize_der();
    let e = Config::new(
        Role::Server,
        vec![
            TlsOption::Cert(vec![c.leaf.clone()]),
            TlsOption::Key {
                kind: PrivateKeyKind::PrivateKeyInfo,
                der: other,
            },
        ],
        hook(VerifyType::VerifyNone),
    )
    .unwrap_err();
    assert!(e.detail.contains("does not match"), "{e:?}");
    let e = Config::new(Role::Server, vec![], hook(VerifyType::VerifyNone)).unwrap_err();
    assert_eq!(e.option, "certfile");
}

mod host_crypto;
