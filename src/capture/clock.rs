//! The simulated calendar: civil dates and times in UTC, without a time-zone
//! database (a simulation's clock is UTC; what a box calls "night" is a range of
//! hours of that clock).
//!
//! Conversions use the days-from-civil algorithm on the proleptic Gregorian
//! calendar, exact for any year from 0 to 9999.

/// Nanoseconds in a second, a minute, an hour and a day.
pub const NS_PER_S: i64 = 1_000_000_000;
/// Nanoseconds in an hour.
pub const NS_PER_HOUR: i64 = 3_600 * NS_PER_S;
/// Nanoseconds in a day.
pub const NS_PER_DAY: i64 = 86_400 * NS_PER_S;

/// Days since 1970-01-01 of a civil date (month 1–12, day 1–31).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = (m as i64 + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + d as i64 - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Parses `YYYY-MM-DD` (or `YYYY-MM-DDTHH:MM:SSZ`) into nanoseconds since the
/// epoch, UTC. The error says what is wrong with the text.
pub fn parse_date(s: &str) -> Result<i64, String> {
    let bad = || format!("`{s}` is not a date (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t.strip_suffix('Z').unwrap_or(t))),
        None => (s, None),
    };
    let mut parts = date.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let num = |t: &str| -> Result<u32, String> {
        if t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let (y, m, d) = (num(y)? as i64, num(m)?, num(d)?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(format!("`{s}` is not a valid calendar date"));
    }
    let mut secs = 0i64;
    if let Some(t) = time {
        let f: Vec<&str> = t.split(':').collect();
        if f.len() != 3 || f.iter().any(|x| x.len() != 2) {
            return Err(bad());
        }
        let (h, mi, se) = (num(f[0])?, num(f[1])?, num(f[2])?);
        if h > 23 || mi > 59 || se > 60 {
            return Err(format!("`{s}` is not a valid time of day"));
        }
        secs = (h * 3600 + mi * 60 + se) as i64;
    }
    // An instant is i64 nanoseconds since the epoch: years 1677 to 2262 fit.
    days_from_civil(y, m, d)
        .checked_mul(86_400)
        .and_then(|t| t.checked_add(secs))
        .and_then(|t| t.checked_mul(NS_PER_S))
        .ok_or_else(|| format!("`{s}` is out of range: dates run from 1677-09-22 to 2262-04-11"))
}

/// `2026-01-01T00:00:00Z` (whole seconds, UTC).
pub fn format_ts(ns: i64) -> String {
    let secs = ns.div_euclid(NS_PER_S);
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

/// `2026-01-01` (UTC).
pub fn format_date(ns: i64) -> String {
    let (y, m, d) = civil_from_days(ns.div_euclid(NS_PER_DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Hour of the day, 0–23 (UTC).
pub fn hour_of_day(ns: i64) -> u32 {
    (ns.rem_euclid(NS_PER_DAY) / NS_PER_HOUR) as u32
}

/// Day of the week, Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
pub fn weekday(ns: i64) -> u32 {
    (ns.div_euclid(NS_PER_DAY) + 3).rem_euclid(7) as u32
}

/// The same instant `months` calendar months later (earlier if negative) (the day clamped to the end
/// of a shorter month, as a legal deadline is: 31 December + 2 months is
/// 28 or 29 February). Past the range of an `i64` instant (2262) it saturates,
/// as a span in nanoseconds does.
pub fn add_months(ns: i64, months: i32) -> i64 {
    let day_ns = ns.rem_euclid(NS_PER_DAY);
    let (y, m, d) = civil_from_days(ns.div_euclid(NS_PER_DAY));
    let total = y * 12 + (m as i64 - 1) + months as i64;
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    let nd = d.min(days_in_month(ny, nm));
    days_from_civil(ny, nm, nd)
        .checked_mul(NS_PER_DAY)
        .and_then(|t| t.checked_add(day_ns))
        .unwrap_or(if months < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 1, 1), 20_454);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for z in [-1_000_000i64, -1, 0, 59, 60, 11_016, 20_454, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z, "{z}");
        }
    }

    #[test]
    fn parses_and_formats() {
        let t = parse_date("2026-01-01").unwrap();
        assert_eq!(t, 1_767_225_600 * NS_PER_S);
        assert_eq!(format_ts(t), "2026-01-01T00:00:00Z");
        assert_eq!(format_date(t), "2026-01-01");
        let t = parse_date("2024-02-29T23:59:07Z").unwrap();
        assert_eq!(format_ts(t), "2024-02-29T23:59:07Z");
        assert_eq!(hour_of_day(t), 23);
        assert!(
            parse_date("2026-02-29")
                .unwrap_err()
                .contains("valid calendar")
        );
        assert!(parse_date("2026-1-01").is_err());
        assert!(parse_date("yesterday").is_err());
        assert!(parse_date("2026-01-01T25:00:00Z").is_err());
    }

    // Found by the `scenario` fuzz target (tests/fuzz-regressions/
    // scenario-date-past-2262-overflowed.bin): a year whose instant does not
    // fit in i64 nanoseconds overflowed instead of being refused.
    #[test]
    fn dates_outside_the_i64_range_are_refused() {
        assert_eq!(format_date(parse_date("2262-04-11").unwrap()), "2262-04-11");
        assert_eq!(format_date(parse_date("1677-09-22").unwrap()), "1677-09-22");
        for d in [
            "2262-04-12",
            "9528-02-02",
            "9999-12-31T23:59:59Z",
            "0000-01-01",
            "1677-09-20",
        ] {
            assert!(parse_date(d).unwrap_err().contains("out of range"), "{d}");
        }
    }

    #[test]
    fn adding_months_past_2262_saturates() {
        let t = parse_date("2262-01-01").unwrap();
        assert_eq!(add_months(t, 1200), i64::MAX);
        assert_eq!(
            add_months(parse_date("1678-01-01").unwrap(), -1200),
            i64::MIN
        );
        assert_eq!(format_date(add_months(t, 3)), "2262-04-01");
    }

    #[test]
    fn weekdays_and_months() {
        // 2026-01-01 is a Thursday; 2026-01-05 a Monday.
        assert_eq!(weekday(parse_date("2026-01-01").unwrap()), 3);
        assert_eq!(weekday(parse_date("2026-01-05").unwrap()), 0);
        let jan1 = parse_date("2026-01-01").unwrap();
        assert_eq!(format_date(add_months(jan1, 2)), "2026-03-01");
        assert_eq!(format_date(add_months(jan1, 12)), "2027-01-01");
        let dec31 = parse_date("2025-12-31").unwrap();
        assert_eq!(format_date(add_months(dec31, 2)), "2026-02-28");
        assert_eq!(
            format_date(add_months(parse_date("2023-12-31").unwrap(), 2)),
            "2024-02-29"
        );
    }
}
