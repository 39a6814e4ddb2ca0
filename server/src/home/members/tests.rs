use super::*;
use crate::home::fixture::{Home, at};

#[tokio::test]
async fn each_change_leaves_its_audit_action_in_the_same_write() {
    let home = Home::new();
    let member = home.member("张三明", "13912345678").await;
    let now = at("2026-05-12T02:00:00Z");
    let id = member.id;
    let reissued = reissue_credential(&home.store, now, "staff", id)
        .await
        .expect("reissued");
    assert_ne!(reissued.credential, member.credential);
    let revoked = revoke_credential(&home.store, now, "staff", id)
        .await
        .expect("revoked");
    assert_eq!(revoked.credential, None);
    let uid = CardUid::parse("0A1B2C3D4E").expect("uid");
    bind_card(&home.store, now, "staff", id, uid.clone())
        .await
        .expect("bound");
    unbind_card(&home.store, now, "staff", id, uid)
        .await
        .expect("unbound");
    set_status(&home.store, now, "staff", id, MemberStatus::Suspended)
        .await
        .expect("suspended");
    show_phone(&home.store, now, "staff", id)
        .await
        .expect("shown");
    let actions: Vec<String> = home
        .audited()
        .await
        .into_iter()
        .map(|(action, actor, _)| {
            assert_eq!(actor, "staff");
            action
        })
        .collect();
    assert_eq!(
        actions,
        [
            "member.credential.reissue",
            "member.credential.revoke",
            "member.card.bind",
            "member.card.unbind",
            "member.status.suspended",
            "member.phone_viewed",
        ]
    );
}

#[tokio::test]
async fn a_refused_change_leaves_no_audit_entry() {
    let home = Home::new();
    let member = home.member("张三明", "13912345678").await;
    let now = at("2026-05-12T02:00:00Z");
    let unknown = revoke_phone(&home.store, now, "staff", member.id, "0123456789ab".into()).await;
    assert!(matches!(unknown, Err(HomeError::NotFound)), "{unknown:?}");
    let missing = unbind_card(
        &home.store,
        now,
        "staff",
        member.id,
        CardUid::parse("0A1B2C3D4E").expect("uid"),
    )
    .await;
    assert!(matches!(missing, Err(HomeError::NotFound)), "{missing:?}");
    assert_eq!(home.audited().await, []);
}

#[tokio::test]
async fn an_erased_member_stays_erased_and_takes_no_cards() {
    let home = Home::new();
    let member = home.member("张三明", "13912345678").await;
    let now = at("2026-05-12T02:00:00Z");
    let id = member.id;
    let erased = erase(&home.store, now, "staff", id, "本人要求".into())
        .await
        .expect("erased");
    assert_eq!(erased.status, MemberStatus::Erased);
    let again = erase(&home.store, now, "staff", id, "再次".into()).await;
    assert!(
        matches!(&again, Err(HomeError::Conflict(c)) if c.0 == "该会员的个人信息已删除"),
        "{again:?}"
    );
    let changed = set_status(&home.store, now, "staff", id, MemberStatus::Active).await;
    assert!(
        matches!(&changed, Err(HomeError::Conflict(c)) if c.0 == "该会员信息已按本人要求删除，不能再修改"),
        "{changed:?}"
    );
    let uid = CardUid::parse("0A1B2C3D4E").expect("uid");
    let bound = bind_card(&home.store, now, "staff", id, uid).await;
    assert!(matches!(bound, Err(HomeError::NotFound)), "{bound:?}");
    show_phone(&home.store, now, "staff", id)
        .await
        .expect("shown");
    let actions: Vec<String> = home
        .audited()
        .await
        .into_iter()
        .map(|(a, _, _)| a)
        .collect();
    assert_eq!(
        actions,
        ["member.erase"],
        "an erased member has no number to see"
    );
}

#[tokio::test]
async fn a_card_belongs_to_one_member_and_binding_it_again_changes_nothing() {
    let home = Home::new();
    let first = home.member("张三明", "13912345678").await;
    let second = home.member("李四", "13812345678").await;
    let now = at("2026-05-12T02:00:00Z");
    let uid = CardUid::parse("0A1B2C3D4E").expect("uid");
    bind_card(&home.store, now, "staff", first.id, uid.clone())
        .await
        .expect("bound");
    let again = bind_card(&home.store, now, "staff", first.id, uid.clone())
        .await
        .expect("bound again");
    assert_eq!(again.cards, ["0A1B2C3D4E"]);
    let taken = bind_card(&home.store, now, "staff", second.id, uid).await;
    assert!(
        matches!(&taken, Err(HomeError::Conflict(c)) if c.0.starts_with("这张卡已绑定给另一位会员")),
        "{taken:?}"
    );
}

#[tokio::test]
async fn consent_to_share_keeps_the_time_it_was_first_given() {
    let home = Home::new();
    let member = home.member("张三明", "13912345678").await;
    let share = |on: bool| MemberChanges {
        consent_share: Some(on),
        ..MemberChanges::default()
    };
    let given = at("2026-05-12T02:00:00Z");
    update(&home.store, given, "staff", member.id, share(true))
        .await
        .expect("given");
    update(
        &home.store,
        at("2026-06-01T02:00:00Z"),
        "staff",
        member.id,
        share(true),
    )
    .await
    .expect("given again");
    let id = member.id.to_string();
    let since: Option<i64> = home
        .store
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT consent_share_at FROM members WHERE id = ?1",
                [id],
                |row| row.get(0),
            )?)
        })
        .await
        .expect("read");
    assert_eq!(since, Some(given.as_millisecond()));
}
