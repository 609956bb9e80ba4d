//! Pure SMTP line parser (RFC 5321 §4.1, RFC 3207, RFC 3030): client
//! commands, server reply lines, and the end of a DATA body.
//!
//! No function here panics on any input: every access goes through `get` or a
//! checked length, and data is never unwrapped. See the module doc of
//! [`crate::dissect::smtp`] for coverage, limits and anomaly names.

use crate::dissect::Parsed;

/// Bounds on what one line may make the parser look at or build.
pub mod cap {
    /// Longest command or reply line, CRLF included, in octets. RFC 5321
    /// §4.5.3.1.4-5 sets 512; extensions (SIZE, AUTH initial responses) go
    /// beyond, so the cap is looser. A longer line is `smtp.line_too_long`.
    pub const MAX_LINE: usize = 4096;
    /// Longest verb, in octets. Longer is `smtp.bad_command`.
    pub const MAX_VERB: usize = 16;
    /// Longest SASL mechanism name (RFC 4422 §3.1: 1 to 20 characters).
    pub const MAX_MECHANISM: usize = 20;
}

/// Anomaly names returned in [`Parsed::Invalid`].
pub mod anomaly {
    /// A command or reply line longer than [`super::cap::MAX_LINE`].
    pub const LINE_TOO_LONG: &str = "smtp.line_too_long";
    /// The verb is empty, too long, or not letters/digits/`-`.
    pub const BAD_COMMAND: &str = "smtp.bad_command";
    /// MAIL without `FROM:`, RCPT without `TO:`, no address, or a `<` never closed.
    pub const BAD_PATH: &str = "smtp.bad_path";
    /// BDAT whose chunk size is not `1*DIGIT` fitting 64 bits, or with a
    /// second argument other than `LAST`.
    pub const BAD_BDAT: &str = "smtp.bad_bdat";
    /// AUTH without a valid SASL mechanism name.
    pub const BAD_AUTH: &str = "smtp.bad_auth";
    /// A reply line not starting with a reply code and `SP`, `-` or CRLF.
    pub const BAD_REPLY: &str = "smtp.bad_reply";
}

/// Wire constants of the SMTP grammar.
pub mod wire {
    /// Line feed; a line ends with CRLF (a bare LF is accepted on input).
    pub const LF: u8 = b'\n';
    /// Carriage return.
    pub const CR: u8 = b'\r';
    /// Space, the separator of verb and arguments.
    pub const SP: u8 = b' ';
    /// After a reply code: more lines follow.
    pub const CONTINUATION: u8 = b'-';
    /// Octets in a reply code.
    pub const REPLY_CODE_LEN: usize = 3;
    /// Keyword before a MAIL reverse-path.
    pub const FROM: &[u8] = b"FROM:";
    /// Keyword before a RCPT forward-path.
    pub const TO: &[u8] = b"TO:";
    /// BDAT end-marker.
    pub const LAST: &[u8] = b"LAST";
    /// The end of a DATA body: a line holding only a period (§4.1.1.4).
    pub const DATA_END: &[u8] = b"\r\n.\r\n";
    /// A DATA body that is empty: the terminating line comes first.
    pub const EMPTY_DATA_END: &[u8] = b".\r\n";
}

use wire::{CR, LF, SP};

/// A client command (RFC 5321 §4.1.1, RFC 3207, RFC 3030, RFC 4954).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `EHLO domain`: the client's name for itself, as sent.
    Ehlo(String),
    /// `HELO domain`.
    Helo(String),
    /// `MAIL FROM:<address>`: the address inside the brackets, empty for the
    /// null sender `<>`; ESMTP parameters are dropped.
    MailFrom(String),
    /// `RCPT TO:<address>`.
    RcptTo(String),
    /// `DATA`: the body follows, up to [`find_data_end`].
    Data,
    /// `BDAT size [LAST]` (RFC 3030): `size` octets of body follow the line.
    Bdat {
        /// Octets of the chunk after the command line.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
    /// `STARTTLS` (RFC 3207): TLS follows the server's 220 reply.
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954): the mechanism only,
    /// upper-cased; the initial response (a credential) is not kept.
    Auth(String),
    /// Any other verb, upper-cased (VRFY, EXPN, HELP, XCLIENT...).
    Other(String),
}

/// One reply line (RFC 5321 §4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The reply code, 200 to 559.
    pub code: u16,
    /// `true` for the last line of a reply (`250 `), `false` when more
    /// follow (`250-`).
    pub last: bool,
    /// The text after the separator, without CRLF; may be empty.
    pub text: String,
}

/// The content of the first line of `buf` (without CR LF) and the octets it
/// takes, LF included.
fn take_line(buf: &[u8]) -> Result<(&[u8], usize), &'static str> {
    let window = buf.get(..buf.len().min(cap::MAX_LINE)).unwrap_or(buf);
    match window.iter().position(|&b| b == LF) {
        Some(lf) => {
            let line = window.get(..lf).unwrap_or(&[]);
            let line = line.strip_suffix(&[CR]).unwrap_or(line);
            Ok((line, lf + 1))
        }
        None if buf.len() >= cap::MAX_LINE => Err(anomaly::LINE_TOO_LONG),
        None => Err(""),
    }
}

/// `Incomplete` for the empty marker of [`take_line`], else the anomaly.
fn short<T>(why: &'static str) -> Parsed<T> {
    if why.is_empty() {
        Parsed::Incomplete { needed: None }
    } else {
        Parsed::Invalid(why)
    }
}

fn is_verb_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

// ehlo      = "EHLO" SP ( Domain / address-literal ) CRLF
// helo      = "HELO" SP Domain CRLF
// mail      = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
// rcpt      = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" /
//             Forward-path ) [SP Rcpt-parameters] CRLF
// data      = "DATA" CRLF
// rset      = "RSET" CRLF
// noop      = "NOOP" [ SP String ] CRLF
// quit      = "QUIT" CRLF
// STARTTLS  = "STARTTLS" CRLF                          (RFC 3207 §4)
// bdat-cmd  = "BDAT" SP chunk-size [ SP end-marker ] CRLF   (RFC 3030 §2)
// auth      = "AUTH" SP sasl-mech [SP initial-response] CRLF (RFC 4954 §4)
// Verbs are case-insensitive (§2.4).
/// Parses one command line from the front of `buf`; `consumed` includes the
/// CRLF. A bare LF also ends a line. A line cut short is `Incomplete`; a
/// prefix whose verb is already impossible is `smtp.bad_command` at once.
///
/// `MAIL FROM:` and `RCPT TO:` accept spaces after the colon and a bare
/// address without brackets (`MAIL FROM:a@b SIZE=1` gives `a@b`), as many
/// servers do. The caller must not feed this the body after DATA/BDAT nor
/// the base64 lines of an AUTH exchange.
pub fn parse_command(buf: &[u8]) -> Parsed<Command> {
    // Reject at once a prefix that cannot start a verb (TLS, binary).
    let verb_len = buf.iter().take_while(|&&b| is_verb_char(b)).count();
    let after_verb = buf.get(verb_len).copied();
    let verb_ok = verb_len > 0
        && verb_len <= cap::MAX_VERB
        && matches!(after_verb, None | Some(SP | CR | LF));
    let still_possible = after_verb.is_none() && verb_len <= cap::MAX_VERB;
    if !verb_ok && !still_possible {
        return Parsed::Invalid(anomaly::BAD_COMMAND);
    }
    let (line, consumed) = match take_line(buf) {
        Ok(found) => found,
        Err(why) => return short(why),
    };
    let verb = line.get(..verb_len).unwrap_or(&[]);
    let args = line.get(verb_len..).unwrap_or(&[]);
    let args = trim(args);
    let is = |name: &[u8]| verb.eq_ignore_ascii_case(name);
    let command = if is(b"EHLO") {
        Command::Ehlo(lossy(args))
    } else if is(b"HELO") {
        Command::Helo(lossy(args))
    } else if is(b"MAIL") {
        match parse_path(args, wire::FROM) {
            Ok(address) => Command::MailFrom(address),
            Err(why) => return Parsed::Invalid(why),
        }
    } else if is(b"RCPT") {
        match parse_path(args, wire::TO) {
            Ok(address) => Command::RcptTo(address),
            Err(why) => return Parsed::Invalid(why),
        }
    } else if is(b"DATA") {
        Command::Data
    } else if is(b"BDAT") {
        match parse_bdat(args) {
            Some((size, last)) => Command::Bdat { size, last },
            None => return Parsed::Invalid(anomaly::BAD_BDAT),
        }
    } else if is(b"RSET") {
        Command::Rset
    } else if is(b"NOOP") {
        Command::Noop
    } else if is(b"QUIT") {
        Command::Quit
    } else if is(b"STARTTLS") {
        Command::StartTls
    } else if is(b"AUTH") {
        match parse_mechanism(args) {
            Some(mechanism) => Command::Auth(mechanism),
            None => return Parsed::Invalid(anomaly::BAD_AUTH),
        }
    } else {
        Command::Other(lossy(verb).to_ascii_uppercase())
    };
    Parsed::Done {
        value: command,
        consumed,
    }
}

// Reverse-path   = Path / "<>"
// Forward-path   = Path
// Path           = "<" [ A-d-l ":" ] Mailbox ">"
// A-d-l          = At-domain *( "," At-domain )    ; source route, ignored
// Mailbox        = Local-part "@" ( Domain / address-literal )
// Local-part     = Dot-string / Quoted-string      ; may hold '>' when quoted
/// The address after `keyword` (`FROM:` or `TO:`).
fn parse_path(args: &[u8], keyword: &[u8]) -> Result<String, &'static str> {
    let head = args.get(..keyword.len()).ok_or(anomaly::BAD_PATH)?;
    if !head.eq_ignore_ascii_case(keyword) {
        return Err(anomaly::BAD_PATH);
    }
    let rest = trim(args.get(keyword.len()..).unwrap_or(&[]));
    let address = if let Some(inside) = rest.strip_prefix(b"<") {
        let close = closing_bracket(inside).ok_or(anomaly::BAD_PATH)?;
        let path = inside.get(..close).unwrap_or(&[]);
        // Drop a source route "@a,@b:" (§4.1.2, deprecated but legal).
        match (path.first(), path.iter().position(|&b| b == b':')) {
            (Some(b'@'), Some(colon)) => path.get(colon + 1..).unwrap_or(&[]),
            _ => path,
        }
    } else {
        // No brackets: take the first word as the address.
        let end = rest.iter().position(|&b| b == SP).unwrap_or(rest.len());
        let bare = rest.get(..end).unwrap_or(&[]);
        if bare.is_empty() {
            return Err(anomaly::BAD_PATH);
        }
        bare
    };
    Ok(lossy(address))
}

/// Index of the `>` closing a path whose `<` is already removed, skipping
/// quoted strings (`"a>b"@x`) and their quoted-pairs.
fn closing_bracket(s: &[u8]) -> Option<usize> {
    let mut in_quote = false;
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        match b {
            b'\\' if in_quote => i += 1,
            b'"' => in_quote = !in_quote,
            b'>' if !in_quote => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

// bdat-cmd   ::= "BDAT" SP chunk-size [ SP end-marker ] CRLF
// chunk-size ::= 1*DIGIT
// end-marker ::= "LAST"
fn parse_bdat(args: &[u8]) -> Option<(u64, bool)> {
    let mut words = args.split(|&b| b == SP).filter(|w| !w.is_empty());
    let size = words.next()?;
    if !size.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let size = size.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })?;
    let last = match words.next() {
        None => false,
        Some(marker) if marker.eq_ignore_ascii_case(wire::LAST) => true,
        Some(_) => return None,
    };
    words.next().is_none().then_some((size, last))
}

// sasl-mech = 1*20mech-char                       (RFC 4422 §3.1)
// mech-char = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE
// (accepted in any case, reported upper-cased)
fn parse_mechanism(args: &[u8]) -> Option<String> {
    let mechanism = args.split(|&b| b == SP).next().unwrap_or(&[]);
    let valid = !mechanism.is_empty()
        && mechanism.len() <= cap::MAX_MECHANISM
        && mechanism
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    valid.then(|| lossy(mechanism).to_ascii_uppercase())
}

// Reply-line = *( Reply-code "-" [ textstring ] CRLF )
//              Reply-code [ SP textstring ] CRLF
// Reply-code = %x32-35 %x30-35 %x30-39
/// Parses one reply line from the front of `buf`; `consumed` includes the
/// CRLF. A multi-line reply is several calls, each line saying whether it is
/// the `last`. A prefix that already breaks the reply code is
/// `smtp.bad_reply` at once.
pub fn parse_reply_line(buf: &[u8]) -> Parsed<Reply> {
    if !reply_prefix_ok(buf) {
        return Parsed::Invalid(anomaly::BAD_REPLY);
    }
    let (line, consumed) = match take_line(buf) {
        Ok(found) => found,
        Err(why) => return short(why),
    };
    let Some(code) = line
        .get(..wire::REPLY_CODE_LEN)
        .filter(|c| c.iter().all(u8::is_ascii_digit))
        .map(|c| {
            c.iter()
                .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'))
        })
    else {
        return Parsed::Invalid(anomaly::BAD_REPLY);
    };
    let (last, text) = match line.get(wire::REPLY_CODE_LEN..) {
        None | Some([]) => (true, &[][..]),
        Some([SP, text @ ..]) => (true, text),
        Some([wire::CONTINUATION, text @ ..]) => (false, text),
        Some(_) => return Parsed::Invalid(anomaly::BAD_REPLY),
    };
    Parsed::Done {
        value: Reply {
            code,
            last,
            text: lossy(text),
        },
        consumed,
    }
}

/// Whether the octets present so far can start a reply line: digits in the
/// reply-code ranges, then `SP`, `-`, CR or LF.
fn reply_prefix_ok(buf: &[u8]) -> bool {
    let ranges = [b'2'..=b'5', b'0'..=b'5', b'0'..=b'9'];
    let digits_ok = ranges.iter().zip(buf).all(|(range, b)| range.contains(b));
    let separator_ok = match buf.get(wire::REPLY_CODE_LEN) {
        None => true,
        Some(&b) => matches!(b, SP | wire::CONTINUATION | CR | LF),
    };
    digits_ok && separator_ok
}

// RFC 5321 §4.1.1.4: "The mail data are terminated by a line containing
// only a period, that is, the character sequence "<CRLF>.<CRLF>", where the
// first <CRLF> is actually the terminator of the previous line."
/// Index just past the `CRLF . CRLF` that ends a DATA body in `buf` (which
/// starts right after the 354 reply), or `None` if it has not arrived. An
/// empty body (`buf` starting with `. CRLF`) gives `Some(3)`. The returned
/// index counts the terminator; the message size is that minus 3.
pub fn find_data_end(buf: &[u8]) -> Option<usize> {
    if buf.starts_with(wire::EMPTY_DATA_END) {
        return Some(wire::EMPTY_DATA_END.len());
    }
    buf.windows(wire::DATA_END.len())
        .position(|w| w == wire::DATA_END)
        .map(|i| i + wire::DATA_END.len())
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let s = s.get(start..).unwrap_or(&[]);
    let end = s
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    s.get(..s.len() - end).unwrap_or(&[])
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    // ndpi/smtp.pcap, client (port 2127) frames 6-73: every command up to DATA
    const DIALOGUE_CLIENT: &[u8] = b"\
EHLO delta.peach.mil\r\n\
HELO delta.peach.mil\r\n\
MAIL From:<coreys@delta.peach.mil>\r\n\
RCPT To:<camronm@pigeon.eyrie.af.mil>\r\n\
RCPT To:<melvynr@pigeon.eyrie.af.mil>\r\n\
RCPT To:<valeskag@pigeon.eyrie.af.mil>\r\n\
RCPT To:<yvonnes@pigeon.eyrie.af.mil>\r\n\
RCPT To:<kirstym@pigeon.eyrie.af.mil>\r\n\
RCPT To:<vladimim@pigeon.eyrie.af.mil>\r\n\
RCPT To:<mandil@pigeon.eyrie.af.mil>\r\n\
RCPT To:<joaon@pigeon.eyrie.af.mil>\r\n\
RCPT To:<timothab@pigeon.eyrie.af.mil>\r\n\
RCPT To:<sergec@pigeon.eyrie.af.mil>\r\n\
RCPT To:<bernicea@pigeon.eyrie.af.mil>\r\n\
RCPT To:<juttar@pigeon.eyrie.af.mil>\r\n\
RCPT To:<carolah@pigeon.eyrie.af.mil>\r\n\
RCPT To:<liesal@pigeon.eyrie.af.mil>\r\n\
RCPT To:<tigera@pigeon.eyrie.af.mil>\r\n\
RCPT To:<fernanda@pigeon.eyrie.af.mil>\r\n\
RCPT To:<sherryb@pigeon.eyrie.af.mil>\r\n\
RCPT To:<uschic@pigeon.eyrie.af.mil>\r\n\
RCPT To:<waylone@pigeon.eyrie.af.mil>\r\n\
RCPT To:<torib@pigeon.eyrie.af.mil>\r\n\
RCPT To:<corbind@pigeon.eyrie.af.mil>\r\n\
RCPT To:<felicidr@pigeon.eyrie.af.mil>\r\n\
RCPT To:<isidoraw@pigeon.eyrie.af.mil>\r\n\
RCPT To:<kristalh@pigeon.eyrie.af.mil>\r\n\
RCPT To:<orlandos@pigeon.eyrie.af.mil>\r\n\
RCPT To:<elysea@pigeon.eyrie.af.mil>\r\n\
RCPT To:<beckyw@pigeon.eyrie.af.mil>\r\n\
RCPT To:<samsonw@pigeon.eyrie.af.mil>\r\n\
RCPT To:<lucjanm@pigeon.eyrie.af.mil>\r\n\
RCPT To:<channinm@pigeon.eyrie.af.mil>\r\n\
DATA\r\n";
    // ndpi/smtp.pcap, server (port 25) frames 4-91: every reply
    const DIALOGUE_SERVER: &[u8] = b"\
220 pigeon.eyrie.af.mil ESMTP Sendmail 8.8.7/8.8.7; Sat, 7 Aug 1999 08:20:11 -0400\r\n\
500 Command unrecognized\r\n\
250 (delta.peach.mil) pleased to meet you.\r\n\
250 <coreys@delta.peach.mil>... Sender Ok\r\n\
250 <camronm@pigeon.eyrie.af.mil> OK\r\n\
250 <melvynr@pigeon.eyrie.af.mil> OK\r\n\
250 <valeskag@pigeon.eyrie.af.mil> OK\r\n\
250 <yvonnes@pigeon.eyrie.af.mil> OK\r\n\
250 <kirstym@pigeon.eyrie.af.mil> OK\r\n\
250 <vladimim@pigeon.eyrie.af.mil> OK\r\n\
250 <mandil@pigeon.eyrie.af.mil> OK\r\n\
250 <joaon@pigeon.eyrie.af.mil> OK\r\n\
250 <timothab@pigeon.eyrie.af.mil> OK\r\n\
250 <sergec@pigeon.eyrie.af.mil> OK\r\n\
250 <bernicea@pigeon.eyrie.af.mil> OK\r\n\
250 <juttar@pigeon.eyrie.af.mil> OK\r\n\
250 <carolah@pigeon.eyrie.af.mil> OK\r\n\
250 <liesal@pigeon.eyrie.af.mil> OK\r\n\
250 <tigera@pigeon.eyrie.af.mil> OK\r\n\
250 <fernanda@pigeon.eyrie.af.mil> OK\r\n\
250 <sherryb@pigeon.eyrie.af.mil> OK\r\n\
250 <uschic@pigeon.eyrie.af.mil> OK\r\n\
250 <waylone@pigeon.eyrie.af.mil> OK\r\n\
250 <torib@pigeon.eyrie.af.mil> OK\r\n\
250 <corbind@pigeon.eyrie.af.mil> OK\r\n\
250 <felicidr@pigeon.eyrie.af.mil> OK\r\n\
250 <isidoraw@pigeon.eyrie.af.mil> OK\r\n\
250 <kristalh@pigeon.eyrie.af.mil> OK\r\n\
250 <orlandos@pigeon.eyrie.af.mil> OK\r\n\
250 <elysea@pigeon.eyrie.af.mil> OK\r\n\
250 <beckyw@pigeon.eyrie.af.mil> OK\r\n\
250 <samsonw@pigeon.eyrie.af.mil> OK\r\n\
250 <lucjanm@pigeon.eyrie.af.mil> OK\r\n\
250 <channinm@pigeon.eyrie.af.mil> OK\r\n\
354 Enter mail, end with \".\" on a line by itself\r\n\
250 Mail accepted\r\n\
221 Closing connection\r\n";
    // tshark -r ndpi/smtp.pcap -Y 'smtp.req.command=="RCPT"' -T fields -e smtp.req.parameter, "To:<" and ">" removed.
    const DIALOGUE_RCPT: [&str; 30] = [
        "camronm@pigeon.eyrie.af.mil",
        "melvynr@pigeon.eyrie.af.mil",
        "valeskag@pigeon.eyrie.af.mil",
        "yvonnes@pigeon.eyrie.af.mil",
        "kirstym@pigeon.eyrie.af.mil",
        "vladimim@pigeon.eyrie.af.mil",
        "mandil@pigeon.eyrie.af.mil",
        "joaon@pigeon.eyrie.af.mil",
        "timothab@pigeon.eyrie.af.mil",
        "sergec@pigeon.eyrie.af.mil",
        "bernicea@pigeon.eyrie.af.mil",
        "juttar@pigeon.eyrie.af.mil",
        "carolah@pigeon.eyrie.af.mil",
        "liesal@pigeon.eyrie.af.mil",
        "tigera@pigeon.eyrie.af.mil",
        "fernanda@pigeon.eyrie.af.mil",
        "sherryb@pigeon.eyrie.af.mil",
        "uschic@pigeon.eyrie.af.mil",
        "waylone@pigeon.eyrie.af.mil",
        "torib@pigeon.eyrie.af.mil",
        "corbind@pigeon.eyrie.af.mil",
        "felicidr@pigeon.eyrie.af.mil",
        "isidoraw@pigeon.eyrie.af.mil",
        "kristalh@pigeon.eyrie.af.mil",
        "orlandos@pigeon.eyrie.af.mil",
        "elysea@pigeon.eyrie.af.mil",
        "beckyw@pigeon.eyrie.af.mil",
        "samsonw@pigeon.eyrie.af.mil",
        "lucjanm@pigeon.eyrie.af.mil",
        "channinm@pigeon.eyrie.af.mil",
    ];
    // tshark -r ndpi/smtp.pcap -Y smtp.rsp -T fields -e smtp.response.code
    const DIALOGUE_CODES: [u16; 37] = [
        220, 500, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250,
        250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250, 354, 250,
        221,
    ];

    // ndpi/smtp.pcap frame 90.
    const QUIT: &[u8] = b"QUIT\r\n";
    // ndpi/smtp-starttls.pcap frame 9.
    const STARTTLS: &[u8] = b"STARTTLS\r\n";
    // ndpi/emotet.pcap frame 8 (submission, port 587).
    const AUTH_LOGIN: &[u8] = b"AUTH LOGIN\r\n";
    // ndpi/emotet.pcap frames 21 and 24: a space after the colon.
    const MAIL_SPACED: &[u8] = b"MAIL FROM: <raulparedes@wanadoo.fr>\r\n";
    const RCPT_SPACED: &[u8] = b"RCPT TO: <mitzy.torres@2080.cl>\r\n";
    // ndpi/smtp-starttls.pcap frame 8: a seven-line EHLO reply in one segment.
    const EHLO_REPLY_GOOGLE: &[u8] = b"\
250-mx.google.com at your service, [10.000.000.01]\r\n\
250-SIZE 35882577\r\n\
250-8BITMIME\r\n\
250-STARTTLS\r\n\
250-ENHANCEDSTATUSCODES\r\n\
250-PIPELINING\r\n\
250 CHUNKING\r\n";
    // ndpi/smtp-starttls.pcap frame 10.
    const READY_FOR_TLS: &[u8] = b"220 2.0.0 Ready to start TLS\r\n";
    // ndpi/smtp.pcap frame 88, its last 120 octets: the end of the DATA body.
    const DATA_TAIL: &[u8] = b"\
mUgYW5kIHNvIHRoZXJlIGlzIGFsc28gYnkgaWQgTm92IERlYyBl\r\n\
c3QgYnkgSWQgRWR0IGJ5CiAgICBmYWN0b3JzIGEgdm9sdW50ZWVycy4gCg==\r\n\
\r\n\
.\r\n";

    fn done<T: std::fmt::Debug>(p: Parsed<T>) -> (T, usize) {
        match p {
            Parsed::Done { value, consumed } => (value, consumed),
            other => panic!("not done: {other:?}"),
        }
    }

    #[test]
    fn dialogue_commands_and_rcpt_match_tshark() {
        let mut rest = DIALOGUE_CLIENT;
        let mut commands = Vec::new();
        while !rest.is_empty() {
            let (command, consumed) = done(parse_command(rest));
            commands.push(command);
            rest = &rest[consumed..];
        }
        assert_eq!(commands[0], Command::Ehlo("delta.peach.mil".into()));
        assert_eq!(commands[1], Command::Helo("delta.peach.mil".into()));
        assert_eq!(
            commands[2],
            Command::MailFrom("coreys@delta.peach.mil".into())
        );
        assert_eq!(commands.last(), Some(&Command::Data));
        let rcpts: Vec<&str> = commands
            .iter()
            .filter_map(|c| match c {
                Command::RcptTo(a) => Some(a.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(rcpts, DIALOGUE_RCPT);
        assert_eq!(commands.len(), 3 + DIALOGUE_RCPT.len() + 1);
    }

    #[test]
    fn dialogue_reply_codes_match_tshark() {
        let mut rest = DIALOGUE_SERVER;
        let mut codes = Vec::new();
        while !rest.is_empty() {
            let (reply, consumed) = done(parse_reply_line(rest));
            assert!(reply.last);
            codes.push(reply.code);
            rest = &rest[consumed..];
        }
        assert_eq!(codes, DIALOGUE_CODES);
        let (greeting, consumed) = done(parse_reply_line(DIALOGUE_SERVER));
        assert_eq!(
            greeting.text,
            "pigeon.eyrie.af.mil ESMTP Sendmail 8.8.7/8.8.7; Sat, 7 Aug 1999 08:20:11 -0400"
        );
        assert_eq!(consumed, 84);
    }

    #[test]
    fn single_commands_from_the_corpus() {
        let cases: [(&[u8], Command); 5] = [
            (QUIT, Command::Quit),
            (STARTTLS, Command::StartTls),
            (AUTH_LOGIN, Command::Auth("LOGIN".into())),
            (
                MAIL_SPACED,
                Command::MailFrom("raulparedes@wanadoo.fr".into()),
            ),
            (RCPT_SPACED, Command::RcptTo("mitzy.torres@2080.cl".into())),
        ];
        for (line, want) in cases {
            assert_eq!(
                parse_command(line),
                Parsed::Done {
                    value: want,
                    consumed: line.len()
                }
            );
        }
    }

    #[test]
    fn multi_line_reply_ends_at_the_space_line() {
        let mut rest = EHLO_REPLY_GOOGLE;
        let mut lines = Vec::new();
        while !rest.is_empty() {
            let (reply, consumed) = done(parse_reply_line(rest));
            lines.push((reply.code, reply.last, reply.text));
            rest = &rest[consumed..];
        }
        assert_eq!(lines.len(), 7);
        assert!(lines.iter().all(|(code, _, _)| *code == 250));
        assert_eq!(lines.iter().filter(|(_, last, _)| *last).count(), 1);
        assert_eq!(lines[6], (250, true, "CHUNKING".into()));
        assert_eq!(lines[3], (250, false, "STARTTLS".into()));
        assert_eq!(
            parse_reply_line(READY_FOR_TLS),
            Parsed::Done {
                value: Reply {
                    code: 220,
                    last: true,
                    text: "2.0.0 Ready to start TLS".into()
                },
                consumed: READY_FOR_TLS.len(),
            }
        );
    }

    #[test]
    fn data_end_is_found_after_the_dot_line() {
        // tshark's smtp.data.reassembled.length for this body is 15262: the
        // 15267 octets minus the 5 of CRLF "." CRLF.
        assert_eq!(find_data_end(DATA_TAIL), Some(DATA_TAIL.len()));
        let mut split = DATA_TAIL.to_vec();
        split.extend_from_slice(b"QUIT\r\n");
        assert_eq!(find_data_end(&split), Some(DATA_TAIL.len()));
        assert_eq!(find_data_end(&DATA_TAIL[..DATA_TAIL.len() - 1]), None);
        assert_eq!(find_data_end(b".\r\n"), Some(3));
        assert_eq!(find_data_end(b".\r\nQUIT\r\n"), Some(3));
        // A dot-stuffed line is not the end.
        assert_eq!(find_data_end(b"a\r\n..\r\nb\r\n"), None);
        assert_eq!(find_data_end(b"\r\n.\r\n"), Some(5));
        assert_eq!(find_data_end(b"a\n.\n"), None);
        assert_eq!(find_data_end(b""), None);
    }

    #[test]
    fn command_variants() {
        let cases: [(&[u8], Command); 16] = [
            (
                b"ehlo [IPv6:2003:de::1]\r\n",
                Command::Ehlo("[IPv6:2003:de::1]".into()),
            ),
            (
                b"mAiL fRoM:<a@b> SIZE=123 BODY=8BITMIME\r\n",
                Command::MailFrom("a@b".into()),
            ),
            (b"MAIL FROM:<>\r\n", Command::MailFrom(String::new())),
            // No brackets: the first word is taken as the address.
            (b"MAIL FROM:a@b SIZE=1\r\n", Command::MailFrom("a@b".into())),
            (
                b"RCPT TO:<@hop1,@hop2:user@d>\r\n",
                Command::RcptTo("user@d".into()),
            ),
            (
                b"RCPT TO:<\"odd>name\"@d> NOTIFY=NEVER\r\n",
                Command::RcptTo("\"odd>name\"@d".into()),
            ),
            (
                b"RCPT TO:<Postmaster>\r\n",
                Command::RcptTo("Postmaster".into()),
            ),
            (
                b"BDAT 1000\r\n",
                Command::Bdat {
                    size: 1000,
                    last: false,
                },
            ),
            (
                b"bdat 0 last\r\n",
                Command::Bdat {
                    size: 0,
                    last: true,
                },
            ),
            (b"RSET\n", Command::Rset),
            (b"NOOP hello\r\n", Command::Noop),
            (b"StartTLS\r\n", Command::StartTls),
            // The initial response (a credential) is not kept.
            (
                b"AUTH plain AGFsaWNlAHNlY3JldA==\r\n",
                Command::Auth("PLAIN".into()),
            ),
            (b"vrfy root\r\n", Command::Other("VRFY".into())),
            (b"X-EXPS GSSAPI\r\n", Command::Other("X-EXPS".into())),
            (b"DATA\r\n", Command::Data),
        ];
        for (line, want) in cases {
            assert_eq!(
                parse_command(line),
                Parsed::Done {
                    value: want,
                    consumed: line.len()
                },
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn hostile_commands_give_the_named_outcome() {
        use anomaly::*;
        let mut long = b"NOOP ".to_vec();
        long.resize(5000, b'x');
        long.extend_from_slice(b"\r\n");
        let mut exactly_max = b"NOOP ".to_vec();
        exactly_max.resize(cap::MAX_LINE - 2, b'x');
        exactly_max.extend_from_slice(b"\r\n");
        let incomplete = Parsed::Incomplete { needed: None };
        let cases: Vec<(Vec<u8>, Parsed<()>)> = vec![
            (b"MAIL FROM:<a@b>".to_vec(), incomplete.clone()),
            (b"MAIL FROM:<a@b>\r".to_vec(), incomplete.clone()),
            (b"QUI".to_vec(), incomplete.clone()),
            (Vec::new(), incomplete.clone()),
            (long.clone(), Parsed::Invalid(LINE_TOO_LONG)),
            (long[..4500].to_vec(), Parsed::Invalid(LINE_TOO_LONG)),
            (
                exactly_max.clone(),
                Parsed::Done {
                    value: (),
                    consumed: cap::MAX_LINE,
                },
            ),
            (b"MAIL <a@b>\r\n".to_vec(), Parsed::Invalid(BAD_PATH)),
            (b"MAIL FROM:\r\n".to_vec(), Parsed::Invalid(BAD_PATH)),
            (b"MAIL FROM:<a@b\r\n".to_vec(), Parsed::Invalid(BAD_PATH)),
            (b"RCPT FROM:<a@b>\r\n".to_vec(), Parsed::Invalid(BAD_PATH)),
            (b"RCPT\r\n".to_vec(), Parsed::Invalid(BAD_PATH)),
            (b"BDAT\r\n".to_vec(), Parsed::Invalid(BAD_BDAT)),
            (b"BDAT -5\r\n".to_vec(), Parsed::Invalid(BAD_BDAT)),
            (b"BDAT 12k LAST\r\n".to_vec(), Parsed::Invalid(BAD_BDAT)),
            (
                b"BDAT 18446744073709551616\r\n".to_vec(),
                Parsed::Invalid(BAD_BDAT),
            ),
            (b"BDAT 10 FIRST\r\n".to_vec(), Parsed::Invalid(BAD_BDAT)),
            (b"BDAT 10 LAST LAST\r\n".to_vec(), Parsed::Invalid(BAD_BDAT)),
            (b"AUTH\r\n".to_vec(), Parsed::Invalid(BAD_AUTH)),
            (b"AUTH PL@IN\r\n".to_vec(), Parsed::Invalid(BAD_AUTH)),
            (b"\r\n".to_vec(), Parsed::Invalid(BAD_COMMAND)),
            (
                b" MAIL FROM:<a@b>\r\n".to_vec(),
                Parsed::Invalid(BAD_COMMAND),
            ),
            (
                b"MAIL\tFROM:<a@b>\r\n".to_vec(),
                Parsed::Invalid(BAD_COMMAND),
            ),
            (b"ABCDEFGHIJKLMNOPQ".to_vec(), Parsed::Invalid(BAD_COMMAND)),
            // A TLS ClientHello sent where a command was expected.
            (
                b"\x16\x03\x01\x02\x00\x01".to_vec(),
                Parsed::Invalid(BAD_COMMAND),
            ),
            (b"HELO\0evil\r\n".to_vec(), Parsed::Invalid(BAD_COMMAND)),
        ];
        for (input, want) in cases {
            let got = parse_command(&input).outcome();
            assert_eq!(
                got,
                want,
                "{}",
                String::from_utf8_lossy(&input[..input.len().min(40)])
            );
        }
    }

    #[test]
    fn hostile_replies_give_the_named_outcome() {
        use anomaly::*;
        let mut long = b"250 ".to_vec();
        long.resize(5000, b'x');
        let incomplete = Parsed::Incomplete { needed: None };
        let cases: Vec<(&[u8], Parsed<()>)> = vec![
            (b"250 OK", incomplete.clone()),
            (b"25", incomplete.clone()),
            (b"", incomplete.clone()),
            (&long, Parsed::Invalid(LINE_TOO_LONG)),
            (
                b"250\r\n",
                Parsed::Done {
                    value: (),
                    consumed: 5,
                },
            ),
            (b"199 low\r\n", Parsed::Invalid(BAD_REPLY)),
            (b"600 high\r\n", Parsed::Invalid(BAD_REPLY)),
            (b"260 second digit\r\n", Parsed::Invalid(BAD_REPLY)),
            (b"25\r\n", Parsed::Invalid(BAD_REPLY)),
            (b"250OK\r\n", Parsed::Invalid(BAD_REPLY)),
            (b"250:OK", Parsed::Invalid(BAD_REPLY)),
            (b"EHLO x\r\n", Parsed::Invalid(BAD_REPLY)),
            (b"\x16\x03\x03", Parsed::Invalid(BAD_REPLY)),
        ];
        for (input, want) in cases {
            let got = parse_reply_line(input).outcome();
            assert_eq!(
                got,
                want,
                "{}",
                String::from_utf8_lossy(&input[..input.len().min(40)])
            );
        }
    }

    fn corpus_commands() -> Vec<&'static [u8]> {
        let mut all: Vec<&[u8]> = DIALOGUE_CLIENT.split_inclusive(|&b| b == b'\n').collect();
        all.extend([QUIT, STARTTLS, AUTH_LOGIN, MAIL_SPACED, RCPT_SPACED]);
        all
    }

    fn corpus_replies() -> Vec<&'static [u8]> {
        DIALOGUE_SERVER
            .split_inclusive(|&b| b == b'\n')
            .chain(EHLO_REPLY_GOOGLE.split_inclusive(|&b| b == b'\n'))
            .chain([READY_FOR_TLS])
            .collect()
    }

    #[test]
    fn every_prefix_is_incomplete() {
        for line in corpus_commands() {
            for len in 0..line.len() {
                assert_eq!(
                    parse_command(&line[..len]),
                    Parsed::Incomplete { needed: None },
                    "{}",
                    String::from_utf8_lossy(&line[..len])
                );
            }
        }
        for line in corpus_replies() {
            for len in 0..line.len() {
                assert_eq!(
                    parse_reply_line(&line[..len]),
                    Parsed::Incomplete { needed: None }
                );
            }
        }
        for len in 0..DATA_TAIL.len() {
            assert_eq!(find_data_end(&DATA_TAIL[..len]), None);
        }
    }

    #[test]
    fn bit_flips_never_panic_nor_overrun() {
        let all: Vec<&[u8]> = corpus_commands()
            .into_iter()
            .chain(corpus_replies())
            .chain([DATA_TAIL])
            .collect();
        for line in all {
            let mut buf = line.to_vec();
            for i in 0..buf.len() {
                let original = buf[i];
                for flipped in [
                    original ^ 0x01,
                    original ^ 0x20,
                    original ^ 0x80,
                    0,
                    b'\n',
                    b'<',
                ] {
                    buf[i] = flipped;
                    if let Parsed::Done { consumed, .. } = parse_command(&buf) {
                        assert!(consumed <= buf.len());
                    }
                    if let Parsed::Done { consumed, .. } = parse_reply_line(&buf) {
                        assert!(consumed <= buf.len());
                    }
                    if let Some(end) = find_data_end(&buf) {
                        assert!(end <= buf.len());
                    }
                }
                buf[i] = original;
            }
        }
    }
}
