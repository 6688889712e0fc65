//! Media: movie posters and the ledger of objects the orphan sweep may delete.
//! (Avatars already have their column on `user_profiles`.)

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MediaPendingObjects {
    Table,
    Key,
    DueAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Movies {
    Table,
    Poster,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MediaPendingObjects::Table)
                    .col(
                        ColumnDef::new(MediaPendingObjects::Key)
                            .string_len(200)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(MediaPendingObjects::DueAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MediaPendingObjects::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        // The sweep reads due rows in due order.
        manager
            .create_index(
                Index::create()
                    .name("ix_media_pending_objects_due_at")
                    .table(MediaPendingObjects::Table)
                    .col(MediaPendingObjects::DueAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Movies::Table)
                    .add_column(ColumnDef::new(Movies::Poster).string_len(200).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Movies::Table)
                    .drop_column(Movies::Poster)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(MediaPendingObjects::Table).to_owned())
            .await
    }
}
