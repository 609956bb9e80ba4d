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
