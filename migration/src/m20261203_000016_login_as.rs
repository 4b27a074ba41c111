//! Login As: whether a partner's members (not only its admins) may sign in as its
//! customers' users, an admin's choice in the company's settings.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("partners")
                .add_column(boolean("members_login_as").default(false))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("partners")
                .drop_column(Alias::new("members_login_as"))
                .to_owned(),
        )
        .await
    }
}
