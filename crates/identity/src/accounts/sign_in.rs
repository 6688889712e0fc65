//! Signing in and out: password checks (throttled per account, address and device, with a
//! dummy hash so unknown accounts take as long), sessions, refresh-token rotation, sign-out.

use super::{ClientInfo, TokenPair, find_by_email};
use crate::{
    AuthUser, Email, Error, Identity, Password, Result, crypto,
    entity::{refresh_token, session, user},
    lifecycle::AccountState,
    ms, sessions,
};
use cinema_kernel::{SessionId, UserId};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, sea_query::Expr,
};

impl Identity {
    /// Signs in: a new session with its refresh token, and an access token.
    pub async fn login(
        &self,
        db: &DatabaseConnection,
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<(user::Model, TokenPair)> {
        let user = self.verify_login(db, email, password, client).await?;
        let txn = cinema_kernel::db::begin_write(db).await?;
        let pair = self.open_session_in(&txn, user.user_id(), client).await?;
        txn.commit().await?;
        Ok((user, pair))
    }

    /// Opens a session for a user [`Identity::verify_login`] accepted, inside the caller's
    /// transaction (so a guest cart can join the same commit).
    pub async fn open_session_in(
        &self,
        txn: &DatabaseTransaction,
        user_id: UserId,
        client: &ClientInfo,
    ) -> Result<TokenPair> {
        let user_id = user_id.get();
        let mut pair = self.open_session(txn, user_id, client).await?;
        let device = self
            .remember_device(txn, user_id, client.device_token.as_deref())
            .await?;
        pair.device_token = Some(device);
        Ok(pair)
    }

    /// The checks of [`Identity::login`]: throttling, the password (off the executor), and an
    /// active account. Returns the user; opens no session.
    pub async fn verify_login(
        &self,
        db: &DatabaseConnection,
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<user::Model> {
        let account = email.trim().to_lowercase();
        let address = client.limit_key();
        let throttle = &self.inner.throttle;
        let user = match Email::parse(&account) {
            Ok(email) => find_by_email(db, &email).await?,
            Err(_) => None,
        };
        // A known device of this account is judged by its own failures alone (see `devices`).
        let device = match &user {
            Some(u) => {
                self.known_device(db, u.id, client.device_token.as_deref())
                    .await?
            }
            None => None,
        };
        if device.is_none() {
            throttle
                .check_login(db, self.now(), &account, address)
                .await?;
        }
        let stored = match &user {
            Some(u) => u.hashed_password.clone(),
            None => self.dummy_hash().await?,
        };
        let matches = crypto::verify_password(password, &stored).await?;
        let Some(user) = user.filter(|_| matches) else {
            match &device {
                Some(device) => self.device_failed(db, device.id).await?,
                None => {
                    throttle
                        .login_failed(db, self.now(), &account, address)
                        .await?
                }
            }
            return Err(Error::InvalidCredentials);
        };
        match AccountState::of(&user) {
            AccountState::Active => {}
            AccountState::Registered => return Err(Error::Inactive),
            AccountState::Disabled => return Err(Error::Disabled),
        }
        // The owner on a known device leaves the account's counters as they are: the
        // slowdown keeps holding back whoever is guessing elsewhere.
        if device.is_none() {
            throttle.login_succeeded(db, &account, address).await?;
        }
        Ok(user)
    }

    pub(super) async fn dummy_hash(&self) -> Result<String> {
        let cost = self.inner.config.bcrypt_cost;
        self.inner
            .dummy_hash
            .get_or_try_init(|| async move {
                let filler = Password::parse("Dummy#Password1", "password")?;
                crypto::hash_password(&filler, cost).await
            })
            .await
            .cloned()
    }

    /// Rotates a refresh token. Presenting one that was already rotated is reuse: the whole
    /// session is revoked, so a stolen token dies together with the legitimate one. It opens
    /// its own transactions on purpose: the revocation must commit even though the call fails.
    pub async fn refresh(&self, db: &DatabaseConnection, token: &str) -> Result<TokenPair> {
        let now = self.now();
        let row = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(crypto::hash_token(token)))
            .one(db)
            .await?
            .ok_or(Error::InvalidRefreshToken)?;
        if row.used_at.is_some() {
            tracing::warn!(
                session = row.session_id,
                "refresh token reused: session revoked"
            );
            sessions::revoke(db, now, row.session_id).await?;
            if let Some(session) = session::Entity::find_by_id(row.session_id).one(db).await? {
                self.sessions_changed(UserId(session.user_id));
            }
            return Err(Error::InvalidRefreshToken);
        }
        let session = session::Entity::find_by_id(row.session_id)
            .one(db)
            .await?
            .ok_or(Error::InvalidRefreshToken)?;
        if session.revoked_at.is_some() || session.expires_at <= now || row.expires_at <= now {
            return Err(Error::InvalidRefreshToken);
        }
        let user = user::Entity::find_by_id(session.user_id)
            .one(db)
            .await?
            .ok_or(Error::InvalidRefreshToken)?;
        if !user.is_active {
            return Err(Error::Inactive);
        }
        let txn = cinema_kernel::db::begin_write(db).await?;
        // Only one of two concurrent refreshes with the same token can mark it used.
        let marked = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
            .filter(refresh_token::Column::Id.eq(row.id))
            .filter(refresh_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if marked.rows_affected != 1 {
            txn.rollback().await?;
            sessions::revoke(db, now, row.session_id).await?;
            self.sessions_changed(UserId(session.user_id));
            return Err(Error::InvalidRefreshToken);
        }
        let refresh_token = self.add_refresh_token(&txn, session.id, now).await?;
        session::Entity::update_many()
            .col_expr(session::Column::LastUsedAt, Expr::value(now))
            .col_expr(
                session::Column::ExpiresAt,
                Expr::value(now + ms(self.inner.config.refresh_ttl)),
            )
            .filter(session::Column::Id.eq(session.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(TokenPair {
            access_token: self
                .inner
                .tokens
                .issue(user.user_id(), SessionId(session.id))?,
            refresh_token,
            expires_in: self.inner.tokens.ttl_secs(),
            device_token: None,
        })
    }

    /// Signs out the session of `refresh_token` (which must be the caller's), or every
    /// session of the caller.
    pub async fn logout<C: ConnectionTrait>(
        &self,
        db: &C,
        user: &AuthUser,
        refresh_token: &str,
        all_devices: bool,
    ) -> Result<()> {
        let row = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(crypto::hash_token(refresh_token)))
            .one(db)
            .await?;
        let owned = match row {
            Some(row) => session::Entity::find_by_id(row.session_id)
                .one(db)
                .await?
                .filter(|s| s.user_id == user.id),
            None => None,
        };
        let Some(session) = owned else {
            return Err(Error::BadRequest(
                "The refresh token does not belong to you.".into(),
            ));
        };
        if all_devices {
            sessions::revoke_all(db, self.now(), user.id, None).await?;
        } else {
            sessions::revoke(db, self.now(), session.id).await?;
        }
        self.sessions_changed(user.user_id());
        Ok(())
    }
}
