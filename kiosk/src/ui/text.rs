//! Text in any size from an embedded CJK font (Noto Sans CJK SC, cut down to the 8,105
//! characters of 通用规范汉字表 plus ASCII and punctuation; see `assets/fonts/README.md`).
//!
//! Bitmap fonts stop at 16 px, about 3 mm on a 7-inch panel; names must read from a metre, so
//! glyphs are rasterised from outlines (fontdue) and blended onto the known background colour.
//! Rasterised glyphs are cached: a screen redraw reuses them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKsc-Regular-subset.otf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKsc-Bold-subset.otf");

/// Drawn for a character the font lacks, so a gap never hides silently.
const REPLACEMENT: char = '□';
const CACHE_LIMIT: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Pixel size of the em square (a CJK character is about this wide).
    pub size: u32,
    pub weight: Weight,
    pub color: Rgb565,
    /// What the text is drawn on; edges are blended towards it.
    pub background: Rgb565,
}

impl Style {
    pub fn new(size: u32, weight: Weight, color: Rgb565, background: Rgb565) -> Self {
        Self {
            size,
            weight,
            color,
            background,
        }
    }
}

#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the embedded font cannot be read: {0}")]
pub struct FontError(#[source] ab_glyph::InvalidFont);

/// The two faces, read in place from the binary: outlines are parsed only when a glyph is
/// first drawn, so the 16,000 glyphs cost no memory until used (a font library that builds
/// every outline up front took 80 MB here).
struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
    cache: Mutex<HashMap<(char, u32, Weight), Glyph>>,
}

/// A rasterised glyph: coverage (0-255), row by row `width` wide, of a box whose top-left
/// sits at (`left`, `top`) from the pen position on the baseline.
#[derive(Clone)]
struct Glyph {
    left: i32,
    top: i32,
    width: u32,
    advance: f32,
    coverage: Arc<Vec<u8>>,
}

static FONTS: OnceLock<Result<Fonts, FontError>> = OnceLock::new();

fn fonts() -> Result<&'static Fonts, &'static FontError> {
    FONTS.get_or_init(load).as_ref()
}

fn load() -> Result<Fonts, FontError> {
    Ok(Fonts {
        regular: FontRef::try_from_slice(REGULAR).map_err(FontError)?,
        bold: FontRef::try_from_slice(BOLD).map_err(FontError)?,
        cache: Mutex::new(HashMap::new()),
    })
}

/// Loads the fonts now, so a broken build fails at start-up rather than on the first scan.
pub fn init() -> Result<(), FontError> {
    fonts().map(drop).map_err(|e| *e)
}

impl Fonts {
    fn face(&self, weight: Weight) -> &FontRef<'static> {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// ab_glyph scales by line height; kejia sizes text by its em square, as CSS does.
    fn scale(&self, size: u32, weight: Weight) -> PxScale {
        let face = self.face(weight);
        let em = face.units_per_em().unwrap_or(1000.0);
        PxScale::from(size as f32 * face.height_unscaled() / em)
    }

    fn glyph_id(&self, c: char, weight: Weight) -> GlyphId {
        let face = self.face(weight);
        match face.glyph_id(c) {
            GlyphId(0) if c != ' ' => face.glyph_id(REPLACEMENT),
            id => id,
        }
    }

    fn glyph(&self, c: char, size: u32, weight: Weight) -> Glyph {
        let key = (c, size, weight);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(glyph) = cache.get(&key) {
            return glyph.clone();
        }
        let glyph = self.rasterise(c, size, weight);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, glyph.clone());
        glyph
    }

    fn rasterise(&self, c: char, size: u32, weight: Weight) -> Glyph {
        let face = self.face(weight);
        let scale = self.scale(size, weight);
        let id = self.glyph_id(c, weight);
        let advance = face.as_scaled(scale).h_advance(id);
        let empty = Glyph {
            left: 0,
            top: 0,
            width: 0,
            advance,
            coverage: Arc::new(Vec::new()),
        };
        let Some(outline) = face.outline_glyph(id.with_scale_and_position(scale, point(0.0, 0.0)))
        else {
            return empty;
        };
        let bounds = outline.px_bounds();
        let (width, height) = (bounds.width() as u32, bounds.height() as u32);
        let mut coverage = vec![0u8; width as usize * height as usize];
        outline.draw(|x, y, c| {
            if let Some(cell) = coverage.get_mut(y as usize * width as usize + x as usize) {
                *cell = (c.clamp(0.0, 1.0) * 255.0).round() as u8;
            }
        });
        Glyph {
            left: bounds.min.x as i32,
            top: bounds.min.y as i32,
            width,
            advance,
            coverage: Arc::new(coverage),
        }
    }

    fn ascent(&self, size: u32, weight: Weight) -> i32 {
        self.face(weight)
            .as_scaled(self.scale(size, weight))
            .ascent()
            .round() as i32
    }

    fn descent(&self, size: u32, weight: Weight) -> i32 {
        self.face(weight)
            .as_scaled(self.scale(size, weight))
            .descent()
            .round() as i32
    }
}

/// How far below its line (`line_height`) a line's ink may reach: `draw` puts the baseline low
/// in the line, so descenders hang under it. A box that must hold the ink whole allows this
/// much under its last line.
pub fn overhang(style: &Style) -> u32 {
    let Ok(fonts) = fonts() else { return 0 };
    let lowest = baseline_offset(fonts, style) - fonts.descent(style.size, style.weight);
    u32::try_from(lowest - line_height(style) as i32).unwrap_or(0)
}

/// From a line's top to its baseline.
fn baseline_offset(fonts: &Fonts, style: &Style) -> i32 {
    fonts.ascent(style.size, style.weight) + (line_height(style) as i32 - style.size as i32) / 2
}

/// Whether the embedded font can draw `c` (rather than the replacement box).
pub fn has_glyph(c: char) -> bool {
    fonts().is_ok_and(|f| f.regular.glyph_id(c) != GlyphId(0) && f.bold.glyph_id(c) != GlyphId(0))
}

/// Width in pixels `text` takes in `style`.
pub fn width(text: &str, style: &Style) -> u32 {
    let Ok(fonts) = fonts() else { return 0 };
    let advance: f32 = text
        .chars()
        .map(|c| fonts.glyph(c, style.size, style.weight).advance)
        .sum();
    advance.ceil() as u32
}

/// The height of a line of text in `style`, top to bottom.
pub fn line_height(style: &Style) -> u32 {
    style.size * 13 / 10
}

/// `text`, shortened with an ellipsis if it is wider than `max_width`.
pub fn fit(text: &str, style: &Style, max_width: u32) -> String {
    if width(text, style) <= max_width {
        return text.to_owned();
    }
    let mut kept: Vec<char> = text.chars().collect();
    while !kept.is_empty() {
        kept.pop();
        let candidate: String = kept.iter().chain(std::iter::once(&'…')).collect();
        if width(&candidate, style) <= max_width {
            return candidate;
        }
    }
    "…".to_owned()
}

/// `text` broken into at most `max_lines` lines no wider than `max_width`; the last line ends
/// with an ellipsis if the text goes on. Lines break between any two characters (Chinese needs
/// no spaces, and a very long word must not push the rest away), at a space instead when one
/// keeps a Latin word whole; spaces at a break are dropped. Linear in the length of `text`.
pub fn wrap(text: &str, style: &Style, max_width: u32, max_lines: usize) -> Vec<String> {
    let Ok(fonts) = fonts() else {
        return Vec::new();
    };
    let advance = |c: char| fonts.glyph(c, style.size, style.weight).advance;
    let max = max_width as f32;
    let chars: Vec<char> = text.chars().collect();
    let mut lines = Vec::new();
    let mut start = 0;
    while lines.len() < max_lines {
        while chars.get(start) == Some(&' ') {
            start += 1;
        }
        if start >= chars.len() {
            break;
        }
        // The longest run from `start` that fits; at least one character, so it always ends.
        let mut end = start;
        let mut used = 0.0;
        while let Some(&c) = chars.get(end) {
            let w = advance(c);
            if end > start && used + w > max {
                break;
            }
            used += w;
            end += 1;
        }
        if end >= chars.len() {
            lines.push(chars[start..].iter().collect::<String>());
            break;
        }
        if lines.len() + 1 == max_lines {
            // The last line: make room for the ellipsis (a line's worth of characters at most).
            let mut kept: String = chars[start..end].iter().collect();
            loop {
                kept.truncate(kept.trim_end().len());
                let line = format!("{kept}…");
                if kept.is_empty() || width(&line, style) <= max_width {
                    lines.push(line);
                    break;
                }
                kept.pop();
            }
            break;
        }
        // A line never starts with closing punctuation: its last character goes down with it.
        if chars.get(end).is_some_and(|c| closing(*c)) && end - start > 1 {
            end -= 1;
        }
        // Splitting a word of an alphabetic script: break at the last space instead, if any.
        let in_word = |i: usize| chars.get(i).is_some_and(|c| word_char(*c));
        if in_word(end - 1)
            && in_word(end)
            && let Some(space) = chars[start..end].iter().rposition(|c| *c == ' ')
        {
            end = start + space;
        }
        let line: String = chars[start..end].iter().collect();
        lines.push(line.trim_end().to_owned());
        start = end;
    }
    lines
}

/// Punctuation that may not begin a line of Chinese text.
fn closing(c: char) -> bool {
    "，。、；：！？）》」』】〉”’…·,.;:!?)]}".contains(c)
}

/// A letter or digit of a script that separates words with spaces (anything before the CJK
/// blocks).
fn word_char(c: char) -> bool {
    c.is_alphanumeric() && u32::from(c) < 0x2E80
}

/// Draws `text` with its top-left corner at `top_left`; returns the width drawn.
pub fn draw<D>(target: &mut D, text: &str, top_left: Point, style: &Style) -> Result<u32, D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    let Ok(fonts) = fonts() else { return Ok(0) };
    let baseline = top_left.y + baseline_offset(fonts, style);
    let mut pen = top_left.x as f32;
    for c in text.chars() {
        let glyph = fonts.glyph(c, style.size, style.weight);
        let left = pen.round() as i32 + glyph.left;
        let top = baseline + glyph.top;
        let width = glyph.width.max(1) as usize;
        let pixels = glyph
            .coverage
            .iter()
            .enumerate()
            .filter(|(_, a)| **a > 0)
            .map(|(i, a)| {
                let x = left + (i % width) as i32;
                let y = top + (i / width) as i32;
                Pixel(Point::new(x, y), blend(style.background, style.color, *a))
            });
        target.draw_iter(pixels)?;
        pen += glyph.advance;
    }
    Ok((pen - top_left.x as f32).ceil().max(0.0) as u32)
}

/// Draws `text` centred horizontally in `[left, left + span)`.
pub fn draw_centred<D>(
    target: &mut D,
    text: &str,
    left: i32,
    span: u32,
    top: i32,
    style: &Style,
) -> Result<u32, D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    let fitted = fit(text, style, span);
    let w = width(&fitted, style);
    let x = left + (span.saturating_sub(w) / 2) as i32;
    draw(target, &fitted, Point::new(x, top), style)
}

/// Mixes `fg` over `bg` by `alpha` (0-255), channel by channel in RGB565's own precision.
fn blend(bg: Rgb565, fg: Rgb565, alpha: u8) -> Rgb565 {
    let mix = |b: u8, f: u8| {
        ((u16::from(b) * (255 - u16::from(alpha)) + u16::from(f) * u16::from(alpha) + 127) / 255)
            as u8
    };
    Rgb565::new(
        mix(bg.r(), fg.r()),
        mix(bg.g(), fg.g()),
        mix(bg.b(), fg.b()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::mock_display::MockDisplay;

    #[test]
    fn every_character_of_the_general_standard_table_has_a_glyph_that_draws() {
        let list = include_str!("../../tests/data/tongyong-guifan-hanzi-8105.txt");
        let fonts = fonts().expect("fonts load");
        let chars: Vec<char> = list
            .lines()
            .filter_map(|l| l.split('\t').nth(1))
            .filter_map(|s| s.chars().next())
            .collect();
        assert_eq!(chars.len(), 8105);
        assert_eq!(
            chars.iter().filter(|c| u32::from(**c) > 0xFFFF).count(),
            196
        );
        let missing: Vec<char> = chars.iter().copied().filter(|c| !has_glyph(*c)).collect();
        assert!(
            missing.is_empty(),
            "{} characters without a glyph, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(10)]
        );
        for weight in [Weight::Regular, Weight::Bold] {
            let blank: Vec<char> = chars
                .iter()
                .copied()
                .filter(|c| {
                    fonts
                        .rasterise(*c, 16, weight)
                        .coverage
                        .iter()
                        .all(|a| *a == 0)
                })
                .collect();
            assert!(
                blank.is_empty(),
                "{weight:?}: glyphs that draw nothing: {:?}",
                &blank[..blank.len().min(10)]
            );
        }
    }

    #[test]
    fn text_is_drawn_in_its_colour_inside_its_box() {
        let mut display: MockDisplay<Rgb565> = MockDisplay::new();
        display.set_allow_overdraw(true);
        let style = Style::new(24, Weight::Bold, Rgb565::RED, Rgb565::WHITE);
        let drawn = draw(&mut display, "张", Point::new(4, 4), &style).expect("draw");
        assert!(
            (20..=28).contains(&drawn),
            "a CJK character is about one em wide: {drawn}"
        );
        let area = display.affected_area();
        assert!(area.top_left.x >= 4 && area.top_left.y >= 4, "{area:?}");
        assert!(area.size.height <= line_height(&style));
        let fully_red = (0..64)
            .flat_map(|y| (0..64).map(move |x| Point::new(x, y)))
            .filter(|p| display.get_pixel(*p) == Some(Rgb565::RED))
            .count();
        assert!(
            fully_red > 40,
            "solid strokes are in the text colour: {fully_red}"
        );
    }

    #[test]
    fn long_text_is_ellipsised_to_fit() {
        let style = Style::new(48, Weight::Regular, Rgb565::BLACK, Rgb565::WHITE);
        let fitted = fit("中华人民共和国科学技术协会", &style, 300);
        assert!(fitted.ends_with('…'));
        assert!(width(&fitted, &style) <= 300);
        assert_eq!(fit("张三", &style, 300), "张三");
    }

    #[test]
    fn wrapped_text_keeps_to_its_width_and_lines() {
        let style = Style::new(20, Weight::Regular, Rgb565::BLACK, Rgb565::WHITE);
        let text = "关于开展2026年全国科技活动周的通知，请各单位认真组织。Supercalifragilistic\
                    expialidocious-without-spaces-anywhere-at-all والعربية 😀 e\u{301}\u{302}";
        for lines in 1..6 {
            let wrapped = wrap(text, &style, 150, lines);
            assert!(!wrapped.is_empty() && wrapped.len() <= lines, "{wrapped:?}");
            for line in &wrapped {
                assert!(width(line, &style) <= 150, "{line:?}");
            }
        }
        let all = wrap(text, &style, 150, 100);
        assert!(
            all.iter().all(|l| !l.ends_with('…')),
            "everything fits: {all:?}"
        );
        let cut = wrap(text, &style, 150, 2);
        assert!(cut[1].ends_with('…'), "{cut:?}");
        assert_eq!(wrap("张三 李四", &style, 300, 3), vec!["张三 李四"]);
        assert_eq!(wrap("Hello world again", &style, 100, 3)[0], "Hello");
        let one = width("一", &style);
        let lines = wrap("一二三，四五", &style, 3 * one, 3);
        assert_eq!(
            lines,
            vec!["一二", "三，四", "五"],
            "no line starts with a comma"
        );
        assert!(wrap("", &style, 100, 3).is_empty());
        assert!(wrap("张三", &style, 100, 0).is_empty());
        // Narrower than one character: one character a line, never stuck.
        assert_eq!(wrap("张三李", &style, 1, 5).len(), 3);
    }

    #[test]
    fn a_character_outside_the_font_draws_a_visible_box() {
        let style = Style::new(24, Weight::Regular, Rgb565::BLACK, Rgb565::WHITE);
        assert!(!has_glyph('\u{E000}'));
        assert_eq!(width("\u{E000}", &style), width("□", &style));
    }
}
