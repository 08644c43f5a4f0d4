//! Link settings of the component.

fn main() {
    // wasm-ld's default shadow stack is 1 MiB at the bottom of linear memory,
    // so the heap starts above it and every sandbox touches pages past the
    // first MiB. rustls needs far less: a smaller stack keeps each
    // connection's working set (and the pages the pool resets) small.
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=262144");
    }
}
