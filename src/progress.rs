//! The progress bar of long commands (`extract`, `inspect`, `run`, `sweep`,
//! `generate`): on stderr, only when it is a terminal, only after two seconds,
//! and never computing a rate from the jump of its first update (which showed
//! "3.01 TiB/s"): rate and time left are ivraie's own, from the start of the
//! work.

use std::io::{self, IsTerminal};
use std::time::{Duration, Instant};

/// Where a long job is.
#[derive(Clone, Copy, Debug, Default)]
pub struct Position {
    /// Share done, 0 to 1, when it is known (bytes of files read, simulated
    /// time of a generated population).
    pub fraction: Option<f64>,
    /// Packets so far.
    pub packets: u64,
    /// Simulated instant reached, ns since the epoch, if any.
    pub sim_ns: Option<i64>,
}

/// A progress bar that appears after two seconds on a terminal.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    enabled: bool,
    started: Instant,
}

impl Progress {
    /// A bar for a job starting now; `enabled` false (`--no-progress`) or a
    /// stderr that is not a terminal shows nothing.
    pub fn new(enabled: bool) -> Progress {
        Progress {
            bar: None,
            enabled: enabled && io::stderr().is_terminal(),
            started: Instant::now(),
        }
    }

    /// Shows `at` (cheap when nothing is shown; call it every few thousand
    /// packets).
    pub fn update(&mut self, at: Position) {
        if !self.enabled {
            return;
        }
        let elapsed = self.started.elapsed();
        if self.bar.is_none() {
            if elapsed < Duration::from_secs(2) {
                return;
            }
            let bar = match at.fraction {
                Some(_) => indicatif::ProgressBar::new(1000).with_style(
                    indicatif::ProgressStyle::with_template("{wide_bar} {msg}")
                        .expect("literal template"),
                ),
                None => indicatif::ProgressBar::new_spinner().with_style(
                    indicatif::ProgressStyle::with_template("{spinner} {msg}")
                        .expect("literal template"),
                ),
            };
            self.bar = Some(bar);
        }
        if let Some(b) = &self.bar {
            if let Some(f) = at.fraction {
                b.set_position((f.clamp(0.0, 1.0) * 1000.0) as u64);
            } else {
                b.tick();
            }
            b.set_message(message(at, elapsed));
        }
    }

    /// Removes the bar.
    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// "37% · simulated 2026-03-04 · 12.3 M packets · 1.9 M packets/s · 1 min 20 s left".
fn message(at: Position, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-3);
    let mut parts = Vec::new();
    if let Some(f) = at.fraction {
        parts.push(format!("{:.0}%", f.clamp(0.0, 1.0) * 100.0));
    }
    if let Some(ns) = at.sim_ns {
        let ts = crate::capture::clock::format_ts(ns);
        parts.push(format!("simulated {}", ts.get(..10).unwrap_or(&ts)));
    }
    parts.push(format!("{} packets", millions(at.packets as f64)));
    parts.push(format!("{} packets/s", millions(at.packets as f64 / secs)));
    if let Some(f) = at.fraction.filter(|f| *f > 0.001) {
        parts.push(format!("{} left", duration(secs * (1.0 - f) / f)));
    }
    parts.join(" · ")
}

/// `850`, `12.3 k`, `4.1 M`.
fn millions(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.1} M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1} k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// `45 s`, `3 min 20 s`, `2 h 05 min`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_rates_from_the_start_not_from_the_first_jump() {
        let m = message(
            Position {
                fraction: Some(0.25),
                packets: 3_000_000,
                sim_ns: Some(1_767_225_600_000_000_000),
            },
            Duration::from_secs(2),
        );
        assert_eq!(
            m,
            "25% · simulated 2026-01-01 · 3.0 M packets · 1.5 M packets/s · 6 s left"
        );
        let m = message(
            Position {
                fraction: None,
                packets: 900,
                sim_ns: None,
            },
            Duration::from_secs(3),
        );
        assert_eq!(m, "900 packets · 300 packets/s");
        assert_eq!(duration(200.0), "3 min 20 s");
        assert_eq!(duration(7500.0), "2 h 05 min");
    }
}
