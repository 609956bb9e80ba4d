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
use std::io::{self, BufReader, BufWriter, Read, Write};
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
}

/// A finished set of sorted runs, ready to merge.
pub struct Runs {
    mem: Vec<(Key, Vec<u8>)>,
    files: Vec<tempfile::NamedTempFile>,
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
            let mut w = BufWriter::new(tmp.as_file());
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
        self.keys.clear();
        self.data.clear();
        Ok(())
    }

    /// Sorts what is left in memory and hands over every run.
    pub fn finish(mut self) -> Runs {
        self.sort();
        let mem = self
            .keys
            .iter()
            .map(|&(k, s, l)| (k, self.data[s as usize..(s + l) as usize].to_vec()))
            .collect();
        Runs {
            mem,
            files: self.spills,
        }
    }
}

enum Cursor {
    Mem(std::vec::IntoIter<(Key, Vec<u8>)>),
    File(BufReader<File>),
}

impl Cursor {
    fn next(&mut self) -> io::Result<Option<(Key, Vec<u8>)>> {
        match self {
            Cursor::Mem(it) => Ok(it.next()),
            Cursor::File(r) => {
                let mut head = [0u8; 28];
                match r.read_exact(&mut head) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
                    Err(e) => return Err(e),
                }
                let word =
                    |i: usize| u64::from_le_bytes(head[i * 8..i * 8 + 8].try_into().expect("8"));
                let key = [word(0), word(1), word(2)];
                let len = u32::from_le_bytes(head[24..].try_into().expect("4 bytes"));
                let mut buf = vec![0; len as usize];
                r.read_exact(&mut buf)?;
                Ok(Some((key, buf)))
            }
        }
    }
}

/// Writes every record of every run to `out` in key order (ties: by bytes).
/// Returns the number of records written.
pub fn merge_runs(runs: Vec<Runs>, out: &mut impl Write) -> io::Result<u64> {
    merge_runs_with(runs, |_, v| out.write_all(v))
}

/// Hands every record of every run, with its key, to `f` in key order (ties:
/// by bytes). Returns the number of records.
pub fn merge_runs_with(
    runs: Vec<Runs>,
    mut f: impl FnMut(Key, &[u8]) -> io::Result<()>,
) -> io::Result<u64> {
    let mut cursors = Vec::new();
    for r in runs {
        for f in r.files {
            // Reopen: the run file's own handle was written through a BufWriter.
            cursors.push(Cursor::File(BufReader::with_capacity(
                64 << 10,
                f.reopen()?,
            )));
        }
        cursors.push(Cursor::Mem(r.mem.into_iter()));
    }
    // Equal keys: by bytes, then run order.
    let mut heap = BinaryHeap::new();
    for (i, c) in cursors.iter_mut().enumerate() {
        if let Some((k, v)) = c.next()? {
            heap.push(Reverse((k, v, i)));
        }
    }
    let mut n = 0;
    while let Some(Reverse((k, v, i))) = heap.pop() {
        f(k, &v)?;
        n += 1;
        if let Some((k, v)) = cursors[i].next()? {
            heap.push(Reverse((k, v, i)));
        }
    }
    Ok(n)
}

/// Writes records that arrive already in key order into one run file (a
/// cluster share's records, received by the process that writes the files).
pub struct RunWriter {
    file: tempfile::NamedTempFile,
    w: BufWriter<File>,
}

impl RunWriter {
    /// A run file in `dir`.
    pub fn new(dir: &Path) -> io::Result<RunWriter> {
        let file = tempfile::Builder::new()
            .prefix(".ivraie-run-")
            .tempfile_in(dir)?;
        let w = BufWriter::with_capacity(256 << 10, file.reopen()?);
        Ok(RunWriter { file, w })
    }

    /// Appends one record; keys must not go down.
    pub fn push(&mut self, key: Key, bytes: &[u8]) -> io::Result<()> {
        write_entry(&mut self.w, key, bytes)
    }

    /// The finished run.
    pub fn finish(mut self) -> io::Result<Runs> {
        self.w.flush()?;
        Ok(Runs {
            mem: Vec::new(),
            files: vec![self.file],
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
}
