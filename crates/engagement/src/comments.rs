//! Comments on movies, replies to comments, and likes of comments. A comment's like and reply
//! counts live on its row and the movie's comment count on the movie's, each changed under
//! the lock of the row that carries it. Locks are taken child before parent (a comment before
//! the comment it replies to, comments before their movie) on every path.

use cinema_catalog::{
    cache::{Change, Pending, version},
    entity::movie,
};
use cinema_identity::users;
use cinema_kernel::Fail;
use cinema_kernel::{CommentId, MovieId, UserId};
use cinema_kernel::{
    db,
    page::{Page, PageRequest},
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, LockType, OnConflict},
};

use crate::{
    Engagement, Error, NotificationKind, Result,
    entity::{comment, comment_like},
    lock_movie,
    names::display_names,
};

/// The longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// A comment as readers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentView {
    /// The comment's row.
    pub comment: comment::Model,
    /// The author's display name; `None` once the account is gone.
    pub author: Option<String>,
}

/// What a deletion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// Gone with its likes.
    Removed,
    /// It has replies: its text is gone, its place in the thread stays.
    Blanked,
}

fn check_body(body: &str) -> Result<String> {
    let body = body.trim();
    let chars = body.chars().count();
    if !cinema_kernel::text::has_visible(body) {
        return Err(Error::invalid(
            "body",
            "must have at least one visible character".to_owned(),
        ));
    }
    if chars > MAX_COMMENT_CHARS {
        return Err(Error::invalid(
            "body",
            format!(
                "must be 1 to {MAX_COMMENT_CHARS} characters (not counting surrounding spaces)"
            ),
        ));
    }
    Ok(body.to_owned())
}

async fn lock_comment(txn: &DatabaseTransaction, id: i64) -> Result<comment::Model> {
    comment::Entity::find_by_id(id)
        .lock(LockType::NoKeyUpdate)
        .one(txn)
        .await?
        .ok_or_else(|| Error::not_found(format!("Comment {id}")))
}

async fn add_to_comment_count(
    txn: &DatabaseTransaction,
    movie_id: i64,
    by: i64,
) -> Result<Pending> {
    movie::Entity::update_many()
        .col_expr(
            movie::Column::CommentCount,
            Expr::col(movie::Column::CommentCount).add(by),
        )
        .filter(movie::Column::Id.eq(movie_id))
        .exec(txn)
        .await?;
    // The detail shows the count.
    Ok(version::bump(txn, Change::Movie(movie_id)).await?)
}

async fn add_to(
    txn: &DatabaseTransaction,
    id: i64,
    column: comment::Column,
    by: i64,
) -> Result<()> {
    comment::Entity::update_many()
        .col_expr(column, Expr::col(column).add(by))
        .filter(comment::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

impl Engagement {
    /// Comments of one user in the current window are limited: the user's row is locked, so
    /// concurrent posts count each other.
    async fn check_rate(&self, txn: &DatabaseTransaction, user_id: i64) -> Result<()> {
        users::lock_in(txn, UserId(user_id)).await?;
        let window = i64::try_from(self.config.comment_window.as_millis()).unwrap_or(i64::MAX);
        let since = self.now().saturating_sub(window);
        let recent: Vec<i64> = comment::Entity::find()
            .select_only()
            .column(comment::Column::CreatedAt)
            .filter(comment::Column::UserId.eq(user_id))
            .filter(comment::Column::CreatedAt.gt(since))
            .order_by_desc(comment::Column::CreatedAt)
            .limit(u64::from(self.config.comment_limit))
            .into_tuple()
            .all(txn)
            .await?;
        if recent.len() >= self.config.comment_limit as usize {
            // The oldest of the last `limit` comments leaves the window first.
            let oldest = recent.last().copied().unwrap_or(since);
            let wait_ms = Ord::max(oldest + window - self.now(), 1000);
            return Err(Error::RateLimited {
                retry_after: u64::try_from((wait_ms + 999) / 1000).unwrap_or(1),
            });
        }
        Ok(())
    }

    /// Comments on a movie.
    pub async fn comment(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        movie_id: MovieId,
        body: &str,
    ) -> Result<CommentView> {
        let user_id = user_id.get();
        let movie_id = movie_id.get();
        let body = check_body(body)?;
        let txn = db::begin_write(db).await?;
        self.check_rate(&txn, user_id).await?;
        lock_movie(&txn, movie_id).await?;
        let created = self.insert(&txn, user_id, movie_id, None, body).await?;
        let pending = add_to_comment_count(&txn, movie_id, 1).await?;
        self.commit(txn, Some(pending)).await?;
        self.view(db, created).await
    }

    /// Replies to a comment; its author is notified (not when replying to oneself).
    pub async fn reply(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        parent_id: CommentId,
        body: &str,
    ) -> Result<CommentView> {
        let user_id = user_id.get();
        let parent_id = parent_id.get();
        let body = check_body(body)?;
        let txn = db::begin_write(db).await?;
        self.check_rate(&txn, user_id).await?;
        let parent = lock_comment(&txn, parent_id).await?;
        if parent.deleted {
            return Err(Error::conflict(format!(
                "Comment {parent_id} was deleted; it takes no new replies."
            )));
        }
        let created = self
            .insert(&txn, user_id, parent.movie_id, Some(parent_id), body)
            .await?;
        add_to(&txn, parent_id, comment::Column::ReplyCount, 1).await?;
        let pending = add_to_comment_count(&txn, parent.movie_id, 1).await?;
        if let Some(author) = parent.user_id {
            self.notify_in(&txn, author, user_id, NotificationKind::Replied, &parent)
                .await?;
        }
        self.commit(txn, Some(pending)).await?;
        self.view(db, created).await
    }

    async fn insert(
        &self,
        txn: &DatabaseTransaction,
        user_id: i64,
        movie_id: i64,
        parent_id: Option<i64>,
        body: String,
    ) -> Result<comment::Model> {
        Ok(comment::Entity::insert(comment::ActiveModel {
            movie_id: Set(movie_id),
            user_id: Set(Some(user_id)),
            parent_id: Set(parent_id),
            body: Set(body),
            deleted: Set(false),
            like_count: Set(0),
            reply_count: Set(0),
            created_at: Set(self.now()),
            ..Default::default()
        })
        .exec_with_returning(txn)
        .await?)
    }

    async fn view<C: ConnectionTrait>(
        &self,
        db: &C,
        comment: comment::Model,
    ) -> Result<CommentView> {
        let mut views = self.views(db, vec![comment]).await?;
        views.pop().ok_or_else(|| Error::not_found("Comment"))
    }

    async fn views<C: ConnectionTrait>(
        &self,
        db: &C,
        comments: Vec<comment::Model>,
    ) -> Result<Vec<CommentView>> {
        let mut ids: Vec<i64> = comments.iter().filter_map(|c| c.user_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let names = display_names(db, &ids).await?;
        Ok(comments
            .into_iter()
            .map(|comment| CommentView {
                author: comment.user_id.and_then(|id| names.get(&id).cloned()),
                comment,
            })
            .collect())
    }

    /// A movie's comments (not replies), newest first.
    pub async fn comments<C: ConnectionTrait>(
        &self,
        db: &C,
        movie_id: MovieId,
        page: PageRequest,
    ) -> Result<Page<CommentView>> {
        let movie_id = movie_id.get();
        movie::Entity::find_by_id(movie_id)
            .select_only()
            .column(movie::Column::Id)
            .into_tuple::<i64>()
            .one(db)
            .await?
            .ok_or_else(|| Error::not_found(format!("Movie {movie_id}")))?;
        let of_movie = comment::Entity::find()
            .filter(comment::Column::MovieId.eq(movie_id))
            .filter(comment::Column::ParentId.is_null());
        self.page_of(db, of_movie, page).await
    }

    /// A comment's replies, newest first.
    pub async fn replies<C: ConnectionTrait>(
        &self,
        db: &C,
        comment_id: CommentId,
        page: PageRequest,
    ) -> Result<Page<CommentView>> {
        let comment_id = comment_id.get();
        comment::Entity::find_by_id(comment_id)
            .select_only()
            .column(comment::Column::Id)
            .into_tuple::<i64>()
            .one(db)
            .await?
            .ok_or_else(|| Error::not_found(format!("Comment {comment_id}")))?;
        let replies = comment::Entity::find().filter(comment::Column::ParentId.eq(comment_id));
        self.page_of(db, replies, page).await
    }

    async fn page_of<C: ConnectionTrait>(
        &self,
        db: &C,
        select: sea_orm::Select<comment::Entity>,
        page: PageRequest,
    ) -> Result<Page<CommentView>> {
        let total = select.clone().count(db).await?;
        let rows = select
            .order_by_desc(comment::Column::CreatedAt)
            .order_by_desc(comment::Column::Id)
            .offset(page.skip())
            .limit(page.limit())
            .all(db)
            .await?;
        Ok(Page::new(self.views(db, rows).await?, total, page))
    }

    /// Deletes a comment (its author, or a moderator). One with replies is blanked and keeps
    /// its place; one without is removed, and its parent counts one reply less.
    pub async fn delete_comment(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        moderator: Option<&cinema_kernel::audit::Actor>,
        comment_id: CommentId,
    ) -> Result<Deleted> {
        let user_id = user_id.get();
        let comment_id = comment_id.get();
        let txn = db::begin_write(db).await?;
        let comment = lock_comment(&txn, comment_id).await?;
        if comment.deleted {
            return Err(Error::not_found(format!("Comment {comment_id}")));
        }
        let someone_elses = comment.user_id != Some(user_id);
        if moderator.is_none() && someone_elses {
            return Err(Error::forbidden(
                "Only its author or a moderator may delete a comment.",
            ));
        }
        let outcome = if comment.reply_count > 0 {
            comment::Entity::update_many()
                .col_expr(comment::Column::Deleted, Expr::value(true))
                .col_expr(comment::Column::Body, Expr::value(""))
                .filter(comment::Column::Id.eq(comment_id))
                .exec(&txn)
                .await?;
            Deleted::Blanked
        } else {
            comment::Entity::delete_by_id(comment_id).exec(&txn).await?;
            if let Some(parent) = comment.parent_id {
                lock_comment(&txn, parent).await?;
                add_to(&txn, parent, comment::Column::ReplyCount, -1).await?;
            }
            Deleted::Removed
        };
        let pending = add_to_comment_count(&txn, comment.movie_id, -1).await?;
        // A moderator removing someone else's comment is a staff write; authors' own are not.
        if let (Some(actor), true) = (moderator, someone_elses) {
            let text: String = comment.body.chars().take(60).collect();
            let summary = format!(
                "removed a comment by user {} on movie {}: {text:?}",
                comment
                    .user_id
                    .map_or_else(|| "?".to_owned(), |u| u.to_string()),
                comment.movie_id
            );
            let entry =
                cinema_kernel::audit::Entry::new("comment.remove", "comment", comment_id, summary);
            cinema_kernel::audit::record_in(&txn, Some(actor), self.now(), entry).await?;
        }
        self.commit(txn, Some(pending)).await?;
        Ok(outcome)
    }

    /// Likes (or with `false` unlikes) a comment; returns its like count. A new like notifies
    /// the author (not for one's own comment, and not twice within an hour).
    pub async fn like_comment(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        comment_id: CommentId,
        like: bool,
    ) -> Result<i64> {
        let user_id = user_id.get();
        let comment_id = comment_id.get();
        let txn = db::begin_write(db).await?;
        let comment = lock_comment(&txn, comment_id).await?;
        let changed = if like {
            if comment.deleted {
                return Err(Error::conflict(format!(
                    "Comment {comment_id} was deleted; it cannot be liked."
                )));
            }
            comment_like::Entity::insert(comment_like::ActiveModel {
                user_id: Set(user_id),
                comment_id: Set(comment_id),
                created_at: Set(self.now()),
            })
            .on_conflict(
                OnConflict::columns([
                    comment_like::Column::UserId,
                    comment_like::Column::CommentId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?
        } else {
            comment_like::Entity::delete_by_id((user_id, comment_id))
                .exec(&txn)
                .await?
                .rows_affected
        };
        let by = match (changed > 0, like) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => -1,
        };
        if by != 0 {
            add_to(&txn, comment_id, comment::Column::LikeCount, by).await?;
        }
        if by > 0
            && let Some(author) = comment.user_id
        {
            self.notify_in(&txn, author, user_id, NotificationKind::Liked, &comment)
                .await?;
        }
        txn.commit().await?;
        Ok(comment.like_count + by)
    }
}
