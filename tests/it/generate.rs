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
fn behaviour_matches_each_persons_drawn_traits() {
    let days = 21;
    let p = Population {
        population: 300,
        days,
        seed: 11,
        targets: 3,
        sessions_per_day: 1.0,
        calls_per_day: 0.2,
        mails_per_day: 0.5,
        ordinary_torrent_share: 0.2,
        night_business_share: 0.05,
        bulk_sender_share: 0.05,
        watch_visits_median: 0.05,
        pbx_calls_per_night: 60.0,
        mailer_sessions_per_hour: 1.0,
        ..Population::default()
    };
    let g = Generator::new(&p).unwrap();
    let labels = g.labels().to_vec();
    let start = g.start_ns();
    let weeks = days as f64 / 7.0;
    // Ground truth is intent only: exact target counts, nobody else labelled.
    for sys in System::ALL {
        let n = labels.iter().filter(|l| l.system == Some(sys)).count();
        assert_eq!(n, 3, "{sys}");
    }
    assert!(labels.iter().all(|l| l.role != Role::Lookalike));
    let traits = |a: &IpAddr| {
        labels
            .iter()
            .find(|l| l.address == *a)
            .and_then(|l| l.traits)
            .unwrap()
    };
    let who = |f: &dyn Fn(&generate::Label) -> bool| -> BTreeSet<IpAddr> {
        labels.iter().filter(|l| f(l)).map(|l| l.address).collect()
    };
    let dir = tempfile::tempdir().unwrap();
    extract(&p, dir.path());

    // l851: visits to watched domains, measured as DNS lookups, against each
    // person's drawn rate (plus a target's own).
    let dns = records(dir.path(), "dns");
    let watched = |set: &BTreeSet<IpAddr>| {
        dns.iter()
            .filter(|r| set.contains(&addr(r)) && WATCHED_DOMAINS.contains(&s(r, "query")))
            .count() as f64
    };
    // Lookups in the clear only: a VPN or Tor user's visits go through the
    // tunnel, a DoH user's lookups are encrypted.
    let clear = |a: &IpAddr| {
        let t = traits(a);
        !(t.vpn.is_some() || t.tor || t.doh)
    };
    let drawn = |set: &BTreeSet<IpAddr>| -> f64 {
        set.iter()
            .filter(|a| clear(a))
            .map(|a| traits(a).watch_visits_per_week)
            .sum::<f64>()
            * weeks
    };
    let targets = who(&|l| l.system == Some(System::L851));
    let visible_targets = targets.iter().filter(|a| clear(a)).count() as f64;
    poisson_close(
        "l851 target visits",
        watched(&targets),
        p.watch_visits_per_week * weeks * visible_targets + drawn(&targets),
    );
    let others = who(&|l| l.system != Some(System::L851));
    poisson_close("everyone else's visits", watched(&others), drawn(&others));

    // pbx: bursts of short +290 calls between 00:00 and 05:00.
    let sip = records(dir.path(), "sip");
    let pbx = who(&|l| l.system == Some(System::Pbx));
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
    // Night businesses: calls abroad at night, of any length — short ones
    // included, so a "< 60 s" rule can err.
    let business = who(&|l| l.traits.is_some_and(|t| t.night_business));
    let n_business = business.len() as f64;
    let share = p.night_business_share;
    assert!(
        (n_business - 300.0 * share).abs() <= 4.0 * (300.0 * share * (1.0 - share)).sqrt(),
        "{n_business} night businesses"
    );
    let night_abroad: Vec<&Value> = sip
        .iter()
        .filter(|r| s(r, "method") == "INVITE" && business.contains(&addr(r)))
        .filter(|r| hour_of_day((r["ts"].as_f64().unwrap() * 1e9) as i64) < 5)
        .filter(|r| !s(r, "callee").starts_with("+33"))
        .collect();
    let expected =
        p.business_calls_per_night * p.business_nights_per_week / 7.0 * days as f64 * n_business;
    // Calling nights are Bernoulli too: allow for both sources of spread.
    let tol = 4.0
        * (expected
            + p.business_calls_per_night.powi(2)
                * days as f64
                * n_business
                * (5.0 / 7.0)
                * (2.0 / 7.0))
            .sqrt();
    assert!(
        (night_abroad.len() as f64 - expected).abs() <= tol,
        "business night calls {} expected {expected} ± {tol}",
        night_abroad.len()
    );
    let durations: Vec<f64> = night_abroad
        .iter()
        .filter_map(|r| r["duration"].as_f64())
        .collect();
    // As generated (5 s to an hour), give or take the signalling round trips.
    assert!(
        durations.iter().all(|d| (4.5..=3601.0).contains(d)),
        "{durations:?}"
    );
    let short = durations.iter().filter(|d| **d < 60.0).count() as f64;
    // Log-normal, median 300 s, σ 1: P(< 60 s) = Φ(ln(60/300)) ≈ 5.4%.
    let n = durations.len() as f64;
    assert!(
        (short - 0.054 * n).abs() <= 4.0 * (0.054 * n).sqrt().max(1.0),
        "{short} short calls of {n}"
    );

    // spam: sessions per hour and recipients per message.
    let smtp = records(dir.path(), "smtp");
    let mailers = who(&|l| l.system == Some(System::Spam));
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
    let bulk = who(&|l| l.traits.is_some_and(|t| t.bulk_sessions_per_day > 0.0));
    assert!(!bulk.is_empty());
    let news: Vec<&Value> = smtp
        .iter()
        .filter(|r| bulk.contains(&addr(r)) && s(r, "helo").ends_with(NEWSLETTER_DOMAIN))
        .collect();
    poisson_close(
        "bulk sessions",
        news.len() as f64,
        bulk.iter()
            .map(|a| traits(a).bulk_sessions_per_day)
            .sum::<f64>()
            * days as f64,
    );
    for r in &news {
        let n = r["rcpt_to"].as_array().unwrap().len() as u32;
        assert_eq!(
            n,
            traits(&addr(r)).bulk_rcpts,
            "each sender its own list size"
        );
    }

    // hadopi: watched-torrent sessions per day (one tracker announce each).
    let bt = records(dir.path(), "bittorrent");
    let hashes: BTreeSet<String> = generate::watched_infohashes().into_iter().collect();
    let sharers = who(&|l| l.system == Some(System::Hadopi));
    let announces = |set: &BTreeSet<IpAddr>, watched: bool| {
        bt.iter()
            .filter(|r| s(r, "kind") == "announce" && set.contains(&addr(r)))
            .filter(|r| hashes.contains(s(r, "info_hash")) == watched)
            .count() as f64
    };
    let own_rate = |set: &BTreeSet<IpAddr>| -> f64 {
        set.iter()
            .map(|a| traits(a).torrent_sessions_per_day)
            .sum::<f64>()
            * days as f64
    };
    // A target's sessions: their watched ones, and their own life's.
    poisson_close(
        "hadopi target sessions",
        announces(&sharers, true) + announces(&sharers, false),
        p.target_torrent_sessions_per_day * days as f64 * 3.0 + own_rate(&sharers),
    );
    let ordinary = who(&|l| {
        l.system != Some(System::Hadopi)
            && l.traits.is_some_and(|t| t.torrent_sessions_per_day > 0.0)
    });
    let n = labels.len() as f64 - 3.0;
    let q = p.ordinary_torrent_share;
    assert!(
        (ordinary.len() as f64 - n * q).abs() <= 4.0 * (n * q * (1.0 - q)).sqrt(),
        "sharers {} of {n}",
        ordinary.len()
    );
    poisson_close(
        "sharers' sessions",
        announces(&ordinary, false) + announces(&ordinary, true),
        own_rate(&ordinary),
    );
    // Some of them share a watched title by chance: the overlap is not zero
    // by construction (each sharer's own chance, drawn).
    let chance: f64 = ordinary
        .iter()
        .map(|a| traits(a).torrent_sessions_per_day * traits(a).watched_torrent_share)
        .sum::<f64>()
        * days as f64;
    poisson_close(
        "sharers' watched sessions",
        announces(&ordinary, true),
        chance,
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
    // The old count of lookalikes is refused with the reason.
    let o = ivraie(&["generate", "--lookalikes", "3", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("emerge from the behaviour distributions"));
}

/// The tails the defaults promise (`Population::watch_visits_median`): about
/// one person in 200 reads watched sites more than 0.7 times a week, and the
/// top 1% make about half of all such visits; 6% of people share torrents.
#[test]
fn the_default_population_has_heavy_tails() {
    let p = Population {
        population: 40_000,
        days: 1,
        ..Population::default()
    };
    let g = Generator::new(&p).unwrap();
    let t: Vec<generate::Traits> = g.labels().iter().map(|l| l.traits.unwrap()).collect();
    let n = t.len() as f64;
    let mut rates: Vec<f64> = t.iter().map(|t| t.watch_visits_per_week).collect();
    rates.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = rates.iter().sum();
    let top: f64 = rates[..rates.len() / 100].iter().sum();
    assert!(
        (0.35..0.6).contains(&(top / total)),
        "top 1%: {}",
        top / total
    );
    let above = rates.iter().filter(|r| **r > 0.7).count() as f64 / n;
    assert!((0.003..0.008).contains(&above), "above 0.7 a week: {above}");
    let sharers = t
        .iter()
        .filter(|t| t.torrent_sessions_per_day > 0.0)
        .count() as f64
        / n;
    assert!((sharers - 0.06).abs() < 0.005, "sharers: {sharers}");
    let mean_activity = t.iter().map(|t| t.activity).sum::<f64>() / n;
    assert!(
        (mean_activity - 1.0).abs() < 0.05,
        "activity mean {mean_activity}"
    );
}

/// Every record of a classic pcap whose IPv4 source or destination is `ip`
/// and whose time is before `before_ns`: (time, wire length, captured bytes),
/// sorted (sessions of one person may interleave at equal times).
fn records_of(pcap: &[u8], ip: [u8; 4], before_ns: i64) -> Vec<(i64, u32, Vec<u8>)> {
    let mut r = CaptureReader::from_reader(
        "generated".into(),
        0,
        Box::new(std::io::Cursor::new(pcap.to_vec())),
        1 << 20,
    );
    let mut out = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        let frame = f.bytes(r.chunk());
        if f.ts_ns < before_ns && frame.len() >= 34 && (frame[26..30] == ip || frame[30..34] == ip)
        {
            out.push((f.ts_ns, f.wirelen, frame.to_vec()));
        }
    }
    out.sort();
    out
}

fn addresses(g: &Generator) -> Vec<[u8; 4]> {
    g.labels()
        .iter()
        .map(|l| match l.address {
            IpAddr::V4(a) => a.octets(),
            IpAddr::V6(_) => unreachable!(),
        })
        .collect()
}

/// Common random numbers: each person's traffic comes from streams of their
/// own, so a longer run or a bigger population leaves every person's packets
/// as they were.
#[test]
fn a_longer_run_or_more_people_keep_everyones_history() {
    let p7 = Population {
        population: 60,
        days: 7,
        seed: 21,
        targets: 1,
        sessions_per_day: 4.0,
        ordinary_torrent_share: 0.3,
        night_business_share: 0.1,
        bulk_sender_share: 0.1,
        ..Population::default()
    };
    let g7 = Generator::new(&p7).unwrap();
    let (end7, who) = (g7.end_ns(), addresses(&g7));
    let (pcap7, _) = generate_bytes(&p7);
    let (pcap14, _) = generate_bytes(&Population {
        days: 14,
        ..p7.clone()
    });
    let more = Population {
        population: 90,
        ..p7.clone()
    };
    let g90 = Generator::new(&more).unwrap();
    let (pcap90, _) = generate_bytes(&more);
    let who90: BTreeSet<[u8; 4]> = addresses(&g90).into_iter().collect();
    let mut compared = 0;
    for ip in &who {
        let mine = records_of(&pcap7, *ip, end7);
        assert_eq!(mine, records_of(&pcap14, *ip, end7), "{ip:?}: 14 days");
        assert!(who90.contains(ip), "{ip:?} keeps its address");
        assert_eq!(mine, records_of(&pcap90, *ip, end7), "{ip:?}: 90 people");
        compared += mine.len();
    }
    assert!(compared > 5_000, "{compared} records compared");
    // And the longer run does go on.
    assert!(pcap14.len() > pcap7.len() * 3 / 2);
    // The labels of the first 60 people are the same people, traits and all.
    let l90: Vec<_> = g90
        .labels()
        .iter()
        .filter(|l| who.iter().any(|a| IpAddr::from(*a) == l.address))
        .cloned()
        .collect();
    assert_eq!(l90, g7.labels());
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
    // What the people who hide put on the wire is, to tshark, what it
    // claims to be: each VPN protocol's handshake and data, the Private
    // Relay's QUIC, ECH's outer ClientHello, the messenger's TLS.
    let count = |filter: &str| {
        let o = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&path)
            .args(["-Y", filter])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).lines().count()
    };
    for (filter, at_least) in [
        ("wg.type == 1 || wg.type == 2 || wg.type == 4", 100),
        ("openvpn.opcode == 7", 3),
        ("openvpn.opcode == 9", 30),
        ("openvpn && tls.handshake.type == 1", 3),
        ("isakmp.exchangetype == 34", 4),
        ("udpencap && isakmp.exchangetype == 35", 4),
        ("esp.spi", 30),
        (
            "quic && tls.handshake.extensions_server_name == \"mask.icloud.com\"",
            3,
        ),
        (
            "tls.handshake.extension.type == 0xfe0d && tls.handshake.extensions_server_name == \"cloudflare-ech.com\"",
            5,
        ),
        (
            "tls.handshake.extensions_server_name == \"chat.signal.org\"",
            10,
        ),
    ] {
        let n = count(filter);
        assert!(n >= at_least, "tshark saw {n} packets of `{filter}`");
    }
}
