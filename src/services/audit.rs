//! Audit events: who did what to which record, written in the same transaction as the change.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use super::views::User;
use crate::entities::audit_events;

/// Who acted: a signed-in user, or the system / an anonymous visitor.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub label: String,
}

impl Actor {
    pub fn user(u: &User) -> Self {
        Self {
            user_id: Some(u.id.uuid()),
            label: u.label(),
        }
    }

    pub fn system(label: &str) -> Self {
        Self {
            user_id: None,
            label: label.to_string(),
        }
    }
}

/// The records an event concerns: the partner, the customer account, and the record that
/// changed (which may be either of them, a registration, a user, an app…).
#[derive(Debug, Clone, Copy, Default)]
pub struct About {
    pub partner: Option<Uuid>,
    pub account: Option<Uuid>,
    pub subject: Option<Uuid>,
}

impl About {
    /// A change to the customer account itself.
    pub fn account(id: Uuid) -> Self {
        Self::account_item(id, id)
    }

    /// A change to something that belongs to a customer account (a service, a discount…).
    pub fn account_item(account: Uuid, item: Uuid) -> Self {
        Self {
            partner: None,
            account: Some(account),
            subject: Some(item),
        }
    }

    /// A change on the partner's side: the partner itself, one of its users or apps.
    pub fn partner(partner: Option<Uuid>, subject: Option<Uuid>) -> Self {
        Self {
            partner,
            account: None,
            subject,
        }
    }

    /// A change to a record of no partner or account (a staff user…).
    pub fn subject(id: Uuid) -> Self {
        Self {
            subject: Some(id),
            ..Self::default()
        }
    }

    /// A change to the registration linking a partner and an account.
    pub fn registration(partner: Uuid, account: Uuid, registration: Uuid) -> Self {
        Self {
            partner: Some(partner),
            account: Some(account),
            subject: Some(registration),
        }
    }
}

/// Writes one event, which happened `at`.
pub async fn record(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor: &Actor,
    action: &str,
    about: About,
    detail: &str,
) -> Result<(), DbErr> {
    audit_events::Entity::insert(event(at, actor, action, about, detail))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The row `record` writes, for a caller that writes it together with others.
pub fn event(
    at: DateTime<Utc>,
    actor: &Actor,
    action: &str,
    about: About,
    detail: &str,
) -> audit_events::ActiveModel {
    audit_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(at),
        actor_user_id: Set(actor.user_id),
        actor_label: Set(actor.label.clone()),
        action: Set(action.to_string()),
        partner_id: Set(about.partner),
        account_id: Set(about.account),
        subject_id: Set(about.subject),
        detail: Set(detail.to_string()),
    }
}
