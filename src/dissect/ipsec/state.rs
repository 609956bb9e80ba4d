//! Per-flow IPsec state: one [`IpsecRecord`] per IKE or NAT-T flow, emitted
//! when the flow ends.

use serde::Serialize;

use super::parser::{Datagram, IKE_PORT, NAT_T_PORT, parse_datagram, parse_ike};
use crate::decode::ipproto;
use crate::dissect::{
    Cx, Direction, Dissector, JoinKey, Parsed, Probe, ProbeCtx, Progress, Record, Session,
};
use crate::record::facet::Facets;

/// One IPsec flow: IKE on UDP 500, or IKE and ESP on UDP 4500.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IpsecRecord {
    /// Join key; `ts` is the flow's first datagram.
    #[serde(flatten)]
    pub id: JoinKey,
    /// IKE's major version (1 or 2), from the first IKE message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ike_version: Option<u8>,
    /// IKE messages, both ways.
    pub ike_messages: u32,
    /// The first IKE message's initiator SPI, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiator_spi: Option<String>,
    /// ESP packets from the originator.
    pub orig_esp: u64,
    /// ESP packets from the responder.
    pub resp_esp: u64,
    /// The flow is on UDP 4500 (behind a NAT).
    pub nat_t: bool,
}

impl Record for IpsecRecord {
    fn protocol(&self) -> &'static str {
        "ipsec"
    }
    fn key(&self) -> &JoinKey {
        &self.id
    }

    /// The tunnel itself is what a box sees: selectable by its kind
    /// (`on = ["ipsec"]`) and the gateway's address.
    fn facets(&self, _: &mut Facets) -> bool {
        true
    }
}

/// The IPsec dissector.
pub struct Ipsec;

/// The registry's instance.
pub static IPSEC: Ipsec = Ipsec;

impl Dissector for Ipsec {
    fn readable(&self) -> crate::dissect::Readable {
        crate::dissect::Readable::Tunnel
    }

    fn name(&self) -> &'static str {
        "ipsec"
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
            "ike_version",
            "ike_messages",
            "initiator_spi",
            "orig_esp",
            "resp_esp",
            "nat_t",
        ]
    }

    fn probe(&self, ctx: &ProbeCtx, _dir: Direction, data: &[u8]) -> Probe {
        if ctx.proto != ipproto::UDP {
            return Probe::No;
        }
        let ok = if ctx.port(NAT_T_PORT) {
            parse_datagram(data, true).value().is_some()
        } else {
            ctx.port(IKE_PORT) && parse_ike(data).value().is_some()
        };
        if ok { Probe::Yes } else { Probe::No }
    }

    fn start(&self) -> Box<dyn Session> {
        Box::<IpsecSession>::default()
    }
}

#[derive(Default)]
struct IpsecSession {
    first_ns: Option<i64>,
    version: Option<u8>,
    ike: u32,
    spi: Option<u64>,
    esp: [u64; 2],
    nat_t: bool,
    emitted: bool,
}

impl Session for IpsecSession {
    fn feed(&mut self, cx: &mut Cx<'_>, dir: Direction, data: &[u8]) -> Progress {
        if self.first_ns.is_none() {
            self.first_ns = Some(cx.ts_ns);
            self.nat_t = cx.ends.orig_p == NAT_T_PORT || cx.ends.resp_p == NAT_T_PORT;
        }
        match parse_datagram(data, self.nat_t) {
            Parsed::Done { value, .. } => match value {
                Datagram::Ike(h) => {
                    self.ike = self.ike.saturating_add(1);
                    self.version.get_or_insert(h.version);
                    self.spi.get_or_insert(h.spi_i);
                }
                Datagram::Esp { .. } => {
                    self.esp[usize::from(dir == Direction::ToOriginator)] += 1;
                }
                Datagram::Keepalive => {}
            },
            Parsed::Invalid(a) => cx.anomaly(a),
            Parsed::Incomplete { .. } => {}
        }
        Progress::Consumed(data.len() as u64)
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        if self.emitted || self.first_ns.is_none() {
            return;
        }
        self.emitted = true;
        cx.emit(IpsecRecord {
            id: cx.key(self.first_ns.unwrap_or(cx.ts_ns)),
            ike_version: self.version,
            ike_messages: self.ike,
            initiator_spi: self.spi.map(|s| format!("{s:016x}")),
            orig_esp: self.esp[0],
            resp_esp: self.esp[1],
            nat_t: self.nat_t,
        });
    }
}
