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
//! | `tcp.gap` | a hole was never filled (segments lost before the capture point) |
//! | `tcp.gap_skipped` | the hole fell inside bytes the dissector had skipped (a body of known length): nothing lost |
//! | `tcp.buffer_cap` | the dissector left more than [`BUFFER_CAP`] bytes unconsumed |
//!
//! A hole is given up when the out-of-order store is full or the connection
//! ends: the stream jumps over it to the held bytes. When the hole lies inside
//! bytes the dissector said it would skip (an HTTP body whose length is
//! known), the skip is shortened by the hole and the stream goes on exactly.
//! Otherwise the dissector's place in its messages is lost: the bytes it had
//! not consumed are dropped and [`Stream::take_gap`] says so once; a
//! dissector that can find its next message resynchronises
//! ([`super::Session::gap`]), any other gives the direction up.
//! After a buffer cap the direction is *dead*: the dissector sees nothing more.

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
    /// A hole was jumped where the dissector was reading: its place is lost.
    gap: bool,
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

    /// Whether a hole was jumped where the dissector was reading since the
    /// last call (the bytes it had not consumed were dropped).
    pub fn take_gap(&mut self) -> bool {
        std::mem::take(&mut self.gap)
    }

    /// Whether segments wait behind a hole.
    pub fn has_held(&self) -> bool {
        !self.ooo.is_empty()
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
                self.ooo_bytes += data.len();
                self.ooo.push((seq, data.to_vec()));
                self.jump(anomaly);
                return;
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

    /// Gives up the first hole: the stream goes on at the earliest held
    /// segment, and the held segments that now follow are delivered.
    pub fn jump(&mut self, anomaly: &mut impl FnMut(&'static str)) {
        let (Some(next), false) = (self.next, self.dead) else {
            return;
        };
        let Some(first) = self
            .ooo
            .iter()
            .map(|(s, _)| diff(*s, next))
            .filter(|d| *d > 0)
            .min()
        else {
            return self.drain_ooo(anomaly);
        };
        anomaly("tcp.gap");
        let hole = first as u64;
        if self.skip >= hole {
            anomaly("tcp.gap_skipped");
            self.skip -= hole;
        } else {
            self.skip = 0;
            self.buf.clear();
            self.gap = true;
        }
        self.next = Some(next.wrapping_add(first as u32));
        self.drain_ooo(anomaly);
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
    fn a_full_out_of_order_store_jumps_the_hole_and_drops_the_partial_message() {
        let big = vec![7u8; OOO_CAP];
        let mut s = Stream::default();
        let mut a = BTreeMap::new();
        for (seq, syn, data) in [(0, true, &b""[..]), (1, false, b"part"), (20, false, &big)] {
            s.push(seq, syn, data, &mut counter(&mut a));
        }
        assert_eq!(s.pending(), b"part");
        s.push(20 + OOO_CAP as u32, false, b"xy", &mut counter(&mut a));
        assert!(!s.is_dead() && s.take_gap() && !s.take_gap());
        assert_eq!(s.pending().len(), OOO_CAP + 2);
        assert_eq!(&s.pending()[OOO_CAP..], b"xy");
        assert_eq!(a.get("tcp.ooo_cap"), Some(&1));
        assert_eq!(a.get("tcp.gap"), Some(&1));
    }

    #[test]
    fn a_hole_inside_a_skipped_body_is_no_loss() {
        let mut s = Stream::default();
        let mut a = BTreeMap::new();
        s.push(0, true, b"", &mut counter(&mut a));
        s.push(1, false, b"HEAD", &mut counter(&mut a));
        s.consume(4 + 10); // a 10-byte body follows
        s.push(5, false, b"bo", &mut counter(&mut a));
        // Bytes 7..12 are lost; the last 3 of the body and the next message held.
        s.push(12, false, b"dy.NEXT", &mut counter(&mut a));
        s.jump(&mut counter(&mut a));
        assert_eq!(s.pending(), b"NEXT");
        assert!(!s.take_gap());
        assert_eq!(a.get("tcp.gap_skipped"), Some(&1));
        // A hole longer than what is left to skip: the place is lost.
        let mut s = Stream::default();
        s.push(0, true, b"", &mut counter(&mut a));
        s.consume(3);
        s.push(10, false, b"tail", &mut counter(&mut a));
        s.jump(&mut counter(&mut a));
        assert!(s.take_gap());
        assert_eq!(s.pending(), b"tail");
    }

    #[test]
    fn each_jump_gives_up_one_hole() {
        let mut s = Stream::default();
        let mut a = BTreeMap::new();
        for (seq, data) in [(1, &b"a"[..]), (30, b"c"), (10, b"b")] {
            s.push(seq, false, data, &mut counter(&mut a));
        }
        s.jump(&mut counter(&mut a));
        assert!(s.take_gap() && s.has_held());
        assert_eq!(s.pending(), b"b");
        s.consume(1);
        s.jump(&mut counter(&mut a));
        assert!(s.take_gap() && !s.has_held());
        assert_eq!(s.pending(), b"c");
        assert_eq!(a.get("tcp.gap"), Some(&2));
    }
}
