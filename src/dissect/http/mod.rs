//! HTTP/1.x dissector (in progress: parser first).
//!
//! [`parser`] turns the bytes of one direction of a TCP stream into request
//! and response heads, and tells where a chunked body ends; it keeps no state
//! and never panics on any input (every index is checked, numbers use checked
//! arithmetic). Per-flow state and records belong to the rest of this folder.
//!
//! Specifications: [RFC 9112](https://www.rfc-editor.org/rfc/rfc9112) (HTTP/1.1
//! message syntax and framing) and [RFC 9110](https://www.rfc-editor.org/rfc/rfc9110)
//! (field semantics). The head is tokenised by the `httparse` crate.
//!
//! Covered:
//! - request heads: method, request-target, version, first `Host`, first
//!   `User-Agent`, `Content-Length`, whether the final transfer coding is
//!   `chunked` ([`parser::parse_request`]);
//! - response heads: version, status, reason phrase, the same framing fields
//!   ([`parser::parse_response`]);
//! - `consumed` is the head's length, blank line included, so a caller finds
//!   the body or the next pipelined message right after it;
//! - chunked bodies, extensions and trailer section included
//!   ([`parser::chunked_body_len`]);
//! - cheap probes on a flow's first bytes ([`parser::looks_like_request`],
//!   [`parser::looks_like_response`]).
//!
//! Caps (in `parser::cap`): head 16 KiB (`MAX_HEAD`), 64 header fields
//! (`MAX_HEADERS`, trailers too), chunk-size line 4 KiB (`MAX_CHUNK_LINE`),
//! 16 significant hex digits of chunk size (`MAX_CHUNK_SIZE_DIGITS`), trailer
//! section 16 KiB (`MAX_TRAILER`); the request probe reads at most 8 KiB
//! (`MAX_PROBE_LINE`) and methods of at most 24 bytes (`MAX_METHOD_LEN`).
//!
//! Anomalies:
//! - `http.head_too_long`: no blank line within 16 KiB;
//! - `http.too_many_headers`: more than 64 header (or trailer) fields;
//! - `http.bad_request` / `http.bad_response`: the head is not HTTP/1.x syntax
//!   (bad token, NUL or bare CR in a field, version other than 1.0/1.1...);
//! - `http.bad_content_length`: `Content-Length` not `1*DIGIT`, over `u64`, or
//!   copies that disagree (RFC 9112 §6.3 item 5; equal copies are merged);
//! - `http.bad_transfer_encoding`: a request whose last transfer coding is not
//!   `chunked` (RFC 9112 §6.3 item 4);
//! - `http.bad_chunk`: chunked-body syntax error;
//! - `http.chunk_line_too_long`, `http.trailer_too_long`: over their caps.
//!
//! Known limits:
//! - httparse accepts a bare LF as line end (RFC 9112 §2.2 allows it) and
//!   rejects obsolete line folding and a request-target that is not UTF-8
//!   (`http.bad_request`); a non-ASCII reason phrase is kept lossily;
//! - a duplicated `Host` is not flagged (the first is reported); `Host` is not
//!   taken from an absolute-form request-target;
//! - `Transfer-Encoding` with `Content-Length` is reported as is (`chunked`
//!   wins, RFC 9112 §6.3 item 3); a bad `Content-Length` is flagged even then;
//!   `Transfer-Encoding` in an HTTP/1.0 message is honoured;
//! - which responses have no body (to HEAD, 1xx, 204, 304, CONNECT 2xx) is
//!   for the caller, who knows the request;
//! - `chunked_body_len` walks from the start of the body each call (linear in
//!   its input), does not decode the data, rejects a bare LF in chunk lines and
//!   checks chunk extensions only for control bytes;
//! - HTTP/0.9, HTTP/2 and upgrades are out of scope.

pub mod parser;
pub mod state;

pub use state::HTTP;
