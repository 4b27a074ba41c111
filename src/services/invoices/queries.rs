//! Reading invoices: one (for its partner, staff or the customer's users), a customer's,
//! an account's, and the filtered lists with their sums.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::super::{
    export::{after_key, Batch, Paged},
    Core,
};
use crate::{
    domain::{
        invoice::{InvoiceKind, InvoiceStatus, ListSum},
        payment::PaymentOutcome,
        Currency, Money,
    },
    entities::{invoice_lines, invoices, partners, payments},
};

use super::*;

/// What the payment page shows: who bills whom, the lines, the total, the due date.
pub struct PayView {
    pub invoice: InvoiceView,
    pub lines: Vec<LineView>,
    /// The successful payment, once paid (the receipt).
    pub receipt: Option<PaymentView>,
}

pub(super) async fn view(
    conn: &impl ConnectionTrait,
    invoice: invoices::Model,
) -> Result<PayView, InvoiceError> {
    let lines = invoice_lines::Entity::find()
        .filter(invoice_lines::Column::InvoiceId.eq(invoice.id))
        .order_by_asc(invoice_lines::Column::Position)
        .all(conn)
        .await?;
    let receipt = payments::Entity::find()
        .filter(payments::Column::InvoiceId.eq(invoice.id))
        .filter(payments::Column::Outcome.eq(PaymentOutcome::Succeeded))
        .one(conn)
        .await?;
    Ok(PayView {
        receipt: receipt.map(PaymentView::from),
        lines: lines.iter().map(|l| LineView::of(l, &invoice)).collect(),
        invoice: InvoiceView::of(&invoice),
    })
}

/// What is left to pay of an invoice: its total less the credit applied to it, while open.
pub async fn amount_due(core: &Core, invoice: Uuid) -> Result<Money, InvoiceError> {
    let inv = invoices::Entity::find_by_id(invoice)
        .one(&core.db.write)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    Ok(settlement::state_of(&inv).due())
}

/// Who looks at an invoice: its partner, staff, or a user of the customer's account. Anyone
/// else's invoice is not found.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    Partner(crate::domain::PartnerId),
    Staff,
    Account(crate::domain::AccountId),
}

/// An invoice, with its payment link while open and its history.
pub struct InvoiceDetail {
    pub view: PayView,
    pub link: Option<String>,
    pub history: Vec<crate::services::views::AuditEntry>,
    /// Every payment attempt, oldest first: succeeded, declined, applied from credit, and
    /// money that did not match (to check and refund).
    pub payments: Vec<PaymentView>,
}

pub(super) async fn visible(
    conn: &impl ConnectionTrait,
    viewer: Viewer,
    id: Uuid,
) -> Result<invoices::Model, InvoiceError> {
    let find = invoices::Entity::find_by_id(id);
    match viewer {
        Viewer::Partner(p) => find.filter(invoices::Column::PartnerId.eq(p.uuid())),
        Viewer::Account(a) => find.filter(invoices::Column::AccountId.eq(a.uuid())),
        Viewer::Staff => find,
    }
    .one(conn)
    .await?
    .ok_or(InvoiceError::NotFound)
}

#[tracing::instrument(skip(core), level = "debug")]
pub async fn detail(core: &Core, viewer: Viewer, id: Uuid) -> Result<InvoiceDetail, InvoiceError> {
    let conn = &core.db.read;
    let inv = visible(conn, viewer, id).await?;
    let history = crate::entities::audit_events::Entity::find()
        .filter(crate::entities::audit_events::Column::SubjectId.eq(inv.id))
        .order_by_asc(crate::entities::audit_events::Column::At)
        .all(conn)
        .await?
        .into_iter()
        .map(crate::services::views::AuditEntry::from)
        .collect();
    let link = (inv.status == InvoiceStatus::Open).then(|| link(core, &inv));
    let payments = payments::Entity::find()
        .filter(payments::Column::InvoiceId.eq(inv.id))
        .order_by_asc(payments::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(PaymentView::from)
        .collect();
    Ok(InvoiceDetail {
        view: view(conn, inv).await?,
        link,
        history,
        payments,
    })
}

/// An invoice's view, with its payment link while open.
fn with_link(core: &Core, i: &invoices::Model) -> (InvoiceView, Option<String>) {
    let l = (i.status == InvoiceStatus::Open).then(|| link(core, i));
    (InvoiceView::of(i), l)
}

/// A customer's invoices, newest first (its partner's view), each with its link while open.
pub async fn of_customer(
    core: &Core,
    partner: crate::domain::PartnerId,
    reg: crate::domain::RegistrationId,
) -> Result<Vec<(InvoiceView, Option<String>)>, InvoiceError> {
    Ok(invoices::Entity::find()
        .filter(invoices::Column::PartnerId.eq(partner.uuid()))
        .filter(invoices::Column::RegistrationId.eq(reg.uuid()))
        .order_by_desc(invoices::Column::IssuedAt)
        .all(&core.db.read)
        .await?
        .iter()
        .map(|i| with_link(core, i))
        .collect())
}

/// A customer account's invoices, newest first, with the payment link of each open one.
pub async fn of_account(
    core: &Core,
    account: crate::domain::AccountId,
) -> Result<Vec<(InvoiceView, Option<String>)>, InvoiceError> {
    Ok(invoices::Entity::find()
        .filter(invoices::Column::AccountId.eq(account.uuid()))
        .order_by_desc(invoices::Column::IssuedAt)
        .all(&core.db.read)
        .await?
        .iter()
        .map(|i| with_link(core, i))
        .collect())
}

/// The invoice lists' filters.
#[derive(Debug, Clone, Default)]
pub struct InvoiceQuery {
    pub status: Option<InvoiceStatus>,
    /// Part of the customer's name, in any case.
    pub customer: String,
    /// Issued in this month (year, month).
    pub month: Option<(i32, u32)>,
}

/// The invoices a list's filters select, for a partner or (`None`) for staff: decided once,
/// then read a page at a time.
#[derive(Clone)]
pub struct InvoiceSelection {
    partner: Option<crate::domain::PartnerId>,
    cond: sea_orm::Condition,
}

/// Where a page of invoices ends: the issue time and id of its last invoice.
pub type InvoiceCursor = (chrono::DateTime<chrono::Utc>, Uuid);

impl InvoiceSelection {
    pub fn new(
        partner: Option<crate::domain::PartnerId>,
        q: &InvoiceQuery,
    ) -> Result<Self, InvoiceError> {
        let mut cond = sea_orm::Condition::all();
        if let Some(p) = partner {
            cond = cond.add(invoices::Column::PartnerId.eq(p.uuid()));
        }
        if let Some(s) = q.status {
            cond = cond.add(invoices::Column::Status.eq(s.as_str()));
        }
        if !q.customer.trim().is_empty() {
            let pattern = crate::services::search::like_pattern(&q.customer.trim().to_lowercase());
            cond = cond.add(crate::services::search::ilike(
                invoices::Column::CustomerName,
                &pattern,
            ));
        }
        if let Some((y, m)) = q.month {
            let start = chrono::NaiveDate::from_ymd_opt(y, m, 1).ok_or(InvoiceError::NotFound)?;
            let end = start
                .checked_add_months(chrono::Months::new(1))
                .ok_or(InvoiceError::NotFound)?;
            let at = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
            if let (Some(from), Some(to)) = (at(start), at(end)) {
                cond = cond.add(invoices::Column::IssuedAt.gte(from));
                cond = cond.add(invoices::Column::IssuedAt.lt(to));
            }
        }
        Ok(Self { partner, cond })
    }

    /// Newest first: by issue time, then id (unique, so pages never skip or repeat).
    fn ordered(&self) -> sea_orm::Select<invoices::Entity> {
        invoices::Entity::find()
            .filter(self.cond.clone())
            .order_by_desc(invoices::Column::IssuedAt)
            .order_by_desc(invoices::Column::Id)
    }

    /// The rows as listed: with their partner's name on staff's list.
    async fn listed(
        &self,
        conn: &impl ConnectionTrait,
        rows: Vec<invoices::Model>,
    ) -> Result<Vec<ListedInvoice>, InvoiceError> {
        let mut names = std::collections::HashMap::new();
        if self.partner.is_none() {
            let ids: Vec<Uuid> = rows.iter().map(|r| r.partner_id).collect();
            for p in partners::Entity::find()
                .filter(partners::Column::Id.is_in(ids))
                .all(conn)
                .await?
            {
                names.insert(p.id, p.company_name);
            }
        }
        Ok(rows
            .into_iter()
            .map(|i| ListedInvoice {
                partner: names.get(&i.partner_id).cloned().unwrap_or_default(),
                invoice: InvoiceView::of(&i),
            })
            .collect())
    }
}

impl Paged for InvoiceSelection {
    type Row = ListedInvoice;
    type Cursor = InvoiceCursor;
    type Error = InvoiceError;

    async fn page(
        &self,
        core: &Core,
        after: Option<InvoiceCursor>,
        limit: u64,
    ) -> Result<Batch<ListedInvoice, InvoiceCursor>, InvoiceError> {
        use sea_orm::QuerySelect;
        let mut q = self.ordered();
        if let Some((at, id)) = after {
            q = q.filter(after_key(
                &[
                    (invoices::Column::IssuedAt, at.into()),
                    (invoices::Column::Id, id.into()),
                ],
                sea_orm::Order::Desc,
            ));
        }
        let conn = &core.db.read;
        let rows = q.limit(limit + 1).all(conn).await?;
        let rows = self.listed(conn, rows).await?;
        Ok(Batch::of(rows, limit, |r| {
            (r.invoice.issued_at, r.invoice.id)
        }))
    }
}

/// One line of an invoice list.
pub struct ListedInvoice {
    pub invoice: InvoiceView,
    /// The partner's name (staff's list).
    pub partner: String,
}

/// A page of invoices, newest first, with the filtered total per status and currency (open
/// and paid sums), for a partner or (`None`) for staff.
pub struct InvoiceList {
    pub rows: Vec<ListedInvoice>,
    pub has_more: bool,
    pub sums: Vec<(ListSum, Money)>,
}

/// One group of a list's sums: status, kind, currency, the sums of totals and of credit.
type SumRow = (
    InvoiceStatus,
    InvoiceKind,
    Currency,
    Option<i64>,
    Option<i64>,
);

#[tracing::instrument(skip(core), level = "debug")]
pub async fn list(
    core: &Core,
    partner: Option<crate::domain::PartnerId>,
    q: &InvoiceQuery,
    offset: u64,
    limit: u64,
) -> Result<InvoiceList, InvoiceError> {
    use sea_orm::QuerySelect;
    let selection = InvoiceSelection::new(partner, q)?;
    let conn = &core.db.read;
    let mut rows = selection
        .ordered()
        .offset(offset)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let sums: Vec<SumRow> = invoices::Entity::find()
        .select_only()
        .column(invoices::Column::Status)
        .column(invoices::Column::Kind)
        .column(invoices::Column::Currency)
        // PostgreSQL sums BIGINT as NUMERIC: cast back.
        .column_as(
            sea_orm::sea_query::Expr::cust("CAST(SUM(total_minor) AS BIGINT)"),
            "total",
        )
        .column_as(
            sea_orm::sea_query::Expr::cust("CAST(SUM(credit_minor) AS BIGINT)"),
            "credit",
        )
        .filter(selection.cond.clone())
        .group_by(invoices::Column::Status)
        .group_by(invoices::Column::Kind)
        .group_by(invoices::Column::Currency)
        .into_tuple()
        .all(conn)
        .await?;
    let rows = selection.listed(conn, rows).await?;
    // Each figure is the sum of one column of the rows it stands for: open invoices' left to
    // pay, the others' totals, credit notes apart (as the amount they gave back).
    let mut folded: std::collections::BTreeMap<(ListSum, Currency), i64> = Default::default();
    for (status, kind, currency, total, credit) in sums {
        let (total, credit) = (total.unwrap_or(0), credit.unwrap_or(0));
        let (what, amount) = ListSum::of(status, kind, total, credit);
        *folded.entry((what, currency)).or_default() += amount;
    }
    let sums = folded
        .into_iter()
        .map(|((what, c), minor)| (what, Money::new(minor, c)))
        .collect();
    Ok(InvoiceList {
        rows,
        has_more,
        sums,
    })
}
