//! Sorted record output with bounded memory.
//!
//! Workers finish flows in an order that depends on sharding and timing; the
//! files must not. Each worker formats its records (in parallel) into a
//! [`RunBuffer`], keyed by a `u64` (the flow id). When a buffer grows past its
//! budget it is sorted and spilled to a temporary file beside the output; at the
//! end [`merge_runs`] does a k-way merge of every run of every worker into the
//! final file, so memory stays bounded whatever the capture's length and the file
//! is identical for any number of threads.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Bytes of formatted records a worker keeps in memory before spilling a run.
pub const RUN_BUDGET: usize = 32 << 20;

/// Sort key of a record: flows use `[first packet's time, flow_id, 0]`,
/// protocol records `[time, flow_id, seq]` (times with the sign bit flipped).
pub type Key = [u64; 3];

/// Formatted records of one worker, sorted into runs.
pub struct RunBuffer {
    keys: Vec<(Key, u32, u32)>,
    data: Vec<u8>,
    spills: Vec<tempfile::NamedTempFile>,
    spill_dir: PathBuf,
    budget: usize,
    /// Bytes of records written to `spills`.
    spilled: u64,
}

/// A finished set of sorted runs, ready to merge: what was left in memory
/// (sorted in place, not copied) and the spilled files.
pub struct Runs {
    mem: MemRun,
    files: Vec<tempfile::NamedTempFile>,
    /// Bytes of records, in memory and spilled (to balance the merges).
    bytes: u64,
}

/// Records kept in memory: `keys` sorted, each pointing into `data`.
#[derive(Default)]
struct MemRun {
    keys: Vec<(Key, u32, u32)>,
    data: Vec<u8>,
}

impl Runs {
    /// Bytes of records held, in memory and spilled.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl RunBuffer {
    /// A buffer spilling into `spill_dir` past `budget` bytes.
    pub fn new(spill_dir: &Path, budget: usize) -> Self {
        RunBuffer {
            keys: Vec::new(),
            data: Vec::new(),
            spills: Vec::new(),
            spill_dir: spill_dir.to_path_buf(),
            budget,
            spilled: 0,
        }
    }

    /// Adds one record: `write` appends its formatted bytes.
    pub fn push(&mut self, key: Key, write: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        let start = self.data.len();
        write(&mut self.data);
        let len = self.data.len() - start;
        self.keys.push((key, start as u32, len as u32));
        if self.data.len() >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Records held so far, spilled or not.
    fn sort(&mut self) {
        // Equal keys (the same flow read twice, from two files) are ordered
        // by their bytes: the order then does not depend on which worker or
        // process read which.
        let data = &self.data;
        let bytes = |&(_, s, l): &(Key, u32, u32)| &data[s as usize..(s + l) as usize];
        self.keys
            .sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| bytes(a).cmp(bytes(b))));
    }

    fn spill(&mut self) -> io::Result<()> {
        self.sort();
        let tmp = tempfile::Builder::new()
            .prefix(".ivraie-run-")
            .tempfile_in(&self.spill_dir)?;
        {
            // 256 KiB a write: a run is tens of megabytes.
            let mut w = BufWriter::with_capacity(256 << 10, tmp.as_file());
            for &(key, start, len) in &self.keys {
                write_entry(
                    &mut w,
                    key,
                    &self.data[start as usize..(start + len) as usize],
                )?;
            }
            w.flush()?;
        }
        self.spills.push(tmp);
        self.spilled += self.data.len() as u64;
        self.keys.clear();
        self.data.clear();
        Ok(())
    }

    /// Sorts what is left in memory and hands over every run.
    pub fn finish(mut self) -> Runs {
        self.sort();
        Runs {
            bytes: self.spilled + self.data.len() as u64,
            mem: MemRun {
                keys: self.keys,
                data: self.data,
            },
            files: self.spills,
        }
    }
}

/// Where a merge is in one run; [`Cursor::record`] is its current record.
enum Cursor {
    Mem { run: MemRun, at: usize },
    File(RunReader),
}

impl Cursor {
    /// Moves to the first record; false if the run is empty.
    fn start(&mut self) -> io::Result<bool> {
        match self {
            Cursor::Mem { run, at } => {
                *at = 0;
                Ok(!run.keys.is_empty())
            }
            Cursor::File(r) => r.advance(),
        }
    }

    /// Moves to the next record; false at the end of the run.
    fn advance(&mut self) -> io::Result<bool> {
        match self {
            Cursor::Mem { run, at } => {
                *at += 1;
                Ok(*at < run.keys.len())
            }
            Cursor::File(r) => r.advance(),
        }
    }

    /// The current record (after an `advance` that returned true).
    fn record(&self) -> (Key, &[u8]) {
        match self {
            Cursor::Mem { run, at } => {
                let (key, start, len) = run.keys[*at];
                (key, &run.data[start as usize..(start + len) as usize])
            }
            Cursor::File(r) => (r.key, &r.buf[r.record.clone()]),
        }
    }
}

/// Reads a spilled run's records in place, one buffer at a time: no
/// allocation per record.
struct RunReader {
    file: File,
    buf: Vec<u8>,
    /// Unread bytes are `buf[pos..end]`.
    pos: usize,
    end: usize,
    key: Key,
    record: std::ops::Range<usize>,
}

/// Bytes of an entry's header: the key's three words and the length.
const ENTRY_HEAD: usize = 28;

impl RunReader {
    fn new(file: File) -> RunReader {
        RunReader {
            file,
            // One buffer per spilled run, and runs add up with the input's
            // length: the 64 KiB the merge read them through before.
            buf: vec![0; 64 << 10],
            pos: 0,
            end: 0,
            key: [0; 3],
            record: 0..0,
        }
    }

    /// Makes `need` bytes available from `pos`; false at a clean end of file.
    fn fill(&mut self, need: usize) -> io::Result<bool> {
        if self.end - self.pos >= need {
            return Ok(true);
        }
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        }
        while self.end < need {
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(0) if self.end == 0 => return Ok(false),
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    fn advance(&mut self) -> io::Result<bool> {
        self.pos = self.record.end.max(self.pos);
        if !self.fill(ENTRY_HEAD)? {
            return Ok(false);
        }
        let head = &self.buf[self.pos..self.pos + ENTRY_HEAD];
        let word = |i: usize| u64::from_le_bytes(head[i * 8..i * 8 + 8].try_into().expect("8"));
        self.key = [word(0), word(1), word(2)];
        let len = u32::from_le_bytes(head[24..].try_into().expect("4 bytes")) as usize;
        if !self.fill(ENTRY_HEAD + len)? {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.record = self.pos + ENTRY_HEAD..self.pos + ENTRY_HEAD + len;
        Ok(true)
    }
}

/// Writes every record of every run to `out` in key order (ties: by bytes).
/// Returns the number of records written.
pub fn merge_runs(runs: Vec<Runs>, out: &mut impl Write) -> io::Result<u64> {
    merge_runs_with(runs, |_, v| out.write_all(v))
}

/// Hands every record of every run, with its key, to `f` in key order (ties:
/// by bytes, then by run). Returns the number of records.
pub fn merge_runs_with(
    runs: Vec<Runs>,
    mut f: impl FnMut(Key, &[u8]) -> io::Result<()>,
) -> io::Result<u64> {
    let mut cursors = Vec::new();
    for r in runs {
        for f in r.files {
            // Reopen: the run file's own handle was written through a BufWriter.
            cursors.push(Cursor::File(RunReader::new(f.reopen()?)));
        }
        cursors.push(Cursor::Mem { run: r.mem, at: 0 });
    }
    let mut heap = BinaryHeap::with_capacity(cursors.len());
    for (i, c) in cursors.iter_mut().enumerate() {
        if c.start()? {
            heap.push(Reverse((c.record().0, i)));
        }
    }
    let mut tied = Vec::new();
    let mut n = 0;
    while let Some(Reverse((k, mut i))) = heap.pop() {
        // Runs whose current records have the same key: the least bytes
        // first, then the first run (rare: one flow read from two files).
        while let Some(&Reverse((k2, j))) = heap.peek() {
            if k2 != k {
                break;
            }
            heap.pop();
            tied.push(j);
        }
        if !tied.is_empty() {
            tied.push(i);
            let bytes = |j: usize| cursors[j].record().1;
            i = *tied
                .iter()
                .min_by(|&&a, &&b| bytes(a).cmp(bytes(b)).then(a.cmp(&b)))
                .expect("tied is not empty");
            for j in tied.drain(..).filter(|&j| j != i) {
                heap.push(Reverse((k, j)));
            }
        }
        f(k, cursors[i].record().1)?;
        n += 1;
        if cursors[i].advance()? {
            heap.push(Reverse((cursors[i].record().0, i)));
        }
    }
    Ok(n)
}

/// Writes records that arrive already in key order into one run file (a
/// cluster share's records, received by the process that writes the files).
pub struct RunWriter {
    file: tempfile::NamedTempFile,
    w: BufWriter<File>,
    bytes: u64,
}

impl RunWriter {
    /// A run file in `dir`.
    pub fn new(dir: &Path) -> io::Result<RunWriter> {
        let file = tempfile::Builder::new()
            .prefix(".ivraie-run-")
            .tempfile_in(dir)?;
        let w = BufWriter::with_capacity(256 << 10, file.reopen()?);
        Ok(RunWriter { file, w, bytes: 0 })
    }

    /// Appends one record; keys must not go down.
    pub fn push(&mut self, key: Key, bytes: &[u8]) -> io::Result<()> {
        self.bytes += bytes.len() as u64;
        write_entry(&mut self.w, key, bytes)
    }

    /// The finished run.
    pub fn finish(mut self) -> io::Result<Runs> {
        self.w.flush()?;
        Ok(Runs {
            mem: MemRun::default(),
            files: vec![self.file],
            bytes: self.bytes,
        })
    }
}

fn write_entry(w: &mut impl Write, key: Key, bytes: &[u8]) -> io::Result<()> {
    for k in key {
        w.write_all(&k.to_le_bytes())?;
    }
    w.write_all(&(bytes.len() as u32).to_le_bytes())?;
    w.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_merge_in_key_order_across_spills_and_workers() {
        let dir = tempfile::tempdir().unwrap();
        // A budget of 1 byte spills after every record.
        let mut a = RunBuffer::new(dir.path(), 1);
        let mut b = RunBuffer::new(dir.path(), 1 << 20);
        for k in [5u64, 1, 9, 3] {
            a.push([k, 0, 0], |v| {
                v.extend_from_slice(format!("a{k}\n").as_bytes())
            })
            .unwrap();
        }
        for k in [4u64, 2, 8] {
            b.push([k, 0, 0], |v| {
                v.extend_from_slice(format!("b{k}\n").as_bytes())
            })
            .unwrap();
        }
        let mut out = Vec::new();
        let n = merge_runs(vec![a.finish(), b.finish()], &mut out).unwrap();
        assert_eq!(n, 7);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a1\nb2\na3\nb4\na5\nb8\na9\n"
        );
        // Spill files are temporary: nothing is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn ties_go_by_bytes_then_run_and_big_records_cross_the_read_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let big = vec![b'x'; 700 << 10];
        // `a` spills every record; `b` keeps its records in memory.
        let mut a = RunBuffer::new(dir.path(), 1);
        let mut b = RunBuffer::new(dir.path(), 1 << 30);
        for (k, v) in [(2u64, &b"c"[..]), (2, b"a"), (1, &big[..]), (3, b"z")] {
            a.push([k, 0, 0], |o| o.extend_from_slice(v)).unwrap();
        }
        for (k, v) in [(2u64, &b"b"[..]), (2, b"a"), (3, b"y"), (1, b"y")] {
            b.push([k, 0, 0], |o| o.extend_from_slice(v)).unwrap();
        }
        let (a, b) = (a.finish(), b.finish());
        assert_eq!(a.bytes(), big.len() as u64 + 3);
        assert_eq!(b.bytes(), 4);
        let mut got = Vec::new();
        let n = merge_runs_with(vec![a, b], |k, v| {
            got.push((
                k[0],
                if v.len() > 8 {
                    b"big".to_vec()
                } else {
                    v.to_vec()
                },
            ));
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 8);
        let want: Vec<(u64, Vec<u8>)> = [
            (1, &b"big"[..]),
            (1, b"y"),
            (2, b"a"),
            (2, b"a"),
            (2, b"b"),
            (2, b"c"),
            (3, b"y"),
            (3, b"z"),
        ]
        .iter()
        .map(|(k, v)| (*k, v.to_vec()))
        .collect();
        assert_eq!(got, want);
    }
}
