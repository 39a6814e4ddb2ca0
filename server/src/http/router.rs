//! Every path the home serves, in one place.

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use super::api::{
    activities, audit, checkins, clock, compliance, exports, health, kiosk, members, scans,
    session, sync,
};
use super::auth::refuse_cross_site;
use super::error::ApiError;
use super::pages::{self, setup};
use super::refusals;
use super::state::AppState;

/// Largest request body any route accepts.
pub const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(
            "/session",
            post(session::login)
                .get(session::get)
                .delete(session::logout),
        )
        .route("/members", post(members::post).get(members::list))
        .route("/members/{id}", get(members::get).patch(members::update))
        .route("/members/{id}/qr.png", get(members::qr_png))
        .route(
            "/members/{id}/credential",
            post(members::reissue_credential).delete(members::revoke_credential),
        )
        .route("/members/{id}/cards", post(members::bind_card))
        .route("/members/{id}/cards/{uid}", delete(members::unbind_card))
        .route("/activities", post(activities::post).get(activities::list))
        .route(
            "/activities/{id}",
            get(activities::get).patch(activities::update),
        )
        .route("/activities/{id}/attendance", get(activities::attendance))
        .route("/activities/{id}/open", post(activities::open))
        .route("/activities/{id}/close", post(activities::close))
        .route("/activities/{id}/restore", post(activities::restore))
        .route("/activities/{id}/cancel", post(activities::cancel))
        .route("/activities/{id}/filing", post(activities::file))
        .route("/checkins", post(checkins::post))
        .route("/checkins/{id}/undo", post(checkins::undo))
        .route("/clock", get(clock::get))
        .route("/clock/confirm", post(clock::confirm))
        .route("/scans", get(scans::list))
        .route("/audit", get(audit::list))
        .route("/kiosk/status", get(kiosk::status))
        .route("/kiosk/members", get(kiosk::members))
        .route("/compliance", get(compliance::get))
        .route("/sync/status", get(sync::status))
        .route("/exports/ledger.xlsx", get(exports::ledger_xlsx))
        .route("/exports/ledger.csv", get(exports::ledger_csv));
    let routes = Router::new()
        .route("/healthz", get(health::get))
        .route("/setup", get(setup::view).post(setup::submit))
        .merge(pages::routes(&state))
        .nest("/api/v1", api);
    harden(routes, state)
}

/// What every kejia server (home or hub) puts around its routes: the 404, the cross-site
/// guard, panics as 500s, refusals in Chinese (a page for pages, JSON for programs), the body
/// limit, security headers and the request log.
pub fn harden(routes: Router<AppState>, state: AppState) -> Router {
    routes
        .fallback(not_found)
        .layer(middleware::from_fn(refuse_cross_site))
        .layer(CatchPanicLayer::custom(|_| ApiError::internal("a handler panicked").into_response()))
        // Outside the panic catcher (a panic on a page is a page too), inside the headers.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refusals::in_chinese,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"),
        ))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// One line per request: method, matched route (never the raw path or query, which may hold a
/// phone number), status and time taken. Check-ins are frequent, so successes log at debug.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".into());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let micros = started.elapsed().as_micros();
    if response.status().is_server_error() {
        tracing::warn!(%method, %route, status, micros, "request");
    } else {
        tracing::debug!(%method, %route, status, micros, "request");
    }
    response
}
