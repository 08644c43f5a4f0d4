//! The host side of `wassl:tls/crypto`: key exchange, signing, signature
//! verification, hashing, HMAC and record AEAD for the engine, natively, with
//! the code native rustls runs over the host's library (`provider`).
//! Ephemeral keys and private keys live in the store's resource table and
//! never cross into the sandbox; nothing here is logged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rustls::crypto::{ActiveKeyExchange, SupportedKxGroup};
use rustls::pki_types::{
    PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
    SignatureVerificationAlgorithm,
};
use rustls::sign::SigningKey as RustlsSigningKey;
use rustls::{NamedGroup, SignatureScheme};
use wasmtime::component::Resource;

use crate::bindings::wassl::tls::crypto::{
    AeadAlgorithm, Capability, HashAlgorithm, Host, HostAeadKey, HostHashContext, HostKeyShare,
    HostSigningKey, KeyFormat, LoadedKey, VerifyAlgorithm,
};
use crate::imports::HostState;
use crate::kdf::Sha;
use crate::provider::{aead, digest, hmac, rustls_provider};

// `pub` because the generated bindings re-export the resource types; the
// module keeps them private to the crate.

/// An ephemeral key of one key exchange (the `key-share` resource).
#[allow(unreachable_pub)]
pub struct KeyShare(Box<dyn ActiveKeyExchange>);

/// A record protection key (the `aead-key` resource).
#[allow(unreachable_pub)]
pub struct AeadKey(aead::LessSafeKey);

/// A running transcript hash (the `hash-context` resource).
#[allow(unreachable_pub)]
pub struct HashContext(digest::Context);

/// A parsed private key (the `signing-key` resource), shared by every
/// connection configured with the same key.
#[allow(unreachable_pub)]
pub struct SigningKey(Arc<dyn RustlsSigningKey>);

fn group(code: u16) -> Result<&'static dyn SupportedKxGroup, String> {
    let name = NamedGroup::from(code);
    rustls_provider::ALL_KX_GROUPS
        .iter()
        .copied()
        .find(|g| g.name() == name)
        .ok_or_else(|| format!("no key exchange in group {name:?}"))
}

/// Every scheme the engine may sign with, in ring's order of preference
/// (RSA: PSS before PKCS #1, longer hashes first). Not ECDSA P-521: the
/// engine's `signature_algs` are those ring implements, so aws-lc-rs's
/// P-521 keys are refused as ring refuses them (see `load_key`).
const SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ED25519,
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA256,
];

/// A parsed key and what the engine is told of it, all fixed by its DER.
#[derive(Clone)]
struct Parsed {
    key: Arc<dyn RustlsSigningKey>,
    public_key: Vec<u8>,
    schemes: Vec<u16>,
    algorithm: u8,
}

type KeyCache = Mutex<HashMap<Vec<u8>, Parsed>>;

/// Parsed keys by their DER: loading a key (an ECDSA key checks its public
/// point, a scalar multiplication) and encoding its public half are paid
/// once per key, not per connection.
fn key_cache() -> &'static KeyCache {
    static CACHE: OnceLock<KeyCache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Enough for every key of a busy server; past it the cache starts over.
const KEY_CACHE_MAX: usize = 256;

fn load_key(format: KeyFormat, der: Vec<u8>) -> Result<Parsed, String> {
    let mut cache = key_cache().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(k) = cache.get(&der) {
        return Ok(k.clone());
    }
    let key = match format {
        KeyFormat::Pkcs1 => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der.clone())),
        KeyFormat::Sec1 => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der.clone())),
        KeyFormat::Pkcs8 => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der.clone())),
    };
    let key = rustls_provider::sign::any_supported_type(&key).map_err(|e| match e {
        // rustls's words, so the engine's option error reads as it would
        // with its own provider.
        rustls::Error::General(text) => text,
        other => other.to_string(),
    })?;
    let public_key = key
        .public_key()
        .map(|spki| spki.as_ref().to_vec())
        .ok_or("the key's public half is unknown")?;
    let schemes: Vec<u16> = SCHEMES
        .iter()
        .filter(|s| key.choose_scheme(&[**s]).is_some())
        .map(|s| u16::from(*s))
        .collect();
    if schemes.is_empty() {
        // A key only aws-lc-rs loads (P-521): no handshake could use it, so
        // it is refused at once, in the words ring's refusal has.
        return Err("failed to parse private key as RSA, ECDSA, or EdDSA".into());
    }
    let algorithm = u8::from(key.algorithm());
    let parsed = Parsed {
        key,
        public_key,
        schemes,
        algorithm,
    };
    if cache.len() >= KEY_CACHE_MAX {
        cache.clear();
    }
    cache.insert(der, parsed.clone());
    Ok(parsed)
}

fn verifier(alg: VerifyAlgorithm) -> &'static dyn SignatureVerificationAlgorithm {
    use crate::provider::webpki_algorithms as w;
    use VerifyAlgorithm as V;
    match alg {
        V::EcdsaP256Sha256 => w::ECDSA_P256_SHA256,
        V::EcdsaP256Sha384 => w::ECDSA_P256_SHA384,
        V::EcdsaP384Sha256 => w::ECDSA_P384_SHA256,
        V::EcdsaP384Sha384 => w::ECDSA_P384_SHA384,
        V::Ed25519 => w::ED25519,
        V::RsaPssSha256LegacyKey => w::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        V::RsaPssSha384LegacyKey => w::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        V::RsaPssSha512LegacyKey => w::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        V::RsaPkcs1Sha256 => w::RSA_PKCS1_2048_8192_SHA256,
        V::RsaPkcs1Sha384 => w::RSA_PKCS1_2048_8192_SHA384,
        V::RsaPkcs1Sha512 => w::RSA_PKCS1_2048_8192_SHA512,
        V::RsaPkcs1Sha256AbsentParams => w::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
        V::RsaPkcs1Sha384AbsentParams => w::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
        V::RsaPkcs1Sha512AbsentParams => w::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    }
}

fn digest_algorithm(alg: HashAlgorithm) -> &'static digest::Algorithm {
    match alg {
        HashAlgorithm::Sha256 => &digest::SHA256,
        HashAlgorithm::Sha384 => &digest::SHA384,
    }
}

impl Host for HostState {
    fn capabilities(&mut self) -> Capability {
        if self.host_crypto {
            Capability::all()
        } else {
            Capability::empty()
        }
    }

    fn start_key_exchange(&mut self, code: u16) -> Result<Resource<KeyShare>, String> {
        let kx = group(code)?.start().map_err(|e| e.to_string())?;
        self.table
            .push(KeyShare(kx))
            .map_err(|e| format!("key share table: {e}"))
    }

    fn agree(&mut self, code: u16, peer: Vec<u8>) -> Result<(Vec<u8>, Vec<u8>), String> {
        let done = group(code)?
            .start_and_complete(&peer)
            .map_err(|e| e.to_string())?;
        Ok((done.pub_key, done.secret.secret_bytes().to_vec()))
    }

    fn load_signing_key(&mut self, format: KeyFormat, der: Vec<u8>) -> Result<LoadedKey, String> {
        let Parsed {
            key,
            public_key,
            schemes,
            algorithm,
        } = load_key(format, der)?;
        let key = self
            .table
            .push(SigningKey(key))
            .map_err(|e| format!("signing key table: {e}"))?;
        Ok(LoadedKey {
            key,
            algorithm,
            public_key,
            schemes,
        })
    }

    fn new_aead_key(
        &mut self,
        alg: AeadAlgorithm,
        key: Vec<u8>,
    ) -> Result<Resource<AeadKey>, String> {
        let alg = match alg {
            AeadAlgorithm::Aes128Gcm => &aead::AES_128_GCM,
            AeadAlgorithm::Aes256Gcm => &aead::AES_256_GCM,
            AeadAlgorithm::Chacha20Poly1305 => &aead::CHACHA20_POLY1305,
        };
        let key = aead::UnboundKey::new(alg, &key).map_err(|_| "wrong key length")?;
        self.table
            .push(AeadKey(aead::LessSafeKey::new(key)))
            .map_err(|e| format!("aead key table: {e}"))
    }

    fn digest(&mut self, alg: HashAlgorithm, data: Vec<u8>) -> Vec<u8> {
        digest::digest(digest_algorithm(alg), &data)
            .as_ref()
            .to_vec()
    }

    fn hmac(&mut self, alg: HashAlgorithm, key: Vec<u8>, message: Vec<u8>) -> Vec<u8> {
        let alg = match alg {
            HashAlgorithm::Sha256 => hmac::HMAC_SHA256,
            HashAlgorithm::Sha384 => hmac::HMAC_SHA384,
        };
        hmac::sign(&hmac::Key::new(alg, &key), &message)
            .as_ref()
            .to_vec()
    }

    fn tls12_prf(
        &mut self,
        alg: HashAlgorithm,
        secret: Vec<u8>,
        label: Vec<u8>,
        seed: Vec<u8>,
        len: u32,
    ) -> Vec<u8> {
        let sha = match alg {
            HashAlgorithm::Sha256 => Sha::Sha256,
            HashAlgorithm::Sha384 => Sha::Sha384,
        };
        // The engine asks for 12 to 136 bytes; a larger ask is capped, not
        // an allocation the guest chooses.
        let mut out = vec![0; (len as usize).min(1 << 16)];
        crate::kdf::tls12_prf(sha, &secret, &label, &seed, &mut out);
        out
    }

    fn verify_signature(
        &mut self,
        alg: VerifyAlgorithm,
        public_key: Vec<u8>,
        message: Vec<u8>,
        signature: Vec<u8>,
    ) -> bool {
        verifier(alg)
            .verify_signature(&public_key, &message, &signature)
            .is_ok()
    }
}

impl HostKeyShare for HostState {
    fn public_key(&mut self, share: Resource<KeyShare>) -> Vec<u8> {
        self.table
            .get(&share)
            .map(|s| s.0.pub_key().to_vec())
            .unwrap_or_default()
    }

    fn complete(&mut self, share: Resource<KeyShare>, peer: Vec<u8>) -> Result<Vec<u8>, String> {
        let share = self.table.delete(share).map_err(|e| e.to_string())?;
        share
            .0
            .complete(&peer)
            .map(|s| s.secret_bytes().to_vec())
            .map_err(|e| e.to_string())
    }

    fn drop(&mut self, share: Resource<KeyShare>) -> wasmtime::Result<()> {
        self.table.delete(share)?;
        Ok(())
    }
}

impl HostHashContext for HostState {
    fn new(&mut self, alg: HashAlgorithm) -> wasmtime::Result<Resource<HashContext>> {
        // A full table (a guest that never drops its contexts) traps the
        // guest: its socket ends, the host's memory does not grow.
        Ok(self
            .table
            .push(HashContext(digest::Context::new(digest_algorithm(alg))))?)
    }

    fn append_and_hash(&mut self, ctx: Resource<HashContext>, data: Vec<u8>) -> Vec<u8> {
        match self.table.get_mut(&ctx) {
            Ok(c) => {
                c.0.update(&data);
                c.0.clone().finish().as_ref().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }

    fn fork(
        &mut self,
        ctx: Resource<HashContext>,
        data: Vec<u8>,
    ) -> wasmtime::Result<Resource<HashContext>> {
        let mut copy = self.table.get(&ctx)?.0.clone();
        copy.update(&data);
        Ok(self.table.push(HashContext(copy))?)
    }

    fn drop(&mut self, ctx: Resource<HashContext>) -> wasmtime::Result<()> {
        self.table.delete(ctx)?;
        Ok(())
    }
}

impl HostState {
    /// An `aead-key` and a nonce of the right length, or `None`.
    fn aead(
        &self,
        key: &Resource<AeadKey>,
        nonce: &[u8],
    ) -> Option<(&aead::LessSafeKey, aead::Nonce)> {
        let k = self.table.get(key).ok()?;
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        Some((&k.0, nonce))
    }
}

impl HostAeadKey for HostState {
    fn seal(
        &mut self,
        key: Resource<AeadKey>,
        nonce: Vec<u8>,
        aad: Vec<u8>,
        mut data: Vec<u8>,
    ) -> Option<Vec<u8>> {
        let (k, nonce) = self.aead(&key, &nonce)?;
        k.seal_in_place_append_tag(nonce, aead::Aad::from(&aad), &mut data)
            .ok()?;
        Some(data)
    }

    fn open(
        &mut self,
        key: Resource<AeadKey>,
        nonce: Vec<u8>,
        aad: Vec<u8>,
        mut data: Vec<u8>,
    ) -> Option<Vec<u8>> {
        let (k, nonce) = self.aead(&key, &nonce)?;
        let n = k
            .open_in_place(nonce, aead::Aad::from(&aad), &mut data)
            .ok()?
            .len();
        data.truncate(n);
        Some(data)
    }

    fn drop(&mut self, key: Resource<AeadKey>) -> wasmtime::Result<()> {
        self.table.delete(key)?;
        Ok(())
    }
}

impl HostSigningKey for HostState {
    fn sign(
        &mut self,
        key: Resource<SigningKey>,
        scheme: u16,
        message: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        let key = self.table.get(&key).map_err(|e| e.to_string())?;
        let signer = key
            .0
            .choose_scheme(&[SignatureScheme::from(scheme)])
            .ok_or("the key does not sign with this scheme")?;
        signer.sign(&message).map_err(|e| e.to_string())
    }

    fn drop(&mut self, key: Resource<SigningKey>) -> wasmtime::Result<()> {
        self.table.delete(key)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::{bare_state as state, RESOURCES_MAX};

    /// A P-521 key: ring cannot sign with it, aws-lc-rs can but the
    /// engine's schemes do not include it. Refused alike with either
    /// library, at once, in rustls's words.
    #[test]
    fn a_p521_key_is_refused_alike_with_either_library() {
        let hex = concat!(
            "3081dc02010104420164b1d20a701acaf0606a5944e288434f8d32d247fcc0c4",
            "c6a6fb9cd8f2f51c02d79601e870cf1ac2c7af84acd0316ca75a96361b4807b6",
            "82fcda4ae41a50af7ce8a00706052b81040023a18189038186000400844bc65d",
            "db7ff9ecf69cf2247999300d1db98aae9921c8dde2c833083f2ebf0b859f1f85",
            "2c61e13f677ad62390e22e8a08db3512bda302f33676d4565eea4a12bf015030",
            "0cdfb41a4ff73868176ae8025e5e4d832e6879d2b489169c6a74d6692c92c715",
            "d62dd442a8bf1b354c08f05db1e5d2907c587d5d277038d034251e031421eb",
        );
        let der = crate::ssl::keys::hex(hex).unwrap();
        let refused = load_key(KeyFormat::Sec1, der).err();
        assert_eq!(
            refused.as_deref(),
            Some("failed to parse private key as RSA, ECDSA, or EdDSA")
        );
    }

    #[test]
    fn a_hash_context_hashes_what_was_appended_and_forks() {
        let mut h = state();
        let sha = |parts: &[&[u8]]| {
            let mut c = digest::Context::new(&digest::SHA384);
            parts.iter().for_each(|p| c.update(p));
            c.finish().as_ref().to_vec()
        };
        let t = HostHashContext::new(&mut h, HashAlgorithm::Sha384).unwrap();
        let rep = t.rep();
        let again = || Resource::<HashContext>::new_own(rep);
        assert_eq!(h.append_and_hash(again(), b"ab".to_vec()), sha(&[b"ab"]));
        let f = HostHashContext::fork(&mut h, again(), b"x".to_vec()).unwrap();
        assert_eq!(h.append_and_hash(again(), b"c".to_vec()), sha(&[b"abc"]));
        assert_eq!(h.append_and_hash(f, Vec::new()), sha(&[b"abx"]));
        HostHashContext::drop(&mut h, again()).unwrap();
        // A dropped or invented handle: no hash, no panic.
        assert!(h.append_and_hash(again(), b"d".to_vec()).is_empty());
        assert!(HostHashContext::fork(&mut h, again(), Vec::new()).is_err());
    }

    #[test]
    fn a_guest_holds_a_bounded_number_of_host_resources() {
        let mut h = state();
        let mut made = 0;
        while HostHashContext::new(&mut h, HashAlgorithm::Sha256).is_ok() {
            made += 1;
            assert!(made <= RESOURCES_MAX, "the table grew past its cap");
        }
        assert_eq!(made, RESOURCES_MAX);
        // The other resources share the cap: refused, not a panic.
        assert!(h
            .new_aead_key(AeadAlgorithm::Aes128Gcm, vec![0; 16])
            .is_err());
        assert!(h.start_key_exchange(0x001d).is_err());
    }
}
