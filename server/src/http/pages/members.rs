//! The staff pages for members: the list and search, registration at the desk, a member's
//! detail page with its corrections (QR code, status, cards, phones, erasure) and printable
//! badges. One file per screen under `members/`; what they share is here.

mod actions;
mod badges;
mod detail;
mod list;
mod register;

use axum::Router;
use axum::routing::{get, post};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::render::PageError;
use crate::domain::ids::MemberId;
use crate::domain::member::MemberStatus;
use crate::http::AppState;
use crate::http::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/members", get(list::view).post(register::submit))
        .route("/admin/members/new", get(register::form))
        .route("/admin/members/{id}", get(detail::view))
        .route(
            "/admin/members/{id}/credential/reissue",
            post(actions::reissue_credential),
        )
        .route(
            "/admin/members/{id}/credential/revoke",
            post(actions::revoke_credential),
        )
        .route("/admin/members/{id}/status", post(actions::set_status))
        .route("/admin/members/{id}/erase", post(actions::erase))
        .route("/admin/members/{id}/cards", post(actions::bind_card))
        .route(
            "/admin/members/{id}/cards/unbind",
            post(actions::unbind_card),
        )
        .route(
            "/admin/members/{id}/phones/revoke",
            post(actions::revoke_phone),
        )
        .route("/admin/members/{id}/badge", get(badges::one))
        .route("/admin/badges", get(badges::sheet))
}

/// The member a path names; an id that does not parse names nobody.
fn member_id(raw: &str) -> Result<MemberId, PageError> {
    raw.parse().map_err(|_| ApiError::NotFound.into())
}

/// An instant as the home's clock showed it.
fn local_time(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

fn status_label(status: MemberStatus) -> &'static str {
    match status {
        MemberStatus::Active => "正常",
        MemberStatus::Suspended => "已停用",
        MemberStatus::Erased => "已删除",
    }
}

/// The path of a member's detail page.
fn detail_path(id: MemberId) -> String {
    format!("/admin/members/{id}")
}
