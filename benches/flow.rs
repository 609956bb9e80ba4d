//! Flow-table throughput over a realistic packet stream.
//!
//! The stream is the first million packets of the whole-run benchmark's capture
//! (`examples/bench_capture.rs`, seed 1, its default rate for 5 M packets: ~12 s of
//! traffic, tens of thousands of flows live at once), decoded once up front into
//! the [`FlowPacket`]s the pipeline's reader would build. Each iteration feeds
//! them to a fresh table with a 1 M-flow cap, sweeping once per 1,024 packets as a
//! worker does per batch, and turns ended flows into records.
//!
//! `cargo bench --bench flow`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ivraie::capture::LinkType;
use ivraie::decode::{Counters, decode};
use ivraie::flow::{FlowConfig, FlowKey, FlowPacket, FlowTable, Subscribers};
use ivraie::record::FlowRecord;

#[path = "../examples/bench_capture/synth.rs"]
mod synth;

#[path = "support/churn.rs"]
mod churn;
use churn::{CHURN_CAP, churn_packets};

const PACKETS: usize = 1_000_000;
const CAP: usize = 1_000_000;
/// Packets between sweeps (the pipeline's batch size).
const SWEEP_EVERY: usize = 1024;

/// Decodes the generated frames into flow-table input, as the pipeline does.
fn flow_packets() -> Vec<FlowPacket> {
    let mut g = synth::Generator::new(1, synth::default_rate(5_000_000));
    let subs = Subscribers::private();
    let mut counters = Counters::default();
    let mut buf = Vec::with_capacity(2048);
    let mut out = Vec::with_capacity(PACKETS);
    for _ in 0..PACKETS {
        buf.clear();
        let ts_us = g.next_frame(&mut buf);
        let d = decode(LinkType::Ethernet, &buf, &mut counters);
        if !d.is_ip() || !d.has_l4 {
            continue;
        }
        let (key, from_a) = FlowKey::of(&d);
        out.push(FlowPacket {
            ts_ns: ts_us as i64 * 1000,
            // The generator's clock never steps back.
            now_ns: ts_us as i64 * 1000,
            wirelen: buf.len() as u32,
            key,
            hash: key.hash(),
            from_a,
            sub_a: subs.contains(&key.a),
            sub_b: subs.contains(&key.b),
            tcp_flags: d.tcp_flags,
        });
    }
    out
}

/// Feeds `pkts` to a fresh table holding at most `cap` flows, sweeping once
/// per [`SWEEP_EVERY`] packets as a worker does per batch; returns the table
/// and how many flows ended.
fn run_table(pkts: &[FlowPacket], cap: usize) -> (FlowTable, u64) {
    let mut table = FlowTable::new(FlowConfig::default(), cap);
    let mut ended = 0u64;
    let mut emit = |r: FlowRecord, _: ()| {
        black_box(&r);
        ended += 1;
    };
    for (k, p) in pkts.iter().enumerate() {
        table.update(black_box(p), &mut emit);
        if k % SWEEP_EVERY == SWEEP_EVERY - 1 {
            table.sweep(&mut emit);
        }
    }
    (table, ended)
}

fn bench_flow_table(c: &mut Criterion) {
    let pkts = flow_packets();
    {
        // What the stream does to a table, for the record.
        let (table, ended) = run_table(&pkts, CAP);
        let s = table.stats();
        eprintln!(
            "flow stream: {} packets, {} flows created, {} ended before the end \
             ({} still held), at most {} held at once",
            pkts.len(),
            s.created,
            ended,
            table.len(),
            s.peak
        );
    }
    let mut g = c.benchmark_group("flow");
    g.throughput(Throughput::Elements(pkts.len() as u64));
    g.bench_function("update_1m_packets", |b| {
        b.iter(|| run_table(&pkts, CAP));
    });
    g.finish();
}

/// Under a flood: every packet misses, evicts the stalest of a sample and
/// inserts.
fn bench_flow_churn(c: &mut Criterion) {
    let pkts = churn_packets(PACKETS);
    let mut g = c.benchmark_group("flow");
    g.throughput(Throughput::Elements(pkts.len() as u64));
    g.bench_function("churn_1m_new_flows", |b| {
        b.iter(|| {
            let (table, ended) = run_table(&pkts, CHURN_CAP);
            assert!(table.stats().evicted > 800_000, "{:?}", table.stats());
            (table.len(), ended)
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench_flow_table, bench_flow_churn
}
criterion_main!(benches);
