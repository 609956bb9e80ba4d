//! Per-flow QUIC state: decrypt the client's Initial packets (RFC 9001 §5.2) and
//! read the ClientHello inside, so a box keyed on SNI is not blind to HTTP/3.
//!
//! Keys come from the first client Initial's Destination Connection ID; later
//! client Initials reuse them even when they carry a new DCID. CRYPTO frames are
//! gathered (at most [`CRYPTO_CAP`] bytes, [`MAX_DATAGRAMS`] datagrams) until the
//! ClientHello is complete, then one [`QuicRecord`] is emitted.

use serde::Serialize;

use super::parser::{
    CryptoFrame, InitialKeys, PacketType, assemble_crypto, decrypt_initial, initial_keys,
    parse_long_header, version_name,
};
use crate::dissect::tls::parser::{ClientHello, is_grease, parse_client_hello, parse_handshake};
use crate::dissect::{
    Cx, Direction, Dissector, JoinKey, Parsed, Probe, ProbeCtx, Progress, Record, Session,
};
use crate::record::facet::{Facets, HashKind};
use crate::record::hex;

/// Most CRYPTO bytes gathered.
pub const CRYPTO_CAP: usize = 16 << 10;
/// Most client datagrams looked at.
pub const MAX_DATAGRAMS: u8 = 8;

const CLIENT_HELLO: u8 = 1;

/// A QUIC connection's client Initial as a connection-data box sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuicRecord {
    /// Join key; `ts` is the first client Initial's time.
    #[serde(flatten)]
    pub id: JoinKey,
    /// QUIC version (`QUIC v1`, `QUIC v2`, `draft-29`...).
    pub version: String,
    /// Original destination connection id, hex.
    pub dcid: String,
    /// Client's source connection id, hex.
    pub scid: String,
    /// Server Name Indication from the ClientHello.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// ALPN protocols offered (`h3`...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alpn: Vec<String>,
    /// JA4 fingerprint (`q` prefix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja4: Option<String>,
    /// Whether the ClientHello was read completely.
    pub client_hello: bool,
}

impl Record for QuicRecord {
    fn protocol(&self) -> &'static str {
        "quic"
    }
    fn key(&self) -> &JoinKey {
        &self.id
    }

    fn facets(&self, f: &mut Facets) -> bool {
        f.host(self.server_name.as_deref())
            .hash(HashKind::Ja4, self.ja4.as_deref());
        true
    }
}

/// The QUIC dissector.
pub struct Quic;

/// The registry's instance.
pub static QUIC: Quic = Quic;

impl Dissector for Quic {
    fn readable(&self) -> crate::dissect::Readable {
        crate::dissect::Readable::ServerName
    }

    fn name(&self) -> &'static str {
        "quic"
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
            "dcid",
            "scid",
            "server_name",
            "alpn",
            "ja4",
            "client_hello",
        ]
    }

    // A client Initial in a version whose keys we know.
    fn probe(&self, ctx: &ProbeCtx, dir: Direction, data: &[u8]) -> Probe {
        if ctx.proto != crate::decode::ipproto::UDP || dir != Direction::ToResponder {
            return Probe::No;
        }
        match parse_long_header(data) {
            Parsed::Done { value, .. }
                if value.packet_type == PacketType::Initial
                    && initial_keys(value.version, value.dcid, false).is_some() =>
            {
                Probe::Yes
            }
            _ => Probe::No,
        }
    }

    fn start(&self) -> Box<dyn Session> {
        Box::<QuicSession>::default()
    }
}

#[derive(Default)]
struct QuicSession {
    keys: Option<InitialKeys>,
    first: Option<(i64, u32, Vec<u8>, Vec<u8>)>,
    frames: Vec<CryptoFrame>,
    crypto_bytes: usize,
    datagrams: u8,
    emitted: bool,
}

impl QuicSession {
    fn hello(&self) -> Option<ClientHello> {
        let stream = assemble_crypto(&self.frames, CRYPTO_CAP);
        match parse_handshake(&stream) {
            Parsed::Done { value, .. } if value.msg_type == CLIENT_HELLO => {
                parse_client_hello(value.body).ok()
            }
            _ => None,
        }
    }

    fn emit(&mut self, cx: &mut Cx<'_>, hello: Option<ClientHello>) {
        let Some((ts, version, dcid, scid)) = self.first.as_ref() else {
            return;
        };
        if self.emitted {
            return;
        }
        self.emitted = true;
        let alpn = hello.as_ref().map_or(Vec::new(), |h| {
            h.alpn.iter().filter(|a| !a.is_empty()).cloned().collect()
        });
        let _ = is_grease;
        cx.emit(QuicRecord {
            id: cx.key(*ts),
            version: version_name(*version).into_owned(),
            dcid: hex(dcid),
            scid: hex(scid),
            server_name: hello.as_ref().and_then(|h| h.sni.clone()),
            alpn,
            ja4: hello.as_ref().map(|h| h.ja4(true)),
            client_hello: hello.is_some(),
        });
    }
}

impl Session for QuicSession {
    fn feed(&mut self, cx: &mut Cx<'_>, dir: Direction, data: &[u8]) -> Progress {
        if dir != Direction::ToResponder {
            return Progress::Consumed(0);
        }
        self.datagrams += 1;
        let mut off = 0;
        while off < data.len() {
            let rest = &data[off..];
            let header = match parse_long_header(rest) {
                Parsed::Done { value, .. } => value,
                _ => break,
            };
            if header.packet_type != PacketType::Initial {
                off += header.packet_len.max(1);
                continue;
            }
            if self.keys.is_none() {
                self.keys = initial_keys(header.version, header.dcid, false);
                self.first = Some((
                    cx.ts_ns,
                    header.version,
                    header.dcid.to_vec(),
                    header.scid.to_vec(),
                ));
            }
            let Some(keys) = self.keys.as_ref() else {
                cx.anomaly("quic.unsupported_version");
                return Progress::Done;
            };
            match decrypt_initial(rest, keys) {
                Ok((initial, used)) => {
                    for f in initial.crypto {
                        if self.crypto_bytes + f.data.len() > CRYPTO_CAP {
                            cx.anomaly("quic.crypto_cap");
                            break;
                        }
                        self.crypto_bytes += f.data.len();
                        self.frames.push(f);
                    }
                    off += used.max(1);
                }
                Err(a) => {
                    cx.anomaly(a);
                    break;
                }
            }
        }
        if let Some(hello) = self.hello() {
            self.emit(cx, Some(hello));
            return Progress::Done;
        }
        if self.datagrams >= MAX_DATAGRAMS {
            self.emit(cx, None);
            return Progress::Done;
        }
        Progress::Consumed(data.len() as u64)
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        self.emit(cx, None);
    }
}
