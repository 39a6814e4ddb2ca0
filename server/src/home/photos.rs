//! Photos of an activity for the ledger: each kept with a print copy made when it arrives, at
//! most [`MAX_PHOTOS`] an activity.

use jiff::Timestamp;

use super::HomeError;
use crate::domain::ids::{ActivityId, PhotoId};
use crate::domain::{Conflict, Invalid};
use crate::export::photo;
use crate::store::{Store, StoreError, activities, photos};

/// Largest photo kept; phones' photos are 2–4 MB.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// Enough for a lecture's pictures; the ledger prints them all.
pub const MAX_PHOTOS: u32 = 20;

/// Keeps a photo (`content_type` as its first bytes say) for `activity`, with its print copy.
/// A picture that cannot be decoded is refused with what is wrong, and nothing is kept.
pub async fn add(
    store: &Store,
    now: Timestamp,
    activity: ActivityId,
    content_type: &'static str,
    bytes: Vec<u8>,
) -> Result<(), HomeError> {
    // Decoding a phone photo takes a moment: off the async threads.
    let print_copy = tokio::task::spawn_blocking({
        let bytes = bytes.clone();
        move || photo::print_copy(&bytes)
    })
    .await?
    .map_err(|e| Invalid::new("photo", e.to_string()))?;
    store
        .write(move |conn| {
            activities::get(conn, activity)?;
            if photos::count(conn, activity)? >= MAX_PHOTOS {
                return Err(StoreError::Conflict(Conflict(format!(
                    "每场活动最多保存 {MAX_PHOTOS} 张照片"
                ))));
            }
            photos::insert(conn, activity, content_type, &bytes, &print_copy, now)
        })
        .await?;
    Ok(())
}

/// Deletes a photo; answers the activity it belonged to.
pub async fn delete(store: &Store, id: PhotoId) -> Result<ActivityId, HomeError> {
    Ok(store.write(move |conn| photos::delete(conn, id)).await?)
}

#[cfg(test)]
mod tests;
