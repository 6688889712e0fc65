//! SeaORM entities of the identity slice. Times are epoch milliseconds.

pub mod account_token;
pub mod device_token;
pub mod profile;
pub mod refresh_token;
pub mod session;
pub mod user;
