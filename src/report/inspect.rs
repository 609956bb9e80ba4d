//! The human summary of `ivraie inspect`.

use std::io::{self, Write};

use crate::capture::clock::civil_from_days;
use crate::pipeline::Summary;

/// The human summary of `ivraie inspect`.
pub fn write_summary(w: &mut impl Write, s: &Summary) -> io::Result<()> {
    let t = &s.traffic;
    writeln!(w, "inputs       {}", s.inputs.len())?;
    for p in &s.skipped {
        writeln!(w, "  skipped    {p} (not a capture)")?;
    }
    writeln!(w, "packets      {}", t.packets)?;
    writeln!(
        w,
        "bytes        {} on the wire, {} captured",
        t.bytes, t.captured_bytes
    )?;
    match (t.first_ts, t.last_ts) {
        (Some(a), Some(b)) => writeln!(
            w,
            "time span    {} .. {} ({:.3} s)",
            format_ts(a),
            format_ts(b),
            b - a
        )?,
        _ => writeln!(w, "time span    -")?,
    }
    let list = |m: &mut dyn Iterator<Item = (String, u64)>| {
        m.map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(
        w,
        "link types   {}",
        list(&mut t.link_types.iter().map(|(k, v)| (k.clone(), *v)))
    )?;
    writeln!(
        w,
        "protocols    {}",
        list(&mut t.protocols.iter().map(|(k, v)| (k.to_string(), *v)))
    )?;
    writeln!(
        w,
        "flows        {} ({} evicted, peak {} held)",
        s.flows, s.flows_evicted, s.flows_peak
    )?;
    let mut apps: Vec<_> = s.apps.iter().collect();
    apps.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    writeln!(
        w,
        "applications {}",
        list(&mut apps.iter().map(|(k, v)| (k.to_string(), **v)))
    )?;
    if !s.records.is_empty() {
        writeln!(
            w,
            "records      {}",
            list(&mut s.records.iter().map(|(k, v)| (k.to_string(), *v)))
        )?;
    }
    writeln!(w, "subscribers  {}", s.subscribers)?;
    if !s.top_talkers.is_empty() {
        writeln!(
            w,
            "top talkers{}",
            if s.talkers_capped {
                " (approximate)"
            } else {
                ""
            }
        )?;
        for tk in &s.top_talkers {
            writeln!(
                w,
                "  {:<40} {:>14} bytes {:>10} packets {:>8} flows",
                tk.addr, tk.bytes, tk.packets, tk.flows
            )?;
        }
    }
    if t.anomalies.is_empty() {
        writeln!(w, "anomalies    none")?;
    } else {
        writeln!(w, "anomalies")?;
        for (k, v) in &t.anomalies {
            writeln!(w, "  {k:<24} {v}")?;
        }
    }
    for e in &s.errors {
        writeln!(w, "error        {}", e.message)?;
    }
    Ok(())
}

/// Formats seconds since the epoch as UTC `YYYY-MM-DD HH:MM:SS.ffffff`.
pub fn format_ts(secs: f64) -> String {
    let total_us = (secs * 1e6).round() as i64;
    let (s, us) = (
        total_us.div_euclid(1_000_000),
        total_us.rem_euclid(1_000_000),
    );
    let (days, rem) = (s.div_euclid(86_400), s.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{us:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_ts_is_utc_calendar() {
        assert_eq!(format_ts(0.0), "1970-01-01 00:00:00.000000");
        assert_eq!(format_ts(1_700_000_000.5), "2023-11-14 22:13:20.500000");
        assert_eq!(format_ts(951_782_400.0), "2000-02-29 00:00:00.000000");
    }
}
