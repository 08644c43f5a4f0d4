//! The host record layer and rustls's own, given the same keys and bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wassl::fuzzing::record_differential(data));
