//! Accounts (the provider's customer organisations) with their services, discounts and credit
//! ledger; customer users; partner–customer registrations with the channel-conflict rule in a
//! partial unique index; audit events gain the account they concern; links can name their
//! subject; a small table of job run times for the background worker.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("accounts")
                .col(pk_uuid("id"))
                .col(string("company_name"))
                .col(string_uniq("primary_email"))
                .col(string_len("country", 2))
                .col(string("phone"))
                .col(string("data_center"))
                .col(string("tags"))
                .col(string_len("billing_mode", 16))
                .col(boolean("in_poc"))
                .col(boolean("active"))
                .col(string_len("source", 16))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_accounts_company")
                .table("accounts")
                .col("company_name")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("account_services")
                .col(pk_uuid("id"))
                .col(uuid("account_id"))
                .col(string("name"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("account_services", "account_id")
                        .to("accounts", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_account_services_account")
                .table("account_services")
                .col("account_id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("account_discounts")
                .col(pk_uuid("id"))
                .col(uuid("account_id"))
                .col(string("description"))
                .col(integer("percent_bp"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("account_discounts", "account_id")
                        .to("accounts", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_account_discounts_account")
                .table("account_discounts")
                .col("account_id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("credit_ledger")
                .col(pk_uuid("id"))
                .col(uuid("account_id"))
                .col(string_len("kind", 16))
                .col(big_integer("amount_minor"))
                .col(string_len("currency", 3))
                .col(string("note"))
                .col(uuid_null("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("credit_ledger", "account_id")
                        .to("accounts", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_credit_ledger_account")
                .table("credit_ledger")
                .col("account_id")
                .to_owned(),
        )
        .await?;

        m.alter_table(
            Table::alter()
                .table("users")
                .add_column(uuid_null("account_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_users_account")
                .table("users")
                .col("account_id")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .add_column(uuid_null("account_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_account_at")
                .table("audit_events")
                .col("account_id")
                .col("at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_subject_at")
                .table("audit_events")
                .col("subject_id")
                .col("at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_at")
                .table("audit_events")
                .col("at")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("email_tokens")
                .add_column(uuid_null("subject_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_email_tokens_subject")
                .table("email_tokens")
                .col("subject_id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("registrations")
                .col(pk_uuid("id"))
                .col(uuid("partner_id"))
                .col(uuid("account_id"))
                .col(string("friendly_name"))
                .col(string_len("partner_role", 64))
                .col(string_len("customer_type", 32))
                .col(integer("commission_bp"))
                .col(boolean("management_mode"))
                .col(string_len("status", 24))
                .col(boolean("new_account"))
                .col(string_len("created_via", 16))
                .col(string("created_by_label"))
                .col(string_null("reason"))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone_null("confirmed_at"))
                .col(timestamp_with_time_zone_null("activated_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("registrations", "partner_id")
                        .to("partners", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("registrations", "account_id")
                        .to("accounts", "id"),
                )
                .to_owned(),
        )
        .await?;
        // My Customers: a partner's registrations, newest first, optionally by status.
        m.create_index(
            Index::create()
                .name("idx_reg_partner_created")
                .table("registrations")
                .col("partner_id")
                .col("created_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_reg_partner_status")
                .table("registrations")
                .col("partner_id")
                .col("status")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_reg_status_updated")
                .table("registrations")
                .col("status")
                .col("updated_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_reg_account")
                .table("registrations")
                .col("account_id")
                .to_owned(),
        )
        .await?;
        // Channel conflict: one live registration per account, whoever asks, however fast.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_registrations_live_account ON registrations (account_id) \
                 WHERE status IN ('pending_customer', 'pending_approval', 'active')",
            )
            .await?;

        m.create_table(
            Table::create()
                .table("job_runs")
                .col(string_len("name", 64).primary_key())
                .col(timestamp_with_time_zone("last_run_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "job_runs",
            "registrations",
            "credit_ledger",
            "account_discounts",
            "account_services",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table("email_tokens")
                .drop_column("subject_id")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .drop_column("account_id")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("users")
                .drop_column("account_id")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("accounts").to_owned())
            .await?;
        Ok(())
    }
}
