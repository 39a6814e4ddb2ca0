//! The screen between scans: the home, the time, the open activity with its live count, what
//! comes next, and the QR code a phone scans to check in. It is redrawn every second for the
//! clock, and only the clock's pixels change, so only they are sent to the panel.
//!
//! In landscape the phone card is a column at the right and the keypad button sits under the
//! text at the left; in portrait the card takes the free middle and the button the bottom right.
//! Neither moves with what the text says, so a touch means the same thing on every idle screen.

use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle, RoundedRectangle};

use super::{IdleView, phone, scale};
use crate::display::Frame;
use crate::ui::text::{self, Style, Weight};
use crate::ui::theme;

/// What the phone card says under its code.
pub const PHONE_CAPTION: &str = "手机签到 · 扫码";

fn landscape(size: Size) -> bool {
    size.width > size.height
}

/// The button that opens the keypad (check in by the last digits of a phone number).
pub fn keypad_button(size: Size) -> Rectangle {
    let margin = scale(size, 28);
    let (width, height) = (scale(size, 260), scale(size, 64));
    let bottom = size.height.saturating_sub(margin + scale(size, 56));
    let left = if landscape(size) {
        margin
    } else {
        size.width.saturating_sub(margin + width)
    };
    Rectangle::new(
        Point::new(left as i32, bottom.saturating_sub(height) as i32),
        Size::new(width, height),
    )
}

/// Where the phone card may go: clear of the header, the text, the keypad button and the
/// offline band.
pub fn phone_area(size: Size) -> Rectangle {
    let margin = scale(size, 28);
    if landscape(size) {
        let column = phone::column_width(size);
        let top = scale(size, 84) + scale(size, 16);
        let bottom = size
            .height
            .saturating_sub(scale(size, 56) + scale(size, 12));
        Rectangle::new(
            Point::new(
                size.width.saturating_sub(margin + column) as i32,
                top as i32,
            ),
            Size::new(column, bottom.saturating_sub(top)),
        )
    } else {
        let top = text_bottom(size) + scale(size, 24);
        let bottom = u32::try_from(keypad_button(size).top_left.y)
            .unwrap_or(0)
            .saturating_sub(scale(size, 24));
        Rectangle::new(
            Point::new(margin as i32, top as i32),
            Size::new(
                size.width.saturating_sub(2 * margin),
                bottom.saturating_sub(top),
            ),
        )
    }
}

/// How wide the lines under the header may be: in landscape, with a phone card, they stop short
/// of its column.
fn text_span(size: Size, with_card: bool) -> u32 {
    let margin = scale(size, 28);
    if with_card && landscape(size) {
        let card_left = u32::try_from(phone_area(size).top_left.x).unwrap_or(0);
        card_left.saturating_sub(margin + scale(size, 24))
    } else {
        size.width.saturating_sub(2 * margin)
    }
}

fn label_style(size: Size) -> Style {
    Style::new(
        scale(size, 26),
        Weight::Regular,
        theme::MUTED,
        theme::BACKGROUND,
    )
}

fn activity_style(size: Size) -> Style {
    Style::new(scale(size, 48), Weight::Bold, theme::INK, theme::BACKGROUND)
}

fn count_style(size: Size) -> Style {
    Style::new(
        scale(size, 40),
        Weight::Bold,
        theme::SUCCESS,
        theme::BACKGROUND,
    )
}

fn next_style(size: Size) -> Style {
    Style::new(
        scale(size, 28),
        Weight::Regular,
        theme::INK,
        theme::BACKGROUND,
    )
}

/// The lowest the text under the header reaches (an open activity and a next one).
fn text_bottom(size: Size) -> u32 {
    scale(size, 84)
        + scale(size, 28)
        + text::line_height(&label_style(size))
        + text::line_height(&activity_style(size))
        + text::line_height(&count_style(size))
        + scale(size, 12)
        + text::line_height(&next_style(size))
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
    let card = view
        .phone_url
        .as_deref()
        .and_then(|url| phone::draw(frame, phone_area(size), url, PHONE_CAPTION));
    let clock = Style::new(
        scale(size, 26),
        Weight::Regular,
        theme::ON_COLOUR,
        theme::BRAND,
    );
    let clock_width = text::width(&view.clock, &clock) as i32;
    let title = Style::new(
        scale(size, 34),
        Weight::Bold,
        theme::ON_COLOUR,
        theme::BRAND,
    );
    // The name gives way to the clock on a narrow (portrait) header.
    let title_width =
        (span * 6 / 10).min(span.saturating_sub(clock_width as u32 + scale(size, 16)));
    let _ = text::draw(
        frame,
        &text::fit(&view.home_name, &title, title_width),
        Point::new(margin, scale(size, 16) as i32),
        &title,
    );
    let _ = text::draw(
        frame,
        &view.clock,
        Point::new(
            size.width as i32 - margin - clock_width,
            scale(size, 22) as i32,
        ),
        &clock,
    );

    let span = text_span(size, card.is_some());
    let mut top = header_height as i32 + scale(size, 28) as i32;
    let label = label_style(size);
    match &view.open {
        Some((activity, participants)) => {
            let _ = text::draw(frame, "正在签到", Point::new(margin, top), &label);
            top += text::line_height(&label) as i32;
            let name = activity_style(size);
            let _ = text::draw(
                frame,
                &text::fit(activity, &name, span),
                Point::new(margin, top),
                &name,
            );
            top += text::line_height(&name) as i32;
            let count = count_style(size);
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
            let welcome = "欢迎！请扫码或刷卡登记到访";
            // Too wide for one line (portrait, or beside the phone card): break after the
            // greeting rather than cut the instruction.
            let lines: &[&str] = if text::width(welcome, &calm) <= span {
                &[welcome]
            } else {
                &["欢迎！", "请扫码或刷卡登记到访"]
            };
            for line in lines {
                let _ = text::draw(
                    frame,
                    &text::fit(line, &calm, span),
                    Point::new(margin, top),
                    &calm,
                );
                top += text::line_height(&calm) as i32;
            }
            top += scale(size, 12) as i32;
        }
    }
    if let Some((activity, when)) = &view.next {
        let next = next_style(size);
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
    if let Some(title) = view.notice.as_deref().filter(|_| view.online) {
        draw_notice(frame, size, title);
    }
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

/// The band at the foot that carries the association's newest notice (the offline warning
/// takes the same place while the server is away).
pub fn notice_band(size: Size) -> Rectangle {
    let band = scale(size, 56);
    Rectangle::new(
        Point::new(0, size.height.saturating_sub(band) as i32),
        Size::new(size.width, band),
    )
}

fn draw_notice(frame: &mut Frame, size: Size, title: &str) {
    let band = notice_band(size);
    let _ = band
        .into_styled(PrimitiveStyle::with_fill(theme::NOTICE))
        .draw(frame);
    let style = Style::new(
        scale(size, 26),
        Weight::Bold,
        theme::ON_COLOUR,
        theme::NOTICE,
    );
    let margin = scale(size, 28);
    let line = format!("科协通知：{title}");
    let _ = text::draw(
        frame,
        &text::fit(&line, &style, size.width.saturating_sub(2 * margin)),
        Point::new(margin as i32, band.top_left.y + scale(size, 10) as i32),
        &style,
    );
}
