//! Accounts: roles (seeded here, not by a script), users, profiles, one-time tokens
//! (activation and password reset), sessions and their rotating refresh tokens. Times are epoch milliseconds (`BIGINT`), compared
//! exactly on both backends.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UserGroups {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    HashedPassword,
    IsActive,
    GroupId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserProfiles {
    Table,
    Id,
    UserId,
    FirstName,
    LastName,
    Gender,
    DateOfBirth,
    Info,
    Avatar,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    UserAgent,
    Ip,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn user_fk(from: impl IntoTableRef, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    col: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .create_index(Index::create().name(name).table(table).col(col).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserGroups::Table)
                    .col(
                        ColumnDef::new(UserGroups::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(UserGroups::Name)
                            .string_len(16)
                            .not_null()
                            .unique_key(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(UserGroups::Table)
                    .columns([UserGroups::Id, UserGroups::Name])
                    .values_panic([1.into(), "USER".into()])
                    .values_panic([2.into(), "MODERATOR".into()])
                    .values_panic([3.into(), "ADMIN".into()])
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(id(Users::Id))
                    // Stored lower-cased: the unique index makes e-mails unique
                    // case-insensitively, also under concurrent registrations.
                    .col(
                        ColumnDef::new(Users::Email)
                            .string_len(320)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Users::HashedPassword)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Users::IsActive)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(Users::GroupId).integer().not_null())
                    .col(ColumnDef::new(Users::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(Users::UpdatedAt).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::GroupId)
                            .to(UserGroups::Table, UserGroups::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_users_group_id", Users::Table, Users::GroupId).await?;
        index(manager, "ix_users_is_active", Users::Table, Users::IsActive).await?;

        manager
            .create_table(
                Table::create()
                    .table(UserProfiles::Table)
                    .col(id(UserProfiles::Id))
                    .col(
                        ColumnDef::new(UserProfiles::UserId)
                            .big_integer()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(UserProfiles::FirstName)
                            .string_len(100)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(UserProfiles::LastName)
                            .string_len(100)
                            .null(),
                    )
                    .col(ColumnDef::new(UserProfiles::Gender).string_len(8).null())
                    .col(ColumnDef::new(UserProfiles::DateOfBirth).date().null())
                    .col(ColumnDef::new(UserProfiles::Info).text().null())
                    .col(ColumnDef::new(UserProfiles::Avatar).string_len(300).null())
                    .col(
                        ColumnDef::new(UserProfiles::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UserProfiles::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(&mut user_fk(UserProfiles::Table, UserProfiles::UserId))
                    .to_owned(),
            )
            .await?;

        // One live token per user and purpose (`activation`, `password_reset`), looked up by
        // its hash; the token itself is never stored.
        manager
            .create_table(
                Table::create()
                    .table(AccountTokens::Table)
                    .col(id(AccountTokens::Id))
                    .col(
                        ColumnDef::new(AccountTokens::UserId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AccountTokens::Purpose)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AccountTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(AccountTokens::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AccountTokens::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(&mut user_fk(AccountTokens::Table, AccountTokens::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_account_tokens_user_purpose")
                    .table(AccountTokens::Table)
                    .col(AccountTokens::UserId)
                    .col(AccountTokens::Purpose)
                    .unique()
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_account_tokens_expires_at",
            AccountTokens::Table,
            AccountTokens::ExpiresAt,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(id(Sessions::Id))
                    .col(ColumnDef::new(Sessions::UserId).big_integer().not_null())
                    .col(ColumnDef::new(Sessions::UserAgent).string_len(300).null())
                    .col(ColumnDef::new(Sessions::Ip).string_len(64).null())
                    .col(ColumnDef::new(Sessions::CreatedAt).big_integer().not_null())
                    .col(
                        ColumnDef::new(Sessions::LastUsedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Sessions::ExpiresAt).big_integer().not_null())
                    .col(ColumnDef::new(Sessions::RevokedAt).big_integer().null())
                    .foreign_key(&mut user_fk(Sessions::Table, Sessions::UserId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_sessions_user_id",
            Sessions::Table,
            Sessions::UserId,
        )
        .await?;
        index(
            manager,
            "ix_sessions_expires_at",
            Sessions::Table,
            Sessions::ExpiresAt,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(id(RefreshTokens::Id))
                    .col(
                        ColumnDef::new(RefreshTokens::SessionId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RefreshTokens::UsedAt).big_integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::SessionId)
                            .to(Sessions::Table, Sessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_refresh_tokens_session_id",
            RefreshTokens::Table,
            RefreshTokens::SessionId,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            AccountTokens::Table.into_iden(),
            UserProfiles::Table.into_iden(),
            Users::Table.into_iden(),
            UserGroups::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
