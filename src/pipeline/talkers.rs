//! The top-talkers table in bounded memory: weighted Misra-Gries with batched
//! purges (Misra and Gries, 1982; the "reverse purge" of Apache DataSketches'
//! frequent-items sketch), over the bytes of each address.
//!
//! At most [`CAPACITY`] addresses are tracked per worker. While no more than
//! that many distinct addresses have been seen, every count is exact. When the
//! table is full, a purge subtracts from every count the (`KEEP`+1)-th largest
//! count, drops the addresses left at zero (all but the `KEEP` = [`CAPACITY`]/2
//! heaviest at most) and adds what it subtracted to an `offset`. Each purge
//! removes at least `KEEP`+1 times that amount from counts that never exceed the
//! bytes seen, so `offset` stays below 1/(`KEEP`+1) of all bytes. An address's
//! true bytes lie between its count and its count plus `offset`: every address
//! that carried more than `offset` is in the table, and the bytes reported
//! (count plus `offset`) over-estimate by at most `offset`.
//!
//! Under a flood of random addresses, each newcomer costs one hash insertion
//! and, once per `KEEP` newcomers, a share of one linear-time purge: no
//! per-flow heap to restore (a Space-Saving heap sifted a replaced minimum
//! through every level, twice a flow, and was the flood's largest cost).

use foldhash::fast::FixedState;
use hashbrown::HashMap;

use crate::decode::Addr;

/// Addresses tracked per worker at most.
pub const CAPACITY: usize = 1 << 13;

/// One tracked address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Bytes sent and received (an over-estimate by at most `error`).
    pub bytes: u64,
    /// Packets sent and received since the address entered the table.
    pub packets: u64,
    /// Flows since the address entered the table.
    pub flows: u64,
    /// Bytes the address may have been credited with that were not its own.
    pub error: u64,
}

/// A Misra-Gries summary of bytes per address.
pub struct Talkers {
    capacity: usize,
    slots: HashMap<Addr, u32, FixedState>,
    /// Address and its counts; `bytes` there is the count without `offset`.
    entries: Vec<(Addr, Counts)>,
    /// What the purges subtracted from every count, in all.
    offset: u64,
    /// Scratch for the purge's selection.
    scratch: Vec<u64>,
}

impl Default for Talkers {
    fn default() -> Self {
        Talkers::with_capacity(CAPACITY)
    }
}

impl Talkers {
    /// A summary tracking at most `capacity` addresses (at least 2).
    pub fn with_capacity(capacity: usize) -> Self {
        Talkers {
            capacity: capacity.max(2),
            slots: HashMap::default(),
            entries: Vec::new(),
            offset: 0,
            scratch: Vec::new(),
        }
    }

    /// Whether a purge ever happened (counts are then bounds).
    pub fn approximate(&self) -> bool {
        self.offset > 0
    }

    /// Adds one flow of `bytes` and `packets` to address `a`.
    pub fn add(&mut self, a: Addr, bytes: u64, packets: u64) {
        let i = match self.slots.get(&a) {
            Some(&i) => i as usize,
            None => {
                if self.entries.len() >= self.capacity {
                    self.purge();
                }
                let i = self.entries.len();
                self.entries.push((a, Counts::default()));
                self.slots.insert(a, i as u32);
                i
            }
        };
        let c = &mut self.entries[i].1;
        c.bytes += bytes;
        c.packets += packets;
        c.flows += 1;
    }

    /// Subtracts the (`KEEP`+1)-th largest count from every count and drops the
    /// addresses left at zero.
    fn purge(&mut self) {
        let keep = self.capacity / 2;
        self.scratch.clear();
        self.scratch
            .extend(self.entries.iter().map(|(_, c)| c.bytes));
        let (_, &mut cut, _) = self.scratch.select_nth_unstable_by(keep, |x, y| y.cmp(x));
        // A purge over all-zero counts (flows of no bytes) must still make room.
        let cut = cut.max(1);
        self.offset += cut;
        self.entries.retain_mut(|(_, c)| {
            c.bytes = c.bytes.saturating_sub(cut);
            c.bytes > 0
        });
        self.slots.clear();
        for (i, (a, _)) in self.entries.iter().enumerate() {
            self.slots.insert(*a, i as u32);
        }
    }

    /// The tracked addresses and their counts, in no particular order.
    pub fn into_entries(self) -> impl Iterator<Item = (Addr, Counts)> {
        let offset = self.offset;
        self.entries.into_iter().map(move |(a, c)| {
            (
                a,
                Counts {
                    bytes: c.bytes + offset,
                    error: offset,
                    ..c
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(n: u32) -> Addr {
        Addr::v4(n.into())
    }

    #[test]
    fn below_capacity_every_count_is_exact() {
        let mut t = Talkers::with_capacity(8);
        for k in 0..100u64 {
            t.add(v4((k % 5) as u32), k, 1);
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
    fn every_count_brackets_the_truth_and_every_heavy_address_is_kept() {
        // Skewed traffic over 5,000 addresses through a 64-address table:
        // address k gets flows of 10_000 / (k + 1) bytes, the first few often.
        let mut t = Talkers::with_capacity(64);
        let mut truth = std::collections::HashMap::new();
        let mut total = 0u64;
        let mut x = 12_345u64;
        for _ in 0..200_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let r = (x >> 33) % 5_000;
            // Squaring the uniform draw skews it towards small k.
            let k = (r * r / 5_000) as u32;
            let bytes = 10_000 / (u64::from(k) + 1);
            t.add(v4(k), bytes, 1);
            *truth.entry(k).or_insert(0u64) += bytes;
            total += bytes;
        }
        assert!(t.approximate());
        let offset = t.offset;
        assert!(offset * 33 <= total, "offset {offset} of {total}");
        let e: std::collections::HashMap<_, _> = t.into_entries().collect();
        assert!(e.len() <= 64);
        for (k, &bytes) in &truth {
            match e.get(&v4(*k)) {
                Some(c) => {
                    assert_eq!(c.error, offset);
                    assert!(c.bytes >= bytes && c.bytes - c.error <= bytes, "{k}: {c:?}");
                }
                None => assert!(bytes <= offset, "{k} carried {bytes} > {offset}"),
            }
        }
        // The heaviest address is kept and ranks first.
        let top = e.iter().max_by_key(|(_, c)| c.bytes).unwrap();
        assert_eq!(*top.0, v4(0));
    }

    #[test]
    fn flows_of_no_bytes_still_make_room() {
        let mut t = Talkers::with_capacity(4);
        for k in 0..100u32 {
            t.add(v4(k), 0, 1);
        }
        t.add(v4(1_000), 500, 1);
        let e: Vec<_> = t.into_entries().collect();
        assert!(e.len() <= 4);
        assert!(e.iter().any(|(a, c)| *a == v4(1_000) && c.bytes >= 500));
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
        assert!(t.approximate());
        let e: Vec<_> = t.into_entries().collect();
        assert!(!e.is_empty() && e.len() <= 64, "{}", e.len());
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
