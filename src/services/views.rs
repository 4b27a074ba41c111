//! What services hand to the faces: the records as typed values (typed ids, enums, money,
//! rates), built from the stored rows here and nowhere else. Handlers and templates never see
//! an entity model, and what a record allows comes from the domain, not from string checks.
use crate::domain::order::OrderStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    domain::{
        registration::Event, AccountId, AccountSource, AppId, BillingMode, Channel, CommissionRate,
        CreditKind, CustomerType, Money, PartnerId, ProductId, ProductKind, QuantityBounds,
        RegistrationId, Role, Status, UserId, UserKind,
    },
    entities::{
        account_discounts, account_services, accounts, api_apps, api_calls, audit_events,
        credit_ledger, partners, product_prices, products, registrations, users,
    },
};

/// A partner organisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partner {
    pub id: PartnerId,
    pub company_name: String,
    pub contact_name: String,
    /// ISO 3166 alpha-2.
    pub country: String,
    pub phone: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Members (not only admins) may Login As the customers' users.
    #[serde(default)]
    pub members_login_as: bool,
    /// Every user of the partner must sign in with a second factor.
    #[serde(default)]
    pub require_two_factor: bool,
    /// The currency and first month of the registrations' 12-month paid figures; `None`
    /// while they wait to be recomputed.
    #[serde(default)]
    pub paid_12m: Option<(crate::domain::Currency, String)>,
}

impl From<partners::Model> for Partner {
    fn from(p: partners::Model) -> Self {
        Self {
            id: p.id.into(),
            company_name: p.company_name,
            contact_name: p.contact_name,
            country: p.country,
            phone: p.phone,
            active: p.active,
            created_at: p.created_at,
            members_login_as: p.members_login_as,
            require_two_factor: p.require_two_factor,
            paid_12m: p.paid_12m_currency.zip(p.paid_12m_from),
        }
    }
}

/// A user of any kind (never its password hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub kind: UserKind,
    pub role: Role,
    pub partner_id: Option<PartnerId>,
    pub account_id: Option<AccountId>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Two-factor sign-in is turned on.
    #[serde(default)]
    pub two_factor: bool,
}

impl User {
    /// "Name <email>", as the audit log names people.
    pub fn label(&self) -> String {
        format!("{} <{}>", self.name, self.email)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

impl From<users::Model> for User {
    fn from(u: users::Model) -> Self {
        Self {
            id: u.id.into(),
            email: u.email,
            name: u.name,
            kind: u.kind,
            role: u.role,
            partner_id: u.partner_id.map(Into::into),
            account_id: u.account_id.map(Into::into),
            active: u.active,
            created_at: u.created_at,
            last_sign_in_at: u.last_sign_in_at,
            two_factor: u.totp_enabled_at.is_some() && u.totp_secret.is_some(),
        }
    }
}

/// A customer account.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub company_name: String,
    pub primary_email: String,
    /// ISO 3166 alpha-2.
    pub country: String,
    pub phone: String,
    pub data_center: String,
    pub tags: Vec<String>,
    pub billing_mode: BillingMode,
    pub in_poc: bool,
    pub active: bool,
    pub source: AccountSource,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Account {
    pub fn tags_text(&self) -> String {
        self.tags.join(", ")
    }
}

impl From<accounts::Model> for Account {
    fn from(a: accounts::Model) -> Self {
        Self {
            id: a.id.into(),
            company_name: a.company_name,
            primary_email: a.primary_email,
            country: a.country,
            phone: a.phone,
            data_center: a.data_center,
            tags: a
                .tags
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            billing_mode: a.billing_mode,
            in_poc: a.in_poc,
            active: a.active,
            source: a.source,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// The partner–customer link.
#[derive(Debug, Clone)]
pub struct Registration {
    pub id: RegistrationId,
    pub partner_id: PartnerId,
    pub account_id: AccountId,
    pub friendly_name: String,
    pub partner_role: String,
    pub customer_type: CustomerType,
    pub commission: CommissionRate,
    pub management_mode: bool,
    pub status: Status,
    pub new_account: bool,
    pub created_via: Channel,
    pub created_by: String,
    /// Why it was declined, rejected or ended.
    pub reason: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub activated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Registration {
    /// Whether `event` may happen to it now (the state machine's answer).
    pub fn allows(&self, event: Event) -> bool {
        self.status.allows(event)
    }

    /// The partner manages the customer's account: the relationship is active and in
    /// management mode (it administers the account's users and may Login As them).
    pub fn partner_manages(&self) -> bool {
        self.status == Status::Active && self.management_mode
    }
}

impl From<registrations::Model> for Registration {
    fn from(r: registrations::Model) -> Self {
        Self {
            id: r.id.into(),
            partner_id: r.partner_id.into(),
            account_id: r.account_id.into(),
            friendly_name: r.friendly_name,
            partner_role: r.partner_role,
            customer_type: r.customer_type,
            commission: CommissionRate::from_bp(r.commission_bp),
            management_mode: r.management_mode,
            status: r.status,
            new_account: r.new_account,
            created_via: r.created_via,
            created_by: r.created_by_label,
            reason: r.reason,
            expires_at: r.expires_at,
            confirmed_at: r.confirmed_at,
            activated_at: r.activated_at,
            created_at: r.created_at,
        }
    }
}

/// One event of the audit log.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub partner_id: Option<PartnerId>,
    pub account_id: Option<AccountId>,
    pub subject_id: Option<Uuid>,
    pub detail: String,
}

impl AuditEntry {
    /// People read "registration.confirmed" as "Confirmed".
    pub fn action_label(&self) -> String {
        let tail = self
            .action
            .rsplit('.')
            .next()
            .unwrap_or(&self.action)
            .replace('_', " ");
        let mut c = tail.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    }
}

impl From<audit_events::Model> for AuditEntry {
    fn from(e: audit_events::Model) -> Self {
        Self {
            at: e.at,
            actor: e.actor_label,
            action: e.action,
            partner_id: e.partner_id.map(Into::into),
            account_id: e.account_id.map(Into::into),
            subject_id: e.subject_id,
            detail: e.detail,
        }
    }
}

/// A service an account uses (it makes the account ineligible while active).
#[derive(Debug, Clone)]
pub struct AccountService {
    pub id: Uuid,
    pub name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<account_services::Model> for AccountService {
    fn from(s: account_services::Model) -> Self {
        Self {
            id: s.id,
            name: s.name,
            active: s.active,
            created_at: s.created_at,
        }
    }
}

/// A discount an account receives.
#[derive(Debug, Clone)]
pub struct AccountDiscount {
    pub id: Uuid,
    pub description: String,
    pub percent: CommissionRate,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<account_discounts::Model> for AccountDiscount {
    fn from(d: account_discounts::Model) -> Self {
        Self {
            id: d.id,
            description: d.description,
            percent: CommissionRate::from_bp(d.percent_bp),
            active: d.active,
            created_at: d.created_at,
        }
    }
}

/// One entry of an account's credit ledger.
#[derive(Debug, Clone)]
pub struct LedgerEntry {
    pub kind: CreditKind,
    pub amount: Money,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

impl From<credit_ledger::Model> for LedgerEntry {
    fn from(e: credit_ledger::Model) -> Self {
        Self {
            kind: e.kind,
            amount: Money::new(e.amount_minor, e.currency),
            note: e.note,
            created_at: e.created_at,
        }
    }
}

/// A partner's API app (never its secret's hash).
#[derive(Debug, Clone)]
pub struct ApiApp {
    pub id: AppId,
    pub partner_id: PartnerId,
    pub name: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub default_commission: CommissionRate,
    pub active: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub secret_rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<api_apps::Model> for ApiApp {
    fn from(a: api_apps::Model) -> Self {
        Self {
            id: a.id.into(),
            partner_id: a.partner_id.into(),
            name: a.name,
            client_id: a.client_id,
            scopes: a.scopes.split_whitespace().map(str::to_string).collect(),
            default_commission: CommissionRate::from_bp(a.default_commission_bp),
            active: a.active,
            created_by: a.created_by_label,
            created_at: a.created_at,
            secret_rotated_at: a.secret_rotated_at,
            revoked_at: a.revoked_at,
            last_used_at: a.last_used_at,
        }
    }
}

/// One call an API app made.
#[derive(Debug, Clone)]
pub struct ApiCall {
    pub at: DateTime<Utc>,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub duration_ms: i32,
}

impl From<api_calls::Model> for ApiCall {
    fn from(c: api_calls::Model) -> Self {
        Self {
            at: c.at,
            method: c.method,
            path: c.path,
            status: u16::try_from(c.status).unwrap_or(0),
            duration_ms: c.duration_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_actions_read_as_words() {
        let entry = |action: &str| AuditEntry {
            at: Utc::now(),
            actor: String::new(),
            action: action.into(),
            partner_id: None,
            account_id: None,
            subject_id: None,
            detail: String::new(),
        };
        assert_eq!(entry("registration.confirmed").action_label(), "Confirmed");
        assert_eq!(
            entry("account.service_added").action_label(),
            "Service added"
        );
    }
}

/// A product of the catalog with its list prices (in the order of `CURRENCIES`).
#[derive(Debug, Clone)]
pub struct Product {
    pub id: ProductId,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub unit: String,
    pub kind: ProductKind,
    pub trial_days: u16,
    pub bounds: QuantityBounds,
    pub active: bool,
    pub prices: Vec<Money>,
    pub updated_at: DateTime<Utc>,
}

impl Product {
    pub fn from_rows(p: products::Model, mut prices: Vec<product_prices::Model>) -> Self {
        prices.sort_by_key(|r| r.currency);
        Self {
            id: p.id.into(),
            sku: p.sku,
            name: p.name,
            description: p.description,
            unit: p.unit,
            kind: p.kind,
            trial_days: u16::try_from(p.trial_days).unwrap_or(0),
            bounds: QuantityBounds {
                min: u32::try_from(p.min_quantity).unwrap_or(1),
                max: u32::try_from(p.max_quantity).unwrap_or(1),
            },
            active: p.active,
            prices: prices
                .into_iter()
                .map(|r| Money::new(r.list_minor, r.currency))
                .collect(),
            updated_at: p.updated_at,
        }
    }

    /// The list price in `currency`, if the product has one.
    pub fn price(&self, currency: crate::domain::Currency) -> Option<Money> {
        self.prices.iter().copied().find(|m| m.currency == currency)
    }
}

/// An order as partners (and, later, invoices) read it: the prices of its moment.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub id: crate::domain::OrderId,
    pub number: String,
    pub registration_id: RegistrationId,
    pub kind: crate::domain::order::OrderKind,
    pub product_id: ProductId,
    pub sku: String,
    pub product_name: String,
    pub unit: String,
    pub license_id: Option<crate::domain::LicenseId>,
    pub quantity: u32,
    pub previous_quantity: Option<u32>,
    /// The units the order charges for (a seat change: the seats added).
    pub billed: u32,
    pub term: crate::domain::order::Term,
    pub starts_on: chrono::NaiveDate,
    /// Unit prices: list, the partner's cost, the customer's.
    pub list: Money,
    pub cost: Money,
    pub price: Money,
    pub total: Money,
    pub cost_total: Money,
    pub margin: Money,
    pub cancelled: bool,
    pub placed_by: String,
    pub via: String,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
}

impl OrderView {
    /// `None` when the product row is missing (never: orders keep their product).
    pub fn from_row(o: crate::entities::orders::Model, p: &products::Model) -> Option<Self> {
        use crate::domain::order::order_number;
        let currency = o.currency;
        let m = |minor| Money::new(minor, currency);
        let count = |n: i32| u32::try_from(n).unwrap_or(0);
        Some(Self {
            id: o.id.into(),
            number: order_number(o.number),
            registration_id: o.registration_id.into(),
            kind: o.kind,
            product_id: o.product_id.into(),
            sku: p.sku.clone(),
            product_name: p.name.clone(),
            unit: p.unit.clone(),
            license_id: o.license_id.map(Into::into),
            quantity: count(o.quantity),
            previous_quantity: o.previous_quantity.map(count),
            billed: count(o.billed_quantity),
            term: o.term,
            starts_on: o.starts_on,
            list: m(o.list_minor),
            cost: m(o.cost_minor),
            price: m(o.price_minor),
            total: m(o.total_minor),
            cost_total: m(o.cost_total_minor),
            margin: m(o.total_minor - o.cost_total_minor),
            cancelled: o.status == OrderStatus::Cancelled,
            placed_by: o.placed_by_label,
            via: o.via,
            created_at: o.created_at,
            cancelled_at: o.cancelled_at,
            cancel_reason: o.cancel_reason,
        })
    }
}

/// A license or a trial a customer holds.
#[derive(Debug, Clone)]
pub struct LicenseView {
    pub id: crate::domain::LicenseId,
    pub registration_id: RegistrationId,
    pub account_id: AccountId,
    pub product_id: ProductId,
    pub sku: String,
    pub product_name: String,
    pub unit: String,
    pub trial: bool,
    pub seats: u32,
    pub seats_assigned: u32,
    pub currency: Option<crate::domain::Currency>,
    pub term: crate::domain::order::Term,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub auto_renew: bool,
    pub status: crate::domain::order::LicenseStatus,
    pub created_at: DateTime<Utc>,
}

impl LicenseView {
    pub fn from_row(l: crate::entities::licenses::Model, p: &products::Model) -> Self {
        Self {
            id: l.id.into(),
            registration_id: l.registration_id.into(),
            account_id: l.account_id.into(),
            product_id: l.product_id.into(),
            sku: p.sku.clone(),
            product_name: p.name.clone(),
            unit: p.unit.clone(),
            trial: l.trial,
            seats: u32::try_from(l.seats).unwrap_or(0),
            seats_assigned: u32::try_from(l.seats_assigned).unwrap_or(0),
            currency: l.currency,
            term: l.term,
            starts_on: l.starts_on,
            ends_on: l.ends_on,
            auto_renew: l.auto_renew,
            status: l.status,
            created_at: l.created_at,
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == crate::domain::order::LicenseStatus::Active
    }
}
