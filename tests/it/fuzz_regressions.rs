//! Inputs that once made a fuzz target fail, replayed by `cargo test` through
//! the very code the targets run (`fuzz/src/drive.rs`, included below).
//!
//! Each input is a file `tests/fuzz-regressions/<target>-<what broke>.bin`;
//! the test named after the bug replays it. Where the inputs come from and how
//! to fuzz: `FUZZING.md`.

use crate::drive;

use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions")
}

/// Replays one regression input through its target (named by the file's prefix).
fn replay(file: &str) {
    let data = std::fs::read(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let target = file.split('-').next().unwrap_or_default();
    assert!(drive::run(target, &data), "{file}: no target `{target}`");
}

/// Every file in the folder belongs to a target and passes it (also those
/// that have no named test below).
#[test]
fn every_regression_input_passes_its_target() {
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .expect("tests/fuzz-regressions")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".bin"))
        .collect();
    files.sort();
    for f in files {
        replay(&f);
    }
}

/// The targets themselves take empty and tiny inputs.
#[test]
fn every_target_takes_empty_and_short_inputs() {
    for t in drive::TARGETS {
        for data in [&b""[..], b"\0", b"\xff\xff\xff\xff\xff\xff", b"\n\n"] {
            assert!(drive::run(t, data), "{t}");
        }
    }
}

/// `scenario` target, first run: `start = "9528-02-02"` in `[source.generate]`
/// overflowed `clock::parse_date` (an i64 of nanoseconds ends in 2262). Now
/// the date is refused with the line of the key.
#[test]
fn scenario_date_past_2262_is_refused_not_overflowed() {
    replay("scenario-date-past-2262-overflowed.bin");
    let text = std::fs::read_to_string(dir().join("scenario-date-past-2262-overflowed.bin"))
        .expect("utf-8 input");
    let err = ivraie::scenario::Scenario::parse(&text, std::path::Path::new("s.toml"))
        .expect_err("a date past 2262 is refused")
        .to_string();
    assert!(err.contains("out of range"), "{err}");
}

/// Found while fixing the one above (the same overflow one step later, then
/// confirmed to crash the first run's `scenario` binary): a warrant window of
/// 1200 months from a 2262 start overflowed `clock::add_months`; it now
/// saturates, as a span in nanoseconds does.
#[test]
fn scenario_window_past_2262_saturates() {
    replay("scenario-window-past-2262-overflowed.bin");
}

/// The `starttls` target on 3,000 deterministic pseudo-random flows to each
/// preamble's port, half of them opening with the protocol's real first
/// bytes, so that the preambles, their handovers and the TLS sessions after
/// them all see hostile bytes (a smoke test; the fuzz target runs far more).
#[test]
fn starttls_preambles_take_random_flows() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let openers: [&[u8]; 6] = [
        b"* OK ready\r\n",
        b"+OK\r\n",
        b"220 ftp\r\n",
        b"<?xml version='1.0'?>",
        b"\x30\x1d\x02\x01\x01\x77\x18\x80\x161.3.6.1.4.1.1466.20037",
        b"\x00\x00\x00\x08\x04\xd2\x16\x2f",
    ];
    for i in 0..3000 {
        let k = i % 6;
        let port: u16 = [143, 110, 21, 5222, 389, 5432][k];
        // flags (handshake), orig port, resp port, then records.
        let mut data = vec![0x01, 0xc3, 0x50];
        data.extend_from_slice(&port.to_be_bytes());
        let n = 1 + (next() % 6) as usize;
        for r in 0..n {
            let mut msg: Vec<u8> = if r == 0 && i % 2 == 0 {
                openers[k].to_vec()
            } else {
                (0..(next() % 200)).map(|_| next() as u8).collect()
            };
            if r == 1 && i % 3 == 0 {
                msg = b"a1 STARTTLS\r\nSTLS\r\nAUTH TLS\r\n<starttls/>".to_vec();
            }
            // A record: header (direction, cuts, reordering), length, bytes.
            data.push(next() as u8);
            data.extend_from_slice(&(msg.len() as u16).to_be_bytes());
            data.extend_from_slice(&msg);
        }
        assert!(drive::run("starttls", &data));
    }
}
