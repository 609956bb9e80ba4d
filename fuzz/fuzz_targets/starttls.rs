#![no_main]
//! Fuzz target: one flow on a STARTTLS port through the per-flow engine
//! (`ivraie_fuzz::drive::flow`): the preambles and the TLS session they hand
//! over to. Inputs claimed by another dissector are run but not kept.

use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus {
    if ivraie_fuzz::drive::flow(&ivraie_fuzz::drive::STARTTLS, data) {
        Corpus::Keep
    } else {
        Corpus::Reject
    }
});
