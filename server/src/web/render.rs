//! What every page of either face shares: turning a template into a response, the error page,
//! and the staff guard that sends a visitor to the login page.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::Face;
use super::auth::{Principal, Staff};
use super::error::ApiError;
use crate::domain::Invalid;
use crate::domain::access::StaffRole;
use crate::store::StoreError;
use crate::store::users::StaffUser;

/// Renders a template with a status.
pub fn html<T: Template>(status: StatusCode, page: &T) -> Result<Response, PageError> {
    let body = page
        .render()
        .map_err(|e| ApiError::internal(format!("template: {e}")))?;
    Ok((status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response())
}

/// Renders a template with 200.
pub fn ok<T: Template>(page: &T) -> Result<Response, PageError> {
    html(StatusCode::OK, page)
}

/// After a successful form post: back to a page (303, so a reload does not post again).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A page that could not be shown: an error page in Chinese, or the login page.
#[derive(Debug)]
pub enum PageError {
    Api(ApiError),
    /// Not logged in: to the login page, then back to `next`.
    LogIn {
        next: String,
    },
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        Self::Api(error.into())
    }
}

impl From<Invalid> for PageError {
    fn from(error: Invalid) -> Self {
        Self::Api(error.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    message: &'a str,
}

impl PageError {
    /// The response, for places that cannot return `Result` (middleware).
    pub fn into_response_now(self) -> Response {
        self.into_response()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::LogIn { next } => {
                let target = format!("/admin/login?next={}", encode_component(&next));
                Redirect::to(&target).into_response()
            }
            Self::Api(error) => {
                let status = error.status();
                if let ApiError::Internal(detail) = &error {
                    tracing::error!(%detail, "page failed");
                }
                error_page(status, &error.message())
            }
        }
    }
}

/// The staff error page: what went wrong, in words, and the way back.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let page = ErrorPage {
        status: status.as_u16(),
        message,
    };
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(_) => (status, message.to_owned()).into_response(),
    }
}

/// A logged-in staffer, or a redirect to the login page.
#[derive(Debug, Clone)]
pub struct StaffPage(pub StaffUser);

impl<S: Face> FromRequestParts<S> for StaffPage {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Staff::from_request_parts(parts, state).await {
            Ok(Staff(user)) => Ok(Self(user)),
            Err(ApiError::Unauthorized) => Err(PageError::LogIn {
                next: parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "/admin".into()),
            }),
            Err(other) => Err(other.into()),
        }
    }
}

impl StaffPage {
    pub fn is_admin(&self) -> bool {
        self.0.role == StaffRole::Admin
    }
}

/// Whether the caller is a logged-in staffer, without redirecting (the phone pages use it to
/// offer a link to the admin).
pub async fn is_staff<S: Face>(parts: &mut Parts, state: &S) -> bool {
    matches!(
        Principal::from_request_parts(parts, state).await,
        Ok(Principal::Staff(_))
    )
}

/// Percent-encodes a query component (for `next=` links).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A local path to return to after login; anything else (another site, `//host`) goes home.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with("/admin") && !path.contains("//") && !path.contains('\\') =>
        {
            path
        }
        _ => "/admin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_admin_paths_are_returned_to() {
        assert_eq!(safe_next(Some("/admin/members?q=1")), "/admin/members?q=1");
        assert_eq!(safe_next(Some("//evil.example/admin")), "/admin");
        assert_eq!(safe_next(Some("https://evil.example")), "/admin");
        assert_eq!(safe_next(Some("/admin//evil.example")), "/admin");
        assert_eq!(safe_next(None), "/admin");
    }

    #[test]
    fn components_are_encoded() {
        assert_eq!(
            encode_component("/admin/x?a=1&b=2"),
            "/admin/x%3Fa%3D1%26b%3D2"
        );
    }
}
