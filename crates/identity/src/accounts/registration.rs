//! Registration and activation: an inactive account, its activation link by e-mail, the
//! link's use, and resending it (rate-limited, answering alike whether or not the account exists).

use super::{ClientInfo, find_by_email, insert_user};
use crate::{
    Email, Error, Identity, Password, PasswordHash, Result, Role, crypto, emails,
    entity::{
        account_token::{self, Purpose},
        user,
    },
    lifecycle::{self, AccountState, Actor},
    ms,
    throttle::MailRequest,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter,
};

impl Identity {
    pub(super) fn activation_email(&self, email: &str, token: &str) -> emails::Activation {
        emails::Activation {
            email: email.to_owned(),
            link: self.link("/activate", &[("token", token), ("email", email)]),
            valid_hours: u32::try_from(self.inner.config.activation_ttl.as_secs() / 3600)
                .unwrap_or(24),
        }
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
    pub(super) async fn issue_token(
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
}
