//! Commission and revenue: what each paid invoice line earns its partner (and what
//! credit notes reverse and promotional credit charges), monthly statements per partner and
//! currency, and monthly revenue totals per partner and customer kept in step by the same
//! transactions, so the revenue page reads a handful of rows.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("commission_entries")
                .col(pk_uuid("id"))
                .col(uuid("partner_id"))
                .col(uuid("account_id"))
                .col(uuid_null("registration_id"))
                .col(uuid_null("invoice_id"))
                // The record that earns or reverses (an invoice line, a credit note's line) or is
                // charged (a credit grant): at most one entry of a kind each.
                .col(uuid("source_id"))
                .col(uuid_null("product_id"))
                .col(string_len("kind", 16))
                .col(integer("rate_bp"))
                .col(big_integer("base_minor"))
                // Always positive: the kind says which way it counts.
                .col(big_integer("amount_minor"))
                .col(string_len("currency", 3))
                // The statement month it counts in, "2026-12".
                .col(string_len("period", 7))
                .col(string("description"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_commission_entries_source")
                .table("commission_entries")
                .col("source_id")
                .col("kind")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_commission_entries_partner")
                .table("commission_entries")
                .col("partner_id")
                .col("period")
                .col("currency")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("commission_statements")
                .col(pk_uuid("id"))
                .col(uuid("partner_id"))
                .col(string_len("period", 7))
                .col(string_len("currency", 3))
                .col(big_integer("opening_minor").default(0))
                .col(big_integer("earned_minor").default(0))
                .col(big_integer("reversed_minor").default(0))
                .col(big_integer("charged_minor").default(0))
                // Set when it closes; while open the page computes it.
                .col(big_integer("closing_minor").default(0))
                .col(string_len("status", 16))
                .col(string_null("payout_reference"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .col(timestamp_with_time_zone_null("approved_at"))
                .col(string_null("approved_by"))
                .col(timestamp_with_time_zone_null("paid_at"))
                .col(string_null("paid_by"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_commission_statements_month")
                .table("commission_statements")
                .col("partner_id")
                .col("period")
                .col("currency")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_commission_statements_status")
                .table("commission_statements")
                .col("status")
                .col("period")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_commission_statements_period")
                .table("commission_statements")
                .col("period")
                .col("partner_id")
                .to_owned(),
        )
        .await?;
        // One row per partner, customer account, month and currency; the account
        // 00000000-0000-0000-0000-000000000000 holds the partner's totals.
        m.create_table(
            Table::create()
                .table("revenue_months")
                .col(uuid("partner_id"))
                .col(uuid("account_id"))
                .col(string_len("period", 7))
                .col(string_len("currency", 3))
                // Net (before tax) of the invoices issued in the month, and of those of them
                // settled since (paid, void or written off): the rest is outstanding.
                .col(big_integer("invoiced_minor").default(0))
                .col(big_integer("settled_minor").default(0))
                // Net paid in the month (less credit notes), and the commission it earned.
                .col(big_integer("paid_minor").default(0))
                .col(big_integer("commission_minor").default(0))
                .primary_key(
                    Index::create()
                        .col("partner_id")
                        .col("account_id")
                        .col("period")
                        .col("currency"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_revenue_months_period")
                .table("revenue_months")
                .col("partner_id")
                .col("period")
                // Covering: a month's customers are summed from the index alone.
                .col("currency")
                .col("account_id")
                .col("paid_minor")
                .col("invoiced_minor")
                .col("settled_minor")
                .col("commission_minor")
                .to_owned(),
        )
        .await?;
        // My Customers sorted by revenue: one covering probe per customer (without it SQLite
        // answered each probe from the month index above, scanning the partner's rows).
        m.create_index(
            Index::create()
                .name("idx_revenue_months_account")
                .table("revenue_months")
                .col("partner_id")
                .col("account_id")
                .col("period")
                .col("currency")
                .col("paid_minor")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "revenue_months",
            "commission_statements",
            "commission_entries",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
