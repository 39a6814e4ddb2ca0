//! Check-ins: the kiosk's scans, phone self check-ins and staff entries; and undo.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::domain::checkin::{Actor, Answer, Source};
use crate::domain::ids::{ActivityId, CheckinId, MemberId};
use crate::domain::{Invalid, required_text};
use crate::home::checkins::{self, CheckinRequest, Presenting, Recorded};
use crate::http::AppState;
use crate::web::auth::{Principal, Staff};
use crate::web::error::ApiError;
use crate::web::extract::{ApiJson, Id};

/// Longest credential accepted; the QR reader drops longer payloads too.
const MAX_CREDENTIAL_BYTES: usize = 512;

#[derive(Debug, Deserialize)]
pub struct CheckinBody {
    /// What a reader read (QR text or card UID)...
    credential: Option<String>,
    /// ...or the member picked on the kiosk's keypad (with `"source": "keypad"`).
    member_id: Option<String>,
    source: String,
    activity_id: Option<String>,
    scan_id: Option<String>,
}

pub async fn post(
    State(state): State<AppState>,
    caller: Principal,
    ApiJson(body): ApiJson<CheckinBody>,
) -> Result<Json<Answer>, ApiError> {
    let request = validate(&body, &caller)?;
    let recorded = checkins::check_in(
        &state.store,
        &state.live,
        state.now(),
        &state.settings.tz,
        request,
    )
    .await?;
    match recorded {
        Recorded::Answered(answer) => Ok(Json(answer)),
        Recorded::Choose(choices) => Err(ApiError::ChooseActivity(choices)),
    }
}

fn validate(body: &CheckinBody, caller: &Principal) -> Result<CheckinRequest, ApiError> {
    let source = Source::parse(&body.source)?;
    let presenting = match (&body.credential, &body.member_id) {
        (None, Some(member)) if source == Source::Keypad => {
            let id = member
                .parse::<MemberId>()
                .map_err(|_| Invalid::new("member_id", "member_id 不是有效的会员编号"))?;
            Presenting::Member(id)
        }
        (Some(credential), None) if source != Source::Keypad => {
            Presenting::Credential(validate_credential(credential)?)
        }
        _ => {
            let message = "须提供 credential（扫码或刷卡），或在 source 为 keypad 时提供 member_id";
            return Err(Invalid::new("credential", message).into());
        }
    };
    if source == Source::Manual && caller.actor() != Actor::Staff {
        return Err(ApiError::Forbidden("只有工作人员可以补录签到".into()));
    }
    let activity_id = body
        .activity_id
        .as_deref()
        .map(|raw| {
            raw.parse::<ActivityId>()
                .map_err(|_| Invalid::new("activity_id", "activity_id 不是有效的活动编号"))
        })
        .transpose()?;
    let scan_id = body.scan_id.as_deref().map(validate_scan_id).transpose()?;
    Ok(CheckinRequest {
        presenting,
        source,
        actor: caller.actor(),
        device: caller.name().to_owned(),
        activity_id,
        scan_id,
    })
}

fn validate_credential(raw: &str) -> Result<String, Invalid> {
    let credential = raw.trim();
    if credential.is_empty() || credential.len() > MAX_CREDENTIAL_BYTES {
        return Err(Invalid::new(
            "credential",
            "credential 须为 1 到 512 字节的二维码内容或卡号",
        ));
    }
    if credential.chars().any(char::is_control) {
        return Err(Invalid::new("credential", "credential 含有控制字符"));
    }
    Ok(credential.to_owned())
}

fn validate_scan_id(raw: &str) -> Result<String, Invalid> {
    let ok = (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(Invalid::new(
            "scan_id",
            "scan_id 须为 1 到 64 个可见 ASCII 字符",
        ))
    }
}

#[derive(Debug, Deserialize)]
pub struct UndoBody {
    reason: Option<String>,
}

/// A staffer takes back a check-in; the reason is required and lands in the audit log.
pub async fn undo(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Id(id): Id<CheckinId>,
    ApiJson(body): ApiJson<UndoBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let reason = required_text(
        "reason",
        "撤销原因",
        body.reason.as_deref().unwrap_or_default(),
        200,
    )?;
    let now = state.clock.now();
    checkins::undo(&state.store, &state.live, now, &staff.username, id, reason).await?;
    Ok(Json(serde_json::json!({ "undone": id })))
}
