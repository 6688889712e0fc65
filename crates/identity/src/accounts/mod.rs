//! The account life cycle: register, activate, sign in, refresh, sign out, change and reset
//! the password.
//!
//! - `registration`: sign-up and activation;
//! - `sign_in`: sign-in, sessions, refresh, sign-out;
//! - `passwords`: change and reset.
//!
//! This file holds what they share: the client and token types, the outbox call, password
//! hashing, and the user-row helpers.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter,
};

use crate::{
    Email, Error, Identity, Password, PasswordHash, Result, Role, crypto, entity::user,
    throttle::MailRequest,
};

mod passwords;
mod registration;
mod sign_in;

/// Who is signing in, for the sessions list and throttling.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// The client's `User-Agent`, as shown in the sessions list.
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
    /// A short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Exchanges for a new pair once (rotated on use).
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

    /// Hashes a password with the configured cost, off the async executor. Do it before
    /// opening a transaction: it takes a quarter of a second at the default cost.
    pub async fn hash_password(&self, password: &Password) -> Result<PasswordHash> {
        crypto::hash_password(password, self.inner.config.bcrypt_cost)
            .await
            .map(PasswordHash)
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
