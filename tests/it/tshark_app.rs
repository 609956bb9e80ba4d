//! Application values agree with tshark on the whole corpus.
//!
//! `tests/tshark/make-app-expected.py` stored, for every corpus capture that has
//! any, the distinct DNS query names, TLS/QUIC SNI, HTTP Host values, SIP
//! Call-IDs and SMTP RCPT TO addresses tshark 4.0 finds. Every difference,
//! either way, must be explained in `tests/tshark/app-differences.txt`.
//!
//! The target is 99% of tshark's values overall, asserted below. Measured on
//! 2026-12-06: 99.2% (1,913 of 1,928; TLS after POP3's STLS and a mangled HTTP
//! request read leniently are now found). What is still missed: a fuzzed
//! capture whose mangled SIP messages tshark reads past (9 Call-IDs: ACKs of a
//! dialog whose INVITE's Call-ID was mangled, start lines ivraie refuses),
//! Google QUIC T050/T051 and mvfst's experimental version (not decrypted), TLS
//! inside RDP over UDP, CAPWAP data tunnels and a ClientHello cut in a way
//! tshark reassembles.

use std::path::Path;

use crate::peers::{self, Peer, Values};

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

/// DNS names as bytes, shown alike for both tools ([`peers::show_bytes`]).
fn same_bytes(kind: &str, v: &str, ivraie: bool) -> String {
    match kind {
        "dns" if ivraie => peers::show_bytes(&peers::unescape_ivraie(v)),
        "dns" => peers::show_bytes(&unescape_tshark(v)),
        _ => v.to_string(),
    }
}

fn ours(dir: &Path) -> Values {
    let mut v = Values::new();
    peers::add(&mut v, dir, "dns.jsonl", "query", "dns");
    peers::add(&mut v, dir, "dns.jsonl", "extra_queries", "dns");
    peers::add(&mut v, dir, "tls.jsonl", "server_name", "sni");
    peers::add(&mut v, dir, "quic.jsonl", "server_name", "sni");
    peers::add(&mut v, dir, "http.jsonl", "host", "host");
    peers::add(&mut v, dir, "sip.jsonl", "call_id", "sip");
    peers::add(&mut v, dir, "smtp.jsonl", "rcpt_to", "rcpt");
    // tshark prints the root name as `<Root>`; ivraie as `.`.
    if v.remove(&("dns".to_string(), ".".to_string())) {
        v.insert(("dns".to_string(), "<Root>".to_string()));
    }
    v
}

const TSHARK: Peer = Peer {
    name: "tshark",
    expected: "tshark/app",
    differences: "tshark/app-differences.txt",
    ours,
    same: same_bytes,
};

#[test]
fn application_values_agree_with_tshark() {
    peers::compare(&TSHARK).check(&TSHARK, 99);
}
