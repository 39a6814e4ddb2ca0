//! The one stylesheet and the one script, built into the binary.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::http::AppState;

const CSS: &str = include_str!("../../../static/kejia.css");
const JS: &str = include_str!("../../../static/kejia.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/kejia.css", get(css))
        .route("/static/kejia.js", get(js))
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        CSS,
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        JS,
    )
}
