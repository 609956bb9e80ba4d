//! The integration tests, in one binary: each file of this folder is a module
//! (one binary links the crate once instead of once per file, which is most of
//! a fresh build of the tests; README, "Running the tests").
//!
//! `cargo test --release --test it MODULE::` runs one file's tests.

#[allow(dead_code)]
mod common;
mod support {
    pub mod flood_payloads;
    pub mod flood_words;
}
#[path = "../../fuzz/src/drive.rs"]
mod drive;

mod assist;
mod baserate;
mod cli;
#[cfg(feature = "cluster")]
mod cluster;
mod corpus;
mod escaping;
mod exit_codes;
mod flood;
mod fuzz_regressions;
mod generate;
mod host;
mod identity;
mod kill;
mod law;
mod layers;
mod memory;
mod outputs;
mod parquet_files;
mod peers;
mod privacy;
mod protocols;
mod records;
mod replicates;
mod report;
mod scenarios;
mod serve;
mod simulate;
mod statistics;
mod suricata_app;
mod sweep;
mod tshark_agreement;
mod tshark_app;
mod verify_log;
