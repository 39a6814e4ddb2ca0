//! The forms of a member's detail page. Each checks the CSRF token, changes one thing in one
//! write (with its audit entry), then goes back to the page (303); a refused form shows the
//! page again with the reason and changes nothing.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::detail::{self, Notice};
use super::{detail_path, member_id};
use crate::domain::credential::CardUid;
use crate::domain::ids::MemberId;
use crate::domain::member::MemberStatus;
use crate::domain::{Invalid, required_text};
use crate::home::{self, HomeError};
use crate::http::AppState;
use crate::http::pages::chrome::{Chrome, Section};
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::error::ApiError;
use crate::web::render::{self, PageError, StaffPage};

/// A form with nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub struct Empty {}

pub async fn reissue_credential(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let id = member_id(&raw)?;
    let staffer = &staff.0.username;
    let outcome = home::members::reissue_credential(&state.store, state.clock.now(), staffer, id)
        .await
        .map(drop);
    finish(&state, &staff, &csrf, id, outcome, "reissued").await
}

pub async fn revoke_credential(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let id = member_id(&raw)?;
    let staffer = &staff.0.username;
    let outcome = home::members::revoke_credential(&state.store, state.clock.now(), staffer, id)
        .await
        .map(drop);
    finish(&state, &staff, &csrf, id, outcome, "revoked").await
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    status: Option<String>,
}

pub async fn set_status(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> Result<Response, PageError> {
    let id = member_id(&raw)?;
    let parsed = MemberStatus::parse_settable(form.status.as_deref().unwrap_or_default());
    let done = if parsed == Ok(MemberStatus::Suspended) {
        "suspended"
    } else {
        "restored"
    };
    let outcome = match parsed {
        Ok(status) => {
            let now = state.clock.now();
            home::members::set_status(&state.store, now, &staff.0.username, id, status)
                .await
                .map(drop)
        }
        Err(invalid) => Err(invalid.into()),
    };
    finish(&state, &staff, &csrf, id, outcome, done).await
}

#[derive(Debug, Deserialize)]
pub struct EraseForm {
    reason: Option<String>,
}

pub async fn erase(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfForm(form): CsrfForm<EraseForm>,
) -> Result<Response, PageError> {
    let id = member_id(&raw)?;
    let outcome = match required_text(
        "reason",
        "删除原因",
        form.reason.as_deref().unwrap_or_default(),
        200,
    ) {
        Ok(reason) => {
            let now = state.clock.now();
            home::members::erase(&state.store, now, &staff.0.username, id, reason)
                .await
                .map(drop)
        }
        Err(invalid) => Err(invalid.into()),
    };
    finish(&state, &staff, &csrf, id, outcome, "erased").await
}

/// A card picked from the recent unknown scans, or typed; a typed one wins.
#[derive(Debug, Deserialize)]
pub struct BindForm {
    picked: Option<String>,
    uid: Option<String>,
}

impl BindForm {
    fn uid(&self) -> Result<CardUid, Invalid> {
        let typed = self.uid.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let picked = self
            .picked
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let raw = typed
            .or(picked)
            .ok_or_else(|| Invalid::new("uid", "请选择最近刷过的卡片，或输入卡号"))?;
        CardUid::parse(raw).ok_or_else(|| {
            Invalid::new(
                "uid",
                "卡号须为读卡器报告的 4 到 20 位十六进制数字，例如 0A1B2C3D4E",
            )
        })
    }
}

pub async fn bind_card(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfForm(form): CsrfForm<BindForm>,
) -> Result<Response, PageError> {
    let id = member_id(&raw)?;
    let outcome = match form.uid() {
        Ok(uid) => {
            let now = state.clock.now();
            home::members::bind_card(&state.store, now, &staff.0.username, id, uid)
                .await
                .map(drop)
        }
        Err(invalid) => Err(invalid.into()),
    };
    finish(&state, &staff, &csrf, id, outcome, "card_bound").await
}

#[derive(Debug, Deserialize)]
pub struct UnbindForm {
    uid: Option<String>,
}

pub async fn unbind_card(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfForm(form): CsrfForm<UnbindForm>,
) -> Result<Response, PageError> {
    let id = member_id(&raw)?;
    let outcome = match CardUid::parse(form.uid.as_deref().unwrap_or_default()) {
        Some(uid) => {
            let now = state.clock.now();
            home::members::unbind_card(&state.store, now, &staff.0.username, id, uid)
                .await
                .map(drop)
        }
        None => Err(HomeError::NotFound),
    };
    finish(&state, &staff, &csrf, id, outcome, "card_unbound").await
}

#[derive(Debug, Deserialize)]
pub struct PhoneForm {
    handle: Option<String>,
}

pub async fn revoke_phone(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfForm(form): CsrfForm<PhoneForm>,
) -> Result<Response, PageError> {
    let id = member_id(&raw)?;
    let handle = form.handle.unwrap_or_default();
    let now = state.clock.now();
    let outcome =
        home::members::revoke_phone(&state.store, now, &staff.0.username, id, handle).await;
    finish(&state, &staff, &csrf, id, outcome, "phone_revoked").await
}

/// Back to the detail page: after a change with what was done (303), after a refusal with
/// the reason and the refusal's status.
async fn finish(
    state: &AppState,
    staff: &StaffPage,
    csrf: &Csrf,
    id: MemberId,
    outcome: Result<(), HomeError>,
    done: &str,
) -> Result<Response, PageError> {
    match outcome.map_err(ApiError::from) {
        Ok(()) => Ok(render::see_other(&format!(
            "{}?done={done}",
            detail_path(id)
        ))),
        Err(error) if error.status().is_client_error() => {
            let status = error.status();
            let message = match error {
                ApiError::NotFound => "未找到要修改的内容，可能已被他人修改，请刷新后重试".into(),
                other => other.message(),
            };
            let chrome = Chrome::new(state, staff, csrf, Section::Members);
            detail::page(
                state,
                chrome,
                id,
                false,
                Some(Notice::Failed(message)),
                status,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}
