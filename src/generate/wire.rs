//! Frame building for the generator: Ethernet II, IPv4, TCP, UDP and ICMP with
//! correct lengths and checksums, written straight into a session's buffer as
//! classic pcap records (16-byte record header, then the frame).
//!
//! Bulk bytes are "snaplen-cut": a record's captured length stops after the
//! transport header while its original length, and the IPv4 total length, say
//! the real size (as `tcpdump -s 96` would hold). The TCP/UDP checksum of such a
//! segment is the one of a payload of zeros of that size (a zero payload adds
//! nothing to the one's-complement sum), so it is correct for what it stands for.

/// Classic pcap file header: little-endian, µs timestamps, snaplen 262144, Ethernet.
pub const PCAP_HEADER: [u8; 24] = [
    0xd4, 0xc3, 0xb2, 0xa1, // magic
    2, 0, 4, 0, // version 2.4
    0, 0, 0, 0, // thiszone
    0, 0, 0, 0, // sigfigs
    0, 0, 4, 0, // snaplen 262144
    1, 0, 0, 0, // LINKTYPE_ETHERNET
];

/// Largest TCP/UDP payload of one record (a GRO/TSO super-segment: the IPv4
/// total length stays below 65,536).
pub const MAX_SEGMENT: u32 = 64_000;

/// The subscribers' side of the link: the access router's MAC address.
const ROUTER_MAC: [u8; 6] = [0x02, 0x1b, 0x21, 0x00, 0x00, 0x01];

/// Header sizes: Ethernet, IPv4 (no options), TCP (no options), UDP.
mod field {
    pub const ETH: usize = 14;
    pub const IP: usize = 20;
    pub const TCP: usize = 20;
    pub const UDP: usize = 8;
}

/// TCP flag bits.
pub mod tcpf {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// One's-complement sum of 16-bit big-endian words (odd length: zero-padded).
#[inline]
pub fn sum16(b: &[u8]) -> u64 {
    let mut s = 0u64;
    let mut it = b.chunks_exact(2);
    for w in &mut it {
        s += u16::from_be_bytes([w[0], w[1]]) as u64;
    }
    if let [last] = it.remainder() {
        s += (*last as u64) << 8;
    }
    s
}

/// Folds a sum into the complemented 16-bit checksum.
#[inline]
pub fn fold(mut s: u64) -> u16 {
    while s >> 16 != 0 {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// A session's packets: pcap records back to back, and each record's
/// timestamp and end offset. Timestamps never decrease within a session.
#[derive(Default)]
pub struct Packets {
    /// The records' bytes.
    pub buf: Vec<u8>,
    /// `(timestamp ns, end offset in buf)` per record.
    pub index: Vec<(i64, u32)>,
}

impl Packets {
    /// Empties the buffers (keeping their capacity).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.index.clear();
    }

    /// Starts a record at `ts_ns` whose frame will be `caplen` bytes captured of
    /// `wirelen`; the caller appends exactly `caplen` bytes and calls `end`.
    #[inline]
    fn begin(&mut self, ts_ns: i64, caplen: usize, wirelen: usize) {
        let us = ts_ns.div_euclid(1_000);
        let sec = us.div_euclid(1_000_000) as u32;
        let usec = us.rem_euclid(1_000_000) as u32;
        let b = &mut self.buf;
        b.extend_from_slice(&sec.to_le_bytes());
        b.extend_from_slice(&usec.to_le_bytes());
        b.extend_from_slice(&(caplen as u32).to_le_bytes());
        b.extend_from_slice(&(wirelen as u32).to_le_bytes());
    }

    #[inline]
    fn end(&mut self, ts_ns: i64) {
        self.index.push((ts_ns, self.buf.len() as u32));
    }
}

/// The two ends of a conversation and their per-direction counters.
#[derive(Clone, Debug)]
pub struct Conn {
    /// Subscriber (client) address.
    pub c_ip: [u8; 4],
    /// Server (or peer) address.
    pub s_ip: [u8; 4],
    /// The subscriber's MAC address.
    pub c_mac: [u8; 6],
    /// Client port.
    pub c_port: u16,
    /// Server port.
    pub s_port: u16,
    /// Next sequence number each side sends (client, server).
    pub seq: [u32; 2],
    /// IPv4 identification each side uses next.
    pub ip_id: [u16; 2],
    /// TTL of the server's packets as seen at the vantage point.
    pub s_ttl: u8,
    /// Largest TCP payload of one packet ([`crate::generate::Population::segment_bytes`]);
    /// a UDP datagram carries at most 12 bytes more (no TCP header, 8 of UDP).
    pub seg: u32,
    /// Time of the conversation's latest packet: a payload larger than one
    /// packet is spread from there to its own time (its transmission).
    last_ns: i64,
}

/// How `total` bytes go in packets of at most `max`: as many packets as
/// needed, of equal sizes (the first ones one byte larger), so that no
/// packet is a runt.
fn pieces(total: u32, max: u32) -> impl Iterator<Item = u32> {
    let n = total.div_ceil(max.max(1)).max(1);
    let (each, extra) = (total / n, total % n);
    (0..n).map(move |k| each + u32::from(k < extra))
}

impl Conn {
    /// A conversation; `isn` gives the two initial sequence numbers and IP ids.
    pub fn new(
        c_ip: [u8; 4],
        c_mac: [u8; 6],
        c_port: u16,
        s_ip: [u8; 4],
        s_port: u16,
        isn: u64,
    ) -> Conn {
        Conn {
            c_ip,
            s_ip,
            c_mac,
            c_port,
            s_port,
            seq: [isn as u32, (isn >> 32) as u32],
            ip_id: [(isn >> 7) as u16, (isn >> 23) as u16],
            s_ttl: 48 + (s_ip[3] & 15),
            seg: MAX_SEGMENT,
            last_ns: i64::MIN,
        }
    }

    /// The time of piece `k` of `n` of a payload sent at `ts`: evenly from the
    /// previous packet to `ts` (all at `ts` for the first packet).
    fn piece_time(&self, ts: i64, k: u32, n: u32) -> i64 {
        if self.last_ns == i64::MIN || self.last_ns >= ts {
            return ts;
        }
        let span = (ts - self.last_ns) as i128;
        self.last_ns + (span * i128::from(k + 1) / i128::from(n)) as i64
    }

    /// Ethernet and IPv4 headers for `l4_total` bytes of protocol `proto`;
    /// returns the pseudo-header sum for the transport checksum.
    #[inline]
    fn ip(&mut self, out: &mut Vec<u8>, from_client: bool, proto: u8, l4_total: usize) -> u64 {
        let side = usize::from(!from_client);
        let (dmac, smac) = if from_client {
            (ROUTER_MAC, self.c_mac)
        } else {
            (self.c_mac, ROUTER_MAC)
        };
        let (src, dst) = if from_client {
            (self.c_ip, self.s_ip)
        } else {
            (self.s_ip, self.c_ip)
        };
        let mut h = [0u8; field::ETH + field::IP];
        h[0..6].copy_from_slice(&dmac);
        h[6..12].copy_from_slice(&smac);
        h[12..14].copy_from_slice(&[0x08, 0x00]);
        let ip = &mut h[field::ETH..];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&((field::IP + l4_total) as u16).to_be_bytes());
        let id = self.ip_id[side];
        self.ip_id[side] = id.wrapping_add(1);
        ip[4..6].copy_from_slice(&id.to_be_bytes());
        if proto == 6 {
            ip[6] = 0x40; // DF
        }
        ip[8] = if from_client { 64 } else { self.s_ttl };
        ip[9] = proto;
        ip[12..16].copy_from_slice(&src);
        ip[16..20].copy_from_slice(&dst);
        let ck = fold(sum16(ip));
        ip[10..12].copy_from_slice(&ck.to_be_bytes());
        out.extend_from_slice(&h);
        sum16(&src) + sum16(&dst) + proto as u64 + l4_total as u64
    }

    /// TCP carrying `payload` (captured) followed by `cut` payload bytes that
    /// are not captured (zeros on the wire). SYNs carry MSS, window scale and
    /// SACK-permitted options. More than [`Conn::seg`] bytes go as several
    /// packets spread from the conversation's previous packet to `ts`, the
    /// captured bytes in the first, the other side acknowledging every second
    /// packet but the last (delayed ACKs, RFC 1122 §4.2.3.2; the caller sends
    /// the acknowledgement of the whole, as it did of one packet).
    pub fn tcp(
        &mut self,
        p: &mut Packets,
        ts: i64,
        from_client: bool,
        flags: u8,
        payload: &[u8],
        cut: u32,
    ) {
        let total = payload.len() as u32 + cut;
        if total <= self.seg {
            self.tcp_one(p, ts, from_client, flags, payload, cut);
            self.last_ns = ts;
            return;
        }
        let n = total.div_ceil(self.seg);
        let mut head = payload;
        for (k, size) in pieces(total, self.seg).enumerate() {
            let k = k as u32;
            let t = self.piece_time(ts, k, n);
            let take = head.len().min(size as usize);
            let last = k + 1 == n;
            let f = if last { flags } else { flags & !tcpf::PSH };
            self.tcp_one(p, t, from_client, f, &head[..take], size - take as u32);
            head = &head[take..];
            if k % 2 == 1 && !last {
                self.tcp_one(p, t, !from_client, tcpf::ACK, &[], 0);
            }
        }
        self.last_ns = ts;
    }

    fn tcp_one(
        &mut self,
        p: &mut Packets,
        ts: i64,
        from_client: bool,
        flags: u8,
        payload: &[u8],
        cut: u32,
    ) {
        const SYN_OPTS: [u8; 12] = [2, 4, 0x05, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2];
        let syn = flags & tcpf::SYN != 0;
        let hlen = field::TCP + if syn { SYN_OPTS.len() } else { 0 };
        let l4 = hlen + payload.len() + cut as usize;
        let caplen = field::ETH + field::IP + hlen + payload.len();
        p.begin(ts, caplen, field::ETH + field::IP + l4);
        let pseudo = self.ip(&mut p.buf, from_client, 6, l4);
        let side = usize::from(!from_client);
        let (sp, dp) = if from_client {
            (self.c_port, self.s_port)
        } else {
            (self.s_port, self.c_port)
        };
        let seq = self.seq[side];
        let ack = if flags & tcpf::ACK != 0 {
            self.seq[1 - side]
        } else {
            0
        };
        let mut h = [0u8; 32];
        h[0..2].copy_from_slice(&sp.to_be_bytes());
        h[2..4].copy_from_slice(&dp.to_be_bytes());
        h[4..8].copy_from_slice(&seq.to_be_bytes());
        h[8..12].copy_from_slice(&ack.to_be_bytes());
        h[12] = ((hlen / 4) as u8) << 4;
        h[13] = flags;
        let win: u16 = if syn { 64240 } else { 1026 };
        h[14..16].copy_from_slice(&win.to_be_bytes());
        if syn {
            h[20..hlen].copy_from_slice(&SYN_OPTS);
        }
        let sum = pseudo + sum16(&h[..hlen]) + sum16(payload);
        h[16..18].copy_from_slice(&fold(sum).to_be_bytes());
        p.buf.extend_from_slice(&h[..hlen]);
        p.buf.extend_from_slice(payload);
        p.end(ts);
        let used = payload.len() as u32 + cut + u32::from(syn) + u32::from(flags & tcpf::FIN != 0);
        self.seq[side] = seq.wrapping_add(used);
    }

    /// A UDP datagram carrying `payload` (captured) then `cut` uncaptured
    /// bytes. More than a packet holds ([`Conn::seg`] + 12) goes as several
    /// datagrams, each with the same captured head (a tunnel's or QUIC's
    /// header) and its share of `cut`, spread from the previous packet to `ts`.
    pub fn udp(&mut self, p: &mut Packets, ts: i64, from_client: bool, payload: &[u8], cut: u32) {
        let max = self.seg + 12;
        let room = max.saturating_sub(payload.len() as u32).max(1);
        if payload.len() as u32 + cut <= max {
            self.udp_one(p, ts, from_client, payload, cut);
        } else {
            let n = cut.div_ceil(room);
            for (k, size) in pieces(cut, room).enumerate() {
                let t = self.piece_time(ts, k as u32, n);
                self.udp_one(p, t, from_client, payload, size);
            }
        }
        self.last_ns = ts;
    }

    fn udp_one(&mut self, p: &mut Packets, ts: i64, from_client: bool, payload: &[u8], cut: u32) {
        let l4 = field::UDP + payload.len() + cut as usize;
        let caplen = field::ETH + field::IP + field::UDP + payload.len();
        p.begin(ts, caplen, field::ETH + field::IP + l4);
        let pseudo = self.ip(&mut p.buf, from_client, 17, l4);
        let (sp, dp) = if from_client {
            (self.c_port, self.s_port)
        } else {
            (self.s_port, self.c_port)
        };
        let mut h = [0u8; field::UDP];
        h[0..2].copy_from_slice(&sp.to_be_bytes());
        h[2..4].copy_from_slice(&dp.to_be_bytes());
        h[4..6].copy_from_slice(&(l4 as u16).to_be_bytes());
        let mut ck = fold(pseudo + sum16(&h) + sum16(payload));
        if ck == 0 {
            ck = 0xffff;
        }
        h[6..8].copy_from_slice(&ck.to_be_bytes());
        p.buf.extend_from_slice(&h);
        p.buf.extend_from_slice(payload);
        p.end(ts);
    }

    /// An ICMP echo request (client) or reply (server) with a 56-byte payload;
    /// `c_port` is the identifier.
    pub fn icmp_echo(&mut self, p: &mut Packets, ts: i64, from_client: bool, seq: u16) {
        const DATA: usize = 56;
        let caplen = field::ETH + field::IP + 8 + DATA;
        p.begin(ts, caplen, caplen);
        self.ip(&mut p.buf, from_client, 1, 8 + DATA);
        let mut m = [0u8; 8 + DATA];
        m[0] = if from_client { 8 } else { 0 };
        m[4..6].copy_from_slice(&self.c_port.to_be_bytes());
        m[6..8].copy_from_slice(&seq.to_be_bytes());
        for (i, b) in m[8..].iter_mut().enumerate() {
            *b = 0x10 + i as u8; // ping's usual pattern
        }
        let ck = fold(sum16(&m));
        m[2..4].copy_from_slice(&ck.to_be_bytes());
        p.buf.extend_from_slice(&m);
        p.end(ts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_verify_to_zero() {
        let mut c = Conn::new(
            [10, 0, 0, 7],
            [2, 0, 0, 0, 0, 7],
            40000,
            [198, 19, 0, 9],
            443,
            12345,
        );
        let mut p = Packets::default();
        c.tcp(&mut p, 1_000_000_000, true, tcpf::SYN, &[], 0);
        c.tcp(
            &mut p,
            1_000_000_000,
            true,
            tcpf::ACK | tcpf::PSH,
            b"hello",
            0,
        );
        c.udp(&mut p, 1_000_000_000, false, b"abc", 0);
        let mut start = 0usize;
        for &(_, end) in &p.index {
            let frame = &p.buf[start + 16..end as usize];
            let ip = &frame[14..34];
            assert_eq!(fold(sum16(ip)), 0, "IPv4 header checksum");
            let l4 = &frame[34..];
            let pseudo = sum16(&ip[12..20]) + ip[9] as u64 + l4.len() as u64;
            assert_eq!(fold(pseudo + sum16(l4)), 0, "transport checksum");
            start = end as usize;
        }
    }

    #[test]
    fn cut_bytes_count_in_lengths_not_in_capture() {
        let mut c = Conn::new(
            [10, 0, 0, 7],
            [2, 0, 0, 0, 0, 7],
            40000,
            [198, 19, 0, 9],
            443,
            1,
        );
        let mut p = Packets::default();
        c.tcp(&mut p, 0, false, tcpf::ACK, &[], 60_000);
        let caplen = u32::from_le_bytes(p.buf[8..12].try_into().unwrap());
        let wirelen = u32::from_le_bytes(p.buf[12..16].try_into().unwrap());
        assert_eq!(caplen, 54);
        assert_eq!(wirelen, 54 + 60_000);
        let total = u16::from_be_bytes([p.buf[16 + 16], p.buf[16 + 17]]);
        assert_eq!(total as u32, 40 + 60_000);
        assert_eq!(
            c.seq[1], 60_000,
            "the server's sequence advances by the cut bytes"
        );
    }
}
