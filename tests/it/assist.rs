//! A hot flow's datagrams, read by idle workers for the worker that holds the
//! flow (`pipeline::assist`): every output is the same as with one thread.
//!
//! The flow replays, many times over, every SIP datagram of the corpus
//! captures, cut short and with a flipped octet too, amid an INVITE flood
//! (more calls than a session holds) and other traffic.

use crate::common;

use crate::support::{flood_payloads, flood_words};

use std::path::Path;

use ivraie::capture::{FrameSource, InputSpec, MergedSource};
use ivraie::decode::{self, Counters, ipproto};
use ivraie::pipeline::{self, Config, Format, Output, Summary};

/// Corpus captures holding SIP over UDP.
const SIP_CAPTURES: &[&str] = &[
    "ndpi/sip.pcap",
    "ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
    "ndpi/fuzz-2006-06-26-2594.pcap",
];

/// The UDP payloads to or from port 5060 of a capture, in order.
fn sip_datagrams(capture: &str) -> Vec<Vec<u8>> {
    let spec = InputSpec::File(common::corpus().join(capture));
    let mut source = MergedSource::open(&[spec], false);
    let mut counters = Counters::default();
    let mut out = Vec::new();
    source.for_each(|sf| {
        let bytes = sf.frame.bytes(sf.chunk);
        let d = decode::decode(sf.frame.linktype, bytes, &mut counters);
        if d.proto == ipproto::UDP && d.payload_len > 0 && (d.sport == 5060 || d.dport == 5060) {
            let at = d.payload_off as usize;
            out.push(bytes[at..at + d.payload_len as usize].to_vec());
        }
    });
    assert!(source.take_errors().is_empty(), "{capture}");
    out
}

/// The capture: one SIP flow of `rounds` replays of the corpus datagrams
/// (each whole, cut in half, and with one octet flipped) and an INVITE flood
/// between them, plus a DNS query every eighth packet on other flows.
fn capture(rounds: usize) -> Vec<u8> {
    let mut datagrams = Vec::new();
    for c in SIP_CAPTURES {
        datagrams.extend(sip_datagrams(c));
    }
    assert!(datagrams.len() > 40, "{} SIP datagrams", datagrams.len());
    let mut variants = Vec::new();
    for (i, d) in datagrams.iter().enumerate() {
        variants.push(d.clone());
        variants.push(d[..d.len() / 2].to_vec());
        let mut flipped = d.clone();
        let at = (i * 37) % flipped.len();
        flipped[at] ^= 0x20;
        variants.push(flipped);
    }
    variants.push(b"\r\n\r\n".to_vec());

    let (pbx, proxy) = ([10, 0, 0, 9], [192, 0, 2, 60]);
    let mut words = flood_words::FloodWords::new();
    let mut frames = Vec::new();
    let mut ts = 1_767_225_600_000_000_000i64;
    let mut push = |frame: Vec<u8>, frames: &mut Vec<(i64, Vec<u8>)>| {
        ts += 10_000;
        frames.push((ts, frame));
    };
    for _ in 0..rounds {
        for (i, v) in variants.iter().enumerate() {
            // Responses go back to the PBX.
            let frame = if v.starts_with(b"SIP/2.0") {
                common::udp_frame(proxy, pbx, 5060, 5060, v)
            } else {
                common::udp_frame(pbx, proxy, 5060, 5060, v)
            };
            push(frame, &mut frames);
            let (r, r2) = (words.next(), words.next());
            if i % 8 == 0 {
                let q = flood_payloads::dns_query(r, r2);
                let port = 1024 + (r % 60_000) as u16;
                push(
                    common::udp_frame([10, 0, 1, 2], [192, 0, 2, 53], port, 53, &q),
                    &mut frames,
                );
            }
            let invite = flood_payloads::sip_invite(r, r2);
            push(
                common::udp_frame(pbx, proxy, 5060, 5060, &invite),
                &mut frames,
            );
        }
    }
    common::pcap(&frames)
}

fn extract(input: &Path, out: &Path, threads: usize) -> Summary {
    let cfg = Config {
        threads,
        output: Some(Output {
            dir: out.to_path_buf(),
            format: Format::Jsonl,
        }),
        ..Config::default()
    };
    pipeline::run(&[InputSpec::File(input.to_path_buf())], &cfg).unwrap()
}

#[test]
fn a_helped_hot_flow_gives_the_outputs_of_one_thread() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("hot-sip.pcap");
    std::fs::write(&input, capture(60)).unwrap();

    let one = dir.path().join("one");
    let reference = extract(&input, &one, 1);
    let sip = std::fs::read(one.join("sip.jsonl")).unwrap();
    let calls = reference.records["sip"];
    assert!(calls > 30_000, "{calls} SIP records");
    assert!(
        reference.traffic.anomalies["sip.too_many_calls"] > 0,
        "the flood overflows the session's calls"
    );
    assert!(
        reference
            .traffic
            .anomalies
            .keys()
            .filter(|k| k.starts_with("sip."))
            .count()
            >= 3,
        "{:?}",
        reference.traffic.anomalies
    );
    assert_eq!(reference.datagrams_helped, 0, "one worker: nobody to help");

    for threads in [2, 3] {
        let out = dir.path().join(format!("t{threads}"));
        let s = extract(&input, &out, threads);
        eprintln!(
            "{threads} threads: {} of {} packets read by helpers",
            s.datagrams_helped, s.traffic.packets
        );
        assert!(
            s.datagrams_helped > 0,
            "{threads} threads: idle workers read some of the hot flow's datagrams"
        );
        for file in ["sip.jsonl", "flows.jsonl", "dns.jsonl"] {
            assert!(
                std::fs::read(out.join(file)).unwrap() == std::fs::read(one.join(file)).unwrap(),
                "{file} differs with {threads} threads"
            );
        }
        assert_eq!(s.records, reference.records);
        assert_eq!(s.traffic.anomalies, reference.traffic.anomalies);
        assert_eq!(s.apps, reference.apps);
    }
    assert!(!sip.is_empty());
}
