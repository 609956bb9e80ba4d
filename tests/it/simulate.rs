//! The simulator on a capture built byte by byte, where every expected figure
//! can be counted by hand: windows and renewals on their dates, refusals,
//! nothing inspected outside a window, purges on time, content vs connection
//! retention, and the confusion matrix.

use std::path::Path;

use ivraie::capture::clock::{self, NS_PER_DAY, NS_PER_HOUR};
use ivraie::scenario::Scenario;
use ivraie::simulator::{self, KeyChoice, Report, RunOptions};
use serde_json::Value;

use crate::common;
use common::{dns_query, pcap, udp_frame};

pub(crate) fn jan1() -> i64 {
    clock::parse_date("2026-01-01").unwrap()
}

/// Subscribers 10.0.0.1–5. Lookups of watched.example on day 0 (hours given):
/// .1 three times (target), .2 three times (lookalike), .3 once (target),
/// .4 only other names (ordinary), .5 no traffic at all (ordinary). Then, to
/// carry the run past several windows, .4 looks up other names on the 15th of
/// each month until August; and .4 sends 200 bulk datagrams of 1,400 bytes.
pub(crate) fn capture(dir: &Path) -> std::path::PathBuf {
    let resolver = [192, 0, 2, 53];
    let mut frames = Vec::new();
    let mut id = 0u16;
    let mut q = |ts: i64, host: u8, name: &str, frames: &mut Vec<(i64, Vec<u8>)>| {
        id += 1;
        frames.push((
            ts,
            udp_frame(
                [10, 0, 0, host],
                resolver,
                40000 + id,
                53,
                &dns_query(id, name),
            ),
        ));
    };
    for h in [1, 2, 3] {
        let n = if h == 3 { 1 } else { 3 };
        for k in 0..n {
            q(
                jan1() + (h as i64) * NS_PER_HOUR + k * 60_000_000_000,
                h,
                "www.watched.example",
                &mut frames,
            );
        }
    }
    q(jan1() + 5 * NS_PER_HOUR, 4, "news.example", &mut frames);
    for month in 1..8 {
        let t = clock::add_months(jan1(), month) + 14 * NS_PER_DAY;
        q(t, 4, "weather.example", &mut frames);
    }
    for i in 0..200 {
        frames.push((
            jan1() + 6 * NS_PER_HOUR + i * 1_000_000,
            udp_frame([10, 0, 0, 4], [198, 51, 100, 9], 5000, 6000, &[0x5a; 1400]),
        ));
    }
    frames.sort_by_key(|f| f.0);
    let path = dir.join("hand.pcap");
    std::fs::write(&path, pcap(&frames)).unwrap();
    std::fs::write(
        dir.join("hand.labels.csv"),
        "address,profile,role,system\n\
         10.0.0.1,l851-target,target,l851\n\
         10.0.0.2,journalist,lookalike,l851\n\
         10.0.0.3,l851-target,target,l851\n\
         10.0.0.4,ordinary,ordinary,\n\
         10.0.0.5,ordinary,ordinary,\n",
    )
    .unwrap();
    path
}

fn scenario(dir: &Path, extra_policy: &str, boxes: &str) -> std::path::PathBuf {
    capture(dir);
    let text = format!(
        "name = \"hand\"\n[source]\ncaptures = [\"hand.pcap\"]\nsubscribers = [\"10.0.0.0/24\"]\n\
         [policy]\n{extra_policy}\n{boxes}"
    );
    let p = dir.join("s.toml");
    std::fs::write(&p, text).unwrap();
    p
}

const WATCH: &str = "[[boxes]]\nname = \"watch\"\nsystem = \"l851\"\nscope = \"connection\"\n\
    threshold = 2\nwindow = \"1d\"\n[[boxes.rules]]\ndomains = [\"watched.example\"]\n";

pub(crate) fn run(path: &Path, out: &Path) -> Report {
    let s = Scenario::load(path).unwrap();
    let opts = RunOptions {
        out_dir: out.to_path_buf(),
        threads: 2,
        progress: false,
        key: KeyChoice::Random,
        name_inputs: false,
        cluster: None,
    };
    simulator::run(&s, path, &opts).unwrap()
}

pub(crate) fn log(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("oversight.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn confusion_matrix_matches_the_hand_count() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = run(&scenario(dir.path(), "", WATCH), &out);
    let b = &r.boxes[0];
    // Flagged: .1 (target) and .2 (lookalike); .3 looked once (missed target);
    // .4 and .5 never flagged.
    let c = b.judged.as_ref().unwrap().confusion;
    assert_eq!((c.tp, c.fp, c.fn_, c.tn), (1, 1, 1, 2));
    assert_eq!(b.flagged, 2);
    let j = b.judged.as_ref().unwrap();
    assert_eq!(j.precision.unwrap().value, 0.5);
    assert_eq!(j.recall.unwrap().value, 0.5);
    assert!((j.fpr.unwrap().value - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(j.snr.false_per_true, Some(1.0));
    // The first window saw all of it.
    assert_eq!(b.windows[0].judged.as_ref().unwrap().confusion, c);
    // Alerts are pseudonymous: no address in alerts.jsonl or report.json.
    let alerts = std::fs::read_to_string(out.join("alerts.jsonl")).unwrap();
    assert_eq!(alerts.lines().count(), 2);
    for f in ["alerts.jsonl", "report.json", "oversight.jsonl"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        for a in ["10.0.0.1\"", "10.0.0.2\"", "10.0.0.3\""] {
            assert!(!text.contains(a), "{f} names {a}");
        }
    }
    let first: Value = serde_json::from_str(alerts.lines().next().unwrap()).unwrap();
    assert!(first["pseudonym"].as_str().unwrap().starts_with("p-"));
    assert_eq!(first["events"], serde_json::json!([2]));
    assert_eq!(first["target"], true);
    assert_eq!(first["time"], "2026-01-01T01:01:00Z");
}

#[test]
fn windows_open_and_renew_on_their_dates() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = run(&scenario(dir.path(), "", WATCH), &out);
    let w: Vec<(&str, &str, &str)> = r.boxes[0]
        .windows
        .iter()
        .map(|w| (w.start.as_str(), w.end.as_str(), w.outcome.as_str()))
        .collect();
    assert_eq!(
        w,
        vec![
            ("2026-01-01T01:00:00Z", "2026-03-01T01:00:00Z", "renewed"),
            ("2026-03-01T01:00:00Z", "2026-07-01T01:00:00Z", "renewed"),
            ("2026-07-01T01:00:00Z", "2026-11-01T01:00:00Z", "open"),
        ]
    );
    let events: Vec<(String, String)> = log(&out)
        .iter()
        .filter(|e| {
            matches!(
                e["event"].as_str(),
                Some("authorisation" | "renewal" | "window-end")
            )
        })
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_string(),
                e["time"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("authorisation", "2026-01-01T01:00:00Z"),
            ("window-end", "2026-03-01T01:00:00Z"),
            ("renewal", "2026-03-01T01:00:00Z"),
            ("window-end", "2026-07-01T01:00:00Z"),
            ("renewal", "2026-07-01T01:00:00Z"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let v = ivraie::oversight::verify(&out.join("oversight.jsonl")).unwrap();
    assert_eq!(v.head(), r.oversight_head);
}

#[test]
fn a_refusal_stops_the_box_and_nothing_is_inspected_outside_a_window() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = run(
        &scenario(dir.path(), "commission.rule = \"never\"", WATCH),
        &out,
    );
    let b = &r.boxes[0];
    assert_eq!(b.windows.len(), 1);
    assert_eq!(b.windows[0].outcome, "refused");
    assert_eq!(b.stopped.as_deref(), Some("2026-03-01T01:00:00Z"));
    // Inside: the day-0 lookups (3 + 3 + 1 + 1), the bulk flow, the Feb lookup;
    // as records: one flow + one DNS record per lookup, one bulk flow.
    assert_eq!(b.windows[0].inspected.records, 9 * 2 + 1);
    // After the refusal: the lookups of March to August, not inspected.
    assert_eq!(b.would_have_inspected.records, 6 * 2);
    assert_eq!(b.would_have_inspected.subscribers, 1);
    let refusals = log(&out).iter().filter(|e| e["event"] == "refusal").count();
    assert_eq!(refusals, 1);

    // A window that opens late: everything before it is outside.
    let late = tempfile::tempdir().unwrap();
    let r = run(
        &scenario(late.path(), "start = \"2026-04-01\"", WATCH),
        &late.path().join("out"),
    );
    let b = &r.boxes[0];
    assert_eq!(b.windows[0].start, "2026-04-01T00:00:00Z");
    assert_eq!(b.alerts, 0);
    // Before April: the 8 day-0 lookups, February's and March's, the bulk flow.
    assert_eq!(b.would_have_inspected.records, (8 + 2) * 2 + 1);
    assert_eq!(b.inspected.records, 5 * 2);
}

#[test]
fn purges_happen_on_time_and_a_content_box_keeps_far_more() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let dpi = WATCH
        .replace("\"watch\"", "\"dpi\"")
        .replace("\"connection\"", "\"content\"");
    let r = run(
        &scenario(dir.path(), "retention = \"24h\"", &format!("{WATCH}{dpi}")),
        &out,
    );
    let (meta, content) = (&r.boxes[0], &r.boxes[1]);
    assert_eq!(
        meta.inspected, content.inspected,
        "same traffic, same scope of view"
    );
    assert_eq!(meta.alerts, content.alerts);
    // 200 datagrams of 1,442 wire bytes: the content box keeps them, the
    // metadata box keeps one flow record instead.
    assert!(content.retained.bytes > meta.retained.bytes + 200 * 1442);
    assert!(content.retained.bytes > 10 * meta.retained.bytes);
    let mut purged = 0;
    for e in log(&out).iter().filter(|e| e["event"] == "purge") {
        let ingested = clock::parse_date(e["details"]["ingested_from"].as_str().unwrap()).unwrap();
        let at = e["time_ns"].as_i64().unwrap();
        assert_eq!(at - ingested, 24 * NS_PER_HOUR, "{e}");
        purged += e["details"]["records"].as_u64().unwrap();
    }
    assert_eq!(purged, meta.retained.records + content.retained.records);
    // Identified people's data is destroyed 60 days after identification.
    let entries = log(&out);
    let ident: Vec<&Value> = entries
        .iter()
        .filter(|e| e["event"] == "identification")
        .collect();
    // Each ends 60 days later: destroyed, or kept on the services' report of
    // serious evidence (the target .1 in each box; the lookalike .2 is not).
    let ends: Vec<&Value> = entries
        .iter()
        .filter(|e| e["event"] == "destruction" || e["event"] == "kept")
        .collect();
    assert_eq!(ident.len(), 4, "two flagged people, two boxes");
    assert_eq!(ends.len(), 4);
    for (i, d) in ident.iter().zip(&ends) {
        assert_eq!(
            d["time_ns"].as_i64().unwrap() - i["time_ns"].as_i64().unwrap(),
            60 * NS_PER_DAY
        );
        assert_eq!(i["details"]["pseudonym"], d["details"]["pseudonym"]);
    }
    let kept: Vec<&&Value> = ends.iter().filter(|e| e["event"] == "kept").collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert_eq!(meta.law.kept_on_evidence, 1);
    assert_eq!(meta.law.kept_innocent, Some(0));
    assert_eq!(meta.destructions, 1);
}

#[test]
fn same_scenario_same_outputs_except_wall_clock() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path(), "", WATCH);
    let key = dir.path().join("key");
    std::fs::write(&key, [7u8; 32]).unwrap();
    let once = |out: &Path| {
        let s = Scenario::load(&path).unwrap();
        let opts = RunOptions {
            out_dir: out.to_path_buf(),
            threads: 1,
            progress: false,
            key: KeyChoice::File(key.clone()),
            name_inputs: false,
            cluster: None,
        };
        simulator::run(&s, &path, &opts).unwrap();
        let mut report: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        report["wall_s"] = Value::Null;
        report["traffic"]["wall_s"] = Value::Null;
        (
            report,
            std::fs::read(out.join("alerts.jsonl")).unwrap(),
            std::fs::read(out.join("oversight.jsonl")).unwrap(),
        )
    };
    let a = once(&dir.path().join("a"));
    let b = once(&dir.path().join("b"));
    assert_eq!(a, b);
}
