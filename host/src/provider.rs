//! The native crypto library under everything the host computes for the
//! sandbox (key exchange, signatures, transcript hashes, HKDF, the record
//! layer's AEAD) and for itself (ticket keys, sealed sessions): ring by
//! default, aws-lc-rs with the feature `aws-lc-rs`. aws-lc-rs is rustls's
//! default provider and faster at AES-GCM on x86-64, but a C build (minutes
//! of compiling with the system's C compiler on every install). Both
//! libraries have ring's API, so the rest of the crate names these modules,
//! never a library. The engine in the sandbox cannot tell which it is. A leaf.

#[cfg(feature = "aws-lc-rs")]
pub(crate) use aws_lc_rs::{aead, digest, hkdf, hmac, rand};
#[cfg(not(feature = "aws-lc-rs"))]
pub(crate) use ring::{aead, digest, hkdf, hmac, rand};

/// rustls's provider over the same library: its key exchange groups,
/// signing keys and TLS 1.2 PRF are what native rustls runs.
#[cfg(feature = "aws-lc-rs")]
pub(crate) use rustls::crypto::aws_lc_rs as rustls_provider;
#[cfg(not(feature = "aws-lc-rs"))]
pub(crate) use rustls::crypto::ring as rustls_provider;

/// webpki's signature verification over the same library.
#[cfg(feature = "aws-lc-rs")]
pub(crate) use webpki::aws_lc_rs as webpki_algorithms;
#[cfg(not(feature = "aws-lc-rs"))]
pub(crate) use webpki::ring as webpki_algorithms;

/// The library's name, as [`crate::runtime::crypto_library`] reports it.
pub(crate) const NAME: &str = if cfg!(feature = "aws-lc-rs") {
    "aws-lc-rs"
} else {
    "ring"
};
