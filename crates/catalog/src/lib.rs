//! Catalog: movies and their taxonomy (certifications, genres, directors, stars), filtered,
//! sorted and searched.
//!
//! - [`Catalog`]: the service whose writes apply their change to the read cache before they
//!   return, whoever calls them.
//! - [`taxonomy`]: the four name lists, unique case-insensitively, and genre statistics.
//! - [`movies`]: create/update/delete for moderators, lists with every filter and sort, ranked
//!   phrase search answered from an index (PostgreSQL GIN over words and word pairs, plus a
//!   row of movie ids per word pair for phrases; SQLite FTS5; tokenised alike; see
//!   [`movies::SearchQuery`]), detail.
//!   Lists cost a fixed number of queries whatever the page size. A movie's poster, video and
//!   trailer are keys into media storage ([`Catalog::upload_video`], [`movies::video_of`]).
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
mod service;
pub mod taxonomy;

pub use error::{Error, Result};
pub use movies::{MovieReferences, NoReferences};
pub use service::Catalog;
pub use taxonomy::{GenreCount, Named, Taxonomy};
