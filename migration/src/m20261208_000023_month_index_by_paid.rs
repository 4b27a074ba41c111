//! The monthly rows' month index in the order the revenue page lists a month's customers: most
//! paid first, read from the index without grouping or sorting the partner's rows. The account
//! index covers every figure, so a customer's 12-month sums read it alone (SQLite, which has no
//! statistics here, otherwise prefers the covering month index and walks every month of the
//! partner's for each customer).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const PERIOD: &str = "idx_revenue_months_period";
const ACCOUNT: &str = "idx_revenue_months_account";

async fn index(
    m: &SchemaManager<'_>,
    name: &'static str,
    columns: &[&'static str],
) -> Result<(), DbErr> {
    m.drop_index(Index::drop().name(name).table("revenue_months").to_owned())
        .await?;
    let mut index = Index::create();
    index.name(name).table("revenue_months");
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
            ACCOUNT,
            &[
                "partner_id",
                "account_id",
                "period",
                "currency",
                "paid_minor",
                "invoiced_minor",
                "settled_minor",
                "commission_minor",
            ],
        )
        .await?;
        index(
            m,
            PERIOD,
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
            ACCOUNT,
            &[
                "partner_id",
                "account_id",
                "period",
                "currency",
                "paid_minor",
            ],
        )
        .await?;
        index(
            m,
            PERIOD,
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
