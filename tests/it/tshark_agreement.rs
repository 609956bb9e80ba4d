//! Flows agree with tshark's conversations on corpus captures of many link types.
//!
//! The expected files come from `tests/tshark/make-expected.py` (tshark 4.0); this
//! test needs neither tshark nor network. ivraie may cut a conversation into
//! several flows (timeouts, FIN/RST then a new SYN), so flows are summed per
//! 5-tuple before comparing.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use ivraie::capture::InputSpec;
use ivraie::pipeline::{self, Config, Format, Output};

type Conv = (String, String, u16, String, u16);

fn canonical(proto: &str, a: &str, pa: u16, b: &str, pb: u16) -> Conv {
    if (a, pa) <= (b, pb) {
        (proto.to_string(), a.to_string(), pa, b.to_string(), pb)
    } else {
        (proto.to_string(), b.to_string(), pb, a.to_string(), pa)
    }
}

#[test]
fn flows_agree_with_tshark_conversations() {
    let corpus = common::corpus();
    let expected_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tshark/expected");
    let mut files: Vec<_> = std::fs::read_dir(&expected_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "expected files for at least 10 captures");
    let mut link_types = std::collections::BTreeSet::new();
    for exp in files {
        let text = std::fs::read_to_string(&exp).unwrap();
        let rel = text
            .lines()
            .next()
            .unwrap()
            .trim_start_matches("# tshark conversations of ")
            .to_string();
        let mut packets = 0u64;
        let mut want: BTreeMap<Conv, (u64, Option<u64>)> = BTreeMap::new();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f[0] == "packets" {
                packets = f[1].parse().unwrap();
                continue;
            }
            let key = canonical(
                f[0],
                f[1],
                f[2].parse().unwrap(),
                f[3],
                f[4].parse().unwrap(),
            );
            let e = want.entry(key).or_insert((0, Some(0)));
            e.0 += f[5].parse::<u64>().unwrap();
            e.1 = match (e.1, f[6].parse::<u64>().ok()) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
        }

        let out = tempfile::tempdir().unwrap();
        let cfg = Config {
            threads: 2,
            output: Some(Output {
                dir: out.path().to_path_buf(),
                format: Format::Jsonl,
            }),
            ..Config::default()
        };
        let summary = pipeline::run(&[InputSpec::File(corpus.join(&rel))], &cfg).unwrap();
        assert!(summary.errors.is_empty(), "{rel}: {:?}", summary.errors);
        assert_eq!(summary.traffic.packets, packets, "{rel}: packet count");
        link_types.extend(summary.traffic.link_types.keys().cloned());

        let mut got: BTreeMap<Conv, (u64, u64)> = BTreeMap::new();
        for r in common::read_jsonl(&out.path().join("flows.jsonl")) {
            let proto = r["proto"].as_str().unwrap();
            if proto != "tcp" && proto != "udp" {
                continue;
            }
            let key = canonical(
                proto,
                r["orig_h"].as_str().unwrap(),
                r["orig_p"].as_u64().unwrap() as u16,
                r["resp_h"].as_str().unwrap(),
                r["resp_p"].as_u64().unwrap() as u16,
            );
            let e = got.entry(key).or_default();
            e.0 += r["orig_pkts"].as_u64().unwrap() + r["resp_pkts"].as_u64().unwrap();
            e.1 += r["orig_bytes"].as_u64().unwrap() + r["resp_bytes"].as_u64().unwrap();
        }
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{rel}: the same conversations"
        );
        for (k, (frames, bytes)) in &want {
            let (gf, gb) = got[k];
            assert_eq!(gf, *frames, "{rel}: frames of {k:?}");
            if let Some(b) = bytes {
                assert_eq!(gb, *b, "{rel}: bytes of {k:?}");
            }
        }
    }
    for lt in ["ethernet", "linux_sll", "raw", "null", "ipv4"] {
        assert!(link_types.contains(lt), "link type {lt} is covered");
    }
}
