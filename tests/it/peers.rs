//! Agreement with another tool's view of the shared corpus, shared by
//! `tshark_app.rs` and `suricata_app.rs`.
//!
//! A peer's expected values are checked-in files, one per capture: a first
//! line `# <capture>`, then `<kind> <value>` lines. Every value ivraie
//! reports that the peer does not must be explained in a differences file of
//! `<capture> <kind> <value, or *>  # reason` lines, and so must every value
//! the peer reports that ivraie misses, on lines that start with `-`.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// (kind, value) pairs.
pub type Values = BTreeSet<(String, String)>;

/// The bytes behind a DNS name as ivraie writes it: `\DDD` is one octet.
pub fn unescape_ivraie(s: &str) -> Vec<u8> {
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

/// Bytes shown as lossy UTF-8 with each run of replacement characters made
/// one: tshark replaces invalid UTF-8 with one U+FFFD per run of bad octets
/// where Rust's `from_utf8_lossy` puts one per maximal subpart; the same
/// bytes would otherwise read as different names.
pub fn show_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for c in String::from_utf8_lossy(bytes).chars() {
        if !(c == char::REPLACEMENT_CHARACTER && out.ends_with(char::REPLACEMENT_CHARACTER)) {
            out.push(c);
        }
    }
    out
}

/// A JSON value as strings: an array's strings, a string, a number.
pub fn strings(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::Array(a) => a.iter().flat_map(strings).collect(),
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Number(n) => vec![n.to_string()],
        _ => vec![],
    }
}

/// Adds `field` of every record of `dir/file` as values of `kind`.
pub fn add(v: &mut Values, dir: &Path, file: &str, field: &str, kind: &str) {
    for r in common::read_jsonl(&dir.join(file)) {
        for s in strings(&r[field]) {
            v.insert((kind.to_string(), s));
        }
    }
}

/// `capture kind value-or-*  # reason` lines of `tests/<file>`: values ivraie
/// reports and the peer does not; with `-` before the capture, values the
/// peer reports and ivraie does not.
fn differences(file: &str) -> BTreeSet<(String, String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(file);
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

/// How one peer is compared.
pub struct Peer {
    /// The peer's name, for messages.
    pub name: &'static str,
    /// Folder of expected files, under `tests/`.
    pub expected: &'static str,
    /// Differences file, under `tests/`.
    pub differences: &'static str,
    /// ivraie's values from an output folder of JSON Lines.
    pub ours: fn(&Path) -> Values,
    /// One presentation of a value for both tools: (kind, value, from ivraie?).
    pub same: fn(&str, &str, bool) -> String,
}

/// What a comparison found, by kind: (peer's values, of them found by ivraie).
pub struct Agreement {
    pub by_kind: BTreeMap<String, (usize, usize)>,
    /// The peer's values ivraie misses that the differences file does not list.
    pub missed: Vec<String>,
    /// ivraie's values the peer does not report and the file does not list.
    pub unexplained: Vec<String>,
}

impl Agreement {
    /// Asserts that every difference is listed and that ivraie finds at
    /// least `percent`% of the peer's values.
    pub fn check(&self, peer: &Peer, percent: usize) {
        let (t, f) = self
            .by_kind
            .values()
            .fold((0, 0), |(t, f), (a, b)| (t + a, f + b));
        assert!(
            self.unexplained.is_empty(),
            "values {} does not report, not in {}:\n{}",
            peer.name,
            peer.differences,
            self.unexplained.join("\n")
        );
        assert!(
            self.missed.is_empty(),
            "{} values ivraie misses, not in {}:\n{}",
            peer.name,
            peer.differences,
            self.missed.join("\n")
        );
        assert!(
            f * 100 >= t * percent,
            "found {f} of {t} {} values (< {percent}%)",
            peer.name
        );
    }
}

/// Runs ivraie on every capture the peer has values for and compares.
pub fn compare(peer: &Peer) -> Agreement {
    let corpus = common::corpus();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(peer.expected);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() > 100,
        "expected {} values for the corpus",
        peer.name
    );
    let allowed = differences(peer.differences);
    let mut a = Agreement {
        by_kind: BTreeMap::new(),
        missed: Vec::new(),
        unexplained: Vec::new(),
    };
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
            .map(|(k, v)| (k.to_string(), (peer.same)(k, v, false)))
            .collect();
        let out = tempfile::tempdir().unwrap();
        common::extract_jsonl(&corpus.join(&rel), out.path(), 1);
        let got: Values = (peer.ours)(out.path())
            .into_iter()
            .map(|(k, v)| {
                let v = (peer.same)(&k, &v, true);
                (k, v)
            })
            .collect();
        for (k, v) in &want {
            let e = a.by_kind.entry(k.clone()).or_default();
            e.0 += 1;
            if got.contains(&(k.clone(), v.clone())) {
                e.1 += 1;
            } else if !(allowed.contains(&(format!("-{rel}"), k.clone(), v.clone()))
                || allowed.contains(&(format!("-{rel}"), k.clone(), "*".to_string())))
            {
                a.missed.push(format!("-{rel} {k} {v}"));
            }
        }
        for (k, v) in got.difference(&want) {
            let ok = allowed.contains(&(rel.clone(), k.clone(), v.clone()))
                || allowed.contains(&(rel.clone(), k.clone(), "*".to_string()));
            if !ok {
                a.unexplained.push(format!("{rel} {k} {v}"));
            }
        }
    }
    for m in &a.missed {
        eprintln!("missed, not listed: {m}");
    }
    for (k, (t, f)) in &a.by_kind {
        eprintln!("{k}: {f} of {t} {} values found", peer.name);
    }
    a
}
