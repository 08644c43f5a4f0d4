//! The engine's host crypto provider (`super::super::crypto`) natively: a
//! host made of ring, as the wasmtime host's `imports/crypto.rs` is, counts
//! what the engine asks of it while handshakes and records run against native
//! rustls. The capabilities are per test thread, so tests without a host
//! (the rest of this crate) see none.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io::{Read, Write};

use rustls::crypto::{ActiveKeyExchange, SupportedKxGroup};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{NamedGroup, SignatureScheme};

use super::*;
use crate::engine::crypto::{
    self, AeadAlg, Capabilities, CryptoHost, HashAlg, HostHash, HostKey, HostKeyShare, KeyFormat,
    LoadedKey, RecordKey, VerifyAlgorithm,
};

thread_local! {
    static CAPS: Cell<Capabilities> = Cell::new(Capabilities::default());
    static DECLINE_CHACHA: Cell<bool> = const { Cell::new(false) };
    static CALLS: RefCell<BTreeMap<&'static str, usize>> = const { RefCell::new(BTreeMap::new()) };
}

fn count(what: &'static str) {
    CALLS.with(|c| *c.borrow_mut().entry(what).or_default() += 1);
}

fn calls(what: &str) -> usize {
    CALLS.with(|c| c.borrow().get(what).copied().unwrap_or(0))
}

/// This thread's host: `caps`, and whether it declines ChaCha20-Poly1305 keys.
fn use_host(caps: Capabilities, decline_chacha: bool) {
    static HOST: RingHost = RingHost;
    crypto::install(&HOST);
    CAPS.with(|c| c.set(caps));
    DECLINE_CHACHA.with(|d| d.set(decline_chacha));
    CALLS.with(|c| c.borrow_mut().clear());
}

const ALL: Capabilities = Capabilities {
    key_exchange: true,
    signing: true,
    verification: true,
    hashing: true,
    record_protection: true,
};

struct RingHost;

struct Transcript(std::sync::Mutex<ring::digest::Context>);

impl HostHash for Transcript {
    fn append_and_hash(&self, data: &[u8]) -> Vec<u8> {
        count("append_and_hash");
        CALLS.with(|c| *c.borrow_mut().entry("hashed_bytes").or_default() += data.len());
        let mut ctx = self.0.lock().unwrap();
        ctx.update(data);
        ctx.clone().finish().as_ref().to_vec()
    }

    fn fork(&self, data: &[u8]) -> Box<dyn HostHash> {
        count("fork");
        CALLS.with(|c| *c.borrow_mut().entry("hashed_bytes").or_default() += data.len());
        let mut copy = self.0.lock().unwrap().clone();
        copy.update(data);
        Box::new(Transcript(std::sync::Mutex::new(copy)))
    }
}

struct Share(Box<dyn ActiveKeyExchange>);

impl HostKeyShare for Share {
    fn public_key(&self) -> Vec<u8> {
        self.0.pub_key().to_vec()
    }

    fn complete(self: Box<Self>, peer: &[u8]) -> Result<Vec<u8>, String> {
        count("complete");
        self.0
            .complete(peer)
            .map(|s| s.secret_bytes().to_vec())
            .map_err(|e| e.to_string())
    }
}

struct Key(std::sync::Arc<dyn rustls::sign::SigningKey>);

impl HostKey for Key {
    fn sign(&self, scheme: u16, message: &[u8]) -> Result<Vec<u8>, String> {
        count("sign");
        let signer = self
            .0
            .choose_scheme(&[SignatureScheme::from(scheme)])
            .ok_or("the key does not sign with this scheme")?;
        signer.sign(message).map_err(|e| e.to_string())
    }
}

struct Aead(ring::aead::LessSafeKey);

impl RecordKey for Aead {
    fn seal(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
        count("seal");
        let nonce = ring::aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut out = plaintext.to_vec();
        self.0
            .seal_in_place_append_tag(nonce, ring::aead::Aad::from(aad), &mut out)
            .ok()?;
        Some(out)
    }

    fn open(&self, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        count("open");
        let nonce = ring::aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut out = ciphertext.to_vec();
        let n = self
            .0
            .open_in_place(nonce, ring::aead::Aad::from(aad), &mut out)
            .ok()?
            .len();
        out.truncate(n);
        Some(out)
    }
}

fn group(code: u16) -> Result<&'static dyn SupportedKxGroup, String> {
    let name = NamedGroup::from(code);
    rustls::crypto::ring::ALL_KX_GROUPS
        .iter()
        .copied()
        .find(|g| g.name() == name)
        .ok_or_else(|| format!("no group {name:?}"))
}

impl CryptoHost for RingHost {
    fn capabilities(&self) -> Capabilities {
        CAPS.with(Cell::get)
    }

    fn start_key_exchange(&self, code: u16) -> Result<Box<dyn HostKeyShare>, String> {
        count("start_key_exchange");
        let kx = group(code)?.start().map_err(|e| e.to_string())?;
        Ok(Box::new(Share(kx)))
    }

    fn agree(&self, code: u16, peer: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
        count("agree");
        let done = group(code)?
            .start_and_complete(peer)
            .map_err(|e| e.to_string())?;
        Ok((done.pub_key, done.secret.secret_bytes().to_vec()))
    }

    fn load_signing_key(&self, format: KeyFormat, der: &[u8]) -> Result<LoadedKey, String> {
        count("load_signing_key");
        assert_eq!(format, KeyFormat::Pkcs8, "rcgen's keys are PKCS #8");
        let key = rustls::crypto::ring::sign::any_supported_type(&PrivateKeyDer::Pkcs8(
            PrivatePkcs8KeyDer::from(der.to_vec()),
        ))
        .map_err(|e| e.to_string())?;
        let schemes = [SignatureScheme::ECDSA_NISTP256_SHA256]
            .iter()
            .filter(|s| key.choose_scheme(&[**s]).is_some())
            .map(|s| u16::from(*s))
            .collect();
        Ok(LoadedKey {
            algorithm: u8::from(key.algorithm()),
            public_key: key
                .public_key()
                .map(|k| k.as_ref().to_vec())
                .unwrap_or_default(),
            schemes,
            key: Box::new(Key(key)),
        })
    }

    fn new_aead_key(&self, alg: AeadAlg, key: &[u8]) -> Result<Box<dyn RecordKey>, String> {
        count("new_aead_key");
        let alg = match alg {
            AeadAlg::Aes128Gcm => &ring::aead::AES_128_GCM,
            AeadAlg::Aes256Gcm => &ring::aead::AES_256_GCM,
            AeadAlg::Chacha20Poly1305 if DECLINE_CHACHA.with(Cell::get) => {
                return Err("left to the engine".into())
            }
            AeadAlg::Chacha20Poly1305 => &ring::aead::CHACHA20_POLY1305,
        };
        let key = ring::aead::UnboundKey::new(alg, key).map_err(|_| "wrong key length")?;
        Ok(Box::new(Aead(ring::aead::LessSafeKey::new(key))))
    }

    fn digest(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
        count("digest");
        crate::engine::crypto::ring_digest(alg, data)
    }

    fn new_hash(&self, alg: HashAlg) -> Box<dyn HostHash> {
        count("new_hash");
        let alg = match alg {
            HashAlg::Sha256 => &ring::digest::SHA256,
            HashAlg::Sha384 => &ring::digest::SHA384,
        };
        Box::new(Transcript(std::sync::Mutex::new(
            ring::digest::Context::new(alg),
        )))
    }

    fn hmac(&self, alg: HashAlg, key: &[u8], message: &[u8]) -> Vec<u8> {
        count("hmac");
        crate::engine::crypto::ring_hmac(alg, key, message)
    }

    fn tls12_prf(
        &self,
        alg: HashAlg,
        secret: &[u8],
        label: &[u8],
        seed: &[u8],
        len: usize,
    ) -> Vec<u8> {
        count("tls12_prf");
        crate::engine::crypto::ring_tls12_prf(alg, secret, label, seed, len)
    }

    fn verify_signature(
        &self,
        alg: VerifyAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        count("verify_signature");
        // rcgen's certificates are ECDSA P-256 with SHA-256.
        let v = match alg {
            VerifyAlgorithm::EcdsaP256Sha256 => webpki::ring::ECDSA_P256_SHA256,
            VerifyAlgorithm::EcdsaP256Sha384 => webpki::ring::ECDSA_P256_SHA384,
            _ => return false,
        };
        v.verify_signature(public_key, message, signature).is_ok()
    }
}

/// The suites of the TLS 1.3 and TLS 1.2 (ECDSA) record paths, by name and version.
const SUITES: &[(&str, ProtocolVersion)] = &[
    ("TLS_AES_128_GCM_SHA256", ProtocolVersion::Tlsv1_3),
    ("TLS_AES_256_GCM_SHA384", ProtocolVersion::Tlsv1_3),
    ("TLS_CHACHA20_POLY1305_SHA256", ProtocolVersion::Tlsv1_3),
    (
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        ProtocolVersion::Tlsv1_2,
    ),
    (
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        ProtocolVersion::Tlsv1_2,
    ),
];

/// An engine client for `suite` against a native rustls server: handshake,
/// then several records each way. Panics on any failure.
fn client_round_trip(c: &Certs, suite: &str, version: ProtocolVersion) {
    let cfg = Config::new(
        Role::Client,
        vec![
            TlsOption::Cacerts(vec![c.ca.clone()]),
            TlsOption::Versions(vec![version]),
            TlsOption::Ciphers(vec![suite.to_string()]),
        ],
        hook(VerifyType::VerifyPeer),
    )
    .unwrap_or_else(|e| panic!("{suite}: {e:?}"));
    let native = match version {
        ProtocolVersion::Tlsv1_2 => &rustls::version::TLS12,
        _ => &rustls::version::TLS13,
    };
    let mut engine = Connection::client(&cfg, "localhost").unwrap();
    let mut server = native_server(c, &[native]);
    let (_, failure) = pump(&mut engine, &mut server, false);
    assert!(failure.is_none(), "{suite}: {failure:?}");
    assert_eq!(
        engine.info().unwrap().selected_cipher_suite.iana_name,
        suite
    );
    let line: Vec<u8> = (0..40_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    for round in 0..3 {
        // Engine to server, a record at a time through rustls's buffer.
        let records = engine.send(&line).unwrap();
        let mut rd = &records[..];
        let mut back = Vec::new();
        while !rd.is_empty() {
            server.read_tls(&mut rd).unwrap();
            server.process_new_packets().unwrap();
            let _ = server.reader().read_to_end(&mut back);
        }
        assert!(back == line, "{suite} round {round}: {} bytes", back.len());
        // Server to engine.
        server.writer().write_all(&line).unwrap();
        let mut wire = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut wire).unwrap();
        }
        let got = engine
            .feed(&wire)
            .unwrap_or_else(|f| panic!("{suite} round {round}: {f:?}"))
            .plaintext;
        assert!(got == line, "{suite} round {round}: {} bytes", got.len());
    }
}

#[test]
fn every_suite_with_all_crypto_on_the_host() {
    let c = certs(&["localhost"]);
    for (suite, version) in SUITES {
        use_host(ALL, false);
        client_round_trip(&c, suite, *version);
        // TLS 1.3's key schedule is HKDF (HMAC); TLS 1.2's is the PRF, one
        // host call each for the master secret, key block and Finished.
        let (keys, not) = match version {
            ProtocolVersion::Tlsv1_3 => ("hmac", "tls12_prf"),
            _ => ("tls12_prf", "hmac"),
        };
        for what in [
            "start_key_exchange",
            "complete",
            keys,
            "new_hash",
            "append_and_hash",
            "verify_signature",
        ] {
            assert!(calls(what) > 0, "{suite}: no {what}");
        }
        assert_eq!(calls(not), 0, "{suite}: {not}");
        if *version == ProtocolVersion::Tlsv1_2 {
            assert_eq!(
                calls("tls12_prf"),
                4,
                "{suite}: master secret, keys, two Finished"
            );
        }
        // 3 rounds of 40,000 bytes each way: at least 8 records each way.
        assert!(calls("seal") >= 8 && calls("open") >= 8, "{suite}: records");
    }
}

#[test]
fn a_declined_chacha20_key_stays_with_the_engine() {
    let c = certs(&["localhost"]);
    for (suite, version) in SUITES {
        use_host(ALL, true);
        client_round_trip(&c, suite, *version);
        assert!(calls("new_aead_key") >= 2, "{suite}");
        if suite.contains("CHACHA20") {
            assert_eq!((calls("seal"), calls("open")), (0, 0), "{suite}");
        } else {
            assert!(calls("seal") >= 8 && calls("open") >= 8, "{suite}");
        }
    }
}

#[test]
fn each_capability_alone() {
    let c = certs(&["localhost"]);
    let only = |f: fn(&mut Capabilities)| {
        let mut caps = Capabilities::default();
        f(&mut caps);
        caps
    };
    let cases: [(Capabilities, &[&str], &[&str]); 4] = [
        (
            only(|c| c.key_exchange = true),
            &["start_key_exchange"],
            &["hmac", "verify_signature", "seal"],
        ),
        (
            only(|c| c.verification = true),
            &["verify_signature"],
            &["hmac", "start_key_exchange", "seal"],
        ),
        (
            only(|c| c.hashing = true),
            &["hmac", "append_and_hash"],
            &["verify_signature", "start_key_exchange", "seal"],
        ),
        (
            only(|c| c.record_protection = true),
            &["seal", "open"],
            &["hmac", "verify_signature", "start_key_exchange"],
        ),
    ];
    for (caps, used, unused) in cases {
        use_host(caps, false);
        client_round_trip(&c, "TLS_AES_128_GCM_SHA256", ProtocolVersion::Tlsv1_3);
        for what in used {
            assert!(calls(what) > 0, "{caps:?}: no {what}");
        }
        for what in unused {
            assert_eq!(calls(what), 0, "{caps:?}: {what}");
        }
    }
}

#[test]
fn an_engine_server_signs_with_the_hosts_key() {
    let c = certs(&["localhost"]);
    use_host(ALL, false);
    let cfg = server_config(&c, Vec::new());
    assert_eq!(calls("load_signing_key"), 1);
    let mut engine = Connection::server(&cfg).unwrap();
    let mut client = native_client(&c.ca, "localhost");
    client.writer().write_all(b"to the engine").unwrap();
    let (plain, failure) = pump(&mut engine, &mut client, false);
    assert!(failure.is_none(), "{failure:?}");
    assert_eq!(plain, b"to the engine");
    assert_eq!(calls("sign"), 1);
    assert!(calls("agree") == 1 && calls("seal") > 0);
}

#[test]
fn without_a_host_nothing_is_asked() {
    let c = certs(&["localhost"]);
    use_host(Capabilities::default(), false);
    client_round_trip(&c, "TLS_CHACHA20_POLY1305_SHA256", ProtocolVersion::Tlsv1_3);
    CALLS.with(|calls| assert!(calls.borrow().is_empty(), "{:?}", calls.borrow()));
}

#[test]
fn the_transcript_hash_sends_each_byte_once() {
    use_host(ALL, false);
    let provider = crypto::with_host(rustls::crypto::ring::default_provider(), ALL);
    let suite = provider
        .cipher_suites
        .iter()
        .find(|s| s.suite() == rustls::CipherSuite::TLS13_AES_256_GCM_SHA384)
        .unwrap();
    let hash = suite.tls13().unwrap().common.hash_provider;
    let sha384 = |parts: &[&[u8]]| {
        let mut c = ring::digest::Context::new(&ring::digest::SHA384);
        parts.iter().for_each(|p| c.update(p));
        c.finish().as_ref().to_vec()
    };
    let (a, b, c) = (&[1u8; 300][..], &[2u8; 900][..], &[3u8; 50][..]);
    let mut t = hash.start();
    t.update(a);
    assert_eq!(t.fork_finish().as_ref(), sha384(&[a]));
    assert_eq!(t.fork_finish().as_ref(), sha384(&[a]));
    t.update(b);
    let mut f = t.fork();
    f.update(c);
    assert_eq!(f.finish().as_ref(), sha384(&[a, b, c]));
    assert_eq!(t.fork_finish().as_ref(), sha384(&[a, b]));
    assert_eq!(t.finish().as_ref(), sha384(&[a, b]));
    // `a` once; `b` once into the fork and once into the original; `c`
    // once. The hash of the whole transcript at each question would be
    // 300 * 2 + 1,200 * 2 + 1,250.
    assert_eq!(calls("hashed_bytes"), 300 + 900 + 900 + 50);
    assert_eq!((calls("new_hash"), calls("fork")), (1, 1));
    assert_eq!(calls("digest"), 0);
}
