//! Application messages the generator puts in its packets: DNS queries and
//! answers (RFC 1035), TLS 1.3 ClientHello/ServerHello (RFC 8446), QUIC v1
//! Initial packets protected as RFC 9001 §5 says, and the small binary pieces of
//! BitTorrent (BEP 3 handshake, BEP 5 DHT query, BEP 23 compact peers). Text
//! protocols (HTTP, SIP, SMTP) are written in place by the sessions.
//!
//! Everything appends to a caller's buffer; nothing here allocates besides it.

use aes::Aes128;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes128Gcm, Nonce};

use crate::dissect::quic::parser::InitialKeys;

pub use crate::flow::mix64;

/// Appends `n` random-looking bytes derived from `seed`.
pub fn noise(out: &mut Vec<u8>, seed: u64, n: usize) {
    let mut i = 0u64;
    let mut left = n;
    while left > 0 {
        let w = mix64(seed ^ i.wrapping_mul(0xd6e8_feb8_6659_fd93)).to_le_bytes();
        let k = left.min(8);
        out.extend_from_slice(&w[..k]);
        left -= k;
        i += 1;
    }
}

fn put_u16(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&(v as u16).to_be_bytes());
}

/// Writes a 16-bit length at `at` covering everything after it.
fn patch_u16(out: &mut [u8], at: usize) {
    let n = (out.len() - at - 2) as u16;
    out[at..at + 2].copy_from_slice(&n.to_be_bytes());
}

/// Writes a 24-bit length at `at` covering everything after it.
fn patch_u24(out: &mut [u8], at: usize) {
    let n = (out.len() - at - 3) as u32;
    out[at..at + 3].copy_from_slice(&n.to_be_bytes()[1..]);
}

// RFC 1035 §4.1: header (id, flags, qdcount, ancount, nscount, arcount), then
// the question (QNAME as labels, QTYPE, QCLASS) and answers (NAME, TYPE,
// CLASS, TTL, RDLENGTH, RDATA). The answer's name points at the question
// (compression pointer 0xc00c).
/// A DNS query for `name` (type A), or its answer holding `addr` for `ttl` s.
pub fn dns(out: &mut Vec<u8>, id: u16, name: &str, answer: Option<([u8; 4], u32)>) {
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(if answer.is_some() {
        &[0x81, 0x80]
    } else {
        &[0x01, 0x00]
    });
    out.extend_from_slice(&[0, 1, 0, u8::from(answer.is_some()), 0, 0, 0, 0]);
    for label in name.split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.extend_from_slice(&[0, 0, 1, 0, 1]);
    if let Some((addr, ttl)) = answer {
        out.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
        out.extend_from_slice(&ttl.to_be_bytes());
        out.extend_from_slice(&[0, 4]);
        out.extend_from_slice(&addr);
    }
}

/// TLS record content type: handshake.
const HANDSHAKE: u8 = 22;

// RFC 8446 §4.1.2:
//   struct {
//       ProtocolVersion legacy_version = 0x0303;
//       Random random;
//       opaque legacy_session_id<0..32>;
//       CipherSuite cipher_suites<2..2^16-2>;
//       opaque legacy_compression_methods<1..2^8-1>;
//       Extension extensions<8..2^16-1>;
//   } ClientHello;
/// A ClientHello handshake message (no record header) naming `sni` (no
/// server_name extension when empty), offering `alpn`; random fields from
/// `seed`.
pub fn client_hello(out: &mut Vec<u8>, sni: &str, alpn: &[&str], seed: u64) {
    hello(out, sni, alpn, seed, false)
}

/// The cloudflare-ech.com-style public name a fronting provider gives every
/// site it serves with Encrypted Client Hello (REALISM-FACTS §2, "ECH").
pub const ECH_PUBLIC_NAME: &str = "cloudflare-ech.com";

// draft-ietf-tls-esni-22 §5: extension encrypted_client_hello (0xfe0d) in the
// outer ClientHello = type outer(0), HpkeSymmetricCipherSuite (kdf, aead),
// config_id, enc<0..2^16-1>, payload<1..2^16-1> (the inner ClientHello,
// encrypted, with its tag).
/// An outer ClientHello with Encrypted Client Hello: `public_name` in the
/// clear, the real server name only inside the encrypted payload.
pub fn client_hello_ech(out: &mut Vec<u8>, public_name: &str, alpn: &[&str], seed: u64) {
    hello(out, public_name, alpn, seed, true)
}

fn hello(out: &mut Vec<u8>, sni: &str, alpn: &[&str], seed: u64, ech: bool) {
    const SUITES: [u16; 9] = [
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
    ];
    out.push(1);
    let len_at = out.len();
    out.extend_from_slice(&[0, 0, 0, 3, 3]);
    noise(out, seed, 32);
    out.push(32);
    noise(out, seed ^ 1, 32);
    put_u16(out, SUITES.len() * 2);
    for s in SUITES {
        out.extend_from_slice(&s.to_be_bytes());
    }
    out.extend_from_slice(&[1, 0]);
    let ext_at = out.len();
    out.extend_from_slice(&[0, 0]);
    // server_name (0): list of one host_name.
    if !sni.is_empty() {
        let host = sni.as_bytes();
        out.extend_from_slice(&[0, 0]);
        put_u16(out, host.len() + 5);
        put_u16(out, host.len() + 3);
        out.push(0);
        put_u16(out, host.len());
        out.extend_from_slice(host);
    }
    // supported_groups (10): x25519, secp256r1, secp384r1.
    out.extend_from_slice(&[0, 10, 0, 8, 0, 6, 0, 0x1d, 0, 0x17, 0, 0x18]);
    // ec_point_formats (11): uncompressed.
    out.extend_from_slice(&[0, 11, 0, 2, 1, 0]);
    // signature_algorithms (13).
    out.extend_from_slice(&[
        0, 13, 0, 10, 0, 8, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03,
    ]);
    // application_layer_protocol_negotiation (16).
    if !alpn.is_empty() {
        let list: usize = alpn.iter().map(|a| a.len() + 1).sum();
        out.extend_from_slice(&[0, 16]);
        put_u16(out, list + 2);
        put_u16(out, list);
        for a in alpn {
            out.push(a.len() as u8);
            out.extend_from_slice(a.as_bytes());
        }
    }
    // supported_versions (43): TLS 1.3, 1.2.
    out.extend_from_slice(&[0, 43, 0, 5, 4, 3, 4, 3, 3]);
    // psk_key_exchange_modes (45): psk_dhe_ke.
    out.extend_from_slice(&[0, 45, 0, 2, 1, 1]);
    // key_share (51): one x25519 share.
    out.extend_from_slice(&[0, 51, 0, 38, 0, 36, 0, 0x1d, 0, 32]);
    noise(out, seed ^ 2, 32);
    if ech {
        // HKDF-SHA256 (1), AES-128-GCM (1), an X25519 enc, and an inner
        // ClientHello of about the outer's size with its 16-byte tag.
        out.extend_from_slice(&[0xfe, 0x0d]);
        let at = out.len();
        out.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, (seed >> 56) as u8, 0, 32]);
        noise(out, seed ^ 6, 32);
        let payload = 176 + (seed % 4) as usize * 32;
        put_u16(out, payload);
        noise(out, seed ^ 7, payload);
        patch_u16(out, at);
    }
    patch_u16(out, ext_at);
    patch_u24(out, len_at);
}

// RFC 8446 §4.1.3: ServerHello has ClientHello's layout with one cipher suite
// and one compression method; TLS 1.3 is chosen by supported_versions.
/// A TLS 1.3 ServerHello handshake message (TLS_AES_128_GCM_SHA256, x25519).
pub fn server_hello(out: &mut Vec<u8>, seed: u64) {
    out.push(2);
    let len_at = out.len();
    out.extend_from_slice(&[0, 0, 0, 3, 3]);
    noise(out, seed ^ 3, 32);
    out.push(32);
    noise(out, seed ^ 1, 32); // echoes the client's session id
    out.extend_from_slice(&[0x13, 0x01, 0]);
    out.extend_from_slice(&[0, 46]); // extensions length
    out.extend_from_slice(&[0, 43, 0, 2, 3, 4]);
    out.extend_from_slice(&[0, 51, 0, 36, 0, 0x1d, 0, 32]);
    noise(out, seed ^ 4, 32);
    patch_u24(out, len_at);
}

/// Wraps the handshake message built by `f` in a TLS record.
pub fn tls_record(out: &mut Vec<u8>, content: u8, f: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(&[content, 3, if content == HANDSHAKE { 1 } else { 3 }, 0, 0]);
    let at = out.len() - 2;
    f(out);
    patch_u16(out, at);
}

/// The server's first flight after its ServerHello record, as TLS 1.3 sends it
/// on the wire: ChangeCipherSpec (compatibility) and one encrypted record.
pub fn server_flight(out: &mut Vec<u8>, seed: u64, encrypted: usize) {
    out.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
    tls_record(out, 23, |o| noise(o, seed ^ 5, encrypted));
}

/// The handshake record type.
pub const TLS_HANDSHAKE: u8 = HANDSHAKE;

/// QUIC version 1.
pub const QUIC_V1: u32 = 1;

// RFC 9000 §17.2.2:
//   Initial Packet {
//     Header Form (1) = 1, Fixed Bit (1) = 1, Long Packet Type (2) = 0,
//     Reserved Bits (2), Packet Number Length (2),
//     Version (32), Destination Connection ID Length (8), Destination Connection ID (0..160),
//     Source Connection ID Length (8), Source Connection ID (0..160),
//     Token Length (i), Token (..), Length (i), Packet Number (8..32), Packet Payload (8..),
//   }
// RFC 9001 §5.3 (AEAD over the payload, header as associated data) and §5.4
// (header protection from a 16-byte sample 4 bytes past the packet number).
/// A protected QUIC v1 Initial whose payload is `frames`, padded with PADDING
/// frames so that the datagram is at least `min_len` bytes.
pub fn quic_initial(
    out: &mut Vec<u8>,
    keys: &InitialKeys,
    dcid: &[u8],
    scid: &[u8],
    pn: u32,
    frames: &[u8],
    min_len: usize,
) {
    const PN_LEN: usize = 2;
    const TAG: usize = 16;
    let start = out.len();
    out.push(0xc0 | (PN_LEN as u8 - 1));
    out.extend_from_slice(&QUIC_V1.to_be_bytes());
    out.push(dcid.len() as u8);
    out.extend_from_slice(dcid);
    out.push(scid.len() as u8);
    out.extend_from_slice(scid);
    out.push(0); // token length
    // Header so far, 2-byte Length, packet number, payload, tag.
    let head = out.len() - start + 2 + PN_LEN;
    let payload = frames.len().max(min_len.saturating_sub(head + TAG)).max(4);
    let length = PN_LEN + payload + TAG;
    out.extend_from_slice(&(0x4000 | length as u16).to_be_bytes());
    let pn_offset = out.len();
    out.extend_from_slice(&(pn as u16).to_be_bytes());
    let aad_end = out.len();
    out.extend_from_slice(frames);
    out.resize(aad_end + payload, 0); // PADDING frames are zero bytes
    let mut nonce = *keys.iv();
    for (n, p) in nonce
        .iter_mut()
        .rev()
        .zip((pn as u64).to_be_bytes().iter().rev())
    {
        *n ^= p;
    }
    let (aad, text) = out[start..].split_at_mut(aad_end - start);
    let tag = Aes128Gcm::new(&(*keys.key()).into())
        .encrypt_inout_detached(&Nonce::from(nonce), aad, text.into())
        .map(<[u8; TAG]>::from)
        .unwrap_or([0; TAG]);
    out.extend_from_slice(&tag);
    let sample: [u8; 16] = out[pn_offset + 4..pn_offset + 20]
        .try_into()
        .unwrap_or([0; 16]);
    let mut mask = aes::Block::from(sample);
    Aes128::new(&(*keys.hp()).into()).encrypt_block(&mut mask);
    out[start] ^= mask[0] & 0x0f;
    for i in 0..PN_LEN {
        out[pn_offset + i] ^= mask[1 + i];
    }
}

/// A QUIC CRYPTO frame at offset 0 holding `data` (RFC 9000 §19.6; 2-byte varints).
pub fn quic_crypto_frame(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&[0x06, 0x00]);
    out.extend_from_slice(&(0x4000 | data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}

/// OpenVPN opcodes (openvpn's `ssl_pkt.h`; the high five bits of the first
/// byte, key id in the low three).
pub mod openvpn {
    /// P_CONTROL_V1: a TLS record on the control channel.
    pub const CONTROL_V1: u8 = 4;
    /// P_ACK_V1.
    pub const ACK_V1: u8 = 5;
    /// P_CONTROL_HARD_RESET_CLIENT_V2: a client opens a session.
    pub const HARD_RESET_CLIENT_V2: u8 = 7;
    /// P_CONTROL_HARD_RESET_SERVER_V2.
    pub const HARD_RESET_SERVER_V2: u8 = 8;
    /// P_DATA_V2: tunnelled data with a 24-bit peer id.
    pub const DATA_V2: u8 = 9;
}

// OpenVPN's control packet (no tls-auth): opcode|key_id (1), session_id (8),
// ack count (1), acked packet ids (4 each) and the peer's session id (8) if
// any, then, except in P_ACK_V1, the packet's own id (4) and its payload.
/// An OpenVPN control-channel packet over UDP.
pub fn openvpn_control(
    out: &mut Vec<u8>,
    opcode: u8,
    session: u64,
    ack: Option<(u32, u64)>,
    packet_id: u32,
    payload: &[u8],
) {
    out.push(opcode << 3);
    out.extend_from_slice(&session.to_be_bytes());
    match ack {
        Some((id, peer)) => {
            out.push(1);
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&peer.to_be_bytes());
        }
        None => out.push(0),
    }
    if opcode != openvpn::ACK_V1 {
        out.extend_from_slice(&packet_id.to_be_bytes());
        out.extend_from_slice(payload);
    }
}

// P_DATA_V2 with an AEAD cipher: opcode|key_id (1), peer_id (3), packet id
// (4), tag (16), ciphertext.
/// The captured head of an OpenVPN data packet (the ciphertext is cut).
pub fn openvpn_data(out: &mut Vec<u8>, peer_id: u32, packet_id: u32, seed: u64) {
    out.push(openvpn::DATA_V2 << 3);
    out.extend_from_slice(&peer_id.to_be_bytes()[1..]);
    out.extend_from_slice(&packet_id.to_be_bytes());
    noise(out, seed, 16);
}

/// IKEv2 exchange types (RFC 7296 §3.1).
pub mod ike {
    /// IKE_SA_INIT.
    pub const SA_INIT: u8 = 34;
    /// IKE_AUTH.
    pub const AUTH: u8 = 35;
    /// The Initiator flag.
    pub const INITIATOR: u8 = 0x08;
    /// The Response flag.
    pub const RESPONSE: u8 = 0x20;
}

// RFC 7296 §3.1 header: SPIi (8), SPIr (8), next payload, version 2.0,
// exchange type, flags, message id (4), length (4). §3.2 generic payload
// header: next payload, critical bit, length (2). §3.3 SA payload with one
// proposal (IKE, no SPI) of three transforms: ENCR_AES_GCM_16 (20) with a
// 256-bit key-length attribute, PRF_HMAC_SHA2_256 (5), DH group 31
// (Curve25519); §3.4 KE; §3.9 Nonce; §3.10 the two NAT_DETECTION notifies
// (16388, 16389) with SHA-1 digests.
/// An IKE_SA_INIT request (`spi_r` = 0) or response.
pub fn ike_sa_init(out: &mut Vec<u8>, spi_i: u64, spi_r: u64, seed: u64) {
    let start = out.len();
    out.extend_from_slice(&spi_i.to_be_bytes());
    out.extend_from_slice(&spi_r.to_be_bytes());
    let flags = if spi_r == 0 {
        ike::INITIATOR
    } else {
        ike::RESPONSE
    };
    out.extend_from_slice(&[33, 0x20, ike::SA_INIT, flags, 0, 0, 0, 0, 0, 0, 0, 0]);
    // SA: one proposal, three transforms.
    let transforms: [&[u8]; 3] = [
        &[3, 0, 0, 12, 1, 0, 0, 20, 0x80, 0x0e, 1, 0],
        &[3, 0, 0, 8, 2, 0, 0, 5],
        &[0, 0, 0, 8, 4, 0, 0, 31],
    ];
    let t_len: usize = transforms.iter().map(|t| t.len()).sum();
    out.extend_from_slice(&[34, 0]);
    put_u16(out, 4 + 8 + t_len);
    out.extend_from_slice(&[0, 0]);
    put_u16(out, 8 + t_len);
    out.extend_from_slice(&[1, 1, 0, 3]);
    for t in transforms {
        out.extend_from_slice(t);
    }
    // KE: group 31, 32 bytes.
    out.extend_from_slice(&[40, 0, 0, 40, 0, 31, 0, 0]);
    noise(out, seed ^ 1, 32);
    // Nonce: 32 bytes.
    out.extend_from_slice(&[41, 0, 0, 36]);
    noise(out, seed ^ 2, 32);
    // NAT_DETECTION_SOURCE_IP, NAT_DETECTION_DESTINATION_IP.
    for (next, kind, s) in [(41u8, 16388u16, 3u64), (0, 16389, 4)] {
        out.extend_from_slice(&[next, 0, 0, 28, 0, 0]);
        out.extend_from_slice(&kind.to_be_bytes());
        noise(out, seed ^ s, 20);
    }
    let n = (out.len() - start) as u32;
    out[start + 24..start + 28].copy_from_slice(&n.to_be_bytes());
}

// RFC 3948 §2.2: IKE on port 4500 starts with a four-byte zero "non-ESP
// marker". RFC 7296 §3.14: the Encrypted and Authenticated payload (46),
// whose first inner payload here is IDi (35): IV (8, AES-GCM), ciphertext,
// ICV (16).
/// An IKE_AUTH message (message id 1) as sent on UDP 4500 after NAT-T, with
/// `inner` bytes of encrypted payloads.
pub fn ike_auth(
    out: &mut Vec<u8>,
    spi_i: u64,
    spi_r: u64,
    response: bool,
    inner: usize,
    seed: u64,
) {
    out.extend_from_slice(&[0, 0, 0, 0]);
    let start = out.len();
    out.extend_from_slice(&spi_i.to_be_bytes());
    out.extend_from_slice(&spi_r.to_be_bytes());
    let flags = if response {
        ike::RESPONSE
    } else {
        ike::INITIATOR
    };
    out.extend_from_slice(&[46, 0x20, ike::AUTH, flags, 0, 0, 0, 1, 0, 0, 0, 0]);
    out.extend_from_slice(&[35, 0]);
    put_u16(out, 4 + 8 + inner + 16);
    noise(out, seed, 8 + inner + 16);
    let n = (out.len() - start) as u32;
    out[start + 24..start + 28].copy_from_slice(&n.to_be_bytes());
}

// RFC 4303 §2: SPI (4, never 0 — 0 is RFC 3948's non-ESP marker), sequence
// number (4), then IV and ciphertext.
/// The captured head of an ESP packet in UDP (the ciphertext is cut).
pub fn esp(out: &mut Vec<u8>, spi: u32, seq: u32, seed: u64) {
    out.extend_from_slice(&spi.max(256).to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    noise(out, seed, 8);
}

/// The BitTorrent protocol string, with its length prefix (BEP 3).
pub const BT_PSTR: &[u8] = b"\x13BitTorrent protocol";

// BEP 3: handshake = pstrlen, pstr, reserved (8), info_hash (20), peer_id (20).
/// A peer-wire handshake (extension protocol and DHT bits set).
pub fn bt_handshake(out: &mut Vec<u8>, info_hash: &[u8; 20], peer_id: &[u8; 20]) {
    out.extend_from_slice(BT_PSTR);
    out.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x01]);
    out.extend_from_slice(info_hash);
    out.extend_from_slice(peer_id);
}

// BEP 5: {"t":<tid>, "y":"q", "q":"get_peers", "a": {"id":<node id>, "info_hash":<20>}}.
/// A DHT get_peers query (bencoded, keys sorted).
pub fn dht_get_peers(out: &mut Vec<u8>, tid: u16, node_id: &[u8; 20], info_hash: &[u8; 20]) {
    out.extend_from_slice(b"d1:ad2:id20:");
    out.extend_from_slice(node_id);
    out.extend_from_slice(b"9:info_hash20:");
    out.extend_from_slice(info_hash);
    out.extend_from_slice(b"e1:q9:get_peers1:t2:");
    out.extend_from_slice(&tid.to_be_bytes());
    out.extend_from_slice(b"1:y1:qe");
}

/// Percent-encodes every byte (as trackers' clients do for binary fields).
pub fn percent_all(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric() {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::Parsed;
    use crate::dissect::quic::parser::{assemble_crypto, decrypt_initial, initial_keys};

    #[test]
    fn quic_initial_decrypts_with_the_dissectors_code() {
        let dcid = [1, 2, 3, 4, 5, 6, 7, 8];
        let keys = initial_keys(QUIC_V1, &dcid, false).unwrap();
        let mut hello = Vec::new();
        client_hello(&mut hello, "www.example.org", &["h3"], 7);
        let mut frames = Vec::new();
        quic_crypto_frame(&mut frames, &hello);
        let mut pkt = Vec::new();
        quic_initial(&mut pkt, &keys, &dcid, &[9; 8], 0, &frames, 1200);
        assert_eq!(pkt.len(), 1200);
        let (initial, used) = decrypt_initial(&pkt, &keys).expect("decrypts");
        assert_eq!(used, 1200);
        assert_eq!(assemble_crypto(&initial.crypto, 1 << 16), hello);
    }

    #[test]
    fn dns_answer_parses() {
        let mut m = Vec::new();
        dns(&mut m, 7, "www.example.org", Some(([198, 19, 0, 1], 300)));
        match crate::dissect::dns::parser::parse_message(&m) {
            Parsed::Done { value, .. } => {
                assert!(value.is_response);
                assert_eq!(value.questions[0].name, "www.example.org");
            }
            other => panic!("{:?}", other.outcome()),
        }
    }
}
