//! The forms of a member's detail page. Each checks the CSRF token, changes one thing in one
//! write (with its audit entry), then goes back to the page (303); a refused form shows the
//! page again with the reason and changes nothing.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::detail::{self, Notice};
use super::{detail_path, member_id, new_credential};
use crate::domain::credential::CardUid;
use crate::domain::ids::MemberId;
use crate::domain::member::MemberStatus;
use crate::domain::{Invalid, required_text};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::pages::csrf::{Csrf, CsrfForm};
use crate::http::pages::render::{self, Chrome, PageError, Section, StaffPage};
use crate::store::members::{self, MemberChanges};
use crate::store::{StoreError, audit, devices};

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
    let outcome = set_credential(&state, &staff, id, true).await;
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
    let outcome = set_credential(&state, &staff, id, false).await;
    finish(&state, &staff, &csrf, id, outcome, "revoked").await
}

/// A new QR credential (the old one stops working at once), or none (a lost badge).
async fn set_credential(
    state: &AppState,
    staff: &StaffPage,
    id: MemberId,
    reissue: bool,
) -> Result<(), PageError> {
    let credential = if reissue {
        Some(new_credential()?)
    } else {
        None
    };
    let action = if reissue {
        "member.credential.reissue"
    } else {
        "member.credential.revoke"
    };
    let staffer = staff.0.username.clone();
    let now = state.clock.now();
    state
        .store
        .write(move |conn| {
            members::set_credential(conn, id, credential.as_ref(), now)?;
            audit::append(conn, now, &staffer, action, &id.to_string(), None, None)
        })
        .await?;
    Ok(())
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
        Ok(status) => change_status(&state, &staff, id, status).await,
        Err(invalid) => Err(invalid.into()),
    };
    finish(&state, &staff, &csrf, id, outcome, done).await
}

async fn change_status(
    state: &AppState,
    staff: &StaffPage,
    id: MemberId,
    status: MemberStatus,
) -> Result<(), PageError> {
    let staffer = staff.0.username.clone();
    let now = state.clock.now();
    let changes = MemberChanges {
        status: Some(status),
        ..MemberChanges::default()
    };
    state
        .store
        .write(move |conn| {
            members::update(conn, id, &changes, now)?;
            let action = format!("member.status.{}", status.code());
            audit::append(conn, now, &staffer, &action, &id.to_string(), None, None)
        })
        .await?;
    Ok(())
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
        Ok(reason) => erase_member(&state, &staff, id, reason).await,
        Err(invalid) => Err(invalid.into()),
    };
    finish(&state, &staff, &csrf, id, outcome, "erased").await
}

async fn erase_member(
    state: &AppState,
    staff: &StaffPage,
    id: MemberId,
    reason: String,
) -> Result<(), PageError> {
    let staffer = staff.0.username.clone();
    let now = state.clock.now();
    state
        .store
        .write(move |conn| members::erase(conn, id, &staffer, &reason, now))
        .await?;
    Ok(())
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
        Ok(uid) => change_card(&state, &staff, id, uid, true).await,
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
        Some(uid) => change_card(&state, &staff, id, uid, false).await,
        None => Err(ApiError::NotFound.into()),
    };
    finish(&state, &staff, &csrf, id, outcome, "card_unbound").await
}

async fn change_card(
    state: &AppState,
    staff: &StaffPage,
    id: MemberId,
    uid: CardUid,
    bind: bool,
) -> Result<(), PageError> {
    let staffer = staff.0.username.clone();
    let now = state.clock.now();
    state
        .store
        .write(move |conn| {
            let action = if bind {
                members::bind_card(conn, id, &uid, now)?;
                "member.card.bind"
            } else {
                members::unbind_card(conn, id, &uid)?;
                "member.card.unbind"
            };
            audit::append(
                conn,
                now,
                &staffer,
                action,
                &id.to_string(),
                None,
                Some(uid.as_str()),
            )
        })
        .await?;
    Ok(())
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
    let staffer = staff.0.username.clone();
    let now = state.clock.now();
    let outcome = state
        .store
        .write(move |conn| {
            if !devices::revoke(conn, id, &handle, now)? {
                return Err(StoreError::NotFound);
            }
            audit::append(
                conn,
                now,
                &staffer,
                "member.device.revoke",
                &id.to_string(),
                None,
                None,
            )
        })
        .await
        .map_err(PageError::from);
    finish(&state, &staff, &csrf, id, outcome, "phone_revoked").await
}

/// Back to the detail page: after a change with what was done (303), after a refusal with
/// the reason and the refusal's status.
async fn finish(
    state: &AppState,
    staff: &StaffPage,
    csrf: &Csrf,
    id: MemberId,
    outcome: Result<(), PageError>,
    done: &str,
) -> Result<Response, PageError> {
    match outcome {
        Ok(()) => Ok(render::see_other(&format!(
            "{}?done={done}",
            detail_path(id)
        ))),
        Err(PageError::Api(error)) if error.status().is_client_error() => {
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
        Err(other) => Err(other),
    }
}
