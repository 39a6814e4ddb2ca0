//! Activities: creating and changing them, a staffer's open, close, cancel and restore of the
//! schedule, filing with the association, and the ledger summary; each override audited here.

use jiff::Timestamp;

use super::HomeError;
use crate::domain::activity::{Activity, ActivityDraft, EarlyClose, Override};
use crate::domain::ids::ActivityId;
use crate::domain::{Conflict, Invalid};
use crate::store::audit::Entry;
use crate::store::{Store, StoreError, activities, audit};

/// A staffer's override of the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleChange {
    /// Open check-in now.
    Open,
    /// Close check-in now; `confirmed` when the staffer agreed to close before the start.
    Close {
        confirmed: bool,
    },
    Cancel,
}

impl ScheduleChange {
    /// The audit log's action.
    pub fn action(self) -> &'static str {
        match self {
            Self::Open => "activity.open",
            Self::Close { .. } => "activity.close",
            Self::Cancel => "activity.cancel",
        }
    }

    fn decide(self, activity: &Activity, now: Timestamp) -> Result<Override, Conflict> {
        match self {
            Self::Open => activity.open_now(),
            Self::Close { confirmed } => activity.close_now(now, confirmed),
            Self::Cancel => activity.cancel(),
        }
    }
}

/// Creates an activity from a checked draft.
pub async fn create(
    store: &Store,
    now: Timestamp,
    draft: ActivityDraft,
) -> Result<Activity, HomeError> {
    let created = store
        .write(move |conn| activities::insert(conn, &draft, now))
        .await?;
    Ok(created)
}

/// Changes an activity's details: `change` turns the activity as it stands (read in the same
/// write) into the new draft, or says what is wrong.
pub async fn update(
    store: &Store,
    now: Timestamp,
    id: ActivityId,
    change: impl FnOnce(&Activity) -> Result<ActivityDraft, Invalid> + Send + 'static,
) -> Result<Activity, HomeError> {
    let updated = store
        .write(move |conn| {
            let current = activities::get(conn, id)?;
            let draft = change(&current)?;
            activities::save_details(conn, id, &draft, now)
        })
        .await?;
    Ok(updated)
}

/// Opens, closes or cancels an activity now and audits it. A close before the scheduled end
/// says so in the audit entry's detail.
pub async fn override_schedule(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: ActivityId,
    change: ScheduleChange,
) -> Result<Activity, HomeError> {
    let staffer = staffer.to_owned();
    let changed = store
        .write(move |conn| {
            let current = activities::get(conn, id)?;
            let next = change.decide(&current, now)?;
            let detail = match (next, current.early_close(now)) {
                (Override::Closed, Some(EarlyClose::NotStarted)) => {
                    Some("closed before the start (confirmed)")
                }
                (Override::Closed, Some(EarlyClose::Running)) => {
                    Some("closed before the scheduled end")
                }
                _ => None,
            };
            let changed = activities::set_override(conn, id, next, now)?;
            audit::append(
                conn,
                Entry::new(now, &staffer, change.action(), &id.to_string()).detail(detail),
            )?;
            Ok::<_, StoreError>(changed)
        })
        .await?;
    Ok(changed)
}

/// Puts the schedule back after a staffer's open or close (恢复) and audits it.
pub async fn restore_schedule(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: ActivityId,
) -> Result<Activity, HomeError> {
    let staffer = staffer.to_owned();
    let restored = store
        .write(move |conn| {
            let current = activities::get(conn, id)?;
            current.restore_schedule()?;
            let detail = current.override_state.map(|o| format!("was {}", o.code()));
            let restored = activities::clear_override(conn, id, now)?;
            audit::append(
                conn,
                Entry::new(now, &staffer, "activity.restore", &id.to_string())
                    .detail(detail.as_deref()),
            )?;
            Ok::<_, StoreError>(restored)
        })
        .await?;
    Ok(restored)
}

/// Marks an activity filed with the association and audits it.
pub async fn file_with_association(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: ActivityId,
) -> Result<Activity, HomeError> {
    let staffer = staffer.to_owned();
    let filed = store
        .write(move |conn| {
            let current = activities::get(conn, id)?;
            let next = current.filing.file()?;
            let filed = activities::set_filing(conn, id, next, now)?;
            audit::append(
                conn,
                Entry::new(now, &staffer, "activity.file", &id.to_string()),
            )?;
            Ok::<_, StoreError>(filed)
        })
        .await?;
    Ok(filed)
}

/// Saves (or, with `None`, clears) the activity's summary for the ledger.
pub async fn save_summary(
    store: &Store,
    now: Timestamp,
    id: ActivityId,
    summary: Option<String>,
) -> Result<(), HomeError> {
    store
        .write(move |conn| activities::set_summary(conn, id, summary.as_deref(), now))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests;
