//! Reading captures: classic pcap and pcapng, from files, directories and stdin.
//!
//! This module owns the bytes on disk and nothing above layer 2. It turns a capture
//! into a stream of [`Frame`]s — timestamp, captured and original length, link type,
//! and where the bytes sit — without copying packet data: the reader fills 1 MiB
//! [`Chunk`]s that it shares (`Arc`) with whoever consumes the frames, and recycles a
//! chunk once nobody holds it. Framing is done by `pcap-parser` on those chunks.
//!
//! Formats covered:
//! - classic pcap, both byte orders, µs and ns timestamps (magic `a1b2c3d4` /
//!   `a1b23c4d`, either order), and the LE "modified" (Kuznetzov) variant;
//! - pcapng (<https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html>): several
//!   sections, several interfaces with their own link type, `if_tsresol` and
//!   `if_tsoffset`; Enhanced and Simple Packet Blocks. Other blocks are skipped.
//!
//! Several inputs (explicit files or the captures of a directory) are merged into
//! one stream in timestamp order, ties broken by input order, as `mergecap` does.
//!
//! A broken file never stops the run: [`MergedSource`] records a [`CaptureError`]
//! naming the file and byte offset, keeps the frames read before it, and goes on
//! with the other inputs. Next step for a frame: [`crate::decode`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pcap_parser::PcapError;
use pcap_parser::pcap::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
};
use pcap_parser::pcapng::{
    Block, OptionCode, parse_block_be, parse_block_le, parse_sectionheaderblock,
};
use pcap_parser::traits::PcapNGPacketBlock;

/// Size of a read chunk when one input is read alone.
pub const CHUNK_SIZE: usize = 1 << 20;
/// Size of a read chunk when many inputs are merged (keeps memory bounded).
pub const SMALL_CHUNK_SIZE: usize = 64 << 10;
/// A record or block longer than this is treated as corruption, not buffered.
/// (libpcap's own ceiling for the largest link types is 256 KiB; pcapng blocks
/// carrying systemd journal or secrets may be larger, hence the margin.)
pub const MAX_RECORD_LEN: usize = 16 << 20;
/// The largest packet libpcap writes for the common link types
/// (`MAXIMUM_SNAPLEN`), and the ceiling Wireshark's reader applies. A pcap
/// record claiming more than this and more than its file's snaplen is not a
/// record boundary: the file is corrupt there.
pub const PCAP_MAX_SNAPLEN: usize = 262_144;

/// Link-layer header types (tcpdump.org `LINKTYPE_*`), as an open enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkType {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    Null,
    /// Ethernet II / 802.3, with optional 802.1Q / 802.1ad tags.
    Ethernet,
    /// Raw IP, version taken from the first nibble (DLT_RAW 12 and 14 on some BSDs too).
    Raw,
    /// OpenBSD loopback: 4-byte address family in network byte order.
    Loop,
    /// Linux "cooked" capture v1 (16-byte header).
    LinuxSll,
    /// Linux "cooked" capture v2 (20-byte header).
    LinuxSll2,
    /// Raw IPv4.
    Ipv4,
    /// Raw IPv6.
    Ipv6,
    /// Per-Packet Information: a header naming the link type that follows.
    Ppi,
    /// PPP (RFC 1661), optionally in HDLC-like framing (RFC 1662): `ff 03` first.
    Ppp,
    /// PPP in HDLC-like framing (RFC 1662), or Cisco HDLC (RFC 1547 §4.3.1).
    PppHdlc,
    /// Cisco HDLC (RFC 1547 §4.3.1): address, control, Ethernet type.
    CHdlc,
    /// BSD ARCNET: source, destination, protocol ID, then RFC 1201 fields.
    ArcnetBsd,
    /// Linux ARCNET: source, destination, 2-byte offset, protocol ID, then RFC 1201 fields.
    ArcnetLinux,
    /// Linux netfilter NFLOG: a 4-byte header, then TLVs, one holding the IP packet.
    Nflog,
    /// Apple PKTAP: a little-endian header naming the link type that follows.
    Pktap,
    /// Anything else: counted and reported, frames not decoded.
    Unknown(u32),
}

impl LinkType {
    /// Maps a `LINKTYPE_*` number.
    pub fn from_number(n: u32) -> LinkType {
        match n {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            101 | 12 | 14 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            192 => LinkType::Ppi,
            9 => LinkType::Ppp,
            50 => LinkType::PppHdlc,
            104 => LinkType::CHdlc,
            7 => LinkType::ArcnetBsd,
            129 => LinkType::ArcnetLinux,
            239 => LinkType::Nflog,
            258 => LinkType::Pktap,
            n => LinkType::Unknown(n),
        }
    }

    /// The `LINKTYPE_*` number.
    pub fn number(self) -> u32 {
        match self {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
            LinkType::Loop => 108,
            LinkType::LinuxSll => 113,
            LinkType::LinuxSll2 => 276,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::Ppi => 192,
            LinkType::Ppp => 9,
            LinkType::PppHdlc => 50,
            LinkType::CHdlc => 104,
            LinkType::ArcnetBsd => 7,
            LinkType::ArcnetLinux => 129,
            LinkType::Nflog => 239,
            LinkType::Pktap => 258,
            LinkType::Unknown(n) => n,
        }
    }

    /// Short name, as tcpdump spells the `DLT_` suffix.
    pub fn name(self) -> String {
        match self {
            LinkType::Null => "null".into(),
            LinkType::Ethernet => "ethernet".into(),
            LinkType::Raw => "raw".into(),
            LinkType::Loop => "loop".into(),
            LinkType::LinuxSll => "linux_sll".into(),
            LinkType::LinuxSll2 => "linux_sll2".into(),
            LinkType::Ipv4 => "ipv4".into(),
            LinkType::Ipv6 => "ipv6".into(),
            LinkType::Ppi => "ppi".into(),
            LinkType::Ppp => "ppp".into(),
            LinkType::PppHdlc => "ppp_hdlc".into(),
            LinkType::CHdlc => "c_hdlc".into(),
            LinkType::ArcnetBsd => "arcnet".into(),
            LinkType::ArcnetLinux => "arcnet_linux".into(),
            LinkType::Nflog => "nflog".into(),
            LinkType::Pktap => "pktap".into(),
            LinkType::Unknown(n) => format!("linktype_{n}"),
        }
    }
}

/// Errors of the capture layer. Each names the input and, where it applies, the
/// byte offset in that input where reading stopped.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The input could not be opened or read by the operating system.
    #[error("{path}: {source}")]
    Io {
        /// The input's name as given (or `-` for stdin).
        path: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// The input does not start with a pcap or pcapng magic number.
    #[error("{path}: not a pcap or pcapng capture (magic {magic:02x?} at byte 0)")]
    NotACapture {
        /// The input's name.
        path: String,
        /// The first bytes of the input.
        magic: Vec<u8>,
    },
    /// The input ends in the middle of a record or block.
    #[error("{path}: truncated at byte {offset}: {what} needs {needed} more bytes")]
    Truncated {
        /// The input's name.
        path: String,
        /// Offset of the incomplete record.
        offset: u64,
        /// Which structure was cut.
        what: &'static str,
        /// Bytes missing, as far as known.
        needed: usize,
    },
    /// A record or block is malformed (bad length, bad magic, unknown version...).
    #[error("{path}: corrupt at byte {offset}: {reason}")]
    Corrupt {
        /// The input's name.
        path: String,
        /// Offset of the bad record.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
}

impl CaptureError {
    /// The input this error concerns.
    pub fn path(&self) -> &str {
        match self {
            CaptureError::Io { path, .. }
            | CaptureError::NotACapture { path, .. }
            | CaptureError::Truncated { path, .. }
            | CaptureError::Corrupt { path, .. } => path,
        }
    }

    /// Byte offset where reading stopped, when known.
    pub fn offset(&self) -> Option<u64> {
        match self {
            CaptureError::Truncated { offset, .. } | CaptureError::Corrupt { offset, .. } => {
                Some(*offset)
            }
            CaptureError::NotACapture { .. } => Some(0),
            CaptureError::Io { .. } => None,
        }
    }
}

/// Raw capture bytes shared between the reader and the workers.
pub type Chunk = Arc<ChunkBuf>;

/// Size of a window onto a memory-mapped capture.
pub const MAP_WINDOW: usize = 4 << 20;

/// The bytes behind a [`Chunk`]: a buffer the reader filled, or a window onto a
/// memory-mapped file. A window gives its pages back to the kernel
/// (`MADV_DONTNEED`) when the last frame using it is dropped, so the resident
/// size stays bounded however long the file.
pub struct ChunkBuf(ChunkBytes);

enum ChunkBytes {
    Heap(Vec<u8>),
    Map {
        map: Arc<memmap2::Mmap>,
        start: usize,
        end: usize,
        /// Where the next window starts: pages before it may be released.
        release_end: std::sync::atomic::AtomicUsize,
    },
}

impl ChunkBuf {
    /// A heap buffer.
    pub fn heap(v: Vec<u8>) -> Self {
        ChunkBuf(ChunkBytes::Heap(v))
    }

    /// The heap buffer, for filling (none for a mapped window).
    pub fn heap_mut(&mut self) -> Option<&mut Vec<u8>> {
        match &mut self.0 {
            ChunkBytes::Heap(v) => Some(v),
            ChunkBytes::Map { .. } => None,
        }
    }

    fn set_release_end(&self, at: usize) {
        if let ChunkBytes::Map { release_end, .. } = &self.0 {
            release_end.store(at, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl std::ops::Deref for ChunkBuf {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        match &self.0 {
            ChunkBytes::Heap(v) => v,
            ChunkBytes::Map {
                map, start, end, ..
            } => &map[*start..*end],
        }
    }
}

impl Drop for ChunkBuf {
    fn drop(&mut self) {
        if let ChunkBytes::Map {
            map,
            start,
            release_end,
            ..
        } = &self.0
        {
            const PAGE: usize = 4096;
            let from = start.div_ceil(PAGE) * PAGE;
            let to = release_end.load(std::sync::atomic::Ordering::Relaxed) / PAGE * PAGE;
            if to > from {
                // SAFETY: the mapping is read-only and file-backed; dropping its
                // pages only makes a later access fault them in again from the
                // page cache. No reference into [from, to) outlives this window:
                // frames are only read through the chunk that delivered them.
                let _ = unsafe {
                    map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from)
                };
            }
        }
    }
}

/// One captured frame. The bytes are `chunk[off .. off + caplen]` of the chunk it
/// was delivered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Timestamp, nanoseconds since the Unix epoch (UTC).
    pub ts_ns: i64,
    /// Bytes captured (what the file holds).
    pub caplen: u32,
    /// Bytes on the wire (may exceed `caplen` under a snaplen).
    pub wirelen: u32,
    /// How to decode the first byte.
    pub linktype: LinkType,
    /// Offset of the frame's first byte in its chunk.
    pub off: u32,
    /// Index of the input (in the order given) the frame came from.
    pub input: u16,
}

impl Frame {
    /// The frame's bytes within its chunk.
    #[inline]
    pub fn bytes<'a>(&self, chunk: &'a [u8]) -> &'a [u8] {
        &chunk[self.off as usize..self.off as usize + self.caplen as usize]
    }
}

/// Where an input comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputSpec {
    /// A capture file.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

impl InputSpec {
    /// The name used in messages.
    pub fn name(&self) -> String {
        match self {
            InputSpec::File(p) => p.display().to_string(),
            InputSpec::Stdin => "-".to_string(),
        }
    }
}

/// Expands the command line's capture arguments: `-` is stdin, a directory stands
/// for every capture in it (recursively, sorted by name; files whose first bytes are
/// not a capture magic are skipped and listed in the second value), anything else
/// is a file.
pub fn expand_inputs(args: &[PathBuf]) -> (Vec<InputSpec>, Vec<PathBuf>) {
    let mut inputs = Vec::new();
    let mut skipped = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            inputs.push(InputSpec::Stdin);
        } else if arg.is_dir() {
            let mut files = Vec::new();
            collect_dir(arg, &mut files);
            files.sort();
            for f in files {
                if looks_like_capture(&f) {
                    inputs.push(InputSpec::File(f));
                } else {
                    skipped.push(f);
                }
            }
        } else {
            inputs.push(InputSpec::File(arg.clone()));
        }
    }
    (inputs, skipped)
}

fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        // An unreadable directory is reported when its path is opened as a file.
        out.push(dir.to_path_buf());
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_dir(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

fn looks_like_capture(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    match File::open(path).and_then(|mut f| f.read_exact(&mut magic)) {
        Ok(()) => Magic::detect(&magic).is_some(),
        Err(_) => false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Magic {
    Pcap {
        big_endian: bool,
        nanos: bool,
        modified: bool,
    },
    PcapNg,
}

impl Magic {
    fn detect(b: &[u8]) -> Option<Magic> {
        let m: [u8; 4] = b.get(..4)?.try_into().ok()?;
        let le = u32::from_le_bytes(m);
        let be = u32::from_be_bytes(m);
        let pcap = |v: u32, big_endian| match v {
            0xa1b2_c3d4 => Some(Magic::Pcap {
                big_endian,
                nanos: false,
                modified: false,
            }),
            0xa1b2_3c4d => Some(Magic::Pcap {
                big_endian,
                nanos: true,
                modified: false,
            }),
            0xa1b2_cd34 => Some(Magic::Pcap {
                big_endian,
                nanos: false,
                modified: true,
            }),
            _ => None,
        };
        if le == 0x0a0d_0d0a {
            return Some(Magic::PcapNg);
        }
        pcap(le, false).or_else(|| pcap(be, true))
    }
}

/// Per-interface facts of a pcapng section.
#[derive(Clone, Copy, Debug)]
struct Interface {
    linktype: LinkType,
    snaplen: u32,
    /// Timestamp units per second.
    resolution: u64,
    /// Seconds added to every timestamp.
    offset_s: i64,
}

#[derive(Debug)]
enum Format {
    Pcap {
        big_endian: bool,
        nanos: bool,
        modified: bool,
        linktype: LinkType,
        /// The file's snaplen.
        snaplen: u32,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// Reads one input, frame by frame, into shared chunks.
pub struct CaptureReader {
    name: String,
    input: u16,
    src: Box<dyn Read + Send>,
    chunk: Chunk,
    /// Chunks handed out earlier, reused once nobody else holds them.
    pool: Vec<Chunk>,
    /// The whole input, when it is a memory-mapped file.
    map: Option<Arc<memmap2::Mmap>>,
    chunk_size: usize,
    /// Valid bytes are `chunk[pos..end]`.
    pos: usize,
    end: usize,
    /// File offset of `chunk[0]`.
    base: u64,
    eof: bool,
    format: Option<Format>,
    /// Bytes of the input consumed so far (for progress).
    consumed: u64,
    /// Timestamp of the last frame, given to Simple Packet Blocks (which have none).
    last_ts: i64,
    /// Set after the end or an error: no more frames.
    done: bool,
}

/// What reading a frame produced.
enum Step {
    Frame(Frame),
    /// A non-packet block was consumed; call again.
    Skip,
    End,
}

impl CaptureReader {
    /// Opens an input. `input` is its index in the run, carried by every frame.
    /// With `mmap`, a regular file is memory-mapped instead of read (no copy);
    /// a file truncated by another process while mapped would then kill the run
    /// (SIGBUS), so it is opt-in (`--mmap`).
    pub fn open(
        spec: &InputSpec,
        input: u16,
        chunk_size: usize,
        mmap: bool,
    ) -> Result<Self, CaptureError> {
        let name = spec.name();
        let io_err = |source| CaptureError::Io {
            path: name.clone(),
            source,
        };
        let src: Box<dyn Read + Send> = match spec {
            InputSpec::Stdin => Box::new(io::stdin()),
            InputSpec::File(p) => {
                let file = File::open(p).map_err(io_err)?;
                let meta = file.metadata().map_err(io_err)?;
                if mmap && meta.is_file() && meta.len() > 0 {
                    // SAFETY: the map is only read; see the SIGBUS caveat above.
                    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_err)?;
                    let _ = map.advise(memmap2::Advice::Sequential);
                    let mut r = Self::from_reader(name.clone(), input, Box::new(io::empty()), 0);
                    r.map = Some(Arc::new(map));
                    r.chunk_size = MAP_WINDOW;
                    return Ok(r);
                }
                Box::new(file)
            }
        };
        Ok(Self::from_reader(name, input, src, chunk_size))
    }

    /// Reads a capture from any byte stream (used by tests and stdin).
    pub fn from_reader(
        name: String,
        input: u16,
        src: Box<dyn Read + Send>,
        chunk_size: usize,
    ) -> Self {
        CaptureReader {
            name,
            input,
            src,
            chunk: Arc::new(ChunkBuf::heap(vec![0; chunk_size])),
            pool: Vec::new(),
            map: None,
            chunk_size,
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            format: None,
            consumed: 0,
            last_ts: 0,
            done: false,
        }
    }

    /// The input's name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The chunk holding the last frame returned by [`CaptureReader::next_frame`].
    #[inline]
    pub fn chunk(&self) -> &Chunk {
        &self.chunk
    }

    /// Bytes of the input consumed so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Makes sure at least `need` bytes are available from `pos`, moving the unread
    /// tail into a fresh chunk if needed. Returns false at end of input with fewer
    /// bytes left.
    fn fill(&mut self, need: usize) -> Result<bool, CaptureError> {
        if self.end - self.pos >= need {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        if let Some(map) = &self.map {
            // A new window from the first unread byte; the old one may release
            // its pages before that point once its frames are done.
            let start = (self.base + self.pos as u64) as usize;
            let end = map.len().min(start + self.chunk_size.max(need));
            self.chunk.set_release_end(start);
            self.chunk = Arc::new(ChunkBuf(ChunkBytes::Map {
                map: map.clone(),
                start,
                end,
                release_end: std::sync::atomic::AtomicUsize::new(end),
            }));
            self.eof = end == map.len();
            self.base = start as u64;
            self.pos = 0;
            self.end = end - start;
            return Ok(self.end >= need);
        }
        let size = self.chunk_size.max(need);
        let mut fresh = self.take_chunk(size);
        let buf = Arc::get_mut(&mut fresh)
            .and_then(ChunkBuf::heap_mut)
            .expect("pooled chunk is an unshared heap buffer");
        let tail = self.end - self.pos;
        buf[..tail].copy_from_slice(&self.chunk[self.pos..self.end]);
        let mut end = tail;
        while end < need || (end < buf.len() && !self.eof && end < buf.len() / 2) {
            match self.src.read(&mut buf[end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(CaptureError::Io {
                        path: self.name.clone(),
                        source,
                    });
                }
            }
            if self.eof {
                break;
            }
        }
        self.base += self.pos as u64;
        let old = std::mem::replace(&mut self.chunk, fresh);
        self.pool.push(old);
        self.pos = 0;
        self.end = end;
        Ok(self.end >= need)
    }

    fn take_chunk(&mut self, size: usize) -> Chunk {
        if let Some(i) = self
            .pool
            .iter()
            .position(|c| Arc::strong_count(c) == 1 && c.len() >= size)
        {
            return self.pool.swap_remove(i);
        }
        // Every pooled chunk is still held downstream: forget them rather than
        // let the pool grow; they are freed when their last holder drops them.
        if self.pool.len() > 64 {
            self.pool.clear();
        }
        Arc::new(ChunkBuf::heap(vec![0; size]))
    }

    fn read_header(&mut self) -> Result<(), CaptureError> {
        if !self.fill(4)? {
            return Err(CaptureError::NotACapture {
                path: self.name.clone(),
                magic: self.chunk[self.pos..self.end].to_vec(),
            });
        }
        let magic = Magic::detect(&self.chunk[self.pos..self.end]).ok_or_else(|| {
            CaptureError::NotACapture {
                path: self.name.clone(),
                magic: self.chunk[self.pos..self.pos + 4].to_vec(),
            }
        })?;
        match magic {
            Magic::Pcap {
                big_endian,
                nanos,
                modified,
            } => {
                const PCAP_HEADER_LEN: usize = 24;
                if !self.fill(PCAP_HEADER_LEN)? {
                    return Err(self.truncated("pcap file header", PCAP_HEADER_LEN));
                }
                let (_, hdr) = parse_pcap_header(&self.chunk[self.pos..self.end])
                    .map_err(|e| self.corrupt(format!("bad pcap file header: {e:?}")))?;
                if modified && big_endian {
                    return Err(self.corrupt("big-endian modified pcap is not supported".into()));
                }
                self.pos += PCAP_HEADER_LEN;
                self.format = Some(Format::Pcap {
                    big_endian,
                    nanos,
                    modified,
                    linktype: LinkType::from_number(hdr.network.0 as u32 & 0x03ff_ffff),
                    snaplen: hdr.snaplen,
                });
            }
            Magic::PcapNg => {
                // The section header is parsed as an ordinary block below.
                self.format = Some(Format::PcapNg {
                    big_endian: false,
                    interfaces: Vec::new(),
                });
            }
        }
        Ok(())
    }

    fn truncated(&self, what: &'static str, needed: usize) -> CaptureError {
        CaptureError::Truncated {
            path: self.name.clone(),
            offset: self.offset(),
            what,
            needed: needed.saturating_sub(self.end - self.pos),
        }
    }

    fn corrupt(&self, reason: String) -> CaptureError {
        CaptureError::Corrupt {
            path: self.name.clone(),
            offset: self.offset(),
            reason,
        }
    }

    /// Returns the next frame, `None` at the clean end of the input, or the error
    /// that stopped reading. After an error the reader returns `None`.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        if self.format.is_none() {
            if let Err(e) = self.read_header() {
                self.done = true;
                return Err(e);
            }
        }
        loop {
            let step = match self.format {
                Some(Format::Pcap { .. }) => self.pcap_step(),
                Some(Format::PcapNg { .. }) => self.pcapng_step(),
                None => Ok(Step::End),
            };
            match step {
                Ok(Step::Frame(f)) => {
                    self.last_ts = f.ts_ns;
                    return Ok(Some(f));
                }
                Ok(Step::Skip) => continue,
                Ok(Step::End) => return Ok(None),
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
    }

    fn pcap_step(&mut self) -> Result<Step, CaptureError> {
        let Some(Format::Pcap {
            big_endian,
            nanos,
            modified,
            linktype,
            snaplen,
        }) = self.format
        else {
            return Ok(Step::End);
        };
        // Records may exceed a small snaplen (tcpdump's test captures do, and
        // libpcap reads them), not both it and libpcap's own ceiling.
        let max_caplen = (snaplen as usize).clamp(PCAP_MAX_SNAPLEN, MAX_RECORD_LEN);
        let too_long = |caplen: usize| {
            format!(
                "record of {caplen} captured bytes, more than the file's snaplen ({snaplen}) \
                 and than {PCAP_MAX_SNAPLEN}: not a record (corrupt or cut file)"
            )
        };
        // struct pcap_pkthdr { u32 ts_sec; u32 ts_frac; u32 caplen; u32 len; }
        // (the "modified" format appends ifindex, protocol, pkt_type: 24 bytes)
        let hdr_len = if modified { 24 } else { 16 };
        type FrameParser = for<'a> fn(
            &'a [u8],
        ) -> pcap_parser::nom::IResult<
            &'a [u8],
            pcap_parser::LegacyPcapBlock<'a>,
            PcapError<&'a [u8]>,
        >;
        let parse: FrameParser = if modified {
            parse_pcap_frame_modified
        } else if big_endian {
            parse_pcap_frame_be
        } else {
            parse_pcap_frame
        };
        // Fast path: the whole record is already buffered, parsed once.
        let block = match parse(&self.chunk[self.pos..self.end]) {
            Ok((_, block)) => block,
            Err(pcap_parser::nom::Err::Incomplete(_)) => {
                // Slow path: check the announced length before buffering it.
                if !self.fill(1)? {
                    return Ok(Step::End);
                }
                if !self.fill(hdr_len)? {
                    return Err(self.truncated("pcap record header", hdr_len));
                }
                let raw = &self.chunk[self.pos + 8..self.pos + 12];
                let b = [raw[0], raw[1], raw[2], raw[3]];
                let caplen = if big_endian {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                } as usize;
                if caplen > max_caplen {
                    return Err(self.corrupt(too_long(caplen)));
                }
                if !self.fill(hdr_len + caplen)? {
                    return Err(self.truncated("pcap record", hdr_len + caplen));
                }
                match parse(&self.chunk[self.pos..self.end]) {
                    Ok((_, block)) => block,
                    Err(e) => {
                        return Err(self.corrupt(format!("bad pcap record: {}", nom_reason(&e))));
                    }
                }
            }
            Err(e) => return Err(self.corrupt(format!("bad pcap record: {}", nom_reason(&e)))),
        };
        let caplen = block.caplen as usize;
        if caplen > max_caplen {
            return Err(self.corrupt(too_long(caplen)));
        }
        let frac_ns = if nanos {
            block.ts_usec as i64
        } else {
            block.ts_usec as i64 * 1000
        };
        let frame = Frame {
            ts_ns: (block.ts_sec as i64) * 1_000_000_000 + frac_ns,
            caplen: block.caplen,
            wirelen: block.origlen.max(block.caplen),
            linktype,
            off: (self.pos + hdr_len) as u32,
            input: self.input,
        };
        self.pos += hdr_len + caplen;
        self.consumed = self.offset();
        Ok(Step::Frame(frame))
    }

    fn pcapng_step(&mut self) -> Result<Step, CaptureError> {
        // Every block: u32 type, u32 total length, body, u32 total length.
        const BLOCK_MIN: usize = 12;
        if !self.fill(1)? {
            return Ok(Step::End);
        }
        if !self.fill(BLOCK_MIN)? {
            return Err(self.truncated("pcapng block header", BLOCK_MIN));
        }
        let raw = &self.chunk[self.pos..self.end];
        let is_shb = raw[..4] == [0x0a, 0x0d, 0x0d, 0x0a];
        let big_endian = if is_shb {
            // Byte-order magic 0x1a2b3c4d follows the block length.
            match raw[8..12] {
                [0x4d, 0x3c, 0x2b, 0x1a] => false,
                [0x1a, 0x2b, 0x3c, 0x4d] => true,
                _ => {
                    return Err(
                        self.corrupt("pcapng section header has no byte-order magic".into())
                    );
                }
            }
        } else {
            match self.format {
                Some(Format::PcapNg { big_endian, .. }) => big_endian,
                _ => false,
            }
        };
        let len_bytes = [raw[4], raw[5], raw[6], raw[7]];
        let block_len = if big_endian {
            u32::from_be_bytes(len_bytes)
        } else {
            u32::from_le_bytes(len_bytes)
        } as usize;
        if block_len < BLOCK_MIN || block_len % 4 != 0 || block_len > MAX_RECORD_LEN {
            return Err(self.corrupt(format!("pcapng block length {block_len} is invalid")));
        }
        if !self.fill(block_len)? {
            return Err(self.truncated("pcapng block", block_len));
        }
        let buf = &self.chunk[self.pos..self.pos + block_len];
        let parsed = if is_shb {
            parse_sectionheaderblock(buf).map(|(r, b)| (r, Block::SectionHeader(b)))
        } else if big_endian {
            parse_block_be(buf)
        } else {
            parse_block_le(buf)
        };
        let block = match parsed {
            Ok((_, block)) => block,
            Err(e) => {
                return Err(self.corrupt(format!("bad pcapng block: {}", nom_reason(&e))));
            }
        };
        let Some(Format::PcapNg { interfaces, .. }) = &mut self.format else {
            return Ok(Step::End);
        };
        let mut step = Step::Skip;
        match block {
            Block::SectionHeader(_) => {
                interfaces.clear();
                self.format = Some(Format::PcapNg {
                    big_endian,
                    interfaces: Vec::new(),
                });
            }
            Block::InterfaceDescription(idb) => {
                // pcap-parser 0.17 rejects binary resolutions (top bit set) and
                // reads if_tsoffset little-endian whatever the section's order:
                // both are decoded here from the raw options.
                let mut resolution = 1_000_000;
                let mut offset_s = 0;
                for opt in &idb.options {
                    match opt.code {
                        OptionCode::IfTsresol => {
                            if let Some(r) = opt.value.first().and_then(|r| ts_resolution(*r)) {
                                resolution = r;
                            }
                        }
                        OptionCode::IfTsoffset => {
                            if let Some(v) = opt.value.get(..8) {
                                let b: [u8; 8] = v.try_into().expect("8 bytes");
                                offset_s = if big_endian {
                                    i64::from_be_bytes(b)
                                } else {
                                    i64::from_le_bytes(b)
                                };
                            }
                        }
                        _ => {}
                    }
                }
                interfaces.push(Interface {
                    linktype: LinkType::from_number(idb.linktype.0 as u32),
                    snaplen: idb.snaplen,
                    resolution,
                    offset_s,
                });
            }
            Block::EnhancedPacket(epb) => {
                let Some(iface) = interfaces.get(epb.if_id as usize).copied() else {
                    let n = epb.if_id;
                    return Err(self.corrupt(format!("packet names interface {n}, not described")));
                };
                let data = epb.packet_data();
                let ts = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                step = Step::Frame(Frame {
                    ts_ns: ts_to_ns(ts, iface.resolution, iface.offset_s),
                    caplen: data.len() as u32,
                    wirelen: epb.origlen.max(data.len() as u32),
                    linktype: iface.linktype,
                    off: (data.as_ptr() as usize - self.chunk.as_ptr() as usize) as u32,
                    input: self.input,
                });
            }
            Block::SimplePacket(spb) => {
                let Some(iface) = interfaces.first().copied() else {
                    return Err(self.corrupt("simple packet block before any interface".into()));
                };
                let mut data = spb.packet_data();
                if iface.snaplen != 0 && data.len() > iface.snaplen as usize {
                    data = &data[..iface.snaplen as usize];
                }
                step = Step::Frame(Frame {
                    // A simple packet block has no timestamp: keep the previous one.
                    ts_ns: self.last_ts,
                    caplen: data.len() as u32,
                    wirelen: spb.origlen.max(data.len() as u32),
                    linktype: iface.linktype,
                    off: (data.as_ptr() as usize - self.chunk.as_ptr() as usize) as u32,
                    input: self.input,
                });
            }
            _ => {}
        }
        self.pos += block_len;
        self.consumed = self.offset();
        Ok(step)
    }
}

fn nom_reason(e: &pcap_parser::nom::Err<PcapError<&[u8]>>) -> String {
    match e {
        pcap_parser::nom::Err::Incomplete(n) => format!("incomplete ({n:?})"),
        pcap_parser::nom::Err::Error(p) | pcap_parser::nom::Err::Failure(p) => match p {
            PcapError::NomError(_, kind) => format!("{kind:?}"),
            other => format!("{other:?}").chars().take(80).collect(),
        },
    }
}

/// Units per second of a pcapng `if_tsresol` value: a power of ten, or of two
/// when the top bit is set. `None` when it does not fit in 64 bits.
fn ts_resolution(r: u8) -> Option<u64> {
    if r & 0x80 != 0 {
        1u64.checked_shl((r & 0x7f) as u32)
    } else {
        10u64.checked_pow(r as u32)
    }
    .filter(|&u| u > 0)
}

/// Converts a pcapng timestamp in `resolution` units per second to nanoseconds.
fn ts_to_ns(ts: u64, resolution: u64, offset_s: i64) -> i64 {
    let secs = ts / resolution;
    let frac = ts % resolution;
    let frac_ns = (frac as u128 * 1_000_000_000 / resolution as u128) as i64;
    (secs as i64)
        .saturating_add(offset_s)
        .saturating_mul(1_000_000_000)
        .saturating_add(frac_ns)
}

/// Anything that yields frames in order: files ([`MergedSource`]) or, with the
/// `live` feature, a network interface.
pub trait FrameSource {
    /// Calls `f` on every frame, in order.
    fn for_each(&mut self, f: impl FnMut(SourceFrame<'_>));
    /// Total bytes to read, for progress (0 if unknown).
    fn total_bytes(&self) -> u64;
    /// Takes the errors met so far.
    fn take_errors(&mut self) -> Vec<CaptureError>;
}

pub mod clock;

#[cfg(feature = "live")]
pub mod live;

/// One frame of the merged stream, with the chunk that holds its bytes.
pub struct SourceFrame<'a> {
    /// The chunk; `frame.bytes(chunk)` are the frame's bytes.
    pub chunk: &'a Chunk,
    /// Where and what the frame is.
    pub frame: Frame,
}

struct Pending {
    reader: CaptureReader,
    /// The peeked frame and the chunk that holds it.
    head: Option<(Chunk, Frame)>,
}

/// All inputs of a run as one stream of frames in timestamp order.
pub struct MergedSource {
    readers: Vec<Pending>,
    heap: BinaryHeap<Reverse<(i64, u16)>>,
    errors: Vec<CaptureError>,
    /// Sum of the sizes of regular-file inputs (0 when unknown).
    total_bytes: u64,
    single: Option<usize>,
}

impl MergedSource {
    /// Opens every input (memory-mapping regular files if `mmap`). Inputs that
    /// cannot be opened are recorded as errors and skipped; the others are read.
    pub fn open(inputs: &[InputSpec], mmap: bool) -> Self {
        let chunk = if inputs.len() > 16 {
            SMALL_CHUNK_SIZE
        } else {
            CHUNK_SIZE
        };
        let mut readers = Vec::new();
        let mut errors = Vec::new();
        let mut total_bytes = 0;
        for (i, spec) in inputs.iter().enumerate() {
            if let InputSpec::File(p) = spec {
                total_bytes += std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            }
            match CaptureReader::open(spec, i.min(u16::MAX as usize) as u16, chunk, mmap) {
                Ok(r) => readers.push(Pending {
                    reader: r,
                    head: None,
                }),
                Err(e) => errors.push(e),
            }
        }
        Self::from_readers(
            readers.into_iter().map(|p| p.reader).collect(),
            errors,
            total_bytes,
        )
    }

    /// Builds a source over readers already opened.
    pub fn from_readers(
        readers: Vec<CaptureReader>,
        errors: Vec<CaptureError>,
        total_bytes: u64,
    ) -> Self {
        let single = (readers.len() == 1).then_some(0);
        let mut s = MergedSource {
            readers: readers
                .into_iter()
                .map(|reader| Pending { reader, head: None })
                .collect(),
            heap: BinaryHeap::new(),
            errors,
            total_bytes,
            single,
        };
        if s.single.is_none() {
            for i in 0..s.readers.len() {
                s.advance(i);
            }
        }
        s
    }

    fn advance(&mut self, i: usize) {
        let p = &mut self.readers[i];
        match p.reader.next_frame() {
            Ok(Some(f)) => {
                p.head = Some((p.reader.chunk().clone(), f));
                self.heap.push(Reverse((f.ts_ns, i as u16)));
            }
            Ok(None) => p.head = None,
            Err(e) => {
                p.head = None;
                self.errors.push(e);
            }
        }
    }

    /// Calls `f` on every frame of every input, in timestamp order. Read errors are
    /// kept (see [`MergedSource::errors`]) and do not stop the other inputs.
    pub fn each_frame(&mut self, mut f: impl FnMut(SourceFrame<'_>)) {
        if let Some(i) = self.single {
            let r = &mut self.readers[i].reader;
            loop {
                match r.next_frame() {
                    Ok(Some(frame)) => f(SourceFrame {
                        chunk: r.chunk(),
                        frame,
                    }),
                    Ok(None) => break,
                    Err(e) => {
                        self.errors.push(e);
                        break;
                    }
                }
            }
            return;
        }
        while let Some(Reverse((_, i))) = self.heap.pop() {
            let i = i as usize;
            if let Some((chunk, frame)) = self.readers[i].head.take() {
                f(SourceFrame {
                    chunk: &chunk,
                    frame,
                });
            }
            self.advance(i);
        }
    }

    /// Bytes consumed so far across inputs.
    pub fn consumed(&self) -> u64 {
        self.readers.iter().map(|p| p.reader.consumed()).sum()
    }

    /// Errors met so far, in the order they happened.
    pub fn errors(&self) -> &[CaptureError] {
        &self.errors
    }
}

/// Inputs read one after another on one compact calendar: each file starts
/// [`SEQUENTIAL_GAP_NS`] after the previous one ended, and any silence longer
/// than that — between files, or inside one (a capture paused for a month, a
/// frame with a broken clock) — is shortened to it. Frames keep their order
/// and their spacing below the gap. One file is open at a time.
pub struct SequentialSource {
    inputs: Vec<InputSpec>,
    errors: Vec<CaptureError>,
    total_bytes: u64,
    /// Silences shortened so far, and the nanoseconds taken out of them.
    pub shortened: std::sync::Arc<(std::sync::atomic::AtomicU64, std::sync::atomic::AtomicU64)>,
}

/// The longest silence [`SequentialSource`] keeps: longer than any flow's
/// idle timeout, so that no flow runs from one file into the next.
pub const SEQUENTIAL_GAP_NS: i64 = 2 * 3600 * 1_000_000_000;

impl SequentialSource {
    /// A source reading `inputs` in order.
    pub fn new(inputs: Vec<InputSpec>) -> Self {
        let total_bytes = inputs
            .iter()
            .map(|spec| match spec {
                InputSpec::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
                _ => 0,
            })
            .sum();
        SequentialSource {
            inputs,
            errors: Vec::new(),
            total_bytes,
            shortened: Default::default(),
        }
    }
}

impl FrameSource for SequentialSource {
    fn for_each(&mut self, mut f: impl FnMut(SourceFrame<'_>)) {
        use std::sync::atomic::Ordering::Relaxed;
        // The last frame's own time and where it was put.
        let mut last: Option<(i64, i64)> = None;
        for (i, spec) in self.inputs.iter().enumerate() {
            let id = i.min(u16::MAX as usize) as u16;
            let mut r = match CaptureReader::open(spec, id, CHUNK_SIZE, false) {
                Ok(r) => r,
                Err(e) => {
                    self.errors.push(e);
                    continue;
                }
            };
            let mut new_file = true;
            let mut offset = 0i64;
            loop {
                match r.next_frame() {
                    Ok(Some(mut frame)) => {
                        let ts = frame.ts_ns;
                        if let Some((own, put)) = last {
                            let step = ts.saturating_sub(own);
                            let far = !(-SEQUENTIAL_GAP_NS..=SEQUENTIAL_GAP_NS).contains(&step);
                            if new_file || far {
                                // A new file, or a silence (or a jump back in
                                // time) too long: resume a gap after the last
                                // frame put.
                                offset = put.saturating_add(SEQUENTIAL_GAP_NS).saturating_sub(ts);
                                if step > SEQUENTIAL_GAP_NS {
                                    self.shortened.0.fetch_add(1, Relaxed);
                                    let cut = step - SEQUENTIAL_GAP_NS;
                                    self.shortened.1.fetch_add(cut as u64, Relaxed);
                                }
                            }
                        }
                        new_file = false;
                        frame.ts_ns = ts.saturating_add(offset);
                        last = Some((ts, frame.ts_ns));
                        f(SourceFrame {
                            chunk: r.chunk(),
                            frame,
                        })
                    }
                    Ok(None) => break,
                    Err(e) => {
                        self.errors.push(e);
                        break;
                    }
                }
            }
        }
    }

    fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    fn take_errors(&mut self) -> Vec<CaptureError> {
        std::mem::take(&mut self.errors)
    }
}

impl FrameSource for MergedSource {
    fn for_each(&mut self, f: impl FnMut(SourceFrame<'_>)) {
        self.each_frame(f)
    }

    /// Total size of the file inputs (0 if unknown, e.g. stdin).
    fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    fn take_errors(&mut self) -> Vec<CaptureError> {
        std::mem::take(&mut self.errors)
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests;
