//! Per-flow OpenVPN state: one [`OpenvpnRecord`] per tunnel flow, emitted
//! when the flow ends.

use serde::Serialize;

use super::parser::{Packet, anomaly, is_plain_client_reset, opcode, parse_packet, tcp_frame};
use crate::decode::ipproto;
use crate::dissect::{
    Cx, Direction, Dissector, JoinKey, Parsed, Probe, ProbeCtx, Progress, Record, Session,
};
use crate::record::facet::Facets;

/// OpenVPN's registered port.
pub const PORT: u16 = 1194;

/// One OpenVPN tunnel flow.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpenvpnRecord {
    /// Join key; `ts` is the flow's first packet.
    #[serde(flatten)]
    pub id: JoinKey,
    /// Hard resets from the client (a session opened).
    pub client_resets: u32,
    /// Control-channel packets (handshake fragments, resets, ACKs), both ways.
    pub control: u32,
    /// Data packets from the originator.
    pub orig_data: u64,
    /// Data packets from the responder.
    pub resp_data: u64,
    /// The client's first session id, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

impl Record for OpenvpnRecord {
    fn protocol(&self) -> &'static str {
        "openvpn"
    }
    fn key(&self) -> &JoinKey {
        &self.id
    }

    /// The tunnel itself is what a box sees: selectable by its kind
    /// (`on = ["openvpn"]`) and the server's address and port.
    fn facets(&self, _: &mut Facets) -> bool {
        true
    }
}

/// The OpenVPN dissector.
pub struct Openvpn;

/// The registry's instance.
pub static OPENVPN: Openvpn = Openvpn;

/// Whether one packet is enough to claim the flow.
fn claims(ctx: &ProbeCtx, p: &[u8]) -> bool {
    is_plain_client_reset(p) || (ctx.port(PORT) && parse_packet(p).value().is_some())
}

impl Dissector for Openvpn {
    fn readable(&self) -> crate::dissect::Readable {
        crate::dissect::Readable::Tunnel
    }

    fn name(&self) -> &'static str {
        "openvpn"
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
            "client_resets",
            "control",
            "orig_data",
            "resp_data",
            "session_id",
        ]
    }

    fn probe(&self, ctx: &ProbeCtx, _dir: Direction, data: &[u8]) -> Probe {
        match ctx.proto {
            ipproto::UDP if claims(ctx, data) => Probe::Yes,
            ipproto::TCP => match tcp_frame(data) {
                Parsed::Done { value, .. } if claims(ctx, value) => Probe::Yes,
                // A reset's frame is at most 66 bytes: wait only for that.
                Parsed::Incomplete { .. }
                    if data.len() < 66
                        && (ctx.port(PORT)
                            || data.len() < 3
                            || data[2] >> 3 == opcode::HARD_RESET_CLIENT_V2) =>
                {
                    Probe::NeedMore
                }
                _ => Probe::No,
            },
            _ => Probe::No,
        }
    }

    fn start(&self) -> Box<dyn Session> {
        Box::<OvpnSession>::default()
    }
}

#[derive(Default)]
struct OvpnSession {
    first_ns: Option<i64>,
    client_resets: u32,
    control: u32,
    data: [u64; 2],
    session: Option<u64>,
    emitted: bool,
}

impl OvpnSession {
    fn packet(&mut self, cx: &mut Cx<'_>, dir: Direction, p: &[u8]) {
        match parse_packet(p) {
            Parsed::Done { value, .. } => self.count(dir, value),
            Parsed::Invalid(a) => cx.anomaly(a),
            Parsed::Incomplete { .. } => cx.anomaly(anomaly::BAD_LENGTH),
        }
    }

    fn count(&mut self, dir: Direction, p: Packet) {
        if p.is_data() {
            self.data[usize::from(dir == Direction::ToOriginator)] += 1;
            return;
        }
        self.control = self.control.saturating_add(1);
        if p.is_client_reset() {
            self.client_resets = self.client_resets.saturating_add(1);
            if self.session.is_none() {
                self.session = p.session;
            }
        }
    }
}

impl Session for OvpnSession {
    fn feed(&mut self, cx: &mut Cx<'_>, dir: Direction, data: &[u8]) -> Progress {
        self.first_ns.get_or_insert(cx.ts_ns);
        if cx.ends.proto != ipproto::TCP {
            self.packet(cx, dir, data);
            return Progress::Consumed(data.len() as u64);
        }
        let mut used = 0;
        loop {
            match tcp_frame(&data[used..]) {
                Parsed::Done { value, consumed } => {
                    self.packet(cx, dir, value);
                    used += consumed;
                }
                Parsed::Incomplete { .. } => break,
                Parsed::Invalid(a) => {
                    cx.anomaly(a);
                    return Progress::Done;
                }
            }
        }
        Progress::Consumed(used as u64)
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        if self.emitted || self.first_ns.is_none() {
            return;
        }
        self.emitted = true;
        cx.emit(OpenvpnRecord {
            id: cx.key(self.first_ns.unwrap_or(cx.ts_ns)),
            client_resets: self.client_resets,
            control: self.control,
            orig_data: self.data[0],
            resp_data: self.data[1],
            session_id: self.session.map(|s| format!("{s:016x}")),
        });
    }
}
