//! Two-factor sign-in: who must use it, what a typed code is, when a code counts as fresh for
//! a sensitive action, and when a matched code may be accepted (once).
use chrono::{DateTime, Duration, Utc};

use super::{Invalid, Role, UserKind};

/// A second factor entered within this long counts for sensitive actions (starting a Login
/// As, changing payout details, creating API secrets, resetting another user's factor).
pub const STEP_UP_WINDOW: Duration = Duration::minutes(15);

/// A sign-in that passed the password waits this long for its code.
pub const PENDING_SIGN_IN: Duration = Duration::minutes(5);

/// How many recovery codes a user gets (each works once).
pub const RECOVERY_CODES: usize = 10;

/// Who must sign in with a second factor: staff always, partner admins always, every partner
/// user when the partner requires it; customer users may choose.
pub fn required(kind: UserKind, role: Role, partner_requires_all: bool) -> bool {
    match kind {
        UserKind::Staff => true,
        UserKind::Partner => role == Role::Admin || partner_requires_all,
        UserKind::Customer => false,
    }
}

/// Where a session stands for a sensitive action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepUp {
    /// A code was entered within [`STEP_UP_WINDOW`].
    Fresh,
    /// The user has a second factor; the last code is older (or was never entered here).
    Stale,
    /// The user has no second factor to ask for.
    Missing,
}

impl StepUp {
    pub fn of(has_factor: bool, last_code_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match (has_factor, fresh(last_code_at, now)) {
            (false, _) => Self::Missing,
            (true, true) => Self::Fresh,
            (true, false) => Self::Stale,
        }
    }
}

/// The last code was entered recently enough for a sensitive action.
pub fn fresh(last_code_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_code_at.is_some_and(|at| at <= now && now - at <= STEP_UP_WINDOW)
}

/// A matched time step may be accepted only when it is later than the last one accepted:
/// a code works once, and an older code after a newer one is refused too.
pub fn accepts_step(matched: u64, last_accepted: Option<i64>) -> bool {
    last_accepted.is_none_or(|last| i64::try_from(matched).is_ok_and(|m| m > last))
}

/// What a user typed in the code field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeInput {
    /// Six digits from an authenticator app.
    Totp(String),
    /// A recovery code, lower-cased, without its dash.
    Recovery(String),
}

impl CodeInput {
    /// Spaces and dashes are ignored; six digits are an app's code, ten letters and digits a
    /// recovery code.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if s.is_empty() {
            return Err(Invalid(
                "Enter the 6-digit code from your authenticator app.".into(),
            ));
        }
        if s.len() == 6 && s.chars().all(|c| c.is_ascii_digit()) {
            return Ok(Self::Totp(s));
        }
        if s.len() == 10 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(Self::Recovery(s));
        }
        Err(Invalid(
            "Enter the 6-digit code from your authenticator app, or one of your recovery codes \
             (like abcde-12345)."
                .into(),
        ))
    }
}

/// Why a code was refused. The user sees one message for a wrong and a replayed code (an
/// attacker learns nothing from the difference); the audit log tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    Wrong,
    /// A code for a time step already accepted (or an earlier one).
    Replayed,
    /// A recovery code already used.
    RecoveryUsed,
    /// No factor to check against (not enrolled).
    NotEnrolled,
}

impl CodeRefusal {
    pub fn audit_reason(self) -> &'static str {
        match self {
            Self::Wrong => "wrong code",
            Self::Replayed => "code already used",
            Self::RecoveryUsed => "recovery code already used",
            Self::NotEnrolled => "no second factor set up",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Wrong | Self::Replayed => {
                "That code is not valid. Codes work once: wait for the next code in your app."
            }
            Self::RecoveryUsed => "That recovery code has already been used.",
            Self::NotEnrolled => "Two-factor sign-in is not set up for this user.",
        }
    }
}

/// A recovery code as shown to the user: two groups of five.
pub fn show_recovery(code: &str) -> String {
    if code.len() == 10 {
        format!("{}-{}", &code[..5], &code[5..])
    } else {
        code.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_must_use_a_second_factor() {
        use UserKind::{Customer, Partner, Staff};
        let table = [
            (Staff, Role::Staff, false, true),
            (Staff, Role::Admin, false, true),
            (Partner, Role::Admin, false, true),
            (Partner, Role::Member, false, false),
            (Partner, Role::Member, true, true),
            (Customer, Role::Admin, false, false),
            (Customer, Role::Admin, true, false),
        ];
        for (kind, role, all, want) in table {
            assert_eq!(required(kind, role, all), want, "{kind:?} {role:?} {all}");
        }
    }

    #[test]
    fn fresh_means_within_fifteen_minutes_and_not_in_the_future() {
        let now = Utc::now();
        assert!(!fresh(None, now));
        assert!(fresh(Some(now), now));
        assert!(fresh(Some(now - Duration::minutes(15)), now));
        assert!(!fresh(
            Some(now - Duration::minutes(15) - Duration::seconds(1)),
            now
        ));
        assert!(!fresh(Some(now + Duration::minutes(1)), now));
    }

    #[test]
    fn a_step_is_accepted_once_and_never_an_older_one() {
        assert!(accepts_step(100, None));
        assert!(accepts_step(101, Some(100)));
        assert!(!accepts_step(100, Some(100)));
        assert!(!accepts_step(99, Some(100)));
    }

    #[test]
    fn typed_codes() {
        assert_eq!(
            CodeInput::parse(" 123 456 "),
            Ok(CodeInput::Totp("123456".into()))
        );
        assert_eq!(
            CodeInput::parse("ABCDE-12345"),
            Ok(CodeInput::Recovery("abcde12345".into()))
        );
        assert!(CodeInput::parse("").is_err());
        assert!(CodeInput::parse("12345").is_err());
        assert!(CodeInput::parse("1234567").is_err());
        assert!(CodeInput::parse("abc!e12345").is_err());
        assert_eq!(show_recovery("abcde12345"), "abcde-12345");
    }
}
