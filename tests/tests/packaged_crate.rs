//! wassl as a dependency. The crate `cargo package` makes is unpacked
//! outside the workspace and built by a consumer crate (`tests/consumer/`)
//! that has only it and tokio, with the wasm toolchain out of reach (the
//! packaged crate embeds the component it ships); the consumer then makes a
//! verified connection to `openssl s_server`, built as it comes and again
//! with the feature `aws-lc-rs`. And the shipped component is what the
//! guest sources build, byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

use wassl_tests::{openssl_s_server, skip_interop, Pki};

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).to_path_buf()
}

#[test]
fn the_shipped_component_is_what_the_guest_sources_build() {
    if std::env::var_os("WASSL_GUEST_WASM").is_some() {
        // A component from elsewhere was embedded on purpose (fuzzing).
        return;
    }
    let shipped = std::fs::read(root().join("host/component/wassl_guest.wasm")).unwrap();
    assert!(
        shipped == wassl::runtime::guest_component(),
        "host/component/wassl_guest.wasm ({} bytes) is not what the guest sources build \
         ({} bytes): run `WASSL_UPDATE_COMPONENT=1 cargo build -p wassl` and commit it",
        shipped.len(),
        wassl::runtime::guest_component().len()
    );
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// A cargo command with none of this test's own build settings.
fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for var in [
        "CARGO_TARGET_DIR",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "WASSL_GUEST_WASM",
        "WASSL_UPDATE_COMPONENT",
    ] {
        c.env_remove(var);
    }
    c
}

#[test]
fn a_crate_outside_the_repository_builds_on_the_package_and_connects() {
    if skip_interop() {
        return;
    }
    let root = root();
    // Its own target directory: this test's cargo holds the workspace's.
    let work = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("packaged");
    run(cargo()
        .current_dir(&root)
        .args([
            "package",
            "-p",
            "wassl",
            "--no-verify",
            "--allow-dirty",
            "--quiet",
        ])
        .arg("--target-dir")
        .arg(&work));
    let version = env!("CARGO_PKG_VERSION");
    let krate = work.join(format!("package/wassl-{version}.crate"));
    let scratch = work.join("scratch");
    let unpacked = scratch.join(format!("wassl-{version}"));
    let _ = std::fs::remove_dir_all(&unpacked);
    std::fs::create_dir_all(&scratch).unwrap();
    run(Command::new("tar")
        .arg("xzf")
        .arg(&krate)
        .arg("-C")
        .arg(&scratch));
    assert!(
        !unpacked.join("../guest").exists() && unpacked.join("component/wassl_guest.wasm").exists(),
        "the package carries the component and no guest sources"
    );
    // The consumer: its manifest names the package's version; the
    // workspace's lock file pins the same dependency versions.
    let app = scratch.join("consumer");
    std::fs::create_dir_all(app.join("src")).unwrap();
    let template = root.join("tests/consumer");
    let manifest = std::fs::read_to_string(template.join("Cargo.toml.in"))
        .unwrap()
        .replace("@VERSION@", version);
    std::fs::write(app.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(template.join("src/main.rs"), app.join("src/main.rs")).unwrap();
    if !app.join("Cargo.lock").exists() {
        std::fs::copy(root.join("Cargo.lock"), app.join("Cargo.lock")).unwrap();
    }
    let pki = Pki::new();
    let (_server, port) = openssl_s_server(&pki, &["-www"]);
    for (features, library) in [(None, "ring"), (Some("aws-lc-rs"), "aws-lc-rs")] {
        // No wasm toolchain: a C compiler for wasm that always fails, so any
        // attempt to build the guest would fail this build.
        let mut build = cargo();
        build
            .current_dir(&app)
            .args(["build", "--quiet"])
            .env("CC_wasm32_wasip2", "false")
            .arg("--target-dir")
            .arg(work.join("build"));
        if let Some(f) = features {
            build.args(["--features", f]);
        }
        run(&mut build);
        let out = run(Command::new(work.join("build/debug/wassl-consumer"))
            .arg(port.to_string())
            .arg(&pki.ca.id.certfile));
        assert!(out.contains("protocol tlsv1.3"), "{out}");
        assert!(out.contains("HTTP/1.0 200 ok"), "{out}");
        assert!(out.contains(&format!("crypto {library}\n")), "{out}");
    }
}
