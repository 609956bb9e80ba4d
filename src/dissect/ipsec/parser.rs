//! IKE headers and ESP-in-UDP framing. Pure, never panics.

use crate::dissect::Parsed;

/// IKE's port.
pub const IKE_PORT: u16 = 500;
/// IKE and ESP behind a NAT (RFC 3948).
pub const NAT_T_PORT: u16 = 4500;
/// The IKE header (RFC 7296 §3.1).
pub const IKE_HEADER: usize = 28;

/// Anomaly names.
pub mod anomaly {
    /// An IKE message whose version, exchange type or length is impossible.
    pub const BAD_HEADER: &str = "ipsec.bad_header";
    /// An ESP packet shorter than SPI and sequence number.
    pub const BAD_LENGTH: &str = "ipsec.bad_length";
}

/// One IKE message's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ike {
    /// Major version: 1 or 2.
    pub version: u8,
    /// Exchange type (IKEv2: 34 IKE_SA_INIT, 35 IKE_AUTH, 36
    /// CREATE_CHILD_SA, 37 INFORMATIONAL).
    pub exchange: u8,
    /// Initiator's SPI.
    pub spi_i: u64,
    /// Responder's SPI (0 in the first request).
    pub spi_r: u64,
    /// The message is a response (IKEv2's R flag).
    pub response: bool,
}

/// What one datagram on an IPsec flow is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Datagram {
    /// An IKE message.
    Ike(Ike),
    /// An ESP packet (UDP 4500 only).
    Esp {
        /// Security parameter index.
        spi: u32,
    },
    /// A NAT keepalive (one 0xff byte).
    Keepalive,
}

fn be64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

/// Reads an IKE header at the front of `m`. `captured` may be cut short by
/// the snaplen past the header; the header's length must cover it.
pub fn parse_ike(m: &[u8]) -> Parsed<Ike> {
    let Some(h) = m.get(..IKE_HEADER) else {
        return Parsed::Incomplete {
            needed: Some(IKE_HEADER),
        };
    };
    let version = h[17] >> 4;
    let exchange = h[18];
    let length = u32::from_be_bytes([h[24], h[25], h[26], h[27]]) as usize;
    let known = match version {
        // RFC 2408 §3.1 and RFC 2409: base, identity protection,
        // authentication only, aggressive, informational; quick mode (32),
        // new group mode (33).
        1 => matches!(exchange, 1..=5 | 32 | 33),
        // RFC 7296 §3.1, RFC 7383... (43: IKE_INTERMEDIATE, RFC 9242).
        2 => matches!(exchange, 34..=37 | 43),
        _ => false,
    };
    // The initiator's SPI is never zero (RFC 7296 §3.1).
    if !known || length < IKE_HEADER || length < m.len() || h[..8] == [0; 8] {
        return Parsed::Invalid(anomaly::BAD_HEADER);
    }
    Parsed::Done {
        value: Ike {
            version,
            exchange,
            spi_i: be64(h, 0),
            spi_r: be64(h, 8),
            response: version == 2 && h[19] & 0x20 != 0,
        },
        consumed: m.len(),
    }
}

/// Reads one datagram on UDP 500 (`nat_t` false: IKE only) or 4500.
pub fn parse_datagram(d: &[u8], nat_t: bool) -> Parsed<Datagram> {
    if !nat_t {
        return match parse_ike(d) {
            Parsed::Done { value, consumed } => Parsed::Done {
                value: Datagram::Ike(value),
                consumed,
            },
            Parsed::Incomplete { .. } => Parsed::Invalid(anomaly::BAD_HEADER),
            Parsed::Invalid(a) => Parsed::Invalid(a),
        };
    }
    match d {
        [0xff] => Parsed::Done {
            value: Datagram::Keepalive,
            consumed: 1,
        },
        [0, 0, 0, 0, ike @ ..] => match parse_ike(ike) {
            Parsed::Done { value, .. } => Parsed::Done {
                value: Datagram::Ike(value),
                consumed: d.len(),
            },
            Parsed::Incomplete { .. } => Parsed::Invalid(anomaly::BAD_HEADER),
            Parsed::Invalid(a) => Parsed::Invalid(a),
        },
        [a, b, c, e, _, _, _, _, ..] => Parsed::Done {
            value: Datagram::Esp {
                spi: u32::from_be_bytes([*a, *b, *c, *e]),
            },
            consumed: d.len(),
        },
        _ => Parsed::Invalid(anomaly::BAD_LENGTH),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IKEv2 IKE_SA_INIT request's header: SPIi, SPIr 0, next payload SA
    /// (33), version 2.0, exchange 34, flags Initiator, message id 0, length
    /// 28 + `body`.
    fn sa_init(body: usize) -> Vec<u8> {
        let mut m = vec![
            1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 33, 0x20, 34, 0x08,
        ];
        m.extend_from_slice(&[0; 4]);
        m.extend_from_slice(&((28 + body) as u32).to_be_bytes());
        m.resize(28 + body, 0);
        m
    }

    #[test]
    fn ike_headers_on_500_and_behind_the_marker() {
        let m = sa_init(40);
        let want = Ike {
            version: 2,
            exchange: 34,
            spi_i: 0x0102_0304_0506_0708,
            spi_r: 0,
            response: false,
        };
        assert_eq!(parse_datagram(&m, false).value(), Some(Datagram::Ike(want)));
        let mut nat = vec![0, 0, 0, 0];
        nat.extend_from_slice(&m);
        assert_eq!(
            parse_datagram(&nat, true).value(),
            Some(Datagram::Ike(want))
        );
        // Cut by the snaplen: still the header's message.
        assert_eq!(parse_ike(&m[..30]).value(), Some(want));
    }

    #[test]
    fn impossible_headers_are_refused() {
        let mut m = sa_init(0);
        m[17] = 0x30;
        assert_eq!(parse_ike(&m), Parsed::Invalid(anomaly::BAD_HEADER));
        let mut m = sa_init(0);
        m[18] = 99;
        assert_eq!(parse_ike(&m), Parsed::Invalid(anomaly::BAD_HEADER));
        let mut m = sa_init(10);
        m[27] = 20;
        assert_eq!(parse_ike(&m), Parsed::Invalid(anomaly::BAD_HEADER));
        assert_eq!(
            parse_datagram(&m[..20], false),
            Parsed::Invalid(anomaly::BAD_HEADER)
        );
    }

    #[test]
    fn esp_and_keepalives_on_4500() {
        assert_eq!(
            parse_datagram(&[0x23, 0x60, 0xb0, 0xe3, 0, 0, 0, 1, 9, 9], true).value(),
            Some(Datagram::Esp { spi: 0x2360_b0e3 })
        );
        assert_eq!(
            parse_datagram(&[0xff], true).value(),
            Some(Datagram::Keepalive)
        );
        assert_eq!(
            parse_datagram(&[1, 2, 3], true),
            Parsed::Invalid(anomaly::BAD_LENGTH)
        );
    }
}
