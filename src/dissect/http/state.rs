//! Per-flow HTTP/1.x state: requests matched with their responses, one
//! [`HttpRecord`] per exchange — the URL a `urls`-scope box keys on.
//!
//! Bodies are skipped without buffering: a Content-Length body in one step, a
//! chunked body chunk by chunk. Up to [`MAX_PENDING`] pipelined requests wait
//! for their responses; unanswered ones are written when the flow ends. A
//! tracker announce (`GET /announce?info_hash=...`) also gives a BitTorrent record.
//! Over UDP (SSDP's `M-SEARCH`/`NOTIFY`, RFC 9112 syntax in datagrams) every
//! message is a record of its own.

use std::collections::VecDeque;

use serde::Serialize;

use super::parser::{
    HTTP_09, Request, anomaly, chunk_size_line, lenient_request, looks_like_request,
    looks_like_response, next_message, parse_request, parse_response, trailer_section,
};
use crate::decode::ipproto;
use crate::dissect::bittorrent::parser::parse_announce_uri;
use crate::dissect::bittorrent::state::announce_record;
use crate::dissect::{
    Cx, Direction, Dissector, JoinKey, Parsed, Probe, ProbeCtx, Progress, Record, Session,
};
use crate::record::facet::Facets;

/// Most requests waiting for a response.
pub const MAX_PENDING: usize = 64;

/// One request and its response.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HttpRecord {
    /// Join key; `ts` is the request's time (the response's if no request was seen).
    #[serde(flatten)]
    pub id: JoinKey,
    /// Request method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Host header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Request target as sent (path and query, or an absolute URL to a proxy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// User-Agent header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// HTTP minor version of the request (`1.0`, `1.1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Response status code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Response body length announced by Content-Length, bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_length: Option<u64>,
}

impl Record for HttpRecord {
    fn protocol(&self) -> &'static str {
        "http"
    }
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = crate::record::JsonObject::new(out);
        self.id.write_fields(&mut o);
        o.opt_str("method", self.method.as_deref())
            .opt_str("host", self.host.as_deref())
            .opt_str("uri", self.uri.as_deref())
            .opt_str("user_agent", self.user_agent.as_deref())
            .opt_str("version", self.version.as_deref())
            .opt_uint("status", self.status.map(u64::from))
            .opt_uint("response_length", self.response_length)
            .end();
    }
    fn key(&self) -> &JoinKey {
        &self.id
    }

    fn facets(&self, f: &mut Facets) -> bool {
        let url = match (&self.host, self.uri.as_deref()) {
            (_, Some(u)) if u.starts_with("http://") || u.starts_with("https://") => {
                Some(u.to_string())
            }
            (Some(h), Some(u)) => Some(format!("http://{h}{u}")),
            _ => None,
        };
        f.host(self.host.as_deref()).url(url);
        true
    }
}

/// The HTTP dissector.
pub struct Http;

/// The registry's instance.
pub static HTTP: Http = Http;

impl Dissector for Http {
    fn name(&self) -> &'static str {
        "http"
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
            "method",
            "host",
            "uri",
            "user_agent",
            "version",
            "status",
            "response_length",
        ]
    }

    fn probe(&self, ctx: &ProbeCtx, dir: Direction, data: &[u8]) -> Probe {
        if ctx.proto == ipproto::UDP {
            let whole = data.windows(4).any(|w| w == b"\r\n\r\n");
            return if whole && (looks_like_request(data) || looks_like_response(data)) {
                Probe::Yes
            } else {
                Probe::No
            };
        }
        if ctx.proto != ipproto::TCP {
            return Probe::No;
        }
        let (looks, partial) = match dir {
            // A capture that starts mid-connection may show the server first:
            // the flow's originator is then the server.
            Direction::ToResponder if looks_like_response(data) => (true, false),
            Direction::ToResponder => (
                looks_like_request(data),
                data.len() < 8 && data.iter().all(u8::is_ascii_uppercase),
            ),
            Direction::ToOriginator => (
                looks_like_response(data),
                data.len() < 7 && b"HTTP/1.".starts_with(data),
            ),
        };
        match (looks, partial) {
            (true, _) => Probe::Yes,
            (false, true) => Probe::NeedMore,
            _ => Probe::No,
        }
    }

    fn start(&self) -> Box<dyn Session> {
        Box::<HttpSession>::default()
    }
}

/// Where a chunked body stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Chunked {
    SizeLine,
    Trailers,
}

#[derive(Default)]
struct HttpSession {
    pending: VecDeque<(i64, Request)>,
    /// Per direction (0 requests, 1 responses): inside a chunked body.
    chunked: [Option<Chunked>; 2],
    /// The direction responses travel: towards the originator, unless the
    /// first bytes the originator sent were a response (a capture begun
    /// mid-connection).
    responses: Option<Direction>,
    /// Per direction: the framing could not be trusted, so the stream
    /// resumes at the next request (or status) line; `Some(true)`: one may
    /// start right here (after a lenient head), `Some(false)`: only after the
    /// next line end (after a head nothing could read).
    resync: [Option<bool>; 2],
}

impl HttpSession {
    fn record(
        &self,
        cx: &Cx<'_>,
        ts: i64,
        req: Option<Request>,
        status: Option<u16>,
        len: Option<u64>,
    ) -> HttpRecord {
        let (method, host, uri, user_agent, version) = match req {
            Some(r) => (
                Some(r.method),
                r.host,
                Some(r.uri),
                r.user_agent,
                Some(if r.version == HTTP_09 {
                    "0.9".to_string()
                } else {
                    format!("1.{}", r.version)
                }),
            ),
            None => (None, None, None, None, None),
        };
        HttpRecord {
            id: cx.key(ts),
            method,
            host,
            uri,
            user_agent,
            version,
            status,
            response_length: len,
        }
    }

    /// Queues a request for its response; a full queue gives up on its oldest.
    fn push_pending(&mut self, cx: &mut Cx<'_>, req: Request) {
        if self.pending.len() >= MAX_PENDING {
            cx.anomaly("http.too_many_pending");
            let (ts, old) = self.pending.pop_front().expect("full queue");
            let r = self.record(cx, ts, Some(old), None, None);
            cx.emit(r);
        }
        self.pending.push_back((cx.ts_ns, req));
    }

    /// One step inside a chunked body; `None` means "come back with more bytes".
    fn chunk_step(&mut self, cx: &mut Cx<'_>, i: usize, rest: &[u8]) -> Option<Result<u64, ()>> {
        match self.chunked[i]? {
            Chunked::SizeLine => match chunk_size_line(rest) {
                Parsed::Done { value: 0, consumed } => {
                    self.chunked[i] = Some(Chunked::Trailers);
                    Some(Ok(consumed as u64))
                }
                // The data and its CRLF are skipped without being read.
                Parsed::Done { value, consumed } => Some(Ok((consumed as u64)
                    .saturating_add(value)
                    .saturating_add(2))),
                Parsed::Incomplete { .. } => None,
                Parsed::Invalid(a) => {
                    cx.anomaly(a);
                    Some(Err(()))
                }
            },
            Chunked::Trailers => match trailer_section(rest) {
                Parsed::Done { consumed, .. } => {
                    self.chunked[i] = None;
                    Some(Ok(consumed as u64))
                }
                Parsed::Incomplete { .. } => None,
                Parsed::Invalid(a) => {
                    cx.anomaly(a);
                    Some(Err(()))
                }
            },
        }
    }
}

impl Session for HttpSession {
    fn feed(&mut self, cx: &mut Cx<'_>, dir: Direction, data: &[u8]) -> Progress {
        if cx.ends.proto != ipproto::TCP {
            let r = match (parse_request(data), parse_response(data)) {
                (Parsed::Done { value, .. }, _) => {
                    self.record(cx, cx.ts_ns, Some(value), None, None)
                }
                (_, Parsed::Done { value, .. }) => {
                    self.record(cx, cx.ts_ns, None, Some(value.status), value.content_length)
                }
                _ => {
                    cx.anomaly("http.bad_datagram");
                    return Progress::Consumed(data.len() as u64);
                }
            };
            cx.emit(r);
            return Progress::Consumed(data.len() as u64);
        }
        let responses = *self.responses.get_or_insert(
            if dir == Direction::ToResponder && looks_like_response(data) {
                Direction::ToResponder
            } else {
                Direction::ToOriginator
            },
        );
        let i = usize::from(dir == responses);
        let mut used: u64 = 0;
        loop {
            let Some(rest) = data.get(used as usize..).filter(|r| !r.is_empty()) else {
                return Progress::Consumed(used);
            };
            if let Some(here) = self.resync[i] {
                let looks = if i == 0 {
                    looks_like_request(rest)
                } else {
                    looks_like_response(rest)
                };
                if here && looks {
                    self.resync[i] = None;
                } else {
                    match next_message(rest, i == 1) {
                        Some(at) => {
                            cx.anomaly(anomaly::RESYNC);
                            self.resync[i] = None;
                            used += at as u64;
                        }
                        None => {
                            // Keep a tail: the next line may start in it.
                            let tail = rest.len().min(16);
                            self.resync[i] = Some(false);
                            return Progress::Consumed(used + (rest.len() - tail) as u64);
                        }
                    }
                    continue;
                }
            }
            if self.chunked[i].is_some() {
                match self.chunk_step(cx, i, rest) {
                    None => return Progress::Consumed(used),
                    Some(Ok(n)) => {
                        used += n;
                        continue;
                    }
                    Some(Err(())) => return Progress::Done,
                }
            }
            if i == 0 {
                match parse_request(rest) {
                    Parsed::Done { value, consumed } => {
                        used += consumed as u64;
                        if let Some(a) = parse_announce_uri(&value.uri) {
                            let r = announce_record(cx, dir, "announce", &a);
                            cx.emit(r);
                        }
                        let body = value.content_length.unwrap_or(0);
                        if value.chunked {
                            self.chunked[i] = Some(Chunked::SizeLine);
                        }
                        self.push_pending(cx, value);
                        used = used.saturating_add(body);
                    }
                    Parsed::Incomplete { .. } => return Progress::Consumed(used),
                    Parsed::Invalid(a) => {
                        cx.anomaly(a);
                        // Keep what a server would read of it (method, URI,
                        // Host, User-Agent); its body's length is unknown.
                        match lenient_request(rest) {
                            Some((value, consumed)) => {
                                cx.anomaly(anomaly::LENIENT_REQUEST);
                                used += consumed as u64;
                                self.push_pending(cx, value);
                                self.resync[i] = Some(true);
                            }
                            None => self.resync[i] = Some(false),
                        }
                    }
                }
            } else {
                match parse_response(rest) {
                    Parsed::Done { value, consumed } => {
                        used += consumed as u64;
                        if value.status == 101 {
                            // Switching protocols (WebSocket, h2c): the
                            // request's record, and nothing more is HTTP/1.
                            let (ts, req) = match self.pending.pop_front() {
                                Some((ts, req)) => (ts, Some(req)),
                                None => (cx.ts_ns, None),
                            };
                            let r = self.record(cx, ts, req, Some(101), None);
                            cx.emit(r);
                            return Progress::Done;
                        }
                        if (100..200).contains(&value.status) {
                            continue;
                        }
                        let (ts, req) = match self.pending.pop_front() {
                            Some((ts, req)) => (ts, Some(req)),
                            None => (cx.ts_ns, None),
                        };
                        let head = req.as_ref().is_some_and(|r| r.method == "HEAD");
                        let connect = req
                            .as_ref()
                            .is_some_and(|r| r.method.eq_ignore_ascii_case("CONNECT"));
                        let no_body = head || value.status == 204 || value.status == 304;
                        let r = self.record(cx, ts, req, Some(value.status), value.content_length);
                        cx.emit(r);
                        if connect && (200..300).contains(&value.status) {
                            // The tunnel is open: what goes through it is
                            // another protocol (TLS, mostly), probed afresh.
                            return Progress::Handover(used, crate::dissect::TUNNEL);
                        }
                        if no_body {
                            continue;
                        }
                        if value.chunked {
                            self.chunked[i] = Some(Chunked::SizeLine);
                        } else if let Some(n) = value.content_length {
                            used = used.saturating_add(n);
                        } else {
                            // The body runs to the end of the connection.
                            return Progress::Done;
                        }
                    }
                    Parsed::Incomplete { .. } => return Progress::Consumed(used),
                    Parsed::Invalid(a) => {
                        cx.anomaly(a);
                        self.resync[i] = Some(false);
                    }
                }
            }
        }
    }

    // Lost bytes: a chunked body's place is lost too; the next request (or
    // status) line is looked for, possibly right at the first byte after
    // the hole.
    fn gap(&mut self, cx: &mut Cx<'_>, dir: Direction) -> bool {
        let Some(responses) = self.responses else {
            return false;
        };
        cx.anomaly(anomaly::GAP);
        let i = usize::from(dir == responses);
        self.chunked[i] = None;
        self.resync[i] = Some(true);
        true
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        while let Some((ts, req)) = self.pending.pop_front() {
            let r = self.record(cx, ts, Some(req), None, None);
            cx.emit(r);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hand_written_json_is_serdes() {
        use crate::dissect::json_cases::{STRINGS, assert_as_serde, keys};
        let s = |k: usize| Some(STRINGS[k % STRINGS.len()].to_string());
        for (k, id) in keys().into_iter().enumerate() {
            let r = super::HttpRecord {
                id,
                method: s(k).filter(|_| k % 5 != 0),
                host: s(k + 1).filter(|_| k % 4 != 0),
                uri: s(k + 2).filter(|_| k % 3 != 0),
                user_agent: s(k + 3).filter(|_| k % 2 != 0),
                version: s(k + 4).filter(|_| k % 6 != 0),
                status: (k % 3 != 1).then_some((k * 97 % 65_536) as u16),
                response_length: (k % 2 == 0).then_some(u64::MAX >> (k % 64)),
            };
            assert_as_serde(&r);
        }
    }
}
