//! Generated host bindings for the `wassl:tls/engine` world, alone in this
//! file. Exports are called asynchronously so a guest call can be bounded by
//! an epoch deadline without blocking the tokio worker forever.
#![allow(missing_docs, unreachable_pub, clippy::all)]

wasmtime::component::bindgen!({
    path: "wit",
    world: "engine",
    exports: { default: async },
    // The session cache may be across the network (a fleet's Redis): a
    // lookup suspends the guest instead of blocking a tokio worker.
    imports: {
        "wassl:tls/verify.session-put": async,
        "wassl:tls/verify.session-get": async,
        "wassl:tls/verify.session-take": async,
        // A guest past its resource cap traps (`imports::RESOURCES_MAX`).
        "wassl:tls/crypto.[constructor]hash-context": trappable,
        "wassl:tls/crypto.[method]hash-context.fork": trappable,
    },
    with: {
        "wassl:tls/crypto.key-share": crate::imports::crypto::KeyShare,
        "wassl:tls/crypto.signing-key": crate::imports::crypto::SigningKey,
        "wassl:tls/crypto.aead-key": crate::imports::crypto::AeadKey,
        "wassl:tls/crypto.hash-context": crate::imports::crypto::HashContext,
    },
});
