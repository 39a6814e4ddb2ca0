//! Check-in resolution through the real server.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{As, TestHome, in_minutes, phone, string};

#[test]
fn second_scan_answers_already_checked_in_and_counts_once() {
    let home = TestHome::start();
    let activity = home.create_open_activity("人工智能学术沙龙");
    let (member, credential) = home.create_member("张三明", &phone(1));

    let first = home.checkin(&credential);
    assert_eq!(first["outcome"], "checked_in");
    assert_eq!(first["member"]["id"], member.as_str());
    assert_eq!(first["member"]["name_masked"], "张*明");
    assert_eq!(first["activity"]["id"], activity.as_str());
    assert_eq!(first["participants"], 1);

    let second = home.checkin(&credential);
    assert_eq!(second["outcome"], "already_checked_in");
    assert_eq!(second["participants"], 1);
    assert_eq!(home.participants(&activity), 1);
}

#[test]
fn fifty_concurrent_scans_of_one_member_check_in_exactly_once() {
    let home = Arc::new(TestHome::start());
    let activity = home.create_open_activity("并发测试");
    let (_, credential) = home.create_member("李四", &phone(2));
    let barrier = Arc::new(std::sync::Barrier::new(50));
    let threads: Vec<_> = (0..50)
        .map(|_| {
            let (home, credential, barrier) = (home.clone(), credential.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                string(&home.checkin(&credential)["outcome"])
            })
        })
        .collect();
    let outcomes: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| *o == "checked_in").count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| *o == "already_checked_in")
            .count(),
        49
    );
    assert_eq!(home.participants(&activity), 1);
}

#[test]
fn a_bound_card_checks_its_member_in_whatever_the_case_of_its_uid() {
    let home = TestHome::start();
    let activity = home.create_open_activity("科普讲座");
    let (member, _) = home.create_member("王五", &phone(3));
    let (status, body) = home.post(
        &format!("/api/v1/members/{member}/cards"),
        As::Staff,
        json!({ "uid": "0a1b2c3d4e" }),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["cards"], json!(["0A1B2C3D4E"]));

    let (status, answer) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": "0A1B2C3D4E", "source": "card" }),
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["outcome"], "checked_in");
    assert_eq!(answer["member"]["id"], member.as_str());
    assert_eq!(home.participants(&activity), 1);

    let (_, unknown) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": "FFFFFFFFFF", "source": "card" }),
    );
    assert_eq!(unknown["outcome"], "unknown_credential");
    assert!(unknown.get("member").is_none());
    let (_, scans) = home.get("/api/v1/scans?unknown=true", As::Staff);
    assert_eq!(
        scans[0]["credential"], "FFFFFFFFFF",
        "unknown cards wait in the scan log to be bound"
    );
}

#[test]
fn a_retried_scan_id_answers_as_the_first_did_and_counts_once() {
    let home = TestHome::start();
    let activity = home.create_open_activity("重试测试");
    let (_, credential) = home.create_member("赵六", &phone(4));
    let scan = json!({ "credential": credential, "source": "qr", "scan_id": "kiosk-1-000042" });
    let (_, first) = home.post("/api/v1/checkins", As::Kiosk, scan.clone());
    let (_, retry) = home.post("/api/v1/checkins", As::Kiosk, scan);
    assert_eq!(first["outcome"], "checked_in");
    assert_eq!(retry, first, "a retry gets the very same answer");
    assert_eq!(home.participants(&activity), 1);
    let (_, fresh) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": credential, "source": "qr", "scan_id": "kiosk-1-000043" }),
    );
    assert_eq!(
        fresh["outcome"], "already_checked_in",
        "a new scan id is a new scan"
    );
}

#[test]
fn with_no_activity_open_a_scan_records_one_visit_a_day() {
    let home = TestHome::start();
    home.create_activity("明天的活动", &in_minutes(24 * 60), &in_minutes(25 * 60));
    let (member, credential) = home.create_member("钱七", &phone(5));
    let first = home.checkin(&credential);
    assert_eq!(first["outcome"], "visit");
    assert_eq!(first["member"]["id"], member.as_str());
    assert!(first.get("activity").is_none());
    assert!(first.get("repeat").is_none());
    let again = home.checkin(&credential);
    assert_eq!(again["outcome"], "visit");
    assert_eq!(again["repeat"], true);
    assert_eq!(
        again["checkin_id"], first["checkin_id"],
        "the same visit, counted once"
    );
}

#[test]
fn suspended_members_unknown_codes_and_closed_activities_are_refused() {
    let home = TestHome::start();
    let closed = home.create_activity(
        "上周的活动",
        &in_minutes(-7 * 24 * 60),
        &in_minutes(-7 * 24 * 60 + 120),
    );
    let (member, credential) = home.create_member("孙八", &phone(6));

    let (status, _) = send_patch(
        &home,
        &format!("/api/v1/members/{member}"),
        json!({ "status": "suspended" }),
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(home.checkin(&credential)["outcome"], "member_suspended");
    send_patch(
        &home,
        &format!("/api/v1/members/{member}"),
        json!({ "status": "active" }),
    );

    assert_eq!(
        home.checkin("KJ1DEADBEEFDEADBEEFDEADBEEFDEADBEEF")["outcome"],
        "unknown_credential"
    );
    assert_eq!(
        home.checkin("not a kejia code")["outcome"],
        "unknown_credential"
    );

    let (_, answer) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": credential, "source": "qr", "activity_id": closed }),
    );
    assert_eq!(answer["outcome"], "activity_not_open");
    assert_eq!(home.participants(&closed), 0);
}

#[test]
fn two_open_activities_make_the_kiosk_ask_which() {
    let home = TestHome::start();
    let a = home.create_open_activity("甲");
    let b = home.create_open_activity("乙");
    let (_, credential) = home.create_member("周九", &phone(7));
    let (status, body) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": credential, "source": "qr" }),
    );
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let offered: Vec<String> = body["activities"]
        .as_array()
        .expect("choices")
        .iter()
        .map(|c| string(&c["id"]))
        .collect();
    assert_eq!(offered.len(), 2);
    assert!(offered.contains(&a) && offered.contains(&b));

    let (_, chosen) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": credential, "source": "qr", "activity_id": b }),
    );
    assert_eq!(chosen["outcome"], "checked_in");
    assert_eq!(home.participants(&b), 1);
    assert_eq!(home.participants(&a), 0);
}

#[test]
fn staff_backfill_a_past_activity_by_hand_and_it_is_marked_manual() {
    let home = TestHome::start();
    let past = home.create_activity(
        "上月讲座",
        &in_minutes(-30 * 24 * 60),
        &in_minutes(-30 * 24 * 60 + 90),
    );
    let (_, credential) = home.create_member("吴十", &phone(8));
    let manual = json!({ "credential": credential, "source": "manual", "activity_id": past });

    let (status, _) = home.post("/api/v1/checkins", As::Kiosk, manual.clone());
    assert_eq!(status, StatusCode::FORBIDDEN, "a kiosk cannot backfill");

    let (status, answer) = home.post("/api/v1/checkins", As::Staff, manual);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["outcome"], "checked_in");
    let (_, activity) = home.get(&format!("/api/v1/activities/{past}"), As::Staff);
    assert_eq!(activity["participants"], 1);
    assert_eq!(activity["manual_participants"], 1);
    let (_, list) = home.get(&format!("/api/v1/activities/{past}/attendance"), As::Staff);
    assert_eq!(list["checkins"][0]["method"], "manual");
}

#[test]
fn undo_needs_a_reason_uncounts_and_is_audited() {
    let home = TestHome::start();
    let activity = home.create_open_activity("撤销测试");
    let (_, credential) = home.create_member("郑十一", &phone(9));
    let checkin = string(&home.checkin(&credential)["checkin_id"]);

    let (status, body) = home.post(
        &format!("/api/v1/checkins/{checkin}/undo"),
        As::Staff,
        json!({ "reason": "  " }),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "reason");
    let (status, _) = home.post(
        &format!("/api/v1/checkins/{checkin}/undo"),
        As::Kiosk,
        json!({ "reason": "扫错了" }),
    );
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _) = home.post(
        &format!("/api/v1/checkins/{checkin}/undo"),
        As::Staff,
        json!({ "reason": "扫错了活动" }),
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(home.participants(&activity), 0);
    let (status, _) = home.post(
        &format!("/api/v1/checkins/{checkin}/undo"),
        As::Staff,
        json!({ "reason": "again" }),
    );
    assert_eq!(status, StatusCode::CONFLICT);

    let (_, audit) = home.get("/api/v1/audit", As::Staff);
    assert_eq!(audit[0]["action"], "checkin.undo");
    assert_eq!(audit[0]["reason"], "扫错了活动");
    assert_eq!(audit[0]["actor"], "admin");
    assert_eq!(
        home.checkin(&credential)["outcome"],
        "checked_in",
        "after an undo the member can check in again"
    );
}

fn send_patch(
    home: &TestHome,
    path: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    crate::support::send(
        home.request(reqwest::Method::PATCH, path, As::Staff)
            .json(&body),
    )
}

#[test]
fn a_kiosk_finds_members_by_phone_digits_and_checks_one_in_by_keypad() {
    let home = TestHome::start();
    let activity = home.create_open_activity("尾号签到");
    let (member, _) = home.create_member("张三明", "13800008001");
    home.create_member("李四光", "13900018001");
    home.create_member("王五", "13900012345");

    let (status, _) = home.get("/api/v1/kiosk/members?phone_suffix=801", As::Kiosk);
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "three digits would list too many people"
    );
    let (status, found) = home.get("/api/v1/kiosk/members?phone_suffix=8001", As::Kiosk);
    assert_eq!(status, StatusCode::OK, "{found}");
    let found = found.as_array().expect("list").clone();
    assert_eq!(found.len(), 2);
    assert!(
        found
            .iter()
            .all(|m| m.get("name").is_none() && m.get("phone").is_none()),
        "masked only: {found:?}"
    );
    let zhang = found
        .iter()
        .find(|m| m["id"] == member.as_str())
        .expect("found");
    assert_eq!(zhang["name_masked"], "张*明");
    assert_eq!(zhang["phone_masked"], "138****8001");

    let (status, answer) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "member_id": member, "source": "keypad" }),
    );
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["outcome"], "checked_in");
    assert_eq!(home.participants(&activity), 1);
    let (status, _) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "member_id": member, "source": "qr" }),
    );
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a member id goes with the keypad only"
    );
    let (status, _) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": "x", "member_id": member, "source": "keypad" }),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "one or the other");
}
