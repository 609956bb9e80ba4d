//! What a box sees of a network: its traffic by protocol and by service, and
//! how much of it a box can read at all — names in the clear, server names
//! (SNI), Encrypted Client Hello, encrypted DNS, tunnels, or nothing it
//! recognises. For a host replaying its own captures these are the figures
//! that exist without ground truth.
//!
//! Counted per box over the observations it inspects (flows for volumes and
//! protocols, TLS and QUIC records for ECH and encrypted DNS). The services
//! are the responders' address and port (a host's own servers when the flow
//! came in), or the names a host gives them in a CSV (`address,port,name`,
//! port 0 for any); at most [`MAX_SERVICES`] are told apart, the rest are
//! `other`.

use std::collections::BTreeMap;

// foldhash (hashbrown's default), not SipHash: touched for every observation.
use hashbrown::HashMap;
use std::io;
use std::net::IpAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::dissect::Readable;
use crate::observation::{Kind, Observation};

/// Services told apart per box; past them, traffic counts as `other`.
pub const MAX_SERVICES: usize = 4096;
/// Services listed in a report.
pub const TOP_SERVICES: usize = 10;

/// Server names that mean Encrypted Client Hello: the fronting provider's
/// public name, all a box sees of the site (REALISM-FACTS §2).
pub const ECH_PUBLIC_NAMES: &[&str] = &["cloudflare-ech.com"];

/// Server names of public DNS-over-HTTPS resolvers (and the generator's): a
/// TLS connection to one is a lookup the box cannot read.
pub const DOH_NAMES: &[&str] = &[
    "doh.resolver.example",
    "dns.google",
    "dns.google.com",
    "cloudflare-dns.com",
    "mozilla.cloudflare-dns.com",
    "one.one.one.one",
    "dns.quad9.net",
    "doh.opendns.com",
    "dns.nextdns.io",
    "doh.mullvad.net",
];

/// Flows by how much of them a box can read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Readability {
    /// Flows whose protocol names things in the clear (DNS, HTTP, SIP, SMTP...).
    pub cleartext: u64,
    /// TLS and QUIC connections whose server name is visible.
    pub server_name: u64,
    /// TLS and QUIC connections with Encrypted Client Hello: only the
    /// fronting provider's name.
    pub ech: u64,
    /// Lookups over DNS over HTTPS or TLS: the resolver, not the names.
    pub encrypted_dns: u64,
    /// VPN tunnels: the server, nothing inside.
    pub tunnels: u64,
    /// Flows no dissector recognised.
    pub unknown: u64,
}

/// Flows and wire bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Traffic {
    /// Flows.
    pub flows: u64,
    /// Wire bytes, both ways.
    pub bytes: u64,
}

/// One service's traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Service {
    /// Its name (from the host's CSV), or `address:port`, or `other`.
    pub service: String,
    /// Its traffic.
    #[serde(flatten)]
    pub traffic: Traffic,
}

/// What a box saw of the network, for the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Visibility {
    /// Traffic by the protocol that claimed each flow (`unknown`: none).
    pub by_protocol: BTreeMap<String, Traffic>,
    /// Flows by how much a box can read of them.
    pub readable: Readability,
    /// The services with the most bytes, then `other`.
    pub services: Vec<Service>,
    /// Seconds of traffic the capture covers (first to last observation).
    pub covered_s: f64,
    /// The same traffic over one authorisation window, if the capture is
    /// shorter: its figures times window / covered — assuming the network
    /// keeps the capture's average rate (a stated assumption).
    pub per_window: Option<PerWindow>,
}

/// Figures scaled to a window's length.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PerWindow {
    /// The window's length, as the policy writes it.
    pub window: String,
    /// Flows inspected over the window.
    pub flows: f64,
    /// Wire bytes inspected over the window.
    pub bytes: f64,
    /// Bytes the box would put into retention over the window.
    pub retained_bytes: f64,
}

/// A host's names for its services.
#[derive(Clone, Debug, Default)]
pub struct ServiceNames(HashMap<(IpAddr, u16), std::sync::Arc<str>>);

impl ServiceNames {
    /// The name of `address:port` (a row with port 0 names every port).
    fn name(&self, a: IpAddr, port: u16) -> Option<&std::sync::Arc<str>> {
        self.0.get(&(a, port)).or_else(|| self.0.get(&(a, 0)))
    }
}

/// Reads a services CSV (`address,port,name`; `#` comments). Errors name the
/// file and line.
pub fn read_services(path: &Path) -> Result<ServiceNames, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e: io::Error| format!("reading {}: {e}", path.display()))?;
    let mut out = HashMap::new();
    let mut header = false;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if !header {
            if l != "address,port,name" {
                return Err(format!(
                    "{}:{}: the header must be `address,port,name`",
                    path.display(),
                    i + 1
                ));
            }
            header = true;
            continue;
        }
        let bad = |m: String| format!("{}:{}: {m}", path.display(), i + 1);
        let f: Vec<&str> = l.splitn(3, ',').map(str::trim).collect();
        if f.len() != 3 || f[2].is_empty() {
            return Err(bad("expected address,port,name".into()));
        }
        let a: IpAddr = f[0]
            .parse()
            .map_err(|_| bad(format!("`{}` is not an IP address", f[0])))?;
        let p: u16 = f[1]
            .parse()
            .map_err(|_| bad(format!("`{}` is not a port (0 for any)", f[1])))?;
        out.insert((a, p), std::sync::Arc::from(f[2]));
    }
    Ok(ServiceNames(out))
}

/// What the services are counted by: no allocation per flow.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ServiceKey {
    Named(std::sync::Arc<str>),
    At(IpAddr, u16),
}

impl std::fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServiceKey::Named(n) => f.write_str(n),
            ServiceKey::At(IpAddr::V6(a), p) => write!(f, "[{a}]:{p}"),
            ServiceKey::At(IpAddr::V4(a), p) => write!(f, "{a}:{p}"),
        }
    }
}

/// A box's running count.
#[derive(Clone, Debug, Default)]
pub struct VisibilityAcc {
    by_protocol: BTreeMap<&'static str, Traffic>,
    readable: Readability,
    tls_flows: u64,
    /// By responder (address, port), or by the host's name for it.
    services: HashMap<ServiceKey, Traffic>,
    other: Traffic,
    first_ns: Option<i64>,
    last_ns: i64,
}

impl VisibilityAcc {
    /// Counts one inspected observation.
    pub fn observe(&mut self, o: &Observation, names: Option<&ServiceNames>) {
        self.first_ns.get_or_insert(o.ts_ns);
        self.last_ns = self.last_ns.max(o.ts_ns);
        if o.kind != Kind::FLOW {
            if o.kind.readable() == Some(Readable::ServerName) {
                let host = o.host().map(|h| h.to_ascii_lowercase());
                let host = host.as_deref().unwrap_or("");
                if ECH_PUBLIC_NAMES.contains(&host) {
                    self.readable.ech += 1;
                } else if DOH_NAMES.contains(&host) || o.peer_port == 853 {
                    self.readable.encrypted_dns += 1;
                }
            }
            return;
        }
        let (_, bytes) = o.volume().unwrap_or((0, 0));
        let word = o.app.map_or("unknown", Kind::name);
        let t = self.by_protocol.entry(word).or_default();
        t.flows += 1;
        t.bytes += bytes;
        match o.app.and_then(Kind::readable) {
            None => self.readable.unknown += 1,
            Some(Readable::ServerName) => self.tls_flows += 1,
            Some(Readable::Tunnel) => self.readable.tunnels += 1,
            Some(Readable::Clear) => self.readable.cleartext += 1,
        }
        // The responder's end: a host's server when the flow came in.
        let (addr, port) = match (o.inbound, o.subscriber) {
            (true, Some(s)) => (s.ip(), o.subscriber_port),
            _ => (o.peer.ip(), o.peer_port),
        };
        let key = match names.map(|n| n.name(addr, port)) {
            Some(Some(name)) => Some(ServiceKey::Named(name.clone())),
            // The host named its services, and this is none of them.
            Some(None) => None,
            None => Some(ServiceKey::At(addr, port)),
        };
        let slot = match key {
            Some(k) if self.services.len() < MAX_SERVICES || self.services.contains_key(&k) => {
                self.services.entry(k).or_default()
            }
            _ => &mut self.other,
        };
        slot.flows += 1;
        slot.bytes += bytes;
    }

    /// The report: `window_ns` and `window` the first authorisation's length,
    /// `retained` the bytes the box put into retention.
    pub fn report(&self, window_ns: i64, window: String, retained: u64) -> Visibility {
        let mut readable = self.readable.clone();
        readable.server_name = self
            .tls_flows
            .saturating_sub(readable.ech + readable.encrypted_dns);
        let mut services: Vec<Service> = self
            .services
            .iter()
            .map(|(k, t)| Service {
                service: k.to_string(),
                traffic: t.clone(),
            })
            .collect();
        services.sort_by(|a, b| {
            b.traffic
                .bytes
                .cmp(&a.traffic.bytes)
                .then(a.service.cmp(&b.service))
        });
        let mut other = self.other.clone();
        for s in services.iter().skip(TOP_SERVICES) {
            other.flows += s.traffic.flows;
            other.bytes += s.traffic.bytes;
        }
        services.truncate(TOP_SERVICES);
        if other.flows > 0 {
            services.push(Service {
                service: "other".into(),
                traffic: other,
            });
        }
        let covered_ns = self
            .first_ns
            .map_or(0, |f| self.last_ns - f)
            .max(1_000_000_000);
        let total = self
            .by_protocol
            .values()
            .fold(Traffic::default(), |a, t| Traffic {
                flows: a.flows + t.flows,
                bytes: a.bytes + t.bytes,
            });
        let per_window = (self.first_ns.is_some() && covered_ns < window_ns).then(|| {
            let k = window_ns as f64 / covered_ns as f64;
            PerWindow {
                window,
                flows: total.flows as f64 * k,
                bytes: total.bytes as f64 * k,
                retained_bytes: retained as f64 * k,
            }
        });
        Visibility {
            by_protocol: self
                .by_protocol
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            readable,
            services,
            covered_s: covered_ns as f64 / 1e9,
            per_window,
        }
    }
}
