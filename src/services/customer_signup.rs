//! Customer self-signup, the last step (see `signup` for the steps before): the form sent from
//! the emailed link creates the account (prepaid) with that person as its first user.
use super::Core;
use sea_orm::{ActiveValue::Set, EntityTrait};

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
    let (kind, role) = (
        crate::domain::UserKind::Customer,
        crate::domain::Role::Admin,
    );
    let name = d.name.into_inner();
    users::Entity::insert(users::ActiveModel {
        account_id: Set(Some(account.id)),
        ..super::auth::new_user(core.now(), email.as_str(), &name, kind, None, role, &hash)
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(account.into())
}
