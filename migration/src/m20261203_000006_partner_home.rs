//! What the partner's home page reads: a partner's links that expire soonest and its newest
//! activations, each from an index in that order. Both start with (partner_id, status), so
//! they replace `idx_reg_partner_status`.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(name: &str, last: &'static str) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table("registrations")
        .col("partner_id")
        .col("status")
        .col(last)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index("idx_reg_partner_status_expiry", "expires_at"))
            .await?;
        m.create_index(index("idx_reg_partner_status_activated", "activated_at"))
            .await?;
        m.drop_index(
            Index::drop()
                .name("idx_reg_partner_status")
                .table("registrations")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_reg_partner_status")
                .table("registrations")
                .col("partner_id")
                .col("status")
                .to_owned(),
        )
        .await?;
        for name in [
            "idx_reg_partner_status_expiry",
            "idx_reg_partner_status_activated",
        ] {
            m.drop_index(Index::drop().name(name).table("registrations").to_owned())
                .await?;
        }
        Ok(())
    }
}
