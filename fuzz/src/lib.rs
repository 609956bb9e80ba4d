//! The fuzz targets' shared code: [`drive`] holds one function per entry point
//! (also replayed by the main crate's `tests/it/fuzz_regressions.rs`).

pub mod drive;
