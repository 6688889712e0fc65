//! `/api/v1/movies`: lists, search, detail, and moderators' changes.

use crate::body::Json;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use cinema_catalog::{
    cache::{DETAIL, Scope},
    movies::{self, MovieInput, MoviePatch, SpecialLimit, parse_imdb},
    replicas::Reader,
    taxonomy::{self, Taxonomy},
};
use cinema_kernel::MovieId;
use cinema_kernel::{FieldError, Money};
use serde_json::{Map, Value};

use super::{
    cached,
    dto::{MovieCreate, MovieDetailResponse, MovieListItem, MoviePatchRequest},
    query::{self, MovieListParams, SearchIn},
};
use crate::{
    AppState,
    audit::ModeratorActing,
    auth::MaybeAuthenticated,
    error::{ApiError, Problem},
    page::PageResponse,
    params::Params,
    patch::PatchReader,
};

async fn page(
    state: &AppState,
    req: &HttpRequest,
    search_required: bool,
    genre: Option<i64>,
) -> Result<HttpResponse, ApiError> {
    let request = query::parse(req, search_required, genre)?;
    // `/movies/genre/{id}` answers 404 for a missing genre where the list answers an empty
    // page, so it has a route of its own.
    let route = if genre.is_some() { "genre" } else { "movies" };
    let key = query::MovieListParams::cache_key(&request);
    let request = &request;
    cached::answer(
        state,
        req,
        Scope::Lists,
        route,
        key,
        |r: Reader| async move {
            if let Some(genre) = genre {
                taxonomy::get(&r.db, Taxonomy::Genres, genre).await?;
            }
            let found = movies::list_cached(
                &r.db,
                state.catalog.search_index(),
                state.catalog.cache(),
                &request.filter,
                request.sort,
                request.page,
            )
            .await?;
            Ok(PageResponse {
                items: MovieListItem::with_links(found.items, &state.media).await?,
                total: found.total,
                skip: found.skip,
                limit: found.limit,
            })
        },
    )
    .await
}

/// Movies: every filter, search (`q`), sort and paging.
#[utoipa::path(tag = "movies", params(
    ("q" = Option<String>, Query, max_length = 200, description = "Search as people type it (see `/movies/search/query`): every word in any field and any order, the last also a prefix, typos forgiven by length; empty means none. Ranked when there is no `sort_by`", example = "nolan incep"),
    ("search_in" = inline(Option<Vec<SearchIn>>), Query, description = "Fields `q` is looked for in (default all five)"),
    MovieListParams,
), responses(
    (status = 200, description = "A page of movies", body = PageResponse<MovieListItem>),
    (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
    (status = 422, description = "A bad filter, an unknown sort or a reversed range", body = Problem, content_type = "application/problem+json"),
))]
#[get("/movies")]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    page(&state, &req, false, None).await
}

/// Search as people type it. A movie matches when **every word** of `q` is found in its title,
/// directors, stars, genres or description — in any order, each word in any of those fields.
/// The last word also matches as a prefix (`interstel` finds Interstellar), so a search box
/// can ask on every keystroke. A word of 5–8 letters may have one typo, of 9 or more two
/// (insertion, deletion, substitution, transposition: `inceptoin`, `godfater`); shorter words
/// must be exact. Case, accents and punctuation do not matter (`amelie` finds Amélie,
/// `spider man` finds Spider-Man).
///
/// Without `sort_by`, matches rank by, in order: more words matched without a typo → fewer
/// typos → the words closer together and in the order typed → the fields matched (title,
/// then directors and stars, genres, description) → `q` is the whole title → more IMDb votes →
/// lower id. With `sort_by` they sort by it. Every filter combines with `q`; `total` is exact.
/// `search_in` restricts the fields (title, description, actors, directors, genres).
#[utoipa::path(tag = "movies", params(
    ("q" = String, Query, min_length = 1, max_length = 200, pattern = r"\S", description = "What was typed, at most 200 characters", example = "nolan incep"),
    ("search_in" = inline(Option<Vec<SearchIn>>), Query, description = "Fields to look in (default all five)"),
    MovieListParams,
), responses(
    (status = 200, description = "Matches, most relevant first", body = PageResponse<MovieListItem>),
    (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
    (status = 422, description = "No `q`, too long a `q`, or a bad parameter", body = Problem, content_type = "application/problem+json"),
))]
#[get("/movies/search/query")]
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    page(&state, &req, true, None).await
}

/// The same filters as the list (kept for compatibility).
#[utoipa::path(tag = "movies", params(
    ("q" = Option<String>, Query, max_length = 200, description = "Search as people type it (see `/movies/search/query`): every word in any field and any order, the last also a prefix, typos forgiven by length; empty means none. Ranked when there is no `sort_by`", example = "nolan incep"),
    ("search_in" = inline(Option<Vec<SearchIn>>), Query, description = "Fields `q` is looked for in (default all five)"),
    MovieListParams,
), responses(
    (status = 200, description = "A page of movies", body = PageResponse<MovieListItem>),
    (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
    (status = 422, description = "A bad filter", body = Problem, content_type = "application/problem+json"),
))]
#[get("/movies/filter/advanced")]
pub async fn filter_advanced(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    page(&state, &req, false, None).await
}

/// `limit` of the special lists.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpecialQuery {
    /// How many movies (1–50).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u64>,
}

/// The most voted movies, then the best rated.
/// `limit` defaults to 10.
#[utoipa::path(tag = "movies", params(SpecialQuery), responses(
    (status = 200, description = "Movies", body = Vec<MovieListItem>),
    (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
))]
#[get("/movies/special/trending")]
pub async fn trending(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<SpecialQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = SpecialLimit::new(query.limit, 10)?;
    let state: &AppState = &state;
    cached::answer(
        state,
        &req,
        Scope::Lists,
        "trending",
        limit.get().to_string(),
        |r: Reader| async move {
            let rows = movies::trending(&r.db, limit).await?;
            MovieListItem::with_links(rows, &state.media).await
        },
    )
    .await
}

/// The newest movies.
/// `limit` defaults to 20.
#[utoipa::path(tag = "movies", params(SpecialQuery), responses(
    (status = 200, description = "Movies", body = Vec<MovieListItem>),
    (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
))]
#[get("/movies/special/new-releases")]
pub async fn new_releases(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<SpecialQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = SpecialLimit::new(query.limit, 20)?;
    let state: &AppState = &state;
    cached::answer(
        state,
        &req,
        Scope::Lists,
        "new",
        limit.get().to_string(),
        |r: Reader| async move {
            let rows = movies::new_releases(&r.db, limit).await?;
            MovieListItem::with_links(rows, &state.media).await
        },
    )
    .await
}

/// Movies of one genre (404 only when the genre does not exist).
#[utoipa::path(tag = "movies", params(
    ("genre_id" = i64, Path),
    ("q" = Option<String>, Query, max_length = 200, description = "Search as people type it (see `/movies/search/query`): every word in any field and any order, the last also a prefix, typos forgiven by length; empty means none. Ranked when there is no `sort_by`", example = "nolan incep"),
    ("search_in" = inline(Option<Vec<SearchIn>>), Query, description = "Fields `q` is looked for in (default all five)"),
    MovieListParams,
), responses(
    (status = 200, description = "A page of movies", body = PageResponse<MovieListItem>),
    (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
    (status = 404, description = "No such genre", body = Problem, content_type = "application/problem+json"),
))]
#[get("/movies/genre/{genre_id}")]
pub async fn by_genre(
    state: web::Data<AppState>,
    req: HttpRequest,
    genre_id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    page(&state, &req, false, Some(genre_id.into_inner())).await
}

/// One movie by its UUID (signed-in callers also see their own engagement, as by id).
#[utoipa::path(tag = "movies", params(("uuid" = uuid::Uuid, Path)), security((), ("bearer" = [])), responses(
    (status = 200, description = "The movie", body = MovieDetailResponse),
    (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
    (status = 401, description = "A token was sent and is not valid", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
#[get("/movies/uuid/{uuid}")]
pub async fn by_uuid(
    MaybeAuthenticated(caller): MaybeAuthenticated,
    state: web::Data<AppState>,
    req: HttpRequest,
    uuid: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    // A UUID names one movie for its whole life: which one is cached like the catalog.
    let uuid = uuid.into_inner();
    let state: &AppState = &state;
    let id = cached::public(
        state,
        Scope::Catalog,
        "uuid",
        uuid.to_string(),
        |r: Reader| async move { Ok(movies::id_by_uuid(&r.db, &uuid).await?) },
    )
    .await?;
    let id = serde_json::from_slice(&id.body).map_err(ApiError::internal)?;
    detail_for(state, &req, caller, id).await
}

/// The public detail (cached), with the caller's own reaction, rating and favorite merged in
/// when signed in: three primary-key reads, never stored in the shared cache.
async fn detail_for(
    state: &AppState,
    req: &HttpRequest,
    caller: Option<cinema_identity::AuthUser>,
    movie_id: i64,
) -> Result<HttpResponse, ApiError> {
    let public = cached::public(
        state,
        Scope::Movie(movie_id),
        DETAIL,
        String::new(),
        |r: Reader| async move {
            let detail = movies::detail(&r.db, MovieId(movie_id)).await?;
            MovieDetailResponse::with_link(detail, &state.media).await
        },
    )
    .await?;
    let Some(caller) = caller else {
        return Ok(cached::respond(state, req, &public));
    };
    let mine = state
        .engagement
        .mine(&state.db, caller.user_id(), MovieId(movie_id))
        .await?;
    let mut detail: Map<String, Value> =
        serde_json::from_slice(&public.body).map_err(ApiError::internal)?;
    detail.insert(
        "my_reaction".into(),
        mine.reaction.map(|r| r.as_str()).into(),
    );
    detail.insert("my_rating".into(), mine.rating.into());
    detail.insert("is_favorite".into(), mine.favorite.into());
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"))
        .json(detail))
}

/// One movie. Signed-in callers (optional Bearer token) also see their own reaction, rating
/// and whether it is a favorite.
#[utoipa::path(tag = "movies", params(("id" = i64, Path)), security((), ("bearer" = [])), responses(
    (status = 200, description = "The movie", body = MovieDetailResponse),
    (status = 304, description = "Not modified: the `If-None-Match` tag is current (anonymous callers)"),
    (status = 401, description = "A token was sent and is not valid", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
#[get("/movies/{id}")]
pub async fn get(
    MaybeAuthenticated(caller): MaybeAuthenticated,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    detail_for(&state, &req, caller, id.into_inner()).await
}

/// Add a movie (moderators).
#[utoipa::path(tag = "movies", request_body = MovieCreate, security(("bearer" = [])), responses(
    (status = 201, description = "Created", body = MovieDetailResponse),
    (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "A movie with this name, year and running time exists", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields or unknown ids (named)", body = Problem, content_type = "application/problem+json"),
))]
#[post("/movies")]
pub async fn create(
    ModeratorActing(actor): ModeratorActing,
    state: web::Data<AppState>,
    json: Json<MovieCreate>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let imdb_tenths =
        parse_imdb(body.imdb).map_err(|m| ApiError::invalid(vec![FieldError::new("imdb", m)]))?;
    if let Some(error) = price_over(&state, Some(body.price)) {
        return Err(ApiError::invalid(vec![error]));
    }
    let input = MovieInput {
        name: body.name,
        year: body.year,
        time: body.time,
        imdb_tenths,
        votes: body.votes,
        meta_score: body.meta_score,
        gross: body.gross,
        description: body.description,
        price: body.price,
        certification_id: body.certification_id,
        genre_ids: body.genre_ids,
        director_ids: body.director_ids,
        star_ids: body.star_ids,
    };
    let detail = state.catalog.acting(actor).create_movie(input).await?;
    Ok(HttpResponse::Created().json(MovieDetailResponse::with_link(detail, &state.media).await?))
}

/// A price above `MAX_PRICE`, named: sums of prices must stay payable and exact.
fn price_over(state: &AppState, price: Option<Money>) -> Option<FieldError> {
    price.filter(|p| *p > state.max_price).map(|_| {
        FieldError::new(
            "price",
            format!("must be at most {} (MAX_PRICE)", state.max_price),
        )
    })
}

/// Change a movie (moderators): only sent fields change; sent id lists replace the sets.
#[utoipa::path(tag = "movies", params(("id" = i64, Path)), request_body = MoviePatchRequest, security(("bearer" = [])), responses(
    (status = 200, description = "Updated", body = MovieDetailResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Clashes with another movie's identity", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields or unknown ids", body = Problem, content_type = "application/problem+json"),
))]
#[patch("/movies/{id}")]
pub async fn update(
    // The path first: `PATCH /movies/suggest` is a 405, not a 401 (see `fallback`).
    id: web::Path<i64>,
    ModeratorActing(actor): ModeratorActing,
    state: web::Data<AppState>,
    json: Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let mut read = PatchReader::new(&body);
    let imdb = read.required::<f64>("imdb");
    let mut patch = MoviePatch {
        name: read.required("name"),
        year: read.required("year"),
        time: read.required("time"),
        imdb_tenths: None,
        votes: read.required("votes"),
        meta_score: read.nullable("meta_score"),
        gross: read.nullable::<Money>("gross"),
        description: read.required("description"),
        price: read.required::<Money>("price"),
        certification_id: read.required("certification_id"),
        genre_ids: read.required("genre_ids"),
        director_ids: read.required("director_ids"),
        star_ids: read.required("star_ids"),
    };
    if let Some(imdb) = imdb {
        match parse_imdb(imdb) {
            Ok(t) => patch.imdb_tenths = Some(t),
            Err(m) => read.errors.push(FieldError::new("imdb", m)),
        }
    }
    read.errors.extend(price_over(&state, patch.price));
    if !read.errors.is_empty() {
        return Err(ApiError::invalid(read.errors));
    }
    let detail = state
        .catalog
        .acting(actor)
        .update_movie(MovieId(id.into_inner()), patch)
        .await?;
    Ok(HttpResponse::Ok().json(MovieDetailResponse::with_link(detail, &state.media).await?))
}

/// Delete a movie (moderators). Refused while bought or in carts, unless `force=true` (which
/// also removes it from carts).
#[utoipa::path(tag = "movies", params(("id" = i64, Path), ("force" = Option<bool>, Query)), security(("bearer" = [])), responses(
    (status = 204, description = "Deleted"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Bought, or in carts", body = Problem, content_type = "application/problem+json"),
))]
#[delete("/movies/{id}")]
pub async fn delete(
    id: web::Path<i64>,
    ModeratorActing(actor): ModeratorActing,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut p = Params::parse(req.query_string());
    let force = p.value::<bool>("force", "true or false").unwrap_or(false);
    if !p.errors.is_empty() {
        return Err(ApiError::invalid(p.errors));
    }
    state
        .catalog
        .acting(actor)
        .delete_movie(MovieId(id.into_inner()), force)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
