//! The guest component in JavaScript hosts, through jco: `npm test` in
//! `examples/jco` transpiles the very component this host embeds, then runs
//! Node's test runner: a Node client and server against `openssl
//! s_client`/`s_server` (verify_fun in JavaScript), Node's crypto as the
//! engine's host crypto (every suite against `s_server`), and the demo page
//! in headless Chromium driven by playwright-core. Needs node, npm and
//! chromium (the README's test command installs them);
//! `WASSL_SKIP_INTEROP=1` skips it.

use std::path::Path;
use std::process::Command;

use wassl_tests::{require, scratch_dir, skip_interop};

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

#[test]
fn jco_engine_in_node_and_chromium() {
    if skip_interop() {
        return;
    }
    for p in ["node", "npm", "openssl", "chromium"] {
        require(p);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/jco");
    let wasm = scratch_dir("jco").join("wassl_guest.wasm");
    std::fs::write(&wasm, wassl::runtime::guest_component()).expect("write the component");
    // `npm install`, not `npm ci`: npm 10 refuses this lock file in `ci`
    // (entries of other platforms' optional binaries are missing), while
    // `install` takes the locked versions all the same.
    if !dir.join("node_modules/.package-lock.json").exists() {
        run(&dir, "npm", &["install", "--no-audit", "--no-fund"], &[]);
    }
    // A test that hangs (a host import missing, a peer that never answers)
    // fails after ten minutes instead of holding CI.
    let out = run(
        &dir,
        "timeout",
        &["600", "npm", "test"],
        &[("WASSL_GUEST_WASM", &wasm)],
    );
    // Node's runner prints its totals; every test must have run and passed.
    assert!(out.contains("# pass 12"), "{out}");
    assert!(out.contains("# fail 0"), "{out}");
    println!("{out}");
}
