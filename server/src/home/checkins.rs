//! Check-ins: a kiosk's scan, a phone's tap or a staffer's entry, recorded exactly once; and
//! taking one back.
//!
//! [`record`] and [`take_back`] run inside the writer's transaction, so the look-ups, the
//! domain's decision, the insert, the counter and the scan log commit together or not at all.
//! [`check_in`], [`check_in_by_hand`] and [`undo`] hand them to the writer (one write each) and
//! announce the activity's new count only after COMMIT.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rusqlite::Connection;

use super::HomeError;
use super::counts::{CountChanged, LiveCounts};
use crate::domain::activity::Activity;
use crate::domain::checkin::{
    ActivityBrief, Actor, Answer, Attended, MemberBrief, Outcome, Resolution, Source, resolve,
};
use crate::domain::credential::Presented;
use crate::domain::ids::{ActivityId, CheckinId, MemberId};
use crate::domain::member::MemberStatus;
use crate::domain::{Conflict, Now};
use crate::store::audit::Entry;
use crate::store::checkins::{self, NewCheckin};
use crate::store::members::{identify_by_card, identify_by_credential, identify_by_id};
use crate::store::scans::{self, Scan};
use crate::store::{Store, StoreError, activities, audit, changelog};

/// Who is checking in: what a reader read, or a member picked on the kiosk's keypad (the
/// kiosk's `client::Presenting` too). How it arrived is its [`Source`].
#[derive(Debug, Clone)]
pub enum Presenting {
    Credential(String),
    Member(MemberId),
}

/// One scan or one staff entry, as the HTTP layer validated it.
#[derive(Debug, Clone)]
pub struct CheckinRequest {
    pub presenting: Presenting,
    pub source: Source,
    pub actor: Actor,
    /// The device's token name or the staffer's username.
    pub device: String,
    pub activity_id: Option<ActivityId>,
    pub scan_id: Option<String>,
}

/// What [`record`] decided.
#[derive(Debug, Clone)]
pub enum Recorded {
    Answered(Answer),
    /// Several activities are open; nothing was recorded and the device must ask.
    Choose(Vec<ActivityBrief>),
}

/// Records a check-in (one write) and announces the activity's new count.
pub async fn check_in(
    store: &Store,
    counts: &LiveCounts,
    now: Now,
    tz: &TimeZone,
    request: CheckinRequest,
) -> Result<Recorded, HomeError> {
    check_in_with(store, counts, now, tz, request, |_, _, _| Ok(())).await
}

/// [`check_in`], with `also` written in the same transaction once the check-in is decided
/// (its audit entry, the phone's last use): both commit, or neither.
pub(super) async fn check_in_with(
    store: &Store,
    counts: &LiveCounts,
    now: Now,
    tz: &TimeZone,
    request: CheckinRequest,
    also: impl FnOnce(&Connection, &CheckinRequest, &Recorded) -> Result<(), StoreError>
    + Send
    + 'static,
) -> Result<Recorded, HomeError> {
    let tz = tz.clone();
    let recorded = store
        .write(move |conn| {
            let recorded = record(conn, &request, now, &tz)?;
            also(conn, &request, &recorded)?;
            Ok(recorded)
        })
        .await?;
    if let Recorded::Answered(answer) = &recorded {
        counts.announce(answer);
    }
    Ok(recorded)
}

/// A staffer checks a member in by hand (the paper sheet's backfill). A new check-in is
/// audited as `checkin.manual` in the same write.
pub async fn check_in_by_hand(
    store: &Store,
    counts: &LiveCounts,
    now: Now,
    tz: &TimeZone,
    staffer: &str,
    activity: ActivityId,
    member: MemberId,
) -> Result<Recorded, HomeError> {
    let request = CheckinRequest {
        presenting: Presenting::Member(member),
        source: Source::Manual,
        actor: Actor::Staff,
        device: staffer.to_owned(),
        activity_id: Some(activity),
        scan_id: None,
    };
    check_in_with(
        store,
        counts,
        now,
        tz,
        request,
        move |conn, request, recorded| {
            if let Recorded::Answered(answer) = recorded
                && answer.outcome == Outcome::CheckedIn
            {
                let subject = answer.checkin_id.map(|c| c.to_string()).unwrap_or_default();
                let detail = format!("activity {activity}, member {member}");
                audit::append(
                    conn,
                    Entry::new(now.at, &request.device, "checkin.manual", &subject)
                        .detail(Some(&detail)),
                )?;
            }
            Ok(())
        },
    )
    .await
}

/// Takes a check-in back (the reason lands in the audit log) and announces the new count.
pub async fn undo(
    store: &Store,
    counts: &LiveCounts,
    now: Timestamp,
    staffer: &str,
    id: CheckinId,
    reason: String,
) -> Result<(), HomeError> {
    let staffer = staffer.to_owned();
    let changed = store
        .write(move |conn| take_back(conn, id, &staffer, &reason, now))
        .await?;
    if let Some(change) = changed {
        counts.publish(change);
    }
    Ok(())
}

/// Resolves and records one check-in inside the writer's transaction: a retried scan (same
/// device and scan id) gets its first answer back; otherwise the credential names a member,
/// the domain decides, and the check-in, the count and the scan log are written.
pub fn record(
    conn: &Connection,
    request: &CheckinRequest,
    now: impl Into<Now>,
    tz: &TimeZone,
) -> Result<Recorded, StoreError> {
    let now = now.into();
    if let Some(scan_id) = &request.scan_id
        && let Some(first) = scans::answer_for(conn, &request.device, scan_id)?
    {
        return Ok(Recorded::Answered(first));
    }
    let presented = match &request.presenting {
        Presenting::Credential(text) => Some(Presented::classify(text)),
        Presenting::Member(_) => None,
    };
    let identified = match (&presented, &request.presenting) {
        (Some(Presented::Qr(text)), _) => identify_by_credential(conn, text)?,
        (Some(Presented::Card(uid)), _) => identify_by_card(conn, uid)?,
        (Some(Presented::Unrecognised(_)), _) => None,
        (None, Presenting::Member(id)) => identify_by_id(conn, *id)?,
        (None, Presenting::Credential(_)) => None,
    };
    let chosen = request
        .activity_id
        .map(|id| activities::get(conn, id))
        .transpose()?;
    // Only an active member with no activity chosen needs the open ones: the others are
    // answered without them, and the look-up is the costliest read of a scan.
    let needs_candidates = chosen.is_none()
        && identified
            .as_ref()
            .is_some_and(|m| m.facts.status == MemberStatus::Active);
    let candidates = if needs_candidates {
        activities::candidates_at(conn, now.at)?
    } else {
        Vec::new()
    };
    let resolution = resolve(
        identified.as_ref().map(|m| m.facts),
        request.source,
        request.actor,
        chosen.as_ref(),
        &candidates,
        now,
        tz,
    );
    let member = identified.map(|m| m.brief);
    let answer = match resolution {
        Resolution::Choose(ids) => {
            let briefs = candidates
                .iter()
                .filter(|a| ids.contains(&a.id))
                .map(ActivityBrief::of)
                .collect();
            return Ok(Recorded::Choose(briefs));
        }
        Resolution::Refuse(outcome) => {
            Answer::refused(outcome, member, chosen.as_ref().map(ActivityBrief::of))
        }
        Resolution::Attend(activity_id) => {
            let activity = chosen
                .iter()
                .chain(&candidates)
                .find(|a| a.id == activity_id)
                .ok_or(StoreError::NotFound)?;
            let member = member.ok_or(StoreError::NotFound)?;
            attend(conn, request, member, activity, now)?
        }
        Resolution::Visit(day) => {
            let member = member.ok_or(StoreError::NotFound)?;
            visit(conn, request, member, day, now)?
        }
    };
    let scan = Scan {
        device: &request.device,
        scan_id: request.scan_id.as_deref(),
        source: request.source,
        presented: presented.as_ref(),
    };
    scans::log(conn, &scan, &answer, now.at)?;
    Ok(Recorded::Answered(answer))
}

fn attend(
    conn: &Connection,
    request: &CheckinRequest,
    member: MemberBrief,
    activity: &Activity,
    now: Now,
) -> Result<Answer, StoreError> {
    // The partial unique index (one live check-in per member and activity) decides: a second
    // check-in is ignored, and then the first one is looked up for the answer.
    let new = NewCheckin {
        member: member.id,
        activity: Some(activity.id),
        visit_day: None,
        source: request.source,
        device: &request.device,
    };
    let attended = match checkins::insert(conn, &new, now)? {
        Some(checkin) => {
            let manual = request.source == Source::Manual;
            let participants = activities::count_participant(conn, activity.id, 1, manual)?;
            Attended::First {
                checkin,
                participants,
            }
        }
        None => Attended::Again {
            checkin: checkins::live_at(conn, activity.id, member.id)?,
            participants: activity.participants,
        },
    };
    Ok(Answer::attended(
        member,
        ActivityBrief::of(activity),
        attended,
    ))
}

fn visit(
    conn: &Connection,
    request: &CheckinRequest,
    member: MemberBrief,
    day: Date,
    now: Now,
) -> Result<Answer, StoreError> {
    let earlier = checkins::visit_on(conn, member.id, day)?;
    let checkin = match earlier {
        Some(id) => Some(id),
        None => {
            let new = NewCheckin {
                member: member.id,
                activity: None,
                visit_day: Some(day),
                source: request.source,
                device: &request.device,
            };
            checkins::insert(conn, &new, now)?
        }
    };
    Ok(Answer::visited(member, day, checkin, earlier.is_some()))
}

/// Takes a check-in back inside the writer's transaction. The row stays, marked undone, the
/// activity's count drops, and the audit log says who, when and why. Returns the activity's
/// new count, if the check-in was at one (not a visit).
pub fn take_back(
    conn: &Connection,
    id: CheckinId,
    staffer: &str,
    reason: &str,
    now: Timestamp,
) -> Result<Option<CountChanged>, StoreError> {
    let standing = checkins::standing(conn, id)?.ok_or(StoreError::NotFound)?;
    if standing.undone {
        return Err(Conflict("这条签到已被撤销".into()).into());
    }
    checkins::mark_undone(conn, id, staffer, reason, now)?;
    let changed = match standing.activity_id {
        Some(activity_id) => {
            let manual = standing.source == Source::Manual.code();
            let participants = activities::count_participant(conn, activity_id, -1, manual)?;
            Some(CountChanged {
                activity_id,
                participants,
            })
        }
        None => None,
    };
    audit::append(
        conn,
        Entry::new(now, staffer, "checkin.undo", &id.to_string()).because(reason),
    )?;
    changelog::checkin(conn, id, now)?;
    Ok(changed)
}

#[cfg(test)]
mod tests;
