//! `ivraie baserate` in sentences a non-specialist reads.

use crate::measure::Extrapolation;

use super::thousands;

/// The extrapolation in sentences a non-specialist reads.
pub fn baserate_text(x: &Extrapolation) -> String {
    let mut s = format!(
        "Population {}, of whom {} {} real {}.\n",
        thousands(x.population),
        thousands(x.targets),
        if x.targets == 1 { "is a" } else { "are" },
        if x.targets == 1 { "target" } else { "targets" },
    );
    s += &format!(
        "A box that flags {} of targets and {} of innocent people ",
        percent(x.tpr),
        percent(x.fpr)
    );
    if x.alerts == 0.0 {
        s += "raises no alert.\n";
        return s;
    }
    s += &format!(
        "raises about {} alerts: {} true, {} false.\n",
        count(x.alerts),
        count(x.expected_true_alerts),
        count(x.expected_false_alerts)
    );
    match x.false_per_true {
        None => s += "No real target is flagged: every alert points at an innocent person.\n",
        Some(f) if f == 0.0 => s += "No innocent person is flagged.\n",
        Some(f) if f >= 1.0 => {
            s += &format!(
                "For every real target flagged, about {} innocent {} flagged.\n",
                about(f),
                if about(f) == "1" {
                    "person is"
                } else {
                    "people are"
                }
            )
        }
        Some(f) => {
            s += &format!(
                "For every innocent person flagged, about {} real targets are flagged.\n",
                about(1.0 / f)
            )
        }
    }
    if let Some(ppv) = x.ppv {
        s += &format!(
            "The chance that an alert points at a real target is {}",
            percent(ppv)
        );
        match x.alerts_per_target {
            Some(n) if n >= 1.5 => s += &format!(" (1 in {}).\n", about(n)),
            _ => s += ".\n",
        }
    }
    s
}

/// An expected count: whole (with separators) from 100 up or when it is whole,
/// else one decimal (`0.6`).
fn count(x: f64) -> String {
    if x >= 100.0 || (x - x.round()).abs() < 1e-6 {
        thousands(x.round() as u64)
    } else {
        trim_zeros(format!("{x:.1}"))
    }
}

/// A rounded ratio: whole from 10 up, else one decimal (`2.5`).
fn about(x: f64) -> String {
    if x >= 10.0 {
        thousands(x.round() as u64)
    } else {
        trim_zeros(format!("{x:.1}"))
    }
}

/// A proportion as a percentage: `100%`, `16.64%`, `0.17%`, `0.001%` (two
/// significant digits below 1%).
fn percent(p: f64) -> String {
    let v = p * 100.0;
    if v == 0.0 || (v - v.round()).abs() < 1e-9 {
        return format!("{v:.0}%");
    }
    let decimals = if v >= 1.0 {
        2
    } else {
        (1 - v.log10().floor() as i64).clamp(0, 12) as usize
    };
    format!("{}%", trim_zeros(format!("{v:.decimals$}")))
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::BaseRate;

    #[test]
    fn numbers_print_the_way_people_write_them() {
        assert_eq!(thousands(60_000_000), "60,000,000");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.01), "1%");
        assert_eq!(percent(1.0 / 600.99), "0.17%");
        assert_eq!(percent(0.1664), "16.64%");
        assert_eq!(percent(0.00001), "0.001%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(count(599_990.0000001), "599,990");
        assert_eq!(count(0.6), "0.6");
        assert_eq!(about(599.99), "600");
        assert_eq!(about(2.54), "2.5");
    }

    #[test]
    fn baserate_text_covers_boxes_that_flag_nobody_or_no_target() {
        let text = |tpr, fpr| {
            baserate_text(
                &BaseRate {
                    population: 1_000,
                    targets: 10,
                    tpr,
                    fpr,
                }
                .extrapolate(),
            )
        };
        assert!(text(0.0, 0.0).contains("raises no alert."));
        assert!(text(0.0, 0.1).contains("No real target is flagged"));
        let t = text(1.0, 0.0);
        assert!(t.contains("No innocent person is flagged."), "{t}");
        assert!(t.contains("is 100%.\n"), "{t}");
        let t = text(1.0, 0.005);
        assert!(
            t.contains("For every innocent person flagged, about 2 real targets are flagged."),
            "{t}"
        );
    }
}
