//! Unit tests of the public types: names, TOML, labels paths.

use super::*;

#[test]
fn system_and_role_names_match_serde() {
    for s in System::ALL {
        let v: toml::Value =
            toml::Value::try_from(std::collections::BTreeMap::from([("s", s)])).unwrap();
        assert_eq!(v["s"].as_str(), Some(s.name()));
        assert_eq!(System::from_name(s.name()), Some(s));
    }
    for r in [Role::Target, Role::Lookalike, Role::Ordinary] {
        assert_eq!(Role::from_name(r.name()), Some(r));
        let v = toml::Value::try_from(std::collections::BTreeMap::from([("r", r)])).unwrap();
        assert_eq!(v["r"].as_str(), Some(r.name()));
    }
    assert_eq!(System::L851.name(), "l851");
}

#[test]
fn population_toml_takes_defaults_and_refuses_unknown_fields() {
    let p: Population = toml::from_str("population = 5\nsystems = [\"pbx\"]\n").unwrap();
    assert_eq!(p.population, 5);
    assert_eq!(p.systems, vec![System::Pbx]);
    assert_eq!(p.days, Population::default().days);
    let e = toml::from_str::<Population>("population = 5\npopulatoin = 6\n").unwrap_err();
    assert!(e.to_string().contains("populatoin"), "{e}");
    assert!(Population::default().validate().is_ok());
}

#[test]
fn labels_path_replaces_the_extension() {
    assert_eq!(
        labels_path(Path::new("a/x.pcap")),
        Path::new("a/x.labels.csv")
    );
    assert_eq!(labels_path(Path::new("x")), Path::new("x.labels.csv"));
    assert_eq!(
        labels_path(Path::new("dir/run.1.pcapng")),
        Path::new("dir/run.1.labels.csv")
    );
}

#[test]
fn watched_infohashes_are_fixed_hex() {
    let h = watched_infohashes();
    assert_eq!(h.len(), WATCHED_TORRENTS);
    assert!(h.iter().all(|x| {
        x.len() == 40
            && x.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    }));
    // SHA-256("ivraie watched torrent 0"), first 20 bytes.
    use sha2::Digest;
    let d = sha2::Sha256::digest(b"ivraie watched torrent 0");
    assert_eq!(h[0], hex(&d[..20]));
}

#[test]
fn a_range_as_small_as_the_population_is_enough() {
    // A /29 has 6 usable hosts.
    let p = Population {
        population: 6,
        subscribers: "192.168.1.0/29".into(),
        targets: 0,
        days: 1,
        ..Population::default()
    };
    let g = Generator::new(&p).unwrap();
    let addrs: Vec<String> = g.labels().iter().map(|l| l.address.to_string()).collect();
    assert_eq!(
        addrs,
        [
            "192.168.1.1",
            "192.168.1.2",
            "192.168.1.3",
            "192.168.1.4",
            "192.168.1.5",
            "192.168.1.6"
        ]
    );
    let p = Population { population: 7, ..p };
    assert!(
        Generator::new(&p)
            .err()
            .unwrap()
            .contains("fewer than the population")
    );
}

#[test]
fn tail_site_names_are_distinct_words_not_digits() {
    let names: Vec<String> = (0..engine::DOMAINS).map(engine::tail_name).collect();
    let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), names.len());
    for n in &names {
        assert!(!n.bytes().any(|b| b.is_ascii_digit()), "{n}");
        assert!(n.split('.').count() >= 2 && !n.contains("--"), "{n}");
    }
    assert_eq!(engine::tail_name(300), engine::tail_name(300));
}

#[test]
fn registered_ephemeral_ports_are_sorted_for_binary_search() {
    let p = engine::REGISTERED_EPHEMERAL;
    assert!(p.windows(2).all(|w| w[0] < w[1]));
}

/// The pcap records (16-byte header and frame) of a generated capture.
fn pcap_records(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        out.push(&bytes[at..at + 16 + caplen]);
        at += 16 + caplen;
    }
    assert_eq!(at, bytes.len());
    out
}

#[test]
fn shares_of_a_population_together_are_its_traffic_packet_for_packet() {
    let p = Population {
        population: 90,
        days: 2,
        targets: 2,
        systems: vec![System::L851, System::Pbx, System::Hadopi],
        ..Population::default()
    };
    let mut whole = Vec::new();
    Generator::new(&p)
        .unwrap()
        .write_all_to(&mut whole)
        .unwrap();
    let whole_recs = pcap_records(&whole);
    assert!(whole_recs.len() > 10_000, "{}", whole_recs.len());
    let mut shares = Vec::new();
    for part in 0..3 {
        let mut g = Generator::new_part(&p, part, 3).unwrap();
        assert_eq!(g.labels().len(), 90, "labels stay the whole population's");
        let mut buf = Vec::new();
        g.write_all_to(&mut buf).unwrap();
        shares.push(buf);
    }
    let mut parts: Vec<&[u8]> = shares.iter().flat_map(|b| pcap_records(b)).collect();
    assert!(shares.iter().all(|b| pcap_records(b).len() > 1000));
    // In time order, each share's packets are the whole's, so sorting both by
    // (time, bytes) gives the same list.
    let key = |r: &&[u8]| (u64::from_le_bytes(r[..8].try_into().unwrap()), r.to_vec());
    let mut whole_sorted = whole_recs.clone();
    whole_sorted.sort_by_key(key);
    parts.sort_by_key(key);
    assert_eq!(parts.len(), whole_sorted.len());
    assert!(parts == whole_sorted);
    assert!(Generator::new_part(&p, 3, 3).is_err());
}
