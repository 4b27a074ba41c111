//! Partner organisations: email-first self-registration, the company profile, and the
//! partner's own users (invitations, deactivation).
use super::Core;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    auth::find_user_by_email,
    signup::{self, SignupError, SignupKind},
    tokens::{self, LinkProblem, NewToken, Purpose},
    views::{Partner, User},
};
use crate::{
    domain::{CountryCode, Email, NewPassword, PartnerId, PartnerRole, Phone, PlainName, UserId},
    email::{messages, outbox},
    entities::{partners, users},
    services::user_sessions::revoke_all as revoke_user_sessions,
};

#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    #[error(transparent)]
    Link(#[from] LinkProblem),
    #[error("This email address already has an account.")]
    EmailTaken,
    #[error("not found")]
    NotFound,
    #[error("You cannot deactivate yourself.")]
    SelfDeactivation,
    #[error(transparent)]
    Fault(#[from] super::Fault),
}

super::faults_into!(PartnerError);

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
    let user = users::Entity::insert(users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.as_str().into()),
        name: Set(contact_name.clone()),
        password_hash: Set(hash),
        kind: Set(crate::domain::UserKind::Partner),
        partner_id: Set(Some(partner.id)),
        account_id: Set(None),
        role: Set(crate::domain::Role::Admin),
        active: Set(true),
        created_at: Set(now),
        last_sign_in_at: Set(None),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
    })
    .exec_with_returning(&txn)
    .await?;
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
) -> Result<Partner, PartnerError> {
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

#[tracing::instrument(skip_all, level = "debug")]
pub async fn list_users(core: &Core, org_id: PartnerId) -> Result<Vec<User>, PartnerError> {
    Ok(users::Entity::find()
        .filter(users::Column::PartnerId.eq(org_id.uuid()))
        .order_by_asc(users::Column::Name)
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Emails an invitation to join the partner as `role`, from the admin `inviter`.
#[tracing::instrument(skip(core, inviter, partner, email), fields(partner = %partner.id))]
pub async fn invite(
    core: &Core,
    inviter: &User,
    partner: &Partner,
    email: &Email,
    role: PartnerRole,
) -> Result<(), PartnerError> {
    let txn = core.db.begin().await?;
    if find_user_by_email(&txn, email.as_str()).await?.is_some() {
        return Err(PartnerError::EmailTaken);
    }
    let ttl = core.links.invite_ttl;
    let token = tokens::issue(
        &txn,
        NewToken {
            at: core.now(),
            purpose: Purpose::Invitation,
            email: email.as_str(),
            user_id: None,
            partner_id: Some(partner.id.uuid()),
            subject_id: None,
            account_id: None,
            role: Some(role.as_str()),
            ttl,
        },
    )
    .await?;
    let msg = messages::Invitation {
        inviter: inviter.name.clone(),
        company: partner.company_name.clone(),
        role: role.as_str().into(),
        link: core.links.url(&format!("/invitations/{token}")),
        days: ttl.num_days(),
    }
    .render(email.as_str())?;
    outbox::enqueue(&txn, msg).await?;
    audit::record(
        &txn,
        core.now(),
        &Actor::user(inviter),
        "partner.user_invited",
        About::partner(Some(partner.id.uuid()), None),
        &format!("{} as {}", email, role.as_str()),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// An invitation sent and not yet accepted, revoked or expired.
pub struct PendingInvitation {
    /// The link's record (not its token).
    pub id: Uuid,
    pub email: String,
    pub role: PartnerRole,
    pub sent_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The org's invitations still waiting to be accepted, newest first.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn pending_invitations(
    core: &Core,
    org_id: PartnerId,
) -> Result<Vec<PendingInvitation>, PartnerError> {
    use crate::entities::email_tokens;
    use sea_orm::QueryOrder as _;
    Ok(email_tokens::Entity::find()
        .filter(email_tokens::Column::Purpose.eq(Purpose::Invitation.as_str()))
        .filter(email_tokens::Column::PartnerId.eq(org_id.uuid()))
        .filter(email_tokens::Column::UsedAt.is_null())
        .filter(email_tokens::Column::ExpiresAt.gt(core.now()))
        .order_by_desc(email_tokens::Column::CreatedAt)
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(|t| PendingInvitation {
            id: t.id,
            role: PartnerRole::parse(t.role.as_deref().unwrap_or("member"))
                .unwrap_or(PartnerRole::Member),
            email: t.email,
            sent_at: t.created_at,
            expires_at: t.expires_at,
        })
        .collect())
}

/// Ends a pending invitation of the org: its link stops working. Another org's is "not found".
#[tracing::instrument(skip(core, actor))]
pub async fn revoke_invitation(
    core: &Core,
    actor: &Actor,
    org_id: PartnerId,
    id: Uuid,
) -> Result<String, PartnerError> {
    use crate::entities::email_tokens;
    let txn = core.db.begin().await?;
    let link = email_tokens::Entity::find_by_id(id)
        .filter(email_tokens::Column::Purpose.eq(Purpose::Invitation.as_str()))
        .filter(email_tokens::Column::PartnerId.eq(org_id.uuid()))
        .one(&txn)
        .await?
        .ok_or(PartnerError::NotFound)?;
    if !tokens::consume(&txn, link.id, core.now()).await? {
        // Accepted or revoked meanwhile: nothing to end.
        return Err(LinkProblem::Used.into());
    }
    audit::record(
        &txn,
        core.now(),
        actor,
        "partner.invitation_revoked",
        About::partner(Some(org_id.uuid()), None),
        &link.email,
    )
    .await?;
    txn.commit().await?;
    Ok(link.email)
}

pub struct InvitationView {
    pub email: String,
    pub company: String,
    pub role: String,
}

#[tracing::instrument(skip_all, level = "debug")]
pub async fn invitation(core: &Core, token: &str) -> Result<InvitationView, PartnerError> {
    let link = tokens::find_usable(&core.db.read, Purpose::Invitation, token, core.now()).await??;
    let partner = partners::Entity::find_by_id(link.partner_id.ok_or(LinkProblem::Unknown)?)
        .one(&core.db.read)
        .await?
        .ok_or(LinkProblem::Unknown)?;
    Ok(InvitationView {
        email: link.email,
        company: partner.company_name,
        role: link.role.unwrap_or_else(|| "member".into()),
    })
}

#[tracing::instrument(skip_all)]
pub async fn accept_invitation(
    core: &Core,
    token: &str,
    name: PlainName,
    password: &NewPassword,
) -> Result<User, PartnerError> {
    let hash = core.hasher.hash(password.expose()).await?;
    let txn = core.db.begin().await?;
    let link = tokens::find_usable(&txn, Purpose::Invitation, token, core.now()).await??;
    if !tokens::consume(&txn, link.id, core.now()).await? {
        return Err(LinkProblem::Used.into());
    }
    if find_user_by_email(&txn, &link.email).await?.is_some() {
        return Err(PartnerError::EmailTaken);
    }
    let role =
        PartnerRole::parse(link.role.as_deref().unwrap_or("member")).unwrap_or(PartnerRole::Member);
    let user = users::Entity::insert(users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(link.email.clone()),
        name: Set(name.into_inner()),
        password_hash: Set(hash),
        kind: Set(crate::domain::UserKind::Partner),
        partner_id: Set(link.partner_id),
        account_id: Set(None),
        role: Set(role.into()),
        active: Set(true),
        created_at: Set(core.now()),
        last_sign_in_at: Set(None),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(
        &txn,
        core.now(),
        &Actor::user(&user.clone().into()),
        "partner.user_joined",
        About::partner(user.partner_id, Some(user.id)),
        role.as_str(),
    )
    .await?;
    txn.commit().await?;
    Ok(user.into())
}

/// Deactivates (signing them out everywhere) or reactivates a user of the admin's own org.
/// Another org's user is "not found".
#[tracing::instrument(skip(core, actor))]
pub async fn set_user_active(
    core: &Core,
    actor: &Actor,
    org_id: PartnerId,
    user_id: UserId,
    active: bool,
) -> Result<User, PartnerError> {
    let (org_id, user_id) = (org_id.uuid(), user_id.uuid());
    if actor.user_id == Some(user_id) && !active {
        return Err(PartnerError::SelfDeactivation);
    }
    let txn = core.db.begin().await?;
    let user = users::Entity::find_by_id(user_id)
        .filter(users::Column::PartnerId.eq(org_id))
        .one(&txn)
        .await?
        .ok_or(PartnerError::NotFound)?;
    let user = users::Entity::update(users::ActiveModel {
        id: Set(user.id),
        active: Set(active),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    if !active {
        revoke_user_sessions(&txn, user.id).await?;
    }
    let action = if active {
        "partner.user_reactivated"
    } else {
        "partner.user_deactivated"
    };
    audit::record(
        &txn,
        core.now(),
        actor,
        action,
        About::partner(Some(org_id), Some(user.id)),
        &user.email,
    )
    .await?;
    txn.commit().await?;
    Ok(user.into())
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
