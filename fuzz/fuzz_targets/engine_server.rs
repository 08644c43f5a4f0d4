//! A server engine reading a client's bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wassl_guest::engine::fuzzing::server(data));
