//! The first start: a one-time link with which the staffer chooses their own username and
//! password. There is no default account.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::domain::access::{NewPassword, Username};
use crate::home::{self, HomeError};
use crate::http::AppState;
use crate::secrets;
use crate::web::auth;
use crate::web::error::ApiError;
use crate::web::extract::PageQuery;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    home_name: String,
    token: &'a str,
    username: &'a str,
    error: Option<String>,
    link_valid: bool,
    done: bool,
}

#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
}

pub async fn view(
    State(state): State<AppState>,
    PageQuery(query): PageQuery<LinkQuery>,
) -> Result<Response, ApiError> {
    let token = query.token.unwrap_or_default();
    let link_valid = state.setup.accepts(&token);
    render(
        if link_valid {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        },
        &SetupPage {
            home_name: state.home_name(),
            token: &token,
            username: "",
            error: None,
            link_valid,
            done: false,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct SetupForm {
    token: String,
    username: String,
    password: String,
    confirm: String,
}

pub async fn submit(
    State(state): State<AppState>,
    Form(form): Form<SetupForm>,
) -> Result<Response, ApiError> {
    let page = |error: Option<String>, link_valid: bool, done: bool| SetupPage {
        home_name: state.home_name(),
        token: &form.token,
        username: &form.username,
        error,
        link_valid,
        done,
    };
    if !state.setup.accepts(&form.token) {
        return render(StatusCode::NOT_FOUND, &page(None, false, false));
    }
    let checked =
        Username::parse(&form.username).and_then(|u| Ok((u, NewPassword::parse(&form.password)?)));
    let (username, password) = match checked {
        Ok(pair) if form.password == form.confirm => pair,
        Ok(_) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(Some("两次输入的密码不一致".into()), true, false),
            );
        }
        Err(invalid) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(Some(invalid.message), true, false),
            );
        }
    };
    let phc = state
        .hashing(move || secrets::hash_password(password.as_str()))
        .await?
        .map_err(ApiError::internal)?;
    let session = secrets::new_token("").map_err(ApiError::internal)?;
    let now = state.clock.now();
    let created = home::setup::create_first_admin(
        &state.store,
        now,
        username,
        phc,
        secrets::token_hash(&session),
        now + auth::SESSION_LENGTH,
    )
    .await;
    state.setup.close();
    match created {
        Ok(_) => {
            let mut headers = HeaderMap::new();
            headers.insert(header::SET_COOKIE, auth::session_set_cookie(&session));
            let html = page(None, true, true)
                .render()
                .map_err(ApiError::internal)?;
            Ok((headers, Html(html)).into_response())
        }
        Err(HomeError::Conflict(_)) => render(StatusCode::CONFLICT, &page(None, false, false)),
        Err(other) => Err(other.into()),
    }
}

fn render(status: StatusCode, page: &SetupPage<'_>) -> Result<Response, ApiError> {
    let html = page.render().map_err(ApiError::internal)?;
    Ok((status, Html(html)).into_response())
}
