//! Identity used as another Rust service would: no HTTP, only the crates, with notify's real
//! outbox. Registration composes with the caller's transaction, activation works from the
//! queued e-mail, tokens authenticate until sign-out, deactivation or expiry.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use cinema_kernel::UserId;
use std::{sync::Arc, time::Duration};

use cinema_identity::{
    ClientInfo, Email, Error, Identity, IdentityConfig, Password, TokenService, users,
};
use cinema_kernel::{
    db::{DatabaseConfig, begin_write, connect},
    time::Clock,
};
use cinema_migration::{Migrator, MigratorTrait};
use cinema_notify::{JobOutbox, Templates};
use cinema_testkit::TestDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const SECRET: &str = "a-secret-of-at-least-32-bytes-for-tests";

async fn setup() -> (TestDatabase, DatabaseConnection, Identity, Clock) {
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
            SECRET.to_owned().into(),
            "https://app.example.com".parse().unwrap(),
        )
    };
    let outbox = JobOutbox::new(Templates::new("Cinema").unwrap(), clock.clone());
    let identity = Identity::new(config, Arc::new(outbox), clock.clone());
    (database, db, identity, clock)
}

/// The payloads of the queued e-mail jobs, oldest first.
async fn queued(db: &DatabaseConnection) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT payload FROM jobs WHERE kind = 'email' ORDER BY id",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get("", "payload").unwrap())
        .collect()
}

/// The `token` query parameter of the first link in a payload.
fn token_in(payload: &str) -> String {
    let start = payload.find("token=").expect("a link with a token") + "token=".len();
    payload[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test]
async fn a_registration_rolled_back_by_the_caller_leaves_no_user_and_no_email() {
    let (_database, db, identity, _) = setup().await;
    let email = Email::parse("ann@example.com").unwrap();
    let hash = identity
        .hash_password(&Password::parse("Secret#123", "password").unwrap())
        .await
        .unwrap();
    let txn = begin_write(&db).await.unwrap();
    identity.register_in(&txn, &email, &hash).await.unwrap();
    txn.rollback().await.unwrap();
    assert!(users::find(&db, UserId(1)).await.unwrap().is_none());
    assert!(queued(&db).await.is_empty());
}

#[tokio::test]
async fn a_service_activates_signs_in_and_authenticates_without_http() {
    let (_database, db, identity, clock) = setup().await;
    let email = Email::parse("bo@example.com").unwrap();
    let password = Password::parse("Secret#123", "password").unwrap();
    let user = identity
        .register(&db, &email, &password, &ClientInfo::default())
        .await
        .unwrap();
    assert!(!user.is_active);
    assert!(matches!(
        identity
            .login(&db, "bo@example.com", "Secret#123", &ClientInfo::default())
            .await,
        Err(Error::Inactive)
    ));

    let mails = queued(&db).await;
    assert_eq!(mails.len(), 1);
    let token = token_in(&mails[0]);
    identity.activate(&db, &token, Some(&email)).await.unwrap();
    assert!(matches!(
        identity.activate(&db, &token, Some(&email)).await,
        Err(Error::InvalidActivationToken | Error::AlreadyActive)
    ));
    assert_eq!(
        queued(&db).await.len(),
        2,
        "and the 'account active' notice"
    );

    let (_, pair) = identity
        .login(&db, "bo@example.com", "Secret#123", &ClientInfo::default())
        .await
        .unwrap();
    // Another service holding the same secret and database.
    let tokens = TokenService::new(
        &SECRET.to_owned().into(),
        Duration::from_secs(900),
        clock.clone(),
    );
    let me = tokens.authenticate(&db, &pair.access_token).await.unwrap();
    assert_eq!(me.id, user.id);

    // Time moves: the access token expires by the shared clock, not the wall's.
    clock.advance(Duration::from_secs(910));
    assert!(matches!(
        tokens.authenticate(&db, &pair.access_token).await,
        Err(Error::Unauthenticated(m)) if m.contains("expired")
    ));
    // A refresh still works (7 days), and deactivation ends it at once.
    let fresh = identity.refresh(&db, &pair.refresh_token).await.unwrap();
    assert!(tokens.authenticate(&db, &fresh.access_token).await.is_ok());
    users::update(
        &db,
        &clock,
        &cinema_kernel::audit::Actor::default(),
        user.user_id(),
        &users::UserUpdate {
            role: None,
            is_active: Some(false),
        },
    )
    .await
    .unwrap();
    assert!(tokens.authenticate(&db, &fresh.access_token).await.is_err());
}
