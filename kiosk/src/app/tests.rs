use std::time::{Duration, Instant};

use embedded_graphics::prelude::{Point, Size};

use super::*;
use crate::client::{ActivityStatus, MemberBrief, PhoneMatch, Presenting};
use crate::screens::keypad::{self, Key};
use crate::screens::{Connection, idle};

fn kiosk() -> Kiosk {
    Kiosk::new(Size::new(800, 480), "益阳高新区科技工作者之家")
}

/// An answer as the server's JSON gives it: the outcome goes through the kiosk's decoding.
fn answer(outcome: &str) -> Reply {
    Reply::Answer(Answer {
        outcome: serde_json::from_value(serde_json::Value::from(outcome)).unwrap(),
        member: Some(MemberBrief {
            id: "m1".into(),
            name: "张三明".into(),
            name_masked: "张*明".into(),
            employer: "某公司".into(),
        }),
        activity: Some(ActivityBrief {
            id: "a1".into(),
            title: "学术沙龙".into(),
        }),
        participants: Some(12),
    })
}

fn posted(effects: &[Effect]) -> Option<(u64, String, Option<String>)> {
    effects.iter().find_map(|e| match e {
        Effect::PostCheckin {
            scan,
            presenting,
            activity_id,
        } => {
            let text = match presenting {
                Presenting::Credential { text, .. } => text.clone(),
                Presenting::Member { id } => format!("member:{id}"),
            };
            Some((*scan, text, activity_id.clone()))
        }
        _ => None,
    })
}

fn shown(effects: &[Effect]) -> Option<&Screen> {
    effects.iter().find_map(|e| match e {
        Effect::Show(screen) => Some(screen),
        _ => None,
    })
}

#[test]
fn a_success_screen_appears_only_after_the_server_answered() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    let effects = kiosk.handle(Event::Scan(Scan::Qr("KJ1ABC".into())), now);
    let (scan, credential, _) = posted(&effects).expect("posts the scan");
    assert_eq!(credential, "KJ1ABC");
    assert!(
        shown(&effects).is_none(),
        "nothing is claimed before the answer"
    );
    let effects = kiosk.handle(
        Event::Answered {
            scan,
            reply: answer("checked_in"),
        },
        now,
    );
    assert_eq!(
        shown(&effects),
        Some(&Screen::CheckedIn {
            name: "张*明".into(),
            employer: "某公司".into(),
            activity: "学术沙龙".into(),
            position: 12
        })
    );
}

#[test]
fn an_undeliverable_scan_ends_on_a_failure_and_the_idle_screen_says_offline() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    let (scan, _, _) =
        posted(&kiosk.handle(Event::Scan(Scan::Card("0A1B2C3D4E".into())), now)).expect("post");
    let effects = kiosk.handle(Event::Undeliverable { scan }, now);
    assert!(matches!(shown(&effects), Some(Screen::Failed { .. })));
    kiosk.handle(
        Event::Tick {
            clock: "20:00".into(),
        },
        now + RESULT_TIME,
    );
    assert!(matches!(
        kiosk.screen(),
        Screen::Idle(IdleView {
            connection: Connection::Offline,
            ..
        })
    ));
}

#[test]
fn a_late_answer_to_an_old_scan_changes_nothing() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    let (scan, _, _) = posted(&kiosk.handle(Event::Scan(Scan::Qr("A".into())), now)).expect("post");
    kiosk.handle(Event::Undeliverable { scan }, now);
    let effects = kiosk.handle(
        Event::Answered {
            scan,
            reply: answer("checked_in"),
        },
        now,
    );
    assert!(effects.is_empty());
    assert!(matches!(kiosk.screen(), Screen::Failed { .. }));
}

#[test]
fn scans_during_a_request_wait_their_turn() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    let (first, _, _) =
        posted(&kiosk.handle(Event::Scan(Scan::Qr("A".into())), now)).expect("post");
    assert!(
        kiosk
            .handle(Event::Scan(Scan::Qr("B".into())), now)
            .is_empty()
    );
    let effects = kiosk.handle(
        Event::Answered {
            scan: first,
            reply: answer("checked_in"),
        },
        now,
    );
    let (second, credential, _) = posted(&effects).expect("the queued scan goes next");
    assert_eq!(credential, "B");
    assert_ne!(second, first);
}

#[test]
fn two_open_activities_ask_and_a_touch_sends_the_choice() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    let (scan, _, _) =
        posted(&kiosk.handle(Event::Scan(Scan::Qr("KJ1X".into())), now)).expect("post");
    let choices = vec![
        ActivityBrief {
            id: "a1".into(),
            title: "甲".into(),
        },
        ActivityBrief {
            id: "a2".into(),
            title: "乙".into(),
        },
    ];
    let effects = kiosk.handle(
        Event::Answered {
            scan,
            reply: Reply::Choose(choices),
        },
        now,
    );
    assert_eq!(
        shown(&effects),
        Some(&Screen::Choose {
            choices: vec!["甲".into(), "乙".into()]
        })
    );
    let second_button = choose::buttons(Size::new(800, 480), 2)[1];
    let effects = kiosk.handle(Event::Touch(second_button.center()), now);
    let (_, credential, activity) = posted(&effects).expect("posts again with the choice");
    assert_eq!(
        (credential.as_str(), activity.as_deref()),
        ("KJ1X", Some("a2"))
    );
    assert!(
        kiosk.handle(Event::Touch(Point::new(1, 1)), now).is_empty(),
        "a touch outside the buttons does nothing"
    );
}

#[test]
fn results_return_to_idle_after_a_few_seconds_or_a_touch() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    let (scan, _, _) = posted(&kiosk.handle(Event::Scan(Scan::Qr("A".into())), now)).expect("post");
    kiosk.handle(
        Event::Answered {
            scan,
            reply: answer("visit"),
        },
        now,
    );
    kiosk.handle(
        Event::Tick { clock: "t".into() },
        now + Duration::from_secs(1),
    );
    assert!(matches!(kiosk.screen(), Screen::Visit { .. }));
    kiosk.handle(Event::Tick { clock: "t".into() }, now + RESULT_TIME);
    assert!(matches!(kiosk.screen(), Screen::Idle(_)));

    let (scan, _, _) = posted(&kiosk.handle(Event::Scan(Scan::Qr("B".into())), now)).expect("post");
    kiosk.handle(
        Event::Answered {
            scan,
            reply: answer("unknown_credential"),
        },
        now,
    );
    assert_eq!(kiosk.screen(), &Screen::Unknown { phone_url: None });
    let effects = kiosk.handle(Event::Touch(Point::new(400, 240)), now);
    assert!(matches!(shown(&effects), Some(Screen::Idle(_))));
}

#[test]
fn an_unknown_outcome_is_never_shown_as_success() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    let (scan, _, _) = posted(&kiosk.handle(Event::Scan(Scan::Qr("A".into())), now)).expect("post");
    kiosk.handle(
        Event::Answered {
            scan,
            reply: answer("checked_in_maybe"),
        },
        now,
    );
    assert!(matches!(kiosk.screen(), Screen::Failed { .. }));
}

#[test]
fn the_idle_screen_shows_the_open_activity_and_its_count() {
    let mut kiosk = kiosk();
    let status = Status {
        home_name: "某某之家".into(),
        now: "2026-11-28T20:00:00+08:00".into(),
        open: vec![ActivityStatus {
            id: "a".into(),
            title: "人工智能沙龙".into(),
            starts_at: "2026-11-28T19:00:00+08:00".into(),
            participants: 7,
        }],
        next: Some(ActivityStatus {
            id: "b".into(),
            title: "科普讲座".into(),
            starts_at: "2026-12-03T14:00:00+08:00".into(),
            participants: 0,
        }),
        phone_url: None,
        notice: None,
    };
    let effects = kiosk.handle(Event::Status(Some(status)), Instant::now());
    let Some(Screen::Idle(view)) = shown(&effects) else {
        panic!("idle redrawn: {effects:?}")
    };
    assert_eq!(view.open, Some(("人工智能沙龙".into(), 7)));
    assert_eq!(view.next, Some(("科普讲座".into(), "12月3日 14:00".into())));
    assert_eq!(view.connection, Connection::Online);
}

fn press(kiosk: &mut Kiosk, key: Key, now: Instant) -> Vec<Effect> {
    let (_, area) = keypad::keys(Size::new(800, 480))
        .into_iter()
        .find(|(k, _)| *k == key)
        .expect("key on the pad");
    kiosk.handle(Event::Touch(area.center()), now)
}

#[test]
fn the_keypad_finds_a_member_by_phone_digits_and_checks_them_in() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    let button = idle::keypad_button(Size::new(800, 480));
    kiosk.handle(Event::Touch(button.center()), now);
    assert_eq!(
        kiosk.screen(),
        &Screen::Keypad {
            digits: String::new()
        }
    );
    for d in [8, 0, 0, 1] {
        press(&mut kiosk, Key::Digit(d), now);
    }
    press(&mut kiosk, Key::Digit(9), now);
    press(&mut kiosk, Key::Delete, now);
    assert_eq!(
        kiosk.screen(),
        &Screen::Keypad {
            digits: "8001".into()
        }
    );
    let effects = press(&mut kiosk, Key::Search, now);
    let Some(Effect::FindMembers {
        lookup,
        phone_suffix,
    }) = effects.first().cloned()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(phone_suffix, "8001");
    let found = vec![PhoneMatch {
        id: "m7".into(),
        name_masked: "张*明".into(),
        employer: "某公司".into(),
        phone_masked: "138****8001".into(),
    }];
    let effects = kiosk.handle(
        Event::Found {
            lookup,
            matches: Some(found),
        },
        now,
    );
    assert_eq!(
        shown(&effects),
        Some(&Screen::Matches {
            choices: vec!["张*明 · 138****8001".into()]
        })
    );
    let first = choose::buttons(Size::new(800, 480), 1)[0];
    let effects = kiosk.handle(Event::Touch(first.center()), now);
    assert_eq!(posted(&effects).map(|p| p.1), Some("member:m7".to_owned()));
}

#[test]
fn the_keypad_needs_four_digits_and_says_when_nobody_matches() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    kiosk.handle(
        Event::Touch(idle::keypad_button(Size::new(800, 480)).center()),
        now,
    );
    for d in [1, 2, 3] {
        press(&mut kiosk, Key::Digit(d), now);
    }
    assert!(
        press(&mut kiosk, Key::Search, now)
            .iter()
            .all(|e| !matches!(e, Effect::FindMembers { .. }))
    );
    press(&mut kiosk, Key::Digit(4), now);
    let effects = press(&mut kiosk, Key::Search, now);
    let Some(Effect::FindMembers { lookup, .. }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    kiosk.handle(
        Event::Found {
            lookup,
            matches: Some(Vec::new()),
        },
        now,
    );
    assert_eq!(
        kiosk.screen(),
        &Screen::Failed {
            message: NO_MATCH.to_owned()
        }
    );
    assert!(
        NO_MATCH.contains("请核对") && NO_MATCH.contains("工作人员"),
        "it says what to do next: {NO_MATCH}"
    );
    press(&mut kiosk, Key::Cancel, now);
}

#[test]
fn the_back_button_leaves_both_choose_screens_without_checking_in() {
    let size = Size::new(800, 480);
    let now = Instant::now();
    // Which activity: two are open.
    let mut kiosk = kiosk();
    let (scan, _, _) =
        posted(&kiosk.handle(Event::Scan(Scan::Qr("KJ1X".into())), now)).expect("post");
    let brief = |id: &str| ActivityBrief {
        id: id.into(),
        title: "沙龙".into(),
    };
    kiosk.handle(
        Event::Answered {
            scan,
            reply: Reply::Choose(vec![brief("a1"), brief("a2")]),
        },
        now,
    );
    assert!(matches!(kiosk.screen(), Screen::Choose { .. }));
    let effects = kiosk.handle(Event::Touch(choose::back_button(size).center()), now);
    assert!(posted(&effects).is_none(), "{effects:?}");
    assert!(matches!(kiosk.screen(), Screen::Idle(_)));
    // Which member: the keypad found two.
    kiosk.handle(Event::Touch(idle::keypad_button(size).center()), now);
    for d in [8, 0, 0, 1] {
        press(&mut kiosk, Key::Digit(d), now);
    }
    let Some(Effect::FindMembers { lookup, .. }) =
        press(&mut kiosk, Key::Search, now).first().cloned()
    else {
        panic!("a search")
    };
    let found = |id: &str| PhoneMatch {
        id: id.into(),
        name_masked: "张*明".into(),
        employer: "某公司".into(),
        phone_masked: "138****8001".into(),
    };
    kiosk.handle(
        Event::Found {
            lookup,
            matches: Some(vec![found("m1"), found("m2")]),
        },
        now,
    );
    assert!(matches!(kiosk.screen(), Screen::Matches { .. }));
    let effects = kiosk.handle(Event::Touch(choose::back_button(size).center()), now);
    assert!(posted(&effects).is_none(), "{effects:?}");
    assert!(matches!(kiosk.screen(), Screen::Idle(_)));
}

fn idle_connection(kiosk: &Kiosk) -> Connection {
    match kiosk.screen() {
        Screen::Idle(view) => view.connection,
        other => panic!("not idle: {other:?}"),
    }
}

#[test]
fn at_start_a_moment_without_the_server_is_connecting_not_offline() {
    let mut kiosk = kiosk();
    let start = Instant::now();
    assert_eq!(idle_connection(&kiosk), Connection::Connecting);
    // The server is still starting: the first requests fail, within the grace.
    kiosk.handle(Event::Status(None), start);
    kiosk.handle(Event::Status(None), start + CONNECT_GRACE / 2);
    assert_eq!(idle_connection(&kiosk), Connection::Connecting);
    // Then it answers: online, no red band was ever drawn.
    kiosk.handle(
        Event::Status(Some(status_with_phone(None))),
        start + CONNECT_GRACE - Duration::from_millis(1),
    );
    assert_eq!(idle_connection(&kiosk), Connection::Online);
    // Once it has answered, one failure is offline at once.
    kiosk.handle(Event::Status(None), start + CONNECT_GRACE * 2);
    assert_eq!(idle_connection(&kiosk), Connection::Offline);

    // A server that never comes up is offline once the failures span the grace.
    let mut kiosk = self::kiosk();
    kiosk.handle(Event::Status(None), start);
    kiosk.handle(Event::Status(None), start + CONNECT_GRACE);
    assert_eq!(idle_connection(&kiosk), Connection::Offline);
}

fn status_with_phone(url: Option<&str>) -> Status {
    Status {
        home_name: "某某之家".into(),
        now: "2026-11-28T20:00:00+08:00".into(),
        open: Vec::new(),
        next: None,
        phone_url: url.map(str::to_owned),
        notice: None,
    }
}

const URL_A: &str = "http://192.168.1.20:8080/m/checkin?code=6a1b2c3.0f1e2d3c4b5a";
const URL_B: &str = "http://192.168.1.20:8080/m/checkin?code=6a1b2c4.99aa88bb77cc";

fn idle_url(screen: Option<&Screen>) -> Option<Option<String>> {
    match screen {
        Some(Screen::Idle(view)) => Some(view.phone_url.clone()),
        _ => None,
    }
}

#[test]
fn the_idle_screen_carries_the_phone_url_and_redraws_only_when_it_changes() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    let effects = kiosk.handle(Event::Status(Some(status_with_phone(Some(URL_A)))), now);
    assert_eq!(idle_url(shown(&effects)), Some(Some(URL_A.into())));
    let effects = kiosk.handle(Event::Status(Some(status_with_phone(Some(URL_A)))), now);
    assert_eq!(shown(&effects), None, "the same code: nothing to redraw");
    let effects = kiosk.handle(Event::Status(Some(status_with_phone(Some(URL_B)))), now);
    assert_eq!(idle_url(shown(&effects)), Some(Some(URL_B.into())));
    let effects = kiosk.handle(Event::Status(Some(status_with_phone(None))), now);
    assert_eq!(
        idle_url(shown(&effects)),
        Some(None),
        "a server without phone pages: no QR code"
    );
}

#[test]
fn offline_the_idle_screen_drops_the_stale_phone_code() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    kiosk.handle(Event::Status(Some(status_with_phone(Some(URL_A)))), now);
    let effects = kiosk.handle(Event::Status(None), now);
    let Some(Screen::Idle(view)) = shown(&effects) else {
        panic!("idle redrawn: {effects:?}")
    };
    assert_eq!(view.connection, Connection::Offline);
    assert_eq!(view.phone_url, None);
}

fn scan_unknown(kiosk: &mut Kiosk, now: Instant) {
    let (scan, _, _) =
        posted(&kiosk.handle(Event::Scan(Scan::Card("0A1B2C3D4E".into())), now)).expect("post");
    kiosk.handle(
        Event::Answered {
            scan,
            reply: answer("unknown_credential"),
        },
        now,
    );
}

#[test]
fn an_unknown_card_offers_the_phone_registration_code_long_enough_to_scan_it() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    kiosk.handle(Event::Status(Some(status_with_phone(Some(URL_A)))), now);
    scan_unknown(&mut kiosk, now);
    assert_eq!(
        kiosk.screen(),
        &Screen::Unknown {
            phone_url: Some(URL_A.into())
        }
    );
    // The code rotates while the screen waits: the screen follows.
    let effects = kiosk.handle(Event::Status(Some(status_with_phone(Some(URL_B)))), now);
    assert_eq!(
        shown(&effects),
        Some(&Screen::Unknown {
            phone_url: Some(URL_B.into())
        })
    );
    kiosk.handle(Event::Tick { clock: "t".into() }, now + RESULT_TIME);
    assert!(matches!(kiosk.screen(), Screen::Unknown { .. }));
    kiosk.handle(Event::Tick { clock: "t".into() }, now + REGISTER_TIME);
    assert!(matches!(kiosk.screen(), Screen::Idle(_)));
}

#[test]
fn without_a_phone_url_an_unknown_card_shows_no_code_and_the_usual_time() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    kiosk.handle(Event::Status(Some(status_with_phone(None))), now);
    scan_unknown(&mut kiosk, now);
    assert_eq!(kiosk.screen(), &Screen::Unknown { phone_url: None });
    kiosk.handle(Event::Tick { clock: "t".into() }, now + RESULT_TIME);
    assert!(matches!(kiosk.screen(), Screen::Idle(_)));
}

fn notice(title: &str, body: &str) -> crate::client::Notice {
    crate::client::Notice {
        title: title.into(),
        body: body.into(),
        published_at: "2026-11-20T09:00:00+08:00".into(),
    }
}

fn status_with_notice(notice: Option<crate::client::Notice>) -> Status {
    Status {
        notice,
        ..status_with_phone(Some(URL_A))
    }
}

fn idle_notice(screen: Option<&Screen>) -> Option<Option<NoticeView>> {
    match screen {
        Some(Screen::Idle(view)) => Some(view.notice.clone()),
        _ => None,
    }
}

#[test]
fn the_newest_notice_reaches_the_idle_screen_and_a_change_redraws_it() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    let first = notice(
        "关于开展\u{7}科技活动周\u{202e}的通知",
        "请各单位\r\n\t  做好准备。\u{200b}",
    );
    let effects = kiosk.handle(
        Event::Status(Some(status_with_notice(Some(first.clone())))),
        now,
    );
    assert_eq!(
        idle_notice(shown(&effects)),
        Some(Some(NoticeView {
            title: "关于开展科技活动周的通知".into(),
            body: "请各单位 做好准备。".into(),
            published: "11月20日".into(),
        })),
        "control and invisible characters dropped, whitespace folded: {effects:?}"
    );
    let effects = kiosk.handle(
        Event::Status(Some(status_with_notice(Some(first.clone())))),
        now,
    );
    assert!(
        effects.is_empty(),
        "the same notice asks for no drawing: {effects:?}"
    );

    let second = notice("关于开展科技活动周的通知", "活动时间改为 5 月 20 日。");
    let effects = kiosk.handle(
        Event::Status(Some(status_with_notice(Some(second.clone())))),
        now,
    );
    assert_eq!(
        idle_notice(shown(&effects)).flatten().map(|n| n.body),
        Some("活动时间改为 5 月 20 日。".into()),
        "a new body alone redraws"
    );

    let effects = kiosk.handle(Event::Status(Some(status_with_notice(None))), now);
    assert_eq!(idle_notice(shown(&effects)), Some(None), "withdrawn: gone");
}

#[test]
fn offline_the_last_notice_stays_on_the_idle_screen() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    let shown_notice = notice("关于开展科技活动周的通知", "请各单位做好准备。");
    kiosk.handle(
        Event::Status(Some(status_with_notice(Some(shown_notice)))),
        now,
    );
    let Screen::Idle(online) = kiosk.screen().clone() else {
        panic!("idle")
    };
    let effects = kiosk.handle(Event::Status(None), now);
    let Some(Screen::Idle(offline)) = shown(&effects) else {
        panic!("idle redrawn: {effects:?}")
    };
    assert_eq!(offline.connection, Connection::Offline);
    assert_eq!(offline.notice, online.notice);
    assert!(offline.notice.is_some());
    // A failed scan on the way does not lose it either.
    let (scan, _, _) =
        posted(&kiosk.handle(Event::Scan(Scan::Card("0A1B2C3D4E".into())), now)).expect("post");
    kiosk.handle(Event::Undeliverable { scan }, now);
    kiosk.handle(Event::Tick { clock: "t".into() }, now + RESULT_TIME);
    let Screen::Idle(back) = kiosk.screen() else {
        panic!("idle again")
    };
    assert_eq!(back.notice, online.notice);
    assert!(
        kiosk
            .handle(Event::Status(None), now + RESULT_TIME)
            .is_empty(),
        "still away, same notice: nothing to redraw"
    );
}

#[test]
fn a_notice_from_afar_is_cleaned_and_cut_before_the_screen_sees_it() {
    let mut kiosk = kiosk();
    let now = Instant::now();
    let blank = notice("\u{202e}\u{200b} \n\t", "\u{0}\u{1b}\u{7f}\u{feff}");
    kiosk.handle(Event::Status(Some(status_with_notice(Some(blank)))), now);
    assert_eq!(
        idle_notice(Some(kiosk.screen())),
        Some(None),
        "nothing printable"
    );

    let mut huge = notice(
        &"超长标题".repeat(10_000),
        &"Pneumonoultramicroscopic".repeat(10_000),
    );
    huge.published_at = "not a date".into();
    kiosk.handle(Event::Status(Some(status_with_notice(Some(huge)))), now);
    let Some(Some(view)) = idle_notice(Some(kiosk.screen())) else {
        panic!("a notice")
    };
    assert_eq!(view.title.chars().count(), NOTICE_TITLE_CHARS + 1);
    assert!(view.title.ends_with('…'));
    assert_eq!(view.body.chars().count(), NOTICE_BODY_CHARS + 1);
    assert_eq!(view.published, "");

    let body_only = notice("", "只有正文");
    kiosk.handle(
        Event::Status(Some(status_with_notice(Some(body_only)))),
        now,
    );
    assert_eq!(
        idle_notice(Some(kiosk.screen())).flatten().map(|n| n.body),
        Some("只有正文".into())
    );
}
