//! OpenVPN dissector: who opens an OpenVPN tunnel, to which server, and how
//! much goes through it — all a box can see of the tunnel's user.
//!
//! OpenVPN (openvpn's `ssl_pkt.h` and its protocol notes) runs over UDP, or
//! over TCP with a two-byte length before every packet. A packet's first
//! byte is an opcode (high five bits) and a key id (low three). Control
//! packets carry the sender's 8-byte session id; without `tls-auth` or
//! `tls-crypt` they go on with an ACK array (count, packet ids, and the
//! peer's session id when the count is not zero) and, except in `P_ACK_V1`,
//! their own packet id and a fragment of the TLS handshake. Data packets
//! (`P_DATA_V1`, `P_DATA_V2` with a 24-bit peer id) are encrypted.
//!
//! `parser.rs` reads one packet's opcode and what the control header says
//! ([`parser::parse_packet`]); `state.rs` keeps a flow's counts and emits one
//! [`state::OpenvpnRecord`] when the flow ends. Records are of kind
//! `openvpn`: a rule with `on = ["openvpn"]` flags anyone who uses such a VPN.
//!
//! Anomalies: `openvpn.bad_opcode` (an opcode OpenVPN does not define, after
//! the flow was claimed), `openvpn.bad_length` (a packet shorter than its
//! header, or a TCP frame of length 0).
//!
//! Known limits: a flow is claimed on a client's hard reset (any port: its
//! layout without `tls-auth` is exact; with `tls-auth` or `tls-crypt`, on
//! port 1194 only), or on any valid opcode on port 1194 (a capture that
//! starts mid-tunnel); obfuscated OpenVPN (XOR patches, stunnel) is not
//! recognised; the TLS handshake on the control channel is counted, not
//! parsed (it names no site: the server is the address).

pub mod parser;
pub mod state;

pub use state::OPENVPN;
