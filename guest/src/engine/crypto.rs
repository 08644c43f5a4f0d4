//! rustls crypto backed by the host (the imported `crypto` interface): key
//! exchange, signing, signature verification, hashing and HMAC run natively
//! outside the sandbox, private keys stay in host resources. The TLS state
//! machine, the key schedule's logic and the handshake AEAD stay in the
//! engine.
//!
//! rustls wants `'static` algorithm tables, so the host is installed once per
//! instance ([`install`]) and the tables below call it; whether a connection
//! uses them is decided per configuration ([`Capabilities`]).

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use rustls::crypto::cipher::{
    make_tls12_aad, make_tls13_aad, AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv,
    KeyBlockShape, MessageDecrypter, MessageEncrypter, Nonce, OutboundOpaqueMessage,
    OutboundPlainMessage, PrefixedPayload, Tls12AeadAlgorithm, Tls13AeadAlgorithm,
    UnsupportedOperationError,
};
use rustls::crypto::hash::{Context as HashContext, Hash, HashAlgorithm, Output};
use rustls::crypto::hmac::{Hmac, Key as HmacKey, Tag};
use rustls::crypto::tls12::Prf;
use rustls::crypto::tls13::HkdfUsingHmac;
use rustls::crypto::{
    ActiveKeyExchange, CipherSuiteCommon, CompletedKeyExchange, CryptoProvider, KeyProvider,
    SharedSecret, SupportedKxGroup, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::{
    AlgorithmIdentifier, InvalidSignature, PrivateKeyDer, SignatureVerificationAlgorithm,
    SubjectPublicKeyInfoDer,
};
use rustls::sign::{Signer, SigningKey};
use rustls::{
    ConnectionTrafficSecrets, ContentType, ProtocolVersion, SupportedCipherSuite, Tls12CipherSuite,
    Tls13CipherSuite,
};
use rustls::{Error, NamedGroup, SignatureAlgorithm, SignatureScheme};

/// What the host does natively (the `capabilities` flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// X25519, secp256r1 and secp384r1 key exchange.
    pub key_exchange: bool,
    /// Private keys and signing.
    pub signing: bool,
    /// Signature verification (certificates and handshake signatures).
    pub verification: bool,
    /// SHA-256/384 and HMAC: transcript hash, HKDF, TLS 1.2 PRF.
    pub hashing: bool,
    /// AES-GCM and ChaCha20-Poly1305 record protection.
    pub record_protection: bool,
}

/// The suites' AEADs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AeadAlg {
    /// AES-128-GCM.
    Aes128Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305.
    Chacha20Poly1305,
}

/// A record protection key: the host's, or the engine's own
/// ChaCha20-Poly1305 when the host protects no records.
pub trait RecordKey: Send + Sync {
    /// Ciphertext, tag last; `None` for a bad nonce.
    fn seal(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Option<Vec<u8>>;
    /// Plaintext, or `None` when the tag is wrong.
    fn open(&self, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>>;

    /// Seals `buf` where it lies and gives the tag. Records go through
    /// this; a key that works in place saves two copies of each record.
    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> Option<[u8; TAG_LEN]> {
        let sealed = self.seal(nonce, aad, buf)?;
        let (body, tag) = sealed.split_at_checked(buf.len())?;
        buf.copy_from_slice(body);
        tag.try_into().ok()
    }

    /// Opens `buf` (ciphertext, tag last) where it lies: the plaintext's
    /// length, or `None` when the tag is wrong.
    fn open_in_place(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> Option<usize> {
        let plain = self.open(nonce, aad, buf)?;
        buf.get_mut(..plain.len())?.copy_from_slice(&plain);
        Some(plain.len())
    }
}

/// The suites' hash functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

/// How a private key's DER is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// An RSAPrivateKey (PKCS #1).
    Pkcs1,
    /// An ECPrivateKey (SEC 1).
    Sec1,
    /// A PrivateKeyInfo (PKCS #8).
    Pkcs8,
}

/// A key of the host's, as `load-signing-key` answers.
pub struct LoadedKey {
    /// The host's handle.
    pub key: Box<dyn HostKey>,
    /// rustls's SignatureAlgorithm code (1 RSA, 3 ECDSA, 7 Ed25519).
    pub algorithm: u8,
    /// SubjectPublicKeyInfo, DER.
    pub public_key: Vec<u8>,
    /// SignatureScheme codes, preferred first.
    pub schemes: Vec<u16>,
}

/// A private key held by the host.
pub trait HostKey: Send + Sync {
    /// Sign `message` with `scheme`.
    fn sign(&self, scheme: u16, message: &[u8]) -> Result<Vec<u8>, String>;
}

/// An ephemeral key exchange key held by the host.
pub trait HostKeyShare: Send + Sync {
    /// The key share to send.
    fn public_key(&self) -> Vec<u8>;
    /// The shared secret with the peer's share.
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<Vec<u8>, String>;
}

/// A running hash held by the host (the transcript).
pub trait HostHash: Send + Sync {
    /// Append `data`; the hash of all appended so far.
    fn append_and_hash(&self, data: &[u8]) -> Vec<u8>;
    /// A copy going on separately, with `data` appended.
    fn fork(&self, data: &[u8]) -> Box<dyn HostHash>;
}

/// The webpki algorithms, in the order of the `verify-algorithm` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // ring's names say it all
pub enum VerifyAlgorithm {
    EcdsaP256Sha256,
    EcdsaP256Sha384,
    EcdsaP384Sha256,
    EcdsaP384Sha384,
    Ed25519,
    RsaPssSha256LegacyKey,
    RsaPssSha384LegacyKey,
    RsaPssSha512LegacyKey,
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPkcs1Sha512,
    RsaPkcs1Sha256AbsentParams,
    RsaPkcs1Sha384AbsentParams,
    RsaPkcs1Sha512AbsentParams,
}

/// The host's native crypto, as the engine sees it.
pub trait CryptoHost: Send + Sync {
    /// What it does natively.
    fn capabilities(&self) -> Capabilities;
    /// A new ephemeral key in `group`.
    fn start_key_exchange(&self, group: u16) -> Result<Box<dyn HostKeyShare>, String>;
    /// Our public key and the shared secret, in one call.
    fn agree(&self, group: u16, peer: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String>;
    /// Parse a private key; the error is rustls's text for a refused key.
    fn load_signing_key(&self, format: KeyFormat, der: &[u8]) -> Result<LoadedKey, String>;
    /// A record protection key.
    fn new_aead_key(&self, alg: AeadAlg, key: &[u8]) -> Result<Box<dyn RecordKey>, String>;
    /// The hash of `data`.
    fn digest(&self, alg: HashAlg, data: &[u8]) -> Vec<u8>;
    /// A new running hash.
    fn new_hash(&self, alg: HashAlg) -> Box<dyn HostHash>;
    /// HMAC of `message` under `key`.
    fn hmac(&self, alg: HashAlg, key: &[u8], message: &[u8]) -> Vec<u8>;
    /// `len` bytes of the TLS 1.2 PRF of `secret`, `label` and `seed`.
    fn tls12_prf(
        &self,
        alg: HashAlg,
        secret: &[u8],
        label: &[u8],
        seed: &[u8],
        len: usize,
    ) -> Vec<u8>;
    /// Whether `signature` over `message` is good for `public_key`.
    fn verify_signature(
        &self,
        alg: VerifyAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> bool;
}

static HOST: OnceLock<&'static dyn CryptoHost> = OnceLock::new();

/// Make `host` the one the tables below call. The first call wins: one
/// instance has one host.
pub fn install(host: &'static dyn CryptoHost) {
    let _ = HOST.set(host);
}

fn host() -> Option<&'static dyn CryptoHost> {
    HOST.get().copied()
}

/// What the installed host offers; nothing when none is installed.
pub fn capabilities() -> Capabilities {
    host().map(|h| h.capabilities()).unwrap_or_default()
}

/// `base` with the parts `caps` allows moved to the host.
pub fn with_host(mut base: CryptoProvider, caps: Capabilities) -> CryptoProvider {
    if caps.key_exchange {
        for g in &mut base.kx_groups {
            if let Some(h) = HOST_GROUPS.iter().find(|h| h.name() == g.name()) {
                *g = *h;
            }
        }
    }
    if caps.signing {
        base.key_provider = &HostKeys;
    }
    if caps.verification {
        base.signature_verification_algorithms = HOST_SIG_ALGS;
    }
    for s in &mut base.cipher_suites {
        *s = suite_for(*s, caps);
    }
    base
}

fn host_error(what: &str, e: String) -> Error {
    Error::General(format!("host crypto: {what}: {e}"))
}

// ---- key exchange ----

#[derive(Debug)]
struct HostGroup(NamedGroup);

static HOST_X25519: HostGroup = HostGroup(NamedGroup::X25519);
static HOST_SECP256R1: HostGroup = HostGroup(NamedGroup::secp256r1);
static HOST_SECP384R1: HostGroup = HostGroup(NamedGroup::secp384r1);
static HOST_GROUPS: &[&dyn SupportedKxGroup] = &[&HOST_X25519, &HOST_SECP256R1, &HOST_SECP384R1];

impl SupportedKxGroup for HostGroup {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let h = host().ok_or_else(|| host_error("key exchange", "no host".into()))?;
        let share = h
            .start_key_exchange(u16::from(self.0))
            .map_err(|e| host_error("key exchange", e))?;
        let public = share.public_key();
        Ok(Box::new(ActiveShare {
            group: self.0,
            share,
            public,
        }))
    }

    fn start_and_complete(&self, peer_pub_key: &[u8]) -> Result<CompletedKeyExchange, Error> {
        let h = host().ok_or_else(|| host_error("key exchange", "no host".into()))?;
        let (pub_key, secret) = h
            .agree(u16::from(self.0), peer_pub_key)
            .map_err(|_| Error::from(rustls::PeerMisbehaved::InvalidKeyShare))?;
        Ok(CompletedKeyExchange {
            group: self.0,
            pub_key,
            secret: SharedSecret::from(secret),
        })
    }

    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        None
    }

    fn name(&self) -> NamedGroup {
        self.0
    }
}

struct ActiveShare {
    group: NamedGroup,
    share: Box<dyn HostKeyShare>,
    public: Vec<u8>,
}

impl ActiveKeyExchange for ActiveShare {
    fn complete(self: Box<Self>, peer_pub_key: &[u8]) -> Result<SharedSecret, Error> {
        // ring's answer to a bad peer key, which rustls turns into an alert.
        self.share
            .complete(peer_pub_key)
            .map(SharedSecret::from)
            .map_err(|_| rustls::PeerMisbehaved::InvalidKeyShare.into())
    }

    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        None
    }

    fn group(&self) -> NamedGroup {
        self.group
    }
}

// ---- signing ----

#[derive(Debug)]
struct HostKeys;

impl KeyProvider for HostKeys {
    fn load_private_key(
        &self,
        key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, Error> {
        let h = host().ok_or_else(|| host_error("signing", "no host".into()))?;
        let (format, der) = match &key_der {
            PrivateKeyDer::Pkcs1(k) => (KeyFormat::Pkcs1, k.secret_pkcs1_der()),
            PrivateKeyDer::Sec1(k) => (KeyFormat::Sec1, k.secret_sec1_der()),
            PrivateKeyDer::Pkcs8(k) => (KeyFormat::Pkcs8, k.secret_pkcs8_der()),
            _ => return Err(Error::General("unsupported private key format".into())),
        };
        // The host answers with rustls's own words for a refused key.
        let loaded = h.load_signing_key(format, der).map_err(Error::General)?;
        let algorithm = match loaded.algorithm {
            1 => SignatureAlgorithm::RSA,
            3 => SignatureAlgorithm::ECDSA,
            7 => SignatureAlgorithm::ED25519,
            other => SignatureAlgorithm::Unknown(other),
        };
        Ok(Arc::new(HostSigningKey(Arc::new(KeyInner {
            key: loaded.key,
            algorithm,
            public_key: loaded.public_key,
            schemes: loaded
                .schemes
                .into_iter()
                .map(SignatureScheme::from)
                .collect(),
        }))))
    }
}

struct KeyInner {
    key: Box<dyn HostKey>,
    algorithm: SignatureAlgorithm,
    public_key: Vec<u8>,
    schemes: Vec<SignatureScheme>,
}

#[derive(Clone)]
struct HostSigningKey(Arc<KeyInner>);

impl fmt::Debug for HostSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key: only what it is.
        f.debug_struct("HostSigningKey")
            .field("algorithm", &self.0.algorithm)
            .finish_non_exhaustive()
    }
}

impl SigningKey for HostSigningKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        // The key's own preference order, as ring's keys choose.
        let scheme = *self.0.schemes.iter().find(|s| offered.contains(s))?;
        Some(Box::new(HostSigner {
            key: self.clone(),
            scheme,
        }))
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        Some(SubjectPublicKeyInfoDer::from(self.0.public_key.as_slice()))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.0.algorithm
    }
}

#[derive(Debug)]
struct HostSigner {
    key: HostSigningKey,
    scheme: SignatureScheme,
}

impl Signer for HostSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.key
            .0
            .key
            .sign(u16::from(self.scheme), message)
            .map_err(|e| host_error("signing", e))
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

// ---- verification ----

/// One webpki algorithm whose arithmetic runs on the host; the identifiers
/// (and so which certificates it applies to) are webpki's own.
struct HostAlg {
    id: VerifyAlgorithm,
    webpki: &'static &'static dyn SignatureVerificationAlgorithm,
}

impl fmt::Debug for HostAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostAlg({:?})", self.id)
    }
}

impl SignatureVerificationAlgorithm for HostAlg {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        match host() {
            Some(h) if h.verify_signature(self.id, public_key, message, signature) => Ok(()),
            Some(_) => Err(InvalidSignature),
            None => self.webpki.verify_signature(public_key, message, signature),
        }
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.webpki.public_key_alg_id()
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.webpki.signature_alg_id()
    }
}

macro_rules! host_algs {
    ($($name:ident = $id:ident, $webpki:ident;)*) => {
        $(static $name: HostAlg = HostAlg {
            id: VerifyAlgorithm::$id,
            webpki: &webpki::ring::$webpki,
        };)*
    };
}

host_algs! {
    H_ECDSA_P256_SHA256 = EcdsaP256Sha256, ECDSA_P256_SHA256;
    H_ECDSA_P256_SHA384 = EcdsaP256Sha384, ECDSA_P256_SHA384;
    H_ECDSA_P384_SHA256 = EcdsaP384Sha256, ECDSA_P384_SHA256;
    H_ECDSA_P384_SHA384 = EcdsaP384Sha384, ECDSA_P384_SHA384;
    H_ED25519 = Ed25519, ED25519;
    H_RSA_PSS_SHA256 = RsaPssSha256LegacyKey, RSA_PSS_2048_8192_SHA256_LEGACY_KEY;
    H_RSA_PSS_SHA384 = RsaPssSha384LegacyKey, RSA_PSS_2048_8192_SHA384_LEGACY_KEY;
    H_RSA_PSS_SHA512 = RsaPssSha512LegacyKey, RSA_PSS_2048_8192_SHA512_LEGACY_KEY;
    H_RSA_PKCS1_SHA256 = RsaPkcs1Sha256, RSA_PKCS1_2048_8192_SHA256;
    H_RSA_PKCS1_SHA384 = RsaPkcs1Sha384, RSA_PKCS1_2048_8192_SHA384;
    H_RSA_PKCS1_SHA512 = RsaPkcs1Sha512, RSA_PKCS1_2048_8192_SHA512;
    H_RSA_PKCS1_SHA256_AP = RsaPkcs1Sha256AbsentParams, RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS;
    H_RSA_PKCS1_SHA384_AP = RsaPkcs1Sha384AbsentParams, RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS;
    H_RSA_PKCS1_SHA512_AP = RsaPkcs1Sha512AbsentParams, RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS;
}

/// ring's table (`rustls::crypto::ring`), entry for entry, on the host.
static HOST_SIG_ALGS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        &H_ECDSA_P256_SHA256,
        &H_ECDSA_P256_SHA384,
        &H_ECDSA_P384_SHA256,
        &H_ECDSA_P384_SHA384,
        &H_ED25519,
        &H_RSA_PSS_SHA256,
        &H_RSA_PSS_SHA384,
        &H_RSA_PSS_SHA512,
        &H_RSA_PKCS1_SHA256,
        &H_RSA_PKCS1_SHA384,
        &H_RSA_PKCS1_SHA512,
        &H_RSA_PKCS1_SHA256_AP,
        &H_RSA_PKCS1_SHA384_AP,
        &H_RSA_PKCS1_SHA512_AP,
    ],
    mapping: &[
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[&H_ECDSA_P384_SHA384, &H_ECDSA_P256_SHA384],
        ),
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[&H_ECDSA_P256_SHA256, &H_ECDSA_P384_SHA256],
        ),
        (SignatureScheme::ED25519, &[&H_ED25519]),
        (SignatureScheme::RSA_PSS_SHA512, &[&H_RSA_PSS_SHA512]),
        (SignatureScheme::RSA_PSS_SHA384, &[&H_RSA_PSS_SHA384]),
        (SignatureScheme::RSA_PSS_SHA256, &[&H_RSA_PSS_SHA256]),
        (SignatureScheme::RSA_PKCS1_SHA512, &[&H_RSA_PKCS1_SHA512]),
        (SignatureScheme::RSA_PKCS1_SHA384, &[&H_RSA_PKCS1_SHA384]),
        (SignatureScheme::RSA_PKCS1_SHA256, &[&H_RSA_PKCS1_SHA256]),
    ],
};

// ---- hashing: transcript hash, HKDF and the TLS 1.2 PRF ----

/// The same suite with its hash, HKDF and PRF (`hashing`) and its AEAD
/// (`record_protection`) on the host; without the host's AEAD, ChaCha20
/// suites take the engine's own (four blocks at a time, `chacha.rs`).
fn suite_for(s: SupportedCipherSuite, caps: Capabilities) -> SupportedCipherSuite {
    type Table = Vec<(SupportedCipherSuite, SupportedCipherSuite)>;
    // rustls wants 'static suites: built once per instance and combination,
    // at first use (an instance serves one connection, so one combination).
    static SUITES: [OnceLock<Table>; 4] = [const { OnceLock::new() }; 4];
    let (hashing, aead) = (caps.hashing, caps.record_protection);
    let table = SUITES[usize::from(hashing) * 2 + usize::from(aead)].get_or_init(|| {
        rustls::crypto::ring::ALL_CIPHER_SUITES
            .iter()
            .map(|s| (*s, rebuild(*s, hashing, aead)))
            .collect()
    });
    table
        .iter()
        .find(|(ring, _)| ring.suite() == s.suite())
        .map(|(_, host)| *host)
        .unwrap_or(s)
}

fn rebuild(s: SupportedCipherSuite, hashing: bool, aead: bool) -> SupportedCipherSuite {
    let base = match s {
        SupportedCipherSuite::Tls13(t) => &t.common,
        SupportedCipherSuite::Tls12(t) => &t.common,
    };
    let (hash, hmac, prf, ring_prf): (
        &'static dyn Hash,
        &'static dyn Hmac,
        &'static dyn Prf,
        &'static dyn Prf,
    ) = match base.hash_provider.algorithm() {
        HashAlgorithm::SHA384 => (
            &HOST_SHA384,
            &HOST_HMAC_SHA384,
            &HOST_PRF_SHA384,
            &RING_PRF_SHA384,
        ),
        _ => (
            &HOST_SHA256,
            &HOST_HMAC_SHA256,
            &HOST_PRF_SHA256,
            &RING_PRF_SHA256,
        ),
    };
    // A suite of unknown cipher keeps ring's AEAD.
    let alg = match super::suites::suite_cipher(u16::from(s.suite())) {
        Some("aes_128_gcm") => Some(AeadAlg::Aes128Gcm),
        Some("aes_256_gcm") => Some(AeadAlg::Aes256Gcm),
        Some("chacha20_poly1305") => Some(AeadAlg::Chacha20Poly1305),
        _ => None,
    };
    let aead = match (aead, alg) {
        (true, Some(a)) => Some((a, Keys::Host)),
        (false, Some(AeadAlg::Chacha20Poly1305)) => Some((AeadAlg::Chacha20Poly1305, Keys::Engine)),
        _ => None,
    };
    // Every TLS 1.2 suite takes the engine's PRF, host or not: it keeps
    // the key block's inputs for a hand-off (`key_block_inputs`).
    if !hashing && aead.is_none() && matches!(s, SupportedCipherSuite::Tls13(_)) {
        return s;
    }
    let engine_prf = if hashing { prf } else { ring_prf };
    let hashing = hashing.then_some((hash, hmac, prf));
    let common = |c: &CipherSuiteCommon| CipherSuiteCommon {
        hash_provider: hashing.map_or(c.hash_provider, |(h, _, _)| h),
        ..*c
    };
    match s {
        SupportedCipherSuite::Tls13(t) => {
            SupportedCipherSuite::Tls13(Box::leak(Box::new(Tls13CipherSuite {
                common: common(&t.common),
                hkdf_provider: hashing.map_or(t.hkdf_provider, |(_, m, _)| {
                    Box::leak(Box::new(HkdfUsingHmac(m)))
                }),
                aead_alg: aead.map_or(t.aead_alg, |(a, k)| Box::leak(Box::new(Tls13Aead(a, k)))),
                quic: t.quic,
            })))
        }
        SupportedCipherSuite::Tls12(t) => {
            SupportedCipherSuite::Tls12(Box::leak(Box::new(Tls12CipherSuite {
                common: common(&t.common),
                prf_provider: engine_prf,
                kx: t.kx,
                sign: t.sign,
                aead_alg: aead.map_or(t.aead_alg, |(a, k)| Box::leak(Box::new(Tls12Aead(a, k)))),
            })))
        }
    }
}

struct HostHashAlg(HashAlg);

static HOST_SHA256: HostHashAlg = HostHashAlg(HashAlg::Sha256);
static HOST_SHA384: HostHashAlg = HostHashAlg(HashAlg::Sha384);

fn digest(alg: HashAlg, data: &[u8]) -> Output {
    match host() {
        Some(h) => Output::new(&h.digest(alg, data)),
        // Not reached: these tables are used only when a host is installed.
        None => Output::new(&ring_digest(alg, data)),
    }
}

/// `alg`'s hash of `data`, by the engine's own ring.
pub(crate) fn ring_digest(alg: HashAlg, data: &[u8]) -> Vec<u8> {
    let alg = match alg {
        HashAlg::Sha256 => &ring::digest::SHA256,
        HashAlg::Sha384 => &ring::digest::SHA384,
    };
    ring::digest::digest(alg, data).as_ref().to_vec()
}

/// HMAC with `alg`'s hash, by the engine's own ring.
pub(crate) fn ring_hmac(alg: HashAlg, key: &[u8], message: &[u8]) -> Vec<u8> {
    let alg = match alg {
        HashAlg::Sha256 => ring::hmac::HMAC_SHA256,
        HashAlg::Sha384 => ring::hmac::HMAC_SHA384,
    };
    ring::hmac::sign(&ring::hmac::Key::new(alg, key), message)
        .as_ref()
        .to_vec()
}

impl Hash for HostHashAlg {
    fn start(&self) -> Box<dyn HashContext> {
        Box::new(Transcript {
            alg: self.0,
            state: Mutex::new(Pending {
                host: None,
                data: Vec::new(),
            }),
        })
    }

    fn hash(&self, data: &[u8]) -> Output {
        digest(self.0, data)
    }

    fn output_len(&self) -> usize {
        match self.0 {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }

    fn algorithm(&self) -> HashAlgorithm {
        match self.0 {
            HashAlg::Sha256 => HashAlgorithm::SHA256,
            HashAlg::Sha384 => HashAlgorithm::SHA384,
        }
    }
}

/// A running hash on the host, fed lazily: rustls appends each handshake
/// message and asks for the hash a few times, so the messages wait here
/// until the next question and go over with it, one host call per question
/// and each byte hashed once.
struct Transcript {
    alg: HashAlg,
    // `fork_finish` takes `&self` and moves the waiting bytes.
    state: Mutex<Pending>,
}

struct Pending {
    /// Made at the first question.
    host: Option<Box<dyn HostHash>>,
    data: Vec<u8>,
}

impl Transcript {
    fn hash_so_far(&self) -> Output {
        let mut p = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Pending { host: ctx, data } = &mut *p;
        if ctx.is_none() {
            *ctx = host().map(|c| c.new_hash(self.alg));
        }
        match ctx {
            Some(h) => {
                let out = h.append_and_hash(data);
                data.clear();
                Output::new(&out)
            }
            // Not reached: these tables are used only when a host is installed.
            None => Output::new(&ring_digest(self.alg, data)),
        }
    }
}

impl HashContext for Transcript {
    fn fork_finish(&self) -> Output {
        self.hash_so_far()
    }

    fn fork(&self) -> Box<dyn HashContext> {
        let p = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (host, data) = match &p.host {
            Some(h) => (Some(h.fork(&p.data)), Vec::new()),
            None => (None, p.data.clone()),
        };
        Box::new(Transcript {
            alg: self.alg,
            state: Mutex::new(Pending { host, data }),
        })
    }

    fn finish(self: Box<Self>) -> Output {
        self.hash_so_far()
    }

    fn update(&mut self, data: &[u8]) {
        let p = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        p.data.extend_from_slice(data);
    }
}

struct HostHmac(HashAlg);

static HOST_HMAC_SHA256: HostHmac = HostHmac(HashAlg::Sha256);
static HOST_HMAC_SHA384: HostHmac = HostHmac(HashAlg::Sha384);

impl Hmac for HostHmac {
    fn with_key(&self, key: &[u8]) -> Box<dyn HmacKey> {
        Box::new(HostHmacKey {
            alg: self.0,
            key: Secret(key.to_vec()),
        })
    }

    fn hash_output_len(&self) -> usize {
        HostHashAlg(self.0).output_len()
    }
}

/// Key bytes, wiped when dropped.
struct Secret(Vec<u8>);

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.iter_mut().for_each(|b| *b = 0);
    }
}

struct HostHmacKey {
    alg: HashAlg,
    key: Secret,
}

impl HmacKey for HostHmacKey {
    fn sign_concat(&self, first: &[u8], middle: &[&[u8]], last: &[u8]) -> Tag {
        let mut msg = Vec::with_capacity(
            first.len() + middle.iter().map(|m| m.len()).sum::<usize>() + last.len(),
        );
        msg.extend_from_slice(first);
        for m in middle {
            msg.extend_from_slice(m);
        }
        msg.extend_from_slice(last);
        let tag = match host() {
            Some(h) => h.hmac(self.alg, &self.key.0, &msg),
            None => ring_hmac(self.alg, &self.key.0, &msg),
        };
        Tag::new(&tag)
    }

    fn tag_len(&self) -> usize {
        HostHashAlg(self.alg).output_len()
    }
}

/// The TLS 1.2 PRF: on the host, in one call per use (the master secret,
/// the key block, each Finished), where HMAC per block would take two calls
/// per output block and set the key up each time; or by the engine's ring.
struct EnginePrf {
    alg: HashAlg,
    on_host: bool,
}

static HOST_PRF_SHA256: EnginePrf = EnginePrf {
    alg: HashAlg::Sha256,
    on_host: true,
};
static HOST_PRF_SHA384: EnginePrf = EnginePrf {
    alg: HashAlg::Sha384,
    on_host: true,
};
static RING_PRF_SHA256: EnginePrf = EnginePrf {
    alg: HashAlg::Sha256,
    on_host: false,
};
static RING_PRF_SHA384: EnginePrf = EnginePrf {
    alg: HashAlg::Sha384,
    on_host: false,
};

thread_local! {
    /// The key blocks this sandbox's PRF derived (in the native tests, the
    /// thread's), by master secret.
    static KEY_BLOCKS: std::cell::RefCell<KeyBlocks> = std::cell::RefCell::new(KeyBlocks::default());
}

/// What an RFC 5705 exporter needs besides rustls, which keeps the master
/// secret and the randoms to itself: the key block is derived from exactly
/// those, so the PRF sees them go by.
#[derive(Clone)]
pub(crate) struct KeyBlockInputs {
    pub(crate) master_secret: Vec<u8>,
    pub(crate) client_random: Vec<u8>,
    pub(crate) server_random: Vec<u8>,
}

impl fmt::Debug for KeyBlockInputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyBlockInputs { .. }")
    }
}

/// The inputs of the TLS 1.2 key blocks the engine's PRF derived, looked
/// up by master secret: which connection asks, and in what order rustls
/// called the PRF, does not matter.
#[derive(Default)]
pub(crate) struct KeyBlocks(std::collections::VecDeque<KeyBlockInputs>);

impl KeyBlocks {
    /// Key blocks kept at most (a sandbox serves one connection at a time).
    const KEPT: usize = 4;

    /// One PRF call. A key block's derivation (RFC 5246, 6.3: "key
    /// expansion" over server_random + client_random) is kept; the first
    /// for a master secret stays, so a later `prf/5` call with the same
    /// label and secret cannot pass other randoms off as the session's.
    pub(crate) fn observe(&mut self, label: &[u8], secret: &[u8], seed: &[u8]) {
        if label != b"key expansion" || seed.len() != 64 || self.inputs_for(secret).is_some() {
            return;
        }
        if self.0.len() == Self::KEPT {
            self.0.pop_front();
        }
        self.0.push_back(KeyBlockInputs {
            master_secret: secret.to_vec(),
            client_random: seed[32..].to_vec(),
            server_random: seed[..32].to_vec(),
        });
    }

    /// The inputs of the key block derived from `master_secret`.
    pub(crate) fn inputs_for(&self, master_secret: &[u8]) -> Option<KeyBlockInputs> {
        self.0
            .iter()
            .find(|k| k.master_secret == master_secret)
            .cloned()
    }
}

/// The randoms of the session whose master secret (from the key log) is
/// `master_secret`, as the PRF saw them when rustls derived its key block.
pub(crate) fn key_block_inputs(master_secret: &[u8]) -> Option<KeyBlockInputs> {
    KEY_BLOCKS.with(|k| k.borrow().inputs_for(master_secret))
}

impl Prf for EnginePrf {
    fn for_key_exchange(
        &self,
        output: &mut [u8; 48],
        kx: Box<dyn ActiveKeyExchange>,
        peer_pub_key: &[u8],
        label: &[u8],
        seed: &[u8],
    ) -> Result<(), rustls::Error> {
        let secret = kx.complete_for_tls_version(peer_pub_key, &rustls::version::TLS12)?;
        self.for_secret(output, secret.secret_bytes(), label, seed);
        Ok(())
    }

    fn for_secret(&self, output: &mut [u8], secret: &[u8], label: &[u8], seed: &[u8]) {
        KEY_BLOCKS.with(|k| k.borrow_mut().observe(label, secret, seed));
        let out = match host().filter(|_| self.on_host) {
            Some(h) => Secret(h.tls12_prf(self.alg, secret, label, seed, output.len())),
            None => Secret(ring_tls12_prf(self.alg, secret, label, seed, output.len())),
        };
        output.copy_from_slice(&out.0[..output.len()]);
    }
}

/// The TLS 1.2 PRF by the engine's own ring: rustls's PRF over ring's HMAC.
pub(crate) fn ring_tls12_prf(
    alg: HashAlg,
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    len: usize,
) -> Vec<u8> {
    use rustls::crypto::ring::cipher_suite as suites;
    let suite = match alg {
        HashAlg::Sha256 => suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        HashAlg::Sha384 => suites::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    };
    let SupportedCipherSuite::Tls12(suite) = suite else {
        unreachable!("a TLS 1.2 suite")
    };
    let mut out = vec![0; len];
    suite.prf_provider.for_secret(&mut out, secret, label, seed);
    out
}

// ---- record protection ----

const TAG_LEN: usize = 16;

/// The engine's own ChaCha20-Poly1305 as a record key (`chacha` is a leaf).
impl RecordKey for super::chacha::ChaCha20Poly1305 {
    fn seal(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
        Self::seal(self, nonce, aad, plaintext)
    }

    fn open(&self, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        Self::open(self, nonce, aad, ciphertext)
    }

    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> Option<[u8; TAG_LEN]> {
        Self::seal_in_place(self, nonce, aad, buf)
    }

    fn open_in_place(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> Option<usize> {
        Self::open_in_place(self, nonce, aad, buf)
    }
}
const GCM_EXPLICIT_NONCE_LEN: usize = 8;

fn key_len(alg: AeadAlg) -> usize {
    match alg {
        AeadAlg::Aes128Gcm => 16,
        _ => 32,
    }
}

/// Who holds a suite's record keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// The host (`new-aead-key`).
    Host,
    /// The engine (ChaCha20-Poly1305 only).
    Engine,
}

/// The key; `None` when there is none (every record then fails). A host
/// may decline a ChaCha20-Poly1305 key (jco's Node host does: its per-call
/// cost makes the engine's own faster); the engine then keeps it.
fn aead_key(alg: AeadAlg, keys: Keys, key: &AeadKey) -> Option<Box<dyn RecordKey>> {
    let engine = || {
        super::chacha::ChaCha20Poly1305::new(key.as_ref())
            .map(|k| Box::new(k) as Box<dyn RecordKey>)
    };
    match keys {
        Keys::Host => {
            let hosts = host()?.new_aead_key(alg, key.as_ref()).ok();
            if alg == AeadAlg::Chacha20Poly1305 {
                hosts.or_else(engine)
            } else {
                hosts
            }
        }
        Keys::Engine => engine(),
    }
}

/// Seals `buf` in place and appends the tag.
fn seal(
    key: &Option<Box<dyn RecordKey>>,
    nonce: &[u8],
    aad: &[u8],
    buf: &mut PrefixedPayload,
    from: usize,
) -> Result<(), Error> {
    let tag = key
        .as_ref()
        .and_then(|k| k.seal_in_place(nonce, aad, &mut buf.as_mut()[from..]))
        .ok_or(Error::EncryptError)?;
    buf.extend_from_slice(&tag);
    Ok(())
}

/// Opens `payload[from..]` and leaves the plaintext at the start.
fn open(
    key: &Option<Box<dyn RecordKey>>,
    nonce: &[u8],
    aad: &[u8],
    payload: &mut rustls::crypto::cipher::BorrowedPayload<'_>,
    from: usize,
) -> Result<usize, Error> {
    let key = key.as_ref().ok_or(Error::DecryptError)?;
    let len = if from == 0 {
        key.open_in_place(nonce, aad, payload)
    } else {
        // GCM's explicit nonce first (a host key, which copies anyway):
        // the plaintext goes straight to the start, not via `from`.
        key.open(nonce, aad, &payload[from..]).map(|plain| {
            payload[..plain.len()].copy_from_slice(&plain);
            plain.len()
        })
    }
    .ok_or(Error::DecryptError)?;
    payload.truncate(len);
    Ok(len)
}

/// The keys as ring's suites give them to `dangerous_extract_secrets`.
fn traffic_secrets(alg: AeadAlg, key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
    match alg {
        AeadAlg::Aes128Gcm => ConnectionTrafficSecrets::Aes128Gcm { key, iv },
        AeadAlg::Aes256Gcm => ConnectionTrafficSecrets::Aes256Gcm { key, iv },
        AeadAlg::Chacha20Poly1305 => ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv },
    }
}

struct Tls13Aead(AeadAlg, Keys);

impl Tls13AeadAlgorithm for Tls13Aead {
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        Box::new(Tls13Sealer {
            key: aead_key(self.0, self.1, &key),
            iv,
        })
    }

    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        Box::new(Tls13Opener {
            key: aead_key(self.0, self.1, &key),
            iv,
        })
    }

    fn key_len(&self) -> usize {
        key_len(self.0)
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok(traffic_secrets(self.0, key, iv))
    }
}

struct Tls13Sealer {
    key: Option<Box<dyn RecordKey>>,
    iv: Iv,
}

impl MessageEncrypter for Tls13Sealer {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(msg.payload.len());
        // TLSInnerPlaintext: the content, then its real type.
        let mut payload = PrefixedPayload::with_capacity(total_len);
        payload.extend_from_chunks(&msg.payload);
        payload.extend_from_slice(&[u8::from(msg.typ)]);
        let (nonce, aad) = (Nonce::new(&self.iv, seq).0, make_tls13_aad(total_len));
        seal(&self.key, &nonce, &aad, &mut payload, 0)?;
        Ok(OutboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            payload,
        ))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + 1 + TAG_LEN
    }
}

struct Tls13Opener {
    key: Option<Box<dyn RecordKey>>,
    iv: Iv,
}

impl MessageDecrypter for Tls13Opener {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        if msg.payload.len() < TAG_LEN {
            return Err(Error::DecryptError);
        }
        let (nonce, aad) = (
            Nonce::new(&self.iv, seq).0,
            make_tls13_aad(msg.payload.len()),
        );
        open(&self.key, &nonce, &aad, &mut msg.payload, 0)?;
        msg.into_tls13_unpadded_message()
    }
}

struct Tls12Aead(AeadAlg, Keys);

impl Tls12AeadAlgorithm for Tls12Aead {
    fn encrypter(&self, key: AeadKey, iv: &[u8], extra: &[u8]) -> Box<dyn MessageEncrypter> {
        Box::new(Tls12Sealer {
            key: aead_key(self.0, self.1, &key),
            iv: self.iv(iv, extra),
            gcm: self.0 != AeadAlg::Chacha20Poly1305,
        })
    }

    fn decrypter(&self, key: AeadKey, iv: &[u8]) -> Box<dyn MessageDecrypter> {
        Box::new(Tls12Opener {
            key: aead_key(self.0, self.1, &key),
            // GCM's explicit part comes with each record: only the salt counts.
            iv: self.iv(iv, &[0; GCM_EXPLICIT_NONCE_LEN]),
            gcm: self.0 != AeadAlg::Chacha20Poly1305,
        })
    }

    fn key_block_shape(&self) -> KeyBlockShape {
        match self.0 {
            AeadAlg::Chacha20Poly1305 => KeyBlockShape {
                enc_key_len: 32,
                fixed_iv_len: 12,
                explicit_nonce_len: 0,
            },
            alg => KeyBlockShape {
                enc_key_len: key_len(alg),
                fixed_iv_len: 4,
                explicit_nonce_len: 8,
            },
        }
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: &[u8],
        explicit: &[u8],
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok(traffic_secrets(self.0, key, self.iv(iv, explicit)))
    }
}

impl Tls12Aead {
    /// ring's nonce base: GCM's 4-byte salt and 8-byte explicit start,
    /// ChaCha20's 12-byte IV (RFC 7905).
    fn iv(&self, iv: &[u8], explicit: &[u8]) -> Iv {
        let mut n = [0u8; 12];
        if self.0 == AeadAlg::Chacha20Poly1305 {
            n.copy_from_slice(&iv[..12]);
        } else {
            n[..4].copy_from_slice(&iv[..4]);
            n[4..].copy_from_slice(&explicit[..8]);
        }
        Iv::new(n)
    }
}

struct Tls12Sealer {
    key: Option<Box<dyn RecordKey>>,
    iv: Iv,
    gcm: bool,
}

impl MessageEncrypter for Tls12Sealer {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let nonce = Nonce::new(&self.iv, seq).0;
        let aad = make_tls12_aad(seq, msg.typ, msg.version, msg.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        let explicit = if self.gcm {
            // GCM's explicit nonce goes in the clear before the ciphertext.
            payload.extend_from_slice(&nonce[4..]);
            GCM_EXPLICIT_NONCE_LEN
        } else {
            0
        };
        payload.extend_from_chunks(&msg.payload);
        seal(&self.key, &nonce, &aad, &mut payload, explicit)?;
        Ok(OutboundOpaqueMessage::new(msg.typ, msg.version, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + TAG_LEN + if self.gcm { GCM_EXPLICIT_NONCE_LEN } else { 0 }
    }
}

struct Tls12Opener {
    key: Option<Box<dyn RecordKey>>,
    /// GCM: the 4-byte salt first; ChaCha20: the IV.
    iv: Iv,
    gcm: bool,
}

impl MessageDecrypter for Tls12Opener {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let explicit = if self.gcm { GCM_EXPLICIT_NONCE_LEN } else { 0 };
        if msg.payload.len() < TAG_LEN + explicit {
            return Err(Error::DecryptError);
        }
        let nonce = if self.gcm {
            let mut n = [0u8; 12];
            n[..4].copy_from_slice(&self.iv.as_ref()[..4]);
            n[4..].copy_from_slice(&msg.payload[..8]);
            n
        } else {
            Nonce::new(&self.iv, seq).0
        };
        let plain_len = msg.payload.len() - TAG_LEN - explicit;
        let aad = make_tls12_aad(seq, msg.typ, msg.version, plain_len);
        if open(&self.key, &nonce, &aad, &mut msg.payload, explicit)? > MAX_FRAGMENT_LEN {
            return Err(Error::PeerSentOversizedRecord);
        }
        Ok(msg.into_plain_message())
    }
}

/// TLS's largest plaintext fragment (2^14).
const MAX_FRAGMENT_LEN: usize = 16384;

#[cfg(test)]
mod key_block_tests {
    use super::KeyBlocks;

    fn seed(server: u8, client: u8) -> Vec<u8> {
        [[server; 32], [client; 32]].concat()
    }

    #[test]
    fn key_blocks_are_found_by_master_secret_whatever_came_after() {
        let mut k = KeyBlocks::default();
        k.observe(b"master secret", &[1; 48], &seed(9, 9));
        assert!(k.inputs_for(&[1; 48]).is_none(), "only key blocks are kept");
        k.observe(b"key expansion", &[1; 48], &seed(2, 3));
        k.observe(b"key expansion", &[4; 48], &seed(5, 6));
        // A prf/5 call with the session's secret and the same label.
        k.observe(b"key expansion", &[1; 48], &seed(7, 7));
        let first = k.inputs_for(&[1; 48]).unwrap();
        assert_eq!(first.server_random, [2; 32]);
        assert_eq!(first.client_random, [3; 32]);
        assert_eq!(k.inputs_for(&[4; 48]).unwrap().client_random, [6; 32]);
        for i in 10..10 + KeyBlocks::KEPT as u8 {
            k.observe(b"key expansion", &[i; 48], &seed(i, i));
        }
        assert!(k.inputs_for(&[1; 48]).is_none(), "bounded: the oldest go");
        assert!(k.inputs_for(&[10; 48]).is_some());
    }
}
