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
//! or that is removed, moves between its terms' rows. Concurrent writers take the rows they
//! change in term order, so they wait for each other rather than deadlock. SQLite has no such
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
    // `ids` with `delta` applied: a positive id is added, a negative one removed. Ascending.
    "CREATE FUNCTION cinema_phrase_merge(ids bigint[], delta bigint[]) RETURNS bigint[]
     LANGUAGE sql IMMUTABLE AS $$
       SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM (
         (SELECT unnest(ids) EXCEPT SELECT -d FROM unnest(delta) AS d WHERE d < 0)
         UNION
         SELECT d FROM unnest(delta) AS d WHERE d > 0
       ) AS s(x)
     $$",
    // Applies `{term: [signed ids]}` to the rows, locking the existing ones in term order first.
    "CREATE FUNCTION cinema_phrase_apply(delta jsonb) RETURNS void LANGUAGE plpgsql AS $$
     BEGIN
       IF delta IS NULL THEN RETURN; END IF;
       PERFORM 1 FROM movie_phrases
         WHERE term IN (SELECT jsonb_object_keys(delta)) ORDER BY term FOR UPDATE;
       UPDATE movie_phrases AS p
          SET movie_ids = cinema_phrase_merge(p.movie_ids, d.ids)
         FROM (SELECT key AS term, ARRAY(SELECT jsonb_array_elements_text(value)::bigint) AS ids
                 FROM jsonb_each(delta)) AS d
        WHERE p.term = d.term;
       INSERT INTO movie_phrases AS p (term, movie_ids)
       SELECT term, ids FROM (
         SELECT key AS term,
                cinema_phrase_merge('{}', ARRAY(SELECT jsonb_array_elements_text(value)::bigint)) AS ids
           FROM jsonb_each(delta)) AS d
        WHERE cardinality(ids) > 0
          AND NOT EXISTS (SELECT 1 FROM movie_phrases AS x WHERE x.term = d.term)
        ORDER BY term
       ON CONFLICT (term) DO UPDATE SET movie_ids = cinema_phrase_merge(p.movie_ids, EXCLUDED.movie_ids);
       DELETE FROM movie_phrases
        WHERE term IN (SELECT jsonb_object_keys(delta)) AND cardinality(movie_ids) = 0;
     END $$",
    // One movie's change: the terms it lost (its id negated) and the ones it gained.
    "CREATE FUNCTION cinema_phrase_delta(id bigint, before tsvector, after tsvector) RETURNS jsonb
     LANGUAGE sql IMMUTABLE AS $$
       SELECT jsonb_object_agg(term, jsonb_build_array(signed)) FROM (
         (SELECT cinema_phrase_terms(after) AS term, id AS signed
          EXCEPT SELECT cinema_phrase_terms(before), id)
         UNION ALL
         (SELECT cinema_phrase_terms(before), -id EXCEPT SELECT cinema_phrase_terms(after), -id)
       ) AS d
     $$",
    "CREATE FUNCTION movies_phrases_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       PERFORM cinema_phrase_apply((
         SELECT jsonb_object_agg(term, ids) FROM (
           SELECT t AS term, jsonb_agg(n.id) AS ids
             FROM new_movies AS n, cinema_phrase_terms(n.search_terms) AS t GROUP BY t) AS d));
       RETURN NULL;
     END $$",
    "CREATE TRIGGER movies_phrases_inserted AFTER INSERT ON movies
     REFERENCING NEW TABLE AS new_movies
     FOR EACH STATEMENT EXECUTE FUNCTION movies_phrases_inserted()",
    "CREATE FUNCTION movies_phrases_changed() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'DELETE' THEN
         PERFORM cinema_phrase_apply(cinema_phrase_delta(OLD.id, OLD.search_terms, ''));
       ELSE
         PERFORM cinema_phrase_apply(cinema_phrase_delta(NEW.id, OLD.search_terms, NEW.search_terms));
       END IF;
       RETURN NULL;
     END $$",
    "CREATE TRIGGER movies_phrases_updated AFTER UPDATE OF search_terms ON movies
     FOR EACH ROW WHEN (OLD.search_terms IS DISTINCT FROM NEW.search_terms)
     EXECUTE FUNCTION movies_phrases_changed()",
    "CREATE TRIGGER movies_phrases_deleted AFTER DELETE ON movies
     FOR EACH ROW EXECUTE FUNCTION movies_phrases_changed()",
    // The movies that exist now.
    "INSERT INTO movie_phrases (term, movie_ids)
     SELECT t, array_agg(m.id ORDER BY m.id)
       FROM movies AS m, cinema_phrase_terms(m.search_terms) AS t GROUP BY t",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS movies_phrases_deleted ON movies",
    "DROP TRIGGER IF EXISTS movies_phrases_updated ON movies",
    "DROP TRIGGER IF EXISTS movies_phrases_inserted ON movies",
    "DROP FUNCTION IF EXISTS movies_phrases_changed()",
    "DROP FUNCTION IF EXISTS movies_phrases_inserted()",
    "DROP FUNCTION IF EXISTS cinema_phrase_delta(bigint, tsvector, tsvector)",
    "DROP FUNCTION IF EXISTS cinema_phrase_apply(jsonb)",
    "DROP FUNCTION IF EXISTS cinema_phrase_merge(bigint[], bigint[])",
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
