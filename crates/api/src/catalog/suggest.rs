//! `/api/v1/movies/suggest`: the best titles for what a search box holds so far, with the
//! characters of each title the query matched, answered from the search index alone.

use actix_web::{HttpRequest, HttpResponse, get, web};
use cinema_catalog::{cache::Scope, movies::SearchQuery, replicas::Reader};
use serde::Serialize;
use utoipa::ToSchema;

use super::{cached, query};
use crate::{
    AppState,
    error::{ApiError, Problem},
    params::Params,
};

/// The most suggestions one request may ask for.
const MAX_SUGGESTIONS: u64 = 20;

/// Suggestions, best first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"suggestions": [{"id": 6, "name": "Inception", "year": 2010,
    "highlights": [{"start": 0, "end": 5}]}]}))]
pub struct Suggestions {
    /// Best first; as many as asked for at most.
    pub suggestions: Vec<Suggestion>,
}

/// A movie whose title, people, genres or plot match what was typed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestion {
    /// The movie's id (`/api/v1/movies/{id}`).
    pub id: i64,
    /// Its title.
    pub name: String,
    /// Its release year.
    pub year: i32,
    /// The parts of the title the query matched, to show in bold (empty when only other
    /// fields matched).
    pub highlights: Vec<Highlight>,
}

/// Characters `start..end` of a title, counted in Unicode code points from 0.
#[derive(Debug, Serialize, ToSchema)]
pub struct Highlight {
    /// The first character.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
}

/// Suggestions for a search box, to ask on every keystroke: the best-ranked movies for `q`
/// (the same matching and ranking as `q` on the lists: every word in any field, the last also
/// as a prefix, typos forgiven by length), each with the spans of its title that matched.
#[utoipa::path(tag = "movies", params(
    ("q" = String, Query, min_length = 1, max_length = 200, pattern = r"\S", description = "What the search box holds, at most 200 characters", example = "nolan incep"),
    ("limit" = Option<u64>, Query, minimum = 1, maximum = 20, description = "How many suggestions (default 8)"),
), responses(
    (status = 200, description = "Suggestions, best first", body = Suggestions),
    (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
    (status = 422, description = "No `q`, too long a `q`, or a bad `limit`", body = Problem, content_type = "application/problem+json"),
))]
#[get("/movies/suggest")]
pub async fn suggest(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut p = Params::parse(req.query_string());
    let q = query::search_text(&mut p);
    if q.is_none() {
        p.error("q", "is required");
    }
    let limit = p.value::<u64>("limit", "an integer").unwrap_or(8);
    if !(1..=MAX_SUGGESTIONS).contains(&limit) {
        p.error("limit", format!("must be between 1 and {MAX_SUGGESTIONS}"));
    }
    let (Some(q), true) = (q, p.errors.is_empty()) else {
        return Err(ApiError::invalid(p.errors));
    };
    let query = SearchQuery::new(&q, &[]);
    let mut key = format!("{limit}|");
    query.write_key(&mut key);
    let state: &AppState = &state;
    let query = &query;
    cached::answer(
        state,
        &req,
        Scope::Catalog,
        "suggest",
        key,
        |_: Reader| async move {
            let found = state
                .catalog
                .search_index()
                .suggest(query, usize::try_from(limit).unwrap_or(8))
                .await?;
            Ok(Suggestions {
                suggestions: found
                    .into_iter()
                    .map(|(movie, spans)| Suggestion {
                        id: movie.id,
                        name: movie.name,
                        year: movie.year,
                        highlights: spans
                            .into_iter()
                            .map(|(start, end)| Highlight { start, end })
                            .collect(),
                    })
                    .collect(),
            })
        },
    )
    .await
}
