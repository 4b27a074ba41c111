//! Billing beyond the first invoice: renewal invoices (a license remembers how far
//! it is billed), seat changes billed for a period, credit applied to invoices, credit notes,
//! a credit ledger with expiring grants, and customer payment reminders on staff's schedule.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        // The end of the last term invoiced: the renewal job bills the next term some days
        // before this date. Existing licenses are billed to their current term's end.
        m.alter_table(
            Table::alter()
                .table("licenses")
                .add_column(date("billed_until").default("1970-01-01"))
                .to_owned(),
        )
        .await?;
        db.execute_unprepared("UPDATE licenses SET billed_until = ends_on")
            .await?;
        m.create_index(
            Index::create()
                .name("idx_licenses_billing")
                .table("licenses")
                .col("status")
                .col("billed_until")
                .to_owned(),
        )
        .await?;
        // The end of the period an order bills (a renewal's term, a seat change's rest of term).
        m.alter_table(
            Table::alter()
                .table("orders")
                .add_column(date_null("ends_on"))
                .to_owned(),
        )
        .await?;
        // Credit applied to an invoice (what is left to pay is the total less this), and, on a
        // credit note, the invoice it corrects.
        m.alter_table(
            Table::alter()
                .table("invoices")
                .add_column(big_integer("credit_minor").default(0))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("invoices")
                .add_column(uuid_null("credit_of"))
                .to_owned(),
        )
        .await?;
        // The ledger's entries say who (a label as well as the user), for which partner's
        // customer, which invoice they paid or bought, when a grant expires, and which grant an
        // expiry entry expired (once: a unique index).
        for col in [
            ColumnDef::new("partner_id").uuid().null().to_owned(),
            ColumnDef::new("invoice_id").uuid().null().to_owned(),
            ColumnDef::new("expires_on").date().null().to_owned(),
            ColumnDef::new("lot_id").uuid().null().to_owned(),
            ColumnDef::new("actor_label")
                .string()
                .not_null()
                .default("")
                .to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table("credit_ledger")
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_credit_ledger_expiry ON credit_ledger (lot_id) \
             WHERE kind = 'expiry'",
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_credit_ledger_expiring")
                .table("credit_ledger")
                .col("expires_on")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_credit_ledger_created")
                .table("credit_ledger")
                .col("created_at")
                .to_owned(),
        )
        .await?;
        // Staff's schedule of customer reminders: days relative to the due date (-3: three days
        // before; 7: a week after).
        m.create_table(
            Table::create()
                .table("reminder_days")
                .col(integer("offset_days").primary_key())
                .to_owned(),
        )
        .await?;
        db.execute_unprepared("INSERT INTO reminder_days (offset_days) VALUES (-3), (1), (7)")
            .await?;
        // Which reminders an invoice was sent: one row each, so instances send it once.
        m.create_table(
            Table::create()
                .table("invoice_reminders")
                .col(uuid("invoice_id"))
                .col(integer("offset_days"))
                .col(timestamp_with_time_zone("sent_at"))
                .primary_key(Index::create().col("invoice_id").col("offset_days"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("invoice_reminders").to_owned())
            .await?;
        m.drop_table(Table::drop().table("reminder_days").to_owned())
            .await?;
        let db = m.get_connection();
        for idx in [
            "uq_credit_ledger_expiry",
            "idx_credit_ledger_expiring",
            "idx_credit_ledger_created",
            "idx_licenses_billing",
        ] {
            db.execute_unprepared(&format!("DROP INDEX {idx}")).await?;
        }
        for (table, col) in [
            ("credit_ledger", "partner_id"),
            ("credit_ledger", "invoice_id"),
            ("credit_ledger", "expires_on"),
            ("credit_ledger", "lot_id"),
            ("credit_ledger", "actor_label"),
            ("invoices", "credit_minor"),
            ("invoices", "credit_of"),
            ("orders", "ends_on"),
            ("licenses", "billed_until"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(table))
                    .drop_column(Alias::new(col))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
