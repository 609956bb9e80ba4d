#![no_main]
//! Fuzz target: one sip flow through the per-flow engine (`ivraie_fuzz::drive::flow`).
//! Inputs claimed by another dissector are run but not kept in the corpus.

use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus {
    if ivraie_fuzz::drive::flow(&ivraie_fuzz::drive::SIP, data) {
        Corpus::Keep
    } else {
        Corpus::Reject
    }
});
