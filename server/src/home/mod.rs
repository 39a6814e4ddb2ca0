//! The home's use cases. Each flow loads what it needs through `store`, lets `domain` decide,
//! and writes the decision (with its audit entry) through `store`, in one write where the parts
//! must commit together. Both faces of the home, the JSON API (`http::api`) and the pages
//! (`http::pages`), call these functions, so a flow and its audit wording exist once.
//!
//! Nothing here knows HTTP (no axum types, no `ApiError`) or writes SQL; functions take the
//! pieces they need (the store, the present instant, the staffer for the audit log) and
//! answer with a [`HomeError`] that each face turns into its own refusal.

pub mod activities;
pub mod checkins;
pub mod clock;
pub mod counts;
pub mod members;
pub mod phones;
pub mod photos;
pub mod settings;
pub mod setup;

#[cfg(test)]
mod fixture;

use crate::domain::{Conflict, Invalid};
use crate::store::StoreError;

/// Why a flow did nothing.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error("not found")]
    NotFound,
    /// Bad input; the message is what the user reads.
    #[error("{0}")]
    Invalid(Invalid),
    /// The state forbids it now; the message is what the user reads.
    #[error("{0}")]
    Conflict(Conflict),
    /// A new secret could not be made (the system's random source failed).
    #[error("could not make a secret: {0}")]
    Secret(#[source] crate::secrets::SecretError),
    /// Work on a blocking thread (decoding a photo) did not finish: it panicked.
    #[error("background work failed: {0}")]
    Worker(#[from] tokio::task::JoinError),
    /// The store failed (disk, database); nothing was saved.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for HomeError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Invalid(invalid) => Self::Invalid(invalid),
            StoreError::Conflict(conflict) => Self::Conflict(conflict),
            other => Self::Store(other),
        }
    }
}

impl From<Invalid> for HomeError {
    fn from(invalid: Invalid) -> Self {
        Self::Invalid(invalid)
    }
}

impl From<Conflict> for HomeError {
    fn from(conflict: Conflict) -> Self {
        Self::Conflict(conflict)
    }
}
