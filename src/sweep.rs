//! `ivraie sweep`: one scenario over a grid of parameter values.
//!
//! The traffic is read (or generated) and dissected once and streams past
//! every point's boxes side by side ([`simulator::run_points`]): each point of
//! the grid is the scenario with some keys changed, and nothing of the traffic
//! is kept. Every point keeps its full outputs in `DIR/points/NNN/`;
//! `DIR/sweep.csv` has one row per point and box.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::output::write_atomically;
use crate::record::csv_row;
use crate::scenario::{CommissionRule, Scenario, Span};
use crate::simulator::{self, Report, RunOptions, SimError};

/// A key a sweep can vary.
#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    /// `box.NAME.threshold`.
    Threshold(String),
    /// `box.NAME.window`.
    Window(String),
    /// `box.NAME.cooldown`.
    Cooldown(String),
    /// `policy.retention`: how long boxes keep their raw input (boxes that
    /// set their own keep theirs).
    Retention,
    /// `reference.population`: the population rates are extrapolated to.
    ReferencePopulation,
    /// `policy.commission.rule`: `always`, `never` or `thresholds` (`always`
    /// and `never` drop the scenario's thresholds).
    CommissionRule,
    /// `policy.commission.min_precision` (a rate: `0.5` or `50%`).
    MinPrecision,
    /// `policy.commission.min_alerts`, `max_alerts` or `min_confirmed` (the
    /// field's name).
    CommissionCount(&'static str),
    /// `source.generate.FIELD`: a parameter of the generated population (the
    /// traffic itself changes, so points that differ in it are generated
    /// and read again, once per distinct population).
    Population(String),
}

impl Key {
    /// Whether the key changes the traffic, not only what the boxes do with it.
    pub fn changes_traffic(&self) -> bool {
        matches!(self, Key::Population(_))
    }
}

/// One value of a key.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A count.
    Count(u64),
    /// A duration.
    Span(Span),
    /// A rate in [0, 1].
    Rate(f64),
    /// A commission rule.
    Rule(CommissionRule),
    /// A number or `true`/`false`, as written (a population parameter).
    Raw(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            Value::Span(s) => write!(f, "{s}"),
            Value::Rate(x) => write!(f, "{x}"),
            Value::Rule(r) => f.write_str(r.name()),
            Value::Raw(t) => f.write_str(t),
        }
    }
}

/// One `--set`: a key and the values it takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The key as written (`box.watch.threshold`).
    pub name: String,
    /// Which key.
    pub key: Key,
    /// Its values, in order.
    pub values: Vec<Value>,
}

/// Most points in a grid.
pub const MAX_POINTS: usize = 10_000;

/// The keys, for messages and `--help`.
pub const KEYS: &str = "box.NAME.threshold, box.NAME.window, box.NAME.cooldown, \
     policy.retention, policy.commission.rule, policy.commission.min_precision, \
     policy.commission.min_alerts, policy.commission.max_alerts, \
     policy.commission.min_confirmed, reference.population and source.generate.FIELD";

/// Parses `box.NAME.threshold=1..10` (inclusive range), `=1,2,5` (list),
/// `box.NAME.window=1d,7d,30d`, `policy.commission.rule=always,thresholds`,
/// `policy.commission.min_precision=10%,0.5` or
/// `source.generate.target_tor_share=0,0.5,1`.
pub fn parse_set(s: &str) -> Result<Axis, String> {
    let (name, values) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: write KEY=VALUES, e.g. box.watch.threshold=1..10"))?;
    let parts: Vec<&str> = name.split('.').collect();
    let key = match parts.as_slice() {
        ["policy", "retention"] => Key::Retention,
        ["reference", "population"] => Key::ReferencePopulation,
        ["policy", "commission", "rule"] => Key::CommissionRule,
        ["policy", "commission", "min_precision"] => Key::MinPrecision,
        [
            "policy",
            "commission",
            f @ ("min_alerts" | "max_alerts" | "min_confirmed"),
        ] => Key::CommissionCount(match *f {
            "min_alerts" => "min_alerts",
            "max_alerts" => "max_alerts",
            _ => "min_confirmed",
        }),
        ["policy", "commission", f] => {
            return Err(format!(
                "`{name}`: `{f}` cannot be swept (rule, min_precision, min_alerts, max_alerts \
                 or min_confirmed)"
            ));
        }
        ["source", "generate", f] if !f.is_empty() => Key::Population(f.to_string()),
        ["box", b, field] if !b.is_empty() => match *field {
            "threshold" => Key::Threshold(b.to_string()),
            "window" => Key::Window(b.to_string()),
            "cooldown" => Key::Cooldown(b.to_string()),
            _ => {
                return Err(format!(
                    "`{name}`: `{field}` cannot be swept (threshold, window or cooldown)"
                ));
            }
        },
        _ => {
            return Err(format!("`{name}`: the keys a sweep can set are {KEYS}"));
        }
    };
    let list = || values.split(',').map(str::trim);
    let values = match key {
        Key::Threshold(_) | Key::ReferencePopulation => parse_counts(values)?
            .into_iter()
            .map(Value::Count)
            .collect(),
        Key::CommissionCount(_) => list()
            .map(|t| {
                t.parse::<u64>()
                    .map(Value::Count)
                    .map_err(|_| format!("`{t}` is not a count"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Key::MinPrecision => list()
            .map(|t| {
                let x = match t.strip_suffix('%') {
                    Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
                    None => t.parse::<f64>(),
                };
                match x {
                    Ok(x) if (0.0..=1.0).contains(&x) => Ok(Value::Rate(x)),
                    _ => Err(format!(
                        "`{t}` is not a rate between 0 and 1 (write 0.05 or 5%)"
                    )),
                }
            })
            .collect::<Result<Vec<_>, _>>()?,
        Key::CommissionRule => list()
            .map(|t| {
                CommissionRule::parse(t)
                    .map(Value::Rule)
                    .ok_or_else(|| format!("`{t}` is not a rule (always, never or thresholds)"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Key::Population(_) => list()
            .map(|t| {
                if t == "true" || t == "false" || t.parse::<f64>().is_ok_and(f64::is_finite) {
                    Ok(Value::Raw(t.to_string()))
                } else {
                    Err(format!("`{t}` is not a number, `true` or `false`"))
                }
            })
            .collect::<Result<Vec<_>, _>>()?,
        Key::Window(_) | Key::Cooldown(_) | Key::Retention => list()
            .map(|v| Span::parse(v).map(Value::Span))
            .collect::<Result<Vec<_>, _>>()?,
    };
    if values.is_empty() {
        return Err(format!("`{s}`: no values"));
    }
    Ok(Axis {
        name: name.to_string(),
        key,
        values,
    })
}

fn parse_counts(v: &str) -> Result<Vec<u64>, String> {
    let num = |t: &str| -> Result<u64, String> {
        match t.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(format!("`{t}` is not a count of at least 1")),
        }
    };
    if let Some((a, b)) = v.split_once("..") {
        let (a, b) = (num(a)?, num(b.trim_start_matches('='))?);
        if a > b || b - a >= MAX_POINTS as u64 {
            return Err(format!(
                "`{v}`: write a range low..high with at most {MAX_POINTS} values"
            ));
        }
        Ok((a..=b).collect())
    } else {
        v.split(',').map(num).collect()
    }
}

/// The grid: every combination of the axes' values.
pub fn grid(axes: &[Axis]) -> Result<Vec<Vec<Value>>, String> {
    let mut points: Vec<Vec<Value>> = vec![Vec::new()];
    for a in axes {
        if points.len() * a.values.len() > MAX_POINTS {
            return Err(format!("the grid has more than {MAX_POINTS} points"));
        }
        points = points
            .into_iter()
            .flat_map(|p| {
                a.values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push(v.clone());
                    q
                })
            })
            .collect();
    }
    Ok(points)
}

/// The scenario at one point of the grid, checked as a scenario file is.
pub fn apply(s: &Scenario, axes: &[Axis], point: &[Value]) -> Result<Scenario, String> {
    let mut s = s.clone();
    let wrong = |a: &Axis, v: &Value| format!("`{}`: value {v} of the wrong kind", a.name);
    // The rule as set at this point, applied after the thresholds: setting a
    // threshold makes the rule `thresholds` unless the point sets the rule.
    let mut rule = None;
    let mut population = None;
    for (a, v) in axes.iter().zip(point) {
        let c = &mut s.policy.commission;
        let name = match (&a.key, v) {
            (Key::Threshold(n) | Key::Window(n) | Key::Cooldown(n), _) => n,
            (Key::Retention, Value::Span(r)) => {
                s.policy.retention = *r;
                continue;
            }
            (Key::ReferencePopulation, Value::Count(n)) => {
                s.reference.population = *n;
                continue;
            }
            (Key::CommissionRule, Value::Rule(r)) => {
                rule = Some(*r);
                continue;
            }
            (Key::MinPrecision, Value::Rate(x)) => {
                c.min_precision = Some(crate::scenario::Fraction(*x));
                c.rule = CommissionRule::Thresholds;
                continue;
            }
            (Key::CommissionCount(f), Value::Count(n)) => {
                *match *f {
                    "min_alerts" => &mut c.min_alerts,
                    "max_alerts" => &mut c.max_alerts,
                    _ => &mut c.min_confirmed,
                } = Some(*n);
                c.rule = CommissionRule::Thresholds;
                continue;
            }
            (Key::Population(f), Value::Raw(t)) => {
                let g = s.source.generate.as_ref().ok_or_else(|| {
                    format!(
                        "`{}`: the scenario reads captures; population parameters need a \
                         [source.generate] table",
                        a.name
                    )
                })?;
                let mut fields = population
                    .take()
                    .unwrap_or_else(|| serde_json::to_value(g).unwrap_or_default());
                let slot = fields
                    .get_mut(f.as_str())
                    .filter(|_| f != "lookalikes")
                    .ok_or_else(|| {
                        format!(
                            "`{}`: the generated population has no parameter `{f}`",
                            a.name
                        )
                    })?;
                *slot = serde_json::from_str(t).map_err(|_| wrong(a, v))?;
                population = Some(fields);
                continue;
            }
            _ => return Err(wrong(a, v)),
        };
        let b = s
            .boxes
            .iter_mut()
            .map(|b| b.get_mut())
            .find(|b| &b.name == name)
            .ok_or_else(|| format!("`{}`: the scenario has no box `{name}`", a.name))?;
        match (&a.key, v) {
            (Key::Threshold(_), Value::Count(n)) => b.threshold = *n,
            (Key::Window(_), Value::Span(w)) => b.window = *w,
            (Key::Cooldown(_), Value::Span(c)) => b.cooldown = Some(*c),
            _ => return Err(wrong(a, v)),
        }
    }
    if let Some(r) = rule {
        let c = &mut s.policy.commission;
        c.rule = r;
        if r != CommissionRule::Thresholds {
            // No threshold applies under `always` or `never`.
            c.min_precision = None;
            c.min_alerts = None;
            c.max_alerts = None;
            c.min_confirmed = None;
        }
    }
    if let Some(fields) = population {
        let g: crate::generate::Population =
            serde_json::from_value(fields).map_err(|e| format!("source.generate: {e}"))?;
        g.validate().map_err(|e| format!("source.generate: {e}"))?;
        s.source.generate = Some(g);
    }
    s.check_policy()?;
    Ok(s)
}

/// What a sweep produced.
pub struct Swept {
    /// The axes.
    pub axes: Vec<Axis>,
    /// Each point's values and report, in grid order.
    pub points: Vec<(Vec<Value>, Report)>,
    /// Seconds spent reading and dissecting the traffic.
    pub prepare_s: f64,
    /// Times the traffic was read: once, or once per distinct population when
    /// a `source.generate` key is swept.
    pub reads: usize,
    /// Seconds for the whole sweep.
    pub wall_s: f64,
    /// With replicates: each replicate's rows, by point (`(point, row)`).
    pub replicate_rows: Vec<(usize, crate::replicate::Row)>,
    /// With replicates: each point's boxes' spreads (empty without).
    pub spreads: Vec<Vec<crate::replicate::BoxSpread>>,
}

/// Runs the grid. Points run on `opts.threads` threads; each writes its full
/// outputs into `DIR/points/NNN/`.
pub fn run(
    s: &Scenario,
    scenario_file: &Path,
    axes: Vec<Axis>,
    opts: &RunOptions,
) -> Result<Swept, SweepError> {
    run_replicated(s, scenario_file, axes, opts, 1)
}

/// [`run`], then, if `replicates` > 1, the whole grid again on that many
/// independently drawn populations (into `DIR/replicates/<k>/points/NNN/`):
/// each point's rates get their spread across populations.
pub fn run_replicated(
    s: &Scenario,
    scenario_file: &Path,
    axes: Vec<Axis>,
    opts: &RunOptions,
    replicates: u32,
) -> Result<Swept, SweepError> {
    let started = Instant::now();
    let points = grid(&axes).map_err(SweepError::Grid)?;
    let variants: Vec<Scenario> = points
        .iter()
        .map(|p| apply(s, &axes, p))
        .collect::<Result<_, _>>()
        .map_err(SweepError::Grid)?;
    simulator::create_private_dir(&opts.out_dir).map_err(|source| SweepError::Output {
        path: opts.out_dir.clone(),
        source,
    })?;
    let (reports, prepare_s, reads) = run_grouped(&variants, scenario_file, &opts.out_dir, opts)?;
    let mut replicate_rows = Vec::new();
    let mut spreads = Vec::new();
    if replicates > 1 {
        for (k, seed, sk) in crate::replicate::drawn(s, replicates)? {
            let dir = opts.out_dir.join("replicates").join(k.to_string());
            let variants: Vec<Scenario> = points
                .iter()
                .map(|p| apply(&sk, &axes, p))
                .collect::<Result<_, _>>()
                .map_err(SweepError::Grid)?;
            let quiet = RunOptions {
                progress: false,
                ..opts.clone()
            };
            let (reports, _, _) = run_grouped(&variants, scenario_file, &dir, &quiet)?;
            for (i, r) in reports.iter().enumerate() {
                replicate_rows.extend(
                    crate::replicate::rows_of(k, seed, r)
                        .into_iter()
                        .map(|row| (i, row)),
                );
            }
        }
        spreads = (0..points.len())
            .map(|i| {
                let rows: Vec<crate::replicate::Row> = replicate_rows
                    .iter()
                    .filter(|(p, _)| *p == i)
                    .map(|(_, r)| r.clone())
                    .collect();
                crate::replicate::spreads(&rows)
            })
            .collect();
    }
    let out: Vec<(Vec<Value>, Report)> = points.into_iter().zip(reports).collect();
    Ok(Swept {
        axes,
        points: out,
        prepare_s,
        reads,
        wall_s: started.elapsed().as_secs_f64(),
        replicate_rows,
        spreads,
    })
}

/// Runs the points into `dir/points/NNN/`, side by side over one stream of
/// the traffic for each distinct traffic (points that differ only in what
/// the boxes do share one read); returns the reports in the points' order,
/// the seconds spent reading, and the number of reads.
fn run_grouped(
    variants: &[Scenario],
    scenario_file: &Path,
    dir: &Path,
    opts: &RunOptions,
) -> Result<(Vec<Report>, f64, usize), SimError> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|g| variants[g[0]].source.generate == v.source.generate)
        {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut reports: Vec<Option<Report>> = variants.iter().map(|_| None).collect();
    let mut prepare_s = 0.0;
    for g in &groups {
        let runs: Vec<(&Scenario, RunOptions)> = g
            .iter()
            .map(|&i| {
                let o = RunOptions {
                    out_dir: point_dir(dir, i),
                    ..opts.clone()
                };
                (&variants[i], o)
            })
            .collect();
        let (rs, s) = simulator::run_points(&variants[g[0]], scenario_file, &runs)?;
        prepare_s += s;
        for (&i, r) in g.iter().zip(rs) {
            reports[i] = Some(r);
        }
    }
    Ok((
        reports.into_iter().flatten().collect(),
        prepare_s,
        groups.len(),
    ))
}

/// Columns added to `sweep.csv` by replicates.
pub const REPLICATE_COLUMNS: &[&str] = &[
    "replicates",
    "fpr_mean",
    "fpr_sd",
    "fpr_p025",
    "fpr_p975",
    "recall_mean",
    "recall_sd",
    "recall_p025",
    "recall_p975",
];

/// `DIR/replicates.csv` of a replicated sweep: one row per replicate, point
/// and box.
pub fn replicates_csv(sw: &Swept) -> String {
    let mut out = String::from("replicate,seed,point,box,tp,fp,fn,tn\n");
    for (i, r) in &sw.replicate_rows {
        out.push_str(&format!(
            "{},{},{i},{},{},{},{},{}\n",
            r.replicate, r.seed, r.r#box, r.tp, r.fp, r.fn_, r.tn
        ));
    }
    out
}

/// `DIR/points/007`.
pub fn point_dir(dir: &Path, i: usize) -> PathBuf {
    dir.join("points").join(format!("{i:03}"))
}

/// A sweep that could not be done.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A `--set` does not fit the scenario.
    #[error("{0}")]
    Grid(String),
    /// A run failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// An output could not be written.
    #[error("{path}: {source}")]
    Output {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A file of the sweep could not be written.
    #[error(transparent)]
    Write(#[from] crate::pipeline::PipelineError),
}

impl From<crate::output::WriteError> for SweepError {
    fn from(e: crate::output::WriteError) -> SweepError {
        SweepError::Output {
            path: e.path,
            source: e.source,
        }
    }
}

/// Columns of `sweep.csv` after the swept keys.
pub const COLUMNS: &[&str] = &[
    "point",
    "box",
    "alerts",
    "flagged",
    "tp",
    "fp",
    "fn",
    "tn",
    "precision",
    "recall",
    "fpr",
    "snr",
    "snr_db",
    "false_per_true",
    "retained_bytes",
    "inspected_bytes",
    "reference_ppv",
    "reference_false_alerts",
];

fn num(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite())
        .map(|v| format!("{v}"))
        .unwrap_or_default()
}

/// The rows of `sweep.csv`: one per point and box.
pub fn rows(sw: &Swept) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (i, (values, report)) in sw.points.iter().enumerate() {
        for b in &report.boxes {
            let mut row: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            let j = b.judged.as_ref();
            let c = j.map(|j| j.confusion);
            let cell = |f: fn(&crate::measure::Confusion) -> u64| {
                c.map(|c| f(&c).to_string()).unwrap_or_default()
            };
            row.extend([
                i.to_string(),
                b.name.clone(),
                b.alerts.to_string(),
                b.flagged.to_string(),
                cell(|c| c.tp),
                cell(|c| c.fp),
                cell(|c| c.fn_),
                cell(|c| c.tn),
                num(j.and_then(|j| j.precision).map(|e| e.value)),
                num(j.and_then(|j| j.recall).map(|e| e.value)),
                num(j.and_then(|j| j.fpr).map(|e| e.value)),
                num(j.and_then(|j| j.snr.ratio)),
                num(j.and_then(|j| j.snr.db)),
                num(j.and_then(|j| j.snr.false_per_true)),
                b.retained.bytes.to_string(),
                b.inspected.bytes.to_string(),
                num(b
                    .extrapolation
                    .as_ref()
                    .and_then(|x| x.ppv)
                    .map(|e| e.value)),
                num(b.extrapolation.as_ref().map(|x| x.expected_false.value)),
            ]);
            if let Some(point) = sw.spreads.get(i) {
                let n = sw
                    .replicate_rows
                    .iter()
                    .filter(|(p, r)| *p == i && r.r#box == b.name)
                    .count();
                let sp = point.iter().find(|x| x.r#box == b.name);
                let four = |s: Option<&crate::replicate::Spread>| {
                    [
                        num(s.map(|s| s.mean)),
                        num(s.map(|s| s.sd)),
                        num(s.map(|s| s.p025)),
                        num(s.map(|s| s.p975)),
                    ]
                };
                row.push(n.to_string());
                row.extend(four(sp.map(|x| &x.fpr)));
                row.extend(four(sp.and_then(|x| x.recall.as_ref())));
            }
            rows.push(row);
        }
    }
    rows
}

/// `sweep.csv`'s bytes: the swept keys, then [`COLUMNS`], one row per point and box.
pub fn csv_bytes(sw: &Swept) -> Vec<u8> {
    let mut header: Vec<String> = sw.axes.iter().map(|a| a.name.clone()).collect();
    header.extend(COLUMNS.iter().map(|c| c.to_string()));
    if !sw.spreads.is_empty() {
        header.extend(REPLICATE_COLUMNS.iter().map(|c| c.to_string()));
    }
    let mut buf = Vec::new();
    csv_row(&mut buf, &header);
    for r in rows(sw) {
        csv_row(&mut buf, &r);
    }
    buf
}

/// Writes `DIR/sweep.csv`.
pub fn write_csv(dir: &Path, sw: &Swept) -> Result<PathBuf, SweepError> {
    let path = dir.join("sweep.csv");
    write_atomically(&path, |w| w.write_all(&csv_bytes(sw)))?;
    Ok(path)
}

/// Writes `DIR/sweep.html`: per box, precision, recall and the false-positive
/// rate against the first swept key, and the trade-off (recall against the
/// false-positive rate, one point per grid point), one self-contained page.
pub fn write_html(dir: &Path, sw: &Swept, scenario_name: &str) -> Result<PathBuf, SweepError> {
    use crate::report::charts::{lines_svg, with_id};
    use crate::report::html::{escape, page, slug};
    let path = dir.join("sweep.html");
    let x_name = sw.axes.first().map(|a| a.name.as_str()).unwrap_or("point");
    let x_of = |values: &[Value], i: usize| match values.first() {
        Some(Value::Count(n)) => *n as f64,
        Some(Value::Span(s)) => s.after(0) as f64 / 86_400e9,
        Some(Value::Rate(x)) => *x,
        Some(Value::Raw(t)) => t.parse().unwrap_or(i as f64),
        Some(Value::Rule(_)) | None => i as f64,
    };
    let x_unit = match sw.axes.first().map(|a| &a.key) {
        Some(Key::Threshold(_)) => "matching events",
        Some(Key::ReferencePopulation) => "people",
        Some(Key::MinPrecision) => "rate",
        Some(Key::CommissionCount(_)) => "people flagged",
        Some(Key::Population(_)) => "the parameter's unit",
        Some(Key::CommissionRule) => "point",
        Some(Key::Window(_) | Key::Cooldown(_) | Key::Retention) => "days",
        None => "point",
    };
    let mut boxes: Vec<String> = Vec::new();
    for (_, r) in &sw.points {
        for b in &r.boxes {
            if !boxes.contains(&b.name) {
                boxes.push(b.name.clone());
            }
        }
    }
    let mut body = format!(
        "<h1>Sweep of {}</h1>\n<p>{} points over <code>{}</code>{}; the traffic was read {} \
         ({:.1} s), the whole sweep took {:.1} s. The numbers are in <code>sweep.csv</code>; each \
         point's full run is in <code>points/</code>.</p>\n",
        escape(scenario_name),
        sw.points.len(),
        escape(x_name),
        if sw.axes.len() > 1 {
            " (other keys vary too: one curve per combination is not drawn; see the CSV)"
        } else {
            ""
        },
        match sw.reads {
            1 => "once".to_string(),
            n => format!("{n} times, once per population"),
        },
        sw.prepare_s,
        sw.wall_s
    );
    for name in &boxes {
        let mut precision = Vec::new();
        let mut recall = Vec::new();
        let mut fpr = Vec::new();
        let mut roc = Vec::new();
        for (i, (values, r)) in sw.points.iter().enumerate() {
            let Some(b) = r.boxes.iter().find(|b| &b.name == name) else {
                continue;
            };
            let x = x_of(values, i);
            let Some(j) = &b.judged else { continue };
            if let Some(p) = j.precision {
                precision.push((x, p.value));
            }
            if let Some(p) = j.recall {
                recall.push((x, p.value));
            }
            if let Some(p) = j.fpr {
                fpr.push((x, p.value));
            }
            if let (Some(f), Some(t)) = (j.fpr, j.recall) {
                roc.push((f.value, t.value));
            }
        }
        body.push_str(&format!("<h2>Box {}</h2>\n", escape(name)));
        if recall.is_empty() {
            body.push_str("<p>No ground truth: true and false alerts cannot be told apart.</p>\n");
            continue;
        }
        roc.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let id = slug(name);
        let rates = lines_svg(
            &format!("{name}: rates against {x_name}"),
            &format!("{x_name} ({x_unit})"),
            "rate (0 to 1)",
            &[
                ("precision".to_string(), precision),
                ("recall".to_string(), recall),
                ("false-positive rate".to_string(), fpr),
            ],
            Some((0.0, 1.0)),
        );
        let trade = lines_svg(
            &format!("{name}: real targets found against innocent people flagged"),
            "false-positive rate (share of innocent people flagged)",
            "recall (share of real targets flagged)",
            &[("one point per grid point".to_string(), roc)],
            Some((0.0, 1.0)),
        );
        body.push_str(&with_id(
            &rates,
            &format!("sweep-{id}-rates"),
            "precision, recall and false-positive rate",
        ));
        body.push_str(&with_id(
            &trade,
            &format!("sweep-{id}-tradeoff"),
            "recall against false-positive rate",
        ));
    }
    let html = page(&format!("ivraie sweep: {scenario_name}"), &body);
    write_atomically(&path, |w| w.write_all(html.as_bytes()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_parse_into_axes_and_grids() {
        let a = parse_set("box.watch.threshold=1..4").unwrap();
        assert_eq!(a.key, Key::Threshold("watch".into()));
        assert_eq!(a.values, (1..=4).map(Value::Count).collect::<Vec<_>>());
        let b = parse_set("box.watch.window=1d,7d").unwrap();
        assert_eq!(b.values.len(), 2);
        assert_eq!(
            parse_set("box.w.threshold=2,5").unwrap().values,
            vec![Value::Count(2), Value::Count(5)]
        );
        let g = grid(&[a, b]).unwrap();
        assert_eq!(g.len(), 8);
        assert_eq!(
            g[1],
            vec![Value::Count(1), Value::Span(Span::parse("7d").unwrap())]
        );
        assert!(parse_set("box.watch.threshold=0..3").is_err());
        assert!(parse_set("box.watch.threshold=5..3").is_err());
        assert!(
            parse_set("box.watch.scope=urls")
                .unwrap_err()
                .contains("cannot be swept")
        );
        assert!(parse_set("threshold=3").is_err());
        assert!(parse_set("box.watch.window=7 fortnights").is_err());
        assert!(parse_set("box.watch.threshold=1..20000").is_err());
    }

    #[test]
    fn the_retention_and_the_reference_population_can_be_set() {
        let s = Scenario::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/classroom.toml"
        )))
        .unwrap();
        let r = parse_set("policy.retention=1h,7d").unwrap();
        assert_eq!(r.key, Key::Retention);
        let p = parse_set("reference.population=1000000").unwrap();
        assert_eq!(p.values, vec![Value::Count(1_000_000)]);
        let v = apply(
            &s,
            &[r.clone(), p.clone()],
            &[r.values[1].clone(), p.values[0].clone()],
        )
        .unwrap();
        assert_eq!(v.policy.retention, Span::parse("7d").unwrap());
        assert_eq!(v.reference.population, 1_000_000);
        assert!(
            parse_set("policy.renewal=1d")
                .unwrap_err()
                .contains("policy.retention")
        );
        assert!(parse_set("reference.population=many").is_err());
    }

    fn classroom() -> Scenario {
        Scenario::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/classroom.toml"
        )))
        .unwrap()
    }

    fn one(s: &Scenario, sets: &[&str]) -> Result<Scenario, String> {
        let axes: Vec<Axis> = sets.iter().map(|t| parse_set(t).unwrap()).collect();
        let point: Vec<Value> = axes.iter().map(|a| a.values[0].clone()).collect();
        apply(s, &axes, &point)
    }

    #[test]
    fn the_commission_rule_can_be_set() {
        let s = classroom();
        let r = parse_set("policy.commission.rule=always,never,thresholds").unwrap();
        assert_eq!(r.values[1], Value::Rule(CommissionRule::Never));
        assert_eq!(r.values[2].to_string(), "thresholds");
        let m = parse_set("policy.commission.min_precision=10%,0.5").unwrap();
        assert_eq!(m.values, vec![Value::Rate(0.1), Value::Rate(0.5)]);
        // A threshold alone makes the rule `thresholds`.
        let v = one(&s, &["policy.commission.min_precision=25%"]).unwrap();
        assert_eq!(v.policy.commission.rule, CommissionRule::Thresholds);
        assert_eq!(v.policy.commission.min_precision.map(|f| f.0), Some(0.25));
        let v = one(&s, &["policy.commission.min_confirmed=2"]).unwrap();
        assert_eq!(v.policy.commission.min_confirmed, Some(2));
        // `never` drops the thresholds the point or the scenario gave.
        let v = one(
            &s,
            &[
                "policy.commission.min_precision=25%",
                "policy.commission.rule=never",
            ],
        )
        .unwrap();
        assert_eq!(v.policy.commission.rule, CommissionRule::Never);
        assert_eq!(v.policy.commission.min_precision, None);
        // `thresholds` with none given is refused as in a scenario file.
        let e = one(&s, &["policy.commission.rule=thresholds"]).unwrap_err();
        assert!(e.contains("needs min_precision"), "{e}");
        for bad in [
            "policy.commission.rule=sometimes",
            "policy.commission.min_precision=150%",
            "policy.commission.min_precision=half",
            "policy.commission.max_alerts=-1",
        ] {
            assert!(parse_set(bad).is_err(), "{bad}");
        }
        assert!(
            parse_set("policy.commission.first_renewal=2m")
                .unwrap_err()
                .contains("cannot be swept")
        );
    }

    #[test]
    fn population_parameters_can_be_set_and_are_checked() {
        let s = classroom();
        let v = one(
            &s,
            &[
                "source.generate.target_tor_share=0.5",
                "source.generate.population=300",
                "source.generate.households=true",
            ],
        )
        .unwrap();
        let g = v.source.generate.as_ref().unwrap();
        assert_eq!(g.target_tor_share, 0.5);
        assert_eq!(g.population, 300);
        assert!(g.households);
        // The rest is the scenario's.
        assert_eq!(g.days, 120);
        assert!(parse_set("source.generate.population=many").is_err());
        let e = one(&s, &["source.generate.target_tor_share=2"]).unwrap_err();
        assert!(e.contains("between 0 and 1"), "{e}");
        let e = one(&s, &["source.generate.tor=0.5"]).unwrap_err();
        assert!(e.contains("no parameter `tor`"), "{e}");
        let e = one(&s, &["source.generate.population=2.5"]).unwrap_err();
        assert!(e.contains("source.generate"), "{e}");
        assert!(
            !parse_set("box.w.threshold=2")
                .unwrap()
                .key
                .changes_traffic()
        );
        assert!(
            parse_set("source.generate.days=3")
                .unwrap()
                .key
                .changes_traffic()
        );
        let mut captures = s.clone();
        captures.source.generate = None;
        let e = one(&captures, &["source.generate.days=3"]).unwrap_err();
        assert!(e.contains("reads captures"), "{e}");
    }
}
