//! The ledger of objects that may need deleting, and the sweep that deletes them.
//!
//! Storage and the database cannot share a transaction, so every object is written down before
//! it exists and crossed off only in the transaction that references it:
//! 1. `reserve` (committed on its own) then `put`;
//! 2. one transaction points the owner at the new key, crosses it off and lists the old key;
//! 3. after the commit the old object is deleted and crossed off.
//!
//! A crash anywhere leaves a row, and the sweep deletes what the rows name once they are due.
//! The sweep claims a row (due_at = 0) before deleting its object, and step 2 only crosses off
//! a row that is not claimed, so an upload slower than the grace period fails instead of ending
//! up referenced after its object was swept.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::OnConflict,
};

use crate::entity::pending_object::{self, Column, Entity};

/// Lists a fresh key, due for deletion after `grace_ms` unless a reference claims it first.
pub(crate) async fn reserve<C: ConnectionTrait>(
    db: &C,
    now: i64,
    key: &str,
    grace_ms: i64,
) -> Result<(), DbErr> {
    Entity::insert(pending_object::ActiveModel {
        key: Set(key.to_owned()),
        due_at: Set(now + grace_ms),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Crosses off a fresh key now referenced; `false` when the sweep got to it first.
pub(crate) async fn claim_for_reference<C: ConnectionTrait>(
    db: &C,
    key: &str,
) -> Result<bool, DbErr> {
    let deleted = Entity::delete_many()
        .filter(Column::Key.eq(key))
        .filter(Column::DueAt.gt(0))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected == 1)
}

/// Whether `key` is reserved for an upload still in its grace period (not yet due or claimed).
pub(crate) async fn awaits_upload<C: ConnectionTrait>(
    db: &C,
    now: i64,
    key: &str,
) -> Result<bool, DbErr> {
    Ok(Entity::find()
        .select_only()
        .column(Column::Key)
        .filter(Column::Key.eq(key))
        .filter(Column::DueAt.gt(now))
        .into_tuple::<String>()
        .one(db)
        .await?
        .is_some())
}

/// Lists a key whose reference was dropped, due at once.
pub(crate) async fn release<C: ConnectionTrait>(db: &C, now: i64, key: &str) -> Result<(), DbErr> {
    Entity::insert(pending_object::ActiveModel {
        key: Set(key.to_owned()),
        due_at: Set(now),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(Column::Key)
            .update_column(Column::DueAt)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Crosses off a key whose object is gone.
pub(crate) async fn forget<C: ConnectionTrait>(db: &C, key: &str) -> Result<(), DbErr> {
    Entity::delete_by_id(key.to_owned()).exec(db).await?;
    Ok(())
}

/// Up to `limit` keys due by `now`, oldest first.
pub(crate) async fn due<C: ConnectionTrait>(
    db: &C,
    now: i64,
    limit: u64,
) -> Result<Vec<String>, DbErr> {
    Entity::find()
        .select_only()
        .column(Column::Key)
        .filter(Column::DueAt.lte(now))
        .order_by_asc(Column::DueAt)
        .order_by_asc(Column::Key)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// Marks a due row as being swept, unless a reference crossed it off meanwhile.
pub(crate) async fn claim_for_sweep<C: ConnectionTrait>(
    db: &C,
    key: &str,
    now: i64,
) -> Result<bool, DbErr> {
    let claimed = Entity::update_many()
        .col_expr(Column::DueAt, sea_orm::sea_query::Expr::value(0_i64))
        .filter(Column::Key.eq(key))
        .filter(Column::DueAt.lte(now))
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}
