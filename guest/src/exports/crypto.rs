//! The engine's [`CryptoHost`] answered by the imported `crypto` interface:
//! the host's native key exchange, signing and verification.

use crate::bindings::wassl::tls::crypto as wit;
use crate::engine::crypto::{
    AeadAlg, Capabilities, CryptoHost, HashAlg, HostHash, HostKey, HostKeyShare, KeyFormat,
    LoadedKey, RecordKey, VerifyAlgorithm,
};

/// The imported interface; stateless, so one static serves the instance.
pub(crate) struct ImportedCrypto;

pub(crate) static IMPORTED: ImportedCrypto = ImportedCrypto;

struct Share(wit::KeyShare);

impl HostKeyShare for Share {
    fn public_key(&self) -> Vec<u8> {
        self.0.public_key()
    }

    fn complete(self: Box<Self>, peer: &[u8]) -> Result<Vec<u8>, String> {
        wit::KeyShare::complete(self.0, peer)
    }
}

struct Aead(wit::AeadKey);

impl RecordKey for Aead {
    fn seal(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
        self.0.seal(nonce, aad, plaintext)
    }

    fn open(&self, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        self.0.open(nonce, aad, ciphertext)
    }
}

struct Transcript(wit::HashContext);

impl HostHash for Transcript {
    fn append_and_hash(&self, data: &[u8]) -> Vec<u8> {
        self.0.append_and_hash(data)
    }

    fn fork(&self, data: &[u8]) -> Box<dyn HostHash> {
        Box::new(Transcript(self.0.fork(data)))
    }
}

struct Key(wit::SigningKey);

impl HostKey for Key {
    fn sign(&self, scheme: u16, message: &[u8]) -> Result<Vec<u8>, String> {
        self.0.sign(scheme, message)
    }
}

fn hash_alg(a: HashAlg) -> wit::HashAlgorithm {
    match a {
        HashAlg::Sha256 => wit::HashAlgorithm::Sha256,
        HashAlg::Sha384 => wit::HashAlgorithm::Sha384,
    }
}

fn algorithm(a: VerifyAlgorithm) -> wit::VerifyAlgorithm {
    use wit::VerifyAlgorithm as W;
    use VerifyAlgorithm as V;
    match a {
        V::EcdsaP256Sha256 => W::EcdsaP256Sha256,
        V::EcdsaP256Sha384 => W::EcdsaP256Sha384,
        V::EcdsaP384Sha256 => W::EcdsaP384Sha256,
        V::EcdsaP384Sha384 => W::EcdsaP384Sha384,
        V::Ed25519 => W::Ed25519,
        V::RsaPssSha256LegacyKey => W::RsaPssSha256LegacyKey,
        V::RsaPssSha384LegacyKey => W::RsaPssSha384LegacyKey,
        V::RsaPssSha512LegacyKey => W::RsaPssSha512LegacyKey,
        V::RsaPkcs1Sha256 => W::RsaPkcs1Sha256,
        V::RsaPkcs1Sha384 => W::RsaPkcs1Sha384,
        V::RsaPkcs1Sha512 => W::RsaPkcs1Sha512,
        V::RsaPkcs1Sha256AbsentParams => W::RsaPkcs1Sha256AbsentParams,
        V::RsaPkcs1Sha384AbsentParams => W::RsaPkcs1Sha384AbsentParams,
        V::RsaPkcs1Sha512AbsentParams => W::RsaPkcs1Sha512AbsentParams,
    }
}

impl CryptoHost for ImportedCrypto {
    fn capabilities(&self) -> Capabilities {
        let c = wit::capabilities();
        Capabilities {
            key_exchange: c.contains(wit::Capability::KEY_EXCHANGE),
            signing: c.contains(wit::Capability::SIGNING),
            verification: c.contains(wit::Capability::VERIFICATION),
            hashing: c.contains(wit::Capability::HASHING),
            record_protection: c.contains(wit::Capability::RECORD_PROTECTION),
        }
    }

    fn start_key_exchange(&self, group: u16) -> Result<Box<dyn HostKeyShare>, String> {
        wit::start_key_exchange(group).map(|s| Box::new(Share(s)) as Box<dyn HostKeyShare>)
    }

    fn agree(&self, group: u16, peer: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
        wit::agree(group, peer)
    }

    fn load_signing_key(&self, format: KeyFormat, der: &[u8]) -> Result<LoadedKey, String> {
        let format = match format {
            KeyFormat::Pkcs1 => wit::KeyFormat::Pkcs1,
            KeyFormat::Sec1 => wit::KeyFormat::Sec1,
            KeyFormat::Pkcs8 => wit::KeyFormat::Pkcs8,
        };
        wit::load_signing_key(format, der).map(|k| LoadedKey {
            key: Box::new(Key(k.key)),
            algorithm: k.algorithm,
            public_key: k.public_key,
            schemes: k.schemes,
        })
    }

    fn new_aead_key(&self, alg: AeadAlg, key: &[u8]) -> Result<Box<dyn RecordKey>, String> {
        let alg = match alg {
            AeadAlg::Aes128Gcm => wit::AeadAlgorithm::Aes128Gcm,
            AeadAlg::Aes256Gcm => wit::AeadAlgorithm::Aes256Gcm,
            AeadAlg::Chacha20Poly1305 => wit::AeadAlgorithm::Chacha20Poly1305,
        };
        wit::new_aead_key(alg, key).map(|k| Box::new(Aead(k)) as Box<dyn RecordKey>)
    }

    fn digest(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
        wit::digest(hash_alg(alg), data)
    }

    fn new_hash(&self, alg: HashAlg) -> Box<dyn HostHash> {
        Box::new(Transcript(wit::HashContext::new(hash_alg(alg))))
    }

    fn hmac(&self, alg: HashAlg, key: &[u8], message: &[u8]) -> Vec<u8> {
        wit::hmac(hash_alg(alg), key, message)
    }

    fn tls12_prf(
        &self,
        alg: HashAlg,
        secret: &[u8],
        label: &[u8],
        seed: &[u8],
        len: usize,
    ) -> Vec<u8> {
        wit::tls12_prf(hash_alg(alg), secret, label, seed, len as u32)
    }

    fn verify_signature(
        &self,
        alg: VerifyAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        wit::verify_signature(algorithm(alg), public_key, message, signature)
    }
}
