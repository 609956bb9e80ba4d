//! Statistics of a run: proportions with confidence intervals, confusion matrices
//! against the ground truth, signal-to-noise, and the base-rate extrapolation
//! that shows how many innocent people a box flags for every real target.
//!
//! Pure functions over counts: this module knows nothing of output formats (the
//! `report` module prints what it computes) nor of how the counts were gathered.
//! Every value that can be undefined (a rate over zero trials, a ratio over zero)
//! is an `Option`, so no NaN or infinity ever reaches JSON.
//!
//! Intervals are 95% Wilson score intervals (E. B. Wilson, 1927), which stay
//! inside [0, 1] and behave at 0 and at n successes, where the textbook
//! normal-approximation interval collapses to a point.

use serde::{Deserialize, Serialize};

/// The normal quantile of a two-sided 95% interval.
pub const Z95: f64 = 1.959964;

/// A value with its 95% interval, `lo <= value <= hi`.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Estimate {
    /// The point estimate.
    pub value: f64,
    /// Lower bound of the 95% interval.
    pub lo: f64,
    /// Upper bound of the 95% interval.
    pub hi: f64,
}

/// The proportion `successes / trials` with its 95% Wilson score interval;
/// `None` when there are no trials. `successes` above `trials` count as `trials`.
///
/// With p = s/n and z = 1.959964: centre = (p + z²/2n) / (1 + z²/n),
/// half-width = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n).
pub fn wilson(successes: u64, trials: u64) -> Option<Estimate> {
    wilson_at(successes, trials, Z95)
}

/// z of a two-sided 97.5% interval: two rates each covered at 97.5% are
/// covered together at least 95% of the time (Bonferroni), so a quantity that
/// uses both, bounded at their intervals' corners, has a 95% interval.
pub const Z_JOINT95: f64 = 2.241_403;

/// The Wilson score interval at a given z.
pub fn wilson_at(successes: u64, trials: u64, z: f64) -> Option<Estimate> {
    if trials == 0 {
        return None;
    }
    let s = successes.min(trials);
    let n = trials as f64;
    let p = s as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // At 0 and n successes the bound is exactly 0 (or 1); rounding would leave
    // a 1e-17 instead.
    let lo = if s == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if s == trials {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    Some(Estimate { value: p, lo, hi })
}

/// A confusion matrix: a box's alerts judged against the ground truth, one count
/// per subscriber (or per whatever unit the caller counts).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Confusion {
    /// Targets flagged (true alerts).
    pub tp: u64,
    /// Innocent people flagged (false alerts).
    pub fp: u64,
    /// Targets not flagged.
    #[serde(rename = "fn")]
    pub fn_: u64,
    /// Innocent people not flagged.
    pub tn: u64,
}

/// Signal-to-noise of a box's alerts: true alerts against false ones.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Snr {
    /// Alerts about real targets.
    pub true_alerts: u64,
    /// Alerts about innocent people.
    pub false_alerts: u64,
    /// true : false, `tp / fp`; `None` when there is no false alert (the ratio
    /// would be infinite, or undefined with no alert at all).
    pub ratio: Option<f64>,
    /// The ratio in decibels, `10·log10(tp / fp)`; `None` when either count is 0.
    pub db: Option<f64>,
    /// Innocent people flagged per real target flagged, `fp / tp`; `None` when
    /// there is no true alert.
    pub false_per_true: Option<f64>,
}

impl Confusion {
    /// Everyone counted.
    pub fn total(&self) -> u64 {
        self.tp + self.fp + self.fn_ + self.tn
    }

    /// Real targets (flagged or not).
    pub fn targets(&self) -> u64 {
        self.tp + self.fn_
    }

    /// Alerts (true or false).
    pub fn alerts(&self) -> u64 {
        self.tp + self.fp
    }

    /// Precision (positive predictive value): the share of alerts that point at
    /// a real target, tp / (tp + fp). `None` without alerts.
    pub fn precision(&self) -> Option<Estimate> {
        wilson(self.tp, self.tp + self.fp)
    }

    /// Recall (true-positive rate): the share of targets flagged,
    /// tp / (tp + fn). `None` without targets.
    pub fn recall(&self) -> Option<Estimate> {
        wilson(self.tp, self.tp + self.fn_)
    }

    /// False-positive rate: the share of innocent people flagged,
    /// fp / (fp + tn). `None` without innocent people.
    pub fn fpr(&self) -> Option<Estimate> {
        wilson(self.fp, self.fp + self.tn)
    }

    /// True alerts against false alerts.
    pub fn snr(&self) -> Snr {
        let (tp, fp) = (self.tp, self.fp);
        Snr {
            true_alerts: tp,
            false_alerts: fp,
            ratio: (fp > 0).then(|| tp as f64 / fp as f64),
            db: (tp > 0 && fp > 0).then(|| 10.0 * (tp as f64 / fp as f64).log10()),
            false_per_true: (tp > 0).then(|| fp as f64 / tp as f64),
        }
    }

    /// Adds another matrix's counts (to pool windows, boxes or shards).
    pub fn add(&mut self, other: Confusion) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
        self.tn += other.tn;
    }
}

impl std::ops::AddAssign for Confusion {
    fn add_assign(&mut self, other: Confusion) {
        self.add(other);
    }
}

/// A population of `population` people of whom `targets` are real targets,
/// watched by a box that flags a share `tpr` of the targets and a share `fpr` of
/// everybody else.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct BaseRate {
    /// People watched.
    pub population: u64,
    /// Real targets among them.
    pub targets: u64,
    /// True-positive rate: the share of targets the box flags, in [0, 1].
    pub tpr: f64,
    /// False-positive rate: the share of innocent people the box flags, in [0, 1].
    pub fpr: f64,
}

/// What a [`BaseRate`] box is expected to flag.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Extrapolation {
    /// People watched.
    pub population: u64,
    /// Real targets among them.
    pub targets: u64,
    /// Share of targets flagged.
    pub tpr: f64,
    /// Share of innocent people flagged.
    pub fpr: f64,
    /// Expected alerts about real targets, targets × tpr.
    pub expected_true_alerts: f64,
    /// Expected alerts about innocent people, (population − targets) × fpr.
    pub expected_false_alerts: f64,
    /// Expected alerts in all.
    pub alerts: f64,
    /// The chance that an alert points at a real target, true alerts / alerts;
    /// `None` when no alert is expected.
    pub ppv: Option<f64>,
    /// Alerts to go through per real target found, alerts / true alerts ("one
    /// real target per 600 alerts"); `None` when no true alert is expected.
    pub alerts_per_target: Option<f64>,
    /// Innocent people flagged per real target flagged, false / true alerts;
    /// `None` when no true alert is expected.
    pub false_per_true: Option<f64>,
}

impl BaseRate {
    /// Checks the numbers make sense: someone to watch, no more targets than
    /// people, rates that are proportions.
    pub fn validate(&self) -> Result<(), String> {
        if self.population == 0 {
            return Err("the population must have at least one person".into());
        }
        if self.targets > self.population {
            return Err(format!(
                "{} targets is more than the population of {}",
                self.targets, self.population
            ));
        }
        for (name, r) in [("tpr", self.tpr), ("fpr", self.fpr)] {
            if !(0.0..=1.0).contains(&r) {
                return Err(format!(
                    "{name} {r} is not a rate between 0 and 1 (0% and 100%)"
                ));
            }
        }
        Ok(())
    }

    /// The expected alerts, true and false, and what they mean for whoever reads
    /// them. Call [`validate`](BaseRate::validate) first: out-of-range inputs give
    /// meaningless (though finite or `None`) numbers.
    pub fn extrapolate(&self) -> Extrapolation {
        let innocent = self.population.saturating_sub(self.targets) as f64;
        let t = self.targets as f64 * self.tpr;
        let f = innocent * self.fpr;
        let alerts = t + f;
        Extrapolation {
            population: self.population,
            targets: self.targets,
            tpr: self.tpr,
            fpr: self.fpr,
            expected_true_alerts: t,
            expected_false_alerts: f,
            alerts,
            ppv: ratio(t, alerts),
            alerts_per_target: ratio(alerts, t),
            false_per_true: ratio(f, t),
        }
    }
}

/// `a / b` when `b > 0` and the result is finite.
fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b).filter(|r| r.is_finite())
}

/// The extrapolation of measured rates, each with its 95% interval.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ExtrapolationCi {
    /// People watched.
    pub population: u64,
    /// Real targets among them.
    pub targets: u64,
    /// The measured true-positive rate.
    pub tpr: Estimate,
    /// The measured false-positive rate.
    pub fpr: Estimate,
    /// Expected alerts about real targets.
    pub expected_true: Estimate,
    /// Expected alerts about innocent people.
    pub expected_false: Estimate,
    /// Expected alerts in all.
    pub alerts: Estimate,
    /// The chance that an alert points at a real target; `None` when it is
    /// undefined at the estimate or at a bound (no alert there).
    pub ppv: Option<Estimate>,
    /// Innocent people flagged per real target flagged; `None` when it is
    /// undefined at the estimate or at a bound (no true alert there).
    pub false_per_true: Option<Estimate>,
    /// Days the rates were measured over: the counts are people flagged at
    /// least once in a period this long (the rates grow with it).
    pub period_days: f64,
    /// The intervals of `ppv` and `false_per_true` (which use both rates) are
    /// joint 95% intervals, from each rate's 97.5% interval (Bonferroni);
    /// false in reports written before.
    pub joint_95: bool,
}

/// A box's rates over one length of authorisation window: how likely a
/// person is to be flagged *within one window* of that length, pooled over
/// the complete windows of that length (a person in view in two windows
/// counts twice: person-windows, not independent — the interval is
/// optimistic).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct WindowRate {
    /// The window's length, e.g. `4 months`.
    pub length: String,
    /// Its length in days.
    pub days: f64,
    /// Complete windows of that length observed.
    pub windows: u32,
    /// Innocent people flagged within one window (95% Wilson).
    pub fpr: Option<Estimate>,
    /// Real targets flagged within one window (95% Wilson).
    pub recall: Option<Estimate>,
    /// Innocent people flagged at least once over a year of such windows,
    /// if windows were independent (a stated model: 1 − (1 − fpr)^(365/days)).
    pub fpr_per_year: Option<Estimate>,
    /// At the reference population's scale: innocent people flagged within one
    /// such window (from the fpr and its interval).
    pub expected_false: Option<Estimate>,
}

/// Pools complete windows by length: `(length, days, confusion)` each.
/// `population` and `targets`: the reference, if any.
pub fn window_rates(
    windows: &[(String, f64, Confusion)],
    reference: Option<(u64, u64)>,
) -> Vec<WindowRate> {
    let mut out: Vec<(WindowRate, Confusion)> = Vec::new();
    for (length, days, c) in windows {
        let i = match out.iter().position(|(r, _)| r.length == *length) {
            Some(i) => i,
            None => {
                out.push((
                    WindowRate {
                        length: length.clone(),
                        days: *days,
                        ..Default::default()
                    },
                    Confusion::default(),
                ));
                out.len() - 1
            }
        };
        let (r, pooled) = &mut out[i];
        r.windows += 1;
        pooled.tp += c.tp;
        pooled.fp += c.fp;
        pooled.fn_ += c.fn_;
        pooled.tn += c.tn;
    }
    out.into_iter()
        .map(|(mut r, c)| {
            r.fpr = c.fpr();
            r.recall = c.recall();
            let per_year = |p: f64| 1.0 - (1.0 - p).powf(365.0 / r.days);
            r.fpr_per_year = r.fpr.map(|e| Estimate {
                value: per_year(e.value),
                lo: per_year(e.lo),
                hi: per_year(e.hi),
            });
            r.expected_false = match (r.fpr, reference) {
                (Some(e), Some((population, targets))) => {
                    let n = population.saturating_sub(targets) as f64;
                    Some(Estimate {
                        value: e.value * n,
                        lo: e.lo * n,
                        hi: e.hi * n,
                    })
                }
                _ => None,
            };
            r
        })
        .collect()
}

/// [`extrapolate_with_intervals`] from the counts, with intervals that cover
/// what they say: the expected counts from each rate's 95% Wilson interval,
/// the ppv and false-per-true from each rate's 97.5% interval (joint 95%).
/// `period_days`: how long the rates were measured over.
pub fn extrapolate_counts(
    population: u64,
    targets: u64,
    c: &Confusion,
    period_days: f64,
) -> Option<ExtrapolationCi> {
    let (tpr, fpr) = (wilson(c.tp, c.tp + c.fn_)?, wilson(c.fp, c.fp + c.tn)?);
    let wide = (
        wilson_at(c.tp, c.tp + c.fn_, Z_JOINT95)?,
        wilson_at(c.fp, c.fp + c.tn, Z_JOINT95)?,
    );
    let mut x = extrapolate_with_intervals(population, targets, tpr, fpr);
    let joint = extrapolate_with_intervals(population, targets, wide.0, wide.1);
    x.ppv = match (x.ppv, joint.ppv) {
        (Some(p), Some(j)) => Some(Estimate {
            lo: j.lo,
            hi: j.hi,
            ..p
        }),
        _ => None,
    };
    x.false_per_true = match (x.false_per_true, joint.false_per_true) {
        (Some(p), Some(j)) => Some(Estimate {
            lo: j.lo,
            hi: j.hi,
            ..p
        }),
        _ => None,
    };
    x.period_days = period_days;
    x.joint_95 = true;
    Some(x)
}

/// Extrapolates measured rates to a population, carrying their intervals.
///
/// Each output is monotone in both rates, so its bounds are its values at the
/// corners of the two intervals: the expected counts grow with their rate; the
/// ppv grows with tpr and falls with fpr, so its interval is
/// [ppv(tpr.lo, fpr.hi), ppv(tpr.hi, fpr.lo)]; false-per-true runs the other way.
/// The two rates are measured on disjoint people (targets, innocents), so each
/// interval covers its rate independently at 95%; the corner interval of a
/// quantity that uses both covers it with probability at least 0.95² ≈ 90%, and
/// in practice more, since both rates rarely err in the unlucky direction at once.
pub fn extrapolate_with_intervals(
    population: u64,
    targets: u64,
    tpr: Estimate,
    fpr: Estimate,
) -> ExtrapolationCi {
    let at = |t: f64, f: f64| {
        BaseRate {
            population,
            targets,
            tpr: t,
            fpr: f,
        }
        .extrapolate()
    };
    let mid = at(tpr.value, fpr.value);
    let low = at(tpr.lo, fpr.lo);
    let high = at(tpr.hi, fpr.hi);
    // Corners that make the ppv worst and best.
    let worst = at(tpr.lo, fpr.hi);
    let best = at(tpr.hi, fpr.lo);
    let est = |value: Option<f64>, lo: Option<f64>, hi: Option<f64>| {
        Some(Estimate {
            value: value?,
            lo: lo?,
            hi: hi?,
        })
    };
    ExtrapolationCi {
        population,
        targets,
        tpr,
        fpr,
        expected_true: Estimate {
            value: mid.expected_true_alerts,
            lo: low.expected_true_alerts,
            hi: high.expected_true_alerts,
        },
        expected_false: Estimate {
            value: mid.expected_false_alerts,
            lo: low.expected_false_alerts,
            hi: high.expected_false_alerts,
        },
        alerts: Estimate {
            value: mid.alerts,
            lo: low.alerts,
            hi: high.alerts,
        },
        ppv: est(mid.ppv, worst.ppv, best.ppv),
        false_per_true: est(
            mid.false_per_true,
            best.false_per_true,
            worst.false_per_true,
        ),
        period_days: 0.0,
        joint_95: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[track_caller]
    fn assert_interval(e: Estimate, lo: f64, hi: f64) {
        assert!(
            close(e.lo, lo, 5e-5) && close(e.hi, hi, 5e-5),
            "got [{}, {}], want [{lo}, {hi}]",
            e.lo,
            e.hi
        );
    }

    #[test]
    fn wilson_matches_published_values() {
        // Reference values: R's prop.test(x, n, correct = FALSE)$conf.int, which
        // is the Wilson score interval (Newcombe 1998, method 3).
        let e = wilson(0, 10).unwrap();
        assert_eq!((e.value, e.lo), (0.0, 0.0));
        assert_interval(e, 0.0, 0.2775);
        let e = wilson(5, 10).unwrap();
        assert_eq!(e.value, 0.5);
        assert_interval(e, 0.2366, 0.7634);
        let e = wilson(81, 263).unwrap();
        assert_interval(e, 0.2553, 0.3662);
        let e = wilson(10, 10).unwrap();
        assert_eq!((e.value, e.hi), (1.0, 1.0));
        assert_interval(e, 0.7225, 1.0);
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn wilson_bounds_contain_the_estimate() {
        for n in [1u64, 2, 7, 100, 1_000_000] {
            for s in [0, 1, n / 2, n - 1, n] {
                let e = wilson(s, n).unwrap();
                assert!(
                    0.0 <= e.lo && e.lo <= e.value && e.value <= e.hi && e.hi <= 1.0,
                    "{s}/{n}: {e:?}"
                );
            }
        }
    }

    /// A hand-counted case: 10 people, 3 targets; the box flags 2 targets and 1
    /// innocent person.
    const SMALL: Confusion = Confusion {
        tp: 2,
        fp: 1,
        fn_: 1,
        tn: 6,
    };

    #[test]
    fn confusion_rates_from_a_hand_counted_case() {
        assert_eq!(SMALL.total(), 10);
        assert_eq!(SMALL.targets(), 3);
        assert_eq!(SMALL.alerts(), 3);
        assert!(close(SMALL.precision().unwrap().value, 2.0 / 3.0, 1e-12));
        assert!(close(SMALL.recall().unwrap().value, 2.0 / 3.0, 1e-12));
        assert!(close(SMALL.fpr().unwrap().value, 1.0 / 7.0, 1e-12));
        assert_eq!(SMALL.fpr().unwrap(), wilson(1, 7).unwrap());
        let snr = SMALL.snr();
        assert_eq!((snr.true_alerts, snr.false_alerts), (2, 1));
        assert_eq!(snr.ratio, Some(2.0));
        assert!(close(snr.db.unwrap(), 3.0103, 1e-4));
        assert_eq!(snr.false_per_true, Some(0.5));
        let mut pooled = SMALL;
        pooled += SMALL;
        pooled.add(Confusion {
            tp: 0,
            fp: 4,
            fn_: 0,
            tn: 0,
        });
        assert_eq!(
            pooled,
            Confusion {
                tp: 4,
                fp: 6,
                fn_: 2,
                tn: 12
            }
        );
    }

    #[test]
    fn empty_cells_give_none_never_nan() {
        let none = Confusion::default();
        assert_eq!(
            (none.precision(), none.recall(), none.fpr()),
            (None, None, None)
        );
        let s = none.snr();
        assert_eq!((s.ratio, s.db, s.false_per_true), (None, None, None));
        // Only true alerts: the ratio would be infinite.
        let s = Confusion {
            tp: 5,
            fp: 0,
            fn_: 0,
            tn: 9,
        }
        .snr();
        assert_eq!((s.ratio, s.db, s.false_per_true), (None, None, Some(0.0)));
        // Only false alerts: the ratio is 0, its dB minus infinity.
        let s = Confusion {
            tp: 0,
            fp: 5,
            fn_: 3,
            tn: 9,
        }
        .snr();
        assert_eq!((s.ratio, s.db, s.false_per_true), (Some(0.0), None, None));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"true_alerts":0,"false_alerts":5,"ratio":0.0,"db":null,"false_per_true":null}"#
        );
        let json = serde_json::to_string(&SMALL).unwrap();
        assert_eq!(json, r#"{"tp":2,"fp":1,"fn":1,"tn":6}"#);
    }

    #[test]
    fn base_rate_of_the_2015_inria_arithmetic() {
        // 60 million people, 1,000 targets, every target flagged, 1% of the
        // others flagged: 599,990 false alerts, one real target per ~601 alerts.
        let b = BaseRate {
            population: 60_000_000,
            targets: 1_000,
            tpr: 1.0,
            fpr: 0.01,
        };
        b.validate().unwrap();
        let x = b.extrapolate();
        assert!(close(x.expected_true_alerts, 1_000.0, 1e-6));
        assert!(close(x.expected_false_alerts, 599_990.0, 1e-6));
        assert!(close(x.alerts, 600_990.0, 1e-6));
        assert!(close(x.ppv.unwrap(), 1.0 / 600.99, 1e-12));
        assert!(close(x.alerts_per_target.unwrap(), 600.99, 1e-6));
        assert!(close(x.false_per_true.unwrap(), 599.99, 1e-6));
    }

    #[test]
    fn base_rate_validation_and_degenerate_cases() {
        let ok = BaseRate {
            population: 100,
            targets: 10,
            tpr: 0.5,
            fpr: 0.1,
        };
        assert!(ok.validate().is_ok());
        let e = BaseRate { targets: 101, ..ok }.validate().unwrap_err();
        assert!(e.contains("101 targets"), "{e}");
        assert!(
            BaseRate {
                population: 0,
                targets: 0,
                ..ok
            }
            .validate()
            .is_err()
        );
        assert!(
            BaseRate { tpr: 1.5, ..ok }
                .validate()
                .unwrap_err()
                .contains("tpr")
        );
        assert!(
            BaseRate { fpr: -0.1, ..ok }
                .validate()
                .unwrap_err()
                .contains("fpr")
        );
        assert!(
            BaseRate {
                fpr: f64::NAN,
                ..ok
            }
            .validate()
            .is_err()
        );
        // A box that never flags a target: no ratio per target.
        let x = BaseRate { tpr: 0.0, ..ok }.extrapolate();
        assert_eq!(
            (x.ppv, x.alerts_per_target, x.false_per_true),
            (Some(0.0), None, None)
        );
        // A box that flags nobody.
        let x = BaseRate {
            tpr: 0.0,
            fpr: 0.0,
            ..ok
        }
        .extrapolate();
        assert_eq!(x.alerts, 0.0);
        assert_eq!(x.ppv, None);
        assert!(!serde_json::to_string(&x).unwrap().contains("NaN"));
    }

    #[test]
    fn intervals_propagate_through_the_extrapolation() {
        // Measured on a small trial: 9 of 10 targets flagged, 3 of 1,000 innocents.
        let tpr = wilson(9, 10).unwrap();
        let fpr = wilson(3, 1_000).unwrap();
        let ci = extrapolate_with_intervals(60_000_000, 1_000, tpr, fpr);
        let innocent = 59_999_000.0;
        assert!(close(ci.expected_true.value, 900.0, 1e-9));
        assert!(close(ci.expected_true.lo, 1_000.0 * tpr.lo, 1e-9));
        assert!(close(ci.expected_false.value, innocent * 0.003, 1e-6));
        assert!(close(ci.expected_false.hi, innocent * fpr.hi, 1e-6));
        let ppv = ci.ppv.unwrap();
        let p = |t: f64, f: f64| 1_000.0 * t / (1_000.0 * t + innocent * f);
        assert!(close(ppv.value, p(0.9, 0.003), 1e-12));
        assert!(close(ppv.lo, p(tpr.lo, fpr.hi), 1e-12));
        assert!(close(ppv.hi, p(tpr.hi, fpr.lo), 1e-12));
        assert!(ppv.lo < ppv.value && ppv.value < ppv.hi);
        let fpt = ci.false_per_true.unwrap();
        assert!(fpt.lo < fpt.value && fpt.value < fpt.hi);
        assert!(close(fpt.hi, innocent * fpr.hi / (1_000.0 * tpr.lo), 1e-6));
        // No target flagged in the trial: the per-target ratio is unbounded.
        let ci = extrapolate_with_intervals(1_000, 10, wilson(0, 10).unwrap(), fpr);
        assert_eq!(ci.false_per_true, None);
        assert!(!serde_json::to_string(&ci).unwrap().contains("NaN"));
    }

    #[test]
    fn window_rates_pool_windows_of_one_length_and_scale_to_a_year() {
        let c = |tp, fp, fn_, tn| Confusion { tp, fp, fn_, tn };
        let windows = [
            ("2 months".to_string(), 59.0, c(1, 10, 0, 990)),
            ("4 months".to_string(), 120.0, c(1, 12, 0, 988)),
            ("4 months".to_string(), 123.0, c(0, 8, 1, 992)),
        ];
        let r = window_rates(&windows, Some((60_000_000, 1_000)));
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].length.as_str(), r[0].windows), ("2 months", 1));
        assert_eq!((r[1].length.as_str(), r[1].windows), ("4 months", 2));
        // Pooled: 20 innocent person-windows flagged of 2,000.
        let f = r[1].fpr.unwrap();
        assert!((f.value - 0.01).abs() < 1e-12);
        assert!(f.lo < 0.01 && f.hi > 0.01);
        // A year of 4-month windows (the first window's days): 1 - 0.99^(365/120).
        let y = r[1].fpr_per_year.unwrap();
        assert!((y.value - (1.0 - 0.99f64.powf(365.0 / 120.0))).abs() < 1e-12);
        assert!(y.lo <= y.value && y.value <= y.hi);
        // The same rate over a shorter window is more per year.
        assert!(r[0].fpr_per_year.unwrap().value > y.value);
        let e = r[1].expected_false.unwrap();
        assert!((e.value - 0.01 * 59_999_000.0).abs() < 1e-3);
        assert_eq!(r[0].recall.unwrap().value, 1.0);
        assert!(window_rates(&windows, None)[0].expected_false.is_none());
    }
}
