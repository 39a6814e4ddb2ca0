//! The phone pages' rate limit, per peer address; [`PhoneLimits`] holds the numbers and why.
//! Over it a phone gets 429 with a page saying how long to wait, and `Retry-After`.
//!
//! [`PhoneLimits`]: crate::web::rate_limit::PhoneLimits

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::notice::Notice;
use crate::http::AppState;
use crate::web::login;
use crate::web::rate_limit::retry_after;

/// The one phone route whose POST counts against the (smaller) registration limit.
const REGISTER: &str = "/m/register";

/// The route layer of the phone pages (`phone::routes`). A request without a peer address (a
/// test calling the router directly) is not limited: the server always records one.
pub async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("", |p| p.as_str());
    let Some(peer) = login::peer(request.extensions()) else {
        return next.run(request).await;
    };
    let registering = request.method() == Method::POST && route == REGISTER;
    match state.phone_limits.admit(peer, registering, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(left) => {
            tracing::debug!(%route, "phone page refused: rate limit");
            let mut response = Notice::too_many(left).render(&state.home_name());
            if let Ok(value) = HeaderValue::from_str(&retry_after(left)) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}
