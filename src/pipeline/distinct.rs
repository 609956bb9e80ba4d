//! Counting distinct subscribers in bounded memory.
//!
//! Exact up to [`EXACT_CAP`] addresses per worker, so ordinary runs report the
//! true count; past it (a flood of random addresses) the set is dropped and the
//! count comes from a HyperLogLog sketch of 2^14 one-byte registers (16 kB,
//! standard error about 0.8%), which every address also updates.

use foldhash::fast::FixedState;
use hashbrown::HashSet;

use crate::decode::Addr;
use crate::flow::addr_hash;

/// Addresses a worker counts exactly before it switches to the sketch.
pub const EXACT_CAP: usize = 1 << 18;
const P: u32 = 14;
const M: usize = 1 << P;

/// A distinct-address counter. Travels (between the processes of a
/// cluster) as its exact set, if it still has one, and its registers.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(from = "Wire", into = "Wire")]
pub struct Distinct {
    exact: Option<HashSet<Addr, FixedState>>,
    regs: Box<[u8]>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    exact: Option<Vec<Addr>>,
    regs: Vec<u8>,
}

impl From<Wire> for Distinct {
    fn from(w: Wire) -> Distinct {
        let mut regs = w.regs;
        regs.resize(M, 0);
        Distinct {
            exact: w.exact.map(|v| v.into_iter().collect()),
            regs: regs.into_boxed_slice(),
        }
    }
}

impl From<Distinct> for Wire {
    fn from(d: Distinct) -> Wire {
        Wire {
            exact: d.exact.map(|s| s.into_iter().collect()),
            regs: d.regs.into_vec(),
        }
    }
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct {
            exact: Some(HashSet::default()),
            regs: vec![0; M].into_boxed_slice(),
        }
    }
}

impl Distinct {
    /// Counts one address.
    pub fn insert(&mut self, a: Addr) {
        let h = addr_hash(&a);
        let idx = (h >> (64 - P)) as usize;
        let rank = ((h << P) | (1 << (P - 1))).leading_zeros() as u8 + 1;
        if self.regs[idx] < rank {
            self.regs[idx] = rank;
        }
        if let Some(set) = &mut self.exact {
            set.insert(a);
            if set.len() > EXACT_CAP {
                self.exact = None;
            }
        }
    }

    /// The distinct count over several counters, and whether it is an
    /// estimate: exact while the union holds at most [`EXACT_CAP`] addresses,
    /// however many counters hold them (so the answer does not depend on how
    /// the work was split among threads or processes).
    pub fn merged(parts: Vec<Distinct>) -> (u64, bool) {
        let mut regs = vec![0u8; M];
        let mut exact: Option<HashSet<Addr, FixedState>> = Some(HashSet::default());
        for p in parts {
            for (r, q) in regs.iter_mut().zip(p.regs.iter()) {
                *r = (*r).max(*q);
            }
            exact = match (exact, p.exact) {
                (Some(mut a), Some(b)) => {
                    a.extend(b);
                    Some(a)
                }
                _ => None,
            };
        }
        if let Some(set) = exact.filter(|s| s.len() <= EXACT_CAP) {
            return (set.len() as u64, false);
        }
        let m = M as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let sum: f64 = regs.iter().map(|&r| 2f64.powi(-(r as i32))).sum();
        let zeros = regs.iter().filter(|&&r| r == 0).count();
        let raw = alpha * m * m / sum;
        let est = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        (est.round() as u64, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(i: u32) -> Addr {
        Addr::v4(std::net::Ipv4Addr::from(0x0a00_0000 + i))
    }

    #[test]
    fn exact_below_the_cap_estimated_above() {
        let mut a = Distinct::default();
        let mut b = Distinct::default();
        for i in 0..1000 {
            a.insert(addr(i));
            b.insert(addr(i + 500));
        }
        assert_eq!(Distinct::merged(vec![a, b]), (1500, false));
        let n = 3 * EXACT_CAP as u32;
        let mut c = Distinct::default();
        for i in 0..n {
            c.insert(addr(i));
        }
        assert!(c.exact.is_none(), "the set is dropped past the cap");
        let (est, approx) = Distinct::merged(vec![c]);
        assert!(approx);
        let err = (est as f64 - n as f64).abs() / n as f64;
        assert!(err < 0.03, "{est} for {n}");
    }
}
