//! `ivraie sweep`: a threshold grid over traffic read once, whose curves are
//! monotone where the mathematics says they must be.

use std::process::Command;

const SCENARIO: &str = r#"
name = "sweep"
seed = 5
[source.generate]
population = 400
days = 42
seed = 5
systems = ["l851"]
targets = 3
sessions_per_day = 0.5
calls_per_day = 0.1
mails_per_day = 0.2
watch_visits_median = 0.03
[[boxes]]
name = "watch"
system = "l851"
scope = "connection"
threshold = 3
window = "7d"
[[boxes.rules]]
domains = ["watched-one.example", "watched-two.example", "watched-three.example", "watched-four.example"]
"#;

#[test]
fn threshold_sweep_rows_are_monotone() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let out = dir.path().join("sweep");
    let o = Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .args(["sweep"])
        .arg(&scenario)
        .args(["--set", "box.watch.threshold=1..10", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(
        text,
        String::from_utf8_lossy(&o.stdout),
        "stdout is the table"
    );
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 10);
    let get = |r: &Vec<String>, c: &str| r[col(c)].parse::<f64>().unwrap();
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(get(r, "box.watch.threshold"), (i + 1) as f64);
        // Every point is a full run of its own.
        let p = out.join("points").join(format!("{i:03}"));
        let log = ivraie::oversight::verify(&p.join("oversight.jsonl")).unwrap();
        assert!(log.closed);
        assert!(p.join("report.json").is_file());
    }
    // A subscriber with k+1 matching events within the window has k: the sets
    // flagged are nested, so flagged people, recall and the false-positive rate
    // cannot grow with the threshold.
    for w in rows.windows(2) {
        for c in ["flagged", "tp", "fp", "recall", "fpr"] {
            assert!(
                get(&w[1], c) <= get(&w[0], c),
                "{c} grew: {:?} -> {:?}",
                w[0],
                w[1]
            );
        }
        // Everyone is counted at every point.
        let total = |r| {
            ["tp", "fp", "fn", "tn"]
                .iter()
                .map(|c| get(r, c))
                .sum::<f64>()
        };
        assert_eq!(total(&w[0]), total(&w[1]));
    }
    assert!(
        get(&rows[0], "fp") > get(&rows[9], "fp"),
        "the threshold matters"
    );
    // No plateau set by a configured count: the innocent people flagged come
    // from a distribution's tail and thin out threshold after threshold.
    let fps: std::collections::BTreeSet<u64> = rows.iter().map(|r| get(r, "fp") as u64).collect();
    assert!(fps.len() >= 5, "innocents flagged per threshold: {fps:?}");
}

#[test]
fn bad_sets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    for (set, says) in [
        ("box.nobox.threshold=1..3", "no box `nobox`"),
        ("box.watch.scope=urls", "cannot be swept"),
        ("box.watch.threshold=0..3", "at least 1"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_ivraie"))
            .arg("sweep")
            .arg(&scenario)
            .args(["--set", set, "-o"])
            .arg(dir.path().join("x"))
            .output()
            .unwrap();
        assert!(!o.status.success(), "{set}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{set}: {err}");
    }
}

/// Runs a sweep of SCENARIO (with `extra` appended to the file) and returns
/// the table's rows as maps, the output directory and stderr.
fn sweep_rows(
    dir: &std::path::Path,
    extra: &str,
    sets: &[&str],
) -> (
    Vec<std::collections::HashMap<String, String>>,
    std::path::PathBuf,
    String,
) {
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, format!("{SCENARIO}{extra}")).unwrap();
    let out = dir.join("sweep");
    let mut c = Command::new(env!("CARGO_BIN_EXE_ivraie"));
    c.arg("sweep").arg(&scenario);
    for s in sets {
        c.args(["--set", s]);
    }
    let o = c.arg("-o").arg(&out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    let text = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect();
    (rows, out, err)
}

fn report_of(out: &std::path::Path, point: usize) -> serde_json::Value {
    let p = out
        .join("points")
        .join(format!("{point:03}"))
        .join("report.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn the_commission_rule_is_swept_and_decides_the_renewals() {
    let dir = tempfile::tempdir().unwrap();
    // Two-week windows, so that six weeks hold two renewals.
    let policy = "[policy]\nfirst_window = \"14d\"\nrenewal = \"14d\"\n";
    let (rows, out, _) = sweep_rows(dir.path(), policy, &["policy.commission.rule=always,never"]);
    assert_eq!(rows.len(), 2);
    let (always, never) = (report_of(&out, 0), report_of(&out, 1));
    let windows = |r: &serde_json::Value| r["boxes"][0]["windows"].as_array().unwrap().len();
    let full = windows(&always);
    assert!(full >= 3, "42 days: the first window and renewals");
    assert!(always["boxes"][0]["stopped"].is_null());
    assert_eq!(windows(&never), 1);
    assert!(never["boxes"][0]["stopped"].is_string());
    let w = &never["boxes"][0]["windows"][0];
    assert_eq!(w["outcome"], "refused");
    let why = w["reason"].as_str().unwrap();
    assert!(why.contains("renews no window"), "{why}");
    let n = |r: &std::collections::HashMap<String, String>, c: &str| r[c].parse::<u64>().unwrap();
    assert!(n(&rows[1], "flagged") <= n(&rows[0], "flagged"));
    assert!(
        n(&rows[1], "alerts") < n(&rows[0], "alerts"),
        "a box stopped after two weeks raises fewer alerts than one that runs six"
    );

    // A precision no window reaches stops the box at the first renewal; a
    // precision every window reaches keeps it running.
    let (rows, out, _) = sweep_rows(
        dir.path(),
        policy,
        &["policy.commission.min_precision=100%,0"],
    );
    assert_eq!(rows[0]["policy.commission.min_precision"], "1");
    let strict = report_of(&out, 0);
    let lax = report_of(&out, 1);
    let first = &strict["boxes"][0]["windows"][0];
    let precision = first["judged"]["precision"]["value"].as_f64().unwrap();
    assert!(
        precision < 1.0,
        "the first window flags innocent people: {first}"
    );
    assert_eq!(windows(&strict), 1);
    let why = first["reason"].as_str().unwrap();
    assert!(why.contains("below the required 100.0%"), "{why}");
    assert_eq!(windows(&lax), full);
}

#[test]
fn a_population_parameter_is_swept_by_generating_the_traffic_again() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, out, err) = sweep_rows(
        dir.path(),
        "",
        &[
            "source.generate.target_vpn_share=0,1",
            "box.watch.threshold=2,3",
        ],
    );
    assert!(err.contains("read 2 times"), "{err}");
    assert_eq!(rows.len(), 4);
    let tp = |i: usize| rows[i]["tp"].parse::<u64>().unwrap();
    let fn_ = |i: usize| rows[i]["fn"].parse::<u64>().unwrap();
    // Targets in the clear are found; targets all behind a VPN show the box
    // no name at all.
    assert_eq!((tp(0), fn_(0)), (3, 0), "{:?}", rows[0]);
    assert_eq!((tp(2), fn_(2)), (0, 3), "{:?}", rows[2]);
    assert_eq!((tp(3), fn_(3)), (0, 3), "{:?}", rows[3]);
    // Each point is the run of the scenario with that value written in it.
    let scenario = dir.path().join("vpn.toml");
    let text = SCENARIO.replace(
        "[source.generate]\n",
        "[source.generate]\ntarget_vpn_share = 1\n",
    );
    let text = text.replace("threshold = 3\nwindow", "threshold = 2\nwindow");
    std::fs::write(&scenario, text).unwrap();
    let run = dir.path().join("run");
    let o = Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .arg("run")
        .arg(&scenario)
        .arg("-o")
        .arg(&run)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let point = out.join("points").join("002");
    for f in ["alerts.jsonl"] {
        assert_eq!(
            std::fs::read(run.join(f)).unwrap(),
            std::fs::read(point.join(f)).unwrap(),
            "{f}"
        );
    }
    let mut a = report_of(&out, 2);
    let mut b: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("report.json")).unwrap()).unwrap();
    assert_eq!(a["boxes"], b["boxes"]);
    for r in [&mut a, &mut b] {
        r["traffic"]["wall_s"] = serde_json::Value::Null;
    }
    assert_eq!(a["traffic"], b["traffic"]);
}
