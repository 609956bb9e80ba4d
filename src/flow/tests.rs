//! Flow table and subscriber-range tests.
//!
//! Packets are built as the pipeline builds them: a [`Decoded`] summary, then
//! [`FlowKey::of`] and [`FlowKey::hash`]. Addresses come from the documentation
//! ranges (RFC 5737) for outside hosts and the private ranges for subscribers.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::decode::L3;
use crate::record::ProtoName;

const S: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;
/// A start time: 2023-11-14T22:13:20Z.
const T0: i64 = 1_700_000_000 * S;

fn ip(a: u8, b: u8, c: u8, d: u8) -> Addr {
    Addr::v4(Ipv4Addr::new(a, b, c, d))
}

/// One conversation between a client and a server, seen from the flow table.
#[derive(Clone, Copy)]
struct Conv {
    client: (Addr, u16),
    server: (Addr, u16),
    proto: u8,
}

impl Conv {
    /// A packet of this conversation, `from_client` or not.
    fn packet(
        &self,
        from_client: bool,
        ts_ns: i64,
        flags: u8,
        wirelen: u32,
        subs: &Subscribers,
    ) -> FlowPacket {
        let (src, dst) = if from_client {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        let d = Decoded {
            l3: L3::Ipv4,
            src: src.0,
            dst: dst.0,
            proto: self.proto,
            sport: src.1,
            dport: dst.1,
            tcp_flags: flags,
            has_l4: true,
            ..Decoded::default()
        };
        let (key, from_a) = FlowKey::of(&d);
        BUILT.with(|b| b.borrow_mut().push(crate::flow::flow_id(ts_ns, &key)));
        FlowPacket {
            ts_ns,
            now_ns: ts_ns,
            wirelen,
            key,
            hash: key.hash(),
            from_a,
            sub_a: subs.contains(&key.a),
            sub_b: subs.contains(&key.b),
            tcp_flags: flags,
        }
    }
}

/// 192.168.1.10:50000 -> 93.184.216.34:443 over TCP. The client is the higher
/// address, so it is endpoint `b` of the key: originator mapping is not the
/// key order by accident.
const WEB: Conv = Conv {
    client: (ip_const([192, 168, 1, 10]), 50000),
    server: (ip_const([93, 184, 216, 34]), 443),
    proto: ipproto::TCP,
};

/// 192.168.1.10:5000 -> 198.51.100.7:5001 over UDP (no known application).
const UDP: Conv = Conv {
    client: (ip_const([192, 168, 1, 10]), 5000),
    server: (ip_const([198, 51, 100, 7]), 5001),
    proto: ipproto::UDP,
};

/// `Addr::v4` in a const context: the v4-mapped form `::ffff:a.b.c.d`.
const fn ip_const(o: [u8; 4]) -> Addr {
    Addr([
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, o[0], o[1], o[2], o[3],
    ])
}

const SYN: u8 = tcp_flag::SYN;
const SYN_ACK: u8 = tcp_flag::SYN | tcp_flag::ACK;
const ACK: u8 = tcp_flag::ACK;
const FIN_ACK: u8 = tcp_flag::FIN | tcp_flag::ACK;
const RST_ACK: u8 = tcp_flag::RST | tcp_flag::ACK;
const PSH_ACK: u8 = 0x08 | tcp_flag::ACK;

fn table() -> FlowTable {
    FlowTable::new(FlowConfig::default(), 1000)
}

thread_local! {
    /// The ids a flow starting with each packet built so far (by this test's
    /// thread) would get, in the order the packets were built.
    static BUILT: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A record with its flow id replaced by the number (from 1) of the packet
/// that started it, in the order the test built its packets: what tests
/// can state. (`flow_id_is_a_hash_of_the_first_packet_time_and_key`
/// checks the ids themselves.)
fn numbered(mut r: FlowRecord) -> FlowRecord {
    let n = BUILT.with(|b| b.borrow().iter().position(|&id| id == r.flow_id));
    r.flow_id = n.map_or(0, |i| i as u64 + 1);
    r
}

/// Feeds packets; returns the records emitted meanwhile.
fn feed(t: &mut FlowTable, pkts: &[FlowPacket]) -> Vec<FlowRecord> {
    let mut out = Vec::new();
    for p in pkts {
        t.update(p, &mut |r, _| out.push(numbered(r)));
    }
    out
}

fn drain(t: &mut FlowTable) -> Vec<FlowRecord> {
    let mut out = Vec::new();
    t.drain(&mut |r, _| out.push(numbered(r)));
    out
}

fn sweep(t: &mut FlowTable) -> Vec<FlowRecord> {
    let mut out = Vec::new();
    t.sweep(&mut |r, _| out.push(numbered(r)));
    out
}

/// (flow_id, end, orig_pkts, resp_pkts) of each record.
fn summary(recs: &[FlowRecord]) -> Vec<(u64, EndReason, u64, u64)> {
    recs.iter()
        .map(|r| (r.flow_id, r.end, r.orig_pkts, r.resp_pkts))
        .collect()
}

#[test]
fn test_addresses_match_addr_v4() {
    assert_eq!(WEB.client.0, ip(192, 168, 1, 10));
    assert_eq!(WEB.server.0, ip(93, 184, 216, 34));
}

#[test]
fn both_directions_map_to_one_flow_with_per_direction_counts() {
    let subs = Subscribers::private();
    let pkts = [
        WEB.packet(true, T0, SYN, 74, &subs),
        WEB.packet(false, T0 + 10 * MS, SYN_ACK, 74, &subs),
        WEB.packet(true, T0 + 20 * MS, ACK, 66, &subs),
        WEB.packet(true, T0 + 30 * MS, PSH_ACK, 200, &subs),
        WEB.packet(false, T0 + 50 * MS, ACK, 1500, &subs),
    ];
    // The canonical key is the same both ways and the sender side flips.
    assert_eq!(pkts[0].key, pkts[1].key);
    assert_eq!(pkts[0].hash, pkts[1].hash);
    assert_eq!((pkts[0].from_a, pkts[1].from_a), (false, true));

    let mut t = table();
    assert_eq!(feed(&mut t, &pkts), vec![]);
    assert_eq!(t.len(), 1);
    assert_eq!(
        drain(&mut t),
        vec![FlowRecord {
            ts: 1_700_000_000.0,
            flow_id: 1,
            orig_h: WEB.client.0,
            orig_p: 50000,
            resp_h: WEB.server.0,
            resp_p: 443,
            proto: ProtoName(6),
            last_ts: 1_700_000_000.05,
            duration: 0.05,
            orig_pkts: 3,
            orig_bytes: 74 + 66 + 200,
            resp_pkts: 2,
            resp_bytes: 74 + 1500,
            orig_flags: Some("SPA".into()),
            resp_flags: Some("SA".into()),
            app: "tls",
            subscriber: Some(WEB.client.0),
            subscriber_side: Some(SubscriberSide::Orig),
            end: EndReason::Eof,
            first_ns: 1_700_000_000_000_000_000,
            last_ns: 1_700_000_000_050_000_000,
        }]
    );
    assert!(t.is_empty());
    assert_eq!(
        t.stats(),
        FlowStats {
            created: 1,
            evicted: 0,
            peak: 1
        }
    );
}

#[test]
fn syn_sender_is_originator_when_it_is_endpoint_b() {
    // The client's address is the higher one (key endpoint `b`); it still
    // originates because it sent the SYN.
    let subs = Subscribers::private();
    let pkts = [
        WEB.packet(true, T0, SYN, 74, &subs),
        WEB.packet(false, T0 + MS, SYN_ACK, 74, &subs),
    ];
    assert!(!pkts[0].from_a);
    let mut t = table();
    feed(&mut t, &pkts);
    let r = &drain(&mut t)[0];
    assert_eq!((r.orig_h, r.orig_p), WEB.client);
    assert_eq!((r.resp_h, r.resp_p), WEB.server);
    assert_eq!(
        (r.orig_flags.as_deref(), r.resp_flags.as_deref()),
        (Some("S"), Some("SA"))
    );
}

#[test]
fn syn_ack_first_flips_the_originator() {
    // The SYN was missed: the SYN-ACK's receiver is the originator.
    let subs = Subscribers::private();
    let pkts = [
        WEB.packet(false, T0, SYN_ACK, 74, &subs),
        WEB.packet(true, T0 + MS, ACK, 66, &subs),
        WEB.packet(true, T0 + 2 * MS, PSH_ACK, 300, &subs),
    ];
    let mut t = table();
    feed(&mut t, &pkts);
    let recs = drain(&mut t);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!((r.orig_h, r.orig_p), WEB.client);
    assert_eq!((r.resp_h, r.resp_p), WEB.server);
    assert_eq!((r.orig_pkts, r.orig_bytes), (2, 366));
    assert_eq!((r.resp_pkts, r.resp_bytes), (1, 74));
    assert_eq!(r.flow_id, 1);
    assert_eq!(r.subscriber_side, Some(SubscriberSide::Orig));
}

#[test]
fn first_sender_is_originator_without_tcp() {
    let subs = Subscribers::private();
    let pkts = [
        UDP.packet(false, T0, 0, 100, &subs),
        UDP.packet(true, T0 + MS, 0, 80, &subs),
    ];
    let mut t = table();
    feed(&mut t, &pkts);
    let r = &drain(&mut t)[0];
    assert_eq!((r.orig_h, r.orig_p), UDP.server);
    assert_eq!(
        (r.orig_pkts, r.orig_bytes, r.resp_pkts, r.resp_bytes),
        (1, 100, 1, 80)
    );
    assert_eq!((r.orig_flags.clone(), r.resp_flags.clone()), (None, None));
    assert_eq!(r.proto, ProtoName(17));
    assert_eq!(r.app, "unknown");
    assert_eq!(r.subscriber, Some(UDP.client.0));
    assert_eq!(r.subscriber_side, Some(SubscriberSide::Resp));
}

/// Handshake, data, FIN from both sides and the last ACK, from index 1 at T0.
fn closed_conversation(subs: &Subscribers) -> Vec<FlowPacket> {
    vec![
        WEB.packet(true, T0, SYN, 74, subs),
        WEB.packet(false, T0 + MS, SYN_ACK, 74, subs),
        WEB.packet(true, T0 + 2 * MS, ACK, 66, subs),
        WEB.packet(true, T0 + 3 * MS, FIN_ACK, 66, subs),
        WEB.packet(false, T0 + 4 * MS, FIN_ACK, 66, subs),
        // Within the close linger: still this flow.
        WEB.packet(true, T0 + 5 * MS, ACK, 66, subs),
    ]
}

#[test]
fn fin_from_both_sides_then_new_syn_starts_a_new_flow() {
    let subs = Subscribers::private();
    let mut pkts = closed_conversation(&subs);
    // Same 5-tuple reused one second later.
    pkts.push(WEB.packet(true, T0 + S, SYN, 74, &subs));
    let mut t = table();
    let ended = feed(&mut t, &pkts);
    assert_eq!(summary(&ended), vec![(1, EndReason::Fin, 4, 2)]);
    assert_eq!(ended[0].last_ts, 1_700_000_000.005);
    assert_eq!(ended[0].orig_flags.as_deref(), Some("FSA"));
    assert_eq!(ended[0].resp_flags.as_deref(), Some("FSA"));
    let rest = drain(&mut t);
    assert_eq!(summary(&rest), vec![(7, EndReason::Eof, 1, 0)]);
    assert_eq!(rest[0].ts, 1_700_000_001.0);
    assert_eq!(t.stats().created, 2);
}

#[test]
fn packets_within_close_linger_count_in_the_same_flow() {
    let subs = Subscribers::private();
    let mut pkts = closed_conversation(&subs);
    // The second FIN was at T0 + 4 ms; the linger is 5 s, inclusive.
    pkts.push(WEB.packet(false, T0 + 4 * MS + 5 * S, ACK, 66, &subs));
    let mut t = table();
    assert_eq!(feed(&mut t, &pkts), vec![]);
    // A new connection on the tuple closes the first one at once.
    let ended = feed(&mut t, &[WEB.packet(true, T0 + 6 * S, SYN, 74, &subs)]);
    assert_eq!(summary(&ended), vec![(1, EndReason::Fin, 4, 3)]);
    assert_eq!(summary(&drain(&mut t)), vec![(8, EndReason::Eof, 1, 0)]);
}

#[test]
fn fin_closed_flow_at_end_of_input_ends_fin_not_eof() {
    // Found while writing these tests (no capture): a connection closed by FIN
    // from both sides whose capture ends within the 5 s linger was written with
    // end=eof, which the record documents as "still open when the input ended".
    let subs = Subscribers::private();
    let mut t = table();
    feed(&mut t, &closed_conversation(&subs));
    assert_eq!(summary(&drain(&mut t)), vec![(1, EndReason::Fin, 4, 2)]);
}

#[test]
fn rst_closed_flow_at_end_of_input_ends_rst_not_eof() {
    // Same as above for a reset connection.
    let subs = Subscribers::private();
    let mut t = table();
    feed(
        &mut t,
        &[
            WEB.packet(true, T0, SYN, 74, &subs),
            WEB.packet(false, T0 + MS, RST_ACK, 60, &subs),
        ],
    );
    assert_eq!(summary(&drain(&mut t)), vec![(1, EndReason::Rst, 1, 1)]);
}

#[test]
fn drain_gives_flows_over_by_the_clock_their_own_reason() {
    // A UDP flow idle for 100 s by the clock when the input ends is idle, not eof.
    let subs = Subscribers::private();
    let mut t = table();
    feed(
        &mut t,
        &[
            UDP.packet(true, T0, 0, 10, &subs),
            WEB.packet(true, T0 + 100 * S, SYN, 74, &subs),
        ],
    );
    assert_eq!(
        summary(&drain(&mut t)),
        vec![(1, EndReason::Idle, 1, 0), (2, EndReason::Eof, 1, 0)]
    );
}

#[test]
fn expiry_follows_the_run_clock_not_the_packet_timestamp() {
    // A packet whose timestamp steps back (T0 + 30 s) after the clock reached
    // T0 + 100 s: its flow, last seen at T0, is idle by the clock.
    let subs = Subscribers::private();
    let late = UDP.packet(true, T0 + 30 * S, 0, 10, &subs);
    let late = FlowPacket {
        now_ns: T0 + 100 * S,
        ..late
    };
    let mut t = table();
    let ended = feed(
        &mut t,
        &[
            UDP.packet(true, T0, 0, 10, &subs),
            WEB.packet(true, T0 + 100 * S, SYN, 74, &subs),
            late,
        ],
    );
    // (Packets numbered in the order built: `late` first.)
    assert_eq!(summary(&ended), vec![(2, EndReason::Idle, 1, 0)]);
    // The new flow's record has its packet's own time, 70 s behind the clock,
    // but it was seen when the clock read T0 + 100 s: it is not idle.
    let rest = drain(&mut t);
    assert_eq!(
        summary(&rest),
        vec![(1, EndReason::Eof, 1, 0), (3, EndReason::Eof, 1, 0)]
    );
    assert_eq!(rest[0].ts, 1_700_000_030.0);
}

#[test]
fn a_connection_after_the_clock_stepped_back_stays_one_flow() {
    // Two captures merged out of order (nDPI's jsonrpc.pcap: 2023, then
    // 2014): after the clock reached T0 + 10 years, a connection at T0 sends
    // a packet a second; each is 10 years behind the clock, none is idle.
    let subs = Subscribers::private();
    let clock = T0 + 315_360_000 * S;
    let mut packets = vec![UDP.packet(true, clock, 0, 10, &subs)];
    for k in 0..5 {
        let p = WEB.packet(k % 2 == 0, T0 + k * S, ACK, 60, &subs);
        packets.push(FlowPacket { now_ns: clock, ..p });
    }
    let mut t = table();
    assert!(feed(&mut t, &packets).is_empty());
    let rest = drain(&mut t);
    assert_eq!(
        summary(&rest),
        vec![(1, EndReason::Eof, 1, 0), (2, EndReason::Eof, 3, 2)]
    );
}

#[test]
fn advance_moves_the_clock_for_sweep_without_a_packet() {
    let subs = Subscribers::private();
    let mut t = table();
    feed(&mut t, &[UDP.packet(true, T0, 0, 10, &subs)]);
    t.advance(T0 + 60 * S);
    assert_eq!(sweep(&mut t), vec![]);
    t.advance(T0 + 60 * S + 1);
    assert_eq!(summary(&sweep(&mut t)), vec![(1, EndReason::Idle, 1, 0)]);
    assert!(t.is_empty());
    // The clock never goes back.
    // A flow starting at the same instant with the same 5-tuple has the same
    // id (a replayed packet): 1 again.
    t.advance(T0);
    feed(&mut t, &[UDP.packet(true, T0, 0, 10, &subs)]);
    assert_eq!(summary(&sweep(&mut t)), vec![(1, EndReason::Idle, 1, 0)]);
}

#[test]
fn packet_after_close_linger_starts_a_new_flow() {
    let subs = Subscribers::private();
    let mut pkts = closed_conversation(&subs);
    pkts.push(WEB.packet(false, T0 + 4 * MS + 5 * S + 1, ACK, 66, &subs));
    let mut t = table();
    let ended = feed(&mut t, &pkts);
    assert_eq!(summary(&ended), vec![(1, EndReason::Fin, 4, 2)]);
    // The late packet is a flow of its own, originated by its sender.
    let rest = drain(&mut t);
    assert_eq!(summary(&rest), vec![(7, EndReason::Eof, 1, 0)]);
    assert_eq!(rest[0].orig_h, WEB.server.0);
}

#[test]
fn fin_from_one_side_only_does_not_close() {
    let subs = Subscribers::private();
    let pkts = [
        WEB.packet(true, T0, SYN, 74, &subs),
        WEB.packet(true, T0 + MS, FIN_ACK, 66, &subs),
        WEB.packet(true, T0 + 10 * S, FIN_ACK, 66, &subs),
        // A SYN from the same side with the other side still open: same flow.
        WEB.packet(true, T0 + 11 * S, SYN, 74, &subs),
    ];
    let mut t = table();
    assert_eq!(feed(&mut t, &pkts), vec![]);
    assert_eq!(summary(&drain(&mut t)), vec![(1, EndReason::Eof, 4, 0)]);
}

#[test]
fn rst_ends_the_flow() {
    let subs = Subscribers::private();
    let pkts = [
        WEB.packet(true, T0, SYN, 74, &subs),
        WEB.packet(false, T0 + MS, RST_ACK, 60, &subs),
        // Within the linger: same flow.
        WEB.packet(true, T0 + 2 * MS, ACK, 60, &subs),
        // A new connection on the same tuple.
        WEB.packet(true, T0 + S, SYN, 74, &subs),
    ];
    let mut t = table();
    let ended = feed(&mut t, &pkts);
    assert_eq!(summary(&ended), vec![(1, EndReason::Rst, 2, 1)]);
    assert_eq!(ended[0].resp_flags.as_deref(), Some("RA"));
    assert_eq!(summary(&drain(&mut t)), vec![(4, EndReason::Eof, 1, 0)]);
}

#[test]
fn rst_flow_ends_rst_after_linger_on_any_packet() {
    let subs = Subscribers::private();
    let pkts = [
        WEB.packet(true, T0, SYN, 74, &subs),
        WEB.packet(false, T0 + MS, RST_ACK, 60, &subs),
        WEB.packet(true, T0 + MS + 5 * S + 1, ACK, 60, &subs),
    ];
    let mut t = table();
    let ended = feed(&mut t, &pkts);
    assert_eq!(summary(&ended), vec![(1, EndReason::Rst, 1, 1)]);
}

#[test]
fn udp_idle_timeout_is_sixty_seconds() {
    let subs = Subscribers::private();
    let pkts = [
        UDP.packet(true, T0, 0, 100, &subs),
        // Exactly 60 s later: not yet idle.
        UDP.packet(false, T0 + 60 * S, 0, 100, &subs),
        // 61 s after that: idle.
        UDP.packet(true, T0 + 121 * S, 0, 100, &subs),
    ];
    let mut t = table();
    let ended = feed(&mut t, &pkts);
    assert_eq!(summary(&ended), vec![(1, EndReason::Idle, 1, 1)]);
    assert_eq!(ended[0].duration, 60.0);
    assert_eq!(summary(&drain(&mut t)), vec![(3, EndReason::Eof, 1, 0)]);
}

#[test]
fn tcp_idle_timeout_is_three_hundred_seconds() {
    let subs = Subscribers::private();
    let pkts = [
        WEB.packet(true, T0, ACK, 66, &subs),
        // 200 s: would be idle for UDP, not for TCP.
        WEB.packet(true, T0 + 200 * S, ACK, 66, &subs),
        // 300 s exactly: not yet.
        WEB.packet(true, T0 + 500 * S, ACK, 66, &subs),
        // 301 s: idle.
        WEB.packet(true, T0 + 801 * S, ACK, 66, &subs),
    ];
    let mut t = table();
    let ended = feed(&mut t, &pkts);
    assert_eq!(summary(&ended), vec![(1, EndReason::Idle, 3, 0)]);
    assert_eq!(summary(&drain(&mut t)), vec![(4, EndReason::Eof, 1, 0)]);
}

#[test]
fn active_timeout_splits_a_long_flow() {
    let subs = Subscribers::private();
    // A packet every 50 s: never idle. 0 s .. 1800 s is 37 packets, all within
    // the 30-minute active timeout; the one at 1850 s starts a new record.
    let pkts: Vec<FlowPacket> = (0..38)
        .map(|i| UDP.packet(i % 2 == 0, T0 + i * 50 * S, 0, 10, &subs))
        .collect();
    let mut t = table();
    let ended = feed(&mut t, &pkts);
    assert_eq!(summary(&ended), vec![(1, EndReason::Active, 19, 18)]);
    assert_eq!(ended[0].duration, 1800.0);
    assert_eq!(ended[0].orig_bytes, 190);
    assert_eq!(summary(&drain(&mut t)), vec![(38, EndReason::Eof, 1, 0)]);
}

#[test]
fn sweep_emits_an_idle_flow_once_a_later_packet_advances_the_clock() {
    let subs = Subscribers::private();
    let other = Conv {
        client: (UDP.client.0, 5002),
        ..UDP
    };
    let mut t = table();
    assert_eq!(sweep(&mut t), vec![]);
    feed(
        &mut t,
        &[
            UDP.packet(true, T0, 0, 100, &subs),
            other.packet(true, T0 + 30 * S, 0, 100, &subs),
        ],
    );
    // Nothing is over at T0 + 30 s.
    assert_eq!(sweep(&mut t), vec![]);
    // A packet of the other flow moves the clock to T0 + 61 s.
    assert_eq!(
        feed(&mut t, &[other.packet(true, T0 + 61 * S, 0, 100, &subs)]),
        vec![]
    );
    assert_eq!(t.len(), 2);
    let swept = sweep(&mut t);
    assert_eq!(summary(&swept), vec![(1, EndReason::Idle, 1, 0)]);
    assert_eq!(swept[0].last_ts, 1_700_000_000.0);
    assert_eq!(t.len(), 1);
    assert_eq!(summary(&drain(&mut t)), vec![(2, EndReason::Eof, 2, 0)]);
}

#[test]
fn sweep_and_no_sweep_give_the_same_records() {
    // Records depend on each flow's own packets, not on when the table sweeps.
    let subs = Subscribers::private();
    let mut pkts = closed_conversation(&subs);
    pkts.push(UDP.packet(true, T0 + 10 * S, 0, 50, &subs));
    pkts.push(UDP.packet(true, T0 + 100 * S, 0, 50, &subs));
    pkts.push(WEB.packet(true, T0 + 200 * S, SYN, 74, &subs));
    let mut lazy = table();
    let mut recs_lazy = feed(&mut lazy, &pkts);
    recs_lazy.extend(drain(&mut lazy));
    let mut eager = table();
    let mut recs_eager = Vec::new();
    for p in &pkts {
        recs_eager.extend(feed(&mut eager, std::slice::from_ref(p)));
        recs_eager.extend(sweep(&mut eager));
    }
    recs_eager.extend(drain(&mut eager));
    recs_lazy.sort_by_key(|r| r.flow_id);
    recs_eager.sort_by_key(|r| r.flow_id);
    assert_eq!(recs_lazy, recs_eager);
    assert_eq!(
        summary(&recs_lazy),
        vec![
            (1, EndReason::Fin, 4, 2),
            (7, EndReason::Idle, 1, 0),
            // Idle 100 s by the clock when the input ends.
            (8, EndReason::Idle, 1, 0),
            (9, EndReason::Eof, 1, 0),
        ]
    );
}

#[test]
fn full_table_evicts_the_stalest_flow() {
    let subs = Subscribers::private();
    let conv = |port: u16| Conv {
        client: (UDP.client.0, port),
        ..UDP
    };
    let (a, b, c) = (conv(1001), conv(1002), conv(1003));
    let mut t = FlowTable::new(FlowConfig::default(), 2);
    let ended = feed(
        &mut t,
        &[
            a.packet(true, T0, 0, 10, &subs),
            b.packet(true, T0 + S, 0, 10, &subs),
            // A is refreshed: B is now the stalest though it came second.
            a.packet(true, T0 + 2 * S, 0, 10, &subs),
            c.packet(true, T0 + 3 * S, 0, 10, &subs),
        ],
    );
    assert_eq!(summary(&ended), vec![(2, EndReason::Evicted, 1, 0)]);
    assert_eq!(ended[0].orig_p, 1002);
    assert_eq!(
        t.stats(),
        FlowStats {
            created: 3,
            evicted: 1,
            peak: 2
        }
    );
    assert_eq!(t.len(), 2);
    assert_eq!(
        summary(&drain(&mut t)),
        vec![(1, EndReason::Eof, 2, 0), (4, EndReason::Eof, 1, 0)]
    );
}

#[test]
fn full_table_expires_an_over_flow_before_evicting() {
    let subs = Subscribers::private();
    let conv = |port: u16| Conv {
        client: (UDP.client.0, port),
        ..UDP
    };
    let mut t = FlowTable::new(FlowConfig::default(), 2);
    let ended = feed(
        &mut t,
        &[
            conv(1001).packet(true, T0, 0, 10, &subs),
            conv(1002).packet(true, T0 + 100 * S, 0, 10, &subs),
            // The first flow has been idle 101 s: it makes room, no eviction.
            conv(1003).packet(true, T0 + 101 * S, 0, 10, &subs),
        ],
    );
    assert_eq!(summary(&ended), vec![(1, EndReason::Idle, 1, 0)]);
    assert_eq!(t.stats().evicted, 0);
}

#[test]
fn cap_of_zero_holds_one_flow() {
    let subs = Subscribers::private();
    let mut t = FlowTable::new(FlowConfig::default(), 0);
    let ended = feed(
        &mut t,
        &[
            UDP.packet(true, T0, 0, 10, &subs),
            WEB.packet(true, T0 + 1, SYN, 74, &subs),
        ],
    );
    assert_eq!(summary(&ended), vec![(1, EndReason::Evicted, 1, 0)]);
    assert_eq!(t.len(), 1);
}

#[test]
fn drain_ends_every_flow_with_eof() {
    let subs = Subscribers::private();
    let icmp = Conv {
        client: (ip(10, 0, 0, 1), 0x1234),
        server: (ip(1, 1, 1, 1), 0x1234),
        proto: ipproto::ICMP,
    };
    let mut t = table();
    feed(
        &mut t,
        &[
            WEB.packet(true, T0, SYN, 74, &subs),
            UDP.packet(true, T0 + S, 0, 100, &subs),
            icmp.packet(true, T0 + 2 * S, 0, 98, &subs),
        ],
    );
    let recs = drain(&mut t);
    assert_eq!(
        summary(&recs),
        vec![
            (1, EndReason::Eof, 1, 0),
            (2, EndReason::Eof, 1, 0),
            (3, EndReason::Eof, 1, 0),
        ]
    );
    assert!(t.is_empty());
    assert_eq!(drain(&mut t), vec![]);
    // The table is usable again after a drain.
    feed(&mut t, &[UDP.packet(true, T0 + 3 * S, 0, 100, &subs)]);
    assert_eq!(summary(&drain(&mut t)), vec![(4, EndReason::Eof, 1, 0)]);
}

#[test]
fn icmp_echo_request_and_reply_share_a_flow() {
    // The decoder gives the echo identifier as both ports.
    let subs = Subscribers::private();
    let icmp = Conv {
        client: (ip(10, 0, 0, 1), 0x1234),
        server: (ip(1, 1, 1, 1), 0x1234),
        proto: ipproto::ICMP,
    };
    let mut t = table();
    let ended = feed(
        &mut t,
        &[
            icmp.packet(true, T0, 0, 98, &subs),
            icmp.packet(false, T0 + 20 * MS, 0, 98, &subs),
            // Other protocols idle out after 60 s (TCP would wait 300 s).
            icmp.packet(true, T0 + 81 * S, 0, 98, &subs),
        ],
    );
    assert_eq!(summary(&ended), vec![(1, EndReason::Idle, 1, 1)]);
    assert_eq!(summary(&drain(&mut t)), vec![(3, EndReason::Eof, 1, 0)]);
    let r = &ended[0];
    assert_eq!(
        (r.orig_h, r.orig_p, r.resp_p),
        (ip(10, 0, 0, 1), 0x1234, 0x1234)
    );
    assert_eq!(
        (r.proto, r.app, r.orig_flags.clone()),
        (ProtoName(1), "icmp", None)
    );
}

#[test]
fn subscriber_side_is_reported_from_the_originator_view() {
    let subs: Subscribers = "10.0.0.0/8".parse().unwrap();
    let outside = ip(203, 0, 113, 5);
    let convs = [
        // Subscriber originates.
        (ip(10, 0, 0, 1), outside),
        // Subscriber responds.
        (outside, ip(10, 0, 0, 1)),
        // Both are subscribers; the originator is the higher address.
        (ip(10, 0, 0, 9), ip(10, 0, 0, 2)),
        // Neither.
        (outside, ip(198, 51, 100, 7)),
    ];
    let mut t = table();
    for (i, (c, s)) in convs.iter().enumerate() {
        let conv = Conv {
            client: (*c, 40000 + i as u16),
            server: (*s, 53),
            proto: ipproto::UDP,
        };
        feed(&mut t, &[conv.packet(true, T0, 0, 80, &subs)]);
    }
    let got: Vec<(Option<Addr>, Option<SubscriberSide>)> = drain(&mut t)
        .iter()
        .map(|r| (r.subscriber, r.subscriber_side))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(ip(10, 0, 0, 1)), Some(SubscriberSide::Orig)),
            (Some(ip(10, 0, 0, 1)), Some(SubscriberSide::Resp)),
            (Some(ip(10, 0, 0, 9)), Some(SubscriberSide::Both)),
            (None, None),
        ]
    );
}

#[test]
fn flow_id_is_a_hash_of_the_first_packet_time_and_key() {
    let subs = Subscribers::private();
    let mut t = table();
    feed(
        &mut t,
        &[
            WEB.packet(true, T0, SYN, 74, &subs),
            UDP.packet(true, T0 + 1, 0, 10, &subs),
            WEB.packet(false, T0 + 2, SYN_ACK, 74, &subs),
        ],
    );
    let mut recs = Vec::new();
    t.drain(&mut |r, _| recs.push(r));
    let ids: Vec<u64> = recs.iter().map(|r| r.flow_id).collect();
    let web = WEB.packet(true, T0, SYN, 74, &subs).key;
    assert_eq!(ids[0], crate::flow::flow_id(T0, &web));
    assert_ne!(ids[0], ids[1]);
    assert!(ids.iter().all(|&i| i > 0 && i < 1 << 63));
    // Another start time, another id; the same start, the same id.
    assert_ne!(crate::flow::flow_id(T0 + 1, &web), ids[0]);
    assert_eq!(crate::flow::flow_id(T0, &web), ids[0]);
}

// ---------------------------------------------------------------------------
// Subscribers

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

#[test]
fn subscribers_parse_a_cidr_list() {
    let subs: Subscribers = " 10.0.0.0/8 ,2001:db8::/32,, 192.0.2.0/24".parse().unwrap();
    assert_eq!(
        subs.nets(),
        &[net("10.0.0.0/8"), net("2001:db8::/32"), net("192.0.2.0/24")]
    );
    assert!(subs.contains(&ip(10, 255, 0, 1)));
    assert!(subs.contains(&Addr::from("2001:db8::42".parse::<IpAddr>().unwrap())));
    assert!(!subs.contains(&ip(192, 0, 3, 1)));
}

#[test]
fn subscribers_bare_address_is_a_host_range() {
    let subs: Subscribers = "192.0.2.7,2001:db8::1".parse().unwrap();
    assert_eq!(subs.nets(), &[net("192.0.2.7/32"), net("2001:db8::1/128")]);
    assert!(subs.contains(&ip(192, 0, 2, 7)));
    assert!(!subs.contains(&ip(192, 0, 2, 8)));
}

#[test]
fn subscribers_cidr_host_bits_are_cleared() {
    let subs: Subscribers = "10.1.2.3/8".parse().unwrap();
    assert_eq!(subs.nets(), &[net("10.0.0.0/8")]);
}

#[test]
fn subscribers_bad_input_names_the_bad_part() {
    assert_eq!(
        "10.0.0.0/8,nonsense".parse::<Subscribers>(),
        Err("`nonsense` is not a CIDR range or an address".to_string())
    );
    assert_eq!(
        "10.0.0.0/33".parse::<Subscribers>(),
        Err("`10.0.0.0/33` is not a CIDR range or an address".to_string())
    );
    assert_eq!(
        " , ".parse::<Subscribers>(),
        Err("no subscriber range given".to_string())
    );
    assert_eq!(
        "".parse::<Subscribers>(),
        Err("no subscriber range given".to_string())
    );
}

#[test]
fn default_private_ranges_cover_rfc1918_cgnat_and_ula() {
    let subs = Subscribers::private();
    let v6 = |s: &str| Addr::from(s.parse::<IpAddr>().unwrap());
    for inside in [
        ip(10, 0, 0, 0),
        ip(10, 255, 255, 255),
        ip(172, 16, 0, 1),
        ip(172, 31, 255, 255),
        ip(192, 168, 0, 1),
        ip(192, 168, 255, 255),
        ip(100, 64, 0, 1),
        ip(100, 127, 255, 255),
        v6("fc00::1"),
        v6("fdff:ffff::1"),
        // An IPv4-mapped address is matched as IPv4.
        v6("::ffff:10.0.0.1"),
    ] {
        assert!(subs.contains(&inside), "{inside} should be a subscriber");
    }
    for outside in [
        ip(8, 8, 8, 8),
        ip(11, 0, 0, 1),
        ip(172, 15, 255, 255),
        ip(172, 32, 0, 0),
        ip(192, 169, 0, 1),
        ip(100, 63, 255, 255),
        ip(100, 128, 0, 0),
        v6("2001:db8::1"),
        v6("fe80::1"),
        // An IPv4-mapped address is matched as IPv4.
        v6("::ffff:8.8.8.8"),
    ] {
        assert!(
            !subs.contains(&outside),
            "{outside} should not be a subscriber"
        );
    }
    assert_eq!(
        subs.nets(),
        &[
            net("10.0.0.0/8"),
            net("172.16.0.0/12"),
            net("192.168.0.0/16"),
            net("100.64.0.0/10"),
            net("fc00::/7"),
        ]
    );
}

/// Under churn, with keys that come back after their flow was evicted: a
/// packet of a held flow lands on that flow, any other packet starts a new
/// one, and the entries ended flows leave in the index stay bounded.
#[test]
fn churn_with_returning_keys_finds_exactly_the_held_flows() {
    let subs = Subscribers::private();
    let conv = |k: u32| Conv {
        client: (ip(10, 9, (k >> 8) as u8, k as u8), 1000 + k as u16),
        ..UDP
    };
    let mut t = FlowTable::new(FlowConfig::default(), 64);
    // flow id -> key number, for the flows the table holds.
    let mut held: HashMap<u64, u32> = HashMap::new();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for index in 1..=60_000u64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let k = (state % 300) as u32;
        let p = conv(k).packet(true, T0 + index as i64 * 100_000, 0, 10, &subs);
        let was_held = held.values().any(|&h| h == k);
        let created = t.stats().created;
        let mut ended = Vec::new();
        let touched = t.update(&p, &mut |r, _| ended.push(r));
        for r in &ended {
            assert!(held.remove(&r.flow_id).is_some(), "ended a flow not held");
        }
        let ends = t.ends(touched.slot);
        assert_eq!(ends.orig_p, 1000 + k as u16, "landed on another flow");
        if was_held {
            assert_eq!(t.stats().created, created, "a held flow was not found");
        } else {
            assert_eq!(t.stats().created, created + 1);
            held.insert(ends.flow_id, k);
        }
        assert_eq!(t.len(), held.len());
        assert!(
            t.index.len() <= 2 * t.len() + STALE_MIN + 1,
            "{}",
            t.index.len()
        );
    }
    // Enough evictions for the index to have been rebuilt several times.
    assert!(t.stats().evicted > 10 * STALE_MIN as u64, "{:?}", t.stats());
    let rest = drain(&mut t);
    assert_eq!(rest.len(), held.len());
    assert!(t.is_empty() && t.index.len() == 0);
}
