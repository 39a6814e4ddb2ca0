//! Checking a phone's member in, and the page that says how it went: the same answers the
//! kiosk's screens give, in words for the member's own phone.

use askama::Template;
use axum::response::Response;

use super::device::Owner;
use super::notice::Notice;
use crate::domain::checkin::{ActivityBrief, Actor, Answer, Outcome, Source};
use crate::domain::ids::ActivityId;
use crate::domain::room::FormTicket;
use crate::home::checkins::{CheckinRequest, Presenting, Recorded};
use crate::home::{self, phones::PHONE_DEVICE};
use crate::http::AppState;
use crate::web::render;

/// How a check-in went, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub headline: &'static str,
    /// The CSS class of the box: `ok`, `warn` or `error`.
    pub tone: &'static str,
    pub activity: Option<String>,
    pub detail: Option<String>,
}

#[derive(Template)]
#[template(path = "phone/result.html")]
struct ResultPage<'a> {
    home_name: &'a str,
    name: &'a str,
    verdict: Option<Verdict>,
    /// Several activities are open: one button each, re-sending the form with its id.
    choices: Vec<ActivityBrief>,
    csrf: &'a str,
    /// The page's form ticket, sent again with the chosen activity.
    ticket: &'a str,
}

/// What the member tapped: their page's ticket, and the activity if they picked one.
pub struct Tap<'a> {
    pub ticket: &'a FormTicket,
    pub activity_id: Option<ActivityId>,
    pub csrf: &'a str,
}

/// Records the tap as the owner's check-in and renders the answer.
pub async fn check_in(state: &AppState, owner: &Owner, tap: Tap<'_>) -> Result<Response, Notice> {
    let request = CheckinRequest {
        presenting: Presenting::Member(owner.member.id),
        source: Source::Phone,
        actor: Actor::Device,
        device: PHONE_DEVICE.into(),
        activity_id: tap.activity_id,
        scan_id: Some(tap.ticket.nonce.clone()),
    };
    let recorded = home::phones::check_in(
        &state.store,
        &state.live,
        state.now(),
        &state.settings.tz,
        &owner.token_hash,
        request,
    )
    .await?;
    let (verdict, choices) = match recorded {
        Recorded::Answered(answer) => {
            // A nonce names one form on one phone; an answer for someone else means the form
            // was not this phone's to send, and their name must not show here.
            if answer
                .member
                .as_ref()
                .is_some_and(|m| m.id != owner.member.id)
            {
                return Err(Notice::stale_form());
            }
            (Some(describe(&answer)), Vec::new())
        }
        Recorded::Choose(choices) => (None, choices),
    };
    render::ok(&ResultPage {
        home_name: &state.home_name(),
        name: &owner.member.name,
        verdict,
        choices,
        csrf: tap.csrf,
        ticket: &tap.ticket.text,
    })
    .map_err(Notice::from)
}

/// The words for an answer.
pub fn describe(answer: &Answer) -> Verdict {
    let activity = answer.activity.as_ref().map(|a| a.title.clone());
    let (headline, tone, detail) = match answer.outcome {
        Outcome::CheckedIn => (
            "签到成功",
            "ok",
            answer
                .participants
                .map(|n| format!("您是本次活动第 {n} 位签到的会员")),
        ),
        Outcome::AlreadyCheckedIn => (
            "已签到过",
            "ok",
            Some("您已签到过本次活动，无需重复签到。".to_owned()),
        ),
        Outcome::Visit => ("已记录到访", "ok", Some(visit_detail(answer))),
        Outcome::MemberSuspended => (
            "账号已停用",
            "error",
            Some("您的账号已停用，请联系工作人员。".to_owned()),
        ),
        Outcome::ActivityNotOpen => (
            "活动未开放",
            "warn",
            Some("该活动现在不接受签到，请联系工作人员。".to_owned()),
        ),
        Outcome::UnknownCredential => (
            "未找到登记信息",
            "error",
            Some("请联系工作人员。".to_owned()),
        ),
    };
    Verdict {
        headline,
        tone,
        activity,
        detail,
    }
}

/// The visit's day was decided in the home's calendar already.
fn visit_detail(answer: &Answer) -> String {
    let day = answer
        .visit_day
        .map(|d| d.strftime("%-m月%-d日").to_string())
        .unwrap_or_else(|| "今天".to_owned());
    if answer.repeat {
        format!("{day}已记录过您的到访，只计一次。")
    } else {
        format!("现在没有正在签到的活动，已记录您{day}到访。")
    }
}
