//! `cargo +nightly fuzz run log_format`: see `waybill_fuzz::log_format`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| waybill_fuzz::log_format(data));
