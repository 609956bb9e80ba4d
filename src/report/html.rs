//! `report.html`: one self-contained page (inline CSS and SVG, no script, no
//! fetch: it works from a USB stick, and its Content-Security-Policy forbids
//! loading anything) drawn from the typed [`Report`], the same whether it was
//! just computed or read back from `report.json` (`ivraie report DIR`
//! re-renders it from the file alone; fields an older report lacks read as
//! empty, a mistyped one is refused by the caller).
//!
//! Per box: the warrant timeline, the volumes inspected and retained per day,
//! the alerts per window split true/false, one mark per flagged person, and the
//! chance that an alert is a real target against the false-positive rate; then
//! the oversight log's summary and whether it verifies. Every string taken from
//! the report (scenario, box names, reasons, dates) goes through [`escape`].

use std::fmt::Write as _;
use std::path::Path;

use super::charts::{self, Marker, Point, Scale, Span, SpanKind};
use super::{about, bytes, percent, thousands};
use crate::measure::{Confusion, Estimate, ExtrapolationCi};
use crate::oversight::{self, Problem};
use crate::simulator::{BoxReport, Day, Report, WindowStats};

/// Text made safe for HTML content and attribute values: `& < > " '` escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { --ink: #141414; --muted: #555; --rule: #c8c8c8; --paper: #fff; --tint: #f3f3f0; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--paper); color: var(--ink);
  font: 20px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 2.1em; line-height: 1.15; margin: .4em 0 .2em; }
h2 { font-size: 1.6em; margin: 2em 0 .3em; padding-top: .6em; border-top: 4px solid var(--ink); }
h3 { font-size: 1.15em; margin: 1.6em 0 .4em; }
p.lead { font-size: 1.1em; color: var(--muted); margin-top: 0; }
.verdict { font-size: 1.5em; line-height: 1.3; font-weight: 700; margin: .6em 0;
  padding: .6em .8em; background: var(--tint); border-left: 10px solid var(--ink); }
.verdict small { display: block; font-size: .6em; font-weight: 400; color: var(--muted); margin-top: .3em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1.2em; margin: 1em 0; }
dl.facts dt { font-weight: 700; }
dl.facts dd { margin: 0; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 12px; margin: 1em 0; }
.tile { border: 2px solid var(--ink); padding: .5em .7em; }
.tile b { display: block; font-size: 1.6em; line-height: 1.2; }
.tile span { color: var(--muted); font-size: .85em; }
.tile b span { display: block; font-size: .5em; font-weight: 400; }
figure { margin: 1.2em 0; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { font-size: .85em; color: var(--muted); margin-top: .3em; }
table { border-collapse: collapse; width: 100%; font-size: .85em; margin: .6em 0; }
th, td { border-bottom: 1px solid var(--rule); padding: .3em .5em; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.nochart { font-style: italic; color: var(--muted); border: 2px dashed var(--rule); padding: .8em; }
.ok { font-weight: 700; }
.bad { font-weight: 700; text-decoration: underline; }
code, .hash { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .8em; word-break: break-all; }
footer { margin-top: 3em; color: var(--muted); font-size: .8em; }
@media print { body { font-size: 12pt; } h2 { break-before: page; } figure { break-inside: avoid; } }
"#;

/// A whole HTML page around `body`: the shared look (inline CSS sized for a
/// projector), and a Content-Security-Policy that lets nothing load, so the
/// page cannot fetch from the network. `title` is escaped; `body` is HTML.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// Whether a run's oversight log verifies, for the report's last section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogCheck {
    /// Every entry verifies and the log is closed.
    Verified {
        /// Entries, the closing one included.
        entries: u64,
        /// The last entry's hash.
        head_hash: String,
        /// The head is also the one `report.json` recorded.
        matches_report: bool,
    },
    /// The log was read and does not verify: the problem, as `verify-log` words it.
    Failed(String),
    /// The log could not be read (missing, unreadable).
    Unchecked(String),
}

impl LogCheck {
    /// Verifies `DIR/oversight.jsonl` against the head `report` recorded (its
    /// `oversight_head`), or on its own if the report has none.
    pub fn of(dir: &Path, report: &Report) -> LogCheck {
        let path = dir.join("oversight.jsonl");
        let head = Some(&report.oversight_head).filter(|h| !h.head_hash.is_empty());
        let result = match &head {
            Some(h) => oversight::verify_against(&path, h),
            None => oversight::verify(&path),
        };
        match result {
            Ok(v) => LogCheck::Verified {
                entries: v.entries,
                head_hash: v.head_hash,
                matches_report: head.is_some(),
            },
            Err(e) => match &e.problem {
                Problem::Io { source } => {
                    LogCheck::Unchecked(format!("cannot read {}: {source}", path.display()))
                }
                _ => LogCheck::Failed(e.to_string()),
            },
        }
    }
}

// ---------------------------------------------------------------------------
// Small formatting helpers.

fn days_of(date: &str) -> Option<f64> {
    crate::capture::clock::parse_date(date)
        .ok()
        .map(|ns| ns as f64 / 86_400e9)
}

fn day_text(date: &str) -> String {
    escape(date.get(..10).unwrap_or(date))
}

/// A chart id part: lower-case letters, digits and `-` only.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The id part of each box: its slug, or `box-N` when the slug is empty or
/// already taken.
fn box_ids(boxes: &[BoxReport]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for (i, b) in boxes.iter().enumerate() {
        let s = slug(&b.name);
        let id = if s.is_empty() || ids.contains(&s) {
            format!("box-{}", i + 1)
        } else {
            s
        };
        ids.push(id);
    }
    ids
}

/// The ids of the charts a box gets (those drawn; see [`render`]).
pub fn chart_ids(report: &Report) -> Vec<String> {
    let boxes = &report.boxes;
    let mut out = Vec::new();
    for (b, id) in boxes.iter().zip(box_ids(boxes)) {
        out.push(format!("chart-{id}-timeline"));
        if !b.days.is_empty() {
            out.push(format!("chart-{id}-volume"));
        }
        if b.judged.is_some() {
            out.push(format!("chart-{id}-alerts"));
            out.push(format!("chart-{id}-people"));
            if ppv_drawable(b) {
                out.push(format!("chart-{id}-ppv"));
            }
        }
    }
    out
}

fn ppv_drawable(b: &BoxReport) -> bool {
    b.extrapolation
        .as_ref()
        .is_some_and(|x| x.tpr.value > 0.0 && x.targets > 0)
}

// ---------------------------------------------------------------------------
// The page.

/// `report.html` from a report and the log's check.
pub fn render(report: &Report, log: &LogCheck) -> String {
    let name = match report.scenario.as_str() {
        "" => report.scenario_file.as_str(),
        n => n,
    };
    let mut b = String::new();
    let _ = writeln!(b, "<h1>ivraie report: {}</h1>", escape(name));
    let desc = &report.description;
    if !desc.is_empty() {
        let _ = writeln!(b, "<p class=\"lead\">{}</p>", escape(desc));
    }
    header_facts(&mut b, report);
    let boxes = &report.boxes;
    let ids = box_ids(boxes);
    if boxes.len() > 1 {
        b.push_str("<p>Boxes: ");
        for (i, (bx, id)) in boxes.iter().zip(&ids).enumerate() {
            if i > 0 {
                b.push_str(", ");
            }
            let _ = write!(b, "<a href=\"#box-{id}\">{}</a>", escape(&bx.name));
        }
        b.push_str(".</p>\n");
    }
    for (bx, id) in boxes.iter().zip(&ids) {
        render_box(&mut b, report, bx, id);
    }
    oversight_section(&mut b, report, log);
    let _ = writeln!(
        b,
        "<footer>Written by ivraie {} from <code>report.json</code>; re-render with <code>ivraie report DIR</code>. Simulated traffic and legal machinery: the figures describe this scenario, not a real deployment.</footer>",
        escape(&report.ivraie)
    );
    page(&format!("ivraie report: {name}"), &b)
}

/// `target` → "targets", `ordinary` → "ordinary people" (singular for one).
fn role_noun(role: &str, one: bool) -> String {
    match (role, one) {
        ("ordinary", true) => "ordinary person".into(),
        ("ordinary", false) => "ordinary people".into(),
        (r, true) => r.into(),
        (r, false) => format!("{r}s"),
    }
}

fn header_facts(b: &mut String, r: &Report) {
    b.push_str("<dl class=\"facts\">\n");
    let mut fact = |k: &str, v: String| {
        let _ = writeln!(b, "<dt>{k}</dt><dd>{v}</dd>");
    };
    fact(
        "scenario file",
        format!(
            "<code>{}</code> (seed {})",
            escape(&r.scenario_file),
            // A seed is a name, not a quantity: no thousands separators.
            r.seed
        ),
    );
    fact(
        "simulated period",
        format!("{} → {}", day_text(&r.start), day_text(&r.end)),
    );
    let t = &r.traffic;
    fact(
        "traffic",
        format!(
            "{} packets ({}), {} flows, {} subscribers",
            thousands(t.traffic.packets),
            bytes(t.traffic.bytes),
            thousands(t.flows),
            thousands(t.subscribers),
        ),
    );
    if r.truth.roles.is_empty() {
        fact(
            "ground truth",
            "none: true and false alerts cannot be told apart".into(),
        );
    } else {
        let parts: Vec<String> = r
            .truth
            .roles
            .iter()
            .map(|(k, &n)| format!("{} {}", thousands(n), escape(&role_noun(k, n == 1))))
            .collect();
        fact("ground truth", parts.join(", "));
    }
    fact(
        "reference population",
        format!(
            "{} people, of whom {} real targets (the scale the rates are extrapolated to)",
            thousands(r.reference.population),
            thousands(r.reference.targets)
        ),
    );
    b.push_str("</dl>\n");
}

fn figure(b: &mut String, id: &str, label: &str, svg: &str, caption: &str) {
    let _ = writeln!(
        b,
        "<figure>\n{}\n<figcaption>{caption}</figcaption>\n</figure>",
        charts::with_id(svg, id, label)
    );
}

fn no_chart(b: &mut String, why: &str) {
    let _ = writeln!(b, "<p class=\"nochart\">{why}</p>");
}

/// The plain-language sentence about flagged people.
fn verdict(tp: u64, fp: u64) -> String {
    match (tp, fp) {
        (0, 0) => "No one was flagged.".into(),
        (0, fp) => format!(
            "{} innocent {} flagged, and not a single real target.",
            thousands(fp),
            if fp == 1 { "person was" } else { "people were" }
        ),
        (_, 0) => "Every person flagged was a real target.".into(),
        (tp, fp) => format!(
            "For every real target flagged, {} innocent people were flagged.",
            about(fp as f64 / tp as f64)
        ),
    }
}

fn estimate(e: Option<&Estimate>) -> String {
    match e {
        Some(e) => format!(
            "{} <span>95%: {}–{}</span>",
            percent(e.value),
            percent(e.lo),
            percent(e.hi)
        ),
        None => "–".into(),
    }
}

fn render_box(b: &mut String, r: &Report, bx: &BoxReport, id: &str) {
    let name = bx.name.as_str();
    let _ = writeln!(b, "<section id=\"box-{id}\">");
    let _ = writeln!(b, "<h2>Box {}</h2>", escape(name));
    let system = match bx.system.as_deref() {
        None | Some("") => String::new(),
        Some(s) => format!(", seed system {}", escape(s)),
    };
    let k = bx.threshold;
    let _ = writeln!(
        b,
        "<p>{} data scope at the {} vantage{system}. It alerts on a subscriber after {} matching event{} within {}; raw input is kept {}.</p>",
        escape(&bx.scope),
        escape(&bx.vantage),
        thousands(k),
        if k == 1 { "" } else { "s" },
        escape(&bx.window),
        escape(&bx.retention),
    );
    let judged = bx.judged.as_ref();
    if let Some(j) = judged {
        let (tp, fp) = (j.confusion.tp, j.confusion.fp);
        let ppv = bx.extrapolation.as_ref().and_then(|x| x.ppv);
        let n = bx
            .extrapolation
            .as_ref()
            .map_or(r.reference.population, |x| x.population);
        let scale = match (n, ppv) {
            (n, Some(p)) => format!(
                "<small>At the scale of {} people: {}.</small>",
                thousands(n),
                super::target_odds(p.value, true)
            ),
            (_, None) => String::new(),
        };
        let _ = writeln!(b, "<p class=\"verdict\">{}{scale}</p>", verdict(tp, fp));
        let _ = writeln!(
            b,
            "<div class=\"tiles\">\n<div class=\"tile\"><b>{}</b><span>people flagged</span></div>\n<div class=\"tile\"><b>{}</b><span>real targets among them (of {})</span></div>\n<div class=\"tile\"><b>{}</b><span>innocent people among them</span></div>\n<div class=\"tile\"><b>{}</b><span>precision: flagged people who are targets</span></div>\n<div class=\"tile\"><b>{}</b><span>false-positive rate: innocent people flagged</span></div>\n</div>",
            thousands(tp + fp),
            thousands(tp),
            thousands(j.confusion.fn_ + tp),
            thousands(fp),
            estimate(j.precision.as_ref()),
            estimate(j.fpr.as_ref()),
        );
    } else {
        let _ = writeln!(
            b,
            "<p class=\"verdict\">{} people flagged.<small>No ground truth: whether they are real targets or innocent people cannot be told.</small></p>",
            thousands(bx.flagged)
        );
    }

    // (1) The warrant timeline.
    let _ = writeln!(b, "<h3>Warrant windows</h3>");
    let windows = &bx.windows;
    let spans: Vec<Span> = windows
        .iter()
        .filter_map(|w| {
            let (start, end) = (days_of(&w.start)?, days_of(&w.end)?);
            let (outcome, kind) = match w.outcome.as_str() {
                "renewed" => ("renewed by the commission".to_string(), SpanKind::Renewed),
                "refused" => (
                    format!(
                        "renewal refused: {}",
                        w.reason.as_deref().unwrap_or("no reason given")
                    ),
                    SpanKind::Refused,
                ),
                "open" => ("open when the traffic ended".to_string(), SpanKind::Open),
                other => (other.to_string(), SpanKind::Open),
            };
            Some(Span {
                start,
                end,
                label: format!("window {} ({})", w.index, w.kind.name()),
                outcome,
                kind,
            })
        })
        .collect();
    let traffic = (
        days_of(&r.start).unwrap_or(0.0),
        days_of(&r.end).unwrap_or(0.0),
    );
    let stopped = bx.stopped.as_deref();
    let svg = charts::timeline_svg(
        "Authorisation windows and the commission's decisions",
        traffic,
        &spans,
        stopped.and_then(days_of),
    );
    figure(
        b,
        &format!("chart-{id}-timeline"),
        &format!("Warrant timeline of box {name}"),
        &svg,
        &match stopped {
            Some(s) => format!(
                "The box was stopped on {} after a refusal; the black lane is the span of the traffic.",
                day_text(s)
            ),
            None => "The black lane is the span of the traffic; each window is authorised for its whole length, renewed or refused by the commission on the previous window's report.".into(),
        },
    );
    windows_table(b, windows);

    // (2) Volumes.
    let _ = writeln!(b, "<h3>What it took in and what it kept</h3>");
    let days = &bx.days;
    let _ = writeln!(
        b,
        "<p>In all it inspected {} ({} records of {} subscribers) and stored {}, holding at most {} at once.</p>",
        bytes(bx.inspected.bytes),
        thousands(bx.inspected.records),
        thousands(bx.inspected.subscribers),
        bytes(bx.retained.bytes),
        bytes(bx.retained.peak_bytes),
    );
    if days.is_empty() {
        no_chart(b, "No day-by-day figures: the box inspected nothing.");
    } else {
        let serie = |of: fn(&Day) -> u64| -> Vec<(f64, f64)> {
            days.iter()
                .filter_map(|d| Some((days_of(&d.date)? + 0.5, of(d) as f64)))
                .collect()
        };
        let series = vec![
            (
                "inspected (wire bytes of its flows)".to_string(),
                serie(|d| d.inspected_bytes),
            ),
            (
                "put into retention".to_string(),
                serie(|d| d.retained_bytes),
            ),
            (
                "most held at once".to_string(),
                serie(|d| d.held_peak_bytes),
            ),
        ];
        let svg = charts::line_chart(&charts::LineChart {
            title: "Data inspected and retained per simulated day",
            x_label: "simulated date (UTC)",
            y_label: "bytes per day (log scale)",
            series: &series,
            points: &[],
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            x_range: Some((traffic.0, traffic.1.max(traffic.0 + 1.0))),
            y_range: None,
            x_format: charts::date,
            y_format: charts::bytes,
            height: 460,
        });
        figure(
            b,
            &format!("chart-{id}-volume"),
            &format!("Bytes inspected and retained per day by box {name}"),
            &svg,
            "Log scale: each step up is ten times more data. Days when the box inspected nothing are left out.",
        );
    }

    if let Some(a) = bx.attribution.as_ref().filter(|a| a.requests > 0) {
        let _ = writeln!(b, "<h3>Who the ISP's log named</h3>");
        let _ = writeln!(
            b,
            "<p>Each identification asked the ISP's attribution log who held the address (and, where logged, the port) at the alert's time. \
             Of {} requests, {} reached the line that sent the traffic, {} named no one ({} named several lines on a shared address), \
             and {} wrong lines were named. The lines named house {} people.</p>",
            thousands(a.requests),
            thousands(a.right_line),
            thousands(a.unattributable),
            thousands(a.ambiguous),
            thousands(a.wrong_lines),
            thousands(a.people_affected),
        );
    }

    law_section(b, bx);

    // (3)–(5) Against the ground truth.
    let Some(j) = judged else {
        no_chart(
            b,
            "No ground truth for this run (no labels): alerts cannot be split into true and false, so the charts of true and false alerts, of the people flagged, and of the chance that an alert is a real target are left out.",
        );
        let _ = writeln!(b, "</section>");
        return;
    };
    let _ = writeln!(b, "<h3>Alerts, true and false</h3>");
    let bars: Option<Vec<(String, u64, u64)>> = windows
        .iter()
        .map(|w| {
            let snr = &w.judged.as_ref()?.snr;
            Some((
                format!("window {}", w.index),
                snr.true_alerts,
                snr.false_alerts,
            ))
        })
        .collect();
    match bars {
        Some(bars) if !bars.is_empty() => {
            let svg = charts::stacked_bars_svg(
                "Alerts per authorisation window",
                "alerts (count)",
                (
                    "about a real target (true)",
                    "about an innocent person (false)",
                ),
                &bars,
            );
            figure(
                b,
                &format!("chart-{id}-alerts"),
                &format!("Alerts per window of box {name}, true and false"),
                &svg,
                "Each bar: true alerts (solid, bottom) + false alerts (hatched, top); the numbers above read true + false.",
            );
        }
        _ => no_chart(b, "No window has judged alerts."),
    }
    let Confusion { tp, fp, fn_, tn } = j.confusion;
    let svg = charts::people_svg("Everyone the box flagged", tp, fp, fn_, tn);
    figure(
        b,
        &format!("chart-{id}-people"),
        &format!("People flagged by box {name}: {tp} real targets, {fp} innocent people"),
        &svg,
        "The confusion matrix as people: one mark per person flagged at least once over the run.",
    );

    let _ = writeln!(b, "<h3>The chance that an alert is a real target</h3>");
    if let (true, Some(x)) = (ppv_drawable(bx), &bx.extrapolation) {
        ppv_chart(b, x, id, name, j.confusion);
    } else {
        no_chart(
            b,
            "The box flagged no real target (measured recall 0), so every alert would point at an innocent person at any false-positive rate: there is no curve to draw.",
        );
    }
    let _ = writeln!(b, "</section>");
}

/// The law around a box: how long its counters remember, how the requests to
/// identify were decided, what was kept on serious evidence, Hadopi's steps,
/// and its rates within one authorisation window.
fn law_section(b: &mut String, bx: &BoxReport) {
    let law = &bx.law;
    let _ = writeln!(b, "<h3>The law around it</h3><ul>");
    if let Some(r) = &law.regime {
        let _ = writeln!(b, "<li>Regime: the {} law.</li>", escape(r));
    }
    if let Some(why) = &law.never_authorised {
        let _ = writeln!(b, "<li>Never authorised: {}.</li>", escape(why));
    }
    if law.state_beyond_retention {
        let _ = writeln!(
            b,
            "<li>Its counters keep {}, beyond the {} retention (the scenario says so); at most {} events held at once.</li>",
            escape(&law.detection_window),
            escape(&bx.retention),
            thousands(law.state_peak_events)
        );
    } else if !law.detection_window.is_empty() {
        let _ = writeln!(
            b,
            "<li>Its counters are retained data: they forget after {} (the rule asks {}); at most {} events held at once.</li>",
            escape(&law.detection_window),
            escape(&law.rule_window),
            thousands(law.state_peak_events)
        );
    }
    if law.requests + law.over_quota > 0 {
        let _ = writeln!(
            b,
            "<li>{} requests to identify: {} granted, {} opposed by the commission, {} refused by the Prime Minister, {} not made (quota used up); {} granted with nothing left to hand over.</li>",
            thousands(law.requests),
            thousands(law.granted),
            thousands(law.opposed),
            thousands(law.refused),
            thousands(law.over_quota),
            thousands(law.granted_nothing_held)
        );
    }
    if law.kept_on_evidence > 0 {
        let innocent = law
            .kept_innocent
            .map(|n| format!(", {} of them about innocent people", thousands(n)))
            .unwrap_or_default();
        let _ = writeln!(
            b,
            "<li>The data of {} identifications kept past the exploitation period on the services' report of serious evidence{innocent}.</li>",
            thousands(law.kept_on_evidence)
        );
    }
    if let Some(g) = &bx.graduated {
        let _ = writeln!(b, "<li>{}.</li>", escape(&super::graduated_sentence(g)));
    }
    let _ = writeln!(b, "</ul>");
    if bx.window_rates.is_empty() {
        return;
    }
    let _ = writeln!(
        b,
        "<table><caption>Within one authorisation window (complete windows; a year assumes windows independent)</caption>\n\
         <tr><th>window</th><th>complete</th><th>innocent people flagged</th><th>targets flagged</th><th>at the reference's scale</th><th>a year of such windows</th></tr>"
    );
    for r in &bx.window_rates {
        let scaled = r
            .expected_false
            .map(|e| format!("{} ({}–{})", about(e.value), about(e.lo), about(e.hi)))
            .unwrap_or_default();
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.length),
            r.windows,
            estimate(r.fpr.as_ref()),
            estimate(r.recall.as_ref()),
            scaled,
            estimate(r.fpr_per_year.as_ref())
        );
    }
    let _ = writeln!(b, "</table>");
}

fn windows_table(b: &mut String, windows: &[WindowStats]) {
    if windows.is_empty() {
        no_chart(b, "The box never ran: no window was authorised.");
        return;
    }
    b.push_str("<table>\n<thead><tr><th>window</th><th>from</th><th>to</th><th>outcome</th><th class=\"n\">alerts</th><th class=\"n\">people flagged</th><th class=\"n\">inspected</th><th class=\"n\">retained</th></tr></thead>\n<tbody>\n");
    for w in windows {
        let outcome = match (w.outcome.as_str(), w.reason.as_deref()) {
            ("refused", Some(reason)) => format!("refused: {}", escape(reason)),
            (o, _) => escape(o),
        };
        let _ = writeln!(
            b,
            "<tr><td>{} ({})</td><td>{}</td><td>{}</td><td>{outcome}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            w.index,
            w.kind.name(),
            day_text(&w.start),
            day_text(&w.end),
            thousands(w.alerts),
            thousands(w.flagged),
            bytes(w.inspected.bytes),
            bytes(w.retained.bytes),
        );
    }
    b.push_str("</tbody>\n</table>\n");
}

/// ppv(fpr) = T·tpr / (T·tpr + (N − T)·fpr).
fn ppv(n: f64, t: f64, tpr: f64, fpr: f64) -> f64 {
    let tt = t * tpr;
    let ff = (n - t).max(0.0) * fpr;
    if tt + ff > 0.0 { tt / (tt + ff) } else { 0.0 }
}

fn ppv_chart(b: &mut String, x: &ExtrapolationCi, id: &str, name: &str, c: Confusion) {
    let Confusion { tp, fp, fn_, tn } = c;
    let recall = x.tpr.value;
    let n_ref = x.population as f64;
    let t_ref = x.targets as f64;
    let (n_own, t_own) = ((tp + fp + fn_ + tn) as f64, (tp + fn_) as f64);
    let fpr = x.fpr.value;
    let lo = if fpr > 0.0 {
        (fpr / 3.0).min(1e-6)
    } else {
        1e-6
    };
    let hi = (fpr * 3.0).clamp(1e-1, 1.0);
    let steps = 120;
    let grid: Vec<f64> = (0..=steps)
        .map(|k| 10f64.powf(lo.log10() + (hi.log10() - lo.log10()) * k as f64 / steps as f64))
        .collect();
    let curve = |n: f64, t: f64| {
        grid.iter()
            .map(|&f| (f, ppv(n, t, recall, f)))
            .collect::<Vec<_>>()
    };
    let series = vec![
        (
            format!(
                "{} people, {} targets (reference)",
                thousands(n_ref as u64),
                thousands(t_ref as u64)
            ),
            curve(n_ref, t_ref),
        ),
        (
            format!(
                "{} people, {} targets (this run)",
                thousands(n_own as u64),
                thousands(t_own as u64)
            ),
            curve(n_own, t_own),
        ),
    ];
    let mut points = Vec::new();
    let mut notes = Vec::new();
    let own_ppv = if tp + fp > 0 {
        tp as f64 / (tp + fp) as f64
    } else {
        0.0
    };
    if fpr > 0.0 && own_ppv > 0.0 {
        points.push(Point {
            x: fpr,
            y: own_ppv,
            label: format!("this run: {}", charts::share(own_ppv)),
            marker: Marker::Triangle,
            x_interval: None,
            y_interval: None,
        });
    } else {
        notes.push(format!(
            "This run's own point (false-positive rate {}, {} of alerts true) cannot sit on log axes.",
            percent(fpr),
            percent(own_ppv)
        ));
    }
    match x.ppv {
        Some(p) if p.value > 0.0 && fpr > 0.0 => points.push(Point {
            x: fpr,
            y: p.value,
            label: format!("at {} people: {}", about(n_ref), charts::share(p.value)),
            marker: Marker::Disc,
            x_interval: Some((x.fpr.lo, x.fpr.hi)),
            y_interval: Some((p.lo, p.hi)),
        }),
        _ => notes.push("The reference extrapolation has no point to draw (no alert, or a false-positive rate of 0).".into()),
    }
    let floor = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .chain(points.iter().map(|p| p.y))
        .chain(points.iter().filter_map(|p| p.y_interval.map(|i| i.0)))
        .filter(|v| *v > 0.0)
        .fold(1.0f64, f64::min);
    let y_lo = 10f64.powf(floor.log10().floor());
    let svg = charts::line_chart(&charts::LineChart {
        title: "Chance that an alert is a real target",
        x_label: "false-positive rate: share of innocent people flagged (log scale)",
        y_label: "share of alerts that are real targets (log scale)",
        series: &series,
        points: &points,
        x_scale: Scale::Log,
        y_scale: Scale::Log,
        x_range: Some((lo, hi)),
        y_range: Some((y_lo, 1.0)),
        x_format: charts::share,
        y_format: charts::share,
        height: 520,
    });
    let population = thousands(x.population);
    figure(
        b,
        &format!("chart-{id}-ppv"),
        &format!(
            "Chance that an alert of box {name} is a real target against the false-positive rate"
        ),
        &svg,
        &format!(
            "Curves at the measured recall ({}): ppv = T·recall / (T·recall + (N − T)·fpr). The triangle is this run; the disc is this box's measured false-positive rate applied to {population} people, with its 95% interval. {}",
            percent(recall),
            notes.join(" ")
        ),
    );
}

fn oversight_section(b: &mut String, r: &Report, log: &LogCheck) {
    let _ = writeln!(b, "<section id=\"oversight\">\n<h2>Oversight log</h2>");
    let _ = writeln!(
        b,
        "<p>Every authorisation, renewal, refusal, alert, identification, purge and destruction is appended to <code>oversight.jsonl</code>, each entry chained to the one before by its SHA-256 hash.</p>"
    );
    b.push_str("<dl class=\"facts\">\n");
    let _ = writeln!(
        b,
        "<dt>entries recorded</dt><dd>{}</dd>\n<dt>last hash recorded</dt><dd class=\"hash\">{}</dd>",
        thousands(r.oversight_head.entries),
        escape(&r.oversight_head.head_hash)
    );
    let status = match log {
        LogCheck::Verified {
            entries,
            matches_report,
            ..
        } => format!(
            "<span class=\"ok\">✔ verified</span>: {} entries, every hash and link checks, the log is closed{}.",
            thousands(*entries),
            if *matches_report {
                " and ends where the run recorded"
            } else {
                " (the report records no head to compare with)"
            }
        ),
        LogCheck::Failed(p) => format!(
            "<span class=\"bad\">✘ does not verify</span>: {}",
            escape(p)
        ),
        LogCheck::Unchecked(p) => {
            format!("<span class=\"bad\">? not checked</span>: {}", escape(p))
        }
    };
    let _ = writeln!(b, "<dt>verification</dt><dd>{status}</dd>\n</dl>");
    let _ = writeln!(
        b,
        "<p>Check it yourself: <code>ivraie verify-log DIR/oversight.jsonl --report DIR/report.json</code>.</p>\n</section>"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const HOSTILE: &str = "<script>alert(1)</script>\"'&";

    fn report(name: &str, judged: bool) -> Report {
        serde_json::from_value(value(name, judged)).unwrap()
    }

    fn value(name: &str, judged: bool) -> Value {
        let j = judged.then(|| {
            json!({"confusion": {"tp": 2, "fp": 9, "fn": 1, "tn": 88},
                "precision": {"value": 0.18, "lo": 0.05, "hi": 0.47},
                "recall": {"value": 0.67, "lo": 0.2, "hi": 0.94},
                "fpr": {"value": 0.093, "lo": 0.05, "hi": 0.17},
                "snr": {"true_alerts": 3, "false_alerts": 12}})
        });
        json!({
            "ivraie": "0.1.0", "scenario": name, "scenario_file": format!("{name}.toml"),
            "description": name, "seed": 1,
            "start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z",
            "traffic": {"traffic": {"packets": 10, "bytes": 1000}, "flows": 3, "subscribers": 100},
            "truth": {"roles": {"target": 3, "ordinary": 97}},
            "reference": {"population": 60000000, "targets": 1000},
            "boxes": [{
                "name": name, "system": "l851", "vantage": name, "scope": "connection",
                "threshold": 3, "window": "1w", "retention": "1d",
                "windows": [{"index": 1, "kind": "first", "start": "2026-01-01T00:00:00Z",
                    "end": "2026-01-15T00:00:00Z", "outcome": "refused", "reason": name,
                    "alerts": 15, "flagged": 11, "judged": j}],
                "stopped": "2026-01-15T00:00:00Z",
                "inspected": {"bytes": 1000, "records": 5, "subscribers": 100},
                "retained": {"bytes": 100, "peak_bytes": 50},
                "alerts": 15, "flagged": 11, "judged": j,
                "extrapolation": judged.then(|| json!({"population": 60000000, "targets": 1000,
                    "tpr": {"value": 0.67, "lo": 0.2, "hi": 0.94},
                    "fpr": {"value": 0.093, "lo": 0.05, "hi": 0.17},
                    "ppv": {"value": 0.00012, "lo": 0.00002, "hi": 0.0003}})),
                "days": [{"date": "2026-01-01", "inspected_bytes": 1000, "retained_bytes": 100,
                    "held_peak_bytes": 50, "alerts": 2, "true_alerts": 1, "false_alerts": 1},
                    {"date": "2026-01-02", "inspected_bytes": 2000, "retained_bytes": 0,
                    "held_peak_bytes": 50, "alerts": 0, "true_alerts": 0, "false_alerts": 0}]
            }],
            "oversight_head": {"entries": 12, "head_hash": name}
        })
    }

    #[test]
    fn the_header_says_roles_in_plural_and_the_seed_as_a_name() {
        let mut r = value("x", true);
        r["seed"] = 2015.into();
        r["truth"]["roles"] = json!({"target": 3, "lookalike": 20, "ordinary": 1977});
        let typed = |r: &Value| serde_json::from_value::<Report>(r.clone()).unwrap();
        let html = render(&typed(&r), &LogCheck::Unchecked("none".into()));
        assert!(
            html.contains("(seed 2015)"),
            "no thousands separator in a seed"
        );
        assert!(html.contains("20 lookalikes, 1,977 ordinary people, 3 targets"));
        r["truth"]["roles"] = json!({"target": 1, "ordinary": 1});
        let html = render(&typed(&r), &LogCheck::Unchecked("none".into()));
        assert!(html.contains("1 ordinary person, 1 target"));
        r["truth"]["roles"] = json!({});
        let html = render(&typed(&r), &LogCheck::Unchecked("none".into()));
        assert!(html.contains("none: true and false alerts cannot be told apart"));
    }

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(HOSTILE),
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"
        );
        assert_eq!(slug("Box <1> \"x\""), "box-1-x");
        assert_eq!(slug("<>"), "");
    }

    #[test]
    fn hostile_names_are_text_not_markup() {
        let html = render(&report(HOSTILE, true), &LogCheck::Failed(HOSTILE.into()));
        assert!(!html.contains("<script"), "raw <script> in the page");
        assert!(!html.contains("\"'&"), "raw quotes in the page");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
        // The box gets a fallback id, since its slug is not empty but must be safe.
        for id in chart_ids(&report(HOSTILE, true)) {
            assert!(
                id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'),
                "{id}"
            );
            assert!(html.contains(&format!("<svg id=\"{id}\"")), "{id}");
        }
    }

    #[test]
    fn every_chart_is_drawn_and_refusals_show() {
        let r = report("demo", true);
        let html = render(
            &r,
            &LogCheck::Verified {
                entries: 12,
                head_hash: "h".into(),
                matches_report: true,
            },
        );
        let ids = chart_ids(&r);
        assert_eq!(
            ids,
            [
                "chart-demo-timeline",
                "chart-demo-volume",
                "chart-demo-alerts",
                "chart-demo-people",
                "chart-demo-ppv"
            ]
        );
        for id in &ids {
            assert_eq!(
                html.matches(&format!("<svg id=\"{id}\"")).count(),
                1,
                "{id}"
            );
        }
        assert!(html.contains("renewal refused: demo"));
        assert!(html.contains("stopped 2026-01-15"));
        assert!(html.contains("For every real target flagged, 4.5 innocent people were flagged."));
        assert!(html.contains("✔ verified"));
        assert!(html.contains("default-src 'none'"));
        assert!(
            !html.contains("http://")
                || html.matches("http://").count()
                    == html.matches("http://www.w3.org/2000/svg").count()
        );
    }

    #[test]
    fn no_ground_truth_skips_the_judged_charts_and_says_why() {
        let r = report("plain", false);
        let html = render(&r, &LogCheck::Unchecked("gone".into()));
        assert_eq!(
            chart_ids(&r),
            ["chart-plain-timeline", "chart-plain-volume"]
        );
        assert!(!html.contains("chart-plain-ppv"));
        assert!(html.contains("No ground truth for this run"));
        assert!(html.contains("? not checked"));
    }

    #[test]
    fn a_report_of_another_shape_is_refused_and_a_sparse_one_renders() {
        // A mistyped field is an error for the caller to name, not a page.
        assert!(serde_json::from_value::<Report>(json!({"boxes": [{"windows": "no"}]})).is_err());
        // Fields left out (an older report) read as empty.
        let sparse: Report = serde_json::from_value(json!({"boxes": [{"name": "b"}]})).unwrap();
        let html = render(&sparse, &LogCheck::Unchecked(String::new()));
        assert!(html.contains("<h1>ivraie report: </h1>"));
        assert!(html.contains("Box b"));
        assert!(html.contains("The box never ran"));
    }

    #[test]
    fn ppv_formula() {
        assert!((ppv(60e6, 1000.0, 1.0, 0.01) - 1000.0 / (1000.0 + 599_990.0)).abs() < 1e-12);
        assert_eq!(ppv(10.0, 0.0, 1.0, 0.0), 0.0);
    }
}
