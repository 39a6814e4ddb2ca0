use axum::http::StatusCode;

use super::Site;
use crate::domain::activity::{ActivityFields, CheckinWindow};
use crate::domain::checkin::{Actor, Source};
use crate::domain::ids::{ActivityId, MemberId};
use crate::domain::member::{CONSENT_VERSION, Member, MemberStatus};
use crate::home::checkins::{self, CheckinRequest, Presenting, Recorded};
use crate::store::audit::{self, AuditEntry};
use crate::store::{activities, devices, members, scans};

const HOSTILE: &str = "<img src=x onerror=alert(1)>";
const NOW: &str = "2026-05-12T02:00:00Z";

/// Registers a member through the form and returns their id (from the redirect).
async fn register(site: &Site, name: &str, phone: &str) -> MemberId {
    let answer = site
        .post(
            "/admin/members",
            &[
                ("name", name),
                ("phone", phone),
                ("employer", "益阳高新区某公司"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let location = answer.location().expect("location");
    location
        .strip_prefix("/admin/members/")
        .expect("detail page")
        .parse()
        .expect("id")
}

async fn member(site: &Site, id: MemberId) -> Member {
    site.state()
        .store
        .read(move |conn| members::get(conn, id))
        .await
        .expect("member")
}

async fn audit_log(site: &Site) -> Vec<AuditEntry> {
    site.state()
        .store
        .read(|conn| audit::recent(conn, 50))
        .await
        .expect("audit")
}

/// An activity taking check-ins at `NOW` (10:00 in Shanghai).
async fn open_activity(site: &Site) -> ActivityId {
    let draft = ActivityFields {
        title: Some("人工智能沙龙"),
        category: Some("academic_exchange"),
        starts_at: Some("2026-05-12T09:30:00+08:00"),
        ends_at: Some("2026-05-12T11:30:00+08:00"),
        ..ActivityFields::default()
    }
    .create(CheckinWindow::default())
    .expect("valid");
    let now = site.now();
    site.state()
        .store
        .write(move |conn| activities::insert(conn, &draft, now))
        .await
        .expect("activity")
        .id
}

async fn participants(site: &Site, id: ActivityId) -> u32 {
    site.state()
        .store
        .read(move |conn| activities::get(conn, id))
        .await
        .expect("activity")
        .participants
}

/// A card shown to the kiosk: unknown until bound, then the member's.
async fn scan_card(site: &Site, uid: &str) -> Recorded {
    scan_card_once(site, uid, None).await
}

/// A card scan with the kiosk's scan id (its answer is kept for a retry).
async fn scan_card_once(site: &Site, uid: &str, scan_id: Option<&str>) -> Recorded {
    let state = site.state();
    let request = CheckinRequest {
        presenting: Presenting::Credential(uid.into()),
        source: Source::Card,
        actor: Actor::Device,
        device: "kiosk".into(),
        activity_id: None,
        scan_id: scan_id.map(str::to_owned),
    };
    checkins::check_in(
        &state.store,
        &state.live,
        state.now(),
        &state.settings.tz,
        request,
    )
    .await
    .expect("scan")
}

#[tokio::test]
async fn a_member_registers_at_the_desk_with_consent() {
    let site = Site::new(NOW).await;
    let form = site.get("/admin/members/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("本人同意科技工作者之家收集并保存"));
    assert!(form.body.contains("报送益阳市科协"));
    assert!(form.body.contains(r#"name="csrf" value="test-csrf-token""#));

    let answer = site
        .post(
            "/admin/members",
            &[
                ("name", "王五"),
                ("phone", "139 0000 0001"),
                ("employer", "益阳某机械厂"),
                ("discipline", "机械工程"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let id: MemberId = answer.location().expect("location")["/admin/members/".len()..]
        .parse()
        .expect("id");
    let stored = member(&site, id).await;
    assert_eq!(stored.phone, "13900000001");
    assert_eq!(stored.consent_version, CONSENT_VERSION);
    assert_eq!(stored.consent_at, site.now());
    assert!(
        !stored.consent_share,
        "sharing is a separate, optional consent"
    );
    assert!(stored.credential.is_some());

    let sharing = site
        .post(
            "/admin/members",
            &[
                ("name", "赵六"),
                ("phone", "13900000002"),
                ("employer", "某研究所"),
                ("consent", "on"),
                ("consent_share", "on"),
            ],
        )
        .await;
    let id: MemberId = sharing.location().expect("location")["/admin/members/".len()..]
        .parse()
        .expect("id");
    assert!(member(&site, id).await.consent_share);
    let page = site.get(&format!("/admin/members/{id}")).await;
    assert!(page.body.contains(CONSENT_VERSION));
    assert!(page.body.contains(r#"<dd id="consent-share">是</dd>"#));
}

#[tokio::test]
async fn a_registration_without_consent_or_with_a_bad_phone_keeps_what_was_typed() {
    let site = Site::new(NOW).await;
    let refused = site
        .post(
            "/admin/members",
            &[
                ("name", "王五"),
                ("phone", "13900000001"),
                ("employer", "益阳某机械厂"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("须同意个人信息收集与使用说明后才能登记")
    );
    assert!(refused.body.contains(r#"value="王五""#));
    assert!(refused.body.contains(r#"value="13900000001""#));
    assert!(refused.body.contains(r#"value="益阳某机械厂""#));

    let bad_phone = site
        .post(
            "/admin/members",
            &[("name", "王五"), ("phone", "12345"), ("consent", "on")],
        )
        .await;
    assert_eq!(bad_phone.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_phone.body.contains("手机号须为 11 位"),
        "{}",
        bad_phone.body
    );
    assert!(
        bad_phone
            .body
            .contains(r#"name="consent" value="on" required checked"#)
    );

    let listed = site
        .state()
        .store
        .read(|conn| members::search(conn, "", 10))
        .await
        .expect("search");
    assert!(listed.is_empty(), "nothing was stored");
}

#[tokio::test]
async fn a_phone_already_registered_is_refused_in_words() {
    let site = Site::new(NOW).await;
    register(&site, "王五", "13900000001").await;
    let again = site
        .post(
            "/admin/members",
            &[
                ("name", "王五二"),
                ("phone", "13900000001"),
                ("employer", "某厂"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("该手机号已登记为会员"));
    assert!(again.body.contains(r#"value="王五二""#));
}

#[tokio::test]
async fn search_finds_by_name_and_phone_digits_and_shows_masked_phones_only() {
    let site = Site::new(NOW).await;
    register(&site, "王五", "13900000001").await;
    register(&site, "李四", "13812345678").await;

    let all = site.get("/admin/members").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("王五") && all.body.contains("李四"));
    assert!(all.body.contains("139****0001") && all.body.contains("138****5678"));
    assert!(!all.body.contains("13900000001") && !all.body.contains("13812345678"));
    assert!(all.body.contains("登记新会员") && all.body.contains(r#"href="/admin/badges""#));

    let by_name = site.get("/admin/members?q=%E6%9D%8E").await;
    assert!(by_name.body.contains("李四") && !by_name.body.contains("王五"));

    let by_digits = site.get("/admin/members?q=1234-5678").await;
    assert!(by_digits.body.contains("李四") && !by_digits.body.contains("王五"));
    assert!(!by_digits.body.contains("13812345678"));

    let none = site.get("/admin/members?q=%E8%B5%B5").await;
    assert!(none.body.contains("没有找到"));
}

#[tokio::test]
async fn the_detail_page_masks_the_phone_until_asked_and_audits_the_look() {
    let site = Site::new(NOW).await;
    let id = register(&site, "王五", "13900000001").await;
    let page = site.get(&format!("/admin/members/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("139****0001"));
    assert!(!page.body.contains("13900000001"));
    assert!(page.body.contains("显示完整号码"));
    assert!(
        page.body
            .contains(&format!(r#"src="/api/v1/members/{id}/qr.png""#))
    );
    assert!(audit_log(&site).await.is_empty());

    let shown = site.get(&format!("/admin/members/{id}?phone=show")).await;
    assert!(shown.body.contains("13900000001"));
    let log = audit_log(&site).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "member.phone_viewed");
    assert_eq!(log[0].subject, id.to_string());
    assert_eq!(log[0].actor, "staff");
    assert!(!format!("{log:?}").contains("13900000001"));

    let nobody = site
        .get(&format!("/admin/members/{}", MemberId::new()))
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    let garbage = site.get("/admin/members/not-an-id").await;
    assert_eq!(garbage.status, StatusCode::NOT_FOUND);
    let stranger = site.get_anonymous(&format!("/admin/members/{id}")).await;
    assert_eq!(stranger.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_card_scanned_at_the_kiosk_is_picked_and_bound() {
    let site = Site::new(NOW).await;
    let id = register(&site, "王五", "13900000001").await;
    scan_card(&site, "0a1b2c3d4e").await;
    let page = site.get(&format!("/admin/members/{id}")).await;
    assert!(
        page.body.contains(r#"<option value="0A1B2C3D4E">"#),
        "{}",
        page.body
    );

    let bound = site
        .post(
            &format!("/admin/members/{id}/cards"),
            &[("picked", "0A1B2C3D4E"), ("uid", "")],
        )
        .await;
    assert_eq!(bound.status, StatusCode::SEE_OTHER);
    assert_eq!(
        bound.location(),
        Some(format!("/admin/members/{id}?done=card_bound").as_str())
    );
    assert_eq!(member(&site, id).await.cards, vec!["0A1B2C3D4E".to_owned()]);
    let after = site
        .get(&format!("/admin/members/{id}?done=card_bound"))
        .await;
    assert!(after.body.contains("卡片已绑定"));
    assert!(
        !after.body.contains(r#"<option value="0A1B2C3D4E">"#),
        "a bound card is no longer offered"
    );

    // The card now checks the member in.
    let Recorded::Answered(answer) = scan_card(&site, "0A1B2C3D4E").await else {
        panic!("one answer");
    };
    assert_eq!(answer.member.expect("known").id, id);

    let typo = site
        .post(
            &format!("/admin/members/{id}/cards"),
            &[("uid", "not hex!")],
        )
        .await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(typo.body.contains("卡号须为读卡器报告的"));
    let nothing = site.post(&format!("/admin/members/{id}/cards"), &[]).await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);

    let other = register(&site, "李四", "13812345678").await;
    let taken = site
        .post(
            &format!("/admin/members/{other}/cards"),
            &[("uid", "0a1b2c3d4e")],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(taken.body.contains("已绑定给另一位会员"));

    let unbound = site
        .post(
            &format!("/admin/members/{id}/cards/unbind"),
            &[("uid", "0A1B2C3D4E")],
        )
        .await;
    assert_eq!(unbound.status, StatusCode::SEE_OTHER);
    assert!(member(&site, id).await.cards.is_empty());
    let actions: Vec<String> = audit_log(&site)
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.contains(&"member.card.bind".to_owned()));
    assert!(actions.contains(&"member.card.unbind".to_owned()));
}

#[tokio::test]
async fn reissuing_changes_the_qr_and_revoking_removes_it() {
    let site = Site::new(NOW).await;
    let id = register(&site, "王五", "13900000001").await;
    let before = member(&site, id).await.credential.expect("qr");
    let reissued = site
        .post(&format!("/admin/members/{id}/credential/reissue"), &[])
        .await;
    assert_eq!(reissued.status, StatusCode::SEE_OTHER);
    let after = member(&site, id).await.credential.expect("qr");
    assert_ne!(before, after);

    let revoked = site
        .post(&format!("/admin/members/{id}/credential/revoke"), &[])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert!(member(&site, id).await.credential.is_none());
    let page = site.get(&format!("/admin/members/{id}?done=revoked")).await;
    assert!(page.body.contains("二维码已作废"));
    assert!(!page.body.contains("qr.png"));
    let badge = site.get(&format!("/admin/members/{id}/badge")).await;
    assert_eq!(badge.status, StatusCode::CONFLICT);
    let actions: Vec<String> = audit_log(&site)
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.contains(&"member.credential.reissue".to_owned()));
    assert!(actions.contains(&"member.credential.revoke".to_owned()));
}

#[tokio::test]
async fn a_member_is_suspended_and_restored() {
    let site = Site::new(NOW).await;
    let id = register(&site, "王五", "13900000001").await;
    let suspended = site
        .post(
            &format!("/admin/members/{id}/status"),
            &[("status", "suspended")],
        )
        .await;
    assert_eq!(suspended.status, StatusCode::SEE_OTHER);
    assert_eq!(member(&site, id).await.status, MemberStatus::Suspended);
    let page = site.get(&format!("/admin/members/{id}")).await;
    assert!(page.body.contains("已停用") && page.body.contains("恢复"));

    let bogus = site
        .post(
            &format!("/admin/members/{id}/status"),
            &[("status", "erased")],
        )
        .await;
    assert_eq!(bogus.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(member(&site, id).await.status, MemberStatus::Suspended);

    site.post(
        &format!("/admin/members/{id}/status"),
        &[("status", "active")],
    )
    .await;
    assert_eq!(member(&site, id).await.status, MemberStatus::Active);
}

#[tokio::test]
async fn erasing_removes_the_person_but_keeps_the_count() {
    let site = Site::new(NOW).await;
    let activity = open_activity(&site).await;
    let id = register(&site, "王五", "13900000001").await;
    site.post(
        &format!("/admin/members/{id}/cards"),
        &[("uid", "0A1B2C3D4E")],
    )
    .await;
    let Recorded::Answered(first) = scan_card_once(&site, "0A1B2C3D4E", Some("scan-1")).await
    else {
        panic!("one answer");
    };
    assert_eq!(first.member.expect("named").name, "王五");
    assert_eq!(participants(&site, activity).await, 1);

    let without_reason = site
        .post(&format!("/admin/members/{id}/erase"), &[("reason", " ")])
        .await;
    assert_eq!(without_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(without_reason.body.contains("删除原因不能为空"));
    assert_eq!(member(&site, id).await.name, "王五");

    let erased = site
        .post(
            &format!("/admin/members/{id}/erase"),
            &[("reason", "本人电话申请删除")],
        )
        .await;
    assert_eq!(erased.status, StatusCode::SEE_OTHER);
    let row = member(&site, id).await;
    assert_eq!(row.status, MemberStatus::Erased);
    assert_eq!(row.name, "（已删除）");
    assert_eq!(row.phone, "");
    assert_eq!(row.employer, "");
    assert!(row.credential.is_none() && row.cards.is_empty() && !row.consent_share);
    assert_eq!(
        participants(&site, activity).await,
        1,
        "the count is unchanged"
    );

    let scans = site
        .state()
        .store
        .read(|conn| scans::recent(conn, false, 10))
        .await
        .expect("scans");
    assert!(scans.iter().all(|s| s.credential.is_none()), "{scans:?}");
    let kept = site
        .state()
        .store
        .read(|conn| scans::answer_for(conn, "kiosk", "scan-1"))
        .await
        .expect("answer")
        .expect("kept for a retry");
    assert!(
        kept.member.is_none(),
        "the kept answer no longer names them"
    );
    assert!(kept.checkin_id.is_some());
    let log = audit_log(&site).await;
    assert_eq!(log[0].action, "member.erase");
    assert_eq!(log[0].reason.as_deref(), Some("本人电话申请删除"));

    let page = site.get(&format!("/admin/members/{id}?phone=show")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("已按本人要求删除"));
    assert!(page.body.contains("人工智能沙龙"), "the history stays");
    assert!(!page.body.contains("王五") && !page.body.contains("139****0001"));
    assert!(!page.body.contains("/erase") && !page.body.contains("/credential/"));
    let list = site.get("/admin/members").await;
    assert!(!list.body.contains("王五") && !list.body.contains("已删除"));

    let again = site
        .post(
            &format!("/admin/members/{id}/erase"),
            &[("reason", "再删一次")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // The number is free again: the person may come back and register anew.
    register(&site, "王五", "13900000001").await;
}

#[tokio::test]
async fn a_hostile_name_is_shown_as_text_everywhere() {
    let site = Site::new(NOW).await;
    let id = register(&site, HOSTILE, "13900000001").await;
    for path in [
        "/admin/members".to_owned(),
        format!("/admin/members/{id}"),
        format!("/admin/members/{id}/badge"),
        "/admin/badges".to_owned(),
        format!("/admin/badges?ids={id}"),
    ] {
        let page = site.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains("&#60;img src=x"),
            "{path}: {}",
            page.body
        );
        assert!(
            !page.body.contains("<img src=x"),
            "{path} shows the name raw"
        );
    }
}

#[tokio::test]
async fn the_badge_sheet_prints_eight_to_a_page() {
    let site = Site::new(NOW).await;
    let mut ids = Vec::new();
    for n in 0..9 {
        ids.push(register(&site, &format!("会员{n}"), &format!("1390000001{n}")).await);
    }
    let all = site.get("/admin/badges").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body.matches(r#"<div class="sheet">"#).count(), 2);
    assert_eq!(all.body.matches(r#"<div class="badge-card">"#).count(), 9);
    assert!(all.body.contains("data-print"));

    let two = site
        .get(&format!("/admin/badges?ids={},{}", ids[0], ids[3]))
        .await;
    assert_eq!(two.body.matches(r#"<div class="badge-card">"#).count(), 2);
    assert!(
        two.body.contains("会员0") && two.body.contains("会员3") && !two.body.contains("会员1<")
    );

    let bad = site.get("/admin/badges?ids=abc").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("会员编号“abc”有误"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let site = Site::new(NOW).await;
    let id = register(&site, "王五", "13900000001").await;
    let register = site
        .post_without_csrf(
            "/admin/members",
            &[
                ("name", "李四"),
                ("phone", "13812345678"),
                ("employer", "x"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(register.status, StatusCode::FORBIDDEN);
    for action in ["erase", "credential/reissue", "status", "cards"] {
        let answer = site
            .post_without_csrf(&format!("/admin/members/{id}/{action}"), &[("reason", "x")])
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{action}");
    }
    let row = member(&site, id).await;
    assert_eq!(row.status, MemberStatus::Active);
    assert_eq!(row.name, "王五");
}

#[tokio::test]
async fn a_remembered_phone_is_listed_and_revoked() {
    let site = Site::new(NOW).await;
    let id = register(&site, "王五", "13900000001").await;
    let now = site.now();
    let hash = "ab12cd34ef56".repeat(5);
    site.state()
        .store
        .write(move |conn| devices::remember(conn, &hash, id, now))
        .await
        .expect("remember");
    let page = site.get(&format!("/admin/members/{id}")).await;
    assert!(
        page.body.contains(r#"name="handle" value="ab12cd34ef56""#),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("2026-05-12 10:00"),
        "shown in the home's time"
    );

    let wrong = site
        .post(
            &format!("/admin/members/{id}/phones/revoke"),
            &[("handle", "000000000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    let revoked = site
        .post(
            &format!("/admin/members/{id}/phones/revoke"),
            &[("handle", "ab12cd34ef56")],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let left = site
        .state()
        .store
        .read(move |conn| devices::for_member(conn, id))
        .await
        .expect("devices");
    assert!(left.is_empty());
}
