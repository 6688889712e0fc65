//! Search by phrase on PostgreSQL from the index alone.
//!
//! PostgreSQL's GIN index over a `tsvector` keeps no word positions, so a phrase query has to
//! re-read every movie holding all of its words (6,690 rows for `haunted lighthouse` over the
//! benchmark catalog, when 280 match). `search_terms` instead holds, per field, every word
//! joined to the next one (`p:haunted_lighthouse`) and the last word to nothing
//! (`p:lighthouse_`), tagged with the field (`t` title, `a` actors, `d` directors, `p` plot):
//! a phrase is then a few exact index lookups and never spans two fields.
//!
//! The application computes the terms (`cinema_catalog::movies::search`, the one tokenizer for
//! documents and queries) and stores them with every write of a movie's text; a generated
//! column doing the same in SQL cost 12 s of CPU per 100k movies, five times `to_tsvector`.
//! Rows that exist when this migration runs are filled once by the same rule in SQL. SQLite
//! keeps its FTS5 table, which has positions and answers phrases itself.

use sea_orm_migration::prelude::*;

use crate::m20261122_000003_create_catalog::POSTGRES_SEARCH;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE movies DROP COLUMN search_vector",
    "ALTER TABLE movies ADD COLUMN search_terms tsvector NOT NULL DEFAULT ''",
    // Words of more than 200 characters are not indexed and end a phrase, as in the
    // application.
    "CREATE FUNCTION cinema_backfill_terms(tag text, doc text) RETURNS text[]
     LANGUAGE sql IMMUTABLE AS $$
       WITH words AS (
         SELECT n, CASE WHEN char_length(x) <= 200 THEN x END AS w
           FROM unnest(regexp_split_to_array(lower(doc), '[^[:alnum:]]+')) WITH ORDINALITY AS u(x, n)
          WHERE x <> ''
       ), pairs AS (
         SELECT w, lead(w) OVER (ORDER BY n) AS next FROM words
       )
       SELECT coalesce(array_agg(tag || ':' || w || '_' || coalesce(next, '')), '{}')
         FROM pairs WHERE w IS NOT NULL
     $$",
    "UPDATE movies SET search_terms = array_to_tsvector(
        cinema_backfill_terms('t', name) || cinema_backfill_terms('a', actors) ||
        cinema_backfill_terms('d', directors) || cinema_backfill_terms('p', description))",
    "DROP FUNCTION cinema_backfill_terms(text, text)",
    "CREATE INDEX ix_movies_search_terms ON movies USING GIN (search_terms)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, POSTGRES_UP, &[]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(
            manager,
            &["ALTER TABLE movies DROP COLUMN IF EXISTS search_terms"],
            &[],
        )
        .await?;
        // Back to what the catalog migration created.
        crate::run_raw(manager, POSTGRES_SEARCH, &[]).await
    }
}
