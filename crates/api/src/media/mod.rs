//! Avatars and posters: uploads, removals, download links, and the local-disk link route.
//!
//! The handlers only read the upload (its type from its bytes, its size while streaming); the
//! flow that stores it, points the owner at it and settles the media ledger lives in
//! `cinema_identity::profiles` (avatars) and `cinema_catalog::movies` (posters), callable
//! without actix.

pub mod avatar;
pub mod poster;
pub mod serve;
mod upload;
pub mod video;
pub mod watch_page;

pub(crate) use upload::{read_image, read_upload};
