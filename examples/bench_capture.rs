//! Writes a large synthetic classic-pcap capture for benchmarking.
//!
//! ```text
//! cargo run --release --example bench_capture -- --packets 5000000 --seed 1 -o /tmp/bench.pcap
//! cargo run --release --example bench_capture -- --packets 20000 -o pcaps/sample.pcap
//! ```
//!
//! Ethernet, little-endian, µs timestamps. About 2,000 subscriber hosts in
//! 10.0.0.0/16 (and fd69:7672::/32 for the ~10 % of flows over IPv6) talk to about
//! 20,000 external servers: DNS, NTP, QUIC-like UDP/443, TCP web, bulk and
//! long-lived chatty flows, interleaved, with real handshakes and closes. The same
//! seed and packet count give the same bytes. See `bench_capture/synth.rs`.
//!
//! Options: `--packets N` (default 1,000,000), `--seed S` (default 1), `--rate PPS`
//! (default: N/60, so the capture spans about a minute, capped at 250,000 packets/s),
//! `-o FILE` (required; `-` for stdout).

#[path = "bench_capture/synth.rs"]
mod synth;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use synth::{Generator, PCAP_HEADER, default_rate};

struct Args {
    packets: u64,
    seed: u64,
    rate: Option<f64>,
    output: String,
}

const USAGE: &str =
    "usage: bench_capture [--packets N] [--seed S] [--rate PACKETS_PER_S] -o FILE|-";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        packets: 1_000_000,
        seed: 1,
        rate: None,
        output: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let num = |name: &str, v: String| {
            v.replace('_', "")
                .parse::<u64>()
                .map_err(|e| format!("{name} {v}: {e}"))
        };
        match a.as_str() {
            "--packets" | "-n" => args.packets = num("--packets", value("--packets")?)?,
            "--seed" => args.seed = num("--seed", value("--seed")?)?,
            "--rate" => {
                let v = value("--rate")?;
                let r: f64 = v.parse().map_err(|e| format!("--rate {v}: {e}"))?;
                if !(r > 0.0 && r.is_finite()) {
                    return Err(format!("--rate {v}: must be positive"));
                }
                args.rate = Some(r);
            }
            "-o" | "--output" => args.output = value("-o")?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if args.output.is_empty() {
        return Err("-o FILE is required".into());
    }
    Ok(args)
}

fn run(args: &Args) -> io::Result<()> {
    let sink: Box<dyn Write> = if args.output == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(&args.output)?)
    };
    let mut w = BufWriter::with_capacity(1 << 20, sink);
    let rate = args.rate.unwrap_or_else(|| default_rate(args.packets));
    let mut g = Generator::new(args.seed, rate);
    let started = Instant::now();
    w.write_all(&PCAP_HEADER)?;
    let mut first_ts = None;
    let mut last_ts = 0;
    let mut rec = Vec::with_capacity(2048);
    for _ in 0..args.packets {
        rec.clear();
        rec.extend_from_slice(&[0; 16]);
        let ts = g.next_frame(&mut rec);
        let len = (rec.len() - 16) as u32;
        rec[0..4].copy_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
        rec[4..8].copy_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
        rec[8..12].copy_from_slice(&len.to_le_bytes());
        rec[12..16].copy_from_slice(&len.to_le_bytes());
        w.write_all(&rec)?;
        first_ts.get_or_insert(ts);
        last_ts = ts;
    }
    w.flush()?;
    drop(w);
    let secs = started.elapsed().as_secs_f64();
    let s = g.stats;
    let file_bytes = 24 + 16 * s.packets + s.bytes;
    let span = (last_ts - first_ts.unwrap_or(last_ts)) as f64 / 1e6;
    let pct = |n: u64| 100.0 * n as f64 / s.packets.max(1) as f64;
    eprintln!(
        "{}: {} packets, {} bytes of frames ({} bytes of file), average packet {:.1} bytes",
        args.output,
        s.packets,
        s.bytes,
        file_bytes,
        s.bytes as f64 / s.packets.max(1) as f64
    );
    eprintln!(
        "  {:.1} s of traffic at {:.0} packets/s; {} flows started ({:.1} packets each), \
         {} at most in progress at once; TCP {:.1} %, IPv6 {:.1} % of packets",
        span,
        s.packets as f64 / span.max(1e-6),
        s.flows,
        s.packets as f64 / s.flows.max(1) as f64,
        s.peak_live,
        pct(s.tcp_packets),
        pct(s.v6_packets),
    );
    eprintln!(
        "  written in {:.2} s: {:.2} M packets/s, {:.0} MB/s",
        secs,
        s.packets as f64 / secs / 1e6,
        file_bytes as f64 / secs / 1e6
    );
    // The same figures for scripts, one per line, on stdout (unless the capture
    // went there).
    if args.output != "-" {
        println!("packets {}", s.packets);
        println!("bytes {}", s.bytes);
        println!(
            "avg_packet_bytes {:.1}",
            s.bytes as f64 / s.packets.max(1) as f64
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("bench_capture: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(if e.is_empty() { 0 } else { 2 });
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_capture: {}: {e}", args.output);
            ExitCode::FAILURE
        }
    }
}
