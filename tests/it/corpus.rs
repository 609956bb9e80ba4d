//! `ivraie inspect` survives every capture of the shared corpus: no panic, no hang,
//! exit status 0 or 2, and every failure message names its file.

use crate::common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A hang, not a speed bar: the slowest corpus file takes milliseconds.
const HANG: Duration = Duration::from_secs(20);

#[test]
fn inspect_survives_the_whole_corpus() {
    let bin = env!("CARGO_BIN_EXE_ivraie");
    let files = common::corpus_captures();
    assert!(files.len() > 1000, "corpus has {} captures", files.len());
    let mut failed = 0;
    for f in &files {
        let mut child = Command::new(bin)
            .args(["inspect", "--threads", "2", "--json"])
            .arg(f)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > HANG {
                child.kill().unwrap();
                panic!("{} hangs", f.display());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 2)),
            "{}: exit {code:?}, stderr: {stderr}",
            f.display()
        );
        assert!(!stderr.contains("panicked"), "{}: {stderr}", f.display());
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: JSON summary: {e}", f.display()));
        if code == Some(2) {
            failed += 1;
            let name = f.display().to_string();
            assert!(
                stderr.contains(&name),
                "{name}: message does not name the file: {stderr}"
            );
            let errors = summary["errors"].as_array().unwrap();
            assert!(!errors.is_empty() && errors.iter().all(|e| e["path"] == name.as_str()));
        }
    }
    // Some corpus files are broken on purpose (e.g. ndpi/fuzz-2021-10-13.pcap).
    assert!(
        failed >= 1,
        "the deliberately truncated captures are reported"
    );
}
