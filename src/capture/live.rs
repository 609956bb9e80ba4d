//! Live capture on an interface and BPF filters, through libpcap (feature `live`).
//!
//! libpcap's blocking read never returns on an idle interface (its timeout is a
//! buffer timeout), so the handle is put in non-blocking mode and polled; the
//! capture stops after `--duration`, after `--count` packets, or on Ctrl-C, and
//! the run then finishes normally (outputs written). Packets are copied into
//! [`Chunk`]s so that the rest of the pipeline sees them like file input.
//!
//! [`BpfFilter`] compiles a tcpdump filter expression once per link type with a
//! "dead" libpcap handle and runs it on raw frames, for file input too.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{CaptureError, Chunk, Frame, FrameSource, LinkType, SourceFrame};

/// A compiled filter expression, per link type.
pub struct BpfFilter {
    expr: String,
    programs: HashMap<LinkType, Option<pcap::BpfProgram>>,
}

impl BpfFilter {
    /// Checks `expr` by compiling it for Ethernet; the error is libpcap's message.
    pub fn new(expr: &str) -> Result<Self, String> {
        let mut f = BpfFilter {
            expr: expr.to_string(),
            programs: HashMap::new(),
        };
        f.program(LinkType::Ethernet)
            .map_err(|e| format!("filter `{expr}`: {e}"))?;
        Ok(f)
    }

    fn program(&mut self, lt: LinkType) -> Result<Option<&pcap::BpfProgram>, String> {
        if !self.programs.contains_key(&lt) {
            // libpcap wants a DLT_ value: they equal the LINKTYPE_ numbers except
            // for raw IP (LINKTYPE_RAW 101 is DLT_RAW 12 on Linux).
            let dlt = if lt == LinkType::Raw {
                12
            } else {
                lt.number() as i32
            };
            let compiled =
                pcap::Capture::dead(pcap::Linktype(dlt)).and_then(|d| d.compile(&self.expr, true));
            match compiled {
                Ok(p) => self.programs.insert(lt, Some(p)),
                // Not expressible for this link type (e.g. `ether host` on raw IP).
                Err(e) if lt != LinkType::Ethernet => {
                    let _ = e;
                    self.programs.insert(lt, None)
                }
                Err(e) => return Err(e.to_string()),
            };
        }
        Ok(self.programs.get(&lt).and_then(Option::as_ref))
    }

    /// Whether a frame passes. A link type the expression cannot be compiled
    /// for matches nothing.
    pub fn matches(&mut self, lt: LinkType, frame: &[u8]) -> bool {
        match self.program(lt) {
            Ok(Some(p)) => p.filter(frame),
            _ => false,
        }
    }
}

/// When a live capture stops.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stop {
    /// After this long.
    pub duration: Option<Duration>,
    /// After this many packets.
    pub count: Option<u64>,
}

/// Packets from a network interface.
pub struct LiveSource {
    name: String,
    cap: pcap::Capture<pcap::Active>,
    linktype: LinkType,
    stop: Stop,
    interrupted: Arc<AtomicBool>,
    errors: Vec<CaptureError>,
}

impl LiveSource {
    /// Opens `iface` for capture (promiscuous, full snaplen, BPF `filter` in the
    /// kernel if given).
    pub fn open(iface: &str, filter: Option<&str>, stop: Stop) -> Result<Self, CaptureError> {
        let err = |e: pcap::Error| CaptureError::Io {
            path: format!("interface {iface}"),
            source: std::io::Error::other(e.to_string()),
        };
        let mut cap = pcap::Capture::from_device(iface)
            .map_err(err)?
            .promisc(true)
            .snaplen(262_144)
            .immediate_mode(true)
            .timeout(50)
            .open()
            .map_err(err)?
            .setnonblock()
            .map_err(err)?;
        if let Some(f) = filter {
            cap.filter(f, true).map_err(err)?;
        }
        let linktype = LinkType::from_number(cap.get_datalink().0 as u32);
        let interrupted = Arc::new(AtomicBool::new(false));
        let flag = interrupted.clone();
        // The first Ctrl-C stops the capture cleanly; a second one ends the process.
        crate::output::on_interrupt(move || flag.store(true, Ordering::SeqCst));
        Ok(LiveSource {
            name: format!("interface {iface}"),
            cap,
            linktype,
            stop,
            interrupted,
            errors: Vec::new(),
        })
    }
}

impl FrameSource for LiveSource {
    fn for_each(&mut self, mut f: impl FnMut(SourceFrame<'_>)) {
        const CHUNK: usize = 1 << 20;
        let started = Instant::now();
        let fresh = |n: usize| Arc::new(super::ChunkBuf::heap(Vec::with_capacity(n)));
        let mut chunk: Chunk = fresh(CHUNK);
        let mut n = 0u64;
        loop {
            if self.interrupted.load(Ordering::SeqCst)
                || self.stop.duration.is_some_and(|d| started.elapsed() >= d)
                || self.stop.count.is_some_and(|c| n >= c)
            {
                break;
            }
            match self.cap.next_packet() {
                Ok(p) => {
                    n += 1;
                    if Arc::get_mut(&mut chunk).is_none_or(|c| c.len() + p.data.len() > CHUNK) {
                        chunk = fresh(CHUNK.max(p.data.len()));
                    }
                    let buf = Arc::get_mut(&mut chunk)
                        .and_then(super::ChunkBuf::heap_mut)
                        .expect("fresh or unshared heap chunk");
                    let off = buf.len();
                    buf.extend_from_slice(p.data);
                    let ts = p.header.ts;
                    let frame = Frame {
                        ts_ns: ts.tv_sec as i64 * 1_000_000_000 + ts.tv_usec as i64 * 1000,
                        caplen: p.data.len() as u32,
                        wirelen: p.header.len.max(p.data.len() as u32),
                        linktype: self.linktype,
                        off: off as u32,
                        input: 0,
                    };
                    f(SourceFrame {
                        chunk: &chunk,
                        frame,
                    });
                    // The frame may now be held by a worker batch: never append
                    // to a shared chunk.
                }
                Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => {
                    self.errors.push(CaptureError::Io {
                        path: self.name.clone(),
                        source: std::io::Error::other(e.to_string()),
                    });
                    break;
                }
            }
        }
    }

    fn total_bytes(&self) -> u64 {
        0
    }

    fn take_errors(&mut self) -> Vec<CaptureError> {
        std::mem::take(&mut self.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet/IPv4/UDP frame 10.0.0.1:5353 -> 10.0.0.2:53, built by hand.
    const UDP_FRAME: [u8; 42] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, // Ethernet, IPv4
        0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, // IPv4, 28 bytes, UDP
        10, 0, 0, 1, 10, 0, 0, 2, // addresses
        0x14, 0xe9, 0, 53, 0, 8, 0, 0, // UDP 5353 -> 53
    ];

    #[test]
    fn live_bpf_filter_matches_like_tcpdump() {
        let mut f = BpfFilter::new("udp dst port 53").unwrap();
        assert!(f.matches(LinkType::Ethernet, &UDP_FRAME));
        let mut g = BpfFilter::new("tcp").unwrap();
        assert!(!g.matches(LinkType::Ethernet, &UDP_FRAME));
        // The same expression on raw IP.
        assert!(f.matches(LinkType::Raw, &UDP_FRAME[14..]));
        let err = BpfFilter::new("port port")
            .err()
            .expect("a bad expression is refused");
        assert!(err.contains("port port"), "{err}");
    }

    #[test]
    fn live_capture_on_loopback_sees_our_packets() {
        let stop = Stop {
            duration: Some(Duration::from_secs(3)),
            count: Some(5),
        };
        let mut src = match LiveSource::open("lo", Some("udp port 45999"), stop) {
            Ok(s) => s,
            Err(e) => panic!("opening lo needs root or CAP_NET_RAW: {e}"),
        };
        let sender = std::thread::spawn(|| {
            let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            for _ in 0..40 {
                sock.send_to(b"ivraie", "127.0.0.1:45999").unwrap();
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let mut seen = 0;
        src.for_each(|sf| {
            let bytes = sf.frame.bytes(sf.chunk);
            assert!(bytes.ends_with(b"ivraie"));
            seen += 1;
        });
        sender.join().unwrap();
        assert_eq!(seen, 5, "stopped after --count packets");
        assert!(src.take_errors().is_empty());
    }
}
