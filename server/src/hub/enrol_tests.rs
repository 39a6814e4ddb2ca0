//! Enrolment codes at the hub's door: short, tolerant of how they are typed, single-use,
//! expiring by the hub's clock, and throttled.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use jiff::SignedDuration;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::enrol_code::{ALPHABET, EXPIRED_MESSAGE, PEER_FAILURES, UNKNOWN_MESSAGE};
use super::test_support::HubSite;
use crate::wire::chain::HomeKey;

fn key(secret: u8) -> String {
    HomeKey::from_secret([secret; 32]).public_hex()
}

async fn enroll(site: &HubSite, code: &str, secret: u8) -> (StatusCode, Value) {
    site.json_as(
        false,
        "POST",
        "/api/v1/enroll",
        Some(json!({ "code": code, "public_key": key(secret) })),
    )
    .await
}

/// An enrolment attempt as it arrives over the network, from `peer`.
async fn enroll_from(site: &HubSite, peer: [u8; 4], code: &str) -> (StatusCode, Value) {
    let mut request = Request::post("/api/v1/enroll")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "code": code, "public_key": key(9) }).to_string(),
        ))
        .expect("request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((peer, 40000))));
    let response = site.hub.router().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_registered_home_gets_a_short_code_that_reads_over_the_phone() {
    let site = HubSite::new().await;
    let (status, answer) = site
        .json(
            "POST",
            "/api/v1/homes",
            Some(json!({ "name": "赫山区科技工作者之家" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let code = answer["code"].as_str().expect("code");
    let (first, second) = code.split_once('-').expect("XXXX-XXXX");
    assert_eq!((first.len(), second.len()), (4, 4), "{code}");
    assert!(
        code.bytes()
            .filter(|b| *b != b'-')
            .all(|b| ALPHABET.contains(&b))
    );
}

#[tokio::test]
async fn a_code_typed_in_lower_case_with_spaces_enrols_once() {
    let site = HubSite::new().await;
    let (id, code) = site
        .hub
        .add_home("赫山区科技工作者之家")
        .await
        .expect("add");
    let typed = format!(" {} ", code.to_lowercase().replace('-', " "));
    let (status, answer) = enroll(&site, &typed, 1).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["home_id"], id.as_str());
    // Used: the same home may ask again, nobody else may.
    let (status, _) = enroll(&site, &code, 1).await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = enroll(&site, &code, 2).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(refused["error"], UNKNOWN_MESSAGE);
}

#[tokio::test]
async fn a_code_expires_after_seven_days_by_the_hubs_clock() {
    let site = HubSite::new().await;
    let (_, fresh) = site
        .hub
        .add_home("赫山区科技工作者之家")
        .await
        .expect("add");
    let (_, late) = site
        .hub
        .add_home("资阳区科技工作者之家")
        .await
        .expect("add");
    let issued = site.now();
    site.clock
        .set(issued + SignedDuration::from_hours(7 * 24) - SignedDuration::from_secs(1));
    let (status, answer) = enroll(&site, &fresh, 1).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "still valid a second before: {answer}"
    );
    site.clock.set(issued + SignedDuration::from_hours(7 * 24));
    let (status, refused) = enroll(&site, &late, 2).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(refused["error"], EXPIRED_MESSAGE);
    assert!(EXPIRED_MESSAGE.contains("新的登记码"));
    // The home that enrolled in time may still repeat its enrolment (a lost answer).
    let (status, _) = enroll(&site, &fresh, 1).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_new_code_replaces_an_expired_one_for_a_home_not_yet_enrolled() {
    let site = HubSite::new().await;
    let (id, old) = site
        .hub
        .add_home("赫山区科技工作者之家")
        .await
        .expect("add");
    site.clock
        .set(site.now() + SignedDuration::from_hours(8 * 24));
    let renewed = site
        .hub
        .new_code("赫山区科技工作者之家")
        .await
        .expect("by name");
    assert_eq!(renewed.profile.id, id);
    assert_eq!(
        renewed.code_expires_at,
        site.now() + SignedDuration::from_hours(7 * 24)
    );
    let (status, _) = enroll(&site, &old, 1).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the old code is gone");
    let (status, answer) = enroll(&site, &renewed.code, 1).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let error = site
        .hub
        .new_code(&id)
        .await
        .expect_err("enrolled homes need none");
    assert!(error.to_string().contains("已接入"), "{error}");
    let error = site.hub.new_code("没有这个家").await.expect_err("unknown");
    assert!(error.to_string().contains("没有名为"), "{error}");
}

#[tokio::test]
async fn wrong_codes_lock_the_guessing_address_out_even_for_a_right_code() {
    let site = HubSite::new().await;
    let (_, code) = site
        .hub
        .add_home("赫山区科技工作者之家")
        .await
        .expect("add");
    let guesser = [192, 0, 2, 1];
    for _ in 0..PEER_FAILURES {
        let (status, _) = enroll_from(&site, guesser, "ABCD-EFGH").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, refused) = enroll_from(&site, guesser, &code).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refused}");
    let message = refused["error"].as_str().expect("message");
    assert!(message.contains("分钟后再试"), "{message}");
    // Another address is not held up by the guesser.
    let (status, answer) = enroll_from(&site, [198, 51, 100, 7], &code).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn staff_can_issue_a_new_code_over_the_api_until_the_home_enrols() {
    let site = HubSite::new().await;
    let (_, registered) = site
        .json(
            "POST",
            "/api/v1/homes",
            Some(json!({ "name": "赫山区科技工作者之家" })),
        )
        .await;
    let id = registered["id"].as_str().expect("id").to_owned();
    assert_eq!(registered["code_expires_at"], "2026-07-22T12:00:00+08:00");
    let path = format!("/api/v1/homes/{id}/code");
    let (status, _) = site.json_as(false, "POST", &path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "staff only");
    let (status, renewed) = site.json("POST", &path, None).await;
    assert_eq!(status, StatusCode::CREATED, "{renewed}");
    assert_eq!(renewed["id"], id.as_str());
    let code = renewed["code"].as_str().expect("code");
    assert_ne!(Some(code), registered["code"].as_str());
    let (status, _) = enroll(&site, code, 1).await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = site.json("POST", &path, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let (status, _) = site
        .json("POST", "/api/v1/homes/no-such-home/code", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
