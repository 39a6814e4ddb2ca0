//! Who may use the home: staff accounts (a person, by password) and devices (by token).

use std::fmt;

use super::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    Staff,
    /// May also manage accounts and devices.
    Admin,
}

impl StaffRole {
    pub fn code(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Admin => "admin",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "staff" => Some(Self::Staff),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceRole {
    /// The door touchscreen: check-ins and the reads its screens need.
    Kiosk,
}

impl DeviceRole {
    pub fn code(self) -> &'static str {
        match self {
            Self::Kiosk => "kiosk",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "kiosk" => Some(Self::Kiosk),
            _ => None,
        }
    }
}

/// A staff login name: 1 to 32 characters, no spaces or control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim();
        let length = name.chars().count();
        if !(1..=32).contains(&length) {
            return Err(Invalid::new("username", "用户名须为 1 到 32 个字符"));
        }
        if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new("username", "用户名不能含空格或控制字符"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: at least 8 characters (NIST SP 800-63B), at most 128.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 8;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let length = raw.chars().count();
        if length < Self::MIN_CHARS {
            return Err(Invalid::new("password", "密码至少需要 8 个字符"));
        }
        if length > 128 {
            return Err(Invalid::new("password", "密码不能超过 128 个字符"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_eight_characters() {
        assert!(NewPassword::parse("1234567").is_err());
        assert!(NewPassword::parse("12345678").is_ok());
        assert!(
            NewPassword::parse("八个汉字的密码啊").is_ok(),
            "characters, not bytes"
        );
    }

    #[test]
    fn usernames_have_no_spaces() {
        assert!(Username::parse("xiao wang").is_err());
        assert!(Username::parse("").is_err());
        assert_eq!(
            Username::parse(" 小王 ").map(|u| u.as_str().to_owned()),
            Ok("小王".to_owned())
        );
    }
}
