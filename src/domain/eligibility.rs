//! Whether an account may be registered to a partner: every rule of the design, each with a
//! plain-language verdict. The same rules run when a partner adds a customer and again when
//! staff approve. Pure: the facts are gathered by the service.
use super::{account::BillingMode, money::Money, registration::Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    AccountExists,
    NotThePartnerItself,
    NotAlreadyWithThisPartner,
    NotWithAnotherPartner,
    NoCreditBalance,
    NoServicesInUse,
    NoDiscounts,
    NotInPoc,
    Prepaid,
}

impl Rule {
    /// A stable name, used in the API's `errors` and in tests.
    pub fn code(self) -> &'static str {
        match self {
            Self::AccountExists => "account_exists",
            Self::NotThePartnerItself => "not_the_partner_itself",
            Self::NotAlreadyWithThisPartner => "not_already_with_this_partner",
            Self::NotWithAnotherPartner => "not_with_another_partner",
            Self::NoCreditBalance => "no_credit_balance",
            Self::NoServicesInUse => "no_services_in_use",
            Self::NoDiscounts => "no_discounts",
            Self::NotInPoc => "not_in_poc",
            Self::Prepaid => "prepaid_billing",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::AccountExists => "The account exists",
            Self::NotThePartnerItself => "It is not your own organisation",
            Self::NotAlreadyWithThisPartner => "It is not already your customer",
            Self::NotWithAnotherPartner => "No other partner holds it",
            Self::NoCreditBalance => "No credit balance",
            Self::NoServicesInUse => "Uses no services",
            Self::NoDiscounts => "Receives no discounts",
            Self::NotInPoc => "Not in a proof of concept",
            Self::Prepaid => "Billed prepaid",
        }
    }

    /// The rule as staff read it on an approval request (`title` speaks to the partner).
    pub fn staff_title(self) -> &'static str {
        match self {
            Self::NotThePartnerItself => "It is not the partner's own organisation",
            Self::NotAlreadyWithThisPartner => "It is not already this partner's customer",
            other => other.title(),
        }
    }
}

/// What is known about the account, relative to the partner asking.
#[derive(Debug, Clone, Default)]
pub struct AccountFacts {
    pub credit_balances: Vec<Money>,
    pub services: Vec<String>,
    pub discounts: Vec<String>,
    pub in_poc: bool,
    pub billing_mode: BillingMode,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `None`: no account has that email.
    pub account: Option<AccountFacts>,
    /// The email belongs to one of the partner's own users.
    pub is_partner_itself: bool,
    /// A live registration of this account with this partner (other than the one re-checked).
    pub with_this_partner: Option<Status>,
    /// A live registration with another partner.
    pub with_other_partner: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub rule: Rule,
    pub passed: bool,
    /// For a failure: what is wrong and what to do about it.
    pub message: String,
}

impl Verdict {
    pub fn code(&self) -> &'static str {
        self.rule.code()
    }
}

fn verdict(rule: Rule, failure: Option<String>) -> Verdict {
    Verdict {
        rule,
        passed: failure.is_none(),
        message: failure.unwrap_or_default(),
    }
}

/// Every rule, in the order people read them. For a new account only the rules that can
/// apply to it are listed (it has no balance, services or other partner yet).
pub fn check(f: &Facts) -> Vec<Verdict> {
    let mut out = vec![
        verdict(
            Rule::NotThePartnerItself,
            f.is_partner_itself.then(|| {
                "This email belongs to a user of your own organisation; register your customers, not yourself.".to_string()
            }),
        ),
        verdict(
            Rule::NotAlreadyWithThisPartner,
            f.with_this_partner.map(|s| match s {
                Status::Active => "This account is already your customer.".to_string(),
                _ => format!("You already registered this account; the request is {}.", s.label().to_lowercase()),
            }),
        ),
    ];
    let Some(a) = &f.account else {
        out.push(verdict(
            Rule::AccountExists,
            Some("No account uses this email. Check the address, or register a new customer instead.".into()),
        ));
        return out;
    };
    out.push(verdict(Rule::AccountExists, None));
    out.push(verdict(
        Rule::NotWithAnotherPartner,
        (f.with_other_partner && f.with_this_partner.is_none()).then(|| {
            "Another partner already manages this account or has asked to. The customer must end that relationship first.".to_string()
        }),
    ));
    let balances: Vec<String> = a
        .credit_balances
        .iter()
        .filter(|m| !m.is_zero())
        .map(Money::to_string)
        .collect();
    out.push(verdict(
        Rule::NoCreditBalance,
        (!balances.is_empty()).then(|| {
            format!(
                "The account still holds a credit balance of {}. The provider must use up or remove it first.",
                balances.join(" and ")
            )
        }),
    ));
    out.push(verdict(
        Rule::NoServicesInUse,
        (!a.services.is_empty()).then(|| {
            format!(
                "The account uses {} service{}: {}. Accounts already using services stay with the provider.",
                a.services.len(),
                if a.services.len() == 1 { "" } else { "s" },
                a.services.join(", ")
            )
        }),
    ));
    out.push(verdict(
        Rule::NoDiscounts,
        (!a.discounts.is_empty()).then(|| {
            format!(
                "The account receives a discount from the provider ({}). It must end before a partner can take the account.",
                a.discounts.join(", ")
            )
        }),
    ));
    out.push(verdict(
        Rule::NotInPoc,
        a.in_poc.then(|| {
            "The account is in a proof of concept with the provider. Wait until the POC ends."
                .to_string()
        }),
    ));
    out.push(verdict(
        Rule::Prepaid,
        (a.billing_mode != BillingMode::Prepaid).then(|| {
            format!(
                "The account is billed {}; only prepaid accounts can be registered. Ask the provider to switch it to prepaid.",
                a.billing_mode.as_str()
            )
        }),
    ));
    out
}

pub fn failures(verdicts: &[Verdict]) -> Vec<&Verdict> {
    verdicts.iter().filter(|v| !v.passed).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean() -> Facts {
        Facts {
            account: Some(AccountFacts {
                billing_mode: BillingMode::Prepaid,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn failed(f: &Facts) -> Vec<Rule> {
        check(f)
            .into_iter()
            .filter(|v| !v.passed)
            .map(|v| v.rule)
            .collect()
    }

    #[test]
    fn a_clean_prepaid_account_passes_every_rule() {
        assert!(failed(&clean()).is_empty());
        assert_eq!(check(&clean()).len(), 9);
    }

    #[test]
    fn each_rule_fails_by_name_with_a_fix() {
        let mut f = clean();
        f.account.as_mut().unwrap().credit_balances =
            vec![Money::new(25_000, crate::domain::Currency::Usd)];
        assert_eq!(failed(&f), [Rule::NoCreditBalance]);
        assert!(check(&f)
            .iter()
            .any(|v| v.message.contains("credit balance of $250.00")));

        let mut f = clean();
        f.account.as_mut().unwrap().services = vec!["Compute".into(), "Backup".into()];
        assert_eq!(failed(&f), [Rule::NoServicesInUse]);

        let mut f = clean();
        f.account.as_mut().unwrap().discounts = vec!["Launch 20%".into()];
        assert_eq!(failed(&f), [Rule::NoDiscounts]);

        let mut f = clean();
        f.account.as_mut().unwrap().in_poc = true;
        assert_eq!(failed(&f), [Rule::NotInPoc]);

        let mut f = clean();
        f.account.as_mut().unwrap().billing_mode = BillingMode::Postpaid;
        assert_eq!(failed(&f), [Rule::Prepaid]);

        let mut f = clean();
        f.is_partner_itself = true;
        assert_eq!(failed(&f), [Rule::NotThePartnerItself]);

        let mut f = clean();
        f.with_other_partner = true;
        assert_eq!(failed(&f), [Rule::NotWithAnotherPartner]);

        let mut f = clean();
        f.with_this_partner = Some(Status::Active);
        assert_eq!(failed(&f), [Rule::NotAlreadyWithThisPartner]);

        let f = Facts::default();
        assert_eq!(failed(&f), [Rule::AccountExists]);
    }

    #[test]
    fn a_zero_balance_is_no_balance() {
        let mut f = clean();
        f.account.as_mut().unwrap().credit_balances =
            vec![Money::new(0, crate::domain::Currency::Usd)];
        assert!(failed(&f).is_empty());
    }
}
