//! Rows the domain suites need before they test anything: an active account.

use cinema_identity::{Email, Password, Role, users};
use cinema_kernel::{UserId, time::Clock};
use sea_orm::DatabaseConnection;

/// An active user `{name}@example.com` with the password `Secret#123` (bcrypt cost 4).
#[expect(
    clippy::expect_used,
    reason = "test helper: a failure is the test's failure"
)]
pub async fn active_user(db: &DatabaseConnection, clock: &Clock, name: &str) -> UserId {
    let email = Email::parse(&format!("{name}@example.com")).expect("a valid e-mail");
    let password = Password::parse("Secret#123", "password").expect("a valid password");
    users::create(db, clock, &email, &password, Role::User, true, 4)
        .await
        .expect("the user is created")
        .user_id()
}
