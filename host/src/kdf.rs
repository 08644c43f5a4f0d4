//! Key derivation the host shares: the TLS 1.2 PRF and TLS 1.3's
//! HKDF-Expand-Label, for the record layer, the engine's crypto imports,
//! `prf/5` and the ticket keys. It imports only the crypto library.

use crate::provider::{hkdf, hmac};

/// The hash of a TLS 1.2 PRF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sha {
    Sha256,
    Sha384,
}

/// `out.len()` bytes of the TLS 1.2 PRF (RFC 5246, 5), P_hash over the
/// library's HMAC as rustls's own PRF computes it. Any secret and length,
/// none included: the engine and `prf/5`'s caller choose them
/// (aws-lc-rs's own PRF refuses an empty secret or output, and rustls
/// unwraps that refusal).
pub(crate) fn tls12_prf(sha: Sha, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    let alg = match sha {
        Sha::Sha256 => hmac::HMAC_SHA256,
        Sha::Sha384 => hmac::HMAC_SHA384,
    };
    let key = hmac::Key::new(alg, secret);
    let sign = |parts: &[&[u8]]| {
        let mut ctx = hmac::Context::with_key(&key);
        for p in parts {
            ctx.update(p);
        }
        ctx.sign()
    };
    // A(1) = HMAC(secret, A(0)), A(0) = label + seed.
    let mut a = sign(&[label, seed]);
    let len = a.as_ref().len();
    for chunk in out.chunks_mut(len) {
        let p = sign(&[a.as_ref(), label, seed]);
        chunk.copy_from_slice(&p.as_ref()[..chunk.len()]);
        a = hmac::sign(&key, a.as_ref());
    }
}

/// An output length for the library's HKDF.
pub(crate) struct Len(pub(crate) usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label (RFC 8446, 7.1).
pub(crate) fn expand_label(
    alg: hkdf::Algorithm,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Vec<u8> {
    let out_len = (len as u16).to_be_bytes();
    let label_len = [6 + label.len() as u8];
    let context_len = [context.len() as u8];
    let info: [&[u8]; 6] = [
        &out_len,
        &label_len,
        b"tls13 ",
        label,
        &context_len,
        context,
    ];
    let mut out = vec![0u8; len];
    hkdf::Prk::new_less_safe(alg, secret)
        .expand(&info, Len(len))
        .and_then(|okm| okm.fill(&mut out))
        .expect("HKDF output lengths here are far below the limit");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssl::keys::hex;

    /// rustls's PRF with ring, the one native rustls runs.
    fn rustls_prf(sha: Sha, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
        use rustls::crypto::ring::cipher_suite as suites;
        let suite = match sha {
            Sha::Sha256 => suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            Sha::Sha384 => suites::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        };
        let rustls::SupportedCipherSuite::Tls12(suite) = suite else {
            unreachable!("a TLS 1.2 suite")
        };
        suite.prf_provider.for_secret(out, secret, label, seed);
    }

    #[test]
    fn the_prf_is_rustls_s_for_every_length_and_edge() {
        let secret: Vec<u8> = (0..48u8).collect();
        for sha in [Sha::Sha256, Sha::Sha384] {
            for (secret, label, seed) in [
                (&secret[..], &b"key expansion"[..], &[7u8; 64][..]),
                (&secret[..1], b"", b""),
                (&[][..], b"master secret", b"seed"),
            ] {
                for len in [0, 1, 12, 31, 32, 33, 47, 48, 49, 104, 200] {
                    let (mut ours, mut theirs) = (vec![0; len], vec![0; len]);
                    tls12_prf(sha, secret, label, seed, &mut ours);
                    rustls_prf(sha, secret, label, seed, &mut theirs);
                    assert_eq!(ours, theirs, "{sha:?} {len} bytes, secret {}", secret.len());
                }
            }
        }
    }

    #[test]
    fn the_prf_matches_a_published_vector() {
        // TLS 1.2 PRF with SHA-256, the test vector posted to the IETF TLS
        // list (secret 9bbe436b..., label "test label", 100 bytes).
        let secret = hex("9bbe436ba940f017b17652849a71db35").unwrap();
        let seed = hex("a0ba9f936cda311827a6f796ffd5198c").unwrap();
        let mut out = [0u8; 100];
        tls12_prf(Sha::Sha256, &secret, b"test label", &seed, &mut out);
        let want = hex(concat!(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a",
            "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab",
            "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701",
            "87347b66"
        ))
        .unwrap();
        assert_eq!(out[..], want[..]);
    }
}
