//! Article 4 over a whole year, counted from real check-ins.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{As, TestHome, phone};

/// Backfills `count` of the given members into an activity, as a staffer would from a paper
/// sign-in sheet.
fn attend(home: &TestHome, activity: &str, credentials: &[String], count: usize) {
    for credential in &credentials[..count] {
        let (status, answer) = home.post(
            "/api/v1/checkins",
            As::Staff,
            json!({ "credential": credential, "source": "manual", "activity_id": activity }),
        );
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["outcome"], "checked_in");
    }
}

#[test]
fn a_year_names_exactly_its_missing_months_and_short_activities() {
    let home = TestHome::start();
    let credentials: Vec<String> = (0..12)
        .map(|i| home.create_member(&format!("会员{i}"), &phone(100 + i)).1)
        .collect();
    let mut short = Vec::new();
    // A qualifying activity in January to June and in September to November.
    for month in [1, 2, 3, 4, 5, 6, 9, 10, 11] {
        let id = home.create_activity(
            &format!("{month} 月学术交流"),
            &format!("2025-{month:02}-15T14:00:00+08:00"),
            &format!("2025-{month:02}-15T16:00:00+08:00"),
        );
        attend(&home, &id, &credentials, 12);
    }
    // 00:30 on 1 August in China is still 31 July in UTC: this is August's activity, so July
    // stays empty.
    let august = home.create_activity(
        "八月第一天",
        "2025-08-01T00:30:00+08:00",
        "2025-08-01T02:00:00+08:00",
    );
    attend(&home, &august, &credentials, 10);
    // 00:30 on 1 January 2026 in China is 31 December 2025 in UTC: it belongs to 2026, so
    // December 2025 stays empty.
    let new_year = home.create_activity(
        "新年第一课",
        "2026-01-01T00:30:00+08:00",
        "2026-01-01T02:00:00+08:00",
    );
    attend(&home, &new_year, &credentials, 11);
    // Two activities with too few participants, and one cancelled that would have qualified.
    for (month, count) in [(3, 7), (9, 9)] {
        let id = home.create_activity(
            &format!("{month} 月小型沙龙"),
            &format!("2025-{month:02}-20T19:00:00+08:00"),
            &format!("2025-{month:02}-20T21:00:00+08:00"),
        );
        attend(&home, &id, &credentials, count);
        short.push((id, count));
    }
    let cancelled = home.create_activity(
        "取消的讲座",
        "2025-07-10T14:00:00+08:00",
        "2025-07-10T16:00:00+08:00",
    );
    attend(&home, &cancelled, &credentials, 12);
    let (status, _) = home.post(
        &format!("/api/v1/activities/{cancelled}/cancel"),
        As::Staff,
        json!({}),
    );
    assert_eq!(status, StatusCode::OK);

    let (status, report) = home.get("/api/v1/compliance?year=2025", As::Staff);
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["year"], 2025);
    assert_eq!(report["missing_months"], json!([7, 12]));
    assert_eq!(report["activities_held"], 12);
    assert_eq!(report["qualifying_activities"], 10);
    assert_eq!(report["meets_rules"], false);
    let mut named: Vec<(String, u64)> = report["short_activities"]
        .as_array()
        .expect("short list")
        .iter()
        .map(|s| {
            (
                s["id"].as_str().expect("id").to_owned(),
                s["participants"].as_u64().expect("count"),
            )
        })
        .collect();
    named.sort();
    let mut expected: Vec<(String, u64)> =
        short.into_iter().map(|(id, n)| (id, n as u64)).collect();
    expected.sort();
    assert_eq!(named, expected);
    assert_eq!(
        month(&report, 3),
        json!({ "month": 3, "activities": 2, "qualifying": 1 })
    );
    assert_eq!(
        month(&report, 7),
        json!({ "month": 7, "activities": 0, "qualifying": 0 })
    );
    assert_eq!(
        month(&report, 8),
        json!({ "month": 8, "activities": 1, "qualifying": 1 })
    );

    let (_, next_year) = home.get("/api/v1/compliance?year=2026", As::Staff);
    assert_eq!(
        month(&next_year, 1),
        json!({ "month": 1, "activities": 1, "qualifying": 1 })
    );
}

fn month(report: &Value, month: usize) -> Value {
    report["months"][month - 1].clone()
}
