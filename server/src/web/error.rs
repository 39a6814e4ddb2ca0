//! One error type for every handler and its one conversion into the contract's
//! `{"error": "..."}` with the right status. Internal details are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::checkin::ActivityBrief;
use crate::domain::{Conflict, Invalid};
use crate::store::{DiskTrouble, StoreError};

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized,
    Forbidden(String),
    NotFound,
    Conflict(String),
    /// Over a body limit: `what` was sent and `limit` bytes are allowed.
    PayloadTooLarge {
        what: &'static str,
        limit: usize,
    },
    UnsupportedMediaType,
    Invalid(Invalid),
    /// A field of a JSON body that did not parse (its name comes from the request).
    BadField {
        field: String,
        message: String,
    },
    /// Several activities are open: the device must ask which one (409, with the choices).
    ChooseActivity(Vec<ActivityBrief>),
    /// Could not be stored right now (disk full, database busy): nothing was saved, and the
    /// trouble, when known, tells the user what to do.
    Unavailable {
        trouble: Option<DiskTrouble>,
        detail: String,
    },
    /// A bug or an unexpected failure; it (and its causes) go to the log only.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// An unexpected failure, kept with its cause for the log.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) | Self::ChooseActivity(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid(_) | Self::BadField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user reads.
    pub fn message(&self) -> String {
        match self {
            Self::BadRequest(detail) => format!("请求格式有误：{detail}"),
            Self::Unauthorized => "请先登录，或提供有效的访问令牌".into(),
            Self::Forbidden(why) => why.clone(),
            Self::NotFound => "未找到该页面或记录，请检查地址".into(),
            Self::Conflict(why) => why.clone(),
            Self::PayloadTooLarge { what, limit } => {
                format!("{what}过大（上限 {}）", byte_size(*limit))
            }
            Self::UnsupportedMediaType => {
                "请求内容须为 JSON（Content-Type: application/json）".into()
            }
            Self::Invalid(invalid) => invalid.message.clone(),
            Self::BadField { message, .. } => message.clone(),
            Self::ChooseActivity(_) => "有多个活动正在签到，请选择其中一个".into(),
            Self::Unavailable { trouble, .. } => unsaved(*trouble).into(),
            Self::Internal(_) => "服务器内部错误".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(detail) => tracing::error!(%detail, "request failed"),
            Self::Unavailable { detail, .. } => {
                tracing::warn!(%detail, "request could not be stored")
            }
            _ => {}
        }
        let mut body = json!({ "error": self.message() });
        match self {
            Self::Invalid(invalid) => body["field"] = json!(invalid.field),
            Self::BadField { field, .. } => body["field"] = json!(field),
            Self::ChooseActivity(choices) => body["activities"] = json!(choices),
            _ => {}
        }
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Invalid(invalid) => Self::Invalid(invalid),
            StoreError::Conflict(Conflict(why)) => Self::Conflict(why),
            StoreError::Commit(detail) => Self::unavailable(None, detail),
            StoreError::Aborted(cause) => Self::unavailable(None, cause.to_string()),
            StoreError::Secret(secret) => Self::unavailable(None, secret.to_string()),
            StoreError::Disk { trouble, detail } => Self::unavailable(Some(trouble), detail),
            StoreError::WriterGone => Self::unavailable(None, error.to_string()),
            StoreError::Sqlite(ref e) => match DiskTrouble::of(e) {
                Some(trouble) => Self::unavailable(Some(trouble), error.to_string()),
                None => Self::internal(error),
            },
            other => Self::internal(other),
        }
    }
}

impl ApiError {
    fn unavailable(trouble: Option<DiskTrouble>, detail: String) -> Self {
        Self::Unavailable { trouble, detail }
    }
}

/// What a user reads when nothing was saved: each disk trouble asks for a different remedy.
fn unsaved(trouble: Option<DiskTrouble>) -> &'static str {
    match trouble {
        Some(DiskTrouble::Full) => "存储空间已满，本次未保存。请工作人员清理存储空间后重试",
        Some(DiskTrouble::ReadOnly) => "存储卡已变为只读，本次未保存。请工作人员检查或更换存储卡",
        Some(DiskTrouble::Failing) => "存储卡读写出错，本次未保存。请工作人员检查存储卡",
        Some(DiskTrouble::Busy) | None => "暂时无法保存，请稍后重试",
    }
}

impl From<super::HashingError> for ApiError {
    fn from(error: super::HashingError) -> Self {
        Self::internal(error)
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        Self::Invalid(invalid)
    }
}

impl From<Conflict> for ApiError {
    fn from(Conflict(why): Conflict) -> Self {
        Self::Conflict(why)
    }
}

/// How deep serde_json lets JSON nest (its fixed recursion limit).
pub const JSON_DEPTH: usize = 128;

impl ApiError {
    /// A request body over the route's limit.
    pub fn body_too_large(limit: usize) -> Self {
        Self::PayloadTooLarge {
            what: "请求内容",
            limit,
        }
    }
}

/// A size as people say it: "64 KiB", "5 MiB", "8 MiB".
pub fn byte_size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else {
        format!("{} KiB", bytes.div_ceil(KIB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_in_the_units_they_were_set_in() {
        assert_eq!(byte_size(64 * 1024), "64 KiB");
        assert_eq!(byte_size(5 * 1024 * 1024), "5 MiB");
        assert_eq!(byte_size(8 * 1024 * 1024), "8 MiB");
        assert_eq!(byte_size(5 * 1024 * 1024 + 64 * 1024), "5.1 MiB");
        let photo = ApiError::PayloadTooLarge {
            what: "照片",
            limit: 5 * 1024 * 1024,
        };
        assert_eq!(photo.message(), "照片过大（上限 5 MiB）");
        assert_eq!(photo.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
