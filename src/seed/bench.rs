//! The benchmark's data, built only with the `bench` feature (`bench/run.sh` builds it):
//! `seed-bench` (one partner with N registrations, free accounts, licenses, due trials and
//! renewals, written in batches) and `seed-revenue-bench` (partners with a history of paid
//! invoices, commission entries and statements).
#![allow(clippy::too_many_lines)]
use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{
    partner,
    revenue::{month_row, paid_invoice, PaidInvoice},
    user, DEMO_PASSWORD,
};
use crate::{
    domain::{
        commission::StatementStatus,
        order::{LicenseStatus, Term},
        AccountSource, BillingMode, CommissionRate, CustomerType, Role, Status, UserKind,
    },
    entities::{
        commission_entries, commission_statements, invoice_lines, invoices, licenses, partners,
        products, registrations, revenue_months, users,
    },
    services::{
        audit::Actor,
        catalog,
        commission::{last_periods, period_of, period_start, TOTAL},
        orders, Core,
    },
};

/// Load-test data: one partner (`bench@demo.test`) with `n` accounts, each registered to it
/// in a spread of statuses. Inserted in batches, in one transaction per batch.
/// `licenses`: see `seed_commerce::bench_licenses`.
pub async fn seed_bench(
    core: &Core,
    n: usize,
    free: usize,
    licenses: BenchLicenses,
) -> anyhow::Result<Uuid> {
    use crate::entities::{accounts, registrations};
    let hash = core.hasher.hash(DEMO_PASSWORD).await?;
    let now = core.now();
    let partner_id = Uuid::new_v4();
    let txn = core.db.begin().await?;
    partners::Entity::insert(partner(
        partner_id,
        "Bench Partners",
        "Ben Bench",
        "US",
        true,
        now,
    ))
    .exec_without_returning(&txn)
    .await?;
    users::Entity::insert(user(
        now,
        "bench@demo.test",
        "Ben Bench",
        UserKind::Partner,
        Some(partner_id),
        Role::Admin,
        &hash,
    ))
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    let statuses = [
        Status::Active,
        Status::Active,
        Status::Active,
        Status::PendingApproval,
        Status::PendingCustomer,
        Status::Ended,
        Status::Declined,
    ];
    let batch = 500;
    for start in (0..n).step_by(batch) {
        let end = (start + batch).min(n);
        let txn = core.db.begin().await?;
        let mut accts = Vec::with_capacity(end - start);
        let mut regs = Vec::with_capacity(end - start);
        for i in start..end {
            let id = Uuid::new_v4();
            let at = now - Duration::seconds((n - i) as i64);
            accts.push(bench_account(
                id,
                format!("Customer {i:06}"),
                format!("customer{i}@bench.test"),
                at,
            ));
            regs.push(registrations::ActiveModel {
                id: Set(Uuid::new_v4()),
                partner_id: Set(partner_id),
                account_id: Set(id),
                friendly_name: Set(format!("Cust {i}")),
                partner_role: Set("Partner".into()),
                customer_type: Set(CustomerType::Customer),
                commission_bp: Set(1000 + (i % 10) as i32 * 50),
                management_mode: Set(false),
                status: Set(statuses[i % statuses.len()]),
                new_account: Set(false),
                created_via: Set(crate::domain::Channel::Web),
                created_by_label: Set("bench".into()),
                reason: Set(None),
                expires_at: Set(Some(now + Duration::days(7))),
                confirmed_at: Set(None),
                activated_at: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            });
        }
        accounts::Entity::insert_many(accts)
            .exec_without_returning(&txn)
            .await?;
        registrations::Entity::insert_many(regs)
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
    }
    for start in (0..free).step_by(batch) {
        let txn = core.db.begin().await?;
        let accts = (start..(start + batch).min(free)).map(|i| {
            bench_account(
                Uuid::new_v4(),
                format!("Free {i:06}"),
                format!("free{i}@bench.test"),
                now,
            )
        });
        accounts::Entity::insert_many(accts)
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
    }
    if licenses.licenses + licenses.due_trials + licenses.renewals > 0 {
        bench_licenses(core, partner_id, licenses).await?;
    }
    if core.db.is_postgres() {
        // Fresh statistics, as autovacuum would give a database that grew over time.
        use sea_orm::ConnectionTrait;
        core.db.write.execute_unprepared("VACUUM ANALYZE").await?;
    }
    println!("Bench data ready: partner bench@demo.test (password {DEMO_PASSWORD:?}), org id {partner_id}, {n} registrations.");
    super::print_keys(&super::enrol_two_factor(core, &["bench@demo.test"]).await?);
    Ok(partner_id)
}

/// A plain prepaid US account with nothing on it, as the bench data uses.
pub(crate) fn bench_account(
    id: Uuid,
    company_name: String,
    primary_email: String,
    at: chrono::DateTime<chrono::Utc>,
) -> crate::entities::accounts::ActiveModel {
    crate::entities::accounts::ActiveModel {
        id: Set(id),
        company_name: Set(company_name),
        primary_email: Set(primary_email),
        country: Set("US".into()),
        phone: Set(String::new()),
        data_center: Set("default".into()),
        tags: Set(String::new()),
        billing_mode: Set(BillingMode::Prepaid),
        in_poc: Set(false),
        active: Set(true),
        source: Set(AccountSource::Staff),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// The bench's products: one to order, three with trials (one trial per product per
/// account, so 100,000 trials need three products over 33,334 accounts).
const BENCH_CATALOG: &str = "\
sku,name,unit,kind,trial_days,min_quantity,max_quantity,price_usd
BENCH-SEATS,Bench seats,seat,monthly,0,1,1000,10.00
TRIAL-A,Trial product A,seat,monthly,30,1,100,5.00
TRIAL-B,Trial product B,seat,monthly,30,1,100,5.00
TRIAL-C,Trial product C,seat,monthly,30,1,100,5.00
";

/// `licenses` paid licenses spread over the partner's active registrations (seats 1–20, some
/// given, ends spread over a year), and `due_trials` trials whose end has passed, for the
/// expiry job; then every registration's Usage and Coming Expiry Date.
/// The licenses `seed-bench` makes.
#[derive(Debug, Clone, Copy, Default)]
pub struct BenchLicenses {
    /// Paid licenses ending over the next year.
    pub licenses: usize,
    /// Trials past their end (for the expiry job).
    pub due_trials: usize,
    /// Auto-renewing licenses ending in a week (for the renewal invoices' job).
    pub renewals: usize,
}

pub async fn bench_licenses(core: &Core, partner: Uuid, what: BenchLicenses) -> anyhow::Result<()> {
    let BenchLicenses {
        licenses: count,
        due_trials,
        renewals,
    } = what;
    catalog::import_csv(core, &Actor::system("seed-bench"), BENCH_CATALOG.as_bytes()).await?;
    let ids: Vec<(String, Uuid)> = products::Entity::find()
        .select_only()
        .column(products::Column::Sku)
        .column(products::Column::Id)
        .filter(products::Column::Sku.is_in(["BENCH-SEATS", "TRIAL-A", "TRIAL-B", "TRIAL-C"]))
        .order_by_asc(products::Column::Sku)
        .into_tuple()
        .all(&core.db.read)
        .await?;
    let product = |sku: &str| {
        ids.iter()
            .find(|(s, _)| s == sku)
            .map(|(_, id)| *id)
            .ok_or_else(|| anyhow::anyhow!("{sku} missing"))
    };
    let seats_product = product("BENCH-SEATS")?;
    let trials = [
        product("TRIAL-A")?,
        product("TRIAL-B")?,
        product("TRIAL-C")?,
    ];
    let active: Vec<(Uuid, Uuid)> = registrations::Entity::find()
        .select_only()
        .column(registrations::Column::Id)
        .column(registrations::Column::AccountId)
        .filter(registrations::Column::PartnerId.eq(partner))
        .filter(registrations::Column::Status.eq(Status::Active))
        .into_tuple()
        .all(&core.db.read)
        .await?;
    if active.is_empty() {
        return Ok(());
    }
    anyhow::ensure!(
        due_trials.div_ceil(trials.len()) <= active.len(),
        "{due_trials} trials need {} active registrations",
        due_trials.div_ceil(trials.len())
    );
    let now = core.now();
    let today = now.date_naive();
    let row = |reg: (Uuid, Uuid), product: Uuid, trial: bool| licenses::ActiveModel {
        id: Set(Uuid::now_v7()),
        partner_id: Set(partner),
        registration_id: Set(reg.0),
        account_id: Set(reg.1),
        product_id: Set(product),
        trial: Set(trial),
        seats: Set(1),
        seats_assigned: Set(0),
        currency: Set((!trial).then_some(crate::domain::Currency::Usd)),
        term: Set(if trial { Term::Trial } else { Term::Monthly }),
        starts_on: Set(today),
        ends_on: Set(today),
        auto_renew: Set(!trial),
        status: Set(LicenseStatus::Active),
        reminded: Set(0),
        billed_until: Set(today),
        created_at: Set(now),
        updated_at: Set(now),
    };
    const BATCH: usize = 1000;
    for start in (0..count).step_by(BATCH) {
        let rows = (start..(start + BATCH).min(count)).map(|k| {
            let seats = 1 + (k % 20) as i32;
            licenses::ActiveModel {
                seats: Set(seats),
                seats_assigned: Set((k as i32 * 7) % (seats + 1)),
                starts_on: Set(today - Duration::days(30)),
                ends_on: Set(today + Duration::days(1 + (k as i64 * 37) % 365)),
                billed_until: Set(today + Duration::days(1 + (k as i64 * 37) % 365)),
                // Not due for a renewal invoice (that is `renewals`' part).
                auto_renew: Set(false),
                ..row(active[k % active.len()], seats_product, false)
            }
        });
        licenses::Entity::insert_many(rows)
            .exec_without_returning(&core.db.write)
            .await?;
    }
    for start in (0..due_trials).step_by(BATCH) {
        let rows = (start..(start + BATCH).min(due_trials)).map(|k| licenses::ActiveModel {
            seats: Set(3),
            starts_on: Set(today - Duration::days(31)),
            ends_on: Set(today - Duration::days(1)),
            ..row(active[k / trials.len()], trials[k % trials.len()], true)
        });
        licenses::Entity::insert_many(rows)
            .exec_without_returning(&core.db.write)
            .await?;
    }
    for start in (0..renewals).step_by(BATCH) {
        let rows = (start..(start + BATCH).min(renewals)).map(|k| licenses::ActiveModel {
            seats: Set(1 + (k % 10) as i32),
            starts_on: Set(today - Duration::days(23)),
            ends_on: Set(today + Duration::days(7)),
            billed_until: Set(today + Duration::days(7)),
            ..row(active[k % active.len()], seats_product, false)
        });
        licenses::Entity::insert_many(rows)
            .exec_without_returning(&core.db.write)
            .await?;
    }
    for chunk in active.chunks(BATCH) {
        let regs: Vec<Uuid> = chunk.iter().map(|r| r.0).collect();
        let txn = core.db.begin().await?;
        orders::refresh_usage(&txn, &regs).await?;
        txn.commit().await?;
    }
    println!(
        "Licenses: {count} over {} active registrations, {due_trials} trials past their end, \
         {renewals} renewing in a week.",
        active.len()
    );
    Ok(())
}

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
    let hash = core.hasher.hash(super::DEMO_PASSWORD).await?;
    let periods = last_periods(&period_of(now), 24);
    let last = periods.len() - 1;
    // Partners: the first is the one the benchmark signs in as.
    let partner_ids: Vec<Uuid> = (0..partners_n).map(|_| Uuid::new_v4()).collect();
    for chunk in partner_ids.chunks(1000) {
        let txn = core.db.begin().await?;
        partners::Entity::insert_many(chunk.iter().enumerate().map(|(i, id)| {
            super::partner(
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
    users::Entity::insert(super::user(
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
            accts.push(bench_account(
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
    super::print_keys(&super::enrol_two_factor(core, &["revenue@demo.test"]).await?);
    Ok(())
}
