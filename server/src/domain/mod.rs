//! The home's rules: members, activities, check-in resolution and compliance.
//!
//! Plain types and pure functions of (state, now, time zone). Nothing here knows HTTP or SQL:
//! the store feeds facts in, the HTTP layer turns raw input into these types through `parse`
//! functions whose error text is what the user reads (Simplified Chinese).

pub mod access;
pub mod activity;
pub mod advice;
pub mod calendar;
pub mod checkin;
pub mod compliance;
pub mod credential;
pub mod home;
pub mod ids;
pub mod member;
mod now;
pub use now::Now;
pub mod phone;
pub mod rating;
pub mod reach;
pub mod room;

use std::fmt;

/// A field a user sent that breaks a rule; the message says what is wrong, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Invalid {}

/// A request that is well formed but clashes with the current state (a 409 at the edge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict(pub String);

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Conflict {}

/// Trims a required free-text field and checks its length and that it holds no control
/// characters. The text is otherwise kept literally: escaping is the job of whoever shows it.
pub fn required_text(
    field: &'static str,
    label: &str,
    raw: &str,
    max_chars: usize,
) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Invalid::new(field, format!("{label}不能为空")));
    }
    check_text(field, label, text, max_chars)?;
    Ok(text.to_owned())
}

/// Like [`required_text`], but an absent or blank value is `None`.
pub fn optional_text(
    field: &'static str,
    label: &str,
    raw: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, Invalid> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            check_text(field, label, text, max_chars)?;
            Ok(Some(text.to_owned()))
        }
    }
}

fn check_text(
    field: &'static str,
    label: &str,
    text: &str,
    max_chars: usize,
) -> Result<(), Invalid> {
    if text.chars().count() > max_chars {
        return Err(Invalid::new(
            field,
            format!("{label}不能超过 {max_chars} 个字符"),
        ));
    }
    // Line breaks are fine in long texts (descriptions); other control characters never are.
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Invalid::new(field, format!("{label}含有不可见的控制字符")));
    }
    if text.chars().any(is_invisible) {
        return Err(Invalid::new(
            field,
            format!("{label}含有不可见的字符（如零宽空格或文字方向控制符），请删除后重新输入"),
        ));
    }
    Ok(())
}

/// Characters that take no room on screen or turn the text around them: zero-width spaces and
/// joiners, the byte-order mark, bidirectional embeddings, overrides and isolates, fillers that
/// render blank. Pasted into a name they make two names look alike (or a name read backwards
/// on the ledger), so they are refused rather than stored. Variation selectors stay: rare name
/// characters are written with them.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_bidi_characters_are_refused_in_chinese() {
        for text in [
            "张\u{202E}三",
            "张\u{200B}三",
            "\u{FEFF}张三",
            "张三\u{2066}",
            "\u{3164}",
            "李\u{200D}四",
            "王\u{E0041}五",
        ] {
            let refused = required_text("name", "姓名", text, 50).expect_err(text);
            assert_eq!(refused.field, "name");
            assert!(
                refused.message.starts_with("姓名含有不可见的字符"),
                "{refused}"
            );
            assert!(optional_text("title", "职称", Some(text), 50).is_err());
        }
    }

    #[test]
    fn visible_text_is_kept_literally() {
        for text in [
            "张三",
            "𠀀𪚥 张三",
            "O'Brien",
            "葛\u{E0100}",
            "讲座：<b>AI</b>",
        ] {
            assert_eq!(required_text("name", "姓名", text, 50).as_deref(), Ok(text));
        }
        assert_eq!(
            optional_text("description", "简介", Some("第一行\n第二行"), 50),
            Ok(Some("第一行\n第二行".to_owned()))
        );
    }
}
