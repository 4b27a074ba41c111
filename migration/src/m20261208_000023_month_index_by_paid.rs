//! The monthly rows' month index in the order the revenue page lists a month's customers: most
//! paid first, read from the index without grouping or sorting the partner's rows. Still
//! covering, so the 12-month sums read nothing else.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_revenue_months_period";

async fn index(m: &SchemaManager<'_>, columns: &[&'static str]) -> Result<(), DbErr> {
    m.drop_index(Index::drop().name(NAME).table("revenue_months").to_owned())
        .await?;
    let mut index = Index::create();
    index.name(NAME).table("revenue_months");
    for c in columns {
        index.col(*c);
    }
    m.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        index(
            m,
            &[
                "partner_id",
                "period",
                "currency",
                "paid_minor",
                "account_id",
                "invoiced_minor",
                "settled_minor",
                "commission_minor",
            ],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        index(
            m,
            &[
                "partner_id",
                "period",
                "currency",
                "account_id",
                "paid_minor",
                "invoiced_minor",
                "settled_minor",
                "commission_minor",
            ],
        )
        .await
    }
}
