//! Live participant counts: every check-in and undo announces its activity's new count, after
//! its write committed, to whoever listens (the staff dashboard's event stream).

use serde::Serialize;
use tokio::sync::broadcast;

use crate::domain::checkin::Answer;
use crate::domain::ids::ActivityId;

/// An activity's count changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CountChanged {
    pub activity_id: ActivityId,
    pub participants: u32,
}

/// Fan-out of count changes to every open dashboard. A slow dashboard that falls behind skips
/// to the newest counts instead of holding check-ins up.
pub struct LiveCounts {
    sender: broadcast::Sender<CountChanged>,
}

impl Default for LiveCounts {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(256);
        Self { sender }
    }
}

impl LiveCounts {
    pub fn subscribe(&self) -> broadcast::Receiver<CountChanged> {
        self.sender.subscribe()
    }

    pub(super) fn publish(&self, change: CountChanged) {
        // No dashboard open is not an error.
        let _ = self.sender.send(change);
    }

    /// The count an answer carries, if it names an activity.
    pub(super) fn announce(&self, answer: &Answer) {
        if let (Some(activity), Some(participants)) = (&answer.activity, answer.participants) {
            self.publish(CountChanged {
                activity_id: activity.id,
                participants,
            });
        }
    }
}
