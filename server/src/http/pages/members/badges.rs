//! Printable badges: one member's (`/admin/members/{id}/badge`), or an A4 sheet of many
//! (`/admin/badges?ids=…`, every active member when no ids are given), eight to a page with
//! cut lines. Each badge carries the member's QR code, name, employer and the home's name.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::member_id;
use crate::domain::Invalid;
use crate::domain::ids::MemberId;
use crate::domain::member::{Member, MemberStatus};
use crate::http::AppState;
use crate::http::pages::chrome::{Chrome, Section};
use crate::store::members;
use crate::web::csrf::Csrf;
use crate::web::error::ApiError;
use crate::web::extract::PageQuery;
use crate::web::render::{self, PageError, StaffPage};

/// Most badges one sheet prints.
const MOST: usize = 200;
/// Badges on one A4 page: two across, four down.
const PER_PAGE: usize = 8;

/// One badge as printed.
struct Badge {
    id: String,
    name: String,
    employer: String,
}

impl Badge {
    fn new(member: Member) -> Self {
        Self {
            id: member.id.to_string(),
            name: member.name,
            employer: member.employer,
        }
    }
}

/// A badge needs a live QR code; an erased member has none and no name either.
fn printable(member: &Member) -> bool {
    member.status != MemberStatus::Erased && member.credential.is_some()
}

#[derive(Template)]
#[template(path = "members/badge.html")]
struct BadgePage {
    chrome: Chrome,
    badge: Badge,
}

pub async fn one(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let id = member_id(&raw)?;
    let member = state.store.read(move |conn| members::get(conn, id)).await?;
    if !printable(&member) {
        return Err(ApiError::Conflict(
            "该会员没有有效的二维码（已作废或个人信息已删除），请先在会员页重新生成".into(),
        )
        .into());
    }
    render::ok(&BadgePage {
        chrome: Chrome::new(&state, &staff, &csrf, Section::Members),
        badge: Badge::new(member),
    })
}

#[derive(Debug, Deserialize)]
pub struct SheetQuery {
    /// Member ids separated by commas; none means every active member.
    ids: Option<String>,
}

#[derive(Template)]
#[template(path = "members/badges.html")]
struct SheetPage {
    chrome: Chrome,
    pages: Vec<Vec<Badge>>,
    count: usize,
    /// Members asked for who have no badge to print (QR revoked, or erased).
    skipped: usize,
}

pub async fn sheet(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    PageQuery(asked): PageQuery<SheetQuery>,
) -> Result<Response, PageError> {
    let ids = parse_ids(asked.ids.as_deref().unwrap_or_default())?;
    let found = state
        .store
        .read(move |conn| {
            if ids.is_empty() {
                members::active(conn, MOST as u32)
            } else {
                ids.into_iter().map(|id| members::get(conn, id)).collect()
            }
        })
        .await?;
    let asked = found.len();
    let badges: Vec<Badge> = found
        .into_iter()
        .filter(printable)
        .map(Badge::new)
        .collect();
    let count = badges.len();
    let mut pages = Vec::new();
    let mut rest = badges.into_iter().peekable();
    while rest.peek().is_some() {
        pages.push(rest.by_ref().take(PER_PAGE).collect());
    }
    render::ok(&SheetPage {
        chrome: Chrome::new(&state, &staff, &csrf, Section::Members),
        pages,
        count,
        skipped: asked - count,
    })
}

/// `id,id,…` into member ids, each once, in the order given.
fn parse_ids(raw: &str) -> Result<Vec<MemberId>, Invalid> {
    let mut ids = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id: MemberId = part
            .parse()
            .map_err(|_| Invalid::new("ids", format!("会员编号“{part}”有误")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
        if ids.len() > MOST {
            return Err(Invalid::new(
                "ids",
                format!("一次最多打印 {MOST} 张胸牌，请分批打印"),
            ));
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_once_each_in_order() {
        let a = MemberId::new();
        let b = MemberId::new();
        let ids = parse_ids(&format!(" {a},{b},,{a} ")).expect("valid");
        assert_eq!(ids, vec![a, b]);
        assert!(parse_ids("").expect("none").is_empty());
    }

    #[test]
    fn a_bad_id_or_too_many_are_refused_in_words() {
        let bad = parse_ids("abc").expect_err("bad");
        assert!(bad.message.contains("abc"));
        let many: Vec<String> = (0..=MOST).map(|_| MemberId::new().to_string()).collect();
        let too_many = parse_ids(&many.join(",")).expect_err("too many");
        assert!(too_many.message.contains("200"));
    }
}
