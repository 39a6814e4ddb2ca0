//! The hub's HTTP calls: enrolment and pushes from the homes (authenticated by the one-time code
//! and by signature), and the association's staff calls.

use std::time::Instant;

use axum::Json;
use axum::extract::{FromRequest, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::enrol_code;
use super::evaluation::{self, Evaluation};
use super::pushes::{self, PushRefused};
use super::registry::{self, Enrolment};
use super::store as hub;
use crate::domain::Invalid;
use crate::domain::calendar::{year_or_current, year_span};
use crate::hub::state::HubState;
use crate::web::auth::Staff;
use crate::web::error::ApiError;
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::rate_limit;
use crate::wire::{Decision, EnrollRequest, Push, Refusal};

/// Takes a home's one-time code and public key. Every attempt passes the enrolment throttle
/// first (see `enrol_code`): the codes are short, so guessing must be slow.
pub async fn enroll(
    State(state): State<HubState>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let peer = crate::web::login::peer(request.extensions());
    let ApiJson(request) = ApiJson::<EnrollRequest>::from_request(request, &state).await?;
    let valid_key = hex::decode(&request.public_key).is_ok_and(|k| k.len() == 32);
    if !valid_key {
        return Err(Invalid::new("public_key", "公钥须为 64 位十六进制").into());
    }
    let attempt = match state.enrolments.admit(peer, Instant::now()) {
        Ok(attempt) => attempt,
        Err(left) => {
            tracing::warn!("enrolment refused: too many wrong codes");
            return Ok(too_many_attempts(left));
        }
    };
    let enrolment = registry::enrol(&state, &request.code, request.public_key.clone()).await?;
    match enrolment {
        Enrolment::Enrolled(answer) => {
            attempt.succeeded();
            Ok(Json(answer).into_response())
        }
        Enrolment::Expired => {
            // The code was right, only late: no guess, so not counted.
            attempt.succeeded();
            Err(ApiError::Forbidden(enrol_code::EXPIRED_MESSAGE.into()))
        }
        Enrolment::Unknown => Err(ApiError::Forbidden(enrol_code::UNKNOWN_MESSAGE.into())),
    }
}

/// 429 with the wait, as the login lockout answers.
fn too_many_attempts(left: std::time::Duration) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, rate_limit::retry_after(left))],
        Json(serde_json::json!({ "error": enrol_code::wait_message(left) })),
    )
        .into_response()
}

/// A home's signed batch: verified (signature, sequence, chain) before anything is stored
/// (see `pushes`). A refusal answers with the hub's cursor, so the home knows where to resume.
pub async fn push(State(state): State<HubState>, ApiJson(push): ApiJson<Push>) -> Response {
    match pushes::take_in(&state.store, state.clock.now(), push).await {
        Ok(answer) => Json(answer).into_response(),
        Err(refused) => refusal(refused).into_response(),
    }
}

fn refusal(refused: PushRefused) -> (StatusCode, Json<Refusal>) {
    let (status, error, acked_seq) = match refused {
        PushRefused::Forbidden(reason) => (StatusCode::FORBIDDEN, reason, 0),
        PushRefused::Malformed(reason) => (StatusCode::BAD_REQUEST, reason, 0),
        PushRefused::OutOfStep { reason, acked } => (StatusCode::CONFLICT, reason, acked),
        PushRefused::Store(error) => {
            let error = ApiError::from(error);
            if let ApiError::Internal(detail) = &error {
                tracing::error!(%detail, "push failed");
            }
            (error.status(), error.message(), 0)
        }
    };
    (status, Json(Refusal { error, acked_seq }))
}

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<i16>,
}

pub async fn evaluation(
    State(state): State<HubState>,
    _staff: Staff,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<Evaluation>, ApiError> {
    let now = state.clock.now();
    let tz = state.settings.tz.clone();
    let year = year_or_current(query.year, now, &tz)?;
    let (from, until) = year_span(year, &tz)?;
    let thresholds = state.settings.evaluation;
    let evaluated = state
        .store
        .read(move |conn| evaluation::evaluate(conn, year, from, until, now, &tz, &thresholds))
        .await?;
    Ok(Json(evaluated))
}

pub async fn homes(
    State(state): State<HubState>,
    _staff: Staff,
) -> Result<Json<Vec<hub::HomeEntry>>, ApiError> {
    Ok(Json(state.store.read(hub::homes).await?))
}

pub async fn members(
    State(state): State<HubState>,
    _staff: Staff,
    Path(home): Path<String>,
) -> Result<Json<Vec<hub::MemberEntry>>, ApiError> {
    Ok(Json(
        state
            .store
            .read(move |conn| hub::members(conn, &home))
            .await?,
    ))
}

pub async fn refusals(
    State(state): State<HubState>,
    _staff: Staff,
) -> Result<Json<Vec<hub::RefusalEntry>>, ApiError> {
    Ok(Json(
        state.store.read(|conn| hub::refusals(conn, 200)).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct DecisionBody {
    activity_id: String,
    approved: bool,
    comment: Option<String>,
}

pub async fn decide(
    State(state): State<HubState>,
    Staff(staff): Staff,
    Path(home): Path<String>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<(StatusCode, Json<Decision>), ApiError> {
    registry::check_rejection(body.approved, body.comment.as_deref())?;
    let decision = registry::decide(
        &state,
        &home,
        &body.activity_id,
        body.approved,
        body.comment.as_deref(),
        &staff.username,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(decision)))
}

#[derive(Debug, Deserialize)]
pub struct NoticeBody {
    title: Option<String>,
    body: Option<String>,
}

pub async fn publish(
    State(state): State<HubState>,
    Staff(staff): Staff,
    ApiJson(body): ApiJson<NoticeBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let seq = registry::publish(
        &state,
        body.title.as_deref().unwrap_or_default(),
        body.body.as_deref().unwrap_or_default(),
        &staff.username,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "seq": seq }))))
}
