//! getrandom 0.2's API on getrandom 0.3.
//!
//! ring 0.17 asks getrandom 0.2 for entropy, and on WASI getrandom 0.2 only
//! knows preview 1's `random_get`. That one import made the guest component
//! carry wit-component's whole preview 1 adapter: a fourth core module and
//! seven more core instances to set up for every connection's sandbox.
//! getrandom 0.3 calls `wasi:random` directly on `wasm32-wasip2` and the
//! operating system elsewhere, as 0.2 does.
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

/// Fills `dest` with random bytes from the system's source.
pub fn getrandom(dest: &mut [u8]) -> Result<(), Error> {
    getrandom03::fill(dest).map_err(|e| {
        // An OS error keeps its number; anything else is 0.2's UNEXPECTED.
        let code = e
            .raw_os_error()
            .and_then(|errno| u32::try_from(errno).ok())
            .unwrap_or(Error::INTERNAL_START + 2);
        Error(NonZeroU32::new(code).unwrap_or(NonZeroU32::MIN))
    })
}
