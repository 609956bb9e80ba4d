//! The legal machinery around a box: warrants and their windows, the
//! commission's renewal rule, retention clocks, pseudonyms and identification.
//!
//! Nothing here sees a packet: the simulator asks which window is open at a
//! time, hands the commission a window's report, and asks for pseudonyms.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::decode::Addr;
use crate::scenario::{Commission, CommissionRule, Policy};

pub mod graduated;
pub mod law;
mod retention;
pub use retention::{Cooldown, Purged, RetentionBuffer, retention_bucket};

/// Whether a window is the first authorisation or a renewal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    /// The first authorisation.
    #[default]
    First,
    /// A renewal granted by the commission.
    Renewal,
}

impl WindowKind {
    /// The name written in reports.
    pub fn name(self) -> &'static str {
        match self {
            WindowKind::First => "first",
            WindowKind::Renewal => "renewal",
        }
    }
}

/// One authorisation window, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    /// 1 for the first window, then 2, 3...
    pub index: u32,
    /// First or renewal.
    pub kind: WindowKind,
    /// Opening time, ns.
    pub start_ns: i64,
    /// Closing time, ns (excluded).
    pub end_ns: i64,
}

/// What the commission is shown at a window's end: the identifiers flagged and
/// how many were relevant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WindowReport {
    /// Subscribers flagged in the window.
    pub flagged: u64,
    /// Flagged subscribers who were real targets (relevance, from the ground truth).
    pub confirmed: u64,
}

impl WindowReport {
    /// confirmed / flagged, if anyone was flagged.
    pub fn precision(&self) -> Option<f64> {
        (self.flagged > 0).then(|| self.confirmed as f64 / self.flagged as f64)
    }
}

/// The commission's decision on a renewal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Another window is granted.
    Renew,
    /// The box stops, for this reason.
    Refuse(String),
}

/// Applies the commission's rule to a window's report.
pub fn decide(
    c: &Commission,
    r: &WindowReport,
    renewals: u32,
    max_renewals: Option<u32>,
) -> Decision {
    if let Some(max) = max_renewals {
        if renewals >= max {
            return Decision::Refuse(format!("the {max} renewals allowed are used up"));
        }
    }
    match c.rule {
        CommissionRule::Always => Decision::Renew,
        CommissionRule::Never => Decision::Refuse("the commission renews no window".into()),
        CommissionRule::Thresholds => {
            if let Some(min) = c.min_precision {
                match r.precision() {
                    Some(p) if p >= min.0 => {}
                    Some(p) => {
                        return Decision::Refuse(format!(
                            "precision {:.1}% is below the required {:.1}%",
                            p * 100.0,
                            min.0 * 100.0
                        ));
                    }
                    None => {
                        return Decision::Refuse(
                            "no one was flagged, so the relevance cannot be assessed".into(),
                        );
                    }
                }
            }
            if let Some(min) = c.min_alerts {
                if r.flagged < min {
                    return Decision::Refuse(format!("{} flagged, fewer than {min}", r.flagged));
                }
            }
            if let Some(max) = c.max_alerts {
                if r.flagged > max {
                    return Decision::Refuse(format!("{} flagged, more than {max}", r.flagged));
                }
            }
            if let Some(min) = c.min_confirmed {
                if r.confirmed < min {
                    return Decision::Refuse(format!(
                        "{} confirmed targets, fewer than {min}",
                        r.confirmed
                    ));
                }
            }
            Decision::Renew
        }
    }
}

/// A box's warrant: the windows granted so far and whether it still runs.
#[derive(Clone, Debug)]
pub struct Warrant {
    policy: Policy,
    /// Windows granted, in order; the last may be open.
    pub windows: Vec<Window>,
    /// When the box was stopped by a refusal, if it was.
    pub stopped_ns: Option<i64>,
    /// When the law stops allowing the box, and why.
    sunset: Option<(i64, &'static str)>,
}

impl Warrant {
    /// A warrant whose first window opens at `start_ns` (or at the policy's own
    /// start date).
    pub fn new(policy: &Policy, start_ns: i64) -> Warrant {
        let start = policy.start.map(|d| d.0).unwrap_or(start_ns);
        Warrant {
            policy: policy.clone(),
            windows: vec![Window {
                index: 1,
                kind: WindowKind::First,
                start_ns: start,
                end_ns: policy.first_window.after(start),
            }],
            stopped_ns: None,
            sunset: None,
        }
    }

    /// This warrant under a law that ends at `at` (ns) for the reason given:
    /// no window runs past it. If the first window would open at or after it,
    /// returns the reason: the box is never authorised.
    pub fn with_sunset(mut self, sunset: Option<(i64, &'static str)>) -> (Warrant, Option<String>) {
        self.sunset = sunset;
        let Some((at, why)) = sunset else {
            return (self, None);
        };
        let w = &mut self.windows[0];
        if w.start_ns >= at {
            self.stopped_ns = Some(w.start_ns);
            return (self, Some(why.to_string()));
        }
        w.end_ns = w.end_ns.min(at);
        (self, None)
    }

    /// The last window granted, unless the box was stopped.
    pub fn current(&self) -> Option<&Window> {
        if self.stopped_ns.is_some() {
            None
        } else {
            self.windows.last()
        }
    }

    /// Whether the box may inspect traffic at `t`.
    pub fn open_at(&self, t: i64) -> Option<&Window> {
        self.current().filter(|w| w.start_ns <= t && t < w.end_ns)
    }

    /// The end of the open window, if it falls at or before `t`: the time of the
    /// next commission decision.
    pub fn due(&self, t: i64) -> Option<Window> {
        self.current().copied().filter(|w| w.end_ns <= t)
    }

    /// Applies the commission's decision on the current window; returns the new
    /// window if renewed.
    pub fn close_window(&mut self, report: &WindowReport) -> (Decision, Option<Window>) {
        let Some(w) = self.current().copied() else {
            return (Decision::Refuse("the box is stopped".into()), None);
        };
        let renewals = self.windows.len() as u32 - 1;
        let d = match self.sunset {
            Some((at, why)) if w.end_ns >= at => Decision::Refuse(why.to_string()),
            _ => decide(
                &self.policy.commission,
                report,
                renewals,
                self.policy.max_renewals,
            ),
        };
        match d {
            Decision::Renew => {
                // The commission may grant the first renewal for a shorter trial.
                let length = match self.policy.commission.first_renewal {
                    Some(trial) if renewals == 0 => trial,
                    _ => self.policy.renewal,
                };
                let end = length.after(w.end_ns);
                let next = Window {
                    index: w.index + 1,
                    kind: WindowKind::Renewal,
                    start_ns: w.end_ns,
                    end_ns: self.sunset.map_or(end, |(at, _)| end.min(at)),
                };
                self.windows.push(next);
                (d, Some(next))
            }
            Decision::Refuse(_) => {
                self.stopped_ns = Some(w.end_ns);
                (d, None)
            }
        }
    }

    /// The policy the warrant applies.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
}

/// Keyed pseudonyms: HMAC-SHA256 of the address under a per-run key, shortened
/// to 64 bits (16 hex digits). The key never leaves memory.
pub struct Pseudonymizer {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer { key: <secret> }")
    }
}

impl Pseudonymizer {
    /// With the given key.
    pub fn new(key: &[u8; 32]) -> Pseudonymizer {
        Pseudonymizer {
            mac: <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length"),
        }
    }

    /// A fresh random key from the operating system (`/dev/urandom`).
    pub fn random_key() -> std::io::Result<[u8; 32]> {
        use std::io::Read;
        let mut k = [0u8; 32];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut k)?;
        Ok(k)
    }

    /// A key derived from a seed, for reproducible runs on synthetic people.
    pub fn seeded_key(seed: u64) -> [u8; 32] {
        use sha2::Digest;
        let mut h = Sha256::new();
        h.update(b"ivraie pseudonym key v1");
        h.update(seed.to_le_bytes());
        h.finalize().into()
    }

    /// The pseudonym of an address (`p-` and 16 hex digits).
    pub fn pseudonym(&self, a: &Addr) -> String {
        let mut m = self.mac.clone();
        m.update(&a.0);
        let tag = m.finalize().into_bytes();
        let mut s = String::with_capacity(18);
        s.push_str("p-");
        crate::record::push_hex(&mut s, &tag[..8]);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::clock;
    use crate::scenario::Fraction;

    fn jan1() -> i64 {
        clock::parse_date("2026-01-01").unwrap()
    }

    #[test]
    fn l851_windows_are_two_then_four_months() {
        let mut w = Warrant::new(&Policy::default(), jan1());
        let first = *w.current().unwrap();
        assert_eq!(clock::format_date(first.end_ns), "2026-03-01");
        assert!(w.open_at(first.end_ns - 1).is_some());
        assert!(w.open_at(first.end_ns).is_none());
        assert!(w.due(first.end_ns - 1).is_none());
        assert_eq!(w.due(first.end_ns), Some(first));
        let (d, next) = w.close_window(&WindowReport::default());
        assert_eq!(d, Decision::Renew);
        let next = next.unwrap();
        assert_eq!((next.index, next.kind), (2, WindowKind::Renewal));
        assert_eq!(clock::format_date(next.start_ns), "2026-03-01");
        assert_eq!(clock::format_date(next.end_ns), "2026-07-01");
    }

    #[test]
    fn a_refusal_stops_the_box() {
        let mut p = Policy::default();
        p.commission.rule = CommissionRule::Thresholds;
        p.commission.min_precision = Some(Fraction(0.5));
        let mut w = Warrant::new(&p, jan1());
        let (d, next) = w.close_window(&WindowReport {
            flagged: 10,
            confirmed: 2,
        });
        assert_eq!(
            d,
            Decision::Refuse("precision 20.0% is below the required 50.0%".into())
        );
        assert!(next.is_none());
        assert!(w.current().is_none());
        assert!(w.open_at(jan1() + 1).is_none());
        assert_eq!(w.stopped_ns, Some(clock::parse_date("2026-03-01").unwrap()));
    }

    #[test]
    fn commission_rules() {
        let mut c = Commission::default();
        let r = WindowReport {
            flagged: 5,
            confirmed: 1,
        };
        assert_eq!(decide(&c, &r, 0, None), Decision::Renew);
        assert!(
            matches!(decide(&c, &r, 2, Some(2)), Decision::Refuse(m) if m.contains("2 renewals"))
        );
        c.rule = CommissionRule::Never;
        assert!(matches!(decide(&c, &r, 0, None), Decision::Refuse(_)));
        c.rule = CommissionRule::Thresholds;
        c.min_confirmed = Some(2);
        assert!(
            matches!(decide(&c, &r, 0, None), Decision::Refuse(m) if m.contains("1 confirmed"))
        );
        c.min_confirmed = Some(1);
        c.max_alerts = Some(4);
        assert!(
            matches!(decide(&c, &r, 0, None), Decision::Refuse(m) if m.contains("more than 4"))
        );
        c.max_alerts = Some(5);
        assert_eq!(decide(&c, &r, 0, None), Decision::Renew);
    }

    #[test]
    fn pseudonyms_are_keyed_stable_and_short() {
        let a = Addr::from("10.0.0.7".parse::<std::net::IpAddr>().unwrap());
        let b = Addr::from("10.0.0.8".parse::<std::net::IpAddr>().unwrap());
        let p = Pseudonymizer::new(&Pseudonymizer::seeded_key(1));
        assert_eq!(p.pseudonym(&a), p.pseudonym(&a));
        assert_ne!(p.pseudonym(&a), p.pseudonym(&b));
        assert_eq!(p.pseudonym(&a).len(), 18);
        let q = Pseudonymizer::new(&Pseudonymizer::seeded_key(2));
        assert_ne!(p.pseudonym(&a), q.pseudonym(&a));
        let r = Pseudonymizer::new(&Pseudonymizer::random_key().unwrap());
        assert_ne!(p.pseudonym(&a), r.pseudonym(&a));
        assert!(!format!("{p:?}").contains(&format!("{:?}", Pseudonymizer::seeded_key(1)[0])));
    }
}
