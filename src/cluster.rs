//! One run over many processes (and hosts), through timely dataflow.
//!
//! Built with the `cargo` feature `cluster`. Every process is started with the
//! same scenario and the same hostfile (one `host:port` a process, process `i`
//! on line `i + 1`), and its own `--process`. Each of the cluster's workers
//! (`--workers` threads a process, `processes × workers` in all) reads its own
//! share of the traffic — person `i` of a generated population goes to share
//! `i mod shares`, a capture input (a file or a directory: one link) to one
//! share — and runs the local pipeline on it: reader, flows, dissectors,
//! observations. Only observations cross the network, as a timely stream
//! exchanged to worker 0 (process 0), whose input frontier says when no
//! earlier observation can still come: it hands them on in the single run's
//! order ([`Observation::sort_key`]), to the boxes, the commission and the
//! oversight log, which run there, once. Every worker also sends what it
//! counted ([`Partial`]) when its share is read, and worker 0 sums them in the
//! single run's way ([`pipeline::summarize`]). So `alerts.jsonl`,
//! `oversight.jsonl` and `report.json` are the single-process run's bytes
//! (but `wall_s`).
//!
//! Timestamps on the stream are whole simulated seconds, so progress traffic
//! stays small; a worker more than [`LAG_S`] seconds of traffic ahead of the
//! slowest waits, so that worker 0 holds a bounded window of observations.
//!
//! timely has no recovery. If a process dies, the others' network threads fail
//! reading from it: the panic hook installed here names the lost process,
//! moves the oversight log written so far beside the output (it verifies as
//! not closed), removes every temporary and exits with [`EXIT_LOST`]. A
//! failed cluster run is re-run.

use std::path::Path;

use crate::observation::Observation;
use crate::pipeline::sink::Runs;
use crate::pipeline::{EndClock, Partial};

/// Exit status of a process whose cluster lost a member.
pub const EXIT_LOST: i32 = 5;

/// Where this process stands in a cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// `host:port` of every process, process 0 first.
    pub hosts: Vec<String>,
    /// This process's index.
    pub process: usize,
    /// Worker threads a process.
    pub workers: usize,
}

impl Spec {
    /// A cluster of `processes` described by `hostfile` (one `host:port` a
    /// line; blank lines and `#` comments skipped; more lines than processes
    /// allowed, the first ones are used).
    pub fn from_hostfile(
        hostfile: &Path,
        processes: usize,
        process: usize,
        workers: usize,
    ) -> Result<Spec, String> {
        let text = std::fs::read_to_string(hostfile)
            .map_err(|e| format!("hostfile {}: {e}", hostfile.display()))?;
        let hosts: Vec<String> = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        Spec::new(hosts, processes, process, workers)
            .map_err(|e| format!("hostfile {}: {e}", hostfile.display()))
    }

    /// A cluster of `processes` at `hosts`.
    pub fn new(
        mut hosts: Vec<String>,
        processes: usize,
        process: usize,
        workers: usize,
    ) -> Result<Spec, String> {
        if processes == 0 || workers == 0 {
            return Err("a cluster has at least one process of at least one worker".into());
        }
        if process >= processes {
            return Err(format!(
                "--process {process} is not one of the {processes} processes (0 to {})",
                processes - 1
            ));
        }
        if hosts.len() < processes {
            return Err(format!(
                "{} host:port line{} for {processes} processes",
                hosts.len(),
                if hosts.len() == 1 { "" } else { "s" }
            ));
        }
        hosts.truncate(processes);
        for (i, h) in hosts.iter().enumerate() {
            let ok = h
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !ok {
                return Err(format!("line {}: `{h}` is not host:port", i + 1));
            }
        }
        Ok(Spec {
            hosts,
            process,
            workers,
        })
    }

    /// Shares of the traffic: one a worker.
    pub fn shares(&self) -> usize {
        self.hosts.len() * self.workers
    }
}

/// Reads share `.0` of `.1` of the traffic, handing its observations (in
/// their order) to the sink; returns what it counted.
pub type ReadShare = std::sync::Arc<
    dyn Fn(usize, usize, &mut (dyn FnMut(Observation) + Send)) -> Result<Partial, String>
        + Send
        + Sync,
>;

/// Seconds of traffic a worker may run ahead of the cluster's slowest.
pub const LAG_S: u64 = 30;

/// Reads share `.0` of `.1` of the captures into sorted runs of formatted
/// records (spilled in the directory given), one list a record file; its
/// pipeline asks the clock at the end of input with the [`EndClock`] given
/// (the cluster's latest timestamp).
pub type ReadRuns = std::sync::Arc<
    dyn Fn(usize, usize, &Path, EndClock) -> Result<(Partial, Vec<Vec<Runs>>), String>
        + Send
        + Sync,
>;

/// What process 0 of an `extract` cluster gets: every share's counts, and
/// each record file's runs (one a share, spilled in process 0's directory).
pub type Extracted = (Vec<Partial>, Vec<Vec<Runs>>);

/// Which share reads each group of inputs (a group: the files of one input
/// argument, one link): the largest groups first, each to the share with the
/// fewest bytes so far (the lowest index on ties). Every process computes
/// the same assignment from the same arguments.
pub fn assign(sizes: &[u64], shares: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(sizes[i]), i));
    let mut load = vec![0u64; shares.max(1)];
    let mut to = vec![0; sizes.len()];
    for i in order {
        let s = (0..load.len()).min_by_key(|&s| (load[s], s)).unwrap_or(0);
        load[s] += sizes[i];
        to[i] = s;
    }
    to
}

#[cfg(feature = "cluster")]
pub use engine::{extract, stream};

#[cfg(not(feature = "cluster"))]
/// Without the `cluster` feature: says how to get it.
pub fn extract(_spec: &Spec, _read: ReadRuns, _dir: &Path) -> Result<Option<Extracted>, String> {
    Err("this ivraie was built without the `cluster` feature: \
         cargo build --release --features cluster"
        .into())
}

#[cfg(not(feature = "cluster"))]
/// Without the `cluster` feature: says how to get it.
pub fn stream(
    _spec: &Spec,
    _read: ReadShare,
    _sink: &mut dyn FnMut(Observation),
) -> Result<Option<Vec<Partial>>, String> {
    Err("this ivraie was built without the `cluster` feature: \
         cargo build --release --features cluster"
        .into())
}

#[cfg(feature = "cluster")]
mod engine {
    use std::cell::RefCell;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    use std::rc::Rc;
    use std::sync::Mutex;
    use std::time::Duration;

    use crossbeam_channel::{Sender, bounded};
    use serde::{Deserialize, Serialize};
    use timely::dataflow::channels::pact::Pipeline;
    use timely::dataflow::operators::generic::operator::Operator;
    use timely::dataflow::operators::{Exchange, Input, Probe};
    use timely::dataflow::{InputHandleVec, ProbeHandle};
    use timely::worker::Worker;

    use std::path::Path;

    use super::{EndClock, Extracted, LAG_S, ReadRuns, ReadShare, Spec};
    use crate::pipeline::sink::{RunWriter, Runs};

    /// The stream's timestamp of an observation: its whole second.
    fn second(ts_ns: i64) -> u64 {
        (ts_ns.max(0) / 1_000_000_000) as u64
    }
    use crate::observation::Observation;
    use crate::pipeline::Partial;

    /// What crosses the network.
    #[derive(Clone, Debug, Serialize, Deserialize)]
    enum Msg {
        /// One observation.
        Obs(Observation),
        /// What share `.0` counted, once it is read.
        Done(u32, Box<Partial>),
    }

    /// What worker 0 hands the calling thread.
    enum Out {
        Obs(Vec<Observation>),
        Done(Vec<Partial>),
        Failed(String),
    }

    /// An observation waiting at worker 0, ordered by its sort key.
    struct Pending(Observation);
    impl PartialEq for Pending {
        fn eq(&self, o: &Self) -> bool {
            self.0.sort_key() == o.0.sort_key()
        }
    }
    impl Eq for Pending {}
    impl PartialOrd for Pending {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Pending {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.0.sort_key().cmp(&o.0.sort_key())
        }
    }

    /// Worker 0's side: observations not yet final, the shares' counts.
    #[derive(Default)]
    struct Held {
        heap: BinaryHeap<Reverse<Pending>>,
        parts: Vec<(u32, Partial)>,
        /// The sink's input frontier: observations of earlier seconds are final.
        frontier: Option<u64>,
        closed: bool,
    }

    /// Runs this process's workers; on process 0, hands the cluster's
    /// observations to `sink` in the single run's order and returns every
    /// share's counts, in share order. Other processes return `None`.
    pub fn stream(
        spec: &Spec,
        read: ReadShare,
        sink: &mut dyn FnMut(Observation),
    ) -> Result<Option<Vec<Partial>>, String> {
        install_loss_hook();
        let config = timely::Config {
            communication: timely::CommunicationConfig::Cluster {
                threads: spec.workers,
                process: spec.process,
                addresses: spec.hosts.clone(),
                report: false,
                zerocopy: false,
            },
            worker: timely::WorkerConfig::default(),
        };
        let (tx, rx) = bounded::<Out>(16);
        let tx = Mutex::new(Some(tx));
        let guards = timely::execute(config, move |worker| {
            let tx = if worker.index() == 0 {
                tx.lock().ok().and_then(|mut t| t.take())
            } else {
                None
            };
            let failed = tx.clone();
            let r = run_worker(worker, &read, tx);
            if let (Err(e), Some(tx)) = (&r, failed) {
                let _ = tx.send(Out::Failed(e.clone()));
            }
            r
        })
        .map_err(|e| format!("starting the cluster: {e}"))?;
        let mut parts = None;
        let mut failure = None;
        for m in rx.iter() {
            match m {
                Out::Obs(v) => v.into_iter().for_each(&mut *sink),
                Out::Done(p) => parts = Some(p),
                Out::Failed(e) => failure = Some(e),
            }
        }
        for r in guards.join() {
            match r {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failure = failure.or(Some(e)),
                Err(e) => failure = failure.or(Some(format!("a worker failed: {e}"))),
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(parts)
    }

    /// Observations a message to the calling thread carries.
    const BATCH: usize = 4096;

    fn run_worker(
        worker: &mut Worker,
        read: &ReadShare,
        tx: Option<Sender<Out>>,
    ) -> Result<(), String> {
        let share = worker.index();
        let shares = worker.peers();
        let mut input = InputHandleVec::<u64, Msg>::new();
        let probe = ProbeHandle::new();
        let held: Rc<RefCell<Held>> = Rc::default();
        {
            let held = held.clone();
            worker.dataflow::<u64, _, _>(|scope| {
                scope
                    .input_from(&mut input)
                    .exchange(|_: &Msg| 0)
                    .probe_with(&probe)
                    .sink(Pipeline, "commission", move |(input, frontier)| {
                        let mut h = held.borrow_mut();
                        input.for_each(|_, data| {
                            for m in data.drain(..) {
                                match m {
                                    Msg::Obs(o) => h.heap.push(Reverse(Pending(o))),
                                    Msg::Done(i, p) => h.parts.push((i, *p)),
                                }
                            }
                        });
                        h.frontier = frontier.frontier().first().copied();
                        h.closed = frontier.is_empty();
                    });
            });
        }
        // The share is read on a thread of its own; observations come back in
        // batches, in order.
        let (obs_tx, obs_rx) = bounded::<Result<Vec<Observation>, String>>(64);
        let (done_tx, done_rx) = bounded::<Result<Partial, String>>(1);
        let reader = {
            let read = read.clone();
            std::thread::Builder::new()
                .name(format!("ivraie-share-{share}"))
                .spawn(move || {
                    let mut batch = Vec::with_capacity(BATCH);
                    let tx = obs_tx;
                    let r = read(share, shares, &mut |o| {
                        batch.push(o);
                        if batch.len() >= BATCH {
                            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                            let _ = tx.send(Ok(full));
                        }
                    });
                    if !batch.is_empty() {
                        let _ = tx.send(Ok(batch));
                    }
                    drop(tx);
                    let _ = done_tx.send(r);
                })
                .map_err(|e| format!("starting a reader: {e}"))?
        };
        let mut out = Vec::new();
        let mut release = |held: &Rc<RefCell<Held>>, tx: &Option<Sender<Out>>| {
            let Some(tx) = tx else { return };
            let mut h = held.borrow_mut();
            let limit = if h.closed {
                u64::MAX
            } else {
                h.frontier.unwrap_or(0)
            };
            while h
                .heap
                .peek()
                .is_some_and(|Reverse(p)| h.closed || second(p.0.ts_ns) < limit)
            {
                if let Some(Reverse(p)) = h.heap.pop() {
                    out.push(p.0);
                }
                if out.len() >= BATCH {
                    let _ = tx.send(Out::Obs(std::mem::take(&mut out)));
                }
            }
            if !out.is_empty() {
                let _ = tx.send(Out::Obs(std::mem::take(&mut out)));
            }
        };
        loop {
            let batch = match obs_rx.recv_timeout(Duration::from_millis(2)) {
                Ok(b) => b?,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    // Nothing read yet: keep the others' traffic moving.
                    worker.step();
                    release(&held, &tx);
                    continue;
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            };
            let t = batch.last().map_or(0, |o| second(o.ts_ns));
            for o in batch {
                input.send(Msg::Obs(o));
            }
            if t > *input.time() {
                input.advance_to(t);
            }
            // Too far ahead of the slowest: wait for it.
            while probe.less_than(&t.saturating_sub(LAG_S)) {
                worker.step_or_park(Some(Duration::from_millis(1)));
                release(&held, &tx);
            }
            worker.step();
            release(&held, &tx);
        }
        let _ = reader.join();
        let part = match done_rx.recv() {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => return Err(format!("share {share}: {e}")),
            Err(_) => return Err(format!("share {share}: its reader stopped")),
        };
        input.send(Msg::Done(share as u32, Box::new(part)));
        input.close();
        while !probe.done() {
            worker.step_or_park(Some(Duration::from_millis(1)));
            release(&held, &tx);
        }
        // A last turn for the sink to see its frontier empty.
        worker.step();
        release(&held, &tx);
        if let Some(tx) = &tx {
            let mut h = held.borrow_mut();
            let mut parts = std::mem::take(&mut h.parts);
            if parts.len() != shares {
                return Err(format!("{} of {shares} shares reported", parts.len()));
            }
            parts.sort_by_key(|(i, _)| *i);
            let _ = tx.send(Out::Done(parts.into_iter().map(|(_, p)| p).collect()));
        }
        Ok(())
    }

    /// A record of an `extract` cluster, or a share's counts.
    #[derive(Clone, Debug, Serialize, Deserialize)]
    enum RecMsg {
        Rec {
            share: u32,
            file: u16,
            key: [u64; 3],
            bytes: Vec<u8>,
        },
        Done(u32, Box<Partial>),
    }

    /// Records a worker sends between two advances of its time.
    const RECORDS_A_TICK: u64 = 16_384;

    /// Worker 0's side of an `extract`: a run file for each (share, record
    /// file), written as records arrive (each share sends each file in key
    /// order, and timely keeps one sender's order).
    struct Received {
        dir: std::path::PathBuf,
        writers: std::collections::BTreeMap<(u16, u32), RunWriter>,
        parts: Vec<(u32, Partial)>,
        error: Option<String>,
    }

    /// Runs this process's workers over their shares of the captures; on
    /// process 0, returns every share's counts and runs (run files in `dir`)
    /// for the caller to write the record files. Other processes: `None`.
    pub fn extract(spec: &Spec, read: ReadRuns, dir: &Path) -> Result<Option<Extracted>, String> {
        install_loss_hook();
        let config = timely::Config {
            communication: timely::CommunicationConfig::Cluster {
                threads: spec.workers,
                process: spec.process,
                addresses: spec.hosts.clone(),
                report: false,
                zerocopy: false,
            },
            worker: timely::WorkerConfig::default(),
        };
        let dir = dir.to_path_buf();
        let guards = timely::execute(config, move |worker| extract_worker(worker, &read, &dir))
            .map_err(|e| format!("starting the cluster: {e}"))?;
        let mut got = None;
        for r in guards.join() {
            match r {
                Ok(Ok(Some(x))) => got = Some(x),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => return Err(e),
                Err(e) => return Err(format!("a worker failed: {e}")),
            }
        }
        Ok(got)
    }

    fn extract_worker(
        worker: &mut Worker,
        read: &ReadRuns,
        dir: &Path,
    ) -> Result<Option<Extracted>, String> {
        let share = worker.index();
        let shares = worker.peers();
        let mut input = InputHandleVec::<u64, RecMsg>::new();
        let probe = ProbeHandle::new();
        let got = Rc::new(RefCell::new(Received {
            dir: dir.to_path_buf(),
            writers: Default::default(),
            parts: Vec::new(),
            error: None,
        }));
        {
            let got = got.clone();
            worker.dataflow::<u64, _, _>(|scope| {
                scope
                    .input_from(&mut input)
                    .exchange(|_: &RecMsg| 0)
                    .probe_with(&probe)
                    .sink(Pipeline, "records", move |(input, _)| {
                        let mut g = got.borrow_mut();
                        let g = &mut *g;
                        input.for_each(|_, data| {
                            for m in data.drain(..) {
                                match m {
                                    RecMsg::Rec {
                                        share,
                                        file,
                                        key,
                                        bytes,
                                    } => {
                                        if g.error.is_some() {
                                            continue;
                                        }
                                        let dir = &g.dir;
                                        let w = match g.writers.entry((file, share)) {
                                            std::collections::btree_map::Entry::Occupied(e) => {
                                                e.into_mut()
                                            }
                                            std::collections::btree_map::Entry::Vacant(e) => {
                                                match RunWriter::new(&dir) {
                                                    Ok(w) => e.insert(w),
                                                    Err(err) => {
                                                        g.error = Some(format!(
                                                            "{}: {err}",
                                                            dir.display()
                                                        ));
                                                        continue;
                                                    }
                                                }
                                            }
                                        };
                                        if let Err(err) = w.push(key, &bytes) {
                                            g.error = Some(format!("{}: {err}", dir.display()));
                                        }
                                    }
                                    RecMsg::Done(i, p) => g.parts.push((i, *p)),
                                }
                            }
                        });
                    });
            });
        }
        // The clock at the end of input: every share's latest timestamp goes
        // to every worker, each takes the latest.
        let mut clock_in = InputHandleVec::<u64, (u32, i64)>::new();
        let clock_probe = ProbeHandle::new();
        let lasts: Rc<RefCell<Vec<i64>>> = Rc::default();
        {
            let lasts = lasts.clone();
            worker.dataflow::<u64, _, _>(|scope| {
                scope
                    .input_from(&mut clock_in)
                    .exchange(|m: &(u32, i64)| m.0 as u64)
                    .probe_with(&clock_probe)
                    .sink(Pipeline, "end clock", move |(input, _)| {
                        input.for_each(|_, d| lasts.borrow_mut().extend(d.drain(..).map(|m| m.1)));
                    });
            });
        }
        let (last_tx, last_rx) = bounded::<i64>(1);
        let (end_tx, end_rx) = bounded::<i64>(1);
        let end_rx = Mutex::new(end_rx);
        let clock = EndClock(std::sync::Arc::new(move |last| {
            let _ = last_tx.send(last);
            end_rx
                .lock()
                .ok()
                .and_then(|r| r.recv().ok())
                .unwrap_or(last)
        }));
        let mut asked = false;
        // The share is read on a thread of its own, the worker stepping
        // meanwhile (worker 0 receives the others' records).
        let (done_tx, done_rx) = bounded(1);
        let reader = {
            let read = read.clone();
            let dir = dir.to_path_buf();
            std::thread::Builder::new()
                .name(format!("ivraie-share-{share}"))
                .spawn(move || {
                    let _ = done_tx.send(read(share, shares, &dir, clock));
                })
                .map_err(|e| format!("starting a reader: {e}"))?
        };
        let (part, files) = loop {
            if let Ok(last) = last_rx.try_recv() {
                for t in 0..shares {
                    clock_in.send((t as u32, last));
                }
                clock_in.advance_to(1);
                asked = true;
            }
            if asked && !clock_probe.less_than(&1) {
                asked = false;
                let latest = lasts.borrow().iter().copied().max().unwrap_or(i64::MIN);
                let _ = end_tx.send(latest);
            }
            match done_rx.recv_timeout(Duration::from_millis(2)) {
                Ok(r) => break r.map_err(|e| format!("share {share}: {e}"))?,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    worker.step();
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    return Err(format!("share {share}: its reader stopped"));
                }
            }
        };
        let _ = reader.join();
        let mut sent = 0u64;
        for (file, runs) in files.into_iter().enumerate() {
            crate::pipeline::sink::merge_runs_with(runs, |key, bytes| {
                input.send(RecMsg::Rec {
                    share: share as u32,
                    file: file as u16,
                    key,
                    bytes: bytes.to_vec(),
                });
                sent += 1;
                if sent % RECORDS_A_TICK == 0 {
                    let t = sent / RECORDS_A_TICK;
                    input.advance_to(t);
                    while probe.less_than(&t.saturating_sub(4)) {
                        worker.step_or_park(Some(Duration::from_millis(1)));
                    }
                }
                Ok(())
            })
            .map_err(|e| format!("share {share}: reading its records back: {e}"))?;
        }
        input.send(RecMsg::Done(share as u32, Box::new(part)));
        input.close();
        clock_in.close();
        while !probe.done() {
            worker.step_or_park(Some(Duration::from_millis(1)));
        }
        worker.step();
        if share != 0 {
            return Ok(None);
        }
        let mut g = got.borrow_mut();
        if let Some(e) = g.error.take() {
            return Err(e);
        }
        let mut parts = std::mem::take(&mut g.parts);
        if parts.len() != shares {
            return Err(format!("{} of {shares} shares reported", parts.len()));
        }
        parts.sort_by_key(|(i, _)| *i);
        let n = crate::pipeline::record_files().len();
        let mut files: Vec<Vec<Runs>> = (0..n).map(|_| Vec::new()).collect();
        for ((file, _), w) in std::mem::take(&mut g.writers) {
            let runs = w.finish().map_err(|e| format!("{}: {e}", dir.display()))?;
            if let Some(f) = files.get_mut(file as usize) {
                f.push(runs);
            }
        }
        Ok(Some((parts.into_iter().map(|(_, p)| p).collect(), files)))
    }

    /// Turns the failure of a network thread (a peer gone) into a message
    /// naming the lost process and a clean exit.
    fn install_loss_hook() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let default = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let thread = std::thread::current();
                let name = thread.name().unwrap_or("");
                let peer = name
                    .strip_prefix("timely:recv-")
                    .or_else(|| name.strip_prefix("timely:send-"));
                let Some(peer) = peer else {
                    return default(info);
                };
                let what = info
                    .payload()
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| info.payload().downcast_ref::<&str>().copied())
                    .unwrap_or("connection failed");
                eprintln!(
                    "ivraie: error: lost cluster process {peer} ({what}); nothing was written: \
                     re-run the whole cluster"
                );
                crate::output::abandon(super::EXIT_LOST);
            }));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_go_largest_first_to_the_least_loaded_share() {
        // 50 to share 0; 20, 20 and 10 to share 1 (20, 40, then 50 <= 50).
        assert_eq!(assign(&[10, 50, 20, 20], 2), vec![1, 0, 1, 1]);
        assert_eq!(assign(&[5, 5, 5], 4), vec![0, 1, 2]);
        assert_eq!(assign(&[], 3), Vec::<usize>::new());
        // Every process computes the same from the same sizes.
        assert_eq!(
            assign(&[3, 1, 4, 1, 5, 9, 2, 6], 3),
            assign(&[3, 1, 4, 1, 5, 9, 2, 6], 3)
        );
    }

    #[test]
    fn a_hostfile_is_checked_line_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("hosts");
        std::fs::write(
            &f,
            "# the cluster\nnode1:2101\n\nnode2:2101  # second\nnode3:2101\n",
        )
        .unwrap();
        let s = Spec::from_hostfile(&f, 2, 1, 4).unwrap();
        assert_eq!(s.hosts, ["node1:2101", "node2:2101"]);
        assert_eq!(s.shares(), 8);
        let e = Spec::from_hostfile(&f, 4, 0, 1).unwrap_err();
        assert!(e.contains("3 host:port lines for 4 processes"), "{e}");
        let e = Spec::from_hostfile(&f, 2, 2, 1).unwrap_err();
        assert!(
            e.contains("--process 2 is not one of the 2 processes"),
            "{e}"
        );
        std::fs::write(&f, "node1\n").unwrap();
        let e = Spec::from_hostfile(&f, 1, 0, 1).unwrap_err();
        assert!(e.contains("`node1` is not host:port"), "{e}");
        let e = Spec::from_hostfile(&dir.path().join("none"), 1, 0, 1).unwrap_err();
        assert!(e.contains("none"), "{e}");
    }
}
