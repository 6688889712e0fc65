//! Movies: validated input, create/update/delete, lists, search, and reading them back whole.
//!
//! The list side, each part using only those before it:
//! - [`filter`](MovieFilter) — what a list asks for, as values (filter, sort, special-list
//!   length), checked on construction; no I/O;
//! - `search` — the search a list asks for (answered by [`crate::search`]); `load` — rows
//!   and their links;
//! - `labels` — every movie's genres, certification and votes, held per catalog version;
//! - `list` — the list reads (filters, sorts, totals), using all of the above;
//! - `order` — whole-catalog orders held in memory, answering the lists they can and handing
//!   the rest to `list`.

mod filter;
mod input;
mod labels;
mod list;
mod load;
mod order;
mod poster;
pub(crate) mod search;
mod video;
mod write;

pub use filter::{LinkedTo, MAX_IDS, MovieFilter, MovieFilterInput, Sort, SortKey, SpecialLimit};
pub use input::{MovieInput, MoviePatch, parse_imdb};
pub use list::{list, new_releases, trending};
pub use load::{
    MovieCard, MovieDetail, MovieSummary, detail, detail_by_uuid, id_by_uuid,
    summaries_after_write, summaries_of, summary_after_write,
};
pub use order::list_cached;
pub use poster::{poster_of, set_poster};
pub(crate) use poster::{remove_poster, upload_poster};
pub use search::{SearchField, SearchQuery, terms as search_terms};
pub use video::{StoredVideo, VideoSlotKind, movie_of_video, video_of, videos_of};
pub(crate) use video::{
    complete_video, keys_of as video_keys_of, remove_video, reserve_video_upload, upload_video,
};
pub use write::{MovieReferences, NoReferences, create_in, delete_in, update_in};

pub(crate) use write::refresh_people;
