//! # wassl
//!
//! The Erlang/OTP `ssl` API over a sandboxed TLS engine: rustls compiled to a
//! WebAssembly component, one instance per connection, driven by this
//! wasmtime host with real sockets and Erlang-style owner processes.
//!
//! ```no_run
//! use wassl::{process, ssl::{self, SslOption, Verify}};
//! # async fn demo() -> Result<(), ssl::Reason> {
//! process::run(async {
//!     let s = ssl::connect("example.com", 443, vec![SslOption::Verify(Verify::VerifyPeer)], 5000).await?;
//!     ssl::send(&s, b"GET / HTTP/1.0\r\n\r\n").await?;
//!     if let process::Message::Ssl(_, data) = process::receive().await {
//!         println!("{:?}", data);
//!     }
//!     ssl::close(&s).await
//! }).await
//! # }
//! ```
#![deny(unsafe_code)]

#[cfg(feature = "bench-internals")]
pub mod bench;
mod bindings;
mod buffers;
pub mod cert;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod imports;
mod kdf;
pub mod process;
mod provider;
mod record_layer;
pub mod runtime;
pub mod ssl;
pub mod stream;
