//! The law as written around a box: dated regimes, detection state held to
//! the retention, identification as a request that goes through an opinion and
//! a decision, and the serious-evidence exception to destruction.
//!
//! The simulator asks here what a rule allows; it keeps the clocks.

use serde::{Deserialize, Serialize};

use crate::scenario::{DetectionState, Policy, Span};

/// The window the detection counters keep: the rule's, cut to the retention
/// unless the policy lets the state outlive it. Spans in months are compared
/// as 30 days each.
pub fn detection_window(p: &Policy, rule_window: Span) -> Span {
    let ns = |s: Span| s.after(0);
    match p.detection_state {
        DetectionState::RuleWindow => rule_window,
        DetectionState::WithinRetention if ns(p.retention) < ns(rule_window) => p.retention,
        DetectionState::WithinRetention => rule_window,
    }
}

/// A uniform draw in [0, 1) keyed by a string: the same run draws the same.
pub fn draw(key: &str) -> f64 {
    let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, x| {
        crate::generate::msg::mix64(h ^ u64::from(x))
    });
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether an alert leads to a request to identify the person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    /// A request goes to the commission.
    Request,
    /// The window's quota of requests (`max_identifications`) is used up.
    OverQuota,
    /// The policy identifies no one, or only on a first alert.
    No,
}

/// Whether an alert leads to a request: the policy identifies on every alert
/// (or on this person's first), and the window's quota is not used up.
pub fn asks(p: &Policy, asked_before: bool, asked_in_window: u64) -> Ask {
    use crate::scenario::Identification;
    match p.identification {
        Identification::Never => Ask::No,
        Identification::FirstAlert if asked_before => Ask::No,
        _ if p.max_identifications.is_some_and(|m| asked_in_window >= m) => Ask::OverQuota,
        _ => Ask::Request,
    }
}

/// How a request to identify a flagged person ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ruling {
    /// The commission gave an unfavourable opinion (followed).
    Opposed,
    /// The Prime Minister refused.
    Refused,
    /// Identification authorised.
    Granted,
}

impl Ruling {
    /// The opinion and the decision, as logged.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Ruling::Opposed => ("unfavourable", "refused"),
            Ruling::Refused => ("favourable", "refused"),
            Ruling::Granted => ("favourable", "granted"),
        }
    }
}

/// The commission's opinion and the decision on one request, drawn from the
/// policy's rates with a key unique to the request.
pub fn rule_on(p: &Policy, key: &str) -> Ruling {
    let rate = |f: Option<crate::scenario::Fraction>| f.map_or(0.0, |f| f.0);
    if draw(&format!("{key}/opinion")) < rate(p.opinion_unfavourable) {
        Ruling::Opposed
    } else if draw(&format!("{key}/decision")) < rate(p.decision_refusal) {
        Ruling::Refused
    } else {
        Ruling::Granted
    }
}

/// The legal side of a box's run, in `report.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct LawReport {
    /// The regime (`l851` boxes), e.g. `2024`.
    pub regime: Option<String>,
    /// Why the box was never authorised (its regime had ended), if it was not.
    pub never_authorised: Option<String>,
    /// The window the rules asked for.
    pub rule_window: String,
    /// The window the detection counters kept (the rule's, or the retention).
    pub detection_window: String,
    /// Whether the counters outlived the retention (the scenario said so).
    pub state_beyond_retention: bool,
    /// Most events the counters held at once: detection state is retained
    /// data.
    pub state_peak_events: u64,
    /// Requests to identify a flagged person.
    pub requests: u64,
    /// Requests not made because the window's quota was used up.
    pub over_quota: u64,
    /// Unfavourable opinions of the commission.
    pub opposed: u64,
    /// Refusals by the Prime Minister after a favourable opinion.
    pub refused: u64,
    /// Identifications authorised.
    pub granted: u64,
    /// Granted identifications that found nothing still held about the person
    /// (the retention ran out during the request).
    pub granted_nothing_held: u64,
    /// Identifications whose data was kept past `exploitation` on the
    /// services' report of serious evidence.
    pub kept_on_evidence: u64,
    /// Of those, identifications of people who were not real targets (with
    /// ground truth).
    pub kept_innocent: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::clock;
    use crate::scenario::{Fraction, Purpose, Regime};

    #[test]
    fn the_detection_window_is_cut_to_the_retention_unless_stated() {
        let mut p = Policy::default(); // 24 h retention
        let week = Span::Ns(7 * clock::NS_PER_DAY);
        assert_eq!(detection_window(&p, week), p.retention);
        assert_eq!(
            detection_window(&p, Span::Ns(clock::NS_PER_HOUR)),
            Span::Ns(clock::NS_PER_HOUR)
        );
        p.detection_state = DetectionState::RuleWindow;
        assert_eq!(detection_window(&p, week), week);
    }

    #[test]
    fn sunsets_follow_the_regimes() {
        let t2019 = clock::days_from_civil(2019, 1, 1) * clock::NS_PER_DAY;
        assert_eq!(Regime::R2015.sunset(Purpose::Terrorism).unwrap().0, t2019);
        assert!(Regime::R2021.sunset(Purpose::Terrorism).is_none());
        assert!(Regime::R2024.sunset(Purpose::Terrorism).is_none());
        let (end, _) = Regime::R2024.sunset(Purpose::ForeignInterference).unwrap();
        assert_eq!(
            clock::civil_from_days(end / clock::NS_PER_DAY),
            (2028, 7, 1)
        );
    }

    #[test]
    fn requests_follow_the_policy_and_the_quota() {
        use crate::scenario::Identification;
        let mut p = Policy::default();
        assert_eq!(asks(&p, true, 100), Ask::Request);
        p.max_identifications = Some(2);
        assert_eq!(asks(&p, false, 1), Ask::Request);
        assert_eq!(asks(&p, false, 2), Ask::OverQuota);
        p.identification = Identification::FirstAlert;
        assert_eq!(asks(&p, true, 0), Ask::No);
        assert_eq!(asks(&p, false, 0), Ask::Request);
        p.identification = Identification::Never;
        assert_eq!(asks(&p, false, 0), Ask::No);
    }

    #[test]
    fn rulings_follow_the_rates() {
        let mut p = Policy::default();
        let n = 4000;
        let count = |p: &Policy, r: Ruling| {
            (0..n)
                .filter(|i| rule_on(p, &format!("k/{i}")) == r)
                .count()
        };
        assert_eq!(count(&p, Ruling::Granted), n);
        p.opinion_unfavourable = Some(Fraction(0.25));
        p.decision_refusal = Some(Fraction(0.5));
        let opposed = count(&p, Ruling::Opposed) as f64 / n as f64;
        let refused = count(&p, Ruling::Refused) as f64 / n as f64;
        assert!((opposed - 0.25).abs() < 0.03, "{opposed}");
        assert!((refused - 0.375).abs() < 0.03, "{refused}");
        // The same request is ruled the same way.
        assert_eq!(rule_on(&p, "k/7"), rule_on(&p, "k/7"));
    }
}
