//! The months' invoiced and outstanding figures recomputed from the invoices, with the rules
//! the portal now keeps: a void invoice was never invoiced, and what credit paid of an open
//! invoice is no longer outstanding (its net part, half to even). Rows written before kept
//! void invoices in "invoiced" and open invoices partly paid from credit at their whole net.
//! Paid and commission figures are left as they are.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let (period, nil) = match db.get_database_backend() {
            DbBackend::Postgres => (
                "to_char(issued_at AT TIME ZONE 'UTC', 'YYYY-MM')",
                "'00000000-0000-0000-0000-000000000000'::uuid",
            ),
            // Times are stored as RFC 3339 text in UTC; ids as 16-byte blobs.
            _ => ("substr(issued_at, 1, 7)", "zeroblob(16)"),
        };
        // Per invoice: its net if not void; what is settled of it: all of it once paid or
        // written off, the net part of the credit paid while open (half to even).
        let per_invoice = format!(
            "SELECT partner_id, account_id, {period} AS period, currency, \
               subtotal_minor AS invoiced, \
               CASE WHEN status IN ('paid', 'uncollectible') THEN subtotal_minor \
                    WHEN credit_minor <= 0 OR total_minor <= 0 THEN 0 \
                    ELSE (subtotal_minor * credit_minor) / total_minor \
                         + CASE WHEN 2 * ((subtotal_minor * credit_minor) % total_minor) > total_minor \
                                  OR (2 * ((subtotal_minor * credit_minor) % total_minor) = total_minor \
                                      AND ((subtotal_minor * credit_minor) / total_minor) % 2 = 1) \
                                THEN 1 ELSE 0 END \
               END AS settled \
             FROM invoices WHERE kind IN ('order', 'renewal') AND status <> 'void'"
        );
        db.execute_unprepared("UPDATE revenue_months SET invoiced_minor = 0, settled_minor = 0")
            .await?;
        for (account, group) in [
            ("account_id", "partner_id, account_id, period, currency"),
            (nil, "partner_id, period, currency"),
        ] {
            db.execute_unprepared(&format!(
                "INSERT INTO revenue_months (partner_id, account_id, period, currency, \
                   invoiced_minor, settled_minor, paid_minor, commission_minor) \
                 SELECT partner_id, {account}, period, currency, \
                   CAST(SUM(invoiced) AS BIGINT), CAST(SUM(settled) AS BIGINT), 0, 0 \
                 FROM ({per_invoice}) AS i WHERE true \
                 GROUP BY {group} \
                 ON CONFLICT (partner_id, account_id, period, currency) DO UPDATE SET \
                   invoiced_minor = excluded.invoiced_minor, \
                   settled_minor = excluded.settled_minor"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // Figures only: the earlier rules are not restored.
        Ok(())
    }
}
