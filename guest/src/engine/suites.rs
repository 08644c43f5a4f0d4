//! The name tables: cipher suites, groups and signature schemes by their
//! IANA, OpenSSL and Erlang names, and what the ring provider offers of
//! them. A leaf: it imports only rustls's enums and the option error.

use rustls::{NamedGroup, SignatureScheme};

use super::option_error::OptionError;
use super::CipherSuiteInfo;

pub(crate) fn group_name(g: NamedGroup) -> String {
    match g {
        NamedGroup::X25519 => "x25519".into(),
        NamedGroup::secp256r1 => "secp256r1".into(),
        NamedGroup::secp384r1 => "secp384r1".into(),
        NamedGroup::secp521r1 => "secp521r1".into(),
        NamedGroup::X448 => "x448".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// (code, IANA name, OpenSSL name, key_exchange, cipher, prf) of every suite
/// the ring provider implements, in rustls's default preference order.
pub(crate) const SUITES: &[(u16, &str, &str, &str, &str, &str)] = &[
    (
        0x1302,
        "TLS_AES_256_GCM_SHA384",
        "TLS_AES_256_GCM_SHA384",
        "any",
        "aes_256_gcm",
        "sha384",
    ),
    (
        0x1301,
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_128_GCM_SHA256",
        "any",
        "aes_128_gcm",
        "sha256",
    ),
    (
        0x1303,
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
        "any",
        "chacha20_poly1305",
        "sha256",
    ),
    (
        0xc02c,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ecdhe_ecdsa",
        "aes_256_gcm",
        "sha384",
    ),
    (
        0xc02b,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ecdhe_ecdsa",
        "aes_128_gcm",
        "sha256",
    ),
    (
        0xcca9,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ecdhe_ecdsa",
        "chacha20_poly1305",
        "sha256",
    ),
    (
        0xc030,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ecdhe_rsa",
        "aes_256_gcm",
        "sha384",
    ),
    (
        0xc02f,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ecdhe_rsa",
        "aes_128_gcm",
        "sha256",
    ),
    (
        0xcca8,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "ecdhe_rsa",
        "chacha20_poly1305",
        "sha256",
    ),
];

/// Words in suite names that mark families rustls does not implement.
pub(crate) const MISSING_FAMILIES: &[(&str, &str)] = &[
    ("RC4", "RC4"),
    ("3DES", "3DES"),
    ("CBC3", "3DES"),
    ("DES", "DES"),
    ("CBC", "CBC mode"),
    ("NULL", "NULL encryption"),
    ("PSK", "PSK"),
    ("SRP", "SRP"),
    ("ANON", "anonymous"),
    ("CCM", "CCM"),
    ("SHA1", "SHA-1 MAC"),
];

/// Groups by Erlang name; the ring provider implements the first three.
pub(crate) const GROUPS: &[(&str, NamedGroup)] = &[
    ("x25519", NamedGroup::X25519),
    ("secp256r1", NamedGroup::secp256r1),
    ("secp384r1", NamedGroup::secp384r1),
    ("x448", NamedGroup::X448),
    ("secp521r1", NamedGroup::secp521r1),
    ("ffdhe2048", NamedGroup::FFDHE2048),
    ("ffdhe3072", NamedGroup::FFDHE3072),
    ("ffdhe4096", NamedGroup::FFDHE4096),
    ("ffdhe6144", NamedGroup::FFDHE6144),
    ("ffdhe8192", NamedGroup::FFDHE8192),
];

/// Signature schemes by Erlang name (both the TLS 1.3 atoms and the TLS 1.2
/// `{Hash, Sign}` tuples).
pub(crate) const SIGALGS: &[(&str, SignatureScheme)] = &[
    ("eddsa_ed25519", SignatureScheme::ED25519),
    ("eddsa_ed448", SignatureScheme::ED448),
    (
        "ecdsa_secp256r1_sha256",
        SignatureScheme::ECDSA_NISTP256_SHA256,
    ),
    (
        "ecdsa_secp384r1_sha384",
        SignatureScheme::ECDSA_NISTP384_SHA384,
    ),
    (
        "ecdsa_secp521r1_sha512",
        SignatureScheme::ECDSA_NISTP521_SHA512,
    ),
    ("rsa_pss_rsae_sha256", SignatureScheme::RSA_PSS_SHA256),
    ("rsa_pss_rsae_sha384", SignatureScheme::RSA_PSS_SHA384),
    ("rsa_pss_rsae_sha512", SignatureScheme::RSA_PSS_SHA512),
    ("rsa_pkcs1_sha256", SignatureScheme::RSA_PKCS1_SHA256),
    ("rsa_pkcs1_sha384", SignatureScheme::RSA_PKCS1_SHA384),
    ("rsa_pkcs1_sha512", SignatureScheme::RSA_PKCS1_SHA512),
    ("{sha256,rsa}", SignatureScheme::RSA_PKCS1_SHA256),
    ("{sha384,rsa}", SignatureScheme::RSA_PKCS1_SHA384),
    ("{sha512,rsa}", SignatureScheme::RSA_PKCS1_SHA512),
    ("{sha256,ecdsa}", SignatureScheme::ECDSA_NISTP256_SHA256),
    ("{sha384,ecdsa}", SignatureScheme::ECDSA_NISTP384_SHA384),
    ("{sha512,ecdsa}", SignatureScheme::ECDSA_NISTP521_SHA512),
    ("rsa_pkcs1_sha1", SignatureScheme::RSA_PKCS1_SHA1),
    ("{sha,rsa}", SignatureScheme::RSA_PKCS1_SHA1),
    ("ecdsa_sha1", SignatureScheme::ECDSA_SHA1_Legacy),
    ("{sha,ecdsa}", SignatureScheme::ECDSA_SHA1_Legacy),
];

/// Erlang's other `eccs` curves (`ssl:eccs/0` of old): named curves of RFC
/// 4492 and RFC 7027 that neither rustls nor ring implements.
pub(crate) const OTHER_CURVES: &[&str] = &[
    "sect571r1",
    "sect571k1",
    "brainpoolP512r1",
    "sect409k1",
    "sect409r1",
    "brainpoolP384r1",
    "sect283k1",
    "sect283r1",
    "brainpoolP256r1",
    "secp256k1",
    "sect239k1",
    "sect233k1",
    "sect233r1",
    "secp224k1",
    "secp224r1",
    "sect193r1",
    "sect193r2",
    "secp192k1",
    "secp192r1",
    "sect163k1",
    "sect163r1",
    "sect163r2",
    "secp160k1",
    "secp160r1",
    "secp160r2",
];

/// `supported_groups` or `eccs` (`option`): the groups ring implements, in
/// the order given.
pub(crate) fn resolve_groups(
    option: &str,
    names: &[String],
) -> Result<Vec<NamedGroup>, OptionError> {
    let have: Vec<NamedGroup> = rustls::crypto::ring::default_provider()
        .kx_groups
        .iter()
        .map(|g| g.name())
        .collect();
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        match GROUPS.iter().find(|(e, _)| e == n) {
            Some((_, g)) if have.contains(g) => out.push(*g),
            Some(_) => missing.push(format!("{n} (not implemented by rustls with ring)")),
            None if OTHER_CURVES.contains(&n.as_str()) => {
                missing.push(format!("{n} (not implemented by rustls with ring)"))
            }
            None => missing.push(format!("{n} (not a group)")),
        }
    }
    if out.is_empty() {
        return Err(OptionError::new(
            option,
            format!("{names:?}"),
            format!("no usable group: {}", missing.join("; ")),
        ));
    }
    Ok(out)
}

/// `signature_algs`: the schemes ring implements, in the order given.
pub(crate) fn resolve_sigalgs(names: &[String]) -> Result<Vec<SignatureScheme>, OptionError> {
    let have = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .supported_schemes();
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        let key = n.replace(' ', "");
        match SIGALGS.iter().find(|(e, _)| *e == key) {
            Some((_, s)) if have.contains(s) => {
                if !out.contains(s) {
                    out.push(*s)
                }
            }
            Some(_) => missing.push(format!("{n} (not implemented by rustls)")),
            None => missing.push(format!("{n} (not a signature algorithm)")),
        }
    }
    if out.is_empty() {
        return Err(OptionError::new(
            "signature_algs",
            format!("{names:?}"),
            format!("no usable scheme: {}", missing.join("; ")),
        ));
    }
    Ok(out)
}

/// `ssl:groups/0`: Erlang names of the groups the engine implements.
pub fn group_names() -> Vec<String> {
    let have: Vec<NamedGroup> = rustls::crypto::ring::default_provider()
        .kx_groups
        .iter()
        .map(|g| g.name())
        .collect();
    GROUPS
        .iter()
        .filter(|(_, g)| have.contains(g))
        .map(|(n, _)| n.to_string())
        .collect()
}

/// `ssl:signature_algs/2`: Erlang names of the schemes, TLS 1.3 or 1.2 form.
pub fn sigalg_names(tls13: bool) -> Vec<String> {
    let have = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .supported_schemes();
    SIGALGS
        .iter()
        .filter(|(n, s)| {
            have.contains(s)
                && (n.starts_with('{') != tls13)
                && !(tls13 && n.starts_with("rsa_pkcs1"))
        })
        .map(|(n, _)| n.to_string())
        .collect()
}

/// One suite name (IANA, OpenSSL, or `kex,cipher,mac[,prf]`) to its code.
pub(crate) fn resolve_suite(name: &str) -> Result<u16, String> {
    let n = name.trim();
    if let Some(row) = SUITES
        .iter()
        .find(|s| s.1.eq_ignore_ascii_case(n) || s.2.eq_ignore_ascii_case(n))
    {
        return Ok(row.0);
    }
    let parts: Vec<&str> = n.split(',').map(str::trim).collect();
    if parts.len() >= 3 {
        let prf_ok = |want: &str, have: &str| {
            parts
                .get(3)
                .is_none_or(|p| *p == have || *p == "default_prf")
                && !want.is_empty()
        };
        if let Some(row) = SUITES.iter().find(|s| {
            s.3 == parts[0] && s.4 == parts[1] && parts[2] == "aead" && prf_ok(parts[1], s.5)
        }) {
            return Ok(row.0);
        }
    }
    let upper = n.to_ascii_uppercase().replace(['-', '_'], " ");
    let words: Vec<&str> = upper.split([' ', ',']).collect();
    let family = MISSING_FAMILIES
        .iter()
        .find(|(w, _)| words.contains(w))
        .map(|(_, f)| *f);
    let rsa_kex =
        !upper.contains("ECDHE") && !upper.contains("TLS AES") && !upper.contains("TLS CHACHA20");
    Err(match family {
        Some(f) => format!("{name} ({f} suites are not implemented by rustls)"),
        None if upper.contains("DHE")
            || rsa_kex && (upper.contains("RSA") || upper.contains("AES")) =>
        {
            format!("{name} (RSA key exchange and finite-field DHE suites are not implemented by rustls)")
        }
        None => format!("{name} (not a known suite)"),
    })
}

/// `ciphers`: the codes of the suites named, in order. Names rustls lacks are
/// dropped when others remain, and are the error when none does.
pub(crate) fn resolve_ciphers(names: &[String]) -> Result<Vec<u16>, OptionError> {
    let mut codes = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        match resolve_suite(n) {
            Ok(c) if !codes.contains(&c) => codes.push(c),
            Ok(_) => {}
            Err(why) => missing.push(why),
        }
    }
    if codes.is_empty() {
        return Err(OptionError::new(
            "ciphers",
            format!("{names:?}"),
            format!("no usable cipher suite: {}", missing.join("; ")),
        ));
    }
    Ok(codes)
}

/// The cipher of suite `code`, by Erlang's name (`aes_128_gcm`...).
pub(crate) fn suite_cipher(code: u16) -> Option<&'static str> {
    SUITES.iter().find(|s| s.0 == code).map(|s| s.4)
}

pub(crate) fn suite_info(code: u16) -> CipherSuiteInfo {
    match SUITES.iter().find(|s| s.0 == code) {
        Some(&(_, iana, _, kex, cipher, prf)) => CipherSuiteInfo {
            key_exchange: kex.into(),
            cipher: cipher.into(),
            mac: "aead".into(),
            prf: prf.into(),
            iana_name: iana.into(),
            code,
        },
        None => CipherSuiteInfo {
            code,
            key_exchange: "unknown".into(),
            cipher: "unknown".into(),
            mac: "unknown".into(),
            prf: "unknown".into(),
            iana_name: format!("0x{code:04x}"),
        },
    }
}

/// Every suite this engine can negotiate, in default preference order, with
/// its OpenSSL name: the data behind `ssl:cipher_suites/2`.
pub fn cipher_suite_names() -> Vec<(CipherSuiteInfo, &'static str)> {
    let offered: Vec<u16> = rustls::crypto::ring::default_provider()
        .cipher_suites
        .iter()
        .map(|s| u16::from(s.suite()))
        .collect();
    SUITES
        .iter()
        .filter(|s| offered.contains(&s.0))
        .map(|s| (suite_info(s.0), s.2))
        .collect()
}
