//! When the nightly backup runs: once a day at a quiet hour of the home's calendar (03:30,
//! when no activity runs and nobody checks in), and at start when the newest backup is older
//! than a day (a box that is switched off at night never reaches 03:30).

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// The quiet hour and minute, in the home's time zone.
pub const QUIET: (i8, i8) = (3, 30);

/// A backup older than this is taken again at start.
pub const STALE_AT_START: SignedDuration = SignedDuration::from_hours(24);

/// The next quiet time strictly after `now`.
pub fn next_run(now: Timestamp, tz: &TimeZone) -> Timestamp {
    let fallback = now + SignedDuration::from_hours(24);
    let zoned = now.to_zoned_datetime(tz.clone());
    let mut day = zoned.date();
    for _ in 0..3 {
        let at = day
            .at(QUIET.0, QUIET.1, 0, 0)
            .to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp());
        match at {
            Ok(at) if at > now => return at,
            Ok(_) => {}
            Err(_) => return fallback,
        }
        day = match day.tomorrow() {
            Ok(next) => next,
            Err(_) => return fallback,
        };
    }
    fallback
}

/// Whether a start finds the newest backup (if any) too old.
pub fn due_at_start(newest: Option<Timestamp>, now: Timestamp) -> bool {
    newest.is_none_or(|at| now.duration_since(at) > STALE_AT_START)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn the_next_run_is_the_next_half_past_three_of_the_homes_night() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        // 02:00 in Shanghai: tonight's 03:30 is still ahead.
        assert_eq!(
            next_run(at("2026-12-01T18:00:00Z"), &tz),
            at("2026-12-01T19:30:00Z")
        );
        // Exactly 03:30: the next one is tomorrow's.
        assert_eq!(
            next_run(at("2026-12-01T19:30:00Z"), &tz),
            at("2026-12-02T19:30:00Z")
        );
        // 10:00 in Shanghai.
        assert_eq!(
            next_run(at("2026-12-02T02:00:00Z"), &tz),
            at("2026-12-02T19:30:00Z")
        );
        let utc = TimeZone::UTC;
        assert_eq!(
            next_run(at("2026-12-02T02:00:00Z"), &utc),
            at("2026-12-02T03:30:00Z")
        );
    }

    #[test]
    fn a_start_takes_a_backup_when_there_is_none_or_it_is_older_than_a_day() {
        let now = at("2026-12-02T02:00:00Z");
        assert!(due_at_start(None, now));
        assert!(due_at_start(Some(at("2026-12-01T01:00:00Z")), now));
        assert!(!due_at_start(Some(at("2026-12-01T19:30:00Z")), now));
    }
}
