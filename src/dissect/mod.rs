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
//! The framework around them: a protocol implements [`Dissector`] (probe a
//! flow's first bytes, start a [`Session`]) and is listed in [`registry`] — one
//! line. [`engine::FlowApp`] is the per-flow state kept in the flow table: it
//! probes every registered dissector by content (ports are only a hint), reassembles
//! TCP in order per direction ([`stream`]), feeds the claiming session and
//! finishes it when the flow ends. Sessions emit records that start with the
//! shared [`JoinKey`] and implement [`Record`].
//!
//! This module knows nothing of scenarios or policy.

pub mod engine;
pub mod prefix;
pub mod stream;

pub mod bittorrent;
pub mod dns;
pub mod http;
pub mod ipsec;
pub mod openvpn;
pub mod quic;
pub mod sip;
pub mod smtp;
pub mod starttls;
pub mod tls;
pub mod whois;
pub mod wireguard;

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
    /// The outcome without the value: for comparing outcomes in tables.
    pub fn outcome(&self) -> Parsed<()> {
        match self {
            Parsed::Done { consumed, .. } => Parsed::Done {
                value: (),
                consumed: *consumed,
            },
            Parsed::Incomplete { needed } => Parsed::Incomplete { needed: *needed },
            Parsed::Invalid(a) => Parsed::Invalid(a),
        }
    }

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

impl Direction {
    /// The direction of a packet sent by the originator or not.
    pub fn from_orig(from_orig: bool) -> Direction {
        if from_orig {
            Direction::ToResponder
        } else {
            Direction::ToOriginator
        }
    }
}

use std::collections::BTreeMap;

use serde::Serialize;

use crate::decode::Addr;
use crate::flow::FlowEnds;
use crate::record::facet::{Facets, Scope};
use crate::record::{ProtoName, secs};

/// Every dissector, in probing order. Adding a protocol adds one line here.
#[rustfmt::skip]
static REGISTRY: &[&dyn Dissector] = &[
    &tls::TLS,
    &quic::QUIC,
    &dns::DNS,
    &sip::SIP,
    &smtp::SMTP,
    &http::HTTP,
    &bittorrent::BITTORRENT,
    &whois::WHOIS,
    &wireguard::WIREGUARD,
    &openvpn::OPENVPN,
    &ipsec::IPSEC,
    &starttls::STARTTLS,
];

/// Whether `data` reads as text: no control byte but tab, CR and LF.
pub fn is_text(data: &[u8]) -> bool {
    data.iter()
        .all(|&b| b >= 0x20 && b != 0x7f || matches!(b, b'\t' | b'\r' | b'\n'))
}

/// One text line from the front of `data`: its bytes without the line end
/// (LF, or CRLF); `consumed` includes the line end. A line of `max_line`
/// bytes or more without an end is `too_long` (the caller's anomaly name).
pub fn text_line<'a>(data: &'a [u8], max_line: usize, too_long: &'static str) -> Parsed<&'a [u8]> {
    let window = &data[..data.len().min(max_line)];
    match window.iter().position(|&b| b == b'\n') {
        Some(eol) => {
            let line = &window[..eol];
            Parsed::Done {
                value: line.strip_suffix(b"\r").unwrap_or(line),
                consumed: eol + 1,
            }
        }
        None if data.len() >= max_line => Parsed::Invalid(too_long),
        None => Parsed::Incomplete { needed: None },
    }
}

/// `bytes` as text (lossy UTF-8) of at most `max` bytes, cut on a character
/// boundary: a value a record keeps.
pub fn capped_text(bytes: &[u8], max: usize) -> String {
    let mut s = String::from_utf8_lossy(bytes).into_owned();
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Every dissector, in probing order.
pub fn registry() -> &'static [&'static dyn Dissector] {
    REGISTRY
}

/// How much a box can read of a protocol's flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readable {
    /// What it names is in the clear (a DNS query, a Host header, a number).
    Clear,
    /// Encrypted, with the server's name visible (TLS, QUIC).
    ServerName,
    /// A tunnel: the server, nothing of what goes through it.
    Tunnel,
}

/// What a dissector thinks of a flow from its first payload bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// This protocol: start a session.
    Yes,
    /// Not this protocol.
    No,
    /// Cannot tell yet: ask again with more bytes.
    NeedMore,
}

/// What a dissector may look at when probing.
#[derive(Clone, Copy, Debug)]
pub struct ProbeCtx {
    /// IP protocol (6 TCP, 17 UDP).
    pub proto: u8,
    /// Originator port.
    pub orig_p: u16,
    /// Responder port.
    pub resp_p: u16,
}

impl ProbeCtx {
    /// Whether either port is `port`.
    pub fn port(&self, port: u16) -> bool {
        self.orig_p == port || self.resp_p == port
    }
}

/// How far a session got with the bytes it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// This many bytes of the direction's stream are used; more than were given
    /// means "skip the rest too" (e.g. an HTTP body). UDP ignores the count.
    Consumed(u64),
    /// The session wants nothing more from this flow.
    Done,
    /// This many bytes are used, and from here on both directions carry the
    /// named protocol (after an accepted STARTTLS: `"tls"`). The engine
    /// finishes this session and hands the stream to a new session of that
    /// dissector; the flow keeps the protocol that claimed it. [`TUNNEL`]
    /// instead of a name: whatever the stream carries next, found by probing
    /// its next bytes (after an HTTP `CONNECT`).
    Handover(u64, &'static str),
}

/// The handover target "probe what comes next" ([`Progress::Handover`]).
pub const TUNNEL: &str = "*";

/// A protocol: probing and session factory. Implementations are stateless.
pub trait Dissector: Sync {
    /// Protocol name: the `app` of claimed flows and the record file's stem.
    fn name(&self) -> &'static str;
    /// Columns of the protocol's CSV file, in order.
    fn columns(&self) -> &'static [&'static str];
    /// The word scenario rules' `on` use for this protocol's records (`call`
    /// for SIP). Default: the protocol's name.
    fn kind(&self) -> &'static str {
        self.name()
    }
    /// The least data scope a box needs to see this protocol's records at all
    /// (BitTorrent: `urls`). Default: connection data.
    fn scope(&self) -> Scope {
        Scope::Connection
    }
    /// How much a box can read of this protocol's flows. Default: what it
    /// names, in the clear.
    fn readable(&self) -> Readable {
        Readable::Clear
    }
    /// Whether `data`, the first bytes one side sent, speaks this protocol.
    fn probe(&self, ctx: &ProbeCtx, dir: Direction, data: &[u8]) -> Probe;
    /// A session for a flow this dissector claimed.
    fn start(&self) -> Box<dyn Session>;
    /// What reads one datagram of a flow this dissector claimed without the
    /// session's state, so that it can be done ahead, on another thread: a
    /// worker holding a hot flow hands its datagrams to idle workers, then
    /// gives each result to [`Session::feed_prepared`]. `None` (the
    /// default): nothing to do ahead.
    fn preparer(&self) -> Option<Preparer> {
        None
    }
}

/// Reads one datagram ahead of its flow's state ([`Dissector::preparer`]):
/// a pure function of the datagram.
pub type Preparer = fn(&[u8]) -> Prepared;

/// What a [`Preparer`] read of a datagram.
#[derive(Debug, PartialEq)]
pub enum Prepared {
    /// A SIP message's digest.
    Sip(sip::state::Digest),
}

/// Per-flow state of a claimed flow. All collections it keeps are bounded.
pub trait Session: Send {
    /// New bytes: the in-order stream of one direction (TCP, from the first
    /// unconsumed byte) or one datagram (UDP).
    fn feed(&mut self, cx: &mut Cx<'_>, dir: Direction, data: &[u8]) -> Progress;
    /// One datagram and what a [`Preparer`] read of it: does exactly
    /// what [`Session::feed`] would, without reading the datagram again. The
    /// default ignores `prepared`.
    fn feed_prepared(
        &mut self,
        cx: &mut Cx<'_>,
        dir: Direction,
        data: &[u8],
        prepared: &Prepared,
    ) -> Progress {
        let _ = prepared;
        self.feed(cx, dir, data)
    }
    /// The flow ended: emit what is still pending (e.g. an unanswered call).
    fn finish(&mut self, cx: &mut Cx<'_>) {
        let _ = cx;
    }
    /// Bytes of `dir` were lost before the capture point, where the session
    /// was reading (not inside a body it had skipped), and the bytes it had
    /// not consumed were dropped. Returns whether the session can find its
    /// next message in what follows, which it is then fed; the default
    /// cannot, and the direction is given up.
    fn gap(&mut self, cx: &mut Cx<'_>, dir: Direction) -> bool {
        let _ = (cx, dir);
        false
    }
}

/// The join key every record starts with (same fields as a flow record's).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JoinKey {
    /// When the record's event happened, seconds since the epoch.
    pub ts: f64,
    /// The flow's id (joins `flows.jsonl`).
    pub flow_id: u64,
    /// Originator address.
    pub orig_h: Addr,
    /// Originator port.
    pub orig_p: u16,
    /// Responder address.
    pub resp_h: Addr,
    /// Responder port.
    pub resp_p: u16,
    /// Transport protocol.
    pub proto: ProtoName,
    /// `ts` exactly, in ns (orders the record files; not written).
    #[serde(skip)]
    pub ts_ns: i64,
}

impl JoinKey {
    /// Writes the key's fields, the first of every record's JSON object.
    pub fn write_fields(&self, o: &mut crate::record::JsonObject<'_>) {
        o.num("ts", self.ts)
            .uint("flow_id", self.flow_id)
            .addr("orig_h", &self.orig_h)
            .uint("orig_p", self.orig_p.into())
            .addr("resp_h", &self.resp_h)
            .uint("resp_p", self.resp_p.into())
            .str("proto", self.proto.text(&mut itoa::Buffer::new()));
    }
}

/// A record type of a protocol. The JSON form is its serde serialisation; the
/// CSV form takes the columns of [`Dissector::columns`] from it.
pub trait Record: Serialize + Send + 'static {
    /// Appends the record's JSON form (one object, no newline): its serde
    /// serialisation. The most numerous records write it by hand
    /// ([`crate::record::JsonObject`]), the same bytes (tested).
    fn write_json(&self, out: &mut Vec<u8>) {
        // Serialising plain data into a Vec cannot fail.
        let _ = serde_json::to_writer(out, self);
    }

    /// The protocol name (record file stem).
    fn protocol(&self) -> &'static str;
    /// The record's join key.
    fn key(&self) -> &JoinKey;
    /// What a box can see in the record, added to `facets`; `false` when no
    /// box selects on records like this one (a SIP REGISTER, a DNS answer
    /// without its query).
    fn facets(&self, facets: &mut Facets) -> bool;
}

/// A record ready to be written, whatever its protocol.
pub struct AnyRecord {
    /// Protocol name.
    pub protocol: &'static str,
    /// Timestamp, ns.
    pub ts_ns: i64,
    /// Flow id.
    pub flow_id: u64,
    /// Order among the records of the same flow.
    pub seq: u32,
    /// The flow's ends (who the record concerns).
    pub ends: FlowEnds,
    /// The record itself, serialised only when something reads it.
    record: Box<dyn ErasedRecord>,
}

impl AnyRecord {
    /// Appends the record's JSON form (one object, no newline).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        self.record.write_json(out);
    }

    /// The record as a JSON value (for CSV columns).
    pub fn value(&self) -> serde_json::Value {
        self.record.value()
    }

    /// The record's CSV cells in the order of `columns` (no JSON tree in
    /// between; see [`crate::record::cells`]).
    pub fn csv_cells(&self, columns: &[&str]) -> Vec<String> {
        self.record.csv_cells(columns).unwrap_or_else(|| {
            let json = self.value();
            columns.iter().map(|c| csv_cell(&json[*c])).collect()
        })
    }

    /// Bytes of the record's JSON form, counted without keeping it.
    pub fn json_len(&self) -> usize {
        self.record.json_len()
    }

    /// What a box can see in the record ([`Record::facets`]).
    pub fn facets(&self, facets: &mut Facets) -> bool {
        self.record.facets(facets)
    }
}

/// A [`Record`] of any type, kept as it is until it is written: a run that
/// writes no record file pays nothing for serialisation.
trait ErasedRecord: Send {
    fn write_json(&self, out: &mut Vec<u8>);
    fn json_len(&self) -> usize;
    fn csv_cells(&self, columns: &[&str]) -> Option<Vec<String>>;
    fn value(&self) -> serde_json::Value;
    fn facets(&self, facets: &mut Facets) -> bool;
}

impl<R: Record> ErasedRecord for R {
    fn write_json(&self, out: &mut Vec<u8>) {
        Record::write_json(self, out);
    }

    fn json_len(&self) -> usize {
        crate::record::json_len(self)
    }

    fn csv_cells(&self, columns: &[&str]) -> Option<Vec<String>> {
        crate::record::cells::csv_cells(self, columns)
    }

    fn value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    fn facets(&self, facets: &mut Facets) -> bool {
        Record::facets(self, facets)
    }
}

/// What a session can reach while it runs: the flow, the packet time, and where
/// to put records and anomalies.
pub struct Cx<'a> {
    /// The flow.
    pub ends: FlowEnds,
    /// Time of the packet being processed, ns.
    pub ts_ns: i64,
    pub(crate) records: &'a mut Vec<AnyRecord>,
    pub(crate) anomalies: &'a mut BTreeMap<&'static str, u64>,
}

impl<'a> Cx<'a> {
    /// A context writing into `records` and `anomalies`.
    pub fn new(
        ends: FlowEnds,
        ts_ns: i64,
        records: &'a mut Vec<AnyRecord>,
        anomalies: &'a mut BTreeMap<&'static str, u64>,
    ) -> Self {
        Cx {
            ends,
            ts_ns,
            records,
            anomalies,
        }
    }

    /// The join key for an event at `ts_ns`.
    pub fn key(&self, ts_ns: i64) -> JoinKey {
        JoinKey {
            ts: secs(ts_ns),
            flow_id: self.ends.flow_id,
            orig_h: self.ends.orig_h,
            orig_p: self.ends.orig_p,
            resp_h: self.ends.resp_h,
            resp_p: self.ends.resp_p,
            proto: ProtoName(self.ends.proto),
            ts_ns,
        }
    }

    /// Emits a record.
    pub fn emit<R: Record>(&mut self, r: R) {
        self.records.push(AnyRecord {
            protocol: r.protocol(),
            ts_ns: r.key().ts_ns,
            flow_id: self.ends.flow_id,
            seq: 0,
            ends: self.ends,
            record: Box::new(r),
        });
    }

    /// Counts a named anomaly (`proto.what`).
    pub fn anomaly(&mut self, name: &'static str) {
        *self.anomalies.entry(name).or_default() += 1;
    }
}

/// One CSV cell from a JSON value: strings as they are, arrays joined by `;`,
/// objects as JSON, null as empty.
pub fn csv_cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.iter().map(csv_cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

/// Join keys and strings that exercise every form a hand-written record
/// writer must match `serde_json` on (for the dissectors' tests).
#[cfg(test)]
pub(crate) mod json_cases {
    use super::{JoinKey, Record};
    use crate::decode::Addr;
    use crate::record::ProtoName;
    use std::net::{Ipv4Addr, Ipv6Addr};

    /// Strings that need each kind of escape, and some that need none.
    pub const STRINGS: &[&str] = &[
        "",
        "www.example.com",
        "a \"quoted\" \\ back",
        "ctl \u{1}\u{1f}\n\t\r\u{8}\u{c} end",
        "unicode é 漢 \u{2028} \u{7f} \u{10ffff}",
        "/path?q=1&b=<x>",
    ];

    /// Join keys with every protocol form, both address families and odd
    /// timestamps.
    pub fn keys() -> Vec<JoinKey> {
        let addrs = [
            Addr::v4(Ipv4Addr::new(10, 0, 0, 1)),
            Addr::v4(Ipv4Addr::new(255, 255, 255, 255)),
            Addr::from(std::net::IpAddr::V6(Ipv6Addr::new(
                0x2001, 0xdb8, 0, 0, 0, 0, 0, 1,
            ))),
        ];
        let times = [0.0, 1_700_000_000.298_426, 1e-7, f64::NAN, 1.5e21];
        let protos = [6u8, 17, 1, 58, 47, 0];
        (0..times.len() * protos.len())
            .map(|k| JoinKey {
                ts: times[k % times.len()],
                flow_id: (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                orig_h: addrs[k % 3],
                orig_p: (k * 9_973 % 65_536) as u16,
                resp_h: addrs[(k + 1) % 3],
                resp_p: if k % 2 == 0 { 65_535 } else { 0 },
                proto: ProtoName(protos[k % protos.len()]),
                ts_ns: 0,
            })
            .collect()
    }

    /// Asserts that the record's own writer gives serde's bytes.
    pub fn assert_as_serde<R: Record>(r: &R) {
        let mut mine = Vec::new();
        r.write_json(&mut mine);
        let theirs = serde_json::to_vec(r).expect("a record serialises");
        assert_eq!(
            String::from_utf8_lossy(&mine),
            String::from_utf8_lossy(&theirs)
        );
    }
}
