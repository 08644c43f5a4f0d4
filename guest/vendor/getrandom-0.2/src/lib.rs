//! getrandom 0.2's API for wassl: `wasi:random` in the guest, getrandom 0.3
//! natively.
//!
//! ring 0.17 asks getrandom 0.2 for entropy, and on WASI getrandom 0.2 only
//! knows preview 1's `random_get`. That one import made the guest component
//! carry wit-component's whole preview 1 adapter: a fourth core module and
//! eight more core instances to set up for every connection's sandbox.
//! Here the guest calls `wasi:random` directly, and native builds use
//! getrandom 0.3 (the operating system, as 0.2 does).
#![no_std]

use core::fmt;
use core::num::NonZeroU32;

/// An error from the system's random source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error(NonZeroU32);

impl Error {
    /// Codes at or above this are getrandom's own, not the system's.
    pub const INTERNAL_START: u32 = 1 << 31;
    /// Codes at or above this belong to custom sources.
    pub const CUSTOM_START: u32 = (1 << 31) + (1 << 30);
    /// getrandom 0.2's `UNEXPECTED`.
    fn unexpected() -> Error {
        Error(NonZeroU32::new(Self::INTERNAL_START + 2).unwrap_or(NonZeroU32::MIN))
    }

    /// The error's code.
    pub const fn code(self) -> NonZeroU32 {
        self.0
    }
    /// The OS error number, if it is one.
    pub fn raw_os_error(self) -> Option<i32> {
        i32::try_from(self.0.get()).ok()
    }
}

impl From<NonZeroU32> for Error {
    fn from(code: NonZeroU32) -> Self {
        Error(code)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.raw_os_error() {
            Some(errno) => write!(f, "OS error {errno}"),
            None => write!(f, "getrandom error {:#x}", self.0.get()),
        }
    }
}

/// Fills `dest` with random bytes from `wasi:random`, in one call.
///
/// getrandom 0.3 asks `get-random-u64` once per 8 bytes. In wasmtime a call
/// costs little, but through jco each is a trip through its call machinery:
/// one call per request kept Node's handshake rate where preview 1's
/// adapter had it (it too asked once).
#[cfg(all(target_arch = "wasm32", target_os = "wasi", target_env = "p2"))]
pub fn getrandom(dest: &mut [u8]) -> Result<(), Error> {
    if dest.is_empty() {
        return Ok(());
    }
    let bytes = wasip2::random::random::get_random_bytes(dest.len() as u64);
    if bytes.len() != dest.len() {
        return Err(Error::unexpected());
    }
    dest.copy_from_slice(&bytes);
    Ok(())
}

/// Fills `dest` with random bytes from the system's source.
#[cfg(not(all(target_arch = "wasm32", target_os = "wasi", target_env = "p2")))]
pub fn getrandom(dest: &mut [u8]) -> Result<(), Error> {
    getrandom03::fill(dest).map_err(|e| {
        // An OS error keeps its number; anything else is 0.2's UNEXPECTED.
        e.raw_os_error()
            .and_then(|errno| u32::try_from(errno).ok())
            .and_then(NonZeroU32::new)
            .map_or_else(Error::unexpected, Error)
    })
}
