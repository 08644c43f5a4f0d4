//! The guest component in JavaScript hosts, through jco, and the npm
//! package `js/` makes of it.
//!
//! `npm test` in `js/` transpiles the very component this host embeds, then
//! runs Node's test runner: a Node client and server against `openssl
//! s_client`/`s_server` (verify_fun in JavaScript, options in JavaScript
//! shape), Node's crypto as the engine's host crypto (every suite against
//! `s_server`), the demo page in headless Chromium driven by playwright-core,
//! and `tsc` over the type declarations.
//!
//! Then the package as a user gets it: `npm pack`, the tarball installed
//! into a project outside the repository (`tests/consumer-js/`), which
//! connects to `openssl s_server` and serves `openssl s_client` from Node,
//! loads the package in a page in Chromium, and type-checks against it.
//!
//! Needs node, npm and chromium (the README's test command installs them);
//! `WASSL_SKIP_INTEROP=1` skips it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use wassl_tests::{openssl_s_server, require, scratch_dir, skip_interop, Pki};

fn run(dir: &Path, program: &str, args: &[&str], envs: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}):\n{text}",
        out.status
    );
    text
}

/// `js/` with its dev dependencies installed, and the component this host
/// embeds written out for jco. Both tests share `js/`: one at a time.
fn js_dir() -> (std::sync::MutexGuard<'static, ()>, PathBuf, PathBuf) {
    static JS: Mutex<()> = Mutex::new(());
    let guard = JS.lock().unwrap_or_else(|e| e.into_inner());
    for p in ["node", "npm", "openssl", "chromium"] {
        require(p);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../js");
    let wasm = scratch_dir("jco").join("wassl_guest.wasm");
    std::fs::write(&wasm, wassl::runtime::guest_component()).expect("write the component");
    // `npm install`, not `npm ci`: npm 10 refuses this lock file in `ci`
    // (entries of other platforms' optional binaries are missing), while
    // `install` takes the locked versions all the same.
    if !dir.join("node_modules/.package-lock.json").exists() {
        run(&dir, "npm", &["install", "--no-audit", "--no-fund"], &[]);
    }
    (guard, dir, wasm)
}

#[test]
fn jco_engine_in_node_and_chromium() {
    if skip_interop() {
        return;
    }
    let (_js, dir, wasm) = js_dir();
    // A test that hangs (a host import missing, a peer that never answers)
    // fails after ten minutes instead of holding CI.
    let out = run(
        &dir,
        "timeout",
        &["600", "npm", "test"],
        &[("WASSL_GUEST_WASM", &wasm)],
    );
    // Node's runner prints its totals; every test must have run and passed.
    assert!(out.contains("# pass 17"), "{out}");
    assert!(out.contains("# fail 0"), "{out}");
    println!("{out}");
}

#[test]
fn the_npm_package_installs_and_works_outside_the_repository() {
    if skip_interop() {
        return;
    }
    let (_js, dir, wasm) = js_dir();
    let scratch = scratch_dir("npm-package");
    // `npm pack` runs `prepack`, which transpiles the component into gen/.
    let packed = run(
        &dir,
        "npm",
        &["pack", "--pack-destination", scratch.to_str().unwrap()],
        &[("WASSL_GUEST_WASM", &wasm)],
    );
    let tarball = format!("wassl-{}.tgz", env!("CARGO_PKG_VERSION"));
    assert!(scratch.join(&tarball).exists(), "{packed}");
    // What ships: the sources, the transpiled component, the types, the
    // licence; not the tests, the demo or the scripts.
    let listing = run(&scratch, "tar", &["tzf", &tarball], &[]);
    for want in [
        "package/src/node.js",
        "package/src/browser.js",
        "package/gen/wassl_guest.js",
        "package/gen/wassl_guest.core.wasm",
        "package/types/index.d.ts",
        "package/LICENSE",
        "package/README.md",
    ] {
        assert!(
            listing.lines().any(|l| l == want),
            "{want} not in:\n{listing}"
        );
    }
    for unwanted in [
        "package/test/",
        "package/web/",
        "package/scripts/",
        "package/node_modules/",
    ] {
        assert!(!listing.contains(unwanted), "{unwanted} in:\n{listing}");
    }

    // A project of its own, nothing from the repository but its files.
    let app = scratch.join("app");
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("consumer-js");
    std::fs::create_dir_all(&app).unwrap();
    let manifest = std::fs::read_to_string(template.join("package.json.in"))
        .unwrap()
        .replace("@TARBALL@", &tarball);
    std::fs::write(app.join("package.json"), manifest).unwrap();
    for f in ["node.mjs", "browser.mjs", "page.html", "page.js"] {
        std::fs::copy(template.join(f), app.join(f)).unwrap();
    }
    // The type check the package runs on itself, now against the install.
    std::fs::create_dir_all(app.join("types")).unwrap();
    for f in ["check.ts", "tsconfig.json"] {
        std::fs::copy(dir.join("types").join(f), app.join("types").join(f)).unwrap();
    }
    run(
        &app,
        "npm",
        &["install", "--no-audit", "--no-fund", "--prefer-offline"],
        &[],
    );
    assert!(
        !app.join("node_modules/wassl").is_symlink(),
        "the tarball is installed, not a link into the repository"
    );
    run(&app, "npx", &["tsc", "-p", "types"], &[]);

    let pki = Pki::new();
    let (_server, port) = openssl_s_server(&pki, &["-www"]);
    let out = run(
        &app,
        "timeout",
        &[
            "120",
            "node",
            "node.mjs",
            &port.to_string(),
            pki.ca.id.certfile.to_str().unwrap(),
            pki.server.certfile.to_str().unwrap(),
            pki.server.keyfile.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.contains("client: tlsv13 TLS_"), "{out}");
    assert!(out.contains("client got: HTTP/1.0 200 ok"), "{out}");
    assert!(
        out.contains("s_client: Verify return code: 0 (ok)"),
        "{out}"
    );
    assert!(
        out.contains("s_client: hello from the wassl package over tlsv13"),
        "{out}"
    );

    let ders = scratch_dir("npm-package-pki");
    std::fs::write(ders.join("ca.der"), &pki.ca.id.cert_der).unwrap();
    std::fs::write(ders.join("server.der"), &pki.server.cert_der).unwrap();
    std::fs::write(ders.join("server.key.der"), &pki.server.key_der).unwrap();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let out = run(
        &app,
        "timeout",
        &[
            "180",
            "node",
            "browser.mjs",
            &chromium,
            ders.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        out.contains("page: tlsv13 TLS_CHACHA20_POLY1305_SHA256 echo=hello, page"),
        "{out}"
    );
    assert!(!out.contains("page error"), "{out}");
    println!("{out}");
}
