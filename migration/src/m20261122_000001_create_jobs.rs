//! The durable job queue of `cinema-notify`.
//!
//! Times are epoch milliseconds (`BIGINT`): they compare correctly on both backends without
//! depending on how a driver formats timestamps as text in SQLite.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    Status,
    Attempts,
    RunAt,
    LockedBy,
    LockedUntil,
    LastError,
    UniqueKey,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(
                        ColumnDef::new(Jobs::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Jobs::Kind).string_len(64).not_null())
                    .col(ColumnDef::new(Jobs::Payload).text().not_null())
                    // pending | running | done | dead
                    .col(ColumnDef::new(Jobs::Status).string_len(16).not_null())
                    .col(
                        ColumnDef::new(Jobs::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Jobs::RunAt).big_integer().not_null())
                    .col(ColumnDef::new(Jobs::LockedBy).string_len(64).null())
                    .col(ColumnDef::new(Jobs::LockedUntil).big_integer().null())
                    .col(ColumnDef::new(Jobs::LastError).text().null())
                    .col(ColumnDef::new(Jobs::UniqueKey).string_len(200).null())
                    .col(ColumnDef::new(Jobs::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(Jobs::UpdatedAt).big_integer().not_null())
                    .col(ColumnDef::new(Jobs::FinishedAt).big_integer().null())
                    .to_owned(),
            )
            .await?;
        // Claiming scans runnable jobs in due order.
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_status_run_at")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::RunAt)
                    .col(Jobs::Id)
                    .to_owned(),
            )
            .await?;
        // Expired leases are found by their deadline.
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_status_locked_until")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::LockedUntil)
                    .to_owned(),
            )
            .await?;
        // One job per key: scheduled jobs use it to run once per period.
        manager
            .create_index(
                Index::create()
                    .name("uq_jobs_unique_key")
                    .table(Jobs::Table)
                    .col(Jobs::UniqueKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Jobs::Table).to_owned())
            .await
    }
}
