//! The kiosk's HTTP client of `kejia serve`. It owns its wire types: contract.md is their
//! source, and the end-to-end tests guard that both sides agree.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How a scan reached the kiosk: the API's `"source"`, the server's `domain::checkin::Source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Qr,
    Card,
    Keypad,
}

/// Who is checking in: what a reader read, or a member picked on the keypad (the server's
/// `home::checkins::Presenting` too). How it arrived is its [`Source`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presenting {
    Credential { text: String, source: Source },
    Member { id: String },
}

#[derive(Debug, Clone, Serialize)]
struct CheckinRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    credential: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    member_id: Option<&'a str>,
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

/// What the server made of a scan: its answer's `outcome`, as the server's
/// `domain::checkin::Outcome` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    CheckedIn,
    AlreadyCheckedIn,
    Visit,
    UnknownCredential,
    MemberSuspended,
    ActivityNotOpen,
    /// An outcome a newer server knows and this kiosk does not: kept with its text, so the
    /// screen can say what came back, and never taken for a success.
    #[serde(untagged)]
    Unrecognised(String),
}

/// The server's answer to a check-in (`POST /api/v1/checkins`, 200).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Answer {
    pub outcome: Outcome,
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
    /// The page a phone opens to check in or register, e.g.
    /// `http://192.168.1.20:8080/m/checkin?code=…`; its code rotates, so it is shown as a QR
    /// code fresh from each status. Older servers send none.
    #[serde(default)]
    pub phone_url: Option<String>,
    /// The association's newest notice (policy publicity), once the home syncs with the hub;
    /// absent when there is none, and from older servers.
    #[serde(default)]
    pub notice: Option<Notice>,
}

/// A notice (policy publicity) from the city association, as the server relays it: text from
/// afar, cleaned before it reaches the screen.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Notice {
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// RFC 3339, with the association's offset.
    #[serde(default)]
    pub published_at: String,
}

/// A member found by the last digits of their phone: masked, as a public screen may show.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PhoneMatch {
    pub id: String,
    pub name_masked: String,
    pub employer: String,
    pub phone_masked: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the server cannot be reached: {0}")]
    Unreachable(#[source] reqwest::Error),
    #[error("the server answered {status}: {body}")]
    Server { status: u16, body: String },
    /// 503 with a message: the server is there but could not save (a full or read-only card,
    /// say); worth retrying, and if it persists the message is what the member should read.
    #[error("the server could not save: {0}")]
    Unavailable(String),
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
        // reqwest is built without a TLS crypto provider (the home picks ring for its sync);
        // installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(4))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(ClientError::Unreachable)?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: token.trim().to_owned(),
        })
    }

    /// Sends one scan. `scan_id` makes a retry of the same scan count once.
    pub async fn checkin(
        &self,
        presenting: &Presenting,
        activity_id: Option<&str>,
        scan_id: &str,
    ) -> Result<Reply, ClientError> {
        let (credential, member_id, source) = match presenting {
            Presenting::Credential { text, source } => (Some(text.as_str()), None, *source),
            Presenting::Member { id } => (None, Some(id.as_str()), Source::Keypad),
        };
        let body = CheckinRequest {
            credential,
            member_id,
            source,
            activity_id,
            scan_id,
        };
        let request = self
            .http
            .post(format!("{}/api/v1/checkins", self.base))
            .json(&body);
        let (status, text) = self.send(request).await?;
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
            (503, Some(body)) => Err(ClientError::Unavailable(body.error)),
            (code, _) => Err(ClientError::Server {
                status: code,
                body: text,
            }),
        }
    }

    pub async fn status(&self) -> Result<Status, ClientError> {
        self.get_json(&format!("{}/api/v1/kiosk/status", self.base))
            .await
    }

    /// Members whose phone ends with `suffix`, as the keypad shows them.
    pub async fn members_by_phone_suffix(
        &self,
        suffix: &str,
    ) -> Result<Vec<PhoneMatch>, ClientError> {
        self.get_json(&format!(
            "{}/api/v1/kiosk/members?phone_suffix={suffix}",
            self.base
        ))
        .await
    }

    /// Sends with the kiosk's token; any failure to get a whole answer means unreachable.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, String), ClientError> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(ClientError::Unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(ClientError::Unreachable)?;
        Ok((status, text))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, ClientError> {
        let (status, text) = self.send(self.http.get(url)).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every outcome the server writes (its `Outcome::code`) decodes to its own variant, and
    /// one it does not know is kept as text rather than refused or taken for another.
    #[test]
    fn outcomes_decode_to_their_variants_and_an_unknown_one_is_kept() {
        let decode = |text: &str| -> Outcome {
            serde_json::from_value(serde_json::Value::from(text)).expect("an outcome")
        };
        assert_eq!(decode("checked_in"), Outcome::CheckedIn);
        assert_eq!(decode("already_checked_in"), Outcome::AlreadyCheckedIn);
        assert_eq!(decode("visit"), Outcome::Visit);
        assert_eq!(decode("unknown_credential"), Outcome::UnknownCredential);
        assert_eq!(decode("member_suspended"), Outcome::MemberSuspended);
        assert_eq!(decode("activity_not_open"), Outcome::ActivityNotOpen);
        assert_eq!(
            decode("checked_in_twice"),
            Outcome::Unrecognised("checked_in_twice".into())
        );
        let answer: Answer = serde_json::from_str(
            r#"{"outcome":"visit","member":null,"activity":null,"participants":null}"#,
        )
        .expect("an answer");
        assert_eq!(answer.outcome, Outcome::Visit);
    }

    #[test]
    fn the_status_phone_url_is_optional() {
        let without: Status = serde_json::from_str(
            r#"{"home_name":"之家","now":"2026-11-28T20:00:00+08:00","open":[],"next":null}"#,
        )
        .expect("an older server's status");
        assert_eq!(without.phone_url, None);
        let with: Status = serde_json::from_str(
            r#"{"home_name":"之家","now":"2026-11-28T20:00:00+08:00","open":[],"next":null,
                "phone_url":"http://192.168.1.20:8080/m/checkin?code=6a1b2c3.0f1e2d3c4b5a"}"#,
        )
        .expect("status");
        assert_eq!(
            with.phone_url.as_deref(),
            Some("http://192.168.1.20:8080/m/checkin?code=6a1b2c3.0f1e2d3c4b5a")
        );
    }

    #[test]
    fn the_status_notice_is_optional() {
        let without: Status = serde_json::from_str(
            r#"{"home_name":"之家","now":"2026-11-28T20:00:00+08:00","open":[],"next":null}"#,
        )
        .expect("a status without a notice");
        assert_eq!(without.notice, None);
        let with: Status = serde_json::from_str(
            r#"{"home_name":"之家","now":"2026-11-28T20:00:00+08:00","open":[],"next":null,
                "notice":{"title":"关于开展科技活动周的通知","body":"请各单位做好准备。",
                          "published_at":"2026-11-20T09:00:00+08:00"}}"#,
        )
        .expect("status");
        assert_eq!(
            with.notice,
            Some(Notice {
                title: "关于开展科技活动周的通知".into(),
                body: "请各单位做好准备。".into(),
                published_at: "2026-11-20T09:00:00+08:00".into(),
            })
        );
    }
}
