//! SeaORM entities of billing. Times are epoch milliseconds, money integer cents.

pub mod checkout_session;
pub mod payment;
pub mod payment_item;
pub mod webhook_event;
