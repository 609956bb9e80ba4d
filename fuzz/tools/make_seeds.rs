//! Writes the seed corpora of the fuzz targets from real captures.
//!
//! `make_seeds OUT CAPTURE_OR_DIR...` reads every capture with ivraie's own
//! reader and decoder and writes, under `OUT/<target>/`:
//!
//! - `decode/`: the first frames of each capture, each prefixed by the byte
//!   that selects its link type (`drive::decode`);
//! - `dns/`, `tls/`, `quic/`, `http/`, `sip/`, `smtp/`, `bittorrent/`: whole
//!   flows in the flow format of `drive.rs`, filed under the dissector that
//!   claims them when the flow is run through the real engine; for `quic/`,
//!   also TLS ClientHellos of the corpus sealed into QUIC Initials;
//! - `verify_log/`: oversight logs written by `oversight::LogWriter`.
//!
//! Seeds are named by a hash of their bytes (duplicates collapse) and capped
//! per target and per capture, so the corpora stay small and varied. The
//! pcap, scenario and regression seeds are copied by `seed.sh`.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use ivraie::capture::{InputSpec, MergedSource, expand_inputs};
use ivraie::decode::{self, Counters, ipproto};
use ivraie::dissect::engine::{Collect, FlowApp, TcpSeg};
use ivraie::flow::{FlowEnds, FlowKey, tcp_flag};
use ivraie::oversight::{Event, LogWriter};
use ivraie_fuzz::drive::{self, flag};

/// Frames taken from each capture for the decoder.
const FRAMES_PER_CAPTURE: usize = 3;
/// Bytes kept of a frame.
const FRAME_BYTES: usize = 2048;
/// Flows kept per capture and protocol (more for the protocols the corpus
/// has few captures of).
fn flows_per_capture(name: &str) -> usize {
    match name {
        "sip" | "smtp" | "bittorrent" => 32,
        _ => 4,
    }
}
/// Records (payload-carrying packets) kept per flow.
const RECORDS_PER_FLOW: usize = 24;
/// Bytes kept of one record.
const RECORD_BYTES: usize = 6000;
/// Bytes of one flow seed.
const FLOW_BYTES: usize = 24 << 10;
/// Seeds kept per flow target.
const PER_TARGET: usize = 600;
/// Seeds kept for the decoder.
const PER_DECODE: usize = 4000;

#[derive(Default)]
struct FlowSeed {
    proto: u8,
    /// Whether endpoint `a` of the key is the originator.
    orig_is_a: bool,
    ends: Option<FlowEnds>,
    syn: [bool; 2],
    next: [Option<u32>; 2],
    records: Vec<(u8, Vec<u8>)>,
    bytes: usize,
    app: FlowApp,
}

struct Out {
    dir: PathBuf,
    counts: BTreeMap<String, usize>,
}

impl Out {
    fn put(&mut self, target: &str, bytes: &[u8]) {
        let n = self.counts.entry(target.to_string()).or_default();
        let cap = if target == "decode" { PER_DECODE } else { PER_TARGET };
        if *n >= cap || bytes.is_empty() {
            return;
        }
        let dir = self.dir.join(target);
        let _ = std::fs::create_dir_all(&dir);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut h);
        let path = dir.join(format!("{:016x}", h.finish()));
        if !path.exists() && std::fs::write(&path, bytes).is_ok() {
            *n += 1;
        }
    }
}

fn selector(linktype: u32) -> Option<u8> {
    [1u32, 0, 101, 12, 14, 108, 113, 276, 228, 229, 192]
        .iter()
        .position(|&n| n == linktype)
        .map(|i| i as u8)
}

fn capture(path: &Path, out: &mut Out) {
    let mut src = MergedSource::open(&[InputSpec::File(path.to_path_buf())], false);
    let mut counters = Counters::default();
    let mut flows: HashMap<FlowKey, FlowSeed> = HashMap::new();
    let mut frames = 0usize;
    let mut index = 0u64;
    src.each_frame(|sf| {
        let f = sf.frame;
        let bytes = f.bytes(sf.chunk);
        index += 1;
        if frames < FRAMES_PER_CAPTURE {
            if let Some(sel) = selector(f.linktype.number()) {
                let mut seed = vec![sel];
                seed.extend_from_slice(&bytes[..bytes.len().min(FRAME_BYTES)]);
                out.put("decode", &seed);
                frames += 1;
            }
        }
        let d = decode::decode(f.linktype, bytes, &mut counters);
        if !d.is_ip() || !d.has_l4 || d.frag_tail {
            return;
        }
        if d.proto != ipproto::TCP && d.proto != ipproto::UDP {
            return;
        }
        let (key, from_a) = FlowKey::of(&d);
        let start = d.payload_off as usize;
        let payload = bytes.get(start..start + d.payload_len as usize).unwrap_or(&[]);
        let fs = flows.entry(key).or_default();
        if fs.ends.is_none() {
            fs.proto = d.proto;
            fs.orig_is_a = from_a;
            fs.ends = Some(FlowEnds {
                flow_id: index,
                orig_h: d.src,
                orig_p: d.sport,
                resp_h: d.dst,
                resp_p: d.dport,
                proto: d.proto,
            });
        }
        let Some(ends) = fs.ends else { return };
        let from_orig = from_a == fs.orig_is_a;
        let side = usize::from(!from_orig);
        let tcp = d.proto == ipproto::TCP;
        let seg = tcp.then_some(TcpSeg {
            seq: d.tcp_seq,
            flags: d.tcp_flags,
        });
        if payload.is_empty() && !(tcp && d.tcp_flags & tcp_flag::SYN != 0) {
            return;
        }
        fs.app.on_packet(ends, from_orig, f.ts_ns, seg, payload, &mut Collect::default());
        // Keep what the stream would deliver: in-order new bytes only.
        let mut data = payload;
        if tcp {
            let syn = d.tcp_flags & tcp_flag::SYN != 0;
            if syn {
                fs.syn[side] = true;
            }
            let seq = if syn { d.tcp_seq.wrapping_add(1) } else { d.tcp_seq };
            let next = *fs.next[side].get_or_insert(seq);
            let ahead = seq.wrapping_sub(next) as i32;
            if ahead != 0 {
                // A retransmission or a segment after a hole: skip it.
                if ahead > 0 || (-ahead) as usize >= data.len() {
                    return;
                }
                data = &data[(-ahead) as usize..];
            }
            fs.next[side] = Some(next.wrapping_add(data.len() as u32));
        }
        if data.is_empty() || fs.records.len() >= RECORDS_PER_FLOW || fs.bytes >= FLOW_BYTES {
            return;
        }
        let data = &data[..data.len().min(RECORD_BYTES)];
        fs.bytes += data.len() + 3;
        fs.records.push((u8::from(!from_orig), data.to_vec()));
    });
    let mut per_proto: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut keys: Vec<_> = flows.keys().copied().collect();
    keys.sort_by_key(|k| flows[k].ends.map(|e| e.flow_id));
    for k in keys {
        let mut fs = flows.remove(&k).expect("listed key");
        let Some(ends) = fs.ends else { continue };
        let Some(name) = fs.app.finish(ends, 0, &mut Collect::default()) else {
            continue;
        };
        let Some(target) = drive::flow_target(name) else {
            continue;
        };
        let n = per_proto.entry(name).or_default();
        if *n >= flows_per_capture(name) || fs.records.is_empty() {
            continue;
        }
        *n += 1;
        let mut flags = 0u8;
        if fs.syn[0] && fs.syn[1] {
            flags |= flag::HANDSHAKE;
        }
        if target.transports.get(1) == Some(&fs.proto) {
            flags |= flag::OTHER_TRANSPORT;
        }
        let mut seed = vec![flags];
        seed.extend_from_slice(&ends.orig_p.to_be_bytes());
        seed.extend_from_slice(&ends.resp_p.to_be_bytes());
        for (hdr, data) in &fs.records {
            seed.push(*hdr);
            seed.extend_from_slice(&(data.len() as u16).to_be_bytes());
            seed.extend_from_slice(data);
        }
        out.put(name, &seed);
        if name == "tls" {
            sealed_hello(&fs.records, &ends, out);
        }
    }
}

/// A TLS flow's ClientHello, moved into a CRYPTO frame of a sealed QUIC
/// Initial (flow flag SEAL), so the QUIC target starts from Initials that
/// decrypt.
fn sealed_hello(records: &[(u8, Vec<u8>)], ends: &FlowEnds, out: &mut Out) {
    let Some((_, first)) = records.iter().find(|(hdr, _)| hdr & drive::rec::BACK == 0) else {
        return;
    };
    // TLS record: type 22, version (2), length (2), then the handshake message.
    let [22, _, _, l0, l1, rest @ ..] = &first[..] else {
        return;
    };
    let len = (u16::from_be_bytes([*l0, *l1]) as usize).min(rest.len());
    let mut frames = Vec::new();
    ivraie::fuzzing::quic_crypto_frame(&mut frames, &rest[..len]);
    let mut seed = vec![flag::SEAL];
    seed.extend_from_slice(&ends.orig_p.to_be_bytes());
    seed.extend_from_slice(&443u16.to_be_bytes());
    seed.push(0);
    seed.extend_from_slice(&(frames.len() as u16).to_be_bytes());
    seed.extend_from_slice(&frames);
    out.put("quic", &seed);
}

/// Oversight logs as the simulator writes them: closed, interrupted, and with
/// every kind of event and `details`.
fn logs(out: &mut Out) {
    let tmp = std::env::temp_dir().join(format!("ivraie-seed-logs-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&tmp);
    let t = 1_767_225_600_000_000_000i64;
    let events = [
        (Event::Authorisation, serde_json::json!({"months": 2, "policy": "always"})),
        (Event::Alert, serde_json::json!({"pseudonym": "p-1f3a", "rule": 1, "score": 0.75})),
        (Event::Identification, serde_json::json!({"pseudonym": "p-1f3a", "subscriber": "10.0.0.7"})),
        (Event::Renewal, serde_json::json!({"precision": 0.1, "flagged": 10, "confirmed": 1})),
        (Event::Purge, serde_json::json!({"records": 12345, "before": "2026-01-02T00:00:00Z"})),
        (Event::WindowEnd, serde_json::json!({"window": 1, "alerts": []})),
        (Event::Refusal, serde_json::json!({"reason": "precision 0.0 below 0.5 \"quoted\" é\u{1}"})),
        (Event::Destruction, serde_json::json!({"pseudonym": "p-1f3a", "nested": {"z": [1, 2.5e-7, null, true]}})),
    ];
    for (i, close) in [(0usize, true), (1, true), (2, false), (3, true)] {
        let path = tmp.join(format!("log{i}.jsonl"));
        let Ok(mut w) = LogWriter::create(&path) else { continue };
        let _ = w.append(t, Event::Open, None, None, serde_json::json!({"scenario": "l851-3"}));
        for (j, (e, details)) in events.iter().enumerate().skip(i).take(3 + 2 * i) {
            let _ = w.append(t + j as i64 * 1_000_000_007, *e, Some("box-1"), Some(1), details.clone());
        }
        if close {
            let _ = w.close(t + 86_400_000_000_000);
        }
        if let Ok(bytes) = std::fs::read(&path) {
            out.put("verify_log", &bytes);
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let Some((dir, inputs)) = args.split_first() else {
        eprintln!("usage: make_seeds OUT CAPTURE_OR_DIR...");
        std::process::exit(2);
    };
    let mut out = Out {
        dir: dir.clone(),
        counts: BTreeMap::new(),
    };
    let (specs, _skipped) = expand_inputs(inputs);
    for spec in specs {
        if let InputSpec::File(p) = spec {
            capture(&p, &mut out);
        }
    }
    logs(&mut out);
    for (target, n) in &out.counts {
        println!("{target}: {n} seeds");
    }
}
