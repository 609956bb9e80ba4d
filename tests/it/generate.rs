//! `ivraie generate` and `ivraie::generate`: determinism, what the dissectors
//! find against what the generator meant, behaviour measured back against the
//! parameters, tshark's verdict, and the committed samples.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use ivraie::capture::clock::{NS_PER_DAY, hour_of_day};
use ivraie::capture::{CaptureReader, MergedSource};
use ivraie::generate::{
    self, Generator, MASS_MAILER_DOMAIN, NEWSLETTER_DOMAIN, PREMIUM_PREFIX, Population, Role,
    System, WATCHED_DOMAINS,
};
use ivraie::pipeline::{self, Format, Output};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// The capture and labels of `p`, in memory.
fn generate_bytes(p: &Population) -> (Vec<u8>, Vec<u8>) {
    let mut g = Generator::new(p).unwrap();
    let mut pcap = Vec::new();
    g.read_to_end(&mut pcap).unwrap();
    let mut labels = Vec::new();
    generate::write_labels_to(&mut labels, g.labels()).unwrap();
    (pcap, labels)
}

fn small() -> Population {
    Population {
        population: 80,
        days: 1,
        targets: 1,
        lookalikes: 2,
        sessions_per_day: 8.0,
        ..Population::default()
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let p = small();
    let (a_pcap, a_labels) = generate_bytes(&p);
    let (b_pcap, b_labels) = generate_bytes(&p);
    assert!(
        a_pcap.len() > 100_000,
        "a real capture: {} bytes",
        a_pcap.len()
    );
    assert_eq!(sha(&a_pcap), sha(&b_pcap));
    assert_eq!(sha(&a_labels), sha(&b_labels));
    let (c_pcap, c_labels) = generate_bytes(&Population { seed: 2, ..p });
    assert_ne!(sha(&a_pcap), sha(&c_pcap));
    assert_ne!(sha(&a_labels), sha(&c_labels));
}

/// Reads a record file of an `extract` output directory.
fn records(dir: &Path, proto: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join(format!("{proto}.jsonl"))).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Runs the pipeline straight on a generator (no file), records to `dir`.
/// The UDP idle timeout is an hour and the active timeout a day, as a
/// SIP-aware box would set them: with the defaults (60 s, 30 min), a call's
/// flow can end between its ACK and its BYE, and the call is cut in two records.
fn extract(p: &Population, dir: &Path) -> pipeline::Summary {
    let g = Generator::new(p).unwrap();
    let reader = CaptureReader::from_reader("generated".into(), 0, Box::new(g), 1 << 20);
    let source = MergedSource::from_readers(vec![reader], vec![], 0);
    let cfg = pipeline::Config {
        threads: 2,
        flow: ivraie::flow::FlowConfig {
            udp_idle_ns: 3600 * 1_000_000_000,
            active_ns: NS_PER_DAY,
            ..ivraie::flow::FlowConfig::default()
        },
        output: Some(Output {
            dir: dir.to_path_buf(),
            format: Format::Jsonl,
        }),
        ..pipeline::Config::default()
    };
    pipeline::run_source(source, vec!["generated".into()], &cfg).unwrap()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

/// The subscriber's side of a record (servers are in 198.18.0.0/15): a flow
/// cut by a timeout may restart with the server's packet as its first.
fn addr(v: &Value) -> IpAddr {
    let o: IpAddr = s(v, "orig_h").parse().unwrap();
    let server = |a: &IpAddr| matches!(a, IpAddr::V4(x) if x.octets()[0] == 198 && x.octets()[1] & 0xfe == 18);
    if server(&o) {
        s(v, "resp_h").parse().unwrap()
    } else {
        o
    }
}

/// Multiset of (address, value) pairs.
fn bag(pairs: impl IntoIterator<Item = (IpAddr, String)>) -> BTreeMap<(IpAddr, String), usize> {
    let mut m = BTreeMap::new();
    for p in pairs {
        *m.entry(p).or_insert(0) += 1;
    }
    m
}

#[test]
fn dissectors_find_what_the_generator_put_there() {
    let p = Population {
        population: 60,
        days: 2,
        targets: 1,
        lookalikes: 1,
        sessions_per_day: 10.0,
        calls_per_day: 2.0,
        ..Population::default()
    };
    // The generator is deterministic: a first pass logs the intent, a second
    // one feeds the pipeline directly (the library path a scenario uses).
    let mut g = Generator::new(&p).unwrap();
    g.record_intent();
    g.write_all_to(&mut std::io::sink()).unwrap();
    let intent = g.intent().unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let summary = extract(&p, dir.path());
    assert_eq!(summary.traffic.packets, g.packets());
    assert!(summary.errors.is_empty());

    let dns = records(dir.path(), "dns");
    let found = bag(dns.iter().map(|r| (addr(r), s(r, "query").to_string())));
    assert!(intent.dns.len() > 100, "{} lookups", intent.dns.len());
    assert_eq!(found, bag(intent.dns.clone()), "DNS names");

    let tls = records(dir.path(), "tls");
    let found = bag(tls
        .iter()
        .map(|r| (addr(r), s(r, "server_name").to_string())));
    assert!(intent.tls.len() > 50);
    assert_eq!(found, bag(intent.tls.clone()), "TLS SNI");
    assert!(tls.iter().all(|r| r["established"] == true));

    let quic = records(dir.path(), "quic");
    let found = bag(quic
        .iter()
        .map(|r| (addr(r), s(r, "server_name").to_string())));
    assert!(!intent.quic.is_empty());
    assert_eq!(found, bag(intent.quic.clone()), "QUIC SNI");

    let sip = records(dir.path(), "sip");
    let calls: BTreeMap<&str, &Value> = sip
        .iter()
        .filter(|r| s(r, "method") == "INVITE")
        .map(|r| (s(r, "call_id"), r))
        .collect();
    assert!(intent.calls.len() > 100, "{} calls", intent.calls.len());
    for (who, c) in &intent.calls {
        let r = calls
            .get(c.call_id.as_str())
            .unwrap_or_else(|| panic!("call {} not found", c.call_id));
        assert_eq!(addr(r), *who);
        assert_eq!(s(r, "caller"), c.caller);
        assert_eq!(s(r, "callee"), c.callee);
        assert_eq!(r["answered"], c.answered, "{}", c.call_id);
    }
    assert_eq!(calls.len(), intent.calls.len());

    let smtp = records(dir.path(), "smtp");
    let found = bag(smtp.iter().map(|r| {
        let rcpts: Vec<&str> = r["rcpt_to"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        (addr(r), format!("{} {}", s(r, "helo"), rcpts.join(" ")))
    }));
    let meant = bag(intent
        .mails
        .iter()
        .map(|(w, m)| (*w, format!("{} {}", m.helo, m.rcpt_to.join(" ")))));
    assert!(intent.mails.len() > 50);
    assert_eq!(found, meant, "SMTP envelopes");
    for r in &smtp {
        let from = r["mail_from"].as_array().unwrap();
        assert!(!from.is_empty());
    }

    let bt = records(dir.path(), "bittorrent");
    let found = bag(bt
        .iter()
        .filter(|r| s(r, "sender") == "orig")
        .map(|r| (addr(r), s(r, "info_hash").to_string())));
    assert!(!intent.infohashes.is_empty());
    assert_eq!(found, bag(intent.infohashes.clone()), "infohashes");
}

/// |measured - expected| within 4 standard deviations of a Poisson count.
fn poisson_close(what: &str, measured: f64, expected: f64) {
    let tol = 4.0 * expected.sqrt().max(1.0);
    assert!(
        (measured - expected).abs() <= tol,
        "{what}: measured {measured}, expected {expected} ± {tol:.1}"
    );
}

#[test]
fn behaviour_matches_the_parameters() {
    let days = 21;
    let p = Population {
        population: 300,
        days,
        seed: 11,
        targets: 3,
        lookalikes: 4,
        sessions_per_day: 1.0,
        calls_per_day: 0.2,
        mails_per_day: 0.5,
        ordinary_torrent_share: 0.2,
        ordinary_watch_visits_per_week: 0.2,
        pbx_calls_per_night: 60.0,
        mailer_sessions_per_hour: 1.0,
        ..Population::default()
    };
    let g = Generator::new(&p).unwrap();
    let labels = g.labels().to_vec();
    let start = g.start_ns();
    let weeks = days as f64 / 7.0;
    // Shares of profiles: exact counts per system and role.
    for sys in System::ALL {
        let n = |r: Role| {
            labels
                .iter()
                .filter(|l| l.system == Some(sys) && l.role == r)
                .count()
        };
        assert_eq!(n(Role::Target), 3, "{sys}");
        assert_eq!(n(Role::Lookalike), 4, "{sys}");
    }
    let who = |r: Role, sys: Option<System>| -> BTreeSet<IpAddr> {
        labels
            .iter()
            .filter(|l| l.role == r && l.system == sys)
            .map(|l| l.address)
            .collect()
    };
    let dir = tempfile::tempdir().unwrap();
    extract(&p, dir.path());

    // l851: visits to watched domains per week, measured as DNS lookups.
    let dns = records(dir.path(), "dns");
    let watched = |set: &BTreeSet<IpAddr>| {
        dns.iter()
            .filter(|r| set.contains(&addr(r)) && WATCHED_DOMAINS.contains(&s(r, "query")))
            .count() as f64
    };
    let targets = who(Role::Target, Some(System::L851));
    poisson_close(
        "l851 target visits",
        watched(&targets),
        p.watch_visits_per_week * weeks * 3.0,
    );
    let looks = who(Role::Lookalike, Some(System::L851));
    poisson_close(
        "l851 lookalike visits",
        watched(&looks),
        p.lookalike_visits_per_week * weeks * 4.0,
    );
    let others: BTreeSet<IpAddr> = labels
        .iter()
        .filter(|l| l.system != Some(System::L851))
        .map(|l| l.address)
        .collect();
    poisson_close(
        "others' chance visits",
        watched(&others),
        p.ordinary_watch_visits_per_week * weeks * others.len() as f64,
    );

    // pbx: bursts of short +290 calls between 00:00 and 05:00.
    let sip = records(dir.path(), "sip");
    let pbx = who(Role::Target, Some(System::Pbx));
    let mut nights: BTreeMap<(IpAddr, i64), usize> = BTreeMap::new();
    for r in sip
        .iter()
        .filter(|r| s(r, "method") == "INVITE" && pbx.contains(&addr(r)))
    {
        if !s(r, "callee").starts_with(PREMIUM_PREFIX) {
            continue;
        }
        let ts = (r["ts"].as_f64().unwrap() * 1e9) as i64;
        assert!(hour_of_day(ts) < 5, "a burst call at {ts}");
        assert!(r["duration"].as_f64().unwrap() < 60.0);
        *nights
            .entry((addr(r), (ts - start) / NS_PER_DAY))
            .or_insert(0) += 1;
    }
    let burst_nights = nights.len() as f64;
    assert!(burst_nights >= 3.0, "{burst_nights} burst nights");
    let total_nights = 3.0 * days as f64;
    let q = p.pbx_nights_per_week / 7.0;
    let sd = (total_nights * q * (1.0 - q)).sqrt();
    assert!(
        (burst_nights - total_nights * q).abs() <= 4.0 * sd,
        "burst nights {burst_nights}, expected {}",
        total_nights * q
    );
    let calls: usize = nights.values().sum();
    poisson_close(
        "pbx calls",
        calls as f64,
        p.pbx_calls_per_night * burst_nights,
    );
    // The lookalike business: night calls abroad, longer.
    let business = who(Role::Lookalike, Some(System::Pbx));
    let night_abroad: Vec<&Value> = sip
        .iter()
        .filter(|r| s(r, "method") == "INVITE" && business.contains(&addr(r)))
        .filter(|r| hour_of_day((r["ts"].as_f64().unwrap() * 1e9) as i64) < 5)
        .filter(|r| !s(r, "callee").starts_with("+33"))
        .collect();
    let expected =
        p.business_calls_per_night * p.business_nights_per_week / 7.0 * days as f64 * 4.0;
    // Calling nights are Bernoulli too: allow for both sources of spread.
    let tol = 4.0
        * (expected
            + p.business_calls_per_night.powi(2) * days as f64 * 4.0 * (5.0 / 7.0) * (2.0 / 7.0))
            .sqrt();
    assert!(
        (night_abroad.len() as f64 - expected).abs() <= tol,
        "business night calls {} expected {expected} ± {tol}",
        night_abroad.len()
    );
    for r in &night_abroad {
        assert_eq!(r["answered"], true);
        let d = r["duration"].as_f64().unwrap();
        assert!((120.0..=1200.0).contains(&d), "a business call of {d} s");
    }

    // spam: sessions per hour and recipients per message.
    let smtp = records(dir.path(), "smtp");
    let mailers = who(Role::Target, Some(System::Spam));
    let mass: Vec<&Value> = smtp
        .iter()
        .filter(|r| mailers.contains(&addr(r)) && s(r, "helo").ends_with(MASS_MAILER_DOMAIN))
        .collect();
    assert!(!mass.is_empty());
    poisson_close(
        "mass-mailer sessions",
        mass.len() as f64,
        p.mailer_sessions_per_hour * 24.0 * days as f64 * 3.0,
    );
    for r in &mass {
        let n = r["rcpt_to"].as_array().unwrap().len() as u32;
        assert_eq!(
            n,
            p.mailer_rcpts_per_message * p.mailer_messages_per_session
        );
        assert_eq!(r["messages"], p.mailer_messages_per_session);
    }
    let letters = who(Role::Lookalike, Some(System::Spam));
    let news = smtp
        .iter()
        .filter(|r| letters.contains(&addr(r)) && s(r, "helo").ends_with(NEWSLETTER_DOMAIN))
        .count();
    poisson_close(
        "newsletter sessions",
        news as f64,
        p.newsletter_sessions_per_day * days as f64 * 4.0,
    );

    // hadopi: watched-torrent sessions per day (one tracker announce each).
    let bt = records(dir.path(), "bittorrent");
    let hashes: BTreeSet<String> = generate::watched_infohashes().into_iter().collect();
    let sharers = who(Role::Target, Some(System::Hadopi));
    let announces = |set: &BTreeSet<IpAddr>, watched: bool| {
        bt.iter()
            .filter(|r| s(r, "kind") == "announce" && set.contains(&addr(r)))
            .filter(|r| hashes.contains(s(r, "info_hash")) == watched)
            .count() as f64
    };
    poisson_close(
        "hadopi target sessions",
        announces(&sharers, true),
        p.target_torrent_sessions_per_day * days as f64 * 3.0,
    );
    assert_eq!(announces(&sharers, false), 0.0);
    let legal = who(Role::Lookalike, Some(System::Hadopi));
    poisson_close(
        "hadopi lookalike sessions",
        announces(&legal, false) + announces(&legal, true),
        p.lookalike_torrent_sessions_per_day * days as f64 * 4.0,
    );
    // Ordinary sharers: a share of the ordinary subscribers.
    let ordinary = who(Role::Ordinary, None);
    let sharing: BTreeSet<IpAddr> = bt
        .iter()
        .filter(|r| s(r, "kind") == "announce")
        .map(addr)
        .filter(|a| ordinary.contains(a))
        .collect();
    let n = ordinary.len() as f64;
    let q = p.ordinary_torrent_share;
    // A sharer with no session in 21 days is very unlikely (e^-21).
    assert!(
        (sharing.len() as f64 - n * q).abs() <= 4.0 * (n * q * (1.0 - q)).sqrt(),
        "ordinary sharers {} of {n}",
        sharing.len()
    );
}

#[test]
fn the_library_stream_is_a_valid_capture_for_the_pipeline() {
    // Send + 'static: it can be moved into a reader thread.
    fn assert_send<T: Send + 'static>(_: &T) {}
    let g = Generator::new(&small()).unwrap();
    assert_send(&g);
    let (end, startns) = (g.end_ns(), g.start_ns());
    let dir = tempfile::tempdir().unwrap();
    let summary = extract(&small(), dir.path());
    let (first, last) = (
        summary.traffic.first_ts.unwrap(),
        summary.traffic.last_ts.unwrap(),
    );
    assert!(first * 1e9 >= startns as f64 && last * 1e9 < end as f64);
    assert_eq!(summary.subscribers, 80);
}

#[test]
fn bad_parameters_are_clear_errors() {
    let cases: &[(Population, &str)] = &[
        (
            Population {
                subscribers: "10.0.0.0/33".into(),
                ..small()
            },
            "not an IPv4 CIDR",
        ),
        (
            Population {
                subscribers: "10.0.0.0/28".into(),
                ..small()
            },
            "fewer than the population",
        ),
        (Population { days: 0, ..small() }, "days must be"),
        (
            Population {
                population: 0,
                ..small()
            },
            "population must be",
        ),
        (
            Population {
                targets: 30,
                ..small()
            },
            "more than the population",
        ),
        (
            Population {
                start: "2026-13-01".into(),
                ..small()
            },
            "start:",
        ),
        (
            Population {
                quic_share: -1.0,
                ..small()
            },
            "quic_share",
        ),
        (
            Population {
                mailer_rcpts_per_message: 0,
                ..small()
            },
            "mailer_rcpts_per_message",
        ),
    ];
    for (p, want) in cases {
        let e = Generator::new(p)
            .err()
            .unwrap_or_else(|| panic!("accepted {p:?}"));
        assert!(e.contains(want), "`{e}` should say `{want}`");
    }
}

#[test]
fn labels_round_trip_and_errors_name_the_line() {
    let g = Generator::new(&small()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = generate::labels_path(&dir.path().join("x.pcap"));
    assert_eq!(path.file_name().unwrap(), "x.labels.csv");
    generate::write_labels(&path, g.labels()).unwrap();
    let back = generate::read_labels(&path).unwrap();
    assert_eq!(back, g.labels());
    let sorted = back.windows(2).all(|w| w[0].address < w[1].address);
    assert!(sorted, "sorted by address");
    std::fs::write(
        &path,
        "address,profile,role,system\n10.0.0.1,ordinary,ordinary,\n10.0.0.2,x,boss,\n",
    )
    .unwrap();
    let e = generate::read_labels(&path).unwrap_err().to_string();
    assert!(e.contains("x.labels.csv:3:") && e.contains("boss"), "{e}");
}

fn ivraie(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn cli_writes_capture_and_labels_and_rejects_bad_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pop.pcap");
    let o = ivraie(&[
        "generate",
        "--population",
        "40",
        "--days",
        "1",
        "--targets",
        "1",
        "--lookalikes",
        "1",
        "--systems",
        "pbx,spam",
        "--seed",
        "5",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("packets/s"));
    let labels = generate::read_labels(&dir.path().join("pop.labels.csv")).unwrap();
    assert_eq!(labels.len(), 40);
    assert_eq!(labels.iter().filter(|l| l.role == Role::Target).count(), 2);
    // The same through the library.
    let p = Population {
        population: 40,
        days: 1,
        targets: 1,
        lookalikes: 1,
        systems: vec![System::Pbx, System::Spam],
        seed: 5,
        ..Population::default()
    };
    let (pcap, _) = generate_bytes(&p);
    assert_eq!(sha(&std::fs::read(&out).unwrap()), sha(&pcap));
    let o = ivraie(&[
        "generate",
        "--population",
        "300",
        "--subscribers",
        "192.168.0.0/24",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("fewer than the population"));
    let o = ivraie(&["generate", "--systems", "nsa", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    // To standard output, labels elsewhere: the same bytes.
    let labels_elsewhere = dir.path().join("elsewhere.csv");
    let o = ivraie(&[
        "generate",
        "--population",
        "40",
        "--days",
        "1",
        "--targets",
        "1",
        "--lookalikes",
        "1",
        "--systems",
        "pbx,spam",
        "--seed",
        "5",
        "-o",
        "-",
        "--labels",
        labels_elsewhere.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert_eq!(sha(&o.stdout), sha(&pcap));
    assert_eq!(generate::read_labels(&labels_elsewhere).unwrap(), labels);
    let o = ivraie(&["generate", "-o", "-"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--labels"));
}

fn sample_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pcaps")
}

#[test]
fn committed_samples_regenerate_byte_for_byte() {
    let p = Population::from_toml_file(&sample_dir().join("population.toml")).unwrap();
    let (pcap, labels) = generate_bytes(&p);
    let committed = std::fs::read(sample_dir().join("population.pcap")).unwrap();
    assert_eq!(
        sha(&pcap),
        sha(&committed),
        "pcaps/population.pcap: see pcaps/README.md"
    );
    let committed = std::fs::read(sample_dir().join("population.labels.csv")).unwrap();
    assert_eq!(sha(&labels), sha(&committed), "pcaps/population.labels.csv");
}

#[test]
fn tshark_reads_the_sample_without_malformed_packets() {
    if Command::new("tshark").arg("--version").output().is_err() {
        eprintln!("tshark is not installed: skipped");
        return;
    }
    let path = sample_dir().join("population.pcap");
    let o = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(&path)
        .args(["-Y", "_ws.malformed || _ws.expert.severity >= 6291456"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bad = String::from_utf8_lossy(&o.stdout);
    assert!(
        bad.trim().is_empty(),
        "malformed or warned-about packets:\n{bad}"
    );
    // And tshark did dissect the protocols, not just frames.
    let o = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(&path)
        .args(["-Y", "sip.Method == \"INVITE\" || smtp.req.command == \"RCPT\" || tls.handshake.extensions_server_name || quic.long.packet_type == 0 || bittorrent"])
        .output()
        .unwrap();
    let n = String::from_utf8_lossy(&o.stdout).lines().count();
    assert!(n > 100, "tshark dissected only {n} packets of interest");
}
