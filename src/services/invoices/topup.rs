//! Selling credit: a top-up invoice (tax-free, a prepayment) whose payment adds the credit
//! to the customer's balance (through the settlement executor and `credits::topup_paid`).
use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

use crate::{
    domain::{
        invoice::{invoice_number, InvoiceKind, InvoiceStatus},
        Money, PartnerId, RegistrationId, Status,
    },
    entities::{invoice_lines, invoices as invoice_rows, partners},
    security::tokens::hash_token,
    services::{
        audit::{self, About, Actor},
        credits::{lock_account, own_registration, within_limit, CreditError},
        Core,
    },
};

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
    let seq = super::next_in_year(&txn, year, 1)
        .await
        .map_err(|e| match e {
            super::InvoiceError::Fault(f) => CreditError::Fault(f),
            e => CreditError::Fault(crate::services::Fault::Db(sea_orm::DbErr::Custom(
                e.to_string(),
            ))),
        })?;
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
        pay_token_hash: Set(hash_token(&super::pay_token(&core.links.pay_key, id, 0))),
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
