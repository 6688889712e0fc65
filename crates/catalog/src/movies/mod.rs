//! Movies: validated input, create/update/delete, and reading them back whole.

mod input;
mod labels;
mod load;
mod order;
mod phrases;
mod poster;
mod query;
pub(crate) mod search;
mod video;
mod write;

pub use input::{MovieInput, MoviePatch, parse_imdb};
pub use load::{
    MovieCard, MovieDetail, MovieSummary, detail, detail_by_uuid, id_by_uuid, summaries_of,
};
pub use order::list_cached;
pub use poster::{poster_of, set_poster};
pub(crate) use poster::{remove_poster, upload_poster};
pub use query::{LinkedTo, MovieFilter, Sort, SortKey, list, new_releases, trending};
pub use search::{SearchField, SearchQuery, terms as search_terms};
pub use video::{StoredVideo, VideoSlotKind, movie_of_video, video_of, videos_of};
pub(crate) use video::{
    complete_video, keys_of as video_keys_of, remove_video, reserve_video_upload, upload_video,
};
pub use write::{MovieReferences, NoReferences, create_in, delete_in, update_in};

pub(crate) use write::refresh_people;
