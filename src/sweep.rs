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
use crate::scenario::{Scenario, Span};
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
}

/// One value of a key.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A count.
    Count(u64),
    /// A duration.
    Span(Span),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            Value::Span(s) => write!(f, "{s}"),
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

/// Parses `box.NAME.threshold=1..10` (inclusive range), `=1,2,5` (list), or
/// `box.NAME.window=1d,7d,30d`.
pub fn parse_set(s: &str) -> Result<Axis, String> {
    let (name, values) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: write KEY=VALUES, e.g. box.watch.threshold=1..10"))?;
    let parts: Vec<&str> = name.split('.').collect();
    let key = match parts.as_slice() {
        ["policy", "retention"] => Key::Retention,
        ["reference", "population"] => Key::ReferencePopulation,
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
            return Err(format!(
                "`{name}`: the keys a sweep can set are box.NAME.threshold, box.NAME.window, \
                 box.NAME.cooldown, policy.retention and reference.population"
            ));
        }
    };
    let values = match key {
        Key::Threshold(_) | Key::ReferencePopulation => parse_counts(values)?
            .into_iter()
            .map(Value::Count)
            .collect(),
        _ => values
            .split(',')
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

/// The scenario at one point of the grid.
pub fn apply(s: &Scenario, axes: &[Axis], point: &[Value]) -> Result<Scenario, String> {
    let mut s = s.clone();
    for (a, v) in axes.iter().zip(point) {
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
            _ => return Err(format!("`{}`: value {v} of the wrong kind", a.name)),
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
            _ => return Err(format!("`{}`: value {v} of the wrong kind", a.name)),
        }
    }
    Ok(s)
}

/// What a sweep produced.
pub struct Swept {
    /// The axes.
    pub axes: Vec<Axis>,
    /// Each point's values and report, in grid order.
    pub points: Vec<(Vec<Value>, Report)>,
    /// Seconds spent reading and dissecting the traffic (once).
    pub prepare_s: f64,
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
    // The points' states side by side over one stream of the traffic.
    let runs: Vec<(&Scenario, RunOptions)> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            (
                v,
                RunOptions {
                    out_dir: point_dir(&opts.out_dir, i),
                    ..opts.clone()
                },
            )
        })
        .collect();
    let (reports, prepare_s) = simulator::run_points(s, scenario_file, &runs)?;
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
            let runs: Vec<(&Scenario, RunOptions)> = variants
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let o = RunOptions {
                        out_dir: point_dir(&dir, i),
                        progress: false,
                        ..opts.clone()
                    };
                    (v, o)
                })
                .collect();
            let (reports, _) = simulator::run_points(&sk, scenario_file, &runs)?;
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
        wall_s: started.elapsed().as_secs_f64(),
        replicate_rows,
        spreads,
    })
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
        None => i as f64,
    };
    let x_unit = match sw.axes.first().map(|a| &a.key) {
        Some(Key::Threshold(_)) => "matching events",
        Some(Key::ReferencePopulation) => "people",
        Some(_) => "days",
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
        "<h1>Sweep of {}</h1>\n<p>{} points over <code>{}</code>{}; the traffic was read once \
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
}
