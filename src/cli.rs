//! The `ivraie` command: clap arguments → a built [`pipeline::Config`] → run.
//!
//! Exit status: 0 on success, 2 when some input could not be read to its end (the
//! rest was still processed and the outputs written), 1 on usage or fatal errors.
//! A closed stdout (`ivraie inspect x.pcap | head`) is not an error.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::capture::{InputSpec, expand_inputs};
use crate::flow::{DEFAULT_MAX_FLOWS, FlowConfig, Subscribers};
use crate::pipeline::{self, Format, Output, Summary};

/// Replay captures through surveillance "black boxes" and measure what they take in.
///
/// ivraie reads pcap and pcapng captures (files, directories, or `-` for stdin),
/// decodes them, builds bidirectional flows and writes metadata records.
#[derive(Debug, Parser)]
#[command(name = "ivraie", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "\
Examples:
  ivraie inspect pcaps/sample.pcap             summary of a capture
  ivraie inspect --json captures/ > sum.json   every capture of a directory, merged
  ivraie extract big.pcap -o out/              out/flows.jsonl, dns.jsonl, tls.jsonl...
  tcpdump -w - -i eth0 | ivraie extract - -o out --format csv";

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a summary of captures: packets, bytes, time span, link types, protocol
    /// mix, flows, application records, subscribers, top talkers and anomalies.
    Inspect {
        #[command(flatten)]
        input: InputArgs,
        /// Print the summary as one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write metadata records: DIR/flows.jsonl (one flow a line) and one file per
    /// protocol (dns, tls, quic, http, sip, smtp, bittorrent), or CSV.
    Extract {
        #[command(flatten)]
        input: InputArgs,
        /// Directory receiving the record files (created if missing).
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// Record file format.
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
    },
}

/// Arguments shared by every command that reads traffic.
#[derive(Debug, Args)]
struct InputArgs {
    /// Capture files (pcap or pcapng), directories (every capture inside, merged in
    /// timestamp order), or `-` for standard input.
    #[cfg_attr(not(feature = "live"), arg(value_name = "CAPTURE", required = true))]
    #[cfg_attr(
        feature = "live",
        arg(
            value_name = "CAPTURE",
            required_unless_present = "interface",
            conflicts_with = "interface"
        )
    )]
    captures: Vec<PathBuf>,
    /// Capture live on this network interface instead of reading files (needs
    /// root or CAP_NET_RAW). Stops after --duration, --count, or on Ctrl-C.
    #[cfg(feature = "live")]
    #[arg(long, short = 'i', value_name = "IFACE")]
    interface: Option<String>,
    /// Only read frames matching this tcpdump filter expression ("tcp port 443"),
    /// on files and interfaces alike.
    #[cfg(feature = "live")]
    #[arg(long, short = 'f', value_name = "EXPR")]
    filter: Option<String>,
    /// Stop a live capture after this many seconds.
    #[cfg(feature = "live")]
    #[arg(long, value_name = "SECS", requires = "interface")]
    duration: Option<u64>,
    /// Stop a live capture after this many packets.
    #[cfg(feature = "live")]
    #[arg(long, value_name = "N", requires = "interface")]
    count: Option<u64>,
    /// The monitored population, as CIDR ranges (`10.0.0.0/8,2001:db8::/32`). A flow
    /// belongs to the subscriber whose address is in these ranges. Default: every
    /// private-range address (RFC 1918, 100.64.0.0/10, fc00::/7).
    #[arg(long, value_name = "CIDR[,CIDR...]")]
    subscribers: Option<String>,
    /// Worker threads. Default: the number of cores.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Most flows held in memory at once; past it the stalest are ended early and
    /// counted as evictions. Each flow takes about 150 bytes.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_FLOWS)]
    max_flows: usize,
    /// Idle timeout of TCP flows, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    tcp_timeout: u32,
    /// Idle timeout of UDP flows, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    udp_timeout: u32,
    /// Idle timeout of ICMP and other flows, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    other_timeout: u32,
    /// Active timeout: flows open longer are cut into several records, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 1800)]
    active_timeout: u32,
    /// Never show the progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Build flows only: skip the application dissectors (DNS, TLS, ...).
    #[arg(long)]
    flows_only: bool,
    /// Memory-map capture files instead of reading them. Off by default: on a
    /// 2-core machine read() measured faster (BENCHMARKS.md), and a mapped file
    /// truncated by another program while ivraie reads it kills the run.
    #[arg(long)]
    mmap: bool,
}

impl InputArgs {
    /// Builds the pipeline configuration and the list of inputs.
    fn build(
        &self,
        output: Option<Output>,
    ) -> Result<(Vec<InputSpec>, Vec<PathBuf>, pipeline::Config)> {
        let subscribers = match &self.subscribers {
            Some(s) => s
                .parse::<Subscribers>()
                .map_err(anyhow::Error::msg)
                .context("--subscribers")?,
            None => Subscribers::private(),
        };
        let threads = match self.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        };
        if self.max_flows == 0 {
            bail!("--max-flows must be at least 1");
        }
        const SEC: i64 = 1_000_000_000;
        let flow = FlowConfig {
            tcp_idle_ns: self.tcp_timeout as i64 * SEC,
            udp_idle_ns: self.udp_timeout as i64 * SEC,
            other_idle_ns: self.other_timeout as i64 * SEC,
            active_ns: self.active_timeout as i64 * SEC,
            max_flows: self.max_flows,
            ..FlowConfig::default()
        };
        let (inputs, skipped) = expand_inputs(&self.captures);
        #[cfg(feature = "live")]
        let live = self.interface.is_some();
        #[cfg(not(feature = "live"))]
        let live = false;
        if inputs.is_empty() && !live {
            bail!("no capture found in {}", display_list(&self.captures));
        }
        if inputs.iter().filter(|i| **i == InputSpec::Stdin).count() > 1 {
            bail!("`-` (standard input) can be given only once");
        }
        let cfg = pipeline::Config {
            threads,
            flow,
            subscribers,
            output,
            progress: !self.no_progress,
            dissect: !self.flows_only,
            mmap: self.mmap,
            #[cfg(feature = "live")]
            filter: self.filter.clone(),
        };
        Ok((inputs, skipped, cfg))
    }
}

fn display_list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses the command line, runs, and maps the outcome to an exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("ivraie: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Inspect { input, json } => {
            let (inputs, skipped, cfg) = input.build(None)?;
            let summary = run_pipeline(&input, &inputs, skipped, &cfg)?;
            let mut out = io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &summary)?;
                writeln!(out)?;
            } else {
                write_summary(&mut out, &summary)?;
            }
            out.flush()?;
            Ok(status(&summary))
        }
        Command::Extract {
            input,
            output,
            format,
        } => {
            let (inputs, skipped, cfg) = input.build(Some(Output {
                dir: output.clone(),
                format,
            }))?;
            let summary = run_pipeline(&input, &inputs, skipped, &cfg)?;
            let pps = summary.traffic.packets as f64 / summary.wall_s.max(1e-9);
            eprintln!(
                "ivraie: {} packets, {} flows in {:.2} s ({:.2} M packets/s) -> {}",
                summary.traffic.packets,
                summary.flows,
                summary.wall_s,
                pps / 1e6,
                summary
                    .outputs
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(status(&summary))
        }
    }
}

fn run_pipeline(
    args: &InputArgs,
    inputs: &[InputSpec],
    skipped: Vec<PathBuf>,
    cfg: &pipeline::Config,
) -> Result<Summary> {
    #[cfg(feature = "live")]
    if let Some(iface) = &args.interface {
        use crate::capture::live::{LiveSource, Stop};
        let stop = Stop {
            duration: args.duration.map(std::time::Duration::from_secs),
            count: args.count,
        };
        // The kernel filters live traffic; a second pass in the reader is redundant.
        let src = LiveSource::open(iface, args.filter.as_deref(), stop)?;
        let cfg = pipeline::Config {
            filter: None,
            ..cfg.clone()
        };
        return Ok(pipeline::run_source(
            src,
            vec![format!("interface {iface}")],
            &cfg,
        )?);
    }
    #[cfg(not(feature = "live"))]
    let _ = args;
    let mut summary = pipeline::run(inputs, cfg)?;
    summary.skipped = skipped.iter().map(|p| p.display().to_string()).collect();
    for e in &summary.errors {
        eprintln!("ivraie: warning: {}", e.message);
    }
    Ok(summary)
}

fn status(s: &Summary) -> ExitCode {
    if s.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

/// The human summary of `ivraie inspect`.
pub fn write_summary(w: &mut impl Write, s: &Summary) -> io::Result<()> {
    let t = &s.traffic;
    writeln!(w, "inputs       {}", s.inputs.len())?;
    for p in &s.skipped {
        writeln!(w, "  skipped    {p} (not a capture)")?;
    }
    writeln!(w, "packets      {}", t.packets)?;
    writeln!(
        w,
        "bytes        {} on the wire, {} captured",
        t.bytes, t.captured_bytes
    )?;
    match (t.first_ts, t.last_ts) {
        (Some(a), Some(b)) => writeln!(
            w,
            "time span    {} .. {} ({:.3} s)",
            format_ts(a),
            format_ts(b),
            b - a
        )?,
        _ => writeln!(w, "time span    -")?,
    }
    let list = |m: &mut dyn Iterator<Item = (String, u64)>| {
        m.map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(
        w,
        "link types   {}",
        list(&mut t.link_types.iter().map(|(k, v)| (k.clone(), *v)))
    )?;
    writeln!(
        w,
        "protocols    {}",
        list(&mut t.protocols.iter().map(|(k, v)| (k.to_string(), *v)))
    )?;
    writeln!(
        w,
        "flows        {} ({} evicted, peak {} held)",
        s.flows, s.flows_evicted, s.flows_peak
    )?;
    let mut apps: Vec<_> = s.apps.iter().collect();
    apps.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    writeln!(
        w,
        "applications {}",
        list(&mut apps.iter().map(|(k, v)| (k.to_string(), **v)))
    )?;
    if !s.records.is_empty() {
        writeln!(
            w,
            "records      {}",
            list(&mut s.records.iter().map(|(k, v)| (k.to_string(), *v)))
        )?;
    }
    writeln!(w, "subscribers  {}", s.subscribers)?;
    if !s.top_talkers.is_empty() {
        writeln!(
            w,
            "top talkers{}",
            if s.talkers_capped {
                " (approximate)"
            } else {
                ""
            }
        )?;
        for tk in &s.top_talkers {
            writeln!(
                w,
                "  {:<40} {:>14} bytes {:>10} packets {:>8} flows",
                tk.addr, tk.bytes, tk.packets, tk.flows
            )?;
        }
    }
    if t.anomalies.is_empty() {
        writeln!(w, "anomalies    none")?;
    } else {
        writeln!(w, "anomalies")?;
        for (k, v) in &t.anomalies {
            writeln!(w, "  {k:<24} {v}")?;
        }
    }
    for e in &s.errors {
        writeln!(w, "error        {}", e.message)?;
    }
    Ok(())
}

/// Formats seconds since the epoch as UTC `YYYY-MM-DD HH:MM:SS.ffffff`.
pub fn format_ts(secs: f64) -> String {
    let total_us = (secs * 1e6).round() as i64;
    let (s, us) = (
        total_us.div_euclid(1_000_000),
        total_us.rem_euclid(1_000_000),
    );
    let (days, rem) = (s.div_euclid(86_400), s.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{us:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_ts_is_utc_calendar() {
        assert_eq!(format_ts(0.0), "1970-01-01 00:00:00.000000");
        assert_eq!(format_ts(1_700_000_000.5), "2023-11-14 22:13:20.500000");
        assert_eq!(format_ts(951_782_400.0), "2000-02-29 00:00:00.000000");
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
