//! Per-flow SMTP state: one [`SmtpRecord`] per session — the envelope a
//! mail operator (or a spam-blocking rule) sees, never the message content.
//!
//! The client's commands are read line by line; DATA bodies are skipped up to
//! their terminator (their size counted), BDAT chunks by their announced size;
//! base64 lines after AUTH are skipped unread. After a STARTTLS that the server
//! accepts, the rest is TLS: the record is emitted and the stream handed to the
//! TLS dissector (its ClientHello gives the SNI, as for any TLS flow).

use serde::Serialize;

use super::parser::{Command, find_data_end, parse_command, parse_reply_line};
use crate::decode::ipproto;
use crate::dissect::{
    Cx, Direction, Dissector, JoinKey, Parsed, Probe, ProbeCtx, Progress, Record, Session,
};
use crate::record::facet::{Facets, Medium, Role, mail_domain};

/// Most MAIL FROM addresses kept per session.
pub const MAX_SENDERS: usize = 100;
/// Most RCPT TO addresses kept per session.
pub const MAX_RECIPIENTS: usize = 1000;

/// The end of a DATA body (RFC 5321 §4.1.1.4).
const DATA_END: &[u8] = b"\r\n.\r\n";
/// Longest client name kept from an overlong HELO/EHLO line, in bytes.
const MAX_HELO: usize = 255;

/// One SMTP session's envelope.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SmtpRecord {
    /// Join key; `ts` is the first command's or greeting's time.
    #[serde(flatten)]
    pub id: JoinKey,
    /// EHLO/HELO name the client gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helo: Option<String>,
    /// MAIL FROM addresses, one per message attempt (empty string: null sender).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mail_from: Vec<String>,
    /// RCPT TO addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rcpt_to: Vec<String>,
    /// Whether the session switched to TLS (the envelope after it is unseen).
    pub starttls: bool,
    /// SASL mechanism the client authenticated with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    /// Messages sent (DATA bodies or BDAT LAST completed).
    pub messages: u32,
    /// Bytes of message content sent.
    pub message_bytes: u64,
    /// Whether an address list hit its cap.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub capped: bool,
}

impl Record for SmtpRecord {
    fn protocol(&self) -> &'static str {
        "smtp"
    }
    fn key(&self) -> &JoinKey {
        &self.id
    }

    fn facets(&self, f: &mut Facets) -> bool {
        f.domain(self.helo.as_deref());
        for m in &self.mail_from {
            f.domain(Some(mail_domain(m)))
                .party(Medium::Mail, Role::From, Some(m));
        }
        for r in &self.rcpt_to {
            f.party(Medium::Mail, Role::To, Some(r));
        }
        // A session counts once per message, at least once.
        f.count(self.messages.max(1));
        true
    }
}

/// The SMTP dissector.
pub struct Smtp;

/// The registry's instance.
pub static SMTP: Smtp = Smtp;

fn starts_with_ci(data: &[u8], prefix: &[u8]) -> bool {
    data.len() >= prefix.len() && data[..prefix.len()].eq_ignore_ascii_case(prefix)
}

impl Dissector for Smtp {
    fn name(&self) -> &'static str {
        "smtp"
    }

    fn kind(&self) -> &'static str {
        "mail"
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
            "helo",
            "mail_from",
            "rcpt_to",
            "starttls",
            "auth",
            "messages",
            "message_bytes",
            "capped",
        ]
    }

    // The server's 220 greeting naming SMTP (or any 220 on a mail port), or a
    // client opening with EHLO/HELO.
    fn probe(&self, ctx: &ProbeCtx, dir: Direction, data: &[u8]) -> Probe {
        if ctx.proto != ipproto::TCP {
            return Probe::No;
        }
        let line_end = data.iter().position(|&b| b == b'\n');
        match dir {
            Direction::ToOriginator if data.starts_with(b"220") => {
                let line = &data[..line_end.unwrap_or(data.len())];
                let names_smtp = line.windows(4).any(|w| w.eq_ignore_ascii_case(b"smtp"));
                let mail_port = [25, 465, 587, 2525].iter().any(|p| ctx.port(*p));
                match (line_end, names_smtp || mail_port) {
                    (_, true) => Probe::Yes,
                    (None, false) if data.len() < 512 => Probe::NeedMore,
                    _ => Probe::No,
                }
            }
            Direction::ToResponder
                if starts_with_ci(data, b"EHLO ") || starts_with_ci(data, b"HELO ") =>
            {
                Probe::Yes
            }
            _ if data.len() < 5 && line_end.is_none() => Probe::NeedMore,
            _ => Probe::No,
        }
    }

    fn start(&self) -> Box<dyn Session> {
        Box::<SmtpSession>::default()
    }
}

#[derive(Default)]
struct SmtpSession {
    first_ns: Option<i64>,
    helo: Option<String>,
    mail_from: Vec<String>,
    rcpt_to: Vec<String>,
    capped: bool,
    auth: Option<String>,
    /// Client lines after AUTH are credentials until the server's verdict.
    in_auth: bool,
    starttls_asked: bool,
    starttls: bool,
    /// Inside a DATA body; `Some(true)` at its very first byte.
    in_data: Option<bool>,
    /// DATA was sent and the server has not answered it yet: a 354 opens the
    /// body, a refusal (503 after a failed envelope) does not. The count is
    /// of the replies still due before DATA's (PIPELINING: MAIL, RCPT and
    /// DATA go in one segment, their replies in order).
    data_reply_after: Option<u32>,
    /// Commands sent whose replies have not been seen.
    outstanding: u32,
    /// Bytes of the current BDAT chunk still to come.
    bdat_left: u64,
    bdat_last: bool,
    messages: u32,
    message_bytes: u64,
    emitted: bool,
}

impl SmtpSession {
    fn client(&mut self, cx: &mut Cx<'_>, data: &[u8]) -> u64 {
        let mut used = 0usize;
        while used < data.len() {
            let rest = &data[used..];
            if self.bdat_left > 0 {
                let n = self.bdat_left.min(rest.len() as u64);
                self.bdat_left -= n;
                self.message_bytes += n;
                used += n as usize;
                if self.bdat_left == 0 && self.bdat_last {
                    self.messages += 1;
                }
                continue;
            }
            if let Some(at_start) = self.in_data {
                let end = if at_start {
                    find_data_end(rest)
                } else {
                    rest.windows(DATA_END.len())
                        .position(|w| w == DATA_END)
                        .map(|p| p + DATA_END.len())
                };
                match end {
                    Some(n) => {
                        self.message_bytes += n as u64;
                        self.messages += 1;
                        self.in_data = None;
                        used += n;
                        continue;
                    }
                    None => {
                        // Keep the last bytes: the terminator may straddle segments.
                        let keep = (DATA_END.len() - 1).min(rest.len());
                        let n = rest.len() - keep;
                        if n == 0 {
                            return used as u64;
                        }
                        self.message_bytes += n as u64;
                        self.in_data = Some(false);
                        return (used + n) as u64;
                    }
                }
            }
            if self.data_reply_after.is_some() {
                // No answer to DATA seen yet (a one-sided capture, or the
                // body racing the 354): a line that is a command means DATA
                // was refused; anything else is the body.
                match parse_command(rest) {
                    Parsed::Done {
                        value: Command::Other(_),
                        ..
                    }
                    | Parsed::Invalid(_) => {
                        self.data_reply_after = None;
                        self.in_data = Some(true);
                        continue;
                    }
                    Parsed::Incomplete { .. } => return used as u64,
                    Parsed::Done { .. } => self.data_reply_after = None,
                }
            }
            if self.in_auth {
                let Some(eol) = rest.iter().position(|&b| b == b'\n') else {
                    return used as u64;
                };
                used += eol + 1;
                continue;
            }
            match parse_command(rest) {
                Parsed::Done { value, consumed } => {
                    used += consumed.max(1);
                    self.command(value);
                }
                Parsed::Incomplete { .. } => return used as u64,
                Parsed::Invalid(a) => {
                    cx.anomaly(a);
                    // An overlong HELO/EHLO still names the client: keep the
                    // start of its argument.
                    if self.helo.is_none() && rest.len() > 5 {
                        let verb = &rest[..5];
                        if verb.eq_ignore_ascii_case(b"EHLO ")
                            || verb.eq_ignore_ascii_case(b"HELO ")
                        {
                            let arg = &rest[5..rest.len().min(5 + MAX_HELO)];
                            let end = arg
                                .iter()
                                .position(|&b| matches!(b, b' ' | b'\r' | b'\n'))
                                .unwrap_or(arg.len());
                            self.helo = Some(String::from_utf8_lossy(&arg[..end]).into_owned());
                        }
                    }
                    let Some(eol) = rest.iter().position(|&b| b == b'\n') else {
                        return data.len() as u64;
                    };
                    used += eol + 1;
                }
            }
        }
        used as u64
    }

    fn command(&mut self, c: Command) {
        if matches!(c, Command::Data) {
            self.data_reply_after = Some(self.outstanding);
        }
        self.outstanding = self.outstanding.saturating_add(1);
        match c {
            Command::Ehlo(h) | Command::Helo(h) => {
                self.helo.get_or_insert(h);
            }
            Command::MailFrom(a) => {
                push_capped(&mut self.mail_from, a, MAX_SENDERS, &mut self.capped)
            }
            Command::RcptTo(a) => {
                push_capped(&mut self.rcpt_to, a, MAX_RECIPIENTS, &mut self.capped)
            }
            Command::Data => {}
            Command::Bdat { size, last } => {
                self.bdat_left = size;
                self.bdat_last = last;
                if size == 0 && last {
                    self.messages += 1;
                }
            }
            Command::StartTls => self.starttls_asked = true,
            Command::Auth(m) => {
                self.auth = Some(m);
                self.in_auth = true;
            }
            _ => {}
        }
    }

    /// Server replies; returns bytes used and whether TLS started.
    fn server(&mut self, cx: &mut Cx<'_>, data: &[u8]) -> (u64, bool) {
        let mut used = 0;
        while used < data.len() {
            match parse_reply_line(&data[used..]) {
                Parsed::Done { value, consumed } => {
                    used += consumed.max(1);
                    if !value.last {
                        continue;
                    }
                    if self.in_auth && value.code != 334 {
                        self.in_auth = false;
                    }
                    self.outstanding = self.outstanding.saturating_sub(1);
                    match self.data_reply_after {
                        Some(0) => {
                            self.data_reply_after = None;
                            if value.code == 354 {
                                self.in_data = Some(true);
                            }
                        }
                        Some(k) => self.data_reply_after = Some(k - 1),
                        None => {}
                    }
                    if self.starttls_asked && value.code == 220 {
                        self.starttls = true;
                        return (used as u64, true);
                    }
                    if self.starttls_asked && value.code >= 400 {
                        self.starttls_asked = false;
                    }
                }
                Parsed::Incomplete { .. } => break,
                Parsed::Invalid(a) => {
                    cx.anomaly(a);
                    match data[used..].iter().position(|&b| b == b'\n') {
                        Some(eol) => used += eol + 1,
                        None => return (data.len() as u64, false),
                    }
                }
            }
        }
        (used as u64, false)
    }

    fn emit(&mut self, cx: &mut Cx<'_>) {
        if self.emitted {
            return;
        }
        self.emitted = true;
        cx.emit(SmtpRecord {
            id: cx.key(self.first_ns.unwrap_or(cx.ts_ns)),
            helo: self.helo.take(),
            mail_from: std::mem::take(&mut self.mail_from),
            rcpt_to: std::mem::take(&mut self.rcpt_to),
            starttls: self.starttls,
            auth: self.auth.take(),
            messages: self.messages,
            message_bytes: self.message_bytes,
            capped: self.capped,
        });
    }
}

fn push_capped(list: &mut Vec<String>, v: String, cap: usize, capped: &mut bool) {
    if list.len() < cap {
        list.push(v);
    } else {
        *capped = true;
    }
}

impl Session for SmtpSession {
    fn feed(&mut self, cx: &mut Cx<'_>, dir: Direction, data: &[u8]) -> Progress {
        self.first_ns.get_or_insert(cx.ts_ns);
        match dir {
            Direction::ToResponder => Progress::Consumed(self.client(cx, data)),
            Direction::ToOriginator => match self.server(cx, data) {
                (used, true) => {
                    self.emit(cx);
                    Progress::Handover(used, "tls")
                }
                (used, false) => Progress::Consumed(used),
            },
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        self.emit(cx);
    }
}
