//! Hadopi's graduated response behind a `hadopi` box: the agent's daily cap
//! and its 50-files threshold (CNIL), then, for each subscriber the ISP
//! names, an e-mail warning, a registered letter if seen again within six
//! months, and the third phase (a referral that may go to court) if seen again
//! within a year of the letter.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::scenario::Graduated;

/// Who a notice goes to: a line the ISP named, or an address (without a log).
pub type Recipient = u64;

/// What the agent does with a sharing event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// The address goes to Hadopi, which asks the ISP.
    Send,
    /// The day's cap is reached: dropped.
    OverCap,
    /// Too many files in 24 h: a 15-day follow-up, not the graduated response.
    FollowUp,
}

/// A step of the graduated response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// An e-mail warning.
    First,
    /// A registered letter.
    Second,
    /// The third phase: a referral that may go to the prosecutor.
    Third,
    /// Seen again after the third phase: nothing new.
    Again,
}

/// Counts, each split into all and innocent (with ground truth).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Steps {
    /// Addresses sent to Hadopi.
    pub sent: u64,
    /// Addresses dropped by the daily cap.
    pub over_cap: u64,
    /// Subscriber-days put under 15-day follow-up (files threshold reached).
    pub follow_up: u64,
    /// Days whose top sharer went to the prosecutor.
    pub prosecutor: u64,
    /// E-mail warnings.
    pub first: u64,
    /// Registered letters.
    pub second: u64,
    /// Third-phase referrals.
    pub third: u64,
}

/// The graduated response over a run, in `report.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct GraduatedReport {
    /// Every step taken.
    pub all: Steps,
    /// The steps that fell on people who were not real targets (with ground
    /// truth; per line when people share lines).
    pub innocent: Option<Steps>,
}

/// The response's state for one box.
#[derive(Debug)]
pub struct Response {
    rule: Graduated,
    judged: bool,
    day: Option<i64>,
    sent_today: HashSet<u64>,
    /// The day's top sharer over the threshold: files, and whether innocent.
    top_today: Option<(u64, bool)>,
    stages: HashMap<Recipient, (Step, i64)>,
    report: GraduatedReport,
}

impl Response {
    /// A response under `rule`; `judged`: the run has ground truth.
    pub fn new(rule: Graduated, judged: bool) -> Response {
        Response {
            rule,
            judged,
            day: None,
            sent_today: HashSet::new(),
            top_today: None,
            stages: HashMap::new(),
            report: GraduatedReport {
                innocent: judged.then(Steps::default),
                ..Default::default()
            },
        }
    }

    fn count(&mut self, innocent: bool, f: impl Fn(&mut Steps)) {
        f(&mut self.report.all);
        if let Some(i) = self.report.innocent.as_mut().filter(|_| innocent) {
            f(i);
        }
    }

    fn close_day(&mut self) {
        if let Some((_, innocent)) = self.top_today.take() {
            self.count(innocent, |s| s.prosecutor += 1);
        }
        self.sent_today.clear();
    }

    /// A sharing event of `address` (a key) at `ts`, with `files` distinct
    /// watched files in the last 24 hours.
    pub fn admit(&mut self, ts: i64, address: u64, files: u64, innocent: bool) -> Admit {
        let day = ts.div_euclid(crate::capture::clock::NS_PER_DAY);
        if self.day != Some(day) {
            self.close_day();
            self.day = Some(day);
        }
        let innocent = innocent && self.judged;
        if files >= self.rule.files_threshold {
            self.count(innocent, |s| s.follow_up += 1);
            if self.top_today.is_none_or(|(f, _)| files > f) {
                self.top_today = Some((files, innocent));
            }
            return Admit::FollowUp;
        }
        if !self.sent_today.contains(&address) {
            if self.sent_today.len() as u64 >= self.rule.daily_cap {
                self.count(innocent, |s| s.over_cap += 1);
                return Admit::OverCap;
            }
            self.sent_today.insert(address);
        }
        self.count(innocent, |s| s.sent += 1);
        Admit::Send
    }

    /// A notice to a subscriber the ISP named, at `ts`: the next step.
    pub fn notify(&mut self, ts: i64, to: Recipient, innocent: bool) -> Step {
        let (second, third) = (self.rule.second_within, self.rule.third_within);
        let step = match self.stages.get(&to) {
            Some(&(Step::First, at)) if ts < second.after(at) => Step::Second,
            Some(&(Step::Second, at)) if ts < third.after(at) => Step::Third,
            Some(&(Step::Third | Step::Again, _)) => Step::Again,
            _ => Step::First,
        };
        if step != Step::Again {
            self.stages.insert(to, (step, ts));
        }
        let innocent = innocent && self.judged;
        self.count(innocent, |s| match step {
            Step::First => s.first += 1,
            Step::Second => s.second += 1,
            Step::Third => s.third += 1,
            Step::Again => {}
        });
        step
    }

    /// The report, the last day closed.
    pub fn report(&self) -> GraduatedReport {
        let mut r = self.report.clone();
        if let Some((_, innocent)) = self.top_today {
            r.all.prosecutor += 1;
            if let Some(i) = r.innocent.as_mut().filter(|_| innocent) {
                i.prosecutor += 1;
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::clock::NS_PER_DAY;

    fn rule() -> Graduated {
        Graduated {
            files_threshold: 3,
            daily_cap: 2,
            ..Graduated::default()
        }
    }

    #[test]
    fn notices_climb_within_their_delays_and_start_over_after() {
        let mut r = Response::new(Graduated::default(), true);
        let month = 30 * NS_PER_DAY;
        assert_eq!(r.notify(0, 1, true), Step::First);
        assert_eq!(r.notify(5 * month, 1, true), Step::Second);
        assert_eq!(r.notify(16 * month, 1, true), Step::Third);
        assert_eq!(r.notify(17 * month, 1, true), Step::Again);
        // Another subscriber seen again after more than six months: a new first.
        assert_eq!(r.notify(0, 2, false), Step::First);
        assert_eq!(r.notify(7 * month, 2, false), Step::First);
        let rep = r.report();
        assert_eq!((rep.all.first, rep.all.second, rep.all.third), (3, 1, 1));
        let inn = rep.innocent.unwrap();
        assert_eq!((inn.first, inn.second, inn.third), (1, 1, 1));
    }

    #[test]
    fn the_daily_cap_and_the_files_threshold() {
        let mut r = Response::new(rule(), false);
        assert_eq!(r.admit(0, 1, 1, true), Admit::Send);
        assert_eq!(r.admit(1, 2, 1, true), Admit::Send);
        assert_eq!(r.admit(2, 1, 1, true), Admit::Send, "already sent today");
        assert_eq!(r.admit(3, 3, 1, true), Admit::OverCap);
        assert_eq!(r.admit(4, 4, 3, true), Admit::FollowUp);
        assert_eq!(r.admit(5, 5, 7, true), Admit::FollowUp);
        // The next day: the cap starts over; yesterday's top sharer was referred.
        assert_eq!(r.admit(NS_PER_DAY, 3, 1, true), Admit::Send);
        let rep = r.report();
        assert_eq!(
            (
                rep.all.sent,
                rep.all.over_cap,
                rep.all.follow_up,
                rep.all.prosecutor
            ),
            (4, 1, 2, 1)
        );
        assert!(rep.innocent.is_none());
    }
}
