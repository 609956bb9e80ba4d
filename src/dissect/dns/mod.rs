//! DNS dissector: the message parser (per-flow state and records come later).
//!
//! [`parser`] turns one DNS message into a [`parser::DnsMessage`]: header
//! flags, the question section and the answer section (A, AAAA and CNAME data
//! decoded), with the EDNS extended RCODE folded in. It owns no state and
//! knows nothing of flows, records or policy: the caller hands it a UDP
//! payload ([`parser::parse_message`]) or the front of a TCP stream
//! ([`parser::parse_tcp_message`]) and decides what to do with the outcome.
//!
//! # Specifications
//!
//! - [RFC 1035](https://www.rfc-editor.org/rfc/rfc1035) §4.1 message format,
//!   §4.1.4 compression, §4.2.2 TCP length prefix, §5.1 `\DDD` escapes
//! - [RFC 7766](https://www.rfc-editor.org/rfc/rfc7766) DNS over TCP
//! - [RFC 3596](https://www.rfc-editor.org/rfc/rfc3596) AAAA
//! - [RFC 6891](https://www.rfc-editor.org/rfc/rfc6891) EDNS(0) OPT: only the
//!   extended RCODE is read; the rest of the record is skipped
//! - [RFC 4343](https://www.rfc-editor.org/rfc/rfc4343) §2.1 escaping of
//!   label octets
//!
//! # Covered
//!
//! Header (ID, QR, OPCODE, TC, RCODE), up to 64 questions, up to 64 answers
//! with A, AAAA and CNAME data (other types are kept as `RData::Other`),
//! compression pointers anywhere in the message, the authority and additional
//! sections walked for framing, and the first OPT record's extended RCODE.
//!
//! # Outcomes
//!
//! - `Invalid(..)` when the header is short (UDP: `dns.truncated`) or when the
//!   very first entry the header announces (usually the first question)
//!   cannot be read: nothing useful is left.
//! - Otherwise `Done`: sections are read in wire order until the first entry
//!   that breaks the framing (bad name, fixed fields or RDATA past the end, or
//!   fewer entries than announced); what came before is kept and
//!   `DnsMessage::anomaly` names the problem. So a response whose answer
//!   section is cut or lying still yields its query names, as tshark shows
//!   them. RDATA problems that leave the framing intact (an A record that is
//!   not 4 octets, a CNAME target with a loop) keep the answer with
//!   `RData::Other`, set `anomaly` (the first one wins) and go on. A caller
//!   that wants only clean messages checks `anomaly.is_none()`.
//! - UDP: a datagram is complete, `parse_message` never says `Incomplete`;
//!   `consumed` is the whole datagram (trailing bytes are ignored).
//! - TCP: `Incomplete { needed: Some(2 + len) }` until the whole framed
//!   message is there (`needed: None` before the 2 length octets); then the
//!   frame is parsed as a datagram (so a frame shorter than a header is
//!   `Invalid("dns.truncated")`, more bytes would not help), `consumed = 2 + len`.
//!
//! # Names
//!
//! Presentation form: labels joined by `.`, no trailing dot, the root alone
//! is `.`, case as on the wire. A label octet outside printable ASCII
//! (0x20..=0x7e), and a `.` or `\` inside a label, are written `\DDD` with
//! three decimal digits, so a name is ASCII and can be split on `.` again.
//! tshark 4.0 renders `dns.qry.name` differently, and only for such names:
//!
//! - the root is `<Root>` (here `.`);
//! - control octets are C escapes (`\n`, `\t`, `\r`, `\a`, `\b`, `\f`, `\v`)
//!   or **octal** `\ooo`: 0x7f is `\177` there, `\127` here (octets 0..=7
//!   coincide: `ndpi/dns-invalid-chars.pcap` gives `\004\005\006` in both);
//! - valid UTF-8 is kept (`été`, here `\195\169t\195\169`) and invalid
//!   octets become U+FFFD (here `\200` for 0xc8); GLib sometimes folds an
//!   invalid sequence into one U+FFFD where `from_utf8_lossy` gives two;
//! - `.` and `\` inside a label are left bare (so a one-label `a.b` reads
//!   like two labels), here `\046` and `\092`; a space is literal in both;
//! - a name it cannot decode becomes `<Name too long>` (or
//!   `<Unknown extended label>`) and it goes on with the next entry, where
//!   this parser stops with the anomaly.
//!
//! Printable ASCII names, the usual case, are identical. Checked by parsing
//! every UDP DNS message of the corpus (`ndpi/`, `tcpdump/`: 2690 messages)
//! and comparing with tshark's `dns.qry.name`, `dns.a`, `dns.aaaa`,
//! `dns.cname`, RCODE and extended RCODE: all agree once tshark's rendering is
//! mapped as above, except where tshark itself reports a malformed packet or
//! an undecodable name.
//!
//! # Limits (caps)
//!
//! - [`parser::MAX_QUESTIONS`] = 64, [`parser::MAX_ANSWERS`] = 64: further
//!   entries are skipped (framing still checked) and `capped` is set.
//! - [`parser::MAX_POINTER_JUMPS`] = 32 pointers per name, and a pointer target
//!   may not be visited twice; [`parser::MAX_NAME_OCTETS`] = 255.
//! - Entries that are not kept (authority, additional, beyond the caps) are
//!   checked for bounds only: their names' pointers are not followed.
//! - RDATA is decoded whatever the CLASS; the CLASS of records is not kept.
//! - Only the first OPT record (with the root as owner) counts; its version,
//!   DO bit and options are ignored.
//!
//! # Anomalies
//!
//! - `dns.label_loop`: a compression pointer revisits a target, or a name
//!   follows more than 32 pointers.
//! - `dns.name_too_long`: a name over 255 octets on the wire (uncompressed).
//! - `dns.bad_label`: a label length octet of type 01 or 10 (reserved /
//!   withdrawn extended labels).
//! - `dns.bad_pointer`: a compression pointer at or past the message end.
//! - `dns.truncated`: the message ends inside the header, a name, a fixed
//!   field or RDATA, or holds fewer entries than its header announces.
//! - `dns.bad_rdata`: an A record not 4 octets, an AAAA not 16, a CNAME whose
//!   target runs past its RDLENGTH (empty RDATA is not an anomaly: UPDATE and
//!   inverse queries use it; it gives `RData::Other`).
//!
//! The parser never panics on any input: every read is bounds-checked
//! (`slice::get`, `first_chunk`), nothing is unwrapped, and all loops are
//! bounded by the input length or a named cap.

pub mod parser;
pub mod state;

pub use state::DNS;
