//! What a run tells people: the terminal summary, `report.html` ([`html`], with
//! its [`charts`]) and the CSV [`tables`], all from figures [`crate::simulator`]
//! computed. Numbers come computed; this module only words and draws them.
//!
//! The HTML and the tables are drawn from the `report.json` *value*, so that
//! `ivraie report DIR` redraws them from the file without the run.

pub mod baserate;
pub mod charts;
pub mod html;
pub mod inspect;
pub mod tables;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::measure::Estimate;
use crate::simulator::{BoxReport, Report};

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1.2 MB`, `340 kB`, `12 B` (decimal units).
pub fn bytes(n: u64) -> String {
    let units = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")];
    for (u, name) in units {
        if n as f64 >= u {
            return format!("{:.1} {name}", n as f64 / u);
        }
    }
    format!("{n} B")
}

/// A large count, rounded for reading: `600,990` stays, `1.3 million`.
pub fn about(x: f64) -> String {
    if x >= 1e9 {
        format!("{:.1} billion", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.1} million", x / 1e6)
    } else if x >= 100.0 {
        thousands(x.round() as u64)
    } else if x >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// The chance that an alert is a real target, in words: "1 alert in 602 is a
/// real target", or, when most alerts are ("1 in 1.0" reads as a slip), "98%
/// of alerts are real targets". `would` for a projection ("would be").
pub fn target_odds(ppv: f64, would: bool) -> String {
    let (is, are) = if would {
        ("would be", "would be")
    } else {
        ("is", "are")
    };
    if ppv <= 0.0 {
        format!("no alert {is} a real target")
    } else if 1.0 / ppv >= 1.5 {
        format!("1 alert in {} {is} a real target", about(1.0 / ppv))
    } else if ppv >= 1.0 {
        format!("every alert {is} a real target")
    } else {
        format!("{} of alerts {are} real targets", percent(ppv))
    }
}

/// `4.4%` (with more digits for small rates).
pub fn percent(x: f64) -> String {
    let p = x * 100.0;
    if p == 0.0 || p >= 10.0 {
        format!("{p:.0}%")
    } else if p >= 1.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

fn interval(e: &Estimate) -> String {
    format!("{} [{}–{}]", percent(e.value), percent(e.lo), percent(e.hi))
}

/// The steps in one sentence, for the summary and the HTML report.
pub fn graduated_sentence(g: &crate::policy::graduated::GraduatedReport) -> String {
    let n = thousands;
    let a = &g.all;
    let innocent = g
        .innocent
        .as_ref()
        .map(|i| {
            format!(
                "; on innocent people: {}, {} and {}",
                n(i.first),
                n(i.second),
                n(i.third)
            )
        })
        .unwrap_or_default();
    format!(
        "graduated response: {} addresses sent to Hadopi ({} over the daily cap; {} under 15-day \
         follow-up, {} to the prosecutor) -> {} e-mail warnings, {} registered letters, {} \
         third-phase referrals{innocent}",
        n(a.sent),
        n(a.over_cap),
        n(a.follow_up),
        n(a.prosecutor),
        n(a.first),
        n(a.second),
        n(a.third),
    )
}

fn describe_box(w: &mut impl Write, b: &BoxReport) -> io::Result<()> {
    let system = b
        .system
        .as_ref()
        .map(|s| format!(", {s}"))
        .unwrap_or_default();
    writeln!(
        w,
        "\nbox {} ({} scope at {}{system}): alert at {} matching event{} within {}",
        b.name,
        b.scope,
        b.vantage,
        b.threshold,
        if b.threshold == 1 { "" } else { "s" },
        b.window
    )?;
    let law = &b.law;
    if let Some(why) = &law.never_authorised {
        writeln!(w, "  never authorised: {why}")?;
    }
    if law.state_beyond_retention {
        writeln!(
            w,
            "  its counters keep {}, beyond the {} retention (the scenario says so)",
            law.detection_window, b.retention
        )?;
    } else if !law.detection_window.is_empty() && law.detection_window != law.rule_window {
        writeln!(
            w,
            "  its counters forget after {}, as the raw input does: the {} rule only counts that long",
            law.detection_window, law.rule_window
        )?;
    }
    for win in &b.windows {
        let what = match win.outcome.as_str() {
            "renewed" => "renewed by the commission".to_string(),
            "refused" => format!(
                "renewal refused ({})",
                win.reason.as_deref().unwrap_or("no reason given")
            ),
            _ => "still open when the traffic ended".to_string(),
        };
        writeln!(
            w,
            "  window {} ({}) {} → {}: {} alert{}; {what}",
            win.index,
            match win.kind {
                crate::policy::WindowKind::First => "first",
                crate::policy::WindowKind::Renewal => "renewal",
            },
            &win.start[..10],
            &win.end[..10],
            thousands(win.alerts),
            if win.alerts == 1 { "" } else { "s" }
        )?;
    }
    let i = &b.inspected;
    writeln!(
        w,
        "  took in {} packets ({}) in {} flows and {} records of {} subscribers",
        thousands(i.packets),
        bytes(i.bytes),
        thousands(i.flows),
        thousands(i.records),
        thousands(i.subscribers)
    )?;
    writeln!(
        w,
        "  kept {} in all, at most {} at once ({} retention); {} identified, {} of their data handed over",
        bytes(b.retained.bytes),
        bytes(b.retained.peak_bytes),
        b.retention,
        thousands(b.identifications),
        bytes(b.identified_bytes),
    )?;
    if law.requests + law.over_quota > 0 {
        let mut parts = vec![format!("{} granted", thousands(law.granted))];
        for (n, what) in [
            (law.opposed, "opposed by the commission"),
            (law.refused, "refused by the Prime Minister"),
            (
                law.requests - law.granted - law.opposed - law.refused,
                "undecided at the end",
            ),
            (law.over_quota, "not made (quota used up)"),
            (
                law.granted_nothing_held,
                "granted with nothing left to hand over",
            ),
        ] {
            if n > 0 {
                parts.push(format!("{} {what}", thousands(n)));
            }
        }
        writeln!(
            w,
            "  {} request{} to identify: {}",
            thousands(law.requests),
            if law.requests == 1 { "" } else { "s" },
            parts.join(", ")
        )?;
    }
    if let Some(g) = &b.graduated {
        writeln!(w, "  {}", graduated_sentence(g))?;
    }
    if law.kept_on_evidence > 0 {
        let innocent = law
            .kept_innocent
            .map(|n| format!(" ({} about innocent people)", thousands(n)))
            .unwrap_or_default();
        writeln!(
            w,
            "  the data of {} identification{} kept past the exploitation period on the services' report of serious evidence{innocent}",
            thousands(law.kept_on_evidence),
            if law.kept_on_evidence == 1 { "" } else { "s" },
        )?;
    }
    // Only when the log told something an address alone would not have: a
    // shared line, a household, a request gone astray.
    if let Some(a) = b.attribution.as_ref().filter(|a| {
        a.requests > 0 && (a.right_line != a.requests || a.people_affected != a.requests)
    }) {
        writeln!(
            w,
            "  through the ISP's log: {} request{} -> {} to the right line, {} wrong line{} named, \
             {} unattributable ({} ambiguous); {} people affected",
            thousands(a.requests),
            if a.requests == 1 { "" } else { "s" },
            thousands(a.right_line),
            thousands(a.wrong_lines),
            if a.wrong_lines == 1 { "" } else { "s" },
            thousands(a.unattributable),
            thousands(a.ambiguous),
            thousands(a.people_affected),
        )?;
    }
    if b.would_have_inspected.records > 0 {
        writeln!(
            w,
            "  outside its windows it would have taken in {} more records ({} of flows)",
            thousands(b.would_have_inspected.records),
            bytes(b.would_have_inspected.bytes)
        )?;
    }
    let Some(j) = &b.judged else {
        writeln!(
            w,
            "  flagged {} subscribers (no ground truth: true and false alerts cannot be told apart)",
            thousands(b.flagged)
        )?;
        writeln!(
            w,
            "  without labels, measured: what it took in and kept, the subscribers it touched, alerts, \
             identifications, what it could read; not measurable: precision, recall, false-positive \
             rate, signal-to-noise, the national extrapolation"
        )?;
        if let Some(r) = b.assumed_relevance {
            writeln!(
                w,
                "  the commission's renewals assumed {} of those flagged relevant (stated, not measured)",
                percent(r)
            )?;
        }
        if let Some(v) = &b.sees {
            write_sees(w, v)?;
        }
        return Ok(());
    };
    let c = &j.confusion;
    if b.judged_on == "lines" {
        writeln!(
            w,
            "  flagged {} lines: {} of a real target and {} of innocent households (of {} targets' lines, {} others in view)",
            thousands(c.tp + c.fp),
            thousands(c.tp),
            thousands(c.fp),
            thousands(c.tp + c.fn_),
            thousands(c.fp + c.tn),
        )?;
    } else {
        writeln!(
            w,
            "  flagged {} people: {} real targets and {} innocent people (of {} targets, {} innocent in view)",
            thousands(c.tp + c.fp),
            thousands(c.tp),
            thousands(c.fp),
            thousands(c.tp + c.fn_),
            thousands(c.fp + c.tn),
        )?;
    }
    let mut rates = Vec::new();
    if let Some(p) = &j.precision {
        rates.push(format!("precision {}", interval(p)));
    }
    if let Some(p) = &j.recall {
        rates.push(format!("recall {}", interval(p)));
    }
    if let Some(p) = &j.fpr {
        rates.push(format!("false-positive rate {}", interval(p)));
    }
    if !rates.is_empty() {
        writeln!(w, "  {}", rates.join("; "))?;
    }
    match (c.tp, c.fp) {
        (0, 0) => writeln!(w, "  => no one was flagged.")?,
        (0, fp) => writeln!(
            w,
            "  => {} innocent people were flagged and not a single real target.",
            thousands(fp)
        )?,
        (_, 0) => writeln!(w, "  => every person flagged was a real target.")?,
        (tp, fp) if b.judged_on == "lines" => writeln!(
            w,
            "  => for every real target's line flagged, {} innocent households' lines were flagged.",
            about(fp as f64 / tp as f64)
        )?,
        (tp, fp) => writeln!(
            w,
            "  => for every real target flagged, {} innocent people were flagged.",
            about(fp as f64 / tp as f64)
        )?,
    }
    if let Some(a) = &b.alerts_judged {
        if a.true_alerts + a.false_alerts > c.tp + c.fp {
            writeln!(
                w,
                "  counting alerts, not people: {} about real targets and {} about innocent people{}",
                thousands(a.true_alerts),
                thousands(a.false_alerts),
                a.precision
                    .map(|p| format!(" ({} of alerts point at a real target)", percent(p.value)))
                    .unwrap_or_default()
            )?;
        }
    }
    if let Some(x) = &b.extrapolation {
        let period = if x.period_days > 0.0 {
            format!(", over the same {} days", about(x.period_days))
        } else {
            String::new()
        };
        let odds = match x.ppv {
            None => "no one would be flagged".to_string(),
            Some(p) if p.value <= 0.0 => "no one flagged would be a real target".to_string(),
            Some(p) if 1.0 / p.value >= 1.5 => format!(
                "1 person flagged in {} would be a real target",
                about(1.0 / p.value)
            ),
            Some(p) => format!(
                "{} of people flagged would be real targets",
                percent(p.value)
            ),
        };
        let e = &x.expected_false;
        // An interval that spans orders of magnitude says little: say so.
        let vague = e.lo <= 0.0 || e.hi > 20.0 * e.value.max(1.0);
        writeln!(
            w,
            "  at the scale of {} people with {} targets{period}: about {} innocent people flagged (95%: {} to {}) for {} targets; {odds}",
            thousands(x.population),
            thousands(x.targets),
            about(e.value),
            about(e.lo),
            about(e.hi),
            about(x.expected_true.value),
        )?;
        if vague {
            writeln!(
                w,
                "  (too few people were flagged here to pin that down: anywhere in that interval fits this run)"
            )?;
        }
    }
    for r in &b.window_rates {
        let (Some(f), Some(y)) = (r.fpr, r.fpr_per_year) else {
            continue;
        };
        let scaled = r
            .expected_false
            .map(|e| {
                format!(
                    " — about {} innocent people per window at the reference's scale (95%: {} to {})",
                    about(e.value),
                    about(e.lo),
                    about(e.hi)
                )
            })
            .unwrap_or_default();
        writeln!(
            w,
            "  within one {} window ({} complete): {} [{}–{}] of innocent people flagged{scaled}; \
             {} [{}–{}] a year if windows were independent",
            r.length,
            r.windows,
            percent(f.value),
            percent(f.lo),
            percent(f.hi),
            percent(y.value),
            percent(y.lo),
            percent(y.hi),
        )?;
    }
    Ok(())
}

/// The terminal summary of a run, for people who are not specialists.
pub fn terminal(w: &mut impl Write, r: &Report, out_dir: &std::path::Path) -> io::Result<()> {
    let name = if r.scenario.is_empty() {
        r.scenario_file.as_str()
    } else {
        r.scenario.as_str()
    };
    writeln!(
        w,
        "ivraie run: {name}, {} → {}",
        &r.start[..10],
        &r.end[..10]
    )?;
    let t = &r.traffic;
    writeln!(
        w,
        "traffic: {} packets ({}), {} flows, {} subscribers",
        thousands(t.traffic.packets),
        bytes(t.traffic.bytes),
        thousands(t.flows),
        thousands(t.subscribers)
    )?;
    if !r.truth.roles.is_empty() {
        let roles: Vec<String> = r
            .truth
            .roles
            .iter()
            .map(|(k, v)| format!("{} {k}", thousands(*v)))
            .collect();
        writeln!(w, "ground truth: {}", roles.join(", "))?;
    }
    for b in &r.boxes {
        describe_box(w, b)?;
    }
    writeln!(
        w,
        "\noversight log: {} entries in {} (check it: ivraie verify-log {})",
        thousands(r.oversight_head.entries),
        out_dir.join("oversight.jsonl").display(),
        out_dir.join("oversight.jsonl").display()
    )?;
    writeln!(
        w,
        "report: {}; alerts: {}",
        out_dir.join("report.json").display(),
        out_dir.join("alerts.jsonl").display()
    )?;
    let tables = out_dir.join("tables");
    writeln!(
        w,
        "open in a browser: {}{}",
        out_dir.join("report.html").display(),
        if tables.is_dir() {
            format!("; tables: {}", tables.display())
        } else {
            String::new()
        }
    )?;
    Ok(())
}

fn io_error(e: crate::output::WriteError) -> io::Error {
    e.into()
}

/// Writes `DIR/report.html` (whole: temporary file, then rename), checking
/// `DIR/oversight.jsonl` against the head the report recorded.
pub fn write_html(dir: &Path, report: &Report) -> io::Result<PathBuf> {
    let log = html::LogCheck::of(dir, report);
    let page = html::render(report, &log);
    let path = dir.join("report.html");
    crate::output::write_atomically(&path, |w| w.write_all(page.as_bytes())).map_err(io_error)?;
    Ok(path)
}

/// Writes `DIR/tables/{run,boxes,windows,days}.csv` (each whole).
pub fn write_tables(dir: &Path, report: &Value) -> io::Result<Vec<PathBuf>> {
    each_table(dir, report, "csv", |t, w| w.write_all(&tables::to_csv(t)))
}

/// Writes the tables of `report` as `DIR/tables/*.parquet` (cargo feature
/// `parquet`). Returns the paths written.
#[cfg(feature = "parquet")]
pub fn write_parquet_tables(dir: &Path, report: &Value) -> io::Result<Vec<PathBuf>> {
    each_table(dir, report, "parquet", |t, w| {
        crate::parquet::write(w, &t.columns, &mut t.rows.as_slice()).map(drop)
    })
}

/// Creates `DIR/tables` (0700) and writes each table of `report` into
/// `tables/NAME.EXT` through `fill`, atomically.
fn each_table(
    dir: &Path,
    report: &Value,
    ext: &str,
    fill: impl Fn(&tables::Table, &mut crate::output::FileWriter<'_>) -> io::Result<()>,
) -> io::Result<Vec<PathBuf>> {
    let tdir = dir.join("tables");
    std::fs::create_dir_all(&tdir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", tdir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tdir, std::fs::Permissions::from_mode(0o700))?;
    }
    let mut paths = Vec::new();
    for t in tables::tables(report) {
        let path = tdir.join(format!("{}.{ext}", t.name));
        crate::output::write_atomically(&path, |w| fill(&t, w)).map_err(io_error)?;
        paths.push(path);
    }
    Ok(paths)
}

/// Writes what a run leaves for people: `report.html`, and with `csv` the
/// tables. Returns the paths written.
pub fn write_outputs(dir: &Path, report: &Report, csv: bool) -> io::Result<Vec<PathBuf>> {
    let mut paths = vec![write_html(dir, report)?];
    if csv {
        let value = serde_json::to_value(report).map_err(io::Error::other)?;
        paths.extend(write_tables(dir, &value)?);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(600), "600");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(3_400_000), "3.4 MB");
        assert_eq!(about(599_990.0), "599,990");
        assert_eq!(about(1_300_000.0), "1.3 million");
        assert_eq!(about(21.5), "22");
        assert_eq!(about(2.25), "2.2");
        assert_eq!(percent(0.044), "4.4%");
        assert_eq!(percent(0.0017), "0.17%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(about(8.7e9), "8.7 billion");
    }

    #[test]
    fn the_odds_of_a_real_target_never_read_one_in_one() {
        assert_eq!(
            target_odds(1.0 / 602.0, false),
            "1 alert in 602 is a real target"
        );
        assert_eq!(target_odds(0.98, false), "98% of alerts are real targets");
        assert_eq!(
            target_odds(0.999_999, true),
            "100% of alerts would be real targets"
        );
        assert_eq!(target_odds(1.0, false), "every alert is a real target");
        assert_eq!(target_odds(0.0, true), "no alert would be a real target");
        assert_eq!(target_odds(0.5, false), "1 alert in 2.0 is a real target");
    }
}

/// What a box could read of the network, by service, and over a window.
fn write_sees(w: &mut impl Write, v: &crate::visibility::Visibility) -> io::Result<()> {
    let r = &v.readable;
    let flows = r.cleartext + r.server_name + r.ech + r.encrypted_dns + r.tunnels + r.unknown;
    if flows == 0 {
        return Ok(());
    }
    writeln!(
        w,
        "  of {} flows it could read names in the clear in {}, server names in {}, only an ECH \
         front in {}; {} were encrypted DNS, {} VPN tunnels, {} nothing it recognised",
        thousands(flows),
        thousands(r.cleartext),
        thousands(r.server_name),
        thousands(r.ech),
        thousands(r.encrypted_dns),
        thousands(r.tunnels),
        thousands(r.unknown)
    )?;
    let top: Vec<String> = v
        .services
        .iter()
        .take(6)
        .map(|s| format!("{} {}", s.service, bytes(s.traffic.bytes)))
        .collect();
    if !top.is_empty() {
        writeln!(w, "  by service: {}", top.join(", "))?;
    }
    if let Some(p) = &v.per_window {
        writeln!(
            w,
            "  over a {} window at this capture's rate ({} of traffic, assumed steady): about {} flows, \
             {} inspected, {} kept",
            p.window,
            crate::progress::duration(v.covered_s),
            about(p.flows),
            bytes(p.bytes as u64),
            bytes(p.retained_bytes as u64)
        )?;
    }
    Ok(())
}
