//! The component the host embeds.
//!
//! - In this repository: builds the guest (`wassl-guest`) for
//!   `wasm32-wasip2` and embeds it; a plain `cargo build` is all a developer
//!   runs. `component/wassl_guest.wasm` is the copy that ships in the
//!   packaged crate: `WASSL_UPDATE_COMPONENT=1` writes the fresh build there,
//!   and a test fails while the two differ.
//! - From the packaged crate (no guest sources beside it): embeds the shipped
//!   component, so users need neither the wasm target nor clang.
//! - `WASSL_GUEST_WASM=/path/to/wassl_guest.wasm` embeds that one instead.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let dest = out.join("wassl_guest.wasm");
    println!("cargo:rerun-if-env-changed=WASSL_GUEST_WASM");
    if let Some(prebuilt) = env::var_os("WASSL_GUEST_WASM") {
        println!("cargo:rerun-if-changed={}", Path::new(&prebuilt).display());
        std::fs::copy(&prebuilt, &dest).expect("copy WASSL_GUEST_WASM");
        return;
    }
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let shipped = manifest_dir.join("component").join("wassl_guest.wasm");
    println!("cargo:rerun-if-changed={}", shipped.display());
    let root = manifest_dir.parent().expect("workspace root").to_path_buf();
    if !is_wassl_guest(&root.join("guest").join("Cargo.toml")) {
        // The packaged crate: the component built from the published sources.
        std::fs::copy(&shipped, &dest).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: the packaged crate ships its component there (or set WASSL_GUEST_WASM)",
                shipped.display()
            )
        });
        return;
    }
    for p in [
        "guest/src",
        "guest/Cargo.toml",
        "guest/build.rs",
        "guest/vendor",
        "wit",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
    // A target directory of its own: the outer build holds the lock on the
    // main one, and the guest's artefacts survive switches of the host profile.
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("guest");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "-p",
            "wassl-guest",
            "--profile",
            "guest",
            "--target",
            TARGET,
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's flags are for the host, not for wasm; and clippy's
    // driver (`cargo clippy` sets it for workspace members) would build a
    // guest that differs from the shipped one.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    // ring's C code must be compiled by clang for wasm (gcc has no wasm backend).
    if env::var_os("CC_wasm32_wasip2").is_none() {
        cmd.env("CC_wasm32_wasip2", "clang");
    }
    // wasm SIMD (in wasmtime, Node, every current browser): the engine's
    // ChaCha20 is written for it, and the compiler vectorises more of ring.
    // The registry's path is written as /cargo, so the same sources give the
    // same bytes on every machine (the shipped component is compared).
    // Added to what the user set for the wasm target, not in place of it.
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let remap = cargo_home
        .map(|h| format!(" --remap-path-prefix={}=/cargo", h.display()))
        .unwrap_or_default();
    for (var, flag) in [
        (
            "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS",
            format!("-Ctarget-feature=+simd128{remap}"),
        ),
        ("CFLAGS_wasm32_wasip2", "-msimd128".to_string()),
    ] {
        println!("cargo:rerun-if-env-changed={var}");
        let flags = match env::var(var) {
            Ok(user) if !user.trim().is_empty() => format!("{user} {flag}"),
            _ => flag,
        };
        cmd.env(var, flags);
    }
    let status = cmd.status().expect("run cargo to build the guest");
    if !status.success() {
        panic!(
            "building the wassl guest for {TARGET} failed.\n\
             It needs the Rust target and clang: `rustup target add {TARGET}` and \
             `apt-get install clang` (or run the README's setup command)."
        );
    }
    let built = target_dir
        .join(TARGET)
        .join("guest")
        .join("wassl_guest.wasm");
    std::fs::copy(&built, &dest).unwrap_or_else(|e| panic!("copy {}: {e}", built.display()));
    println!("cargo:rerun-if-env-changed=WASSL_UPDATE_COMPONENT");
    if env::var_os("WASSL_UPDATE_COMPONENT").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(shipped.parent().expect("component/"))
            .and_then(|()| std::fs::copy(&built, &shipped))
            .unwrap_or_else(|e| panic!("update {}: {e}", shipped.display()));
    } else if std::fs::read(&built).ok() != std::fs::read(&shipped).ok() {
        println!(
            "cargo:warning=host/component/wassl_guest.wasm is not what the guest sources build: \
             WASSL_UPDATE_COMPONENT=1 cargo build -p wassl updates it"
        );
    }
}

/// Whether `manifest` is this repository's guest crate (not some other
/// `guest/` beside a vendored copy of wassl).
fn is_wassl_guest(manifest: &Path) -> bool {
    std::fs::read_to_string(manifest).is_ok_and(|t| t.contains("name = \"wassl-guest\""))
}
