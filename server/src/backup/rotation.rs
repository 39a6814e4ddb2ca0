//! Which nightly backups stay: the newest of each of the last 7 days that have one, and the
//! newest of each of the last 4 weeks (Monday to Sunday) that have one, days and weeks in the
//! home's time zone. Counting days *with* a backup, not calendar days, means a box that was off
//! for a month still keeps seven. Files other than nightly ones (a technician's
//! `manual-….db`, say) are never touched.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Nightly backups kept, one per day.
pub const DAYS: usize = 7;
/// Weekly backups kept, one per week, beyond (or among) the daily ones.
pub const WEEKS: usize = 4;

const PREFIX: &str = "kejia-";
const SUFFIX: &str = "Z.db";
const STAMP: &str = "%Y%m%d-%H%M%S";

/// A nightly backup's file name: the UTC instant it was taken (`kejia-20261202-193000Z.db`),
/// so names sort in time order and say nothing that depends on a time zone.
pub fn file_name(at: Timestamp) -> String {
    format!("{PREFIX}{}{SUFFIX}", at.strftime(STAMP))
}

/// When a nightly backup was taken, from its name; `None` for any other file.
pub fn taken_at(name: &str) -> Option<Timestamp> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let civil = jiff::civil::DateTime::strptime(STAMP, stamp).ok()?;
    civil
        .to_zoned_datetime(TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// Of the instants `taken`, those to keep.
pub fn keep(taken: &[Timestamp], tz: &TimeZone) -> BTreeSet<Timestamp> {
    let mut newest_first: Vec<Timestamp> = taken.to_vec();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    newest_first.dedup();
    let mut kept = BTreeSet::new();
    let mut days = Vec::new();
    let mut weeks = Vec::new();
    for at in newest_first {
        let date = at.to_zoned_datetime(tz.clone()).date();
        let week = date.iso_week_date();
        let week = (week.year(), week.week());
        if !days.contains(&date) && days.len() < DAYS {
            days.push(date);
            kept.insert(at);
        }
        if !weeks.contains(&week) && weeks.len() < WEEKS {
            weeks.push(week);
            kept.insert(at);
        }
    }
    kept
}

/// The nightly backups in `folder`, with when each was taken.
pub fn list(folder: &Path) -> std::io::Result<Vec<(PathBuf, Timestamp)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name();
        if let Some(at) = name.to_str().and_then(taken_at) {
            found.push((entry.path(), at));
        }
    }
    Ok(found)
}

/// When the newest nightly backup in `folder` was taken.
pub fn newest(folder: &Path) -> Option<Timestamp> {
    list(folder).ok()?.into_iter().map(|(_, at)| at).max()
}

/// Removes the nightly backups [`keep`] does not keep, and copies left half-written by a crash;
/// returns what it removed.
pub fn apply(folder: &Path, tz: &TimeZone) -> std::io::Result<Vec<PathBuf>> {
    let found = list(folder)?;
    let taken: Vec<Timestamp> = found.iter().map(|(_, at)| *at).collect();
    let kept = keep(&taken, tz);
    let mut removed = Vec::new();
    for (path, at) in found {
        if !kept.contains(&at) {
            std::fs::remove_file(&path)?;
            removed.push(path);
        }
    }
    // A nightly copy that never finished (the power went): `.kejia-….db.partial`. Only the
    // nightly task writes these names, and it is not writing now.
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name();
        let leftover = name
            .to_str()
            .and_then(|n| n.strip_prefix('.'))
            .and_then(|n| n.strip_suffix(".partial"))
            .and_then(taken_at)
            .is_some();
        if leftover {
            std::fs::remove_file(entry.path())?;
            removed.push(entry.path());
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn names_carry_the_utc_instant_and_nothing_else_parses() {
        let when = at("2026-12-02T19:30:00Z");
        assert_eq!(file_name(when), "kejia-20261202-193000Z.db");
        assert_eq!(taken_at(&file_name(when)), Some(when));
        for other in [
            "manual-20261202-1930",
            "kejia-20261202-193000Z.db.partial",
            "kejia.db",
            "kejia-2026-193000Z.db",
        ] {
            assert_eq!(taken_at(other), None, "{other}");
        }
    }

    #[test]
    fn sixty_nights_keep_the_last_seven_days_and_four_weeks() {
        // Nightly at 03:30 Shanghai (19:30 UTC the day before), from 2026-10-01 to 2026-11-29.
        let first = at("2026-09-30T19:30:00Z");
        let nights: Vec<Timestamp> = (0..60)
            .map(|n| first + jiff::SignedDuration::from_hours(24 * n))
            .collect();
        let kept = keep(&nights, &shanghai());
        let days: Vec<String> = kept
            .iter()
            .map(|t| t.to_zoned_datetime(shanghai()).date().to_string())
            .collect();
        // The last night is Sunday 2026-11-29; weeks run Monday to Sunday.
        assert_eq!(
            days,
            [
                "2026-11-08", // week of 11-02: its newest, Sunday
                "2026-11-15", // week of 11-09
                "2026-11-22", // week of 11-16 (11-23 .. 11-29 are the daily ones)
                "2026-11-23",
                "2026-11-24",
                "2026-11-25",
                "2026-11-26",
                "2026-11-27",
                "2026-11-28",
                "2026-11-29",
            ]
        );
    }

    #[test]
    fn days_are_the_homes_days_and_the_newest_of_a_day_stays() {
        // 23:00 and 23:50 UTC are the next morning in Shanghai: one day, the later one stays.
        let taken = [
            at("2026-12-01T23:00:00Z"),
            at("2026-12-01T23:50:00Z"),
            at("2026-12-01T15:00:00Z"),
        ];
        let kept = keep(&taken, &shanghai());
        assert_eq!(
            kept.into_iter().collect::<Vec<_>>(),
            [at("2026-12-01T15:00:00Z"), at("2026-12-01T23:50:00Z")]
        );
    }

    #[test]
    fn a_box_that_was_off_for_weeks_still_keeps_seven() {
        let taken: Vec<Timestamp> = (0..10)
            .map(|n| at("2026-01-01T19:30:00Z") + jiff::SignedDuration::from_hours(24 * 9 * n))
            .collect();
        assert_eq!(keep(&taken, &shanghai()).len(), DAYS);
    }

    #[test]
    fn applying_removes_only_surplus_nightly_files_and_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let first = at("2026-09-30T19:30:00Z");
        for n in 0..20 {
            let name = file_name(first + jiff::SignedDuration::from_hours(24 * n));
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let leftover = format!(".{}.partial", file_name(at("2026-10-19T19:30:00Z")));
        std::fs::write(dir.path().join(&leftover), b"x").unwrap();
        std::fs::write(dir.path().join("manual-20260101-1200.db"), b"x").unwrap();
        let removed = apply(dir.path(), &shanghai()).unwrap();
        assert_eq!(removed.len(), 20 - 9 + 1, "{removed:?}");
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert!(left.contains(&"manual-20260101-1200.db".to_owned()));
        assert!(!left.contains(&leftover));
        assert_eq!(left.len(), 9 + 1, "{left:?}");
        assert_eq!(
            newest(dir.path()),
            Some(first + jiff::SignedDuration::from_hours(24 * 19))
        );
    }
}
