#![no_main]
//! Fuzz target: see `ivraie_fuzz::drive::scenario`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ivraie_fuzz::drive::scenario(data));
