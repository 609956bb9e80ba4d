//! Synthetic populations with ground truth: labelled, realistic traffic for a
//! whole population over months, deterministic from a seed, streamed as a
//! classic pcap (Ethernet, µs timestamps) in timestamp order.
//!
//! This module owns the behaviour model, the packets that carry it and the
//! labels file that says who really is a target. It knows nothing of black
//! boxes or policy: a scenario reads the capture (or consumes the
//! [`Generator`] directly as a `Read`) and the labels ([`read_labels`]).
//!
//! # The model
//!
//! Ground truth is intent only: for each seed system ([`System`]),
//! [`Population::targets`] people mean what its box looks for. Nobody is
//! configured to look like them: every person's behaviour parameters
//! ([`Traits`]) are drawn from heavy-tailed distributions, and the innocent
//! people a box flags emerge from the tails. Everybody, targets included,
//! lives an ordinary life:
//!
//! - **browsing**: [`Population::sessions_per_day`] sessions a day on average,
//!   times the person's activity (log-normal, mean 1, σ
//!   [`Population::activity_sigma`]), following a diurnal curve (quiet
//!   01:00–06:00, peak 20:00–22:00, weekends a little busier). Sites are drawn
//!   from a Zipf law (exponent [`Population::zipf_exponent`]) over 2,000
//!   domains. A session is a DNS lookup and answer, then a TLS connection
//!   (handshake, ClientHello with SNI and ALPN, TLS 1.3 ServerHello), or a QUIC
//!   v1 Initial exchange ([`Population::quic_share`]), or plain HTTP
//!   ([`Population::http_share`]); then the download as a few snaplen-cut
//!   records; then the close. Some sessions are background NTP and ICMP echo.
//! - **watched sites**: visits per week drawn log-normal
//!   ([`Population::watch_visits_median`], [`Population::watch_visits_sigma`]),
//!   times the activity: most people never go, a long tail goes weekly.
//! - **calls**: [`Population::calls_per_day`] SIP calls in the daytime to
//!   domestic `+33` numbers, minutes long (INVITE/100/180/200/ACK ... BYE/200
//!   over UDP 5060 to the operator's proxy; one in ten is busy: 486 and ACK).
//! - **mail**: [`Population::mails_per_day`] SMTP submissions (EHLO, pipelined
//!   MAIL FROM/RCPT TO/DATA, a small message, QUIT).
//! - **torrents**: a share [`Population::ordinary_torrent_share`] of people
//!   share torrents, [`Population::torrent_sessions_per_day`] times a
//!   log-normal factor, each with their own drawn chance that a session is a
//!   watched title ([`Population::watched_torrent_median`]).
//! - **night calls abroad**: a share [`Population::night_business_share`] of
//!   lines are businesses calling abroad at night, to +290 with probability
//!   [`Population::business_premium_share`], calls of log-normal length
//!   ([`Population::business_call_median_s`]): some under a minute.
//! - **bulk mail**: a share [`Population::bulk_sender_share`] of people send
//!   newsletters under [`NEWSLETTER_DOMAIN`] in office hours, sessions a day
//!   and list sizes log-normal across senders.
//! - **hiding**: a share [`Population::vpn_share`] of people browse through a
//!   VPN to their provider's server in 198.18.80.0/24 — WireGuard
//!   (handshakes and transport messages on UDP 51820), OpenVPN
//!   ([`Population::openvpn_share`]: hard resets, a TLS handshake on the
//!   control channel and P_DATA_V2 packets on UDP 1194) or IPsec
//!   ([`Population::ipsec_share`]: IKE_SA_INIT on UDP 500, IKE_AUTH and ESP
//!   in UDP 4500) — with no DNS and no server name;
//!   [`Population::tor_share`] through Tor (TLS to their guard relay in
//!   198.18.90.0/24 with a random server name); [`Population::private_relay_share`]
//!   through iCloud Private Relay (a clear lookup of `mask.icloud.com`, then
//!   QUIC to an Apple ingress in 198.18.100.0/24, nothing else). Independently,
//!   [`Population::doh_share`] look names up over DNS over HTTPS (TLS to a
//!   public resolver; the sites' server names stay visible);
//!   [`Population::ech_share`] send Encrypted Client Hello to the sites that
//!   offer it ([`Population::ech_site_share`], fixed by name): the server
//!   name is `cloudflare-ech.com`, the DNS lookup still names the site; and
//!   [`Population::e2e_call_share`] call over an end-to-end encrypted
//!   messenger (TLS to `chat.signal.org` for the call's length) instead of
//!   SIP. Targets have their own shares ([`Population::target_vpn_share`]...).
//!
//! Visits to watched sites come in bursts ([`Population::visit_gap_exponent`]:
//! the gaps between one person's visits follow a truncated power law whose
//! mean is their rate); every other activity is a Poisson process.
//!
//! The targets, on top of that (all rates are expectations, so counts
//! measured back from a capture scatter around them by about √n, more for
//! bursty visits):
//!
//! | system | target |
//! | --- | --- |
//! | `l851` | visits [`WATCHED_DOMAINS`] [`Population::watch_visits_per_week`] more |
//! | `hadopi` | shares [`watched_infohashes`] [`Population::target_torrent_sessions_per_day`] (tracker announce over HTTP, peer-wire handshakes, sometimes a DHT `get_peers`) |
//! | `pbx` | a hacked PBX: on [`Population::pbx_nights_per_week`] nights, a burst of [`Population::pbx_calls_per_night`] short calls (< 60 s) to [`PREMIUM_PREFIX`] numbers between 00:00 and 05:00 |
//! | `spam` | a mass-mailer: [`Population::mailer_sessions_per_hour`] SMTP sessions to recipients' MX servers, day and night, HELO under [`MASS_MAILER_DOMAIN`], [`Population::mailer_messages_per_session`] × [`Population::mailer_rcpts_per_message`] recipients |
//!
//! # Common random numbers
//!
//! Person `i` is the same person in any population that holds `i`: their
//! address comes from a keyed bijection of `i`, their role from `i` (targets
//! are the first people, system after system), their traits from a stream
//! keyed by (seed, `i`), and each of their activities draws from a stream
//! keyed by (seed, `i`, activity, firing). A longer run, a bigger population
//! or another person's parameters leave every person's packets as they were.
//!
//! Bulk bytes are records whose captured length stops after the TCP/UDP header
//! while the original length and the IPv4 total length say the real size (up
//! to 64,000 bytes a record, as GRO captures hold): byte volumes are realistic
//! without huge files. All checksums are correct.
//!
//! # How it runs
//!
//! A heap of events ordered by (time, sequence number) holds two kinds of
//! entries: each subscriber's activity processes (next firing time, drawn by
//! thinning a Poisson process against its daily curve) and the sessions under
//! way (the time of their next packet). A session's packets are built when it
//! starts, in a pooled buffer; the heap then interleaves them with every other
//! session's. Memory is O(population + sessions under way), never the capture.
//! Every draw comes from the firing process's own ChaCha8 stream (see above),
//! so the same parameters give the same bytes.
//!
//! # Known limits
//!
//! - IPv4 only; each subscriber keeps one address for the whole period (no
//!   DHCP churn, no carrier-grade NAT), so the labels file needs no time ranges.
//! - Curves are in UTC hours of the simulated calendar (no time zones).
//! - TLS is 1.3: no certificate is visible (`subject`/`issuer` stay empty);
//!   the encrypted records after the handshake and QUIC's 1-RTT packets are
//!   snaplen-cut. SIP calls carry SDP but no RTP packets are generated.
//! - A SIP call's messages share the subscriber's 5060 ↔ proxy flow and are
//!   silent between the ACK and the BYE: with a UDP idle timeout shorter than
//!   the call (the pipeline's default is 60 s), the flow ends in the middle and
//!   the call's record has no duration. Measure calls with a longer timeout.

mod engine;
mod lines;
pub(crate) mod msg;
mod wire;

use std::fmt;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use engine::{Generator, Intent, IntentCall, IntentMail};
pub use lines::HOUSEHOLD_SIZES;
pub use wire::PCAP_HEADER;

/// Seed systems (serde and CSV names: `l851`, `hadopi`, `pbx`, `spam`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum System {
    /// French L851-3 "black boxes": visits to watchlisted sites.
    L851,
    /// Hadopi / TMG: sharing watchlisted torrents.
    Hadopi,
    /// PBX toll fraud: night bursts of short calls to premium numbers.
    Pbx,
    /// ISP spam blocking: mass mailers.
    Spam,
}

impl System {
    /// Every system, in order.
    pub const ALL: [System; 4] = [System::L851, System::Hadopi, System::Pbx, System::Spam];

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            System::L851 => "l851",
            System::Hadopi => "hadopi",
            System::Pbx => "pbx",
            System::Spam => "spam",
        }
    }

    /// The system named `s` (as [`System::name`] gives).
    pub fn from_name(s: &str) -> Option<System> {
        System::ALL.into_iter().find(|x| x.name() == s)
    }

    /// The profile name of this system's targets.
    pub fn target_profile(self) -> &'static str {
        match self {
            System::L851 => "watched-site-reader",
            System::Hadopi => "watched-torrent-sharer",
            System::Pbx => "hacked-pbx",
            System::Spam => "mass-mailer",
        }
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the ground truth says a subscriber is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A real objective of the system's box.
    Target,
    /// Innocent, but behaves like a target: a role of older labels files
    /// (the generator no longer writes it; innocents who look like targets
    /// emerge from the behaviour distributions).
    Lookalike,
    /// Everybody else.
    Ordinary,
}

impl Role {
    /// `target`, `lookalike` or `ordinary`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Target => "target",
            Role::Lookalike => "lookalike",
            Role::Ordinary => "ordinary",
        }
    }

    fn from_name(s: &str) -> Option<Role> {
        [Role::Target, Role::Lookalike, Role::Ordinary]
            .into_iter()
            .find(|r| r.name() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The profile name of ordinary subscribers.
pub const ORDINARY_PROFILE: &str = "ordinary";

/// One row of a labels file: who a subscriber really is.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// The subscriber's address (a generated person's line's first address).
    pub address: IpAddr,
    /// Behaviour profile (`ordinary`, `hacked-pbx`, `journalist`...).
    pub profile: String,
    /// Ground-truth role.
    pub role: Role,
    /// The seed system the role concerns (`None` for ordinary subscribers).
    pub system: Option<System>,
    /// The person's drawn behaviour parameters (a generated population's
    /// labels have them; a hand-written labels file need not).
    pub traits: Option<Traits>,
    /// The subscriber line the person lives on, as the attribution log names
    /// it ([`crate::identity`]); `None`: the address is the line.
    pub line: Option<u32>,
}

/// The columns every labels file starts with.
pub const LABELS_HEADER: &str = "address,profile,role,system";

/// The columns a generated labels file adds: each person's [`Traits`].
pub const TRAITS_HEADER: &str = "activity,watch_visits_per_week,torrent_sessions_per_day,watched_torrent_share,night_business,bulk_sessions_per_day,bulk_rcpts,vpn,tor,doh,vpn_protocol,ech,private_relay,e2e_calls";

/// The labels file beside a capture: `x.pcap` → `x.labels.csv`.
pub fn labels_path(pcap: &Path) -> PathBuf {
    let stem = pcap
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    pcap.with_file_name(format!("{stem}.labels.csv"))
}

/// How big a population's capture will be, measured on a sample of it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SizeEstimate {
    /// Packets.
    pub packets: u64,
    /// Bytes of the capture file (records as written, snaplen-cut).
    pub capture_bytes: u64,
    /// Seconds to generate it on this machine.
    pub seconds: f64,
}

/// Estimates the capture of `p` by generating a sample of it (its first two
/// days, for at most 200 people or twice the targets) into nothing, and
/// scaling by people × days. Within a
/// few percent on the default rates (more when special roles are a large
/// share of a small population, whose capture is then small anyway).
pub fn estimate_size(p: &Population) -> Result<SizeEstimate, String> {
    let special = p.targets.saturating_mul(p.systems.len() as u32);
    let mut sample = p.clone();
    sample.population = p.population.min(200.max(special.saturating_mul(2)));
    sample.days = p.days.clamp(1, 2);
    let started = std::time::Instant::now();
    let mut g = Generator::new(&sample)?;
    let mut counted = CountingSink(0);
    let (packets, _) = g.write_all_to(&mut counted).map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let scale = (p.population as f64 / sample.population.max(1) as f64)
        * (p.days as f64 / sample.days as f64);
    Ok(SizeEstimate {
        packets: (packets as f64 * scale).round() as u64,
        capture_bytes: (counted.0 as f64 * scale).round() as u64,
        seconds: seconds * scale,
    })
}

/// A writer that only counts.
struct CountingSink(u64);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes labels as CSV (header [`LABELS_HEADER`], one row per label, empty
/// system for ordinary subscribers) through a temporary file renamed into place.
pub fn write_labels(path: &Path, labels: &[Label]) -> io::Result<()> {
    crate::output::write_atomically(path, |w| write_labels_to(w, labels)).map_err(io::Error::from)
}

/// Writes labels as CSV to any writer: [`LABELS_HEADER`], then the traits'
/// columns ([`TRAITS_HEADER`]; empty for a label without traits).
pub fn write_labels_to(w: &mut impl Write, labels: &[Label]) -> io::Result<()> {
    writeln!(w, "{LABELS_HEADER},{TRAITS_HEADER},line")?;
    for l in labels {
        write!(
            w,
            "{},{},{},{},",
            l.address,
            l.profile,
            l.role,
            l.system.map(System::name).unwrap_or("")
        )?;
        match &l.traits {
            Some(t) => writeln!(
                w,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                t.activity,
                t.watch_visits_per_week,
                t.torrent_sessions_per_day,
                t.watched_torrent_share,
                u8::from(t.night_business),
                t.bulk_sessions_per_day,
                t.bulk_rcpts,
                u8::from(t.vpn.is_some()),
                u8::from(t.tor),
                u8::from(t.doh),
                t.vpn.map_or("", VpnProtocol::name),
                u8::from(t.ech),
                u8::from(t.private_relay),
                u8::from(t.e2e_calls),
                l.line.map(|x| x.to_string()).unwrap_or_default()
            )?,
            None => writeln!(
                w,
                ",,,,,,,,,,,,,,{}",
                l.line.map(|x| x.to_string()).unwrap_or_default()
            )?,
        }
    }
    Ok(())
}

/// Why a labels file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A line is not a valid label.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// Line number, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Reads a labels file (see [`write_labels`]). The header is required; blank
/// lines are skipped; an error names the file and the line.
pub fn read_labels(path: &Path) -> Result<Vec<Label>, LabelError> {
    let text = std::fs::read_to_string(path).map_err(|source| LabelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |line: usize, message: String| LabelError::Line {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut lines = text.lines().enumerate();
    // A `line` column, anywhere after the first four, names each person's
    // subscriber line; the traits, when there, come between.
    let line_col = match lines.next() {
        Some((_, h)) if h.trim_end().starts_with(LABELS_HEADER) => {
            h.trim_end().split(',').position(|c| c == "line")
        }
        Some((_, h)) => {
            return Err(bad(
                1,
                format!("header is `{h}`, expected `{LABELS_HEADER}`"),
            ));
        }
        None => {
            return Err(bad(
                1,
                format!("empty file, expected the header `{LABELS_HEADER}`"),
            ));
        }
    };
    let mut out = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 4 {
            return Err(bad(
                n,
                format!("{} fields, expected at least 4 ({LABELS_HEADER})", f.len()),
            ));
        }
        // An address, or a range (`192.0.2.0/28`: every address in it is
        // labelled alike, at most 65,536).
        let addresses: Vec<IpAddr> = match f[0].parse::<IpAddr>() {
            Ok(a) => vec![a],
            Err(_) => {
                let net: ipnet::IpNet = f[0].parse().map_err(|_| {
                    bad(
                        n,
                        format!("`{}` is not an IP address or a CIDR range", f[0]),
                    )
                })?;
                let size = match net {
                    ipnet::IpNet::V4(v) => 1u128 << (32 - v.prefix_len()),
                    ipnet::IpNet::V6(v) => 1u128
                        .checked_shl(128 - u32::from(v.prefix_len()))
                        .unwrap_or(u128::MAX),
                };
                if size > MAX_LABEL_RANGE {
                    return Err(bad(
                        n,
                        format!(
                            "`{}` holds {size} addresses; a labels row covers at most {MAX_LABEL_RANGE}",
                            f[0]
                        ),
                    ));
                }
                net.hosts().collect()
            }
        };
        if f[1].is_empty() {
            return Err(bad(n, "empty profile".into()));
        }
        let role = Role::from_name(f[2]).ok_or_else(|| {
            bad(
                n,
                format!("role `{}` is not target, lookalike or ordinary", f[2]),
            )
        })?;
        let system =
            match f[3] {
                "" => None,
                s => Some(System::from_name(s).ok_or_else(|| {
                    bad(n, format!("system `{s}` is not l851, hadopi, pbx or spam"))
                })?),
            };
        if role != Role::Ordinary && system.is_none() {
            return Err(bad(n, format!("a {role} needs a system")));
        }
        let line_no = match line_col.and_then(|k| f.get(k)) {
            None | Some(&"") => None,
            Some(s) => Some(
                s.parse::<u32>()
                    .map_err(|_| bad(n, format!("line `{s}` is not a number")))?,
            ),
        };
        let traits_end = line_col.filter(|&k| k >= 4).unwrap_or(f.len()).min(f.len());
        let traits = match f.get(4..traits_end) {
            // Ten columns before the evasion traits were added (they are then
            // false), fourteen since; the VPN protocol is empty for non-users.
            Some(t)
                if (t.len() == 10 || t.len() == 14)
                    && t.iter().enumerate().all(|(i, c)| i == 10 || !c.is_empty()) =>
            {
                let num = |i: usize| -> Result<f64, LabelError> {
                    t[i].parse()
                        .map_err(|_| bad(n, format!("`{}` is not a number", t[i])))
                };
                Some(Traits {
                    activity: num(0)?,
                    watch_visits_per_week: num(1)?,
                    torrent_sessions_per_day: num(2)?,
                    watched_torrent_share: num(3)?,
                    night_business: num(4)? != 0.0,
                    bulk_sessions_per_day: num(5)?,
                    bulk_rcpts: num(6)? as u32,
                    tor: num(8)? != 0.0,
                    doh: num(9)? != 0.0,
                    // Files from before OpenVPN and IPsec were drawn: WireGuard.
                    vpn: match (num(7)? != 0.0, t.get(10).copied().unwrap_or("")) {
                        (false, _) => None,
                        (true, "") => Some(VpnProtocol::WireGuard),
                        (true, p) => Some(VpnProtocol::from_name(p).ok_or_else(|| {
                            bad(n, format!("`{p}` is not wireguard, openvpn or ipsec"))
                        })?),
                    },
                    ech: t.len() > 11 && num(11)? != 0.0,
                    private_relay: t.len() > 12 && num(12)? != 0.0,
                    e2e_calls: t.len() > 13 && num(13)? != 0.0,
                })
            }
            _ => None,
        };
        for address in addresses {
            out.push(Label {
                address,
                profile: f[1].to_string(),
                role,
                system,
                traits,
                line: line_no,
            });
        }
    }
    Ok(out)
}

/// Domains the `l851` targets visit (and lookalikes read). Reserved `.example`
/// names (RFC 2606), so no real site is named.
pub const WATCHED_DOMAINS: &[&str] = &[
    "forum.watched-one.example",
    "news.watched-two.example",
    "videos.watched-three.example",
    "drop.watched-four.example",
];

/// Number of watchlisted torrents.
pub const WATCHED_TORRENTS: usize = 8;

/// The infohashes the `hadopi` targets share: 40 lowercase hex characters
/// each, the first 20 bytes of SHA-256("ivraie watched torrent N"), N = 0..8.
pub fn watched_infohashes() -> Vec<String> {
    (0..WATCHED_TORRENTS)
        .map(|i| hex(&engine::watched_hash(i)))
        .collect()
}

pub(crate) use crate::record::hex;

/// The premium-rate prefix the hacked PBX calls (Saint Helena).
pub const PREMIUM_PREFIX: &str = "+290";
/// Domain of the mass-mailer (HELO `mailerN.<this>`, MAIL FROM `@<this>`).
pub const MASS_MAILER_DOMAIN: &str = "bulk-offers.example";
/// Domain of the legitimate newsletter (HELO `mail.<this>`, MAIL FROM `news@<this>`).
pub const NEWSLETTER_DOMAIN: &str = "letter.press-daily.example";
/// The mail submission server ordinary subscribers use (port 587).
pub const SUBMISSION_HOST: &str = "smtp.mail-provider.example";
/// The operator's SIP proxy (every call goes through it, UDP 5060).
pub const SIP_DOMAIN: &str = "sip.operator.example";
/// The BitTorrent tracker (HTTP announces on port 6969).
pub const TRACKER_HOST: &str = "tracker.open-share.example";

/// Everything that defines a population. Reads from TOML (unknown keys are
/// errors, missing ones take the defaults below).
///
/// Ground truth is intent only: a person is a target of a system, or not.
/// Nobody is configured to look like a target: each person's behaviour
/// parameters are drawn from heavy-tailed distributions (see [`Traits`]), and
/// the innocent people a box flags emerge from their tails. Defaults cite
/// `REALISM-FACTS.md` (shared with the project) or say they are stated
/// assumptions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Population {
    /// People, one subscriber line each (default 1000).
    pub population: u32,
    /// Days simulated (default 7).
    pub days: u32,
    /// Seed of every random choice (default 1).
    pub seed: u64,
    /// First instant, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ` (default `2026-01-01`).
    pub start: String,
    /// IPv4 CIDR of subscriber addresses (default `10.0.0.0/8`).
    pub subscribers: String,
    /// Targets per system (default 2).
    pub targets: u32,
    /// Gone: lookalikes are no longer a count but emerge from the behaviour
    /// distributions. Kept only to say so when an old file sets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lookalikes: Option<u32>,
    /// Systems with targets (default all four).
    pub systems: Vec<System>,

    /// Web sessions (web, QUIC, HTTP, NTP, ICMP) per person per day, on
    /// average (default 30; stated assumption).
    pub sessions_per_day: f64,
    /// Spread of each person's activity: the log-normal σ of the factor their
    /// sessions are multiplied by (mean 1). Default 1.0 (stated assumption:
    /// per-user activity is heavy-tailed, REALISM-FACTS §3 "Per-user power laws").
    pub activity_sigma: f64,
    /// Zipf exponent of site popularity (default 0.8; REALISM-FACTS §3: 0.60–1.03).
    pub zipf_exponent: f64,
    /// Share of web sessions over QUIC (default 0.15).
    pub quic_share: f64,
    /// Share of web sessions over plain HTTP (default 0.08; REALISM-FACTS §2:
    /// a "stubborn 5–10%" of page loads).
    pub http_share: f64,
    /// Share of sessions that are background NTP or ICMP (default 0.05).
    pub background_share: f64,
    /// Daytime SIP calls per person per day (default 0.5).
    pub calls_per_day: f64,
    /// Mails sent per person per day (default 2).
    pub mails_per_day: f64,

    /// Interest in watched sites: a person's visits to them per week
    /// (log-normal across people, times their activity): its median (default
    /// 0.004) and σ (default 2.0). Most people almost never go, a long tail
    /// goes weekly (journalists, researchers, the curious): about one person
    /// in 200 above 0.7 visits a week, and the top 1% make about half of all
    /// such visits. Stated assumption: no published share of
    /// readers of such sites (REALISM-FACTS, "Not sourced").
    pub watch_visits_median: f64,
    /// See [`Population::watch_visits_median`].
    pub watch_visits_sigma: f64,
    /// `l851` target: visits to watched domains per week, on top of their
    /// browsing (default 6; stated assumption).
    pub watch_visits_per_week: f64,

    /// Share of people who share torrents (default 0.06: 24% of internet
    /// users consume illicitly, 26% of them by P2P; REALISM-FACTS §3, Arcom 2023).
    pub ordinary_torrent_share: f64,
    /// Torrent sessions per day of a sharer, on average (default 1; scaled by
    /// their activity).
    pub torrent_sessions_per_day: f64,
    /// Per sharer, the chance that a session is a watched title (log-normal
    /// across sharers): median (default 0.002) and σ (default 1.5). Stated
    /// assumption.
    pub watched_torrent_median: f64,
    /// See [`Population::watched_torrent_median`].
    pub watched_torrent_sigma: f64,
    /// `hadopi` target: sessions sharing a watched torrent per day (default 4).
    pub target_torrent_sessions_per_day: f64,

    /// `pbx` target: calls to +290 per burst night (default 120; the real case
    /// was about 700).
    pub pbx_calls_per_night: f64,
    /// `pbx` target: burst nights per week (default 2).
    pub pbx_nights_per_week: f64,
    /// Share of lines that are businesses calling abroad at night (default
    /// 0.005; stated assumption: no French IRSF or SIP figures, REALISM-FACTS
    /// "Not sourced").
    pub night_business_share: f64,
    /// Night business: international calls per calling night (default 8).
    pub business_calls_per_night: f64,
    /// Night business: calling nights per week (default 5).
    pub business_nights_per_week: f64,
    /// Night business: probability a night call goes to +290 (default 0.05).
    pub business_premium_share: f64,
    /// Night business: median length of a call, seconds (default 300), and the
    /// log-normal σ (default 1.0: about one call in 20 is under a minute).
    pub business_call_median_s: f64,
    /// See [`Population::business_call_median_s`].
    pub business_call_sigma: f64,

    /// `spam` target: SMTP sessions per hour, day and night (default 4).
    pub mailer_sessions_per_hour: f64,
    /// `spam` target: messages per session (default 3).
    pub mailer_messages_per_session: u32,
    /// `spam` target: recipients per message (default 25).
    pub mailer_rcpts_per_message: u32,
    /// Share of people who send newsletters or other legitimate bulk mail
    /// (default 0.005; stated assumption — REALISM-FACTS §3: two thirds of
    /// spam reports are commercial mail).
    pub bulk_sender_share: f64,
    /// Bulk sender: SMTP sessions per day, daytime, on average (default 6;
    /// log-normal across senders, σ 1).
    pub newsletter_sessions_per_day: f64,
    /// Bulk sender: recipients per message, median (default 10; log-normal
    /// across senders, σ 1, at most [`MAX_RCPTS`]).
    pub newsletter_rcpts_per_message: u32,

    /// Share of people whose browsing goes through a VPN (WireGuard, OpenVPN
    /// or IPsec to their provider's server): no DNS query, no server name
    /// visible (default
    /// 0.205: 20.5% of French internet users, DataReportal/GWI 2021,
    /// REALISM-FACTS §2).
    pub vpn_share: f64,
    /// The same among targets (default 0.205, as everyone: a stated
    /// assumption; Europol TE-SAT 2025 says targets use VPNs, Tor and E2EE,
    /// without a share). Raise it to see a box's recall fall.
    pub target_vpn_share: f64,
    /// Share of people whose browsing goes through Tor (TLS to a guard relay
    /// with a random server name; default 0.003: about 175,000 daily Tor
    /// users in France, Tor Metrics 2013 and botnet-inflated, of some 55
    /// million internet users — an upper bound).
    pub tor_share: f64,
    /// The same among targets (default 0.003, as everyone: stated assumption).
    pub target_tor_share: f64,
    /// Share of people whose lookups go over DNS over HTTPS to a public
    /// resolver (the resolver's name is visible, the names looked up are
    /// not; the sites' server names still are). Default 0.05: a stated
    /// assumption — no share for France was found, and no browser turns DoH on
    /// by default there (REALISM-FACTS §2, "Not sourced").
    pub doh_share: f64,
    /// The same among targets (default 0.05, as everyone: stated assumption).
    pub target_doh_share: f64,
    /// Of VPN users, the share on OpenVPN (UDP 1194; default 0.4, stated
    /// assumption: consumer VPN apps offer WireGuard, OpenVPN and IKEv2, and
    /// no published split was found).
    pub openvpn_share: f64,
    /// Of VPN users, the share on IPsec (IKEv2 on UDP 500, then ESP in UDP
    /// 4500; default 0.2, stated assumption). The rest use WireGuard.
    pub ipsec_share: f64,
    /// Share of people whose browser sends Encrypted Client Hello to sites
    /// that offer it: the server name a box sees is the provider's
    /// `cloudflare-ech.com` (default 0.6, stated assumption: ECH is on by
    /// default in Chrome from 117 and in Firefox; REALISM-FACTS §2, "ECH").
    pub ech_share: f64,
    /// The same among targets (default 0.6, as everyone: stated assumption).
    pub target_ech_share: f64,
    /// Share of sites that offer ECH, behind a fronting provider (default 0.2,
    /// stated assumption: Cloudflare, which turned ECH on for all its sites,
    /// fronts about one site in five; REALISM-FACTS §2 says ≈70% of apex
    /// domains *with HTTPS records*). Which sites is fixed by their name.
    pub ech_site_share: f64,
    /// Share of people whose browsing goes through iCloud Private Relay (a
    /// clear DNS lookup and QUIC to `mask.icloud.com`, nothing else; default
    /// 0.003: "permille range" of traffic, DENOG15, REALISM-FACTS §2).
    pub private_relay_share: f64,
    /// The same among targets (default 0.003, as everyone: stated assumption).
    pub target_private_relay_share: f64,
    /// Share of people who call over an end-to-end encrypted messenger instead
    /// of the operator's SIP service: TLS to the messenger's server, no SIP
    /// (default 0.5, stated assumption; REALISM-FACTS §2 lists E2EE among
    /// targets' tradecraft, without a share for anyone).
    pub e2e_call_share: f64,
    /// The same among targets (default 0.5, as everyone: stated assumption).
    pub target_e2e_call_share: f64,

    /// People live in households behind one subscriber line each (sizes from
    /// [`lines::HOUSEHOLD_SIZES`], INSEE: 2.15 people on average); off by
    /// default, one person per line. Targets head households of their own.
    pub households: bool,
    /// Share of lines on a shared IPv4 address (A+P: each line a range of
    /// ports; default 0. Free shares one address between 4 subscribers on
    /// 40–75% of its lines, Orange moved to shared IPv4 by default in 2025:
    /// REALISM-FACTS §1).
    pub shared_ipv4_share: f64,
    /// Lines per shared address, each with 65,536 / N ports (default 4,
    /// 16,384 ports each: Free, REALISM-FACTS §1).
    pub lines_per_shared_address: u32,
    /// Visits to watched sites come in bursts: the gaps between one person's
    /// visits follow a power law of this exponent (density ∝ gap^-(1+α);
    /// default 0.6: revisit gaps ≈ −0.6, Dezső et al., REALISM-FACTS §3),
    /// truncated so that their mean is the person's rate. 0: Poisson.
    pub visit_gap_exponent: f64,
    /// The longest gap between two visits, in mean gaps (default 20, a stated
    /// assumption: no published cut-off; the shortest follows from the mean).
    pub visit_gap_spread: f64,
    /// Share of lines that are mobile, behind a carrier-grade NAT: many lines
    /// to a public address, each a block of ports (default 0).
    pub mobile_share: f64,
    /// Mobile lines per CGNAT address, each with 65,536 / N ports (default 32:
    /// blocks of 2,048 ports, a stated assumption — operators do not publish
    /// theirs; RFC 6888 asks only for configurable limits).
    pub mobile_lines_per_address: u32,
    /// Address changes per week of a line with an address of its own
    /// (reboots, lease expiry; default 0, stated assumption: no published
    /// rate). Each change is a new row of the attribution log.
    pub address_changes_per_week: f64,
    /// Largest payload of one packet of a bulk transfer, bytes (default 1460:
    /// a 1,500-byte Ethernet MTU less the IPv4 and TCP headers, the MSS every
    /// generated SYN announces). Transfers are sent as packets of this size,
    /// the receiver acknowledging every second one (delayed ACKs, RFC 1122
    /// §4.2.3.2); tunnels and QUIC send datagrams of at most this size plus
    /// 12 bytes (no TCP header), their own headers included. A download
    /// starts in slow start (an initial window of 10 segments doubling each
    /// round trip) before it reaches its drawn rate. Set 64000 for the segments a capture taken with TCP
    /// segmentation offload shows (about 40 times fewer packets).
    pub segment_bytes: u32,
}

impl Default for Population {
    fn default() -> Self {
        Population {
            population: 1000,
            days: 7,
            seed: 1,
            start: "2026-01-01".into(),
            subscribers: "10.0.0.0/8".into(),
            targets: 2,
            lookalikes: None,
            systems: System::ALL.to_vec(),
            sessions_per_day: 30.0,
            activity_sigma: 1.0,
            zipf_exponent: 0.8,
            quic_share: 0.15,
            http_share: 0.08,
            background_share: 0.05,
            calls_per_day: 0.5,
            mails_per_day: 2.0,
            watch_visits_median: 0.004,
            watch_visits_sigma: 2.0,
            watch_visits_per_week: 6.0,
            ordinary_torrent_share: 0.06,
            torrent_sessions_per_day: 1.0,
            watched_torrent_median: 0.002,
            watched_torrent_sigma: 1.5,
            target_torrent_sessions_per_day: 4.0,
            pbx_calls_per_night: 120.0,
            pbx_nights_per_week: 2.0,
            night_business_share: 0.005,
            business_calls_per_night: 8.0,
            business_nights_per_week: 5.0,
            business_premium_share: 0.05,
            business_call_median_s: 300.0,
            business_call_sigma: 1.0,
            mailer_sessions_per_hour: 4.0,
            mailer_messages_per_session: 3,
            mailer_rcpts_per_message: 25,
            bulk_sender_share: 0.005,
            newsletter_sessions_per_day: 6.0,
            newsletter_rcpts_per_message: 10,
            vpn_share: 0.205,
            target_vpn_share: 0.205,
            tor_share: 0.003,
            target_tor_share: 0.003,
            doh_share: 0.05,
            target_doh_share: 0.05,
            openvpn_share: 0.4,
            ipsec_share: 0.2,
            ech_share: 0.6,
            target_ech_share: 0.6,
            ech_site_share: 0.2,
            private_relay_share: 0.003,
            target_private_relay_share: 0.003,
            e2e_call_share: 0.5,
            target_e2e_call_share: 0.5,
            households: false,
            shared_ipv4_share: 0.0,
            lines_per_shared_address: 4,
            visit_gap_exponent: 0.6,
            visit_gap_spread: 20.0,
            mobile_share: 0.0,
            mobile_lines_per_address: 32,
            address_changes_per_week: 0.0,
            segment_bytes: 1460,
        }
    }
}

/// One person's behaviour parameters, drawn from the population's
/// distributions (a stream of their own: the same person gets the same
/// traits whatever the population size or the number of days). The labels
/// file records them, so a researcher can see why someone was flagged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Traits {
    /// Factor of their web sessions (log-normal, mean 1).
    pub activity: f64,
    /// Their visits to watched sites per week (before any target's own).
    pub watch_visits_per_week: f64,
    /// Torrent sessions per day (0: not a sharer).
    pub torrent_sessions_per_day: f64,
    /// Chance that one of their torrent sessions is a watched title.
    pub watched_torrent_share: f64,
    /// A business calling abroad at night.
    pub night_business: bool,
    /// Bulk-mail sessions per day (0: not a bulk sender).
    pub bulk_sessions_per_day: f64,
    /// Recipients per bulk message.
    pub bulk_rcpts: u32,
    /// Their browsing goes through a VPN, and which.
    pub vpn: Option<VpnProtocol>,
    /// Their browsing goes through Tor (instead of a VPN, if both were drawn).
    pub tor: bool,
    /// Their lookups go over DNS over HTTPS.
    pub doh: bool,
    /// Their browser sends Encrypted Client Hello where a site offers it.
    pub ech: bool,
    /// Their browsing goes through iCloud Private Relay (unless Tor or a VPN).
    pub private_relay: bool,
    /// They call over an end-to-end encrypted messenger, not SIP.
    pub e2e_calls: bool,
}

/// The VPN protocol a VPN user's app speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VpnProtocol {
    /// WireGuard over UDP 51820.
    WireGuard,
    /// OpenVPN over UDP 1194.
    OpenVpn,
    /// IKEv2 over UDP 500, then IKE and ESP in UDP 4500 (NAT traversal).
    Ipsec,
}

impl VpnProtocol {
    /// Its name in the labels file, as a rule's record kind names it.
    pub fn name(self) -> &'static str {
        match self {
            VpnProtocol::WireGuard => "wireguard",
            VpnProtocol::OpenVpn => "openvpn",
            VpnProtocol::Ipsec => "ipsec",
        }
    }
    /// The protocol a name gives.
    pub fn from_name(s: &str) -> Option<VpnProtocol> {
        [
            VpnProtocol::WireGuard,
            VpnProtocol::OpenVpn,
            VpnProtocol::Ipsec,
        ]
        .into_iter()
        .find(|p| p.name() == s)
    }
}

/// Most addresses one labels row may cover with a CIDR range.
pub const MAX_LABEL_RANGE: u128 = 65_536;

/// Most recipients per message (SMTP servers commonly refuse more than 100).
pub const MAX_RCPTS: u32 = 100;
/// Most days simulated (about 27 years).
pub const MAX_DAYS: u32 = 10_000;

impl Population {
    /// Reads a population from a TOML file; the error names the file.
    pub fn from_toml_file(path: &Path) -> Result<Population, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The subscriber range, parsed.
    pub fn subscriber_net(&self) -> Result<ipnet::Ipv4Net, String> {
        self.subscribers
            .trim()
            .parse::<ipnet::Ipv4Net>()
            .map_err(|_| {
                format!(
                    "subscribers: `{}` is not an IPv4 CIDR range (e.g. 10.0.0.0/8)",
                    self.subscribers
                )
            })
    }

    /// Usable host addresses of the range (network and broadcast excluded
    /// below /31).
    fn usable_hosts(net: &ipnet::Ipv4Net) -> u64 {
        let size = 1u64 << (32 - net.prefix_len());
        if size > 2 { size - 2 } else { size }
    }

    /// Checks every value; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.population == 0 {
            return Err("population must be at least 1".into());
        }
        if self.days == 0 || self.days > MAX_DAYS {
            return Err(format!("days must be between 1 and {MAX_DAYS}"));
        }
        crate::capture::clock::parse_date(&self.start).map_err(|e| format!("start: {e}"))?;
        let net = self.subscriber_net()?;
        let hosts = Self::usable_hosts(&net);
        if hosts < self.population as u64 {
            return Err(format!(
                "subscribers: {} holds {hosts} addresses, fewer than the population of {}",
                self.subscribers, self.population
            ));
        }
        if !(536..=wire::MAX_SEGMENT).contains(&self.segment_bytes) {
            return Err(format!(
                "segment_bytes must be between 536 (the smallest MSS, RFC 9293) and {}",
                wire::MAX_SEGMENT
            ));
        }
        let mut systems = self.systems.clone();
        systems.sort();
        systems.dedup();
        if systems.len() != self.systems.len() {
            return Err("systems: a system is listed twice".into());
        }
        if self.lookalikes.is_some() {
            return Err(
                "lookalikes: no longer a count; innocent people who look like targets \
                 now emerge from the behaviour distributions (watch_visits_*, \
                 watched_torrent_*, night_business_share, bulk_sender_share): remove the key"
                    .into(),
            );
        }
        let special = self.targets as u64 * systems.len() as u64;
        if special > self.population as u64 {
            return Err(format!(
                "{} targets for each of {} systems make {special} people, more than the \
                 population of {}",
                self.targets,
                systems.len(),
                self.population
            ));
        }
        let rates: &[(&str, f64, f64)] = &[
            ("sessions_per_day", self.sessions_per_day, 100_000.0),
            ("activity_sigma", self.activity_sigma, 4.0),
            ("zipf_exponent", self.zipf_exponent, 4.0),
            ("quic_share", self.quic_share, 1.0),
            ("http_share", self.http_share, 1.0),
            ("background_share", self.background_share, 1.0),
            ("calls_per_day", self.calls_per_day, 10_000.0),
            ("mails_per_day", self.mails_per_day, 10_000.0),
            ("watch_visits_median", self.watch_visits_median, 100_000.0),
            ("watch_visits_sigma", self.watch_visits_sigma, 6.0),
            (
                "watch_visits_per_week",
                self.watch_visits_per_week,
                100_000.0,
            ),
            ("ordinary_torrent_share", self.ordinary_torrent_share, 1.0),
            (
                "torrent_sessions_per_day",
                self.torrent_sessions_per_day,
                10_000.0,
            ),
            ("watched_torrent_median", self.watched_torrent_median, 1.0),
            ("watched_torrent_sigma", self.watched_torrent_sigma, 6.0),
            (
                "target_torrent_sessions_per_day",
                self.target_torrent_sessions_per_day,
                10_000.0,
            ),
            ("pbx_calls_per_night", self.pbx_calls_per_night, 100_000.0),
            ("pbx_nights_per_week", self.pbx_nights_per_week, 7.0),
            ("night_business_share", self.night_business_share, 1.0),
            (
                "business_calls_per_night",
                self.business_calls_per_night,
                100_000.0,
            ),
            (
                "business_nights_per_week",
                self.business_nights_per_week,
                7.0,
            ),
            ("business_premium_share", self.business_premium_share, 1.0),
            (
                "business_call_median_s",
                self.business_call_median_s,
                86_400.0,
            ),
            ("business_call_sigma", self.business_call_sigma, 6.0),
            ("bulk_sender_share", self.bulk_sender_share, 1.0),
            (
                "mailer_sessions_per_hour",
                self.mailer_sessions_per_hour,
                10_000.0,
            ),
            (
                "newsletter_sessions_per_day",
                self.newsletter_sessions_per_day,
                100_000.0,
            ),
            ("vpn_share", self.vpn_share, 1.0),
            ("target_vpn_share", self.target_vpn_share, 1.0),
            ("tor_share", self.tor_share, 1.0),
            ("target_tor_share", self.target_tor_share, 1.0),
            ("doh_share", self.doh_share, 1.0),
            ("target_doh_share", self.target_doh_share, 1.0),
            ("openvpn_share", self.openvpn_share, 1.0),
            ("ipsec_share", self.ipsec_share, 1.0),
            ("ech_share", self.ech_share, 1.0),
            ("target_ech_share", self.target_ech_share, 1.0),
            ("ech_site_share", self.ech_site_share, 1.0),
            ("private_relay_share", self.private_relay_share, 1.0),
            (
                "target_private_relay_share",
                self.target_private_relay_share,
                1.0,
            ),
            ("e2e_call_share", self.e2e_call_share, 1.0),
            ("target_e2e_call_share", self.target_e2e_call_share, 1.0),
            ("shared_ipv4_share", self.shared_ipv4_share, 1.0),
            ("mobile_share", self.mobile_share, 1.0),
            ("visit_gap_exponent", self.visit_gap_exponent, 3.0),
            (
                "address_changes_per_week",
                self.address_changes_per_week,
                10_000.0,
            ),
        ];
        for &(name, v, max) in rates {
            if !(v.is_finite() && (0.0..=max).contains(&v)) {
                return Err(format!("{name} must be between 0 and {max} (got {v})"));
            }
        }
        for (name, v) in [
            ("lines_per_shared_address", self.lines_per_shared_address),
            ("mobile_lines_per_address", self.mobile_lines_per_address),
        ] {
            // At least 512 ports a line above the reserved 1,024.
            if !(1..=64).contains(&v) {
                return Err(format!("{name} must be between 1 and 64 (got {v})"));
            }
        }
        if !(self.visit_gap_spread.is_finite() && (2.0..=10_000.0).contains(&self.visit_gap_spread))
        {
            return Err(format!(
                "visit_gap_spread must be between 2 and 10000 (got {})",
                self.visit_gap_spread
            ));
        }
        if self.openvpn_share + self.ipsec_share > 1.0 {
            return Err(
                "openvpn_share + ipsec_share must not exceed 1 (the rest use WireGuard)".into(),
            );
        }
        if self.quic_share + self.http_share > 1.0 {
            return Err("quic_share + http_share must not exceed 1".into());
        }
        for (name, v) in [
            (
                "mailer_messages_per_session",
                self.mailer_messages_per_session,
            ),
            ("mailer_rcpts_per_message", self.mailer_rcpts_per_message),
            (
                "newsletter_rcpts_per_message",
                self.newsletter_rcpts_per_message,
            ),
        ] {
            if !(1..=MAX_RCPTS).contains(&v) {
                return Err(format!(
                    "{name} must be between 1 and {MAX_RCPTS} (got {v})"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
