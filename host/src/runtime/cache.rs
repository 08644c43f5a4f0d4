//! The compiled component on disk: compiling with Cranelift costs about a
//! second; loading the precompiled artefact costs milliseconds.
//!
//! The file name holds a hash of the wasm bytes and of the engine's
//! compatibility hash (wasmtime version and settings), so a stale artefact is
//! never loaded; it is written to a temporary file and renamed, so a reader
//! never sees half a file.
#![allow(unsafe_code)]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

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
    let path = dir.join(artefact_name(engine, wasm));
    if path.exists() {
        // SAFETY: the file was written by `Component::serialize` of this very
        // wasm and engine configuration (both are in its name), into a cache
        // directory of this user; wasmtime checks its header and version too.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => return Ok(c),
            Err(_) => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let component = Component::new(engine, wasm)?;
    if let Ok(bytes) = component.serialize() {
        // The cache is an optimisation: failing to write it is not an error.
        let _ = std::fs::create_dir_all(&dir).and_then(|_| {
            let tmp = dir.join(format!(
                ".{}.{}.tmp",
                artefact_name(engine, wasm),
                std::process::id()
            ));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &path)
        });
    }
    Ok(component)
}
