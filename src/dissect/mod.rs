//! Application dissectors: one folder per protocol.
//!
//! Each protocol folder has three roles (STYLE.md §5): `parser.rs`, pure
//! functions from bytes to a parsed value with no state and no logging;
//! `state.rs`, the bounded per-flow state that feeds the parser the payload of
//! each direction; and the record type the protocol emits. Parsers never panic
//! on any input and return one of three outcomes ([`Parsed`]): a value, "needs
//! more bytes", or invalid with a named anomaly (`dns.label_loop`,
//! `tls.record_too_long`...). Only the caller decides to buffer, resync or give up.
//!
//! This module knows nothing of scenarios or policy.

pub mod bittorrent;
pub mod dns;
pub mod http;
pub mod quic;
pub mod sip;
pub mod smtp;
pub mod tls;

/// The outcome of parsing a message from the front of a buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A complete value, and how many bytes of the input it used.
    Done {
        /// The parsed value.
        value: T,
        /// Bytes consumed from the front of the input.
        consumed: usize,
    },
    /// The input is a valid beginning but stops short.
    Incomplete {
        /// Total bytes needed for the message, when the parser knows it.
        needed: Option<usize>,
    },
    /// The input is not a valid message: the anomaly's name, `proto.what`.
    Invalid(&'static str),
}

impl<T> Parsed<T> {
    /// The value, if complete.
    pub fn value(self) -> Option<T> {
        match self {
            Parsed::Done { value, .. } => Some(value),
            _ => None,
        }
    }
}

/// Which side of a flow sent some bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the originator (client) to the responder.
    ToResponder,
    /// From the responder (server) back.
    ToOriginator,
}
