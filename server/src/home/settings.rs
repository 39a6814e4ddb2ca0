//! The home's own details (name, host unit, award month, phone address), saved by a staffer.

use jiff::Timestamp;

use super::HomeError;
use crate::domain::home::HomeProfile;
use crate::store::audit::Entry;
use crate::store::{Store, audit, home_profile};

/// Saves the details with the audit entry, in one write. The caller then takes them as the
/// home's profile (`AppState::set_profile`), so pages show them at once.
pub async fn save_profile(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    profile: HomeProfile,
) -> Result<(), HomeError> {
    let staffer = staffer.to_owned();
    store
        .write(move |conn| {
            home_profile::put(conn, &profile, now)?;
            audit::append(conn, Entry::new(now, &staffer, "home.profile", "本站设置"))
        })
        .await?;
    Ok(())
}
