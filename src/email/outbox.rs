//! The outbox: email is written here inside the caller's transaction, so a message exists if
//! and only if the action that implies it was committed.
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use super::EmailMessage;
use crate::{domain::mail::MailStatus, entities::outbox};

pub async fn enqueue(conn: &impl ConnectionTrait, msg: EmailMessage) -> Result<Uuid, DbErr> {
    let row = pending(msg);
    let id = row.id.clone().unwrap();
    outbox::Entity::insert(row)
        .exec_without_returning(conn)
        .await?;
    Ok(id)
}

/// The row `enqueue` writes, for a caller that writes it together with others.
pub fn pending(msg: EmailMessage) -> outbox::ActiveModel {
    let now = Utc::now();
    outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        to_addr: Set(msg.to),
        subject: Set(msg.subject),
        text_body: Set(msg.text),
        html_body: Set(msg.html),
        status: Set(MailStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
}
