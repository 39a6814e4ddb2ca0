//! Calendar years in the home's time zone: which year a question is about, and the instants it
//! spans. Every yearly figure (the dashboard, the ledger, the hub's evaluation) asks these.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::Invalid;

/// An instant as RFC 3339 with the home's offset (`2026-05-12T10:00:00+08:00`), as the API
/// and the audit log write times.
pub fn rfc3339(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// The years kejia answers for: a home's records start this century.
const YEARS: std::ops::RangeInclusive<i16> = 2000..=2100;

/// The year asked for, or the current one in the home's calendar.
pub fn year_or_current(year: Option<i16>, now: Timestamp, tz: &TimeZone) -> Result<i16, Invalid> {
    let year = year.unwrap_or_else(|| now.to_zoned_datetime(tz.clone()).year());
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(out_of_range())
    }
}

/// The instants a calendar year of the home spans: `[1 January 00:00, next 1 January 00:00)`.
pub fn year_span(year: i16, tz: &TimeZone) -> Result<(Timestamp, Timestamp), Invalid> {
    let start = |y: i16| {
        jiff::civil::date(y, 1, 1)
            .to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| out_of_range())
    };
    Ok((start(year)?, start(year + 1)?))
}

fn out_of_range() -> Invalid {
    Invalid::new("year", "年份须在 2000 到 2100 之间")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_spans_from_new_year_to_new_year_in_the_homes_zone() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let (from, until) = year_span(2026, &tz).unwrap();
        assert_eq!(from.to_string(), "2025-12-31T16:00:00Z");
        assert_eq!(until.to_string(), "2026-12-31T16:00:00Z");
    }

    #[test]
    fn the_current_year_is_the_homes_and_far_years_are_refused() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        // 31 December 17:00 UTC is already 1 January in Yiyang.
        let now: Timestamp = "2026-12-31T17:00:00Z".parse().unwrap();
        assert_eq!(year_or_current(None, now, &tz).unwrap(), 2027);
        assert_eq!(year_or_current(Some(2025), now, &tz).unwrap(), 2025);
        assert!(year_or_current(Some(1999), now, &tz).is_err());
        assert!(year_or_current(Some(2101), now, &tz).is_err());
    }
}
