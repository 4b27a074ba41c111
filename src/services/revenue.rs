//! Reading commission and revenue: a partner's months and customers (from the monthly rows the
//! payments keep up to date, never a scan of every line), its statements and their lines,
//! staff's statements of every partner, and their approval and payout.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ColumnTrait, Condition, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    commission::{last_periods, period_of, EntryKind, TOTAL},
    export::{after_key, Batch, Paged},
    Core,
};
use crate::{
    domain::{commission::StatementStatus, Currency, Money, PartnerId},
    entities::{
        accounts, commission_entries as entries, commission_statements as statements, invoices,
        partners, products, registrations, revenue_months as months,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum RevenueError {
    #[error("not found")]
    NotFound,
    #[error("Choose at least one statement.")]
    NoneChosen,
    #[error("Only closed statements can be approved, and only approved ones paid out: {0}.")]
    WrongStatus(String),
    #[error("Enter the payout's reference (a transfer or batch id), at most 100 characters.")]
    Reference,
    #[error(transparent)]
    Fault(#[from] super::Fault),
}

super::faults_into!(RevenueError);

/// One month's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthFigures {
    pub invoiced: i64,
    pub outstanding: i64,
    pub paid: i64,
    pub commission: i64,
}

impl MonthFigures {
    const ZERO: Self = Self {
        invoiced: 0,
        outstanding: 0,
        paid: 0,
        commission: 0,
    };

    fn add(&mut self, r: &months::Model) {
        self.invoiced += r.invoiced_minor;
        self.outstanding += r.invoiced_minor - r.settled_minor;
        self.paid += r.paid_minor;
        self.commission += r.commission_minor;
    }
}

/// What the revenue page shows for a partner and one currency.
#[derive(Debug, Clone)]
pub struct Revenue {
    pub currency: Currency,
    /// The currencies the partner has figures in (for the filter).
    pub currencies: Vec<Currency>,
    /// The last 12 months, oldest first: ("2026-12", figures).
    pub months: Vec<(String, MonthFigures)>,
    /// Per customer over those months, the most paid first (at most `CUSTOMERS_SHOWN`).
    pub customers: Vec<CustomerFigures>,
    /// With a product filter, invoiced and outstanding are not known per product.
    pub by_product: bool,
    /// The customer filtered on, by name.
    pub customer: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CustomerFigures {
    pub account: Uuid,
    pub registration: Option<Uuid>,
    pub company: String,
    pub figures: MonthFigures,
}

pub const CUSTOMERS_SHOWN: u64 = 50;

/// Filters of the revenue page and its export.
#[derive(Debug, Clone, Default)]
pub struct RevenueQuery {
    /// One of the partner's customers (a registration).
    pub customer: Option<Uuid>,
    pub product: Option<Uuid>,
    pub currency: Option<Currency>,
    /// The per-customer table over the last 12 months (otherwise this month so far).
    pub customers_year: bool,
    /// The currency of the partner's stored 12-month figures, when they are current
    /// (`paid_12m::fresh`): the 12-month table in that currency reads its customers in the
    /// figures' order instead of summing every customer's months.
    pub figures_in: Option<Currency>,
}

/// The account a registration filter stands for, the partner's own only.
async fn account_of(core: &Core, partner: PartnerId, reg: Uuid) -> Result<Uuid, RevenueError> {
    registrations::Entity::find_by_id(reg)
        .filter(registrations::Column::PartnerId.eq(partner.uuid()))
        .one(&core.db.read)
        .await?
        .map(|r| r.account_id)
        .ok_or(RevenueError::NotFound)
}

/// The partner's figures for the last 12 months up to now.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn for_partner(
    core: &Core,
    partner: PartnerId,
    q: &RevenueQuery,
) -> Result<Revenue, RevenueError> {
    let read = &core.db.read;
    let periods = last_periods(&period_of(core.now()), 12);
    let first = periods[0].clone();
    let account = match q.customer {
        Some(r) => Some(account_of(core, partner, r).await?),
        None => None,
    };
    // The currencies it has figures in: the total rows of the window.
    let totals = months::Entity::find()
        .filter(months::Column::PartnerId.eq(partner.uuid()))
        .filter(months::Column::AccountId.eq(TOTAL))
        .filter(months::Column::Period.gte(first.as_str()))
        .all(read)
        .await?;
    let mut currencies: Vec<Currency> = totals.iter().map(|r| r.currency).collect();
    currencies.sort_by_key(|c| c.code());
    currencies.dedup();
    // Unless asked for another, the currency it was paid most in (the one rule the stored
    // 12-month figures follow too).
    let currency = q.currency.unwrap_or_else(|| {
        super::paid_12m::leading(totals.iter().map(|r| (r.currency, r.paid_minor)))
    });
    let mut by_month: HashMap<String, MonthFigures> = HashMap::new();
    let by_product = q.product.is_some();
    if let Some(product) = q.product {
        // Per product only what the commission lines know: paid and commission.
        let mut cond = Condition::all()
            .add(entries::Column::PartnerId.eq(partner.uuid()))
            .add(entries::Column::Period.gte(first.as_str()))
            .add(entries::Column::Currency.eq(currency.code()))
            .add(entries::Column::ProductId.eq(product));
        if let Some(a) = account {
            cond = cond.add(entries::Column::AccountId.eq(a));
        }
        for e in entries::Entity::find().filter(cond).all(read).await? {
            let f = by_month
                .entry(e.period.clone())
                .or_insert(MonthFigures::ZERO);
            match e.kind {
                EntryKind::Earned => {
                    f.paid += e.base_minor;
                    f.commission += e.amount_minor;
                }
                EntryKind::Reversed => {
                    f.paid -= e.base_minor;
                    f.commission -= e.amount_minor;
                }
                EntryKind::Charged => {}
            }
        }
    } else {
        // The partner's own months are the total rows read above.
        let rows = match account {
            None => totals
                .iter()
                .filter(|r| r.currency == currency)
                .cloned()
                .collect(),
            Some(a) => {
                months::Entity::find()
                    .filter(months::Column::PartnerId.eq(partner.uuid()))
                    .filter(months::Column::AccountId.eq(a))
                    .filter(months::Column::Period.gte(first.as_str()))
                    .filter(months::Column::Currency.eq(currency.code()))
                    .all(read)
                    .await?
            }
        };
        for r in &rows {
            by_month
                .entry(r.period.clone())
                .or_insert(MonthFigures::ZERO)
                .add(r);
        }
    }
    let months_out = periods
        .iter()
        .map(|p| {
            (
                p.clone(),
                by_month.get(p).copied().unwrap_or(MonthFigures::ZERO),
            )
        })
        .collect();
    let customers = if by_product {
        Vec::new()
    } else {
        let from = if q.customers_year {
            first.clone()
        } else {
            periods[periods.len() - 1].clone()
        };
        let stored = match (q.customers_year, account, q.figures_in) {
            (true, None, Some(c)) if c == currency => {
                top_by_stored_figure(core, partner, &first, currency).await?
            }
            _ => None,
        };
        match stored {
            Some(top) => top,
            None => top_customers(core, partner, &from, currency, account).await?,
        }
    };
    let customer = match account {
        Some(a) => accounts::Entity::find_by_id(a)
            .one(read)
            .await?
            .map(|a| a.company_name),
        None => None,
    };
    Ok(Revenue {
        currency,
        currencies,
        months: months_out,
        customers,
        by_product,
        customer,
    })
}

#[derive(Debug, FromQueryResult)]
struct CustomerSums {
    account_id: Uuid,
    invoiced: i64,
    settled: i64,
    paid: i64,
    commission: i64,
}

/// The 12-month table from the registrations' stored figures: the 50 most paid, read in the
/// figures' index order, then their months. `None` when fewer than 50 customers paid anything
/// (the rest would be in no particular order: the summing read lists them by their figures).
async fn top_by_stored_figure(
    core: &Core,
    partner: PartnerId,
    first: &str,
    currency: Currency,
) -> Result<Option<Vec<CustomerFigures>>, RevenueError> {
    let read = &core.db.read;
    // Each shown row's month figures, summed over its own monthly rows (a probe of the
    // account's key per figure; a read of the 50 accounts' months at once would walk every
    // month of the partner's on SQLite).
    let sum_of = |c: months::Column| {
        use sea_orm::sea_query::{Func, Query, SimpleExpr, SubQueryStatement};
        let q = Query::select()
            .expr(Func::coalesce([
                Expr::col((months::Entity, c)).sum(),
                Expr::val(0i64),
            ]))
            .from(months::Entity)
            .and_where(
                Expr::col((months::Entity, months::Column::PartnerId))
                    .equals((registrations::Entity, registrations::Column::PartnerId)),
            )
            .and_where(
                Expr::col((months::Entity, months::Column::AccountId))
                    .equals((registrations::Entity, registrations::Column::AccountId)),
            )
            .and_where(Expr::col((months::Entity, months::Column::Period)).gte(first))
            .and_where(Expr::col((months::Entity, months::Column::Currency)).eq(currency.code()))
            .to_owned();
        SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(q)))
            .cast_as("BIGINT")
    };
    #[derive(FromQueryResult)]
    struct Top {
        id: Uuid,
        account_id: Uuid,
        paid_12m_minor: i64,
        company: String,
        invoiced: i64,
        settled: i64,
        commission: i64,
    }
    // Slack for accounts with more than one registration (an earlier one ended).
    let rows: Vec<Top> = registrations::Entity::find()
        .select_only()
        .column(registrations::Column::Id)
        .column(registrations::Column::AccountId)
        .column(registrations::Column::Paid12mMinor)
        .column_as(accounts::Column::CompanyName, "company")
        .expr_as(sum_of(months::Column::InvoicedMinor), "invoiced")
        .expr_as(sum_of(months::Column::SettledMinor), "settled")
        .expr_as(sum_of(months::Column::CommissionMinor), "commission")
        .join(
            sea_orm::JoinType::InnerJoin,
            sea_orm::RelationTrait::def(&registrations::Relation::Account),
        )
        .filter(registrations::Column::PartnerId.eq(partner.uuid()))
        .order_by_desc(registrations::Column::Paid12mMinor)
        .order_by_desc(registrations::Column::Id)
        .limit(CUSTOMERS_SHOWN * 2)
        .into_model()
        .all(read)
        .await?;
    let mut top: Vec<Top> = Vec::new();
    for r in rows {
        if !top.iter().any(|t| t.account_id == r.account_id) && top.len() < CUSTOMERS_SHOWN as usize
        {
            top.push(r);
        }
    }
    if top.len() < CUSTOMERS_SHOWN as usize || top.iter().any(|t| t.paid_12m_minor <= 0) {
        return Ok(None);
    }
    Ok(Some(
        top.into_iter()
            .map(|t| CustomerFigures {
                account: t.account_id,
                registration: Some(t.id),
                company: t.company,
                figures: MonthFigures {
                    invoiced: t.invoiced,
                    outstanding: t.invoiced - t.settled,
                    paid: t.paid_12m_minor,
                    commission: t.commission,
                },
            })
            .collect(),
    ))
}

async fn top_customers(
    core: &Core,
    partner: PartnerId,
    first: &str,
    currency: Currency,
    only: Option<Uuid>,
) -> Result<Vec<CustomerFigures>, RevenueError> {
    let read = &core.db.read;
    let sums: Vec<CustomerSums> = if first == period_of(core.now()) && only.is_none() {
        // This month: one row per customer already, read in the paid order of the month
        // index (no grouping, no sort of every customer's row).
        months::Entity::find()
            .select_only()
            .column(months::Column::AccountId)
            .column_as(months::Column::InvoicedMinor, "invoiced")
            .column_as(months::Column::SettledMinor, "settled")
            .column_as(months::Column::PaidMinor, "paid")
            .column_as(months::Column::CommissionMinor, "commission")
            .filter(months::Column::PartnerId.eq(partner.uuid()))
            .filter(months::Column::Period.eq(first))
            .filter(months::Column::Currency.eq(currency.code()))
            .filter(months::Column::AccountId.ne(TOTAL))
            .order_by_desc(months::Column::PaidMinor)
            .limit(CUSTOMERS_SHOWN)
            .into_model()
            .all(read)
            .await?
    } else {
        summed_customers(core, partner, first, currency, only).await?
    };
    let ids: Vec<Uuid> = sums.iter().map(|s| s.account_id).collect();
    let names: HashMap<Uuid, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        accounts::Entity::find()
            .filter(accounts::Column::Id.is_in(ids.clone()))
            .all(read)
            .await?
            .into_iter()
            .map(|a| (a.id, a.company_name))
            .collect()
    };
    let regs: HashMap<Uuid, Uuid> = if ids.is_empty() {
        HashMap::new()
    } else {
        // By the accounts' index alone (with the partner in the query SQLite walks every
        // registration of the partner's instead), the partner's kept; the newest wins.
        let mut regs = registrations::Entity::find()
            .filter(registrations::Column::AccountId.is_in(ids))
            .all(read)
            .await?;
        regs.retain(|r| r.partner_id == partner.uuid());
        regs.sort_by_key(|r| r.created_at);
        regs.into_iter().map(|r| (r.account_id, r.id)).collect()
    };
    Ok(sums
        .into_iter()
        .map(|s| CustomerFigures {
            registration: regs.get(&s.account_id).copied(),
            company: names.get(&s.account_id).cloned().unwrap_or_default(),
            account: s.account_id,
            figures: MonthFigures {
                invoiced: s.invoiced,
                outstanding: s.invoiced - s.settled,
                paid: s.paid,
                commission: s.commission,
            },
        })
        .collect())
}

/// Per customer over the months from `first`: each one's monthly rows summed, the most paid
/// first.
async fn summed_customers(
    core: &Core,
    partner: PartnerId,
    first: &str,
    currency: Currency,
    only: Option<Uuid>,
) -> Result<Vec<CustomerSums>, RevenueError> {
    let sum = |c: months::Column| Expr::col(c).sum().cast_as("BIGINT");
    let mut q = months::Entity::find()
        .select_only()
        .column(months::Column::AccountId)
        .expr_as(sum(months::Column::InvoicedMinor), "invoiced")
        .expr_as(sum(months::Column::SettledMinor), "settled")
        .expr_as(sum(months::Column::PaidMinor), "paid")
        .expr_as(sum(months::Column::CommissionMinor), "commission")
        .filter(months::Column::PartnerId.eq(partner.uuid()))
        .filter(months::Column::Period.gte(first))
        .filter(months::Column::Currency.eq(currency.code()))
        .filter(months::Column::AccountId.ne(TOTAL))
        .group_by(months::Column::AccountId)
        .order_by_desc(Expr::col(months::Column::PaidMinor).sum())
        .limit(CUSTOMERS_SHOWN);
    if let Some(a) = only {
        q = q.filter(months::Column::AccountId.eq(a));
    }
    Ok(q.into_model().all(&core.db.read).await?)
}

/// A statement as shown, with its closing computed while it is open.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatementView {
    pub id: Uuid,
    #[serde(skip)]
    pub partner_id: Uuid,
    #[serde(skip)]
    pub partner: String,
    /// The month, "2026-12".
    pub period: String,
    pub currency: String,
    /// Minor units of `currency`.
    pub opening: i64,
    pub earned: i64,
    pub reversed: i64,
    pub charged: i64,
    pub closing: i64,
    /// `open`, `closed`, `approved` or `paid`.
    pub status: String,
    /// The same, typed: what the pages decide from.
    #[serde(skip)]
    pub state: StatementStatus,
    pub payout_reference: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
}

impl StatementView {
    fn from_row(s: statements::Model, partner: String) -> Self {
        let closing = if s.status == StatementStatus::Open {
            s.opening_minor + s.earned_minor - s.reversed_minor - s.charged_minor
        } else {
            s.closing_minor
        };
        Self {
            id: s.id,
            partner_id: s.partner_id,
            partner,
            period: s.period,
            currency: s.currency.code().to_string(),
            opening: s.opening_minor,
            earned: s.earned_minor,
            reversed: s.reversed_minor,
            charged: s.charged_minor,
            closing,
            status: s.status.as_str().to_string(),
            state: s.status,
            payout_reference: s.payout_reference,
            closed_at: s.closed_at,
            approved_at: s.approved_at,
            paid_at: s.paid_at,
        }
    }

    pub fn money(&self, minor: impl std::borrow::Borrow<i64>) -> Money {
        Money::new(
            *minor.borrow(),
            Currency::parse(&self.currency).unwrap_or(Currency::Usd),
        )
    }

    pub fn status_label(&self) -> &'static str {
        self.state.label()
    }

    pub fn tone(&self) -> &'static str {
        self.state.tone()
    }

    /// Staff can select it for approval or payout.
    pub fn selectable(&self) -> bool {
        self.state.staff_can_act()
    }
}

/// The partner's statements, newest first (at most `limit`).
pub async fn statements_of(
    core: &Core,
    partner: PartnerId,
    limit: u64,
) -> Result<Vec<StatementView>, RevenueError> {
    Ok(statements::Entity::find()
        .filter(statements::Column::PartnerId.eq(partner.uuid()))
        .order_by_desc(statements::Column::Period)
        .order_by_asc(statements::Column::Currency)
        .limit(limit)
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(|s| StatementView::from_row(s, String::new()))
        .collect())
}

/// One of the partner's statements (another partner's is "not found").
pub async fn statement_of(
    core: &Core,
    partner: PartnerId,
    id: Uuid,
) -> Result<StatementView, RevenueError> {
    statements::Entity::find_by_id(id)
        .filter(statements::Column::PartnerId.eq(partner.uuid()))
        .one(&core.db.read)
        .await?
        .map(|s| StatementView::from_row(s, String::new()))
        .ok_or(RevenueError::NotFound)
}

/// A line behind the figures: one commission entry, with its invoice, customer and product.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub id: Uuid,
    /// `earned`, `reversed` or `charged`.
    pub kind: String,
    /// The same, typed, for the pages.
    #[serde(skip)]
    pub entry: EntryKind,
    /// The currency, typed, for the pages.
    #[serde(skip)]
    pub in_currency: Currency,
    pub period: String,
    pub invoice_id: Option<Uuid>,
    pub invoice_number: Option<String>,
    pub customer_account_id: Uuid,
    pub customer: String,
    pub product_sku: Option<String>,
    pub description: String,
    /// The net amount it is a share of, in minor units.
    pub base: i64,
    /// The rate in basis points (1 % = 100).
    pub rate_bp: i32,
    /// Minor units of `currency`; always positive, the kind says which way it counts.
    pub amount: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

/// Any partner's statement (staff).
pub async fn statement(core: &Core, id: Uuid) -> Result<StatementView, RevenueError> {
    let s = statements::Entity::find_by_id(id)
        .one(&core.db.read)
        .await?
        .ok_or(RevenueError::NotFound)?;
    let name = partners::Entity::find_by_id(s.partner_id)
        .one(&core.db.read)
        .await?
        .map(|p| p.company_name)
        .unwrap_or_default();
    Ok(StatementView::from_row(s, name))
}

/// The entries behind a statement (its partner, month and currency), oldest first.
pub async fn statement_lines(
    core: &Core,
    partner: PartnerId,
    id: Uuid,
) -> Result<Vec<Line>, RevenueError> {
    let s = statement_of(core, partner, id).await?;
    lines_of_statement(core, &s).await
}

/// The entries behind a statement already read.
pub async fn lines_of_statement(core: &Core, s: &StatementView) -> Result<Vec<Line>, RevenueError> {
    let rows = LineSelection::of_statement(s)
        .ordered()
        .all(&core.db.read)
        .await?;
    lines_of(core, rows).await
}

/// Which commission entries a list of lines reads, decided once (a customer filter must be
/// one of the partner's own) and then read in full or page by page.
#[derive(Clone)]
pub struct LineSelection(Condition);

/// Where a page of lines ends: the period, time and id of its last line.
pub type LineCursor = (String, DateTime<Utc>, Uuid);

impl LineSelection {
    /// The lines behind the revenue page's figures (its filters, the last 12 months).
    pub async fn of_revenue(
        core: &Core,
        partner: PartnerId,
        q: &RevenueQuery,
    ) -> Result<Self, RevenueError> {
        let periods = last_periods(&period_of(core.now()), 12);
        let mut cond = Condition::all()
            .add(entries::Column::PartnerId.eq(partner.uuid()))
            .add(entries::Column::Period.gte(periods[0].as_str()));
        if let Some(r) = q.customer {
            cond = cond.add(entries::Column::AccountId.eq(account_of(core, partner, r).await?));
        }
        if let Some(p) = q.product {
            cond = cond.add(entries::Column::ProductId.eq(p));
        }
        if let Some(c) = q.currency {
            cond = cond.add(entries::Column::Currency.eq(c.code()));
        }
        Ok(Self(cond))
    }

    /// The entries behind a statement (its partner, month and currency).
    pub fn of_statement(s: &StatementView) -> Self {
        Self(
            Condition::all()
                .add(entries::Column::PartnerId.eq(s.partner_id))
                .add(entries::Column::Period.eq(s.period.as_str()))
                .add(entries::Column::Currency.eq(s.currency.as_str())),
        )
    }

    /// Oldest first: by period, then time, then id (unique, so pages never skip or repeat).
    fn ordered(&self) -> sea_orm::Select<entries::Entity> {
        entries::Entity::find()
            .filter(self.0.clone())
            .order_by_asc(entries::Column::Period)
            .order_by_asc(entries::Column::CreatedAt)
            .order_by_asc(entries::Column::Id)
    }
}

impl Paged for LineSelection {
    type Row = Line;
    type Cursor = LineCursor;
    type Error = RevenueError;

    async fn page(
        &self,
        core: &Core,
        after: Option<LineCursor>,
        limit: u64,
    ) -> Result<Batch<Line, LineCursor>, RevenueError> {
        let mut q = self.ordered();
        if let Some((period, at, id)) = after {
            q = q.filter(after_key(
                &[
                    (entries::Column::Period, period.into()),
                    (entries::Column::CreatedAt, at.into()),
                    (entries::Column::Id, id.into()),
                ],
                Order::Asc,
            ));
        }
        let rows = q.limit(limit + 1).all(&core.db.read).await?;
        let lines = lines_of(core, rows).await?;
        Ok(Batch::of(lines, limit, |l| {
            (l.period.clone(), l.created_at, l.id)
        }))
    }
}

async fn lines_of(core: &Core, rows: Vec<entries::Model>) -> Result<Vec<Line>, RevenueError> {
    let read = &core.db.read;
    let mut inv_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.invoice_id).collect();
    let mut acc_ids: Vec<Uuid> = rows.iter().map(|r| r.account_id).collect();
    let mut prod_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.product_id).collect();
    for v in [&mut inv_ids, &mut acc_ids, &mut prod_ids] {
        v.sort();
        v.dedup();
    }
    let mut numbers = HashMap::new();
    for chunk in inv_ids.chunks(500) {
        for i in invoices::Entity::find()
            .filter(invoices::Column::Id.is_in(chunk.to_vec()))
            .all(read)
            .await?
        {
            numbers.insert(i.id, i.number);
        }
    }
    let mut names = HashMap::new();
    for chunk in acc_ids.chunks(500) {
        for a in accounts::Entity::find()
            .filter(accounts::Column::Id.is_in(chunk.to_vec()))
            .all(read)
            .await?
        {
            names.insert(a.id, a.company_name);
        }
    }
    let mut skus = HashMap::new();
    for chunk in prod_ids.chunks(500) {
        for p in products::Entity::find()
            .filter(products::Column::Id.is_in(chunk.to_vec()))
            .all(read)
            .await?
        {
            skus.insert(p.id, p.sku);
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| Line {
            id: r.id,
            kind: r.kind.as_str().to_string(),
            entry: r.kind,
            in_currency: r.currency,
            period: r.period,
            invoice_number: r.invoice_id.and_then(|i| numbers.get(&i).cloned()),
            invoice_id: r.invoice_id,
            customer: names.get(&r.account_id).cloned().unwrap_or_default(),
            customer_account_id: r.account_id,
            product_sku: r.product_id.and_then(|p| skus.get(&p).cloned()),
            description: r.description,
            base: r.base_minor,
            rate_bp: r.rate_bp,
            amount: r.amount_minor,
            currency: r.currency.code().to_string(),
            created_at: r.created_at,
        })
        .collect())
}

// ------------------------------------------------------------------ staff

#[derive(Debug, Clone, Default)]
pub struct StaffQuery {
    pub period: Option<String>,
    pub status: Option<StatementStatus>,
    pub partner: Option<Uuid>,
}

/// Every partner's statements matching the filters, newest month first, then by partner.
pub async fn all_statements(
    core: &Core,
    q: &StaffQuery,
    limit: u64,
) -> Result<Vec<StatementView>, RevenueError> {
    let read = &core.db.read;
    let mut cond = Condition::all();
    if let Some(p) = &q.period {
        cond = cond.add(statements::Column::Period.eq(p.as_str()));
    }
    if let Some(s) = &q.status {
        cond = cond.add(statements::Column::Status.eq(s.as_str()));
    }
    if let Some(p) = q.partner {
        cond = cond.add(statements::Column::PartnerId.eq(p));
    }
    let rows = statements::Entity::find()
        .filter(cond)
        .order_by_desc(statements::Column::Period)
        .order_by_asc(statements::Column::PartnerId)
        .order_by_asc(statements::Column::Currency)
        .limit(limit)
        .all(read)
        .await?;
    let mut ids: Vec<Uuid> = rows.iter().map(|r| r.partner_id).collect();
    ids.sort();
    ids.dedup();
    let mut names = HashMap::new();
    for chunk in ids.chunks(500) {
        for p in partners::Entity::find()
            .filter(partners::Column::Id.is_in(chunk.to_vec()))
            .all(read)
            .await?
        {
            names.insert(p.id, p.company_name);
        }
    }
    let mut out: Vec<StatementView> = rows
        .into_iter()
        .map(|s| {
            let name = names.get(&s.partner_id).cloned().unwrap_or_default();
            StatementView::from_row(s, name)
        })
        .collect();
    out.sort_by(|a, b| {
        b.period
            .cmp(&a.period)
            .then_with(|| a.partner.cmp(&b.partner))
            .then_with(|| a.currency.cmp(&b.currency))
    });
    Ok(out)
}

/// Approves closed statements, or records the payout of approved ones (with its reference),
/// all or none: a statement in another status refuses the whole request.
#[tracing::instrument(skip(core, actor))]
pub async fn advance(
    core: &Core,
    actor: &Actor,
    ids: &[Uuid],
    to_paid: Option<&str>,
) -> Result<usize, RevenueError> {
    if ids.is_empty() {
        return Err(RevenueError::NoneChosen);
    }
    let reference = match to_paid {
        Some(r) => {
            let r = r.trim();
            if r.is_empty() || r.chars().count() > 100 || r.chars().any(char::is_control) {
                return Err(RevenueError::Reference);
            }
            Some(r.to_string())
        }
        None => None,
    };
    let (from, to) = if reference.is_some() {
        (StatementStatus::Approved, StatementStatus::Paid)
    } else {
        (StatementStatus::Closed, StatementStatus::Approved)
    };
    let now = core.now();
    let txn = core.db.begin().await?;
    let rows = statements::Entity::find()
        .filter(statements::Column::Id.is_in(ids.to_vec()))
        .all(&txn)
        .await?;
    if rows.len() != ids.len() {
        return Err(RevenueError::NotFound);
    }
    if let Some(bad) = rows.iter().find(|r| r.status != from) {
        return Err(RevenueError::WrongStatus(format!(
            "{} is {}",
            bad.period,
            bad.status.label().to_lowercase()
        )));
    }
    let mut update = statements::Entity::update_many()
        .col_expr(statements::Column::Status, Expr::value(to))
        .filter(statements::Column::Id.is_in(ids.to_vec()))
        .filter(statements::Column::Status.eq(from));
    update = if let Some(r) = &reference {
        update
            .col_expr(statements::Column::PaidAt, Expr::value(now))
            .col_expr(statements::Column::PaidBy, Expr::value(actor.label.clone()))
            .col_expr(statements::Column::PayoutReference, Expr::value(r.clone()))
    } else {
        update
            .col_expr(statements::Column::ApprovedAt, Expr::value(now))
            .col_expr(
                statements::Column::ApprovedBy,
                Expr::value(actor.label.clone()),
            )
    };
    let moved = update.exec(&txn).await?;
    if moved.rows_affected as usize != ids.len() {
        // Another staff member moved one meanwhile: nothing changes.
        return Err(RevenueError::WrongStatus("one changed meanwhile".into()));
    }
    for r in &rows {
        audit::record(
            &txn,
            now,
            actor,
            if reference.is_some() {
                "commission.statement_paid"
            } else {
                "commission.statement_approved"
            },
            About::partner(Some(r.partner_id), Some(r.id)),
            &format!(
                "{} {}: {}{}",
                r.period,
                r.currency,
                Money::new(r.closing_minor, r.currency),
                reference
                    .as_ref()
                    .map_or(String::new(), |x| format!(", payout {x}"))
            ),
        )
        .await?;
    }
    core.commit(txn).await?;
    Ok(rows.len())
}
