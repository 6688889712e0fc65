//! In-app notifications of replies to and likes of one's comments, each with its e-mail
//! queued in the same transaction.

use cinema_catalog::entity::movie;
use cinema_identity::users;
use cinema_kernel::Fail;
use cinema_kernel::{NotificationId, UserId};
use cinema_kernel::{
    db, mail,
    page::{Page, PageRequest},
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use crate::{
    Engagement, Error, Result,
    emails::CommentActivity,
    entity::{comment, notification},
    names::display_names,
};

/// A like taken back and given again within this time notifies once.
const LIKE_QUIET_MS: i64 = 3600 * 1000;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// Someone replied to your comment.
    Replied,
    /// Someone liked your comment.
    Liked,
}

impl NotificationKind {
    /// Its name on the wire and in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Replied => "comment_replied",
            NotificationKind::Liked => "comment_liked",
        }
    }
}

/// A notification as its recipient sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationView {
    /// The notification's row.
    pub notification: notification::Model,
    /// Who did it; `None` once their account is gone.
    pub actor: Option<String>,
}

/// A page of notifications and how many are unread in all.
#[derive(Debug, Clone)]
pub struct NotificationPage {
    /// The page asked for.
    pub page: Page<NotificationView>,
    /// Unread notifications in all.
    pub unread: u64,
}

impl Engagement {
    /// Counts a notification e-mail to `recipient`: whether it is still within the hourly
    /// limit, so that nobody can be mail-bombed through replies and likes.
    async fn may_mail(&self, txn: &DatabaseTransaction, recipient: i64, now: i64) -> Result<bool> {
        let window = cinema_kernel::limits::hit(
            txn,
            &format!("notify-mail:{recipient}"),
            std::time::Duration::from_secs(3600),
            now,
        )
        .await?;
        Ok(window.hits <= self.config.notification_mails_per_hour)
    }

    /// Notifies `recipient` that `actor` replied to or liked `comment`, and queues the e-mail
    /// (at most `notification_mails_per_hour` of them); nothing for one's own actions or for a
    /// like repeated within the hour.
    pub(crate) async fn notify_in(
        &self,
        txn: &DatabaseTransaction,
        recipient: i64,
        actor: i64,
        kind: NotificationKind,
        comment: &comment::Model,
    ) -> Result<()> {
        if recipient == actor {
            return Ok(());
        }
        let now = self.now();
        if kind == NotificationKind::Liked {
            let recent = notification::Entity::find()
                .select_only()
                .column(notification::Column::Id)
                .filter(notification::Column::CommentId.eq(comment.id))
                .filter(notification::Column::ActorId.eq(actor))
                .filter(notification::Column::Kind.eq(kind.as_str()))
                .filter(notification::Column::CreatedAt.gt(now - LIKE_QUIET_MS))
                .into_tuple::<i64>()
                .one(txn)
                .await?;
            if recent.is_some() {
                return Ok(());
            }
        }
        notification::Entity::insert(notification::ActiveModel {
            user_id: Set(recipient),
            kind: Set(kind.as_str().to_owned()),
            actor_id: Set(Some(actor)),
            comment_id: Set(Some(comment.id)),
            movie_id: Set(Some(comment.movie_id)),
            read_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(txn)
        .await?;
        let to = users::email_of(txn, UserId(recipient)).await?;
        let movie = movie::Entity::find_by_id(comment.movie_id)
            .select_only()
            .column(movie::Column::Name)
            .into_tuple::<String>()
            .one(txn)
            .await?
            .unwrap_or_default();
        let actor = display_names(txn, &[actor])
            .await?
            .remove(&actor)
            .unwrap_or_else(|| "Someone".to_owned());
        if let Some(to) = to
            && self.may_mail(txn, recipient, now).await?
        {
            let email = CommentActivity {
                replied: kind == NotificationKind::Replied,
                actor,
                movie,
                excerpt: comment.body.chars().take(140).collect(),
            };
            mail::send(self.outbox.as_ref(), txn, &to, &email).await?;
        }
        Ok(())
    }

    /// The user's notifications, newest first, with the number unread.
    pub async fn notifications<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: UserId,
        page: PageRequest,
    ) -> Result<NotificationPage> {
        let user_id = user_id.get();
        let mine = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
        let total = mine.clone().count(db).await?;
        let unread = mine
            .clone()
            .filter(notification::Column::ReadAt.is_null())
            .count(db)
            .await?;
        let rows = mine
            .order_by_desc(notification::Column::CreatedAt)
            .order_by_desc(notification::Column::Id)
            .offset(page.skip())
            .limit(page.limit())
            .all(db)
            .await?;
        let mut actors: Vec<i64> = rows.iter().filter_map(|n| n.actor_id).collect();
        actors.sort_unstable();
        actors.dedup();
        let names = display_names(db, &actors).await?;
        let views = rows
            .into_iter()
            .map(|notification| NotificationView {
                actor: notification.actor_id.and_then(|id| names.get(&id).cloned()),
                notification,
            })
            .collect();
        Ok(NotificationPage {
            page: Page::new(views, total, page),
            unread,
        })
    }

    /// Marks one of the user's notifications read (again is fine).
    pub async fn mark_read(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        id: NotificationId,
    ) -> Result<notification::Model> {
        let user_id = user_id.get();
        let id = id.get();
        let txn = db::begin_write(db).await?;
        let found = notification::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .filter(|n| n.user_id == user_id)
            .ok_or_else(|| Error::not_found(format!("Notification {id}")))?;
        let read_at = found.read_at.unwrap_or(self.now());
        notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(read_at))
            .filter(notification::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(notification::Model {
            read_at: Some(read_at),
            ..found
        })
    }

    /// Marks all the user's notifications read; returns how many were unread.
    pub async fn mark_all_read(&self, db: &DatabaseConnection, user_id: UserId) -> Result<u64> {
        let user_id = user_id.get();
        let done = notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(self.now()))
            .filter(notification::Column::UserId.eq(user_id))
            .filter(notification::Column::ReadAt.is_null())
            .exec(db)
            .await?;
        Ok(done.rows_affected)
    }
}
