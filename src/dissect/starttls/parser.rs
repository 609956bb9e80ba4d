//! STARTTLS preamble parsing: pure functions over one line or message. Never
//! panic.

use crate::dissect::Parsed;

/// Caps.
pub mod cap {
    /// Longest text line read, line end included.
    pub const MAX_LINE: usize = 1024;
    /// Longest value kept (a user name), in bytes.
    pub const MAX_VALUE: usize = 255;
}

/// Anomaly names.
pub mod anomaly {
    /// A line over [`super::cap::MAX_LINE`] octets without a line end.
    pub const LINE_TOO_LONG: &str = "starttls.line_too_long";
    /// The server answered a TLS request with something else than acceptance.
    pub const REFUSED: &str = "starttls.refused";
}

/// The protocols with a preamble.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// IMAP.
    Imap,
    /// POP3.
    Pop3,
    /// FTP control.
    Ftp,
    /// XMPP.
    Xmpp,
    /// LDAP.
    Ldap,
    /// PostgreSQL.
    Postgres,
}

impl Proto {
    /// The name written in records.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Imap => "imap",
            Proto::Pop3 => "pop3",
            Proto::Ftp => "ftp",
            Proto::Xmpp => "xmpp",
            Proto::Ldap => "ldap",
            Proto::Postgres => "postgresql",
        }
    }

    /// The protocol a server port speaks, if any.
    pub fn of_port(port: u16) -> Option<Proto> {
        Some(match port {
            143 => Proto::Imap,
            110 => Proto::Pop3,
            21 => Proto::Ftp,
            5222 | 5269 => Proto::Xmpp,
            389 => Proto::Ldap,
            5432 => Proto::Postgres,
            _ => return None,
        })
    }

    /// Whether the protocol is line-based text (all but LDAP and PostgreSQL).
    pub fn is_text(self) -> bool {
        !matches!(self, Proto::Ldap | Proto::Postgres)
    }
}

/// One line from the front of `data`: its bytes without the line end (LF, or
/// CRLF); `consumed` includes the line end.
pub fn parse_line(data: &[u8]) -> Parsed<&[u8]> {
    crate::dissect::text_line(data, cap::MAX_LINE, anomaly::LINE_TOO_LONG)
}

/// What a client line of a text protocol says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientLine<'a> {
    /// It asks for TLS (IMAP: with this tag).
    StartTls(&'a [u8]),
    /// It names a user in the clear.
    User(&'a [u8]),
    /// Anything else.
    Other,
}

fn word(line: &[u8], n: usize) -> Option<&[u8]> {
    line.split(|&b| b == b' ').filter(|w| !w.is_empty()).nth(n)
}

fn is(w: Option<&[u8]>, what: &[u8]) -> bool {
    w.is_some_and(|w| w.eq_ignore_ascii_case(what))
}

/// A client line of IMAP, POP3 or FTP.
pub fn client_line(p: Proto, line: &[u8]) -> ClientLine<'_> {
    match p {
        Proto::Imap => match (word(line, 0), word(line, 1)) {
            (Some(tag), c) if is(c, b"STARTTLS") => ClientLine::StartTls(tag),
            (Some(_), c) if is(c, b"LOGIN") => word(line, 2)
                .map(|u| ClientLine::User(unquote(u)))
                .unwrap_or(ClientLine::Other),
            _ => ClientLine::Other,
        },
        Proto::Pop3 if is(word(line, 0), b"STLS") => ClientLine::StartTls(b""),
        Proto::Ftp
            if is(word(line, 0), b"AUTH")
                && (is(word(line, 1), b"TLS")
                    || is(word(line, 1), b"SSL")
                    || is(word(line, 1), b"TLS-C")) =>
        {
            ClientLine::StartTls(b"")
        }
        Proto::Pop3 | Proto::Ftp if is(word(line, 0), b"USER") => word(line, 1)
            .map(ClientLine::User)
            .unwrap_or(ClientLine::Other),
        Proto::Xmpp if contains(line, b"<starttls") => ClientLine::StartTls(b""),
        _ => ClientLine::Other,
    }
}

fn unquote(w: &[u8]) -> &[u8] {
    w.strip_prefix(b"\"")
        .and_then(|w| w.strip_suffix(b"\""))
        .unwrap_or(w)
}

/// Whether `hay` contains `needle` (ASCII case-insensitive).
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether a server line accepts the TLS request (`tag`: the IMAP tag).
pub fn accepts(p: Proto, tag: &[u8], line: &[u8]) -> Option<bool> {
    match p {
        Proto::Imap => {
            if word(line, 0) != Some(tag) {
                return None; // untagged data: not the answer yet
            }
            Some(is(word(line, 1), b"OK"))
        }
        Proto::Pop3 => Some(line.starts_with(b"+OK")),
        Proto::Ftp => {
            // A multi-line reply's continuation lines carry "234-".
            if line.len() >= 4 && line[3] == b'-' {
                return None;
            }
            Some(line.starts_with(b"234"))
        }
        Proto::Xmpp => {
            if contains(line, b"<proceed") {
                Some(true)
            } else if contains(line, b"<failure") {
                Some(false)
            } else {
                None
            }
        }
        Proto::Ldap | Proto::Postgres => None,
    }
}

/// The LDAP StartTLS request's OID (RFC 4511 §4.14.1).
pub const LDAP_STARTTLS_OID: &[u8] = b"1.3.6.1.4.1.1466.20037";

/// One BER element's header at the front of `data`: (tag, header length,
/// content length). Definite lengths only, up to 4 length octets.
pub fn ber_header(data: &[u8]) -> Parsed<(u8, usize, usize)> {
    let (Some(&tag), Some(&first)) = (data.first(), data.get(1)) else {
        return Parsed::Incomplete { needed: None };
    };
    if first < 0x80 {
        return Parsed::Done {
            value: (tag, 2, first as usize),
            consumed: 2,
        };
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return Parsed::Invalid("starttls.ldap_bad_length");
    }
    let Some(octets) = data.get(2..2 + n) else {
        return Parsed::Incomplete { needed: None };
    };
    let len = octets.iter().fold(0usize, |l, &b| l << 8 | b as usize);
    Parsed::Done {
        value: (tag, 2 + n, len),
        consumed: 2 + n,
    }
}

/// What one whole LDAP message (an LDAPMessage SEQUENCE) says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LdapMessage<'a> {
    /// A simple bind with this name.
    Bind(&'a [u8]),
    /// The StartTLS extended request.
    StartTls,
    /// An extended response with this result code.
    ExtendedResponse(u8),
    /// Anything else.
    Other,
}

/// Reads the LDAP message at the front of `data`: the message and its whole
/// length.
pub fn ldap_message(data: &[u8]) -> Parsed<LdapMessage<'_>> {
    let (tag, hdr, len) = match ber_header(data) {
        Parsed::Done { value, .. } => value,
        Parsed::Incomplete { needed } => return Parsed::Incomplete { needed },
        Parsed::Invalid(a) => return Parsed::Invalid(a),
    };
    if tag != 0x30 {
        return Parsed::Invalid("starttls.ldap_not_a_message");
    }
    let total = hdr + len;
    let Some(body) = data.get(hdr..total) else {
        return Parsed::Incomplete {
            needed: Some(total - data.len()),
        };
    };
    // messageID INTEGER, then the protocolOp.
    let op = match ber_header(body) {
        Parsed::Done {
            value: (0x02, h, l),
            ..
        } => body.get(h + l..),
        _ => None,
    };
    let msg = op
        .and_then(|op| {
            let Parsed::Done {
                value: (t, h, l), ..
            } = ber_header(op)
            else {
                return None;
            };
            let content = op.get(h..h + l)?;
            Some(match t {
                // BindRequest: version INTEGER, name OCTET STRING, auth.
                0x60 => {
                    let Parsed::Done {
                        value: (0x02, vh, vl),
                        ..
                    } = ber_header(content)
                    else {
                        return Some(LdapMessage::Other);
                    };
                    let rest = content.get(vh + vl..)?;
                    match ber_header(rest) {
                        Parsed::Done {
                            value: (0x04, nh, nl),
                            ..
                        } => LdapMessage::Bind(rest.get(nh..nh + nl)?),
                        _ => LdapMessage::Other,
                    }
                }
                // ExtendedRequest: requestName [0].
                0x77 if contains(content, LDAP_STARTTLS_OID) => LdapMessage::StartTls,
                // ExtendedResponse: resultCode ENUMERATED first.
                0x78 => match ber_header(content) {
                    Parsed::Done {
                        value: (0x0a, rh, 1),
                        ..
                    } => LdapMessage::ExtendedResponse(*content.get(rh)?),
                    _ => LdapMessage::Other,
                },
                _ => LdapMessage::Other,
            })
        })
        .unwrap_or(LdapMessage::Other);
    Parsed::Done {
        value: msg,
        consumed: total,
    }
}

/// PostgreSQL's SSLRequest: length 8, code 80877103.
pub const PG_SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
/// Protocol 3.0's version code in a StartupMessage.
const PG_V3: [u8; 4] = [0, 3, 0, 0];

/// What a PostgreSQL client's first message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PgStart<'a> {
    /// The SSLRequest.
    SslRequest,
    /// A StartupMessage naming this user (if it does).
    Startup(Option<&'a [u8]>),
}

/// A PostgreSQL client's untyped first message (SSLRequest or
/// StartupMessage) at the front of `data`.
pub fn pg_start(data: &[u8]) -> Parsed<PgStart<'_>> {
    let Some(len) = data.get(..4) else {
        return Parsed::Incomplete { needed: None };
    };
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    if !(8..=10_000).contains(&len) {
        return Parsed::Invalid("starttls.pg_bad_length");
    }
    let Some(msg) = data.get(..len) else {
        return Parsed::Incomplete {
            needed: Some(len - data.len()),
        };
    };
    if msg == PG_SSL_REQUEST {
        return Parsed::Done {
            value: PgStart::SslRequest,
            consumed: 8,
        };
    }
    if msg[4..8] != PG_V3 {
        return Parsed::Invalid("starttls.pg_unknown_version");
    }
    // Parameters: NUL-terminated name, value pairs.
    let mut fields = msg[8..].split(|&b| b == 0);
    let mut user = None;
    while let (Some(k), Some(v)) = (fields.next(), fields.next()) {
        if k.is_empty() {
            break;
        }
        if k == b"user" {
            user = Some(v);
        }
    }
    Parsed::Done {
        value: PgStart::Startup(user),
        consumed: len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_commands() {
        assert_eq!(
            client_line(Proto::Imap, b". STARTTLS"),
            ClientLine::StartTls(b".")
        );
        assert_eq!(
            client_line(Proto::Imap, b"a1 login \"bob\" pw"),
            ClientLine::User(b"bob")
        );
        assert_eq!(client_line(Proto::Pop3, b"STLS"), ClientLine::StartTls(b""));
        assert_eq!(
            client_line(Proto::Pop3, b"USER alice"),
            ClientLine::User(b"alice")
        );
        assert_eq!(
            client_line(Proto::Ftp, b"AUTH TLS"),
            ClientLine::StartTls(b"")
        );
        assert_eq!(client_line(Proto::Ftp, b"AUTH KERBEROS"), ClientLine::Other);
        assert_eq!(
            client_line(
                Proto::Xmpp,
                b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
            ),
            ClientLine::StartTls(b"")
        );
        assert_eq!(client_line(Proto::Imap, b""), ClientLine::Other);
        assert_eq!(accepts(Proto::Imap, b".", b". OK Begin TLS"), Some(true));
        assert_eq!(accepts(Proto::Imap, b".", b"* BYE"), None);
        assert_eq!(accepts(Proto::Imap, b".", b". NO"), Some(false));
        assert_eq!(accepts(Proto::Ftp, b"", b"234 Proceed"), Some(true));
        assert_eq!(accepts(Proto::Ftp, b"", b"500 no"), Some(false));
        assert_eq!(accepts(Proto::Pop3, b"", b"-ERR"), Some(false));
        assert_eq!(
            accepts(Proto::Xmpp, b"", b"<proceed xmlns='x'/>"),
            Some(true)
        );
    }

    #[test]
    fn ldap_messages() {
        // StartTLS request: message 1, ExtendedRequest [0] OID.
        let mut req = vec![0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16];
        req.extend_from_slice(LDAP_STARTTLS_OID);
        assert_eq!(
            ldap_message(&req),
            Parsed::Done {
                value: LdapMessage::StartTls,
                consumed: req.len()
            }
        );
        let resp = [
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
        ];
        assert_eq!(
            ldap_message(&resp),
            Parsed::Done {
                value: LdapMessage::ExtendedResponse(0),
                consumed: 14
            }
        );
        let bind = [
            0x30, 0x0c, 0x02, 0x01, 0x02, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x02, b'c', b'n',
            0x80, 0x00,
        ];
        assert_eq!(
            ldap_message(&bind[..14]),
            Parsed::Done {
                value: LdapMessage::Bind(b"cn"),
                consumed: 14
            }
        );
        assert!(matches!(
            ldap_message(&resp[..5]),
            Parsed::Incomplete { .. }
        ));
        assert!(matches!(
            ldap_message(b"GET / HTTP/1.1"),
            Parsed::Invalid(_)
        ));
        assert!(matches!(
            ldap_message(&[0x30, 0x85, 1, 2, 3, 4, 5]),
            Parsed::Invalid(_)
        ));
    }

    #[test]
    fn postgres_first_messages() {
        assert_eq!(
            pg_start(&PG_SSL_REQUEST),
            Parsed::Done {
                value: PgStart::SslRequest,
                consumed: 8
            }
        );
        let mut m = vec![0, 0, 0, 0, 0, 3, 0, 0];
        m.extend_from_slice(b"user\0postgres\0database\0db\0\0");
        let n = m.len() as u32;
        m[..4].copy_from_slice(&n.to_be_bytes());
        assert_eq!(
            pg_start(&m),
            Parsed::Done {
                value: PgStart::Startup(Some(b"postgres")),
                consumed: m.len()
            }
        );
        assert!(matches!(pg_start(&[0, 0, 0, 3, 1]), Parsed::Invalid(_)));
        assert!(matches!(pg_start(&[0, 0]), Parsed::Incomplete { .. }));
    }
}
