//! Key derivation the host shares: the TLS 1.2 PRF and TLS 1.3's
//! HKDF-Expand-Label, for the record layer, the engine's crypto imports,
//! `prf/5` and the ticket keys. A leaf: it imports nothing of the crate.

use ring::hkdf;

/// The hash of a TLS 1.2 PRF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sha {
    Sha256,
    Sha384,
}

/// `out.len()` bytes of the TLS 1.2 PRF (RFC 5246, 5): rustls's own, over
/// ring's HMAC, the one native rustls runs.
pub(crate) fn tls12_prf(sha: Sha, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
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

/// An output length for ring's HKDF.
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
