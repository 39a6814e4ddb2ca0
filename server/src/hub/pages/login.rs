//! The hub's login page and logout: the home's accounts, sessions, rate limit and lockout
//! (`http::login`), under the association's name.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::ASSOCIATION;
use crate::http::AppState;
use crate::http::auth;
use crate::http::login::{self, LoginOutcome};
use crate::http::pages::csrf::{Csrf, CsrfForm};
use crate::http::pages::render::{self, PageError, safe_next};
use crate::http::throttle;
use crate::secrets;
use crate::store::users;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(view).post(submit))
        .route("/admin/logout", post(logout))
}

#[derive(Template)]
#[template(path = "hub/login.html")]
struct LoginPage<'a> {
    association: &'a str,
    csrf: &'a str,
    next: &'a str,
    username: &'a str,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn view(csrf: Csrf, Query(query): Query<NextQuery>) -> Result<Response, PageError> {
    render::ok(&LoginPage {
        association: ASSOCIATION,
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
                association: ASSOCIATION,
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
                throttle::lockout_message(left),
            )?;
            if let Ok(value) = HeaderValue::from_str(&left.as_secs().max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
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
