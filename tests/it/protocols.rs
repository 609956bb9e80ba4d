//! A protocol is its folder and one registry line: WHOIS was added that way
//! (`src/dissect/whois/`), and every domain rule selects on its records with
//! no other edit, because rules select on facets, not on protocols.

use std::path::Path;

use crate::common::{self, stderr};

/// Every line of `src/` outside `src/dissect/whois/` that names WHOIS.
fn mentions_outside_its_folder() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let folder = src.join("dissect").join("whois");
    let mut out = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p == folder {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            for line in text.lines() {
                if line.to_ascii_lowercase().contains("whois") {
                    let rel = p.strip_prefix(&src).unwrap().display();
                    out.push(format!("{rel}: {}", line.trim()));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn whois_lives_in_its_folder_and_the_registry_line() {
    assert_eq!(
        mentions_outside_its_folder(),
        vec![
            "dissect/mod.rs: &whois::WHOIS,".to_string(),
            "dissect/mod.rs: pub mod whois;".to_string(),
        ]
    );
}

/// The number of alerts a run of `scenario` wrote.
fn alerts(scenario: &Path, out: &Path) -> usize {
    let o = common::ivraie_in(
        &[
            "run",
            scenario.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        scenario.parent().unwrap(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    common::read_jsonl(&out.join("alerts.jsonl")).len()
}

#[test]
fn a_domain_rule_selects_on_a_whois_lookup() {
    let d = tempfile::tempdir().unwrap();
    let capture = common::corpus().join("tcpdump/whois.pcap");
    // The capture's only name is the WHOIS query: no DNS, no TLS, no HTTP.
    let x = d.path().join("x");
    let o = common::ivraie_in(
        &[
            "extract",
            capture.to_str().unwrap(),
            "-o",
            x.to_str().unwrap(),
        ],
        d.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let whois = common::read_jsonl(&x.join("whois.jsonl"));
    assert_eq!(whois.len(), 1);
    assert_eq!(whois[0]["query"], "example.com");
    assert_eq!(whois[0]["domain"], "EXAMPLE.COM");
    for other in ["dns", "tls", "http", "quic"] {
        assert!(common::read_jsonl(&x.join(format!("{other}.jsonl"))).is_empty());
    }

    let scenario = common::capture_scenario(d.path(), "whois", capture.to_str().unwrap());
    assert_eq!(alerts(&scenario, &d.path().join("run")), 1);
    // The same rule limited to DNS queries finds nothing: the lookup is what matched.
    let text = std::fs::read_to_string(&scenario).unwrap();
    std::fs::write(
        &scenario,
        text.replace("[[boxes.rules]]\n", "[[boxes.rules]]\non = [\"dns\"]\n"),
    )
    .unwrap();
    assert_eq!(alerts(&scenario, &d.path().join("run-dns")), 0);
}
