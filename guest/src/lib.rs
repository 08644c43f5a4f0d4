//! wassl-guest: the TLS engine of wassl, rustls behind the `wassl:tls` WIT
//! interfaces. Built for `wasm32-wasip2` it is a component; built natively it
//! is a library whose [`engine`] is unit-tested against native rustls.

pub mod engine;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod exports;
