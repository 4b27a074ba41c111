//! Orders, licenses and trials for the demo (`seed-demo`: a few, placed through the services
//! as a partner would) and for the benchmark (`seed-bench --licenses N --due-trials N`: many,
//! written in batches).
use chrono::Duration;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{
    audit::Actor,
    catalog,
    orders::{self, OrderInput, Placement},
    Core,
};
use crate::{
    domain::{
        order::{LicenseStatus, Term},
        PartnerId, RegistrationId, Status,
    },
    entities::{licenses, products, registrations, users},
};

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

/// Orders, a license with a seat given and a seat change, a running trial and a converted
/// one, placed through the services for the demo partner's first two active customers.
pub async fn demo_orders(core: &Core, partner: PartnerId, nora: &Actor) -> anyhow::Result<()> {
    let active: Vec<(Uuid, Uuid)> = registrations::Entity::find()
        .select_only()
        .column(registrations::Column::Id)
        .column(registrations::Column::AccountId)
        .filter(registrations::Column::PartnerId.eq(partner.uuid()))
        .filter(registrations::Column::Status.eq(Status::Active))
        .order_by_asc(registrations::Column::CreatedAt)
        .into_tuple()
        .all(&core.db.read)
        .await?;
    let [(first, account), (second, _), ..] = active[..] else {
        return Ok(());
    };
    let (first, second): (RegistrationId, RegistrationId) = (first.into(), second.into());
    let order = |sku: &str, quantity: &str, currency: &str| OrderInput {
        product: sku.into(),
        quantity: quantity.into(),
        currency: currency.into(),
        auto_renew: true,
        ..Default::default()
    };
    let web = || Placement {
        key: None,
        via: "web",
    };
    let place = |reg, input: OrderInput| async move {
        orders::place(core, nora, partner, reg, &input, web(), None).await
    };
    let backup = place(first, order("BK-100", "10", "USD")).await?;
    place(first, order("MIGRATE", "1", "USD")).await?;
    // The customer's admin has a seat of the backup, and two seats were added since.
    if let (Some(license), Some(user)) = (
        backup.license,
        users::Entity::find()
            .filter(users::Column::AccountId.eq(account))
            .one(&core.db.read)
            .await?,
    ) {
        orders::assign_seat(core, nora, partner, license, user.id.into()).await?;
        orders::change_seats(core, nora, partner, license, "12", web()).await?;
    }
    let product = |sku: &'static str| async move {
        catalog::list(
            core,
            &catalog::CatalogQuery {
                q: sku.into(),
                ..Default::default()
            },
        )
        .await
        .map(|l| l.into_iter().find(|p| p.sku == sku).map(|p| p.id))
    };
    // A trial of mail security that became an order of 25 mailboxes in euros.
    if let Some(mail) = product("MAIL-SEC").await? {
        let trial = orders::start_trial(core, nora, partner, first, mail, "").await?;
        let input = OrderInput {
            quantity: "25".into(),
            currency: "EUR".into(),
            auto_renew: true,
            ..Default::default()
        };
        orders::convert_trial(core, nora, partner, trial, &input, web()).await?;
    }
    // The second customer: a running trial of a cloud server, and support paid in pounds.
    if let Some(vm) = product("VM-STD").await? {
        orders::start_trial(core, nora, partner, second, vm, "2").await?;
    }
    place(second, order("SUP-GOLD", "1", "GBP")).await?;
    demo_invoices(core).await?;
    demo_credits(core, partner, first, nora).await
}

/// Active Customer Inc's credits: a welcome grant, a top-up paid through its link, part of an
/// open invoice paid from credit; and staff's credit note against the paid invoice.
async fn demo_credits(
    core: &Core,
    partner: PartnerId,
    reg: RegistrationId,
    nora: &Actor,
) -> anyhow::Result<()> {
    use crate::{
        domain::{
            invoice::{InvoiceKind, InvoiceStatus},
            Currency, Money,
        },
        entities::invoices,
        services::{
            credit_notes, credits,
            invoices::{self as inv, Ask, CardAnswer},
        },
    };
    let usd = |minor| Money::new(minor, Currency::Usd);
    let today = core.now().date_naive();
    credits::grant(
        core,
        nora,
        crate::domain::Role::Admin,
        partner,
        reg,
        usd(5_000),
        "Welcome to Northwind (demo)",
        Some(today + chrono::Duration::days(90)),
    )
    .await?;
    let topup = inv::sell_topup(core, nora, partner, reg, usd(20_000)).await?;
    let answer = CardAnswer {
        gateway: crate::domain::payment::PaymentGateway::Test,
        reference: "test_demo_topup".into(),
        amount: usd(20_000),
        approved: true,
        detail: None,
        payer: "customer@demo.test".into(),
    };
    inv::settlement::apply(core, topup, Ask::Card(answer), &Actor::system("payer")).await?;
    let of_customer = invoices::Entity::find()
        .filter(invoices::Column::RegistrationId.eq(reg.uuid()))
        .order_by_asc(invoices::Column::Seq)
        .all(&core.db.read)
        .await?;
    // The seat change's open invoice: $20.00 of it paid from credit.
    if let Some(open) = of_customer.iter().find(|i| {
        i.status == InvoiceStatus::Open
            && i.currency == Currency::Usd
            && i.kind == InvoiceKind::Order
    }) {
        inv::pay_from_credit(core, nora, open.id, usd(2_000.min(open.total_minor))).await?;
    }
    // Staff credit part of the paid backup invoice for an outage.
    if let Some(paid) = of_customer
        .iter()
        .find(|i| i.status == InvoiceStatus::Paid && i.kind == InvoiceKind::Order)
    {
        credit_notes::issue(
            core,
            &Actor::system("Stella Staff <staff@demo.test>"),
            paid.id,
            Money::new(1_000.min(paid.total_minor), paid.currency),
            "Two days of backup outage (demo)",
        )
        .await?;
    }
    Ok(())
}

/// The orders' invoices in every state: the backup's paid through the test gateway, the
/// migration's voided by staff, the rest open with their links.
async fn demo_invoices(core: &Core) -> anyhow::Result<()> {
    use crate::{
        domain::{payment::PaymentGateway, settlement::Closing},
        entities::invoices,
        services::invoices::{self as inv, Ask, CardAnswer},
    };
    let all = invoices::Entity::find()
        .order_by_asc(invoices::Column::Seq)
        .all(&core.db.read)
        .await?;
    if let Some(first) = all.first() {
        let answer = CardAnswer {
            gateway: PaymentGateway::Test,
            reference: format!("test_demo_{}", first.seq),
            amount: crate::domain::Money::new(first.total_minor, first.currency),
            approved: true,
            detail: None,
            payer: "customer@demo.test".into(),
        };
        let payer = Actor::system("payer customer@demo.test");
        inv::settlement::apply(core, first.id, Ask::Card(answer), &payer).await?;
    }
    if let Some(second) = all.get(1) {
        inv::close(
            core,
            &Actor::system("Stella Staff <staff@demo.test>"),
            second.id,
            Closing::Void,
            "Issued twice by mistake (demo)",
        )
        .await?;
    }
    Ok(())
}
