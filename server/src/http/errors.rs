//! How the home's use cases' errors answer over HTTP: the JSON API's `{"error": …}` and the
//! staff pages' error page say the same words.

use crate::domain::Conflict;
use crate::home::HomeError;
use crate::web::error::ApiError;
use crate::web::render::PageError;

impl From<HomeError> for ApiError {
    fn from(error: HomeError) -> Self {
        match error {
            HomeError::NotFound => Self::NotFound,
            HomeError::Invalid(invalid) => Self::Invalid(invalid),
            HomeError::Conflict(Conflict(why)) => Self::Conflict(why),
            HomeError::Secret(error) => Self::internal(error),
            HomeError::Worker(error) => Self::internal(error),
            HomeError::Store(error) => error.into(),
        }
    }
}

impl From<HomeError> for PageError {
    fn from(error: HomeError) -> Self {
        Self::Api(error.into())
    }
}
