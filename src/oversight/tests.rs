//! Tests of the oversight log: a real log written to a temporary file, then
//! tampered with in each way the issue lists, and the exact problem checked.

use super::*;
use crate::capture::clock::parse_date;
use serde_json::json;

struct Log {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    head: LogHead,
}

impl Log {
    fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.path)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn write_lines(&self, lines: &[String]) {
        let mut text = lines.join("\n");
        text.push('\n');
        std::fs::write(&self.path, text).unwrap();
    }

    fn verify(&self) -> Result<Verified, VerifyError> {
        verify(&self.path)
    }
}

fn t0() -> i64 {
    parse_date("2026-01-01").unwrap()
}

/// A closed log of 8 entries: seq 0..7 on lines 1..8, the close on line 8.
fn sample_log() -> Log {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oversight.jsonl");
    let mut w = LogWriter::create(&path).unwrap();
    let h = 3_600 * 1_000_000_000i64;
    w.append(t0(), Event::Open, None, None, json!({"scenario": "l851-3"}))
        .unwrap();
    w.append(
        t0(),
        Event::Authorisation,
        Some("l851-3"),
        Some(1),
        json!({"months": 2}),
    )
    .unwrap();
    w.append(
        t0() + h,
        Event::Alert,
        Some("l851-3"),
        Some(1),
        json!({"pseudonym": "p-17", "score": 0.9}),
    )
    .unwrap();
    w.append(
        t0() + 2 * h,
        Event::Alert,
        Some("l851-3"),
        Some(1),
        json!({"pseudonym": "p-4", "score": 0.75}),
    )
    .unwrap();
    w.append(
        t0() + 3 * h,
        Event::Identification,
        Some("l851-3"),
        Some(1),
        json!({"pseudonym": "p-17"}),
    )
    .unwrap();
    w.append(
        t0() + 4 * h,
        Event::Purge,
        Some("l851-3"),
        Some(1),
        json!({"records": 1200}),
    )
    .unwrap();
    w.append(
        t0() + 5 * h,
        Event::WindowEnd,
        Some("l851-3"),
        Some(1),
        json!({"alerts": 2}),
    )
    .unwrap();
    assert_eq!(w.entries(), 7);
    let head = w.close(t0() + 6 * h).unwrap();
    assert_eq!(head.entries, 8);
    Log {
        _dir: dir,
        path,
        head,
    }
}

#[track_caller]
fn failure(log: &Log) -> VerifyError {
    match log.verify() {
        Ok(v) => panic!("the tampered log verified: {v:?}"),
        Err(e) => e,
    }
}

/// Recomputes a line's hash after an edit, as a forger would.
fn rehash(line: &str) -> String {
    let mut v: Value = serde_json::from_str(line).unwrap();
    v.as_object_mut().unwrap().remove("hash");
    let h = entry_hash(&v);
    v.as_object_mut()
        .unwrap()
        .insert("hash".into(), Value::String(h));
    serde_json::to_string(&v).unwrap()
}

#[test]
fn a_closed_log_verifies() {
    let log = sample_log();
    let v = log.verify().unwrap();
    assert_eq!(v.entries, 8);
    assert!(v.closed);
    assert_eq!(v.head(), log.head);
    assert_eq!(verify_against(&log.path, &log.head).unwrap(), v);
    let last: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "close");
    assert_eq!(last["details"], json!({"entries": 8}));
}

#[test]
fn entry_line_has_the_documented_fields_order_and_hash() {
    let log = sample_log();
    let line = &log.lines()[0];
    let canonical = format!(
        r#"{{"box":null,"details":{{"scenario":"l851-3"}},"event":"open","prev":"{GENESIS}","seq":0,"time":"2026-01-01T00:00:00Z","time_ns":1767225600000000000,"window":null}}"#
    );
    let hash = hex(&Sha256::digest(canonical.as_bytes()));
    assert_eq!(
        line,
        &format!(
            r#"{{"seq":0,"time":"2026-01-01T00:00:00Z","time_ns":1767225600000000000,"event":"open","box":null,"window":null,"details":{{"scenario":"l851-3"}},"prev":"{GENESIS}","hash":"{hash}"}}"#
        )
    );
    let second: Value = serde_json::from_str(&log.lines()[1]).unwrap();
    assert_eq!(second["prev"], hash.as_str());
    assert_eq!(second["event"], "authorisation");
    assert_eq!(second["box"], "l851-3");
    assert_eq!(second["window"], 1);
}

#[test]
fn reformatting_a_line_is_not_tampering() {
    let log = sample_log();
    let mut lines = log.lines();
    // Members in reverse order, spaces after separators.
    let v: Value = serde_json::from_str(&lines[2]).unwrap();
    let reversed: serde_json::Map<String, Value> = v
        .as_object()
        .unwrap()
        .iter()
        .rev()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    lines[2] = serde_json::to_string(&reversed)
        .unwrap()
        .replace("\":", "\": ")
        .replace(",\"", ", \"");
    assert_ne!(lines[2], log.lines()[2]);
    log.write_lines(&lines);
    assert_eq!(log.verify().unwrap().entries, 8);
}

#[test]
fn an_edited_field_is_detected() {
    let log = sample_log();
    let mut lines = log.lines();
    assert!(lines[3].contains(r#""score":0.75"#));
    lines[3] = lines[3].replace(r#""score":0.75"#, r#""score":0.7"#);
    log.write_lines(&lines);
    let e = failure(&log);
    assert!(
        matches!(e.problem, Problem::Edited { line: 4, seq: 3 }),
        "{e}"
    );
    assert_eq!(e.intact, 3);
    assert!(!e.is_interrupted());
    assert_eq!(
        e.to_string(),
        "line 4 (seq 3) was edited: its content does not match its hash; the first 3 entries (seq 0..2) verify"
    );
}

#[test]
fn an_added_member_is_an_edit() {
    let log = sample_log();
    let mut lines = log.lines();
    lines[1] = lines[1].replacen('{', r#"{"note":"harmless","#, 1);
    log.write_lines(&lines);
    assert!(matches!(
        failure(&log).problem,
        Problem::Edited { line: 2, seq: 1 }
    ));
}

#[test]
fn a_removed_entry_is_detected() {
    let log = sample_log();
    let mut lines = log.lines();
    lines.remove(3);
    log.write_lines(&lines);
    let e = failure(&log);
    assert!(
        matches!(
            e.problem,
            Problem::Removed {
                line: 4,
                seq: 4,
                expected: 3
            }
        ),
        "{e}"
    );
    assert_eq!(e.intact, 3);
    assert!(e.to_string().contains("entry seq 3 is missing"), "{e}");
    // Several in a row.
    lines.remove(3);
    log.write_lines(&lines);
    let e = failure(&log);
    assert!(
        matches!(
            e.problem,
            Problem::Removed {
                line: 4,
                seq: 5,
                expected: 3
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("entries seq 3..4 were removed"),
        "{e}"
    );
}

#[test]
fn swapped_entries_are_detected() {
    let log = sample_log();
    let mut lines = log.lines();
    lines.swap(2, 3);
    log.write_lines(&lines);
    let e = failure(&log);
    assert!(
        matches!(
            e.problem,
            Problem::Reordered {
                line: 3,
                seq: 3,
                expected: 2,
                expected_at: Some(4)
            }
        ),
        "{e}"
    );
    assert_eq!(e.intact, 2);
    // Far apart.
    let mut lines = log.lines();
    lines.swap(2, 3);
    lines.swap(1, 5);
    log.write_lines(&lines);
    let e = failure(&log);
    assert!(
        matches!(
            e.problem,
            Problem::Reordered {
                line: 2,
                seq: 5,
                expected: 1,
                expected_at: Some(6)
            }
        ),
        "{e}"
    );
}

#[test]
fn a_duplicated_entry_is_detected() {
    let log = sample_log();
    let mut lines = log.lines();
    let copy = lines[2].clone();
    lines.insert(5, copy);
    log.write_lines(&lines);
    let e = failure(&log);
    assert!(
        matches!(
            e.problem,
            Problem::Reordered {
                line: 6,
                seq: 2,
                expected: 5,
                expected_at: None
            }
        ),
        "{e}"
    );
    assert_eq!(e.intact, 5);
}

#[test]
fn a_cut_tail_is_detected() {
    let log = sample_log();
    let lines = log.lines();
    log.write_lines(&lines[..6]);
    let e = failure(&log);
    assert!(matches!(e.problem, Problem::Unclosed), "{e}");
    assert_eq!(e.intact, 6);
    assert!(e.is_interrupted());
    assert_eq!(
        e.to_string(),
        "the log ends without its closing entry: the run was interrupted or the tail was cut; the first 6 entries (seq 0..5) verify"
    );
    let sixth: Value = serde_json::from_str(&lines[5]).unwrap();
    assert_eq!(e.head_hash, sixth["hash"].as_str().unwrap());
}

#[test]
fn a_cut_in_the_middle_of_a_line_is_a_truncation() {
    let log = sample_log();
    let text = std::fs::read(&log.path).unwrap();
    let lines = log.lines();
    let start_of_5: usize = lines[..4].iter().map(|l| l.len() + 1).sum();
    std::fs::write(&log.path, &text[..start_of_5 + 40]).unwrap();
    let e = failure(&log);
    assert!(matches!(e.problem, Problem::Truncated { line: 5 }), "{e}");
    assert_eq!(e.intact, 4);
    assert!(e.is_interrupted());
    assert!(e.to_string().starts_with("truncated at line 5"), "{e}");
    // A complete entry whose newline is missing was not finished either.
    std::fs::write(&log.path, &text[..start_of_5 + lines[4].len()]).unwrap();
    assert!(matches!(
        failure(&log).problem,
        Problem::Truncated { line: 5 }
    ));
}

#[test]
fn garbage_is_detected() {
    let log = sample_log();
    let mut lines = log.lines();
    lines.push("rm -rf /".into());
    log.write_lines(&lines);
    let e = failure(&log);
    assert!(
        matches!(
            e.problem,
            Problem::AfterClose {
                line: 9,
                close_line: 8
            }
        ),
        "{e}"
    );
    assert_eq!(e.intact, 8);
    let mut lines = log.lines();
    lines.pop();
    lines.insert(2, "not json at all".into());
    log.write_lines(&lines);
    let e = failure(&log);
    assert!(matches!(e.problem, Problem::NotJson { line: 3, .. }), "{e}");
    assert_eq!(e.intact, 2);
    let mut lines = log.lines();
    lines[2] = r#"{"seq":2}"#.into();
    log.write_lines(&lines);
    let e = failure(&log);
    assert!(
        matches!(e.problem, Problem::Malformed { line: 3, .. }),
        "{e}"
    );
}

#[test]
fn a_forged_hash_breaks_the_chain_at_the_next_entry() {
    let log = sample_log();
    let mut lines = log.lines();
    lines[3] = rehash(&lines[3].replace("p-4", "p-5"));
    log.write_lines(&lines);
    let e = failure(&log);
    assert!(
        matches!(e.problem, Problem::ChainBroken { line: 5, seq: 4 }),
        "{e}"
    );
    assert_eq!(e.intact, 4);
}

#[test]
fn a_cut_tail_with_a_forged_close_is_caught_by_the_recorded_head() {
    let log = sample_log();
    let lines = log.lines();
    let mut kept: Vec<String> = lines[..5].to_vec();
    let last: Value = serde_json::from_str(&kept[4]).unwrap();
    let mut forged: Value = serde_json::from_str(&lines[7]).unwrap();
    forged["seq"] = json!(5);
    forged["details"] = json!({"entries": 6});
    forged["prev"] = last["hash"].clone();
    kept.push(rehash(&forged.to_string()));
    log.write_lines(&kept);
    // The chain alone cannot tell ...
    let v = log.verify().unwrap();
    assert_eq!(v.entries, 6);
    // ... the head the run recorded can.
    let e = verify_against(&log.path, &log.head).unwrap_err();
    match &e.problem {
        Problem::HeadMismatch {
            expected,
            found,
            expected_head_at,
        } => {
            assert_eq!(expected, &log.head);
            assert_eq!(found.entries, 6);
            assert_eq!(*expected_head_at, None);
        }
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("run recorded 8 entries"), "{e}");
}

#[test]
fn entries_appended_after_a_forged_reclose_are_caught_by_the_recorded_head() {
    let log = sample_log();
    let mut lines = log.lines();
    // The close cannot be followed by anything, so an attacker who wants to add
    // an entry re-chains: drop the close, add an alert, re-close.
    let prev: Value = serde_json::from_str(&lines[6]).unwrap();
    lines.truncate(7);
    let mut alert: Value = serde_json::from_str(&lines[2]).unwrap();
    alert["seq"] = json!(7);
    alert["prev"] = prev["hash"].clone();
    let alert = rehash(&alert.to_string());
    let alert_v: Value = serde_json::from_str(&alert).unwrap();
    let mut close: Value = serde_json::from_str(&log.lines()[7]).unwrap();
    close["seq"] = json!(8);
    close["details"] = json!({"entries": 9});
    close["prev"] = alert_v["hash"].clone();
    lines.push(alert);
    lines.push(rehash(&close.to_string()));
    log.write_lines(&lines);
    assert_eq!(log.verify().unwrap().entries, 9);
    let e = verify_against(&log.path, &log.head).unwrap_err();
    assert!(matches!(e.problem, Problem::HeadMismatch { .. }), "{e}");
}

#[test]
fn files_that_are_not_logs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x");
    for (content, what) in [
        (&b"hello world\n"[..], "text"),
        (&b"{\"a\":1}\n"[..], "other JSON"),
        (&b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00\n"[..], "a pcap header"),
    ] {
        std::fs::write(&p, content).unwrap();
        let e = verify(&p).unwrap_err();
        assert!(matches!(e.problem, Problem::NotALog { .. }), "{what}: {e}");
        assert!(e.to_string().starts_with("not an oversight log"), "{e}");
    }
    std::fs::write(&p, b"").unwrap();
    let e = verify(&p).unwrap_err();
    assert!(matches!(e.problem, Problem::Empty), "{e}");
    let e = verify(&dir.path().join("missing")).unwrap_err();
    assert!(matches!(e.problem, Problem::Io { .. }), "{e}");
}

#[test]
fn a_log_left_by_an_interrupted_run_verifies_up_to_its_last_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oversight.jsonl");
    let mut w = LogWriter::create(&path).unwrap();
    for i in 0..3 {
        w.append(t0() + i, Event::Alert, Some("b"), Some(1), json!({"i": i}))
            .unwrap();
    }
    drop(w);
    let e = verify(&path).unwrap_err();
    assert!(matches!(e.problem, Problem::Unclosed), "{e}");
    assert_eq!(e.intact, 3);
    // Killed in the middle of writing a fourth.
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(br#"{"seq":3,"time":"2026-01-01T00:0"#).unwrap();
    let e = verify(&path).unwrap_err();
    assert!(matches!(e.problem, Problem::Truncated { line: 4 }), "{e}");
    assert_eq!(e.intact, 3);
    assert!(e.is_interrupted());
}

#[test]
fn floats_in_details_read_back_to_the_hashed_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oversight.jsonl");
    let mut w = LogWriter::create(&path).unwrap();
    // Floats whose shortest form needs all 17 digits, tiny and huge exponents,
    // and a deterministic spread of bit patterns.
    let mut floats = vec![
        0.1 + 0.2,
        1e-7,
        5e-324,
        1.7976931348623157e308,
        -0.0,
        2.2250738585072014e-308,
    ];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while floats.len() < 2_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let f = f64::from_bits(x);
        if f.is_finite() {
            floats.push(f);
        }
    }
    for chunk in floats.chunks(100) {
        w.append(t0(), Event::Alert, None, None, json!({ "scores": chunk }))
            .unwrap();
    }
    w.close(t0()).unwrap();
    assert_eq!(verify(&path).unwrap().entries, 21);
}

#[test]
fn an_oversized_entry_is_refused_and_the_log_stays_valid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oversight.jsonl");
    let mut w = LogWriter::create(&path).unwrap();
    w.append(t0(), Event::Open, None, None, json!({})).unwrap();
    let e = w
        .append(
            t0(),
            Event::Alert,
            None,
            None,
            json!({ "blob": "x".repeat(MAX_LINE) }),
        )
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(w.entries(), 1);
    let head = w.close(t0()).unwrap();
    assert_eq!(verify_against(&path, &head).unwrap().entries, 2);
}

#[cfg(unix)]
#[test]
fn the_log_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oversight.jsonl");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let w = LogWriter::create(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "truncated");
    drop(w);
}

#[test]
fn event_names_match_their_serialized_form() {
    for e in [
        Event::Open,
        Event::Authorisation,
        Event::Renewal,
        Event::Refusal,
        Event::WindowEnd,
        Event::Alert,
        Event::Identification,
        Event::Purge,
        Event::Destruction,
        Event::Close,
    ] {
        assert_eq!(serde_json::to_value(e).unwrap(), e.name());
    }
    assert_eq!(Event::WindowEnd.name(), "window-end");
}
