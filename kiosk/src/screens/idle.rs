//! The screen between scans: the home, the time, the open activity with its live count, and
//! what comes next. It is redrawn every second for the clock, and only the clock's pixels
//! change, so only they are sent to the panel.

use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle, RoundedRectangle};

use super::{IdleView, scale};
use crate::display::Frame;
use crate::ui::text::{self, Style, Weight};
use crate::ui::theme;

/// The button that opens the keypad (check in by the last digits of a phone number).
pub fn keypad_button(size: Size) -> Rectangle {
    let margin = scale(size, 28);
    let (width, height) = (scale(size, 260), scale(size, 64));
    let bottom = size.height.saturating_sub(margin + scale(size, 56));
    Rectangle::new(
        Point::new(
            size.width.saturating_sub(margin + width) as i32,
            bottom.saturating_sub(height) as i32,
        ),
        Size::new(width, height),
    )
}

pub fn draw(view: &IdleView, frame: &mut Frame) {
    let size = frame.size();
    let margin = scale(size, 28) as i32;
    let span = size.width.saturating_sub(2 * margin as u32);
    let header_height = scale(size, 84);
    let _ = Rectangle::new(Point::zero(), Size::new(size.width, header_height))
        .into_styled(PrimitiveStyle::with_fill(theme::BRAND))
        .draw(frame);
    let _ = Rectangle::new(
        Point::new(0, header_height as i32),
        Size::new(size.width, size.height - header_height),
    )
    .into_styled(PrimitiveStyle::with_fill(theme::BACKGROUND))
    .draw(frame);
    let title = Style::new(
        scale(size, 34),
        Weight::Bold,
        theme::ON_COLOUR,
        theme::BRAND,
    );
    let _ = text::draw(
        frame,
        &text::fit(&view.home_name, &title, span * 6 / 10),
        Point::new(margin, scale(size, 16) as i32),
        &title,
    );
    let clock = Style::new(
        scale(size, 26),
        Weight::Regular,
        theme::ON_COLOUR,
        theme::BRAND,
    );
    let clock_width = text::width(&view.clock, &clock) as i32;
    let _ = text::draw(
        frame,
        &view.clock,
        Point::new(
            size.width as i32 - margin - clock_width,
            scale(size, 22) as i32,
        ),
        &clock,
    );

    let mut top = header_height as i32 + scale(size, 28) as i32;
    let label = Style::new(
        scale(size, 26),
        Weight::Regular,
        theme::MUTED,
        theme::BACKGROUND,
    );
    match &view.open {
        Some((activity, participants)) => {
            let _ = text::draw(frame, "正在签到", Point::new(margin, top), &label);
            top += text::line_height(&label) as i32;
            let name = Style::new(scale(size, 48), Weight::Bold, theme::INK, theme::BACKGROUND);
            let _ = text::draw(
                frame,
                &text::fit(activity, &name, span),
                Point::new(margin, top),
                &name,
            );
            top += text::line_height(&name) as i32;
            let count = Style::new(
                scale(size, 40),
                Weight::Bold,
                theme::SUCCESS,
                theme::BACKGROUND,
            );
            let mut line = format!("已签到 {participants} 人");
            if view.more_open > 0 {
                line.push_str(&format!("（另有 {} 个活动同时签到）", view.more_open));
            }
            let _ = text::draw(
                frame,
                &text::fit(&line, &count, span),
                Point::new(margin, top),
                &count,
            );
            top += text::line_height(&count) as i32 + scale(size, 12) as i32;
        }
        None => {
            let calm = Style::new(scale(size, 40), Weight::Bold, theme::INK, theme::BACKGROUND);
            let _ = text::draw(
                frame,
                "欢迎！请扫码或刷卡登记到访",
                Point::new(margin, top),
                &calm,
            );
            top += text::line_height(&calm) as i32 + scale(size, 12) as i32;
        }
    }
    if let Some((activity, when)) = &view.next {
        let next = Style::new(
            scale(size, 28),
            Weight::Regular,
            theme::INK,
            theme::BACKGROUND,
        );
        let line = format!("下一场：{when}《{activity}》");
        let _ = text::draw(
            frame,
            &text::fit(&line, &next, span),
            Point::new(margin, top),
            &next,
        );
    }
    let button = keypad_button(size);
    let radius = Size::new_equal(scale(size, 10));
    let _ = RoundedRectangle::with_equal_corners(button, radius)
        .into_styled(PrimitiveStyle::with_fill(theme::BRAND))
        .draw(frame);
    let label = Style::new(
        scale(size, 26),
        Weight::Bold,
        theme::ON_COLOUR,
        theme::BRAND,
    );
    let label_top = button.top_left.y
        + (button.size.height.saturating_sub(text::line_height(&label)) / 2) as i32;
    let _ = text::draw_centred(
        frame,
        "按手机尾号签到",
        button.top_left.x,
        button.size.width,
        label_top,
        &label,
    );
    if !view.online {
        let band = scale(size, 56);
        let y = size.height.saturating_sub(band) as i32;
        let _ = Rectangle::new(Point::new(0, y), Size::new(size.width, band))
            .into_styled(PrimitiveStyle::with_fill(theme::DANGER))
            .draw(frame);
        let warn = Style::new(
            scale(size, 26),
            Weight::Bold,
            theme::ON_COLOUR,
            theme::DANGER,
        );
        let _ = text::draw_centred(
            frame,
            "无法连接服务器，正在重试……签到暂不可用",
            0,
            size.width,
            y + scale(size, 10) as i32,
            &warn,
        );
    }
}
