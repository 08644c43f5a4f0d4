//! Link settings of the component.

fn main() {
    // wasm-ld's default shadow stack is 1 MiB at the bottom of linear memory,
    // so the heap starts above it and every sandbox touches pages past the
    // first MiB. rustls needs far less: a smaller stack keeps each
    // connection's working set (and the pages the pool resets) small.
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=262144");
        // Start with room for a handshake (one takes the memory from about
        // 448 KiB to 576 KiB; 640 KiB leaves a margin): each `memory.grow`
        // is an mprotect with a TLB shootdown on every core, and the pool
        // undoes it with another when the sandbox is freed. Untouched pages
        // cost nothing: they are never faulted in nor reset. A large trust
        // store grows it (tests/robustness.rs traps a sandbox that way).
        println!("cargo:rustc-link-arg-cdylib=--initial-memory=655360");
    }
}
