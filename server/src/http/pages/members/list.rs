//! `GET /admin/members?q=`: the newest members, or those whose name or phone matches.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::status_label;
use crate::domain::member::{Member, MemberStatus};
use crate::domain::phone::mask_phone;
use crate::http::AppState;
use crate::http::pages::chrome::{Chrome, Section};
use crate::store::members;
use crate::web::csrf::Csrf;
use crate::web::extract::PageQuery;
use crate::web::render::{self, PageError, StaffPage};

/// How many members one page lists.
const SHOWN: u32 = 100;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
}

/// One member as the list shows them: the phone masked.
struct Line {
    id: String,
    name: String,
    employer: String,
    phone_masked: String,
    status: &'static str,
    suspended: bool,
    cards: usize,
}

impl Line {
    fn new(member: Member) -> Self {
        Self {
            id: member.id.to_string(),
            phone_masked: mask_phone(&member.phone),
            status: status_label(member.status),
            suspended: member.status == MemberStatus::Suspended,
            cards: member.cards.len(),
            name: member.name,
            employer: member.employer,
        }
    }
}

#[derive(Template)]
#[template(path = "members/list.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    lines: Vec<Line>,
    /// The listed members' ids, for "print these badges".
    badge_ids: String,
    shown: u32,
    /// More members match than one page lists.
    truncated: bool,
}

pub async fn view(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    PageQuery(asked): PageQuery<ListQuery>,
) -> Result<Response, PageError> {
    let q = asked.q.unwrap_or_default().trim().to_owned();
    let text = search_text(&q);
    let found = state
        .store
        .read(move |conn| members::search(conn, &text, SHOWN))
        .await?;
    let badge_ids = found
        .iter()
        .filter(|m| m.status == MemberStatus::Active)
        .map(|m| m.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    render::ok(&ListPage {
        chrome: Chrome::new(&state, &staff, &csrf, Section::Members),
        truncated: found.len() >= SHOWN as usize,
        lines: found.into_iter().map(Line::new).collect(),
        badge_ids,
        shown: SHOWN,
        q,
    })
}

/// A phone number typed as `138 0013-8000` is searched for as its digits.
fn search_text(q: &str) -> String {
    let digits: String = q.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits
    } else {
        q.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_digits_may_be_typed_with_spaces_and_dashes() {
        assert_eq!(search_text("138 0013-8000"), "13800138000");
        assert_eq!(search_text("张 三"), "张 三");
        assert_eq!(search_text(""), "");
    }
}
