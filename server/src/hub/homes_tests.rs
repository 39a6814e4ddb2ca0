//! Registration, details and ratings through the hub's JSON API.

use axum::http::StatusCode;
use serde_json::json;

use super::test_support::{HubSite, Seeded};
use crate::wire::chain::HomeKey;

#[tokio::test]
async fn a_home_is_registered_with_details_then_awarded_and_rated() {
    let site = HubSite::new().await;
    let (status, registered) = site
        .json(
            "POST",
            "/api/v1/homes",
            Some(json!({
                "name": " 益阳高新区科技工作者之家 ",
                "host_unit": "益阳某新材料有限公司",
                "kind": "enterprise",
                "address": "益阳市高新区东部产业园 8 号",
                "contact": "张敏 0737-1234567",
                "applied_on": "2025-03-01",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let id = registered["id"].as_str().expect("id").to_owned();
    let code = registered["code"].as_str().expect("code").to_owned();
    assert_eq!(registered["name"], "益阳高新区科技工作者之家");
    assert_eq!(registered["kind"], "enterprise");
    assert_eq!(registered["kind_label"], "高新技术企业");
    assert_eq!(registered["stage"], "已申报");
    assert_eq!(registered["applied_on"], "2025-03-01");
    assert_eq!(registered["enrolled"], false);

    // The code is shown once: reading the home again does not repeat it, and it enrols.
    let (status, home) = site.json("GET", &format!("/api/v1/homes/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{home}");
    assert!(home.get("code").is_none(), "{home}");
    assert_eq!(home["contact"], "张敏 0737-1234567");
    let key = HomeKey::from_secret([7; 32]);
    let (status, enrolled) = site
        .json(
            "POST",
            "/api/v1/enroll",
            Some(json!({ "code": code, "public_key": key.public_hex() })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{enrolled}");
    assert_eq!(enrolled["home_id"], id.as_str());

    // Awarded in March 2026: only the details named change.
    let (status, awarded) = site
        .json(
            "PATCH",
            &format!("/api/v1/homes/{id}"),
            Some(json!({ "awarded_on": "2026-03-18", "address": null })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{awarded}");
    assert_eq!(awarded["awarded_on"], "2026-03-18");
    assert_eq!(awarded["stage"], "已授牌");
    assert_eq!(awarded["address"], serde_json::Value::Null);
    assert_eq!(awarded["host_unit"], "益阳某新材料有限公司");
    assert_eq!(awarded["enrolled"], true);

    // The evaluation counts from the award month on: January and February are not due.
    let (_, evaluation) = site.json("GET", "/api/v1/evaluation?year=2026", None).await;
    let missing = &evaluation["homes"][0]["missing_months"];
    assert_eq!(missing, &json!([3, 4, 5, 6, 7]), "{evaluation}");

    // Rated, then rated again: the second rating replaces the first.
    let path = format!("/api/v1/homes/{id}/ratings/2026");
    let (status, rating) = site
        .json("PUT", &path, Some(json!({ "rating": "qualified" })))
        .await;
    assert_eq!(status, StatusCode::OK, "{rating}");
    assert_eq!(rating["label"], "合格");
    assert_eq!(rating["decided_by"], "xiehui");
    let (status, _) = site
        .json("PUT", &path, Some(json!({ "rating": "excellent" })))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(site.count("SELECT count(*) FROM ratings").await, 1);
    let (_, home) = site.json("GET", &format!("/api/v1/homes/{id}"), None).await;
    assert_eq!(home["ratings"][0]["year"], 2026);
    assert_eq!(home["ratings"][0]["rating"], "excellent");
    assert_eq!(home["ratings"][0]["label"], "优秀");

    // Withdrawn by mistake, then gone.
    let (status, _) = site.json("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = site.json("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(site.count("SELECT count(*) FROM ratings").await, 0);
}

#[tokio::test]
async fn bad_details_and_ratings_are_refused_in_chinese_not_failed() {
    let site = HubSite::new().await;
    let refused = |status: StatusCode, value: &serde_json::Value, field: &str| {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{value}");
        assert_eq!(value["field"], field, "{value}");
        let message = value["error"].as_str().expect("message");
        assert!(
            message
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{message}"
        );
    };
    for (body, field) in [
        (json!({}), "name"),
        (json!({ "name": "   " }), "name"),
        (json!({ "name": "家".repeat(101) }), "name"),
        (json!({ "name": "赫山区", "kind": "factory" }), "kind"),
        (
            json!({ "name": "赫山区", "awarded_on": "2026/05/20" }),
            "awarded_on",
        ),
        (
            json!({ "name": "赫山区", "awarded_on": "2027-01-01" }),
            "awarded_on",
        ),
        (
            json!({ "name": "赫山区", "contact": "张三\n138" }),
            "contact",
        ),
        (json!({ "name": 5 }), "name"),
    ] {
        let (status, value) = site.json("POST", "/api/v1/homes", Some(body)).await;
        refused(status, &value, field);
    }
    assert_eq!(site.count("SELECT count(*) FROM homes").await, 0);

    let id = site.enrolled_home("赫山区科技工作者之家").await;
    let (status, value) = site
        .json(
            "PATCH",
            &format!("/api/v1/homes/{id}"),
            Some(json!({ "applied_on": "2026-05-01", "awarded_on": "2026-04-01" })),
        )
        .await;
    refused(status, &value, "awarded_on");
    let (status, _) = site
        .json(
            "PATCH",
            "/api/v1/homes/no-such-home",
            Some(json!({ "awarded_on": "2026-04-01" })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Not yet awarded: no rating; then a future year, a year before the award, a bad word.
    let rate = |year: &str| format!("/api/v1/homes/{id}/ratings/{year}");
    let body = Some(json!({ "rating": "qualified" }));
    let (status, value) = site.json("PUT", &rate("2026"), body.clone()).await;
    refused(status, &value, "rating");
    let (status, _) = site
        .json(
            "PATCH",
            &format!("/api/v1/homes/{id}"),
            Some(json!({ "awarded_on": "2025-06-01" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, value) = site.json("PUT", &rate("2027"), body.clone()).await;
    refused(status, &value, "year");
    let (status, value) = site.json("PUT", &rate("2024"), body.clone()).await;
    refused(status, &value, "year");
    let (status, value) = site.json("PUT", &rate("abc"), body.clone()).await;
    refused(status, &value, "year");
    let (status, value) = site
        .json("PUT", &rate("2025"), Some(json!({ "rating": "good" })))
        .await;
    refused(status, &value, "rating");
    let (status, _) = site
        .json(
            "PUT",
            "/api/v1/homes/no-such-home/ratings/2025",
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(site.count("SELECT count(*) FROM ratings").await, 0);

    // Not signed in: nothing.
    for (method, path) in [
        ("POST", "/api/v1/homes".to_owned()),
        ("GET", format!("/api/v1/homes/{id}")),
        ("PATCH", format!("/api/v1/homes/{id}")),
        ("PUT", rate("2025")),
        ("DELETE", rate("2025")),
    ] {
        let (status, _) = site
            .json_as(
                false,
                method,
                &path,
                Some(json!({ "name": "x", "rating": "failed" })),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}

#[tokio::test]
async fn a_home_added_by_name_alone_is_an_applied_home_of_type_other() {
    let site = HubSite::new().await;
    let (id, code) = site
        .hub
        .add_home("资阳区科技工作者之家")
        .await
        .expect("add");
    assert!(!code.is_empty());
    let (_, home) = site.json("GET", &format!("/api/v1/homes/{id}"), None).await;
    assert_eq!(home["kind"], "other");
    assert_eq!(home["stage"], "已申报");
    assert!(site.hub.add_home(" ").await.is_err());
    // Seeded records do not disturb the home's own details.
    site.seed(
        &id,
        vec![Seeded {
            title: "讲座".into(),
            starts_at: "2026-07-01T02:00:00Z",
            participants: 2,
        }],
    )
    .await;
    let (_, list) = site.json("GET", "/api/v1/homes", None).await;
    assert_eq!(list[0]["name"], "资阳区科技工作者之家");
}
