#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| omni_fuzz::libomni_calls(data));
