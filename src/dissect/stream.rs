//! Bounded in-order TCP reassembly, one direction at a time.
//!
//! Segments are placed by sequence number (RFC 9293 §3.4, modulo 2^32): in-order
//! data is appended, retransmitted bytes are dropped, overlapping segments
//! contribute only their new tail, and segments ahead of a hole wait in a small
//! out-of-order store. Every limit has a name, and hitting it is an anomaly:
//!
//! | anomaly | meaning |
//! | --- | --- |
//! | `tcp.out_of_order` | a segment arrived ahead of a hole and was held |
//! | `tcp.overlap` | a segment overlapped bytes already delivered; its new tail was kept |
//! | `tcp.ooo_cap` | the out-of-order store was full: the hole is given up (`tcp.gap`) |
//! | `tcp.gap` | a hole was never filled: the stream stops for the dissector |
//! | `tcp.buffer_cap` | the dissector left more than [`BUFFER_CAP`] bytes unconsumed |
//!
//! After a gap or a cap the direction is *dead*: the dissector sees nothing more
//! (its message boundaries can no longer be trusted).

use std::collections::BTreeMap;

/// Most unconsumed in-order bytes kept for a dissector.
pub const BUFFER_CAP: usize = 64 << 10;
/// Most bytes held ahead of a hole.
pub const OOO_CAP: usize = 32 << 10;
/// Most segments held ahead of a hole.
pub const OOO_SEGMENTS: usize = 32;

/// One direction of a TCP connection as the dissector sees it.
#[derive(Debug, Default)]
pub struct Stream {
    /// Next expected sequence number, once known.
    next: Option<u32>,
    /// In-order bytes not yet consumed by the dissector.
    buf: Vec<u8>,
    /// Segments ahead of a hole: (sequence number, bytes).
    ooo: Vec<(u32, Vec<u8>)>,
    ooo_bytes: usize,
    /// Bytes still to drop before buffering (the dissector skipped ahead).
    skip: u64,
    dead: bool,
}

/// Sequence-number arithmetic modulo 2^32: `a - b` as a signed distance.
#[inline]
fn diff(a: u32, b: u32) -> i64 {
    a.wrapping_sub(b) as i32 as i64
}

impl Stream {
    /// A direction whose next expected sequence number is already known (or
    /// not, with `None`), as if the segments that told it had been pushed.
    pub fn expecting(next: Option<u32>) -> Stream {
        Stream {
            next,
            ..Stream::default()
        }
    }

    /// The sequence number of a segment's first data octet: a SYN takes one
    /// number before the data.
    pub fn data_start(seq: u32, syn: bool) -> u32 {
        if syn { seq.wrapping_add(1) } else { seq }
    }

    /// Whether the direction was given up.
    pub fn is_dead(&self) -> bool {
        self.dead
    }

    /// Gives the direction up (the dissector is done with it).
    pub fn kill(&mut self) {
        self.dead = true;
        self.buf = Vec::new();
        self.ooo = Vec::new();
        self.ooo_bytes = 0;
    }

    /// In-order bytes waiting for the dissector.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// The dissector used `n` bytes (more than pending: skip the excess too).
    pub fn consume(&mut self, n: u64) {
        let have = self.buf.len() as u64;
        if n >= have {
            self.buf.clear();
            self.skip = self.skip.saturating_add(n - have);
        } else {
            self.buf.drain(..n as usize);
        }
    }

    /// Adds one segment: `seq` is its sequence number, `syn` whether it carries
    /// SYN (which takes one number before the data). Anomalies go to `anomaly`.
    pub fn push(
        &mut self,
        seq: u32,
        syn: bool,
        data: &[u8],
        anomaly: &mut impl FnMut(&'static str),
    ) {
        if self.dead {
            return;
        }
        let seq = Stream::data_start(seq, syn);
        let next = *self.next.get_or_insert(seq);
        if data.is_empty() {
            return;
        }
        let d = diff(seq, next);
        if d > 0 {
            if self.ooo.len() >= OOO_SEGMENTS || self.ooo_bytes + data.len() > OOO_CAP {
                anomaly("tcp.ooo_cap");
                anomaly("tcp.gap");
                return self.kill();
            }
            anomaly("tcp.out_of_order");
            self.ooo_bytes += data.len();
            self.ooo.push((seq, data.to_vec()));
            return;
        }
        // Bytes before `next` were delivered already.
        let old = (-d) as usize;
        if old >= data.len() {
            return;
        }
        if old > 0 {
            anomaly("tcp.overlap");
        }
        self.deliver(&data[old..], anomaly);
        self.drain_ooo(anomaly);
    }

    fn deliver(&mut self, data: &[u8], anomaly: &mut impl FnMut(&'static str)) {
        if let Some(n) = self.next.as_mut() {
            *n = n.wrapping_add(data.len() as u32);
        }
        let skip = self.skip.min(data.len() as u64) as usize;
        self.skip -= skip as u64;
        let data = &data[skip..];
        if self.buf.len() + data.len() > BUFFER_CAP {
            anomaly("tcp.buffer_cap");
            return self.kill();
        }
        self.buf.extend_from_slice(data);
    }

    /// Moves held segments that now touch `next` into the buffer.
    fn drain_ooo(&mut self, anomaly: &mut impl FnMut(&'static str)) {
        while !self.dead {
            let Some(next) = self.next else { return };
            let Some(i) = self.ooo.iter().position(|(s, _)| diff(*s, next) <= 0) else {
                return;
            };
            let (seq, data) = self.ooo.swap_remove(i);
            self.ooo_bytes -= data.len();
            let old = diff(next, seq) as usize;
            if old < data.len() {
                self.deliver(&data[old..], anomaly);
            }
        }
    }

    /// Counts the holes left when the connection ends.
    pub fn finish(&mut self, anomaly: &mut impl FnMut(&'static str)) {
        if !self.ooo.is_empty() && !self.dead {
            anomaly("tcp.gap");
        }
        self.kill();
    }
}

/// Counts anomalies into a map (the shape workers keep).
pub fn counter<'a>(map: &'a mut BTreeMap<&'static str, u64>) -> impl FnMut(&'static str) + 'a {
    move |name| *map.entry(name).or_default() += 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(segs: &[(u32, bool, &[u8])]) -> (Vec<u8>, BTreeMap<&'static str, u64>, bool) {
        let mut s = Stream::default();
        let mut a = BTreeMap::new();
        for (seq, syn, data) in segs {
            s.push(*seq, *syn, data, &mut counter(&mut a));
        }
        (s.pending().to_vec(), a, s.is_dead())
    }

    #[test]
    fn in_order_segments_after_syn_are_joined() {
        let (buf, a, dead) = run(&[(100, true, b""), (101, false, b"hel"), (104, false, b"lo")]);
        assert_eq!(buf, b"hello");
        assert!(a.is_empty() && !dead);
    }

    #[test]
    fn out_of_order_segment_waits_for_the_hole() {
        let (buf, a, _) = run(&[(100, true, b""), (104, false, b"lo"), (101, false, b"hel")]);
        assert_eq!(buf, b"hello");
        assert_eq!(a.get("tcp.out_of_order"), Some(&1));
    }

    #[test]
    fn retransmission_is_dropped_and_overlap_keeps_its_tail() {
        let (buf, a, _) = run(&[
            (1, true, b""),
            (2, false, b"abc"),
            (2, false, b"abc"),
            (3, false, b"bcdef"),
        ]);
        assert_eq!(buf, b"abcdef");
        assert_eq!(a.get("tcp.overlap"), Some(&1));
    }

    #[test]
    fn sequence_numbers_wrap_around() {
        let start = u32::MAX - 2;
        let (buf, a, _) = run(&[
            (start, true, b""),
            (u32::MAX - 1, false, b"ab"),
            (0, false, b"cd"),
        ]);
        assert_eq!(buf, b"abcd");
        assert!(a.is_empty());
    }

    #[test]
    fn a_full_out_of_order_store_is_a_gap_and_kills_the_direction() {
        let big = vec![0u8; OOO_CAP];
        let (buf, a, dead) = run(&[(0, true, b""), (10, false, &big), (100_000, false, b"x")]);
        assert!(dead && buf.is_empty());
        assert_eq!(a.get("tcp.ooo_cap"), Some(&1));
        assert_eq!(a.get("tcp.gap"), Some(&1));
    }

    #[test]
    fn unconsumed_bytes_over_the_cap_kill_the_direction() {
        let chunk = vec![1u8; 1000];
        let mut s = Stream::default();
        let mut a = BTreeMap::new();
        s.push(0, true, b"", &mut counter(&mut a));
        let mut seq = 1u32;
        for _ in 0..=(BUFFER_CAP / 1000) {
            s.push(seq, false, &chunk, &mut counter(&mut a));
            seq += 1000;
        }
        assert!(s.is_dead());
        assert_eq!(a.get("tcp.buffer_cap"), Some(&1));
    }

    #[test]
    fn consuming_past_the_buffer_skips_later_bytes() {
        let mut s = Stream::default();
        let mut a = BTreeMap::new();
        s.push(0, true, b"", &mut counter(&mut a));
        s.push(1, false, b"HEAD", &mut counter(&mut a));
        s.consume(4 + 6); // head plus a 6-byte body not seen yet
        s.push(5, false, b"body..NEXT", &mut counter(&mut a));
        assert_eq!(s.pending(), b"NEXT");
    }

    #[test]
    fn a_stream_picked_up_mid_connection_starts_at_its_first_segment() {
        let (buf, a, _) = run(&[(5000, false, b"mid"), (5003, false, b"dle")]);
        assert_eq!(buf, b"middle");
        assert!(a.is_empty());
    }
}
