//! Creating, changing and deleting movies. Each write has an `_in` form that runs inside the
//! caller's transaction; the plain form opens one with `begin_write` and commits it.

use cinema_kernel::Fail;
use cinema_kernel::MovieId;
use std::collections::{BTreeSet, HashMap};

use cinema_kernel::{FieldError, time::Clock};
use cinema_media::Media;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, Query},
};

use super::{
    MovieInput, MoviePatch,
    load::{DIRECTORS, GENRES, STARS, linked_names, named_groups},
    search,
};
use crate::{
    Error, Result,
    cache::{Change, Pending},
    entity::{certification, director, genre, movie, star},
};

/// What else in the system holds on to movies (carts, purchases). Commerce implements it; the
/// catalog asks it inside the deletion's transaction.
#[async_trait::async_trait]
pub trait MovieReferences: Send + Sync + std::fmt::Debug {
    /// Refuse with [`Common::Conflict`](cinema_kernel::Common::Conflict) saying what holds the movie, or — with `force`, where
    /// the contract allows it — release those references and allow the deletion.
    async fn before_delete(
        &self,
        txn: &DatabaseTransaction,
        movie_id: i64,
        force: bool,
    ) -> Result<()>;
}

/// Nothing references movies yet (no cart, no purchases).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReferences;

#[async_trait::async_trait]
impl MovieReferences for NoReferences {
    async fn before_delete(&self, _: &DatabaseTransaction, _: i64, _: bool) -> Result<()> {
        Ok(())
    }
}

/// Names of the ids that exist, in id order; unknown ids become one field error each list.
async fn check_ids<C: ConnectionTrait>(
    db: &C,
    input_certification: Option<i64>,
    genres: Option<&[i64]>,
    directors: Option<&[i64]>,
    stars: Option<&[i64]>,
) -> Result<(HashMap<i64, String>, HashMap<i64, String>)> {
    let mut errors = Vec::new();
    let mut report = |field: &str, wanted: &[i64], found: &BTreeSet<i64>| {
        let missing: Vec<String> = wanted
            .iter()
            .filter(|id| !found.contains(id))
            .map(ToString::to_string)
            .collect();
        if !missing.is_empty() {
            errors.push(FieldError::new(
                field,
                format!("unknown ids: {}", missing.join(", ")),
            ));
        }
    };
    if let Some(id) = input_certification {
        let found: BTreeSet<i64> = certification::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|c| c.id)
            .into_iter()
            .collect();
        report("certification_id", &[id], &found);
    }
    if let Some(ids) = genres {
        let found = genre::Entity::find()
            .filter(genre::Column::Id.is_in(ids.to_vec()))
            .all(db)
            .await?;
        report("genre_ids", ids, &found.iter().map(|g| g.id).collect());
    }
    let mut director_names = HashMap::new();
    if let Some(ids) = directors {
        let found = director::Entity::find()
            .filter(director::Column::Id.is_in(ids.to_vec()))
            .all(db)
            .await?;
        report("director_ids", ids, &found.iter().map(|d| d.id).collect());
        director_names = found.into_iter().map(|d| (d.id, d.name)).collect();
    }
    let mut star_names = HashMap::new();
    if let Some(ids) = stars {
        let found = star::Entity::find()
            .filter(star::Column::Id.is_in(ids.to_vec()))
            .all(db)
            .await?;
        report("star_ids", ids, &found.iter().map(|s| s.id).collect());
        star_names = found.into_iter().map(|s| (s.id, s.name)).collect();
    }
    if errors.is_empty() {
        Ok((director_names, star_names))
    } else {
        Err(Error::invalid_fields(errors))
    }
}

fn joined(ids: &[i64], names: &HashMap<i64, String>) -> String {
    ids.iter()
        .filter_map(|id| names.get(id).cloned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn identity_clash(name: &str, year: i32, time: i32) -> Error {
    Error::conflict(format!(
        "A movie named “{name}” from {year} running {time} minutes already exists."
    ))
}

fn map_unique(err: sea_orm::DbErr, name: &str, year: i32, time: i32) -> Error {
    if cinema_kernel::db::is_unique_violation(&err) {
        identity_clash(name, year, time)
    } else {
        references_gone(err)
    }
}

/// A movie's certification, genre, director or star was deleted between the check of its ids
/// and the write: the foreign key refused the write.
fn references_gone(err: sea_orm::DbErr) -> Error {
    if cinema_kernel::db::is_foreign_key_violation(&err) {
        Error::conflict(
            "A certification, genre, director or star this movie refers to was deleted \
             meanwhile; check the ids and send the request again."
                .to_owned(),
        )
    } else {
        err.into()
    }
}

/// Replaces the movie's links in each table whose new id list was sent.
async fn replace_links(
    txn: &DatabaseTransaction,
    movie_id: i64,
    genres: Option<&[i64]>,
    directors: Option<&[i64]>,
    stars: Option<&[i64]>,
) -> Result<()> {
    let backend = txn.get_database_backend();
    for ((table, column, _), ids) in [(GENRES, genres), (DIRECTORS, directors), (STARS, stars)] {
        let Some(ids) = ids else { continue };
        let delete = Query::delete()
            .from_table(Alias::new(table))
            .and_where(Expr::col(Alias::new("movie_id")).eq(movie_id))
            .to_owned();
        txn.execute_raw(backend.build(&delete)).await?;
        if ids.is_empty() {
            continue;
        }
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(table))
            .columns([Alias::new("movie_id"), Alias::new(column)]);
        for &id in ids {
            insert.values_panic([movie_id.into(), id.into()]);
        }
        txn.execute_raw(backend.build(&insert)).await?;
    }
    Ok(())
}

/// Adds a movie with its links inside the caller's transaction ([`crate::Catalog::create_movie`]
/// runs it in its own); returns the new movie's id and the change to apply after the commit.
/// Unknown ids are 422 naming them; an existing (name, year, time) is 409.
pub async fn create_in(
    txn: &DatabaseTransaction,
    clock: &Clock,
    mut input: MovieInput,
) -> Result<(MovieId, Pending)> {
    input.validate(clock)?;
    let (director_names, star_names) = check_ids(
        txn,
        Some(input.certification_id),
        Some(&input.genre_ids),
        Some(&input.director_ids),
        Some(&input.star_ids),
    )
    .await?;
    let now = clock.now_ms();
    let row = movie::ActiveModel {
        uuid: Set(uuid::Uuid::new_v4().to_string()),
        name: Set(input.name.clone()),
        year: Set(input.year),
        time: Set(input.time),
        imdb_tenths: Set(input.imdb_tenths),
        votes: Set(input.votes),
        meta_score: Set(input.meta_score),
        gross_cents: Set(input.gross.map(|g| g.cents())),
        description: Set(input.description.clone()),
        price_cents: Set(input.price.cents()),
        certification_id: Set(input.certification_id),
        directors: Set(joined(&input.director_ids, &director_names)),
        actors: Set(joined(&input.star_ids, &star_names)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let id = movie::Entity::insert(row)
        .exec(txn)
        .await
        .map_err(|e| map_unique(e, &input.name, input.year, input.time))?
        .last_insert_id;
    replace_links(
        txn,
        id,
        Some(&input.genre_ids),
        Some(&input.director_ids),
        Some(&input.star_ids),
    )
    .await?;
    search::reindex(txn, &[id]).await?;
    let pending = crate::cache::version::bump(txn, Change::Catalog).await?;
    Ok((MovieId(id), pending))
}

/// Changes the sent fields inside the caller's transaction; sent id lists replace the movie's
/// sets ([`crate::Catalog::update_movie`] runs it in its own).
pub async fn update_in(
    txn: &DatabaseTransaction,
    clock: &Clock,
    id: MovieId,
    mut patch: MoviePatch,
) -> Result<Pending> {
    let id = id.get();
    if patch.is_empty() {
        return Err(Error::invalid("body", "send at least one field to change"));
    }
    patch.validate(clock)?;
    let current = movie::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::not_found(format!("Movie {id}")))?;
    let (director_names, star_names) = check_ids(
        txn,
        patch.certification_id,
        patch.genre_ids.as_deref(),
        patch.director_ids.as_deref(),
        patch.star_ids.as_deref(),
    )
    .await?;
    // What search reads: the title, the description and the people's names.
    let text_changed = patch.name.is_some()
        || patch.description.is_some()
        || patch.director_ids.is_some()
        || patch.star_ids.is_some();
    // Only the sent fields are written: a concurrent change to another field survives.
    let name = patch.name.clone().unwrap_or_else(|| current.name.clone());
    let year = patch.year.unwrap_or(current.year);
    let time = patch.time.unwrap_or(current.time);
    let mut row: movie::ActiveModel = current.into();
    if let Some(v) = &patch.name {
        row.name = Set(v.clone());
    }
    if let Some(v) = patch.year {
        row.year = Set(v);
    }
    if let Some(v) = patch.time {
        row.time = Set(v);
    }
    if let Some(v) = patch.imdb_tenths {
        row.imdb_tenths = Set(v);
    }
    if let Some(v) = patch.votes {
        row.votes = Set(v);
    }
    if let Some(v) = patch.meta_score {
        row.meta_score = Set(v);
    }
    if let Some(v) = patch.gross {
        row.gross_cents = Set(v.map(|g| g.cents()));
    }
    if let Some(v) = patch.description {
        row.description = Set(v);
    }
    if let Some(v) = patch.price {
        row.price_cents = Set(v.cents());
    }
    if let Some(v) = patch.certification_id {
        row.certification_id = Set(v);
    }
    if let Some(ids) = &patch.director_ids {
        row.directors = Set(joined(ids, &director_names));
    }
    if let Some(ids) = &patch.star_ids {
        row.actors = Set(joined(ids, &star_names));
    }
    row.updated_at = Set(clock.now_ms());
    movie::Entity::update(row)
        .exec(txn)
        .await
        .map_err(|e| map_unique(e, &name, year, time))?;
    replace_links(
        txn,
        id,
        patch.genre_ids.as_deref(),
        patch.director_ids.as_deref(),
        patch.star_ids.as_deref(),
    )
    .await?;
    if text_changed {
        search::reindex(txn, &[id]).await?;
    }
    crate::cache::version::bump(txn, Change::Catalog).await
}

/// Deletes a movie inside the caller's transaction unless something holds it (see
/// [`MovieReferences`]); returns the deleted row and the change to apply after the commit.
/// Its poster and videos are listed for deletion in that transaction: delete them after the
/// commit to have them gone at once rather than at media's next sweep
/// ([`crate::Catalog::delete_movie`] runs the whole flow).
pub async fn delete_in(
    txn: &DatabaseTransaction,
    media: &Media,
    id: MovieId,
    force: bool,
    references: &dyn MovieReferences,
) -> Result<(movie::Model, Pending)> {
    let id = id.get();
    let Some(deleted) = movie::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
    else {
        return Err(Error::not_found(format!("Movie {id}")));
    };
    references.before_delete(txn, id, force).await?;
    // Its videos' rows go with it (cascade); their objects are listed for deletion here.
    for key in super::video::keys_of(txn, id).await? {
        media.release(txn, &key).await?;
    }
    movie::Entity::delete_by_id(id).exec(txn).await?;
    if let Some(poster) = &deleted.poster {
        media.release(txn, poster).await?;
    }
    let pending = crate::cache::version::bump(txn, Change::Catalog).await?;
    Ok((deleted, pending))
}

/// Recomputes the directors' and stars' names that search reads, for these movies: one query
/// for both sides, then one update per movie.
pub(crate) async fn refresh_people<C: ConnectionTrait>(db: &C, movie_ids: &[i64]) -> Result<()> {
    if movie_ids.is_empty() {
        return Ok(());
    }
    let mut links = named_groups(
        db,
        vec![
            linked_names(0, movie_ids, DIRECTORS),
            linked_names(1, movie_ids, STARS),
        ],
    )
    .await?
    .into_iter();
    let mut directors = links.next().unwrap_or_default();
    let mut stars = links.next().unwrap_or_default();
    let names = |list: Option<Vec<crate::Named>>| {
        list.unwrap_or_default()
            .into_iter()
            .map(|n| n.name)
            .collect::<Vec<_>>()
            .join(" ")
    };
    for &movie_id in movie_ids {
        movie::Entity::update_many()
            .col_expr(
                movie::Column::Directors,
                Expr::value(names(directors.remove(&movie_id))),
            )
            .col_expr(
                movie::Column::Actors,
                Expr::value(names(stars.remove(&movie_id))),
            )
            .filter(movie::Column::Id.eq(movie_id))
            .exec(db)
            .await?;
    }
    search::reindex(db, movie_ids).await
}
