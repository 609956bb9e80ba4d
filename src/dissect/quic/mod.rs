//! QUIC: the long header of every version, and the Initial packets of QUIC
//! v1 and v2, whose protection is derived from public values so an on-path
//! observer can read the TLS ClientHello (and so its SNI) inside them.
//!
//! Specifications:
//! - RFC 9000, QUIC transport: <https://www.rfc-editor.org/rfc/rfc9000> —
//!   §16 variable-length integers, §17.2 long header, §17.2.2 Initial,
//!   §17.2.5 Retry, §17.2.1 Version Negotiation, §19.3 ACK, §19.6 CRYPTO,
//!   §19.19 CONNECTION_CLOSE.
//! - RFC 9001, QUIC-TLS: <https://www.rfc-editor.org/rfc/rfc9001> — §5.2
//!   Initial secrets, §5.3 AEAD_AES_128_GCM, §5.4 header protection,
//!   Appendix A test vectors.
//! - RFC 9369, QUIC v2: <https://www.rfc-editor.org/rfc/rfc9369> — its salt,
//!   "quicv2" labels and packet-type bits.
//! - RFC 8999, version-independent properties:
//!   <https://www.rfc-editor.org/rfc/rfc8999>.
//!
//! What [`parser`] covers: [`parser::parse_long_header`] reads any long
//! header (Initial, 0-RTT, Handshake, Retry, Version Negotiation, and up to
//! the connection IDs for unknown versions) and gives the packet's length so
//! the caller can walk coalesced packets; [`parser::initial_keys`] derives the
//! client or server Initial keys from the client's first Destination
//! Connection ID; [`parser::decrypt_initial`] removes header protection,
//! authenticates and decrypts an Initial and returns its CRYPTO frames
//! (PADDING, PING, ACK and CONNECTION_CLOSE are skipped; any other frame type
//! ends the reading and keeps what was read); [`parser::assemble_crypto`]
//! joins CRYPTO frames, from one or several packets and in any order, into
//! the contiguous crypto stream from offset 0. Versions decrypted: v1, v2, and
//! IETF drafts 23–34 (draft salts 23–28 and 29–32; drafts 33–34 use v1's).
//!
//! Every parser function is pure and never panics, whatever the bytes: all
//! reads go through checked lengths (`get`, checked splits, a bounded
//! reader), and there is no `unwrap` on packet data. Only
//! [`parser::decrypt_initial`] allocates beyond its result: one copy of the
//! packet to decrypt in place.
//!
//! Caps: [`parser::MAX_FRAMES`] (256) non-PADDING frames per packet;
//! [`parser::assemble_crypto`] returns at most its `cap` bytes.
//!
//! Known limits: the packet number is the truncated one on the wire (exact
//! for a connection's first packets, which is what Initials are); Initial
//! keys after a Retry come from the Retry's new DCID, which is the caller's
//! to pass; the Retry integrity tag is not checked; Google QUIC (Q0xx, T0xx)
//! and mvfst versions are named but not decrypted; the TLS ClientHello
//! itself is parsed elsewhere (the `tls` dissector).
//!
//! Anomalies: `quic.truncated` (Length runs past the datagram, or the packet
//! is too short for the header-protection sample or a Retry for its tag),
//! `quic.bad_varint` (a varint cut short inside a decrypted payload),
//! `quic.decrypt_failed` (the AEAD tag does not match: wrong DCID, wrong
//! version's keys, or corrupt bytes), `quic.unsupported_version` (no Initial
//! salt known), `quic.bad_frame` (CRYPTO data past the payload or past offset
//! 2^62-1, an ACK range count larger than the bytes left, a CONNECTION_CLOSE
//! reason past the payload), `quic.too_many_frames` (more than 256 frames),
//! `quic.not_long_header` (Header Form bit clear), `quic.not_initial`
//! (`decrypt_initial` given a long-header packet of another type).

pub mod parser;
pub mod state;

pub use state::QUIC;
