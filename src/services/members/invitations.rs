//! Invitations: a single-use email link to join an organisation with a role; sent, resent
//! (a new link, the old one dies) or revoked by those who manage its members, opened and
//! accepted without signing in. A partner's invitation into a customer account holds only while
//! the partner manages the account: it is refused (and the attempt recorded) once that ends,
//! and ending the relationship revokes the ones still pending.
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::{manages, role_of, Kind, MemberError, Org, PendingInvitation, Team};
use crate::{
    domain::{AccountId, Email, NewPassword, PartnerRole, PlainName, Role, UserId},
    email::{messages, outbox},
    entities::{email_tokens, users},
    services::{
        audit::{self, About, Actor},
        auth::{find_user_by_email, new_user},
        tokens::{self, LinkProblem, NewToken, Purpose},
        views::User,
        Core,
    },
};

impl Team {
    fn invitations(&self) -> sea_orm::Select<email_tokens::Entity> {
        let org = match self.org {
            Org::Partner(p) => email_tokens::Column::PartnerId.eq(p.uuid()),
            Org::Account(a) => email_tokens::Column::AccountId.eq(a.uuid()),
        };
        email_tokens::Entity::find()
            .filter(email_tokens::Column::Purpose.eq(self.org.rules().purpose.as_str()))
            .filter(org)
            .filter(email_tokens::Column::UsedAt.is_null())
    }

    pub(super) async fn pending_invitations(
        &self,
        core: &Core,
    ) -> Result<Vec<PendingInvitation>, MemberError> {
        Ok(self
            .invitations()
            .filter(email_tokens::Column::ExpiresAt.gt(core.now()))
            .order_by_desc(email_tokens::Column::CreatedAt)
            .all(&core.db.read)
            .await?
            .into_iter()
            .map(|t| PendingInvitation {
                id: t.id,
                role: role_of(t.role.as_deref()),
                email: t.email,
                sent_at: t.created_at,
                expires_at: t.expires_at,
            })
            .collect())
    }

    async fn pending(
        &self,
        conn: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<email_tokens::Model, MemberError> {
        self.invitations()
            .filter(email_tokens::Column::Id.eq(id))
            .one(conn)
            .await?
            .ok_or(MemberError::NotFound)
    }

    /// Emails an invitation to join as `role`. A new invitation to the same address replaces
    /// the earlier link.
    #[tracing::instrument(skip(self, core, email))]
    pub async fn invite(
        &self,
        core: &Core,
        email: &Email,
        role: PartnerRole,
    ) -> Result<(), MemberError> {
        self.may_manage()?;
        let rules = self.org.rules();
        let txn = core.db.begin().await?;
        if find_user_by_email(&txn, email.as_str()).await?.is_some() {
            return Err(MemberError::EmailTaken);
        }
        let ttl = core.links.invite_ttl;
        let about = self.about(self.org.account());
        let token = tokens::issue(
            &txn,
            NewToken {
                at: core.now(),
                purpose: rules.purpose,
                email: email.as_str(),
                user_id: None,
                // Who sent it: a partner's invitation into an account lives only as long as the
                // partner manages the account.
                partner_id: about.partner,
                subject_id: None,
                account_id: self.org.account(),
                role: Some(role.as_str()),
                ttl,
            },
        )
        .await?;
        let msg = messages::Invitation {
            inviter: self.inviter.clone(),
            company: self.name.clone(),
            role: role.as_str().into(),
            link: core.links.url(&format!("{}{token}", rules.link)),
            days: ttl.num_days(),
        }
        .render(email.as_str())?;
        outbox::enqueue(&txn, msg).await?;
        let detail = format!("{} as {}", email, role.as_str());
        audit::record(&txn, core.now(), &self.actor, rules.invited, about, &detail).await?;
        core.commit(txn).await?;
        Ok(())
    }

    /// A new link for a pending invitation (same address, same role); returns the address.
    pub async fn resend(&self, core: &Core, id: Uuid) -> Result<String, MemberError> {
        self.may_manage()?;
        let link = self.pending(&core.db.read, id).await?;
        let email = Email::parse(&link.email).map_err(|_| MemberError::NotFound)?;
        let role = match role_of(link.role.as_deref()) {
            Role::Admin => PartnerRole::Admin,
            _ => PartnerRole::Member,
        };
        self.invite(core, &email, role).await?;
        Ok(link.email)
    }

    /// Ends a pending invitation: its link stops working. Returns the address.
    pub async fn revoke(&self, core: &Core, id: Uuid) -> Result<String, MemberError> {
        self.may_manage()?;
        let txn = core.db.begin().await?;
        let link = self.pending(&txn, id).await?;
        if !tokens::consume(&txn, link.id, core.now()).await? {
            // Accepted or revoked meanwhile: nothing to end.
            return Err(LinkProblem::Used.into());
        }
        let (action, about) = (self.org.rules().revoked, self.about(self.org.account()));
        audit::record(&txn, core.now(), &self.actor, action, about, &link.email).await?;
        core.commit(txn).await?;
        Ok(link.email)
    }
}

/// What the invitation page shows.
pub struct InvitationView {
    pub email: String,
    pub company: String,
    pub role: String,
}

/// The invitation a link of `kind` holds, if it can still be accepted.
pub async fn invitation(
    core: &Core,
    kind: Kind,
    token: &str,
) -> Result<InvitationView, MemberError> {
    if token.len() > 100 {
        return Err(LinkProblem::Unknown.into());
    }
    refuse_if_inviter_gone(core, kind, token).await?;
    let conn = &core.db.read;
    let link = tokens::find_usable(conn, kind.rules().purpose, token, core.now()).await??;
    let org = Org::of_link(kind, link.partner_id, link.account_id).ok_or(LinkProblem::Unknown)?;
    Ok(InvitationView {
        company: org.name(conn).await?.ok_or(LinkProblem::Unknown)?,
        role: role_of(link.role.as_deref()).as_str().into(),
        email: link.email,
    })
}

/// Creates the user the invitation was for, with the name and password they chose; the link
/// works once.
#[tracing::instrument(skip_all)]
pub async fn accept(
    core: &Core,
    kind: Kind,
    token: &str,
    name: PlainName,
    password: &NewPassword,
) -> Result<User, MemberError> {
    refuse_if_inviter_gone(core, kind, token).await?;
    let hash = core.hasher.hash(password.expose()).await?;
    let rules = kind.rules();
    let txn = core.db.begin().await?;
    let link = tokens::find_usable(&txn, rules.purpose, token, core.now()).await??;
    // Checked again under the transaction: a relationship that ended meanwhile revoked the
    // link (and `consume` below finds it used), or leaves this check failing.
    inviter_still_manages(&txn, &link).await?;
    if !tokens::consume(&txn, link.id, core.now()).await? {
        return Err(LinkProblem::Used.into());
    }
    if find_user_by_email(&txn, &link.email).await?.is_some() {
        return Err(MemberError::EmailTaken);
    }
    let org = Org::of_link(kind, link.partner_id, link.account_id).ok_or(LinkProblem::Unknown)?;
    let role = role_of(link.role.as_deref());
    let (kind, partner, name) = (rules.user_kind, org.partner(), name.into_inner());
    let user: User = users::Entity::insert(users::ActiveModel {
        account_id: Set(org.account()),
        ..new_user(core.now(), &link.email, &name, kind, partner, role, &hash)
    })
    .exec_with_returning(&txn)
    .await?
    .into();
    let about = org.about(None, Some(user.id.uuid()));
    let actor = Actor::user(&user);
    audit::record(&txn, core.now(), &actor, rules.joined, about, role.as_str()).await?;
    core.commit(txn).await?;
    Ok(user)
}

/// A partner's invitation into a customer account holds only while that partner manages the
/// account. (A partner's own company names itself as the link's partner and no account.)
async fn inviter_still_manages(
    conn: &impl ConnectionTrait,
    link: &email_tokens::Model,
) -> Result<(), MemberError> {
    match (link.partner_id, link.account_id) {
        (Some(partner), Some(account)) if !manages(conn, partner, account).await? => {
            Err(MemberError::InviterGone)
        }
        _ => Ok(()),
    }
}

/// A partner's invitation whose partner no longer manages the account is refused as such
/// (revoked when the relationship ended, or sent just before), whatever else the link's state
/// says, and the attempt is recorded (outside the refused request's transaction).
async fn refuse_if_inviter_gone(core: &Core, kind: Kind, token: &str) -> Result<(), MemberError> {
    let Some(link) = tokens::find(&core.db.read, kind.rules().purpose, token).await? else {
        return Ok(());
    };
    let Err(e) = inviter_still_manages(&core.db.read, &link).await else {
        return Ok(());
    };
    let about = About {
        partner: link.partner_id,
        account: link.account_id,
        subject: Some(link.id),
    };
    audit::record(
        &core.db.write,
        core.now(),
        &Actor::system(&format!("invitee {}", link.email)),
        "account_user.invitation_refused",
        about,
        "The invitation came from a partner that no longer manages the account",
    )
    .await?;
    Err(e)
}

/// The pending invitations `partner` sent into `account`, revoked (when the relationship
/// ends, in its transaction). Returns how many.
pub async fn revoke_sent_by(
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
) -> Result<Vec<(UserId, String, Role)>, MemberError> {
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
