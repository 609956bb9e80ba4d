//! BitTorrent: peer-wire handshake, tracker announces (HTTP and UDP), DHT
//! KRPC messages and the bencode they are written in. Pure functions.
//!
//! No function here panics on any input: fixed fields are read through
//! `get` with named ranges after one length check, numbers use checked
//! arithmetic, and the bencode decoder's recursion is capped at
//! [`cap::MAX_BENCODE_DEPTH`]. See the module doc (`super`) for coverage.

use std::ops::Range;

use crate::dissect::Parsed;

/// Caps: every loop and every collection here is bounded by one of these.
pub mod cap {
    /// Deepest nesting of bencode lists and dictionaries (the outermost is 1).
    pub const MAX_BENCODE_DEPTH: usize = 16;
    /// Most bencode values (integers, strings, lists, dictionaries) in one message.
    pub const MAX_BENCODE_ITEMS: usize = 1024;
    /// Longest bencode string accepted, bytes (a UDP datagram is at most 64 KiB;
    /// BEP 9 metadata pieces are 16 KiB).
    pub const MAX_BENCODE_STRING: usize = 1024 * 1024;
    /// Longest DHT transaction id kept, bytes (clients send 2 to 8).
    pub const MAX_DHT_TRANSACTION: usize = 64;
    /// Longest DHT query method name kept, bytes.
    pub const MAX_DHT_METHOD: usize = 64;
    /// Most `key=value` pairs read from an announce query string.
    pub const MAX_QUERY_PARAMS: usize = 64;
    /// Longest `event` value kept from an announce, bytes after decoding.
    pub const MAX_EVENT_LEN: usize = 32;
}

/// Anomaly names returned in [`Parsed::Invalid`].
pub mod anomaly {
    /// The first bytes are not `\x13BitTorrent protocol`.
    pub const BAD_HANDSHAKE: &str = "bittorrent.bad_handshake";
    /// Bencode nested deeper than [`super::cap::MAX_BENCODE_DEPTH`].
    pub const BENCODE_TOO_DEEP: &str = "bittorrent.bencode_too_deep";
    /// More than [`super::cap::MAX_BENCODE_ITEMS`] values, or a string longer
    /// than [`super::cap::MAX_BENCODE_STRING`].
    pub const BENCODE_TOO_BIG: &str = "bittorrent.bencode_too_big";
    /// Bencode syntax error (bad byte, leading zero, `-0`, integer overflow, non-string key).
    pub const BAD_BENCODE: &str = "bittorrent.bad_bencode";
    /// A DHT datagram whose bencode stops short.
    pub const DHT_TRUNCATED: &str = "bittorrent.dht_truncated";
    /// A DHT datagram that is not a bencoded dictionary.
    pub const DHT_NOT_DICT: &str = "bittorrent.dht_not_dict";
    /// A DHT dictionary without `t`, without a known `y`, or a query without `q`.
    pub const DHT_BAD_MESSAGE: &str = "bittorrent.dht_bad_message";
    /// A DHT transaction id or method name over its cap.
    pub const DHT_FIELD_TOO_LONG: &str = "bittorrent.dht_field_too_long";
}

/// Byte offsets of the peer-wire handshake (BEP 3).
pub mod handshake_field {
    use std::ops::Range;
    /// `pstrlen`, 19.
    pub const PSTRLEN: usize = 0;
    /// `pstr`, "BitTorrent protocol".
    pub const PSTR: Range<usize> = 1..20;
    /// Eight reserved bytes: extension flags.
    pub const RESERVED: Range<usize> = 20..28;
    /// SHA-1 of the info dictionary.
    pub const INFO_HASH: Range<usize> = 28..48;
    /// The sender's peer id.
    pub const PEER_ID: Range<usize> = 48..68;
    /// Length of the whole handshake.
    pub const LEN: usize = 68;
}

/// Byte offsets of a UDP tracker announce request (BEP 15), all big-endian.
pub mod udp_field {
    use std::ops::Range;
    /// Connection id from the tracker's connect response (not reported).
    pub const CONNECTION_ID: Range<usize> = 0..8;
    /// Action, 1 for announce.
    pub const ACTION: Range<usize> = 8..12;
    /// Transaction id (not reported).
    pub const TRANSACTION_ID: Range<usize> = 12..16;
    /// SHA-1 of the info dictionary.
    pub const INFO_HASH: Range<usize> = 16..36;
    /// The announcing peer's id.
    pub const PEER_ID: Range<usize> = 36..56;
    /// Bytes downloaded.
    pub const DOWNLOADED: Range<usize> = 56..64;
    /// Bytes left.
    pub const LEFT: Range<usize> = 64..72;
    /// Bytes uploaded.
    pub const UPLOADED: Range<usize> = 72..80;
    /// Event: 0 none, 1 completed, 2 started, 3 stopped.
    pub const EVENT: Range<usize> = 80..84;
    /// IPv4 address, 0 for the sender's (not reported).
    pub const IP_ADDRESS: Range<usize> = 84..88;
    /// Key (not reported).
    pub const KEY: Range<usize> = 88..92;
    /// Peers wanted, -1 for the default (not reported).
    pub const NUM_WANT: Range<usize> = 92..96;
    /// The peer's listening port.
    pub const PORT: Range<usize> = 96..98;
    /// Length of an announce request without BEP 41 extensions.
    pub const LEN: usize = 98;
}

/// Wire constants.
mod wire {
    /// `pstrlen` of the BitTorrent handshake.
    pub const PSTRLEN: u8 = 19;
    /// `pstr` of the BitTorrent handshake.
    pub const PSTR: &[u8; 19] = b"BitTorrent protocol";
    /// BEP 15 action of an announce.
    pub const UDP_ACTION_ANNOUNCE: u32 = 1;
    /// Reserved-bit flags (byte index, mask): BEP 10 extension protocol.
    pub const RESERVED_EXTENSION_PROTOCOL: (usize, u8) = (5, 0x10);
    /// BEP 5: the peer runs a DHT node.
    pub const RESERVED_DHT: (usize, u8) = (7, 0x01);
    /// BEP 6: fast extension.
    pub const RESERVED_FAST: (usize, u8) = (7, 0x04);
    /// DHT message types (`y`).
    pub const Y_QUERY: &[u8] = b"q";
    pub const Y_RESPONSE: &[u8] = b"r";
    pub const Y_ERROR: &[u8] = b"e";
    /// DHT methods that carry an `info_hash` argument.
    pub const METHODS_WITH_INFO_HASH: [&[u8]; 2] = [b"get_peers", b"announce_peer"];
}

/// Length of a SHA-1 info_hash, a peer id or a DHT node id.
const ID_LEN: usize = 20;

/// Reads the big-endian number in `range` of `buf`, if it is there.
fn be(buf: &[u8], range: Range<usize>) -> Option<u64> {
    let bytes = buf.get(range)?;
    Some(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// Copies the 20 bytes in `range` of `buf`, if they are there.
fn id_at(buf: &[u8], range: Range<usize>) -> Option<[u8; ID_LEN]> {
    buf.get(range)?.try_into().ok()
}

/// Lowercase hex of a 20-byte id (info_hash, peer id, node id).
pub fn hex(h: &[u8; 20]) -> String {
    crate::record::hex(h)
}

// ---------------------------------------------------------------------------
// Peer-wire handshake

/// A peer-wire handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handshake {
    /// SHA-1 of the torrent's info dictionary.
    pub info_hash: [u8; 20],
    /// The sender's peer id (often `-XXnnnn-` naming the client, BEP 20).
    pub peer_id: [u8; 20],
    /// The eight reserved bytes: extension flags.
    pub reserved: [u8; 8],
}

impl Handshake {
    fn flag(&self, (byte, mask): (usize, u8)) -> bool {
        self.reserved.get(byte).is_some_and(|b| b & mask != 0)
    }
    /// BEP 10 extension protocol supported.
    pub fn extension_protocol(&self) -> bool {
        self.flag(wire::RESERVED_EXTENSION_PROTOCOL)
    }
    /// BEP 5: the sender runs a DHT node.
    pub fn dht(&self) -> bool {
        self.flag(wire::RESERVED_DHT)
    }
    /// BEP 6 fast extension supported.
    pub fn fast(&self) -> bool {
        self.flag(wire::RESERVED_FAST)
    }
}

// BEP 3, "peer protocol":
//   The handshake starts with character ninteen (decimal) followed by the
//   string 'BitTorrent protocol'. ... After the fixed headers come eight
//   reserved bytes ... Next comes the 20 byte sha1 hash of the bencoded form
//   of the info value from the metainfo file. ... After the download hash
//   comes the 20-byte peer id.
//
//   <pstrlen=19><pstr="BitTorrent protocol"><reserved:8><info_hash:20><peer_id:20>
/// Parses the 68-byte handshake at the front of `buf` (messages may follow).
/// A prefix of a handshake is Incomplete with `needed: Some(68)`.
pub fn parse_handshake(buf: &[u8]) -> Parsed<Handshake> {
    if buf
        .get(handshake_field::PSTRLEN)
        .is_some_and(|&b| b != wire::PSTRLEN)
    {
        return Parsed::Invalid(anomaly::BAD_HANDSHAKE);
    }
    // Compare as much of pstr as is there, so a wrong stream fails early.
    let pstr = buf.get(handshake_field::PSTR.start..).unwrap_or_default();
    let have = pstr.len().min(wire::PSTR.len());
    if pstr.get(..have) != wire::PSTR.get(..have) {
        return Parsed::Invalid(anomaly::BAD_HANDSHAKE);
    }
    let (Some(reserved), Some(info_hash), Some(peer_id)) = (
        buf.get(handshake_field::RESERVED)
            .and_then(|r| r.try_into().ok()),
        id_at(buf, handshake_field::INFO_HASH),
        id_at(buf, handshake_field::PEER_ID),
    ) else {
        return Parsed::Incomplete {
            needed: Some(handshake_field::LEN),
        };
    };
    Parsed::Done {
        value: Handshake {
            info_hash,
            peer_id,
            reserved,
        },
        consumed: handshake_field::LEN,
    }
}

// ---------------------------------------------------------------------------
// Tracker announces

/// A tracker announce, over HTTP (BEP 3) or UDP (BEP 15).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announce {
    /// The torrent announced.
    pub info_hash: [u8; 20],
    /// The announcing peer's id, when present and 20 bytes long.
    pub peer_id: Option<[u8; 20]>,
    /// The port the peer listens on.
    pub port: Option<u16>,
    /// `started`, `completed`, `stopped` (or whatever was sent; UDP's unknown
    /// values are `unknown(n)`); `None` for a regular announce.
    pub event: Option<String>,
    /// Bytes uploaded so far.
    pub uploaded: Option<u64>,
    /// Bytes downloaded so far.
    pub downloaded: Option<u64>,
    /// Bytes left to download.
    pub left: Option<u64>,
}

// BEP 3, "Trackers": Tracker GET requests have the following keys:
//   info_hash  The 20 byte sha1 hash ... This value will almost certainly
//              have to be escaped.
//   peer_id    A string of length 20 which this downloader uses as its id.
//   port       The port number this peer is listening on.
//   uploaded / downloaded / left   ... in base ten ascii.
//   event      This is an optional key which maps to started, completed, or
//              stopped (or empty, which is the same as not being present).
// BEP 23 adds `compact=1`, which asks for the compact peer list (ignored here).
/// Parses the query of an announce request-target, e.g.
/// `/announce?info_hash=%aa7i...&peer_id=...&port=51413&...`.
///
/// Any path is accepted (`/announce`, `/announce.php`, `/<passkey>/announce`)
/// as long as the query holds an `info_hash` that percent-decodes to exactly
/// 20 bytes; otherwise `None`. The first copy of a repeated key wins (so a
/// multi-hash scrape gives its first hash). Other fields are `None` when
/// absent or malformed. More than [`cap::MAX_QUERY_PARAMS`] pairs: `None`.
pub fn parse_announce_uri(uri: &str) -> Option<Announce> {
    let (_path, query) = uri.split_once('?')?;
    let query = query.split('#').next().unwrap_or_default();
    let mut info_hash: Option<[u8; ID_LEN]> = None;
    let mut seen_info_hash = false;
    let mut announce = Announce {
        info_hash: [0; ID_LEN],
        peer_id: None,
        port: None,
        event: None,
        uploaded: None,
        downloaded: None,
        left: None,
    };
    let (mut seen_peer_id, mut seen_port, mut seen_event) = (false, false, false);
    let (mut seen_up, mut seen_down, mut seen_left) = (false, false, false);
    for (i, pair) in query.split('&').enumerate() {
        if i >= cap::MAX_QUERY_PARAMS {
            return None;
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = value.as_bytes();
        match key {
            "info_hash" if !seen_info_hash => {
                seen_info_hash = true;
                info_hash = percent_decode_fixed(value);
            }
            "peer_id" if !seen_peer_id => {
                seen_peer_id = true;
                announce.peer_id = percent_decode_fixed(value);
            }
            "port" if !seen_port => {
                seen_port = true;
                announce.port = decimal(value).and_then(|p| u16::try_from(p).ok());
            }
            "event" if !seen_event => {
                seen_event = true;
                announce.event = percent_decode_event(value);
            }
            "uploaded" if !seen_up => {
                seen_up = true;
                announce.uploaded = decimal(value);
            }
            "downloaded" if !seen_down => {
                seen_down = true;
                announce.downloaded = decimal(value);
            }
            "left" if !seen_left => {
                seen_left = true;
                announce.left = decimal(value);
            }
            _ => {}
        }
    }
    announce.info_hash = info_hash?;
    Some(announce)
}

/// `1*DIGIT` as a `u64`; `None` when empty, signed, not digits, or overflowing.
fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

// RFC 3986 §2.1:  pct-encoded = "%" HEXDIG HEXDIG
// application/x-www-form-urlencoded also decodes '+' as a space.
/// Decodes one byte of a query value at `i`: the byte and the next index.
fn percent_decode_at(s: &[u8], i: usize) -> Option<(u8, usize)> {
    match *s.get(i)? {
        b'%' => {
            let hi = (*s.get(i + 1)? as char).to_digit(16)?;
            let lo = (*s.get(i + 2)? as char).to_digit(16)?;
            Some((u8::try_from(hi << 4 | lo).ok()?, i + 3))
        }
        b'+' => Some((b' ', i + 1)),
        b => Some((b, i + 1)),
    }
}

/// Percent-decodes `s` into exactly `N` bytes; `None` if malformed or another length.
fn percent_decode_fixed<const N: usize>(s: &[u8]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    let mut n = 0usize;
    let mut i = 0usize;
    while i < s.len() {
        let (b, next) = percent_decode_at(s, i)?;
        *out.get_mut(n)? = b;
        n += 1;
        i = next;
    }
    (n == N).then_some(out)
}

/// Percent-decodes an `event` value; `None` if empty, malformed or over its cap.
fn percent_decode_event(s: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(s.len().min(cap::MAX_EVENT_LEN));
    let mut i = 0usize;
    while i < s.len() {
        let (b, next) = percent_decode_at(s, i)?;
        if out.len() >= cap::MAX_EVENT_LEN {
            return None;
        }
        out.push(b);
        i = next;
    }
    (!out.is_empty()).then(|| String::from_utf8_lossy(&out).into_owned())
}

/// BEP 15 announce `event` values (an open enum).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UdpEvent {
    /// 0: a regular announce.
    None,
    /// 1
    Completed,
    /// 2
    Started,
    /// 3
    Stopped,
    /// Any other value.
    Unknown(u32),
}

impl From<u32> for UdpEvent {
    fn from(v: u32) -> Self {
        match v {
            0 => UdpEvent::None,
            1 => UdpEvent::Completed,
            2 => UdpEvent::Started,
            3 => UdpEvent::Stopped,
            n => UdpEvent::Unknown(n),
        }
    }
}

impl UdpEvent {
    /// The HTTP announce's name for this event (`None` for a regular announce).
    pub fn name(self) -> Option<String> {
        match self {
            UdpEvent::None => None,
            UdpEvent::Completed => Some("completed".to_string()),
            UdpEvent::Started => Some("started".to_string()),
            UdpEvent::Stopped => Some("stopped".to_string()),
            UdpEvent::Unknown(n) => Some(format!("unknown({n})")),
        }
    }
}

// BEP 15, IPv4 announce request:
//   Offset  Size    Name    Value
//   0       64-bit integer  connection_id
//   8       32-bit integer  action          1 // announce
//   12      32-bit integer  transaction_id
//   16      20-byte string  info_hash
//   36      20-byte string  peer_id
//   56      64-bit integer  downloaded
//   64      64-bit integer  left
//   72      64-bit integer  uploaded
//   80      32-bit integer  event           0 // 0: none; 1: completed; 2: started; 3: stopped
//   84      32-bit integer  IP address      0 // default
//   88      32-bit integer  key
//   92      32-bit integer  num_want        -1 // default
//   96      16-bit integer  port
//   98
/// Parses a UDP tracker announce request (action 1, at least 98 bytes; BEP 41
/// extensions may follow and are ignored). Anything else is `None`.
pub fn parse_udp_tracker_announce(datagram: &[u8]) -> Option<Announce> {
    if datagram.len() < udp_field::LEN {
        return None;
    }
    if be(datagram, udp_field::ACTION)? != u64::from(wire::UDP_ACTION_ANNOUNCE) {
        return None;
    }
    let event = u32::try_from(be(datagram, udp_field::EVENT)?).ok()?;
    Some(Announce {
        info_hash: id_at(datagram, udp_field::INFO_HASH)?,
        peer_id: Some(id_at(datagram, udp_field::PEER_ID)?),
        port: Some(u16::try_from(be(datagram, udp_field::PORT)?).ok()?),
        event: UdpEvent::from(event).name(),
        uploaded: Some(be(datagram, udp_field::UPLOADED)?),
        downloaded: Some(be(datagram, udp_field::DOWNLOADED)?),
        left: Some(be(datagram, udp_field::LEFT)?),
    })
}

// ---------------------------------------------------------------------------
// Bencode

/// A bencoded value, borrowing its strings from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bencode<'a> {
    /// `i<n>e`
    Int(i64),
    /// `<len>:<bytes>`
    Bytes(&'a [u8]),
    /// `l<values>e`
    List(Vec<Bencode<'a>>),
    /// `d<key><value>...e`, in wire order (sorting is not checked).
    Dict(Vec<(&'a [u8], Bencode<'a>)>),
}

impl<'a> Bencode<'a> {
    /// The value of the first `key` in a dictionary.
    pub fn get(&self, key: &[u8]) -> Option<&Bencode<'a>> {
        match self {
            Bencode::Dict(entries) => entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The bytes of a string value.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Bencode::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// A string value of exactly 20 bytes (an info_hash or node id).
    fn as_id(&self) -> Option<[u8; ID_LEN]> {
        self.as_bytes()?.try_into().ok()
    }
}

/// Why the decoder stopped.
enum Stop {
    /// The input ends inside a value.
    Incomplete,
    /// A named anomaly.
    Invalid(&'static str),
}

/// Cursor over bencode input, counting values against the item cap.
struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    items: usize,
}

impl<'a> Decoder<'a> {
    fn peek(&self) -> Result<u8, Stop> {
        self.buf.get(self.pos).copied().ok_or(Stop::Incomplete)
    }

    fn count_item(&mut self) -> Result<(), Stop> {
        self.items += 1;
        if self.items > cap::MAX_BENCODE_ITEMS {
            return Err(Stop::Invalid(anomaly::BENCODE_TOO_BIG));
        }
        Ok(())
    }

    // BEP 3, "bencoding":
    //   Strings are length-prefixed base ten followed by a colon and the string.
    //   Integers are represented by an 'i' followed by the number in base 10
    //   followed by an 'e'. ... i-0e is invalid. All encodings with a leading
    //   zero, such as i03e, are invalid, other than i0e.
    //   Lists are encoded as an 'l' followed by their elements (also
    //   bencoded) followed by an 'e'.
    //   Dictionaries are encoded as a 'd' followed by a list of alternating
    //   keys and their corresponding values followed by an 'e'. ... Keys must
    //   be strings and appear in sorted order.
    /// One value at `pos`; `depth` is the nesting level it would open.
    fn value(&mut self, depth: usize) -> Result<Bencode<'a>, Stop> {
        match self.peek()? {
            b'i' => {
                self.count_item()?;
                self.pos += 1;
                self.int().map(Bencode::Int)
            }
            b'0'..=b'9' => {
                self.count_item()?;
                self.bytes().map(Bencode::Bytes)
            }
            b'l' => {
                if depth > cap::MAX_BENCODE_DEPTH {
                    return Err(Stop::Invalid(anomaly::BENCODE_TOO_DEEP));
                }
                self.count_item()?;
                self.pos += 1;
                let mut items = Vec::new();
                while self.peek()? != b'e' {
                    items.push(self.value(depth + 1)?);
                }
                self.pos += 1;
                Ok(Bencode::List(items))
            }
            b'd' => {
                if depth > cap::MAX_BENCODE_DEPTH {
                    return Err(Stop::Invalid(anomaly::BENCODE_TOO_DEEP));
                }
                self.count_item()?;
                self.pos += 1;
                let mut entries = Vec::new();
                loop {
                    match self.peek()? {
                        b'e' => break,
                        b'0'..=b'9' => {
                            let key = self.bytes()?;
                            let value = self.value(depth + 1)?;
                            entries.push((key, value));
                        }
                        _ => return Err(Stop::Invalid(anomaly::BAD_BENCODE)),
                    }
                }
                self.pos += 1;
                Ok(Bencode::Dict(entries))
            }
            _ => Err(Stop::Invalid(anomaly::BAD_BENCODE)),
        }
    }

    /// The digits and `e` of an integer, `i` already consumed.
    fn int(&mut self) -> Result<i64, Stop> {
        let negative = self.peek()? == b'-';
        if negative {
            self.pos += 1;
        }
        let start = self.pos;
        // i64 magnitudes fit in u64; 2^63 itself only when negative.
        let mut magnitude: u64 = 0;
        loop {
            let b = self.peek()?;
            match b {
                b'0'..=b'9' => {
                    if self.pos > start && magnitude == 0 {
                        return Err(Stop::Invalid(anomaly::BAD_BENCODE)); // leading zero
                    }
                    magnitude = magnitude
                        .checked_mul(10)
                        .and_then(|m| m.checked_add(u64::from(b - b'0')))
                        .ok_or(Stop::Invalid(anomaly::BAD_BENCODE))?;
                    self.pos += 1;
                }
                b'e' if self.pos > start => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(Stop::Invalid(anomaly::BAD_BENCODE)),
            }
        }
        if negative {
            if magnitude == 0 {
                return Err(Stop::Invalid(anomaly::BAD_BENCODE)); // i-0e
            }
            0i64.checked_sub_unsigned(magnitude)
                .ok_or(Stop::Invalid(anomaly::BAD_BENCODE))
        } else {
            i64::try_from(magnitude).map_err(|_| Stop::Invalid(anomaly::BAD_BENCODE))
        }
    }

    /// `<len>:<bytes>` at `pos`.
    fn bytes(&mut self) -> Result<&'a [u8], Stop> {
        let start = self.pos;
        let mut len: usize = 0;
        loop {
            let b = self.peek()?;
            match b {
                b'0'..=b'9' => {
                    if self.pos > start && len == 0 {
                        return Err(Stop::Invalid(anomaly::BAD_BENCODE)); // leading zero
                    }
                    len = len * 10 + usize::from(b - b'0');
                    if len > cap::MAX_BENCODE_STRING {
                        return Err(Stop::Invalid(anomaly::BENCODE_TOO_BIG));
                    }
                    self.pos += 1;
                }
                b':' if self.pos > start => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(Stop::Invalid(anomaly::BAD_BENCODE)),
            }
        }
        let end = self.pos + len; // both bounded: pos <= buf.len(), len <= 1 MiB
        let s = self.buf.get(self.pos..end).ok_or(Stop::Incomplete)?;
        self.pos = end;
        Ok(s)
    }
}

/// Decodes one bencoded value from the front of `buf`; `consumed` is its length.
pub fn parse_bencode(buf: &[u8]) -> Parsed<Bencode<'_>> {
    let mut d = Decoder {
        buf,
        pos: 0,
        items: 0,
    };
    match d.value(1) {
        Ok(value) => Parsed::Done {
            value,
            consumed: d.pos,
        },
        Err(Stop::Incomplete) => Parsed::Incomplete { needed: None },
        Err(Stop::Invalid(name)) => Parsed::Invalid(name),
    }
}

// ---------------------------------------------------------------------------
// DHT (BEP 5)

/// A DHT KRPC message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhtMessage {
    /// The transaction id `t` that pairs a query with its response.
    pub transaction: Vec<u8>,
    /// Query, response or error.
    pub kind: DhtKind,
}

/// What a DHT message is (`y`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DhtKind {
    /// `y = q`.
    Query {
        /// `q`: ping, find_node, get_peers, announce_peer, or any other name (lossy UTF-8).
        method: String,
        /// `a.id`, when 20 bytes.
        node_id: Option<[u8; 20]>,
        /// `a.info_hash` of get_peers and announce_peer, when 20 bytes.
        info_hash: Option<[u8; 20]>,
    },
    /// `y = r`.
    Response {
        /// `r.id`, when 20 bytes.
        node_id: Option<[u8; 20]>,
    },
    /// `y = e`.
    Error,
}

// BEP 5, "KRPC Protocol":
//   A KRPC message is a single dictionary with three keys common to every
//   message and additional keys depending on the type of message. Every
//   message has a key "t" with a string value representing a transaction ID.
//   ... Every message also has a key "y" with a single character value
//   describing the type of message. The value of the "y" key is one of "q"
//   for query, "r" for response, or "e" for error.
//   Queries ... have two additional keys; "q" and "a". Key "q" has a string
//   value containing the method name of the query. Key "a" has a dictionary
//   value containing named arguments to the query.
//   Responses ... have one additional key "r" ... a dictionary containing
//   named return values.
//   All queries have an "id" key and value containing the node ID of the
//   querying node. All responses have an "id" key and value containing the
//   node ID of the responding node.
//   get_peers: arguments:  {"id" : "<querying nodes id>", "info_hash" : "<20-byte infohash of target torrent>"}
//   announce_peer: arguments:  {"id" : ..., "implied_port": <0 or 1>, "info_hash" : ..., "port" : ..., "token" : ...}
/// Parses one DHT datagram. Bytes after the dictionary are not looked at
/// (`consumed` says where it ended).
pub fn parse_dht(datagram: &[u8]) -> Parsed<DhtMessage> {
    let (top, consumed) = match parse_bencode(datagram) {
        Parsed::Done { value, consumed } => (value, consumed),
        // A datagram is all there is: a cut-short one will never complete.
        Parsed::Incomplete { .. } => return Parsed::Invalid(anomaly::DHT_TRUNCATED),
        Parsed::Invalid(name) => return Parsed::Invalid(name),
    };
    if !matches!(top, Bencode::Dict(_)) {
        return Parsed::Invalid(anomaly::DHT_NOT_DICT);
    }
    let Some(transaction) = top.get(b"t").and_then(Bencode::as_bytes) else {
        return Parsed::Invalid(anomaly::DHT_BAD_MESSAGE);
    };
    if transaction.len() > cap::MAX_DHT_TRANSACTION {
        return Parsed::Invalid(anomaly::DHT_FIELD_TOO_LONG);
    }
    let kind = match top.get(b"y").and_then(Bencode::as_bytes) {
        Some(wire::Y_QUERY) => {
            let Some(method) = top.get(b"q").and_then(Bencode::as_bytes) else {
                return Parsed::Invalid(anomaly::DHT_BAD_MESSAGE);
            };
            if method.len() > cap::MAX_DHT_METHOD {
                return Parsed::Invalid(anomaly::DHT_FIELD_TOO_LONG);
            }
            let args = top.get(b"a");
            let info_hash = if wire::METHODS_WITH_INFO_HASH.contains(&method) {
                args.and_then(|a| a.get(b"info_hash"))
                    .and_then(Bencode::as_id)
            } else {
                None
            };
            DhtKind::Query {
                method: String::from_utf8_lossy(method).into_owned(),
                node_id: args.and_then(|a| a.get(b"id")).and_then(Bencode::as_id),
                info_hash,
            }
        }
        Some(wire::Y_RESPONSE) => DhtKind::Response {
            node_id: top
                .get(b"r")
                .and_then(|r| r.get(b"id"))
                .and_then(Bencode::as_id),
        },
        Some(wire::Y_ERROR) => DhtKind::Error,
        _ => return Parsed::Invalid(anomaly::DHT_BAD_MESSAGE),
    };
    Parsed::Done {
        value: DhtMessage {
            transaction: transaction.to_vec(),
            kind,
        },
        consumed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real messages from /work/shared/corpus. Every id asserted below was
    // compared with tshark: `-e bittorrent.info_hash -e bittorrent.peer_id`
    // for handshakes, `-e bt-dht.bencoded.string` for DHT (with
    // `-d udp.port==5001,bt-dht -d udp.port==5201,bt-dht` for the targus capture).

    /// ndpi/bittorrent.pcap frame 1, TCP payload: a handshake alone.
    /// tshark: info_hash dcfcdccfb9e670ccc3dd40c78c161f2bea243126,
    /// peer_id 2d554d313836302d418e181ac9ba17987152663e, reserved 0000000000100005.
    const HANDSHAKE: [u8; 68] = *b"\x13BitTorrent protocol\
\x00\x00\x00\x00\x00\x10\x00\x05\
\xdc\xfc\xdc\xcf\xb9\xe6\x70\xcc\xc3\xdd\x40\xc7\x8c\x16\x1f\x2b\xea\x24\x31\x26\
-UM1860-\x41\x8e\x18\x1a\xc9\xba\x17\x98\x71\x52\x66\x3e";

    /// ndpi/bittorrent.pcap frame 4, TCP payload: a handshake followed by the
    /// start of a BEP 10 extended handshake (length 0xe7, id 20).
    /// tshark: peer_id 2d5554333435302df0a2b9cdc78ab49e5d5792a4.
    const HANDSHAKE_AND_EXT: [u8; 112] = [
        0x13, 0x42, 0x69, 0x74, 0x54, 0x6f, 0x72, 0x72, 0x65, 0x6e, 0x74, 0x20, 0x70, 0x72, 0x6f,
        0x74, 0x6f, 0x63, 0x6f, 0x6c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0xdc, 0xfc,
        0xdc, 0xcf, 0xb9, 0xe6, 0x70, 0xcc, 0xc3, 0xdd, 0x40, 0xc7, 0x8c, 0x16, 0x1f, 0x2b, 0xea,
        0x24, 0x31, 0x26, 0x2d, 0x55, 0x54, 0x33, 0x34, 0x35, 0x30, 0x2d, 0xf0, 0xa2, 0xb9, 0xcd,
        0xc7, 0x8a, 0xb4, 0x9e, 0x5d, 0x57, 0x92, 0xa4, 0x00, 0x00, 0x00, 0xe7, 0x14, 0x00, 0x64,
        0x31, 0x3a, 0x65, 0x69, 0x30, 0x65, 0x34, 0x3a, 0x69, 0x70, 0x76, 0x34, 0x34, 0x3a, 0x52,
        0x39, 0x61, 0x53, 0x31, 0x32, 0x3a, 0x63, 0x6f, 0x6d, 0x70, 0x6c, 0x65, 0x74, 0x65, 0x5f,
        0x61, 0x67, 0x6f, 0x69, 0x33, 0x65, 0x31,
    ];

    /// ndpi/bt-http.pcapng frame 4: the request-target of Transmission's
    /// announce (`tshark -e http.request.uri`).
    const TRANSMISSION_ANNOUNCE: &str = "/announce?info_hash=%aa7i%c4S%0d%de%06%24%18s%da%d4%3a%b5%cc%ec%2c%e6%22&peer_id=-TR2940-chho92c56pul&port=51413&uploaded=0&downloaded=0&left=282050560&numwant=80&key=3b5502cc&compact=1&supportcrypto=1&requirecrypto=1&event=started";

    /// Its info_hash, from `python3 -c "urllib.parse.unquote_to_bytes(...)"`
    /// (tshark's HTTP dissector does not decode it).
    const TRANSMISSION_INFO_HASH: &str = "aa3769c4530dde06241873dad43ab5ccec2ce622";

    /// No UDP tracker traffic exists in the corpus: this announce is built by
    /// hand from BEP 15's table with TRANSMISSION_ANNOUNCE's values
    /// (connection id 0x8f3a2c1b5d6e7f01, transaction 0x1d2c3b4a, event 2 =
    /// started, key 0x3b5502cc, num_want 80, port 51413).
    const UDP_ANNOUNCE: [u8; 98] = [
        0x8f, 0x3a, 0x2c, 0x1b, 0x5d, 0x6e, 0x7f, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1d, 0x2c, 0x3b,
        0x4a, 0xaa, 0x37, 0x69, 0xc4, 0x53, 0x0d, 0xde, 0x06, 0x24, 0x18, 0x73, 0xda, 0xd4, 0x3a,
        0xb5, 0xcc, 0xec, 0x2c, 0xe6, 0x22, 0x2d, 0x54, 0x52, 0x32, 0x39, 0x34, 0x30, 0x2d, 0x63,
        0x68, 0x68, 0x6f, 0x39, 0x32, 0x63, 0x35, 0x36, 0x70, 0x75, 0x6c, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0xcf, 0xc0, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x3b, 0x55,
        0x02, 0xcc, 0x00, 0x00, 0x00, 0x50, 0xc8, 0xd5,
    ];

    /// ndpi/bittorrent_utp.pcap frame 1, UDP payload: get_peers query.
    const UTP_GET_PEERS: [u8; 104] = *b"d1:ad2:id20:\xf7\xf6\x00\x7c\xea\x13\x50\x6e\x51\x4d\xe7\xec\xbc\x94\xf2\xae\x51\x71\x15\xf8\
9:info_hash20:\xf7\xf6\x01\xd8\xa6\x27\x6f\x76\x2c\x2c\x3d\xf2\x74\xaf\x28\x27\xf8\xd1\xf1\xde\
e1:q9:get_peers1:t2:\x0e\x611:v4:\x4c\x54\x01\x011:y1:qe";

    /// ndpi/lru_ipv6_caches.pcapng frame 36, UDP payload: get_peers query over IPv6.
    const V6_GET_PEERS: [u8; 104] = *b"d1:ad2:id20:\xe5\x5c\x5b\xa2\x65\x38\xc3\xba\xec\x3a\x63\x97\xe9\x2a\x57\x78\xb4\x8f\xc2\xc6\
9:info_hash20:\xe5\x5c\x57\xf1\x59\x2e\x6e\x12\xdb\xe1\xb1\x2a\x2e\x59\x08\x3b\x22\x5c\x39\x43\
e1:q9:get_peers1:t2:tE1:v4:\x4c\x54\x01\x021:y1:qe";

    /// ndpi/targusdataspeed_false_positives.pcap frame 1, UDP payload: find_node query.
    const FIND_NODE: [u8; 98] = *b"d1:ad2:id20:\xf6\x02\x77\x01\x98\x62\xc1\x1c\x95\xbe\xf4\xf3\x00\xef\x50\x56\xb7\x68\x4a\x70\
6:target20:\xf6\x02\x77\x01\x98\x62\xc1\x1c\x95\xbe\xf4\xf3\x00\xef\x50\x56\xb7\x68\x4a\x71\
e1:q9:find_node1:t8:\x88\xd2\x8d\xc3\xa1\x09\xd0\x501:y1:qe";

    /// ndpi/targusdataspeed_false_positives.pcap frame 2, UDP payload: the
    /// response to FIND_NODE, with 8 compact nodes.
    const FIND_NODE_REPLY: [u8; 272] = *b"d1:rd2:id20:\xf1\x4c\x04\xc5\x1b\x2a\xd2\x50\x88\x4a\x15\xab\x9a\x7c\x2e\xfb\xff\xf4\x0f\xba\
5:nodes208:\xf6\x00\xc3\xcf\x7d\x84\xd6\xa6\x4f\x92\xa5\x81\x1d\xa8\x88\x78\x72\xc7\x3b\x74\xd5\x88\x4f\xcd\xc2\xe0\
\xf6\xf8\x32\x75\xc5\xbc\x93\x87\x2f\xdc\x5a\xfc\xb4\xe7\xaa\xfb\x2a\x6c\xa5\xaf\x3c\x7d\x5f\xea\x1f\x1f\xf7\x97\x84\xd4\
\x11\x09\x6c\x1d\x0f\x24\xba\x49\x59\xbb\xd4\x98\x1b\x1c\x68\xdc\x05\xbd\xbc\x17\xb7\x53\xf4\x2e\x22\x90\xd8\xf8\x9e\xca\
\x5b\x1a\x74\xd5\xd5\x1f\x51\xb7\x02\x5d\x85\x92\x5e\x48\x8e\xa5\x53\x78\xf4\x68\x2f\x79\x24\xf1\x33\x77\x11\x9f\x1d\xde\
\x44\xb1\xf7\xa2\x17\x13\x25\x67\xc3\x9a\xb3\x02\xa7\xe2\xf4\xa0\x37\xa6\x3a\x76\x19\xa2\x08\x50\x21\x1d\x4b\xb1\xf7\xa2\
\x2d\x9d\x35\x92\xc3\x9a\xac\xa9\xbc\x8d\xf5\x6a\xda\x90\x0c\xb0\xa6\x8d\x31\x2f\xa7\x55\xba\x30\x0f\x22\x8a\x5e\xeb\x98\
\x3c\x56\x86\x08\x67\x6d\xf5\xdf\xf4\x68\x62\x25\xb3\xb3\x2b\x10\x66\x7e\x5b\x09\x22\x9e\x47\xa3\x7a\x62\x76\x9f\x65\x58\
\x53\x19e1:t8:\x88\xd2\x8d\xc3\xa1\x09\xd0\x501:y1:re";

    /// ndpi/targusdataspeed_false_positives.pcap frame 4, UDP payload: a
    /// find_node response that starts with BEP 42's `ip` key.
    const FIND_NODE_REPLY_IP: [u8; 303] = *b"d2:ip6:\x5d\x2f\xe1\xf8\xb6\x35\
1:rd2:id20:\x0a\x2c\x64\x73\xf0\x2b\xb1\x77\x09\xed\x4d\xf0\xb2\x57\xd3\xa5\x5d\x3e\xf9\x0a\
5:nodes208:\x09\xe8\x4d\x67\x27\xe4\x3c\xf5\x5a\xc0\xbb\x30\x91\xa2\xd7\xd5\xba\x90\x77\xd7\xc0\x83\x2c\x59\xfe\xec\
\x08\xc0\x7e\x89\x80\xb6\xf1\x1f\xa9\xbe\x93\x48\x3d\x15\x94\x6e\x8f\x13\x00\x20\x6d\xb6\x25\x3f\x78\x8a\x09\x4c\x2b\xd2\
\x5c\x79\xbb\x13\xa9\x95\x21\x6d\x71\x74\x95\x6d\x14\x60\x71\x8f\xbd\x45\x75\xb6\xe1\xe9\x08\xb4\x3b\x86\x90\xef\x53\xcd\
\x68\x3a\x55\x48\x53\x09\x05\xfa\xce\x93\x11\x23\x50\xf9\x75\x1e\x05\x11\x09\x87\x48\xaf\x43\xd9\xf9\xe6\x95\x00\x3b\x9a\
\xed\xf5\x4c\x5c\x14\xdc\x43\x81\x02\x84\x9a\xd2\x76\x47\x09\xe2\x12\xe1\x6e\x26\xae\xeb\x22\x48\xf9\x5b\x8e\x7c\x3f\x9b\
\x22\x19\xb3\xcf\xb5\x79\x49\xb3\x65\x35\x08\x55\xdd\xfa\x85\x96\xba\xf3\x4a\x73\xdb\xab\x13\x82\xaf\x6f\x4a\x96\x8b\x58\
\x0e\xc0\xd3\x27\x10\xb5\x08\xdb\x9f\xf1\xf1\xbb\xe9\xeb\xb3\xa6\xdb\x3c\x87\x0c\x3e\x99\x24\x5e\x0d\x90\x88\x1e\xd6\xbc\
\xb7\x2f1:pi46645ee1:t8:\xca\xa1\x18\xdd\x9c\xec\x72\x751:v4:\x4c\x54\x01\x021:y1:re";

    /// BEP 5's own examples (no ping, announce_peer or error in the corpus).
    const BEP5_PING: &[u8] = b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
    const BEP5_PING_REPLY: &[u8] = b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";
    const BEP5_ANNOUNCE_PEER: &[u8] = b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe";
    const BEP5_ERROR: &[u8] = b"d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee";

    fn id(hex_str: &str) -> [u8; 20] {
        let mut out = [0u8; 20];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&hex_str[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    fn done<T: std::fmt::Debug>(p: Parsed<T>) -> (T, usize) {
        match p {
            Parsed::Done { value, consumed } => (value, consumed),
            other => panic!("expected Done, got {other:?}"),
        }
    }

    #[test]
    fn hex_is_lowercase_and_round_trips() {
        assert_eq!(hex(&id(TRANSMISSION_INFO_HASH)), TRANSMISSION_INFO_HASH);
        assert_eq!(hex(&[0xAB; 20]), "ab".repeat(20));
    }

    #[test]
    fn handshake_matches_tshark() {
        let (hs, consumed) = done(parse_handshake(&HANDSHAKE));
        assert_eq!(consumed, 68);
        assert_eq!(
            hex(&hs.info_hash),
            "dcfcdccfb9e670ccc3dd40c78c161f2bea243126"
        );
        assert_eq!(hex(&hs.peer_id), "2d554d313836302d418e181ac9ba17987152663e");
        assert_eq!(hs.reserved, [0, 0, 0, 0, 0, 0x10, 0, 0x05]);
        assert!(hs.extension_protocol() && hs.dht() && hs.fast());
    }

    #[test]
    fn handshake_followed_by_messages_consumes_68() {
        let (hs, consumed) = done(parse_handshake(&HANDSHAKE_AND_EXT));
        assert_eq!(consumed, 68);
        assert_eq!(
            hex(&hs.info_hash),
            "dcfcdccfb9e670ccc3dd40c78c161f2bea243126"
        );
        assert_eq!(hex(&hs.peer_id), "2d5554333435302df0a2b9cdc78ab49e5d5792a4");
        assert_eq!(&hs.peer_id[..8], b"-UT3450-");
        // The next message's length prefix starts right there.
        assert_eq!(HANDSHAKE_AND_EXT[consumed..consumed + 4], [0, 0, 0, 0xe7]);
    }

    #[test]
    fn handshake_prefixes_are_incomplete_with_68_needed() {
        for n in 0..HANDSHAKE.len() {
            assert_eq!(
                parse_handshake(&HANDSHAKE[..n]),
                Parsed::Incomplete { needed: Some(68) },
                "prefix {n}"
            );
        }
    }

    #[test]
    fn hostile_handshakes_give_named_outcomes() {
        let mut wrong_case = HANDSHAKE;
        wrong_case[19] = b'L';
        let mut pstrlen_20 = HANDSHAKE;
        pstrlen_20[0] = 20;
        let cases: &[(&str, &[u8], Parsed<()>)] = &[
            (
                "pstrlen 20",
                &pstrlen_20,
                Parsed::Invalid("bittorrent.bad_handshake"),
            ),
            (
                "pstrlen alone, wrong",
                b"\x14",
                Parsed::Invalid("bittorrent.bad_handshake"),
            ),
            (
                "last pstr byte differs",
                &wrong_case,
                Parsed::Invalid("bittorrent.bad_handshake"),
            ),
            (
                "wrong pstr, cut short",
                b"\x13BitTorrent pX",
                Parsed::Invalid("bittorrent.bad_handshake"),
            ),
            (
                "MSE-encrypted stream",
                b"\x8a\x51\x02\xf3\x99\x00\x10\x07",
                Parsed::Invalid("bittorrent.bad_handshake"),
            ),
            (
                "HTTP instead",
                b"GET /announce HTTP/1.1\r\n",
                Parsed::Invalid("bittorrent.bad_handshake"),
            ),
            (
                "pstr complete, no hashes yet",
                b"\x13BitTorrent protocol\0\0\0",
                Parsed::Incomplete { needed: Some(68) },
            ),
        ];
        for (what, input, want) in cases {
            let got = parse_handshake(input).outcome();
            assert_eq!(&got, want, "{what}");
        }
    }

    #[test]
    fn transmission_announce_uri_decodes_binary_info_hash() {
        let a = parse_announce_uri(TRANSMISSION_ANNOUNCE).expect("announce");
        assert_eq!(
            a,
            Announce {
                info_hash: id(TRANSMISSION_INFO_HASH),
                peer_id: Some(*b"-TR2940-chho92c56pul"),
                port: Some(51413),
                event: Some("started".into()),
                uploaded: Some(0),
                downloaded: Some(0),
                left: Some(282050560),
            }
        );
    }

    #[test]
    fn announce_uri_edge_cases() {
        let ih = "%aa7i%c4S%0d%de%06%24%18s%da%d4%3a%b5%cc%ec%2c%e6%22";
        let some = |uri: &str| parse_announce_uri(uri).expect(uri);
        // Any path with an info_hash; absolute-form too.
        assert_eq!(
            some(&format!("/a/9f3c/announce.php?info_hash={ih}")).info_hash,
            id(TRANSMISSION_INFO_HASH)
        );
        assert_eq!(
            some(&format!("http://t.example:6969/announce?info_hash={ih}")).info_hash,
            id(TRANSMISSION_INFO_HASH)
        );
        // First copy wins (a scrape with several hashes reports the first).
        let twice = some(&format!(
            "/scrape?info_hash={ih}&info_hash=%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00"
        ));
        assert_eq!(twice.info_hash, id(TRANSMISSION_INFO_HASH));
        // '+' is a space in a query; uppercase hex works.
        let plus = some("/announce?info_hash=+%2B%2b0123456789abcdefg&peer_id=ABCDEFGHIJKLMNOPQRS");
        assert_eq!(&plus.info_hash[..3], b" ++");
        assert_eq!(
            plus.peer_id, None,
            "a 19-byte peer_id is dropped, the announce kept"
        );
        // Malformed numbers and empty event are dropped field by field.
        let bad = some(&format!(
            "/announce?info_hash={ih}&port=70000&left=-1&uploaded=1e3&event=&downloaded=18446744073709551615"
        ));
        assert_eq!(
            (bad.port, bad.left, bad.uploaded, bad.event),
            (None, None, None, None)
        );
        assert_eq!(bad.downloaded, Some(u64::MAX));
        let long_event = some(&format!(
            "/announce?info_hash={ih}&event={}",
            "x".repeat(cap::MAX_EVENT_LEN + 1)
        ));
        assert_eq!(long_event.event, None);
    }

    #[test]
    fn announce_uris_without_a_20_byte_info_hash_are_none() {
        let nineteen = "%aa7i%c4S%0d%de%06%24%18s%da%d4%3a%b5%cc%ec%2c%e6";
        let many_params = format!(
            "/announce?{}&info_hash={nineteen}%22",
            "k=v&".repeat(cap::MAX_QUERY_PARAMS)
        );
        let cases: &[(&str, &str)] = &[
            (
                "19-byte info_hash",
                &format!("/announce?info_hash={nineteen}"),
            ),
            (
                "21-byte info_hash",
                &format!("/announce?info_hash={nineteen}%22%22"),
            ),
            ("bad escape", &format!("/announce?info_hash={nineteen}%zz")),
            (
                "escape cut short",
                &format!("/announce?info_hash={nineteen}%2"),
            ),
            ("empty info_hash", "/announce?info_hash=&port=1"),
            (
                "no info_hash",
                "/announce?peer_id=-TR2940-chho92c56pul&port=51413",
            ),
            ("no query", "/announce"),
            ("over the parameter cap", &many_params),
            (
                "first info_hash bad, second good",
                &format!("/announce?info_hash=x&info_hash={nineteen}%22"),
            ),
        ];
        for (what, uri) in cases {
            assert_eq!(parse_announce_uri(uri), None, "{what}");
        }
    }

    #[test]
    fn udp_tracker_announce_reads_bep15_fields() {
        let a = parse_udp_tracker_announce(&UDP_ANNOUNCE).expect("announce");
        assert_eq!(
            a,
            Announce {
                info_hash: id(TRANSMISSION_INFO_HASH),
                peer_id: Some(*b"-TR2940-chho92c56pul"),
                port: Some(51413),
                event: Some("started".into()),
                uploaded: Some(0),
                downloaded: Some(0),
                left: Some(282050560),
            }
        );
        // BEP 41 options after the 98 bytes are ignored.
        let mut with_options = UDP_ANNOUNCE.to_vec();
        with_options.extend_from_slice(b"\x02\x09/announce\x00");
        assert_eq!(parse_udp_tracker_announce(&with_options), Some(a));
    }

    #[test]
    fn udp_tracker_event_is_an_open_enum() {
        let cases = [
            (0u8, None),
            (1, Some("completed")),
            (3, Some("stopped")),
            (9, Some("unknown(9)")),
        ];
        for (event, want) in cases {
            let mut d = UDP_ANNOUNCE;
            d[udp_field::EVENT.end - 1] = event;
            assert_eq!(
                parse_udp_tracker_announce(&d).unwrap().event.as_deref(),
                want
            );
        }
    }

    #[test]
    fn udp_datagrams_that_are_not_announces_are_none() {
        let mut connect = UDP_ANNOUNCE;
        connect[udp_field::ACTION.end - 1] = 0;
        assert_eq!(
            parse_udp_tracker_announce(&connect),
            None,
            "action 0 (connect)"
        );
        assert_eq!(
            parse_udp_tracker_announce(&UDP_ANNOUNCE[..97]),
            None,
            "97 bytes"
        );
        assert_eq!(parse_udp_tracker_announce(&[]), None, "empty");
        assert_eq!(
            parse_udp_tracker_announce(&UTP_GET_PEERS[..98]),
            None,
            "DHT datagram"
        );
    }

    #[test]
    fn dht_get_peers_queries_match_tshark() {
        let cases: [(&[u8], &str, &str, &[u8]); 2] = [
            (
                &UTP_GET_PEERS,
                "f7f6007cea13506e514de7ecbc94f2ae517115f8",
                "f7f601d8a6276f762c2c3df274af2827f8d1f1de",
                b"\x0e\x61",
            ),
            (
                &V6_GET_PEERS,
                "e55c5ba26538c3baec3a6397e92a5778b48fc2c6",
                "e55c57f1592e6e12dbe1b12a2e59083b225c3943",
                b"tE",
            ),
        ];
        for (datagram, node, info_hash, t) in cases {
            let (msg, consumed) = done(parse_dht(datagram));
            assert_eq!(consumed, datagram.len());
            assert_eq!(msg.transaction, t);
            assert_eq!(
                msg.kind,
                DhtKind::Query {
                    method: "get_peers".into(),
                    node_id: Some(id(node)),
                    info_hash: Some(id(info_hash)),
                }
            );
        }
    }

    #[test]
    fn dht_find_node_and_its_responses_match_tshark() {
        let (q, _) = done(parse_dht(&FIND_NODE));
        assert_eq!(q.transaction, b"\x88\xd2\x8d\xc3\xa1\x09\xd0\x50");
        // find_node carries a target, not an info_hash.
        assert_eq!(
            q.kind,
            DhtKind::Query {
                method: "find_node".into(),
                node_id: Some(id("f60277019862c11c95bef4f300ef5056b7684a70")),
                info_hash: None,
            }
        );
        let (r, consumed) = done(parse_dht(&FIND_NODE_REPLY));
        assert_eq!(consumed, FIND_NODE_REPLY.len());
        assert_eq!(
            r.transaction, q.transaction,
            "the response pairs with the query"
        );
        assert_eq!(
            r.kind,
            DhtKind::Response {
                node_id: Some(id("f14c04c51b2ad250884a15ab9a7c2efbfff40fba"))
            }
        );
        let (r, _) = done(parse_dht(&FIND_NODE_REPLY_IP));
        assert_eq!(r.transaction, b"\xca\xa1\x18\xdd\x9c\xec\x72\x75");
        assert_eq!(
            r.kind,
            DhtKind::Response {
                node_id: Some(id("0a2c6473f02bb17709ed4df0b257d3a55d3ef90a"))
            }
        );
    }

    #[test]
    fn dht_bep5_examples() {
        let (m, _) = done(parse_dht(BEP5_PING));
        assert_eq!(
            m,
            DhtMessage {
                transaction: b"aa".to_vec(),
                kind: DhtKind::Query {
                    method: "ping".into(),
                    node_id: Some(*b"abcdefghij0123456789"),
                    info_hash: None
                },
            }
        );
        let (m, _) = done(parse_dht(BEP5_PING_REPLY));
        assert_eq!(
            m.kind,
            DhtKind::Response {
                node_id: Some(*b"mnopqrstuvwxyz123456")
            }
        );
        let (m, _) = done(parse_dht(BEP5_ANNOUNCE_PEER));
        assert_eq!(
            m.kind,
            DhtKind::Query {
                method: "announce_peer".into(),
                node_id: Some(*b"abcdefghij0123456789"),
                info_hash: Some(*b"mnopqrstuvwxyz123456"),
            }
        );
        let (m, _) = done(parse_dht(BEP5_ERROR));
        assert_eq!(
            (m.transaction.as_slice(), m.kind),
            (&b"aa"[..], DhtKind::Error)
        );
    }

    #[test]
    fn bencode_values_decode_exactly() {
        let (v, consumed) = done(parse_bencode(b"d3:cowi-42e4:spaml1:a0:ee5:extra"));
        assert_eq!(consumed, 25);
        assert_eq!(
            v,
            Bencode::Dict(vec![
                (&b"cow"[..], Bencode::Int(-42)),
                (
                    &b"spam"[..],
                    Bencode::List(vec![Bencode::Bytes(b"a"), Bencode::Bytes(b"")])
                ),
            ])
        );
        assert_eq!(done(parse_bencode(b"i0e")).0, Bencode::Int(0));
        assert_eq!(
            done(parse_bencode(b"i9223372036854775807e")).0,
            Bencode::Int(i64::MAX)
        );
        assert_eq!(
            done(parse_bencode(b"i-9223372036854775808e")).0,
            Bencode::Int(i64::MIN)
        );
        // Unsorted and duplicate keys are accepted; `get` returns the first.
        let (v, _) = done(parse_bencode(b"d1:bi1e1:ai2e1:bi3ee"));
        assert_eq!(v.get(b"b"), Some(&Bencode::Int(1)));
    }

    #[test]
    fn bencode_caps_are_inclusive() {
        let deepest = format!(
            "{}{}",
            "l".repeat(cap::MAX_BENCODE_DEPTH),
            "e".repeat(cap::MAX_BENCODE_DEPTH)
        );
        assert!(matches!(
            parse_bencode(deepest.as_bytes()),
            Parsed::Done { .. }
        ));
        // The list itself plus 1023 integers is exactly MAX_BENCODE_ITEMS values.
        let fullest = format!("l{}e", "i0e".repeat(cap::MAX_BENCODE_ITEMS - 1));
        assert!(matches!(
            parse_bencode(fullest.as_bytes()),
            Parsed::Done { .. }
        ));
        let longest = format!(
            "{}:{}",
            cap::MAX_BENCODE_STRING,
            "x".repeat(cap::MAX_BENCODE_STRING)
        );
        assert_eq!(done(parse_bencode(longest.as_bytes())).1, longest.len());
    }

    #[test]
    fn hostile_bencode_gives_named_outcomes() {
        let too_deep = format!(
            "{}{}",
            "l".repeat(cap::MAX_BENCODE_DEPTH + 1),
            "e".repeat(cap::MAX_BENCODE_DEPTH + 1)
        );
        let dict_bomb = "d1:a".repeat(1000);
        let list_bomb = "l".repeat(100_000);
        let too_many = format!("l{}e", "i0e".repeat(cap::MAX_BENCODE_ITEMS));
        let too_long = format!("{}:", cap::MAX_BENCODE_STRING + 1);
        let cases: &[(&str, &[u8], Parsed<()>)] = &[
            (
                "17 nested lists",
                too_deep.as_bytes(),
                Parsed::Invalid("bittorrent.bencode_too_deep"),
            ),
            (
                "nested dict bomb",
                dict_bomb.as_bytes(),
                Parsed::Invalid("bittorrent.bencode_too_deep"),
            ),
            (
                "100000 open lists",
                list_bomb.as_bytes(),
                Parsed::Invalid("bittorrent.bencode_too_deep"),
            ),
            (
                "1025 values",
                too_many.as_bytes(),
                Parsed::Invalid("bittorrent.bencode_too_big"),
            ),
            (
                "huge string length",
                b"999999999:",
                Parsed::Invalid("bittorrent.bencode_too_big"),
            ),
            (
                "absurd string length",
                b"99999999999999999999999999999:",
                Parsed::Invalid("bittorrent.bencode_too_big"),
            ),
            (
                "string over the cap by one",
                too_long.as_bytes(),
                Parsed::Invalid("bittorrent.bencode_too_big"),
            ),
            (
                "negative string length",
                b"-5:abc",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "negative length in a dict",
                b"d-5:abce",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "leading zero length",
                b"05:hello",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "minus zero",
                b"i-0e",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "leading zero int",
                b"i03e",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "empty int",
                b"ie",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "bare minus",
                b"i-e",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "int overflow",
                b"i9223372036854775808e",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "negative overflow",
                b"i-9223372036854775809e",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "int with space",
                b"i1 e",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "integer key",
                b"di1ei2ee",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "length without colon",
                b"3xabc",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "unknown type",
                b"x",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            ("stray end", b"e", Parsed::Invalid("bittorrent.bad_bencode")),
            (
                "string cut short",
                b"3:ab",
                Parsed::Incomplete { needed: None },
            ),
            (
                "dict without end",
                b"d1:ai1e",
                Parsed::Incomplete { needed: None },
            ),
            (
                "int without end",
                b"i12",
                Parsed::Incomplete { needed: None },
            ),
            (
                "length without colon yet",
                b"12",
                Parsed::Incomplete { needed: None },
            ),
            ("empty", b"", Parsed::Incomplete { needed: None }),
        ];
        for (what, input, want) in cases {
            let got = parse_bencode(input).outcome();
            assert_eq!(&got, want, "{what}");
        }
    }

    #[test]
    fn hostile_dht_datagrams_give_named_outcomes() {
        let long_t = format!("d1:t65:{}1:y1:re", "t".repeat(65));
        let bomb = "d1:a".repeat(64);
        let cases: &[(&str, &[u8], Parsed<()>)] = &[
            (
                "truncated query",
                &UTP_GET_PEERS[..60],
                Parsed::Invalid("bittorrent.dht_truncated"),
            ),
            (
                "a list, not a dict",
                b"l1:t2:aae",
                Parsed::Invalid("bittorrent.dht_not_dict"),
            ),
            (
                "no transaction",
                b"d1:y1:re",
                Parsed::Invalid("bittorrent.dht_bad_message"),
            ),
            (
                "integer transaction",
                b"d1:ti1e1:y1:re",
                Parsed::Invalid("bittorrent.dht_bad_message"),
            ),
            (
                "no type",
                b"d1:t2:aae",
                Parsed::Invalid("bittorrent.dht_bad_message"),
            ),
            (
                "unknown type",
                b"d1:t2:aa1:y1:xe",
                Parsed::Invalid("bittorrent.dht_bad_message"),
            ),
            (
                "query without method",
                b"d1:ad2:id20:abcdefghij0123456789e1:t2:aa1:y1:qe",
                Parsed::Invalid("bittorrent.dht_bad_message"),
            ),
            (
                "transaction over the cap",
                long_t.as_bytes(),
                Parsed::Invalid("bittorrent.dht_field_too_long"),
            ),
            (
                "uTP packet (not bencode)",
                b"\x21\x00\x5a\x3c\x00\x00\x00\x00",
                Parsed::Invalid("bittorrent.bad_bencode"),
            ),
            (
                "nesting bomb",
                bomb.as_bytes(),
                Parsed::Invalid("bittorrent.bencode_too_deep"),
            ),
        ];
        for (what, input, want) in cases {
            let got = parse_dht(input).outcome();
            assert_eq!(&got, want, "{what}");
        }
        // Short ids are not ids.
        let (m, _) = done(parse_dht(
            b"d1:ad2:id3:abc9:info_hash19:abcdefghij012345678e1:q9:get_peers1:t2:aa1:y1:qe",
        ));
        assert_eq!(
            m.kind,
            DhtKind::Query {
                method: "get_peers".into(),
                node_id: None,
                info_hash: None
            }
        );
    }

    /// Every prefix of every real datagram: bencode says Incomplete, the DHT
    /// parser says truncated; never Done.
    #[test]
    fn dht_prefixes_are_incomplete_never_done() {
        let datagrams: [&[u8]; 9] = [
            &UTP_GET_PEERS,
            &V6_GET_PEERS,
            &FIND_NODE,
            &FIND_NODE_REPLY,
            &FIND_NODE_REPLY_IP,
            BEP5_PING,
            BEP5_PING_REPLY,
            BEP5_ANNOUNCE_PEER,
            BEP5_ERROR,
        ];
        for d in datagrams {
            assert!(matches!(parse_dht(d), Parsed::Done { .. }));
            for n in 0..d.len() {
                assert_eq!(
                    parse_bencode(&d[..n]),
                    Parsed::Incomplete { needed: None },
                    "prefix {n}"
                );
                assert_eq!(
                    parse_dht(&d[..n]),
                    Parsed::Invalid("bittorrent.dht_truncated"),
                    "prefix {n}"
                );
            }
        }
    }

    /// Bit flips anywhere never panic, and a Done never claims more than it was given.
    #[test]
    fn bit_flips_never_panic_or_overrun() {
        let msgs: [&[u8]; 7] = [
            &HANDSHAKE_AND_EXT,
            &UDP_ANNOUNCE,
            &UTP_GET_PEERS,
            &FIND_NODE_REPLY_IP,
            BEP5_ANNOUNCE_PEER,
            BEP5_ERROR,
            TRANSMISSION_ANNOUNCE.as_bytes(),
        ];
        for msg in msgs {
            for i in 0..msg.len() {
                for mask in [0x01u8, 0x10, 0x80, 0xff] {
                    let mut m = msg.to_vec();
                    m[i] ^= mask;
                    if let Parsed::Done { consumed, .. } = parse_handshake(&m) {
                        assert_eq!(consumed, 68);
                    }
                    if let Parsed::Done { consumed, .. } = parse_bencode(&m) {
                        assert!(consumed <= m.len());
                    }
                    if let Parsed::Done { consumed, .. } = parse_dht(&m) {
                        assert!(consumed <= m.len());
                    }
                    let _ = parse_udp_tracker_announce(&m);
                    let _ = parse_announce_uri(&String::from_utf8_lossy(&m));
                }
            }
        }
    }
}
