#![no_main]
//! Fuzz target: see `ivraie_fuzz::drive::pcap_reader`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ivraie_fuzz::drive::pcap_reader(data));
