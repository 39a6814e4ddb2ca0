//! The staff pages for members: the list and search, registration at the desk, a member's
//! detail page with its corrections (QR code, status, cards, phones, erasure) and printable
//! badges. One file per screen under `members/`; what they share is here.

pub mod actions;
pub mod badges;
pub mod detail;
pub mod list;
pub mod register;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::domain::ids::MemberId;
use crate::domain::member::MemberStatus;
use crate::web::error::ApiError;
use crate::web::render::PageError;

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
