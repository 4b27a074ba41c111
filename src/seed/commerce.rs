//! Orders, licenses and trials for the demo (`seed-demo`: a few, placed through the services
//! as a partner would) and for the benchmark (`seed-bench --licenses N --due-trials N`: many,
//! written in batches).
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::services::{
    audit::Actor,
    catalog,
    orders::{self, OrderInput, Placement},
    Core,
};
use crate::{
    domain::{PartnerId, RegistrationId, Status},
    entities::{registrations, users},
};

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
