//! The catalog: products, and a list price per product and currency.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("products")
                .col(pk_uuid("id"))
                .col(string_len_uniq("sku", 32))
                .col(string("name"))
                .col(text("description"))
                .col(string_len("unit", 32))
                .col(string_len("kind", 16))
                .col(integer("trial_days"))
                .col(integer("min_quantity"))
                .col(integer("max_quantity"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("product_prices")
                .col(uuid("product_id"))
                .col(string_len("currency", 3))
                .col(big_integer("list_minor"))
                .primary_key(Index::create().col("product_id").col("currency"))
                .foreign_key(
                    ForeignKey::create()
                        .from("product_prices", "product_id")
                        .to("products", "id"),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("product_prices").to_owned())
            .await?;
        m.drop_table(Table::drop().table("products").to_owned())
            .await
    }
}
