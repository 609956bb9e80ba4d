//! Pure QUIC long-header and Initial-packet parsing (see the module doc in
//! `mod.rs` for the RFCs, coverage, limits and anomaly names).
//!
//! Every function here is total: any byte string gives a value, "needs more
//! bytes", or a named anomaly, and nothing panics — lengths are checked once
//! through `get`, `split_at_checked` and the `Reader` below before any byte is
//! read, and there is no `unwrap` on data.

use std::borrow::Cow;

use aes::Aes128;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes128Gcm, Nonce, Tag};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::dissect::Parsed;

/// Anomaly names (`quic.what`), one per way a datagram can be rejected.
pub mod anomaly {
    /// The Length field runs past the datagram, or the packet is too short to
    /// hold the 16-byte header-protection sample (or a Retry its tag).
    pub const TRUNCATED: &str = "quic.truncated";
    /// A variable-length integer inside a decrypted payload stops short.
    pub const BAD_VARINT: &str = "quic.bad_varint";
    /// The AEAD tag does not authenticate the packet under the given keys.
    pub const DECRYPT_FAILED: &str = "quic.decrypt_failed";
    /// The version has no known Initial salt, so its Initials cannot be read.
    pub const UNSUPPORTED_VERSION: &str = "quic.unsupported_version";
    /// A known frame is malformed (data past the payload, offset past 2^62-1,
    /// more ACK ranges than bytes left).
    pub const BAD_FRAME: &str = "quic.bad_frame";
    /// More than [`MAX_FRAMES`](super::MAX_FRAMES) non-PADDING frames in one packet.
    pub const TOO_MANY_FRAMES: &str = "quic.too_many_frames";
    /// The first byte has the Header Form bit clear (a short-header packet).
    pub const NOT_LONG_HEADER: &str = "quic.not_long_header";
    /// [`decrypt_initial`](super::decrypt_initial) was given a long-header
    /// packet that is not an Initial.
    pub const NOT_INITIAL: &str = "quic.not_initial";
}

/// At most this many non-PADDING frames are read from one packet; one more is
/// [`anomaly::TOO_MANY_FRAMES`]. Chrome's "chaos protection" splits a ClientHello
/// into a few dozen CRYPTO, PING and PADDING frames, far below this.
pub const MAX_FRAMES: usize = 256;

/// Byte offsets of the version-independent long header (RFC 8999 §5.1).
pub mod field {
    use std::ops::Range;
    /// Header Form, Fixed Bit, Long Packet Type and type-specific bits.
    pub const FIRST_BYTE: usize = 0;
    /// Version, big-endian.
    pub const VERSION: Range<usize> = 1..5;
    /// Destination Connection ID Length; the DCID follows it.
    pub const DCID_LEN: usize = 5;
}

/// First-byte bits (RFC 9000 §17.2).
mod bits {
    /// Header Form: 1 for a long header.
    pub const HEADER_FORM: u8 = 0x80;
    /// Long Packet Type, two bits.
    pub const LONG_TYPE_MASK: u8 = 0x30;
    pub const LONG_TYPE_SHIFT: u8 = 4;
    /// Header protection masks the low four bits of a long header (RFC 9001 §5.4.1).
    pub const LONG_HP_MASK: u8 = 0x0f;
    /// Packet Number Length minus one.
    pub const PN_LEN_MASK: u8 = 0x03;
}

/// Known versions (RFC 9000 §15, RFC 9369 §3.1).
pub mod version {
    /// Version Negotiation packets carry version 0.
    pub const NEGOTIATION: u32 = 0;
    /// QUIC version 1, RFC 9000.
    pub const V1: u32 = 0x0000_0001;
    /// QUIC version 2, RFC 9369.
    pub const V2: u32 = 0x6b33_43cf;
    /// IETF drafts are `0xff0000NN` for draft NN.
    pub const DRAFT_PREFIX: u32 = 0xff00_0000;
    /// Versions whose bits under this mask ...
    pub const RESERVED_MASK: u32 = 0x0f0f_0f0f;
    /// ... and this pattern.
    pub const RESERVED_PATTERN: u32 = 0x0a0a_0a0a;
}

/// The Initial salts (RFC 9001 §5.2, RFC 9369 §3.3.1, drafts 22–32; mvfst
/// versions reuse draft salts).
mod salt {
    pub const V1: [u8; 20] = [
        0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c,
        0xad, 0xcc, 0xbb, 0x7f, 0x0a,
    ];
    pub const V2: [u8; 20] = [
        0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d,
        0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
    ];
    /// draft-ietf-quic-tls-29 to -32.
    pub const DRAFT_29: [u8; 20] = [
        0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11,
        0xe0, 0x43, 0x90, 0xa8, 0x99,
    ];
    /// draft-ietf-quic-tls-22 (and mvfst 0xfaceb001).
    pub const DRAFT_22: [u8; 20] = [
        0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51, 0x9e,
        0xbd, 0x7a, 0x02, 0x64, 0x4a,
    ];
    /// draft-ietf-quic-tls-23 to -28.
    pub const DRAFT_23: [u8; 20] = [
        0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63,
        0x65, 0xbe, 0xf9, 0xf5, 0x02,
    ];
}

/// AEAD_AES_128_GCM sizes (RFC 9001 §5.3, §5.4.2).
mod size {
    pub const KEY: usize = 16;
    pub const IV: usize = 12;
    pub const HP: usize = 16;
    pub const TAG: usize = 16;
    /// Header protection samples 16 bytes starting 4 bytes after the packet
    /// number offset, whatever the packet number's real length.
    pub const SAMPLE: usize = 16;
    pub const SAMPLE_SKIP: usize = 4;
    /// Initial secrets are SHA-256 sized.
    pub const SECRET: usize = 32;
    /// A Retry packet ends with a 16-byte integrity tag (RFC 9001 §5.8).
    pub const RETRY_TAG: usize = 16;
}

/// The largest offset+length a CRYPTO frame may reach (RFC 9000 §19.6).
const MAX_STREAM_OFFSET: u64 = (1 << 62) - 1;

/// The long-header packet types. The two type bits mean different things in
/// v1 and v2, so the version decides ([`PacketType::from_bits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketType {
    /// Initial: carries the ClientHello / ServerHello in CRYPTO frames.
    Initial,
    /// 0-RTT: early application data.
    ZeroRtt,
    /// Handshake: the rest of the TLS handshake.
    Handshake,
    /// Retry: a server's address-validation token.
    Retry,
    /// Version Negotiation (version 0): the server's supported versions.
    VersionNegotiation,
    /// A version whose packet layout is unknown; the raw two type bits.
    Unknown(u8),
}

impl PacketType {
    /// The packet type named by the Long Packet Type bits under `version`.
    pub fn from_bits(version: u32, first_byte: u8) -> PacketType {
        let bits = (first_byte & bits::LONG_TYPE_MASK) >> bits::LONG_TYPE_SHIFT;
        if version == version::NEGOTIATION {
            return PacketType::VersionNegotiation;
        }
        match (version_family(version), bits) {
            // RFC 9369 §3.2: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00.
            (Some(Family::V2), 0b01) => PacketType::Initial,
            (Some(Family::V2), 0b10) => PacketType::ZeroRtt,
            (Some(Family::V2), 0b11) => PacketType::Handshake,
            (Some(Family::V2), _) => PacketType::Retry,
            // RFC 9000 §17.2 Table 5: Initial 0x00, 0-RTT 0x01, Handshake 0x02, Retry 0x03.
            (Some(_), 0b00) => PacketType::Initial,
            (Some(_), 0b01) => PacketType::ZeroRtt,
            (Some(_), 0b10) => PacketType::Handshake,
            (Some(_), _) => PacketType::Retry,
            (None, n) => PacketType::Unknown(n),
        }
    }
}

/// Which salt and labels a version's Initial keys use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    V1,
    V2,
    Draft29,
    Draft23,
    Draft22,
}

/// The version family whose Initial packets this module can read, if any.
fn version_family(v: u32) -> Option<Family> {
    match v {
        version::V1 => Some(Family::V1),
        version::V2 => Some(Family::V2),
        // draft-ietf-quic-tls-33 and -34 already used the RFC 9001 salt.
        0xff00_0021..=0xff00_0022 => Some(Family::V1),
        0xff00_001d..=0xff00_0020 => Some(Family::Draft29),
        0xff00_0017..=0xff00_001c => Some(Family::Draft23),
        0xff00_0016 => Some(Family::Draft22),
        // Facebook's mvfst: 0xfaceb001 followed draft-22, 0xfaceb002 draft-27
        // (ndpi/quic-mvfst-22.pcap and -27.pcapng decrypt so, as Wireshark
        // decrypts them). Google's versions are not read.
        0xface_b001 => Some(Family::Draft22),
        0xface_b002 => Some(Family::Draft23),
        // Reserved versions (RFC 9000 §15, 0x?a?a?a?a) force version
        // negotiation. The clients of ndpi/quic_interop_V.pcapng protect such
        // Initials with the draft-29 salt (all 63 decrypt with it, none with
        // v1's), and tshark decrypts them so.
        v if v & 0x0f0f_0f0f == 0x0a0a_0a0a => Some(Family::Draft29),
        _ => None,
    }
}

/// True if the first byte has the Header Form bit set (RFC 9000 §17.2).
pub fn is_long_header(b: u8) -> bool {
    b & bits::HEADER_FORM != 0
}

/// A readable name for a version: "QUIC v1", "QUIC v2", "draft-29",
/// "Google QUIC Q050", "reserved 0x1a2a3a4a", or the hex value.
pub fn version_name(v: u32) -> Cow<'static, str> {
    match v {
        version::NEGOTIATION => Cow::Borrowed("version negotiation"),
        version::V1 => Cow::Borrowed("QUIC v1"),
        version::V2 => Cow::Borrowed("QUIC v2"),
        _ if v & 0xffff_ff00 == version::DRAFT_PREFIX => Cow::Owned(format!("draft-{}", v & 0xff)),
        _ if v & 0xffff_fff0 == 0xface_b000 => Cow::Owned(format!("mvfst 0x{v:08x}")),
        _ if v & version::RESERVED_MASK == version::RESERVED_PATTERN => {
            Cow::Owned(format!("reserved 0x{v:08x}"))
        }
        _ => {
            let bytes = v.to_be_bytes();
            let [letter, digits @ ..] = bytes;
            let google = matches!(letter, b'Q' | b'T') && digits.iter().all(u8::is_ascii_digit);
            if google {
                Cow::Owned(format!("Google QUIC {}", String::from_utf8_lossy(&bytes)))
            } else {
                Cow::Owned(format!("0x{v:08x}"))
            }
        }
    }
}

/// A bounds-checked cursor; every read returns `None` instead of panicking.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn u8(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn u32(&mut self) -> Option<u32> {
        let b: [u8; 4] = self.bytes(4)?.try_into().ok()?;
        Some(u32::from_be_bytes(b))
    }

    /// How many bytes the varint at the cursor takes (from its first byte).
    fn varint_len(&self) -> Option<usize> {
        self.peek().map(|b| 1 << (b >> 6))
    }

    // RFC 9000 §16: the two high bits of the first byte give the length
    // (1, 2, 4 or 8 bytes); the rest is the value, big-endian.
    fn varint(&mut self) -> Option<u64> {
        let len = self.varint_len()?;
        let raw = self.bytes(len)?;
        let mut v: u64 = 0;
        for (i, b) in raw.iter().enumerate() {
            let b = if i == 0 { b & 0x3f } else { *b };
            v = (v << 8) | u64::from(b);
        }
        Some(v)
    }
}

/// A parsed long header, borrowing its variable fields from the datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongHeader<'a> {
    /// The first byte as received (still header-protected for Initial,
    /// 0-RTT and Handshake packets).
    pub first_byte: u8,
    /// The version field.
    pub version: u32,
    /// Destination Connection ID.
    pub dcid: &'a [u8],
    /// Source Connection ID.
    pub scid: &'a [u8],
    /// The packet type under this version.
    pub packet_type: PacketType,
    /// The Initial token, or a Retry token; empty otherwise.
    pub token: &'a [u8],
    /// The Length field (packet number + payload) for Initial, 0-RTT and
    /// Handshake; for the others, the bytes after the Source Connection ID.
    pub length: u64,
    /// Offset of the protected packet number (for the others: of the bytes
    /// after the Source Connection ID).
    pub header_len: usize,
    /// Total bytes of this packet in the datagram: the next coalesced packet,
    /// if any, starts there.
    pub packet_len: usize,
}

/// "Need at least `n` bytes" for a header cut short.
fn need<T>(n: usize) -> Parsed<T> {
    Parsed::Incomplete { needed: Some(n) }
}

// RFC 9000 §17.2:
//   Long Header Packet {
//     Header Form (1) = 1,
//     Fixed Bit (1) = 1,
//     Long Packet Type (2),
//     Type-Specific Bits (4),
//     Version (32),
//     Destination Connection ID Length (8),
//     Destination Connection ID (0..160),
//     Source Connection ID Length (8),
//     Source Connection ID (0..160),
//     Type-Specific Payload (..),
//   }
// §17.2.2 (Initial; 0-RTT and Handshake lack the token):
//     Token Length (i),
//     Token (..),
//     Length (i),
//     Packet Number (8..32),
//     Packet Payload (8..),
// §17.2.5 (Retry):
//     Retry Token (..),
//     Retry Integrity Tag (128),
/// Parses the long header at the front of `datagram`. `consumed` is the
/// packet's length, so the caller can step to the next coalesced packet.
///
/// The header cut short is `Incomplete`; a Length field running past the
/// datagram is [`anomaly::TRUNCATED`] (a datagram never grows). Connection IDs
/// of up to 255 bytes are accepted, as the version-independent invariants
/// allow (RFC 8999); for unknown versions nothing past the Source Connection
/// ID is read and the packet is taken to fill the datagram.
pub fn parse_long_header(datagram: &[u8]) -> Parsed<LongHeader<'_>> {
    let mut r = Reader::new(datagram);
    let Some(first_byte) = r.u8() else {
        return need(field::FIRST_BYTE + 1);
    };
    if !is_long_header(first_byte) {
        return Parsed::Invalid(anomaly::NOT_LONG_HEADER);
    }
    let Some(version) = r.u32() else {
        return need(field::VERSION.end);
    };
    let mut cids = [&[][..]; 2];
    for cid in &mut cids {
        let Some(len) = r.u8() else {
            return need(r.pos + 1);
        };
        let Some(bytes) = r.bytes(usize::from(len)) else {
            return need(r.pos + usize::from(len));
        };
        *cid = bytes;
    }
    let [dcid, scid] = cids;
    let packet_type = PacketType::from_bits(version, first_byte);
    let rest = r.remaining();
    let whole = |token, length: usize, header_len| Parsed::Done {
        value: LongHeader {
            first_byte,
            version,
            dcid,
            scid,
            packet_type,
            token,
            length: length as u64,
            header_len,
            packet_len: datagram.len(),
        },
        consumed: datagram.len(),
    };
    match packet_type {
        PacketType::VersionNegotiation | PacketType::Unknown(_) => whole(&[][..], rest, r.pos),
        PacketType::Retry => match rest.checked_sub(size::RETRY_TAG) {
            Some(token_len) => {
                let token = datagram.get(r.pos..r.pos + token_len).unwrap_or_default();
                whole(token, rest, r.pos)
            }
            None => Parsed::Invalid(anomaly::TRUNCATED),
        },
        PacketType::Initial | PacketType::ZeroRtt | PacketType::Handshake => {
            let mut token: &[u8] = &[];
            if packet_type == PacketType::Initial {
                let Some(token_len) = read_header_varint(&mut r) else {
                    return need(r.pos + r.varint_len().unwrap_or(1));
                };
                let Ok(token_len) = usize::try_from(token_len) else {
                    return Parsed::Invalid(anomaly::TRUNCATED);
                };
                let Some(bytes) = r.bytes(token_len) else {
                    return need(r.pos.saturating_add(token_len));
                };
                token = bytes;
            }
            let Some(length) = read_header_varint(&mut r) else {
                return need(r.pos + r.varint_len().unwrap_or(1));
            };
            let header_len = r.pos;
            let packet_len = usize::try_from(length)
                .ok()
                .and_then(|l| header_len.checked_add(l))
                .filter(|&end| end <= datagram.len());
            let Some(packet_len) = packet_len else {
                return Parsed::Invalid(anomaly::TRUNCATED);
            };
            Parsed::Done {
                value: LongHeader {
                    first_byte,
                    version,
                    dcid,
                    scid,
                    packet_type,
                    token,
                    length,
                    header_len,
                    packet_len,
                },
                consumed: packet_len,
            }
        }
    }
}

/// A header varint; `None` leaves the cursor on it so the caller can say how
/// many bytes it needs.
fn read_header_varint(r: &mut Reader<'_>) -> Option<u64> {
    let at = r.pos;
    let v = r.varint();
    if v.is_none() {
        r.pos = at;
    }
    v
}

/// The Initial packet-protection keys of one direction (RFC 9001 §5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitialKeys {
    version: u32,
    key: [u8; size::KEY],
    iv: [u8; size::IV],
    hp: [u8; size::HP],
}

impl InitialKeys {
    /// The version these keys were derived for.
    pub fn version(&self) -> u32 {
        self.version
    }
    /// The AEAD_AES_128_GCM key ("quic key").
    pub fn key(&self) -> &[u8; 16] {
        &self.key
    }
    /// The AEAD IV ("quic iv").
    pub fn iv(&self) -> &[u8; 12] {
        &self.iv
    }
    /// The header-protection key ("quic hp").
    pub fn hp(&self) -> &[u8; 16] {
        &self.hp
    }
}

// RFC 8446 §7.1, used by RFC 9001 §5.1:
//   HKDF-Expand-Label(Secret, Label, Context, Length) =
//        HKDF-Expand(Secret, HkdfLabel, Length)
//   struct {
//       uint16 length = Length;
//       opaque label<7..255> = "tls13 " + Label;
//       opaque context<0..255> = Context;
//   } HkdfLabel;
fn expand_label(secret: &Hkdf<Sha256>, label: &[u8], out: &mut [u8]) -> Option<()> {
    const PREFIX: &[u8] = b"tls13 ";
    let length = u16::try_from(out.len()).ok()?.to_be_bytes();
    let label_len = [u8::try_from(PREFIX.len() + label.len()).ok()?];
    let empty_context = [0u8];
    secret
        .expand_multi_info(&[&length, &label_len, PREFIX, label, &empty_context], out)
        .ok()
}

// RFC 9001 §5.2:
//   initial_salt = 0x38762cf7f55934b34d179ae6a4c80cadccbb7f0a
//   initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id)
//   client_initial_secret = HKDF-Expand-Label(initial_secret, "client in", "", Hash.length)
//   server_initial_secret = HKDF-Expand-Label(initial_secret, "server in", "", Hash.length)
// and §5.1: key, iv, hp from "quic key", "quic iv", "quic hp" ("quicv2 ..." in RFC 9369 §3.3.2).
/// Derives the Initial keys that protect packets sent by the client
/// (`server == false`) or by the server, from the Destination Connection ID
/// of the client's first Initial. `None` for a version without a known salt.
pub fn initial_keys(version: u32, original_dcid: &[u8], server: bool) -> Option<InitialKeys> {
    let family = version_family(version)?;
    let (salt, labels): (&[u8; 20], [&[u8]; 3]) = match family {
        Family::V1 => (&salt::V1, [b"quic key", b"quic iv", b"quic hp"]),
        Family::Draft29 => (&salt::DRAFT_29, [b"quic key", b"quic iv", b"quic hp"]),
        Family::Draft23 => (&salt::DRAFT_23, [b"quic key", b"quic iv", b"quic hp"]),
        Family::Draft22 => (&salt::DRAFT_22, [b"quic key", b"quic iv", b"quic hp"]),
        Family::V2 => (&salt::V2, [b"quicv2 key", b"quicv2 iv", b"quicv2 hp"]),
    };
    let (_, initial) = Hkdf::<Sha256>::extract(Some(salt), original_dcid);
    let mut secret = [0u8; size::SECRET];
    let side: &[u8] = if server { b"server in" } else { b"client in" };
    expand_label(&initial, side, &mut secret)?;
    let secret = Hkdf::<Sha256>::from_prk(&secret).ok()?;
    let mut keys = InitialKeys {
        version,
        key: [0; size::KEY],
        iv: [0; size::IV],
        hp: [0; size::HP],
    };
    let [key_label, iv_label, hp_label] = labels;
    expand_label(&secret, key_label, &mut keys.key)?;
    expand_label(&secret, iv_label, &mut keys.iv)?;
    expand_label(&secret, hp_label, &mut keys.hp)?;
    Some(keys)
}

/// A decrypted Initial packet: who it is for and its CRYPTO frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Initial {
    /// The version field.
    pub version: u32,
    /// Destination Connection ID.
    pub dcid: Vec<u8>,
    /// Source Connection ID.
    pub scid: Vec<u8>,
    /// The packet number as sent (truncated to 1–4 bytes; exact for the first
    /// packets of a connection, where nothing has been acknowledged yet).
    pub packet_number: u64,
    /// The CRYPTO frames, in packet order (at most [`MAX_FRAMES`]).
    pub crypto: Vec<CryptoFrame>,
}

/// One CRYPTO frame: a piece of the TLS handshake stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CryptoFrame {
    /// Offset of `data` in the Initial-level crypto stream.
    pub offset: u64,
    /// The handshake bytes.
    pub data: Vec<u8>,
}

/// Frame types that may appear in an Initial packet (RFC 9000 §12.4, Table 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameType {
    /// 0x00.
    Padding,
    /// 0x01.
    Ping,
    /// 0x02.
    Ack,
    /// 0x03, with ECN counts.
    AckEcn,
    /// 0x06.
    Crypto,
    /// 0x1c, transport error.
    ConnectionClose,
    /// 0x1d, application error.
    ConnectionCloseApp,
    /// Any other type; not allowed in an Initial.
    Unknown(u64),
}

impl From<u64> for FrameType {
    fn from(v: u64) -> Self {
        match v {
            0x00 => FrameType::Padding,
            0x01 => FrameType::Ping,
            0x02 => FrameType::Ack,
            0x03 => FrameType::AckEcn,
            0x06 => FrameType::Crypto,
            0x1c => FrameType::ConnectionClose,
            0x1d => FrameType::ConnectionCloseApp,
            n => FrameType::Unknown(n),
        }
    }
}

/// Removes header protection, decrypts and parses the Initial packet at the
/// front of `datagram`. The `usize` is the packet's length in the datagram;
/// the caller steps over coalesced packets with it (and with
/// [`parse_long_header`] for the packets that are not Initials).
///
/// Allocates one copy of the packet to decrypt in place, plus the returned
/// value. Reading stops without error at the first frame type not allowed in
/// an Initial, keeping the CRYPTO frames read so far.
pub fn decrypt_initial(
    datagram: &[u8],
    keys: &InitialKeys,
) -> Result<(Initial, usize), &'static str> {
    let hdr = match parse_long_header(datagram) {
        Parsed::Done { value, .. } => value,
        Parsed::Incomplete { .. } => return Err(anomaly::TRUNCATED),
        Parsed::Invalid(a) => return Err(a),
    };
    if version_family(hdr.version).is_none() {
        return Err(anomaly::UNSUPPORTED_VERSION);
    }
    if hdr.packet_type != PacketType::Initial {
        return Err(anomaly::NOT_INITIAL);
    }
    let mut packet = datagram
        .get(..hdr.packet_len)
        .ok_or(anomaly::TRUNCATED)?
        .to_vec();
    let (packet_number, pn_end) = remove_header_protection(&mut packet, hdr.header_len, keys)?;
    let payload = open_payload(&mut packet, pn_end, packet_number, keys)?;
    let crypto = parse_frames(payload)?;
    let initial = Initial {
        version: hdr.version,
        dcid: hdr.dcid.to_vec(),
        scid: hdr.scid.to_vec(),
        packet_number,
        crypto,
    };
    Ok((initial, hdr.packet_len))
}

// RFC 9001 §5.4.2 and §5.4.1:
//   sample_offset = pn_offset + 4
//   sample = packet[sample_offset..sample_offset+sample_length]
//   mask = AES-ECB(hp_key, sample)
//   packet[0] ^= mask[0] & 0x0f          (long header)
//   pn_length = (packet[0] & 0x03) + 1
//   packet[pn_offset:pn_offset+pn_length] ^= mask[1:1+pn_length]
/// Unmasks the first byte and packet number of `packet` in place; returns the
/// truncated packet number and the offset just past it.
fn remove_header_protection(
    packet: &mut [u8],
    pn_offset: usize,
    keys: &InitialKeys,
) -> Result<(u64, usize), &'static str> {
    let sample_at = pn_offset + size::SAMPLE_SKIP;
    let sample: [u8; size::SAMPLE] = packet
        .get(sample_at..sample_at + size::SAMPLE)
        .and_then(|s| s.try_into().ok())
        .ok_or(anomaly::TRUNCATED)?;
    let mut mask = aes::Block::from(sample);
    Aes128::new(&keys.hp.into()).encrypt_block(&mut mask);
    let first = packet.first_mut().ok_or(anomaly::TRUNCATED)?;
    *first ^= mask[0] & bits::LONG_HP_MASK;
    let pn_len = usize::from(*first & bits::PN_LEN_MASK) + 1;
    let pn_end = pn_offset + pn_len;
    let pn_bytes = packet
        .get_mut(pn_offset..pn_end)
        .ok_or(anomaly::TRUNCATED)?;
    let mut packet_number = 0u64;
    for (b, m) in pn_bytes.iter_mut().zip(mask.iter().skip(1)) {
        *b ^= m;
        packet_number = (packet_number << 8) | u64::from(*b);
    }
    Ok((packet_number, pn_end))
}

// RFC 9001 §5.3: the nonce is the IV XORed with the packet number (left-padded
// to the IV's length); the associated data is the unprotected header, from the
// first byte to the end of the packet number.
/// Authenticates and decrypts the payload after `pn_end` in place; returns
/// the plaintext.
fn open_payload<'p>(
    packet: &'p mut [u8],
    pn_end: usize,
    packet_number: u64,
    keys: &InitialKeys,
) -> Result<&'p [u8], &'static str> {
    let (aad, rest) = packet
        .split_at_mut_checked(pn_end)
        .ok_or(anomaly::TRUNCATED)?;
    let text_len = rest
        .len()
        .checked_sub(size::TAG)
        .ok_or(anomaly::TRUNCATED)?;
    let (text, tag) = rest.split_at_mut(text_len);
    let tag: [u8; size::TAG] = (&*tag).try_into().map_err(|_| anomaly::TRUNCATED)?;
    let mut nonce = keys.iv;
    for (n, p) in nonce
        .iter_mut()
        .rev()
        .zip(packet_number.to_be_bytes().iter().rev())
    {
        *n ^= p;
    }
    Aes128Gcm::new(&keys.key.into())
        .decrypt_inout_detached(
            &Nonce::from(nonce),
            aad,
            (&mut *text).into(),
            &Tag::from(tag),
        )
        .map_err(|_| anomaly::DECRYPT_FAILED)?;
    Ok(text)
}

/// Reads the frames of a decrypted Initial payload, keeping the CRYPTO ones.
fn parse_frames(payload: &[u8]) -> Result<Vec<CryptoFrame>, &'static str> {
    let mut r = Reader::new(payload);
    let mut crypto = Vec::new();
    let mut frames = 0usize;
    while !r.is_empty() {
        let ty = FrameType::from(r.varint().ok_or(anomaly::BAD_VARINT)?);
        if ty == FrameType::Padding {
            continue;
        }
        frames += 1;
        if frames > MAX_FRAMES {
            return Err(anomaly::TOO_MANY_FRAMES);
        }
        match ty {
            FrameType::Padding | FrameType::Ping => {}
            FrameType::Ack | FrameType::AckEcn => skip_ack(&mut r, ty == FrameType::AckEcn)?,
            FrameType::Crypto => crypto.push(read_crypto(&mut r)?),
            FrameType::ConnectionClose | FrameType::ConnectionCloseApp => {
                skip_connection_close(&mut r, ty == FrameType::ConnectionClose)?;
            }
            FrameType::Unknown(_) => break,
        }
    }
    Ok(crypto)
}

fn varint(r: &mut Reader<'_>) -> Result<u64, &'static str> {
    r.varint().ok_or(anomaly::BAD_VARINT)
}

// RFC 9000 §19.6:
//   CRYPTO Frame {
//     Type (i) = 0x06,
//     Offset (i),
//     Length (i),
//     Crypto Data (..),
//   }
fn read_crypto(r: &mut Reader<'_>) -> Result<CryptoFrame, &'static str> {
    let offset = varint(r)?;
    let length = varint(r)?;
    if offset.saturating_add(length) > MAX_STREAM_OFFSET {
        return Err(anomaly::BAD_FRAME);
    }
    let length = usize::try_from(length).map_err(|_| anomaly::BAD_FRAME)?;
    let data = r.bytes(length).ok_or(anomaly::BAD_FRAME)?;
    Ok(CryptoFrame {
        offset,
        data: data.to_vec(),
    })
}

// RFC 9000 §19.3:
//   ACK Frame {
//     Type (i) = 0x02..0x03,
//     Largest Acknowledged (i),
//     ACK Delay (i),
//     ACK Range Count (i),
//     First ACK Range (i),
//     ACK Range (..) ...,        -- each: Gap (i), ACK Range Length (i)
//     [ECN Counts (..)],         -- ECT0 Count (i), ECT1 Count (i), ECN-CE Count (i)
//   }
fn skip_ack(r: &mut Reader<'_>, ecn: bool) -> Result<(), &'static str> {
    let _largest = varint(r)?;
    let _delay = varint(r)?;
    let ranges = varint(r)?;
    let _first_range = varint(r)?;
    // Each range takes at least two bytes: a count beyond that is a lie, and
    // refusing it keeps the loop bounded by the payload.
    if ranges > (r.remaining() / 2) as u64 {
        return Err(anomaly::BAD_FRAME);
    }
    for _ in 0..ranges {
        let _gap = varint(r)?;
        let _len = varint(r)?;
    }
    if ecn {
        for _ in 0..3 {
            let _count = varint(r)?;
        }
    }
    Ok(())
}

// RFC 9000 §19.19:
//   CONNECTION_CLOSE Frame {
//     Type (i) = 0x1c..0x1d,
//     Error Code (i),
//     [Frame Type (i)],          -- 0x1c only
//     Reason Phrase Length (i),
//     Reason Phrase (..),
//   }
fn skip_connection_close(r: &mut Reader<'_>, transport: bool) -> Result<(), &'static str> {
    let _error = varint(r)?;
    if transport {
        let _frame_type = varint(r)?;
    }
    let len = varint(r)?;
    let len = usize::try_from(len).map_err(|_| anomaly::BAD_FRAME)?;
    r.bytes(len).ok_or(anomaly::BAD_FRAME)?;
    Ok(())
}

/// The crypto stream's bytes contiguous from offset 0, at most `cap` of them,
/// from frames in any order (overlaps are fine: the first bytes seen at an
/// offset win). Everything after the first gap is left out.
pub fn assemble_crypto(frames: &[CryptoFrame], cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    // Each pass appends the frame reaching furthest past the current end
    // among those starting at or before it; at most one pass per frame.
    loop {
        let end = out.len() as u64;
        let best = frames
            .iter()
            .filter(|f| f.offset <= end)
            .map(|f| (f, f.offset.saturating_add(f.data.len() as u64)))
            .filter(|&(_, stop)| stop > end)
            .max_by_key(|&(_, stop)| stop);
        let Some((frame, _)) = best else {
            break;
        };
        let skip = usize::try_from(end - frame.offset).unwrap_or(usize::MAX);
        let room = cap.saturating_sub(out.len());
        let tail = frame.data.get(skip..).unwrap_or_default();
        out.extend_from_slice(tail.get(..room).unwrap_or(tail));
        if out.len() >= cap {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes hex at compile time (whitespace ignored), so fixtures stay
    /// literal `const` byte arrays while reading like the RFC's hex dumps.
    const fn hex<const N: usize>(s: &str) -> [u8; N] {
        const fn nibble(c: u8) -> u8 {
            match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                _ => panic!("not lowercase hex"),
            }
        }
        let s = s.as_bytes();
        let mut out = [0u8; N];
        let (mut i, mut n) = (0, 0);
        while i < s.len() {
            if s[i].is_ascii_whitespace() {
                i += 1;
                continue;
            }
            out[n] = nibble(s[i]) << 4 | nibble(s[i + 1]);
            n += 1;
            i += 2;
        }
        assert!(n == N, "hex length does not match the array");
        out
    }

    /// RFC 9001 Appendix A.2: the protected client Initial (DCID
    /// 0x8394c8f03e515708, packet number 2), 1200 bytes.
    const RFC9001_A2_CLIENT_INITIAL: [u8; 1200] = hex(
        "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11
         d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399
         1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c
         8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212
         30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5
         457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208
         4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec
         4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3
         485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db
         059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c
         7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8
         9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556
         be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74
         68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a
         c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00
         f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632
         291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964
         25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd
         14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff
         ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198
         e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd
         c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73
         203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f
         cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e
         fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade
         a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047
         90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2
         162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4
         40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0
         6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e
         8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0
         be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400
         54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab
         760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9
         f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4
         056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064
         7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241
         e221af44860018ab0856972e194cd934",
    );

    /// RFC 9001 Appendix A.2: the unprotected payload: one CRYPTO frame
    /// (offset 0, length 0xf1) carrying the ClientHello; 917 bytes of PADDING
    /// follow in the packet.
    const RFC9001_A2_PLAINTEXT: [u8; 245] = hex(
        "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868
         04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578
         616d706c652e636f6dff01000100000a00080006001d00170018001000070005
         04616c706e000500050100000000003300260024001d00209370b2c9caa47fba
         baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400
         0d0010000e0403050306030203080408050806002d00020101001c0002400100
         3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000
         75300901100f088394c8f03e51570806048000ffff",
    );

    /// RFC 9001 Appendix A.2: the unprotected header (first byte 0xc3,
    /// packet number 0x00000002).
    const RFC9001_A2_HEADER: [u8; 22] = hex("c300000001088394c8f03e5157080000449e00000002");

    /// RFC 9001 Appendix A.3: the protected server Initial (SCID
    /// 0xf067a5502a4262b5, packet number 1).
    const RFC9001_A3_SERVER_INITIAL: [u8; 135] = hex(
        "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a
         5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3
         dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84
         022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4
         2158407dd074ee",
    );

    /// RFC 9001 Appendix A.3: its payload: ACK, then CRYPTO (offset 0,
    /// length 0x5a) carrying the ServerHello.
    const RFC9001_A3_PLAINTEXT: [u8; 99] = hex(
        "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739
         88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94
         0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00
         020304",
    );

    /// RFC 9369 Appendix A.3: the same server Initial protected as QUIC v2.
    const RFC9369_A3_SERVER_INITIAL: [u8; 135] = hex(
        "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698
         baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17
         f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2
         c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8
         4bed8521e2e140",
    );

    /// tcpdump/quic_handshake.pcap frame 1 (`tshark -r F -Y frame.number==1 -T
    /// fields -e udp.payload`): a v1 client Initial, SNI "localhost", ALPN h3.
    const V1_LOCALHOST: [u8; 1200] = hex(
        "ce000000010884acac06b42ed8630000449ebf8dec1e22ec03288f864b16495b
         b4066dd39e91a28dc24c849ff6bb10613ff92425df673d1726868f1090d9084a
         cf1d8db6b8725bdcc4818a5023efc85d8945017f9c76cf77a5358df16b26a194
         e779f4577fa35da54b59275c0617e944c87b5cadfb490d093106de2ca46a72a0
         10d168a1d7ff6dd0a3bc1939b4ceb2f17c1ea28c9952d3ac6a333cd074ccad9f
         23e87e170850a9335c9a39c820ed1def71594e0a2bd4ba9a784649837e159ef1
         0a3d09c71f48ad019595a18df80f3ee2f8a4518048f155186a644275c0d752d5
         c83119d81efe2aa1ca42f320f2aaa0fb81c151a203baf7503446ec81fd2dba5c
         4e938eede854fa82760b123794f01aa0c3ee07f01b8cada568f6320fd6c7a547
         0f4756f20d01363c0b390a51f0fa189b1f815f76e9904c8879e936105f270f0d
         077adceec66ee4931d35581e7c15eae2749e30e63f0a83ace583f3daf1f908ed
         341af4b87dfa924c32a3fb41c0201345b4ebae0d8d46403b77d01b5ff1488984
         29cf9f4ebcd56534707ff191662269547ab693b9ac4697ffe9d5add7164d72f7
         5feacdc3f290dfccbaff9f732b6683df4cf32b984e25acd1d4a01dcc07e8cfeb
         1209096696a7774ffdd90e4b268bbc35fc8d6c9d5319e8330ee582a525498877
         58a00684fd6bd3be1b6ce3b32ef5e3c7a53752f9a001b4feacff49c70876b27a
         281e06c404ed4e5f96724bbed60780191cdfc28e55b977d798257e20b7a96870
         166f1fca00db81eef6fbc146415519130620d35bafd10ddbf0a9143baddbd4f6
         12eb55eb3ec11d9587547a2c583d58123b6cbdf1133eeb1612be437b15eb61ea
         7f02d0a80bd106ae86fd954ae28c6728b84344add305007661bd7267cc3340cd
         2abc90056cd0e38f43440ec219c231cf4cca7f1a027967328d8d8ecb8034c7f2
         a7a438d3a9070e5cbf25eb31a3b2bb0983b804c840d9b989f7e6a15d3cdf45ab
         fd289bb103b8f9235574c8648f63a2efbaba87d4bb635d409681e0cdc0a375ff
         1e154806fa72c1ebc278650dd9e911f70ef92bc0b54a5acb49fe2be0708f862d
         82b8b88fabc4e77a2149f942e79473075378c3c7d5068013a6bd45f816ead829
         f48ffcd07dfc1df693c1f0fbdb0a4ec63a019b5f7c7cfe75d8c82afe7598e989
         46426df7c44ec94b3275256d395945a019220873768077ed39b8983837703988
         a991284bc94c35c2c7b1031e9a7a96edc0aed2d3506f673cccb596d7356bc803
         c4a2efbc57c68ca26dabe6fbe2c96c3de3c310595ad05507548ae8ffa698c01d
         2d4f581ab8bea878c1c90ca390b3cda23fda02d674644ec8c5cd3ac0e7a0bed1
         4a0d8dd6c209ca8a2d2e17536317026ef571829068f79fe8390022bce548d182
         8c2169acc2bbac0aa40cffaf01ea206dc8ec5f038a3a0de1234f057548ba2e66
         216b08c109988b78e63657e6d8c69edf180c9cfe3fa44ca9ddd1ee8c988276ee
         cd05cf9cf04479310f743571391e7f5d21d98989f52a4c0f712786b52b0a2961
         cada0c46dd651575ecae47812daed8dd026f0db56b4fc7f388e9fdfed6a62635
         920464bf605a1c79c480f848db273280611c5bba98271b1183282aa7b9ad1e9c
         3f43abceb38f192b7c58abaea7c3a9f69139d3b48d1e459d38b61819f1cbb54f
         9e996bd74c2cb5c1a2805c3ea902436b",
    );

    /// ndpi/quic_crypto_aes_auth_size.pcap frame 1: a v1 client Initial with a
    /// 164-byte token and two CRYPTO frames (offsets 0 and 4), SNI
    /// "app-analytics-v2.snapchat.com".
    const V1_SNAPCHAT: [u8; 1350] = hex(
        "c100000001086a39e7bd7a5940690040a4b5f8df1fbc4cbf20e913e28c9da2bb
         40bf6100ee9311d5be7ba8450dfc258b83022c89a26bb10e211473b7978bbb54
         606b9142ca1c8fe5c630d6744d62ac0eddd81ee1e23918296cb41c3da58c0030
         354682ab619029820c1583cf9e35209dce8d4646910614b301ef1f667766de75
         3be59ed632eb38cb8162bac93358aef03ca04833b6f142206fa58eb631c42477
         4b72befe3a269f6caa7b1c8410dcebb25b21af5b80448fa7e81c3fd479dc8d97
         1d507eb0ab7ce695bc8df0833980f6333c862d0f93e7929bdde94d8207af44f3
         6de7f9f92d20f5f8168cc0f2169e2ca1c97aa7f4ced93af1f1b6994449fdffba
         69b080c602163584e31e02815fbc96ab6d2e72834fedf7b8f2f11668541efbb2
         46062ce77bfe37b627dfc52e7d453a66139798713cf9759e1ecdedbbc583a1d1
         3a496461339c6c795cc26582c64d3dd7e828d834570997a932aa6aaec28804bb
         70821e75e64bf20d8c1e2e4948b2321462e12ba64b6d3164556da996729e498c
         9569cad3d7bcd4182463f8ae8ac656bc946e24715dc0cdf40792c38eda60a9f6
         b36e90aee94c26bf6bb718bf1460583d25727a5ca5bb4630d7bf639779ca4da5
         5ec473e359ed2f846e593edb2ee0746186389d18590fd475b33db63afbe66619
         9666765e6c1a39603b96ea63a2d08456dbcdc951a3c35a744508f05b091436ec
         bf4e312a31cb9d4a128d6bd5820d0f1b5842205c70d70123bf3d53eade0108a8
         95906ced2784edab1c90bd9ada41f74d8c4e7401de8461893b5431fedf02643e
         eace46367e9cdde9f780660603e24f5eeb09bc38ec46edcfc026f19962795b8d
         8fe97eb572d7d1e0899f354706e52bb850d15af08980ec68121fad3c8de36500
         41fea0e8fc2e302229ce2b4c4be8d4b33191c9b445b120439cc283881bdcaebd
         e54ee19e4b9591b6763f4ff4447a9289db5c1dd7d607c8449052f22ae525c856
         e04e3dba21ec6728f8aefec8a4ed77f419f0bff111561cf838e9b49b3ab40f83
         f82329d8e855891a97b4c98056880fe5473737909be8523f0c2d836016ce7416
         466164a7be72617ee0a2c76d0a562b65803a1458ab1ea0d6fb4189ca48e5c502
         8e5c399424f2e7c86d611768aba7e616da5f00e3349c15214c1fb3918b3ee36a
         45b7f2ce2bdcb8db32245bf13c7e9b4f3f332fe52670bdc5987cabcd8b5d3e35
         76feb871fc20d9e42dbc7d8bab3b3623dae07189acc879cfcaf47bebdf6b5449
         3d27d61a2eb8ebf9f93c37b3304be036b57f623836569c93949be9933700bf4f
         f456c8011133885b50012eadea68f09fda11c5e7047a3ba2ce464952e68ff1a2
         1f078702b0c5d26c858699f7e1c029f1fe98d1033790553a14b1312c6001767c
         9093914404eaf5e6a9106d5c59de48b01dae4c09a71346288845b33a7c98c960
         c08a4cba98c9ead5b5a84326373d4c7a041ea91cdbadf172395493707ee38678
         c6eaa0b785de1e895653e69932df2846eae4006e13b9fe142aa4e6231ba4253d
         933015a46ac5501cfdd9f166aeb20a7b196110539ebb8861c070f2baef44927b
         d07d86ab09f2838461c38de5aa4c8f6e9107c65ddba43c7e2ab5bea5841a8d4f
         0b1b948b9ba769516036ff9cd6192f9fb99eca31d2fcbe51737083504a60b58c
         b568e1d02516d750a01e055aa09b35654c580a3407610a5940a49a30a33c2586
         85574bb46fca96162f2a8414ced9bb8882c0c6a31418535c1085c072c395f892
         0b586cde23e520020246e0b338ba0769c41f26af9830128ff59fc1ddd53c8eb2
         a8531f2b1df462ce89357c9b68f7547d965684c07620d396d22a20fd93e8f5cd
         7b1030af2b78c75dcefcc831ab5c336c287cde619e94c73ab11bf9b6fcccd2f2
         d6f23df036c4",
    );

    /// ndpi/quic-v2.pcapng frame 1: a QUIC v2 Initial (532 bytes, SNI "test")
    /// coalesced with a 700-byte 0-RTT packet.
    const V2_INITIAL_AND_0RTT: [u8; 1232] = hex(
        "d66b3343cf080726272642fc2eb20811fffdea452422b832a196c2fa15ec4a99
         b399b9116eb2c5ef233065423a33ac16db1be7c47541e1dbc9337bc0326b173b
         40bfcb11d25b647d0e8141c89fd5d4fe0ae06a3a4962392c9e91c2e1b3920ae3
         f12a7128aed5573623691908c9962a936cabe187e5acf4e4047e6fe88834c87e
         48cab6336dcf659934dffc133e0b4672e74e81a0d801d41fd6abdb6e04c27d9c
         831771e2c8fe0e025fe22818a653f609bbf7f500392b83579bdb2ef50507795f
         7bf7a63c939e9c6b8292d9fafbfd0daff19350ccb31c473981ddcff35e2d4446
         5427a3ce8f5f91da78c35e9479bf6d372b5ac20129844c77052541040d4f2f15
         67dddd86ebe0b18efcde66d1098ee7a330ec771df5edc99baaa853ef72b0a49b
         685d976f83600e5bbed12fb1c123e189b90a7585bf3e3bc42ef017d060cb4638
         a4e693cc9e04916be5ea6bf5f0b46aaa166619dc465a0ddb25b89226216b70dc
         49014284ee512ca3ba354cdd26fdc3a36e5e41693069e7fa89fb45d8c687802c
         8362440d78ab2c727e7827af5663be939dd4888ace2214195d0e8861f7dfbcc0
         c3c886c03ee2424d960192010158c016737b5a6edaf09f13f65d830e476c41a0
         7c7e6badfc1ff2e2a70b0f1ad551ef429e0ef6b0d85b0834c08ffdef70af1745
         ad61b83381339680ae39b9c92e5cdb8475f5efd7b76b3f7877126431960b60a5
         a61b3a12ee1e5f1eea7958b16d0c48599bf4f6bee36b3343cf080726272642fc
         2eb20811fffdea452422b842a36e46d441f8c3f756c608d417943fb77a8fdc13
         b99403e5bb94d6a809d67cdfbffe00d687862536d8dcbb9a0d94a3aa080c8fe4
         0379d52d3f982a521af9900d8034fb0ae504b28073dc59a189c126ab9fe63658
         8d1034f9dc00ebb01e8729d663404e00f0e38e902af72e2b92387dcab96bea2b
         445b8f3f6c2bafb3fc01aa152bf874c8d4b3b46bfbf5b6167a139ca4cda71a91
         7762b3013a7b6e7bcb9fe6fc13b3213636dd97389174e56d63302a1fde2f2093
         8e20c7bc6bdfe8890528b53c72f1f346d5a8d964a46f2f49ea554eb3754a8788
         caeed7fc6e49acd25302f3f8e53b1173264a443e665bc09d3a73f183ed3deb90
         974a6c993cd0aa6fae24e23fef2e493416d858f981dda4632e306b7544ec9fb6
         5c144baeb456c895baf6e310f611537be8e07e4ebddec383c455fe882539b08f
         a0073a7e66cc5ee81f836dfec3ef43d77dc30b260ebe17f1c13eb609897cba36
         48ebe0a7dae509fddfddf290e69d7a25ac5db1920dd5806c6165fe4905fccdd9
         6355636883c977d68d987672c1d96c6efae19bfa7494f89b66d61e0980847448
         463834485b07515833ed34ae181adfb4ec769836a626d4efa240c6f1f010a1f1
         42c9f948edde0a0840b66c9e248698f456397ed4dc6c3e3ec5bac71812ad41e3
         6531e8ba62faf269cbbce55ae5e3201d443f3504ea9727787ad20ff0b8e73eda
         0d7c522fd467beec602f7a536da1c248262305d26efe21f17ddb9b5409fe1914
         5aa3df1629d5a381c83035284fc949410a7c1d66e727cd2e96b0c2664754dfa7
         c7c465be6555e462bf83b9404a4f266b0df00373f8de23b90c28c92a9c33e7a6
         5aa6258cb1d5b26ec1f74c05430d67c0122e19c0f5b066e16727145c0047e77b
         8113d41e73456795f5c6db66d4caaab7d25c18a72a163d75b9ec4569146cb20d
         e5ac44b365b03452be4c05734b28603c",
    );

    /// ndpi/quic_frags_different_dcid.pcapng frame 1: Chrome's first Initial
    /// (DCID ac49898ddc4590e8), the first 1211 bytes of its ClientHello.
    const CHROME_FIRST: [u8; 1250] = hex(
        "c20000000108ac49898ddc4590e8000044d0e9cb3a09cab5a4d10430d26e3416
         fd96eefd7418f504757bfc769bf65a38ee9e50121a803a41326c05a59cefd452
         36f8354f8f919897d6946ccd7743eac055526782521d82a4c03861e138409bb0
         7048c38ec73de90f0b6a0d94af676042eb7d797fa9bd55a17a6d34330ccff899
         eeadb90e62b8efd1b5c6f1402307d59d0c97eeb59d771299358323b2214a1a73
         0fe3288ecedf7424aee6723bd5b51900824e52fd17747be150a6ef5922f96395
         0f830e53ca6fd0bc8d195ab2128f1e8e14c19860a8170b36d3464bea491f5988
         3aeb3fac88054d9aa6fabca3f91351c4259db3e42358145a93fb45955e8615c6
         70f7e19cb3cac1490581b2a1093aa2310964af730dd3e581423c319174a84fd2
         870ae024ebc01b6a616c79797fa2ec92e6ede49e09f5ce1090ccde7b625df31f
         47ac25b7d77ab9cf4186b0284bfbc1e3328c5c2168a0af3e182b91b0cb241a1b
         5be4c21d45e2013cf8879a0a4c24392a50bef6896ca79c37f10d9a0394006531
         972436e7a44d55a59effcf9876adba10657b31faeb0dd5a46581ccf4f4227185
         bd8bf0c0bd74d711f147c139a302e5311cfbcf4f773329839bf979429dedaac6
         0a40506d7f6cb495f5cc9ad3d41fbf01e7f0820eca7235d3d26a0a1bc67e5ae6
         79505c80a9b8f6c167dc109f9ad70e1083430b038c6d27488ba8033181c0d9ef
         50b0e183a8c358e0eaeda0a6aa634cd8f0124f6308a26e6dbe39ac582df4a5e7
         26399d5dc30d5fbf3a669465a78e2d3c64aa0ccd6dc186cbe10a314c2e04c1a2
         666d6cf8832a29b7707f8ec1fb4b90dcbf71af34f235dfd4062983c32cf3082e
         435535a94a4a1a18f75850be542cf0cc64541d837832374240796404e6c0ada7
         224fc4cea7e5c9fa7926105eecf944b1e74121088c660fadf18272d027f76ecd
         c6706e521ab4cedf861716361eed56099c917ea76d7da09b8db62d55e23fa804
         c3144f64d55bdcdb3eed318d8de6ee043fb70895ecc41ddda820ea63a219c3ab
         bc7c8d149a06b8d368e19d1fec4843ef428e8ad74e35c30ebb4bb430e80de218
         9f2c1a9a6f9b6de56c511c99691fc310c26993232cd260d7c040d31af036a954
         cc638fd33deaf0910181980ea4188b1a55d8d2d4b4592dc7a1533fe26d6b74ea
         f8800a56154e6e37dfc136f3e143d1d780dfba8dd2e5bc5d0211f0d889cc42b3
         58ddc5a04c640a45a21eab20e257ef25ab12f1f2b2d2bd08bdd22d01d2ac7e7d
         1630b0670a6913ff08aa25056097c49662236ac7c47d32981c56206e358fc748
         40c0ef4b46c3cf40939cfc85f7787ca4b4628271a4ab4d9eff1a736980e6bd87
         6ec90e63075eda75db650754494b326f7d1d6586967456df0f52e1bb9b654611
         e3a1b37dd34f141ac47ce6609527cdc68b5af5d6f26051812f190cd2132f40e7
         54954a1c43109e75ad3b636fdf95f702824202c9f6e62c920e8670018da3137c
         7260b2d327ec6c68ac0fcf885151a531d21fd81d428bf163a6ee88f5871478f6
         8ce80969c85c683520f088b9db1dea3a9a5f8c9f675ca044b99d891cc5cacfc1
         9dec17f1bbce3e00db153d7a7eeded57c9ca4ab31db01daa1f1d44993e3976e8
         5fb88c6b133c0b67e76e20d4d3f4bb8c6cca06575fe704c05945cad3153821e9
         e2cc23b5b150deadb4536a641bd29a4b4faabbd7682f9005fd6d12bc2240c092
         3dd66caa1e836405eed217bc9a0f08a3fe7c2d582bc8b25632cc4635692bd675
         7555",
    );

    /// Same capture, frame 3: the rest of the ClientHello (bytes 1211..1767
    /// in nine CRYPTO frames out of order), sent to the server's new DCID
    /// but still under the keys of the first DCID. tshark reassembles SNI
    /// "cdnjs.cloudflare.com" here.
    const CHROME_SECOND: [u8; 1250] = hex(
        "c100000001140164bccb0bceb2de8f64afc9a9cea6a36437ab44000044c465a9
         8e88b2a7c64ebee9c954f9b5d3cceb2d399f1ce5c5d3f6c34ea1016488e5600d
         846631a15ade1329d3bac26430db719bd6ae0b057d4ee1b038a68c20df09ac45
         a60ef2f7e5ab4eb30b1c9efe367c676013d611857ab29ae50302cb4f2d40b6ed
         1e4fa3c1a70aef040893b6038c219cec4446b1560c8e22206f684f2939ce2a42
         0de3fc01f0f127e16716bf5bdf5c81e4e49e51fc239b95411d2017b2983c7161
         72aa389d9f597e7684f02f33341eda861353c22f25e75664bee1838ade229409
         574375ecc42135bbaec213e4a5daee61b9e050e7b2c3b8a45562318ba5da3de2
         39a3eaf76e91badb2676032d1cfe087064ee6c7b711314fd95b5122488aa2ee6
         b421615aa9c28e3361975c545b1bb100a1aa055505232d33c6fbe98fcf1618c1
         06f63050e1799c358dd0008f7dd0fe7bc906ff249e0511a1520d71d626dd61d3
         59b6f79cd894cb2a12aa513757dfb823fda191763322d11ef5da6d775e5a6bf9
         4f448c3647e81f430b38933601f2bf9496a8b3937e2d58d1db376b5ed1592999
         1cc26a971c8b74374243f0528e66df41135903a95870e8fe42ada077dfa60543
         7d258638175142eaf4daf73c1428cb284d721c5f3f7c30c091df426ccffb3542
         d0e2b86467897638b34e06365dfdb09319d8f276c7d25cd30e902baaee92d5be
         9777233e026ab203bbf3edba23ec7b0545a14f0e87d07662e14da4b26dab5688
         77adb9d2517e4c46db87f16626b6766f8da4ce65786c33c1f866dfbcad9e3eda
         9ed44e83389eaa80763ba1c82a47d44199664fe0b3f89b4b598de96b67e873b6
         962cfcbc59a2f41ff8f42382b2a044ef65801702fb56f4d16e46fa1ab23172f3
         2616602b67bdf1448c153f62917caab55a5c2f7f66e0feea7ea613c296003693
         87b23594aa7b97022edb4e37632db4c955307be0e21925d1e3f2c6bc6f4daedf
         b94d7ac0b1d0c7896c24ca77240bb715e203e43c30b190b6e28ec8a2b8739065
         461265360d2c377204b462236c0820d36643968678f998639b9e0199319d6f55
         e95844c73e1454d4c325e8b6cd592831e7d49cffcf2a22011084624770cd2139
         4a3c044e4a10b4b11dd6bd3e8fb0a5cee4cf915997829f92466782cb42b77137
         9c98f7dac97e061378596bbc21fc5f5d26d2ddccebc6c52a7cd69d12cf7b6084
         dac0de265ba431c1a87bd7b24ebd4494bcafd1bef5a807a31e3ca6b979d9ff3d
         59aa6f5370e514651c893ebd1c1efee94025292eb4161d6bf50bb46ebd375eae
         b4e30cf3ddd3b2476be990f1405b00be5d3f055cbeb4cb80109a4a1013ef5e64
         c267b2f63265f7c9879618a5d3cfa9a98a57645d9c3af4bd44f103a1da5a44d9
         22e988c947c9816c8d2e06f45f894abfb397aa940fa36cfe67b4e2f5fbb1253d
         65ebd737b442c3cf4c591ba2f64150e291db9f60e8c8f72a513276c7854002b8
         619d5e901ec6870867618c98a1b9c299c0a33b8c521acf817251c9689fde1770
         0d6e46bb5f75e59c85780f210ff475829d6a1fa8df7802863e93367b0ca1fd3b
         0c70f99c99826234b6b56973ee2ab4c46be7cc4d4bc0ab3a0c12f2e451916056
         d2816bb4c87ce0dd319e531189c2e64fb852ca1e4d8d54eb4c02ecc0699c4c68
         0aceecd8ea92cf6977709cf8ec0c1d6dd0286e4c50cdadd09d10f6d3b21e0f6a
         5e4769d4dbc0a6370c901f17be464c2ca129a5fb340659c509a7ddfad78a2e85
         67a8",
    );

    /// ndpi/quic_frags_ch_out_of_order_same_packet_craziness.pcapng frame 1:
    /// draft-29 Chrome Initial, ClientHello in 11 CRYPTO frames out of order
    /// mixed with PING and PADDING, SNI "update.googleapis.com".
    const DRAFT29_CHAOS: [u8; 1350] = hex(
        "caff00001d08465dca5c15bf2d3b00004534632e21d96eecfeb94b79f2066109
         ebcd4d6ec7cc7558717d3f64d130cfee320ae4d6893995df7de3be2c1f3088b2
         605a00130142ec1a8df88eca9175dcb74ebd46e7cbab0a6e73ec8909d6751cb7
         e16cd80c851259b140fff172640b96761550ad8e9beb2e8b375f67d3f4f28b04
         1969180e8fd0da87457964468046926b0d8f66fbd58058bd44e5f974019079a1
         5ae97d1a7053eef67531e34eb75ecd92eb1b4cb82d4649578645496fdb39335e
         ca261e78bcecb3b302334a3b933fc006696cbd24d7949df559d4ef7057ca65af
         84aececc5fabeb32b7982032c3fedb3e763aadde87a90443c7d6d270c9b4b217
         acce52671465236344debaabb3643a3c4816c51f2fabd221fb34f64179cea82d
         faca4bde77cc9261046c813b61be9545af1aa8ef1b62b90c5b27db15b3c12811
         2e0f0bf15c7aca1c1c709d6ef4ac8b2e9c4cd748649f657b6db24087237e9a42
         43c411f31aa280962c3ec5dde93bbd07d817d50178fdd42270f5fdf60e28ac97
         961f1fd5785fe59b5383fb741ffad8b222a3b7fb5b37ee1c39f1e66ff3db26e2
         c08abac6b4c44eba0e38b6e0d03438139d660041e5c81ab8a64badfe25ed719f
         c8acf083262015498272ad05672b9293171b8a8879d9ce8753d4dd0f7ff68b45
         42798fa6c55e96e06b9218271383effa337b301f4c2ac185d2c482d6b3b11445
         030b566772b285da92c342009d4ec08393f09c7212783372874bdc825111d34e
         7c2d66d678e816b5d3b2bafc2faf0c72cb1f4020b627b5a71ec40f0b013f5485
         714f34f004506fc6c62c239e9f6db9d6c81fb36d8b0b462c7b064e3095b708eb
         0c4fb5530100b83c54addc9820d79e4ee5230e05e8cab331633f4b2c2d3438e6
         794c7a086f2a6cc8fb37cd14efa4999c61172c6a3e5ae0755e162ab748459478
         2035cc8a20695a80a592e33d29c9be4dcb4af213c3045a31eceaa97417479204
         55ce0824355105502240a32eecb729c8c9ee46fdcd0f3ba68ad8abc6027fb7c8
         86e72503be18597e0f3cd3439fb39ef24a96bac76d9274438b3a57c10feec5c4
         82cd63ac6ab208623dc176d2a3ff3015a9a5a78a2e155841a98650e86a272f07
         0cd812f612a716d46aee99cc52ae972d2106ccf8c2cce539999c332974c66992
         4cd9d8788c1f57b87c3810eb283b19bab5a1200fecf98fa8e75a1f7a570ea204
         fb42b237ae7a65d6986f4656e6a571559ff28250520834d372ffa889965dcc8e
         1c1fc0e0f409d3221198b3dec80119f33e7707a92f7ce2c79526c55edd017396
         4abb3d6ffecbcefb3ff6c503fb229f6f2e2d65fb7772b72147a0b933c75d6167
         064f74bc43e8570518ca3f400a977158b600cec84cf1427f5b8f77d7078bfbd6
         38e493f9dc202f21419773258f11b03f1d49728b3b3e81f6e8bb373a9e3b620a
         74853622a2c4c9c377a1a7048922ffa9c329c8b0c4f0939a08190e32914a4851
         d1fa27d6764ed383b2f863e348aab2b88e88e7efeacfef3b5bc96bb5d3675753
         1382aa815d78501a496862388e38eec7af67ae30fc7f0fc654066ce3125d50d2
         fc9b839562cc07081448ad57aef69bdb41c899d95429aa3aa1d2b10c92b479af
         5ed707c06dc59a028b96a0c42cd27cade7f0d41725b729a21694d41d7ba322ad
         a6ff6479971129dc8669834ca426a1e600ff31d4340fd4efa0a6791e64c9419f
         bb198316d2e62e3ae0e34ee1a89d4a918412ce3861d672ff43cb357bdb828852
         37b3524a5bbfdce0526530a37c43a43d1bbd7ddddbf7c232954e1220eccd0dc7
         2e95404aac21dbe6226a2b71ca5a582e931750430cf09fd4bb6a535063bd1db2
         5f6f505efa44f30beacb4dbb665bfbf658c6a689645bb714ebeb61c5c460a66e
         5cc2fc15e745",
    );

    /// ndpi/quic-27.pcap frame 1: draft-27 client Initial, SNI "play.google.com".
    const DRAFT27_PLAY: [u8; 1330] = hex(
        "c5ff00001b087ba7750a8f3bf556000045204135bf2bc44c63bafbf561efbe85
         b73da26d03538367c121bfdd479b43329efbf0a1311e9feb92231e200fa0b000
         5d13a62ea689149060f528e28b918da48635b3b8cb985a9a9408863f67902ce5
         b9ae0c435b2730b40a120ceef5788f53d54abb1019861ef9cf99e4811424c0c1
         ba61acff6e30b3f201cd7b512c028a464396dd9719531f897cdeda295ae6205c
         948a4cfe7a888db643514633742df8c986ebe7856b51edf70d0a69bac2b94334
         dfa92fb76d125e366bdf563869badc06a0dba9fb4cbbac90c2c29c607231b474
         22a03232c73a649cdd3397a47c925ac53c62b661ccbb6d777093651339599f96
         89b804203f3f63de3f8e61b06f0783dcf7e8dcfa707db9bab7ec0222d63cc812
         9143e1f9bf98de763ccffcb8eb46d9636a384670965de872608ee7a202268401
         d8fb7f1d13f728c2c4f54898bb4b1df5cfa39e7cc40c17554f37a734fdc5abf3
         7edcd5a7df6f626fc653f920d5561f9c7e07d6aa4c95396273f43a43c88b9c23
         4627d2c886d99815fba70268b239b00346c53807a8f81e8257de27fe9ae72c29
         da7ef0ddee80b8cce2ec14bce17b5f20020e9099fc6dffe57e49ff329992a0cf
         518bee96e32c48e8fc07d5a5316b5b19eae9e448eaa252253678d8a260d329e1
         c8c5965105a269fd0387c6a5955a5f8c947f4a59a2e0f94b89d6d903ff3ee849
         bf87d5a3c89c2074ab820e7d8e768c2e4cd2c032354082458449b6518cfea334
         3fcc0cfef7295f8188ae530befb8f13fa754e52ad3513697012bfc8fddf7ee77
         9589ee5d194f74d633de23489b4c43cee639a9e494c0894aed593fce3cb1a5eb
         e02a0ebbe3da22d823a31f1dfe782e5d1e489c0ac5ccdd3b26a38db916fb0178
         98334172b1ecf88cbe34bb3ce0a3e441a107cac80fe5fc9d121e0ea73cad2938
         db783ae30531bd29c51662605aaf6abc1e93c57253d57cc273960ce61b5ca688
         f3a60490e0a90dd950cda0f39e61b7a83bb7308c8a8d0bac31c6d2a0d3406c86
         c069ce0021cc17869194d0471cf5e30f4016160e484c2fe6b86d5bb559c70913
         112a37096dcc200799277788f7c8bc85e6320345228d844e80738f285e997f5f
         c417ee277f45d4dd31313e23d2262e9dde7e8c2c2da08cb662047beec9783f07
         5d2fc31d8ec27100bb4092714c4c65b75a59d49f15c5943f4629fc72b3bbb025
         19017fcc026393733ac29a560ac667d90b29bf5412da125b3520efef9611a121
         acc9e1e73eba76804cbb1ba40f20a65dc0e9f03f9ada618fa07692642675be0f
         0c19232c695407d4c0fe158276ef28900e36125a5e7ca2ecee2698be3f5e1a36
         e91f80ad648b27f358581da9b42a2c6c2e7143d35593d86de3585e3fa77d9701
         2100217d9f1aa848978da44fbf55d20594ff31c5617e1dd5da84d11d10bc32e0
         68147969d27f010482417df4b87c5006cacf88301495ee341747ff08a2db5c3b
         5fbd08378b4132237297096db6904909c9cb42594d3ae95aaca7a3223390cf09
         0c36d100f62f7f16253af3171603ee09827b5030a1015f0fa82a4e7ad2dd38f4
         86de464c3f2fb04619d287b38cc3fc5ee04c0a30a513c853a0cc60472694290a
         09e33b807a7fad32eb446b69b8f3ebb98c72442658c68c70b82c7656311dfdd3
         abd775efb37428354a11d8d752ff073e6f2aba652010a24fdbe5dd960d8ceea1
         0656ca4bc54fff283a82c2d0f408a01531f1b2d37e56eb1b8986e8f092604161
         1c0c6cb6748f46659a8f98000541e2401102019eb6fdeb995cfda1f13f0a1266
         d04a5a576800c884db6a309d07b33f76e8090e7de9796196afda4cb923f2e75d
         474f7a5dd794b8ecc0508ede10f740f620ab",
    );

    /// tcpdump/quic_retry.pcap frame 2: a v1 Retry (SCID e1051eaa7adfb230).
    const V1_RETRY: [u8; 159] = hex(
        "ff000000010008e1051eaa7adfb2304560cfe26e2d3ded33fc90c079b4521a8f
         14c16fe05c7aedfcdd1fcc597a8ee829347d305442fb17a25cc93df7746f1a7d
         e323462823b33d7c17ebac994cdbb6a85215f10316c399fc999a17dddde6e995
         0e1c0a33dee64eceaf3e72d0d29a183ec83b03e7ca5431f0ce5fdca7c1680454
         29abeb5efa231155110752106aaba8f67ccb6438caacb0bb5656f40504ed4b",
    );

    /// tcpdump/quic_vn.pcap frame 2: Version Negotiation listing 0x00000001
    /// and 0x1a2a3a4a.
    const VERSION_NEGOTIATION: [u8; 23] = hex("f50000000000089d5728481287a3b4000000011a2a3a4a");

    const RFC_DCID: [u8; 8] = hex("8394c8f03e515708");

    fn done<T>(p: Parsed<T>) -> (T, usize) {
        match p {
            Parsed::Done { value, consumed } => (value, consumed),
            Parsed::Incomplete { needed } => panic!("incomplete, needed {needed:?}"),
            Parsed::Invalid(a) => panic!("invalid: {a}"),
        }
    }

    fn client_keys(datagram: &[u8]) -> InitialKeys {
        let (h, _) = done(parse_long_header(datagram));
        initial_keys(h.version, h.dcid, false).expect("supported version")
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// Protects `plaintext` behind `header` (unprotected, ending with a
    /// `pn_len`-byte packet number) the way a sender does (RFC 9001 §5.3,
    /// §5.4): the tests build hostile packets with it.
    fn seal(
        keys: &InitialKeys,
        header: &[u8],
        pn_len: usize,
        pn: u64,
        plaintext: &[u8],
    ) -> Vec<u8> {
        let mut packet = header.to_vec();
        packet.extend_from_slice(plaintext);
        let pn_offset = header.len() - pn_len;
        let mut nonce = *keys.iv();
        for (n, p) in nonce.iter_mut().rev().zip(pn.to_be_bytes().iter().rev()) {
            *n ^= p;
        }
        let (aad, text) = packet.split_at_mut(header.len());
        let tag = Aes128Gcm::new(&(*keys.key()).into())
            .encrypt_inout_detached(&Nonce::from(nonce), aad, text.into())
            .expect("encrypt");
        packet.extend_from_slice(&tag);
        let sample: [u8; 16] = packet[pn_offset + 4..pn_offset + 20].try_into().unwrap();
        let mut mask = aes::Block::from(sample);
        Aes128::new(&(*keys.hp()).into()).encrypt_block(&mut mask);
        packet[0] ^= mask[0] & 0x0f;
        for i in 0..pn_len {
            packet[pn_offset + i] ^= mask[1 + i];
        }
        packet
    }

    /// A v1 Initial header to `RFC_DCID` with a 4-byte packet number 0 and a
    /// Length fitting `plaintext_len` bytes of payload.
    fn v1_header(plaintext_len: usize) -> Vec<u8> {
        let length = 4 + plaintext_len + 16;
        assert!(length < 0x4000);
        let mut h = vec![0xc3, 0, 0, 0, 1, 8];
        h.extend_from_slice(&RFC_DCID);
        h.extend_from_slice(&[0, 0]); // SCID length 0, token length 0
        h.extend_from_slice(&(0x4000 | length as u16).to_be_bytes());
        h.extend_from_slice(&[0, 0, 0, 0]);
        h
    }

    fn sealed_v1(plaintext: &[u8]) -> Vec<u8> {
        let keys = initial_keys(version::V1, &RFC_DCID, false).unwrap();
        seal(&keys, &v1_header(plaintext.len()), 4, 0, plaintext)
    }

    fn rfc_client_keys() -> InitialKeys {
        initial_keys(version::V1, &RFC_DCID, false).unwrap()
    }

    #[test]
    fn rfc9001_a1_initial_keys_match_the_rfc() {
        let c = rfc_client_keys();
        assert_eq!(c.key(), &hex::<16>("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(c.iv(), &hex::<12>("fa044b2f42a3fd3b46fb255c"));
        assert_eq!(c.hp(), &hex::<16>("9f50449e04a0e810283a1e9933adedd2"));
        let s = initial_keys(version::V1, &RFC_DCID, true).unwrap();
        assert_eq!(s.key(), &hex::<16>("cf3a5331653c364c88f0f379b6067e37"));
        assert_eq!(s.iv(), &hex::<12>("0ac1493ca1905853b0bba03e"));
        assert_eq!(s.hp(), &hex::<16>("c206b8d9b9f0f37644430b490eeaa314"));
    }

    #[test]
    fn rfc9369_a1_v2_keys_use_the_v2_salt_and_labels() {
        let c = initial_keys(version::V2, &RFC_DCID, false).unwrap();
        assert_eq!(c.key(), &hex::<16>("8b1a0bc121284290a29e0971b5cd045d"));
        assert_eq!(c.iv(), &hex::<12>("91f73e2351d8fa91660e909f"));
        assert_eq!(c.hp(), &hex::<16>("45b95e15235d6f45a6b19cbcb0294ba9"));
        let s = initial_keys(version::V2, &RFC_DCID, true).unwrap();
        assert_eq!(s.key(), &hex::<16>("82db637861d55e1d011f19ea71d5d2a7"));
        assert_eq!(s.iv(), &hex::<12>("dd13c276499c0249d3310652"));
        assert_eq!(s.hp(), &hex::<16>("edf6d05c83121201b436e16877593c3a"));
    }

    #[test]
    fn reserved_versions_use_draft_29_keys() {
        let d29 = initial_keys(0xff00_001d, &RFC_DCID, false).unwrap();
        let r = initial_keys(0x1a2a_3a4a, &RFC_DCID, false).unwrap();
        assert_eq!((r.key(), r.iv(), r.hp()), (d29.key(), d29.iv(), d29.hp()));
    }

    #[test]
    fn unsupported_versions_have_no_keys() {
        for v in [
            0,
            0x1234_5678,
            0xff00_0015,
            0xface_b00e,
            0x5130_3530,
            0x0000_0002,
        ] {
            assert_eq!(initial_keys(v, &RFC_DCID, false), None, "{v:#x}");
        }
    }

    #[test]
    fn rfc9001_a2_header_fields() {
        let (h, consumed) = done(parse_long_header(&RFC9001_A2_CLIENT_INITIAL));
        assert_eq!(h.first_byte, 0xc0);
        assert_eq!(h.version, 1);
        assert_eq!(h.dcid, &RFC_DCID);
        assert_eq!(h.scid, b"");
        assert_eq!(h.packet_type, PacketType::Initial);
        assert_eq!(h.token, b"");
        assert_eq!(h.length, 0x049e);
        assert_eq!(h.header_len, 18);
        assert_eq!(h.packet_len, 1200);
        assert_eq!(consumed, 1200);
    }

    #[test]
    fn rfc9001_a2_client_initial_decrypts_to_the_rfc_client_hello() {
        let (init, used) = decrypt_initial(&RFC9001_A2_CLIENT_INITIAL, &rfc_client_keys()).unwrap();
        assert_eq!(used, 1200);
        assert_eq!(init.version, 1);
        assert_eq!(init.dcid, RFC_DCID);
        assert!(init.scid.is_empty());
        assert_eq!(init.packet_number, 2);
        assert_eq!(init.crypto.len(), 1);
        assert_eq!(init.crypto[0].offset, 0);
        // The CRYPTO frame header is 06 00 40f1; the ClientHello follows.
        let client_hello = &RFC9001_A2_PLAINTEXT[4..];
        assert_eq!(init.crypto[0].data, client_hello);
        assert!(init.crypto[0].data.starts_with(&hex::<6>("010000ed0303")));
        assert!(contains(
            &assemble_crypto(&init.crypto, 4096),
            b"example.com"
        ));
    }

    #[test]
    fn seal_reproduces_rfc9001_a2_so_hostile_packets_are_real_protection() {
        let mut plaintext = RFC9001_A2_PLAINTEXT.to_vec();
        plaintext.resize(245 + 917, 0);
        let sealed = seal(&rfc_client_keys(), &RFC9001_A2_HEADER, 4, 2, &plaintext);
        assert_eq!(sealed, RFC9001_A2_CLIENT_INITIAL);
    }

    #[test]
    fn rfc9001_a3_server_initial_decrypts_with_server_keys() {
        let keys = initial_keys(version::V1, &RFC_DCID, true).unwrap();
        let (init, used) = decrypt_initial(&RFC9001_A3_SERVER_INITIAL, &keys).unwrap();
        assert_eq!(used, 135);
        assert_eq!(init.packet_number, 1);
        assert!(init.dcid.is_empty());
        assert_eq!(init.scid, hex::<8>("f067a5502a4262b5"));
        // ACK (02 00 00 00 00) is skipped, then 06 00 405a and the ServerHello.
        assert_eq!(init.crypto.len(), 1);
        assert_eq!(init.crypto[0].offset, 0);
        assert_eq!(init.crypto[0].data, &RFC9001_A3_PLAINTEXT[9..]);
        // The client's keys do not open the server's packets.
        assert_eq!(
            decrypt_initial(&RFC9001_A3_SERVER_INITIAL, &rfc_client_keys()),
            Err(anomaly::DECRYPT_FAILED)
        );
    }

    #[test]
    fn rfc9369_a3_v2_server_initial_decrypts() {
        let (h, _) = done(parse_long_header(&RFC9369_A3_SERVER_INITIAL));
        // 0xdc: v2 type bits 01 are Initial (they would be 0-RTT in v1).
        assert_eq!(h.packet_type, PacketType::Initial);
        let keys = initial_keys(version::V2, &RFC_DCID, true).unwrap();
        let (init, used) = decrypt_initial(&RFC9369_A3_SERVER_INITIAL, &keys).unwrap();
        assert_eq!(used, 135);
        assert_eq!(init.version, version::V2);
        assert_eq!(init.packet_number, 1);
        assert_eq!(init.crypto[0].data, &RFC9001_A3_PLAINTEXT[9..]);
        // v1 keys for the same DCID fail: the salt and labels differ.
        let v1 = initial_keys(version::V1, &RFC_DCID, true).unwrap();
        assert_eq!(
            decrypt_initial(&RFC9369_A3_SERVER_INITIAL, &v1),
            Err(anomaly::DECRYPT_FAILED)
        );
    }

    /// Decrypts one client Initial from the corpus with the keys of its own
    /// DCID and returns it with the assembled crypto stream.
    fn corpus_client_hello(datagram: &[u8]) -> (Initial, Vec<u8>) {
        let (init, used) = decrypt_initial(datagram, &client_keys(datagram)).unwrap();
        assert_eq!(used, datagram.len());
        let stream = assemble_crypto(&init.crypto, 1 << 16);
        // A TLS ClientHello: handshake type 1.
        assert_eq!(stream.first(), Some(&1));
        (init, stream)
    }

    #[test]
    fn corpus_v1_localhost_client_hello_has_tshark_sni() {
        // tshark: quic.version 0x00000001, packet number 0, CRYPTO 0+261,
        // server_name "localhost", random ac4ff6e3...
        let (init, stream) = corpus_client_hello(&V1_LOCALHOST);
        assert_eq!(init.version, 1);
        assert_eq!(init.packet_number, 0);
        assert_eq!(init.dcid, hex::<8>("84acac06b42ed863"));
        assert_eq!(stream.len(), 261);
        assert!(contains(&stream, b"localhost"));
        assert!(contains(&stream, &hex::<8>("ac4ff6e32c580a31")));
    }

    #[test]
    fn corpus_v1_snapchat_token_and_two_crypto_frames() {
        // tshark: token length 164, packet number 1, CRYPTO offsets 0,4
        // lengths 4,280, SNI app-analytics-v2.snapchat.com.
        let (h, _) = done(parse_long_header(&V1_SNAPCHAT));
        assert_eq!(h.token.len(), 164);
        assert_eq!(h.length, 1167);
        let (init, stream) = corpus_client_hello(&V1_SNAPCHAT);
        assert_eq!(init.packet_number, 1);
        let frames: Vec<_> = init
            .crypto
            .iter()
            .map(|f| (f.offset, f.data.len()))
            .collect();
        assert_eq!(frames, [(0, 4), (4, 280)]);
        assert_eq!(stream.len(), 284);
        assert!(contains(&stream, b"app-analytics-v2.snapchat.com"));
    }

    #[test]
    fn corpus_v2_initial_then_coalesced_0rtt() {
        // tshark: v2 Initial (packet length 532, token 50, packet number
        // 66029, PING + CRYPTO 0+431, SNI "test"), then a 700-byte 0-RTT.
        let (h, consumed) = done(parse_long_header(&V2_INITIAL_AND_0RTT));
        assert_eq!(
            (h.version, h.packet_type, consumed),
            (version::V2, PacketType::Initial, 532)
        );
        assert_eq!(h.token.len(), 50);
        assert_eq!(h.scid, hex::<8>("11fffdea452422b8"));
        let keys = client_keys(&V2_INITIAL_AND_0RTT);
        let (init, used) = decrypt_initial(&V2_INITIAL_AND_0RTT, &keys).unwrap();
        assert_eq!(used, 532);
        assert_eq!(init.packet_number, 66029);
        let stream = assemble_crypto(&init.crypto, 1 << 16);
        assert_eq!(stream.len(), 431);
        assert!(contains(&stream, b"\x00\x04test"));
        let rest = &V2_INITIAL_AND_0RTT[used..];
        let (next, consumed) = done(parse_long_header(rest));
        assert_eq!(
            (next.packet_type, next.packet_len, consumed),
            (PacketType::ZeroRtt, 700, 700)
        );
        assert_eq!(decrypt_initial(rest, &keys), Err(anomaly::NOT_INITIAL));
    }

    #[test]
    fn corpus_chrome_client_hello_split_across_two_initials() {
        // tshark reassembles the ClientHello from frame 1 (0+1211) and
        // frame 3 (1211..1767 in 9 frames); SNI cdnjs.cloudflare.com.
        let keys = client_keys(&CHROME_FIRST);
        let (first, _) = decrypt_initial(&CHROME_FIRST, &keys).unwrap();
        let (second, used) = decrypt_initial(&CHROME_SECOND, &keys).unwrap();
        assert_eq!(used, 1250);
        assert_eq!(
            second.dcid,
            hex::<20>("0164bccb0bceb2de8f64afc9a9cea6a36437ab44")
        );
        assert_eq!(second.packet_number, 4);
        let mut offsets: Vec<_> = second.crypto.iter().map(|f| f.offset).collect();
        offsets.sort_unstable();
        assert_eq!(
            offsets,
            [1211, 1302, 1378, 1414, 1569, 1715, 1717, 1719, 1721]
        );
        assert_eq!(assemble_crypto(&first.crypto, 1 << 16).len(), 1211);
        let mut all = first.crypto.clone();
        all.extend(second.crypto);
        let stream = assemble_crypto(&all, 1 << 16);
        assert_eq!(stream.len(), 1767);
        // ClientHello length field: 4 + 0x0006e3 = 1767 bytes.
        assert_eq!(&stream[..4], &[1, 0, 0x06, 0xe3]);
        assert!(contains(&stream, b"cdnjs.cloudflare.com"));
    }

    #[test]
    fn corpus_second_chrome_initial_under_its_own_dcid_is_decrypt_failed() {
        // Keys come from the first DCID only: deriving them from the
        // server-chosen DCID must fail authentication.
        assert_eq!(
            decrypt_initial(&CHROME_SECOND, &client_keys(&CHROME_SECOND)),
            Err(anomaly::DECRYPT_FAILED)
        );
    }

    #[test]
    fn corpus_draft29_chaos_frames_out_of_order_assemble() {
        // tshark: CRYPTO offsets 281,141,208,279,288,284,187,60,96,280,0 and
        // lengths 3,46,71,1,41,4,21,36,45,1,60 in one packet.
        let (init, stream) = corpus_client_hello(&DRAFT29_CHAOS);
        assert_eq!(init.version, 0xff00_001d);
        let frames: Vec<_> = init
            .crypto
            .iter()
            .map(|f| (f.offset, f.data.len()))
            .collect();
        assert_eq!(
            frames,
            [
                (281, 3),
                (141, 46),
                (208, 71),
                (279, 1),
                (288, 41),
                (284, 4),
                (187, 21),
                (60, 36),
                (96, 45),
                (280, 1),
                (0, 60)
            ]
        );
        assert_eq!(stream.len(), 329);
        assert!(contains(&stream, b"update.googleapis.com"));
    }

    #[test]
    fn corpus_draft27_uses_the_draft23_salt() {
        let (init, stream) = corpus_client_hello(&DRAFT27_PLAY);
        assert_eq!(init.version, 0xff00_001b);
        assert_eq!(init.packet_number, 1);
        assert_eq!(stream.len(), 512);
        assert!(contains(&stream, b"play.google.com"));
    }

    #[test]
    fn corpus_retry_token_and_tag() {
        let (h, consumed) = done(parse_long_header(&V1_RETRY));
        assert_eq!(h.packet_type, PacketType::Retry);
        assert_eq!(h.dcid, b"");
        assert_eq!(h.scid, hex::<8>("e1051eaa7adfb230"));
        // tshark quic.retry_token: 4560cfe2...6aaba8, then the 16-byte tag.
        assert_eq!(h.token.len(), 159 - 15 - 16);
        assert!(h.token.starts_with(&hex::<4>("4560cfe2")));
        assert!(h.token.ends_with(&hex::<3>("6aaba8")));
        assert_eq!((h.header_len, h.packet_len, consumed), (15, 159, 159));
        assert_eq!(
            decrypt_initial(&V1_RETRY, &rfc_client_keys()),
            Err(anomaly::NOT_INITIAL)
        );
    }

    #[test]
    fn corpus_version_negotiation_keeps_the_version_list_after_header_len() {
        let (h, consumed) = done(parse_long_header(&VERSION_NEGOTIATION));
        assert_eq!(h.packet_type, PacketType::VersionNegotiation);
        assert_eq!(h.scid, hex::<8>("9d5728481287a3b4"));
        assert_eq!(
            &VERSION_NEGOTIATION[h.header_len..],
            &hex::<8>("000000011a2a3a4a")
        );
        assert_eq!((h.length, consumed), (8, 23));
        assert_eq!(
            decrypt_initial(&VERSION_NEGOTIATION, &rfc_client_keys()),
            Err(anomaly::UNSUPPORTED_VERSION)
        );
    }

    #[test]
    fn unknown_version_header_stops_after_the_connection_ids() {
        // tcpdump/quic_vn.pcap frame 1's header with its greased version
        // replaced by an unassigned one (reserved versions use v1's layout).
        let mut d = hex::<21>("c012345678089d5728481287a3b400aabbccddeeff").to_vec();
        d.extend_from_slice(&[0; 10]);
        let (h, consumed) = done(parse_long_header(&d));
        assert_eq!(h.packet_type, PacketType::Unknown(0));
        assert_eq!((h.header_len, h.packet_len, consumed), (15, 31, 31));
        assert_eq!(
            decrypt_initial(&d, &rfc_client_keys()),
            Err(anomaly::UNSUPPORTED_VERSION)
        );
    }

    #[test]
    fn hostile_headers_give_exact_outcomes() {
        let mut long_length = RFC9001_A2_CLIENT_INITIAL.to_vec();
        long_length[17] = 0x9f; // Length 0x049f: one byte past the datagram
        let mut huge_length = RFC9001_A2_CLIENT_INITIAL[..16].to_vec();
        huge_length.extend_from_slice(&[0xff; 8]); // 8-byte Length near 2^62
        let mut huge_token = RFC9001_A2_CLIENT_INITIAL[..15].to_vec();
        huge_token.extend_from_slice(&[0xff; 8]);
        let short_retry = hex::<20>("ff000000010008e1051eaa7adfb2304560cfe26e");
        let cases: [(&str, &[u8], Parsed<()>); 9] = [
            ("empty", &[], Parsed::Incomplete { needed: Some(1) }),
            (
                "short header",
                &[0x40, 1, 2, 3],
                Parsed::Invalid(anomaly::NOT_LONG_HEADER),
            ),
            (
                "cut in version",
                &[0xc0, 0, 0],
                Parsed::Incomplete { needed: Some(5) },
            ),
            (
                "cut in dcid",
                &RFC9001_A2_CLIENT_INITIAL[..9],
                Parsed::Incomplete { needed: Some(14) },
            ),
            (
                "cut in 2-byte length",
                &RFC9001_A2_CLIENT_INITIAL[..17],
                Parsed::Incomplete { needed: Some(18) },
            ),
            (
                "length past datagram",
                &long_length,
                Parsed::Invalid(anomaly::TRUNCATED),
            ),
            (
                "8-byte length",
                &huge_length,
                Parsed::Invalid(anomaly::TRUNCATED),
            ),
            (
                "token past datagram",
                &huge_token,
                Parsed::Incomplete {
                    needed: Some(23 + 0x3fff_ffff_ffff_ffff),
                },
            ),
            (
                "retry without tag",
                &short_retry,
                Parsed::Invalid(anomaly::TRUNCATED),
            ),
        ];
        for (name, input, want) in cases {
            let got = match parse_long_header(input) {
                Parsed::Done { .. } => Parsed::Done {
                    value: (),
                    consumed: 0,
                },
                Parsed::Incomplete { needed } => Parsed::Incomplete { needed },
                Parsed::Invalid(a) => Parsed::Invalid(a),
            };
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(
            decrypt_initial(&long_length, &rfc_client_keys()),
            Err(anomaly::TRUNCATED)
        );
        assert_eq!(
            decrypt_initial(&[0x40, 1], &rfc_client_keys()),
            Err(anomaly::NOT_LONG_HEADER)
        );
    }

    #[test]
    fn hostile_payloads_give_exact_anomalies() {
        let mut max_pings = vec![0x01; MAX_FRAMES - 1];
        max_pings.extend_from_slice(&[0x06, 0x00, 0x01, b'x']);
        let cases: [(&str, Vec<u8>, Result<usize, &str>); 11] = [
            (
                "crypto length varint cut",
                vec![0x01, 0x06, 0x00, 0x40],
                Err(anomaly::BAD_VARINT),
            ),
            (
                "frame type varint cut",
                vec![0x00, 0x00, 0x80, 0x00],
                Err(anomaly::BAD_VARINT),
            ),
            (
                "crypto data past payload",
                vec![0x06, 0x00, 0x05, b'a', b'b'],
                Err(anomaly::BAD_FRAME),
            ),
            (
                "crypto offset past 2^62-1",
                vec![
                    0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, b'a',
                ],
                Err(anomaly::BAD_FRAME),
            ),
            (
                "ack range count too big",
                vec![0x02, 0x05, 0x00, 0x7f, 0xff, 0x00, 0, 0],
                Err(anomaly::BAD_FRAME),
            ),
            (
                "ack ecn count cut",
                vec![0x03, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00],
                Err(anomaly::BAD_VARINT),
            ),
            (
                "close reason past payload",
                vec![0x1c, 0x0a, 0x00, 0x09, b'x'],
                Err(anomaly::BAD_FRAME),
            ),
            (
                "one frame over the cap",
                vec![0x01; MAX_FRAMES + 1],
                Err(anomaly::TOO_MANY_FRAMES),
            ),
            ("cap reached exactly", max_pings, Ok(1)),
            (
                "padding is not counted",
                [vec![0; 2000], vec![0x06, 0, 1, b'x']].concat(),
                Ok(1),
            ),
            (
                "skipped frames then unknown type stops",
                [
                    &[0x02, 0x05, 0x00, 0x01, 0x00, 0x01, 0x01][..],
                    &[0x1c, 0x0a, 0x06, 0x02, b'n', b'o'],
                    &[0x06, 0x00, 0x01, b'x', 0x08, 0x00, 0x06, 0x00, 0x01, b'y'],
                ]
                .concat(),
                Ok(1),
            ),
        ];
        for (name, plaintext, want) in cases {
            let got = decrypt_initial(&sealed_v1(&plaintext), &rfc_client_keys())
                .map(|(init, _)| init.crypto.len());
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn packet_too_short_for_the_sample_is_truncated() {
        // Length 19: packet number + 15 bytes, one short of the sample.
        let mut d = RFC9001_A2_CLIENT_INITIAL[..16].to_vec();
        d.extend_from_slice(&[0x40, 19]);
        d.extend_from_slice(&[0xaa; 19]);
        assert!(matches!(
            parse_long_header(&d),
            Parsed::Done { consumed: 37, .. }
        ));
        assert_eq!(
            decrypt_initial(&d, &rfc_client_keys()),
            Err(anomaly::TRUNCATED)
        );
    }

    #[test]
    fn wrong_dcid_is_decrypt_failed() {
        let keys = initial_keys(version::V1, &hex::<8>("8394c8f03e515709"), false).unwrap();
        assert_eq!(
            decrypt_initial(&RFC9001_A2_CLIENT_INITIAL, &keys),
            Err(anomaly::DECRYPT_FAILED)
        );
    }

    #[test]
    fn unsupported_version_is_reported_before_decrypting() {
        let mut d = RFC9001_A2_CLIENT_INITIAL;
        d[1..5].copy_from_slice(&0x1234_5678_u32.to_be_bytes());
        assert_eq!(
            decrypt_initial(&d, &rfc_client_keys()),
            Err(anomaly::UNSUPPORTED_VERSION)
        );
    }

    const VALID: [&[u8]; 9] = [
        &RFC9001_A2_CLIENT_INITIAL,
        &RFC9001_A3_SERVER_INITIAL,
        &RFC9369_A3_SERVER_INITIAL,
        &V1_LOCALHOST,
        &V1_SNAPCHAT,
        &V2_INITIAL_AND_0RTT,
        &CHROME_FIRST,
        &DRAFT29_CHAOS,
        &DRAFT27_PLAY,
    ];

    #[test]
    fn every_prefix_is_incomplete_or_truncated_never_a_wrong_packet() {
        for d in VALID {
            let (full, len) = done(parse_long_header(d));
            let keys = initial_keys(full.version, full.dcid, false).unwrap();
            for cut in 0..len {
                let prefix = &d[..cut];
                match parse_long_header(prefix) {
                    Parsed::Incomplete { needed } => assert!(needed.is_none_or(|n| n > cut)),
                    Parsed::Invalid(a) => assert_eq!(a, anomaly::TRUNCATED, "cut {cut}"),
                    Parsed::Done { .. } => panic!("prefix {cut} of {len} parsed as a whole packet"),
                }
                assert!(decrypt_initial(prefix, &keys).is_err(), "cut {cut}");
            }
        }
    }

    #[test]
    fn bit_flips_never_decrypt() {
        // One flipped bit per byte position (cycling through the bits): the
        // header parse may change, but the packet must never authenticate.
        for d in [&RFC9001_A2_CLIENT_INITIAL[..], &V1_SNAPCHAT[..]] {
            let keys = client_keys(d);
            for i in 0..d.len() {
                let mut m = d.to_vec();
                m[i] ^= 1 << (i % 8);
                let _ = parse_long_header(&m);
                assert!(decrypt_initial(&m, &keys).is_err(), "flip at {i}");
            }
        }
    }

    #[test]
    fn assemble_crypto_is_contiguous_from_zero_and_capped() {
        let f = |offset: u64, data: &[u8]| CryptoFrame {
            offset,
            data: data.to_vec(),
        };
        let frames = [f(6, b"ghi"), f(0, b"abc"), f(2, b"cdef"), f(20, b"zz")];
        assert_eq!(assemble_crypto(&frames, 100), b"abcdefghi");
        assert_eq!(assemble_crypto(&frames, 4), b"abcd");
        assert_eq!(assemble_crypto(&frames, 0), b"");
        assert_eq!(assemble_crypto(&[f(1, b"x")], 100), b"");
        assert_eq!(assemble_crypto(&[f(u64::MAX, b"x"), f(0, b"")], 100), b"");
        // Overlaps: the first frame covering an offset keeps it.
        assert_eq!(assemble_crypto(&[f(0, b"ab"), f(1, b"XYZ")], 100), b"abYZ");
    }

    #[test]
    fn version_names() {
        let cases = [
            (0, "version negotiation"),
            (1, "QUIC v1"),
            (0x6b33_43cf, "QUIC v2"),
            (0xff00_001d, "draft-29"),
            (0xface_b002, "mvfst 0xfaceb002"),
            (0x1a2a_3a4a, "reserved 0x1a2a3a4a"),
            (0x5130_3530, "Google QUIC Q050"),
            (0x1234_5678, "0x12345678"),
        ];
        for (v, name) in cases {
            assert_eq!(version_name(v), name);
        }
        assert!(is_long_header(0xc0) && is_long_header(0x80));
        assert!(!is_long_header(0x40) && !is_long_header(0));
    }
}
