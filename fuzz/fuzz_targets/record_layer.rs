//! The host record layer (native code outside the sandbox) reading a peer's records.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wassl::fuzzing::record_layer(data));
