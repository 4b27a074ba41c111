//! The members of an organisation, a partner's company or a customer account, and the
//! invitations to join it: one component for both kinds. What differs between the kinds is
//! data ([`Kind`]); who may do what is derived from the current state each time someone opens
//! an organisation's members ([`open`]), and every operation asks the [`Team`] that returns.
//!
//! - Everyone in the organisation sees its members; its admins manage them (invite, resend,
//!   revoke, deactivate, reactivate and, in a customer account, change roles).
//! - A partner manages a customer account's members while it manages the account (an active
//!   registration in management mode), from the customer's page or signed in as one of its
//!   users; its invitations live only as long as that lasts (`invitations`).
//! - Deactivating a user signs it out everywhere and takes back its license seats; it can be
//!   reactivated. An organisation always keeps an active admin (`changes`).
mod changes;
mod invitations;

use sea_orm::{
    sea_query::SimpleExpr, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

pub use invitations::{accept, added_by, invitation, revoke_sent_by, InvitationView};

use super::{
    audit::{About, Actor},
    tokens::{LinkProblem, Purpose},
    views::{Partner, Registration, User},
    Core,
};
use crate::{
    domain::{AccountId, PartnerId, RegistrationId, Role, Status, UserId, UserKind},
    entities::{accounts, partners, registrations, users},
};

#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error(transparent)]
    Link(#[from] LinkProblem),
    #[error("This email address already has an account.")]
    EmailTaken,
    #[error("not found")]
    NotFound,
    /// The one acting may see the members but not manage them, or not even see them.
    #[error("forbidden")]
    Forbidden,
    /// Nobody deactivates themselves (in the words of the organisation's kind).
    #[error("{0}")]
    NotYourself(&'static str),
    #[error("The account needs at least one active admin: make someone else admin first.")]
    LastAdmin,
    /// The invitation came from a partner that no longer manages the account.
    #[error("This invitation came from a partner that no longer manages the account. Ask the account's admins for a new one.")]
    InviterGone,
    #[error(transparent)]
    Fault(#[from] super::Fault),
}

super::faults_into!(MemberError);

/// The two kinds of organisation that have members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A partner's company: its users work with the partner's customers.
    Partner,
    /// A customer account: its users use the licenses the account holds.
    Account,
}

/// What differs between the kinds.
struct Rules {
    purpose: Purpose,
    /// The path of the invitation link, before its token.
    link: &'static str,
    user_kind: UserKind,
    /// The audit actions: invited, invitation revoked, joined, deactivated, reactivated.
    invited: &'static str,
    revoked: &'static str,
    joined: &'static str,
    deactivated: &'static str,
    reactivated: &'static str,
    not_yourself: &'static str,
    /// The audit action of a role change, where members' roles change after they joined (a
    /// partner's users keep the role they were invited with).
    role_changed: Option<&'static str>,
}

const PARTNER: Rules = Rules {
    purpose: Purpose::Invitation,
    link: "/invitations/",
    user_kind: UserKind::Partner,
    invited: "partner.user_invited",
    revoked: "partner.invitation_revoked",
    joined: "partner.user_joined",
    deactivated: "partner.user_deactivated",
    reactivated: "partner.user_reactivated",
    not_yourself: "You cannot deactivate yourself.",
    role_changed: None,
};

const ACCOUNT: Rules = Rules {
    purpose: Purpose::AccountInvitation,
    link: "/join/",
    user_kind: UserKind::Customer,
    invited: "account_user.invited",
    revoked: "account_user.invitation_revoked",
    joined: "account_user.joined",
    deactivated: "account_user.removed",
    reactivated: "account_user.restored",
    not_yourself: "You cannot remove yourself. Ask another admin of the account.",
    role_changed: Some("account_user.role_changed"),
};

impl Kind {
    fn rules(self) -> &'static Rules {
        match self {
            Self::Partner => &PARTNER,
            Self::Account => &ACCOUNT,
        }
    }
}

/// One organisation with members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Org {
    Partner(PartnerId),
    Account(AccountId),
}

impl Org {
    pub fn kind(self) -> Kind {
        match self {
            Self::Partner(_) => Kind::Partner,
            Self::Account(_) => Kind::Account,
        }
    }

    fn rules(self) -> &'static Rules {
        self.kind().rules()
    }

    fn partner(self) -> Option<Uuid> {
        match self {
            Self::Partner(p) => Some(p.uuid()),
            Self::Account(_) => None,
        }
    }

    fn account(self) -> Option<Uuid> {
        match self {
            Self::Partner(_) => None,
            Self::Account(a) => Some(a.uuid()),
        }
    }

    /// Its users.
    fn users(self) -> SimpleExpr {
        match self {
            Self::Partner(p) => users::Column::PartnerId.eq(p.uuid()),
            Self::Account(a) => users::Column::AccountId.eq(a.uuid()),
        }
    }

    /// The organisation an invitation link of `kind` is to.
    fn of_link(kind: Kind, partner: Option<Uuid>, account: Option<Uuid>) -> Option<Self> {
        match kind {
            Kind::Partner => partner.map(|p| Self::Partner(p.into())),
            Kind::Account => account.map(|a| Self::Account(a.into())),
        }
    }

    /// What an event about `subject` concerns: a partner's company, or a customer account and
    /// the partner that acted on it (`by`, for the account's activity list).
    fn about(self, by: Option<Uuid>, subject: Option<Uuid>) -> About {
        About {
            partner: self.partner().or(by),
            account: self.account(),
            subject,
        }
    }

    /// Its name (the company's), `None` when it does not exist.
    async fn name(self, conn: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
        Ok(match self {
            Self::Partner(p) => partners::Entity::find_by_id(p.uuid())
                .one(conn)
                .await?
                .map(|p| p.company_name),
            Self::Account(a) => accounts::Entity::find_by_id(a.uuid())
                .one(conn)
                .await?
                .map(|a| a.company_name),
        })
    }
}

/// The organisation's users, by name.
pub async fn users(conn: &impl ConnectionTrait, org: Org) -> Result<Vec<User>, DbErr> {
    Ok(users::Entity::find()
        .filter(org.users())
        .order_by_asc(users::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Who acts on an organisation's members; the organisation follows from it.
pub enum By<'a> {
    /// A user of the organisation itself: a partner's user on its company, a customer's user
    /// on its account.
    Member(&'a User),
    /// A partner user signed in as a user of a customer account (Login As): that user's
    /// rights, while the partner manages the account; the partner is named on what is done.
    LoginAs {
        member: &'a User,
        partner_user: &'a User,
        partner: &'a Partner,
    },
    /// A partner user on the page of one of its customers.
    Partner {
        user: &'a User,
        partner: &'a Partner,
        customer: RegistrationId,
    },
}

/// An organisation's members as the one who opened them may see and change them, read from
/// the current state when opened.
pub struct Team {
    org: Org,
    /// The organisation's name.
    pub name: String,
    actor: Actor,
    /// The one who invites, as the invitation email names them.
    inviter: String,
    /// The partner acting on a customer account (named on its events and invitations).
    partner: Option<Uuid>,
    /// The member whose pages these are, if one is.
    pub me: Option<UserId>,
    /// May invite, deactivate, reactivate and change roles; otherwise only reads.
    pub can_manage: bool,
}

/// Opens an organisation's members for `by` (recorded as `actor`): someone outside it is
/// refused, and what they may do there is read now, not taken from the session.
pub async fn open(core: &Core, actor: Actor, by: By<'_>) -> Result<Team, MemberError> {
    let conn = &core.db.read;
    let (org, inviter, partner, me, can_manage) = match by {
        By::Member(user) => {
            let (org, role) = member_of(conn, user).await?;
            (
                org,
                user.name.clone(),
                None,
                Some(user.id),
                role == Role::Admin,
            )
        }
        By::LoginAs {
            member,
            partner_user,
            partner,
        } => {
            let (org, role) = member_of(conn, member).await?;
            match org {
                Org::Account(a) if manages(conn, partner.id.uuid(), a.uuid()).await? => {}
                _ => return Err(MemberError::Forbidden),
            }
            let inviter = format!("{} of {}", partner_user.name, partner.company_name);
            let partner = Some(partner.id.uuid());
            (org, inviter, partner, Some(member.id), role == Role::Admin)
        }
        By::Partner {
            user,
            partner,
            customer,
        } => {
            let reg: Registration = registrations::Entity::find_by_id(customer.uuid())
                .filter(registrations::Column::PartnerId.eq(partner.id.uuid()))
                .one(conn)
                .await?
                .ok_or(MemberError::NotFound)?
                .into();
            if reg.status != Status::Active {
                return Err(MemberError::Forbidden);
            }
            let inviter = format!("{} of {}", user.name, partner.company_name);
            let org = Org::Account(reg.account_id);
            (
                org,
                inviter,
                Some(partner.id.uuid()),
                None,
                reg.partner_manages(),
            )
        }
    };
    let name = org.name(conn).await?.ok_or(MemberError::NotFound)?;
    Ok(Team {
        org,
        name,
        actor,
        inviter,
        partner,
        me,
        can_manage,
    })
}

/// [`open`], for someone who must manage the members: anyone else is refused.
pub async fn manage(core: &Core, actor: Actor, by: By<'_>) -> Result<Team, MemberError> {
    let team = open(core, actor, by).await?;
    team.may_manage()?;
    Ok(team)
}

/// The organisation of an active user, and their role there now.
async fn member_of(conn: &impl ConnectionTrait, user: &User) -> Result<(Org, Role), MemberError> {
    let row = users::Entity::find_by_id(user.id.uuid())
        .filter(users::Column::Active.eq(true))
        .one(conn)
        .await?
        .ok_or(MemberError::Forbidden)?;
    let org = match (row.kind, row.partner_id, row.account_id) {
        (UserKind::Partner, Some(p), _) => Org::Partner(p.into()),
        (UserKind::Customer, _, Some(a)) => Org::Account(a.into()),
        _ => return Err(MemberError::Forbidden),
    };
    Ok((org, row.role))
}

/// Whether `partner` manages `account` now (see [`Registration::partner_manages`]).
async fn manages(conn: &impl ConnectionTrait, partner: Uuid, account: Uuid) -> Result<bool, DbErr> {
    Ok(registrations::Entity::find()
        .filter(registrations::Column::PartnerId.eq(partner))
        .filter(registrations::Column::AccountId.eq(account))
        .filter(registrations::Column::Status.eq(Status::Active))
        .one(conn)
        .await?
        .is_some_and(|r| Registration::from(r).partner_manages()))
}

/// The organisation's members and, for those who manage them, its invitations waiting to be
/// accepted.
pub struct Roster {
    /// By name.
    pub users: Vec<User>,
    /// Newest first.
    pub invitations: Vec<PendingInvitation>,
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

impl Team {
    fn may_manage(&self) -> Result<(), MemberError> {
        if self.can_manage {
            Ok(())
        } else {
            Err(MemberError::Forbidden)
        }
    }

    fn about(&self, subject: Option<Uuid>) -> About {
        self.org.about(self.partner, subject)
    }

    pub async fn list(&self, core: &Core) -> Result<Roster, MemberError> {
        let users = users(&core.db.read, self.org).await?;
        let invitations = if self.can_manage {
            self.pending_invitations(core).await?
        } else {
            Vec::new()
        };
        Ok(Roster { users, invitations })
    }

    /// One of its users; anyone else's is "not found".
    pub async fn member(&self, core: &Core, user: UserId) -> Result<User, MemberError> {
        Ok(self.user_row(&core.db.read, user).await?.into())
    }

    async fn user_row(
        &self,
        conn: &impl ConnectionTrait,
        user: UserId,
    ) -> Result<users::Model, MemberError> {
        users::Entity::find_by_id(user.uuid())
            .filter(self.org.users())
            .one(conn)
            .await?
            .ok_or(MemberError::NotFound)
    }
}

/// A stored role, as an invitation carries it.
fn role_of(s: Option<&str>) -> Role {
    match s {
        Some("admin") => Role::Admin,
        _ => Role::Member,
    }
}
