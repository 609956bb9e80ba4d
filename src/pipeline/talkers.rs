//! The top-talkers table in bounded memory: the Space-Saving algorithm
//! (Metwally, Agrawal and El Abbadi, 2005), weighted by bytes.
//!
//! At most [`CAPACITY`] addresses are tracked per worker. While no more than
//! that many distinct addresses have been seen, every count is exact. Past it,
//! a new address takes the slot of the one with the fewest bytes and inherits
//! its byte count as a bound on its error: the bytes then over-estimate by at
//! most that bound, and any address that carried more than 1/[`CAPACITY`] of
//! all bytes is certainly in the table. A flood of random addresses thus costs
//! a fixed table and a few cache lines per flow, not a map that grows with the
//! flood.

use foldhash::fast::FixedState;
use hashbrown::HashMap;

use crate::decode::Addr;

/// Addresses tracked per worker.
pub const CAPACITY: usize = 1 << 12;

/// Children per heap node.
const ARITY: usize = 4;

/// One tracked address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Bytes sent and received (an over-estimate by at most `error`).
    pub bytes: u64,
    /// Packets sent and received since the address entered the table.
    pub packets: u64,
    /// Flows since the address entered the table.
    pub flows: u64,
    /// Bytes the address may have been credited with that were another's.
    pub error: u64,
}

/// A Space-Saving summary of bytes per address.
pub struct Talkers {
    capacity: usize,
    slots: HashMap<Addr, u32, FixedState>,
    entries: Vec<(Addr, Counts)>,
    /// A 4-ary min-heap of (bytes, entry index): the bytes are copied here so
    /// that restoring the heap reads one small array, not the entries, and the
    /// four children of a node share a cache line: under a flood of new
    /// addresses every flow sifts a replaced minimum to the bottom, 6 levels
    /// deep for 4,096 entries instead of a binary heap's 12.
    heap: Vec<(u64, u32)>,
    /// Where each entry sits in `heap`.
    at: Vec<u32>,
    replaced: bool,
}

impl Default for Talkers {
    fn default() -> Self {
        Talkers::with_capacity(CAPACITY)
    }
}

impl Talkers {
    /// A summary tracking at most `capacity` addresses (at least 1).
    pub fn with_capacity(capacity: usize) -> Self {
        Talkers {
            capacity: capacity.max(1),
            slots: HashMap::default(),
            entries: Vec::new(),
            heap: Vec::new(),
            at: Vec::new(),
            replaced: false,
        }
    }

    /// Whether an address ever took another's slot (counts are then bounds).
    pub fn approximate(&self) -> bool {
        self.replaced
    }

    /// Adds one flow of `bytes` and `packets` to address `a`.
    pub fn add(&mut self, a: Addr, bytes: u64, packets: u64) {
        let i = match self.slots.get(&a) {
            Some(&i) => i as usize,
            None if self.entries.len() < self.capacity => {
                let i = self.entries.len();
                self.entries.push((a, Counts::default()));
                self.at.push(self.heap.len() as u32);
                self.heap.push((0, i as u32));
                self.slots.insert(a, i as u32);
                i
            }
            None => {
                // The address with the fewest bytes gives way.
                let i = self.heap[0].1 as usize;
                let (old, c) = self.entries[i];
                self.slots.remove(&old);
                self.slots.insert(a, i as u32);
                self.entries[i] = (
                    a,
                    Counts {
                        bytes: c.bytes,
                        packets: 0,
                        flows: 0,
                        error: c.bytes,
                    },
                );
                self.replaced = true;
                i
            }
        };
        let c = &mut self.entries[i].1;
        c.bytes += bytes;
        c.packets += packets;
        c.flows += 1;
        let p = self.at[i] as usize;
        self.heap[p].0 = c.bytes;
        // A new entry sits last and may be below its parent; a grown one
        // may be above its children.
        let p = self.sift_up(p);
        self.sift_down(p);
    }

    fn swap(&mut self, p: usize, q: usize) {
        self.heap.swap(p, q);
        self.at[self.heap[p].1 as usize] = p as u32;
        self.at[self.heap[q].1 as usize] = q as u32;
    }

    /// Moves the node at `p` up while it is below its parent; returns where
    /// it ends.
    fn sift_up(&mut self, mut p: usize) -> usize {
        while p > 0 {
            let parent = (p - 1) / ARITY;
            if self.heap[parent].0 <= self.heap[p].0 {
                break;
            }
            self.swap(p, parent);
            p = parent;
        }
        p
    }

    /// Restores the heap below position `p` after its entry's bytes grew.
    fn sift_down(&mut self, mut p: usize) {
        let n = self.heap.len();
        loop {
            let first = ARITY * p + 1;
            let mut least = p;
            for child in first..(first + ARITY).min(n) {
                if self.heap[child].0 < self.heap[least].0 {
                    least = child;
                }
            }
            if least == p {
                return;
            }
            self.swap(p, least);
            p = least;
        }
    }

    /// The tracked addresses and their counts, in no particular order.
    pub fn into_entries(self) -> impl Iterator<Item = (Addr, Counts)> {
        self.entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(n: u32) -> Addr {
        Addr::v4(n.into())
    }

    fn heap_holds(t: &Talkers) {
        for p in 1..t.heap.len() {
            assert!(t.heap[(p - 1) / ARITY].0 <= t.heap[p].0);
        }
        for (p, &(bytes, i)) in t.heap.iter().enumerate() {
            assert_eq!(t.at[i as usize] as usize, p);
            assert_eq!(t.entries[i as usize].1.bytes, bytes);
        }
    }

    #[test]
    fn below_capacity_every_count_is_exact() {
        let mut t = Talkers::with_capacity(8);
        for k in 0..100u64 {
            t.add(v4((k % 5) as u32), k, 1);
            heap_holds(&t);
        }
        assert!(!t.approximate());
        let mut e: Vec<_> = t.into_entries().collect();
        e.sort_by_key(|(a, _)| *a);
        // Address k%5 == 0 got 0+5+...+95 = 950 bytes in 20 flows.
        assert_eq!(
            e[0].1,
            Counts {
                bytes: 950,
                packets: 20,
                flows: 20,
                error: 0
            }
        );
        assert_eq!(e.len(), 5);
    }

    #[test]
    fn the_least_stays_on_top_whatever_the_order_of_arrival() {
        // Addresses arriving with ever smaller flows: each new entry is below
        // its parent and must rise, or the next replacement takes the wrong one.
        let mut t = Talkers::with_capacity(40);
        for k in 0..40u32 {
            t.add(v4(k), 1_000 - u64::from(k) * 10, 1);
            heap_holds(&t);
        }
        assert_eq!(t.heap[0].0, 1_000 - 39 * 10);
        // The next newcomer replaces address 39, the smallest.
        t.add(v4(500), 1, 1);
        heap_holds(&t);
        let e: Vec<_> = t.into_entries().collect();
        assert!(e.iter().all(|(a, _)| *a != v4(39)));
        assert!(e.iter().any(|(a, c)| *a == v4(500) && c.error == 610));
    }

    #[test]
    fn a_heavy_hitter_survives_a_flood_of_new_addresses() {
        let mut t = Talkers::with_capacity(64);
        let heavy = v4(7);
        for k in 0..100_000u32 {
            t.add(v4(1_000 + k), 100, 1);
            if k % 10 == 0 {
                t.add(heavy, 5_000, 4);
            }
        }
        heap_holds(&t);
        assert!(t.approximate());
        let e: Vec<_> = t.into_entries().collect();
        assert_eq!(e.len(), 64);
        let (_, c) = e
            .iter()
            .find(|(a, _)| *a == heavy)
            .expect("the heavy hitter is kept");
        // Its true total is 10,000 × 5,000 bytes; the bound holds.
        let truth = 10_000 * 5_000;
        assert!(c.bytes >= truth && c.bytes - c.error <= truth, "{c:?}");
        let top = e.iter().max_by_key(|(_, c)| c.bytes).unwrap();
        assert_eq!(top.0, heavy);
    }
}
