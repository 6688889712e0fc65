//! The OpenAPI document's fixed parts (info, security scheme, shared schemas) and Swagger UI.

use actix_web::{HttpResponse, http::header};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{Problem, ProblemField};

/// Swagger UI is served below this prefix; its assets are bundled into the binary.
pub const DOCS_PREFIX: &str = "/docs/";

/// Name of the Bearer scheme that protected operations refer to.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cinema API",
        description = "Browse the movie catalog, buy movies through a cart, orders and Stripe \
                       payments, and manage accounts, profiles and the catalog.\n\n\
                       Errors are `application/problem+json` bodies with `type`, `title`, \
                       `status` and `detail` (plus `errors` on 422). Protected operations need \
                       `Authorization: Bearer <access token>`.",
        license(name = "MIT"),
    ),
    components(schemas(Problem, ProblemField)),
    modifiers(&BearerScheme),
    tags(
        (name = "health", description = "Liveness and readiness probes"),
        (name = "accounts", description = "Registration, activation, sign-in, tokens, passwords, sessions"),
        (name = "profile", description = "The caller's profile"),
        (name = "users", description = "Admin: user management"),
        (name = "admin", description = "Admin: background jobs"),
        (name = "movies", description = "The catalog: lists, filters, search, detail; moderators edit"),
        (name = "genres", description = "Genres (moderators edit)"),
        (name = "directors", description = "Directors (moderators edit)"),
        (name = "stars", description = "Stars (moderators edit)"),
        (name = "certifications", description = "Age certifications (moderators edit)"),
        (name = "media", description = "Avatars, posters, videos and trailers behind signed links (local-disk storage), with byte ranges"),
        (name = "analytics", description = "Moderators and admins: sales by movie, genre and period"),
        (name = "watch", description = "Movies' videos and trailers: moderators attach them, owners play them"),
    )
)]
pub(crate) struct BaseDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".to_owned());
        http.description = Some("An access token from `POST /api/v1/accounts/login/`.".into());
        components.add_security_scheme(BEARER, SecurityScheme::Http(http));
    }
}

/// Makes every operation id unique, as OpenAPI requires and Swagger UI's "Try it out" and client
/// generators rely on (with two operations named `get`, Swagger UI sends one with the other's
/// parameters). Handlers are named for what they do within their module (`list`, `get`), so the
/// id is prefixed with the operation's tag (`movies_list`, `profile_get`); a handler serving two
/// methods (GET and HEAD) gets the method appended for all but the first.
pub(crate) fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    let mut seen = std::collections::HashSet::new();
    for item in doc.paths.paths.values_mut() {
        let operations = [
            (&mut item.get, "get"),
            (&mut item.put, "put"),
            (&mut item.post, "post"),
            (&mut item.delete, "delete"),
            (&mut item.options, "options"),
            (&mut item.head, "head"),
            (&mut item.patch, "patch"),
            (&mut item.trace, "trace"),
        ];
        for (operation, method) in operations {
            let Some(operation) = operation else { continue };
            let name = operation.operation_id.clone().unwrap_or_default();
            let tag = operation
                .tags
                .as_ref()
                .and_then(|tags| tags.first())
                .cloned()
                .unwrap_or_default();
            let mut id = format!("{tag}_{name}");
            if !seen.insert(id.clone()) {
                id = format!("{id}_{method}");
                seen.insert(id.clone());
            }
            operation.operation_id = Some(id);
        }
    }
}

pub(crate) fn swagger_ui(doc: utoipa::openapi::OpenApi) -> SwaggerUi {
    SwaggerUi::new(format!("{DOCS_PREFIX}{{_:.*}}")).url("/openapi.json", doc)
}

/// `/docs` without its slash: the UI's assets are relative, so send the browser to `/docs/`.
pub(crate) async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, DOCS_PREFIX))
        .finish()
}
