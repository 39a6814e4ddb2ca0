//! The screen between scans: the home, the time, the open activity with its live count, what
//! comes next, and the QR code a phone scans to check in. It is redrawn every second for the
//! clock, and only the clock's pixels change, so only they are sent to the panel.
//!
//! In landscape the phone card is a column at the right and the keypad button sits under the
//! text at the left; in portrait the card takes the free middle and the button the bottom right.
//! Neither moves with what the text says, so a touch means the same thing on every idle screen.
//!
//! The association's newest notice goes in a band at the foot, under the button, while the
//! phone card is shown (in landscape the card's column then ends level with the button); with
//! no card (offline, or a server that sends no phone page) it is a card in the phone card's
//! place, with room for more of its text, and the offline band keeps the foot.

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle, RoundedRectangle};

use super::{Connection, IdleView, NoticeView, phone, scale};
use crate::display::Frame;
use crate::ui::column::{self, Align, Block};
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
/// offline band, and with a notice shown, of the notice band (in landscape the column then
/// ends level with the button).
pub fn phone_area(size: Size, notice: bool) -> Rectangle {
    let margin = scale(size, 28);
    if landscape(size) {
        let column = phone::column_width(size);
        let top = scale(size, 84) + scale(size, 16);
        let bottom = if notice {
            button_bottom(size)
        } else {
            size.height
                .saturating_sub(scale(size, 56) + scale(size, 12))
        };
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

fn button_bottom(size: Size) -> u32 {
    let button = keypad_button(size);
    u32::try_from(button.top_left.y).unwrap_or(0) + button.size.height
}

/// The band at the foot that carries the notice while the phone card is shown: the whole
/// width under the keypad button and the card.
pub fn notice_band(size: Size) -> Rectangle {
    let top = button_bottom(size) + scale(size, 8);
    Rectangle::new(
        Point::new(0, top as i32),
        Size::new(size.width, size.height.saturating_sub(top)),
    )
}

/// Where the notice card may go when no phone card is shown: the phone card's place, clear of
/// the text, the button and the offline band.
pub fn notice_card_area(size: Size) -> Rectangle {
    phone_area(size, false)
}

/// How wide the lines under the header may be: in landscape, with a phone card, they stop short
/// of its column.
fn text_span(size: Size, with_card: bool) -> u32 {
    let margin = scale(size, 28);
    if with_card && landscape(size) {
        let card_left = u32::try_from(phone_area(size, false).top_left.x).unwrap_or(0);
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

/// The lowest the text under the header reaches in portrait (an open activity with a title on
/// two lines, and a next one).
fn text_bottom(size: Size) -> u32 {
    scale(size, 84)
        + scale(size, 28)
        + text::line_height(&label_style(size))
        + 2 * text::line_height(&activity_style(size))
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
    let card = view.phone_url.as_deref().and_then(|url| {
        phone::draw(
            frame,
            phone_area(size, view.notice.is_some()),
            url,
            PHONE_CAPTION,
        )
    });
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
    draw_home_name(frame, &view.home_name, title, title_width);
    let _ = text::draw(
        frame,
        &view.clock,
        Point::new(
            size.width as i32 - margin - clock_width,
            scale(size, 22) as i32,
        ),
        &clock,
    );

    // In landscape the text keeps clear of the right column, whether the phone card or the
    // notice card takes it.
    let with_column = card.is_some() || view.notice.is_some();
    let participants;
    let welcome = "欢迎！请扫码或刷卡登记到访";
    let next;
    let mut blocks = Vec::new();
    match &view.open {
        Some((activity, count)) => {
            participants = count_line(*count, view.more_open);
            blocks.push(Block::new("正在签到", label_style(size), 1));
            blocks.push(Block::new(activity, activity_style(size), 2));
            blocks.push(Block::new(&participants, count_style(size), 2));
        }
        None => {
            let calm = Style::new(scale(size, 40), Weight::Bold, theme::INK, theme::BACKGROUND);
            // Too wide for one line (portrait, or beside the phone card): break after the
            // greeting rather than anywhere in the instruction.
            if text::width(welcome, &calm) <= text_span(size, with_column) {
                blocks.push(Block::new(welcome, calm, 1));
            } else {
                blocks.push(Block::new("欢迎！", calm, 1));
                blocks.push(Block::new("请扫码或刷卡登记到访", calm, 2));
            }
        }
    }
    if let Some((activity, when)) = &view.next {
        next = format!("下一场：{when}《{activity}》");
        blocks.push(Block::new(&next, next_style(size), 2).gap(scale(size, 12)));
    }
    column::fill(frame, &blocks, &text_area(size, with_column), Align::Left);
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
    match (&view.notice, card) {
        (Some(notice), Some(_)) => draw_notice_band(frame, notice),
        (Some(notice), None) => draw_notice_card(frame, notice),
        (None, _) => {}
    }
    draw_connection_band(frame, view.connection);
}

/// What the foot of the screen says about the server: nothing while it answers, a neutral
/// line while the kiosk has not heard from it yet, a red band once it could not be reached.
fn draw_connection_band(frame: &mut Frame, connection: Connection) {
    let size = frame.size();
    let band = scale(size, 56);
    let y = size.height.saturating_sub(band) as i32;
    let (fill, message) = match connection {
        Connection::Online => return,
        Connection::Connecting => (theme::BACKGROUND, CONNECTING),
        Connection::Offline => (theme::DANGER, OFFLINE),
    };
    let _ = Rectangle::new(Point::new(0, y), Size::new(size.width, band))
        .into_styled(PrimitiveStyle::with_fill(fill))
        .draw(frame);
    let colour = match connection {
        Connection::Connecting => theme::MUTED,
        _ => theme::ON_COLOUR,
    };
    let warn = Style::new(scale(size, 26), Weight::Bold, colour, fill);
    let margin = scale(size, 16);
    let area = Rectangle::new(
        Point::new(margin as i32, y),
        Size::new(size.width.saturating_sub(2 * margin), band),
    );
    let column = column::lay_out(&[Block::new(message, warn, 2)], area.size.width, band);
    // Centred in the band, whether on one line or two smaller ones.
    column::draw_middle(frame, &column, &area);
}

/// The foot of the idle screen while the server cannot be reached.
pub const OFFLINE: &str = "无法连接服务器，正在重试……签到暂不可用";
/// The foot of the idle screen before the server's first answer.
pub const CONNECTING: &str = "正在连接服务器…";

/// "已签到 37 人", and how many more activities take check-ins at the same time.
fn count_line(participants: u32, more_open: usize) -> String {
    let mut line = format!("已签到 {participants} 人");
    if more_open > 0 {
        line.push_str(&format!("（另有 {more_open} 个活动同时签到）"));
    }
    line
}

/// The box the text under the header keeps to: beside the phone or notice column in
/// landscape (down to the keypad button), above the phone card in portrait.
pub fn text_area(size: Size, with_column: bool) -> Rectangle {
    let margin = scale(size, 28);
    let top = scale(size, 84) + scale(size, 28);
    let bottom = if landscape(size) {
        u32::try_from(keypad_button(size).top_left.y)
            .unwrap_or(0)
            .saturating_sub(scale(size, 12))
    } else {
        text_bottom(size) + scale(size, 12)
    };
    Rectangle::new(
        Point::new(margin as i32, top as i32),
        Size::new(text_span(size, with_column), bottom.saturating_sub(top)),
    )
}

/// The home's name in the header: on one line when it fits, else on two smaller ones, centred
/// in the header's height; never cut in the middle of a glyph.
fn draw_home_name(frame: &mut Frame, name: &str, style: Style, width: u32) {
    let size = frame.size();
    let margin = scale(size, 28) as i32;
    if text::width(name, &style) <= width {
        let _ = text::draw(
            frame,
            name,
            Point::new(margin, scale(size, 16) as i32),
            &style,
        );
        return;
    }
    let pad = scale(size, 4);
    let height = scale(size, 84).saturating_sub(2 * pad);
    let column = column::lay_out(&[Block::new(name, style, 2)], width, height);
    let down = pad + height.saturating_sub(column.height) / 2;
    let area = Rectangle::new(
        Point::new(margin, down as i32),
        Size::new(width, column.height),
    );
    column::draw(frame, &column, &area, Align::Left);
}

/// What a notice is labelled with.
pub const NOTICE_LABEL: &str = "科协通知";
/// The notice's body text: white softened towards the notice's blue.
const NOTICE_BODY: Rgb565 = theme::rgb(0xDD, 0xE9, 0xF5);
/// At most this many lines of title on the notice card; the body gets the rest.
const CARD_TITLE_LINES: usize = 3;

/// The notice's title: at least 26 px (800×480), bold white on the notice's blue.
pub fn notice_title_style(size: Size) -> Style {
    Style::new(
        scale(size, 26),
        Weight::Bold,
        theme::ON_COLOUR,
        theme::NOTICE,
    )
}

fn notice_body_style(size: Size) -> Style {
    Style::new(scale(size, 20), Weight::Regular, NOTICE_BODY, theme::NOTICE)
}

fn tag_style(size: Size) -> Style {
    Style::new(scale(size, 18), Weight::Bold, theme::NOTICE, Rgb565::WHITE)
}

/// Draws the "科协通知" tag (blue on a white pill) at `top_left`; returns its size.
fn draw_tag<D>(target: &mut D, top_left: Point, size: Size) -> Size
where
    D: DrawTarget<Color = Rgb565>,
{
    let style = tag_style(size);
    let pad = scale(size, 8);
    let tag = Size::new(
        text::width(NOTICE_LABEL, &style) + 2 * pad,
        text::line_height(&style),
    );
    // The pill hugs the ink, which sits low in the text's line: from 0.3 to 1.5 of its size.
    let pill = Rectangle::new(
        top_left + Point::new(0, (style.size * 3 / 10) as i32),
        Size::new(tag.width, style.size * 6 / 5),
    );
    let _ = RoundedRectangle::with_equal_corners(pill, Size::new_equal(scale(size, 6)))
        .into_styled(PrimitiveStyle::with_fill(Rgb565::WHITE))
        .draw(target);
    let _ = text::draw(
        target,
        NOTICE_LABEL,
        top_left + Point::new(pad as i32, 0),
        &style,
    );
    tag
}

/// The notice beside the phone card: the tag and the title on one line, then as much of the
/// body as the band holds. Nothing is drawn outside the band, whatever the text.
fn draw_notice_band(frame: &mut Frame, notice: &NoticeView) {
    let size = frame.size();
    let band = notice_band(size);
    let mut target = frame.clipped(&band);
    let _ = band
        .into_styled(PrimitiveStyle::with_fill(theme::NOTICE))
        .draw(&mut target);
    let margin = scale(size, 28);
    let title = notice_title_style(size);
    let body = notice_body_style(size);
    let (title_height, body_height) = (text::line_height(&title), text::line_height(&body));
    let room = band
        .size
        .height
        .saturating_sub(2 * scale(size, 6) + title_height);
    let body_lines = text::wrap(
        &notice.body,
        &body,
        size.width.saturating_sub(2 * margin),
        (room / body_height.max(1)) as usize,
    );
    let content = title_height + body_height * body_lines.len() as u32;
    let mut top = band.top_left.y + (band.size.height.saturating_sub(content) / 2) as i32;
    let tag_top =
        top + (title_height.saturating_sub(text::line_height(&tag_style(size))) / 2) as i32;
    let tag = draw_tag(&mut target, Point::new(margin as i32, tag_top), size);
    let title_left = margin + tag.width + scale(size, 12);
    let _ = text::draw(
        &mut target,
        &text::fit(
            &notice.title,
            &title,
            size.width.saturating_sub(title_left + margin),
        ),
        Point::new(title_left as i32, top),
        &title,
    );
    top += title_height as i32;
    for line in body_lines {
        let _ = text::draw(&mut target, &line, Point::new(margin as i32, top), &body);
        top += body_height as i32;
    }
}

/// The notice in the phone card's place: the tag and the day it was published, the title on up
/// to three lines, then as much of the body as the card holds, its last line cut with "…".
/// The card is as tall as its text; nothing is drawn outside it.
fn draw_notice_card(frame: &mut Frame, notice: &NoticeView) {
    let size = frame.size();
    let area = notice_card_area(size);
    let pad = scale(size, 16);
    let inner = area.size.width.saturating_sub(2 * pad);
    let title = notice_title_style(size);
    let body = notice_body_style(size);
    let date = Style::new(scale(size, 18), Weight::Regular, NOTICE_BODY, theme::NOTICE);
    let (title_height, body_height) = (text::line_height(&title), text::line_height(&body));
    let tag_height = text::line_height(&tag_style(size));
    let gap = scale(size, 8);
    let title_lines = text::wrap(&notice.title, &title, inner, CARD_TITLE_LINES);
    let above_body = pad + tag_height + gap + title_height * title_lines.len() as u32 + gap;
    let room = area.size.height.saturating_sub(above_body + pad);
    let body_lines = text::wrap(
        &notice.body,
        &body,
        inner,
        (room / body_height.max(1)) as usize,
    );
    let height = if body_lines.is_empty() {
        above_body - gap + pad
    } else {
        above_body + body_height * body_lines.len() as u32 + pad
    };
    let card = Rectangle::new(
        area.top_left,
        Size::new(area.size.width, height.min(area.size.height)),
    );
    let mut target = frame.clipped(&card);
    let _ = RoundedRectangle::with_equal_corners(card, Size::new_equal(scale(size, 10)))
        .into_styled(PrimitiveStyle::with_fill(theme::NOTICE))
        .draw(&mut target);
    let left = card.top_left.x + pad as i32;
    let mut top = card.top_left.y + pad as i32;
    let tag = draw_tag(&mut target, Point::new(left, top), size);
    if !notice.published.is_empty() {
        let date_left = left + (tag.width + scale(size, 10)) as i32;
        let line = format!("{} 发布", notice.published);
        let _ = text::draw(
            &mut target,
            &text::fit(
                &line,
                &date,
                inner.saturating_sub(tag.width + scale(size, 10)),
            ),
            Point::new(date_left, top),
            &date,
        );
    }
    top += (tag_height + gap) as i32;
    for line in title_lines {
        let _ = text::draw(&mut target, &line, Point::new(left, top), &title);
        top += title_height as i32;
    }
    top += gap as i32;
    for line in body_lines {
        let _ = text::draw(&mut target, &line, Point::new(left, top), &body);
        top += body_height as i32;
    }
}
