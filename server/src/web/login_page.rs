//! The staff login page (`/admin/login`) and logout, for either face. Same accounts, sessions
//! and rate limit as the API's `/api/v1/session`.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Face;
use super::auth;
use super::csrf::{Csrf, CsrfForm};
use super::extract::PageQuery;
use super::login::{self, LoginOutcome};
use super::rate_limit;
use super::render::{self, PageError, safe_next};

/// What the login page says under the face's name: the home's staff, or the association's at
/// the hub. The accounts, sessions, rate limit and lockout are the same.
#[derive(Debug, Clone, Copy)]
pub struct Heading {
    pub subtitle: &'static str,
    /// A link for visitors who did not come to log in (the hub's public results).
    pub public_link: Option<(&'static str, &'static str)>,
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

pub async fn view<S: Face>(
    State(state): State<S>,
    csrf: Csrf,
    PageQuery(query): PageQuery<NextQuery>,
) -> Result<Response, PageError> {
    let heading = state.login_heading();
    render::ok(&LoginPage {
        name: &state.site_name(),
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

pub async fn submit<S: Face>(
    State(state): State<S>,
    csrf: Csrf,
    extensions: Extensions,
    request_headers: HeaderMap,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    let peer = login::peer(&extensions);
    let next = safe_next(form.next.as_deref());
    let outcome = login::log_in(
        state.kit(),
        &form.username,
        form.password,
        peer,
        &request_headers,
    )
    .await?;
    let heading = state.login_heading();
    let name = state.site_name();
    let refusal = |status: StatusCode, message: String| {
        render::html(
            status,
            &LoginPage {
                name: &name,
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

pub async fn logout<S: Face>(
    State(state): State<S>,
    request_headers: HeaderMap,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    login::log_out(state.kit(), &request_headers).await?;
    let mut response = render::see_other("/admin/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, auth::session_clear_cookie());
    Ok(response)
}
