//! Application values agree with tshark on the whole corpus.
//!
//! `tests/tshark/make-app-expected.py` stored, for every corpus capture that has
//! any, the distinct DNS query names, TLS/QUIC SNI, HTTP Host values, SIP
//! Call-IDs and SMTP RCPT TO addresses tshark 4.0 finds. Every value ivraie
//! reports that tshark does not must be explained in
//! `tests/tshark/app-differences.txt`.
//!
//! The target is 99% of tshark's values overall, asserted below. Measured on
//! 2026-12-06: 99.2% (1,913 of 1,928; TLS after POP3's STLS and a mangled HTTP
//! request read leniently are now found). What is still missed: a fuzzed
//! capture whose mangled SIP messages tshark reads past (9 Call-IDs: ACKs of a
//! dialog whose INVITE's Call-ID was mangled, start lines ivraie refuses),
//! Google QUIC T050/T051 and mvfst's experimental version (not decrypted), TLS
//! inside RDP over UDP, CAPWAP data tunnels and a ClientHello cut in a way
//! tshark reassembles.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ivraie::capture::InputSpec;
use ivraie::pipeline::{self, Config, Format, Output};

type Values = BTreeSet<(String, String)>;

/// The bytes behind a DNS name as ivraie writes it: `\DDD` is one octet.
fn unescape_ivraie(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let digits = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(u8::is_ascii_digit));
        match (b[i], digits) {
            (b'\\', Some(d)) => {
                let v = d.iter().fold(0u32, |a, x| a * 10 + u32::from(x - b'0'));
                out.push(v as u8);
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The bytes behind a name as tshark 4.0 prints it: C escapes and `\ooo` octal.
fn unescape_tshark(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let octal = b
                .get(i + 1..i + 4)
                .filter(|d| d.iter().all(|x| (b'0'..=b'7').contains(x)));
            if let Some(d) = octal {
                out.push(d.iter().fold(0u32, |a, x| a * 8 + u32::from(x - b'0')) as u8);
                i += 4;
                continue;
            }
            let c = match b[i + 1] {
                b'a' => 7,
                b'b' => 8,
                b't' => 9,
                b'n' => 10,
                b'v' => 11,
                b'f' => 12,
                b'r' => 13,
                other => other,
            };
            out.push(c);
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// One presentation for both tools: the bytes, shown as lossy UTF-8 with each
/// run of replacement characters made one. tshark replaces invalid UTF-8 with
/// one U+FFFD per run of bad octets where Rust's `from_utf8_lossy` puts one per
/// maximal subpart: the same bytes would otherwise read as different names.
fn same_bytes(kind: &str, v: &str, ivraie: bool) -> String {
    if kind != "dns" {
        return v.to_string();
    }
    let bytes = if ivraie {
        unescape_ivraie(v)
    } else {
        unescape_tshark(v)
    };
    let mut out = String::new();
    for c in String::from_utf8_lossy(&bytes).chars() {
        if !(c == char::REPLACEMENT_CHARACTER && out.ends_with(char::REPLACEMENT_CHARACTER)) {
            out.push(c);
        }
    }
    out
}

fn ours(dir: &Path) -> Values {
    let mut v = Values::new();
    let mut add = |kind: &str, val: &serde_json::Value| {
        let items = match val {
            serde_json::Value::Array(a) => a.clone(),
            serde_json::Value::Null => vec![],
            other => vec![other.clone()],
        };
        for i in items {
            if let Some(s) = i.as_str() {
                v.insert((kind.to_string(), s.to_string()));
            }
        }
    };
    // tshark prints the root name as `<Root>`; ivraie as `.`.
    let root = |v: &mut Values| {
        if v.remove(&("dns".to_string(), ".".to_string())) {
            v.insert(("dns".to_string(), "<Root>".to_string()));
        }
    };
    for r in common::read_jsonl(&dir.join("dns.jsonl")) {
        add("dns", &r["query"]);
        add("dns", &r["extra_queries"]);
    }
    for f in ["tls.jsonl", "quic.jsonl"] {
        for r in common::read_jsonl(&dir.join(f)) {
            add("sni", &r["server_name"]);
        }
    }
    for r in common::read_jsonl(&dir.join("http.jsonl")) {
        add("host", &r["host"]);
    }
    for r in common::read_jsonl(&dir.join("sip.jsonl")) {
        add("sip", &r["call_id"]);
    }
    for r in common::read_jsonl(&dir.join("smtp.jsonl")) {
        add("rcpt", &r["rcpt_to"]);
    }
    root(&mut v);
    v.into_iter()
        .map(|(k, x)| (k.clone(), same_bytes(&k, &x, true)))
        .collect()
}

/// `capture kind value-or-*  # reason` lines.
fn differences() -> BTreeSet<(String, String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tshark/app-differences.txt");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut it = l.splitn(3, ' ');
            let (c, k, v) = (
                it.next().unwrap(),
                it.next().unwrap(),
                it.next().unwrap_or("*"),
            );
            (c.to_string(), k.to_string(), v.trim().to_string())
        })
        .collect()
}

#[test]
fn application_values_agree_with_tshark() {
    let corpus = common::corpus();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tshark/app");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 100, "expected values for the corpus");
    let allowed = differences();
    let (mut total, mut found) = (
        BTreeMap::<String, usize>::new(),
        BTreeMap::<String, usize>::new(),
    );
    let mut missed = Vec::new();
    let mut unexplained = Vec::new();
    for exp in files {
        let text = std::fs::read_to_string(&exp).unwrap();
        let rel = text
            .lines()
            .next()
            .unwrap()
            .trim_start_matches("# ")
            .to_string();
        let want: Values = text
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(' '))
            .map(|(k, v)| (k.to_string(), same_bytes(k, v, false)))
            .collect();
        let out = tempfile::tempdir().unwrap();
        let cfg = Config {
            threads: 1,
            output: Some(Output {
                dir: out.path().to_path_buf(),
                format: Format::Jsonl,
            }),
            ..Config::default()
        };
        pipeline::run(&[InputSpec::File(corpus.join(&rel))], &cfg).unwrap();
        let got = ours(out.path());
        for (k, v) in &want {
            *total.entry(k.clone()).or_default() += 1;
            if got.contains(&(k.clone(), v.clone())) {
                *found.entry(k.clone()).or_default() += 1;
            } else {
                missed.push(format!("{rel} {k} {v}"));
            }
        }
        for (k, v) in got.difference(&want) {
            let ok = allowed.contains(&(rel.clone(), k.clone(), v.clone()))
                || allowed.contains(&(rel.clone(), k.clone(), "*".to_string()));
            if !ok {
                unexplained.push(format!("{rel} {k} {v}"));
            }
        }
    }
    for m in &missed {
        eprintln!("missed: {m}");
    }
    for (k, t) in &total {
        eprintln!(
            "{k}: {} of {t} tshark values found",
            found.get(k).copied().unwrap_or(0)
        );
    }
    let (t, f): (usize, usize) = (total.values().sum(), found.values().sum());
    assert!(
        unexplained.is_empty(),
        "values tshark does not report:\n{}",
        unexplained.join("\n")
    );
    assert!(f * 100 >= t * 99, "found {f} of {t} tshark values (< 99%)");
}
