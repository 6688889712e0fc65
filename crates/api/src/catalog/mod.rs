//! `/api/v1/movies`, `/genres`, `/directors`, `/stars`, `/certifications`.

pub(crate) mod cached;
pub mod dto;
pub mod movies;
pub(crate) mod query;
pub mod suggest;
pub mod taxonomy;
