//! Signed-in devices: opening one at sign-in, authenticating requests against it, listing and
//! revoking them.

use cinema_kernel::SessionId;
use cinema_kernel::{
    Fail, UserId,
    page::{Page, PageRequest},
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use crate::{
    AccessClaims, ClientInfo, Error, Identity, Result, Role, TokenPair, TokenService, crypto,
    entity::{refresh_token, session, user},
    ms,
};

/// The caller of an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// The user's id.
    pub id: i64,
    /// The user's e-mail.
    pub email: String,
    /// The user's role.
    pub role: Role,
    /// Whether the account is active.
    pub is_active: bool,
    /// When the account was created (epoch milliseconds).
    pub created_at: i64,
    /// The session the access token belongs to.
    pub session_id: i64,
}

impl AuthUser {
    /// The caller's id, typed.
    pub fn user_id(&self) -> UserId {
        UserId(self.id)
    }
}

/// A signed-in device as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The session's id.
    pub id: i64,
    /// When it began (epoch milliseconds).
    pub created_at: i64,
    /// When it was last used (epoch milliseconds).
    pub last_used_at: i64,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
    /// The client's address.
    pub ip: Option<String>,
    /// Whether it is the caller's own.
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
        let now = self.now();
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
            access_token: self
                .inner
                .tokens
                .issue(UserId(user_id), SessionId(session_id))?,
            refresh_token,
            expires_in: self.inner.tokens.ttl_secs(),
            device_token: None,
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

    /// Resolves a Bearer access token to its user: see [`TokenService::authenticate`]. With a
    /// [`SessionCache`](crate::session_cache::SessionCache) that listens, a session read in the
    /// last moment is not read again (see that module for how an ended session is still
    /// refused).
    pub async fn authenticate<C: ConnectionTrait>(&self, db: &C, bearer: &str) -> Result<AuthUser> {
        let tokens = &self.inner.tokens;
        let claims = tokens.verify(bearer)?;
        let user_id = claims.user_id()?;
        if let Some(user) = self.session_cache.get(claims.sid, user_id, self.now()) {
            return Ok(user);
        }
        let ticket = self.session_cache.ticket(user_id);
        let (user, session_expires_at) = tokens.session_user(db, &claims).await?;
        self.session_cache.put(ticket, &user, session_expires_at);
        Ok(user)
    }

    /// Says that `user_id`'s sessions or account are changing in a way that can end access:
    /// this process forgets what it remembers of them at once (other processes hear it from
    /// the database when the change commits). Call it as the change is made; a caller outside
    /// this crate that revokes or disables by itself calls it too.
    pub fn sessions_changed(&self, user_id: UserId) {
        self.session_cache.forget_user(user_id.get());
    }

    /// A page of the user's open sessions, most recently used first, and how many there are:
    /// two statements, whatever the page.
    pub async fn sessions<C: ConnectionTrait>(
        &self,
        db: &C,
        user: &AuthUser,
        page: PageRequest,
    ) -> Result<Page<SessionView>> {
        let open = session::Entity::find()
            .filter(session::Column::UserId.eq(user.id))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(self.now()));
        let total = open.clone().count(db).await?;
        let rows = open
            .order_by_desc(session::Column::LastUsedAt)
            .order_by_desc(session::Column::Id)
            .offset(page.skip())
            .limit(page.limit())
            .all(db)
            .await?;
        let items = rows
            .into_iter()
            .map(|s| SessionView {
                current: s.id == user.session_id,
                id: s.id,
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                user_agent: s.user_agent,
                ip: s.ip,
            })
            .collect();
        Ok(Page::new(items, total, page))
    }

    /// Revokes one of the user's own sessions; another user's session is "not found".
    pub async fn revoke_session<C: ConnectionTrait>(
        &self,
        db: &C,
        user: &AuthUser,
        id: SessionId,
    ) -> Result<()> {
        let id = id.get();
        let res = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(self.now()))
            .filter(session::Column::Id.eq(id))
            .filter(session::Column::UserId.eq(user.id))
            .filter(session::Column::RevokedAt.is_null())
            .exec(db)
            .await?;
        if res.rows_affected == 0 {
            return Err(Error::SessionNotFound(id));
        }
        self.sessions_changed(user.user_id());
        Ok(())
    }
}

/// Revokes every open session of a user, except `keep`.
pub(crate) async fn revoke_all<C: ConnectionTrait>(
    db: &C,
    now: i64,
    user_id: i64,
    keep: Option<i64>,
) -> Result<u64> {
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(session::Column::Id.ne(keep));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Revokes one session.
pub(crate) async fn revoke<C: ConnectionTrait>(db: &C, now: i64, session_id: i64) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

impl TokenService {
    /// Turns a Bearer access token into the user it was issued to — the one check every
    /// request needs, also for other Rust services that accept Cinema tokens. The token must be
    /// a valid, unexpired access token; its session must still be open (so sign-out, password
    /// changes and deactivation end access at once); the account must exist and be active.
    /// A bad token or an ended session is [`Error::Unauthenticated`]; an inactive account is
    /// [`Common::Forbidden`](cinema_kernel::Common::Forbidden).
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// use cinema_identity::{ClientInfo, Email, Error, Identity, Password, Role, TokenService, users};
    /// use cinema_kernel::time::Clock;
    /// # use cinema_kernel::mail::{Message, Outbox, OutboxError};
    /// # #[derive(Debug)] struct NoMail;
    /// # #[async_trait::async_trait] impl Outbox for NoMail {
    /// #     async fn enqueue(&self, _: &sea_orm::DatabaseTransaction, _: Message) -> Result<(), OutboxError> { Ok(()) }
    /// # }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let database = cinema_testkit::TestDatabase::create().await;
    /// # let db = database.connect().await;
    /// # let config = cinema_identity::IdentityConfig {
    /// #     jwt_secret: "the-same-JWT_SECRET-as-the-API-uses".to_owned().into(),
    /// #     access_ttl: Duration::from_secs(900), refresh_ttl: Duration::from_secs(86400),
    /// #     activation_ttl: Duration::from_secs(86400), reset_ttl: Duration::from_secs(3600),
    /// #     bcrypt_cost: 4, frontend_url: "http://localhost:3000".parse()?,
    /// #     throttle: Default::default(), limits: Default::default(),
    /// #     mail_answer_floor: Duration::ZERO,
    /// # };
    /// # let identity = Identity::new(config, Arc::new(NoMail), Clock::system());
    /// # let ann = users::create(&db, &Clock::system(), &Email::parse("ann@example.com")?,
    /// #     &Password::parse("Secret#123", "password")?, Role::User, true, 4).await?;
    /// # let (_, pair) = identity.login(&db, "ann@example.com", "Secret#123", &ClientInfo::default()).await?;
    /// # let bearer = pair.access_token;
    /// // Another service, holding the API's JWT_SECRET and its database:
    /// let tokens = TokenService::new(
    ///     &"the-same-JWT_SECRET-as-the-API-uses".to_owned().into(),
    ///     Duration::from_secs(900),
    ///     Clock::system(),
    /// );
    /// let user = tokens.authenticate(&db, &bearer).await?;
    /// assert_eq!((user.email.as_str(), user.role), ("ann@example.com", Role::User));
    ///
    /// // A signed-out session no longer authenticates, however valid the JWT still is.
    /// # identity.logout(&db, &user, &pair.refresh_token, false).await?;
    /// assert!(matches!(tokens.authenticate(&db, &bearer).await, Err(Error::Unauthenticated(_))));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn authenticate<C: ConnectionTrait>(&self, db: &C, bearer: &str) -> Result<AuthUser> {
        let claims = self.verify(bearer)?;
        Ok(self.session_user(db, &claims).await?.0)
    }

    /// The user of verified `claims`, read with their session (one round trip), and when that
    /// session expires: the database half of [`TokenService::authenticate`].
    pub(crate) async fn session_user<C: ConnectionTrait>(
        &self,
        db: &C,
        claims: &AccessClaims,
    ) -> Result<(AuthUser, i64)> {
        let user_id = claims.user_id()?;
        let revoked = || Error::Unauthenticated("This session has ended; sign in again.".into());
        let found = user::Entity::find()
            .select_only()
            .columns([
                user::Column::Id,
                user::Column::Email,
                user::Column::IsActive,
                user::Column::GroupId,
                user::Column::CreatedAt,
            ])
            .join_rev(
                JoinType::InnerJoin,
                session::Entity::belongs_to(user::Entity)
                    .from(session::Column::UserId)
                    .to(user::Column::Id)
                    .into(),
            )
            .column_as(session::Column::ExpiresAt, "session_expires_at")
            .filter(session::Column::Id.eq(claims.sid))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(self.clock().now_ms()))
            .into_model::<SessionUser>()
            .one(db)
            .await?;
        let user = found.filter(|u| u.id == user_id).ok_or_else(revoked)?;
        if !user.is_active {
            return Err(Error::forbidden("This account is not active."));
        }
        let found_expiry = user.session_expires_at;
        let user = AuthUser {
            id: user.id,
            role: Role::from_group_id(user.group_id).unwrap_or(Role::User),
            email: user.email,
            is_active: user.is_active,
            created_at: user.created_at,
            session_id: claims.sid,
        };
        Ok((user, found_expiry))
    }
}

/// What authentication reads of an account, with its session's expiry.
#[derive(Debug, FromQueryResult)]
struct SessionUser {
    id: i64,
    email: String,
    is_active: bool,
    group_id: i32,
    created_at: i64,
    session_expires_at: i64,
}
