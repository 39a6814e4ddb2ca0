use super::*;
use crate::home::fixture::{Home, at};

#[tokio::test]
async fn a_close_before_the_start_needs_confirming_and_says_so_in_the_audit_log() {
    let home = Home::new();
    let activity = home.activity().await;
    let before = at("2026-05-11T02:00:00Z");
    let unconfirmed = override_schedule(
        &home.store,
        before,
        "staff",
        activity.id,
        ScheduleChange::Close { confirmed: false },
    )
    .await;
    assert!(
        matches!(unconfirmed, Err(HomeError::Conflict(_))),
        "{unconfirmed:?}"
    );
    let closed = override_schedule(
        &home.store,
        before,
        "staff",
        activity.id,
        ScheduleChange::Close { confirmed: true },
    )
    .await
    .expect("closed");
    assert_eq!(closed.override_state, Some(Override::Closed));
    restore_schedule(&home.store, before, "staff", activity.id)
        .await
        .expect("restored");
    file_with_association(&home.store, before, "staff", activity.id)
        .await
        .expect("filed");
    let audited: Vec<(String, Option<String>)> = home
        .audited()
        .await
        .into_iter()
        .map(|(action, _, detail)| (action, detail))
        .collect();
    assert_eq!(
        audited,
        [
            (
                "activity.close".to_owned(),
                Some("closed before the start (confirmed)".to_owned())
            ),
            ("activity.restore".to_owned(), Some("was closed".to_owned())),
            ("activity.file".to_owned(), None),
        ]
    );
}

#[test]
fn each_schedule_change_names_its_audit_action() {
    assert_eq!(ScheduleChange::Open.action(), "activity.open");
    assert_eq!(
        ScheduleChange::Close { confirmed: true }.action(),
        "activity.close"
    );
    assert_eq!(ScheduleChange::Cancel.action(), "activity.cancel");
}
