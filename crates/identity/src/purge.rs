//! The hourly purge of expired one-time tokens, known-device tokens and ended sessions (with
//! their refresh tokens, by cascade).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::{
    Result,
    entity::{account_token, session},
};

/// How many rows each purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Activation and password-reset tokens.
    pub one_time_tokens: u64,
    /// Sessions expired or revoked long enough ago.
    pub sessions: u64,
    /// Known-device tokens past their lifetime.
    pub device_tokens: u64,
    /// Abuse-limit windows that have ended.
    pub limit_windows: u64,
}

/// Deletes what expired before now. Revoked sessions stay until they expire, so a replayed
/// refresh token of a revoked session is still recognised until then.
pub async fn expired<C: ConnectionTrait>(
    db: &C,
    clock: &cinema_kernel::time::Clock,
) -> Result<Purged> {
    let now = clock.now_ms();
    Ok(Purged {
        one_time_tokens: account_token::Entity::delete_many()
            .filter(account_token::Column::ExpiresAt.lte(now))
            .exec(db)
            .await?
            .rows_affected,
        sessions: session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now))
            .exec(db)
            .await?
            .rows_affected,
        device_tokens: crate::devices::purge_expired(db, now).await?,
        limit_windows: cinema_kernel::limits::purge(db, now).await?,
    })
}
