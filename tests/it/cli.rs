//! End-to-end tests of the `ivraie` binary: exit statuses, bad inputs, stdin,
//! directories, formats, and output that does not depend on the thread count.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn ivraie(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A directory of several corpus captures (copied, so the merge test owns it).
fn corpus_dir(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for n in names {
        let src = common::corpus().join(n);
        std::fs::copy(&src, dir.path().join(src.file_name().unwrap())).unwrap();
    }
    dir
}

const MIXED: &[&str] = &[
    "ndpi/KakaoTalk_talk.pcap",
    "ndpi/sites.pcapng",
    "ndpi/6in4tunnel.pcap",
    "ndpi/ocs.pcap",
    "ndpi/dns.pcap",
    "tcpdump/dns_tcp.pcap",
];

#[test]
fn extract_output_is_identical_for_any_thread_count() {
    let input = corpus_dir(MIXED);
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3", "8"] {
        let out = tempfile::tempdir().unwrap();
        let o = ivraie(&[
            "extract",
            s(input.path()),
            "-o",
            s(out.path()),
            "--threads",
            threads,
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        outputs.push(std::fs::read(out.path().join("flows.jsonl")).unwrap());
    }
    assert!(
        outputs[0].len() > 10_000,
        "the merged directory yields many flows"
    );
    for o in &outputs[1..] {
        assert!(
            o == &outputs[0],
            "flows.jsonl differs between thread counts"
        );
    }
}

#[test]
fn inspect_json_is_identical_for_any_thread_count() {
    let input = corpus_dir(MIXED);
    let mut seen = Vec::new();
    for threads in ["1", "2", "5"] {
        let o = ivraie(&["inspect", "--json", "--threads", threads, s(input.path())]);
        assert_eq!(o.status.code(), Some(0));
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        // Volatile: wall time, and the peak table size (a sum of per-worker peaks).
        v.as_object_mut().unwrap().remove("wall_s");
        v.as_object_mut().unwrap().remove("flows_peak");
        seen.push(v);
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], seen[2]);
    assert_eq!(seen[0]["inputs"].as_array().unwrap().len(), MIXED.len());
}

#[test]
fn directory_inputs_are_merged_in_timestamp_order() {
    let input = corpus_dir(&["ndpi/dns.pcap", "ndpi/ocs.pcap", "tcpdump/dns_tcp.pcap"]);
    let out = tempfile::tempdir().unwrap();
    let o = ivraie(&["extract", s(input.path()), "-o", s(out.path())]);
    assert_eq!(o.status.code(), Some(0));
    let flows = common::read_jsonl(&out.path().join("flows.jsonl"));
    // The stream is in time order: so first timestamps never go back, and
    // flow ids (hashes) are distinct.
    let ts: Vec<f64> = flows.iter().map(|f| f["ts"].as_f64().unwrap()).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "flows in time order");
    let ids: Vec<u64> = flows
        .iter()
        .map(|f| f["flow_id"].as_u64().unwrap())
        .collect();
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len());
}

/// Writes a copy of a corpus capture cut in the middle of a record.
fn truncated_copy(dir: &Path) -> (PathBuf, u64) {
    let bytes = std::fs::read(common::corpus().join("ndpi/KakaoTalk_talk.pcap")).unwrap();
    let cut = bytes.len() / 2;
    let path = dir.join("cut.pcap");
    std::fs::write(&path, &bytes[..cut]).unwrap();
    (path, cut as u64)
}

#[test]
fn a_broken_file_names_file_and_offset_and_the_run_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let (cut, len) = truncated_copy(tmp.path());
    let good = common::corpus().join("tcpdump/dns_tcp.pcap");
    let missing = tmp.path().join("missing.pcap");
    let out = tmp.path().join("out");
    let o = ivraie(&["extract", s(&cut), s(&missing), s(&good), "-o", s(&out)]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(s(&cut)) && stderr.contains("truncated at byte"),
        "{stderr}"
    );
    assert!(stderr.contains(s(&missing)), "{stderr}");
    // The packets before the cut and the whole good file are kept.
    let flows = common::read_jsonl(&out.join("flows.jsonl"));
    assert!(
        flows
            .iter()
            .any(|f| f["resp_p"] == 53 && f["proto"] == "tcp"),
        "good file read"
    );
    assert!(flows.len() > 5, "partial file's flows kept");

    let o = ivraie(&["inspect", "--json", s(&cut)]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let err = &v["errors"][0];
    assert_eq!(err["path"], s(&cut));
    let offset = err["offset"].as_u64().unwrap();
    assert!(
        offset < len && offset > 24,
        "offset {offset} inside the file"
    );
    assert!(v["traffic"]["packets"].as_u64().unwrap() > 1000);
}

#[test]
fn stdin_is_read_with_a_dash() {
    let path = common::corpus().join("ndpi/KakaoTalk_talk.pcap");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .args(["inspect", "--json", "-"])
        .stdin(std::fs::File::open(&path).unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let o = child.wait().unwrap();
    assert!(o.success());
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["traffic"]["packets"], 3203);
    assert_eq!(v["inputs"][0], "-");
}

#[test]
fn csv_has_a_header_and_the_same_flows_as_jsonl() {
    let input = common::corpus().join("ndpi/KakaoTalk_talk.pcap");
    let tmp = tempfile::tempdir().unwrap();
    let (j, c) = (tmp.path().join("j"), tmp.path().join("c"));
    assert!(
        ivraie(&["extract", s(&input), "-o", s(&j)])
            .status
            .success()
    );
    assert!(
        ivraie(&["extract", s(&input), "-o", s(&c), "--format", "csv"])
            .status
            .success()
    );
    let jsonl = common::read_jsonl(&j.join("flows.jsonl"));
    let csv = std::fs::read_to_string(c.join("flows.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[..3], ["ts", "flow_id", "orig_h"]);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), jsonl.len());
    for (row, rec) in rows.iter().zip(&jsonl) {
        assert_eq!(row.len(), header.len());
        for (name, cell) in header.iter().zip(row) {
            match &rec[*name] {
                serde_json::Value::Null => assert_eq!(*cell, "", "column {name}"),
                serde_json::Value::String(v) => assert_eq!(cell, v, "column {name}"),
                v => assert_eq!(
                    cell.parse::<f64>().unwrap(),
                    v.as_f64().unwrap(),
                    "column {name}"
                ),
            }
        }
    }
}

#[test]
fn outputs_leave_no_temporary_files() {
    let input = common::corpus().join("ndpi/sites.pcapng");
    let out = tempfile::tempdir().unwrap();
    assert!(
        ivraie(&["extract", s(&input), "-o", s(out.path())])
            .status
            .success()
    );
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = ivraie::dissect::registry()
        .iter()
        .map(|d| format!("{}.jsonl", d.name()))
        .chain([
            "flows.jsonl".to_string(),
            ivraie::output::MARKER.to_string(),
        ])
        .collect();
    want.sort();
    assert_eq!(
        names, want,
        "one file per protocol, and no temporary file left"
    );
}

#[test]
fn usage_errors_exit_with_one() {
    let input = common::corpus().join("ndpi/dns.pcap");
    let o = ivraie(&["inspect", "--subscribers", "10.0.0.0/33", s(&input)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--subscribers"));
    assert_eq!(
        ivraie(&["inspect", "--threads", "0", s(&input)])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        ivraie(&["inspect"]).status.code(),
        Some(1),
        "a usage error clap finds has the same status"
    );
    let empty = tempfile::tempdir().unwrap();
    let o = ivraie(&["inspect", s(empty.path())]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no capture found"));
}

#[test]
fn subscribers_option_decides_who_is_a_subscriber() {
    let input = common::corpus().join("ndpi/KakaoTalk_talk.pcap");
    let count = |extra: &[&str]| {
        let mut args = vec!["inspect", "--json"];
        args.extend_from_slice(extra);
        args.push(s(&input));
        let v: serde_json::Value = serde_json::from_slice(&ivraie(&args).stdout).unwrap();
        v["subscribers"].as_u64().unwrap()
    };
    assert_eq!(count(&[]), count(&["--subscribers", "10.0.0.0/8"]));
    assert_eq!(count(&["--subscribers", "10.24.82.188/32"]), 1);
    assert_eq!(count(&["--subscribers", "192.0.2.0/24"]), 0);
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let input = common::corpus().join("ndpi/sites.pcapng");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .args(["inspect", "--json", s(&input)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
