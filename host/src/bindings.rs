//! Generated host bindings for the `wassl:tls/engine` world, alone in this
//! file. Exports are called asynchronously so a guest call can be bounded by
//! an epoch deadline without blocking the tokio worker forever.
#![allow(missing_docs, unreachable_pub, clippy::all)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "engine",
    exports: { default: async },
    with: {
        "wassl:tls/crypto.key-share": crate::imports::crypto::KeyShare,
        "wassl:tls/crypto.signing-key": crate::imports::crypto::SigningKey,
        "wassl:tls/crypto.aead-key": crate::imports::crypto::AeadKey,
    },
});
