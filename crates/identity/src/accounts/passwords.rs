//! Passwords: changing one (the current one checked, throttled), and resetting a forgotten one
//! through an e-mailed one-time link; either ends the other sessions and tells the owner.

use super::{ClientInfo, find_by_email};
use crate::{
    AuthUser, Email, Error, Identity, Password, PasswordHash, Result, crypto, emails,
    entity::{
        account_token::{self, Purpose},
        user,
    },
    lifecycle::AccountState,
    rfc3339, sessions,
    throttle::MailRequest,
};
use cinema_kernel::Fail;
use cinema_kernel::UserId;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, sea_query::Expr,
};

impl Identity {
    pub(super) fn password_changed_email(&self, email: &str) -> emails::PasswordChanged {
        emails::PasswordChanged {
            email: email.to_owned(),
            changed_at: rfc3339(self.now()),
            reset_link: self.link("/password-reset", &[]),
        }
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
        self.sessions_changed(user.user_id());
        Ok(())
    }

    /// Sets a user's password inside the caller's transaction, revokes every session but
    /// `keep_session` and queues the "password changed" notice. Other processes forget the
    /// revoked sessions when the caller commits; call [`Identity::sessions_changed`] after the
    /// commit so this one does at once.
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

    pub(super) async fn reset_request(
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
        self.sessions_changed(user.user_id());
        Ok(())
    }
}

pub(super) async fn set_password<C: ConnectionTrait>(
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
