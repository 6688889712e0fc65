//! The account life cycle: register, activate, sign in, refresh, sign out, change and reset
//! the password.

use cinema_kernel::Fail;
use cinema_kernel::{SessionId, UserId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, sea_query::Expr,
};

use crate::{
    AuthUser, Email, Error, Identity, Password, PasswordHash, Result, Role, crypto, emails,
    entity::{
        account_token::{self, Purpose},
        refresh_token, session, user,
    },
    lifecycle::{self, AccountState, Actor},
    ms, rfc3339, sessions,
    throttle::MailRequest,
};

/// Who is signing in, for the sessions list and throttling.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub user_agent: Option<String>,
    /// The client's address, as shown in the sessions list.
    pub ip: Option<String>,
    /// What per-address limits count: the address, or for IPv6 its network (`2001:db8::/64`).
    /// `None` counts under `ip`.
    pub network: Option<String>,
    /// The known-device token this client got at an earlier sign-in (see `devices`).
    pub device_token: Option<String>,
}

impl ClientInfo {
    /// The key per-address limits count this client under.
    pub fn limit_key(&self) -> Option<&str> {
        self.network.as_deref().or(self.ip.as_deref())
    }
}

/// What a successful sign-in or refresh returns.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// At sign-in: this device's known-device token, to send with later sign-ins.
    pub device_token: Option<String>,
}

impl Identity {
    async fn mail<E: cinema_kernel::mail::Email>(
        &self,
        txn: &DatabaseTransaction,
        to: &str,
        email: &E,
    ) -> Result<()> {
        cinema_kernel::mail::send(&*self.inner.outbox, txn, to, email)
            .await
            .map_err(Error::Mail)
    }

    fn activation_email(&self, email: &str, token: &str) -> emails::Activation {
        emails::Activation {
            email: email.to_owned(),
            link: self.link("/activate", &[("token", token), ("email", email)]),
            valid_hours: u32::try_from(self.inner.config.activation_ttl.as_secs() / 3600)
                .unwrap_or(24),
        }
    }

    fn password_changed_email(&self, email: &str) -> emails::PasswordChanged {
        emails::PasswordChanged {
            email: email.to_owned(),
            changed_at: rfc3339(self.now()),
            reset_link: self.link("/password-reset", &[]),
        }
    }

    /// Hashes a password with the configured cost, off the async executor. Do it before
    /// opening a transaction: it takes a quarter of a second at the default cost.
    pub async fn hash_password(&self, password: &Password) -> Result<PasswordHash> {
        crypto::hash_password(password, self.inner.config.bcrypt_cost)
            .await
            .map(PasswordHash)
    }

    /// Creates an inactive user and e-mails an activation link. The e-mail is unique
    /// case-insensitively; a clash (also a concurrent one) is [`Error::EmailTaken`].
    pub async fn register(
        &self,
        db: &DatabaseConnection,
        email: &Email,
        password: &Password,
        client: &ClientInfo,
    ) -> Result<user::Model> {
        let hash = self
            .prepare_registration(db, email, password, client)
            .await?;
        let txn = cinema_kernel::db::begin_write(db).await?;
        let user = self.register_in(&txn, email, &hash).await?;
        txn.commit().await?;
        Ok(user)
    }

    /// What [`Identity::register`] does before its transaction: counts the request against
    /// the abuse limits and hashes the password (off the executor). Its result goes to
    /// [`Identity::register_in`].
    pub async fn prepare_registration(
        &self,
        db: &DatabaseConnection,
        email: &Email,
        password: &Password,
        client: &ClientInfo,
    ) -> Result<PasswordHash> {
        self.count_mail(db, MailRequest::Registration, email, client)
            .await?;
        self.hash_password(password).await
    }

    /// [`Identity::register`] inside the caller's transaction (with a password hashed by
    /// [`Identity::hash_password`]), so more can join the same commit — a guest cart, say.
    pub async fn register_in(
        &self,
        txn: &DatabaseTransaction,
        email: &Email,
        hash: &PasswordHash,
    ) -> Result<user::Model> {
        let user = insert_user(txn, self.now(), email, hash.0.clone(), Role::User, false).await?;
        let token = self.issue_token(txn, user.id, Purpose::Activation).await?;
        let message = self.activation_email(email.as_str(), &token);
        self.mail(txn, email.as_str(), &message).await?;
        Ok(user)
    }

    /// Replaces the user's token for `purpose` with a new one and returns it.
    async fn issue_token(
        &self,
        txn: &DatabaseTransaction,
        user_id: i64,
        purpose: Purpose,
    ) -> Result<String> {
        account_token::Entity::delete_many()
            .filter(account_token::Column::UserId.eq(user_id))
            .filter(account_token::Column::Purpose.eq(purpose.as_str()))
            .exec(txn)
            .await?;
        let ttl = match purpose {
            Purpose::Activation => self.inner.config.activation_ttl,
            Purpose::PasswordReset => self.inner.config.reset_ttl,
        };
        let (token, hash) = crypto::new_token()?;
        let now = self.now();
        account_token::Entity::insert(account_token::ActiveModel {
            user_id: Set(user_id),
            purpose: Set(purpose.as_str().to_owned()),
            token_hash: Set(hash),
            expires_at: Set(now + ms(ttl)),
            created_at: Set(now),
            ..Default::default()
        })
        .exec(txn)
        .await?;
        Ok(token)
    }

    /// Activates the account the token was issued for. The token works once.
    pub async fn activate(
        &self,
        db: &DatabaseConnection,
        token: &str,
        email: Option<&Email>,
    ) -> Result<()> {
        let txn = cinema_kernel::db::begin_write(db).await?;
        self.activate_in(&txn, token, email).await?;
        txn.commit().await?;
        Ok(())
    }

    /// [`Identity::activate`] inside the caller's transaction.
    pub async fn activate_in(
        &self,
        db: &DatabaseTransaction,
        token: &str,
        email: Option<&Email>,
    ) -> Result<()> {
        let row = account_token::Entity::find()
            .filter(account_token::Column::TokenHash.eq(crypto::hash_token(token)))
            .filter(account_token::Column::Purpose.eq(Purpose::Activation.as_str()))
            .one(db)
            .await?
            .ok_or(Error::InvalidActivationToken)?;
        let user = user::Entity::find_by_id(row.user_id)
            .one(db)
            .await?
            .ok_or(Error::InvalidActivationToken)?;
        if email.is_some_and(|e| e.as_str() != user.email) {
            return Err(Error::InvalidActivationToken);
        }
        match AccountState::of(&user) {
            AccountState::Registered => {}
            AccountState::Active => return Err(Error::AlreadyActive),
            // Only an admin brings a disabled account back.
            AccountState::Disabled => return Err(Error::InvalidActivationToken),
        }
        if row.expires_at <= self.now() {
            return Err(Error::InvalidActivationToken);
        }
        // Deleting by id makes the token single-use even under concurrent attempts.
        let deleted = account_token::Entity::delete_by_id(row.id).exec(db).await?;
        if deleted.rows_affected != 1 {
            return Err(Error::InvalidActivationToken);
        }
        lifecycle::transition(
            db,
            self.now(),
            user.id,
            AccountState::Active,
            Actor::LinkHolder,
        )
        .await?;
        let message = emails::AccountActivated {
            email: user.email.clone(),
            login_link: self.link("/login", &[]),
        };
        self.mail(db, &user.email, &message).await?;
        Ok(())
    }

    /// Replaces the activation token of an inactive account and e-mails it. Says nothing about
    /// whether the account exists: the caller answers the same either way.
    /// Counted per recipient and per client address; the answer takes at least
    /// `mail_answer_floor`, so its timing does not tell either.
    pub async fn resend_activation(
        &self,
        db: &DatabaseConnection,
        email: &Email,
        client: &ClientInfo,
    ) -> Result<()> {
        self.at_least_the_floor(async {
            self.count_mail(db, MailRequest::ActivationResend, email, client)
                .await?;
            let txn = cinema_kernel::db::begin_write(db).await?;
            self.resend_activation_in(&txn, email).await?;
            txn.commit().await?;
            Ok(())
        })
        .await
    }

    /// Counts a request that may mail `email` (see `throttle`); refuses it past a limit.
    async fn count_mail(
        &self,
        db: &DatabaseConnection,
        kind: MailRequest,
        email: &Email,
        client: &ClientInfo,
    ) -> Result<()> {
        self.inner
            .throttle
            .mail_request(db, self.now(), kind, email.as_str(), client.limit_key())
            .await
    }

    /// Runs `work`, answering no sooner than `mail_answer_floor` after it began: whether an
    /// account exists (and mail work was done) must not show in the timing.
    async fn at_least_the_floor<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        let floor = tokio::time::sleep(self.inner.config.mail_answer_floor);
        let result = work.await;
        floor.await;
        result
    }

    /// [`Identity::resend_activation`] inside the caller's transaction.
    pub async fn resend_activation_in(
        &self,
        txn: &DatabaseTransaction,
        email: &Email,
    ) -> Result<()> {
        let Some(user) = find_by_email(txn, email).await? else {
            return Ok(());
        };
        // Only an account that was never activated gets a link: not an active one, and not
        // one an admin disabled.
        if AccountState::of(&user) != AccountState::Registered {
            return Ok(());
        }
        let token = self.issue_token(txn, user.id, Purpose::Activation).await?;
        let message = self.activation_email(&user.email, &token);
        self.mail(txn, &user.email, &message).await?;
        Ok(())
    }

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

    async fn dummy_hash(&self) -> Result<String> {
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
        Ok(())
    }

    /// Changes the password, revokes every other session and e-mails a notice.
    pub async fn change_password(
        &self,
        db: &DatabaseConnection,
        user: &AuthUser,
        old_password: &str,
        new_password: &Password,
    ) -> Result<()> {
        let throttle = &self.inner.throttle;
        throttle
            .check_password_change(db, self.now(), user.id)
            .await?;
        let stored = user::Entity::find_by_id(user.id)
            .one(db)
            .await?
            .ok_or(Error::UserNotFound(user.id))?;
        if !crypto::verify_password(old_password, &stored.hashed_password).await? {
            throttle
                .password_change_failed(db, self.now(), user.id)
                .await?;
            return Err(Error::BadRequest("The old password is incorrect.".into()));
        }
        if old_password == new_password.expose() {
            return Err(Error::invalid(
                "new_password",
                "must differ from the old password",
            ));
        }
        let hash = self.hash_password(new_password).await?;
        let txn = cinema_kernel::db::begin_write(db).await?;
        self.set_password_in(&txn, user.user_id(), &hash, Some(user.session_id))
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Sets a user's password inside the caller's transaction, revokes every session but
    /// `keep_session` and queues the "password changed" notice.
    pub async fn set_password_in(
        &self,
        txn: &DatabaseTransaction,
        user_id: UserId,
        hash: &PasswordHash,
        keep_session: Option<i64>,
    ) -> Result<()> {
        let user_id = user_id.get();
        let now = self.now();
        let user = user::Entity::find_by_id(user_id)
            .one(txn)
            .await?
            .ok_or(Error::UserNotFound(user_id))?;
        set_password(txn, now, user_id, hash.0.clone()).await?;
        sessions::revoke_all(txn, now, user_id, keep_session).await?;
        crate::devices::forget_all(txn, user_id).await?;
        let message = self.password_changed_email(&user.email);
        self.mail(txn, &user.email, &message).await?;
        Ok(())
    }

    /// E-mails a reset link to an active account; a no-op otherwise. The caller answers the
    /// same either way.
    pub async fn request_password_reset(
        &self,
        db: &DatabaseConnection,
        email: &Email,
        client: &ClientInfo,
    ) -> Result<()> {
        self.at_least_the_floor(self.reset_request(db, email, client))
            .await
    }

    async fn reset_request(
        &self,
        db: &DatabaseConnection,
        email: &Email,
        client: &ClientInfo,
    ) -> Result<()> {
        self.count_mail(db, MailRequest::PasswordReset, email, client)
            .await?;
        let Some(user) = find_by_email(db, email)
            .await?
            .filter(|u| AccountState::of(u) == AccountState::Active)
        else {
            return Ok(());
        };
        let txn = cinema_kernel::db::begin_write(db).await?;
        let token = self
            .issue_token(&txn, user.id, Purpose::PasswordReset)
            .await?;
        let message = emails::PasswordReset {
            email: user.email.clone(),
            link: self.link(
                "/reset-password",
                &[("token", &token), ("email", &user.email)],
            ),
            valid_minutes: u32::try_from(self.inner.config.reset_ttl.as_secs() / 60).unwrap_or(60),
        };
        self.mail(&txn, &user.email, &message).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Sets a new password with a reset token. A wrong token changes nothing — in particular
    /// the real token stays valid. Success revokes every session and e-mails a notice.
    pub async fn complete_password_reset(
        &self,
        db: &DatabaseConnection,
        email: &Email,
        token: &str,
        password: &Password,
    ) -> Result<()> {
        let user = find_by_email(db, email)
            .await?
            .ok_or(Error::InvalidResetToken)?;
        let row = account_token::Entity::find()
            .filter(account_token::Column::UserId.eq(user.id))
            .filter(account_token::Column::Purpose.eq(Purpose::PasswordReset.as_str()))
            .one(db)
            .await?
            .ok_or(Error::InvalidResetToken)?;
        if !crypto::token_matches(token, &row.token_hash) || row.expires_at <= self.now() {
            return Err(Error::InvalidResetToken);
        }
        let hash = self.hash_password(password).await?;
        let txn = cinema_kernel::db::begin_write(db).await?;
        let deleted = account_token::Entity::delete_by_id(row.id)
            .exec(&txn)
            .await?;
        if deleted.rows_affected != 1 {
            return Err(Error::InvalidResetToken);
        }
        self.set_password_in(&txn, user.user_id(), &hash, None)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

pub(crate) async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &Email,
) -> Result<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

/// Inserts a user; the unique index turns a duplicate e-mail into [`Error::EmailTaken`].
pub(crate) async fn insert_user<C: ConnectionTrait>(
    db: &C,
    now: i64,
    email: &Email,
    hashed_password: String,
    role: Role,
    is_active: bool,
) -> Result<user::Model> {
    let inserted = user::Entity::insert(user::ActiveModel {
        email: Set(email.as_str().to_owned()),
        hashed_password: Set(hashed_password),
        is_active: Set(is_active),
        group_id: Set(role.group_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await;
    match inserted {
        Ok(user) => Ok(user),
        Err(e) if cinema_kernel::db::is_unique_violation(&e) => Err(Error::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

async fn set_password<C: ConnectionTrait>(
    db: &C,
    now: i64,
    user_id: i64,
    hash: String,
) -> Result<()> {
    user::Entity::update_many()
        .col_expr(user::Column::HashedPassword, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}
