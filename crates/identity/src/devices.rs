//! Known devices (OWASP's "device cookies"): a successful sign-in hands the client an opaque
//! `device_token`, stored here only as its hash. A later sign-in that sends it back for the same
//! account is judged by that token's own failures instead of the account's slowdown, so an
//! attacker guessing from elsewhere cannot hold the owner out. The token is not a credential:
//! without the password it grants nothing. Wrong passwords sent with it count against it alone;
//! past `LOGIN_MAX_FAILURES` it exempts no more. It dies with the account's sessions on a
//! password change, a reset and a deactivation.

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};

use crate::{Identity, Result, crypto, entity::device_token, ms};

/// Longest token accepted; anything longer is not one of ours and is not hashed.
const MAX_TOKEN_LEN: usize = 128;

impl Identity {
    /// The device row `token` names for `user_id`, when it is unexpired and still exempts.
    pub(crate) async fn known_device<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: i64,
        token: Option<&str>,
    ) -> Result<Option<device_token::Model>> {
        let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_LEN) else {
            return Ok(None);
        };
        let max_failures =
            i32::try_from(self.inner.config.throttle.max_failures_per_account).unwrap_or(i32::MAX);
        Ok(device_token::Entity::find()
            .filter(device_token::Column::TokenHash.eq(crypto::hash_token(token)))
            .filter(device_token::Column::UserId.eq(user_id))
            .filter(device_token::Column::ExpiresAt.gt(self.now()))
            .filter(device_token::Column::Failures.lt(max_failures))
            .one(db)
            .await?)
    }

    /// Counts a wrong password sent with a known device's token, against that device alone.
    pub(crate) async fn device_failed<C: ConnectionTrait>(&self, db: &C, id: i64) -> Result<()> {
        device_token::Entity::update_many()
            .col_expr(
                device_token::Column::Failures,
                Expr::col(device_token::Column::Failures).add(1),
            )
            .filter(device_token::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// After a successful sign-in: the presented token when it is this account's and still
    /// valid (its failures start again), otherwise a new one.
    pub(crate) async fn remember_device<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: i64,
        presented: Option<&str>,
    ) -> Result<String> {
        let now = self.now();
        let expires_at = now + ms(self.inner.config.throttle.device_token_ttl);
        if let Some(token) = presented
            && let Some(known) = self.known_device(db, user_id, Some(token)).await?
        {
            device_token::Entity::update(device_token::ActiveModel {
                id: Set(known.id),
                failures: Set(0),
                last_used_at: Set(now),
                expires_at: Set(expires_at),
                ..Default::default()
            })
            .exec(db)
            .await?;
            return Ok(token.to_owned());
        }
        let (token, hash) = crypto::new_token()?;
        device_token::Entity::insert(device_token::ActiveModel {
            user_id: Set(user_id),
            token_hash: Set(hash),
            failures: Set(0),
            created_at: Set(now),
            last_used_at: Set(now),
            expires_at: Set(expires_at),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
        Ok(token)
    }
}

/// Forgets every device of a user (password changed or reset, account deactivated).
pub(crate) async fn forget_all<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<()> {
    device_token::Entity::delete_many()
        .filter(device_token::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes expired device tokens; returns how many.
pub(crate) async fn purge_expired<C: ConnectionTrait>(db: &C, now: i64) -> Result<u64> {
    Ok(device_token::Entity::delete_many()
        .filter(device_token::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
