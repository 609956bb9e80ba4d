//! Generator throughput: packets of a labelled population written per second,
//! on one thread, into memory (`io::sink`-like: the bytes are produced and
//! dropped, so the figure is the generator's, not the disk's).
//!
//! `cargo bench --bench generate`

use std::hint::black_box;
use std::io::Read;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ivraie::generate::{Generator, Population};

/// The default model (1,000 subscribers, every system) over one day.
fn population() -> Population {
    Population {
        days: 1,
        ..Population::default()
    }
}

/// Packets of one whole run, counted once.
fn packets_per_run(p: &Population) -> u64 {
    let mut g = Generator::new(p).unwrap();
    g.write_all_to(&mut std::io::sink()).unwrap();
    g.packets()
}

fn bench_generate(c: &mut Criterion) {
    let p = population();
    let packets = packets_per_run(&p);
    let mut g = c.benchmark_group("generate");
    g.throughput(Throughput::Elements(packets));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("population_1000_1day", |b| {
        let mut buf = vec![0u8; 1 << 20];
        b.iter(|| {
            let mut r = Generator::new(black_box(&p)).unwrap();
            let mut bytes = 0u64;
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                bytes += n as u64;
            }
            assert_eq!(r.packets(), packets);
            bytes
        });
    });
    g.finish();
}

criterion_group!(benches, bench_generate);
criterion_main!(benches);
