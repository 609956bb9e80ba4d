//! Decoder tests over literal packets.
//!
//! Every packet is typed by hand from the header layouts quoted in `mod.rs`
//! (RFC 791, 793, 768, 8200, 2784/2890, 3032, 2516, IEEE 802.1Q, the tcpdump.org
//! LINKTYPE pages). Checksums are zero: the decoder does not verify them. Hostile
//! cases are a valid packet with one field changed, named in each test.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::*;

/// Decodes and returns the summary with the non-zero anomaly counters.
fn run(lt: LinkType, frame: &[u8]) -> (Decoded, Vec<(&'static str, u64)>) {
    let mut c = Counters::default();
    let d = decode(lt, frame, &mut c);
    (d, c.nonzero().collect())
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> Addr {
    Addr::v4(Ipv4Addr::new(a, b, c, d))
}

fn v6(last: u16) -> Addr {
    Addr::v6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last))
}

// ---------------------------------------------------------------------------
// Network-layer packets, without a link header.

/// IPv4 + TCP SYN with an MSS option, 44 bytes: 192.168.1.10:50000 -> 93.184.216.34:443.
const IPV4_TCP_SYN: [u8; 44] = [
    // version 4, IHL 5, TOS 0, total length 44
    0x45, 0x00, 0x00, 0x2c, //
    // id 1, DF, fragment offset 0
    0x00, 0x01, 0x40, 0x00, //
    // TTL 64, protocol 6 (TCP), checksum 0
    0x40, 0x06, 0x00, 0x00, //
    192, 168, 1, 10, //
    93, 184, 216, 34, //
    // TCP: source port 50000, destination port 443
    0xc3, 0x50, 0x01, 0xbb, //
    // sequence 1, ack 0
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, //
    // data offset 6 words, flags SYN, window 65535
    0x60, 0x02, 0xff, 0xff, //
    // checksum 0, urgent 0
    0x00, 0x00, 0x00, 0x00, //
    // option MSS 1460
    0x02, 0x04, 0x05, 0xb4,
];

/// Offsets in [`IPV4_TCP_SYN`] changed by the hostile cases.
mod syn {
    pub const VER_IHL: usize = 0;
    pub const TOTAL_LEN: usize = 3;
    pub const FLAGS_FRAG: usize = 6;
    pub const TCP_DOFF: usize = 32;
}

/// IPv4 + UDP DNS query stub, 32 bytes: 10.0.0.1:54321 -> 8.8.8.8:53, payload "abcd".
const IPV4_UDP_DNS: [u8; 32] = [
    // version 4, IHL 5, TOS 0, total length 32
    0x45, 0x00, 0x00, 0x20, //
    // id 2, no flags
    0x00, 0x02, 0x00, 0x00, //
    // TTL 64, protocol 17 (UDP), checksum 0
    0x40, 0x11, 0x00, 0x00, //
    10, 0, 0, 1, //
    8, 8, 8, 8, //
    // UDP: 54321 -> 53, length 12, checksum 0
    0xd4, 0x31, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, //
    b'a', b'b', b'c', b'd',
];

/// IPv6 + UDP, 52 bytes: [2001:db8::1]:1234 -> [2001:db8::2]:53, payload "wxyz".
const IPV6_UDP: [u8; 52] = [
    // version 6, traffic class 0, flow label 0
    0x60, 0x00, 0x00, 0x00, //
    // payload length 12, next header 17 (UDP), hop limit 64
    0x00, 0x0c, 0x11, 0x40, //
    // source 2001:db8::1
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, //
    // destination 2001:db8::2
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, //
    // UDP: 1234 -> 53, length 12, checksum 0
    0x04, 0xd2, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, //
    b'w', b'x', b'y', b'z',
];

/// IPv4 + ICMP echo request, 32 bytes: 10.0.0.1 -> 1.1.1.1, id 0x1234, seq 1, "ping".
const IPV4_ICMP_ECHO: [u8; 32] = [
    // version 4, IHL 5, total length 32
    0x45, 0x00, 0x00, 0x20, //
    0x00, 0x03, 0x00, 0x00, //
    // TTL 64, protocol 1 (ICMP)
    0x40, 0x01, 0x00, 0x00, //
    10, 0, 0, 1, //
    1, 1, 1, 1, //
    // type 8 (echo request), code 0, checksum 0
    0x08, 0x00, 0x00, 0x00, //
    // identifier 0x1234, sequence 1
    0x12, 0x34, 0x00, 0x01, //
    b'p', b'i', b'n', b'g',
];

/// The decode of [`IPV4_TCP_SYN`] after a `link`-byte header.
fn syn_decoded(link: usize) -> Decoded {
    Decoded {
        l3: L3::Ipv4,
        src: v4(192, 168, 1, 10),
        dst: v4(93, 184, 216, 34),
        proto: ipproto::TCP,
        sport: 50000,
        dport: 443,
        tcp_flags: 0x02,
        tcp_seq: 1,
        has_l4: true,
        payload_off: (link + 44) as u32,
        payload_len: 0,
        tunnels: 0,
        frag_tail: false,
    }
}

/// [`IPV4_TCP_SYN`]'s IP header only: what is known when the transport is not read.
fn syn_ip_only() -> Decoded {
    Decoded {
        l3: L3::Ipv4,
        src: v4(192, 168, 1, 10),
        dst: v4(93, 184, 216, 34),
        proto: ipproto::TCP,
        ..Decoded::default()
    }
}

/// The decode of [`IPV4_UDP_DNS`] after a `link`-byte header.
fn dns_decoded(link: usize) -> Decoded {
    Decoded {
        l3: L3::Ipv4,
        src: v4(10, 0, 0, 1),
        dst: v4(8, 8, 8, 8),
        proto: ipproto::UDP,
        sport: 54321,
        dport: 53,
        tcp_flags: 0,
        tcp_seq: 0,
        has_l4: true,
        payload_off: (link + 28) as u32,
        payload_len: 4,
        tunnels: 0,
        frag_tail: false,
    }
}

/// The decode of [`IPV6_UDP`] after a `link`-byte header.
fn v6_udp_decoded(link: usize) -> Decoded {
    Decoded {
        l3: L3::Ipv6,
        src: v6(1),
        dst: v6(2),
        proto: ipproto::UDP,
        sport: 1234,
        dport: 53,
        tcp_flags: 0,
        tcp_seq: 0,
        has_l4: true,
        payload_off: (link + 48) as u32,
        payload_len: 4,
        tunnels: 0,
        frag_tail: false,
    }
}

// ---------------------------------------------------------------------------
// Link headers.

/// Ethernet II: dst 00:11:22:33:44:55, src 66:77:88:99:aa:bb, type IPv4.
const ETH_IPV4: [u8; 14] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,
];
/// Ethernet II, type IPv6.
const ETH_IPV6: [u8; 14] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x86, 0xdd,
];

/// Linux cooked v1 (LINKTYPE_LINUX_SLL): packet type 0 (to us), ARPHRD_ETHER,
/// address length 6, address 66:77:88:99:aa:bb + 2 pad bytes, protocol IPv4.
const SLL_IPV4: [u8; 16] = [
    0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x00, 0x08, 0x00,
];

/// Linux cooked v2 (LINKTYPE_LINUX_SLL2): protocol IPv6, reserved, ifindex 2,
/// ARPHRD_ETHER, packet type 4 (outgoing), address length 6, address + 2 pad bytes.
const SLL2_IPV6: [u8; 20] = [
    0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x04, 0x06, 0x66, 0x77, 0x88, 0x99,
    0xaa, 0xbb, 0x00, 0x00,
];

// ---------------------------------------------------------------------------
// Valid packets, one per encapsulation.

#[test]
fn ethernet_ipv4_tcp_syn_gives_ports_flags_and_no_payload() {
    // Padded to Ethernet's 60-byte minimum: the padding is not TCP payload.
    let frame = cat(&[&ETH_IPV4, &IPV4_TCP_SYN, &[0, 0]]);
    assert_eq!(frame.len(), 60);
    assert_eq!(run(LinkType::Ethernet, &frame), (syn_decoded(14), vec![]));
}

#[test]
fn tcp_payload_is_bounded_by_ip_total_length() {
    // The SYN with 6 bytes of data: total length 50, and 4 more bytes of padding.
    let mut ip = cat(&[&IPV4_TCP_SYN, b"hello!", &[0; 4]]);
    ip[syn::TOTAL_LEN] = 50;
    let (d, anomalies) = run(LinkType::Raw, &ip);
    assert_eq!(
        d,
        Decoded {
            payload_off: 44,
            payload_len: 6,
            ..syn_decoded(0)
        }
    );
    assert_eq!(anomalies, vec![]);
}

/// Ethernet + 802.1Q tag (VID 100, PCP 0) + IPv4/UDP DNS (same bytes as [`IPV4_UDP_DNS`]).
const ETH_VLAN_IPV4_UDP: [u8; 14 + 4 + 32] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, //
    // TPID 802.1Q; TCI: PCP 0, VID 100; inner type IPv4
    0x81, 0x00, 0x00, 0x64, 0x08, 0x00, //
    0x45, 0x00, 0x00, 0x20, 0x00, 0x02, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, //
    10, 0, 0, 1, 8, 8, 8, 8, //
    0xd4, 0x31, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, b'a', b'b', b'c', b'd',
];

#[test]
fn ethernet_8021q_ipv4_udp_skips_the_tag() {
    assert_eq!(
        run(LinkType::Ethernet, &ETH_VLAN_IPV4_UDP),
        (dns_decoded(18), vec![])
    );
}

#[test]
fn qinq_ipv4_udp_skips_both_tags() {
    // Ethernet, 802.1ad S-tag (TPID 88a8, VID 10), 802.1Q C-tag (VID 20), IPv4/UDP.
    let frame = cat(&[
        &ETH_IPV4[..12],
        &[0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x08, 0x00],
        &IPV4_UDP_DNS,
    ]);
    assert_eq!(run(LinkType::Ethernet, &frame), (dns_decoded(22), vec![]));
}

#[test]
fn old_qinq_tpid_9100_is_a_tag_too() {
    let frame = cat(&[
        &ETH_IPV4[..12],
        &[0x91, 0x00, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x08, 0x00],
        &IPV4_UDP_DNS,
    ]);
    assert_eq!(run(LinkType::Ethernet, &frame), (dns_decoded(22), vec![]));
}

#[test]
fn three_vlan_tags_are_the_most_decoded() {
    let frame = vlan_stack(MAX_VLAN_TAGS);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (dns_decoded(14 + 4 * MAX_VLAN_TAGS), vec![])
    );
}

/// Ethernet with `tags` 802.1Q tags, then IPv4/UDP DNS.
fn vlan_stack(tags: usize) -> Vec<u8> {
    let mut f = ETH_IPV4[..12].to_vec();
    for _ in 0..tags {
        f.extend([0x81, 0x00, 0x00, 0x01]);
    }
    f.extend([0x08, 0x00]);
    f.extend(IPV4_UDP_DNS);
    f
}

/// Ethernet + IPv6 with a hop-by-hop header and a first-fragment header, then UDP.
const ETH_IPV6_HBH_FRAG_UDP: [u8; 14 + 40 + 8 + 8 + 12] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x86, 0xdd, //
    // version 6; payload length 28 (8 + 8 + 12), next header 0 (hop-by-hop), hop limit 64
    0x60, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x40, //
    // source 2001:db8::1
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, //
    // destination 2001:db8::2
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, //
    // hop-by-hop: next header 44 (fragment), length 0 (8 bytes), PadN of 4
    0x2c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, //
    // fragment: next header 17 (UDP), reserved, offset 0 with M set, id 42
    0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x2a, //
    // UDP: 1234 -> 53, length 12, checksum 0, "wxyz"
    0x04, 0xd2, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, b'w', b'x', b'y', b'z',
];

#[test]
fn ipv6_hop_by_hop_and_first_fragment_reach_udp() {
    assert_eq!(
        run(LinkType::Ethernet, &ETH_IPV6_HBH_FRAG_UDP),
        (
            Decoded {
                payload_off: 14 + 40 + 16 + 8,
                ..v6_udp_decoded(0)
            },
            vec![("ipv6.fragment", 1)]
        )
    );
}

#[test]
fn ipv6_non_initial_fragment_has_no_ports() {
    // The same packet with fragment offset 185 (x 8 bytes): 185 << 3 = 0x05c8, M set.
    let mut frame = ETH_IPV6_HBH_FRAG_UDP;
    frame[14 + 40 + 8 + 2] = 0x05;
    frame[14 + 40 + 8 + 3] = 0xc9;
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (
            Decoded {
                l3: L3::Ipv6,
                src: v6(1),
                dst: v6(2),
                proto: ipproto::UDP,
                frag_tail: true,
                ..Decoded::default()
            },
            vec![("ipv6.fragment", 1)]
        )
    );
}

#[test]
fn ethernet_ipv6_udp() {
    let frame = cat(&[&ETH_IPV6, &IPV6_UDP]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (v6_udp_decoded(14), vec![])
    );
}

#[test]
fn icmpv6_echo_identifier_is_both_ports() {
    // IPv6 (payload length 12, next header 58) + echo request type 128, id 0xbeef, seq 1.
    let mut ip = IPV6_UDP;
    ip[6] = ipproto::ICMPV6;
    ip[40..48].copy_from_slice(&[128, 0, 0, 0, 0xbe, 0xef, 0x00, 0x01]);
    let (d, anomalies) = run(LinkType::Ipv6, &ip);
    assert_eq!(
        d,
        Decoded {
            l3: L3::Ipv6,
            src: v6(1),
            dst: v6(2),
            proto: ipproto::ICMPV6,
            sport: 0xbeef,
            dport: 0xbeef,
            has_l4: true,
            payload_off: 44,
            payload_len: 8,
            ..Decoded::default()
        }
    );
    assert_eq!(anomalies, vec![]);
}

#[test]
fn linux_sll_ipv4_tcp() {
    let frame = cat(&[&SLL_IPV4, &IPV4_TCP_SYN]);
    assert_eq!(run(LinkType::LinuxSll, &frame), (syn_decoded(16), vec![]));
}

#[test]
fn linux_sll2_ipv6_udp() {
    let frame = cat(&[&SLL2_IPV6, &IPV6_UDP]);
    assert_eq!(
        run(LinkType::LinuxSll2, &frame),
        (v6_udp_decoded(20), vec![])
    );
}

#[test]
fn bsd_null_family_is_read_in_either_byte_order() {
    // AF_INET = 2, written by a little-endian and by a big-endian host.
    for fam in [[2, 0, 0, 0], [0, 0, 0, 2]] {
        let frame = cat(&[&fam, &IPV4_TCP_SYN]);
        assert_eq!(
            run(LinkType::Null, &frame),
            (syn_decoded(4), vec![]),
            "{fam:?}"
        );
    }
    // AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), either order.
    for fam in [
        [24, 0, 0, 0],
        [28, 0, 0, 0],
        [30, 0, 0, 0],
        [0, 0, 0, 24],
        [0, 0, 0, 28],
        [0, 0, 0, 30],
    ] {
        let frame = cat(&[&fam, &IPV6_UDP]);
        assert_eq!(
            run(LinkType::Null, &frame),
            (v6_udp_decoded(4), vec![]),
            "{fam:?}"
        );
    }
}

#[test]
fn bsd_loop_family_is_read_in_network_order_only() {
    let frame = cat(&[&[0, 0, 0, 2], &IPV4_TCP_SYN]);
    assert_eq!(run(LinkType::Loop, &frame), (syn_decoded(4), vec![]));
    let frame = cat(&[&[2, 0, 0, 0], &IPV4_TCP_SYN]);
    assert_eq!(
        run(LinkType::Loop, &frame),
        (Decoded::default(), vec![("null.unknown_family", 1)])
    );
}

#[test]
fn bsd_null_unknown_family_is_counted() {
    // AF_APPLETALK-ish 7: neither IPv4 nor IPv6.
    let frame = cat(&[&[7, 0, 0, 0], &IPV4_TCP_SYN]);
    assert_eq!(
        run(LinkType::Null, &frame),
        (Decoded::default(), vec![("null.unknown_family", 1)])
    );
}

#[test]
fn raw_ip_takes_the_version_from_the_first_nibble() {
    assert_eq!(run(LinkType::Raw, &IPV4_TCP_SYN), (syn_decoded(0), vec![]));
    assert_eq!(run(LinkType::Raw, &IPV6_UDP), (v6_udp_decoded(0), vec![]));
    assert_eq!(run(LinkType::Ipv4, &IPV4_TCP_SYN), (syn_decoded(0), vec![]));
    assert_eq!(run(LinkType::Ipv6, &IPV6_UDP), (v6_udp_decoded(0), vec![]));
}

#[test]
fn ppi_header_is_skipped_and_payload_offset_shifted() {
    // PPI v0, flags 0, header length 8 (LE), DLT 1 (LE), no fields; then Ethernet.
    let frame = cat(&[
        &[0x00, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00],
        &ETH_IPV4,
        &IPV4_TCP_SYN,
    ]);
    assert_eq!(run(LinkType::Ppi, &frame), (syn_decoded(8 + 14), vec![]));
}

#[test]
fn ppi_with_unsupported_inner_link_type_is_counted() {
    // DLT 105 (802.11) inside PPI.
    let frame = cat(&[&[0x00, 0x00, 0x08, 0x00, 105, 0, 0, 0], &IPV4_TCP_SYN]);
    assert_eq!(
        run(LinkType::Ppi, &frame),
        (Decoded::default(), vec![("link.unsupported", 1)])
    );
}

/// An IPv4 header (IHL 5, no options, checksum 0, TTL 64) carrying `payload`.
fn ipv4_around(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut v = vec![0x45, 0x00];
    v.extend(total.to_be_bytes());
    v.extend([0x00, 0x00, 0x00, 0x00, 0x40, proto, 0x00, 0x00]);
    v.extend(src);
    v.extend(dst);
    v.extend_from_slice(payload);
    v
}

#[test]
fn ipv4_builder_matches_literal_header() {
    // The builder reproduces IPV4_UDP_DNS's header but for the id field.
    let mut built = ipv4_around(
        ipproto::UDP,
        [10, 0, 0, 1],
        [8, 8, 8, 8],
        &IPV4_UDP_DNS[20..],
    );
    built[5] = 0x02;
    assert_eq!(built, IPV4_UDP_DNS.to_vec());
}

#[test]
fn gre_with_key_carrying_ipv4_tcp_is_decapsulated() {
    // Outer IPv4 198.51.100.1 -> .2, protocol 47; GRE flags K (0x2000), version 0,
    // protocol 0x0800, key 7; then the SYN.
    let gre = cat(&[
        &[0x20, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x07],
        &IPV4_TCP_SYN,
    ]);
    let frame = cat(&[
        &ETH_IPV4,
        &ipv4_around(ipproto::GRE, [198, 51, 100, 1], [198, 51, 100, 2], &gre),
    ]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (
            Decoded {
                tunnels: 1,
                ..syn_decoded(14 + 20 + 8)
            },
            vec![("tunnel.gre", 1)]
        )
    );
}

#[test]
fn gre_with_checksum_key_and_sequence_has_a_16_byte_header() {
    // Flags C, K, S (0xb000): checksum + reserved1, key, sequence.
    let gre = cat(&[
        &[0xb0, 0x00, 0x08, 0x00],
        &[0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1],
        &IPV4_TCP_SYN,
    ]);
    let ip = ipv4_around(ipproto::GRE, [198, 51, 100, 1], [198, 51, 100, 2], &gre);
    assert_eq!(
        run(LinkType::Raw, &ip),
        (
            Decoded {
                tunnels: 1,
                ..syn_decoded(20 + 16)
            },
            vec![("tunnel.gre", 1)]
        )
    );
}

#[test]
fn gre_transparent_ethernet_bridging_decodes_the_inner_frame() {
    let gre = cat(&[&[0x00, 0x00, 0x65, 0x58], &ETH_IPV4, &IPV4_TCP_SYN]);
    let ip = ipv4_around(ipproto::GRE, [198, 51, 100, 1], [198, 51, 100, 2], &gre);
    assert_eq!(
        run(LinkType::Raw, &ip),
        (
            Decoded {
                tunnels: 1,
                ..syn_decoded(20 + 4 + 14)
            },
            vec![("tunnel.gre", 1)]
        )
    );
}

#[test]
fn gre_version_one_without_ppp_or_key_and_version_two_are_unsupported() {
    // Enhanced GRE (RFC 2637 §4.1) must have K set and carry PPP (0x880b).
    let no_key = [0x10, 0x01, 0x88, 0x0b, 0, 4, 0, 0, 0, 0, 0, 1];
    let not_ppp = [0x30, 0x01, 0x08, 0x00, 0, 4, 0, 0, 0, 0, 0, 1];
    let version_two = [0x00, 0x02, 0x08, 0x00];
    for gre in [&no_key[..], &not_ppp, &version_two] {
        let ip = ipv4_around(ipproto::GRE, [198, 51, 100, 1], [198, 51, 100, 2], gre);
        assert_eq!(
            run(LinkType::Raw, &ip),
            (gre_outer(), vec![("gre.unsupported", 1)]),
            "{gre:02x?}"
        );
    }
}

/// An IPv4 198.51.100.1 -> .2 GRE packet whose payload is not decoded.
fn gre_outer() -> Decoded {
    Decoded {
        l3: L3::Ipv4,
        src: v4(198, 51, 100, 1),
        dst: v4(198, 51, 100, 2),
        proto: ipproto::GRE,
        ..Decoded::default()
    }
}

/// ndpi/gre.pcapng, frame 1, cut after 4 bytes of SIP (90 of 384 bytes): Ethernet,
/// 802.1Q VLAN 142, IPv4 109.105.228.253 -> 10.177.98.84 protocol 47; enhanced
/// GRE flags 0x3081 (K, S, A, version 1), PPP, payload length 330, call ID 38992,
/// sequence 106, ack 140; PPP ff 03 0021; IPv4 192.168.10.210 -> 192.168.103.40,
/// UDP 5060 -> 5060, "SIP/".
const PPTP_GRE_SIP: [u8; 90] = [
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x9c, 0x37, 0xf4, 0x7c, 0x6e, 0x91, 0x81, 0x00, 0x00, 0x8e,
    0x08, 0x00, //
    0x45, 0x00, 0x01, 0x6e, 0xaf, 0xa5, 0x00, 0x00, 0xf2, 0x2f, 0x58, 0x4f, 0x6d, 0x69, 0xe4, 0xfd,
    0x0a, 0xb1, 0x62, 0x54, //
    0x30, 0x81, 0x88, 0x0b, 0x01, 0x4a, 0x98, 0x50, 0x00, 0x00, 0x00, 0x6a, 0x00, 0x00, 0x00, 0x8c,
    0xff, 0x03, 0x00, 0x21, //
    0x45, 0xa0, 0x01, 0x46, 0x38, 0xc1, 0x00, 0x00, 0x3f, 0x11, 0x4d, 0xfb, 0xc0, 0xa8, 0x0a, 0xd2,
    0xc0, 0xa8, 0x67, 0x28, //
    0x13, 0xc4, 0x13, 0xc4, 0x01, 0x32, 0x57, 0xd5, //
    0x53, 0x49, 0x50, 0x2f,
];

#[test]
fn enhanced_gre_carrying_ppp_is_decapsulated_from_a_real_capture() {
    let want = Decoded {
        l3: L3::Ipv4,
        src: v4(192, 168, 10, 210),
        dst: v4(192, 168, 103, 40),
        proto: ipproto::UDP,
        sport: 5060,
        dport: 5060,
        has_l4: true,
        payload_off: 86,
        payload_len: 4,
        tunnels: 1,
        ..Decoded::default()
    };
    // Both IP headers announce more than the cut frame holds.
    assert_eq!(
        run(LinkType::Ethernet, &PPTP_GRE_SIP),
        (want, vec![("tunnel.gre", 1), ("ip.snaplen_cut", 2)])
    );
}

#[test]
fn enhanced_gre_with_compressed_ppp_header_and_no_ack() {
    // K and S set, no A; PPP address/control and protocol compressed: 0x21.
    let gre = cat(&[
        &[
            0x30, 0x01, 0x88, 0x0b, 0x00, 45, 0x98, 0x50, 0, 0, 0, 1, 0x21,
        ],
        &IPV4_TCP_SYN,
    ]);
    let ip = ipv4_around(ipproto::GRE, [198, 51, 100, 1], [198, 51, 100, 2], &gre);
    assert_eq!(
        run(LinkType::Raw, &ip),
        (
            Decoded {
                tunnels: 1,
                ..syn_decoded(20 + 12 + 1)
            },
            vec![("tunnel.gre", 1)]
        )
    );
}

#[test]
fn enhanced_gre_acknowledgment_alone_is_left_as_gre() {
    // ndpi/gre.pcapng's header with S cleared and payload length 0: A only.
    let gre = [
        0x20, 0x81, 0x88, 0x0b, 0x00, 0x00, 0x98, 0x50, 0, 0, 0, 0x8c,
    ];
    let ip = ipv4_around(ipproto::GRE, [198, 51, 100, 1], [198, 51, 100, 2], &gre);
    assert_eq!(run(LinkType::Raw, &ip), (gre_outer(), vec![]));
}

#[test]
fn enhanced_gre_cut_headers_are_gre_truncated() {
    let header = &PPTP_GRE_SIP[38..54];
    // Every cut of the 16-byte header (K, S, A) is truncated.
    for len in 0..header.len() {
        let ip = ipv4_around(
            ipproto::GRE,
            [198, 51, 100, 1],
            [198, 51, 100, 2],
            &header[..len],
        );
        assert_eq!(
            run(LinkType::Raw, &ip),
            (gre_outer(), vec![("gre.truncated", 1)]),
            "{len}"
        );
    }
    // A PPP protocol cut by the payload length (1 byte, even: needs a second).
    let gre = cat(&[&header[..4], &[0x00, 0x01], &header[6..], &[0x00, 0x21]]);
    let ip = ipv4_around(ipproto::GRE, [198, 51, 100, 1], [198, 51, 100, 2], &gre);
    assert_eq!(
        run(LinkType::Raw, &ip),
        (
            Decoded {
                tunnels: 1,
                ..gre_outer()
            },
            vec![("tunnel.gre", 1), ("gre.truncated", 1)]
        )
    );
}

#[test]
fn gre_key_flag_without_key_bytes_is_gre_truncated() {
    let ip = ipv4_around(
        ipproto::GRE,
        [198, 51, 100, 1],
        [198, 51, 100, 2],
        &[0x20, 0x00, 0x08, 0x00, 0x00, 0x00],
    );
    assert_eq!(
        run(LinkType::Raw, &ip),
        (
            Decoded {
                l3: L3::Ipv4,
                src: v4(198, 51, 100, 1),
                dst: v4(198, 51, 100, 2),
                proto: ipproto::GRE,
                ..Decoded::default()
            },
            vec![("gre.truncated", 1)]
        )
    );
}

#[test]
fn six_in_four_reports_outer_l3_and_inner_tuple() {
    let frame = cat(&[
        &ETH_IPV4,
        &ipv4_around(ipproto::IPV6, [192, 0, 2, 1], [192, 0, 2, 2], &IPV6_UDP),
    ]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (
            Decoded {
                l3: L3::Ipv4,
                tunnels: 1,
                ..v6_udp_decoded(14 + 20)
            },
            vec![("tunnel.6in4", 1)]
        )
    );
}

#[test]
fn mpls_two_labels_then_ipv4() {
    // Ethernet type 0x8847; label 16 (TTL 64, S=0), label 17 (TTL 64, S=1).
    let frame = cat(&[
        &ETH_IPV4[..12],
        &[0x88, 0x47],
        &[0x00, 0x01, 0x00, 0x40, 0x00, 0x01, 0x11, 0x40],
        &IPV4_TCP_SYN,
    ]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (syn_decoded(14 + 8), vec![])
    );
}

#[test]
fn mpls_stack_without_bottom_is_mpls_truncated() {
    // Eight labels, none with S set: the stack limit is reached.
    let mut frame = cat(&[&ETH_IPV4[..12], &[0x88, 0x47]]);
    for _ in 0..8 {
        frame.extend([0x00, 0x01, 0x00, 0x40]);
    }
    frame.extend(IPV4_TCP_SYN);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (Decoded::default(), vec![("mpls.truncated", 1)])
    );
    // One label without S, then the end of the frame.
    let frame = cat(&[&ETH_IPV4[..12], &[0x88, 0x47], &[0x00, 0x01, 0x00, 0x40]]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (Decoded::default(), vec![("mpls.truncated", 1)])
    );
}

#[test]
fn pppoe_session_ipv4() {
    // Type 0x8864; ver/type 0x11, code 0, session 1, length 46; PPP protocol 0x0021.
    let frame = cat(&[
        &ETH_IPV4[..12],
        &[0x88, 0x64],
        &[0x11, 0x00, 0x00, 0x01, 0x00, 0x2e, 0x00, 0x21],
        &IPV4_TCP_SYN,
    ]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (syn_decoded(14 + 8), vec![])
    );
}

#[test]
fn pppoe_header_cut_is_pppoe_truncated() {
    let frame = cat(&[
        &ETH_IPV4[..12],
        &[0x88, 0x64],
        &[0x11, 0x00, 0x00, 0x01, 0x00, 0x2e, 0x00],
    ]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (Decoded::default(), vec![("pppoe.truncated", 1)])
    );
}

#[test]
fn icmp_echo_identifier_is_both_ports() {
    let frame = cat(&[&ETH_IPV4, &IPV4_ICMP_ECHO]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (
            Decoded {
                l3: L3::Ipv4,
                src: v4(10, 0, 0, 1),
                dst: v4(1, 1, 1, 1),
                proto: ipproto::ICMP,
                sport: 0x1234,
                dport: 0x1234,
                has_l4: true,
                payload_off: 14 + 20 + 4,
                payload_len: 8,
                ..Decoded::default()
            },
            vec![]
        )
    );
}

#[test]
fn icmp_non_echo_has_zero_ports() {
    // Type 3 (destination unreachable): the bytes after the checksum are not an id.
    let mut ip = IPV4_ICMP_ECHO;
    ip[20] = 3;
    let (d, anomalies) = run(LinkType::Raw, &ip);
    assert_eq!((d.sport, d.dport, d.has_l4), (0, 0, true));
    assert_eq!(anomalies, vec![]);
}

#[test]
fn icmp_shorter_than_four_bytes_is_icmp_truncated() {
    let ip = ipv4_around(ipproto::ICMP, [10, 0, 0, 1], [1, 1, 1, 1], &[8, 0, 0]);
    let (d, anomalies) = run(LinkType::Raw, &ip);
    assert!(!d.has_l4);
    assert_eq!(anomalies, vec![("icmp.truncated", 1)]);
}

#[test]
fn esp_is_counted_without_ports() {
    let ip = ipv4_around(ipproto::ESP, [10, 0, 0, 1], [10, 0, 0, 2], &[0; 16]);
    assert_eq!(
        run(LinkType::Raw, &ip),
        (
            Decoded {
                l3: L3::Ipv4,
                src: v4(10, 0, 0, 1),
                dst: v4(10, 0, 0, 2),
                proto: ipproto::ESP,
                ..Decoded::default()
            },
            vec![("ip.esp", 1)]
        )
    );
}

#[test]
fn arp_and_unknown_ethertypes_set_l3_only() {
    let arp = cat(&[&ETH_IPV4[..12], &[0x08, 0x06], &[0; 28]]);
    assert_eq!(
        run(LinkType::Ethernet, &arp),
        (
            Decoded {
                l3: L3::Arp,
                ..Decoded::default()
            },
            vec![]
        )
    );
    let lldp = cat(&[&ETH_IPV4[..12], &[0x88, 0xcc], &[0; 28]]);
    assert_eq!(
        run(LinkType::Ethernet, &lldp),
        (
            Decoded {
                l3: L3::Other(0x88cc),
                ..Decoded::default()
            },
            vec![]
        )
    );
}

#[test]
fn ipv4_first_fragment_keeps_ports() {
    // MF set, offset 0.
    let mut ip = IPV4_TCP_SYN;
    ip[syn::FLAGS_FRAG] = 0x20;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (syn_decoded(0), vec![("ipv4.fragment", 1)])
    );
}

#[test]
fn ipv4_non_initial_fragment_is_frag_tail_without_ports() {
    // Offset 185 (x 8 bytes), no MF: the last fragment.
    let mut ip = IPV4_TCP_SYN;
    ip[syn::FLAGS_FRAG] = 0x00;
    ip[syn::FLAGS_FRAG + 1] = 0xb9;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (
            Decoded {
                frag_tail: true,
                ..syn_ip_only()
            },
            vec![("ipv4.fragment", 1)]
        )
    );
}

#[test]
fn ipv4_total_length_beyond_capture_is_snaplen_cut() {
    // Total length 1500 of which 44 bytes were captured.
    let mut ip = IPV4_TCP_SYN;
    ip[2] = 0x05;
    ip[syn::TOTAL_LEN] = 0xdc;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (syn_decoded(0), vec![("ip.snaplen_cut", 1)])
    );
}

#[test]
fn ipv4_total_length_zero_trusts_the_capture() {
    // TCP segmentation offload writes 0: the 6 bytes after the header are payload.
    let mut ip = cat(&[&IPV4_TCP_SYN, b"hello!"]);
    ip[2] = 0;
    ip[syn::TOTAL_LEN] = 0;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (
            Decoded {
                payload_len: 6,
                ..syn_decoded(0)
            },
            vec![]
        )
    );
}

// ---------------------------------------------------------------------------
// Hostile IPv4 and transport headers.

#[test]
fn ipv4_ihl_below_five_is_bad_ihl() {
    let mut ip = IPV4_TCP_SYN;
    ip[syn::VER_IHL] = 0x44;
    let frame = cat(&[&ETH_IPV4, &ip]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (Decoded::default(), vec![("ipv4.bad_ihl", 1)])
    );
}

#[test]
fn ipv4_ihl_beyond_captured_bytes_is_bad_ihl() {
    // IHL 15 (60 bytes) in a 44-byte packet.
    let mut ip = IPV4_TCP_SYN;
    ip[syn::VER_IHL] = 0x4f;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (Decoded::default(), vec![("ipv4.bad_ihl", 1)])
    );
}

#[test]
fn ipv4_total_length_below_header_is_bad_total_length() {
    let mut ip = IPV4_TCP_SYN;
    ip[syn::TOTAL_LEN] = 19;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (Decoded::default(), vec![("ipv4.bad_total_length", 1)])
    );
}

#[test]
fn wrong_ip_version_is_bad_version() {
    // Ethernet says IPv4, the header says 6.
    let mut ip = IPV4_TCP_SYN;
    ip[syn::VER_IHL] = 0x65;
    let frame = cat(&[&ETH_IPV4, &ip]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (Decoded::default(), vec![("ipv4.bad_version", 1)])
    );
    // Ethernet says IPv6, the header says 4.
    let mut ip = IPV6_UDP;
    ip[0] = 0x40;
    let frame = cat(&[&ETH_IPV6, &ip]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (Decoded::default(), vec![("ipv6.bad_version", 1)])
    );
    // Raw IP with version 5.
    let mut ip = IPV4_TCP_SYN;
    ip[syn::VER_IHL] = 0x55;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (Decoded::default(), vec![("ipv4.bad_version", 1)])
    );
}

#[test]
fn tcp_header_shorter_than_twenty_bytes_is_tcp_truncated() {
    // Total length 30: 10 bytes of TCP, consistent with the capture.
    let mut ip = IPV4_TCP_SYN[..30].to_vec();
    ip[syn::TOTAL_LEN] = 30;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (syn_ip_only(), vec![("tcp.truncated", 1)])
    );
}

#[test]
fn tcp_header_cut_by_snaplen_is_snaplen_cut_and_tcp_truncated() {
    let frame = cat(&[&ETH_IPV4, &IPV4_TCP_SYN[..30]]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (
            syn_ip_only(),
            vec![("tcp.truncated", 1), ("ip.snaplen_cut", 1)]
        )
    );
}

#[test]
fn tcp_data_offset_beyond_bytes_is_bad_data_offset() {
    // Data offset 15 words (60 bytes) in a 24-byte segment.
    let mut ip = IPV4_TCP_SYN;
    ip[syn::TCP_DOFF] = 0xf0;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (syn_ip_only(), vec![("tcp.bad_data_offset", 1)])
    );
}

#[test]
fn tcp_data_offset_below_five_is_bad_data_offset() {
    let mut ip = IPV4_TCP_SYN;
    ip[syn::TCP_DOFF] = 0x40;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (syn_ip_only(), vec![("tcp.bad_data_offset", 1)])
    );
}

fn dns_ip_only() -> Decoded {
    Decoded {
        l3: L3::Ipv4,
        src: v4(10, 0, 0, 1),
        dst: v4(8, 8, 8, 8),
        proto: ipproto::UDP,
        ..Decoded::default()
    }
}

#[test]
fn udp_length_below_eight_is_bad_length() {
    let mut ip = IPV4_UDP_DNS;
    ip[25] = 4;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (dns_ip_only(), vec![("udp.bad_length", 1)])
    );
}

#[test]
fn udp_length_zero_runs_to_the_ip_end() {
    let mut ip = IPV4_UDP_DNS;
    ip[25] = 0;
    assert_eq!(run(LinkType::Raw, &ip), (dns_decoded(0), vec![]));
}

#[test]
fn udp_header_cut_is_udp_truncated() {
    let mut ip = IPV4_UDP_DNS[..26].to_vec();
    ip[3] = 26;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (dns_ip_only(), vec![("udp.truncated", 1)])
    );
}

// ---------------------------------------------------------------------------
// Hostile IPv6 extension chains.

/// IPv6 (2001:db8::1 -> ::2) carrying `n` destination-options headers (8 bytes
/// each: next header, length 0, PadN of 4), then UDP 1234 -> 53 with "wxyz".
fn ipv6_with_dstopts(n: usize) -> Vec<u8> {
    let mut ext = Vec::new();
    for k in 0..n {
        let next = if k + 1 == n {
            ipproto::UDP
        } else {
            ipproto::DSTOPTS
        };
        ext.extend([next, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00]);
    }
    let first = if n == 0 {
        ipproto::UDP
    } else {
        ipproto::DSTOPTS
    };
    let mut ip = IPV6_UDP[..40].to_vec();
    ip[6] = first;
    let plen = (ext.len() + 12) as u16;
    ip[4..6].copy_from_slice(&plen.to_be_bytes());
    ip.extend(ext);
    ip.extend_from_slice(&IPV6_UDP[40..]);
    ip
}

fn v6_ip_only() -> Decoded {
    Decoded {
        l3: L3::Ipv6,
        src: v6(1),
        dst: v6(2),
        ..Decoded::default()
    }
}

#[test]
fn ipv6_dstopts_builder_without_headers_is_the_literal_packet() {
    assert_eq!(ipv6_with_dstopts(0), IPV6_UDP.to_vec());
}

#[test]
fn ipv6_exactly_max_ext_headers_still_reaches_transport() {
    // Found while writing these tests (no capture): the walk gave up after
    // MAX_IPV6_EXT headers even when the next one was the transport, so a chain of
    // exactly the maximum counted as ext_too_many.
    let ip = ipv6_with_dstopts(MAX_IPV6_EXT);
    assert_eq!(
        run(LinkType::Ipv6, &ip),
        (
            Decoded {
                payload_off: (40 + 8 * MAX_IPV6_EXT + 8) as u32,
                ..v6_udp_decoded(0)
            },
            vec![]
        )
    );
}

#[test]
fn more_than_max_ipv6_ext_headers_is_ext_too_many() {
    let ip = ipv6_with_dstopts(MAX_IPV6_EXT + 1);
    assert_eq!(
        run(LinkType::Ipv6, &ip),
        (v6_ip_only(), vec![("ipv6.ext_too_many", 1)])
    );
}

#[test]
fn ipv6_ext_header_longer_than_packet_is_ext_truncated() {
    // One hop-by-hop header claiming length 5 (48 bytes) in a 20-byte payload.
    let mut ip = ipv6_with_dstopts(1);
    ip[6] = ipproto::HOPOPT;
    ip[41] = 5;
    assert_eq!(ip.len(), 60);
    assert_eq!(
        run(LinkType::Ipv6, &ip),
        (v6_ip_only(), vec![("ipv6.ext_truncated", 1)])
    );
}

#[test]
fn ipv6_ext_header_cut_before_its_first_eight_bytes_is_ext_truncated() {
    let ip = ipv6_with_dstopts(1);
    let mut cut = ip[..44].to_vec();
    cut[4..6].copy_from_slice(&4u16.to_be_bytes());
    assert_eq!(
        run(LinkType::Ipv6, &cut),
        (v6_ip_only(), vec![("ipv6.ext_truncated", 1)])
    );
}

#[test]
fn ipv6_fragment_header_cut_is_ext_truncated() {
    // Next header 44 and only 4 bytes of the 8-byte fragment header.
    let mut ip = IPV6_UDP[..44].to_vec();
    ip[6] = ipproto::FRAGMENT;
    ip[4..6].copy_from_slice(&4u16.to_be_bytes());
    assert_eq!(
        run(LinkType::Ipv6, &ip),
        (v6_ip_only(), vec![("ipv6.ext_truncated", 1)])
    );
}

// ---------------------------------------------------------------------------
// Nesting limits.

/// `layers` IPv4-in-IPv4 headers around the SYN; layer k is 10.0.k.1 -> 10.0.k.2.
fn ipip_nest(layers: usize) -> Vec<u8> {
    let mut p = IPV4_TCP_SYN.to_vec();
    for k in (0..layers).rev() {
        p = ipv4_around(ipproto::IPIP, [10, 0, k as u8, 1], [10, 0, k as u8, 2], &p);
    }
    p
}

#[test]
fn ipip_nesting_up_to_max_depth_is_decapsulated() {
    let ip = ipip_nest(MAX_TUNNEL_DEPTH);
    assert_eq!(
        run(LinkType::Raw, &ip),
        (
            Decoded {
                tunnels: MAX_TUNNEL_DEPTH as u8,
                ..syn_decoded(20 * MAX_TUNNEL_DEPTH)
            },
            vec![("tunnel.ipip", MAX_TUNNEL_DEPTH as u64)]
        )
    );
}

#[test]
fn tunnel_nesting_beyond_max_depth_is_too_deep() {
    let ip = ipip_nest(MAX_TUNNEL_DEPTH + 1);
    let last = MAX_TUNNEL_DEPTH as u8;
    assert_eq!(
        run(LinkType::Raw, &ip),
        (
            Decoded {
                l3: L3::Ipv4,
                src: v4(10, 0, last, 1),
                dst: v4(10, 0, last, 2),
                proto: ipproto::IPIP,
                tunnels: MAX_TUNNEL_DEPTH as u8,
                ..Decoded::default()
            },
            vec![
                ("tunnel.ipip", MAX_TUNNEL_DEPTH as u64),
                ("tunnel.too_deep", 1)
            ]
        )
    );
}

#[test]
fn gre_nesting_beyond_max_depth_is_too_deep() {
    // IPv4/GRE repeated MAX_TUNNEL_DEPTH + 1 times around the SYN.
    let mut p = IPV4_TCP_SYN.to_vec();
    for _ in 0..=MAX_TUNNEL_DEPTH {
        let gre = cat(&[&[0x00, 0x00, 0x08, 0x00], &p]);
        p = ipv4_around(ipproto::GRE, [192, 0, 2, 1], [192, 0, 2, 2], &gre);
    }
    let (d, anomalies) = run(LinkType::Raw, &p);
    assert_eq!(d.tunnels, MAX_TUNNEL_DEPTH as u8);
    assert!(!d.has_l4);
    assert_eq!(
        anomalies,
        vec![
            ("tunnel.gre", MAX_TUNNEL_DEPTH as u64),
            ("tunnel.too_deep", 1)
        ]
    );
}

#[test]
fn vlan_stack_deeper_than_max_is_too_deep() {
    let frame = vlan_stack(MAX_VLAN_TAGS + 1);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (Decoded::default(), vec![("vlan.too_deep", 1)])
    );
}

#[test]
fn vlan_tag_cut_is_vlan_truncated() {
    let frame = cat(&[&ETH_IPV4[..12], &[0x81, 0x00, 0x00, 0x64, 0x08]]);
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (Decoded::default(), vec![("vlan.truncated", 1)])
    );
}

// ---------------------------------------------------------------------------
// Truncated link headers and unknown link types.

#[test]
fn truncated_link_headers_are_counted_for_every_link_type() {
    let ppi = [0x00, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00];
    let cases: [(LinkType, &[u8], &str); 13] = [
        (LinkType::Ethernet, &ETH_IPV4[..13], "link.truncated"),
        (LinkType::LinuxSll, &SLL_IPV4[..15], "link.truncated"),
        (LinkType::LinuxSll2, &SLL2_IPV6[..19], "link.truncated"),
        (LinkType::Null, &[2, 0, 0], "link.truncated"),
        (LinkType::Loop, &[0, 0, 0], "link.truncated"),
        (LinkType::Ppi, &ppi[..7], "link.truncated"),
        // PPI header length 12 in an 8-byte frame.
        (
            LinkType::Ppi,
            &[0x00, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x00],
            "link.truncated",
        ),
        // PPI header length 4, below its own size.
        (
            LinkType::Ppi,
            &[0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00],
            "link.truncated",
        ),
        (LinkType::Raw, &[], "link.truncated"),
        (LinkType::Ipv4, &IPV4_TCP_SYN[..19], "ipv4.truncated"),
        (LinkType::Ipv6, &IPV6_UDP[..39], "ipv6.truncated"),
        (LinkType::Ethernet, &ETH_IPV4, "ipv4.truncated"),
        (LinkType::Unknown(147), &IPV4_TCP_SYN, "link.unsupported"),
    ];
    for (lt, frame, anomaly) in cases {
        assert_eq!(
            run(lt, frame),
            (Decoded::default(), vec![(anomaly, 1)]),
            "{lt} with {} bytes",
            frame.len()
        );
    }
}

#[test]
fn counters_add_and_name_every_anomaly() {
    let mut a = Counters::default();
    a.bump(Anomaly::TcpTruncated);
    let mut b = Counters::default();
    b.bump(Anomaly::TcpTruncated);
    b.bump(Anomaly::IpEsp);
    a.add(&b);
    assert_eq!(
        a.nonzero().collect::<Vec<_>>(),
        vec![("tcp.truncated", 2), ("ip.esp", 1)]
    );
    let names: std::collections::HashSet<&str> = Anomaly::ALL.iter().map(|a| a.name()).collect();
    assert_eq!(names.len(), Anomaly::ALL.len());
}

// ---------------------------------------------------------------------------
// Link types met in real captures. The frames are cut from the corpus captures
// named above each one (`../shared/corpus`); hostile cases change one field,
// named in each test.

/// tcpdump/nflog.pcap, frame 1, whole (180 bytes): NFLOG, AF_INET, group 20, TLVs
/// little-endian; a DNS answer 74.82.42.42:53 -> 10.0.0.20:42585 in the payload TLV.
const NFLOG_FRAME1: [u8; 180] = [
    // family 2 (AF_INET), version 0, resource ID 20 (BE)
    0x02, 0x00, 0x00, 0x14, //
    // TLV at 4: length 8, type 1 (NFULA_PACKET_HDR): hw_protocol 0x0800, hook 1
    0x08, 0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x27, //
    // TLV at 12: length 5, type 10 (NFULA_PREFIX) "", padded to 8
    0x05, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, //
    // TLV at 20: length 8, type 4 (NFULA_IFINDEX_INDEV)
    0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x02, //
    // TLV at 28: length 16, type 8 (NFULA_HWADDR)
    0x10, 0x00, 0x08, 0x00, 0x00, 0x06, 0xff, 0xff, 0xb8, 0xa3, 0x86, 0xb9, 0xc3, 0xd6, 0x00,
    0x00, //
    // TLV at 44: length 6, type 15 (NFULA_HWTYPE), padded to 8
    0x06, 0x00, 0x0f, 0x00, 0x00, 0x01, 0x00, 0x00, //
    // TLV at 52: length 6, type 17 (NFULA_HWLEN), padded to 8
    0x06, 0x00, 0x11, 0x00, 0x00, 0x0e, 0x00, 0x00, //
    // TLV at 60: length 18, type 16 (NFULA_HWHEADER), padded to 20
    0x12, 0x00, 0x10, 0x00, 0x08, 0x11, 0x96, 0x1c, 0x10, 0xc8, 0xb8, 0xa3, 0x86, 0xb9, 0xc3, 0xd6,
    0x08, 0x00, 0x00, 0x00, //
    // TLV at 80: length 20, type 3 (NFULA_TIMESTAMP)
    0x14, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x52, 0x2a, 0x1f, 0x9e, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x09, 0x60, 0xfc, //
    // TLV at 100: length 77, type 9 (NFULA_PAYLOAD): IPv4, total length 73
    0x4d, 0x00, 0x09, 0x00, //
    0x45, 0x00, 0x00, 0x49, 0x00, 0x00, 0x40, 0x00, 0x37, 0x11, 0xc5, 0x14, 0x4a, 0x52, 0x2a, 0x2a,
    0x0a, 0x00, 0x00, 0x14, //
    // UDP 53 -> 42585, length 53
    0x00, 0x35, 0xa6, 0x59, 0x00, 0x35, 0x6d, 0xdf, //
    // DNS answer: example.com A 93.184.216.119
    0x43, 0x71, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07, 0x65, 0x78, 0x61,
    0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x2f, 0x96, 0x00, 0x04, 0x5d, 0xb8, 0xd8, 0x77,
    // padding of the payload TLV to 4 bytes
    0x00, 0x00, 0x00,
];

/// Offsets of the TLVs of [`NFLOG_FRAME1`].
const NFLOG_TLVS: [usize; 9] = [4, 12, 20, 28, 44, 52, 60, 80, 100];
/// Where the IPv4 packet of [`NFLOG_FRAME1`] starts.
const NFLOG_IP: usize = 104;

/// The decode of [`NFLOG_FRAME1`].
fn nflog_decoded() -> Decoded {
    Decoded {
        l3: L3::Ipv4,
        src: v4(74, 82, 42, 42),
        dst: v4(10, 0, 0, 20),
        proto: ipproto::UDP,
        sport: 53,
        dport: 42585,
        has_l4: true,
        payload_off: (NFLOG_IP + 28) as u32,
        payload_len: 45,
        ..Decoded::default()
    }
}

#[test]
fn nflog_payload_tlv_holds_the_ip_packet() {
    assert_eq!(
        run(LinkType::Nflog, &NFLOG_FRAME1),
        (nflog_decoded(), vec![])
    );
}

#[test]
fn nflog_tlvs_written_by_a_big_endian_host_are_read_too() {
    // The same frame with every TLV length and type byte-swapped, as a big-endian
    // writer would store them.
    let mut frame = NFLOG_FRAME1;
    for at in NFLOG_TLVS {
        frame.swap(at, at + 1);
        frame.swap(at + 2, at + 3);
    }
    assert_eq!(run(LinkType::Nflog, &frame), (nflog_decoded(), vec![]));
}

#[test]
fn nflog_af_inet6_payload_is_ipv6() {
    // AF_INET6 (10), then only a payload TLV: length 4 + 52, type 9.
    let frame = cat(&[&[10, 0, 0, 1], &[56, 0, 9, 0], &IPV6_UDP]);
    assert_eq!(run(LinkType::Nflog, &frame), (v6_udp_decoded(8), vec![]));
}

#[test]
fn nflog_payload_cut_by_the_snaplen_is_decoded_as_far_as_captured() {
    // Frame 1 cut 18 bytes into the DNS message: the payload TLV says 77 bytes.
    let frame = &NFLOG_FRAME1[..NFLOG_IP + 28 + 18];
    assert_eq!(
        run(LinkType::Nflog, frame),
        (
            Decoded {
                payload_len: 18,
                ..nflog_decoded()
            },
            vec![("ip.snaplen_cut", 1)]
        )
    );
}

#[test]
fn nflog_hostile_headers_and_tlvs_are_counted() {
    let mut zero_len = NFLOG_FRAME1;
    // The NFULA_PREFIX TLV at 12 with length 0: must not loop.
    zero_len[12] = 0;
    let mut three = NFLOG_FRAME1;
    // Length 3, shorter than the TLV header.
    three[12] = 3;
    let mut past_end = NFLOG_FRAME1;
    // The NFULA_TIMESTAMP TLV at 80 says 0x00ff bytes: past the 180-byte frame.
    past_end[80] = 0xff;
    let mut family = NFLOG_FRAME1;
    // AF_BRIDGE (7).
    family[0] = 7;
    let cases: [(&[u8], &str); 8] = [
        (&NFLOG_FRAME1[..3], "link.truncated"),
        (&zero_len, "nflog.bad_tlv"),
        (&three, "nflog.bad_tlv"),
        (&past_end, "nflog.bad_tlv"),
        (&family, "nflog.unknown_family"),
        // Header only, header and first TLV, and two bytes of the next TLV header.
        (&NFLOG_FRAME1[..4], "nflog.no_payload"),
        (&NFLOG_FRAME1[..12], "nflog.no_payload"),
        (&NFLOG_FRAME1[..14], "nflog.no_payload"),
    ];
    for (frame, anomaly) in cases {
        assert_eq!(
            run(LinkType::Nflog, frame),
            (Decoded::default(), vec![(anomaly, 1)]),
            "{anomaly}: {frame:02x?}"
        );
    }
}

#[test]
fn nflog_every_prefix_ends() {
    // Any cut of the frame ends in a counter or a decode, never in a loop.
    for len in 0..=NFLOG_FRAME1.len() {
        let (d, anomalies) = run(LinkType::Nflog, &NFLOG_FRAME1[..len]);
        assert!(d.has_l4 || !anomalies.is_empty(), "prefix {len}");
    }
}

/// tcpdump/arcnet-rfc1051-arp-icmp-http.pcap, frame 7 (62 bytes): Linux ARCNET,
/// RFC 1051 IP; DNS query 10.80.131.1:1024 -> 10.80.3.254:53 for tcpdump.org.
const ARCNET_RFC1051_DNS: [u8; 62] = [
    // source 0xbe, destination 0x50, offset 0xc600, protocol ID 240 (RFC 1051 IP)
    0xbe, 0x50, 0xc6, 0x00, 0xf0, //
    0x45, 0x00, 0x00, 0x39, 0x64, 0xb5, 0x40, 0x00, 0x40, 0x11, 0x3a, 0x60, 0x0a, 0x50, 0x83, 0x01,
    0x0a, 0x50, 0x03, 0xfe, //
    0x04, 0x00, 0x00, 0x35, 0x00, 0x25, 0xd5, 0xf5, //
    0xd4, 0x38, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x74, 0x63, 0x70,
    0x64, 0x75, 0x6d, 0x70, 0x03, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x01, 0x00, 0x01,
];

/// tcpdump/arcnet-rfc1201-arp-icmp-http.pcap, frame 9 (65 bytes): Linux ARCNET,
/// RFC 1201 IP; DNS query 10.80.131.1:1024 -> 10.80.3.254:53 for tcpdump.org.
const ARCNET_RFC1201_DNS: [u8; 65] = [
    // source 0xbe, destination 0x50, offset 0xc308, protocol ID 212 (RFC 1201 IP),
    // split flag 0, sequence number 0x0169
    0xbe, 0x50, 0xc3, 0x08, 0xd4, 0x00, 0x01, 0x69, //
    0x45, 0x00, 0x00, 0x39, 0xa8, 0xf8, 0x40, 0x00, 0x40, 0x11, 0xf6, 0x1c, 0x0a, 0x50, 0x83, 0x01,
    0x0a, 0x50, 0x03, 0xfe, //
    0x04, 0x00, 0x00, 0x35, 0x00, 0x25, 0x67, 0xff, //
    0x42, 0x2f, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x74, 0x63, 0x70,
    0x64, 0x75, 0x6d, 0x70, 0x03, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x01, 0x00, 0x01,
];
/// Offset of the split flag in [`ARCNET_RFC1201_DNS`].
const ARCNET_SPLIT: usize = 5;

/// The decode of the ARCNET DNS queries after a `link`-byte header.
fn arcnet_dns_decoded(link: usize) -> Decoded {
    Decoded {
        l3: L3::Ipv4,
        src: v4(10, 80, 131, 1),
        dst: v4(10, 80, 3, 254),
        proto: ipproto::UDP,
        sport: 1024,
        dport: 53,
        has_l4: true,
        payload_off: (link + 28) as u32,
        payload_len: 29,
        ..Decoded::default()
    }
}

#[test]
fn arcnet_linux_rfc1051_and_rfc1201_carry_ipv4() {
    assert_eq!(
        run(LinkType::ArcnetLinux, &ARCNET_RFC1051_DNS),
        (arcnet_dns_decoded(5), vec![])
    );
    assert_eq!(
        run(LinkType::ArcnetLinux, &ARCNET_RFC1201_DNS),
        (arcnet_dns_decoded(8), vec![])
    );
}

#[test]
fn arcnet_linux_arp_sets_l3_only() {
    // arcnet-rfc1051-arp-icmp-http.pcap frame 1: protocol ID 241 (RFC 1051 ARP).
    let rfc1051 = [
        0xbe, 0x00, 0xed, 0x08, 0xf1, //
        0x00, 0x07, 0x08, 0x00, 0x01, 0x04, 0x00, 0x01, 0xbe, 0x0a, 0x50, 0x83, 0x01, 0x00, 0x0a,
        0x50, 0x83, 0xfe,
    ];
    // arcnet-rfc1201-arp-icmp-http.pcap frame 1: protocol ID 213 (RFC 1201 ARP),
    // split flag 0, sequence number 0x0165.
    let rfc1201 = [
        0xbe, 0x00, 0xea, 0x08, 0xd5, 0x00, 0x01, 0x65, //
        0x00, 0x07, 0x08, 0x00, 0x01, 0x04, 0x00, 0x01, 0xbe, 0x0a, 0x50, 0x83, 0x01, 0x00, 0x0a,
        0x50, 0x83, 0xfe,
    ];
    let arp = Decoded {
        l3: L3::Arp,
        ..Decoded::default()
    };
    assert_eq!(run(LinkType::ArcnetLinux, &rfc1051), (arp, vec![]));
    assert_eq!(run(LinkType::ArcnetLinux, &rfc1201), (arp, vec![]));
}

#[test]
fn arcnet_split_packets_are_counted_and_only_the_first_piece_decoded() {
    // Split flag 1: the first of two fragments (RFC 1201 §2.3), starts with the IP header.
    let mut first = ARCNET_RFC1201_DNS;
    first[ARCNET_SPLIT] = 1;
    assert_eq!(
        run(LinkType::ArcnetLinux, &first),
        (arcnet_dns_decoded(8), vec![("arcnet.fragment", 1)])
    );
    // Split flag 2: the second fragment, no header to read.
    let mut second = ARCNET_RFC1201_DNS;
    second[ARCNET_SPLIT] = 2;
    assert_eq!(
        run(LinkType::ArcnetLinux, &second),
        (Decoded::default(), vec![("arcnet.fragment", 1)])
    );
}

#[test]
fn arcnet_unknown_protocol_id_sets_l3_only() {
    // Protocol ID 250 (Novell IPX).
    let mut ipx = ARCNET_RFC1051_DNS;
    ipx[4] = 250;
    assert_eq!(
        run(LinkType::ArcnetLinux, &ipx),
        (
            Decoded {
                l3: L3::Other(250),
                ..Decoded::default()
            },
            vec![]
        )
    );
}

#[test]
fn arcnet_bsd_header_has_no_offset_and_may_be_an_exception_packet() {
    // ARCNET_RFC1201_DNS without Linux's 2-byte offset field (LINKTYPE_ARCNET_BSD).
    let bsd = cat(&[&ARCNET_RFC1201_DNS[..2], &ARCNET_RFC1201_DNS[4..]]);
    assert_eq!(
        run(LinkType::ArcnetBsd, &bsd),
        (arcnet_dns_decoded(6), vec![])
    );
    // RFC 1201 exception packet: flag 0xff, two 0xff pads, protocol ID again, then
    // the real split flag and sequence number.
    let exception = cat(&[
        &ARCNET_RFC1201_DNS[..2],
        &[0xd4, 0xff, 0xff, 0xff],
        &ARCNET_RFC1201_DNS[4..],
    ]);
    assert_eq!(
        run(LinkType::ArcnetBsd, &exception),
        (arcnet_dns_decoded(10), vec![])
    );
    // RFC 1051 under the BSD header.
    let rfc1051 = cat(&[&ARCNET_RFC1051_DNS[..2], &ARCNET_RFC1051_DNS[4..]]);
    assert_eq!(
        run(LinkType::ArcnetBsd, &rfc1051),
        (arcnet_dns_decoded(3), vec![])
    );
}

#[test]
fn arcnet_truncated_headers_are_link_truncated() {
    let bsd_exception = [0xbe, 0x50, 0xd4, 0xff, 0xff, 0xff, 0xd4, 0x00, 0x01];
    let cases: [(LinkType, &[u8]); 5] = [
        // No protocol ID.
        (LinkType::ArcnetLinux, &ARCNET_RFC1201_DNS[..4]),
        (LinkType::ArcnetBsd, &ARCNET_RFC1201_DNS[..2]),
        // RFC 1201 protocol ID without the split flag, or without the sequence number.
        (LinkType::ArcnetLinux, &ARCNET_RFC1201_DNS[..5]),
        (LinkType::ArcnetLinux, &ARCNET_RFC1201_DNS[..7]),
        // Exception packet cut in its sequence number.
        (LinkType::ArcnetBsd, &bsd_exception),
    ];
    for (lt, frame) in cases {
        assert_eq!(
            run(lt, frame),
            (Decoded::default(), vec![("link.truncated", 1)]),
            "{lt}: {frame:02x?}"
        );
    }
}

/// tcpdump/LINKTYPE_PKTAP.pcap, frame 1, whole (182 bytes; the same bytes are
/// frame 1 of LINKTYPE_USER2_PKTAP.pcap): a 108-byte PKTAP header, DLT 1 (Ethernet),
/// then a DNS query 10.32.4.27:63538 -> 10.32.100.15:53 for in.m.yahoo.com.
const PKTAP_FRAME1: [u8; 182] = [
    // header length 108, record type 1 (packet), DLT 1 (all little-endian)
    0x6c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, //
    // interface name "en0" (24 bytes)
    0x65, 0x6e, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
    // flags 2, protocol family 2, link-layer header length 14, trailer length 0
    0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, //
    // process ID 512, command name (20)
    0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
    // service class, interface type, unit, effective process ID -1, command name (20)
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, //
    // Ethernet 70:73:cb:0b:26:2a -> 00:1e:49:1f:f2:c4, IPv4
    0x00, 0x1e, 0x49, 0x1f, 0xf2, 0xc4, 0x70, 0x73, 0xcb, 0x0b, 0x26, 0x2a, 0x08, 0x00, //
    0x45, 0x00, 0x00, 0x3c, 0x2e, 0x03, 0x00, 0x00, 0xff, 0x11, 0x11, 0x44, 0x0a, 0x20, 0x04, 0x1b,
    0x0a, 0x20, 0x64, 0x0f, //
    0xf8, 0x32, 0x00, 0x35, 0x00, 0x28, 0x48, 0x14, //
    0x43, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x69, 0x6e, 0x01,
    0x6d, 0x05, 0x79, 0x61, 0x68, 0x6f, 0x6f, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
];

/// The decode of [`PKTAP_FRAME1`].
fn pktap_decoded() -> Decoded {
    Decoded {
        l3: L3::Ipv4,
        src: v4(10, 32, 4, 27),
        dst: v4(10, 32, 100, 15),
        proto: ipproto::UDP,
        sport: 63538,
        dport: 53,
        has_l4: true,
        payload_off: 108 + 14 + 28,
        payload_len: 32,
        ..Decoded::default()
    }
}

#[test]
fn pktap_header_names_the_inner_link_type() {
    assert_eq!(
        run(LinkType::Pktap, &PKTAP_FRAME1),
        (pktap_decoded(), vec![])
    );
}

#[test]
fn user2_is_pktap_when_the_header_holds_together() {
    assert_eq!(
        run(LinkType::Unknown(149), &PKTAP_FRAME1),
        (pktap_decoded(), vec![])
    );
    // Another private-use number stays unsupported.
    assert_eq!(
        run(LinkType::Unknown(148), &PKTAP_FRAME1),
        (Decoded::default(), vec![("link.unsupported", 1)])
    );
}

#[test]
fn pktap_hostile_headers_are_counted_and_user2_stays_unsupported() {
    let with = |at: usize, bytes: &[u8]| {
        let mut f = PKTAP_FRAME1;
        f[at..at + bytes.len()].copy_from_slice(bytes);
        f
    };
    // (frame, anomaly under PKTAP, what it is)
    let cases: [(Vec<u8>, &str, &str); 6] = [
        (
            PKTAP_FRAME1[..11].to_vec(),
            "link.truncated",
            "cut in the DLT",
        ),
        (
            with(0, &[107]).to_vec(),
            "link.truncated",
            "header length 107",
        ),
        (
            with(0, &[183]).to_vec(),
            "link.truncated",
            "length past the frame",
        ),
        (
            with(0, &[0xff, 0xff, 0xff, 0xff]).to_vec(),
            "link.truncated",
            "length 2^32-1",
        ),
        (with(4, &[0]).to_vec(), "pktap.not_packet", "record type 0"),
        (
            with(8, &[105]).to_vec(),
            "link.unsupported",
            "DLT 105 (802.11)",
        ),
    ];
    for (frame, anomaly, what) in cases {
        assert_eq!(
            run(LinkType::Pktap, &frame),
            (Decoded::default(), vec![(anomaly, 1)]),
            "pktap: {what}"
        );
        assert_eq!(
            run(LinkType::Unknown(149), &frame),
            (Decoded::default(), vec![("link.unsupported", 1)]),
            "user2: {what}"
        );
    }
}

#[test]
fn pktap_does_not_nest_headers_that_name_a_link_type() {
    // DLT 192 (PPI) or 258 (PKTAP) inside PKTAP: refused, so nesting stays bounded.
    for dlt in [[192, 0], [2, 1]] {
        let mut frame = PKTAP_FRAME1;
        frame[8..10].copy_from_slice(&dlt);
        assert_eq!(
            run(LinkType::Pktap, &frame),
            (Decoded::default(), vec![("link.unsupported", 1)]),
            "{dlt:?}"
        );
    }
}

#[test]
fn ppp_protocol_0021_is_ipv4() {
    // ndpi/dlt_ppp.pcap, frame 1, cut after the UDP header (30 of 1230 bytes):
    // PPP protocol 0x0021, IPv4 193.167.0.252:44083 -> 193.167.100.100:443 (QUIC).
    let frame = [
        0x00, 0x21, //
        0x45, 0x02, 0x04, 0xcc, 0x41, 0x3d, 0x40, 0x00, 0x3f, 0x11, 0x0d, 0x33, 0xc1, 0xa7, 0x00,
        0xfc, 0xc1, 0xa7, 0x64, 0x64, //
        0xac, 0x33, 0x01, 0xbb, 0x04, 0xb8, 0x00, 0x00,
    ];
    assert_eq!(
        run(LinkType::Ppp, &frame),
        (
            Decoded {
                l3: L3::Ipv4,
                src: v4(193, 167, 0, 252),
                dst: v4(193, 167, 100, 100),
                proto: ipproto::UDP,
                sport: 44083,
                dport: 443,
                has_l4: true,
                payload_off: 30,
                payload_len: 0,
                ..Decoded::default()
            },
            // The IP total length (1228) is past the cut.
            vec![("ip.snaplen_cut", 1)]
        )
    );
}

#[test]
fn ppp_address_control_and_protocol_compression() {
    let cases: [(&[u8], usize); 4] = [
        // RFC 1662 address and control, then protocol 0x0021.
        (&[0xff, 0x03, 0x00, 0x21], 4),
        // Protocol-Field-Compression (RFC 1661 §6.5): 0x21 alone.
        (&[0x21], 1),
        (&[0xff, 0x03, 0x21], 3),
        // Cisco HDLC under LINKTYPE_PPP (as Wireshark reads it): 0x0f 0x00 0x0800.
        (&[0x0f, 0x00, 0x08, 0x00], 4),
    ];
    for (link, len) in cases {
        let frame = cat(&[link, &IPV4_TCP_SYN]);
        assert_eq!(
            run(LinkType::Ppp, &frame),
            (syn_decoded(len), vec![]),
            "{link:02x?}"
        );
    }
    for link in [&[0x00, 0x57][..], &[0x57], &[0xff, 0x03, 0x00, 0x57]] {
        let frame = cat(&[link, &IPV6_UDP]);
        assert_eq!(
            run(LinkType::Ppp, &frame),
            (v6_udp_decoded(link.len()), vec![]),
            "{link:02x?}"
        );
    }
}

#[test]
fn cisco_hdlc_under_ppp_from_a_real_capture() {
    // ndpi/BGP_Cisco_hdlc_slarp.pcap, frame 1, whole (48 bytes): Cisco HDLC
    // address 0x0f, control 0, type 0x0800; BGP SYN 100.16.1.2:18324 -> 100.16.1.1:179.
    let frame = [
        0x0f, 0x00, 0x08, 0x00, //
        0x45, 0xc0, 0x00, 0x2c, 0xf8, 0x92, 0x40, 0x00, 0x01, 0x06, 0xb6, 0x56, 0x64, 0x10, 0x01,
        0x02, 0x64, 0x10, 0x01, 0x01, //
        0x47, 0x94, 0x00, 0xb3, 0xbc, 0xea, 0x75, 0xd1, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0x40,
        0x00, 0x13, 0x00, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    ];
    let want = Decoded {
        l3: L3::Ipv4,
        src: v4(100, 16, 1, 2),
        dst: v4(100, 16, 1, 1),
        proto: ipproto::TCP,
        sport: 18324,
        dport: 179,
        tcp_flags: 0x02,
        tcp_seq: 3169482193,
        has_l4: true,
        payload_off: 48,
        payload_len: 0,
        ..Decoded::default()
    };
    assert_eq!(run(LinkType::Ppp, &frame), (want, vec![]));
    assert_eq!(run(LinkType::PppHdlc, &frame), (want, vec![]));
}

#[test]
fn ppp_hdlc_reads_ppp_or_cisco_framing() {
    let ppp = cat(&[&[0xff, 0x03, 0x00, 0x21], &IPV4_TCP_SYN]);
    assert_eq!(run(LinkType::PppHdlc, &ppp), (syn_decoded(4), vec![]));
    // Cisco multicast address 0x8f, type 0x86dd.
    let chdlc = cat(&[&[0x8f, 0x00, 0x86, 0xdd], &IPV6_UDP]);
    assert_eq!(run(LinkType::PppHdlc, &chdlc), (v6_udp_decoded(4), vec![]));
    // The same frames under their own link type, DLT 104 (LINKTYPE_C_HDLC).
    assert_eq!(run(LinkType::CHdlc, &chdlc), (v6_udp_decoded(4), vec![]));
    let unicast = cat(&[&[0x0f, 0x00, 0x08, 0x00], &IPV4_TCP_SYN]);
    assert_eq!(run(LinkType::CHdlc, &unicast), (syn_decoded(4), vec![]));
    assert_eq!(
        run(LinkType::CHdlc, &[0x0f, 0x00, 0x08]).1,
        vec![("link.truncated", 1)]
    );
}

#[test]
fn ppp_other_protocols_set_l3_and_cut_headers_are_counted() {
    // LCP (0xc021) is not a network layer.
    let lcp = [0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04];
    assert_eq!(
        run(LinkType::Ppp, &lcp),
        (
            Decoded {
                l3: L3::Other(0xc021),
                ..Decoded::default()
            },
            vec![]
        )
    );
    let cases: [(LinkType, &[u8], &str); 8] = [
        (LinkType::Ppp, &[], "link.truncated"),
        // An even first byte needs a second one.
        (LinkType::Ppp, &[0x00], "link.truncated"),
        (LinkType::Ppp, &[0xff, 0x03], "link.truncated"),
        (LinkType::Ppp, &[0xff, 0x03, 0x00], "link.truncated"),
        (LinkType::Ppp, &[0x0f, 0x00, 0x08], "link.truncated"),
        (LinkType::PppHdlc, &[], "link.truncated"),
        (LinkType::PppHdlc, &[0x8f, 0x00, 0x08], "link.truncated"),
        // Neither PPP's 0xff nor a Cisco address.
        (
            LinkType::PppHdlc,
            &[0x42, 0x03, 0x00, 0x21],
            "ppp.bad_framing",
        ),
    ];
    for (lt, frame, anomaly) in cases {
        assert_eq!(
            run(lt, frame),
            (Decoded::default(), vec![(anomaly, 1)]),
            "{lt}: {frame:02x?}"
        );
    }
}

// ---------------------------------------------------------------------------
// GTP-U (3GPP TS 29.281).

/// ndpi/ja3_lots_of_cipher_suites_2_anon.pcap, frame 1, whole (114 bytes):
/// Ethernet, IPv4 132.190.244.12 -> 151.121.185.44, UDP 2152 -> 2152; GTP-U flags
/// 0x32 (version 1, PT, S), G-PDU, length 64, TEID 0x013c5b74, sequence 0x6e50,
/// N-PDU 0, next extension 0; T-PDU IPv4 192.168.147.177 -> 151.121.193.160,
/// TCP SYN 58496 -> 443 with 20 bytes of options.
const GTPU_S_SYN: [u8; 114] = [
    0xfc, 0x48, 0xef, 0xa2, 0x9a, 0x3f, 0x30, 0xd1, 0x7e, 0x0f, 0x6c, 0x3e, 0x08, 0x00, //
    0x45, 0xb8, 0x00, 0x64, 0x23, 0xdd, 0x00, 0x00, 0x40, 0x11, 0x8c, 0x83, 0x84, 0xbe, 0xf4, 0x0c,
    0x97, 0x79, 0xb9, 0x2c, //
    0x08, 0x68, 0x08, 0x68, 0x00, 0x50, 0x00, 0x00, //
    0x32, 0xff, 0x00, 0x40, 0x01, 0x3c, 0x5b, 0x74, 0x6e, 0x50, 0x00, 0x00, //
    0x45, 0x00, 0x00, 0x3c, 0x63, 0x4a, 0x40, 0x00, 0x40, 0x06, 0x29, 0xfe, 0xc0, 0xa8, 0x93, 0xb1,
    0x97, 0x79, 0xc1, 0xa0, //
    0xe4, 0x80, 0x01, 0xbb, 0x42, 0xc6, 0xda, 0xe5, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0x39, 0x08,
    0xa3, 0xe3, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x0b, 0xb9, 0xaf,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x05,
];

/// Offsets in [`GTPU_S_SYN`].
mod gtp {
    pub const IP_TOTAL_LEN: usize = 16;
    pub const UDP_LEN: usize = 38;
    pub const FLAGS: usize = 42;
    pub const MSG_TYPE: usize = 43;
    pub const LENGTH: usize = 44;
    pub const NEXT_EXT: usize = 53;
    pub const TPDU: usize = 54;
}

/// The inner SYN of [`GTPU_S_SYN`], `shift` bytes further into the frame.
fn gtpu_syn_decoded(shift: usize) -> Decoded {
    Decoded {
        l3: L3::Ipv4,
        src: v4(192, 168, 147, 177),
        dst: v4(151, 121, 193, 160),
        proto: ipproto::TCP,
        sport: 58496,
        dport: 443,
        tcp_flags: 0x02,
        tcp_seq: 1120328421,
        has_l4: true,
        payload_off: (114 + shift) as u32,
        payload_len: 0,
        tunnels: 1,
        frag_tail: false,
    }
}

/// The outer UDP packet of [`GTPU_S_SYN`], left as it is (GTP-U not decapsulated).
fn gtpu_outer(payload_len: usize) -> Decoded {
    Decoded {
        l3: L3::Ipv4,
        src: v4(132, 190, 244, 12),
        dst: v4(151, 121, 185, 44),
        proto: ipproto::UDP,
        sport: 2152,
        dport: 2152,
        has_l4: true,
        payload_off: 42,
        payload_len: payload_len as u32,
        ..Decoded::default()
    }
}

/// [`GTPU_S_SYN`] with the E flag set, first extension type 0x85 (PDU session
/// container) and `ext` inserted before the T-PDU, every length grown to match.
fn gtpu_with_ext(ext: &[u8]) -> Vec<u8> {
    let mut f = cat(&[&GTPU_S_SYN[..gtp::TPDU], ext, &GTPU_S_SYN[gtp::TPDU..]]);
    for at in [gtp::IP_TOTAL_LEN, gtp::UDP_LEN, gtp::LENGTH] {
        let v = u16::from_be_bytes([f[at], f[at + 1]]) + ext.len() as u16;
        f[at..at + 2].copy_from_slice(&v.to_be_bytes());
    }
    f[gtp::FLAGS] |= 0x04;
    f[gtp::NEXT_EXT] = 0x85;
    f
}

#[test]
fn gtpu_g_pdu_with_sequence_number_is_decapsulated() {
    assert_eq!(
        run(LinkType::Ethernet, &GTPU_S_SYN),
        (gtpu_syn_decoded(0), vec![("tunnel.gtpu", 1)])
    );
}

#[test]
fn gtpu_g_pdu_without_optional_fields_from_a_real_capture() {
    // ndpi/false_positives.pcapng, frame 1, whole (122 bytes): Ethernet, two
    // 802.1Q tags, IPv4 10.134.25.76 -> 10.132.15.176, UDP 2152 -> 2152; GTP-U
    // flags 0x30, G-PDU, length 64, TEID 0x03d44f54; T-PDU IPv4
    // 10.140.231.26 -> 159.65.12.169, TCP SYN 61202 -> 443 with 24 bytes of options.
    let frame = [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x81, 0x00, 0x4d,
        0x42, 0x81, 0x00, 0x40, 0x71, 0x08, 0x00, //
        0x45, 0x30, 0x00, 0x64, 0xc7, 0xed, 0x00, 0x00, 0x40, 0x11, 0x74, 0x66, 0x0a, 0x86, 0x19,
        0x4c, 0x0a, 0x84, 0x0f, 0xb0, //
        0x08, 0x68, 0x08, 0x68, 0x00, 0x50, 0xc9, 0xd4, //
        0x30, 0xff, 0x00, 0x40, 0x03, 0xd4, 0x4f, 0x54, //
        0x45, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40, 0x00, 0x3e, 0x06, 0x9f, 0x27, 0x0a, 0x8c, 0xe7,
        0x1a, 0x9f, 0x41, 0x0c, 0xa9, //
        0xef, 0x12, 0x01, 0xbb, 0xbd, 0x24, 0xd3, 0xc7, 0x00, 0x00, 0x00, 0x00, 0xb0, 0x02, 0xff,
        0xff, 0x35, 0x8e, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x05, 0x01, 0x01,
        0x08, 0x0a, 0x48, 0x8c, 0x99, 0x97, 0x00, 0x00, 0x00, 0x00, 0x04, 0x02, 0x00, 0x00,
    ];
    let want = Decoded {
        l3: L3::Ipv4,
        src: v4(10, 140, 231, 26),
        dst: v4(159, 65, 12, 169),
        proto: ipproto::TCP,
        sport: 61202,
        dport: 443,
        tcp_flags: 0x02,
        tcp_seq: 3173307335,
        has_l4: true,
        payload_off: 122,
        payload_len: 0,
        tunnels: 1,
        frag_tail: false,
    };
    assert_eq!(
        run(LinkType::Ethernet, &frame),
        (want, vec![("tunnel.gtpu", 1)])
    );
}

#[test]
fn gtpu_extension_headers_are_chained_and_skipped() {
    // One 4-octet PDU session container (length 1, QFI 9, next type 0).
    let one = gtpu_with_ext(&[0x01, 0x00, 0x09, 0x00]);
    assert_eq!(
        run(LinkType::Ethernet, &one),
        (gtpu_syn_decoded(4), vec![("tunnel.gtpu", 1)])
    );
    // Two: length 1 then next type 0x85 again; length 2 (8 octets) then 0.
    let two = gtpu_with_ext(&[0x01, 0x00, 0x09, 0x85, 0x02, 0, 0, 0, 0, 0, 0, 0x00]);
    assert_eq!(
        run(LinkType::Ethernet, &two),
        (gtpu_syn_decoded(12), vec![("tunnel.gtpu", 1)])
    );
    // Without the E flag the next extension type is not interpreted.
    let mut no_e = GTPU_S_SYN;
    no_e[gtp::NEXT_EXT] = 0x85;
    assert_eq!(
        run(LinkType::Ethernet, &no_e),
        (gtpu_syn_decoded(0), vec![("tunnel.gtpu", 1)])
    );
}

#[test]
fn gtpu_hostile_headers_leave_the_outer_udp_packet_and_are_counted() {
    let mut cases: Vec<(Vec<u8>, Decoded, &str)> = Vec::new();
    let mut edit = |at: usize, v: u8, anomaly: &'static str| {
        let mut f = GTPU_S_SYN.to_vec();
        f[at] = v;
        cases.push((f, gtpu_outer(72), anomaly));
    };
    // Version 2 (GTPv2-C's header), then GTP' (PT = 0).
    edit(gtp::FLAGS, 0x52, "gtp.unsupported");
    edit(gtp::FLAGS, 0x22, "gtp.unsupported");
    // Echo request (message type 1): not tunnelled.
    edit(gtp::MSG_TYPE, 0x01, "gtp.not_gpdu");
    // Length 2: shorter than the 4 optional octets announced by S.
    edit(gtp::LENGTH + 1, 0x02, "gtp.truncated");
    // Length 4: the optional octets and no T-PDU.
    edit(gtp::LENGTH + 1, 0x04, "gtp.truncated");
    // A T-PDU with version nibble 5.
    edit(gtp::TPDU, 0x55, "gtp.unsupported");
    // An extension header of length 0 (would never advance).
    let zero = gtpu_with_ext(&[0x00, 0x00, 0x09, 0x00]);
    cases.push((zero, gtpu_outer(76), "gtp.bad_ext_length"));
    // An extension header running past the message (0x20 * 4 octets).
    let long = gtpu_with_ext(&[0x20, 0x00, 0x09, 0x00]);
    cases.push((long, gtpu_outer(76), "gtp.truncated"));
    // The last extension names another one: the T-PDU's 0x45 read as its
    // length runs past the message.
    let dangling = gtpu_with_ext(&[0x01, 0x00, 0x09, 0x85]);
    cases.push((dangling, gtpu_outer(76), "gtp.truncated"));
    for (frame, want, anomaly) in cases {
        assert_eq!(
            run(LinkType::Ethernet, &frame),
            (want, vec![(anomaly, 1)]),
            "{anomaly}: {frame:02x?}"
        );
    }
}

#[test]
fn gtpu_cut_by_the_snaplen_is_counted_at_every_length() {
    // Cut inside the GTP-U header: the UDP packet stays, gtp.truncated.
    for len in gtp::FLAGS..gtp::TPDU {
        let (d, anomalies) = run(LinkType::Ethernet, &GTPU_S_SYN[..len]);
        assert_eq!(d, gtpu_outer(len - 42), "{len}");
        assert_eq!(
            anomalies,
            vec![("gtp.truncated", 1), ("ip.snaplen_cut", 1)],
            "{len}"
        );
    }
}

#[test]
fn gtpu_nesting_is_bounded_by_the_tunnel_depth() {
    // The SYN wrapped MAX_TUNNEL_DEPTH + 1 times in IPv4/UDP 2152/GTP-U.
    let mut p = IPV4_TCP_SYN.to_vec();
    for _ in 0..=MAX_TUNNEL_DEPTH {
        let len = (8 + 8 + p.len()) as u16;
        let gtp_len = p.len() as u16;
        let udp = cat(&[
            &[0x08, 0x68, 0x08, 0x68],
            &len.to_be_bytes(),
            &[0, 0, 0x30, 0xff],
            &gtp_len.to_be_bytes(),
            &[0, 0, 0, 1],
            &p,
        ]);
        p = ipv4_around(ipproto::UDP, [198, 51, 100, 1], [198, 51, 100, 2], &udp);
    }
    let (d, anomalies) = run(LinkType::Raw, &p);
    assert_eq!(d.tunnels as usize, MAX_TUNNEL_DEPTH);
    assert_eq!(d.dport, 2152);
    assert_eq!(
        anomalies,
        vec![
            ("tunnel.too_deep", 1),
            ("tunnel.gtpu", MAX_TUNNEL_DEPTH as u64)
        ]
    );
}

// ---------------------------------------------------------------------------
// Raw IP link types that hold the other IP version.

#[test]
fn linktype_ipv4_holding_ipv6_is_read_as_ipv6_and_counted() {
    // tcpdump/LINKTYPE_IPV4_invalid.pcap, frame 1, whole (77 bytes), link type
    // 228: IPv6 2001:db8::1 -> 2620:fe::9, UDP 12345 -> 53, DNS query A example.com.
    let frame = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x25, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x26, 0x20, 0x00, 0xfe, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, //
        0x30, 0x39, 0x00, 0x35, 0x00, 0x25, 0x98, 0xb3, //
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x65, 0x78,
        0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
    ];
    let want = Decoded {
        l3: L3::Ipv6,
        src: Addr::v6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        dst: Addr::v6(Ipv6Addr::new(0x2620, 0xfe, 0, 0, 0, 0, 0, 9)),
        proto: ipproto::UDP,
        sport: 12345,
        dport: 53,
        has_l4: true,
        payload_off: 48,
        payload_len: 29,
        ..Decoded::default()
    };
    assert_eq!(
        run(LinkType::Ipv4, &frame),
        (want, vec![("link.ipv4_holds_ipv6", 1)])
    );
    // Under its own link type it is plain IPv6.
    assert_eq!(run(LinkType::Ipv6, &frame), (want, vec![]));
}

#[test]
fn linktype_ipv6_holding_ipv4_is_read_as_ipv4_and_other_versions_are_rejected() {
    assert_eq!(
        run(LinkType::Ipv6, &IPV4_TCP_SYN),
        (syn_decoded(0), vec![("link.ipv6_holds_ipv4", 1)])
    );
    let mut ip = IPV4_TCP_SYN;
    ip[syn::VER_IHL] = 0x55;
    assert_eq!(
        run(LinkType::Ipv4, &ip),
        (Decoded::default(), vec![("ipv4.bad_version", 1)])
    );
    assert_eq!(
        run(LinkType::Ipv6, &ip),
        (Decoded::default(), vec![("ipv6.bad_version", 1)])
    );
}

// ---------------------------------------------------------------------------
// No input panics.

const ALL_LINK_TYPES: [LinkType; 17] = [
    LinkType::Null,
    LinkType::Ethernet,
    LinkType::Raw,
    LinkType::Loop,
    LinkType::LinuxSll,
    LinkType::LinuxSll2,
    LinkType::Ipv4,
    LinkType::Ipv6,
    LinkType::Ppi,
    LinkType::Ppp,
    LinkType::PppHdlc,
    LinkType::ArcnetBsd,
    LinkType::ArcnetLinux,
    LinkType::Nflog,
    LinkType::Pktap,
    LinkType::Unknown(149),
    LinkType::Unknown(147),
];

/// Every valid packet of this file with its link type.
fn valid_packets() -> Vec<(LinkType, Vec<u8>)> {
    let gre = cat(&[&[0xb0, 0x00, 0x08, 0x00], &[0; 12], &IPV4_TCP_SYN]);
    vec![
        (
            LinkType::Ethernet,
            cat(&[&ETH_IPV4, &IPV4_TCP_SYN, &[0, 0]]),
        ),
        (LinkType::Ethernet, ETH_VLAN_IPV4_UDP.to_vec()),
        (LinkType::Ethernet, vlan_stack(MAX_VLAN_TAGS)),
        (LinkType::Ethernet, ETH_IPV6_HBH_FRAG_UDP.to_vec()),
        (LinkType::Ethernet, cat(&[&ETH_IPV6, &IPV6_UDP])),
        (LinkType::Ethernet, cat(&[&ETH_IPV4, &IPV4_ICMP_ECHO])),
        (
            LinkType::Ethernet,
            cat(&[
                &ETH_IPV4[..12],
                &[0x88, 0x47, 0x00, 0x01, 0x00, 0x40, 0x00, 0x01, 0x11, 0x40],
                &IPV4_TCP_SYN,
            ]),
        ),
        (
            LinkType::Ethernet,
            cat(&[
                &ETH_IPV4[..12],
                &[0x88, 0x64, 0x11, 0x00, 0x00, 0x01, 0x00, 0x2e, 0x00, 0x21],
                &IPV4_TCP_SYN,
            ]),
        ),
        (
            LinkType::Ethernet,
            cat(&[
                &ETH_IPV4,
                &ipv4_around(ipproto::IPV6, [192, 0, 2, 1], [192, 0, 2, 2], &IPV6_UDP),
            ]),
        ),
        (LinkType::LinuxSll, cat(&[&SLL_IPV4, &IPV4_TCP_SYN])),
        (LinkType::LinuxSll2, cat(&[&SLL2_IPV6, &IPV6_UDP])),
        (LinkType::Null, cat(&[&[2, 0, 0, 0], &IPV4_TCP_SYN])),
        (LinkType::Null, cat(&[&[0, 0, 0, 30], &IPV6_UDP])),
        (LinkType::Loop, cat(&[&[0, 0, 0, 2], &IPV4_UDP_DNS])),
        (LinkType::Raw, IPV4_TCP_SYN.to_vec()),
        (LinkType::Raw, ipip_nest(MAX_TUNNEL_DEPTH)),
        (
            LinkType::Raw,
            ipv4_around(ipproto::GRE, [198, 51, 100, 1], [198, 51, 100, 2], &gre),
        ),
        (LinkType::Ipv6, ipv6_with_dstopts(MAX_IPV6_EXT - 1)),
        (
            LinkType::Ppi,
            cat(&[
                &[0x00, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00],
                &ETH_IPV4,
                &IPV4_TCP_SYN,
            ]),
        ),
        (LinkType::Nflog, NFLOG_FRAME1.to_vec()),
        (LinkType::ArcnetLinux, ARCNET_RFC1051_DNS.to_vec()),
        (LinkType::ArcnetLinux, ARCNET_RFC1201_DNS.to_vec()),
        (
            LinkType::ArcnetBsd,
            cat(&[&ARCNET_RFC1201_DNS[..2], &ARCNET_RFC1201_DNS[4..]]),
        ),
        (LinkType::Pktap, PKTAP_FRAME1.to_vec()),
        (LinkType::Unknown(149), PKTAP_FRAME1.to_vec()),
        (
            LinkType::Ppp,
            cat(&[&[0xff, 0x03, 0x00, 0x21], &IPV4_TCP_SYN]),
        ),
        (LinkType::Ppp, cat(&[&[0x57], &IPV6_UDP])),
        (
            LinkType::PppHdlc,
            cat(&[&[0x0f, 0x00, 0x08, 0x00], &IPV4_TCP_SYN]),
        ),
        (LinkType::Ethernet, GTPU_S_SYN.to_vec()),
        (
            LinkType::Ethernet,
            gtpu_with_ext(&[0x01, 0x00, 0x09, 0x85, 0x02, 0, 0, 0, 0, 0, 0, 0x00]),
        ),
        (
            LinkType::Raw,
            ipv4_around(
                ipproto::GRE,
                [198, 51, 100, 1],
                [198, 51, 100, 2],
                &cat(&[
                    &[0x30, 0x81, 0x88, 0x0b, 0x00, 48, 0x98, 0x50],
                    &[0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0x03, 0x00, 0x21],
                    &IPV4_TCP_SYN,
                ]),
            ),
        ),
    ]
}

#[test]
fn every_prefix_of_every_valid_packet_decodes_without_panic_under_every_link_type() {
    for (own, packet) in valid_packets() {
        // The full packet decodes cleanly under its own link type (but for the
        // fragment header, which is counted).
        let (d, anomalies) = run(own, &packet);
        assert!(d.has_l4, "{own}: {packet:02x?}");
        assert!(
            anomalies
                .iter()
                .all(|(n, _)| n.starts_with("tunnel.") || *n == "ipv6.fragment"),
            "{own}: {anomalies:?}"
        );
        for len in 0..=packet.len() {
            let prefix = &packet[..len];
            for lt in ALL_LINK_TYPES {
                let (d, _) = run(lt, prefix);
                if d.has_l4 {
                    assert!(
                        d.payload_off as usize + d.payload_len as usize <= len,
                        "{lt} over {own} prefix {len}: payload {}+{} past the end",
                        d.payload_off,
                        d.payload_len
                    );
                }
                assert!(d.tunnels as usize <= MAX_TUNNEL_DEPTH);
            }
        }
    }
}

#[test]
fn every_prefix_of_a_valid_packet_is_counted_when_it_cuts_a_header() {
    // Cutting the Ethernet/IPv4/TCP SYN anywhere before the end of the TCP header
    // must leave a trace in the counters: nothing is silently dropped.
    let packet = cat(&[&ETH_IPV4, &IPV4_TCP_SYN]);
    for len in 0..packet.len() {
        let (d, anomalies) = run(LinkType::Ethernet, &packet[..len]);
        assert!(!d.has_l4, "prefix {len}");
        assert!(!anomalies.is_empty(), "prefix {len}: {anomalies:?}");
    }
}

#[test]
fn an_addresss_text_is_its_display() {
    // Every octet value in every position, and IPv6 through Display.
    for o in 0..=255u8 {
        for a in [
            v4(o, 0, 0, 1),
            v4(10, o, 255, 0),
            v4(1, 2, o, 3),
            v4(255, 99, 100, o),
        ] {
            let mut buf = [0u8; 15];
            assert_eq!(a.v4_text(&mut buf).unwrap(), a.to_string());
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                format!("\"{a}\""),
                "{a}"
            );
        }
    }
    let six = v6(0x1234);
    assert!(six.v4_text(&mut [0u8; 15]).is_none());
    assert_eq!(serde_json::to_string(&six).unwrap(), format!("\"{six}\""));
}
