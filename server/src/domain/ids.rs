//! Identifiers. Every row that syncs gets a UUID where it is born, so a sync is an idempotent
//! upsert; the newtypes keep a member's id from being passed where an activity's is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new id; version 7 UUIDs keep inserts near the end of SQLite's B-trees.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A member of the home.
    MemberId
);
uuid_id!(
    /// An activity (lecture, salon, training ...).
    ActivityId
);
uuid_id!(
    /// One check-in or venue visit.
    CheckinId
);
uuid_id!(
    /// A staff account.
    UserId
);
uuid_id!(
    /// A device's API token.
    TokenId
);
uuid_id!(
    /// A photo of an activity, for the ledger.
    PhotoId
);
