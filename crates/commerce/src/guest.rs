//! Sign-up and sign-in that carry a guest cart (movie ids a browser kept before the person
//! had an account): the account change and the merge commit together.

use cinema_identity::{ClientInfo, Email, Identity, Password, TokenPair, entity::user};
use cinema_kernel::MovieId;
use cinema_kernel::db;
use sea_orm::DatabaseConnection;

use crate::{Commerce, Merged, Result};

/// A new (inactive) account and what its guest cart became: the movies wait in its cart.
#[derive(Debug)]
pub struct Registered {
    /// The new account.
    pub user: user::Model,
    /// What happened to each movie of the guest cart.
    pub cart: Merged,
}

/// A new session and what the guest cart became.
#[derive(Debug)]
pub struct SignedIn {
    /// The account signed in.
    pub user: user::Model,
    /// Its new token pair.
    pub tokens: TokenPair,
    /// What happened to each movie of the guest cart.
    pub cart: Merged,
}

impl Commerce {
    /// [`Identity::register`], with the guest cart merged into the new account's cart in the
    /// same transaction.
    pub async fn register_with_cart(
        &self,
        identity: &Identity,
        db: &DatabaseConnection,
        email: &Email,
        password: &Password,
        client: &ClientInfo,
        guest_cart: &[MovieId],
    ) -> Result<Registered> {
        let hash = identity
            .prepare_registration(db, email, password, client)
            .await?;
        let txn = db::begin_write(db).await?;
        let user = identity.register_in(&txn, email, &hash).await?;
        let cart = self
            .merge_guest_cart_in(&txn, user.user_id(), guest_cart)
            .await?;
        txn.commit().await?;
        Ok(Registered { user, cart })
    }

    /// [`Identity::login`], with the guest cart merged into the account's cart in the same
    /// transaction as the new session.
    pub async fn login_with_cart(
        &self,
        identity: &Identity,
        db: &DatabaseConnection,
        email: &str,
        password: &str,
        client: &ClientInfo,
        guest_cart: &[MovieId],
    ) -> Result<SignedIn> {
        let user = identity.verify_login(db, email, password, client).await?;
        let txn = db::begin_write(db).await?;
        let tokens = identity
            .open_session_in(&txn, user.user_id(), client)
            .await?;
        let cart = self
            .merge_guest_cart_in(&txn, user.user_id(), guest_cart)
            .await?;
        txn.commit().await?;
        Ok(SignedIn { user, tokens, cart })
    }
}
