//! The dashboard's line about the nightly backups, with the clock fixed.

use jiff::SignedDuration;

use super::Site;

#[tokio::test]
async fn the_dashboard_shows_the_newest_backup_and_warns_when_it_is_old_or_failed() {
    // 10:00 in Shanghai.
    let site = Site::new("2026-11-22T02:00:00Z").await;
    let none = site.get("/admin").await;
    assert!(none.body.contains("尚无自动备份"));
    assert!(none.body.contains("还没有数据备份"));

    let backups = &site.state().backups;
    backups.succeeded(site.now() - SignedDuration::from_hours(1));
    let fresh = site.get("/admin").await;
    assert!(fresh.body.contains("最近一次备份：2026年11月22日 09:00"));
    assert!(!fresh.body.contains("还没有数据备份"));
    assert!(!fresh.body.contains("超过两天") && !fresh.body.contains("备份失败"));

    backups.succeeded(site.now() - SignedDuration::from_hours(49));
    let old = site.get("/admin").await;
    assert!(
        old.body
            .contains("已超过两天没有新的数据备份（最近一次：2026年11月20日 09:00）")
    );

    backups.failed(site.now(), "cannot write /x: disk full".into());
    let failed = site.get("/admin").await;
    assert!(
        failed
            .body
            .contains("最近一次自动备份失败（2026年11月22日 10:00）")
    );
    assert!(
        !failed.body.contains("disk full"),
        "the English reason is for the log"
    );
}
