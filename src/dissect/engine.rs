//! The per-flow application state: probe, claim, reassemble, feed, finish.
//!
//! A [`FlowApp`] lives in the flow table beside each flow. Until a dissector
//! claims the flow, every registered [`Dissector`] is asked, in registry order,
//! about the first bytes each side sent (TCP: the reassembled stream; UDP: each
//! datagram); the first to answer [`Probe::Yes`] gets a [`Session`]. When all
//! answer [`Probe::No`], or after [`PROBE_BYTES`] / [`PROBE_PACKETS`] without an
//! answer, the flow is left alone and costs nothing more. When the flow ends,
//! the session is finished and the claimed protocol names the flow's `app`.

use std::collections::BTreeMap;

use super::prefix;
use super::stream::{Stream, counter};
use super::{
    AnyRecord, Cx, Direction, Dissector, Prepared, Preparer, Probe, ProbeCtx, Progress, Session,
    registry,
};
use crate::decode::ipproto;
use crate::flow::FlowEnds;
use crate::flow::tcp_flag;

/// Bytes of one direction of a TCP stream looked at before giving up probing.
pub const PROBE_BYTES: usize = 4096;
/// Payload packets of a flow looked at before giving up probing.
pub const PROBE_PACKETS: u8 = 16;

enum Claim {
    Probing {
        packets: u8,
    },
    Claimed {
        dissector: &'static dyn Dissector,
        session: Box<dyn Session>,
        done: bool,
    },
    Off,
}

/// What a tunnel carries (after an HTTP `CONNECT`): the first dissector whose
/// probe accepts its next bytes, then that dissector's session.
#[derive(Default)]
struct Tunnel {
    inner: Option<Box<dyn Session>>,
}

impl Session for Tunnel {
    fn feed(&mut self, cx: &mut Cx<'_>, dir: Direction, data: &[u8]) -> Progress {
        if self.inner.is_none() {
            let ctx = ProbeCtx {
                proto: cx.ends.proto,
                orig_p: cx.ends.orig_p,
                resp_p: cx.ends.resp_p,
            };
            let mut undecided = false;
            for d in registry() {
                match d.probe(&ctx, dir, data) {
                    Probe::Yes => {
                        self.inner = Some(d.start());
                        break;
                    }
                    Probe::NeedMore => undecided = true,
                    Probe::No => {}
                }
            }
            if self.inner.is_none() {
                if undecided && data.len() < PROBE_BYTES {
                    return Progress::Consumed(0);
                }
                cx.anomaly("tunnel.unknown_protocol");
                return Progress::Done;
            }
        }
        match self.inner.as_mut() {
            Some(s) => s.feed(cx, dir, data),
            None => Progress::Done,
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        if let Some(s) = self.inner.as_mut() {
            s.finish(cx);
        }
    }

    fn gap(&mut self, cx: &mut Cx<'_>, dir: Direction) -> bool {
        self.inner.as_mut().is_some_and(|s| s.gap(cx, dir))
    }
}

/// Application state of one flow.
pub struct FlowApp {
    claim: Claim,
    /// TCP reassembly, by direction (to responder, to originator); allocated on
    /// the first TCP segment that carries data.
    streams: Option<Box<[Stream; 2]>>,
    /// Before that, where each direction's data will start, as a SYN said: a
    /// handshake alone (a SYN flood is nothing else) allocates no stream.
    first_seq: [Option<u32>; 2],
    /// Records emitted so far (orders records of the same flow and time).
    seq: u32,
}

impl Default for FlowApp {
    fn default() -> Self {
        FlowApp {
            claim: Claim::Probing { packets: 0 },
            streams: None,
            first_seq: [None; 2],
            seq: 0,
        }
    }
}

/// Where a worker collects what sessions produce.
#[derive(Default)]
pub struct Collect {
    /// Records, numbered per flow.
    pub records: Vec<AnyRecord>,
    /// Anomalies by name.
    pub anomalies: BTreeMap<&'static str, u64>,
}

/// A TCP segment's sequence facts.
#[derive(Clone, Copy, Debug)]
pub struct TcpSeg {
    /// Sequence number.
    pub seq: u32,
    /// Flags byte.
    pub flags: u8,
}

fn dir_index(d: Direction) -> usize {
    match d {
        Direction::ToResponder => 0,
        Direction::ToOriginator => 1,
    }
}

impl FlowApp {
    /// The protocol that claimed the flow, if any.
    pub fn protocol(&self) -> Option<&'static str> {
        match &self.claim {
            Claim::Claimed { dissector, .. } => Some(dissector.name()),
            _ => None,
        }
    }

    /// What reads this flow's datagrams ahead, if a dissector claimed it,
    /// still wants them, and has one ([`Dissector::preparer`]).
    pub fn preparer(&self) -> Option<Preparer> {
        match &self.claim {
            Claim::Claimed {
                dissector,
                done: false,
                ..
            } => dissector.preparer(),
            _ => None,
        }
    }

    /// Whether nothing more will be done for this flow.
    pub fn is_off(&self) -> bool {
        matches!(self.claim, Claim::Off | Claim::Claimed { done: true, .. })
    }

    /// One packet of the flow. `tcp` is set for TCP segments (even empty ones:
    /// the SYN tells where the stream starts).
    pub fn on_packet(
        &mut self,
        ends: FlowEnds,
        from_orig: bool,
        ts_ns: i64,
        tcp: Option<TcpSeg>,
        payload: &[u8],
        out: &mut Collect,
    ) {
        if self.is_off() {
            return;
        }
        let dir = Direction::from_orig(from_orig);
        let before = out.records.len();
        match tcp {
            Some(seg) if ends.proto == ipproto::TCP => {
                let syn = seg.flags & tcp_flag::SYN != 0;
                if payload.is_empty() && self.streams.is_none() {
                    // What `Stream::push` would note of an empty segment.
                    let next = Stream::data_start(seg.seq, syn);
                    let first = &mut self.first_seq[dir_index(dir)];
                    if syn {
                        // A new SYN (a client retrying with another initial
                        // sequence number): the data follows the last one.
                        *first = Some(next);
                    } else {
                        first.get_or_insert(next);
                    }
                    return;
                }
                let first = self.first_seq;
                let streams = self
                    .streams
                    .get_or_insert_with(|| Box::new(first.map(Stream::expecting)));
                let s = &mut streams[dir_index(dir)];
                s.push(seg.seq, syn, payload, &mut counter(&mut out.anomalies));
                if !payload.is_empty() {
                    self.on_gap(ends, dir, ts_ns, out);
                    self.drive_stream(ends, dir, ts_ns, out);
                }
            }
            _ if !payload.is_empty() => self.datagram(ends, dir, ts_ns, payload, None, out),
            _ => {}
        }
        self.number(&mut out.records[before..]);
    }

    /// One datagram (non-empty, not TCP) with what the claiming dissector's
    /// [`Preparer`] read of it ahead: the same as
    /// [`FlowApp::on_packet`], without reading it again.
    pub fn on_prepared(
        &mut self,
        ends: FlowEnds,
        from_orig: bool,
        ts_ns: i64,
        payload: &[u8],
        prepared: &Prepared,
        out: &mut Collect,
    ) {
        // An empty datagram is nothing to a session, as in `on_packet`.
        if self.is_off() || payload.is_empty() {
            return;
        }
        let dir = Direction::from_orig(from_orig);
        let before = out.records.len();
        self.datagram(ends, dir, ts_ns, payload, Some(prepared), out);
        self.number(&mut out.records[before..]);
    }

    fn number(&mut self, new: &mut [AnyRecord]) {
        for r in new {
            r.seq = self.seq;
            self.seq = self.seq.wrapping_add(1);
        }
    }

    /// Probes all dissectors and updates the claim. Takes the claim alone (not
    /// `self`) so that the probed bytes can be borrowed from the streams.
    fn probe(claim: &mut Claim, ends: FlowEnds, dir: Direction, data: &[u8]) {
        let Claim::Probing { packets } = claim else {
            return;
        };
        *packets += 1;
        let ctx = ProbeCtx {
            proto: ends.proto,
            orig_p: ends.orig_p,
            resp_p: ends.resp_p,
        };
        let mut undecided = false;
        for d in registry() {
            match d.probe(&ctx, dir, data) {
                Probe::Yes => {
                    *claim = Claim::Claimed {
                        dissector: *d,
                        session: d.start(),
                        done: false,
                    };
                    return;
                }
                Probe::NeedMore => undecided = true,
                Probe::No => {}
            }
        }
        // A stream's first bytes decide it. A datagram stands alone: one no
        // dissector knows (a keep-alive, a mangled packet) does not decide
        // the flow, the next ones are tried, up to PROBE_PACKETS.
        let stream = ends.proto == ipproto::TCP;
        if (stream && (!undecided || data.len() >= PROBE_BYTES)) || *packets >= PROBE_PACKETS {
            *claim = Claim::Off;
        }
    }

    fn datagram(
        &mut self,
        ends: FlowEnds,
        dir: Direction,
        ts_ns: i64,
        data: &[u8],
        prepared: Option<&Prepared>,
        out: &mut Collect,
    ) {
        Self::probe(&mut self.claim, ends, dir, data);
        if let Claim::Claimed { session, done, .. } = &mut self.claim {
            let mut cx = Cx::new(ends, ts_ns, &mut out.records, &mut out.anomalies);
            let progress = match prepared {
                Some(p) => session.feed_prepared(&mut cx, dir, data, p),
                None => session.feed(&mut cx, dir, data),
            };
            if progress == Progress::Done {
                *done = true;
            }
        }
    }

    /// If the stream of `dir` jumped a hole where the session was reading,
    /// the session resynchronises or the direction is given up.
    fn on_gap(&mut self, ends: FlowEnds, dir: Direction, ts_ns: i64, out: &mut Collect) {
        let i = dir_index(dir);
        let Some(streams) = self.streams.as_mut() else {
            return;
        };
        if !streams[i].take_gap() {
            return;
        }
        let resync = match &mut self.claim {
            Claim::Claimed {
                session,
                done: false,
                ..
            } => {
                let mut cx = Cx::new(ends, ts_ns, &mut out.records, &mut out.anomalies);
                session.gap(&mut cx, dir)
            }
            _ => false,
        };
        if !resync {
            streams[i].kill();
        }
    }

    fn drive_stream(&mut self, ends: FlowEnds, dir: Direction, ts_ns: i64, out: &mut Collect) {
        let i = dir_index(dir);
        loop {
            let Some(streams) = self.streams.as_mut() else {
                return;
            };
            let pending = streams[i].pending();
            if pending.is_empty() {
                return;
            }
            match &mut self.claim {
                Claim::Probing { .. } => {
                    if let Some(skipped) = prefix::skip(dir, pending) {
                        *out.anomalies.entry(skipped.what).or_default() += 1;
                        streams[i].consume(skipped.len as u64);
                        continue;
                    }
                    Self::probe(&mut self.claim, ends, dir, pending);
                    match self.claim {
                        Claim::Off => {
                            self.streams = None;
                            return;
                        }
                        Claim::Probing { .. } => return,
                        Claim::Claimed { .. } => {}
                    }
                }
                Claim::Claimed { session, done, .. } => {
                    if *done {
                        return;
                    }
                    let mut cx = Cx::new(ends, ts_ns, &mut out.records, &mut out.anomalies);
                    match session.feed(&mut cx, dir, pending) {
                        Progress::Consumed(0) => return,
                        Progress::Consumed(n) => streams[i].consume(n),
                        Progress::Handover(n, to) => {
                            streams[i].consume(n);
                            session.finish(&mut cx);
                            if to == super::TUNNEL {
                                *session = Box::<Tunnel>::default();
                                continue;
                            }
                            match registry().iter().find(|d| d.name() == to) {
                                Some(next) => *session = next.start(),
                                None => {
                                    *done = true;
                                    self.streams = None;
                                    return;
                                }
                            }
                        }
                        Progress::Done => {
                            *done = true;
                            self.streams = None;
                            return;
                        }
                    }
                }
                Claim::Off => return,
            }
        }
    }

    /// The flow ended: finishes the session. Returns the claimed protocol.
    pub fn finish(
        &mut self,
        ends: FlowEnds,
        ts_ns: i64,
        out: &mut Collect,
    ) -> Option<&'static str> {
        let before = out.records.len();
        // Bytes held behind holes are read before the session finishes, one
        // hole at a time (the session reads what lies between two holes).
        for dir in [Direction::ToResponder, Direction::ToOriginator] {
            while let Some(s) = self.streams.as_mut().map(|s| &mut s[dir_index(dir)]) {
                if s.is_dead() || !s.has_held() {
                    break;
                }
                s.jump(&mut counter(&mut out.anomalies));
                self.on_gap(ends, dir, ts_ns, out);
                self.drive_stream(ends, dir, ts_ns, out);
            }
        }
        self.streams = None;
        let name = match &mut self.claim {
            Claim::Claimed {
                dissector, session, ..
            } => {
                let mut cx = Cx::new(ends, ts_ns, &mut out.records, &mut out.anomalies);
                session.finish(&mut cx);
                Some(dissector.name())
            }
            _ => None,
        };
        self.number(&mut out.records[before..]);
        name
    }
}
