//! Partners, users, sessions, email tokens, login throttling, the email outbox and audit events.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("partners")
                .col(pk_uuid("id"))
                .col(string("company_name"))
                .col(string("contact_name"))
                .col(string_len("country", 2))
                .col(string("phone"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        // Case-insensitive search and sort run on the lower-cased copy.
        m.create_index(
            Index::create()
                .name("idx_partners_company")
                .table("partners")
                .col("company_name")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("users")
                .col(pk_uuid("id"))
                .col(string_uniq("email"))
                .col(string("name"))
                .col(string("password_hash"))
                .col(string_len("kind", 16))
                .col(uuid_null("partner_id"))
                .col(string_len("role", 16))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_sign_in_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("users", "partner_id")
                        .to("partners", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_users_partner")
                .table("users")
                .col("partner_id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("email_tokens")
                .col(pk_uuid("id"))
                .col(string_uniq("token_hash"))
                .col(string_len("purpose", 32))
                .col(string("email"))
                .col(uuid_null("user_id"))
                .col(uuid_null("partner_id"))
                .col(string_len_null("role", 16))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("sessions")
                .col(string_len("key_hash", 64).primary_key())
                .col(uuid_null("user_id"))
                .col(text("state"))
                .col(timestamp_with_time_zone("expires_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sessions_user")
                .table("sessions")
                .col("user_id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("login_throttle")
                .col(string("key").primary_key())
                .col(integer("failures"))
                .col(timestamp_with_time_zone("window_start"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("outbox")
                .col(pk_uuid("id"))
                .col(string("to_addr"))
                .col(string("subject"))
                .col(text("text_body"))
                .col(text("html_body"))
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(uuid_null("locked_by"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_due")
                .table("outbox")
                .col("status")
                .col("next_attempt_at")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("audit_events")
                .col(pk_uuid("id"))
                .col(timestamp_with_time_zone("at"))
                .col(uuid_null("actor_user_id"))
                .col(string("actor_label"))
                .col(string_len("action", 64))
                .col(uuid_null("partner_id"))
                .col(uuid_null("subject_id"))
                .col(text("detail"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_partner_at")
                .table("audit_events")
                .col("partner_id")
                .col("at")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "audit_events",
            "outbox",
            "login_throttle",
            "sessions",
            "email_tokens",
            "users",
            "partners",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
