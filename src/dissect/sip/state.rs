//! Per-flow SIP state: INVITE/200/ACK/BYE/CANCEL turned into call records.
//!
//! Dialogs are keyed by Call-ID within the flow (a PBX and its trunk may carry
//! every call on one 5060↔5060 flow), at most [`MAX_CALLS`] open at once (the
//! oldest is written out, `end_reason: evicted`, to make room). A
//! [`SipRecord`] — for an INVITE, the call detail record an operator or a
//! toll-fraud detector sees — is emitted when the call ends: BYE, CANCEL, a
//! final error to the INVITE, or the end of the flow. Other transactions
//! (REGISTER, OPTIONS, MESSAGE, SUBSCRIBE...) give one record each, with their
//! method and final status, when that status arrives.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use serde::Serialize;

use super::parser::{
    SipMessage, StartLine, parse_datagram, parse_message, phone_number, span_in, user_part,
};
use crate::decode::ipproto;
use crate::dissect::{
    Cx, Direction, Dissector, JoinKey, Parsed, Prepared, Preparer, Probe, ProbeCtx, Progress,
    Record, Session,
};
use crate::record::facet::{Facets, Medium, Role};
use crate::record::secs;

/// Most calls open at once in one flow.
pub const MAX_CALLS: usize = 1024;

/// One call, as in an operator's call detail record. Its text fields live in
/// one allocation made when the call opens (a flood of INVITEs writes a
/// record a packet); it is written as the JSON object of
/// [`SipRecordFields`].
#[derive(Clone, Debug, PartialEq)]
pub struct SipRecord {
    /// Join key; `ts` is the INVITE's time.
    pub id: JoinKey,
    text: CallText,
    /// Whether the call was answered (a 2xx to the INVITE).
    pub answered: bool,
    /// Final status code of the INVITE, if seen.
    pub status: Option<u16>,
    /// Seconds from INVITE to answer.
    pub setup: Option<f64>,
    /// Seconds from answer to hang-up (answered calls that ended within the capture).
    pub duration: Option<f64>,
    /// Calls: `bye`, `cancel`, `rejected`, `unanswered`, `eof` (still up at
    /// the end) or `evicted` (pushed out by [`MAX_CALLS`] newer dialogs). Other
    /// methods: `answered` (a final status), `eof` or `evicted`.
    pub end_reason: &'static str,
}

/// A [`SipRecord`] as it is written, field by field.
#[derive(Serialize)]
pub struct SipRecordFields<'r> {
    /// Join key; `ts` is the INVITE's time.
    #[serde(flatten)]
    pub id: &'r JoinKey,
    /// Call-ID.
    pub call_id: &'r str,
    /// The dialog's first method: `INVITE` for a call, else `REGISTER`, `OPTIONS`...
    pub method: &'r str,
    /// From URI (the caller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<&'r str>,
    /// To URI (the callee).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<&'r str>,
    /// Caller's number (or user part) from the From URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<Cow<'r, str>>,
    /// Callee's number (or user part) from the To URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callee: Option<Cow<'r, str>>,
    /// User-Agent of the INVITE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<&'r str>,
    /// See [`SipRecord::answered`].
    pub answered: bool,
    /// See [`SipRecord::status`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// See [`SipRecord::setup`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup: Option<f64>,
    /// See [`SipRecord::duration`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// See [`SipRecord::end_reason`].
    pub end_reason: &'static str,
}

impl SipRecord {
    /// The record's fields, text included. Caller and callee are read from
    /// the From and To URIs here, when the record is written or selected on,
    /// rather than from every message of the call as it goes by: a record
    /// nobody reads costs nothing more (a flood of INVITEs makes one a
    /// packet), and one that is read costs one reading.
    pub fn fields(&self) -> SipRecordFields<'_> {
        let t = &self.text;
        let (from, to) = (t.get(FROM), t.get(TO));
        SipRecordFields {
            id: &self.id,
            call_id: t.get(CALL_ID).unwrap_or(""),
            method: t.get(METHOD).unwrap_or(""),
            from,
            to,
            caller: who(from),
            callee: who(to),
            user_agent: t.get(USER_AGENT),
            answered: self.answered,
            status: self.status,
            setup: self.setup,
            duration: self.duration,
            end_reason: self.end_reason,
        }
    }
}

impl Serialize for SipRecord {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.fields().serialize(s)
    }
}

/// Where each text field of a call sits in [`CallText`].
const CALL_ID: usize = 0;
const METHOD: usize = 1;
const FROM: usize = 2;
const TO: usize = 3;
const USER_AGENT: usize = 4;
const TEXT_FIELDS: usize = 5;

/// The text fields of a call, one after another in one buffer. Each field
/// is UTF-8 (a [`Digest`]'s spans are slices of text the parser checked); it
/// is checked again only when read as text, for a record, not on the way in:
/// the call state compares fields as bytes.
#[derive(Clone, Debug, PartialEq)]
struct CallText {
    text: Box<[u8]>,
    /// Each field's `start..end` in `text`; `None` when absent.
    spans: [Option<(u32, u32)>; TEXT_FIELDS],
}

impl CallText {
    fn new(fields: [Option<&[u8]>; TEXT_FIELDS]) -> CallText {
        let len = fields.iter().flatten().map(|f| f.len()).sum();
        let mut text = Vec::with_capacity(len);
        let mut spans = [None; TEXT_FIELDS];
        for (span, field) in spans.iter_mut().zip(fields) {
            if let Some(f) = field {
                let start = text.len();
                text.extend_from_slice(f);
                // A message head is at most 16 KiB: offsets fit in 32 bits.
                *span = Some((start as u32, text.len() as u32));
            }
        }
        CallText {
            text: text.into_boxed_slice(),
            spans,
        }
    }

    fn bytes(&self, field: usize) -> Option<&[u8]> {
        let (start, end) = (*self.spans.get(field)?)?;
        self.text.get(start as usize..end as usize)
    }

    /// A field as text (`None` if absent, or if it were not UTF-8, which a
    /// field cut from text cannot be).
    fn get(&self, field: usize) -> Option<&str> {
        std::str::from_utf8(self.bytes(field)?).ok()
    }
}

impl Record for SipRecord {
    fn protocol(&self) -> &'static str {
        "sip"
    }
    fn key(&self) -> &JoinKey {
        &self.id
    }

    fn facets(&self, f: &mut Facets) -> bool {
        // Only calls: a REGISTER or an OPTIONS reaches no one.
        if self.text.get(METHOD) != Some("INVITE") {
            return false;
        }
        let t = &self.text;
        f.party(Medium::Phone, Role::From, who(t.get(FROM)).as_deref())
            .party(Medium::Phone, Role::To, who(t.get(TO)).as_deref())
            .duration_s(self.duration);
        true
    }
}

/// The SIP dissector.
pub struct Sip;

/// The registry's instance.
pub static SIP: Sip = Sip;

impl Dissector for Sip {
    fn name(&self) -> &'static str {
        "sip"
    }

    fn kind(&self) -> &'static str {
        "call"
    }

    fn columns(&self) -> &'static [&'static str] {
        &[
            "ts",
            "flow_id",
            "orig_h",
            "orig_p",
            "resp_h",
            "resp_p",
            "proto",
            "call_id",
            "method",
            "from",
            "to",
            "caller",
            "callee",
            "user_agent",
            "answered",
            "status",
            "setup",
            "duration",
            "end_reason",
        ]
    }

    fn probe(&self, ctx: &ProbeCtx, _dir: Direction, data: &[u8]) -> Probe {
        if super::parser::looks_like_sip(data) {
            Probe::Yes
        } else if ctx.proto == ipproto::TCP && data.len() < 64 && !data.contains(&b'\n') {
            Probe::NeedMore
        } else {
            Probe::No
        }
    }

    fn start(&self) -> Box<dyn Session> {
        Box::<SipSession>::default()
    }

    fn preparer(&self) -> Option<Preparer> {
        Some(|data| Prepared::Sip(Digest::of_datagram(data)))
    }
}

struct Call {
    /// Call-ID (the table's key), method, From and To URIs, User-Agent:
    /// moved into the record when the call ends.
    text: CallText,
    /// Opening number within the flow (see [`SipSession::order`]).
    opened: u64,
    start_ns: i64,
    answered_ns: Option<i64>,
    status: Option<u16>,
}

impl Call {
    fn call_id(&self) -> &[u8] {
        self.text.bytes(CALL_ID).unwrap_or_default()
    }

    fn is_invite(&self) -> bool {
        self.text.bytes(METHOD) == Some(b"INVITE")
    }
}

/// Open dialogs, found by the hash of their Call-ID, and their opening order
/// (for eviction and for the end of the flow) as `(opened, hash)` pairs, so
/// that each Call-ID is stored once. `order` may hold entries of dialogs
/// already ended: an entry is live while a call with its hash has the same
/// `opened` number (opening numbers are unique within the flow).
#[derive(Default)]
struct SipSession {
    calls: HashTable<Call>,
    order: VecDeque<(u64, u64)>,
    opened: u64,
}

/// The caller's or callee's number, or else the user part, of a URI.
fn who(uri: Option<&str>) -> Option<Cow<'_, str>> {
    let user = user_part(uri?)?;
    phone_number(user).or(Some(Cow::Borrowed(user)))
}

/// The hash of a Call-ID in a session's table: fixed (foldhash's fixed seed),
/// so that a [`Digest`] made on any thread carries the same one.
fn call_hash(call_id: &[u8]) -> u64 {
    FixedState::default().hash_one(call_id)
}

impl SipSession {
    /// Writes the record of a call taken out of the table.
    fn end(cx: &mut Cx<'_>, c: Call, end_ns: Option<i64>, reason: &'static str) {
        let duration = match (c.answered_ns, end_ns) {
            (Some(a), Some(e)) => Some(secs(e - a)),
            _ => None,
        };
        cx.emit(SipRecord {
            id: cx.key(c.start_ns),
            text: c.text,
            answered: c.answered_ns.is_some(),
            status: c.status,
            setup: c.answered_ns.map(|a| secs(a - c.start_ns)),
            duration,
            end_reason: reason,
        });
    }

    /// Takes the oldest dialog still open out of the table, if any (dropping
    /// ended ones from `order`).
    fn take_oldest(&mut self) -> Option<Call> {
        while let Some((opened, hash)) = self.order.pop_front() {
            if let Ok(entry) = self.calls.find_entry(hash, |c| c.opened == opened) {
                return Some(entry.remove().0);
            }
        }
        None
    }

    /// Applies one message's digest: what the message says, then the call
    /// state it changes.
    fn on_digest(&mut self, cx: &mut Cx<'_>, d: &Digest, data: &[u8]) {
        for &fault in &d.faults {
            cx.anomaly(fault);
        }
        let Some(m) = &d.call else {
            return;
        };
        let fields = m.fields(data);
        let call_id = fields[CALL_ID].unwrap_or_default();
        let hash = m.hash;
        let found = self.calls.find(hash, |c| c.call_id() == call_id).is_some();
        let method = fields[METHOD];
        let is = |name: &str| method == Some(name.as_bytes());
        let (ack, bye, cancel) = (is("ACK"), is("BYE"), is("CANCEL"));
        // A dialog starts with its first message seen: usually the request, but
        // a capture may begin with the response (whose CSeq names the method).
        let opening = !found
            && match m.start {
                Kind::Request => !ack,
                Kind::Response(_) => method.is_some(),
            };
        let mut entry = if opening {
            if self.calls.len() >= MAX_CALLS {
                // The oldest open dialog gives way: its record is written now,
                // so a flood of INVITEs loses no call and holds bounded state.
                cx.anomaly("sip.too_many_calls");
                if let Some(oldest) = self.take_oldest() {
                    Self::end(cx, oldest, None, "evicted");
                }
            }
            if self.order.len() > 2 * self.calls.len() + 64 {
                // Ended dialogs leave stale entries behind: keep `order` bounded.
                let calls = &self.calls;
                self.order
                    .retain(|&(opened, hash)| calls.find(hash, |c| c.opened == opened).is_some());
            }
            self.opened += 1;
            self.order.push_back((self.opened, hash));
            let call = Call {
                text: CallText::new(fields),
                opened: self.opened,
                start_ns: cx.ts_ns,
                answered_ns: None,
                status: None,
            };
            self.calls
                .insert_unique(hash, call, |c| call_hash(c.call_id()))
        } else {
            match self.calls.find_entry(hash, |c| c.call_id() == call_id) {
                Ok(entry) => entry,
                Err(_) => return,
            }
        };
        let c = entry.get_mut();
        let is_call = c.is_invite();
        let ended = match m.start {
            Kind::Response(status) if !is_call && status >= 200 => {
                c.status = Some(status);
                Some("answered")
            }
            Kind::Request if is_call && bye => Some("bye"),
            Kind::Request if is_call && cancel && c.answered_ns.is_none() => Some("cancel"),
            Kind::Response(status) if is_call && m.invite_cseq && status >= 200 => {
                if c.status.is_none() {
                    c.status = Some(status);
                }
                if status < 300 {
                    c.answered_ns.get_or_insert(cx.ts_ns);
                    None
                } else if c.answered_ns.is_none() {
                    // 487 answers a CANCEL: the CANCEL already ended the call.
                    Some("rejected")
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some(reason) = ended {
            Self::end(cx, entry.remove().0, Some(cx.ts_ns), reason);
        }
    }
}

/// Whether a message is a request or a response (and its status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Request,
    Response(u16),
}

/// What the call state reads of one message, worked out from the message
/// alone: where each text field the call keeps lies in the message's bytes,
/// and the Call-ID's hash. A datagram's digest needs no flow state, so it can
/// be made ahead, on another thread ([`Dissector::preparer`]); the state then
/// only looks the call up and copies the fields out of the same bytes. It
/// allocates nothing unless a field is not a slice of the bytes (a folded
/// value, or one whose invalid UTF-8 was replaced): memory taken on one
/// thread and given back on another is what slows a helped flow most.
#[derive(Debug, PartialEq)]
pub struct Digest {
    /// Anomalies to count: the message's faults, or why it was not read.
    faults: Vec<&'static str>,
    /// Nothing when the message has no Call-ID.
    call: Option<CallDigest>,
}

#[derive(Debug, PartialEq)]
struct CallDigest {
    /// The Call-ID's hash, as the session's table hashes it.
    hash: u64,
    /// Call-ID, method, From and To URIs, User-Agent, as [`CallText`]
    /// orders them. The method is the request's, or for a
    /// response its CSeq's (the method of a dialog seen from its response on).
    fields: [Piece; TEXT_FIELDS],
    /// The text of the pieces the parser made, one after another (empty,
    /// unallocated, when all are slices of the bytes).
    made: String,
    start: Kind,
    /// Whether the CSeq method is INVITE.
    invite_cseq: bool,
}

/// Where a field's text is: a few octets, so that a digest moves cheaply.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Piece {
    Absent,
    /// These octets of the message's bytes (UTF-8).
    Data(u32, u32),
    /// These octets of [`CallDigest::made`]: text the parser made, not in
    /// the bytes as such.
    Made(u32, u32),
}

impl Piece {
    fn of(s: &str, data: &[u8], made: &mut String) -> Piece {
        match span_in(s.as_bytes(), data).filter(|span| data.get(span.clone()).is_some()) {
            // A message head is at most 16 KiB: offsets fit in 32 bits.
            Some(span) => Piece::Data(span.start as u32, span.end as u32),
            None => {
                let start = made.len();
                made.push_str(s);
                Piece::Made(start as u32, made.len() as u32)
            }
        }
    }
}

impl CallDigest {
    /// The fields, read from the bytes the digest was made of: UTF-8, as
    /// the text they were cut from.
    fn fields<'d>(&'d self, data: &'d [u8]) -> [Option<&'d [u8]>; TEXT_FIELDS] {
        let mut out = [None; TEXT_FIELDS];
        for (field, piece) in out.iter_mut().zip(&self.fields) {
            *field = match *piece {
                Piece::Absent => None,
                Piece::Data(start, end) => data.get(start as usize..end as usize),
                Piece::Made(start, end) => self.made.as_bytes().get(start as usize..end as usize),
            };
        }
        out
    }
}

impl Digest {
    /// The digest of a message parsed from `data`.
    fn of(m: &SipMessage<'_>, data: &[u8]) -> Digest {
        let faults = m.faults.clone();
        let Some(call_id) = m.call_id.as_deref() else {
            return Digest { faults, call: None };
        };
        let cseq_method = m.cseq.as_ref().map(|(_, method)| method.as_ref());
        let (start, method) = match &m.start {
            StartLine::Request { method, .. } => (Kind::Request, Some(method.as_ref())),
            StartLine::Response { status, .. } => (Kind::Response(*status), cseq_method),
        };
        let fields = [
            Some(call_id),
            method,
            m.from.as_ref().map(|n| n.uri.as_ref()),
            m.to.as_ref().map(|n| n.uri.as_ref()),
            m.user_agent.as_deref(),
        ];
        let mut call = CallDigest {
            hash: call_hash(call_id.as_bytes()),
            fields: [Piece::Absent; TEXT_FIELDS],
            made: String::new(),
            start,
            invite_cseq: cseq_method == Some("INVITE"),
        };
        for (piece, field) in call.fields.iter_mut().zip(fields) {
            if let Some(f) = field {
                *piece = Piece::of(f, data, &mut call.made);
            }
        }
        Digest {
            faults,
            call: Some(call),
        }
    }

    /// The digest of one datagram (UDP): its message's, or the anomaly that
    /// stopped the parse (none for a keep-alive).
    pub fn of_datagram(data: &[u8]) -> Digest {
        let fault = match parse_datagram(data) {
            Parsed::Done { value, .. } => return Digest::of(&value, data),
            Parsed::Invalid("sip.keepalive") => None,
            Parsed::Invalid(a) => Some(a),
            Parsed::Incomplete { .. } => Some("sip.truncated"),
        };
        Digest {
            faults: fault.into_iter().collect(),
            call: None,
        }
    }
}

impl Session for SipSession {
    fn feed(&mut self, cx: &mut Cx<'_>, _dir: Direction, data: &[u8]) -> Progress {
        if cx.ends.proto != ipproto::TCP {
            self.on_digest(cx, &Digest::of_datagram(data), data);
            return Progress::Consumed(data.len() as u64);
        }
        let mut used = 0;
        loop {
            match parse_message(&data[used..]) {
                Parsed::Done { value, consumed } => {
                    let message = &data[used..];
                    self.on_digest(cx, &Digest::of(&value, message), message);
                    used += consumed.max(1);
                }
                Parsed::Incomplete { .. } => return Progress::Consumed(used as u64),
                Parsed::Invalid(a) => {
                    // A stream cannot be resynchronised safely: stop here.
                    cx.anomaly(a);
                    self.finish(cx);
                    return Progress::Done;
                }
            }
        }
    }

    fn feed_prepared(
        &mut self,
        cx: &mut Cx<'_>,
        dir: Direction,
        data: &[u8],
        prepared: &Prepared,
    ) -> Progress {
        match prepared {
            Prepared::Sip(digest) if cx.ends.proto != ipproto::TCP => {
                self.on_digest(cx, digest, data);
                Progress::Consumed(data.len() as u64)
            }
            _ => self.feed(cx, dir, data),
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        // In the order the dialogs opened.
        while let Some(c) = self.take_oldest() {
            let reason = if c.answered_ns.is_some() {
                "eof"
            } else {
                "unanswered"
            };
            Self::end(cx, c, None, reason);
        }
    }
}
