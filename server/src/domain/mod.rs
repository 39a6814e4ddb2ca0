//! The home's rules: members, activities, check-in resolution and compliance.
//!
//! Plain types and pure functions of (state, now, time zone). Nothing here knows HTTP or SQL:
//! the store feeds facts in, the HTTP layer turns raw input into these types through `parse`
//! functions whose error text is what the user reads (Simplified Chinese).

pub mod access;
pub mod activity;
pub mod advice;
pub mod checkin;
pub mod compliance;
pub mod credential;
pub mod ids;
pub mod member;
mod now;
pub use now::Now;
pub mod phone;
pub mod rating;
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
    Ok(())
}
