//! The vendored rustls is the published crate plus the patch series in
//! `guest/vendor/rustls-patches/` (see `WASSL.md` there), and the workspace
//! asks for that very version.

use std::path::Path;
use std::process::Command;

fn vendor() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../guest/vendor"))
}

#[test]
fn the_fork_is_the_published_crate_plus_its_patch_series() {
    let out = Command::new(vendor().join("check-rustls-fork"))
        .output()
        .expect("run guest/vendor/check-rustls-fork");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("plus 7 patches"), "{text}");
}

#[test]
fn the_workspace_asks_for_the_forks_version() {
    let read = |p: &Path| std::fs::read_to_string(p).expect("read a manifest");
    let version = |toml: &str, key: &str| -> String {
        let line = toml
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key} line"));
        let start = line.find('"').expect("a quoted version") + 1;
        let end = start + line[start..].find('"').expect("a closing quote");
        line[start..end].to_string()
    };
    let fork = version(&read(&vendor().join("rustls/Cargo.toml")), "version = ");
    let root = read(&vendor().join("../../Cargo.toml"));
    let wanted = version(&root, "rustls = { version = ");
    assert_eq!(
        wanted, fork,
        "the workspace's rustls requirement is the fork's version"
    );
}
