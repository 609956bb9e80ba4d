//! Leaf certificates already read on this thread.
//!
//! A server sends the same chain to every client, so a link sees a few
//! distinct leaf certificates many times over, and reading one (x509-parser
//! parses the whole certificate, extensions included) was a third of TLS's
//! time on the real-traffic benchmark. Zeek caches its X.509 parses by
//! fingerprint for the same reason. Here the key is the whole DER, compared in
//! full, so a hit is exactly what parsing would have returned.
//!
//! Memory is bounded by two generations of [`GENERATION`] entries: when the
//! young one is full it becomes the old one (the previous old one is dropped),
//! and a certificate found in the old generation moves back to the young one.

use std::cell::RefCell;
use std::collections::HashMap;

use foldhash::fast::FixedState;

use super::parser::{CertInfo, cert_info};

/// Certificates per generation: two generations of DER (1-2 KB each) and
/// names stay within about a megabyte per worker.
pub const GENERATION: usize = 256;

#[derive(Default)]
struct Cache {
    young: HashMap<Box<[u8]>, CertInfo, FixedState>,
    old: HashMap<Box<[u8]>, CertInfo, FixedState>,
    /// Lookups answered without parsing (for the tests).
    hits: u64,
}

impl Cache {
    fn get(&mut self, der: &[u8]) -> CertInfo {
        if let Some(info) = self.young.get(der) {
            self.hits += 1;
            return info.clone();
        }
        let info = match self.old.remove(der) {
            Some(info) => {
                self.hits += 1;
                info
            }
            None => cert_info(der),
        };
        if self.young.len() >= GENERATION {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(der.into(), info.clone());
        info
    }
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
}

/// Subject and issuer of the certificate `der`, as [`cert_info`] reads them.
pub fn leaf_info(der: &[u8]) -> CertInfo {
    CACHE.with(|c| c.borrow_mut().get(der))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits() -> u64 {
        CACHE.with(|c| c.borrow().hits)
    }

    fn held() -> usize {
        CACHE.with(|c| {
            let c = c.borrow();
            c.young.len() + c.old.len()
        })
    }

    /// A certificate DER from the TLS parser's own test vectors.
    fn a_certificate() -> Vec<u8> {
        super::super::parser::test_certificate_der()
    }

    #[test]
    fn a_cached_certificate_reads_as_a_parsed_one() {
        let der = a_certificate();
        let want = cert_info(&der);
        assert!(want.parsed && !want.subject.is_empty());
        let before = hits();
        assert_eq!(leaf_info(&der), want);
        assert_eq!(leaf_info(&der), want);
        assert_eq!(hits() - before, 1, "the second lookup is a hit");
        // A DER that differs in one byte is another certificate.
        let mut other = der.clone();
        let last = other.len() - 1;
        other[last] ^= 1;
        assert_eq!(leaf_info(&other), cert_info(&other));
        assert_eq!(hits() - before, 1);
    }

    #[test]
    fn the_cache_stays_within_two_generations() {
        let der = a_certificate();
        let want = leaf_info(&der);
        for i in 0..3 * GENERATION {
            // Distinct unparsable DERs fill the cache.
            let junk = format!("not a certificate {i}");
            assert!(!leaf_info(junk.as_bytes()).parsed);
            assert!(held() <= 2 * GENERATION);
        }
        // Pushed out long ago: read again, the same.
        assert_eq!(leaf_info(&der), want);
    }
}
