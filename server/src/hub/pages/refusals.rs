//! `GET /admin/refusals`: the pushes the hub refused (a bad signature, a rewritten chain, a
//! replay with other content), newest first, with the home each claimed to come from.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::{Chrome, Section, local_time};
use crate::hub::state::HubState;
use crate::hub::store::homes;
use crate::web::csrf::Csrf;
use crate::web::render::{self, PageError, StaffPage};

/// How many refusals the page lists.
const SHOWN: u32 = 200;

struct Line {
    at: String,
    home_id: String,
    home_name: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "hub/refusals.html")]
struct RefusalsPage {
    chrome: Chrome,
    refusals: Vec<Line>,
}

pub async fn view(
    State(state): State<HubState>,
    staff: StaffPage,
    csrf: Csrf,
) -> Result<Response, PageError> {
    let refusals = state
        .store
        .read(|conn| homes::refusals(conn, None, SHOWN))
        .await?;
    let tz = &state.settings.tz;
    render::ok(&RefusalsPage {
        chrome: Chrome::new(&staff, &csrf, Section::Refusals),
        refusals: refusals
            .into_iter()
            .map(|r| Line {
                at: local_time(r.at, tz),
                home_id: r.home_id.clone().unwrap_or_default(),
                home_name: r.home_name.or(r.home_id).unwrap_or_default(),
                reason: r.reason,
            })
            .collect(),
    })
}
