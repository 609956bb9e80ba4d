//! Numbers a researcher can publish: people and alerts counted apart, the
//! extrapolation's period named, intervals whose label is what they cover.

use crate::common;

/// tcpdump's `edns-opts.pcap`: one address asks for example.com 21 times in
/// 20 seconds. A box alerting at every query (no cooldown to speak of) raises
/// many alerts about one person: one person flagged, a real target, and as
/// many true alerts as alerts — two counts that must not be mixed.
#[test]
fn people_and_alerts_are_counted_apart() {
    let d = tempfile::tempdir().unwrap();
    let capture = common::corpus().join("tcpdump/edns-opts.pcap");
    std::fs::write(
        d.path().join("labels.csv"),
        "address,profile,role,system\n192.0.0.1,reader,target,l851\n192.0.0.2,ordinary,ordinary,\n",
    )
    .unwrap();
    let s = d.path().join("s.toml");
    std::fs::write(
        &s,
        format!(
            "name = \"repeat\"\n[source]\ncaptures = [\"{}\"]\nsubscribers = [\"192.0.0.0/24\"]\n\
             labels = \"labels.csv\"\n[[boxes]]\nname = \"b\"\nsystem = \"l851\"\n\
             scope = \"connection\"\nthreshold = 1\nwindow = \"1s\"\ncooldown = \"1s\"\n\
             [[boxes.rules]]\non = [\"dns\"]\ndomains = [\"example.com\"]\nvisit_gap = \"1s\"\n",
            capture.display()
        ),
    )
    .unwrap();
    let out = d.path().join("out");
    let o = common::ivraie_in(&["run", "s.toml", "-o", out.to_str().unwrap()], d.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let b = &r["boxes"][0];
    let c = &b["judged"]["confusion"];
    assert_eq!(
        (c["tp"].as_u64(), c["fp"].as_u64()),
        (Some(1), Some(0)),
        "one person"
    );
    let alerts = b["alerts"].as_u64().unwrap();
    assert!(alerts >= 10, "{alerts} alerts about one person");
    assert_eq!(b["alerts_judged"]["true_alerts"].as_u64(), Some(alerts));
    assert_eq!(b["alerts_judged"]["false_alerts"], 0);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("flagged 1 people: 1 real targets"), "{text}");
    assert!(
        text.contains(&format!(
            "counting alerts, not people: {alerts} about real targets"
        )),
        "{text}"
    );
}

/// The extrapolation says over what period its people were flagged, and its
/// ppv interval is the joint one (each rate at 97.5%): wider than the corners
/// of two 95% intervals, which cover only about 90%.
#[test]
fn the_extrapolation_names_its_period_and_a_joint_interval() {
    use ivraie::measure::{Confusion, extrapolate_counts, extrapolate_with_intervals, wilson};
    let c = Confusion {
        tp: 3,
        fn_: 0,
        fp: 31,
        tn: 1966,
    };
    let x = extrapolate_counts(60_000_000, 1_000, &c, 120.0).unwrap();
    assert_eq!(x.period_days, 120.0);
    assert!(x.joint_95);
    let corners = extrapolate_with_intervals(
        60_000_000,
        1_000,
        wilson(3, 3).unwrap(),
        wilson(31, 1997).unwrap(),
    );
    let (j, k) = (x.ppv.unwrap(), corners.ppv.unwrap());
    assert_eq!(j.value, k.value);
    assert!(j.lo < k.lo && j.hi >= k.hi, "joint {j:?} vs corners {k:?}");
    // The single-rate counts keep their 95% intervals.
    assert_eq!(x.expected_false, corners.expected_false);
}

/// The commission decides on the services' relevance report, not on the
/// ground truth: with a report that always errs, the one real target flagged
/// in the first ten seconds is reported irrelevant and the renewal that the
/// truth would have earned is refused.
#[test]
fn renewals_follow_the_relevance_report_not_the_truth() {
    let d = tempfile::tempdir().unwrap();
    let capture = common::corpus().join("tcpdump/edns-opts.pcap");
    std::fs::write(
        d.path().join("labels.csv"),
        "address,profile,role,system\n192.0.0.1,reader,target,l851\n",
    )
    .unwrap();
    let outcome = |error: &str| {
        let s = d.path().join(format!("s{error}.toml"));
        std::fs::write(
            &s,
            format!(
                "name = \"report\"\n[source]\ncaptures = [\"{}\"]\nsubscribers = [\"192.0.0.0/24\"]\n\
                 labels = \"labels.csv\"\n[policy]\nfirst_window = \"10s\"\nrenewal = \"10s\"\n\
                 [policy.commission]\nrule = \"thresholds\"\nmin_confirmed = 1\n\
                 relevance_error = {error}\n[[boxes]]\nname = \"b\"\nsystem = \"l851\"\n\
                 scope = \"connection\"\nthreshold = 1\nwindow = \"1d\"\n[[boxes.rules]]\n\
                 domains = [\"example.com\"]\n",
                capture.display()
            ),
        )
        .unwrap();
        let out = d.path().join(format!("out{error}"));
        let o = common::ivraie_in(
            &["run", s.to_str().unwrap(), "-o", out.to_str().unwrap()],
            d.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let r: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
        r["boxes"][0]["windows"][0]["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(outcome("0.0"), "renewed");
    assert_eq!(outcome("1.0"), "refused");
}
