//! The command line as clap parses it: commands, options, their help. What
//! the arguments build is in `build.rs`; nothing here runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::build::{parse_count, parse_head, parse_rate};
use crate::flow::DEFAULT_MAX_FLOWS;
use crate::oversight::LogHead;

/// Replay captures through surveillance "black boxes" and measure what they take in.
///
/// ivraie reads pcap and pcapng captures (files, directories, or `-` for stdin),
/// decodes them, builds bidirectional flows and writes metadata records.
#[derive(Debug, Parser)]
#[command(name = "ivraie", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
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
pub(super) enum Command {
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
    /// dissected protocol (dns.jsonl, tls.jsonl, quic.jsonl... every one, even
    /// empty; the README's "Application records" lists them), or CSV.
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
        #[command(flatten)]
        cluster: ClusterFlags,
    },
    /// Try a cluster on this machine: start N processes of `ivraie COMMAND
    /// ARGS...` (run, sweep or extract) on free localhost ports, each with its
    /// --process, and wait for them. Process 0 writes the outputs, the same
    /// bytes as one process. Needs a build with `--features cluster`; on
    /// several hosts, see docs/cluster.md.
    #[command(
        name = "cluster-local",
        after_help = "Example:\n  ivraie cluster-local -n 3 run scenarios/classroom.toml -o runs/classroom-3"
    )]
    ClusterLocal {
        /// Processes to start.
        #[arg(short = 'n', long = "processes", value_name = "N", default_value_t = 2)]
        processes: usize,
        /// Worker threads of each process.
        #[arg(long, value_name = "W", default_value_t = 1)]
        workers: usize,
        /// The command each process runs, with its arguments.
        #[arg(
            value_name = "COMMAND",
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
        command: Vec<String>,
    },
    /// The classroom, live: read a scenario's traffic once and serve a page
    /// where a class moves a box's threshold or rule window and watches the
    /// innocent people flagged pile up (each change re-simulates the boxes,
    /// the figures those of `ivraie sweep`). Also an API: GET /api/report,
    /// POST /api/simulate {"set": ["box.NAME.threshold=5"]}, GET /api/events.
    #[command(
        after_help = "Example:\n  ivraie serve scenarios/classroom.toml   # then open http://127.0.0.1:8080/"
    )]
    Serve {
        /// The scenario file.
        scenario: PathBuf,
        /// Address and port to listen on. Loopback by default; another
        /// address lets a classroom's network in (a warning says so).
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// Re-simulations running at once; further requests wait their turn.
        #[arg(long, value_name = "N", default_value_t = 2)]
        simulations: usize,
        /// Most observations of the traffic kept in memory (about 200 bytes
        /// each); a scenario giving more is refused.
        #[arg(long, value_name = "N", default_value_t = 20_000_000)]
        max_observations: usize,
        #[command(flatten)]
        run: ScenarioFlags,
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
    Run(RunArgs),
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
    Sweep(SweepArgs),
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

/// Arguments of `ivraie run`.
#[derive(Debug, Args)]
pub(super) struct RunArgs {
    /// The scenario file (TOML; every key is documented in scenarios/README.md).
    pub(super) scenario: PathBuf,
    /// Output directory (created 0700 if missing). Default: the scenario's
    /// `output` key, else `runs/<scenario name>`.
    #[arg(short, long, value_name = "DIR")]
    pub(super) output: Option<PathBuf>,
    #[command(flatten)]
    pub(super) run: ScenarioFlags,
    /// Also run the scenario on N independently drawn populations (generated
    /// scenarios): DIR/replicates.csv and, per box, each rate's spread
    /// across them and how often one run's interval covers it.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(super) replicates: u32,
    /// Read these captures (files or directories) instead of the scenario's
    /// `[source] captures`: the same boxes and policy on a host's own traffic.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub(super) captures: Vec<PathBuf>,
    /// Print the report as JSON on stdout instead of the summary.
    #[arg(long)]
    pub(super) json: bool,
    /// Also write the tables of report.json as CSV: DIR/tables/run.csv,
    /// boxes.csv, windows.csv, days.csv.
    #[arg(long)]
    pub(super) tables: bool,
}

/// Arguments of `ivraie sweep`.
#[derive(Debug, Args)]
pub(super) struct SweepArgs {
    /// The scenario file.
    pub(super) scenario: PathBuf,
    /// A key and its values; repeat for a grid: box.NAME.threshold=1..10 or =2,3,5;
    /// box.NAME.window|cooldown=1d,7d; policy.retention=1d,7d;
    /// policy.commission.rule=always,never,thresholds;
    /// policy.commission.min_precision|min_alerts|max_alerts|min_confirmed=...;
    /// reference.population=N; source.generate.FIELD=A,B (the traffic is then generated
    /// and read again for each value).
    #[arg(long = "set", value_name = "KEY=VALUES", required = true, value_parser = crate::sweep::parse_set)]
    pub(super) sets: Vec<crate::sweep::Axis>,
    /// Output directory. Default: runs/<scenario name>-sweep.
    #[arg(short, long, value_name = "DIR")]
    pub(super) output: Option<PathBuf>,
    /// Also run the whole grid on N independently drawn populations
    /// (generated scenarios): DIR/replicates.csv, and in sweep.csv each
    /// point's false-positive rate and recall across them (mean, sd, 2.5th
    /// and 97.5th percentiles).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(super) replicates: u32,
    #[command(flatten)]
    pub(super) run: ScenarioFlags,
}

/// The flags `run` and `sweep` share.
#[derive(Debug, Args)]
pub(super) struct ScenarioFlags {
    /// Worker threads for reading the traffic. Default: the number of cores.
    #[arg(long, value_name = "N")]
    pub(super) threads: Option<usize>,
    /// Key of the subscribers' pseudonyms, read from a file of at least 32
    /// bytes: the same key gives the same pseudonyms on the next run. Default:
    /// derived from the scenario's seed for generated traffic (synthetic
    /// people), a fresh random key for real captures.
    #[arg(long, value_name = "FILE")]
    pub(super) key_file: Option<PathBuf>,
    /// Never show the progress bar.
    #[arg(long)]
    pub(super) no_progress: bool,
    /// Name the capture files in report.json (`traffic.inputs`, errors).
    /// Default: "input 1", "input 2"... since file names often hold
    /// addresses or customers' names.
    #[arg(long)]
    pub(super) name_inputs: bool,
    /// Replace DIR even if it holds something else than an earlier output
    /// of this command (everything in it is deleted). Without it such a
    /// directory is refused; an earlier output of the same command is
    /// always replaced whole.
    #[arg(long)]
    pub(super) force: bool,
    #[command(flatten)]
    pub(super) cluster: ClusterFlags,
}

/// Running as one process of a cluster (docs/cluster.md).
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Cluster (needs a build with `--features cluster`)")]
pub(super) struct ClusterFlags {
    /// Run as one of N processes, on this host or others, sharing the work:
    /// each reads its own share of the traffic; process 0 writes the outputs,
    /// the same bytes as a single-process run. Start every process with the
    /// same arguments but --process.
    #[arg(long, value_name = "N", requires_all = ["process", "hostfile"])]
    pub(super) processes: Option<usize>,
    /// This process's index, 0 to N-1 (under Slurm: $SLURM_PROCID).
    #[arg(long, value_name = "I", requires = "processes")]
    pub(super) process: Option<usize>,
    /// The processes' addresses, `host:port` one a line, process 0 first.
    #[arg(long, value_name = "FILE", requires = "processes")]
    pub(super) hostfile: Option<PathBuf>,
    /// Worker threads of each process, each reading its own share [default: 1].
    #[arg(long, value_name = "W", requires = "processes")]
    pub(super) workers: Option<usize>,
}

/// Arguments of `ivraie baserate`.
#[derive(Debug, Args)]
// `--fpr -0.1` is a wrong rate, not an unknown flag `-0`.
#[command(allow_negative_numbers = true)]
pub(super) struct BaserateArgs {
    /// People watched: `60000000`, `60_000_000`, `60,000,000` or `6e7`.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub(super) population: u64,
    /// Real targets among them.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub(super) targets: u64,
    /// Share of real targets the box flags (true-positive rate): `0.9` or `90%`.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub(super) tpr: f64,
    /// Share of innocent people the box flags (false-positive rate): `0.01` or `1%`.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub(super) fpr: f64,
    /// Print the numbers as one JSON object instead of sentences.
    #[arg(long)]
    pub(super) json: bool,
}

const GENERATE_EXAMPLES: &str = "\
Examples:
  ivraie generate -o pop.pcap                          1000 subscribers, 7 days, seed 1
  ivraie generate --population 2000 --days 61 --seed 7 -o window.pcap   a 2-month window
  ivraie generate --systems pbx,spam --targets 1 -o fraud.pcap
  ivraie generate --population-file pcaps/population.toml -o pcaps/population.pcap
  ivraie generate -o - --labels pop.labels.csv | ivraie inspect -

Ground truth is intent only: each system has `--targets` people; everybody's
behaviour (activity, interest in watched sites, torrent sharing, night calls
abroad, bulk mail) is drawn from heavy-tailed distributions, so the innocent
people a box flags emerge from the population. The labels file records each
person's drawn traits. Every rate and distribution is a field of the
population file (TOML); the flags override the file's values. See
`ivraie::generate::Population` for all fields and their sources.
With the default rates a subscriber-day is about 840 packets and 87 kB of
capture (downloads are snaplen-cut records that keep their real size on the wire).";

/// Arguments of `ivraie generate`.
#[derive(Debug, Args)]
pub(super) struct GenerateArgs {
    /// Output capture (classic pcap), or `-` for standard output. Its labels go
    /// to FILE.labels.csv beside it (x.pcap -> x.labels.csv).
    #[arg(short, long, value_name = "FILE")]
    pub(super) output: PathBuf,
    /// Where to write the labels instead (required with `-o -`).
    #[arg(long, value_name = "PATH")]
    pub(super) labels: Option<PathBuf>,
    /// A population file (TOML, fields of `Population`); flags override it.
    #[arg(long, value_name = "FILE.toml")]
    pub(super) population_file: Option<PathBuf>,
    /// Subscribers [default: 1000].
    #[arg(long, value_name = "N")]
    pub(super) population: Option<u32>,
    /// Days simulated [default: 7].
    #[arg(long, value_name = "D")]
    pub(super) days: Option<u32>,
    /// Seed of every random choice [default: 1].
    #[arg(long, value_name = "S")]
    pub(super) seed: Option<u64>,
    /// First day of the simulated calendar, YYYY-MM-DD [default: 2026-01-01].
    #[arg(long, value_name = "DATE")]
    pub(super) start: Option<String>,
    /// IPv4 range of subscriber addresses [default: 10.0.0.0/8].
    #[arg(long, value_name = "CIDR")]
    pub(super) subscribers: Option<String>,
    /// Targets per system [default: 2].
    #[arg(long, value_name = "N")]
    pub(super) targets: Option<u32>,
    /// Gone (an error that says why): innocent people who look like targets
    /// emerge from the behaviour distributions.
    #[arg(long, value_name = "N", hide = true)]
    pub(super) lookalikes: Option<u32>,
    /// Systems with targets: comma list of l851, hadopi, pbx, spam [default: all].
    #[arg(long, value_name = "LIST")]
    pub(super) systems: Option<String>,
    /// Replace FILE (and its labels file) even if they are not an earlier
    /// output of `ivraie generate`. Without it only such an output is replaced.
    #[arg(long)]
    pub(super) force: bool,
    /// Never show the progress bar.
    #[arg(long)]
    pub(super) no_progress: bool,
}

/// Arguments shared by every command that reads traffic.
#[derive(Debug, Args)]
pub(super) struct InputArgs {
    /// Capture files (pcap or pcapng), directories (every capture inside, merged in
    /// timestamp order), or `-` for standard input.
    #[arg(
        value_name = "CAPTURE",
        required_unless_present = "interface",
        conflicts_with = "interface"
    )]
    pub(super) captures: Vec<PathBuf>,
    /// Capture live on this network interface instead of reading files (needs
    /// root or CAP_NET_RAW, and a build with `--features live`). Stops after
    /// --duration, --count, or on Ctrl-C.
    #[arg(long, short = 'i', value_name = "IFACE")]
    pub(super) interface: Option<String>,
    /// Only read frames matching this tcpdump filter expression ("tcp port 443"),
    /// on files and interfaces alike (needs a build with `--features live`).
    #[arg(long, short = 'f', value_name = "EXPR")]
    pub(super) filter: Option<String>,
    /// Stop a live capture after this many seconds.
    #[arg(long, value_name = "SECS", requires = "interface")]
    pub(super) duration: Option<u64>,
    /// Stop a live capture after this many packets.
    #[arg(long, value_name = "N", requires = "interface")]
    pub(super) count: Option<u64>,
    /// The monitored population, as CIDR ranges (`10.0.0.0/8,2001:db8::/32`). A flow
    /// belongs to the subscriber whose address is in these ranges. Default: every
    /// private-range address (RFC 1918, 100.64.0.0/10, fc00::/7).
    #[arg(long, value_name = "CIDR[,CIDR...]")]
    pub(super) subscribers: Option<String>,
    /// Worker threads. Default: the number of cores.
    #[arg(long, value_name = "N")]
    pub(super) threads: Option<usize>,
    /// Most flows held in memory at once; past it the stalest are ended early and
    /// counted as evictions. Each flow takes about 250 bytes, plus what its
    /// dissector holds (a DNS query waiting for its answer, a call's text).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_FLOWS)]
    pub(super) max_flows: usize,
    /// Idle timeout of TCP flows, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub(super) tcp_timeout: u32,
    /// Idle timeout of UDP flows, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(super) udp_timeout: u32,
    /// Idle timeout of ICMP and other flows, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(super) other_timeout: u32,
    /// Active timeout: flows open longer are cut into several records, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 1800)]
    pub(super) active_timeout: u32,
    /// Never show the progress bar.
    #[arg(long)]
    pub(super) no_progress: bool,
    /// Build flows only: skip the application dissectors (DNS, TLS, ...).
    #[arg(long)]
    pub(super) flows_only: bool,
    /// Memory-map capture files instead of reading them. Off by default: on a
    /// 2-core machine read() measured faster (BENCHMARKS.md), and a mapped file
    /// truncated by another program while ivraie reads it kills the run.
    #[arg(long)]
    pub(super) mmap: bool,
}

/// What `ivraie report` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum ReportFormat {
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
pub(super) enum FormatArg {
    /// JSON lines: one record a line, optional fields left out.
    Jsonl,
    /// CSV with a header row; optional fields empty.
    Csv,
    /// Apache Parquet, typed columns (needs a build with `--features parquet`).
    Parquet,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
