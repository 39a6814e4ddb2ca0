//! Server-rendered pages (askama templates in `server/templates/`, escaped by default): the
//! staff admin under `/admin`, the members' phone pages under `/m`, and the first-start setup.
//! One file per screen; `render.rs` and `csrf.rs` hold what they share.

pub mod activities;
pub mod assets;
pub mod csrf;
pub mod dashboard;
pub mod ledger;
pub mod ledger_print;
pub mod login;
pub mod members;
pub mod phone;
pub mod render;
pub mod settings;
pub mod setup;

#[cfg(test)]
mod tests;

use axum::Router;
use axum::middleware;
use axum::response::Redirect;
use axum::routing::get;

use crate::http::AppState;

/// Every page route, each with a CSRF token for its forms.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/admin") }))
        .merge(login::routes())
        .merge(dashboard::routes())
        .merge(activities::routes())
        .merge(members::routes())
        .merge(ledger::routes())
        .merge(settings::routes())
        .merge(phone::routes(state))
        .layer(middleware::from_fn(csrf::ensure_cookie))
        .merge(assets::routes())
}
