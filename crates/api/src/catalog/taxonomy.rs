//! The four taxonomy resources, one set of handlers each (generated: they differ only in
//! their path, table and tag).

use crate::body::Json;
use actix_web::{HttpRequest, HttpResponse};
use cinema_catalog::{Taxonomy, cache::Scope, replicas::Reader, taxonomy};
use cinema_kernel::audit::Actor;

use super::cached;
use super::dto::{CertificationName, GenreName, NameRequest, NamedResponse, PersonName};
use crate::{
    AppState,
    error::{ApiError, Problem},
    page::{PageResponse, page_request},
};

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct NameQuery {
    /// Part of the name (case-insensitive, literal).
    pub name: Option<String>,
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub skip: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

async fn list(
    state: &AppState,
    req: &HttpRequest,
    kind: Taxonomy,
    query: &NameQuery,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.skip, query.limit)?;
    // The name filter is free text: its length goes first, so no name can pass for another key.
    let name = query
        .name
        .as_deref()
        .map_or(String::new(), |n| format!("{}:{n}", n.len()));
    let key = format!("{}|{name}|{}.{}", kind.table(), page.skip(), page.limit());
    cached::answer(
        state,
        req,
        Scope::Catalog,
        "taxonomy",
        key,
        |r: Reader| async move {
            let found = taxonomy::list(&r.db, kind, query.name.as_deref(), page).await?;
            Ok(PageResponse::from_page(found, NamedResponse::from))
        },
    )
    .await
}

async fn get(
    state: &AppState,
    req: &HttpRequest,
    kind: Taxonomy,
    id: i64,
) -> Result<HttpResponse, ApiError> {
    let key = format!("{}|{id}", kind.table());
    cached::answer(
        state,
        req,
        Scope::Catalog,
        "taxonomy-entry",
        key,
        |r: Reader| async move { Ok(NamedResponse::from(taxonomy::get(&r.db, kind, id).await?)) },
    )
    .await
}

async fn create(
    state: &AppState,
    actor: Actor,
    kind: Taxonomy,
    body: &impl NameRequest,
) -> Result<HttpResponse, ApiError> {
    let created = state
        .catalog
        .acting(actor)
        .create_name(kind, body.name())
        .await?;
    Ok(HttpResponse::Created().json(NamedResponse::from(created)))
}

async fn rename(
    state: &AppState,
    actor: Actor,
    kind: Taxonomy,
    id: i64,
    body: &impl NameRequest,
) -> Result<HttpResponse, ApiError> {
    let renamed = state
        .catalog
        .acting(actor)
        .rename(kind, id, body.name())
        .await?;
    Ok(HttpResponse::Ok().json(NamedResponse::from(renamed)))
}

async fn delete(
    state: &AppState,
    actor: Actor,
    kind: Taxonomy,
    id: i64,
) -> Result<HttpResponse, ApiError> {
    let deleted = state.catalog.acting(actor).delete_name(kind, id).await?;
    Ok(HttpResponse::Ok().json(NamedResponse::from(deleted)))
}

macro_rules! taxonomy_resource {
    ($module:ident, $path:literal, $id_path:literal, $kind:expr, $tag:literal, $body:ident) => {
        pub mod $module {
            use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

            use super::*;
            use crate::audit::ModeratorActing;

            /// Entries by name, paginated.
            #[utoipa::path(tag = $tag, params(NameQuery), responses(
                (status = 200, description = "A page, by name", body = PageResponse<NamedResponse>),
                (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
                (status = 422, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
            ))]
            #[get($path)]
            pub async fn list(state: web::Data<AppState>, req: HttpRequest, query: web::Query<NameQuery>) -> Result<HttpResponse, ApiError> {
                super::list(&state, &req, $kind, &query).await
            }

            /// One entry.
            #[utoipa::path(tag = $tag, params(("id" = i64, Path)), responses(
                (status = 200, description = "The entry", body = NamedResponse),
                (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
                (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
            ))]
            #[get($id_path)]
            pub async fn get(state: web::Data<AppState>, req: HttpRequest, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
                super::get(&state, &req, $kind, id.into_inner()).await
            }

            /// Add an entry (moderators).
            #[utoipa::path(tag = $tag, request_body = $body, security(("bearer" = [])), responses(
                (status = 201, description = "Created", body = NamedResponse),
                (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "The name exists (any letter case)", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "Empty or too long name", body = Problem, content_type = "application/problem+json"),
            ))]
            #[post($path)]
            pub async fn create(ModeratorActing(actor): ModeratorActing, state: web::Data<AppState>, json: Json<$body>) -> Result<HttpResponse, ApiError> {
                let body = json.into_inner()?;
                super::create(&state, actor, $kind, &body).await
            }

            /// Rename an entry (moderators).
            #[utoipa::path(tag = $tag, params(("id" = i64, Path)), request_body = $body, security(("bearer" = [])), responses(
                (status = 200, description = "Renamed", body = NamedResponse),
                (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "The name exists (any letter case)", body = Problem, content_type = "application/problem+json"),
            ))]
            #[patch($id_path)]
            pub async fn update(id: web::Path<i64>, ModeratorActing(actor): ModeratorActing, state: web::Data<AppState>, json: Json<$body>) -> Result<HttpResponse, ApiError> {
                let body = json.into_inner()?;
                super::rename(&state, actor, $kind, id.into_inner(), &body).await
            }

            /// Delete an entry and answer with it (moderators).
            #[utoipa::path(tag = $tag, params(("id" = i64, Path)), security(("bearer" = [])), responses(
                (status = 200, description = "Deleted", body = NamedResponse),
                (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "A certification still used by movies", body = Problem, content_type = "application/problem+json"),
            ))]
            #[delete($id_path)]
            pub async fn delete(id: web::Path<i64>, ModeratorActing(actor): ModeratorActing, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
                super::delete(&state, actor, $kind, id.into_inner()).await
            }
        }
    };
}

taxonomy_resource!(
    genres,
    "/genres",
    "/genres/{id}",
    Taxonomy::Genres,
    "genres",
    GenreName
);
taxonomy_resource!(
    directors,
    "/directors",
    "/directors/{id}",
    Taxonomy::Directors,
    "directors",
    PersonName
);
taxonomy_resource!(
    stars,
    "/stars",
    "/stars/{id}",
    Taxonomy::Stars,
    "stars",
    PersonName
);
taxonomy_resource!(
    certifications,
    "/certifications",
    "/certifications/{id}",
    Taxonomy::Certifications,
    "certifications",
    CertificationName
);

pub mod statistics {
    use actix_web::{HttpRequest, HttpResponse, get, web};
    use cinema_catalog::{cache::Scope, taxonomy};

    use crate::{
        AppState,
        catalog::{cached, dto::GenreStatistics},
        error::ApiError,
    };

    /// Every genre with its number of movies, by name.
    #[utoipa::path(tag = "genres", responses(
        (status = 200, description = "Genres with counts", body = Vec<GenreStatistics>),
        (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
    ))]
    #[get("/genres/statistics")]
    pub async fn genres(
        state: web::Data<AppState>,
        req: HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        cached::answer(
            &state,
            &req,
            Scope::Catalog,
            "genre-statistics",
            String::new(),
            |r: cinema_catalog::replicas::Reader| async move {
                let stats = taxonomy::genre_statistics(&r.db).await?;
                Ok(stats
                    .into_iter()
                    .map(GenreStatistics::from)
                    .collect::<Vec<_>>())
            },
        )
        .await
    }
}
