//! `ivraie run`: a scenario's boxes over its traffic, under warrant, measured.
//!
//! The traffic (captures, a generated population, or both) goes once through
//! the [`pipeline`](crate::pipeline), which hands back the time-ordered
//! [`Observation`]s. Every box then consumes that one stream, in time order,
//! with the policy's timers (window ends, retention purges, destructions of
//! identified data) interleaved at their simulated times. Everything the
//! policy does is appended to the oversight log as it happens; the figures go
//! to `report.json` and the alerts to `alerts.jsonl`, both written whole
//! (temporary file, then rename).

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

// foldhash, not SipHash: sets and maps of addresses are touched for every
// observation (a fifth of a re-simulation was SipHash), and nothing here
// depends on their order.
use hashbrown::{HashMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::blackbox::BlackBox;
use crate::capture::{self, CaptureReader, InputSpec, MergedSource, clock};
use crate::decode::Addr;
use crate::flow::Subscribers;
use crate::generate::{self, Generator, Label, Role};
use crate::identity::{self, AttributionLog};
use crate::measure::{self, Confusion, Estimate, ExtrapolationCi, Snr};
use crate::observation::Observation;
use crate::output::write_atomically;
use crate::oversight::{Event, LogHead, LogWriter};
use crate::pipeline::{self, Summary};
use crate::policy::{
    Cooldown, Decision, Pseudonymizer, RetentionBuffer, Warrant, Window, WindowReport, law,
};
use crate::scenario::{BoxSpec, Scenario};

/// How the pseudonym key is chosen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum KeyChoice {
    /// Seeded from the scenario for purely generated traffic (reproducible: the
    /// people are synthetic), random for real captures.
    #[default]
    Auto,
    /// A fresh random key.
    Random,
    /// Read 32 bytes or more from this file (reproducible runs on real traffic).
    File(PathBuf),
}

/// Options of a run that are not part of the scenario.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Output directory.
    pub out_dir: PathBuf,
    /// Worker threads.
    pub threads: usize,
    /// Progress bar on a terminal.
    pub progress: bool,
    /// Pseudonym key.
    pub key: KeyChoice,
    /// Name the capture files in the report (`traffic.inputs`, `skipped`,
    /// errors, the labels file); otherwise they are "input 1", "input 2"...:
    /// file names often hold addresses or customers' names.
    pub name_inputs: bool,
    /// One process of a cluster ([`crate::cluster`]): it reads its share of
    /// the traffic; process 0 runs the boxes and writes the outputs.
    pub cluster: Option<crate::cluster::Spec>,
}

/// A run that could not be done.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The generator refused its parameters.
    #[error("[source.generate]: {0}")]
    Generate(String),
    /// The labels file could not be read.
    #[error("labels: {0}")]
    Labels(String),
    /// Reading the traffic failed as a whole.
    #[error(transparent)]
    Pipeline(#[from] pipeline::PipelineError),
    /// An output could not be written.
    #[error("{path}: {source}")]
    Output {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The pseudonym key could not be read.
    #[error("pseudonym key {path}: {message}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No traffic at all.
    #[error("the scenario's sources hold no traffic")]
    NoTraffic,
    /// More observations than may be kept in memory.
    #[error(
        "the traffic gives more than {0} observations to keep in memory: use a shorter or smaller scenario, or a higher --max-observations"
    )]
    TooMany(usize),
    /// The cluster could not run, or lost a member.
    #[error("cluster: {0}")]
    Cluster(String),
}

impl From<crate::output::WriteError> for SimError {
    fn from(e: crate::output::WriteError) -> SimError {
        SimError::Output {
            path: e.path,
            source: e.source,
        }
    }
}

// ---------------------------------------------------------------------------
// The report.

/// What a box took in.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Volume {
    /// Packets of the flows it saw.
    pub packets: u64,
    /// Wire bytes of those flows.
    pub bytes: u64,
    /// Flows.
    pub flows: u64,
    /// Records (flows and application records) in its data scope.
    pub records: u64,
    /// Distinct subscribers.
    pub subscribers: u64,
}

/// What a box kept.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Retained {
    /// Bytes it stored (records, and payload for a content box).
    pub bytes: u64,
    /// Records it stored.
    pub records: u64,
    /// Most bytes held at once.
    pub peak_bytes: u64,
    /// Records × days held (the sum over records of how long each was kept).
    pub record_days: f64,
    /// Bytes × days held.
    pub byte_days: f64,
    /// Subscribers with data stored.
    pub subscribers: u64,
    /// Share of the stored bytes that concern real targets (with ground truth).
    pub target_bytes_share: Option<f64>,
}

/// Alerts judged against the ground truth, with the usual rates.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Judged {
    /// Subscriber-level confusion matrix (positive: alerted at least once).
    pub confusion: Confusion,
    /// Flagged subscribers who are real targets.
    pub precision: Option<Estimate>,
    /// Real targets flagged.
    pub recall: Option<Estimate>,
    /// Innocent people flagged.
    pub fpr: Option<Estimate>,
    /// True against false alerts.
    pub snr: Snr,
}

impl Judged {
    fn of(c: Confusion) -> Judged {
        Judged {
            precision: c.precision(),
            recall: c.recall(),
            fpr: c.fpr(),
            snr: c.snr(),
            confusion: c,
        }
    }
}

/// One authorisation window of a box, measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WindowStats {
    /// 1, 2, 3...
    pub index: u32,
    /// `first` or `renewal`.
    pub kind: crate::policy::WindowKind,
    /// Opening date-time (UTC).
    pub start: String,
    /// Closing date-time (UTC).
    pub end: String,
    /// `renewed`, `refused`, or `open` (the traffic ended first).
    pub outcome: String,
    /// The commission's reason for a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the box took in.
    pub inspected: Volume,
    /// What it kept.
    pub retained: Retained,
    /// Alerts raised.
    pub alerts: u64,
    /// Subscribers flagged.
    pub flagged: u64,
    /// Identifications.
    pub identifications: u64,
    /// Against the ground truth (absent without labels).
    pub judged: Option<Judged>,
}

/// One simulated day of a box (days when it inspected nothing are left out).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Day {
    /// The date (UTC).
    pub date: String,
    /// Wire bytes of the flows it inspected.
    pub inspected_bytes: u64,
    /// Records it inspected.
    pub inspected_records: u64,
    /// Bytes it put into retention.
    pub retained_bytes: u64,
    /// Most bytes it held at once.
    pub held_peak_bytes: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Alerts about real targets (with ground truth).
    pub true_alerts: u64,
    /// Alerts about innocent people (with ground truth).
    pub false_alerts: u64,
}

/// One box over the whole run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BoxReport {
    /// Name.
    pub name: String,
    /// Seed system.
    pub system: Option<Cow<'static, str>>,
    /// Vantage.
    pub vantage: String,
    /// Data scope.
    pub scope: Cow<'static, str>,
    /// Threshold (k).
    pub threshold: u64,
    /// Sliding window of the rules.
    pub window: String,
    /// Raw input retention.
    pub retention: String,
    /// Windows, in order.
    pub windows: Vec<WindowStats>,
    /// When a refusal stopped it.
    pub stopped: Option<String>,
    /// Totals over the windows.
    pub inspected: Volume,
    /// Totals over the windows (peak: the highest).
    pub retained: Retained,
    /// Traffic of its vantage and scope outside any window: not inspected.
    pub would_have_inspected: Volume,
    /// Alerts raised.
    pub alerts: u64,
    /// Distinct subscribers flagged.
    pub flagged: u64,
    /// Identifications.
    pub identifications: u64,
    /// Bytes of identified people's data handed over.
    pub identified_bytes: u64,
    /// Destructions of identified data.
    pub destructions: u64,
    /// The law around the box: regime, detection state, the requests to
    /// identify and how they were decided, data kept on serious evidence.
    pub law: crate::policy::law::LawReport,
    /// Hadopi's graduated response (`hadopi` boxes): addresses sent and
    /// dropped, follow-ups, notices by step, and those falling on innocent
    /// people.
    pub graduated: Option<crate::policy::graduated::GraduatedReport>,
    /// How the identifications went through the ISP's attribution log
    /// (present when the run has one): right line, wrong lines,
    /// unattributable, people affected.
    pub attribution: Option<crate::identity::Attribution>,
    /// What it saw of the network: traffic by protocol and service, how much
    /// it could read, and the same over a whole window at the capture's rate.
    pub sees: Option<crate::visibility::Visibility>,
    /// Without ground truth, the share of flagged subscribers the commission
    /// was told to assume relevant (a stated assumption, not a measure).
    pub assumed_relevance: Option<f64>,
    /// What precision and recall count: `lines` when people share lines (a
    /// flagged line is one whose traffic raised an alert, a target's line one
    /// a target lives on), else people (empty in older reports).
    pub judged_on: Cow<'static, str>,
    /// Whole run against the ground truth — counting people (each flagged
    /// person once).
    pub judged: Option<Judged>,
    /// Alerts (notices) against the ground truth — counting every alert: a
    /// person alerted about ten times counts ten.
    pub alerts_judged: Option<AlertsJudged>,
    /// The measured rates applied to the reference population.
    pub extrapolation: Option<ExtrapolationCi>,
    /// Rates within one authorisation window, by window length (complete
    /// windows only, with ground truth): the time unit the law works in.
    pub window_rates: Vec<measure::WindowRate>,
    /// Day by day, for the charts.
    pub days: Vec<Day>,
}

/// Alerts, not people, against the ground truth.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertsJudged {
    /// Alerts about real targets.
    pub true_alerts: u64,
    /// Alerts about innocent people.
    pub false_alerts: u64,
    /// Share of alerts about real targets (95% Wilson; alerts about one
    /// person are not independent, so this interval is optimistic).
    pub precision: Option<Estimate>,
    /// True alerts per false alert.
    pub snr: Option<f64>,
}

/// The ground truth of the run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Truth {
    /// Labels file, or `generated`.
    pub source: Option<String>,
    /// Subscribers labelled per role.
    pub roles: BTreeMap<Cow<'static, str>, u64>,
}

/// Everything `report.json` holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    /// ivraie's version.
    pub ivraie: Cow<'static, str>,
    /// The scenario's name.
    pub scenario: String,
    /// Its file.
    pub scenario_file: String,
    /// Its description.
    pub description: String,
    /// Seed.
    pub seed: u64,
    /// Simulated start of the traffic.
    pub start: String,
    /// Simulated end.
    pub end: String,
    /// The pipeline's figures on the traffic (wall-clock field: `traffic.wall_s`).
    pub traffic: Summary,
    /// Observations (flows and selectable records) the boxes were offered.
    pub observations: u64,
    /// Ground truth.
    pub truth: Truth,
    /// Reference population.
    pub reference: crate::scenario::Reference,
    /// Per box.
    pub boxes: Vec<BoxReport>,
    /// The oversight log's head: entries and last hash.
    pub oversight_head: LogHead,
    /// Wall-clock seconds of the whole run (the only other field that changes
    /// between identical runs).
    pub wall_s: f64,
    /// The inputs that could not be read to their end, naming the files
    /// (whatever `name_inputs`): for the terminal, never written.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// The traffic summary with its input files named "input 1", "input 2"...
/// (in `inputs`, `skipped` and each error's path and message).
fn unnamed_inputs(summary: &Summary) -> Summary {
    let mut s = summary.clone();
    let mut names: Vec<(String, String)> = Vec::new();
    for (i, n) in s.inputs.iter_mut().enumerate() {
        if n != "generated" {
            let alias = format!("input {}", i + 1);
            names.push((std::mem::replace(n, alias.clone()), alias));
        }
    }
    for (i, n) in s.skipped.iter_mut().enumerate() {
        *n = format!("skipped file {}", i + 1);
    }
    // Longest names first, so that no name is replaced inside a longer one.
    names.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    for e in &mut s.errors {
        for (name, alias) in &names {
            e.message = e.message.replace(name.as_str(), alias);
            if e.path == *name {
                e.path = alias.clone();
            }
        }
    }
    s
}

// ---------------------------------------------------------------------------
// The per-box state.

#[derive(Default)]
struct WindowAcc {
    inspected: Volume,
    subscribers: HashSet<Addr>,
    /// With an attribution log: the lines whose traffic raised the alerts.
    flagged_lines: HashSet<u32>,
    retained: Retained,
    target_bytes: u64,
    alerts: u64,
    flagged: HashSet<Addr>,
    identifications: u64,
    /// Requests to identify made in the window (the quota counts these).
    requests: u64,
    outcome: Option<(String, Option<String>)>,
}

struct BoxRun {
    spec: BoxSpec,
    bb: BlackBox,
    warrant: Warrant,
    windows: Vec<WindowAcc>,
    would: Volume,
    would_subs: HashSet<Addr>,
    held: RetentionBuffer,
    cooldown: Cooldown,
    /// People a request was made about.
    asked: HashSet<Addr>,
    identified_bytes: u64,
    destructions: u64,
    /// Why the law never allowed the box, if it did not.
    never_authorised: Option<String>,
    law: crate::policy::law::LawReport,
    /// Hadopi's graduated response (`hadopi` boxes).
    graduated: Option<crate::policy::graduated::Response>,
    attribution: crate::identity::Attribution,
    sees: crate::visibility::VisibilityAcc,
    /// Day by day, keyed by days since the epoch.
    days: BTreeMap<i64, Day>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    /// A window closes: the commission decides.
    WindowEnd,
    /// A retention bucket (by its start) is purged.
    Purge(i64),
    /// A request (by index in `requests`) is decided.
    Decide(usize),
    /// An identified person's data (by index in `destructions`) is destroyed,
    /// unless kept on serious evidence.
    Destroy(usize),
}

/// A request to identify, waiting for its decision.
struct Request {
    sub: Addr,
    port: u16,
    alert_ns: i64,
    /// The lines whose traffic raised the alert (with an attribution log).
    sent: Vec<u32>,
    pseudonym: String,
    window: Option<u32>,
    /// The box's window accumulator the identification counts in.
    acc: usize,
}

struct Sim<'a> {
    boxes: Vec<BoxRun>,
    timers: BinaryHeap<Reverse<(i64, usize, Timer)>>,
    log: LogWriter,
    log_path: PathBuf,
    pseudo: Pseudonymizer,
    truth: HashMap<Addr, (Role, Option<generate::System>)>,
    has_truth: bool,
    /// The ISP's attribution log, and the people on each of its lines.
    isp_log: Option<(Arc<AttributionLog>, HashMap<u32, u64>)>,
    services: Option<Arc<crate::visibility::ServiceNames>>,
    /// Each line's strongest role (a target wins), with a log and labels that
    /// name lines: precision and recall then count lines, not addresses.
    line_roles: HashMap<u32, (Role, Option<generate::System>)>,
    alerts: Vec<serde_json::Value>,
    requests: Vec<Request>,
    destructions: Vec<(Addr, String, u64)>,
    scenario: &'a Scenario,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SimError + '_ {
    move |source| SimError::Output {
        path: path.to_path_buf(),
        source,
    }
}

impl Sim<'_> {
    fn log(
        &mut self,
        t: i64,
        event: Event,
        b: Option<usize>,
        window: Option<u32>,
        details: serde_json::Value,
    ) -> Result<(), SimError> {
        let name = b.map(|i| self.boxes[i].spec.name.clone());
        self.log
            .append(t, event, name.as_deref(), window, details)
            .map(|_| ())
            .map_err(io_err(&self.log_path))
    }

    fn is_target(&self, b: usize, a: &Addr) -> bool {
        let system = self.boxes[b].spec.system;
        match self.truth.get(a) {
            Some((Role::Target, s)) => system.is_none() || *s == system,
            _ => false,
        }
    }

    fn is_target_line(&self, b: usize, line: u32) -> bool {
        let system = self.boxes[b].spec.system;
        match self.line_roles.get(&line) {
            Some((Role::Target, s)) => system.is_none() || *s == system,
            _ => false,
        }
    }

    /// The lines whose traffic an observation is (with a log): the one holding
    /// its address and port then, or, if the log has no such row, every line
    /// that ever held the address.
    fn sending_lines(&self, sub: Addr, port: u16, t: i64) -> Vec<u32> {
        let Some((log, _)) = &self.isp_log else {
            return Vec::new();
        };
        let sent = log.lines_at(sub.ip(), Some(port), t);
        if sent.is_empty() {
            let mut ever: Vec<u32> = log.lines_ever(sub.ip()).collect();
            ever.sort_unstable();
            ever.dedup();
            ever
        } else {
            sent
        }
    }

    fn authorise(
        &mut self,
        b: usize,
        w: Window,
        report: Option<WindowReport>,
    ) -> Result<(), SimError> {
        let (event, details) = match report {
            None => (
                Event::Authorisation,
                json!({"start": clock::format_ts(w.start_ns), "end": clock::format_ts(w.end_ns),
                       "length": self.boxes[b].warrant.policy().first_window.to_string()}),
            ),
            Some(r) => (
                Event::Renewal,
                json!({"start": clock::format_ts(w.start_ns), "end": clock::format_ts(w.end_ns),
                       "length": self.boxes[b].warrant.policy().renewal.to_string(),
                       "on_report": {"flagged": r.flagged, "confirmed": r.confirmed}}),
            ),
        };
        self.log(w.start_ns, event, Some(b), Some(w.index), details)?;
        self.boxes[b].windows.push(WindowAcc::default());
        self.timers.push(Reverse((w.end_ns, b, Timer::WindowEnd)));
        Ok(())
    }

    /// Runs every timer due at or before `t` (window ends only if `windows`).
    fn advance(&mut self, t: i64, windows: bool) -> Result<(), SimError> {
        let mut deferred = Vec::new();
        while let Some(&Reverse((at, b, timer))) = self.timers.peek() {
            if at > t {
                break;
            }
            self.timers.pop();
            match timer {
                Timer::WindowEnd if !windows => deferred.push(Reverse((at, b, timer))),
                Timer::WindowEnd => self.window_end(at, b)?,
                Timer::Purge(start) => {
                    self.purge(at, b, start, "retention limit")?;
                    // Detection state is held to its window too.
                    self.boxes[b].bb.expire_all(at);
                }
                Timer::Decide(i) => self.decide(at, b, i)?,
                Timer::Destroy(i) => self.destroy(at, b, i)?,
            }
        }
        self.timers.extend(deferred);
        Ok(())
    }

    fn window_end(&mut self, at: i64, b: usize) -> Result<(), SimError> {
        let Some(w) = self.boxes[b].warrant.current().copied() else {
            return Ok(());
        };
        let acc = self.boxes[b]
            .windows
            .last()
            .expect("an open window has its accumulator");
        let flagged = acc.flagged.len() as u64;
        let assumed = self.boxes[b].warrant.policy().commission.assumed_relevance;
        let confirmed = match assumed {
            // Without labels: the stated share of those flagged, rounded down.
            Some(r) if !self.has_truth => (flagged as f64 * r.0).floor() as u64,
            _ => acc
                .flagged
                .iter()
                .filter(|a| self.reported_relevant(b, a, &format!("{}", w.index)))
                .count() as u64,
        };
        let report = WindowReport { flagged, confirmed };
        self.log(
            at,
            Event::WindowEnd,
            Some(b),
            Some(w.index),
            json!({"flagged": flagged, "confirmed": confirmed, "alerts": acc.alerts}),
        )?;
        let (decision, next) = self.boxes[b].warrant.close_window(&report);
        match decision {
            Decision::Renew => {
                self.boxes[b].windows.last_mut().expect("window").outcome =
                    Some(("renewed".into(), None));
                self.authorise(b, next.expect("a renewal opens a window"), Some(report))?;
            }
            Decision::Refuse(reason) => {
                self.boxes[b].windows.last_mut().expect("window").outcome =
                    Some(("refused".into(), Some(reason.clone())));
                self.log(
                    at,
                    Event::Refusal,
                    Some(b),
                    Some(w.index + 1),
                    json!({"reason": reason, "on_report": {"flagged": flagged, "confirmed": confirmed}}),
                )?;
                // The box stops: its raw input and counters go.
                for s in self.boxes[b].held.starts() {
                    self.purge(at, b, s, "box stopped")?;
                }
                self.boxes[b].bb.reset();
            }
        }
        Ok(())
    }

    /// The services' report on one flagged subscriber: their relevance,
    /// misreported with probability `relevance_error` (a draw keyed by the
    /// scenario's seed, the box, `what` is reported and the pseudonym: the
    /// same run reports the same). Without ground truth, relevant with the
    /// stated `assumed_relevance` (none: never).
    fn reported_relevant(&self, b: usize, a: &Addr, what: &str) -> bool {
        let c = &self.boxes[b].warrant.policy().commission;
        let key = format!(
            "{}/{b}/{what}/{}",
            self.scenario.seed,
            self.pseudo.pseudonym(a)
        );
        if !self.has_truth {
            return law::draw(&key) < c.assumed_relevance.map_or(0.0, |f| f.0);
        }
        let flip = law::draw(&key) < c.relevance_error.map_or(0.0, |f| f.0);
        self.is_target(b, a) != flip
    }

    /// A request's decision: the commission's opinion, then the Prime
    /// Minister's; if granted, the ISP is asked and what the box still holds
    /// about the person is handed over.
    fn decide(&mut self, at: i64, b: usize, i: usize) -> Result<(), SimError> {
        let r = &self.requests[i];
        let (sub, port, alert_ns, acc, window) = (r.sub, r.port, r.alert_ns, r.acc, r.window);
        let pseudonym = r.pseudonym.clone();
        let policy = self.boxes[b].warrant.policy().clone();
        let key = format!("{}/{b}/{pseudonym}/{alert_ns}", self.scenario.seed);
        let ruling = law::rule_on(&policy, &key);
        let (opinion, decision) = ruling.words();
        self.log(
            at,
            Event::Decision,
            Some(b),
            window,
            json!({"pseudonym": pseudonym, "opinion": opinion, "decision": decision}),
        )?;
        let bx = &mut self.boxes[b];
        match ruling {
            law::Ruling::Opposed => {
                bx.law.opposed += 1;
                return Ok(());
            }
            law::Ruling::Refused => {
                bx.law.refused += 1;
                return Ok(());
            }
            law::Ruling::Granted => bx.law.granted += 1,
        }
        let mut lines = None;
        let mut notices = None;
        if let Some((log, people)) = &self.isp_log {
            // The request to the ISP: the address (and the port, if it logs
            // them) at the alert's time; the line that really sent it is the
            // one holding that port.
            let (ports_logged, ambiguous) = (
                self.boxes[b].spec.ports_logged,
                self.boxes[b].spec.ambiguous,
            );
            let named = log.lines_at(sub.ip(), ports_logged.then_some(port), alert_ns);
            let sent = &self.requests[i].sent;
            let truth = (sent.len() == 1).then(|| sent[0]);
            let answered = self.boxes[b]
                .attribution
                .request(&named, ambiguous, truth, |l| {
                    people.get(&l).copied().unwrap_or(1)
                });
            lines = Some(answered.len());
            if self.boxes[b].graduated.is_some() {
                let steps: Vec<_> = answered
                    .iter()
                    .map(|&l| (u64::from(l), !self.is_target_line(b, l)))
                    .collect();
                notices = Some(steps);
            }
        }
        let bx = &mut self.boxes[b];
        // What the box still holds about them at the decision (purged buckets
        // are gone).
        let bytes = bx.held.held_about(&sub);
        if bytes == 0 {
            bx.law.granted_nothing_held += 1;
        }
        bx.identified_bytes += bytes;
        bx.windows[acc].identifications += 1;
        let mut details = json!({"pseudonym": pseudonym, "bytes": bytes,
                                 "destroy_after": policy.exploitation.to_string()});
        if let Some(n) = lines {
            details["lines"] = json!(n);
        }
        // Hadopi's notices: to each line the ISP named, or to the address.
        let notices = notices.unwrap_or_else(|| vec![(addr_key(&sub), !self.is_target(b, &sub))]);
        if let Some(g) = self.boxes[b].graduated.as_mut() {
            use crate::policy::graduated::Step;
            let steps: Vec<&str> = notices
                .iter()
                .map(|&(to, innocent)| match g.notify(at, to, innocent) {
                    Step::First => "e-mail warning",
                    Step::Second => "registered letter",
                    Step::Third => "third phase",
                    Step::Again => "again after the third phase",
                })
                .collect();
            details["notices"] = json!(steps);
        }
        self.log(at, Event::Identification, Some(b), window, details)?;
        self.destructions.push((sub, pseudonym, bytes));
        let d = self.destructions.len() - 1;
        self.timers.push(Reverse((
            policy.exploitation.after(at),
            b,
            Timer::Destroy(d),
        )));
        Ok(())
    }

    /// The end of an identified person's exploitation period: their data is
    /// destroyed, unless the services report serious evidence and the policy
    /// has the exception.
    fn destroy(&mut self, at: i64, b: usize, i: usize) -> Result<(), SimError> {
        let (sub, pseudonym, bytes) = self.destructions[i].clone();
        let policy = self.boxes[b].warrant.policy();
        let after = policy.exploitation.to_string();
        let keep =
            policy.serious_evidence && self.reported_relevant(b, &sub, &format!("evidence/{i}"));
        if keep {
            let innocent = self.has_truth && !self.is_target(b, &sub);
            let law = &mut self.boxes[b].law;
            law.kept_on_evidence += 1;
            if self.has_truth {
                *law.kept_innocent.get_or_insert(0) += u64::from(innocent);
            }
            return self.log(
                at,
                Event::Kept,
                Some(b),
                None,
                json!({"pseudonym": pseudonym, "bytes": bytes, "after": after,
                       "reason": "serious evidence reported by the services"}),
            );
        }
        self.boxes[b].destructions += 1;
        self.log(
            at,
            Event::Destruction,
            Some(b),
            None,
            json!({"pseudonym": pseudonym, "bytes": bytes, "after": after}),
        )
    }

    fn purge(&mut self, at: i64, b: usize, start: i64, why: &str) -> Result<(), SimError> {
        let bx = &mut self.boxes[b];
        let Some(bucket) = bx.held.purge(start, at) else {
            return Ok(());
        };
        let r = &mut bx.windows[bucket.window].retained;
        r.record_days += bucket.record_days;
        r.byte_days += bucket.byte_days;
        let window = bx.windows.len() as u32;
        self.log(
            at,
            Event::Purge,
            Some(b),
            Some(window),
            json!({"records": bucket.records, "bytes": bucket.bytes,
                   "ingested_from": clock::format_ts(start), "reason": why}),
        )?;
        Ok(())
    }

    fn observe(&mut self, o: &Observation) -> Result<(), SimError> {
        let Some(sub) = o.subscriber else {
            return Ok(());
        };
        for b in 0..self.boxes.len() {
            let bx = &mut self.boxes[b];
            if !bx.bb.covers(&sub) || !bx.bb.sees(o) {
                continue;
            }
            let open = bx.warrant.open_at(o.ts_ns).is_some();
            let (vol, subs) = if open {
                let acc = bx.windows.last_mut().expect("open window");
                (&mut acc.inspected, &mut acc.subscribers)
            } else {
                (&mut bx.would, &mut bx.would_subs)
            };
            if open {
                let names = self.services.as_deref();
                bx.sees.observe(o, names);
            }
            vol.records += 1;
            if let Some((packets, bytes)) = o.volume() {
                vol.packets += packets;
                vol.bytes += bytes;
                vol.flows += 1;
            }
            subs.insert(sub);
            if !open {
                continue;
            }
            // Into the retention buffer.
            let bytes = bx.bb.intake_bytes(o);
            let window = bx.windows.len() - 1;
            let purge_due = bx.held.keep(o.ts_ns, sub, bytes, window);
            let acc = bx.windows.last_mut().expect("open window");
            acc.retained.bytes += bytes;
            acc.retained.records += 1;
            acc.retained.peak_bytes = acc.retained.peak_bytes.max(bx.held.held_bytes());
            let day = bx
                .days
                .entry(o.ts_ns.div_euclid(clock::NS_PER_DAY))
                .or_default();
            if let Some((_, wire)) = o.volume() {
                day.inspected_bytes += wire;
            }
            day.inspected_records += 1;
            day.retained_bytes += bytes;
            day.held_peak_bytes = day.held_peak_bytes.max(bx.held.held_bytes());
            if let Some((start, at)) = purge_due {
                self.timers.push(Reverse((at, b, Timer::Purge(start))));
            }
            if self.is_target(b, &sub) {
                self.boxes[b]
                    .windows
                    .last_mut()
                    .expect("window")
                    .target_bytes += bytes;
            }
            // The rules.
            let bx = &mut self.boxes[b];
            let Some(trip) = bx.bb.observe(sub, o) else {
                continue;
            };
            let window_idx = bx.windows.len() - 1;
            if !bx.cooldown.admit(sub, window_idx, o.ts_ns) {
                continue;
            }
            let sent = self.sending_lines(sub, o.subscriber_port, o.ts_ns);
            let is_target = if !self.line_roles.is_empty() {
                sent.iter().any(|&l| self.is_target_line(b, l))
            } else {
                self.is_target(b, &sub)
            };
            let bx = &mut self.boxes[b];
            let acc = bx.windows.last_mut().expect("window");
            acc.alerts += 1;
            acc.flagged.insert(sub);
            acc.flagged_lines.extend(&sent);
            let windex = bx.warrant.current().map(|w| w.index);
            let pseudonym = self.pseudo.pseudonym(&sub);
            let truth = self.truth.get(&sub).map(|(r, _)| *r);
            let policy = bx.warrant.policy();
            let ask = law::asks(policy, bx.asked.contains(&sub), acc.requests);
            let details =
                json!({"pseudonym": pseudonym, "events": trip.counts, "distinct": trip.distinct});
            self.log(o.ts_ns, Event::Alert, Some(b), windex, details)?;
            let mut alert = json!({
                "time": clock::format_ts(o.ts_ns),
                "box": self.boxes[b].spec.name,
                "window": windex,
                "pseudonym": pseudonym,
                "events": trip.counts,
                "distinct": trip.distinct,
                "identification_requested": ask == law::Ask::Request,
            });
            if self.has_truth {
                alert["truth"] = json!(truth.map(|r| r.name()).unwrap_or("ordinary"));
                alert["target"] = json!(is_target);
            }
            let day = self.boxes[b]
                .days
                .entry(o.ts_ns.div_euclid(clock::NS_PER_DAY))
                .or_default();
            day.alerts += 1;
            if self.has_truth {
                if is_target {
                    day.true_alerts += 1;
                } else {
                    day.false_alerts += 1;
                }
            }
            self.alerts.push(alert);
            let bx = &mut self.boxes[b];
            if let Some(g) = bx.graduated.as_mut() {
                // The agent's side: its daily cap and its files threshold.
                let files = trip.distinct.iter().copied().max().unwrap_or(0);
                if g.admit(o.ts_ns, addr_key(&sub), files, !is_target)
                    != crate::policy::graduated::Admit::Send
                {
                    continue;
                }
            }
            match ask {
                law::Ask::No => continue,
                law::Ask::OverQuota => {
                    bx.law.over_quota += 1;
                    continue;
                }
                law::Ask::Request => {}
            }
            bx.law.requests += 1;
            bx.asked.insert(sub);
            bx.windows.last_mut().expect("window").requests += 1;
            let delay = bx.warrant.policy().identification_delay;
            self.log(
                o.ts_ns,
                Event::IdentificationRequest,
                Some(b),
                windex,
                json!({"pseudonym": pseudonym, "decision_due": clock::format_ts(delay.after(o.ts_ns))}),
            )?;
            self.requests.push(Request {
                sub,
                port: o.subscriber_port,
                alert_ns: o.ts_ns,
                sent,
                pseudonym,
                window: windex,
                acc: window_idx,
            });
            let i = self.requests.len() - 1;
            self.timers
                .push(Reverse((delay.after(o.ts_ns), b, Timer::Decide(i))));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------

/// A stable key for an address (notices and the agent's daily set).
fn addr_key(a: &Addr) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    a.hash(&mut h);
    h.finish() | 1 << 63
}

fn judge<T: Eq + std::hash::Hash>(
    universe: &HashSet<T>,
    flagged: &HashSet<T>,
    is_target: impl Fn(&T) -> bool,
) -> Judged {
    let mut c = Confusion::default();
    for a in universe {
        match (is_target(a), flagged.contains(a)) {
            (true, true) => c.tp += 1,
            (false, true) => c.fp += 1,
            (true, false) => c.fn_ += 1,
            (false, false) => c.tn += 1,
        }
    }
    Judged::of(c)
}

fn load_key(choice: &KeyChoice, generated_only: bool, seed: u64) -> Result<[u8; 32], SimError> {
    match choice {
        KeyChoice::Auto if generated_only => Ok(Pseudonymizer::seeded_key(seed)),
        KeyChoice::Auto | KeyChoice::Random => {
            Pseudonymizer::random_key().map_err(|e| SimError::Key {
                path: "/dev/urandom".into(),
                message: e.to_string(),
            })
        }
        KeyChoice::File(p) => {
            let bytes = fs::read(p).map_err(|e| SimError::Key {
                path: p.clone(),
                message: e.to_string(),
            })?;
            if bytes.len() < 32 {
                return Err(SimError::Key {
                    path: p.clone(),
                    message: format!("{} bytes; a key needs at least 32", bytes.len()),
                });
            }
            use sha2::Digest;
            Ok(sha2::Sha256::digest(&bytes).into())
        }
    }
}

/// Creates the output directory, private to its owner (0700) when ivraie makes it.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The traffic.

/// What the report needs of a scenario's traffic once it has streamed past:
/// nothing of the traffic itself.
pub struct Traffic {
    summary: Summary,
    start_ns: i64,
    end_ns: i64,
    labels: Vec<Label>,
    truth_source: Option<String>,
    attribution: Option<Arc<AttributionLog>>,
    services: Option<Arc<crate::visibility::ServiceNames>>,
    generated_only: bool,
    /// What the report should say about the calendar.
    notes: Vec<String>,
    /// Observations the boxes were offered (every lap).
    observations: u64,
}

/// What is known of a scenario's traffic before any of it is read.
struct Plan {
    labels: Vec<Label>,
    truth_source: Option<String>,
    attribution: Option<Arc<AttributionLog>>,
    services: Option<Arc<crate::visibility::ServiceNames>>,
    /// The generated population's calendar.
    span: Option<(i64, i64)>,
    cfg: pipeline::Config,
}

/// The scenario's labels, calendar and pipeline configuration.
fn plan(s: &Scenario, opts: &RunOptions) -> Result<Plan, SimError> {
    let mut labels = Vec::new();
    let mut truth_source = None;
    let mut attribution = None;
    let mut span: Option<(i64, i64)> = None;
    let mut subscribers = s
        .source
        .subscribers
        .as_ref()
        .map(|n| Subscribers::from_nets(n.iter().map(|n| n.0).collect()));
    if let Some(pop) = &s.source.generate {
        let g = Generator::new(pop).map_err(|e| SimError::Generate(e.to_string()))?;
        labels.extend_from_slice(g.labels());
        truth_source = Some("generated".to_string());
        attribution = Some(g.attribution());
        span = Some((g.start_ns(), g.end_ns()));
        if subscribers.is_none() {
            let net = pop
                .subscribers
                .parse()
                .map_err(|e| SimError::Generate(format!("subscribers: {e}")))?;
            subscribers = Some(Subscribers::from_nets(vec![net]));
        }
    }
    let (inputs, _skipped) = capture::expand_inputs(&s.source.captures);
    let labels_file = s.source.labels.clone().or_else(|| match inputs.as_slice() {
        [InputSpec::File(p)] if s.source.generate.is_none() => {
            Some(generate::labels_path(p)).filter(|l| l.is_file())
        }
        _ => None,
    });
    if let Some(l) = &labels_file {
        labels.extend(generate::read_labels(l).map_err(|e| SimError::Labels(e.to_string()))?);
        truth_source = Some(l.display().to_string());
    }
    let log_file = s.source.attribution.clone().or_else(|| {
        labels_file
            .as_ref()
            .map(|l| identity::log_beside_labels(l))
            .filter(|p| p.is_file())
    });
    if let Some(f) = &log_file {
        let rows = identity::read_log(f).map_err(|e| SimError::Labels(e.to_string()))?;
        attribution.get_or_insert_with(Vec::new).extend(rows);
    }
    let attribution = attribution.map(|rows| Arc::new(AttributionLog::new(rows)));
    let services = match &s.source.services {
        Some(f) => Some(Arc::new(
            crate::visibility::read_services(f).map_err(SimError::Labels)?,
        )),
        None => None,
    };
    // A call's UDP flow is silent between ACK and BYE: follow calls (and their
    // durations) through an hour of silence and up to a day.
    let flow = crate::flow::FlowConfig {
        udp_idle_ns: clock::NS_PER_HOUR,
        active_ns: clock::NS_PER_DAY,
        ..crate::flow::FlowConfig::default()
    };
    let cfg = pipeline::Config {
        flow,
        threads: opts.threads,
        subscribers: subscribers.unwrap_or_else(Subscribers::private),
        progress: opts.progress,
        // Only generated traffic: captures' bytes give the bar its share.
        span_ns: if s.source.captures.is_empty() {
            span
        } else {
            None
        },
        // The population's period ends at its end, whoever read its last packet.
        end_ns: span
            .filter(|_| s.source.captures.is_empty())
            .map(|(_, e)| e),
        end_clock: None,
        keep: true,
        ..pipeline::Config::default()
    };
    Ok(Plan {
        labels,
        truth_source,
        attribution,
        services,
        span,
        cfg,
    })
}

/// Opens a scenario's sources afresh (the generator restarts from its seed):
/// once per pass over the traffic.
/// The scenario's traffic as one stream of frames: merged by time, or its
/// captures laid one after another by their offsets.
enum Sources {
    Merged(MergedSource),
    Sequential(capture::SequentialSource),
}

impl capture::FrameSource for Sources {
    fn for_each(&mut self, f: impl FnMut(capture::SourceFrame<'_>)) {
        match self {
            Sources::Merged(m) => m.for_each(f),
            Sources::Sequential(q) => q.for_each(f),
        }
    }
    fn total_bytes(&self) -> u64 {
        match self {
            Sources::Merged(m) => m.total_bytes(),
            Sources::Sequential(q) => q.total_bytes(),
        }
    }
    fn take_errors(&mut self) -> Vec<capture::CaptureError> {
        match self {
            Sources::Merged(m) => m.take_errors(),
            Sources::Sequential(q) => q.take_errors(),
        }
    }
}

type Shortened = std::sync::Arc<(std::sync::atomic::AtomicU64, std::sync::atomic::AtomicU64)>;

/// Opens the scenario's traffic; with a sequential layout, also the counters
/// of the silences it shortens.
fn open_sources(s: &Scenario) -> Result<(Sources, Vec<String>, Option<Shortened>), SimError> {
    if s.clock.layout == crate::scenario::Layout::Sequential {
        let (inputs, _skipped) = capture::expand_inputs(&s.source.captures);
        let names = inputs.iter().map(|i| i.name()).collect();
        let src = capture::SequentialSource::new(inputs);
        let counts = src.shortened.clone();
        return Ok((Sources::Sequential(src), names, Some(counts)));
    }
    let mut readers = Vec::new();
    let mut errors = Vec::new();
    let mut names = Vec::new();
    if let Some(pop) = &s.source.generate {
        let g = Generator::new(pop).map_err(|e| SimError::Generate(e.to_string()))?;
        names.push("generated".to_string());
        readers.push(CaptureReader::from_reader(
            "generated".into(),
            0,
            Box::new(g),
            capture::CHUNK_SIZE,
        ));
    }
    let (inputs, _skipped) = capture::expand_inputs(&s.source.captures);
    // Many inputs are open at once: a small chunk each.
    let chunk = if inputs.len() > 16 {
        capture::SMALL_CHUNK_SIZE
    } else {
        capture::CHUNK_SIZE
    };
    for spec in &inputs {
        match CaptureReader::open(spec, readers.len() as u16, chunk, false) {
            Ok(r) => readers.push(r),
            Err(e) => errors.push(e),
        }
        names.push(spec.name());
    }
    Ok((
        Sources::Merged(MergedSource::from_readers(readers, errors, 0)),
        names,
        None,
    ))
}

/// The simulated clock of real captures: moved to `start`, stretched by
/// `warp`, looped. Lap `k` of an observation at `ts` is at
/// `start + (ts - first) × warp + k × length`, its flow id rehashed with the
/// lap so that ids stay unique across laps.
#[derive(Clone, Copy)]
struct Laps {
    first: i64,
    start: i64,
    warp: f64,
    length: i64,
}

impl Laps {
    fn map(&self, o: &mut Observation, lap: i64) {
        o.ts_ns =
            self.start + ((o.ts_ns - self.first) as f64 * self.warp) as i64 + lap * self.length;
        if lap > 0 {
            o.flow_id = (crate::flow::mix64(o.flow_id ^ lap as u64) >> 1).max(1);
        }
    }
}

/// How a cluster's worker reads its share of a scenario's traffic: its
/// people of the generated population.
fn cluster_share(
    s: &Scenario,
    cfg: &pipeline::Config,
    spec: &crate::cluster::Spec,
) -> Result<crate::cluster::ReadShare, SimError> {
    let Some(pop) = s.source.generate.clone() else {
        return Err(SimError::Cluster(
            "a cluster run reads a generated population ([source.generate]); \
             captures go through `ivraie extract` on a cluster, or a single-process run"
                .into(),
        ));
    };
    if !s.source.captures.is_empty() {
        return Err(SimError::Cluster(
            "a cluster run reads a generated population only: this scenario also has captures"
                .into(),
        ));
    }
    let cfg = pipeline::Config {
        progress: false,
        threads: (cfg.threads / spec.workers).max(1),
        ..cfg.clone()
    };
    Ok(std::sync::Arc::new(move |share, shares, sink| {
        let g = Generator::new_part(&pop, share as u32, shares as u32)?;
        let r = CaptureReader::from_reader("generated".into(), 0, Box::new(g), capture::CHUNK_SIZE);
        let source = MergedSource::from_readers(vec![r], Vec::new(), 0);
        pipeline::run_source_partial(source, &cfg, sink).map_err(|e| e.to_string())
    }))
}

/// A cluster process other than 0: reads its shares of the scenario's
/// traffic for the cluster, and writes nothing (process 0 does).
pub fn contribute(s: &Scenario, opts: &RunOptions) -> Result<(), SimError> {
    let spec = opts
        .cluster
        .as_ref()
        .ok_or_else(|| SimError::Cluster("not a cluster process".into()))?;
    let plan = plan(s, opts)?;
    let read = cluster_share(s, &plan.cfg, spec)?;
    crate::cluster::stream(spec, read, &mut drop).map_err(SimError::Cluster)?;
    Ok(())
}

/// Runs a scenario; writes `oversight.jsonl`, `alerts.jsonl` and `report.json`
/// into `opts.out_dir`.
pub fn run(s: &Scenario, scenario_file: &Path, opts: &RunOptions) -> Result<Report, SimError> {
    let (mut reports, _) = run_points(s, scenario_file, &[(s, opts.clone())])?;
    Ok(reports.pop().expect("one point, one report"))
}

/// Runs variants of a scenario (a sweep's points, or just the scenario) over
/// its traffic, streamed: every observation is offered to each point's boxes
/// as it comes out of the pipeline, in time order, and nothing of the traffic
/// is kept. Each point writes its outputs into its own `out_dir`. Returns the
/// reports and the seconds spent reading the traffic.
///
/// Real captures are read once, before the boxes start, for the first and
/// last observation times their clock needs; their observations wait in a
/// temporary file on disk, which every lap of the clock replays: memory
/// stays that of one pass.
pub fn run_points(
    base: &Scenario,
    scenario_file: &Path,
    points: &[(&Scenario, RunOptions)],
) -> Result<(Vec<Report>, f64), SimError> {
    run_points_with(base, scenario_file, points, Replay::Stream)
}

/// A scenario's traffic as its boxes saw it, kept in memory to run more
/// points later without reading the traffic again (`ivraie serve`).
#[derive(Clone)]
pub struct Kept {
    observations: Vec<Observation>,
    summary: Summary,
    start_ns: i64,
    end_ns: i64,
    notes: Vec<String>,
}

impl Kept {
    /// Observations kept.
    pub fn len(&self) -> usize {
        self.observations.len()
    }

    /// Whether nothing was kept.
    pub fn is_empty(&self) -> bool {
        self.observations.is_empty()
    }
}

/// Where [`run_points_with`] takes the observations from.
pub enum Replay<'k> {
    /// The scenario's sources, streamed.
    Stream,
    /// The sources, streamed, and kept into `into` (at most `cap`
    /// observations: past it, an error).
    Keep {
        /// Most observations kept.
        cap: usize,
        /// Where they go.
        into: &'k mut Option<Kept>,
    },
    /// Observations kept by an earlier run.
    From(&'k Kept),
}

/// [`run_points`], with the observations streamed, kept or replayed.
pub fn run_points_with(
    base: &Scenario,
    scenario_file: &Path,
    points: &[(&Scenario, RunOptions)],
    mut replay: Replay<'_>,
) -> Result<(Vec<Report>, f64), SimError> {
    let started = Instant::now();
    let Some((_, first_opts)) = points.first() else {
        return Ok((Vec::new(), 0.0));
    };
    let plan = plan(base, first_opts)?;
    let has_captures = !base.source.captures.is_empty();
    let generated_only = !has_captures;
    // The calendar, before the stream: the generator's, or the captures'
    // first and last observations (one pass that keeps three numbers).
    let mut laps: Option<Laps> = None;
    let mut notes = Vec::new();
    let replayed = match &replay {
        Replay::From(k) => Some((k.start_ns, k.end_ns)),
        _ => None,
    };
    if let Replay::From(k) = &replay {
        notes = k.notes.clone();
    }
    // The captures' observations, as the calendar's pass found them: the
    // pass that feeds the boxes reads them back instead of the captures.
    let mut spilled: Option<(ObservationSpill, Summary)> = None;
    if has_captures && replayed.is_none() {
        let (source, names, shortened) = open_sources(base)?;
        let (mut first, mut last) = (None, i64::MIN);
        let mut gap = (0i64, 0i64);
        let quiet = pipeline::Config {
            progress: false,
            ..plan.cfg.clone()
        };
        let mut spill = ObservationSpill::new(&first_opts.out_dir)?;
        let summary = pipeline::run_source_streamed(source, names, &quiet, &mut |o| {
            first.get_or_insert(o.ts_ns);
            if last != i64::MIN && o.ts_ns - last > gap.1 - gap.0 {
                gap = (last, o.ts_ns);
            }
            last = last.max(o.ts_ns);
            spill.push(&o);
        })?;
        spilled = Some((spill.finish()?, summary));
        if let Some(c) = shortened {
            use std::sync::atomic::Ordering::Relaxed;
            let (n, cut) = (c.0.load(Relaxed), c.1.load(Relaxed));
            if n > 0 {
                notes.push(format!(
                    "captures laid one after another: {n} silences longer than two hours \
                     (between or inside files) were shortened to two hours, {} days taken out",
                    cut / clock::NS_PER_DAY as u64
                ));
            }
        } else if gap.1 - gap.0 > 30 * clock::NS_PER_DAY {
            notes.push(format!(
                "the captures' calendar has no traffic from {} to {} ({} days): windows there \
                 inspect nothing; [clock] layout = \"sequential\" lays captures one after another",
                clock::format_date(gap.0),
                clock::format_date(gap.1),
                (gap.1 - gap.0) / clock::NS_PER_DAY
            ));
        }
        if let Some(first) = first {
            let warp = base.clock.warp;
            laps = Some(Laps {
                first,
                start: base.clock.start.map(|d| d.0).unwrap_or(first),
                warp,
                length: (((last - first) as f64 * warp) as i64).max(0) + clock::NS_PER_S,
            });
        }
    }
    let loops = if laps.is_some() {
        base.clock.loops as i64
    } else {
        1
    };
    let (start_ns, end_ns) = match (plan.span, laps) {
        _ if replayed.is_some() => replayed.unwrap_or_default(),
        // The last lap's last observation: `length` is one pass's stretched
        // span and a second.
        (Some((a, b)), Some(l)) => {
            let last = l.start + (l.length - clock::NS_PER_S) + (loops - 1) * l.length;
            (a.min(l.start), b.max(last + 1))
        }
        (Some(span), None) => span,
        (None, Some(l)) => {
            let last = l.start + (l.length - clock::NS_PER_S) + (loops - 1) * l.length;
            (l.start, last + 1)
        }
        (None, None) => return Err(SimError::NoTraffic),
    };
    let mut traffic = Traffic {
        summary: Summary::default(),
        start_ns,
        end_ns,
        labels: plan.labels,
        truth_source: plan.truth_source,
        attribution: plan.attribution,
        services: plan.services,
        generated_only,
        observations: 0,
        notes,
    };
    let mut runs: Vec<SimRun> = points
        .iter()
        .map(|(s, o)| SimRun::start(&traffic, s, o))
        .collect::<Result<_, _>>()?;
    let mut summary = None;
    let mut offered = 0u64;
    let threads = first_opts.threads;
    let (cap, mut kept) = match &replay {
        Replay::Keep { cap, .. } => (*cap, Some(Keeping::Kept(Vec::new()))),
        _ => (0, None),
    };
    if let Replay::From(k) = &replay {
        for chunk in k.observations.chunks(CHUNK) {
            offer(chunk, &mut runs, threads);
        }
        summary = Some(k.summary.clone());
        offered = k.observations.len() as u64;
    }
    for lap in 0..loops {
        if replayed.is_some() {
            break;
        }
        if let Some(spec) = &first_opts.cluster {
            // Generated traffic only (checked by `cluster_share`): one lap.
            let mut chunk: Vec<Observation> = Vec::with_capacity(CHUNK);
            let mut tie: Vec<Observation> = Vec::new();
            let read = cluster_share(base, &plan.cfg, spec)?;
            let parts = crate::cluster::stream(spec, read, &mut |o| {
                offered += 1;
                if tie.last().is_some_and(|t| t.ts_ns != o.ts_ns) {
                    chunk.append(&mut tie);
                    if chunk.len() >= CHUNK {
                        offer_kept(&mut chunk, &mut runs, threads, &mut kept, cap);
                    }
                }
                tie.push(o);
            })
            .map_err(SimError::Cluster)?
            .ok_or_else(|| SimError::Cluster("process 0 got no counts".into()))?;
            chunk.append(&mut tie);
            offer_kept(&mut chunk, &mut runs, threads, &mut kept, cap);
            summary.get_or_insert(pipeline::summarize(vec!["generated".into()], parts));
            continue;
        }
        // Observations whose moved times round to the same nanosecond are
        // offered in the order of their moved keys, as a sort would.
        let mut tie: Vec<Observation> = Vec::new();
        let mut chunk: Vec<Observation> = Vec::with_capacity(CHUNK);
        let mut feed = |mut o: Observation| {
            offered += 1;
            if let Some(l) = &laps {
                l.map(&mut o, lap);
            }
            if tie.last().is_some_and(|t| t.ts_ns != o.ts_ns) {
                tie.sort_by_key(Observation::sort_key);
                chunk.append(&mut tie);
                if chunk.len() >= CHUNK {
                    offer_kept(&mut chunk, &mut runs, threads, &mut kept, cap);
                }
            }
            tie.push(o);
        };
        let s = match &spilled {
            Some((spill, s)) => {
                spill.replay(&mut feed)?;
                s.clone()
            }
            None => {
                let (source, names, _) = open_sources(base)?;
                pipeline::run_source_streamed(source, names, &plan.cfg, &mut feed)?
            }
        };
        tie.sort_by_key(Observation::sort_key);
        chunk.append(&mut tie);
        offer_kept(&mut chunk, &mut runs, threads, &mut kept, cap);
        summary.get_or_insert(s);
    }
    if matches!(kept, Some(Keeping::OverCap)) {
        return Err(SimError::TooMany(cap));
    }
    let mut summary = summary.expect("at least one pass");
    // The report names no subscriber: the pipeline's top talkers are addresses.
    summary.top_talkers.clear();
    summary.talkers_capped = false;
    // Depends on the thread count: not a figure of the run.
    summary.flows_peak = 0;
    traffic.summary = summary;
    traffic.observations = offered;
    if let (Replay::Keep { into, .. }, Some(Keeping::Kept(observations))) = (&mut replay, kept) {
        **into = Some(Kept {
            observations,
            summary: traffic.summary.clone(),
            start_ns,
            end_ns,
            notes: traffic.notes.clone(),
        });
    }
    let read_s = started.elapsed().as_secs_f64();
    let reports = runs
        .into_iter()
        .zip(points)
        .map(|(r, (s, o))| r.finish(&traffic, s, scenario_file, o, started))
        .collect::<Result<_, _>>()?;
    Ok((reports, read_s))
}

/// Observations offered to the points at a time.
const CHUNK: usize = 8192;

/// Observations kept for [`Replay::Keep`], or the cap passed (nothing kept).
enum Keeping {
    Kept(Vec<Observation>),
    OverCap,
}

/// The observations of a pass over the captures, kept in an unnamed
/// temporary file (gone when closed, even if the run is killed) beside the
/// outputs, in bincode's compact form: reading them back costs a fraction of
/// reading and dissecting the captures again. Disk, not memory, holds them.
struct ObservationSpill {
    w: io::BufWriter<std::fs::File>,
    error: Option<io::Error>,
    dir: PathBuf,
}

impl ObservationSpill {
    fn new(dir: &Path) -> Result<ObservationSpill, SimError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let file = tempfile::tempfile_in(dir).map_err(io_err(dir))?;
        Ok(ObservationSpill {
            w: io::BufWriter::with_capacity(1 << 20, file),
            error: None,
            dir: dir.to_path_buf(),
        })
    }

    fn push(&mut self, o: &Observation) {
        if self.error.is_none() {
            self.error = bincode::serialize_into(&mut self.w, o)
                .err()
                .map(io::Error::other);
        }
    }

    fn finish(mut self) -> Result<ObservationSpill, SimError> {
        let dir = self.dir.clone();
        match self.error.take() {
            Some(e) => Err(io_err(&dir)(e)),
            None => self.w.flush().map(|()| self).map_err(io_err(&dir)),
        }
    }

    /// Hands every observation, in the order they were kept, to `f`.
    fn replay(&self, f: &mut impl FnMut(Observation)) -> Result<(), SimError> {
        use std::io::{BufRead, Seek};
        let mut file = self.w.get_ref().try_clone().map_err(io_err(&self.dir))?;
        file.seek(io::SeekFrom::Start(0))
            .map_err(io_err(&self.dir))?;
        let mut r = io::BufReader::with_capacity(1 << 20, file);
        while !r.fill_buf().map_err(io_err(&self.dir))?.is_empty() {
            let o = bincode::deserialize_from::<_, Observation>(&mut r)
                .map_err(|e| io_err(&self.dir)(io::Error::other(e)))?;
            f(o);
        }
        Ok(())
    }
}

/// Offers `chunk` to every point ([`offer`]), keeps it if asked (at most
/// `cap` observations in all), and empties it.
fn offer_kept(
    chunk: &mut Vec<Observation>,
    runs: &mut [SimRun],
    threads: usize,
    kept: &mut Option<Keeping>,
    cap: usize,
) {
    offer(chunk, runs, threads);
    if let Some(Keeping::Kept(k)) = kept {
        if k.len() + chunk.len() > cap {
            *kept = Some(Keeping::OverCap);
        } else {
            k.extend_from_slice(chunk);
        }
    }
    chunk.clear();
}

/// Offers a chunk of observations, in order, to every point: the points split
/// among `threads` threads (each point sees the whole chunk, in order, on one
/// thread: the outputs do not depend on the split).
fn offer(chunk: &[Observation], runs: &mut [SimRun], threads: usize) {
    let per = runs.len().div_ceil(threads.max(1)).max(1);
    if runs.len() > 1 && threads > 1 {
        let obs = chunk;
        std::thread::scope(|scope| {
            for group in runs.chunks_mut(per) {
                scope.spawn(move || {
                    for r in group.iter_mut() {
                        for o in obs {
                            r.feed(o);
                        }
                    }
                });
            }
        });
    } else {
        for r in runs.iter_mut() {
            for o in chunk.iter() {
                r.feed(o);
            }
        }
    }
}

/// One point's simulation while the traffic streams past.
struct SimRun<'a> {
    sim: Sim<'a>,
    /// First windows not yet authorised, latest first.
    pending_first: Vec<(i64, usize)>,
    /// The first error; the point stops there.
    error: Option<SimError>,
}

impl<'a> SimRun<'a> {
    /// Opens the point's oversight log and its boxes' first windows.
    fn start(
        traffic: &Traffic,
        s: &'a Scenario,
        opts: &RunOptions,
    ) -> Result<SimRun<'a>, SimError> {
        let dir = &opts.out_dir;
        create_private_dir(dir).map_err(io_err(dir))?;
        let key = load_key(&opts.key, traffic.generated_only, s.seed)?;
        let log_path = dir.join("oversight.jsonl");
        let log = LogWriter::create(&log_path).map_err(io_err(&log_path))?;
        // Who is behind an address: its labels' people, and with a log every
        // person of every line that ever held it — a target wins.
        let mut truth: HashMap<Addr, (Role, Option<generate::System>)> = HashMap::new();
        let mut line_roles: HashMap<u32, (Role, Option<generate::System>)> = HashMap::new();
        let mut people: HashMap<u32, u64> = HashMap::new();
        let note = |map: &mut HashMap<Addr, _>, a: Addr, v: (Role, Option<generate::System>)| {
            let e = map.entry(a).or_insert(v);
            if v.0 == Role::Target && e.0 != Role::Target {
                *e = v;
            }
        };
        for l in &traffic.labels {
            note(&mut truth, Addr::from(l.address), (l.role, l.system));
            if let Some(line) = l.line {
                *people.entry(line).or_default() += 1;
                let e = line_roles.entry(line).or_insert((l.role, l.system));
                if l.role == Role::Target && e.0 != Role::Target {
                    *e = (l.role, l.system);
                }
            }
        }
        if let Some(log) = &traffic.attribution {
            for a in log.rows() {
                if let Some(&v) = line_roles.get(&a.line) {
                    note(&mut truth, Addr::from(a.address), v);
                }
            }
        }
        let log_people = traffic.attribution.clone().map(|l| (l, people));
        let line_roles = if log_people.is_some() {
            line_roles
        } else {
            HashMap::new()
        };
        let mut sim = Sim {
            boxes: s
                .boxes()
                .map(|spec| {
                    let policy = s.policy.with(&spec.policy);
                    // The counters forget what the retention forgets (unless
                    // the scenario says otherwise).
                    let detection = law::detection_window(&policy, spec.window);
                    let bb = BlackBox::new(&BoxSpec {
                        window: detection,
                        ..spec.clone()
                    });
                    let regime = (spec.system == Some(generate::System::L851)
                        && spec.scope != crate::scenario::Scope::Content)
                        .then_some(policy.regime);
                    let (warrant, never_authorised) = Warrant::new(&policy, traffic.start_ns)
                        .with_sunset(regime.and_then(|r| r.sunset(spec.purpose)));
                    let law = law::LawReport {
                        regime: regime.map(|r| r.name().to_string()),
                        never_authorised: never_authorised.clone(),
                        rule_window: spec.window.to_string(),
                        detection_window: detection.to_string(),
                        state_beyond_retention: detection.after(0) > policy.retention.after(0),
                        ..Default::default()
                    };
                    let graduated = (spec.system == Some(generate::System::Hadopi)).then(|| {
                        crate::policy::graduated::Response::new(
                            policy.graduated,
                            traffic.truth_source.is_some(),
                        )
                    });
                    BoxRun {
                        spec: spec.clone(),
                        bb,
                        graduated,
                        warrant,
                        never_authorised,
                        law,
                        windows: Vec::new(),
                        would: Volume::default(),
                        would_subs: HashSet::new(),
                        held: RetentionBuffer::new(policy.retention),
                        cooldown: Cooldown::new(spec.cooldown),
                        asked: HashSet::new(),
                        identified_bytes: 0,
                        attribution: Default::default(),
                        sees: Default::default(),
                        destructions: 0,
                        days: BTreeMap::new(),
                    }
                })
                .collect(),
            timers: BinaryHeap::new(),
            log,
            log_path: log_path.clone(),
            pseudo: Pseudonymizer::new(&key),
            has_truth: traffic.truth_source.is_some(),
            truth,
            isp_log: log_people,
            services: traffic.services.clone(),
            line_roles,
            alerts: Vec::new(),
            requests: Vec::new(),
            destructions: Vec::new(),
            scenario: s,
        };
        sim.log(
            traffic.start_ns,
            Event::Open,
            None,
            None,
            json!({"scenario": s.name, "boxes": s.boxes().map(|b| b.name.clone()).collect::<Vec<_>>(),
                   "start": clock::format_ts(traffic.start_ns), "end": clock::format_ts(traffic.end_ns)}),
        )?;
        // First windows, in time order (a policy may set its own start date).
        let mut firsts: Vec<(i64, usize)> = sim
            .boxes
            .iter()
            .enumerate()
            .map(|(i, b)| (b.warrant.windows[0].start_ns, i))
            .collect();
        firsts.sort();
        // Windows that open later than the traffic's start are authorised in time.
        Ok(SimRun {
            sim,
            pending_first: firsts.into_iter().rev().collect(),
            error: None,
        })
    }

    /// Authorises the first windows due by `t`.
    fn open_due(&mut self, t: i64) -> Result<(), SimError> {
        while let Some(&(at, b)) = self.pending_first.last() {
            if at > t {
                break;
            }
            self.pending_first.pop();
            let w = self.sim.boxes[b].warrant.windows[0];
            match self.sim.boxes[b].never_authorised.clone() {
                // The law had ended for it: the request is refused.
                Some(reason) => self.sim.log(
                    at,
                    Event::Refusal,
                    Some(b),
                    Some(w.index),
                    json!({"reason": reason}),
                )?,
                None => self.sim.authorise(b, w, None)?,
            }
        }
        Ok(())
    }

    /// Offers one observation (in time order) to the point's boxes.
    fn feed(&mut self, o: &Observation) {
        if self.error.is_some() {
            return;
        }
        let step = |r: &mut Self| -> Result<(), SimError> {
            r.sim.advance(o.ts_ns, true)?;
            r.open_due(o.ts_ns)?;
            r.sim.observe(o)
        };
        if let Err(e) = step(self) {
            self.error = Some(e);
        }
    }

    /// Runs the data lifecycle to its end and writes the point's report.
    fn finish(
        mut self,
        traffic: &Traffic,
        s: &Scenario,
        scenario_file: &Path,
        opts: &RunOptions,
        started: Instant,
    ) -> Result<Report, SimError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let dir = &opts.out_dir;
        let log_path = dir.join("oversight.jsonl");
        let end = traffic.end_ns;
        self.sim.advance(end, true)?;
        self.open_due(end - 1)?;
        let mut sim = self.sim;
        // After the traffic: the data lifecycle runs to its end (purges, destructions).
        sim.advance(i64::MAX, false)?;
        let last_t = end.max(
            sim.timers
                .iter()
                .map(|Reverse((t, _, _))| *t)
                .filter(|&t| t < i64::MAX)
                .max()
                .unwrap_or(end),
        );

        // The report.
        let mut boxes = Vec::new();
        for (b, bx) in sim.boxes.iter().enumerate() {
            let is_t = |a: &Addr| sim.is_target(b, a);
            let is_line = |l: &u32| sim.is_target_line(b, *l);
            // Judged on lines (with a log and labels naming lines): the lines
            // that held the addresses in view, and those whose traffic raised
            // alerts.
            let by_lines = match &sim.isp_log {
                Some((log, _)) if !sim.line_roles.is_empty() => {
                    let log = log.clone();
                    Some(move |addrs: &HashSet<Addr>| -> HashSet<u32> {
                        addrs.iter().flat_map(|a| log.lines_ever(a.ip())).collect()
                    })
                }
                _ => None,
            };
            let mut all_flagged_lines: HashSet<u32> = HashSet::new();
            let shared_lines = by_lines.is_some()
                && sim
                    .isp_log
                    .as_ref()
                    .is_some_and(|(_, p)| p.values().any(|&n| n > 1));
            let labelled: HashSet<Addr> = traffic
                .labels
                .iter()
                .map(|l| Addr::from(l.address))
                .filter(|a| bx.bb.covers(a))
                .collect();
            let mut windows = Vec::new();
            let mut all_flagged = HashSet::new();
            let mut all_seen = labelled.clone();
            let mut total = Volume::default();
            let mut kept = Retained::default();
            let mut target_bytes = 0;
            let mut all_subs = HashSet::new();
            for (acc, w) in bx.windows.iter().zip(&bx.warrant.windows) {
                let mut inspected = acc.inspected.clone();
                inspected.subscribers = acc.subscribers.len() as u64;
                let mut retained = acc.retained.clone();
                retained.subscribers = inspected.subscribers;
                if sim.has_truth && retained.bytes > 0 {
                    retained.target_bytes_share =
                        Some(acc.target_bytes as f64 / retained.bytes as f64);
                }
                let universe: HashSet<Addr> = labelled.union(&acc.subscribers).copied().collect();
                let judged = sim.has_truth.then(|| match &by_lines {
                    Some(lines_of) => judge(&lines_of(&universe), &acc.flagged_lines, is_line),
                    None => judge(&universe, &acc.flagged, is_t),
                });
                all_flagged_lines.extend(&acc.flagged_lines);
                let (outcome, reason) = acc
                    .outcome
                    .clone()
                    .unwrap_or_else(|| ("open".to_string(), None));
                windows.push(WindowStats {
                    index: w.index,
                    kind: w.kind,
                    start: clock::format_ts(w.start_ns),
                    end: clock::format_ts(w.end_ns),
                    outcome,
                    reason,
                    inspected: inspected.clone(),
                    retained: retained.clone(),
                    alerts: acc.alerts,
                    flagged: acc.flagged.len() as u64,
                    identifications: acc.identifications,
                    judged,
                });
                total.packets += inspected.packets;
                total.bytes += inspected.bytes;
                total.flows += inspected.flows;
                total.records += inspected.records;
                kept.bytes += retained.bytes;
                kept.records += retained.records;
                kept.peak_bytes = kept.peak_bytes.max(retained.peak_bytes);
                kept.record_days += retained.record_days;
                kept.byte_days += retained.byte_days;
                target_bytes += acc.target_bytes;
                all_subs.extend(acc.subscribers.iter().copied());
                all_flagged.extend(acc.flagged.iter().copied());
                all_seen.extend(acc.subscribers.iter().copied());
            }
            total.subscribers = all_subs.len() as u64;
            kept.subscribers = total.subscribers;
            if sim.has_truth && kept.bytes > 0 {
                kept.target_bytes_share = Some(target_bytes as f64 / kept.bytes as f64);
            }
            let mut would = bx.would.clone();
            would.subscribers = bx.would_subs.len() as u64;
            let judged = sim.has_truth.then(|| match &by_lines {
                Some(lines_of) => judge(&lines_of(&all_seen), &all_flagged_lines, is_line),
                None => judge(&all_seen, &all_flagged, is_t),
            });
            let reference = s.reference_of(&bx.spec);
            let extrapolation = judged.as_ref().and_then(|j| {
                let reference = reference.as_ref()?;
                measure::extrapolate_counts(
                    reference.population,
                    reference.targets,
                    &j.confusion,
                    (traffic.end_ns - traffic.start_ns) as f64 / clock::NS_PER_DAY as f64,
                )
            });
            let policy = bx.warrant.policy();
            let kept_bytes = kept.bytes;
            // Rates within one window, by window length (complete windows).
            let complete: Vec<(String, f64, Confusion)> = windows
                .iter()
                .zip(&bx.warrant.windows)
                .filter(|(ws, _)| ws.outcome != "open")
                .filter_map(|(ws, w)| {
                    let c = ws.judged.as_ref()?.confusion.clone();
                    let span = match (w.kind, policy.commission.first_renewal) {
                        (crate::policy::WindowKind::First, _) => policy.first_window,
                        (_, Some(trial)) if w.index == 2 => trial,
                        _ => policy.renewal,
                    };
                    let ns = w.end_ns - w.start_ns;
                    let label = if span.after(w.start_ns) == w.end_ns {
                        span.to_string()
                    } else {
                        format!("{} days", ns / clock::NS_PER_DAY)
                    };
                    Some((label, ns as f64 / clock::NS_PER_DAY as f64, c))
                })
                .collect();
            let window_rates = measure::window_rates(
                &complete,
                reference.as_ref().map(|r| (r.population, r.targets)),
            );
            boxes.push(BoxReport {
                name: bx.spec.name.clone(),
                system: bx.spec.system.map(|s| s.name().into()),
                vantage: bx.spec.vantage.clone(),
                scope: bx.spec.scope.name().into(),
                threshold: bx.spec.threshold,
                window: bx.spec.window.to_string(),
                retention: policy.retention.to_string(),
                windows,
                stopped: bx.warrant.stopped_ns.map(clock::format_ts),
                inspected: total,
                retained: kept,
                would_have_inspected: would,
                alerts: bx.windows.iter().map(|w| w.alerts).sum(),
                flagged: all_flagged.len() as u64,
                identifications: bx.windows.iter().map(|w| w.identifications).sum(),
                identified_bytes: bx.identified_bytes,
                destructions: bx.destructions,
                graduated: bx.graduated.as_ref().map(|g| g.report()),
                window_rates,
                law: crate::policy::law::LawReport {
                    state_peak_events: bx.bb.peak_events(),
                    ..bx.law.clone()
                },
                attribution: sim.isp_log.as_ref().map(|_| bx.attribution.clone()),
                alerts_judged: sim.has_truth.then(|| {
                    let (t, f) = bx
                        .days
                        .values()
                        .fold((0, 0), |(t, f), d| (t + d.true_alerts, f + d.false_alerts));
                    AlertsJudged {
                        true_alerts: t,
                        false_alerts: f,
                        precision: measure::wilson(t, t + f),
                        snr: (f > 0).then(|| t as f64 / f as f64),
                    }
                }),
                sees: Some(
                    bx.sees.report(
                        bx.warrant
                            .windows
                            .first()
                            .map_or(0, |w| w.end_ns - w.start_ns),
                        policy.first_window.to_string(),
                        kept_bytes,
                    ),
                ),
                assumed_relevance: policy
                    .commission
                    .assumed_relevance
                    .filter(|_| !sim.has_truth)
                    .map(|f| f.0),
                judged_on: if shared_lines { "lines" } else { "people" }.into(),
                judged,
                extrapolation,
                days: bx
                    .days
                    .iter()
                    .map(|(d, day)| Day {
                        date: clock::format_date(d * clock::NS_PER_DAY),
                        ..day.clone()
                    })
                    .collect(),
            });
        }
        let mut roles: BTreeMap<&'static str, u64> = BTreeMap::new();
        for l in &traffic.labels {
            *roles.entry(l.role.name()).or_default() += 1;
        }
        let alerts = std::mem::take(&mut sim.alerts);
        let head = sim.log.close(last_t).map_err(io_err(&log_path))?;
        let report = Report {
            ivraie: env!("CARGO_PKG_VERSION").into(),
            scenario: sim.scenario.name.clone(),
            scenario_file: scenario_file.display().to_string(),
            description: s.description.clone(),
            seed: s.seed,
            start: clock::format_ts(traffic.start_ns),
            end: clock::format_ts(traffic.end_ns),
            observations: traffic.observations,
            traffic: if opts.name_inputs {
                traffic.summary.clone()
            } else {
                unnamed_inputs(&traffic.summary)
            },
            truth: Truth {
                source: match &traffic.truth_source {
                    Some(t) if !opts.name_inputs && t != "generated" => Some("labels file".into()),
                    other => other.clone(),
                },
                roles: roles.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            },
            reference: s.reference.clone(),
            boxes,
            oversight_head: head,
            wall_s: started.elapsed().as_secs_f64(),
            warnings: traffic
                .summary
                .errors
                .iter()
                .map(|e| e.message.clone())
                .chain(traffic.notes.iter().cloned())
                .collect(),
        };
        let alerts_path = dir.join("alerts.jsonl");
        write_atomically(&alerts_path, |w| {
            for a in &alerts {
                serde_json::to_writer(&mut *w, a).map_err(io::Error::other)?;
                w.write_all(b"\n")?;
            }
            Ok(())
        })?;
        let report_path = dir.join("report.json");
        write_atomically(&report_path, |w| {
            serde_json::to_writer_pretty(&mut *w, &report).map_err(io::Error::other)?;
            w.write_all(b"\n")
        })?;
        Ok(report)
    }
}
