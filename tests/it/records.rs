//! Application records on real corpus captures: each protocol's fields, asserted
//! against what the capture holds (values checked with tshark when written).

use crate::common;

use std::path::Path;

use ivraie::capture::InputSpec;
use ivraie::pipeline::{self, Config, Format, Output, Summary};

fn extract(capture: &str, dir: &Path) -> Summary {
    common::extract_jsonl(&common::corpus().join(capture), dir, 2)
}

fn records(capture: &str, proto: &str) -> Vec<serde_json::Value> {
    let out = tempfile::tempdir().unwrap();
    extract(capture, out.path());
    common::read_jsonl(&out.path().join(format!("{proto}.jsonl")))
}

#[test]
fn tls_record_has_sni_ja3_ja4_and_the_tls12_certificate() {
    let r = &records("ndpi/443-curl.pcap", "tls")[0];
    assert_eq!(r["server_name"], "www.ntop.org");
    assert_eq!(r["version"], "TLSv1.2");
    assert_eq!(r["cipher"], "0xc02f");
    // tshark 4.0: tls.handshake.ja3 of the same ClientHello.
    assert_eq!(r["ja3"], "2a26b1a62e40d25d4de3babc9d532f30");
    assert_eq!(r["ja4"], "t12d6707h2_2955a3196ffa_c83f907a73d3");
    assert_eq!(r["subject"], "CN=www.ntop.org");
    assert_eq!(
        r["issuer"],
        "C=US, O=Let's Encrypt, CN=Let's Encrypt Authority X3"
    );
    assert_eq!(r["established"], true);
}

#[test]
fn quic_initial_is_decrypted_to_its_sni() {
    let r = &records("tcpdump/quic_handshake.pcap", "quic")[0];
    assert_eq!(r["version"], "QUIC v1");
    assert_eq!(r["server_name"], "localhost");
    assert_eq!(r["alpn"], serde_json::json!(["h3"]));
    assert!(r["ja4"].as_str().unwrap().starts_with("q13d"));
}

#[test]
fn mvfst_initials_are_decrypted_with_their_draft_salts() {
    // tshark 4.0: quic.version 0xfaceb001 / 0xfaceb002, the SNI of the first
    // ClientHello.
    for (capture, version) in [
        ("ndpi/quic-mvfst-22.pcap", "mvfst 0xfaceb001"),
        ("ndpi/quic-mvfst-27.pcapng", "mvfst 0xfaceb002"),
    ] {
        let rs = records(capture, "quic");
        let r = rs
            .iter()
            .find(|r| r["server_name"] == "graph.facebook.com")
            .unwrap_or_else(|| panic!("{capture}: no SNI in {rs:?}"));
        assert_eq!(r["version"], version, "{capture}");
        assert_eq!(r["client_hello"], true, "{capture}");
    }
}

#[test]
fn sip_datagrams_keep_their_fields_past_mangled_headers() {
    // A fuzzed capture: this INVITE has NULs and mangled names in other
    // headers (tshark reads the same Call-ID from it, frame 325), and the
    // flow opens with a 5-byte datagram that is not SIP.
    let rs = records("ndpi/fuzz-2006-06-26-2594.pcap", "sip");
    let r = rs
        .iter()
        .find(|r| r["call_id"] == "85216695-42dcdb1d@192&168.1.2")
        .expect("the INVITE's Call-ID");
    assert_eq!(r["method"], "INVITE");
    assert_eq!(r["callee"], "0097239287044");
}

#[test]
fn http_through_socks5_and_tls_behind_a_proxy_header_are_read() {
    // tshark 4.0: http.host of ndpi/socks.pcap frame 8 (after the SOCKS5
    // handshake of frames 4-7); the SNI after haproxy.pcap's PROXY line.
    let hosts: Vec<_> = records("ndpi/socks.pcap", "http")
        .iter()
        .map(|r| r["host"].clone())
        .collect();
    assert!(
        hosts.contains(&serde_json::json!("www.google.com")),
        "{hosts:?}"
    );
    let r = &records("ndpi/haproxy.pcap", "tls")[0];
    assert_eq!(r["server_name"], "aaaaaaaaaaaaaaaa.xx");
}

#[test]
fn dns_transaction_pairs_query_and_answers_over_tcp() {
    let r = &records("tcpdump/dns_tcp.pcap", "dns")[0];
    assert_eq!(r["query"], "www.tcpdump.org");
    assert_eq!(r["qtype"], "A");
    assert_eq!(r["rcode"], "NOERROR");
    assert_eq!(
        r["answers"],
        serde_json::json!(["192.139.46.66", "198.199.88.104"])
    );
    assert_eq!(r["ttls"], serde_json::json!([60, 60]));
    assert!(r["rtt"].as_f64().unwrap() > 0.0);
}

#[test]
fn http_request_is_paired_with_its_response() {
    let r = &records("ndpi/http.pcapng", "http")[0];
    assert_eq!(r["method"], "GET");
    assert_eq!(r["host"], "google.com");
    assert_eq!(r["uri"], "/");
    assert_eq!(r["user_agent"], "curl/7.68.0");
    assert_eq!(r["status"], 301);
    assert_eq!(r["response_length"], 219);
}

#[test]
fn smtp_session_counts_recipients_and_message_size_without_content() {
    let out = tempfile::tempdir().unwrap();
    extract("ndpi/smtp.pcap", out.path());
    let r = &common::read_jsonl(&out.path().join("smtp.jsonl"))[0];
    assert_eq!(r["helo"], "delta.peach.mil");
    assert_eq!(
        r["mail_from"],
        serde_json::json!(["coreys@delta.peach.mil"])
    );
    // tshark: 30 RCPT commands; the DATA body is 15,262 bytes plus its terminator.
    assert_eq!(r["rcpt_to"].as_array().unwrap().len(), 30);
    assert_eq!(r["messages"], 1);
    assert_eq!(r["message_bytes"], 15_267);
    // The body itself is never written anywhere.
    let all = std::fs::read_to_string(out.path().join("smtp.jsonl")).unwrap();
    assert!(!all.contains("Subject:"));
}

#[test]
fn smtp_starttls_ends_the_visible_envelope() {
    let r = &records("ndpi/smtp-starttls.pcap", "smtp")[0];
    assert_eq!(r["starttls"], true);
    assert!(r.get("rcpt_to").is_none(), "recipients are inside TLS");
}

#[test]
fn sip_calls_and_registrations_become_records() {
    let recs = records("ndpi/sip.pcap", "sip");
    let invite = recs
        .iter()
        .find(|r| r["method"] == "INVITE" && r["status"] == 407)
        .unwrap();
    assert_eq!(invite["call_id"], "85216695-42dcdb1d@192.168.1.2");
    assert_eq!(invite["caller"], "voi18062");
    assert_eq!(invite["callee"], "0097239287044");
    assert_eq!(invite["answered"], false);
    assert_eq!(invite["end_reason"], "rejected");
    let cancelled = recs.iter().find(|r| r["end_reason"] == "cancel").unwrap();
    assert_eq!(cancelled["method"], "INVITE");
    assert!(
        recs.iter()
            .any(|r| r["method"] == "REGISTER" && r["status"] == 200)
    );
}

#[test]
fn bittorrent_handshake_announce_and_dht_give_infohashes() {
    let hs = &records("ndpi/bittorrent.pcap", "bittorrent")[0];
    assert_eq!(hs["kind"], "handshake");
    assert_eq!(hs["info_hash"], "dcfcdccfb9e670ccc3dd40c78c161f2bea243126");
    let ann = records("ndpi/bt-http.pcapng", "bittorrent");
    let a = ann.iter().find(|r| r["kind"] == "announce").unwrap();
    assert_eq!(a["info_hash"], "aa3769c4530dde06241873dad43ab5ccec2ce622");
    assert_eq!(a["event"], "started");
    assert_eq!(a["port"], 51413);
    let dht = records("ndpi/bittorrent_utp.pcap", "bittorrent");
    assert!(dht.iter().any(|r| r["kind"] == "dht_get_peers"));
}

#[test]
fn the_claiming_dissector_names_the_flow_app_even_off_its_port() {
    let out = tempfile::tempdir().unwrap();
    let s = extract("ndpi/ookla.pcap", out.path());
    // TLS on TCP 8080 is recognised by content; the port guess would say http.
    let flows = common::read_jsonl(&out.path().join("flows.jsonl"));
    let f = flows
        .iter()
        .find(|f| f["resp_p"] == 8080 && f["app"] == "tls");
    assert!(f.is_some(), "a TLS flow on 8080");
    assert!(s.records["tls"] >= 1);
}

#[test]
fn csv_records_have_the_dissector_columns() {
    let out = tempfile::tempdir().unwrap();
    let cfg = Config {
        threads: 1,
        output: Some(Output {
            dir: out.path().to_path_buf(),
            format: Format::Csv,
        }),
        ..Config::default()
    };
    let path = common::corpus().join("tcpdump/dns_tcp.pcap");
    pipeline::run(&[InputSpec::File(path)], &cfg).unwrap();
    let text = std::fs::read_to_string(out.path().join("dns.csv")).unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("ts,flow_id,orig_h,orig_p,resp_h,resp_p,proto,trans_id,query")
    );
    let row = lines.next().unwrap();
    assert!(row.contains(",www.tcpdump.org,") && row.contains("192.139.46.66;198.199.88.104"));
}

/// The observations a simulation consumes: one per flow plus one per selectable
/// record, each naming the subscriber, in an order independent of the threads.
#[test]
fn observations_are_typed_time_ordered_and_thread_independent() {
    use ivraie::observation::{Facet, Kind, Medium, Observation, Role};
    let observe = |threads: usize, capture: &str| {
        let cfg = Config {
            threads,
            keep: true,
            ..Config::default()
        };
        let src = ivraie::capture::MergedSource::open(
            &[InputSpec::File(common::corpus().join(capture))],
            false,
        );
        pipeline::run_source_observed(src, vec![capture.into()], &cfg)
            .unwrap()
            .1
    };
    let sip = observe(1, "ndpi/sip.pcap");
    assert_eq!(sip, observe(3, "ndpi/sip.pcap"));
    assert!(sip.windows(2).all(|w| w[0].sort_key() < w[1].sort_key()));
    let callee = |o: &&Observation| {
        o.facets.iter().any(|f| {
            matches!(f, Facet::Party { medium: Medium::Phone, role: Role::To, id }
                if &**id == "0097239287044")
        })
    };
    let call = sip
        .iter()
        .find(callee)
        .expect("the rejected INVITE is a call observation");
    assert_eq!(call.kind.name(), "call");
    assert_eq!(call.subscriber.unwrap().to_string(), "192.168.1.2");
    assert_eq!(call.duration_ns(), None, "a rejected call has no duration");
    assert!(call.record_bytes > 100);
    // Flows carry their volumes; SIP REGISTER dialogs are not calls.
    let flows: u64 = sip
        .iter()
        .filter(|o| o.kind == Kind::FLOW)
        .filter_map(|o| o.volume().map(|(packets, _)| packets))
        .sum();
    assert!(flows > 0);
    assert!(
        sip.iter().filter(|o| o.kind.name() == "call").all(|o| o
            .facets
            .iter()
            .any(|f| matches!(f, Facet::Party { role: Role::To, .. }))),
        "every call observation names its callee"
    );
    let bt = observe(2, "ndpi/bittorrent.pcap");
    assert!(bt.iter().any(|o| {
        o.kind.name() == "torrent"
            && o.facets.iter().any(|f| {
                matches!(f, Facet::Hash { value, .. }
                if &**value == "dcfcdccfb9e670ccc3dd40c78c161f2bea243126")
            })
    }));
}

/// The CSV columns a protocol declares are its records' fields: on the whole
/// corpus, every field a record writes (in JSON) is one of its protocol's
/// columns, in the columns' order, and its CSV row holds the same values.
#[test]
fn every_field_a_record_writes_is_a_column_in_order() {
    let d = tempfile::tempdir().unwrap();
    let corpus = common::corpus();
    for (format, dir) in [("jsonl", "j"), ("csv", "c")] {
        let o = common::ivraie_in(
            &[
                "extract",
                corpus.join("ndpi").to_str().unwrap(),
                corpus.join("tcpdump").to_str().unwrap(),
                "--format",
                format,
                "-o",
                dir,
                "--no-progress",
            ],
            d.path(),
        );
        assert!(
            o.status.code().is_some_and(|c| c <= 2),
            "{}",
            common::stderr(&o)
        );
    }
    let mut checked = 0;
    for diss in ivraie::dissect::registry() {
        let cols = diss.columns();
        let records = common::read_jsonl(&d.path().join(format!("j/{}.jsonl", diss.name())));
        let csv = std::fs::read_to_string(d.path().join(format!("c/{}.csv", diss.name()))).unwrap();
        assert_eq!(
            csv.lines().next().unwrap(),
            cols.join(","),
            "{}",
            diss.name()
        );
        for r in &records {
            let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
            let mut at = 0;
            for k in &keys {
                let i = cols[at..].iter().position(|c| c == k).unwrap_or_else(|| {
                    panic!(
                        "{}: field `{k}` is not a column after `{}`",
                        diss.name(),
                        cols[at]
                    )
                });
                at += i + 1;
            }
            checked += 1;
        }
        // One row per record.
        assert_eq!(csv.lines().count(), records.len() + 1, "{}", diss.name());
    }
    assert!(checked > 3000, "{checked} records checked");
}

/// The three VPN families a box could flag ("uses a VPN"), each on real
/// captures, with tshark 4.0's counts: `openvpn.opcode` 9 per direction
/// (543 and 301 data packets; 100 control packets) over UDP, and 13 and 7
/// over TCP with its length-prefixed frames; IKEv2's `isakmp` messages
/// (4) on UDP 500; WireGuard's `wg.type` (2 initiations, 2 responses, 48
/// transport messages) over three flows.
#[test]
fn vpn_tunnels_are_records_of_their_kind() {
    let r = &records("ndpi/openvpn_nohmac.pcapng", "openvpn");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["client_resets"], 1);
    assert_eq!(r[0]["control"], 100);
    assert_eq!(r[0]["orig_data"], 543);
    assert_eq!(r[0]["resp_data"], 301);
    assert_eq!(r[0]["session_id"], "39fded2daa10a437");
    let r = &records("ndpi/openvpn_nohmac_tcp.pcapng", "openvpn");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["proto"], "tcp");
    assert_eq!(
        (r[0]["orig_data"].as_u64(), r[0]["resp_data"].as_u64()),
        (Some(13), Some(7))
    );
    let r = &records("ndpi/esp.pcapng", "ipsec");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["ike_version"], 2);
    assert_eq!(r[0]["ike_messages"], 4);
    assert_eq!(r[0]["initiator_spi"], "05ac0f4d122013f4");
    assert_eq!(r[0]["nat_t"], false);
    let wg = &records("ndpi/wireguard.pcap", "wireguard");
    let sum = |f: &str| wg.iter().map(|r| r[f].as_u64().unwrap()).sum::<u64>();
    assert_eq!((sum("initiations"), sum("responses")), (2, 2));
    assert_eq!(sum("orig_data") + sum("resp_data"), 48);
    // No other dissector claims these flows.
    for (capture, proto) in [
        ("ndpi/openvpn_nohmac.pcapng", "tls"),
        ("ndpi/esp.pcapng", "dns"),
    ] {
        assert!(records(capture, proto).is_empty(), "{capture}: {proto}");
    }
}

/// STARTTLS in FTP, IMAP and POP3: the clear preamble is a record (the
/// protocol, a clear user name, TLS started), and the stream is handed to
/// the TLS dissector, whose record on the same flow has the certificate
/// tshark shows (and POP3's server name).
#[test]
fn starttls_preambles_hand_the_stream_to_tls() {
    for (capture, protocol, subject, sni) in [
        ("ndpi/ftp-start-tls.pcap", "ftp", "CN=OSS Certificate", None),
        ("ndpi/imap-starttls.pcap", "imap", "CN=imap.gmx.net", None),
        (
            "ndpi/pop3_stls.pcap",
            "pop3",
            "CN=*.lavabit.com",
            Some("pop.lavabit.com"),
        ),
    ] {
        let out = tempfile::tempdir().unwrap();
        extract(capture, out.path());
        let pre = common::read_jsonl(&out.path().join("starttls.jsonl"));
        assert_eq!(pre.len(), 1, "{capture}");
        assert_eq!(
            (pre[0]["protocol"].as_str(), &pre[0]["tls"]),
            (Some(protocol), &serde_json::json!(true))
        );
        let tls = common::read_jsonl(&out.path().join("tls.jsonl"));
        assert_eq!(tls.len(), 1, "{capture}");
        assert_eq!(tls[0]["flow_id"], pre[0]["flow_id"]);
        assert!(
            tls[0]["subject"].as_str().unwrap().ends_with(subject),
            "{capture}: {}",
            tls[0]
        );
        assert_eq!(tls[0]["server_name"].as_str(), sni, "{capture}");
    }
    // Without TLS: the user name sent in the clear.
    for (capture, protocol, user) in [
        ("ndpi/ftp.pcap", "ftp", "anonymous"),
        ("ndpi/imap.pcap", "imap", "samir"),
        ("ndpi/pop3.pcap", "pop3", "cicciopernacchio@mail.com"),
        ("ndpi/pgsql.pcap", "postgresql", "oryx"),
    ] {
        let pre = records(capture, "starttls");
        assert_eq!(pre[0]["protocol"], protocol, "{capture}");
        assert_eq!(pre[0]["user"], user, "{capture}");
        assert_eq!(pre[0]["tls"], false, "{capture}");
    }
}

/// A TCP conversation on `port` built byte by byte: (from the client?, bytes).
fn conversation(port: u16, talk: &[(bool, &[u8])]) -> (tempfile::TempDir, Summary) {
    lossy_conversation(port, talk, &[])
}

/// [`conversation`], but the segments at the indices in `lost` are not in
/// the capture (their sequence numbers are used: lost before the capture point).
fn lossy_conversation(
    port: u16,
    talk: &[(bool, &[u8])],
    lost: &[usize],
) -> (tempfile::TempDir, Summary) {
    use common::{pcap, tcp_frame};
    let (c, s) = ([10, 0, 0, 1], [192, 0, 2, 9]);
    let t0 = 1_700_000_000_000_000_000i64;
    let mut frames = vec![
        (t0, tcp_frame(c, s, 50000, port, 100, 0x02, &[])),
        (t0 + 1000, tcp_frame(s, c, port, 50000, 900, 0x12, &[])),
    ];
    let (mut cseq, mut sseq) = (101u32, 901u32);
    for (i, (from_client, bytes)) in talk.iter().enumerate() {
        let t = t0 + 1_000_000 * (i as i64 + 1);
        let f = if *from_client {
            let f = tcp_frame(c, s, 50000, port, cseq, 0x18, bytes);
            cseq += bytes.len() as u32;
            f
        } else {
            let f = tcp_frame(s, c, port, 50000, sseq, 0x18, bytes);
            sseq += bytes.len() as u32;
            f
        };
        if !lost.contains(&i) {
            frames.push((t, f));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pcap");
    std::fs::write(&path, pcap(&frames)).unwrap();
    let summary = common::extract_jsonl(&path, &dir.path().join("out"), 1);
    (dir, summary)
}

/// The hostile cases: a server that accepts TLS and a client that then
/// sends no TLS; a refusal; a line with no end; XMPP's stanzas without line
/// ends; LDAP's StartTLS as BER; PostgreSQL refusing SSL then a clear
/// startup. None panics; each is a record with what was seen.
#[test]
fn starttls_preambles_survive_hostile_conversations() {
    let read = |d: &tempfile::TempDir, p: &str| {
        common::read_jsonl(&d.path().join("out").join(format!("{p}.jsonl")))
    };
    // Accepted, then garbage instead of a ClientHello.
    let (d, _) = conversation(
        143,
        &[
            (false, b"* OK ready\r\n"),
            (true, b"a1 STARTTLS\r\n"),
            (false, b"a1 OK go\r\n"),
            (true, b"this is not TLS at all\r\n"),
        ],
    );
    let pre = read(&d, "starttls");
    assert_eq!(
        (pre[0]["protocol"].as_str(), pre[0]["tls"].as_bool()),
        (Some("imap"), Some(true))
    );
    assert!(read(&d, "tls").is_empty());
    // Refused: no handover, the refusal counted, the login read after it.
    let (d, s) = conversation(
        110,
        &[
            (false, b"+OK POP3\r\n"),
            (true, b"STLS\r\n"),
            (false, b"-ERR not now\r\n"),
            (true, b"USER carol\r\n"),
        ],
    );
    let pre = read(&d, "starttls");
    assert_eq!(
        (pre[0]["user"].as_str(), pre[0]["tls"].as_bool()),
        (Some("carol"), Some(false))
    );
    assert_eq!(s.traffic.anomalies.get("starttls.refused"), Some(&1));
    // A line of 2,000 bytes with no end.
    let long = vec![b'A'; 2000];
    let (d, s) = conversation(21, &[(false, b"220 ftp\r\n"), (true, &long)]);
    assert_eq!(read(&d, "starttls")[0]["protocol"], "ftp");
    assert_eq!(s.traffic.anomalies.get("starttls.line_too_long"), Some(&1));
    // XMPP: no line ends anywhere.
    let (d, _) = conversation(5222, &[
        (true, b"<?xml version='1.0'?><stream:stream to='example.net' xmlns='jabber:client'>"),
        (false, b"<stream:stream from='example.net'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"),
        (true, b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        (false, b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    ]);
    assert_eq!(read(&d, "starttls")[0]["tls"], true);
    // LDAP: a simple bind, then StartTLS, accepted.
    let mut req = vec![0x30, 0x1d, 0x02, 0x01, 0x02, 0x77, 0x18, 0x80, 0x16];
    req.extend_from_slice(b"1.3.6.1.4.1.1466.20037");
    let bind = [
        0x30, 0x0e, 0x02, 0x01, 0x01, 0x60, 0x09, 0x02, 0x01, 0x03, 0x04, 0x02, b'c', b'n', 0x80,
        0x00,
    ];
    let ok = [
        0x30, 0x0c, 0x02, 0x01, 0x02, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
    ];
    let (d, _) = conversation(389, &[(true, &bind), (true, &req), (false, &ok)]);
    let pre = read(&d, "starttls");
    assert_eq!(
        (pre[0]["user"].as_str(), pre[0]["tls"].as_bool()),
        (Some("cn"), Some(true))
    );
    // PostgreSQL: SSL refused ('N'), then the startup in the clear.
    let mut startup = vec![0, 0, 0, 0, 0, 3, 0, 0];
    startup.extend_from_slice(b"user\0dave\0\0");
    let n = startup.len() as u32;
    startup[..4].copy_from_slice(&n.to_be_bytes());
    let (d, _) = conversation(
        5432,
        &[
            (true, &[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]),
            (false, b"N"),
            (true, &startup),
        ],
    );
    let pre = read(&d, "starttls");
    assert_eq!(
        (pre[0]["user"].as_str(), pre[0]["tls"].as_bool()),
        (Some("dave"), Some(false))
    );
}

/// HTTP `CONNECT`: once the proxy answers 200, the tunnel's bytes are probed
/// afresh — TLS through an enterprise proxy gives its server name on the
/// proxy's flow (nDPI's http_connect.pcap: apache.org on port 8080, as tshark
/// shows); plain HTTP through the tunnel is HTTP; bytes no dissector knows
/// are counted; `101 Switching Protocols` ends HTTP/1 without an anomaly.
#[test]
fn connect_tunnels_and_switching_protocols() {
    let tls = records("ndpi/http_connect.pcap", "tls");
    let via_proxy: Vec<_> = tls.iter().filter(|r| r["resp_p"] == 8080).collect();
    assert_eq!(via_proxy.len(), 1);
    assert_eq!(via_proxy[0]["server_name"], "apache.org");
    let read = |d: &tempfile::TempDir, p: &str| {
        common::read_jsonl(&d.path().join("out").join(format!("{p}.jsonl")))
    };
    let (d, _) = conversation(
        3128,
        &[
            (
                true,
                b"CONNECT plain.example:80 HTTP/1.1\r\nHost: plain.example:80\r\n\r\n",
            ),
            (false, b"HTTP/1.1 200 Connection established\r\n\r\n"),
            (true, b"GET /inside HTTP/1.1\r\nHost: plain.example\r\n\r\n"),
            (false, b"HTTP/1.1 204 No Content\r\n\r\n"),
        ],
    );
    let http = read(&d, "http");
    assert_eq!(http.len(), 2);
    assert_eq!(
        (http[0]["method"].as_str(), http[0]["status"].as_u64()),
        (Some("CONNECT"), Some(200))
    );
    assert_eq!(
        (http[1]["uri"].as_str(), http[1]["status"].as_u64()),
        (Some("/inside"), Some(204))
    );
    let (d, s) = conversation(
        3128,
        &[
            (true, b"CONNECT x.example:9 HTTP/1.1\r\n\r\n"),
            (false, b"HTTP/1.1 200 OK\r\n\r\n"),
            (true, &[0u8; 5000]),
        ],
    );
    assert_eq!(read(&d, "http").len(), 1);
    assert_eq!(s.traffic.anomalies.get("tunnel.unknown_protocol"), Some(&1));
    let (d, s) = conversation(
        80,
        &[
            (
                true,
                b"GET /chat HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\n\r\n",
            ),
            (
                false,
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
            ),
            (true, b"\x81\x85abcd\x00\x00\x00\x00\x00"),
        ],
    );
    let http = read(&d, "http");
    assert_eq!((http.len(), http[0]["status"].as_u64()), (1, Some(101)));
    assert_eq!(http[0]["host"], "ws.example");
    assert!(
        s.traffic.anomalies.keys().all(|k| !k.starts_with("http.")),
        "{:?}",
        s.traffic.anomalies
    );
}

/// A client that opens with an SSLv2-compatible ClientHello and a server that
/// answers in TLS 1.0 (nDPI's google_ssl.pcap): the version, the suite and
/// the certificate are read; no JA3 or JA4, which are not defined for that
/// hello (tshark computes none). A hello of that shape followed by garbage
/// gives a record of the hello and stops.
#[test]
fn sslv2_compatible_hello_then_tls() {
    let tls = records("ndpi/google_ssl.pcap", "tls");
    assert_eq!(tls.len(), 1);
    let r = &tls[0];
    assert_eq!(
        (
            r["version"].as_str(),
            r["cipher"].as_str(),
            r["established"].as_bool()
        ),
        (Some("TLSv1.0"), Some("0x0005"), Some(true))
    );
    assert!(
        r["subject"]
            .as_str()
            .unwrap()
            .ends_with("CN=www.google.com")
    );
    assert!(r.get("ja3").is_none() && r.get("ja4").is_none());
    let mut hello = vec![0x80, 34, 1, 3, 1, 0, 9, 0, 0, 0, 16];
    hello.extend_from_slice(&[0, 0, 0x39, 0, 0, 0x2f, 0x07, 0x00, 0xc0]);
    hello.extend_from_slice(&[0xab; 16]);
    let (d, s) = conversation(
        4433,
        &[(true, &hello), (false, b"HTTP/1.1 400 Bad Request\r\n\r\n")],
    );
    let tls = common::read_jsonl(&d.path().join("out/tls.jsonl"));
    assert_eq!(tls.len(), 1);
    assert_eq!(
        (
            tls[0]["client_versions"][0].as_str(),
            tls[0]["established"].as_bool()
        ),
        (Some("TLSv1.0"), Some(false))
    );
    assert_eq!(s.traffic.anomalies.get("tls.bad_content_type"), Some(&1));
}

/// Segments lost before the capture point: a hole inside a body whose length
/// is known costs nothing (the body is skipped, the next response is read);
/// a hole where HTTP was reading (a lost request, a body's end and the next
/// status line) resumes at the next request or status line. Before, the
/// direction stopped at the first hole.
#[test]
fn http_resumes_after_segments_lost_in_the_capture() {
    let read = |d: &tempfile::TempDir| common::read_jsonl(&d.path().join("out/http.jsonl"));
    let body = [b'x'; 1000];
    let (d, s) = lossy_conversation(
        80,
        &[
            (true, b"GET /1 HTTP/1.1\r\nHost: a.example\r\n\r\n"),
            (false, b"HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n"),
            (false, &body),
            (false, &body),
            (false, &body),
            (true, b"GET /2 HTTP/1.1\r\nHost: a.example\r\n\r\n"),
            (
                false,
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            ),
        ],
        &[3],
    );
    let got: Vec<_> = read(&d)
        .iter()
        .map(|r| (r["uri"].as_str().unwrap().to_string(), r["status"].as_u64()))
        .collect();
    assert_eq!(
        got,
        [("/1".to_string(), Some(200)), ("/2".to_string(), Some(404))]
    );
    let a = &s.traffic.anomalies;
    assert_eq!(
        (
            a.get("tcp.gap"),
            a.get("tcp.gap_skipped"),
            a.get("http.gap")
        ),
        (Some(&1), Some(&1), None),
        "{a:?}"
    );
    let (d, s) = lossy_conversation(
        80,
        &[
            (true, b"GET /a HTTP/1.1\r\nHost: a.example\r\n\r\n"),
            (true, b"GET /lost HTTP/1.1\r\nHost: lost.example\r\n\r\n"),
            (true, b"GET /c HTTP/1.1\r\nHost: c.example\r\n\r\n"),
            (false, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234"),
            (false, b"56789HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            (false, b"HTTP/1.1 304 Not Modified\r\n\r\n"),
        ],
        &[1, 4],
    );
    let http = read(&d);
    let got: Vec<_> = http
        .iter()
        .map(|r| (r["host"].as_str().unwrap(), r["status"].as_u64()))
        .collect();
    // The response to /lost was lost with it: the next status line answers
    // the next request in line (what a box would see; the counts say so).
    assert_eq!(got, [("a.example", Some(200)), ("c.example", Some(304))]);
    assert_eq!(s.traffic.anomalies.get("http.gap"), Some(&2));
}

/// SMTP: a DATA refused with 503 (after a failed envelope), then a new EHLO
/// and envelope: the second envelope is kept, not swallowed as a body; and an
/// EHLO line over the 4,096-byte cap still names the client.
#[test]
fn smtp_envelope_after_a_refused_data_and_an_overlong_ehlo() {
    let read = |d: &tempfile::TempDir| common::read_jsonl(&d.path().join("out/smtp.jsonl"));
    let (d, _) = conversation(
        25,
        &[
            (false, b"220 mx.example ESMTP\r\n"),
            (true, b"EHLO client.example\r\n"),
            (false, b"250 mx.example\r\n"),
            (true, b"DATA\r\n"),
            (false, b"503 5.5.1 Error: need RCPT command\r\n"),
            (true, b"EHLO client.example\r\n"),
            (false, b"250 mx.example\r\n"),
            (true, b"MAIL FROM:<a@client.example>\r\n"),
            (false, b"250 ok\r\n"),
            (true, b"RCPT TO:<b@mx.example>\r\n"),
            (false, b"250 ok\r\n"),
            (true, b"DATA\r\n"),
            (false, b"354 go\r\n"),
            (
                true,
                b"Subject: hi\r\n\r\nRCPT TO:<not-a-recipient@x>\r\n.\r\n",
            ),
            (false, b"250 queued\r\n"),
        ],
    );
    let r = &read(&d)[0];
    assert_eq!(r["mail_from"], serde_json::json!(["a@client.example"]));
    assert_eq!(
        r["rcpt_to"],
        serde_json::json!(["b@mx.example"]),
        "the body's line is not a recipient"
    );
    assert_eq!(r["messages"], 1);
    let mut ehlo = b"EHLO ".to_vec();
    ehlo.extend(std::iter::repeat_n(b'h', 5000));
    ehlo.extend_from_slice(b"\r\n");
    let (d, _) = conversation(
        25,
        &[
            (false, b"220 mx.example ESMTP\r\n"),
            (true, &ehlo),
            (true, b"QUIT\r\n"),
        ],
    );
    let helo = read(&d)[0]["helo"].as_str().unwrap().to_string();
    assert_eq!(helo.len(), 255);
    assert!(helo.bytes().all(|b| b == b'h'));
}

/// Several SYNs with different initial sequence numbers before the handshake
/// that carries the data (a client retrying): the data follows the last SYN,
/// and the record is kept.
#[test]
fn data_after_retried_syns_with_new_sequence_numbers_is_read() {
    use common::{pcap, tcp_frame};
    let (c, s) = ([10, 0, 0, 1], [192, 0, 2, 9]);
    let t0 = 1_700_000_000_000_000_000i64;
    let req = b"GET /retry HTTP/1.1\r\nHost: retry.example\r\n\r\n";
    let frames = vec![
        (t0, tcp_frame(c, s, 50000, 80, 100, 0x02, &[])),
        (
            t0 + 1_000_000_000,
            tcp_frame(c, s, 50000, 80, 7000, 0x02, &[]),
        ),
        (
            t0 + 1_001_000_000,
            tcp_frame(s, c, 80, 50000, 900, 0x12, &[]),
        ),
        (
            t0 + 1_002_000_000,
            tcp_frame(c, s, 50000, 80, 7001, 0x18, req),
        ),
        (
            t0 + 1_003_000_000,
            tcp_frame(
                s,
                c,
                80,
                50000,
                901,
                0x18,
                b"HTTP/1.1 204 No Content\r\n\r\n",
            ),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("syns.pcap");
    std::fs::write(&path, pcap(&frames)).unwrap();
    common::extract_jsonl(&path, &dir.path().join("out"), 1);
    let http = common::read_jsonl(&dir.path().join("out/http.jsonl"));
    assert_eq!(http.len(), 1);
    assert_eq!(
        (http[0]["host"].as_str(), http[0]["status"].as_u64()),
        (Some("retry.example"), Some(204))
    );
}

/// HTTP as servers accept it: a request with spaces in its URI, a negative
/// or a conflicting Content-Length, a request's Transfer-Encoding that does
/// not end in chunked, an HTTP/0.9 request followed by garbage — each keeps
/// its method, URI, Host and User-Agent, counts what was wrong, and the
/// stream resumes at the next request; a mangled status line is skipped to
/// the next one.
#[test]
fn http_is_strict_about_framing_and_lenient_about_the_rest() {
    let read = |d: &tempfile::TempDir| common::read_jsonl(&d.path().join("out/http.jsonl"));
    let (d, s) = conversation(
        80,
        &[
            (true, b"GET /a b c.html HTTP/1.1\r\nHost: spaces.example\r\nUser-Agent: UA/1\r\n\r\n"),
            (false, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            (true, b"POST /neg HTTP/1.1\r\nHost: neg.example\r\nContent-Length: -5\r\n\r\nbodybytes"),
            (true, b"GET /after HTTP/1.1\r\nHost: after.example\r\n\r\n"),
            (false, b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
            (false, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            (true, b"POST /te HTTP/1.1\r\nHost: te.example\r\nTransfer-Encoding: gzip, identity\r\n\r\n"),
            (true, b"GET /dup HTTP/1.1\r\nHost: dup.example\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
        ],
    );
    let http = read(&d);
    let got: Vec<(&str, &str, Option<u64>)> = http
        .iter()
        .map(|r| {
            (
                r["uri"].as_str().unwrap_or("?"),
                r["host"].as_str().unwrap_or("?"),
                r["status"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("/a b c.html", "spaces.example", Some(200)),
            ("/neg", "neg.example", Some(400)),
            ("/after", "after.example", Some(200)),
            ("/te", "te.example", None),
            ("/dup", "dup.example", None),
        ]
    );
    assert_eq!(http[0]["user_agent"], "UA/1");
    let a = &s.traffic.anomalies;
    assert_eq!(a.get("http.lenient_request"), Some(&4), "{a:?}");
    assert_eq!(a.get("http.bad_content_length"), Some(&2), "{a:?}");
    assert_eq!(a.get("http.bad_transfer_encoding"), Some(&1), "{a:?}");
    assert!(
        a.get("http.resync").is_some(),
        "the body of /neg skipped: {a:?}"
    );
    // HTTP/0.9, then garbage; a mangled status line, then a good one.
    let (d, _) = conversation(
        8080,
        &[
            (true, b"GET /old\r\n"),
            (true, b"\x00\x01garbage without any line end"),
        ],
    );
    let http = read(&d);
    assert_eq!(
        (http[0]["uri"].as_str(), http[0]["version"].as_str()),
        (Some("/old"), Some("0.9"))
    );
    let (d, _) = conversation(
        80,
        &[
            (true, b"GET /1 HTTP/1.1\r\nHost: a.example\r\n\r\n"),
            (true, b"GET /2 HTTP/1.1\r\nHost: a.example\r\n\r\n"),
            (
                false,
                b"HTTP/1.1 2x0 Mangled\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
            ),
        ],
    );
    let statuses: Vec<Option<u64>> = read(&d).iter().map(|r| r["status"].as_u64()).collect();
    assert_eq!(
        statuses,
        [Some(204), None],
        "the mangled status skipped, the next answers /1"
    );
}
