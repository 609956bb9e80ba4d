//! Synthetic subscriber traffic for benchmarks, written once and shared by
//! `examples/bench_capture.rs` and the Criterion benches (`#[path]` module).
//!
//! The model: ~2,000 subscriber hosts (10.0.0.0/16, and fd69:7672::/32 for the ~10 %
//! of flows over IPv6) talk to ~20,000 external servers whose popularity is
//! skewed (a few servers get most flows). Flows arrive as a Poisson process and
//! run concurrently, each as a small state machine scheduled on a timer heap:
//!
//! - DNS to one of 16 resolvers (query/response, real DNS messages), NTP;
//! - TCP web flows (handshake, a few request/response rounds, FIN/ACK close),
//!   bulk downloads, long-lived chatty connections (messaging, push), with a few
//!   refused connections (RST), aborted ones (RST) and ones left open;
//! - QUIC-like UDP/443 flows (short-header packets, client ACKs).
//!
//! Everything is deterministic for a given seed. Frames are Ethernet II with
//! consistent IPv4/IPv6, TCP and UDP lengths and correct IPv4, TCP and UDP
//! checksums (payloads are slices of one fixed random pattern whose prefix sums
//! are precomputed, so a checksum costs a header's worth of work).

// Each target that includes this file uses a different part of it.
#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Subscriber hosts.
pub const SUBSCRIBERS: u32 = 2_000;
/// External servers (resolvers and NTP servers included).
pub const SERVERS: u32 = 20_000;
const DNS_RESOLVERS: u32 = 16;
const NTP_SERVERS: u32 = 8;
const FIRST_WEB: u32 = DNS_RESOLVERS + NTP_SERVERS;
/// 2026-01-01T00:00:00Z, µs.
const START_US: u64 = 1_767_225_600 * 1_000_000;
/// Capture duration aimed at when no rate is given.
pub const DEFAULT_SECONDS: f64 = 60.0;
/// Mean packets per flow of this model (measured: `bench_capture` prints it), used
/// to turn a packet rate into a flow arrival rate.
const MEAN_PKTS_PER_FLOW: f64 = 30.0;

/// Classic pcap file header: little-endian, µs timestamps, Ethernet.
pub const PCAP_HEADER: [u8; 24] = [
    0xd4, 0xc3, 0xb2, 0xa1, // magic
    2, 0, 4, 0, // version 2.4
    0, 0, 0, 0, // thiszone
    0, 0, 0, 0, // sigfigs
    0, 0, 4, 0, // snaplen 262144
    1, 0, 0, 0, // LINKTYPE_ETHERNET
];

/// A packet rate giving a capture of about [`DEFAULT_SECONDS`] for `packets`.
pub fn default_rate(packets: u64) -> f64 {
    (packets as f64 / DEFAULT_SECONDS).clamp(200.0, 250_000.0)
}

/// A whole capture in memory (for benches; the example streams instead).
pub fn capture(packets: usize, seed: u64) -> Vec<u8> {
    let mut g = Generator::new(seed, default_rate(packets as u64));
    let mut out = Vec::with_capacity(24 + packets * 620);
    out.extend_from_slice(&PCAP_HEADER);
    for _ in 0..packets {
        g.append_record(&mut out);
    }
    out
}

/// `count` frames taken after `skip` frames of warm-up (so that the mix is the
/// steady one, not only the first packets of new flows).
pub fn frames(skip: usize, count: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut g = Generator::new(seed, default_rate((skip + count) as u64));
    let mut buf = Vec::with_capacity(2048);
    for _ in 0..skip {
        buf.clear();
        g.next_frame(&mut buf);
    }
    (0..count)
        .map(|_| {
            buf.clear();
            g.next_frame(&mut buf);
            buf.clone()
        })
        .collect()
}

/// xorshift64* seeded through splitmix64.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    /// 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n`.
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * n as u64) >> 32) as u32
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    #[inline]
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    #[inline]
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(hi - lo)
    }

    /// Exponential with this mean.
    #[inline]
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    /// Log-uniform in `[lo, hi)`: as many values per decade.
    #[inline]
    fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo * (hi / lo).powf(self.unit())
    }
}

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Dns,
    Ntp,
    Quic,
    Web,
    Bulk,
    Chat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Syn,
    Refused,
    SynAck,
    HandshakeAck,
    Request,
    ServerAck,
    Response,
    ClientAck,
    Fin1,
    Fin2,
    Fin3,
    Abort,
    Query,
    Reply,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Fin,
    Rst,
    Idle,
}

#[derive(Clone, Copy, Debug)]
struct Flow {
    kind: Kind,
    phase: Phase,
    end: End,
    v6: bool,
    /// Data segments sent since the client's last ACK.
    unacked: u8,
    /// The client ACKs every this many data segments (1 in quick-ACK mode).
    ack_every: u8,
    /// QUIC: bit 0 once the client sent its long-header packet, bit 1 the server.
    quic_long: u8,
    client: u32,
    server: u32,
    cport: u16,
    sport: u16,
    /// Largest transport payload of a packet.
    mss: u16,
    ip_id: [u16; 2],
    rtt_us: u32,
    /// Spacing of back-to-back segments (the flow's bandwidth).
    seg_gap_us: u32,
    /// Mean pause between rounds.
    think_us: u32,
    rounds: u32,
    up_left: u32,
    down_left: u32,
    cseq: u32,
    sseq: u32,
    /// DNS id / QUIC connection id seed.
    tag: u64,
}

/// Running totals of what was generated.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Frames generated.
    pub packets: u64,
    /// Frame bytes.
    pub bytes: u64,
    /// IPv6 frames.
    pub v6_packets: u64,
    /// TCP frames.
    pub tcp_packets: u64,
    /// Flows started.
    pub flows: u64,
    /// Most flows in progress at once.
    pub peak_live: u64,
}

const ROUTER_MAC: [u8; 6] = [0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x5e];
const PATTERN_LEN: usize = 2048;

/// The traffic generator.
pub struct Generator {
    rng: Rng,
    flows: Vec<Flow>,
    free: Vec<u32>,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    next_arrival_us: f64,
    arrival_mean_us: f64,
    pattern: Box<[u8]>,
    /// `prefix[n]`: one's-complement partial sum of `pattern[..n]`.
    prefix: Box<[u32]>,
    /// Statistics so far.
    pub stats: Stats,
}

impl Generator {
    /// A generator for `seed`, aiming at `rate_pps` packets per second.
    pub fn new(seed: u64, rate_pps: f64) -> Generator {
        let mut prng = Rng::new(0x0070_6174_7465_726e); // fixed: same payloads for all seeds
        let pattern: Box<[u8]> = (0..PATTERN_LEN).map(|_| prng.next_u64() as u8).collect();
        let prefix = (0..=PATTERN_LEN)
            .map(|n| sum16(&pattern[..n]) as u32)
            .collect();
        Generator {
            rng: Rng::new(seed),
            flows: Vec::new(),
            free: Vec::new(),
            heap: BinaryHeap::new(),
            next_arrival_us: 0.0,
            arrival_mean_us: 1e6 * MEAN_PKTS_PER_FLOW / rate_pps.max(1.0),
            pattern,
            prefix,
            stats: Stats::default(),
        }
    }

    /// Flows in progress.
    pub fn live(&self) -> usize {
        self.heap.len()
    }

    /// Appends one pcap record (16-byte header and frame) to `out`.
    pub fn append_record(&mut self, out: &mut Vec<u8>) {
        let at = out.len();
        out.extend_from_slice(&[0; 16]);
        let ts = self.next_frame(out);
        let len = (out.len() - at - 16) as u32;
        let h = &mut out[at..at + 16];
        h[0..4].copy_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
        h[4..8].copy_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
        h[8..12].copy_from_slice(&len.to_le_bytes());
        h[12..16].copy_from_slice(&len.to_le_bytes());
    }

    /// Appends the next frame to `out`; returns its timestamp (µs since the epoch).
    pub fn next_frame(&mut self, out: &mut Vec<u8>) -> u64 {
        loop {
            let due = self.heap.peek().map(|r| r.0.0);
            let arrival = self.next_arrival_us as u64;
            if due.is_none_or(|t| arrival <= t) {
                let slot = self.start_flow();
                self.heap.push(Reverse((arrival, slot)));
                self.stats.peak_live = self.stats.peak_live.max(self.heap.len() as u64);
                self.next_arrival_us += self.rng.exp(self.arrival_mean_us);
                continue;
            }
            let Some(Reverse((ts, slot))) = self.heap.pop() else {
                unreachable!("heap checked non-empty")
            };
            let start = out.len();
            let gap = self.step(slot as usize, out);
            match gap {
                Some(g) => self.heap.push(Reverse((ts + g.max(1) as u64, slot))),
                None => self.free.push(slot),
            }
            self.stats.packets += 1;
            self.stats.bytes += (out.len() - start) as u64;
            return START_US + ts;
        }
    }

    fn start_flow(&mut self) -> u32 {
        let r = &mut self.rng;
        self.stats.flows += 1;
        // Heavy users: host index skewed towards 0.
        let client = (r.unit().powf(1.6) * SUBSCRIBERS as f64) as u32;
        let v6 = r.chance(0.10);
        let web_server =
            |r: &mut Rng| FIRST_WEB + (r.unit().powf(2.5) * (SERVERS - FIRST_WEB) as f64) as u32;
        let u = r.unit();
        let kind = if u < 0.40 {
            Kind::Dns
        } else if u < 0.41 {
            Kind::Ntp
        } else if u < 0.50 {
            Kind::Quic
        } else if u < 0.857 {
            Kind::Web
        } else if u < 0.862 {
            Kind::Bulk
        } else {
            Kind::Chat
        };
        let (server, sport) = match kind {
            Kind::Dns => ((client % 8) * 2 + r.below(2), 53),
            Kind::Ntp => (DNS_RESOLVERS + r.below(NTP_SERVERS), 123),
            Kind::Quic => (web_server(r), 443),
            Kind::Web | Kind::Bulk => (web_server(r), if r.chance(0.8) { 443 } else { 80 }),
            Kind::Chat => {
                const PORTS: [u16; 5] = [443, 443, 5228, 993, 5223];
                (web_server(r), PORTS[r.below(5) as usize])
            }
        };
        let cport = if kind == Kind::Ntp && r.chance(0.5) {
            123
        } else {
            r.range(32768, 61000) as u16
        };
        let rtt_us = match kind {
            Kind::Dns => r.log_uniform(400.0, 40_000.0),
            _ => r.log_uniform(3_000.0, 150_000.0),
        } as u32;
        let mbps = match kind {
            Kind::Bulk => r.log_uniform(5.0, 100.0),
            _ => r.log_uniform(2.0, 200.0),
        };
        let seg_gap_us = (1514.0 * 8.0 / mbps) as u32;
        let (rounds, think_us) = match kind {
            Kind::Dns | Kind::Ntp => (1, 0),
            Kind::Web => (1 + r.exp(1.5) as u32, 300_000),
            Kind::Bulk => (1 + r.below(2), 500_000),
            Kind::Quic => (1 + r.exp(3.0) as u32, 400_000),
            Kind::Chat => (10 + r.exp(30.0) as u32, 2_000_000),
        };
        let end = match kind {
            Kind::Chat if r.chance(0.7) => End::Idle,
            Kind::Quic if r.chance(0.8) => End::Idle,
            Kind::Quic => End::Rst, // CONNECTION_CLOSE: one last small client packet
            _ => {
                let u = r.unit();
                if u < 0.88 {
                    End::Fin
                } else if u < 0.93 {
                    End::Rst
                } else {
                    End::Idle
                }
            }
        };
        let phase = match kind {
            Kind::Dns | Kind::Ntp => Phase::Query,
            Kind::Quic => Phase::Request,
            _ => Phase::Syn,
        };
        let mss = match (kind, v6) {
            (Kind::Quic, _) => 1350,
            (_, false) => 1460,
            (_, true) => 1440,
        };
        let tag = r.next_u64();
        let mut f = Flow {
            kind,
            phase,
            end,
            v6,
            unacked: 0,
            ack_every: if r.chance(0.6) { 1 } else { 2 },
            quic_long: 0,
            client,
            server,
            cport,
            sport,
            mss,
            ip_id: [r.next_u64() as u16, r.next_u64() as u16],
            rtt_us,
            seg_gap_us,
            think_us,
            rounds,
            up_left: 0,
            down_left: 0,
            cseq: tag as u32,
            sseq: (tag >> 32) as u32,
            tag,
        };
        if kind == Kind::Quic {
            f.up_left = 1252; // a padded Initial
        }
        match self.free.pop() {
            Some(i) => {
                self.flows[i as usize] = f;
                i
            }
            None => {
                self.flows.push(f);
                (self.flows.len() - 1) as u32
            }
        }
    }

    /// Request size of a new round.
    fn request_size(&mut self, kind: Kind) -> u32 {
        let r = &mut self.rng;
        (match kind {
            Kind::Chat => r.log_uniform(40.0, 400.0),
            Kind::Quic => r.log_uniform(40.0, 1_500.0),
            _ => r.log_uniform(150.0, 1_600.0),
        }) as u32
    }

    /// Response size of a round.
    fn response_size(&mut self, kind: Kind) -> u32 {
        let r = &mut self.rng;
        (match kind {
            Kind::Chat => r.log_uniform(40.0, 700.0),
            Kind::Bulk => r.log_uniform(100_000.0, 2_000_000.0),
            Kind::Quic => r.log_uniform(300.0, 80_000.0),
            _ => r.log_uniform(200.0, 30_000.0),
        }) as u32
    }

    /// Writes the packet flow `i` is due to send; returns the delay until its next
    /// one, or `None` when the flow is over.
    fn step(&mut self, i: usize, out: &mut Vec<u8>) -> Option<u32> {
        let mut f = self.flows[i];
        let small = self.rng.range(20, 400);
        let tcp = !matches!(f.kind, Kind::Dns | Kind::Ntp | Kind::Quic);
        use tcpf::*;
        let gap = match f.phase {
            Phase::Syn => {
                self.tcp(out, &mut f, true, SYN, 0, true);
                f.cseq = f.cseq.wrapping_add(1);
                f.phase = if self.rng.chance(0.02) {
                    Phase::Refused
                } else {
                    Phase::SynAck
                };
                Some(f.rtt_us)
            }
            Phase::Refused => {
                self.tcp(out, &mut f, false, RST | ACK, 0, false);
                None
            }
            Phase::SynAck => {
                self.tcp(out, &mut f, false, SYN | ACK, 0, true);
                f.sseq = f.sseq.wrapping_add(1);
                f.phase = Phase::HandshakeAck;
                Some(small)
            }
            Phase::HandshakeAck => {
                self.tcp(out, &mut f, true, ACK, 0, false);
                f.up_left = self.request_size(f.kind);
                f.phase = Phase::Request;
                Some(small)
            }
            Phase::Request => {
                let n = f.up_left.min(f.mss as u32);
                f.up_left -= n;
                if tcp {
                    let psh = if f.up_left == 0 { PSH } else { 0 };
                    self.tcp(out, &mut f, true, ACK | psh, n, false);
                } else {
                    self.quic(out, &mut f, true, n);
                }
                if f.up_left > 0 {
                    Some(f.seg_gap_us)
                } else {
                    f.down_left = self.response_size(f.kind);
                    // A server slow to answer ACKs the request first.
                    let wait = f.rtt_us + self.rng.exp(20_000.0) as u32;
                    if tcp && wait > f.rtt_us + 10_000 {
                        f.phase = Phase::ServerAck;
                        Some(f.rtt_us)
                    } else {
                        f.phase = Phase::Response;
                        Some(wait)
                    }
                }
            }
            Phase::ServerAck => {
                self.tcp(out, &mut f, false, ACK, 0, false);
                f.phase = Phase::Response;
                Some(self.rng.exp(20_000.0) as u32)
            }
            Phase::Response => {
                let n = f.down_left.min(f.mss as u32);
                f.down_left -= n;
                let last = f.down_left == 0;
                if tcp {
                    let psh = if last { PSH } else { 0 };
                    self.tcp(out, &mut f, false, ACK | psh, n, false);
                } else {
                    self.quic(out, &mut f, false, n);
                }
                f.unacked += 1;
                if last || f.unacked >= f.ack_every {
                    f.phase = Phase::ClientAck;
                    Some(small)
                } else {
                    Some(f.seg_gap_us)
                }
            }
            Phase::ClientAck => {
                if tcp {
                    self.tcp(out, &mut f, true, ACK, 0, false);
                } else {
                    self.quic(out, &mut f, true, 40);
                }
                f.unacked = 0;
                if f.down_left > 0 {
                    f.phase = Phase::Response;
                    Some(f.seg_gap_us)
                } else {
                    f.rounds = f.rounds.saturating_sub(1);
                    let think = self.rng.exp(f.think_us as f64) as u32;
                    if f.rounds > 0 {
                        f.up_left = self.request_size(f.kind);
                        f.phase = Phase::Request;
                        Some(small + think)
                    } else {
                        match f.end {
                            End::Fin => {
                                f.phase = Phase::Fin1;
                                Some(small + think / 4)
                            }
                            End::Rst => {
                                f.phase = Phase::Abort;
                                Some(small + think / 4)
                            }
                            End::Idle => None,
                        }
                    }
                }
            }
            Phase::Fin1 => {
                self.tcp(out, &mut f, true, FIN | ACK, 0, false);
                f.cseq = f.cseq.wrapping_add(1);
                f.phase = Phase::Fin2;
                Some(f.rtt_us)
            }
            Phase::Fin2 => {
                self.tcp(out, &mut f, false, FIN | ACK, 0, false);
                f.sseq = f.sseq.wrapping_add(1);
                f.phase = Phase::Fin3;
                Some(small)
            }
            Phase::Fin3 => {
                self.tcp(out, &mut f, true, ACK, 0, false);
                None
            }
            Phase::Abort => {
                if tcp {
                    self.tcp(out, &mut f, true, RST | ACK, 0, false);
                } else {
                    self.quic(out, &mut f, true, 30);
                }
                None
            }
            Phase::Query => {
                self.small_udp(out, &mut f, true);
                f.phase = Phase::Reply;
                Some(f.rtt_us)
            }
            Phase::Reply => {
                self.small_udp(out, &mut f, false);
                None
            }
        };
        self.flows[i] = f;
        gap
    }

    /// Ethernet and IP headers for a packet of flow `f` carrying `l4_len` bytes of
    /// protocol `proto`; returns the one's-complement sum of the pseudo-header.
    fn ip(
        &mut self,
        out: &mut Vec<u8>,
        f: &mut Flow,
        from_client: bool,
        proto: u8,
        l4_len: usize,
    ) -> u64 {
        let cmac = client_mac(f.client);
        let (dmac, smac) = if from_client {
            (ROUTER_MAC, cmac)
        } else {
            (cmac, ROUTER_MAC)
        };
        out.extend_from_slice(&dmac);
        out.extend_from_slice(&smac);
        let side = usize::from(!from_client);
        let id = f.ip_id[side];
        f.ip_id[side] = id.wrapping_add(1);
        let ttl = if from_client { 64 } else { 52 };
        if f.v6 {
            self.stats.v6_packets += 1;
            let (c, s) = (client_v6(f.client), server_v6(f.server));
            let (src, dst) = if from_client { (c, s) } else { (s, c) };
            out.extend_from_slice(&[0x86, 0xdd]);
            let label = (f.tag as u32 >> 12) & 0xf_ffff;
            out.extend_from_slice(&(0x6000_0000 | label).to_be_bytes());
            out.extend_from_slice(&(l4_len as u16).to_be_bytes());
            out.extend_from_slice(&[proto, ttl]);
            out.extend_from_slice(&src);
            out.extend_from_slice(&dst);
            sum16(&src) + sum16(&dst) + l4_len as u64 + proto as u64
        } else {
            let (c, s) = (client_v4(f.client), server_v4(f.server));
            let (src, dst) = if from_client { (c, s) } else { (s, c) };
            out.extend_from_slice(&[0x08, 0x00]);
            let mut h = [0u8; 20];
            h[0] = 0x45;
            h[2..4].copy_from_slice(&((20 + l4_len) as u16).to_be_bytes());
            h[4..6].copy_from_slice(&id.to_be_bytes());
            h[6] = 0x40; // DF
            h[8] = ttl;
            h[9] = proto;
            h[12..16].copy_from_slice(&src);
            h[16..20].copy_from_slice(&dst);
            let ck = fold(sum16(&h));
            h[10..12].copy_from_slice(&ck.to_be_bytes());
            out.extend_from_slice(&h);
            sum16(&src) + sum16(&dst) + l4_len as u64 + proto as u64
        }
    }

    /// A TCP segment of flow `f` with `n` payload bytes.
    fn tcp(
        &mut self,
        out: &mut Vec<u8>,
        f: &mut Flow,
        from_client: bool,
        flags: u8,
        n: u32,
        syn_opts: bool,
    ) {
        self.stats.tcp_packets += 1;
        // MSS, NOP, window scale 7, NOP, NOP, SACK permitted.
        let opts: &[u8] = if syn_opts {
            let mss = f.mss.to_be_bytes();
            &[2, 4, mss[0], mss[1], 1, 3, 3, 7, 1, 1, 4, 2]
        } else {
            &[]
        };
        let hlen = 20 + opts.len();
        let n = n as usize;
        let pseudo = self.ip(out, f, from_client, 6, hlen + n);
        let (sp, dp, seq, ack) = if from_client {
            (f.cport, f.sport, f.cseq, f.sseq)
        } else {
            (f.sport, f.cport, f.sseq, f.cseq)
        };
        let ack = if flags & tcpf::ACK != 0 { ack } else { 0 };
        let mut h = [0u8; 32];
        h[0..2].copy_from_slice(&sp.to_be_bytes());
        h[2..4].copy_from_slice(&dp.to_be_bytes());
        h[4..8].copy_from_slice(&seq.to_be_bytes());
        h[8..12].copy_from_slice(&ack.to_be_bytes());
        h[12] = ((hlen / 4) as u8) << 4;
        h[13] = flags;
        let win: u16 = if syn_opts { 64240 } else { 2048 };
        h[14..16].copy_from_slice(&win.to_be_bytes());
        h[20..hlen].copy_from_slice(opts);
        let sum = pseudo + sum16(&h[..hlen]) + self.prefix[n] as u64;
        h[16..18].copy_from_slice(&fold(sum).to_be_bytes());
        out.extend_from_slice(&h[..hlen]);
        out.extend_from_slice(&self.pattern[..n]);
        if from_client {
            f.cseq = f.cseq.wrapping_add(n as u32);
        } else {
            f.sseq = f.sseq.wrapping_add(n as u32);
        }
    }

    /// A QUIC-like packet of `n` UDP payload bytes: the first packet each way has
    /// a long header (version 1, Initial), later ones a short header, with the
    /// connection ids a real exchange would use; the payload is opaque.
    fn quic(&mut self, out: &mut Vec<u8>, f: &mut Flow, from_client: bool, n: u32) {
        // Connection ids: the client's first destination id, the client's and the
        // server's own ids.
        let (first_dcid, client_cid, server_cid) = (f.tag, mix64(f.tag), mix64(!f.tag));
        let bit = if from_client { 1 } else { 2 };
        let mut head = [0u8; 28];
        let hlen = if f.quic_long & bit == 0 {
            f.quic_long |= bit;
            let (dcid, scid) = if from_client {
                (first_dcid, client_cid)
            } else {
                (client_cid, server_cid)
            };
            let n = (n as usize).max(head.len() + 20);
            // Initial, 2-byte packet number; version 1; ids of 8 bytes; no token.
            head[0] = 0xc1;
            head[1..5].copy_from_slice(&1u32.to_be_bytes());
            head[5] = 8;
            head[6..14].copy_from_slice(&dcid.to_be_bytes());
            head[14] = 8;
            head[15..23].copy_from_slice(&scid.to_be_bytes());
            head[23] = 0; // token length
            let rest = (n - 24) as u16; // packet number and payload
            head[24..26].copy_from_slice(&(0x4000 | rest).to_be_bytes());
            head[26..28].copy_from_slice(&[0, 0]);
            28
        } else {
            // Fixed bit set, spin and key-phase bits random, 2-byte packet number.
            let dcid = if from_client { server_cid } else { client_cid };
            head[0] = 0x41 | (self.rng.next_u64() as u8 & 0x24);
            head[1..9].copy_from_slice(&dcid.to_be_bytes());
            head[9..11].copy_from_slice(&(self.rng.next_u64() as u16).to_be_bytes());
            head[11] = self.rng.next_u64() as u8;
            12
        };
        let body = (n as usize).max(hlen + 20) - hlen;
        let sum = sum16(&head[..hlen]) + self.prefix[body] as u64;
        self.udp(out, f, from_client, &head[..hlen], body, sum);
    }

    /// A DNS or NTP datagram.
    fn small_udp(&mut self, out: &mut Vec<u8>, f: &mut Flow, from_client: bool) {
        let mut msg = [0u8; 160];
        let len = if f.kind == Kind::Ntp {
            msg[0] = if from_client { 0x23 } else { 0x24 }; // v4, client / server
            if !from_client {
                msg[1] = 2; // stratum
                msg[12..16].copy_from_slice(b"GPS\0");
            }
            msg[40..48].copy_from_slice(&f.tag.to_be_bytes()); // transmit timestamp
            48
        } else {
            dns_message(&mut msg, f, !from_client)
        };
        let sum = sum16(&msg[..len]);
        self.udp(out, f, from_client, &msg[..len], 0, sum);
    }

    /// A UDP datagram: `head` then `pattern_len` bytes of the pattern (`head` must
    /// be of even length if any pattern follows). `payload_sum` is the payload's
    /// one's-complement sum.
    fn udp(
        &mut self,
        out: &mut Vec<u8>,
        f: &mut Flow,
        from_client: bool,
        head: &[u8],
        pattern_len: usize,
        payload_sum: u64,
    ) {
        let len = 8 + head.len() + pattern_len;
        let pseudo = self.ip(out, f, from_client, 17, len);
        let (sp, dp) = if from_client {
            (f.cport, f.sport)
        } else {
            (f.sport, f.cport)
        };
        let mut h = [0u8; 8];
        h[0..2].copy_from_slice(&sp.to_be_bytes());
        h[2..4].copy_from_slice(&dp.to_be_bytes());
        h[4..6].copy_from_slice(&(len as u16).to_be_bytes());
        let mut ck = fold(pseudo + sum16(&h) + payload_sum);
        if ck == 0 {
            ck = 0xffff;
        }
        h[6..8].copy_from_slice(&ck.to_be_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(head);
        out.extend_from_slice(&self.pattern[..pattern_len]);
    }
}

/// TCP flag bits.
mod tcpf {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

/// Writes a DNS query (or its answer) for a name derived from the flow into `m`;
/// returns its length.
fn dns_message(m: &mut [u8], f: &Flow, answer: bool) -> usize {
    const PREFIX: [&[u8]; 6] = [b"www", b"api", b"cdn", b"img", b"static", b"push"];
    const TLD: [&[u8]; 5] = [b"com", b"net", b"org", b"fr", b"io"];
    let h = mix64(f.tag);
    let aaaa = f.v6 || h & 0x700 == 0; // some v4 hosts ask for AAAA too
    m[0..2].copy_from_slice(&(f.tag as u16).to_be_bytes());
    m[2..4].copy_from_slice(if answer { &[0x81, 0x80] } else { &[0x01, 0x00] });
    m[4..6].copy_from_slice(&1u16.to_be_bytes());
    m[6..8].copy_from_slice(&u16::from(answer).to_be_bytes());
    let mut p = 12;
    let mut label = |m: &mut [u8], s: &[u8]| {
        m[p] = s.len() as u8;
        m[p + 1..p + 1 + s.len()].copy_from_slice(s);
        p += 1 + s.len();
    };
    label(m, PREFIX[(h % 6) as usize]);
    // Second-level label: "d" and 1-6 lowercase letters from the hash.
    let mut sld = [0u8; 7];
    sld[0] = b'd';
    let n = 1 + ((h >> 8) % 6) as usize;
    for (k, c) in sld[1..=n].iter_mut().enumerate() {
        *c = b'a' + ((h >> (16 + 5 * k)) % 26) as u8;
    }
    label(m, &sld[..=n]);
    label(m, TLD[((h >> 48) % 5) as usize]);
    m[p] = 0;
    p += 1;
    let qtype: u16 = if aaaa { 28 } else { 1 };
    m[p..p + 2].copy_from_slice(&qtype.to_be_bytes());
    m[p + 2..p + 4].copy_from_slice(&1u16.to_be_bytes());
    p += 4;
    if answer {
        m[p..p + 2].copy_from_slice(&[0xc0, 0x0c]);
        m[p + 2..p + 4].copy_from_slice(&qtype.to_be_bytes());
        m[p + 4..p + 6].copy_from_slice(&1u16.to_be_bytes());
        m[p + 6..p + 10].copy_from_slice(&300u32.to_be_bytes());
        p += 10;
        let rdata: &[u8] = if aaaa {
            &server_v6(f.server)
        } else {
            &server_v4(f.server)
        };
        m[p..p + 2].copy_from_slice(&(rdata.len() as u16).to_be_bytes());
        m[p + 2..p + 2 + rdata.len()].copy_from_slice(rdata);
        p += 2 + rdata.len();
    }
    p
}

fn client_mac(h: u32) -> [u8; 6] {
    [0x02, 0x1a, 0x11, 0x00, (h >> 8) as u8, h as u8]
}

/// 10.0.x.y, x in 0..8, y in 2..252.
fn client_v4(h: u32) -> [u8; 4] {
    [10, 0, (h / 250) as u8, (h % 250 + 2) as u8]
}

/// fd69:7672:0:HHHH:<interface id from a hash>.
fn client_v6(h: u32) -> [u8; 16] {
    let iid = mix64(h as u64 ^ 0x5eed).to_be_bytes();
    let mut a = [
        0xfd,
        0x69,
        0x76,
        0x72,
        0,
        0,
        (h >> 8) as u8,
        h as u8,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    ];
    a[8..].copy_from_slice(&iid);
    a
}

/// A public-looking IPv4 address for server `s` (never in a private range).
fn server_v4(s: u32) -> [u8; 4] {
    const FIRST: [u8; 20] = [
        13, 23, 31, 34, 45, 52, 62, 77, 81, 88, 91, 104, 142, 151, 157, 185, 193, 195, 209, 212,
    ];
    let h = mix64(s as u64 + 1);
    [
        FIRST[(h % 20) as usize],
        (h >> 8) as u8,
        (h >> 16) as u8,
        1 + ((h >> 24) % 253) as u8,
    ]
}

/// A global IPv6 address for server `s` (2a0x:...).
fn server_v6(s: u32) -> [u8; 16] {
    let h = mix64(s as u64 + 0x6666).to_be_bytes();
    let l = mix64(s as u64 + 0x7777).to_be_bytes();
    let mut a = [0u8; 16];
    a[0] = 0x2a;
    a[1] = h[0] & 0x0f;
    a[2..8].copy_from_slice(&h[1..7]);
    a[8..].copy_from_slice(&l);
    a
}

/// Big-endian 16-bit word sum (odd last byte padded with zero).
fn sum16(b: &[u8]) -> u64 {
    let mut s = 0u64;
    let mut it = b.chunks_exact(2);
    for w in &mut it {
        s += u16::from_be_bytes([w[0], w[1]]) as u64;
    }
    if let [last] = it.remainder() {
        s += (*last as u64) << 8;
    }
    s
}

/// Folds a sum into a one's-complement checksum.
fn fold(mut s: u64) -> u16 {
    while s >> 16 != 0 {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}
