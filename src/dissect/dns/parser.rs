//! Pure DNS message parser: bytes in, [`DnsMessage`] out.
//!
//! No state, no logging, no I/O. Every read goes through `slice::get` or
//! `first_chunk`, so no input can make these functions panic; collections are
//! capped ([`MAX_QUESTIONS`], [`MAX_ANSWERS`]) and name decoding is bounded by
//! [`MAX_POINTER_JUMPS`] and [`MAX_NAME_OCTETS`]. See the module doc of
//! `dissect::dns` for the RFCs, the outcome policy and the anomaly names.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::dissect::Parsed;

/// At most this many questions are kept; more sets [`DnsMessage::capped`].
pub const MAX_QUESTIONS: usize = 64;
/// At most this many answer records are kept; more sets [`DnsMessage::capped`].
pub const MAX_ANSWERS: usize = 64;
/// More compression pointers than this in one name is `dns.label_loop`.
pub const MAX_POINTER_JUMPS: usize = 32;
/// A name longer than this on the wire (length octets and root included) is
/// `dns.name_too_long` (RFC 1035 §2.3.4).
pub const MAX_NAME_OCTETS: usize = 255;

/// Anomaly names this parser reports, as `Parsed::Invalid(..)` or in
/// [`DnsMessage::anomaly`].
pub mod anomaly {
    /// A compression pointer revisits a target, or a name follows more than
    /// [`super::MAX_POINTER_JUMPS`] pointers.
    pub const LABEL_LOOP: &str = "dns.label_loop";
    /// A name is longer than [`super::MAX_NAME_OCTETS`] octets.
    pub const NAME_TOO_LONG: &str = "dns.name_too_long";
    /// A label length octet starts with 01 or 10 (RFC 6891 §5 / reserved).
    pub const BAD_LABEL: &str = "dns.bad_label";
    /// A compression pointer targets an offset at or past the message end.
    pub const BAD_POINTER: &str = "dns.bad_pointer";
    /// The message ends inside the header, a name, a fixed field or RDATA,
    /// or announces more entries than it holds.
    pub const TRUNCATED: &str = "dns.truncated";
    /// RDATA of a decoded type does not fit its type: an A that is not 4
    /// octets, an AAAA that is not 16, a CNAME name running past RDLENGTH.
    pub const BAD_RDATA: &str = "dns.bad_rdata";
}

/// Resource record and query types (RFC 1035 §3.2.2, RFC 3596, RFC 6891,
/// RFC 2782, RFC 9460), as the numbers [`Question::qtype`] and
/// [`Answer::rtype`] carry; [`qtype_name`] names them.
pub mod rtype {
    /// IPv4 host address.
    pub const A: u16 = 1;
    /// Authoritative name server.
    pub const NS: u16 = 2;
    /// Canonical name (alias).
    pub const CNAME: u16 = 5;
    /// Start of authority.
    pub const SOA: u16 = 6;
    /// Domain name pointer.
    pub const PTR: u16 = 12;
    /// Mail exchange.
    pub const MX: u16 = 15;
    /// Text strings.
    pub const TXT: u16 = 16;
    /// IPv6 host address (RFC 3596).
    pub const AAAA: u16 = 28;
    /// Service locator (RFC 2782).
    pub const SRV: u16 = 33;
    /// EDNS(0) pseudo-record (RFC 6891).
    pub const OPT: u16 = 41;
    /// Service binding (RFC 9460).
    pub const SVCB: u16 = 64;
    /// HTTPS service binding (RFC 9460).
    pub const HTTPS: u16 = 65;
    /// Any type (query only).
    pub const ANY: u16 = 255;
}

/// Response codes (RFC 1035 §4.1.1), as [`DnsMessage::rcode`] carries them.
pub mod rcode {
    /// No error.
    pub const NOERROR: u16 = 0;
    /// Format error.
    pub const FORMERR: u16 = 1;
    /// Server failure.
    pub const SERVFAIL: u16 = 2;
    /// Name error: the domain does not exist.
    pub const NXDOMAIN: u16 = 3;
    /// Not implemented.
    pub const NOTIMP: u16 = 4;
    /// Refused.
    pub const REFUSED: u16 = 5;
}

/// Byte offsets: header offsets from the message start, question and record
/// offsets from the end of the owner name.
mod field {
    // RFC 1035 §4.1.1 header
    pub const ID: usize = 0;
    pub const FLAGS: usize = 2;
    pub const QDCOUNT: usize = 4;
    pub const ANCOUNT: usize = 6;
    pub const NSCOUNT: usize = 8;
    pub const ARCOUNT: usize = 10;
    pub const HEADER_LEN: usize = 12;
    // RFC 1035 §4.1.2 question, after QNAME
    pub const QTYPE: usize = 0;
    pub const QCLASS: usize = 2;
    pub const QUESTION_FIXED_LEN: usize = 4;
    // RFC 1035 §4.1.3 resource record, after NAME
    pub const TYPE: usize = 0;
    pub const TTL: usize = 4;
    pub const RDLENGTH: usize = 8;
    pub const RR_FIXED_LEN: usize = 10;
    // RFC 6891 §6.1.3: the OPT record's TTL field, high octet
    pub const OPT_EXTENDED_RCODE_SHIFT: u32 = 24;
    // RFC 1035 §4.2.2 TCP length prefix
    pub const TCP_LENGTH: usize = 0;
    pub const TCP_PREFIX_LEN: usize = 2;
}

/// Bits of the header's second 16-bit word.
mod flag {
    pub const QR: u16 = 0x8000;
    pub const OPCODE_SHIFT: u16 = 11;
    pub const OPCODE_MASK: u16 = 0x0f;
    pub const TC: u16 = 0x0200;
    pub const RCODE_MASK: u16 = 0x000f;
    // RFC 6891 §6.1.3: extended RCODE is the upper 8 bits above the 4 header bits
    pub const EXTENDED_RCODE_SHIFT: u16 = 4;
}

/// The two high bits of a label length octet (RFC 1035 §4.1.4, RFC 6891 §5).
mod label {
    pub const KIND_MASK: u8 = 0xc0;
    pub const NORMAL: u8 = 0x00;
    pub const POINTER: u8 = 0xc0;
    pub const LENGTH_MASK: u8 = 0x3f;
    /// The root label: a zero length octet.
    pub const ROOT: u8 = 0x00;
}

/// One parsed DNS message (header flags, questions, answers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsMessage {
    /// Transaction ID.
    pub id: u16,
    /// QR bit: a response, not a query.
    pub is_response: bool,
    /// OPCODE (4 bits): 0 query, 1 inverse query, 2 status, 4 notify, 5 update.
    pub opcode: u8,
    /// RCODE: the header's 4 bits, plus the OPT record's extended bits
    /// shifted left by 4 when an EDNS OPT record is present (RFC 6891 §6.1.3).
    pub rcode: u16,
    /// TC bit: the sender truncated the message.
    pub truncated_flag: bool,
    /// Question section, at most [`MAX_QUESTIONS`] entries.
    pub questions: Vec<Question>,
    /// Answer section, at most [`MAX_ANSWERS`] records.
    pub answers: Vec<Answer>,
    /// More than [`MAX_QUESTIONS`] questions or [`MAX_ANSWERS`] answers were
    /// announced; the extra entries were skipped, not kept.
    pub capped: bool,
    /// The first anomaly met after at least one entry was parsed: the
    /// message is kept with what came before it (see the module doc).
    pub anomaly: Option<&'static str>,
}

/// One entry of the question section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// QNAME in presentation form (escaping: see the `dissect::dns` doc).
    pub name: String,
    /// QTYPE ([`rtype`]).
    pub qtype: u16,
    /// QCLASS (1 = IN; mDNS sets the top bit for unicast responses).
    pub qclass: u16,
}

/// One record of the answer section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Owner name in presentation form.
    pub name: String,
    /// TYPE ([`rtype`]).
    pub rtype: u16,
    /// TTL in seconds, as on the wire.
    pub ttl: u32,
    /// The decoded RDATA.
    pub data: RData,
}

/// RDATA of the types this parser decodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    /// An A record's address.
    A(Ipv4Addr),
    /// An AAAA record's address.
    Aaaa(Ipv6Addr),
    /// A CNAME record's target, in presentation form.
    Cname(String),
    /// Any other type, empty RDATA, or a decoded type whose RDATA is
    /// malformed (then [`DnsMessage::anomaly`] says so).
    Other,
}

/// The header fields this parser reads (a view checked once at build).
struct Header {
    id: u16,
    flags: u16,
    qdcount: u16,
    ancount: u16,
    nscount: u16,
    arcount: u16,
}

impl Header {
    // RFC 1035 §4.1.1
    //                                 1  1  1  1  1  1
    //   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
    // +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
    // |                      ID                       |
    // +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
    // |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
    // +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
    // |                    QDCOUNT                    |
    // |                    ANCOUNT                    |
    // |                    NSCOUNT                    |
    // |                    ARCOUNT                    |
    // +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
    fn parse(msg: &[u8]) -> Option<Header> {
        Some(Header {
            id: be16(msg, field::ID)?,
            flags: be16(msg, field::FLAGS)?,
            qdcount: be16(msg, field::QDCOUNT)?,
            ancount: be16(msg, field::ANCOUNT)?,
            nscount: be16(msg, field::NSCOUNT)?,
            arcount: be16(msg, field::ARCOUNT)?,
        })
    }
}

/// The fixed part of a resource record, after its owner name.
struct RrFixed {
    rtype: u16,
    ttl: u32,
    rdata_start: usize,
    rdata_end: usize,
}

impl RrFixed {
    // RFC 1035 §4.1.3
    // | NAME (variable) | TYPE (16) | CLASS (16) | TTL (32) | RDLENGTH (16) |
    // | RDATA (RDLENGTH octets)                                              |
    fn parse(msg: &[u8], after_name: usize) -> Result<RrFixed, &'static str> {
        let (Some(rtype), Some(ttl), Some(rdlength)) = (
            be16(msg, after_name + field::TYPE),
            be32(msg, after_name + field::TTL),
            be16(msg, after_name + field::RDLENGTH),
        ) else {
            return Err(anomaly::TRUNCATED);
        };
        let rdata_start = after_name + field::RR_FIXED_LEN;
        let rdata_end = rdata_start + usize::from(rdlength);
        if rdata_end > msg.len() {
            return Err(anomaly::TRUNCATED);
        }
        Ok(RrFixed {
            rtype,
            ttl,
            rdata_start,
            rdata_end,
        })
    }
}

/// Parses one whole DNS message (a UDP payload). A datagram is complete, so
/// this never returns `Incomplete`: a cut is `dns.truncated`. When `Done`,
/// `consumed` is `buf.len()` (bytes after the last announced record are
/// ignored).
pub fn parse_message(buf: &[u8]) -> Parsed<DnsMessage> {
    let Some(header) = Header::parse(buf) else {
        return Parsed::Invalid(anomaly::TRUNCATED);
    };
    let mut value = DnsMessage {
        id: header.id,
        is_response: header.flags & flag::QR != 0,
        // The mask keeps 4 bits, so the cast cannot lose any.
        opcode: ((header.flags >> flag::OPCODE_SHIFT) & flag::OPCODE_MASK) as u8,
        rcode: header.flags & flag::RCODE_MASK,
        truncated_flag: header.flags & flag::TC != 0,
        // Room for the one question nearly every message asks, made at once
        // (growing from empty reserves four).
        questions: Vec::with_capacity(usize::from(header.qdcount.min(1))),
        answers: Vec::new(),
        capped: false,
        anomaly: None,
    };
    let mut entries_read = 0;
    if let Err(what) = read_sections(buf, &header, &mut value, &mut entries_read) {
        if entries_read == 0 {
            return Parsed::Invalid(what);
        }
        value.anomaly.get_or_insert(what);
    }
    Parsed::Done {
        value,
        consumed: buf.len(),
    }
}

// RFC 1035 §4.2.2 (and RFC 7766 §8): "The message is prefixed with a two
// byte length field which gives the message length, excluding the two byte
// length field."
/// Parses one DNS-over-TCP message from the front of `buf`: a 2-byte length,
/// then the message. `Incomplete { needed: Some(2 + len) }` until the whole
/// message is there (`needed: None` before the length is); then the message
/// is parsed as by [`parse_message`] and `consumed` is `2 + len`.
pub fn parse_tcp_message(buf: &[u8]) -> Parsed<DnsMessage> {
    match tcp_frame(buf) {
        Parsed::Done {
            value: msg,
            consumed,
        } => match parse_message(msg) {
            Parsed::Done { value, .. } => Parsed::Done { value, consumed },
            other => other,
        },
        Parsed::Incomplete { needed } => Parsed::Incomplete { needed },
        Parsed::Invalid(what) => Parsed::Invalid(what),
    }
}

/// The message at the front of a DNS-over-TCP stream, once all of it is
/// there; `consumed` counts its 2-byte length prefix.
pub fn tcp_frame(buf: &[u8]) -> Parsed<&[u8]> {
    let Some(len) = be16(buf, field::TCP_LENGTH) else {
        return Parsed::Incomplete { needed: None };
    };
    let total = field::TCP_PREFIX_LEN + usize::from(len);
    match buf.get(field::TCP_PREFIX_LEN..total) {
        Some(msg) => Parsed::Done {
            value: msg,
            consumed: total,
        },
        None => Parsed::Incomplete {
            needed: Some(total),
        },
    }
}

/// Whether [`parse_message`] gives `Done` with at least one question, or a
/// response: what the probe asks, answered without decoding any name. A
/// message is `Done` as soon as its first entry reads (later faults only set
/// its anomaly), so the header and the first entry decide, with the checks
/// [`parse_message`] makes on them.
pub fn claims(msg: &[u8]) -> bool {
    let Some(header) = Header::parse(msg) else {
        return false;
    };
    let pos = field::HEADER_LEN;
    if header.qdcount > 0 {
        // MAX_QUESTIONS >= 1: the first question is read, not skipped.
        return walk_name(msg, pos, None)
            .and_then(|after| question_fixed(msg, after))
            .is_ok();
    }
    if header.flags & flag::QR == 0 {
        return false;
    }
    if header.ancount > 0 {
        // The first answer: its owner name in full, then its fixed part.
        return walk_name(msg, pos, None).is_ok_and(|after| RrFixed::parse(msg, after).is_ok());
    }
    if header.nscount > 0 || header.arcount > 0 {
        return skip_record(msg, pos).is_ok();
    }
    true
}

/// Walks the four sections in order, filling `value`. `entries_read` counts
/// the questions and records fully read, kept or skipped, so the caller can
/// tell "nothing readable" from "stopped part-way".
fn read_sections(
    msg: &[u8],
    header: &Header,
    value: &mut DnsMessage,
    entries_read: &mut usize,
) -> Result<(), &'static str> {
    let mut pos = field::HEADER_LEN;

    for _ in 0..header.qdcount {
        pos = if value.questions.len() < MAX_QUESTIONS {
            let (question, next) = read_question(msg, pos)?;
            value.questions.push(question);
            next
        } else {
            value.capped = true;
            skip_question(msg, pos)?
        };
        *entries_read += 1;
    }

    for _ in 0..header.ancount {
        pos = if value.answers.len() < MAX_ANSWERS {
            let (answer, next, problem) = read_answer(msg, pos)?;
            value.answers.push(answer);
            if let Some(what) = problem {
                value.anomaly.get_or_insert(what);
            }
            next
        } else {
            value.capped = true;
            skip_record(msg, pos)?.rdata_end
        };
        *entries_read += 1;
    }

    for _ in 0..header.nscount {
        pos = skip_record(msg, pos)?.rdata_end;
        *entries_read += 1;
    }

    let mut opt_seen = false;
    for _ in 0..header.arcount {
        let owner_is_root = msg.get(pos) == Some(&label::ROOT);
        let rr = skip_record(msg, pos)?;
        // RFC 6891 §6.1.2-6.1.3: OPT has the root as owner; its TTL field is
        // | EXTENDED-RCODE (8) | VERSION (8) | DO | Z (15) |.
        // Only the first OPT counts (a second one is a FORMERR per §6.1.1).
        if rr.rtype == rtype::OPT && owner_is_root && !opt_seen {
            opt_seen = true;
            // The shift leaves 8 bits, so the cast cannot lose any.
            let extended = (rr.ttl >> field::OPT_EXTENDED_RCODE_SHIFT) as u16;
            value.rcode |= extended << flag::EXTENDED_RCODE_SHIFT;
        }
        pos = rr.rdata_end;
        *entries_read += 1;
    }
    Ok(())
}

// RFC 1035 §4.1.2
// | QNAME (variable) | QTYPE (16) | QCLASS (16) |
fn read_question(msg: &[u8], pos: usize) -> Result<(Question, usize), &'static str> {
    let (name, after_name) = read_name(msg, pos)?;
    let (qtype, qclass) = question_fixed(msg, after_name)?;
    let question = Question {
        name,
        qtype,
        qclass,
    };
    Ok((question, after_name + field::QUESTION_FIXED_LEN))
}

/// QTYPE and QCLASS, after a question's name.
fn question_fixed(msg: &[u8], after_name: usize) -> Result<(u16, u16), &'static str> {
    match (
        be16(msg, after_name + field::QTYPE),
        be16(msg, after_name + field::QCLASS),
    ) {
        (Some(qtype), Some(qclass)) => Ok((qtype, qclass)),
        _ => Err(anomaly::TRUNCATED),
    }
}

fn skip_question(msg: &[u8], pos: usize) -> Result<usize, &'static str> {
    let next = skip_name(msg, pos)? + field::QUESTION_FIXED_LEN;
    if next > msg.len() {
        return Err(anomaly::TRUNCATED);
    }
    Ok(next)
}

/// Reads one answer record: the answer, where the next record starts, and an
/// RDATA problem that does not break the framing (the RDLENGTH still says
/// where the next record is), reported with `RData::Other`.
fn read_answer(
    msg: &[u8],
    pos: usize,
) -> Result<(Answer, usize, Option<&'static str>), &'static str> {
    let (name, after_name) = read_name(msg, pos)?;
    let rr = RrFixed::parse(msg, after_name)?;
    let rdata = msg
        .get(rr.rdata_start..rr.rdata_end)
        .ok_or(anomaly::TRUNCATED)?;
    let (data, problem) = match rr.rtype {
        // Empty RDATA is legitimate for any type: RFC 2136 §2.5.2 (UPDATE,
        // delete an RRset) and the obsolete inverse queries (RFC 1035 §6.4.1,
        // seen in ndpi/dns_invert_query.pcapng).
        _ if rdata.is_empty() => (RData::Other, None),
        // RFC 1035 §3.4.1: ADDRESS, a 32 bit Internet address.
        rtype::A => match <[u8; 4]>::try_from(rdata) {
            Ok(octets) => (RData::A(Ipv4Addr::from(octets)), None),
            Err(_) => (RData::Other, Some(anomaly::BAD_RDATA)),
        },
        // RFC 3596 §2.2: a 128 bit IPv6 address in network byte order.
        rtype::AAAA => match <[u8; 16]>::try_from(rdata) {
            Ok(octets) => (RData::Aaaa(Ipv6Addr::from(octets)), None),
            Err(_) => (RData::Other, Some(anomaly::BAD_RDATA)),
        },
        // RFC 1035 §3.3.1: CNAME, a <domain-name>; it may use compression.
        rtype::CNAME => match read_name(msg, rr.rdata_start) {
            Ok((target, end)) if end <= rr.rdata_end => (RData::Cname(target), None),
            Ok(_) => (RData::Other, Some(anomaly::BAD_RDATA)),
            Err(what) => (RData::Other, Some(what)),
        },
        _ => (RData::Other, None),
    };
    let answer = Answer {
        name,
        rtype: rr.rtype,
        ttl: rr.ttl,
        data,
    };
    Ok((answer, rr.rdata_end, problem))
}

fn skip_record(msg: &[u8], pos: usize) -> Result<RrFixed, &'static str> {
    let after_name = skip_name(msg, pos)?;
    RrFixed::parse(msg, after_name)
}

// RFC 1035 §4.1.4 (message compression):
//     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//     | 1  1|                OFFSET                   |
//     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
// "a domain name in a message can be represented as either:
//  - a sequence of labels ending in a zero octet
//  - a pointer
//  - a sequence of labels ending with a pointer"
// The 01 and 10 prefixes are reserved (RFC 1035) or were the withdrawn
// extended label types (RFC 6891 §5): both are `dns.bad_label`.
/// Decodes the name at `start`, following compression pointers. Returns the
/// name in presentation form and the offset just after the name's in-place
/// part (its root octet or its first pointer).
///
/// Presentation form: labels joined by `.`, no trailing dot, the root alone
/// is `.`; case as on the wire; valid UTF-8 beyond ASCII is kept (IDN labels
/// stay readable, as tshark shows them); an ASCII octet outside 0x20..=0x7e,
/// a `.` or `\` inside a label, and octets that are not valid UTF-8 are
/// written `\DDD`, three decimal digits (RFC 1035 §5.1, RFC 4343 §2.1).
fn read_name(msg: &[u8], start: usize) -> Result<(String, usize), &'static str> {
    // Most names fit: one allocation, not one per doubling.
    let mut name = Vec::with_capacity(NAME_CAPACITY);
    let end = walk_name(msg, start, Some(&mut name))?;
    // Built from valid UTF-8 and ASCII escapes only, so the check passes; the
    // lossy copy is there so that no input can make it panic.
    let name = String::from_utf8(name)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Ok((name, end))
}

/// Walks the name at `start` as [`read_name`] does, with the same checks and
/// outcome, writing its presentation form to `out` when one is given (the
/// probe only needs to know the name reads).
fn walk_name(
    msg: &[u8],
    start: usize,
    mut out: Option<&mut Vec<u8>>,
) -> Result<usize, &'static str> {
    let mut pos = start;
    let mut in_place_end = None;
    let mut octets = 0;
    let mut targets = [0usize; MAX_POINTER_JUMPS];
    let mut jumps = 0;
    loop {
        let &len_octet = msg.get(pos).ok_or(anomaly::TRUNCATED)?;
        match len_octet & label::KIND_MASK {
            label::NORMAL => {
                let len = usize::from(len_octet);
                octets += 1 + len;
                if octets > MAX_NAME_OCTETS {
                    return Err(anomaly::NAME_TOO_LONG);
                }
                if len == 0 {
                    if let Some(name) = out.as_deref_mut().filter(|n| n.is_empty()) {
                        name.push(b'.');
                    }
                    return Ok(in_place_end.unwrap_or(pos + 1));
                }
                let text = msg.get(pos + 1..pos + 1 + len).ok_or(anomaly::TRUNCATED)?;
                if let Some(name) = out.as_deref_mut() {
                    if !name.is_empty() {
                        name.push(b'.');
                    }
                    push_escaped_label(name, text);
                }
                pos += 1 + len;
            }
            label::POINTER => {
                let &low = msg.get(pos + 1).ok_or(anomaly::TRUNCATED)?;
                let target = usize::from(len_octet & label::LENGTH_MASK) << 8 | usize::from(low);
                in_place_end.get_or_insert(pos + 2);
                if target >= msg.len() {
                    return Err(anomaly::BAD_POINTER);
                }
                let seen = targets.get(..jumps).unwrap_or(&[]);
                if seen.contains(&target) {
                    return Err(anomaly::LABEL_LOOP);
                }
                let Some(slot) = targets.get_mut(jumps) else {
                    return Err(anomaly::LABEL_LOOP);
                };
                *slot = target;
                jumps += 1;
                pos = target;
            }
            _ => return Err(anomaly::BAD_LABEL),
        }
    }
}

/// Finds the end of the name at `start` without following pointers: the
/// offset after its root octet or its first pointer. Checks the label kinds
/// and the in-place bytes only (used for entries that are not kept).
fn skip_name(msg: &[u8], start: usize) -> Result<usize, &'static str> {
    let mut pos = start;
    let mut octets = 0;
    loop {
        let &len_octet = msg.get(pos).ok_or(anomaly::TRUNCATED)?;
        match len_octet & label::KIND_MASK {
            label::NORMAL => {
                let len = usize::from(len_octet);
                octets += 1 + len;
                if octets > MAX_NAME_OCTETS {
                    return Err(anomaly::NAME_TOO_LONG);
                }
                let next = pos + 1 + len;
                if next > msg.len() {
                    return Err(anomaly::TRUNCATED);
                }
                if len == 0 {
                    return Ok(next);
                }
                pos = next;
            }
            label::POINTER => {
                if pos + 2 > msg.len() {
                    return Err(anomaly::TRUNCATED);
                }
                return Ok(pos + 2);
            }
            _ => return Err(anomaly::BAD_LABEL),
        }
    }
}

/// Bytes a decoded name is given up front (the presentation form of most
/// names is shorter; a longer one grows).
const NAME_CAPACITY: usize = 64;

/// Appends one label, escaping as [`read_name`] documents.
fn push_escaped_label(name: &mut Vec<u8>, text: &[u8]) {
    // The usual label, printable ASCII with no `.` or `\\`, goes in whole
    // (checked without an early exit, so that the check vectorises).
    let plain = |b: u8| (0x20..=0x7e).contains(&b) && b != b'.' && b != b'\\';
    if text.iter().fold(true, |ok, &b| ok & plain(b)) {
        name.extend_from_slice(text);
        return;
    }
    for chunk in text.utf8_chunks() {
        // Every octet to escape is ASCII: the octets of multi-byte
        // characters go through unchanged.
        for &octet in chunk.valid().as_bytes() {
            match octet {
                b'.' | b'\\' | 0x00..=0x1f | 0x7f => push_decimal_escape(name, octet),
                _ => name.push(octet),
            }
        }
        for &octet in chunk.invalid() {
            push_decimal_escape(name, octet);
        }
    }
}

fn push_decimal_escape(name: &mut Vec<u8>, octet: u8) {
    name.extend_from_slice(&[
        b'\\',
        b'0' + octet / 100,
        b'0' + octet / 10 % 10,
        b'0' + octet % 10,
    ]);
}

/// The mnemonic of a QTYPE/TYPE: "A", "AAAA", ..., else `TYPE<n>` (RFC 3597).
pub fn qtype_name(t: u16) -> Cow<'static, str> {
    Cow::Borrowed(match t {
        rtype::A => "A",
        rtype::AAAA => "AAAA",
        rtype::CNAME => "CNAME",
        rtype::MX => "MX",
        rtype::TXT => "TXT",
        rtype::PTR => "PTR",
        rtype::NS => "NS",
        rtype::SOA => "SOA",
        rtype::SRV => "SRV",
        rtype::HTTPS => "HTTPS",
        rtype::SVCB => "SVCB",
        rtype::ANY => "ANY",
        rtype::OPT => "OPT",
        other => return Cow::Owned(format!("TYPE{other}")),
    })
}

/// The mnemonic of an RCODE: "NOERROR", ..., "REFUSED", else `RCODE<n>`.
pub fn rcode_name(r: u16) -> Cow<'static, str> {
    Cow::Borrowed(match r {
        rcode::NOERROR => "NOERROR",
        rcode::FORMERR => "FORMERR",
        rcode::SERVFAIL => "SERVFAIL",
        rcode::NXDOMAIN => "NXDOMAIN",
        rcode::NOTIMP => "NOTIMP",
        rcode::REFUSED => "REFUSED",
        other => return Cow::Owned(format!("RCODE{other}")),
    })
}

/// A big-endian u16 at `at`, if the buffer holds it.
fn be16(buf: &[u8], at: usize) -> Option<u16> {
    buf.get(at..)?
        .first_chunk()
        .copied()
        .map(u16::from_be_bytes)
}

/// A big-endian u32 at `at`, if the buffer holds it.
fn be32(buf: &[u8], at: usize) -> Option<u32> {
    buf.get(at..)?
        .first_chunk()
        .copied()
        .map(u32::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- Real messages from the corpus (/work/shared/corpus) ----

    /// ndpi/dns.pcap frame 4: A query for e7.whatsapp.net.
    /// `tshark -r ndpi/dns.pcap -Y 'frame.number==4' -T fields -e udp.payload`
    const NDPI_QUERY_A: [u8; 33] = [
        0x78, 0x43, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x65, 0x37,
        0x08, 0x77, 0x68, 0x61, 0x74, 0x73, 0x61, 0x70, 0x70, 0x03, 0x6e, 0x65, 0x74, 0x00, 0x00,
        0x01, 0x00, 0x01,
    ];

    /// ndpi/dns.pcap frame 5: its response, 8 A records.
    /// `tshark -r ndpi/dns.pcap -Y 'frame.number==5' -T fields -e udp.payload`
    const NDPI_RESPONSE_8_A: [u8; 161] = [
        0x78, 0x43, 0x81, 0x80, 0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x02, 0x65, 0x37,
        0x08, 0x77, 0x68, 0x61, 0x74, 0x73, 0x61, 0x70, 0x70, 0x03, 0x6e, 0x65, 0x74, 0x00, 0x00,
        0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0xeb, 0x00, 0x04,
        0xa9, 0x2d, 0xdb, 0xeb, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0xeb, 0x00,
        0x04, 0xa9, 0x2f, 0x28, 0x8e, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0xeb,
        0x00, 0x04, 0xa9, 0x2d, 0xf8, 0x79, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01,
        0xeb, 0x00, 0x04, 0x6c, 0xa8, 0xb0, 0xea, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
        0x01, 0xeb, 0x00, 0x04, 0xa9, 0x2d, 0xf8, 0xbd, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00,
        0x00, 0x01, 0xeb, 0x00, 0x04, 0xa9, 0x2d, 0xf8, 0xb4, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01,
        0x00, 0x00, 0x01, 0xeb, 0x00, 0x04, 0xa9, 0x35, 0x51, 0x4f, 0xc0, 0x0c, 0x00, 0x01, 0x00,
        0x01, 0x00, 0x00, 0x01, 0xeb, 0x00, 0x04, 0xa9, 0x2d, 0xdb, 0xe8,
    ];

    /// ndpi/dns.pcap frame 1: AAAA response for www.l.google.com, no answer.
    /// `tshark -r ndpi/dns.pcap -Y 'frame.number==1' -T fields -e udp.payload`
    const NDPI_RESPONSE_NO_ANSWER: [u8; 34] = [
        0xdc, 0xa2, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x77, 0x77,
        0x77, 0x01, 0x6c, 0x06, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00,
        0x00, 0x1c, 0x00, 0x01,
    ];

    /// tcpdump/dns_udp.pcap frame 1: A query for www.tcpdump.org with an OPT record.
    /// `tshark -r tcpdump/dns_udp.pcap -Y 'frame.number==1' -T fields -e udp.payload`
    const TCPDUMP_UDP_QUERY: [u8; 56] = [
        0x59, 0x34, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x77, 0x77,
        0x77, 0x07, 0x74, 0x63, 0x70, 0x64, 0x75, 0x6d, 0x70, 0x03, 0x6f, 0x72, 0x67, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00,
        0x0a, 0x00, 0x08, 0x42, 0xf5, 0xd0, 0x09, 0x96, 0xf9, 0x0b, 0x13,
    ];

    /// tcpdump/dns_udp.pcap frame 2: 2 A answers, 2 NS authority, 5 additional (A, AAAA, OPT).
    /// `tshark -r tcpdump/dns_udp.pcap -Y 'frame.number==2' -T fields -e udp.payload`
    const TCPDUMP_UDP_RESPONSE: [u8; 224] = [
        0x59, 0x34, 0x85, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x05, 0x03, 0x77, 0x77,
        0x77, 0x07, 0x74, 0x63, 0x70, 0x64, 0x75, 0x6d, 0x70, 0x03, 0x6f, 0x72, 0x67, 0x00, 0x00,
        0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04,
        0xc0, 0x8b, 0x2e, 0x42, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00,
        0x04, 0xc6, 0xc7, 0x58, 0x68, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80,
        0x00, 0x12, 0x03, 0x73, 0x6e, 0x73, 0x08, 0x63, 0x6f, 0x6f, 0x70, 0x65, 0x72, 0x69, 0x78,
        0x03, 0x6e, 0x65, 0x74, 0x00, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80,
        0x00, 0x12, 0x03, 0x6e, 0x69, 0x63, 0x09, 0x73, 0x61, 0x6e, 0x64, 0x65, 0x6c, 0x6d, 0x61,
        0x6e, 0x02, 0x63, 0x61, 0x00, 0xc0, 0x6b, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c,
        0x00, 0x04, 0xd1, 0x57, 0xf9, 0x12, 0xc0, 0x6b, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x01,
        0x2c, 0x00, 0x10, 0x26, 0x07, 0xf0, 0xb0, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xba, 0xbe, 0xf0, 0x0d, 0xc0, 0x4d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x1c, 0x20, 0x00,
        0x04, 0x61, 0x6b, 0x85, 0x0f, 0xc0, 0x4d, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x1c, 0x20,
        0x00, 0x10, 0x26, 0x00, 0x3c, 0x03, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3c, 0x91, 0xff, 0xfe,
        0x96, 0xe8, 0xef, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// tcpdump/dns_tcp.pcap frame 4: TCP payload, length prefix 0x0038 then the query.
    /// `tshark -r tcpdump/dns_tcp.pcap -Y 'frame.number==4' -T fields -e tcp.payload`
    const TCPDUMP_TCP_QUERY: [u8; 58] = [
        0x00, 0x38, 0x43, 0x19, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
        0x77, 0x77, 0x77, 0x07, 0x74, 0x63, 0x70, 0x64, 0x75, 0x6d, 0x70, 0x03, 0x6f, 0x72, 0x67,
        0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x0c, 0x00, 0x0a, 0x00, 0x08, 0x8f, 0x06, 0xbe, 0x7d, 0x69, 0x14, 0x42, 0xf0,
    ];

    /// tcpdump/dns_tcp.pcap frame 6: TCP payload, length prefix 0x00e0 then the response.
    /// `tshark -r tcpdump/dns_tcp.pcap -Y 'frame.number==6' -T fields -e tcp.payload`
    const TCPDUMP_TCP_RESPONSE: [u8; 226] = [
        0x00, 0xe0, 0x43, 0x19, 0x85, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x05, 0x03,
        0x77, 0x77, 0x77, 0x07, 0x74, 0x63, 0x70, 0x64, 0x75, 0x6d, 0x70, 0x03, 0x6f, 0x72, 0x67,
        0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c,
        0x00, 0x04, 0xc0, 0x8b, 0x2e, 0x42, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x3c, 0x00, 0x04, 0xc6, 0xc7, 0x58, 0x68, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x01,
        0x51, 0x80, 0x00, 0x12, 0x03, 0x6e, 0x69, 0x63, 0x09, 0x73, 0x61, 0x6e, 0x64, 0x65, 0x6c,
        0x6d, 0x61, 0x6e, 0x02, 0x63, 0x61, 0x00, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x01,
        0x51, 0x80, 0x00, 0x12, 0x03, 0x73, 0x6e, 0x73, 0x08, 0x63, 0x6f, 0x6f, 0x70, 0x65, 0x72,
        0x69, 0x78, 0x03, 0x6e, 0x65, 0x74, 0x00, 0xc0, 0x4d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
        0x01, 0x2c, 0x00, 0x04, 0xd1, 0x57, 0xf9, 0x12, 0xc0, 0x4d, 0x00, 0x1c, 0x00, 0x01, 0x00,
        0x00, 0x01, 0x2c, 0x00, 0x10, 0x26, 0x07, 0xf0, 0xb0, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0xba, 0xbe, 0xf0, 0x0d, 0xc0, 0x6b, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x1c,
        0x20, 0x00, 0x04, 0x61, 0x6b, 0x85, 0x0f, 0xc0, 0x6b, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00,
        0x1c, 0x20, 0x00, 0x10, 0x26, 0x00, 0x3c, 0x03, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3c, 0x91,
        0xff, 0xfe, 0x96, 0xe8, 0xef, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00,
    ];

    /// ndpi/teams.pcap frame 720: AAAA response, CNAME then AAAA.
    /// `tshark -r ndpi/teams.pcap -Y 'frame.number==720' -T fields -e udp.payload`
    const TEAMS_CNAME_AAAA: [u8; 131] = [
        0xf4, 0x01, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x74, 0x72,
        0x6f, 0x75, 0x74, 0x65, 0x72, 0x32, 0x2d, 0x61, 0x73, 0x73, 0x65, 0x2d, 0x61, 0x07, 0x74,
        0x72, 0x6f, 0x75, 0x74, 0x65, 0x72, 0x05, 0x74, 0x65, 0x61, 0x6d, 0x73, 0x09, 0x6d, 0x69,
        0x63, 0x72, 0x6f, 0x73, 0x6f, 0x66, 0x74, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x1c, 0x00,
        0x01, 0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0d, 0x8b, 0x00, 0x1e, 0x0f, 0x74,
        0x72, 0x6f, 0x75, 0x74, 0x65, 0x72, 0x32, 0x2d, 0x61, 0x73, 0x73, 0x65, 0x2d, 0x61, 0x08,
        0x63, 0x6c, 0x6f, 0x75, 0x64, 0x61, 0x70, 0x70, 0x03, 0x6e, 0x65, 0x74, 0x00, 0xc0, 0x49,
        0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x10, 0x2a, 0x01, 0x01, 0x11, 0xf1,
        0x00, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6f, 0xdd, 0x54, 0xa1,
    ];

    /// ndpi/viber.pcap frame 3: CNAME -> CNAME -> A, 2 NS authority, 2 A additional.
    /// `tshark -r ndpi/viber.pcap -Y 'frame.number==3' -T fields -e udp.payload`
    const VIBER_CNAME_CHAIN: [u8; 161] = [
        0xe1, 0x83, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x02, 0x00, 0x02, 0x05, 0x67, 0x72,
        0x61, 0x70, 0x68, 0x08, 0x66, 0x61, 0x63, 0x65, 0x62, 0x6f, 0x6f, 0x6b, 0x03, 0x63, 0x6f,
        0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0a,
        0xfd, 0x00, 0x06, 0x03, 0x61, 0x70, 0x69, 0xc0, 0x12, 0xc0, 0x30, 0x00, 0x05, 0x00, 0x01,
        0x00, 0x00, 0x03, 0x70, 0x00, 0x0c, 0x04, 0x73, 0x74, 0x61, 0x72, 0x04, 0x63, 0x31, 0x30,
        0x72, 0xc0, 0x12, 0xc0, 0x42, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x22, 0x00, 0x04,
        0x1f, 0x0d, 0x56, 0x08, 0xc0, 0x47, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0a, 0x15, 0x00,
        0x07, 0x01, 0x62, 0x02, 0x6e, 0x73, 0xc0, 0x47, 0xc0, 0x47, 0x00, 0x02, 0x00, 0x01, 0x00,
        0x00, 0x0a, 0x15, 0x00, 0x04, 0x01, 0x61, 0xc0, 0x6c, 0xc0, 0x7d, 0x00, 0x01, 0x00, 0x01,
        0x00, 0x00, 0x0a, 0x15, 0x00, 0x04, 0x45, 0xab, 0xef, 0x0b, 0xc0, 0x6a, 0x00, 0x01, 0x00,
        0x01, 0x00, 0x00, 0x0a, 0x15, 0x00, 0x04, 0x45, 0xab, 0xff, 0x0b,
    ];

    /// ndpi/mullvad_dns.pcap frame 2: CNAME then A, AD bit, OPT record.
    /// `tshark -r ndpi/mullvad_dns.pcap -Y 'frame.number==2' -T fields -e udp.payload`
    const MULLVAD_CNAME_A_OPT: [u8; 74] = [
        0x59, 0x86, 0x81, 0xa0, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x03, 0x77, 0x77,
        0x77, 0x07, 0x6d, 0x75, 0x6c, 0x6c, 0x76, 0x61, 0x64, 0x03, 0x6e, 0x65, 0x74, 0x00, 0x00,
        0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x06, 0xd7, 0x00, 0x02,
        0xc0, 0x10, 0xc0, 0x10, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x04, 0x2d,
        0x53, 0xdf, 0xd1, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// tcpdump/dns-badvers.pcap frame 2: header RCODE 0, OPT extended RCODE 1 (BADVERS = 16).
    /// `tshark -r tcpdump/dns-badvers.pcap -Y 'frame.number==2' -T fields -e udp.payload`
    const BADVERS_RESPONSE: [u8; 28] = [
        0x8f, 0xb3, 0x81, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x10,
        0x00, 0x01, 0x00, 0x00, 0x29, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// tcpdump/dns-badcookie.pcap frame 2: header RCODE 7, OPT extended RCODE 1 (BADCOOKIE = 23).
    /// `tshark -r tcpdump/dns-badcookie.pcap -Y 'frame.number==2' -T fields -e udp.payload`
    const BADCOOKIE_RESPONSE: [u8; 56] = [
        0xf6, 0xab, 0x81, 0x87, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x06,
        0x00, 0x01, 0x00, 0x00, 0x29, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x0a,
        0x00, 0x18, 0x36, 0xbf, 0x11, 0x1f, 0xef, 0x2e, 0x01, 0x09, 0x7d, 0x8f, 0xfe, 0x06, 0x5c,
        0x63, 0x6f, 0xfb, 0x14, 0x2d, 0x76, 0x74, 0x94, 0x40, 0x7a, 0x73,
    ];

    /// ndpi/dns-invalid-chars.pcap frame 1: query name with octets 4, 5, 6.
    /// `tshark -r ndpi/dns-invalid-chars.pcap -Y 'frame.number==1' -T fields -e udp.payload`
    const INVALID_CHARS_QUERY: [u8; 48] = [
        0x9f, 0x6c, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x77, 0x77,
        0x77, 0x17, 0x61, 0x6c, 0x6c, 0x79, 0x6f, 0x75, 0x72, 0x62, 0x61, 0x04, 0x05, 0x06, 0x61,
        0x72, 0x65, 0x62, 0x65, 0x6c, 0x6f, 0x6e, 0x67, 0x74, 0x6f, 0x02, 0x63, 0x6e, 0x00, 0x00,
        0x01, 0x00, 0x01,
    ];

    /// ndpi/dns-invalid-chars.pcap frame 2: response with octets 1, 2, 3 in the name.
    /// `tshark -r ndpi/dns-invalid-chars.pcap -Y 'frame.number==2' -T fields -e udp.payload`
    const INVALID_CHARS_RESPONSE: [u8; 64] = [
        0x9f, 0x6c, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x77, 0x77,
        0x77, 0x17, 0x61, 0x6c, 0x6c, 0x79, 0x6f, 0x75, 0x72, 0x62, 0x61, 0x73, 0x65, 0x73, 0x61,
        0x72, 0x65, 0x01, 0x02, 0x03, 0x6f, 0x6e, 0x67, 0x74, 0x6f, 0x02, 0x63, 0x6e, 0x00, 0x00,
        0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04,
        0x13, 0xb9, 0x8d, 0xf1,
    ];

    /// ndpi/dns_invert_query.pcapng frame 1: inverse query (opcode 1), no
    /// question, one A answer with empty RDATA.
    /// `tshark -r ndpi/dns_invert_query.pcapng -Y 'frame.number==1' -T fields -e udp.payload`
    const INVERSE_QUERY_EMPTY_A: [u8; 36] = [
        0x77, 0xfc, 0x09, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, //
        0x03, 0x32, 0x31, 0x36, 0x02, 0x35, 0x38, 0x03, 0x32, 0x30, 0x32, 0x01, //
        0x34, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// Every real message above, as a UDP payload (TCP ones without prefix).
    fn corpus_udp() -> Vec<&'static [u8]> {
        vec![
            &NDPI_QUERY_A,
            &NDPI_RESPONSE_8_A,
            &NDPI_RESPONSE_NO_ANSWER,
            &TCPDUMP_UDP_QUERY,
            &TCPDUMP_UDP_RESPONSE,
            &TCPDUMP_TCP_QUERY[2..],
            &TCPDUMP_TCP_RESPONSE[2..],
            &TEAMS_CNAME_AAAA,
            &VIBER_CNAME_CHAIN,
            &MULLVAD_CNAME_A_OPT,
            &BADVERS_RESPONSE,
            &BADCOOKIE_RESPONSE,
            &INVALID_CHARS_QUERY,
            &INVALID_CHARS_RESPONSE,
            &INVERSE_QUERY_EMPTY_A,
        ]
    }

    fn done(parsed: Parsed<DnsMessage>) -> (DnsMessage, usize) {
        match parsed {
            Parsed::Done { value, consumed } => (value, consumed),
            other => panic!("expected Done, got {other:?}"),
        }
    }

    fn question(name: &str, qtype: u16) -> Question {
        Question {
            name: name.to_string(),
            qtype,
            qclass: 1,
        }
    }

    fn answer(name: &str, rtype: u16, ttl: u32, data: RData) -> Answer {
        Answer {
            name: name.to_string(),
            rtype,
            ttl,
            data,
        }
    }

    fn a(text: &str) -> RData {
        RData::A(text.parse().expect("test address"))
    }

    fn aaaa(text: &str) -> RData {
        RData::Aaaa(text.parse().expect("test address"))
    }

    fn cname(text: &str) -> RData {
        RData::Cname(text.to_string())
    }

    // tshark: 0x7843 flags 0x0100, e7.whatsapp.net type 1
    /// What the probe asked before `claims`: a full parse.
    fn claimed_by_parse(msg: &[u8]) -> bool {
        matches!(parse_message(msg), Parsed::Done { value, .. }
            if !value.questions.is_empty() || value.is_response)
    }

    #[test]
    fn claims_agrees_with_a_full_parse_on_the_corpus_cut_and_mangled() {
        let mut checked = 0;
        let mut claimed = 0;
        let mut check = |m: &[u8]| {
            assert_eq!(claims(m), claimed_by_parse(m), "{m:02x?}");
            checked += 1;
            claimed += usize::from(claims(m));
        };
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for msg in corpus_udp() {
            for cut in 0..=msg.len() {
                check(&msg[..cut]);
            }
            // Each octet set to values that break lengths, pointers and flags.
            for at in 0..msg.len() {
                for v in [0x00, 0x01, 0x3f, 0x40, 0x80, 0xc0, 0xc1, 0xff] {
                    let mut m = msg.to_vec();
                    m[at] = v;
                    check(&m);
                }
            }
            for _ in 0..2_000 {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                let mut m = msg.to_vec();
                let at = (x as usize) % m.len();
                m[at] = (x >> 32) as u8;
                m.truncate(((x >> 40) as usize) % (m.len() + 1));
                check(&m);
            }
        }
        assert!(
            checked > 40_000 && claimed > checked / 4,
            "{claimed} of {checked}"
        );
    }

    #[test]
    fn ndpi_a_query_matches_tshark() {
        let (m, consumed) = done(parse_message(&NDPI_QUERY_A));
        assert_eq!(consumed, NDPI_QUERY_A.len());
        assert_eq!(m.id, 0x7843);
        assert!(!m.is_response);
        assert_eq!(m.opcode, 0);
        assert_eq!(m.rcode, 0);
        assert!(!m.truncated_flag);
        assert_eq!(m.questions, vec![question("e7.whatsapp.net", rtype::A)]);
        assert!(m.answers.is_empty());
        assert!(!m.capped);
        assert_eq!(m.anomaly, None);
    }

    // tshark: dns.a = 169.45.219.235,...,169.45.219.232, every TTL 491
    #[test]
    fn ndpi_a_response_has_eight_addresses_in_order() {
        let (m, consumed) = done(parse_message(&NDPI_RESPONSE_8_A));
        assert_eq!(consumed, NDPI_RESPONSE_8_A.len());
        assert_eq!(m.id, 0x7843);
        assert!(m.is_response);
        assert_eq!(m.questions, vec![question("e7.whatsapp.net", rtype::A)]);
        let addresses = [
            "169.45.219.235",
            "169.47.40.142",
            "169.45.248.121",
            "108.168.176.234",
            "169.45.248.189",
            "169.45.248.180",
            "169.53.81.79",
            "169.45.219.232",
        ];
        let expected: Vec<Answer> = addresses
            .iter()
            .map(|ip| answer("e7.whatsapp.net", rtype::A, 491, a(ip)))
            .collect();
        assert_eq!(m.answers, expected);
        assert_eq!(m.anomaly, None);
    }

    // tshark: 0xdca2 flags 0x8180, www.l.google.com type 28, no answer RR
    #[test]
    fn ndpi_aaaa_response_without_answers_keeps_question() {
        let (m, _) = done(parse_message(&NDPI_RESPONSE_NO_ANSWER));
        assert_eq!(m.id, 0xdca2);
        assert!(m.is_response);
        assert_eq!(m.questions, vec![question("www.l.google.com", rtype::AAAA)]);
        assert!(m.answers.is_empty());
        assert_eq!(m.anomaly, None);
    }

    // tshark: 0x5934 flags 0x0120, www.tcpdump.org type 1, OPT additional
    #[test]
    fn tcpdump_udp_query_with_opt_has_rcode_zero() {
        let (m, consumed) = done(parse_message(&TCPDUMP_UDP_QUERY));
        assert_eq!(consumed, TCPDUMP_UDP_QUERY.len());
        assert_eq!(m.id, 0x5934);
        assert!(!m.is_response);
        assert_eq!(m.rcode, 0);
        assert_eq!(m.questions, vec![question("www.tcpdump.org", rtype::A)]);
        assert_eq!(m.anomaly, None);
    }

    // tshark: flags 0x8500 (AA), answers 192.139.46.66 and 198.199.88.104 TTL
    // 60; the 2 NS and 5 additional records are walked but not kept.
    #[test]
    fn tcpdump_udp_response_keeps_answers_and_skips_other_sections() {
        let (m, consumed) = done(parse_message(&TCPDUMP_UDP_RESPONSE));
        assert_eq!(consumed, TCPDUMP_UDP_RESPONSE.len());
        assert_eq!(m.id, 0x5934);
        assert!(m.is_response);
        assert_eq!(m.opcode, 0);
        assert_eq!(m.rcode, 0);
        assert_eq!(
            m.answers,
            vec![
                answer("www.tcpdump.org", rtype::A, 60, a("192.139.46.66")),
                answer("www.tcpdump.org", rtype::A, 60, a("198.199.88.104")),
            ]
        );
        assert_eq!(m.anomaly, None);
    }

    // tshark: dns.length 56 and 224, same names and addresses as over UDP
    #[test]
    fn tcpdump_tcp_messages_consume_prefix_and_body() {
        let (query, consumed) = done(parse_tcp_message(&TCPDUMP_TCP_QUERY));
        assert_eq!(consumed, 2 + 56);
        assert_eq!(query.id, 0x4319);
        assert!(!query.is_response);
        assert_eq!(query.questions, vec![question("www.tcpdump.org", rtype::A)]);

        let (response, consumed) = done(parse_tcp_message(&TCPDUMP_TCP_RESPONSE));
        assert_eq!(consumed, 2 + 224);
        assert_eq!(response.id, 0x4319);
        assert!(response.is_response);
        assert_eq!(response.questions, query.questions);
        assert_eq!(response.answers.len(), 2);
        assert_eq!(
            response.answers.get(1).map(|a| &a.data),
            Some(&a("198.199.88.104"))
        );
        assert_eq!(response.anomaly, None);
    }

    #[test]
    fn tcp_two_messages_back_to_back_are_read_one_at_a_time() {
        let mut stream = TCPDUMP_TCP_QUERY.to_vec();
        stream.extend_from_slice(&TCPDUMP_TCP_RESPONSE);
        let (first, consumed) = done(parse_tcp_message(&stream));
        assert!(!first.is_response);
        assert_eq!(consumed, TCPDUMP_TCP_QUERY.len());
        let rest = stream.get(consumed..).expect("rest");
        let (second, consumed) = done(parse_tcp_message(rest));
        assert!(second.is_response);
        assert_eq!(consumed, TCPDUMP_TCP_RESPONSE.len());
    }

    #[test]
    fn tcp_every_cut_is_incomplete_with_the_total_needed() {
        for message in [&TCPDUMP_TCP_QUERY[..], &TCPDUMP_TCP_RESPONSE[..]] {
            for cut in 0..message.len() {
                let expected = if cut < 2 {
                    Parsed::Incomplete { needed: None }
                } else {
                    Parsed::Incomplete {
                        needed: Some(message.len()),
                    }
                };
                assert_eq!(parse_tcp_message(&message[..cut]), expected, "cut {cut}");
            }
        }
    }

    // tshark: cname trouter2-asse-a.cloudapp.net (TTL 3467), then
    // aaaa 2a01:111:f100:7000::6fdd:54a1 (TTL 5)
    #[test]
    fn teams_cname_then_aaaa() {
        let (m, _) = done(parse_message(&TEAMS_CNAME_AAAA));
        assert_eq!(m.id, 0xf401);
        let owner = "trouter2-asse-a.trouter.teams.microsoft.com";
        assert_eq!(m.questions, vec![question(owner, rtype::AAAA)]);
        assert_eq!(
            m.answers,
            vec![
                answer(
                    owner,
                    rtype::CNAME,
                    3467,
                    cname("trouter2-asse-a.cloudapp.net")
                ),
                answer(
                    "trouter2-asse-a.cloudapp.net",
                    rtype::AAAA,
                    5,
                    aaaa("2a01:111:f100:7000::6fdd:54a1")
                ),
            ]
        );
        assert_eq!(m.anomaly, None);
    }

    // tshark: graph.facebook.com -> api.facebook.com -> star.c10r.facebook.com
    // -> 31.13.86.8, TTLs 2813, 880, 34
    #[test]
    fn viber_cname_chain_follows_compressed_targets() {
        let (m, _) = done(parse_message(&VIBER_CNAME_CHAIN));
        assert_eq!(m.id, 0xe183);
        assert_eq!(m.questions, vec![question("graph.facebook.com", rtype::A)]);
        assert_eq!(
            m.answers,
            vec![
                answer(
                    "graph.facebook.com",
                    rtype::CNAME,
                    2813,
                    cname("api.facebook.com")
                ),
                answer(
                    "api.facebook.com",
                    rtype::CNAME,
                    880,
                    cname("star.c10r.facebook.com")
                ),
                answer("star.c10r.facebook.com", rtype::A, 34, a("31.13.86.8")),
            ]
        );
        assert_eq!(m.anomaly, None);
    }

    // tshark: flags 0x81a0, cname mullvad.net, a 45.83.223.209, OPT with
    // extended RCODE 0
    #[test]
    fn mullvad_cname_a_with_opt_keeps_rcode_noerror() {
        let (m, _) = done(parse_message(&MULLVAD_CNAME_A_OPT));
        assert_eq!(m.id, 0x5986);
        assert_eq!(m.rcode, rcode::NOERROR);
        assert_eq!(
            m.answers,
            vec![
                answer("www.mullvad.net", rtype::CNAME, 1751, cname("mullvad.net")),
                answer("mullvad.net", rtype::A, 11, a("45.83.223.209")),
            ]
        );
        assert_eq!(m.anomaly, None);
    }

    // tshark: dns.flags.rcode 0 and dns.resp.ext_rcode 0x01 -> 16 (BADVERS);
    // dns.flags.rcode 7 and ext_rcode 0x01 -> 23 (BADCOOKIE). Both ask for
    // the root (tshark "<Root>").
    #[test]
    fn opt_extended_rcode_is_folded_into_rcode() {
        let (badvers, _) = done(parse_message(&BADVERS_RESPONSE));
        assert_eq!(badvers.rcode, 16);
        assert_eq!(rcode_name(badvers.rcode), "RCODE16");
        assert_eq!(badvers.questions, vec![question(".", rtype::TXT)]);

        let (badcookie, _) = done(parse_message(&BADCOOKIE_RESPONSE));
        assert_eq!(badcookie.rcode, 23);
        assert_eq!(badcookie.questions, vec![question(".", rtype::SOA)]);
    }

    // tshark: www.allyourba\004\005\006arebelongto.cn and
    // www.allyourbasesare\001\002\003ongto.cn (octal = decimal below 8)
    #[test]
    fn control_octets_in_names_are_escaped_like_tshark_below_eight() {
        let (query, _) = done(parse_message(&INVALID_CHARS_QUERY));
        assert_eq!(
            query.questions,
            vec![question(
                "www.allyourba\\004\\005\\006arebelongto.cn",
                rtype::A
            )]
        );
        let (response, _) = done(parse_message(&INVALID_CHARS_RESPONSE));
        let name = "www.allyourbasesare\\001\\002\\003ongto.cn";
        assert_eq!(response.questions, vec![question(name, rtype::A)]);
        assert_eq!(
            response.answers,
            vec![answer(name, rtype::A, 60, a("19.185.141.241"))]
        );
    }

    // tshark: "Inverse query", Questions: 0, answer 216.58.202.4 type A,
    // Data length: 0, no expert info. It was first reported as bad_rdata.
    #[test]
    fn inverse_query_with_empty_a_rdata_is_clean() {
        let (m, _) = done(parse_message(&INVERSE_QUERY_EMPTY_A));
        assert_eq!(m.id, 0x77fc);
        assert_eq!(m.opcode, 1);
        assert!(m.questions.is_empty());
        assert_eq!(
            m.answers,
            vec![answer("216.58.202.4", rtype::A, 0, RData::Other)]
        );
        assert_eq!(m.anomaly, None);
    }

    // ---- Handmade messages ----

    /// Header: ID 0x1234, RD, QDCOUNT 1, no records.
    const HEADER_ONE_QUESTION: [u8; 12] = [
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// Handmade: one question whose labels hold "a.b", "c\d", "e f", 0x7f,
    /// 0xc8, "é" in UTF-8 and "Mixed" (the capture made with text2pcap for
    /// the tshark comparison in the module doc held the same octets).
    const SPECIAL_OCTETS_QUERY: [u8; 44] = [
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        0x03, b'a', b'.', b'b', //
        0x03, b'c', b'\\', b'd', //
        0x03, b'e', b' ', b'f', //
        0x03, b'g', 0x7f, 0xc8, //
        0x02, 0xc3, 0xa9, //
        0x05, b'M', b'i', b'x', b'e', b'd', //
        0x00, 0x00, 0x01, 0x00, 0x01, //
        0x00, 0x00, // trailing octets after the announced entries are ignored
    ];

    #[test]
    fn dot_backslash_control_and_invalid_utf8_are_escaped_and_utf8_is_kept() {
        let (m, consumed) = done(parse_message(&SPECIAL_OCTETS_QUERY));
        assert_eq!(consumed, SPECIAL_OCTETS_QUERY.len());
        assert_eq!(
            m.questions,
            vec![question(
                "a\\046b.c\\092d.e f.g\\127\\200.é.Mixed",
                rtype::A
            )]
        );
        assert_eq!(m.anomaly, None);
    }

    /// Handmade: a response with the question "a" (offsets 12..19), then
    /// `answers` from offset 19; ANCOUNT is `ancount`.
    fn with_answers(ancount: u16, answers: &[u8]) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0x00, 0x01];
        m.extend_from_slice(&ancount.to_be_bytes());
        m.extend_from_slice(&[0, 0, 0, 0, 0x01, b'a', 0x00, 0x00, 0x01, 0x00, 0x01]);
        m.extend_from_slice(answers);
        m
    }

    /// An A record owned by "a" (pointer to offset 12), TTL 1, 10.0.0.`n`.
    fn a_record(n: u8) -> [u8; 16] {
        [
            0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x04, 10, 0, 0, n,
        ]
    }

    /// A question whose name is a chain of `jumps` pointers ending on "a".
    fn pointer_chain(jumps: usize) -> Vec<u8> {
        let mut m = HEADER_ONE_QUESTION.to_vec();
        // question name: first pointer, to the chain after the fixed part
        let first_link = 18;
        m.extend_from_slice(&[0xc0, first_link, 0x00, 0x01, 0x00, 0x01]);
        for link in 1..jumps {
            let next = (first_link as usize + 2 * (link)) as u8;
            m.extend_from_slice(&[0xc0, next]);
        }
        m.extend_from_slice(&[0x01, b'a', 0x00]);
        m
    }

    /// A question whose name is labels of the given lengths ('x'...).
    fn long_name(label_lengths: &[usize]) -> Vec<u8> {
        let mut m = HEADER_ONE_QUESTION.to_vec();
        for &len in label_lengths {
            m.push(len as u8);
            m.extend(std::iter::repeat_n(b'x', len));
        }
        m.extend_from_slice(&[0x00, 0x00, 0x01, 0x00, 0x01]);
        m
    }

    #[test]
    fn name_of_255_octets_is_accepted_and_256_is_name_too_long() {
        // 3 * (1 + 63) + (1 + 61) + 1 root = 255
        let (m, _) = done(parse_message(&long_name(&[63, 63, 63, 61])));
        let name_len = m.questions.first().map(|q| q.name.len());
        assert_eq!(name_len, Some(63 * 3 + 61 + 3));
        assert_eq!(
            parse_message(&long_name(&[63, 63, 63, 62])),
            Parsed::Invalid("dns.name_too_long")
        );
    }

    #[test]
    fn thirty_two_pointer_jumps_are_accepted_and_thirty_three_are_label_loop() {
        let (m, _) = done(parse_message(&pointer_chain(MAX_POINTER_JUMPS)));
        assert_eq!(m.questions, vec![question("a", rtype::A)]);
        assert_eq!(
            parse_message(&pointer_chain(MAX_POINTER_JUMPS + 1)),
            Parsed::Invalid("dns.label_loop")
        );
    }

    #[test]
    fn compressed_name_over_255_is_name_too_long() {
        // The question name is a pointer to a chain of four 63-octet labels,
        // each followed by a pointer to the next: no loop, but 4 * 64 + 1
        // octets once expanded.
        let mut m = HEADER_ONE_QUESTION.to_vec();
        // offset 12: question name = pointer to 18, then QTYPE/QCLASS
        m.extend_from_slice(&[0xc0, 18, 0x00, 0x01, 0x00, 0x01]);
        for link in 1..=4 {
            let next: usize = 18 + 66 * link;
            m.push(63);
            m.extend(std::iter::repeat_n(b'y', 63));
            m.extend_from_slice(&[0xc0 | (next >> 8) as u8, next as u8]);
        }
        m.push(0x00);
        assert_eq!(parse_message(&m), Parsed::Invalid("dns.name_too_long"));
    }

    #[test]
    fn more_than_64_questions_are_capped_not_rejected() {
        let mut m = vec![0x12, 0x34, 0x01, 0x00, 0x00, 70, 0, 0, 0, 0, 0, 0];
        for _ in 0..70 {
            m.extend_from_slice(&[0x01, b'q', 0x00, 0x00, 0x01, 0x00, 0x01]);
        }
        let (parsed, _) = done(parse_message(&m));
        assert_eq!(parsed.questions.len(), MAX_QUESTIONS);
        assert!(parsed.capped);
        assert_eq!(parsed.anomaly, None);
    }

    #[test]
    fn more_than_64_answers_are_capped_and_opt_after_them_still_read() {
        let mut records = Vec::new();
        for n in 0..70 {
            records.extend_from_slice(&a_record(n));
        }
        // additional: OPT, extended RCODE 1
        records.extend_from_slice(&[0x00, 0x00, 0x29, 0x10, 0x00, 0x01, 0, 0, 0, 0x00, 0x00]);
        let mut m = with_answers(70, &records);
        m[11] = 1; // ARCOUNT
        let (parsed, _) = done(parse_message(&m));
        assert_eq!(parsed.answers.len(), MAX_ANSWERS);
        assert_eq!(
            parsed.answers.last().map(|a| &a.data),
            Some(&a("10.0.0.63"))
        );
        assert!(parsed.capped);
        assert_eq!(parsed.rcode, 16);
        assert_eq!(parsed.anomaly, None);
    }

    /// What a hostile case must give.
    #[derive(Debug)]
    enum Expect {
        Invalid(&'static str),
        /// Done with this many questions and answers, and this anomaly.
        Partial(usize, usize, &'static str),
    }

    #[test]
    fn hostile_messages_give_the_named_outcome() {
        // (what, message, expected)
        let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
            (
                "header of 11 octets",
                HEADER_ONE_QUESTION[..11].to_vec(),
                Expect::Invalid("dns.truncated"),
            ),
            (
                "qdcount 1 with no question",
                HEADER_ONE_QUESTION.to_vec(),
                Expect::Invalid("dns.truncated"),
            ),
            (
                "question name cut inside a label",
                [&HEADER_ONE_QUESTION[..], &[0x03, b'w', b'w']].concat(),
                Expect::Invalid("dns.truncated"),
            ),
            (
                "question without QCLASS",
                [&HEADER_ONE_QUESTION[..], &[0x00, 0x00, 0x01]].concat(),
                Expect::Invalid("dns.truncated"),
            ),
            (
                "pointer cut after its first octet",
                [&HEADER_ONE_QUESTION[..], &[0xc0]].concat(),
                Expect::Invalid("dns.truncated"),
            ),
            (
                "pointer to itself",
                [&HEADER_ONE_QUESTION[..], &[0xc0, 0x0c, 0, 1, 0, 1]].concat(),
                Expect::Invalid("dns.label_loop"),
            ),
            (
                "two pointers pointing at each other",
                [
                    &HEADER_ONE_QUESTION[..],
                    &[0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1],
                ]
                .concat(),
                Expect::Invalid("dns.label_loop"),
            ),
            (
                "label then pointer back to it",
                [
                    &HEADER_ONE_QUESTION[..],
                    &[0x01, b'w', 0xc0, 0x0c, 0, 1, 0, 1],
                ]
                .concat(),
                Expect::Invalid("dns.label_loop"),
            ),
            (
                // without the revisit check this would end as name_too_long
                "63-octet label then pointer back to it",
                {
                    let mut m = HEADER_ONE_QUESTION.to_vec();
                    m.push(63);
                    m.extend(std::iter::repeat_n(b'z', 63));
                    m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
                    m
                },
                Expect::Invalid("dns.label_loop"),
            ),
            (
                "pointer past the end",
                [&HEADER_ONE_QUESTION[..], &[0xc0, 0x40, 0, 1, 0, 1]].concat(),
                Expect::Invalid("dns.bad_pointer"),
            ),
            (
                "pointer to exactly the end",
                [&HEADER_ONE_QUESTION[..], &[0xc0, 18, 0, 1, 0, 1]].concat(),
                Expect::Invalid("dns.bad_pointer"),
            ),
            (
                "extended label type 0x40",
                [&HEADER_ONE_QUESTION[..], &[0x41, 0x00, 0x00, 0, 1, 0, 1]].concat(),
                Expect::Invalid("dns.bad_label"),
            ),
            (
                "reserved label type 0x80",
                [&HEADER_ONE_QUESTION[..], &[0x81, b'a', 0x00, 0, 1, 0, 1]].concat(),
                Expect::Invalid("dns.bad_label"),
            ),
            (
                "A record data cut after 2 of 4 octets",
                with_answers(1, &a_record(1)[..14]),
                Expect::Partial(1, 0, "dns.truncated"),
            ),
            (
                "answer fixed fields cut",
                with_answers(1, &a_record(1)[..7]),
                Expect::Partial(1, 0, "dns.truncated"),
            ),
            (
                "ancount 3 with one answer",
                with_answers(3, &a_record(1)),
                Expect::Partial(1, 1, "dns.truncated"),
            ),
            (
                "second answer owner loops",
                with_answers(2, &[&a_record(1)[..], &[0xc0, 35]].concat()),
                Expect::Partial(1, 1, "dns.label_loop"),
            ),
            (
                "second question too long (shape of ndpi/malformed_dns.pcap)",
                {
                    let mut m = vec![0x12, 0x34, 0x81, 0x00, 0x00, 0x02, 0, 0, 0, 0, 0, 0];
                    m.extend_from_slice(&[0x01, b'a', 0x00, 0x00, 0x01, 0x00, 0x01]);
                    for _ in 0..5 {
                        m.push(63);
                        m.extend(std::iter::repeat_n(b'A', 63));
                    }
                    m.extend_from_slice(&[0x00, 0x00, 0x01, 0x00, 0x01]);
                    m
                },
                Expect::Partial(1, 0, "dns.name_too_long"),
            ),
            (
                "first entry is a broken answer (qdcount 0)",
                {
                    let mut m = with_answers(1, &[0xc0]);
                    m[5] = 0; // QDCOUNT
                    m.truncate(12);
                    m.push(0xc0);
                    m
                },
                Expect::Invalid("dns.truncated"),
            ),
            (
                "authority record cut after the answers",
                {
                    let mut m = with_answers(1, &[&a_record(1)[..], &[0xc0, 0x0c, 0x00]].concat());
                    m[9] = 1; // NSCOUNT
                    m
                },
                Expect::Partial(1, 1, "dns.truncated"),
            ),
        ];
        for (what, message, expected) in cases {
            let got = parse_message(&message);
            match (&expected, &got) {
                (Expect::Invalid(name), Parsed::Invalid(got_name)) => {
                    assert_eq!(name, got_name, "{what}");
                }
                (Expect::Partial(questions, answers, name), Parsed::Done { value, consumed }) => {
                    assert_eq!(value.questions.len(), *questions, "{what}");
                    assert_eq!(value.answers.len(), *answers, "{what}");
                    assert_eq!(value.anomaly, Some(*name), "{what}");
                    assert_eq!(*consumed, message.len(), "{what}");
                }
                _ => panic!("{what}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn a_record_of_five_octets_is_bad_rdata_and_the_next_answer_is_kept() {
        let bad = [
            0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 1, 0x00, 0x05, 1, 2, 3, 4, 5,
        ];
        let m = with_answers(2, &[&bad[..], &a_record(2)[..]].concat());
        let (parsed, _) = done(parse_message(&m));
        assert_eq!(
            parsed.answers,
            vec![
                answer("a", rtype::A, 1, RData::Other),
                answer("a", rtype::A, 1, a("10.0.0.2")),
            ]
        );
        assert_eq!(parsed.anomaly, Some("dns.bad_rdata"));
    }

    #[test]
    fn cname_target_loop_is_label_loop_and_the_next_answer_is_kept() {
        // CNAME at offset 19; its RDATA (offset 31) is a pointer to itself.
        let looping = [
            0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 1, 0x00, 0x02, 0xc0, 31,
        ];
        let m = with_answers(2, &[&looping[..], &a_record(2)[..]].concat());
        let (parsed, _) = done(parse_message(&m));
        assert_eq!(
            parsed.answers,
            vec![
                answer("a", rtype::CNAME, 1, RData::Other),
                answer("a", rtype::A, 1, a("10.0.0.2")),
            ]
        );
        assert_eq!(parsed.anomaly, Some("dns.label_loop"));
    }

    #[test]
    fn cname_target_running_past_rdlength_is_bad_rdata() {
        // RDLENGTH 2 but the in-place target "bc" takes 4 octets, running
        // into what follows the record.
        let overrun = [
            0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 1, 0x00, 0x02, 0x02, b'b', b'c', 0x00,
        ];
        let (parsed, _) = done(parse_message(&with_answers(1, &overrun)));
        assert_eq!(parsed.answers.first().map(|a| &a.data), Some(&RData::Other));
        assert_eq!(parsed.anomaly, Some("dns.bad_rdata"));
    }

    #[test]
    fn tcp_frame_shorter_than_a_header_is_truncated_not_incomplete() {
        let mut frame = vec![0x00, 0x0b];
        frame.extend_from_slice(&HEADER_ONE_QUESTION[..11]);
        assert_eq!(parse_tcp_message(&frame), Parsed::Invalid("dns.truncated"));
        // a frame announcing a header but holding 5 octets waits for more
        let cut = [0x00, 0x0c, 0x12, 0x34, 0x01, 0x00, 0x00];
        assert_eq!(
            parse_tcp_message(&cut),
            Parsed::Incomplete { needed: Some(14) }
        );
    }

    #[test]
    fn tcp_pointer_offsets_are_relative_to_the_message_not_the_prefix() {
        // the teams response framed for TCP: its pointers (c00c, c049) must
        // resolve exactly as over UDP
        let mut framed = (TEAMS_CNAME_AAAA.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&TEAMS_CNAME_AAAA);
        let (tcp, consumed) = done(parse_tcp_message(&framed));
        let (udp, _) = done(parse_message(&TEAMS_CNAME_AAAA));
        assert_eq!(consumed, framed.len());
        assert_eq!(tcp, udp);
    }

    #[test]
    fn type_and_rcode_names() {
        let types = [
            (1, "A"),
            (28, "AAAA"),
            (5, "CNAME"),
            (15, "MX"),
            (16, "TXT"),
            (12, "PTR"),
            (2, "NS"),
            (6, "SOA"),
            (33, "SRV"),
            (65, "HTTPS"),
            (64, "SVCB"),
            (255, "ANY"),
            (41, "OPT"),
            (99, "TYPE99"),
            (65535, "TYPE65535"),
        ];
        for (t, name) in types {
            assert_eq!(qtype_name(t), name);
        }
        let rcodes = [
            (0, "NOERROR"),
            (1, "FORMERR"),
            (2, "SERVFAIL"),
            (3, "NXDOMAIN"),
            (4, "NOTIMP"),
            (5, "REFUSED"),
            (9, "RCODE9"),
            (4095, "RCODE4095"),
        ];
        for (r, name) in rcodes {
            assert_eq!(rcode_name(r), name);
        }
    }

    // ---- Robustness ----

    /// A strict prefix of a datagram is never a clean `Done`: either
    /// `Invalid`, or `Done` flagged with an anomaly whose content agrees with
    /// the whole message's.
    #[test]
    fn every_prefix_of_a_datagram_is_invalid_or_a_flagged_part_of_the_whole() {
        for message in corpus_udp() {
            let (whole, _) = done(parse_message(message));
            for cut in 0..message.len() {
                match parse_message(&message[..cut]) {
                    Parsed::Invalid(_) => {}
                    Parsed::Incomplete { .. } => panic!("UDP cut {cut} said Incomplete"),
                    Parsed::Done { value, consumed } => {
                        assert_eq!(consumed, cut);
                        assert!(value.anomaly.is_some(), "cut {cut} is a clean Done");
                        assert_eq!(value.id, whole.id);
                        assert!(whole.questions.starts_with(&value.questions), "cut {cut}");
                        assert!(whole.answers.starts_with(&value.answers), "cut {cut}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_single_bit_flip_parses_without_panic() {
        for message in corpus_udp() {
            for bit in 0..message.len() * 8 {
                let mut flipped = message.to_vec();
                if let Some(octet) = flipped.get_mut(bit / 8) {
                    *octet ^= 1 << (bit % 8);
                }
                if let Parsed::Done { consumed, .. } = parse_message(&flipped) {
                    assert_eq!(consumed, flipped.len());
                }
                let mut framed = (flipped.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&flipped);
                if let Parsed::Done { consumed, .. } = parse_tcp_message(&framed) {
                    assert_eq!(consumed, framed.len());
                }
            }
        }
    }

    #[test]
    fn random_mutations_parse_without_panic_and_within_caps() {
        // xorshift: deterministic, no dependency
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let corpus = corpus_udp();
        for round in 0..20_000 {
            let mut m = corpus[round % corpus.len()].to_vec();
            for _ in 0..1 + next() % 6 {
                let at = (next() as usize) % m.len();
                // favour the octets that steer the parser
                let choices = [0xc0, 0xc0 | (next() as u8 & 0x3f), 0x3f, 0x00, 0xff, 0x40];
                m[at] = choices[(next() as usize) % choices.len()];
            }
            if let Parsed::Done { value, consumed } = parse_message(&m) {
                assert_eq!(consumed, m.len());
                assert!(value.questions.len() <= MAX_QUESTIONS);
                assert!(value.answers.len() <= MAX_ANSWERS);
            }
        }
    }
}
