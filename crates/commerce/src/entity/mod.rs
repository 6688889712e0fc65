//! SeaORM entities of commerce. Times are epoch milliseconds, money integer cents.

pub mod hold;
pub mod order;
pub mod order_item;
pub mod ownership;
/// Where owners left off in their movies.
pub mod watch_progress;
