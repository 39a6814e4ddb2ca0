use super::*;
use crate::domain::credential::CardUid;
use crate::home::fixture::{Home, at};

/// 10:00 in Shanghai on the fixture activity's day: its check-in is open.
const DURING: &str = "2026-05-12T02:00:00Z";
/// The evening of the same day: nothing is open.
const EVENING: &str = "2026-05-12T12:00:00Z";

fn scan(credential: &str, scan_id: Option<&str>) -> CheckinRequest {
    CheckinRequest {
        presenting: Presenting::Credential(credential.into()),
        source: Source::Card,
        actor: Actor::Device,
        device: "kiosk".into(),
        activity_id: None,
        scan_id: scan_id.map(str::to_owned),
    }
}

fn answered(recorded: Recorded) -> Answer {
    match recorded {
        Recorded::Answered(answer) => answer,
        Recorded::Choose(choices) => panic!("asked to choose among {choices:?}"),
    }
}

async fn with_card(home: &Home) -> MemberId {
    let member = home.member("张三明", "13912345678").await;
    let uid = CardUid::parse("0A1B2C3D4E").expect("uid");
    super::super::members::bind_card(&home.store, at(DURING), "staff", member.id, uid)
        .await
        .expect("bound");
    member.id
}

async fn card_scan(home: &Home, counts: &LiveCounts, now: &str, id: Option<&str>) -> Answer {
    let request = scan("0a1b2c3d4e", id);
    answered(
        check_in(&home.store, counts, at(now).into(), &home.tz, request)
            .await
            .expect("recorded"),
    )
}

#[tokio::test]
async fn a_second_scan_answers_already_checked_in_with_the_first_check_in_and_count() {
    let home = Home::new();
    let activity = home.activity().await;
    let member = with_card(&home).await;
    let counts = LiveCounts::default();
    let mut heard = counts.subscribe();

    let first = card_scan(&home, &counts, DURING, None).await;
    assert_eq!(first.outcome, Outcome::CheckedIn);
    assert_eq!(first.member.as_ref().map(|m| m.id), Some(member));
    assert_eq!(first.activity.as_ref().map(|a| a.id), Some(activity.id));
    assert_eq!(first.participants, Some(1));
    assert_eq!(
        heard.try_recv().expect("announced"),
        CountChanged {
            activity_id: activity.id,
            participants: 1
        }
    );

    let second = card_scan(&home, &counts, DURING, None).await;
    assert_eq!(second.outcome, Outcome::AlreadyCheckedIn);
    assert_eq!(second.checkin_id, first.checkin_id);
    assert_eq!(second.participants, Some(1));
}

#[tokio::test]
async fn a_retried_scan_gets_its_first_answer_and_counts_once() {
    let home = Home::new();
    home.activity().await;
    with_card(&home).await;
    let counts = LiveCounts::default();
    let first = card_scan(&home, &counts, DURING, Some("scan-1")).await;
    let retried = card_scan(&home, &counts, DURING, Some("scan-1")).await;
    assert_eq!(first.outcome, Outcome::CheckedIn);
    assert_eq!(retried, first);
}

#[tokio::test]
async fn with_nothing_open_a_second_visit_the_same_day_is_a_repeat() {
    let home = Home::new();
    home.activity().await;
    with_card(&home).await;
    let counts = LiveCounts::default();
    let first = card_scan(&home, &counts, EVENING, None).await;
    assert_eq!(first.outcome, Outcome::Visit);
    assert!(!first.repeat);
    assert_eq!(first.visit_day, Some(jiff::civil::date(2026, 5, 12)));
    let again = card_scan(&home, &counts, EVENING, None).await;
    assert_eq!(again.outcome, Outcome::Visit);
    assert!(again.repeat);
    assert_eq!(again.checkin_id, first.checkin_id);
}

#[tokio::test]
async fn an_unknown_card_names_nobody() {
    let home = Home::new();
    home.activity().await;
    let counts = LiveCounts::default();
    let answer = card_scan(&home, &counts, DURING, None).await;
    assert_eq!(answer.outcome, Outcome::UnknownCredential);
    assert_eq!(answer.member, None);
}

#[tokio::test]
async fn a_check_in_by_hand_is_audited_once_and_undone_once() {
    let home = Home::new();
    let activity = home.activity().await;
    let member = home.member("李四", "13812345678").await;
    let counts = LiveCounts::default();
    // The day after: only a staffer's backfill may still check in.
    let later = at("2026-05-13T02:00:00Z");
    let by_hand = || {
        check_in_by_hand(
            &home.store,
            &counts,
            later.into(),
            &home.tz,
            "staff",
            activity.id,
            member.id,
        )
    };
    let first = answered(by_hand().await.expect("recorded"));
    assert_eq!(first.outcome, Outcome::CheckedIn);
    let again = answered(by_hand().await.expect("recorded"));
    assert_eq!(again.outcome, Outcome::AlreadyCheckedIn);
    let manual: Vec<_> = home
        .audited()
        .await
        .into_iter()
        .filter(|(action, _, _)| action == "checkin.manual")
        .collect();
    let detail = format!("activity {}, member {}", activity.id, member.id);
    assert_eq!(
        manual,
        vec![(
            "checkin.manual".to_owned(),
            "staff".to_owned(),
            Some(detail)
        )]
    );

    let checkin = first.checkin_id.expect("checkin id");
    let mut heard = counts.subscribe();
    undo(
        &home.store,
        &counts,
        later,
        "staff",
        checkin,
        "写错了".into(),
    )
    .await
    .expect("undone");
    assert_eq!(heard.try_recv().expect("announced").participants, 0);
    let twice = undo(
        &home.store,
        &counts,
        later,
        "staff",
        checkin,
        "又一次".into(),
    )
    .await;
    assert!(
        matches!(&twice, Err(HomeError::Conflict(c)) if c.0 == "这条签到已被撤销"),
        "{twice:?}"
    );
    let after = home
        .store
        .read(move |conn| activities::get(conn, activity.id))
        .await
        .expect("activity");
    assert_eq!((after.participants, after.manual_participants), (0, 0));
}

#[tokio::test]
async fn a_device_cannot_backfill_a_past_activity() {
    let home = Home::new();
    let activity = home.activity().await;
    let member = home.member("李四", "13812345678").await;
    let request = CheckinRequest {
        presenting: Presenting::Member(member.id),
        source: Source::Manual,
        actor: Actor::Device,
        device: "kiosk".into(),
        activity_id: Some(activity.id),
        scan_id: None,
    };
    let later = at("2026-05-13T02:00:00Z");
    let answer = answered(
        check_in(
            &home.store,
            &LiveCounts::default(),
            later.into(),
            &home.tz,
            request,
        )
        .await
        .expect("recorded"),
    );
    assert_eq!(answer.outcome, Outcome::ActivityNotOpen);
    assert_eq!(answer.activity.map(|a| a.id), Some(activity.id));
}
