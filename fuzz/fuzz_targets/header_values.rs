#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| omni_fuzz::header_values(data));
