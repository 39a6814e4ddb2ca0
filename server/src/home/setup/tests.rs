use super::*;
use crate::home::fixture::{Home, at};

const NOW: &str = "2026-05-10T02:00:00Z";

async fn first(home: &Home, name: &str, session: &str) -> Result<StaffUser, HomeError> {
    let username = Username::parse(name).expect("username");
    let expires = at("2026-05-10T14:00:00Z");
    create_first_admin(
        &home.store,
        at(NOW),
        username,
        "phc".into(),
        session.into(),
        expires,
    )
    .await
}

#[tokio::test]
async fn the_first_account_is_an_administrator_with_a_session() {
    let home = Home::new();
    let user = first(&home, "zhang", "s1").await.expect("created");
    assert_eq!(user.role, StaffRole::Admin);
    let session = home
        .store
        .read(|conn| users::session_user(conn, "s1", at(NOW)))
        .await
        .expect("read");
    assert_eq!(session.map(|u| u.id), Some(user.id));
}

#[tokio::test]
async fn once_an_account_exists_the_link_makes_no_other() {
    let home = Home::new();
    first(&home, "zhang", "s1").await.expect("created");
    let second = first(&home, "li", "s2").await;
    assert!(matches!(second, Err(HomeError::Conflict(_))), "{second:?}");
    let accounts = home.store.read(users::count).await.expect("count");
    assert_eq!(accounts, 1);
}
