//! Every path the hub serves, in one place: the homes' and the association's JSON API under
//! `/api/v1`, the association's staff pages under `/admin`, and the public results.

use axum::Router;
use axum::middleware;
use axum::response::Redirect;
use axum::routing::{get, post, put};

use super::pages::{evaluation, home, homes, notices, refusals, results};
use super::state::HubState;
use super::{PUSH_LIMIT, api, homes_api};
use crate::web::extract::limit_body;
use crate::web::{assets, csrf, harden, health, login_page, session};

pub fn router(state: HubState) -> Router {
    let routes = Router::new()
        .route("/healthz", get(health::get))
        .route("/", get(|| async { Redirect::to("/results") }))
        .merge(staff_pages())
        .route("/results", get(results::view))
        .route("/static/kejia.css", get(assets::css))
        .route("/static/kejia.js", get(assets::js))
        .nest("/api/v1", api());
    harden::harden(routes, state)
}

fn api() -> Router<HubState> {
    Router::new()
        .route(
            "/session",
            post(session::login::<HubState>)
                .get(session::get)
                .delete(session::logout::<HubState>),
        )
        .route("/enroll", post(api::enroll))
        .route("/sync/push", limit_body(post(api::push), PUSH_LIMIT))
        .route("/evaluation", get(api::evaluation))
        .route("/homes", get(api::homes).post(homes_api::register))
        .route("/homes/{id}", get(homes_api::get).patch(homes_api::update))
        .route("/homes/{id}/code", post(homes_api::new_code))
        .route(
            "/homes/{id}/ratings/{year}",
            put(homes_api::rate).delete(homes_api::unrate),
        )
        .route("/homes/{id}/members", get(api::members))
        .route("/homes/{id}/decisions", post(api::decide))
        .route("/refusals", get(api::refusals))
        .route("/notices", post(api::publish))
}

/// The association's staff pages: each gets a CSRF token for its forms.
fn staff_pages() -> Router<HubState> {
    Router::new()
        .route(
            "/admin/login",
            get(login_page::view::<HubState>).post(login_page::submit::<HubState>),
        )
        .route("/admin/logout", post(login_page::logout::<HubState>))
        .route("/admin", get(evaluation::view))
        .route("/admin/evaluation", get(evaluation::view))
        .route("/admin/evaluation.xlsx", get(evaluation::xlsx))
        .route("/admin/homes", get(homes::view).post(homes::register))
        .route("/admin/homes/{id}", get(home::view).post(home::update))
        .route("/admin/homes/{id}/ratings", post(home::rate))
        .route(
            "/admin/homes/{id}/ratings/{year}/withdraw",
            post(home::withdraw),
        )
        .route("/admin/homes/{id}/decisions", post(home::decide))
        .route("/admin/refusals", get(refusals::view))
        .route("/admin/notices", get(notices::view).post(notices::publish))
        .layer(middleware::from_fn(csrf::ensure_cookie))
}
