//! Addresses are not people: the ISP's attribution log, and identification
//! through it.
//!
//! A box sees addresses (and, at some vantage points, source ports); the law
//! acts on subscribers. Between the two sits what an ISP keeps: which line
//! held which address — and, on shared IPv4 (A+P, CGNAT), which port range —
//! from when to when. Identifying an alert is a lookup in that log, as it was
//! for Hadopi (REALISM-FACTS §1: 8–10% of requests unanswerable at launch,
//! about 30% once shared IPv4 spread, until ports were logged from 2022).
//!
//! The log is a CSV file, one row per assignment:
//!
//! ```text
//! address,port_lo,port_hi,from,to,line
//! 10.20.0.7,,,2026-01-05T00:00:00Z,2026-01-07T00:00:00Z,12
//! 10.20.0.9,0,16383,2026-01-05T00:00:00Z,2026-01-07T00:00:00Z,13
//! ```
//!
//! `port_lo`/`port_hi` are empty for a line that holds the whole address;
//! `from` is inclusive, `to` exclusive (UTC, `YYYY-MM-DDTHH:MM:SSZ` or a
//! date); `line` is the ISP's line (subscription) number, which the labels
//! file's `line` column maps to people. `ivraie generate` writes one beside
//! every capture (`x.attribution.csv`); a host or an ISP can write its own for
//! a real capture and name it in a scenario (`[source] attribution = "..."`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::capture::clock;

/// The log's header line.
pub const HEADER: &str = "address,port_lo,port_hi,from,to,line";

/// One row of the log: `line` held `address` (only `ports`, if given) from
/// `from_ns` (inclusive) to `to_ns` (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The public address.
    pub address: IpAddr,
    /// The port range on a shared address (inclusive), or `None` for all.
    pub ports: Option<(u16, u16)>,
    /// Start, ns since the epoch.
    pub from_ns: i64,
    /// End (exclusive), ns since the epoch.
    pub to_ns: i64,
    /// The line.
    pub line: u32,
}

/// The attribution log beside a capture: `x.pcap` → `x.attribution.csv`.
pub fn log_path(pcap: &Path) -> PathBuf {
    let stem = pcap
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    pcap.with_file_name(format!("{stem}.attribution.csv"))
}

/// The attribution log beside a labels file: `x.labels.csv` →
/// `x.attribution.csv` (any other name gets `.attribution.csv` appended).
pub fn log_beside_labels(labels: &Path) -> PathBuf {
    let name = labels
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.strip_suffix(".labels.csv") {
        Some(stem) => labels.with_file_name(format!("{stem}.attribution.csv")),
        None => labels.with_file_name(format!("{name}.attribution.csv")),
    }
}

/// Whether `path` starts with the log's header (an earlier output to replace).
pub fn is_log_file(path: &Path) -> bool {
    crate::output::first_line(path).is_some_and(|l| l == HEADER)
}

/// What the ISP's log answers when asked who held an address.
#[derive(Clone, Debug, Default)]
pub struct AttributionLog {
    by_address: HashMap<IpAddr, Vec<Assignment>>,
}

impl AttributionLog {
    /// A log of these rows.
    pub fn new(rows: impl IntoIterator<Item = Assignment>) -> AttributionLog {
        let mut by_address: HashMap<IpAddr, Vec<Assignment>> = HashMap::new();
        for a in rows {
            by_address.entry(a.address).or_default().push(a);
        }
        for v in by_address.values_mut() {
            v.sort_by_key(|a| (a.from_ns, a.ports, a.line));
        }
        AttributionLog { by_address }
    }

    /// Every row, ordered by address then time.
    pub fn rows(&self) -> impl Iterator<Item = &Assignment> {
        let mut keys: Vec<&IpAddr> = self.by_address.keys().collect();
        keys.sort();
        keys.into_iter().flat_map(|k| self.by_address[k].iter())
    }

    /// Whether the log has no row.
    pub fn is_empty(&self) -> bool {
        self.by_address.is_empty()
    }

    /// The lines that held `address` at `t_ns` — with `port` given, only the
    /// line whose range holds it (or that held the whole address). Several
    /// lines when the address was shared and the port is not asked about;
    /// none when no one held it then.
    pub fn lines_at(&self, address: IpAddr, port: Option<u16>, t_ns: i64) -> Vec<u32> {
        let mut out = Vec::new();
        for a in self.by_address.get(&address).into_iter().flatten() {
            if a.from_ns > t_ns {
                break;
            }
            let port_ok = match (port, a.ports) {
                (Some(p), Some((lo, hi))) => (lo..=hi).contains(&p),
                _ => true,
            };
            if t_ns < a.to_ns && port_ok && !out.contains(&a.line) {
                out.push(a.line);
            }
        }
        out
    }

    /// Every line that ever held `address`.
    pub fn lines_ever(&self, address: IpAddr) -> impl Iterator<Item = u32> + '_ {
        self.by_address
            .get(&address)
            .into_iter()
            .flatten()
            .map(|a| a.line)
    }
}

/// Writes the log's CSV (header [`HEADER`]) through a temporary file renamed
/// into place.
pub fn write_log(path: &Path, rows: &[Assignment]) -> io::Result<()> {
    crate::output::write_atomically(path, |w| write_log_to(w, rows)).map_err(io::Error::from)
}

/// Writes the log's CSV to any writer.
pub fn write_log_to(w: &mut impl Write, rows: &[Assignment]) -> io::Result<()> {
    writeln!(w, "{HEADER}")?;
    let mut line = String::new();
    for a in rows {
        line.clear();
        let _ = write!(line, "{},", a.address);
        if let Some((lo, hi)) = a.ports {
            let _ = write!(line, "{lo},{hi}");
        } else {
            line.push(',');
        }
        let _ = write!(
            line,
            ",{},{},{}",
            clock::format_ts(a.from_ns),
            clock::format_ts(a.to_ns),
            a.line
        );
        writeln!(w, "{line}")?;
    }
    Ok(())
}

/// Why a log could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A line is not a valid assignment.
    #[error("{path}:{line}: {message}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// Its 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Reads an attribution log (header [`HEADER`]; blank lines and `#` comments
/// skipped). Errors name the file and the line.
pub fn read_log(path: &Path) -> Result<Vec<Assignment>, LogError> {
    let text = std::fs::read_to_string(path).map_err(|source| LogError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_log(&text).map_err(|(line, message)| LogError::Bad {
        path: path.to_path_buf(),
        line,
        message,
    })
}

/// Parses a log's text; the error is (1-based line, message).
pub fn parse_log(text: &str) -> Result<Vec<Assignment>, (usize, String)> {
    let mut out = Vec::new();
    let mut header = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if !header {
            if l != HEADER {
                return Err((n, format!("the header must be `{HEADER}`")));
            }
            header = true;
            continue;
        }
        let f: Vec<&str> = l.split(',').map(str::trim).collect();
        if f.len() != 6 {
            return Err((n, format!("{} fields, expected 6 ({HEADER})", f.len())));
        }
        let address: IpAddr = f[0]
            .parse()
            .map_err(|_| (n, format!("`{}` is not an IP address", f[0])))?;
        let port = |s: &str| -> Result<u16, (usize, String)> {
            s.parse()
                .map_err(|_| (n, format!("`{s}` is not a port (0–65535)")))
        };
        let ports = match (f[1], f[2]) {
            ("", "") => None,
            (lo, hi) => {
                let (lo, hi) = (port(lo)?, port(hi)?);
                if lo > hi {
                    return Err((n, format!("port range {lo}–{hi} is empty")));
                }
                Some((lo, hi))
            }
        };
        let from_ns = clock::parse_date(f[3]).map_err(|e| (n, format!("from: {e}")))?;
        let to_ns = clock::parse_date(f[4]).map_err(|e| (n, format!("to: {e}")))?;
        if to_ns <= from_ns {
            return Err((n, "`to` must be after `from`".into()));
        }
        let line = f[5]
            .parse()
            .map_err(|_| (n, format!("line `{}` is not a number", f[5])))?;
        out.push(Assignment {
            address,
            ports,
            from_ns,
            to_ns,
            line,
        });
    }
    if !header {
        return Err((1, format!("empty log: the header must be `{HEADER}`")));
    }
    Ok(out)
}

/// What a box's operator does when the log names several lines for an alert
/// (a shared address asked about without its port).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ambiguity {
    /// Identify no one (the ISP cannot answer): Hadopi's practice before
    /// ports were logged.
    #[default]
    Refuse,
    /// Identify every line the log names.
    All,
    /// Identify the first line the log names (a guess).
    One,
}

/// How one identification request went, against the line that really sent
/// the traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Attribution {
    /// Identification requests (one per identified alert).
    pub requests: u64,
    /// Requests that named the line that sent the traffic (and no other).
    pub right_line: u64,
    /// Lines named that did not send it.
    pub wrong_lines: u64,
    /// Requests that named no line (no assignment then, or refused as
    /// ambiguous).
    pub unattributable: u64,
    /// Requests the log answered with several lines.
    pub ambiguous: u64,
    /// People living on the lines named (everyone in the household).
    pub people_affected: u64,
}

impl Attribution {
    /// Records one request: `named` the lines the log answered (before the
    /// policy), `truth` the line that sent the traffic if known, `people` the
    /// people on a line.
    pub fn request(
        &mut self,
        named: &[u32],
        policy: Ambiguity,
        truth: Option<u32>,
        people: impl Fn(u32) -> u64,
    ) -> Vec<u32> {
        self.requests += 1;
        if named.len() > 1 {
            self.ambiguous += 1;
        }
        let identified: Vec<u32> = match (named.len(), policy) {
            (0, _) => Vec::new(),
            (1, _) => named.to_vec(),
            (_, Ambiguity::Refuse) => Vec::new(),
            (_, Ambiguity::All) => named.to_vec(),
            (_, Ambiguity::One) => named[..1].to_vec(),
        };
        if identified.is_empty() {
            self.unattributable += 1;
        }
        if identified.len() == 1 && Some(identified[0]) == truth {
            self.right_line += 1;
        }
        self.wrong_lines += identified.iter().filter(|&&l| Some(l) != truth).count() as u64;
        self.people_affected += identified.iter().map(|&l| people(l)).sum::<u64>();
        identified
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = clock::NS_PER_DAY;

    /// Four lines on one IPv4 address, 16,384 ports each (Free's A+P), and a
    /// line of its own whose address changes on day 2.
    fn log() -> AttributionLog {
        let shared: IpAddr = "192.0.2.7".parse().unwrap();
        let mut rows: Vec<Assignment> = (0..4u32)
            .map(|k| Assignment {
                address: shared,
                ports: Some(((k * 16384) as u16, (k * 16384 + 16383) as u16)),
                from_ns: 0,
                to_ns: 10 * DAY,
                line: 10 + k,
            })
            .collect();
        for (addr, from, to) in [
            ("192.0.2.20", 0, 2 * DAY),
            ("192.0.2.21", 2 * DAY, 10 * DAY),
        ] {
            rows.push(Assignment {
                address: addr.parse().unwrap(),
                ports: None,
                from_ns: from,
                to_ns: to,
                line: 20,
            });
        }
        AttributionLog::new(rows)
    }

    #[test]
    fn a_shared_address_names_four_lines_without_its_port_and_one_with_it() {
        let l = log();
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(l.lines_at(a, None, DAY), vec![10, 11, 12, 13]);
        assert_eq!(l.lines_at(a, Some(40_000), DAY), vec![12]);
        assert_eq!(l.lines_at(a, Some(5), DAY), vec![10]);
        // After the assignments end: no one.
        assert!(l.lines_at(a, Some(5), 10 * DAY).is_empty());
        let mut acc = Attribution::default();
        let people = |line: u32| if line == 12 { 3 } else { 1 };
        // Without the port, per policy: no one, all four, or a guess.
        assert!(
            acc.request(
                &l.lines_at(a, None, DAY),
                Ambiguity::Refuse,
                Some(12),
                people
            )
            .is_empty()
        );
        assert_eq!(
            acc.request(&l.lines_at(a, None, DAY), Ambiguity::All, Some(12), people)
                .len(),
            4
        );
        assert_eq!(
            acc.request(&l.lines_at(a, None, DAY), Ambiguity::One, Some(12), people),
            vec![10]
        );
        // With it: exactly the right line, and its household of three.
        assert_eq!(
            acc.request(
                &l.lines_at(a, Some(40_000), DAY),
                Ambiguity::Refuse,
                Some(12),
                people
            ),
            vec![12]
        );
        assert_eq!(
            acc,
            Attribution {
                requests: 4,
                right_line: 1,
                wrong_lines: 4,
                unattributable: 1,
                ambiguous: 3,
                people_affected: 6 + 1 + 3,
            }
        );
    }

    #[test]
    fn an_address_change_moves_the_line() {
        let l = log();
        let (old, new): (IpAddr, IpAddr) =
            ("192.0.2.20".parse().unwrap(), "192.0.2.21".parse().unwrap());
        assert_eq!(l.lines_at(old, None, DAY), vec![20]);
        assert!(
            l.lines_at(old, None, 3 * DAY).is_empty(),
            "released on day 2"
        );
        assert_eq!(l.lines_at(new, Some(80), 3 * DAY), vec![20]);
        assert_eq!(l.lines_ever(old).collect::<Vec<_>>(), vec![20]);
    }

    #[test]
    fn the_csv_round_trips_and_errors_name_the_line() {
        let rows: Vec<Assignment> = log().rows().copied().collect();
        let mut csv = Vec::new();
        write_log_to(&mut csv, &rows).unwrap();
        let text = String::from_utf8(csv).unwrap();
        assert!(text.starts_with(HEADER));
        assert!(
            text.contains("192.0.2.7,16384,32767,1970-01-01T00:00:00Z,1970-01-11T00:00:00Z,11\n")
        );
        assert!(text.contains("192.0.2.20,,,1970-01-01T00:00:00Z,1970-01-03T00:00:00Z,20\n"));
        assert_eq!(parse_log(&text).unwrap(), rows);
        for (bad, line, says) in [
            ("address,port\n", 1, "header"),
            (
                &format!("{HEADER}\n10.0.0.1,,,2026-01-01,2026-01-02\n"),
                2,
                "5 fields",
            ),
            (
                &format!("{HEADER}\n# c\n10.0.0.x,,,2026-01-01,2026-01-02,1\n"),
                3,
                "not an IP",
            ),
            (
                &format!("{HEADER}\n10.0.0.1,9,1,2026-01-01,2026-01-02,1\n"),
                2,
                "empty",
            ),
            (
                &format!("{HEADER}\n10.0.0.1,,,2026-01-02,2026-01-01,1\n"),
                2,
                "after",
            ),
            (
                &format!("{HEADER}\n10.0.0.1,,,2026-01-01,2026-01-02,x\n"),
                2,
                "line `x`",
            ),
        ] {
            let (n, msg) = parse_log(bad).unwrap_err();
            assert_eq!(n, line, "{bad}");
            assert!(msg.contains(says), "`{msg}` should say `{says}`");
        }
    }
}
