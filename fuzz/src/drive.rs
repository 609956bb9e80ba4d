//! What each fuzz target does with its input: one function per entry point.
//!
//! This file is shared: the fuzz crate (`fuzz/src/lib.rs`) builds the targets
//! on it, and the main crate's `tests/it/fuzz_regressions.rs` includes it with
//! `#[path]` so that every input that once found a bug is replayed through the
//! very same code by `cargo test`. It only uses `ivraie`'s public API, `sha2`
//! and `serde_json` (dependencies of both crates).
//!
//! Every function drives the entry point the program uses on untrusted bytes,
//! then checks a few invariants the documentation promises (an assertion
//! failure is a finding, like a panic).
//!
//! # The flow input format (dissector targets)
//!
//! ```text
//! flags: u8      bit 0  TCP: both sides send a SYN first (the streams' start is known);
//!                       otherwise the streams are picked up mid-connection
//!                bit 1  TCP: initial sequence numbers just below 2^32 (wrap-around)
//!                bit 2  QUIC: client records are plaintext frames, sealed into
//!                       QUIC v1 Initials (see `flow`)
//!                bit 3  the target's other transport (DNS, SIP, BitTorrent: TCP or UDP)
//! orig_port: u16 BE, resp_port: u16 BE
//! then records, to the end: hdr: u8, len: u16 BE, `len` bytes (the last record
//! takes what is left if shorter)
//!   hdr bit 0     direction: 0 originator -> responder, 1 back
//!   hdr bits 1-2  TCP: the message is cut into 1 + bits segments
//!   hdr bits 3-5  TCP: where the cuts fall (a small deterministic jitter)
//!   hdr bit 6     TCP: the segments are sent in reverse order (reassembly holds them)
//!   hdr bit 7     TCP: the first segment is sent again at the end (retransmission)
//! ```
//! UDP: each record is one datagram. The flow then ends (`FlowApp::finish`).
//! `fuzz/tools/make_seeds.rs` writes real flows of the corpus in this format.

use std::io::{self, Read};
use std::net::Ipv4Addr;
use std::path::Path;

use ivraie::capture::{CaptureReader, LinkType, MergedSource};
use ivraie::decode::{self, Addr, Counters, ipproto};
use ivraie::dissect::engine::{Collect, FlowApp, TcpSeg};
use ivraie::dissect::quic::parser::initial_keys;
use ivraie::dissect::{csv_cell, registry};
use ivraie::flow::{FlowEnds, FlowKey, Subscribers, tcp_flag};
use ivraie::observation::Observation;

// ---------------------------------------------------------------------------
// Capture readers

/// A reader that hands out 1..=`step` bytes per `read`, so the capture
/// reader's refill path sees many splits of the input.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    step: usize,
    turn: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.turn = self.turn.wrapping_add(1);
        let left = &self.data[self.pos..];
        let n = (1 + self.turn % self.step).min(buf.len()).min(left.len());
        buf[..n].copy_from_slice(&left[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// What a read produced: every frame (time, lengths, link type, bytes) and the
/// error that stopped it, as text.
#[derive(Debug, PartialEq, Eq)]
struct Reading {
    frames: Vec<(i64, u32, u32, u32, Vec<u8>)>,
    error: Option<String>,
    consumed: u64,
}

fn read_all(mut r: CaptureReader) -> Reading {
    let mut frames = Vec::new();
    let error = loop {
        match r.next_frame() {
            Ok(Some(f)) => {
                let bytes = f.bytes(r.chunk());
                assert_eq!(bytes.len(), f.caplen as usize);
                assert!(f.wirelen >= f.caplen, "wirelen below caplen: {f:?}");
                frames.push((
                    f.ts_ns,
                    f.caplen,
                    f.wirelen,
                    f.linktype.number(),
                    bytes.to_vec(),
                ));
            }
            Ok(None) => break None,
            Err(e) => {
                let _ = (e.path(), e.offset());
                break Some(e.to_string());
            }
        }
    };
    // After the end or an error, the reader stays done.
    assert!(matches!(r.next_frame(), Ok(None)));
    Reading {
        frames,
        error,
        consumed: r.consumed(),
    }
}

/// The pcap and pcapng readers (the format is told by the magic, as for any
/// input): the bytes are read whole with the default chunk size, then trickled
/// in small reads into small chunks; both readings must agree. Then the bytes
/// are read twice at once through the time-ordered merge of several inputs.
pub fn pcap_reader(data: &[u8]) {
    let owned = data.to_vec();
    let whole = read_all(CaptureReader::from_reader(
        "fuzz".into(),
        0,
        Box::new(io::Cursor::new(owned.clone())),
        ivraie::capture::CHUNK_SIZE,
    ));
    let trickled = Trickle {
        data: owned.clone(),
        pos: 0,
        step: 1 + data.len() % 61,
        turn: 0,
    };
    let small = read_all(CaptureReader::from_reader(
        "fuzz".into(),
        0,
        Box::new(trickled),
        64,
    ));
    assert_eq!(whole, small, "reading depends on how the bytes arrive");

    let readers = (0..2)
        .map(|i| {
            CaptureReader::from_reader(
                format!("fuzz{i}"),
                i,
                Box::new(io::Cursor::new(owned.clone())),
                ivraie::capture::SMALL_CHUNK_SIZE,
            )
        })
        .collect();
    let mut merged = MergedSource::from_readers(readers, Vec::new(), 0);
    let mut n = 0usize;
    let mut last = i64::MIN;
    let mut ordered = true;
    merged.each_frame(|sf| {
        let _ = sf.frame.bytes(sf.chunk);
        ordered &= sf.frame.ts_ns >= last;
        last = sf.frame.ts_ns;
        n += 1;
    });
    assert_eq!(n, 2 * whole.frames.len());
    assert_eq!(
        merged.errors().len(),
        2 * usize::from(whole.error.is_some())
    );
    let _ = ordered; // a capture whose times step back is merged as it comes
}

// ---------------------------------------------------------------------------
// L2-L4 decoder

/// Link types the first byte chooses from (`LINKTYPE_*` numbers).
const LINKTYPES: [u32; 12] = [1, 0, 101, 12, 14, 108, 113, 276, 228, 229, 192, 147];

/// The decoder: the first byte picks the link type, the rest is the frame.
/// Checks that the payload it points at lies inside the frame.
pub fn decode(data: &[u8]) {
    let Some((&sel, frame)) = data.split_first() else {
        return;
    };
    let lt = LinkType::from_number(LINKTYPES[sel as usize % LINKTYPES.len()]);
    let mut counters = Counters::default();
    let d = decode::decode(lt, frame, &mut counters);
    let end = d.payload_off as usize + d.payload_len as usize;
    assert!(
        end <= frame.len(),
        "payload {end} past a {}-byte frame",
        frame.len()
    );
    if d.is_ip() {
        let (key, from_a) = FlowKey::of(&d);
        assert!((key.a, key.pa) <= (key.b, key.pb));
        let src = if from_a { key.a } else { key.b };
        assert_eq!(src, d.src);
        let _ = key.hash();
    }
    let _ = counters.nonzero().count();
}

// ---------------------------------------------------------------------------
// Dissectors, through the per-flow engine

/// The transports a dissector target may use: the first is the default, the
/// second is chosen by flag bit 3.
pub struct FlowTarget {
    /// Name of the dissector under test (`dns`, `tls`...).
    pub name: &'static str,
    /// Transport protocol numbers.
    pub transports: &'static [u8],
}

/// DNS: UDP and TCP.
pub const DNS: FlowTarget = FlowTarget {
    name: "dns",
    transports: &[ipproto::UDP, ipproto::TCP],
};
/// TLS over TCP.
pub const TLS: FlowTarget = FlowTarget {
    name: "tls",
    transports: &[ipproto::TCP],
};
/// QUIC over UDP.
pub const QUIC: FlowTarget = FlowTarget {
    name: "quic",
    transports: &[ipproto::UDP],
};
/// HTTP over TCP.
pub const HTTP: FlowTarget = FlowTarget {
    name: "http",
    transports: &[ipproto::TCP],
};
/// SIP: UDP and TCP.
pub const SIP: FlowTarget = FlowTarget {
    name: "sip",
    transports: &[ipproto::UDP, ipproto::TCP],
};
/// SMTP over TCP.
pub const SMTP: FlowTarget = FlowTarget {
    name: "smtp",
    transports: &[ipproto::TCP],
};
/// BitTorrent: peer wire over TCP, DHT and trackers over UDP.
pub const BITTORRENT: FlowTarget = FlowTarget {
    name: "bittorrent",
    transports: &[ipproto::TCP, ipproto::UDP],
};

/// STARTTLS preambles over TCP (IMAP, POP3, FTP, XMPP, LDAP, PostgreSQL),
/// and what they hand over to.
pub const STARTTLS: FlowTarget = FlowTarget {
    name: "starttls",
    transports: &[ipproto::TCP],
};

/// Flag bits of the flow format.
pub mod flag {
    /// Both sides send a SYN first.
    pub const HANDSHAKE: u8 = 0x01;
    /// Initial sequence numbers just below 2^32.
    pub const WRAP: u8 = 0x02;
    /// QUIC: client records are sealed into Initials.
    pub const SEAL: u8 = 0x04;
    /// The target's other transport.
    pub const OTHER_TRANSPORT: u8 = 0x08;
}

/// Header bits of a record.
pub mod rec {
    /// From the responder.
    pub const BACK: u8 = 0x01;
    /// Reverse the segments.
    pub const REVERSE: u8 = 0x40;
    /// Retransmit the first segment.
    pub const RETRANSMIT: u8 = 0x80;
}

/// The records of a flow input: `(hdr, bytes)`.
pub fn records(mut rest: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while let Some((&hdr, r)) = rest.split_first() {
        let (len, r) = match r {
            [a, b, r @ ..] => (u16::from_be_bytes([*a, *b]) as usize, r),
            _ => (r.len(), &r[r.len()..]),
        };
        let (msg, r) = r.split_at(len.min(r.len()));
        out.push((hdr, msg));
        rest = r;
    }
    out
}

/// Cuts `len` bytes into the segments a record header asks for.
fn cuts(hdr: u8, len: usize) -> Vec<(usize, usize)> {
    let n = 1 + ((hdr >> 1) & 3) as usize;
    let jitter = ((hdr >> 3) & 7) as usize;
    let mut bounds = vec![0];
    for i in 1..n {
        let at = (len * i / n + jitter * i).min(len);
        if at > *bounds.last().unwrap_or(&0) {
            bounds.push(at);
        }
    }
    if len > *bounds.last().unwrap_or(&0) || bounds.len() == 1 {
        bounds.push(len);
    }
    bounds.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Addresses of the simulated flow (a subscriber and a server).
const ORIG: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const RESP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// First packet time: 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000_000_000;

/// Runs one flow through the engine the pipeline uses ([`FlowApp`]: every
/// registered dissector probes, the first to claim gets a session, TCP is
/// reassembled per direction), then finishes it and formats its records as
/// the sinks do. Returns whether the input is worth keeping for this target:
/// false when another dissector claimed the flow.
pub fn flow(target: &FlowTarget, data: &[u8]) -> bool {
    let [flags, op0, op1, rp0, rp1, rest @ ..] = data else {
        return false;
    };
    let proto = if flags & flag::OTHER_TRANSPORT != 0 && target.transports.len() > 1 {
        target.transports[1]
    } else {
        target.transports[0]
    };
    let ends = FlowEnds {
        flow_id: 1,
        orig_h: Addr::v4(ORIG),
        orig_p: u16::from_be_bytes([*op0, *op1]),
        resp_h: Addr::v4(RESP),
        resp_p: u16::from_be_bytes([*rp0, *rp1]),
        proto,
    };
    let mut app = FlowApp::default();
    let mut out = Collect::default();
    // The same flow with each datagram read ahead, as an idle worker reads
    // a hot flow's (`pipeline::assist`): it must give the same records.
    let mut twin = FlowApp::default();
    let mut twin_out = Collect::default();
    let mut ts = T0;
    let isn: [u32; 2] = if flags & flag::WRAP != 0 {
        [u32::MAX - 3, u32::MAX - 700]
    } else {
        [1000, 500_000]
    };
    let mut next = isn;
    if proto == ipproto::TCP && flags & flag::HANDSHAKE != 0 {
        let syn = TcpSeg {
            seq: isn[0],
            flags: tcp_flag::SYN,
        };
        app.on_packet(ends, true, ts, Some(syn), &[], &mut out);
        let syn_ack = TcpSeg {
            seq: isn[1],
            flags: tcp_flag::SYN | tcp_flag::ACK,
        };
        app.on_packet(ends, false, ts, Some(syn_ack), &[], &mut out);
        next = [isn[0].wrapping_add(1), isn[1].wrapping_add(1)];
    }
    let keys = initial_keys(1, &SEAL_DCID, false);
    let mut sealed = Vec::new();
    for (i, (hdr, msg)) in records(rest).into_iter().enumerate() {
        ts += 1_000_000;
        let from_orig = hdr & rec::BACK == 0;
        if proto == ipproto::UDP {
            let datagram = match &keys {
                Some(keys) if flags & flag::SEAL != 0 && from_orig => {
                    sealed.clear();
                    let frames = &msg[..msg.len().min(MAX_SEALED)];
                    ivraie::fuzzing::quic_initial(
                        &mut sealed,
                        keys,
                        &SEAL_DCID,
                        &SEAL_SCID,
                        i as u32,
                        frames,
                        0,
                    );
                    &sealed[..]
                }
                _ => msg,
            };
            app.on_packet(ends, from_orig, ts, None, datagram, &mut out);
            match twin.preparer().map(|prepare| prepare(datagram)) {
                Some(p) => twin.on_prepared(ends, from_orig, ts, datagram, &p, &mut twin_out),
                None => twin.on_packet(ends, from_orig, ts, None, datagram, &mut twin_out),
            }
            continue;
        }
        let d = usize::from(!from_orig);
        let mut segs: Vec<(u32, &[u8])> = cuts(hdr, msg.len())
            .into_iter()
            .map(|(a, b)| (next[d].wrapping_add(a as u32), &msg[a..b]))
            .collect();
        next[d] = next[d].wrapping_add(msg.len() as u32);
        if hdr & rec::REVERSE != 0 {
            segs.reverse();
        }
        if hdr & rec::RETRANSMIT != 0 {
            if let Some(first) = segs.first().copied() {
                segs.push(first);
            }
        }
        for (seq, bytes) in segs {
            let seg = TcpSeg {
                seq,
                flags: tcp_flag::ACK | 0x08,
            };
            app.on_packet(ends, from_orig, ts, Some(seg), bytes, &mut out);
        }
    }
    let claimed = app.finish(ends, ts, &mut out);
    assert_eq!(claimed, app.protocol());
    if proto == ipproto::UDP {
        assert_eq!(twin.finish(ends, ts, &mut twin_out), claimed);
        let json = |c: &Collect| -> Vec<Vec<u8>> {
            c.records
                .iter()
                .map(|r| {
                    let mut line = Vec::new();
                    r.write_json(&mut line);
                    line
                })
                .collect()
        };
        assert_eq!(
            json(&out),
            json(&twin_out),
            "read ahead or not, the same records"
        );
        assert_eq!(out.anomalies, twin_out.anomalies);
    }
    let subs = Subscribers::private();
    for r in &out.records {
        // A session may emit another protocol's records too (an HTTP tracker
        // announce gives a BitTorrent record), never a flow's other than its own.
        assert!(claimed.is_some());
        assert_eq!(r.flow_id, ends.flow_id);
        let d = registry()
            .iter()
            .find(|d| d.name() == r.protocol)
            .expect("records come from registered dissectors");
        let json = r.value();
        let via_json: Vec<String> = d.columns().iter().map(|c| csv_cell(&json[*c])).collect();
        assert_eq!(
            r.csv_cells(d.columns()),
            via_json,
            "CSV cells without the JSON tree"
        );
        let mut line = Vec::new();
        r.write_json(&mut line);
        let _ = Observation::of_record(r, &subs, None);
        let _ = Observation::of_record(r, &subs, Some(line.len() + 1));
    }
    let _ = out.anomalies.len();
    claimed.is_none_or(|c| c == target.name)
}

/// Connection ids of sealed QUIC Initials (the keys derive from the DCID).
pub const SEAL_DCID: [u8; 8] = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
const SEAL_SCID: [u8; 5] = [0xc1, 0x0c, 0x1d, 0x5e, 0x1d];
/// Most plaintext bytes sealed into one Initial (its Length is 2 bytes).
const MAX_SEALED: usize = 4000;

// ---------------------------------------------------------------------------
// Scenario parser

/// The scenario parser, as `ivraie simulate` calls it, then what the simulator
/// derives from a scenario before reading traffic: each box and each box's
/// warrant (its windows, renewed a few times).
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ivraie::scenario::Scenario::parse(text, Path::new("scenarios/fuzz.toml")) {
        Ok(s) => {
            for b in s.boxes() {
                let _ = ivraie::blackbox::BlackBox::new(b);
                let p = s.policy.with(&b.policy);
                let mut w = ivraie::policy::Warrant::new(&p, T0);
                for _ in 0..3 {
                    let Some(win) = w.current().copied() else {
                        break;
                    };
                    assert!(win.end_ns >= win.start_ns, "a window ends before it starts");
                    let _ = w.open_at(win.start_ns);
                    let _ = w.due(win.end_ns);
                    let report = ivraie::policy::WindowReport::default();
                    let _ = w.close_window(&report);
                }
                let _ = (p.retention.after(T0), p.exploitation.before(T0));
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

// ---------------------------------------------------------------------------
// verify-log

/// `ivraie verify-log`: the log verifier on the bytes as they are, then on the
/// same lines re-chained (each line that is a JSON object gets the `prev` and
/// `hash` a writer would have given it), which lets the fuzzer reach the checks
/// that come after the hash: entry fields, `seq`, `time`, the closing entry,
/// the expected head.
pub fn verify_log(data: &[u8]) {
    use ivraie::oversight::{LogHead, canonical_json, verify_reader};
    use sha2::{Digest, Sha256};

    let raw = verify_reader(data, None);
    if let Err(e) = &raw {
        let _ = (e.to_string(), e.is_interrupted(), e.problem.line());
    }

    let mut prev = "0".repeat(64);
    let mut chained = Vec::with_capacity(data.len() + 256);
    let mut lines = 0u64;
    for line in data.split_inclusive(|&b| b == b'\n') {
        let mut value: serde_json::Value = match serde_json::from_slice(line) {
            Ok(serde_json::Value::Object(mut m)) => {
                m.remove("hash");
                m.insert("prev".into(), prev.clone().into());
                serde_json::Value::Object(m)
            }
            _ => {
                chained.extend_from_slice(line);
                continue;
            }
        };
        let mut canon = Vec::new();
        canonical_json(&value, &mut canon);
        let hash: String = Sha256::digest(&canon)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if let Some(m) = value.as_object_mut() {
            m.insert("hash".into(), hash.clone().into());
        }
        let _ = serde_json::to_writer(&mut chained, &value);
        if line.ends_with(b"\n") {
            chained.push(b'\n');
        }
        prev = hash;
        lines += 1;
    }
    let head = LogHead {
        entries: lines,
        head_hash: prev,
    };
    match verify_reader(&chained[..], Some(&head)) {
        Ok(v) => {
            assert_eq!(v.head(), head);
            assert!(v.closed);
        }
        Err(e) => {
            let _ = (e.to_string(), e.is_interrupted(), e.problem.line());
        }
    }
}

/// Every dissector target, by name.
pub fn flow_target(name: &str) -> Option<&'static FlowTarget> {
    [
        &DNS,
        &TLS,
        &QUIC,
        &HTTP,
        &SIP,
        &SMTP,
        &BITTORRENT,
        &STARTTLS,
    ]
    .into_iter()
    .find(|t| t.name == name)
}

/// Runs `data` through the target named `target`; false for an unknown name.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "pcap_reader" => pcap_reader(data),
        "decode" => decode(data),
        "scenario" => scenario(data),
        "verify_log" => verify_log(data),
        name => match flow_target(name) {
            Some(t) => {
                flow(t, data);
            }
            None => return false,
        },
    }
    true
}

/// Every target's name.
pub const TARGETS: [&str; 12] = [
    "pcap_reader",
    "decode",
    "dns",
    "tls",
    "quic",
    "http",
    "sip",
    "smtp",
    "bittorrent",
    "starttls",
    "scenario",
    "verify_log",
];
