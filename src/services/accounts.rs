//! Accounts: the provider's customer organisations. Created by customer self-signup, by staff
//! (form or CSV import) or by a partner registering a new customer. Their services, discounts
//! and credit ledger decide whether a partner may take them on.
use super::Core;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait, IntoIden, Query},
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    search::{ilike, Doc},
    views::{Account, AccountDiscount, AccountService, LedgerEntry, Partner, Registration, User},
};
use crate::{
    domain::{
        account::{parse_data_center, parse_tags},
        eligibility::AccountFacts,
        AccountId, AccountSource, BillingMode, CountryCode, CreditKind, Currency, Email, Invalid,
        Money, Phone, PlainName,
    },
    entities::{account_discounts, account_services, accounts, credit_ledger},
};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("An account with this email already exists.")]
    EmailTaken,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Fault(#[from] super::Fault),
}

super::faults_into!(AccountError);

pub struct NewAccount {
    pub company_name: PlainName,
    pub primary_email: Email,
    pub country: CountryCode,
    pub phone: Option<Phone>,
    pub data_center: String,
    pub tags: Vec<String>,
    pub billing_mode: BillingMode,
    pub in_poc: bool,
    pub active: bool,
}

/// Creates an account in a transaction of its own (staff's "new account" form).
#[tracing::instrument(skip_all)]
pub async fn create_alone(
    core: &Core,
    a: NewAccount,
    source: AccountSource,
    actor: &Actor,
) -> Result<Account, AccountError> {
    let txn = core.db.begin().await?;
    let account = create(&txn, core.now(), a, source, actor).await?;
    txn.commit().await?;
    Ok(account.into())
}

/// Creates an account inside the caller's transaction.
pub async fn create(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    a: NewAccount,
    source: AccountSource,
    actor: &Actor,
) -> Result<accounts::Model, AccountError> {
    if find_by_email(conn, a.primary_email.as_str())
        .await?
        .is_some()
    {
        return Err(AccountError::EmailTaken);
    }
    let account = accounts::Entity::insert(accounts::ActiveModel {
        id: Set(Uuid::new_v4()),
        company_name: Set(a.company_name.into_inner()),
        primary_email: Set(a.primary_email.as_str().into()),
        country: Set(a.country.into_inner()),
        phone: Set(a.phone.map(Phone::into_inner).unwrap_or_default()),
        data_center: Set(a.data_center),
        tags: Set(a.tags.join(", ")),
        billing_mode: Set(a.billing_mode),
        in_poc: Set(a.in_poc),
        active: Set(a.active),
        source: Set(source),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(conn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AccountError::EmailTaken,
        _ => e.into(),
    })?;
    audit::record(
        conn,
        now,
        actor,
        "account.created",
        About::account(account.id),
        &format!("{} ({})", account.company_name, source.as_str()),
    )
    .await?;
    Ok(account)
}

pub struct AccountUpdate {
    pub company_name: PlainName,
    pub country: CountryCode,
    pub phone: Option<Phone>,
    pub data_center: String,
    pub tags: Vec<String>,
    pub billing_mode: BillingMode,
    pub in_poc: bool,
    pub active: bool,
}

#[tracing::instrument(skip(core, actor, u))]
pub async fn update(
    core: &Core,
    actor: &Actor,
    id: AccountId,
    u: AccountUpdate,
) -> Result<Account, AccountError> {
    let id = id.uuid();
    let txn = core.db.begin().await?;
    accounts::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AccountError::NotFound)?;
    let account = accounts::Entity::update(accounts::ActiveModel {
        id: Set(id),
        company_name: Set(u.company_name.into_inner()),
        country: Set(u.country.into_inner()),
        phone: Set(u.phone.map(Phone::into_inner).unwrap_or_default()),
        data_center: Set(u.data_center),
        tags: Set(u.tags.join(", ")),
        billing_mode: Set(u.billing_mode),
        in_poc: Set(u.in_poc),
        active: Set(u.active),
        updated_at: Set(core.now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        core.now(),
        actor,
        "account.updated",
        About::account(id),
        &account.company_name,
    )
    .await?;
    txn.commit().await?;
    Ok(account.into())
}

pub async fn find_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<accounts::Model>, DbErr> {
    accounts::Entity::find()
        .filter(accounts::Column::PrimaryEmail.eq(email.trim().to_lowercase()))
        .one(conn)
        .await
}

pub async fn find(
    conn: &impl ConnectionTrait,
    id: AccountId,
) -> Result<Option<accounts::Model>, DbErr> {
    accounts::Entity::find_by_id(id.uuid()).one(conn).await
}

/// Credit balance per currency, derived from the ledger.
pub async fn balances(
    conn: &impl ConnectionTrait,
    account_id: AccountId,
) -> Result<Vec<Money>, DbErr> {
    let account_id = account_id.uuid();
    let rows: Vec<(Currency, i64)> = credit_ledger::Entity::find()
        .select_only()
        .column(credit_ledger::Column::Currency)
        .column(credit_ledger::Column::AmountMinor)
        .filter(credit_ledger::Column::AccountId.eq(account_id))
        .into_tuple()
        .all(conn)
        .await?;
    let mut sums: BTreeMap<Currency, Money> = BTreeMap::new();
    for (currency, minor) in rows {
        let sum = sums.entry(currency).or_insert(Money::zero(currency));
        *sum = sum
            .checked_add(Money::new(minor, currency))
            .map_err(|e| DbErr::Custom(format!("credit balance: {e}")))?;
    }
    Ok(sums.into_values().collect())
}

async fn services(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
) -> Result<Vec<AccountService>, DbErr> {
    Ok(account_services::Entity::find()
        .filter(account_services::Column::AccountId.eq(account_id))
        .order_by_asc(account_services::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

async fn discounts(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
) -> Result<Vec<AccountDiscount>, DbErr> {
    Ok(account_discounts::Entity::find()
        .filter(account_discounts::Column::AccountId.eq(account_id))
        .order_by_asc(account_discounts::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// An account with everything staff see on its page.
pub struct AccountDetail {
    pub account: Account,
    pub services: Vec<AccountService>,
    pub discounts: Vec<AccountDiscount>,
    /// Newest first.
    pub ledger: Vec<LedgerEntry>,
    /// One per currency with entries (zero included).
    pub balances: Vec<Money>,
    pub users: Vec<User>,
    /// The partner that holds the account (pending or active), with the registration.
    pub partner: Option<(Registration, Partner)>,
}

#[tracing::instrument(skip(core))]
pub async fn detail(core: &Core, id: AccountId) -> Result<AccountDetail, AccountError> {
    let conn = &core.db.read;
    let account = find(conn, id).await?.ok_or(AccountError::NotFound)?;
    let ledger = credit_ledger::Entity::find()
        .filter(credit_ledger::Column::AccountId.eq(id.uuid()))
        .order_by_desc(credit_ledger::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(AccountDetail {
        services: services(conn, account.id).await?,
        discounts: discounts(conn, account.id).await?,
        ledger,
        balances: balances(conn, id).await?,
        users: super::members::users(conn, super::members::Org::Account(id)).await?,
        partner: super::registrations::live_for_account(core, id)
            .await
            .map_err(|e| match e {
                super::registrations::RegError::Fault(f) => AccountError::Fault(f),
                _ => AccountError::NotFound,
            })?,
        account: account.into(),
    })
}

/// What the eligibility rules need to know about an account, given what it holds (read with
/// the account, see `holdings_exprs`): the lists, which only the failure messages need, are
/// read only when there is something to list.
pub async fn facts(
    conn: &impl ConnectionTrait,
    account: &accounts::Model,
    held: Holdings,
) -> Result<AccountFacts, DbErr> {
    Ok(AccountFacts {
        credit_balances: if held.ledger {
            balances(conn, account.id.into()).await?
        } else {
            vec![]
        },
        services: if held.services {
            services(conn, account.id)
                .await?
                .into_iter()
                .filter(|s| s.active)
                .map(|s| s.name)
                .collect()
        } else {
            vec![]
        },
        discounts: if held.discounts {
            discounts(conn, account.id)
                .await?
                .into_iter()
                .filter(|d| d.active)
                .map(|d| format!("{} ({})", d.description, d.percent))
                .collect()
        } else {
            vec![]
        },
        in_poc: account.in_poc,
        billing_mode: account.billing_mode,
    })
}

/// Whether an account has credit entries, active services and active discounts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Holdings {
    pub ledger: bool,
    pub services: bool,
    pub discounts: bool,
}

/// `EXISTS` expressions for `Holdings`, correlated with the `accounts` row of the outer query,
/// with the column alias each is read back under.
pub fn holdings_exprs() -> [(Expr, &'static str); 3] {
    // A row of `table` for this account (and, for lists with an end, still active).
    fn any_row(
        table: impl IntoIden + Copy,
        account_id: impl IntoIden,
        active: Option<impl IntoIden>,
    ) -> Expr {
        let mut cond = Condition::all()
            .add(Expr::col((table, account_id)).equals((accounts::Entity, accounts::Column::Id)));
        if let Some(active) = active {
            cond = cond.add(Expr::col((table, active)).eq(true));
        }
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(table)
                .cond_where(cond)
                .to_owned(),
        )
    }
    [
        (
            any_row(
                credit_ledger::Entity,
                credit_ledger::Column::AccountId,
                None::<credit_ledger::Column>,
            ),
            "held_ledger",
        ),
        (
            any_row(
                account_services::Entity,
                account_services::Column::AccountId,
                Some(account_services::Column::Active),
            ),
            "held_services",
        ),
        (
            any_row(
                account_discounts::Entity,
                account_discounts::Column::AccountId,
                Some(account_discounts::Column::Active),
            ),
            "held_discounts",
        ),
    ]
}

#[tracing::instrument(skip_all)]
pub async fn add_service(
    core: &Core,
    actor: &Actor,
    account_id: AccountId,
    name: PlainName,
) -> Result<(), AccountError> {
    let name = name.into_inner();
    let row = account_services::ActiveModel {
        id: Set(Uuid::new_v4()),
        account_id: Set(account_id.uuid()),
        name: Set(name.clone()),
        active: Set(true),
        created_at: Set(core.now()),
    };
    add_to_account(core, actor, account_id, row, "account.service_added", &name).await
}

#[tracing::instrument(skip_all)]
pub async fn add_discount(
    core: &Core,
    actor: &Actor,
    account_id: AccountId,
    description: PlainName,
    percent_bp: i32,
) -> Result<(), AccountError> {
    let description = description.into_inner();
    let row = account_discounts::ActiveModel {
        id: Set(Uuid::new_v4()),
        account_id: Set(account_id.uuid()),
        description: Set(description.clone()),
        percent_bp: Set(percent_bp),
        active: Set(true),
        created_at: Set(core.now()),
    };
    let action = "account.discount_added";
    add_to_account(core, actor, account_id, row, action, &description).await
}

/// Writes a row that belongs to an account (a service, a discount, a credit entry) and its
/// audit event in one transaction; an account that does not exist is "not found".
async fn add_to_account<A>(
    core: &Core,
    actor: &Actor,
    account_id: AccountId,
    row: A,
    action: &str,
    detail: &str,
) -> Result<(), AccountError>
where
    A: ActiveModelTrait + Send,
{
    let txn = core.db.begin().await?;
    find(&txn, account_id)
        .await?
        .ok_or(AccountError::NotFound)?;
    let account_id = account_id.uuid();
    A::Entity::insert(row).exec_without_returning(&txn).await?;
    audit::record(
        &txn,
        core.now(),
        actor,
        action,
        About::account(account_id),
        detail,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Ends a service or a discount of the account (they stay listed, inactive).
#[tracing::instrument(skip_all)]
pub async fn end_item(
    core: &Core,
    actor: &Actor,
    account_id: AccountId,
    item_id: Uuid,
) -> Result<(), AccountError> {
    let account_id = account_id.uuid();
    let txn = core.db.begin().await?;
    let s = account_services::Entity::update_many()
        .col_expr(account_services::Column::Active, Expr::value(false))
        .filter(account_services::Column::Id.eq(item_id))
        .filter(account_services::Column::AccountId.eq(account_id))
        .filter(account_services::Column::Active.eq(true))
        .exec(&txn)
        .await?;
    let d = account_discounts::Entity::update_many()
        .col_expr(account_discounts::Column::Active, Expr::value(false))
        .filter(account_discounts::Column::Id.eq(item_id))
        .filter(account_discounts::Column::AccountId.eq(account_id))
        .filter(account_discounts::Column::Active.eq(true))
        .exec(&txn)
        .await?;
    if s.rows_affected + d.rows_affected == 0 {
        // Already ended (a second click, or two staff at once): nothing changes, so nothing
        // is recorded. An id that is not this account's is "not found".
        let service = account_services::Entity::find_by_id(item_id)
            .filter(account_services::Column::AccountId.eq(account_id))
            .one(&txn)
            .await?;
        let discount = account_discounts::Entity::find_by_id(item_id)
            .filter(account_discounts::Column::AccountId.eq(account_id))
            .one(&txn)
            .await?;
        return if service.is_some() || discount.is_some() {
            Ok(())
        } else {
            Err(AccountError::NotFound)
        };
    }
    audit::record(
        &txn,
        core.now(),
        actor,
        "account.item_ended",
        About::account_item(account_id, item_id),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn add_credit(
    core: &Core,
    actor: &Actor,
    account_id: AccountId,
    kind: CreditKind,
    amount: Money,
    note: &str,
) -> Result<(), AccountError> {
    let row = credit_ledger::ActiveModel {
        id: Set(Uuid::new_v4()),
        account_id: Set(account_id.uuid()),
        kind: Set(kind),
        amount_minor: Set(amount.minor),
        currency: Set(amount.currency),
        note: Set(note.into()),
        created_by: Set(actor.user_id),
        created_at: Set(core.now()),
        partner_id: Set(None),
        invoice_id: Set(None),
        expires_on: Set(None),
        lot_id: Set(None),
        actor_label: Set(actor.label.clone()),
    };
    let detail = format!("{} {amount}", kind.as_str());
    add_to_account(core, actor, account_id, row, "account.credit", &detail).await
}

pub struct AccountQuery {
    pub q: String,
    pub billing: Option<BillingMode>,
    /// "" | "poc" | "active" | "inactive"
    pub flag: String,
    pub sort: String,
    pub desc: bool,
    pub page: u64,
    pub per_page: u64,
}

/// Rows to skip for a 1-based page; absurd page numbers cannot overflow.
pub fn page_offset(page: u64, per_page: u64) -> u64 {
    page.clamp(1, 1_000_000)
        .saturating_sub(1)
        .saturating_mul(per_page)
}

#[tracing::instrument(skip_all, level = "debug")]
pub async fn list(core: &Core, q: &AccountQuery) -> Result<(Vec<Account>, u64), DbErr> {
    let mut cond = Condition::all();
    let id = (accounts::Entity, accounts::Column::Id);
    let text = super::search::matching(&core.db, id, Doc::Account, &q.q, |p| {
        Condition::any()
            .add(ilike(accounts::Column::CompanyName, p))
            .add(ilike(accounts::Column::PrimaryEmail, p))
            .add(ilike(accounts::Column::Tags, p))
    })
    .await?;
    if let Some(text) = text {
        cond = cond.add(text);
    }
    if let Some(b) = q.billing {
        cond = cond.add(accounts::Column::BillingMode.eq(b));
    }
    match q.flag.as_str() {
        "poc" => cond = cond.add(accounts::Column::InPoc.eq(true)),
        "active" => cond = cond.add(accounts::Column::Active.eq(true)),
        "inactive" => cond = cond.add(accounts::Column::Active.eq(false)),
        _ => {}
    }
    let base = accounts::Entity::find().filter(cond);
    let total = base.clone().count(&core.db.read).await?;
    let col = match q.sort.as_str() {
        "email" => accounts::Column::PrimaryEmail,
        "country" => accounts::Column::Country,
        "billing" => accounts::Column::BillingMode,
        "created" => accounts::Column::CreatedAt,
        _ => accounts::Column::CompanyName,
    };
    let rows = base
        .order_by(col, if q.desc { Order::Desc } else { Order::Asc })
        .order_by_asc(accounts::Column::Id)
        .offset(page_offset(q.page, q.per_page))
        .limit(q.per_page)
        .all(&core.db.read)
        .await?;
    Ok((rows.into_iter().map(Into::into).collect(), total))
}

/// One row of an import: what it became.
pub struct ImportRow {
    pub line: usize,
    pub email: String,
    pub company: String,
    /// Empty when the row was created.
    pub errors: Vec<String>,
}

pub const IMPORT_HEADER: &[&str] = &[
    "company_name",
    "primary_email",
    "country",
    "phone",
    "data_center",
    "tags",
    "billing_mode",
    "in_poc",
];

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Csv(#[from] super::csv_rows::CsvError),
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<DbErr> for ImportError {
    fn from(e: DbErr) -> Self {
        Self::Account(e.into())
    }
}

/// Imports accounts from CSV (header row with `IMPORT_HEADER`'s columns). Every row is checked
/// first; valid rows are created together in one transaction and invalid ones reported, so no
/// row is ever half-imported.
#[tracing::instrument(skip_all)]
pub async fn import_csv(
    core: &Core,
    actor: &Actor,
    data: &[u8],
) -> Result<Vec<ImportRow>, ImportError> {
    let table = super::csv_rows::Table::read(data, &IMPORT_HEADER[..3])?;
    let mut report = Vec::new();
    let mut valid = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in table.rows() {
        let rec = match row {
            Ok(row) => row,
            Err((line, why)) => {
                report.push(ImportRow {
                    line,
                    email: String::new(),
                    company: String::new(),
                    errors: vec![why.to_string()],
                });
                continue;
            }
        };
        let line = rec.line;
        let mut errors = Vec::new();
        let mut ok = |field: &str, r: Result<(), Invalid>| {
            if let Err(e) = r {
                errors.push(format!("{field}: {}", e.0));
            }
        };
        let company = PlainName::parse(&rec.get("company_name"), "company name");
        let email = Email::parse(&rec.get("primary_email"));
        let country = CountryCode::parse(&rec.get("country"));
        let phone_raw = rec.get("phone");
        let phone = if phone_raw.is_empty() {
            Ok(None)
        } else {
            Phone::parse(&phone_raw).map(Some)
        };
        let dc_raw = rec.get("data_center");
        let dc = if dc_raw.is_empty() {
            Ok("default".to_string())
        } else {
            parse_data_center(&dc_raw)
        };
        let tags = parse_tags(&rec.get("tags"));
        let billing_raw = rec.get("billing_mode");
        let billing = if billing_raw.is_empty() {
            Ok(BillingMode::Prepaid)
        } else {
            BillingMode::parse(&billing_raw)
        };
        let poc_raw = rec.get("in_poc").to_lowercase();
        let poc = match poc_raw.as_str() {
            "" | "no" | "false" | "0" => Ok(false),
            "yes" | "true" | "1" => Ok(true),
            _ => Err(Invalid::new("Use yes or no.")),
        };
        ok(
            "company_name",
            company.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        ok(
            "primary_email",
            email.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        ok(
            "country",
            country.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        ok("phone", phone.as_ref().map(|_| ()).map_err(Clone::clone));
        ok("data_center", dc.as_ref().map(|_| ()).map_err(Clone::clone));
        ok("tags", tags.as_ref().map(|_| ()).map_err(Clone::clone));
        ok(
            "billing_mode",
            billing.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        ok("in_poc", poc.as_ref().map(|_| ()).map_err(Clone::clone));
        let email_text = email
            .as_ref()
            .map(|e| e.to_string())
            .unwrap_or_else(|_| rec.get("primary_email"));
        if let Ok(e) = &email {
            if !seen.insert(e.to_string()) {
                errors.push("primary_email: This email appears twice in the file.".into());
            } else if find_by_email(&core.db.read, e.as_str()).await?.is_some() {
                errors.push("primary_email: An account with this email already exists.".into());
            }
        }
        let row = ImportRow {
            line,
            email: email_text,
            company: rec.get("company_name"),
            errors,
        };
        if row.errors.is_empty() {
            if let (
                Ok(company),
                Ok(email),
                Ok(country),
                Ok(phone),
                Ok(dc),
                Ok(tags),
                Ok(billing),
                Ok(poc),
            ) = (company, email, country, phone, dc, tags, billing, poc)
            {
                valid.push(NewAccount {
                    company_name: company,
                    primary_email: email,
                    country,
                    phone,
                    data_center: dc,
                    tags,
                    billing_mode: billing,
                    in_poc: poc,
                    active: true,
                });
            }
        }
        report.push(row);
    }
    if !valid.is_empty() {
        let txn = core.db.begin().await?;
        for a in valid {
            create(&txn, core.now(), a, AccountSource::Import, actor).await?;
        }
        txn.commit().await?;
    }
    Ok(report)
}
