//! Partner organisations: email-first self-registration and the company profile (its users
//! are `members`).
use super::Core;
use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    auth::new_user,
    signup::{self, SignupError, SignupKind},
    views::Partner,
};
use crate::{
    domain::{CountryCode, NewPassword, PartnerId, Phone, PlainName, Role, UserKind},
    email::{messages, outbox},
    entities::{partners, users},
};

pub struct SignupDetails {
    pub company_name: PlainName,
    pub contact_name: PlainName,
    pub country: CountryCode,
    pub phone: Phone,
    pub password: NewPassword,
}

/// The last step of sign-up (`signup` has the steps before): creates the partner org (active)
/// with the link's owner as its admin, uses up the link and queues the welcome email, all in
/// one transaction.
#[tracing::instrument(skip_all)]
pub async fn complete_signup(
    core: &Core,
    token: &str,
    d: SignupDetails,
) -> Result<Partner, SignupError> {
    let hash = core.hasher.hash(d.password.expose()).await?;
    let txn = core.db.begin().await?;
    let email = signup::use_link(&txn, core.now(), SignupKind::Partner, token).await?;
    let now = core.now();
    let contact_name = d.contact_name.into_inner();
    let partner = partners::Entity::insert(partners::ActiveModel {
        id: Set(Uuid::new_v4()),
        company_name: Set(d.company_name.into_inner()),
        contact_name: Set(contact_name.clone()),
        country: Set(d.country.into_inner()),
        phone: Set(d.phone.into_inner()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        members_login_as: Set(false),
        require_two_factor: Set(false),
        payout_holder: Set(None),
        payout_iban: Set(None),
        payout_bic: Set(None),
        payout_updated_at: Set(None),
        paid_12m_currency: Set(None),
        paid_12m_from: Set(None),
    })
    .exec_with_returning(&txn)
    .await?;
    let (kind, role) = (UserKind::Partner, Role::Admin);
    let row = new_user(
        now,
        email.as_str(),
        &contact_name,
        kind,
        Some(partner.id),
        role,
        &hash,
    );
    let user = users::Entity::insert(row).exec_with_returning(&txn).await?;
    audit::record(
        &txn,
        core.now(),
        &Actor::user(&user.clone().into()),
        "partner.registered",
        About::partner(Some(partner.id), Some(partner.id)),
        &partner.company_name,
    )
    .await?;
    let msg = messages::PartnerWelcome {
        name: contact_name,
        company: partner.company_name.clone(),
        org_id: partner.id.to_string(),
        login_url: core.links.url("/login"),
    }
    .render(&user.email)?;
    outbox::enqueue(&txn, msg).await?;
    core.commit(txn).await?;
    Ok(partner.into())
}

pub struct CompanyDetails {
    pub company_name: PlainName,
    pub contact_name: PlainName,
    pub country: CountryCode,
    pub phone: Phone,
}

#[tracing::instrument(skip(core, actor, d))]
pub async fn update_company(
    core: &Core,
    actor: &Actor,
    org_id: PartnerId,
    d: CompanyDetails,
) -> Result<Partner, sea_orm::DbErr> {
    let org_id = org_id.uuid();
    let txn = core.db.begin().await?;
    let partner = partners::Entity::update(partners::ActiveModel {
        id: Set(org_id),
        company_name: Set(d.company_name.into_inner()),
        contact_name: Set(d.contact_name.into_inner()),
        country: Set(d.country.into_inner()),
        phone: Set(d.phone.into_inner()),
        updated_at: Set(core.now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        core.now(),
        actor,
        "partner.updated",
        About::partner(Some(org_id), Some(org_id)),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(partner.into())
}

/// Whether the partner's members (not only its admins) may use Login As.
#[tracing::instrument(skip(core, actor))]
pub async fn set_members_login_as(
    core: &Core,
    actor: &Actor,
    partner: crate::domain::PartnerId,
    on: bool,
) -> Result<(), sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let txn = core.db.begin().await?;
    partners::Entity::update_many()
        .col_expr(
            partners::Column::MembersLoginAs,
            sea_orm::sea_query::Expr::value(on),
        )
        .filter(partners::Column::Id.eq(partner.uuid()))
        .exec(&txn)
        .await?;
    super::audit::record(
        &txn,
        core.now(),
        actor,
        "partner.login_as_setting",
        super::audit::About::partner(Some(partner.uuid()), Some(partner.uuid())),
        if on {
            "Members may use Login As"
        } else {
            "Only admins may use Login As"
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
