//! ivraie — a network metadata interception simulator.
//!
//! *Trier le grain de l'ivraie*: ivraie replays packet captures through the
//! "black box" metadata extractors that surveillance laws make operators run, and
//! measures how much they take in and how many innocent people they flag.
//!
//! The data flows down the modules in this order: [`capture`] (pcap/pcapng bytes
//! into frames) → [`decode`] (L2–L4 headers) → [`flow`] (bidirectional flows) →
//! [`dissect`] (application metadata: DNS, TLS, QUIC, HTTP, SIP, SMTP,
//! BitTorrent) → [`record`] (the flow records) — driven by [`pipeline`] (one
//! reader, N workers) and [`cli`] (the `ivraie` command).
//!
//! Beside the data flow: [`oversight`] writes and verifies the hash-chained
//! oversight log of every authorisation, alert and identification, and
//! [`measure`] holds the statistics (Wilson intervals, confusion matrices,
//! signal-to-noise, base-rate extrapolation).

pub mod blackbox;
pub mod capture;
pub mod cli;
pub mod cluster;
pub mod decode;
pub mod dissect;
pub mod flow;
pub mod generate;
pub mod identity;
pub mod measure;
pub mod observation;
pub mod output;
pub mod oversight;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod pipeline;
pub mod policy;
pub mod progress;
pub mod record;
pub mod replicate;
pub mod report;
pub mod scenario;
pub mod serve;
pub mod simulator;
pub mod sweep;
pub mod visibility;

/// Helpers for the fuzz targets in `fuzz/` (not part of the supported API).
///
/// The fuzz targets drive the real entry points; this module only exposes the
/// generator's QUIC Initial protection, so that the QUIC target can turn fuzzed
/// plaintext frames into Initials that decrypt and reach the frame and
/// ClientHello parsers (random bytes almost never pass the AEAD check).
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::generate::msg::{quic_crypto_frame, quic_initial};
}
