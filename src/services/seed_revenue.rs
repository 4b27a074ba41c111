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

use super::{
    commission::{last_periods, period_of, period_start, TOTAL},
    Core,
};
use crate::{
    domain::{CommissionRate, CustomerType, Role, Status, UserKind},
    entities::{
        commission_entries, commission_statements, invoice_lines, invoices, partners,
        registrations, revenue_months, users,
    },
};

/// Lines per registration: 2,000,000 over 100,000 registrations.
const LINES_PER_REGISTRATION: usize = 20;
const LINES_PER_INVOICE: usize = 4;

/// A cheap deterministic spread (no randomness needed for load data).
fn spread(a: usize, b: usize) -> usize {
    let mut x = (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (b as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 29;
    x as usize
}

pub async fn seed(
    core: &Core,
    registrations_n: usize,
    partners_n: usize,
    big: usize,
) -> anyhow::Result<()> {
    let now = core.now();
    let hash = core.hasher.hash(super::seed::DEMO_PASSWORD).await?;
    let periods = last_periods(&period_of(now), 24);
    let last = periods.len() - 1;
    // Partners: the first is the one the benchmark signs in as.
    let partner_ids: Vec<Uuid> = (0..partners_n).map(|_| Uuid::new_v4()).collect();
    for chunk in partner_ids.chunks(1000) {
        let txn = core.db.begin().await?;
        partners::Entity::insert_many(chunk.iter().enumerate().map(|(i, id)| {
            super::seed::partner(
                *id,
                &if *id == partner_ids[0] {
                    "Revenue Bench".to_string()
                } else {
                    format!("Partner {i:05} {}", &id.to_string()[..4])
                },
                "Bench",
                "US",
                true,
                now - Duration::days(800),
            )
        }))
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
    }
    users::Entity::insert(super::seed::user(
        now,
        "revenue@demo.test",
        "Rita Revenue",
        UserKind::Partner,
        Some(partner_ids[0]),
        Role::Admin,
        &hash,
    ))
    .exec_without_returning(&core.db.write)
    .await?;
    // Whose each registration is: `big` for the first partner, the rest spread evenly.
    let owner = |r: usize| -> Uuid {
        if r < big {
            partner_ids[0]
        } else {
            partner_ids[1 + (r - big) % (partners_n - 1).max(1)]
        }
    };
    let mut totals: HashMap<(Uuid, usize), (i64, i64)> = HashMap::new();
    let mut earned: HashMap<(Uuid, usize), i64> = HashMap::new();
    let chunk = 250;
    let activated = now - Duration::days(800);
    let mut invoice_no = 0usize;
    for start in (0..registrations_n).step_by(chunk) {
        let end = (start + chunk).min(registrations_n);
        let mut accts = Vec::new();
        let mut regs = Vec::new();
        let mut invs = Vec::new();
        let mut lines = Vec::new();
        let mut entries = Vec::new();
        let mut months: HashMap<(Uuid, Uuid, usize), (i64, i64)> = HashMap::new();
        for r in start..end {
            let partner = owner(r);
            let account = Uuid::new_v4();
            let reg = Uuid::new_v4();
            let rate = 1000 + (r % 10) as i32 * 50;
            accts.push(super::seed::bench_account(
                account,
                format!("Revenue Customer {r:06}"),
                format!("rev{r}@bench.test"),
                activated,
            ));
            regs.push(registrations::ActiveModel {
                id: Set(reg),
                partner_id: Set(partner),
                account_id: Set(account),
                friendly_name: Set(format!("Rev {r}")),
                partner_role: Set("Partner".into()),
                customer_type: Set(CustomerType::Customer),
                commission_bp: Set(CommissionRate::from_bp(rate).bp()),
                management_mode: Set(false),
                status: Set(Status::Active),
                new_account: Set(false),
                created_via: Set(crate::domain::Channel::Web),
                created_by_label: Set("bench".into()),
                reason: Set(None),
                expires_at: Set(None),
                confirmed_at: Set(Some(activated)),
                activated_at: Set(Some(activated)),
                // A second apart, as registrations made one by one are.
                created_at: Set(activated + Duration::seconds(r as i64)),
                updated_at: Set(activated),
                ..Default::default()
            });
            for k in 0..LINES_PER_REGISTRATION / LINES_PER_INVOICE {
                let m = spread(r, k) % periods.len();
                let day = period_start(&periods[m]).unwrap_or(NaiveDate::MIN)
                    + Duration::days((spread(k, r) % 27) as i64);
                let at = day
                    .and_hms_opt(10, 0, 0)
                    .unwrap_or_default()
                    .and_utc()
                    .min(now);
                invoice_no += 1;
                let (inv_row, inv_lines, inv_entries, subtotal, commission) =
                    paid_invoice(PaidInvoice {
                        partner,
                        account,
                        registration: reg,
                        rate,
                        number: format!("BN-{invoice_no:08}"),
                        seq: 10_000_000 + invoice_no as i64,
                        customer: format!("Revenue Customer {r:06}"),
                        period: &periods[m],
                        day,
                        at,
                        amounts: (0..LINES_PER_INVOICE)
                            .map(|l| 1_000 + (spread(r * 7 + k, l) % 20_000) as i64)
                            .collect(),
                    });
                invs.push(inv_row);
                lines.extend(inv_lines);
                entries.extend(inv_entries);
                let e = months.entry((partner, account, m)).or_default();
                e.0 += subtotal;
                e.1 += commission;
                let t = totals.entry((partner, m)).or_default();
                t.0 += subtotal;
                t.1 += commission;
                *earned.entry((partner, m)).or_default() += commission;
            }
        }
        let txn = core.db.begin().await?;
        crate::entities::accounts::Entity::insert_many(accts)
            .exec_without_returning(&txn)
            .await?;
        registrations::Entity::insert_many(regs)
            .exec_without_returning(&txn)
            .await?;
        for c in invs.chunks(500) {
            invoices::Entity::insert_many(c.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        for c in lines.chunks(1000) {
            invoice_lines::Entity::insert_many(c.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        for c in entries.chunks(1000) {
            commission_entries::Entity::insert_many(c.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        let rows: Vec<revenue_months::ActiveModel> = months
            .into_iter()
            .map(|((p, a, m), (paid, commission))| month_row(p, a, &periods[m], paid, commission))
            .collect();
        for c in rows.chunks(1000) {
            revenue_months::Entity::insert_many(c.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        if end % 10_000 == 0 {
            println!(
                "  {end} registrations, {} lines",
                end * LINES_PER_REGISTRATION
            );
        }
    }
    // The partners' totals and statements.
    let rows: Vec<revenue_months::ActiveModel> = totals
        .iter()
        .map(|((p, m), (paid, commission))| month_row(*p, TOTAL, &periods[*m], *paid, *commission))
        .collect();
    for c in rows.chunks(1000) {
        revenue_months::Entity::insert_many(c.to_vec())
            .exec_without_returning(&core.db.write)
            .await?;
    }
    let statements: Vec<commission_statements::ActiveModel> = earned
        .iter()
        .map(|((p, m), e)| {
            let open = *m + 1 >= last;
            commission_statements::ActiveModel {
                id: Set(Uuid::now_v7()),
                partner_id: Set(*p),
                period: Set(periods[*m].clone()),
                currency: Set(crate::domain::Currency::Usd),
                opening_minor: Set(0),
                earned_minor: Set(*e),
                reversed_minor: Set(0),
                charged_minor: Set(0),
                closing_minor: Set(if open { 0 } else { *e }),
                status: Set(if open {
                    StatementStatus::Open
                } else {
                    StatementStatus::Paid
                }),
                payout_reference: Set((!open).then(|| format!("BENCH-{}", periods[*m]))),
                closed_at: Set((!open).then(Utc::now)),
                approved_at: Set((!open).then(Utc::now)),
                approved_by: Set((!open).then(|| "bench".to_string())),
                paid_at: Set((!open).then(Utc::now)),
                paid_by: Set((!open).then(|| "bench".to_string())),
                created_at: Set(now),
            }
        })
        .collect();
    for c in statements.chunks(1000) {
        commission_statements::Entity::insert_many(c.to_vec())
            .exec_without_returning(&core.db.write)
            .await?;
    }
    // Every partner has last month open, for the month-end job to close.
    let missing: Vec<commission_statements::ActiveModel> = partner_ids
        .iter()
        .filter(|p| !earned.contains_key(&(**p, last - 1)))
        .map(|p| commission_statements::ActiveModel {
            id: Set(Uuid::now_v7()),
            partner_id: Set(*p),
            period: Set(periods[last - 1].clone()),
            currency: Set(crate::domain::Currency::Usd),
            opening_minor: Set(0),
            earned_minor: Set(0),
            reversed_minor: Set(0),
            // Some owe: promotional credit charged, carried into this month when it closes.
            charged_minor: Set(500),
            closing_minor: Set(0),
            status: Set(StatementStatus::Open),
            payout_reference: Set(None),
            closed_at: Set(None),
            approved_at: Set(None),
            approved_by: Set(None),
            paid_at: Set(None),
            paid_by: Set(None),
            created_at: Set(now),
        })
        .collect();
    for c in missing.chunks(1000) {
        commission_statements::Entity::insert_many(c.to_vec())
            .exec_without_returning(&core.db.write)
            .await?;
    }
    println!(
        "Revenue bench data: {registrations_n} registrations of {partners_n} partners \
         ({big} of revenue@demo.test), {} paid invoice lines over 24 months",
        registrations_n * LINES_PER_REGISTRATION
    );
    Ok(())
}

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

fn month_row(
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
