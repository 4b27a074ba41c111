//! Invoices: issued for paid orders (and, later, renewals and top-ups), numbered
//! without gaps per year inside their own transaction, with lines copied from the order, tax by
//! the customer's country, a payment link whose token is stored hashed, and payments that can
//! land once per invoice and once per (gateway, reference).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Staff's tax rates per country (none: 0 %).
        m.create_table(
            Table::create()
                .table("tax_rates")
                .col(string_len("country", 2).primary_key())
                .col(integer("rate_bp"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("invoices")
                .col(pk_uuid("id"))
                // INV-2026-000123: the year and its sequence, without gaps.
                .col(string_len("number", 32).unique_key())
                .col(integer("year"))
                .col(big_integer("seq"))
                .col(uuid("partner_id"))
                .col(uuid("registration_id"))
                .col(uuid("account_id"))
                // The order it bills (one invoice per order at most).
                .col(uuid_null("order_id").unique_key())
                // order | renewal | top_up | credit_note
                .col(string_len("kind", 16))
                .col(string_len("currency", 3))
                .col(big_integer("subtotal_minor"))
                .col(big_integer("tax_minor"))
                .col(big_integer("total_minor"))
                // open | paid | void | uncollectible
                .col(string_len("status", 16))
                .col(timestamp_with_time_zone("issued_at"))
                .col(date("due_on"))
                .col(timestamp_with_time_zone_null("paid_at"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .col(string_null("close_reason"))
                // SHA-256 of the payment link's token, and the link's version (replacing the
                // link bumps it: the token is derived from it, the old one finds nothing).
                .col(string_len("pay_token_hash", 64).unique_key())
                .col(integer("link_version"))
                // Who bills whom, as printed: the provider, the partner as seller of record,
                // the customer's name and country at the time.
                .col(string("seller"))
                .col(string("customer_name"))
                .col(string_len("customer_country", 2))
                .foreign_key(
                    ForeignKey::create()
                        .from("invoices", "registration_id")
                        .to("registrations", "id"),
                )
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            (
                "idx_invoices_registration",
                ["registration_id", "issued_at"],
            ),
            ("idx_invoices_partner", ["partner_id", "issued_at"]),
            ("idx_invoices_status_due", ["status", "due_on"]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table("invoices");
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx.to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table("invoice_lines")
                .col(pk_uuid("id"))
                .col(uuid("invoice_id"))
                .col(integer("position"))
                .col(string("description"))
                .col(uuid_null("product_id"))
                .col(integer("quantity"))
                .col(big_integer("unit_minor"))
                .col(big_integer("amount_minor"))
                .col(integer("tax_bp"))
                .col(big_integer("tax_minor"))
                .col(date_null("period_start"))
                .col(date_null("period_end"))
                .foreign_key(
                    ForeignKey::create()
                        .from("invoice_lines", "invoice_id")
                        .to("invoices", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_invoice_lines_invoice")
                .table("invoice_lines")
                .col("invoice_id")
                .col("position")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("payments")
                .col(pk_uuid("id"))
                .col(uuid("invoice_id"))
                // test | stripe | credit
                .col(string_len("gateway", 16))
                // The gateway's id for the attempt (a PaymentIntent id…).
                .col(string_len("reference", 128))
                .col(big_integer("amount_minor"))
                .col(string_len("currency", 3))
                // succeeded | declined | mismatch
                .col(string_len("outcome", 16))
                .col(string("payer"))
                .col(string_null("detail"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("payments", "invoice_id")
                        .to("invoices", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_payments_gateway_reference")
                .table("payments")
                .col("gateway")
                .col("reference")
                .unique()
                .to_owned(),
        )
        .await?;
        // At most one successful payment per invoice, whatever the gateway.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_payments_one_success ON payments (invoice_id) \
                 WHERE outcome = 'succeeded'",
            )
            .await?;
        // The job that issues invoices left behind reads the last week's orders.
        m.create_index(
            Index::create()
                .name("idx_orders_created")
                .table("orders")
                .col("created_at")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_orders_created")
                .table("orders")
                .to_owned(),
        )
        .await?;
        for t in ["payments", "invoice_lines", "invoices", "tax_rates"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
