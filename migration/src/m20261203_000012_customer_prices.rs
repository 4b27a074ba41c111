//! Customer prices: the discount off list price a partner gives one customer,
//! overall (the nil product id) or per product; never below the partner's own cost.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("customer_discounts")
                .col(uuid("registration_id"))
                .col(uuid("product_id"))
                .col(integer("discount_bp"))
                .col(timestamp_with_time_zone("updated_at"))
                .primary_key(Index::create().col("registration_id").col("product_id"))
                .foreign_key(
                    ForeignKey::create()
                        .from("customer_discounts", "registration_id")
                        .to("registrations", "id"),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("customer_discounts").to_owned())
            .await
    }
}
