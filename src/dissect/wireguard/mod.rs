//! WireGuard dissector: who opens a VPN tunnel, to which server, and how much
//! goes through it — all a box can see of a VPN user.
//!
//! WireGuard ([whitepaper](https://www.wireguard.com/papers/wireguard.pdf)
//! §5.4) runs over UDP; every message starts with a one-byte type and three
//! reserved zero bytes. A handshake initiation (type 1) is exactly 148 bytes,
//! its response (type 2) 92, a cookie reply (type 3) 64; transport data
//! (type 4) is a 16-byte header (receiver index, 64-bit counter) and an
//! encrypted payload padded to 16 bytes with a 16-byte tag.
//!
//! `parser.rs` reads one message's header ([`parser::parse_message`]);
//! `state.rs` keeps a flow's counts and emits one
//! [`state::WireguardRecord`] when the flow ends. Records are of kind
//! `wireguard`: a rule with `on = ["wireguard"]` flags anyone who uses such a
//! VPN, the rule real proposals float ("uses a VPN").
//!
//! Anomalies: `wireguard.bad_length` (a handshake message of the wrong size
//! after the flow was claimed), `wireguard.bad_type`.
//!
//! Known limits: a flow is claimed on a handshake initiation (any port), or on
//! transport data with zero reserved bytes on port 51820 (a capture that
//! starts mid-tunnel); other VPNs (OpenVPN, IPsec/IKE) are not dissected; the
//! keys exchanged are not recorded (they name nobody).

pub mod parser;
pub mod state;

pub use state::WIREGUARD;
