//! STARTTLS preambles: the clear-text start of IMAP, POP3, FTP, XMPP, LDAP
//! and PostgreSQL connections that switch to TLS, handed over to the TLS
//! dissector the moment the server accepts, so that the server name and the
//! certificate of the encrypted part are read as on a TLS port.
//!
//! Each protocol is a small preamble, not a full dissector: it records the
//! protocol, the user name if one went in the clear before TLS (IMAP `LOGIN`,
//! POP3 `USER`, FTP `USER`, an LDAP simple bind's name, PostgreSQL's startup
//! `user`), and whether TLS was started; then it hands the stream over
//! ([`crate::dissect::Progress::Handover`]), as SMTP does after `220` to
//! `STARTTLS`.
//!
//! The command and the server's acceptance, per protocol:
//! - IMAP (RFC 3501 §6.2.1): `tag STARTTLS`, then `tag OK`;
//! - POP3 (RFC 2595 §4): `STLS`, then `+OK`;
//! - FTP (RFC 4217 §4): `AUTH TLS` (or `AUTH SSL`), then `234`;
//! - XMPP (RFC 6120 §5.4.2): `<starttls .../>`, then `<proceed .../>`;
//! - LDAP (RFC 4511 §4.14): an ExtendedRequest with the OID
//!   `1.3.6.1.4.1.1466.20037`, then an ExtendedResponse with result 0;
//! - PostgreSQL (protocol 3.0, "SSL Session Encryption"): the 8-byte
//!   SSLRequest, then the single byte `S`.
//!
//! Probing is by port (143, 110, 21, 5222/5269, 389, 5432) and by the
//! protocol's first bytes; a connection that never asks for TLS gives a
//! record with `tls` false when it ends.
//!
//! Anomalies: `starttls.line_too_long` (a line over 1024 octets without its
//! end: the preamble stops reading that side); `starttls.refused` (the server
//! answered the request with anything but acceptance).
//!
//! Known limits: implicit-TLS ports (993, 995, 990, 636) are TLS from the
//! first byte and the TLS dissector claims them; SASL mechanisms are not
//! decoded (a user name inside `AUTHENTICATE PLAIN` is not read).

pub mod parser;
pub mod state;

pub use state::STARTTLS;
