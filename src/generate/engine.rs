//! The generator's event loop: subscribers' activity processes and the
//! sessions under way on one heap, packets streamed out in timestamp order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr};

use rand::rngs::ChaCha8Rng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

use super::lines::{Lines, in_range};
use super::msg::{self, mix64};
use super::wire::{Conn, MAX_SEGMENT, PCAP_HEADER, Packets, tcpf};
use super::{
    Label, MASS_MAILER_DOMAIN, NEWSLETTER_DOMAIN, ORDINARY_PROFILE, PREMIUM_PREFIX, Population,
    Role, SIP_DOMAIN, SUBMISSION_HOST, System, TRACKER_HOST, Traits, VpnProtocol, WATCHED_DOMAINS,
    WATCHED_TORRENTS,
};
use crate::capture::clock::{NS_PER_DAY, NS_PER_HOUR, NS_PER_S, hour_of_day, parse_date, weekday};

const MS: i64 = 1_000_000;
/// Domains of the Zipf popularity law.
pub(super) const DOMAINS: usize = 2_000;
/// The maximum segment size every generated SYN announces (1,460: a
/// 1,500-byte MTU), which sets TCP's windows whatever the capture's segments.
const MSS: u64 = 1460;
/// Legal torrents shared by sharers.
const LEGAL_TORRENTS: u64 = 500;
/// Output is produced in blocks of about this size.
const BLOCK: usize = 256 << 10;
/// Bit marking a heap entry as a process (else a session slot).
const PROC_BIT: u32 = 1 << 31;

/// Well-known sites heading the popularity law (the tail is generated).
const HEAD: &[&str] = &[
    "www.google.com",
    "www.youtube.com",
    "www.facebook.com",
    "www.wikipedia.org",
    "www.instagram.com",
    "www.amazon.fr",
    "www.lemonde.fr",
    "www.leboncoin.fr",
    "www.netflix.com",
    "twitter.com",
    "www.linkedin.com",
    "www.orange.fr",
    "www.bing.com",
    "outlook.live.com",
    "www.whatsapp.com",
    "www.reddit.com",
    "www.lefigaro.fr",
    "www.francetvinfo.fr",
    "www.doctolib.fr",
    "www.impots.gouv.fr",
    "www.ameli.fr",
    "www.sncf-connect.com",
    "www.twitch.tv",
    "www.tiktok.com",
    "github.com",
    "stackoverflow.com",
    "www.apple.com",
    "www.microsoft.com",
    "www.spotify.com",
    "www.deezer.com",
    "www.liberation.fr",
    "www.mediapart.fr",
    "www.20minutes.fr",
    "www.ouest-france.fr",
    "www.laposte.fr",
    "www.caf.fr",
    "www.meteofrance.com",
    "www.marmiton.org",
    "www.allocine.fr",
    "www.boursorama.com",
];
/// Ports in Linux's ephemeral range (32768-60999) that tshark 4.0 decodes as
/// another protocol whatever the traffic (`tshark -G decodes`: TZSP on 37008,
/// BACnet on 47808, Eurex EOBI on 56000...). Real stacks use them, and tshark
/// then calls the packet malformed; the generator skips them, so that its
/// traffic reads as what it is (a stated departure from real port choice).
pub(super) const REGISTERED_EPHEMERAL: [u16; 35] = [
    34962, 34980, 37008, 41170, 44321, 44322, 44818, 45564, 47000, 47808, 48049, 48898, 49999,
    54328, 56000, 56001, 56500, 56501, 57000, 57001, 57032, 57033, 57500, 57501, 57532, 57533,
    59000, 59001, 59032, 59033, 59500, 59501, 59532, 59533, 60001,
];

/// The tail's top-level domains, weighted by repetition: mostly `.fr` and
/// `.com`, as French users' destinations (a stated assumption).
const TAIL_TLDS: [&str; 10] = [
    "fr", "fr", "fr", "com", "com", "com", "net", "org", "eu", "info",
];
/// Words the tail's site names are made of (English and French), so that
/// names read like names: tools that judge a name by its letters (nDPI's Tor
/// and DGA heuristics) judge them as they would real ones.
const NAME_WORDS: &[&str] = &[
    "atelier", "avenue", "azur", "balade", "blue", "bonjour", "boutique", "bright", "cafe",
    "canal", "carte", "castle", "cedar", "central", "chateau", "cloud", "coast", "cocotte",
    "colline", "corner", "cuisine", "daily", "delta", "digital", "domaine", "eagle", "echo",
    "ecole", "etoile", "express", "falcon", "ferme", "field", "flora", "forest", "forum", "fresh",
    "garden", "golden", "grand", "green", "harbor", "horizon", "jardin", "journal", "lumiere",
    "maison", "market", "marine", "meadow", "metro", "mode", "monde", "moulin", "nature", "nord",
    "ocean", "olive", "orange", "palace", "papier", "paris", "petit", "pixel", "planet", "plume",
    "pointe", "portail", "prairie", "prime", "quartier", "radio", "rapide", "rivage", "river",
    "rocket", "route", "royal", "saison", "salon", "savoir", "silver", "soleil", "sport",
    "station", "stone", "studio", "sunny", "terre", "theatre", "tower", "travel", "union",
    "valley", "velo", "vert", "village", "vision", "voyage", "water", "west", "wild", "world",
];
/// Subdomains before a tail site's name ("" for none).
const NAME_SUBDOMAINS: [&str; 8] = ["www", "www", "www", "", "", "m", "shop", "blog"];

/// The tail site of rank `i`: one or two words (joined, or with a hyphen
/// when two consonants would meet), a subdomain or none, a TLD; distinct for
/// every rank below [`DOMAINS`] (checked by a test).
pub(super) fn tail_name(i: usize) -> String {
    let h = mix64(i as u64 ^ 0x6e61_6d65);
    let n = NAME_WORDS.len();
    let first = NAME_WORDS[i % n];
    let mut name = first.to_string();
    if i >= n {
        let second = NAME_WORDS[(i / n + i) % n];
        let vowel = |c: u8| b"aeiouy".contains(&c);
        let meet = (first.as_bytes()[first.len() - 1], second.as_bytes()[0]);
        if (!vowel(meet.0) && !vowel(meet.1)) || h & 0x100 != 0 {
            name.push('-');
        }
        name.push_str(second);
    }
    let sub = NAME_SUBDOMAINS[(h % NAME_SUBDOMAINS.len() as u64) as usize];
    let tld = TAIL_TLDS[((h >> 16) % TAIL_TLDS.len() as u64) as usize];
    match sub {
        "" => format!("{name}.{tld}"),
        sub => format!("{sub}.{name}.{tld}"),
    }
}
const MAIL_DOMAINS: [&str; 6] = [
    "mail-provider.example",
    "post.example",
    "webmail.example",
    "inbox.example",
    "courrier.example",
    "corp.example",
];
const INTERNATIONAL: [&str; 9] = [
    "+1", "+44", "+49", "+86", "+216", "+212", "+971", "+81", "+34",
];
const USER_AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
];

// Infrastructure addresses (198.18.0.0/15, RFC 2544 benchmarking range: no
// real host is named).
const RESOLVER: [u8; 4] = [198, 18, 0, 53];
/// The public DNS-over-HTTPS resolver some people use instead.
const DOH_RESOLVER: [u8; 4] = [198, 18, 53, 53];
const DOH_HOST: &str = "doh.resolver.example";
const NTP_SERVER: [u8; 4] = [198, 18, 0, 123];
const SIP_PROXY: [u8; 4] = [198, 18, 0, 60];
const SUBMISSION: [u8; 4] = [198, 18, 0, 25];
const TRACKER: [u8; 4] = [198, 18, 0, 69];
const PING_TARGET: [u8; 4] = [198, 18, 0, 1];
/// iCloud Private Relay's ingress name (looked up in the clear, then the QUIC
/// server name) and its address here.
const RELAY_HOST: &str = "mask.icloud.com";
const RELAY_INGRESS: [u8; 4] = [198, 18, 100, 10];
/// The end-to-end messenger's signalling server.
const MESSENGER_HOST: &str = "chat.signal.org";
const MESSENGER: [u8; 4] = [198, 18, 110, 10];

/// The 20 bytes of watched torrent `i`.
pub(super) fn watched_hash(i: usize) -> [u8; 20] {
    let d = Sha256::digest(format!("ivraie watched torrent {i}").as_bytes());
    let mut h = [0u8; 20];
    h.copy_from_slice(&d[..20]);
    h
}

fn legal_hash(i: u64) -> [u8; 20] {
    let mut h = [0u8; 20];
    for (k, c) in h.chunks_mut(8).enumerate() {
        let w = mix64(0x1e9a_1000 + i * 3 + k as u64).to_be_bytes();
        c.copy_from_slice(&w[..c.len()]);
    }
    h
}

/// The random stream: ChaCha8 with the few draws the model needs.
pub(super) struct R(ChaCha8Rng);

impl R {
    #[inline]
    fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    #[inline]
    pub(super) fn unit(&mut self) -> f64 {
        (self.u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        ((self.u64() as u128 * n as u128) >> 64) as u64
    }
    #[inline]
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo).max(1) as u64) as i64
    }
    #[inline]
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Exponential with mean `mean`.
    #[inline]
    pub(super) fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }
    /// Log-uniform between `lo` and `hi`.
    fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.ln() + self.unit() * (hi.ln() - lo.ln())).exp()
    }
    /// A standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    /// Log-normal of median `median` and σ `sigma`.
    fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }
    /// Log-normal of mean 1 and σ `sigma`.
    fn factor(&mut self, sigma: f64) -> f64 {
        (sigma * self.normal() - sigma * sigma / 2.0).exp()
    }
}

/// The stream of person `person`'s activity `what`, `n`-th use: each
/// (seed, person, activity, firing) has numbers of its own, so a longer run,
/// a bigger population or another parameter of someone else leaves every
/// person's history as it was (common random numbers).
pub(super) fn stream(seed: u64, person: u32, what: u64, n: u64) -> R {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..12].copy_from_slice(&person.to_le_bytes());
    key[12..20].copy_from_slice(&what.to_le_bytes());
    key[20..28].copy_from_slice(&n.to_le_bytes());
    key[28..].copy_from_slice(b"ivr\x01");
    R(ChaCha8Rng::from_seed(key))
}

/// The stream of a person's traits.
const TRAITS: u64 = 0;

/// A person's traits, drawn from the population's distributions (every draw
/// is made whatever the outcome, so the stream's use never depends on it).
/// A target's adoption of a VPN or Tor compares the same draw with the
/// targets' share.
fn draw_traits(p: &Population, r: &mut R, target: bool) -> Traits {
    let activity = r.factor(p.activity_sigma);
    let watch_visits = activity * r.log_normal(p.watch_visits_median, p.watch_visits_sigma);
    let sharer = r.chance(p.ordinary_torrent_share);
    let torrent_rate = p.torrent_sessions_per_day * r.factor(1.0);
    let watched = r
        .log_normal(p.watched_torrent_median, p.watched_torrent_sigma)
        .min(1.0);
    let night_business = r.chance(p.night_business_share);
    let bulk = r.chance(p.bulk_sender_share);
    let bulk_rate = p.newsletter_sessions_per_day * r.factor(1.0);
    let bulk_rcpts = r
        .log_normal(p.newsletter_rcpts_per_message as f64, 1.0)
        .round()
        .clamp(1.0, super::MAX_RCPTS as f64) as u32;
    let (vpn_u, tor_u, doh_u) = (r.unit(), r.unit(), r.unit());
    let (vpn_share, tor_share, doh_share) = if target {
        (p.target_vpn_share, p.target_tor_share, p.target_doh_share)
    } else {
        (p.vpn_share, p.tor_share, p.doh_share)
    };
    let tor = tor_u < tor_share;
    // Drawn after the others, so that adding them left every earlier trait as
    // it was.
    let (protocol_u, ech_u, relay_u, e2e_u) = (r.unit(), r.unit(), r.unit(), r.unit());
    let (ech_share, relay_share, e2e_share) = if target {
        (
            p.target_ech_share,
            p.target_private_relay_share,
            p.target_e2e_call_share,
        )
    } else {
        (p.ech_share, p.private_relay_share, p.e2e_call_share)
    };
    Traits {
        doh: doh_u < doh_share,
        ech: ech_u < ech_share,
        private_relay: relay_u < relay_share,
        e2e_calls: e2e_u < e2e_share,
        vpn: (vpn_u < vpn_share && !tor).then_some(if protocol_u < p.openvpn_share {
            VpnProtocol::OpenVpn
        } else if protocol_u < p.openvpn_share + p.ipsec_share {
            VpnProtocol::Ipsec
        } else {
            VpnProtocol::WireGuard
        }),
        tor,
        activity,
        watch_visits_per_week: watch_visits.min(10_000.0),
        torrent_sessions_per_day: if sharer { torrent_rate } else { 0.0 },
        watched_torrent_share: if sharer { watched } else { 0.0 },
        night_business,
        bulk_sessions_per_day: if bulk { bulk_rate } else { 0.0 },
        bulk_rcpts: if bulk { bulk_rcpts } else { 0 },
    }
}

/// A draw of the power law of density ∝ x^-(1+α) between `low` and `high`
/// (inverse of its distribution function; any α, log-uniform at 0).
fn power_law(r: &mut R, alpha: f64, low: f64, high: f64) -> f64 {
    let u = r.unit();
    if alpha.abs() < 1e-9 {
        return low * (high / low).powf(u);
    }
    // F(x) = (low^-α − x^-α) / (low^-α − high^-α).
    let (a, b) = (low.powf(-alpha), high.powf(-alpha));
    (a - u * (a - b)).powf(-1.0 / alpha)
}

/// The shortest gap, as a share of the longest, that gives a truncated power
/// law of exponent `alpha` a mean of 1/`spread` of its longest gap
/// (bisection: the mean grows with the floor).
fn gap_floor(alpha: f64, spread: f64) -> f64 {
    let mean = |x: f64| -> f64 {
        // E[X]/high for X on [x, 1] with density ∝ X^-(1+alpha).
        let a = if (alpha - 1.0).abs() < 1e-9 {
            1.0 + 1e-6
        } else {
            alpha
        };
        x.powf(a) / (1.0 - x.powf(a)) * a / (a - 1.0) * (x.powf(1.0 - a) - 1.0)
    };
    let target = 1.0 / spread.max(1.0 + 1e-9);
    let (mut lo, mut hi) = (1e-12f64, 1.0 - 1e-12);
    for _ in 0..200 {
        let mid = (lo * hi).sqrt();
        if mean(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo * hi).sqrt()
}

/// The host offset of person `i` in a range of `hosts` addresses: an affine
/// bijection keyed by the seed, so a person keeps their address whatever the
/// population size.
pub(super) fn host_offset(seed: u64, hosts: u64, i: u64) -> u64 {
    if hosts <= 1 {
        return 0;
    }
    let mut a = mix64(seed ^ 0xadd7) % hosts;
    while a == 0 || gcd(a, hosts) != 1 {
        a = (a + 1) % hosts;
    }
    let b = mix64(seed ^ 0xb0ff) % hosts;
    ((a as u128 * i as u128 + b as u128) % hosts as u128) as u64
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A daily activity curve: relative weights per hour, weekdays and weekends.
/// A process of weekly-mean rate `r` fires at `r × weight(t) / mean()`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Curve {
    /// People at home: quiet at night, peak in the evening.
    Diurnal,
    /// Office hours (08:00–19:00 weekdays, a little on weekends).
    Office,
    /// The same at every hour.
    Flat,
}

/// Relative activity per UTC hour: quiet at night, peak 20:00–22:00
/// (REALISM-FACTS §3: traffic peaks around 21–22 h, AMS-IX).
const DIURNAL: [f64; 24] = [
    0.2, 0.1, 0.06, 0.04, 0.04, 0.06, 0.15, 0.35, 0.5, 0.55, 0.6, 0.65, 0.7, 0.65, 0.6, 0.6, 0.65,
    0.75, 0.85, 0.9, 1.0, 1.0, 0.8, 0.45,
];

impl Curve {
    fn weight(self, t: i64) -> f64 {
        let (h, wd) = (hour_of_day(t) as usize, weekday(t));
        let weekend = wd >= 5;
        match self {
            Curve::Diurnal => DIURNAL[h] * if weekend { 1.15 } else { 1.0 },
            Curve::Office => match (weekend, (8..19).contains(&h)) {
                (false, true) => 1.0,
                (true, true) => 0.2,
                _ => 0.02,
            },
            Curve::Flat => 1.0,
        }
    }
    fn max(self) -> f64 {
        match self {
            Curve::Diurnal => 1.15,
            _ => 1.0,
        }
    }
    /// The mean weight over a week.
    fn mean(self) -> f64 {
        match self {
            Curve::Diurnal => DIURNAL.iter().sum::<f64>() * (5.0 + 2.0 * 1.15) / (7.0 * 24.0),
            Curve::Office => {
                (5.0 * (11.0 + 13.0 * 0.02) + 2.0 * (11.0 * 0.2 + 13.0 * 0.02)) / (7.0 * 24.0)
            }
            Curve::Flat => 1.0,
        }
    }
}

/// What a process does when it fires.
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(clippy::enum_variant_names)]
enum Act {
    /// Ordinary browsing and background.
    Web,
    Call,
    Mail,
    LegalTorrent {
        watched_share: f64,
    },
    WatchVisit,
    WatchTorrent,
    /// Fires at midnight: a hacked PBX's burst, some nights.
    PbxNight,
    /// Fires at midnight: a business's international night calls, some nights.
    BusinessNight,
    MassMail,
    Newsletter,
}

impl Act {
    /// The number of its random stream (never reuse one: it would change
    /// every person's history).
    fn stream(self) -> u64 {
        match self {
            Act::Web => 1,
            Act::Call => 2,
            Act::Mail => 3,
            Act::LegalTorrent { .. } => 4,
            Act::WatchVisit => 5,
            Act::WatchTorrent => 6,
            Act::PbxNight => 7,
            Act::BusinessNight => 8,
            Act::MassMail => 9,
            Act::Newsletter => 10,
        }
    }
}

#[derive(Clone, Debug)]
struct Process {
    sub: u32,
    act: Act,
    curve: Curve,
    /// Mean firings per ns, averaged over a week (0: fires at midnights).
    rate: f64,
    /// Its stream's activity number, and how many times the stream was used.
    what: u64,
    uses: u64,
}

/// One person; their index in `Generator::subs` is their number (the key of
/// their streams).
struct Sub {
    /// Their line's address when their current session started.
    ip: [u8; 4],
    /// Their line.
    line: u32,
    /// Their line's port range, on a shared address.
    ports: Option<(u16, u16)>,
    /// The address they would hold alone (their number and MAC come from it).
    own: [u8; 4],
    mac: [u8; 6],
    number: String,
    /// Local port counter (ephemeral ports).
    port: u16,
    traits: Traits,
}

/// A session under way: its packets and the next one to write.
struct Session {
    pk: Packets,
    next: usize,
    /// Byte offset of record `next`.
    at: usize,
}

/// One SIP call the generator placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntentCall {
    /// The Call-ID header.
    pub call_id: String,
    /// Calling number.
    pub caller: String,
    /// Called number.
    pub callee: String,
    /// Whether it was answered.
    pub answered: bool,
}

/// One SMTP session the generator placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntentMail {
    /// EHLO name.
    pub helo: String,
    /// MAIL FROM address (one per message, all the same).
    pub mail_from: String,
    /// Every RCPT TO address, in order.
    pub rcpt_to: Vec<String>,
}

/// What the generator put in the capture, for tests and audits (kept only when
/// asked for with [`Generator::record_intent`]; sessions cut by the end of
/// the simulated period are left out).
#[derive(Clone, Debug, Default)]
pub struct Intent {
    /// (subscriber, name) of every DNS lookup.
    pub dns: Vec<(IpAddr, String)>,
    /// (subscriber, SNI) of every TLS ClientHello.
    pub tls: Vec<(IpAddr, String)>,
    /// (subscriber, SNI) of every QUIC Initial.
    pub quic: Vec<(IpAddr, String)>,
    /// (subscriber, Host) of every plain HTTP request (tracker announces included).
    pub http: Vec<(IpAddr, String)>,
    /// (subscriber, call) of every SIP call.
    pub calls: Vec<(IpAddr, IntentCall)>,
    /// (subscriber, session) of every SMTP session.
    pub mails: Vec<(IpAddr, IntentMail)>,
    /// (subscriber, infohash hex) of every announce, handshake and DHT query.
    pub infohashes: Vec<(IpAddr, String)>,
}

/// Intent collected while building one session (committed if it fits the period).
#[derive(Default)]
struct Pending {
    dns: Vec<String>,
    tls: Vec<String>,
    quic: Vec<String>,
    http: Vec<String>,
    calls: Vec<IntentCall>,
    mails: Vec<IntentMail>,
    infohashes: Vec<String>,
}

/// Streams a population's traffic as a classic pcap. See the module docs.
pub struct Generator {
    start: i64,
    end: i64,
    labels: Vec<Label>,
    subs: Vec<Sub>,
    procs: Vec<Process>,
    sessions: Vec<Session>,
    free: Vec<u32>,
    pool: Vec<Packets>,
    heap: BinaryHeap<Reverse<(i64, u64, u32)>>,
    seq: u64,
    rng: R,
    p: Population,
    domains: Vec<String>,
    zipf: Vec<f64>,
    /// Bursty visits: the shortest gap as a share of the longest, for the
    /// population's gap exponent and spread (0: Poisson).
    gap_floor: f64,
    out: Vec<u8>,
    out_pos: usize,
    header_done: bool,
    finished: bool,
    packets: u64,
    wire_bytes: u64,
    scratch: Vec<u8>,
    scratch2: Vec<u8>,
    intent: Option<Intent>,
    pending: Pending,
    lines: Lines,
    /// Some line's address changes during the period.
    dynamic: bool,
}

impl Generator {
    /// A generator for `p` (validated first).
    pub fn new(p: &Population) -> Result<Generator, String> {
        p.validate()?;
        let start = parse_date(&p.start)?;
        let end = start + p.days as i64 * NS_PER_DAY;
        let net = p.subscriber_net()?;
        let size = 1u64 << (32 - net.prefix_len());
        let (first, hosts) = if size > 2 {
            (1u64, size - 2)
        } else {
            (0, size)
        };
        let base = u32::from(net.network()) as u64;
        // Targets are the first people, system after system: person i is
        // the same person, with the same role, in any population holding i.
        let mut systems = p.systems.clone();
        systems.sort();
        let role_of = |i: u32| -> (Role, Option<System>) {
            match systems.get((i / p.targets.max(1)) as usize) {
                Some(&s) if p.targets > 0 => (Role::Target, Some(s)),
                _ => (Role::Ordinary, None),
            }
        };
        let special = p.targets.saturating_mul(systems.len() as u32);
        let lines = Lines::new(p, special, start, end, base + first, hosts);
        let mut subs = Vec::with_capacity(p.population as usize);
        let mut labels = Vec::with_capacity(p.population as usize);
        let mut procs = Vec::new();
        let day = NS_PER_DAY as f64;
        let week = 7.0 * day;
        for person in 0..p.population {
            // The person's own number (their phone number, their device's
            // MAC, their mailbox) comes from the address they would hold alone.
            let own =
                ((base + first + host_offset(p.seed, hosts, person as u64)) as u32).to_be_bytes();
            let line = lines.person_line[person as usize];
            let ip = lines.addr_at(line, start);
            let (role, system) = role_of(person);
            let traits = draw_traits(
                p,
                &mut stream(p.seed, person, TRAITS, 0),
                role == Role::Target,
            );
            let h = mix64(p.seed ^ (person as u64) << 8);
            subs.push(Sub {
                ip,
                line,
                ports: lines.ports(line),
                own,
                mac: [0x02, 0x42, own[0], own[1], own[2], own[3]],
                number: format!(
                    "+331{:08}",
                    (u32::from_be_bytes(own) as u64 * 7919) % 100_000_000
                ),
                port: 32768 + (h % 20000) as u16,
                traits,
            });
            let profile = match (role, system) {
                (Role::Target, Some(s)) => s.target_profile(),
                _ if traits.night_business => "night-business",
                _ if traits.bulk_sessions_per_day > 0.0 => "bulk-sender",
                _ if traits.torrent_sessions_per_day > 0.0 => "sharer",
                _ => ORDINARY_PROFILE,
            };
            labels.push(Label {
                address: IpAddr::V4(Ipv4Addr::from(ip)),
                profile: profile.to_string(),
                role,
                system,
                traits: Some(traits),
                line: Some(line),
            });
            let mut add = |act: Act, curve: Curve, per_ns: f64| {
                if per_ns > 0.0 || matches!(act, Act::PbxNight | Act::BusinessNight) {
                    procs.push(Process {
                        sub: person,
                        act,
                        curve,
                        rate: per_ns,
                        what: act.stream(),
                        uses: 0,
                    });
                }
            };
            add(
                Act::Web,
                Curve::Diurnal,
                p.sessions_per_day * traits.activity / day,
            );
            add(Act::Call, Curve::Office, p.calls_per_day / day);
            add(Act::Mail, Curve::Diurnal, p.mails_per_day / day);
            if traits.torrent_sessions_per_day > 0.0 {
                add(
                    Act::LegalTorrent {
                        watched_share: traits.watched_torrent_share,
                    },
                    Curve::Diurnal,
                    traits.torrent_sessions_per_day / day,
                );
            }
            if traits.night_business {
                add(Act::BusinessNight, Curve::Flat, 0.0);
            }
            if traits.bulk_sessions_per_day > 0.0 {
                add(
                    Act::Newsletter,
                    Curve::Office,
                    traits.bulk_sessions_per_day / day,
                );
            }
            let own = match (role, system) {
                (Role::Target, Some(System::L851)) => p.watch_visits_per_week,
                _ => 0.0,
            };
            add(
                Act::WatchVisit,
                Curve::Diurnal,
                (own + traits.watch_visits_per_week) / week,
            );
            match (role, system) {
                (Role::Target, Some(System::Hadopi)) => add(
                    Act::WatchTorrent,
                    Curve::Diurnal,
                    p.target_torrent_sessions_per_day / day,
                ),
                (Role::Target, Some(System::Pbx)) => add(Act::PbxNight, Curve::Flat, 0.0),
                (Role::Target, Some(System::Spam)) => add(
                    Act::MassMail,
                    Curve::Flat,
                    p.mailer_sessions_per_hour * 24.0 / day,
                ),
                _ => {}
            }
        }
        labels.sort_by_key(|l| l.address);
        let mut domains = Vec::with_capacity(DOMAINS);
        for i in 0..DOMAINS {
            domains.push(match HEAD.get(i) {
                Some(d) => d.to_string(),
                None => tail_name(i),
            });
        }
        let mut zipf = Vec::with_capacity(DOMAINS);
        let mut acc = 0.0;
        for i in 0..DOMAINS {
            acc += (i as f64 + 1.0).powf(-p.zipf_exponent);
            zipf.push(acc);
        }
        let gap_floor = if p.visit_gap_exponent > 0.0 {
            gap_floor(p.visit_gap_exponent, p.visit_gap_spread)
        } else {
            0.0
        };
        let mut g = Generator {
            gap_floor,
            start,
            end,
            labels,
            subs,
            procs,
            sessions: Vec::new(),
            free: Vec::new(),
            pool: Vec::new(),
            heap: BinaryHeap::new(),
            seq: 0,
            rng: R(ChaCha8Rng::seed_from_u64(p.seed)),
            p: p.clone(),
            domains,
            zipf,
            out: Vec::with_capacity(BLOCK + (128 << 10)),
            out_pos: 0,
            header_done: false,
            finished: false,
            packets: 0,
            wire_bytes: 0,
            scratch: Vec::with_capacity(4096),
            scratch2: Vec::with_capacity(4096),
            intent: None,
            pending: Pending::default(),
            dynamic: lines.dynamic(),
            lines,
        };
        g.schedule(0, 1);
        Ok(g)
    }

    /// A generator of the traffic of person `i` for every `i % parts ==
    /// part` only: one share of the population (a cluster process's). Every
    /// person draws from numbers of their own, so the shares together are
    /// the whole population's traffic, packet for packet; labels and the
    /// attribution log stay the whole population's.
    pub fn new_part(p: &Population, part: u32, parts: u32) -> Result<Generator, String> {
        if parts == 0 || part >= parts {
            return Err(format!("share {part} of {parts} does not exist"));
        }
        let mut g = Generator::new(p)?;
        g.heap.clear();
        g.seq = 0;
        for pr in &mut g.procs {
            pr.uses = 0;
        }
        g.schedule(part, parts);
        Ok(g)
    }

    /// Schedules the first firing of every process of the people in share
    /// `part` of `parts`.
    fn schedule(&mut self, part: u32, parts: u32) {
        for i in 0..self.procs.len() {
            if self.procs[i].sub % parts != part {
                continue;
            }
            self.use_stream(i);
            let t = self.next_firing(i, self.start, true);
            self.push(t, PROC_BIT | i as u32);
        }
    }

    /// One label per person (ordinary ones included), sorted by address.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// The ISP's attribution log of the whole period: which line held which
    /// address (and port range) when ([`crate::identity`]).
    pub fn attribution(&self) -> Vec<crate::identity::Assignment> {
        self.lines.assignments(self.start, self.end)
    }

    /// Subscriber lines (people share them when households are on).
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// First instant of the simulated period, ns since the epoch.
    pub fn start_ns(&self) -> i64 {
        self.start
    }

    /// End of the simulated period (exclusive), ns since the epoch.
    pub fn end_ns(&self) -> i64 {
        self.end
    }

    /// Packets written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Original (wire) bytes of the packets written so far.
    pub fn wire_bytes(&self) -> u64 {
        self.wire_bytes
    }

    /// Keep a log of what the generator puts in the capture ([`Intent`]). For
    /// small runs: the log grows with the capture.
    pub fn record_intent(&mut self) {
        self.intent.get_or_insert_with(Intent::default);
    }

    /// The intent log so far (empty unless [`Generator::record_intent`] was called).
    pub fn intent(&self) -> Option<&Intent> {
        self.intent.as_ref()
    }

    /// Makes process `i`'s next stream the one every draw comes from.
    fn use_stream(&mut self, i: usize) {
        let pr = &mut self.procs[i];
        self.rng = stream(self.p.seed, pr.sub, pr.what, pr.uses);
        pr.uses += 1;
    }

    fn push(&mut self, t: i64, id: u32) {
        if t < self.end {
            self.seq += 1;
            self.heap.push(Reverse((t, self.seq, id)));
        }
    }

    /// The next firing of process `i` after `t`.
    fn next_firing(&mut self, i: usize, t: i64, first: bool) -> i64 {
        let pr = &self.procs[i];
        if matches!(pr.act, Act::PbxNight | Act::BusinessNight) {
            // The next midnight strictly after t (or t itself at the start, if
            // the period starts at midnight).
            let d = if first && t.rem_euclid(NS_PER_DAY) == 0 {
                t
            } else {
                (t.div_euclid(NS_PER_DAY) + 1) * NS_PER_DAY
            };
            return d;
        }
        // Thinning: candidates at rate × max/mean, kept with weight/max.
        let (curve, rate) = (pr.curve, pr.rate);
        let cand = rate * curve.max() / curve.mean();
        let bursty = matches!(pr.act, Act::WatchVisit) && self.gap_floor > 0.0;
        let mut t = t as f64;
        let mut first = first;
        loop {
            t += if bursty {
                // A truncated power law of the candidates' mean gap. The
                // period starts part-way through a gap, as a renewal process
                // already running would: a gap picked by its length (longer
                // gaps cover more instants), and a uniform point in it.
                let (alpha, high) = (self.p.visit_gap_exponent, self.p.visit_gap_spread / cand);
                let low = self.gap_floor * high;
                if std::mem::take(&mut first) {
                    let gap = power_law(&mut self.rng, alpha - 1.0, low, high);
                    gap * self.rng.unit()
                } else {
                    power_law(&mut self.rng, alpha, low, high)
                }
            } else {
                self.rng.exp(1.0 / cand)
            };
            if t >= self.end as f64 {
                return i64::MAX;
            }
            let ti = t as i64;
            if self.rng.unit() * curve.max() < curve.weight(ti) {
                return ti;
            }
        }
    }

    fn alloc(&mut self) -> Packets {
        let mut pk = self.pool.pop().unwrap_or_default();
        pk.clear();
        pk
    }

    /// Queues a built session (or recycles it if empty).
    fn launch(&mut self, mut pk: Packets) {
        // Sessions of several connections (torrents) interleave them.
        sort_records(&mut pk);
        // Commit the intent of sessions that end inside the period.
        let inside = pk.index.last().is_some_and(|&(t, _)| t < self.end);
        let pending = std::mem::take(&mut self.pending);
        if let (Some(log), true) = (self.intent.as_mut(), inside) {
            // The subscriber is the client of every packet: read it back.
            let who = IpAddr::V4(Ipv4Addr::from(
                <[u8; 4]>::try_from(&pk.buf[16 + 26..16 + 30]).unwrap_or_default(),
            ));
            let ip = |v: Vec<String>| v.into_iter().map(move |s| (who, s));
            log.dns.extend(ip(pending.dns));
            log.tls.extend(ip(pending.tls));
            log.quic.extend(ip(pending.quic));
            log.http.extend(ip(pending.http));
            log.infohashes.extend(ip(pending.infohashes));
            log.calls
                .extend(pending.calls.into_iter().map(|c| (who, c)));
            log.mails
                .extend(pending.mails.into_iter().map(|c| (who, c)));
        }
        let t = match pk.index.first() {
            Some(&(t, _)) if t < self.end => t,
            _ => {
                self.pool.push(pk);
                return;
            }
        };
        let s = Session { pk, next: 0, at: 0 };
        let slot = match self.free.pop() {
            Some(i) => {
                self.sessions[i as usize] = s;
                i
            }
            None => {
                self.sessions.push(s);
                (self.sessions.len() - 1) as u32
            }
        };
        self.push(t, slot);
    }

    /// Produces the next block of output; false at the end.
    fn fill(&mut self) -> bool {
        self.out.clear();
        self.out_pos = 0;
        if !self.header_done {
            self.header_done = true;
            self.out.extend_from_slice(&PCAP_HEADER);
        }
        while self.out.len() < BLOCK {
            let Some(Reverse((t, _, id))) = self.heap.pop() else {
                self.finished = true;
                break;
            };
            if t >= self.end {
                continue;
            }
            if id & PROC_BIT != 0 {
                let i = (id & !PROC_BIT) as usize;
                self.use_stream(i);
                self.fire(i, t);
                let next = self.next_firing(i, t, false);
                self.push(next, id);
                continue;
            }
            let limit = self
                .heap
                .peek()
                .map_or(self.end, |Reverse((t2, _, _))| (*t2).min(self.end));
            let s = &mut self.sessions[id as usize];
            let mut done = false;
            loop {
                let (ts, end) = s.pk.index[s.next];
                if ts >= self.end {
                    done = true;
                    break;
                }
                if ts > limit && s.next > 0 {
                    break;
                }
                let rec = &s.pk.buf[s.at..end as usize];
                self.out.extend_from_slice(rec);
                self.packets += 1;
                self.wire_bytes += u32::from_le_bytes([rec[12], rec[13], rec[14], rec[15]]) as u64;
                s.at = end as usize;
                s.next += 1;
                if s.next == s.pk.index.len() {
                    done = true;
                    break;
                }
                if self.out.len() >= BLOCK {
                    break;
                }
            }
            if !done && s.pk.index[s.next].0 >= self.end {
                done = true;
            }
            if done {
                let pk = std::mem::take(&mut s.pk);
                self.pool.push(pk);
                self.free.push(id);
            } else {
                let t = s.pk.index[s.next].0;
                self.push(t, id);
            }
        }
        !self.out.is_empty()
    }

    /// Writes the whole capture to `w`; returns (packets, wire bytes).
    pub fn write_all_to(&mut self, w: &mut impl Write) -> io::Result<(u64, u64)> {
        self.write_all_with(w, |_| {})
    }

    /// [`Generator::write_all_to`], calling `each` after every block written
    /// (a few hundred kilobytes): for a progress bar.
    pub fn write_all_with(
        &mut self,
        w: &mut impl Write,
        mut each: impl FnMut(&Generator),
    ) -> io::Result<(u64, u64)> {
        while self.fill() {
            w.write_all(&self.out)?;
            self.out.clear();
            each(self);
            if self.finished {
                break;
            }
        }
        Ok((self.packets, self.wire_bytes))
    }

    /// The simulated instant the capture has reached: the next event's time.
    pub fn now_ns(&self) -> i64 {
        self.heap
            .peek()
            .map_or(self.end, |Reverse((t, _, _))| (*t).min(self.end))
            .max(self.start)
    }

    // ---- the behaviour model ----

    fn fire(&mut self, i: usize, t: i64) {
        let Process { sub, act, .. } = self.procs[i].clone();
        let sub = sub as usize;
        if self.dynamic {
            let line = self.subs[sub].line;
            self.subs[sub].ip = self.lines.addr_at(line, t);
        }
        match act {
            Act::Web => {
                let r = self.rng.unit();
                if r < self.p.background_share {
                    if self.rng.chance(0.6) {
                        self.ntp(sub, t)
                    } else {
                        self.ping(sub, t)
                    }
                } else if !self.tunnelled(sub, t) {
                    let d = self.zipf_domain();
                    let name = self.domains[d].clone();
                    let ip = domain_ip(d);
                    self.visit(sub, t, &name, ip);
                }
            }
            Act::WatchVisit => {
                if !self.tunnelled(sub, t) {
                    self.watched_visit(sub, t)
                }
            }
            Act::Call => {
                let callee = format!(
                    "+33{}{:08}",
                    1 + self.rng.below(9),
                    self.rng.below(100_000_000)
                );
                let dur = (self.rng.exp(180.0) + 5.0).min(3600.0);
                let answered = !self.rng.chance(0.1);
                if self.subs[sub].traits.e2e_calls {
                    self.messenger_call(sub, t, dur, answered);
                } else {
                    self.call(sub, t, &callee, dur, answered);
                }
            }
            Act::Mail => self.mail(sub, t, MailKind::Personal),
            Act::MassMail => self.mail(sub, t, MailKind::Mass),
            Act::Newsletter => self.mail(sub, t, MailKind::Newsletter),
            Act::LegalTorrent { watched_share } => {
                let h = if watched_share > 0.0 && self.rng.chance(watched_share) {
                    watched_hash(self.rng.below(WATCHED_TORRENTS as u64) as usize)
                } else {
                    legal_hash(self.rng.below(LEGAL_TORRENTS))
                };
                self.torrent(sub, t, h);
            }
            Act::WatchTorrent => {
                let h = watched_hash(self.rng.below(WATCHED_TORRENTS as u64) as usize);
                self.torrent(sub, t, h);
            }
            Act::PbxNight => {
                if self.rng.chance(self.p.pbx_nights_per_week / 7.0) {
                    let mean_gap = 5.0 * 3600.0 / self.p.pbx_calls_per_night.max(1e-9);
                    let mut c = t as f64;
                    loop {
                        c += self.rng.exp(mean_gap) * NS_PER_S as f64;
                        if c >= (t + 5 * NS_PER_HOUR) as f64 {
                            break;
                        }
                        // A few favourite numbers, as fraud rings use.
                        let callee =
                            format!("{PREMIUM_PREFIX}{}", 22_000 + self.rng.below(12) * 37);
                        let dur = 8.0 + self.rng.unit() * 50.0;
                        self.call(sub, c as i64, &callee, dur, true);
                    }
                }
            }
            Act::BusinessNight => {
                if self.rng.chance(self.p.business_nights_per_week / 7.0) {
                    let mean_gap = 5.0 * 3600.0 / self.p.business_calls_per_night.max(1e-9);
                    let mut c = t as f64;
                    loop {
                        c += self.rng.exp(mean_gap) * NS_PER_S as f64;
                        if c >= (t + 5 * NS_PER_HOUR) as f64 {
                            break;
                        }
                        let callee = if self.rng.chance(self.p.business_premium_share) {
                            format!("{PREMIUM_PREFIX}{}", 23_000 + self.rng.below(1000))
                        } else {
                            let pre =
                                INTERNATIONAL[self.rng.below(INTERNATIONAL.len() as u64) as usize];
                            format!("{pre}{}", 200_000_000 + self.rng.below(700_000_000))
                        };
                        let dur = self
                            .rng
                            .log_normal(self.p.business_call_median_s, self.p.business_call_sigma)
                            .clamp(5.0, 3600.0);
                        self.call(sub, c as i64, &callee, dur, true);
                    }
                }
            }
        }
    }

    /// A web session of a Tor, VPN or Private Relay user, through their
    /// tunnel; false for everyone else (the caller then writes the visit in
    /// the clear).
    fn tunnelled(&mut self, sub: usize, t: i64) -> bool {
        let tr = self.subs[sub].traits;
        if tr.tor {
            self.through_tor(sub, t);
        } else if let Some(vpn) = tr.vpn {
            match vpn {
                VpnProtocol::WireGuard => self.through_wireguard(sub, t),
                VpnProtocol::OpenVpn => self.through_openvpn(sub, t),
                VpnProtocol::Ipsec => self.through_ipsec(sub, t),
            }
        } else if tr.private_relay {
            let mut pk = self.alloc();
            let t = self.lookup(&mut pk, sub, t, RELAY_HOST, RELAY_INGRESS) + MS;
            self.quic(&mut pk, sub, t, RELAY_HOST, RELAY_INGRESS, false);
            self.launch(pk);
        } else {
            return false;
        }
        true
    }

    /// The person's VPN server (198.18.80.0/24, fixed per person).
    fn vpn_server(&self, sub: usize) -> [u8; 4] {
        [
            198,
            18,
            80,
            10 + (mix64(self.p.seed ^ sub as u64) % 200) as u8,
        ]
    }

    /// A download through a tunnel: `data(pk, c, t, from_client, inner)`
    /// writes one tunnel packet carrying `inner` bytes; the client's request,
    /// then the download with the client's acknowledgements.
    fn tunnel_download(
        &mut self,
        pk: &mut Packets,
        c: &mut Conn,
        mut t: i64,
        rtt: i64,
        mut data: impl FnMut(&mut Packets, &mut Conn, i64, bool, u64),
    ) {
        t += MS;
        data(pk, c, t, true, 40 + self.rng.below(400));
        t += rtt;
        let size = self.download_size();
        let rate = self.rng.log_uniform(2e6, 100e6) / 8.0;
        let mut left = size;
        while left > 0 {
            let n = left.min(MAX_SEGMENT as u64 - 64);
            t += ((n as f64 / rate) * NS_PER_S as f64) as i64;
            data(pk, c, t, false, n);
            left -= n;
            if left == 0 || self.rng.chance(0.5) {
                t += MS / 10;
                data(pk, c, t, true, 40);
            }
        }
    }

    /// A session through OpenVPN to the person's VPN server (UDP 1194, no
    /// tls-auth): the two hard resets and an ACK, the TLS handshake on the
    /// control channel (ClientHello without a server name, ServerHello and
    /// the server's encrypted flight), then P_DATA_V2 packets whose 24-byte
    /// head (opcode, peer id, packet id, tag) is captured and whose
    /// ciphertext is cut.
    fn through_openvpn(&mut self, sub: usize, t: i64) {
        use msg::openvpn::*;
        let mut pk = self.alloc();
        let server = self.vpn_server(sub);
        let mut c = self.conn(sub, server, 1194);
        let rtt = Self::rtt(server);
        let seed = self.rng.u64();
        let (cs, ss) = (mix64(seed ^ 11), mix64(seed ^ 12));
        let mut m = std::mem::take(&mut self.scratch);
        let mut tls = std::mem::take(&mut self.scratch2);
        let mut t = t;
        m.clear();
        msg::openvpn_control(&mut m, HARD_RESET_CLIENT_V2, cs, None, 0, &[]);
        c.udp(&mut pk, t, true, &m, 0);
        t += rtt;
        m.clear();
        msg::openvpn_control(&mut m, HARD_RESET_SERVER_V2, ss, Some((0, cs)), 0, &[]);
        c.udp(&mut pk, t, false, &m, 0);
        t += MS / 10;
        m.clear();
        msg::openvpn_control(&mut m, ACK_V1, cs, Some((0, ss)), 0, &[]);
        c.udp(&mut pk, t, true, &m, 0);
        tls.clear();
        msg::tls_record(&mut tls, msg::TLS_HANDSHAKE, |o| {
            msg::client_hello(o, "", &[], seed)
        });
        m.clear();
        msg::openvpn_control(&mut m, CONTROL_V1, cs, None, 1, &tls);
        c.udp(&mut pk, t, true, &m, 0);
        t += rtt;
        tls.clear();
        msg::tls_record(&mut tls, msg::TLS_HANDSHAKE, |o| msg::server_hello(o, seed));
        msg::server_flight(&mut tls, seed, 900 + (seed % 300) as usize);
        m.clear();
        msg::openvpn_control(&mut m, CONTROL_V1, ss, Some((1, cs)), 1, &tls);
        c.udp(&mut pk, t, false, &m, 0);
        t += MS / 10;
        m.clear();
        msg::openvpn_control(&mut m, ACK_V1, cs, Some((1, ss)), 0, &[]);
        c.udp(&mut pk, t, true, &m, 0);
        self.scratch = m;
        self.scratch2 = tls;
        let peer = (seed >> 40) as u32 & 0xff_ffff;
        let mut ids = [1u32; 2];
        let mut head = Vec::with_capacity(24);
        self.tunnel_download(&mut pk, &mut c, t, rtt, |pk, c, t, from_client, inner| {
            let side = usize::from(!from_client);
            head.clear();
            msg::openvpn_data(&mut head, peer, ids[side], seed ^ u64::from(ids[side]));
            ids[side] += 1;
            // Tunnelled IP packet, padded by nothing (AEAD): the wire holds it whole.
            c.udp(pk, t, from_client, &head, inner as u32);
        });
        self.launch(pk);
    }

    /// A session through IPsec to the person's VPN server: IKE_SA_INIT on UDP
    /// 500 (whose NAT-detection payloads move the rest to UDP 4500, RFC 7296
    /// §2.23), IKE_AUTH there behind the non-ESP marker, then ESP in UDP (RFC
    /// 3948) whose 16-byte head (SPI, sequence number, IV) is captured and
    /// whose ciphertext is cut.
    fn through_ipsec(&mut self, sub: usize, t: i64) {
        let mut pk = self.alloc();
        let server = self.vpn_server(sub);
        let rtt = Self::rtt(server);
        let seed = self.rng.u64();
        let (spi_i, spi_r) = (mix64(seed ^ 21) | 1, mix64(seed ^ 22) | 1);
        let mut m = std::mem::take(&mut self.scratch);
        let mut c = self.conn(sub, server, 500);
        c.c_port = self.fixed_port(sub, 500);
        let mut t = t;
        m.clear();
        msg::ike_sa_init(&mut m, spi_i, 0, seed);
        c.udp(&mut pk, t, true, &m, 0);
        t += rtt;
        m.clear();
        msg::ike_sa_init(&mut m, spi_i, spi_r, seed ^ 1);
        c.udp(&mut pk, t, false, &m, 0);
        let mut c = self.conn(sub, server, 4500);
        c.c_port = self.fixed_port(sub, 4500);
        t += MS;
        m.clear();
        msg::ike_auth(
            &mut m,
            spi_i,
            spi_r,
            false,
            300 + (seed % 200) as usize,
            seed ^ 2,
        );
        c.udp(&mut pk, t, true, &m, 0);
        t += rtt;
        m.clear();
        msg::ike_auth(
            &mut m,
            spi_i,
            spi_r,
            true,
            900 + (seed % 400) as usize,
            seed ^ 3,
        );
        c.udp(&mut pk, t, false, &m, 0);
        self.scratch = m;
        let spis = [(seed >> 32) as u32, seed as u32];
        let mut seqs = [1u32; 2];
        let mut head = Vec::with_capacity(16);
        self.tunnel_download(&mut pk, &mut c, t, rtt, |pk, c, t, from_client, inner| {
            let side = usize::from(!from_client);
            head.clear();
            msg::esp(
                &mut head,
                spis[side],
                seqs[side],
                seed ^ u64::from(seqs[side]),
            );
            seqs[side] += 1;
            // Padding to 4 bytes, pad length and next header, 16-byte ICV.
            let wire = inner.div_ceil(4) * 4 + 2 + 16;
            c.udp(pk, t, from_client, &head, wire as u32);
        });
        self.launch(pk);
    }

    /// A call over an end-to-end encrypted messenger: a TLS connection to its
    /// server for the call's length, offer and answer as small records, then
    /// the call's audio relayed as encrypted records, one each way every five
    /// seconds (Opus at 24 kbit/s: 15 kB), cut. A box sees only the
    /// messenger's name and the connection's length and volume.
    fn messenger_call(&mut self, sub: usize, t: i64, dur: f64, answered: bool) {
        let mut pk = self.alloc();
        let mut c = self.conn(sub, MESSENGER, 443);
        let rtt = Self::rtt(MESSENGER);
        let mut t = self.tls_hello(&mut c, &mut pk, t, MESSENGER_HOST, rtt, false);
        c.tcp(
            &mut pk,
            t,
            true,
            tcpf::ACK | tcpf::PSH,
            &[],
            400 + self.rng.below(300) as u32,
        );
        t += rtt + self.rng.range(2 * NS_PER_S, 15 * NS_PER_S);
        c.tcp(
            &mut pk,
            t,
            false,
            tcpf::ACK | tcpf::PSH,
            &[],
            300 + self.rng.below(300) as u32,
        );
        if answered {
            let end = t + (dur * NS_PER_S as f64) as i64;
            while t + 5 * NS_PER_S < end {
                t += 5 * NS_PER_S;
                c.tcp(&mut pk, t, true, tcpf::ACK | tcpf::PSH, &[], 15_000);
                c.tcp(
                    &mut pk,
                    t + rtt / 2,
                    false,
                    tcpf::ACK | tcpf::PSH,
                    &[],
                    15_000,
                );
            }
            // The last relayed record has arrived before the hang-up.
            t = end.max(t + rtt);
        }
        Self::close(&mut c, &mut pk, t + MS, rtt);
        self.launch(pk);
    }

    /// A session through WireGuard to the person's VPN server (UDP 51820):
    /// a handshake (initiation, 148 bytes; response, 92 bytes; whitepaper
    /// §5.4), then transport messages whose 16-byte header is captured and
    /// whose encrypted payload (padded to 16 bytes, plus a 16-byte tag) is cut.
    fn through_wireguard(&mut self, sub: usize, t: i64) {
        let mut pk = self.alloc();
        let server = self.vpn_server(sub);
        let mut c = self.conn(sub, server, 51820);
        let rtt = Self::rtt(server);
        let (me, peer) = (self.rng.u64() as u32, self.rng.u64() as u32);
        let mut m = std::mem::take(&mut self.scratch);
        m.clear();
        m.extend_from_slice(&[1, 0, 0, 0]);
        m.extend_from_slice(&me.to_le_bytes());
        while m.len() < 148 {
            m.extend_from_slice(&self.rng.u64().to_le_bytes());
        }
        m.truncate(148);
        c.udp(&mut pk, t, true, &m, 0);
        let t = t + rtt;
        m.clear();
        m.extend_from_slice(&[2, 0, 0, 0]);
        m.extend_from_slice(&peer.to_le_bytes());
        m.extend_from_slice(&me.to_le_bytes());
        while m.len() < 92 {
            m.extend_from_slice(&self.rng.u64().to_le_bytes());
        }
        m.truncate(92);
        c.udp(&mut pk, t, false, &m, 0);
        let mut counters = [0u64; 2];
        let data = |pk: &mut Packets, c: &mut Conn, t: i64, from_client: bool, inner: u64| {
            let side = usize::from(!from_client);
            // The header and the first 16 bytes of ciphertext are captured
            // (a transport message is at least 32 bytes: tshark checks).
            let mut h = [0u8; 32];
            h[0] = 4;
            let receiver = if from_client { peer } else { me };
            h[4..8].copy_from_slice(&receiver.to_le_bytes());
            h[8..16].copy_from_slice(&counters[side].to_le_bytes());
            h[16..].copy_from_slice(
                &mix64(counters[side] ^ u64::from(receiver))
                    .to_le_bytes()
                    .repeat(2),
            );
            counters[side] += 1;
            let padded = inner.div_ceil(16) * 16 + 16;
            c.udp(pk, t, from_client, &h, padded as u32);
        };
        self.scratch = m;
        self.tunnel_download(&mut pk, &mut c, t, rtt, data);
        self.launch(pk);
    }

    /// A session through Tor: TLS to the person's guard relay, with the
    /// random server name Tor clients send (`www.<random>.com`), no DNS.
    fn through_tor(&mut self, sub: usize, t: i64) {
        let mut pk = self.alloc();
        let person = sub as u32;
        let relay = [
            198,
            18,
            90,
            10 + (mix64(self.p.seed ^ !(person as u64)) % 200) as u8,
        ];
        let len = 8 + self.rng.below(13) as usize;
        let name: String = (0..len)
            .map(|_| (b'a' + self.rng.below(26) as u8) as char)
            .collect();
        self.tls(&mut pk, sub, t, &format!("www.{name}.com"), relay, false);
        self.launch(pk);
    }

    /// A visit to one of the watched sites.
    fn watched_visit(&mut self, sub: usize, t: i64) {
        let k = self.rng.below(WATCHED_DOMAINS.len() as u64) as usize;
        let ip = [198, 18, 9, 10 + k as u8];
        self.visit(sub, t, WATCHED_DOMAINS[k], ip);
    }

    fn zipf_domain(&mut self) -> usize {
        let total = *self.zipf.last().unwrap_or(&1.0);
        let u = self.rng.unit() * total;
        self.zipf.partition_point(|&c| c <= u).min(DOMAINS - 1)
    }

    fn port(&mut self, sub: usize) -> u16 {
        let s = &mut self.subs[sub];
        loop {
            s.port = if s.port >= 60999 {
                32768
            } else {
                s.port + 1 + (mix64(s.port as u64) % 3) as u16
            };
            let port = s.ports.map_or(s.port, |r| in_range(s.port, r));
            if REGISTERED_EPHEMERAL.binary_search(&port).is_err() {
                return port;
            }
        }
    }

    /// A fixed source port (SIP's 5060, IKE's 500...) as the line's router
    /// sends it: kept on an address of its own, moved into the line's range on
    /// a shared one.
    fn fixed_port(&self, sub: usize, port: u16) -> u16 {
        self.subs[sub].ports.map_or(port, |r| in_range(port, r))
    }

    fn conn(&mut self, sub: usize, server: [u8; 4], s_port: u16) -> Conn {
        let c_port = self.port(sub);
        let isn = self.rng.u64();
        let s = &self.subs[sub];
        let mut c = Conn::new(s.ip, s.mac, c_port, server, s_port, isn);
        c.seg = self.p.segment_bytes;
        c
    }

    /// Round-trip time to a server, ns (5–80 ms, fixed per server).
    fn rtt(server: [u8; 4]) -> i64 {
        (5 + (mix64(u32::from_be_bytes(server) as u64) % 76) as i64) * MS
    }

    /// A DNS lookup of `name` answered with `ip`; returns when the answer came.
    fn dns(&mut self, pk: &mut Packets, sub: usize, t: i64, name: &str, ip: [u8; 4]) -> i64 {
        let mut c = self.conn(sub, RESOLVER, 53);
        let id = self.rng.u64() as u16;
        let mut m = std::mem::take(&mut self.scratch);
        m.clear();
        msg::dns(&mut m, id, name, None);
        c.udp(pk, t, true, &m, 0);
        m.clear();
        msg::dns(&mut m, id, name, Some((ip, 300)));
        let t2 = t + 2 * MS + self.rng.range(0, 20 * MS);
        c.udp(pk, t2, false, &m, 0);
        self.scratch = m;
        if self.intent.is_some() {
            self.pending.dns.push(name.to_string());
        }
        t2
    }

    /// TCP handshake; returns the time of the client's ACK.
    fn handshake(c: &mut Conn, pk: &mut Packets, t: i64, rtt: i64) -> i64 {
        c.tcp(pk, t, true, tcpf::SYN, &[], 0);
        c.tcp(pk, t + rtt, false, tcpf::SYN | tcpf::ACK, &[], 0);
        c.tcp(pk, t + rtt + MS / 5, true, tcpf::ACK, &[], 0);
        t + rtt + MS / 5
    }

    /// Orderly close started by the client.
    fn close(c: &mut Conn, pk: &mut Packets, t: i64, rtt: i64) {
        c.tcp(pk, t, true, tcpf::FIN | tcpf::ACK, &[], 0);
        c.tcp(pk, t + rtt, false, tcpf::FIN | tcpf::ACK, &[], 0);
        c.tcp(pk, t + rtt + MS / 5, true, tcpf::ACK, &[], 0);
    }

    /// `size` bytes from the server in snaplen-cut records, the client acking
    /// each; returns when the last ack left. TCP's slow start first: an
    /// initial window of 10 segments (RFC 6928) doubling each round trip
    /// (RFC 5681 §3.1) while it holds less than the path's rate carries in
    /// one round trip; then the drawn rate.
    fn bulk_tcp(&mut self, c: &mut Conn, pk: &mut Packets, mut t: i64, size: u64) -> i64 {
        let rate = self.rng.log_uniform(2e6, 100e6) / 8.0; // bytes/s
        let rtt = Self::rtt(c.s_ip);
        let mut window = 10 * MSS;
        let mut left = size;
        while left > 0 && (window as f64) < rate * rtt as f64 / NS_PER_S as f64 {
            // One round trip: the window goes out at the rate, then its ACKs come back.
            let round = left.min(window);
            let start = t;
            t = Self::paced(c, pk, t, round, rate);
            t = t.max(start + rtt);
            left -= round;
            window *= 2;
        }
        if left > 0 {
            t = Self::paced(c, pk, t, left, rate);
        }
        t
    }

    /// `size` bytes from the server at `rate` bytes/s, in records of at most
    /// [`MAX_SEGMENT`] each acked by the client; returns when the last ack left.
    fn paced(c: &mut Conn, pk: &mut Packets, mut t: i64, size: u64, rate: f64) -> i64 {
        let mut left = size;
        while left > 0 {
            let n = left.min(MAX_SEGMENT as u64) as u32;
            t += ((n as f64 / rate) * NS_PER_S as f64) as i64;
            c.tcp(pk, t, false, tcpf::ACK | tcpf::PSH, &[], n);
            t += MS / 10;
            c.tcp(pk, t, true, tcpf::ACK, &[], 0);
            left -= n as u64;
        }
        t
    }

    fn download_size(&mut self) -> u64 {
        self.rng.log_uniform(3_000.0, 4_000_000.0) as u64
    }

    /// A lookup of `name` (answered with `ip`) the person's way: DNS over
    /// HTTPS or plain DNS. Returns when the answer came.
    fn lookup(&mut self, pk: &mut Packets, sub: usize, t: i64, name: &str, ip: [u8; 4]) -> i64 {
        if self.subs[sub].traits.doh {
            self.doh(pk, sub, t)
        } else {
            self.dns(pk, sub, t, name, ip)
        }
    }

    /// Whether site `name` offers Encrypted Client Hello (a share
    /// [`Population::ech_site_share`] of sites, fixed by the name and the seed).
    fn offers_ech(&self, name: &str) -> bool {
        let h = name
            .bytes()
            .fold(self.p.seed ^ 0xec4, |h, b| mix64(h ^ u64::from(b)));
        ((h >> 11) as f64 / (1u64 << 53) as f64) < self.p.ech_site_share
    }

    /// DNS, then TLS / QUIC / HTTP to `name` (with ECH where both ends do it).
    fn visit(&mut self, sub: usize, t: i64, name: &str, ip: [u8; 4]) {
        let mut pk = self.alloc();
        let t = self.lookup(&mut pk, sub, t, name, ip) + MS;
        let ech = self.subs[sub].traits.ech && self.offers_ech(name);
        let r = self.rng.unit();
        if r < self.p.quic_share {
            self.quic(&mut pk, sub, t, name, ip, ech);
        } else if r < self.p.quic_share + self.p.http_share {
            self.http(&mut pk, sub, t, name, ip);
        } else {
            self.tls(&mut pk, sub, t, name, ip, ech);
        }
        self.launch(pk);
    }

    /// The TCP and TLS 1.3 handshakes of a connection to `name` (its
    /// server name; `cloudflare-ech.com` in the clear with `ech`); returns
    /// when the client may send.
    fn tls_hello(
        &mut self,
        c: &mut Conn,
        pk: &mut Packets,
        t: i64,
        name: &str,
        rtt: i64,
        ech: bool,
    ) -> i64 {
        let mut t = Self::handshake(c, pk, t, rtt);
        let seed = self.rng.u64();
        let mut m = std::mem::take(&mut self.scratch);
        m.clear();
        let name = if ech { msg::ECH_PUBLIC_NAME } else { name };
        msg::tls_record(&mut m, msg::TLS_HANDSHAKE, |o| {
            if ech {
                msg::client_hello_ech(o, name, &["h2", "http/1.1"], seed)
            } else {
                msg::client_hello(o, name, &["h2", "http/1.1"], seed)
            }
        });
        c.tcp(pk, t, true, tcpf::ACK | tcpf::PSH, &m, 0);
        t += rtt;
        m.clear();
        m.extend_from_slice(&[22, 3, 3, 0, 0]);
        msg::server_hello(&mut m, seed);
        let n = (m.len() - 5) as u16;
        m[3..5].copy_from_slice(&n.to_be_bytes());
        msg::server_flight(&mut m, seed, 60 + (seed % 40) as usize);
        c.tcp(pk, t, false, tcpf::ACK | tcpf::PSH, &m, 0);
        self.scratch = m;
        if self.intent.is_some() {
            self.pending.tls.push(name.to_string());
        }
        t + MS / 2
    }

    fn tls(&mut self, pk: &mut Packets, sub: usize, t: i64, name: &str, ip: [u8; 4], ech: bool) {
        let mut c = self.conn(sub, ip, 443);
        let rtt = Self::rtt(ip);
        let mut t = self.tls_hello(&mut c, pk, t, name, rtt, ech);
        // Client Finished and request: encrypted, not worth capturing.
        let req = 300 + self.rng.below(600) as u32;
        c.tcp(pk, t, true, tcpf::ACK | tcpf::PSH, &[], req);
        t += rtt;
        let size = self.download_size();
        t = self.bulk_tcp(&mut c, pk, t, size);
        t += self.rng.range(50 * MS, 3_000 * MS);
        Self::close(&mut c, pk, t, rtt);
    }

    /// A lookup over DNS over HTTPS (RFC 8484): TLS to the public resolver,
    /// whose name is all a box sees; the query and answer are encrypted.
    /// Returns when the answer came.
    fn doh(&mut self, pk: &mut Packets, sub: usize, t: i64) -> i64 {
        let mut c = self.conn(sub, DOH_RESOLVER, 443);
        let rtt = Self::rtt(DOH_RESOLVER);
        let mut t = self.tls_hello(&mut c, pk, t, DOH_HOST, rtt, false);
        let q = 90 + self.rng.below(60) as u32;
        c.tcp(pk, t, true, tcpf::ACK | tcpf::PSH, &[], q);
        t += rtt;
        let a = 150 + self.rng.below(200) as u32;
        c.tcp(pk, t, false, tcpf::ACK | tcpf::PSH, &[], a);
        Self::close(&mut c, pk, t + 30 * NS_PER_S, rtt);
        t
    }

    fn quic(&mut self, pk: &mut Packets, sub: usize, t: i64, name: &str, ip: [u8; 4], ech: bool) {
        let name = if ech { msg::ECH_PUBLIC_NAME } else { name };
        let mut c = self.conn(sub, ip, 443);
        let rtt = Self::rtt(ip);
        let seed = self.rng.u64();
        let dcid = seed.to_be_bytes();
        let ccid = mix64(seed).to_be_bytes();
        let scid = mix64(!seed).to_be_bytes();
        let mut hello = std::mem::take(&mut self.scratch2);
        let mut m = std::mem::take(&mut self.scratch);
        let mut t = t;
        if let (Some(ck), Some(sk)) = (
            crate::dissect::quic::parser::initial_keys(msg::QUIC_V1, &dcid, false),
            crate::dissect::quic::parser::initial_keys(msg::QUIC_V1, &dcid, true),
        ) {
            hello.clear();
            if ech {
                msg::client_hello_ech(&mut hello, name, &["h3"], seed);
            } else {
                msg::client_hello(&mut hello, name, &["h3"], seed);
            }
            let mut frames = Vec::with_capacity(hello.len() + 8);
            msg::quic_crypto_frame(&mut frames, &hello);
            m.clear();
            msg::quic_initial(&mut m, &ck, &dcid, &ccid, 0, &frames, 1200);
            c.udp(pk, t, true, &m, 0);
            t += rtt;
            hello.clear();
            msg::server_hello(&mut hello, seed);
            frames.clear();
            frames.extend_from_slice(&[0x02, 0, 0, 0, 0]); // ACK of packet 0
            msg::quic_crypto_frame(&mut frames, &hello);
            m.clear();
            msg::quic_initial(&mut m, &sk, &ccid, &scid, 0, &frames, 1200);
            c.udp(pk, t, false, &m, 0);
            // 1-RTT traffic: short headers, protected payloads, not captured.
            // A short-header packet holds at least a packet number, a frame
            // and a 16-byte tag after its 9 captured bytes (RFC 9000 §17.3.1,
            // RFC 9001 §5.3): never fewer than SHORT_MIN on the wire.
            const SHORT_MIN: u32 = 1 + 1 + 16;
            let mut short = [0u8; 9];
            short[0] = 0x41;
            short[1..9].copy_from_slice(&scid);
            t += MS;
            c.udp(pk, t, true, &short, 40 + self.rng.below(400) as u32);
            t += rtt;
            let size = self.download_size();
            let rate = self.rng.log_uniform(2e6, 100e6) / 8.0;
            let mut left = size;
            short[1..9].copy_from_slice(&ccid);
            while left > 0 {
                let n = left.min(MAX_SEGMENT as u64) as u32;
                t += ((n as f64 / rate) * NS_PER_S as f64) as i64;
                c.udp(pk, t, false, &short, n.max(SHORT_MIN));
                left -= n as u64;
                if left == 0 || self.rng.chance(0.5) {
                    short[1..9].copy_from_slice(&scid);
                    t += MS / 10;
                    c.udp(pk, t, true, &short, 30);
                    short[1..9].copy_from_slice(&ccid);
                }
            }
            if self.intent.is_some() {
                self.pending.quic.push(name.to_string());
            }
        }
        self.scratch = m;
        self.scratch2 = hello;
    }

    fn http(&mut self, pk: &mut Packets, sub: usize, t: i64, name: &str, ip: [u8; 4]) {
        let mut c = self.conn(sub, ip, 80);
        let rtt = Self::rtt(ip);
        let mut t = Self::handshake(&mut c, pk, t, rtt);
        let ua = USER_AGENTS[self.rng.below(4) as usize];
        let path = self.rng.u64();
        let mut m = std::mem::take(&mut self.scratch);
        m.clear();
        let _ = write!(
            m,
            "GET /{:x}/index.html HTTP/1.1\r\nHost: {name}\r\nUser-Agent: {ua}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            path & 0xffffff
        );
        c.tcp(pk, t, true, tcpf::ACK | tcpf::PSH, &m, 0);
        t += rtt;
        let size = self.download_size();
        m.clear();
        let _ = write!(
            m,
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
        );
        c.tcp(pk, t, false, tcpf::ACK | tcpf::PSH, &m, 0);
        self.scratch = m;
        t = self.bulk_tcp(&mut c, pk, t + MS / 10, size);
        Self::close(&mut c, pk, t + MS, rtt);
        if self.intent.is_some() {
            self.pending.http.push(name.to_string());
        }
    }

    fn ntp(&mut self, sub: usize, t: i64) {
        let mut pk = self.alloc();
        let mut c = self.conn(sub, NTP_SERVER, 123);
        c.c_port = self.fixed_port(sub, 123);
        let mut m = [0u8; 48];
        m[0] = 0x23; // v4, client
        m[40..48].copy_from_slice(&self.rng.u64().to_be_bytes());
        c.udp(&mut pk, t, true, &m, 0);
        m[0] = 0x24; // v4, server
        m[1] = 2;
        m[12..16].copy_from_slice(b"GPS\0");
        m.copy_within(40..48, 24);
        m[32..48].copy_from_slice(&[0x11; 16]);
        c.udp(&mut pk, t + Self::rtt(NTP_SERVER), false, &m, 0);
        self.launch(pk);
    }

    fn ping(&mut self, sub: usize, t: i64) {
        let mut pk = self.alloc();
        let mut c = self.conn(sub, PING_TARGET, 0);
        let rtt = Self::rtt(PING_TARGET);
        for k in 0..(1 + self.rng.below(4) as u16) {
            let tk = t + k as i64 * NS_PER_S;
            c.icmp_echo(&mut pk, tk, true, k + 1);
            c.icmp_echo(&mut pk, tk + rtt, false, k + 1);
        }
        self.launch(pk);
    }

    /// A SIP call from subscriber `sub` to `callee`, lasting `dur` seconds once
    /// answered (or busy if not `answered`).
    fn call(&mut self, sub: usize, t: i64, callee: &str, dur: f64, answered: bool) {
        let mut pk = self.alloc();
        let mut c = self.conn(sub, SIP_PROXY, 5060);
        c.c_port = self.fixed_port(sub, 5060);
        let rtt = Self::rtt(SIP_PROXY);
        let caller = self.subs[sub].number.clone();
        let ipx = self.subs[sub].ip;
        let ip = format!("{}.{}.{}.{}", ipx[0], ipx[1], ipx[2], ipx[3]);
        let r = self.rng.u64();
        let call_id = format!("{:016x}@{ip}", r);
        let (ftag, ttag) = (
            format!("{:08x}", r >> 32),
            format!("{:08x}", mix64(r) as u32),
        );
        let from = format!("<sip:{caller}@{SIP_DOMAIN}>;tag={ftag}");
        let to = format!("<sip:{callee}@{SIP_DOMAIN}>");
        let to_tagged = format!("{to};tag={ttag}");
        let sdp = format!(
            "v=0\r\no=- {r0} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n",
            r0 = r as u32,
            port = 16384 + (r as u16 & 0x3ffe)
        );
        let ruri = format!("sip:{callee}@{SIP_DOMAIN}");
        let via = |branch: u64| format!("SIP/2.0/UDP {ip}:5060;branch=z9hG4bK{branch:x}");
        let b1 = mix64(r ^ 1);
        let b2 = mix64(r ^ 2);
        let mut m = std::mem::take(&mut self.scratch);
        let mut send = |m: &mut Vec<u8>,
                        pk: &mut Packets,
                        t: i64,
                        from_client: bool,
                        start: &str,
                        via: &str,
                        to: &str,
                        cseq: &str,
                        body: &str| {
            m.clear();
            let _ = write!(
                m,
                "{start}\r\nVia: {via}\r\nMax-Forwards: 70\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq}\r\n"
            );
            if !body.is_empty() {
                let _ = write!(
                    m,
                    "Contact: <sip:{caller}@{ip}:5060>\r\nContent-Type: application/sdp\r\n"
                );
            }
            if from_client {
                let _ = write!(m, "User-Agent: Asterisk PBX 18.20\r\n");
            }
            let _ = write!(m, "Content-Length: {}\r\n\r\n{body}", body.len());
            c.udp(pk, t, from_client, m, 0);
        };
        let invite = format!("INVITE {ruri} SIP/2.0");
        let v1 = via(b1);
        let mut t = t;
        send(
            &mut m, &mut pk, t, true, &invite, &v1, &to, "1 INVITE", &sdp,
        );
        t += rtt / 2;
        send(
            &mut m,
            &mut pk,
            t,
            false,
            "SIP/2.0 100 Trying",
            &v1,
            &to,
            "1 INVITE",
            "",
        );
        t += rtt + 200 * MS;
        send(
            &mut m,
            &mut pk,
            t,
            false,
            "SIP/2.0 180 Ringing",
            &v1,
            &to_tagged,
            "1 INVITE",
            "",
        );
        let ring = ((2.0 + (r % 1000) as f64 / 200.0) * NS_PER_S as f64) as i64;
        t += ring;
        let v2 = via(b2);
        let ack = format!("ACK {ruri} SIP/2.0");
        if answered {
            send(
                &mut m,
                &mut pk,
                t,
                false,
                "SIP/2.0 200 OK",
                &v1,
                &to_tagged,
                "1 INVITE",
                &sdp,
            );
            t += rtt / 2;
            send(&mut m, &mut pk, t, true, &ack, &v2, &to_tagged, "1 ACK", "");
            t += (dur * NS_PER_S as f64) as i64;
            let bye = format!("BYE {ruri} SIP/2.0");
            let v3 = via(mix64(r ^ 3));
            send(&mut m, &mut pk, t, true, &bye, &v3, &to_tagged, "2 BYE", "");
            t += rtt;
            send(
                &mut m,
                &mut pk,
                t,
                false,
                "SIP/2.0 200 OK",
                &v3,
                &to_tagged,
                "2 BYE",
                "",
            );
        } else {
            send(
                &mut m,
                &mut pk,
                t,
                false,
                "SIP/2.0 486 Busy Here",
                &v1,
                &to_tagged,
                "1 INVITE",
                "",
            );
            t += rtt / 2;
            send(&mut m, &mut pk, t, true, &ack, &v1, &to_tagged, "1 ACK", "");
        }
        self.scratch = m;
        if self.intent.is_some() {
            self.pending.calls.push(IntentCall {
                call_id: call_id.clone(),
                caller,
                callee: callee.to_string(),
                answered,
            });
        }
        self.launch(pk);
    }

    fn mail(&mut self, sub: usize, t: i64, kind: MailKind) {
        let mut pk = self.alloc();
        let idx = self.subs[sub].ip;
        let local = format!("user{}", u32::from_be_bytes(self.subs[sub].own) % 1_000_000);
        let (helo, from, server_name, server, port, messages, rcpts) = match kind {
            MailKind::Personal => (
                format!("[{}.{}.{}.{}]", idx[0], idx[1], idx[2], idx[3]),
                format!("{local}@{}", MAIL_DOMAINS[0]),
                SUBMISSION_HOST.to_string(),
                SUBMISSION,
                587,
                1,
                1 + self.rng.below(2) as u32,
            ),
            MailKind::Mass => {
                let d = MAIL_DOMAINS[self.rng.below(MAIL_DOMAINS.len() as u64) as usize];
                (
                    format!("mailer{}.{MASS_MAILER_DOMAIN}", self.rng.below(8)),
                    format!("offers{}@{MASS_MAILER_DOMAIN}", self.rng.below(50)),
                    format!("mx.{d}"),
                    [
                        198,
                        18,
                        2,
                        10 + self.rng.below(MAIL_DOMAINS.len() as u64) as u8,
                    ],
                    25,
                    self.p.mailer_messages_per_session,
                    self.p.mailer_rcpts_per_message,
                )
            }
            MailKind::Newsletter => {
                let d = MAIL_DOMAINS[self.rng.below(MAIL_DOMAINS.len() as u64) as usize];
                (
                    format!("mail.{NEWSLETTER_DOMAIN}"),
                    format!("news@{NEWSLETTER_DOMAIN}"),
                    format!("mx.{d}"),
                    [
                        198,
                        18,
                        2,
                        10 + self.rng.below(MAIL_DOMAINS.len() as u64) as u8,
                    ],
                    25,
                    1,
                    self.subs[sub].traits.bulk_rcpts.max(1),
                )
            }
        };
        let mut c = self.conn(sub, server, port);
        let rtt = Self::rtt(server);
        let mut t = Self::handshake(&mut c, &mut pk, t, rtt);
        let mut m = std::mem::take(&mut self.scratch);
        let reply = |m: &mut Vec<u8>, c: &mut Conn, pk: &mut Packets, t: i64, text: &str| {
            m.clear();
            m.extend_from_slice(text.as_bytes());
            c.tcp(pk, t, false, tcpf::ACK | tcpf::PSH, m, 0);
        };
        t += 5 * MS;
        reply(
            &mut m,
            &mut c,
            &mut pk,
            t,
            &format!("220 {server_name} ESMTP ready\r\n"),
        );
        t += MS;
        m.clear();
        let _ = write!(m, "EHLO {helo}\r\n");
        c.tcp(&mut pk, t, true, tcpf::ACK | tcpf::PSH, &m, 0);
        t += rtt;
        reply(
            &mut m,
            &mut c,
            &mut pk,
            t,
            &format!(
                "250-{server_name}\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250 8BITMIME\r\n"
            ),
        );
        let mut all_rcpts = Vec::new();
        for k in 0..messages {
            t += MS;
            m.clear();
            let _ = write!(m, "MAIL FROM:<{from}>\r\n");
            for _ in 0..rcpts {
                let d = MAIL_DOMAINS[self.rng.below(MAIL_DOMAINS.len() as u64) as usize];
                let rc = format!("u{}@{d}", self.rng.below(10_000_000));
                let _ = write!(m, "RCPT TO:<{rc}>\r\n");
                all_rcpts.push(rc);
            }
            m.extend_from_slice(b"DATA\r\n");
            c.tcp(&mut pk, t, true, tcpf::ACK | tcpf::PSH, &m, 0);
            t += rtt;
            m.clear();
            m.extend_from_slice(b"250 2.1.0 Ok\r\n");
            for _ in 0..rcpts {
                m.extend_from_slice(b"250 2.1.5 Ok\r\n");
            }
            m.extend_from_slice(b"354 End data with <CR><LF>.<CR><LF>\r\n");
            c.tcp(&mut pk, t, false, tcpf::ACK | tcpf::PSH, &m, 0);
            t += MS;
            m.clear();
            let _ = write!(
                m,
                "From: <{from}>\r\nSubject: message {k:x}{:x}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
                self.rng.u64() & 0xffff
            );
            let lines = 3 + self.rng.below(12);
            for _ in 0..lines {
                m.extend_from_slice(
                    b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n",
                );
            }
            m.extend_from_slice(b".\r\n");
            c.tcp(&mut pk, t, true, tcpf::ACK | tcpf::PSH, &m, 0);
            t += rtt;
            reply(&mut m, &mut c, &mut pk, t, "250 2.0.0 Ok: queued\r\n");
        }
        t += MS;
        c.tcp(&mut pk, t, true, tcpf::ACK | tcpf::PSH, b"QUIT\r\n", 0);
        t += rtt;
        reply(&mut m, &mut c, &mut pk, t, "221 2.0.0 Bye\r\n");
        self.scratch = m;
        Self::close(&mut c, &mut pk, t + MS, rtt);
        if self.intent.is_some() {
            self.pending.mails.push(IntentMail {
                helo,
                mail_from: from,
                rcpt_to: all_rcpts,
            });
        }
        self.launch(pk);
    }

    /// Sharing one torrent: a tracker announce over HTTP, handshakes with a
    /// few peers (and the pieces exchanged, cut), sometimes a DHT query.
    fn torrent(&mut self, sub: usize, t: i64, hash: [u8; 20]) {
        let mut pk = self.alloc();
        let hexh = super::hex(&hash);
        let mut peer_id = [0u8; 20];
        peer_id[..8].copy_from_slice(b"-TR4060-");
        let pid = self.rng.u64();
        for (k, b) in peer_id[8..].iter_mut().enumerate() {
            *b = b"0123456789abcdefghijklmnopqrstuvwxyz"[((pid >> (k * 5)) % 36) as usize];
        }
        let mut t = self.dns(&mut pk, sub, t, TRACKER_HOST, TRACKER) + MS;
        let mut c = self.conn(sub, TRACKER, 6969);
        let rtt = Self::rtt(TRACKER);
        t = Self::handshake(&mut c, &mut pk, t, rtt);
        let left = self.rng.log_uniform(1e6, 4e9) as u64;
        let mut m = std::mem::take(&mut self.scratch);
        m.clear();
        m.extend_from_slice(b"GET /announce?info_hash=");
        msg::percent_all(&mut m, &hash);
        m.extend_from_slice(b"&peer_id=");
        msg::percent_all(&mut m, &peer_id);
        let _ = write!(
            m,
            "&port=51413&uploaded=0&downloaded=0&left={left}&event=started&compact=1&numwant=50 HTTP/1.1\r\nHost: {TRACKER_HOST}:6969\r\nUser-Agent: Transmission/4.0.6\r\nAccept-Encoding: gzip;q=1.0, deflate, identity\r\n\r\n"
        );
        c.tcp(&mut pk, t, true, tcpf::ACK | tcpf::PSH, &m, 0);
        t += rtt;
        let npeers = 1 + self.rng.below(3) as usize;
        let peers: Vec<[u8; 4]> = (0..npeers)
            .map(|_| {
                let x = self.rng.below(1 << 15) as u32;
                [198, 18, 128 + ((x >> 8) % 128) as u8, 1 + (x % 254) as u8]
            })
            .collect();
        // BEP 3 response, BEP 23 compact peers.
        let mut body = std::mem::take(&mut self.scratch2);
        body.clear();
        let _ = write!(
            body,
            "d8:completei{}e10:incompletei{}e8:intervali1800e5:peers{}:",
            1 + npeers / 2,
            9 - npeers / 2,
            6 * npeers
        );
        for p in &peers {
            body.extend_from_slice(p);
            body.extend_from_slice(&6881u16.to_be_bytes());
        }
        body.push(b'e');
        m.clear();
        let _ = write!(
            m,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        m.extend_from_slice(&body);
        self.scratch2 = body;
        c.tcp(&mut pk, t, false, tcpf::ACK | tcpf::PSH, &m, 0);
        Self::close(&mut c, &mut pk, t + MS, rtt);
        if self.intent.is_some() {
            self.pending.http.push(format!("{TRACKER_HOST}:6969"));
            self.pending.infohashes.push(hexh.clone());
        }
        for p in peers {
            let mut c = self.conn(sub, p, 6881);
            let rtt = Self::rtt(p);
            let mut tp = Self::handshake(&mut c, &mut pk, t + 5 * MS, rtt);
            m.clear();
            msg::bt_handshake(&mut m, &hash, &peer_id);
            c.tcp(&mut pk, tp, true, tcpf::ACK | tcpf::PSH, &m, 0);
            tp += rtt;
            let mut their = peer_id;
            their[..8].copy_from_slice(b"-qB4630-");
            their[19] ^= 1;
            m.clear();
            msg::bt_handshake(&mut m, &hash, &their);
            c.tcp(&mut pk, tp, false, tcpf::ACK | tcpf::PSH, &m, 0);
            // Pieces both ways (messages after the handshakes are not captured).
            let size = self.rng.log_uniform(16e3, 8e6) as u64;
            tp = self.bulk_tcp(&mut c, &mut pk, tp + MS, size);
            let up = self.rng.log_uniform(16e3, 2e6) as u32;
            let mut upl = up;
            while upl > 0 {
                let n = upl.min(MAX_SEGMENT);
                tp += 20 * MS;
                c.tcp(&mut pk, tp, true, tcpf::ACK | tcpf::PSH, &[], n);
                upl -= n;
            }
            Self::close(&mut c, &mut pk, tp + MS, rtt);
            if self.intent.is_some() {
                self.pending.infohashes.push(hexh.clone());
            }
        }
        if self.rng.chance(0.5) {
            let node = [
                198,
                18,
                200 + self.rng.below(50) as u8,
                1 + self.rng.below(250) as u8,
            ];
            let mut c = self.conn(sub, node, 6881);
            c.c_port = self.fixed_port(sub, 51413);
            let mut id = [0u8; 20];
            id[..8].copy_from_slice(&self.rng.u64().to_be_bytes());
            id[8..16].copy_from_slice(&self.rng.u64().to_be_bytes());
            m.clear();
            let tid = self.rng.u64() as u16;
            msg::dht_get_peers(&mut m, tid, &id, &hash);
            c.udp(&mut pk, t + 2 * MS, true, &m, 0);
            if self.intent.is_some() {
                self.pending.infohashes.push(hexh);
            }
        }
        self.scratch = m;
        self.launch(pk);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum MailKind {
    Personal,
    Mass,
    Newsletter,
}

/// Address of popular domain `d` (198.19.0.0/16).
fn domain_ip(d: usize) -> [u8; 4] {
    let x = d as u32 + 256;
    [198, 19, (x >> 8) as u8, (x & 0xff) as u8]
}

/// Sorts a session's records by timestamp (stable: same-time records keep
/// their order), for sessions that build several connections one after another.
fn sort_records(pk: &mut Packets) {
    if pk.index.windows(2).all(|w| w[0].0 <= w[1].0) {
        return;
    }
    let mut spans: Vec<(i64, u32, u32)> = Vec::with_capacity(pk.index.len());
    let mut start = 0u32;
    for &(t, end) in &pk.index {
        spans.push((t, start, end));
        start = end;
    }
    spans.sort_by_key(|s| s.0);
    let mut buf = Vec::with_capacity(pk.buf.len());
    pk.index.clear();
    for (t, s, e) in spans {
        buf.extend_from_slice(&pk.buf[s as usize..e as usize]);
        pk.index.push((t, buf.len() as u32));
    }
    pk.buf = buf;
}

impl Read for Generator {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos >= self.out.len() {
            if self.finished || !self.fill() {
                self.out.clear();
                self.out_pos = 0;
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The truncated power law has the mean it was fitted to, and its gaps
    /// scatter far more than a Poisson clock's (coefficient of variation 1).
    #[test]
    fn bursty_gaps_keep_the_mean_and_scatter_more_than_poisson() {
        let floor = gap_floor(0.6, 20.0);
        assert!((0.001..0.01).contains(&floor), "{floor}");
        let mut r = stream(7, 0, 999, 0);
        let n = 200_000;
        let gaps: Vec<f64> = (0..n)
            .map(|_| power_law(&mut r, 0.6, floor * 20.0, 20.0))
            .collect();
        let mean = gaps.iter().sum::<f64>() / n as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 0.03, "mean gap {mean}");
        assert!(
            var.sqrt() / mean > 1.8,
            "coefficient of variation {}",
            var.sqrt() / mean
        );
        assert!(gaps.iter().all(|&g| g >= floor * 20.0 * 0.999 && g <= 20.0));
    }

    /// A person's visits: as many on average as their rate says, in bursts —
    /// weeks with several visits and long silences, where a Poisson process
    /// of the same rate would spread them.
    #[test]
    fn watch_visits_come_in_bursts_at_the_configured_rate() {
        let weekly = |exponent: f64| -> Vec<u32> {
            let p = Population {
                population: 1,
                targets: 1,
                systems: vec![System::L851],
                days: 7 * 400,
                visit_gap_exponent: exponent,
                watch_visits_per_week: 2.0,
                ..Population::default()
            };
            let mut g = Generator::new(&p).unwrap();
            let i = g
                .procs
                .iter()
                .position(|pr| matches!(pr.act, Act::WatchVisit))
                .unwrap();
            let mut weeks = vec![0u32; 400];
            let (mut t, mut first) = (g.start, true);
            loop {
                g.use_stream(i);
                t = g.next_firing(i, t, std::mem::take(&mut first));
                if t == i64::MAX {
                    break;
                }
                weeks[((t - g.start) / (7 * NS_PER_DAY)) as usize] += 1;
            }
            weeks
        };
        for (exponent, bursty) in [(0.0, false), (0.6, true)] {
            let w = weekly(exponent);
            let mean = w.iter().sum::<u32>() as f64 / w.len() as f64;
            let var = w.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / w.len() as f64;
            // Poisson: variance ≈ mean; bursts: several times more.
            assert!(
                (1.4..2.8).contains(&mean),
                "exponent {exponent}: {mean} a week"
            );
            assert_eq!(
                var / mean > 2.0,
                bursty,
                "exponent {exponent}: variance/mean {}",
                var / mean
            );
        }
    }

    #[test]
    fn curve_means_are_the_week_averages_of_their_weights() {
        let monday = parse_date("2026-01-05").unwrap();
        for c in [Curve::Diurnal, Curve::Office, Curve::Flat] {
            let hours = 7 * 24;
            let sum: f64 = (0..hours)
                .map(|h| c.weight(monday + h as i64 * NS_PER_HOUR + NS_PER_HOUR / 2))
                .sum();
            assert!((sum / hours as f64 - c.mean()).abs() < 1e-9, "{c:?}");
            assert!((0..hours).all(|h| c.weight(monday + h as i64 * NS_PER_HOUR) <= c.max()));
        }
    }

    #[test]
    fn records_come_out_in_time_order() {
        let p = Population {
            population: 50,
            days: 1,
            targets: 1,
            ..Population::default()
        };
        let mut g = Generator::new(&p).unwrap();
        let mut out = Vec::new();
        g.write_all_to(&mut out).unwrap();
        assert_eq!(out[..24], PCAP_HEADER);
        let (mut at, mut last, mut n) = (24usize, 0u64, 0u64);
        while at < out.len() {
            let r = &out[at..at + 16];
            let ts = u32::from_le_bytes(r[0..4].try_into().unwrap()) as u64 * 1_000_000
                + u32::from_le_bytes(r[4..8].try_into().unwrap()) as u64;
            let caplen = u32::from_le_bytes(r[8..12].try_into().unwrap()) as usize;
            let wirelen = u32::from_le_bytes(r[12..16].try_into().unwrap()) as usize;
            assert!(ts >= last, "record {n} goes back in time");
            assert!(caplen <= wirelen);
            assert!((ts as i64) * 1000 >= g.start_ns() && (ts as i64) * 1000 < g.end_ns());
            last = ts;
            at += 16 + caplen;
            n += 1;
        }
        assert_eq!(at, out.len());
        assert_eq!(n, g.packets());
    }
}
