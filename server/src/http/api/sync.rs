//! `GET /api/v1/sync/status`: where this home's sync with the association stands.

use axum::Json;
use axum::extract::State;

use crate::http::AppState;
use crate::sync::client::{self, SyncStatus};
use crate::web::auth::Staff;
use crate::web::error::ApiError;

pub async fn status(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Json<SyncStatus>, ApiError> {
    Ok(Json(state.store.read(client::status).await?))
}
