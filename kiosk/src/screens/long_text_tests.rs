//! The longest real titles, names, counts and messages on every screen that shows them: they
//! wrap to two lines (the second ending with "…" when even that is not enough) and stay inside
//! their boxes at every panel size. The samples here are also reference pictures (`tests.rs`).

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

use super::tests::{PHONE_URL, SIZES, draw_new};
use super::*;
use crate::app::NO_MATCH;
use crate::ui::{column, text, theme};

/// A real activity title from the association's calendar, as long as they come.
pub const LONG_TITLE: &str =
    "益阳高新区科技工作者之家2026年度人工智能与智能制造产业创新发展专题学术交流报告会（第三期）";
/// A long name as a server might send it (the home masks names; a kiosk must cope anyway).
const LONG_NAME: &str = "欧阳娜娜·买买提艾力";
/// The same name as the home masks it.
const LONG_NAME_MASKED: &str = "欧********力";
const LONG_HOME: &str = "湖南省益阳市高新技术产业开发区科技工作者之家";
const LONG_EMPLOYER: &str = "湖南益阳高新技术产业开发区先进储能材料国家工程研究中心有限公司";
/// A server's reason in two long sentences: what happened, what to do.
const LONG_REASON: &str = "存储空间已满，本次签到未能保存到服务器的数据库中。\
                           请工作人员清理服务器的存储空间后重新启动签到服务，再请您重新扫码或刷卡";

pub fn long_samples() -> Vec<(&'static str, Screen)> {
    vec![
        (
            "idle-long",
            Screen::Idle(IdleView {
                home_name: LONG_HOME.into(),
                clock: "11月28日 星期六 20:45".into(),
                open: Some((LONG_TITLE.into(), 1234)),
                more_open: 2,
                next: Some((LONG_TITLE.into(), "12月3日 14:00".into())),
                connection: Connection::Online,
                phone_url: Some(PHONE_URL.into()),
                notice: None,
            }),
        ),
        (
            "idle-connecting",
            Screen::Idle(IdleView {
                home_name: "科技工作者之家".into(),
                clock: "11月28日 星期六 20:45".into(),
                ..IdleView::default()
            }),
        ),
        (
            "checked-in-long",
            Screen::CheckedIn {
                name: LONG_NAME.into(),
                employer: LONG_EMPLOYER.into(),
                activity: LONG_TITLE.into(),
                position: 1234,
            },
        ),
        (
            "already-long",
            Screen::AlreadyCheckedIn {
                name: LONG_NAME_MASKED.into(),
                activity: LONG_TITLE.into(),
            },
        ),
        (
            "not-open-long",
            Screen::NotOpen {
                activity: Some(LONG_TITLE.into()),
            },
        ),
        (
            "failed-long",
            Screen::Failed {
                message: LONG_REASON.into(),
            },
        ),
        (
            "failed-no-match",
            Screen::Failed {
                message: NO_MATCH.into(),
            },
        ),
        (
            "choose-long",
            Screen::Choose {
                choices: vec![LONG_TITLE.into(), "青年科技人才职称申报讲座".into()],
            },
        ),
        (
            "matches-long",
            Screen::Matches {
                choices: vec![
                    format!("{LONG_NAME_MASKED} · 138****8001"),
                    format!("{LONG_NAME} · 139****8001"),
                    "张*明 · 137****8001".into(),
                    "李*光 · 136****8001".into(),
                ],
            },
        ),
        (
            "keypad-empty",
            Screen::Keypad {
                digits: String::new(),
            },
        ),
    ]
}

fn sample(name: &str) -> Screen {
    long_samples()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, screen)| screen)
        .unwrap_or_else(|| panic!("no sample {name}"))
}

/// Points of `area` whose colour is not `colour`.
fn stray(frame: &Frame, area: Rectangle, colour: Rgb565) -> Vec<Point> {
    area.points()
        .filter(|p| frame.pixel(*p) != Some(colour))
        .collect()
}

fn assert_plain(frame: &Frame, area: Rectangle, colour: Rgb565, what: &str) {
    let found = stray(frame, area, colour);
    assert!(
        found.is_empty(),
        "{what}: {} pixels drawn in {area:?}, e.g. {:?}",
        found.len(),
        &found[..found.len().min(3)]
    );
}

/// `outer` less `inner`: the four strips around it (`inner` lies inside `outer`).
fn around(outer: Rectangle, inner: Rectangle) -> [Rectangle; 4] {
    let (ol, ot) = (outer.top_left.x, outer.top_left.y);
    let (or, ob) = (ol + outer.size.width as i32, ot + outer.size.height as i32);
    let (il, it) = (inner.top_left.x.max(ol), inner.top_left.y.max(ot));
    let (ir, ib) = (
        (il + inner.size.width as i32).min(or),
        (it + inner.size.height as i32).min(ob),
    );
    let rect = |l: i32, t: i32, r: i32, b: i32| {
        Rectangle::new(
            Point::new(l, t),
            Size::new((r - l).max(0) as u32, (b - t).max(0) as u32),
        )
    };
    [
        rect(ol, ot, or, it),
        rect(ol, ib, or, ob),
        rect(ol, it, il, ib),
        rect(ir, it, or, ib),
    ]
}

/// Rows `top..bottom` of `frame` that carry any pixel other than `colour` in `area`.
fn inked_rows(frame: &Frame, area: Rectangle, colour: Rgb565) -> usize {
    (0..area.size.height as i32)
        .filter(|dy| {
            (0..area.size.width as i32)
                .any(|dx| frame.pixel(area.top_left + Point::new(dx, *dy)) != Some(colour))
        })
        .count()
}

#[test]
fn outcome_screens_keep_long_names_titles_and_reasons_inside_their_margins() {
    for name in [
        "checked-in-long",
        "already-long",
        "not-open-long",
        "failed-long",
        "failed-no-match",
    ] {
        for (w, h) in SIZES {
            let size = Size::new(w, h);
            let frame = draw_new(&sample(name), size);
            let colour = frame.pixel(Point::new(1, 1)).expect("a pixel");
            let area = card::text_area(size, false);
            for strip in around(Rectangle::new(Point::zero(), size), area) {
                assert_plain(&frame, strip, colour, &format!("{name} {w}x{h}"));
            }
        }
    }
}

#[test]
fn a_long_name_is_shown_whole_and_the_count_leads_its_line() {
    let position = format!("第 1234 位签到：《{LONG_TITLE}》");
    let checked_in = card::Card {
        colour: theme::SUCCESS,
        headline: "签到成功",
        name: Some(LONG_NAME),
        lines: [Some(LONG_EMPLOYER), Some(&position)],
        phone: None,
    };
    for (w, h) in SIZES {
        let size = Size::new(w, h);
        let area = card::text_area(size, false);
        let laid = column::lay_out(
            &card::blocks(size, &checked_in),
            area.size.width,
            area.size.height,
        );
        assert!(laid.width() <= area.size.width, "{w}x{h}: {laid:?}");
        assert!(laid.height <= area.size.height, "{w}x{h}: {laid:?}");
        let texts: Vec<&str> = laid.lines.iter().map(|l| l.text.as_str()).collect();
        assert!(
            texts.iter().any(|t| t.starts_with("欧阳")) && texts.concat().contains(LONG_NAME),
            "{w}x{h}: the whole name: {texts:?}"
        );
        assert!(
            texts.iter().any(|t| t.starts_with("第 1234 位签到")),
            "{w}x{h}: the whole count: {texts:?}"
        );
        assert!(
            texts.iter().all(|t| !t.contains('\u{FFFD}')),
            "{w}x{h}: {texts:?}"
        );
    }
}

#[test]
fn the_idle_screen_keeps_a_long_title_and_count_beside_the_code_and_above_the_button() {
    for (w, h) in SIZES {
        let size = Size::new(w, h);
        let what = format!("idle-long {w}x{h}");
        let frame = draw_new(&sample("idle-long"), size);
        let area = idle::text_area(size, true);
        let button = idle::keypad_button(size);
        let header = scale(size, 84) as i32;
        let card_left = idle::phone_area(size, false).top_left.x;
        let below_text = area.top_left.y + area.size.height as i32;
        let right_of_text = area.top_left.x + area.size.width as i32;
        // Left margin, right of the text (up to the code's column in landscape), and between
        // the text and the keypad button or the code: background only.
        let right_edge = if w > h { card_left } else { w as i32 };
        let bottom_edge = if w > h {
            button.top_left.y
        } else {
            idle::phone_area(size, false).top_left.y
        };
        let plain = [
            Rectangle::with_corners(
                Point::new(0, header),
                Point::new(area.top_left.x - 1, bottom_edge - 1),
            ),
            Rectangle::with_corners(
                Point::new(right_of_text, header),
                Point::new(right_edge - 1, bottom_edge - 1),
            ),
            Rectangle::with_corners(
                Point::new(0, below_text),
                Point::new(right_edge - 1, bottom_edge - 1),
            ),
        ];
        for strip in plain {
            assert_plain(&frame, strip, theme::BACKGROUND, &what);
        }
        // The title takes two lines plus the count and the next one: a cut title had one.
        let inked = inked_rows(&frame, area, theme::BACKGROUND);
        assert!(inked as u32 > area.size.height / 2, "{what}: {inked} rows");
    }
}

#[test]
fn a_long_home_name_wraps_in_the_header_and_leaves_the_clock_alone() {
    for (w, h) in SIZES {
        let size = Size::new(w, h);
        let long = draw_new(&sample("idle-long"), size);
        let Screen::Idle(view) = sample("idle-long") else {
            unreachable!()
        };
        let short = draw_new(
            &Screen::Idle(IdleView {
                home_name: "之家".into(),
                ..view
            }),
            size,
        );
        let header = Rectangle::new(Point::zero(), Size::new(w, scale(size, 84)));
        let changed: Vec<Point> = header
            .points()
            .filter(|p| long.pixel(*p) != short.pixel(*p))
            .collect();
        let clock_left = changed.iter().map(|p| p.x).max().unwrap_or(0);
        let clock = text::Style::new(
            scale(size, 26),
            text::Weight::Regular,
            theme::ON_COLOUR,
            theme::BRAND,
        );
        let clock_width = text::width("11月28日 星期六 20:45", &clock) as i32;
        let margin = scale(size, 28) as i32;
        assert!(
            clock_left < w as i32 - margin - clock_width - 8,
            "{w}x{h}: the name keeps clear of the clock ({clock_left})"
        );
    }
}

#[test]
fn choices_wrap_inside_their_buttons_and_the_heading_inside_its_box() {
    for name in ["choose-long", "matches-long"] {
        for (w, h) in SIZES {
            let size = Size::new(w, h);
            let what = format!("{name} {w}x{h}");
            let screen = sample(name);
            let frame = draw_new(&screen, size);
            let (Screen::Choose { choices } | Screen::Matches { choices }) = &screen else {
                unreachable!()
            };
            let buttons = choose::buttons(size, choices.len());
            for (button, label) in buttons.iter().zip(choices) {
                let area = choose::label_area(size, button);
                let laid = choose::label_column(size, button, label);
                assert!(laid.lines.len() <= 2, "{what}: {laid:?}");
                assert!(laid.width() <= area.size.width, "{what}: {laid:?}");
                assert!(laid.height <= area.size.height, "{what}: {laid:?}");
                // Inside the button, outside the label's box (and its rounded corners): the
                // button's colour only.
                let radius = scale(size, 12) as i32;
                let inner = Rectangle::new(
                    button.top_left + Point::new(0, radius),
                    Size::new(
                        button.size.width,
                        button.size.height.saturating_sub(2 * radius as u32),
                    ),
                );
                for strip in around(inner, area) {
                    let strip = strip.intersection(&inner);
                    assert_plain(&frame, strip, theme::BRAND, &what);
                }
            }
            let heading = choose::heading_area(size);
            let text = if name == "choose-long" {
                "请选择您参加的活动"
            } else {
                "请选择您本人"
            };
            let laid = choose::heading_column(size, text);
            assert!(laid.width() <= heading.size.width, "{what}");
            assert!(laid.height <= heading.size.height, "{what}");
            // Between the back button, the heading and the first choice: background only.
            let first = buttons.first().map_or(h as i32, |b| b.top_left.y);
            let back = choose::back_button(size);
            let gap = Rectangle::with_corners(
                Point::new(0, heading.top_left.y + heading.size.height as i32),
                Point::new(w as i32 - 1, first - 1),
            );
            let gap = Rectangle::with_corners(
                Point::new(
                    0,
                    gap.top_left
                        .y
                        .max(back.top_left.y + back.size.height as i32),
                ),
                gap.bottom_right().unwrap_or(gap.top_left),
            );
            assert_plain(&frame, gap, theme::BACKGROUND, &what);
        }
    }
}

#[test]
fn the_choose_screens_have_a_back_button_big_enough_to_touch() {
    for (w, h) in SIZES {
        let size = Size::new(w, h);
        let back = choose::back_button(size);
        assert!(back.size.height >= 48 && back.size.width >= 96, "{w}x{h}");
        for name in ["choose-long", "matches-long"] {
            let frame = draw_new(&sample(name), size);
            assert_eq!(
                frame.pixel(back.center() + Point::new(0, back.size.height as i32 / 2 - 2)),
                Some(theme::MUTED),
                "{name} {w}x{h}: the button is drawn"
            );
            let white = back
                .points()
                .filter(|p| frame.pixel(*p) == Some(Rgb565::WHITE))
                .count();
            assert!(white > 50, "{name} {w}x{h}: it says {}", choose::BACK);
            let heading = choose::heading_area(size);
            assert!(heading.intersection(&back).is_zero_sized(), "{w}x{h}");
            for button in choose::buttons(size, 4) {
                assert!(button.intersection(&back).is_zero_sized(), "{w}x{h}");
            }
        }
    }
}

#[test]
fn the_keypad_prompt_keeps_clear_of_the_back_button_and_the_keys() {
    for (w, h) in SIZES {
        let size = Size::new(w, h);
        let frame = draw_new(&sample("keypad-empty"), size);
        let prompt = keypad::prompt_area(size);
        let keys = keypad::keys(size);
        let first_key = keys
            .iter()
            .map(|(_, area)| area.top_left.y)
            .min()
            .unwrap_or(0);
        let (_, back) = keys
            .iter()
            .find(|(key, _)| *key == keypad::Key::Cancel)
            .copied()
            .expect("a back key");
        assert!(prompt.intersection(&back).is_zero_sized(), "{w}x{h}");
        // Above the keys, outside the back button and the prompt's box: background only.
        let top = Rectangle::new(Point::zero(), Size::new(w, first_key as u32));
        for strip in around(top, prompt) {
            let bare: Vec<Point> = stray(&frame, strip, theme::BACKGROUND)
                .into_iter()
                .filter(|p| !back.contains(*p))
                .collect();
            assert!(bare.is_empty(), "{w}x{h}: {:?}", &bare[..bare.len().min(3)]);
        }
        let inked = inked_rows(&frame, prompt, theme::BACKGROUND);
        assert!(inked > 10, "{w}x{h}: the prompt is written");
    }
}

#[test]
fn the_connecting_screen_shows_no_offline_band_and_the_offline_one_does() {
    for (w, h) in SIZES {
        let size = Size::new(w, h);
        let Screen::Idle(view) = sample("idle-connecting") else {
            unreachable!()
        };
        let connecting = draw_new(&Screen::Idle(view.clone()), size);
        let offline = draw_new(
            &Screen::Idle(IdleView {
                connection: Connection::Offline,
                ..view
            }),
            size,
        );
        let foot = Rectangle::new(
            Point::new(0, (h - scale(size, 56)) as i32),
            Size::new(w, scale(size, 56)),
        );
        assert!(
            foot.points()
                .all(|p| connecting.pixel(p) != Some(theme::DANGER)),
            "{w}x{h}: no red while connecting"
        );
        let muted = foot
            .points()
            .filter(|p| connecting.pixel(*p) == Some(theme::MUTED))
            .count();
        assert!(muted > 100, "{w}x{h}: it says {}", idle::CONNECTING);
        assert_eq!(
            offline.pixel(Point::new(2, h as i32 - 2)),
            Some(theme::DANGER)
        );
    }
}

#[test]
fn every_message_the_kiosk_shows_says_member_and_you_politely() {
    // Every string a member reads is written in one of these files.
    let sources = [
        ("app/mod.rs", include_str!("../app/mod.rs")),
        ("screens/mod.rs", include_str!("mod.rs")),
        ("screens/idle.rs", include_str!("idle.rs")),
        ("screens/outcomes.rs", include_str!("outcomes.rs")),
        ("screens/card.rs", include_str!("card.rs")),
        ("screens/choose.rs", include_str!("choose.rs")),
        ("screens/keypad.rs", include_str!("keypad.rs")),
        ("screens/phone.rs", include_str!("phone.rs")),
    ];
    for (file, source) in sources {
        assert!(!source.contains("成员"), "{file}: 会员, not 成员");
        assert!(!source.contains('你'), "{file}: 您, not 你");
    }
    assert!(NO_MATCH.contains('您') && NO_MATCH.contains("会员"));
    assert!(keypad::PROMPT.contains('您'));
}
