//! A new password that meets the policy: 10–128 characters, not a well-known password, not
//! one repeated character, and not the user's email. (NIST 800-63B: length over composition.)
use super::Invalid;

pub struct NewPassword(String);

const COMMON: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "password1234",
    "1234567890",
    "12345678910",
    "0123456789",
    "qwertyuiop",
    "qwerty1234",
    "qwerty12345",
    "1q2w3e4r5t",
    "iloveyou12",
    "letmein123",
    "welcome123",
    "admin12345",
    "passw0rd12",
    "abcdefghij",
    "abc1234567",
    "changeme12",
    "trustno1234",
    "football12",
    "baseball12",
    "sunshine12",
    "princess12",
    "dragon1234",
    "monkey1234",
    "superman12",
    "michael123",
    "partner123",
    "0987654321",
    "1111111111",
    "aaaaaaaaaa",
    "zaq12wsxcde",
    "asdfghjkl1",
    "password!1",
];

impl NewPassword {
    pub fn parse(raw: &str, email: Option<&str>) -> Result<Self, Invalid> {
        let n = raw.chars().count();
        if n < 10 {
            return Err(Invalid::new("Use at least 10 characters."));
        }
        if n > 128 {
            return Err(Invalid::new("Use at most 128 characters."));
        }
        let lower = raw.to_lowercase();
        let first = lower.chars().next();
        if lower.chars().all(|c| Some(c) == first) || COMMON.contains(&lower.as_str()) {
            return Err(Invalid::new(
                "This password is too easy to guess; choose a less common one.",
            ));
        }
        if email.is_some_and(|e| lower == e.to_lowercase() || lower.contains(&e.to_lowercase())) {
            return Err(Invalid::new(
                "Do not use your email address as your password.",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        assert!(NewPassword::parse("short", None).is_err());
        assert!(NewPassword::parse("password123", None).is_err());
        assert!(NewPassword::parse("zzzzzzzzzzzz", None).is_err());
        assert!(NewPassword::parse("ann@example.com", Some("ann@example.com")).is_err());
        assert!(NewPassword::parse(&"x".repeat(129), None).is_err());
    }

    #[test]
    fn a_long_unusual_password_is_accepted() {
        assert!(NewPassword::parse("correct horse battery", None).is_ok());
    }
}
