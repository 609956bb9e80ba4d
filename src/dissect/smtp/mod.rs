//! SMTP dissector: envelope metadata (EHLO name, MAIL FROM, RCPT TO, AUTH
//! mechanism, STARTTLS, message sizes).
//!
//! `parser.rs` holds pure functions over one line (or a DATA body); it knows
//! nothing of flows, records or policy. The per-flow state that feeds it each
//! direction's payload, and knows whether a line is a command, the DATA body,
//! a BDAT chunk or an AUTH exchange, comes next (`state.rs`).
//!
//! References:
//! - RFC 5321 <https://www.rfc-editor.org/rfc/rfc5321>: §4.1 (commands and
//!   ABNF), §4.1.1.4 (end of DATA), §4.2 (replies), §4.5.3.1 (line lengths).
//! - RFC 3207 <https://www.rfc-editor.org/rfc/rfc3207> (STARTTLS).
//! - RFC 3030 <https://www.rfc-editor.org/rfc/rfc3030> (BDAT/CHUNKING).
//! - RFC 4954 <https://www.rfc-editor.org/rfc/rfc4954> and RFC 4422 §3.1
//!   (AUTH, SASL mechanism names).
//!
//! Covered:
//! - [`parser::parse_command`]: EHLO, HELO, MAIL FROM, RCPT TO, DATA, BDAT,
//!   RSET, NOOP, QUIT, STARTTLS, AUTH (mechanism only), any other verb as
//!   `Other`. Verbs in any case; `consumed` includes the line end.
//! - [`parser::parse_reply_line`]: one line of a reply, with `last` telling
//!   `250 ` from `250-`.
//! - [`parser::find_data_end`]: the end of a DATA body, so the caller counts
//!   its size.
//!
//! Anomalies ([`crate::dissect::Parsed::Invalid`]), all in [`parser::anomaly`]:
//! `smtp.line_too_long` (a line over 4096 octets), `smtp.bad_command` (empty,
//! over-long or non-alphanumeric verb; reported as soon as the prefix shows
//! it), `smtp.bad_path` (MAIL without `FROM:`, RCPT without `TO:`, no address,
//! `<` never closed), `smtp.bad_bdat`, `smtp.bad_auth`, `smtp.bad_reply`.
//!
//! Caps ([`parser::cap`]): a line is at most 4096 octets with its CRLF; a
//! verb at most 16; a SASL mechanism at most 20.
//!
//! Lenient on purpose, as deployed servers are:
//! - a bare LF ends a line like CRLF;
//! - spaces are accepted after `FROM:`/`TO:` (`MAIL FROM: <a@b>`, seen in
//!   ndpi/emotet.pcap);
//! - MAIL/RCPT without angle brackets take the first word as the address
//!   (`MAIL FROM:a@b SIZE=1` gives `a@b`);
//! - a source route `<@a,@b:user@d>` gives `user@d`.
//!
//! Known limits:
//! - One line at a time: the caller splits multi-line replies and tracks
//!   state (base64 AUTH lines, BDAT chunks and the DATA body are not commands).
//! - ESMTP parameters (SIZE=, BODY=, NOTIFY=) and EHLO capabilities are not
//!   parsed; addresses are not percent- or quoted-pair-decoded.
//! - `find_data_end` recognises only the RFC terminator CRLF "." CRLF; the
//!   bare-LF variants some servers accept (the "SMTP smuggling" family) are
//!   not ends here. Dot-stuffing is not undone. The caller keeps the last 4
//!   octets across segments so a terminator split between them is found.
//!
//! No function of `parser` panics on any input: lengths are checked before
//! every access and data is never unwrapped.

pub mod parser;
pub mod state;

pub use state::SMTP;
