//! The PEM cache of `ssl`: files named in options are read once and kept
//! while unchanged (a changed modification time or size reloads them).
//! `clear_pem_cache/0` empties it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

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

/// `ssl:clear_pem_cache/0`.
pub(crate) fn clear() {
    *CACHE.lock().unwrap_or_else(|e| e.into_inner()) = None;
}
