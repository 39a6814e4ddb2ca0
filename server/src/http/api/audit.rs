use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::http::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::web::auth::Staff;
use crate::web::error::ApiError;
use crate::web::extract::ApiQuery;

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    limit: Option<u32>,
}

/// Staff corrections, newest first.
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(
        state
            .store
            .read(move |conn| audit::recent(conn, limit))
            .await?,
    ))
}
