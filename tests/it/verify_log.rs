//! `ivraie verify-log` end to end: a log written by `oversight::LogWriter`, then
//! intact, tampered with, cut, and missing; exit statuses 0, 1 and 2.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use ivraie::oversight::{Event, LogHead, LogWriter};
use serde_json::json;

fn ivraie() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ivraie"))
}

/// A closed log of 6 entries (seq 0..5 on lines 1..6).
fn write_log(dir: &Path) -> (PathBuf, LogHead) {
    let path = dir.join("oversight.jsonl");
    let mut w = LogWriter::create(&path).unwrap();
    let t = 1_767_225_600_000_000_000i64; // 2026-01-01T00:00:00Z
    w.append(t, Event::Open, None, None, json!({"scenario": "l851-3"}))
        .unwrap();
    w.append(
        t,
        Event::Authorisation,
        Some("l851-3"),
        Some(1),
        json!({"months": 2}),
    )
    .unwrap();
    w.append(
        t + 1,
        Event::Alert,
        Some("l851-3"),
        Some(1),
        json!({"pseudonym": "p-1"}),
    )
    .unwrap();
    w.append(
        t + 2,
        Event::Identification,
        Some("l851-3"),
        Some(1),
        json!({"pseudonym": "p-1"}),
    )
    .unwrap();
    w.append(
        t + 3,
        Event::Destruction,
        Some("l851-3"),
        Some(1),
        json!({"pseudonym": "p-1"}),
    )
    .unwrap();
    let head = w.close(t + 4).unwrap();
    assert_eq!(head.entries, 6);
    (path, head)
}

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn write_lines(p: &Path, lines: &[String]) {
    std::fs::write(p, lines.join("\n") + "\n").unwrap();
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn an_intact_log_is_ok_with_its_entry_count() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_log(dir.path());
    let o = ivraie().arg("verify-log").arg(&path).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    assert!(out.starts_with("OK: "), "{out}");
    assert!(out.contains("6 entries verify"), "{out}");
}

#[test]
fn each_kind_of_tampering_exits_two_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_log(dir.path());
    let original = lines(&path);
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "edit",
            {
                let mut l = original.clone();
                l[2] = l[2].replace("p-1", "p-2");
                l
            },
            "line 3 (seq 2) was edited",
        ),
        (
            "delete",
            {
                let mut l = original.clone();
                l.remove(2);
                l
            },
            "entry seq 2 is missing: line 3 holds seq 3",
        ),
        (
            "swap",
            {
                let mut l = original.clone();
                l.swap(1, 2);
                l
            },
            "line 2 holds seq 2 where seq 1 should be (seq 1 is at line 3)",
        ),
        (
            "cut tail",
            original[..4].to_vec(),
            "ends without its closing entry",
        ),
        (
            "garbage",
            {
                let mut l = original.clone();
                l.insert(3, "<<garbage>>".into());
                l
            },
            "line 4 is not a JSON entry",
        ),
    ];
    for (what, tampered, says) in cases {
        write_lines(&path, &tampered);
        let o = ivraie().arg("verify-log").arg(&path).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{what}: not intact");
        let out = stdout(&o);
        assert!(out.starts_with("FAILED: "), "{what}: {out}");
        assert!(out.contains(says), "{what}: {out}");
    }
    // Cut in the middle of the last line.
    write_lines(&path, &original);
    let len = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len - 20).unwrap();
    let o = ivraie().arg("verify-log").arg(&path).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(out.contains("truncated at line 6"), "{out}");
    assert!(
        out.contains("the first 5 entries (seq 0..4) verify"),
        "{out}"
    );
}

#[test]
fn a_missing_file_exits_one_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.jsonl");
    let o = ivraie().arg("verify-log").arg(&missing).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "could not be checked");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("nowhere.jsonl"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn the_recorded_head_catches_a_cut_and_reclosed_log() {
    let dir = tempfile::tempdir().unwrap();
    let (path, head) = write_log(dir.path());
    let arg = format!("{}:{}", head.head_hash, head.entries);
    let o = ivraie()
        .args(["verify-log", "--expect-head", &arg])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // Same through a report.json.
    let report = dir.path().join("report.json");
    std::fs::write(&report, json!({"oversight_head": head}).to_string()).unwrap();
    let o = ivraie()
        .arg("verify-log")
        .arg(&path)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    // Rewrite the log as a shorter one that verifies on its own: a new run's log
    // of 3 entries in its place.
    let mut w = LogWriter::create(&path).unwrap();
    w.append(0, Event::Open, None, None, json!({})).unwrap();
    w.append(1, Event::Alert, Some("l851-3"), Some(1), json!({}))
        .unwrap();
    w.close(2).unwrap();
    let o = ivraie().arg("verify-log").arg(&path).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "alone, the chain cannot tell");
    for extra in [
        vec!["--expect-head".to_string(), arg.clone()],
        vec!["--report".into(), report.to_str().unwrap().into()],
    ] {
        let o = ivraie()
            .arg("verify-log")
            .arg(&path)
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        let out = stdout(&o);
        assert!(out.contains("the run recorded 6 entries"), "{out}");
        assert!(out.contains("the file has 3 entries"), "{out}");
    }
    // A report without the field cannot be checked against.
    std::fs::write(&report, "{}").unwrap();
    let o = ivraie()
        .arg("verify-log")
        .arg(&path)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "could not be checked");
    assert!(String::from_utf8_lossy(&o.stderr).contains("oversight_head"));
}
