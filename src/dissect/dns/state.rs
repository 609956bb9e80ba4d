//! Per-flow DNS state: queries matched with responses by transaction id, one
//! [`DnsRecord`] per transaction — the name a person looked up.
//!
//! DNS is claimed on its ports (53, and 5353 mDNS / 5355 LLMNR, which use the
//! same format) when the first message parses; on other UDP ports (DNSCrypt
//! certificate queries on 443, resolvers on odd ports) only when it is plainly
//! DNS: a standard query or response with exactly one IN question, read
//! without any anomaly. Up to
//! [`MAX_PENDING`] queries wait for their answer; an unanswered query is written
//! when it is pushed out or the flow ends, an unsolicited response on its own.

use std::borrow::Cow;
use std::collections::VecDeque;

use serde::Serialize;

use super::parser::{
    DnsMessage, RData, claims, parse_message, parse_tcp_message, qtype_name, rcode_name, tcp_frame,
};
use crate::decode::ipproto;
use crate::dissect::{
    Cx, Direction, Dissector, JoinKey, Parsed, Probe, ProbeCtx, Progress, Record, Session,
};
use crate::record::facet::Facets;
use crate::record::secs;

/// Most queries waiting for a response in one flow.
pub const MAX_PENDING: usize = 256;
/// Ports DNS is recognised on: DNS, mDNS (RFC 6762), LLMNR (RFC 4795).
pub const PORTS: [u16; 3] = [53, 5353, 5355];

/// One DNS transaction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DnsRecord {
    /// Join key; `ts` is the query's time (the response's if no query was seen).
    #[serde(flatten)]
    pub id: JoinKey,
    /// Transaction id.
    pub trans_id: u16,
    /// The (first) name looked up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Further names in the same message (mDNS asks several at once).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_queries: Vec<String>,
    /// Query type of the first question (`A`, `AAAA`, `HTTPS`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qtype: Option<Cow<'static, str>>,
    /// Response code (`NOERROR`, `NXDOMAIN`...), if a response was seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcode: Option<Cow<'static, str>>,
    /// Answer data: addresses for A/AAAA, names for CNAME.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<String>,
    /// TTL of each answer, seconds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ttls: Vec<u32>,
    /// Seconds from query to response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt: Option<f64>,
}

impl Record for DnsRecord {
    fn protocol(&self) -> &'static str {
        "dns"
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = crate::record::JsonObject::new(out);
        self.id.write_fields(&mut o);
        o.uint("trans_id", self.trans_id.into())
            .opt_str("query", self.query.as_deref())
            .strs("extra_queries", &self.extra_queries)
            .opt_str("qtype", self.qtype.as_deref())
            .opt_str("rcode", self.rcode.as_deref())
            .strs("answers", &self.answers)
            .uints("ttls", &self.ttls)
            .opt_num("rtt", self.rtt)
            .end();
    }
    fn key(&self) -> &JoinKey {
        &self.id
    }

    fn facets(&self, f: &mut Facets) -> bool {
        // A record without its query (an answer whose query was not seen)
        // names nothing a box selects on.
        f.host(self.query.as_deref());
        self.query.is_some()
    }
}

/// The DNS dissector.
pub struct Dns;

/// The registry's instance.
pub static DNS: Dns = Dns;

impl Dissector for Dns {
    fn name(&self) -> &'static str {
        "dns"
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
            "trans_id",
            "query",
            "extra_queries",
            "qtype",
            "rcode",
            "answers",
            "ttls",
            "rtt",
        ]
    }

    fn probe(&self, ctx: &ProbeCtx, _dir: Direction, data: &[u8]) -> Probe {
        if !PORTS.iter().any(|p| ctx.port(*p)) {
            const IN: u16 = 1;
            // NetBIOS name service (137) has DNS's format but is not DNS.
            const NBNS: u16 = 137;
            let plainly_dns = ctx.proto == ipproto::UDP
                && !ctx.port(NBNS)
                && matches!(parse_message(data), Parsed::Done { value, .. }
                    if value.anomaly.is_none()
                        && value.opcode == 0
                        && value.questions.len() == 1
                        && value.questions[0].qclass == IN
                        && !value.questions[0].name.is_empty());
            return if plainly_dns { Probe::Yes } else { Probe::No };
        }
        // On its ports a flow is DNS when its first message parses with a
        // question or as a response: `claims` says so without decoding names
        // (under a flood of queries every flow is probed once).
        let msg = match ctx.proto {
            ipproto::TCP => match tcp_frame(data) {
                Parsed::Done { value, .. } => value,
                Parsed::Incomplete { .. } => return Probe::NeedMore,
                Parsed::Invalid(_) => return Probe::No,
            },
            ipproto::UDP => data,
            _ => return Probe::No,
        };
        if claims(msg) { Probe::Yes } else { Probe::No }
    }

    fn start(&self) -> Box<dyn Session> {
        Box::<DnsSession>::default()
    }
}

#[derive(Default)]
struct DnsSession {
    pending: Pending,
}

/// A query waiting for its response, with when it was seen.
type Query = (i64, Asked);

/// The queries of a flow waiting for their responses, oldest first.
///
/// Most flows ask one question at a time: that query lives in the session
/// itself, and a queue is allocated only for the ones behind it. Under a
/// flood of one-query flows this saves an allocation a flow, and a cache miss
/// when the flow's cold state is read back at its end.
#[derive(Default)]
struct Pending {
    /// The oldest; `None` only when `rest` is empty too.
    first: Option<Query>,
    rest: VecDeque<Query>,
}

impl Pending {
    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    fn push_back(&mut self, q: Query) {
        match self.first {
            None => self.first = Some(q),
            Some(_) => self.rest.push_back(q),
        }
    }

    fn pop_front(&mut self) -> Option<Query> {
        let q = self.first.take()?;
        self.first = self.rest.pop_front();
        Some(q)
    }

    /// Takes out the oldest query `is_it` picks.
    fn take(&mut self, is_it: impl Fn(&Asked) -> bool) -> Option<Query> {
        if self.first.as_ref().is_some_and(|(_, q)| is_it(q)) {
            return self.pop_front();
        }
        let i = self.rest.iter().position(|(_, q)| is_it(q))?;
        self.rest.remove(i)
    }
}

fn answer_text(d: &RData) -> Option<String> {
    match d {
        RData::A(a) => {
            // Without `core::fmt`: most answers are IPv4 addresses.
            let mut buf = [0u8; 15];
            let addr = crate::decode::Addr::from(std::net::IpAddr::V4(*a));
            addr.v4_text(&mut buf).map(str::to_owned)
        }
        RData::Aaaa(a) => Some(a.to_string()),
        RData::Cname(n) => Some(n.clone()),
        RData::Other => None,
    }
}

/// What a record keeps of the message that asked (the query, or the response
/// when no query was seen): the names move out of it, the rest is dropped.
/// A query waits for its response in this form, so that a flow's pending
/// state is its session and its names, with no list of questions to read
/// back cold when the flow ends.
struct Asked {
    id: u16,
    /// Query type of the first question.
    qtype: Option<u16>,
    /// The first question's name.
    name: Option<String>,
    /// The other questions' names (none for nearly every message).
    extra: Vec<String>,
}

impl Asked {
    fn of(m: DnsMessage) -> Asked {
        let qtype = m.questions.first().map(|q| q.qtype);
        let more = m.questions.len() > 1;
        let mut names = m.questions.into_iter().map(|q| q.name);
        let name = names.next();
        // Collected only when there are more: collecting an empty rest would
        // keep (and shrink, by a realloc) the questions' buffer, where
        // dropping it is one free.
        let extra = if more { names.collect() } else { Vec::new() };
        Asked {
            id: m.id,
            qtype,
            name,
            extra,
        }
    }
}

/// The record of a query seen at `ts` (if any) and of its response (if any).
fn record(cx: &Cx<'_>, query: Option<(i64, Asked)>, response: Option<DnsMessage>) -> DnsRecord {
    let ts = query.as_ref().map_or(cx.ts_ns, |(t, _)| *t);
    let rtt = query
        .as_ref()
        .filter(|_| response.is_some())
        .map(|(t, _)| secs(cx.ts_ns - t));
    let (answers, ttls) = response.as_ref().map_or((Vec::new(), Vec::new()), |r| {
        r.answers
            .iter()
            .filter_map(|a| answer_text(&a.data).map(|t| (t, a.ttl)))
            .unzip()
    });
    let rcode = response.as_ref().map(|r| rcode_name(r.rcode));
    // Names come from the query when there is one, else from the response.
    let asked = match (query, response) {
        (Some((_, q)), _) => Some(q),
        (None, r) => r.map(Asked::of),
    };
    let (trans_id, qtype, query, extra_queries) = match asked {
        Some(a) => (a.id, a.qtype.map(qtype_name), a.name, a.extra),
        None => (0, None, None, Vec::new()),
    };
    DnsRecord {
        id: cx.key(ts),
        trans_id,
        query,
        extra_queries,
        qtype,
        rcode,
        answers,
        ttls,
        rtt,
    }
}

impl DnsSession {
    fn on_message(&mut self, cx: &mut Cx<'_>, m: DnsMessage) {
        if let Some(a) = m.anomaly {
            cx.anomaly(a);
        }
        if !m.is_response {
            if self.pending.len() >= MAX_PENDING {
                let old = self.pending.pop_front();
                let r = record(cx, old, None);
                cx.emit(r);
            }
            self.pending.push_back((cx.ts_ns, Asked::of(m)));
            return;
        }
        let same_question =
            |q: &Asked| q.id == m.id && q.name.as_ref() == m.questions.first().map(|x| &x.name);
        let query = self.pending.take(same_question);
        let r = record(cx, query, Some(m));
        cx.emit(r);
    }
}

impl Session for DnsSession {
    fn feed(&mut self, cx: &mut Cx<'_>, _dir: Direction, data: &[u8]) -> Progress {
        if cx.ends.proto != ipproto::TCP {
            match parse_message(data) {
                Parsed::Done { value, .. } => self.on_message(cx, value),
                Parsed::Invalid(a) => cx.anomaly(a),
                Parsed::Incomplete { .. } => cx.anomaly("dns.truncated"),
            }
            return Progress::Consumed(data.len() as u64);
        }
        let mut used = 0;
        loop {
            match parse_tcp_message(&data[used..]) {
                Parsed::Done { value, consumed } => {
                    used += consumed.max(1);
                    self.on_message(cx, value);
                }
                Parsed::Incomplete { .. } => return Progress::Consumed(used as u64),
                Parsed::Invalid(a) => {
                    cx.anomaly(a);
                    return Progress::Done;
                }
            }
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        while let Some(q) = self.pending.pop_front() {
            let r = record(cx, Some(q), None);
            cx.emit(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    #[test]
    fn the_hand_written_json_is_serdes() {
        use crate::dissect::json_cases::{STRINGS, assert_as_serde, keys};
        let s = |k: usize| STRINGS[k % STRINGS.len()].to_string();
        let mut n = 0;
        for (k, id) in keys().into_iter().enumerate() {
            let r = super::DnsRecord {
                id,
                trans_id: (k * 4099) as u16,
                query: (k % 4 != 0).then(|| s(k)),
                extra_queries: (0..k % 3).map(|i| s(k + i)).collect(),
                qtype: (k % 3 != 0).then_some(std::borrow::Cow::Borrowed("HTTPS")),
                rcode: (k % 2 == 0).then(|| std::borrow::Cow::Owned(s(k + 1))),
                answers: (0..k % 4).map(|i| s(k * 2 + i)).collect(),
                ttls: (0..k % 4)
                    .map(|i| (i as u32).wrapping_mul(0x9E37_79B9) >> (k % 7))
                    .collect(),
                rtt: [None, Some(0.000_123), Some(2.5), Some(f64::NAN)][k % 4],
            };
            assert_as_serde(&r);
            n += 1;
        }
        assert_eq!(n, 30);
    }

    use crate::decode::{Addr, ipproto};
    use crate::dissect::engine::{Collect, FlowApp};
    use crate::flow::FlowEnds;

    /// A query for `name` or, with `response`, its answer: the generator's
    /// DNS message.
    fn message(id: u16, name: &str, response: bool) -> Vec<u8> {
        let mut m = Vec::new();
        crate::generate::msg::dns(&mut m, id, name, response.then_some(([192, 0, 2, 1], 60)));
        m
    }

    /// A UDP flow from a subscriber to a resolver.
    fn udp_flow(flow_id: u64) -> FlowEnds {
        FlowEnds {
            flow_id,
            orig_h: Addr::v4(Ipv4Addr::new(10, 0, 0, 1)),
            orig_p: 40_000,
            resp_h: Addr::v4(Ipv4Addr::new(192, 0, 2, 53)),
            resp_p: 53,
            proto: ipproto::UDP,
        }
    }

    /// Queries wait in order; a response takes its own query from the middle
    /// of the queue; the flow's end writes the unanswered ones, oldest first.
    #[test]
    fn responses_take_their_query_and_the_rest_end_in_order() {
        let ends = udp_flow(7);
        let mut app = FlowApp::default();
        let mut out = Collect::default();
        let names = ["one.example", "two.example", "three.example"];
        for (k, name) in names.iter().enumerate() {
            let q = message(k as u16 + 1, name, false);
            app.on_packet(ends, true, 1_000 * k as i64, None, &q, &mut out);
        }
        assert!(out.records.is_empty(), "queries wait for their answer");
        let answer = message(2, "two.example", true);
        app.on_packet(ends, false, 5_000, None, &answer, &mut out);
        // The first query again: a second response to it, not waiting any more.
        let again = message(1, "one.example", false);
        app.on_packet(ends, true, 6_000, None, &again, &mut out);
        app.finish(ends, 9_000, &mut out);
        let got: Vec<(u64, String, bool)> = out
            .records
            .iter()
            .map(|r| {
                let v = r.value();
                (
                    v["trans_id"].as_u64().unwrap(),
                    v["query"].as_str().unwrap().to_owned(),
                    v.get("rtt").is_some(),
                )
            })
            .collect();
        let want = [
            (2, "two.example", true),
            (1, "one.example", false),
            (3, "three.example", false),
            (1, "one.example", false),
        ];
        let want: Vec<(u64, String, bool)> = want
            .iter()
            .map(|&(id, n, rtt)| (id, n.to_owned(), rtt))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_full_queue_writes_out_its_oldest_query() {
        let ends = udp_flow(8);
        let mut app = FlowApp::default();
        let mut out = Collect::default();
        for id in 0..=super::MAX_PENDING as u16 + 1 {
            let q = message(id, "flood.example", false);
            app.on_packet(ends, true, i64::from(id), None, &q, &mut out);
        }
        let ids: Vec<u64> = out
            .records
            .iter()
            .map(|r| r.value()["trans_id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, [0, 1], "the two oldest make room");
    }
}
