//! `GET /admin/members/{id}`: everything about one member, with the forms that change it. The
//! only page that shows a full phone number, and only when asked (`?phone=show`, audited).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::tz::TimeZone;
use rusqlite::Connection;
use serde::Deserialize;

use super::{local_time, member_id, status_label};
use crate::domain::checkin::Source;
use crate::domain::ids::MemberId;
use crate::domain::member::{Member, MemberStatus};
use crate::domain::phone::mask_phone;
use crate::home;
use crate::http::AppState;
use crate::http::pages::chrome::{Chrome, Section};
use crate::store::Result as StoreResult;
use crate::store::devices::{self, PhoneDevice};
use crate::store::members::{self, HistoryEntry};
use crate::store::scans::{self, ScanEntry};
use crate::web::csrf::Csrf;
use crate::web::extract::PageQuery;
use crate::web::render::{self, PageError, StaffPage};

/// How many check-ins the history shows.
const HISTORY: u32 = 50;
/// How many recent unknown scans are searched for cards to bind.
const RECENT_SCANS: u32 = 30;

#[derive(Debug, Deserialize)]
pub struct DetailQuery {
    phone: Option<String>,
    /// What the last form did (a code from `done_message`).
    done: Option<String>,
}

/// What the page says above everything else.
pub enum Notice {
    /// The last form succeeded.
    Done(&'static str),
    /// The last form was refused; nothing changed.
    Failed(String),
}

pub async fn view(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(raw): Path<String>,
    PageQuery(asked): PageQuery<DetailQuery>,
) -> Result<Response, PageError> {
    let id = member_id(&raw)?;
    let show_phone = asked.phone.as_deref() == Some("show");
    if show_phone {
        record_phone_view(&state, &staff, id).await?;
    }
    let notice = asked
        .done
        .as_deref()
        .and_then(done_message)
        .map(Notice::Done);
    let chrome = Chrome::new(&state, &staff, &csrf, Section::Members);
    page(&state, chrome, id, show_phone, notice, StatusCode::OK).await
}

/// Seeing a full number is logged (who and when; never the number).
async fn record_phone_view(
    state: &AppState,
    staff: &StaffPage,
    id: MemberId,
) -> Result<(), PageError> {
    home::members::show_phone(&state.store, state.clock.now(), &staff.0.username, id).await?;
    Ok(())
}

/// What a successful form reports after its redirect.
fn done_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "reissued" => "已重新生成二维码，旧二维码已立即失效，请重新打印胸牌",
        "revoked" => "二维码已作废",
        "suspended" => "已停用：该会员暂时不能签到",
        "restored" => "已恢复：该会员可以正常签到",
        "erased" => "个人信息已删除，签到记录以匿名方式保留",
        "card_bound" => "卡片已绑定",
        "card_unbound" => "卡片已解绑",
        "phone_revoked" => "已撤销该手机，下次须重新验证",
        _ => return None,
    })
}

/// Everything the page shows, read in one go.
struct Facts {
    member: Member,
    phones: Vec<PhoneDevice>,
    history: Vec<HistoryEntry>,
    unknown_cards: Vec<ScanEntry>,
}

fn load(conn: &Connection, id: MemberId) -> StoreResult<Facts> {
    Ok(Facts {
        member: members::get(conn, id)?,
        phones: devices::for_member(conn, id)?,
        history: members::history(conn, id, HISTORY)?,
        unknown_cards: unknown_cards(conn)?,
    })
}

/// Cards scanned lately that nobody holds, newest first, each once.
fn unknown_cards(conn: &Connection) -> StoreResult<Vec<ScanEntry>> {
    let mut seen = Vec::new();
    for scan in scans::recent(conn, true, RECENT_SCANS)? {
        let Some(uid) = scan.credential.as_deref() else {
            continue;
        };
        let repeated = seen
            .iter()
            .any(|s: &ScanEntry| s.credential.as_deref() == Some(uid));
        if scan.kind == "card" && !repeated && !members::card_is_bound(conn, uid)? {
            seen.push(scan);
        }
    }
    Ok(seen)
}

struct CardChoice {
    uid: String,
    when: String,
    device: String,
}

impl CardChoice {
    fn new(scan: ScanEntry, tz: &TimeZone) -> Self {
        Self {
            uid: scan.credential.unwrap_or_default(),
            when: local_time(scan.at, tz),
            device: scan.device,
        }
    }
}

struct PhoneLine {
    handle: String,
    created: String,
    last_used: String,
}

impl PhoneLine {
    fn new(device: PhoneDevice, tz: &TimeZone) -> Self {
        Self {
            handle: device.handle,
            created: local_time(device.created_at, tz),
            last_used: local_time(device.last_used_at, tz),
        }
    }
}

struct HistoryLine {
    activity_id: String,
    /// The activity's title, or 到访 for a venue visit.
    what: String,
    source: &'static str,
    when: String,
    undone: bool,
}

impl HistoryLine {
    fn new(entry: HistoryEntry, tz: &TimeZone) -> Self {
        Self {
            activity_id: entry.activity_id.map(|a| a.to_string()).unwrap_or_default(),
            what: entry.activity_title.unwrap_or_else(|| "到访".into()),
            source: Source::from_code(&entry.source).map_or("其他", Source::label),
            when: local_time(entry.at, tz),
            undone: entry.undone,
        }
    }
}

#[derive(Template)]
#[template(path = "members/detail.html")]
struct DetailPage {
    chrome: Chrome,
    id: String,
    name: String,
    employer: String,
    discipline: String,
    job_title: String,
    status: &'static str,
    suspended: bool,
    erased: bool,
    /// Masked, unless the staffer asked for the full number.
    phone: String,
    phone_shown: bool,
    consent_at: String,
    consent_version: String,
    consent_share: bool,
    has_credential: bool,
    cards: Vec<String>,
    unknown_cards: Vec<CardChoice>,
    phones: Vec<PhoneLine>,
    history: Vec<HistoryLine>,
    done: Option<&'static str>,
    failure: Option<String>,
}

impl DetailPage {
    fn new(chrome: Chrome, facts: Facts, show_phone: bool, tz: &TimeZone) -> Self {
        let member = facts.member;
        let erased = member.status == MemberStatus::Erased;
        let phone_shown = show_phone && !erased;
        Self {
            chrome,
            id: member.id.to_string(),
            phone: if phone_shown {
                member.phone.clone()
            } else {
                mask_phone(&member.phone)
            },
            phone_shown,
            status: status_label(member.status),
            suspended: member.status == MemberStatus::Suspended,
            erased,
            consent_at: local_time(member.consent_at, tz),
            has_credential: member.credential.is_some(),
            name: member.name,
            employer: member.employer,
            discipline: member.discipline.unwrap_or_default(),
            job_title: member.title.unwrap_or_default(),
            consent_version: member.consent_version,
            consent_share: member.consent_share,
            cards: member.cards,
            unknown_cards: facts
                .unknown_cards
                .into_iter()
                .map(|scan| CardChoice::new(scan, tz))
                .collect(),
            phones: facts
                .phones
                .into_iter()
                .map(|device| PhoneLine::new(device, tz))
                .collect(),
            history: facts
                .history
                .into_iter()
                .map(|entry| HistoryLine::new(entry, tz))
                .collect(),
            done: None,
            failure: None,
        }
    }
}

/// The detail page with a status (200, or the 4xx of a refused form) and a notice.
pub async fn page(
    state: &AppState,
    chrome: Chrome,
    id: MemberId,
    show_phone: bool,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let facts = state.store.read(move |conn| load(conn, id)).await?;
    let mut page = DetailPage::new(chrome, facts, show_phone, &state.settings.tz);
    match notice {
        Some(Notice::Done(text)) => page.done = Some(text),
        Some(Notice::Failed(text)) => page.failure = Some(text),
        None => {}
    }
    render::html(status, &page)
}
