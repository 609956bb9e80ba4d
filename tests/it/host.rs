//! A host's own traffic: runs without ground truth, captures from unrelated
//! dates on one calendar, and what a box can read of a network, checked
//! against tshark.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap()
}

/// A commission rule that counts real targets cannot be judged on captures
/// without labels: `check` refuses it and says why and how to state an
/// assumption; stated, the run applies it and says so, and prints no
/// precision.
#[test]
fn a_ground_truth_rule_without_labels_is_refused_or_stated() {
    let d = tempfile::tempdir().unwrap();
    let host = std::fs::read_to_string(root().join("scenarios/host.toml")).unwrap();
    let pcaps = root().join("pcaps").join("sample.pcap");
    let text = host.replace(
        "captures = [\"../pcaps\"]",
        &format!("captures = [\"{}\"]", pcaps.display()),
    );
    let refused = d.path().join("refused.toml");
    std::fs::write(&refused, text.replace("assumed_relevance = 0.1\n", "")).unwrap();
    let o = common::ivraie_in(&["check", refused.to_str().unwrap()], d.path());
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("no ground truth") && e.contains("assumed_relevance"),
        "{e}"
    );

    let stated = d.path().join("stated.toml");
    std::fs::write(&stated, &text).unwrap();
    let out = d.path().join("out");
    let o = common::ivraie_in(
        &["run", stated.to_str().unwrap(), "-o", out.to_str().unwrap()],
        d.path(),
    );
    assert!(o.status.code() != Some(1), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("assumed 10% of those flagged relevant (stated, not measured)"),
        "{text}"
    );
    assert!(text.contains("not measurable: precision, recall"), "{text}");
    assert!(!text.contains("precision "), "{text}");
    let r = report(&out);
    assert_eq!(r["boxes"][0]["assumed_relevance"], 0.1);
    assert!(r["boxes"][0]["judged"].is_null());
}

/// Two corpus captures taken 14 years apart (nDPI's `dns.pcap` holds 2005
/// and 2017 packets, tcpdump's `edns-opts.pcap` 2019): merged, the calendar
/// spans the years and the run says so; laid one after another, it is a few
/// hours long and one window holds everything.
#[test]
fn captures_from_different_years_share_one_calendar() {
    let d = tempfile::tempdir().unwrap();
    let caps = d.path().join("caps");
    std::fs::create_dir(&caps).unwrap();
    for f in ["ndpi/dns.pcap", "tcpdump/edns-opts.pcap"] {
        let src = common::corpus().join(f);
        std::fs::copy(&src, caps.join(src.file_name().unwrap())).unwrap();
    }
    let run = |layout: &str| {
        let s = d.path().join(format!("{layout}.toml"));
        std::fs::write(
            &s,
            format!(
                "name = \"years\"\n[source]\ncaptures = [\"caps\"]\nsubscribers = [\"0.0.0.0/0\"]\n\
                 [clock]\nlayout = \"{layout}\"\n[[boxes]]\nname = \"b\"\nscope = \"connection\"\n\
                 threshold = 1\nwindow = \"1d\"\n[[boxes.rules]]\ndomains = [\"example.com\"]\n"
            ),
        )
        .unwrap();
        let out = d.path().join(format!("out-{layout}"));
        let o = common::ivraie_in(
            &["run", s.to_str().unwrap(), "-o", out.to_str().unwrap()],
            d.path(),
        );
        assert!(o.status.code() != Some(1), "{}", stderr(&o));
        (report(&out), stderr(&o))
    };
    let (merged, said) = run("merge");
    assert!(said.contains("has no traffic from 2005-03-30"), "{said}");
    let (laid, said) = run("sequential");
    assert!(said.contains("silences longer than two hours"), "{said}");
    let span = |r: &serde_json::Value| {
        let d = |k: &str| ivraie::capture::clock::parse_date(r[k].as_str().unwrap()).unwrap();
        (d("end") - d("start")) / ivraie::capture::clock::NS_PER_DAY
    };
    assert!(span(&merged) > 5000, "{}", span(&merged));
    assert!(span(&laid) <= 1, "{}", span(&laid));
    assert_eq!(laid["boxes"][0]["windows"].as_array().unwrap().len(), 1);
    // The same packets either way.
    assert_eq!(
        merged["traffic"]["traffic"]["packets"],
        laid["traffic"]["traffic"]["packets"]
    );
}

/// What the box could read of the shipped population, counted by tshark:
/// ClientHellos whose server name is the ECH front, lookups to the DoH
/// resolver, UDP conversations with the VPN servers, and the wire bytes of
/// the messenger's service.
#[test]
fn readability_and_services_match_tshark() {
    if Command::new("tshark").arg("--version").output().is_err() {
        eprintln!("tshark is not installed: skipped");
        return;
    }
    let pcap = root().join("pcaps/population.pcap");
    let count = |filter: &str, field: Option<&str>| -> u64 {
        let mut c = Command::new("tshark");
        c.args(["-n", "-r"]).arg(&pcap).args(["-Y", filter]);
        if let Some(f) = field {
            c.args(["-T", "fields", "-e", f]);
        }
        let o = c.output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        match field {
            Some(_) => text
                .lines()
                .filter_map(|l| l.trim().parse::<u64>().ok())
                .sum(),
            None => text.lines().count() as u64,
        }
    };
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let o = common::ivraie_in(
        &[
            "run",
            root().join("scenarios/host.toml").to_str().unwrap(),
            "--captures",
            pcap.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        d.path(),
    );
    assert!(o.status.code() != Some(1), "{}", stderr(&o));
    let sees = report(&out)["boxes"][0]["sees"].clone();
    let r = &sees["readable"];
    let hello = "tls.handshake.type == 1 && tls.handshake.extensions_server_name == ";
    assert_eq!(
        r["ech"],
        count(&format!("{hello}\"cloudflare-ech.com\""), None),
        "{sees}"
    );
    assert_eq!(
        r["encrypted_dns"],
        count(&format!("{hello}\"doh.resolver.example\""), None)
    );
    // Tunnels: a WireGuard or OpenVPN session is one UDP conversation (a new
    // source port each); an IPsec session is two flows, IKE_SA_INIT's on 500
    // and NAT-T's on 4500 (its fixed ports make tshark's conversations merge
    // sessions: count its IKE_SA_INIT messages, a request and a response each).
    let o = Command::new("tshark")
        .args(["-n", "-q", "-z", "conv,udp", "-r"])
        .arg(&pcap)
        .output()
        .unwrap();
    let convs = |port: &str| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.contains("198.18.80.") && l.contains(port))
            .count() as u64
    };
    let ipsec = count("isakmp.exchangetype == 34", None);
    assert!(ipsec > 0);
    assert_eq!(
        r["tunnels"],
        convs(":51820") + convs(":1194") + ipsec,
        "{sees}"
    );
    let messenger = sees["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "198.18.110.10:443")
        .cloned()
        .unwrap_or_else(|| panic!("the messenger's service in {sees}"));
    assert_eq!(
        messenger["bytes"],
        count(
            "ip.addr == 198.18.110.10 && tcp.port == 443",
            Some("frame.len")
        )
    );
}

/// A host labels a range, not each address: `192.0.0.0/30` marks every
/// address in it, and tcpdump's `edns-opts.pcap` (queries from 192.0.0.1) is
/// then judged: one real target flagged, precision measured. A range too wide
/// is refused with the file and line.
#[test]
fn labels_may_name_a_cidr_range() {
    let d = tempfile::tempdir().unwrap();
    let capture = common::corpus().join("tcpdump/edns-opts.pcap");
    std::fs::write(
        d.path().join("labels.csv"),
        "address,profile,role,system\n192.0.0.0/30,reader,target,l851\n",
    )
    .unwrap();
    let s = d.path().join("s.toml");
    std::fs::write(
        &s,
        format!(
            "name = \"cidr\"\n[source]\ncaptures = [\"{}\"]\nsubscribers = [\"192.0.0.0/24\"]\n\
             labels = \"labels.csv\"\n[[boxes]]\nname = \"b\"\nsystem = \"l851\"\n\
             scope = \"connection\"\nthreshold = 1\nwindow = \"1d\"\n[[boxes.rules]]\n\
             domains = [\"example.com\"]\n",
            capture.display()
        ),
    )
    .unwrap();
    let out = d.path().join("out");
    let o = common::ivraie_in(&["run", "s.toml", "-o", out.to_str().unwrap()], d.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let r = report(&out);
    let c = &r["boxes"][0]["judged"]["confusion"];
    assert_eq!(
        (c["tp"].as_u64(), c["fp"].as_u64()),
        (Some(1), Some(0)),
        "{c}"
    );
    assert_eq!(
        r["truth"]["roles"]["target"], 2,
        "the two host addresses of a /30"
    );
    std::fs::write(
        d.path().join("labels.csv"),
        "address,profile,role,system\n10.0.0.0/8,reader,target,l851\n",
    )
    .unwrap();
    let o = common::ivraie_in(
        &["run", "s.toml", "-o", d.path().join("o2").to_str().unwrap()],
        d.path(),
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("labels.csv:2") && stderr(&o).contains("at most 65536"),
        "{}",
        stderr(&o)
    );
}
