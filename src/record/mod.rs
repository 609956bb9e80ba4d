//! Metadata records and their shared join key.
//!
//! Every record ivraie writes starts with the same join key — `ts`, `flow_id` and
//! the 5-tuple (`orig_h`, `orig_p`, `resp_h`, `resp_p`, `proto`) — so that a record
//! of any protocol joins its flow record, as Zeek's `uid` and `id` fields do. This
//! module defines the record types; it does not know how they are written (the
//! pipeline's sinks do) nor what a box sees in them (`observation`). It sits
//! below `flow` and `dissect`, which fill its types.
//!
//! # `flows.jsonl` / `flows.csv`
//!
//! One line (row) per flow, in the order flows began (by first packet, then `flow_id`). Fields, in
//! order; optional ones are left out of JSON when empty (empty cells in CSV):
//!
//! | field | type | meaning |
//! | --- | --- | --- |
//! | `ts` | float | first packet, seconds since the Unix epoch (µs precision) |
//! | `flow_id` | integer | a 63-bit hash of the first packet's time and the 5-tuple: the same in any run that reads that packet, whatever else it reads and however the work is split (threads, cluster processes); unique but for hash collisions (about 5 in 10,000 that any two of 10⁸ flows share one) |
//! | `orig_h`, `orig_p` | string, integer | originator address and port (the TCP SYN sender, else the first sender) |
//! | `resp_h`, `resp_p` | string, integer | responder address and port |
//! | `proto` | string | `tcp`, `udp`, `icmp`, `icmp6`, or the IP protocol number |
//! | `last_ts` | float | last packet, seconds since the epoch |
//! | `duration` | float | `last_ts - ts`, seconds |
//! | `orig_pkts`, `resp_pkts` | integer | packets sent by each side |
//! | `orig_bytes`, `resp_bytes` | integer | bytes sent by each side, counted on the wire (original length, IP header included, link header included) |
//! | `orig_flags`, `resp_flags` | string | TCP flags seen from each side, as letters `FSRPAUEC` (TCP only) |
//! | `app` | string | application guessed from the ports (`dns`, `tls`, `http`...), or `unknown` |
//! | `subscriber` | string | the monitored subscriber's address, if either side is one |
//! | `subscriber_side` | string | `orig`, `resp` or `both` |
//! | `end` | string | why the flow ended: `fin`, `rst`, `idle`, `active`, `evicted`, `eof` |

use serde::Serialize;

use crate::decode::Addr;

pub mod cells;
pub mod facet;

/// Bytes of `value`'s JSON form, counted as it is written, without keeping it.
pub fn json_len<T: Serialize + ?Sized>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    // Counting cannot fail; a value serde refuses counts what was written.
    let _ = serde_json::to_writer(&mut c, value);
    c.0
}

/// Appends the lowercase hex digits of `bytes` to `out`.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(2 * bytes.len());
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
}

/// The lowercase hex digits of `bytes` (no `core::fmt` per byte: hashes and
/// ids are written for every record that carries one).
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::new();
    push_hex(&mut s, bytes);
    s
}

/// Seconds since the epoch as a float, from nanoseconds (µs precision kept).
pub fn secs(ts_ns: i64) -> f64 {
    // Round to the microsecond so the printed value is stable and short.
    (ts_ns.div_euclid(1000) as f64) / 1e6
}

/// Name of an IP protocol number as written in records.
pub fn proto_name(proto: u8) -> ProtoName {
    ProtoName(proto)
}

/// Displays `tcp`, `udp`, `icmp`, `icmp6`, or the number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtoName(pub u8);

impl ProtoName {
    /// The name, or the number written into `digits`.
    pub fn text<'a>(&self, digits: &'a mut itoa::Buffer) -> &'a str {
        match self.0 {
            6 => "tcp",
            17 => "udp",
            1 => "icmp",
            58 => "icmp6",
            n => digits.format(n),
        }
    }
}

impl std::fmt::Display for ProtoName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text(&mut itoa::Buffer::new()))
    }
}

impl Serialize for ProtoName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The letters of the TCP flag bits, from FIN upwards.
const FLAG_LETTERS: [u8; 8] = *b"FSRPAUEC";

/// Every flags octet's letters, made at compile time: a flow record names its
/// flags without allocating (a SYN flood makes one record a packet).
static FLAG_TEXT: [([u8; 8], u8); 256] = {
    let mut table = [([0u8; 8], 0u8); 256];
    let mut flags = 0;
    while flags < 256 {
        let (mut bit, mut n) = (0, 0);
        while bit < 8 {
            if flags & (1 << bit) != 0 {
                table[flags].0[n] = FLAG_LETTERS[bit];
                n += 1;
            }
            bit += 1;
        }
        table[flags].1 = n as u8;
        flags += 1;
    }
    table
};

/// TCP flags as letters, in the order of the flag bits from FIN upwards.
pub fn tcp_flags_str(flags: u8) -> &'static str {
    let (letters, n) = &FLAG_TEXT[usize::from(flags)];
    // ASCII letters only: the check cannot fail.
    letters
        .get(..usize::from(*n))
        .and_then(|l| std::str::from_utf8(l).ok())
        .unwrap_or("")
}

/// Which side of a flow the monitored subscriber is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriberSide {
    /// The originator is a subscriber.
    Orig,
    /// The responder is a subscriber.
    Resp,
    /// Both are.
    Both,
}

impl SubscriberSide {
    /// The name written in records.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriberSide::Orig => "orig",
            SubscriberSide::Resp => "resp",
            SubscriberSide::Both => "both",
        }
    }
}

/// Why a flow record was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndReason {
    /// Both sides sent FIN.
    Fin,
    /// A side sent RST.
    Rst,
    /// No packet for the idle timeout.
    Idle,
    /// Open longer than the active timeout: the rest continues in a new record.
    Active,
    /// Pushed out of a full flow table.
    Evicted,
    /// Still open when the input ended.
    Eof,
}

impl EndReason {
    /// The name written in records.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Fin => "fin",
            EndReason::Rst => "rst",
            EndReason::Idle => "idle",
            EndReason::Active => "active",
            EndReason::Evicted => "evicted",
            EndReason::Eof => "eof",
        }
    }
}

/// One bidirectional flow. See the module documentation for the field table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowRecord {
    /// First packet, seconds since the epoch.
    pub ts: f64,
    /// A hash of the first packet's time and the 5-tuple ([`crate::flow::flow_id`]).
    pub flow_id: u64,
    /// Originator address.
    pub orig_h: Addr,
    /// Originator port (ICMP echo identifier for ICMP echo, else 0 without ports).
    pub orig_p: u16,
    /// Responder address.
    pub resp_h: Addr,
    /// Responder port.
    pub resp_p: u16,
    /// Transport protocol.
    pub proto: ProtoName,
    /// Last packet, seconds since the epoch.
    pub last_ts: f64,
    /// Seconds between first and last packet.
    pub duration: f64,
    /// Packets from the originator.
    pub orig_pkts: u64,
    /// Wire bytes from the originator.
    pub orig_bytes: u64,
    /// Packets from the responder.
    pub resp_pkts: u64,
    /// Wire bytes from the responder.
    pub resp_bytes: u64,
    /// TCP flags seen from the originator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orig_flags: Option<&'static str>,
    /// TCP flags seen from the responder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resp_flags: Option<&'static str>,
    /// Application guessed from the ports.
    pub app: &'static str,
    /// The monitored subscriber's address, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscriber: Option<Addr>,
    /// Which side the subscriber is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscriber_side: Option<SubscriberSide>,
    /// Why the record was closed.
    pub end: EndReason,
    /// First packet, ns (not written).
    #[serde(skip)]
    pub first_ns: i64,
    /// Last packet, ns (for finishing the flow's dissector; not written).
    #[serde(skip)]
    pub last_ns: i64,
}

impl FlowRecord {
    /// Bytes of the record's JSON form ([`FlowRecord::write_json`]), written
    /// into a buffer kept by the thread and counted.
    pub fn json_len(&self) -> usize {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        SCRATCH.with_borrow_mut(|buf| {
            buf.clear();
            self.write_json(buf);
            buf.len()
        })
    }

    /// Appends the record as one JSON object (no newline), byte for byte what
    /// `serde_json` writes for it (the same keys in the same order, the same
    /// number forms: tested), without serde's per-field machinery — a flow
    /// record is the most numerous record of a run.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut int = itoa::Buffer::new();
        let mut num = |out: &mut Vec<u8>, key: &[u8], v: u64| {
            out.extend_from_slice(key);
            out.extend_from_slice(int.format(v).as_bytes());
        };
        out.extend_from_slice(b"{\"ts\":");
        json_f64(out, self.ts);
        num(out, b",\"flow_id\":", self.flow_id);
        out.extend_from_slice(b",\"orig_h\":");
        json_addr(out, &self.orig_h);
        num(out, b",\"orig_p\":", self.orig_p as u64);
        out.extend_from_slice(b",\"resp_h\":");
        json_addr(out, &self.resp_h);
        num(out, b",\"resp_p\":", self.resp_p as u64);
        out.extend_from_slice(b",\"proto\":");
        json_str(out, self.proto.text(&mut itoa::Buffer::new()));
        out.extend_from_slice(b",\"last_ts\":");
        json_f64(out, self.last_ts);
        out.extend_from_slice(b",\"duration\":");
        json_f64(out, self.duration);
        num(out, b",\"orig_pkts\":", self.orig_pkts);
        num(out, b",\"orig_bytes\":", self.orig_bytes);
        num(out, b",\"resp_pkts\":", self.resp_pkts);
        num(out, b",\"resp_bytes\":", self.resp_bytes);
        if let Some(f) = self.orig_flags {
            out.extend_from_slice(b",\"orig_flags\":");
            json_str(out, f);
        }
        if let Some(f) = self.resp_flags {
            out.extend_from_slice(b",\"resp_flags\":");
            json_str(out, f);
        }
        out.extend_from_slice(b",\"app\":");
        json_str(out, self.app);
        if let Some(a) = &self.subscriber {
            out.extend_from_slice(b",\"subscriber\":");
            json_addr(out, a);
        }
        if let Some(s) = self.subscriber_side {
            out.extend_from_slice(b",\"subscriber_side\":");
            json_str(out, s.as_str());
        }
        out.extend_from_slice(b",\"end\":");
        json_str(out, self.end.as_str());
        out.push(b'}');
    }
}

/// A number as `serde_json` writes it: shortest round-trip form, `null` if
/// not finite.
fn json_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        out.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

/// A string in quotes; escaped by `serde_json` if it needs it.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        // Serialising a str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

fn json_addr(out: &mut Vec<u8>, a: &Addr) {
    let mut buf = [0u8; 15];
    match a.v4_text(&mut buf) {
        Some(t) => json_str(out, t),
        None => json_str(out, &a.to_string()),
    }
}

/// Writes one JSON object field by field, byte for byte as `serde_json`'s
/// compact form of a derived `Serialize` would (keys in the order given,
/// numbers in the same forms, strings escaped the same way), without serde's
/// per-field machinery: for the records a run writes millions of.
pub struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> JsonObject<'a> {
    /// Opens an object at the end of `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        JsonObject { out, empty: true }
    }

    /// Writes `"key":`; keys are plain identifiers (nothing to escape).
    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        debug_assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// A string field.
    pub fn str(&mut self, key: &str, v: &str) -> &mut Self {
        json_str(self.key(key), v);
        self
    }

    /// A string field, left out when `None` (`skip_serializing_if`).
    pub fn opt_str(&mut self, key: &str, v: Option<&str>) -> &mut Self {
        if let Some(v) = v {
            self.str(key, v);
        }
        self
    }

    /// An unsigned integer field.
    pub fn uint(&mut self, key: &str, v: u64) -> &mut Self {
        let out = self.key(key);
        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        self
    }

    /// An unsigned integer field, left out when `None`.
    pub fn opt_uint(&mut self, key: &str, v: Option<u64>) -> &mut Self {
        if let Some(v) = v {
            self.uint(key, v);
        }
        self
    }

    /// A float field (`null` if not finite).
    pub fn num(&mut self, key: &str, v: f64) -> &mut Self {
        json_f64(self.key(key), v);
        self
    }

    /// A float field, left out when `None`.
    pub fn opt_num(&mut self, key: &str, v: Option<f64>) -> &mut Self {
        if let Some(v) = v {
            self.num(key, v);
        }
        self
    }

    /// An address field, as its text.
    pub fn addr(&mut self, key: &str, a: &Addr) -> &mut Self {
        json_addr(self.key(key), a);
        self
    }

    /// An array of strings, left out when empty.
    pub fn strs(&mut self, key: &str, v: &[String]) -> &mut Self {
        self.array(key, v, |out, s| json_str(out, s))
    }

    /// An array of unsigned integers, left out when empty.
    pub fn uints(&mut self, key: &str, v: &[u32]) -> &mut Self {
        let mut int = itoa::Buffer::new();
        self.array(key, v, |out, n| {
            out.extend_from_slice(int.format(*n).as_bytes())
        })
    }

    /// An array whose items `item` writes, left out when empty.
    fn array<T>(
        &mut self,
        key: &str,
        v: &[T],
        mut item: impl FnMut(&mut Vec<u8>, &T),
    ) -> &mut Self {
        if v.is_empty() {
            return self;
        }
        let out = self.key(key);
        out.push(b'[');
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item(out, x);
        }
        out.push(b']');
        self
    }

    /// Closes the object.
    pub fn end(&mut self) {
        self.out.push(b'}');
    }
}

/// Column names of `flows.csv`, in order.
pub const FLOW_CSV_HEADER: &[&str] = &[
    "ts",
    "flow_id",
    "orig_h",
    "orig_p",
    "resp_h",
    "resp_p",
    "proto",
    "last_ts",
    "duration",
    "orig_pkts",
    "orig_bytes",
    "resp_pkts",
    "resp_bytes",
    "orig_flags",
    "resp_flags",
    "app",
    "subscriber",
    "subscriber_side",
    "end",
];

/// Appends one CSV row (RFC 4180): a field holding a comma, quote, CR or LF is
/// quoted, with quotes doubled; rows end with LF. A text field that a
/// spreadsheet would run as a formula — starting with `=`, `+`, `-`, `@`, tab or
/// CR — gets a leading `'` (OWASP's advice for CSV injection); numbers, negative
/// ones included, are written as they are.
pub fn csv_row<S: AsRef<str>>(out: &mut Vec<u8>, fields: &[S]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let f = f.as_ref();
        let formula = f.starts_with(['=', '+', '-', '@', '\t', '\r']) && f.parse::<f64>().is_err();
        if formula || f.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
            out.push(b'"');
            if formula {
                out.push(b'\'');
            }
            for b in f.bytes() {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(f.as_bytes());
        }
    }
    out.push(b'\n');
}

/// Port-based application guess: the responder's port first, then the originator's.
pub fn app_guess(proto: u8, orig_p: u16, resp_p: u16) -> &'static str {
    let by_port = |p: u16| -> Option<&'static str> {
        Some(match (proto, p) {
            (6 | 17, 53) => "dns",
            (17, 5353) => "mdns",
            (6, 80 | 8080 | 8000) => "http",
            (6, 443 | 8443) => "tls",
            (17, 443) => "quic",
            (6, 853) => "dot",
            (6 | 17, 5060) => "sip",
            (6, 5061) => "sips",
            (6, 25 | 587 | 2525) => "smtp",
            (6, 465) => "smtps",
            (6, 6881..=6889) | (17, 6881..=6889) => "bittorrent",
            (17, 123) => "ntp",
            (17, 67 | 68) => "dhcp",
            (17, 546 | 547) => "dhcpv6",
            (6, 22) => "ssh",
            (6, 21) => "ftp",
            (6, 23) => "telnet",
            (6, 110) => "pop3",
            (6, 143) => "imap",
            (6, 993) => "imaps",
            (6, 995) => "pop3s",
            (6 | 17, 3478) => "stun",
            (17, 1194) | (6, 1194) => "openvpn",
            (17, 51820) => "wireguard",
            (17, 500 | 4500) => "ipsec",
            (6 | 17, 161 | 162) => "snmp",
            (17, 514) => "syslog",
            (6, 179) => "bgp",
            (6, 3306) => "mysql",
            (6, 5432) => "postgresql",
            (6, 6379) => "redis",
            (17, 1900) => "ssdp",
            (17, 137 | 138) | (6, 139 | 445) => "smb",
            (6, 1883) => "mqtt",
            (6, 3389) => "rdp",
            (6, 5222 | 5223) => "xmpp",
            (6, 6667) => "irc",
            (17, 69) => "tftp",
            (6 | 17, 88) => "kerberos",
            (6 | 17, 389) => "ldap",
            _ => return None,
        })
    };
    match proto {
        1 => return "icmp",
        58 => return "icmp6",
        _ => {}
    }
    by_port(resp_p)
        .or_else(|| by_port(orig_p))
        .unwrap_or("unknown")
}

#[cfg(test)]
mod tests {

    #[test]
    fn hex_is_two_lowercase_digits_a_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let want: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::hex(&all), want);
        assert_eq!(super::hex(&[]), "");
        let mut s = String::from("p-");
        super::push_hex(&mut s, &[0xab, 0x01]);
        assert_eq!(s, "p-ab01");
    }

    #[test]
    fn a_flow_record_is_written_as_serde_json_writes_it() {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        let addrs = [
            Addr::from(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
            Addr::from(IpAddr::V4(Ipv4Addr::new(255, 100, 9, 0))),
            Addr::from(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))),
            Addr::from(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        ];
        let floats = [
            0.0,
            -0.0,
            1.0,
            1e-7,
            1.5e21,
            1_700_000_000.298_426,
            0.1 + 0.2,
            f64::NAN,
            f64::INFINITY,
            123_456_789_012.0,
        ];
        let ends = [
            EndReason::Fin,
            EndReason::Rst,
            EndReason::Idle,
            EndReason::Active,
            EndReason::Evicted,
            EndReason::Eof,
        ];
        let sides = [
            None,
            Some(SubscriberSide::Orig),
            Some(SubscriberSide::Resp),
            Some(SubscriberSide::Both),
        ];
        let mut n = 0;
        for (i, &ts) in floats.iter().enumerate() {
            for (j, &proto) in [6u8, 17, 1, 58, 47, 0, 255].iter().enumerate() {
                let k = i * 7 + j;
                let r = FlowRecord {
                    ts,
                    flow_id: (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (k % 3),
                    orig_h: addrs[k % 4],
                    orig_p: (k * 9_973 % 65_536) as u16,
                    resp_h: addrs[(k + 1) % 4],
                    resp_p: if k % 5 == 0 { 65_535 } else { 443 },
                    proto: ProtoName(proto),
                    last_ts: floats[(i + j) % floats.len()],
                    duration: floats[(i * 3 + j) % floats.len()],
                    orig_pkts: k as u64,
                    orig_bytes: u64::MAX - k as u64,
                    resp_pkts: 0,
                    resp_bytes: 10u64.pow((k % 20) as u32),
                    orig_flags: (k % 2 == 0).then_some("SAF"),
                    resp_flags: (k % 3 == 0).then_some("SRA"),
                    app: ["tls", "dns", "", "a\"quote"][k % 4],
                    subscriber: (k % 2 == 1).then_some(addrs[k % 4]),
                    subscriber_side: sides[k % 4],
                    end: ends[k % 6],
                    first_ns: 0,
                    last_ns: 0,
                };
                let mut mine = Vec::new();
                r.write_json(&mut mine);
                let theirs = serde_json::to_vec(&r).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&mine),
                    String::from_utf8_lossy(&theirs)
                );
                n += 1;
            }
        }
        assert_eq!(n, 70);
    }
    use super::*;

    #[test]
    fn tcp_flags_letters_follow_bit_order() {
        assert_eq!(tcp_flags_str(0x02), "S");
        assert_eq!(tcp_flags_str(0x12), "SA");
        assert_eq!(tcp_flags_str(0x11), "FA");
        assert_eq!(tcp_flags_str(0xff), "FSRPAUEC");
        assert_eq!(tcp_flags_str(0), "");
        for f in 0..=u8::MAX {
            let text = tcp_flags_str(f);
            let from_bits: String = (0..8)
                .filter(|bit| f & (1 << bit) != 0)
                .map(|bit| char::from(b"FSRPAUEC"[bit]))
                .collect();
            assert_eq!(text, from_bits, "{f:#04x}");
        }
    }

    #[test]
    fn app_guess_prefers_responder_port() {
        assert_eq!(app_guess(6, 443, 80), "http");
        assert_eq!(app_guess(6, 53211, 443), "tls");
        assert_eq!(app_guess(17, 443, 53211), "quic");
        assert_eq!(app_guess(17, 5353, 5353), "mdns");
        assert_eq!(app_guess(1, 0, 0), "icmp");
        assert_eq!(app_guess(6, 40000, 40001), "unknown");
    }

    #[test]
    fn csv_row_quotes_only_what_needs_it() {
        let mut out = Vec::new();
        csv_row(&mut out, &["a", "b,c", "say \"hi\"", "l1\nl2", ""]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"l1\nl2\",\n"
        );
    }

    #[test]
    fn secs_keeps_microseconds() {
        assert_eq!(secs(1_700_000_000_123_456_789), 1_700_000_000.123456);
        assert_eq!(secs(-1_500), -0.000002);
    }
}

#[cfg(test)]
mod csv_tests {
    use super::csv_row;

    fn row(fields: &[&str]) -> String {
        let mut out = Vec::new();
        csv_row(&mut out, fields);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_are_defused() {
        assert_eq!(row(&["a", "b,c", "d\"e"]), "a,\"b,c\",\"d\"\"e\"\n");
        assert_eq!(
            row(&["=HYPERLINK(\"x\")", "+1+1", "-cmd", "@SUM(A1)", "\tx"]),
            "\"'=HYPERLINK(\"\"x\"\")\",\"'+1+1\",\"'-cmd\",\"'@SUM(A1)\",\"'\tx\"\n"
        );
        // Numbers stay numbers.
        assert_eq!(row(&["-8.5", "+3", "1e-3", "-0"]), "-8.5,+3,1e-3,-0\n");
    }
}
