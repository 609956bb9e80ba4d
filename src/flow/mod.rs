//! Bidirectional flows: the key, the subscriber ranges, and a bounded flow table.
//!
//! A flow is keyed by its canonical 5-tuple ([`FlowKey`]: the lower address/port
//! pair first), so both directions land on one entry. The table holds at most a
//! fixed number of flows; a flow ends on TCP FIN from both sides or RST (after a
//! short linger for the last ACKs), after an idle timeout that depends on the
//! protocol, after an active timeout (the rest continues in a new record, as
//! NetFlow does), or when the table is full and it is the stalest of a sample
//! (counted as an eviction).
//!
//! Records depend only on each flow's own packets, never on when the table
//! happened to sweep, so output does not depend on how packets were sharded
//! across workers — as long as the cap is not hit. Under cap pressure, which flow
//! is evicted depends on the other flows of the same table.
//!
//! This module knows nothing about what a black box wants. Next step:
//! [`crate::record::FlowRecord`] and the pipeline's sinks.

use std::hash::BuildHasher;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

use crate::decode::{Addr, Decoded, ipproto};
use crate::record::{
    EndReason, FlowRecord, SubscriberSide, app_guess, proto_name, secs, tcp_flags_str,
};
use index::Index;
pub(crate) use index::prefetch_read;

mod index;

/// TCP flag bits.
pub mod tcp_flag {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// Canonical bidirectional 5-tuple: `(a, pa) <= (b, pb)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct FlowKey {
    /// Lower endpoint address.
    pub a: Addr,
    /// Higher endpoint address.
    pub b: Addr,
    /// Port of `a`.
    pub pa: u16,
    /// Port of `b`.
    pub pb: u16,
    /// IP protocol.
    pub proto: u8,
}

impl FlowKey {
    /// The key of a decoded packet, and whether its source is endpoint `a`.
    #[inline]
    pub fn of(d: &Decoded) -> (FlowKey, bool) {
        let src_is_a = (d.src, d.sport) <= (d.dst, d.dport);
        let key = if src_is_a {
            FlowKey {
                a: d.src,
                b: d.dst,
                pa: d.sport,
                pb: d.dport,
                proto: d.proto,
            }
        } else {
            FlowKey {
                a: d.dst,
                b: d.src,
                pa: d.dport,
                pb: d.sport,
                proto: d.proto,
            }
        };
        (key, src_is_a)
    }

    /// A hash of the key, the same in every run and for both directions.
    #[inline]
    pub fn hash(&self) -> u64 {
        const SEED: u64 = 0x6976_7261_6965; // "ivraie"
        foldhash::fast::FixedState::with_seed(SEED).hash_one(self)
    }
}

/// Hash of one address, for sharding a subscriber's flows onto one worker.
#[inline]
pub fn addr_hash(a: &Addr) -> u64 {
    const SEED: u64 = 0x7375_6273; // "subs"
    foldhash::fast::FixedState::with_seed(SEED).hash_one(a)
}

/// The monitored population: address ranges whose holders are subscribers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscribers {
    nets: Vec<IpNet>,
    /// IPv4 ranges as (network, mask), for the per-packet test.
    v4: Vec<(u32, u32)>,
    /// IPv6 ranges as (network, mask).
    v6: Vec<(u128, u128)>,
}

impl Subscribers {
    /// Private ranges (RFC 1918, RFC 6598 shared/CGNAT space, RFC 4193 unique local):
    /// the default population when none is given.
    pub fn private() -> Self {
        let nets = [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "100.64.0.0/10",
            "fc00::/7",
        ];
        Self::from_nets(
            nets.iter()
                .map(|n| n.parse().expect("literal CIDR"))
                .collect(),
        )
    }

    /// The given ranges.
    pub fn from_nets(nets: Vec<IpNet>) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for n in &nets {
            match n {
                IpNet::V4(n) => v4.push((n.network().to_bits(), n.netmask().to_bits())),
                IpNet::V6(n) => v6.push((n.network().to_bits(), n.netmask().to_bits())),
            }
        }
        Subscribers { nets, v4, v6 }
    }

    /// The ranges.
    pub fn nets(&self) -> &[IpNet] {
        &self.nets
    }

    /// Whether `a` is a subscriber's address.
    #[inline]
    pub fn contains(&self, a: &Addr) -> bool {
        if a.is_v4() {
            let ip = u32::from_be_bytes([a.0[12], a.0[13], a.0[14], a.0[15]]);
            self.v4.iter().any(|&(net, mask)| ip & mask == net)
        } else {
            let ip = u128::from_be_bytes(a.0);
            self.v6.iter().any(|&(net, mask)| ip & mask == net)
        }
    }
}

impl FromStr for Subscribers {
    type Err = String;

    /// Parses `CIDR[,CIDR...]`; a bare address is a /32 or /128.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = match part.parse::<IpNet>() {
                Ok(n) => n.trunc(),
                Err(_) => match part.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => return Err(format!("`{part}` is not a CIDR range or an address")),
                },
            };
            nets.push(net);
        }
        if nets.is_empty() {
            return Err("no subscriber range given".into());
        }
        Ok(Self::from_nets(nets))
    }
}

/// Timeouts and cap of a flow table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowConfig {
    /// Idle timeout for TCP, nanoseconds (Zeek's `tcp_inactivity_timeout`: 5 min).
    pub tcp_idle_ns: i64,
    /// Idle timeout for UDP (1 min).
    pub udp_idle_ns: i64,
    /// Idle timeout for ICMP and other protocols (1 min).
    pub other_idle_ns: i64,
    /// Active timeout: a longer flow is cut into several records (30 min, as NetFlow).
    pub active_ns: i64,
    /// After FIN from both sides or RST, packets within this delay still belong to
    /// the flow (the last ACKs); a new SYN starts a new flow at once.
    pub close_linger_ns: i64,
    /// Most flows held at once.
    pub max_flows: usize,
}

const SEC: i64 = 1_000_000_000;

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            tcp_idle_ns: 300 * SEC,
            udp_idle_ns: 60 * SEC,
            other_idle_ns: 60 * SEC,
            active_ns: 1800 * SEC,
            close_linger_ns: 5 * SEC,
            max_flows: DEFAULT_MAX_FLOWS,
        }
    }
}

/// Default cap on live flows across all workers. A flow entry is about 128
/// bytes plus the hash table's slot, so this bounds the table near 150 MB.
pub const DEFAULT_MAX_FLOWS: usize = 1_000_000;

impl FlowConfig {
    fn idle_ns(&self, proto: u8) -> i64 {
        match proto {
            ipproto::TCP => self.tcp_idle_ns,
            ipproto::UDP => self.udp_idle_ns,
            _ => self.other_idle_ns,
        }
    }
}

/// splitmix64: a fast mixing of a counter into 64 random-looking bits (flow
/// ids here; the generator's numbers).
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A flow's id: a hash of its first packet's time and its canonical 5-tuple,
/// 63 bits (it fits a signed 64-bit column), never 0. Anything that reads the
/// flow's first packet computes the same id, whatever else it read and in
/// whatever order: one process of a cluster, a thread, a single run. Two
/// flows share an id only if their hashes collide (for 10⁸ flows, a chance
/// of about 5 in 10,000 that any pair does); the records' 5-tuple tells
/// such flows apart.
pub fn flow_id(first_ns: i64, key: &FlowKey) -> u64 {
    let a = u128::from_be_bytes(key.a.0);
    let b = u128::from_be_bytes(key.b.0);
    let mut h = mix64(first_ns as u64);
    for w in [
        a as u64,
        (a >> 64) as u64,
        b as u64,
        (b >> 64) as u64,
        (key.pa as u64) << 24 | (key.pb as u64) << 8 | key.proto as u64,
    ] {
        h = mix64(h ^ w);
    }
    (h >> 1).max(1)
}

/// One packet as the flow table sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowPacket {
    /// Timestamp, ns.
    pub ts_ns: i64,
    /// The run's clock when the packet was read: the latest timestamp so far
    /// (at least `ts_ns`). Expiry is decided on this clock, so that captures whose
    /// timestamps step back do not make the output depend on sharding.
    pub now_ns: i64,
    /// Wire length.
    pub wirelen: u32,
    /// Canonical key.
    pub key: FlowKey,
    /// `key.hash()`, computed once by the reader.
    pub hash: u64,
    /// Whether the sender is endpoint `a`.
    pub from_a: bool,
    /// Whether endpoint `a` / `b` is a subscriber.
    pub sub_a: bool,
    /// Whether endpoint `b` is a subscriber.
    pub sub_b: bool,
    /// TCP flags (0 for other protocols).
    pub tcp_flags: u8,
}

/// A live flow. Side 0 is endpoint `a` of the key, side 1 endpoint `b`.
#[derive(Clone, Debug)]
struct Flow {
    key: FlowKey,
    hash: u64,
    /// 0 marks a free slot.
    id: u64,
    first_ns: i64,
    last_ns: i64,
    /// The run's clock ([`FlowPacket::now_ns`]) at the first and the latest
    /// packet: expiry is decided on it, not on the packets' own times, so that
    /// a capture whose timestamps step back (two files merged, a clock reset)
    /// does not make every later packet a flow of its own.
    begun_clock: i64,
    seen_clock: i64,
    /// The run's clock when the flow was closed by FIN/RST.
    closed_ns: Option<i64>,
    pkts: [u64; 2],
    bytes: [u64; 2],
    flags: [u8; 2],
    /// Side of the originator (0 or 1).
    orig: u8,
    sub: [bool; 2],
    rst: bool,
}

/// Counters of a flow table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlowStats {
    /// Flows created.
    pub created: u64,
    /// Flows pushed out of a full table.
    pub evicted: u64,
    /// Most flows held at once.
    pub peak: u64,
}

/// Where a packet landed in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Touched {
    /// Slot of the flow (valid until the flow ends).
    pub slot: usize,
    /// Whether the packet went from originator to responder.
    pub from_orig: bool,
}

/// The originator/responder view of a live flow: the join key of its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowEnds {
    /// The flow's id.
    pub flow_id: u64,
    /// Originator address.
    pub orig_h: Addr,
    /// Originator port.
    pub orig_p: u16,
    /// Responder address.
    pub resp_h: Addr,
    /// Responder port.
    pub resp_p: u16,
    /// IP protocol.
    pub proto: u8,
}

impl FlowRecord {
    /// The flow's originator/responder view.
    pub fn ends(&self) -> FlowEnds {
        FlowEnds {
            flow_id: self.flow_id,
            orig_h: self.orig_h,
            orig_p: self.orig_p,
            resp_h: self.resp_h,
            resp_p: self.resp_p,
            proto: self.proto.0,
        }
    }
}

/// A bounded flow table. Each flow carries a state `S` of the caller's (e.g. an
/// application dissector's), handed back with the flow's record when it ends.
pub struct FlowTable<S = ()> {
    cfg: FlowConfig,
    cap: usize,
    slab: Vec<Flow>,
    states: Vec<S>,
    free: Vec<u32>,
    /// From a flow's hash to its slot. Entries of ended flows are left
    /// behind (see [`FlowTable::remove`]); a lookup checks the slot it finds.
    index: Index,
    /// Flows held.
    live: usize,
    cursor: usize,
    now_ns: i64,
    stats: FlowStats,
}

/// Entries examined per [`FlowTable::sweep`] call (one per batch of packets):
/// enough that ended flows leave the table soon after their timeout.
const SWEEP_STEP: usize = 256;
/// Entries sampled to choose a flow to evict when the table is full: the
/// stalest of 16 consecutive slots after the last victim. Redis's approximate
/// LRU samples 5; under a flood this check runs once per packet, so it must
/// stay a few cache lines.
const EVICT_SAMPLE: usize = 16;
/// Index entries left behind by ended flows that never cause a rebuild of the
/// index: a small table is not rebuilt every few flows.
const STALE_MIN: usize = 4096;
/// How many flows ahead of the one it inserts [`FlowTable::rebuild_index`]
/// prefetches the index.
const REBUILD_AHEAD: usize = 8;

impl<S: Default> FlowTable<S> {
    /// A table holding at most `cap` flows (at least 1).
    pub fn new(cfg: FlowConfig, cap: usize) -> Self {
        let cap = cap.max(1);
        FlowTable {
            cfg,
            cap,
            slab: Vec::new(),
            states: Vec::new(),
            free: Vec::new(),
            index: Index::default(),
            live: 0,
            cursor: 0,
            now_ns: i64::MIN,
            stats: FlowStats::default(),
        }
    }

    /// Flows currently held.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no flow is held.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Counters so far.
    pub fn stats(&self) -> FlowStats {
        self.stats
    }

    /// Why `f` is over at clock `now` (for a packet with `flags`), if it is.
    ///
    /// Each way to end has a deadline; the flow is over once the clock passes the
    /// earliest, and that one is the reason. Because the clock only grows, the
    /// answer does not depend on when the question is asked.
    fn over(&self, f: &Flow, now: i64, flags: u8) -> Option<EndReason> {
        let closed_reason = if f.rst {
            EndReason::Rst
        } else {
            EndReason::Fin
        };
        if f.closed_ns.is_some() && flags & (tcp_flag::SYN | tcp_flag::ACK) == tcp_flag::SYN {
            // A new connection reusing the 5-tuple.
            return Some(closed_reason);
        }
        let mut first = (
            f.seen_clock.saturating_add(self.cfg.idle_ns(f.key.proto)),
            EndReason::Idle,
        );
        if let Some(closed) = f.closed_ns {
            let linger = closed.saturating_add(self.cfg.close_linger_ns);
            if linger <= first.0 {
                first = (linger, closed_reason);
            }
        }
        let active = f.begun_clock.saturating_add(self.cfg.active_ns);
        if active < first.0 {
            first = (active, EndReason::Active);
        }
        (now > first.0).then_some(first.1)
    }

    /// Adds one packet; records of flows that ended meanwhile go to `emit`.
    /// Returns where the packet landed, so the caller can reach the flow's state.
    pub fn update(&mut self, p: &FlowPacket, emit: &mut impl FnMut(FlowRecord, S)) -> Touched {
        self.now_ns = self.now_ns.max(p.now_ns);
        let idx = match self.find(&p.key, p.hash) {
            Some(i) => {
                let f = &self.slab[i as usize];
                if let Some(reason) = self.over(f, self.now_ns, p.tcp_flags) {
                    let state = std::mem::take(&mut self.states[i as usize]);
                    emit(self.record(i as usize, reason), state);
                    self.start(i as usize, p);
                }
                i as usize
            }
            None => {
                if self.live >= self.cap {
                    self.make_room(emit);
                }
                if self.index.len() - self.live > self.live.max(STALE_MIN) {
                    self.rebuild_index();
                }
                let i = match self.free.pop() {
                    Some(i) => i as usize,
                    None => {
                        self.slab.push(Flow::empty());
                        self.states.push(S::default());
                        self.slab.len() - 1
                    }
                };
                self.start(i, p);
                let slab = &self.slab;
                // When the index grows, an entry left behind is rehashed with
                // the hash of whatever flow now holds its slot (or its old
                // one, if none): it still points only at that slot.
                self.index
                    .insert(p.hash, i as u32, |j| slab[j as usize].hash);
                self.live += 1;
                self.stats.peak = self.stats.peak.max(self.live as u64);
                i
            }
        };
        let f = &mut self.slab[idx];
        let side = usize::from(!p.from_a);
        f.pkts[side] += 1;
        f.bytes[side] += p.wirelen as u64;
        f.last_ns = f.last_ns.max(p.ts_ns);
        f.seen_clock = f.seen_clock.max(p.now_ns);
        if p.key.proto == ipproto::TCP {
            f.flags[side] |= p.tcp_flags;
            if p.tcp_flags & tcp_flag::RST != 0 {
                f.rst = true;
                f.closed_ns = Some(p.now_ns);
            } else if f.closed_ns.is_none() && f.flags[0] & f.flags[1] & tcp_flag::FIN != 0 {
                f.closed_ns = Some(p.now_ns);
            }
        }
        Touched {
            slot: idx,
            from_orig: side == f.orig as usize,
        }
    }

    /// The slot of the flow `key` (hashed `hash`), if it is held.
    fn find(&self, key: &FlowKey, hash: u64) -> Option<u32> {
        let slab = &self.slab;
        // An entry left behind by an ended flow points at a free slot, or at
        // a slot another flow took since: both fail this check.
        self.index.find(hash, |i| {
            let f = &slab[i as usize];
            f.id != 0 && f.key == *key
        })
    }

    /// Starts bringing in the cache line a lookup of `hash` reads first:
    /// called for a packet a few places ahead of the one being added (see
    /// the `index` module).
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        self.index.prefetch(hash);
    }

    /// The state of the flow `key` (hashed `hash`), if it is held; the table
    /// is not changed.
    pub fn get(&self, key: &FlowKey, hash: u64) -> Option<&S> {
        self.find(key, hash).map(|i| &self.states[i as usize])
    }

    /// The state of the flow in `slot` (see [`Touched`]).
    #[inline]
    pub fn state_mut(&mut self, slot: usize) -> &mut S {
        &mut self.states[slot]
    }

    /// The originator/responder view of the flow in `slot`.
    pub fn ends(&self, slot: usize) -> FlowEnds {
        let f = &self.slab[slot];
        let (o, r) = if f.orig == 0 { (0, 1) } else { (1, 0) };
        let addr = |s: usize| if s == 0 { f.key.a } else { f.key.b };
        let port = |s: usize| if s == 0 { f.key.pa } else { f.key.pb };
        FlowEnds {
            flow_id: f.id,
            orig_h: addr(o),
            orig_p: port(o),
            resp_h: addr(r),
            resp_p: port(r),
            proto: f.key.proto,
        }
    }

    /// (Re)initialises slot `i` for a flow starting with `p`.
    fn start(&mut self, i: usize, p: &FlowPacket) {
        self.stats.created += 1;
        let from = u8::from(!p.from_a);
        // A SYN-ACK first means we missed the SYN: the other side originated.
        let synack = p.key.proto == ipproto::TCP
            && p.tcp_flags & (tcp_flag::SYN | tcp_flag::ACK) == (tcp_flag::SYN | tcp_flag::ACK);
        self.slab[i] = Flow {
            key: p.key,
            hash: p.hash,
            id: flow_id(p.ts_ns, &p.key),
            first_ns: p.ts_ns,
            last_ns: p.ts_ns,
            begun_clock: p.now_ns,
            seen_clock: p.now_ns,
            closed_ns: None,
            pkts: [0; 2],
            bytes: [0; 2],
            flags: [0; 2],
            orig: if synack { 1 - from } else { from },
            sub: [p.sub_a, p.sub_b],
            rst: false,
        };
    }

    /// Frees a slot: expires a flow that is over if the sample has one, else
    /// evicts the one idle the longest.
    fn make_room(&mut self, emit: &mut impl FnMut(FlowRecord, S)) {
        let n = self.slab.len();
        let mut stalest: Option<(i64, usize)> = None;
        for k in 0..EVICT_SAMPLE.min(n) {
            let i = (self.cursor + k) % n;
            let f = &self.slab[i];
            if f.id == 0 {
                continue;
            }
            if let Some(reason) = self.over(f, self.now_ns, 0) {
                self.cursor = (i + 1) % n;
                return self.remove(i, reason, emit);
            }
            if stalest.is_none_or(|(t, _)| f.seen_clock < t) {
                stalest = Some((f.seen_clock, i));
            }
        }
        if let Some((_, i)) = stalest {
            self.cursor = (i + 1) % n;
            self.stats.evicted += 1;
            self.remove(i, EndReason::Evicted, emit);
        }
    }

    fn remove(&mut self, i: usize, reason: EndReason, emit: &mut impl FnMut(FlowRecord, S)) {
        let state = std::mem::take(&mut self.states[i]);
        emit(self.record(i, reason), state);
        // The flow's index entry stays behind: finding it again would read
        // two cold cache lines (the entry's control byte and its value), the
        // largest cost of a flood, where every packet evicts a flow. Lookups
        // skip it; `rebuild_index` drops it with the others.
        self.slab[i].id = 0;
        self.free.push(i as u32);
        self.live -= 1;
    }

    /// Rebuilds the index from the live flows, dropping the entries ended
    /// flows left behind. Called when those outnumber the live flows (and
    /// [`STALE_MIN`]), so that its cost, one insertion per live flow, is
    /// less than one per flow ended since the last rebuild; and the
    /// insertions do not depend on each other, so their cache misses overlap,
    /// where removals one at a time each waited for theirs.
    fn rebuild_index(&mut self) {
        self.index.clear();
        let slab = &self.slab;
        for (i, f) in slab.iter().enumerate() {
            // Each insertion lands at a random place: ask for it early.
            if let Some(ahead) = slab.get(i + REBUILD_AHEAD) {
                self.index.prefetch(ahead.hash);
            }
            if f.id != 0 {
                self.index
                    .insert(f.hash, i as u32, |j| slab[j as usize].hash);
            }
        }
    }

    /// The first packet's time of the oldest flow still held (over by the
    /// clock or not), or `None` when the table is empty: no record this table
    /// emits later can be older. One pass over the table.
    pub fn oldest_start_ns(&self) -> Option<i64> {
        self.slab
            .iter()
            .filter(|f| f.id != 0)
            .map(|f| f.first_ns)
            .min()
    }

    /// Advances the clock without a packet (e.g. to the run's clock at the end of
    /// a batch of packets that went to other tables).
    pub fn advance(&mut self, now_ns: i64) {
        self.now_ns = self.now_ns.max(now_ns);
    }

    /// Expires, among the next few entries, the flows that are over by the
    /// clock. Call it now and then (e.g. once per batch).
    pub fn sweep(&mut self, emit: &mut impl FnMut(FlowRecord, S)) {
        let n = self.slab.len();
        if n == 0 {
            return;
        }
        for _ in 0..SWEEP_STEP.min(n) {
            let i = self.cursor % n;
            self.cursor = (i + 1) % n;
            let f = &self.slab[i];
            if f.id != 0 {
                if let Some(reason) = self.over(f, self.now_ns, 0) {
                    self.remove(i, reason, emit);
                }
            }
        }
    }

    /// Ends every flow (end of input): those over by the clock with their reason,
    /// the others with [`EndReason::Eof`].
    pub fn drain(&mut self, emit: &mut impl FnMut(FlowRecord, S)) {
        for i in 0..self.slab.len() {
            if self.slab[i].id != 0 {
                let f = &self.slab[i];
                // A flow closed by FIN or RST ended that way even if the input
                // stops within the linger; `eof` is for flows still open.
                let closed = f.closed_ns.map(|_| {
                    if f.rst {
                        EndReason::Rst
                    } else {
                        EndReason::Fin
                    }
                });
                let reason = self
                    .over(f, self.now_ns, 0)
                    .or(closed)
                    .unwrap_or(EndReason::Eof);
                self.remove(i, reason, emit);
            }
        }
        self.slab.clear();
        self.states.clear();
        self.free.clear();
        self.index.clear();
        self.cursor = 0;
    }

    fn record(&self, i: usize, end: EndReason) -> FlowRecord {
        let f = &self.slab[i];
        let o = f.orig as usize;
        let r = 1 - o;
        let addr = |s: usize| if s == 0 { f.key.a } else { f.key.b };
        let port = |s: usize| if s == 0 { f.key.pa } else { f.key.pb };
        let (subscriber, subscriber_side) = match (f.sub[o], f.sub[r]) {
            (true, true) => (Some(addr(o)), Some(SubscriberSide::Both)),
            (true, false) => (Some(addr(o)), Some(SubscriberSide::Orig)),
            (false, true) => (Some(addr(r)), Some(SubscriberSide::Resp)),
            (false, false) => (None, None),
        };
        let is_tcp = f.key.proto == ipproto::TCP;
        let flags = |s: usize| is_tcp.then(|| tcp_flags_str(f.flags[s]));
        FlowRecord {
            ts: secs(f.first_ns),
            flow_id: f.id,
            orig_h: addr(o),
            orig_p: port(o),
            resp_h: addr(r),
            resp_p: port(r),
            proto: proto_name(f.key.proto),
            last_ts: secs(f.last_ns),
            duration: secs(f.last_ns - f.first_ns),
            orig_pkts: f.pkts[o],
            orig_bytes: f.bytes[o],
            resp_pkts: f.pkts[r],
            resp_bytes: f.bytes[r],
            orig_flags: flags(o),
            resp_flags: flags(r),
            app: app_guess(f.key.proto, port(o), port(r)),
            subscriber,
            subscriber_side,
            end,
            first_ns: f.first_ns,
            last_ns: f.last_ns,
        }
    }
}

impl Flow {
    fn empty() -> Flow {
        Flow {
            key: FlowKey::default(),
            hash: 0,
            id: 0,
            first_ns: 0,
            last_ns: 0,
            begun_clock: 0,
            seen_clock: 0,
            closed_ns: None,
            pkts: [0; 2],
            bytes: [0; 2],
            flags: [0; 2],
            orig: 0,
            sub: [false; 2],
            rst: false,
        }
    }
}

#[cfg(test)]
mod tests;
