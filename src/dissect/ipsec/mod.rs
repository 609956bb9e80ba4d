//! IPsec dissector: IKE key exchanges and ESP in UDP — who opens an IPsec
//! VPN (IKEv2 is what consumer VPN apps and phones' built-in VPNs speak), to
//! which gateway, and how much goes through it.
//!
//! IKE (RFC 7296 §3.1; IKEv1, RFC 2408 §3.1, has the same 28-byte header)
//! runs on UDP 500. Behind a NAT both ends move to UDP 4500 (RFC 7296
//! §2.23), where IKE messages start with a four-byte zero "non-ESP marker"
//! and everything else is ESP (RFC 3948 §2: SPI, sequence number, then
//! ciphertext) or a one-byte 0xff NAT keepalive.
//!
//! `parser.rs` reads one datagram ([`parser::parse_datagram`]); `state.rs`
//! keeps a flow's counts and emits one [`state::IpsecRecord`] when the flow
//! ends. Records are of kind `ipsec`: a rule with `on = ["ipsec"]` flags
//! anyone who uses such a VPN.
//!
//! Anomalies: `ipsec.bad_header` (an IKE message whose version, exchange type
//! or length is impossible, after the flow was claimed), `ipsec.bad_length`
//! (an ESP packet shorter than SPI and sequence number).
//!
//! Known limits: only on ports 500 and 4500; ESP straight over IP (protocol
//! 50, no NAT) is a flow without a record; IKE payloads are encrypted after
//! IKE_SA_INIT, so no identity is read (the gateway is the address).

pub mod parser;
pub mod state;

pub use state::IPSEC;
