//! BitTorrent dissector (in progress: parser first).
//!
//! [`parser`] reads the metadata a BitTorrent client reveals: the peer-wire
//! handshake on TCP, tracker announces (the request-target of an HTTP GET, or
//! a UDP tracker datagram), and DHT KRPC datagrams with the bencode decoder
//! they need. It keeps no state and never panics on any input: fixed fields
//! are read through named, checked ranges, numbers use checked arithmetic and
//! the bencode recursion is capped. Per-flow state and records belong to the
//! rest of this folder; the HTTP head itself is parsed by `dissect::http`.
//!
//! Specifications: [BEP 3](https://www.bittorrent.org/beps/bep_0003.html)
//! (bencoding, handshake, HTTP tracker), [BEP 5](https://www.bittorrent.org/beps/bep_0005.html)
//! (DHT), [BEP 15](https://www.bittorrent.org/beps/bep_0015.html) (UDP tracker),
//! [BEP 23](https://www.bittorrent.org/beps/bep_0023.html) (compact announces);
//! reserved bits of [BEP 10](https://www.bittorrent.org/beps/bep_0010.html) and
//! [BEP 6](https://www.bittorrent.org/beps/bep_0006.html).
//!
//! Covered:
//! - handshake: info_hash, peer id, reserved bytes and their extension flags
//!   ([`parser::parse_handshake`]; `consumed` is 68, messages may follow);
//! - HTTP announce: info_hash (percent-decoded, exactly 20 bytes), peer_id,
//!   port, event, uploaded, downloaded, left ([`parser::parse_announce_uri`]);
//! - UDP announce (action 1, 98 bytes): the same fields
//!   ([`parser::parse_udp_tracker_announce`]; event as an open enum,
//!   [`parser::UdpEvent`]);
//! - bencode ([`parser::parse_bencode`]) and DHT messages: transaction id, type,
//!   query method, querying or responding node id, and the info_hash of
//!   `get_peers` / `announce_peer` ([`parser::parse_dht`]);
//! - [`parser::hex`] for printing ids.
//!
//! Caps (in `parser::cap`): bencode depth 16 (`MAX_BENCODE_DEPTH`), 1024 values
//! per message (`MAX_BENCODE_ITEMS`), strings of 1 MiB (`MAX_BENCODE_STRING`);
//! DHT transaction id and method name 64 bytes (`MAX_DHT_TRANSACTION`,
//! `MAX_DHT_METHOD`); 64 query parameters per announce (`MAX_QUERY_PARAMS`,
//! more gives `None`); announce event 32 bytes (`MAX_EVENT_LEN`, longer is
//! dropped).
//!
//! Anomalies:
//! - `bittorrent.bad_handshake`: the stream does not start with
//!   `\x13BitTorrent protocol` (as soon as one byte differs);
//! - `bittorrent.bencode_too_deep`, `bittorrent.bencode_too_big`: over the caps
//!   above (a length like `999999999:` is too big before any data is read);
//! - `bittorrent.bad_bencode`: syntax (unknown type byte, negative or
//!   zero-padded length, `i-0e`, `i03e`, integer over `i64`, non-string key);
//! - `bittorrent.dht_truncated`: a DHT datagram whose bencode stops short;
//! - `bittorrent.dht_not_dict`: a DHT datagram that is not a dictionary;
//! - `bittorrent.dht_bad_message`: no `t`, no known `y`, or a query without `q`;
//! - `bittorrent.dht_field_too_long`: transaction id or method over its cap.
//!
//! Known limits:
//! - encrypted peer connections (MSE/PE) and uTP (BEP 29) are not decoded: an
//!   MSE stream is `bittorrent.bad_handshake`; messages after the handshake
//!   are not parsed;
//! - HTTP announce: the first copy of a key wins (a scrape gives its first
//!   hash), `+` decodes to a space, `compact`, `numwant`, `key`, `ip` are not
//!   reported, and malformed numbers are dropped field by field;
//! - UDP tracker: only the announce request; connect, responses, scrape and
//!   BEP 41 options are not parsed; any datagram of 98+ bytes with action 1 at
//!   offset 8 is taken for one, so callers should use it on tracker flows;
//! - DHT: `nodes`, `values`, `token`, `target` and BEP 42's `ip` are not
//!   reported; methods beyond BEP 5 are reported by name only; dictionary key
//!   order is not checked and the first of duplicate keys wins; bytes after the
//!   dictionary are left to the caller (`consumed`).

pub mod parser;
pub mod state;

pub use state::BITTORRENT;
