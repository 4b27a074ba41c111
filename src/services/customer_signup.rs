//! Customer self-signup, email first: the visitor gives an address, the emailed link opens a
//! form, submitting it creates the account (prepaid) with that person as its first user.
use chrono::Utc;
use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

use super::{
    accounts::{self, BillingMode, NewAccount},
    audit::Actor,
    auth::find_user_by_email,
    tokens::{self, LinkProblem, NewToken, Purpose},
};
use crate::{
    domain::{CountryCode, Email, NewPassword, Phone, PlainName},
    email::{messages, outbox},
    entities::{accounts as account, users},
    startup::AppState,
};

#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    #[error(transparent)]
    Link(#[from] LinkProblem),
    #[error("This email address already has an account.")]
    EmailTaken,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for SignupError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Other(e.into())
    }
}

/// Always looks the same to the visitor; an address that has an account gets a
/// "you already have an account" email instead of a link.
pub async fn request(state: &AppState, email: &Email) -> Result<(), SignupError> {
    let cfg = &state.config;
    let txn = state.db.begin().await?;
    let taken = find_user_by_email(&txn, email.as_str()).await?.is_some()
        || accounts::find_by_email(&txn, email.as_str())
            .await?
            .is_some();
    let msg = if taken {
        messages::PartnerAlreadyRegistered {
            login_url: cfg.url("/login"),
            reset_url: cfg.url("/password/forgot"),
        }
        .render(email.as_str())
    } else {
        let token = tokens::issue(
            &txn,
            NewToken {
                purpose: Purpose::CustomerSignup,
                email: email.as_str(),
                user_id: None,
                partner_id: None,
                subject_id: None,
                role: None,
                ttl: cfg.signup_link_ttl,
            },
        )
        .await?;
        messages::CustomerSignupLink {
            link: cfg.url(&format!("/signup/{token}")),
            hours: cfg.signup_link_ttl.num_hours(),
        }
        .render(email.as_str())
    }
    .map_err(anyhow::Error::from)?;
    outbox::enqueue(&txn, msg).await?;
    txn.commit().await?;
    state.wake_mailer();
    Ok(())
}

pub async fn link_email(state: &AppState, token: &str) -> Result<String, SignupError> {
    Ok(
        tokens::find_usable(&state.db.read, Purpose::CustomerSignup, token)
            .await??
            .email,
    )
}

pub struct Details {
    pub company_name: PlainName,
    pub name: PlainName,
    pub country: CountryCode,
    pub phone: Option<Phone>,
    pub password: NewPassword,
}

pub async fn complete(
    state: &AppState,
    token: &str,
    d: Details,
) -> Result<account::Model, SignupError> {
    let hash = state
        .hasher
        .hash(d.password.expose())
        .await
        .map_err(anyhow::Error::from)?;
    let txn = state.db.begin().await?;
    let link = tokens::find_usable(&txn, Purpose::CustomerSignup, token).await??;
    if !tokens::consume(&txn, link.id).await? {
        return Err(LinkProblem::Used.into());
    }
    let email = Email::parse(&link.email).map_err(|e| anyhow::anyhow!(e))?;
    if find_user_by_email(&txn, email.as_str()).await?.is_some() {
        return Err(SignupError::EmailTaken);
    }
    let actor = Actor::system(&format!("customer signup <{email}>"));
    let account = accounts::create(
        &txn,
        NewAccount {
            company_name: d.company_name,
            primary_email: email.clone(),
            country: d.country,
            phone: d.phone,
            data_center: "default".into(),
            tags: vec![],
            billing_mode: BillingMode::Prepaid,
            in_poc: false,
            active: true,
        },
        "signup",
        &actor,
    )
    .await
    .map_err(|e| match e {
        accounts::AccountError::EmailTaken => SignupError::EmailTaken,
        other => SignupError::Other(anyhow::anyhow!(other.to_string())),
    })?;
    users::Entity::insert(users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.as_str().into()),
        name: Set(d.name.into_inner()),
        password_hash: Set(hash),
        kind: Set("customer".into()),
        partner_id: Set(None),
        account_id: Set(Some(account.id)),
        role: Set("admin".into()),
        active: Set(true),
        created_at: Set(Utc::now()),
        last_sign_in_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(account)
}
