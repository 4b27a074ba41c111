//! Audit events: who did what to which record, written in the same transaction as the change.
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use crate::entities::{audit_events, users};

/// Who acted: a signed-in user, or the system / an anonymous visitor.
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub label: String,
}

impl Actor {
    pub fn user(u: &users::Model) -> Self {
        Self {
            user_id: Some(u.id),
            label: format!("{} <{}>", u.name, u.email),
        }
    }

    pub fn system(label: &str) -> Self {
        Self {
            user_id: None,
            label: label.to_string(),
        }
    }
}

pub async fn record(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    partner_id: Option<Uuid>,
    subject_id: Option<Uuid>,
    detail: &str,
) -> Result<(), DbErr> {
    record_full(conn, actor, action, partner_id, None, subject_id, detail).await
}

/// An event that also names the customer account it concerns.
pub async fn record_full(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    partner_id: Option<Uuid>,
    account_id: Option<Uuid>,
    subject_id: Option<Uuid>,
    detail: &str,
) -> Result<(), DbErr> {
    audit_events::Entity::insert(event(
        actor, action, partner_id, account_id, subject_id, detail,
    ))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The row `record_full` writes, for a caller that writes it together with others.
pub fn event(
    actor: &Actor,
    action: &str,
    partner_id: Option<Uuid>,
    account_id: Option<Uuid>,
    subject_id: Option<Uuid>,
    detail: &str,
) -> audit_events::ActiveModel {
    audit_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(Utc::now()),
        actor_user_id: Set(actor.user_id),
        actor_label: Set(actor.label.clone()),
        action: Set(action.to_string()),
        partner_id: Set(partner_id),
        account_id: Set(account_id),
        subject_id: Set(subject_id),
        detail: Set(detail.to_string()),
    }
}
