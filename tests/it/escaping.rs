//! Traffic whose names, headers and URIs hold markup, quotes, control
//! characters, invalid UTF-8 and spreadsheet formulas comes out escaped in every
//! format: JSON valid, CSV safe for spreadsheets, HTML inert.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{pcap, tcp_frame, udp_frame};

const SUB: [u8; 4] = [10, 0, 0, 7];
const HOSTILE: &str = "<script>alert(\"x\")</script>";

fn dns_query_labels(id: u16, labels: &[&[u8]]) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for l in labels {
        m.push(l.len() as u8);
        m.extend_from_slice(l);
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    m
}

/// A TLS ClientHello offering one cipher, with `sni` as its server name.
fn client_hello(sni: &[u8]) -> Vec<u8> {
    let mut ext = vec![0, 0];
    let list_len = (sni.len() + 3) as u16;
    ext.extend_from_slice(&(list_len + 2).to_be_bytes());
    ext.extend_from_slice(&list_len.to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    ext.extend_from_slice(sni);
    let mut body = vec![3, 3];
    body.extend_from_slice(&[7; 32]);
    body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut hs = vec![1, 0];
    hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

fn capture(dir: &Path) -> std::path::PathBuf {
    let t0 = 1_767_225_600_000_000_000i64;
    let s = 1_000_000_000i64;
    let server = [192, 0, 2, 80];
    let mut frames = Vec::new();
    // DNS: markup and quotes, control characters, invalid UTF-8, a formula.
    let labels: [&[u8]; 4] = [
        b"<script>\"x\"",
        b"=cmd|'/c calc'!A1",
        b"\x01\x1b[31m\xff\xfe",
        b"example",
    ];
    frames.push((
        t0,
        udp_frame(
            SUB,
            [192, 0, 2, 53],
            40000,
            53,
            &dns_query_labels(1, &labels),
        ),
    ));
    // HTTP: markup in Host and URI, a formula in User-Agent.
    let req = format!(
        "GET /ab?q=\"{HOSTILE}\" HTTP/1.1\r\nHost: {HOSTILE}.example\r\nUser-Agent: =HYPERLINK(\"http://evil\")\r\n\r\n"
    );
    frames.push((t0 + s, tcp_frame(SUB, server, 50000, 80, 100, 0x02, &[])));
    frames.push((
        t0 + s + 1000,
        tcp_frame(server, SUB, 80, 50000, 900, 0x12, &[]),
    ));
    frames.push((
        t0 + s + 2000,
        tcp_frame(SUB, server, 50000, 80, 101, 0x10, &[]),
    ));
    frames.push((
        t0 + s + 3000,
        tcp_frame(SUB, server, 50000, 80, 101, 0x18, req.as_bytes()),
    ));
    // TLS: markup and a formula in the SNI.
    let hello = client_hello(format!("+{HOSTILE}\"\x00.example").as_bytes());
    frames.push((
        t0 + 2 * s,
        tcp_frame(SUB, server, 50001, 443, 100, 0x02, &[]),
    ));
    frames.push((
        t0 + 2 * s + 1000,
        tcp_frame(server, SUB, 443, 50001, 900, 0x12, &[]),
    ));
    frames.push((
        t0 + 2 * s + 2000,
        tcp_frame(SUB, server, 50001, 443, 101, 0x10, &[]),
    ));
    frames.push((
        t0 + 2 * s + 3000,
        tcp_frame(SUB, server, 50001, 443, 101, 0x18, &hello),
    ));
    // SIP: markup in the display name, a formula as the caller.
    let invite = format!(
        "INVITE sip:+290123@sip.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bK1\r\n\
         From: \"<script>alert(1)</script>\" <sip:=1+1@sip.example>;tag=1\r\nTo: <sip:+290123@sip.example>\r\n\
         Call-ID: {HOSTILE}@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    );
    frames.push((
        t0 + 3 * s,
        udp_frame(SUB, [192, 0, 2, 60], 5060, 5060, invite.as_bytes()),
    ));
    let path = dir.join("hostile.pcap");
    std::fs::write(&path, pcap(&frames)).unwrap();
    path
}

fn ivraie(args: &[&str], dir: &Path) -> std::process::Output {
    let o = Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

#[test]
fn hostile_traffic_is_escaped_in_json_csv_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    capture(d);
    ivraie(&["extract", "hostile.pcap", "-o", "json"], d);
    ivraie(
        &["extract", "hostile.pcap", "-o", "csv", "--format", "csv"],
        d,
    );

    // JSON: every line parses, and the hostile values are there, as data.
    let mut seen = String::new();
    for proto in ["dns", "http", "tls", "sip"] {
        let text = std::fs::read_to_string(d.join("json").join(format!("{proto}.jsonl"))).unwrap();
        assert!(!text.is_empty(), "{proto} has a record");
        for l in text.lines() {
            let v: serde_json::Value = serde_json::from_str(l).expect("valid JSON");
            seen.push_str(&v.to_string());
            assert!(
                !l.bytes().any(|b| b < 0x20),
                "raw control byte in {proto}.jsonl"
            );
        }
    }
    for needle in ["<script>", "=cmd", "=HYPERLINK", "\"caller\":\"=1+1\""] {
        assert!(seen.contains(needle), "{needle} was extracted: {seen}");
    }

    // CSV: Python's csv module reads every file; no cell starts a formula.
    let check = r#"
import csv, sys, glob
bad = []
for path in glob.glob(sys.argv[1] + "/*.csv"):
    with open(path, newline="", encoding="utf-8", errors="strict") as f:
        rows = list(csv.reader(f))
    width = len(rows[0])
    for r in rows:
        assert len(r) == width, (path, r)
        for c in r:
            if c[:1] in ("=", "+", "-", "@", "\t", "\r"):
                try:
                    float(c)
                except ValueError:
                    bad.append((path, c))
print(len(bad))
for b in bad: print(b)
"#;
    let o = Command::new("python3")
        .args(["-c", check])
        .arg(d.join("csv"))
        .output()
        .expect("python3 runs the CSV check");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "0");
    let http = std::fs::read_to_string(d.join("csv/http.csv")).unwrap();
    assert!(
        http.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
        "{http}"
    );

    // HTML: a scenario over the capture; nothing from the traffic becomes markup.
    std::fs::write(
        d.join("s.toml"),
        "name = \"hostile\"\n[source]\ncaptures = [\"hostile.pcap\"]\n[[boxes]]\nname = \"all\"\n\
         scope = \"content\"\nthreshold = 1\nwindow = \"1d\"\n[[boxes.rules]]\non = [\"dns\", \"http\", \"tls\", \"call\"]\n",
    )
    .unwrap();
    ivraie(&["run", "s.toml", "-o", "run", "--tables"], d);
    let html = std::fs::read_to_string(d.join("run/report.html")).unwrap();
    assert!(!html.contains("<script"), "no script element in the page");
    assert!(!html.contains("alert(\"x\")"));
    let alerts = std::fs::read_to_string(d.join("run/alerts.jsonl")).unwrap();
    assert_eq!(alerts.lines().count(), 1, "the subscriber was flagged");
    for f in std::fs::read_dir(d.join("run")).unwrap() {
        let p = f.unwrap().path();
        if p.is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            assert!(
                !text.contains(HOSTILE),
                "{} holds raw traffic markup",
                p.display()
            );
        }
    }
}
