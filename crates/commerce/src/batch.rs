//! Cart adds sent together (PostgreSQL): under load, the adds that arrive while others are
//! being written go to the database as one statement — one round trip and one commit for all
//! of them instead of one each (`bench/commerce.sh`: +30 % purchases/s on 2 cores).
//!
//! An add joins a queue. At most [`IN_FLIGHT`] batches are written at once; an add that gets a
//! slot writes everything queued then, its own add included or not, and every add waits for
//! its own answer. Nothing waits for a timer: an add alone is a batch of one, as fast as
//! before. The batch is written by a task of its own, so a client that leaves cannot cancel
//! the others' adds; an add whose client left before its batch began is dropped unwritten.
//!
//! Each add is answered as if it had run alone ([`crate::Commerce::add_to_cart`]'s rules):
//! the holds' key refuses a movie held already, a movie that does not exist is left out by
//! the statement's join, and a refused add is then explained by the single add's reads. Two
//! adds of one (user, movie) in a batch, or a batch the database refuses as a whole (a movie
//! deleted between the join and its foreign-key check), send their adds back to the single
//! statement. The batch's rows are written in (user, movie) order, so two batches in flight
//! lock holds in the same order and cannot deadlock.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use cinema_catalog::movies::MovieSummary;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::sync::{Semaphore, oneshot};

/// Batches written at once: two keep the pool and both cores busy while a batch's commit is
/// waited for; more only make smaller batches (measured: 1 and 2 alike, 4 and 8 slower).
const IN_FLIGHT: usize = 2;

/// The holds of a batch, `$1` users, `$2` movies and `$3` their times, in (user, movie)
/// order; returns the pairs taken (the single add's `ON CONFLICT` rule, `added_at` as its
/// "now").
const TAKE_MANY: &str = "\
INSERT INTO holds (user_id, movie_id, added_at, kind, order_id, expires_at)
SELECT v.user_id, v.movie_id, v.added_at, 'cart', NULL, NULL
FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v(user_id, movie_id, added_at)
JOIN movies m ON m.id = v.movie_id
ORDER BY v.user_id, v.movie_id
ON CONFLICT (user_id, movie_id) DO UPDATE SET kind = excluded.kind, order_id = NULL,
    added_at = excluded.added_at, expires_at = NULL
WHERE holds.kind = 'order' AND holds.expires_at <= excluded.added_at
RETURNING user_id, movie_id";

/// What became of an add.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Taken: the movie as lists show it.
    Added(MovieSummary),
    /// Not taken: the single add's reads say why.
    Refused,
    /// Not written here: run the single add.
    Alone,
    /// The database failed: the add may or may not have been written.
    Failed(sea_orm::DbErr),
}

struct Add {
    user_id: i64,
    movie_id: i64,
    now: i64,
    answer: oneshot::Sender<Outcome>,
}

/// The queue of adds waiting for a batch. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Batches {
    queued: Arc<Mutex<Vec<Add>>>,
    slots: Arc<Semaphore>,
}

impl Default for Batches {
    fn default() -> Self {
        Self {
            queued: Arc::default(),
            slots: Arc::new(Semaphore::new(IN_FLIGHT)),
        }
    }
}

impl std::fmt::Debug for Batches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batches")
            .field("queued", &self.queue().len())
            .finish_non_exhaustive()
    }
}

impl Batches {
    /// Adds `movie_id` to `user_id`'s cart in the next batch.
    pub(crate) async fn add(
        &self,
        db: &DatabaseConnection,
        user_id: i64,
        movie_id: i64,
        now: i64,
    ) -> Outcome {
        let (answer, mut outcome) = oneshot::channel();
        self.queue().push(Add {
            user_id,
            movie_id,
            now,
            answer,
        });
        loop {
            tokio::select! {
                // A batch that ended without answering (it cannot, short of a panic) leaves
                // the add to the single statement.
                done = &mut outcome => return done.unwrap_or(Outcome::Alone),
                slot = self.slots.clone().acquire_owned() => {
                    let Ok(slot) = slot else { return Outcome::Alone };
                    let batch: Vec<Add> = std::mem::take(&mut *self.queue())
                        .into_iter()
                        .filter(|add| !add.answer.is_closed())
                        .collect();
                    if batch.is_empty() {
                        // Ours is in a batch already.
                        drop(slot);
                        return outcome.await.unwrap_or(Outcome::Alone);
                    }
                    let db = db.clone();
                    tokio::spawn(async move {
                        write(&db, batch).await;
                        drop(slot);
                    });
                }
            }
        }
    }

    fn queue(&self) -> MutexGuard<'_, Vec<Add>> {
        // The queue is a plain list, consistent at every point a panic could happen.
        self.queued.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes a batch and answers each of its adds.
async fn write(db: &DatabaseConnection, batch: Vec<Add>) {
    let mut seen = HashSet::new();
    let (mut adds, mut repeated) = (Vec::new(), Vec::new());
    for add in batch {
        if seen.insert((add.user_id, add.movie_id)) {
            adds.push(add);
        } else {
            repeated.push(add);
        }
    }
    for add in repeated {
        let _ = add.answer.send(Outcome::Alone);
    }
    let taken = match take_many(db, &adds).await {
        Ok(taken) => taken,
        Err(e) => {
            // A movie deleted between the join and its key check refuses the whole
            // statement, and nothing was written: each add runs alone. Anything else is the
            // database failing, for every add of the batch.
            let alone = cinema_kernel::db::is_foreign_key_violation(&e);
            for add in adds {
                let outcome = if alone {
                    Outcome::Alone
                } else {
                    Outcome::Failed(e.clone())
                };
                let _ = add.answer.send(outcome);
            }
            return;
        }
    };
    let ids: Vec<i64> = adds
        .iter()
        .filter(|add| taken.contains(&(add.user_id, add.movie_id)))
        .map(|add| add.movie_id)
        .collect();
    // The adds are written: a failure to read their movies is the database failing, not a
    // refusal (the single add would then find the movie held and say so).
    let movies: Result<HashMap<i64, MovieSummary>, sea_orm::DbErr> = if ids.is_empty() {
        Ok(HashMap::new())
    } else {
        match cinema_catalog::movies::summaries_of(db, &ids).await {
            Ok(found) => Ok(found.into_iter().map(|m| (m.movie.id, m)).collect()),
            Err(cinema_catalog::Error::Common(cinema_kernel::Common::Database(e))) => Err(e.0),
            Err(e) => Err(sea_orm::DbErr::Custom(e.to_string())),
        }
    };
    for add in adds {
        let pair = (add.user_id, add.movie_id);
        let outcome = match &movies {
            Ok(movies) => match movies.get(&add.movie_id) {
                Some(movie) if taken.contains(&pair) => Outcome::Added(movie.clone()),
                // Not taken, or taken and its movie deleted since (the hold went with it):
                // the single add's reads say which.
                _ => Outcome::Refused,
            },
            Err(e) if taken.contains(&pair) => Outcome::Failed(e.clone()),
            Err(_) => Outcome::Refused,
        };
        let _ = add.answer.send(outcome);
    }
}

/// The pairs of `adds` the statement took.
async fn take_many(
    db: &DatabaseConnection,
    adds: &[Add],
) -> Result<HashSet<(i64, i64)>, sea_orm::DbErr> {
    let column = |f: fn(&Add) -> i64| adds.iter().map(f).collect::<Vec<i64>>();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            TAKE_MANY,
            [
                column(|a| a.user_id).into(),
                column(|a| a.movie_id).into(),
                column(|a| a.now).into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}
