//! The staff login page and logout. Same accounts, sessions and rate limit as the API.

use askama::Template;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, http::HeaderValue};
use serde::Deserialize;

use super::csrf::{Csrf, CsrfForm};
use super::render::{self, PageError, safe_next};
use crate::http::AppState;
use crate::http::auth;
use crate::http::extract::PageQuery;
use crate::http::login::{self, LoginOutcome};
use crate::http::rate_limit;
use crate::secrets;
use crate::store::users;

/// Whose staff the login page is for: the home's, or the association's at the hub. The
/// accounts, sessions, rate limit and lockout are the same.
#[derive(Debug, Clone, Copy)]
pub struct Heading {
    /// The name above the form; `None`: the home's name from its settings.
    pub name: Option<&'static str>,
    pub subtitle: &'static str,
    /// A link for visitors who did not come to log in (the hub's public results).
    pub public_link: Option<(&'static str, &'static str)>,
}

/// The home's login page.
pub const HOME: Heading = Heading {
    name: None,
    subtitle: "工作人员登录",
    public_link: None,
};

pub fn routes() -> Router<AppState> {
    routes_for(HOME)
}

pub fn routes_for(heading: Heading) -> Router<AppState> {
    Router::new()
        .route(
            "/admin/login",
            get(move |state, csrf, query| view(heading, state, csrf, query)).post(
                move |state, csrf, extensions, headers, form| {
                    submit(heading, state, csrf, extensions, headers, form)
                },
            ),
        )
        .route("/admin/logout", post(logout))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    name: &'a str,
    subtitle: &'a str,
    public_link: Option<(&'a str, &'a str)>,
    csrf: &'a str,
    next: &'a str,
    username: &'a str,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn view(
    heading: Heading,
    State(state): State<AppState>,
    csrf: Csrf,
    PageQuery(query): PageQuery<NextQuery>,
) -> Result<Response, PageError> {
    render::ok(&LoginPage {
        name: heading.name.unwrap_or(&state.home_name()),
        subtitle: heading.subtitle,
        public_link: heading.public_link,
        csrf: &csrf.0,
        next: safe_next(query.next.as_deref()),
        username: "",
        error: None,
    })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn submit(
    heading: Heading,
    State(state): State<AppState>,
    csrf: Csrf,
    extensions: Extensions,
    request_headers: HeaderMap,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    let peer = login::peer(&extensions);
    let next = safe_next(form.next.as_deref());
    let outcome = login::log_in(
        &state,
        &form.username,
        form.password,
        peer,
        &request_headers,
    )
    .await?;
    let refusal = |status: StatusCode, message: String| {
        render::html(
            status,
            &LoginPage {
                name: heading.name.unwrap_or(&state.home_name()),
                subtitle: heading.subtitle,
                public_link: heading.public_link,
                csrf: &csrf.0,
                next,
                username: &form.username,
                error: Some(message),
            },
        )
    };
    match outcome {
        LoginOutcome::Welcome { cookie, .. } => {
            let mut response = render::see_other(next);
            response.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(response)
        }
        LoginOutcome::Refused => refusal(StatusCode::UNAUTHORIZED, "用户名或密码错误".into()),
        LoginOutcome::LockedOut(left) => {
            let mut response = refusal(
                StatusCode::TOO_MANY_REQUESTS,
                rate_limit::lockout_message(left),
            )?;
            if let Ok(value) = HeaderValue::from_str(&left.as_secs().max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Ok(response)
        }
        LoginOutcome::Busy => {
            let mut response = refusal(
                StatusCode::TOO_MANY_REQUESTS,
                rate_limit::BUSY_MESSAGE.into(),
            )?;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            Ok(response)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

async fn logout(
    State(state): State<AppState>,
    request_headers: HeaderMap,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    if let Some(token) = auth::session_cookie(&request_headers) {
        let hash = secrets::token_hash(token);
        state
            .store
            .write(move |conn| users::delete_session(conn, &hash))
            .await?;
    }
    let mut response = render::see_other("/admin/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, auth::session_clear_cookie());
    Ok(response)
}
