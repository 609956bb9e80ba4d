//! Pure TLS parsers: record header, handshake header, ClientHello (with JA3
//! and JA4), ServerHello, and the TLS 1.2 Certificate message.
//!
//! Every function takes bytes and returns a value; none keeps state, logs or
//! does I/O. No input can make them panic: every read goes through a private `Reader`,
//! whose accessors check the length first and return `None` when it is short.
//! See the module doc of [`super`] for the specs, limits and anomaly names.

use std::borrow::Cow;
use std::fmt::Write as _;

use md5::{Digest as _, Md5};
use sha2::Sha256;
use x509_parser::asn1_rs::{Any, Tag};
use x509_parser::objects::{oid_registry, oid2abbrev};
use x509_parser::prelude::{FromDer as _, X509Certificate};
use x509_parser::x509::X509Name;

use crate::dissect::Parsed;
use crate::record::hex;

/// Byte layout of the fixed headers.
pub mod field {
    /// Record header: type(1) version(2) length(2).
    pub const RECORD_HEADER_LEN: usize = 5;
    /// Handshake header: msg_type(1) length(3).
    pub const HANDSHAKE_HEADER_LEN: usize = 4;
    /// `Random` in both hellos.
    pub const RANDOM_LEN: usize = 32;
    /// `legacy_session_id<0..32>`.
    pub const MAX_SESSION_ID_LEN: usize = 32;
}

/// Wire constants.
pub mod wire {
    /// The major byte of every TLS (and SSLv3) record version.
    pub const RECORD_VERSION_MAJOR: u8 = 3;
    /// `SignatureScheme`/`CipherSuite`/`NamedGroup`/`ProtocolVersion` size.
    pub const U16_LEN: usize = 2;
    /// RFC 6066 §3 `NameType host_name(0)`.
    pub const SNI_HOST_NAME: u8 = 0;
    /// RFC 8446 §4.1.3: the `Random` of a ServerHello that is a HelloRetryRequest
    /// (SHA-256 of "HelloRetryRequest").
    pub const HELLO_RETRY_RANDOM: [u8; super::field::RANDOM_LEN] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
        0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
        0x33, 0x9c,
    ];
}

/// Extension types read by the parsers (IANA "TLS ExtensionType Values").
pub mod ext {
    /// RFC 6066 server_name.
    pub const SERVER_NAME: u16 = 0x0000;
    /// RFC 8446 supported_groups (RFC 8422 elliptic_curves).
    pub const SUPPORTED_GROUPS: u16 = 0x000a;
    /// RFC 8422 ec_point_formats.
    pub const EC_POINT_FORMATS: u16 = 0x000b;
    /// RFC 8446 signature_algorithms.
    pub const SIGNATURE_ALGORITHMS: u16 = 0x000d;
    /// RFC 7301 application_layer_protocol_negotiation.
    pub const ALPN: u16 = 0x0010;
    /// RFC 8446 supported_versions.
    pub const SUPPORTED_VERSIONS: u16 = 0x002b;
}

/// Protocol version numbers.
pub mod version {
    /// SSL 3.0.
    pub const SSL3: u16 = 0x0300;
    /// TLS 1.0.
    pub const TLS10: u16 = 0x0301;
    /// TLS 1.1.
    pub const TLS11: u16 = 0x0302;
    /// TLS 1.2.
    pub const TLS12: u16 = 0x0303;
    /// TLS 1.3.
    pub const TLS13: u16 = 0x0304;
    /// SSL 2.0 (only meaningful inside supported_versions for JA4).
    pub const SSL2: u16 = 0x0002;
    /// DTLS 1.0 (JA4 table).
    pub const DTLS10: u16 = 0xfeff;
    /// DTLS 1.2 (JA4 table).
    pub const DTLS12: u16 = 0xfefd;
    /// DTLS 1.3 (JA4 table).
    pub const DTLS13: u16 = 0xfefc;
}

/// Bounds on everything the parsers build or accept.
pub mod cap {
    /// RFC 8446 §5.2: a TLSCiphertext fragment is at most 2^14 + 256 bytes;
    /// RFC 5246 §6.2.3 allows 2^14 + 2048. We accept the larger.
    pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;
    /// Largest handshake message accepted (the caller buffers it across
    /// records). 128 KiB holds the longest certificate chains seen in practice
    /// (OpenSSL's default limit is 100 KiB).
    pub const MAX_HANDSHAKE_LEN: usize = 128 * 1024;
    /// Cipher suites kept from a ClientHello.
    pub const MAX_CIPHERS: usize = 512;
    /// Extension types kept from a hello.
    pub const MAX_EXTENSIONS: usize = 128;
    /// ALPN protocol names kept.
    pub const MAX_ALPN: usize = 16;
    /// supported_versions entries kept (the wire allows at most 127).
    pub const MAX_VERSIONS: usize = 127;
    /// supported_groups entries kept.
    pub const MAX_GROUPS: usize = 128;
    /// ec_point_formats entries kept.
    pub const MAX_POINT_FORMATS: usize = 32;
    /// signature_algorithms entries kept.
    pub const MAX_SIG_ALGS: usize = 128;
    /// Bytes of server name kept (a DNS name is at most 253).
    pub const MAX_SNI_LEN: usize = 255;
    /// Certificates accepted in one Certificate message.
    pub const MAX_CERTS: usize = 10;
    /// Bytes kept of a rendered subject or issuer name.
    pub const MAX_NAME_LEN: usize = 1024;
}

/// Anomaly names returned as `Invalid(..)` / `Err(..)`.
pub mod anomaly {
    /// Record length above [`super::cap::MAX_RECORD_LEN`].
    pub const RECORD_TOO_LONG: &str = "tls.record_too_long";
    /// Record content type not in 20..=24.
    pub const BAD_CONTENT_TYPE: &str = "tls.bad_content_type";
    /// Record version major byte is not 3 (not SSLv3/TLS; e.g. SSLv2 or not TLS).
    pub const BAD_RECORD_VERSION: &str = "tls.bad_record_version";
    /// Zero-length handshake, alert, change_cipher_spec or heartbeat record.
    pub const EMPTY_RECORD: &str = "tls.empty_record";
    /// Handshake length above [`super::cap::MAX_HANDSHAKE_LEN`].
    pub const HANDSHAKE_TOO_LONG: &str = "tls.handshake_too_long";
    /// ClientHello fields cut short, missing, or followed by trailing bytes.
    pub const BAD_CLIENT_HELLO: &str = "tls.bad_client_hello";
    /// ServerHello fields cut short or followed by trailing bytes.
    pub const BAD_SERVER_HELLO: &str = "tls.bad_server_hello";
    /// legacy_session_id longer than 32 bytes.
    pub const BAD_SESSION_ID: &str = "tls.bad_session_id";
    /// Empty or odd-length cipher_suites.
    pub const BAD_CIPHER_LIST: &str = "tls.bad_cipher_list";
    /// Extension block or one extension's length overruns its container, or a
    /// known extension's body is malformed.
    pub const BAD_EXTENSION: &str = "tls.bad_extension";
    /// server_name extension whose lengths do not add up, or empty name.
    pub const BAD_SNI: &str = "tls.bad_sni";
    /// ALPN extension whose lengths do not add up, or an empty list.
    pub const BAD_ALPN: &str = "tls.bad_alpn";
    /// Certificate message whose lengths do not add up, or an empty entry.
    pub const BAD_CERTIFICATE: &str = "tls.bad_certificate";
    /// More than [`super::cap::MAX_CERTS`] certificates.
    pub const TOO_MANY_CERTIFICATES: &str = "tls.too_many_certificates";
}

/// Record content type (RFC 8446 §5.1, RFC 6520). Open enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
    /// 20
    ChangeCipherSpec,
    /// 21
    Alert,
    /// 22
    Handshake,
    /// 23
    ApplicationData,
    /// 24 (RFC 6520)
    Heartbeat,
    /// Anything else.
    Unknown(u8),
}

impl From<u8> for ContentType {
    fn from(v: u8) -> Self {
        match v {
            20 => Self::ChangeCipherSpec,
            21 => Self::Alert,
            22 => Self::Handshake,
            23 => Self::ApplicationData,
            24 => Self::Heartbeat,
            n => Self::Unknown(n),
        }
    }
}

/// Handshake message type (RFC 8446 §4, RFC 5246 §7.4, IANA registry). Open enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeType {
    /// 0 (TLS 1.2)
    HelloRequest,
    /// 1
    ClientHello,
    /// 2 (also HelloRetryRequest in TLS 1.3)
    ServerHello,
    /// 4
    NewSessionTicket,
    /// 5
    EndOfEarlyData,
    /// 8
    EncryptedExtensions,
    /// 11
    Certificate,
    /// 12 (TLS 1.2)
    ServerKeyExchange,
    /// 13
    CertificateRequest,
    /// 14 (TLS 1.2)
    ServerHelloDone,
    /// 15
    CertificateVerify,
    /// 16 (TLS 1.2)
    ClientKeyExchange,
    /// 20
    Finished,
    /// 22 (RFC 6066)
    CertificateStatus,
    /// 24
    KeyUpdate,
    /// Anything else: reported, not rejected (an encrypted Finished parsed as
    /// plaintext lands here too).
    Unknown(u8),
}

impl From<u8> for HandshakeType {
    fn from(v: u8) -> Self {
        match v {
            0 => Self::HelloRequest,
            1 => Self::ClientHello,
            2 => Self::ServerHello,
            4 => Self::NewSessionTicket,
            5 => Self::EndOfEarlyData,
            8 => Self::EncryptedExtensions,
            11 => Self::Certificate,
            12 => Self::ServerKeyExchange,
            13 => Self::CertificateRequest,
            14 => Self::ServerHelloDone,
            15 => Self::CertificateVerify,
            16 => Self::ClientKeyExchange,
            20 => Self::Finished,
            22 => Self::CertificateStatus,
            24 => Self::KeyUpdate,
            n => Self::Unknown(n),
        }
    }
}

/// A checked cursor: every accessor returns `None` instead of reading past
/// the end, so nothing built on it can panic.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { rest: buf }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.rest.split_at_checked(n)?;
        self.rest = tail;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<&'a [u8; N]> {
        let (head, tail) = self.rest.split_first_chunk::<N>()?;
        self.rest = tail;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[b]| *b)
    }

    fn u16(&mut self) -> Option<u16> {
        self.array::<2>().map(|b| u16::from_be_bytes(*b))
    }

    fn u24(&mut self) -> Option<usize> {
        self.array::<3>()
            .map(|[a, b, c]| usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c))
    }

    /// `opaque x<0..2^8-1>`
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    /// `opaque x<0..2^16-1>`
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    /// `opaque x<0..2^24-1>`
    fn vec24(&mut self) -> Option<&'a [u8]> {
        let n = self.u24()?;
        self.take(n)
    }
}

/// Reads a whole body that must be exactly one `vec16` (an extension's data).
fn whole_vec16(data: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(data);
    let inner = r.vec16()?;
    r.is_empty().then_some(inner)
}

/// Reads a whole body that must be exactly one `vec8`.
fn whole_vec8(data: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(data);
    let inner = r.vec8()?;
    r.is_empty().then_some(inner)
}

/// Splits a list of big-endian u16 into at most `max` values; `None` if the
/// byte count is odd. Sets `truncated` when values were dropped.
fn u16_list(bytes: &[u8], max: usize, truncated: &mut bool) -> Option<Vec<u16>> {
    let pairs = bytes.chunks_exact(wire::U16_LEN);
    if !pairs.remainder().is_empty() {
        return None;
    }
    if pairs.len() > max {
        *truncated = true;
    }
    Some(
        pairs
            .take(max)
            .filter_map(|c| <[u8; 2]>::try_from(c).ok().map(u16::from_be_bytes))
            .collect(),
    )
}

/// The first `max` bytes as text, lossily; sets `truncated` when cut.
fn lossy_capped(bytes: &[u8], max: usize, truncated: &mut bool) -> String {
    let kept = bytes.get(..max).unwrap_or(bytes);
    if kept.len() < bytes.len() {
        *truncated = true;
    }
    String::from_utf8_lossy(kept).into_owned()
}

// ---------------------------------------------------------------------------
// Record layer
// ---------------------------------------------------------------------------

/// One TLS record (plaintext header; the fragment may be encrypted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Content type (see [`ContentType`]).
    pub content_type: u8,
    /// `legacy_record_version`, e.g. 0x0301 or 0x0303.
    pub version: u16,
    /// The record payload.
    pub fragment: &'a [u8],
}

impl Record<'_> {
    /// The content type as an open enum.
    pub fn kind(&self) -> ContentType {
        ContentType::from(self.content_type)
    }
}

// RFC 8446 §5.1 (same layout as RFC 5246 §6.2.1):
//   struct {
//       ContentType type;
//       ProtocolVersion legacy_record_version;
//       uint16 length;
//       opaque fragment[TLSPlaintext.length];
//   } TLSPlaintext;
/// Parses one record from the front of `buf`.
///
/// `Incomplete { needed: None }` while the 5-byte header is not all there (its
/// first bytes are still checked), then `Incomplete { needed: Some(5 + length) }`.
pub fn parse_record(buf: &[u8]) -> Parsed<Record<'_>> {
    let mut r = Reader::new(buf);
    let Some(content_type) = r.u8() else {
        return Parsed::Incomplete { needed: None };
    };
    let kind = ContentType::from(content_type);
    if let ContentType::Unknown(_) = kind {
        return Parsed::Invalid(anomaly::BAD_CONTENT_TYPE);
    }
    if buf
        .get(1)
        .is_some_and(|&major| major != wire::RECORD_VERSION_MAJOR)
    {
        return Parsed::Invalid(anomaly::BAD_RECORD_VERSION);
    }
    let (Some(version), Some(len)) = (r.u16(), r.u16()) else {
        return Parsed::Incomplete { needed: None };
    };
    let len = usize::from(len);
    if len > cap::MAX_RECORD_LEN {
        return Parsed::Invalid(anomaly::RECORD_TOO_LONG);
    }
    // RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of
    // Handshake types"; alert and change_cipher_spec have fixed sizes. Only
    // application_data may be empty.
    if len == 0 && kind != ContentType::ApplicationData {
        return Parsed::Invalid(anomaly::EMPTY_RECORD);
    }
    let total = field::RECORD_HEADER_LEN + len;
    match r.take(len) {
        Some(fragment) => Parsed::Done {
            value: Record {
                content_type,
                version,
                fragment,
            },
            consumed: total,
        },
        None => Parsed::Incomplete {
            needed: Some(total),
        },
    }
}

// ---------------------------------------------------------------------------
// Handshake layer
// ---------------------------------------------------------------------------

/// One handshake message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handshake<'a> {
    /// Message type (see [`HandshakeType`]).
    pub msg_type: u8,
    /// The message body, without the 4-byte header.
    pub body: &'a [u8],
}

impl Handshake<'_> {
    /// The message type as an open enum.
    pub fn kind(&self) -> HandshakeType {
        HandshakeType::from(self.msg_type)
    }
}

// RFC 8446 §4:
//   struct {
//       HandshakeType msg_type;    /* handshake type */
//       uint24 length;             /* remaining bytes in message */
//       select (Handshake.msg_type) { ... };
//   } Handshake;
/// Parses one handshake message from the front of the handshake stream (the
/// concatenated fragments of consecutive handshake records).
pub fn parse_handshake(buf: &[u8]) -> Parsed<Handshake<'_>> {
    let mut r = Reader::new(buf);
    let (Some(msg_type), Some(len)) = (r.u8(), r.u24()) else {
        return Parsed::Incomplete { needed: None };
    };
    if len > cap::MAX_HANDSHAKE_LEN {
        return Parsed::Invalid(anomaly::HANDSHAKE_TOO_LONG);
    }
    let total = field::HANDSHAKE_HEADER_LEN + len;
    match r.take(len) {
        Some(body) => Parsed::Done {
            value: Handshake { msg_type, body },
            consumed: total,
        },
        None => Parsed::Incomplete {
            needed: Some(total),
        },
    }
}

// ---------------------------------------------------------------------------
// ClientHello
// ---------------------------------------------------------------------------

/// What a ClientHello says, as sent (GREASE values kept; fingerprints drop them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// `legacy_version` (0x0303 for TLS 1.2 and 1.3 clients).
    pub legacy_version: u16,
    /// Cipher suites in wire order (at most [`cap::MAX_CIPHERS`]).
    pub ciphers: Vec<u16>,
    /// Extension types in wire order, duplicates kept (at most [`cap::MAX_EXTENSIONS`]).
    pub extensions: Vec<u16>,
    /// First `host_name` of server_name, lossy UTF-8, at most [`cap::MAX_SNI_LEN`] bytes.
    pub sni: Option<String>,
    /// ALPN protocol names in order, lossy UTF-8 (at most [`cap::MAX_ALPN`]).
    pub alpn: Vec<String>,
    /// The first and last byte of the first ALPN name as sent (`None` if there
    /// is no ALPN or the first name is empty): JA4 needs the raw bytes.
    pub alpn_first_bytes: Option<(u8, u8)>,
    /// supported_versions, in order (at most [`cap::MAX_VERSIONS`]).
    pub supported_versions: Vec<u16>,
    /// supported_groups, in order (at most [`cap::MAX_GROUPS`]).
    pub groups: Vec<u16>,
    /// ec_point_formats, in order (at most [`cap::MAX_POINT_FORMATS`]).
    pub ec_point_formats: Vec<u8>,
    /// signature_algorithms, in order (at most [`cap::MAX_SIG_ALGS`]).
    pub sig_algs: Vec<u16>,
    /// A cap was hit: some list or the SNI was cut. JA3/JA4 are then computed
    /// over the kept values and will not match other tools.
    pub truncated: bool,
    /// The hello came in the SSLv2-compatible format ([`parse_sslv2_client_hello`]):
    /// it has no extensions, and JA3/JA4 are not defined for it (tshark and
    /// Salesforce's ja3 compute none).
    pub sslv2: bool,
}

// RFC 8446 §4.1.2 (RFC 5246 §7.4.1.2 is the same up to the optional extensions):
//   struct {
//       ProtocolVersion legacy_version = 0x0303;    /* TLS v1.2 */
//       Random random;
//       opaque legacy_session_id<0..32>;
//       CipherSuite cipher_suites<2..2^16-2>;
//       opaque legacy_compression_methods<1..2^8-1>;
//       Extension extensions<8..2^16-1>;
//   } ClientHello;
//
// RFC 8446 §4.2:
//   struct {
//       ExtensionType extension_type;
//       opaque extension_data<0..2^16-1>;
//   } Extension;
// RFC 5246 Appendix E.2 (and RFC 6101 Appendix E): a client that also speaks
// SSL 2.0 may open with a version 2.0 CLIENT-HELLO message:
//   uint8 V2CipherSpec[3];
//   struct {
//       uint16 msg_length;         /* high bit set: a 2-byte header */
//       uint8 msg_type;            /* 1 */
//       Version version;           /* the highest version it supports */
//       uint16 cipher_spec_length; /* a multiple of 3 */
//       uint16 session_id_length;  /* 0 or 16 */
//       uint16 challenge_length;   /* 16 to 32 */
//       V2CipherSpec cipher_specs[V2ClientHello.cipher_spec_length];
//       opaque session_id[V2ClientHello.session_id_length];
//       opaque challenge[V2ClientHello.challenge_length];
//   } V2ClientHello;
// "The msg_length field ... does not include the length of the record header",
// and the server answers in TLS records.
/// Parses an SSLv2-compatible ClientHello from the front of `buf`: the whole
/// record, header included. TLS cipher suites (specs whose first byte is 0)
/// are kept in `ciphers`; SSL 2.0 kinds are dropped.
pub fn parse_sslv2_client_hello(buf: &[u8]) -> Parsed<ClientHello> {
    let mut r = Reader::new(buf);
    let (Some(hi), Some(lo)) = (r.u8(), r.u8()) else {
        return Parsed::Incomplete { needed: None };
    };
    if hi & 0x80 == 0 {
        return Parsed::Invalid(anomaly::BAD_CLIENT_HELLO);
    }
    let len = usize::from(u16::from_be_bytes([hi & 0x7f, lo]));
    let total = 2 + len;
    let Some(body) = r.take(len) else {
        return Parsed::Incomplete {
            needed: Some(total),
        };
    };
    let mut b = Reader::new(body);
    let parsed = (|| {
        if HandshakeType::from(b.u8()?) != HandshakeType::ClientHello {
            return None;
        }
        let version = b.u16()?;
        let (specs, sid, challenge) = (b.u16()?, b.u16()?, b.u16()?);
        let (specs, sid, challenge) =
            (usize::from(specs), usize::from(sid), usize::from(challenge));
        if specs == 0
            || specs % 3 != 0
            || !(sid == 0 || sid == 16)
            || !(16..=32).contains(&challenge)
        {
            return None;
        }
        let specs = b.take(specs)?;
        b.take(sid + challenge)?;
        if !b.is_empty() {
            return None;
        }
        let mut hello = ClientHello {
            legacy_version: version,
            sslv2: true,
            ..ClientHello::default()
        };
        for spec in specs.chunks_exact(3).filter(|s| s[0] == 0) {
            if hello.ciphers.len() == cap::MAX_CIPHERS {
                hello.truncated = true;
                break;
            }
            hello.ciphers.push(u16::from_be_bytes([spec[1], spec[2]]));
        }
        Some(hello)
    })();
    match parsed {
        Some(value) => Parsed::Done {
            value,
            consumed: total,
        },
        None => Parsed::Invalid(anomaly::BAD_CLIENT_HELLO),
    }
}

/// Parses the body of a handshake message of type 1.
///
/// Extensions may be absent altogether (TLS 1.2 and older). Only the first
/// occurrence of a repeated extension is decoded; all are listed.
pub fn parse_client_hello(body: &[u8]) -> Result<ClientHello, &'static str> {
    let mut r = Reader::new(body);
    let legacy_version = r.u16().ok_or(anomaly::BAD_CLIENT_HELLO)?;
    r.take(field::RANDOM_LEN).ok_or(anomaly::BAD_CLIENT_HELLO)?;
    let sid_len = r.u8().ok_or(anomaly::BAD_CLIENT_HELLO)?;
    if usize::from(sid_len) > field::MAX_SESSION_ID_LEN {
        return Err(anomaly::BAD_SESSION_ID);
    }
    r.take(usize::from(sid_len))
        .ok_or(anomaly::BAD_CLIENT_HELLO)?;
    let cipher_bytes = r.vec16().ok_or(anomaly::BAD_CLIENT_HELLO)?;
    let compression = r.vec8().ok_or(anomaly::BAD_CLIENT_HELLO)?;
    let mut hello = ClientHello {
        legacy_version,
        ..ClientHello::default()
    };
    if cipher_bytes.is_empty() {
        return Err(anomaly::BAD_CIPHER_LIST);
    }
    hello.ciphers = u16_list(cipher_bytes, cap::MAX_CIPHERS, &mut hello.truncated)
        .ok_or(anomaly::BAD_CIPHER_LIST)?;
    if compression.is_empty() {
        return Err(anomaly::BAD_CLIENT_HELLO);
    }
    if r.is_empty() {
        return Ok(hello);
    }
    let block = r.vec16().ok_or(anomaly::BAD_EXTENSION)?;
    if !r.is_empty() {
        return Err(anomaly::BAD_CLIENT_HELLO);
    }

    let mut seen = SeenExtensions::default();
    let mut er = Reader::new(block);
    while !er.is_empty() {
        let typ = er.u16().ok_or(anomaly::BAD_EXTENSION)?;
        let data = er.vec16().ok_or(anomaly::BAD_EXTENSION)?;
        if hello.extensions.len() < cap::MAX_EXTENSIONS {
            hello.extensions.push(typ);
        } else {
            hello.truncated = true;
        }
        if !seen.first(typ) {
            continue;
        }
        client_extension(&mut hello, typ, data)?;
    }
    Ok(hello)
}

/// Which decoded extensions were already met, so only the first is decoded.
#[derive(Default)]
struct SeenExtensions {
    types: [bool; 6],
}

impl SeenExtensions {
    /// True the first time a decoded type is met (always true for others,
    /// which are not decoded anyway).
    fn first(&mut self, typ: u16) -> bool {
        let slot = match typ {
            ext::SERVER_NAME => 0,
            ext::SUPPORTED_GROUPS => 1,
            ext::EC_POINT_FORMATS => 2,
            ext::SIGNATURE_ALGORITHMS => 3,
            ext::ALPN => 4,
            ext::SUPPORTED_VERSIONS => 5,
            _ => return true,
        };
        match self.types.get_mut(slot) {
            Some(flag) if !*flag => {
                *flag = true;
                true
            }
            _ => false,
        }
    }
}

/// Decodes one ClientHello extension body into `hello`.
fn client_extension(hello: &mut ClientHello, typ: u16, data: &[u8]) -> Result<(), &'static str> {
    let t = &mut hello.truncated;
    match typ {
        ext::SERVER_NAME => hello.sni = parse_sni(data, t)?,
        ext::ALPN => {
            let (names, first) = parse_alpn(data, t)?;
            hello.alpn = names;
            hello.alpn_first_bytes = first;
        }
        // RFC 8446 §4.2.1:
        //   struct {
        //       select (Handshake.msg_type) {
        //           case client_hello:
        //                ProtocolVersion versions<2..254>;
        //           ...
        //   } SupportedVersions;
        ext::SUPPORTED_VERSIONS => {
            hello.supported_versions = whole_vec8(data)
                .filter(|l| !l.is_empty())
                .and_then(|l| u16_list(l, cap::MAX_VERSIONS, t))
                .ok_or(anomaly::BAD_EXTENSION)?;
        }
        // RFC 8446 §4.2.7:
        //   struct {
        //       NamedGroup named_group_list<2..2^16-1>;
        //   } NamedGroupList;
        ext::SUPPORTED_GROUPS => {
            hello.groups = whole_vec16(data)
                .filter(|l| !l.is_empty())
                .and_then(|l| u16_list(l, cap::MAX_GROUPS, t))
                .ok_or(anomaly::BAD_EXTENSION)?;
        }
        // RFC 8422 §5.1.2:
        //   struct {
        //       ECPointFormat ec_point_format_list<1..2^8-1>
        //   } ECPointFormatList;
        ext::EC_POINT_FORMATS => {
            let list = whole_vec8(data)
                .filter(|l| !l.is_empty())
                .ok_or(anomaly::BAD_EXTENSION)?;
            let kept = list.get(..cap::MAX_POINT_FORMATS).unwrap_or(list);
            *t |= kept.len() < list.len();
            hello.ec_point_formats = kept.to_vec();
        }
        // RFC 8446 §4.2.3:
        //   struct {
        //       SignatureScheme supported_signature_algorithms<2..2^16-2>;
        //   } SignatureSchemeList;
        ext::SIGNATURE_ALGORITHMS => {
            hello.sig_algs = whole_vec16(data)
                .filter(|l| !l.is_empty())
                .and_then(|l| u16_list(l, cap::MAX_SIG_ALGS, t))
                .ok_or(anomaly::BAD_EXTENSION)?;
        }
        _ => {}
    }
    Ok(())
}

// RFC 6066 §3:
//   struct {
//       NameType name_type;
//       select (name_type) {
//           case host_name: HostName;
//       } name;
//   } ServerName;
//   enum { host_name(0), (255) } NameType;
//   opaque HostName<1..2^16-1>;
//   struct {
//       ServerName server_name_list<1..2^16-1>
//   } ServerNameList;
// "all future data structures associated with new NameTypes MUST begin with a
// 16-bit length field", so entries of other types are skipped by that length.
/// The first host_name of a ClientHello server_name extension.
fn parse_sni(data: &[u8], truncated: &mut bool) -> Result<Option<String>, &'static str> {
    let list = whole_vec16(data)
        .filter(|l| !l.is_empty())
        .ok_or(anomaly::BAD_SNI)?;
    let mut r = Reader::new(list);
    let mut host = None;
    while !r.is_empty() {
        let name_type = r.u8().ok_or(anomaly::BAD_SNI)?;
        let name = r.vec16().ok_or(anomaly::BAD_SNI)?;
        if name.is_empty() {
            return Err(anomaly::BAD_SNI);
        }
        if name_type == wire::SNI_HOST_NAME && host.is_none() {
            host = Some(lossy_capped(name, cap::MAX_SNI_LEN, truncated));
        }
    }
    Ok(host)
}

// RFC 7301 §3.1:
//   opaque ProtocolName<1..2^8-1>;
//   struct {
//       ProtocolName protocol_name_list<2..2^16-1>
//   } ProtocolNameList;
// An empty ProtocolName is tolerated: the JA4 spec defines its fingerprint.
/// ALPN names (capped) and the first and last raw byte of the first name.
type Alpn = (Vec<String>, Option<(u8, u8)>);
fn parse_alpn(data: &[u8], truncated: &mut bool) -> Result<Alpn, &'static str> {
    let list = whole_vec16(data)
        .filter(|l| !l.is_empty())
        .ok_or(anomaly::BAD_ALPN)?;
    let mut r = Reader::new(list);
    let mut names = Vec::new();
    let mut first = None;
    let mut index = 0usize;
    while !r.is_empty() {
        let name = r.vec8().ok_or(anomaly::BAD_ALPN)?;
        if index == 0 {
            first = name.first().copied().zip(name.last().copied());
        }
        if names.len() < cap::MAX_ALPN {
            names.push(String::from_utf8_lossy(name).into_owned());
        } else {
            *truncated = true;
        }
        index += 1;
    }
    Ok((names, first))
}

impl ClientHello {
    /// The highest version offered: the largest non-GREASE supported_versions
    /// entry, else `legacy_version`.
    pub fn max_version(&self) -> u16 {
        self.supported_versions
            .iter()
            .copied()
            .filter(|v| !is_grease(*v))
            .max()
            .unwrap_or(self.legacy_version)
    }

    /// The JA3 string: `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`,
    /// decimal values joined by `-`, GREASE removed (Salesforce JA3).
    pub fn ja3_string(&self) -> String {
        // Decimal numbers without `core::fmt` (a ClientHello has a hundred).
        fn join<T: itoa::Integer>(out: &mut String, values: impl Iterator<Item = T>) {
            let mut digits = itoa::Buffer::new();
            for (i, v) in values.enumerate() {
                if i > 0 {
                    out.push('-');
                }
                out.push_str(digits.format(v));
            }
        }
        let mut out = String::with_capacity(
            6 * (self.ciphers.len() + self.extensions.len() + self.groups.len())
                + 4 * self.ec_point_formats.len()
                + 10,
        );
        join(&mut out, std::iter::once(self.legacy_version));
        out.push(',');
        join(
            &mut out,
            self.ciphers.iter().copied().filter(|v| !is_grease(*v)),
        );
        out.push(',');
        join(
            &mut out,
            self.extensions.iter().copied().filter(|v| !is_grease(*v)),
        );
        out.push(',');
        join(
            &mut out,
            self.groups.iter().copied().filter(|v| !is_grease(*v)),
        );
        out.push(',');
        join(&mut out, self.ec_point_formats.iter().copied());
        out
    }

    /// JA3: the MD5 of [`Self::ja3_string`], lower-case hex.
    pub fn ja3(&self) -> String {
        hex(&Md5::digest(self.ja3_string().as_bytes()))
    }

    /// JA4 (FoxIO): `t13d1516h2_8daaf6152771_e5627efa2ab1`. `quic` selects the
    /// `q` prefix (ClientHello carried in QUIC CRYPTO frames) over `t`.
    pub fn ja4(&self, quic: bool) -> String {
        let proto = if quic { 'q' } else { 't' };
        let version = ja4_version(self.max_version());
        let sni = if self.extensions.contains(&ext::SERVER_NAME) {
            'd'
        } else {
            'i'
        };
        let mut ciphers: Vec<u16> = self
            .ciphers
            .iter()
            .copied()
            .filter(|c| !is_grease(*c))
            .collect();
        let ext_count = self.extensions.iter().filter(|e| !is_grease(**e)).count();
        let (a1, a2) = ja4_alpn(self.alpn_first_bytes);
        ciphers.sort_unstable();
        let mut exts: Vec<u16> = self
            .extensions
            .iter()
            .copied()
            .filter(|e| !is_grease(*e) && *e != ext::SERVER_NAME && *e != ext::ALPN)
            .collect();
        exts.sort_unstable();
        let sigs: Vec<u16> = self
            .sig_algs
            .iter()
            .copied()
            .filter(|s| !is_grease(*s))
            .collect();
        let ext_part = if exts.is_empty() {
            JA4_EMPTY.to_string()
        } else if sigs.is_empty() {
            ja4_hash(&hex_list(&exts))
        } else {
            let mut text = String::with_capacity((exts.len() + sigs.len()) * 5);
            push_hex_list(&mut text, &exts);
            text.push('_');
            push_hex_list(&mut text, &sigs);
            ja4_hash(&text)
        };
        let cipher_part = if ciphers.is_empty() {
            JA4_EMPTY.to_string()
        } else {
            ja4_hash(&hex_list(&ciphers))
        };
        format!(
            "{proto}{version}{sni}{:02}{:02}{a1}{a2}_{cipher_part}_{ext_part}",
            ciphers.len().min(JA4_MAX_COUNT),
            ext_count.min(JA4_MAX_COUNT),
        )
    }
}

/// JA4: a hashed part with no values.
const JA4_EMPTY: &str = "000000000000";
/// JA4: hex digits kept of a SHA-256.
const JA4_HASH_LEN: usize = 12;
/// JA4: counts are two digits, "99" at most.
const JA4_MAX_COUNT: usize = 99;

/// JA4 version code (FoxIO JA4.md, "TLS and DTLS Version").
fn ja4_version(v: u16) -> &'static str {
    match v {
        version::TLS13 => "13",
        version::TLS12 => "12",
        version::TLS11 => "11",
        version::TLS10 => "10",
        version::SSL3 => "s3",
        version::SSL2 => "s2",
        version::DTLS10 => "d1",
        version::DTLS12 => "d2",
        version::DTLS13 => "d3",
        _ => "00",
    }
}

/// JA4 ALPN code from the first and last byte of the first ALPN name: the two
/// bytes if both are ASCII alphanumeric, else the first and last hex digit of
/// the name's hex form; "00" without a name.
fn ja4_alpn(first_last: Option<(u8, u8)>) -> (char, char) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let Some((first, last)) = first_last else {
        return ('0', '0');
    };
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        (char::from(first), char::from(last))
    } else {
        let hi = HEX.get(usize::from(first >> 4)).copied().unwrap_or(b'0');
        let lo = HEX.get(usize::from(last & 0x0f)).copied().unwrap_or(b'0');
        (char::from(hi), char::from(lo))
    }
}

/// Comma-joined 4-digit lower-case hex.
fn hex_list(values: &[u16]) -> String {
    let mut out = String::with_capacity(values.len() * 5);
    push_hex_list(&mut out, values);
    out
}

/// Appends `values` as comma-joined 4-digit lower-case hex.
fn push_hex_list(out: &mut String, values: &[u16]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::record::push_hex(out, &v.to_be_bytes());
    }
}

/// The first 12 hex digits of the SHA-256 of `text`.
fn ja4_hash(text: &str) -> String {
    let mut h = String::with_capacity(JA4_HASH_LEN);
    crate::record::push_hex(&mut h, &Sha256::digest(text.as_bytes())[..JA4_HASH_LEN / 2]);
    h
}

// ---------------------------------------------------------------------------
// ServerHello
// ---------------------------------------------------------------------------

/// What a ServerHello (or HelloRetryRequest) says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerHello {
    /// `legacy_version` (0x0303 for TLS 1.3 servers too).
    pub legacy_version: u16,
    /// The chosen cipher suite.
    pub cipher: u16,
    /// The version from supported_versions (TLS 1.3), if present.
    pub selected_version: Option<u16>,
    /// Extension types in wire order (at most [`cap::MAX_EXTENSIONS`]).
    pub extensions: Vec<u16>,
    /// The `Random` is the RFC 8446 HelloRetryRequest value.
    pub hello_retry: bool,
    /// More than [`cap::MAX_EXTENSIONS`] extensions: the list was cut.
    pub truncated: bool,
}

impl ServerHello {
    /// The negotiated version: `selected_version` if present, else `legacy_version`.
    pub fn version(&self) -> u16 {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

// RFC 8446 §4.1.3 (RFC 5246 §7.4.1.3 has the same fields, extensions optional):
//   struct {
//       ProtocolVersion legacy_version = 0x0303;    /* TLS v1.2 */
//       Random random;
//       opaque legacy_session_id_echo<0..32>;
//       CipherSuite cipher_suite;
//       uint8 legacy_compression_method = 0;
//       Extension extensions<6..2^16-1>;
//   } ServerHello;
//
// RFC 8446 §4.2.1, in a ServerHello or HelloRetryRequest:
//   ProtocolVersion selected_version;
/// Parses the body of a handshake message of type 2.
pub fn parse_server_hello(body: &[u8]) -> Result<ServerHello, &'static str> {
    let mut r = Reader::new(body);
    let legacy_version = r.u16().ok_or(anomaly::BAD_SERVER_HELLO)?;
    let random = r
        .array::<{ field::RANDOM_LEN }>()
        .ok_or(anomaly::BAD_SERVER_HELLO)?;
    let sid_len = r.u8().ok_or(anomaly::BAD_SERVER_HELLO)?;
    if usize::from(sid_len) > field::MAX_SESSION_ID_LEN {
        return Err(anomaly::BAD_SESSION_ID);
    }
    r.take(usize::from(sid_len))
        .ok_or(anomaly::BAD_SERVER_HELLO)?;
    let cipher = r.u16().ok_or(anomaly::BAD_SERVER_HELLO)?;
    r.u8().ok_or(anomaly::BAD_SERVER_HELLO)?;
    let mut hello = ServerHello {
        legacy_version,
        cipher,
        hello_retry: *random == wire::HELLO_RETRY_RANDOM,
        ..ServerHello::default()
    };
    if r.is_empty() {
        return Ok(hello);
    }
    let block = r.vec16().ok_or(anomaly::BAD_EXTENSION)?;
    if !r.is_empty() {
        return Err(anomaly::BAD_SERVER_HELLO);
    }
    let mut er = Reader::new(block);
    while !er.is_empty() {
        let typ = er.u16().ok_or(anomaly::BAD_EXTENSION)?;
        let data = er.vec16().ok_or(anomaly::BAD_EXTENSION)?;
        if hello.extensions.len() < cap::MAX_EXTENSIONS {
            hello.extensions.push(typ);
        } else {
            hello.truncated = true;
        }
        if typ == ext::SUPPORTED_VERSIONS && hello.selected_version.is_none() {
            let v = data
                .first_chunk::<{ wire::U16_LEN }>()
                .filter(|_| data.len() == wire::U16_LEN)
                .ok_or(anomaly::BAD_EXTENSION)?;
            hello.selected_version = Some(u16::from_be_bytes(*v));
        }
    }
    Ok(hello)
}

// ---------------------------------------------------------------------------
// Certificate (TLS 1.2)
// ---------------------------------------------------------------------------

/// One certificate of a chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject as x509-parser renders it (`C=US, O=Let's Encrypt, CN=...`, in
    /// DER order), lossy UTF-8, at most [`cap::MAX_NAME_LEN`] bytes.
    pub subject: String,
    /// Issuer, same form.
    pub issuer: String,
    /// x509-parser accepted the DER. When false, `subject` and `issuer` are
    /// empty; the entry is kept so that index 0 is still the leaf.
    pub parsed: bool,
    /// `subject` or `issuer` was cut at [`cap::MAX_NAME_LEN`].
    pub truncated: bool,
}

// RFC 5246 §7.4.2:
//   opaque ASN.1Cert<1..2^24-1>;
//   struct {
//       ASN.1Cert certificate_list<0..2^24-1>;
//   } Certificate;
/// Parses the body of a TLS 1.2 (or older) Certificate message (type 11),
/// leaf first. The framing is checked in full before any DER is parsed.
pub fn parse_certificate(body: &[u8]) -> Result<Vec<CertInfo>, &'static str> {
    Ok(certificate_ders(body)?.into_iter().map(cert_info).collect())
}

/// The DER of each certificate of a Certificate message's body, leaf first,
/// with the framing checked in full (the errors of [`parse_certificate`]);
/// no DER is parsed.
pub fn certificate_ders(body: &[u8]) -> Result<Vec<&[u8]>, &'static str> {
    let mut r = Reader::new(body);
    let list = r.vec24().ok_or(anomaly::BAD_CERTIFICATE)?;
    if !r.is_empty() {
        return Err(anomaly::BAD_CERTIFICATE);
    }
    let mut ders: Vec<&[u8]> = Vec::new();
    let mut lr = Reader::new(list);
    while !lr.is_empty() {
        let der = lr.vec24().ok_or(anomaly::BAD_CERTIFICATE)?;
        if der.is_empty() {
            return Err(anomaly::BAD_CERTIFICATE);
        }
        if ders.len() == cap::MAX_CERTS {
            return Err(anomaly::TOO_MANY_CERTIFICATES);
        }
        ders.push(der);
    }
    Ok(ders)
}

/// Subject and issuer of one certificate's DER.
pub fn cert_info(der: &[u8]) -> CertInfo {
    match X509Certificate::from_der(der) {
        Ok((_, cert)) => {
            let mut truncated = false;
            let subject = render_name(cert.subject(), &mut truncated);
            let issuer = render_name(cert.issuer(), &mut truncated);
            CertInfo {
                subject,
                issuer,
                parsed: true,
                truncated,
            }
        }
        Err(_) => CertInfo::default(),
    }
}

/// Renders a name the way x509-parser's `Display` does (`ABBREV=value`,
/// RDNs joined by `", "`, multi-valued RDNs by `" + "`), except that
/// non-UTF-8 values are kept lossily instead of failing the whole name.
fn render_name(name: &X509Name<'_>, truncated: &mut bool) -> String {
    let registry = oid_registry();
    let mut out = String::new();
    for (i, rdn) in name.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        for (j, attr) in rdn.iter().enumerate() {
            if j > 0 {
                out.push_str(" + ");
            }
            match oid2abbrev(attr.attr_type(), registry) {
                Ok(abbrev) => out.push_str(abbrev),
                Err(_) => {
                    let _ = write!(out, "{:?}", attr.attr_type());
                }
            }
            out.push('=');
            out.push_str(&attribute_text(attr.attr_value()));
        }
        if out.len() > cap::MAX_NAME_LEN {
            break;
        }
    }
    if out.len() > cap::MAX_NAME_LEN {
        *truncated = true;
        let mut cut = cap::MAX_NAME_LEN;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

/// An attribute value as text: string types lossily, BMPString as UTF-16BE,
/// anything else as upper-case hex of its content (as x509-parser does).
fn attribute_text(value: &Any<'_>) -> String {
    match value.tag() {
        Tag::NumericString
        | Tag::VisibleString
        | Tag::PrintableString
        | Tag::GeneralString
        | Tag::ObjectDescriptor
        | Tag::GraphicString
        | Tag::T61String
        | Tag::VideotexString
        | Tag::Utf8String
        | Tag::Ia5String => String::from_utf8_lossy(value.data).into_owned(),
        Tag::BmpString => {
            let units: Vec<u16> = value
                .data
                .chunks(2)
                .map(|c| {
                    u16::from_be_bytes([
                        c.first().copied().unwrap_or(0),
                        c.get(1).copied().unwrap_or(0),
                    ])
                })
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => {
            let mut out = String::with_capacity(value.data.len() * 2);
            for b in value.data {
                let _ = write!(out, "{b:02X}");
            }
            out
        }
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `TLSv1.0`..`TLSv1.3`, `SSLv3`, else `0x` and four hex digits.
pub fn version_name(v: u16) -> Cow<'static, str> {
    match v {
        version::SSL3 => Cow::Borrowed("SSLv3"),
        version::TLS10 => Cow::Borrowed("TLSv1.0"),
        version::TLS11 => Cow::Borrowed("TLSv1.1"),
        version::TLS12 => Cow::Borrowed("TLSv1.2"),
        version::TLS13 => Cow::Borrowed("TLSv1.3"),
        n => Cow::Owned(format!("0x{n:04x}")),
    }
}

// RFC 8701 §2: GREASE values are 0x0A0A, 0x1A1A, ..., 0xFAFA: both bytes equal,
// low nibble 0xA.
/// Whether `v` is an RFC 8701 GREASE value (cipher, extension, group, version,
/// signature algorithm).
pub fn is_grease(v: u16) -> bool {
    let [hi, lo] = v.to_be_bytes();
    hi == lo && lo & 0x0f == 0x0a
}

/// The leaf certificate of the curl capture's chain (for other modules' tests).
#[cfg(test)]
pub(super) fn test_certificate_der() -> Vec<u8> {
    tests::curl_leaf_der()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SSLv2-compatible hello offering TLS 1.0: two TLS suites (0x0039,
    /// 0x002f) and one SSL 2.0 kind (07 00 c0, dropped), a 16-byte challenge.
    fn v2_hello(challenge: u8, specs: &[u8]) -> Vec<u8> {
        let mut body = vec![1, 3, 1, 0, specs.len() as u8, 0, 0, 0, challenge];
        body.extend_from_slice(specs);
        body.extend(std::iter::repeat_n(0xab, usize::from(challenge)));
        let mut out = vec![0x80, body.len() as u8];
        out.extend_from_slice(&body);
        out
    }

    const V2_SPECS: [u8; 9] = [0, 0, 0x39, 0, 0, 0x2f, 0x07, 0x00, 0xc0];

    #[test]
    fn sslv2_compatible_hello_keeps_its_tls_suites() {
        let rec = v2_hello(16, &V2_SPECS);
        assert_eq!(rec.len(), 2 + 9 + 9 + 16);
        let Parsed::Done { value, consumed } = parse_sslv2_client_hello(&rec) else {
            panic!("not parsed")
        };
        assert_eq!(consumed, rec.len());
        assert_eq!(
            (value.legacy_version, value.ciphers, value.sslv2),
            (0x0301, vec![0x0039, 0x002f], true)
        );
        assert!(value.extensions.is_empty() && value.sni.is_none());
        // Cut anywhere: incomplete, with the total once the header is there.
        assert_eq!(
            parse_sslv2_client_hello(&rec[..1]),
            Parsed::Incomplete { needed: None }
        );
        assert_eq!(
            parse_sslv2_client_hello(&rec[..20]),
            Parsed::Incomplete {
                needed: Some(rec.len())
            }
        );
    }

    #[test]
    fn sslv2_compatible_hello_rejects_what_rfc_5246_forbids() {
        let bad = |rec: &[u8]| {
            parse_sslv2_client_hello(rec) == Parsed::Invalid(anomaly::BAD_CLIENT_HELLO)
        };
        // Challenge shorter than 16 bytes; specs not a multiple of 3; no specs.
        assert!(bad(&v2_hello(8, &V2_SPECS)));
        assert!(bad(&v2_hello(16, &V2_SPECS[..8])));
        assert!(bad(&v2_hello(16, &[])));
        // Not a CLIENT-HELLO (type 4, SERVER-HELLO), or no 2-byte header bit.
        let mut rec = v2_hello(16, &V2_SPECS);
        rec[2] = 4;
        assert!(bad(&rec));
        let mut rec = v2_hello(16, &V2_SPECS);
        rec[0] = 0x00;
        assert!(bad(&rec));
        // A byte beyond the lengths inside the message.
        let mut rec = v2_hello(16, &V2_SPECS);
        rec.push(0);
        rec[1] += 1;
        assert!(bad(&rec));
    }

    // ------------------------------------------------------------------
    // Fixtures
    // ------------------------------------------------------------------

    /// Chrome ClientHello record (GREASE, TLS 1.3, SNI www.iit.cnr.it): frame 4 of
    /// /work/shared/corpus/ndpi/chrome.pcap, `tshark -r chrome.pcap -Y frame.number==4 -T fields -e tcp.payload`.
    /// (443-chrome.pcap holds no ClientHello: one continuation segment only.)
    const CHROME_CH: [u8; 517] = [
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xd7, 0x7a, 0xa0, 0xf2,
        0x52, 0xcf, 0xf8, 0xff, 0x81, 0xa9, 0xc8, 0x2e, 0xdc, 0x42, 0x62, 0x1f, 0x8c, 0x80, 0xd8,
        0x3b, 0x03, 0x22, 0x36, 0x1c, 0x96, 0xae, 0x2f, 0x2b, 0xda, 0x78, 0x49, 0xce, 0x20, 0x70,
        0x94, 0xdf, 0xde, 0x2f, 0xae, 0x96, 0x5e, 0x90, 0x33, 0x7a, 0x4b, 0x4c, 0x5c, 0x84, 0x0b,
        0x86, 0xca, 0xab, 0xac, 0xa5, 0xab, 0x87, 0xa6, 0xe2, 0x90, 0x44, 0x01, 0x45, 0xae, 0x76,
        0x29, 0x00, 0x20, 0x9a, 0x9a, 0x13, 0x03, 0x13, 0x01, 0x13, 0x02, 0xcc, 0xa9, 0xcc, 0xa8,
        0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x2c, 0xc0, 0x30, 0xc0, 0x13, 0xc0, 0x14, 0x00, 0x9c, 0x00,
        0x9d, 0x00, 0x2f, 0x00, 0x35, 0x01, 0x00, 0x01, 0x93, 0x4a, 0x4a, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x13, 0x00, 0x11, 0x00, 0x00, 0x0e, 0x77, 0x77, 0x77, 0x2e, 0x69, 0x69, 0x74, 0x2e,
        0x63, 0x6e, 0x72, 0x2e, 0x69, 0x74, 0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00,
        0x00, 0x0a, 0x00, 0x0a, 0x00, 0x08, 0x6a, 0x6a, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, 0x00,
        0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c,
        0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x05, 0x00,
        0x05, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x12, 0x00, 0x10, 0x04, 0x03, 0x08,
        0x04, 0x04, 0x01, 0x05, 0x03, 0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01, 0x00, 0x12,
        0x00, 0x00, 0x00, 0x33, 0x00, 0x2b, 0x00, 0x29, 0x6a, 0x6a, 0x00, 0x01, 0x00, 0x00, 0x1d,
        0x00, 0x20, 0x3a, 0xf1, 0x8d, 0x95, 0xcb, 0x86, 0x20, 0x5f, 0x04, 0xc0, 0xa3, 0xe2, 0xb8,
        0xc6, 0x8b, 0x90, 0x26, 0xc6, 0xa9, 0x0e, 0xf6, 0x30, 0xfe, 0x20, 0xa6, 0x8d, 0x31, 0xea,
        0x25, 0x25, 0xb6, 0x48, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x2b, 0x00, 0x0b, 0x0a,
        0x6a, 0x6a, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01, 0x00, 0x1b, 0x00, 0x03, 0x02,
        0x00, 0x02, 0x44, 0x69, 0x00, 0x05, 0x00, 0x03, 0x02, 0x68, 0x32, 0x6a, 0x6a, 0x00, 0x01,
        0x00, 0x00, 0x15, 0x00, 0xc5, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    /// Firefox ClientHello record (SNI www.ntop.org): frame 4 of ndpi/443-firefox.pcap, tcp.payload.
    const FIREFOX_CH: [u8; 517] = [
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x94, 0x6b, 0xf1, 0x25,
        0xd5, 0x20, 0xb8, 0x48, 0xe5, 0x7d, 0x09, 0xc3, 0x75, 0xaf, 0xa7, 0x29, 0x5b, 0xeb, 0x22,
        0x0c, 0xd1, 0x47, 0x0e, 0x0e, 0x81, 0xd0, 0x9c, 0x77, 0xa6, 0xeb, 0xb6, 0x1c, 0x20, 0xee,
        0x59, 0x4a, 0x6f, 0x44, 0x64, 0x1c, 0x64, 0x49, 0xc6, 0xcf, 0x92, 0x07, 0xb6, 0x5d, 0x86,
        0xe1, 0xcc, 0xee, 0xfa, 0xcb, 0x12, 0x20, 0x2e, 0xaf, 0x7f, 0x1b, 0x92, 0x38, 0x23, 0xd9,
        0xf5, 0x00, 0x24, 0x13, 0x01, 0x13, 0x03, 0x13, 0x02, 0xc0, 0x2b, 0xc0, 0x2f, 0xcc, 0xa9,
        0xcc, 0xa8, 0xc0, 0x2c, 0xc0, 0x30, 0xc0, 0x0a, 0xc0, 0x09, 0xc0, 0x13, 0xc0, 0x14, 0x00,
        0x33, 0x00, 0x39, 0x00, 0x2f, 0x00, 0x35, 0x00, 0x0a, 0x01, 0x00, 0x01, 0x8f, 0x00, 0x00,
        0x00, 0x11, 0x00, 0x0f, 0x00, 0x00, 0x0c, 0x77, 0x77, 0x77, 0x2e, 0x6e, 0x74, 0x6f, 0x70,
        0x2e, 0x6f, 0x72, 0x67, 0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0a,
        0x00, 0x0e, 0x00, 0x0c, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, 0x00, 0x19, 0x01, 0x00, 0x01,
        0x01, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0e,
        0x00, 0x0c, 0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00,
        0x05, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00, 0x6b, 0x00, 0x69, 0x00,
        0x1d, 0x00, 0x20, 0x11, 0xed, 0xef, 0xe3, 0xe6, 0x99, 0xce, 0x3a, 0xaf, 0x8c, 0xa8, 0x9f,
        0xc0, 0x9b, 0xe7, 0x53, 0x20, 0x14, 0xef, 0x95, 0x3d, 0xf4, 0x07, 0x63, 0x06, 0x0d, 0x94,
        0x0a, 0x58, 0x2e, 0xa0, 0x4b, 0x00, 0x17, 0x00, 0x41, 0x04, 0xd3, 0x8e, 0x56, 0x73, 0x37,
        0xfe, 0x58, 0xd6, 0xd5, 0x1c, 0x55, 0x02, 0x02, 0xa5, 0x90, 0x2e, 0x49, 0x78, 0xe5, 0x39,
        0x72, 0x92, 0xd8, 0x62, 0x23, 0x05, 0x69, 0x95, 0xff, 0x63, 0xf2, 0x25, 0xb0, 0x3f, 0x12,
        0x04, 0x61, 0x2f, 0xeb, 0xc6, 0x5c, 0xee, 0x1e, 0x0e, 0xc5, 0x82, 0x38, 0x70, 0x89, 0x3f,
        0xfe, 0x75, 0x6a, 0xc9, 0xcb, 0xa2, 0x59, 0xbf, 0xbf, 0x14, 0x61, 0xb4, 0xed, 0x73, 0x00,
        0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01, 0x00, 0x0d, 0x00,
        0x18, 0x00, 0x16, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06,
        0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x02, 0x03, 0x02, 0x01, 0x00, 0x2d, 0x00, 0x02, 0x01,
        0x01, 0x00, 0x1c, 0x00, 0x02, 0x40, 0x01, 0x00, 0x15, 0x00, 0x92, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    /// curl (OpenSSL, TLS 1.2) ClientHello record (SNI www.ntop.org): frame 4 of ndpi/443-curl.pcap, tcp.payload.
    const CURL_CH: [u8; 517] = [
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x3e, 0x38, 0x41, 0xed,
        0xcc, 0x20, 0xf6, 0xd0, 0xe5, 0xf7, 0x16, 0x7a, 0xb7, 0xee, 0x91, 0xa8, 0x00, 0xc8, 0xef,
        0x70, 0xc2, 0xd6, 0x24, 0xc7, 0xc7, 0x94, 0x3a, 0x24, 0x02, 0x6d, 0x9f, 0xbc, 0x00, 0x00,
        0x86, 0xcc, 0x14, 0xcc, 0x13, 0xcc, 0x15, 0xc0, 0x30, 0xc0, 0x2c, 0xc0, 0x28, 0xc0, 0x24,
        0xc0, 0x14, 0xc0, 0x0a, 0x00, 0xa3, 0x00, 0x9f, 0x00, 0x6b, 0x00, 0x6a, 0x00, 0x39, 0x00,
        0x38, 0xff, 0x85, 0x00, 0xc4, 0x00, 0xc3, 0x00, 0x88, 0x00, 0x87, 0x00, 0x81, 0xc0, 0x32,
        0xc0, 0x2e, 0xc0, 0x2a, 0xc0, 0x26, 0xc0, 0x0f, 0xc0, 0x05, 0x00, 0x9d, 0x00, 0x3d, 0x00,
        0x35, 0x00, 0xc0, 0x00, 0x84, 0xc0, 0x2f, 0xc0, 0x2b, 0xc0, 0x27, 0xc0, 0x23, 0xc0, 0x13,
        0xc0, 0x09, 0x00, 0xa2, 0x00, 0x9e, 0x00, 0x67, 0x00, 0x40, 0x00, 0x33, 0x00, 0x32, 0x00,
        0xbe, 0x00, 0xbd, 0x00, 0x45, 0x00, 0x44, 0xc0, 0x31, 0xc0, 0x2d, 0xc0, 0x29, 0xc0, 0x25,
        0xc0, 0x0e, 0xc0, 0x04, 0x00, 0x9c, 0x00, 0x3c, 0x00, 0x2f, 0x00, 0xba, 0x00, 0x41, 0xc0,
        0x12, 0xc0, 0x08, 0x00, 0x16, 0x00, 0x13, 0xc0, 0x0d, 0xc0, 0x03, 0x00, 0x0a, 0x00, 0xff,
        0x01, 0x00, 0x01, 0x4d, 0x00, 0x00, 0x00, 0x11, 0x00, 0x0f, 0x00, 0x00, 0x0c, 0x77, 0x77,
        0x77, 0x2e, 0x6e, 0x74, 0x6f, 0x70, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x0b, 0x00, 0x04, 0x03,
        0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x3a, 0x00, 0x38, 0x00, 0x0e, 0x00, 0x0d, 0x00, 0x19,
        0x00, 0x1c, 0x00, 0x0b, 0x00, 0x0c, 0x00, 0x1b, 0x00, 0x18, 0x00, 0x09, 0x00, 0x0a, 0x00,
        0x1a, 0x00, 0x16, 0x00, 0x17, 0x00, 0x08, 0x00, 0x06, 0x00, 0x07, 0x00, 0x14, 0x00, 0x15,
        0x00, 0x04, 0x00, 0x05, 0x00, 0x12, 0x00, 0x13, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00,
        0x0f, 0x00, 0x10, 0x00, 0x11, 0x00, 0x0d, 0x00, 0x26, 0x00, 0x24, 0x06, 0x01, 0x06, 0x02,
        0x06, 0x03, 0xef, 0xef, 0x05, 0x01, 0x05, 0x02, 0x05, 0x03, 0x04, 0x01, 0x04, 0x02, 0x04,
        0x03, 0xee, 0xee, 0xed, 0xed, 0x03, 0x01, 0x03, 0x02, 0x03, 0x03, 0x02, 0x01, 0x02, 0x02,
        0x02, 0x03, 0x33, 0x74, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32,
        0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x15, 0x00, 0xae, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    /// TLS 1.3 ServerHello record (supported_versions 0x0304, cipher 0x1302): the first record of
    /// frame 6 of ndpi/chrome.pcap (tcp.payload, cut after the record).
    const CHROME_SH: [u8; 127] = [
        0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03, 0xbd, 0xe1, 0xe9, 0xfe,
        0x06, 0x13, 0x2c, 0x1d, 0xa4, 0x44, 0x0c, 0x7a, 0x17, 0x61, 0xfb, 0xf2, 0x45, 0x67, 0x6f,
        0x09, 0xff, 0x1e, 0xfc, 0x08, 0x2a, 0xbb, 0x5f, 0x14, 0x71, 0x15, 0xe6, 0x50, 0x20, 0x70,
        0x94, 0xdf, 0xde, 0x2f, 0xae, 0x96, 0x5e, 0x90, 0x33, 0x7a, 0x4b, 0x4c, 0x5c, 0x84, 0x0b,
        0x86, 0xca, 0xab, 0xac, 0xa5, 0xab, 0x87, 0xa6, 0xe2, 0x90, 0x44, 0x01, 0x45, 0xae, 0x76,
        0x29, 0x13, 0x02, 0x00, 0x00, 0x2e, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00,
        0x24, 0x00, 0x1d, 0x00, 0x20, 0x23, 0x21, 0x31, 0xaa, 0x29, 0x44, 0x2d, 0xc2, 0xc1, 0x35,
        0xef, 0x23, 0xf8, 0x56, 0xe6, 0x99, 0x0d, 0x45, 0x5f, 0x6d, 0x39, 0xb9, 0xa9, 0x91, 0xe0,
        0x71, 0x0e, 0x2d, 0xaf, 0x6a, 0x34, 0x21,
    ];
    /// TLS 1.2 ServerHello record then Certificate record (two certificates, Let's Encrypt):
    /// the first 2664 server bytes of ndpi/443-curl.pcap,
    /// `tshark -r 443-curl.pcap -q -z follow,tcp,raw,0` (server lines), records 1 and 2.
    const CURL_SERVER: [u8; 2664] = [
        0x16, 0x03, 0x03, 0x00, 0x66, 0x02, 0x00, 0x00, 0x62, 0x03, 0x03, 0x8f, 0x72, 0xdd, 0x2e,
        0x35, 0xdc, 0xf5, 0xdd, 0xf3, 0x8a, 0xe7, 0x5d, 0xb8, 0x55, 0xd1, 0x61, 0x0b, 0x4d, 0xb3,
        0x29, 0x37, 0xcb, 0x20, 0xcd, 0x31, 0x87, 0xee, 0xc1, 0x20, 0x57, 0xfb, 0x25, 0x20, 0xea,
        0x8f, 0xcd, 0x1d, 0xa8, 0xf8, 0x63, 0x5b, 0xd5, 0xdf, 0x2a, 0x45, 0xb6, 0x03, 0x76, 0x4d,
        0xd7, 0xcf, 0xb5, 0xf8, 0x26, 0x66, 0xff, 0x77, 0xfd, 0x47, 0x63, 0x5b, 0xf9, 0xa8, 0xf0,
        0xcb, 0xc0, 0x2f, 0x00, 0x00, 0x1a, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02,
        0x68, 0x32, 0x16, 0x03, 0x03, 0x09, 0xf8, 0x0b, 0x00, 0x09, 0xf4, 0x00, 0x09, 0xf1, 0x00,
        0x05, 0x55, 0x30, 0x82, 0x05, 0x51, 0x30, 0x82, 0x04, 0x39, 0xa0, 0x03, 0x02, 0x01, 0x02,
        0x02, 0x12, 0x03, 0xc5, 0x6f, 0x66, 0x36, 0xed, 0xa7, 0x2f, 0x7f, 0x4c, 0x56, 0x65, 0xfa,
        0x05, 0x5d, 0x93, 0x32, 0x55, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
        0x01, 0x01, 0x0b, 0x05, 0x00, 0x30, 0x4a, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04,
        0x06, 0x13, 0x02, 0x55, 0x53, 0x31, 0x16, 0x30, 0x14, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13,
        0x0d, 0x4c, 0x65, 0x74, 0x27, 0x73, 0x20, 0x45, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74, 0x31,
        0x23, 0x30, 0x21, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x1a, 0x4c, 0x65, 0x74, 0x27, 0x73,
        0x20, 0x45, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74, 0x20, 0x41, 0x75, 0x74, 0x68, 0x6f, 0x72,
        0x69, 0x74, 0x79, 0x20, 0x58, 0x33, 0x30, 0x1e, 0x17, 0x0d, 0x31, 0x39, 0x31, 0x32, 0x31,
        0x37, 0x30, 0x31, 0x31, 0x37, 0x32, 0x38, 0x5a, 0x17, 0x0d, 0x32, 0x30, 0x30, 0x33, 0x31,
        0x36, 0x30, 0x31, 0x31, 0x37, 0x32, 0x38, 0x5a, 0x30, 0x17, 0x31, 0x15, 0x30, 0x13, 0x06,
        0x03, 0x55, 0x04, 0x03, 0x13, 0x0c, 0x77, 0x77, 0x77, 0x2e, 0x6e, 0x74, 0x6f, 0x70, 0x2e,
        0x6f, 0x72, 0x67, 0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
        0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00, 0x30, 0x82, 0x01,
        0x0a, 0x02, 0x82, 0x01, 0x01, 0x00, 0x9d, 0x21, 0xc3, 0x41, 0xac, 0xa0, 0xd6, 0x16, 0x62,
        0xac, 0x85, 0xf8, 0x2e, 0xaa, 0x37, 0x58, 0x6e, 0x4a, 0xa4, 0xc1, 0xe7, 0x88, 0x58, 0xb7,
        0x32, 0xbc, 0x3b, 0xd0, 0x77, 0x19, 0xaa, 0x2a, 0xd9, 0x5b, 0x93, 0x54, 0xb3, 0xd9, 0xae,
        0xc9, 0xe4, 0x76, 0x75, 0xa3, 0xb2, 0x26, 0x3a, 0xec, 0xad, 0xcc, 0x5e, 0xe5, 0x77, 0x87,
        0x11, 0x77, 0xf9, 0xae, 0xee, 0xbe, 0x95, 0x88, 0xd7, 0x2a, 0x22, 0x54, 0xa2, 0x91, 0xb0,
        0x2c, 0x65, 0xa2, 0xd4, 0xcb, 0xa2, 0x03, 0xd8, 0x31, 0x59, 0x66, 0x4b, 0x59, 0x57, 0x96,
        0x12, 0xdb, 0x71, 0x12, 0x6c, 0x13, 0x4e, 0xa5, 0xa5, 0x4a, 0x14, 0x7c, 0x8a, 0x9d, 0xf6,
        0x78, 0x5d, 0x4b, 0x5a, 0x9c, 0x3e, 0x17, 0x4f, 0xdc, 0xed, 0x03, 0x42, 0xd9, 0xb2, 0xe5,
        0x99, 0xc4, 0xa4, 0x2b, 0xda, 0x14, 0x4b, 0xc9, 0x56, 0xc5, 0x98, 0xb3, 0x5e, 0x1c, 0x20,
        0x31, 0x17, 0x83, 0x6a, 0xa3, 0xd1, 0x60, 0x31, 0x2f, 0x85, 0x96, 0x2d, 0x75, 0xf5, 0x9c,
        0x7e, 0x4a, 0x52, 0x0e, 0xd4, 0x53, 0xa0, 0x38, 0x04, 0xf3, 0x6b, 0x8a, 0xac, 0x3b, 0xab,
        0xe1, 0x0d, 0x6e, 0xdf, 0xcb, 0x81, 0x26, 0xca, 0x7f, 0x66, 0xe9, 0x38, 0xdb, 0xb1, 0xbe,
        0xd9, 0xb3, 0x8b, 0x37, 0x4a, 0x48, 0xb0, 0x40, 0x97, 0x92, 0x58, 0x2a, 0x41, 0x66, 0x61,
        0x56, 0xa1, 0x2a, 0xbe, 0x80, 0xd5, 0x1c, 0x34, 0x48, 0xc2, 0x5c, 0xf2, 0x34, 0xac, 0x1b,
        0xb7, 0xb4, 0x7e, 0x19, 0xf7, 0xe0, 0x5f, 0x9b, 0x29, 0xe6, 0x05, 0x24, 0x6f, 0x23, 0x8f,
        0x73, 0xef, 0x86, 0x47, 0xe7, 0xce, 0x54, 0xbe, 0xff, 0x32, 0xec, 0xcd, 0x5a, 0x9d, 0x94,
        0xaf, 0x6c, 0xd3, 0x84, 0xde, 0x14, 0x17, 0xa7, 0xa7, 0x31, 0x47, 0x45, 0x0a, 0xb7, 0x7f,
        0x68, 0x21, 0x5a, 0xf0, 0x30, 0xc6, 0xc1, 0x02, 0x03, 0x01, 0x00, 0x01, 0xa3, 0x82, 0x02,
        0x62, 0x30, 0x82, 0x02, 0x5e, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff,
        0x04, 0x04, 0x03, 0x02, 0x05, 0xa0, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x25, 0x04, 0x16,
        0x30, 0x14, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01, 0x06, 0x08, 0x2b,
        0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02, 0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01,
        0x01, 0xff, 0x04, 0x02, 0x30, 0x00, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16,
        0x04, 0x14, 0x66, 0x77, 0x39, 0x97, 0x66, 0x27, 0x25, 0xaa, 0xbe, 0xe1, 0x87, 0xa7, 0xbb,
        0x2b, 0x96, 0xb8, 0x87, 0xf0, 0x91, 0xd7, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04,
        0x18, 0x30, 0x16, 0x80, 0x14, 0xa8, 0x4a, 0x6a, 0x63, 0x04, 0x7d, 0xdd, 0xba, 0xe6, 0xd1,
        0x39, 0xb7, 0xa6, 0x45, 0x65, 0xef, 0xf3, 0xa8, 0xec, 0xa1, 0x30, 0x6f, 0x06, 0x08, 0x2b,
        0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01, 0x04, 0x63, 0x30, 0x61, 0x30, 0x2e, 0x06, 0x08,
        0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x86, 0x22, 0x68, 0x74, 0x74, 0x70, 0x3a,
        0x2f, 0x2f, 0x6f, 0x63, 0x73, 0x70, 0x2e, 0x69, 0x6e, 0x74, 0x2d, 0x78, 0x33, 0x2e, 0x6c,
        0x65, 0x74, 0x73, 0x65, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74, 0x2e, 0x6f, 0x72, 0x67, 0x30,
        0x2f, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02, 0x86, 0x23, 0x68, 0x74,
        0x74, 0x70, 0x3a, 0x2f, 0x2f, 0x63, 0x65, 0x72, 0x74, 0x2e, 0x69, 0x6e, 0x74, 0x2d, 0x78,
        0x33, 0x2e, 0x6c, 0x65, 0x74, 0x73, 0x65, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74, 0x2e, 0x6f,
        0x72, 0x67, 0x2f, 0x30, 0x17, 0x06, 0x03, 0x55, 0x1d, 0x11, 0x04, 0x10, 0x30, 0x0e, 0x82,
        0x0c, 0x77, 0x77, 0x77, 0x2e, 0x6e, 0x74, 0x6f, 0x70, 0x2e, 0x6f, 0x72, 0x67, 0x30, 0x4c,
        0x06, 0x03, 0x55, 0x1d, 0x20, 0x04, 0x45, 0x30, 0x43, 0x30, 0x08, 0x06, 0x06, 0x67, 0x81,
        0x0c, 0x01, 0x02, 0x01, 0x30, 0x37, 0x06, 0x0b, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdf,
        0x13, 0x01, 0x01, 0x01, 0x30, 0x28, 0x30, 0x26, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05,
        0x07, 0x02, 0x01, 0x16, 0x1a, 0x68, 0x74, 0x74, 0x70, 0x3a, 0x2f, 0x2f, 0x63, 0x70, 0x73,
        0x2e, 0x6c, 0x65, 0x74, 0x73, 0x65, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74, 0x2e, 0x6f, 0x72,
        0x67, 0x30, 0x82, 0x01, 0x05, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02,
        0x04, 0x02, 0x04, 0x81, 0xf6, 0x04, 0x81, 0xf3, 0x00, 0xf1, 0x00, 0x77, 0x00, 0x5e, 0xa7,
        0x73, 0xf9, 0xdf, 0x56, 0xc0, 0xe7, 0xb5, 0x36, 0x48, 0x7d, 0xd0, 0x49, 0xe0, 0x32, 0x7a,
        0x91, 0x9a, 0x0c, 0x84, 0xa1, 0x12, 0x12, 0x84, 0x18, 0x75, 0x96, 0x81, 0x71, 0x45, 0x58,
        0x00, 0x00, 0x01, 0x6f, 0x11, 0xa5, 0x60, 0x10, 0x00, 0x00, 0x04, 0x03, 0x00, 0x48, 0x30,
        0x46, 0x02, 0x21, 0x00, 0x84, 0x5c, 0x7a, 0x86, 0xf8, 0x86, 0x70, 0x1b, 0x33, 0xda, 0xc9,
        0x6e, 0x71, 0x29, 0x63, 0xe0, 0x39, 0xd0, 0xf1, 0xda, 0x57, 0xad, 0x6b, 0x98, 0xff, 0xc5,
        0x3e, 0x88, 0x30, 0x1c, 0x99, 0x67, 0x02, 0x21, 0x00, 0x88, 0xad, 0xec, 0xe4, 0xd8, 0xbe,
        0xb4, 0x97, 0x22, 0x7f, 0x62, 0xab, 0xa3, 0x3c, 0xc2, 0x03, 0xe1, 0xf8, 0x67, 0x9c, 0x2c,
        0x18, 0xef, 0xeb, 0x3f, 0xb9, 0x96, 0x97, 0xff, 0x2f, 0x3d, 0x30, 0x00, 0x76, 0x00, 0x07,
        0xb7, 0x5c, 0x1b, 0xe5, 0x7d, 0x68, 0xff, 0xf1, 0xb0, 0xc6, 0x1d, 0x23, 0x15, 0xc7, 0xba,
        0xe6, 0x57, 0x7c, 0x57, 0x94, 0xb7, 0x6a, 0xee, 0xbc, 0x61, 0x3a, 0x1a, 0x69, 0xd3, 0xa2,
        0x1c, 0x00, 0x00, 0x01, 0x6f, 0x11, 0xa5, 0x60, 0x2d, 0x00, 0x00, 0x04, 0x03, 0x00, 0x47,
        0x30, 0x45, 0x02, 0x20, 0x30, 0x28, 0x5d, 0x40, 0x1a, 0x72, 0x88, 0xa1, 0xa1, 0x12, 0xd9,
        0x5f, 0x8c, 0x6a, 0x67, 0x00, 0xaf, 0x4e, 0x0d, 0xed, 0x3e, 0x01, 0x69, 0x09, 0x7d, 0x92,
        0xed, 0x98, 0xe3, 0x15, 0x5e, 0xd1, 0x02, 0x21, 0x00, 0xa8, 0x93, 0x7e, 0x12, 0x7d, 0xd3,
        0xfb, 0xfc, 0x9d, 0xad, 0x31, 0x2b, 0xe5, 0x33, 0x45, 0x21, 0xfb, 0x54, 0x23, 0xee, 0x2f,
        0xbd, 0x59, 0x5b, 0xc1, 0x98, 0x89, 0x6a, 0xc4, 0xd8, 0x54, 0x6e, 0x30, 0x0d, 0x06, 0x09,
        0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00, 0x03, 0x82, 0x01, 0x01,
        0x00, 0x17, 0xfa, 0xeb, 0x42, 0x0e, 0xd7, 0xe9, 0x68, 0x70, 0xa1, 0x13, 0x8a, 0xe3, 0xe4,
        0x06, 0xe7, 0x6b, 0x33, 0x61, 0xa0, 0xd8, 0x23, 0x13, 0xc1, 0xac, 0x26, 0x67, 0xc6, 0x16,
        0x63, 0x41, 0xfb, 0x66, 0xe7, 0x26, 0x79, 0x92, 0x8b, 0x8c, 0x12, 0x2b, 0xd7, 0x4a, 0xe1,
        0x73, 0xfc, 0x57, 0xcf, 0x22, 0x8d, 0x3e, 0x59, 0x25, 0xba, 0x35, 0x52, 0xe1, 0x03, 0x73,
        0x6f, 0xae, 0x2c, 0xca, 0xa4, 0xa1, 0x74, 0xef, 0x4d, 0x28, 0x96, 0x13, 0xb3, 0x7c, 0x1a,
        0x15, 0x94, 0xcb, 0xef, 0x27, 0x4b, 0xbd, 0x6d, 0x03, 0xe1, 0xf7, 0x33, 0x23, 0x73, 0xbe,
        0xbc, 0xf0, 0xd9, 0x87, 0x06, 0x69, 0x2e, 0x69, 0xfe, 0x9e, 0xa4, 0xbe, 0x79, 0x63, 0xa8,
        0x21, 0xf3, 0x8b, 0x4f, 0xbc, 0x9b, 0x42, 0xa9, 0x81, 0x9a, 0xa5, 0xe0, 0x20, 0x1a, 0x32,
        0x06, 0x50, 0x92, 0x1e, 0x19, 0x5e, 0xa5, 0xc6, 0x75, 0x64, 0x09, 0x61, 0x64, 0x3b, 0x8e,
        0x6b, 0x15, 0x63, 0x1e, 0xc2, 0xfb, 0x4d, 0x35, 0x49, 0xa9, 0x73, 0xd7, 0xe8, 0xcc, 0xe0,
        0xec, 0xb4, 0x92, 0xe0, 0x4e, 0x79, 0x28, 0x8c, 0xfd, 0x8d, 0xbd, 0x45, 0x04, 0xfa, 0xb2,
        0x49, 0x26, 0xab, 0x6f, 0xa1, 0x76, 0xd1, 0x4e, 0x1a, 0xa0, 0x4f, 0x2f, 0x62, 0xef, 0x83,
        0xb0, 0x2d, 0x7b, 0x65, 0x61, 0xcb, 0xd9, 0x26, 0x64, 0xce, 0x64, 0x65, 0x68, 0x5c, 0x15,
        0x0b, 0x6a, 0x6b, 0xcd, 0x05, 0xa4, 0x8b, 0xc1, 0x9f, 0x19, 0xbd, 0x3e, 0xdf, 0x00, 0x6f,
        0xd8, 0xa4, 0x55, 0x8d, 0xba, 0xba, 0x96, 0x45, 0x72, 0x39, 0x39, 0x19, 0x5c, 0xfa, 0xf6,
        0xa7, 0x07, 0xc9, 0x93, 0xec, 0xb5, 0xb1, 0x3c, 0xc6, 0xc5, 0x95, 0xcb, 0xef, 0x1c, 0xd8,
        0x79, 0x10, 0x4f, 0xb0, 0x8f, 0x8a, 0xd4, 0x00, 0x45, 0xb9, 0x27, 0xdd, 0xe2, 0x4f, 0xbc,
        0x94, 0xfe, 0x00, 0x04, 0x96, 0x30, 0x82, 0x04, 0x92, 0x30, 0x82, 0x03, 0x7a, 0xa0, 0x03,
        0x02, 0x01, 0x02, 0x02, 0x10, 0x0a, 0x01, 0x41, 0x42, 0x00, 0x00, 0x01, 0x53, 0x85, 0x73,
        0x6a, 0x0b, 0x85, 0xec, 0xa7, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
        0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00, 0x30, 0x3f, 0x31, 0x24, 0x30, 0x22, 0x06, 0x03, 0x55,
        0x04, 0x0a, 0x13, 0x1b, 0x44, 0x69, 0x67, 0x69, 0x74, 0x61, 0x6c, 0x20, 0x53, 0x69, 0x67,
        0x6e, 0x61, 0x74, 0x75, 0x72, 0x65, 0x20, 0x54, 0x72, 0x75, 0x73, 0x74, 0x20, 0x43, 0x6f,
        0x2e, 0x31, 0x17, 0x30, 0x15, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x0e, 0x44, 0x53, 0x54,
        0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x43, 0x41, 0x20, 0x58, 0x33, 0x30, 0x1e, 0x17, 0x0d,
        0x31, 0x36, 0x30, 0x33, 0x31, 0x37, 0x31, 0x36, 0x34, 0x30, 0x34, 0x36, 0x5a, 0x17, 0x0d,
        0x32, 0x31, 0x30, 0x33, 0x31, 0x37, 0x31, 0x36, 0x34, 0x30, 0x34, 0x36, 0x5a, 0x30, 0x4a,
        0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x31, 0x16,
        0x30, 0x14, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13, 0x0d, 0x4c, 0x65, 0x74, 0x27, 0x73, 0x20,
        0x45, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74, 0x31, 0x23, 0x30, 0x21, 0x06, 0x03, 0x55, 0x04,
        0x03, 0x13, 0x1a, 0x4c, 0x65, 0x74, 0x27, 0x73, 0x20, 0x45, 0x6e, 0x63, 0x72, 0x79, 0x70,
        0x74, 0x20, 0x41, 0x75, 0x74, 0x68, 0x6f, 0x72, 0x69, 0x74, 0x79, 0x20, 0x58, 0x33, 0x30,
        0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
        0x01, 0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00, 0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01,
        0x01, 0x00, 0x9c, 0xd3, 0x0c, 0xf0, 0x5a, 0xe5, 0x2e, 0x47, 0xb7, 0x72, 0x5d, 0x37, 0x83,
        0xb3, 0x68, 0x63, 0x30, 0xea, 0xd7, 0x35, 0x26, 0x19, 0x25, 0xe1, 0xbd, 0xbe, 0x35, 0xf1,
        0x70, 0x92, 0x2f, 0xb7, 0xb8, 0x4b, 0x41, 0x05, 0xab, 0xa9, 0x9e, 0x35, 0x08, 0x58, 0xec,
        0xb1, 0x2a, 0xc4, 0x68, 0x87, 0x0b, 0xa3, 0xe3, 0x75, 0xe4, 0xe6, 0xf3, 0xa7, 0x62, 0x71,
        0xba, 0x79, 0x81, 0x60, 0x1f, 0xd7, 0x91, 0x9a, 0x9f, 0xf3, 0xd0, 0x78, 0x67, 0x71, 0xc8,
        0x69, 0x0e, 0x95, 0x91, 0xcf, 0xfe, 0xe6, 0x99, 0xe9, 0x60, 0x3c, 0x48, 0xcc, 0x7e, 0xca,
        0x4d, 0x77, 0x12, 0x24, 0x9d, 0x47, 0x1b, 0x5a, 0xeb, 0xb9, 0xec, 0x1e, 0x37, 0x00, 0x1c,
        0x9c, 0xac, 0x7b, 0xa7, 0x05, 0xea, 0xce, 0x4a, 0xeb, 0xbd, 0x41, 0xe5, 0x36, 0x98, 0xb9,
        0xcb, 0xfd, 0x6d, 0x3c, 0x96, 0x68, 0xdf, 0x23, 0x2a, 0x42, 0x90, 0x0c, 0x86, 0x74, 0x67,
        0xc8, 0x7f, 0xa5, 0x9a, 0xb8, 0x52, 0x61, 0x14, 0x13, 0x3f, 0x65, 0xe9, 0x82, 0x87, 0xcb,
        0xdb, 0xfa, 0x0e, 0x56, 0xf6, 0x86, 0x89, 0xf3, 0x85, 0x3f, 0x97, 0x86, 0xaf, 0xb0, 0xdc,
        0x1a, 0xef, 0x6b, 0x0d, 0x95, 0x16, 0x7d, 0xc4, 0x2b, 0xa0, 0x65, 0xb2, 0x99, 0x04, 0x36,
        0x75, 0x80, 0x6b, 0xac, 0x4a, 0xf3, 0x1b, 0x90, 0x49, 0x78, 0x2f, 0xa2, 0x96, 0x4f, 0x2a,
        0x20, 0x25, 0x29, 0x04, 0xc6, 0x74, 0xc0, 0xd0, 0x31, 0xcd, 0x8f, 0x31, 0x38, 0x95, 0x16,
        0xba, 0xa8, 0x33, 0xb8, 0x43, 0xf1, 0xb1, 0x1f, 0xc3, 0x30, 0x7f, 0xa2, 0x79, 0x31, 0x13,
        0x3d, 0x2d, 0x36, 0xf8, 0xe3, 0xfc, 0xf2, 0x33, 0x6a, 0xb9, 0x39, 0x31, 0xc5, 0xaf, 0xc4,
        0x8d, 0x0d, 0x1d, 0x64, 0x16, 0x33, 0xaa, 0xfa, 0x84, 0x29, 0xb6, 0xd4, 0x0b, 0xc0, 0xd8,
        0x7d, 0xc3, 0x93, 0x02, 0x03, 0x01, 0x00, 0x01, 0xa3, 0x82, 0x01, 0x7d, 0x30, 0x82, 0x01,
        0x79, 0x30, 0x12, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x08, 0x30, 0x06,
        0x01, 0x01, 0xff, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01,
        0xff, 0x04, 0x04, 0x03, 0x02, 0x01, 0x86, 0x30, 0x7f, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05,
        0x05, 0x07, 0x01, 0x01, 0x04, 0x73, 0x30, 0x71, 0x30, 0x32, 0x06, 0x08, 0x2b, 0x06, 0x01,
        0x05, 0x05, 0x07, 0x30, 0x01, 0x86, 0x26, 0x68, 0x74, 0x74, 0x70, 0x3a, 0x2f, 0x2f, 0x69,
        0x73, 0x72, 0x67, 0x2e, 0x74, 0x72, 0x75, 0x73, 0x74, 0x69, 0x64, 0x2e, 0x6f, 0x63, 0x73,
        0x70, 0x2e, 0x69, 0x64, 0x65, 0x6e, 0x74, 0x72, 0x75, 0x73, 0x74, 0x2e, 0x63, 0x6f, 0x6d,
        0x30, 0x3b, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02, 0x86, 0x2f, 0x68,
        0x74, 0x74, 0x70, 0x3a, 0x2f, 0x2f, 0x61, 0x70, 0x70, 0x73, 0x2e, 0x69, 0x64, 0x65, 0x6e,
        0x74, 0x72, 0x75, 0x73, 0x74, 0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x72, 0x6f, 0x6f, 0x74, 0x73,
        0x2f, 0x64, 0x73, 0x74, 0x72, 0x6f, 0x6f, 0x74, 0x63, 0x61, 0x78, 0x33, 0x2e, 0x70, 0x37,
        0x63, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0xc4,
        0xa7, 0xb1, 0xa4, 0x7b, 0x2c, 0x71, 0xfa, 0xdb, 0xe1, 0x4b, 0x90, 0x75, 0xff, 0xc4, 0x15,
        0x60, 0x85, 0x89, 0x10, 0x30, 0x54, 0x06, 0x03, 0x55, 0x1d, 0x20, 0x04, 0x4d, 0x30, 0x4b,
        0x30, 0x08, 0x06, 0x06, 0x67, 0x81, 0x0c, 0x01, 0x02, 0x01, 0x30, 0x3f, 0x06, 0x0b, 0x2b,
        0x06, 0x01, 0x04, 0x01, 0x82, 0xdf, 0x13, 0x01, 0x01, 0x01, 0x30, 0x30, 0x30, 0x2e, 0x06,
        0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x02, 0x01, 0x16, 0x22, 0x68, 0x74, 0x74, 0x70,
        0x3a, 0x2f, 0x2f, 0x63, 0x70, 0x73, 0x2e, 0x72, 0x6f, 0x6f, 0x74, 0x2d, 0x78, 0x31, 0x2e,
        0x6c, 0x65, 0x74, 0x73, 0x65, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74, 0x2e, 0x6f, 0x72, 0x67,
        0x30, 0x3c, 0x06, 0x03, 0x55, 0x1d, 0x1f, 0x04, 0x35, 0x30, 0x33, 0x30, 0x31, 0xa0, 0x2f,
        0xa0, 0x2d, 0x86, 0x2b, 0x68, 0x74, 0x74, 0x70, 0x3a, 0x2f, 0x2f, 0x63, 0x72, 0x6c, 0x2e,
        0x69, 0x64, 0x65, 0x6e, 0x74, 0x72, 0x75, 0x73, 0x74, 0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x44,
        0x53, 0x54, 0x52, 0x4f, 0x4f, 0x54, 0x43, 0x41, 0x58, 0x33, 0x43, 0x52, 0x4c, 0x2e, 0x63,
        0x72, 0x6c, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0xa8, 0x4a,
        0x6a, 0x63, 0x04, 0x7d, 0xdd, 0xba, 0xe6, 0xd1, 0x39, 0xb7, 0xa6, 0x45, 0x65, 0xef, 0xf3,
        0xa8, 0xec, 0xa1, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
        0x0b, 0x05, 0x00, 0x03, 0x82, 0x01, 0x01, 0x00, 0xdd, 0x33, 0xd7, 0x11, 0xf3, 0x63, 0x58,
        0x38, 0xdd, 0x18, 0x15, 0xfb, 0x09, 0x55, 0xbe, 0x76, 0x56, 0xb9, 0x70, 0x48, 0xa5, 0x69,
        0x47, 0x27, 0x7b, 0xc2, 0x24, 0x08, 0x92, 0xf1, 0x5a, 0x1f, 0x4a, 0x12, 0x29, 0x37, 0x24,
        0x74, 0x51, 0x1c, 0x62, 0x68, 0xb8, 0xcd, 0x95, 0x70, 0x67, 0xe5, 0xf7, 0xa4, 0xbc, 0x4e,
        0x28, 0x51, 0xcd, 0x9b, 0xe8, 0xae, 0x87, 0x9d, 0xea, 0xd8, 0xba, 0x5a, 0xa1, 0x01, 0x9a,
        0xdc, 0xf0, 0xdd, 0x6a, 0x1d, 0x6a, 0xd8, 0x3e, 0x57, 0x23, 0x9e, 0xa6, 0x1e, 0x04, 0x62,
        0x9a, 0xff, 0xd7, 0x05, 0xca, 0xb7, 0x1f, 0x3f, 0xc0, 0x0a, 0x48, 0xbc, 0x94, 0xb0, 0xb6,
        0x65, 0x62, 0xe0, 0xc1, 0x54, 0xe5, 0xa3, 0x2a, 0xad, 0x20, 0xc4, 0xe9, 0xe6, 0xbb, 0xdc,
        0xc8, 0xf6, 0xb5, 0xc3, 0x32, 0xa3, 0x98, 0xcc, 0x77, 0xa8, 0xe6, 0x79, 0x65, 0x07, 0x2b,
        0xcb, 0x28, 0xfe, 0x3a, 0x16, 0x52, 0x81, 0xce, 0x52, 0x0c, 0x2e, 0x5f, 0x83, 0xe8, 0xd5,
        0x06, 0x33, 0xfb, 0x77, 0x6c, 0xce, 0x40, 0xea, 0x32, 0x9e, 0x1f, 0x92, 0x5c, 0x41, 0xc1,
        0x74, 0x6c, 0x5b, 0x5d, 0x0a, 0x5f, 0x33, 0xcc, 0x4d, 0x9f, 0xac, 0x38, 0xf0, 0x2f, 0x7b,
        0x2c, 0x62, 0x9d, 0xd9, 0xa3, 0x91, 0x6f, 0x25, 0x1b, 0x2f, 0x90, 0xb1, 0x19, 0x46, 0x3d,
        0xf6, 0x7e, 0x1b, 0xa6, 0x7a, 0x87, 0xb9, 0xa3, 0x7a, 0x6d, 0x18, 0xfa, 0x25, 0xa5, 0x91,
        0x87, 0x15, 0xe0, 0xf2, 0x16, 0x2f, 0x58, 0xb0, 0x06, 0x2f, 0x2c, 0x68, 0x26, 0xc6, 0x4b,
        0x98, 0xcd, 0xda, 0x9f, 0x0c, 0xf9, 0x7f, 0x90, 0xed, 0x43, 0x4a, 0x12, 0x44, 0x4e, 0x6f,
        0x73, 0x7a, 0x28, 0xea, 0xa4, 0xaa, 0x6e, 0x7b, 0x4c, 0x7d, 0x87, 0xdd, 0xe0, 0xc9, 0x02,
        0x44, 0xa7, 0x87, 0xaf, 0xc3, 0x34, 0x5b, 0xb4, 0x42,
    ];
    /// HelloRetryRequest handshake message (header included) from RFC 8448 §5, "Client Hello
    /// with HelloRetryRequest": cipher 0x1301, extensions key_share, cookie, supported_versions.
    const RFC8448_HRR: [u8; 176] = [
        0x02, 0x00, 0x00, 0xac, 0x03, 0x03, 0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe,
        0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
        0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c, 0x00, 0x13, 0x01, 0x00, 0x00, 0x84, 0x00,
        0x33, 0x00, 0x02, 0x00, 0x17, 0x00, 0x2c, 0x00, 0x74, 0x00, 0x72, 0x71, 0xdc, 0xd0, 0x4b,
        0xb8, 0x8b, 0xc3, 0x18, 0x91, 0x19, 0x39, 0x8a, 0x00, 0x00, 0x00, 0x00, 0xee, 0xfa, 0xfc,
        0x76, 0xc1, 0x46, 0xb8, 0x23, 0xb0, 0x96, 0xf8, 0xaa, 0xca, 0xd3, 0x65, 0xdd, 0x00, 0x30,
        0x95, 0x3f, 0x4e, 0xdf, 0x62, 0x56, 0x36, 0xe5, 0xf2, 0x1b, 0xb2, 0xe2, 0x3f, 0xcc, 0x65,
        0x4b, 0x1b, 0x5b, 0x40, 0x31, 0x8d, 0x10, 0xd1, 0x37, 0xab, 0xcb, 0xb8, 0x75, 0x74, 0xe3,
        0x6e, 0x8a, 0x1f, 0x02, 0x5f, 0x7d, 0xfa, 0x5d, 0x6e, 0x50, 0x78, 0x1b, 0x5e, 0xda, 0x4a,
        0xa1, 0x5b, 0x0c, 0x8b, 0xe7, 0x78, 0x25, 0x7d, 0x16, 0xaa, 0x30, 0x30, 0xe9, 0xe7, 0x84,
        0x1d, 0xd9, 0xe4, 0xc0, 0x34, 0x22, 0x67, 0xe8, 0xca, 0x0c, 0xaf, 0x57, 0x1f, 0xb2, 0xb7,
        0xcf, 0xf0, 0xf9, 0x34, 0xb0, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
    ];

    // ------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------

    /// The single record at the front of `buf`, which must be complete.
    fn record(buf: &[u8]) -> (Record<'_>, usize) {
        match parse_record(buf) {
            Parsed::Done { value, consumed } => (value, consumed),
            other => panic!("record: {other:?}"),
        }
    }

    /// The first handshake message of a record's fragment.
    fn handshake(fragment: &[u8]) -> (Handshake<'_>, usize) {
        match parse_handshake(fragment) {
            Parsed::Done { value, consumed } => (value, consumed),
            other => panic!("handshake: {other:?}"),
        }
    }

    /// The ClientHello inside a one-record capture.
    fn client_hello_of(rec: &[u8]) -> ClientHello {
        let (r, _) = record(rec);
        let (h, _) = handshake(r.fragment);
        assert_eq!(h.kind(), HandshakeType::ClientHello);
        parse_client_hello(h.body).expect("client hello")
    }

    /// The body of the first handshake message of a one-record capture.
    fn first_body(rec: &[u8]) -> &[u8] {
        let (r, _) = record(rec);
        handshake(r.fragment).0.body
    }

    fn ext(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_be_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(data);
        out
    }

    fn vec16(data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u16).to_be_bytes().to_vec();
        out.extend_from_slice(data);
        out
    }

    fn u16s(values: &[u16]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    /// A ClientHello body up to and including the compression methods:
    /// version 0x0303, zero random, empty session id, the given ciphers,
    /// compression [null]. Built by hand after RFC 8446 §4.1.2.
    fn hello_head(ciphers: &[u16]) -> Vec<u8> {
        let mut out = vec![0x03, 0x03];
        out.extend_from_slice(&[0; field::RANDOM_LEN]);
        out.push(0);
        out.extend(vec16(&u16s(ciphers)));
        out.extend_from_slice(&[1, 0]);
        out
    }

    /// A ClientHello body with the given extensions (type, data) in order.
    fn hello_with(ciphers: &[u16], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut block = Vec::new();
        for (t, d) in exts {
            block.extend(ext(*t, d));
        }
        let mut out = hello_head(ciphers);
        out.extend(vec16(&block));
        out
    }

    /// A ClientHello body whose bytes after the compression methods are `tail`.
    fn hello_tail(tail: &[u8]) -> Vec<u8> {
        let mut out = hello_head(&[0x002f]);
        out.extend_from_slice(tail);
        out
    }

    fn sni_data(host: &[u8]) -> Vec<u8> {
        let mut entry = vec![wire::SNI_HOST_NAME];
        entry.extend(vec16(host));
        vec16(&entry)
    }

    fn alpn_data(names: &[&[u8]]) -> Vec<u8> {
        let mut list = Vec::new();
        for n in names {
            list.push(n.len() as u8);
            list.extend_from_slice(n);
        }
        vec16(&list)
    }

    // ------------------------------------------------------------------
    // Real ClientHellos (values from tshark 4.0.17)
    // ------------------------------------------------------------------

    // tshark -r chrome.pcap -Y frame.number==4 -T fields -e tls.handshake.extensions_server_name
    //   -e tls.handshake.ja3 -e tls.handshake.ja3_full ... (see each assert).
    #[test]
    fn chrome_client_hello_matches_tshark() {
        let (rec, consumed) = record(&CHROME_CH);
        assert_eq!(
            (rec.kind(), rec.version, consumed),
            (ContentType::Handshake, 0x0301, 517)
        );
        let (hs, hs_len) = handshake(rec.fragment);
        assert_eq!((hs.msg_type, hs.body.len(), hs_len), (1, 508, 512));
        let ch = parse_client_hello(hs.body).unwrap();
        assert_eq!(ch.legacy_version, 0x0303);
        assert_eq!(ch.sni.as_deref(), Some("www.iit.cnr.it"));
        assert_eq!(ch.alpn, ["h2", "http/1.1"]);
        assert_eq!(ch.alpn_first_bytes, Some((b'h', b'2')));
        assert_eq!(
            ch.supported_versions,
            [0x6a6a, 0x0304, 0x0303, 0x0302, 0x0301]
        );
        assert_eq!(ch.groups, [0x6a6a, 0x001d, 0x0017, 0x0018]);
        assert_eq!(ch.ec_point_formats, [0]);
        assert_eq!(
            ch.sig_algs,
            [
                0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601
            ]
        );
        assert_eq!(
            ch.extensions,
            [
                19018, 0, 23, 65281, 10, 11, 35, 16, 5, 13, 18, 51, 45, 43, 27, 17513, 27242, 21
            ]
        );
        assert_eq!(
            ch.ciphers,
            [
                0x9a9a, 0x1303, 0x1301, 0x1302, 0xcca9, 0xcca8, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035
            ]
        );
        assert!(!ch.truncated);
        assert_eq!(ch.max_version(), version::TLS13);
        assert_eq!(
            ch.ja3_string(),
            "771,4867-4865-4866-52393-52392-49195-49199-49196-49200-49171-49172-156-157-47-53,\
             0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,29-23-24,0"
        );
        assert_eq!(ch.ja3(), "aa50c12a5dfa717d9d6ab34e97de79d5");
        // This Chrome hello has exactly the ciphers, extensions and signature
        // algorithms of the FoxIO JA4.md example, so its JA4 is the spec's.
        assert_eq!(ch.ja4(false), "t13d1516h2_8daaf6152771_e5627efa2ab1");
        assert_eq!(ch.ja4(true), "q13d1516h2_8daaf6152771_e5627efa2ab1");
    }

    #[test]
    fn firefox_client_hello_matches_tshark() {
        let ch = client_hello_of(&FIREFOX_CH);
        assert_eq!(ch.sni.as_deref(), Some("www.ntop.org"));
        assert_eq!(ch.alpn, ["h2", "http/1.1"]);
        assert_eq!(ch.supported_versions, [0x0304, 0x0303, 0x0302, 0x0301]);
        assert_eq!(ch.groups, [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101]);
        assert_eq!(
            ch.sig_algs,
            [
                0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203,
                0x0201
            ]
        );
        assert_eq!(
            ch.ja3_string(),
            "771,4865-4867-4866-49195-49199-52393-52392-49196-49200-49162-49161-49171-49172-51-57-47-53-10,\
             0-23-65281-10-11-35-16-5-51-43-13-45-28-21,29-23-24-25-256-257,0"
        );
        assert_eq!(ch.ja3(), "b20b44b18b853ef29ab773e921b03422");
        // Cross-checked with a separate Python computation of the JA4.md rules
        // over tshark's field values (no tshark 4.0 JA4 field exists).
        assert_eq!(ch.ja4(false), "t13d1814h2_29a2cd9e9f10_d267a5f792d4");
    }

    #[test]
    fn curl_tls12_client_hello_matches_tshark() {
        let ch = client_hello_of(&CURL_CH);
        assert_eq!(ch.sni.as_deref(), Some("www.ntop.org"));
        assert_eq!(ch.alpn, ["h2", "http/1.1"]);
        assert!(ch.supported_versions.is_empty());
        assert_eq!(ch.max_version(), version::TLS12);
        assert_eq!(ch.ciphers.len(), 67);
        assert_eq!(ch.extensions, [0, 11, 10, 13, 13172, 16, 21]);
        assert_eq!(ch.ec_point_formats, [0, 1, 2]);
        // 0xefef, 0xeeee, 0xeded have equal bytes but are not GREASE.
        assert_eq!(
            ch.sig_algs,
            [
                0x0601, 0x0602, 0x0603, 0xefef, 0x0501, 0x0502, 0x0503, 0x0401, 0x0402, 0x0403,
                0xeeee, 0xeded, 0x0301, 0x0302, 0x0303, 0x0201, 0x0202, 0x0203
            ]
        );
        assert_eq!(
            ch.ja3_string(),
            "771,52244-52243-52245-49200-49196-49192-49188-49172-49162-163-159-107-106-57-56-65413-\
             196-195-136-135-129-49202-49198-49194-49190-49167-49157-157-61-53-192-132-49199-49195-\
             49191-49187-49171-49161-162-158-103-64-51-50-190-189-69-68-49201-49197-49193-49189-\
             49166-49156-156-60-47-186-65-49170-49160-22-19-49165-49155-10-255,0-11-10-13-13172-16-21,\
             14-13-25-28-11-12-27-24-9-10-26-22-23-8-6-7-20-21-4-5-18-19-1-2-3-15-16-17,0-1-2"
        );
        assert_eq!(ch.ja3(), "2a26b1a62e40d25d4de3babc9d532f30");
        assert_eq!(ch.ja4(false), "t12d6707h2_2955a3196ffa_c83f907a73d3");
    }

    // ------------------------------------------------------------------
    // JA4 against the FoxIO JA4.md text
    // ------------------------------------------------------------------

    #[test]
    fn ja4_hashes_match_spec_strings() {
        // Every string and digest below is quoted from FoxIO technical_details/JA4.md.
        let cases = [
            (
                "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9",
                "8daaf6152771",
            ),
            (
                "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_\
                 0403,0804,0401,0503,0805,0501,0806,0601",
                "e5627efa2ab1",
            ),
            (
                "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01",
                "6d807ffa2a79",
            ),
            (
                "1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035",
                "acb858a92679",
            ),
        ];
        for (text, digest) in cases {
            assert_eq!(ja4_hash(text), digest, "{text}");
        }
    }

    #[test]
    fn ja4_alpn_follows_spec_examples() {
        // JA4.md "ALPN Extension Value": (first byte, last byte) -> code.
        let cases: [(&[u8], &str); 8] = [
            (b"h2", "h2"),
            (b"http/1.1", "h1"),
            (b"h", "hh"),
            (&[0xab], "ab"),
            (&[0xab, 0xcd], "ad"),
            (&[0x30, 0xab], "3b"),
            (&[0x30, 0x31, 0xab, 0xcd], "3d"),
            (&[0x30, 0xab, 0xcd, 0x31], "01"),
        ];
        for (name, code) in cases {
            let body = hello_with(&[0x1301], &[(ext::ALPN, alpn_data(&[name]))]);
            let ch = parse_client_hello(&body).unwrap();
            let ja4 = ch.ja4(false);
            assert_eq!(ja4.get(8..10), Some(code), "{name:02x?} in {ja4}");
        }
        let empty_first = hello_with(&[0x1301], &[(ext::ALPN, alpn_data(&[b"", b"h2"]))]);
        let ch = parse_client_hello(&empty_first).unwrap();
        assert_eq!(ch.alpn, ["", "h2"]);
        assert_eq!(ch.ja4(false).get(8..10), Some("00"));
    }

    /// The JA4.md example hello rebuilt with GREASE added everywhere: ciphers,
    /// extensions, versions and signature algorithms in the spec's original order.
    fn spec_example_hello() -> Vec<u8> {
        let ciphers = [
            0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
            0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
        ];
        let sigs = u16s(&[
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        ]);
        let exts = [
            (0x1a1a, vec![]),
            (0x001b, vec![0x02, 0x00, 0x02]),
            (0x0000, sni_data(b"example.com")),
            (0x0033, vec![0x00, 0x00]),
            (0x0010, alpn_data(&[b"h2", b"http/1.1"])),
            (0x4469, vec![]),
            (0x0017, vec![]),
            (0x002d, vec![0x01, 0x01]),
            (0x000d, vec16(&sigs)),
            (0x0005, vec![0x01, 0x00, 0x00, 0x00, 0x00]),
            (0x0023, vec![]),
            (0x0012, vec![]),
            (0x002b, vec![0x06, 0x2a, 0x2a, 0x03, 0x04, 0x03, 0x03]),
            (0xff01, vec![0x00]),
            (0x000b, vec![0x01, 0x00]),
            (0x000a, vec16(&u16s(&[0x3a3a, 0x001d, 0x0017]))),
            (0x0015, vec![0; 4]),
        ];
        hello_with(&ciphers, &exts)
    }

    #[test]
    fn ja4_of_spec_example_with_grease_is_spec_value() {
        let ch = parse_client_hello(&spec_example_hello()).unwrap();
        assert_eq!(ch.ja4(false), "t13d1516h2_8daaf6152771_e5627efa2ab1");
        assert_eq!(ch.supported_versions, [0x2a2a, 0x0304, 0x0303]);
        assert_eq!(ch.max_version(), version::TLS13);
        assert_eq!(
            ch.ja3_string(),
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,\
             27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23,0"
        );
    }

    #[test]
    fn ja4_edge_cases_follow_spec() {
        // No SNI, no ALPN, TLS 1.2, only GREASE ciphers, only SNI/ALPN-free
        // extension list empty -> zero hashes.
        let grease_only = hello_with(&[0x0a0a], &[]);
        let ch = parse_client_hello(&grease_only).unwrap();
        assert_eq!(ch.ja4(false), "t12i000000_000000000000_000000000000");

        // Extensions made only of SNI and ALPN: counted, but the hash list is empty.
        let sni_alpn = hello_with(
            &[0x1301],
            &[
                (ext::SERVER_NAME, sni_data(b"a.b")),
                (ext::ALPN, alpn_data(&[b"h2"])),
            ],
        );
        let ch = parse_client_hello(&sni_alpn).unwrap();
        let ja4 = ch.ja4(false);
        assert!(ja4.starts_with("t12d0102h2_"), "{ja4}");
        assert!(ja4.ends_with("_000000000000"), "{ja4}");

        // More than 99 ciphers and extensions: counts print 99.
        let many: Vec<u16> = (0x0100..0x0100 + 150).collect();
        let exts: Vec<(u16, Vec<u8>)> = (0x1000..0x1000 + 120).map(|t| (t, vec![])).collect();
        let ch = parse_client_hello(&hello_with(&many, &exts)).unwrap();
        assert_eq!(ch.ja4(false).get(..10), Some("t12i999900"));

        // An unknown version in supported_versions maps to "00"; SSLv3 to "s3".
        let odd = hello_with(
            &[0x002f],
            &[(ext::SUPPORTED_VERSIONS, vec![0x02, 0x7f, 0x1c])],
        );
        assert_eq!(
            parse_client_hello(&odd).unwrap().ja4(false).get(..3),
            Some("t00")
        );
        let mut ssl3 = hello_head(&[0x002f]);
        ssl3[..2].copy_from_slice(&[0x03, 0x00]);
        assert_eq!(
            parse_client_hello(&ssl3).unwrap().ja4(false).get(..3),
            Some("ts3")
        );
    }

    // ------------------------------------------------------------------
    // ServerHello and Certificate
    // ------------------------------------------------------------------

    // tshark -r 443-curl.pcap -Y frame.number==6 -T fields -e tls.handshake.ciphersuite
    //   -e tls.handshake.extension.type  ->  0xc02f  65281,0,11,16
    #[test]
    fn curl_tls12_server_hello_matches_tshark() {
        let (rec, consumed) = record(&CURL_SERVER);
        assert_eq!(consumed, 107);
        let (hs, _) = handshake(rec.fragment);
        assert_eq!(hs.kind(), HandshakeType::ServerHello);
        let sh = parse_server_hello(hs.body).unwrap();
        assert_eq!(
            sh,
            ServerHello {
                legacy_version: 0x0303,
                cipher: 0xc02f,
                selected_version: None,
                extensions: vec![65281, 0, 11, 16],
                hello_retry: false,
                truncated: false,
            }
        );
        assert_eq!(sh.version(), version::TLS12);
    }

    // tshark -r chrome.pcap -Y frame.number==6 ... -> 0x1302  43,51  supported_version 0x0304
    #[test]
    fn chrome_tls13_server_hello_has_selected_version() {
        let sh = parse_server_hello(first_body(&CHROME_SH)).unwrap();
        assert_eq!(sh.cipher, 0x1302);
        assert_eq!(sh.selected_version, Some(version::TLS13));
        assert_eq!(sh.extensions, [43, 51]);
        assert!(!sh.hello_retry);
        assert_eq!(version_name(sh.version()), "TLSv1.3");
    }

    #[test]
    fn rfc8448_hello_retry_request_is_flagged() {
        let (hs, consumed) = handshake(&RFC8448_HRR);
        assert_eq!((hs.msg_type, consumed), (2, RFC8448_HRR.len()));
        let sh = parse_server_hello(hs.body).unwrap();
        assert!(sh.hello_retry);
        assert_eq!(sh.cipher, 0x1301);
        assert_eq!(sh.extensions, [51, 44, 43]);
        assert_eq!(sh.selected_version, Some(version::TLS13));
    }

    // tshark -r 443-curl.pcap -Y tls.handshake.type==11 -O tls -V | grep rdnSequence:
    //   issuer  (CN=Let's Encrypt Authority X3, O=Let's Encrypt, C=US)  subject (CN=www.ntop.org)
    //   issuer  (CN=DST Root CA X3, O=Digital Signature Trust Co.)      subject (Let's Encrypt...)
    pub(super) fn curl_leaf_der() -> Vec<u8> {
        let (_, sh_len) = record(&CURL_SERVER);
        let (rec, _) = record(CURL_SERVER.get(sh_len..).unwrap());
        let (hs, _) = handshake(rec.fragment);
        certificate_ders(hs.body).unwrap()[0].to_vec()
    }

    #[test]
    fn curl_certificate_chain_matches_tshark() {
        let (_, sh_len) = record(&CURL_SERVER);
        let (rec, consumed) = record(CURL_SERVER.get(sh_len..).unwrap());
        assert_eq!(consumed, 2557);
        let (hs, _) = handshake(rec.fragment);
        assert_eq!(hs.kind(), HandshakeType::Certificate);
        let certs = parse_certificate(hs.body).unwrap();
        let le = "C=US, O=Let's Encrypt, CN=Let's Encrypt Authority X3";
        assert_eq!(
            certs,
            [
                CertInfo {
                    subject: "CN=www.ntop.org".into(),
                    issuer: le.into(),
                    parsed: true,
                    truncated: false,
                },
                CertInfo {
                    subject: le.into(),
                    issuer: "O=Digital Signature Trust Co., CN=DST Root CA X3".into(),
                    parsed: true,
                    truncated: false,
                },
            ]
        );
    }

    #[test]
    fn name_rendering_equals_x509_parser_display() {
        let (_, sh_len) = record(&CURL_SERVER);
        let (rec, _) = record(CURL_SERVER.get(sh_len..).unwrap());
        let mut r = Reader::new(handshake(rec.fragment).0.body);
        let mut list = Reader::new(r.vec24().unwrap());
        while let Some(der) = list.vec24() {
            let (_, cert) = X509Certificate::from_der(der).unwrap();
            let mut t = false;
            assert_eq!(
                render_name(cert.subject(), &mut t),
                cert.subject().to_string()
            );
            assert_eq!(
                render_name(cert.issuer(), &mut t),
                cert.issuer().to_string()
            );
            assert!(!t);
        }
    }

    // ------------------------------------------------------------------
    // Hostile and edge cases, table-driven
    // ------------------------------------------------------------------

    #[test]
    fn record_hostile_cases_give_exact_outcome() {
        let incomplete = |needed| Parsed::Incomplete { needed };
        let cases: [(&str, &[u8], Parsed<usize>); 14] = [
            ("empty", &[], incomplete(None)),
            ("type only", &[0x16], incomplete(None)),
            ("cut header", &[0x16, 0x03, 0x03, 0x00], incomplete(None)),
            (
                "max length, no fragment",
                &[0x16, 0x03, 0x03, 0x48, 0x00],
                incomplete(Some(18437)),
            ),
            (
                "length beyond buffer",
                &[0x17, 0x03, 0x03, 0x00, 0x10, 1, 2],
                incomplete(Some(21)),
            ),
            (
                "one over max",
                &[0x16, 0x03, 0x03, 0x48, 0x01],
                Parsed::Invalid(anomaly::RECORD_TOO_LONG),
            ),
            (
                "0xffff",
                &[0x17, 0x03, 0x03, 0xff, 0xff],
                Parsed::Invalid(anomaly::RECORD_TOO_LONG),
            ),
            (
                "unknown type",
                &[0x63, 0x03, 0x01, 0x00, 0x01, 0],
                Parsed::Invalid(anomaly::BAD_CONTENT_TYPE),
            ),
            (
                "SSLv2 hello",
                &[0x80, 0x2e, 0x01, 0x00, 0x02],
                Parsed::Invalid(anomaly::BAD_CONTENT_TYPE),
            ),
            (
                "bad major",
                &[0x16, 0x02],
                Parsed::Invalid(anomaly::BAD_RECORD_VERSION),
            ),
            (
                "HTTP-like",
                &[0x17, 0x7f, 0x00],
                Parsed::Invalid(anomaly::BAD_RECORD_VERSION),
            ),
            (
                "empty handshake",
                &[0x16, 0x03, 0x03, 0x00, 0x00],
                Parsed::Invalid(anomaly::EMPTY_RECORD),
            ),
            (
                "empty alert",
                &[0x15, 0x03, 0x03, 0x00, 0x00],
                Parsed::Invalid(anomaly::EMPTY_RECORD),
            ),
            (
                "empty application data",
                &[0x17, 0x03, 0x03, 0x00, 0x00, 0x17],
                Parsed::Done {
                    value: 0,
                    consumed: 5,
                },
            ),
        ];
        for (name, input, want) in cases {
            let got = match parse_record(input) {
                Parsed::Done { value, consumed } => Parsed::Done {
                    value: value.fragment.len(),
                    consumed,
                },
                Parsed::Incomplete { needed } => Parsed::Incomplete { needed },
                Parsed::Invalid(a) => Parsed::Invalid(a),
            };
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn handshake_hostile_cases_give_exact_outcome() {
        let incomplete = |needed| Parsed::Incomplete { needed };
        // (name, input, (msg_type, body length) or outcome)
        type Case<'a> = (&'a str, &'a [u8], Parsed<(u8, usize)>);
        let cases: [Case<'_>; 7] = [
            ("empty", &[], incomplete(None)),
            ("cut header", &[0x01, 0x00, 0x00], incomplete(None)),
            (
                "body beyond buffer",
                &[0x01, 0x00, 0x00, 0x05, 1, 2],
                incomplete(Some(9)),
            ),
            (
                "at cap",
                &[0x0b, 0x02, 0x00, 0x00],
                incomplete(Some(131076)),
            ),
            (
                "over cap",
                &[0x0b, 0x02, 0x00, 0x01],
                Parsed::Invalid(anomaly::HANDSHAKE_TOO_LONG),
            ),
            (
                "server hello done",
                &[0x0e, 0x00, 0x00, 0x00, 0xff],
                Parsed::Done {
                    value: (14, 0),
                    consumed: 4,
                },
            ),
            (
                "unknown type kept",
                &[0xaa, 0x00, 0x00, 0x01, 0x00],
                Parsed::Done {
                    value: (0xaa, 1),
                    consumed: 5,
                },
            ),
        ];
        for (name, input, want) in cases {
            let got = match parse_handshake(input) {
                Parsed::Done { value, consumed } => Parsed::Done {
                    value: (value.msg_type, value.body.len()),
                    consumed,
                },
                Parsed::Incomplete { needed } => Parsed::Incomplete { needed },
                Parsed::Invalid(a) => Parsed::Invalid(a),
            };
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(HandshakeType::from(0xaa), HandshakeType::Unknown(0xaa));
    }

    #[test]
    fn handshake_spanning_two_records_parses_once_concatenated() {
        // The Chrome hello split by hand into two handshake records.
        let (rec, _) = record(&CHROME_CH);
        let (first, second) = rec.fragment.split_at(100);
        let mut stream = Vec::new();
        for part in [first, second] {
            let mut r = vec![0x16, 0x03, 0x01];
            r.extend(vec16(part));
            let (again, _) = record(&r);
            stream.extend_from_slice(again.fragment);
            if stream.len() == 100 {
                assert_eq!(
                    parse_handshake(&stream),
                    Parsed::Incomplete { needed: Some(512) }
                );
            }
        }
        let (hs, consumed) = handshake(&stream);
        assert_eq!(consumed, 512);
        assert_eq!(
            parse_client_hello(hs.body).unwrap().sni.as_deref(),
            Some("www.iit.cnr.it")
        );
    }

    #[test]
    fn client_hello_hostile_cases_give_exact_anomaly() {
        let mut long_sid = hello_head(&[0x002f]);
        long_sid[34] = 33;
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty body", vec![], anomaly::BAD_CLIENT_HELLO),
            (
                "cut random",
                vec![0x03, 0x03, 0, 0],
                anomaly::BAD_CLIENT_HELLO,
            ),
            ("session id 33", long_sid, anomaly::BAD_SESSION_ID),
            (
                "no ciphers",
                {
                    let mut b = hello_head(&[]);
                    b.truncate(b.len() - 2);
                    b
                },
                anomaly::BAD_CLIENT_HELLO,
            ),
            (
                "zero-length cipher list",
                hello_head(&[]),
                anomaly::BAD_CIPHER_LIST,
            ),
            (
                "odd cipher list",
                {
                    let mut b = hello_head(&[]);
                    b.truncate(35);
                    b.extend_from_slice(&[0x00, 0x03, 0x00, 0x2f, 0x00, 0x01, 0x00]);
                    b
                },
                anomaly::BAD_CIPHER_LIST,
            ),
            (
                "zero compression methods",
                {
                    let mut b = hello_head(&[0x002f]);
                    b.truncate(b.len() - 2);
                    b.push(0);
                    b
                },
                anomaly::BAD_CLIENT_HELLO,
            ),
            (
                "one stray byte after compression",
                hello_tail(&[0x00]),
                anomaly::BAD_EXTENSION,
            ),
            (
                "extension block overruns hello",
                hello_tail(&[0x00, 0x08, 0x00, 0x17, 0x00, 0x00]),
                anomaly::BAD_EXTENSION,
            ),
            (
                "extension data overruns block",
                hello_tail(&[0x00, 0x04, 0x00, 0x17, 0x00, 0x01]),
                anomaly::BAD_EXTENSION,
            ),
            (
                "cut extension header",
                hello_tail(&[0x00, 0x03, 0x00, 0x17, 0x00]),
                anomaly::BAD_EXTENSION,
            ),
            (
                "trailing bytes after block",
                hello_tail(&[0x00, 0x00, 0xff]),
                anomaly::BAD_CLIENT_HELLO,
            ),
            (
                "sni zero-length data",
                hello_tail(&[0x00, 0x04, 0x00, 0x00, 0x00, 0x00]),
                anomaly::BAD_SNI,
            ),
            (
                "sni empty list",
                hello_tail(&vec16(&ext(0, &[0x00, 0x00]))),
                anomaly::BAD_SNI,
            ),
            (
                "sni list longer than data",
                hello_tail(&vec16(&ext(0, &[0x00, 0x09, 0x00, 0x00, 0x01, b'a']))),
                anomaly::BAD_SNI,
            ),
            (
                "sni list shorter than data",
                hello_tail(&vec16(&ext(0, &[0x00, 0x04, 0x00, 0x00, 0x01, b'a', 0x00]))),
                anomaly::BAD_SNI,
            ),
            (
                "sni name overruns list",
                hello_tail(&vec16(&ext(0, &[0x00, 0x05, 0x00, 0x00, 0x07, b'a', b'b']))),
                anomaly::BAD_SNI,
            ),
            (
                "sni cut name length",
                hello_tail(&vec16(&ext(0, &[0x00, 0x02, 0x00, 0x00]))),
                anomaly::BAD_SNI,
            ),
            (
                "sni empty host name",
                hello_tail(&vec16(&ext(0, &[0x00, 0x03, 0x00, 0x00, 0x00]))),
                anomaly::BAD_SNI,
            ),
            (
                "alpn zero-length data",
                hello_tail(&vec16(&ext(16, &[]))),
                anomaly::BAD_ALPN,
            ),
            (
                "alpn empty list",
                hello_tail(&vec16(&ext(16, &[0x00, 0x00]))),
                anomaly::BAD_ALPN,
            ),
            (
                "alpn name overruns list",
                hello_tail(&vec16(&ext(16, &[0x00, 0x03, 0x05, b'h', b'2']))),
                anomaly::BAD_ALPN,
            ),
            (
                "versions zero-length",
                hello_tail(&vec16(&ext(43, &[]))),
                anomaly::BAD_EXTENSION,
            ),
            (
                "versions empty list",
                hello_tail(&vec16(&ext(43, &[0x00]))),
                anomaly::BAD_EXTENSION,
            ),
            (
                "versions odd",
                hello_tail(&vec16(&ext(43, &[0x03, 0x03, 0x04, 0x03]))),
                anomaly::BAD_EXTENSION,
            ),
            (
                "groups empty list",
                hello_tail(&vec16(&ext(10, &[0x00, 0x00]))),
                anomaly::BAD_EXTENSION,
            ),
            (
                "groups odd",
                hello_tail(&vec16(&ext(10, &[0x00, 0x01, 0x1d]))),
                anomaly::BAD_EXTENSION,
            ),
            (
                "point formats empty",
                hello_tail(&vec16(&ext(11, &[0x00]))),
                anomaly::BAD_EXTENSION,
            ),
            (
                "point formats overrun",
                hello_tail(&vec16(&ext(11, &[0x02, 0x00]))),
                anomaly::BAD_EXTENSION,
            ),
            (
                "sig algs odd",
                hello_tail(&vec16(&ext(13, &[0x00, 0x03, 0x04, 0x03, 0x08]))),
                anomaly::BAD_EXTENSION,
            ),
            (
                "sig algs zero-length",
                hello_tail(&vec16(&ext(13, &[]))),
                anomaly::BAD_EXTENSION,
            ),
        ];
        for (name, body, want) in cases {
            assert_eq!(parse_client_hello(&body), Err(want), "{name}");
        }
    }

    #[test]
    fn client_hello_edge_cases_parse() {
        // No extensions at all (TLS 1.2 and older allow it).
        let ch = parse_client_hello(&hello_head(&[0x002f])).unwrap();
        assert_eq!(ch.ja3_string(), "771,47,,,");
        assert_eq!(ch.sni, None);
        // An empty extension block and empty unknown extensions are fine.
        assert!(
            parse_client_hello(&hello_tail(&[0x00, 0x00]))
                .unwrap()
                .extensions
                .is_empty()
        );
        let ch = parse_client_hello(&hello_tail(&vec16(&ext(0x0017, &[])))).unwrap();
        assert_eq!(ch.extensions, [0x0017]);
        // SNI entries of another name type are skipped; the host_name is kept.
        let sni = vec16(&[0x01, 0x00, 0x01, b'x', 0x00, 0x00, 0x03, b'a', b'.', b'b']);
        let ch = parse_client_hello(&hello_with(&[0x002f], &[(0, sni)])).unwrap();
        assert_eq!(ch.sni.as_deref(), Some("a.b"));
        // Non-UTF-8 host names are kept lossily.
        let ch = parse_client_hello(&hello_with(&[0x002f], &[(0, sni_data(b"a\xffb"))])).unwrap();
        assert_eq!(ch.sni.as_deref(), Some("a\u{fffd}b"));
        // A repeated extension is listed twice, only the first is decoded.
        let twice = hello_with(
            &[0x002f],
            &[(0, sni_data(b"first")), (0, sni_data(b"second"))],
        );
        let ch = parse_client_hello(&twice).unwrap();
        assert_eq!(
            (ch.sni.as_deref(), ch.extensions.as_slice()),
            (Some("first"), &[0, 0][..])
        );
    }

    #[test]
    fn client_hello_caps_set_truncated() {
        let ciphers: Vec<u16> = (1..=600).collect();
        let ch = parse_client_hello(&hello_head(&ciphers)).unwrap();
        assert_eq!((ch.ciphers.len(), ch.truncated), (cap::MAX_CIPHERS, true));

        let exts: Vec<(u16, Vec<u8>)> = (0x1000..0x1000 + 200).map(|t| (t, vec![])).collect();
        let ch = parse_client_hello(&hello_with(&[1], &exts)).unwrap();
        assert_eq!(
            (ch.extensions.len(), ch.truncated),
            (cap::MAX_EXTENSIONS, true)
        );

        let names: Vec<&[u8]> = vec![b"h2"; 20];
        let ch = parse_client_hello(&hello_with(&[1], &[(ext::ALPN, alpn_data(&names))])).unwrap();
        assert_eq!((ch.alpn.len(), ch.truncated), (cap::MAX_ALPN, true));

        let host = vec![b'a'; 300];
        let ch = parse_client_hello(&hello_with(&[1], &[(0, sni_data(&host))])).unwrap();
        assert_eq!(
            (ch.sni.map(|s| s.len()), ch.truncated),
            (Some(cap::MAX_SNI_LEN), true)
        );

        let groups = u16s(&(1..=200).collect::<Vec<u16>>());
        let ch = parse_client_hello(&hello_with(&[1], &[(10, vec16(&groups))])).unwrap();
        assert_eq!((ch.groups.len(), ch.truncated), (cap::MAX_GROUPS, true));

        let ch = client_hello_of(&CURL_CH);
        assert!(
            !ch.truncated,
            "a real 67-cipher hello stays under every cap"
        );
    }

    #[test]
    fn server_hello_hostile_cases_give_exact_anomaly() {
        let mut base = vec![0x03, 0x03];
        base.extend_from_slice(&[0x11; field::RANDOM_LEN]);
        base.extend_from_slice(&[0x00, 0xc0, 0x2f, 0x00]);
        let with = |tail: &[u8]| {
            let mut b = base.clone();
            b.extend_from_slice(tail);
            b
        };
        let mut long_sid = base.clone();
        long_sid[34] = 33;
        long_sid.extend_from_slice(&[0; 33]);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty", vec![], anomaly::BAD_SERVER_HELLO),
            (
                "cut before compression",
                base[..base.len() - 1].to_vec(),
                anomaly::BAD_SERVER_HELLO,
            ),
            ("session id 33", long_sid, anomaly::BAD_SESSION_ID),
            ("stray byte", with(&[0x00]), anomaly::BAD_EXTENSION),
            (
                "block overruns",
                with(&[0x00, 0x06, 0x00, 0x2b, 0x00, 0x02]),
                anomaly::BAD_EXTENSION,
            ),
            (
                "trailing",
                with(&[0x00, 0x00, 0x00]),
                anomaly::BAD_SERVER_HELLO,
            ),
            (
                "version 3 bytes",
                with(&vec16(&ext(43, &[0x03, 0x04, 0x00]))),
                anomaly::BAD_EXTENSION,
            ),
            (
                "version empty",
                with(&vec16(&ext(43, &[]))),
                anomaly::BAD_EXTENSION,
            ),
        ];
        for (name, body, want) in cases {
            assert_eq!(parse_server_hello(&body), Err(want), "{name}");
        }
        let plain = parse_server_hello(&base).unwrap();
        assert_eq!(
            (plain.cipher, plain.extensions.len(), plain.hello_retry),
            (0xc02f, 0, false)
        );
    }

    #[test]
    fn certificate_hostile_cases_give_exact_outcome() {
        let u24 = |n: usize| [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let entry = |der: &[u8]| {
            let mut e = u24(der.len()).to_vec();
            e.extend_from_slice(der);
            e
        };
        let msg = |entries: &[Vec<u8>]| {
            let list: Vec<u8> = entries.concat();
            let mut m = u24(list.len()).to_vec();
            m.extend(list);
            m
        };
        let garbage = entry(&[0x30, 0x03, 0x02, 0x01, 0x00]);
        let errors: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty body", vec![], anomaly::BAD_CERTIFICATE),
            (
                "cut list length",
                vec![0x00, 0x00],
                anomaly::BAD_CERTIFICATE,
            ),
            (
                "list overruns body",
                vec![0x00, 0x00, 0x09, 0x00, 0x00, 0x01, 0x30],
                anomaly::BAD_CERTIFICATE,
            ),
            (
                "trailing after list",
                vec![0x00, 0x00, 0x00, 0x00],
                anomaly::BAD_CERTIFICATE,
            ),
            (
                "zero-length certificate",
                msg(&[vec![0, 0, 0]]),
                anomaly::BAD_CERTIFICATE,
            ),
            (
                "certificate overruns list",
                msg(&[vec![0x00, 0x00, 0x05, 0x30, 0x03]]),
                anomaly::BAD_CERTIFICATE,
            ),
            (
                "cut certificate length",
                msg(&[vec![0x00, 0x00]]),
                anomaly::BAD_CERTIFICATE,
            ),
            (
                "eleven certificates",
                msg(&vec![garbage.clone(); 11]),
                anomaly::TOO_MANY_CERTIFICATES,
            ),
        ];
        for (name, body, want) in errors {
            assert_eq!(parse_certificate(&body), Err(want), "{name}");
        }
        assert_eq!(parse_certificate(&msg(&[])), Ok(vec![]));
        let unparsable = parse_certificate(&msg(&vec![garbage; cap::MAX_CERTS])).unwrap();
        assert_eq!(unparsable.len(), cap::MAX_CERTS);
        assert!(unparsable.iter().all(|c| *c == CertInfo::default()));
    }

    #[test]
    fn version_names_and_grease() {
        let names = [
            (0x0300, "SSLv3"),
            (0x0301, "TLSv1.0"),
            (0x0302, "TLSv1.1"),
            (0x0303, "TLSv1.2"),
            (0x0304, "TLSv1.3"),
            (0x7f1c, "0x7f1c"),
            (0x0002, "0x0002"),
        ];
        for (v, name) in names {
            assert_eq!(version_name(v), name);
        }
        let grease: Vec<u16> = (0..=u16::MAX).filter(|v| is_grease(*v)).collect();
        let rfc8701: Vec<u16> = (0..16).map(|i| 0x0a0a + 0x1010 * i).collect();
        assert_eq!(grease, rfc8701);
    }

    // ------------------------------------------------------------------
    // Prefixes and bit flips
    // ------------------------------------------------------------------

    const CAPTURES: [&[u8]; 6] = [
        &CHROME_CH,
        &FIREFOX_CH,
        &CURL_CH,
        &CHROME_SH,
        &CURL_SERVER,
        &RFC8448_HRR,
    ];

    #[test]
    fn record_and_handshake_prefixes_are_incomplete() {
        for capture in CAPTURES.iter().take(5) {
            let (rec, full) = record(capture);
            for n in 0..full {
                let got = parse_record(capture.get(..n).unwrap());
                assert!(
                    matches!(got, Parsed::Incomplete { .. }),
                    "record prefix {n}: {got:?}"
                );
            }
            let (_, hs_len) = handshake(rec.fragment);
            for n in 0..hs_len {
                let got = parse_handshake(rec.fragment.get(..n).unwrap());
                let want = Parsed::Incomplete {
                    needed: (n >= 4).then_some(hs_len),
                };
                assert_eq!(got, want, "handshake prefix {n}");
            }
        }
    }

    /// Where the extension block starts in a hello body (after compression
    /// methods / the compression byte): the one place a cut body is still valid.
    fn extensions_offset(body: &[u8], client: bool) -> usize {
        let mut r = Reader::new(body);
        r.take(2 + field::RANDOM_LEN).unwrap();
        r.vec8().unwrap();
        if client {
            r.vec16().unwrap();
            r.vec8().unwrap();
        } else {
            r.take(3).unwrap();
        }
        body.len() - r.rest.len()
    }

    #[test]
    fn hello_body_prefixes_never_give_a_wrong_value() {
        for capture in [&CHROME_CH[..], &FIREFOX_CH, &CURL_CH] {
            let body = first_body(capture);
            let cut = extensions_offset(body, true);
            for n in 0..body.len() {
                match parse_client_hello(body.get(..n).unwrap()) {
                    Ok(ch) => {
                        assert_eq!(n, cut, "only the extension-less hello is valid");
                        assert!(ch.extensions.is_empty());
                    }
                    Err(_) => assert_ne!(n, cut),
                }
            }
        }
        for body in [
            first_body(&CHROME_SH),
            first_body(&CURL_SERVER),
            handshake(&RFC8448_HRR).0.body,
        ] {
            let cut = extensions_offset(body, false);
            for n in 0..body.len() {
                let got = parse_server_hello(body.get(..n).unwrap());
                assert_eq!(got.is_ok(), n == cut, "server hello prefix {n}: {got:?}");
            }
        }
        let (_, sh_len) = record(&CURL_SERVER);
        let (rec, _) = record(CURL_SERVER.get(sh_len..).unwrap());
        let body = handshake(rec.fragment).0.body;
        for n in 0..body.len() {
            assert_eq!(
                parse_certificate(body.get(..n).unwrap()),
                Err(anomaly::BAD_CERTIFICATE),
                "cert prefix {n}"
            );
        }
    }

    /// Feeds a whole capture through record -> handshake -> typed parser.
    fn parse_all(buf: &[u8]) {
        let mut rest = buf;
        while let Parsed::Done { value, consumed } = parse_record(rest) {
            if let Parsed::Done { value: hs, .. } = parse_handshake(value.fragment) {
                match hs.kind() {
                    HandshakeType::ClientHello => {
                        if let Ok(ch) = parse_client_hello(hs.body) {
                            let _ = (ch.ja3(), ch.ja4(false), ch.max_version());
                        }
                    }
                    HandshakeType::ServerHello => {
                        let _ = parse_server_hello(hs.body);
                    }
                    HandshakeType::Certificate => {
                        let _ = parse_certificate(hs.body);
                    }
                    _ => {}
                }
            }
            rest = rest.get(consumed..).unwrap_or(&[]);
        }
    }

    #[test]
    fn bit_flipped_captures_never_panic() {
        for capture in CAPTURES.iter().take(5) {
            // Every bit of the hellos; the certificate record is long, so its
            // headers and then every 7th byte.
            let positions: Vec<usize> = if capture.len() > 1000 {
                (0..200).chain((200..capture.len()).step_by(7)).collect()
            } else {
                (0..capture.len()).collect()
            };
            for &i in &positions {
                for bit in 0..8 {
                    let mut flipped = capture.to_vec();
                    if let Some(b) = flipped.get_mut(i) {
                        *b ^= 1 << bit;
                    }
                    parse_all(&flipped);
                }
            }
        }
        for i in 0..RFC8448_HRR.len() {
            let mut flipped = RFC8448_HRR.to_vec();
            flipped[i] ^= 0x80;
            if let Parsed::Done { value, .. } = parse_handshake(&flipped) {
                let _ = parse_server_hello(value.body);
            }
        }
    }

    #[test]
    fn flipped_length_bits_give_named_anomalies() {
        // Record length high bit: 0x0200 | 0x8000 > cap.
        let mut rec = CHROME_CH;
        rec[3] ^= 0x80;
        assert_eq!(
            parse_record(&rec),
            Parsed::Invalid(anomaly::RECORD_TOO_LONG)
        );
        // Extension block length 0x0193 -> 0x0393 overruns the hello.
        let body = first_body(&CHROME_CH);
        let at = extensions_offset(body, true);
        let mut b = body.to_vec();
        assert_eq!(b.get(at..at + 2), Some(&[0x01, 0x93][..]));
        b[at] ^= 0x02;
        assert_eq!(parse_client_hello(&b), Err(anomaly::BAD_EXTENSION));
    }
}
