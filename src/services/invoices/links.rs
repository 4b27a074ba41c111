//! Payment links: the token derived from the server secret, the link of an open invoice,
//! the page a token opens, emailing the link and replacing it.
use hmac::{Hmac, Mac};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sha2::Sha256;
use uuid::Uuid;

use super::super::{
    audit::{self, About, Actor},
    Core,
};
use crate::{
    domain::{invoice::InvoiceStatus, settlement::Refusal, Money},
    email::{messages, outbox},
    entities::{accounts, invoices},
    security::tokens::hash_token,
};

use super::*;

/// The key payment-link tokens are derived from: HMAC-SHA256 of the server's secret with a
/// label, so the session key and the links never share a key.
pub fn pay_key(secret: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("any key length");
    mac.update(b"partner-portal payment links v1");
    mac.finalize().into_bytes().into()
}

/// An invoice's payment-link token: 256 bits derived from the key, the invoice and the link's
/// version (bumped when the partner replaces the link). URL-safe base64.
pub fn pay_token(key: &[u8; 32], invoice: Uuid, version: u32) -> String {
    use base64::Engine;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(invoice.as_bytes());
    mac.update(&version.to_be_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The invoice a payment link opens; a guessed, altered or replaced token finds nothing.
pub async fn by_token(core: &Core, token: &str) -> Result<PayView, InvoiceError> {
    if token.len() > 100 {
        return Err(InvoiceError::NotFound);
    }
    let invoice = invoices::Entity::find()
        .filter(invoices::Column::PayTokenHash.eq(hash_token(token)))
        .one(&core.db.read)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    view(&core.db.read, invoice).await
}

/// The path of an invoice's payment link (while it is open, for its partner).
pub fn link(core: &Core, inv: &invoices::Model) -> String {
    link_of(core, inv.id, inv.link_version as u32)
}

/// The path of the payment link of invoice `id` at link version `version`.
pub fn link_of(core: &Core, id: Uuid, version: u32) -> String {
    format!("/pay/{}", pay_token(&core.links.pay_key, id, version))
}

/// Emails an open invoice's payment link (to the customer's primary address, or `to`).
#[tracing::instrument(skip(core, actor))]
pub async fn send_link(
    core: &Core,
    actor: &Actor,
    partner: crate::domain::PartnerId,
    id: Uuid,
    to: Option<&crate::domain::Email>,
) -> Result<String, InvoiceError> {
    let txn = core.db.begin().await?;
    let inv = visible(&txn, Viewer::Partner(partner), id).await?;
    let status = inv.status;
    if status != InvoiceStatus::Open {
        return Err(Refusal::NotOpen(status).into());
    }
    let address = match to {
        Some(e) => e.as_str().to_string(),
        None => {
            accounts::Entity::find_by_id(inv.account_id)
                .one(&txn)
                .await?
                .ok_or(InvoiceError::NotFound)?
                .primary_email
        }
    };
    let currency = inv.currency;
    let msg = messages::InvoiceLink {
        number: inv.number.clone(),
        seller: inv.seller.clone(),
        customer: inv.customer_name.clone(),
        total: Money::new(inv.total_minor, currency).to_string(),
        due: inv.due_on.format("%-d %b %Y").to_string(),
        link: core.links.url(&link(core, &inv)),
        sender: actor.label.clone(),
    };
    outbox::enqueue(&txn, msg.render(&address)?).await?;
    audit::record(
        &txn,
        core.now(),
        actor,
        "invoice.link_sent",
        About::registration(inv.partner_id, inv.account_id, inv.id),
        &format!("{}: payment link emailed to {address}", inv.number),
    )
    .await?;
    core.commit(txn).await?;
    Ok(address)
}

/// Replaces an open invoice's payment link: the old one stops working at once.
#[tracing::instrument(skip(core, actor))]
pub async fn replace_link(
    core: &Core,
    actor: &Actor,
    partner: crate::domain::PartnerId,
    id: Uuid,
) -> Result<(), InvoiceError> {
    let txn = core.db.begin().await?;
    let inv = invoices::Entity::find_by_id(id)
        .filter(invoices::Column::PartnerId.eq(partner.uuid()))
        .one(&txn)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    let status = inv.status;
    if status != InvoiceStatus::Open {
        return Err(Refusal::NotOpen(status).into());
    }
    let version = inv.link_version + 1;
    invoices::Entity::update_many()
        .set(invoices::ActiveModel {
            link_version: Set(version),
            pay_token_hash: Set(hash_token(&pay_token(
                &core.links.pay_key,
                inv.id,
                version as u32,
            ))),
            ..Default::default()
        })
        .filter(invoices::Column::Id.eq(inv.id))
        .filter(invoices::Column::LinkVersion.eq(inv.link_version))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        core.now(),
        actor,
        "invoice.link_replaced",
        About::registration(inv.partner_id, inv.account_id, inv.id),
        &format!(
            "{}: a new payment link; the old one no longer works",
            inv.number
        ),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}
