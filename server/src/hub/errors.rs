//! How the hub's errors answer over HTTP, on its API and its pages alike.

use super::report::ReportError;
use crate::web::error::ApiError;
use crate::web::render::PageError;

impl From<ReportError> for ApiError {
    fn from(error: ReportError) -> Self {
        match error {
            ReportError::Invalid(invalid) => invalid.into(),
            ReportError::Store(error) => error.into(),
        }
    }
}

impl From<ReportError> for PageError {
    fn from(error: ReportError) -> Self {
        Self::Api(error.into())
    }
}
