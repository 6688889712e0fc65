//! PostgreSQL: each phrase term's movies, as one row per term (`movie_phrases`), so that a
//! phrase search reads a few rows instead of visiting every matching movie.
//!
//! The GIN index over `search_terms` finds a phrase's movies as row addresses, and turning
//! ~300 addresses into ids means ~300 random visits to the 128 MiB movies heap: measured under
//! random phrases, that was the whole cost of a search (1,530 statements/s at 64 clients). Here
//! a term (`p:haunted_lighthouse`, the same terms as `search_terms` minus the end-of-field ones,
//! which no phrase asks for) holds the ids of its movies in one array: a two-word phrase is four
//! index range reads, one per field (11,700/s measured). The terms are ordered bytewise
//! (`COLLATE "C"`), so a prefix is a range.
//!
//! Triggers keep it exact for every writer (the API, `cinema seed`, SQL), inside the writing
//! transaction: a statement inserting movies adds them all at once; a movie whose terms change,
//! or that is removed, moves between its terms' rows. Writers take the rows they change in term
//! order, so concurrent ones wait for each other rather than deadlock. A row's ids are in no
//! particular order: the reader sorts them. SQLite has no such
//! table: its FTS5 index keeps positions and answers phrases itself.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE movie_phrases (
       term TEXT COLLATE \"C\" PRIMARY KEY,
       movie_ids BIGINT[] NOT NULL
     )",
    // The terms a phrase can ask for: word pairs, not a field's last word alone (`p:word_`).
    "CREATE FUNCTION cinema_phrase_terms(terms tsvector) RETURNS SETOF text
     LANGUAGE sql IMMUTABLE AS $$
       SELECT t FROM unnest(tsvector_to_array(terms)) AS t WHERE right(t, 1) <> '_'
     $$",
    // A statement's new movies, all at once (`cinema seed` inserts thousands per statement).
    // A bulk load into the empty, locked table sets `cinema.phrases_later` and adds every
    // movie once before it commits (`cinema seed`, `bin/src/seed`): growing each term's row by every
    // statement would rewrite most rows a hundred times.
    "CREATE FUNCTION movies_phrases_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF current_setting('cinema.phrases_later', true) = 'on' THEN
         RETURN NULL;
       END IF;
       INSERT INTO movie_phrases AS p (term, movie_ids)
       SELECT t, array_agg(n.id) FROM new_movies AS n, cinema_phrase_terms(n.search_terms) AS t
        GROUP BY t ORDER BY t
       ON CONFLICT (term) DO UPDATE SET movie_ids = p.movie_ids || EXCLUDED.movie_ids;
       RETURN NULL;
     END $$",
    "CREATE TRIGGER movies_phrases_inserted AFTER INSERT ON movies
     REFERENCING NEW TABLE AS new_movies
     FOR EACH STATEMENT EXECUTE FUNCTION movies_phrases_inserted()",
    // One movie whose terms changed, or that is removed: out of the terms it lost (a term left
    // without movies goes), into the ones it gained.
    "CREATE FUNCTION movies_phrases_changed() RETURNS trigger LANGUAGE plpgsql AS $$
     DECLARE
       movie bigint := OLD.id;
       before text[] := ARRAY(SELECT cinema_phrase_terms(OLD.search_terms));
       after text[] := CASE WHEN TG_OP = 'DELETE' THEN '{}'
                            ELSE ARRAY(SELECT cinema_phrase_terms(NEW.search_terms)) END;
       gone text[] := ARRAY(SELECT unnest(before) EXCEPT SELECT unnest(after));
       came text[] := ARRAY(SELECT unnest(after) EXCEPT SELECT unnest(before));
     BEGIN
       PERFORM 1 FROM movie_phrases WHERE term = ANY(gone || came) ORDER BY term FOR UPDATE;
       UPDATE movie_phrases SET movie_ids = array_remove(movie_ids, movie) WHERE term = ANY(gone);
       DELETE FROM movie_phrases WHERE term = ANY(gone) AND cardinality(movie_ids) = 0;
       INSERT INTO movie_phrases AS p (term, movie_ids)
       SELECT t, ARRAY[movie] FROM unnest(came) AS t ORDER BY t
       ON CONFLICT (term) DO UPDATE SET movie_ids = p.movie_ids || EXCLUDED.movie_ids;
       RETURN NULL;
     END $$",
    "CREATE TRIGGER movies_phrases_updated AFTER UPDATE OF search_terms ON movies
     FOR EACH ROW WHEN (OLD.search_terms IS DISTINCT FROM NEW.search_terms)
     EXECUTE FUNCTION movies_phrases_changed()",
    "CREATE TRIGGER movies_phrases_deleted AFTER DELETE ON movies
     FOR EACH ROW EXECUTE FUNCTION movies_phrases_changed()",
    // Adds every movie, for a table that holds none of them yet: this migration's backfill,
    // and a bulk load into the empty movies table at its end (`cinema seed`, `bin/src/seed`).
    "CREATE FUNCTION cinema_phrases_add_every_movie() RETURNS void LANGUAGE sql AS $$
       INSERT INTO movie_phrases AS p (term, movie_ids)
       SELECT t, array_agg(m.id) FROM movies AS m, cinema_phrase_terms(m.search_terms) AS t
        GROUP BY t ORDER BY t
       ON CONFLICT (term) DO UPDATE SET movie_ids = p.movie_ids || EXCLUDED.movie_ids
     $$",
    "SELECT cinema_phrases_add_every_movie()",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS movies_phrases_deleted ON movies",
    "DROP TRIGGER IF EXISTS movies_phrases_updated ON movies",
    "DROP TRIGGER IF EXISTS movies_phrases_inserted ON movies",
    "DROP FUNCTION IF EXISTS cinema_phrases_add_every_movie()",
    "DROP FUNCTION IF EXISTS movies_phrases_changed()",
    "DROP FUNCTION IF EXISTS movies_phrases_inserted()",
    "DROP FUNCTION IF EXISTS cinema_phrase_terms(tsvector)",
    "DROP TABLE IF EXISTS movie_phrases",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, POSTGRES_UP, &[]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, POSTGRES_DOWN, &[]).await
    }
}
