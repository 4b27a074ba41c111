//! The background jobs read registrations by status and a time at any size: the staff digest
//! by (status, confirmed_at) ("anything confirmed since the last digest?", the longest
//! waiting), the expiry job by (status, expires_at) (links that have lapsed).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str); 2] = [
    ("idx_reg_status_confirmed", "confirmed_at"),
    ("idx_reg_status_expires", "expires_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in INDEXES {
            m.create_index(
                Index::create()
                    .name(name)
                    .table("registrations")
                    .col("status")
                    .col(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table("registrations").to_owned())
                .await?;
        }
        Ok(())
    }
}
