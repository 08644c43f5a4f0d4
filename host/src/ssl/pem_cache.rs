//! The PEM cache of `ssl`: files named in options are read once and kept
//! while unchanged (a changed modification time or size reloads them), and
//! encrypted private keys are decrypted once per file content and password.
//! What a file holds (its certificates, its plain key) is parsed once per
//! content too: a server configures a sandbox per connection, and the
//! engine then gets DER instead of parsing the same PEM again.
//! `clear_pem_cache/0` empties all of it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use rustls_pki_types::pem::{PemObject, SectionKind};

use super::options::KeyType;
use super::Reason;

/// A file as last read.
struct Entry {
    stamp: (Option<SystemTime>, u64),
    contents: Arc<Contents>,
}

/// A file's bytes, with what was parsed out of them on first use; shared
/// with the cache, so a use copies nothing.
struct Contents {
    bytes: Vec<u8>,
    parsed: OnceLock<Parsed>,
}

impl Contents {
    fn parsed(&self) -> &Parsed {
        self.parsed.get_or_init(|| parse(&self.bytes))
    }
}

/// What one file content holds, each `None` where the engine should see the
/// file itself (so that its own parse reports the problem as it always has).
struct Parsed {
    /// Every block is valid PEM and at least one is a CERTIFICATE.
    certs: Option<Vec<Vec<u8>>>,
    /// The first private key, when no key in the file is encrypted.
    key: Option<(KeyType, Vec<u8>)>,
}

static CACHE: Mutex<Option<HashMap<PathBuf, Entry>>> = Mutex::new(None);

/// Read `path`, from the cache when the file has not changed.
pub(crate) fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    contents(path).map(|c| c.bytes.clone())
}

/// The certificates of the PEM file `path` as DER, parsed once per file
/// content; `None` when the file cannot be read, is not clean PEM or holds
/// no certificate (the caller then passes the file on and lets its parser
/// say what is wrong).
pub(crate) fn certificates(path: &Path) -> Option<Vec<Vec<u8>>> {
    contents(path).ok()?.parsed().certs.clone()
}

/// The unencrypted private key in the PEM file `path`, parsed once per file
/// content; `None` when there is none, the key is encrypted or the file
/// cannot be read.
pub(crate) fn plain_key(path: &Path) -> Option<(KeyType, Vec<u8>)> {
    contents(path).ok()?.parsed().key.clone()
}

fn contents(path: &Path) -> std::io::Result<Arc<Contents>> {
    let meta = std::fs::metadata(path)?;
    let stamp = (meta.modified().ok(), meta.len());
    let mut guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = guard.get_or_insert_with(HashMap::new);
    if let Some(e) = cache.get(path) {
        if e.stamp == stamp {
            return Ok(e.contents.clone());
        }
    }
    let contents = Arc::new(Contents {
        bytes: std::fs::read(path)?,
        parsed: OnceLock::new(),
    });
    cache.insert(
        path.to_path_buf(),
        Entry {
            stamp,
            contents: contents.clone(),
        },
    );
    Ok(contents)
}

fn parse(pem: &[u8]) -> Parsed {
    let sections: Result<Vec<(SectionKind, Vec<u8>)>, _> =
        <(SectionKind, Vec<u8>)>::pem_slice_iter(pem).collect();
    let Ok(sections) = sections else {
        return Parsed {
            certs: None,
            key: None,
        };
    };
    let certs: Vec<Vec<u8>> = sections
        .iter()
        .filter(|(k, _)| *k == SectionKind::Certificate)
        .map(|(_, der)| der.clone())
        .collect();
    Parsed {
        certs: (!certs.is_empty()).then_some(certs),
        // Without a password an encrypted key is an error: left to the
        // decrypting path.
        key: super::keys::from_pem("", "", pem, None).ok().flatten(),
    }
}

/// Plain keys by a SHA-256 of the encrypted PEM and the password: the same
/// bytes and the same password always decrypt to the same key, so no file
/// stamps are needed, and a wrong password never finds the right one's entry.
type Decrypted = HashMap<[u8; 32], (KeyType, Vec<u8>)>;

static DECRYPTED: Mutex<Option<Decrypted>> = Mutex::new(None);

/// Past this many keys the cache starts again (a process loading keys
/// without end should not keep them all).
const MAX_DECRYPTED: usize = 64;

/// The plain key of the encrypted `pem`, from the cache or from `decrypt`
/// (which runs without the lock held). Failures are not kept.
pub(crate) fn decrypted(
    pem: &[u8],
    password: &str,
    decrypt: impl FnOnce() -> Result<(KeyType, Vec<u8>), Reason>,
) -> Result<(KeyType, Vec<u8>), Reason> {
    let mut ctx = crate::provider::digest::Context::new(&crate::provider::digest::SHA256);
    // The PEM's length first, so that no (pem, password) pair reads as another.
    ctx.update(&(pem.len() as u64).to_be_bytes());
    ctx.update(pem);
    ctx.update(password.as_bytes());
    let id: [u8; 32] = ctx
        .finish()
        .as_ref()
        .try_into()
        .expect("SHA-256 is 32 bytes");
    let cached = DECRYPTED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(&id).cloned());
    if let Some(key) = cached {
        return Ok(key);
    }
    let key = decrypt()?;
    let mut guard = DECRYPTED.lock().unwrap_or_else(|e| e.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    if map.len() >= MAX_DECRYPTED {
        map.clear();
    }
    map.insert(id, key.clone());
    Ok(key)
}

/// `ssl:clear_pem_cache/0`.
pub(crate) fn clear() {
    *CACHE.lock().unwrap_or_else(|e| e.into_inner()) = None;
    *DECRYPTED.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// `der` as a PEM block (a short base64 for test bytes).
    fn pem(label: &str, der: &[u8]) -> String {
        const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut b64 = String::new();
        for chunk in der.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
            for i in 0..4 {
                b64.push(if i <= chunk.len() {
                    ABC[(n >> (18 - 6 * i)) as usize & 63] as char
                } else {
                    '='
                });
            }
        }
        format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n")
    }

    #[test]
    fn a_files_certificates_and_key_follow_its_content() {
        let dir = std::env::temp_dir().join(format!("wassl-pem-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("both.pem");
        let both =
            pem("CERTIFICATE", b"leaf") + &pem("CERTIFICATE", b"ca") + &pem("PRIVATE KEY", b"k1");
        std::fs::write(&path, &both).unwrap();
        assert_eq!(
            certificates(&path),
            Some(vec![b"leaf".to_vec(), b"ca".to_vec()])
        );
        assert_eq!(
            plain_key(&path),
            Some((KeyType::PrivateKeyInfo, b"k1".to_vec()))
        );
        // A changed file (another size) is parsed again.
        std::fs::write(&path, pem("EC PRIVATE KEY", b"key-two")).unwrap();
        assert_eq!(certificates(&path), None, "no certificate left in the file");
        assert_eq!(
            plain_key(&path),
            Some((KeyType::EcPrivateKey, b"key-two".to_vec()))
        );
        // An encrypted key is left to the decrypting path, bad PEM to the engine.
        std::fs::write(&path, pem("ENCRYPTED PRIVATE KEY", b"sealed")).unwrap();
        assert_eq!(plain_key(&path), None);
        std::fs::write(
            &path,
            "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert_eq!(certificates(&path), None);
        assert_eq!(certificates(&dir.join("missing.pem")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_key_is_decrypted_once_per_content_and_password() {
        let pem = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\ntest-only\n";
        let runs = Cell::new(0);
        let decrypt = |der: &[u8]| {
            runs.set(runs.get() + 1);
            Ok((KeyType::PrivateKeyInfo, der.to_vec()))
        };
        let got = decrypted(pem, "secret", || decrypt(b"plain")).unwrap();
        assert_eq!(got, (KeyType::PrivateKeyInfo, b"plain".to_vec()));
        assert_eq!(decrypted(pem, "secret", || decrypt(b"other")).unwrap(), got);
        assert_eq!(runs.get(), 1, "the second call must come from the cache");
        // Another password, or other bytes, decrypt again.
        assert_eq!(
            decrypted(pem, "Secret", || decrypt(b"p2")).unwrap().1,
            b"p2"
        );
        assert_eq!(
            decrypted(b"other pem", "secret", || decrypt(b"p3"))
                .unwrap()
                .1,
            b"p3"
        );
        assert_eq!(runs.get(), 3);
        // A failure is not kept: the next call tries again.
        let fail = || Err(Reason::options("keyfile", "\"/k\"", "wrong password?"));
        assert!(decrypted(pem, "wrong", fail).is_err());
        assert_eq!(decrypted(pem, "wrong", || decrypt(b"p4")).unwrap().1, b"p4");
        assert_eq!(runs.get(), 4);
    }
}
