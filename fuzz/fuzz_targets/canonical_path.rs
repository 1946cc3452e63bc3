#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| omni_fuzz::canonical_path(data));
