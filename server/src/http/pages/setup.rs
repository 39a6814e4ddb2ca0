//! The first start: a one-time link with which the staffer chooses their own username and
//! password. There is no default account.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::domain::Conflict;
use crate::domain::access::{NewPassword, StaffRole, Username};
use crate::http::AppState;
use crate::http::auth;
use crate::http::error::ApiError;
use crate::http::extract::PageQuery;
use crate::secrets;
use crate::store::users;

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
    let phc = hash(&state, password).await?;
    let now = state.clock.now();
    let session = secrets::new_token("").map_err(ApiError::internal)?;
    let session_hash = secrets::token_hash(&session);
    let created = state
        .store
        .write(move |conn| {
            // Checked inside the transaction: two tabs racing cannot both create a first account.
            if users::count(conn)? > 0 {
                return Err(Conflict("已有账号，设置链接已失效".into()).into());
            }
            let user = users::insert(conn, &username, &phc, StaffRole::Admin, now)?;
            users::create_session(
                conn,
                user.id,
                &session_hash,
                now,
                now + auth::SESSION_LENGTH,
            )?;
            Ok(user)
        })
        .await;
    state.setup.close();
    match created {
        Ok(user) => {
            tracing::info!(user = %user.username, "first administrator created through the setup link");
            let mut headers = HeaderMap::new();
            headers.insert(header::SET_COOKIE, auth::session_set_cookie(&session));
            let html = page(None, true, true)
                .render()
                .map_err(ApiError::internal)?;
            Ok((headers, Html(html)).into_response())
        }
        Err(crate::store::StoreError::Conflict(_)) => {
            render(StatusCode::CONFLICT, &page(None, false, false))
        }
        Err(other) => Err(other.into()),
    }
}

async fn hash(state: &AppState, password: NewPassword) -> Result<String, ApiError> {
    let permit = state
        .hashing
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        secrets::hash_password(password.as_str())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

fn render(status: StatusCode, page: &SetupPage<'_>) -> Result<Response, ApiError> {
    let html = page.render().map_err(ApiError::internal)?;
    Ok((status, Html(html)).into_response())
}
