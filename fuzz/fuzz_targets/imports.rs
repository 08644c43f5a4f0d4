//! The host's imports called by a hostile guest.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wassl::fuzzing::imports(data));
