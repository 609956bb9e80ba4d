//! Observations: the compact, typed view of a record that black boxes match on.
//!
//! The pipeline writes records as JSON or CSV for people; a simulation keeps, for
//! every record, only what a box can select on and what its retention costs: who
//! (the subscriber and the other end), when, what kind of record, its facets (a
//! host, a party, a hash, a volume... as each protocol's folder declares them,
//! [`crate::record::facet`]) and how many bytes the record holds. Observations are
//! built by the workers when a run asks for them ([`crate::pipeline::Config::keep`])
//! and sorted into one time-ordered stream, the same for any thread count.

use crate::decode::Addr;
use crate::dissect::{AnyRecord, registry};
use crate::flow::Subscribers;
use crate::record::FlowRecord;

pub use crate::record::facet::{Facet, Facets, HashKind, Medium, Role, Scope};

/// One record, reduced to what a black box needs.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Observation {
    /// When it happened (a flow's first packet; an application record's own time), ns.
    pub ts_ns: i64,
    /// The flow it belongs to.
    pub flow_id: u64,
    /// Order among the observations of one flow (the flow itself is 0).
    pub seq: u32,
    /// The monitored subscriber concerned, if either end is one (the originator
    /// when both are).
    pub subscriber: Option<Addr>,
    /// The subscriber's port (0 without a subscriber, or for ICMP).
    pub subscriber_port: u16,
    /// The subscriber answered the flow (a server of a host's), rather than
    /// opened it.
    pub inbound: bool,
    /// For a flow: the protocol whose dissector claimed it (`None`: none did).
    pub app: Option<Kind>,
    /// The other end.
    pub peer: Addr,
    /// The other end's port.
    pub peer_port: u16,
    /// IP protocol.
    pub proto: u8,
    /// Bytes of the metadata record as ivraie writes it (JSON): what a box keeping
    /// this record stores.
    pub record_bytes: u32,
    /// The kind of record: a flow, or a protocol's record.
    pub kind: Kind,
    /// What a box can see in it.
    pub facets: Vec<Facet>,
}

/// The kind of an observation's record: `flow`, or a registered protocol's
/// (by the word rules use: `dns`, `tls`, `call`, `mail`, `torrent`...).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Kind(u8);

impl Kind {
    /// A flow record.
    pub const FLOW: Kind = Kind(0);

    /// Every kind, flows first, then the protocols in registry order.
    pub fn all() -> impl Iterator<Item = Kind> {
        (0..=registry().len()).map(|i| Kind(i as u8))
    }

    /// The kind of a protocol's records (`protocol` as records name it).
    pub fn of_protocol(protocol: &str) -> Option<Kind> {
        registry()
            .iter()
            .position(|d| d.name() == protocol)
            .map(|i| Kind(i as u8 + 1))
    }

    /// The kind a rule's word names (`flow`, `dns`, `call`...).
    pub fn named(word: &str) -> Option<Kind> {
        Kind::all().find(|k| k.name() == word)
    }

    /// The word rules use for it.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "flow",
            i => registry().get(usize::from(i) - 1).map_or("?", |d| d.kind()),
        }
    }

    /// The least data scope a box needs to see records of this kind.
    pub fn scope(self) -> Scope {
        match self.0 {
            0 => Scope::Connection,
            i => registry()
                .get(usize::from(i) - 1)
                .map_or(Scope::Connection, |d| d.scope()),
        }
    }

    /// How much a box can read of its flows (`None` for the flow kind).
    pub fn readable(self) -> Option<crate::dissect::Readable> {
        match self.0 {
            0 => None,
            i => registry().get(usize::from(i) - 1).map(|d| d.readable()),
        }
    }

    /// Its bit in a set of kinds (at most 64 kinds).
    pub fn bit(self) -> u64 {
        1u64 << (self.0 & 63)
    }
}

impl Observation {
    /// The host the record names (DNS query, SNI, HTTP Host...), if any.
    pub fn host(&self) -> Option<&str> {
        self.facets.iter().find_map(|f| match f {
            Facet::Host(h) => Some(&**h),
            _ => None,
        })
    }

    /// Packets and wire bytes, for records that carry them (flows).
    pub fn volume(&self) -> Option<(u64, u64)> {
        self.facets.iter().find_map(|f| match f {
            Facet::Volume { packets, bytes } => Some((*packets, *bytes)),
            _ => None,
        })
    }

    /// How long it lasted, ns, when known.
    pub fn duration_ns(&self) -> Option<i64> {
        self.facets.iter().find_map(|f| match f {
            Facet::Duration(d) => Some(*d),
            _ => None,
        })
    }

    /// How many events it counts for (one unless the record says).
    pub fn count(&self) -> u32 {
        self.facets
            .iter()
            .find_map(|f| match f {
                Facet::Count(n) => Some(*n),
                _ => None,
            })
            .unwrap_or(1)
    }
}

/// The subscriber of a flow and its port, and its other end and its port.
fn sides(
    subs: &Subscribers,
    orig: Addr,
    orig_p: u16,
    resp: Addr,
    resp_p: u16,
) -> (Option<Addr>, u16, Addr, u16) {
    if subs.contains(&orig) {
        (Some(orig), orig_p, resp, resp_p)
    } else if subs.contains(&resp) {
        (Some(resp), resp_p, orig, orig_p)
    } else {
        (None, 0, resp, resp_p)
    }
}

impl Observation {
    /// The observation of a flow record.
    pub fn of_flow(r: &FlowRecord) -> Observation {
        let (subscriber, subscriber_port, peer, peer_port) = match r.subscriber {
            Some(s) if s == r.resp_h && s != r.orig_h => (Some(s), r.resp_p, r.orig_h, r.orig_p),
            Some(s) => (Some(s), r.orig_p, r.resp_h, r.resp_p),
            None => (None, 0, r.resp_h, r.resp_p),
        };
        let inbound = subscriber.is_some() && subscriber == Some(r.resp_h) && r.resp_h != r.orig_h;
        Observation {
            // The record's `ts`, which keeps the microsecond.
            ts_ns: r.first_ns.div_euclid(1000) * 1000,
            flow_id: r.flow_id,
            seq: 0,
            subscriber,
            subscriber_port,
            inbound,
            // Set by the worker, which knows whether a dissector claimed it.
            app: None,
            peer,
            peer_port,
            proto: r.proto.0,
            record_bytes: (r.json_len() + 1) as u32,
            kind: Kind::FLOW,
            facets: vec![
                Facet::Volume {
                    packets: r.orig_pkts + r.resp_pkts,
                    bytes: r.orig_bytes + r.resp_bytes,
                },
                Facet::Duration(r.last_ns - r.first_ns),
            ],
        }
    }

    /// The observation of an application record, or `None` for records no box
    /// selects on (e.g. a SIP REGISTER, a DNS answer-only record without a name).
    /// `written`: the record's JSON line length when the caller has written it.
    pub fn of_record(
        r: &AnyRecord,
        subs: &Subscribers,
        written: Option<usize>,
    ) -> Option<Observation> {
        let kind = Kind::of_protocol(r.protocol)?;
        let mut facets = Facets::default();
        if !r.facets(&mut facets) {
            return None;
        }
        let e = &r.ends;
        let (subscriber, subscriber_port, peer, peer_port) =
            sides(subs, e.orig_h, e.orig_p, e.resp_h, e.resp_p);
        let inbound = subscriber.is_some() && subscriber == Some(e.resp_h) && e.resp_h != e.orig_h;
        let record_bytes = written.unwrap_or_else(|| r.json_len() + 1) as u32;
        Some(Observation {
            ts_ns: r.ts_ns,
            flow_id: r.flow_id,
            seq: r.seq + 1,
            subscriber,
            subscriber_port,
            inbound,
            app: None,
            peer,
            peer_port,
            proto: e.proto,
            record_bytes,
            kind,
            facets: facets.0,
        })
    }

    /// The order of the stream: time, then flow, then position in the flow.
    pub fn sort_key(&self) -> (i64, u64, u32) {
        (self.ts_ns, self.flow_id, self.seq)
    }
}
