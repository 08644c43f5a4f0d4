//! `{packet, Type}` framing of a peer's plaintext.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wassl::fuzzing::packet(data));
