//! `ivraie run` killed with SIGKILL at many moments: the output directory is
//! never touched by the killed run (it is written beside it and swapped in
//! whole); what the killed run left beside it, its oversight log included,
//! verifies up to its last complete entry and has no half-written file; the
//! next run removes it and produces the full outputs.

#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const SCENARIO: &str = r#"
name = "kill"
seed = 9
[source.generate]
population = 300
days = 150
seed = 9
systems = ["l851", "pbx"]
sessions_per_day = 0.5
calls_per_day = 0.2
mails_per_day = 0.2
[[boxes]]
name = "watch"
system = "l851"
scope = "connection"
threshold = 2
window = "7d"
[[boxes.rules]]
domains = ["watched-one.example", "watched-two.example", "watched-three.example", "watched-four.example"]
[[boxes]]
name = "dpi"
scope = "content"
threshold = 5
window = "1h"
[[boxes.rules]]
on = ["call"]
phone_prefixes = ["+290"]
"#;

fn ivraie(scenario: &Path, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ivraie"));
    c.arg("run")
        .arg(scenario)
        .arg("-o")
        .arg(out)
        .arg("--no-progress")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Every output present is whole: JSON files parse, JSON lines parse, the log
/// verifies up to its last complete line.
fn check_outputs(out: &Path) {
    let log = out.join("oversight.jsonl");
    if log.exists() {
        let text = std::fs::read(&log).unwrap();
        let complete = text.iter().filter(|&&b| b == b'\n').count() as u64;
        match ivraie::oversight::verify(&log) {
            Ok(v) => assert_eq!(v.entries, complete),
            Err(e) => {
                assert!(e.is_interrupted(), "{e}");
                assert_eq!(e.intact, complete, "{e}");
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(out.join("report.json")) {
        serde_json::from_str::<serde_json::Value>(&text).expect("report.json is whole");
    }
    if let Ok(text) = std::fs::read_to_string(out.join("alerts.jsonl")) {
        assert!(text.is_empty() || text.ends_with('\n'));
        for l in text.lines() {
            serde_json::from_str::<serde_json::Value>(l).expect("alerts.jsonl is whole");
        }
    }
}

/// What killed runs left in `dir`: their unfinished output directories.
fn leftovers(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(ivraie::output::TEMP_PREFIX))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn killed_runs_leave_verifiable_logs_and_whole_files() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("kill.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let reference = dir.path().join("reference");
    let t0 = Instant::now();
    assert!(ivraie(&scenario, &reference).status().unwrap().success());
    let mut full = t0.elapsed();
    check_outputs(&reference);
    // A second whole run: the first pays for a cold start, and kill moments
    // taken from it would fall after the end of a warm run.
    let t1 = Instant::now();
    assert!(
        ivraie(&scenario, &dir.path().join("warm"))
            .status()
            .unwrap()
            .success()
    );
    full = full.min(t1.elapsed());

    let out = dir.path().join("out");
    // Kills spread over the run's length (a fixed, deterministic spread),
    // until 24 have cut a run. A run that ended before its kill shortens the
    // length the next moments are taken from.
    let (mut interrupted, mut attempts) = (0u32, 0u32);
    while interrupted < 24 && attempts < 60 {
        let frac = ((attempts * 7919) % 24) as f64 / 24.0 + 0.01;
        let wait = full.mul_f64(frac);
        attempts += 1;
        let mut child = ivraie(&scenario, &out).spawn().unwrap();
        std::thread::sleep(wait);
        let finished = child.try_wait().unwrap().is_some();
        // SIGKILL: no destructor, no flush.
        let _ = child.kill();
        let _ = child.wait();
        if finished {
            full = full.min(wait);
        } else {
            interrupted += 1;
        }
        // The output directory is absent or a whole earlier run's.
        if out.exists() {
            check_outputs(&out);
            let v = ivraie::oversight::verify(&out.join("oversight.jsonl")).unwrap();
            assert!(
                v.closed,
                "a killed run never writes into its output directory"
            );
        }
        for left in leftovers(dir.path()) {
            check_outputs(&left);
        }
    }
    eprintln!("{interrupted} of {attempts} runs cut by SIGKILL");
    assert!(
        interrupted >= 20,
        "only {interrupted} of {attempts} runs were cut"
    );
    // A rerun completes and gives what an uninterrupted run gives, and
    // removes what the killed runs left.
    assert!(ivraie(&scenario, &out).status().unwrap().success());
    assert_eq!(leftovers(dir.path()), Vec::<std::path::PathBuf>::new());
    for f in ["oversight.jsonl", "alerts.jsonl"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(reference.join(f)).unwrap(),
            "{f}"
        );
    }
    let v = ivraie::oversight::verify(&out.join("oversight.jsonl")).unwrap();
    assert!(v.closed);
}
