//! The kiosk's HTTP client of `kejia serve`. It owns its wire types: contract.md is their
//! source, and the end-to-end tests guard that both sides agree.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How a scan reached the kiosk, as the server names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Qr,
    Card,
}

#[derive(Debug, Clone, Serialize)]
struct CheckinRequest<'a> {
    credential: &'a str,
    source: Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    activity_id: Option<&'a str>,
    scan_id: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MemberBrief {
    pub id: String,
    pub name: String,
    pub name_masked: String,
    pub employer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ActivityBrief {
    pub id: String,
    pub title: String,
}

/// The server's answer to a check-in (`POST /api/v1/checkins`, 200).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Answer {
    pub outcome: String,
    pub member: Option<MemberBrief>,
    pub activity: Option<ActivityBrief>,
    pub participants: Option<u32>,
}

/// What came back for a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Answer(Answer),
    /// 409: several activities are open; the member must pick one.
    Choose(Vec<ActivityBrief>),
    /// Any other 4xx: the server understood and refused; its message says why.
    Refused(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ActivityStatus {
    pub id: String,
    pub title: String,
    pub starts_at: String,
    pub participants: u32,
}

/// `GET /api/v1/kiosk/status`: what the idle screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Status {
    pub home_name: String,
    /// The server's clock, with the home's offset.
    pub now: String,
    pub open: Vec<ActivityStatus>,
    pub next: Option<ActivityStatus>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the server cannot be reached: {0}")]
    Unreachable(String),
    #[error("the server answered {status}: {body}")]
    Server { status: u16, body: String },
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    activities: Vec<ActivityBrief>,
}

impl Client {
    pub fn new(base: &str, token: &str) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(4))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: token.trim().to_owned(),
        })
    }

    /// Sends one scan. `scan_id` makes a retry of the same scan count once.
    pub async fn checkin(
        &self,
        credential: &str,
        source: Source,
        activity_id: Option<&str>,
        scan_id: &str,
    ) -> Result<Reply, ClientError> {
        let body = CheckinRequest {
            credential,
            source,
            activity_id,
            scan_id,
        };
        let response = self
            .http
            .post(format!("{}/api/v1/checkins", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_str(&text).map(Reply::Answer).map_err(|_| {
                ClientError::Server {
                    status: status.as_u16(),
                    body: text,
                }
            });
        }
        let error: Option<ErrorBody> = serde_json::from_str(&text).ok();
        match (status.as_u16(), error) {
            (409, Some(body)) if !body.activities.is_empty() => Ok(Reply::Choose(body.activities)),
            (400..=499, Some(body)) => Ok(Reply::Refused(body.error)),
            (code, _) => Err(ClientError::Server {
                status: code,
                body: text,
            }),
        }
    }

    pub async fn status(&self) -> Result<Status, ClientError> {
        let response = self
            .http
            .get(format!("{}/api/v1/kiosk/status", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        if !status.is_success() {
            return Err(ClientError::Server {
                status: status.as_u16(),
                body: text,
            });
        }
        serde_json::from_str(&text).map_err(|_| ClientError::Server {
            status: status.as_u16(),
            body: text,
        })
    }
}
