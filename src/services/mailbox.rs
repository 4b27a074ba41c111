//! The development mailbox behind `/dev/mail`: the emails in the outbox, newest first. The web
//! face serves it only on a development server (see `Config::dev_mail`).
use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Core, Fault};
use crate::{domain::mail::MailStatus, entities::outbox};

/// One email as the mailbox shows it.
pub struct Mail {
    pub id: Uuid,
    pub to: String,
    pub subject: String,
    pub status: MailStatus,
    pub created_at: DateTime<Utc>,
    pub text_body: String,
    pub last_error: Option<String>,
}

impl From<outbox::Model> for Mail {
    fn from(m: outbox::Model) -> Self {
        Self {
            id: m.id,
            to: m.to_addr,
            subject: m.subject,
            status: m.status,
            created_at: m.created_at,
            text_body: m.text_body,
            last_error: m.last_error,
        }
    }
}

/// The 200 newest emails.
#[tracing::instrument(skip_all, level = "debug")]
pub async fn recent(core: &Core) -> Result<Vec<Mail>, Fault> {
    Ok(outbox::Entity::find()
        .order_by_desc(outbox::Column::CreatedAt)
        .limit(200)
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(Mail::from)
        .collect())
}

#[tracing::instrument(skip_all, level = "debug")]
pub async fn find(core: &Core, id: Uuid) -> Result<Option<Mail>, Fault> {
    Ok(outbox::Entity::find_by_id(id)
        .one(&core.db.read)
        .await?
        .map(Mail::from))
}
