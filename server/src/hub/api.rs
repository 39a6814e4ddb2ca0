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
use super::ingest::{self, Unopened, Verdict};
use super::registry;
use super::store as hub;
use crate::domain::Invalid;
use crate::domain::calendar::{year_or_current, year_span};
use crate::hub::state::HubState;
use crate::web::auth::Staff;
use crate::web::error::ApiError;
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::rate_limit;
use crate::wire::phone::PHONE_HASH_KIND;
use crate::wire::{Decision, EnrollAnswer, EnrollRequest, Push, PushAnswer, Refusal};

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
    let code_hash = enrol_code::code_hash(&request.code);
    let now = state.clock.now();
    let public_key = request.public_key.clone();
    let (enrolled, phone_key, details) = state
        .store
        .write(move |conn| {
            let key = hub::phone_key(conn)?;
            let enrolled = hub::enrol(conn, &code_hash, &public_key, now)?;
            let details = match &enrolled {
                hub::Enrolled::Home(id, _) => Some(hub::homes::get(conn, id)?.details),
                _ => None,
            };
            Ok((enrolled, key, details))
        })
        .await?;
    let (home_id, home_name) = match enrolled {
        hub::Enrolled::Home(id, name) => (id, name),
        hub::Enrolled::Expired => {
            // The code was right, only late: no guess, so not counted.
            attempt.succeeded();
            return Err(ApiError::Forbidden(enrol_code::EXPIRED_MESSAGE.into()));
        }
        hub::Enrolled::Unknown => {
            return Err(ApiError::Forbidden(enrol_code::UNKNOWN_MESSAGE.into()));
        }
    };
    attempt.succeeded();
    tracing::info!(home = %home_id, "home enrolled");
    Ok(Json(EnrollAnswer {
        home_id,
        home_name,
        phone_key: hex::encode(phone_key),
        host_unit: details.as_ref().and_then(|d| d.host_unit.clone()),
        awarded_on: details
            .and_then(|d| d.awarded_on)
            .map(|day| day.to_string()),
    })
    .into_response())
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

/// A home's signed batch: verified (signature, sequence, chain) before anything is stored.
pub async fn push(State(state): State<HubState>, ApiJson(push): ApiJson<Push>) -> Response {
    match take_in(&state, push).await {
        Ok(answer) => Json(answer).into_response(),
        Err(Refused(status, refusal)) => (status, Json(refusal)).into_response(),
    }
}

struct Refused(StatusCode, Refusal);

impl From<ApiError> for Refused {
    fn from(error: ApiError) -> Self {
        if let ApiError::Internal(detail) = &error {
            tracing::error!(%detail, "push failed");
        }
        Refused(
            error.status(),
            Refusal {
                error: error.message(),
                acked_seq: 0,
            },
        )
    }
}

async fn take_in(state: &HubState, push: Push) -> Result<PushAnswer, Refused> {
    let now = state.clock.now();
    let home = push.home_id.clone();
    let lookup = home.clone();
    let key = state
        .store
        .read(move |conn| hub::public_key(conn, &lookup))
        .await
        .map_err(ApiError::from)?;
    let refused_home = home.clone();
    let refuse = |reason: String, status: StatusCode, acked: i64, record: bool| async move {
        if record {
            let (home, text) = (refused_home.clone(), reason.clone());
            let recorded = state
                .store
                .write(move |conn| hub::refuse(conn, Some(&home), &text, now))
                .await;
            // A flood of refusals is counted, not logged line by line.
            if !matches!(recorded, Ok(hub::Recorded::Counted)) {
                tracing::warn!(home = %refused_home, %reason, "push refused");
            }
        }
        Refused(
            status,
            Refusal {
                error: reason,
                acked_seq: acked,
            },
        )
    };
    let Some(key) = key else {
        return Err(refuse(
            "未登记的科技工作者之家".into(),
            StatusCode::FORBIDDEN,
            0,
            false,
        )
        .await);
    };
    let batch = match ingest::open(&push, &key) {
        Ok(batch) => batch,
        Err(Unopened::BadSignature) => {
            return Err(refuse("签名无效".into(), StatusCode::FORBIDDEN, 0, true).await);
        }
        Err(Unopened::Malformed(e)) => {
            return Err(ApiError::BadRequest(format!("批次格式有误：{e}")).into());
        }
        Err(Unopened::WrongHome) => {
            return Err(ApiError::BadRequest("批次与签名的家不一致".into()).into());
        }
        Err(Unopened::BadPhoneHash { seq }) => {
            // Signed by the home: its software sends what the hub must never hold (a phone
            // number, say). The association must see it; the text names no value.
            let reason = Unopened::phone_hash_message(seq);
            return Err(refuse(reason, StatusCode::BAD_REQUEST, 0, true).await);
        }
        Err(Unopened::TooLarge { changes }) => {
            return Err(ApiError::BadRequest(format!(
                "一个批次最多 {} 条记录，收到 {changes} 条",
                crate::wire::MAX_BATCH
            ))
            .into());
        }
    };
    let notices_after = batch.notices_after;
    let phone_hashes_kept = batch.phone_hash_kind.as_deref() == Some(PHONE_HASH_KIND);
    if !phone_hashes_kept && batch.changes.iter().any(|c| c.personal.is_some()) {
        tracing::warn!(home = %home, "a home of an older kejia sent fast phone hashes; they are not kept");
    }
    let writer_home = home.clone();
    // Verified and stored in one write, so two pushes of the same home cannot interleave.
    let outcome = state
        .store
        .write(move |conn| {
            let acked = hub::acked(conn, &writer_home)?;
            let verdict = ingest::verify(&batch, acked, |seq| {
                hub::hash_at(conn, &writer_home, seq).ok().flatten()
            });
            match verdict {
                Verdict::Accept(fresh) => {
                    hub::take_in(conn, &writer_home, &fresh, phone_hashes_kept, now)?;
                    if phone_hashes_kept {
                        hub::set_phone_hashes(conn, &writer_home, &batch.phone_hashes)?;
                    }
                    let answer = PushAnswer {
                        acked_seq: hub::acked(conn, &writer_home)?,
                        decisions: hub::decisions(conn, &writer_home)?,
                        notices: hub::notices_after(conn, notices_after)?,
                    };
                    Ok(Ok(answer))
                }
                Verdict::Refuse(rejection) => Ok(Err((rejection, acked))),
            }
        })
        .await
        .map_err(ApiError::from)?;
    match outcome {
        Ok(answer) => Ok(answer),
        Err((rejection, acked)) => Err(refuse(
            rejection.message(),
            StatusCode::CONFLICT,
            acked,
            rejection.is_tampering(),
        )
        .await),
    }
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
