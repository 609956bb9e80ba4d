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

/// Cisco HDLC under its own link type (DLT 104), as Cisco routers capture it:
/// tcpdump's `HDLC.pcap` (SLARP keepalives, CDP and IPv4 between two routers)
/// and nDPI's `BGP_redist.pcap` are decoded, not counted as unsupported.
#[test]
fn cisco_hdlc_captures_are_decoded() {
    let inspect = |name: &str| -> serde_json::Value {
        let o = Command::new(env!("CARGO_BIN_EXE_ivraie"))
            .args(["inspect", "--json"])
            .arg(common::corpus().join(name))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let hdlc = inspect("tcpdump/HDLC.pcap");
    assert_eq!(hdlc["traffic"]["link_types"]["c_hdlc"], 38);
    assert!(
        hdlc["traffic"]["anomalies"]
            .get("link.unsupported")
            .is_none()
    );
    // tshark finds 10 IPv4 packets among the 38 frames: pings, one flow.
    assert_eq!(hdlc["traffic"]["protocols"]["ipv4"], 10, "{hdlc}");
    assert_eq!(hdlc["traffic"]["protocols"]["icmp"], 10, "{hdlc}");
    assert_eq!(
        hdlc["traffic"]["protocols"]["other_l2"], 28,
        "SLARP and CDP"
    );
    let bgp = inspect("ndpi/BGP_redist.pcap");
    assert_eq!(bgp["flows"], 2);
    assert_eq!(bgp["apps"]["bgp"], 2, "{bgp}");
}
