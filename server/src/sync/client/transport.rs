//! The HTTP to the hub, and nothing else: what the hub answered, or why there is no answer,
//! in the words a staffer reads.

use std::time::Duration;

use super::SyncError;
use super::plan::Failure;
use crate::wire::{EnrollAnswer, EnrollRequest, Push, PushAnswer, Refusal};

#[derive(Clone)]
pub struct Transport {
    http: reqwest::Client,
}

impl Transport {
    pub fn new() -> Result<Self, SyncError> {
        // reqwest is built without a crypto provider; ring is the one that builds everywhere.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(SyncError::Client)?;
        Ok(Self { http })
    }

    /// `POST /api/v1/enroll`.
    pub async fn enroll(
        &self,
        hub_url: &str,
        request: &EnrollRequest,
    ) -> Result<EnrollAnswer, SyncError> {
        let response = self
            .http
            .post(format!("{hub_url}/api/v1/enroll"))
            .json(request)
            .send()
            .await
            .map_err(|e| unreachable(hub_url, &e))?;
        if !response.status().is_success() {
            return Err(SyncError::Refused(error_text(response).await));
        }
        response.json().await.map_err(SyncError::Unreadable)
    }

    /// `POST /api/v1/sync/push`.
    pub async fn push(&self, hub_url: &str, push: &Push) -> Result<PushAnswer, Failure> {
        let response = self
            .http
            .post(format!("{hub_url}/api/v1/sync/push"))
            .json(push)
            .send()
            .await
            .map_err(|e| Failure::Other(unreachable(hub_url, &e)))?;
        let status = response.status();
        if status.is_success() {
            return response
                .json()
                .await
                .map_err(|e| Failure::Other(SyncError::Unreadable(e)));
        }
        let text = response.text().await.unwrap_or_default();
        match serde_json::from_str::<Refusal>(&text) {
            Ok(refusal) => Err(Failure::Refused(refusal)),
            Err(_) if status.is_server_error() => {
                Err(Failure::Other(SyncError::Network(format!("HTTP {status}"))))
            }
            Err(_) => Err(Failure::Other(SyncError::Refused(format!(
                "HTTP {status}: {text}"
            )))),
        }
    }
}

/// A request that got no answer, said in words a staffer can act on.
fn unreachable(hub_url: &str, error: &reqwest::Error) -> SyncError {
    if error.is_connect() {
        return SyncError::Unreachable(format!(
            "{hub_url} 连接不上：请检查地址和网络，或确认平台正在运行"
        ));
    }
    let reason = if error.is_timeout() {
        "没有及时回答，请稍后再试".to_owned()
    } else {
        error.to_string()
    };
    SyncError::Network(format!("{hub_url} {reason}"))
}

async fn error_text(response: reqwest::Response) -> String {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("HTTP {status}"))
}
