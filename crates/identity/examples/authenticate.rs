//! Authenticate a bearer token, as another Rust service would with `cinema-identity`: a fresh
//! SQLite database (migrated with `cinema-migration` first), an active account, a sign-in that
//! issues a token pair, then the access token resolved back to its user — and refused once the
//! session is signed out.
//!
//! Run: `cargo run -p cinema-identity --example authenticate`

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use std::{error::Error, sync::Arc, time::Duration};

use cinema_identity::{ClientInfo, Email, Identity, IdentityConfig, Password, Role, users};
use cinema_kernel::{
    db::{DatabaseConfig, connect},
    time::Clock,
};
use cinema_migration::{Migrator, MigratorTrait};
use cinema_notify::{JobOutbox, Templates};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("cinema.db").display());
    let db = connect(&DatabaseConfig::new(url.parse()?)).await?;
    Migrator::up(&db, None).await?;

    let clock = Clock::system();
    let config = IdentityConfig {
        refresh_ttl: Duration::from_secs(30 * 86_400),
        bcrypt_cost: 4,
        mail_answer_floor: Duration::ZERO,
        // Share the key with the service that issues the tokens.
        ..IdentityConfig::new(
            "an-example-key-of-at-least-32-bytes!".to_owned().into(),
            "https://app.example.com".parse()?,
        )
    };
    // E-mails (activation, resets) are queued as jobs in the same database.
    let outbox = JobOutbox::new(Templates::new("Cinema")?, clock.clone());
    let identity = Identity::new(config, Arc::new(outbox), clock.clone());

    let email = Email::parse("ann@example.com")?;
    let password = Password::parse("Secret#123", "password")?;
    users::create(&db, &clock, &email, &password, Role::User, true, 4).await?;
    let client = ClientInfo::default();
    let (_, tokens) = identity
        .login(&db, "ann@example.com", "Secret#123", &client)
        .await?;

    let caller = identity.authenticate(&db, &tokens.access_token).await?;
    println!(
        "{} is user {} ({:?}), session {}",
        caller.email,
        caller.user_id(),
        caller.role,
        caller.session_id
    );

    identity
        .logout(&db, &caller, &tokens.refresh_token, false)
        .await?;
    let Err(refused) = identity.authenticate(&db, &tokens.access_token).await else {
        return Err("a signed-out session authenticates nothing".into());
    };
    println!("after sign-out: {refused}");
    Ok(())
}
