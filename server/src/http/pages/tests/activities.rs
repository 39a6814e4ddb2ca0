use axum::http::StatusCode;

use super::Site;
use crate::domain::ids::ActivityId;
use crate::store::{activities, audit};

const HOSTILE: &str = "<img src=x onerror=alert(1)>";
/// 10:00 on 12 May 2026 in Shanghai.
const NOW: &str = "2026-05-12T02:00:00Z";

/// Creates an activity through the form (times in the home's zone) and returns its id.
async fn create(site: &Site, title: &str, starts: &str, ends: &str) -> ActivityId {
    let answer = site
        .post(
            "/admin/activities",
            &[
                ("title", title),
                ("category", "academic_exchange"),
                ("starts_at", starts),
                ("ends_at", ends),
                ("location", "二楼报告厅"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    answer
        .location()
        .and_then(|l| l.strip_prefix("/admin/activities/"))
        .expect("detail page")
        .parse()
        .expect("id")
}

async fn register(site: &Site, name: &str, phone: &str) {
    let answer = site
        .post(
            "/admin/members",
            &[
                ("name", name),
                ("phone", phone),
                ("employer", "某公司"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}

fn member_ids(body: &str) -> Vec<String> {
    body.split(r#"name="member_id" value=""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

fn checkin_ids(body: &str, activity: ActivityId) -> Vec<String> {
    let prefix = format!("/admin/activities/{activity}/checkins/");
    body.split(&prefix)
        .skip(1)
        .filter_map(|rest| rest.split('/').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_form_activity_is_read_in_the_homes_time_zone_and_listed() {
    let site = Site::new(NOW).await;
    let id = create(
        &site,
        "人工智能沙龙",
        "2026-05-12T09:30",
        "2026-05-12T11:30",
    )
    .await;
    let stored = site
        .state()
        .store
        .read(move |conn| activities::get(conn, id))
        .await
        .unwrap();
    assert_eq!(
        stored.schedule.starts_at().to_string(),
        "2026-05-12T01:30:00Z"
    );
    let list = site.get("/admin/activities?year=2026").await;
    assert!(list.body.contains("人工智能沙龙") && list.body.contains("签到中"));
    let edit = site.get(&format!("/admin/activities/{id}/edit")).await;
    assert!(
        edit.body.contains(r#"value="2026-05-12T09:30""#),
        "{}",
        edit.body
    );
}

#[tokio::test]
async fn a_bad_form_comes_back_with_the_message_and_the_values() {
    let site = Site::new(NOW).await;
    let answer = site
        .post(
            "/admin/activities",
            &[
                ("title", "没有时间的活动"),
                ("category", "academic_exchange"),
                ("starts_at", ""),
                ("ends_at", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body.contains("请填写开始时间"), "{}", answer.body);
    assert!(answer.body.contains(r#"value="没有时间的活动""#));
    let backwards = site
        .post(
            "/admin/activities",
            &[
                ("title", "倒着的活动"),
                ("category", "academic_exchange"),
                ("starts_at", "2026-05-12T11:30"),
                ("ends_at", "2026-05-12T09:30"),
            ],
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    let none = site.get("/admin/activities?year=2026").await;
    assert!(!none.body.contains("倒着的活动"));
}

#[tokio::test]
async fn manual_check_in_and_undo_with_a_reason_are_counted_and_audited() {
    let site = Site::new(NOW).await;
    let id = create(
        &site,
        "人工智能沙龙",
        "2026-05-12T09:30",
        "2026-05-12T11:30",
    )
    .await;
    register(&site, HOSTILE, "13900000001").await;
    let found = site
        .get(&format!("/admin/activities/{id}?q=13900000001"))
        .await;
    let members = member_ids(&found.body);
    assert_eq!(members.len(), 1, "{}", found.body);
    let done = site
        .post(
            &format!("/admin/activities/{id}/checkins"),
            &[("member_id", &members[0])],
        )
        .await;
    assert_eq!(
        done.location(),
        Some(format!("/admin/activities/{id}?done=checked_in").as_str())
    );
    let page = site.get(&format!("/admin/activities/{id}")).await;
    assert!(
        page.body.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "escaped"
    );
    assert!(!page.body.contains("<img src=x"), "never raw");
    let sheet = site
        .get(&format!("/admin/activities/{id}/sign-in-sheet"))
        .await;
    assert!(
        sheet.body.contains("&#60;img src=x onerror=alert(1)&#62;")
            && !sheet.body.contains("<img src=x")
    );
    assert!(
        sheet.body.contains("（补录）"),
        "a check-in by hand says so"
    );
    let checkins = checkin_ids(&page.body, id);
    assert_eq!(checkins.len(), 1);
    let undo = format!("/admin/activities/{id}/checkins/{}/undo", checkins[0]);
    let refused = site.post(&undo, &[("reason", "  ")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let undone = site.post(&undo, &[("reason", "选错了会员")]).await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER);
    let after = site
        .state()
        .store
        .read(move |conn| activities::get(conn, id))
        .await
        .unwrap();
    assert_eq!(after.participants, 0);
    let log = site
        .state()
        .store
        .read(|conn| audit::recent(conn, 20))
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"checkin.manual") && actions.contains(&"checkin.undo"),
        "{actions:?}"
    );
    assert!(
        log.iter()
            .any(|e| e.reason.as_deref() == Some("选错了会员"))
    );
}

#[tokio::test]
async fn actions_change_the_schedule_and_forms_need_the_csrf_token() {
    let site = Site::new(NOW).await;
    let id = create(
        &site,
        "人工智能沙龙",
        "2026-05-13T09:30",
        "2026-05-13T11:30",
    )
    .await;
    let forged = site
        .post_without_csrf(&format!("/admin/activities/{id}/open"), &[])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        site.post(&format!("/admin/activities/{id}/open"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(
        site.get(&format!("/admin/activities/{id}"))
            .await
            .body
            .contains("签到中")
    );
    assert_eq!(
        site.post(&format!("/admin/activities/{id}/filing"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        site.post(&format!("/admin/activities/{id}/cancel"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = site.get(&format!("/admin/activities/{id}")).await;
    assert!(
        page.body.contains("已取消") && page.body.contains("已报备"),
        "{}",
        page.body
    );
    let again = site
        .post(&format!("/admin/activities/{id}/cancel"), &[])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let summary = site
        .post(
            &format!("/admin/activities/{id}/summary"),
            &[("summary", "到场 12 人，反响良好")],
        )
        .await;
    assert_eq!(summary.status, StatusCode::SEE_OTHER);
    assert!(
        site.get(&format!("/admin/activities/{id}"))
            .await
            .body
            .contains("到场 12 人，反响良好")
    );
    assert_eq!(
        site.get("/admin/activities/not-an-id").await.status,
        StatusCode::NOT_FOUND
    );
}

/// A multipart body with the CSRF field (unless `None`) and one file.
fn multipart(csrf: Option<&str>, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "kejia-test-boundary";
    let mut body = Vec::new();
    if let Some(token) = csrf {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(site: &Site, id: ActivityId, csrf: Option<&str>, file: &[u8]) -> super::Answer {
    let (content_type, body) = multipart(csrf, file);
    let request = axum::http::Request::post(format!("/admin/activities/{id}/photos"))
        .header("content-type", content_type);
    site.send(request, true, axum::body::Body::from(body)).await
}

/// A real 64×48 PNG.
fn small_png() -> Vec<u8> {
    let mut out = Vec::new();
    image::RgbImage::from_pixel(64, 48, image::Rgb([20, 120, 200]))
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

#[tokio::test]
async fn photos_are_uploaded_shown_and_checked() {
    let site = Site::new(NOW).await;
    let id = create(
        &site,
        "人工智能沙龙",
        "2026-05-12T09:30",
        "2026-05-12T11:30",
    )
    .await;
    let png = &small_png();
    let forged = upload(&site, id, None, png).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let text = upload(&site, id, Some(super::CSRF), b"<script>alert(1)</script>").await;
    assert_eq!(text.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.body.contains("只能上传 JPEG 或 PNG"), "{}", text.body);
    // A PNG's signature on bytes no decoder reads: refused in words, nothing stored.
    let broken = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-not-a-whole-image";
    let refused = upload(&site, id, Some(super::CSRF), broken).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("照片无法读取"), "{}", refused.body);
    assert!(
        !site
            .get(&format!("/admin/activities/{id}"))
            .await
            .body
            .contains("/admin/photos/")
    );
    let done = upload(&site, id, Some(super::CSRF), png).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = site.get(&format!("/admin/activities/{id}")).await;
    let photo = page
        .body
        .split("/admin/photos/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a photo on the page")
        .to_owned();
    let served = site.get(&format!("/admin/photos/{photo}")).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.headers["content-type"], "image/png");
    assert!(
        served.body.contains("IHDR") && served.body.contains("IEND"),
        "the original, whole"
    );
    assert_eq!(
        site.get_anonymous(&format!("/admin/photos/{photo}"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let deleted = site
        .post(&format!("/admin/photos/{photo}/delete"), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        site.get(&format!("/admin/photos/{photo}")).await.status,
        StatusCode::NOT_FOUND
    );
}

/// A photo over its limit, and a body over the upload limit, say the photo's own limit (5 MiB),
/// not the forms' 64 KiB; both on the staff error page.
#[tokio::test]
async fn a_photo_over_5_mib_is_refused_naming_its_limit() {
    let site = Site::new(NOW).await;
    let id = create(
        &site,
        "人工智能沙龙",
        "2026-05-12T09:30",
        "2026-05-12T11:30",
    )
    .await;
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for size in [5_300_000, 7_000_000] {
        png.resize(size, 0);
        let refused = upload(&site, id, Some(super::CSRF), &png).await;
        assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE, "{size}");
        assert!(
            refused.body.contains("照片过大（上限 5 MiB）"),
            "{size}: {}",
            refused.body
        );
        assert!(!refused.body.contains("64 KiB"));
        assert!(
            refused.headers["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("text/html")
        );
    }
}
