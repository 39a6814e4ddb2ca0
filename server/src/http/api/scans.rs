use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::http::AppState;
use crate::store::scans::{self, ScanEntry};
use crate::web::auth::Staff;
use crate::web::error::ApiError;
use crate::web::extract::ApiQuery;

#[derive(Debug, Deserialize)]
pub struct ScanQuery {
    /// Only scans of unknown credentials: cards waiting to be bound.
    #[serde(default)]
    unknown: bool,
    limit: Option<u32>,
}

/// The newest scans, newest first.
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    ApiQuery(query): ApiQuery<ScanQuery>,
) -> Result<Json<Vec<ScanEntry>>, ApiError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let entries = state
        .store
        .read(move |conn| scans::recent(conn, query.unknown, limit))
        .await?;
    Ok(Json(entries))
}
