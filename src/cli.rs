//! The `ivraie` command: clap arguments → a built [`pipeline::Config`] → run.
//!
//! Exit status, the same for every command ([`exit`]): 0 on success; 1 when the
//! command could not do its job (a usage error, a bad scenario, a file that
//! cannot be read or written, an output place refused); 2 when it did its job
//! on damaged input: some capture could not be read to its end (the rest was
//! still processed and the outputs written), or an oversight log does not
//! verify (`verify-log`, `report`); 128 + N when signal N stopped it (130 for
//! Ctrl-C, 143 for SIGTERM), with no temporary file left behind. A closed
//! stdout (`ivraie inspect x.pcap | head`) is not an error.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::capture::{InputSpec, expand_inputs};
use crate::flow::{DEFAULT_MAX_FLOWS, FlowConfig, Subscribers};
use crate::generate::{self, Generator, Population, Role, System};
use crate::measure::{BaseRate, Extrapolation};
use crate::output::{Claim, Staged};
use crate::oversight::{self, LogHead, Problem};
use crate::pipeline::{self, Format, Output, Summary};
use crate::scenario::Scenario;
use crate::simulator::{self, KeyChoice, RunOptions};

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
  ivraie run scenarios/classroom.toml          the classroom demonstration
  ivraie check scenarios/*.toml                validate scenarios without running
  ivraie inspect pcaps/sample.pcap             summary of a capture
  ivraie inspect --json captures/ > sum.json   every capture of a directory, merged
  ivraie extract big.pcap -o out/              out/flows.jsonl, dns.jsonl, tls.jsonl...
  tcpdump -w - -i eth0 | ivraie extract - -o out --format csv
  ivraie report runs/classroom --format csv    runs/classroom/tables/*.csv
  ivraie verify-log run/oversight.jsonl        is the oversight log intact?
  ivraie baserate --population 60000000 --targets 1000 --tpr 1 --fpr 1%
  ivraie generate --population 500 --days 3 -o pop.pcap   pop.pcap + pop.labels.csv";

const VERIFY_LOG_EXAMPLES: &str = "\
Examples:
  ivraie verify-log run/oversight.jsonl
  ivraie verify-log run/oversight.jsonl --report run/report.json
  ivraie verify-log oversight.jsonl --expect-head 3f5a...c2:412

Exit status: 0 the log verifies; 2 it does not (the message names the first bad
line and how many entries before it verify); 1 it could not be read.";

const BASERATE_EXAMPLES: &str = "\
Examples:
  The 2015 arithmetic: 60 million people, 1,000 real targets, a box that finds
  every target and wrongly flags 1% of everyone else:
    ivraie baserate --population 60000000 --targets 1000 --tpr 1 --fpr 1%
  A box with a hundred times fewer false alarms still flags mostly innocents:
    ivraie baserate --population 60000000 --targets 1000 --tpr 0.9 --fpr 0.01%
  As JSON, for a script or a sweep:
    ivraie baserate --population 1e6 --targets 50 --tpr 95% --fpr 0.1% --json";

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
        #[arg(long, value_enum, default_value_t = FormatArg::Jsonl)]
        format: FormatArg,
        /// Replace DIR even if it holds something else than an earlier output
        /// of this command (everything in it is deleted). Without it such a
        /// directory is refused; an earlier output of the same command is
        /// always replaced whole.
        #[arg(long)]
        force: bool,
    },
    /// Run a scenario: its black boxes over its traffic, under warrant, and measure
    /// what they take in and how many innocent people they flag for each real target.
    ///
    /// Writes DIR/report.json (every figure), DIR/report.html (the same with
    /// charts, one self-contained page), DIR/alerts.jsonl (pseudonymous alerts)
    /// and DIR/oversight.jsonl (the hash-chained log; check it with `ivraie
    /// verify-log`), and prints a summary.
    #[command(
        after_help = "Examples:\n  ivraie run scenarios/classroom.toml\n  ivraie run scenarios/l851-3.toml -o runs/l851"
    )]
    Run {
        /// The scenario file (TOML; every key is documented in scenarios/README.md).
        scenario: PathBuf,
        /// Output directory (created 0700 if missing). Default: the scenario's
        /// `output` key, else `runs/<scenario name>`.
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Worker threads for reading the traffic. Default: the number of cores.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// Key of the subscribers' pseudonyms, read from a file of at least 32
        /// bytes: the same key gives the same pseudonyms on the next run. Default:
        /// derived from the scenario's seed for generated traffic (synthetic
        /// people), a fresh random key for real captures.
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
        /// Print the report as JSON on stdout instead of the summary.
        #[arg(long)]
        json: bool,
        /// Never show the progress bar.
        #[arg(long)]
        no_progress: bool,
        /// Also write the tables of report.json as CSV: DIR/tables/run.csv,
        /// boxes.csv, windows.csv, days.csv.
        #[arg(long)]
        tables: bool,
        /// Name the capture files in report.json (`traffic.inputs`, errors).
        /// Default: "input 1", "input 2"... since file names often hold
        /// addresses or customers' names.
        #[arg(long)]
        name_inputs: bool,
        /// Replace DIR even if it holds something else than an earlier output
        /// of this command (everything in it is deleted). Without it such a
        /// directory is refused; an earlier output of the same command is
        /// always replaced whole.
        #[arg(long)]
        force: bool,
    },
    /// Redraw a run's DIR/report.html from DIR/report.json (checking
    /// DIR/oversight.jsonl again), or write its tables as CSV.
    #[command(
        after_help = "Examples:\n  ivraie report runs/classroom                 redraw runs/classroom/report.html\n  ivraie report runs/classroom --format csv    runs/classroom/tables/*.csv"
    )]
    Report {
        /// The run's output directory (holding report.json).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// What to write.
        #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
        format: ReportFormat,
    },
    /// Run a scenario over a grid of parameter values: the traffic is read and
    /// dissected once, and streams past every point's boxes side by side. Writes
    /// DIR/sweep.csv (one row per point and box: alerts, precision, recall,
    /// false-positive rate, SNR, retained bytes...) and each point's full outputs
    /// in DIR/points/NNN/.
    #[command(
        after_help = "Examples:\n  ivraie sweep scenarios/classroom.toml --set box.watchlist.threshold=1..10\n  ivraie sweep scenarios/l851-3.toml --set box.algorithm-1.threshold=2,3,5 --set box.algorithm-1.window=1d,7d,30d"
    )]
    Sweep {
        /// The scenario file.
        scenario: PathBuf,
        /// A key and its values: box.NAME.threshold=LOW..HIGH or =A,B,C;
        /// box.NAME.window=1d,7d; box.NAME.cooldown=24h,7d. Repeat for a grid.
        #[arg(long = "set", value_name = "KEY=VALUES", required = true, value_parser = crate::sweep::parse_set)]
        sets: Vec<crate::sweep::Axis>,
        /// Output directory. Default: runs/<scenario name>-sweep.
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Threads reading the traffic. Default: the number of cores.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// Pseudonym key file (see `ivraie run --help`).
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
        /// Never show the progress bar.
        #[arg(long)]
        no_progress: bool,
        /// Name the capture files in each point's report.json (see `ivraie run
        /// --help`).
        #[arg(long)]
        name_inputs: bool,
        /// Replace DIR even if it holds something else than an earlier output
        /// of this command (everything in it is deleted). Without it such a
        /// directory is refused; an earlier output of the same command is
        /// always replaced whole.
        #[arg(long)]
        force: bool,
    },
    /// Validate scenario files without running them: every key, value, selector
    /// and scope. Prints what each scenario would run.
    #[command(after_help = "Example:\n  ivraie check scenarios/*.toml")]
    Check {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Check an oversight log: every entry's hash, the chain linking each entry
    /// to the one before, their order, and the closing entry. Prints OK with the
    /// number of entries, or the first entry that was edited, removed, reordered
    /// or cut, and how many entries before it verify.
    #[command(after_help = VERIFY_LOG_EXAMPLES)]
    VerifyLog {
        /// The log (`oversight.jsonl`, written by a run).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Also check the log ends where the run said it did: HASH is the last
        /// entry's hash and COUNT the number of entries, as recorded in the run's
        /// report. Catches a tail cut off and replaced by a forged closing entry.
        #[arg(long, value_name = "HASH:COUNT", value_parser = parse_head)]
        expect_head: Option<LogHead>,
        /// Take the expected head from a run's report (its `oversight_head`
        /// field, `{"entries": N, "head_hash": "..."}`).
        #[arg(long, value_name = "REPORT", conflicts_with = "expect_head")]
        report: Option<PathBuf>,
    },
    /// The base-rate fallacy, worked out: how many alerts a box raises on a
    /// population, how many of them are innocent people, and the chance that an
    /// alert points at a real target.
    #[command(after_help = BASERATE_EXAMPLES)]
    Baserate(BaserateArgs),
    /// Generate a labelled synthetic population: FILE.pcap holds its traffic
    /// (DNS, TLS, QUIC, HTTP, SIP, SMTP, BitTorrent, NTP, ICMP) over the simulated
    /// calendar, FILE.labels.csv says who is a target, a lookalike or ordinary.
    /// Same arguments and seed, same bytes.
    #[command(after_help = GENERATE_EXAMPLES)]
    Generate(GenerateArgs),
}

/// Arguments of `ivraie baserate`.
#[derive(Debug, Args)]
// `--fpr -0.1` is a wrong rate, not an unknown flag `-0`.
#[command(allow_negative_numbers = true)]
struct BaserateArgs {
    /// People watched: `60000000`, `60_000_000`, `60,000,000` or `6e7`.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    population: u64,
    /// Real targets among them.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    targets: u64,
    /// Share of real targets the box flags (true-positive rate): `0.9` or `90%`.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    tpr: f64,
    /// Share of innocent people the box flags (false-positive rate): `0.01` or `1%`.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    fpr: f64,
    /// Print the numbers as one JSON object instead of sentences.
    #[arg(long)]
    json: bool,
}

/// A count of people: digits with optional `_` or `,` separators, or a whole
/// number in scientific notation (`6e7`).
fn parse_count(s: &str) -> Result<u64, String> {
    let bad = || format!("`{s}` is not a whole number of people");
    let digits: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '_' | ','))
        .collect();
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.parse().map_err(|_| format!("`{s}` is too large"));
    }
    if digits.contains(['e', 'E']) {
        let x: f64 = digits.parse().map_err(|_| bad())?;
        if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= u64::MAX as f64 {
            return Ok(x as u64);
        }
    }
    Err(bad())
}

/// A rate: a proportion (`0.01`) or a percentage (`1%`), between 0 and 1.
fn parse_rate(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (t, 1.0),
    };
    let x: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a rate (write 0.01 or 1%)"))?;
    let r = x / scale;
    if !(0.0..=1.0).contains(&r) {
        return Err(format!("`{s}` is not between 0 and 1 (0% and 100%)"));
    }
    Ok(r)
}

/// `HASH:COUNT`, the head a run recorded for its oversight log.
fn parse_head(s: &str) -> Result<LogHead, String> {
    let (hash, count) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("`{s}` is not HASH:COUNT"))?;
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("`{hash}` is not a SHA-256 hash (64 hex digits)"));
    }
    let entries = count
        .trim()
        .parse()
        .map_err(|_| format!("`{count}` is not a number of entries"))?;
    Ok(LogHead {
        entries,
        head_hash: hash,
    })
}

const GENERATE_EXAMPLES: &str = "\
Examples:
  ivraie generate -o pop.pcap                          1000 subscribers, 7 days, seed 1
  ivraie generate --population 2000 --days 61 --seed 7 -o window.pcap   a 2-month window
  ivraie generate --systems pbx,spam --targets 1 --lookalikes 5 -o fraud.pcap
  ivraie generate --population-file pcaps/population.toml -o pcaps/population.pcap
  ivraie generate -o - --labels pop.labels.csv | ivraie inspect -

Every behaviour rate (visits to watched sites per week, PBX calls per night,
mails per hour...) is a field of the population file (TOML); the flags override
the file's values. See `ivraie::generate::Population` for all fields.
With the default rates a subscriber-day is about 840 packets and 87 kB of
capture (downloads are snaplen-cut records that keep their real size on the wire).";

/// Arguments of `ivraie generate`.
#[derive(Debug, Args)]
struct GenerateArgs {
    /// Output capture (classic pcap), or `-` for standard output. Its labels go
    /// to FILE.labels.csv beside it (x.pcap -> x.labels.csv).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Where to write the labels instead (required with `-o -`).
    #[arg(long, value_name = "PATH")]
    labels: Option<PathBuf>,
    /// A population file (TOML, fields of `Population`); flags override it.
    #[arg(long, value_name = "FILE.toml")]
    population_file: Option<PathBuf>,
    /// Subscribers [default: 1000].
    #[arg(long, value_name = "N")]
    population: Option<u32>,
    /// Days simulated [default: 7].
    #[arg(long, value_name = "D")]
    days: Option<u32>,
    /// Seed of every random choice [default: 1].
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// First day of the simulated calendar, YYYY-MM-DD [default: 2026-01-01].
    #[arg(long, value_name = "DATE")]
    start: Option<String>,
    /// IPv4 range of subscriber addresses [default: 10.0.0.0/8].
    #[arg(long, value_name = "CIDR")]
    subscribers: Option<String>,
    /// Targets per system [default: 2].
    #[arg(long, value_name = "N")]
    targets: Option<u32>,
    /// Lookalikes per system [default: 10].
    #[arg(long, value_name = "N")]
    lookalikes: Option<u32>,
    /// Systems with targets and lookalikes: comma list of l851, hadopi, pbx, spam
    /// [default: all].
    #[arg(long, value_name = "LIST")]
    systems: Option<String>,
    /// Replace FILE (and its labels file) even if they are not an earlier
    /// output of `ivraie generate`. Without it only such an output is replaced.
    #[arg(long)]
    force: bool,
    /// Never show the progress bar.
    #[arg(long)]
    no_progress: bool,
}

/// Whether `path` is a labels file `ivraie generate` wrote (its first line is
/// the labels header).
fn is_labels_file(path: &Path) -> bool {
    use std::io::{BufRead, Read};
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut first = String::new();
    io::BufReader::new(f.take(256)).read_line(&mut first).is_ok()
        && first.trim_end() == generate::LABELS_HEADER
}

impl GenerateArgs {
    /// The population: the file's values (or the defaults), then the flags.
    fn build(&self) -> Result<Population> {
        let mut p = match &self.population_file {
            Some(f) => Population::from_toml_file(f).map_err(anyhow::Error::msg)?,
            None => Population::default(),
        };
        if let Some(v) = self.population {
            p.population = v;
        }
        if let Some(v) = self.days {
            p.days = v;
        }
        if let Some(v) = self.seed {
            p.seed = v;
        }
        if let Some(v) = &self.start {
            p.start = v.clone();
        }
        if let Some(v) = &self.subscribers {
            p.subscribers = v.clone();
        }
        if let Some(v) = self.targets {
            p.targets = v;
        }
        if let Some(v) = self.lookalikes {
            p.lookalikes = v;
        }
        if let Some(list) = &self.systems {
            p.systems = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    System::from_name(s).with_context(|| {
                        format!("--systems: `{s}` is not l851, hadopi, pbx or spam")
                    })
                })
                .collect::<Result<_>>()?;
        }
        p.validate().map_err(anyhow::Error::msg)?;
        Ok(p)
    }
}

fn generate(args: &GenerateArgs) -> Result<ExitCode> {
    let p = args.build()?;
    let stdout = args.output.as_os_str() == "-";
    let labels_to = match (&args.labels, stdout) {
        (Some(l), _) => l.clone(),
        (None, false) => generate::labels_path(&args.output),
        (None, true) => bail!("with `-o -` the labels need a file: add --labels PATH"),
    };
    if !stdout {
        // The capture is an earlier output of `generate` when its labels file
        // beside it is one (the labels are written last).
        let beside = generate::labels_path(&args.output);
        crate::output::claim_file(
            &args.output,
            "a capture written by `ivraie generate` (its labels file is not beside it)",
            args.force,
            |_| is_labels_file(&beside),
        )?;
    }
    crate::output::claim_file(
        &labels_to,
        "a labels file written by `ivraie generate`",
        args.force,
        is_labels_file,
    )?;
    // How big, before starting: measured on a sample of the population.
    let est = generate::estimate_size(&p).map_err(anyhow::Error::msg)?;
    eprintln!(
        "ivraie: {} people over {} day{}: about {} packets, {} of capture, {}",
        crate::report::thousands(p.population as u64),
        p.days,
        if p.days == 1 { "" } else { "s" },
        crate::report::about(est.packets as f64),
        crate::report::bytes(est.capture_bytes),
        crate::progress::duration(est.seconds)
    );
    if !stdout {
        let dir = crate::output::parent_of(&args.output);
        if let Some(free) = crate::output::available_space(dir) {
            // The file is written whole beside its final name: it needs all
            // its room at once, and a margin.
            let need = est.capture_bytes.saturating_add(est.capture_bytes / 10);
            if need > free {
                bail!(
                    "{} would need about {} ({} packets) but {} has {} free: \
                     fewer people (--population) or days (--days), or another disk",
                    args.output.display(),
                    crate::report::bytes(need),
                    crate::report::about(est.packets as f64),
                    dir.display(),
                    crate::report::bytes(free)
                );
            }
        }
    }
    let started = std::time::Instant::now();
    let mut g = Generator::new(&p).map_err(anyhow::Error::msg)?;
    let mut progress = crate::progress::Progress::new(!args.no_progress);
    let span = (g.start_ns(), g.end_ns());
    let mut show = |g: &Generator| {
        progress.update(crate::progress::Position {
            fraction: Some((g.now_ns() - span.0) as f64 / (span.1 - span.0).max(1) as f64),
            packets: g.packets(),
            sim_ns: Some(g.now_ns()),
        })
    };
    let (packets, bytes) = if stdout {
        let mut out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
        let r = g.write_all_with(&mut out, &mut show)?;
        out.flush()?;
        r
    } else {
        let mut r = (0, 0);
        crate::output::write_atomically(&args.output, |w| {
            r = g.write_all_with(w, &mut show)?;
            Ok(())
        })?;
        r
    };
    drop(show);
    progress.finish();
    generate::write_labels(&labels_to, g.labels())
        .with_context(|| format!("writing {}", labels_to.display()))?;
    let wall = started.elapsed().as_secs_f64();
    let count = |r: Role| g.labels().iter().filter(|l| l.role == r).count();
    eprintln!(
        "ivraie: {} subscribers ({} targets, {} lookalikes, {} ordinary), {} days from {}: \
         {packets} packets, {bytes} bytes on the wire in {wall:.2} s ({:.2} M packets/s) -> {}, {}",
        g.labels().len(),
        count(Role::Target),
        count(Role::Lookalike),
        count(Role::Ordinary),
        p.days,
        p.start,
        packets as f64 / wall.max(1e-9) / 1e6,
        args.output.display(),
        labels_to.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Arguments shared by every command that reads traffic.
#[derive(Debug, Args)]
struct InputArgs {
    /// Capture files (pcap or pcapng), directories (every capture inside, merged in
    /// timestamp order), or `-` for standard input.
    #[arg(
        value_name = "CAPTURE",
        required_unless_present = "interface",
        conflicts_with = "interface"
    )]
    captures: Vec<PathBuf>,
    /// Capture live on this network interface instead of reading files (needs
    /// root or CAP_NET_RAW, and a build with `--features live`). Stops after
    /// --duration, --count, or on Ctrl-C.
    #[arg(long, short = 'i', value_name = "IFACE")]
    interface: Option<String>,
    /// Only read frames matching this tcpdump filter expression ("tcp port 443"),
    /// on files and interfaces alike (needs a build with `--features live`).
    #[arg(long, short = 'f', value_name = "EXPR")]
    filter: Option<String>,
    /// Stop a live capture after this many seconds.
    #[arg(long, value_name = "SECS", requires = "interface")]
    duration: Option<u64>,
    /// Stop a live capture after this many packets.
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
    /// counted as evictions. Each flow takes about 250 bytes, plus what its
    /// dissector holds (a DNS query waiting for its answer, a call's text).
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
        let threads = thread_count(self.threads)?;
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
        #[cfg(not(feature = "live"))]
        for (set, option) in [
            (self.interface.is_some(), "-i/--interface"),
            (self.filter.is_some(), "--filter"),
        ] {
            if set {
                return Err(needs_feature(
                    option,
                    "live",
                    " (and libpcap: apt-get install libpcap-dev)",
                ));
            }
        }
        let (inputs, skipped) = expand_inputs(&self.captures);
        let live = self.interface.is_some();
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
            span_ns: None,
            dissect: !self.flows_only,
            mmap: self.mmap,
            keep: false,
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

/// The exit statuses of every command (README, "Exit status").
pub mod exit {
    /// The command did its job.
    pub const OK: u8 = 0;
    /// The command could not do its job: usage error, bad scenario, unreadable
    /// or unwritable file, refused output place.
    pub const ERROR: u8 = 1;
    /// The job was done on damaged input: a capture not read to its end, or
    /// an oversight log that does not verify.
    pub const DAMAGED: u8 = 2;
}

/// Parses the command line, runs, and maps the outcome to an exit status.
pub fn main() -> ExitCode {
    crate::output::install_signal_cleanup();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::from(exit::ERROR),
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("ivraie: error: {}", error_text(&e));
            ExitCode::from(exit::ERROR)
        }
    }
}

/// An error and its causes on one line, each said once: a cause whose text
/// its context already holds (`cannot read x: No such file...` over the same
/// `No such file...`) is not repeated.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let t = cause.to_string();
        if t.is_empty() || out.contains(&t) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&t);
    }
    out
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
        Command::Generate(args) => generate(&args),
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
            force,
        } => {
            let format = format.build()?;
            // Checked (and the place claimed) before any work.
            let staged = Staged::prepare(&output, Claim::new("extract", ""), force)?;
            let (inputs, skipped, cfg) = input.build(Some(Output {
                dir: staged.dir().to_path_buf(),
                format,
            }))?;
            let mut summary = run_pipeline(&input, &inputs, skipped, &cfg)?;
            for p in &mut summary.outputs {
                if let Ok(rest) = p.strip_prefix(staged.dir()) {
                    *p = output.join(rest);
                }
            }
            staged.commit()?;
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
        Command::Run {
            scenario,
            output,
            threads,
            key_file,
            json,
            no_progress,
            tables,
            name_inputs,
            force,
        } => run_scenario(
            &scenario,
            RunFlags {
                output,
                threads,
                key_file,
                json,
                no_progress,
                tables,
                name_inputs,
                force,
            },
        ),
        Command::Report { dir, format } => report_dir(&dir, format),
        Command::Sweep {
            scenario,
            sets,
            output,
            threads,
            key_file,
            no_progress,
            name_inputs,
            force,
        } => {
            let s = Scenario::load(&scenario)?;
            let mut opts = run_options(&scenario, output, "-sweep", threads, key_file, !no_progress)?;
            opts.name_inputs = name_inputs;
            let out_dir = opts.out_dir.clone();
            let staged = Staged::prepare(&out_dir, Claim::new("sweep", &scenario_claim(&s)), force)?;
            opts.out_dir = staged.dir().to_path_buf();
            let swept = crate::sweep::run(&s, &scenario, sets, &opts)?;
            crate::sweep::write_csv(staged.dir(), &swept)?;
            crate::sweep::write_html(staged.dir(), &swept, &s.name)?;
            staged.commit()?;
            let csv = out_dir.join("sweep.csv");
            let html = out_dir.join("sweep.html");
            eprintln!(
                "ivraie: {} points in {:.1} s (traffic read and simulated in {:.1} s) -> {}, {}",
                swept.points.len(),
                swept.wall_s,
                swept.prepare_s,
                csv.display(),
                html.display()
            );
            let mut out = io::stdout().lock();
            let buf = crate::sweep::csv_bytes(&swept);
            out.write_all(&buf)?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { scenarios } => {
            let mut out = io::stdout().lock();
            let mut bad = 0;
            for path in &scenarios {
                match Scenario::load(path) {
                    Ok(s) => {
                        let boxes: Vec<String> = s
                            .boxes()
                            .map(|b| {
                                format!(
                                    "{} ({}, threshold {} in {})",
                                    b.name,
                                    b.scope.name(),
                                    b.threshold,
                                    b.window
                                )
                            })
                            .collect();
                        writeln!(out, "{}: OK: {}", path.display(), boxes.join("; "))?;
                    }
                    Err(e) => {
                        bad += 1;
                        eprintln!("ivraie: error: {e}");
                    }
                }
            }
            out.flush()?;
            Ok(if bad == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(exit::ERROR)
            })
        }
        Command::VerifyLog {
            file,
            expect_head,
            report,
        } => verify_log(&file, expect_head, report.as_deref()),
        Command::Baserate(args) => baserate(&args),
    }
}

/// `ivraie verify-log`: the verdict on stdout; exit 0 (intact), 2 (not
/// intact) or 1 (could not be checked).
fn verify_log(file: &Path, expect: Option<LogHead>, report: Option<&Path>) -> Result<ExitCode> {
    let expect = match (expect, report) {
        (Some(h), _) => Some(h),
        (None, Some(r)) => match read_report_head(r) {
            Ok(h) => Some(h),
            Err(e) => {
                eprintln!("ivraie: error: {}", error_text(&e));
                return Ok(ExitCode::from(exit::ERROR));
            }
        },
        (None, None) => None,
    };
    let result = match &expect {
        Some(h) => oversight::verify_against(file, h),
        None => oversight::verify(file),
    };
    let mut out = io::stdout().lock();
    match result {
        Ok(v) => {
            writeln!(
                out,
                "OK: {}: {} entries verify, the last one closes the log; head {}{}",
                file.display(),
                v.entries,
                v.head_hash,
                if expect.is_some() {
                    " (the head the run recorded)"
                } else {
                    ""
                }
            )?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if let Problem::Io { source } = &e.problem {
                eprintln!("ivraie: error: cannot read {}: {source}", file.display());
                return Ok(ExitCode::from(exit::ERROR));
            }
            writeln!(out, "FAILED: {}: {e}", file.display())?;
            out.flush()?;
            Ok(ExitCode::from(exit::DAMAGED))
        }
    }
}

/// The `oversight_head` a run stored in its report.
fn read_report_head(path: &Path) -> Result<LogHead> {
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let report: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let head = report
        .get("oversight_head")
        .with_context(|| format!("{} has no `oversight_head` field", path.display()))?;
    serde_json::from_value(head.clone())
        .with_context(|| format!("`oversight_head` in {}", path.display()))
}

/// `ivraie baserate`.
fn baserate(args: &BaserateArgs) -> Result<ExitCode> {
    let b = BaseRate {
        population: args.population,
        targets: args.targets,
        tpr: args.tpr,
        fpr: args.fpr,
    };
    if let Err(e) = b.validate() {
        eprintln!("ivraie: error: {e}");
        return Ok(ExitCode::from(exit::ERROR));
    }
    let x = b.extrapolate();
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &x)?;
        writeln!(out)?;
    } else {
        out.write_all(baserate_text(&x).as_bytes())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The extrapolation in sentences a non-specialist reads.
pub fn baserate_text(x: &Extrapolation) -> String {
    let mut s = format!(
        "Population {}, of whom {} {} real {}.\n",
        thousands(x.population),
        thousands(x.targets),
        if x.targets == 1 { "is a" } else { "are" },
        if x.targets == 1 { "target" } else { "targets" },
    );
    s += &format!(
        "A box that flags {} of targets and {} of innocent people ",
        percent(x.tpr),
        percent(x.fpr)
    );
    if x.alerts == 0.0 {
        s += "raises no alert.\n";
        return s;
    }
    s += &format!(
        "raises about {} alerts: {} true, {} false.\n",
        count(x.alerts),
        count(x.expected_true_alerts),
        count(x.expected_false_alerts)
    );
    match x.false_per_true {
        None => s += "No real target is flagged: every alert points at an innocent person.\n",
        Some(f) if f == 0.0 => s += "No innocent person is flagged.\n",
        Some(f) if f >= 1.0 => {
            s += &format!(
                "For every real target flagged, about {} innocent {} flagged.\n",
                about(f),
                if about(f) == "1" {
                    "person is"
                } else {
                    "people are"
                }
            )
        }
        Some(f) => {
            s += &format!(
                "For every innocent person flagged, about {} real targets are flagged.\n",
                about(1.0 / f)
            )
        }
    }
    if let Some(ppv) = x.ppv {
        s += &format!(
            "The chance that an alert points at a real target is {}",
            percent(ppv)
        );
        match x.alerts_per_target {
            Some(n) if n >= 1.5 => s += &format!(" (1 in {}).\n", about(n)),
            _ => s += ".\n",
        }
    }
    s
}

/// `60,000,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An expected count: whole (with separators) from 100 up or when it is whole,
/// else one decimal (`0.6`).
fn count(x: f64) -> String {
    if x >= 100.0 || (x - x.round()).abs() < 1e-6 {
        thousands(x.round() as u64)
    } else {
        trim_zeros(format!("{x:.1}"))
    }
}

/// A rounded ratio: whole from 10 up, else one decimal (`2.5`).
fn about(x: f64) -> String {
    if x >= 10.0 {
        thousands(x.round() as u64)
    } else {
        trim_zeros(format!("{x:.1}"))
    }
}

/// A proportion as a percentage: `100%`, `16.64%`, `0.17%`, `0.001%` (two
/// significant digits below 1%).
fn percent(p: f64) -> String {
    let v = p * 100.0;
    if v == 0.0 || (v - v.round()).abs() < 1e-9 {
        return format!("{v:.0}%");
    }
    let decimals = if v >= 1.0 {
        2
    } else {
        (1 - v.log10().floor() as i64).clamp(0, 12) as usize
    };
    format!("{}%", trim_zeros(format!("{v:.decimals$}")))
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `--threads`: the number of cores by default, at least 1.
fn thread_count(threads: Option<usize>) -> Result<usize> {
    match threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => Ok(n),
        None => Ok(pipeline::Config::default().threads),
    }
}

/// The options of `run` and `sweep`: the output directory defaults to
/// `runs/<scenario file stem><suffix>`.
fn run_options(
    scenario: &std::path::Path,
    output: Option<PathBuf>,
    suffix: &str,
    threads: Option<usize>,
    key_file: Option<PathBuf>,
    progress: bool,
) -> Result<RunOptions> {
    let out_dir = output.unwrap_or_else(|| {
        let stem = scenario
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned());
        PathBuf::from("runs").join(format!("{}{suffix}", stem.unwrap_or_else(|| "run".into())))
    });
    Ok(RunOptions {
        out_dir,
        threads: thread_count(threads)?,
        progress,
        key: key_file.map(KeyChoice::File).unwrap_or_default(),
        name_inputs: false,
    })
}

/// Says how big a scenario's traffic is before reading it: a generated
/// population's packets (measured on a sample), or the captures' bytes.
/// Quiet when `quiet` and the job is small.
fn announce_size(s: &Scenario, quiet: bool) -> Result<()> {
    let mut parts = Vec::new();
    let mut big = false;
    if let Some(pop) = &s.source.generate {
        let est = generate::estimate_size(pop).map_err(anyhow::Error::msg)?;
        big |= est.packets > 10_000_000;
        parts.push(format!(
            "{} people over {} days to generate (about {} packets)",
            crate::report::thousands(pop.population as u64),
            pop.days,
            crate::report::about(est.packets as f64)
        ));
    }
    let (inputs, _) = expand_inputs(&s.source.captures);
    if !inputs.is_empty() {
        let bytes: u64 = inputs
            .iter()
            .filter_map(|i| match i {
                InputSpec::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
                _ => None,
            })
            .sum();
        big |= bytes > 1 << 30;
        parts.push(format!(
            "{} capture{} ({})",
            inputs.len(),
            if inputs.len() == 1 { "" } else { "s" },
            crate::report::bytes(bytes)
        ));
        if s.clock.loops > 1 {
            parts.push(format!("looped {} times", s.clock.loops));
        }
    }
    if !parts.is_empty() && (big || !quiet) {
        eprintln!("ivraie: reading {}", parts.join(", "));
    }
    Ok(())
}

/// The flags of `ivraie run`.
struct RunFlags {
    output: Option<PathBuf>,
    threads: Option<usize>,
    key_file: Option<PathBuf>,
    json: bool,
    no_progress: bool,
    tables: bool,
    name_inputs: bool,
    force: bool,
}

/// What a run's or sweep's output directory holds the output of.
fn scenario_claim(s: &Scenario) -> String {
    format!("scenario `{}`", s.name)
}

fn run_scenario(path: &std::path::Path, f: RunFlags) -> Result<ExitCode> {
    let s = Scenario::load(path)?;
    let mut opts = run_options(
        path,
        f.output.or_else(|| s.output.clone()),
        "",
        f.threads,
        f.key_file,
        !f.no_progress,
    )?;
    opts.name_inputs = f.name_inputs;
    let out_dir = opts.out_dir.clone();
    let staged = Staged::prepare(&out_dir, Claim::new("run", &scenario_claim(&s)), f.force)?;
    announce_size(&s, f.json || f.no_progress)?;
    opts.out_dir = staged.dir().to_path_buf();
    let report = simulator::run(&s, path, &opts)?;
    let value = serde_json::to_value(&report).context("report.json as a value")?;
    crate::report::write_outputs(staged.dir(), &value, f.tables)?;
    staged.commit()?;
    let json = f.json;
    for w in &report.warnings {
        eprintln!("ivraie: warning: {w}");
    }
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        crate::report::terminal(&mut out, &report, &out_dir)?;
    }
    out.flush()?;
    Ok(if report.traffic.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::DAMAGED)
    })
}

/// What `ivraie report` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    /// DIR/report.html.
    Html,
    /// DIR/tables/*.csv.
    Csv,
    /// DIR/tables/*.parquet (needs a build with `--features parquet`).
    Parquet,
}

/// Record file formats, as the command line names them (all of them, whatever
/// the build: an option of a feature left out says which feature it needs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum FormatArg {
    /// JSON lines: one record a line, optional fields left out.
    Jsonl,
    /// CSV with a header row; optional fields empty.
    Csv,
    /// Apache Parquet, typed columns (needs a build with `--features parquet`).
    Parquet,
}

impl FormatArg {
    fn build(self) -> Result<Format> {
        match self {
            FormatArg::Jsonl => Ok(Format::Jsonl),
            FormatArg::Csv => Ok(Format::Csv),
            #[cfg(feature = "parquet")]
            FormatArg::Parquet => Ok(Format::Parquet),
            #[cfg(not(feature = "parquet"))]
            FormatArg::Parquet => Err(needs_feature("--format parquet", "parquet", "")),
        }
    }
}

/// The error of an option whose feature this build left out.
#[allow(dead_code)]
fn needs_feature(option: &str, feature: &str, extra: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{option} needs ivraie built with the `{feature}` feature: \
         cargo build --release --features {feature}{extra}"
    )
}

/// `ivraie report DIR`: redraws the HTML report or writes the tables.
fn report_dir(dir: &Path, format: ReportFormat) -> Result<ExitCode> {
    let path = dir.join("report.json");
    let text = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if !value.get("boxes").is_some_and(serde_json::Value::is_array) {
        bail!(
            "{} is not an ivraie report (no `boxes` list)",
            path.display()
        );
    }
    let written = match format {
        ReportFormat::Html => vec![crate::report::write_html(dir, &value)?],
        ReportFormat::Csv => crate::report::write_tables(dir, &value)?,
        #[cfg(feature = "parquet")]
        ReportFormat::Parquet => crate::report::write_parquet_tables(dir, &value)?,
        #[cfg(not(feature = "parquet"))]
        ReportFormat::Parquet => return Err(needs_feature("--format parquet", "parquet", "")),
    };
    let mut out = io::stdout().lock();
    for p in written {
        writeln!(out, "{}", p.display())?;
    }
    out.flush()?;
    // The run's log is checked whatever is written: a report redrawn over a
    // tampered log must not pass in silence (the HTML says it too).
    use crate::report::html::LogCheck;
    let log = dir.join("oversight.jsonl");
    match LogCheck::of(dir, &value) {
        LogCheck::Verified { .. } => Ok(ExitCode::SUCCESS),
        LogCheck::Failed(why) => {
            eprintln!(
                "ivraie: warning: {} does not verify: {why} (`ivraie verify-log {}` says more)",
                log.display(),
                log.display()
            );
            Ok(ExitCode::from(exit::DAMAGED))
        }
        LogCheck::Unchecked(why) => {
            eprintln!("ivraie: warning: {} could not be checked: {why}", log.display());
            Ok(ExitCode::from(exit::DAMAGED))
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
        ExitCode::from(exit::DAMAGED)
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
    fn numbers_read_and_print_the_way_people_write_them() {
        assert_eq!(parse_count("60,000,000"), Ok(60_000_000));
        assert_eq!(parse_count("60_000_000"), Ok(60_000_000));
        assert_eq!(parse_count("6e7"), Ok(60_000_000));
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("-3").is_err());
        assert!(parse_count("").is_err());
        assert_eq!(parse_rate("1%"), Ok(0.01));
        assert_eq!(parse_rate("0.01"), Ok(0.01));
        assert_eq!(parse_rate("100%"), Ok(1.0));
        assert!(parse_rate("101%").unwrap_err().contains("between 0 and 1"));
        assert!(parse_rate("1.5").is_err());
        assert!(parse_rate("NaN").is_err());
        assert!(parse_rate("a lot").unwrap_err().contains("not a rate"));
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(60_000_000), "60,000,000");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.01), "1%");
        assert_eq!(percent(1.0 / 600.99), "0.17%");
        assert_eq!(percent(0.1664), "16.64%");
        assert_eq!(percent(0.00001), "0.001%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(count(599_990.0000001), "599,990");
        assert_eq!(count(0.6), "0.6");
        assert_eq!(about(599.99), "600");
        assert_eq!(about(2.54), "2.5");
        let h = format!("{}:12", "A".repeat(64));
        assert_eq!(parse_head(&h).unwrap().head_hash, "a".repeat(64));
        assert_eq!(parse_head(&h).unwrap().entries, 12);
        assert!(parse_head("abc:12").is_err());
        assert!(parse_head(&"a".repeat(64)).is_err());
    }

    #[test]
    fn baserate_text_covers_boxes_that_flag_nobody_or_no_target() {
        let text = |tpr, fpr| {
            baserate_text(
                &BaseRate {
                    population: 1_000,
                    targets: 10,
                    tpr,
                    fpr,
                }
                .extrapolate(),
            )
        };
        assert!(text(0.0, 0.0).contains("raises no alert."));
        assert!(text(0.0, 0.1).contains("No real target is flagged"));
        let t = text(1.0, 0.0);
        assert!(t.contains("No innocent person is flagged."), "{t}");
        assert!(t.contains("is 100%.\n"), "{t}");
        let t = text(1.0, 0.005);
        assert!(
            t.contains("For every innocent person flagged, about 2 real targets are flagged."),
            "{t}"
        );
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
