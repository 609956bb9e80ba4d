//! Decoding and framing throughput, on synthetic subscriber traffic.
//!
//! The frames come from the generator of `examples/bench_capture.rs` (shared
//! module), so they are the same mix as the whole-run benchmark's capture:
//! DNS, NTP, QUIC-like UDP, TCP handshakes, data, ACKs and closes, ~10 % IPv6.
//!
//! `cargo bench --bench decode`

use std::hint::black_box;
use std::io::Cursor;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ivraie::capture::{CHUNK_SIZE, CaptureReader, LinkType};
use ivraie::decode::{Counters, decode};

#[path = "../examples/bench_capture/synth.rs"]
mod synth;

/// Frames decoded per iteration, taken after this many frames of warm-up.
const FRAMES: usize = 4096;
const WARM_UP: usize = 100_000;
/// Records in the in-memory capture that is framed.
const RECORDS: usize = 100_000;

fn bench_decode(c: &mut Criterion) {
    let frames = synth::frames(WARM_UP, FRAMES, 1);
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("ethernet_mix_4096", |b| {
        let mut counters = Counters::default();
        b.iter(|| {
            let mut ports = 0u32;
            for f in &frames {
                let d = decode(LinkType::Ethernet, black_box(f), &mut counters);
                ports = ports.wrapping_add(d.sport as u32 ^ d.dport as u32);
            }
            ports
        });
    });
    g.finish();
}

fn bench_framing(c: &mut Criterion) {
    // Leaked once so that each iteration reads it through a fresh reader without
    // copying the capture.
    let pcap: &'static [u8] = Box::leak(synth::capture(RECORDS, 1).into_boxed_slice());
    let mut g = c.benchmark_group("capture");
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.bench_function("pcap_reader_100k", |b| {
        b.iter(|| {
            let mut r = CaptureReader::from_reader(
                "bench".into(),
                0,
                Box::new(Cursor::new(black_box(pcap))),
                CHUNK_SIZE,
            );
            let mut n = 0u64;
            let mut bytes = 0u64;
            while let Ok(Some(f)) = r.next_frame() {
                n += 1;
                bytes += f.caplen as u64;
            }
            assert_eq!(n, RECORDS as u64);
            bytes
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_decode, bench_framing
}
criterion_main!(benches);
