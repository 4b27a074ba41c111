//! Customer self-signup, the last step (see `signup` for the steps before): the form sent from
//! the emailed link creates the account (prepaid) with that person as its first user.
use super::Core;
use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

use super::{
    accounts::{self, NewAccount},
    audit::Actor,
    signup::{self, SignupError, SignupKind},
};
use crate::{
    domain::{BillingMode, CountryCode, NewPassword, Phone, PlainName},
    entities::users,
};

pub struct Details {
    pub company_name: PlainName,
    pub name: PlainName,
    pub country: CountryCode,
    pub phone: Option<Phone>,
    pub password: NewPassword,
}

#[tracing::instrument(skip_all)]
pub async fn complete(
    core: &Core,
    token: &str,
    d: Details,
) -> Result<crate::services::views::Account, SignupError> {
    let hash = core.hasher.hash(d.password.expose()).await?;
    let txn = core.db.begin().await?;
    let email = signup::use_link(&txn, core.now(), SignupKind::Customer, token).await?;
    let actor = Actor::system(&format!("customer signup <{email}>"));
    let account = accounts::create(
        &txn,
        core.now(),
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
        crate::domain::AccountSource::Signup,
        &actor,
    )
    .await
    .map_err(|e| match e {
        accounts::AccountError::EmailTaken => SignupError::EmailTaken,
        accounts::AccountError::NotFound => SignupError::Link(super::tokens::LinkProblem::Unknown),
        accounts::AccountError::Fault(f) => SignupError::Fault(f),
    })?;
    users::Entity::insert(users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.as_str().into()),
        name: Set(d.name.into_inner()),
        password_hash: Set(hash),
        kind: Set(crate::domain::UserKind::Customer),
        partner_id: Set(None),
        account_id: Set(Some(account.id)),
        role: Set(crate::domain::Role::Admin),
        active: Set(true),
        created_at: Set(core.now()),
        last_sign_in_at: Set(None),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(account.into())
}
