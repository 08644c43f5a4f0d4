//! What a shared store holds, sealed under the fleet's secret: a session
//! is a resumption secret, and whoever reads the store must learn nothing
//! from it. Names are HMACs (a session ID seen on the wire does not find
//! its entry), values AES-256-GCM with the name as associated data (an
//! entry moved under another name does not open).

use crate::provider::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use crate::provider::hkdf::{Salt, HKDF_SHA256};
use crate::provider::hmac;
use crate::provider::rand::{SecureRandom, SystemRandom};

/// The fewest bytes a fleet secret may have.
pub(crate) const MIN_SECRET: usize = 32;

pub(crate) struct Sealer {
    names: hmac::Key,
    values: LessSafeKey,
    rng: SystemRandom,
}

impl Sealer {
    pub(crate) fn new(secret: &[u8]) -> Result<Sealer, String> {
        if secret.len() < MIN_SECRET {
            return Err(format!(
                "the fleet secret has {} bytes; it needs at least {MIN_SECRET} \
                 (e.g. head -c 32 /dev/urandom > fleet.secret)",
                secret.len()
            ));
        }
        let prk = Salt::new(HKDF_SHA256, b"wassl fleet secret").extract(secret);
        let derive = |label: &[u8]| {
            let mut k = [0u8; 32];
            prk.expand(&[label], crate::kdf::Len(32))
                .and_then(|okm| okm.fill(&mut k))
                .map(|()| k)
                .map_err(|_| "HKDF-SHA256 refused 32 bytes".to_string())
        };
        let names = hmac::Key::new(hmac::HMAC_SHA256, &derive(b"names")?);
        let values = UnboundKey::new(&AES_256_GCM, &derive(b"values")?)
            .map_err(|_| "AES-256-GCM refused its key".to_string())?;
        Ok(Sealer {
            names,
            values: LessSafeKey::new(values),
            rng: SystemRandom::new(),
        })
    }

    /// The store's name for `key` of a `kind` (sessions, ticket keys).
    pub(crate) fn name(&self, prefix: &str, kind: &str, key: &[u8]) -> String {
        let mut ctx = hmac::Context::with_key(&self.names);
        ctx.update(kind.as_bytes());
        ctx.update(&[0]);
        ctx.update(key);
        let tag = ctx.sign();
        let hex: String = tag.as_ref()[..20]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{prefix}{kind}:{hex}")
    }

    pub(crate) fn seal(&self, name: &str, value: &[u8]) -> Option<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).ok()?;
        let mut out = value.to_vec();
        self.values
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(name.as_bytes()),
                &mut out,
            )
            .ok()?;
        Some([&nonce[..], &out].concat())
    }

    pub(crate) fn open(&self, name: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let mut data = rest.to_vec();
        let plain = self
            .values
            .open_in_place(
                Nonce::try_assume_unique_for_key(nonce).ok()?,
                Aad::from(name.as_bytes()),
                &mut data,
            )
            .ok()?;
        Some(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_under_their_name_and_secret() {
        assert!(Sealer::new(&[1; 31]).is_err(), "a short secret is refused");
        let s = Sealer::new(&[1; 32]).unwrap();
        let n = s.name("p:", "s", b"session id");
        assert!(n.starts_with("p:s:") && n.len() == 4 + 40, "{n}");
        assert_ne!(n, s.name("p:", "t", b"session id"), "kinds differ");
        assert!(!n.contains("73657373"), "the key is not in the name");
        let sealed = s.seal(&n, b"secret").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(s.open(&n, &sealed).as_deref(), Some(&b"secret"[..]));
        assert_eq!(
            s.open("p:s:other", &sealed),
            None,
            "moved entries do not open"
        );
        let other = Sealer::new(&[2; 32]).unwrap();
        assert_eq!(other.open(&n, &sealed), None, "another fleet's secret");
        assert_eq!(s.open(&n, &sealed[..5]), None);
    }
}
