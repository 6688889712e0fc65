//! Signed-in devices: opening one at sign-in, authenticating requests against it, listing and
//! revoking them.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use crate::{
    ClientInfo, Error, Identity, Result, Role, TokenPair, crypto,
    entity::{refresh_token, session, user},
    ms, now_ms,
};

/// The caller of an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub is_active: bool,
    pub created_at: i64,
    /// The session the access token belongs to.
    pub session_id: i64,
}

/// A signed-in device as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub id: i64,
    pub created_at: i64,
    pub last_used_at: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub current: bool,
}

fn truncated(value: Option<String>, max: usize) -> Option<String> {
    value.map(|v| v.chars().take(max).collect())
}

impl Identity {
    /// Opens a session with its first refresh token and issues an access token for it.
    pub(crate) async fn open_session<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: i64,
        client: &ClientInfo,
    ) -> Result<TokenPair> {
        let now = now_ms();
        let expires_at = now + ms(self.inner.config.refresh_ttl);
        let session_id = session::Entity::insert(session::ActiveModel {
            user_id: Set(user_id),
            user_agent: Set(truncated(client.user_agent.clone(), 300)),
            ip: Set(truncated(client.ip.clone(), 64)),
            created_at: Set(now),
            last_used_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            ..Default::default()
        })
        .exec(db)
        .await?
        .last_insert_id;
        let refresh_token = self.add_refresh_token(db, session_id, now).await?;
        Ok(TokenPair {
            access_token: self.inner.tokens.issue(user_id, session_id)?,
            refresh_token,
            expires_in: self.inner.tokens.ttl_secs(),
        })
    }

    /// Stores the hash of a new refresh token for the session and returns the token.
    pub(crate) async fn add_refresh_token<C: ConnectionTrait>(
        &self,
        db: &C,
        session_id: i64,
        now: i64,
    ) -> Result<String> {
        let (token, hash) = crypto::new_token()?;
        refresh_token::Entity::insert(refresh_token::ActiveModel {
            session_id: Set(session_id),
            token_hash: Set(hash),
            created_at: Set(now),
            expires_at: Set(now + ms(self.inner.config.refresh_ttl)),
            used_at: Set(None),
            ..Default::default()
        })
        .exec(db)
        .await?;
        Ok(token)
    }

    /// Resolves a Bearer access token to its user. The session must still be open, so
    /// sign-out, password changes and deactivation end access tokens at once.
    pub async fn authenticate<C: ConnectionTrait>(&self, db: &C, bearer: &str) -> Result<AuthUser> {
        let claims = self.inner.tokens.verify(bearer)?;
        let user_id = claims.user_id()?;
        let revoked = || Error::Unauthenticated("This session has ended; sign in again.".into());
        let session = session::Entity::find_by_id(claims.sid)
            .one(db)
            .await?
            .ok_or_else(revoked)?;
        if session.user_id != user_id
            || session.revoked_at.is_some()
            || session.expires_at <= now_ms()
        {
            return Err(revoked());
        }
        let user = user::Entity::find_by_id(user_id)
            .one(db)
            .await?
            .ok_or_else(revoked)?;
        if !user.is_active {
            return Err(Error::Forbidden("This account is not active.".into()));
        }
        Ok(AuthUser {
            id: user.id,
            role: Role::from_group_id(user.group_id).unwrap_or(Role::User),
            email: user.email,
            is_active: user.is_active,
            created_at: user.created_at,
            session_id: session.id,
        })
    }

    /// The user's open sessions, most recently used first.
    pub async fn sessions<C: ConnectionTrait>(
        &self,
        db: &C,
        user: &AuthUser,
    ) -> Result<Vec<SessionView>> {
        let rows = session::Entity::find()
            .filter(session::Column::UserId.eq(user.id))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(now_ms()))
            .order_by_desc(session::Column::LastUsedAt)
            .order_by_desc(session::Column::Id)
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|s| SessionView {
                current: s.id == user.session_id,
                id: s.id,
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                user_agent: s.user_agent,
                ip: s.ip,
            })
            .collect())
    }

    /// Revokes one of the user's own sessions; another user's session is "not found".
    pub async fn revoke_session<C: ConnectionTrait>(
        &self,
        db: &C,
        user: &AuthUser,
        id: i64,
    ) -> Result<()> {
        let res = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now_ms()))
            .filter(session::Column::Id.eq(id))
            .filter(session::Column::UserId.eq(user.id))
            .filter(session::Column::RevokedAt.is_null())
            .exec(db)
            .await?;
        if res.rows_affected == 0 {
            return Err(Error::SessionNotFound(id));
        }
        Ok(())
    }
}

/// Revokes every open session of a user, except `keep`.
pub(crate) async fn revoke_all<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    keep: Option<i64>,
) -> Result<u64> {
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now_ms()))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(session::Column::Id.ne(keep));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Revokes one session.
pub(crate) async fn revoke<C: ConnectionTrait>(db: &C, session_id: i64) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now_ms()))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
