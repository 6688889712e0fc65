//! Identity: users, roles (`USER` < `MODERATOR` < `ADMIN`), activation/reset/refresh tokens,
//! password hashing, access JWTs and profiles.
//!
//! Depends only on `cinema-kernel`; never on HTTP. Its traits let another service verify an access
//! token and load a user without actix.
