//! WHOIS parsing: one line of a query or an answer. Pure, never panics.

use crate::dissect::Parsed;
pub use crate::dissect::is_text;

/// Caps.
pub mod cap {
    /// Longest line read, line end included.
    pub const MAX_LINE: usize = 1024;
}

/// Anomaly names.
pub mod anomaly {
    /// A line over [`super::cap::MAX_LINE`] octets without a line end.
    pub const LINE_TOO_LONG: &str = "whois.line_too_long";
}

/// One line from the front of `data`: its bytes without the line end (LF, or
/// CRLF); `consumed` includes the line end.
pub fn parse_line(data: &[u8]) -> Parsed<&[u8]> {
    crate::dissect::text_line(data, cap::MAX_LINE, anomaly::LINE_TOO_LONG)
}

/// The domain a query asks about: its last word, lowercased, without a final
/// dot, when it is a domain name (two labels or more, of letters, digits,
/// `-` and `_`, not an IPv4 address). `-T domain example.com` gives
/// `example.com`; `AS3333` and `192.0.2.1` give nothing.
pub fn query_domain(query: &str) -> Option<String> {
    let word = query.split_whitespace().last()?.trim_end_matches('.');
    let labels_ok = word.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    });
    let ipv4 = word.parse::<std::net::Ipv4Addr>().is_ok();
    (word.contains('.') && word.len() <= 253 && labels_ok && !ipv4).then(|| word.to_lowercase())
}

/// A field of an answer this dissector reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field<'a> {
    /// The domain the answer is about (`domain:`, `Domain Name:`).
    Domain(&'a str),
    /// The server to ask next (`refer:`, `whois:`, `Registrar WHOIS Server:`,
    /// `ReferralServer:`).
    Referral(&'a str),
}

/// The reported field an answer line holds, if any: `key: value`, the key in
/// any case and with any indentation, the value not empty.
pub fn answer_field(line: &str) -> Option<Field<'_>> {
    let (key, value) = line.split_once(':')?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match key.trim().to_ascii_lowercase().as_str() {
        "domain" | "domain name" => Some(Field::Domain(value)),
        "refer" | "whois" | "registrar whois server" | "referralserver" => {
            Some(Field::Referral(value))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_ends_at_lf_with_or_without_cr() {
        // The query of tcpdump's whois.pcap, frame 4.
        assert_eq!(
            parse_line(b"example.com\r\n"),
            Parsed::Done {
                value: &b"example.com"[..],
                consumed: 13
            }
        );
        assert_eq!(
            parse_line(b"a\nb"),
            Parsed::Done {
                value: &b"a"[..],
                consumed: 2
            }
        );
        for n in 0..12 {
            assert_eq!(
                parse_line(&b"example.com\r\n"[..n]).outcome(),
                Parsed::Incomplete { needed: None },
                "prefix {n}"
            );
        }
    }

    #[test]
    fn a_line_without_end_over_the_cap_is_an_anomaly() {
        let long = vec![b'a'; cap::MAX_LINE];
        assert_eq!(parse_line(&long), Parsed::Invalid(anomaly::LINE_TOO_LONG));
        let mut ok = vec![b'a'; cap::MAX_LINE - 1];
        ok.push(b'\n');
        assert!(
            matches!(parse_line(&ok), Parsed::Done { consumed, .. } if consumed == cap::MAX_LINE)
        );
    }

    #[test]
    fn the_domain_of_a_query_is_its_last_word_when_it_is_a_name() {
        assert_eq!(query_domain("example.com"), Some("example.com".into()));
        assert_eq!(
            query_domain("-T domain Example.FR."),
            Some("example.fr".into())
        );
        assert_eq!(query_domain("domain bücher.de"), Some("bücher.de".into()));
        for q in ["", "AS3333", "192.0.2.1", "a..b", "-h", "x.y/24", ".com"] {
            assert_eq!(query_domain(q), None, "{q:?}");
        }
    }

    #[test]
    fn answer_fields_are_read_in_any_case_and_indentation() {
        // Lines of ndpi/whois.pcapng's answer (Verisign) and of IANA's.
        assert_eq!(
            answer_field("   Domain Name: CYBERPATROLBD.COM"),
            Some(Field::Domain("CYBERPATROLBD.COM"))
        );
        assert_eq!(
            answer_field("   Registrar WHOIS Server: whois.PublicDomainRegistry.com"),
            Some(Field::Referral("whois.PublicDomainRegistry.com"))
        );
        assert_eq!(
            answer_field("refer:        whois.verisign-grs.com"),
            Some(Field::Referral("whois.verisign-grs.com"))
        );
        assert_eq!(answer_field("domain:"), None);
        assert_eq!(answer_field("% IANA WHOIS server"), None);
        assert_eq!(answer_field("Registrar URL: http://x"), None);
    }

    #[test]
    fn text_allows_tabs_line_ends_and_non_ascii() {
        assert!(is_text("a\tb\r\né".as_bytes()));
        assert!(!is_text(b"\x16\x03\x01"));
        assert!(!is_text(b"a\x00"));
    }
}
