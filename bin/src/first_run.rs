//! What a first start says: an empty catalog and a missing admin are named with the command
//! that fixes each, and `cinema serve --demo` fills an empty database with the demo catalog and
//! demo accounts (never with `APP_ENV=production`).

use cinema_catalog::entity::movie;
use cinema_identity::{Role, entity::user};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};

/// Whether the catalog has no movie at all.
pub async fn catalog_is_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let any = movie::Entity::find()
        .select_only()
        .column(movie::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(any.is_none())
}

/// Whether an active admin account exists.
async fn has_admin(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let any = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::GroupId.eq(Role::Admin.group_id()))
        .filter(user::Column::IsActive.eq(true))
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(any.is_some())
}

/// The hints for this database: one line for an empty catalog, one for a missing admin.
pub async fn hints(db: &DatabaseConnection) -> Result<Vec<&'static str>, DbErr> {
    let mut hints = Vec::new();
    if catalog_is_empty(db).await? {
        hints.push(
            "the catalog is empty: `cinema seed` loads the demo catalog and demo accounts \
             (or start with `cinema serve --demo`, `cargo run -- --demo`)",
        );
    }
    if !has_admin(db).await? {
        hints.push(
            "there is no admin yet: `cinema user create --email you@example.com --role ADMIN \
             --active` creates one (the password comes from --password or CINEMA_USER_PASSWORD)",
        );
    }
    Ok(hints)
}

/// Logs the hints; a database that cannot be asked is not a reason to stop serving.
pub async fn log_hints(db: &DatabaseConnection) {
    match hints(db).await {
        Ok(hints) => {
            for hint in hints {
                tracing::info!("first run: {hint}");
            }
        }
        Err(e) => tracing::debug!(error = %e, "first-run hints skipped"),
    }
}
