//! Two-factor sign-in (a TOTP secret per user, the last time step it accepted, hashed
//! single-use recovery codes), the partner's choice to require it of all its users, the
//! partner's payout details, the signed-in sessions a user can see (browser, address, when),
//! and the browsers a user has signed in from (a sign-in from a new one is emailed).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns added one statement each (SQLite adds one column per ALTER TABLE).
fn added() -> Vec<(&'static str, ColumnDef)> {
    vec![
        ("users", string_null("totp_secret")),
        ("users", timestamp_with_time_zone_null("totp_enabled_at")),
        ("users", big_integer_null("totp_last_step")),
        (
            "partners",
            boolean("require_two_factor").default(false).to_owned(),
        ),
        ("partners", string_null("payout_holder")),
        ("partners", string_null("payout_iban")),
        ("partners", string_null("payout_bic")),
        (
            "partners",
            timestamp_with_time_zone_null("payout_updated_at"),
        ),
        ("sessions", uuid_null("id")),
        ("sessions", timestamp_with_time_zone_null("created_at")),
        ("sessions", timestamp_with_time_zone_null("last_seen_at")),
        ("sessions", string_null("user_agent")),
        ("sessions", string_null("ip")),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, mut col) in added() {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(table))
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table("recovery_codes")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string("code_hash"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("recovery_codes", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_recovery_codes_user")
                .table("recovery_codes")
                .col("user_id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("known_browsers")
                .col(uuid("user_id"))
                .col(string("browser_hash"))
                .col(string("user_agent"))
                .col(timestamp_with_time_zone("first_seen_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .primary_key(Index::create().col("user_id").col("browser_hash"))
                .foreign_key(
                    ForeignKey::create()
                        .from("known_browsers", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("known_browsers").to_owned())
            .await?;
        m.drop_table(Table::drop().table("recovery_codes").to_owned())
            .await?;
        for (table, col) in added().into_iter().rev() {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(table))
                    .drop_column(Alias::new(col.get_column_name()))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
