//! OpenVPN packet headers. Pure, never panics.

use crate::dissect::Parsed;

/// Opcodes (the high five bits of a packet's first byte).
pub mod opcode {
    /// P_CONTROL_HARD_RESET_CLIENT_V1.
    pub const HARD_RESET_CLIENT_V1: u8 = 1;
    /// P_CONTROL_HARD_RESET_SERVER_V1.
    pub const HARD_RESET_SERVER_V1: u8 = 2;
    /// P_CONTROL_SOFT_RESET_V1: a key renegotiation.
    pub const SOFT_RESET_V1: u8 = 3;
    /// P_CONTROL_V1: a TLS handshake fragment.
    pub const CONTROL_V1: u8 = 4;
    /// P_ACK_V1.
    pub const ACK_V1: u8 = 5;
    /// P_DATA_V1.
    pub const DATA_V1: u8 = 6;
    /// P_CONTROL_HARD_RESET_CLIENT_V2.
    pub const HARD_RESET_CLIENT_V2: u8 = 7;
    /// P_CONTROL_HARD_RESET_SERVER_V2.
    pub const HARD_RESET_SERVER_V2: u8 = 8;
    /// P_DATA_V2.
    pub const DATA_V2: u8 = 9;
    /// P_CONTROL_HARD_RESET_CLIENT_V3 (tls-crypt-v2).
    pub const HARD_RESET_CLIENT_V3: u8 = 10;
    /// P_CONTROL_WKC_V1 (tls-crypt-v2 wrapped client key).
    pub const CONTROL_WKC_V1: u8 = 11;
}

/// Anomaly names.
pub mod anomaly {
    /// An opcode OpenVPN does not define.
    pub const BAD_OPCODE: &str = "openvpn.bad_opcode";
    /// A packet shorter than its header, or an empty TCP frame.
    pub const BAD_LENGTH: &str = "openvpn.bad_length";
}

/// Opcode and session id (8 bytes), the least every control packet has.
pub const CONTROL_HEAD: usize = 9;
/// A client's hard reset without tls-auth: opcode, session id, an empty ACK
/// array, packet id 0.
pub const PLAIN_RESET: usize = 14;

/// What a packet's header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The opcode.
    pub opcode: u8,
    /// The key id.
    pub key_id: u8,
    /// The sender's session id (control packets only).
    pub session: Option<u64>,
}

impl Packet {
    /// A client opening a session.
    pub fn is_client_reset(&self) -> bool {
        matches!(
            self.opcode,
            opcode::HARD_RESET_CLIENT_V1
                | opcode::HARD_RESET_CLIENT_V2
                | opcode::HARD_RESET_CLIENT_V3
        )
    }
    /// Encrypted tunnel data.
    pub fn is_data(&self) -> bool {
        matches!(self.opcode, opcode::DATA_V1 | opcode::DATA_V2)
    }
}

/// Reads one UDP packet's header (or one TCP frame's, without its length).
pub fn parse_packet(p: &[u8]) -> Parsed<Packet> {
    let Some(&b) = p.first() else {
        return Parsed::Incomplete { needed: Some(1) };
    };
    let (op, key_id) = (b >> 3, b & 7);
    if !(opcode::HARD_RESET_CLIENT_V1..=opcode::CONTROL_WKC_V1).contains(&op) {
        return Parsed::Invalid(anomaly::BAD_OPCODE);
    }
    let value = Packet {
        opcode: op,
        key_id,
        session: None,
    };
    if value.is_data() {
        // DATA_V2 has a 3-byte peer id, both then at least a packet id.
        let min = if op == opcode::DATA_V2 { 8 } else { 5 };
        if p.len() < min {
            return Parsed::Invalid(anomaly::BAD_LENGTH);
        }
        return Parsed::Done {
            value,
            consumed: p.len(),
        };
    }
    match p.get(1..CONTROL_HEAD) {
        Some(s) => Parsed::Done {
            value: Packet {
                session: s.try_into().ok().map(u64::from_be_bytes),
                ..value
            },
            consumed: p.len(),
        },
        None => Parsed::Invalid(anomaly::BAD_LENGTH),
    }
}

/// Whether `p` is a client's hard reset laid out exactly as without
/// `tls-auth` (empty ACK array, packet id 0, then nothing or the early
/// negotiation TLVs of OpenVPN 2.6): specific enough to claim on any port.
pub fn is_plain_client_reset(p: &[u8]) -> bool {
    matches!(p.first(), Some(&b) if b >> 3 == opcode::HARD_RESET_CLIENT_V2 && b & 7 == 0)
        && p.len() >= PLAIN_RESET
        && p.len() <= 64
        && p[9] == 0
        && p[10..14] == [0, 0, 0, 0]
}

/// Splits an OpenVPN-over-TCP stream's first frame: `Done` with the packet
/// and the bytes used (2 + its length).
pub fn tcp_frame(stream: &[u8]) -> Parsed<&[u8]> {
    let Some(n) = stream
        .get(..2)
        .map(|s| usize::from(u16::from_be_bytes([s[0], s[1]])))
    else {
        return Parsed::Incomplete { needed: Some(2) };
    };
    if n == 0 {
        return Parsed::Invalid(anomaly::BAD_LENGTH);
    }
    match stream.get(2..2 + n) {
        Some(p) => Parsed::Done {
            value: p,
            consumed: 2 + n,
        },
        None => Parsed::Incomplete {
            needed: Some(2 + n - stream.len()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// nDPI's `openvpn.pcap`, frame 1 (UDP 60201 → 443): a client's hard
    /// reset without tls-auth (opcode 7, key id 0, session id
    /// 0x334857703d96db39, no ACK, packet id 0), bytes as tshark prints them.
    const NDPI_RESET: [u8; 14] = [
        0x38, 0x33, 0x48, 0x57, 0x70, 0x3d, 0x96, 0xdb, 0x39, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn a_plain_client_reset_is_exact() {
        let p = parse_packet(&NDPI_RESET).value().unwrap();
        assert_eq!(p.opcode, opcode::HARD_RESET_CLIENT_V2);
        assert!(p.is_client_reset());
        assert_eq!(p.session, Some(0x3348_5770_3d96_db39));
        assert!(is_plain_client_reset(&NDPI_RESET));
        let mut acked = NDPI_RESET;
        acked[9] = 1;
        assert!(!is_plain_client_reset(&acked));
        assert!(!is_plain_client_reset(&NDPI_RESET[..13]));
    }

    #[test]
    fn opcodes_and_lengths() {
        assert_eq!(parse_packet(&[0]), Parsed::Invalid(anomaly::BAD_OPCODE));
        assert_eq!(
            parse_packet(&[12 << 3]),
            Parsed::Invalid(anomaly::BAD_OPCODE)
        );
        assert_eq!(
            parse_packet(&[0x38, 1, 2]),
            Parsed::Invalid(anomaly::BAD_LENGTH)
        );
        let data = parse_packet(&[0x48, 0, 0, 1, 0, 0, 0, 9]).value().unwrap();
        assert!(data.is_data());
        assert_eq!(data.session, None);
        assert_eq!(
            parse_packet(&[0x48, 0, 0, 1]),
            Parsed::Invalid(anomaly::BAD_LENGTH)
        );
        assert!(matches!(parse_packet(&[]), Parsed::Incomplete { .. }));
    }

    #[test]
    fn tcp_frames_split_on_their_length() {
        let mut s = vec![0, 14];
        s.extend_from_slice(&NDPI_RESET);
        s.extend_from_slice(&[0, 3, 0x28]);
        assert_eq!(
            tcp_frame(&s),
            Parsed::Done {
                value: &NDPI_RESET[..],
                consumed: 16
            }
        );
        assert!(matches!(
            tcp_frame(&s[16..]),
            Parsed::Incomplete { needed: Some(2) }
        ));
        assert_eq!(tcp_frame(&[0, 0]), Parsed::Invalid(anomaly::BAD_LENGTH));
    }
}
