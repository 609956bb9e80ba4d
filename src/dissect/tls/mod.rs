//! TLS dissector: what the cleartext part of a TLS handshake gives away (SNI,
//! ALPN, versions, cipher suites, JA3/JA4 client fingerprints, the server's
//! certificate chain in TLS 1.2).
//!
//! [`parser`] holds pure functions from bytes to values; it keeps no state,
//! does not log, and never panics on any input (every read is length-checked
//! first; nothing indexes or unwraps packet data). Reassembling handshake
//! messages across records and TCP segments, deciding when the handshake
//! becomes encrypted, and emitting records belong to the per-flow state, not
//! here.
//!
//! # Specifications
//!
//! - Record layer and handshake framing: [RFC 8446 §5.1, §4](https://www.rfc-editor.org/rfc/rfc8446)
//!   (TLS 1.3), [RFC 5246 §6.2, §7.4](https://www.rfc-editor.org/rfc/rfc5246) (TLS 1.2).
//! - ClientHello / ServerHello / HelloRetryRequest: RFC 8446 §4.1.2, §4.1.3; RFC 5246 §7.4.1.
//! - Certificate (TLS 1.2): RFC 5246 §7.4.2; names rendered with `x509-parser`.
//! - server_name: [RFC 6066 §3](https://www.rfc-editor.org/rfc/rfc6066#section-3).
//! - ALPN: [RFC 7301 §3.1](https://www.rfc-editor.org/rfc/rfc7301#section-3.1).
//! - supported_versions, supported_groups, signature_algorithms: RFC 8446 §4.2.1, §4.2.7, §4.2.3;
//!   ec_point_formats: [RFC 8422 §5.1.2](https://www.rfc-editor.org/rfc/rfc8422#section-5.1.2).
//! - GREASE: [RFC 8701](https://www.rfc-editor.org/rfc/rfc8701).
//! - JA3: <https://github.com/salesforce/ja3> — `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`,
//!   decimal, GREASE removed, MD5 in lower-case hex (matches tshark's `tls.handshake.ja3`).
//! - JA4: <https://github.com/FoxIO-LLC/ja4/blob/main/technical_details/JA4.md>
//!   (`t13d1516h2_8daaf6152771_e5627efa2ab1`), including the non-alphanumeric
//!   ALPN rule and the `000000000000` empty-hash rule.
//!
//! # Covered
//!
//! [`parser::parse_record`] (5-byte header), [`parser::parse_handshake`] (4-byte
//! header over the concatenated handshake stream), [`parser::parse_client_hello`]
//! with [`parser::ClientHello::ja3`] / [`parser::ClientHello::ja4`],
//! [`parser::parse_server_hello`] (HelloRetryRequest flagged by its special
//! `Random`), [`parser::parse_certificate`], [`parser::version_name`],
//! [`parser::is_grease`]. Content and handshake types are open enums
//! ([`parser::ContentType`], [`parser::HandshakeType`]): an unknown handshake
//! type is reported as `Unknown(n)`, not rejected.
//!
//! # Caps (`parser::cap`)
//!
//! Record fragment 2^14 + 2048 bytes; handshake message 128 KiB; per hello 512
//! cipher suites, 128 extensions, 16 ALPN names, 127 versions, 128 groups, 32
//! point formats, 128 signature algorithms, 255 bytes of SNI; 10 certificates
//! per message; 1024 bytes per rendered subject/issuer. List and SNI caps set
//! `truncated` on the value (JA3/JA4 are then computed over the kept values);
//! the record, handshake and certificate-count caps are anomalies.
//!
//! # Anomalies
//!
//! | name | meaning |
//! |---|---|
//! | `tls.record_too_long` | record length above 2^14 + 2048 |
//! | `tls.bad_content_type` | record type not 20..=24 (also SSLv2-format hellos) |
//! | `tls.bad_record_version` | record version major byte is not 3 |
//! | `tls.empty_record` | zero-length record other than application_data |
//! | `tls.handshake_too_long` | handshake message above 128 KiB |
//! | `tls.bad_client_hello` | ClientHello cut short, no compression method, or trailing bytes |
//! | `tls.bad_server_hello` | ServerHello cut short or trailing bytes |
//! | `tls.bad_session_id` | legacy_session_id longer than 32 bytes |
//! | `tls.bad_cipher_list` | empty or odd-length cipher_suites |
//! | `tls.bad_extension` | extension lengths overrun, or a decoded extension is malformed |
//! | `tls.bad_sni` | server_name lengths do not add up, empty list or empty name |
//! | `tls.bad_alpn` | ALPN lengths do not add up or empty list |
//! | `tls.bad_certificate` | Certificate lengths do not add up or an empty entry |
//! | `tls.too_many_certificates` | more than 10 certificates |
//!
//! # Known limits
//!
//! - No DTLS records and no SSLv2-format ClientHello (reported as `tls.bad_content_type`).
//! - Nothing encrypted is read: TLS 1.3 Certificate/EncryptedExtensions are out
//!   of reach, and [`parser::parse_certificate`] expects the TLS 1.2 layout (no
//!   request context, no per-certificate extensions).
//! - A certificate that x509-parser rejects still yields an entry (`parsed:
//!   false`, empty names) so the leaf stays at index 0; trailing bytes after a
//!   certificate's DER are ignored.
//! - Names are rendered in DER order as x509-parser does (`C=US, O=..., CN=...`),
//!   not reversed as RFC 4514 writes them; non-UTF-8 values are kept lossily.
//! - A repeated extension is listed every time but only its first occurrence is
//!   decoded; duplicates are not flagged. Unknown SNI name types are skipped.
//! - Empty ALPN names are tolerated (JA4 defines them); the RFC minimum list
//!   lengths are otherwise enforced.
//! - JA4 is computed for TLS over TCP (`t`) or QUIC (`q`), never DTLS (`d`).

pub mod certs;
pub mod parser;
pub mod state;

pub use state::TLS;
