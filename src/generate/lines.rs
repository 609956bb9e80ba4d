//! People, lines and addresses: households behind subscriber lines, lines on
//! addresses of their own or shared (A+P: N lines per IPv4, each a port
//! range; mobile lines behind a carrier-grade NAT, many to an address),
//! addresses that change — and the ISP's attribution log that says
//! which line held what, when ([`crate::identity`]).
//!
//! Everything is drawn from streams keyed by the line's number, in line
//! order, so adding people appends lines and changes no earlier one (common
//! random numbers), except that address changes recycle addresses across the
//! whole range (with changes on, a bigger population moves every line's
//! later addresses).

use super::Population;
use super::engine::{host_offset, stream};
use crate::identity::Assignment;
use std::net::{IpAddr, Ipv4Addr};

/// Stream of a line's household size.
const HOUSEHOLD: u64 = 100;
/// Stream of a line's address: shared or not, and its changes.
const ADDRESS: u64 = 101;

/// Household sizes 1 to 5 (INSEE RP2022, REALISM-FACTS §1: 38.6% of
/// households are one person, 2.15 people on average; the shares of 2 to 5,
/// a stated assumption, are fitted to both: mean 2.14).
pub const HOUSEHOLD_SIZES: [f64; 5] = [0.386, 0.31, 0.14, 0.11, 0.054];

/// One subscriber line.
#[derive(Clone, Debug)]
struct Line {
    /// Its first address slot (an index mapped onto the range).
    slot: u64,
    /// Its port range on a shared address.
    ports: Option<(u16, u16)>,
    /// When its address changes (whole seconds, sorted).
    changes: Vec<i64>,
}

/// The population's lines and their addresses.
#[derive(Clone, Debug)]
pub(super) struct Lines {
    /// The line of each person.
    pub person_line: Vec<u32>,
    lines: Vec<Line>,
    /// Address slots in use at once.
    slots: u64,
    seed: u64,
    base: u64,
    hosts: u64,
}

impl Lines {
    /// The lines of `p`: `special` is the number of targets (the first
    /// people), each the head of one of the first lines, so that no two
    /// targets share a household. `base` is the range's first usable address,
    /// `hosts` its size.
    pub fn new(p: &Population, special: u32, start: i64, end: i64, base: u64, hosts: u64) -> Lines {
        let n = p.population;
        let mut person_line = vec![0u32; n as usize];
        // Lines: one per household, or one per person.
        let count;
        if p.households {
            let mut next = special;
            let mut line = 0u32;
            while line < special || next < n {
                let u = stream(p.seed, line, HOUSEHOLD, 0).unit();
                let mut size = 1 + HOUSEHOLD_SIZES
                    .iter()
                    .scan(0.0, |acc, s| {
                        *acc += s;
                        Some(*acc)
                    })
                    .take_while(|&c| c <= u)
                    .count() as u32;
                size = size.min(HOUSEHOLD_SIZES.len() as u32);
                let mut members = 0;
                if line < special {
                    person_line[line as usize] = line;
                    members += 1;
                }
                while members < size && next < n {
                    person_line[next as usize] = line;
                    next += 1;
                    members += 1;
                }
                line += 1;
            }
            count = line as usize;
        } else {
            for (i, l) in person_line.iter_mut().enumerate() {
                *l = i as u32;
            }
            count = n as usize;
        }
        let block = 65_536 / u64::from(p.lines_per_shared_address.max(1));
        let rate = p.address_changes_per_week / (7.0 * crate::capture::clock::NS_PER_DAY as f64);
        let (mut slot, mut shared, mut group) = (0u64, 0u64, 0u64);
        let (mut mobile, mut mobile_group) = (0u64, 0u64);
        let mobile_block = 65_536 / u64::from(p.mobile_lines_per_address.max(1));
        let mut lines = Vec::with_capacity(count);
        for i in 0..count {
            let mut r = stream(p.seed, i as u32, ADDRESS, 0);
            let is_shared = r.chance(p.shared_ipv4_share);
            // Drawn after, so that turning mobile lines on moves no fixed one.
            let is_mobile = !is_shared && r.chance(p.mobile_share);
            let mut changes = Vec::new();
            let (own, ports) = if is_mobile {
                let k = mobile % u64::from(p.mobile_lines_per_address.max(1));
                if k == 0 {
                    mobile_group = slot;
                    slot += 1;
                }
                mobile += 1;
                let lo = k * mobile_block;
                (
                    mobile_group,
                    Some((lo as u16, (lo + mobile_block - 1) as u16)),
                )
            } else if is_shared {
                let k = shared % u64::from(p.lines_per_shared_address.max(1));
                if k == 0 {
                    group = slot;
                    slot += 1;
                }
                shared += 1;
                let lo = k * block;
                (group, Some((lo as u16, (lo + block - 1) as u16)))
            } else {
                slot += 1;
                if rate > 0.0 {
                    let mut t = start as f64;
                    loop {
                        t += r.exp(1.0 / rate);
                        if t >= end as f64 {
                            break;
                        }
                        let s = (t as i64).div_euclid(1_000_000_000) * 1_000_000_000;
                        if s > start && changes.last() != Some(&s) {
                            changes.push(s);
                        }
                    }
                }
                (slot - 1, None)
            };
            lines.push(Line {
                slot: own,
                ports,
                changes,
            });
        }
        Lines {
            person_line,
            lines,
            slots: slot.max(1),
            seed: p.seed,
            base,
            hosts,
        }
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// The address of `slot` after `epoch` changes.
    fn address(&self, slot: u64, epoch: usize) -> [u8; 4] {
        let epochs = (self.hosts / self.slots).max(1);
        let i = slot + (epoch as u64 % epochs) * self.slots;
        ((self.base + host_offset(self.seed, self.hosts, i)) as u32).to_be_bytes()
    }

    /// Line `l`'s address at `t`.
    pub fn addr_at(&self, l: u32, t: i64) -> [u8; 4] {
        let line = &self.lines[l as usize];
        self.address(line.slot, line.changes.partition_point(|&c| c <= t))
    }

    /// Line `l`'s port range on a shared address.
    pub fn ports(&self, l: u32) -> Option<(u16, u16)> {
        self.lines[l as usize].ports
    }

    /// Whether any line's address changes (then addresses are looked up by time).
    pub fn dynamic(&self) -> bool {
        self.lines.iter().any(|l| !l.changes.is_empty())
    }

    /// The ISP's log of the period `start..end`: one row per line and address.
    pub fn assignments(&self, start: i64, end: i64) -> Vec<Assignment> {
        let mut out = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.iter().enumerate() {
            let mut from = start;
            for e in 0..=l.changes.len() {
                let to = l.changes.get(e).copied().unwrap_or(end);
                out.push(Assignment {
                    address: IpAddr::V4(Ipv4Addr::from(self.address(l.slot, e))),
                    ports: l.ports,
                    from_ns: from,
                    to_ns: to,
                    line: i as u32,
                });
                from = to;
            }
        }
        out.sort_by_key(|a| (a.address, a.ports, a.from_ns));
        out
    }
}

/// A port of a line's own range: `raw` (an ephemeral or fixed port the person's
/// device uses) mapped into `lo..=hi`, above 1023, as an A+P home router does.
pub(super) fn in_range(raw: u16, (lo, hi): (u16, u16)) -> u16 {
    // A block wholly below 1024 (the first of 64) is used as it is.
    let lo = if hi >= 1024 { lo.max(1024) } else { lo };
    lo + raw % (hi - lo + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_stay_in_the_line_s_block() {
        for raw in [0u16, 123, 5060, 32768, 60999, 65535] {
            let p = in_range(raw, (0, 16383));
            assert!((1024..=16383).contains(&p), "{raw} -> {p}");
            let p = in_range(raw, (49152, 65535));
            assert!(p >= 49152, "{raw} -> {p}");
            let p = in_range(raw, (0, 1023));
            assert!(p <= 1023, "{raw} -> {p}");
        }
    }

    #[test]
    fn households_shared_and_mobile_lines_partition_the_people() {
        let p = Population {
            population: 500,
            targets: 3,
            systems: vec![super::super::System::L851],
            households: true,
            shared_ipv4_share: 0.3,
            mobile_share: 0.2,
            address_changes_per_week: 1.0,
            days: 14,
            ..Population::default()
        };
        let (start, end) = (0, 14 * crate::capture::clock::NS_PER_DAY);
        let l = Lines::new(&p, 3, start, end, 1 << 24, 1 << 16);
        // Targets head lines 0, 1, 2 of their own.
        assert_eq!(&l.person_line[..3], &[0, 1, 2]);
        let mut sizes = vec![0u32; l.len()];
        for &line in &l.person_line {
            sizes[line as usize] += 1;
        }
        let mean = 500.0 / l.len() as f64;
        assert!((1.9..2.4).contains(&mean), "{mean} people a line");
        assert!(sizes.iter().all(|&s| (1..=5).contains(&s)));
        // No two lines hold the same address and port at the same time.
        let log = l.assignments(start, end);
        for (i, a) in log.iter().enumerate() {
            for b in &log[i + 1..] {
                let overlap_t = a.from_ns < b.to_ns && b.from_ns < a.to_ns;
                let overlap_p = match (a.ports, b.ports) {
                    (Some((x, y)), Some((u, v))) => x <= v && u <= y,
                    _ => true,
                };
                assert!(
                    a.address != b.address || a.line == b.line || !(overlap_t && overlap_p),
                    "{a:?} and {b:?}"
                );
            }
        }
        let mobile = log
            .iter()
            .filter(|a| a.ports.is_some_and(|(lo, hi)| hi - lo == 2047))
            .count();
        let shared = log
            .iter()
            .filter(|a| a.ports.is_some_and(|(lo, hi)| hi - lo == 16383))
            .count();
        assert!(
            mobile > 20 && shared > 40,
            "{mobile} mobile, {shared} shared"
        );
        assert!(
            log.len() > l.len() + 50,
            "address changes add rows: {}",
            log.len()
        );
        // Adding people appends lines: the first lines are the same.
        let more = Lines::new(
            &Population {
                population: 600,
                ..p.clone()
            },
            3,
            start,
            end,
            1 << 24,
            1 << 16,
        );
        assert_eq!(&more.person_line[..400], &l.person_line[..400]);
    }
}
