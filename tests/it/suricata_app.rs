//! Application values agree with Suricata 7, a peer of another parser lineage
//! than tshark's, on the whole corpus.
//!
//! `tests/suricata/make-expected.py` ran Suricata 7.0 with no rules on every
//! corpus capture and stored, for those that have any, the distinct values of
//! its `eve.json` dns, tls, http, smtp and sip events: DNS names, TLS server
//! names, certificate subjects and JA3 hashes, HTTP hosts, URLs, user agents
//! and status codes, SMTP HELO names, senders and recipients, and the called
//! user of SIP INVITEs. Every difference, either way, is explained in
//! `tests/suricata/differences.txt`; ivraie must find at least 98% of
//! Suricata's values (asserted below; the figure is in the README).

use std::path::Path;

use crate::common;
use crate::peers::{self, Peer, Values};

fn ours(dir: &Path) -> Values {
    let mut v = Values::new();
    peers::add(&mut v, dir, "dns.jsonl", "query", "dns");
    peers::add(&mut v, dir, "dns.jsonl", "extra_queries", "dns");
    for (field, kind) in [
        ("server_name", "sni"),
        ("subject", "subject"),
        ("ja3", "ja3"),
    ] {
        peers::add(&mut v, dir, "tls.jsonl", field, kind);
    }
    for (field, kind) in [
        ("host", "host"),
        ("uri", "url"),
        ("user_agent", "ua"),
        ("status", "status"),
    ] {
        peers::add(&mut v, dir, "http.jsonl", field, kind);
    }
    for (field, kind) in [("helo", "helo"), ("mail_from", "from"), ("rcpt_to", "rcpt")] {
        peers::add(&mut v, dir, "smtp.jsonl", field, kind);
    }
    for r in common::read_jsonl(&dir.join("sip.jsonl")) {
        if let (Some("INVITE"), Some(c)) = (r["method"].as_str(), r["callee"].as_str()) {
            v.insert(("callee".to_string(), c.to_string()));
        }
    }
    v
}

/// The bytes behind a DNS name as Suricata writes it: `\xNN` is one octet.
fn unescape_suricata(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 2..i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], b.get(i + 1), hex) {
            (b'\\', Some(b'x'), Some(v)) => {
                out.push(v);
                i += 4;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// One presentation for both tools. DNS names: the bytes, as tshark's test
/// shows them. Suricata's `http.hostname` is the Host header lower-cased,
/// without its port.
fn same(kind: &str, v: &str, ivraie: bool) -> String {
    match kind {
        "dns" if ivraie => peers::show_bytes(&peers::unescape_ivraie(v)),
        "dns" => peers::show_bytes(&unescape_suricata(v)),
        "host" if ivraie => {
            let h = v.to_ascii_lowercase();
            match h.rsplit_once(':') {
                Some((name, port)) if !name.ends_with(']') && !name.contains(':') => {
                    let _ = port;
                    name.to_string()
                }
                _ => h,
            }
        }
        _ => v.to_string(),
    }
}

const SURICATA: Peer = Peer {
    name: "Suricata",
    expected: "suricata/expected",
    differences: "suricata/differences.txt",
    ours,
    same,
};

#[test]
fn application_values_agree_with_suricata() {
    peers::compare(&SURICATA).check(&SURICATA, 98);
}
