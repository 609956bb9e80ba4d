//! Facets: what a black box can see in a record, typed.
//!
//! A protocol says, in its own folder, what each of its records shows a box
//! (`dissect::Record::facets`): a host the subscriber reaches, a party (a
//! phone number, a mail address), a hash (JA3, JA4, an infohash), a URL, a
//! volume, a duration, a count of events. Scenario rules select on facets, not
//! on protocols: a domain rule matches every record that names a host, from a
//! protocol that exists today or one added tomorrow.

use serde::Deserialize;

/// What a box may see, from the least to the most (a scenario box's `scope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Addresses, ports, times, volumes, DNS names, SNI, call records and mail
    /// envelopes without content.
    Connection,
    /// Adds full HTTP URLs and what they carry (tracker announces' infohashes).
    Urls,
    /// The payload itself: deep packet inspection.
    Content,
}

impl Scope {
    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Connection => "connection",
            Scope::Urls => "urls",
            Scope::Content => "content",
        }
    }
}

/// One thing a box can see in a record.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Facet {
    /// A host the subscriber reaches, by name (a DNS query, a TLS or QUIC
    /// server name, an HTTP Host). Domain rules match it; records naming the
    /// same host close together are one visit; the host is the event's
    /// destination.
    Host(Box<str>),
    /// A domain naming the subscriber's own side (an SMTP HELO, an envelope
    /// sender's domain). Domain rules match it.
    Domain(Box<str>),
    /// Someone on either end of a call or a message.
    Party {
        /// A phone number or a mail address.
        medium: Medium,
        /// Who calls or sends, or who is reached.
        role: Role,
        /// The number (or SIP user part) or the address, as written.
        id: Box<str>,
    },
    /// A fingerprint or a content hash.
    Hash {
        /// Which one.
        kind: HashKind,
        /// Its text (hex, or JA4's own form).
        value: Box<str>,
    },
    /// A full URL (seen only by boxes of scope `urls` or more).
    Url(Box<str>),
    /// Packets and wire bytes, both directions (the content a DPI box takes in).
    Volume {
        /// Packets.
        packets: u64,
        /// Wire bytes.
        bytes: u64,
    },
    /// How long it lasted, ns (a flow from first to last packet, an answered
    /// call from answer to hang-up).
    Duration(i64),
    /// How many events a rule counts it for (a mail session: its messages);
    /// without it, one.
    Count(u32),
}

/// The medium of a [`Facet::Party`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Medium {
    /// A phone number or a SIP user part.
    Phone,
    /// A mail address.
    Mail,
}

/// The side of a [`Facet::Party`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Role {
    /// The caller, the envelope sender.
    From,
    /// The callee, an envelope recipient: the event's destination.
    To,
}

/// The kind of a [`Facet::Hash`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HashKind {
    /// A TLS client's JA3 (MD5, lowercase hex).
    Ja3,
    /// A TLS or QUIC client's JA4.
    Ja4,
    /// A BitTorrent infohash (40 hex digits).
    InfoHash,
}

/// A record's facets, as a protocol fills them: one call per thing seen.
#[derive(Debug, Default)]
pub struct Facets(pub Vec<Facet>);

impl Facets {
    /// A host reached, if known.
    pub fn host(&mut self, name: Option<&str>) -> &mut Self {
        if let Some(n) = name {
            self.0.push(Facet::Host(n.into()));
        }
        self
    }

    /// A domain of the subscriber's side, if known.
    pub fn domain(&mut self, name: Option<&str>) -> &mut Self {
        if let Some(n) = name {
            self.0.push(Facet::Domain(n.into()));
        }
        self
    }

    /// A party, if known.
    pub fn party(&mut self, medium: Medium, role: Role, id: Option<&str>) -> &mut Self {
        if let Some(id) = id {
            self.0.push(Facet::Party {
                medium,
                role,
                id: id.into(),
            });
        }
        self
    }

    /// A hash, if known.
    pub fn hash(&mut self, kind: HashKind, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.0.push(Facet::Hash {
                kind,
                value: v.into(),
            });
        }
        self
    }

    /// A full URL, if known.
    pub fn url(&mut self, url: Option<String>) -> &mut Self {
        if let Some(u) = url {
            self.0.push(Facet::Url(u.into()));
        }
        self
    }

    /// A duration in seconds (as records write it), if known.
    pub fn duration_s(&mut self, seconds: Option<f64>) -> &mut Self {
        if let Some(s) = seconds {
            self.0.push(Facet::Duration((s * 1e9).round() as i64));
        }
        self
    }

    /// A count of events.
    pub fn count(&mut self, n: u32) -> &mut Self {
        self.0.push(Facet::Count(n));
        self
    }
}

/// The domain of a mail address (`user@host` or `<user@host>`); the whole text
/// when it has no `@`.
pub fn mail_domain(addr: &str) -> &str {
    let a = addr.trim_matches(|c| c == '<' || c == '>');
    a.rsplit_once('@').map(|(_, d)| d).unwrap_or(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_domain_is_what_follows_the_last_at() {
        assert_eq!(mail_domain("<a@b.example>"), "b.example");
        assert_eq!(mail_domain("x@y@z.example"), "z.example");
        assert_eq!(mail_domain("postmaster"), "postmaster");
    }

    #[test]
    fn absent_values_add_no_facet_and_durations_become_ns() {
        let mut f = Facets::default();
        f.host(None)
            .host(Some("a.example"))
            .party(Medium::Phone, Role::To, None)
            .duration_s(Some(1.5))
            .duration_s(None);
        assert_eq!(
            f.0,
            vec![
                Facet::Host("a.example".into()),
                Facet::Duration(1_500_000_000)
            ]
        );
    }
}
