//! A partner's security settings: whether every user must sign in with a second factor, and
//! the payout details the provider pays commission to (changed by an admin who entered a
//! fresh code; every admin is emailed about the change).
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::{
    audit::{self, About, Actor},
    Core, Fault,
};
use crate::{
    domain::{payout::PayoutDetails, PartnerId, Role, UserKind},
    email::{messages, outbox},
    entities::{partners, users},
};

/// The payout details on file, as the pages show them.
#[derive(Debug, Clone)]
pub struct Payout {
    pub holder: String,
    pub iban: String,
    pub bic: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Payout {
    pub fn masked_iban(&self) -> String {
        PayoutDetails::masked_iban(&self.iban)
    }
}

/// The partner's payout details, if any were given.
pub async fn payout(core: &Core, partner: PartnerId) -> Result<Option<Payout>, Fault> {
    let p = partners::Entity::find_by_id(partner.uuid())
        .one(&core.db.read)
        .await?;
    Ok(p.and_then(|p| {
        Some(Payout {
            holder: p.payout_holder?,
            iban: p.payout_iban?,
            bic: p.payout_bic,
            updated_at: p.payout_updated_at,
        })
    }))
}

/// Saves new payout details; audited, and every admin of the partner is emailed.
#[tracing::instrument(skip(core, actor, details))]
pub async fn set_payout(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    details: &PayoutDetails,
) -> Result<(), Fault> {
    let now = core.now();
    let txn = core.db.begin().await?;
    partners::Entity::update(partners::ActiveModel {
        id: Set(partner.uuid()),
        payout_holder: Set(Some(details.holder.clone())),
        payout_iban: Set(Some(details.iban.clone())),
        payout_bic: Set(details.bic.clone()),
        payout_updated_at: Set(Some(now)),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let masked = PayoutDetails::masked_iban(&details.iban);
    audit::record(
        &txn,
        now,
        actor,
        "partner.payout_details",
        About::partner(Some(partner.uuid()), Some(partner.uuid())),
        &format!("{} · {masked}", details.holder),
    )
    .await?;
    let admins = users::Entity::find()
        .filter(users::Column::PartnerId.eq(partner.uuid()))
        .filter(users::Column::Kind.eq(UserKind::Partner))
        .filter(users::Column::Role.eq(Role::Admin))
        .filter(users::Column::Active.eq(true))
        .all(&txn)
        .await?;
    for a in admins {
        let msg = messages::SecurityNotice {
            name: a.name.clone(),
            what: format!(
                "Your company's payout details were changed by {}: commission is now paid to \
                 {} ({masked}).",
                actor.label, details.holder
            ),
            security_url: core.links.url("/company/security"),
        }
        .render(&a.email)?;
        outbox::enqueue(&txn, msg).await?;
    }
    core.commit(txn).await?;
    Ok(())
}

/// Requires a second factor of every user of the partner (or of its admins only).
#[tracing::instrument(skip(core, actor))]
pub async fn set_require_two_factor(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    on: bool,
) -> Result<(), Fault> {
    let txn = core.db.begin().await?;
    partners::Entity::update(partners::ActiveModel {
        id: Set(partner.uuid()),
        require_two_factor: Set(on),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        core.now(),
        actor,
        "partner.two_factor_setting",
        About::partner(Some(partner.uuid()), Some(partner.uuid())),
        if on {
            "Every user must sign in with a second factor"
        } else {
            "Admins must sign in with a second factor; members may choose"
        },
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}
