//! Load-test data for the revenue benchmark (`bench/run.sh` phase `revenue`):
//! `partners` partners holding `registrations` active registrations, the first partner
//! ("Revenue Bench", `revenue@demo.test`) with `big` of them; every registration has 20 paid
//! invoice lines (5 invoices of 4 lines) spread over the last 24 months, each with its
//! commission entry; the monthly revenue rows those payments keep; and per partner a statement
//! per month with activity: paid out up to two months ago, open for last month (for the
//! month-end job to close) and this month.
use crate::domain::commission::StatementStatus;
use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

use crate::services::{
    commission::{last_periods, period_of, period_start, TOTAL},
    Core,
};
use crate::{
    domain::Status,
    entities::{
        commission_entries, commission_statements, invoice_lines, invoices, registrations,
        revenue_months,
    },
};

/// One paid invoice of the past, written as the payment would have: its lines, each line's
/// commission entry.
pub struct PaidInvoice<'a> {
    pub partner: Uuid,
    pub account: Uuid,
    pub registration: Uuid,
    pub rate: i32,
    pub number: String,
    pub seq: i64,
    pub customer: String,
    pub period: &'a str,
    pub day: NaiveDate,
    pub at: chrono::DateTime<Utc>,
    /// Each line's net amount, in cents (USD).
    pub amounts: Vec<i64>,
}

type Written = (
    invoices::ActiveModel,
    Vec<invoice_lines::ActiveModel>,
    Vec<commission_entries::ActiveModel>,
    i64,
    i64,
);

pub fn paid_invoice(p: PaidInvoice<'_>) -> Written {
    let inv = Uuid::now_v7();
    let mut subtotal = 0i64;
    let mut commission = 0i64;
    let mut lines = Vec::new();
    let mut entries = Vec::new();
    for (l, amount) in p.amounts.iter().copied().enumerate() {
        let share = crate::domain::Money::new(amount, crate::domain::Currency::Usd)
            .share_bp(p.rate)
            .map_or(0, |m| m.minor);
        subtotal += amount;
        commission += share;
        let line = Uuid::now_v7();
        let description = format!("Product line {}", l + 1);
        lines.push(invoice_lines::ActiveModel {
            id: Set(line),
            invoice_id: Set(inv),
            position: Set(l as i32 + 1),
            description: Set(description.clone()),
            product_id: Set(None),
            quantity: Set(1),
            unit_minor: Set(amount),
            amount_minor: Set(amount),
            tax_bp: Set(0),
            tax_minor: Set(0),
            period_start: Set(None),
            period_end: Set(None),
        });
        entries.push(commission_entries::ActiveModel {
            id: Set(Uuid::now_v7()),
            partner_id: Set(p.partner),
            account_id: Set(p.account),
            registration_id: Set(Some(p.registration)),
            invoice_id: Set(Some(inv)),
            source_id: Set(line),
            product_id: Set(None),
            kind: Set(crate::domain::commission::EntryKind::Earned),
            rate_bp: Set(p.rate),
            base_minor: Set(amount),
            amount_minor: Set(share),
            currency: Set(crate::domain::Currency::Usd),
            period: Set(p.period.to_string()),
            description: Set(format!("{}: {description}", p.number)),
            created_at: Set(p.at),
        });
    }
    let row = invoices::ActiveModel {
        id: Set(inv),
        number: Set(p.number),
        year: Set(chrono::Datelike::year(&p.at)),
        seq: Set(p.seq),
        partner_id: Set(p.partner),
        registration_id: Set(p.registration),
        account_id: Set(p.account),
        order_id: Set(None),
        kind: Set(crate::domain::invoice::InvoiceKind::Order),
        currency: Set(crate::domain::Currency::Usd),
        subtotal_minor: Set(subtotal),
        tax_minor: Set(0),
        total_minor: Set(subtotal),
        status: Set(crate::domain::invoice::InvoiceStatus::Paid),
        issued_at: Set(p.at),
        due_on: Set(p.day),
        paid_at: Set(Some(p.at)),
        closed_at: Set(None),
        close_reason: Set(None),
        pay_token_hash: Set(format!("{:064x}", inv.as_u128())),
        link_version: Set(0),
        seller: Set("Bench".into()),
        customer_name: Set(p.customer),
        customer_country: Set("US".into()),
        credit_minor: Set(0),
        credit_of: Set(None),
    };
    (row, lines, entries, subtotal, commission)
}

pub(super) fn month_row(
    partner: Uuid,
    account: Uuid,
    period: &str,
    paid: i64,
    commission: i64,
) -> revenue_months::ActiveModel {
    revenue_months::ActiveModel {
        partner_id: Set(partner),
        account_id: Set(account),
        period: Set(period.to_string()),
        currency: Set(crate::domain::Currency::Usd),
        invoiced_minor: Set(paid),
        settled_minor: Set(paid),
        paid_minor: Set(paid),
        commission_minor: Set(commission),
    }
}

/// A year of paid invoices before this month for the partner's active customers, with their
/// commission, monthly figures and statements: paid out up to three months ago, then
/// approved, then closed (last month); this month's statement comes from the demo's real
/// payments.
pub async fn demo_history(core: &Core, partner: Uuid) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let now = core.now();
    let regs = registrations::Entity::find()
        .filter(registrations::Column::PartnerId.eq(partner))
        .filter(registrations::Column::Status.eq(Status::Active))
        .all(&core.db.read)
        .await?;
    let names: HashMap<Uuid, String> = crate::entities::accounts::Entity::find()
        .filter(crate::entities::accounts::Column::Id.is_in(regs.iter().map(|r| r.account_id)))
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(|a| (a.id, a.company_name))
        .collect();
    let periods = last_periods(&period_of(now), 12);
    let past = &periods[..periods.len() - 1];
    let txn = core.db.begin().await?;
    let mut earned: HashMap<usize, i64> = HashMap::new();
    let mut totals: HashMap<usize, (i64, i64)> = HashMap::new();
    let mut seq = 900_000i64;
    for (m, period) in past.iter().enumerate() {
        let day = period_start(period).unwrap_or(NaiveDate::MIN) + Duration::days(9);
        let at = day.and_hms_opt(11, 0, 0).unwrap_or_default().and_utc();
        let mut rows = Vec::new();
        for (i, r) in regs.iter().enumerate() {
            seq += 1;
            // A growing business: each month a little more than the last.
            let base = 9_000 + (m as i64) * 1_500 + (i as i64) * 4_000;
            let (inv, lines, entries, subtotal, commission) = paid_invoice(PaidInvoice {
                partner,
                account: r.account_id,
                registration: r.id,
                rate: r.commission_bp,
                number: format!("INV-{}-{seq:06}", chrono::Datelike::year(&at)),
                seq,
                customer: names.get(&r.account_id).cloned().unwrap_or_default(),
                period,
                day,
                at,
                amounts: vec![base, base / 3],
            });
            invoices::Entity::insert(inv)
                .exec_without_returning(&txn)
                .await?;
            invoice_lines::Entity::insert_many(lines)
                .exec_without_returning(&txn)
                .await?;
            commission_entries::Entity::insert_many(entries)
                .exec_without_returning(&txn)
                .await?;
            rows.push(month_row(
                partner,
                r.account_id,
                period,
                subtotal,
                commission,
            ));
            *earned.entry(m).or_default() += commission;
            let t = totals.entry(m).or_default();
            t.0 += subtotal;
            t.1 += commission;
        }
        if let Some((paid, commission)) = totals.get(&m) {
            rows.push(month_row(partner, TOTAL, period, *paid, *commission));
        }
        if !rows.is_empty() {
            revenue_months::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
        }
    }
    for (m, e) in earned {
        let age = past.len() - m;
        let status = match age {
            1 => StatementStatus::Closed,
            2 => StatementStatus::Approved,
            _ => StatementStatus::Paid,
        };
        let closed_at = (period_start(&periods[m + 1]).unwrap_or(NaiveDate::MIN))
            .and_hms_opt(0, 10, 0)
            .unwrap_or_default()
            .and_utc();
        commission_statements::Entity::insert(commission_statements::ActiveModel {
            id: Set(Uuid::now_v7()),
            partner_id: Set(partner),
            period: Set(periods[m].clone()),
            currency: Set(crate::domain::Currency::Usd),
            opening_minor: Set(0),
            earned_minor: Set(e),
            reversed_minor: Set(0),
            charged_minor: Set(0),
            closing_minor: Set(e),
            status: Set(status),
            payout_reference: Set((status == StatementStatus::Paid).then(|| format!("NW-PAYOUT-{}", periods[m]))),
            closed_at: Set(Some(closed_at)),
            approved_at: Set((status != StatementStatus::Closed).then_some(closed_at + Duration::days(3))),
            approved_by: Set((status != StatementStatus::Closed).then(|| "Stella Staff <staff@demo.test>".into())),
            paid_at: Set((status == StatementStatus::Paid).then_some(closed_at + Duration::days(5))),
            paid_by: Set((status == StatementStatus::Paid).then(|| "Stella Staff <staff@demo.test>".into())),
            created_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
