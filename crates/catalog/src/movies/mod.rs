//! Movies: validated input, create/update/delete, and reading them back whole.

mod input;
mod load;
mod poster;
mod query;
mod write;

pub use input::{MovieInput, MoviePatch, parse_imdb};
pub use load::{MovieDetail, MovieSummary, detail, detail_by_uuid};
pub use poster::{poster_of, set_poster};
pub use query::{
    MovieFilter, SearchField, SearchQuery, Sort, SortKey, list, new_releases, trending,
};
pub use write::{MovieReferences, NoReferences, create, delete, update};

pub(crate) use write::refresh_people;
