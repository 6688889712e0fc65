//! Commerce: the cart, orders and their state machine, and ownership (the library).
//!
//! Depends on `cinema-kernel` and the identity/catalog/media/notify slices; never on HTTP.
