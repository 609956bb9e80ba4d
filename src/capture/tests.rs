//! Capture reader tests over hand-built captures.
//!
//! Every capture here is typed byte by byte from the file-format layouts:
//! libpcap's `struct pcap_file_header` / `struct pcap_pkthdr` for classic pcap and
//! draft-ietf-opsawg-pcapng-02 §4 (SHB, IDB, EPB, SPB) for pcapng. Packet contents
//! are arbitrary marker bytes: this layer never looks inside a frame.

use std::io::{Cursor, Read};

use super::*;

/// A reader over `bytes`, input index `input`, with the given chunk size.
fn reader(bytes: Vec<u8>, input: u16, chunk: usize) -> CaptureReader {
    CaptureReader::from_reader(
        format!("in{input}"),
        input,
        Box::new(Cursor::new(bytes)),
        chunk,
    )
}

/// A frame as delivered, with its bytes copied out of the chunk.
#[derive(Debug, PartialEq, Eq)]
struct Got {
    ts_ns: i64,
    caplen: u32,
    wirelen: u32,
    linktype: LinkType,
    input: u16,
    bytes: Vec<u8>,
}

/// Runs every reader through a [`MergedSource`] and collects frames and errors.
fn collect(readers: Vec<CaptureReader>) -> (Vec<Got>, Vec<CaptureError>) {
    let mut src = MergedSource::from_readers(readers, Vec::new(), 0);
    let mut got = Vec::new();
    src.for_each(|sf| {
        got.push(Got {
            ts_ns: sf.frame.ts_ns,
            caplen: sf.frame.caplen,
            wirelen: sf.frame.wirelen,
            linktype: sf.frame.linktype,
            input: sf.frame.input,
            bytes: sf.frame.bytes(sf.chunk).to_vec(),
        })
    });
    (got, src.take_errors())
}

/// Reads one capture with the default chunk size.
fn read_one(bytes: Vec<u8>) -> (Vec<Got>, Vec<CaptureError>) {
    collect(vec![reader(bytes, 0, CHUNK_SIZE)])
}

fn got(ts_ns: i64, wirelen: u32, linktype: LinkType, input: u16, bytes: &[u8]) -> Got {
    Got {
        ts_ns,
        caplen: bytes.len() as u32,
        wirelen,
        linktype,
        input,
        bytes: bytes.to_vec(),
    }
}

const S: i64 = 1_000_000_000;

// ---------------------------------------------------------------------------
// Classic pcap

/// Classic pcap, little-endian, microsecond magic, LINKTYPE_ETHERNET, two records.
/// Typed by hand from libpcap's `pcap_file_header` and `pcap_pkthdr` layouts.
const PCAP_LE_US: [u8; 24 + 16 + 6 + 16 + 4] = [
    // magic a1b2c3d4 in LE, version 2.4
    0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, //
    // thiszone 0, sigfigs 0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
    // snaplen 65535, linktype 1 (Ethernet)
    0xff, 0xff, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, //
    // record 1: ts_sec 1700000000 (0x6553f100), ts_usec 123456 (0x0001e240)
    0x00, 0xf1, 0x53, 0x65, 0x40, 0xe2, 0x01, 0x00, //
    // caplen 6, len 6
    0x06, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, //
    // data
    0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, //
    // record 2: ts_sec 1700000001, ts_usec 999999 (0x000f423f)
    0x01, 0xf1, 0x53, 0x65, 0x3f, 0x42, 0x0f, 0x00, //
    // caplen 4, len 4
    0x04, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, //
    // data
    0xb1, 0xb2, 0xb3, 0xb4,
];

/// Same two records as [`PCAP_LE_US`], big-endian.
const PCAP_BE_US: [u8; 24 + 16 + 6 + 16 + 4] = [
    // magic a1b2c3d4 in BE, version 2.4
    0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0x02, 0x00, 0x04, //
    // thiszone 0, sigfigs 0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
    // snaplen 65535, linktype 1 (Ethernet)
    0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, //
    // record 1: ts_sec 1700000000, ts_usec 123456
    0x65, 0x53, 0xf1, 0x00, 0x00, 0x01, 0xe2, 0x40, //
    // caplen 6, len 6
    0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x06, //
    0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, //
    // record 2: ts_sec 1700000001, ts_usec 999999
    0x65, 0x53, 0xf1, 0x01, 0x00, 0x0f, 0x42, 0x3f, //
    // caplen 4, len 4
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, //
    0xb1, 0xb2, 0xb3, 0xb4,
];

fn u32_bytes(v: u32, be: bool) -> [u8; 4] {
    if be { v.to_be_bytes() } else { v.to_le_bytes() }
}

fn u16_bytes(v: u16, be: bool) -> [u8; 2] {
    if be { v.to_be_bytes() } else { v.to_le_bytes() }
}

/// A classic pcap: 24-byte file header (magic a1b2c3d4, or a1b23c4d when `nanos`,
/// written in the chosen byte order; version 2.4; snaplen 65535; `linktype`), then
/// one 16-byte `pcap_pkthdr` + data per record `(ts_sec, ts_frac, data, len)`.
fn pcap(be: bool, nanos: bool, linktype: u32, records: &[(u32, u32, &[u8], u32)]) -> Vec<u8> {
    let magic = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let mut v = Vec::new();
    v.extend(u32_bytes(magic, be));
    v.extend(u16_bytes(2, be));
    v.extend(u16_bytes(4, be));
    v.extend([0; 8]); // thiszone, sigfigs
    v.extend(u32_bytes(65535, be));
    v.extend(u32_bytes(linktype, be));
    for &(sec, frac, data, len) in records {
        v.extend(u32_bytes(sec, be));
        v.extend(u32_bytes(frac, be));
        v.extend(u32_bytes(data.len() as u32, be));
        v.extend(u32_bytes(len, be));
        v.extend_from_slice(data);
    }
    v
}

#[test]
fn classic_pcap_little_endian_microseconds_gives_every_record() {
    let (frames, errors) = read_one(PCAP_LE_US.to_vec());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        frames,
        vec![
            got(
                1_700_000_000 * S + 123_456_000,
                6,
                LinkType::Ethernet,
                0,
                &[0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6]
            ),
            got(
                1_700_000_001 * S + 999_999_000,
                4,
                LinkType::Ethernet,
                0,
                &[0xb1, 0xb2, 0xb3, 0xb4]
            ),
        ]
    );
}

#[test]
fn classic_pcap_frame_offsets_point_after_each_record_header() {
    let mut r = reader(PCAP_LE_US.to_vec(), 0, CHUNK_SIZE);
    let f1 = r.next_frame().unwrap().unwrap();
    // 24-byte file header + 16-byte record header.
    assert_eq!(f1.off, 40);
    let f2 = r.next_frame().unwrap().unwrap();
    assert_eq!(f2.off, 40 + 6 + 16);
    assert_eq!(r.next_frame().unwrap(), None);
    assert_eq!(r.consumed(), PCAP_LE_US.len() as u64);
    // After the end the reader keeps saying so.
    assert_eq!(r.next_frame().unwrap(), None);
}

#[test]
fn classic_pcap_big_endian_reads_like_little_endian() {
    let (be, errors) = read_one(PCAP_BE_US.to_vec());
    assert!(errors.is_empty(), "{errors:?}");
    let (le, _) = read_one(PCAP_LE_US.to_vec());
    assert_eq!(be, le);
    assert_eq!(be[0].ts_ns, 1_700_000_000 * S + 123_456_000);
}

#[test]
fn classic_pcap_builder_matches_literal_bytes() {
    // Guards the builder used by the tests below against the hand-typed constants.
    let recs: &[(u32, u32, &[u8], u32)] = &[
        (
            1_700_000_000,
            123_456,
            &[0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6],
            6,
        ),
        (1_700_000_001, 999_999, &[0xb1, 0xb2, 0xb3, 0xb4], 4),
    ];
    assert_eq!(pcap(false, false, 1, recs), PCAP_LE_US.to_vec());
    assert_eq!(pcap(true, false, 1, recs), PCAP_BE_US.to_vec());
}

#[test]
fn nanosecond_magic_keeps_ts_ns_exact_in_both_byte_orders() {
    for be in [false, true] {
        let bytes = pcap(be, true, 1, &[(1_700_000_000, 987_654_321, &[1, 2, 3], 3)]);
        let (frames, errors) = read_one(bytes);
        assert!(errors.is_empty(), "be={be}: {errors:?}");
        assert_eq!(
            frames,
            vec![got(
                1_700_000_000 * S + 987_654_321,
                3,
                LinkType::Ethernet,
                0,
                &[1, 2, 3]
            )],
            "be={be}"
        );
    }
}

#[test]
fn caplen_below_wirelen_keeps_wirelen() {
    // A snaplen of 4: four bytes captured of a 1514-byte frame.
    let bytes = pcap(false, false, 1, &[(10, 0, &[9, 8, 7, 6], 1514)]);
    let (frames, errors) = read_one(bytes);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        frames,
        vec![got(10 * S, 1514, LinkType::Ethernet, 0, &[9, 8, 7, 6])]
    );
}

#[test]
fn wirelen_below_caplen_is_raised_to_caplen() {
    // A writer that put 0 in `len`: the wire length cannot be below what was captured.
    let bytes = pcap(false, false, 1, &[(10, 0, &[9, 8, 7, 6], 0)]);
    let (frames, _) = read_one(bytes);
    assert_eq!(frames[0].wirelen, 4);
}

#[test]
fn pcap_header_link_type_maps_to_link_type() {
    let table = [
        (0, LinkType::Null),
        (1, LinkType::Ethernet),
        (12, LinkType::Raw),
        (14, LinkType::Raw),
        (101, LinkType::Raw),
        (108, LinkType::Loop),
        (113, LinkType::LinuxSll),
        (192, LinkType::Ppi),
        (228, LinkType::Ipv4),
        (229, LinkType::Ipv6),
        (276, LinkType::LinuxSll2),
        (147, LinkType::Unknown(147)),
        // FCS-length bits (28..31) and the F bit (26) are not part of the type.
        (0x1400_0001, LinkType::Ethernet),
    ];
    for (number, want) in table {
        let bytes = pcap(false, false, number, &[(1, 0, &[0x45], 1)]);
        let (frames, errors) = read_one(bytes);
        assert!(errors.is_empty(), "{number}: {errors:?}");
        assert_eq!(frames[0].linktype, want, "linktype {number:#x}");
    }
}

#[test]
fn link_type_number_and_name_round_trip() {
    let table = [
        (LinkType::Null, 0, "null"),
        (LinkType::Ethernet, 1, "ethernet"),
        (LinkType::Raw, 101, "raw"),
        (LinkType::Loop, 108, "loop"),
        (LinkType::LinuxSll, 113, "linux_sll"),
        (LinkType::LinuxSll2, 276, "linux_sll2"),
        (LinkType::Ipv4, 228, "ipv4"),
        (LinkType::Ipv6, 229, "ipv6"),
        (LinkType::Ppi, 192, "ppi"),
        (LinkType::Ppp, 9, "ppp"),
        (LinkType::PppHdlc, 50, "ppp_hdlc"),
        (LinkType::CHdlc, 104, "c_hdlc"),
        (LinkType::ArcnetBsd, 7, "arcnet"),
        (LinkType::ArcnetLinux, 129, "arcnet_linux"),
        (LinkType::Nflog, 239, "nflog"),
        (LinkType::Pktap, 258, "pktap"),
        // DLT_USER2: Apple's PKTAP on macOS, but private use elsewhere.
        (LinkType::Unknown(149), 149, "linktype_149"),
        (LinkType::Unknown(147), 147, "linktype_147"),
    ];
    for (lt, number, name) in table {
        assert_eq!(lt.number(), number);
        assert_eq!(LinkType::from_number(number), lt);
        assert_eq!(lt.name(), name);
        assert_eq!(lt.to_string(), name);
    }
}

#[test]
fn modified_pcap_reads_24_byte_record_headers() {
    // Kuznetzov "modified" pcap (magic a1b2cd34, LE): the record header adds
    // ifindex (4), protocol (2), pkt_type (1) and a pad byte.
    let mut v = Vec::new();
    v.extend(0xa1b2_cd34u32.to_le_bytes());
    v.extend([2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version 2.4, thiszone, sigfigs
    v.extend(65535u32.to_le_bytes());
    v.extend(1u32.to_le_bytes()); // Ethernet
    v.extend(5u32.to_le_bytes()); // ts_sec
    v.extend(7u32.to_le_bytes()); // ts_usec
    v.extend(3u32.to_le_bytes()); // caplen
    v.extend(60u32.to_le_bytes()); // len
    v.extend([2, 0, 0, 0, 0x08, 0x00, 0, 0]); // ifindex 2, protocol 0x0800, pkt_type 0
    v.extend([0xc1, 0xc2, 0xc3]);
    let (frames, errors) = read_one(v);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        frames,
        vec![got(
            5 * S + 7_000,
            60,
            LinkType::Ethernet,
            0,
            &[0xc1, 0xc2, 0xc3]
        )]
    );
}

// ---------------------------------------------------------------------------
// pcapng

/// A pcapng block: type, total length, body padded to 32 bits, total length.
fn block(be: bool, block_type: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(4) * 4;
    let total = (12 + padded) as u32;
    let mut v = Vec::new();
    v.extend(u32_bytes(block_type, be));
    v.extend(u32_bytes(total, be));
    v.extend_from_slice(body);
    v.resize(8 + padded, 0);
    v.extend(u32_bytes(total, be));
    v
}

/// Options: code, length, value padded to 32 bits; then opt_endofopt.
fn options(be: bool, opts: &[(u16, &[u8])]) -> Vec<u8> {
    let mut v = Vec::new();
    if opts.is_empty() {
        return v;
    }
    for (code, value) in opts {
        v.extend(u16_bytes(*code, be));
        v.extend(u16_bytes(value.len() as u16, be));
        v.extend_from_slice(value);
        v.resize(v.len().div_ceil(4) * 4, 0);
    }
    v.extend([0, 0, 0, 0]);
    v
}

/// Section Header Block (0x0a0d0d0a): byte-order magic 1a2b3c4d, version 1.0,
/// section length -1 (unknown).
fn shb(be: bool) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u32_bytes(0x1a2b_3c4d, be));
    body.extend(u16_bytes(1, be));
    body.extend(u16_bytes(0, be));
    body.extend([0xff; 8]);
    block(be, 0x0a0d_0d0a, &body)
}

/// Interface Description Block (1): link type, reserved, snaplen, options.
fn idb(be: bool, linktype: u16, snaplen: u32, opts: &[(u16, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u16_bytes(linktype, be));
    body.extend([0, 0]);
    body.extend(u32_bytes(snaplen, be));
    body.extend(options(be, opts));
    block(be, 1, &body)
}

/// Enhanced Packet Block (6): interface id, timestamp high/low, captured length,
/// original length, data padded to 32 bits.
fn epb(be: bool, if_id: u32, ts: u64, data: &[u8], origlen: u32) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u32_bytes(if_id, be));
    body.extend(u32_bytes((ts >> 32) as u32, be));
    body.extend(u32_bytes(ts as u32, be));
    body.extend(u32_bytes(data.len() as u32, be));
    body.extend(u32_bytes(origlen, be));
    body.extend_from_slice(data);
    block(be, 6, &body)
}

/// Simple Packet Block (3): original length, data padded to 32 bits.
fn spb(be: bool, data: &[u8], origlen: u32) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u32_bytes(origlen, be));
    body.extend_from_slice(data);
    block(be, 3, &body)
}

/// Option code `if_tsresol`.
const IF_TSRESOL: u16 = 9;
/// Option code `if_tsoffset`.
const IF_TSOFFSET: u16 = 14;

/// One section: interface 0 Ethernet (µs, default), interface 1 raw IP with
/// `if_tsresol` 9 (ns); an EPB on each, then an SPB.
fn two_interface_section(be: bool) -> Vec<u8> {
    let mut v = shb(be);
    v.extend(idb(be, 1, 0, &[]));
    v.extend(idb(be, 101, 0, &[(IF_TSRESOL, &[9])]));
    // 1700000000.123456 s in µs; 5 data bytes (3 bytes of padding follow).
    v.extend(epb(
        be,
        0,
        1_700_000_000_123_456,
        &[0xe0, 0xe1, 0xe2, 0xe3, 0xe4],
        60,
    ));
    // 1700000000.987654321 s in ns.
    v.extend(epb(
        be,
        1,
        1_700_000_000_987_654_321,
        &[0x45, 0x00, 0x00, 0x14],
        20,
    ));
    // No timestamp, no interface: interface 0 and the previous timestamp.
    v.extend(spb(be, &[0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f], 6));
    v
}

fn two_interface_section_frames(input: u16) -> Vec<Got> {
    vec![
        got(
            1_700_000_000 * S + 123_456_000,
            60,
            LinkType::Ethernet,
            input,
            &[0xe0, 0xe1, 0xe2, 0xe3, 0xe4],
        ),
        got(
            1_700_000_000 * S + 987_654_321,
            20,
            LinkType::Raw,
            input,
            &[0x45, 0x00, 0x00, 0x14],
        ),
        got(
            1_700_000_000 * S + 987_654_321,
            6,
            LinkType::Ethernet,
            input,
            &[0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f],
        ),
    ]
}

#[test]
fn pcapng_two_interfaces_keep_their_link_types_and_resolutions() {
    let (frames, errors) = read_one(two_interface_section(false));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(frames, two_interface_section_frames(0));
}

#[test]
fn pcapng_big_endian_section_reads_like_little_endian() {
    let (frames, errors) = read_one(two_interface_section(true));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(frames, two_interface_section_frames(0));
}

#[test]
fn pcapng_simple_packet_before_any_timestamp_has_ts_zero() {
    let mut v = shb(false);
    v.extend(idb(false, 1, 0, &[]));
    v.extend(spb(false, &[1, 2, 3, 4], 4));
    let (frames, errors) = read_one(v);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        frames,
        vec![got(0, 4, LinkType::Ethernet, 0, &[1, 2, 3, 4])]
    );
}

#[test]
fn pcapng_simple_packet_is_cut_to_interface_snaplen() {
    // Snaplen 6 of a 100-byte frame: the block holds 6 bytes and 2 of padding,
    // and only the 6 are the frame.
    let mut v = shb(false);
    v.extend(idb(false, 1, 6, &[]));
    v.extend(spb(false, &[1, 2, 3, 4, 5, 6], 100));
    let (frames, errors) = read_one(v);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        frames,
        vec![got(0, 100, LinkType::Ethernet, 0, &[1, 2, 3, 4, 5, 6])]
    );
}

#[test]
fn pcapng_if_tsoffset_adds_seconds() {
    let mut v = shb(false);
    v.extend(idb(false, 1, 0, &[(IF_TSOFFSET, &100i64.to_le_bytes())]));
    v.extend(epb(false, 0, 2_500_000, &[7], 1));
    let (frames, errors) = read_one(v);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        frames,
        vec![got(102 * S + 500_000_000, 1, LinkType::Ethernet, 0, &[7])]
    );
}

#[test]
fn pcapng_if_tsoffset_in_big_endian_section_adds_seconds() {
    // Option values are in the section's byte order (pcapng draft §3.5), the
    // 64-bit `if_tsoffset` included.
    let mut v = shb(true);
    v.extend(idb(true, 1, 0, &[(IF_TSOFFSET, &100i64.to_be_bytes())]));
    v.extend(epb(true, 0, 2_500_000, &[7], 1));
    let (frames, errors) = read_one(v);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        frames,
        vec![got(102 * S + 500_000_000, 1, LinkType::Ethernet, 0, &[7])]
    );
}

#[test]
fn pcapng_binary_if_tsresol_is_honoured() {
    // if_tsresol with the top bit set is a negative power of 2: 0x8a = 2^-10 s.
    // 5.5 s is 5 * 1024 + 512 units.
    let mut v = shb(false);
    v.extend(idb(false, 1, 0, &[(IF_TSRESOL, &[0x8a])]));
    v.extend(epb(false, 0, 5 * 1024 + 512, &[7], 1));
    let (frames, errors) = read_one(v);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        frames,
        vec![got(5 * S + 500_000_000, 1, LinkType::Ethernet, 0, &[7])]
    );
}

#[test]
fn pcapng_new_section_forgets_interfaces_and_may_change_byte_order() {
    // Section 1 (LE) describes interfaces 0 and 1; section 2 (BE) describes only
    // interface 0, raw IP, so a packet on interface 1 there is corrupt.
    let mut v = shb(false);
    v.extend(idb(false, 1, 0, &[]));
    v.extend(idb(false, 1, 0, &[]));
    v.extend(epb(false, 1, 1_000_000, &[1], 1));
    v.extend(shb(true));
    v.extend(idb(true, 101, 0, &[]));
    v.extend(epb(true, 0, 2_000_000, &[2], 1));
    let bad = v.len() as u64;
    v.extend(epb(true, 1, 3_000_000, &[3], 1));
    let (frames, errors) = read_one(v);
    assert_eq!(
        frames,
        vec![
            got(S, 1, LinkType::Ethernet, 0, &[1]),
            got(2 * S, 1, LinkType::Raw, 0, &[2]),
        ]
    );
    assert_eq!(errors.len(), 1);
    match &errors[0] {
        CaptureError::Corrupt {
            path,
            offset,
            reason,
        } => {
            assert_eq!(path, "in0");
            assert_eq!(*offset, bad);
            assert_eq!(reason, "packet names interface 1, not described");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn pcapng_unknown_blocks_are_skipped() {
    let mut v = shb(false);
    v.extend(idb(false, 1, 0, &[]));
    // Interface Statistics Block (5) and an unassigned block type.
    v.extend(block(false, 5, &[0; 12]));
    v.extend(block(false, 0x0000_0bad, &[1, 2, 3]));
    v.extend(epb(false, 0, 1_000_000, &[1], 1));
    let (frames, errors) = read_one(v);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(frames, vec![got(S, 1, LinkType::Ethernet, 0, &[1])]);
}

#[test]
fn pcapng_block_length_not_multiple_of_four_is_corrupt() {
    let mut v = shb(false);
    let at = v.len() as u64;
    // An IDB whose total length field says 13.
    v.extend(1u32.to_le_bytes());
    v.extend(13u32.to_le_bytes());
    v.extend([0; 12]);
    let (frames, errors) = read_one(v);
    assert!(frames.is_empty());
    assert_eq!(errors.len(), 1);
    match &errors[0] {
        CaptureError::Corrupt { offset, reason, .. } => {
            assert_eq!(*offset, at);
            assert_eq!(reason, "pcapng block length 13 is invalid");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Broken inputs

#[test]
fn truncated_pcap_record_is_reported_at_its_offset_after_earlier_frames() {
    let full = pcap(
        false,
        false,
        1,
        &[
            (1, 0, &[1; 10], 10),
            (2, 0, &[2; 20], 20),
            (3, 0, &[3; 60], 60),
        ],
    );
    // Cut the third record 10 bytes into its data.
    let third = 24 + (16 + 10) + (16 + 20);
    let cut = full[..third + 16 + 10].to_vec();
    for chunk in [CHUNK_SIZE, 64, 17] {
        let (frames, errors) = collect(vec![reader(cut.clone(), 0, chunk)]);
        assert_eq!(
            frames,
            vec![
                got(S, 10, LinkType::Ethernet, 0, &[1; 10]),
                got(2 * S, 20, LinkType::Ethernet, 0, &[2; 20]),
            ],
            "chunk {chunk}"
        );
        assert_eq!(errors.len(), 1, "chunk {chunk}");
        match &errors[0] {
            CaptureError::Truncated {
                path,
                offset,
                what,
                needed,
            } => {
                assert_eq!(path, "in0");
                assert_eq!(*offset, third as u64, "chunk {chunk}");
                assert_eq!(*what, "pcap record");
                assert_eq!(*needed, 50);
            }
            other => panic!("expected Truncated, got {other:?}"),
        }
        assert_eq!(errors[0].offset(), Some(third as u64));
        assert_eq!(
            errors[0].to_string(),
            format!("in0: truncated at byte {third}: pcap record needs 50 more bytes")
        );
    }
}

#[test]
fn truncated_pcap_record_header_is_reported() {
    let full = pcap(false, false, 1, &[(1, 0, &[1; 10], 10), (2, 0, &[2; 4], 4)]);
    let second = 24 + 16 + 10;
    let (frames, errors) = read_one(full[..second + 5].to_vec());
    assert_eq!(frames, vec![got(S, 10, LinkType::Ethernet, 0, &[1; 10])]);
    match &errors[..] {
        [
            CaptureError::Truncated {
                offset,
                what,
                needed,
                ..
            },
        ] => {
            assert_eq!(*offset, second as u64);
            assert_eq!(*what, "pcap record header");
            assert_eq!(*needed, 11);
        }
        other => panic!("expected one Truncated, got {other:?}"),
    }
}

#[test]
fn truncated_pcap_file_header_is_reported_at_zero() {
    let (frames, errors) = read_one(PCAP_LE_US[..10].to_vec());
    assert!(frames.is_empty());
    match &errors[..] {
        [
            CaptureError::Truncated {
                offset,
                what,
                needed,
                ..
            },
        ] => {
            assert_eq!(*offset, 0);
            assert_eq!(*what, "pcap file header");
            assert_eq!(*needed, 14);
        }
        other => panic!("expected one Truncated, got {other:?}"),
    }
}

#[test]
fn truncated_pcapng_block_is_reported_at_its_offset() {
    let mut v = shb(false);
    v.extend(idb(false, 1, 0, &[]));
    v.extend(epb(false, 0, 1_000_000, &[1, 2, 3, 4], 4));
    let second = v.len();
    v.extend(epb(false, 0, 2_000_000, &[5; 40], 40));
    // EPB of 32 + 40 bytes: keep 30 of them.
    v.truncate(second + 30);
    let (frames, errors) = read_one(v);
    assert_eq!(
        frames,
        vec![got(S, 4, LinkType::Ethernet, 0, &[1, 2, 3, 4])]
    );
    match &errors[..] {
        [
            CaptureError::Truncated {
                offset,
                what,
                needed,
                ..
            },
        ] => {
            assert_eq!(*offset, second as u64);
            assert_eq!(*what, "pcapng block");
            assert_eq!(*needed, 72 - 30);
        }
        other => panic!("expected one Truncated, got {other:?}"),
    }
}

#[test]
fn caplen_over_the_snaplen_ceiling_is_corrupt() {
    let mut v = pcap(false, false, 1, &[(1, 0, &[1; 4], 4)]);
    let at = v.len() as u64;
    v.extend(2u32.to_le_bytes());
    v.extend(0u32.to_le_bytes());
    v.extend((PCAP_MAX_SNAPLEN as u32 + 1).to_le_bytes());
    v.extend(100u32.to_le_bytes());
    v.extend([0; 64]);
    let (frames, errors) = read_one(v);
    assert_eq!(frames, vec![got(S, 4, LinkType::Ethernet, 0, &[1; 4])]);
    match &errors[..] {
        [CaptureError::Corrupt { offset, reason, .. }] => {
            assert_eq!(*offset, at);
            assert_eq!(
                *reason,
                format!(
                    "record of {} captured bytes, more than the file's snaplen (65535) and \
                     than {PCAP_MAX_SNAPLEN}: not a record (corrupt or cut file)",
                    PCAP_MAX_SNAPLEN + 1
                )
            );
        }
        other => panic!("expected one Corrupt, got {other:?}"),
    }
}

#[test]
fn caplen_at_the_snaplen_ceiling_is_not_corrupt_only_truncated() {
    let mut v = pcap(false, false, 1, &[]);
    v.extend(2u32.to_le_bytes());
    v.extend(0u32.to_le_bytes());
    v.extend((PCAP_MAX_SNAPLEN as u32).to_le_bytes());
    v.extend((PCAP_MAX_SNAPLEN as u32).to_le_bytes());
    let (frames, errors) = read_one(v);
    assert!(frames.is_empty());
    match &errors[..] {
        [CaptureError::Truncated { offset, needed, .. }] => {
            assert_eq!(*offset, 24);
            assert_eq!(*needed, PCAP_MAX_SNAPLEN);
        }
        other => panic!("expected one Truncated, got {other:?}"),
    }
}

#[test]
fn garbage_magic_is_not_a_capture() {
    let (frames, errors) = read_one(b"GIF89a, not a capture".to_vec());
    assert!(frames.is_empty());
    match &errors[..] {
        [CaptureError::NotACapture { path, magic }] => {
            assert_eq!(path, "in0");
            assert_eq!(magic, b"GIF8");
        }
        other => panic!("expected one NotACapture, got {other:?}"),
    }
    assert_eq!(errors[0].offset(), Some(0));
}

#[test]
fn empty_input_is_not_a_capture() {
    let (frames, errors) = read_one(Vec::new());
    assert!(frames.is_empty());
    match &errors[..] {
        [CaptureError::NotACapture { magic, .. }] => assert!(magic.is_empty()),
        other => panic!("expected one NotACapture, got {other:?}"),
    }
}

#[test]
fn input_shorter_than_a_magic_is_not_a_capture() {
    let (_, errors) = read_one(vec![0xd4, 0xc3, 0xb2]);
    match &errors[..] {
        [CaptureError::NotACapture { magic, .. }] => assert_eq!(magic, &[0xd4, 0xc3, 0xb2]),
        other => panic!("expected one NotACapture, got {other:?}"),
    }
}

#[test]
fn reader_returns_none_after_an_error() {
    let mut r = reader(b"nope".to_vec(), 0, CHUNK_SIZE);
    assert!(matches!(
        r.next_frame(),
        Err(CaptureError::NotACapture { .. })
    ));
    assert_eq!(r.next_frame().unwrap(), None);
}

// ---------------------------------------------------------------------------
// Merging

#[test]
fn merge_interleaves_by_timestamp_and_breaks_ties_by_input_index() {
    let a = pcap(
        false,
        false,
        1,
        &[(1, 0, &[0xa1], 1), (3, 0, &[0xa3], 1), (5, 0, &[0xa5], 1)],
    );
    // Input 1 is pcapng with raw IP, to show per-frame link types survive merging.
    let mut b = shb(false);
    b.extend(idb(false, 101, 0, &[]));
    for (s, byte) in [(2u64, 0xb2u8), (3, 0xb3), (4, 0xb4)] {
        b.extend(epb(false, 0, s * 1_000_000, &[byte], 1));
    }
    let (frames, errors) = collect(vec![reader(a, 0, CHUNK_SIZE), reader(b, 1, CHUNK_SIZE)]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        frames,
        vec![
            got(S, 1, LinkType::Ethernet, 0, &[0xa1]),
            got(2 * S, 1, LinkType::Raw, 1, &[0xb2]),
            got(3 * S, 1, LinkType::Ethernet, 0, &[0xa3]),
            got(3 * S, 1, LinkType::Raw, 1, &[0xb3]),
            got(4 * S, 1, LinkType::Raw, 1, &[0xb4]),
            got(5 * S, 1, LinkType::Ethernet, 0, &[0xa5]),
        ]
    );
}

#[test]
fn merge_ties_follow_input_order_across_three_inputs() {
    // Every frame at the same instant: output is input 0's, then 1's, then 2's,
    // frame by frame.
    let inputs: Vec<CaptureReader> = (0..3u16)
        .map(|i| {
            let recs: Vec<(u32, u32, Vec<u8>, u32)> = (0..2u8)
                .map(|k| (7, 0, vec![i as u8 * 16 + k], 1))
                .collect();
            let recs: Vec<(u32, u32, &[u8], u32)> = recs
                .iter()
                .map(|(s, f, d, l)| (*s, *f, d.as_slice(), *l))
                .collect();
            reader(pcap(false, false, 1, &recs), i, CHUNK_SIZE)
        })
        .collect();
    let (frames, errors) = collect(inputs);
    assert!(errors.is_empty(), "{errors:?}");
    let order: Vec<(u16, u8)> = frames.iter().map(|g| (g.input, g.bytes[0])).collect();
    assert_eq!(
        order,
        vec![
            (0, 0x00),
            (0, 0x01),
            (1, 0x10),
            (1, 0x11),
            (2, 0x20),
            (2, 0x21)
        ]
    );
}

#[test]
fn merge_keeps_going_after_one_input_breaks() {
    let good = pcap(false, false, 1, &[(1, 0, &[1], 1), (4, 0, &[4], 1)]);
    let broken = pcap(false, false, 1, &[(2, 0, &[2], 1), (3, 0, &[3; 8], 8)]);
    let broken = broken[..broken.len() - 4].to_vec();
    let (frames, errors) = collect(vec![
        reader(good, 0, CHUNK_SIZE),
        reader(broken, 1, CHUNK_SIZE),
        reader(b"junk".to_vec(), 2, CHUNK_SIZE),
    ]);
    let order: Vec<(i64, u16)> = frames.iter().map(|g| (g.ts_ns, g.input)).collect();
    assert_eq!(order, vec![(S, 0), (2 * S, 1), (4 * S, 0)]);
    // The bad magic is found while priming, the truncation while merging.
    let paths: Vec<(&str, Option<u64>)> = errors.iter().map(|e| (e.path(), e.offset())).collect();
    assert_eq!(paths, vec![("in2", Some(0)), ("in1", Some(24 + 17))]);
    assert!(matches!(
        errors[1],
        CaptureError::Truncated { needed: 4, .. }
    ));
}

// ---------------------------------------------------------------------------
// Chunk boundaries

/// Records of sizes chosen to straddle 64-byte chunks, one bigger than a chunk.
fn straddling_records() -> Vec<(u32, u32, Vec<u8>, u32)> {
    [10usize, 50, 200, 3, 63, 64, 65, 1]
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let data: Vec<u8> = (0..n).map(|k| (i * 31 + k) as u8).collect();
            (i as u32, 0, data, n as u32)
        })
        .collect()
}

fn as_refs(recs: &[(u32, u32, Vec<u8>, u32)]) -> Vec<(u32, u32, &[u8], u32)> {
    recs.iter()
        .map(|(s, f, d, l)| (*s, *f, d.as_slice(), *l))
        .collect()
}

#[test]
fn tiny_chunks_still_read_records_that_straddle_them() {
    let recs = straddling_records();
    let bytes = pcap(false, false, 1, &as_refs(&recs));
    let want: Vec<Got> = recs
        .iter()
        .map(|(s, _, d, l)| got(*s as i64 * S, *l, LinkType::Ethernet, 0, d))
        .collect();
    for chunk in [64, 16, 1] {
        let (frames, errors) = collect(vec![reader(bytes.clone(), 0, chunk)]);
        assert!(errors.is_empty(), "chunk {chunk}: {errors:?}");
        assert_eq!(frames, want, "chunk {chunk}");
    }
}

#[test]
fn tiny_chunks_still_read_pcapng_blocks_that_straddle_them() {
    let recs = straddling_records();
    let mut bytes = shb(false);
    bytes.extend(idb(false, 1, 0, &[]));
    for (s, _, d, l) in &recs {
        bytes.extend(epb(false, 0, *s as u64 * 1_000_000, d, *l));
    }
    let want: Vec<Got> = recs
        .iter()
        .map(|(s, _, d, l)| got(*s as i64 * S, *l, LinkType::Ethernet, 0, d))
        .collect();
    for chunk in [64, 16] {
        let (frames, errors) = collect(vec![reader(bytes.clone(), 0, chunk)]);
        assert!(errors.is_empty(), "chunk {chunk}: {errors:?}");
        assert_eq!(frames, want, "chunk {chunk}");
    }
}

#[test]
fn merged_tiny_chunks_keep_frame_bytes_valid_while_held() {
    // With several inputs the merger holds one frame per input while reading the
    // others: recycling a held chunk would corrupt it.
    let recs = straddling_records();
    let a = pcap(false, false, 1, &as_refs(&recs));
    let b = pcap(false, false, 101, &as_refs(&recs));
    let (frames, errors) = collect(vec![reader(a, 0, 64), reader(b, 1, 64)]);
    assert!(errors.is_empty(), "{errors:?}");
    let mut want = Vec::new();
    for (s, _, d, l) in &recs {
        want.push(got(*s as i64 * S, *l, LinkType::Ethernet, 0, d));
        want.push(got(*s as i64 * S, *l, LinkType::Raw, 1, d));
    }
    assert_eq!(frames, want);
}

/// A source that hands out one byte per read call.
struct OneByte(Cursor<Vec<u8>>);

impl Read for OneByte {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(1);
        self.0.read(&mut buf[..n])
    }
}

#[test]
fn short_reads_are_retried_until_a_record_is_whole() {
    let recs = straddling_records();
    let bytes = pcap(false, false, 1, &as_refs(&recs));
    let r = CaptureReader::from_reader("drip".into(), 0, Box::new(OneByte(Cursor::new(bytes))), 64);
    let (frames, errors) = collect(vec![r]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(frames.len(), recs.len());
    assert_eq!(frames[2].bytes, recs[2].2);
}

/// A source that fails after its bytes.
struct FailsAfter(Cursor<Vec<u8>>);

impl Read for FailsAfter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(io::Error::other("disk on fire")),
            n => Ok(n),
        }
    }
}

#[test]
fn read_error_is_an_io_error_naming_the_input() {
    let bytes = pcap(false, false, 1, &[(1, 0, &[1; 4], 4)]);
    let r = CaptureReader::from_reader(
        "flaky".into(),
        0,
        Box::new(FailsAfter(Cursor::new(bytes))),
        CHUNK_SIZE,
    );
    let (_, errors) = collect(vec![r]);
    match &errors[..] {
        [CaptureError::Io { path, source }] => {
            assert_eq!(path, "flaky");
            assert_eq!(source.to_string(), "disk on fire");
        }
        other => panic!("expected one Io, got {other:?}"),
    }
    assert_eq!(errors[0].offset(), None);
}

/// A record header claiming 300,000 bytes, more than the file's snaplen and
/// libpcap's 262,144 ceiling, is where the file is corrupt: reported at that
/// record's offset (as tshark does), not taken as a packet with the next
/// records' bytes inside, which moved the error to a later offset.
#[test]
fn oversized_pcap_record_is_reported_at_its_own_offset() {
    let mut bytes = pcap(false, false, 1, &[(1, 0, &[1; 60], 60)]);
    let bad = bytes.len();
    bytes.extend(u32_bytes(2, false));
    bytes.extend(u32_bytes(0, false));
    bytes.extend(u32_bytes(300_000, false));
    bytes.extend(u32_bytes(300_000, false));
    // What follows would be swallowed whole as that record's data.
    let data = [3u8; 60];
    let records: Vec<(u32, u32, &[u8], u32)> = vec![(3, 0, &data, 60); 6000];
    let after = pcap(false, false, 1, &records);
    bytes.extend_from_slice(&after[24..]);
    for chunk in [64, 4096, 1 << 20] {
        let (frames, errors) = collect(vec![reader(bytes.clone(), 0, chunk)]);
        assert_eq!(frames.len(), 1, "chunk {chunk}");
        assert_eq!(errors.len(), 1, "chunk {chunk}");
        assert_eq!(errors[0].offset(), Some(bad as u64), "chunk {chunk}");
        assert!(
            errors[0].to_string().contains("300000 captured bytes"),
            "{}",
            errors[0]
        );
    }
    // A record above a small snaplen but under the ceiling is a packet, as
    // libpcap reads it (tcpdump's test captures have such records).
    let ok = pcap(false, false, 1, &[(1, 0, &[1; 70_000], 70_000)]);
    let (frames, errors) = read_one(ok);
    assert_eq!((frames.len(), errors.len()), (1, 0));
}
