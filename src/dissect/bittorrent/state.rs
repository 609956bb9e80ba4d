//! Per-flow BitTorrent state: what a rights-holders' agent (TMG for Hadopi)
//! collects — which address shares which infohash.
//!
//! Three transports: the peer-wire handshake over TCP (BEP 3; one record per
//! side that sends one), the UDP tracker announce (BEP 15), and DHT
//! `get_peers`/`announce_peer` queries (BEP 5). Tracker announces over HTTP are
//! recognised by the HTTP dissector, which emits the same [`BittorrentRecord`].

use serde::Serialize;

use super::parser::{DhtKind, hex, parse_dht, parse_handshake, parse_udp_tracker_announce};
use crate::decode::ipproto;
use crate::dissect::{
    Cx, Direction, Dissector, JoinKey, Parsed, Probe, ProbeCtx, Progress, Record, Session,
};
use crate::record::facet::{Facets, HashKind, Scope};

/// Most records one UDP flow (DHT, tracker) gives.
pub const MAX_RECORDS_PER_FLOW: u32 = 10_000;

/// BEP 3: pstrlen (19) then "BitTorrent protocol".
const PSTR: &[u8] = b"\x13BitTorrent protocol";
/// BEP 15 connect request magic (protocol id).
const UDP_TRACKER_MAGIC: [u8; 8] = 0x0417_2710_1980u64.to_be_bytes();

/// One sharing event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BittorrentRecord {
    /// Join key; `ts` is the message's time.
    #[serde(flatten)]
    pub id: JoinKey,
    /// `handshake`, `announce` (HTTP tracker), `udp_announce`, `dht_get_peers`
    /// or `dht_announce_peer`.
    pub kind: &'static str,
    /// Who sent it: `orig` or `resp`.
    pub sender: &'static str,
    /// The torrent's infohash, hex.
    pub info_hash: String,
    /// The sender's peer id (handshake, announces) or DHT node id, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_id: Option<String>,
    /// Announce event (`started`, `stopped`, `completed`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Port the peer listens on (announces).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Bytes left to download (announces).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left: Option<u64>,
}

impl Record for BittorrentRecord {
    fn protocol(&self) -> &'static str {
        "bittorrent"
    }
    fn key(&self) -> &JoinKey {
        &self.id
    }

    fn facets(&self, f: &mut Facets) -> bool {
        f.hash(HashKind::InfoHash, Some(&self.info_hash));
        true
    }
}

/// The sender label of a direction.
pub fn sender(dir: Direction) -> &'static str {
    match dir {
        Direction::ToResponder => "orig",
        Direction::ToOriginator => "resp",
    }
}

/// The record of a tracker announce (HTTP or UDP).
pub fn announce_record(
    cx: &Cx<'_>,
    dir: Direction,
    kind: &'static str,
    a: &super::parser::Announce,
) -> BittorrentRecord {
    BittorrentRecord {
        id: cx.key(cx.ts_ns),
        kind,
        sender: sender(dir),
        info_hash: hex(&a.info_hash),
        peer_id: a.peer_id.as_ref().map(hex),
        event: a.event.clone(),
        port: a.port,
        left: a.left,
    }
}

/// The BitTorrent dissector.
pub struct Bittorrent;

/// The registry's instance.
pub static BITTORRENT: Bittorrent = Bittorrent;

impl Dissector for Bittorrent {
    fn name(&self) -> &'static str {
        "bittorrent"
    }

    fn kind(&self) -> &'static str {
        "torrent"
    }

    /// An infohash is what a tracker URL or a peer's handshake carries:
    /// content-level data (a box needs scope `urls`).
    fn scope(&self) -> Scope {
        Scope::Urls
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
            "kind",
            "sender",
            "info_hash",
            "peer_id",
            "event",
            "port",
            "left",
        ]
    }

    fn probe(&self, ctx: &ProbeCtx, _dir: Direction, data: &[u8]) -> Probe {
        if ctx.proto == ipproto::TCP {
            let n = data.len().min(PSTR.len());
            return if data[..n] != PSTR[..n] {
                Probe::No
            } else if n < PSTR.len() {
                Probe::NeedMore
            } else {
                Probe::Yes
            };
        }
        if ctx.proto != ipproto::UDP {
            return Probe::No;
        }
        let dht = data.first() == Some(&b'd') && matches!(parse_dht(data), Parsed::Done { .. });
        let tracker =
            data.starts_with(&UDP_TRACKER_MAGIC) || parse_udp_tracker_announce(data).is_some();
        if dht || tracker {
            Probe::Yes
        } else {
            Probe::No
        }
    }

    fn start(&self) -> Box<dyn Session> {
        Box::<BtSession>::default()
    }
}

#[derive(Default)]
struct BtSession {
    handshakes: [bool; 2],
    records: u32,
}

impl Session for BtSession {
    fn feed(&mut self, cx: &mut Cx<'_>, dir: Direction, data: &[u8]) -> Progress {
        if cx.ends.proto == ipproto::TCP {
            let i = usize::from(dir == Direction::ToOriginator);
            if self.handshakes[i] {
                return Progress::Consumed(data.len() as u64);
            }
            match parse_handshake(data) {
                Parsed::Done { value, .. } => {
                    self.handshakes[i] = true;
                    cx.emit(BittorrentRecord {
                        id: cx.key(cx.ts_ns),
                        kind: "handshake",
                        sender: sender(dir),
                        info_hash: hex(&value.info_hash),
                        peer_id: Some(hex(&value.peer_id)),
                        event: None,
                        port: None,
                        left: None,
                    });
                }
                Parsed::Incomplete { .. } => return Progress::Consumed(0),
                Parsed::Invalid(a) => {
                    cx.anomaly(a);
                    self.handshakes[i] = true;
                }
            }
            // After both handshakes the rest is piece traffic: nothing to keep.
            return if self.handshakes == [true, true] {
                Progress::Done
            } else {
                Progress::Consumed(data.len() as u64)
            };
        }
        if self.records >= MAX_RECORDS_PER_FLOW {
            cx.anomaly("bittorrent.records_cap");
            return Progress::Done;
        }
        if let Some(a) = parse_udp_tracker_announce(data) {
            self.records += 1;
            let r = announce_record(cx, dir, "udp_announce", &a);
            cx.emit(r);
        } else if data.first() == Some(&b'd') {
            match parse_dht(data) {
                Parsed::Done { value, .. } => {
                    if let DhtKind::Query {
                        method,
                        node_id,
                        info_hash: Some(h),
                    } = value.kind
                    {
                        let kind = match method.as_str() {
                            "get_peers" => "dht_get_peers",
                            "announce_peer" => "dht_announce_peer",
                            _ => return Progress::Consumed(data.len() as u64),
                        };
                        self.records += 1;
                        cx.emit(BittorrentRecord {
                            id: cx.key(cx.ts_ns),
                            kind,
                            sender: sender(dir),
                            info_hash: hex(&h),
                            peer_id: node_id.as_ref().map(hex),
                            event: None,
                            port: None,
                            left: None,
                        });
                    }
                }
                Parsed::Invalid(a) => cx.anomaly(a),
                Parsed::Incomplete { .. } => cx.anomaly("bittorrent.dht_truncated"),
            }
        }
        Progress::Consumed(data.len() as u64)
    }
}
