//! Limits on promotional credit: per partner and currency, what its members may grant per
//! grant and per month (set by the partner's admins) and the provider's monthly ceiling on
//! the partner's total; and the grants above the ceiling, held for the provider's approval.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("partner_grant_limits")
                .col(uuid("partner_id"))
                .col(string_len("currency", 3))
                // NULL: not set (members may grant nothing; the ceiling is the default).
                .col(big_integer_null("member_per_grant_minor"))
                .col(big_integer_null("member_per_month_minor"))
                .col(big_integer_null("ceiling_minor"))
                .col(timestamp_with_time_zone("updated_at"))
                .primary_key(Index::create().col("partner_id").col("currency"))
                .foreign_key(
                    ForeignKey::create()
                        .from("partner_grant_limits", "partner_id")
                        .to("partners", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("credit_grant_requests")
                .col(pk_uuid("id"))
                .col(uuid("partner_id"))
                .col(uuid("registration_id"))
                .col(uuid("account_id"))
                .col(big_integer("amount_minor"))
                .col(string_len("currency", 3))
                .col(string("note"))
                .col(date_null("expires_on"))
                .col(uuid("requested_by"))
                .col(timestamp_with_time_zone("requested_at"))
                .col(string_len("status", 16))
                .col(uuid_null("decided_by"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(string_null("decision_note"))
                .foreign_key(
                    ForeignKey::create()
                        .from("credit_grant_requests", "partner_id")
                        .to("partners", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("credit_grant_requests", "registration_id")
                        .to("registrations", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("credit_grant_requests", "account_id")
                        .to("accounts", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("credit_grant_requests", "requested_by")
                        .to("users", "id"),
                )
                .to_owned(),
        )
        .await?;
        // The staff queue and the month's pending total read pending requests by status.
        m.create_index(
            Index::create()
                .name("idx_credit_grant_requests_status")
                .table("credit_grant_requests")
                .col("status")
                .col("partner_id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_credit_grant_requests_registration")
                .table("credit_grant_requests")
                .col("registration_id")
                .to_owned(),
        )
        .await?;
        // A grant sums the partner's grants of the month while it holds the partner's lock.
        m.create_index(
            Index::create()
                .name("idx_credit_ledger_partner_created")
                .table("credit_ledger")
                .col("partner_id")
                .col("created_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_credit_ledger_partner_created")
                .table("credit_ledger")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("credit_grant_requests").to_owned())
            .await?;
        m.drop_table(Table::drop().table("partner_grant_limits").to_owned())
            .await
    }
}
