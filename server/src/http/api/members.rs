//! Members: register, search, look at, change, QR credential, cards.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::credential::CardUid;
use crate::domain::ids::MemberId;
use crate::domain::member::{self, MemberName, MemberStatus, NewMember, Registration};
use crate::domain::phone::Phone;
use crate::domain::{Invalid, optional_text};
use crate::export;
use crate::home;
use crate::http::AppState;
use crate::http::views::{Detail, MemberView};
use crate::store::members::{self, MemberChanges};
use crate::web::auth::Staff;
use crate::web::error::ApiError;
use crate::web::extract::{ApiJson, ApiQuery, Id, IdAnd};

#[derive(Debug, Deserialize)]
pub struct NewMemberBody {
    name: Option<String>,
    phone: Option<String>,
    employer: Option<String>,
    discipline: Option<String>,
    title: Option<String>,
    consent: Option<bool>,
    consent_share: Option<bool>,
}

pub async fn post(
    State(state): State<AppState>,
    _staff: Staff,
    ApiJson(body): ApiJson<NewMemberBody>,
) -> Result<(StatusCode, Json<MemberView>), ApiError> {
    let member = NewMember::parse(&Registration {
        name: body.name.as_deref(),
        phone: body.phone.as_deref(),
        employer: body.employer.as_deref(),
        discipline: body.discipline.as_deref(),
        title: body.title.as_deref(),
        consent: body.consent,
        consent_share: body.consent_share,
    })?;
    let created = home::members::register(&state.store, state.clock.now(), member).await?;
    Ok((
        StatusCode::CREATED,
        Json(MemberView::new(
            created,
            Detail::WithPhone,
            &state.settings.tz,
        )),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Part of a name, or digits of a phone number.
    q: Option<String>,
    limit: Option<u32>,
}

pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let text = query.q.unwrap_or_default();
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let found = state
        .store
        .read(move |conn| members::search(conn, &text, limit))
        .await?;
    let tz = &state.settings.tz;
    Ok(Json(
        found
            .into_iter()
            .map(|m| MemberView::new(m, Detail::Summary, tz))
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
pub struct GetQuery {
    /// `show` asks for the full phone number; the look is audited.
    phone: Option<String>,
}

/// One member, the phone masked unless `?phone=show` asks for it (then `member.phone_viewed`
/// is audited, as on the staff detail page).
pub async fn get(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Id(id): Id<MemberId>,
    ApiQuery(query): ApiQuery<GetQuery>,
) -> Result<Json<MemberView>, ApiError> {
    let detail = match query.phone.as_deref() {
        None => Detail::Record,
        Some("show") => Detail::WithPhone,
        Some(_) => {
            return Err(Invalid::new("phone", "phone 参数只能是 show（显示完整手机号）").into());
        }
    };
    let member = if detail == Detail::WithPhone {
        home::members::show_phone(&state.store, state.clock.now(), &staff.username, id).await?
    } else {
        state.store.read(move |conn| members::get(conn, id)).await?
    };
    Ok(Json(MemberView::new(member, detail, &state.settings.tz)))
}

#[derive(Debug, Deserialize)]
pub struct MemberPatch {
    name: Option<String>,
    phone: Option<String>,
    employer: Option<String>,
    discipline: Option<String>,
    title: Option<String>,
    consent_share: Option<bool>,
    status: Option<String>,
}

impl MemberPatch {
    fn changes(&self) -> Result<MemberChanges, Invalid> {
        Ok(MemberChanges {
            name: self
                .name
                .as_deref()
                .map(MemberName::parse)
                .transpose()?
                .map(|n| n.as_str().to_owned()),
            phone: self
                .phone
                .as_deref()
                .map(Phone::parse)
                .transpose()?
                .map(|p| p.as_str().to_owned()),
            employer: self
                .employer
                .as_deref()
                .map(member::parse_employer)
                .transpose()?,
            discipline: self
                .discipline
                .as_deref()
                .map(|d| member::parse_discipline(Some(d)))
                .transpose()?,
            title: self
                .title
                .as_deref()
                .map(|t| member::parse_title(Some(t)))
                .transpose()?,
            consent_share: self.consent_share,
            status: self
                .status
                .as_deref()
                .map(MemberStatus::parse_settable)
                .transpose()?,
        })
    }
}

pub async fn update(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Id(id): Id<MemberId>,
    ApiJson(patch): ApiJson<MemberPatch>,
) -> Result<Json<MemberView>, ApiError> {
    let changes = patch.changes()?;
    let now = state.clock.now();
    let updated = home::members::update(&state.store, now, &staff.username, id, changes).await?;
    Ok(Json(MemberView::new(
        updated,
        Detail::Record,
        &state.settings.tz,
    )))
}

/// The member's QR code, as a PNG to print or show.
pub async fn qr_png(
    State(state): State<AppState>,
    _staff: Staff,
    Id(id): Id<MemberId>,
) -> Result<Response, ApiError> {
    let member = state.store.read(move |conn| members::get(conn, id)).await?;
    let credential = member.credential.ok_or(ApiError::NotFound)?;
    let png = export::qr::png(&credential).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        png,
    )
        .into_response())
}

/// Issues a new QR credential; the old code stops working at once.
pub async fn reissue_credential(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Id(id): Id<MemberId>,
) -> Result<Json<MemberView>, ApiError> {
    let now = state.clock.now();
    let member = home::members::reissue_credential(&state.store, now, &staff.username, id).await?;
    Ok(Json(MemberView::new(
        member,
        Detail::Record,
        &state.settings.tz,
    )))
}

/// Revokes the QR credential (a lost badge); the member can still use cards or be reissued one.
pub async fn revoke_credential(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Id(id): Id<MemberId>,
) -> Result<Json<MemberView>, ApiError> {
    let now = state.clock.now();
    let member = home::members::revoke_credential(&state.store, now, &staff.username, id).await?;
    Ok(Json(MemberView::new(
        member,
        Detail::Record,
        &state.settings.tz,
    )))
}

#[derive(Debug, Deserialize)]
pub struct CardBody {
    uid: String,
}

pub async fn bind_card(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Id(id): Id<MemberId>,
    ApiJson(body): ApiJson<CardBody>,
) -> Result<(StatusCode, Json<MemberView>), ApiError> {
    let uid = parse_uid(&body.uid)?;
    let now = state.clock.now();
    let member = home::members::bind_card(&state.store, now, &staff.username, id, uid).await?;
    Ok((
        StatusCode::CREATED,
        Json(MemberView::new(member, Detail::Record, &state.settings.tz)),
    ))
}

pub async fn unbind_card(
    State(state): State<AppState>,
    Staff(staff): Staff,
    IdAnd(id, uid): IdAnd<MemberId>,
) -> Result<Json<MemberView>, ApiError> {
    let uid = CardUid::parse(&uid).ok_or(ApiError::NotFound)?;
    let now = state.clock.now();
    let member = home::members::unbind_card(&state.store, now, &staff.username, id, uid).await?;
    Ok(Json(MemberView::new(
        member,
        Detail::Record,
        &state.settings.tz,
    )))
}

fn parse_uid(raw: &str) -> Result<CardUid, Invalid> {
    optional_text("uid", "卡号", Some(raw), 40)?;
    CardUid::parse(raw).ok_or_else(|| {
        Invalid::new(
            "uid",
            "卡号须为读卡器报告的 4 到 20 位十六进制数字，例如 0A1B2C3D4E",
        )
    })
}
