//! The floods' random words, one generator for `tests/it/flood.rs` and the
//! benches (`benches/support/churn.rs`, `benches/dissect.rs`), so that the
//! benches measure the addresses, ports, names and calls the flood test
//! sends: xorshift64* from one fixed seed.

/// A stream of random words, the same on every run.
pub struct FloodWords(u64);

impl FloodWords {
    pub fn new() -> Self {
        FloodWords(0x9e37_79b9_7f4a_7c15)
    }

    pub fn next(&mut self) -> u64 {
        let s = &mut self.0;
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        s.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}
