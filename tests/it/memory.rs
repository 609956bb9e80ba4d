//! A run's memory is bounded by what is live (flows, per-subscriber state, the
//! retention buffers), not by the length of its traffic: the same population
//! over eight times the days peaks at nearly the same resident size. Before
//! the run streamed, it kept every observation (the classroom scenario: 339 MB
//! for 120 days, 1.31 GB for 480; BENCHMARKS.md).

#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::{Command, Stdio};

/// Peak resident size (kB) of `ivraie run` on the classroom's population,
/// scaled down to 300 people over `days` days.
fn peak_kb(dir: &Path, days: u32) -> i64 {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/classroom.toml"),
    )
    .unwrap()
    .replacen("population = 2000", "population = 300", 1)
    .replacen("days = 120", &format!("days = {days}"), 1);
    let scenario = dir.join(format!("days{days}.toml"));
    std::fs::write(&scenario, text).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .arg("run")
        .arg(&scenario)
        .arg("-o")
        .arg(dir.join(format!("out{days}")))
        .args(["--no-progress", "--json", "--threads", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // wait4 gives this child's own peak, whatever else the tests run.
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our child's, not yet waited for.
    let r = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(r, child.id() as i32);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    usage.ru_maxrss
}

#[test]
fn a_run_eight_times_longer_peaks_at_nearly_the_same_memory() {
    let t = tempfile::tempdir().unwrap();
    let short = peak_kb(t.path(), 30);
    let long = peak_kb(t.path(), 240);
    eprintln!("peak RSS: 30 days {short} kB, 240 days {long} kB");
    assert!(
        (long as f64) < 1.3 * short as f64,
        "240 days peaked at {long} kB, 30 days at {short} kB"
    );
}
