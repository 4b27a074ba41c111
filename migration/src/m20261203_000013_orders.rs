//! Orders, licenses and trials. An order records what a partner bought for a
//! customer with the prices of that moment; a subscription's order makes a license; a trial is
//! a license with `trial` set. My Customers reads each registration's Usage and Coming Expiry
//! Date from columns kept in step with its licenses, so sorting by them is an index scan.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// "No expiry": sorts after every real date on both databases (a NULL sorts first on SQLite
/// and last on PostgreSQL, and an index cannot serve `NULLS LAST` on SQLite).
pub const NO_EXPIRY: &str = "9999-12-31";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Named counters taken inside the transaction that uses the number.
        m.create_table(
            Table::create()
                .table("counters")
                .col(string_len("name", 64).primary_key())
                .col(big_integer("value"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("INSERT INTO counters (name, value) VALUES ('orders', 0)")
            .await?;

        m.create_table(
            Table::create()
                .table("licenses")
                .col(pk_uuid("id"))
                .col(uuid("partner_id"))
                .col(uuid("registration_id"))
                .col(uuid("account_id"))
                .col(uuid("product_id"))
                .col(boolean("trial"))
                .col(integer("seats"))
                .col(integer("seats_assigned"))
                .col(string_len("currency", 3).null())
                // monthly | yearly | trial
                .col(string_len("term", 16))
                .col(date("starts_on"))
                .col(date("ends_on"))
                .col(boolean("auto_renew"))
                // active | cancelled | expired | converted
                .col(string_len("status", 16))
                // Trial reminders sent: 0 none, 7 the week's, 1 the last day's.
                .col(integer("reminded"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("licenses", "registration_id")
                        .to("registrations", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("licenses", "product_id")
                        .to("products", "id"),
                )
                .to_owned(),
        )
        .await?;
        // A registration's active licenses, and the earliest end among them (Coming Expiry
        // Date) from the index alone. Without `ends_on` here SQLite answered that MIN from the
        // (status, ends_on) index instead, walking every active license: 26 ms a registration
        // at 400,000 licenses against 35 µs.
        m.create_index(
            Index::create()
                .name("idx_licenses_registration")
                .table("licenses")
                .col("registration_id")
                .col("status")
                .col("ends_on")
                .to_owned(),
        )
        .await?;
        // The jobs: what ends (or needs a reminder) by a date.
        m.create_index(
            Index::create()
                .name("idx_licenses_status_ends")
                .table("licenses")
                .col("status")
                .col("ends_on")
                .to_owned(),
        )
        .await?;
        // One trial per product per account, ever, however fast two requests come.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_licenses_one_trial ON licenses (account_id, product_id) \
                 WHERE trial",
            )
            .await?;

        m.create_table(
            Table::create()
                .table("license_seats")
                .col(uuid("license_id"))
                .col(uuid("user_id"))
                .col(timestamp_with_time_zone("assigned_at"))
                .col(string("assigned_by"))
                .primary_key(Index::create().col("license_id").col("user_id"))
                .foreign_key(
                    ForeignKey::create()
                        .from("license_seats", "license_id")
                        .to("licenses", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("license_seats", "user_id")
                        .to("users", "id"),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("orders")
                .col(pk_uuid("id"))
                .col(big_integer("number").unique_key())
                .col(uuid("partner_id"))
                .col(uuid("registration_id"))
                .col(uuid("account_id"))
                // new | seats | conversion
                .col(string_len("kind", 16))
                .col(uuid("product_id"))
                .col(uuid_null("license_id"))
                // Units ordered; for a seat change, the license's seats after it.
                .col(integer("quantity"))
                .col(integer_null("previous_quantity"))
                // monthly | yearly | one_off
                .col(string_len("term", 16))
                .col(date("starts_on"))
                .col(string_len("currency", 3))
                // Unit prices at the moment of the order: list, the partner's cost, the
                // customer's price; and what the order charges (the units billed × price).
                .col(big_integer("list_minor"))
                .col(big_integer("cost_minor"))
                .col(big_integer("price_minor"))
                .col(integer("billed_quantity"))
                .col(big_integer("total_minor"))
                .col(big_integer("cost_total_minor"))
                // placed | cancelled
                .col(string_len("status", 16))
                .col(uuid_null("placed_by"))
                .col(string("placed_by_label"))
                // web | api
                .col(string_len("via", 8))
                .col(string_len_null("idem_key", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("cancelled_at"))
                .col(string_null("cancel_reason"))
                .foreign_key(
                    ForeignKey::create()
                        .from("orders", "registration_id")
                        .to("registrations", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("orders", "product_id")
                        .to("products", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_orders_registration")
                .table("orders")
                .col("registration_id")
                .col("created_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_orders_license")
                .table("orders")
                .col("license_id")
                .to_owned(),
        )
        .await?;
        // A double click sends the same form key twice: one order.
        m.create_index(
            Index::create()
                .name("uq_orders_partner_key")
                .table("orders")
                .col("partner_id")
                .col("idem_key")
                .unique()
                .to_owned(),
        )
        .await?;
        // The product's kind is fixed once orders name it.
        m.create_index(
            Index::create()
                .name("idx_orders_product")
                .table("orders")
                .col("product_id")
                .to_owned(),
        )
        .await?;

        // My Customers' Usage and Coming Expiry Date, kept in step with the licenses.
        // One column per statement: SQLite alters one thing at a time.
        for col in [
            integer("seats_licensed").default(0).to_owned(),
            integer("seats_assigned").default(0).to_owned(),
            // Assigned / licensed in basis points; -1 with no seats (sorts first).
            integer("usage_bp").default(-1).to_owned(),
            date("next_expiry").default(NO_EXPIRY).to_owned(),
        ] {
            let mut col = col;
            m.alter_table(
                Table::alter()
                    .table("registrations")
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
        }
        for (name, col) in [
            ("idx_reg_partner_usage", "usage_bp"),
            ("idx_reg_partner_expiry", "next_expiry"),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table("registrations")
                    .col("partner_id")
                    .col(col)
                    .col("id")
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_reg_partner_usage", "idx_reg_partner_expiry"] {
            m.drop_index(Index::drop().name(name).table("registrations").to_owned())
                .await?;
        }
        for col in [
            "seats_licensed",
            "seats_assigned",
            "usage_bp",
            "next_expiry",
        ] {
            m.alter_table(
                Table::alter()
                    .table("registrations")
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        for t in ["orders", "license_seats", "licenses", "counters"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
