//! An outgoing email's delivery status in the outbox.
use sea_orm::{DeriveActiveEnum, EnumIter};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum MailStatus {
    /// Waiting to be sent (again, after a temporary failure).
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Given up after the last retry.
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl MailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    /// The badge colour in lists.
    pub fn tone(self) -> &'static str {
        match self {
            Self::Pending => "warning",
            Self::Sent => "success",
            Self::Failed => "danger",
        }
    }
}
