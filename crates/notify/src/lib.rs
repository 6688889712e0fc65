//! Notify: e-mail through the `Mailer` trait (SMTP adapter, `.eml` files by default), templates
//! with escaping, and durable jobs written in the same transaction as the change that causes them.
//!
//! Depends only on `cinema-kernel`; never on HTTP.
