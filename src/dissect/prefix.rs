//! Preambles that carry a stream without being its application: a proxy's
//! PROXY protocol header and the SOCKS5 handshake. While a TCP flow is still
//! being probed, the engine skips them ([`skip`]) and probes what follows, so
//! that HTTP through a SOCKS proxy, or TLS behind a load balancer, is read as
//! HTTP and TLS.
//!
//! Only complete preambles at the front of a direction's unread bytes are
//! skipped; anything else is left to the dissectors' probes.

use super::Direction;

/// Wire constants.
mod wire {
    /// PROXY protocol v1 (haproxy proxy-protocol.txt §2.1): `PROXY ` then the
    /// rest of a line ended by CRLF, 107 bytes at most.
    pub const V1_PREFIX: &[u8] = b"PROXY ";
    pub const V1_MAX: usize = 107;
    /// PROXY protocol v2 (§2.2): a 12-byte signature, version/command, family,
    /// then a 16-bit big-endian length of the addresses that follow.
    pub const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
    pub const V2_HEADER: usize = 16;
    /// SOCKS version 5 (RFC 1928).
    pub const SOCKS5: u8 = 0x05;
    /// Address types of a SOCKS5 request or reply (RFC 1928 §4, §5).
    pub const ATYP_IPV4: u8 = 0x01;
    pub const ATYP_DOMAIN: u8 = 0x03;
    pub const ATYP_IPV6: u8 = 0x04;
    /// Most methods a client offers that we believe (RFC 1928 allows 255).
    pub const MAX_METHODS: usize = 16;
}

/// What was skipped: a counter name for the flow's anomalies table, and the
/// number of bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// `stream.proxy_protocol` or `stream.socks5`.
    pub what: &'static str,
    /// Bytes to skip.
    pub len: usize,
}

/// The preamble at the front of `data`, sent in direction `dir`, if a complete
/// one is there.
pub fn skip(dir: Direction, data: &[u8]) -> Option<Skipped> {
    let socks = |len| Skipped {
        what: "stream.socks5",
        len,
    };
    match dir {
        Direction::ToResponder => proxy_v1(data)
            .or_else(|| proxy_v2(data))
            .map(|len| Skipped {
                what: "stream.proxy_protocol",
                len,
            })
            // A CONNECT starts like a one-method greeting (05 01 00): the
            // longer reading is tried first.
            .or_else(|| socks_address_message(data, true).map(socks))
            .or_else(|| socks_greeting(data).map(socks)),
        Direction::ToOriginator => socks_choice(data)
            .or_else(|| socks_address_message(data, false))
            .map(socks),
    }
}

// PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n
fn proxy_v1(data: &[u8]) -> Option<usize> {
    if !data.starts_with(wire::V1_PREFIX) {
        return None;
    }
    let window = data.get(..data.len().min(wire::V1_MAX))?;
    let cr = window.windows(2).position(|w| w == b"\r\n")?;
    let line = window.get(..cr)?;
    line.iter()
        .all(|b| b.is_ascii_graphic() || *b == b' ')
        .then_some(cr + 2)
}

fn proxy_v2(data: &[u8]) -> Option<usize> {
    let head = data.get(..wire::V2_HEADER)?;
    if !head.starts_with(wire::V2_SIGNATURE) || head[12] >> 4 != 2 {
        return None;
    }
    let len = u16::from_be_bytes([head[14], head[15]]) as usize;
    let total = wire::V2_HEADER + len;
    (data.len() >= total).then_some(total)
}

// RFC 1928 §3: VER | NMETHODS | METHODS (1 to 255 octets)
fn socks_greeting(data: &[u8]) -> Option<usize> {
    let [wire::SOCKS5, n, ..] = *data else {
        return None;
    };
    let n = n as usize;
    if n == 0 || n > wire::MAX_METHODS {
        return None;
    }
    let methods = data.get(2..2 + n)?;
    // 0x00 no auth, 0x01 GSSAPI, 0x02 password, 0x03-0x7f IANA, 0x80-0xfe
    // private; 0xff "no acceptable methods" is only a reply.
    methods.iter().all(|&m| m != 0xff).then_some(2 + n)
}

// RFC 1928 §3: the server's choice, VER | METHOD.
fn socks_choice(data: &[u8]) -> Option<usize> {
    match *data {
        // Exactly the two bytes: a longer message starting 05 is a reply.
        [wire::SOCKS5, m] if m != 0xff => Some(2),
        [wire::SOCKS5, m, wire::SOCKS5, ..] if m != 0xff => Some(2),
        _ => None,
    }
}

// RFC 1928 §4 (request) and §6 (reply):
//   VER | CMD or REP | RSV (0x00) | ATYP | DST.ADDR or BND.ADDR | PORT (2)
fn socks_address_message(data: &[u8], request: bool) -> Option<usize> {
    let [wire::SOCKS5, code, 0x00, atyp, ..] = *data else {
        return None;
    };
    // Requests: CONNECT 1, BIND 2, UDP ASSOCIATE 3; replies: 0 to 8.
    let code_ok = if request {
        (1..=3).contains(&code)
    } else {
        code <= 8
    };
    if !code_ok {
        return None;
    }
    let addr = match atyp {
        wire::ATYP_IPV4 => 4,
        wire::ATYP_IPV6 => 16,
        wire::ATYP_DOMAIN => 1 + *data.get(4)? as usize,
        _ => return None,
    };
    let total = 4 + addr + 2;
    (data.len() >= total).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UP: Direction = Direction::ToResponder;
    const DOWN: Direction = Direction::ToOriginator;

    #[test]
    fn socks5_handshake_of_ndpi_socks_pcap() {
        // ndpi/socks.pcap frames 4 to 7: greeting, choice, CONNECT to a
        // domain, success reply; frame 8 is the HTTP request.
        let greeting = [0x05, 0x01, 0x00];
        assert_eq!(skip(UP, &greeting).map(|s| s.len), Some(3));
        assert_eq!(skip(DOWN, &[0x05, 0x00]).map(|s| s.len), Some(2));
        let mut connect = vec![0x05, 0x01, 0x00, 0x03, 14];
        connect.extend_from_slice(b"www.google.com");
        connect.extend_from_slice(&[0x00, 0x50]);
        assert_eq!(
            skip(UP, &connect),
            Some(Skipped {
                what: "stream.socks5",
                len: 21
            })
        );
        let reply = [0x05, 0x00, 0x00, 0x01, 10, 0, 0, 2, 0x53, 0xe5];
        assert_eq!(skip(DOWN, &reply).map(|s| s.len), Some(10));
        // Greeting and request in one read: one at a time.
        let both = [&greeting[..], &connect].concat();
        assert_eq!(skip(UP, &both).map(|s| s.len), Some(3));
        assert_eq!(skip(UP, &both[3..]).map(|s| s.len), Some(21));
        // Then HTTP: nothing to skip.
        assert_eq!(skip(UP, b"GET / HTTP/1.1\r\n"), None);
    }

    #[test]
    fn proxy_protocol_headers() {
        // ndpi/haproxy.pcap frame 1 starts with a v1 header before the
        // ClientHello.
        let mut v1 = b"PROXY TCP4 11.111.11.111 222.22.2.222 48502 443\r\n".to_vec();
        let line = v1.len();
        v1.extend_from_slice(&[0x16, 0x03, 0x01]);
        assert_eq!(
            skip(UP, &v1),
            Some(Skipped {
                what: "stream.proxy_protocol",
                len: line
            })
        );
        let mut v2 = wire::V2_SIGNATURE.to_vec();
        v2.extend_from_slice(&[0x21, 0x11, 0x00, 0x0c]);
        v2.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2, 0x1f, 0x90, 0x01, 0xbb]);
        assert_eq!(skip(UP, &v2).map(|s| s.len), Some(28));
    }

    #[test]
    fn incomplete_or_foreign_preambles_are_not_skipped() {
        // A v1 line never ended, or too long; a v2 header cut short.
        assert_eq!(skip(UP, b"PROXY TCP4 1.2.3.4"), None);
        let long = [b"PROXY ".as_slice(), &[b'x'; 200], b"\r\n"].concat();
        assert_eq!(skip(UP, &long), None);
        assert_eq!(skip(UP, &wire::V2_SIGNATURE[..]), None);
        // SOCKS messages cut short, with no methods, or a refusal.
        assert_eq!(skip(UP, &[0x05, 0x02, 0x00]), None);
        assert_eq!(skip(UP, &[0x05, 0x00]), None);
        assert_eq!(skip(DOWN, &[0x05, 0xff]), None);
        // A CONNECT cut short is not skipped whole; its first three bytes
        // read as a one-method greeting.
        assert_eq!(
            skip(UP, &[0x05, 0x01, 0x00, 0x03, 20, b'a']).map(|s| s.len),
            Some(3)
        );
        // An unknown address type: not a request (the first three bytes,
        // again, are a greeting).
        assert_eq!(
            skip(UP, &[0x05, 0x01, 0x00, 0x09, 0, 0]).map(|s| s.len),
            Some(3)
        );
        assert_eq!(skip(DOWN, &[0x05, 0x00, 0x00, 0x09, 0, 0]), None);
        // TLS, DNS over TCP, SOCKS4: left to the probes.
        assert_eq!(skip(UP, &[0x16, 0x03, 0x01, 0x02, 0x00]), None);
        assert_eq!(skip(UP, &[0x00, 0x1d, 0x12, 0x34]), None);
        assert_eq!(skip(UP, &[0x04, 0x01, 0x00, 0x50, 1, 2, 3, 4, 0]), None);
        // Every prefix of every byte string: no panic.
        for len in 0..40 {
            let _ = skip(UP, &[0x05; 40][..len]);
            let _ = skip(DOWN, &[0x05; 40][..len]);
        }
    }
}
