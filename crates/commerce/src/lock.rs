//! Serialising one user's cart and order changes.
//!
//! Every change to a user's cart or orders first locks that user's row (PostgreSQL
//! `FOR NO KEY UPDATE`, which does not block foreign-key checks of other tables pointing at the
//! user). Two order creations from one cart, or an add racing an order, then run one after the
//! other, and the second sees what the first committed. SQLite needs no row lock: every write
//! transaction there is `BEGIN IMMEDIATE` and already runs alone.

use cinema_identity::users;
use cinema_kernel::Fail;
use cinema_kernel::UserId;
use sea_orm::DatabaseTransaction;

use crate::{Error, Result};

pub(crate) async fn lock_user(txn: &DatabaseTransaction, user_id: i64) -> Result<()> {
    if users::lock_in(txn, UserId(user_id)).await? {
        Ok(())
    } else {
        Err(Error::not_found(format!("User {user_id}")))
    }
}
