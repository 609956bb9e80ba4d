//! Writing records: the hand-written JSON writers against serde_json (the
//! same bytes: `record::tests`, `dissect::dns::state::tests`), on flow and DNS
//! records shaped like a capture's.
//!
//! `cargo bench --bench writer`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ivraie::decode::Addr;
use ivraie::dissect::dns::state::DnsRecord;
use ivraie::dissect::{JoinKey, Record};
use ivraie::record::{EndReason, FlowRecord, ProtoName, SubscriberSide};

/// Records per iteration.
const RECORDS: usize = 1024;

fn records() -> Vec<FlowRecord> {
    (0..RECORDS)
        .map(|i| {
            let v6 = i % 10 == 0;
            let ip = |n: usize| {
                Addr::from(if v6 {
                    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n as u16))
                } else {
                    IpAddr::V4(Ipv4Addr::new(10, (n >> 16) as u8, (n >> 8) as u8, n as u8))
                })
            };
            let ts = 1_700_000_000.0 + i as f64 * 0.001_237;
            FlowRecord {
                ts,
                flow_id: (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1,
                orig_h: ip(i),
                orig_p: 40_000 + (i % 20_000) as u16,
                resp_h: ip(i * 7 + 3),
                resp_p: 443,
                proto: ProtoName(if i % 3 == 0 { 17 } else { 6 }),
                last_ts: ts + 1.5,
                duration: 1.5 + (i % 7) as f64 * 0.25,
                orig_pkts: (i % 50) as u64,
                orig_bytes: (i * 1_460) as u64,
                resp_pkts: (i % 80) as u64,
                resp_bytes: (i * 9_000) as u64,
                orig_flags: (i % 3 != 0).then_some("SAF"),
                resp_flags: (i % 3 != 0).then_some("SAF"),
                app: "tls",
                subscriber: Some(ip(i)),
                subscriber_side: Some(SubscriberSide::Orig),
                end: EndReason::Fin,
                first_ns: 0,
                last_ns: 0,
            }
        })
        .collect()
}

/// Times `records` through the hand-written writer `write` and through
/// serde_json, one line each, as group `name`.
fn compare<R: serde::Serialize>(
    c: &mut Criterion,
    name: &str,
    records: &[R],
    write: impl Fn(&R, &mut Vec<u8>),
) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(records.len() as u64));
    let mut buf = Vec::with_capacity(records.len() * 400);
    g.bench_function("write_json", |b| {
        b.iter(|| {
            buf.clear();
            for r in records {
                write(black_box(r), &mut buf);
                buf.push(b'\n');
            }
            buf.len()
        });
    });
    g.bench_function("serde_json", |b| {
        b.iter(|| {
            buf.clear();
            for r in records {
                let _ = serde_json::to_writer(&mut buf, black_box(r));
                buf.push(b'\n');
            }
            buf.len()
        });
    });
    g.finish();
}

fn bench_writer(c: &mut Criterion) {
    compare(c, "flow_record_json", &records(), FlowRecord::write_json);
}

/// DNS records as a resolver's link has them: a query, its type and code,
/// a few answers with their TTLs, the round trip.
fn dns_records() -> Vec<DnsRecord> {
    (0..RECORDS)
        .map(|i| DnsRecord {
            id: JoinKey {
                ts: 1_700_000_000.0 + i as f64 * 0.000_713,
                flow_id: (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1,
                orig_h: Addr::from(IpAddr::V4(Ipv4Addr::new(10, 1, (i >> 8) as u8, i as u8))),
                orig_p: 40_000 + (i % 20_000) as u16,
                resp_h: Addr::from(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 53))),
                resp_p: 53,
                proto: ProtoName(17),
                ts_ns: 0,
            },
            trans_id: (i * 4_099) as u16,
            query: Some(format!("host{i}.cdn{}.example.com", i % 17)),
            extra_queries: Vec::new(),
            qtype: Some(["A", "AAAA", "HTTPS"][i % 3].into()),
            rcode: Some("NOERROR".into()),
            answers: (0..i % 4)
                .map(|k| format!("203.0.113.{}", (i + k) % 256))
                .collect(),
            ttls: (0..i % 4).map(|k| 60 * (k as u32 + 1)).collect(),
            rtt: Some(0.012_5 + (i % 9) as f64 * 0.001),
        })
        .collect()
}

fn bench_dns_writer(c: &mut Criterion) {
    compare(c, "dns_record_json", &dns_records(), |r, out| {
        Record::write_json(r, out)
    });
}

criterion_group!(benches, bench_writer, bench_dns_writer);
criterion_main!(benches);
