//! The oversight log: an append-only, hash-chained record of every decision the
//! legal machinery takes — authorisations, renewals, refusals, window ends,
//! alerts, identifications, purges and destructions — written as `oversight.jsonl`
//! and checked by `ivraie verify-log`.
//!
//! This module owns writing ([`LogWriter`]) and verifying ([`verify`],
//! [`verify_against`]) the log. It knows nothing of packets, boxes or policy: the
//! simulator decides *what* happened and passes it here as an [`Event`] with a
//! JSON `details` object.
//!
//! # Format
//!
//! One JSON object per line, fields in this order:
//!
//! | field | type | meaning |
//! | --- | --- | --- |
//! | `seq` | integer | position in the log, from 0, without gaps |
//! | `time` | string | simulated time, UTC, `2026-01-01T00:00:00Z` (the same instant as `time_ns`, whole seconds) |
//! | `time_ns` | integer | simulated time, nanoseconds since the Unix epoch |
//! | `event` | string | `open`, `authorisation`, `renewal`, `refusal`, `window-end`, `alert`, `identification`, `purge`, `destruction` or `close` |
//! | `box` | string or null | the black box concerned |
//! | `window` | integer or null | the authorisation window concerned (from 1) |
//! | `details` | any JSON | what the simulator records about the event |
//! | `prev` | string | `hash` of the previous entry; 64 zeros for the first |
//! | `hash` | string | SHA-256 of this entry's canonical encoding, 64 lowercase hex digits |
//!
//! The last entry of a complete log is `close`, whose `details` is
//! `{"entries": N}` with N the number of entries including itself. A log without
//! it comes from a run that was interrupted, or had its tail cut.
//!
//! # Canonical encoding
//!
//! `hash` is the SHA-256 of the UTF-8 bytes of the entry's JSON object **without
//! its `hash` member**, encoded as follows, recursively:
//!
//! - objects: `{`, members sorted by the bytes of their key (UTF-8, bytewise),
//!   each `"key":value`, separated by `,`, then `}`;
//! - arrays: `[`, the elements in order separated by `,`, then `]`;
//! - strings (keys included), numbers, `true`, `false`, `null`: exactly as
//!   `serde_json::to_string` writes them (strings escape only `"`, `\` and control
//!   characters, `\n`-style where JSON has a short form, else `\u00XX`;
//!   integers in decimal; floats in the shortest form that reads back to the
//!   same `f64`, e.g. `0.1`, `1.0`, `1e-7`);
//! - no whitespace anywhere.
//!
//! The verifier parses each line and recomputes the encoding from the parsed
//! value, so reformatting a line (spaces, member order, `\u` escapes of ordinary
//! characters) is not tampering, while any change of a value, or an added or
//! removed member, is. Floats are parsed with serde_json's `float_roundtrip`, so
//! a float always reads back to the value that was hashed.
//!
//! # Durability
//!
//! Each entry is formatted in memory and written with a single `write` of the
//! whole line to an unbuffered file, so a process killed at any moment (even by
//! SIGKILL) leaves at worst one incomplete last line, which [`verify`] reports as
//! a truncation after the entries that verify. [`LogWriter::close`] also syncs
//! the file to disk; entries written before a power failure may be lost, as
//! with any page-cached file.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::capture::clock::format_ts;
use crate::record::hex;

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Longest line the writer produces and the verifier reads (1 MiB); a longer line
/// is refused by [`LogWriter::append`] and reported as malformed by [`verify`],
/// which keeps the verifier's memory bounded whatever the file holds.
pub const MAX_LINE: usize = 1 << 20;

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    /// The run starts under a scenario.
    Open,
    /// A box is authorised for a first window.
    Authorisation,
    /// The commission renews a box's authorisation for another window.
    Renewal,
    /// An authorisation or a renewal is refused.
    Refusal,
    /// An authorisation window ends.
    WindowEnd,
    /// A box raises a (pseudonymous) alert.
    Alert,
    /// The services ask to identify the person behind an alert.
    IdentificationRequest,
    /// The commission's opinion on a request, and the Prime Minister's decision.
    Decision,
    /// A pseudonym is lifted: the person behind an alert is identified.
    Identification,
    /// Data past its retention limit is purged.
    Purge,
    /// The data of an identified person is destroyed.
    Destruction,
    /// The data of an identified person is kept past the exploitation period
    /// on the services' report of serious evidence.
    Kept,
    /// The run ends; always the last entry of a complete log.
    Close,
}

impl Event {
    /// The name written in the log (`window-end`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Event::Open => "open",
            Event::Authorisation => "authorisation",
            Event::Renewal => "renewal",
            Event::Refusal => "refusal",
            Event::WindowEnd => "window-end",
            Event::Alert => "alert",
            Event::IdentificationRequest => "identification-request",
            Event::Decision => "decision",
            Event::Identification => "identification",
            Event::Purge => "purge",
            Event::Destruction => "destruction",
            Event::Kept => "kept",
            Event::Close => "close",
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a run stores about its log (in `report.json`) so that a later check can
/// tell the log was not cut and re-closed: the number of entries and the hash of
/// the last one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogHead {
    /// Entries in the log, the closing entry included.
    pub entries: u64,
    /// `hash` of the last entry (64 hex digits).
    pub head_hash: String,
}

/// One log line, in the field order of the format.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    seq: u64,
    time: String,
    time_ns: i64,
    event: Event,
    #[serde(rename = "box")]
    box_name: Option<String>,
    window: Option<u32>,
    details: Value,
    prev: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<String>,
}

/// Writes the log. Each [`append`](LogWriter::append) is complete on disk (in the
/// page cache) when it returns.
#[derive(Debug)]
pub struct LogWriter {
    file: File,
    next_seq: u64,
    prev: String,
    /// Set when a write failed: the file may end with a partial line, and a
    /// further entry would be glued to it.
    failed: bool,
}

impl LogWriter {
    /// Creates (or truncates) the log at `path`; on unix its mode is 0600, since
    /// it names boxes, windows and identifications.
    pub fn create(path: &Path) -> io::Result<LogWriter> {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
            opts.mode(0o600);
            let file = opts.open(path)?;
            // `mode` only applies to a new file; an existing one keeps its mode.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            Ok(LogWriter::new(file))
        }
        #[cfg(not(unix))]
        Ok(LogWriter::new(opts.open(path)?))
    }

    fn new(file: File) -> LogWriter {
        LogWriter {
            file,
            next_seq: 0,
            prev: GENESIS.to_string(),
            failed: false,
        }
    }

    /// Appends one entry and returns its hash (64 hex digits). The whole line is
    /// written with one `write_all` to the unbuffered file: a kill after this
    /// returns leaves the entry complete.
    pub fn append(
        &mut self,
        time_ns: i64,
        event: Event,
        box_name: Option<&str>,
        window: Option<u32>,
        details: Value,
    ) -> io::Result<String> {
        if self.failed {
            return Err(io::Error::other(
                "an earlier write to the oversight log failed; the log is closed",
            ));
        }
        let mut entry = Entry {
            seq: self.next_seq,
            time: format_ts(time_ns),
            time_ns,
            event,
            box_name: box_name.map(str::to_string),
            window,
            details,
            prev: self.prev.clone(),
            hash: None,
        };
        let unhashed = serde_json::to_value(&entry).map_err(io::Error::other)?;
        let hash = entry_hash(&unhashed);
        entry.hash = Some(hash.clone());
        let mut line = serde_json::to_vec(&entry).map_err(io::Error::other)?;
        line.push(b'\n');
        if line.len() > MAX_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "oversight entry of {} bytes is longer than the {MAX_LINE}-byte limit",
                    line.len()
                ),
            ));
        }
        if let Err(e) = self.file.write_all(&line) {
            self.failed = true;
            return Err(e);
        }
        self.next_seq += 1;
        self.prev.clone_from(&hash);
        Ok(hash)
    }

    /// Appends the closing entry (`close`, details `{"entries": N}`, N counting
    /// the closing entry), syncs the file to disk, and returns the head to store
    /// in the run's report.
    pub fn close(mut self, time_ns: i64) -> io::Result<LogHead> {
        let entries = self.next_seq + 1;
        let head_hash = self.append(
            time_ns,
            Event::Close,
            None,
            None,
            serde_json::json!({ "entries": entries }),
        )?;
        self.file.sync_all()?;
        Ok(LogHead { entries, head_hash })
    }

    /// Entries appended so far.
    pub fn entries(&self) -> u64 {
        self.next_seq
    }

    /// Hash of the last entry appended ([`GENESIS`] before the first).
    pub fn head_hash(&self) -> &str {
        &self.prev
    }

    /// Syncs what was appended so far to disk (the closing entry does it too).
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_all()
    }
}

/// Writes the canonical encoding of `v` (see the module documentation).
pub fn canonical_json(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                scalar(&Value::String(k.clone()), out);
                out.push(b':');
                canonical_json(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_json(v, out);
            }
            out.push(b']');
        }
        other => scalar(other, out),
    }
}

fn scalar(v: &Value, out: &mut Vec<u8>) {
    // Writing a string, number, bool or null to a Vec cannot fail.
    serde_json::to_writer(&mut *out, v).expect("serializing a JSON scalar into memory");
}

/// SHA-256 (hex) of the canonical encoding of an entry given without `hash`.
fn entry_hash(unhashed: &Value) -> String {
    let mut bytes = Vec::with_capacity(256);
    canonical_json(unhashed, &mut bytes);
    hex(&Sha256::digest(&bytes))
}

fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A log that verifies: every entry's hash, the chain, the sequence, and the
/// closing entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// Entries, the closing entry included.
    pub entries: u64,
    /// `hash` of the last (closing) entry.
    pub head_hash: String,
    /// Always true for a log that verifies (a log without its closing entry is a
    /// [`Problem::Unclosed`] error); kept so callers can print it.
    pub closed: bool,
}

impl Verified {
    /// The head, to compare with the one a run stored.
    pub fn head(&self) -> LogHead {
        LogHead {
            entries: self.entries,
            head_hash: self.head_hash.clone(),
        }
    }
}

/// A log that does not verify: the entries before the problem that do verify
/// (`intact`, ending with `head_hash`), then the first problem found.
#[derive(Debug)]
pub struct VerifyError {
    /// Entries, from the first, that verify before the problem (each hashes to
    /// its `hash`, links to the one before, and has the next `seq`).
    pub intact: u64,
    /// `hash` of the last intact entry ([`GENESIS`] when none is).
    pub head_hash: String,
    /// What is wrong, and where.
    pub problem: Problem,
}

impl VerifyError {
    /// True when the log is an intact prefix that merely stops early: its last
    /// line is incomplete, or it has no closing entry — what a run killed midway
    /// leaves (and also what cutting the tail does).
    pub fn is_interrupted(&self) -> bool {
        matches!(
            self.problem,
            Problem::Truncated { .. } | Problem::Unclosed | Problem::Empty
        )
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.problem)?;
        if matches!(self.problem, Problem::Io { .. }) {
            return Ok(());
        }
        match self.intact {
            0 => write!(f, "; no entry before it verifies"),
            1 => write!(f, "; the first entry (seq 0) verifies"),
            n => write!(f, "; the first {n} entries (seq 0..{}) verify", n - 1),
        }
    }
}

impl std::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            Problem::Io { source } => Some(source),
            _ => None,
        }
    }
}

/// The first thing wrong with a log. Lines are numbered from 1; in an intact log
/// line `n` holds `seq` `n - 1`.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// The file could not be opened or read.
    #[error("cannot read the log: {source}")]
    Io {
        /// The underlying error.
        source: io::Error,
    },
    /// The file holds no entry at all.
    #[error("the log is empty: the run was killed before its first entry, or the file was emptied")]
    Empty,
    /// The first line is not an oversight entry: the file is something else.
    #[error("not an oversight log: line 1 is not an entry ({reason})")]
    NotALog {
        /// Why line 1 is not an entry.
        reason: String,
    },
    /// The last line stops before its end (no newline): a run killed while
    /// writing it, or a cut in the middle of a line.
    #[error(
        "truncated at line {line}: the last line is incomplete (the run was killed while writing it, or the file was cut)"
    )]
    Truncated {
        /// The incomplete line.
        line: u64,
    },
    /// A line is not JSON.
    #[error(
        "line {line} is not a JSON entry ({reason}): garbage was inserted or the line was damaged"
    )]
    NotJson {
        /// The line.
        line: u64,
        /// The parser's message.
        reason: String,
    },
    /// A line is JSON but not a well-formed entry (a field missing, of the wrong
    /// type, unknown, inconsistent, or a line over [`MAX_LINE`]).
    #[error("line {line} is not a well-formed entry: {reason}")]
    Malformed {
        /// The line.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// An entry's content does not hash to its `hash`: it was edited.
    #[error("line {line} (seq {seq}) was edited: its content does not match its hash")]
    Edited {
        /// The line.
        line: u64,
        /// The `seq` the line claims.
        seq: u64,
    },
    /// The next `seq` is missing: entries were removed.
    #[error("entry seq {expected} is missing: line {line} holds seq {seq}, so {}",
        removed(*.expected, *.seq))]
    Removed {
        /// The line where the gap shows.
        line: u64,
        /// The `seq` it holds.
        seq: u64,
        /// The `seq` that should be there.
        expected: u64,
    },
    /// Entries are out of order: the `seq` expected here appears later in the
    /// file, or an earlier `seq` comes again.
    #[error("entries were reordered: line {line} holds seq {seq} where seq {expected} should be{}",
        found_at(*.expected, *.expected_at))]
    Reordered {
        /// The line where the order breaks.
        line: u64,
        /// The `seq` it holds.
        seq: u64,
        /// The `seq` that should be there.
        expected: u64,
        /// Where the expected entry is, if it is further down.
        expected_at: Option<u64>,
    },
    /// An entry has the right `seq` and hashes correctly, but its `prev` is not
    /// the previous entry's hash: one of the two was rewritten with a recomputed
    /// hash.
    #[error(
        "the chain breaks at line {line} (seq {seq}): its prev does not match the hash of the entry before it, so that entry (or this one) was rewritten and its hash recomputed"
    )]
    ChainBroken {
        /// The line.
        line: u64,
        /// Its `seq`.
        seq: u64,
    },
    /// Lines follow the closing entry.
    #[error(
        "line {line} follows the closing entry (line {close_line}): lines were appended after the run closed the log"
    )]
    AfterClose {
        /// The first line after the close.
        line: u64,
        /// The closing entry's line.
        close_line: u64,
    },
    /// The chain is intact but has no closing entry.
    #[error("the log ends without its closing entry: the run was interrupted or the tail was cut")]
    Unclosed,
    /// The log verifies on its own but is not the log the run closed: its entry
    /// count or head hash differs from the ones stored in the run's report.
    #[error("{}", head_mismatch(.expected, .found, *.expected_head_at))]
    HeadMismatch {
        /// The head stored by the run.
        expected: LogHead,
        /// The head of the file.
        found: LogHead,
        /// The line whose hash is the expected head, if any.
        expected_head_at: Option<u64>,
    },
}

fn found_at(expected: u64, at: Option<u64>) -> String {
    match at {
        Some(l) => format!(" (seq {expected} is at line {l})"),
        None => String::new(),
    }
}

fn head_mismatch(expected: &LogHead, found: &LogHead, at: Option<u64>) -> String {
    let why = match at {
        Some(l) => format!(
            "the recorded head is the entry at line {l}: entries were added after the run closed the log"
        ),
        None => "the recorded head is not in the file: entries were cut or rewritten and the log re-closed".to_string(),
    };
    format!(
        "the log verifies on its own but is not the one the run closed: the run recorded {} entries ending with hash {}, the file has {} entries ending with hash {} ({why})",
        expected.entries, expected.head_hash, found.entries, found.head_hash
    )
}

fn removed(expected: u64, seq: u64) -> String {
    if seq == expected + 1 {
        "it was removed".to_string()
    } else {
        format!("entries seq {expected}..{} were removed", seq - 1)
    }
}

impl Problem {
    /// The line the problem is on, when it is on one.
    pub fn line(&self) -> Option<u64> {
        match self {
            Problem::Truncated { line }
            | Problem::NotJson { line, .. }
            | Problem::Malformed { line, .. }
            | Problem::Edited { line, .. }
            | Problem::Removed { line, .. }
            | Problem::Reordered { line, .. }
            | Problem::ChainBroken { line, .. }
            | Problem::AfterClose { line, .. } => Some(*line),
            Problem::NotALog { .. } => Some(1),
            Problem::Io { .. }
            | Problem::Empty
            | Problem::Unclosed
            | Problem::HeadMismatch { .. } => None,
        }
    }
}

/// Verifies the log at `path`: each entry hashes to its `hash`, links to the one
/// before through `prev`, has the next `seq`, and the last one is `close`. Reads
/// the file as a stream: memory does not grow with the number of entries.
pub fn verify(path: &Path) -> Result<Verified, VerifyError> {
    verify_inner(path, None)
}

/// Verifies the log as [`verify`] does, then checks it ends where the run said
/// it did (`expected`, from the run's report): this catches a tail that was cut
/// and replaced by a forged closing entry, which the chain alone cannot.
pub fn verify_against(path: &Path, expected: &LogHead) -> Result<Verified, VerifyError> {
    verify_inner(path, Some(expected))
}

/// How one read of a line ended.
enum LineRead {
    Eof,
    /// A line ending with `\n` (`true`) or the end of the file (`false`).
    Line(bool),
    TooLong,
}

fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<LineRead> {
    buf.clear();
    let n = r
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', buf)?;
    Ok(if n == 0 {
        LineRead::Eof
    } else if buf.last() == Some(&b'\n') {
        LineRead::Line(true)
    } else if buf.len() > MAX_LINE {
        LineRead::TooLong
    } else {
        LineRead::Line(false)
    })
}

fn verify_inner(path: &Path, expected: Option<&LogHead>) -> Result<Verified, VerifyError> {
    let file = File::open(path).map_err(|source| {
        Chain {
            entries: 0,
            head: GENESIS.to_string(),
        }
        .fail(Problem::Io { source })
    })?;
    verify_reader(file, expected)
}

/// Verifies a log read from any byte stream, as [`verify`] (with `expected`:
/// [`verify_against`]) does for a file. The file functions are this one after
/// `open`; it is public so that the verifier can be driven without a file
/// (the fuzz target in `fuzz/`).
pub fn verify_reader(
    reader: impl Read,
    expected: Option<&LogHead>,
) -> Result<Verified, VerifyError> {
    let mut st = Chain {
        entries: 0,
        head: GENESIS.to_string(),
    };
    let mut r = BufReader::with_capacity(64 << 10, reader);
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut close_line = None;
    let mut expected_head_at = None;
    loop {
        let complete =
            match read_line(&mut r, &mut buf).map_err(|source| st.fail(Problem::Io { source }))? {
                LineRead::Eof => break,
                LineRead::TooLong => {
                    line += 1;
                    if let Some(close_line) = close_line {
                        return Err(st.fail(Problem::AfterClose { line, close_line }));
                    }
                    return Err(st.fail(Problem::Malformed {
                        line,
                        reason: format!("longer than {MAX_LINE} bytes"),
                    }));
                }
                LineRead::Line(complete) => complete,
            };
        line += 1;
        if let Some(close_line) = close_line {
            return Err(st.fail(Problem::AfterClose { line, close_line }));
        }
        if !complete {
            return Err(st.fail(Problem::Truncated { line }));
        }
        let not_entry = |reason: String, json: bool| {
            if line == 1 {
                Problem::NotALog { reason }
            } else if json {
                Problem::Malformed { line, reason }
            } else {
                Problem::NotJson { line, reason }
            }
        };
        let mut value: Value = match serde_json::from_slice(&buf) {
            Ok(v) => v,
            Err(e) => return Err(st.fail(not_entry(e.to_string(), false))),
        };
        let Some(map) = value.as_object_mut() else {
            return Err(st.fail(not_entry("not a JSON object".into(), true)));
        };
        let claimed = match map.remove("hash") {
            Some(Value::String(h)) if is_hash(&h) => h,
            Some(_) => {
                return Err(st.fail(not_entry(
                    "`hash` is not 64 lowercase hex digits".into(),
                    true,
                )));
            }
            None => return Err(st.fail(not_entry("no `hash` field".into(), true))),
        };
        let computed = entry_hash(&value);
        // An edit is reported as one even when it also makes the entry
        // ill-formed (an added member, a changed type). Without a readable seq
        // the entry fails to parse below, as a malformed line.
        if computed != claimed {
            if let Some(seq) = value.get("seq").and_then(Value::as_u64) {
                return Err(st.fail(Problem::Edited { line, seq }));
            }
        }
        let entry: Entry = match serde_json::from_value(value) {
            Ok(e) => e,
            Err(e) => return Err(st.fail(not_entry(e.to_string(), true))),
        };
        if entry.seq > st.entries {
            let problem = match find_seq(&mut r, &mut buf, st.entries, line) {
                Some(at) => Problem::Reordered {
                    line,
                    seq: entry.seq,
                    expected: st.entries,
                    expected_at: Some(at),
                },
                None => Problem::Removed {
                    line,
                    seq: entry.seq,
                    expected: st.entries,
                },
            };
            return Err(st.fail(problem));
        }
        if entry.seq < st.entries {
            return Err(st.fail(Problem::Reordered {
                line,
                seq: entry.seq,
                expected: st.entries,
                expected_at: None,
            }));
        }
        if entry.prev != st.head {
            return Err(st.fail(Problem::ChainBroken {
                line,
                seq: entry.seq,
            }));
        }
        if !is_hash(&entry.prev) {
            return Err(st.fail(not_entry(
                "`prev` is not 64 lowercase hex digits".into(),
                true,
            )));
        }
        if entry.time != format_ts(entry.time_ns) {
            return Err(st.fail(not_entry(
                format!(
                    "`time` {} is not the instant of `time_ns` {} ({})",
                    entry.time,
                    entry.time_ns,
                    format_ts(entry.time_ns)
                ),
                true,
            )));
        }
        if entry.event == Event::Close {
            let want = serde_json::json!({ "entries": entry.seq + 1 });
            if entry.details != want {
                return Err(st.fail(not_entry(
                    format!("the closing entry's details should be {want}"),
                    true,
                )));
            }
            close_line = Some(line);
        }
        if expected.is_some_and(|h| h.head_hash == computed) {
            expected_head_at = Some(line);
        }
        st.entries += 1;
        st.head = computed;
    }
    if st.entries == 0 {
        return Err(st.fail(Problem::Empty));
    }
    if close_line.is_none() {
        return Err(st.fail(Problem::Unclosed));
    }
    let verified = Verified {
        entries: st.entries,
        head_hash: st.head.clone(),
        closed: true,
    };
    if let Some(expected) = expected {
        if *expected != verified.head() {
            return Err(st.fail(Problem::HeadMismatch {
                expected: expected.clone(),
                found: verified.head(),
                expected_head_at,
            }));
        }
    }
    Ok(verified)
}

/// The verified prefix so far.
struct Chain {
    entries: u64,
    head: String,
}

impl Chain {
    fn fail(&self, problem: Problem) -> VerifyError {
        VerifyError {
            intact: self.entries,
            head_hash: self.head.clone(),
            problem,
        }
    }
}

/// Reads the rest of the file for an entry with `seq` (to tell entries moved
/// from entries removed); returns its line. Lines that are not entries are
/// skipped. Memory stays one line.
fn find_seq(r: &mut impl BufRead, buf: &mut Vec<u8>, seq: u64, mut line: u64) -> Option<u64> {
    loop {
        match read_line(r, buf) {
            Ok(LineRead::Eof) | Err(_) => return None,
            Ok(LineRead::TooLong) => {
                // Skip the rest of the over-long line.
                line += 1;
                loop {
                    match read_line(r, buf) {
                        Ok(LineRead::Line(true)) => break,
                        Ok(LineRead::TooLong) => continue,
                        _ => return None,
                    }
                }
                continue;
            }
            Ok(LineRead::Line(_)) => line += 1,
        }
        let found = serde_json::from_slice::<Value>(buf)
            .ok()
            .and_then(|v| v.get("seq").and_then(Value::as_u64));
        if found == Some(seq) {
            return Some(line);
        }
    }
}

#[cfg(test)]
mod tests;
