//! What staff review for one registration, in any status: the request with its partner and
//! its account. The transitions themselves (approve, reject, end) live in `registrations`.
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use super::accounts;
use crate::entities::{accounts as account, partners, registrations};

pub struct Review {
    pub registration: registrations::Model,
    pub partner: partners::Model,
    pub account: account::Model,
}

/// `None` when there is no such registration (or its partner or account is gone).
pub async fn review(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Review>, DbErr> {
    let Some(registration) = registrations::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let Some(partner) = partners::Entity::find_by_id(registration.partner_id)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let Some(account) = accounts::find(conn, registration.account_id).await? else {
        return Ok(None);
    };
    Ok(Some(Review {
        registration,
        partner,
        account,
    }))
}
