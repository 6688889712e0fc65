//! Serialising one user's cart and order changes.
//!
//! Every change to a user's cart or orders first locks that user's row (PostgreSQL
//! `FOR NO KEY UPDATE`, which does not block foreign-key checks of other tables pointing at the
//! user). Two order creations from one cart, or an add racing an order, then run one after the
//! other, and the second sees what the first committed. SQLite needs no row lock: every write
//! transaction there is `BEGIN IMMEDIATE` and already runs alone.

use cinema_identity::entity::user;
use sea_orm::{DatabaseTransaction, EntityTrait, QuerySelect, sea_query::LockType};

use crate::{Error, Result};

pub(crate) async fn lock_user(txn: &DatabaseTransaction, user_id: i64) -> Result<()> {
    user::Entity::find_by_id(user_id)
        .select_only()
        .column(user::Column::Id)
        .lock(LockType::NoKeyUpdate)
        .into_tuple::<i64>()
        .one(txn)
        .await?
        .map(|_| ())
        .ok_or_else(|| Error::NotFound(format!("User {user_id}")))
}
