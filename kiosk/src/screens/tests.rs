//! Every screen drawn at every supported panel size and compared with the committed reference
//! PNGs in `kiosk/tests/golden/` (shown in the README). `KEJIA_BLESS=1 cargo test -p
//! kejia-kiosk screens` rewrites the references after an intended change; a mismatch leaves the
//! actual picture in `target/golden-actual/` to look at.

use std::path::PathBuf;

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;

use super::card::NAME_TOP_FRACTION;
use super::*;
use crate::ui::theme;

const SIZES: [(u32, u32); 3] = [(800, 480), (1024, 600), (720, 1280)];

fn samples() -> Vec<(&'static str, Screen)> {
    let idle = IdleView {
        home_name: "益阳高新区科技工作者之家".into(),
        clock: "11月28日 星期六 20:45".into(),
        open: Some(("人工智能与制造业转型学术沙龙".into(), 37)),
        more_open: 0,
        next: Some(("青年科技人才职称申报讲座".into(), "12月3日 14:00".into())),
        online: true,
    };
    vec![
        ("idle", Screen::Idle(idle.clone())),
        (
            "idle-offline",
            Screen::Idle(IdleView {
                online: false,
                open: None,
                ..idle
            }),
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
        ("unknown", Screen::Unknown),
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
    ]
}

fn draw_new(screen: &Screen, size: Size) -> Frame {
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
        let frame = draw_new(&samples()[2].1, size);
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
