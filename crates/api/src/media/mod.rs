//! Avatars and posters: uploads, removals, download links, and the local-disk link route.
//!
//! Both kinds of image follow one flow, whoever owns them: read and check the upload, store it
//! under a fresh key, point the owner at it and settle the keys in one transaction, then delete
//! what it replaced.

pub mod avatar;
pub mod poster;
pub mod serve;
mod upload;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse};
use cinema_media::{AVATAR_LIMIT, Media, POSTER_LIMIT};
use sea_orm::DatabaseTransaction;

use crate::{AppState, error::ApiError};

/// What an image belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Owner {
    Avatar { user_id: i64 },
    Poster { movie_id: i64 },
}

impl Owner {
    fn folder(self) -> &'static str {
        match self {
            Owner::Avatar { .. } => "avatars",
            Owner::Poster { .. } => "posters",
        }
    }

    fn limit(self) -> usize {
        match self {
            Owner::Avatar { .. } => AVATAR_LIMIT,
            Owner::Poster { .. } => POSTER_LIMIT,
        }
    }

    /// Points the owner at `key` (or none) and returns the key it had.
    async fn point_at(
        self,
        txn: &DatabaseTransaction,
        key: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        Ok(match self {
            Owner::Avatar { user_id } => {
                cinema_identity::profiles::set_avatar(txn, user_id, key)
                    .await?
                    .1
            }
            Owner::Poster { movie_id } => {
                cinema_catalog::movies::set_poster(txn, movie_id, key).await?
            }
        })
    }
}

/// Points the owner at `key` and settles the keys in one transaction; returns the replaced key.
async fn swap(
    state: &AppState,
    owner: Owner,
    key: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let db_err = |e| ApiError::from(cinema_media::Error::Database(e));
    let txn = cinema_kernel::db::begin_write(&state.db)
        .await
        .map_err(db_err)?;
    let old = owner.point_at(&txn, key).await?;
    if key.is_none() && old.is_none() {
        // Nothing to remove: leave the row as it was.
        txn.rollback().await.map_err(db_err)?;
        return Ok(None);
    }
    Media::settle(&txn, key, old.as_deref()).await?;
    txn.commit().await.map_err(db_err)?;
    Ok(old)
}

/// The outcome of an upload.
pub(crate) enum Uploaded {
    /// Stored and referenced: its key and a download link.
    Stored { key: String, url: String },
    /// Refused while reading: the response to send as it is.
    Refused(HttpResponse),
}

/// Reads, stores and references an uploaded image, then deletes the one it replaced.
pub(crate) async fn upload(
    state: &AppState,
    req: &HttpRequest,
    multipart: Multipart,
    owner: Owner,
) -> Result<Uploaded, ApiError> {
    let image = match upload::read_image(req, multipart, owner.limit()).await {
        Ok(image) => image,
        Err(refused) => return Ok(Uploaded::Refused(refused.into_response())),
    };
    let key = state.media.upload(&state.db, owner.folder(), image).await?;
    let old = match swap(state, owner, Some(&key)).await {
        Ok(old) => old,
        Err(e) => {
            state.media.discard(&state.db, &key).await;
            return Err(e);
        }
    };
    discard(state, old).await;
    let url = state.media.link(&key).await?;
    Ok(Uploaded::Stored { key, url })
}

/// Removes the owner's image; `false` if it had none.
pub(crate) async fn remove(state: &AppState, owner: Owner) -> Result<bool, ApiError> {
    let old = swap(state, owner, None).await?;
    let had_one = old.is_some();
    discard(state, old).await;
    Ok(had_one)
}

/// After a commit that dropped `old`: delete it now (the sweep retries if this fails).
pub(crate) async fn discard(state: &AppState, old: Option<String>) {
    if let Some(old) = old {
        state.media.discard(&state.db, &old).await;
    }
}
