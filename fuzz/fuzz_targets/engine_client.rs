//! A client engine, its ClientHello sent, reading a server's bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wassl_guest::engine::fuzzing::client(data));
