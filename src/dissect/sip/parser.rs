//! Pure SIP message parser (RFC 3261 §7, §20, §25): bytes in, [`SipMessage`] out.
//!
//! The parsed value borrows from the input: its text fields are
//! [`Cow::Borrowed`] when the octets are valid UTF-8 and on one line (the usual
//! case), owned only when a value is folded over several lines or holds
//! invalid UTF-8 (replaced by U+FFFD), and for a datagram whose head never
//! ends ([`anomaly::HEADER_WITHOUT_CRLF`]). The head is read in one pass.
//!
//! No function here panics on any input: every access goes through `get` or a
//! checked length, and data is never unwrapped. See the module doc of
//! [`crate::dissect::sip`] for coverage, limits and anomaly names.

use std::borrow::Cow;

use memchr::{memchr, memchr2};

use crate::dissect::Parsed;

/// Bounds on what one message may make the parser look at or build.
pub mod cap {
    /// Longest head (leading CRLFs, start line, headers and the blank line), in
    /// octets. A longer head is `sip.head_too_long`.
    pub const MAX_HEAD: usize = 16 * 1024;
    /// Most header fields (a folded field counts once). One more is
    /// `sip.too_many_headers`.
    pub const MAX_HEADERS: usize = 128;
    /// Largest accepted Content-Length, in octets. SIP bodies (SDP, XML) are a
    /// few KiB; a larger value is `sip.bad_content_length`.
    pub const MAX_BODY: usize = 1024 * 1024;
    /// Most decimal digits in a Content-Length value.
    pub const MAX_LENGTH_DIGITS: usize = 10;
    /// How far [`super::looks_like_sip`] looks for the end of the first line.
    pub const SNIFF_WINDOW: usize = 1024;
    /// Fewest digits [`super::number`] accepts as a phone number (short extensions).
    pub const MIN_NUMBER_DIGITS: usize = 3;
    /// Most digits [`super::number`] accepts (E.164 allows 15; room for
    /// international and carrier prefixes).
    pub const MAX_NUMBER_DIGITS: usize = 20;
}
/// Anomaly names returned in [`Parsed::Invalid`] or listed in
/// [`SipMessage::faults`].
pub mod anomaly {
    /// The first line is neither a Request-Line nor a Status-Line.
    pub const BAD_START_LINE: &str = "sip.bad_start_line";
    /// In a datagram, a line (or the head, missing its blank line) is not ended
    /// by CRLF/LF before the data ends: the datagram is read as if its head
    /// ended there (a fault, see [`super::SipMessage::faults`]).
    pub const HEADER_WITHOUT_CRLF: &str = "sip.header_without_crlf";
    /// The head is longer than [`super::cap::MAX_HEAD`].
    pub const HEAD_TOO_LONG: &str = "sip.head_too_long";
    /// More than [`super::cap::MAX_HEADERS`] header fields.
    pub const TOO_MANY_HEADERS: &str = "sip.too_many_headers";
    /// Content-Length is not `1*DIGIT`, is above [`super::cap::MAX_BODY`], or two
    /// Content-Length fields disagree.
    pub const BAD_CONTENT_LENGTH: &str = "sip.bad_content_length";
    /// A datagram shorter than its head plus Content-Length (RFC 3261 §18.3:
    /// such a message is discarded).
    pub const BODY_TRUNCATED: &str = "sip.body_truncated";
    /// A header line without a colon or with an empty/non-token name, or a
    /// continuation line right after the start line.
    pub const BAD_HEADER: &str = "sip.bad_header";
    /// A NUL octet in the head.
    pub const NUL_IN_HEAD: &str = "sip.nul_in_head";
    /// A datagram holding only CR/LF octets (or nothing): a keep-alive, not a
    /// message. Not a fault of the sender; callers need not count it.
    pub const KEEPALIVE: &str = "sip.keepalive";
}

/// Wire constants of the SIP text grammar.
pub mod wire {
    /// Line feed, the end of every line (CR before it is optional on input).
    pub const LF: u8 = b'\n';
    /// Carriage return.
    pub const CR: u8 = b'\r';
    /// Space.
    pub const SP: u8 = b' ';
    /// Horizontal tab.
    pub const HTAB: u8 = b'\t';
    /// The `"SIP" "/"` opening a SIP-Version (case-insensitive).
    pub const VERSION_PREFIX: &[u8] = b"SIP/";
    /// The only version [`super::looks_like_sip`] recognises.
    pub const VERSION_2_0: &[u8] = b"SIP/2.0";
    /// Octets in a Status-Code.
    pub const STATUS_CODE_LEN: usize = 3;
    /// Lowest and highest Status-Code (RFC 3261 §7.2: 1xx to 6xx).
    pub const STATUS_MIN: u16 = 100;
    /// See [`STATUS_MIN`].
    pub const STATUS_MAX: u16 = 699;
    /// Methods of RFC 3261 and its extensions (PRACK 3262, SUBSCRIBE/NOTIFY
    /// 6665, PUBLISH 3903, INFO 6086, REFER 3515, MESSAGE 3428, UPDATE 3311).
    /// Only [`super::looks_like_sip`] uses this list: the parser takes any token.
    pub const KNOWN_METHODS: [&str; 14] = [
        "INVITE",
        "ACK",
        "BYE",
        "CANCEL",
        "OPTIONS",
        "REGISTER",
        "PRACK",
        "SUBSCRIBE",
        "NOTIFY",
        "PUBLISH",
        "INFO",
        "REFER",
        "MESSAGE",
        "UPDATE",
    ];
    /// URI schemes whose user part [`super::user_part`] extracts.
    pub const SCHEME_SIP: &str = "sip";
    /// See [`SCHEME_SIP`].
    pub const SCHEME_SIPS: &str = "sips";
    /// See [`SCHEME_SIP`] (RFC 3966).
    pub const SCHEME_TEL: &str = "tel";
}

use wire::{CR, HTAB, LF, SP};

/// The first line of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// A request: `Method SP Request-URI SP SIP-Version`.
    Request {
        /// The method token as sent (methods are case-sensitive).
        method: Cow<'a, str>,
        /// The Request-URI as sent.
        uri: Cow<'a, str>,
    },
    /// A response: `SIP-Version SP Status-Code SP Reason-Phrase`.
    Response {
        /// The Status-Code, 100 to 699.
        status: u16,
        /// The Reason-Phrase, possibly empty.
        reason: Cow<'a, str>,
    },
}

impl StartLine<'_> {
    /// The same line, owning its text.
    pub fn into_owned(self) -> StartLine<'static> {
        match self {
            StartLine::Request { method, uri } => StartLine::Request {
                method: owned(method),
                uri: owned(uri),
            },
            StartLine::Response { status, reason } => StartLine::Response {
                status,
                reason: owned(reason),
            },
        }
    }
}

/// A From, To or Contact value: `[display-name] <uri>;tag=..` or a bare URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// The display name, unquoted and unescaped; `None` when absent or empty.
    pub display: Option<Cow<'a, str>>,
    /// The URI without angle brackets (`*` for a wildcard Contact).
    pub uri: Cow<'a, str>,
    /// The `tag` header parameter.
    pub tag: Option<Cow<'a, str>>,
}

impl NameAddr<'_> {
    /// The same value, owning its text.
    pub fn into_owned(self) -> NameAddr<'static> {
        NameAddr {
            display: self.display.map(owned),
            uri: owned(self.uri),
            tag: self.tag.map(owned),
        }
    }
}

/// What the parser extracts from one SIP message, borrowing from the input
/// where it can (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipMessage<'a> {
    /// The request or status line.
    pub start: StartLine<'a>,
    /// Call-ID (`i`), trimmed; the first one if repeated.
    pub call_id: Option<Cow<'a, str>>,
    /// From (`f`); `None` when absent or unparseable.
    pub from: Option<NameAddr<'a>>,
    /// To (`t`); `None` when absent or unparseable.
    pub to: Option<NameAddr<'a>>,
    /// CSeq: sequence number and method; `None` when absent or malformed.
    pub cseq: Option<(u32, Cow<'a, str>)>,
    /// The first Contact (`m`) of the first Contact field.
    pub contact: Option<NameAddr<'a>>,
    /// User-Agent, trimmed.
    pub user_agent: Option<Cow<'a, str>>,
    /// Content-Length (`l`) as sent.
    pub content_length: Option<usize>,
    /// Number of header fields (a folded field counts once).
    pub headers: usize,
    /// Faults that did not stop the parse, as anomaly names, in order: a
    /// header line that is not a field ([`anomaly::BAD_HEADER`]) is skipped,
    /// as are, in a datagram, a field holding a NUL ([`anomaly::NUL_IN_HEAD`])
    /// and a bad Content-Length ([`anomaly::BAD_CONTENT_LENGTH`]: the body is
    /// the rest of the datagram); a datagram shorter than its Content-Length
    /// keeps what it has ([`anomaly::BODY_TRUNCATED`]). A box reads what the
    /// wire carries, as Wireshark does; the faults are counted, not hidden.
    pub faults: Vec<&'static str>,
}

impl SipMessage<'_> {
    /// The same message, owning its text.
    pub fn into_owned(self) -> SipMessage<'static> {
        SipMessage {
            start: self.start.into_owned(),
            call_id: self.call_id.map(owned),
            from: self.from.map(NameAddr::into_owned),
            to: self.to.map(NameAddr::into_owned),
            cseq: self.cseq.map(|(seq, method)| (seq, owned(method))),
            contact: self.contact.map(NameAddr::into_owned),
            user_agent: self.user_agent.map(owned),
            content_length: self.content_length,
            headers: self.headers,
            faults: self.faults,
        }
    }
}

/// How the end of a message is found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// TCP/TLS: the buffer may stop short; missing bytes are `Incomplete`.
    Stream,
    /// UDP: the buffer is the whole datagram.
    Datagram,
}

/// Parses one message from the front of a stream (TCP, TLS).
///
/// `consumed` covers any leading CRLFs (RFC 3261 §7.5), the head and
/// Content-Length body octets; a missing Content-Length means no body.
pub fn parse_message(buf: &[u8]) -> Parsed<SipMessage<'_>> {
    parse(buf, Framing::Stream)
}

/// Parses one message filling a datagram (UDP).
///
/// A missing Content-Length means the body is the rest of the datagram and
/// `consumed` is `buf.len()`; with one, `consumed` is head plus Content-Length
/// (octets after it are ignored, RFC 3261 §18.3).
pub fn parse_datagram(buf: &[u8]) -> Parsed<SipMessage<'_>> {
    parse(buf, Framing::Datagram)
}

/// One line: its content (without CR LF) as `start..end`, and where the next
/// line starts.
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
}

/// The line starting at `pos`, if its LF is inside `buf`.
fn line_at(buf: &[u8], pos: usize) -> Option<Line> {
    let rest = buf.get(pos..)?;
    let lf = find(LF, rest)?;
    let mut end = pos + lf;
    if end > pos && buf.get(end - 1) == Some(&CR) {
        end -= 1;
    }
    Some(Line {
        start: pos,
        end,
        next: pos + lf + 1,
    })
}

/// The bytes of a line (empty if out of range, which cannot happen for lines
/// built by [`line_at`] on the same buffer).
fn line_bytes(buf: &[u8], line: Line) -> &[u8] {
    buf.get(line.start..line.end).unwrap_or(&[])
}

/// Finds the NULs of a buffer in order, one search per NUL rather than one
/// per line: lines are asked about in increasing order.
struct Nuls<'b> {
    buf: &'b [u8],
    /// The first NUL at or after the lines asked about so far, if any.
    next: Option<usize>,
}

impl<'b> Nuls<'b> {
    fn new(buf: &'b [u8]) -> Self {
        Nuls {
            buf,
            next: memchr(0, buf),
        }
    }

    /// Whether `line` holds a NUL; lines must come in increasing order.
    fn in_line(&mut self, line: Line) -> bool {
        let Some(at) = self.next else { return false };
        if at >= line.end {
            return false;
        }
        // `at` is inside the line (earlier lines were asked about and moved
        // `next` past them): look for the next one after this line.
        self.next = self
            .buf
            .get(line.next..)
            .and_then(|rest| memchr(0, rest))
            .map(|i| line.next + i);
        at >= line.start
    }
}

/// A header field being read: its first line and the continuation lines
/// folded into it so far.
#[derive(Clone, Copy, Debug)]
struct Field {
    /// Offset of the field name.
    start: usize,
    /// End of the last line's content (before its CR LF).
    end: usize,
    /// Whether continuation lines follow the first (the value must be unfolded).
    folded: bool,
    /// Whether a line of the field holds a NUL.
    nul: bool,
}

/// A datagram whose head never ends (no blank line, or a last line without
/// its LF) is read as if it did end with the datagram, as Wireshark reads it,
/// and the message says [`anomaly::HEADER_WITHOUT_CRLF`]. Only datagrams:
/// their framing is the datagram itself. The message owns its text: it was
/// read from a copy.
fn parse_unterminated(buf: &[u8]) -> Parsed<SipMessage<'static>> {
    let mut owned = Vec::with_capacity(buf.len() + 4);
    owned.extend_from_slice(buf);
    owned.extend_from_slice(b"\r\n\r\n");
    match parse_head(&owned, Framing::Datagram) {
        Parsed::Done { value, .. } => {
            let mut value = value.into_owned();
            value.faults.insert(0, anomaly::HEADER_WITHOUT_CRLF);
            Parsed::Done {
                value,
                consumed: buf.len(),
            }
        }
        Parsed::Incomplete { needed } => Parsed::Incomplete { needed },
        Parsed::Invalid(name) => Parsed::Invalid(name),
    }
}

fn parse(buf: &[u8], framing: Framing) -> Parsed<SipMessage<'_>> {
    let head = parse_head(buf, framing);
    // Checked through a reference: a message is a few hundred bytes, and
    // moving it out of a match would copy it.
    if framing == Framing::Datagram
        && matches!(&head, Parsed::Invalid(a) if *a == anomaly::HEADER_WITHOUT_CRLF)
    {
        return parse_unterminated(buf);
    }
    head
}

/// Reads the head in one pass: framing-level anomalies (head too long, too
/// many headers, a NUL in a stream, a line not ended) stop it and win over
/// the faults of the fields read so far, whose values are dropped with the
/// message.
fn parse_head(buf: &[u8], framing: Framing) -> Parsed<SipMessage<'_>> {
    let window = buf.get(..buf.len().min(cap::MAX_HEAD)).unwrap_or(buf);
    let cut_by_cap = buf.len() > cap::MAX_HEAD;
    // What a line missing its LF means: past the cap, too long; in a stream,
    // more bytes to come; in a datagram, a line (or the head) never ended.
    let short = || {
        if cut_by_cap {
            Parsed::Invalid(anomaly::HEAD_TOO_LONG)
        } else {
            match framing {
                Framing::Stream => Parsed::Incomplete { needed: None },
                Framing::Datagram => Parsed::Invalid(anomaly::HEADER_WITHOUT_CRLF),
            }
        }
    };

    // RFC 3261 §7.5: "implementations processing SIP messages over
    // stream-oriented transports MUST ignore any CRLF appearing before the
    // start-line" (also the RFC 5626 CRLF keep-alive).
    let skip = window.iter().take_while(|&&b| b == CR || b == LF).count();
    if skip == window.len() {
        return if cut_by_cap {
            Parsed::Invalid(anomaly::HEAD_TOO_LONG)
        } else {
            match framing {
                Framing::Stream => Parsed::Incomplete { needed: None },
                Framing::Datagram => Parsed::Invalid(anomaly::KEEPALIVE),
            }
        };
    }

    let Some(start_line) = line_at(window, skip) else {
        return short();
    };
    let first = line_bytes(window, start_line);
    let mut nuls = Nuls::new(window);
    // A NUL in the start line: not a SIP message (Wireshark's heuristic
    // refuses it too), in either framing.
    if nuls.in_line(start_line) {
        return Parsed::Invalid(anomaly::NUL_IN_HEAD);
    }
    let t = Text::new(window);
    let Some(start) = parse_start_line(t, first) else {
        return Parsed::Invalid(anomaly::BAD_START_LINE);
    };
    let mut msg = SipMessage {
        start,
        call_id: None,
        from: None,
        to: None,
        cseq: None,
        contact: None,
        user_agent: None,
        content_length: None,
        headers: 0,
        faults: Vec::new(),
    };

    // Folded lines are grouped into fields; a field is read when the next
    // field (or the blank line) starts.
    let mut field: Option<Field> = None;
    let mut pos = start_line.next;
    let head_end = loop {
        let Some(line) = line_at(window, pos) else {
            return short();
        };
        let text = line_bytes(window, line);
        let nul = nuls.in_line(line);
        // In a stream a NUL may hide a framing trick: stop. A datagram's
        // framing is the datagram; its field is skipped.
        if nul && framing == Framing::Stream {
            return Parsed::Invalid(anomaly::NUL_IN_HEAD);
        }
        match text.first() {
            Some(&SP | &HTAB) => match field.as_mut() {
                Some(f) => {
                    f.end = line.end;
                    f.folded = true;
                    f.nul |= nul;
                }
                // A continuation line with no field before it.
                None => msg.faults.push(anomaly::BAD_HEADER),
            },
            first => {
                if let Some(f) = field.take() {
                    read_field(&mut msg, t, window, f);
                }
                if first.is_none() {
                    break line.next;
                }
                msg.headers += 1;
                if msg.headers > cap::MAX_HEADERS {
                    return Parsed::Invalid(anomaly::TOO_MANY_HEADERS);
                }
                field = Some(Field {
                    start: line.start,
                    end: line.end,
                    folded: false,
                    nul,
                });
            }
        }
        pos = line.next;
    };

    if msg.faults.contains(&anomaly::BAD_CONTENT_LENGTH) {
        // Content-Length frames a stream: no guessing there.
        if framing == Framing::Stream {
            return Parsed::Invalid(anomaly::BAD_CONTENT_LENGTH);
        }
        // Two disagreeing lengths: neither is believed.
        msg.content_length = None;
    }
    let consumed = match (framing, msg.content_length) {
        (Framing::Datagram, None) => buf.len(),
        (Framing::Datagram, Some(len)) => {
            let total = head_end + len;
            if total > buf.len() {
                msg.faults.push(anomaly::BODY_TRUNCATED);
                buf.len()
            } else {
                total
            }
        }
        (Framing::Stream, len) => {
            // RFC 3261 §18.3: Content-Length MUST be used with streams; a
            // missing one is read as 0.
            let total = head_end + len.unwrap_or(0);
            if total > buf.len() {
                return Parsed::Incomplete {
                    needed: Some(total),
                };
            }
            total
        }
    };
    Parsed::Done {
        value: msg,
        consumed,
    }
}

// Request-Line  =  Method SP Request-URI SP SIP-Version CRLF
// Status-Line   =  SIP-Version SP Status-Code SP Reason-Phrase CRLF
// SIP-Version   =  "SIP" "/" 1*DIGIT "." 1*DIGIT
// Status-Code   =  3DIGIT   (extension-code; 1xx..6xx, §7.2)
// Reason-Phrase =  *(reserved / unreserved / escaped / UTF8-NONASCII
//                  / UTF8-CONT / SP / HTAB)
fn parse_start_line<'a>(t: Text<'a>, line: &'a [u8]) -> Option<StartLine<'a>> {
    if starts_with_ignore_case(line, wire::VERSION_PREFIX) {
        let (version, rest) = split_at_byte(line, SP)?;
        if !is_sip_version(version) {
            return None;
        }
        let rest = trim_start(rest);
        let code = rest.get(..wire::STATUS_CODE_LEN)?;
        if !code.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let status = code
            .iter()
            .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
        if !(wire::STATUS_MIN..=wire::STATUS_MAX).contains(&status) {
            return None;
        }
        let reason = match rest.get(wire::STATUS_CODE_LEN..) {
            None | Some([]) => &[][..],
            Some([SP, reason @ ..]) => reason,
            Some(_) => return None,
        };
        return Some(StartLine::Response {
            status,
            reason: t.of(trim(reason)),
        });
    }
    let (method, rest) = split_at_byte(line, SP)?;
    let (uri, version) = split_at_byte(rest, SP)?;
    if method.is_empty() || !method.iter().all(|&b| is_token_char(b)) {
        return None;
    }
    if uri.is_empty() || memchr2(HTAB, CR, uri).is_some() {
        return None;
    }
    if !is_sip_version(version) {
        return None;
    }
    Some(StartLine::Request {
        method: t.of(method),
        uri: t.of(uri),
    })
}

/// `"SIP" "/" 1*DIGIT "." 1*DIGIT`, "SIP" in any case.
fn is_sip_version(v: &[u8]) -> bool {
    if !starts_with_ignore_case(v, wire::VERSION_PREFIX) {
        return false;
    }
    let Some(num) = v.get(wire::VERSION_PREFIX.len()..) else {
        return false;
    };
    match split_at_byte(num, b'.') {
        Some((major, minor)) => {
            !major.is_empty()
                && !minor.is_empty()
                && major.iter().chain(minor).all(u8::is_ascii_digit)
        }
        None => false,
    }
}

/// Header names we read; every other field is only counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HeaderName {
    CallId,
    From,
    To,
    CSeq,
    Contact,
    UserAgent,
    ContentLength,
    Via,
    ContentType,
    Subject,
    Supported,
    ContentEncoding,
    Other,
}

// RFC 3261 §7.3.3 compact forms: i Call-ID, m Contact, e Content-Encoding,
// l Content-Length, c Content-Type, f From, s Subject, k Supported, t To, v Via.
// Field names are case-insensitive (§7.3.1).
/// Which header `name` is: compact forms by their letter, long forms by their
/// length, then a case-insensitive comparison.
fn header_name(name: &[u8]) -> HeaderName {
    use HeaderName::*;
    let is = |long: &str| name.eq_ignore_ascii_case(long.as_bytes());
    match name.len() {
        1 => match name.first().map(u8::to_ascii_lowercase) {
            Some(b'i') => CallId,
            Some(b'f') => From,
            Some(b't') => To,
            Some(b'm') => Contact,
            Some(b'l') => ContentLength,
            Some(b'v') => Via,
            Some(b'c') => ContentType,
            Some(b's') => Subject,
            Some(b'k') => Supported,
            Some(b'e') => ContentEncoding,
            _ => Other,
        },
        2 if is("To") => To,
        3 if is("Via") => Via,
        4 if is("From") => From,
        4 if is("CSeq") => CSeq,
        7 if is("Call-ID") => CallId,
        7 if is("Contact") => Contact,
        7 if is("Subject") => Subject,
        9 if is("Supported") => Supported,
        10 if is("User-Agent") => UserAgent,
        12 if is("Content-Type") => ContentType,
        14 if is("Content-Length") => ContentLength,
        16 if is("Content-Encoding") => ContentEncoding,
        _ => Other,
    }
}

/// Reads one field into `msg`; a field that is not well formed is skipped and
/// named in [`SipMessage::faults`].
fn read_field<'a>(msg: &mut SipMessage<'a>, t: Text<'a>, head: &'a [u8], f: Field) {
    let result = if f.nul {
        Err(anomaly::NUL_IN_HEAD)
    } else {
        apply_field(msg, t, head.get(f.start..f.end).unwrap_or(&[]), f.folded)
    };
    if let Err(name) = result {
        msg.faults.push(name);
    }
}

/// The value of a field we keep, borrowing from the octets it was read from.
enum Value<'v> {
    CallId(Cow<'v, str>),
    From(Option<NameAddr<'v>>),
    To(Option<NameAddr<'v>>),
    Contact(Option<NameAddr<'v>>),
    CSeq(Option<(u32, Cow<'v, str>)>),
    UserAgent(Cow<'v, str>),
}

impl Value<'_> {
    /// The same value, owning its text (read from a copy: a folded field).
    fn into_owned(self) -> Value<'static> {
        match self {
            Value::CallId(s) => Value::CallId(owned(s)),
            Value::From(n) => Value::From(n.map(NameAddr::into_owned)),
            Value::To(n) => Value::To(n.map(NameAddr::into_owned)),
            Value::Contact(n) => Value::Contact(n.map(NameAddr::into_owned)),
            Value::CSeq(c) => Value::CSeq(c.map(|(seq, method)| (seq, owned(method)))),
            Value::UserAgent(s) => Value::UserAgent(owned(s)),
        }
    }
}

/// The value of a kept field (`which`), already unfolded and trimmed; `None`
/// for an empty Call-ID, which does not count as one.
fn parse_value<'v>(t: Text<'v>, which: HeaderName, value: &'v [u8]) -> Option<Value<'v>> {
    Some(match which {
        HeaderName::CallId if !value.is_empty() => Value::CallId(t.of(value)),
        HeaderName::From => Value::From(parse_name_addr(t, value)),
        HeaderName::To => Value::To(parse_name_addr(t, value)),
        HeaderName::Contact => Value::Contact(parse_name_addr(t, first_element(value))),
        HeaderName::CSeq => Value::CSeq(parse_cseq(t, value)),
        HeaderName::UserAgent => Value::UserAgent(t.of(value)),
        _ => return None,
    })
}

// message-header  =  field-name HCOLON field-value CRLF  (§7.3)
// HCOLON          =  *( SP / HTAB ) ":" SWS
// field-name      =  token
// Folded lines (LWS = [*WSP CRLF] 1*WSP) are one field.
fn apply_field<'a>(
    msg: &mut SipMessage<'a>,
    t: Text<'a>,
    raw: &'a [u8],
    folded: bool,
) -> Result<(), &'static str> {
    // One scan: the token, the white space (possibly folded) before the colon.
    let name_len = raw.iter().take_while(|&&b| is_token_char(b)).count();
    let after_name = raw.get(name_len..).unwrap_or(&[]);
    let colon = name_len + after_name.iter().take_while(|b| is_wsp(b)).count();
    if name_len == 0 || raw.get(colon) != Some(&b':') {
        return Err(anomaly::BAD_HEADER);
    }
    let name = raw.get(..name_len).unwrap_or(&[]);
    let value = raw.get(colon + 1..).unwrap_or(&[]);
    let which = header_name(name);
    // The first of each field wins: a repeated one is not even parsed.
    let wanted = match which {
        HeaderName::CallId => msg.call_id.is_none(),
        HeaderName::From => msg.from.is_none(),
        HeaderName::To => msg.to.is_none(),
        HeaderName::Contact => msg.contact.is_none(),
        HeaderName::CSeq => msg.cseq.is_none(),
        HeaderName::UserAgent => msg.user_agent.is_none(),
        HeaderName::ContentLength => {
            let len =
                parse_content_length(trim(&unfold(value))).ok_or(anomaly::BAD_CONTENT_LENGTH)?;
            // Two disagreeing lengths frame the message two ways (smuggling).
            if msg.content_length.is_some_and(|seen| seen != len) {
                return Err(anomaly::BAD_CONTENT_LENGTH);
            }
            msg.content_length = Some(len);
            return Ok(());
        }
        _ => false,
    };
    if !wanted {
        return Ok(());
    }
    let value = if folded {
        let joined = unfold(value);
        parse_value(t, which, trim(&joined)).map(Value::into_owned)
    } else {
        parse_value(t, which, trim(value))
    };
    match value {
        Some(Value::CallId(s)) => msg.call_id = Some(s),
        Some(Value::From(n)) => msg.from = n,
        Some(Value::To(n)) => msg.to = n,
        Some(Value::Contact(n)) => msg.contact = n,
        Some(Value::CSeq(c)) => msg.cseq = c,
        Some(Value::UserAgent(s)) => msg.user_agent = Some(s),
        None => {}
    }
    Ok(())
}

// Content-Length  =  ( "Content-Length" / "l" ) HCOLON 1*DIGIT
fn parse_content_length(value: &[u8]) -> Option<usize> {
    if value.is_empty()
        || value.len() > cap::MAX_LENGTH_DIGITS
        || !value.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let len = value.iter().try_fold(0usize, |acc, &d| {
        acc.checked_mul(10)?.checked_add(usize::from(d - b'0'))
    })?;
    (len <= cap::MAX_BODY).then_some(len)
}

// CSeq  =  "CSeq" HCOLON 1*DIGIT LWS Method
fn parse_cseq<'a>(t: Text<'a>, value: &'a [u8]) -> Option<(u32, Cow<'a, str>)> {
    let split = value.iter().position(|&b| b == SP || b == HTAB)?;
    let (num, method) = (value.get(..split)?, trim(value.get(split..)?));
    if num.is_empty() || !num.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let seq = num.iter().try_fold(0u32, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })?;
    if method.is_empty() || !method.iter().all(|&b| is_token_char(b)) {
        return None;
    }
    Some((seq, t.of(method)))
}

/// The first element of a comma-separated list, ignoring commas inside
/// quoted strings and angle brackets (Contact may list several).
fn first_element(value: &[u8]) -> &[u8] {
    let mut in_quote = false;
    let mut in_angle = false;
    let mut escaped = false;
    for (i, &b) in value.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' if in_quote => escaped = true,
            b'"' if !in_angle => in_quote = !in_quote,
            b'<' if !in_quote => in_angle = true,
            b'>' if !in_quote => in_angle = false,
            b',' if !in_quote && !in_angle => return trim(value.get(..i).unwrap_or(&[])),
            _ => {}
        }
    }
    value
}

// from-spec     =  ( name-addr / addr-spec ) *( SEMI from-param )
// name-addr     =  [ display-name ] LAQUOT addr-spec RAQUOT
// display-name  =  *(token LWS)/ quoted-string
// quoted-string =  SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE
// tag-param     =  "tag" EQUAL token
// §20.10: with an addr-spec (no angle brackets), every ';' parameter is a
// header parameter, not a URI parameter.
fn parse_name_addr<'a>(t: Text<'a>, value: &'a [u8]) -> Option<NameAddr<'a>> {
    let value = trim(value);
    let (display, uri, params) = if let Some(quoted) = value.strip_prefix(b"\"") {
        let (display, after) = unquote(t, quoted)?;
        let after = trim_start(after).strip_prefix(b"<")?;
        let (uri, params) = split_at_byte(after, b'>')?;
        (Some(display), uri, params)
    } else if let Some((before, after)) = split_at_byte(value, b'<') {
        let (uri, params) = split_at_byte(after, b'>')?;
        let display = trim(before);
        ((!display.is_empty()).then(|| t.of(display)), uri, params)
    } else {
        match split_at_byte(value, b';') {
            Some((uri, params)) => (None, uri, params),
            None => (None, value, &[][..]),
        }
    };
    let uri = trim(uri);
    if uri.is_empty() {
        return None;
    }
    Some(NameAddr {
        display: display.filter(|d| !d.is_empty()),
        uri: t.of(uri),
        tag: tag_param(t, params),
    })
}

/// The text of a quoted string whose opening quote is already removed, with
/// quoted-pairs unescaped (borrowed when there are none), and what follows
/// the closing quote.
fn unquote<'a>(t: Text<'a>, s: &'a [u8]) -> Option<(Cow<'a, str>, &'a [u8])> {
    let stop = memchr2(b'"', b'\\', s)?;
    if s.get(stop) == Some(&b'"') {
        return Some((t.of(s.get(..stop)?), s.get(stop + 1..).unwrap_or(&[])));
    }
    let mut out = s.get(..stop)?.to_vec();
    let mut i = stop;
    while let Some(&b) = s.get(i) {
        match b {
            b'"' => {
                let out = String::from_utf8(out)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                return Some((Cow::Owned(out), s.get(i + 1..).unwrap_or(&[])));
            }
            b'\\' => {
                out.push(*s.get(i + 1)?);
                i += 2;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    None
}

/// The value of the first `tag` parameter in `;name=value;...`.
fn tag_param<'a>(t: Text<'a>, params: &'a [u8]) -> Option<Cow<'a, str>> {
    params.split(|&b| b == b';').find_map(|param| {
        let (name, value) = split_at_byte(param, b'=')?;
        let value = trim(value);
        (trim(name).eq_ignore_ascii_case(b"tag") && !value.is_empty()).then(|| t.of(value))
    })
}

// SIP-URI         =  "sip:" [ userinfo ] hostport uri-parameters [ headers ]
// SIPS-URI        =  "sips:" [ userinfo ] hostport uri-parameters [ headers ]
// userinfo        =  ( user / telephone-subscriber ) [ ":" password ] "@"
// telephone-uri   =  "tel:" telephone-subscriber *par        (RFC 3966 §3)
// Neither host, uri-parameters nor headers may hold a bare '@', so the
// userinfo is everything before the first '@'.
/// The user of a `sip:`, `sips:` or `tel:` URI, as written (no
/// percent-decoding): `sip:+290123456@pbx.example;user=phone` gives
/// `+290123456`, `tel:+33-1-23-45;phone-context=x` gives `+33-1-23-45`.
/// `None` for other schemes and for a URI without a user.
pub fn user_part(uri: &str) -> Option<&str> {
    // The separators are ASCII: cutting at them keeps char boundaries.
    let ends_graphic = |b: &[u8]| {
        b.first().is_some_and(u8::is_ascii_graphic) && b.last().is_some_and(u8::is_ascii_graphic)
    };
    // `trim` decodes chars; the usual URI has nothing to trim.
    let uri = if ends_graphic(uri.as_bytes()) {
        uri
    } else {
        uri.trim()
    };
    let (scheme, rest) = split_str_at(uri, b':')?;
    let user = if scheme.eq_ignore_ascii_case(wire::SCHEME_SIP)
        || scheme.eq_ignore_ascii_case(wire::SCHEME_SIPS)
    {
        let (userinfo, _host) = split_str_at(rest, b'@')?;
        split_str_at(userinfo, b':').map_or(userinfo, |(user, _password)| user)
    } else if scheme.eq_ignore_ascii_case(wire::SCHEME_TEL) {
        split_str_at(rest, b';').map_or(rest, |(user, _params)| user)
    } else {
        return None;
    };
    (!user.is_empty()).then_some(user)
}

/// `s` cut at the first `sep` (an ASCII octet), which is left out.
fn split_str_at(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = find(sep, s.as_bytes())?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

// telephone-subscriber (RFC 3966 §3):
// global-number-digits = "+" *phonedigit DIGIT *phonedigit
// local-number-digits  = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex
// phonedigit           = DIGIT / [ visual-separator ]
// visual-separator     = "-" / "." / "(" / ")"
/// The user part of `uri` when it looks like a phone number: an optional
/// leading `+`, then digits and visual separators (`-` `.` `(` `)` space),
/// with [`cap::MIN_NUMBER_DIGITS`] to [`cap::MAX_NUMBER_DIGITS`] digits.
/// Parameters after `;` in the user (`;phone-context=`, `;isub=`) are
/// dropped. Returns the digits only, `+` kept: `+33-1-23-45` gives `+3312345`.
pub fn number(uri: &str) -> Option<String> {
    phone_number(user_part(uri)?).map(Cow::into_owned)
}

/// [`number`] from the user part of a URI, borrowed when it has no
/// separators to drop.
pub fn phone_number(user: &str) -> Option<Cow<'_, str>> {
    let subscriber = split_str_at(user, b';').map_or(user, |(subscriber, _params)| subscriber);
    // Checked first, so that a user that is not a number costs no allocation.
    let mut digits = 0usize;
    let mut separators = false;
    for (i, b) in subscriber.bytes().enumerate() {
        match b {
            b'+' if i == 0 => {}
            b'0'..=b'9' => {
                digits += 1;
                if digits > cap::MAX_NUMBER_DIGITS {
                    return None;
                }
            }
            b'-' | b'.' | b'(' | b')' | b' ' => separators = true,
            _ => return None,
        }
    }
    if digits < cap::MIN_NUMBER_DIGITS {
        return None;
    }
    if !separators {
        return Some(Cow::Borrowed(subscriber));
    }
    // Only a leading '+' got through the check above.
    let mut out = String::with_capacity(digits + 1);
    for b in subscriber.bytes() {
        if b == b'+' || b.is_ascii_digit() {
            out.push(char::from(b));
        }
    }
    Some(Cow::Owned(out))
}

/// Whether `buf` starts like a SIP message: a known method, a space, a
/// `sip:`/`sips:`/`tel:` URI and `SIP/2.0` on one line, or `SIP/2.0 ` and a
/// three-digit status. Leading CRLFs are skipped. The request line must end
/// (LF) within [`cap::SNIFF_WINDOW`] octets.
pub fn looks_like_sip(buf: &[u8]) -> bool {
    let skip = buf.iter().take_while(|&&b| b == CR || b == LF).count();
    let Some(rest) = buf.get(skip..) else {
        return false;
    };
    if let Some(after) = strip_prefix_ignore_case(rest, wire::VERSION_2_0) {
        return match after {
            [SP, code @ ..] => code
                .get(..wire::STATUS_CODE_LEN)
                .is_some_and(|c| c.iter().all(u8::is_ascii_digit)),
            _ => false,
        };
    }
    let window = rest
        .get(..rest.len().min(cap::SNIFF_WINDOW))
        .unwrap_or(rest);
    let Some(line) = line_at(window, 0) else {
        return false;
    };
    let line = line_bytes(window, line);
    let mut parts = line.split(|&b| b == SP);
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let scheme_ok = [wire::SCHEME_SIP, wire::SCHEME_SIPS, wire::SCHEME_TEL]
        .iter()
        .any(|s| {
            strip_prefix_ignore_case(uri, s.as_bytes()).is_some_and(|r| r.first() == Some(&b':'))
        });
    wire::KNOWN_METHODS.iter().any(|m| m.as_bytes() == method)
        && scheme_ok
        && version.eq_ignore_ascii_case(wire::VERSION_2_0)
}

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
/// Which octets may appear in a token, by value.
const TOKEN_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        b += 1;
    }
    table
};

fn is_token_char(b: u8) -> bool {
    TOKEN_CHARS.get(usize::from(b)).copied().unwrap_or(false)
}

/// Joins folded lines: each `[CR] LF 1*WSP` becomes one space. Borrows when
/// the value is on one line (the usual case).
fn unfold(value: &[u8]) -> Cow<'_, [u8]> {
    if find(LF, value).is_none() {
        return Cow::Borrowed(value);
    }
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        if b == CR && value.get(i + 1) == Some(&LF) {
            i += 1;
            continue;
        }
        if b == LF {
            out.push(SP);
            i += 1;
            while matches!(value.get(i), Some(&SP | &HTAB)) {
                i += 1;
            }
            continue;
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
}

/// Octets [`find`] searches a word at a time before it hands over to memchr.
const SHORT: usize = 64;

/// Where `b` first occurs in `s`. What the parser looks for is near: the
/// end of a line, the `@` of a URI, the `>` closing it. memchr's set-up and
/// dispatch cost more than such a search, so the first [`SHORT`] octets are
/// searched eight at a time in a word, and only the rest by memchr.
fn find(b: u8, s: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let (near, far) = s.split_at(s.len().min(SHORT));
    let pattern = ONES * u64::from(b);
    let mut words = near.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8])) ^ pattern;
        // The lowest octet of `w` that is zero sets the lowest bit here
        // (higher octets may be flagged wrongly, never lower ones).
        let zero = w.wrapping_sub(ONES) & !w & HIGHS;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    if let Some(i) = words.remainder().iter().position(|&c| c == b) {
        return Some(at + i);
    }
    memchr(b, far).map(|i| near.len() + i)
}

fn split_at_byte(s: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let i = find(sep, s)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    strip_prefix_ignore_case(s, prefix).is_some()
}

fn strip_prefix_ignore_case<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

fn is_wsp(b: &u8) -> bool {
    matches!(*b, SP | HTAB | CR | LF)
}

// `position`/`rposition`: measured 200 fewer instructions a SIP INVITE than
// `take_while(..).count()` (trimming runs a dozen times a message).
fn trim_start(s: &[u8]) -> &[u8] {
    match s.iter().position(|b| !is_wsp(b)) {
        Some(n) => s.get(n..).unwrap_or(&[]),
        None => &[],
    }
}

fn trim_end(s: &[u8]) -> &[u8] {
    match s.iter().rposition(|b| !is_wsp(b)) {
        Some(n) => s.get(..=n).unwrap_or(&[]),
        None => &[],
    }
}

fn trim(s: &[u8]) -> &[u8] {
    trim_end(trim_start(s))
}

/// `b` as text: borrowed when it is valid UTF-8, else with U+FFFD in place of
/// the invalid sequences.
fn text(b: &[u8]) -> Cow<'_, str> {
    // `from_utf8` checks ASCII a word at a time; the lossy decoder does not.
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// How much of a message is validated as UTF-8 at once: a usual head (an
/// INVITE without its SDP is 300 to 900 octets) fits, and a large stream
/// buffer is not read past its first message.
const TEXT_PREFIX: usize = 1024;

/// The front of a message as far as it is valid UTF-8, validated once, so
/// that each field read from it is a slice of it rather than validated again
/// (a head has a dozen fields; validating each one was a seventh of the
/// parse's instructions).
#[derive(Clone, Copy)]
struct Text<'a> {
    valid: &'a str,
}

impl<'a> Text<'a> {
    fn new(buf: &'a [u8]) -> Self {
        let front = buf.get(..buf.len().min(TEXT_PREFIX)).unwrap_or(buf);
        let valid = match std::str::from_utf8(front) {
            Ok(s) => s,
            Err(e) => front
                .get(..e.valid_up_to())
                .and_then(|v| std::str::from_utf8(v).ok())
                .unwrap_or(""),
        };
        Text { valid }
    }

    /// `b` as text: a slice of the validated front when `b` lies inside it,
    /// else [`text`] (a copy made by unfolding or unquoting, a field past
    /// the front, invalid UTF-8).
    fn of(self, b: &'a [u8]) -> Cow<'a, str> {
        match span_in(b, self.valid.as_bytes()).and_then(|span| self.valid.get(span)) {
            Some(s) => Cow::Borrowed(s),
            None => text(b),
        }
    }
}

/// The range `part` has in `whole`, if `part` is a slice of `whole`; the
/// caller checks that with `whole.get(range)`, which does the bounds check
/// once. When `part` lies elsewhere the offset of its start wraps out of
/// range; two live borrows cannot overlap without being the same bytes, so
/// an offset inside `whole` is `part` itself.
#[inline]
pub(super) fn span_in(part: &[u8], whole: &[u8]) -> Option<std::ops::Range<usize>> {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    Some(start..start.checked_add(part.len())?)
}

/// `s` owning its text.
fn owned(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    // ndpi/sip.pcap frame 1 (UDP): REGISTER
    const REGISTER_NERO: &[u8] = b"\
REGISTER sip:sip.cybercity.dk SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.168.1.2;branch=z9hG4bKnp151248737-46ea715e192.168.1.2;rport\r\n\
From: <sip:voi18063@sip.cybercity.dk>;tag=903df0a\r\n\
To: <sip:voi18063@sip.cybercity.dk>\r\n\
Call-ID: 578222729-4665d775@578222732-4665d772\r\n\
Contact:  <sip:voi18063@192.168.1.2:5060;line=9c7d2dbd8822013c>;expires=1200;q=0.500\r\n\
Expires: 1200\r\n\
CSeq: 68 REGISTER\r\n\
Content-Length: 0\r\n\
Max-Forwards: 70\r\n\
User-Agent: Nero SIPPS IP Phone Version 2.0.51.16\r\n\
\r\n";
    // ndpi/sip.pcap frame 22 (UDP): INVITE with a 272-octet SDP body
    const INVITE_ARIK: &[u8] = b"\
INVITE sip:97239287044@voip.brujula.net SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bKnp104984053-44ce4a41192.168.1.2;rport\r\n\
From: \"arik\" <sip:816666@voip.brurjula.net>;tag=6433ef9\r\n\
To: <sip:97239287044@voip.brujula.net>\r\n\
Call-ID: 105090259-446faf7a@192.168.1.2\r\n\
CSeq: 1 INVITE\r\n\
User-Agent: Nero SIPPS IP Phone Version 2.0.51.16\r\n\
Expires: 120\r\n\
Accept: application/sdp\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 272\r\n\
Contact: <sip:816666@192.168.1.2>\r\n\
Max-Forwards: 70\r\n\
Allow: INVITE, ACK, CANCEL, BYE, REFER, OPTIONS, NOTIFY, INFO\r\n\
\r\n\
v=0\r\n\
o=SIPPS 105015165 105015162 IN IP4 192.168.1.2\r\n\
s=SIP call\r\n\
c=IN IP4 192.168.1.2\r\n\
t=0 0\r\n\
m=audio 30000 RTP/AVP 0 8 97 2 3\r\n\
a=rtpmap:0 pcmu/8000\r\n\
a=rtpmap:8 pcma/8000\r\n\
a=rtpmap:97 iLBC/8000\r\n\
a=rtpmap:2 G726-32/8000\r\n\
a=rtpmap:3 GSM/8000\r\n\
a=fmtp:97 mode=20\r\n\
a=sendrecv\r\n";
    // ndpi/sip.pcap frame 27 (UDP): CANCEL of that INVITE
    const CANCEL_ARIK: &[u8] = b"\
CANCEL sip:97239287044@voip.brujula.net SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.168.1.2;branch=z9hG4bKnp104984053-44ce4a41192.168.1.2;rport\r\n\
From: \"arik\" <sip:816666@voip.brurjula.net>;tag=6433ef9\r\n\
To: <sip:97239287044@voip.brujula.net>\r\n\
Call-ID: 105090259-446faf7a@192.168.1.2\r\n\
CSeq: 1 CANCEL\r\n\
Content-Length: 0\r\n\
Max-Forwards: 70\r\n\
User-Agent: Nero SIPPS IP Phone Version 2.0.51.16\r\n\
\r\n";
    // ndpi/sip.pcap frame 30 (UDP): 408 Request Timeout to that INVITE
    const TIMEOUT_408: &[u8] = b"\
SIP/2.0 408 Request Timeout\r\n\
Via: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bKnp104984053-44ce4a41192.168.1.2;rport=5060;received=80.230.219.70\r\n\
From: \"arik\" <sip:816666@voip.brurjula.net>;tag=6433ef9\r\n\
To: <sip:97239287044@voip.brujula.net>;tag=a6a1c5f60faecf035a1ae5b6e96e979a-6167\r\n\
Call-ID: 105090259-446faf7a@192.168.1.2\r\n\
CSeq: 1 INVITE\r\n\
Server: Sip EXpress router (0.8.12 (i386/linux))\r\n\
Content-Length: 0\r\n\
Warning: 392 200.68.120.81:5060 \"Noisy feedback tells:  pid=32753 req_src_ip=80.230.219.70 req_src_port=5060 in_uri=sip:97239287044@voip.brujula.net out_uri=sip:97239287044@voip.brujula.net via_cnt==0\"\r\n\
\r\n";
    // ndpi/sip.pcap frame 31 (UDP): ACK of the 408
    const ACK_ARIK: &[u8] = b"\
ACK sip:97239287044@voip.brujula.net SIP/2.0\r\n\
From: \"arik\" <sip:816666@voip.brurjula.net>;tag=6433ef9\r\n\
Call-ID: 105090259-446faf7a@192.168.1.2\r\n\
Via: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bKnp104984053-44ce4a41192.168.1.2;rport\r\n\
To: <sip:97239287044@voip.brujula.net>;tag=a6a1c5f60faecf035a1ae5b6e96e979a-6167\r\n\
CSeq: 1 ACK\r\n\
Content-Length: 0\r\n\
\r\n";
    // ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap frame 23 (UDP): INVITE with SDP
    const FAX_INVITE: &[u8] = b"\
INVITE sip:061963177-ikhuuep5bi123@10.35.60.100:5060;transport=udp SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.35.60.72:5060;branch=z9hG4bK.iIiIiI.0a232819.e9d4bd\r\n\
To:  <sip:061963177@italtel.it;user=phone>\r\n\
From: <sip:unavailable@hostportion>;tag=00e9d478\r\n\
Call-ID: 00e9d4a500e9d48-0015-0001-0000-0000@10.35.40.25\r\n\
CSeq:  1 INVITE\r\n\
Max-Forwards: 70\r\n\
Contact: <sip:anonymous.iIiIiI.0a232819.@10.35.60.72>\r\n\
Allow: INVITE, ACK, PRACK, CANCEL, BYE, OPTIONS, MESSAGE, NOTIFY, UPDATE, REGISTER, INFO, REFER, SUBSCRIBE\r\n\
Accept: application/sdp, application/isup, application/xml, application/dtmf-relay\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 240\r\n\
\r\n\
v=0\r\n\
o=- 191 1228500736 IN IP4 10.23.1.52\r\n\
s=IMSS\r\n\
c=IN IP4 10.23.1.52\r\n\
t=0 0\r\n\
m=audio 16756 RTP/AVP 8 103 102\r\n\
a=rtpmap:103 G726-32/8000\r\n\
a=ptime:30\r\n\
a=rtpmap:102 telephone-event/8000/1\r\n\
a=fmtp:102 0-15\r\n\
a=sqn:0\r\n\
a=cdsc:1 image udptl t38\r\n";
    // ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap frame 48 (UDP): 200 OK with SDP
    const FAX_200: &[u8] = b"\
SIP/2.0 200 OK\r\n\
Allow: INVITE,ACK,OPTIONS,BYE,CANCEL,INFO,REFER,NOTIFY,UPDATE\r\n\
Call-ID: SD4909701-9ff11bf72eb4a347c92974d8fbbc2668-ao8o3i1\r\n\
Contact: <sip:061963177@192.168.100.219:5060>\r\n\
Content-Length: 212\r\n\
Content-Type: application/sdp\r\n\
CSeq: 1 INVITE\r\n\
From: <sip:unavailable@hostportion>;tag=SD4909701-00e9d478\r\n\
Min-SE: 90\r\n\
Server: Arcor/Arcor-1.02.005t2\r\n\
Supported: replaces,timer\r\n\
To: <sip:061963177@italtel.it;user=phone>;tag=617263616479616E-331715520-5336f785-187410205\r\n\
Via: SIP/2.0/UDP 138.132.169.101:5060;branch=z9hG4bKfv2f4010787h3a8q1280.1\r\n\
\r\n\
v=0\r\n\
o=- 754580423 1 IN IP4 192.168.100.219\r\n\
s=-\r\n\
c=IN IP4 192.168.100.219\r\n\
t=0 0\r\n\
m=audio 5002 RTP/AVP 8 102\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:102 telephone-event/8000\r\n\
a=fmtp:102 0-15,32\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";
    // ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap frame 52 (UDP): ACK
    const FAX_ACK: &[u8] = b"\
ACK sip:061963177-ikhuuep5bi123@10.35.60.100:5060;transport=udp SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.35.60.72:5060;branch=z9hG4bK.iIiIiI.0a232819.e9d547\r\n\
To: <sip:061963177@italtel.it;user=phone>;tag=SD4909799-617263616479616E-331715520-5336f785-187410205\r\n\
From: <sip:unavailable@hostportion>;tag=00e9d478\r\n\
Call-ID: 00e9d4a500e9d48-0015-0001-0000-0000@10.35.40.25\r\n\
CSeq:  1 ACK\r\n\
Max-Forwards: 70\r\n\
Content-Length: 0\r\n\
\r\n";
    // ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap frame 1534 (UDP): BYE
    const FAX_BYE: &[u8] = b"\
BYE sip:061963177@10.35.60.100:5060;transport=udp SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.35.60.72:5060;branch=z9hG4bK.iIiIiI.0a232819.e9d8f6\r\n\
To: <sip:061963177@italtel.it;user=phone>;tag=SD4909799-617263616479616E-331715520-5336f785-187410205\r\n\
From: <sip:unavailable@hostportion>;tag=00e9d478\r\n\
Call-ID: 00e9d4a500e9d48-0015-0001-0000-0000@10.35.40.25\r\n\
CSeq:  6 BYE\r\n\
Max-Forwards: 70\r\n\
Reason: Q.850 ;cause=16 ;text=\"3\"\r\n\
Content-Length: 0\r\n\
\r\n";
    // ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap frame 1541 (UDP): 200 OK to a BYE
    const FAX_BYE_200: &[u8] = b"\
SIP/2.0 200 OK\r\n\
Call-ID: SD4909701-9ff11bf72eb4a347c92974d8fbbc2668-ao8o3i1\r\n\
Content-Length: 0\r\n\
CSeq: 6 BYE\r\n\
From: <sip:unavailable@hostportion>;tag=SD4909701-00e9d478\r\n\
Min-SE: 90\r\n\
Server: Arcor/Arcor-1.02.005t2\r\n\
Supported: replaces,timer\r\n\
To: <sip:061963177@italtel.it;user=phone>;tag=617263616479616E-331715520-5336f785-187410205\r\n\
Via: SIP/2.0/UDP 138.132.169.101:5060;branch=z9hG4bKknt37r003opghac9e100.1\r\n\
\r\n";
    // ndpi/sip_hello.pcapng frame 9 (UDP): REGISTER, display names without a space before <
    const HELLO_REGISTER: &[u8] = b"\
REGISTER sip:10.192.60.4 SIP/2.0\r\n\
From: \"26841945\"<sip:26841945@10.192.60.4>;tag=c085d8-ae78e54-13c4-41c244-2c55dc23-41c244\r\n\
To: \"26841945\"<sip:26841945@10.192.60.4>\r\n\
Call-ID: c15740-ae78e54-13c4-38-3e10ffda-38\r\n\
CSeq: 28715 REGISTER\r\n\
Via: SIP/2.0/UDP 10.231.142.84:5060;branch=z9hG4bK-41c244-dedbb0-7179cb70;rport\r\n\
Max-Forwards: 70\r\n\
Supported: 100rel,replaces\r\n\
Contact: <sip:26841945@10.231.142.84:5060>\r\n\
Expires: 600\r\n\
Content-Length: 0\r\n\
\r\n";

    // Synthetic, every field in compact form (RFC 3261 §7.3.3) with an escaped
    // quoted display name and a password in the To URI. Checked against
    // tshark after `text2pcap -u 5060,5060`: Call-ID, from user "alice", tag
    // 1928301774, contact user "alice", CSeq 314159 INVITE, Content-Length 4.
    const COMPACT_INVITE: &[u8] = b"\
INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
f: \"Alice \\\"A\\\" Smith\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
t: Bob <sip:+1-212-555-1212:secret@biloxi.example.com;user=phone>\r\n\
i: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
m: <sip:alice@pc33.atlanta.example.com>;expires=60, \"Other\" <sip:x@y>\r\n\
c: application/sdp\r\n\
l: 4\r\n\
\r\n\
v=0\n";

    // Synthetic, every field we read folded over continuation lines (RFC 3261
    // §7.3.1). tshark (text2pcap) reads Call-ID fold-1@a.example, from user
    // "al" tag 77, to user "bob" tag 99, CSeq 2 BYE.
    const FOLDED_BYE: &[u8] = b"\
BYE sip:bob@b.example SIP/2.0\r\n\
From:\r\n \"Al\" <sip:al@a.example>\r\n ;tag=77\r\n\
To: Bob\r\n\t<sip:bob@b.example>;tag=99\r\n\
Call-ID:\r\n  fold-1@a.example\r\n\
CSeq:\r\n 2\r\n BYE\r\n\
User-Agent: Folded\r\n  Phone/1.0\r\n\
Content-Length: 0\r\n\
\r\n";

    /// What tshark shows for a message (`sip.Call-ID`, `sip.from.user`,
    /// `sip.from.tag`, `sip.display.info`, `sip.to.user`, `sip.to.tag`,
    /// `sip.contact.user`, `sip.CSeq.seq`/`.method`, `sip.User-Agent`,
    /// `sip.Content-Length`), plus the header count and sizes.
    struct Expect {
        msg: &'static [u8],
        start: StartLine<'static>,
        call_id: &'static str,
        from_user: &'static str,
        from_tag: Option<&'static str>,
        from_display: Option<&'static str>,
        to_user: &'static str,
        to_tag: Option<&'static str>,
        contact_user: Option<&'static str>,
        cseq: (u32, &'static str),
        user_agent: Option<&'static str>,
        content_length: usize,
        headers: usize,
    }

    fn request(method: &'static str, uri: &'static str) -> StartLine<'static> {
        StartLine::Request {
            method: method.into(),
            uri: uri.into(),
        }
    }

    fn response(status: u16, reason: &'static str) -> StartLine<'static> {
        StartLine::Response {
            status,
            reason: reason.into(),
        }
    }

    const NERO: Option<&str> = Some("Nero SIPPS IP Phone Version 2.0.51.16");
    const ARIK_CALL: &str = "105090259-446faf7a@192.168.1.2";
    const FAX_CALL_A: &str = "00e9d4a500e9d48-0015-0001-0000-0000@10.35.40.25";
    const FAX_CALL_B: &str = "SD4909701-9ff11bf72eb4a347c92974d8fbbc2668-ao8o3i1";
    const FAX_URI: &str = "sip:061963177-ikhuuep5bi123@10.35.60.100:5060;transport=udp";
    const ARIK_TO_TAG: Option<&str> = Some("a6a1c5f60faecf035a1ae5b6e96e979a-6167");
    const FAX_TO_TAG_A: Option<&str> =
        Some("SD4909799-617263616479616E-331715520-5336f785-187410205");
    const FAX_TO_TAG_B: Option<&str> = Some("617263616479616E-331715520-5336f785-187410205");

    fn corpus() -> Vec<Expect> {
        vec![
            Expect {
                msg: REGISTER_NERO,
                start: request("REGISTER", "sip:sip.cybercity.dk"),
                call_id: "578222729-4665d775@578222732-4665d772",
                from_user: "voi18063",
                from_tag: Some("903df0a"),
                from_display: None,
                to_user: "voi18063",
                to_tag: None,
                contact_user: Some("voi18063"),
                cseq: (68, "REGISTER"),
                user_agent: NERO,
                content_length: 0,
                headers: 10,
            },
            Expect {
                msg: INVITE_ARIK,
                start: request("INVITE", "sip:97239287044@voip.brujula.net"),
                call_id: ARIK_CALL,
                from_user: "816666",
                from_tag: Some("6433ef9"),
                from_display: Some("arik"),
                to_user: "97239287044",
                to_tag: None,
                contact_user: Some("816666"),
                cseq: (1, "INVITE"),
                user_agent: NERO,
                content_length: 272,
                headers: 13,
            },
            Expect {
                msg: CANCEL_ARIK,
                start: request("CANCEL", "sip:97239287044@voip.brujula.net"),
                call_id: ARIK_CALL,
                from_user: "816666",
                from_tag: Some("6433ef9"),
                from_display: Some("arik"),
                to_user: "97239287044",
                to_tag: None,
                contact_user: None,
                cseq: (1, "CANCEL"),
                user_agent: NERO,
                content_length: 0,
                headers: 8,
            },
            Expect {
                msg: TIMEOUT_408,
                start: response(408, "Request Timeout"),
                call_id: ARIK_CALL,
                from_user: "816666",
                from_tag: Some("6433ef9"),
                from_display: Some("arik"),
                to_user: "97239287044",
                to_tag: ARIK_TO_TAG,
                contact_user: None,
                cseq: (1, "INVITE"),
                user_agent: None,
                content_length: 0,
                headers: 8,
            },
            Expect {
                msg: ACK_ARIK,
                start: request("ACK", "sip:97239287044@voip.brujula.net"),
                call_id: ARIK_CALL,
                from_user: "816666",
                from_tag: Some("6433ef9"),
                from_display: Some("arik"),
                to_user: "97239287044",
                to_tag: ARIK_TO_TAG,
                contact_user: None,
                cseq: (1, "ACK"),
                user_agent: None,
                content_length: 0,
                headers: 6,
            },
            Expect {
                msg: FAX_INVITE,
                start: request("INVITE", FAX_URI),
                call_id: FAX_CALL_A,
                from_user: "unavailable",
                from_tag: Some("00e9d478"),
                from_display: None,
                to_user: "061963177",
                to_tag: None,
                contact_user: Some("anonymous.iIiIiI.0a232819."),
                cseq: (1, "INVITE"),
                user_agent: None,
                content_length: 240,
                headers: 11,
            },
            Expect {
                msg: FAX_200,
                start: response(200, "OK"),
                call_id: FAX_CALL_B,
                from_user: "unavailable",
                from_tag: Some("SD4909701-00e9d478"),
                from_display: None,
                to_user: "061963177",
                to_tag: FAX_TO_TAG_B,
                contact_user: Some("061963177"),
                cseq: (1, "INVITE"),
                user_agent: None,
                content_length: 212,
                headers: 12,
            },
            Expect {
                msg: FAX_ACK,
                start: request("ACK", FAX_URI),
                call_id: FAX_CALL_A,
                from_user: "unavailable",
                from_tag: Some("00e9d478"),
                from_display: None,
                to_user: "061963177",
                to_tag: FAX_TO_TAG_A,
                contact_user: None,
                cseq: (1, "ACK"),
                user_agent: None,
                content_length: 0,
                headers: 7,
            },
            Expect {
                msg: FAX_BYE,
                start: request("BYE", "sip:061963177@10.35.60.100:5060;transport=udp"),
                call_id: FAX_CALL_A,
                from_user: "unavailable",
                from_tag: Some("00e9d478"),
                from_display: None,
                to_user: "061963177",
                to_tag: FAX_TO_TAG_A,
                contact_user: None,
                cseq: (6, "BYE"),
                user_agent: None,
                content_length: 0,
                headers: 8,
            },
            Expect {
                msg: FAX_BYE_200,
                start: response(200, "OK"),
                call_id: FAX_CALL_B,
                from_user: "unavailable",
                from_tag: Some("SD4909701-00e9d478"),
                from_display: None,
                to_user: "061963177",
                to_tag: FAX_TO_TAG_B,
                contact_user: None,
                cseq: (6, "BYE"),
                user_agent: None,
                content_length: 0,
                headers: 9,
            },
            Expect {
                msg: HELLO_REGISTER,
                start: request("REGISTER", "sip:10.192.60.4"),
                call_id: "c15740-ae78e54-13c4-38-3e10ffda-38",
                from_user: "26841945",
                from_tag: Some("c085d8-ae78e54-13c4-41c244-2c55dc23-41c244"),
                from_display: Some("26841945"),
                to_user: "26841945",
                to_tag: None,
                contact_user: Some("26841945"),
                cseq: (28715, "REGISTER"),
                user_agent: None,
                content_length: 0,
                headers: 10,
            },
            Expect {
                msg: COMPACT_INVITE,
                start: request("INVITE", "sip:bob@biloxi.example.com"),
                call_id: "a84b4c76e66710@pc33.atlanta.example.com",
                from_user: "alice",
                from_tag: Some("1928301774"),
                from_display: Some("Alice \"A\" Smith"),
                // tshark's sip.to.user keeps the password: "+1-212-555-1212:secret".
                to_user: "+1-212-555-1212",
                to_tag: None,
                contact_user: Some("alice"),
                cseq: (314159, "INVITE"),
                user_agent: None,
                content_length: 4,
                headers: 8,
            },
            Expect {
                msg: FOLDED_BYE,
                start: request("BYE", "sip:bob@b.example"),
                call_id: "fold-1@a.example",
                from_user: "al",
                from_tag: Some("77"),
                from_display: Some("Al"),
                to_user: "bob",
                to_tag: Some("99"),
                contact_user: None,
                cseq: (2, "BYE"),
                user_agent: Some("Folded Phone/1.0"),
                content_length: 0,
                headers: 6,
            },
        ]
    }

    fn user_of<'m>(addr: &'m Option<NameAddr>) -> Option<&'m str> {
        addr.as_ref().and_then(|a| user_part(&a.uri))
    }

    fn check(e: &Expect, m: &SipMessage) {
        assert_eq!(m.start, e.start);
        assert_eq!(m.call_id.as_deref(), Some(e.call_id));
        assert_eq!(user_of(&m.from).as_deref(), Some(e.from_user));
        let from = m.from.as_ref().expect("from");
        assert_eq!(from.tag.as_deref(), e.from_tag);
        assert_eq!(from.display.as_deref(), e.from_display);
        assert_eq!(user_of(&m.to).as_deref(), Some(e.to_user));
        assert_eq!(m.to.as_ref().and_then(|t| t.tag.as_deref()), e.to_tag);
        assert_eq!(user_of(&m.contact).as_deref(), e.contact_user);
        assert_eq!(m.cseq, Some((e.cseq.0, e.cseq.1.into())));
        assert_eq!(m.user_agent.as_deref(), e.user_agent);
        assert_eq!(m.content_length, Some(e.content_length));
        assert_eq!(m.headers, e.headers);
    }

    #[test]
    fn corpus_datagrams_match_tshark() {
        for e in corpus() {
            match parse_datagram(e.msg) {
                Parsed::Done { value, consumed } => {
                    check(&e, &value);
                    assert_eq!(consumed, e.msg.len());
                }
                other => panic!("{other:?} for {}", String::from_utf8_lossy(e.msg)),
            }
        }
    }

    #[test]
    fn corpus_messages_parse_the_same_from_a_stream() {
        for e in corpus() {
            match parse_message(e.msg) {
                Parsed::Done { value, consumed } => {
                    check(&e, &value);
                    assert_eq!(consumed, e.msg.len());
                }
                other => panic!("{other:?} for {}", String::from_utf8_lossy(e.msg)),
            }
        }
    }

    #[test]
    fn stream_consumes_one_message_at_a_time() {
        // INVITE (550-octet head + 272 body), then the ACK, back to back.
        let mut stream = b"\r\n\r\n".to_vec();
        stream.extend_from_slice(INVITE_ARIK);
        stream.extend_from_slice(ACK_ARIK);
        let Parsed::Done { value, consumed } = parse_message(&stream) else {
            panic!("first message");
        };
        assert_eq!(
            value.start,
            request("INVITE", "sip:97239287044@voip.brujula.net")
        );
        assert_eq!(consumed, 4 + 822);
        let Parsed::Done { value, consumed } = parse_message(&stream[consumed..]) else {
            panic!("second message");
        };
        assert_eq!(value.cseq, Some((1, "ACK".into())));
        assert_eq!(consumed, ACK_ARIK.len());
    }

    #[test]
    fn datagram_without_content_length_takes_the_rest() {
        let msg = b"MESSAGE sip:b@x SIP/2.0\r\nCall-ID: q\r\n\r\nhello";
        let Parsed::Done { value, consumed } = parse_datagram(msg) else {
            panic!("not done");
        };
        assert_eq!(value.content_length, None);
        assert_eq!(consumed, msg.len());
        // A stream without Content-Length has no body.
        let head = msg.len() - b"hello".len();
        assert!(matches!(parse_message(msg), Parsed::Done { consumed, .. } if consumed == head));
    }

    #[test]
    fn datagram_ignores_octets_past_content_length() {
        let msg = b"MESSAGE sip:b@x SIP/2.0\r\nl: 2\r\n\r\nhello";
        let head_and_body = msg.len() - b"llo".len();
        assert!(
            matches!(parse_datagram(msg), Parsed::Done { consumed, .. } if consumed == head_and_body)
        );
    }

    #[test]
    fn bare_lf_line_ends_are_accepted() {
        let msg = b"OPTIONS sip:a@b SIP/2.0\ni: lf-only\nl: 0\n\n";
        let Parsed::Done { value, consumed } = parse_datagram(msg) else {
            panic!("not done");
        };
        assert_eq!(value.call_id.as_deref(), Some("lf-only"));
        assert_eq!(consumed, msg.len());
    }

    fn with_headers(n: usize) -> Vec<u8> {
        let mut m = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
        for i in 0..n {
            m.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
        }
        m.extend_from_slice(b"\r\n");
        m
    }

    fn with_head_len(pad: usize) -> Vec<u8> {
        let mut m = b"OPTIONS sip:a@b SIP/2.0\r\nX-Pad: ".to_vec();
        m.resize(m.len() + pad, b'a');
        m.extend_from_slice(b"\r\n\r\n");
        m
    }

    #[test]
    fn header_cap_is_inclusive() {
        assert!(matches!(
            parse_datagram(&with_headers(cap::MAX_HEADERS)),
            Parsed::Done {
                value: SipMessage { headers: 128, .. },
                ..
            }
        ));
        assert_eq!(
            parse_datagram(&with_headers(cap::MAX_HEADERS + 1)),
            Parsed::Invalid(anomaly::TOO_MANY_HEADERS)
        );
    }

    #[test]
    fn head_cap_is_inclusive() {
        let fits = with_head_len(cap::MAX_HEAD - 36);
        assert_eq!(fits.len(), cap::MAX_HEAD);
        assert!(
            matches!(parse_message(&fits), Parsed::Done { consumed, .. } if consumed == cap::MAX_HEAD)
        );
        let over = with_head_len(cap::MAX_HEAD - 35);
        assert_eq!(
            parse_message(&over),
            Parsed::Invalid(anomaly::HEAD_TOO_LONG)
        );
    }

    #[test]
    fn hostile_inputs_give_the_named_outcome() {
        use anomaly::*;
        let incomplete = Parsed::Incomplete { needed: None };
        // (input, stream outcome, datagram outcome)
        let cases: Vec<(Vec<u8>, Parsed<()>, Parsed<()>)> = vec![
            // Header line cut before its CRLF: a datagram is read to its end.
            (
                b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x".to_vec(),
                incomplete.clone(),
                Parsed::Done {
                    value: (),
                    consumed: 35,
                },
            ),
            // Start line cut before its CRLF.
            (
                b"OPTIONS sip:a@b SIP/2.0".to_vec(),
                incomplete.clone(),
                Parsed::Done {
                    value: (),
                    consumed: 23,
                },
            ),
            // Every line ended, but no blank line.
            (
                b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n".to_vec(),
                incomplete.clone(),
                Parsed::Done {
                    value: (),
                    consumed: 37,
                },
            ),
            // A 20 KiB head.
            (
                with_head_len(20 * 1024),
                Parsed::Invalid(HEAD_TOO_LONG),
                Parsed::Invalid(HEAD_TOO_LONG),
            ),
            // 20 KiB of a head that never ends.
            (
                with_head_len(20 * 1024)[..20 * 1024].to_vec(),
                Parsed::Invalid(HEAD_TOO_LONG),
                Parsed::Invalid(HEAD_TOO_LONG),
            ),
            // 200 headers.
            (
                with_headers(200),
                Parsed::Invalid(TOO_MANY_HEADERS),
                Parsed::Invalid(TOO_MANY_HEADERS),
            ),
            // NUL in the start line.
            (
                b"OPTIONS sip:a\0@b SIP/2.0\r\n\r\n".to_vec(),
                Parsed::Invalid(NUL_IN_HEAD),
                Parsed::Invalid(NUL_IN_HEAD),
            ),
            // Not SIP, or a broken start line.
            (
                b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
                Parsed::Invalid(BAD_START_LINE),
                Parsed::Invalid(BAD_START_LINE),
            ),
            (
                b"SIP/2.0 99 Low\r\n\r\n".to_vec(),
                Parsed::Invalid(BAD_START_LINE),
                Parsed::Invalid(BAD_START_LINE),
            ),
            (
                b"SIP/2.0 700 High\r\n\r\n".to_vec(),
                Parsed::Invalid(BAD_START_LINE),
                Parsed::Invalid(BAD_START_LINE),
            ),
            (
                b"SIP/2.0 200OK\r\n\r\n".to_vec(),
                Parsed::Invalid(BAD_START_LINE),
                Parsed::Invalid(BAD_START_LINE),
            ),
            (
                b"SIP/2 200 OK\r\n\r\n".to_vec(),
                Parsed::Invalid(BAD_START_LINE),
                Parsed::Invalid(BAD_START_LINE),
            ),
            (
                b"INVITE sip:a@b SIP/2.0 extra\r\n\r\n".to_vec(),
                Parsed::Invalid(BAD_START_LINE),
                Parsed::Invalid(BAD_START_LINE),
            ),
            (
                b"INVITE  sip:a@b SIP/2.0\r\n\r\n".to_vec(),
                Parsed::Invalid(BAD_START_LINE),
                Parsed::Invalid(BAD_START_LINE),
            ),
            (
                b"IN(VITE sip:a@b SIP/2.0\r\n\r\n".to_vec(),
                Parsed::Invalid(BAD_START_LINE),
                Parsed::Invalid(BAD_START_LINE),
            ),
            // Keep-alives and nothing.
            (
                b"\r\n\r\n".to_vec(),
                incomplete.clone(),
                Parsed::Invalid(KEEPALIVE),
            ),
            (Vec::new(), incomplete.clone(), Parsed::Invalid(KEEPALIVE)),
        ];
        let shape = |p: Parsed<SipMessage>| p.outcome();
        for (input, stream, datagram) in cases {
            let shown = String::from_utf8_lossy(&input[..input.len().min(60)]).into_owned();
            assert_eq!(shape(parse_message(&input)), stream, "stream: {shown}");
            assert_eq!(shape(parse_datagram(&input)), datagram, "datagram: {shown}");
        }
    }

    /// Faults that leave the message readable: the field is skipped and named
    /// in `faults`, the other fields (here the Call-ID) are still read. In a
    /// stream, a bad Content-Length or a NUL stops the parse (framing).
    #[test]
    fn header_faults_skip_the_field_and_keep_the_message() {
        use anomaly::*;
        let stream_stops = Parsed::Invalid(BAD_CONTENT_LENGTH);
        // (input, faults in a datagram, stream outcome if not the same)
        let cases: Vec<(&[u8], Vec<&str>, Option<Parsed<()>>)> = vec![
            (
                b"OPTIONS sip:a@b SIP/2.0\r\ni: c1",
                vec![HEADER_WITHOUT_CRLF],
                Some(Parsed::Incomplete { needed: None }),
            ),
            (
                b"OPTIONS sip:a@b SIP/2.0\r\ni: c1\r\nno colon",
                vec![HEADER_WITHOUT_CRLF, BAD_HEADER],
                Some(Parsed::Incomplete { needed: None }),
            ),
            (
                b"OPTIONS sip:a@b SIP/2.0\r\n folded-first: x\r\ni: c1\r\n\r\n",
                vec![BAD_HEADER],
                None,
            ),
            (
                b"OPTIONS sip:a@b SIP/2.0\r\nno colon here\r\ni: c1\r\n\r\n",
                vec![BAD_HEADER],
                None,
            ),
            (
                b"OPTIONS sip:a@b SIP/2.0\r\n: empty name\r\ni: c1\r\n\r\n",
                vec![BAD_HEADER],
                None,
            ),
            // A fuzzed header name, as in ndpi/fuzz-2006-06-26-2594.pcap.
            (
                b"OPTIONS sip:a@b SIP/2.0\r\nfrom\xef \"arik\" <sip:x@y>\r\ni: c1\r\n\r\n",
                vec![BAD_HEADER],
                None,
            ),
            (
                b"OPTIONS sip:a@b SIP/2.0\r\nUser-Agent: a\0b\r\ni: c1\r\n\r\n",
                vec![NUL_IN_HEAD],
                Some(Parsed::Invalid(NUL_IN_HEAD)),
            ),
            (
                b"OPTIONS sip:a@b SIP/2.0\r\ni: c1\r\nContent-Length: -1\r\n\r\n",
                vec![BAD_CONTENT_LENGTH],
                Some(stream_stops.clone()),
            ),
            (
                b"OPTIONS sip:a@b SIP/2.0\r\ni: c1\r\nContent-Length: 12abc\r\n\r\n",
                vec![BAD_CONTENT_LENGTH],
                Some(stream_stops.clone()),
            ),
            (
                b"OPTIONS sip:a@b SIP/2.0\r\ni: c1\r\nContent-Length:\r\n\r\n",
                vec![BAD_CONTENT_LENGTH],
                Some(stream_stops.clone()),
            ),
            (
                b"OPTIONS sip:a@b SIP/2.0\r\ni: c1\r\nl: 99999999999999999999999\r\n\r\n",
                vec![BAD_CONTENT_LENGTH],
                Some(stream_stops.clone()),
            ),
            // Above cap::MAX_BODY.
            (
                b"OPTIONS sip:a@b SIP/2.0\r\ni: c1\r\nContent-Length: 1048577\r\n\r\n",
                vec![BAD_CONTENT_LENGTH],
                Some(stream_stops.clone()),
            ),
            // Two Content-Lengths that disagree: neither is believed.
            (
                b"OPTIONS sip:a@b SIP/2.0\r\ni: c1\r\nl: 0\r\nContent-Length: 5\r\n\r\nhello",
                vec![BAD_CONTENT_LENGTH],
                Some(stream_stops.clone()),
            ),
            // Content-Length larger than what follows (42-octet head).
            (
                b"OPTIONS sip:a@b SIP/2.0\r\ni: c1\r\nl: 500\r\n\r\nv=0\r\n",
                vec![BODY_TRUNCATED],
                Some(Parsed::Incomplete {
                    needed: Some(42 + 500),
                }),
            ),
        ];
        for (input, faults, stream) in cases {
            let shown = String::from_utf8_lossy(input).into_owned();
            let Parsed::Done { value, consumed } = parse_datagram(input) else {
                panic!("datagram not read: {shown}");
            };
            assert_eq!(value.faults, faults, "{shown}");
            assert_eq!(value.call_id.as_deref(), Some("c1"), "{shown}");
            assert_eq!(consumed, input.len(), "{shown}");
            match stream {
                Some(outcome) => assert_eq!(parse_message(input).outcome(), outcome, "{shown}"),
                None => {
                    let m = parse_message(input).value().unwrap();
                    assert_eq!(m.faults, faults, "stream: {shown}");
                }
            }
        }
    }

    /// Fields are sliced from the front validated once ([`Text`]); a field
    /// past it, after invalid UTF-8 or straddling its end reads the same as
    /// one validated on its own.
    #[test]
    fn fields_read_the_same_inside_and_past_the_validated_front() {
        let mut m = b"INVITE sip:a@b SIP/2.0\r\nFrom: <sip:caf\xc3\xa9@x>;tag=t1\r\n".to_vec();
        // Puts the 'é' of the User-Agent across TEXT_PREFIX: its first octet
        // is the last one validated at once.
        let pad = TEXT_PREFIX - m.len() - "X-Pad: \r\nUser-Agent: ph".len() - 1;
        m.extend_from_slice(b"X-Pad: ");
        m.extend(std::iter::repeat_n(b'a', pad));
        m.extend_from_slice(b"\r\nUser-Agent: ph\xc3\xa9\r\n");
        m.extend_from_slice(b"To: <sip:b@y>\r\nSubject: bad\xff\r\ni: c1\r\n\r\n");
        assert!(Text::new(&m).valid.len() < TEXT_PREFIX, "the 'é' is cut");
        let Parsed::Done { value, .. } = parse_datagram(&m) else {
            panic!("not read");
        };
        let from = value.from.unwrap();
        assert!(matches!(from.uri, Cow::Borrowed("sip:café@x")));
        assert_eq!(from.tag.as_deref(), Some("t1"));
        assert!(matches!(value.user_agent, Some(Cow::Borrowed("phé"))));
        assert!(matches!(value.to.unwrap().uri, Cow::Borrowed("sip:b@y")));
        assert_eq!(value.call_id.as_deref(), Some("c1"));

        // Invalid UTF-8 early: the front stops there, later fields still read.
        let m = b"OPTIONS sip:a@b SIP/2.0\r\nUser-Agent: x\xff\r\nFrom: <sip:c@d>\r\ni: c2\r\n\r\n";
        let Parsed::Done { value, .. } = parse_datagram(m) else {
            panic!("not read");
        };
        assert_eq!(value.user_agent.as_deref(), Some("x\u{fffd}"));
        assert_eq!(value.from.unwrap().uri, "sip:c@d");
        assert_eq!(value.call_id.as_deref(), Some("c2"));
    }

    /// [`find`] agrees with a plain search for every octet, at every
    /// position around its word and [`SHORT`] boundaries.
    #[test]
    fn find_agrees_with_a_plain_search() {
        for len in 0..(SHORT + 20) {
            for pos in 0..len {
                let mut s: Vec<u8> = (0..len).map(|i| (i % 7) as u8 + b'a').collect();
                for b in [b'\n', 0x80, 0xff, 0x00, b'@'] {
                    let was = s[pos];
                    s[pos] = b;
                    let want = s.iter().position(|&c| c == b);
                    assert_eq!(find(b, &s), want, "len {len} pos {pos} octet {b:#x}");
                    s[pos] = was;
                }
                assert_eq!(find(b'z', &s), None);
            }
        }
    }

    #[test]
    fn name_addr_forms() {
        // (value, Some((display, uri, tag)) or None when unparseable)
        type Want = Option<(Option<&'static str>, &'static str, Option<&'static str>)>;
        let cases: [(&[u8], Want); 10] = [
            (
                b"\"Alice\" <sip:alice@x>;tag=1",
                Some((Some("Alice"), "sip:alice@x", Some("1"))),
            ),
            (b"<sip:alice@x>", Some((None, "sip:alice@x", None))),
            // §20.10: without <>, ';' parameters belong to the header.
            (
                b"sip:alice@x;tag=abc",
                Some((None, "sip:alice@x", Some("abc"))),
            ),
            (
                b"Alice Smith <sip:alice@x;transport=tcp> ; TAG = t9",
                Some((Some("Alice Smith"), "sip:alice@x;transport=tcp", Some("t9"))),
            ),
            (b"\"\" <sip:a@x>", Some((None, "sip:a@x", None))),
            (b"\"a\\\\b\" <tel:+1>", Some((Some("a\\b"), "tel:+1", None))),
            (b"*", Some((None, "*", None))),
            (b"\"unterminated <sip:a@x>", None),
            (b"<sip:a@x", None),
            (b"<>", None),
        ];
        for (input, want) in cases {
            let got = parse_name_addr(Text::new(input), input);
            let want = want.map(|(d, u, t)| NameAddr {
                display: d.map(Into::into),
                uri: u.into(),
                tag: t.map(Into::into),
            });
            assert_eq!(got, want, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn contact_keeps_the_first_of_a_list() {
        assert_eq!(
            first_element(b"\"a,b\" <sip:1@x;p=<q>>, <sip:2@y>"),
            b"\"a,b\" <sip:1@x;p=<q>>"
        );
    }

    #[test]
    fn user_part_of_each_scheme() {
        let cases = [
            ("sip:+290123456@pbx.example;user=phone", Some("+290123456")),
            ("tel:+33-1-23-45", Some("+33-1-23-45")),
            (
                "tel:+33-1-23-45;phone-context=example.com",
                Some("+33-1-23-45"),
            ),
            ("sips:alice:pw@x.example", Some("alice")),
            ("SIP:Bob@x", Some("Bob")),
            ("sip:x.example", None),
            ("sip:@x.example", None),
            ("mailto:a@b", None),
            ("tel:", None),
            ("", None),
        ];
        for (uri, want) in cases {
            assert_eq!(user_part(uri).as_deref(), want, "{uri}");
        }
    }

    #[test]
    fn number_keeps_digits_and_leading_plus() {
        let cases = [
            ("sip:+290123456@pbx.example;user=phone", Some("+290123456")),
            ("tel:+33-1-23-45", Some("+3312345")),
            ("tel:+1 (212) 555.1212", Some("+12125551212")),
            ("sip:0097239287044@voip.example", Some("0097239287044")),
            ("sip:+1234;npdi@gw.example", Some("+1234")),
            ("sip:alice@x", None),
            ("sip:12+34@x", None),
            ("sip:12@x", None),
            ("tel:+123456789012345678901", None),
            ("sip:anonymous@x", None),
        ];
        for (uri, want) in cases {
            assert_eq!(number(uri).as_deref(), want, "{uri}");
        }
    }

    #[test]
    fn header_names_match_long_and_compact_forms() {
        let cases: [(&[u8], HeaderName); 12] = [
            (b"i", HeaderName::CallId),
            (b"CALL-ID", HeaderName::CallId),
            (b"F", HeaderName::From),
            (b"t", HeaderName::To),
            (b"m", HeaderName::Contact),
            (b"l", HeaderName::ContentLength),
            (b"v", HeaderName::Via),
            (b"c", HeaderName::ContentType),
            (b"s", HeaderName::Subject),
            (b"k", HeaderName::Supported),
            (b"e", HeaderName::ContentEncoding),
            (b"x", HeaderName::Other),
        ];
        for (name, want) in cases {
            assert_eq!(header_name(name), want);
        }
    }

    #[test]
    fn looks_like_sip_on_corpus_and_others() {
        for e in corpus() {
            assert!(looks_like_sip(e.msg), "{}", String::from_utf8_lossy(e.msg));
        }
        let not_sip: [&[u8]; 8] = [
            b"",
            b"GET / HTTP/1.1\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"INVITE http://x SIP/2.0\r\n",
            b"INVITE sip:a@b SIP/2.0",
            b"FOO sip:a@b SIP/2.0\r\n",
            b"SIP/2.0 2",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        ];
        for buf in not_sip {
            assert!(!looks_like_sip(buf), "{}", String::from_utf8_lossy(buf));
        }
        assert!(looks_like_sip(b"\r\nSIP/2.0 180 Ringing\r\n"));
        assert!(looks_like_sip(b"MESSAGE tel:+331234 SIP/2.0\r\n"));
    }

    #[test]
    fn every_prefix_is_incomplete_in_a_stream_and_cut_as_a_datagram() {
        for e in corpus() {
            for len in 0..e.msg.len() {
                let prefix = &e.msg[..len];
                assert!(
                    matches!(parse_message(prefix), Parsed::Incomplete { .. }),
                    "stream prefix {len} of {}",
                    String::from_utf8_lossy(e.msg)
                );
                // A datagram cut in its start line is refused; cut later, it
                // is read and says how it was cut.
                match parse_datagram(prefix) {
                    Parsed::Invalid(_) => {}
                    Parsed::Done { value, consumed } => {
                        let cut = value.faults.first().copied();
                        assert!(
                            cut == Some(anomaly::BODY_TRUNCATED)
                                || cut == Some(anomaly::HEADER_WITHOUT_CRLF),
                            "datagram prefix {len}: {:?}",
                            value.faults
                        );
                        assert_eq!(consumed, len);
                    }
                    Parsed::Incomplete { .. } => panic!("datagram prefix {len} incomplete"),
                }
            }
        }
    }

    #[test]
    fn bit_flips_never_panic_nor_overrun() {
        for e in corpus() {
            let mut buf = e.msg.to_vec();
            for i in 0..buf.len() {
                let original = buf[i];
                for flipped in [
                    original ^ 0x01,
                    original ^ 0x20,
                    original ^ 0x80,
                    0,
                    b'\n',
                    b':',
                ] {
                    buf[i] = flipped;
                    for outcome in [parse_message(&buf), parse_datagram(&buf)] {
                        if let Parsed::Done { consumed, .. } = outcome {
                            assert!(consumed <= buf.len());
                        }
                    }
                    let _ = looks_like_sip(&buf);
                }
                buf[i] = original;
            }
        }
    }
}
