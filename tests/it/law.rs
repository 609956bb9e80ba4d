//! The law as written, rule by rule, on the hand-made capture of `simulate`
//! (every figure counted by hand): detection state held to the retention,
//! identification as a request decided after an opinion and with a delay,
//! quotas, repeated requests, the commission's shorter trial renewal, the
//! serious-evidence exception, and dated regimes.

use std::path::{Path, PathBuf};

use ivraie::capture::clock::{self, NS_PER_DAY, NS_PER_HOUR};
use ivraie::scenario::Scenario;
use ivraie::simulator::Report;
use serde_json::Value;

use crate::simulate::{capture, log, run};

/// A scenario over the hand capture (2026-01-01 .. 2026-08-15): `top` goes
/// before `[policy]` (e.g. a `[clock]` table), `policy` inside it.
fn scenario(dir: &Path, top: &str, policy: &str, boxes: &str) -> PathBuf {
    capture(dir);
    let text = format!(
        "name = \"law\"\n[source]\ncaptures = [\"hand.pcap\"]\nsubscribers = [\"10.0.0.0/24\"]\n\
         {top}\n[policy]\n{policy}\n{boxes}"
    );
    let p = dir.join("s.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// .1 looks up watched.example three times a minute apart (target), .2 too
/// (lookalike): with a threshold of 2, each is flagged within a minute.
const WATCH: &str = "[[boxes]]\nname = \"watch\"\nsystem = \"l851\"\nscope = \"connection\"\n\
    threshold = 2\nwindow = \"1d\"\n[[boxes.rules]]\ndomains = [\"watched.example\"]\n";

/// .4 looks up weather.example on the 15th of each month, February to August.
const MONTHLY: &str = "[[boxes]]\nname = \"monthly\"\nsystem = \"l851\"\nscope = \"connection\"\n\
    threshold = 2\nwindow = \"45d\"\n[[boxes.rules]]\ndomains = [\"weather.example\"]\n";

fn go(dir: &Path, top: &str, policy: &str, boxes: &str) -> (Report, Vec<Value>) {
    let out = dir.join(format!("out-{}", rand_suffix(policy, top)));
    let r = run(&scenario(dir, top, policy, boxes), &out);
    let l = log(&out);
    (r, l)
}

fn rand_suffix(a: &str, b: &str) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    (a, b).hash(&mut h);
    format!("{:x}", h.finish())
}

fn events<'a>(l: &'a [Value], name: &str) -> Vec<&'a Value> {
    l.iter().filter(|e| e["event"] == name).collect()
}

fn t(e: &Value) -> i64 {
    e["time_ns"].as_i64().unwrap()
}

#[test]
fn detection_counters_forget_what_the_retention_forgets_unless_stated() {
    let dir = tempfile::tempdir().unwrap();
    // Two lookups a month apart under a 45-day rule, input kept 24 h: the
    // counters may hold an event for 24 h only, so the rule never holds.
    let (r, _) = go(dir.path(), "", "retention = \"24h\"", MONTHLY);
    let b = &r.boxes[0];
    assert_eq!(b.alerts, 0);
    assert_eq!(b.law.rule_window, "45d");
    assert_eq!(b.law.detection_window, "1d");
    assert!(!b.law.state_beyond_retention);
    assert_eq!(b.law.state_peak_events, 1, "one event held at a time");
    // Stated otherwise, the counters keep 45 days: flagged on 15 March and
    // again in the next window on 15 July (one alert a window), and the
    // report says the state outlived the retention.
    let (r, l) = go(
        dir.path(),
        "",
        "retention = \"24h\"\ndetection_state = \"rule-window\"",
        MONTHLY,
    );
    let b = &r.boxes[0];
    let days: Vec<String> = events(&l, "alert")
        .iter()
        .map(|a| clock::format_date(t(a)))
        .collect();
    assert_eq!(days, ["2026-03-15", "2026-07-15"]);
    assert_eq!(b.law.detection_window, "45d");
    assert!(b.law.state_beyond_retention);
    assert_eq!(b.law.state_peak_events, 2);
}

#[test]
fn identification_is_a_request_decided_after_a_delay_on_what_is_still_held() {
    let dir = tempfile::tempdir().unwrap();
    // The default: a decision 24 h after the alert; by then the 24-hour
    // retention has purged what the box held about the person.
    let (r, l) = go(dir.path(), "", "retention = \"24h\"", WATCH);
    let b = &r.boxes[0];
    assert_eq!((b.alerts, b.law.requests, b.law.granted), (2, 2, 2));
    let (req, dec, ids) = (
        events(&l, "identification-request"),
        events(&l, "decision"),
        events(&l, "identification"),
    );
    assert_eq!((req.len(), dec.len(), ids.len()), (2, 2, 2));
    for ((a, d), i) in req.iter().zip(&dec).zip(&ids) {
        assert_eq!(t(d) - t(a), 24 * NS_PER_HOUR);
        assert_eq!(t(i), t(d));
        assert_eq!(d["details"]["opinion"], "favourable");
        assert_eq!(d["details"]["decision"], "granted");
        assert_eq!(i["details"]["bytes"], 0, "purged before the decision");
    }
    assert_eq!(b.law.granted_nothing_held, 2);
    assert_eq!(b.identified_bytes, 0);
    // Decided within the hour: the data is still held and handed over.
    let (r, _) = go(
        dir.path(),
        "",
        "retention = \"24h\"\nidentification_delay = \"1h\"",
        WATCH,
    );
    let b = &r.boxes[0];
    assert_eq!(b.law.granted_nothing_held, 0);
    assert!(b.identified_bytes > 0);
    assert_eq!(b.identifications, 2);
}

#[test]
fn the_commission_and_the_prime_minister_may_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let (r, l) = go(dir.path(), "", "opinion_unfavourable = 1.0", WATCH);
    let b = &r.boxes[0];
    assert_eq!(
        (b.law.requests, b.law.opposed, b.identifications),
        (2, 2, 0)
    );
    assert!(events(&l, "identification").is_empty());
    assert!(events(&l, "decision").iter().all(
        |d| d["details"]["opinion"] == "unfavourable" && d["details"]["decision"] == "refused"
    ));
    let (r, l) = go(dir.path(), "", "decision_refusal = 1.0", WATCH);
    let b = &r.boxes[0];
    assert_eq!((b.law.refused, b.identifications), (2, 0));
    assert!(
        events(&l, "decision")
            .iter()
            .all(|d| d["details"]["opinion"] == "favourable"
                && d["details"]["decision"] == "refused")
    );
    // No identification, nothing to destroy or keep.
    assert!(events(&l, "destruction").is_empty() && events(&l, "kept").is_empty());
}

#[test]
fn quotas_and_repeated_requests() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = go(dir.path(), "", "max_identifications = 1", WATCH);
    let b = &r.boxes[0];
    assert_eq!((b.alerts, b.law.requests, b.law.over_quota), (2, 1, 1));
    // A cooldown of 30 s lets each person be alerted about twice (minutes 1
    // and 2): every alert is followed by a request, or only a first alert.
    let cool = WATCH.replace("window = \"1d\"", "window = \"1d\"\ncooldown = \"30s\"");
    let (r, _) = go(dir.path(), "", "identification = \"alerts\"", &cool);
    assert_eq!((r.boxes[0].alerts, r.boxes[0].law.requests), (4, 4));
    let (r, _) = go(dir.path(), "", "identification = \"first-alert\"", &cool);
    assert_eq!((r.boxes[0].alerts, r.boxes[0].law.requests), (4, 2));
    let (r, l) = go(dir.path(), "", "identification = \"never\"", &cool);
    assert_eq!(r.boxes[0].law.requests, 0);
    assert!(events(&l, "identification-request").is_empty());
}

#[test]
fn the_commission_may_grant_a_shorter_trial_renewal() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = go(
        dir.path(),
        "",
        "[policy.commission]\nfirst_renewal = \"2 months\"",
        WATCH,
    );
    let w: Vec<(&str, &str)> = r.boxes[0]
        .windows
        .iter()
        .map(|w| (&w.start[..10], &w.end[..10]))
        .collect();
    assert_eq!(
        w,
        [
            ("2026-01-01", "2026-03-01"),
            ("2026-03-01", "2026-05-01"),
            ("2026-05-01", "2026-09-01")
        ]
    );
}

#[test]
fn serious_evidence_keeps_data_past_sixty_days_unless_the_policy_drops_the_exception() {
    let dir = tempfile::tempdir().unwrap();
    let (r, l) = go(dir.path(), "", "", WATCH);
    let b = &r.boxes[0];
    // The target .1 is kept; the lookalike .2 destroyed.
    assert_eq!((b.law.kept_on_evidence, b.destructions), (1, 1));
    assert_eq!(b.law.kept_innocent, Some(0));
    let kept = events(&l, "kept");
    assert_eq!(kept.len(), 1);
    assert_eq!(
        t(kept[0]) - t(events(&l, "identification")[0]),
        60 * NS_PER_DAY
    );
    // A report that always errs keeps the innocent and destroys the target.
    let (r, _) = go(
        dir.path(),
        "",
        "[policy.commission]\nrelevance_error = 1.0",
        WATCH,
    );
    assert_eq!(r.boxes[0].law.kept_innocent, Some(1));
    let (r, l) = go(dir.path(), "", "serious_evidence = false", WATCH);
    assert_eq!(
        (r.boxes[0].law.kept_on_evidence, r.boxes[0].destructions),
        (0, 2)
    );
    assert!(events(&l, "kept").is_empty());
}

#[test]
fn dated_regimes_change_what_may_be_read_and_until_when() {
    let dir = tempfile::tempdir().unwrap();
    // 2015: an experiment until 31 December 2018. Moved to 1 December 2018,
    // the first window is cut at the end of the year and not renewed.
    let (r, l) = go(
        dir.path(),
        "[clock]\nstart = \"2018-12-01\"",
        "regime = \"2015\"",
        WATCH,
    );
    let b = &r.boxes[0];
    assert_eq!(b.law.regime.as_deref(), Some("2015"));
    assert_eq!(b.windows.len(), 1);
    assert_eq!(&b.windows[0].end[..10], "2019-01-01");
    assert_eq!(b.windows[0].outcome, "refused");
    let reason = b.windows[0].reason.clone().unwrap();
    assert!(reason.contains("31 December 2018"), "{reason}");
    assert_eq!(events(&l, "refusal").len(), 1);
    // Moved past the end: never authorised, nothing inspected.
    let (r, l) = go(
        dir.path(),
        "[clock]\nstart = \"2019-02-01\"",
        "regime = \"2015\"",
        WATCH,
    );
    let b = &r.boxes[0];
    assert!(b.windows.is_empty());
    assert_eq!((b.inspected.records, b.alerts), (0, 0));
    assert!(b.would_have_inspected.records > 0);
    assert!(events(&l, "authorisation").is_empty());
    assert_eq!(events(&l, "refusal").len(), 1);
    // The same box under the 2021 law runs.
    let (r, _) = go(
        dir.path(),
        "[clock]\nstart = \"2019-02-01\"",
        "regime = \"2021\"",
        WATCH,
    );
    assert_eq!(r.boxes[0].alerts, 2);
    // Foreign interference: only under the 2024 law, until 30 June 2028.
    let fi = WATCH.replace("scope =", "purpose = \"foreign-interference\"\nscope =");
    let (r, _) = go(dir.path(), "[clock]\nstart = \"2028-06-01\"", "", &fi);
    let b = &r.boxes[0];
    assert_eq!(&b.windows[0].end[..10], "2028-07-01");
    assert_eq!(b.windows[0].outcome, "refused");
    let bad = scenario(dir.path(), "", "regime = \"2021\"", &fi);
    let e = Scenario::load(&bad).unwrap_err().to_string();
    assert!(e.contains("needs regime = \"2024\""), "{e}");
    // URLs: not under the 2015 law.
    let urls = WATCH.replace("\"connection\"", "\"urls\"");
    let bad = scenario(dir.path(), "", "regime = \"2015\"", &urls);
    let e = Scenario::load(&bad).unwrap_err().to_string();
    assert!(e.contains("URLs came with the 2021 law"), "{e}");
    assert!(Scenario::load(&scenario(dir.path(), "", "regime = \"2021\"", &urls)).is_ok());
}

/// `[clock] loops` plays the captures again after themselves: each lap offers
/// the boxes the same observations (read back from the first pass's spill,
/// not from the captures), a lap's span later, and the box alerts in each.
#[test]
fn looped_captures_offer_each_lap_the_same_observations() {
    let dir = tempfile::tempdir().unwrap();
    let (one, _) = go(dir.path(), "[clock]\nloops = 1", "", WATCH);
    let (two, _) = go(dir.path(), "[clock]\nloops = 2", "", WATCH);
    assert!(one.observations > 0);
    assert_eq!(two.observations, 2 * one.observations);
    assert_eq!(one.boxes[0].alerts, 2);
    assert!(
        two.boxes[0].alerts > one.boxes[0].alerts,
        "{}",
        two.boxes[0].alerts
    );
    assert!(two.end > one.end, "{} vs {}", two.end, one.end);
    // Nothing of the spill is left beside the outputs.
    for out in std::fs::read_dir(dir.path()).unwrap().flatten() {
        if out.path().is_dir() {
            for f in std::fs::read_dir(out.path()).unwrap().flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                assert!(!name.starts_with(".tmp"), "left behind: {name}");
            }
        }
    }
}
