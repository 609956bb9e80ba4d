//! The flow table's index: from a flow's hash to its slot, by open
//! addressing with linear probing (Knuth, TAOCP vol. 3, §6.4, algorithm L).
//!
//! It is written here rather than taken from `hashbrown` for one reason: a
//! worker must be able to ask for the cache line a lookup will read a few
//! packets before it reads it ([`Index::prefetch`]). Under a flood of new
//! flows every lookup misses the cache at a random place: in the DNS flood
//! (perf, 3 M queries) the load of `hashbrown`'s control bytes was 7% of the
//! whole run, and the key comparisons its 7-bit tags let through 2% more.
//! DPDK's and VPP's flow tables prefetch their buckets a batch ahead for the
//! same reason.
//!
//! An entry is 8 octets: the slot (plus one, so that zero is an empty entry)
//! and the hash's high 32 bits as a tag, so that a probe compares the flow's
//! key only when the tags agree. The table is at most half full, so a probe
//! for a flow that is not there reads a few entries, nearly always one cache
//! line. Entries are never removed one by one: the flow table leaves an
//! ended flow's entry behind and rebuilds the index now and then (see
//! `FlowTable::remove`); a lookup checks the slot it finds.

/// One entry: empty when `slot` is 0.
#[derive(Clone, Copy, Default)]
struct Entry {
    /// The high half of the flow's hash.
    tag: u32,
    /// The flow's slot plus one; 0 marks an empty entry.
    slot: u32,
}

/// Fewest entries an index allocates.
const MIN_ENTRIES: usize = 16;

/// From hashes to slots.
#[derive(Default)]
pub(super) struct Index {
    /// A power of two entries (or none), at most half of them used.
    entries: Vec<Entry>,
    /// Entries used.
    len: usize,
}

fn tag(hash: u64) -> u32 {
    (hash >> 32) as u32
}

impl Index {
    /// Entries used (those of ended flows included, until a rebuild).
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Empties the index, keeping its memory.
    pub(super) fn clear(&mut self) {
        self.entries.fill(Entry::default());
        self.len = 0;
    }

    /// Where the probe for `hash` starts.
    fn home(&self, hash: u64) -> usize {
        // `entries.len()` is a power of two: the mask keeps the low bits.
        hash as usize & self.entries.len().wrapping_sub(1)
    }

    /// The first slot under `hash` for which `is_it` holds, if any.
    #[inline]
    pub(super) fn find(&self, hash: u64, mut is_it: impl FnMut(u32) -> bool) -> Option<u32> {
        let n = self.entries.len();
        let mut i = self.home(hash);
        // At most half the entries are used: the probe meets an empty one.
        for _ in 0..n {
            let e = self.entries.get(i)?;
            let slot = e.slot.checked_sub(1)?;
            if e.tag == tag(hash) && is_it(slot) {
                return Some(slot);
            }
            i = (i + 1) & (n - 1);
        }
        None
    }

    /// Adds `slot` under `hash`. `rehash` gives the hash a slot's entry must
    /// go under when the index grows.
    pub(super) fn insert(&mut self, hash: u64, slot: u32, rehash: impl Fn(u32) -> u64) {
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow(rehash);
        }
        self.put(hash, slot);
        self.len += 1;
    }

    /// Writes an entry at the first empty place of its probe.
    fn put(&mut self, hash: u64, slot: u32) {
        let n = self.entries.len();
        let mut i = self.home(hash);
        while let Some(e) = self.entries.get_mut(i) {
            if e.slot == 0 {
                *e = Entry {
                    tag: tag(hash),
                    slot: slot + 1,
                };
                return;
            }
            i = (i + 1) & (n - 1);
        }
    }

    /// Doubles the entries and puts every used one back.
    fn grow(&mut self, rehash: impl Fn(u32) -> u64) {
        let size = (self.entries.len() * 2).max(MIN_ENTRIES);
        let old = std::mem::replace(&mut self.entries, vec![Entry::default(); size]);
        for e in old {
            if let Some(slot) = e.slot.checked_sub(1) {
                self.put(rehash(slot), slot);
            }
        }
    }

    /// Asks the processor to bring in the cache line a lookup of `hash` reads
    /// first, without waiting for it.
    #[inline]
    pub(super) fn prefetch(&self, hash: u64) {
        if let Some(e) = self.entries.get(self.home(hash)) {
            prefetch_read(e);
        }
    }
}

/// A hint that `p` will be read soon (the cache line it starts in).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn prefetch_read<T: ?Sized>(p: &T) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch reads nothing the program sees and never faults,
    // whatever the address; SSE, which it needs, is part of x86_64.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(p).cast::<i8>()) }
}

/// Elsewhere, no hint.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(crate) fn prefetch_read<T: ?Sized>(_: &T) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_put_and_grows() {
        let hashes: Vec<u64> = (0..1000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let mut ix = Index::default();
        assert_eq!(ix.find(hashes[0], |_| true), None);
        for (slot, &h) in hashes.iter().enumerate() {
            ix.insert(h, slot as u32, |s| hashes[s as usize]);
        }
        assert_eq!(ix.len(), 1000);
        assert!(ix.entries.len() >= 2000 && ix.entries.len().is_power_of_two());
        for (slot, &h) in hashes.iter().enumerate() {
            assert_eq!(ix.find(h, |s| s == slot as u32), Some(slot as u32));
            ix.prefetch(h);
        }
        // A hash never put is not found, whatever `is_it` says.
        assert_eq!(ix.find(0xdead_beef_0000_0001, |_| true), None);
        ix.clear();
        assert_eq!(ix.len(), 0);
        assert_eq!(ix.find(hashes[7], |_| true), None);
    }

    #[test]
    fn equal_hashes_probe_on_and_is_it_decides() {
        let mut ix = Index::default();
        for slot in 0..40u32 {
            ix.insert(42, slot, |_| 42);
        }
        for slot in 0..40u32 {
            assert_eq!(ix.find(42, |s| s == slot), Some(slot));
        }
        assert_eq!(ix.find(42, |_| false), None);
        // Same low bits, another tag: not a match.
        assert_eq!(ix.find(42 | (1 << 40), |_| true), None);
    }
}
