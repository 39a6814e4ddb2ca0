use super::*;
use crate::domain::checkin::{Actor, Outcome, Source};
use crate::domain::member::Registration as Fields;
use crate::home::checkins::Presenting;
use crate::home::fixture::{Home, at};

/// 10:00 in Shanghai on the fixture activity's day: its check-in is open.
const DURING: &str = "2026-05-12T02:00:00Z";

fn sent(phone: &str, token_hash: &str, nonce: &str) -> Registration {
    let member = NewMember::parse(&Fields {
        name: Some("王小红"),
        phone: Some(phone),
        employer: Some("益阳某公司"),
        consent: Some(true),
        ..Fields::default()
    })
    .expect("member");
    Registration {
        member,
        token_hash: token_hash.into(),
        previous_hash: None,
        nonce: nonce.into(),
    }
}

fn tap(member: &Member, nonce: &str) -> CheckinRequest {
    CheckinRequest {
        presenting: Presenting::Member(member.id),
        source: Source::Phone,
        actor: Actor::Device,
        device: PHONE_DEVICE.into(),
        activity_id: None,
        scan_id: Some(nonce.into()),
    }
}

#[tokio::test]
async fn a_registered_phone_stands_for_its_member_until_forgotten() {
    let home = Home::new();
    let member = register(&home.store, at(DURING), sent("13912345678", "aa11", "n1"))
        .await
        .expect("registered");
    let owner = owner(&home.store, "aa11").await.expect("read");
    assert_eq!(owner.map(|m| m.id), Some(member.id));
    assert!(
        owner_is_none(&home, "bb22").await,
        "an unknown cookie stands for no one"
    );

    forget(&home.store, at(DURING), "aa11")
        .await
        .expect("forgotten");
    assert!(owner_is_none(&home, "aa11").await);
}

#[tokio::test]
async fn a_new_registration_ends_the_phones_earlier_cookie() {
    let home = Home::new();
    register(&home.store, at(DURING), sent("13912345678", "old1", "n1"))
        .await
        .expect("first");
    let again = Registration {
        previous_hash: Some("old1".into()),
        ..sent("13812345678", "new2", "n2")
    };
    register(&home.store, at(DURING), again)
        .await
        .expect("second");
    assert!(owner_is_none(&home, "old1").await);
    assert!(!owner_is_none(&home, "new2").await);
}

#[tokio::test]
async fn a_taken_number_is_a_conflict_and_a_used_ticket_is_not_found() {
    let home = Home::new();
    home.activity().await;
    let counts = LiveCounts::default();
    let member = register(&home.store, at(DURING), sent("13912345678", "aa11", "n1"))
        .await
        .expect("registered");
    check_in(
        &home.store,
        &counts,
        at(DURING).into(),
        &home.tz,
        "aa11",
        tap(&member, "n1"),
    )
    .await
    .expect("checked in");

    // The same form sent again (a double tap): the same member, nothing new.
    let twice = register(&home.store, at(DURING), sent("13912345678", "cc33", "n1"))
        .await
        .expect("the same form again");
    assert_eq!(twice.id, member.id);
    // Another form with a registered number.
    let taken = register(&home.store, at(DURING), sent("13912345678", "dd44", "n2")).await;
    assert!(matches!(taken, Err(HomeError::Conflict(_))), "{taken:?}");
    // The used ticket with another number: not this form's to send.
    let used = register(&home.store, at(DURING), sent("13812345678", "ee55", "n1")).await;
    assert!(matches!(used, Err(HomeError::NotFound)), "{used:?}");
    assert!(owner_is_none(&home, "ee55").await, "nothing written");
}

#[tokio::test]
async fn a_tap_checks_in_and_marks_the_phone_used_in_the_same_write() {
    let home = Home::new();
    home.activity().await;
    let counts = LiveCounts::default();
    let member = register(
        &home.store,
        at("2026-05-01T00:00:00Z"),
        sent("13912345678", "aa11", "n1"),
    )
    .await
    .expect("registered");
    let recorded = check_in(
        &home.store,
        &counts,
        at(DURING).into(),
        &home.tz,
        "aa11",
        tap(&member, "t1"),
    )
    .await
    .expect("tap");
    let Recorded::Answered(answer) = recorded else {
        panic!("asked to choose");
    };
    assert_eq!(answer.outcome, Outcome::CheckedIn);
    let phones = home
        .store
        .read(move |conn| devices::for_member(conn, member.id))
        .await
        .expect("phones");
    assert_eq!(phones.len(), 1);
    assert_eq!(phones[0].last_used_at, at(DURING));
}

async fn owner_is_none(home: &Home, token_hash: &str) -> bool {
    owner(&home.store, token_hash)
        .await
        .expect("read")
        .is_none()
}
