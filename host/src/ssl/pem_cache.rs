//! The PEM cache of `ssl`: files named in options are read once and kept
//! while unchanged (a changed modification time or size reloads them), and
//! encrypted private keys are decrypted once per file content and password.
//! `clear_pem_cache/0` empties both.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use super::options::KeyType;
use super::Reason;

type Entry = (Option<SystemTime>, u64, Vec<u8>);

static CACHE: Mutex<Option<HashMap<PathBuf, Entry>>> = Mutex::new(None);

/// Read `path`, from the cache when the file has not changed.
pub(crate) fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    let stamp = (meta.modified().ok(), meta.len());
    let mut guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = guard.get_or_insert_with(HashMap::new);
    if let Some((m, l, bytes)) = cache.get(path) {
        if (*m, *l) == stamp {
            return Ok(bytes.clone());
        }
    }
    let bytes = std::fs::read(path)?;
    cache.insert(path.to_path_buf(), (stamp.0, stamp.1, bytes.clone()));
    Ok(bytes)
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
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
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
