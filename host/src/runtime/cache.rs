//! The compiled component on disk: compiling with Cranelift costs about a
//! second; loading the precompiled artefact costs milliseconds.
//!
//! The file name holds a hash of the wasm bytes and of the engine's
//! compatibility hash (wasmtime version and settings), so a stale artefact is
//! never loaded; it is written to a temporary file and renamed, so a reader
//! never sees half a file.
//!
//! Each new build of wassl (or of wasmtime) writes a new artefact of about
//! 5 MB. Loading one marks it used; writing one keeps the [`KEEP`] most
//! recently used and removes the rest, so the directory does not grow with
//! every upgrade.
//!
//! Loading an artefact runs its native code in this process, so it is only
//! loaded from a directory and a file this user (or root) owns and nobody
//! else may write: otherwise the component is compiled in memory and the
//! directory left alone.
#![allow(unsafe_code)]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Where compiled components are kept: `$WASSL_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/wassl`, else `$HOME/.cache/wassl`. `None` disables the cache.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("WASSL_CACHE_DIR") {
        return if d.is_empty() {
            None
        } else {
            Some(PathBuf::from(d))
        };
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("wassl"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("wassl"))
}

fn artefact_name(engine: &Engine, wasm: &[u8]) -> String {
    let mut h = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let digest = Sha256::digest(wasm);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("guest-{hex}-{:016x}.cwasm", h.finish())
}

pub(crate) fn load_or_compile(engine: &Engine, wasm: &[u8]) -> wasmtime::Result<Component> {
    let Some(dir) = cache_dir() else {
        return Component::new(engine, wasm);
    };
    if dir.exists() && !trusted(&dir) {
        tracing::warn!(dir = %dir.display(), "component cache not used: another user may write it");
        return Component::new(engine, wasm);
    }
    let path = dir.join(artefact_name(engine, wasm));
    if path.exists() && trusted(&path) {
        // SAFETY: the file was written by `Component::serialize` of this very
        // wasm and engine configuration (both are in its name), into a cache
        // directory only this user can write (`trusted`); wasmtime checks its
        // header and version too.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => {
                mark_used(&path);
                return Ok(c);
            }
            Err(_) => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let component = Component::new(engine, wasm)?;
    if let Ok(bytes) = component.serialize() {
        // The cache is an optimisation: failing to write it is not an error.
        let _ = create_private_dir(&dir).and_then(|_| {
            let tmp = dir.join(format!(
                ".{}.{}.tmp",
                artefact_name(engine, wasm),
                std::process::id()
            ));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &path)
        });
        prune(&dir, &path);
    }
    Ok(component)
}

/// True when `path` (not a symlink) belongs to this user or root and
/// neither its group nor others may write it.
#[cfg(unix)]
fn trusted(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(m) = std::fs::symlink_metadata(path) else {
        return false;
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    !m.file_type().is_symlink() && (m.uid() == me || m.uid() == 0) && m.mode() & 0o022 == 0
}

/// Elsewhere the file system's own permissions are all there is.
#[cfg(not(unix))]
fn trusted(_path: &Path) -> bool {
    true
}

/// The cache directory, made readable and writable by this user only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Artefacts kept: a few versions of wassl in use on one machine at once.
const KEEP: usize = 4;
/// A temporary file this old was left by a writer that died.
const STALE_TMP: Duration = Duration::from_secs(3600);

/// The modification time says when an artefact was last loaded.
fn mark_used(path: &Path) {
    if let Ok(f) = std::fs::File::options().write(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// Removes all but the [`KEEP`] most recently used artefacts (never `keep`,
/// the one just written) and temporary files left by dead writers. Errors
/// are ignored: another process may be pruning too.
fn prune(dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    let mut artefacts = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Some(modified) = e.metadata().and_then(|m| m.modified()).ok() else {
            continue;
        };
        if name.starts_with(".guest-") && name.ends_with(".tmp") {
            if now.duration_since(modified).unwrap_or_default() > STALE_TMP {
                let _ = std::fs::remove_file(e.path());
            }
        } else if name.starts_with("guest-") && name.ends_with(".cwasm") && e.path() != keep {
            artefacts.push((modified, e.path()));
        }
    }
    // Newest first; the one just written counts as one of the kept.
    artefacts.sort_by_key(|a| std::cmp::Reverse(a.0));
    for (_, path) in artefacts.into_iter().skip(KEEP - 1) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Native code is only loaded from where no other user can put it.
    #[cfg(unix)]
    #[test]
    fn a_cache_others_can_write_is_not_trusted() {
        use std::os::unix::fs::{symlink, PermissionsExt};
        let dir = std::env::temp_dir().join(format!("wassl-cache-perm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        create_private_dir(&dir).unwrap();
        assert!(trusted(&dir), "a directory made by create_private_dir");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("guest-x.cwasm");
        std::fs::write(&file, b"x").unwrap();
        let set = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        set(&file, 0o644);
        assert!(trusted(&file));
        set(&file, 0o664);
        assert!(!trusted(&file), "group-writable file");
        set(&file, 0o646);
        assert!(!trusted(&file), "world-writable file");
        set(&file, 0o644);
        set(&dir, 0o777);
        assert!(!trusted(&dir), "world-writable directory");
        set(&dir, 0o700);
        let link = dir.join("guest-link.cwasm");
        symlink(&file, &link).unwrap();
        assert!(!trusted(&link), "a symlink may point anywhere");
        assert!(!trusted(&dir.join("missing")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn prune_keeps_the_newest_and_the_one_written() {
        let dir = std::env::temp_dir().join(format!("wassl-cache-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let old = SystemTime::now() - Duration::from_secs(7200);
        let file = |name: &str, age: u64| {
            let p = dir.join(name);
            std::fs::write(&p, b"x").unwrap();
            let f = std::fs::File::options().write(true).open(&p).unwrap();
            f.set_modified(old + Duration::from_secs(age)).unwrap();
            p
        };
        // Seven artefacts of growing recency; the oldest is the one written.
        let written = file("guest-0-0.cwasm", 0);
        for i in 1..7 {
            file(&format!("guest-{i}-0.cwasm"), i * 10);
        }
        file(".guest-9-0.cwasm.1.tmp", 0);
        file("other-file", 0);
        // Marking one used makes it the newest.
        mark_used(&dir.join("guest-1-0.cwasm"));
        prune(&dir, &written);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "guest-0-0.cwasm",
                "guest-1-0.cwasm",
                "guest-5-0.cwasm",
                "guest-6-0.cwasm",
                "other-file"
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
