use axum::Json;
use serde_json::{Value, json};

/// Liveness for systemd, load balancers and tests; needs no login.
pub async fn get() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
