#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| omni_fuzz::json_restringify(data));
