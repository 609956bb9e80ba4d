//! WHOIS dissector (RFC 3912): who looked up which domain, and where the
//! answer sent them next.
//!
//! A WHOIS client opens TCP port 43, sends one text query ending in CRLF, and
//! reads a text answer until the server closes the connection
//! ([RFC 3912](https://www.rfc-editor.org/rfc/rfc3912) §2). A query for a
//! domain is a lookup of that domain as plain as a DNS query: a box watching
//! domains sees it (the record's facets name the domain).
//!
//! `parser.rs` holds pure functions over one line; `state.rs` the per-flow
//! session and [`state::WhoisRecord`], one per connection.
//!
//! Covered:
//! - the query line ([`parser::parse_line`]), the domain it asks about
//!   ([`parser::query_domain`]: its last word, when that is a domain name —
//!   RIPE-style flags such as `-T domain` come first);
//! - the answer's domain (`domain:`, `Domain Name:`) and its referral
//!   (`refer:`, `whois:`, `Registrar WHOIS Server:`, `ReferralServer:`), the
//!   first of each, from the first 64 KiB of the answer ([`parser::answer_field`]);
//! - the answer's size;
//! - a capture that starts after the query: the side on port 43 is the server
//!   whichever sent first, and the record has the answer alone.
//!
//! Anomalies: `whois.line_too_long`, a line over 1024 octets without a line
//! end (the query is then lost; an answer line is skipped).
//!
//! Known limits: flows off port 43 are not probed (a WHOIS query is any line
//! of text, too common to claim by content); RWHOIS (port 4321) and RDAP
//! (HTTPS) are not WHOIS; an answer in an encoding other than UTF-8 gives no
//! field from its non-UTF-8 lines.

pub mod parser;
pub mod state;

pub use state::WHOIS;
