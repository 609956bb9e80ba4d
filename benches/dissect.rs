//! Per-message cost of the dissectors under the floods of `tests/it/flood.rs`:
//! the same payloads (`tests/it/support/flood_payloads.rs`), fed the way a worker
//! feeds them ([`FlowApp::on_packet`], then [`FlowApp::finish`] when the flow
//! ends), records made and dropped.
//!
//! - `sip/parse`: one INVITE through [`parse_datagram`].
//! - `sip/invite-flood`: one flow, a new call per INVITE, as from a hijacked
//!   PBX: the session holds its 1,024 open calls and writes out the oldest.
//! - `dns/parse`: one query through the DNS [`parse_message`].
//! - `dns/query-flood`: a new flow per query (random source ports), probed,
//!   parsed, ended and recorded.
//! - `dns/query-flood-table`: the same through a flow table holding 100,000
//!   flows, as a flood test worker holds them: each query evicts a flow whose
//!   state is no longer in cache.
//!
//! `cargo bench --bench dissect`

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ivraie::decode::{Addr, ipproto};
use ivraie::dissect::dns::parser::parse_message;
use ivraie::dissect::engine::{Collect, FlowApp};
use ivraie::dissect::sip::parser::parse_datagram;
use ivraie::flow::{FlowConfig, FlowEnds, FlowTable};
use ivraie::record::FlowRecord;

#[path = "../tests/it/support/flood_payloads.rs"]
mod flood_payloads;

#[path = "support/churn.rs"]
mod churn;

/// Distinct messages per bench, more than the SIP session's open-call cap.
const MESSAGES: usize = 4096;

/// `n` payloads from `make`, on the flood's random words.
fn payloads(n: usize, make: fn(u64, u64) -> Vec<u8>) -> Vec<Vec<u8>> {
    let mut words = churn::flood_words::FloodWords::new();
    (0..n)
        .map(|_| {
            let (r, r2) = (words.next(), words.next());
            make(r, r2)
        })
        .collect()
}

fn ends(flow_id: u64, orig_p: u16, resp_p: u16) -> FlowEnds {
    FlowEnds {
        flow_id,
        orig_h: Addr::v4(Ipv4Addr::new(10, 0, 0, 9)),
        orig_p,
        resp_h: Addr::v4(Ipv4Addr::new(192, 0, 2, 60)),
        resp_p,
        proto: ipproto::UDP,
    }
}

fn bench_sip(c: &mut Criterion) {
    let invites = payloads(MESSAGES, flood_payloads::sip_invite);
    let mut g = c.benchmark_group("sip");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse", |b| {
        let mut k = 0;
        b.iter(|| {
            k = (k + 1) % invites.len();
            black_box(parse_datagram(black_box(&invites[k])))
        })
    });
    g.bench_function("invite-flood", |b| {
        let mut app = FlowApp::default();
        let mut out = Collect::default();
        let (mut k, mut ts) = (0, 0i64);
        b.iter(|| {
            k = (k + 1) % invites.len();
            ts += 1_000;
            app.on_packet(ends(1, 5060, 5060), true, ts, None, &invites[k], &mut out);
            out.records.clear();
        });
        assert!(app.protocol() == Some("sip"), "the flow is read as SIP");
    });
    g.finish();
}

fn bench_dns(c: &mut Criterion) {
    let queries = payloads(MESSAGES, flood_payloads::dns_query);
    let mut g = c.benchmark_group("dns");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse", |b| {
        let mut k = 0;
        b.iter(|| {
            k = (k + 1) % queries.len();
            black_box(parse_message(black_box(&queries[k])))
        })
    });
    g.bench_function("query-flood", |b| {
        let mut out = Collect::default();
        let (mut k, mut ts) = (0, 0i64);
        b.iter(|| {
            k = (k + 1) % queries.len();
            ts += 1_000;
            let e = ends(k as u64 + 1, 1024 + k as u16, 53);
            let mut app = FlowApp::default();
            app.on_packet(e, true, ts, None, &queries[k], &mut out);
            black_box(app.finish(e, ts, &mut out));
            assert_eq!(out.records.len(), 1, "one record per query");
            out.records.clear();
        });
    });
    g.bench_function("query-flood-table", |b| {
        // As a worker under the flood: a table of 100,000 flows, each packet
        // a new flow whose query waits; the flow it evicts is ended, its
        // query recorded. Unlike `query-flood`, the evicted flow's state is
        // cold, as it is in a run.
        let pkts = churn::churn_packets(1 << 20);
        let mut table: FlowTable<FlowApp> = FlowTable::new(FlowConfig::default(), churn::CHURN_CAP);
        let mut out = Collect::default();
        let mut ended = Vec::new();
        let mut k = 0;
        b.iter(|| {
            k = (k + 1) % pkts.len();
            let p = &pkts[k];
            let t = table.update(p, &mut |r, a| ended.push((r, a)));
            for (r, mut app) in ended.drain(..) {
                black_box(app.finish(FlowRecord::ends(&r), r.last_ns, &mut out));
            }
            let ends = table.ends(t.slot);
            let q = &queries[k % queries.len()];
            table
                .state_mut(t.slot)
                .on_packet(ends, t.from_orig, p.ts_ns, None, q, &mut out);
            out.records.clear();
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_sip, bench_dns
}
criterion_main!(benches);
