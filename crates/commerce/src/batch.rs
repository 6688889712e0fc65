//! Cart adds sent together (PostgreSQL): under load, the adds that arrive while others are
//! being written go to the database as one statement, which also reads the taken movies for
//! the answers — one round trip and one commit for all of them instead of one each
//! (`bench/commerce.sh`: +30 % purchases/s on 2 cores, and the read folded in another +10 %).
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
use sea_orm::DatabaseConnection;
use tokio::sync::{Semaphore, oneshot};

use crate::holds::take_many_for_cart_statement;

/// Batches written at once: two keep the pool and both cores busy while a batch's commit is
/// waited for; more only make smaller batches (measured: 1 and 2 alike, 4 and 8 slower).
const IN_FLIGHT: usize = 2;

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
    for add in adds {
        let outcome = match taken.get(&(add.user_id, add.movie_id)) {
            Some(movie) => Outcome::Added(movie.clone()),
            // Not taken: the single add's reads say why.
            None => Outcome::Refused,
        };
        let _ = add.answer.send(outcome);
    }
}

/// The pairs of `adds` the statement took, each with its movie as lists show it, read by the
/// same statement as it was when the statement began.
async fn take_many(
    db: &DatabaseConnection,
    adds: &[Add],
) -> Result<HashMap<(i64, i64), MovieSummary>, sea_orm::DbErr> {
    let column = |f: fn(&Add) -> i64| adds.iter().map(f).collect::<Vec<i64>>();
    let write = take_many_for_cart_statement(
        column(|a| a.user_id),
        column(|a| a.movie_id),
        column(|a| a.now),
    )?;
    let taken = match cinema_catalog::movies::summaries_after_write(db, write, "user_id").await {
        Ok(taken) => taken,
        Err(cinema_catalog::Error::Common(cinema_kernel::Common::Database(e))) => return Err(e.0),
        Err(e) => return Err(sea_orm::DbErr::Custom(e.to_string())),
    };
    Ok(taken
        .into_iter()
        .flat_map(|(movie, users)| {
            users
                .into_iter()
                .map(move |user| ((user, movie.movie.id), movie.clone()))
        })
        .collect())
}
