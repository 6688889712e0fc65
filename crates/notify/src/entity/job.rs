//! A durable job. Times are epoch milliseconds.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
/// A queued job: one row of `jobs`.
pub struct Model {
    #[sea_orm(primary_key)]
    /// Its id.
    pub id: i64,
    /// Which handler runs it, e.g. `email`.
    pub kind: String,
    /// JSON, as the handler expects it.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// `pending`, `running`, `done` or `dead`.
    pub status: String,
    /// Tries started so far.
    pub attempts: i32,
    /// Not to be run before this time.
    pub run_at: i64,
    /// The worker holding the lease while `running`.
    pub locked_by: Option<String>,
    /// When the lease runs out; after that another worker may take the job.
    pub locked_until: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    /// Why its last attempt failed.
    pub last_error: Option<String>,
    /// At most one job per key (scheduled jobs use one per period).
    pub unique_key: Option<String>,
    /// When it was queued (epoch milliseconds).
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
    /// When it was done or given up on.
    pub finished_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// No relations.
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
