//! What every kejia server (home or hub) puts around its routes.

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use super::Face;
use super::auth::refuse_cross_site;
use super::error::ApiError;
use super::refusals;

/// Largest request body any route accepts.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every kejia server (home or hub) puts around its routes: the 404, the cross-site
/// guard, panics as 500s, refusals in Chinese (a page for pages, JSON for programs), the body
/// limit, security headers and the request log.
pub fn harden<S: Face>(routes: Router<S>, state: S) -> Router {
    routes
        .fallback(not_found)
        .layer(middleware::from_fn(refuse_cross_site))
        .layer(CatchPanicLayer::custom(|_| ApiError::internal("a handler panicked").into_response()))
        // Outside the panic catcher (a panic on a page is a page too), inside the headers.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refusals::in_chinese::<S>,
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
