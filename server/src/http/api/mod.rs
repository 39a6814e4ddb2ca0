//! The JSON API under `/api/v1`, one file per resource, handlers named by verb.

pub mod activities;
pub mod audit;
pub mod checkins;
pub mod clock;
pub mod compliance;
pub mod exports;
pub mod health;
pub mod kiosk;
pub mod members;
pub mod scans;
pub mod session;
pub mod sync;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::error::ApiError;
use crate::domain::Invalid;

/// The year asked for, or the current one in the home's calendar.
pub fn year_or_current(year: Option<i16>, now: Timestamp, tz: &TimeZone) -> Result<i16, ApiError> {
    let year = year.unwrap_or_else(|| now.to_zoned_datetime(tz.clone()).year());
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(Invalid::new("year", "年份须在 2000 到 2100 之间").into())
    }
}

/// The instants a calendar year of the home spans: `[1 January 00:00, next 1 January 00:00)`.
pub fn year_span(year: i16, tz: &TimeZone) -> Result<(Timestamp, Timestamp), ApiError> {
    let start = |y: i16| {
        jiff::civil::date(y, 1, 1)
            .to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|e| ApiError::Internal(e.to_string()))
    };
    Ok((start(year)?, start(year + 1)?))
}
