//! Per-flow TLS state: records → handshake messages → one [`TlsRecord`].
//!
//! Each direction's handshake fragments are joined (messages may span records)
//! up to [`HANDSHAKE_CAP`] bytes. The record is emitted once the server has
//! answered and the rest is encrypted (a ChangeCipherSpec or application data
//! from the server, or a TLS 1.3 ServerHello), or when the flow ends.

use serde::Serialize;

use super::parser::{
    CertInfo, ClientHello, ServerHello, certificate_ders, parse_client_hello, parse_handshake,
    parse_record, parse_server_hello, parse_sslv2_client_hello, version_name,
};
use crate::dissect::{
    Cx, Direction, Dissector, JoinKey, Parsed, Probe, ProbeCtx, Progress, Record, Session,
};
use crate::record::facet::{Facets, HashKind};

/// Most handshake bytes buffered per direction.
pub const HANDSHAKE_CAP: usize = 64 << 10;

mod content {
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    pub const HANDSHAKE: u8 = 22;
    pub const APPLICATION_DATA: u8 = 23;
}

mod handshake {
    pub const CLIENT_HELLO: u8 = 1;
    pub const SERVER_HELLO: u8 = 2;
    pub const CERTIFICATE: u8 = 11;
}

const TLS13: u16 = 0x0304;

/// One TLS connection's handshake as a connection-data box sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TlsRecord {
    /// Join key; `ts` is the ClientHello's time.
    #[serde(flatten)]
    pub id: JoinKey,
    /// The version in use: the server's choice, else the client's highest offer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The cipher suite the server chose, as `0x1301`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// Server Name Indication: the site the client asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// ALPN protocols the client offered (`h2`, `http/1.1`...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alpn: Vec<String>,
    /// Versions the client offered (supported_versions, else its legacy version).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub client_versions: Vec<String>,
    /// JA3 fingerprint of the ClientHello (md5 hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja3: Option<String>,
    /// JA4 fingerprint of the ClientHello.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja4: Option<String>,
    /// Subject of the server's certificate (TLS 1.2 and earlier only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Issuer of the server's certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Whether the server answered with a ServerHello.
    pub established: bool,
}

impl Record for TlsRecord {
    fn protocol(&self) -> &'static str {
        "tls"
    }
    fn key(&self) -> &JoinKey {
        &self.id
    }

    fn facets(&self, f: &mut Facets) -> bool {
        f.host(self.server_name.as_deref())
            .hash(HashKind::Ja3, self.ja3.as_deref())
            .hash(HashKind::Ja4, self.ja4.as_deref());
        true
    }
}

/// The TLS dissector.
pub struct Tls;

/// The registry's instance.
pub static TLS: Tls = Tls;

impl Dissector for Tls {
    fn readable(&self) -> crate::dissect::Readable {
        crate::dissect::Readable::ServerName
    }

    fn name(&self) -> &'static str {
        "tls"
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
            "version",
            "cipher",
            "server_name",
            "alpn",
            "client_versions",
            "ja3",
            "ja4",
            "subject",
            "issuer",
            "established",
        ]
    }

    // A handshake record: content type 22, major version 3, minor 0 (SSLv3) to
    // 4; or, from the client, an SSLv2-compatible ClientHello: a 2-byte header
    // with the high bit set, message type 1 and version 2.0 or SSLv3 to TLS 1.2,
    // long enough for one cipher spec and a 16-byte challenge.
    fn probe(&self, ctx: &ProbeCtx, dir: Direction, data: &[u8]) -> Probe {
        if ctx.proto != crate::decode::ipproto::TCP {
            return Probe::No;
        }
        match data {
            [content::HANDSHAKE, 3, minor, ..] if *minor <= 4 => Probe::Yes,
            [content::HANDSHAKE] | [content::HANDSHAKE, 3] => Probe::NeedMore,
            [hi, lo, 1, major, minor, ..]
                if dir == Direction::ToResponder
                    && hi & 0x80 != 0
                    && u16::from_be_bytes([hi & 0x7f, *lo]) >= V2_HELLO_MIN
                    && matches!((major, minor), (0, 2) | (3, 0..=3)) =>
            {
                Probe::Yes
            }
            [hi, rest @ ..]
                if dir == Direction::ToResponder && hi & 0x80 != 0 && rest.len() < 4 =>
            {
                Probe::NeedMore
            }
            _ => Probe::No,
        }
    }

    fn start(&self) -> Box<dyn Session> {
        Box::<TlsSession>::default()
    }
}

/// The shortest SSLv2 CLIENT-HELLO body: type, version, three lengths, one
/// cipher spec and a 16-byte challenge.
const V2_HELLO_MIN: u16 = 1 + 2 + 6 + 3 + 16;

#[derive(Default)]
struct TlsSession {
    /// The client's first bytes were read (an SSLv2-format hello can only come first).
    client_started: bool,
    /// Handshake bytes per direction (to responder, to originator).
    hs: [Vec<u8>; 2],
    /// Direction switched to encrypted records: its handshake is unreadable.
    encrypted: [bool; 2],
    hello: Option<(i64, ClientHello)>,
    server: Option<ServerHello>,
    cert: Option<CertInfo>,
    emitted: bool,
}

impl TlsSession {
    fn on_handshake(&mut self, cx: &mut Cx<'_>, i: usize) {
        loop {
            let (msg_type, body_len, consumed) = match parse_handshake(&self.hs[i]) {
                Parsed::Done { value, consumed } => (value.msg_type, value.body.len(), consumed),
                Parsed::Incomplete { .. } => return,
                Parsed::Invalid(a) => {
                    cx.anomaly(a);
                    self.hs[i].clear();
                    self.encrypted[i] = true;
                    return;
                }
            };
            let body = &self.hs[i][consumed - body_len..consumed];
            match msg_type {
                handshake::CLIENT_HELLO if self.hello.is_none() => match parse_client_hello(body) {
                    Ok(h) => self.hello = Some((cx.ts_ns, h)),
                    Err(a) => cx.anomaly(a),
                },
                handshake::SERVER_HELLO if self.server.is_none() => {
                    match parse_server_hello(body) {
                        Ok(h) => self.server = Some(h),
                        Err(a) => cx.anomaly(a),
                    }
                }
                handshake::CERTIFICATE if self.cert.is_none() && i == 1 => {
                    // Only the leaf is reported: the others are not read.
                    match certificate_ders(body) {
                        Ok(ders) => self.cert = ders.first().map(|d| super::certs::leaf_info(d)),
                        Err(a) => cx.anomaly(a),
                    }
                }
                _ => {}
            }
            self.hs[i].drain(..consumed);
        }
    }

    fn server_done(&self) -> bool {
        self.encrypted[1] || self.server.as_ref().is_some_and(|s| s.version() == TLS13)
    }

    fn emit(&mut self, cx: &mut Cx<'_>) {
        if self.emitted || (self.hello.is_none() && self.server.is_none()) {
            return;
        }
        self.emitted = true;
        let ts = self.hello.as_ref().map_or(cx.ts_ns, |(t, _)| *t);
        let hello = self.hello.as_ref().map(|(_, h)| h);
        let version = match (&self.server, hello) {
            (Some(s), _) => Some(s.version()),
            (None, Some(h)) => Some(h.max_version()),
            _ => None,
        };
        let client_versions = hello.map_or(Vec::new(), |h| {
            let offered = if h.supported_versions.is_empty() {
                vec![h.legacy_version]
            } else {
                h.supported_versions.clone()
            };
            offered
                .into_iter()
                .filter(|v| !super::parser::is_grease(*v))
                .map(|v| version_name(v).into_owned())
                .collect()
        });
        cx.emit(TlsRecord {
            id: cx.key(ts),
            version: version.map(|v| version_name(v).into_owned()),
            cipher: self.server.as_ref().map(|s| format!("0x{:04x}", s.cipher)),
            server_name: hello.and_then(|h| h.sni.clone()),
            alpn: hello.map_or(Vec::new(), |h| h.alpn.clone()),
            client_versions,
            ja3: hello.filter(|h| !h.sslv2).map(|h| h.ja3()),
            ja4: hello.filter(|h| !h.sslv2).map(|h| h.ja4(false)),
            subject: self
                .cert
                .as_ref()
                .filter(|c| c.parsed)
                .map(|c| c.subject.clone()),
            issuer: self
                .cert
                .as_ref()
                .filter(|c| c.parsed)
                .map(|c| c.issuer.clone()),
            established: self.server.is_some(),
        });
    }
}

impl Session for TlsSession {
    fn feed(&mut self, cx: &mut Cx<'_>, dir: Direction, data: &[u8]) -> Progress {
        let i = match dir {
            Direction::ToResponder => 0,
            Direction::ToOriginator => 1,
        };
        let mut used = 0;
        if i == 0 && !self.client_started {
            if data.first().is_some_and(|b| b & 0x80 != 0) {
                match parse_sslv2_client_hello(data) {
                    Parsed::Done { value, consumed } => {
                        self.hello = Some((cx.ts_ns, value));
                        used = consumed;
                    }
                    Parsed::Incomplete { .. } => return Progress::Consumed(0),
                    Parsed::Invalid(a) => {
                        cx.anomaly(a);
                        self.emit(cx);
                        return Progress::Done;
                    }
                }
            }
            self.client_started = true;
        }
        loop {
            let (content_type, fragment, consumed) = match parse_record(&data[used..]) {
                Parsed::Done { value, consumed } => (value.content_type, value.fragment, consumed),
                Parsed::Incomplete { .. } => break,
                Parsed::Invalid(a) => {
                    cx.anomaly(a);
                    self.emit(cx);
                    return Progress::Done;
                }
            };
            used += consumed;
            match content_type {
                content::HANDSHAKE if !self.encrypted[i] => {
                    if self.hs[i].len() + fragment.len() > HANDSHAKE_CAP {
                        cx.anomaly("tls.handshake_buffer_cap");
                        self.encrypted[i] = true;
                    } else {
                        self.hs[i].extend_from_slice(fragment);
                        self.on_handshake(cx, i);
                    }
                }
                content::CHANGE_CIPHER_SPEC | content::APPLICATION_DATA => self.encrypted[i] = true,
                _ => {}
            }
            if self.server_done() {
                self.emit(cx);
                return Progress::Done;
            }
        }
        Progress::Consumed(used as u64)
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        self.emit(cx);
    }
}
