//! Each way the identity service ends access forgets the remembered sessions itself, at once:
//! the cache here listens to nothing, so only the service's own forgetting can refuse a
//! remembered session (in a deployment the trigger's notification follows within
//! milliseconds; this is what makes the revoking process exact without waiting for it).

use std::{sync::Arc, time::Duration};

use cinema_kernel::{
    SessionId,
    db::{DatabaseConfig, connect},
    time::Clock,
};
use cinema_migration::{Migrator, MigratorTrait};
use cinema_notify::{JobOutbox, Templates};
use cinema_testkit::TestDatabase;
use sea_orm::DatabaseConnection;

use super::SessionCache;
use crate::{
    AuthUser, ClientInfo, Email, Error, Identity, IdentityConfig, Password, Role, TokenPair, users,
};

const PASSWORD: &str = "Secret#123";

struct Setup {
    _database: TestDatabase,
    db: DatabaseConnection,
    identity: Identity,
    cache: SessionCache,
}

async fn setup() -> Setup {
    let database = TestDatabase::create().await;
    let db = connect(&DatabaseConfig::new(database.url().parse().unwrap()))
        .await
        .unwrap();
    Migrator::up(&db, None).await.unwrap();
    let clock = Clock::system();
    let config = IdentityConfig {
        bcrypt_cost: 4,
        mail_answer_floor: Duration::ZERO,
        ..IdentityConfig::new(
            "a-secret-of-at-least-32-bytes-for-tests".to_owned().into(),
            "https://app.example.com".parse().unwrap(),
        )
    };
    let outbox = JobOutbox::new(Templates::new("Cinema").unwrap(), clock.clone());
    let cache = SessionCache::new(Duration::from_secs(3600));
    // As if listening, with nothing to hear.
    cache.restart(true);
    let identity = Identity::new(config, Arc::new(outbox), clock).with_session_cache(cache.clone());
    Setup {
        _database: database,
        db,
        identity,
        cache,
    }
}

impl Setup {
    async fn user(&self, email: &str, role: Role) {
        let email = Email::parse(email).unwrap();
        let password = Password::parse(PASSWORD, "password").unwrap();
        let clock = self.identity.clock();
        users::create(&self.db, clock, &email, &password, role, true, 4)
            .await
            .unwrap();
    }

    async fn sign_in(&self, email: &str) -> TokenPair {
        let client = ClientInfo::default();
        let (_, pair) = self
            .identity
            .login(&self.db, email, PASSWORD, &client)
            .await
            .unwrap();
        pair
    }

    /// Authenticates twice: the second answer must come from the cache.
    async fn remembered(&self, pair: &TokenPair) -> AuthUser {
        let user = self.auth(pair).await.unwrap();
        let now = self.identity.clock().now_ms();
        let cached = self.cache.get(user.session_id, user.id, now);
        assert_eq!(cached.as_ref(), Some(&user), "remembered after one lookup");
        assert_eq!(self.auth(pair).await.unwrap(), user);
        user
    }

    async fn auth(&self, pair: &TokenPair) -> crate::Result<AuthUser> {
        self.identity
            .authenticate(&self.db, &pair.access_token)
            .await
    }

    async fn refused(&self, pair: &TokenPair) {
        let res = self.auth(pair).await;
        assert!(matches!(res, Err(Error::Unauthenticated(_))), "{res:?}");
    }
}

#[tokio::test]
async fn sign_out_revocation_password_change_and_replay_refuse_at_once() {
    let s = setup().await;
    s.user("ann@example.com", Role::User).await;
    let (laptop, phone) = (
        s.sign_in("ann@example.com").await,
        s.sign_in("ann@example.com").await,
    );
    let ann = s.remembered(&laptop).await;
    s.remembered(&phone).await;

    s.identity
        .logout(&s.db, &ann, &laptop.refresh_token, false)
        .await
        .unwrap();
    s.refused(&laptop).await;
    let ann = s.remembered(&phone).await;

    let tablet = s.sign_in("ann@example.com").await;
    let on_tablet = s.remembered(&tablet).await;
    s.identity
        .revoke_session(&s.db, &ann, SessionId(on_tablet.session_id))
        .await
        .unwrap();
    s.refused(&tablet).await;

    let other = s.sign_in("ann@example.com").await;
    s.remembered(&other).await;
    let new_password = Password::parse("Better#456", "password").unwrap();
    s.identity
        .change_password(&s.db, &ann, PASSWORD, &new_password)
        .await
        .unwrap();
    s.refused(&other).await;
    s.remembered(&phone).await;

    s.identity
        .refresh(&s.db, &phone.refresh_token)
        .await
        .unwrap();
    let replayed = s.identity.refresh(&s.db, &phone.refresh_token).await;
    assert!(matches!(replayed, Err(Error::InvalidRefreshToken)));
    s.refused(&phone).await;
}

#[tokio::test]
async fn a_role_or_state_change_is_refused_once_the_change_is_announced() {
    let s = setup().await;
    s.user("boss@example.com", Role::Admin).await;
    let pair = s.sign_in("boss@example.com").await;
    let boss = s.remembered(&pair).await;
    let change = users::UserUpdate {
        role: Some(Role::User),
        is_active: None,
    };
    let actor = cinema_kernel::audit::Actor::default();
    users::update(&s.db, s.identity.clock(), &actor, boss.user_id(), &change)
        .await
        .unwrap();
    // Still remembered: a caller that changes accounts by itself says so.
    assert_eq!(s.auth(&pair).await.unwrap().role, Role::Admin);
    s.identity.sessions_changed(boss.user_id());
    assert_eq!(s.auth(&pair).await.unwrap().role, Role::User);
}
