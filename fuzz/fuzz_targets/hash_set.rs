//! `cargo +nightly fuzz run hash_set`: see `waybill_fuzz::hash_set`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| waybill_fuzz::hash_set(data));
