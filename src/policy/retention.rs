//! What a box holds, and for how long: the retention buffer, the cooldown
//! between two alerts about one person, and the identification quota.
//!
//! The buffer keeps what a box ingests in buckets of a fixed length
//! ([`retention_bucket`]); a bucket is purged whole when its oldest possible
//! item reaches the retention limit, so nothing is ever held longer than the
//! law allows. Sums are integers (bytes, and ns for the time integrals), so
//! what the buffer reports does not depend on the order of equal-time items.

use std::collections::BTreeMap;

// foldhash (hashbrown's default), not SipHash: touched for every observation.
use hashbrown::HashMap;

use crate::capture::clock;
use crate::decode::Addr;
use crate::scenario::Span;

/// The size of a retention bucket: items are purged by the bucket, when the
/// bucket's oldest possible item reaches the retention limit, so nothing is
/// ever kept longer than the limit (the newest items of a bucket leave up to one
/// bucket early).
pub fn retention_bucket(retention_ns: i64) -> i64 {
    (retention_ns / 24).clamp(clock::NS_PER_S, clock::NS_PER_HOUR)
}

/// One bucket of the buffer.
#[derive(Debug, Default)]
struct Bucket {
    /// The authorisation window (index among the box's windows) it was filled in.
    window: usize,
    bytes: u64,
    records: u64,
    /// Σ ingest time of its records, and Σ time × bytes, ns (for the
    /// record-days and byte-days held).
    ts_records: i128,
    ts_bytes: i128,
    /// Subscribers with bytes in it (their `held_by` entries go with it).
    subscribers: Vec<Addr>,
}

/// What a purge removed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Purged {
    /// The window the bucket was filled in.
    pub window: usize,
    /// Records removed.
    pub records: u64,
    /// Bytes removed.
    pub bytes: u64,
    /// How long its records were held, summed, in days.
    pub record_days: f64,
    /// How long its bytes were held, summed, in byte-days.
    pub byte_days: f64,
}

/// A box's retention buffer.
#[derive(Debug)]
pub struct RetentionBuffer {
    retention: Span,
    size: i64,
    buckets: BTreeMap<i64, Bucket>,
    held_bytes: u64,
    /// Bytes each subscriber has in the buffer, by bucket start (for what an
    /// identification hands over).
    held_by: HashMap<Addr, BTreeMap<i64, u64>>,
}

impl RetentionBuffer {
    /// An empty buffer under a retention limit.
    pub fn new(retention: Span) -> RetentionBuffer {
        RetentionBuffer {
            retention,
            size: retention_bucket(retention.after(0)),
            buckets: BTreeMap::new(),
            held_bytes: 0,
            held_by: HashMap::new(),
        }
    }

    /// Keeps `bytes` about `sub` ingested at `ts_ns` during window `window`.
    /// When this opens a bucket, returns its start and when it must be purged
    /// (the caller sets the timer and calls [`RetentionBuffer::purge`]).
    pub fn keep(&mut self, ts_ns: i64, sub: Addr, bytes: u64, window: usize) -> Option<(i64, i64)> {
        let start = ts_ns.div_euclid(self.size) * self.size;
        let new = !self.buckets.contains_key(&start);
        let bucket = self.buckets.entry(start).or_insert_with(|| Bucket {
            window,
            ..Bucket::default()
        });
        bucket.bytes += bytes;
        bucket.records += 1;
        bucket.ts_records += i128::from(ts_ns);
        bucket.ts_bytes += i128::from(ts_ns) * i128::from(bytes);
        let held = self
            .held_by
            .entry(sub)
            .or_default()
            .entry(start)
            .or_default();
        if *held == 0 {
            bucket.subscribers.push(sub);
        }
        *held += bytes;
        self.held_bytes += bytes;
        new.then(|| (start, self.retention.after(start)))
    }

    /// Bytes held now.
    pub fn held_bytes(&self) -> u64 {
        self.held_bytes
    }

    /// Bytes held now about `sub`.
    pub fn held_about(&self, sub: &Addr) -> u64 {
        self.held_by.get(sub).map_or(0, |h| h.values().sum())
    }

    /// The starts of the buckets held, oldest first.
    pub fn starts(&self) -> Vec<i64> {
        self.buckets.keys().copied().collect()
    }

    /// Removes the bucket starting at `start` at time `at`, if still held.
    pub fn purge(&mut self, start: i64, at: i64) -> Option<Purged> {
        let bucket = self.buckets.remove(&start)?;
        self.held_bytes -= bucket.bytes;
        for sub in &bucket.subscribers {
            if let Some(held) = self.held_by.get_mut(sub) {
                held.remove(&start);
                if held.is_empty() {
                    self.held_by.remove(sub);
                }
            }
        }
        let at = i128::from(at);
        let ns_per_day = clock::NS_PER_DAY as f64;
        Some(Purged {
            window: bucket.window,
            records: bucket.records,
            bytes: bucket.bytes,
            record_days: (i128::from(bucket.records) * at - bucket.ts_records) as f64 / ns_per_day,
            byte_days: (i128::from(bucket.bytes) * at - bucket.ts_bytes) as f64 / ns_per_day,
        })
    }
}

/// The least time between two alerts about one person: by default one alert
/// per person per authorisation window.
#[derive(Debug, Default)]
pub struct Cooldown {
    every: Option<Span>,
    last: HashMap<Addr, (usize, i64)>,
}

impl Cooldown {
    /// A cooldown of `every` (none: one alert per window).
    pub fn new(every: Option<Span>) -> Cooldown {
        Cooldown {
            every,
            last: HashMap::new(),
        }
    }

    /// Whether an alert about `sub` at `ts_ns`, in window `window`, may be
    /// raised; remembers it when it may.
    pub fn admit(&mut self, sub: Addr, window: usize, ts_ns: i64) -> bool {
        let quiet = match (self.last.get(&sub), self.every) {
            (Some(&(w, _)), None) => w == window,
            (Some(&(_, t)), Some(c)) => ts_ns < c.after(t),
            (None, _) => false,
        };
        if !quiet {
            self.last.insert(sub, (window, ts_ns));
        }
        !quiet
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Addr {
        Addr::from(s.parse::<std::net::IpAddr>().unwrap())
    }

    #[test]
    fn retention_buckets_never_exceed_the_limit() {
        assert_eq!(
            retention_bucket(24 * clock::NS_PER_HOUR),
            clock::NS_PER_HOUR
        );
        assert_eq!(
            retention_bucket(Span::Ns(60 * clock::NS_PER_S).after(0)),
            2_500_000_000
        );
    }

    #[test]
    fn a_bucket_is_purged_whole_with_what_it_held_and_for_how_long() {
        let h = clock::NS_PER_HOUR;
        let mut r = RetentionBuffer::new(Span::Ns(24 * h));
        assert_eq!(r.keep(10, a("10.0.0.1"), 100, 0), Some((0, 24 * h)));
        assert_eq!(r.keep(h / 2, a("10.0.0.2"), 50, 0), None, "same bucket");
        assert_eq!(r.keep(h, a("10.0.0.1"), 7, 0), Some((h, 25 * h)));
        assert_eq!((r.held_bytes(), r.held_about(&a("10.0.0.1"))), (157, 107));
        let p = r.purge(0, 24 * h).unwrap();
        assert_eq!((p.records, p.bytes, p.window), (2, 150, 0));
        // 100 bytes held 24 h minus 10 ns, 50 bytes 23.5 h.
        let expect =
            (100.0 * (24.0 * h as f64 - 10.0) + 50.0 * 23.5 * h as f64) / clock::NS_PER_DAY as f64;
        assert!((p.byte_days - expect).abs() < 1e-9, "{}", p.byte_days);
        assert_eq!((r.held_bytes(), r.held_about(&a("10.0.0.2"))), (7, 0));
        assert_eq!(r.purge(0, 24 * h), None, "already gone");
        assert_eq!(r.starts(), vec![h]);
    }

    #[test]
    fn the_cooldown_allows_one_alert_a_window_or_one_per_period() {
        let s = a("10.0.0.1");
        let mut per_window = Cooldown::new(None);
        assert!(per_window.admit(s, 0, 0));
        assert!(!per_window.admit(s, 0, 1_000));
        assert!(per_window.admit(s, 1, 2_000));
        let mut daily = Cooldown::new(Some(Span::Ns(clock::NS_PER_DAY)));
        assert!(daily.admit(s, 0, 0));
        assert!(!daily.admit(s, 0, clock::NS_PER_DAY - 1));
        assert!(daily.admit(s, 0, clock::NS_PER_DAY));
    }
}
