//! The exit statuses of the README ("Exit status"), one test each, and the
//! messages a newcomer meets in the first hour, in their taught form: what was
//! wrong, where, what to do, said once.
//!
//! 0: the job is done. 1: it could not be done (usage, bad scenario, missing
//! file, refused output). 2: done on damaged input (a capture not read to its
//! end, an oversight log that does not verify). 128 + N: stopped by signal N
//! (tests/it/outputs.rs).

use std::path::Path;
use std::process::Output;

use crate::common::{self, repo, stderr};

fn ivraie(args: &[&str], cwd: &Path) -> Output {
    common::ivraie_in(args, cwd)
}

fn corpus(name: &str) -> String {
    common::corpus().join(name).display().to_string()
}

#[test]
fn zero_when_the_job_is_done() {
    let t = tempfile::tempdir().unwrap();
    for args in [
        vec!["inspect", "--no-progress"],
        vec!["--help"],
        vec!["inspect", "--help"],
        vec!["--version"],
    ] {
        let mut args = args.clone();
        let dns = corpus("ndpi/dns.pcap");
        if args[0] == "inspect" && args.len() == 2 {
            args.push(&dns);
            let o = ivraie(&args, t.path());
            assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        } else {
            let o = ivraie(&args, t.path());
            assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        }
    }
}

#[test]
fn one_when_the_job_cannot_be_done_usage_included() {
    let t = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        // Usage errors clap finds: the same status as ours.
        (vec!["frobnicate".into()], "unrecognized subcommand"),
        (
            vec!["inspect".into(), "--nope".into()],
            "unexpected argument",
        ),
        (
            vec![
                "baserate",
                "--population",
                "0",
                "--targets",
                "1",
                "--tpr",
                "1",
                "--fpr",
                "1%",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            "at least one person",
        ),
        (
            vec![
                "sweep".into(),
                repo("scenarios/classroom.toml"),
                "--set".into(),
                "box.nope.threshold=1..3".into(),
            ],
            "nope",
        ),
        (
            vec![
                "sweep".into(),
                repo("scenarios/classroom.toml"),
                "--set".into(),
                "box.watchlist.colour=1".into(),
            ],
            "colour",
        ),
        (
            vec!["run".into(), "nope.toml".into()],
            "cannot read scenario nope.toml",
        ),
        (
            vec!["verify-log".into(), "nowhere.jsonl".into()],
            "nowhere.jsonl",
        ),
    ];
    for (args, says) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = ivraie(&args, t.path());
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn two_when_the_input_is_damaged() {
    let t = tempfile::tempdir().unwrap();
    // A capture cut in the middle of a record.
    let bytes = std::fs::read(corpus("ndpi/dns.pcap")).unwrap();
    std::fs::write(t.path().join("cut.pcap"), &bytes[..bytes.len() - 7]).unwrap();
    let o = ivraie(&["inspect", "cut.pcap"], t.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cut.pcap: truncated at byte"),
        "{}",
        stderr(&o)
    );

    // An oversight log edited after the run: verify-log and report both say so.
    let pcap = corpus("ndpi/dns.pcap");
    common::capture_scenario(t.path(), "s", &pcap);
    let o = ivraie(&["run", "s.toml", "-o", "R", "--no-progress"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let log = t.path().join("R/oversight.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("\"seq\":1", "\"seq\":7", 1)).unwrap();
    let o = ivraie(&["verify-log", "R/oversight.jsonl"], t.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = ivraie(&["report", "R"], t.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("does not verify"), "{}", stderr(&o));
}

#[test]
fn messages_teach_once() {
    let t = tempfile::tempdir().unwrap();
    // An OS error is said once.
    let e = stderr(&ivraie(&["run", "nope.toml"], t.path()));
    assert_eq!(e.matches("No such file or directory").count(), 1, "{e}");

    // A wrong type in a scenario names the key and the kind in words.
    let text = std::fs::read_to_string(repo("scenarios/classroom.toml")).unwrap();
    std::fs::write(
        t.path().join("bad.toml"),
        text.replacen("threshold = 3", "threshold = \"three\"", 1),
    )
    .unwrap();
    let o = ivraie(&["check", "bad.toml"], t.path());
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("bad.toml:") && e.contains("`threshold` must be a whole number, like 3"),
        "{e}"
    );
    assert!(!e.contains("u64"), "no Rust type names: {e}");

    // A negative rate is a wrong rate, not an unknown flag.
    let o = ivraie(
        &[
            "baserate",
            "--population",
            "100",
            "--targets",
            "1",
            "--tpr",
            "1",
            "--fpr",
            "-0.1",
        ],
        t.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not between 0 and 1"), "{}", stderr(&o));

    // An option of a feature this build left out is listed, and says so.
    let help =
        String::from_utf8_lossy(&ivraie(&["extract", "--help"], t.path()).stdout).into_owned();
    assert!(
        help.contains("parquet") && help.contains("--features"),
        "{help}"
    );
    let ihelp =
        String::from_utf8_lossy(&ivraie(&["inspect", "--help"], t.path()).stdout).into_owned();
    assert!(
        ihelp.contains("--interface") && ihelp.contains("--filter"),
        "{ihelp}"
    );
    #[cfg(not(feature = "parquet"))]
    {
        let o = ivraie(
            &[
                "extract",
                &corpus("ndpi/dns.pcap"),
                "-o",
                "p",
                "--format",
                "parquet",
            ],
            t.path(),
        );
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("--features parquet"), "{}", stderr(&o));
        assert!(!t.path().join("p").exists(), "refused before any work");
    }
    #[cfg(not(feature = "live"))]
    for args in [
        vec!["inspect", "-i", "lo"],
        vec!["inspect", "--filter", "udp", "x.pcap"],
    ] {
        let o = ivraie(&args, t.path());
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains("--features live"), "{}", stderr(&o));
    }
}

/// A record claiming 300,000 captured bytes: the corruption is reported at
/// that record's offset, as tshark reports it, not further on.
#[test]
fn an_oversized_record_is_reported_at_its_offset() {
    let t = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(corpus("ndpi/dns.pcap")).unwrap();
    let at = bytes.len();
    bytes.extend(1u32.to_le_bytes());
    bytes.extend(0u32.to_le_bytes());
    bytes.extend(300_000u32.to_le_bytes());
    bytes.extend(300_000u32.to_le_bytes());
    let good = std::fs::read(corpus("ndpi/dns.pcap")).unwrap();
    for _ in 0..200 {
        bytes.extend_from_slice(&good[24..]);
    }
    std::fs::write(t.path().join("big.pcap"), &bytes).unwrap();
    let o = ivraie(&["inspect", "big.pcap"], t.path());
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("big.pcap: corrupt at byte {at}")),
        "{e}"
    );
}

/// Capture file names often hold addresses or customers' names: report.json
/// has none unless `--name-inputs`.
#[test]
fn report_json_names_no_capture_file_unless_asked() {
    let t = tempfile::tempdir().unwrap();
    let name = "customer-198.51.100.7.pcap";
    std::fs::copy(corpus("ndpi/dns.pcap"), t.path().join(name)).unwrap();
    common::capture_scenario(t.path(), "s", &name);
    let o = ivraie(&["run", "s.toml", "-o", "R", "--no-progress"], t.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let r = std::fs::read_to_string(t.path().join("R/report.json")).unwrap();
    assert!(!r.contains("198.51.100.7"), "{r}");
    assert!(r.contains("\"input 1\""), "{r}");
    let o = ivraie(
        &["run", "s.toml", "-o", "R", "--no-progress", "--name-inputs"],
        t.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r = std::fs::read_to_string(t.path().join("R/report.json")).unwrap();
    assert!(r.contains(name), "asked for");
}
