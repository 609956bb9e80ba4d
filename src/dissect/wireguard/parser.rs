//! WireGuard message headers. Pure, never panics.

use crate::dissect::Parsed;

/// Message types (whitepaper §5.4).
pub mod kind {
    /// Handshake initiation.
    pub const INITIATION: u8 = 1;
    /// Handshake response.
    pub const RESPONSE: u8 = 2;
    /// Cookie reply.
    pub const COOKIE: u8 = 3;
    /// Transport data.
    pub const DATA: u8 = 4;
}

/// Exact sizes of the handshake messages.
pub mod size {
    /// Handshake initiation.
    pub const INITIATION: usize = 148;
    /// Handshake response.
    pub const RESPONSE: usize = 92;
    /// Cookie reply.
    pub const COOKIE: usize = 64;
    /// Transport data header (type, reserved, receiver, counter).
    pub const DATA_HEADER: usize = 16;
}

/// Anomaly names.
pub mod anomaly {
    /// A handshake message of the wrong size.
    pub const BAD_LENGTH: &str = "wireguard.bad_length";
    /// An unknown type, or reserved bytes not zero.
    pub const BAD_TYPE: &str = "wireguard.bad_type";
}

/// What a message's header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// Type 1: the initiator's index.
    Initiation {
        /// Sender index.
        sender: u32,
    },
    /// Type 2: the responder's index and the initiator's.
    Response {
        /// Sender index.
        sender: u32,
        /// Receiver index.
        receiver: u32,
    },
    /// Type 3.
    Cookie,
    /// Type 4: the receiver's index and the message counter.
    Data {
        /// Receiver index.
        receiver: u32,
        /// Counter.
        counter: u64,
    },
}

fn le32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

/// Reads one datagram's message. `captured` is the datagram as captured (a
/// snaplen-cut transport message still has its 16-byte header); the
/// handshake messages must be whole.
pub fn parse_message(captured: &[u8]) -> Parsed<Message> {
    let Some(&t) = captured.first() else {
        return Parsed::Incomplete { needed: Some(4) };
    };
    if captured.len() < 4 {
        return Parsed::Incomplete { needed: Some(4) };
    }
    if captured[1..4] != [0, 0, 0] {
        return Parsed::Invalid(anomaly::BAD_TYPE);
    }
    let exact = |n: usize, m: Message| {
        if captured.len() == n {
            Parsed::Done {
                value: m,
                consumed: n,
            }
        } else {
            Parsed::Invalid(anomaly::BAD_LENGTH)
        }
    };
    match t {
        kind::INITIATION => exact(
            size::INITIATION,
            Message::Initiation {
                sender: le32(captured, 4),
            },
        ),
        kind::RESPONSE => exact(
            size::RESPONSE,
            Message::Response {
                sender: le32(captured, 4),
                receiver: le32(captured, 8),
            },
        ),
        kind::COOKIE => exact(size::COOKIE, Message::Cookie),
        kind::DATA if captured.len() >= size::DATA_HEADER => Parsed::Done {
            value: Message::Data {
                receiver: le32(captured, 4),
                counter: captured
                    .get(8..16)
                    .and_then(|s| s.try_into().ok())
                    .map_or(0, u64::from_le_bytes),
            },
            consumed: captured.len(),
        },
        kind::DATA => Parsed::Incomplete {
            needed: Some(size::DATA_HEADER),
        },
        _ => Parsed::Invalid(anomaly::BAD_TYPE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handshake initiation as the whitepaper lays it out: type 1, three
    /// zero bytes, sender index 0x11223344 (little-endian), then 140 bytes of
    /// ephemeral key, encrypted static and timestamp, and the two MACs.
    fn initiation() -> Vec<u8> {
        let mut m = vec![1, 0, 0, 0, 0x44, 0x33, 0x22, 0x11];
        m.resize(148, 0xab);
        m
    }

    #[test]
    fn handshake_messages_have_exact_sizes() {
        assert_eq!(
            parse_message(&initiation()),
            Parsed::Done {
                value: Message::Initiation {
                    sender: 0x1122_3344
                },
                consumed: 148
            }
        );
        let mut short = initiation();
        short.pop();
        assert_eq!(parse_message(&short), Parsed::Invalid(anomaly::BAD_LENGTH));
        let mut r = vec![2, 0, 0, 0, 1, 0, 0, 0, 0x44, 0x33, 0x22, 0x11];
        r.resize(92, 0);
        assert_eq!(
            parse_message(&r).value(),
            Some(Message::Response {
                sender: 1,
                receiver: 0x1122_3344
            })
        );
    }

    #[test]
    fn transport_data_needs_its_header_and_reserved_zeros() {
        let mut d = vec![4, 0, 0, 0, 7, 0, 0, 0];
        d.extend_from_slice(&9u64.to_le_bytes());
        assert_eq!(
            parse_message(&d).value(),
            Some(Message::Data {
                receiver: 7,
                counter: 9
            })
        );
        for n in 0..16 {
            assert!(
                matches!(parse_message(&d[..n]), Parsed::Incomplete { .. }),
                "{n}"
            );
        }
        assert_eq!(
            parse_message(&[4, 1, 0, 0, 0]),
            Parsed::Invalid(anomaly::BAD_TYPE)
        );
        assert_eq!(
            parse_message(&[9, 0, 0, 0, 0]),
            Parsed::Invalid(anomaly::BAD_TYPE)
        );
    }
}
