use super::*;
use crate::observation::Kind;
use crate::scenario::Scenario;
use std::path::Path;

fn boxes(rules_and_keys: &str) -> BlackBox {
    let text =
        format!("[source]\ncaptures = [\"x.pcap\"]\n[[boxes]]\nname = \"b\"\n{rules_and_keys}");
    let s = Scenario::parse(&text, Path::new("t.toml")).unwrap();
    BlackBox::new(s.boxes().next().unwrap())
}

fn addr(s: &str) -> Addr {
    Addr::from(s.parse::<std::net::IpAddr>().unwrap())
}

/// A record's kind and facets, as a protocol would give them.
type What = (Kind, Vec<Facet>);

fn kind(word: &str) -> Kind {
    Kind::named(word).unwrap()
}

fn obs(ts_s: i64, peer: &str, (kind, facets): What) -> Observation {
    Observation {
        ts_ns: clock::parse_date("2026-01-01").unwrap() + ts_s * clock::NS_PER_S,
        flow_id: ts_s as u64,
        seq: 1,
        subscriber: Some(addr("10.0.0.1")),
        subscriber_port: 40_000,
        inbound: false,
        app: None,
        peer: addr(peer),
        peer_port: 443,
        proto: 6,
        record_bytes: 100,
        kind,
        facets,
    }
}

fn dns(name: &str) -> What {
    (kind("dns"), vec![Facet::Host(name.into())])
}

fn call(callee: &str, duration: f64) -> What {
    (
        kind("call"),
        vec![
            Facet::Party {
                medium: Medium::Phone,
                role: Role::From,
                id: "+33140000000".into(),
            },
            Facet::Party {
                medium: Medium::Phone,
                role: Role::To,
                id: callee.into(),
            },
            Facet::Duration((duration * 1e9) as i64),
        ],
    )
}

#[test]
fn domain_suffixes_count_within_the_sliding_window() {
    let mut b = boxes(
        "scope = \"connection\"\nthreshold = 3\nwindow = \"1h\"\n[[boxes.rules]]\ndomains = [\"watched.example\"]\n",
    );
    let s = addr("10.0.0.1");
    // Two hits, then an unrelated name, then a hit 2 h later: the window forgot the first two.
    assert!(
        b.observe(s, &obs(0, "192.0.2.1", dns("www.watched.example")))
            .is_none()
    );
    assert!(
        b.observe(s, &obs(60, "192.0.2.1", dns("WATCHED.example.")))
            .is_none()
    );
    assert!(
        b.observe(s, &obs(70, "192.0.2.1", dns("notwatched.example")))
            .is_none()
    );
    assert!(
        b.observe(s, &obs(7200, "192.0.2.1", dns("watched.example")))
            .is_none()
    );
    assert!(
        b.observe(s, &obs(7300, "192.0.2.1", dns("a.watched.example")))
            .is_none()
    );
    let trip = b
        .observe(s, &obs(7400, "192.0.2.1", dns("b.watched.example")))
        .unwrap();
    assert_eq!(trip.counts, vec![3]);
    // Another subscriber has its own counter.
    assert!(
        b.observe(
            addr("10.0.0.2"),
            &obs(7500, "192.0.2.1", dns("watched.example"))
        )
        .is_none()
    );
}

#[test]
fn night_short_calls_to_a_prefix_with_distinct_callees() {
    let mut b = boxes(
        "scope = \"connection\"\nthreshold = 3\nwindow = \"1h\"\n[[boxes.rules]]\nphone_prefixes = [\"+290\"]\nhours = [22, 6]\nmax_duration = \"60s\"\ndistinct = 2\n",
    );
    let s = addr("10.0.0.1");
    let night = 2 * 3600; // 02:00
    // Daytime, long, other prefix: none count.
    assert!(
        b.observe(s, &obs(12 * 3600, "192.0.2.9", call("+2905000", 20.0)))
            .is_none()
    );
    assert!(
        b.observe(s, &obs(night, "192.0.2.9", call("+2905000", 300.0)))
            .is_none()
    );
    assert!(
        b.observe(s, &obs(night + 1, "192.0.2.9", call("+4420000", 20.0)))
            .is_none()
    );
    // Three short night calls to +290, but one callee: distinct fails.
    for i in 0..3 {
        assert!(
            b.observe(s, &obs(night + 10 + i, "192.0.2.9", call("+2905000", 30.0)))
                .is_none()
        );
    }
    // A second callee (international form 00290): the rule holds.
    let trip = b
        .observe(s, &obs(night + 20, "192.0.2.9", call("002906000", 30.0)))
        .unwrap();
    assert_eq!(trip.counts, vec![4]);
    assert_eq!(trip.distinct, vec![2]);
}

#[test]
fn all_needs_every_rule_and_any_needs_one() {
    let spec = |combine: &str| {
        format!(
            "scope = \"connection\"\nthreshold = 1\nwindow = \"1d\"\ncombine = \"{combine}\"\n\
             [[boxes.rules]]\ndomains = [\"a.example\"]\n[[boxes.rules]]\nips = [\"198.51.100.0/24\"]\non = [\"flow\"]\n"
        )
    };
    let flow = (
        Kind::FLOW,
        vec![
            Facet::Volume {
                packets: 3,
                bytes: 300,
            },
            Facet::Duration(1_000_000_000),
        ],
    );
    let s = addr("10.0.0.1");
    let mut any = boxes(&spec("any"));
    assert!(
        any.observe(s, &obs(0, "192.0.2.1", dns("a.example")))
            .is_some()
    );
    let mut all = boxes(&spec("all"));
    assert!(
        all.observe(s, &obs(0, "192.0.2.1", dns("a.example")))
            .is_none()
    );
    assert!(
        all.observe(s, &obs(1, "192.0.2.1", flow.clone())).is_none(),
        "wrong network"
    );
    let t = all.observe(s, &obs(2, "198.51.100.7", flow)).unwrap();
    assert_eq!(t.counts, vec![1, 1]);
}

#[test]
fn mail_counts_messages_and_scope_limits_what_is_seen() {
    let mut b = boxes(
        "scope = \"connection\"\nthreshold = 100\nwindow = \"1h\"\n[[boxes.rules]]\non = [\"mail\"]\n",
    );
    let mail = |n: u32| {
        (
            kind("mail"),
            vec![
                Facet::Domain("mx.bulk.example".into()),
                Facet::Domain("bulk.example".into()),
                Facet::Party {
                    medium: Medium::Mail,
                    role: Role::To,
                    id: "<a@b.example>".into(),
                },
                Facet::Count(n),
            ],
        )
    };
    let s = addr("10.0.0.1");
    assert!(b.observe(s, &obs(0, "192.0.2.25", mail(60))).is_none());
    assert_eq!(
        b.observe(s, &obs(1, "192.0.2.25", mail(40)))
            .unwrap()
            .counts,
        vec![100]
    );
    let torrent = obs(
        0,
        "192.0.2.3",
        (
            kind("torrent"),
            vec![Facet::Hash {
                kind: HashKind::InfoHash,
                value: "ab".repeat(20).into(),
            }],
        ),
    );
    assert!(!b.sees(&torrent));
    let flow = obs(
        0,
        "192.0.2.3",
        (
            Kind::FLOW,
            vec![
                Facet::Volume {
                    packets: 10,
                    bytes: 5000,
                },
                Facet::Duration(1_000_000_000),
            ],
        ),
    );
    assert_eq!(
        b.intake_bytes(&flow),
        100,
        "a metadata box keeps the record"
    );
    let dpi = boxes(
        "scope = \"content\"\nthreshold = 1\nwindow = \"1h\"\n[[boxes.rules]]\non = [\"torrent\"]\n",
    );
    assert!(dpi.sees(&torrent));
    assert_eq!(
        dpi.intake_bytes(&flow),
        5100,
        "a content box keeps the bytes"
    );
}

#[test]
fn vantage_limits_the_subscribers_a_box_covers() {
    let b = boxes(
        "scope = \"connection\"\nsubscribers = [\"10.1.0.0/16\"]\nthreshold = 1\nwindow = \"1h\"\n[[boxes.rules]]\non = [\"dns\"]\n",
    );
    assert!(b.covers(&addr("10.1.2.3")));
    assert!(!b.covers(&addr("10.2.0.1")));
}

#[test]
fn a_lookup_and_its_connection_are_one_visit() {
    let mut b = boxes(
        "scope = \"connection\"\nthreshold = 2\nwindow = \"1d\"\n[[boxes.rules]]\ndomains = [\"watched.example\"]\n",
    );
    let s = addr("10.0.0.1");
    let tls = |name: &str| (kind("tls"), vec![Facet::Host(name.into())]);
    assert!(
        b.observe(s, &obs(0, "192.0.2.1", dns("watched.example")))
            .is_none()
    );
    assert!(
        b.observe(s, &obs(1, "198.51.100.1", tls("watched.example")))
            .is_none(),
        "same visit"
    );
    assert!(
        b.observe(s, &obs(30, "198.51.100.1", tls("WATCHED.example")))
            .is_none(),
        "same visit"
    );
    // Two minutes after the last record of the first visit: a second visit.
    let t = b
        .observe(s, &obs(150, "192.0.2.1", dns("watched.example")))
        .unwrap();
    assert_eq!(
        (t.counts[0], t.distinct[0]),
        (2, 1),
        "two visits to one site"
    );
    let mut spaced = boxes(
        "scope = \"connection\"\nthreshold = 2\nwindow = \"1d\"\n[[boxes.rules]]\ndomains = [\"watched.example\"]\nvisit_gap = \"1s\"\n",
    );
    assert!(
        spaced
            .observe(s, &obs(0, "192.0.2.1", dns("watched.example")))
            .is_none()
    );
    assert!(
        spaced
            .observe(s, &obs(2, "198.51.100.1", tls("watched.example")))
            .is_some()
    );
}

/// A box counts what it sees: addresses. When a line's address changes in the
/// middle of a window, its counter starts again at zero on the new address —
/// one person becomes two subscribers to the box, and three visits split two
/// and one do not reach a threshold of three.
#[test]
fn an_address_change_splits_the_counter() {
    let mut bb = boxes(
        "scope = \"connection\"\nthreshold = 3\nwindow = \"7d\"\n[[boxes.rules]]\ndomains = [\"watched.example\"]\n",
    );
    let (old, new) = (addr("10.0.0.1"), addr("10.0.0.2"));
    let at = |t: i64, a: Addr| Observation {
        subscriber: Some(a),
        ..obs(t, "198.51.100.1", dns("watched.example"))
    };
    assert!(bb.observe(old, &at(0, old)).is_none());
    assert!(bb.observe(old, &at(60, old)).is_none());
    // The change: the third visit comes from the new address.
    assert!(bb.observe(new, &at(120, new)).is_none(), "split");
    assert!(bb.observe(new, &at(180, new)).is_none());
    // The same three visits from one address trip it.
    let mut same = boxes(
        "scope = \"connection\"\nthreshold = 3\nwindow = \"7d\"\n[[boxes.rules]]\ndomains = [\"watched.example\"]\n",
    );
    assert!(same.observe(old, &at(0, old)).is_none());
    assert!(same.observe(old, &at(60, old)).is_none());
    assert!(same.observe(old, &at(120, old)).is_some());
}
