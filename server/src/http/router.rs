//! Every path the home serves, in one place: the JSON API under `/api/v1`, the staff pages
//! under `/admin`, the members' phone pages under `/m`, the first-start setup. The kit (`web`)
//! brings the login, the assets and the hardening; this file names what serves each path.

use axum::Router;
use axum::middleware;
use axum::response::Redirect;
use axum::routing::{delete, get, post};

use super::api::{
    activities, audit, checkins, clock, compliance, exports, kiosk, members, scans, sync,
};
use super::pages::{self, dashboard, ledger, ledger_print, phone, settings, setup};
use super::state::AppState;
use crate::web::extract::limit_body;
use crate::web::{assets, csrf, harden, health, login_page, session};

pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/healthz", get(health::get))
        .route("/setup", get(setup::view).post(setup::submit))
        .merge(pages(&state))
        .route("/static/kejia.css", get(assets::css))
        .route("/static/kejia.js", get(assets::js))
        .nest("/api/v1", api());
    harden::harden(routes, state)
}

fn api() -> Router<AppState> {
    Router::new()
        .route(
            "/session",
            post(session::login::<AppState>)
                .get(session::get)
                .delete(session::logout::<AppState>),
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
        .route("/exports/ledger.csv", get(exports::ledger_csv))
}

/// The pages: each gets a CSRF token for its forms.
fn pages(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/admin") }))
        .route(
            "/admin/login",
            get(login_page::view::<AppState>).post(login_page::submit::<AppState>),
        )
        .route("/admin/logout", post(login_page::logout::<AppState>))
        .route("/admin", get(dashboard::view))
        .route("/admin/live", get(dashboard::live))
        .route("/admin/clock/confirm", post(dashboard::confirm_clock))
        .merge(activity_pages())
        .merge(member_pages())
        .route("/admin/ledger", get(ledger::view))
        .route("/admin/ledger/print", get(ledger_print::view))
        .route("/admin/settings", get(settings::view).post(settings::save))
        .merge(phone_pages(state))
        .layer(middleware::from_fn(csrf::ensure_cookie))
}

fn activity_pages() -> Router<AppState> {
    use pages::activities::{detail, form, list, photos, sheet};
    Router::new()
        .route("/admin/activities", get(list::view).post(form::create))
        .route("/admin/activities/new", get(form::blank))
        .route("/admin/activities/{id}", get(detail::view))
        .route(
            "/admin/activities/{id}/edit",
            get(form::existing).post(form::update),
        )
        .route("/admin/activities/{id}/{action}", post(detail::act))
        .route("/admin/activities/{id}/checkins", post(detail::check_in))
        .route(
            "/admin/activities/{id}/checkins/{checkin}/undo",
            post(detail::undo),
        )
        .route("/admin/activities/{id}/sign-in-sheet", get(sheet::view))
        .route("/admin/activities/{id}/sheet", get(sheet::moved))
        .route(
            "/admin/activities/{id}/photos",
            limit_body(post(photos::upload), photos::UPLOAD_LIMIT),
        )
        .route("/admin/photos/{photo}", get(photos::show))
        .route("/admin/photos/{photo}/print", get(photos::show_print))
        .route("/admin/photos/{photo}/delete", post(photos::delete))
}

fn member_pages() -> Router<AppState> {
    use pages::members::{actions, badges, detail, list, register};
    Router::new()
        .route("/admin/members", get(list::view).post(register::submit))
        .route("/admin/members/new", get(register::form))
        .route("/admin/members/{id}", get(detail::view))
        .route(
            "/admin/members/{id}/credential/reissue",
            post(actions::reissue_credential),
        )
        .route(
            "/admin/members/{id}/credential/revoke",
            post(actions::revoke_credential),
        )
        .route("/admin/members/{id}/status", post(actions::set_status))
        .route("/admin/members/{id}/erase", post(actions::erase))
        .route("/admin/members/{id}/cards", post(actions::bind_card))
        .route(
            "/admin/members/{id}/cards/unbind",
            post(actions::unbind_card),
        )
        .route(
            "/admin/members/{id}/phones/revoke",
            post(actions::revoke_phone),
        )
        .route("/admin/members/{id}/badge", get(badges::one))
        .route("/admin/badges", get(badges::sheet))
}

/// The members' phone pages, each behind the phones' rate limit (and only they).
fn phone_pages(state: &AppState) -> Router<AppState> {
    use phone::{checkin, limit, register};
    Router::new()
        .route("/m/checkin", get(checkin::view).post(checkin::submit))
        .route("/m/register", post(register::submit))
        .route("/m/forget", post(checkin::forget))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            limit::rate_limit,
        ))
}
