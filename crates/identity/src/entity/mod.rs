//! SeaORM entities of the identity slice. Times are epoch milliseconds.

/// One-time activation and password-reset tokens (hashed).
pub mod account_token;
/// Known-device tokens (hashed).
pub mod device_token;
/// Profiles.
pub mod profile;
/// Refresh tokens (hashed).
pub mod refresh_token;
/// Sessions: signed-in devices.
pub mod session;
/// Accounts.
pub mod user;
