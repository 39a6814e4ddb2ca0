use super::*;
use crate::home::fixture::{Home, at};

const NOW: &str = "2026-05-10T02:00:00Z";

/// A real 64×48 PNG.
fn small_png() -> Vec<u8> {
    let mut out = Vec::new();
    image::RgbImage::from_pixel(64, 48, image::Rgb([20, 120, 200]))
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

async fn kept(home: &Home, activity: ActivityId) -> u32 {
    home.store
        .read(move |conn| photos::count(conn, activity))
        .await
        .expect("count")
}

#[tokio::test]
async fn a_photo_is_kept_up_to_the_limit_and_no_further() {
    let home = Home::new();
    let activity = home.activity().await.id;
    for _ in 0..MAX_PHOTOS {
        add(&home.store, at(NOW), activity, "image/png", small_png())
            .await
            .expect("kept");
    }
    let over = add(&home.store, at(NOW), activity, "image/png", small_png()).await;
    assert!(matches!(over, Err(HomeError::Conflict(_))), "{over:?}");
    assert_eq!(kept(&home, activity).await, MAX_PHOTOS);
}

#[tokio::test]
async fn a_picture_that_cannot_be_decoded_is_refused_and_nothing_kept() {
    let home = Home::new();
    let activity = home.activity().await.id;
    let mut broken = small_png();
    broken.truncate(40);
    let refused = add(&home.store, at(NOW), activity, "image/png", broken).await;
    assert!(matches!(refused, Err(HomeError::Invalid(_))), "{refused:?}");
    assert_eq!(kept(&home, activity).await, 0);
}

#[tokio::test]
async fn a_photo_for_no_activity_is_not_found() {
    let home = Home::new();
    let missing = ActivityId::new();
    let refused = add(&home.store, at(NOW), missing, "image/png", small_png()).await;
    assert!(matches!(refused, Err(HomeError::NotFound)), "{refused:?}");
}
