//! SIP dissector: who calls whom (Call-ID, From, To, Contact, CSeq, User-Agent).
//!
//! `parser.rs` holds pure functions from bytes to a [`parser::SipMessage`]
//! that borrows from them; it knows nothing of flows, records or policy. The per-flow state that feeds it
//! each direction's payload comes next (`state.rs`).
//!
//! References:
//! - RFC 3261 <https://www.rfc-editor.org/rfc/rfc3261>: §7 (message format,
//!   §7.3.1 folding, §7.3.3 compact forms, §7.5 leading CRLF), §18.3 (framing),
//!   §20 (header fields), §25 (ABNF).
//! - RFC 3966 <https://www.rfc-editor.org/rfc/rfc3966> (`tel:` URIs, visual
//!   separators).
//! - RFC 5626 §3.5.1 <https://www.rfc-editor.org/rfc/rfc5626#section-3.5.1>
//!   (CRLF keep-alives).
//!
//! Covered:
//! - [`parser::parse_message`] (stream: TCP/TLS; Content-Length frames the
//!   body, a missing one means no body, a short buffer is `Incomplete`) and
//!   [`parser::parse_datagram`] (UDP: a missing Content-Length means the rest
//!   of the datagram; octets past Content-Length are ignored).
//! - Request and status lines, header folding, long and compact header names
//!   (`i f t m l v c s k e`), LF-only line ends, leading CRLFs.
//! - From/To/Contact as [`parser::NameAddr`]: quoted or token display name,
//!   `<uri>`, bare addr-spec (its `;` parameters are header parameters,
//!   §20.10), `tag`; only the first Contact of the first Contact field.
//! - [`parser::user_part`] and [`parser::number`] on `sip:`, `sips:`, `tel:`
//!   URIs ([`parser::phone_number`] from a user part already cut out); [`parser::looks_like_sip`] to recognise SIP on any port.
//!
//! Anomalies ([`crate::dissect::Parsed::Invalid`]), all in [`parser::anomaly`]:
//! `sip.bad_start_line`, `sip.header_without_crlf` (datagram only: a line or the
//! head not ended before the data ends; a stream gives `Incomplete`),
//! `sip.head_too_long` (over 16 KiB), `sip.too_many_headers` (over 128),
//! `sip.bad_content_length` (not `1*DIGIT`, over 1 MiB, or two that disagree),
//! `sip.body_truncated` (datagram shorter than head + Content-Length),
//! `sip.bad_header` (no colon, bad name, continuation first),
//! `sip.nul_in_head`, and `sip.keepalive` (a datagram of only CR/LF: not a
//! fault, callers need not count it).
//!
//! Caps ([`parser::cap`]): head 16 KiB, 128 header fields, body 1 MiB,
//! phone numbers 3 to 20 digits.
//!
//! Known limits:
//! - Values are not percent-decoded; `user_part` drops the password
//!   (`user:pw@`), where tshark's `sip.*.user` keeps it.
//! - Repeated Call-ID/From/To/CSeq/User-Agent fields: the first wins, silently.
//! - A malformed From/To/Contact/CSeq leaves that field `None` instead of
//!   invalidating the message.
//! - The Content-Length cap (1 MiB) is below what RFC 3261 allows.
//! - The parsed value borrows its text from the input; a value is copied
//!   only when folded (to join its lines), when it holds invalid UTF-8
//!   (replaced by U+FFFD), or when a datagram's head never ends (read from a
//!   copy with the missing CRLFs added).
//! - No multipart or SDP body parsing; no Via, Route or Record-Route.
//!
//! No function of `parser` panics on any input: lengths are checked before
//! every access and data is never unwrapped.

pub mod parser;
pub mod state;

pub use state::SIP;
