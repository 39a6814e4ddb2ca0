//! Live participant counts for the staff dashboard (server-sent events), and the one path by
//! which every check-in and undo is written, so no page or API call forgets to announce it.

use serde::Serialize;
use tokio::sync::broadcast;

use super::AppState;
use super::error::ApiError;
use crate::domain::checkin::Answer;
use crate::domain::ids::{ActivityId, CheckinId};
use crate::store::activities;
use crate::store::checkins::{self, CheckinRequest, Recorded};

/// An activity's count changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CountChanged {
    pub activity_id: ActivityId,
    pub participants: u32,
}

/// Fan-out of count changes to every open dashboard. A slow dashboard that falls behind skips
/// to the newest counts instead of holding check-ins up.
pub struct Live {
    sender: broadcast::Sender<CountChanged>,
}

impl Default for Live {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(256);
        Self { sender }
    }
}

impl Live {
    pub fn subscribe(&self) -> broadcast::Receiver<CountChanged> {
        self.sender.subscribe()
    }

    fn publish(&self, change: CountChanged) {
        // No dashboard open is not an error.
        let _ = self.sender.send(change);
    }
}

impl AppState {
    /// Records a check-in and announces the activity's new count.
    pub async fn record_checkin(&self, request: CheckinRequest) -> Result<Recorded, ApiError> {
        let now = self.now();
        let tz = self.settings.tz.clone();
        let recorded = self
            .store
            .write(move |conn| checkins::record(conn, &request, now, &tz))
            .await?;
        if let Recorded::Answered(answer) = &recorded {
            self.announce(answer);
        }
        Ok(recorded)
    }

    /// Takes a check-in back (the reason lands in the audit log) and announces the new count.
    pub async fn undo_checkin(
        &self,
        id: CheckinId,
        staffer: String,
        reason: String,
    ) -> Result<(), ApiError> {
        let now = self.clock.now();
        let changed = self
            .store
            .write(move |conn| {
                let Some(activity_id) = checkins::undo(conn, id, &staffer, &reason, now)? else {
                    return Ok(None);
                };
                let participants = activities::get(conn, activity_id)?.participants;
                Ok(Some(CountChanged {
                    activity_id,
                    participants,
                }))
            })
            .await?;
        if let Some(change) = changed {
            self.live.publish(change);
        }
        Ok(())
    }

    fn announce(&self, answer: &Answer) {
        if let (Some(activity), Some(participants)) = (&answer.activity, answer.participants) {
            self.live.publish(CountChanged {
                activity_id: activity.id,
                participants,
            });
        }
    }
}
