//! Single-use, expiring email links (sign-up, password reset, invitation). The token lives
//! only in the email; the database keeps its hash. Issuing a new link for the same purpose and
//! address makes the older ones unusable.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};
use uuid::Uuid;

use crate::{
    entities::email_tokens,
    security::tokens::{hash_token, random_token},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PartnerSignup,
    PasswordReset,
    Invitation,
    CustomerSignup,
    RegistrationConfirm,
    /// To join a customer account as one of its users.
    AccountInvitation,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PartnerSignup => "partner_signup",
            Self::PasswordReset => "password_reset",
            Self::Invitation => "invitation",
            Self::CustomerSignup => "customer_signup",
            Self::RegistrationConfirm => "registration_confirm",
            Self::AccountInvitation => "account_invitation",
        }
    }
}

/// Why a link cannot be used; each has its own page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkProblem {
    #[error("This link is not valid. Check that you copied the whole address from the email.")]
    Unknown,
    #[error("This link has already been used, or a newer link was sent. Each link works once.")]
    Used,
    #[error("This link has expired.")]
    Expired,
}

pub struct NewToken<'a> {
    pub purpose: Purpose,
    pub email: &'a str,
    pub user_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    /// The record the link acts on; a new link for the same subject replaces the old one.
    pub subject_id: Option<Uuid>,
    pub role: Option<&'a str>,
    /// The customer account an invitation is for.
    pub account_id: Option<Uuid>,
    pub ttl: Duration,
    /// When it is issued (the services' clock).
    pub at: DateTime<Utc>,
}

pub async fn issue(conn: &impl ConnectionTrait, t: NewToken<'_>) -> Result<String, DbErr> {
    let now = t.at;
    let same = match t.subject_id {
        Some(id) => email_tokens::Column::SubjectId.eq(id),
        None => email_tokens::Column::Email.eq(t.email),
    };
    email_tokens::Entity::update_many()
        .col_expr(email_tokens::Column::UsedAt, Expr::value(now))
        .filter(email_tokens::Column::Purpose.eq(t.purpose.as_str()))
        .filter(same)
        .filter(email_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    let (token, row) = first_link(t);
    email_tokens::Entity::insert(row)
        .exec_without_returning(conn)
        .await?;
    Ok(token)
}

/// A link and the row that stores its hash, without ending older links: for the first link of
/// a subject made in the same transaction (a new registration), or for `issue`.
pub fn first_link(t: NewToken<'_>) -> (String, email_tokens::ActiveModel) {
    let now = t.at;
    let token = random_token();
    let row = email_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(hash_token(&token)),
        purpose: Set(t.purpose.as_str().into()),
        email: Set(t.email.to_string()),
        user_id: Set(t.user_id),
        partner_id: Set(t.partner_id),
        subject_id: Set(t.subject_id),
        role: Set(t.role.map(str::to_string)),
        account_id: Set(t.account_id),
        expires_at: Set(now + t.ttl),
        used_at: Set(None),
        created_at: Set(now),
    };
    (token, row)
}

/// The link's record if it can still be used at `now`.
pub async fn find_usable(
    conn: &impl ConnectionTrait,
    purpose: Purpose,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Result<email_tokens::Model, LinkProblem>, DbErr> {
    let row = email_tokens::Entity::find()
        .filter(email_tokens::Column::TokenHash.eq(hash_token(token)))
        .filter(email_tokens::Column::Purpose.eq(purpose.as_str()))
        .one(conn)
        .await?;
    Ok(match row {
        None => Err(LinkProblem::Unknown),
        Some(r) if r.used_at.is_some() => Err(LinkProblem::Used),
        Some(r) if r.expires_at <= now => Err(LinkProblem::Expired),
        Some(r) => Ok(r),
    })
}

/// A link's row, whether or not it still works.
pub async fn find(
    conn: &impl ConnectionTrait,
    purpose: Purpose,
    token: &str,
) -> Result<Option<email_tokens::Model>, DbErr> {
    email_tokens::Entity::find()
        .filter(email_tokens::Column::TokenHash.eq(hash_token(token)))
        .filter(email_tokens::Column::Purpose.eq(purpose.as_str()))
        .one(conn)
        .await
}

/// The record a link was issued for, whether or not the link still works.
pub async fn subject_of(
    conn: &impl ConnectionTrait,
    purpose: Purpose,
    token: &str,
) -> Result<Option<Uuid>, DbErr> {
    Ok(email_tokens::Entity::find()
        .filter(email_tokens::Column::TokenHash.eq(hash_token(token)))
        .filter(email_tokens::Column::Purpose.eq(purpose.as_str()))
        .one(conn)
        .await?
        .and_then(|r| r.subject_id))
}

/// Marks the link used; `false` if another request used it first.
pub async fn consume(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = email_tokens::Entity::update_many()
        .col_expr(email_tokens::Column::UsedAt, Expr::value(now))
        .filter(email_tokens::Column::Id.eq(id))
        .filter(email_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}
