//! Reading the ledger: an account's entries with their balance per currency, as its partner,
//! the customer and staff see them, and staff's list of every entry.
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::super::Core;
use crate::{
    domain::{credit::CreditKind, Currency, Money, PartnerId, RegistrationId, Status},
    entities::{accounts, credit_ledger, invoices as invoice_rows},
};

use super::*;

/// One line of a ledger as shown.
#[derive(Debug, Clone)]
pub struct LedgerLine {
    pub kind: CreditKind,
    pub amount: Money,
    /// The currency's balance after this entry.
    pub balance: Money,
    pub note: String,
    pub who: String,
    /// The invoice it paid or bought: (id, number).
    pub invoice: Option<(Uuid, String)>,
    pub expires_on: Option<NaiveDate>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// An account's credits: the balance per currency and the ledger, newest first.
#[derive(Debug, Clone)]
pub struct Credits {
    pub account: Uuid,
    pub customer: String,
    pub active: bool,
    pub balances: Vec<Money>,
    pub lines: Vec<LedgerLine>,
}

/// Who the partner sees as an entry's author: its own people by name, the provider's staff
/// and the system as such, another partner (an earlier one) without a name.
pub(super) fn who(e: &credit_ledger::Model, viewer: Option<Uuid>) -> String {
    match (viewer, e.partner_id) {
        (None, _) => e.actor_label.clone(),
        (Some(v), Some(p)) if p == v => e.actor_label.clone(),
        (Some(_), Some(_)) => "An earlier partner".into(),
        (Some(_), None) if e.created_by.is_none() => e.actor_label.clone(),
        (Some(_), None) => "The provider".into(),
    }
}

pub(super) async fn ledger_of(
    conn: &impl ConnectionTrait,
    account: &accounts::Model,
    viewer: Viewer,
) -> Result<(Vec<Money>, Vec<LedgerLine>), CreditError> {
    let (partner, own_notes_only) = match viewer {
        Viewer::Staff => (None, false),
        Viewer::Partner(p) => (Some(p), false),
        Viewer::Customer(p) => (Some(p.unwrap_or_default()), true),
    };
    let rows = credit_ledger::Entity::find()
        .filter(credit_ledger::Column::AccountId.eq(account.id))
        .order_by_asc(credit_ledger::Column::CreatedAt)
        .order_by_asc(credit_ledger::Column::Id)
        .all(conn)
        .await?;
    let invoice_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.invoice_id).collect();
    let numbers: std::collections::HashMap<Uuid, String> = if invoice_ids.is_empty() {
        Default::default()
    } else {
        invoice_rows::Entity::find()
            .filter(invoice_rows::Column::Id.is_in(invoice_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|i| (i.id, i.number))
            .collect()
    };
    let mut balances: std::collections::BTreeMap<Currency, Money> = Default::default();
    let mut lines = Vec::with_capacity(rows.len());
    for e in &rows {
        let b = balances
            .entry(e.currency)
            .or_insert(Money::zero(e.currency));
        *b = Money::new(b.minor + e.amount_minor, e.currency);
        lines.push(LedgerLine {
            kind: e.kind,
            amount: Money::new(e.amount_minor, e.currency),
            balance: *b,
            note: if !own_notes_only
                || e.created_by.is_none()
                || (e.partner_id.is_some() && e.partner_id == partner)
            {
                e.note.clone()
            } else {
                String::new()
            },
            who: who(e, partner),
            invoice: e
                .invoice_id
                .map(|id| (id, numbers.get(&id).cloned().unwrap_or_default())),
            expires_on: e.expires_on,
            at: e.created_at,
        });
    }
    lines.reverse();
    Ok((balances.into_values().collect(), lines))
}

/// The credits of the partner's customer.
pub async fn for_partner(
    core: &Core,
    partner: PartnerId,
    reg: RegistrationId,
) -> Result<Credits, CreditError> {
    let read = &core.db.read;
    let r = own_registration(read, partner, reg).await?;
    let account = accounts::Entity::find_by_id(r.account_id)
        .one(read)
        .await?
        .ok_or(CreditError::NotFound)?;
    let (balances, lines) = ledger_of(read, &account, Viewer::Partner(partner.uuid())).await?;
    Ok(Credits {
        account: account.id,
        customer: account.company_name,
        active: r.status == Status::Active,
        balances,
        lines,
    })
}

/// An account's credits as its own users see them: its current partner's people by name,
/// the provider and earlier partners without names or notes.
pub async fn for_customer(
    core: &Core,
    account: crate::domain::AccountId,
    partner: Option<PartnerId>,
) -> Result<Credits, CreditError> {
    let account = accounts::Entity::find_by_id(account.uuid())
        .one(&core.db.read)
        .await?
        .ok_or(CreditError::NotFound)?;
    let viewer = Viewer::Customer(partner.map(|p| p.uuid()));
    let (balances, lines) = ledger_of(&core.db.read, &account, viewer).await?;
    Ok(Credits {
        account: account.id,
        customer: account.company_name,
        active: account.active,
        balances,
        lines,
    })
}

/// An account's credits for staff (every entry, with its author).
pub async fn for_staff(core: &Core, account: Uuid) -> Result<Credits, CreditError> {
    let account = accounts::Entity::find_by_id(account)
        .one(&core.db.read)
        .await?
        .ok_or(CreditError::NotFound)?;
    let (balances, lines) = ledger_of(&core.db.read, &account, Viewer::Staff).await?;
    Ok(Credits {
        account: account.id,
        customer: account.company_name,
        active: account.active,
        balances,
        lines,
    })
}

/// Staff's list of every ledger entry, newest first, with the account's name.
pub struct StaffQuery {
    pub kind: Option<CreditKind>,
    pub currency: Option<Currency>,
    pub account: Option<Uuid>,
    pub page: u64,
}

pub struct StaffLine {
    pub account: Uuid,
    pub customer: String,
    pub line: LedgerLine,
}

pub const STAFF_PAGE: u64 = 50;

pub async fn all_entries(
    core: &Core,
    q: &StaffQuery,
) -> Result<(Vec<StaffLine>, u64), CreditError> {
    use sea_orm::PaginatorTrait;
    let mut find = credit_ledger::Entity::find();
    if let Some(k) = q.kind {
        find = find.filter(credit_ledger::Column::Kind.eq(k));
    }
    if let Some(c) = q.currency {
        find = find.filter(credit_ledger::Column::Currency.eq(c));
    }
    if let Some(a) = q.account {
        find = find.filter(credit_ledger::Column::AccountId.eq(a));
    }
    let read = &core.db.read;
    let total = find.clone().count(read).await?;
    let rows = find
        .order_by_desc(credit_ledger::Column::CreatedAt)
        .order_by_desc(credit_ledger::Column::Id)
        .offset(crate::services::accounts::page_offset(q.page, STAFF_PAGE))
        .limit(STAFF_PAGE)
        .all(read)
        .await?;
    let names: std::collections::HashMap<Uuid, String> = accounts::Entity::find()
        .filter(accounts::Column::Id.is_in(rows.iter().map(|r| r.account_id)))
        .all(read)
        .await?
        .into_iter()
        .map(|a| (a.id, a.company_name))
        .collect();
    let numbers: std::collections::HashMap<Uuid, String> = invoice_rows::Entity::find()
        .filter(invoice_rows::Column::Id.is_in(rows.iter().filter_map(|r| r.invoice_id)))
        .all(read)
        .await?
        .into_iter()
        .map(|i| (i.id, i.number))
        .collect();
    let lines = rows
        .into_iter()
        .map(|e| StaffLine {
            account: e.account_id,
            customer: names.get(&e.account_id).cloned().unwrap_or_default(),
            line: LedgerLine {
                kind: e.kind,
                amount: Money::new(e.amount_minor, e.currency),
                balance: Money::zero(e.currency),
                note: e.note.clone(),
                who: e.actor_label.clone(),
                invoice: e
                    .invoice_id
                    .map(|id| (id, numbers.get(&id).cloned().unwrap_or_default())),
                expires_on: e.expires_on,
                at: e.created_at,
            },
        })
        .collect();
    Ok((lines, total))
}
