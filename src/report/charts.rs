//! Charts as SVG text, drawn with plotters' SVG backend (no font library: the
//! labels stay `<text>` elements the browser renders, and plotters escapes them).
//!
//! Every chart must read in black and white (a photocopy, a projector with washed
//! out colours): series differ by dash pattern *and* marker shape, bars by fill
//! and hatching, never by colour alone. Axes carry their unit in the label.
//!
//! Log scales are drawn on a linear axis over `log10(value)` with the labels
//! converted back, which keeps one code path for every chart.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::html::escape;

/// Width of every chart, pixels (the page scales them down on small screens).
pub const WIDTH: u32 = 960;

const FONT: &str = "sans-serif";
const INK: RGBColor = RGBColor(20, 20, 20);
const GREY: RGBColor = RGBColor(150, 150, 150);
const LIGHT: RGBColor = RGBColor(225, 225, 225);

/// Colours of the series, in order; each also has its own dash and marker.
const COLOURS: [RGBColor; 5] = [
    RGBColor(20, 20, 20),
    RGBColor(31, 95, 168),
    RGBColor(181, 69, 27),
    RGBColor(46, 125, 50),
    RGBColor(106, 27, 154),
];

/// A point marker. Each series gets a different one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// Filled circle.
    Disc,
    /// Hollow triangle.
    Triangle,
    /// Hollow square.
    Square,
    /// Diagonal cross.
    Cross,
    /// Hollow circle.
    Ring,
}

/// How a line is stroked: solid, or dashes of `(dash, gap)` pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stroke {
    /// `None` for a solid line.
    pub dash: Option<(u32, u32)>,
    /// Marker drawn on some of the points.
    pub marker: Marker,
    /// Colour (redundant with dash and marker, on purpose).
    pub colour: RGBColor,
}

/// The stroke of the `i`-th series: solid/disc, dashed/triangle, dotted/square,
/// long-dashed/cross, dash/ring, then around again.
pub fn stroke(i: usize) -> Stroke {
    const DASHES: [Option<(u32, u32)>; 5] = [
        None,
        Some((10, 6)),
        Some((2, 5)),
        Some((22, 8)),
        Some((6, 3)),
    ];
    const MARKERS: [Marker; 5] = [
        Marker::Disc,
        Marker::Triangle,
        Marker::Square,
        Marker::Cross,
        Marker::Ring,
    ];
    Stroke {
        dash: DASHES[i % 5],
        marker: MARKERS[i % 5],
        colour: COLOURS[i % 5],
    }
}

/// An axis scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Values as they are.
    Linear,
    /// Powers of ten equally spaced; values ≤ 0 are left out.
    Log,
}

impl Scale {
    fn to_axis(self, v: f64) -> Option<f64> {
        match self {
            Scale::Linear => v.is_finite().then_some(v),
            Scale::Log => (v > 0.0 && v.is_finite()).then(|| v.log10()),
        }
    }
    fn from_axis(self, a: f64) -> f64 {
        match self {
            Scale::Linear => a,
            Scale::Log => 10f64.powf(a),
        }
    }
}

/// How a tick value is written.
pub type Format = fn(f64) -> String;

/// A number as people write it: `1,200`, `0.25`, `3.5e-7`.
pub fn plain(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1e6 {
        super::about(v)
    } else if a >= 100.0 || (v - v.round()).abs() < 1e-9 {
        let sign = if v < 0.0 { "-" } else { "" };
        format!("{sign}{}", super::thousands(v.round().abs() as u64))
    } else if a >= 0.01 {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.1e}")
    }
}

/// `3.4 MB`.
pub fn bytes(v: f64) -> String {
    super::bytes(v.max(0.0).round() as u64)
}

/// `0.1%`, `1%`, `100%`.
pub fn share(v: f64) -> String {
    let p = v * 100.0;
    if p >= 1.0 {
        format!("{p:.0}%")
    } else {
        let s = format!("{p:.6}");
        format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// A simulated date from days since the epoch: `2026-03-01`.
pub fn date(days: f64) -> String {
    crate::capture::clock::format_date((days * 86_400.0) as i64 * 1_000_000_000)
}

/// A labelled point drawn over the lines, with optional 95% interval bars.
#[derive(Clone, Debug)]
pub struct Point {
    /// Where (data values).
    pub x: f64,
    /// Where (data values).
    pub y: f64,
    /// Text written beside it.
    pub label: String,
    /// Its marker (drawn large).
    pub marker: Marker,
    /// Horizontal interval `(lo, hi)`.
    pub x_interval: Option<(f64, f64)>,
    /// Vertical interval `(lo, hi)`.
    pub y_interval: Option<(f64, f64)>,
}

/// Everything a line chart needs.
#[derive(Clone, Debug)]
pub struct LineChart<'a> {
    /// Caption.
    pub title: &'a str,
    /// Horizontal axis label, with its unit.
    pub x_label: &'a str,
    /// Vertical axis label, with its unit.
    pub y_label: &'a str,
    /// Named series of `(x, y)` points.
    pub series: &'a [(String, Vec<(f64, f64)>)],
    /// Points drawn over the series.
    pub points: &'a [Point],
    /// Scales.
    pub x_scale: Scale,
    /// Scales.
    pub y_scale: Scale,
    /// Fixed ranges (data values); otherwise from the data.
    pub x_range: Option<(f64, f64)>,
    /// Fixed ranges (data values); otherwise from the data.
    pub y_range: Option<(f64, f64)>,
    /// Tick text.
    pub x_format: Format,
    /// Tick text.
    pub y_format: Format,
    /// Height in pixels.
    pub height: u32,
}

/// A line chart with linear axes: one line per series, each with its own dash
/// pattern and marker (legible in black and white), a legend above the plot,
/// axis labels (put the unit in them) and, if given, a fixed vertical range.
/// Returns an `<svg>` element (no XML declaration), ready to inline in HTML.
pub fn lines_svg(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
    y_range: Option<(f64, f64)>,
) -> String {
    line_chart(&LineChart {
        title,
        x_label,
        y_label,
        series,
        points: &[],
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        x_range: None,
        y_range,
        x_format: plain,
        y_format: plain,
        height: 440,
    })
}

/// Adds `id`, `role="img"` and an `aria-label` to a chart's `<svg>` tag.
pub fn with_id(svg: &str, id: &str, label: &str) -> String {
    match svg.find("<svg") {
        Some(i) => format!(
            "{}<svg id=\"{}\" role=\"img\" aria-label=\"{}\"{}",
            &svg[..i],
            escape(id),
            escape(label),
            &svg[i + 4..]
        ),
        None => svg.to_string(),
    }
}

/// What a drawing error becomes: a chart-sized SVG saying so, rather than a
/// page without the chart.
fn failed(title: &str, e: &str, height: u32) -> String {
    format!(
        "<svg width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" xmlns=\"http://www.w3.org/2000/svg\"><text x=\"20\" y=\"40\" font-family=\"sans-serif\" font-size=\"18\">{}: chart could not be drawn ({})</text></svg>",
        escape(title),
        escape(e)
    )
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Res = Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws `marker` centred on a pixel.
fn draw_marker(area: &Area, at: (i32, i32), m: Marker, colour: RGBColor, size: i32) -> Res {
    let line = ShapeStyle::from(colour).stroke_width(2);
    let fill = ShapeStyle::from(colour).filled();
    let (x, y) = at;
    match m {
        Marker::Disc => area.draw(&Circle::new(at, size, fill)),
        Marker::Ring => area.draw(&Circle::new(at, size, line)),
        Marker::Square => area.draw(&Rectangle::new(
            [(x - size, y - size), (x + size, y + size)],
            line,
        )),
        Marker::Triangle => area
            .draw(&Polygon::new(
                vec![
                    (x, y - size - 1),
                    (x + size + 1, y + size),
                    (x - size - 1, y + size),
                ],
                ShapeStyle::from(WHITE).filled(),
            ))
            .and_then(|_| {
                area.draw(&PathElement::new(
                    vec![
                        (x, y - size - 1),
                        (x + size + 1, y + size),
                        (x - size - 1, y + size),
                        (x, y - size - 1),
                    ],
                    line,
                ))
            }),
        Marker::Cross => area
            .draw(&PathElement::new(
                vec![(x - size, y - size), (x + size, y + size)],
                line,
            ))
            .and_then(|_| {
                area.draw(&PathElement::new(
                    vec![(x - size, y + size), (x + size, y - size)],
                    line,
                ))
            }),
    }
    .map_err(err)
}

/// A polyline in pixels, solid or dashed.
fn draw_line(area: &Area, pts: Vec<(i32, i32)>, s: Stroke, width: u32) -> Res {
    let style = ShapeStyle::from(s.colour).stroke_width(width);
    match s.dash {
        None => area.draw(&PathElement::new(pts, style)),
        Some((d, g)) => area.draw(&DashedPathElement::new(pts.into_iter(), d, g, style)),
    }
    .map_err(err)
}

/// 45° hatching inside a pixel rectangle.
fn hatch(area: &Area, (x0, y0): (i32, i32), (x1, y1): (i32, i32), colour: RGBColor) -> Res {
    let (x0, x1) = (x0.min(x1), x0.max(x1));
    let (y0, y1) = (y0.min(y1), y0.max(y1));
    let h = y1 - y0;
    let style = ShapeStyle::from(colour).stroke_width(1);
    let mut c = x0 - h;
    while c < x1 {
        // Along the line: x = c + t, y = y1 - t, for t in [0, h].
        let t0 = (x0 - c).max(0);
        let t1 = (x1 - c).min(h);
        if t0 < t1 {
            area.draw(&PathElement::new(
                vec![(c + t0, y1 - t0), (c + t1, y1 - t1)],
                style,
            ))
            .map_err(err)?;
        }
        c += 9;
    }
    Ok(())
}

fn text(area: &Area, s: &str, at: (i32, i32), size: u32) -> Res {
    area.draw(&Text::new(
        s.to_string(),
        at,
        (FONT, size).into_font().color(&INK),
    ))
    .map_err(err)
}

fn bold(area: &Area, s: &str, at: (i32, i32), size: u32) -> Res {
    area.draw(&Text::new(
        s.to_string(),
        at,
        (FONT, size, FontStyle::Bold).into_font().color(&INK),
    ))
    .map_err(err)
}

/// Title and legend in a band above the plot; returns the band's height.
fn header(area: &Area, title: &str, legend: &[(String, Stroke, bool)]) -> Result<i32, String> {
    bold(area, title, (16, 10), 22)?;
    let mut x = 16;
    let mut y = 48;
    for (name, s, line) in legend {
        let w = 60 + 9 * name.chars().count() as i32;
        if x + w > WIDTH as i32 - 10 && x > 16 {
            x = 16;
            y += 26;
        }
        if *line {
            draw_line(area, vec![(x, y), (x + 40, y)], *s, 3)?;
        }
        draw_marker(area, (x + 20, y), s.marker, s.colour, 6)?;
        text(area, name, (x + 50, y - 9), 17)?;
        x += w;
    }
    Ok(y + 22)
}

fn range_of(vals: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if log {
        // Whole decades, so that the ticks fall on powers of ten.
        let (a, b) = (lo.floor(), hi.ceil());
        return if a == b { (a - 1.0, b) } else { (a, b) };
    }
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.04;
    (lo - pad, hi + pad)
}

/// A line chart as SVG (see [`LineChart`]).
pub fn line_chart(c: &LineChart) -> String {
    let mut svg = String::new();
    let r = draw_lines(&mut svg, c);
    match r {
        Ok(()) => svg,
        Err(e) => failed(c.title, &e, c.height),
    }
}

fn draw_lines(svg: &mut String, c: &LineChart) -> Res {
    let root = SVGBackend::with_string(svg, (WIDTH, c.height)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let axis: Vec<(usize, Vec<(f64, f64)>)> = c
        .series
        .iter()
        .enumerate()
        .map(|(i, (_, pts))| {
            (
                i,
                pts.iter()
                    .filter_map(|&(x, y)| Some((c.x_scale.to_axis(x)?, c.y_scale.to_axis(y)?)))
                    .collect(),
            )
        })
        .collect();
    let legend: Vec<(String, Stroke, bool)> = c
        .series
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.clone(), stroke(i), true))
        .collect();
    let top = header(&root, c.title, &legend)?;
    let (_, plot) = root.split_vertically(top);
    let fixed = |r: Option<(f64, f64)>, s: Scale| {
        r.and_then(|(a, b)| Some((s.to_axis(a)?, s.to_axis(b)?)))
            .filter(|(a, b)| a < b)
    };
    let pts_x = axis.iter().flat_map(|(_, p)| p.iter().map(|q| q.0));
    let pts_y = axis.iter().flat_map(|(_, p)| p.iter().map(|q| q.1));
    let extra_x = c.points.iter().filter_map(|p| c.x_scale.to_axis(p.x));
    let extra_y = c.points.iter().filter_map(|p| c.y_scale.to_axis(p.y));
    let xr = fixed(c.x_range, c.x_scale)
        .unwrap_or_else(|| range_of(pts_x.chain(extra_x), c.x_scale == Scale::Log));
    let yr = fixed(c.y_range, c.y_scale)
        .unwrap_or_else(|| range_of(pts_y.chain(extra_y), c.y_scale == Scale::Log));
    let (xs, ys, xf, yf) = (c.x_scale, c.y_scale, c.x_format, c.y_format);
    let x_fmt = move |a: &f64| tick(xs, xf, *a);
    let y_fmt = move |a: &f64| tick(ys, yf, *a);
    let mut chart = ChartBuilder::on(&plot)
        .margin_left(12)
        .margin_right(28)
        .margin_bottom(8)
        .margin_top(6)
        .x_label_area_size(62)
        .y_label_area_size(100)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
        .map_err(err)?;
    let n_ticks = |r: (f64, f64), s: Scale| match s {
        Scale::Log => ((r.1 - r.0).round() as usize + 1).clamp(2, 12),
        Scale::Linear => 8,
    };
    chart
        .configure_mesh()
        .x_labels(n_ticks(xr, xs))
        .y_labels(n_ticks(yr, ys))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(c.x_label)
        .y_desc(c.y_label)
        .label_style((FONT, 15).into_font().color(&INK))
        .axis_desc_style((FONT, 17).into_font().color(&INK))
        .light_line_style(LIGHT.mix(0.6))
        .bold_line_style(LIGHT)
        .axis_style(INK)
        .draw()
        .map_err(err)?;
    let to_px = |p: &(f64, f64)| chart.backend_coord(p);
    let clip = chart.plotting_area().get_pixel_range();
    let inside = |(x, y): (i32, i32)| clip.0.contains(&x) && clip.1.contains(&y);
    for (i, pts) in &axis {
        let s = stroke(*i);
        let px: Vec<(i32, i32)> = pts.iter().map(to_px).collect();
        if px.len() > 1 {
            draw_line(&root, px.clone(), s, 3)?;
        }
        // A marker every few points (offset per series so they do not stack).
        let every = px.len().div_ceil(14).max(1);
        for (k, p) in px.iter().enumerate() {
            if (k + i * every / 3) % every == 0 || px.len() == 1 {
                draw_marker(&root, *p, s.marker, s.colour, 5)?;
            }
        }
    }
    for p in c.points {
        let (Some(x), Some(y)) = (xs.to_axis(p.x), ys.to_axis(p.y)) else {
            continue;
        };
        let at = to_px(&(x, y));
        if !inside(at) {
            continue;
        }
        let bar = ShapeStyle::from(INK).stroke_width(2);
        if let Some((lo, hi)) = p.y_interval {
            if let (Some(a), Some(b)) = (ys.to_axis(lo.max(1e-300)), ys.to_axis(hi)) {
                let (pa, pb) = (to_px(&(x, a.max(yr.0))), to_px(&(x, b.min(yr.1))));
                root.draw(&PathElement::new(vec![pa, pb], bar))
                    .map_err(err)?;
                for q in [pa, pb] {
                    root.draw(&PathElement::new(vec![(q.0 - 6, q.1), (q.0 + 6, q.1)], bar))
                        .map_err(err)?;
                }
            }
        }
        if let Some((lo, hi)) = p.x_interval {
            if let (Some(a), Some(b)) = (xs.to_axis(lo.max(1e-300)), xs.to_axis(hi)) {
                let (pa, pb) = (to_px(&(a.max(xr.0), y)), to_px(&(b.min(xr.1), y)));
                root.draw(&PathElement::new(vec![pa, pb], bar))
                    .map_err(err)?;
                for q in [pa, pb] {
                    root.draw(&PathElement::new(vec![(q.0, q.1 - 6), (q.0, q.1 + 6)], bar))
                        .map_err(err)?;
                }
            }
        }
        draw_marker(&root, at, p.marker, INK, 9)?;
        // The label on the side with room.
        let right = at.0 < (clip.0.start + clip.0.end) / 2;
        let w = 9 * p.label.chars().count() as i32;
        let lx = if right { at.0 + 16 } else { at.0 - 16 - w };
        let ly = (at.1 - 30).max(clip.1.start + 2);
        root.draw(&Rectangle::new(
            [(lx - 4, ly - 2), (lx + w + 4, ly + 22)],
            ShapeStyle::from(WHITE.mix(0.85)).filled(),
        ))
        .map_err(err)?;
        bold(&root, &p.label, (lx, ly), 17)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// Tick text on an axis; on a log axis only whole powers of ten are labelled.
fn tick(s: Scale, f: Format, a: f64) -> String {
    match s {
        Scale::Linear => f(a),
        Scale::Log if (a - a.round()).abs() < 1e-6 => f(s.from_axis(a.round())),
        Scale::Log => String::new(),
    }
}

/// One authorisation window on the timeline.
#[derive(Clone, Debug)]
pub struct Span {
    /// Start, days since the epoch.
    pub start: f64,
    /// End, days since the epoch.
    pub end: f64,
    /// First line of text (`window 1 (first)`).
    pub label: String,
    /// Second line (`renewed`, `refused: ...`, `open`).
    pub outcome: String,
    /// How it is drawn.
    pub kind: SpanKind,
}

/// How a window ended, which sets its fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    /// Renewed: grey fill.
    Renewed,
    /// Refused: hatched.
    Refused,
    /// Still open: white with a dashed outline.
    Open,
}

/// The warrant timeline: the traffic's span in one lane, the windows in
/// another, and a marked stop date.
pub fn timeline_svg(
    title: &str,
    traffic: (f64, f64),
    windows: &[Span],
    stopped: Option<f64>,
) -> String {
    let mut svg = String::new();
    match draw_timeline(&mut svg, title, traffic, windows, stopped) {
        Ok(()) => svg,
        Err(e) => failed(title, &e, 300),
    }
}

fn draw_timeline(
    svg: &mut String,
    title: &str,
    traffic: (f64, f64),
    windows: &[Span],
    stopped: Option<f64>,
) -> Res {
    let root = SVGBackend::with_string(svg, (WIDTH, 300)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let legend = [
        ("renewed".to_string(), SpanKind::Renewed),
        ("renewal refused".to_string(), SpanKind::Refused),
        ("open when the traffic ended".to_string(), SpanKind::Open),
    ];
    bold(&root, title, (16, 10), 22)?;
    let mut x = 16;
    for (name, k) in &legend {
        swatch(&root, (x, 40), (x + 34, 58), *k)?;
        text(&root, name, (x + 42, 40), 17)?;
        x += 70 + 9 * name.chars().count() as i32;
    }
    let (_, plot) = root.split_vertically(72);
    let lo = windows.iter().map(|w| w.start).fold(traffic.0, f64::min);
    let hi = windows.iter().map(|w| w.end).fold(traffic.1, f64::max);
    let pad = ((hi - lo) * 0.02).max(0.5);
    let mut chart = ChartBuilder::on(&plot)
        .margin_left(12)
        .margin_right(28)
        .x_label_area_size(62)
        .y_label_area_size(100)
        .build_cartesian_2d(lo - pad..hi + pad, 0.0..2.0)
        .map_err(err)?;
    let x_fmt = |d: &f64| date(*d);
    let y_fmt = |v: &f64| match (*v * 2.0).round() as i32 {
        1 => "traffic".to_string(),
        3 => "windows".to_string(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_labels(7)
        .y_labels(5)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc("simulated date (UTC)")
        .label_style((FONT, 15).into_font().color(&INK))
        .axis_desc_style((FONT, 17).into_font().color(&INK))
        .light_line_style(LIGHT.mix(0.6))
        .bold_line_style(LIGHT)
        .axis_style(INK)
        .draw()
        .map_err(err)?;
    let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
    // The traffic lane.
    let (a, b) = (px(traffic.0, 0.3), px(traffic.1, 0.7));
    root.draw(&Rectangle::new([a, b], ShapeStyle::from(INK).filled()))
        .map_err(err)?;
    // The windows lane.
    for w in windows {
        let (a, b) = (px(w.start, 1.1), px(w.end, 1.9));
        swatch(&root, a, b, w.kind)?;
        let room = (b.0 - a.0 - 10).max(0) as usize / 9;
        let fit = |s: &str| -> String {
            if s.chars().count() <= room {
                s.to_string()
            } else if room > 1 {
                s.chars().take(room - 1).chain(['…']).collect()
            } else {
                String::new()
            }
        };
        let (tx, ty) = (a.0 + 6, b.1 + 4);
        label_box(&root, &fit(&w.label), (tx, ty), true)?;
        label_box(&root, &fit(&w.outcome), (tx, ty + 24), false)?;
    }
    if let Some(s) = stopped {
        let (a, b) = (px(s, 0.0), px(s, 2.0));
        root.draw(&PathElement::new(
            vec![a, b],
            ShapeStyle::from(INK).stroke_width(4),
        ))
        .map_err(err)?;
        let t = format!("stopped {}", date(s));
        let w = 9 * t.chars().count() as i32;
        let x = if a.0 + w + 8 > WIDTH as i32 {
            a.0 - w - 8
        } else {
            a.0 + 6
        };
        label_box(&root, &t, (x, b.1 + 2), true)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

fn label_box(area: &Area, s: &str, at: (i32, i32), strong: bool) -> Res {
    if s.is_empty() {
        return Ok(());
    }
    let w = 9 * s.chars().count() as i32;
    area.draw(&Rectangle::new(
        [(at.0 - 3, at.1 - 1), (at.0 + w + 3, at.1 + 20)],
        ShapeStyle::from(WHITE).filled(),
    ))
    .map_err(err)?;
    if strong {
        bold(area, s, at, 16)
    } else {
        text(area, s, at, 16)
    }
}

fn swatch(area: &Area, a: (i32, i32), b: (i32, i32), k: SpanKind) -> Res {
    let outline = ShapeStyle::from(INK).stroke_width(2);
    match k {
        SpanKind::Renewed => {
            area.draw(&Rectangle::new([a, b], ShapeStyle::from(GREY).filled()))
                .map_err(err)?;
            area.draw(&Rectangle::new([a, b], outline)).map_err(err)
        }
        SpanKind::Refused => {
            area.draw(&Rectangle::new([a, b], ShapeStyle::from(WHITE).filled()))
                .map_err(err)?;
            hatch(area, a, b, INK)?;
            area.draw(&Rectangle::new([a, b], outline)).map_err(err)
        }
        SpanKind::Open => {
            area.draw(&Rectangle::new([a, b], ShapeStyle::from(WHITE).filled()))
                .map_err(err)?;
            let ring = vec![a, (b.0, a.1), b, (a.0, b.1), a];
            area.draw(&DashedPathElement::new(ring.into_iter(), 8, 5, outline))
                .map_err(err)
        }
    }
}

/// Stacked bars: per category, a solid bottom part and a hatched top part.
pub fn stacked_bars_svg(
    title: &str,
    y_label: &str,
    names: (&str, &str),
    bars: &[(String, u64, u64)],
) -> String {
    let mut svg = String::new();
    match draw_bars(&mut svg, title, y_label, names, bars) {
        Ok(()) => svg,
        Err(e) => failed(title, &e, 400),
    }
}

fn draw_bars(
    svg: &mut String,
    title: &str,
    y_label: &str,
    names: (&str, &str),
    bars: &[(String, u64, u64)],
) -> Res {
    let root = SVGBackend::with_string(svg, (WIDTH, 400)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    bold(&root, title, (16, 10), 22)?;
    root.draw(&Rectangle::new(
        [(16, 40), (50, 58)],
        ShapeStyle::from(INK).filled(),
    ))
    .map_err(err)?;
    text(&root, names.0, (58, 40), 17)?;
    let x2 = 100 + 9 * names.0.chars().count() as i32;
    root.draw(&Rectangle::new(
        [(x2, 40), (x2 + 34, 58)],
        ShapeStyle::from(WHITE).filled(),
    ))
    .map_err(err)?;
    hatch(&root, (x2, 40), (x2 + 34, 58), INK)?;
    root.draw(&Rectangle::new(
        [(x2, 40), (x2 + 34, 58)],
        ShapeStyle::from(INK).stroke_width(2),
    ))
    .map_err(err)?;
    text(&root, names.1, (x2 + 42, 40), 17)?;
    let (_, plot) = root.split_vertically(72);
    let n = bars.len().max(1) as f64;
    let top = bars.iter().map(|b| b.1 + b.2).max().unwrap_or(0).max(1) as f64 * 1.15;
    let mut chart = ChartBuilder::on(&plot)
        .margin_left(12)
        .margin_right(28)
        .x_label_area_size(62)
        .y_label_area_size(100)
        .build_cartesian_2d(0.4..n + 0.6, 0.0..top)
        .map_err(err)?;
    let y_fmt = |v: &f64| plain(*v);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&y_fmt)
        .y_desc(y_label)
        .label_style((FONT, 15).into_font().color(&INK))
        .axis_desc_style((FONT, 17).into_font().color(&INK))
        .light_line_style(LIGHT.mix(0.6))
        .bold_line_style(LIGHT)
        .axis_style(INK)
        .draw()
        .map_err(err)?;
    let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
    let half = 0.32f64.min(0.45 / n.sqrt());
    for (i, (name, a, b)) in bars.iter().enumerate() {
        let x = i as f64 + 1.0;
        let (p0, p1) = (px(x - half, 0.0), px(x + half, *a as f64));
        root.draw(&Rectangle::new([p0, p1], ShapeStyle::from(INK).filled()))
            .map_err(err)?;
        let (q0, q1) = (px(x - half, *a as f64), px(x + half, (*a + *b) as f64));
        if b > &0 {
            root.draw(&Rectangle::new([q0, q1], ShapeStyle::from(WHITE).filled()))
                .map_err(err)?;
            hatch(&root, q0, q1, INK)?;
            root.draw(&Rectangle::new(
                [q0, q1],
                ShapeStyle::from(INK).stroke_width(2),
            ))
            .map_err(err)?;
        }
        let counts = format!("{} + {}", super::thousands(*a), super::thousands(*b));
        let w = 9 * counts.chars().count() as i32;
        let c = px(x, (*a + *b) as f64);
        bold(&root, &counts, (c.0 - w / 2, c.1 - 24), 17)?;
        let below = px(x, 0.0);
        let w = 9 * name.chars().count() as i32;
        text(&root, name, (below.0 - w / 2, below.1 + 10), 16)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// One mark per flagged person: filled discs for real targets, hollow squares
/// for innocent people; past `MAX_MARKS` people a mark stands for several.
pub fn people_svg(title: &str, tp: u64, fp: u64, fn_: u64, tn: u64) -> String {
    let mut svg = String::new();
    match draw_people(&mut svg, title, tp, fp, fn_, tn) {
        Ok(()) => svg,
        Err(e) => failed(title, &e, 300),
    }
}

/// Most marks drawn; above it one mark stands for several people.
pub const MAX_MARKS: u64 = 1200;

/// People per mark, and the chart's height, for `flagged` people.
fn people_layout(flagged: u64) -> (u64, i32, i32, i32) {
    let per = flagged.div_ceil(MAX_MARKS).max(1);
    let marks = flagged.div_ceil(per) as i32;
    let cell = if marks <= 60 {
        34
    } else if marks <= 300 {
        22
    } else {
        14
    };
    let cols = (WIDTH as i32 - 40) / cell;
    let rows = (marks + cols - 1) / cols.max(1);
    (per, cell, cols, rows.max(1))
}

fn draw_people(svg: &mut String, title: &str, tp: u64, fp: u64, fn_: u64, tn: u64) -> Res {
    let (per, cell, cols, rows) = people_layout(tp + fp);
    let height = (150 + rows * cell + 70) as u32;
    let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    bold(&root, title, (16, 10), 22)?;
    let r = (cell / 2 - 3).max(3);
    let unit = if per == 1 {
        String::new()
    } else {
        format!(" (one mark = {per} people)")
    };
    draw_marker(&root, (30, 52), Marker::Disc, INK, 8)?;
    let t1 = format!("real target flagged: {}", super::thousands(tp));
    text(&root, &t1, (48, 42), 18)?;
    let x2 = 90 + 10 * t1.chars().count() as i32;
    draw_marker(&root, (x2, 52), Marker::Square, INK, 7)?;
    text(
        &root,
        &format!("innocent person flagged: {}{unit}", super::thousands(fp)),
        (x2 + 18, 42),
        18,
    )?;
    let mtp = tp.div_ceil(per) as i32;
    let mfp = (tp + fp).div_ceil(per) as i32 - mtp;
    for k in 0..(mtp + mfp) {
        let (row, col) = (k / cols, k % cols);
        let at = (30 + col * cell + cell / 2, 90 + row * cell + cell / 2);
        if k < mtp {
            draw_marker(&root, at, Marker::Disc, INK, r)?;
        } else {
            draw_marker(&root, at, Marker::Square, INK, r - 1)?;
        }
    }
    if tp + fp == 0 {
        text(&root, "no one was flagged", (30, 90), 18)?;
    }
    let y = 90 + rows * cell + 24;
    text(
        &root,
        &format!(
            "not flagged: {} real target{} missed, {} innocent people left alone",
            super::thousands(fn_),
            if fn_ == 1 { "" } else { "s" },
            super::thousands(tn)
        ),
        (30, y),
        18,
    )?;
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_differ_without_colour() {
        for i in 0..5 {
            for j in 0..i {
                assert_ne!(stroke(i).dash, stroke(j).dash, "{i} {j}");
                assert_ne!(stroke(i).marker, stroke(j).marker, "{i} {j}");
            }
        }
    }

    #[test]
    fn lines_svg_is_text_svg_with_labels_and_dashes() {
        let series = vec![
            (
                "first <a>".to_string(),
                vec![(0.0, 1.0), (1.0, 2.0), (2.0, 1.5)],
            ),
            (
                "second".to_string(),
                vec![(0.0, 0.5), (1.0, 0.7), (2.0, 0.9)],
            ),
        ];
        let svg = lines_svg(
            "Title & co",
            "threshold (events)",
            "precision (share)",
            &series,
            Some((0.0, 3.0)),
        );
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.contains("Title &amp; co"));
        assert!(svg.contains("first &lt;a&gt;"));
        assert!(!svg.contains("<a>"));
        assert!(svg.contains("threshold (events)"));
        assert!(svg.contains("precision (share)"));
        // The second series is dashed: plotters draws dashes as many short paths.
        let paths = svg.matches("<polyline").count()
            + svg.matches("<line").count()
            + svg.matches("<path").count();
        assert!(paths > 10, "{paths}");
        let tagged = with_id(&svg, "chart-x", "a \"chart\"");
        assert!(
            tagged
                .starts_with("<svg id=\"chart-x\" role=\"img\" aria-label=\"a &quot;chart&quot;\"")
        );
    }

    #[test]
    fn log_axes_label_powers_of_ten_only() {
        assert_eq!(tick(Scale::Log, bytes, 6.0), "1.0 MB");
        assert_eq!(tick(Scale::Log, bytes, 6.5), "");
        assert_eq!(tick(Scale::Linear, plain, 2.0), "2");
        assert_eq!(Scale::Log.to_axis(0.0), None);
        assert_eq!(range_of([2.3, 4.1].into_iter(), true), (2.0, 5.0));
    }

    #[test]
    fn people_marks_are_capped() {
        assert_eq!(people_layout(26).0, 1);
        let (per, _, cols, rows) = people_layout(100_000);
        assert_eq!(per, 100_000u64.div_ceil(MAX_MARKS));
        assert!((cols * rows) as u64 * per >= 100_000);
        let svg = people_svg("Who was flagged", 3, 23, 0, 1974);
        assert!(svg.contains("real target flagged: 3"));
        assert!(svg.contains("innocent person flagged: 23"));
        assert!(svg.contains("1,974 innocent people left alone"));
        assert_eq!(svg.matches("<circle").count(), 3 + 1);
    }

    #[test]
    fn plain_numbers() {
        assert_eq!(plain(0.0), "0");
        assert_eq!(plain(1200.0), "1,200");
        assert_eq!(plain(0.25), "0.25");
        assert_eq!(plain(-3.0), "-3");
        assert_eq!(share(0.001), "0.1%");
        assert_eq!(share(0.5), "50%");
    }
}
