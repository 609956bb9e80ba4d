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
    fn key(&self) -> &JoinKey {
        &self.id
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
    pending: VecDeque<(i64, DnsMessage)>,
}

fn answer_text(d: &RData) -> Option<String> {
    match d {
        RData::A(a) => Some(a.to_string()),
        RData::Aaaa(a) => Some(a.to_string()),
        RData::Cname(n) => Some(n.clone()),
        RData::Other => None,
    }
}

fn record(
    cx: &Cx<'_>,
    query: Option<(i64, DnsMessage)>,
    response: Option<DnsMessage>,
) -> DnsRecord {
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
    // Names come from the query when there is one, else from the response;
    // they move into the record.
    let asked = match (query, response) {
        (Some((_, q)), _) => Some(q),
        (None, r) => r,
    };
    let trans_id = asked.as_ref().map_or(0, |m| m.id);
    let qtype = asked
        .as_ref()
        .and_then(|m| m.questions.first())
        .map(|q| qtype_name(q.qtype));
    let mut names = asked
        .map(|m| m.questions.into_iter().map(|q| q.name))
        .into_iter()
        .flatten();
    DnsRecord {
        id: cx.key(ts),
        trans_id,
        query: names.next(),
        extra_queries: names.collect(),
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
            self.pending.push_back((cx.ts_ns, m));
            return;
        }
        let same_question = |q: &DnsMessage| {
            q.id == m.id
                && q.questions.first().map(|x| &x.name) == m.questions.first().map(|x| &x.name)
        };
        let query = self
            .pending
            .iter()
            .position(|(_, q)| same_question(q))
            .and_then(|i| self.pending.remove(i));
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
