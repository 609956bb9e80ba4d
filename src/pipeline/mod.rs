//! The packet pipeline: one reader, N workers, sorted outputs.
//!
//! The reader (the calling thread) pulls frames from [`crate::capture`], decodes
//! them ([`crate::decode`]), counts the traffic, and appends each IP packet to the
//! batch of one worker. Packets are sharded by subscriber address, so that all of
//! one person's flows and counters live on one worker; a flow with no subscriber
//! on either side is sharded by its symmetric 5-tuple hash. Batches carry shared
//! chunks ([`crate::capture::Chunk`]), not copies of the packets.
//!
//! Workers own a [`FlowTable`] each (the flow cap is split between them), format
//! the records of ended flows in parallel, and hand them to a [`sink::RunBuffer`];
//! the outputs are merged in flow-id order at the end, so they are the same for
//! any thread count. A flow's state changes on one worker only; when one flow
//! fills a worker's batches (a SIP INVITE flood on one 5-tuple), idle workers
//! read its datagrams for it, and it applies what they read in order
//! (`assist`).
//!
//! This module knows nothing of protocol details beyond what it passes along.

mod assist;
pub mod distinct;
pub mod sink;
pub mod talkers;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, bounded};
use serde::{Deserialize, Serialize};

use crate::capture::{CaptureError, Chunk, Frame, FrameSource, InputSpec, LinkType, MergedSource};
use crate::decode::{self, Addr, Counters, L3, ipproto};
use crate::dissect::engine::{Collect, FlowApp, TcpSeg};
use crate::dissect::registry;
use crate::flow::{
    FlowConfig, FlowKey, FlowPacket, FlowStats, FlowTable, Subscribers, addr_hash, tcp_flag,
};
use crate::observation::Observation;
use crate::output::{WriteError, write_atomically};
use crate::record::{FLOW_CSV_HEADER, FlowRecord, csv_row, secs};
use sink::{RUN_BUDGET, RunBuffer, Runs, merge_runs};

/// Packets in a worker's batch, about (a unit's share with two workers).
pub const BATCH: usize = 1024;
/// Frames the reader hands a decoder at a time; each becomes one batch per
/// worker (about `UNIT / workers` packets each).
pub const UNIT: usize = 2048;
/// Batches queued from each decoder to each worker before the decoder waits
/// (a worker has this many from each decoder: with two, as many as one
/// reader used to queue it).
pub const QUEUE: usize = 4;
/// Units queued for each decoder before the reader waits.
const UNIT_QUEUE: usize = 2;
/// Most decoder threads.
const MAX_DECODERS: usize = 4;

/// Record file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// One JSON object a line.
    #[default]
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// Apache Parquet, one typed column per CSV column (cargo feature `parquet`).
    #[cfg(feature = "parquet")]
    Parquet,
}

impl Format {
    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            #[cfg(feature = "parquet")]
            Format::Parquet => "parquet",
        }
    }
}

impl From<WriteError> for PipelineError {
    fn from(e: WriteError) -> PipelineError {
        PipelineError::Output {
            path: e.path,
            source: e.source,
        }
    }
}

/// Where and how to write records.
#[derive(Clone, Debug)]
pub struct Output {
    /// Directory receiving `flows.<ext>`.
    pub dir: PathBuf,
    /// Format of the record files.
    pub format: Format,
}

/// See [`Config::end_clock`].
#[derive(Clone)]
pub struct EndClock(pub std::sync::Arc<dyn Fn(i64) -> i64 + Send + Sync>);

impl std::fmt::Debug for EndClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EndClock")
    }
}

/// Everything a pipeline run needs besides its inputs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Flow timeouts and cap (the cap is shared between workers).
    pub flow: FlowConfig,
    /// The monitored population.
    pub subscribers: Subscribers,
    /// Record files to write, if any.
    pub output: Option<Output>,
    /// Show a progress bar on stderr (only if it is a terminal and the run is long).
    pub progress: bool,
    /// The simulated period the input covers, when known before reading (a
    /// generated population): the progress bar shows the simulated date
    /// reached and the time left from it.
    pub span_ns: Option<(i64, i64)>,
    /// Where the run's clock stands when the input ends, if later than its
    /// last packet (a generated population's period end): flows idle by then
    /// end `idle`, not `eof`. A cluster's shares end at different packets;
    /// they all end at this time.
    pub end_ns: Option<i64>,
    /// Asked, when the input ends, where the run's clock stands, given this
    /// reading's own latest timestamp: a cluster's share answers with the
    /// latest of every share's, so flows end `idle` or `eof` as in one run.
    pub end_clock: Option<EndClock>,
    /// Run the application dissectors (off: flows only).
    pub dissect: bool,
    /// Memory-map regular files instead of reading them.
    pub mmap: bool,
    /// Hand an [`Observation`] of every record to a simulation, in time order
    /// ([`run_source_streamed`]).
    pub keep: bool,
    /// A tcpdump filter expression: only matching frames are read.
    #[cfg(feature = "live")]
    pub filter: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            flow: FlowConfig::default(),
            subscribers: Subscribers::private(),
            output: None,
            progress: false,
            span_ns: None,
            end_ns: None,
            end_clock: None,
            dissect: true,
            mmap: false,
            keep: false,
            #[cfg(feature = "live")]
            filter: None,
        }
    }
}

/// Errors that stop a run (unreadable inputs are not among them: see
/// [`Summary::errors`]).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The filter expression does not compile.
    #[error("{0}")]
    Filter(String),
    /// The output directory or a record file could not be written.
    #[error("writing {path}: {source}")]
    Output {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The operating system would not start a worker thread.
    #[error("starting a worker thread: {0}")]
    Thread(io::Error),
}

/// Counts by name (names are static while a run counts; read back from a
/// report, they are owned).
pub type Counts = BTreeMap<Cow<'static, str>, u64>;

/// Counts of what was read, kept by the reader.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TrafficStats {
    /// Frames read (that passed the filter, if any).
    pub packets: u64,
    /// Frames a `--filter` expression left out.
    pub filtered_out: u64,
    /// Bytes on the wire (original lengths).
    pub bytes: u64,
    /// Bytes captured (what the files hold).
    pub captured_bytes: u64,
    /// Earliest timestamp, seconds since the epoch.
    pub first_ts: Option<f64>,
    /// Latest timestamp.
    pub last_ts: Option<f64>,
    /// Frames per link type.
    pub link_types: BTreeMap<String, u64>,
    /// Frames per network and transport protocol.
    pub protocols: Counts,
    /// Decode anomalies and counted events, by name.
    pub anomalies: Counts,
}

/// One address of the top-talkers table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Talker {
    /// The address.
    pub addr: String,
    /// Bytes sent and received.
    pub bytes: u64,
    /// Packets sent and received.
    pub packets: u64,
    /// Flows it took part in.
    pub flows: u64,
}

/// One input that could not be read to its end.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputProblem {
    /// The input's name.
    pub path: String,
    /// Byte offset where reading stopped, if known.
    pub offset: Option<u64>,
    /// What went wrong.
    pub message: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Everything a run measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// Inputs read (after expanding directories).
    pub inputs: Vec<String>,
    /// Files of a directory skipped because they are not captures.
    pub skipped: Vec<String>,
    /// Traffic counts.
    pub traffic: TrafficStats,
    /// Flow records produced.
    pub flows: u64,
    /// Flows pushed out of a full table.
    pub flows_evicted: u64,
    /// The sum of each worker's own peak of flows held (workers peak at
    /// different moments, and a table ends idle flows lazily: it depends on
    /// `--threads` and is an upper bound of the flows held at once). Left out
    /// (0) of a run's `report.json`, whose figures do not depend on threads.
    #[serde(skip_serializing_if = "is_zero")]
    pub flows_peak: u64,
    /// Flows per application (the dissector that claimed the flow, else the
    /// port-based guess).
    pub apps: Counts,
    /// Application records per protocol.
    pub records: Counts,
    /// Distinct subscriber addresses seen in flows.
    pub subscribers: u64,
    /// Whether `subscribers` is an estimate (past 262,144 addresses in all,
    /// e.g. under a flood of random addresses: HyperLogLog, about 1% error).
    pub subscribers_estimated: bool,
    /// The ten addresses with the most bytes.
    pub top_talkers: Vec<Talker>,
    /// Whether more addresses than [`talkers::CAPACITY`] per worker were seen: the
    /// table then holds every heavy hitter, with byte counts that may
    /// over-estimate (see [`talkers`]).
    pub talkers_capped: bool,
    /// Inputs that could not be read to their end.
    pub errors: Vec<InputProblem>,
    /// Files written.
    pub outputs: Vec<PathBuf>,
    /// Wall-clock seconds of the run.
    pub wall_s: f64,
    /// Datagrams of a hot flow that idle workers read for the worker holding
    /// it (see `pipeline::assist`). It depends on timing, not on the traffic,
    /// so it is left out of the JSON summary.
    #[serde(skip)]
    pub datagrams_helped: u64,
}

/// A packet handed to a worker, with where its payload sits.
#[derive(Clone, Copy, Debug)]
pub struct WorkPacket {
    /// What the flow table needs.
    pub flow: FlowPacket,
    /// Index of the chunk in the batch's `chunks`.
    pub chunk: u16,
    /// Offset of the transport payload in the chunk.
    pub payload_off: u32,
    /// Captured payload bytes.
    pub payload_len: u32,
    /// TCP sequence number (0 for other protocols).
    pub tcp_seq: u32,
}

struct Batch {
    chunks: Vec<Chunk>,
    pkts: Vec<WorkPacket>,
    /// The run's clock when the batch was sent.
    now_ns: i64,
}

impl Batch {
    /// An empty batch: one handed back by a worker, else a new one.
    fn new(free: &Recycle<Batch>) -> Self {
        free.take().unwrap_or_else(|| Batch {
            chunks: Vec::new(),
            pkts: Vec::with_capacity(BATCH),
            now_ns: i64::MIN,
        })
    }

    /// Hands the batch back, empty, for a decoder to fill again.
    fn recycle(mut self, free: &Recycle<Batch>) {
        self.chunks.clear();
        self.pkts.clear();
        free.give(self);
    }
}

/// Empty buffers handed back by their consumer for the producer to fill
/// again, with their capacity. Without it the reader's units and the
/// decoders' batches were freed on another thread: glibc then trims that
/// arena's top with `madvise` and the producer faults the pages in again
/// for the next one (page faults and `madvise` were 6% of flows-only's CPU).
struct Recycle<T> {
    tx: Sender<T>,
    rx: Receiver<T>,
}

/// Buffers a [`Recycle`] keeps: more than are ever in flight between reader,
/// decoders and workers (the rest are freed).
const RECYCLED: usize = 64;

impl<T> Recycle<T> {
    fn new() -> Self {
        let (tx, rx) = bounded(RECYCLED);
        Recycle { tx, rx }
    }

    fn take(&self) -> Option<T> {
        self.rx.try_recv().ok()
    }

    fn give(&self, t: T) {
        let _ = self.tx.try_send(t);
    }
}

impl<T> Clone for Recycle<T> {
    fn clone(&self) -> Self {
        Recycle {
            tx: self.tx.clone(),
            rx: self.rx.clone(),
        }
    }
}

/// What one worker measured.
#[derive(Default)]
struct WorkerOut {
    flows: u64,
    stats: FlowStats,
    /// Flows per application; counted once a flow, so hashed with foldhash,
    /// not the standard library's SipHash.
    apps: hashbrown::HashMap<&'static str, u64, foldhash::fast::FixedState>,
    subscribers: distinct::Distinct,
    talkers: talkers::Talkers,
    runs: Option<Runs>,
    proto_runs: BTreeMap<&'static str, Runs>,
    records: BTreeMap<&'static str, u64>,
    anomalies: BTreeMap<&'static str, u64>,
    error: Option<io::Error>,
    kept: Vec<Observation>,
    /// Datagrams other workers read for this one.
    helped: u64,
}

/// Protocol-mix slots counted by the reader.
#[derive(Clone, Copy)]
#[repr(usize)]
enum Mix {
    Ipv4,
    Ipv6,
    Arp,
    OtherL2,
    Undecoded,
    Tcp,
    Udp,
    Icmp,
    Icmp6,
    OtherIp,
    Tunnelled,
}

const MIX_NAMES: [&str; 11] = [
    "ipv4",
    "ipv6",
    "arp",
    "other_l2",
    "undecoded",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "other_ip",
    "tunnelled",
];

/// What one reading of traffic counted, before its figures are summed: the
/// reader's counts and each worker's, in a form that merges the same way
/// whatever split the work (threads, or the processes of a cluster, which
/// send theirs to the one that writes the outputs).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Partial {
    /// What the reader counted.
    pub traffic: TrafficStats,
    /// Inputs that could not be read to their end.
    pub errors: Vec<InputProblem>,
    /// What each worker counted.
    pub workers: Vec<PartOut>,
}

/// What one worker counted, without its records.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PartOut {
    flows: u64,
    stats: FlowStats,
    helped: u64,
    apps: Counts,
    records: Counts,
    anomalies: Counts,
    subscribers: distinct::Distinct,
    /// Its top-talkers table: (address, bytes, packets, flows).
    talkers: Vec<(Addr, u64, u64, u64)>,
    talkers_capped: bool,
}

impl From<WorkerOut> for PartOut {
    fn from(o: WorkerOut) -> PartOut {
        let cow = |m: BTreeMap<&'static str, u64>| -> Counts {
            m.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)).collect()
        };
        PartOut {
            flows: o.flows,
            stats: o.stats,
            helped: o.helped,
            apps: o
                .apps
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), v))
                .collect(),
            records: cow(o.records),
            anomalies: cow(o.anomalies),
            subscribers: o.subscribers,
            talkers_capped: o.talkers.approximate(),
            talkers: o
                .talkers
                .into_entries()
                .map(|(a, c)| (a, c.bytes, c.packets, c.flows))
                .collect(),
        }
    }
}

fn add_counts(to: &mut Counts, from: Counts) {
    for (k, v) in from {
        *to.entry(k).or_default() += v;
    }
}

/// Sums the counts of one or more readings into a run's summary (its
/// `outputs` and `wall_s` left for the caller). The figures do not depend on
/// how the traffic was split, but for the flows held at once and, past the
/// top-talkers table's capacity, the talkers' bounds.
pub fn summarize(inputs: Vec<String>, parts: Vec<Partial>) -> Summary {
    let mut summary = Summary {
        inputs,
        ..Summary::default()
    };
    let mut subscribers = Vec::new();
    let mut talkers: HashMap<Addr, (u64, u64, u64)> = HashMap::new();
    let t = &mut summary.traffic;
    for p in parts {
        t.packets += p.traffic.packets;
        t.filtered_out += p.traffic.filtered_out;
        t.bytes += p.traffic.bytes;
        t.captured_bytes += p.traffic.captured_bytes;
        t.first_ts = match (t.first_ts, p.traffic.first_ts) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        t.last_ts = match (t.last_ts, p.traffic.last_ts) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (k, v) in p.traffic.link_types {
            *t.link_types.entry(k).or_default() += v;
        }
        add_counts(&mut t.protocols, p.traffic.protocols);
        add_counts(&mut t.anomalies, p.traffic.anomalies);
        summary.errors.extend(p.errors);
        for o in p.workers {
            summary.flows += o.flows;
            summary.datagrams_helped += o.helped;
            summary.flows_evicted += o.stats.evicted;
            summary.flows_peak += o.stats.peak;
            add_counts(&mut summary.apps, o.apps);
            add_counts(&mut summary.records, o.records);
            add_counts(&mut t.anomalies, o.anomalies);
            subscribers.push(o.subscribers);
            summary.talkers_capped |= o.talkers_capped;
            for (a, bytes, packets, flows) in o.talkers {
                let e = talkers.entry(a).or_default();
                e.0 += bytes;
                e.1 += packets;
                e.2 += flows;
            }
        }
    }
    // Inputs in the order given, whoever read them.
    let at = |p: &InputProblem| summary.inputs.iter().position(|i| *i == p.path);
    let mut errors = std::mem::take(&mut summary.errors);
    errors.sort_by_key(|p| at(p));
    summary.errors = errors;
    (summary.subscribers, summary.subscribers_estimated) = distinct::Distinct::merged(subscribers);
    let mut top: Vec<_> = talkers.into_iter().collect();
    top.sort_unstable_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    summary.top_talkers = top
        .into_iter()
        .take(10)
        .map(|(a, (bytes, packets, flows))| Talker {
            addr: a.to_string(),
            bytes,
            packets,
            flows,
        })
        .collect();
    summary
}

/// Runs the pipeline over `inputs` (directories already expanded).
pub fn run(inputs: &[InputSpec], cfg: &Config) -> Result<Summary, PipelineError> {
    let source = MergedSource::open(inputs, cfg.mmap);
    run_source(source, inputs.iter().map(|i| i.name()).collect(), cfg)
}

/// Runs the pipeline over an opened source.
pub fn run_source<S: FrameSource>(
    source: S,
    input_names: Vec<String>,
    cfg: &Config,
) -> Result<Summary, PipelineError> {
    run_source_streamed(source, input_names, cfg, &mut drop)
}

/// Runs the pipeline and also returns the observations of every record (if
/// `cfg.keep`), in time order. For small inputs and tests: a simulation
/// consumes them as a stream ([`run_source_streamed`]).
pub fn run_source_observed<S: FrameSource>(
    source: S,
    input_names: Vec<String>,
    cfg: &Config,
) -> Result<(Summary, Vec<Observation>), PipelineError> {
    let mut observed = Vec::new();
    let summary = run_source_streamed(source, input_names, cfg, &mut |o| observed.push(o))?;
    Ok((summary, observed))
}

/// How many batches a worker processes between two reports of its
/// watermark (a scan of its flow table).
const WATERMARK_EVERY: u32 = 32;

/// What a worker hands the merge: observations, in no order, and the
/// watermark: no observation it sends later is older.
struct Kept {
    worker: usize,
    observations: Vec<Observation>,
    watermark: i64,
}

/// Width of the merge's time slots: 2^34 ns, about 17 seconds.
const SLOT_SHIFT: u32 = 34;

/// Merges the workers' observations into one stream in [`Observation::sort_key`]
/// order. They wait in time slots (17 seconds each); a slot is released,
/// sorted, once every worker's watermark is past its end: no observation can
/// come into it any more. What it holds is the observations of flows still
/// open (at most the active timeout's worth of traffic) and of the last
/// slot, not the run's. Sorting a slot costs far less than a heap of every
/// waiting observation did (the heap's pops were 9% of a `run`).
fn merge_observations(
    rx: Receiver<Kept>,
    workers: usize,
    sink: &mut (dyn FnMut(Observation) + Send),
) {
    let mut slots: BTreeMap<i64, Vec<Observation>> = BTreeMap::new();
    let mut marks = vec![i64::MIN; workers];
    // Releases every slot before `end` (a slot number), in order.
    let mut release = |slots: &mut BTreeMap<i64, Vec<Observation>>, end: i64| {
        while let Some(slot) = slots.first_entry() {
            if *slot.key() >= end {
                break;
            }
            let mut v = slot.remove();
            // Keys are unique (a flow's id and its observations' order).
            v.sort_unstable_by_key(Observation::sort_key);
            v.into_iter().for_each(&mut *sink);
        }
    };
    for k in rx {
        let mut last: Option<(i64, &mut Vec<Observation>)> = None;
        for o in k.observations {
            let s = o.ts_ns >> SLOT_SHIFT;
            let v = match last.take() {
                Some((at, v)) if at == s => v,
                // A worker's observations mostly share their slot.
                _ => slots.entry(s).or_default(),
            };
            v.push(o);
            last = Some((s, v));
        }
        marks[k.worker] = marks[k.worker].max(k.watermark);
        let low = marks.iter().copied().min().unwrap_or(i64::MAX);
        // Slot s holds [s << SHIFT, (s + 1) << SHIFT): complete once low
        // reaches its end, that is for every s below low >> SHIFT.
        release(&mut slots, low >> SLOT_SHIFT);
    }
    release(&mut slots, i64::MAX);
}

/// Runs the pipeline and hands every observation (if `cfg.keep`) to `sink`,
/// in [`Observation::sort_key`] order, as soon as no earlier one can still
/// come: the stream a simulation's boxes consume, whose memory is bounded by
/// the flows open, not by the input's length. The order does not depend on the
/// thread count (for inputs whose timestamps never go back).
pub fn run_source_streamed<S: FrameSource>(
    mut source: S,
    input_names: Vec<String>,
    cfg: &Config,
    sink: &mut (dyn FnMut(Observation) + Send),
) -> Result<Summary, PipelineError> {
    let started = Instant::now();
    let (part, files) = read_share(&mut source, cfg, sink)?;
    let mut summary = summarize(input_names, vec![part]);
    if let Some(out) = &cfg.output {
        summary.outputs = write_outputs(out, files, cfg.threads)?;
    }
    summary.wall_s = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Reads `source`: its counts, and (with `cfg.output`) the sorted runs of
/// each record file, in [`record_files`] order.
fn read_share<S: FrameSource>(
    source: &mut S,
    cfg: &Config,
    sink: &mut (dyn FnMut(Observation) + Send),
) -> Result<(Partial, Vec<Vec<Runs>>), PipelineError> {
    let (traffic, outs) = run_inner(source, cfg, sink)?;
    let mut files: Vec<Vec<Runs>> = record_files().iter().map(|_| Vec::new()).collect();
    let mut workers = Vec::with_capacity(outs.len());
    for mut o in outs {
        if let (Some(e), Some(out)) = (o.error.take(), &cfg.output) {
            return Err(PipelineError::Output {
                path: out.dir.clone(),
                source: e,
            });
        }
        files[0].extend(o.runs.take());
        for (k, v) in std::mem::take(&mut o.proto_runs) {
            if let Some(i) = registry().iter().position(|d| d.name() == k) {
                files[i + 1].push(v);
            }
        }
        workers.push(PartOut::from(o));
    }
    let part = Partial {
        traffic,
        errors: source.take_errors().iter().map(problem).collect(),
        workers,
    };
    Ok((part, files))
}

/// The record files `extract` writes, in order: flows, then every
/// dissector's; each with its CSV columns.
pub fn record_files() -> Vec<(&'static str, &'static [&'static str])> {
    let mut v = vec![("flows", FLOW_CSV_HEADER)];
    v.extend(registry().iter().map(|d| (d.name(), d.columns())));
    v
}

/// Writes each record file from its runs (in [`record_files`] order) into
/// `out.dir`, `threads` files at a time (the largest first); returns their
/// paths. The first error, in file order, is returned once every file is done.
pub fn write_outputs(
    out: &Output,
    files: Vec<Vec<Runs>>,
    threads: usize,
) -> Result<Vec<PathBuf>, PipelineError> {
    let names = record_files();
    let paths: Vec<PathBuf> = names
        .iter()
        .map(|(name, _)| out.dir.join(format!("{name}.{}", out.format.ext())))
        .collect();
    let mut order: Vec<(usize, Vec<Runs>)> = files.into_iter().enumerate().collect();
    order.sort_by_key(|(_, runs)| std::cmp::Reverse(runs.iter().map(Runs::bytes).sum::<u64>()));
    let helpers = threads.clamp(1, order.len().max(1)) - 1;
    let queue = std::sync::Mutex::new(order.into_iter());
    let results: Vec<std::sync::Mutex<Option<Result<(), PipelineError>>>> =
        paths.iter().map(|_| Default::default()).collect();
    let work = || {
        loop {
            // A poisoned lock means a writer panicked: the scope re-raises it.
            let Some((i, runs)) = queue.lock().ok().and_then(|mut q| q.next()) else {
                return;
            };
            let r = write_record_file(out, &paths[i], names[i].1, runs);
            if let Ok(mut slot) = results[i].lock() {
                *slot = Some(r);
            }
        }
    };
    std::thread::scope(|scope| {
        for k in 0..helpers {
            // A helper that cannot start leaves its share to the others.
            let _ = std::thread::Builder::new()
                .name(format!("ivraie-writer-{k}"))
                .spawn_scoped(scope, work);
        }
        work();
    });
    for r in results {
        if let Some(r) = r.into_inner().ok().flatten() {
            r?;
        }
    }
    Ok(paths)
}

/// Reads one share of the traffic (a cluster worker's) into sorted runs of
/// formatted records, spilled under `cfg.output`'s directory, for the
/// process that writes the files to merge ([`write_outputs`]).
pub fn run_source_runs<S: FrameSource>(
    mut source: S,
    cfg: &Config,
) -> Result<(Partial, Vec<Vec<Runs>>), PipelineError> {
    read_share(&mut source, cfg, &mut drop)
}

/// Reads `source` with the reader and workers: what they counted, and the
/// workers' records (if `cfg.output`).
fn run_inner<S: FrameSource>(
    source: &mut S,
    cfg: &Config,
    sink: &mut (dyn FnMut(Observation) + Send),
) -> Result<(TrafficStats, Vec<WorkerOut>), PipelineError> {
    let threads = cfg.threads.max(1);
    if let Some(out) = &cfg.output {
        fs::create_dir_all(&out.dir).map_err(|source| PipelineError::Output {
            path: out.dir.clone(),
            source,
        })?;
    }
    let per_worker_cap = cfg.flow.max_flows.div_ceil(threads).max(1);
    #[cfg(feature = "live")]
    let mut filter = match &cfg.filter {
        Some(expr) => {
            Some(crate::capture::live::BpfFilter::new(expr).map_err(PipelineError::Filter)?)
        }
        None => None,
    };
    #[cfg(not(feature = "live"))]
    let mut filter: Option<NoFilter> = None;

    // As many decoders as workers (at most MAX_DECODERS): the reader only
    // frames, so one file is read with every core.
    let decoders = threads.min(MAX_DECODERS);
    std::thread::scope(|scope| -> Result<_, PipelineError> {
        // to_worker[d][w]: decoder d's batches for worker w.
        let mut to_worker: Vec<Vec<Sender<Batch>>> = vec![Vec::with_capacity(threads); decoders];
        let mut handles = Vec::with_capacity(threads);
        let (kept_tx, kept_rx) = bounded::<Kept>(threads * 64);
        let merge = cfg
            .keep
            .then(|| scope.spawn(move || merge_observations(kept_rx, threads, sink)));
        // With one worker there is nobody to help.
        let jobs = (threads > 1).then(assist::queue);
        let (free_units, free_batches) = (Recycle::new(), Recycle::new());
        for i in 0..threads {
            let mut from = Vec::with_capacity(decoders);
            for to in to_worker.iter_mut() {
                let (tx, rx) = bounded::<Batch>(QUEUE);
                to.push(tx);
                from.push(rx);
            }
            let rx = InTurn {
                from,
                next: 0,
                free: free_batches.clone(),
            };
            let flow_cfg = cfg.flow;
            let output = cfg.output.clone();
            let dissect = cfg.dissect;
            let keep = cfg
                .keep
                .then(|| (cfg.subscribers.clone(), i, kept_tx.clone()));
            let jobs = jobs.clone();
            // Named, so that `top -H` and `perf` tell the workers apart.
            let spawned = std::thread::Builder::new()
                .name(format!("ivraie-worker-{i}"))
                .spawn_scoped(scope, move || {
                    worker(rx, jobs, flow_cfg, per_worker_cap, output, dissect, keep)
                })
                .map_err(PipelineError::Thread)?;
            handles.push(spawned);
        }
        drop(jobs);
        drop(kept_tx);
        let mut units = Vec::with_capacity(decoders);
        let mut decoding = Vec::with_capacity(decoders);
        for (d, workers) in to_worker.into_iter().enumerate() {
            let (tx, rx) = bounded::<Unit>(UNIT_QUEUE);
            units.push(tx);
            let subs = &cfg.subscribers;
            let spawned = std::thread::Builder::new()
                .name(format!("ivraie-decoder-{d}"))
                .spawn_scoped(scope, {
                    let free = (free_units.clone(), free_batches.clone());
                    move || decoder(rx, workers, subs, free)
                })
                .map_err(PipelineError::Thread)?;
            decoding.push(spawned);
        }
        let mut traffic = read_all(source, cfg, &units, &free_units, filter.as_mut());
        drop(units);
        let mut decoded = Decoded::default();
        for h in decoding {
            let d = h.join().expect("decoder panicked");
            decoded.counters.add(&d.counters);
            for (a, b) in decoded.mix.iter_mut().zip(d.mix) {
                *a += b;
            }
        }
        traffic.protocols = MIX_NAMES
            .iter()
            .zip(decoded.mix)
            .filter(|(_, v)| *v > 0)
            .map(|(k, v)| (Cow::Borrowed(*k), v))
            .collect();
        traffic.anomalies = decoded
            .counters
            .nonzero()
            .map(|(k, v)| (Cow::Borrowed(k), v))
            .collect();
        let outs: Vec<WorkerOut> = handles
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect();
        if let Some(m) = merge {
            m.join().expect("the merge of observations panicked");
        }
        Ok((traffic, outs))
    })
}

/// Runs the pipeline over one share of the traffic (a cluster process's), with
/// no output files: hands its observations to `sink`, as
/// [`run_source_streamed`] does, and returns its counts unsummed.
pub fn run_source_partial<S: FrameSource>(
    mut source: S,
    cfg: &Config,
    sink: &mut (dyn FnMut(Observation) + Send),
) -> Result<Partial, PipelineError> {
    let cfg = Config {
        output: None,
        ..cfg.clone()
    };
    let (traffic, outs) = run_inner(&mut source, &cfg, sink)?;
    Ok(Partial {
        traffic,
        errors: source.take_errors().iter().map(problem).collect(),
        workers: outs.into_iter().map(PartOut::from).collect(),
    })
}

/// Merges the sorted runs of one record file into `path`, in the output's
/// format. Workers format records as JSON lines for Parquet too: the lines are
/// merged into a temporary file beside the output, which is then read back
/// column by column.
fn write_record_file(
    out: &Output,
    path: &Path,
    columns: &[&str],
    runs: Vec<Runs>,
) -> Result<(), PipelineError> {
    write_atomically(path, |w| match out.format {
        Format::Jsonl => merge_runs(runs, w).map(drop),
        Format::Csv => {
            let mut header = Vec::new();
            csv_row(&mut header, columns);
            w.write_all(&header)?;
            merge_runs(runs, w).map(drop)
        }
        #[cfg(feature = "parquet")]
        Format::Parquet => {
            let lines = tempfile::tempfile_in(&out.dir)?;
            let mut lw = io::BufWriter::with_capacity(256 << 10, &lines);
            merge_runs(runs, &mut lw)?;
            lw.flush()?;
            drop(lw);
            let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
            let mut rows = crate::parquet::JsonLines {
                file: &lines,
                columns: &columns,
            };
            crate::parquet::write(w, &columns, &mut rows).map(drop)
        }
    })?;
    Ok(())
}

fn problem(e: &CaptureError) -> InputProblem {
    InputProblem {
        path: e.path().to_string(),
        offset: e.offset(),
        message: e.to_string(),
    }
}

/// What the reader needs from a frame filter.
trait FrameFilter {
    fn matches(&mut self, lt: LinkType, frame: &[u8]) -> bool;
}

#[cfg(feature = "live")]
impl FrameFilter for crate::capture::live::BpfFilter {
    fn matches(&mut self, lt: LinkType, frame: &[u8]) -> bool {
        crate::capture::live::BpfFilter::matches(self, lt, frame)
    }
}

/// The filter type of builds without `live`: never constructed.
#[cfg(not(feature = "live"))]
enum NoFilter {}

#[cfg(not(feature = "live"))]
impl FrameFilter for NoFilter {
    fn matches(&mut self, _: LinkType, _: &[u8]) -> bool {
        match *self {}
    }
}

/// The reader loop: decode, count, shard, batch.
/// Frames in capture order, as the reader hands them to a decoder.
struct Unit {
    chunks: Vec<Chunk>,
    /// Each frame and the index of its chunk in `chunks`.
    frames: Vec<(u16, Frame)>,
    /// The run's clock (latest timestamp read) before the unit's first frame.
    clock_ns: i64,
    /// On the last unit: the clock every worker ends at.
    end_ns: Option<i64>,
}

impl Unit {
    /// An empty unit: one handed back by a decoder, else a new one.
    fn new(clock_ns: i64, free: &Recycle<Unit>) -> Unit {
        let mut u = free.take().unwrap_or_else(|| Unit {
            chunks: Vec::new(),
            frames: Vec::with_capacity(UNIT),
            clock_ns,
            end_ns: None,
        });
        u.clock_ns = clock_ns;
        u.end_ns = None;
        u
    }

    /// Hands the unit back, empty, for the reader to fill again.
    fn recycle(mut self, free: &Recycle<Unit>) {
        self.chunks.clear();
        self.frames.clear();
        free.give(self);
    }
}

/// What a decoder counted.
#[derive(Default)]
struct Decoded {
    counters: Counters,
    mix: [u64; MIX_NAMES.len()],
}

/// The reader: frames the inputs and hands them, [`UNIT`] at a time, to the
/// decoders in turn (unit k to decoder k mod D), counting what needs no
/// decoding (bytes, timestamps, link types). Decoding and sharding happen on
/// the decoders, so reading one file uses more than one core; the workers
/// take the decoders' batches in the same turn, so every worker sees its
/// packets in capture order.
fn read_all<S: FrameSource, F: FrameFilter>(
    source: &mut S,
    cfg: &Config,
    decoders: &[crossbeam_channel::Sender<Unit>],
    free: &Recycle<Unit>,
    mut filter: Option<&mut F>,
) -> TrafficStats {
    let mut link_types: BTreeMap<LinkType, u64> = BTreeMap::new();
    let mut last_link: Option<(LinkType, u64)> = None;
    let mut stats = TrafficStats::default();
    let (mut first_ns, mut last_ns) = (i64::MAX, i64::MIN);
    let mut progress = crate::progress::Progress::new(cfg.progress);
    let total_bytes = source.total_bytes();
    let mut index = 0u64;
    let mut unit = Unit::new(last_ns, free);
    let mut seq = 0usize;
    // A decoder only goes away by panicking; the join reports it.
    let mut hand = |unit: Unit| {
        let _ = decoders[seq % decoders.len()].send(unit);
        seq += 1;
    };

    let mut pending_progress = 0u32;
    source.for_each(|sf| {
        let f = sf.frame;
        if let Some(filter) = filter.as_deref_mut() {
            if !filter.matches(f.linktype, f.bytes(sf.chunk)) {
                stats.filtered_out += 1;
                return;
            }
        }
        index += 1;
        stats.bytes += f.wirelen as u64;
        stats.captured_bytes += f.caplen as u64;
        first_ns = first_ns.min(f.ts_ns);
        match &mut last_link {
            Some((lt, c)) if *lt == f.linktype => *c += 1,
            _ => {
                if let Some((lt, c)) = last_link.take() {
                    *link_types.entry(lt).or_default() += c;
                }
                last_link = Some((f.linktype, 1));
            }
        }
        if unit
            .chunks
            .last()
            .is_none_or(|c| !std::sync::Arc::ptr_eq(c, sf.chunk))
        {
            unit.chunks.push(sf.chunk.clone());
        }
        unit.frames.push(((unit.chunks.len() - 1) as u16, f));
        last_ns = last_ns.max(f.ts_ns);
        if unit.frames.len() >= UNIT {
            hand(std::mem::replace(&mut unit, Unit::new(last_ns, free)));
        }
        pending_progress += 1;
        if pending_progress == 1 << 16 {
            pending_progress = 0;
            // Bytes read so far, near enough: data plus a record header per
            // frame; else the simulated time reached in the span announced.
            let read = (stats.captured_bytes + 16 * index) as f64;
            let fraction = if total_bytes > 0 {
                Some(read / total_bytes as f64)
            } else {
                cfg.span_ns
                    .filter(|(a, b)| b > a)
                    .map(|(a, b)| (last_ns - a) as f64 / (b - a) as f64)
            };
            progress.update(crate::progress::Position {
                fraction,
                packets: index,
                sim_ns: cfg.span_ns.map(|_| last_ns),
            });
        }
    });
    // Every worker gets a last batch, even empty, carrying the final clock.
    let mut end_ns = cfg.end_ns.map_or(last_ns, |e| e.max(last_ns));
    if let Some(c) = &cfg.end_clock {
        end_ns = (c.0)(end_ns).max(end_ns);
    }
    unit.end_ns = Some(end_ns);
    hand(unit);
    progress.finish();
    if let Some((lt, c)) = last_link {
        *link_types.entry(lt).or_default() += c;
    }
    stats.packets = index;
    if index > 0 {
        stats.first_ts = Some(secs(first_ns));
        stats.last_ts = Some(secs(last_ns));
    }
    stats.link_types = link_types.into_iter().map(|(k, v)| (k.name(), v)).collect();
    stats
}

/// Frames ahead of the one it decodes whose first two cache lines (link,
/// network and transport headers) a decoder prefetches.
const DECODE_AHEAD: usize = 4;

/// A decoder: decodes its units' frames, finds each packet's flow and worker,
/// and sends every worker one batch a unit (empty if it has no packet of
/// it: the worker takes one from each decoder in turn, and hears the clock).
fn decoder(
    units: Receiver<Unit>,
    workers: Vec<Sender<Batch>>,
    subs: &Subscribers,
    (free_units, free_batches): (Recycle<Unit>, Recycle<Batch>),
) -> Decoded {
    let n = workers.len();
    let mut d = Decoded::default();
    let mix = &mut d.mix;
    for unit in units {
        let mut batches: Vec<Batch> = (0..n).map(|_| Batch::new(&free_batches)).collect();
        let mut clock = unit.clock_ns;
        for (k, &(c, f)) in unit.frames.iter().enumerate() {
            // The frame's headers were just copied in by the reader's core:
            // ask for a later frame's while this one is decoded.
            if let Some(&(c, f)) = unit.frames.get(k + DECODE_AHEAD) {
                let head = f.bytes(&unit.chunks[c as usize]);
                crate::flow::prefetch_read(head);
                if let Some(next_line) = head.get(64..) {
                    crate::flow::prefetch_read(next_line);
                }
            }
            clock = clock.max(f.ts_ns);
            let chunk = &unit.chunks[c as usize];
            let d = decode::decode(f.linktype, f.bytes(chunk), &mut d.counters);
            match d.l3 {
                L3::Ipv4 => mix[Mix::Ipv4 as usize] += 1,
                L3::Ipv6 => mix[Mix::Ipv6 as usize] += 1,
                L3::Arp => mix[Mix::Arp as usize] += 1,
                L3::Other(_) => mix[Mix::OtherL2 as usize] += 1,
                L3::None => mix[Mix::Undecoded as usize] += 1,
            }
            if d.is_ip() {
                let slot = match d.proto {
                    ipproto::TCP => Mix::Tcp,
                    ipproto::UDP => Mix::Udp,
                    ipproto::ICMP => Mix::Icmp,
                    ipproto::ICMPV6 => Mix::Icmp6,
                    _ => Mix::OtherIp,
                };
                mix[slot as usize] += 1;
                if d.tunnels > 0 {
                    mix[Mix::Tunnelled as usize] += 1;
                }
            }
            // A transport that has ports but whose header could not be read
            // makes no flow (its anomaly is counted); other IP protocols get a
            // port-less flow.
            let has_ports = matches!(
                d.proto,
                ipproto::TCP | ipproto::UDP | ipproto::ICMP | ipproto::ICMPV6
            );
            if !(d.is_ip() && !d.frag_tail && (d.has_l4 || !has_ports)) {
                continue;
            }
            let (key, from_a) = FlowKey::of(&d);
            let hash = key.hash();
            let (sub_a, sub_b) = (subs.contains(&key.a), subs.contains(&key.b));
            let shard_hash = match (sub_a, sub_b) {
                // Both ends are subscribers: the lower address holds the flow.
                (true, _) => addr_hash(&key.a),
                (false, true) => addr_hash(&key.b),
                (false, false) => hash,
            };
            let batch = &mut batches[(shard_hash % n as u64) as usize];
            if batch
                .chunks
                .last()
                .is_none_or(|b| !std::sync::Arc::ptr_eq(b, chunk))
            {
                batch.chunks.push(chunk.clone());
            }
            batch.pkts.push(WorkPacket {
                flow: FlowPacket {
                    ts_ns: f.ts_ns,
                    now_ns: clock,
                    wirelen: f.wirelen,
                    key,
                    hash,
                    from_a,
                    sub_a,
                    sub_b,
                    tcp_flags: d.tcp_flags,
                },
                chunk: (batch.chunks.len() - 1) as u16,
                payload_off: f.off + d.payload_off,
                payload_len: d.payload_len,
                tcp_seq: d.tcp_seq,
            });
        }
        for (w, mut b) in batches.into_iter().enumerate() {
            b.now_ns = unit.end_ns.unwrap_or(clock);
            // A worker only goes away by panicking; the join reports it.
            let _ = workers[w].send(b);
        }
        unit.recycle(&free_units);
    }
    d
}

/// A worker's batches, taken from the decoders in turn: the order the reader
/// handed out the units.
struct InTurn {
    from: Vec<Receiver<Batch>>,
    next: usize,
    /// Where finished batches go back to the decoders.
    free: Recycle<Batch>,
}

impl InTurn {
    fn current(&self) -> &Receiver<Batch> {
        &self.from[self.next]
    }

    fn took(&mut self, b: Batch) -> Batch {
        self.next = (self.next + 1) % self.from.len();
        b
    }

    fn try_recv(&mut self) -> Option<Batch> {
        let b = self.current().try_recv().ok()?;
        Some(self.took(b))
    }
}

/// The next batch for a worker; meanwhile, it helps others with their jobs.
fn next_batch(
    rx: &mut InTurn,
    jobs: &Option<(Sender<assist::Job>, Receiver<assist::Job>)>,
) -> Option<Batch> {
    let Some((_, queue)) = jobs else {
        let b = rx.current().recv().ok()?;
        return Some(rx.took(b));
    };
    loop {
        crossbeam_channel::select! {
            recv(rx.current()) -> batch => return batch.ok().map(|b| rx.took(b)),
            recv(queue) -> job => {
                if let Ok(job) = job {
                    job.run();
                }
            }
        }
    }
}

/// How many packets ahead of the one it adds a worker prefetches the flow
/// table's index ([`FlowTable::prefetch`]): far enough for the line to
/// arrive (a packet takes a few hundred nanoseconds), near enough to stay
/// in the cache.
const PREFETCH_AHEAD: usize = 4;

fn worker(
    mut rx: InTurn,
    jobs: Option<(Sender<assist::Job>, Receiver<assist::Job>)>,
    cfg: FlowConfig,
    cap: usize,
    output: Option<Output>,
    dissect: bool,
    keep: Option<(Subscribers, usize, Sender<Kept>)>,
) -> WorkerOut {
    let mut table: FlowTable<FlowApp> = FlowTable::new(cfg, cap);
    let (keep, kept_to) = match keep {
        Some((subs, i, tx)) => (Some(subs), Some((i, tx))),
        None => (None, None),
    };
    let mut since_mark = 0u32;
    let mut w = Worker {
        out: WorkerOut::default(),
        flows_run: output.as_ref().map(|o| RunBuffer::new(&o.dir, RUN_BUDGET)),
        proto_runs: output
            .as_ref()
            .map(|o| {
                registry()
                    .iter()
                    .map(|d| (d.name(), (RunBuffer::new(&o.dir, RUN_BUDGET), d.columns())))
                    .collect()
            })
            .unwrap_or_default(),
        format: output.as_ref().map(|o| o.format).unwrap_or_default(),
        collect: Collect::default(),
        keep,
    };
    let mut ended: Vec<(FlowRecord, FlowApp)> = Vec::new();
    let plan = |batch: Batch, table: &FlowTable<FlowApp>| {
        let assist = match &jobs {
            Some((queue, _)) if dissect => assist::Assist::plan(&batch, table, queue),
            _ => assist::Assist::default(),
        };
        (batch, assist)
    };
    let mut ahead = VecDeque::new();
    loop {
        if ahead.is_empty() {
            match next_batch(&mut rx, &jobs) {
                Some(b) => ahead.push_back(plan(b, &table)),
                None => break,
            }
        }
        // While a hot flow is being helped, the batches queued behind this
        // one are planned now, so that helpers have its jobs early. Other
        // traffic is not read ahead: no more batches are held than before.
        let hot = |a: &VecDeque<(Batch, assist::Assist)>| a.back().is_some_and(|b| b.1.helps());
        if jobs.is_some() && hot(&ahead) {
            while ahead.len() <= assist::AHEAD && hot(&ahead) {
                match rx.try_recv() {
                    Some(b) => ahead.push_back(plan(b, &table)),
                    None => break,
                }
            }
        }
        let Some((batch, mut assist)) = ahead.pop_front() else {
            break;
        };
        for (i, p) in batch.pkts.iter().enumerate() {
            if let Some(soon) = batch.pkts.get(i + PREFETCH_AHEAD) {
                table.prefetch(soon.flow.hash);
            }
            let t = table.update(&p.flow, &mut |r, a| ended.push((r, a)));
            for (r, a) in ended.drain(..) {
                w.flow_ended(r, a);
            }
            let tcp = p.flow.key.proto == ipproto::TCP;
            let wanted = p.payload_len > 0 || (tcp && p.flow.tcp_flags & tcp_flag::SYN != 0);
            if !dissect || !wanted || table.state_mut(t.slot).is_off() {
                continue;
            }
            let ends = table.ends(t.slot);
            let start = p.payload_off as usize;
            let payload = batch.chunks[p.chunk as usize]
                .get(start..start + p.payload_len as usize)
                .unwrap_or(&[]);
            let app = table.state_mut(t.slot);
            match assist.take(i) {
                Some(prepared) if !tcp => app.on_prepared(
                    ends,
                    t.from_orig,
                    p.flow.ts_ns,
                    payload,
                    prepared,
                    &mut w.collect,
                ),
                _ => {
                    let seg = tcp.then_some(TcpSeg {
                        seq: p.tcp_seq,
                        flags: p.flow.tcp_flags,
                    });
                    app.on_packet(
                        ends,
                        t.from_orig,
                        p.flow.ts_ns,
                        seg,
                        payload,
                        &mut w.collect,
                    )
                }
            }
            w.write_records();
        }
        w.out.helped += assist.helped();
        let now_ns = batch.now_ns;
        table.advance(now_ns);
        batch.recycle(&rx.free);
        table.sweep(&mut |r, a| ended.push((r, a)));
        for (r, a) in ended.drain(..) {
            w.flow_ended(r, a);
        }
        if let Some((i, tx)) = &kept_to {
            since_mark += 1;
            if since_mark >= WATERMARK_EVERY {
                since_mark = 0;
                // Later records are of flows held now (none older than the
                // oldest one's start) or of packets still to come.
                let watermark = table.oldest_start_ns().unwrap_or(i64::MAX).min(now_ns);
                // The next batch starts as large as this one was: no
                // regrowing (reallocations of large blocks) each time.
                let capacity = w.out.kept.len();
                let _ = tx.send(Kept {
                    worker: *i,
                    observations: std::mem::replace(&mut w.out.kept, Vec::with_capacity(capacity)),
                    watermark,
                });
            }
        }
    }
    table.drain(&mut |r, a| ended.push((r, a)));
    for (r, a) in ended.drain(..) {
        w.flow_ended(r, a);
    }
    if let Some((i, tx)) = &kept_to {
        let _ = tx.send(Kept {
            worker: *i,
            observations: std::mem::take(&mut w.out.kept),
            watermark: i64::MAX,
        });
    }
    w.out.stats = table.stats();
    w.out.anomalies = std::mem::take(&mut w.collect.anomalies);
    w.out.runs = w.flows_run.map(RunBuffer::finish);
    w.out.proto_runs = w
        .proto_runs
        .into_iter()
        .map(|(k, (run, _))| (k, run.finish()))
        .collect();
    w.out
}

/// A worker's outputs while it runs.
struct Worker {
    out: WorkerOut,
    flows_run: Option<RunBuffer>,
    /// Per protocol: its sorted runs and its CSV columns.
    proto_runs: BTreeMap<&'static str, (RunBuffer, &'static [&'static str])>,
    format: Format,
    collect: Collect,
    /// Keep observations, with the subscribers that say who a record concerns.
    keep: Option<Subscribers>,
}

impl Worker {
    fn flow_ended(&mut self, mut r: FlowRecord, mut app: FlowApp) {
        let claimed = app.finish(r.ends(), r.last_ns, &mut self.collect);
        if let Some(name) = claimed {
            r.app = name;
        }
        self.write_records();
        let out = &mut self.out;
        if self.keep.is_some() {
            let mut o = Observation::of_flow(&r);
            o.app = claimed.and_then(crate::observation::Kind::of_protocol);
            out.kept.push(o);
        }
        out.flows += 1;
        *out.apps.entry(r.app).or_default() += 1;
        if let Some(s) = r.subscriber {
            out.subscribers.insert(s);
        }
        let total_b = r.orig_bytes + r.resp_bytes;
        let total_p = r.orig_pkts + r.resp_pkts;
        out.talkers.add(r.orig_h, total_b, total_p);
        out.talkers.add(r.resp_h, total_b, total_p);
        let (Some(run), None) = (self.flows_run.as_mut(), &out.error) else {
            return;
        };
        let format = self.format;
        let res = run.push([(r.first_ns as u64) ^ (1 << 63), r.flow_id, 0], |buf| {
            if format == Format::Csv {
                write_flow_csv(buf, &r);
            } else {
                r.write_json(buf);
                buf.push(b'\n');
            }
        });
        if let Err(e) = res {
            out.error = Some(e);
        }
    }

    /// Counts and writes the records sessions produced, and keeps what boxes
    /// see of them (a record written as JSON is measured as it is written).
    fn write_records(&mut self) {
        for rec in self.collect.records.drain(..) {
            *self.out.records.entry(rec.protocol).or_default() += 1;
            let mut written = None;
            if let (Some((run, cols)), None) =
                (self.proto_runs.get_mut(rec.protocol), &self.out.error)
            {
                // Time order, made unsigned so that the bytes sort like the numbers.
                let key = [(rec.ts_ns as u64) ^ (1 << 63), rec.flow_id, rec.seq as u64];
                let format = self.format;
                let res = run.push(key, |buf| {
                    if format == Format::Csv {
                        csv_row(buf, &rec.csv_cells(cols));
                    } else {
                        let start = buf.len();
                        rec.write_json(buf);
                        buf.push(b'\n');
                        written = Some(buf.len() - start);
                    }
                });
                if let Err(e) = res {
                    self.out.error = Some(e);
                }
            }
            if let Some(subs) = &self.keep {
                self.out
                    .kept
                    .extend(Observation::of_record(&rec, subs, written));
            }
        }
    }
}

fn write_flow_csv(buf: &mut Vec<u8>, r: &FlowRecord) {
    csv_row(
        buf,
        &[
            r.ts.to_string(),
            r.flow_id.to_string(),
            r.orig_h.to_string(),
            r.orig_p.to_string(),
            r.resp_h.to_string(),
            r.resp_p.to_string(),
            r.proto.to_string(),
            r.last_ts.to_string(),
            r.duration.to_string(),
            r.orig_pkts.to_string(),
            r.orig_bytes.to_string(),
            r.resp_pkts.to_string(),
            r.resp_bytes.to_string(),
            r.orig_flags.unwrap_or_default().to_string(),
            r.resp_flags.unwrap_or_default().to_string(),
            r.app.to_string(),
            r.subscriber.map(|a| a.to_string()).unwrap_or_default(),
            r.subscriber_side
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            r.end.as_str().to_string(),
        ],
    );
}
