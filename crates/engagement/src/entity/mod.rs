//! The engagement tables (migration `m20261202_000012_engagement`).

pub mod comment;
pub mod comment_like;
pub mod favorite;
pub mod notification;
pub mod rating;
pub mod reaction;
