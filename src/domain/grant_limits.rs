//! Limits on the promotional credit a partner's users may give away, and the one decision a
//! grant goes through: applied at once, held for the provider's approval, or refused naming
//! the limit it would break.
//!
//! Two kinds of limit, per currency:
//! - a partner's admins limit what each *member* may grant per grant and per calendar month
//!   (the member's own grants that month and their pending requests). Admins are not bound by
//!   them. Unset is not "unlimited": a member may grant nothing until an admin sets both.
//! - the provider sets a monthly ceiling on what the partner as a whole grants (granted and
//!   pending that month, all its users). Unset, it is [`DEFAULT_CEILING_MAJOR`]. A grant above
//!   it is not refused: it waits for the provider's approval.
use std::fmt;

use sea_orm::{DeriveActiveEnum, EnumIter};

use super::{money::Currency, Money, Role};

/// The partner's monthly ceiling when the provider has set none: this many of the currency's
/// major unit (1,000.00 USD, ¥1,000).
pub const DEFAULT_CEILING_MAJOR: i64 = 1_000;

/// The ceiling that applies when the provider has set none.
pub fn default_ceiling(currency: Currency) -> Money {
    Money::new(
        DEFAULT_CEILING_MAJOR * 10_i64.pow(currency.decimals()),
        currency,
    )
}

/// The limits of one partner in one currency, as set (`None`: not set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub member_per_grant: Option<Money>,
    pub member_per_month: Option<Money>,
    /// The provider's ceiling; `None` means [`default_ceiling`].
    pub ceiling: Option<Money>,
}

impl Limits {
    pub fn none() -> Self {
        Self {
            member_per_grant: None,
            member_per_month: None,
            ceiling: None,
        }
    }

    /// The ceiling that applies in `currency`.
    pub fn ceiling_in(&self, currency: Currency) -> Money {
        self.ceiling.unwrap_or_else(|| default_ceiling(currency))
    }
}

/// What has been given away this calendar month (UTC), granted plus still pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthTotals {
    /// The acting user's own grants and pending requests.
    pub own: i64,
    /// The whole partner's (every user's) grants and pending requests.
    pub partner: i64,
}

/// Which limit a grant would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitRefusal {
    /// The partner's admins have set no member limit (or not both) in this currency.
    NotSet {
        currency: Currency,
    },
    PerGrant {
        limit: Money,
    },
    /// `total` is what the member's month would come to with this grant.
    PerMonth {
        limit: Money,
        total: Money,
    },
}

impl fmt::Display for LimitRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSet { currency } => write!(
                f,
                "Members may grant {currency} credit only within limits set by your \
                 organisation's admins, and none is set yet: ask an admin to set one."
            ),
            Self::PerGrant { limit } => write!(
                f,
                "Above your limit of {limit} per grant, set by your organisation's admins."
            ),
            Self::PerMonth { limit, total } => write!(
                f,
                "This would take your grants this month to {total}, above your monthly \
                 limit of {limit}."
            ),
        }
    }
}

/// What becomes of a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Written to the ledger now.
    Apply,
    /// Held as a request until the provider approves it: it would take the partner's month
    /// to `total`, above its `ceiling`.
    NeedsApproval {
        ceiling: Money,
        total: Money,
    },
    Refused(LimitRefusal),
}

/// Decides a grant of `amount` (positive, in the limits' currency) by a user of `role`.
/// Member limits come first (a member is refused before anything waits for the provider),
/// then the partner's ceiling, which binds admins and members alike.
pub fn decide(role: Role, limits: &Limits, month: MonthTotals, amount: Money) -> Decision {
    let currency = amount.currency;
    let money = |minor| Money::new(minor, currency);
    if role != Role::Admin {
        let (Some(per_grant), Some(per_month)) = (limits.member_per_grant, limits.member_per_month)
        else {
            return Decision::Refused(LimitRefusal::NotSet { currency });
        };
        if amount.minor > per_grant.minor {
            return Decision::Refused(LimitRefusal::PerGrant { limit: per_grant });
        }
        let own = month.own.saturating_add(amount.minor);
        if own > per_month.minor {
            return Decision::Refused(LimitRefusal::PerMonth {
                limit: per_month,
                total: money(own),
            });
        }
    }
    let ceiling = limits.ceiling_in(currency);
    let total = month.partner.saturating_add(amount.minor);
    if total > ceiling.minor {
        return Decision::NeedsApproval {
            ceiling,
            total: money(total),
        };
    }
    Decision::Apply
}

/// Where a grant held for the provider's approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum GrantRequestStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "refused")]
    Refused,
}

impl GrantRequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Refused => "refused",
        }
    }

    /// As the partner reads it on the customer's credits page.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Waiting for the provider's approval",
            Self::Approved => "Approved by the provider",
            Self::Refused => "Refused by the provider",
        }
    }

    pub fn tone(self) -> &'static str {
        match self {
            Self::Pending => "warning",
            Self::Approved => "success",
            Self::Refused => "danger",
        }
    }

    /// Only a pending request can still be approved or refused.
    pub fn is_pending(self) -> bool {
        self == Self::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EUR: Currency = Currency::Eur;

    fn eur(major: i64) -> Money {
        Money::new(major * 100, EUR)
    }

    fn limits(per_grant: Option<i64>, per_month: Option<i64>, ceiling: Option<i64>) -> Limits {
        Limits {
            member_per_grant: per_grant.map(eur),
            member_per_month: per_month.map(eur),
            ceiling: ceiling.map(eur),
        }
    }

    fn month(own: i64, partner: i64) -> MonthTotals {
        MonthTotals {
            own: own * 100,
            partner: partner * 100,
        }
    }

    #[test]
    fn decisions() {
        use Decision::*;
        use LimitRefusal::*;
        use Role::{Admin, Member};
        let not_set = Refused(NotSet { currency: EUR });
        #[rustfmt::skip]
        let table: Vec<(&str, Role, Limits, MonthTotals, i64, Decision)> = vec![
            ("a member without limits grants nothing", Member, Limits::none(), month(0, 0), 1, not_set),
            ("a per-grant limit alone is not enough", Member, limits(Some(200), None, None), month(0, 0), 1, not_set),
            ("a monthly limit alone is not enough", Member, limits(None, Some(500), None), month(0, 0), 1, not_set),
            ("a member within both limits", Member, limits(Some(200), Some(500), None), month(0, 0), 200, Apply),
            ("a member above the per-grant limit", Member, limits(Some(200), Some(500), None), month(0, 0), 201, Refused(PerGrant { limit: eur(200) })),
            ("a member reaching the monthly limit exactly", Member, limits(Some(200), Some(500), None), month(300, 300), 200, Apply),
            ("a member above the monthly limit", Member, limits(Some(200), Some(500), None), month(450, 450), 200, Refused(PerMonth { limit: eur(500), total: eur(650) })),
            ("a zero limit refuses every grant", Member, limits(Some(0), Some(0), None), month(0, 0), 1, Refused(PerGrant { limit: eur(0) })),
            ("the member limit is checked before the ceiling", Member, limits(Some(200), Some(500), Some(100)), month(0, 0), 300, Refused(PerGrant { limit: eur(200) })),
            ("a member within limits above the ceiling waits", Member, limits(Some(200), Some(500), Some(100)), month(0, 0), 150, NeedsApproval { ceiling: eur(100), total: eur(150) }),
            ("an admin ignores member limits", Admin, Limits::none(), month(0, 0), 900, Apply),
            ("an admin up to the default ceiling", Admin, Limits::none(), month(0, 400), 600, Apply),
            ("an admin above the default ceiling waits", Admin, Limits::none(), month(0, 400), 601, NeedsApproval { ceiling: eur(1_000), total: eur(1_001) }),
            ("pending requests count towards the ceiling", Admin, limits(None, None, Some(50)), month(0, 50), 1, NeedsApproval { ceiling: eur(50), total: eur(51) }),
            ("a raised ceiling", Admin, limits(None, None, Some(5_000)), month(0, 4_000), 1_000, Apply),
            ("other users' grants do not count towards a member's month", Member, limits(Some(200), Some(500), None), month(0, 900), 100, Apply),
        ];
        for (what, role, limits, month, amount, expected) in table {
            assert_eq!(
                decide(role, &limits, month, eur(amount)),
                expected,
                "{what}"
            );
        }
    }

    #[test]
    fn the_default_ceiling_is_a_thousand_in_the_major_unit() {
        assert_eq!(default_ceiling(Currency::Usd).to_string(), "$1,000.00");
        assert_eq!(default_ceiling(Currency::Jpy).minor, 1_000);
    }

    #[test]
    fn refusals_name_the_limit() {
        assert_eq!(
            LimitRefusal::PerGrant { limit: eur(200) }.to_string(),
            "Above your limit of €200.00 per grant, set by your organisation's admins."
        );
        assert_eq!(
            LimitRefusal::PerMonth {
                limit: eur(500),
                total: eur(650)
            }
            .to_string(),
            "This would take your grants this month to €650.00, above your monthly limit of \
             €500.00."
        );
    }
}
