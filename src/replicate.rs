//! Replicates: the same scenario on independently drawn populations, so that
//! a rate comes with the spread it really has between populations of this
//! size — not only the binomial interval of one run.
//!
//! Replicate `k` regenerates the population with the seed
//! `mix(seed, k)`; everything else is the scenario's. Each replicate's full
//! outputs go to `DIR/replicates/<k>/`; `DIR/replicates.csv` has one row per
//! replicate and box; the summary gives, per box and rate, the mean, the
//! standard deviation, the 2.5th and 97.5th percentiles across replicates,
//! and how often a single run's 95% Wilson interval held the replicates'
//! pooled rate (its coverage, which should be about 95%).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::measure::{Estimate, wilson};
use crate::scenario::Scenario;
use crate::simulator::{self, RunOptions, SimError};

/// One box's figures in one replicate.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Replicate number.
    pub replicate: u32,
    /// The population's seed.
    pub seed: u64,
    /// The box.
    pub r#box: String,
    /// Real targets flagged.
    pub tp: u64,
    /// Innocent people flagged.
    pub fp: u64,
    /// Real targets missed.
    pub fn_: u64,
    /// Innocent people not flagged.
    pub tn: u64,
}

/// One rate across replicates.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Spread {
    /// Mean over replicates.
    pub mean: f64,
    /// Standard deviation over replicates.
    pub sd: f64,
    /// 2.5th percentile.
    pub p025: f64,
    /// 97.5th percentile.
    pub p975: f64,
    /// The pooled rate: all replicates' counts added up.
    pub pooled: f64,
    /// Share of replicates whose own 95% Wilson interval held the pooled rate.
    pub coverage: f64,
}

/// One box's rates across replicates.
#[derive(Clone, Debug, Serialize)]
pub struct BoxSpread {
    /// The box.
    pub r#box: String,
    /// False-positive rate.
    pub fpr: Spread,
    /// Recall.
    pub recall: Option<Spread>,
}

/// The seed of replicate `k`.
pub fn seed_of(seed: u64, k: u32) -> u64 {
    crate::generate::msg::mix64(seed ^ (u64::from(k) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Runs `n` replicates of `s` (which must generate its population) into
/// `opts.out_dir/replicates/<k>`. Returns the rows and the spreads.
pub fn run(
    s: &Scenario,
    scenario_file: &Path,
    opts: &RunOptions,
    n: u32,
) -> Result<(Vec<Row>, Vec<BoxSpread>), SimError> {
    let mut rows = Vec::new();
    for (k, seed, sk) in drawn(s, n)? {
        let o = RunOptions {
            out_dir: opts.out_dir.join("replicates").join(k.to_string()),
            progress: false,
            ..opts.clone()
        };
        let r = simulator::run(&sk, scenario_file, &o)?;
        rows.extend(rows_of(k, seed, &r));
    }
    let spreads = spreads(&rows);
    Ok((rows, spreads))
}

/// One replicate's rows: each judged box's confusion matrix.
pub fn rows_of(k: u32, seed: u64, r: &crate::simulator::Report) -> Vec<Row> {
    r.boxes
        .iter()
        .filter_map(|b| {
            let c = b.judged.as_ref()?.confusion;
            Some(Row {
                replicate: k,
                seed,
                r#box: b.name.clone(),
                tp: c.tp,
                fp: c.fp,
                fn_: c.fn_,
                tn: c.tn,
            })
        })
        .collect()
}

/// Each box's spreads over the replicates' rows, by box name.
pub fn spreads(rows: &[Row]) -> Vec<BoxSpread> {
    let names: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.r#box.as_str()).collect();
    names
        .iter()
        .map(|&name| {
            let of: Vec<&Row> = rows.iter().filter(|r| r.r#box == name).collect();
            BoxSpread {
                r#box: name.to_string(),
                fpr: spread(of.iter().map(|r| (r.fp, r.fp + r.tn))).unwrap_or_default(),
                recall: spread(of.iter().map(|r| (r.tp, r.tp + r.fn_))),
            }
        })
        .collect()
}

/// trials), or `None` if none has any.
pub fn spread(counts: impl Iterator<Item = (u64, u64)>) -> Option<Spread> {
    let counts: Vec<(u64, u64)> = counts.filter(|c| c.1 > 0).collect();
    if counts.is_empty() {
        return None;
    }
    let rates: Vec<f64> = counts.iter().map(|&(s, t)| s as f64 / t as f64).collect();
    let n = rates.len() as f64;
    let mean = rates.iter().sum::<f64>() / n;
    let sd = if rates.len() > 1 {
        (rates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let (s, t) = counts
        .iter()
        .fold((0u64, 0u64), |a, c| (a.0 + c.0, a.1 + c.1));
    let pooled = s as f64 / t as f64;
    let covered = counts
        .iter()
        .filter_map(|&(s, t)| wilson(s, t))
        .filter(|e: &Estimate| e.lo <= pooled && pooled <= e.hi)
        .count();
    let mut sorted = rates.clone();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((q * (n - 1.0)).round() as usize).min(sorted.len() - 1)];
    Some(Spread {
        mean,
        sd,
        p025: at(0.025),
        p975: at(0.975),
        pooled,
        coverage: covered as f64 / n,
    })
}

/// The scenario's `n` replicates: `(k, seed, scenario)`, each with its
/// population's seed derived from the scenario's.
pub fn drawn(s: &Scenario, n: u32) -> Result<Vec<(u32, u64, Scenario)>, SimError> {
    let Some(pop) = &s.source.generate else {
        return Err(SimError::Generate(
            "replicates draw new populations: the scenario needs a [source.generate] table".into(),
        ));
    };
    Ok((0..n)
        .map(|k| {
            let seed = seed_of(pop.seed, k);
            let mut sk = s.clone();
            if let Some(g) = &mut sk.source.generate {
                g.seed = seed;
            }
            (k, seed, sk)
        })
        .collect())
}

/// `replicates.csv`.
pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from("replicate,seed,box,tp,fp,fn,tn\n");
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            r.replicate, r.seed, r.r#box, r.tp, r.fp, r.fn_, r.tn
        );
    }
    out
}

/// The summary, a few lines per box.
pub fn summary(n: u32, spreads: &[BoxSpread]) -> String {
    let pct = |x: f64| crate::report::percent(x);
    let mut out = format!("{n} replicates (populations drawn anew, everything else the same):\n");
    for b in spreads {
        let line = |what: &str, s: &Spread| {
            format!(
                "  {what}: mean {} (sd {}), 95% of replicates between {} and {}; a single run's 95% \
                 interval held the pooled {} in {} of replicates\n",
                pct(s.mean),
                pct(s.sd),
                pct(s.p025),
                pct(s.p975),
                pct(s.pooled),
                pct(s.coverage)
            )
        };
        let _ = writeln!(out, "box {}", b.r#box);
        out.push_str(&line("false-positive rate", &b.fpr));
        if let Some(r) = &b.recall {
            out.push_str(&line("recall", r));
        }
    }
    out
}
