//! Catalog: movies and their taxonomy (certifications, genres, directors, stars), filtered,
//! sorted and searched.
//!
//! - [`Catalog`]: the service whose writes apply their change to the read cache before they
//!   return, whoever calls them.
//! - [`taxonomy`]: the four name lists, unique case-insensitively, and genre statistics.
//! - [`movies`]: create/update/delete for moderators, lists with every filter and sort,
//!   search (see [`search`]), detail.
//!   Lists cost a fixed number of queries whatever the page size. A movie's poster, video and
//!   trailer are keys into media storage ([`Catalog::upload_video`], [`movies::video_of`]).
//! - [`search`]: search as people type it — every word in any field and order, prefixes,
//!   typos — from an index each process keeps in memory and fresh by the catalog's version.
//! - [`cache`]: the read cache of public answers, its version and its cross-instance watch.
//! - [`replicas`]: public reads on PostgreSQL streaming replicas that keep up.
//! - [`MovieReferences`]: the port through which commerce says whether a movie may be deleted.
//!
//! Depends only on `cinema-kernel`; knows nothing of HTTP.

#![deny(missing_docs)]

mod audit;
pub mod cache;
pub mod entity;
mod error;
pub mod movies;
pub mod replicas;
pub mod search;
mod service;
pub mod taxonomy;

pub use error::{Error, Result};
pub use movies::{MovieReferences, NoReferences};
pub use service::Catalog;
pub use taxonomy::{GenreCount, Named, Taxonomy};
