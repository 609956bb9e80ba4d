//! A flood's flow-table input, shared by `benches/flow.rs` (the table alone)
//! and `benches/dissect.rs` (the table and the DNS dissector, as a worker runs
//! them): each packet a new UDP flow to a DNS server.

use std::net::Ipv4Addr;

use ivraie::decode::{Addr, ipproto};
use ivraie::flow::{FlowKey, FlowPacket, Subscribers};

#[path = "../../tests/it/support/flood_words.rs"]
pub mod flood_words;

/// Flows held by the churn bench's table: a flood test worker's share of its cap.
pub const CHURN_CAP: usize = 100_000;

/// A flood's packets: each one a new UDP flow from a random subscriber
/// address and port, as `tests/it/flood.rs` makes them.
pub fn churn_packets(n: usize) -> Vec<FlowPacket> {
    let mut words = flood_words::FloodWords::new();
    let subs = Subscribers::private();
    (0..n as u64)
        .map(|index| {
            let r = words.next();
            let a = Addr::v4(Ipv4Addr::from((10 << 24) | (r as u32 & 0x00ff_ffff)));
            let b = Addr::v4(Ipv4Addr::new(192, 0, 2, 53));
            // 10/8 sorts below 192.0.2/24: the subscriber is endpoint `a`.
            let key = FlowKey {
                a,
                b,
                pa: 1024 + (r >> 48) as u16 % 60_000,
                pb: 53,
                proto: ipproto::UDP,
            };
            let ts_ns = 1_767_225_600_000_000_000 + index as i64 * 1_000;
            FlowPacket {
                ts_ns,
                now_ns: ts_ns,
                wirelen: 80,
                key,
                hash: key.hash(),
                from_a: true,
                sub_a: subs.contains(&key.a),
                sub_b: subs.contains(&key.b),
                tcp_flags: 0,
            }
        })
        .collect()
}
