//! What a home and the hub say to each other (JSON over HTTPS; plain HTTP on loopback only).
//!
//! - `POST /api/v1/enroll` [`EnrollRequest`] → [`EnrollAnswer`]: once, with the hub's one-time code.
//! - `POST /api/v1/sync/push` [`Push`] → [`PushAnswer`], or 409 [`Refusal`].
//!
//! A push carries a [`Batch`] as JSON *text* (`payload`) with the home's signature over exactly
//! those bytes, so nothing is re-serialised before it is verified. Each [`Change`] carries its
//! record as canonical JSON text (what the chain hashes) and, separately, the personal data the
//! hub may hold (never hashed into the chain, so it can be erased).
//!
//! Why this module stands on its own, below `store`, `sync` and `hub`: its words are written by
//! more than the sync client. The home's store appends [`Record`]s to the change log, hashed with
//! [`chain`], in the same transaction as the write they record, and keeps the hub's
//! [`Decision`]s and [`Notice`]s; the hub's ingest reads the same types. It is pure data,
//! serialisation and hashing (no I/O, no SQL, no HTTP), so everyone can use it and it uses none
//! of them (`layers.rs` checks). It is not `domain`: these are the format both sides agreed on,
//! strings as they travel, not the home's rules.

pub mod chain;
pub mod phone;

use serde::{Deserialize, Serialize};

/// Changes in one push, at most.
pub const MAX_BATCH: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub code: String,
    /// The home's Ed25519 public key, 64 hex digits.
    pub public_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollAnswer {
    pub home_id: String,
    pub home_name: String,
    /// The association's key for hashing phone numbers (64 hex digits), the same for every
    /// home, so one member at two homes can be recognised without the number. It is the salt of
    /// a slow hash ([`phone`]), not a secret: the hub keeps it and every home holds it.
    pub phone_key: String,
    /// The host unit (依托单位) the association has on record, if any. Older hubs leave it
    /// out, so it is optional on the wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_unit: Option<String>,
    /// The day the association awarded the home its plaque (`YYYY-MM-DD`), if recorded: the
    /// home counts its months from then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awarded_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    pub home_id: String,
    /// A [`Batch`] as JSON text.
    pub payload: String,
    /// Ed25519 over `payload`'s UTF-8 bytes, 128 hex digits.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub home_id: String,
    /// The hash of the change before the first one here ([`chain::GENESIS`] at the start).
    pub prev_hash: String,
    /// Consecutive changes, from the hub's acknowledged sequence + 1. May be empty (a poll for
    /// decisions and notices).
    pub changes: Vec<Change>,
    /// The newest notice the home already has (0 for none).
    pub notices_after: i64,
    /// What the phone hashes in this batch are ([`phone::PHONE_HASH_KIND`]); the hub
    /// keeps none of another kind (a home of an older kejia sends fast, invertible ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_hash_kind: Option<String>,
    /// Members' phone hashes the hub has not acknowledged yet, outside the chain: how members
    /// synced before the hub held hashes of this kind get one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phone_hashes: Vec<MemberPhoneHash>,
}

/// A member's phone hash sent on its own (see [`Batch::phone_hashes`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPhoneHash {
    pub member_id: String,
    pub phone_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    /// `chain_hash(previous hash, record)`.
    pub hash: String,
    /// A [`Record`] as canonical JSON text.
    pub record: String,
    /// For member records: what the hub may hold now (absent once erased).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal: Option<Personal>,
}

impl Change {
    /// The record this change carries, as the hub reads it before storing it.
    pub fn parsed_record(&self) -> Result<Record, serde_json::Error> {
        serde_json::from_str(&self.record)
    }
}

/// A member's personal data as the hub receives it: name and employer only with the separate
/// consent to share; the phone only as a slow keyed hash ([`phone::phone_hash`], 64
/// lowercase hex digits; the hub refuses a push carrying anything else).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Personal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer: Option<String>,
    pub phone_hash: String,
}

/// One synced fact: the whole record as it stands after the change (the hub upserts by id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Member {
        id: String,
        /// `active`, `suspended` or `erased`.
        status: String,
        consent_share: bool,
        /// Salted hash of the member's personal data (empty once erased).
        personal_hash: String,
    },
    Activity {
        id: String,
        title: String,
        category: String,
        /// RFC 3339, UTC.
        starts_at: String,
        ends_at: String,
        cancelled: bool,
        /// `draft`, `filed`, `approved` or `rejected`.
        filing: String,
        /// A staffer closed check-in by hand, so the activity counts as ended even before
        /// `ends_at`. Absent when false, so every record written before it existed keeps its
        /// canonical text (and hash), and an older home's records read as not closed.
        #[serde(default, skip_serializing_if = "is_false")]
        checkin_closed: bool,
    },
    Checkin {
        id: String,
        member_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        activity_id: Option<String>,
        /// For a venue visit: the day of the home's calendar.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visit_day: Option<String>,
        /// `qr`, `card`, `phone`, `keypad` or `manual`: the check-in's source. Named `method`
        /// on the wire, as records are hashed into the chain and read by hubs of other versions.
        #[serde(rename = "method")]
        source: String,
        /// RFC 3339, UTC.
        at: String,
        clock_trusted: bool,
        undone: bool,
    },
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Record {
    /// The canonical text the chain hashes (serde writes fields in declaration order).
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAnswer {
    /// The last sequence the hub holds for this home.
    pub acked_seq: i64,
    /// Filing decisions the home has not applied yet (all of them, every time: applying one
    /// twice changes nothing).
    pub decisions: Vec<Decision>,
    /// Notices published after `notices_after`.
    pub notices: Vec<Notice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub activity_id: String,
    pub approved: bool,
    pub comment: String,
    /// RFC 3339.
    pub decided_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub seq: i64,
    pub title: String,
    pub body: String,
    /// RFC 3339.
    pub published_at: String,
}

/// Why the hub refused a push (HTTP 409 or 403); `acked_seq` tells the home where to resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub error: String,
    pub acked_seq: i64,
}

#[cfg(test)]
pub(crate) mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_one_canonical_text() {
        let record = Record::Checkin {
            id: "c".into(),
            member_id: "m".into(),
            activity_id: Some("a".into()),
            visit_day: None,
            source: "qr".into(),
            at: "2026-05-12T02:00:00Z".into(),
            clock_trusted: true,
            undone: false,
        };
        let text = record.canonical();
        assert_eq!(
            text,
            r#"{"kind":"checkin","id":"c","member_id":"m","activity_id":"a","method":"qr","at":"2026-05-12T02:00:00Z","clock_trusted":true,"undone":false}"#
        );
        let back: Record = serde_json::from_str(&text).unwrap();
        assert_eq!(back.canonical(), text);
    }

    #[test]
    fn an_activity_closed_by_hand_says_so_and_an_open_one_keeps_its_old_text() {
        let activity = |checkin_closed| Record::Activity {
            id: "a".into(),
            title: "讲座".into(),
            category: "advice".into(),
            starts_at: "2026-05-12T02:00:00Z".into(),
            ends_at: "2026-05-12T04:00:00Z".into(),
            cancelled: false,
            filing: "draft".into(),
            checkin_closed,
        };
        let old = r#"{"kind":"activity","id":"a","title":"讲座","category":"advice","starts_at":"2026-05-12T02:00:00Z","ends_at":"2026-05-12T04:00:00Z","cancelled":false,"filing":"draft"}"#;
        assert_eq!(activity(false).canonical(), old);
        assert_eq!(
            serde_json::from_str::<Record>(old).unwrap(),
            activity(false)
        );
        let closed = activity(true).canonical();
        assert!(
            closed.ends_with(r#""filing":"draft","checkin_closed":true}"#),
            "{closed}"
        );
        assert_eq!(
            serde_json::from_str::<Record>(&closed).unwrap(),
            activity(true)
        );
    }
}
