//! Decoding layers 2 to 4 into a compact [`Decoded`] summary.
//!
//! Header fields are read through `pnet_packet` views. Every length is checked
//! here before a view or a payload slice is built, so no accessor and no slice can
//! go out of bounds: a malformed header becomes a named [`Anomaly`] counted in
//! [`Counters`], never a panic and never a silent drop.
//!
//! Covered: Ethernet with up to [`MAX_VLAN_TAGS`] 802.1Q/802.1ad tags, Linux SLL
//! and SLL2, BSD null/loopback, raw IP, PPP (bare, HDLC-like, Cisco HDLC), ARCNET
//! (BSD and Linux headers, RFC 1051 and RFC 1201), Linux NFLOG, and the headers
//! that name the link type behind them (PPI, Apple PKTAP); IPv4 (options,
//! fragments), IPv6 with its extension headers (RFC 8200 §4); TCP, UDP, ICMP,
//! ICMPv6; tunnels GRE (RFC 2784, RFC 2890 key/sequence), enhanced GRE carrying
//! PPP (PPTP, RFC 2637), IP-in-IP, 6in4, 4in6, 6in6, VXLAN, Geneve and GTP-U
//! (3GPP TS 29.281) are decapsulated up to [`MAX_TUNNEL_DEPTH`] and counted, so a
//! flow is keyed on the inner 5-tuple.
//!
//! Known limits: IP fragments are not reassembled (a non-initial fragment has no
//! ports: it is counted, not given to a flow); ESP payloads are opaque; GRE with
//! routing (RFC 1701) is counted but not decapsulated.
//! Split ARCNET packets (RFC 1201 fragmentation) are counted, not reassembled.
//!
//! Next step for a decoded packet: [`crate::flow`].

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use pnet_packet::ethernet::EthernetPacket;
use pnet_packet::gre::GrePacket;
use pnet_packet::icmp::IcmpPacket;
use pnet_packet::icmpv6::Icmpv6Packet;
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::ipv6::Ipv6Packet;
use pnet_packet::sll::SLLPacket;
use pnet_packet::sll2::SLL2Packet;
use pnet_packet::tcp::TcpPacket;
use pnet_packet::udp::UdpPacket;
use pnet_packet::vlan::VlanPacket;
use serde::Serialize;

use crate::capture::LinkType;

/// Deepest VLAN stack decoded (QinQ and one more).
pub const MAX_VLAN_TAGS: usize = 3;
/// Deepest tunnel nesting decapsulated.
pub const MAX_TUNNEL_DEPTH: usize = 3;
/// Most IPv6 extension headers walked before giving up.
pub const MAX_IPV6_EXT: usize = 8;

/// Ethertypes this decoder knows.
mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const VLAN: u16 = 0x8100;
    pub const QINQ: u16 = 0x88a8;
    pub const QINQ_OLD: u16 = 0x9100;
    pub const IPV6: u16 = 0x86dd;
    /// Transparent Ethernet bridging (Ethernet inside GRE).
    pub const TEB: u16 = 0x6558;
    /// MPLS unicast and multicast.
    pub const MPLS: u16 = 0x8847;
    pub const MPLS_MC: u16 = 0x8848;
    /// PPPoE session stage.
    pub const PPPOE_SESSION: u16 = 0x8864;
    /// PPP, as the protocol type of enhanced GRE (RFC 2637 §4.1).
    pub const PPP: u16 = 0x880b;
    /// Cisco FabricPath: a 2-byte FTag/TTL, then the inner Ethernet frame.
    pub const FABRICPATH: u16 = 0x8903;
}

/// IP protocol numbers this decoder knows.
pub mod ipproto {
    /// IPv6 hop-by-hop options.
    pub const HOPOPT: u8 = 0;
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// IPv4 encapsulated (IP-in-IP, 4in6).
    pub const IPIP: u8 = 4;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// IPv6 encapsulated (6in4, 6in6).
    pub const IPV6: u8 = 41;
    /// IPv6 routing header.
    pub const ROUTING: u8 = 43;
    /// IPv6 fragment header.
    pub const FRAGMENT: u8 = 44;
    /// GRE.
    pub const GRE: u8 = 47;
    /// ESP.
    pub const ESP: u8 = 50;
    /// AH.
    pub const AH: u8 = 51;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// No next header.
    pub const NONE: u8 = 59;
    /// IPv6 destination options.
    pub const DSTOPTS: u8 = 60;
    /// Mobility header.
    pub const MOBILITY: u8 = 135;
    /// Host identity protocol.
    pub const HIP: u8 = 139;
    /// Shim6.
    pub const SHIM6: u8 = 140;
}

/// Header sizes and field offsets not covered by a pnet view.
mod field {
    pub const ETH_HDR: usize = 14;
    pub const VLAN_TAG: usize = 4;
    pub const SLL_HDR: usize = 16;
    pub const SLL2_HDR: usize = 20;
    pub const NULL_HDR: usize = 4;
    pub const IPV4_MIN: usize = 20;
    pub const IPV6_HDR: usize = 40;
    pub const TCP_MIN: usize = 20;
    pub const UDP_HDR: usize = 8;
    pub const ICMP_MIN: usize = 4;
    /// ICMP echo identifier (RFC 792 / RFC 4443), after type, code, checksum.
    pub const ICMP_ECHO_ID: core::ops::Range<usize> = 4..6;
    pub const GRE_MIN: usize = 4;
    /// Enhanced GRE (RFC 2637 §4.1): flags and version (2), protocol type (2),
    /// payload length (2), call ID (2); then sequence (S) and acknowledgment (A)
    /// numbers, 4 bytes each.
    pub const GRE_PPTP_MIN: usize = 8;
    pub const GRE_PPTP_PAYLOAD_LEN: core::ops::Range<usize> = 4..6;
    /// K and S in the first flags byte; A in the second.
    pub const GRE_FLAG_KEY: u8 = 0x20;
    pub const GRE_FLAG_SEQ: u8 = 0x10;
    pub const GRE_FLAG_ACK: u8 = 0x80;
    pub const MPLS_LABEL: usize = 4;
    /// Bottom-of-stack bit in the third byte of an MPLS label entry.
    pub const MPLS_BOS: u8 = 0x01;
    /// PPPoE header (ver/type, code, session, length) and the PPP protocol field.
    pub const PPPOE_HDR: usize = 6;
    pub const PPP_PROTO: usize = 2;
    pub const FABRICPATH_TAG: usize = 2;
    pub const PPI_HDR: usize = 8;
    /// VXLAN header: flags (I bit 0x08), reserved, VNI, reserved.
    pub const VXLAN_HDR: usize = 8;
    pub const VXLAN_FLAG_I: u8 = 0x08;
    /// GTP-U (TS 29.281 §5.1): flags, message type, length (2), TEID (4); then,
    /// if E, S or PN is set, sequence number (2), N-PDU number, next extension
    /// header type; extension headers are multiples of 4 octets.
    pub const GTP_HDR: usize = 8;
    pub const GTP_FLAGS: usize = 0;
    pub const GTP_MSG_TYPE: usize = 1;
    pub const GTP_LENGTH: core::ops::Range<usize> = 2..4;
    pub const GTP_VERSION: u8 = 1;
    pub const GTP_FLAG_PT: u8 = 0x10;
    pub const GTP_FLAG_E: u8 = 0x04;
    pub const GTP_FLAG_S: u8 = 0x02;
    pub const GTP_FLAG_PN: u8 = 0x01;
    pub const GTP_G_PDU: u8 = 0xff;
    pub const GTP_OPT: usize = 4;
    pub const GTP_OPT_NEXT_EXT: usize = 3;
    pub const GTP_EXT_UNIT: usize = 4;
    /// Geneve: ver/opt-len, flags, protocol type (2), VNI (3), reserved; options.
    pub const GENEVE_HDR: usize = 8;
    /// IPv6 fragment header: next header, reserved, offset+flags (2), id (4).
    pub const FRAG_HDR: usize = 8;
    /// PPP in HDLC-like framing (RFC 1662 §3.1): address 0xff, control 0x03.
    pub const PPP_ADDRESS: u8 = 0xff;
    pub const PPP_CONTROL: u8 = 0x03;
    pub const PPP_ADDR_CTRL: usize = 2;
    /// Cisco HDLC (RFC 1547 §4.3.1): address (0x0f unicast, 0x8f multicast),
    /// control, then a 2-byte Ethernet type.
    pub const CHDLC_HDR: usize = 4;
    pub const CHDLC_UNICAST: u8 = 0x0f;
    pub const CHDLC_MULTICAST: u8 = 0x8f;
    pub const CHDLC_CONTROL: u8 = 0x00;
    pub const CHDLC_ETHERTYPE: core::ops::Range<usize> = 2..4;
    /// BSD ARCNET: source, destination, then the protocol ID.
    pub const ARCNET_BSD_PROTO: usize = 2;
    /// Linux ARCNET: source, destination, offset (2), then the protocol ID.
    pub const ARCNET_LINUX_PROTO: usize = 4;
    /// RFC 1201 fields after the protocol ID: split flag, sequence number (2).
    pub const ARCNET_RFC1201: usize = 3;
    /// RFC 1201 exception packet: after the protocol ID, the flag 0xff and two
    /// 0xff pads; then the protocol ID again, and the real RFC 1201 fields.
    pub const ARCNET_EXCEPTION: usize = 4;
    pub const ARCNET_EXCEPTION_FLAG: u8 = 0xff;
    /// NFLOG: address family (1), version (1), resource ID (2, big-endian).
    pub const NFLOG_HDR: usize = 4;
    /// NFLOG TLV header: length (2), type (2), both in the file's byte order.
    pub const NFLOG_TLV_HDR: usize = 4;
    /// The TLV type without Linux's NLA_F_NESTED and NLA_F_NET_BYTEORDER bits
    /// (`NLA_TYPE_MASK`, linux/netlink.h).
    pub const NFLOG_TYPE_MASK: u16 = 0x3fff;
    /// TLVs start on 4-byte boundaries (`NFA_ALIGNTO`).
    pub const NFLOG_ALIGN: usize = 4;
    /// PKTAP header (all little-endian): length (4), record type (4), DLT (4), ...
    pub const PKTAP_LEN: core::ops::Range<usize> = 0..4;
    pub const PKTAP_RECTYPE: core::ops::Range<usize> = 4..8;
    pub const PKTAP_DLT: core::ops::Range<usize> = 8..12;
    /// Smallest PKTAP header: version 1 without its optional tail.
    pub const PKTAP_MIN_HDR: usize = 108;
}

/// Link-layer constants of the link types decoded here.
mod link {
    /// DLT_USER2: private use, but what macOS writes for PKTAP.
    pub const DLT_USER2: u32 = 149;
    /// PKTAP record type PKT_REC_PACKET: a packet follows the header.
    pub const PKTAP_REC_PACKET: u32 = 1;
    /// PPP protocol numbers (RFC 1661 §2, IANA "PPP DLL Protocol Numbers").
    pub const PPP_IPV4: u16 = 0x0021;
    pub const PPP_IPV6: u16 = 0x0057;
    /// ARCNET protocol IDs (the tcpdump.org ARCNET pages, RFC 1051, 1201, 2497).
    pub const ARC_IP_RFC1051: u8 = 240;
    pub const ARC_ARP_RFC1051: u8 = 241;
    pub const ARC_IP: u8 = 212;
    pub const ARC_ARP: u8 = 213;
    pub const ARC_RARP: u8 = 214;
    pub const ARC_IPV6: u8 = 196;
    /// Ethernet type of RARP, to report an ARCNET RARP packet like Ethernet's.
    pub const ETHERTYPE_RARP: u16 = 0x8035;
    /// NFLOG TLV type NFULA_PAYLOAD (linux/netfilter/nfnetlink_log.h).
    pub const NFULA_PAYLOAD: u16 = 9;
    /// Linux address families in the NFLOG header.
    pub const AF_INET: u8 = 2;
    pub const AF_INET6: u8 = 10;
}

/// An IP address in one 16-byte form: IPv4 is stored v4-mapped (`::ffff:a.b.c.d`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Addr(pub [u8; 16]);

impl Addr {
    /// From an IPv4 address.
    #[inline]
    pub fn v4(a: Ipv4Addr) -> Addr {
        Addr(a.to_ipv6_mapped().octets())
    }
    /// From an IPv6 address.
    #[inline]
    pub fn v6(a: Ipv6Addr) -> Addr {
        Addr(a.octets())
    }
    /// Whether this is an IPv4 address.
    #[inline]
    pub fn is_v4(&self) -> bool {
        self.0[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
    }
    /// As a standard address.
    pub fn ip(&self) -> IpAddr {
        let v6 = Ipv6Addr::from(self.0);
        match v6.to_ipv4_mapped() {
            Some(v4) if self.is_v4() => IpAddr::V4(v4),
            _ => IpAddr::V6(v6),
        }
    }
}

impl From<IpAddr> for Addr {
    fn from(ip: IpAddr) -> Addr {
        match ip {
            IpAddr::V4(a) => Addr::v4(a),
            IpAddr::V6(a) => Addr::v6(a),
        }
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ip().fmt(f)
    }
}

impl Addr {
    /// An IPv4 address's dotted quad, written into `buf` without `core::fmt`
    /// (every record holds two addresses; formatting them was a few per cent
    /// of a run). None for IPv6.
    pub fn v4_text<'a>(&self, buf: &'a mut [u8; 15]) -> Option<&'a str> {
        if !self.is_v4() {
            return None;
        }
        let mut n = 0;
        for (i, &octet) in self.0[12..].iter().enumerate() {
            if i > 0 {
                buf[n] = b'.';
                n += 1;
            }
            if octet >= 100 {
                buf[n] = b'0' + octet / 100;
                n += 1;
            }
            if octet >= 10 {
                buf[n] = b'0' + octet / 10 % 10;
                n += 1;
            }
            buf[n] = b'0' + octet % 10;
            n += 1;
        }
        std::str::from_utf8(&buf[..n]).ok()
    }
}

impl Serialize for Addr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            let mut buf = [0u8; 15];
            match self.v4_text(&mut buf) {
                Some(text) => s.serialize_str(text),
                None => s.collect_str(self),
            }
        } else {
            // Between the processes of a cluster: the 16 bytes.
            self.0.serialize(s)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Addr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Addr, D::Error> {
        if d.is_human_readable() {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            let ip: std::net::IpAddr = s.parse().map_err(serde::de::Error::custom)?;
            Ok(Addr::from(ip))
        } else {
            <[u8; 16]>::deserialize(d).map(Addr)
        }
    }
}

macro_rules! anomalies {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, )*) => {
        /// A named decode event: malformed input, or a fact worth counting
        /// (fragments, tunnels, unsupported link types).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Anomaly { $( $(#[$doc])* $variant, )* }

        impl Anomaly {
            /// Every anomaly, in declaration order.
            pub const ALL: &'static [Anomaly] = &[ $( Anomaly::$variant, )* ];
            /// The counter's name, `layer.what`.
            pub fn name(self) -> &'static str {
                match self { $( Anomaly::$variant => $name, )* }
            }
        }
    };
}

anomalies! {
    /// The link type is not one ivraie decodes.
    LinkUnsupported => "link.unsupported",
    /// Frame shorter than its link-layer header.
    LinkTruncated => "link.truncated",
    /// BSD null/loopback family that is neither IPv4 nor IPv6.
    NullUnknownFamily => "null.unknown_family",
    /// More VLAN tags than [`MAX_VLAN_TAGS`].
    VlanTooDeep => "vlan.too_deep",
    /// A VLAN tag cut short.
    VlanTruncated => "vlan.truncated",
    /// Shorter than the 20-byte IPv4 header.
    Ipv4Truncated => "ipv4.truncated",
    /// Version nibble is not 4 where IPv4 was announced.
    Ipv4BadVersion => "ipv4.bad_version",
    /// Header length under 5 words or beyond the captured bytes.
    Ipv4BadIhl => "ipv4.bad_ihl",
    /// Total length smaller than the header.
    Ipv4BadTotalLength => "ipv4.bad_total_length",
    /// A fragment (first or later); later ones carry no ports.
    Ipv4Fragment => "ipv4.fragment",
    /// Shorter than the 40-byte IPv6 header.
    Ipv6Truncated => "ipv6.truncated",
    /// Version nibble is not 6 where IPv6 was announced.
    Ipv6BadVersion => "ipv6.bad_version",
    /// An extension header runs past the captured bytes.
    Ipv6ExtTruncated => "ipv6.ext_truncated",
    /// More extension headers than [`MAX_IPV6_EXT`].
    Ipv6ExtTooMany => "ipv6.ext_too_many",
    /// A fragment header (first or later fragment).
    Ipv6Fragment => "ipv6.fragment",
    /// TCP header shorter than 20 bytes.
    TcpTruncated => "tcp.truncated",
    /// TCP data offset under 5 words or beyond the captured bytes.
    TcpBadDataOffset => "tcp.bad_data_offset",
    /// UDP header shorter than 8 bytes.
    UdpTruncated => "udp.truncated",
    /// UDP length field smaller than the header.
    UdpBadLength => "udp.bad_length",
    /// ICMP or ICMPv6 header cut short.
    IcmpTruncated => "icmp.truncated",
    /// GRE decapsulated.
    TunnelGre => "tunnel.gre",
    /// IPv4 in IPv4 or IPv4 in IPv6 decapsulated.
    TunnelIpip => "tunnel.ipip",
    /// IPv6 in IPv4 or IPv6 in IPv6 decapsulated.
    Tunnel6in4 => "tunnel.6in4",
    /// VXLAN (RFC 7348) decapsulated.
    TunnelVxlan => "tunnel.vxlan",
    /// Geneve (RFC 8926) decapsulated.
    TunnelGeneve => "tunnel.geneve",
    /// More nested tunnels than [`MAX_TUNNEL_DEPTH`].
    TunnelTooDeep => "tunnel.too_deep",
    /// GRE cut short.
    GreTruncated => "gre.truncated",
    /// GRE with source routing (RFC 1701), or version 1 not carrying PPP
    /// (RFC 2637 §4.1): counted, not decapsulated.
    GreUnsupported => "gre.unsupported",
    /// GTP-U (3GPP TS 29.281) G-PDU decapsulated.
    TunnelGtpu => "tunnel.gtpu",
    /// GTP-U header or its optional fields cut short, or an extension header
    /// running past the message.
    GtpTruncated => "gtp.truncated",
    /// GTP-U extension header of length 0 (TS 29.281 §5.2.1: must be at least 1).
    GtpBadExtLength => "gtp.bad_ext_length",
    /// GTP-U message other than a G-PDU (echo, error indication, ...): the packet
    /// stays a plain UDP flow.
    GtpNotGpdu => "gtp.not_gpdu",
    /// On the GTP-U port but not GTPv1 (version or protocol type bit), or a
    /// T-PDU that is neither IPv4 nor IPv6: the packet stays a plain UDP flow.
    GtpUnsupported => "gtp.unsupported",
    /// Link type 228 (raw IPv4) holding an IPv6 packet, decoded as IPv6 as
    /// tshark and tcpdump do.
    LinkIpv4HoldsIpv6 => "link.ipv4_holds_ipv6",
    /// Link type 229 (raw IPv6) holding an IPv4 packet, decoded as IPv4.
    LinkIpv6HoldsIpv4 => "link.ipv6_holds_ipv4",
    /// An MPLS label stack runs past the frame or is deeper than the limit.
    MplsTruncated => "mpls.truncated",
    /// A PPPoE session header cut short.
    PppoeTruncated => "pppoe.truncated",
    /// ESP: encrypted, no ports to read.
    IpEsp => "ip.esp",
    /// The IP packet is longer than what was captured (snaplen).
    IpSnaplenCut => "ip.snaplen_cut",
    /// PPP-in-HDLC link type whose first byte is neither 0xff (PPP) nor Cisco's.
    PppBadFraming => "ppp.bad_framing",
    /// A split RFC 1201 ARCNET packet: not reassembled; later pieces not decoded.
    ArcnetFragment => "arcnet.fragment",
    /// NFLOG TLV shorter than its own header, or (but for the payload) past the frame.
    NflogBadTlv => "nflog.bad_tlv",
    /// NFLOG message without a payload TLV (nothing to decode).
    NflogNoPayload => "nflog.no_payload",
    /// NFLOG address family that is neither AF_INET nor AF_INET6.
    NflogUnknownFamily => "nflog.unknown_family",
    /// PKTAP record that is not a packet (record type other than 1).
    PktapNotPacket => "pktap.not_packet",
}

/// Counters of every [`Anomaly`], indexed by the enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counters(pub [u64; Anomaly::ALL.len()]);

impl Default for Counters {
    fn default() -> Self {
        Counters([0; Anomaly::ALL.len()])
    }
}

impl Counters {
    /// Counts one event.
    #[inline]
    pub fn bump(&mut self, a: Anomaly) {
        self.0[a as usize] += 1;
    }
    /// The count of one anomaly.
    pub fn get(&self, a: Anomaly) -> u64 {
        self.0[a as usize]
    }
    /// Adds another set of counters.
    pub fn add(&mut self, other: &Counters) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += b;
        }
    }
    /// Non-zero counters by name.
    pub fn nonzero(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        Anomaly::ALL
            .iter()
            .filter(|a| self.get(**a) > 0)
            .map(|a| (a.name(), self.get(*a)))
    }
}

/// Network layer of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum L3 {
    /// Nothing decodable (unknown link type, truncated link header).
    #[default]
    None,
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
    /// ARP.
    Arp,
    /// Another ethertype.
    Other(u16),
}

/// What the flow table needs from one packet. `Copy`, 64 bytes-ish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Decoded {
    /// Network layer.
    pub l3: L3,
    /// Source address (innermost IP header).
    pub src: Addr,
    /// Destination address.
    pub dst: Addr,
    /// IP protocol number of the transport (after extension headers and tunnels).
    pub proto: u8,
    /// Source port; ICMP echo identifier; 0 otherwise.
    pub sport: u16,
    /// Destination port; ICMP echo identifier; 0 otherwise.
    pub dport: u16,
    /// TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, ...).
    pub tcp_flags: u8,
    /// TCP sequence number (0 for other protocols).
    pub tcp_seq: u32,
    /// Whether a transport header was read (ports are meaningful).
    pub has_l4: bool,
    /// Transport payload: offset in the frame.
    pub payload_off: u32,
    /// Transport payload: captured bytes.
    pub payload_len: u32,
    /// Tunnels crossed to reach the inner packet.
    pub tunnels: u8,
    /// A non-initial IP fragment: addresses are known, ports are not.
    pub frag_tail: bool,
}

impl Decoded {
    /// Whether the packet carries an IP header.
    #[inline]
    pub fn is_ip(&self) -> bool {
        matches!(self.l3, L3::Ipv4 | L3::Ipv6)
    }
}

/// Decodes one frame. Never panics; problems are counted in `counters`.
pub fn decode(linktype: LinkType, frame: &[u8], counters: &mut Counters) -> Decoded {
    let mut d = Decoded::default();
    let mut cx = Cx {
        frame,
        counters,
        d: &mut d,
    };
    match linktype {
        LinkType::Ppi => cx.ppi(),
        LinkType::Pktap => cx.pktap(false),
        LinkType::Unknown(link::DLT_USER2) => cx.pktap(true),
        other => {
            if !cx.link(other) {
                cx.bump(Anomaly::LinkUnsupported);
            }
        }
    }
    d
}

struct Cx<'a, 'c> {
    frame: &'a [u8],
    counters: &'c mut Counters,
    d: &'c mut Decoded,
}

impl Cx<'_, '_> {
    fn bump(&mut self, a: Anomaly) {
        self.counters.bump(a);
    }

    /// Decodes a link layer that does not name another one behind it; `false`
    /// for the headers that do (PPI, PKTAP) and for unknown link types, so that
    /// nesting stays one level deep.
    fn link(&mut self, lt: LinkType) -> bool {
        match lt {
            LinkType::Ethernet => self.ethernet(0, 0),
            LinkType::LinuxSll => self.sll(),
            LinkType::LinuxSll2 => self.sll2(),
            LinkType::Null | LinkType::Loop => self.null(lt == LinkType::Loop),
            LinkType::Raw => self.raw_ip(0, 0),
            LinkType::Ipv4 | LinkType::Ipv6 => self.raw_ip_announced(lt == LinkType::Ipv4),
            LinkType::Ppp => self.ppp(),
            LinkType::PppHdlc => self.ppp_hdlc(),
            // tcpdump.org LINKTYPE_C_HDLC (104): "Cisco PPP with HDLC framing,
            // as per section 4.3.1 of RFC 1547".
            LinkType::CHdlc => self.chdlc(),
            LinkType::ArcnetBsd => self.arcnet(field::ARCNET_BSD_PROTO, true),
            LinkType::ArcnetLinux => self.arcnet(field::ARCNET_LINUX_PROTO, false),
            LinkType::Nflog => self.nflog(),
            LinkType::Ppi | LinkType::Pktap | LinkType::Unknown(_) => return false,
        }
        true
    }

    /// Decodes `frame[skip..]` as link type `inner`, for a header that names the
    /// link type behind it; the payload offset is shifted back into this frame.
    fn nested(&mut self, inner: LinkType, skip: usize) {
        let Some(rest) = self.frame.get(skip..) else {
            return self.bump(Anomaly::LinkTruncated);
        };
        let mut cx = Cx {
            frame: rest,
            counters: self.counters,
            d: self.d,
        };
        if !cx.link(inner) {
            return self.bump(Anomaly::LinkUnsupported);
        }
        if self.d.has_l4 {
            self.d.payload_off += skip as u32;
        }
    }

    fn ethernet(&mut self, off: usize, depth: usize) {
        let Some(eth) = self.frame.get(off..).and_then(EthernetPacket::new) else {
            return self.bump(Anomaly::LinkTruncated);
        };
        let mut ether = eth.get_ethertype().0;
        let mut off = off + field::ETH_HDR;
        let mut tags = 0;
        while matches!(
            ether,
            ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD
        ) {
            tags += 1;
            if tags > MAX_VLAN_TAGS {
                return self.bump(Anomaly::VlanTooDeep);
            }
            let Some(tag) = self.frame.get(off..).and_then(VlanPacket::new) else {
                return self.bump(Anomaly::VlanTruncated);
            };
            ether = tag.get_ethertype().0;
            off += field::VLAN_TAG;
        }
        self.ethertype(ether, off, depth);
    }

    fn ethertype(&mut self, ether: u16, off: usize, depth: usize) {
        match ether {
            ethertype::IPV4 => self.ipv4(off, depth),
            ethertype::IPV6 => self.ipv6(off, depth),
            ethertype::MPLS | ethertype::MPLS_MC => self.mpls(off, depth),
            ethertype::PPPOE_SESSION => self.pppoe(off, depth),
            ethertype::FABRICPATH if depth < MAX_TUNNEL_DEPTH => {
                self.ethernet(off + field::FABRICPATH_TAG, depth + 1)
            }
            // The outermost network layer is the one reported.
            ethertype::ARP if self.d.l3 == L3::None => self.d.l3 = L3::Arp,
            other if self.d.l3 == L3::None => self.d.l3 = L3::Other(other),
            _ => {}
        }
    }

    // RFC 3032 §2.1: | Label (20) | TC (3) |S| TTL (8) |, S set on the last entry.
    // The payload type is not announced: guessed from the IP version nibble.
    fn mpls(&mut self, mut off: usize, depth: usize) {
        for _ in 0..8 {
            let Some(entry) = self.frame.get(off..off + field::MPLS_LABEL) else {
                return self.bump(Anomaly::MplsTruncated);
            };
            off += field::MPLS_LABEL;
            if entry[2] & field::MPLS_BOS != 0 {
                return self.raw_ip(off, depth);
            }
        }
        self.bump(Anomaly::MplsTruncated);
    }

    // RFC 2516 §4: | VER | TYPE | CODE | SESSION_ID | LENGTH |, then PPP's protocol.
    fn pppoe(&mut self, off: usize, depth: usize) {
        self.ppp_protocol(off + field::PPPOE_HDR, depth, Anomaly::PppoeTruncated);
    }

    // RFC 1661 §2: | Protocol (8/16) | Information | Padding |. "All Protocols MUST
    // be odd; the least significant bit of the most significant octet MUST equal
    // 0": with Protocol-Field-Compression (§6.5) the leading 0x00 is left out, so
    // an odd first octet is a one-octet field.
    fn ppp_protocol(&mut self, off: usize, depth: usize, truncated: Anomaly) {
        let Some(&first) = self.frame.get(off) else {
            return self.bump(truncated);
        };
        let (proto, payload) = if first & 1 == 1 {
            (u16::from(first), off + 1)
        } else {
            let Some(p) = self.frame.get(off..off + field::PPP_PROTO) else {
                return self.bump(truncated);
            };
            (u16::from_be_bytes([p[0], p[1]]), off + field::PPP_PROTO)
        };
        match proto {
            link::PPP_IPV4 => self.ipv4(payload, depth),
            link::PPP_IPV6 => self.ipv6(payload, depth),
            other if self.d.l3 == L3::None => self.d.l3 = L3::Other(other),
            _ => {}
        }
    }

    // tcpdump.org LINKTYPE_PPP: "if the first 2 bytes are 0xff and 0x03, it's PPP
    // in HDLC-like framing, with the PPP header following those two bytes,
    // otherwise it's PPP without framing, and the packet begins with the PPP
    // header. The data in the frame is not octet-stuffed or bit-stuffed."
    // Cisco HDLC is found under this link type too (captures from Cisco routers):
    // Wireshark reads it when the first byte is a Cisco address; so does this when
    // the control byte is 0 as well, over a compressed PPP protocol 0x0f or 0x8f.
    fn ppp(&mut self) {
        match self.frame {
            [field::PPP_ADDRESS, field::PPP_CONTROL, ..] => {
                self.ppp_protocol(field::PPP_ADDR_CTRL, 0, Anomaly::LinkTruncated)
            }
            [
                field::CHDLC_UNICAST | field::CHDLC_MULTICAST,
                field::CHDLC_CONTROL,
                ..,
            ] => self.chdlc(),
            _ => self.ppp_protocol(0, 0, Anomaly::LinkTruncated),
        }
    }

    /// Cisco HDLC (RFC 1547 §4.3.1): | address | control | Ethernet type (2) |.
    fn chdlc(&mut self) {
        let Some(t) = self.frame.get(field::CHDLC_ETHERTYPE) else {
            return self.bump(Anomaly::LinkTruncated);
        };
        self.ethertype(u16::from_be_bytes([t[0], t[1]]), field::CHDLC_HDR, 0);
    }

    // tcpdump.org LINKTYPE_PPP_HDLC: "PPP in HDLC-like framing, as per RFC 1662, or
    // Cisco PPP with HDLC framing, as per section 4.3.1 of RFC 1547; the first byte
    // will be 0xFF for PPP in HDLC-like framing, and will be 0x0F or 0x8F for Cisco
    // PPP with HDLC framing."
    fn ppp_hdlc(&mut self) {
        match self.frame.first() {
            None => self.bump(Anomaly::LinkTruncated),
            Some(&field::PPP_ADDRESS) => {
                self.ppp_protocol(field::PPP_ADDR_CTRL, 0, Anomaly::LinkTruncated)
            }
            Some(&(field::CHDLC_UNICAST | field::CHDLC_MULTICAST)) => self.chdlc(),
            Some(_) => self.bump(Anomaly::PppBadFraming),
        }
    }

    // tcpdump.org LINKTYPE_ARCNET_LINUX: | Source | Destination | Offset (2) |
    // Protocol ID | other fields (conditional) | Payload |. "values 212 (IPv4), 213
    // (ARP) and 214 (RARP) mean RFC 1201 encoding, value 196 (IPv6) means RFC 2497
    // encoding; in both cases Protocol ID is followed by Split Flag (1 octet) and
    // Frame Sequence Number (2 octets, big-endian byte order). Values 240 (IPv4) and
    // 241 (ARP) mean RFC 1051 encoding, in which case the header does not include
    // any additional fields." LINKTYPE_ARCNET_BSD is the same without the offset.
    //
    // RFC 1201 §2.1: an exception packet (read under the BSD header only, as tcpdump
    // does; the Linux page has none) has "flag: FF hex | padding: 0xFF | padding: 0xFF | (protocol ID)" before the
    // real split flag and sequence number. §2.3: a split flag of 0 is an unsplit
    // packet; the first of T fragments has the odd flag ((T-2)*2)+1, fragment N>1
    // has (N-1)*2. The first fragment starts with the IP header and is decoded (as
    // an IP first fragment is); later ones are only counted.
    fn arcnet(&mut self, proto_at: usize, exceptions: bool) {
        let Some(&proto) = self.frame.get(proto_at) else {
            return self.bump(Anomaly::LinkTruncated);
        };
        let ether = match proto {
            link::ARC_IP_RFC1051 => return self.ethertype(ethertype::IPV4, proto_at + 1, 0),
            link::ARC_ARP_RFC1051 => return self.ethertype(ethertype::ARP, proto_at + 1, 0),
            link::ARC_IP => ethertype::IPV4,
            link::ARC_ARP => ethertype::ARP,
            link::ARC_RARP => link::ETHERTYPE_RARP,
            link::ARC_IPV6 => ethertype::IPV6,
            other => {
                if self.d.l3 == L3::None {
                    self.d.l3 = L3::Other(u16::from(other));
                }
                return;
            }
        };
        let mut fields = proto_at + 1;
        if exceptions && self.frame.get(fields) == Some(&field::ARCNET_EXCEPTION_FLAG) {
            fields += field::ARCNET_EXCEPTION;
        }
        let Some(&split) = self
            .frame
            .get(fields)
            .filter(|_| fields + field::ARCNET_RFC1201 <= self.frame.len())
        else {
            return self.bump(Anomaly::LinkTruncated);
        };
        if split != 0 {
            self.bump(Anomaly::ArcnetFragment);
            if split & 1 == 0 {
                return;
            }
        }
        self.ethertype(ether, fields + field::ARCNET_RFC1201, 0);
    }

    // tcpdump.org LINKTYPE_NFLOG: | Address family | Version | Resource ID (2, BE) |
    // then TLVs | TLV length (2) | TLV type (2) | TLV value |. "The address family is
    // a Linux AF_ value, so it's 2 for IPv4 and 10 for IPv6." "Following the
    // resource ID is a sequence of zero or more TLVs, running to the end of the
    // packet; the length and type are in the host byte order for the pcap file, as
    // specified by the file's magic number." The length counts the TLV header, and
    // each TLV is padded to 4 bytes; type 9 (NFULA_PAYLOAD) is the packet itself.
    //
    // The file's byte order does not reach the decoder: as Wireshark does, it is
    // guessed from the first TLV, whose type (flag bits masked) is a small number
    // only in the right order. A payload TLV longer than the frame is decoded as far
    // as captured (a snaplen cuts it like any packet); any other TLV past the end
    // stops the walk.
    fn nflog(&mut self) {
        let Some(&family) = self
            .frame
            .first()
            .filter(|_| self.frame.len() >= field::NFLOG_HDR)
        else {
            return self.bump(Anomaly::LinkTruncated);
        };
        let first_type = self
            .frame
            .get(field::NFLOG_HDR + 2..field::NFLOG_HDR + 4)
            .map_or(0, |t| u16::from_le_bytes([t[0], t[1]]));
        let little_endian = first_type & field::NFLOG_TYPE_MASK < 0x100;
        let read = |b: &[u8]| {
            if little_endian {
                u16::from_le_bytes([b[0], b[1]])
            } else {
                u16::from_be_bytes([b[0], b[1]])
            }
        };
        let mut off = field::NFLOG_HDR;
        while let Some(tlv) = self.frame.get(off..off + field::NFLOG_TLV_HDR) {
            let len = usize::from(read(&tlv[0..2]));
            let kind = read(&tlv[2..4]) & field::NFLOG_TYPE_MASK;
            if len < field::NFLOG_TLV_HDR {
                return self.bump(Anomaly::NflogBadTlv);
            }
            if kind == link::NFULA_PAYLOAD {
                if !matches!(family, link::AF_INET | link::AF_INET6) {
                    return self.bump(Anomaly::NflogUnknownFamily);
                }
                let end = (off + len).min(self.frame.len());
                let mut inner = Cx {
                    frame: &self.frame[..end],
                    counters: self.counters,
                    d: self.d,
                };
                let start = off + field::NFLOG_TLV_HDR;
                return if family == link::AF_INET {
                    inner.ipv4(start, 0)
                } else {
                    inner.ipv6(start, 0)
                };
            }
            if off + len > self.frame.len() {
                return self.bump(Anomaly::NflogBadTlv);
            }
            off += len.next_multiple_of(field::NFLOG_ALIGN);
        }
        self.bump(Anomaly::NflogNoPayload);
    }

    // tcpdump.org LINKTYPE_PKTAP: | Length of PKTAP header (4) | Record type (4) |
    // DLT_ value for this packet (4) | interface name (24) | ... |. "All multi-byte
    // fields currently appear to be little-endian"; "The length field indicates how
    // long the PKTAP header is; this value includes the length of the length field
    // itself. It should be at least 108". Record type 1 (PKT_REC_PACKET) carries a
    // packet (tcpdump's print-pktap.c). macOS writes PKTAP as DLT_USER2 (149): that
    // private-use number is read as PKTAP only when the header holds together, and
    // stays an unsupported link type otherwise.
    fn pktap(&mut self, user2: bool) {
        let bad = if user2 {
            Anomaly::LinkUnsupported
        } else {
            Anomaly::LinkTruncated
        };
        let le32 = |r: core::ops::Range<usize>, f: &[u8]| {
            f.get(r)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let (Some(len), Some(rectype), Some(dlt)) = (
            le32(field::PKTAP_LEN, self.frame),
            le32(field::PKTAP_RECTYPE, self.frame),
            le32(field::PKTAP_DLT, self.frame),
        ) else {
            return self.bump(bad);
        };
        let len = len as usize;
        if len < field::PKTAP_MIN_HDR || len > self.frame.len() {
            return self.bump(bad);
        }
        if rectype != link::PKTAP_REC_PACKET {
            return self.bump(if user2 {
                Anomaly::LinkUnsupported
            } else {
                Anomaly::PktapNotPacket
            });
        }
        self.nested(LinkType::from_number(dlt), len);
    }

    // PPI (CACE Technologies, "Per-Packet Information Header Specification" 1.0.10):
    // | pph_version (1) | pph_flags (1) | pph_len (2, LE) | pph_dlt (4, LE) | fields |
    fn ppi(&mut self) {
        let Some(h) = self.frame.get(..field::PPI_HDR) else {
            return self.bump(Anomaly::LinkTruncated);
        };
        let len = u16::from_le_bytes([h[2], h[3]]) as usize;
        let dlt = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        if len < field::PPI_HDR || len > self.frame.len() {
            return self.bump(Anomaly::LinkTruncated);
        }
        self.nested(LinkType::from_number(dlt), len);
    }

    fn sll(&mut self) {
        if self.frame.len() < field::SLL_HDR {
            return self.bump(Anomaly::LinkTruncated);
        }
        let Some(sll) = SLLPacket::new(self.frame) else {
            return self.bump(Anomaly::LinkTruncated);
        };
        let proto = sll.get_protocol().0;
        self.ethertype(proto, field::SLL_HDR, 0);
    }

    fn sll2(&mut self) {
        if self.frame.len() < field::SLL2_HDR {
            return self.bump(Anomaly::LinkTruncated);
        }
        let Some(sll) = SLL2Packet::new(self.frame) else {
            return self.bump(Anomaly::LinkTruncated);
        };
        let proto = sll.get_protocol_type().0;
        self.ethertype(proto, field::SLL2_HDR, 0);
    }

    /// BSD loopback: a 4-byte address family, in the writer's byte order for
    /// DLT_NULL and in network order for DLT_LOOP. IPv6 has several family numbers
    /// (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS).
    fn null(&mut self, network_order: bool) {
        let Some(fam) = self.frame.get(..field::NULL_HDR) else {
            return self.bump(Anomaly::LinkTruncated);
        };
        let fam = [fam[0], fam[1], fam[2], fam[3]];
        let candidates = if network_order {
            [u32::from_be_bytes(fam), u32::from_be_bytes(fam)]
        } else {
            [u32::from_le_bytes(fam), u32::from_be_bytes(fam)]
        };
        for family in candidates {
            match family {
                2 => return self.ipv4(field::NULL_HDR, 0),
                24 | 28 | 30 => return self.ipv6(field::NULL_HDR, 0),
                _ => {}
            }
        }
        self.bump(Anomaly::NullUnknownFamily);
    }

    fn raw_ip(&mut self, off: usize, depth: usize) {
        match self.frame.get(off).map(|b| b >> 4) {
            Some(4) => self.ipv4(off, depth),
            Some(6) => self.ipv6(off, depth),
            Some(_) => self.bump(Anomaly::Ipv4BadVersion),
            None => self.bump(Anomaly::LinkTruncated),
        }
    }

    // tcpdump.org LINKTYPE_IPV4 (228): "Raw IPv4; the packet begins with an IPv4
    // header"; LINKTYPE_IPV6 (229): "Raw IPv6; the packet begins with an IPv6
    // header". Captures exist that break this (tcpdump's LINKTYPE_IPV4_invalid.pcap
    // holds an IPv6 packet): tshark's IPv4 dissector hands a version-6 header to
    // IPv6, and tcpdump reads it as IPv6 too. So does this, counting the mismatch;
    // any other version is left to the announced protocol to reject.
    fn raw_ip_announced(&mut self, announced_v4: bool) {
        match (announced_v4, self.frame.first().map(|b| b >> 4)) {
            (true, Some(6)) => {
                self.bump(Anomaly::LinkIpv4HoldsIpv6);
                self.ipv6(0, 0)
            }
            (false, Some(4)) => {
                self.bump(Anomaly::LinkIpv6HoldsIpv4);
                self.ipv4(0, 0)
            }
            (true, _) => self.ipv4(0, 0),
            (false, _) => self.ipv6(0, 0),
        }
    }

    // RFC 791 §3.1
    //  0                   1                   2                   3
    //  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    // |Version|  IHL  |Type of Service|          Total Length         |
    // |         Identification        |Flags|      Fragment Offset    |
    // |  Time to Live |    Protocol   |         Header Checksum       |
    // |                       Source Address                          |
    // |                    Destination Address                        |
    fn ipv4(&mut self, off: usize, depth: usize) {
        let bytes = self.frame.get(off..).unwrap_or(&[]);
        if bytes.len() < field::IPV4_MIN {
            return self.bump(Anomaly::Ipv4Truncated);
        }
        let Some(ip) = Ipv4Packet::new(bytes) else {
            return self.bump(Anomaly::Ipv4Truncated);
        };
        if ip.get_version() != 4 {
            return self.bump(Anomaly::Ipv4BadVersion);
        }
        let hlen = ip.get_header_length() as usize * 4;
        if hlen < field::IPV4_MIN || hlen > bytes.len() {
            return self.bump(Anomaly::Ipv4BadIhl);
        }
        let total = ip.get_total_length() as usize;
        // A total length of 0 is seen with TCP segmentation offload: trust the capture.
        let end = if total == 0 {
            bytes.len()
        } else if total < hlen {
            return self.bump(Anomaly::Ipv4BadTotalLength);
        } else {
            if total > bytes.len() {
                self.bump(Anomaly::IpSnaplenCut);
            }
            total.min(bytes.len())
        };
        if self.d.l3 == L3::None {
            self.d.l3 = L3::Ipv4;
        }
        self.d.src = Addr::v4(ip.get_source());
        self.d.dst = Addr::v4(ip.get_destination());
        let proto = ip.get_next_level_protocol().0;
        self.d.proto = proto;
        const MORE_FRAGMENTS: u8 = 0b001;
        let frag_off = ip.get_fragment_offset();
        if frag_off != 0 || ip.get_flags() & MORE_FRAGMENTS != 0 {
            self.bump(Anomaly::Ipv4Fragment);
            if frag_off != 0 {
                // Later fragments carry no transport header.
                self.d.frag_tail = true;
                return;
            }
        }
        self.transport(proto, off + hlen, off + end, depth);
    }

    // RFC 8200 §3
    // |Version| Traffic Class |           Flow Label                  |
    // |         Payload Length        |  Next Header  |   Hop Limit   |
    // |                         Source Address (128)                  |
    // |                      Destination Address (128)                |
    fn ipv6(&mut self, off: usize, depth: usize) {
        let bytes = self.frame.get(off..).unwrap_or(&[]);
        if bytes.len() < field::IPV6_HDR {
            return self.bump(Anomaly::Ipv6Truncated);
        }
        let Some(ip) = Ipv6Packet::new(bytes) else {
            return self.bump(Anomaly::Ipv6Truncated);
        };
        if ip.get_version() != 6 {
            return self.bump(Anomaly::Ipv6BadVersion);
        }
        if self.d.l3 == L3::None {
            self.d.l3 = L3::Ipv6;
        }
        self.d.src = Addr::v6(ip.get_source());
        self.d.dst = Addr::v6(ip.get_destination());
        let plen = ip.get_payload_length() as usize;
        // Payload length 0 is a jumbogram or TSO/GSO ("big TCP"): trust the capture.
        let end = if plen == 0 {
            bytes.len()
        } else {
            if field::IPV6_HDR + plen > bytes.len() {
                self.bump(Anomaly::IpSnaplenCut);
            }
            (field::IPV6_HDR + plen).min(bytes.len())
        };
        let mut next = ip.get_next_header().0;
        let mut pos = field::IPV6_HDR;
        // RFC 8200 §4: extension headers are chained by their first byte; all but
        // the fragment and AH headers give their length in 8-octet units after the
        // first 8.
        for n in 0.. {
            let is_ext = matches!(
                next,
                ipproto::HOPOPT
                    | ipproto::ROUTING
                    | ipproto::DSTOPTS
                    | ipproto::MOBILITY
                    | ipproto::HIP
                    | ipproto::SHIM6
                    | ipproto::AH
                    | ipproto::FRAGMENT
            );
            if n == MAX_IPV6_EXT && is_ext {
                return self.bump(Anomaly::Ipv6ExtTooMany);
            }
            match next {
                ipproto::HOPOPT
                | ipproto::ROUTING
                | ipproto::DSTOPTS
                | ipproto::MOBILITY
                | ipproto::HIP
                | ipproto::SHIM6 => {
                    let Some(h) = bytes.get(pos..pos + 2).filter(|_| pos + 8 <= end) else {
                        return self.bump(Anomaly::Ipv6ExtTruncated);
                    };
                    next = h[0];
                    pos += (h[1] as usize + 1) * 8;
                }
                ipproto::AH => {
                    // RFC 4302 §2.2: payload length in 4-octet units, minus 2.
                    let Some(h) = bytes.get(pos..pos + 2).filter(|_| pos + 8 <= end) else {
                        return self.bump(Anomaly::Ipv6ExtTruncated);
                    };
                    next = h[0];
                    pos += (h[1] as usize + 2) * 4;
                }
                ipproto::FRAGMENT => {
                    // | Next Header |  Reserved  |  Fragment Offset  |Res|M|
                    let Some(h) = bytes.get(pos..pos + field::FRAG_HDR) else {
                        return self.bump(Anomaly::Ipv6ExtTruncated);
                    };
                    self.bump(Anomaly::Ipv6Fragment);
                    let offset = u16::from_be_bytes([h[2], h[3]]) >> 3;
                    next = h[0];
                    pos += field::FRAG_HDR;
                    if offset != 0 {
                        self.d.proto = next;
                        self.d.frag_tail = true;
                        return;
                    }
                }
                _ => break,
            }
            if pos > end {
                return self.bump(Anomaly::Ipv6ExtTruncated);
            }
        }
        self.d.proto = next;
        self.transport(next, off + pos, off + end, depth);
    }

    /// Decodes the transport (or a tunnel) in `frame[start..end]`.
    fn transport(&mut self, proto: u8, start: usize, end: usize, depth: usize) {
        let bytes = self.frame.get(start..end).unwrap_or(&[]);
        match proto {
            ipproto::TCP => {
                if bytes.len() < field::TCP_MIN {
                    return self.bump(Anomaly::TcpTruncated);
                }
                let Some(tcp) = TcpPacket::new(bytes) else {
                    return self.bump(Anomaly::TcpTruncated);
                };
                let doff = tcp.get_data_offset() as usize * 4;
                if doff < field::TCP_MIN || doff > bytes.len() {
                    return self.bump(Anomaly::TcpBadDataOffset);
                }
                self.set_l4(tcp.get_source(), tcp.get_destination(), start + doff, end);
                self.d.tcp_flags = tcp.get_flags();
                self.d.tcp_seq = tcp.get_sequence();
            }
            ipproto::UDP => {
                let Some(udp) = UdpPacket::new(bytes) else {
                    return self.bump(Anomaly::UdpTruncated);
                };
                let len = udp.get_length() as usize;
                // Length 0 is legal for UDP over IPv6 jumbograms; otherwise >= 8.
                let pend = if len == 0 {
                    end
                } else if len < field::UDP_HDR {
                    return self.bump(Anomaly::UdpBadLength);
                } else {
                    (start + len).min(end)
                };
                let (sport, dport) = (udp.get_source(), udp.get_destination());
                self.set_l4(sport, dport, start + field::UDP_HDR, pend);
                self.udp_tunnel(dport, start + field::UDP_HDR, pend, depth);
            }
            ipproto::ICMP | ipproto::ICMPV6 => {
                if bytes.len() < field::ICMP_MIN {
                    return self.bump(Anomaly::IcmpTruncated);
                }
                let echo = if proto == ipproto::ICMP {
                    IcmpPacket::new(bytes).map(|p| matches!(p.get_icmp_type().0, 0 | 8))
                } else {
                    Icmpv6Packet::new(bytes).map(|p| matches!(p.get_icmpv6_type().0, 128 | 129))
                };
                let id = match (echo, bytes.get(field::ICMP_ECHO_ID)) {
                    (Some(true), Some(id)) => u16::from_be_bytes([id[0], id[1]]),
                    _ => 0,
                };
                self.set_l4(id, id, start + field::ICMP_MIN, end);
            }
            ipproto::IPIP | ipproto::IPV6 => {
                if depth >= MAX_TUNNEL_DEPTH {
                    return self.bump(Anomaly::TunnelTooDeep);
                }
                self.bump(if proto == ipproto::IPIP {
                    Anomaly::TunnelIpip
                } else {
                    Anomaly::Tunnel6in4
                });
                self.d.tunnels += 1;
                let inner = Cx {
                    frame: &self.frame[..end],
                    counters: self.counters,
                    d: self.d,
                };
                let mut inner = inner;
                if proto == ipproto::IPIP {
                    inner.ipv4(start, depth + 1);
                } else {
                    inner.ipv6(start, depth + 1);
                }
            }
            ipproto::GRE => self.gre(start, end, depth),
            ipproto::ESP => self.bump(Anomaly::IpEsp),
            _ => {}
        }
    }

    /// UDP-carried tunnels, by well-known destination port: VXLAN (4789, and
    /// Linux's old 8472), Geneve (6081) and GTP-U (2152). The inner packet
    /// replaces the outer one, as for GRE; a payload that does not fit is left as
    /// plain UDP.
    fn udp_tunnel(&mut self, dport: u16, start: usize, end: usize, depth: usize) {
        const VXLAN: [u16; 2] = [4789, 8472];
        const GENEVE: u16 = 6081;
        // TS 29.281 §4.4.2: GTP-U's registered UDP port, to which G-PDUs are sent.
        const GTPU: u16 = 2152;
        if dport == GTPU {
            if let Some((inner_at, inner_end, ether)) = self.gtpu(start, end) {
                self.udp_decap(Anomaly::TunnelGtpu, ether, inner_at, inner_end, depth);
            }
            return;
        }
        let Some(h) = self
            .frame
            .get(start..end)
            .filter(|h| h.len() >= field::VXLAN_HDR)
        else {
            return;
        };
        let (inner_at, ether, tunnel) = if VXLAN.contains(&dport) {
            // RFC 7348 §5: |R|R|R|R|I|R|R|R| reserved (24) | VNI (24) | reserved (8) |
            if h[0] & field::VXLAN_FLAG_I == 0 {
                return;
            }
            (
                start + field::VXLAN_HDR,
                ethertype::TEB,
                Anomaly::TunnelVxlan,
            )
        } else if dport == GENEVE {
            // RFC 8926 §3.4: |Ver|Opt Len|O|C|Rsvd.|  Protocol Type  | VNI | Reserved |
            let opt_len = usize::from(h[0] & 0x3f) * 4;
            if h[0] >> 6 != 0 || field::GENEVE_HDR + opt_len > h.len() {
                return;
            }
            (
                start + field::GENEVE_HDR + opt_len,
                u16::from_be_bytes([h[2], h[3]]),
                Anomaly::TunnelGeneve,
            )
        } else {
            return;
        };
        self.udp_decap(tunnel, ether, inner_at, end, depth);
    }

    /// Decodes the packet of type `ether` at `frame[inner_at..end]`, carried in
    /// the UDP payload just read. If nothing with ports is found inside, the
    /// outer UDP packet is kept as it was (the tunnel is still counted).
    fn udp_decap(
        &mut self,
        tunnel: Anomaly,
        ether: u16,
        inner_at: usize,
        end: usize,
        depth: usize,
    ) {
        if depth >= MAX_TUNNEL_DEPTH {
            return self.bump(Anomaly::TunnelTooDeep);
        }
        let Some(frame) = self.frame.get(..end) else {
            return;
        };
        let before = *self.d;
        self.bump(tunnel);
        self.d.tunnels += 1;
        self.d.has_l4 = false;
        let mut inner = Cx {
            frame,
            counters: self.counters,
            d: self.d,
        };
        match ether {
            ethertype::TEB => inner.ethernet(inner_at, depth + 1),
            ethertype::IPV4 => inner.ipv4(inner_at, depth + 1),
            ethertype::IPV6 => inner.ipv6(inner_at, depth + 1),
            _ => {}
        }
        if !self.d.has_l4 {
            // Nothing usable inside: keep the outer UDP packet as it was.
            let tunnels = self.d.tunnels;
            *self.d = Decoded { tunnels, ..before };
        }
    }

    // 3GPP TS 29.281 §5.1, GTP-U header:
    //   octet 1     | Version (3) | PT | (*) | E | S | PN |
    //   octet 2     | Message Type |
    //   octets 3-4  | Length |
    //   octets 5-8  | Tunnel Endpoint Identifier |
    //   octets 9-10 | Sequence Number |             (optional)
    //   octet 11    | N-PDU Number |                (optional)
    //   octet 12    | Next Extension Header Type |  (optional)
    // "Version field: This field is used to determine the version of the GTP-U
    // protocol. The version number shall be set to '1'." "Protocol Type (PT): ...
    // GTP (when PT is '1') and GTP' (when PT is '0')." "If and only if one or more
    // of these three flags are set, the fields Sequence Number, N-PDU and
    // Extension Header shall be present." E: "When it is set to '0', the Next
    // Extension Header field either is not present or, if present, shall not be
    // interpreted."
    // "Length: This field indicates the length in octets of the payload, i.e. the
    // rest of the packet following the mandatory part of the GTP header (that is
    // the first 8 octets). The Sequence Number, the N-PDU Number or any Extension
    // headers shall be considered to be part of the payload".
    // §5.2.1, extension header: | Length | Content | Next Extension Header Type |,
    // the length "in 4 octets units", "m+1 = n*4 octets, where n is a positive
    // integer"; a next type of 0 ends the chain.
    // §6.1, Table 6.1-1: message type 255 is the G-PDU, carrying a T-PDU (here an
    // IPv4 or IPv6 packet, told by its version nibble).
    /// Reads the GTP-U message in `frame[start..end]`: the T-PDU's offset, end
    /// and ethertype for a G-PDU, `None` (counted) for anything else.
    fn gtpu(&mut self, start: usize, end: usize) -> Option<(usize, usize, u16)> {
        let h = self.frame.get(start..end).unwrap_or(&[]);
        let Some(hdr) = h.get(..field::GTP_HDR) else {
            self.bump(Anomaly::GtpTruncated);
            return None;
        };
        let flags = hdr[field::GTP_FLAGS];
        if flags >> 5 != field::GTP_VERSION || flags & field::GTP_FLAG_PT == 0 {
            self.bump(Anomaly::GtpUnsupported);
            return None;
        }
        if hdr[field::GTP_MSG_TYPE] != field::GTP_G_PDU {
            self.bump(Anomaly::GtpNotGpdu);
            return None;
        }
        let len = usize::from(u16::from_be_bytes([
            hdr[field::GTP_LENGTH.start],
            hdr[field::GTP_LENGTH.start + 1],
        ]));
        // A length past the captured bytes is a snaplen cut (counted by IP).
        let msg_end = (field::GTP_HDR + len).min(h.len());
        let mut pos = field::GTP_HDR;
        if flags & (field::GTP_FLAG_E | field::GTP_FLAG_S | field::GTP_FLAG_PN) != 0 {
            let Some(opt) = h
                .get(pos..pos + field::GTP_OPT)
                .filter(|_| pos + field::GTP_OPT <= msg_end)
            else {
                self.bump(Anomaly::GtpTruncated);
                return None;
            };
            let mut next = opt[field::GTP_OPT_NEXT_EXT];
            pos += field::GTP_OPT;
            // The next type is only read when E is set. Each extension header is
            // at least 4 octets, so the walk ends within the message.
            while flags & field::GTP_FLAG_E != 0 && next != 0 {
                let Some(&units) = h.get(pos).filter(|_| pos < msg_end) else {
                    self.bump(Anomaly::GtpTruncated);
                    return None;
                };
                if units == 0 {
                    self.bump(Anomaly::GtpBadExtLength);
                    return None;
                }
                let ext_end = pos + usize::from(units) * field::GTP_EXT_UNIT;
                let Some(&n) = h.get(ext_end - 1).filter(|_| ext_end <= msg_end) else {
                    self.bump(Anomaly::GtpTruncated);
                    return None;
                };
                next = n;
                pos = ext_end;
            }
        }
        let ether = match h.get(pos).filter(|_| pos < msg_end).map(|b| b >> 4) {
            Some(4) => ethertype::IPV4,
            Some(6) => ethertype::IPV6,
            Some(_) => {
                self.bump(Anomaly::GtpUnsupported);
                return None;
            }
            None => {
                self.bump(Anomaly::GtpTruncated);
                return None;
            }
        };
        Some((start + pos, start + msg_end, ether))
    }

    // RFC 2784 §2.1 / RFC 2890 §2
    // |C| |K|S| Reserved0       | Ver |         Protocol Type         |
    // |      Checksum (optional)      |       Reserved1 (Optional)    |
    // |                         Key (optional)                        |
    // |                 Sequence Number (Optional)                    |
    fn gre(&mut self, start: usize, end: usize, depth: usize) {
        let bytes = self.frame.get(start..end).unwrap_or(&[]);
        if bytes.len() < field::GRE_MIN {
            return self.bump(Anomaly::GreTruncated);
        }
        let Some(gre) = GrePacket::new(bytes) else {
            return self.bump(Anomaly::GreTruncated);
        };
        if gre.get_routing_present() != 0 {
            return self.bump(Anomaly::GreUnsupported);
        }
        match gre.get_version() {
            0 => {}
            1 => return self.gre_pptp(start, end, depth),
            _ => return self.bump(Anomaly::GreUnsupported),
        }
        let hlen = field::GRE_MIN
            + 4 * (gre.get_checksum_present() as usize
                + gre.get_key_present() as usize
                + gre.get_sequence_present() as usize);
        if hlen > bytes.len() {
            return self.bump(Anomaly::GreTruncated);
        }
        if depth >= MAX_TUNNEL_DEPTH {
            return self.bump(Anomaly::TunnelTooDeep);
        }
        self.bump(Anomaly::TunnelGre);
        self.d.tunnels += 1;
        let proto = gre.get_protocol_type();
        let mut inner = Cx {
            frame: &self.frame[..end],
            counters: self.counters,
            d: self.d,
        };
        match proto {
            ethertype::TEB => inner.ethernet(start + hlen, depth + 1),
            ethertype::IPV4 => inner.ipv4(start + hlen, depth + 1),
            ethertype::IPV6 => inner.ipv6(start + hlen, depth + 1),
            _ => {}
        }
    }

    // RFC 2637 §4.1, enhanced GRE header (PPTP):
    // |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
    // |    Key (HW) Payload Length    |       Key (LW) Call ID        |
    // |                  Sequence Number (Optional)                   |
    // |               Acknowledgment Number (Optional)                |
    // "K (Bit 2) Key Present.  Set to one (1)."; "S (Bit 3) Sequence Number
    // Present.  Set to one (1) if a payload (data) packet is present.  Set to zero
    // (0) if payload is not present (GRE packet is an Acknowledgment only)."; "A
    // (Bit 8) Acknowledgment sequence number present."; "Ver ... Must contain 1
    // (enhanced GRE)."; "Protocol Type Set to hex 880B"; "Payload Length (High 2
    // octets of Key) Size of the payload, not including the GRE header". The
    // payload is a PPP frame, its address and control fields present or
    // compressed away (RFC 1661 §6.6).
    fn gre_pptp(&mut self, start: usize, end: usize, depth: usize) {
        let bytes = self.frame.get(start..end).unwrap_or(&[]);
        let Some(h) = bytes.get(..field::GRE_PPTP_MIN) else {
            return self.bump(Anomaly::GreTruncated);
        };
        let proto = u16::from_be_bytes([h[2], h[3]]);
        if h[0] & field::GRE_FLAG_KEY == 0 || proto != ethertype::PPP {
            return self.bump(Anomaly::GreUnsupported);
        }
        let hlen = field::GRE_PPTP_MIN
            + 4 * (usize::from(h[0] & field::GRE_FLAG_SEQ != 0)
                + usize::from(h[1] & field::GRE_FLAG_ACK != 0));
        if hlen > bytes.len() {
            return self.bump(Anomaly::GreTruncated);
        }
        let plen = usize::from(u16::from_be_bytes([
            h[field::GRE_PPTP_PAYLOAD_LEN.start],
            h[field::GRE_PPTP_PAYLOAD_LEN.start + 1],
        ]));
        if plen == 0 {
            // An acknowledgment alone: nothing tunnelled, the GRE packet stays.
            return;
        }
        if depth >= MAX_TUNNEL_DEPTH {
            return self.bump(Anomaly::TunnelTooDeep);
        }
        // A payload length past the captured bytes is a snaplen cut (counted by IP).
        let pend = (start + hlen + plen).min(end);
        let Some(frame) = self.frame.get(..pend) else {
            return self.bump(Anomaly::GreTruncated);
        };
        self.bump(Anomaly::TunnelGre);
        self.d.tunnels += 1;
        let mut ppp = start + hlen;
        if frame.get(ppp..ppp + field::PPP_ADDR_CTRL)
            == Some(&[field::PPP_ADDRESS, field::PPP_CONTROL])
        {
            ppp += field::PPP_ADDR_CTRL;
        }
        let mut inner = Cx {
            frame,
            counters: self.counters,
            d: self.d,
        };
        inner.ppp_protocol(ppp, depth + 1, Anomaly::GreTruncated);
    }

    fn set_l4(&mut self, sport: u16, dport: u16, pstart: usize, pend: usize) {
        self.d.sport = sport;
        self.d.dport = dport;
        self.d.has_l4 = true;
        self.d.payload_off = pstart as u32;
        self.d.payload_len = pend.saturating_sub(pstart) as u32;
    }
}

#[cfg(test)]
mod tests;
