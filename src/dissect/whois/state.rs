//! Per-flow WHOIS state: one [`WhoisRecord`] per connection, emitted when the
//! connection ends (the server closes it after the answer, RFC 3912 §2).

use serde::Serialize;

use super::parser::{Field, answer_field, is_text, parse_line, query_domain};
use crate::decode::ipproto;
use crate::dissect::{
    Cx, Direction, Dissector, JoinKey, Parsed, Probe, ProbeCtx, Progress, Record, Session,
};
use crate::flow::FlowEnds;
use crate::record::facet::Facets;

/// The WHOIS port (RFC 3912 §2).
pub const PORT: u16 = 43;
/// Bytes of an answer read for its fields; the rest is only counted.
pub const MAX_ANSWER_READ: u64 = 64 * 1024;
/// Longest value kept (query, domain, referral), in bytes.
const MAX_VALUE: usize = 255;

/// One WHOIS lookup.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WhoisRecord {
    /// Join key; `ts` is the query's time (the answer's, without a query).
    #[serde(flatten)]
    pub id: JoinKey,
    /// The query line, as sent (at most 255 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The domain the answer is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The server the answer refers to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referral: Option<String>,
    /// Bytes of answer, up to its last line end.
    pub answer_bytes: u64,
}

impl Record for WhoisRecord {
    fn protocol(&self) -> &'static str {
        "whois"
    }
    fn key(&self) -> &JoinKey {
        &self.id
    }

    fn facets(&self, f: &mut Facets) -> bool {
        let asked = self.query.as_deref().and_then(query_domain);
        let answered = self.domain.as_deref().map(str::to_lowercase);
        f.domain(asked.as_deref());
        if answered != asked {
            f.domain(answered.as_deref());
        }
        true
    }
}

/// The WHOIS dissector.
pub struct Whois;

/// The registry's instance.
pub static WHOIS: Whois = Whois;

/// Whether the originator is the server (a capture that began with the answer).
fn server_is_orig(orig_p: u16, resp_p: u16) -> bool {
    orig_p == PORT && resp_p != PORT
}

impl Dissector for Whois {
    fn name(&self) -> &'static str {
        "whois"
    }

    fn columns(&self) -> &'static [&'static str] {
        &[
            "ts",
            "flow_id",
            "orig_h",
            "orig_p",
            "resp_h",
            "resp_p",
            "proto",
            "query",
            "domain",
            "referral",
            "answer_bytes",
        ]
    }

    fn probe(&self, ctx: &ProbeCtx, dir: Direction, data: &[u8]) -> Probe {
        if ctx.proto != ipproto::TCP || !ctx.port(PORT) {
            return Probe::No;
        }
        let head = &data[..data.len().min(64)];
        if !is_text(head) {
            return Probe::No;
        }
        let from_client = (dir == Direction::ToResponder) != server_is_orig(ctx.orig_p, ctx.resp_p);
        match parse_line(data) {
            Parsed::Done { .. } => Probe::Yes,
            Parsed::Incomplete { .. } if !from_client && data.len() >= 16 => Probe::Yes,
            Parsed::Incomplete { .. } => Probe::NeedMore,
            Parsed::Invalid(_) => Probe::No,
        }
    }

    fn start(&self) -> Box<dyn Session> {
        Box::<WhoisSession>::default()
    }
}

#[derive(Default)]
struct WhoisSession {
    first_ns: Option<i64>,
    query_done: bool,
    query: Option<String>,
    domain: Option<String>,
    referral: Option<String>,
    answer_bytes: u64,
    emitted: bool,
}

/// A value a record keeps: at most the cap, cut on a character boundary.
fn kept(bytes: &[u8]) -> String {
    crate::dissect::capped_text(bytes, MAX_VALUE)
}

impl WhoisSession {
    fn client(&mut self, cx: &mut Cx<'_>, data: &[u8]) -> Progress {
        if self.query_done {
            // One query per connection: anything after it is not read.
            return Progress::Consumed(data.len() as u64);
        }
        match parse_line(data) {
            Parsed::Done { value, .. } => {
                self.query_done = true;
                self.query = Some(kept(value));
                Progress::Consumed(data.len() as u64)
            }
            Parsed::Incomplete { .. } => Progress::Consumed(0),
            Parsed::Invalid(a) => {
                cx.anomaly(a);
                self.query_done = true;
                Progress::Consumed(data.len() as u64)
            }
        }
    }

    fn server(&mut self, cx: &mut Cx<'_>, data: &[u8]) -> Progress {
        let mut used = 0;
        while used < data.len() {
            if self.answer_bytes + used as u64 >= MAX_ANSWER_READ {
                used = data.len();
                break;
            }
            match parse_line(&data[used..]) {
                Parsed::Done { value, consumed } => {
                    used += consumed;
                    let Ok(line) = std::str::from_utf8(value) else {
                        continue;
                    };
                    match answer_field(line) {
                        Some(Field::Domain(d)) if self.domain.is_none() => {
                            self.domain = Some(kept(d.as_bytes()))
                        }
                        Some(Field::Referral(r)) if self.referral.is_none() => {
                            self.referral = Some(kept(r.as_bytes()))
                        }
                        _ => {}
                    }
                }
                Parsed::Incomplete { .. } => break,
                Parsed::Invalid(a) => {
                    cx.anomaly(a);
                    // Skip the long line: up to its end, or all that is here.
                    used += data[used..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(data.len() - used, |e| e + 1);
                }
            }
        }
        self.answer_bytes += used as u64;
        Progress::Consumed(used as u64)
    }
}

impl Session for WhoisSession {
    fn feed(&mut self, cx: &mut Cx<'_>, dir: Direction, data: &[u8]) -> Progress {
        self.first_ns.get_or_insert(cx.ts_ns);
        let FlowEnds { orig_p, resp_p, .. } = cx.ends;
        let from_client = (dir == Direction::ToResponder) != server_is_orig(orig_p, resp_p);
        if from_client {
            self.client(cx, data)
        } else {
            self.server(cx, data)
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        if self.emitted || (self.query.is_none() && self.answer_bytes == 0) {
            return;
        }
        self.emitted = true;
        cx.emit(WhoisRecord {
            id: cx.key(self.first_ns.unwrap_or(cx.ts_ns)),
            query: self.query.take(),
            domain: self.domain.take(),
            referral: self.referral.take(),
            answer_bytes: self.answer_bytes,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::decode::Addr;
    use crate::dissect::AnyRecord;
    use crate::record::facet::Facet;

    fn ends(orig_p: u16, resp_p: u16) -> FlowEnds {
        FlowEnds {
            flow_id: 1,
            orig_h: Addr::from("10.0.2.15".parse::<std::net::IpAddr>().unwrap()),
            orig_p,
            resp_h: Addr::from("192.0.47.59".parse::<std::net::IpAddr>().unwrap()),
            resp_p,
            proto: ipproto::TCP,
        }
    }

    /// Feeds `(from_orig, bytes)` in order, as the engine would (unconsumed
    /// bytes kept per direction), and finishes.
    fn run(e: FlowEnds, parts: &[(bool, &[u8])]) -> (Vec<AnyRecord>, BTreeMap<&'static str, u64>) {
        let (mut records, mut anomalies) = (Vec::new(), BTreeMap::new());
        let mut s = WhoisSession::default();
        let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        for (i, (from_orig, bytes)) in parts.iter().enumerate() {
            let side = usize::from(!from_orig);
            pending[side].extend_from_slice(bytes);
            let mut cx = Cx::new(e, 1_000 + i as i64, &mut records, &mut anomalies);
            let dir = Direction::from_orig(*from_orig);
            if let Progress::Consumed(n) = s.feed(&mut cx, dir, &pending[side]) {
                let n = (n as usize).min(pending[side].len());
                pending[side].drain(..n);
            }
        }
        s.finish(&mut Cx::new(e, 9_999, &mut records, &mut anomalies));
        (records, anomalies)
    }

    fn facets(r: &AnyRecord) -> Vec<Facet> {
        let mut f = Facets::default();
        assert!(r.facets(&mut f));
        f.0
    }

    #[test]
    fn a_query_split_across_segments_and_its_answer_make_one_record() {
        // The exchange of tcpdump's whois.pcap (frames 4, 6 and 8), the
        // query cut in two here.
        let answer = b"% IANA WHOIS server\n\ndomain:       EXAMPLE.COM\n\norganisation: Internet Assigned Numbers Authority\n";
        let (recs, anomalies) = run(
            ends(44188, 43),
            &[
                (true, b"exam"),
                (true, b"ple.com\r\n"),
                (false, answer),
                (false, b"\n"),
            ],
        );
        assert!(anomalies.is_empty());
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].ts_ns, 1_000, "the query's first segment");
        let v = recs[0].value();
        assert_eq!(v["query"], "example.com");
        assert_eq!(v["domain"], "EXAMPLE.COM");
        assert_eq!(v.get("referral"), None);
        assert_eq!(v["answer_bytes"], answer.len() as u64 + 1);
        assert_eq!(
            facets(&recs[0]),
            vec![Facet::Domain("example.com".into())],
            "one domain, not two"
        );
    }

    #[test]
    fn an_answer_alone_from_the_originator_is_still_an_answer() {
        // ndpi/whois.pcapng, stream 2: the capture begins with the server's answer.
        let answer = b"   Domain Name: CYBERPATROLBD.COM\r\n   Registrar WHOIS Server: whois.PublicDomainRegistry.com\r\n";
        let (recs, _) = run(ends(43, 53217), &[(true, answer)]);
        let v = recs[0].value();
        assert_eq!(v.get("query"), None);
        assert_eq!(v["domain"], "CYBERPATROLBD.COM");
        assert_eq!(v["referral"], "whois.PublicDomainRegistry.com");
        assert_eq!(
            facets(&recs[0]),
            vec![Facet::Domain("cyberpatrolbd.com".into())]
        );
    }

    #[test]
    fn an_overlong_query_is_an_anomaly_and_an_empty_flow_no_record() {
        let long = vec![b'a'; 2000];
        let (recs, anomalies) = run(ends(5000, 43), &[(true, &long)]);
        assert!(recs.is_empty());
        assert_eq!(anomalies.get("whois.line_too_long"), Some(&1));
        assert!(run(ends(5000, 43), &[]).0.is_empty());
    }

    #[test]
    fn probing_wants_port_43_and_text() {
        let ctx = |orig_p, resp_p| ProbeCtx {
            proto: ipproto::TCP,
            orig_p,
            resp_p,
        };
        let to = Direction::ToResponder;
        assert_eq!(
            WHOIS.probe(&ctx(44188, 43), to, b"example.com\r\n"),
            Probe::Yes
        );
        assert_eq!(
            WHOIS.probe(&ctx(44188, 43), to, b"example"),
            Probe::NeedMore
        );
        assert_eq!(
            WHOIS.probe(&ctx(44188, 80), to, b"example.com\r\n"),
            Probe::No
        );
        assert_eq!(
            WHOIS.probe(&ctx(44188, 43), to, b"\x16\x03\x01\x02\x00"),
            Probe::No
        );
        assert_eq!(
            WHOIS.probe(&ctx(43, 53217), to, b"   Domain Name: CYBERPATROL"),
            Probe::Yes,
            "an answer without its line end yet"
        );
    }
}
