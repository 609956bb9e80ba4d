//! Per-flow STARTTLS preamble state: one [`StarttlsRecord`] per connection,
//! emitted when the server accepts TLS (then the stream is handed to the TLS
//! dissector) or when the connection ends.

use serde::Serialize;

use super::parser::{
    ClientLine, LdapMessage, PgStart, Proto, accepts, anomaly, cap, client_line, contains,
    ldap_message, parse_line, pg_start,
};
use crate::decode::ipproto;
use crate::dissect::{
    Cx, Direction, Dissector, JoinKey, Parsed, Probe, ProbeCtx, Progress, Record, Session,
};
use crate::record::facet::Facets;

/// The clear-text start of a connection that may switch to TLS.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StarttlsRecord {
    /// Join key; `ts` is the connection's first payload.
    #[serde(flatten)]
    pub id: JoinKey,
    /// `imap`, `pop3`, `ftp`, `xmpp`, `ldap` or `postgresql`.
    pub protocol: &'static str,
    /// A user name sent in the clear before TLS (at most 255 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Whether the server accepted TLS (the TLS records follow on the flow).
    pub tls: bool,
}

impl Record for StarttlsRecord {
    fn protocol(&self) -> &'static str {
        "starttls"
    }
    fn key(&self) -> &JoinKey {
        &self.id
    }
    fn facets(&self, _: &mut Facets) -> bool {
        // It names no host: the TLS records after it do.
        false
    }
}

/// The STARTTLS preambles' dissector.
pub struct Starttls;

/// The registry's instance.
pub static STARTTLS: Starttls = Starttls;

/// The preamble's protocol, and whether the originator is the server (a
/// capture that began after the connection did).
fn which(orig_p: u16, resp_p: u16) -> Option<(Proto, bool)> {
    match (Proto::of_port(resp_p), Proto::of_port(orig_p)) {
        (Some(p), _) => Some((p, false)),
        (None, Some(p)) => Some((p, true)),
        _ => None,
    }
}

fn starts(data: &[u8], prefixes: &[&[u8]]) -> bool {
    prefixes
        .iter()
        .any(|p| data.len() >= p.len() && data[..p.len()].eq_ignore_ascii_case(p))
}

impl Dissector for Starttls {
    fn name(&self) -> &'static str {
        "starttls"
    }

    fn columns(&self) -> &'static [&'static str] {
        &[
            "ts", "flow_id", "orig_h", "orig_p", "resp_h", "resp_p", "proto", "protocol", "user",
            "tls",
        ]
    }

    fn probe(&self, ctx: &ProbeCtx, dir: Direction, data: &[u8]) -> Probe {
        if ctx.proto != ipproto::TCP {
            return Probe::No;
        }
        let Some((p, server_is_orig)) = which(ctx.orig_p, ctx.resp_p) else {
            return Probe::No;
        };
        let from_client = (dir == Direction::ToResponder) != server_is_orig;
        if data.len() < 4 && p != Proto::Ldap {
            return Probe::NeedMore;
        }
        let yes = |b: bool| if b { Probe::Yes } else { Probe::No };
        match (p, from_client) {
            (Proto::Imap, false) => yes(starts(data, &[b"* OK", b"* PREAUTH", b"* BYE"])),
            (Proto::Imap, true) => yes(matches!(
                parse_line(data),
                Parsed::Done { value, .. } if value.split(|&b| b == b' ').count() >= 2
                    && crate::dissect::is_text(value)
            )),
            (Proto::Pop3, false) => yes(starts(data, &[b"+OK", b"-ERR"])),
            (Proto::Pop3, true) => yes(starts(
                data,
                &[b"CAPA", b"USER ", b"STLS", b"AUTH", b"APOP "],
            )),
            (Proto::Ftp, false) => yes(starts(data, &[b"220", b"120", b"421"])),
            (Proto::Ftp, true) => yes(starts(data, &[b"AUTH ", b"USER ", b"FEAT", b"SYST"])),
            (Proto::Xmpp, _) => yes(starts(data, &[b"<?xml", b"<stream:stream"])),
            (Proto::Ldap, true) => match ldap_message(data) {
                Parsed::Done { .. } => Probe::Yes,
                Parsed::Incomplete { .. } if data.len() < 4096 => Probe::NeedMore,
                _ => Probe::No,
            },
            (Proto::Postgres, true) => match pg_start(data) {
                Parsed::Done { .. } => Probe::Yes,
                Parsed::Incomplete { .. } => Probe::NeedMore,
                Parsed::Invalid(_) => Probe::No,
            },
            (Proto::Ldap | Proto::Postgres, false) => Probe::No,
        }
    }

    fn start(&self) -> Box<dyn Session> {
        Box::<StarttlsSession>::default()
    }
}

#[derive(Default)]
struct StarttlsSession {
    first_ns: Option<i64>,
    proto: Option<Proto>,
    user: Option<String>,
    /// The client asked for TLS (IMAP: with this tag).
    asked: Option<Vec<u8>>,
    /// PostgreSQL: the client's first message was read.
    pg_started: bool,
    /// A side whose stream could not be read further.
    stopped: [bool; 2],
    emitted: bool,
}

/// A value a record keeps: at most the cap, cut on a character boundary.
fn kept(bytes: &[u8]) -> String {
    crate::dissect::capped_text(bytes, cap::MAX_VALUE)
}

impl StarttlsSession {
    fn emit(&mut self, cx: &mut Cx<'_>, tls: bool) {
        if self.emitted {
            return;
        }
        let Some(p) = self.proto else { return };
        self.emitted = true;
        cx.emit(StarttlsRecord {
            id: cx.key(self.first_ns.unwrap_or(cx.ts_ns)),
            protocol: p.name(),
            user: self.user.take(),
            tls,
        });
    }

    fn client(&mut self, cx: &mut Cx<'_>, p: Proto, data: &[u8]) -> Progress {
        let mut used = 0;
        match p {
            Proto::Xmpp => {
                if contains(data, b"<starttls") {
                    self.asked = Some(Vec::new());
                }
                // Keep a tail in case a tag is cut between two segments.
                return Progress::Consumed(data.len().saturating_sub(16) as u64);
            }
            Proto::Ldap => loop {
                match ldap_message(&data[used..]) {
                    Parsed::Done { value, consumed } => {
                        used += consumed;
                        match value {
                            LdapMessage::Bind(name) if !name.is_empty() => {
                                self.user = Some(kept(name))
                            }
                            LdapMessage::StartTls => self.asked = Some(Vec::new()),
                            _ => {}
                        }
                    }
                    Parsed::Incomplete { .. } => return Progress::Consumed(used as u64),
                    Parsed::Invalid(a) => {
                        cx.anomaly(a);
                        return self.stop(0, data);
                    }
                }
            },
            Proto::Postgres => {
                if self.pg_started && self.asked.is_none() {
                    // The regular protocol after the startup: not read.
                    return Progress::Consumed(data.len() as u64);
                }
                match pg_start(data) {
                    Parsed::Done { value, consumed } => {
                        self.pg_started = true;
                        match value {
                            PgStart::SslRequest => self.asked = Some(Vec::new()),
                            PgStart::Startup(user) => {
                                self.user = user.map(kept);
                                self.asked = None;
                            }
                        }
                        Progress::Consumed(consumed as u64)
                    }
                    Parsed::Incomplete { .. } => Progress::Consumed(0),
                    Parsed::Invalid(a) => {
                        cx.anomaly(a);
                        self.stop(0, data)
                    }
                }
            }
            _ => loop {
                match parse_line(&data[used..]) {
                    Parsed::Done { value, consumed } => {
                        used += consumed;
                        match client_line(p, value) {
                            ClientLine::StartTls(tag) => self.asked = Some(tag.to_vec()),
                            ClientLine::User(u) if self.user.is_none() => self.user = Some(kept(u)),
                            _ => {}
                        }
                    }
                    Parsed::Incomplete { .. } => return Progress::Consumed(used as u64),
                    Parsed::Invalid(a) => {
                        cx.anomaly(a);
                        return self.stop(0, data);
                    }
                }
            },
        }
    }

    fn server(&mut self, cx: &mut Cx<'_>, p: Proto, data: &[u8]) -> Progress {
        let Some(tag) = self.asked.clone() else {
            // Nothing asked: what the server says is not read (but a text
            // protocol's lines are kept whole, for the answer to come).
            return match p {
                Proto::Xmpp => Progress::Consumed(data.len().saturating_sub(16) as u64),
                p if p.is_text() => Progress::Consumed(last_line_end(data) as u64),
                _ => Progress::Consumed(data.len() as u64),
            };
        };
        let mut used = 0;
        let verdict = match p {
            Proto::Xmpp => {
                let at = |needle: &[u8]| {
                    data.windows(needle.len())
                        .position(|w| w.eq_ignore_ascii_case(needle))
                };
                match (at(b"<proceed"), at(b"<failure")) {
                    (Some(i), _) => match data[i..].iter().position(|&b| b == b'>') {
                        Some(e) => {
                            used = i + e + 1;
                            Some(true)
                        }
                        None => return Progress::Consumed(i as u64),
                    },
                    (None, Some(_)) => {
                        used = data.len();
                        Some(false)
                    }
                    (None, None) => {
                        return Progress::Consumed(data.len().saturating_sub(16) as u64);
                    }
                }
            }
            Proto::Postgres => match data.first() {
                Some(b'S') => {
                    used = 1;
                    Some(true)
                }
                Some(_) => {
                    used = 1;
                    Some(false)
                }
                None => None,
            },
            Proto::Ldap => loop {
                match ldap_message(&data[used..]) {
                    Parsed::Done { value, consumed } => {
                        used += consumed;
                        if let LdapMessage::ExtendedResponse(code) = value {
                            break Some(code == 0);
                        }
                    }
                    Parsed::Incomplete { .. } => break None,
                    Parsed::Invalid(a) => {
                        cx.anomaly(a);
                        return self.stop(1, data);
                    }
                }
            },
            _ => loop {
                match parse_line(&data[used..]) {
                    Parsed::Done { value, consumed } => {
                        used += consumed;
                        if let Some(ok) = accepts(p, &tag, value) {
                            break Some(ok);
                        }
                    }
                    Parsed::Incomplete { .. } => break None,
                    Parsed::Invalid(a) => {
                        cx.anomaly(a);
                        return self.stop(1, data);
                    }
                }
            },
        };
        match verdict {
            Some(true) => {
                self.emit(cx, true);
                Progress::Handover(used as u64, "tls")
            }
            Some(false) => {
                cx.anomaly(anomaly::REFUSED);
                self.asked = None;
                // PostgreSQL: the startup follows in the clear.
                self.pg_started = false;
                Progress::Consumed(used as u64)
            }
            None => Progress::Consumed(used as u64),
        }
    }

    /// Stops reading one side; once both are stopped, the session is done.
    fn stop(&mut self, side: usize, data: &[u8]) -> Progress {
        self.stopped[side] = true;
        if self.stopped.iter().all(|&s| s) {
            Progress::Done
        } else {
            Progress::Consumed(data.len() as u64)
        }
    }
}

/// Bytes up to and including the last line end in `data`.
fn last_line_end(data: &[u8]) -> usize {
    match data.iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        // A line longer than the cap: skip it.
        None if data.len() >= cap::MAX_LINE => data.len(),
        None => 0,
    }
}

impl Session for StarttlsSession {
    fn feed(&mut self, cx: &mut Cx<'_>, dir: Direction, data: &[u8]) -> Progress {
        self.first_ns.get_or_insert(cx.ts_ns);
        let Some((p, server_is_orig)) = which(cx.ends.orig_p, cx.ends.resp_p) else {
            return Progress::Done;
        };
        self.proto = Some(p);
        let from_client = (dir == Direction::ToResponder) != server_is_orig;
        let side = usize::from(!from_client);
        if self.stopped[side] {
            return Progress::Consumed(data.len() as u64);
        }
        if from_client {
            self.client(cx, p, data)
        } else {
            self.server(cx, p, data)
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        self.emit(cx, false);
    }
}
