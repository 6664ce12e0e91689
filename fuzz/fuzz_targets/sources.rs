//! `cargo +nightly fuzz run sources`: see `waybill_fuzz::sources`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| waybill_fuzz::sources(data));
