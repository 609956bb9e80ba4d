//! Per-flow WireGuard state: one [`WireguardRecord`] per tunnel flow, emitted
//! when the flow ends.

use serde::Serialize;

use super::parser::{Message, parse_message};
use crate::decode::ipproto;
use crate::dissect::{
    Cx, Direction, Dissector, JoinKey, Parsed, Probe, ProbeCtx, Progress, Record, Session,
};
use crate::record::facet::Facets;

/// WireGuard's usual port.
pub const PORT: u16 = 51820;

/// One WireGuard tunnel flow.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WireguardRecord {
    /// Join key; `ts` is the flow's first message.
    #[serde(flatten)]
    pub id: JoinKey,
    /// Handshake initiations (one every two minutes of use, whitepaper §6.1).
    pub initiations: u32,
    /// Handshake responses.
    pub responses: u32,
    /// Transport messages from the originator.
    pub orig_data: u64,
    /// Transport messages from the responder.
    pub resp_data: u64,
    /// The first initiation's sender index, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_index: Option<String>,
}

impl Record for WireguardRecord {
    fn protocol(&self) -> &'static str {
        "wireguard"
    }
    fn key(&self) -> &JoinKey {
        &self.id
    }

    /// The tunnel itself is what a box sees: selectable by its kind
    /// (`on = ["wireguard"]`) and the server's address and port.
    fn facets(&self, _: &mut Facets) -> bool {
        true
    }
}

/// The WireGuard dissector.
pub struct Wireguard;

/// The registry's instance.
pub static WIREGUARD: Wireguard = Wireguard;

impl Dissector for Wireguard {
    fn readable(&self) -> crate::dissect::Readable {
        crate::dissect::Readable::Tunnel
    }

    fn name(&self) -> &'static str {
        "wireguard"
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
            "initiations",
            "responses",
            "orig_data",
            "resp_data",
            "sender_index",
        ]
    }

    fn probe(&self, ctx: &ProbeCtx, _dir: Direction, data: &[u8]) -> Probe {
        if ctx.proto != ipproto::UDP {
            return Probe::No;
        }
        match parse_message(data) {
            Parsed::Done {
                value: Message::Initiation { .. },
                ..
            } => Probe::Yes,
            // Mid-tunnel, on WireGuard's port only: a 16-byte header with
            // three zero bytes is too common to claim anywhere.
            Parsed::Done {
                value: Message::Data { .. } | Message::Response { .. },
                ..
            } if ctx.port(PORT) => Probe::Yes,
            _ => Probe::No,
        }
    }

    fn start(&self) -> Box<dyn Session> {
        Box::<WgSession>::default()
    }
}

#[derive(Default)]
struct WgSession {
    first_ns: Option<i64>,
    initiations: u32,
    responses: u32,
    data: [u64; 2],
    sender: Option<u32>,
    emitted: bool,
}

impl Session for WgSession {
    fn feed(&mut self, cx: &mut Cx<'_>, dir: Direction, data: &[u8]) -> Progress {
        self.first_ns.get_or_insert(cx.ts_ns);
        match parse_message(data) {
            Parsed::Done { value, .. } => match value {
                Message::Initiation { sender } => {
                    self.initiations = self.initiations.saturating_add(1);
                    self.sender.get_or_insert(sender);
                }
                Message::Response { .. } => self.responses = self.responses.saturating_add(1),
                Message::Cookie => {}
                Message::Data { .. } => {
                    self.data[usize::from(dir == Direction::ToOriginator)] += 1;
                }
            },
            Parsed::Invalid(a) => cx.anomaly(a),
            // A datagram shorter than a message header.
            Parsed::Incomplete { .. } => cx.anomaly(super::parser::anomaly::BAD_LENGTH),
        }
        Progress::Consumed(data.len() as u64)
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        if self.emitted || self.first_ns.is_none() {
            return;
        }
        self.emitted = true;
        cx.emit(WireguardRecord {
            id: cx.key(self.first_ns.unwrap_or(cx.ts_ns)),
            initiations: self.initiations,
            responses: self.responses,
            orig_data: self.data[0],
            resp_data: self.data[1],
            sender_index: self.sender.map(|s| format!("{s:08x}")),
        });
    }
}
