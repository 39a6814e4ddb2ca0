//! Photos of an activity for the ledger: upload (JPEG or PNG, checked by their first bytes, not
//! by what the browser claims), show, delete.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::detail::activity_id;
use crate::domain::Invalid;
use crate::domain::ids::PhotoId;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::pages::csrf::{self, CsrfForm};
use crate::http::pages::render::{self, PageError, StaffPage};
use crate::store::photos;

/// Largest photo accepted; phones' photos are 2–4 MB.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// The upload route's body limit: one photo and the form around it.
pub const UPLOAD_LIMIT: usize = MAX_PHOTO_BYTES + 64 * 1024;
const MAX_PHOTOS: u32 = 20;

pub async fn upload(
    State(state): State<AppState>,
    _staff: StaffPage,
    Path(id): Path<String>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let id = activity_id(&id)?;
    let mut csrf_sent: Option<String> = None;
    let mut photo: Option<Vec<u8>> = None;
    while let Some(field) = form.next_field().await.map_err(too_large_or_bad)? {
        match field.name() {
            Some("csrf") => csrf_sent = Some(field.text().await.map_err(too_large_or_bad)?),
            Some("photo") => {
                // Checked before the bytes are kept: a forged form never stores anything.
                csrf::check(csrf::cookie_token(&headers), csrf_sent.as_deref())?;
                photo = Some(field.bytes().await.map_err(too_large_or_bad)?.to_vec());
            }
            _ => {}
        }
    }
    csrf::check(csrf::cookie_token(&headers), csrf_sent.as_deref())?;
    let bytes = photo
        .filter(|b| !b.is_empty())
        .ok_or_else(|| Invalid::new("photo", "请选择一张照片"))?;
    let content_type = sniff(&bytes)?;
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(photo_too_large().into());
    }
    // Decoding a phone photo takes a moment: off the async threads.
    let print_copy = tokio::task::spawn_blocking({
        let bytes = bytes.clone();
        move || crate::export::photo::print_copy(&bytes)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| Invalid::new("photo", e.to_string()))?;
    let now = state.clock.now();
    state
        .store
        .write(move |conn| {
            crate::store::activities::get(conn, id)?;
            if photos::count(conn, id)? >= MAX_PHOTOS {
                return Err(crate::domain::Conflict(format!(
                    "每场活动最多保存 {MAX_PHOTOS} 张照片"
                ))
                .into());
            }
            photos::insert(conn, id, content_type, &bytes, &print_copy, now)
        })
        .await?;
    Ok(render::see_other(&format!(
        "/admin/activities/{id}?done=photo"
    )))
}

/// JPEG or PNG by their signatures; anything else is refused.
fn sniff(bytes: &[u8]) -> Result<&'static str, Invalid> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else {
        Err(Invalid::new("photo", "只能上传 JPEG 或 PNG 格式的照片"))
    }
}

fn too_large_or_bad(error: axum::extract::multipart::MultipartError) -> PageError {
    if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        photo_too_large().into()
    } else {
        ApiError::BadRequest("照片未能完整上传，请重试".into()).into()
    }
}

fn photo_too_large() -> ApiError {
    ApiError::PayloadTooLarge {
        what: "照片",
        limit: MAX_PHOTO_BYTES,
    }
}

pub async fn show(
    State(state): State<AppState>,
    _staff: StaffPage,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: PhotoId = id.parse().map_err(|_| ApiError::NotFound)?;
    let (content_type, bytes) = state.store.read(move |conn| photos::get(conn, id)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// The photo's print copy (about 1200 px, a tenth of a phone's original): what the printable
/// ledger shows, so that a year's pages do not pull every original.
pub async fn show_print(
    State(state): State<AppState>,
    _staff: StaffPage,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: PhotoId = id.parse().map_err(|_| ApiError::NotFound)?;
    let bytes = state
        .store
        .read(move |conn| photos::print_bytes(conn, id))
        .await?;
    // Print copies are JPEG; a photo stored before they were made is its original.
    let content_type = sniff(&bytes).unwrap_or("image/jpeg");
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

pub async fn delete(
    State(state): State<AppState>,
    _staff: StaffPage,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let id: PhotoId = id.parse().map_err(|_| ApiError::NotFound)?;
    let activity = state
        .store
        .write(move |conn| photos::delete(conn, id))
        .await?;
    Ok(render::see_other(&format!(
        "/admin/activities/{activity}?done=photo_deleted"
    )))
}
