//! HTTP/1.x message heads and chunked bodies (RFC 9112), pure functions.
//!
//! The request and response heads go through `httparse`; this file adds the
//! caps, the framing fields (`Content-Length`, `Transfer-Encoding`) and the
//! chunked-body walker. See the module doc (`super`) for what is covered.
//!
//! No function here panics on any input: every index is checked (`get`) or
//! bounded by a `min` on the buffer's length, numbers use checked arithmetic.

use crate::dissect::Parsed;

/// Caps: every loop and every collection here is bounded by one of these.
pub mod cap {
    /// Longest message head (start line, fields and the blank line), bytes.
    pub const MAX_HEAD: usize = 16 * 1024;
    /// Most header fields in one head (and trailer fields after a chunked body).
    pub const MAX_HEADERS: usize = 64;
    /// Longest chunk-size line, extensions and CRLF included, bytes.
    pub const MAX_CHUNK_LINE: usize = 4 * 1024;
    /// Most significant hex digits in a chunk size (a `u64`).
    pub const MAX_CHUNK_SIZE_DIGITS: usize = 16;
    /// Longest trailer section after the last chunk, bytes.
    pub const MAX_TRAILER: usize = 16 * 1024;
    /// Longest method token `looks_like_request` accepts.
    pub const MAX_METHOD_LEN: usize = 24;
    /// How far `looks_like_request` looks for the end of the request line.
    pub const MAX_PROBE_LINE: usize = 8 * 1024;
}

/// Anomaly names returned in [`Parsed::Invalid`].
pub mod anomaly {
    /// The head is not finished within [`super::cap::MAX_HEAD`] bytes.
    pub const HEAD_TOO_LONG: &str = "http.head_too_long";
    /// More than [`super::cap::MAX_HEADERS`] header (or trailer) fields.
    pub const TOO_MANY_HEADERS: &str = "http.too_many_headers";
    /// The request head is not valid HTTP/1.x syntax.
    pub const BAD_REQUEST: &str = "http.bad_request";
    /// The response head is not valid HTTP/1.x syntax.
    pub const BAD_RESPONSE: &str = "http.bad_response";
    /// `Content-Length` is not `1*DIGIT`, overflows, or has differing values.
    pub const BAD_CONTENT_LENGTH: &str = "http.bad_content_length";
    /// A request's `Transfer-Encoding` does not end with `chunked`.
    pub const BAD_TRANSFER_ENCODING: &str = "http.bad_transfer_encoding";
    /// Chunked body syntax error (size, extension, CRLF after data, trailer).
    pub const BAD_CHUNK: &str = "http.bad_chunk";
    /// A chunk-size line longer than [`super::cap::MAX_CHUNK_LINE`].
    pub const CHUNK_LINE_TOO_LONG: &str = "http.chunk_line_too_long";
    /// A trailer section longer than [`super::cap::MAX_TRAILER`].
    pub const TRAILER_TOO_LONG: &str = "http.trailer_too_long";
    /// A request read leniently: its fields are kept, its body's length is
    /// unknown, and the stream resumes at the next request line.
    pub const LENIENT_REQUEST: &str = "http.lenient_request";
    /// Bytes skipped to find the next request or response line (after a
    /// message whose framing could not be trusted).
    pub const RESYNC: &str = "http.resync";
    /// Bytes lost in the capture where HTTP was reading (not inside a body
    /// it had skipped): the stream resumes at the next request or status line.
    pub const GAP: &str = "http.gap";
}

/// Wire constants.
mod wire {
    /// Header names that carry the framing (compared case-insensitively).
    pub const CONTENT_LENGTH: &str = "content-length";
    pub const TRANSFER_ENCODING: &str = "transfer-encoding";
    pub const HOST: &str = "host";
    pub const USER_AGENT: &str = "user-agent";
    /// The transfer coding that frames a body in chunks.
    pub const CHUNKED: &[u8] = b"chunked";
    /// What every HTTP/1.x status line starts with.
    pub const RESPONSE_PREFIX: &[u8] = b"HTTP/1.";
    /// `HTTP/1.x` is this long.
    pub const VERSION_LEN: usize = 8;
    /// Request methods `looks_like_request` knows (RFC 9110 §9, RFC 5789).
    pub const KNOWN_METHODS: [&[u8]; 9] = [
        b"GET", b"POST", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"CONNECT", b"PATCH", b"TRACE",
    ];
}

/// A parsed request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The method token, e.g. `GET`.
    pub method: String,
    /// The request-target as sent (origin-form, absolute-form, authority-form or `*`).
    pub uri: String,
    /// Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    /// The first `Host` field, trimmed (lossy UTF-8).
    pub host: Option<String>,
    /// The first `User-Agent` field, trimmed (lossy UTF-8).
    pub user_agent: Option<String>,
    /// The `Content-Length`, when present (all copies agree).
    pub content_length: Option<u64>,
    /// Whether the final transfer coding is `chunked` (the body is then framed
    /// by [`chunked_body_len`], whatever `content_length` says).
    pub chunked: bool,
}

/// The `version` of an HTTP/0.9 request (a request line without a version):
/// written `0.9`.
pub const HTTP_09: u8 = 9;

/// A request head that strict parsing refused, read as leniently as servers
/// do: the request line is `METHOD SP target [SP HTTP/1.x]` with the target
/// running to the last space before the version (spaces inside it are kept);
/// without a version it is HTTP/0.9 and has no header fields; the `Host` and
/// `User-Agent` fields are kept from any line that reads `name: value`. The
/// body's framing is not trusted (`content_length` and `chunked` are left
/// unset): the caller resumes at the next request line. `None` when the
/// method is not a known one or the head is not complete within
/// [`cap::MAX_HEAD`] bytes.
pub fn lenient_request(buf: &[u8]) -> Option<(Request, usize)> {
    let window = &buf[..buf.len().min(cap::MAX_HEAD)];
    let eol = window.iter().position(|&b| b == b'\n')?;
    let line = window[..eol].strip_suffix(b"\r").unwrap_or(&window[..eol]);
    let sp = line.iter().position(|&b| b == b' ')?;
    let method = &line[..sp];
    if !wire::KNOWN_METHODS.contains(&method) {
        return None;
    }
    let rest = line[sp..].trim_ascii();
    let (target, version) = match rest
        .windows(wire::VERSION_LEN + 1)
        .rposition(|w| w[0] == b' ' && w[1..].starts_with(wire::RESPONSE_PREFIX))
    {
        Some(at) if rest.len() == at + 1 + wire::VERSION_LEN => (
            rest[..at].trim_ascii(),
            rest[rest.len() - 1].wrapping_sub(b'0'),
        ),
        _ => (rest, HTTP_09),
    };
    if target.is_empty() {
        return None;
    }
    let (mut host, mut user_agent) = (None, None);
    let consumed = if version == HTTP_09 {
        eol + 1
    } else {
        let end = window
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 4)
            .or_else(|| window.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))?;
        for l in window[eol + 1..end].split(|&b| b == b'\n') {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            let Some(colon) = l.iter().position(|&b| b == b':') else {
                continue;
            };
            let (name, value) = (l[..colon].trim_ascii(), lossy_trim(&l[colon + 1..]));
            if name.eq_ignore_ascii_case(wire::HOST.as_bytes()) && host.is_none() {
                host = Some(value);
            } else if name.eq_ignore_ascii_case(wire::USER_AGENT.as_bytes()) && user_agent.is_none()
            {
                user_agent = Some(value);
            }
        }
        end
    };
    Some((
        Request {
            method: String::from_utf8_lossy(method).into_owned(),
            uri: String::from_utf8_lossy(target).into_owned(),
            version,
            host,
            user_agent,
            content_length: None,
            chunked: false,
        },
        consumed,
    ))
}

/// A lenient field value: trimmed, and cut at a NUL as C servers (and
/// tshark) read it.
fn lossy_trim(v: &[u8]) -> String {
    let v = &v[..v.iter().position(|&b| b == 0).unwrap_or(v.len())];
    String::from_utf8_lossy(v.trim_ascii()).into_owned()
}

/// Where the next request line (`responses` false) or status line starts in
/// `buf`, after its first byte: a status line at the start of a line; a
/// request line anywhere (a body of unknown length may run into it) as a
/// known method, a space, and a line that ends with `HTTP/1.x`.
pub fn next_message(buf: &[u8], responses: bool) -> Option<usize> {
    if responses {
        let mut at = 0;
        while let Some(nl) = buf[at..].iter().position(|&b| b == b'\n') {
            at += nl + 1;
            if buf[at..].starts_with(wire::RESPONSE_PREFIX) {
                return Some(at);
            }
        }
        return None;
    }
    let is_request_line = |from: usize| {
        let line = &buf[from..];
        let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        line.len() > wire::VERSION_LEN
            && line[line.len() - wire::VERSION_LEN..].starts_with(wire::RESPONSE_PREFIX)
            && buf.len() > from + line.len()
    };
    (1..buf.len()).find(|&i| {
        wire::KNOWN_METHODS.iter().any(|m| {
            buf[i..].starts_with(m) && buf.get(i + m.len()) == Some(&b' ') && is_request_line(i)
        })
    })
}

/// A parsed response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    /// The three-digit status code.
    pub status: u16,
    /// The reason phrase (lossy UTF-8, may be empty).
    pub reason: String,
    /// The `Content-Length`, when present (all copies agree).
    pub content_length: Option<u64>,
    /// Whether the final transfer coding is `chunked`.
    pub chunked: bool,
}

/// The framing fields shared by requests and responses.
struct Framing {
    content_length: Option<u64>,
    /// A `Transfer-Encoding` field is present.
    has_transfer_encoding: bool,
    /// Its last coding is `chunked`.
    chunked: bool,
}

/// httparse's settings: runs of spaces between the parts of a start line are
/// accepted. RFC 9112 §3 allows a recipient to do so ("recipients MAY instead
/// parse on whitespace-delimited word boundaries"), clients and tools that
/// pad the method (ndpi/http-manipulated.pcap) send it, and Wireshark reads it.
fn lenient() -> httparse::ParserConfig {
    let mut c = httparse::ParserConfig::default();
    c.allow_multiple_spaces_in_request_line_delimiters(true)
        .allow_multiple_spaces_in_response_status_delimiters(true);
    c
}

// RFC 9112 §3:
//   request-line   = method SP request-target SP HTTP-version
// RFC 9112 §2.1:
//   HTTP-message   = start-line CRLF
//                    *( field-line CRLF )
//                    CRLF
//                    [ message-body ]
/// Parses a request head from the front of `buf`; `consumed` is the head's
/// length including the blank line, so the body (or the next pipelined
/// request) starts at `buf[consumed..]`.
pub fn parse_request(buf: &[u8]) -> Parsed<Request> {
    let window = &buf[..buf.len().min(cap::MAX_HEAD)];
    match parse_request_head(buf, window) {
        // RFC 9112 §5.2: a recipient of obs-fold in a request may "replace
        // each received obs-fold with one or more SP octets prior to
        // interpreting the field value". Same length: offsets still hold.
        Parsed::Invalid(anomaly::BAD_REQUEST) => match unfold_head(window) {
            Some(unfolded) => parse_request_head(buf, &unfolded),
            None => Parsed::Invalid(anomaly::BAD_REQUEST),
        },
        other => other,
    }
}

/// The head in `window` with each obs-fold (a line break followed by SP or
/// HTAB, after the request line) turned into spaces; `None` if it has none or
/// has no blank line yet.
fn unfold_head(window: &[u8]) -> Option<Vec<u8>> {
    let end = window
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| window.windows(2).position(|w| w == b"\n\n"))?;
    let first_line = window.iter().position(|&b| b == b'\n')?;
    let mut out = window.to_vec();
    let mut changed = false;
    for i in first_line + 1..end {
        if out.get(i) == Some(&b'\n') && matches!(out.get(i + 1), Some(b' ' | b'\t')) {
            out[i] = b' ';
            if out.get(i - 1) == Some(&b'\r') {
                out[i - 1] = b' ';
            }
            changed = true;
        }
    }
    changed.then_some(out)
}

fn parse_request_head(buf: &[u8], window: &[u8]) -> Parsed<Request> {
    let mut headers = [httparse::EMPTY_HEADER; cap::MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let consumed = match lenient().parse_request(&mut req, window) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return head_partial(buf),
        Err(httparse::Error::TooManyHeaders) => return Parsed::Invalid(anomaly::TOO_MANY_HEADERS),
        Err(_) => return Parsed::Invalid(anomaly::BAD_REQUEST),
    };
    let (Some(method), Some(uri), Some(version)) = (req.method, req.path, req.version) else {
        return Parsed::Invalid(anomaly::BAD_REQUEST);
    };
    let framing = match framing(req.headers) {
        Ok(f) => f,
        Err(name) => return Parsed::Invalid(name),
    };
    // RFC 9112 §6.3: "If a Transfer-Encoding header field is present in a
    // request and the chunked transfer coding is not the final encoding, the
    // message body length cannot be determined reliably".
    if framing.has_transfer_encoding && !framing.chunked {
        return Parsed::Invalid(anomaly::BAD_TRANSFER_ENCODING);
    }
    Parsed::Done {
        value: Request {
            method: method.to_string(),
            uri: uri.to_string(),
            version,
            host: first_field(req.headers, wire::HOST),
            user_agent: first_field(req.headers, wire::USER_AGENT),
            content_length: framing.content_length,
            chunked: framing.chunked,
        },
        consumed,
    }
}

// RFC 9112 §4:
//   status-line = HTTP-version SP status-code SP [ reason-phrase ]
//   status-code = 3DIGIT
//   reason-phrase  = 1*( HTAB / SP / VCHAR / obs-text )
/// Parses a response head from the front of `buf`; `consumed` is the head's
/// length including the blank line.
pub fn parse_response(buf: &[u8]) -> Parsed<Response> {
    let window = &buf[..buf.len().min(cap::MAX_HEAD)];
    let mut headers = [httparse::EMPTY_HEADER; cap::MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let consumed = match lenient().parse_response(&mut resp, window) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return head_partial(buf),
        Err(httparse::Error::TooManyHeaders) => return Parsed::Invalid(anomaly::TOO_MANY_HEADERS),
        Err(_) => return Parsed::Invalid(anomaly::BAD_RESPONSE),
    };
    let (Some(version), Some(status)) = (resp.version, resp.code) else {
        return Parsed::Invalid(anomaly::BAD_RESPONSE);
    };
    let framing = match framing(resp.headers) {
        Ok(f) => f,
        Err(name) => return Parsed::Invalid(name),
    };
    // httparse gives an empty reason when it holds obs-text; keep it lossily.
    let reason = match resp.reason {
        Some(r) if !r.is_empty() => r.to_string(),
        _ => raw_reason(window.get(..consumed).unwrap_or_default()),
    };
    Parsed::Done {
        value: Response {
            version,
            status,
            reason,
            content_length: framing.content_length,
            chunked: framing.chunked,
        },
        consumed,
    }
}

/// A head that httparse found unfinished: too long, or wait for more.
fn head_partial<T>(buf: &[u8]) -> Parsed<T> {
    // The window held MAX_HEAD bytes and no blank line: the head is longer.
    if buf.len() >= cap::MAX_HEAD {
        Parsed::Invalid(anomaly::HEAD_TOO_LONG)
    } else {
        Parsed::Incomplete { needed: None }
    }
}

/// The reason phrase of an already validated status line, lossily decoded.
fn raw_reason(head: &[u8]) -> String {
    // Skip leading empty lines (RFC 9112 §2.2), "HTTP/1.x", SP, 3DIGIT.
    let start = head
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(head.len());
    let line = head.get(start..).unwrap_or_default();
    let line_end = line
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(line.len());
    let line = line.get(..line_end).unwrap_or_default();
    // "HTTP/1.1 200 " is VERSION_LEN + 1 + 3 + 1 bytes.
    let reason = line.get(wire::VERSION_LEN + 5..).unwrap_or_default();
    String::from_utf8_lossy(reason).into_owned()
}

/// The first field named `name` (case-insensitive), trimmed, lossy UTF-8.
fn first_field(headers: &[httparse::Header<'_>], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| String::from_utf8_lossy(h.value.trim_ascii()).into_owned())
}

// RFC 9112 §6.1:
//   Transfer-Encoding = #transfer-coding
// RFC 9110 §8.6:
//   Content-Length = 1*DIGIT
//   "a recipient MAY either reject the message as invalid or replace the
//   duplicated field values with a single valid Content-Length field
//   containing that decimal value" (when a list's members are all the same).
/// Reads `Content-Length` and `Transfer-Encoding` over every copy of them.
fn framing(headers: &[httparse::Header<'_>]) -> Result<Framing, &'static str> {
    let mut content_length: Option<u64> = None;
    let mut has_transfer_encoding = false;
    let mut last_coding: &[u8] = &[];
    for h in headers {
        if h.name.eq_ignore_ascii_case(wire::CONTENT_LENGTH) {
            for item in h.value.split(|&b| b == b',') {
                let n = parse_decimal(item.trim_ascii()).ok_or(anomaly::BAD_CONTENT_LENGTH)?;
                if content_length.is_some_and(|c| c != n) {
                    return Err(anomaly::BAD_CONTENT_LENGTH);
                }
                content_length = Some(n);
            }
        } else if h.name.eq_ignore_ascii_case(wire::TRANSFER_ENCODING) {
            has_transfer_encoding = true;
            // The last non-empty list member of the last field is the final coding;
            // a coding may carry parameters (`gzip;q=1`), which end at ';'.
            for item in h.value.split(|&b| b == b',') {
                let coding = item.split(|&b| b == b';').next().unwrap_or_default();
                let coding = coding.trim_ascii();
                if !coding.is_empty() {
                    last_coding = coding;
                }
            }
        }
    }
    Ok(Framing {
        content_length,
        has_transfer_encoding,
        chunked: last_coding.eq_ignore_ascii_case(wire::CHUNKED),
    })
}

/// `1*DIGIT` as a `u64`; `None` when empty, not digits, or overflowing.
fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

// RFC 9110 §5.6.2:
//   token  = 1*tchar
//   tchar  = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//            "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `buf` (the first bytes a client sent) starts like an HTTP/1.x request.
///
/// A known method (GET, POST, HEAD, PUT, DELETE, OPTIONS, CONNECT, PATCH,
/// TRACE) followed by SP is enough, unless the request line is already
/// complete and does not end in `HTTP/1.x` (so `OPTIONS sip:… SIP/2.0` and
/// `OPTIONS rtsp://… RTSP/1.0` are not HTTP). Any other method token
/// (WebDAV's `PROPFIND`...) needs the complete request line ending in `HTTP/1.x`.
pub fn looks_like_request(buf: &[u8]) -> bool {
    let window = &buf[..buf.len().min(cap::MAX_PROBE_LINE)];
    let Some(sp) = window.iter().position(|&b| b == b' ') else {
        return false;
    };
    let method = window.get(..sp).unwrap_or_default();
    if method.is_empty()
        || method.len() > cap::MAX_METHOD_LEN
        || !method.iter().all(|&b| is_tchar(b))
    {
        return false;
    }
    let known = wire::KNOWN_METHODS.contains(&method);
    match request_line_version(window) {
        // Line complete: its last word decides.
        Some(version) => {
            let http1 = version.len() == wire::VERSION_LEN
                && version.starts_with(wire::RESPONSE_PREFIX)
                && version.last().is_some_and(|b| b.is_ascii_digit());
            // HTTP/0.9: `GET /path`, one space, no version.
            let spaces = window
                .iter()
                .take_while(|&&b| b != b'\n')
                .filter(|&&b| b == b' ')
                .count();
            http1 || (method == b"GET" && spaces == 1 && version.starts_with(b"/"))
        }
        // Line not finished yet: only a known method is trusted.
        None => known,
    }
}

/// The last space-separated word of the first line, if the line is complete.
fn request_line_version(window: &[u8]) -> Option<&[u8]> {
    let end = window.iter().position(|&b| b == b'\n')?;
    let line = window.get(..end)?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let sp = line.iter().rposition(|&b| b == b' ')?;
    line.get(sp + 1..)
}

/// Whether `buf` (the first bytes a server sent) starts with `HTTP/1.`.
pub fn looks_like_response(buf: &[u8]) -> bool {
    buf.starts_with(wire::RESPONSE_PREFIX)
}

// RFC 9112 §7.1:
//   chunked-body   = *chunk
//                    last-chunk
//                    trailer-section
//                    CRLF
//
//   chunk          = chunk-size [ chunk-ext ] CRLF
//                    chunk-data CRLF
//   chunk-size     = 1*HEXDIG
//   last-chunk     = 1*("0") [ chunk-ext ] CRLF
//
//   chunk-data     = 1*OCTET ; a sequence of chunk-size octets
// §7.1.1:
//   chunk-ext      = *( BWS ";" BWS chunk-ext-name
//                       [ BWS "=" BWS chunk-ext-val ] )
// §7.1.2:
//   trailer-section   = *( field-line CRLF )
/// Walks a chunked body at the front of `buf` (the bytes right after the
/// head); `consumed` covers every chunk, the last-chunk, the trailer section
/// and its final CRLF. Linear in `buf`; it does not decode the data.
pub fn chunked_body_len(buf: &[u8]) -> Parsed<()> {
    let mut pos = 0usize;
    loop {
        let rest = buf.get(pos..).unwrap_or_default();
        let (size, line_len) = match chunk_size_line(rest) {
            Parsed::Done { value, consumed } => (value, consumed),
            Parsed::Incomplete { .. } => return Parsed::Incomplete { needed: None },
            Parsed::Invalid(name) => return Parsed::Invalid(name),
        };
        pos += line_len;
        if size == 0 {
            return match trailer_section(buf.get(pos..).unwrap_or_default()) {
                Parsed::Done { consumed, .. } => Parsed::Done {
                    value: (),
                    consumed: pos + consumed,
                },
                Parsed::Incomplete { .. } => Parsed::Incomplete { needed: None },
                Parsed::Invalid(name) => Parsed::Invalid(name),
            };
        }
        // chunk-data CRLF. A size beyond usize is simply never complete.
        let Some(data_end) = usize::try_from(size).ok().and_then(|s| pos.checked_add(s)) else {
            return Parsed::Incomplete { needed: None };
        };
        let Some(crlf_end) = data_end.checked_add(2) else {
            return Parsed::Incomplete { needed: None };
        };
        match buf.get(data_end..crlf_end) {
            Some(b"\r\n") => pos = crlf_end,
            Some(_) => return Parsed::Invalid(anomaly::BAD_CHUNK),
            None => {
                // Not all there yet; a lone CR already in place must be followed by LF.
                if buf.get(data_end).is_some_and(|&b| b != b'\r') {
                    return Parsed::Invalid(anomaly::BAD_CHUNK);
                }
                return Parsed::Incomplete { needed: None };
            }
        }
    }
}

/// One `chunk-size [ chunk-ext ] CRLF` line: the size and the line's length.
pub fn chunk_size_line(buf: &[u8]) -> Parsed<u64> {
    let window = &buf[..buf.len().min(cap::MAX_CHUNK_LINE)];
    let mut size: u64 = 0;
    let mut significant = 0usize;
    let mut i = 0usize;
    // 1*HEXDIG
    while let Some(&b) = window.get(i) {
        let Some(d) = (b as char).to_digit(16) else {
            break;
        };
        if size != 0 || d != 0 {
            significant += 1;
        }
        if significant > cap::MAX_CHUNK_SIZE_DIGITS {
            return Parsed::Invalid(anomaly::BAD_CHUNK);
        }
        size = (size << 4) | u64::from(d);
        i += 1;
    }
    if i == 0 {
        return match window.first() {
            None => Parsed::Incomplete { needed: None },
            Some(_) => Parsed::Invalid(anomaly::BAD_CHUNK),
        };
    }
    // [ chunk-ext ] CRLF: BWS, then ';' and extension text, then CRLF. The
    // extension's inner syntax is not checked beyond "no control bytes".
    let mut in_ext = false;
    while let Some(&b) = window.get(i) {
        match b {
            b'\r' => {
                return match window.get(i + 1) {
                    Some(b'\n') => Parsed::Done {
                        value: size,
                        consumed: i + 2,
                    },
                    Some(_) => Parsed::Invalid(anomaly::BAD_CHUNK),
                    None if buf.len() > window.len() => {
                        Parsed::Invalid(anomaly::CHUNK_LINE_TOO_LONG)
                    }
                    None => Parsed::Incomplete { needed: None },
                };
            }
            b' ' | b'\t' => {}
            b';' => in_ext = true,
            _ if in_ext && b != 0x7f && b >= 0x20 => {}
            _ => return Parsed::Invalid(anomaly::BAD_CHUNK),
        }
        i += 1;
    }
    if buf.len() >= cap::MAX_CHUNK_LINE {
        Parsed::Invalid(anomaly::CHUNK_LINE_TOO_LONG)
    } else {
        Parsed::Incomplete { needed: None }
    }
}

/// `trailer-section CRLF`: its length, final CRLF included.
pub fn trailer_section(buf: &[u8]) -> Parsed<()> {
    let window = &buf[..buf.len().min(cap::MAX_TRAILER)];
    let mut fields = [httparse::EMPTY_HEADER; cap::MAX_HEADERS];
    match httparse::parse_headers(window, &mut fields) {
        Ok(httparse::Status::Complete((consumed, _))) => Parsed::Done {
            value: (),
            consumed,
        },
        Ok(httparse::Status::Partial) if buf.len() >= cap::MAX_TRAILER => {
            Parsed::Invalid(anomaly::TRAILER_TOO_LONG)
        }
        Ok(httparse::Status::Partial) => Parsed::Incomplete { needed: None },
        Err(httparse::Error::TooManyHeaders) => Parsed::Invalid(anomaly::TOO_MANY_HEADERS),
        Err(_) => Parsed::Invalid(anomaly::BAD_CHUNK),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real messages from /work/shared/corpus; every field asserted below was
    // compared with `tshark -T fields -e http.host -e http.user_agent
    // -e http.response.code -e http.response.phrase -e http.content_length`.

    /// ndpi/http.pcapng frame 4 (curl to google.com), TCP payload.
    const GOOGLE_GET: [u8; 74] = *b"GET / HTTP/1.1\r\n\
Host: google.com\r\n\
User-Agent: curl/7.68.0\r\n\
Accept: */*\r\n\
\r\n";

    /// ndpi/http.pcapng frame 6: the answer to GOOGLE_GET, head and 219-byte body.
    const GOOGLE_301: [u8; 528] = *b"HTTP/1.1 301 Moved Permanently\r\n\
Location: http://www.google.com/\r\n\
Content-Type: text/html; charset=UTF-8\r\n\
Date: Tue, 25 Jan 2022 16:50:41 GMT\r\n\
Expires: Thu, 24 Feb 2022 16:50:41 GMT\r\n\
Cache-Control: public, max-age=2592000\r\n\
Server: gws\r\n\
Content-Length: 219\r\n\
X-XSS-Protection: 0\r\n\
X-Frame-Options: SAMEORIGIN\r\n\
\r\n\
<HTML><HEAD><meta http-equiv=\"content-type\" content=\"text/html;charset=utf-8\">\n\
<TITLE>301 Moved</TITLE></HEAD><BODY>\n\
<H1>301 Moved</H1>\n\
The document has moved\n\
<A HREF=\"http://www.google.com/\">here</A>.\r\n\
</BODY></HTML>\r\n";

    /// ndpi/http_connect.pcap frame 4, TCP payload.
    const CONNECT_REQ: [u8; 203] = *b"CONNECT apache.org:443 HTTP/1.1\r\n\
User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:92.0) Gecko/20100101 Firefox/92.0\r\n\
Proxy-Connection: keep-alive\r\n\
Connection: keep-alive\r\n\
Host: apache.org:443\r\n\
\r\n";

    /// ndpi/http-lines-split.pcap frame 4: first segment of a request.
    const SPLIT_1: [u8; 38] = *b"GET / HTTP/1.1\r\n\
Host: toni.lan:31337\r\n";

    /// ndpi/http-lines-split.pcap frame 6: second segment of the same request.
    const SPLIT_2: [u8; 29] = *b"User-Agent: uclient-fetch\r\n\
\r\n";

    /// ndpi/http-lines-split.pcap frame 8: the status line alone in its segment.
    const SPLIT_RESP_1: [u8; 17] = *b"HTTP/1.0 200 OK\r\n";

    /// ndpi/http-lines-split.pcap frame 9, first 154 bytes: the rest of the
    /// head and the first 15 body bytes.
    const SPLIT_RESP_2: [u8; 154] = *b"Server: SimpleHTTP/0.6 Python/2.7.16\r\n\
Date: Thu, 02 Jul 2020 18:09:00 GMT\r\n\
Content-type: text/html; charset=UTF-8\r\n\
Content-Length: 1476\r\n\
\r\n\
<!DOCTYPE html ";

    /// ndpi/dotenv.pcap frame 4, TCP payload.
    const DOTENV_GET: [u8; 82] = *b"GET /.env HTTP/1.1\r\n\
Host: sevenpitaly.com\r\n\
User-Agent: curl/8.4.0\r\n\
Accept: */*\r\n\
\r\n";

    /// ndpi/dotenv.pcap frame 6: a chunked response, one 0x29-byte chunk.
    const DOTENV_406: [u8; 231] = *b"HTTP/1.1 406 Not Acceptable\r\n\
Server: openresty\r\n\
Date: Wed, 03 Apr 2024 13:07:05 GMT\r\n\
Content-Type: application/octet-stream\r\n\
Transfer-Encoding: chunked\r\n\
Connection: keep-alive\r\n\
\r\n\
29\r\n\
Not Acceptable - block_uri_equal : /.env\n\
\r\n\
0\r\n\
\r\n";

    /// Head length of DOTENV_406 (everything before "29\r\n").
    const DOTENV_406_HEAD: usize = 179;

    fn done<T: std::fmt::Debug>(p: Parsed<T>) -> (T, usize) {
        match p {
            Parsed::Done { value, consumed } => (value, consumed),
            other => panic!("expected Done, got {other:?}"),
        }
    }

    /// Content-Length and chunked of a request, or how it failed.
    type FramingOutcome = Result<(Option<u64>, bool), &'static str>;

    fn concat(parts: &[&[u8]]) -> Vec<u8> {
        parts.iter().flat_map(|p| p.iter().copied()).collect()
    }

    #[test]
    fn obs_fold_in_a_request_is_read_as_spaces() {
        // ndpi/gnutella.pcap, tcp.stream 135 frame 4 (shortened): gtk-gnutella
        // continues X-FW-Node-Info on a line starting with a tab.
        let req = b"GET /uri-res/N2R?urn:sha1:LXIP2A72 HTTP/1.1\r\n\
            Host: 189.147.72.83:26108\r\n\
            X-FW-Node-Info: 74e8; 28681:93.47.226.53;\r\n\
            \t188.61.52.183:11852\r\n\
            \r\nnext";
        let (r, consumed) = done(parse_request(req));
        assert_eq!(r.host.as_deref(), Some("189.147.72.83:26108"));
        assert_eq!(consumed, req.len() - 4);
        // A fold in the request line itself is not unfolded: still refused.
        assert_eq!(
            parse_request(b"GET /a\r\n HTTP/1.1\r\nHost: x\r\n\r\n").outcome(),
            Parsed::Invalid(anomaly::BAD_REQUEST)
        );
    }

    #[test]
    fn curl_get_matches_tshark() {
        let (req, consumed) = done(parse_request(&GOOGLE_GET));
        assert_eq!(consumed, GOOGLE_GET.len());
        assert_eq!(
            req,
            Request {
                method: "GET".into(),
                uri: "/".into(),
                version: 1,
                host: Some("google.com".into()),
                user_agent: Some("curl/7.68.0".into()),
                content_length: None,
                chunked: false,
            }
        );
    }

    #[test]
    fn connect_request_keeps_authority_form() {
        let (req, consumed) = done(parse_request(&CONNECT_REQ));
        assert_eq!(consumed, CONNECT_REQ.len());
        assert_eq!(req.method, "CONNECT");
        assert_eq!(req.uri, "apache.org:443");
        assert_eq!(req.host.as_deref(), Some("apache.org:443"));
        assert_eq!(
            req.user_agent.as_deref(),
            Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:92.0) Gecko/20100101 Firefox/92.0")
        );
    }

    #[test]
    fn response_consumed_is_head_and_content_length_is_the_rest() {
        let (resp, consumed) = done(parse_response(&GOOGLE_301));
        assert_eq!(
            resp,
            Response {
                version: 1,
                status: 301,
                reason: "Moved Permanently".into(),
                content_length: Some(219),
                chunked: false,
            }
        );
        assert_eq!(consumed + 219, GOOGLE_301.len());
    }

    #[test]
    fn request_split_across_segments_is_incomplete_then_done() {
        assert_eq!(parse_request(&SPLIT_1), Parsed::Incomplete { needed: None });
        let whole = concat(&[&SPLIT_1, &SPLIT_2]);
        let (req, consumed) = done(parse_request(&whole));
        assert_eq!(consumed, whole.len());
        assert_eq!(req.host.as_deref(), Some("toni.lan:31337"));
        assert_eq!(req.user_agent.as_deref(), Some("uclient-fetch"));
    }

    #[test]
    fn response_split_across_segments_is_incomplete_then_done() {
        assert_eq!(
            parse_response(&SPLIT_RESP_1),
            Parsed::Incomplete { needed: None }
        );
        let whole = concat(&[&SPLIT_RESP_1, &SPLIT_RESP_2]);
        let (resp, consumed) = done(parse_response(&whole));
        assert_eq!((resp.version, resp.status), (0, 200));
        assert_eq!(resp.reason, "OK");
        assert_eq!(resp.content_length, Some(1476));
        assert_eq!(whole.get(consumed..), Some(&b"<!DOCTYPE html "[..]));
    }

    #[test]
    fn pipelined_requests_are_found_one_after_the_other() {
        // Two real requests back to back, as a pipelining client sends them.
        let both = concat(&[&GOOGLE_GET, &DOTENV_GET]);
        let (first, n1) = done(parse_request(&both));
        assert_eq!(first.host.as_deref(), Some("google.com"));
        assert_eq!(n1, GOOGLE_GET.len());
        let (second, n2) = done(parse_request(&both[n1..]));
        assert_eq!(second.uri, "/.env");
        assert_eq!(second.host.as_deref(), Some("sevenpitaly.com"));
        assert_eq!(second.user_agent.as_deref(), Some("curl/8.4.0"));
        assert_eq!(n1 + n2, both.len());
    }

    #[test]
    fn chunked_response_body_ends_after_last_chunk() {
        let (resp, consumed) = done(parse_response(&DOTENV_406));
        assert_eq!(consumed, DOTENV_406_HEAD);
        assert_eq!((resp.status, resp.reason.as_str()), (406, "Not Acceptable"));
        assert!(resp.chunked);
        assert_eq!(resp.content_length, None);
        let body = &DOTENV_406[consumed..];
        assert_eq!(
            chunked_body_len(body),
            Parsed::Done {
                value: (),
                consumed: body.len()
            }
        );
        // Followed by the next response: still ends at the same place.
        let more = concat(&[body, &GOOGLE_301]);
        assert_eq!(
            chunked_body_len(&more),
            Parsed::Done {
                value: (),
                consumed: body.len()
            }
        );
    }

    #[test]
    fn chunked_body_with_extensions_and_trailers() {
        let body = b"4;name=\"v\"\r\nWiki\r\n5 ; x\r\npedia\r\n000;end\r\nExpires: never\r\nX-A: b\r\n\r\nNEXT";
        assert_eq!(
            chunked_body_len(body),
            Parsed::Done {
                value: (),
                consumed: body.len() - 4
            }
        );
    }

    #[test]
    fn framing_fields_follow_rfc9112_section_6() {
        let cases: &[(&[u8], FramingOutcome)] = &[
            (
                b"POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n",
                Ok((Some(5), false)),
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n",
                Ok((Some(5), false)),
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                Ok((None, true)),
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip;q=1, chunked ;x\r\n\r\n",
                Ok((None, true)),
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\nContent-Length: 3\r\n\r\n",
                Ok((Some(3), true)),
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n",
                Err("http.bad_content_length"),
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                Err("http.bad_content_length"),
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                Err("http.bad_content_length"),
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
                Err("http.bad_content_length"),
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n",
                Err("http.bad_content_length"),
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n",
                Err("http.bad_content_length"),
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                Err("http.bad_transfer_encoding"),
            ),
        ];
        for (input, want) in cases {
            let got = match parse_request(input) {
                Parsed::Done { value, .. } => Ok((value.content_length, value.chunked)),
                Parsed::Incomplete { .. } => Err("incomplete"),
                Parsed::Invalid(n) => Err(n),
            };
            assert_eq!(&got, want, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn response_with_final_coding_other_than_chunked_is_read_until_close() {
        let (resp, _) = done(parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        ));
        assert!(!resp.chunked);
    }

    #[test]
    fn obs_text_reason_phrase_is_kept_lossily() {
        let (resp, _) = done(parse_response(b"HTTP/1.1 200 Gut \xfcberall\r\n\r\n"));
        assert_eq!(resp.reason, "Gut \u{fffd}berall");
        let (resp, _) = done(parse_response(b"HTTP/1.1 204\r\n\r\n"));
        assert_eq!((resp.status, resp.reason.as_str()), (204, ""));
    }

    #[test]
    fn hostile_request_heads_give_named_outcomes() {
        let hundred_headers: Vec<u8> = {
            let mut v = b"GET / HTTP/1.1\r\n".to_vec();
            for i in 0..100 {
                v.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
            }
            v.extend_from_slice(b"\r\n");
            v
        };
        let head_20k_complete: Vec<u8> = concat(&[
            b"GET / HTTP/1.1\r\nX-Big: ",
            &[b'a'; 20 * 1024],
            b"\r\n\r\n",
        ]);
        let head_20k_unfinished: Vec<u8> =
            concat(&[b"GET / HTTP/1.1\r\nX-Big: ", &[b'a'; 20 * 1024]]);
        let head_16k_exactly: Vec<u8> = {
            let fill = cap::MAX_HEAD - b"GET / HTTP/1.1\r\nX: \r\n\r\n".len();
            concat(&[b"GET / HTTP/1.1\r\nX: ", &vec![b'a'; fill], b"\r\n\r\n"])
        };
        let cases: &[(&str, &[u8], Parsed<()>)] = &[
            (
                "header line without its CRLF yet",
                b"GET / HTTP/1.1\r\nHost: a",
                Parsed::Incomplete { needed: None },
            ),
            (
                "bare CR ends a header line",
                b"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
                Parsed::Invalid("http.bad_request"),
            ),
            (
                "NUL in header value",
                b"GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n",
                Parsed::Invalid("http.bad_request"),
            ),
            (
                "NUL in header name",
                b"GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n",
                Parsed::Invalid("http.bad_request"),
            ),
            (
                "NUL in method",
                b"G\0T / HTTP/1.1\r\n\r\n",
                Parsed::Invalid("http.bad_request"),
            ),
            (
                "HTTP/2.0 is not HTTP/1.x",
                b"GET / HTTP/2.0\r\n\r\n",
                Parsed::Invalid("http.bad_request"),
            ),
            (
                "no request-target",
                b"GET  HTTP/1.1\r\n\r\n",
                Parsed::Invalid("http.bad_request"),
            ),
            (
                "a response is not a request",
                b"HTTP/1.1 200 OK\r\n\r\n",
                Parsed::Invalid("http.bad_request"),
            ),
            (
                "100 headers",
                &hundred_headers,
                Parsed::Invalid("http.too_many_headers"),
            ),
            (
                "20 KiB head, complete",
                &head_20k_complete,
                Parsed::Invalid("http.head_too_long"),
            ),
            (
                "20 KiB head, unfinished",
                &head_20k_unfinished,
                Parsed::Invalid("http.head_too_long"),
            ),
            ("empty input", b"", Parsed::Incomplete { needed: None }),
        ];
        for (what, input, want) in cases {
            let got = parse_request(input).outcome();
            assert_eq!(&got, want, "{what}");
        }
        // The cap is inclusive: a head of exactly MAX_HEAD bytes is accepted.
        assert_eq!(head_16k_exactly.len(), cap::MAX_HEAD);
        assert_eq!(done(parse_request(&head_16k_exactly)).1, cap::MAX_HEAD);
    }

    #[test]
    fn bare_lf_line_ends_are_accepted_as_rfc9112_allows() {
        // RFC 9112 §2.2: a recipient MAY recognize a single LF as a line
        // terminator; httparse does.
        let (req, consumed) = done(parse_request(b"GET / HTTP/1.0\nHost: a\n\n"));
        assert_eq!(
            (req.version, req.host.as_deref(), consumed),
            (0, Some("a"), 24)
        );
    }

    #[test]
    fn hostile_response_heads_give_named_outcomes() {
        let cases: &[(&str, &[u8], Parsed<()>)] = &[
            (
                "two-digit status",
                b"HTTP/1.1 20 OK\r\n\r\n",
                Parsed::Invalid("http.bad_response"),
            ),
            (
                "HTTP/1.2",
                b"HTTP/1.2 200 OK\r\n\r\n",
                Parsed::Invalid("http.bad_response"),
            ),
            (
                "request instead",
                b"GET / HTTP/1.1\r\n\r\n",
                Parsed::Invalid("http.bad_response"),
            ),
            (
                "NUL in value",
                b"HTTP/1.1 200 OK\r\nServer: a\0\r\n\r\n",
                Parsed::Invalid("http.bad_response"),
            ),
            (
                "status line only",
                b"HTTP/1.1 200 OK\r\n",
                Parsed::Incomplete { needed: None },
            ),
            (
                "bad length",
                b"HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n",
                Parsed::Invalid("http.bad_content_length"),
            ),
        ];
        for (what, input, want) in cases {
            let got = parse_response(input).outcome();
            assert_eq!(&got, want, "{what}");
        }
    }

    #[test]
    fn hostile_chunked_bodies_give_named_outcomes() {
        let long_ext = concat(&[
            b"5;",
            &[b'x'; cap::MAX_CHUNK_LINE],
            b"\r\nhello\r\n0\r\n\r\n",
        ]);
        let long_trailer = concat(&[b"0\r\nX: ", &[b'y'; cap::MAX_TRAILER], b"\r\n\r\n"]);
        let many_trailers: Vec<u8> = {
            let mut v = b"0\r\n".to_vec();
            for i in 0..100 {
                v.extend_from_slice(format!("T{i}: v\r\n").as_bytes());
            }
            v.extend_from_slice(b"\r\n");
            v
        };
        let cases: &[(&str, &[u8], Parsed<()>)] = &[
            ("not hex", b"zz\r\n", Parsed::Invalid("http.bad_chunk")),
            (
                "negative size",
                b"-1\r\n",
                Parsed::Invalid("http.bad_chunk"),
            ),
            (
                "size then garbage",
                b"5x\r\nhello\r\n",
                Parsed::Invalid("http.bad_chunk"),
            ),
            (
                "bare LF after size",
                b"5\nhello\r\n0\r\n\r\n",
                Parsed::Invalid("http.bad_chunk"),
            ),
            (
                "CR not followed by LF",
                b"5\rhello",
                Parsed::Invalid("http.bad_chunk"),
            ),
            (
                "data longer than size",
                b"5\r\nhelloXX0\r\n\r\n",
                Parsed::Invalid("http.bad_chunk"),
            ),
            (
                "data then lone CR then junk",
                b"5\r\nhello\rX",
                Parsed::Invalid("http.bad_chunk"),
            ),
            (
                "control byte in extension",
                b"5;a\x01\r\nhello\r\n",
                Parsed::Invalid("http.bad_chunk"),
            ),
            (
                "17 significant hex digits",
                b"11111111111111111\r\n",
                Parsed::Invalid("http.bad_chunk"),
            ),
            (
                "leading zeros do not count",
                b"00000000000000000000001\r\na\r\n0\r\n\r\n",
                Parsed::Done {
                    value: (),
                    consumed: 33,
                },
            ),
            (
                "huge size waits",
                b"ffffffffffffffff\r\nabc",
                Parsed::Incomplete { needed: None },
            ),
            (
                "data cut short",
                b"5\r\nhel",
                Parsed::Incomplete { needed: None },
            ),
            (
                "CRLF after data cut in half",
                b"5\r\nhello\r",
                Parsed::Incomplete { needed: None },
            ),
            (
                "no last chunk yet",
                b"5\r\nhello\r\n",
                Parsed::Incomplete { needed: None },
            ),
            (
                "trailer not finished",
                b"0\r\nX: y\r\n",
                Parsed::Incomplete { needed: None },
            ),
            (
                "bad trailer line",
                b"0\r\nX y\r\n\r\n",
                Parsed::Invalid("http.bad_chunk"),
            ),
            (
                "extension over the line cap",
                &long_ext,
                Parsed::Invalid("http.chunk_line_too_long"),
            ),
            (
                "trailer over its cap",
                &long_trailer,
                Parsed::Invalid("http.trailer_too_long"),
            ),
            (
                "100 trailer fields",
                &many_trailers,
                Parsed::Invalid("http.too_many_headers"),
            ),
            ("empty", b"", Parsed::Incomplete { needed: None }),
        ];
        for (what, input, want) in cases {
            assert_eq!(&chunked_body_len(input), want, "{what}");
        }
    }

    #[test]
    fn probes_recognise_http_and_not_sip_or_rtsp() {
        let cases: &[(&[u8], bool)] = &[
            (&GOOGLE_GET, true),
            (&CONNECT_REQ, true),
            (&SPLIT_1, true),
            (b"GET ", true),
            (b"POST /x", true),
            (b"PROPFIND /dav HTTP/1.1\r\n", true),
            (b"PROPFIND /dav", false),
            (b"OPTIONS sip:bob@example.com SIP/2.0\r\n", false),
            (b"OPTIONS rtsp://cam/ RTSP/1.0\r\n", false),
            (b"GET\r\n", false),
            (b"get / HTTP/1.1\r\n", true),
            (b"G(T / HTTP/1.1\r\n", false),
            (b"\x16\x03\x01\x02\x00", false),
            (b"", false),
        ];
        for (input, want) in cases {
            assert_eq!(
                looks_like_request(input),
                *want,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        assert!(looks_like_response(&GOOGLE_301));
        assert!(looks_like_response(&SPLIT_RESP_1));
        assert!(!looks_like_response(b"HTTP/2 200"));
        assert!(!looks_like_response(b"HTTP/"));
        assert!(!looks_like_response(&GOOGLE_GET));
    }

    /// Every prefix of a message: never Done before the real end of the head.
    #[test]
    fn prefixes_are_incomplete_never_done() {
        let requests: [&[u8]; 4] = [
            &GOOGLE_GET,
            &CONNECT_REQ,
            &DOTENV_GET,
            &concat(&[&SPLIT_1, &SPLIT_2]),
        ];
        for msg in requests {
            let (_, head) = done(parse_request(msg));
            for n in 0..head {
                assert_eq!(
                    parse_request(&msg[..n]),
                    Parsed::Incomplete { needed: None },
                    "request prefix {n}"
                );
            }
        }
        let responses: [&[u8]; 2] = [&GOOGLE_301, &DOTENV_406];
        for msg in responses {
            let (_, head) = done(parse_response(msg));
            for n in 0..head {
                assert_eq!(
                    parse_response(&msg[..n]),
                    Parsed::Incomplete { needed: None },
                    "response prefix {n}"
                );
            }
        }
        let body = &DOTENV_406[DOTENV_406_HEAD..];
        for n in 0..body.len() {
            assert_eq!(
                chunked_body_len(&body[..n]),
                Parsed::Incomplete { needed: None },
                "body prefix {n}"
            );
        }
    }

    /// Bit flips anywhere never panic, and a Done never claims more than it was given.
    #[test]
    fn bit_flips_never_panic_or_overrun() {
        let msgs: [&[u8]; 4] = [&GOOGLE_GET, &CONNECT_REQ, &GOOGLE_301, &DOTENV_406];
        for msg in msgs {
            for i in 0..msg.len() {
                for mask in [0x01u8, 0x20, 0x80, 0xff] {
                    let mut m = msg.to_vec();
                    m[i] ^= mask;
                    if let Parsed::Done { consumed, .. } = parse_request(&m) {
                        assert!(consumed <= m.len());
                    }
                    if let Parsed::Done { consumed, .. } = parse_response(&m) {
                        assert!(consumed <= m.len());
                    }
                    if let Parsed::Done { consumed, .. } = chunked_body_len(&m) {
                        assert!(consumed <= m.len());
                    }
                    let _ = (looks_like_request(&m), looks_like_response(&m));
                }
            }
        }
    }
}
