//! What the two email-first sign-ups share (customers at `/signup`, partners at
//! `/partners/register`): the visitor gives an address and is emailed either a single-use link
//! or, when the address already has an account, a note saying so (the page looks the same
//! either way); the link opens the form; the transaction that creates the account uses the
//! link up.
use super::Core;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::{
    accounts,
    auth::find_user_by_email,
    tokens::{self, LinkProblem, NewToken, Purpose},
};
use crate::{
    domain::Email,
    email::{messages, outbox},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupKind {
    /// A customer signs its company up as an account of the provider.
    Customer,
    /// A reseller or agency registers as a partner.
    Partner,
}

impl SignupKind {
    fn purpose(self) -> Purpose {
        match self {
            Self::Customer => Purpose::CustomerSignup,
            Self::Partner => Purpose::PartnerSignup,
        }
    }

    /// The page that asks for the address; the emailed link is this path and the token.
    pub const fn path(self) -> &'static str {
        match self {
            Self::Customer => "/signup",
            Self::Partner => "/partners/register",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    #[error(transparent)]
    Link(#[from] LinkProblem),
    #[error("This email address already has an account.")]
    EmailTaken,
    #[error(transparent)]
    Fault(#[from] super::Fault),
}

super::faults_into!(SignupError);

/// Step 1: emails the link, or "you already have an account" to an address that has a user
/// (for a customer sign-up, also one that is already an account's primary email).
#[tracing::instrument(skip_all)]
pub async fn request(core: &Core, kind: SignupKind, email: &Email) -> Result<(), SignupError> {
    let cfg = &core.links;
    let txn = core.db.begin().await?;
    let taken = find_user_by_email(&txn, email.as_str()).await?.is_some()
        || (kind == SignupKind::Customer
            && accounts::find_by_email(&txn, email.as_str())
                .await?
                .is_some());
    let msg = if taken {
        messages::PartnerAlreadyRegistered {
            login_url: cfg.url("/login"),
            reset_url: cfg.url("/password/forgot"),
        }
        .render(email.as_str())?
    } else {
        let token = tokens::issue(
            &txn,
            NewToken {
                at: core.now(),
                purpose: kind.purpose(),
                email: email.as_str(),
                user_id: None,
                partner_id: None,
                subject_id: None,
                account_id: None,
                role: None,
                ttl: cfg.signup_ttl,
            },
        )
        .await?;
        let link = cfg.url(&format!("{}/{token}", kind.path()));
        let hours = cfg.signup_ttl.num_hours();
        match kind {
            SignupKind::Customer => {
                messages::CustomerSignupLink { link, hours }.render(email.as_str())?
            }
            SignupKind::Partner => {
                messages::PartnerSignupLink { link, hours }.render(email.as_str())?
            }
        }
    };
    outbox::enqueue(&txn, msg).await?;
    core.commit(txn).await?;
    Ok(())
}

/// The address a usable sign-up link was sent to.
#[tracing::instrument(skip_all, level = "debug")]
pub async fn link_email(core: &Core, kind: SignupKind, token: &str) -> Result<String, SignupError> {
    Ok(
        tokens::find_usable(&core.db.read, kind.purpose(), token, core.now())
            .await??
            .email,
    )
}

/// Step 2, inside the transaction that creates the account: uses the link up and gives the
/// address it was sent to, unless that address has a user by now.
pub async fn use_link(
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    kind: SignupKind,
    token: &str,
) -> Result<Email, SignupError> {
    let link = tokens::find_usable(txn, kind.purpose(), token, now).await??;
    if !tokens::consume(txn, link.id, now).await? {
        return Err(LinkProblem::Used.into());
    }
    if find_user_by_email(txn, &link.email).await?.is_some() {
        return Err(SignupError::EmailTaken);
    }
    Email::parse(&link.email).map_err(|_| SignupError::Link(LinkProblem::Unknown))
}
