//! A customer account's own users: its admins invite people by a single-use email
//! link, change their roles and remove them; its partner does the same from the customer's page
//! while it manages the account (management mode). Who may act is the web layer's question;
//! every function here keeps to the one account it is given.
//!
//! Removing a user deactivates it (what it did stays recorded), signs it out everywhere and
//! takes back its license seats; it can be restored. An account always keeps an active admin.
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    auth::find_user_by_email,
    orders::refresh_usage,
    tokens::{self, LinkProblem, NewToken, Purpose},
    views::User,
    Core,
};
use crate::{
    domain::{
        AccountId, Email, NewPassword, PartnerRole, PlainName, Role, Status, UserId, UserKind,
    },
    email::{messages, outbox},
    entities::{accounts, email_tokens, license_seats, licenses, registrations, users},
    services::user_sessions::revoke_all as revoke_user_sessions,
};

#[derive(Debug, thiserror::Error)]
pub enum AccountUserError {
    #[error(transparent)]
    Link(#[from] LinkProblem),
    #[error("This email address already has an account.")]
    EmailTaken,
    #[error("not found")]
    NotFound,
    #[error("You cannot remove yourself. Ask another admin of the account.")]
    SelfRemoval,
    #[error("The account needs at least one active admin: make someone else admin first.")]
    LastAdmin,
    /// The invitation came from a partner that no longer manages the account.
    #[error("This invitation came from a partner that no longer manages the account. Ask the account's admins for a new one.")]
    InviterGone,
    #[error(transparent)]
    Fault(#[from] super::Fault),
}

super::faults_into!(AccountUserError);

/// Who does it, and for the account's activity list the partner it is done by (the partner
/// from the customer's page or through Login As; `None` for the customer's own admins).
pub struct By {
    pub actor: Actor,
    pub partner: Option<Uuid>,
    /// The inviter's name, as the invitation email gives it.
    pub name: String,
}

impl By {
    fn about(&self, account: AccountId, subject: Uuid) -> About {
        About {
            partner: self.partner,
            account: Some(account.uuid()),
            subject: Some(subject),
        }
    }
}

/// An invitation sent and not yet accepted, revoked or expired.
pub struct PendingInvitation {
    /// The link's record (not its token).
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub sent_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The account's users (by name) and its invitations waiting to be accepted (newest first).
pub async fn list(
    core: &Core,
    account: AccountId,
) -> Result<(Vec<User>, Vec<PendingInvitation>), AccountUserError> {
    let conn = &core.db.read;
    let users = super::accounts::users_of(conn, account).await?;
    let pending = email_tokens::Entity::find()
        .filter(email_tokens::Column::Purpose.eq(Purpose::AccountInvitation.as_str()))
        .filter(email_tokens::Column::AccountId.eq(account.uuid()))
        .filter(email_tokens::Column::UsedAt.is_null())
        .filter(email_tokens::Column::ExpiresAt.gt(core.now()))
        .order_by_desc(email_tokens::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|t| PendingInvitation {
            id: t.id,
            role: role_of(t.role.as_deref()),
            email: t.email,
            sent_at: t.created_at,
            expires_at: t.expires_at,
        })
        .collect();
    Ok((users, pending))
}

fn role_of(s: Option<&str>) -> Role {
    match s {
        Some("admin") => Role::Admin,
        _ => Role::Member,
    }
}

/// Emails an invitation to join the account as `role`. A new invitation to the same address
/// replaces the earlier link.
#[tracing::instrument(skip(core, by, email), fields(account = %account))]
pub async fn invite(
    core: &Core,
    by: &By,
    account: AccountId,
    email: &Email,
    role: PartnerRole,
) -> Result<(), AccountUserError> {
    let txn = core.db.begin().await?;
    let acc = accounts::Entity::find_by_id(account.uuid())
        .one(&txn)
        .await?
        .ok_or(AccountUserError::NotFound)?;
    if find_user_by_email(&txn, email.as_str()).await?.is_some() {
        return Err(AccountUserError::EmailTaken);
    }
    let ttl = core.links.invite_ttl;
    let token = tokens::issue(
        &txn,
        NewToken {
            at: core.now(),
            purpose: Purpose::AccountInvitation,
            email: email.as_str(),
            user_id: None,
            // Who sent it: a partner's invitation lives only as long as its relationship.
            partner_id: by.partner,
            subject_id: None,
            account_id: Some(acc.id),
            role: Some(role.as_str()),
            ttl,
        },
    )
    .await?;
    let msg = messages::Invitation {
        inviter: by.name.clone(),
        company: acc.company_name.clone(),
        role: role.as_str().into(),
        link: core.links.url(&format!("/join/{token}")),
        days: ttl.num_days(),
    }
    .render(email.as_str())?;
    outbox::enqueue(&txn, msg).await?;
    audit::record(
        &txn,
        core.now(),
        &by.actor,
        "account_user.invited",
        by.about(account, acc.id),
        &format!("{} as {}", email, role.as_str()),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

async fn pending(
    conn: &impl ConnectionTrait,
    account: AccountId,
    id: Uuid,
) -> Result<email_tokens::Model, AccountUserError> {
    email_tokens::Entity::find_by_id(id)
        .filter(email_tokens::Column::Purpose.eq(Purpose::AccountInvitation.as_str()))
        .filter(email_tokens::Column::AccountId.eq(account.uuid()))
        .filter(email_tokens::Column::UsedAt.is_null())
        .one(conn)
        .await?
        .ok_or(AccountUserError::NotFound)
}

/// A new link for a pending invitation of the account (same address, same role).
pub async fn resend(
    core: &Core,
    by: &By,
    account: AccountId,
    id: Uuid,
) -> Result<String, AccountUserError> {
    let link = pending(&core.db.read, account, id).await?;
    let email = Email::parse(&link.email).map_err(|_| AccountUserError::NotFound)?;
    let role = match role_of(link.role.as_deref()) {
        Role::Admin => PartnerRole::Admin,
        _ => PartnerRole::Member,
    };
    invite(core, by, account, &email, role).await?;
    Ok(link.email)
}

/// Ends a pending invitation of the account: its link stops working.
pub async fn revoke(
    core: &Core,
    by: &By,
    account: AccountId,
    id: Uuid,
) -> Result<String, AccountUserError> {
    let txn = core.db.begin().await?;
    let link = pending(&txn, account, id).await?;
    if !tokens::consume(&txn, link.id, core.now()).await? {
        return Err(LinkProblem::Used.into());
    }
    audit::record(
        &txn,
        core.now(),
        &by.actor,
        "account_user.invitation_revoked",
        by.about(account, account.uuid()),
        &link.email,
    )
    .await?;
    core.commit(txn).await?;
    Ok(link.email)
}

/// What the invitation page shows.
pub struct InvitationView {
    pub email: String,
    pub company: String,
    pub role: String,
}

/// The pending invitations `partner` sent into `account`, revoked (when the relationship
/// ends, in its transaction). Returns how many.
pub(crate) async fn revoke_sent_by(
    conn: &impl ConnectionTrait,
    account: Uuid,
    partner: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, sea_orm::DbErr> {
    Ok(email_tokens::Entity::update_many()
        .col_expr(email_tokens::Column::UsedAt, Expr::value(now))
        .filter(email_tokens::Column::Purpose.eq(Purpose::AccountInvitation.as_str()))
        .filter(email_tokens::Column::AccountId.eq(account))
        .filter(email_tokens::Column::PartnerId.eq(partner))
        .filter(email_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// The active users of `account` who joined by an invitation `partner` sent, as (id, "Name
/// <email>", role): what the customer may want to remove when the relationship ends.
pub async fn added_by(
    core: &Core,
    account: AccountId,
    partner: Uuid,
) -> Result<Vec<(UserId, String, Role)>, AccountUserError> {
    let conn = &core.db.read;
    let emails: Vec<String> = email_tokens::Entity::find()
        .filter(email_tokens::Column::Purpose.eq(Purpose::AccountInvitation.as_str()))
        .filter(email_tokens::Column::AccountId.eq(account.uuid()))
        .filter(email_tokens::Column::PartnerId.eq(partner))
        .filter(email_tokens::Column::UsedAt.is_not_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|t| t.email)
        .collect();
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::AccountId.eq(account.uuid()))
        .filter(users::Column::Active.eq(true))
        .filter(users::Column::Email.is_in(emails))
        .order_by_asc(users::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (UserId(u.id), format!("{} <{}>", u.name, u.email), u.role))
        .collect())
}

/// A partner's invitation holds only while that partner still manages the account (an active
/// registration in management mode): checked again when it is opened and accepted.
async fn inviter_still_manages(
    conn: &impl ConnectionTrait,
    link: &email_tokens::Model,
) -> Result<(), AccountUserError> {
    let (Some(partner), Some(account)) = (link.partner_id, link.account_id) else {
        return Ok(());
    };
    let live = registrations::Entity::find()
        .filter(registrations::Column::PartnerId.eq(partner))
        .filter(registrations::Column::AccountId.eq(account))
        .filter(registrations::Column::Status.eq(Status::Active))
        .filter(registrations::Column::ManagementMode.eq(true))
        .count(conn)
        .await?
        > 0;
    if live {
        Ok(())
    } else {
        Err(AccountUserError::InviterGone)
    }
}

/// An invitation refused because its partner no longer manages the account, recorded as an
/// attempt (outside the refused request's transaction).
async fn invitation_refused(
    core: &Core,
    link: &email_tokens::Model,
) -> Result<(), AccountUserError> {
    if let Some(account) = link.account_id {
        audit::record(
            &core.db.write,
            core.now(),
            &Actor::system(&format!("invitee {}", link.email)),
            "account_user.invitation_refused",
            About {
                partner: link.partner_id,
                account: Some(account),
                subject: Some(link.id),
            },
            "The invitation came from a partner that no longer manages the account",
        )
        .await?;
    }
    Ok(())
}

/// A partner's invitation whose partner no longer manages the account is refused as such
/// (revoked when the relationship ended, or sent just before), whatever else the link's state
/// says, and the attempt is recorded.
async fn refuse_if_inviter_gone(core: &Core, token: &str) -> Result<(), AccountUserError> {
    let conn = &core.db.read;
    if let Some(row) = tokens::find(conn, Purpose::AccountInvitation, token).await? {
        if let Err(e) = inviter_still_manages(conn, &row).await {
            invitation_refused(core, &row).await?;
            return Err(e);
        }
    }
    Ok(())
}

pub async fn invitation(core: &Core, token: &str) -> Result<InvitationView, AccountUserError> {
    if token.len() > 100 {
        return Err(LinkProblem::Unknown.into());
    }
    refuse_if_inviter_gone(core, token).await?;
    let conn = &core.db.read;
    let link = tokens::find_usable(conn, Purpose::AccountInvitation, token, core.now()).await??;
    let account = accounts::Entity::find_by_id(link.account_id.ok_or(LinkProblem::Unknown)?)
        .one(conn)
        .await?
        .ok_or(LinkProblem::Unknown)?;
    Ok(InvitationView {
        email: link.email,
        company: account.company_name,
        role: role_of(link.role.as_deref()).as_str().into(),
    })
}

/// Creates the user the invitation was for; the link works once.
#[tracing::instrument(skip_all)]
pub async fn accept(
    core: &Core,
    token: &str,
    name: PlainName,
    password: &NewPassword,
) -> Result<User, AccountUserError> {
    refuse_if_inviter_gone(core, token).await?;
    let hash = core.hasher.hash(password.expose()).await?;
    let txn = core.db.begin().await?;
    let link = tokens::find_usable(&txn, Purpose::AccountInvitation, token, core.now()).await??;
    // Checked again under the transaction: a relationship that ended meanwhile revoked the
    // link (and `consume` below finds it used), or leaves this check failing.
    inviter_still_manages(&txn, &link).await?;
    if !tokens::consume(&txn, link.id, core.now()).await? {
        return Err(LinkProblem::Used.into());
    }
    if find_user_by_email(&txn, &link.email).await?.is_some() {
        return Err(AccountUserError::EmailTaken);
    }
    let account = link.account_id.ok_or(LinkProblem::Unknown)?;
    let user = users::Entity::insert(users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(link.email.clone()),
        name: Set(name.into_inner()),
        password_hash: Set(hash),
        kind: Set(UserKind::Customer),
        partner_id: Set(None),
        account_id: Set(Some(account)),
        role: Set(role_of(link.role.as_deref())),
        active: Set(true),
        created_at: Set(core.now()),
        last_sign_in_at: Set(None),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
    })
    .exec_with_returning(&txn)
    .await?;
    let user: User = user.into();
    audit::record(
        &txn,
        core.now(),
        &Actor::user(&user),
        "account_user.joined",
        About::account_item(account, user.id.uuid()),
        user.role.as_str(),
    )
    .await?;
    core.commit(txn).await?;
    Ok(user)
}

async fn user_of(
    conn: &impl ConnectionTrait,
    account: AccountId,
    user: UserId,
) -> Result<users::Model, AccountUserError> {
    users::Entity::find_by_id(user.uuid())
        .filter(users::Column::AccountId.eq(account.uuid()))
        .one(conn)
        .await?
        .ok_or(AccountUserError::NotFound)
}

/// Whether the account keeps an active admin other than `user`.
async fn another_admin(
    conn: &impl ConnectionTrait,
    account: AccountId,
    user: Uuid,
) -> Result<bool, AccountUserError> {
    Ok(users::Entity::find()
        .filter(users::Column::AccountId.eq(account.uuid()))
        .filter(users::Column::Role.eq(Role::Admin))
        .filter(users::Column::Active.eq(true))
        .filter(users::Column::Id.ne(user))
        .count(conn)
        .await?
        > 0)
}

/// Makes a user of the account an admin or a member.
#[tracing::instrument(skip(core, by))]
pub async fn set_role(
    core: &Core,
    by: &By,
    account: AccountId,
    user: UserId,
    role: PartnerRole,
) -> Result<User, AccountUserError> {
    let role = match role {
        PartnerRole::Admin => Role::Admin,
        PartnerRole::Member => Role::Member,
    };
    let txn = core.db.begin().await?;
    let u = user_of(&txn, account, user).await?;
    if u.role == role {
        return Ok(u.into());
    }
    if u.role == Role::Admin && u.active && !another_admin(&txn, account, u.id).await? {
        return Err(AccountUserError::LastAdmin);
    }
    let u = users::Entity::update(users::ActiveModel {
        id: Set(u.id),
        role: Set(role),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        core.now(),
        &by.actor,
        "account_user.role_changed",
        by.about(account, u.id),
        &format!("{} <{}> is now {}", u.name, u.email, role.label()),
    )
    .await?;
    core.commit(txn).await?;
    Ok(u.into())
}

/// Removes a user from the account (deactivated, signed out everywhere, its seats taken back),
/// or restores a removed one.
#[tracing::instrument(skip(core, by))]
pub async fn set_active(
    core: &Core,
    by: &By,
    account: AccountId,
    user: UserId,
    active: bool,
) -> Result<User, AccountUserError> {
    if !active && by.actor.user_id == Some(user.uuid()) {
        return Err(AccountUserError::SelfRemoval);
    }
    let txn = core.db.begin().await?;
    let u = user_of(&txn, account, user).await?;
    if u.active == active {
        return Ok(u.into());
    }
    if !active && u.role == Role::Admin && !another_admin(&txn, account, u.id).await? {
        return Err(AccountUserError::LastAdmin);
    }
    let u = users::Entity::update(users::ActiveModel {
        id: Set(u.id),
        active: Set(active),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let mut detail = format!("{} <{}>", u.name, u.email);
    if !active {
        revoke_user_sessions(&txn, u.id).await?;
        let freed = take_back_seats(&txn, u.id).await?;
        if freed > 0 {
            detail.push_str(&format!(
                "; {freed} seat{} taken back",
                if freed == 1 { "" } else { "s" }
            ));
        }
    }
    let action = if active {
        "account_user.restored"
    } else {
        "account_user.removed"
    };
    audit::record(
        &txn,
        core.now(),
        &by.actor,
        action,
        by.about(account, u.id),
        &detail,
    )
    .await?;
    core.commit(txn).await?;
    Ok(u.into())
}

/// Frees every seat the user holds, keeping each license's count of given seats right.
async fn take_back_seats(
    conn: &impl ConnectionTrait,
    user: Uuid,
) -> Result<usize, AccountUserError> {
    let held: Vec<Uuid> = license_seats::Entity::find()
        .filter(license_seats::Column::UserId.eq(user))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.license_id)
        .collect();
    if held.is_empty() {
        return Ok(0);
    }
    license_seats::Entity::delete_many()
        .filter(license_seats::Column::UserId.eq(user))
        .exec(conn)
        .await?;
    licenses::Entity::update_many()
        .col_expr(
            licenses::Column::SeatsAssigned,
            Expr::col(licenses::Column::SeatsAssigned).sub(1),
        )
        .filter(licenses::Column::Id.is_in(held.clone()))
        .exec(conn)
        .await?;
    let mut regs: Vec<Uuid> = licenses::Entity::find()
        .filter(licenses::Column::Id.is_in(held.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.registration_id)
        .collect();
    regs.sort();
    regs.dedup();
    refresh_usage(conn, &regs).await?;
    Ok(held.len())
}
