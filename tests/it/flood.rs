//! Floods: ten million packets with random 5-tuples (a SYN flood, a UDP spray),
//! a DNS flood of random names and a SIP INVITE flood. Memory stays within the
//! flow cap's budget, evictions are counted, per-flow state caps hold.
//!
//! Long: `#[ignore]`d here, run by `.ci/run` (`cargo test --release --test it flood::
//! -- --ignored`). Each flood prints its packets/s beside that of normal
//! traffic (a generated population) read the same way, before and after the
//! floods (the faster of the two is the reference), and the ratio;
//! BENCHMARKS.md records them (speed is measured, never asserted). Floods and
//! normal traffic are both written to a temporary capture file first and then
//! read from it, so that what is timed is ivraie reading a capture, not the
//! test making its frames (the file sits in the page cache, not in the
//! process's resident memory that the budget checks).
//!
//! `IVRAIE_FLOOD_PACKETS=N` sets a smaller flood for profiling (default ten
//! million); the assertions scale with it. `IVRAIE_FLOOD_ONLY=dns,sip` runs
//! only the floods named (`syn`, `udp`, `dns`, `sip`).

use std::io::Read;

use crate::support::{flood_payloads, flood_words};

use ivraie::capture::{CaptureReader, MergedSource};
use ivraie::flow::FlowConfig;
use ivraie::generate::{Generator, Population};
use ivraie::pipeline::{self, Config, Summary};

const TEN_MILLION: u64 = 10_000_000;
const MAX_FLOWS: usize = 200_000;

#[derive(Clone, Copy)]
enum Flood {
    Syn,
    UdpSpray,
    Dns,
    SipInvite,
}

/// A classic pcap stream of `n` flood frames, made as it is read.
struct FloodSource {
    kind: Flood,
    left: u64,
    words: flood_words::FloodWords,
    ts_us: u64,
    buf: Vec<u8>,
    pos: usize,
    header_sent: bool,
}

impl FloodSource {
    fn new(kind: Flood, n: u64) -> Self {
        FloodSource {
            kind,
            left: n,
            words: flood_words::FloodWords::new(),
            ts_us: 1_767_225_600_000_000,
            buf: Vec::with_capacity(1 << 16),
            pos: 0,
            header_sent: false,
        }
    }

    fn frame(&mut self, out: &mut Vec<u8>) {
        let r = self.words.next();
        let r2 = self.words.next();
        let sub = [10, (r >> 8) as u8, (r >> 16) as u8, (r >> 24) as u8];
        let far = [198, 18 + (r2 as u8 & 1), (r2 >> 8) as u8, (r2 >> 16) as u8];
        let (proto, src, dst, sport, dport, payload): (u8, _, _, u16, u16, Vec<u8>) =
            match self.kind {
                Flood::Syn => (6, sub, far, (r >> 32) as u16, (r2 >> 32) as u16, Vec::new()),
                Flood::UdpSpray => (
                    17,
                    sub,
                    far,
                    (r >> 32) as u16,
                    (r2 >> 32) as u16,
                    vec![0x42; 32],
                ),
                Flood::Dns => (
                    17,
                    sub,
                    [192, 0, 2, 53],
                    1024 + (r >> 32) as u16 % 60_000,
                    53,
                    flood_payloads::dns_query(r, r2),
                ),
                // One hijacked PBX, one proxy, one flow: a new call every packet.
                Flood::SipInvite => (
                    17,
                    [10, 0, 0, 9],
                    [192, 0, 2, 60],
                    5060,
                    5060,
                    flood_payloads::sip_invite(r, r2),
                ),
            };
        let l4 = if proto == 6 { 20 } else { 8 };
        let total = (20 + l4 + payload.len()) as u16;
        let len = 14 + total as u32;
        self.ts_us += 1 + (r2 >> 60);
        out.extend_from_slice(&((self.ts_us / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((self.ts_us % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]);
        out.extend_from_slice(&[0x45, 0]);
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
        out.extend_from_slice(&src);
        out.extend_from_slice(&dst);
        out.extend_from_slice(&sport.to_be_bytes());
        out.extend_from_slice(&dport.to_be_bytes());
        if proto == 6 {
            out.extend_from_slice(&(r as u32).to_be_bytes());
            out.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
        } else {
            out.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
            out.extend_from_slice(&[0, 0]);
        }
        out.extend_from_slice(&payload);
    }
}

impl Read for FloodSource {
    fn read(&mut self, dst: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if !self.header_sent {
                self.header_sent = true;
                self.buf.extend_from_slice(&[
                    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0,
                    0, 0,
                ]);
            }
            let mut buf = std::mem::take(&mut self.buf);
            while buf.len() < 60_000 && self.left > 0 {
                self.left -= 1;
                self.frame(&mut buf);
            }
            self.buf = buf;
        }
        let n = dst.len().min(self.buf.len() - self.pos);
        dst[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Peak resident memory of this process so far, bytes (Linux).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Packets per flood.
fn packets() -> u64 {
    std::env::var("IVRAIE_FLOOD_PACKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(TEN_MILLION)
}

/// Writes a capture to a temporary file.
fn to_file(mut source: impl Read) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f.as_file());
    std::io::copy(&mut source, &mut w).unwrap();
    drop(w);
    f
}

/// Reads a capture file as the floods are read: two workers, the flow cap.
fn read(file: &tempfile::NamedTempFile, name: &str) -> Summary {
    let source = Box::new(file.reopen().unwrap());
    let reader = CaptureReader::from_reader(name.into(), 0, source, 1 << 20);
    let cfg = Config {
        threads: 2,
        flow: FlowConfig {
            max_flows: MAX_FLOWS,
            ..FlowConfig::default()
        },
        ..Config::default()
    };
    let s = pipeline::run_source(
        MergedSource::from_readers(vec![reader], vec![], 0),
        vec![name.into()],
        &cfg,
    )
    .unwrap();
    eprintln!(
        "{name}: {} packets in {:.2} s = {:.2} M packets/s; {} flows, {} evicted, peak {} held; {} read by helpers; peak RSS {} MB",
        s.traffic.packets,
        s.wall_s,
        rate(&s) / 1e6,
        s.flows,
        s.flows_evicted,
        s.flows_peak,
        s.datagrams_helped,
        peak_rss() >> 20
    );
    s
}

fn rate(s: &Summary) -> f64 {
    s.traffic.packets as f64 / s.wall_s
}

/// Normal traffic: a generated population (web, mail, calls, torrents; flows
/// of many packets) written to a file, made once and read as often as needed.
fn normal_capture() -> tempfile::NamedTempFile {
    let p = Population {
        population: 2_000,
        days: 2,
        ..Population::default()
    };
    to_file(Generator::new(&p).unwrap())
}

/// Packets/s of normal traffic, read the same way as the floods.
fn normal_rate(file: &tempfile::NamedTempFile) -> f64 {
    rate(&read(file, "normal"))
}

/// Packets/s at which a flood source alone makes its frames.
fn source_rate(kind: Flood) -> f64 {
    let t = std::time::Instant::now();
    let n = std::io::copy(&mut FloodSource::new(kind, packets()), &mut std::io::sink()).unwrap();
    assert!(n > 0);
    packets() as f64 / t.elapsed().as_secs_f64()
}

/// Whether `IVRAIE_FLOOD_ONLY` (a comma-separated list) selects this flood.
fn selected(short: &str) -> bool {
    std::env::var("IVRAIE_FLOOD_ONLY").map_or(true, |v| v.split(',').any(|s| s.trim() == short))
}

/// Reads a flood twice, as normal traffic is read twice (before and after
/// the floods): each rate is the faster of two reads, so that a slowdown of a
/// shared machine during one read weighs on floods and normal traffic alike.
/// The summaries' counts do not depend on speed; the first one is returned.
fn run(kind: Flood, name: &str) -> (Summary, f64) {
    let n = packets();
    let file = to_file(FloodSource::new(kind, n));
    let s = read(&file, name);
    assert_eq!(s.traffic.packets, n);
    let again = read(&file, name);
    assert_eq!(
        (again.flows, &again.records, &again.traffic.anomalies),
        (s.flows, &s.records, &s.traffic.anomalies),
        "a second read gives the same counts"
    );
    let r = rate(&s).max(rate(&again));
    (s, r)
}

/// What the flow cap allows: up to 2 kB a flow for its entry and its
/// dissector's state (a DNS flow holds its pending query), plus 256 MB for the
/// program, the batches in flight and the top-talkers table.
fn budget() -> u64 {
    MAX_FLOWS as u64 * 2_000 + (256 << 20)
}

#[test]
#[ignore = "ten million packets per flood: run by .ci/run"]
fn floods_stay_within_the_flow_cap() {
    let n = packets();
    // Normal traffic is read before and after the floods, and the faster of
    // the two is the reference: a machine that slowed down meanwhile does not
    // flatter the floods (each of which is read twice as well, see `run`).
    let normal = normal_capture();
    let normal_before = normal_rate(&normal);
    let mut rates = Vec::new();
    if selected("syn") {
        let (syn, r) = run(Flood::Syn, "syn-flood");
        rates.push((Flood::Syn, "syn-flood", r));
        assert!(syn.flows_evicted > 0, "a full table evicts");
        assert!(syn.flows_peak <= MAX_FLOWS as u64);
        assert!(syn.flows >= n * 9 / 10, "nearly every SYN is its own flow");
        assert!(peak_rss() < budget(), "{} MB", peak_rss() >> 20);
    }

    if selected("udp") {
        let (udp, r) = run(Flood::UdpSpray, "udp-spray");
        rates.push((Flood::UdpSpray, "udp-spray", r));
        assert!(udp.flows_evicted > 0 && udp.flows_peak <= MAX_FLOWS as u64);
        assert!(peak_rss() < budget(), "{} MB", peak_rss() >> 20);
    }

    if selected("dns") {
        let (dns, r) = run(Flood::Dns, "dns-flood");
        rates.push((Flood::Dns, "dns-flood", r));
        assert!(dns.flows_evicted > 0 && dns.flows_peak <= MAX_FLOWS as u64);
        assert!(
            *dns.records.get("dns").unwrap_or(&0) >= n * 9 / 10,
            "every query recorded"
        );
        assert!(peak_rss() < budget(), "{} MB", peak_rss() >> 20);
    }

    // One flow, a new call per packet: the SIP session holds at most MAX_CALLS.
    if selected("sip") {
        let (sip, r) = run(Flood::SipInvite, "sip-invite-flood");
        rates.push((Flood::SipInvite, "sip-invite-flood", r));
        assert_eq!(sip.flows, 1);
        assert!(
            *sip.records.get("sip").unwrap_or(&0) >= n - 1,
            "every call recorded"
        );
        assert!(
            sip.traffic
                .anomalies
                .get("sip.too_many_calls")
                .copied()
                .unwrap_or(0)
                > 0,
            "{:?}",
            sip.traffic.anomalies
        );
        assert!(peak_rss() < budget(), "{} MB", peak_rss() >> 20);
    }

    let normal = normal_before.max(normal_rate(&normal));
    for (kind, name, r) in rates {
        eprintln!(
            "{name}: {:.2} M packets/s, normal traffic {:.2} M packets/s: {:.2}× slower \
             (the flood's source alone makes {:.2} M frames/s)",
            r / 1e6,
            normal / 1e6,
            normal / r,
            source_rate(kind) / 1e6
        );
    }
}
