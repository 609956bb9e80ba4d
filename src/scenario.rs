//! Scenario files: a surveillance proposal written down in TOML.
//!
//! A scenario names the traffic (capture files, or a generated population), the
//! ground truth, the simulated clock, the black boxes with their selectors and
//! behaviour rules, the warrants and the commission's rule, retention and
//! identification, and the reference population for extrapolation. Every key is
//! documented in `scenarios/README.md`.
//!
//! Parsing is strict: an unknown key or a bad value is an error naming the file,
//! the line and the key; checks that involve several keys (a selector outside its
//! box's data scope, a rule with no selector) name the box and the line where
//! it starts. This module only reads and validates; [`crate::simulator`] runs.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::capture::clock;
use crate::generate::{Population, System};
use crate::observation::Kind;

/// A scenario, as read from its file (paths already resolved against the
/// file's directory).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name, used in reports.
    #[serde(default)]
    pub name: String,
    /// One paragraph on what the scenario shows.
    #[serde(default)]
    pub description: String,
    /// Seed of the run: the generator's (unless its table sets one) and, for
    /// generated traffic, of the pseudonym key.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Where the traffic comes from.
    pub source: Source,
    /// The simulated calendar.
    #[serde(default)]
    pub clock: Clock,
    /// Warrant, commission, retention and identification rules shared by every box.
    #[serde(default)]
    pub policy: Policy,
    /// The population the measured rates are extrapolated to.
    #[serde(default)]
    pub reference: Reference,
    /// The black boxes, all run in one pass over the traffic.
    #[serde(rename = "boxes")]
    pub boxes: Vec<Spanned<BoxSpec>>,
    /// Where `ivraie run` writes when no `-o` is given.
    #[serde(default)]
    pub output: Option<PathBuf>,
}

fn default_seed() -> u64 {
    1
}

/// Traffic and ground truth.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Capture files or directories (relative to the scenario file).
    #[serde(default)]
    pub captures: Vec<PathBuf>,
    /// A generated population instead of (or as well as) captures.
    #[serde(default)]
    pub generate: Option<Population>,
    /// The ground-truth labels file (`address,profile,role,system`). Default: the
    /// generator's own labels, or `<capture>.labels.csv` beside a single capture.
    #[serde(default)]
    pub labels: Option<PathBuf>,
    /// Subscriber ranges (CIDR). Default: the generator's range, else the
    /// private ranges.
    #[serde(default)]
    pub subscribers: Option<Vec<Net>>,
    /// The ISP's attribution log (`address,port_lo,port_hi,from,to,line`,
    /// [`crate::identity`]): identifications go through it. Default: the
    /// generator's own, or `<labels>.attribution.csv` beside the labels file.
    #[serde(default)]
    pub attribution: Option<PathBuf>,
    /// A host's names for its services (`address,port,name`; port 0 for any):
    /// the report's traffic by service uses them instead of the top
    /// responders' addresses.
    #[serde(default)]
    pub services: Option<PathBuf>,
}

/// The simulated clock for real captures.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Clock {
    /// Date the first packet is moved to (`YYYY-MM-DD`); default: the capture's own time.
    pub start: Option<Date>,
    /// Simulated seconds per capture second (stretch a short capture over weeks).
    pub warp: f64,
    /// Replay the traffic this many times back to back.
    pub loops: u32,
    /// How several captures share the calendar: `merge` (each keeps its own
    /// time, frames interleaved) or `sequential` (laid one after another in
    /// the order given, two hours apart: captures from unrelated dates).
    pub layout: Layout,
}

/// How several captures share the calendar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Each keeps its own time.
    #[default]
    Merge,
    /// One after another.
    Sequential,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            start: None,
            warp: 1.0,
            loops: 1,
            layout: Layout::Merge,
        }
    }
}

/// Who decides the renewals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommissionRule {
    /// Renews every window.
    #[default]
    Always,
    /// Refuses every renewal: the box runs for its first window only.
    Never,
    /// Renews when the window's report meets every threshold given.
    Thresholds,
}

impl CommissionRule {
    /// Its name in a scenario file.
    pub fn name(self) -> &'static str {
        match self {
            CommissionRule::Always => "always",
            CommissionRule::Never => "never",
            CommissionRule::Thresholds => "thresholds",
        }
    }

    /// The rule of that name.
    pub fn parse(name: &str) -> Option<CommissionRule> {
        [
            CommissionRule::Always,
            CommissionRule::Never,
            CommissionRule::Thresholds,
        ]
        .into_iter()
        .find(|r| r.name() == name)
    }
}

/// The oversight commission's renewal rule.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Commission {
    /// `always`, `never` or `thresholds`.
    pub rule: CommissionRule,
    /// Renew only if precision (confirmed / alerted) is at least this.
    pub min_precision: Option<Fraction>,
    /// Renew only if at least this many subscribers were flagged.
    pub min_alerts: Option<u64>,
    /// Renew only if at most this many subscribers were flagged.
    pub max_alerts: Option<u64>,
    /// Renew only if at least this many flagged subscribers were real targets.
    pub min_confirmed: Option<u64>,
    /// The first renewal is granted for this length instead of `renewal` (as
    /// the first real algorithm's 2-month renewal "to check relevance and
    /// reliability", Oct 2017 – Feb 2018). Default: none.
    pub first_renewal: Option<Span>,
    /// Without ground truth (no labels), the share of flagged subscribers the
    /// services would confirm as relevant: a stated assumption that lets
    /// `min_precision` and `min_confirmed` be applied. A run without labels
    /// refuses those rules unless it is given.
    pub assumed_relevance: Option<Fraction>,
    /// The services report which flagged subscribers proved relevant; the
    /// commission decides on that report, not on the truth. Each flagged
    /// subscriber's relevance is misreported with this probability (default
    /// 0: the report is the ground truth; a stated assumption either way —
    /// CNCTR publishes the reports' totals, not their accuracy).
    pub relevance_error: Option<Fraction>,
}

impl Commission {
    /// The rule needs to know which flagged subscribers were real targets.
    pub fn needs_ground_truth(&self) -> bool {
        self.rule == CommissionRule::Thresholds
            && (self.min_precision.is_some() || self.min_confirmed.is_some())
    }
}

/// When an alerted subscriber is identified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Identification {
    /// Every alert is followed by a request to identify (as the 1,739 alerts
    /// of 2020 were): a person alerted about again is asked about again.
    #[default]
    Alerts,
    /// Only a person's first alert leads to a request.
    FirstAlert,
    /// No one is identified: alerts stay pseudonymous.
    Never,
}

/// The law a box of the French intelligence system (`system = "l851"`) runs
/// under: what it may read and until when.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum Regime {
    /// Loi 2015-912: connection data only, an experiment until 31 Dec 2018
    /// (art. 25; later extended, then made permanent in 2021).
    #[serde(rename = "2015")]
    R2015,
    /// Loi 2021-998: permanent, and URLs actually visited may be read.
    #[serde(rename = "2021")]
    R2021,
    /// 2021 plus, on trial until 30 June 2028, the prevention of foreign
    /// interference as a purpose (loi 2024-850). The law in force: the default.
    #[default]
    #[serde(rename = "2024")]
    R2024,
}

impl Regime {
    /// The name written in scenarios and reports.
    pub fn name(self) -> &'static str {
        match self {
            Regime::R2015 => "2015",
            Regime::R2021 => "2021",
            Regime::R2024 => "2024",
        }
    }

    /// When the regime stops allowing a box of this purpose (ns, excluded), and
    /// why; none: permanent.
    pub fn sunset(self, purpose: Purpose) -> Option<(i64, &'static str)> {
        let day = |y, m, d| clock::days_from_civil(y, m, d) * clock::NS_PER_DAY;
        match (self, purpose) {
            (Regime::R2015, _) => Some((
                day(2019, 1, 1),
                "the 2015 law allowed the technique as an experiment until 31 December 2018",
            )),
            (Regime::R2024, Purpose::ForeignInterference) => Some((
                day(2028, 7, 1),
                "the 2024 law allows foreign-interference detection on trial until 30 June 2028",
            )),
            _ => None,
        }
    }
}

/// Whether an `l851` box may run under `regime` at all: its purpose and what
/// it reads. A content box is the deep-packet-inspection counterfactual (no
/// regime allows it) and is not checked.
pub fn check_regime(regime: Regime, b: &BoxSpec) -> Result<(), String> {
    if b.purpose == Purpose::ForeignInterference && regime != Regime::R2024 {
        return Err(format!(
            "purpose = \"foreign-interference\" needs regime = \"2024\" (the {} law allows \
             only the detection of terrorist threats)",
            regime.name()
        ));
    }
    if regime == Regime::R2015 && b.scope == Scope::Urls {
        return Err(
            "scope = \"urls\" under regime = \"2015\": that law allowed connection data only; \
             URLs came with the 2021 law (regime = \"2021\")"
                .into(),
        );
    }
    Ok(())
}

/// Hadopi's graduated response, applied to the identifications of a `hadopi`
/// box (CNIL deliberations on TMG's processing; Code de la propriété
/// intellectuelle for the steps).
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Graduated {
    /// A subscriber seen sharing at least this many files in 24 hours is not
    /// referred to Hadopi but followed for 15 days; the day's top such sharer
    /// goes to the prosecutor (CNIL: 50).
    pub files_threshold: u64,
    /// Most addresses the agent sends a day; the rest are dropped (CNIL:
    /// 25,000 a day).
    pub daily_cap: u64,
    /// A notice within this long of the first e-mail warning is the second
    /// step, a registered letter (CPI L331-25: 6 months).
    pub second_within: Span,
    /// A notice within this long of the letter opens the third phase, a
    /// referral that may go to court (CPI R331-43: 1 year).
    pub third_within: Span,
}

impl Default for Graduated {
    fn default() -> Self {
        Graduated {
            files_threshold: 50,
            daily_cap: 25_000,
            second_within: Span::Months(6),
            third_within: Span::Months(12),
        }
    }
}

/// What a box of the intelligence system is authorised for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// Detecting a terrorist threat (L851-3 since 2015).
    #[default]
    Terrorism,
    /// Detecting foreign interference (since the 2024 regime, on trial).
    ForeignInterference,
}

/// How long a box's detection counters may remember an event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectionState {
    /// The counters are retained data: they forget an event when the raw
    /// input would be purged, so a rule's window is cut to the retention
    /// ("input kept only as long as needed to detect a sequence": 24 h for the
    /// first algorithm). The default.
    #[default]
    WithinRetention,
    /// The counters keep the rule's whole window, beyond the retention: a
    /// departure from the rule the report states.
    RuleWindow,
}

/// Warrant, commission, retention and identification.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// When the first window opens (default: the start of the traffic).
    pub start: Option<Date>,
    /// Length of the first authorisation window.
    pub first_window: Span,
    /// Length of each renewal.
    pub renewal: Span,
    /// Most renewals granted (none: no limit).
    pub max_renewals: Option<u32>,
    /// The commission's rule at each window's end.
    pub commission: Commission,
    /// How long a box keeps its raw input.
    pub retention: Span,
    /// Who gets identified.
    pub identification: Identification,
    /// Most identifications per window (none: no limit).
    pub max_identifications: Option<u64>,
    /// How long identified data may be used before it is destroyed.
    pub exploitation: Span,
    /// Which law applies to `l851` boxes.
    pub regime: Regime,
    /// Whether detection counters are held to the retention.
    pub detection_state: DetectionState,
    /// From an alert to the decision on identifying: the commission's opinion
    /// then the Prime Minister's decision (default 24 h: the commission's
    /// time to give an opinion under CSI L821-3; a stated assumption that the
    /// decision follows at once).
    pub identification_delay: Span,
    /// Share of identification requests the commission opposes (default 0: a
    /// stated assumption; no rate is published for this technique).
    pub opinion_unfavourable: Option<Fraction>,
    /// Share of the remaining requests the Prime Minister refuses (default 0,
    /// stated). An unfavourable opinion is always followed (stated).
    pub decision_refusal: Option<Fraction>,
    /// The exception to the destruction after `exploitation`: data of a person
    /// the services report as a serious threat is kept (default true: the
    /// law's exception). Their report errs as the commission's does
    /// (`relevance_error`).
    pub serious_evidence: bool,
    /// Hadopi's graduated response (`hadopi` boxes).
    pub graduated: Graduated,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            start: None,
            first_window: Span::Months(2),
            renewal: Span::Months(4),
            max_renewals: None,
            commission: Commission::default(),
            retention: Span::Ns(24 * clock::NS_PER_HOUR),
            identification: Identification::Alerts,
            max_identifications: None,
            exploitation: Span::Ns(60 * clock::NS_PER_DAY),
            regime: Regime::default(),
            detection_state: DetectionState::default(),
            identification_delay: Span::Ns(24 * clock::NS_PER_HOUR),
            opinion_unfavourable: None,
            decision_refusal: None,
            serious_evidence: true,
            graduated: Graduated::default(),
        }
    }
}

/// A box's own policy keys: any key of [`Policy`], overriding the scenario's.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyOverride {
    /// See [`Policy::start`].
    pub start: Option<Date>,
    /// See [`Policy::first_window`].
    pub first_window: Option<Span>,
    /// See [`Policy::renewal`].
    pub renewal: Option<Span>,
    /// See [`Policy::max_renewals`].
    pub max_renewals: Option<u32>,
    /// See [`Policy::commission`].
    pub commission: Option<Commission>,
    /// See [`Policy::retention`].
    pub retention: Option<Span>,
    /// See [`Policy::identification`].
    pub identification: Option<Identification>,
    /// See [`Policy::max_identifications`].
    pub max_identifications: Option<u64>,
    /// See [`Policy::exploitation`].
    pub exploitation: Option<Span>,
    /// See [`Policy::regime`].
    pub regime: Option<Regime>,
    /// See [`Policy::detection_state`].
    pub detection_state: Option<DetectionState>,
    /// See [`Policy::identification_delay`].
    pub identification_delay: Option<Span>,
    /// See [`Policy::opinion_unfavourable`].
    pub opinion_unfavourable: Option<Fraction>,
    /// See [`Policy::decision_refusal`].
    pub decision_refusal: Option<Fraction>,
    /// See [`Policy::serious_evidence`].
    pub serious_evidence: Option<bool>,
    /// See [`Policy::graduated`].
    pub graduated: Option<Graduated>,
}

impl Policy {
    /// This policy with a box's overrides applied.
    pub fn with(&self, o: &PolicyOverride) -> Policy {
        Policy {
            start: o.start.or(self.start),
            first_window: o.first_window.unwrap_or(self.first_window),
            renewal: o.renewal.unwrap_or(self.renewal),
            max_renewals: o.max_renewals.or(self.max_renewals),
            commission: o
                .commission
                .clone()
                .unwrap_or_else(|| self.commission.clone()),
            retention: o.retention.unwrap_or(self.retention),
            identification: o.identification.unwrap_or(self.identification),
            max_identifications: o.max_identifications.or(self.max_identifications),
            exploitation: o.exploitation.unwrap_or(self.exploitation),
            regime: o.regime.unwrap_or(self.regime),
            detection_state: o.detection_state.unwrap_or(self.detection_state),
            identification_delay: o.identification_delay.unwrap_or(self.identification_delay),
            opinion_unfavourable: o.opinion_unfavourable.or(self.opinion_unfavourable),
            decision_refusal: o.decision_refusal.or(self.decision_refusal),
            serious_evidence: o.serious_evidence.unwrap_or(self.serious_evidence),
            graduated: o.graduated.unwrap_or(self.graduated),
        }
    }
}

/// The population the measured rates are extrapolated to.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Reference {
    /// People (default 60,000,000: France).
    pub population: u64,
    /// Real targets among them (default 1,000).
    pub targets: u64,
}

impl Scenario {
    /// The population box `b`'s rates are extrapolated to, if any.
    pub fn reference_of(&self, b: &BoxSpec) -> Option<Reference> {
        match (&b.reference, b.system) {
            (Some(r), _) => Some(r.clone()),
            (None, Some(System::Pbx | System::Spam)) => None,
            (None, _) => Some(self.reference.clone()),
        }
    }
}

impl Default for Reference {
    fn default() -> Self {
        Reference {
            population: 60_000_000,
            targets: 1_000,
        }
    }
}

/// What a box may see, from least to most.
pub use crate::observation::Scope;

/// How a box's rules combine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Combine {
    /// Alert when any rule holds.
    #[default]
    Any,
    /// Alert when every rule holds at once.
    All,
}

/// Event kinds a rule can count: `flow`, `name` (any record naming a host:
/// DNS query, TLS or QUIC server name, HTTP Host...), or a protocol's records
/// by the word it registers (`dns`, `tls`, `quic`, `http`, `call`, `mail`,
/// `torrent`...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum On {
    /// Any record naming a host.
    Name,
    /// Records of one kind.
    Kind(Kind),
}

impl On {
    /// Reads a rule's word.
    pub fn parse(word: &str) -> Result<On, String> {
        if word == "name" {
            return Ok(On::Name);
        }
        Kind::named(word).map(On::Kind).ok_or_else(|| {
            let known: Vec<&str> = Kind::all().map(Kind::name).collect();
            format!(
                "unknown record kind `{word}`: expected `name` or one of {}",
                known.join(", ")
            )
        })
    }

    /// The word.
    pub fn name(self) -> &'static str {
        match self {
            On::Name => "name",
            On::Kind(k) => k.name(),
        }
    }
}

impl<'de> Deserialize<'de> for On {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<On, D::Error> {
        let s = String::deserialize(d)?;
        On::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// One black box.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxSpec {
    /// Unique name.
    pub name: String,
    /// The seed system whose targets this box is meant to find (labels' `system`);
    /// none: any labelled target counts.
    #[serde(default)]
    pub system: Option<System>,
    /// Where the box sits (`isp-edge`, `host`, `transit`, `gateway`): descriptive.
    #[serde(default = "default_vantage")]
    pub vantage: String,
    /// The subscribers whose traffic it sees (default: all).
    #[serde(default)]
    pub subscribers: Option<Vec<Net>>,
    /// What it may see.
    pub scope: Scope,
    /// Matching events a subscriber needs within `window` to be flagged: the k of
    /// the rules (a rule may set its own).
    pub threshold: u64,
    /// The sliding window the threshold counts over.
    pub window: Span,
    /// How rules combine.
    #[serde(default)]
    pub combine: Combine,
    /// Least time between two alerts about one subscriber (default: one alert
    /// per subscriber per authorisation window).
    #[serde(default)]
    pub cooldown: Option<Span>,
    /// What an `l851` box is authorised for (`terrorism`, or
    /// `foreign-interference` under the 2024 regime).
    #[serde(default)]
    pub purpose: Purpose,
    /// The box's own policy keys.
    #[serde(default)]
    pub policy: PolicyOverride,
    /// Whether the ISP's log answers with the source port an alert saw (on a
    /// shared address it then names one line; without it, every line on the
    /// address). Default true: logged since 1 January 2022 in France.
    #[serde(default = "default_true")]
    pub ports_logged: bool,
    /// What is done when the log names several lines: `refuse` (identify no
    /// one, the default: an ISP cannot answer), `all`, or `one` (a guess).
    #[serde(default)]
    pub ambiguous: crate::identity::Ambiguity,
    /// The population this box's rates are extrapolated to. Default: the
    /// scenario's `[reference]` for `l851`, `hadopi` and boxes without a
    /// system; none for `pbx` and `spam` (no sourced national count of
    /// business phone systems or mail senders: give one here to get it).
    #[serde(default)]
    pub reference: Option<Reference>,
    /// Behaviour rules.
    pub rules: Vec<Spanned<RuleSpec>>,
}

fn default_true() -> bool {
    true
}

fn default_vantage() -> String {
    "isp-edge".into()
}

/// One behaviour rule: which events match, and how many are needed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleSpec {
    /// Event kinds counted (default: every kind the selectors apply to).
    pub on: Vec<On>,
    /// Domain names, matching themselves and their subdomains.
    pub domains: Vec<Domain>,
    /// Addresses or CIDR ranges of the other end.
    pub ips: Vec<Net>,
    /// Ports of the other end.
    pub ports: Vec<u16>,
    /// Callee number prefixes (`+290`).
    pub phone_prefixes: Vec<String>,
    /// BitTorrent infohashes (40 hex digits).
    pub infohashes: Vec<Hex40>,
    /// TLS JA3 fingerprints.
    pub ja3: Vec<String>,
    /// TLS JA4 fingerprints.
    pub ja4: Vec<String>,
    /// Substrings of full HTTP URLs.
    pub url_contains: Vec<String>,
    /// Hours of the day `[from, to)` (UTC, may wrap midnight: `[22, 6]`).
    pub hours: Option<Hours>,
    /// Calls or flows shorter than this.
    pub max_duration: Option<Span>,
    /// Distinct destinations (peer, callee, recipient) needed among the matching
    /// events of the window.
    pub distinct: Option<u64>,
    /// Overrides the box's threshold for this rule.
    pub threshold: Option<u64>,
    /// Records naming the same host closer than this are one visit (a DNS
    /// lookup and the TLS connection that follows count once). Default: 1 minute.
    pub visit_gap: Option<Span>,
}

impl RuleSpec {
    /// The narrowest scope that can see everything the rule uses, and the field
    /// that needs it.
    pub fn needs(&self) -> (Scope, String) {
        if !self.url_contains.is_empty() {
            return (Scope::Urls, "url_contains".into());
        }
        if !self.infohashes.is_empty() {
            return (Scope::Urls, "infohashes".into());
        }
        let widest = self
            .on
            .iter()
            .filter_map(|o| match o {
                On::Kind(k) => Some((k.scope(), format!("on = {}", k.name()))),
                On::Name => None,
            })
            .max_by_key(|(s, _)| *s);
        widest.unwrap_or((Scope::Connection, String::new()))
    }

    fn has_selector(&self) -> bool {
        !(self.domains.is_empty()
            && self.ips.is_empty()
            && self.ports.is_empty()
            && self.phone_prefixes.is_empty()
            && self.infohashes.is_empty()
            && self.ja3.is_empty()
            && self.ja4.is_empty()
            && self.url_contains.is_empty()
            && self.on.is_empty())
    }
}

// ---------------------------------------------------------------------------
// Value types that validate themselves, so that errors carry the key's line.

/// A length of time: calendar months (`2 months`) or a fixed duration
/// (`90s`, `30m`, `24h`, `60d`, `2w`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// Calendar months (a legal deadline: 31 Dec + 2 months = end of February).
    Months(u32),
    /// Nanoseconds.
    Ns(i64),
}

impl Span {
    /// `t` plus this span.
    pub fn after(self, t: i64) -> i64 {
        match self {
            Span::Months(m) => clock::add_months(t, m as i32),
            Span::Ns(n) => t.saturating_add(n),
        }
    }

    /// `t` minus this span.
    pub fn before(self, t: i64) -> i64 {
        match self {
            Span::Months(m) => clock::add_months(t, -(m as i32)),
            Span::Ns(n) => t.saturating_sub(n),
        }
    }

    /// Parses `2 months`, `24h`, `60d`, `90s`, `1.5h`...
    pub fn parse(s: &str) -> Result<Span, String> {
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, unit) = (t[..split].trim(), t[split..].trim());
        let bad = || {
            format!(
                "`{s}` is not a duration (write e.g. `90s`, `30m`, `24h`, `60d`, `2w` or `4 months`)"
            )
        };
        let n: f64 = num.parse().map_err(|_| bad())?;
        if !n.is_finite() || n <= 0.0 {
            return Err(format!("`{s}`: a duration must be positive"));
        }
        let unit_ns = match unit {
            "s" | "sec" | "second" | "seconds" => clock::NS_PER_S,
            "m" | "min" | "minute" | "minutes" => 60 * clock::NS_PER_S,
            "h" | "hour" | "hours" => clock::NS_PER_HOUR,
            "d" | "day" | "days" => clock::NS_PER_DAY,
            "w" | "week" | "weeks" => 7 * clock::NS_PER_DAY,
            "mo" | "month" | "months" => {
                if n.fract() != 0.0 || n > 1200.0 {
                    return Err(format!("`{s}`: months must be a whole number up to 1200"));
                }
                return Ok(Span::Months(n as u32));
            }
            _ => return Err(bad()),
        };
        let ns = n * unit_ns as f64;
        if ns > 1e18 {
            return Err(format!("`{s}` is too long"));
        }
        Ok(Span::Ns(ns.round() as i64))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Span::Months(1) => write!(f, "1 month"),
            Span::Months(m) => write!(f, "{m} months"),
            Span::Ns(n) => {
                let units = [
                    (7 * clock::NS_PER_DAY, "w"),
                    (clock::NS_PER_DAY, "d"),
                    (clock::NS_PER_HOUR, "h"),
                    (60 * clock::NS_PER_S, "m"),
                    (clock::NS_PER_S, "s"),
                ];
                for (u, name) in units {
                    if n % u == 0 {
                        return write!(f, "{}{name}", n / u);
                    }
                }
                write!(f, "{}s", n as f64 / 1e9)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Span::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A calendar date (`YYYY-MM-DD`), as ns since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub i64);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // TOML has a date type; a quoted string is accepted too.
        let v = toml::Value::deserialize(d)?;
        let text = match v {
            toml::Value::String(s) => s,
            toml::Value::Datetime(dt) => dt.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "expected a date, found {other}"
                )));
            }
        };
        clock::parse_date(&text)
            .map(Date)
            .map_err(serde::de::Error::custom)
    }
}

/// An address or CIDR range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Net(pub IpNet);

impl<'de> Deserialize<'de> for Net {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if let Ok(n) = s.parse::<IpNet>() {
            return Ok(Net(n.trunc()));
        }
        s.parse::<IpAddr>()
            .map(|a| Net(IpNet::from(a)))
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not an address or CIDR range")))
    }
}

/// A domain name, lowercased, without a trailing dot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain(pub String);

impl<'de> Deserialize<'de> for Domain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let name = s.trim_end_matches('.').to_ascii_lowercase();
        let ok = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if ok {
            Ok(Domain(name))
        } else {
            Err(serde::de::Error::custom(format!(
                "`{s}` is not a domain name"
            )))
        }
    }
}

/// An infohash: 40 hexadecimal digits, lowercased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hex40(pub String);

impl<'de> Deserialize<'de> for Hex40 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Hex40(s.to_ascii_lowercase()))
        } else {
            Err(serde::de::Error::custom(format!(
                "`{s}` is not an infohash (40 hexadecimal digits)"
            )))
        }
    }
}

/// Hours of the day, `[from, to)`, possibly wrapping midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hours {
    /// First hour included, 0–23.
    pub from: u32,
    /// First hour excluded, 1–24 (`to < from` wraps midnight).
    pub to: u32,
}

impl Hours {
    /// Whether `hour` (0–23) is inside.
    pub fn contains(&self, hour: u32) -> bool {
        if self.from < self.to {
            (self.from..self.to).contains(&hour)
        } else {
            hour >= self.from || hour < self.to
        }
    }
}

impl<'de> Deserialize<'de> for Hours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = <[u32; 2]>::deserialize(d)?;
        if v[0] > 23 || v[1] > 24 || v[0] == v[1] {
            return Err(serde::de::Error::custom(format!(
                "hours [{}, {}]: write [from, to) with 0 <= from <= 23, 1 <= to <= 24, from != to",
                v[0], v[1]
            )));
        }
        Ok(Hours {
            from: v[0],
            to: v[1],
        })
    }
}

/// A rate in [0, 1]: `0.05` or `"5%"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fraction(pub f64);

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        let x = match &v {
            toml::Value::Float(f) => Some(*f),
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::String(s) => s
                .strip_suffix('%')
                .and_then(|p| p.trim().parse::<f64>().ok())
                .map(|p| p / 100.0),
            _ => None,
        };
        match x {
            Some(x) if (0.0..=1.0).contains(&x) => Ok(Fraction(x)),
            _ => Err(serde::de::Error::custom(format!(
                "{v} is not a rate between 0 and 1 (write 0.05 or \"5%\")"
            ))),
        }
    }
}

// ---------------------------------------------------------------------------

/// A scenario that could not be read or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A key or value is wrong.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// The key of the `key = value` line holding byte `offset`, if it is one.
fn key_at(text: &str, offset: usize) -> Option<&str> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('#') && !key.starts_with('[')).then_some(key)
}

/// serde's "invalid type: string \"three\", expected u64" in words a
/// scenario's author reads: "`threshold` must be a whole number, like 3
/// (found the text "three")". Other messages are kept, with the key before.
fn in_words(message: &str, key: Option<&str>) -> String {
    let named = |m: &str| match key {
        Some(k) => format!("`{k}`: {m}"),
        None => m.to_string(),
    };
    let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    else {
        return named(message);
    };
    let Some((found, expected)) = rest.split_once(", expected ") else {
        return named(message);
    };
    let kind = match expected.trim() {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, like 3",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number, like 3 or -3",
        "f32" | "f64" => "a number, like 0.5 or 12",
        "a boolean" => "true or false",
        "a string" | "a borrowed string" => "text in quotes, like \"1d\"",
        "a sequence" => "a list in brackets, like [\"a\", \"b\"]",
        "a map" | "struct" => "a table, like { key = value }",
        other => return named(&format!("must be {other} (found {})", found_words(found))),
    };
    let found = found_words(found);
    match key {
        Some(k) => format!("`{k}` must be {kind} (found {found})"),
        None => format!("a value must be {kind} (found {found})"),
    }
}

/// serde's `string "three"`, `integer `-1``, `floating point `0.5`` in words.
fn found_words(found: &str) -> String {
    let found = found.trim();
    if let Some(v) = found.strip_prefix("string ") {
        return format!("the text {v}");
    }
    for (serde, words) in [
        ("integer ", "the number "),
        ("floating point ", "the number "),
        ("boolean ", ""),
    ] {
        if let Some(v) = found.strip_prefix(serde) {
            return format!("{words}{}", v.trim_matches('`'));
        }
    }
    match found {
        "sequence" => "a list".into(),
        "map" => "a table".into(),
        other => other.into(),
    }
}

/// Line and column (from 1) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, col)
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Scenario::parse(&text, path)
    }

    /// Parses and validates scenario text; `path` names it in errors and anchors
    /// its relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        let invalid = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            ScenarioError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let mut s: Scenario = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|r| r.start).unwrap_or(0);
            invalid(offset, in_words(e.message().trim(), key_at(text, offset)))
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        for c in &mut s.source.captures {
            *c = base.join(&*c);
        }
        if let Some(l) = &mut s.source.labels {
            *l = base.join(&*l);
        }
        if let Some(l) = &mut s.source.attribution {
            *l = base.join(&*l);
        }
        if let Some(l) = &mut s.source.services {
            *l = base.join(&*l);
        }
        // The top of the file, for checks that are not tied to one key.
        let top = 0;
        if s.source.captures.is_empty() && s.source.generate.is_none() {
            return Err(invalid(
                top,
                "[source] needs `captures` (files or directories) or a [source.generate] table"
                    .into(),
            ));
        }
        if s.clock.layout == Layout::Sequential && s.source.generate.is_some() {
            return Err(invalid(
                top,
                "[clock] layout = \"sequential\" lays captures one after another; a \
                 generated population has its own calendar: use captures only"
                    .into(),
            ));
        }
        if let Some(g) = &s.source.generate {
            g.validate()
                .map_err(|m| invalid(top, format!("[source.generate]: {m}")))?;
        }
        if !(s.clock.warp.is_finite() && s.clock.warp > 0.0) {
            return Err(invalid(
                top,
                format!("[clock] warp = {}: must be a positive number", s.clock.warp),
            ));
        }
        if s.clock.loops == 0 {
            return Err(invalid(top, "[clock] loops = 0: must be at least 1".into()));
        }
        if s.reference.targets > s.reference.population || s.reference.population == 0 {
            return Err(invalid(
                top,
                "[reference]: targets must be at most population, and population at least 1".into(),
            ));
        }
        if s.boxes.is_empty() {
            return Err(invalid(
                top,
                "a scenario needs at least one [[boxes]] table".into(),
            ));
        }
        let mut names = BTreeSet::new();
        for b in &s.boxes {
            let at = b.span().start;
            let b = b.get_ref();
            let name = &b.name;
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
            {
                return Err(invalid(
                    at,
                    format!("box name `{name}`: use letters, digits, `-`, `_` or `.`"),
                ));
            }
            if !names.insert(name.clone()) {
                return Err(invalid(at, format!("box name `{name}` is used twice")));
            }
            if b.threshold == 0 {
                return Err(invalid(
                    at,
                    format!("box `{name}`: threshold must be at least 1"),
                ));
            }
            if b.rules.is_empty() {
                return Err(invalid(at, format!("box `{name}` has no [[boxes.rules]]")));
            }
            for (i, r) in b.rules.iter().enumerate() {
                let rat = r.span().start;
                let r = r.get_ref();
                if !r.has_selector() && r.hours.is_none() && r.max_duration.is_none() {
                    return Err(invalid(
                        rat,
                        format!(
                            "box `{name}`, rule {}: matches everything; give `on` or a selector",
                            i + 1
                        ),
                    ));
                }
                let (need, field) = r.needs();
                if need > b.scope {
                    return Err(invalid(
                        rat,
                        format!(
                            "box `{name}`, rule {}: `{field}` is outside the box's data scope `{}` \
                             (it needs scope `{}`)",
                            i + 1,
                            b.scope.name(),
                            need.name()
                        ),
                    ));
                }
                if r.threshold == Some(0) {
                    return Err(invalid(
                        rat,
                        format!("box `{name}`, rule {}: threshold must be at least 1", i + 1),
                    ));
                }
                if r.distinct == Some(0) {
                    return Err(invalid(
                        rat,
                        format!("box `{name}`, rule {}: distinct must be at least 1", i + 1),
                    ));
                }
            }
            if b.system == Some(System::L851) {
                let p = s.policy.with(&b.policy);
                check_regime(p.regime, b).map_err(|m| invalid(at, format!("box `{name}`: {m}")))?;
            }
        }
        if let Err((i, m)) = s.policy_errors() {
            let at = i.map(|i| s.boxes[i].span().start).unwrap_or(top);
            return Err(invalid(at, m));
        }
        Ok(s)
    }

    /// Checks each box's commission rule (as [`Scenario::parse`] does): a
    /// message naming the box, for a sweep's point.
    pub fn check_policy(&self) -> Result<(), String> {
        self.policy_errors().map_err(|(_, m)| m)
    }

    /// The first commission rule that cannot work, with the box it belongs
    /// to (none: the scenario's own).
    fn policy_errors(&self) -> Result<(), (Option<usize>, String)> {
        for (i, b) in self.boxes().enumerate() {
            let name = &b.name;
            let p = self.policy.with(&b.policy);
            check_commission(&p.commission).map_err(|m| (Some(i), format!("box `{name}`: {m}")))?;
            if p.commission.needs_ground_truth()
                && p.commission.assumed_relevance.is_none()
                && !self.has_ground_truth()
            {
                return Err((
                    Some(i),
                    format!(
                        "box `{name}`: the commission's min_precision or min_confirmed counts \
                         real targets, and this scenario has no ground truth (no [source] labels, \
                         no generated population): without it no flagged subscriber is ever \
                         confirmed and renewal is refused after the first window. Give a labels \
                         file, drop the rule, or state an assumption: [policy.commission] \
                         assumed_relevance = 0.1 (the share of flagged subscribers the services \
                         would find relevant)"
                    ),
                ));
            }
        }
        check_commission(&self.policy.commission).map_err(|m| (None, m))
    }

    /// The boxes, without their positions.
    pub fn boxes(&self) -> impl Iterator<Item = &BoxSpec> {
        self.boxes.iter().map(|b| b.get_ref())
    }

    /// Whether the run will know who is a real target: a generated
    /// population, a labels file, or `x.labels.csv` beside a single capture.
    pub fn has_ground_truth(&self) -> bool {
        self.source.generate.is_some()
            || self.source.labels.is_some()
            || matches!(self.source.captures.as_slice(),
                [c] if c.is_file() && crate::generate::labels_path(c).is_file())
    }
}

fn check_commission(c: &Commission) -> Result<(), String> {
    let has = c.min_precision.is_some()
        || c.min_alerts.is_some()
        || c.max_alerts.is_some()
        || c.min_confirmed.is_some();
    match (c.rule, has) {
        (CommissionRule::Thresholds, false) => Err(
            "commission rule `thresholds` needs min_precision, min_alerts, max_alerts or min_confirmed"
                .into(),
        ),
        (CommissionRule::Always | CommissionRule::Never, true) => Err(
            "commission thresholds are given but the rule is not `thresholds`".into(),
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
