//! A phone page that ends the flow: what happened and what to do next, in the members' own
//! frame. The staff error page would link to the admin, which means nothing to a member.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::http::AppState;
use crate::store::StoreError;
use crate::web::error::ApiError;
use crate::web::rate_limit;
use crate::web::render::PageError;

#[derive(Template)]
#[template(path = "phone/notice.html")]
struct NoticePage<'a> {
    home_name: &'a str,
    headline: &'a str,
    message: &'a str,
    tone: &'a str,
}

#[derive(Debug)]
pub struct Notice {
    status: StatusCode,
    headline: &'static str,
    message: String,
    /// The CSS class of the message box: `error`, `warn` or `ok`.
    tone: &'static str,
}

impl Notice {
    fn problem(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            headline: "无法签到",
            message: message.into(),
            tone: "error",
        }
    }

    /// A refusal the phone pages did not word themselves (a path nothing serves, say).
    pub fn refusal(status: StatusCode, message: String) -> Self {
        Self::problem(status, message)
    }

    /// Not a code the kiosk showed (typed by hand, or from another home).
    pub fn unknown_code() -> Self {
        Self::problem(
            StatusCode::NOT_FOUND,
            "无效的签到二维码，请扫描签到屏上的二维码",
        )
    }

    /// A code the kiosk showed, but too long ago (a photo of the screen, an old tab).
    pub fn expired_code() -> Self {
        Self {
            headline: "二维码已过期",
            tone: "warn",
            ..Self::problem(StatusCode::GONE, "二维码已过期，请重新扫描签到屏上的二维码")
        }
    }

    /// A form sent back after its page's time ran out (`life_seconds`).
    pub fn expired_form(life_seconds: i64) -> Self {
        let life = if life_seconds < 120 {
            format!("{life_seconds} 秒")
        } else {
            format!("{} 分钟", life_seconds / 60)
        };
        Self {
            headline: "页面已过期",
            tone: "warn",
            ..Self::problem(
                StatusCode::GONE,
                format!("此页面打开已超过 {life}，请重新扫描签到屏上的二维码"),
            )
        }
    }

    /// The number belongs to a member already. Who that is stays unsaid, and this phone is not
    /// bound to them: anyone can type someone else's number.
    pub fn phone_taken() -> Self {
        Self {
            headline: "该手机号已登记",
            tone: "warn",
            ..Self::problem(
                StatusCode::CONFLICT,
                "该手机号已登记。请在签到屏扫码或刷卡，或请工作人员协助。",
            )
        }
    }

    /// A form this server did not make, or one whose answer belongs to another phone.
    pub fn stale_form() -> Self {
        Self::problem(
            StatusCode::BAD_REQUEST,
            "此页面已失效，请重新扫描签到屏上的二维码",
        )
    }

    /// Over the phone pages' rate limit: how long to wait.
    pub fn too_many(left: std::time::Duration) -> Self {
        Self {
            headline: "请求过于频繁",
            tone: "warn",
            ..Self::problem(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "{}。如需帮助，请联系工作人员。",
                    rate_limit::rate_message(left)
                ),
            )
        }
    }

    /// Something done, with nothing more to do on this page.
    pub fn done(headline: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::OK,
            headline,
            message: message.into(),
            tone: "ok",
        }
    }

    pub fn render(&self, home_name: &str) -> Response {
        let page = NoticePage {
            home_name,
            headline: self.headline,
            message: &self.message,
            tone: self.tone,
        };
        match page.render() {
            Ok(body) => (
                self.status,
                [(header::CACHE_CONTROL, "no-store")],
                Html(body),
            )
                .into_response(),
            Err(_) => (self.status, self.message.clone()).into_response(),
        }
    }
}

/// The page a handler's outcome turns into.
pub fn respond(state: &AppState, outcome: Result<Response, Notice>) -> Response {
    outcome.unwrap_or_else(|notice| notice.render(&state.home_name()))
}

impl From<ApiError> for Notice {
    fn from(error: ApiError) -> Self {
        match &error {
            ApiError::Internal(detail) => tracing::error!(%detail, "phone page failed"),
            ApiError::Unavailable { detail, .. } => {
                tracing::warn!(%detail, "phone page could not store")
            }
            _ => {}
        }
        Self::problem(error.status(), error.message())
    }
}

impl From<PageError> for Notice {
    fn from(error: PageError) -> Self {
        match error {
            PageError::Api(error) => error.into(),
            // No phone page asks for a staff login; if one ever did, start over.
            PageError::LogIn { .. } => Self::stale_form(),
        }
    }
}

impl From<crate::home::HomeError> for Notice {
    fn from(error: crate::home::HomeError) -> Self {
        ApiError::from(error).into()
    }
}

impl From<StoreError> for Notice {
    fn from(error: StoreError) -> Self {
        ApiError::from(error).into()
    }
}
