use super::*;

const GOOD: &str = r#"
name = "t"
seed = 3

[source]
captures = ["x.pcap"]
subscribers = ["10.0.0.0/8"]
labels = "x.labels.csv"

[policy]
first_window = "2 months"
renewal = "4 months"
retention = "24h"

[policy.commission]
rule = "thresholds"
min_precision = "5%"

[[boxes]]
name = "watch"
scope = "connection"
threshold = 3
window = "7d"

[[boxes.rules]]
domains = ["Watched.Example."]
hours = [22, 6]
"#;

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse(text, Path::new("dir/s.toml"))
}

fn err(text: &str) -> (usize, String) {
    match parse(text).unwrap_err() {
        ScenarioError::Invalid {
            line,
            message,
            path,
            ..
        } => {
            assert_eq!(path, Path::new("dir/s.toml"));
            (line, message)
        }
        e => panic!("{e}"),
    }
}

#[test]
fn a_good_scenario_parses_with_defaults_and_resolved_paths() {
    let s = parse(GOOD).unwrap();
    assert_eq!(s.seed, 3);
    assert_eq!(s.source.captures, vec![PathBuf::from("dir/x.pcap")]);
    assert_eq!(s.policy.first_window, Span::Months(2));
    assert_eq!(s.policy.retention, Span::Ns(24 * clock::NS_PER_HOUR));
    assert_eq!(s.policy.exploitation, Span::Ns(60 * clock::NS_PER_DAY));
    assert_eq!(s.policy.commission.min_precision, Some(Fraction(0.05)));
    assert_eq!(s.reference.population, 60_000_000);
    let b = s.boxes().next().unwrap();
    assert_eq!(
        b.rules[0].get_ref().domains,
        vec![Domain("watched.example".into())]
    );
    let h = b.rules[0].get_ref().hours.unwrap();
    assert!(h.contains(23) && h.contains(0) && h.contains(5) && !h.contains(6) && !h.contains(12));
}

#[test]
fn unknown_keys_name_the_line_and_the_key() {
    let (line, msg) = err(&GOOD.replace("threshold = 3", "threshold = 3\nthreshhold = 4"));
    assert_eq!(line, 23);
    assert!(msg.contains("threshhold"), "{msg}");
    let (line, msg) = err(&GOOD.replace("[policy]\n", "[policy]\nwindow = 3\n"));
    assert_eq!(line, 11);
    assert!(msg.contains("unknown field `window`"), "{msg}");
}

#[test]
fn bad_values_name_their_line() {
    let (line, msg) = err(&GOOD.replace("\"7d\"", "\"7 fortnights\""));
    assert_eq!(line, 23);
    assert!(msg.contains("not a duration"), "{msg}");
    let (line, msg) = err(&GOOD.replace("\"10.0.0.0/8\"", "\"10.0.0.0/33\""));
    assert_eq!(line, 7);
    assert!(msg.contains("not an address or CIDR"), "{msg}");
    let (_, msg) = err(&GOOD.replace("[22, 6]", "[22, 25]"));
    assert!(msg.contains("hours"), "{msg}");
    let (_, msg) = err(&GOOD.replace("\"5%\"", "1.5"));
    assert!(msg.contains("between 0 and 1"), "{msg}");
    let (_, msg) = err(&GOOD.replace("Watched.Example.", "bad domain"));
    assert!(msg.contains("not a domain"), "{msg}");
    let (_, msg) = err(&GOOD.replace("threshold = 3", "threshold = 0"));
    assert!(msg.contains("threshold must be at least 1"), "{msg}");
}

#[test]
fn a_selector_outside_the_scope_is_refused_naming_the_field() {
    let text = GOOD.replace(
        "domains = [\"Watched.Example.\"]",
        "infohashes = [\"dcfcdccfb9e670ccc3dd40c78c161f2bea243126\"]",
    );
    let (line, msg) = err(&text);
    assert_eq!(line, 25, "the rule's table");
    assert!(
        msg.contains("`infohashes` is outside the box's data scope `connection`"),
        "{msg}"
    );
    assert!(parse(&text.replace("scope = \"connection\"", "scope = \"urls\"")).is_ok());
    let (_, msg) = err(&GOOD.replace("domains", "url_contains"));
    assert!(msg.contains("`url_contains`"), "{msg}");
}

#[test]
fn whole_file_checks() {
    let (_, msg) = err(&GOOD.replace("captures = [\"x.pcap\"]", ""));
    assert!(msg.contains("[source] needs"), "{msg}");
    let (_, msg) = err(&GOOD.replace("min_precision = \"5%\"", ""));
    assert!(msg.contains("needs min_precision"), "{msg}");
    let dup = format!(
        "{GOOD}\n[[boxes]]\nname = \"watch\"\nscope = \"connection\"\nthreshold = 1\nwindow = \"1d\"\n[[boxes.rules]]\non = [\"dns\"]\n"
    );
    let (line, msg) = err(&dup);
    assert_eq!(line, 29);
    assert!(msg.contains("used twice"), "{msg}");
    let (_, msg) = err(&GOOD.replace(
        "domains = [\"Watched.Example.\"]\nhours = [22, 6]",
        "ports = []",
    ));
    assert!(msg.contains("matches everything"), "{msg}");
}

#[test]
fn spans_parse_and_do_calendar_arithmetic() {
    assert_eq!(Span::parse("90s").unwrap(), Span::Ns(90 * clock::NS_PER_S));
    assert_eq!(
        Span::parse("1.5h").unwrap(),
        Span::Ns(90 * 60 * clock::NS_PER_S)
    );
    assert_eq!(Span::parse("2w").unwrap().to_string(), "2w");
    assert_eq!(Span::parse("4 months").unwrap(), Span::Months(4));
    assert!(Span::parse("0d").is_err());
    assert!(Span::parse("-3d").is_err());
    assert!(Span::parse("1.5 months").is_err());
    let jan1 = clock::parse_date("2026-01-01").unwrap();
    assert_eq!(
        clock::format_date(Span::Months(2).after(jan1)),
        "2026-03-01"
    );
    assert_eq!(
        clock::format_date(Span::Months(2).before(jan1)),
        "2025-11-01"
    );
    assert_eq!(
        Span::Ns(clock::NS_PER_DAY).after(jan1) - jan1,
        clock::NS_PER_DAY
    );
}
