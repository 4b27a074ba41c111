//! Customer credits (issue 14): an append-only ledger per account and currency (grant, top-up,
//! spend, expiry, adjustment), each entry with who and why. The balance is the ledger's sum
//! and never goes below zero: every entry that takes credit away is written after the
//! account's row is locked (PostgreSQL; SQLite has one writer) and the balance checked in the
//! same transaction. Partners grant promotional credit (funded by them) and sell top-ups (an
//! invoice whose payment adds the credit); an invoice is paid wholly or partly from credit;
//! grants may expire, and the job writes the expiry of what is left of them, once.
use chrono::NaiveDate;
use sea_orm::{
    sea_query::LockType, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    invoices::{self, InvoiceError},
    Core, Fault,
};
use crate::{
    auth::tokens::hash_token,
    domain::{
        credit::{expiring, CreditKind, Entry},
        invoice::{invoice_number, InvoiceKind, InvoiceStatus},
        settlement::{Decision, Refusal},
        Currency, Money, PartnerId, RegistrationId, Status,
    },
    entities::{
        accounts, credit_ledger, invoice_lines, invoices as invoice_rows, partners, registrations,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum CreditError {
    #[error("not found")]
    NotFound,
    /// A field's value is refused: the message says why.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Credits are managed only while the customer is the partner's (an active registration).
    #[error("This customer is no longer yours: its credits can no longer change.")]
    NotActive,
    #[error("The credit balance is {balance}: that is not enough.")]
    Insufficient { balance: Money },
    #[error(transparent)]
    Invoice(#[from] InvoiceError),
    #[error(transparent)]
    Fault(#[from] Fault),
}

super::faults_into!(CreditError);

impl CreditError {
    fn field(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The form field an error belongs next to.
    pub fn field_name(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Insufficient { .. } => Some("amount"),
            _ => None,
        }
    }
}

/// The most one entry may move: a million in the currency's major unit.
fn within_limit(amount: Money) -> Result<(), CreditError> {
    let max = 1_000_000 * 10_i64.pow(amount.currency.decimals());
    if amount.minor <= 0 {
        return Err(CreditError::field("amount", "Enter an amount above zero."));
    }
    if amount.minor > max {
        return Err(CreditError::field(
            "amount",
            format!("At most {} at a time.", Money::new(max, amount.currency)),
        ));
    }
    Ok(())
}

/// Parses an amount typed in a form, in `currency`.
pub fn parse_amount(raw: &str, currency: &str) -> Result<Money, CreditError> {
    let currency = Currency::parse(currency).map_err(|e| CreditError::field("currency", e.0))?;
    let amount = Money::parse(raw, currency).map_err(|e| CreditError::field("amount", e.0))?;
    within_limit(amount)?;
    Ok(amount)
}

/// Takes the account's row lock until the transaction ends: credit changes of one account
/// queue behind each other (PostgreSQL; on SQLite the write transaction holds the database).
async fn lock_account(
    txn: &DatabaseTransaction,
    account: Uuid,
) -> Result<accounts::Model, CreditError> {
    accounts::Entity::find_by_id(account)
        .lock(LockType::Update)
        .one(txn)
        .await?
        .ok_or(CreditError::NotFound)
}

/// The account's entries in one currency, oldest first.
async fn entries(
    conn: &impl ConnectionTrait,
    account: Uuid,
    currency: Currency,
) -> Result<Vec<credit_ledger::Model>, CreditError> {
    Ok(credit_ledger::Entity::find()
        .filter(credit_ledger::Column::AccountId.eq(account))
        .filter(credit_ledger::Column::Currency.eq(currency))
        .order_by_asc(credit_ledger::Column::CreatedAt)
        .order_by_asc(credit_ledger::Column::Id)
        .all(conn)
        .await?)
}

fn entry_of(e: &credit_ledger::Model) -> Entry {
    Entry {
        id: e.id,
        kind: e.kind,
        amount: e.amount_minor,
        expires_on: e.expires_on,
        lot: e.lot_id,
    }
}

/// A new ledger row.
pub(crate) struct NewEntry<'a> {
    pub account: Uuid,
    pub kind: CreditKind,
    pub amount: Money,
    pub note: String,
    pub actor: &'a Actor,
    pub partner: Option<Uuid>,
    pub invoice: Option<Uuid>,
    pub expires_on: Option<NaiveDate>,
    pub lot: Option<Uuid>,
}

pub(crate) fn row(
    now: chrono::DateTime<chrono::Utc>,
    e: NewEntry<'_>,
) -> credit_ledger::ActiveModel {
    credit_ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(e.account),
        kind: Set(e.kind),
        amount_minor: Set(e.amount.minor),
        currency: Set(e.amount.currency),
        note: Set(e.note),
        created_by: Set(e.actor.user_id),
        created_at: Set(now),
        partner_id: Set(e.partner),
        invoice_id: Set(e.invoice),
        expires_on: Set(e.expires_on),
        lot_id: Set(e.lot),
        actor_label: Set(e.actor.label.clone()),
    }
}

/// Writes the expiry of the account's lots past their last day (in `currency`), inside the
/// caller's transaction (which holds the account's lock); returns the balance after.
async fn settle_expiries(
    txn: &DatabaseTransaction,
    now: chrono::DateTime<chrono::Utc>,
    account: Uuid,
    currency: Currency,
) -> Result<(Money, usize), CreditError> {
    let rows = entries(txn, account, currency).await?;
    let list: Vec<Entry> = rows.iter().map(entry_of).collect();
    let due = expiring(&list, now.date_naive());
    let expired_lots: Vec<Uuid> = list
        .iter()
        .filter(|e| e.kind == CreditKind::Expiry)
        .filter_map(|e| e.lot)
        .collect();
    // Lots past their day with nothing left get a zero entry too, so the job never looks at
    // them again.
    let spent_out = list.iter().filter(|e| {
        e.amount > 0
            && e.expires_on.is_some_and(|d| d < now.date_naive())
            && !expired_lots.contains(&e.id)
            && !due.iter().any(|(id, _)| *id == e.id)
    });
    let system = Actor::system("system");
    let mut new_rows = Vec::new();
    for (lot, left) in due.iter().copied().chain(spent_out.map(|e| (e.id, 0))) {
        let lot_row = rows.iter().find(|r| r.id == lot);
        new_rows.push(row(
            now,
            NewEntry {
                account,
                kind: CreditKind::Expiry,
                amount: Money::new(-left, currency),
                note: match lot_row {
                    Some(r) => format!(
                        "{} of {} expired after {}{}",
                        r.kind.label(),
                        Money::new(r.amount_minor, currency),
                        r.expires_on
                            .map_or(String::new(), |d| d.format("%-d %b %Y").to_string()),
                        if left == 0 { ": nothing was left" } else { "" }
                    ),
                    None => "Credit expired".into(),
                },
                actor: &system,
                partner: lot_row.and_then(|r| r.partner_id),
                invoice: None,
                expires_on: None,
                lot: Some(lot),
            },
        ));
    }
    let written = new_rows.len();
    let expired: i64 = due.iter().map(|(_, left)| left).sum();
    if !new_rows.is_empty() {
        credit_ledger::Entity::insert_many(new_rows)
            .exec_without_returning(txn)
            .await?;
    }
    let sum: i64 = list.iter().map(|e| e.amount).sum::<i64>() - expired;
    Ok((Money::new(sum, currency), written))
}

/// The partner's registration (any status), or not found.
async fn own_registration(
    conn: &impl ConnectionTrait,
    partner: PartnerId,
    reg: RegistrationId,
) -> Result<registrations::Model, CreditError> {
    registrations::Entity::find_by_id(reg.uuid())
        .filter(registrations::Column::PartnerId.eq(partner.uuid()))
        .one(conn)
        .await?
        .ok_or(CreditError::NotFound)
}

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
fn who(e: &credit_ledger::Model, viewer: Option<Uuid>) -> String {
    match (viewer, e.partner_id) {
        (None, _) => e.actor_label.clone(),
        (Some(v), Some(p)) if p == v => e.actor_label.clone(),
        (Some(_), Some(_)) => "An earlier partner".into(),
        (Some(_), None) if e.created_by.is_none() => e.actor_label.clone(),
        (Some(_), None) => "The provider".into(),
    }
}

/// Whose eyes a ledger is shown to.
#[derive(Clone, Copy)]
enum Viewer {
    Staff,
    Partner(Uuid),
    /// The account's own users, with their current partner if any: they see neither staff's
    /// nor another partner's notes.
    Customer(Option<Uuid>),
}

async fn ledger_of(
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

/// The account's balance in `currency` (expired lots taken out, as the next change would).
pub async fn balance(core: &Core, account: Uuid, currency: Currency) -> Result<Money, CreditError> {
    let list: Vec<Entry> = entries(&core.db.read, account, currency)
        .await?
        .iter()
        .map(entry_of)
        .collect();
    let expired: i64 = expiring(&list, core.now().date_naive())
        .iter()
        .map(|(_, left)| left)
        .sum();
    Ok(Money::new(
        list.iter().map(|e| e.amount).sum::<i64>() - expired,
        currency,
    ))
}

/// Promotional credit the partner grants its active customer (and funds), with the reason
/// and an optional last day of use.
#[tracing::instrument(skip(core, actor, note))]
pub async fn grant(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    reg: RegistrationId,
    amount: Money,
    note: &str,
    expires_on: Option<NaiveDate>,
) -> Result<(), CreditError> {
    within_limit(amount)?;
    let note = reason(note)?;
    let today = core.now().date_naive();
    if let Some(d) = expires_on {
        if d < today {
            return Err(CreditError::field(
                "expires_on",
                "Choose today or a later day.",
            ));
        }
        if d > today + chrono::Duration::days(5 * 366) {
            return Err(CreditError::field(
                "expires_on",
                "Choose a day within five years.",
            ));
        }
    }
    let now = core.now();
    let txn = core.db.begin().await?;
    let r = own_registration(&txn, partner, reg).await?;
    if r.status != Status::Active {
        return Err(CreditError::NotActive);
    }
    lock_account(&txn, r.account_id).await?;
    let entry = row(
        now,
        NewEntry {
            account: r.account_id,
            kind: CreditKind::Grant,
            amount,
            note: note.clone(),
            actor,
            partner: Some(partner.uuid()),
            invoice: None,
            expires_on,
            lot: None,
        },
    );
    let entry_id = entry.id.clone().unwrap();
    credit_ledger::Entity::insert(entry)
        .exec_without_returning(&txn)
        .await?;
    // The partner funds it: charged to its commission statement.
    super::commission::on_grant(&txn, partner.uuid(), r.account_id, entry_id, amount, now).await?;
    audit::record(
        &txn,
        now,
        actor,
        "credit.granted",
        About::registration(partner.uuid(), r.account_id, r.id),
        &format!(
            "{amount} of promotional credit{}: {note}",
            expires_on.map_or(String::new(), |d| format!(", usable until {d}"))
        ),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// Why: required, at most 500 characters, no control characters.
fn reason(note: &str) -> Result<String, CreditError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(CreditError::field(
            "note",
            "Say why, for the customer's ledger.",
        ));
    }
    if note.chars().count() > 500 || note.chars().any(char::is_control) {
        return Err(CreditError::field(
            "note",
            "Keep it to 500 characters, without line breaks or control characters.",
        ));
    }
    Ok(note.to_string())
}

/// Sells the partner's active customer a top-up: an invoice (tax-free, a prepayment) with a
/// payment link; paying it adds the credit.
#[tracing::instrument(skip(core, actor))]
pub async fn sell_topup(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    reg: RegistrationId,
    amount: Money,
) -> Result<Uuid, CreditError> {
    use chrono::Datelike;
    within_limit(amount)?;
    let now = core.now();
    let txn = core.db.begin().await?;
    let r = own_registration(&txn, partner, reg).await?;
    if r.status != Status::Active {
        return Err(CreditError::NotActive);
    }
    let account = lock_account(&txn, r.account_id).await?;
    let seller = partners::Entity::find_by_id(partner.uuid())
        .one(&txn)
        .await?
        .ok_or(CreditError::NotFound)?
        .company_name;
    let year = now.year();
    let seq = invoices::next_in_year(&txn, year, 1).await?;
    let id = Uuid::now_v7();
    let number = invoice_number(year, seq);
    invoice_rows::Entity::insert(invoice_rows::ActiveModel {
        id: Set(id),
        number: Set(number.clone()),
        year: Set(year),
        seq: Set(seq),
        partner_id: Set(partner.uuid()),
        registration_id: Set(r.id),
        account_id: Set(r.account_id),
        order_id: Set(None),
        kind: Set(InvoiceKind::TopUp),
        currency: Set(amount.currency),
        subtotal_minor: Set(amount.minor),
        tax_minor: Set(0),
        total_minor: Set(amount.minor),
        status: Set(InvoiceStatus::Open),
        issued_at: Set(now),
        due_on: Set(now.date_naive() + core.rules.invoice_due),
        paid_at: Set(None),
        closed_at: Set(None),
        close_reason: Set(None),
        pay_token_hash: Set(hash_token(&invoices::pay_token(&core.links.pay_key, id, 0))),
        link_version: Set(0),
        seller: Set(seller),
        customer_name: Set(account.company_name.clone()),
        customer_country: Set(account.country.clone()),
        credit_minor: Set(0),
        credit_of: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    invoice_lines::Entity::insert(invoice_lines::ActiveModel {
        id: Set(Uuid::now_v7()),
        invoice_id: Set(id),
        position: Set(1),
        description: Set(format!(
            "Credit top-up of {amount}, added to {}'s balance once paid",
            account.company_name
        )),
        product_id: Set(None),
        quantity: Set(1),
        unit_minor: Set(amount.minor),
        amount_minor: Set(amount.minor),
        tax_bp: Set(0),
        tax_minor: Set(0),
        period_start: Set(None),
        period_end: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        actor,
        "invoice.issued",
        About::registration(partner.uuid(), r.account_id, id),
        &format!("{number}: a credit top-up of {amount}"),
    )
    .await?;
    core.commit(txn).await?;
    Ok(id)
}

/// The ledger entry a paid top-up invoice adds, inside the payment's transaction.
pub(crate) fn topup_paid(
    now: chrono::DateTime<chrono::Utc>,
    inv: &invoice_rows::Model,
    payer: &str,
) -> credit_ledger::ActiveModel {
    let currency = inv.currency;
    row(
        now,
        NewEntry {
            account: inv.account_id,
            kind: CreditKind::Topup,
            amount: Money::new(inv.subtotal_minor, currency),
            note: format!("Top-up {} paid", inv.number),
            actor: &Actor::system(&format!("payer {payer}")),
            partner: Some(inv.partner_id),
            invoice: Some(inv.id),
            expires_on: None,
            lot: None,
        },
    )
}

/// The entry that gives back the credit applied to an invoice closed without payment.
pub(crate) fn credit_returned(
    now: chrono::DateTime<chrono::Utc>,
    inv: &invoice_rows::Model,
    actor: &Actor,
) -> credit_ledger::ActiveModel {
    let currency = inv.currency;
    row(
        now,
        NewEntry {
            account: inv.account_id,
            kind: CreditKind::Adjustment,
            amount: Money::new(inv.credit_minor, currency),
            note: format!(
                "Credit paid towards {} given back: it was closed",
                inv.number
            ),
            actor,
            partner: Some(inv.partner_id),
            invoice: Some(inv.id),
            expires_on: None,
            lot: None,
        },
    )
}

/// Pays an open invoice wholly or partly from the customer's credit in its currency, through
/// the settlement executor: never more than is left to pay, nor than the balance. When
/// nothing is left to pay the invoice is paid (receipts go out in the same transaction).
/// `who` is the payer as recorded. Answers the invoice's status after.
#[tracing::instrument(skip(core, who))]
pub async fn pay_invoice(
    core: &Core,
    who: &Actor,
    invoice: Uuid,
    amount: Money,
) -> Result<InvoiceStatus, CreditError> {
    within_limit(amount)?;
    let ask = invoices::Ask::Credit { amount };
    let done = invoices::settlement::apply(core, invoice, ask, who)
        .await
        .map_err(|e| match e {
            // A fault stays a fault (a 500 page, logged), never a message next to a field.
            InvoiceError::Fault(f) => CreditError::Fault(f),
            InvoiceError::NotFound => CreditError::NotFound,
            e => CreditError::Invoice(e),
        })?;
    match done {
        invoices::Settled::Decided(Decision::Paid { .. }) => Ok(InvoiceStatus::Paid),
        invoices::Settled::Decided(Decision::PartlyPaid { .. }) => Ok(InvoiceStatus::Open),
        invoices::Settled::Decided(Decision::Refused(why)) => Err(match why {
            Refusal::MoreThanBalance { balance } => CreditError::Insufficient { balance },
            Refusal::NotOpen(_) => InvoiceError::Refused(why).into(),
            why => CreditError::field("amount", why.to_string()),
        }),
        other => Err(Fault::Db(sea_orm::DbErr::Custom(format!(
            "paying from credit gave {other:?}"
        )))
        .into()),
    }
}

/// The account's balance in `currency` inside the caller's transaction, after locking the
/// account's row and writing the expiry of lots past their day (the settlement executor's
/// view of what credit can pay).
pub(crate) async fn balance_locked(
    txn: &DatabaseTransaction,
    now: chrono::DateTime<chrono::Utc>,
    account: Uuid,
    currency: Currency,
) -> Result<Money, CreditError> {
    lock_account(txn, account).await?;
    Ok(settle_expiries(txn, now, account, currency).await?.0)
}

/// Staff's entry on an account's ledger (any kind); refused when it would take the balance
/// below zero.
#[tracing::instrument(skip(core, actor, note))]
pub async fn staff_entry(
    core: &Core,
    actor: &Actor,
    account: Uuid,
    kind: CreditKind,
    amount: Money,
    note: &str,
) -> Result<(), CreditError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    lock_account(&txn, account).await?;
    let (balance, _) = settle_expiries(&txn, now, account, amount.currency).await?;
    if amount.minor < 0 && balance.minor + amount.minor < 0 {
        core.commit(txn).await?;
        return Err(CreditError::Insufficient { balance });
    }
    credit_ledger::Entity::insert(row(
        now,
        NewEntry {
            account,
            kind,
            amount,
            note: note.trim().to_string(),
            actor,
            partner: None,
            invoice: None,
            expires_on: None,
            lot: None,
        },
    ))
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        actor,
        "account.credit",
        About::account(account),
        &format!("{} {amount}", kind.as_str()),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// The job: writes the expiry of credit past its last day, once per lot, for every account.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn expire_due(core: &Core) -> Result<usize, CreditError> {
    let today = core.now().date_naive();
    let mut written = 0;
    loop {
        // Accounts (and currencies) holding a lot past its day without its expiry entry.
        let pending: Vec<(Uuid, Currency)> = credit_ledger::Entity::find()
            .select_only()
            .column(credit_ledger::Column::AccountId)
            .column(credit_ledger::Column::Currency)
            .filter(credit_ledger::Column::ExpiresOn.lt(today))
            .filter(credit_ledger::Column::AmountMinor.gt(0))
            .filter(
                credit_ledger::Column::Id.not_in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(credit_ledger::Column::LotId)
                        .from(credit_ledger::Entity)
                        .and_where(credit_ledger::Column::Kind.eq(CreditKind::Expiry))
                        .and_where(credit_ledger::Column::LotId.is_not_null())
                        .to_owned(),
                ),
            )
            .distinct()
            .limit(100)
            .into_tuple()
            .all(&core.db.read)
            .await?;
        if pending.is_empty() {
            return Ok(written);
        }
        let mut progressed = 0;
        for (account, currency) in pending {
            let txn = core.db.begin().await?;
            lock_account(&txn, account).await?;
            let (_, n) = settle_expiries(&txn, core.now(), account, currency).await?;
            core.commit(txn).await?;
            progressed += n;
        }
        if progressed == 0 {
            return Ok(written);
        }
        written += progressed;
    }
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
        .offset(super::accounts::page_offset(q.page, STAFF_PAGE))
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
