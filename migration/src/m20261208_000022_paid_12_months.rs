//! Each registration's paid revenue over the last 12 months, stored so My Customers sorts by
//! it through an index and the revenue page lists its best customers without summing months.
//! The partner row says which currency and window the figures are for; NULL until the first
//! read (or the month-end job) computes them from the monthly rows.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        m.alter_table(
            Table::alter()
                .table("registrations")
                .add_column(big_integer("paid_12m_minor").default(0))
                .to_owned(),
        )
        .await?;
        for col in ["paid_12m_currency", "paid_12m_from"] {
            m.alter_table(
                Table::alter()
                    .table("partners")
                    .add_column(string_null(col))
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("idx_reg_partner_paid_12m")
                .table("registrations")
                .col("partner_id")
                .col("paid_12m_minor")
                .col("id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_reg_partner_paid_12m")
                .table("registrations")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("registrations")
                .drop_column("paid_12m_minor")
                .to_owned(),
        )
        .await?;
        for col in ["paid_12m_currency", "paid_12m_from"] {
            m.alter_table(Table::alter().table("partners").drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}
