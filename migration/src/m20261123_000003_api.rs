//! The partner API: registered apps (client credentials, secret hashed), access tokens (hashed),
//! a log of calls, and idempotency keys.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("api_apps")
                .col(pk_uuid("id"))
                .col(uuid("partner_id"))
                .col(string("name"))
                .col(string_uniq("client_id"))
                .col(string_len("secret_hash", 64))
                .col(string("scopes"))
                .col(integer("default_commission_bp"))
                .col(boolean("active"))
                .col(string("created_by_label"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("secret_rotated_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("api_apps", "partner_id")
                        .to("partners", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_api_apps_partner")
                .table("api_apps")
                .col("partner_id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("api_tokens")
                .col(string_len("token_hash", 64).primary_key())
                .col(uuid("app_id"))
                .col(string("scopes"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_api_tokens_app")
                .table("api_tokens")
                .col("app_id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("api_calls")
                .col(pk_uuid("id"))
                .col(uuid("app_id"))
                .col(timestamp_with_time_zone("at"))
                .col(string_len("method", 8))
                .col(string("path"))
                .col(integer("status"))
                .col(integer("duration_ms"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_api_calls_app_at")
                .table("api_calls")
                .col("app_id")
                .col("at")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .col(uuid("app_id"))
                .col(string("key"))
                .col(string_len("request_hash", 64))
                .col(string_len("state", 16))
                .col(integer_null("response_status"))
                .col(text_null("response_body"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("app_id").col("key"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["idempotency_keys", "api_calls", "api_tokens", "api_apps"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
