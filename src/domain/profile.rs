//! Names, country codes and phone numbers as people type them into profile forms.
use super::{countries, Invalid};

/// A name or company name: trimmed, 1–200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainName(String);

impl PlainName {
    pub fn parse(raw: &str, what: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(Invalid(format!("Enter the {what}.")));
        }
        if s.chars().count() > 200 {
            return Err(Invalid(format!(
                "The {what} can be at most 200 characters."
            )));
        }
        if s.chars().any(char::is_control) {
            return Err(Invalid(format!(
                "The {what} contains characters that are not allowed."
            )));
        }
        Ok(Self(s.to_string()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An assigned ISO 3166-1 alpha-2 code, upper-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_uppercase();
        if s.is_empty() {
            return Err(Invalid::new("Choose a country."));
        }
        match countries::name(&s) {
            Some(_) => Ok(Self(s)),
            None => Err(Invalid::new(
                "Choose a country from the list (a two-letter ISO code).",
            )),
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number: digits with optional `+`, spaces, dots, dashes and parentheses; 6–15 digits
/// (E.164 allows at most 15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(Invalid::new("Enter a phone number."));
        }
        let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
        let digits = s.chars().filter(char::is_ascii_digit).count();
        if !s.chars().all(allowed) || s[1..].contains('+') || !(6..=15).contains(&digits) {
            return Err(Invalid::new(
                "Enter a phone number with 6 to 15 digits, like +44 20 7946 0958.",
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            PlainName::parse("  Acme ", "company name")
                .unwrap()
                .into_inner(),
            "Acme"
        );
        assert!(PlainName::parse("   ", "company name").is_err());
        assert!(PlainName::parse(&"a".repeat(201), "name").is_err());
        assert!(PlainName::parse("a\u{0}b", "name").is_err());
    }

    #[test]
    fn countries_must_be_assigned_codes() {
        assert_eq!(CountryCode::parse("de").unwrap().into_inner(), "DE");
        assert!(CountryCode::parse("XX").is_err());
        assert!(CountryCode::parse("").is_err());
    }

    #[test]
    fn phones_need_six_to_fifteen_digits() {
        assert!(Phone::parse("+44 20 7946 0958").is_ok());
        assert!(Phone::parse("(555) 010-2000").is_ok());
        assert!(Phone::parse("12345").is_err());
        assert!(Phone::parse("call me").is_err());
        assert!(Phone::parse("12+3456789").is_err());
    }
}
