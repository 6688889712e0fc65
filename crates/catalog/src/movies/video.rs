//! A movie's video and trailer. The files live in media storage; the catalog keeps one
//! `movie_videos` row per movie and kind with the object's key, type and size, changed inside
//! the caller's transaction so media can settle the object it replaces. [`upload_video`] and
//! [`remove_video`] run the whole flow; deleting a movie lists its videos for deletion.

use cinema_kernel::Fail;
use cinema_kernel::MovieId;
use cinema_kernel::{audit::Actor, time::Clock};
use cinema_media::{ImageSlot, Media, SpooledVideo, VideoKind};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect, sea_query::OnConflict,
};

use crate::{
    Error, Result,
    entity::{movie, movie_video},
};

/// Which of a movie's videos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoSlotKind {
    /// The movie itself: played by those who bought it.
    Video,
    /// Its trailer: played by anyone.
    Trailer,
}

impl VideoSlotKind {
    /// Its name on the wire: `video` or `trailer`.
    pub fn as_str(self) -> &'static str {
        match self {
            VideoSlotKind::Video => "video",
            VideoSlotKind::Trailer => "trailer",
        }
    }

    /// The storage folder of its objects.
    fn folder(self) -> &'static str {
        match self {
            VideoSlotKind::Video => "videos",
            VideoSlotKind::Trailer => "trailers",
        }
    }
}

/// A stored video as the catalog knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVideo {
    /// Its key in media storage.
    pub key: String,
    /// `video/mp4` or `video/webm`.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// Seconds, when known.
    pub duration_secs: Option<u32>,
}

impl From<movie_video::Model> for StoredVideo {
    fn from(m: movie_video::Model) -> Self {
        Self {
            key: m.object_key,
            content_type: m.content_type,
            size: u64::try_from(m.size_bytes).unwrap_or_default(),
            duration_secs: m.duration_secs.and_then(|d| u32::try_from(d).ok()),
        }
    }
}

/// What the new object of a slot is, for its row.
#[derive(Debug, Clone, Copy)]
struct NewVideo {
    kind: VideoKind,
    size: u64,
}

/// A movie's video or trailer, as the media flow sees it.
struct VideoSlot<'a> {
    clock: &'a Clock,
    actor: Option<&'a Actor>,
    movie_id: i64,
    slot: VideoSlotKind,
    new: Option<NewVideo>,
}

#[async_trait::async_trait]
impl ImageSlot for VideoSlot<'_> {
    type Error = Error;

    fn folder(&self) -> &'static str {
        self.slot.folder()
    }

    async fn point_at(
        &self,
        txn: &DatabaseTransaction,
        key: Option<&str>,
    ) -> Result<Option<String>> {
        // The movie row is locked first, so two changes of one slot settle one after the other.
        let exists: Option<i64> = movie::Entity::find_by_id(self.movie_id)
            .select_only()
            .column(movie::Column::Id)
            .lock_exclusive()
            .into_tuple()
            .one(txn)
            .await?;
        if exists.is_none() {
            return Err(Error::not_found(format!("Movie {}", self.movie_id)));
        }
        let before = video_of(txn, MovieId(self.movie_id), self.slot)
            .await?
            .map(|v| v.key);
        match (key, self.new) {
            (Some(key), Some(new)) => {
                movie_video::Entity::insert(movie_video::ActiveModel {
                    movie_id: Set(self.movie_id),
                    kind: Set(self.slot.as_str().to_owned()),
                    object_key: Set(key.to_owned()),
                    content_type: Set(new.kind.content_type().to_owned()),
                    size_bytes: Set(i64::try_from(new.size).unwrap_or(i64::MAX)),
                    duration_secs: Set(None),
                    created_at: Set(self.clock.now_ms()),
                })
                .on_conflict(
                    OnConflict::columns([movie_video::Column::MovieId, movie_video::Column::Kind])
                        .update_columns([
                            movie_video::Column::ObjectKey,
                            movie_video::Column::ContentType,
                            movie_video::Column::SizeBytes,
                            movie_video::Column::DurationSecs,
                            movie_video::Column::CreatedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
            }
            _ => {
                movie_video::Entity::delete_many()
                    .filter(movie_video::Column::MovieId.eq(self.movie_id))
                    .filter(movie_video::Column::Kind.eq(self.slot.as_str()))
                    .exec(txn)
                    .await?;
            }
        }
        crate::audit::media_change(
            txn,
            self.actor,
            self.clock,
            self.movie_id,
            self.slot.as_str(),
            before.as_deref(),
            key,
        )
        .await?;
        Ok(before)
    }
}

/// Stores the spooled `video` as the movie's video or trailer and deletes the one it replaces;
/// returns what is stored now.
pub(crate) async fn upload_video(
    db: &DatabaseConnection,
    media: &Media,
    (clock, actor): (&Clock, Option<&Actor>),
    movie_id: i64,
    slot: VideoSlotKind,
    video: &SpooledVideo,
) -> Result<StoredVideo> {
    let new = NewVideo {
        kind: video.kind,
        size: video.len,
    };
    let key = media
        .replace_video(
            db,
            &VideoSlot {
                clock,
                actor,
                movie_id,
                slot,
                new: Some(new),
            },
            video,
        )
        .await?;
    Ok(StoredVideo {
        key,
        content_type: video.kind.content_type().to_owned(),
        size: video.len,
        duration_secs: None,
    })
}

/// Removes the movie's video or trailer; `false` if it had none.
pub(crate) async fn remove_video(
    db: &DatabaseConnection,
    media: &Media,
    (clock, actor): (&Clock, Option<&Actor>),
    movie_id: i64,
    slot: VideoSlotKind,
) -> Result<bool> {
    let slot = VideoSlot {
        clock,
        actor,
        movie_id,
        slot,
        new: None,
    };
    media.remove(db, &slot).await
}

/// The movie's video or trailer, if it has one.
pub async fn video_of<C: ConnectionTrait>(
    db: &C,
    movie_id: MovieId,
    slot: VideoSlotKind,
) -> Result<Option<StoredVideo>> {
    let movie_id = movie_id.get();
    Ok(movie_video::Entity::find()
        .filter(movie_video::Column::MovieId.eq(movie_id))
        .filter(movie_video::Column::Kind.eq(slot.as_str()))
        .one(db)
        .await?
        .map(StoredVideo::from))
}

/// The movie whose video or trailer `key` is, and which.
pub async fn movie_of_video<C: ConnectionTrait>(
    db: &C,
    key: &str,
) -> Result<Option<(i64, VideoSlotKind)>> {
    let row: Option<(i64, String)> = movie_video::Entity::find()
        .select_only()
        .columns([movie_video::Column::MovieId, movie_video::Column::Kind])
        .filter(movie_video::Column::ObjectKey.eq(key))
        .into_tuple()
        .one(db)
        .await?;
    Ok(row.map(|(movie, kind)| {
        let slot = if kind == VideoSlotKind::Trailer.as_str() {
            VideoSlotKind::Trailer
        } else {
            VideoSlotKind::Video
        };
        (movie, slot)
    }))
}

/// The keys of a movie's videos, for its deletion.
pub(crate) async fn keys_of<C: ConnectionTrait>(db: &C, movie_id: i64) -> Result<Vec<String>> {
    Ok(movie_video::Entity::find()
        .select_only()
        .column(movie_video::Column::ObjectKey)
        .filter(movie_video::Column::MovieId.eq(movie_id))
        .into_tuple()
        .all(db)
        .await?)
}

/// The videos (or trailers) of these movies, by movie: one query.
pub async fn videos_of<C: ConnectionTrait>(
    db: &C,
    movie_ids: &[MovieId],
    slot: VideoSlotKind,
) -> Result<std::collections::HashMap<i64, StoredVideo>> {
    let movie_ids = &cinema_kernel::ids::raw(movie_ids)[..];
    if movie_ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(movie_video::Entity::find()
        .filter(movie_video::Column::MovieId.is_in(movie_ids.iter().copied()))
        .filter(movie_video::Column::Kind.eq(slot.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.movie_id, StoredVideo::from(m)))
        .collect())
}

/// Reserves a key for the movie's video or trailer, uploaded by the client straight to
/// storage, and returns where to send it; [`crate::Catalog::complete_video`] checks and attaches it.
pub(crate) async fn reserve_video_upload(
    db: &DatabaseConnection,
    media: &Media,
    movie_id: i64,
    slot: VideoSlotKind,
    kind: VideoKind,
) -> Result<cinema_media::ReservedUpload> {
    super::poster_of(db, MovieId(movie_id)).await?;
    Ok(media.reserve_upload(db, slot.folder(), kind).await?)
}

/// Attaches a video the client uploaded under a key from [`crate::Catalog::reserve_video_upload`], once it
/// is there, at most `limit` bytes and of the type reserved; returns what is stored now.
pub(crate) async fn complete_video(
    db: &DatabaseConnection,
    media: &Media,
    (clock, actor): (&Clock, Option<&Actor>),
    movie_id: i64,
    slot: VideoSlotKind,
    key: &str,
    limit: u64,
) -> Result<StoredVideo> {
    let ours = key
        .strip_prefix(slot.folder())
        .is_some_and(|rest| rest.starts_with('/'))
        && cinema_media::is_valid_key(key);
    if !ours {
        return Err(Error::not_found(format!(
            "An upload of this movie's {} under this key",
            slot.as_str()
        )));
    }
    super::poster_of(db, MovieId(movie_id)).await?;
    // Completed already (a retry after a lost answer): the same answer again.
    if let Some(current) = video_of(db, MovieId(movie_id), slot).await?
        && current.key == key
    {
        return Ok(current);
    }
    let (kind, size) = media.inspect_video(db, key, limit).await?;
    let slot_row = VideoSlot {
        clock,
        actor,
        movie_id,
        slot,
        new: Some(NewVideo { kind, size }),
    };
    let key = media.adopt(db, &slot_row, key.to_owned()).await?;
    Ok(StoredVideo {
        key,
        content_type: kind.content_type().to_owned(),
        size,
        duration_secs: None,
    })
}
