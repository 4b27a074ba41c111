//! Who is acting: the typed principal a request runs as, built from the session.
use chrono::{DateTime, Utc};

use crate::{
    domain::{AccountId, UserKind},
    services::{
        audit::Actor,
        views::{Partner, User},
    },
};

/// A partner user acting as one of its customer's users (Login As), until a time.
#[derive(Debug, Clone)]
pub struct ActingAs {
    /// The customer user whose pages are shown.
    pub customer: User,
    pub account: AccountId,
    /// The partner user who acts, and their org.
    pub by: User,
    pub partner: Partner,
    /// The customer's company, for the banner.
    pub customer_company: String,
    /// The registration it runs under (the way back leads to its page).
    pub registration: crate::domain::RegistrationId,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub enum Principal {
    Staff(User),
    Partner { user: User, partner: Partner },
    Customer { user: User, account: AccountId },
    ActingAs(Box<ActingAs>),
}

impl Principal {
    /// From a signed-in user and their org; `None` for a record that fits no kind (a partner
    /// user without an org, a customer user without an account).
    pub fn of(user: User, partner: Option<Partner>) -> Option<Self> {
        match (user.kind, partner, user.account_id) {
            (UserKind::Staff, _, _) => Some(Self::Staff(user)),
            (UserKind::Partner, Some(partner), _) => Some(Self::Partner { user, partner }),
            (UserKind::Customer, _, Some(account)) => Some(Self::Customer { user, account }),
            _ => None,
        }
    }

    /// From what the session loaded: a partner user acting as a customer user (Login As) when
    /// the session says so and the customer user is still an active user of that account.
    pub fn from_signed_in(s: super::session::SignedIn) -> Option<Self> {
        match (s.acting, s.partner) {
            (Some(a), Some(partner))
                if s.user.kind == UserKind::Partner
                    && a.customer.active
                    && a.customer.kind == UserKind::Customer
                    && a.customer.account_id.map(|x| x.uuid()) == Some(a.acting.account) =>
            {
                Some(Self::ActingAs(Box::new(ActingAs {
                    account: AccountId(a.acting.account),
                    customer: a.customer,
                    customer_company: a.acting.company.clone(),
                    by: s.user,
                    partner,
                    registration: crate::domain::RegistrationId(a.acting.registration),
                    since: a.acting.since,
                    until: a.acting.until,
                })))
            }
            // A Login As whose customer user is gone: the partner user's own session.
            (_, partner) => Self::of(s.user, partner),
        }
    }

    /// The user whose pages these are (for Login As, the customer user).
    pub fn user(&self) -> &User {
        match self {
            Self::Staff(user) | Self::Partner { user, .. } | Self::Customer { user, .. } => user,
            Self::ActingAs(a) => &a.customer,
        }
    }

    /// Who the audit log names: for Login As, the partner user acting as the customer's.
    pub fn actor(&self) -> Actor {
        match self {
            Self::ActingAs(a) => Actor {
                user_id: Some(a.by.id.uuid()),
                label: format!("{} as {}", a.by.label(), a.customer.label()),
            },
            other => Actor::user(other.user()),
        }
    }

    pub fn is_staff(&self) -> bool {
        matches!(self, Self::Staff(_))
    }

    pub fn is_customer(&self) -> bool {
        matches!(self, Self::Customer { .. } | Self::ActingAs(_))
    }

    /// The partner org the user belongs to (or, for Login As, acts for).
    pub fn partner(&self) -> Option<&Partner> {
        match self {
            Self::Partner { partner, .. } => Some(partner),
            Self::ActingAs(a) => Some(&a.partner),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PartnerId, Role, UserId};

    fn user(kind: UserKind, role: Role) -> User {
        User {
            id: UserId(uuid::Uuid::new_v4()),
            email: "a@example.com".into(),
            name: "Ann".into(),
            kind,
            role,
            partner_id: None,
            account_id: None,
            active: true,
            created_at: Utc::now(),
            last_sign_in_at: None,
            two_factor: false,
        }
    }

    fn partner() -> Partner {
        Partner {
            id: PartnerId(uuid::Uuid::new_v4()),
            company_name: "Reseller Co".into(),
            contact_name: "Pat".into(),
            country: "DE".into(),
            phone: String::new(),
            active: true,
            created_at: Utc::now(),
            members_login_as: false,
            require_two_factor: false,
            paid_12m: None,
        }
    }

    #[test]
    fn each_kind_of_user_becomes_its_principal_and_misfits_none() {
        assert!(
            Principal::of(user(UserKind::Staff, Role::Staff), None).is_some_and(|p| p.is_staff())
        );
        assert!(matches!(
            Principal::of(user(UserKind::Partner, Role::Admin), Some(partner())),
            Some(Principal::Partner { .. })
        ));
        assert!(Principal::of(user(UserKind::Partner, Role::Admin), None).is_none());
        assert!(Principal::of(user(UserKind::Customer, Role::Admin), None).is_none());
        let mut c = user(UserKind::Customer, Role::Admin);
        c.account_id = Some(AccountId(uuid::Uuid::new_v4()));
        assert!(Principal::of(c, None).is_some_and(|p| p.is_customer()));
    }

    #[test]
    fn login_as_is_audited_as_the_partner_user_acting_as_the_customer_user() {
        let mut customer = user(UserKind::Customer, Role::Admin);
        customer.name = "Cora".into();
        customer.email = "cora@x.example".into();
        let by = user(UserKind::Partner, Role::Member);
        let p = Principal::ActingAs(Box::new(ActingAs {
            account: AccountId(uuid::Uuid::new_v4()),
            customer,
            by: by.clone(),
            partner: partner(),
            customer_company: "Acme".into(),
            registration: crate::domain::RegistrationId(uuid::Uuid::new_v4()),
            since: Utc::now(),
            until: Utc::now(),
        }));
        let actor = p.actor();
        assert_eq!(actor.user_id, Some(by.id.uuid()));
        assert_eq!(actor.label, "Ann <a@example.com> as Cora <cora@x.example>");
        assert_eq!(p.user().name, "Cora");
    }
}
