//! Price lists: the discount off list price staff give each partner, overall and
//! per product where it differs. The partner's cost is derived from them, never stored.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("partner_discounts")
                .col(uuid("partner_id"))
                // The product, or the nil UUID for the partner's overall discount (a key
                // column cannot be NULL).
                .col(uuid("product_id"))
                .col(integer("discount_bp"))
                .col(timestamp_with_time_zone("updated_at"))
                .primary_key(Index::create().col("partner_id").col("product_id"))
                .foreign_key(
                    ForeignKey::create()
                        .from("partner_discounts", "partner_id")
                        .to("partners", "id"),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("partner_discounts").to_owned())
            .await
    }
}
