//! The connection's delivery machine under any order of events.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wassl::fuzzing::machine(data));
