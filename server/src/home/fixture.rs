//! A home on a temporary store, for the flows' tests.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{activities, members};
use crate::domain::activity::{Activity, ActivityFields, CheckinWindow};
use crate::domain::member::{Member, NewMember, Registration};
use crate::store::{Store, audit};

pub struct Home {
    pub store: Store,
    pub tz: TimeZone,
    _dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("store");
        Self {
            store,
            tz: TimeZone::get("Asia/Shanghai").expect("tz"),
            _dir: dir,
        }
    }

    pub async fn member(&self, name: &str, phone: &str) -> Member {
        let member = NewMember::parse(&Registration {
            name: Some(name),
            phone: Some(phone),
            employer: Some("益阳某公司"),
            consent: Some(true),
            ..Registration::default()
        })
        .expect("member");
        members::register(&self.store, at("2026-05-01T00:00:00Z"), member)
            .await
            .expect("registered")
    }

    /// An activity on 12 May 2026, 09:30 to 11:30 in Shanghai.
    pub async fn activity(&self) -> Activity {
        let draft = ActivityFields {
            title: Some("沙龙"),
            category: Some("academic_exchange"),
            starts_at: Some("2026-05-12T09:30:00+08:00"),
            ends_at: Some("2026-05-12T11:30:00+08:00"),
            ..ActivityFields::default()
        }
        .create(CheckinWindow::default())
        .expect("draft");
        activities::create(&self.store, at("2026-05-01T00:00:00Z"), draft)
            .await
            .expect("created")
    }

    /// The audit log's actions, oldest first.
    pub async fn audited(&self) -> Vec<(String, String, Option<String>)> {
        let mut entries = self
            .store
            .read(|conn| audit::recent(conn, 100))
            .await
            .expect("audit");
        entries.reverse();
        entries
            .into_iter()
            .map(|e| (e.action, e.actor, e.detail))
            .collect()
    }
}

pub fn at(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}
