//! Builds the guest (`wassl-guest`) for `wasm32-wasip2` and embeds the
//! component: a plain `cargo build` of the host is all a user runs.
//! Set `WASSL_GUEST_WASM=/path/to/wassl_guest.wasm` to embed a prebuilt one.

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
    let root = manifest_dir.parent().expect("workspace root").to_path_buf();
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
    // The outer build's flags are for the host, not for wasm.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
    ] {
        cmd.env_remove(var);
    }
    // ring's C code must be compiled by clang for wasm (gcc has no wasm backend).
    if env::var_os("CC_wasm32_wasip2").is_none() {
        cmd.env("CC_wasm32_wasip2", "clang");
    }
    // wasm SIMD (in wasmtime, Node, every current browser): the engine's
    // ChaCha20 is written for it, and the compiler vectorises more of ring.
    // Added to what the user set for the wasm target, not in place of it.
    for (var, flag) in [
        (
            "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS",
            "-Ctarget-feature=+simd128",
        ),
        ("CFLAGS_wasm32_wasip2", "-msimd128"),
    ] {
        println!("cargo:rerun-if-env-changed={var}");
        let flags = match env::var(var) {
            Ok(user) if !user.trim().is_empty() => format!("{user} {flag}"),
            _ => flag.to_string(),
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
}
