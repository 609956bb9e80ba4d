//! Observations: the compact, typed view of a record that black boxes match on.
//!
//! The pipeline writes records as JSON or CSV for people; a simulation keeps, for
//! every record, only what a box can select on and what its retention costs: who
//! (the subscriber and the other end), when, what (a name, a call, a mail
//! envelope, an infohash...) and how many bytes the record holds. Observations are
//! built by the workers when a run asks for them ([`crate::pipeline::Config::keep`])
//! and sorted into one time-ordered stream, the same for any thread count.

use crate::decode::Addr;
use crate::dissect::AnyRecord;
use crate::flow::Subscribers;
use crate::record::FlowRecord;

/// One record, reduced to what a black box needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// When it happened (a flow's first packet; an application record's own time), ns.
    pub ts_ns: i64,
    /// The flow it belongs to.
    pub flow_id: u64,
    /// Order among the observations of one flow (the flow itself is 0).
    pub seq: u32,
    /// The monitored subscriber concerned, if either end is one (the originator
    /// when both are).
    pub subscriber: Option<Addr>,
    /// The other end.
    pub peer: Addr,
    /// The other end's port.
    pub peer_port: u16,
    /// IP protocol.
    pub proto: u8,
    /// Bytes of the metadata record as ivraie writes it (JSON): what a box keeping
    /// this record stores.
    pub record_bytes: u32,
    /// What was seen.
    pub what: What,
}

/// The content of an observation, by kind of record.
#[derive(Clone, Debug, PartialEq)]
pub enum What {
    /// A flow (connection data: volumes and duration).
    Flow {
        /// Packets, both directions.
        packets: u64,
        /// Wire bytes, both directions (the content a DPI box takes in).
        bytes: u64,
        /// Seconds between first and last packet.
        duration: f64,
    },
    /// A DNS query.
    Dns {
        /// The name looked up.
        name: Box<str>,
    },
    /// A TLS ClientHello (and the server's answer).
    Tls {
        /// Server Name Indication.
        sni: Option<Box<str>>,
        /// JA3 fingerprint (MD5 hex).
        ja3: Option<Box<str>>,
        /// JA4 fingerprint.
        ja4: Option<Box<str>>,
    },
    /// A QUIC Initial.
    Quic {
        /// Server Name Indication from the decrypted ClientHello.
        sni: Option<Box<str>>,
    },
    /// An HTTP request.
    Http {
        /// Host header.
        host: Option<Box<str>>,
        /// The full URL (`http://host/uri`), when both are known.
        url: Option<Box<str>>,
    },
    /// A SIP call (an INVITE dialog).
    Call {
        /// Caller number or user part.
        caller: Option<Box<str>>,
        /// Callee number or user part.
        callee: Option<Box<str>>,
        /// Answered (2xx).
        answered: bool,
        /// Seconds from answer to hang-up.
        duration: Option<f64>,
    },
    /// An SMTP session.
    Mail {
        /// EHLO/HELO name.
        helo: Option<Box<str>>,
        /// Envelope senders.
        mail_from: Vec<Box<str>>,
        /// Envelope recipients.
        rcpt_to: Vec<Box<str>>,
        /// Messages sent.
        messages: u32,
    },
    /// A BitTorrent handshake, tracker announce or DHT query.
    Torrent {
        /// Infohash, lowercase hex.
        info_hash: Box<str>,
    },
}

impl What {
    /// The record kind's name (`flow`, `dns`, `tls`, `quic`, `http`, `call`,
    /// `mail`, `torrent`).
    pub fn kind(&self) -> &'static str {
        match self {
            What::Flow { .. } => "flow",
            What::Dns { .. } => "dns",
            What::Tls { .. } => "tls",
            What::Quic { .. } => "quic",
            What::Http { .. } => "http",
            What::Call { .. } => "call",
            What::Mail { .. } => "mail",
            What::Torrent { .. } => "torrent",
        }
    }

    /// The host name the record reveals (DNS query, SNI, HTTP Host), if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            What::Dns { name } => Some(name),
            What::Tls { sni, .. } | What::Quic { sni } => sni.as_deref(),
            What::Http { host, .. } => host.as_deref(),
            _ => None,
        }
    }
}

/// The subscriber of a flow and its other end.
fn sides(
    subs: &Subscribers,
    orig: Addr,
    orig_p: u16,
    resp: Addr,
    resp_p: u16,
) -> (Option<Addr>, Addr, u16) {
    if subs.contains(&orig) {
        (Some(orig), resp, resp_p)
    } else if subs.contains(&resp) {
        (Some(resp), orig, orig_p)
    } else {
        (None, resp, resp_p)
    }
}

impl Observation {
    /// The observation of a flow record.
    pub fn of_flow(r: &FlowRecord) -> Observation {
        let (subscriber, peer, peer_port) = match r.subscriber {
            Some(s) if s == r.resp_h && s != r.orig_h => (Some(s), r.orig_h, r.orig_p),
            Some(s) => (Some(s), r.resp_h, r.resp_p),
            None => (None, r.resp_h, r.resp_p),
        };
        let record_bytes = serde_json::to_vec(r).map(|v| v.len() + 1).unwrap_or(0) as u32;
        Observation {
            ts_ns: (r.ts * 1e6).round() as i64 * 1000,
            flow_id: r.flow_id,
            seq: 0,
            subscriber,
            peer,
            peer_port,
            proto: r.proto.0,
            record_bytes,
            what: What::Flow {
                packets: r.orig_pkts + r.resp_pkts,
                bytes: r.orig_bytes + r.resp_bytes,
                duration: r.duration,
            },
        }
    }

    /// The observation of an application record, or `None` for records no box
    /// selects on (e.g. a SIP REGISTER, a DNS answer-only record without a name).
    pub fn of_record(r: &AnyRecord, subs: &Subscribers) -> Option<Observation> {
        let value = match r.protocol {
            "dns" | "tls" | "quic" | "http" | "sip" | "smtp" | "bittorrent" => r.value(),
            _ => return None,
        };
        let j = &value;
        let s = |k: &str| j.get(k).and_then(|v| v.as_str()).map(Box::<str>::from);
        let list = |k: &str| -> Vec<Box<str>> {
            j.get(k)
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|v| v.as_str()).map(Box::from).collect())
                .unwrap_or_default()
        };
        let what = match r.protocol {
            "dns" => What::Dns { name: s("query")? },
            "tls" => What::Tls {
                sni: s("server_name"),
                ja3: s("ja3"),
                ja4: s("ja4"),
            },
            "quic" => What::Quic {
                sni: s("server_name"),
            },
            "http" => {
                let host = s("host");
                let url = match (&host, j.get("uri").and_then(|v| v.as_str())) {
                    (_, Some(u)) if u.starts_with("http://") || u.starts_with("https://") => {
                        Some(Box::from(u))
                    }
                    (Some(h), Some(u)) => Some(format!("http://{h}{u}").into()),
                    _ => None,
                };
                What::Http { host, url }
            }
            "sip" => {
                if j.get("method").and_then(|v| v.as_str()) != Some("INVITE") {
                    return None;
                }
                What::Call {
                    caller: s("caller"),
                    callee: s("callee"),
                    answered: j.get("answered").and_then(|v| v.as_bool()).unwrap_or(false),
                    duration: j.get("duration").and_then(|v| v.as_f64()),
                }
            }
            "smtp" => What::Mail {
                helo: s("helo"),
                mail_from: list("mail_from"),
                rcpt_to: list("rcpt_to"),
                messages: j.get("messages").and_then(|v| v.as_u64()).unwrap_or(0) as u32,
            },
            "bittorrent" => What::Torrent {
                info_hash: s("info_hash")?,
            },
            _ => return None,
        };
        let e = &r.ends;
        let (subscriber, peer, peer_port) = sides(subs, e.orig_h, e.orig_p, e.resp_h, e.resp_p);
        let mut line = Vec::new();
        r.write_json(&mut line);
        let record_bytes = (line.len() + 1) as u32;
        Some(Observation {
            ts_ns: r.ts_ns,
            flow_id: r.flow_id,
            seq: r.seq + 1,
            subscriber,
            peer,
            peer_port,
            proto: e.proto,
            record_bytes,
            what,
        })
    }

    /// The order of the stream: time, then flow, then position in the flow.
    pub fn sort_key(&self) -> (i64, u64, u32) {
        (self.ts_ns, self.flow_id, self.seq)
    }
}
