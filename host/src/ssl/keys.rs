//! Private keys as the `key`, `keyfile` and `password` options give them:
//! PKCS#1, SEC1 and PKCS#8 in PEM or DER, encrypted PKCS#8 (PBES2) and the
//! legacy OpenSSL PEM encryption (`Proc-Type: 4,ENCRYPTED`). Decryption
//! happens here, outside the sandbox: the engine only sees a plain key.

use aes::cipher::{BlockDecryptMut, KeyIvInit};
use md5::{Digest, Md5};
use rustls_pki_types::pem::{PemObject, SectionKind};

use super::options::KeyType;
use super::Reason;
use crate::bindings::wassl::tls::types as wit;

/// One `certs_keys` entry (or the cert/key options of an `sni_hosts` entry)
/// as the engine takes it: DER chain and plain key.
pub(crate) fn cert_key(
    entry: &super::CertKey,
    fallback_password: Option<&str>,
) -> Result<wit::CertKey, Reason> {
    let password = entry.password.as_deref().or(fallback_password);
    let mut chain = entry.cert.clone();
    let mut certfile_pem = None;
    if chain.is_empty() {
        let Some(path) = &entry.certfile else {
            return Err(Reason::options(
                "certs_keys",
                "[#{...}]",
                "each entry needs cert or certfile",
            ));
        };
        let shown = path.display().to_string();
        let pem = super::pem_cache::read(path)
            .map_err(|e| err("certfile", &shown, format!("cannot read: {e}")))?;
        chain = super::pem_cache::certificates(path).unwrap_or_else(|| {
            rustls_pki_types::CertificateDer::pem_slice_iter(&pem)
                .filter_map(Result::ok)
                .map(|c| c.to_vec())
                .collect()
        });
        if chain.is_empty() {
            return Err(err(
                "certfile",
                &shown,
                "the file holds no PEM CERTIFICATE block",
            ));
        }
        certfile_pem = Some((shown, pem));
    }
    let (kind, der) = match (&entry.key, &entry.keyfile, certfile_pem) {
        (Some((t, der)), _, _) => (*t, der.clone()),
        (None, Some(path), _) => match super::pem_cache::plain_key(path) {
            Some(key) => key,
            None => {
                let shown = path.display().to_string();
                let pem = super::pem_cache::read(path)
                    .map_err(|e| err("keyfile", &shown, format!("cannot read: {e}")))?;
                from_pem("keyfile", &shown, &pem, password)?
                    .ok_or_else(|| err("keyfile", &shown, "no private key in the file"))?
            }
        },
        (None, None, Some((shown, pem))) => from_pem("certfile", &shown, &pem, password)?
            .ok_or_else(|| err("keyfile", &shown, "no key given and none in the certfile"))?,
        (None, None, None) => {
            return Err(Reason::options(
                "certs_keys",
                "[#{...}]",
                "each entry needs key or keyfile",
            ))
        }
    };
    Ok(wit::CertKey {
        chain,
        key: wit::PrivateKey {
            kind: key_kind(kind),
            der,
        },
    })
}

pub(crate) fn key_kind(t: KeyType) -> wit::KeyKind {
    match t {
        KeyType::RsaPrivateKey => wit::KeyKind::RsaPrivateKey,
        KeyType::EcPrivateKey => wit::KeyKind::EcPrivateKey,
        KeyType::PrivateKeyInfo => wit::KeyKind::PrivateKeyInfo,
    }
}

fn err(option: &str, path: &str, detail: impl Into<String>) -> Reason {
    Reason::options(option, format!("{path:?}"), detail)
}

/// The key in a PEM file, decrypted with `password` when it is encrypted.
/// `Ok(None)`: the file holds no private key (e.g. a certfile without one).
pub(crate) fn from_pem(
    option: &str,
    path: &str,
    pem: &[u8],
    password: Option<&str>,
) -> Result<Option<(KeyType, Vec<u8>)>, Reason> {
    let text = String::from_utf8_lossy(pem);
    let pkcs8 = text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----");
    if pkcs8 || text.contains("Proc-Type: 4,ENCRYPTED") {
        let Some(password) = password else {
            return Err(err(
                option,
                path,
                "the private key is encrypted: give the password option",
            ));
        };
        // PBKDF2 (or scrypt) costs about half a millisecond: a server
        // decrypts its key for the first connection, not for every one.
        return super::pem_cache::decrypted(pem, password, || {
            if pkcs8 {
                decrypt_pkcs8(option, path, &text, password)
            } else {
                legacy(option, path, &text, password)
            }
        })
        .map(Some);
    }
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem) {
        let Ok((kind, der)) = item else { continue };
        let t = match kind {
            SectionKind::RsaPrivateKey => KeyType::RsaPrivateKey,
            SectionKind::EcPrivateKey => KeyType::EcPrivateKey,
            SectionKind::PrivateKey => KeyType::PrivateKeyInfo,
            _ => continue,
        };
        return Ok(Some((t, der)));
    }
    Ok(None)
}

fn decrypt_pkcs8(
    option: &str,
    path: &str,
    text: &str,
    password: &str,
) -> Result<(KeyType, Vec<u8>), Reason> {
    let start = text
        .find("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        .unwrap_or(0);
    let (_, doc) = pkcs8::SecretDocument::from_pem(&text[start..]).map_err(|e| {
        err(
            option,
            path,
            format!("unreadable encrypted PKCS#8 key: {e}"),
        )
    })?;
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes()).map_err(|e| {
        err(
            option,
            path,
            format!("unreadable encrypted PKCS#8 key: {e}"),
        )
    })?;
    let plain = info.decrypt(password).map_err(|_| {
        err(
            option,
            path,
            "cannot decrypt the private key: wrong password?",
        )
    })?;
    Ok((KeyType::PrivateKeyInfo, plain.as_bytes().to_vec()))
}

fn b64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Hex digits to bytes; `None` for anything else (an odd count included).
pub(crate) fn hex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// OpenSSL's EVP_BytesToKey with MD5 and one round, as legacy PEM uses.
fn bytes_to_key(password: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut key = Vec::new();
    let mut prev: Vec<u8> = Vec::new();
    while key.len() < len {
        let mut h = Md5::new();
        h.update(&prev);
        h.update(password);
        h.update(salt);
        prev = h.finalize().to_vec();
        key.extend_from_slice(&prev);
    }
    key.truncate(len);
    key
}

fn legacy(
    option: &str,
    path: &str,
    text: &str,
    password: &str,
) -> Result<(KeyType, Vec<u8>), Reason> {
    let begin = text
        .find("-----BEGIN ")
        .ok_or_else(|| err(option, path, "no PEM block"))?;
    let label_end = text[begin + 11..]
        .find("-----")
        .ok_or_else(|| err(option, path, "bad PEM header"))?;
    let label = &text[begin + 11..begin + 11 + label_end];
    let kind = match label {
        "RSA PRIVATE KEY" => KeyType::RsaPrivateKey,
        "EC PRIVATE KEY" => KeyType::EcPrivateKey,
        other => {
            return Err(err(
                option,
                path,
                format!("unsupported encrypted PEM block {other:?}"),
            ))
        }
    };
    let dek = text
        .lines()
        .find_map(|l| l.strip_prefix("DEK-Info: "))
        .ok_or_else(|| err(option, path, "encrypted PEM without DEK-Info"))?;
    let (alg, iv_hex) = dek
        .trim()
        .split_once(',')
        .ok_or_else(|| err(option, path, "bad DEK-Info"))?;
    let iv = hex(iv_hex).ok_or_else(|| err(option, path, "bad DEK-Info IV"))?;
    let body: String = text[begin..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .filter(|l| !l.contains(':') && !l.trim().is_empty())
        .collect();
    let mut data = b64(&body).ok_or_else(|| err(option, path, "bad base64 in the PEM block"))?;
    let salt = iv
        .get(..8)
        .ok_or_else(|| err(option, path, "IV too short"))?;
    let bad_password = || {
        err(
            option,
            path,
            "cannot decrypt the private key: wrong password?",
        )
    };
    let plain = match alg {
        "AES-128-CBC" | "AES-192-CBC" | "AES-256-CBC" => {
            let n = match alg {
                "AES-128-CBC" => 16,
                "AES-192-CBC" => 24,
                _ => 32,
            };
            let key = bytes_to_key(password.as_bytes(), salt, n);
            match n {
                16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(&key, &iv)
                    .map_err(|_| bad_password())?
                    .decrypt_padded_mut::<cbc::cipher::block_padding::Pkcs7>(&mut data)
                    .map(<[u8]>::to_vec),
                24 => cbc::Decryptor::<aes::Aes192>::new_from_slices(&key, &iv)
                    .map_err(|_| bad_password())?
                    .decrypt_padded_mut::<cbc::cipher::block_padding::Pkcs7>(&mut data)
                    .map(<[u8]>::to_vec),
                _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(&key, &iv)
                    .map_err(|_| bad_password())?
                    .decrypt_padded_mut::<cbc::cipher::block_padding::Pkcs7>(&mut data)
                    .map(<[u8]>::to_vec),
            }
            .map_err(|_| bad_password())?
        }
        "DES-EDE3-CBC" => {
            let key = bytes_to_key(password.as_bytes(), salt, 24);
            cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
                .map_err(|_| bad_password())?
                .decrypt_padded_mut::<cbc::cipher::block_padding::Pkcs7>(&mut data)
                .map(<[u8]>::to_vec)
                .map_err(|_| bad_password())?
        }
        other => {
            return Err(err(
                option,
                path,
                format!("unsupported PEM encryption {other}"),
            ))
        }
    };
    // A wrong password can still unpad by chance: the result must be a DER SEQUENCE.
    if plain.first() != Some(&0x30) {
        return Err(bad_password());
    }
    Ok((kind, plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_key_derivation() {
        assert_eq!(b64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(b64("aGVsbG8gd29ybGQ=\n").unwrap(), b"hello world");
        assert!(b64("!!").is_none());
        // EVP_BytesToKey(MD5, "pw", salt "12345678", 16) = MD5("pw" || salt).
        let k = bytes_to_key(b"pw", b"12345678", 16);
        let mut h = Md5::new();
        h.update(b"pw12345678");
        assert_eq!(k, h.finalize().to_vec());
    }

    #[test]
    fn encrypted_without_password_is_an_option_error() {
        let pem =
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let e = from_pem("keyfile", "/k.pem", pem, None).unwrap_err();
        assert!(crate::ssl::format_error(&e).contains("password"));
    }
}
