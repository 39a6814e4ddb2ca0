#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kejia_kiosk::fuzzing::qr_reader(data));
