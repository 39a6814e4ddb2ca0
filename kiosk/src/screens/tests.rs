//! Every screen drawn at every supported panel size and compared with the committed reference
//! PNGs in `kiosk/tests/golden/` (shown in the README). `KEJIA_BLESS=1 cargo test -p
//! kejia-kiosk screens` rewrites the references after an intended change; a mismatch leaves the
//! actual picture in `target/golden-actual/` to look at.

use std::path::PathBuf;

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

use super::card::NAME_TOP_FRACTION;
use super::*;
use crate::ui::theme;

pub(super) const SIZES: [(u32, u32); 3] = [(800, 480), (1024, 600), (720, 1280)];
/// A phone page as the server hands it out: the LAN address, the port, a rotating room code.
pub(super) const PHONE_URL: &str = "http://192.168.1.20:8080/m/checkin?code=6a1b2c3.0f1e2d3c4b5a";

fn samples() -> Vec<(&'static str, Screen)> {
    let idle = IdleView {
        home_name: "益阳高新区科技工作者之家".into(),
        clock: "11月28日 星期六 20:45".into(),
        open: Some(("人工智能与制造业转型学术沙龙".into(), 37)),
        more_open: 0,
        next: Some(("青年科技人才职称申报讲座".into(), "12月3日 14:00".into())),
        connection: Connection::Online,
        phone_url: Some(PHONE_URL.into()),
        notice: None,
    };
    let notice_base = idle.clone();
    let all = vec![
        ("idle", Screen::Idle(idle.clone())),
        (
            "idle-offline",
            Screen::Idle(IdleView {
                connection: Connection::Offline,
                open: None,
                phone_url: None,
                ..idle.clone()
            }),
        ),
        (
            "idle-welcome",
            Screen::Idle(IdleView { open: None, ..idle }),
        ),
        (
            "checked-in",
            Screen::CheckedIn {
                name: "欧*娜".into(),
                employer: "湖南某新材料有限公司".into(),
                activity: "人工智能与制造业转型学术沙龙".into(),
                position: 38,
            },
        ),
        (
            "already",
            Screen::AlreadyCheckedIn {
                name: "张*明".into(),
                activity: "人工智能与制造业转型学术沙龙".into(),
            },
        ),
        (
            "visit",
            Screen::Visit {
                name: "𠀀*𪚥".into(),
            },
        ),
        (
            "unknown",
            Screen::Unknown {
                phone_url: Some(PHONE_URL.into()),
            },
        ),
        (
            "suspended",
            Screen::Suspended {
                name: "王*".into()
            },
        ),
        (
            "not-open",
            Screen::NotOpen {
                activity: Some("青年科技人才职称申报讲座".into()),
            },
        ),
        (
            "choose",
            Screen::Choose {
                choices: vec!["人工智能学术沙龙".into(), "心理健康讲座".into()],
            },
        ),
        (
            "failed",
            Screen::Failed {
                message: "无法连接服务器，本次未计入".into(),
            },
        ),
        (
            "keypad",
            Screen::Keypad {
                digits: "8001".into(),
            },
        ),
        (
            "matches",
            Screen::Matches {
                choices: vec!["张*明 · 138****8001".into(), "李*光 · 139****8001".into()],
            },
        ),
    ];
    let mut all = all;
    all.extend(super::long_text_tests::long_samples());
    all.push((
        "idle-notice",
        Screen::Idle(IdleView {
            notice: Some(sample_notice()),
            ..notice_base.clone()
        }),
    ));
    all.push((
        "idle-notice-offline",
        Screen::Idle(IdleView {
            notice: Some(sample_notice()),
            connection: Connection::Offline,
            phone_url: None,
            ..notice_base
        }),
    ));
    all
}

fn sample_notice() -> NoticeView {
    NoticeView {
        title: "关于开展2026年全国科技活动周暨益阳市科普宣传活动的通知".into(),
        body: "各科技工作者之家：为深入实施创新驱动发展战略，营造崇尚科学的社会氛围，\
               定于5月下旬开展全国科技活动周活动。请各单位结合实际，组织科技工作者参与\
               科普讲座、科技咨询和成果展示等活动，并于5月10日前报送活动安排。"
            .into(),
        published: "11月20日".into(),
    }
}

pub(super) fn draw_new(screen: &Screen, size: Size) -> Frame {
    let mut frame = Frame::new(size);
    render(screen, &mut frame);
    frame
}

#[test]
fn every_screen_matches_its_reference_picture() {
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("KEJIA_BLESS").is_some();
    let mut mismatched = Vec::new();
    for (name, screen) in samples() {
        for (w, h) in SIZES {
            let image = draw_new(&screen, Size::new(w, h)).to_rgb_image();
            let path = golden.join(format!("{name}-{w}x{h}.png"));
            if bless {
                image.save(&path).expect("write reference");
                continue;
            }
            let reference = image::open(&path).map(|i| i.to_rgb8());
            if reference.as_ref().ok() != Some(&image) {
                let actual =
                    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/golden-actual");
                std::fs::create_dir_all(&actual).expect("dir");
                image
                    .save(actual.join(format!("{name}-{w}x{h}.png")))
                    .expect("write actual");
                mismatched.push(format!("{name}-{w}x{h}"));
            }
        }
    }
    assert!(
        mismatched.is_empty(),
        "screens differ from their references (see target/golden-actual): {mismatched:?}"
    );
}

#[test]
fn the_checked_in_name_is_large_white_on_green_where_the_layout_puts_it() {
    for (w, h) in SIZES {
        let size = Size::new(w, h);
        let frame = draw_new(&samples()[3].1, size);
        assert_eq!(
            frame.pixel(Point::new(3, 3)),
            Some(theme::SUCCESS),
            "{w}x{h}"
        );
        let top = h * NAME_TOP_FRACTION.0 / NAME_TOP_FRACTION.1;
        let band = top..top + scale(size, 80) * 13 / 10;
        let white: Vec<Point> = band
            .flat_map(|y| (0..w).map(move |x| Point::new(x as i32, y as i32)))
            .filter(|p| frame.pixel(*p) == Some(Rgb565::WHITE))
            .collect();
        assert!(
            white.len() > 500,
            "{w}x{h}: the name's strokes are in the band ({})",
            white.len()
        );
        let rows: Vec<i32> = white.iter().map(|p| p.y).collect();
        let height = rows.iter().max().unwrap_or(&0) - rows.iter().min().unwrap_or(&0);
        assert!(
            height as u32 >= scale(size, 48),
            "{w}x{h}: the name is at least 48 px tall on 800×480 ({height})"
        );
        let above: usize = (0..top.saturating_sub(scale(size, 20)))
            .flat_map(|y| (0..w).map(move |x| Point::new(x as i32, y as i32)))
            .filter(|p| frame.pixel(*p) == Some(Rgb565::WHITE))
            .count();
        assert!(above > 100, "{w}x{h}: the headline sits above the name");
    }
}

#[test]
fn the_idle_screen_has_its_brand_header_and_an_offline_band_only_when_offline() {
    let size = Size::new(800, 480);
    let online = draw_new(&samples()[0].1, size);
    assert_eq!(online.pixel(Point::new(2, 2)), Some(theme::BRAND));
    assert_eq!(online.pixel(Point::new(2, 478)), Some(theme::BACKGROUND));
    let offline = draw_new(&samples()[1].1, size);
    assert_eq!(offline.pixel(Point::new(2, 478)), Some(theme::DANGER));
}

#[test]
fn redrawing_the_idle_screen_with_a_new_time_only_touches_the_clock() {
    let size = Size::new(800, 480);
    let Screen::Idle(view) = samples()[0].1.clone() else {
        unreachable!()
    };
    let mut frame = Frame::new(size);
    render(&Screen::Idle(view.clone()), &mut frame);
    frame.take_dirty();
    render(
        &Screen::Idle(IdleView {
            clock: "11月28日 星期六 20:46".into(),
            ..view
        }),
        &mut frame,
    );
    let dirty = frame.take_dirty().expect("the minute changed");
    assert!(
        dirty.top_left.x > 400,
        "only the clock at the right of the header: {dirty:?}"
    );
    assert!(dirty.size.height <= scale(size, 84), "{dirty:?}");
}

/// Where the QR code's modules start and how many pixels a module takes: the code is the only
/// pure black on any screen, and its first pixel is the corner of the top-left finder pattern,
/// whose top row is seven modules of black.
fn find_code(frame: &Frame) -> Option<(Point, u32)> {
    let size = frame.size();
    let corner = (0..size.height as i32)
        .flat_map(|y| (0..size.width as i32).map(move |x| Point::new(x, y)))
        .find(|p| frame.pixel(*p) == Some(Rgb565::BLACK))?;
    let run = (0..)
        .take_while(|dx| frame.pixel(corner + Point::new(*dx, 0)) == Some(Rgb565::BLACK))
        .count() as u32;
    Some((corner, run / 7))
}

/// Checks every pixel of the code and its quiet zone against the QR code of `url`: nothing
/// drawn over it, nothing missing, black on white.
fn assert_shows_code_of(frame: &Frame, url: &str, what: &str) -> u32 {
    let matrix = phone::Matrix::of(url).expect("a URL fits a QR code");
    let (origin, module) = find_code(frame).unwrap_or_else(|| panic!("{what}: no QR code"));
    let m = module as i32;
    let quiet = phone::QUIET_MODULES as i32;
    let side = matrix.width as i32 + 2 * quiet;
    for my in 0..side {
        for mx in 0..side {
            let (cx, cy) = (mx - quiet, my - quiet);
            let dark = (0..matrix.width as i32).contains(&cx)
                && (0..matrix.width as i32).contains(&cy)
                && matrix.is_dark(cx as u32, cy as u32);
            let expected = if dark { Rgb565::BLACK } else { Rgb565::WHITE };
            for py in 0..m {
                for px in 0..m {
                    let p = origin + Point::new(cx * m + px, cy * m + py);
                    assert_eq!(
                        frame.pixel(p),
                        Some(expected),
                        "{what}: module ({cx}, {cy}) at {p:?}"
                    );
                }
            }
        }
    }
    module
}

fn unknown(phone_url: Option<&str>) -> Screen {
    Screen::Unknown {
        phone_url: phone_url.map(str::to_owned),
    }
}

#[test]
fn the_idle_and_unknown_screens_show_the_phone_url_as_a_scannable_qr_code() {
    let Screen::Idle(view) = samples()[0].1.clone() else {
        unreachable!()
    };
    for (w, h) in SIZES {
        let size = Size::new(w, h);
        for (name, screen) in [
            ("idle", Screen::Idle(view.clone())),
            (
                "idle without an activity",
                Screen::Idle(IdleView {
                    open: None,
                    ..view.clone()
                }),
            ),
            ("unknown", unknown(Some(PHONE_URL))),
        ] {
            let what = format!("{name} {w}x{h}");
            let module = assert_shows_code_of(&draw_new(&screen, size), PHONE_URL, &what);
            assert!(
                module >= 4,
                "{what}: modules of {module} px are too small to scan at arm's length"
            );
        }
    }
}

#[test]
fn a_long_phone_url_still_fits_with_readable_modules() {
    let url = format!(
        "https://kejia-home.example.cn:8443/m/checkin?code={}",
        "f".repeat(60)
    );
    let view = IdleView {
        phone_url: Some(url.clone()),
        connection: Connection::Online,
        ..IdleView::default()
    };
    for (w, h) in SIZES {
        let frame = draw_new(&Screen::Idle(view.clone()), Size::new(w, h));
        let module = assert_shows_code_of(&frame, &url, &format!("{w}x{h}"));
        assert!(module >= 3, "{w}x{h}: {module} px");
    }
}

#[test]
fn without_a_phone_url_there_is_no_qr_code() {
    let Screen::Idle(view) = samples()[0].1.clone() else {
        unreachable!()
    };
    for (w, h) in SIZES {
        let size = Size::new(w, h);
        let idle = Screen::Idle(IdleView {
            phone_url: None,
            ..view.clone()
        });
        assert_eq!(find_code(&draw_new(&idle, size)), None, "idle {w}x{h}");
        assert_eq!(
            find_code(&draw_new(&unknown(None), size)),
            None,
            "unknown {w}x{h}"
        );
    }
}

#[test]
fn the_phone_card_keeps_clear_of_the_keypad_button() {
    for (w, h) in SIZES {
        let size = Size::new(w, h);
        let frame = draw_new(&samples()[0].1, size);
        let (origin, module) = find_code(&frame).expect("a code");
        let matrix = phone::Matrix::of(PHONE_URL).expect("matrix");
        let quiet = (phone::QUIET_MODULES * module) as i32;
        let side = module * (matrix.width + 2 * phone::QUIET_MODULES);
        let code = Rectangle::new(origin - Point::new(quiet, quiet), Size::new_equal(side));
        let button = idle::keypad_button(size);
        assert!(
            code.intersection(&button).is_zero_sized(),
            "{w}x{h}: {code:?} and {button:?}"
        );
        assert!(
            code.bottom_right()
                .is_some_and(|c| (c.y as u32) < h - scale(size, 56)),
            "{w}x{h}: above the offline band"
        );
    }
}

#[test]
fn a_new_phone_url_redraws_only_the_card_and_the_same_one_nothing() {
    let size = Size::new(800, 480);
    let Screen::Idle(view) = samples()[0].1.clone() else {
        unreachable!()
    };
    let mut frame = Frame::new(size);
    render(&Screen::Idle(view.clone()), &mut frame);
    frame.take_dirty();
    render(&Screen::Idle(view.clone()), &mut frame);
    assert_eq!(frame.take_dirty(), None, "the same URL sends nothing");
    let next = "http://192.168.1.20:8080/m/checkin?code=6a1b2c4.99aa88bb77cc";
    render(
        &Screen::Idle(IdleView {
            phone_url: Some(next.into()),
            ..view
        }),
        &mut frame,
    );
    let dirty = frame.take_dirty().expect("the code changed");
    let area = idle::phone_area(size, false);
    assert!(
        area.contains(dirty.top_left) && dirty.bottom_right().is_some_and(|c| area.contains(c)),
        "only the card: {dirty:?} in {area:?}"
    );
    assert_shows_code_of(&frame, next, "after the change");
}

fn idle_with(notice: Option<NoticeView>, online: bool) -> Screen {
    let Screen::Idle(view) = samples()[0].1.clone() else {
        panic!("the first sample is the idle screen")
    };
    Screen::Idle(IdleView {
        notice,
        connection: if online {
            Connection::Online
        } else {
            Connection::Offline
        },
        // Offline, the state machine drops the phone code.
        phone_url: view.phone_url.clone().filter(|_| online),
        ..view
    })
}

fn notice(title: &str, body: &str) -> NoticeView {
    NoticeView {
        title: title.into(),
        body: body.into(),
        published: "11月20日".into(),
    }
}

/// Notices that try to break the layout: long words, mixed scripts and directions, combining
/// marks stacked high, emoji, characters outside the font, no title, no body.
fn hostile_notices() -> Vec<NoticeView> {
    vec![
        sample_notice(),
        notice(
            &"关于开展科技活动周的通知<script>alert(1)</script>".repeat(8),
            &"Pneumonoultramicroscopicsilicovolcanoconiosis".repeat(12),
        ),
        notice(
            "العربية עברית Русский 日本語 한국어 😀🎉 \u{E000}",
            &"e\u{301}\u{302}\u{303}\u{304}\u{305}\u{306}\u{307}\u{308}".repeat(40),
        ),
        notice("", "只有正文，没有标题。"),
        notice("只有标题", ""),
        notice("W", &"W".repeat(400)),
    ]
}

/// The white card around the QR code, as `phone::place` put it.
fn qr_card(size: Size) -> Rectangle {
    let matrix = phone::Matrix::of(PHONE_URL).expect("matrix");
    phone::place(size, idle::phone_area(size, true), matrix.width)
        .expect("the code fits")
        .card
}

/// The pixels that differ between two frames, as one bounding box per region checked.
fn differing(a: &Frame, b: &Frame, area: Rectangle) -> Vec<Point> {
    area.points()
        .filter(|p| a.pixel(*p) != b.pixel(*p))
        .collect()
}

fn disjoint(a: Rectangle, b: Rectangle) -> bool {
    a.intersection(&b).is_zero_sized()
}

fn whole(size: Size) -> Rectangle {
    Rectangle::new(Point::zero(), size)
}

#[test]
fn the_notice_band_sits_under_the_code_and_the_button_and_draws_only_inside_itself() {
    for (width, height) in SIZES {
        let size = Size::new(width, height);
        let plain = draw_new(&idle_with(None, true), size);
        let band = idle::notice_band(size);
        let button = idle::keypad_button(size);
        assert!(disjoint(band, qr_card(size)), "{size:?}");
        assert!(disjoint(band, button), "{size:?}");
        assert!(band.size.height >= scale(size, 64), "{size:?}: {band:?}");
        assert!(
            idle::notice_title_style(size).size >= 24,
            "{size:?}: a readable title"
        );
        for notice in hostile_notices() {
            let what = format!("{size:?} {:?}", notice.title);
            let noticed = draw_new(&idle_with(Some(notice), true), size);
            // The band is drawn: its pixels differ from the background, and it carries text.
            let changed = differing(&plain, &noticed, band).len() as u32;
            assert!(changed > band.size.width * band.size.height / 2, "{what}");
            let light = band
                .points()
                .filter(|p| noticed.pixel(*p) == Some(Rgb565::WHITE))
                .count();
            assert!(light > 300, "{what}: the tag and the title are written");
            // Nothing else moved but the code (in landscape its column ends at the button),
            // which still scans in full.
            let column = idle::phone_area(size, false);
            for p in differing(&plain, &noticed, whole(size)) {
                assert!(
                    band.contains(p) || (width > height && column.contains(p)),
                    "{what}: {p:?} changed outside the band"
                );
            }
            let module = assert_shows_code_of(&noticed, PHONE_URL, &what);
            assert!(module >= 4, "{what}: {module} px");
            assert!(
                same_pixels(&plain, &noticed, button),
                "{what}: the button as before"
            );
        }
    }
}

#[test]
fn without_the_phone_card_the_notice_takes_its_place_and_the_offline_band_the_foot() {
    for (width, height) in SIZES {
        let size = Size::new(width, height);
        let area = idle::notice_card_area(size);
        let button = idle::keypad_button(size);
        let offline_band = Rectangle::new(
            Point::new(0, (height - scale(size, 56)) as i32),
            Size::new(width, scale(size, 56)),
        );
        assert!(disjoint(area, button), "{size:?}");
        assert!(disjoint(area, offline_band), "{size:?}");
        let plain = draw_new(&idle_with(None, false), size);
        for notice in hostile_notices() {
            let what = format!("{size:?} {:?}", notice.title);
            let noticed = draw_new(&idle_with(Some(notice), false), size);
            let changed = differing(&plain, &noticed, area);
            assert!(changed.len() > 5_000, "{what}: the card is drawn");
            assert_eq!(
                noticed.pixel(area.top_left + Point::new(scale(size, 12) as i32, 2)),
                Some(theme::NOTICE),
                "{what}"
            );
            assert!(same_pixels(&plain, &noticed, button), "{what}: the button");
            assert!(
                same_pixels(&plain, &noticed, offline_band),
                "{what}: the offline band as before"
            );
            assert_eq!(
                noticed.pixel(Point::new(2, height as i32 - 2)),
                Some(theme::DANGER),
                "{what}"
            );
            // Outside its card only the text under the header may change: in landscape it
            // now stops short of the card's column, as it does beside the phone card.
            let header = Rectangle::new(Point::zero(), Size::new(width, scale(size, 84)));
            assert!(same_pixels(&plain, &noticed, header), "{what}: the clock");
            for p in differing(&plain, &noticed, whole(size)) {
                assert!(
                    area.contains(p) || (width > height && p.x < area.top_left.x),
                    "{what}: {p:?} changed outside the card"
                );
            }
        }
        if width < height {
            continue;
        }
        // In landscape the text keeps clear of the card's column.
        let noticed = draw_new(&idle_with(Some(sample_notice()), false), size);
        let card_left = area.top_left.x;
        let text_right = (0..area.top_left.y + area.size.height as i32)
            .flat_map(|y| (0..card_left).map(move |x| Point::new(x, y)))
            .filter(|p| {
                p.y >= scale(size, 84) as i32 && noticed.pixel(*p) != Some(theme::BACKGROUND)
            })
            .map(|p| p.x)
            .max();
        assert!(
            text_right.is_some_and(|x| x < card_left - scale(size, 8) as i32),
            "{size:?}: {text_right:?}"
        );
    }
}

#[test]
fn without_a_notice_the_idle_screen_is_as_it_was() {
    // The reference pictures of idle, idle-offline and idle-welcome predate the notice and
    // still match; this checks the places the notice would take stay empty.
    for (width, height) in SIZES {
        let size = Size::new(width, height);
        let online = draw_new(&idle_with(None, true), size);
        let band = idle::notice_band(size);
        let drawn: Vec<Point> = band
            .points()
            .filter(|p| online.pixel(*p) != Some(theme::BACKGROUND))
            .collect();
        assert!(
            drawn.is_empty(),
            "{width}x{height}: {:?}",
            &drawn[..drawn.len().min(5)]
        );
        let offline = draw_new(&idle_with(None, false), size);
        assert!(
            whole(size)
                .points()
                .all(|p| offline.pixel(p) != Some(theme::NOTICE)),
            "{width}x{height}: no notice card"
        );
    }
}

#[test]
fn a_changed_notice_redraws_only_its_band_and_the_same_one_nothing() {
    for (width, height) in SIZES {
        let size = Size::new(width, height);
        let mut frame = Frame::new(size);
        render(&idle_with(Some(sample_notice()), true), &mut frame);
        frame.take_dirty();
        render(&idle_with(Some(sample_notice()), true), &mut frame);
        assert_eq!(
            frame.take_dirty(),
            None,
            "{width}x{height}: the same notice"
        );
        render(
            &idle_with(
                Some(notice("关于报送科技活动周总结的通知", "请于6月5日前报送。")),
                true,
            ),
            &mut frame,
        );
        let dirty = frame.take_dirty().expect("the notice changed");
        let band = idle::notice_band(size);
        assert!(
            band.contains(dirty.top_left) && dirty.bottom_right().is_some_and(|c| band.contains(c)),
            "{width}x{height}: only the band: {dirty:?} in {band:?}"
        );
    }
}

fn same_pixels(a: &Frame, b: &Frame, area: Rectangle) -> bool {
    area.points().all(|p| a.pixel(p) == b.pixel(p))
}
