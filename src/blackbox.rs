//! Black boxes: compiled selectors and behaviour rules, matched against the
//! observation stream, with per-subscriber sliding-window counters.
//!
//! A box sees only the observations its data scope allows (see
//! [`BlackBox::sees`]). Within a rule, selectors are a watchlist — an event
//! matches if it hits *any* of the lists given (`domains`, `ips`, `ports`,
//! `phone_prefixes`, `infohashes`, `ja3`, `ja4`, `url_contains`) — while the
//! conditions (`on`, `hours`, `max_duration`) must *all* hold. Records naming a
//! host (DNS, SNI, HTTP Host) count once per visit: the same name again within
//! `visit_gap` (default one minute) continues the visit. A rule holds for
//! a subscriber when the matching events of the last `window` number at least
//! `threshold` (a mail session counts once per message) and, if `distinct` is
//! set, go to at least that many destinations. The box flags a subscriber when
//! its rules hold (`any` or `all`).
//!
//! This module decides *whether* a subscriber trips a box; whether the box may
//! run, and what an alert leads to, is [`crate::policy`]'s business.

use std::collections::VecDeque;

// foldhash (hashbrown's default), not SipHash: touched for every observation.
use hashbrown::{HashMap, HashSet};

use ipnet::IpNet;

use crate::capture::clock;
use crate::decode::Addr;
use crate::flow::Subscribers;
use crate::observation::{Facet, HashKind, Medium, Observation, Role};
use crate::scenario::{BoxSpec, Combine, Hours, On, RuleSpec, Scope, Span};

/// Whether `name` is `domain` or one of its subdomains.
fn in_domains(set: &HashSet<String>, name: &str) -> bool {
    if set.is_empty() {
        return false;
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let mut rest = name.as_str();
    loop {
        if set.contains(rest) {
            return true;
        }
        match rest.split_once('.') {
            Some((_, tail)) => rest = tail,
            None => return false,
        }
    }
}

/// A compiled rule.
#[derive(Debug)]
struct Rule {
    /// The kinds counted (bits of [`Kind::bit`]), or every kind.
    kinds: u64,
    /// Also any record naming a host (`on = ["name"]`).
    on_name: bool,
    domains: HashSet<String>,
    ips: Vec<IpNet>,
    ports: Vec<u16>,
    phone_prefixes: Vec<String>,
    infohashes: HashSet<String>,
    ja3: HashSet<String>,
    ja4: HashSet<String>,
    url_contains: Vec<String>,
    has_selectors: bool,
    hours: Option<Hours>,
    /// ns.
    max_duration: Option<i64>,
    distinct: Option<u64>,
    threshold: u64,
    window: Span,
    visit_gap: i64,
}

impl Rule {
    fn compile(r: &RuleSpec, threshold: u64, window: Span) -> Rule {
        // Without `on`, every kind: a selector only ever matches a record
        // that shows what it selects (a domain rule, a record naming a host).
        let kinds = match r.on.is_empty() {
            true => u64::MAX,
            false => r.on.iter().fold(0, |m, o| match o {
                On::Kind(k) => m | k.bit(),
                On::Name => m,
            }),
        };
        let low = |v: &[String]| v.iter().map(|s| s.to_ascii_lowercase()).collect();
        Rule {
            kinds,
            on_name: r.on.contains(&On::Name),
            domains: r.domains.iter().map(|d| d.0.clone()).collect(),
            ips: r.ips.iter().map(|n| n.0).collect(),
            ports: r.ports.clone(),
            phone_prefixes: r.phone_prefixes.clone(),
            infohashes: r.infohashes.iter().map(|h| h.0.clone()).collect(),
            ja3: low(&r.ja3),
            ja4: r.ja4.iter().cloned().collect(),
            url_contains: r.url_contains.clone(),
            has_selectors: !(r.domains.is_empty()
                && r.ips.is_empty()
                && r.ports.is_empty()
                && r.phone_prefixes.is_empty()
                && r.infohashes.is_empty()
                && r.ja3.is_empty()
                && r.ja4.is_empty()
                && r.url_contains.is_empty()),
            hours: r.hours,
            max_duration: r.max_duration.map(|s| match s {
                Span::Ns(n) => n,
                Span::Months(m) => i64::from(m) * 30 * clock::NS_PER_DAY,
            }),
            distinct: r.distinct,
            threshold: r.threshold.unwrap_or(threshold),
            window,
            visit_gap: r
                .visit_gap
                .map(|g| g.after(0))
                .unwrap_or(60 * clock::NS_PER_S),
        }
    }

    /// Whether a selector list hits the observation.
    fn selected(&self, o: &Observation) -> bool {
        if !self.has_selectors {
            return true;
        }
        if !self.ips.is_empty() {
            let ip = o.peer.ip();
            if self.ips.iter().any(|n| n.contains(&ip)) {
                return true;
            }
        }
        if self.ports.contains(&o.peer_port) {
            return true;
        }
        o.facets.iter().any(|f| match f {
            Facet::Host(name) | Facet::Domain(name) => in_domains(&self.domains, name),
            Facet::Party {
                medium: Medium::Phone,
                role: Role::To,
                id,
            } => {
                let c = id.trim();
                self.phone_prefixes.iter().any(|p| {
                    c.starts_with(p.as_str())
                        // `+290` also matches the international dialling forms `00290`.
                        || p.strip_prefix('+').is_some_and(|d| c.strip_prefix("00").is_some_and(|r| r.starts_with(d)))
                })
            }
            Facet::Hash { kind, value } => match kind {
                HashKind::Ja3 => self.ja3.contains(&value.to_ascii_lowercase()),
                HashKind::Ja4 => self.ja4.contains(&**value),
                HashKind::InfoHash => self.infohashes.contains(&value.to_ascii_lowercase()),
            },
            Facet::Url(u) => self.url_contains.iter().any(|s| u.contains(s.as_str())),
            _ => false,
        })
    }

    /// Whether the conditions hold.
    fn conditions(&self, o: &Observation) -> bool {
        if o.kind.bit() & self.kinds == 0 && !(self.on_name && o.host().is_some()) {
            return false;
        }
        if let Some(h) = self.hours {
            if !h.contains(clock::hour_of_day(o.ts_ns)) {
                return false;
            }
        }
        if let Some(max) = self.max_duration {
            // A call whose length is unknown (unanswered, or cut) is not short.
            let Some(d) = o.duration_ns() else {
                return false;
            };
            if d >= max {
                return false;
            }
        }
        true
    }

    /// The weight (events counted) and destination of a matching observation.
    fn matches(&self, o: &Observation) -> Option<(u64, u64)> {
        if !(self.conditions(o) && self.selected(o)) {
            return None;
        }
        let weight = u64::from(o.count());
        // The destination: the host reached, else who is reached, else the peer.
        let mut to = o.facets.iter().filter_map(|f| match f {
            Facet::Party {
                role: Role::To, id, ..
            } => Some(foldhash_str(id)),
            _ => None,
        });
        let dest = match (o.host(), to.next()) {
            (Some(h), _) => foldhash_str(&h.trim_end_matches('.').to_ascii_lowercase()),
            (None, Some(first)) => to.fold(first, |h, r| h ^ r),
            (None, None) => crate::flow::addr_hash(&o.peer),
        };
        Some((weight, dest))
    }
}

fn foldhash_str(s: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x1f2e3d4c).build_hasher();
    h.write(s.as_bytes());
    h.finish()
}

/// The sliding window of one rule for one subscriber.
#[derive(Debug, Default)]
struct Counter {
    events: VecDeque<(i64, u64, u64)>,
    total: u64,
    dests: HashMap<u64, u32>,
    /// Last time each name was seen, for merging a visit's records.
    last_seen: HashMap<u64, i64>,
}

impl Counter {
    fn push(&mut self, ts: i64, weight: u64, dest: u64) {
        self.events.push_back((ts, weight, dest));
        self.total += weight;
        *self.dests.entry(dest).or_default() += 1;
    }

    /// Whether a name event continues a visit already counted (the same name
    /// within `gap` of its last record); remembers it either way.
    fn same_visit(&mut self, ts: i64, dest: u64, gap: i64) -> bool {
        if self.last_seen.len() > 4096 {
            self.last_seen.retain(|_, t| ts - *t < gap);
        }
        let prev = self.last_seen.insert(dest, ts);
        prev.is_some_and(|p| ts - p < gap)
    }

    /// Drops events at or before `cutoff`; returns how many.
    fn expire(&mut self, cutoff: i64) -> u64 {
        let mut n = 0;
        while let Some(&(ts, w, d)) = self.events.front() {
            if ts > cutoff {
                break;
            }
            n += 1;
            self.events.pop_front();
            self.total -= w;
            if let Some(c) = self.dests.get_mut(&d) {
                *c -= 1;
                if *c == 0 {
                    self.dests.remove(&d);
                }
            }
        }
        n
    }

    fn holds(&self, r: &Rule) -> bool {
        self.total >= r.threshold && r.distinct.is_none_or(|n| self.dests.len() as u64 >= n)
    }
}

/// One black box, compiled, with its per-subscriber counters.
#[derive(Debug)]
pub struct BlackBox {
    /// Its name.
    pub name: String,
    /// What it may see.
    pub scope: Scope,
    vantage: Option<Subscribers>,
    rules: Vec<Rule>,
    combine: Combine,
    counters: HashMap<Addr, Vec<Counter>>,
    /// Events the counters hold now, and the most they held at once:
    /// detection state is retained data.
    held_events: u64,
    peak_events: u64,
}

/// Why a box flagged a subscriber: the matching events counted by each rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trip {
    /// Matching events in each rule's window, in rule order.
    pub counts: Vec<u64>,
    /// Distinct destinations in each rule's window.
    pub distinct: Vec<u64>,
}

impl BlackBox {
    /// Compiles a box from its scenario table.
    pub fn new(spec: &BoxSpec) -> BlackBox {
        BlackBox {
            name: spec.name.clone(),
            scope: spec.scope,
            vantage: spec
                .subscribers
                .as_ref()
                .map(|nets| Subscribers::from_nets(nets.iter().map(|n| n.0).collect())),
            rules: spec
                .rules
                .iter()
                .map(|r| Rule::compile(r.get_ref(), spec.threshold, spec.window))
                .collect(),
            combine: spec.combine,
            counters: HashMap::new(),
            held_events: 0,
            peak_events: 0,
        }
    }

    /// Most events the counters held at once.
    pub fn peak_events(&self) -> u64 {
        self.peak_events
    }

    /// Forgets, for every subscriber, the events older than each rule's
    /// window at `t`, and subscribers left with nothing: a quiet subscriber's
    /// counters do not outlive the window they were allowed.
    pub fn expire_all(&mut self, t: i64) {
        let rules = &self.rules;
        let mut dropped = 0;
        self.counters.retain(|_, cs| {
            for (r, c) in rules.iter().zip(cs.iter_mut()) {
                dropped += c.expire(r.window.before(t));
            }
            cs.iter().any(|c| !c.events.is_empty())
        });
        self.held_events -= dropped;
    }

    /// Whether the box's vantage covers this subscriber.
    pub fn covers(&self, subscriber: &Addr) -> bool {
        self.vantage.as_ref().is_none_or(|v| v.contains(subscriber))
    }

    /// Whether the box's data scope lets it see this observation (URLs and
    /// infohashes need `urls`; everything else is connection data).
    pub fn sees(&self, o: &Observation) -> bool {
        o.kind.scope() <= self.scope
    }

    /// The bytes the box takes in for this observation: the record for a
    /// metadata box; for a content box, a flow's whole wire bytes too.
    pub fn intake_bytes(&self, o: &Observation) -> u64 {
        match (o.volume(), self.scope) {
            (Some((_, bytes)), Scope::Content) => bytes + o.record_bytes as u64,
            _ => o.record_bytes as u64,
        }
    }

    /// Counts a visible observation of a covered subscriber; returns what
    /// tripped if the box's rules now hold for that subscriber.
    pub fn observe(&mut self, subscriber: Addr, o: &Observation) -> Option<Trip> {
        let hits: Vec<Option<(u64, u64)>> = self
            .rules
            .iter()
            .map(|r| {
                // A connection box sees an HTTP request's host, not its URL.
                if self.scope < Scope::Urls && !r.url_contains.is_empty() {
                    return None;
                }
                r.matches(o)
            })
            .collect();
        if hits.iter().all(Option::is_none) {
            return None;
        }
        let n = self.rules.len();
        let counters = self
            .counters
            .entry(subscriber)
            .or_insert_with(|| (0..n).map(|_| Counter::default()).collect());
        let is_name = o.host().is_some();
        for ((rule, c), hit) in self.rules.iter().zip(counters.iter_mut()).zip(&hits) {
            self.held_events -= c.expire(rule.window.before(o.ts_ns));
            if let Some((w, d)) = hit {
                // A lookup and the connection that follows are one visit.
                if is_name && c.same_visit(o.ts_ns, *d, rule.visit_gap) {
                    continue;
                }
                c.push(o.ts_ns, *w, *d);
                self.held_events += 1;
            }
        }
        self.peak_events = self.peak_events.max(self.held_events);
        let mut holds = self
            .rules
            .iter()
            .zip(counters.iter())
            .map(|(r, c)| c.holds(r));
        let tripped = match self.combine {
            Combine::Any => holds.any(|h| h),
            Combine::All => holds.all(|h| h),
        };
        tripped.then(|| Trip {
            counts: counters.iter().map(|c| c.total).collect(),
            distinct: counters.iter().map(|c| c.dests.len() as u64).collect(),
        })
    }

    /// Forgets every counter (the box stopped: its raw input is gone).
    pub fn reset(&mut self) {
        self.counters.clear();
        self.held_events = 0;
    }
}

#[cfg(test)]
mod tests;
