//! The customer's own side: an invitation to join a customer account names the
//! account it is for, and the account's orders, licenses and invoices are read by account.
use sea_orm_migration::{prelude::*, schema::*};

/// The customer's pages list its own records, newest first.
const ACCOUNT_INDEXES: [(&str, &str, [&str; 2]); 3] = [
    ("idx_orders_account", "orders", ["account_id", "created_at"]),
    ("idx_licenses_account", "licenses", ["account_id", "status"]),
    (
        "idx_invoices_account",
        "invoices",
        ["account_id", "issued_at"],
    ),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("email_tokens")
                .add_column(uuid_null("account_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("email_tokens_account")
                .table("email_tokens")
                .col("account_id")
                .to_owned(),
        )
        .await?;
        for (name, table, cols) in ACCOUNT_INDEXES {
            let mut idx = Index::create();
            idx.name(name).table(table);
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in ACCOUNT_INDEXES {
            m.drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        m.drop_index(
            Index::drop()
                .name("email_tokens_account")
                .table("email_tokens")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("email_tokens")
                .drop_column(Alias::new("account_id"))
                .to_owned(),
        )
        .await
    }
}
