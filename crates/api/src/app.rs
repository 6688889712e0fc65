//! Assembles the actix-web `App`: state, extractor settings, middleware, routes, docs and the
//! fallback. The binary calls [`app`] once per worker thread.

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::{
    App, Error,
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    http::header,
    middleware::{Compress, Condition, from_fn},
    web,
};
use sea_orm::DatabaseConnection;
use utoipa::OpenApi as _;
use utoipa_actix_web::{AppExt, service_config::ServiceConfig};

use crate::{
    accounts, docs, extract, fallback::RouteTable, health, jobs, media, middleware, profile, users,
};

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub identity: cinema_identity::Identity,
    /// Movies and taxonomy, with the read cache of public answers (see
    /// `cinema_catalog::cache`; off caches nothing), its search index and commerce
    /// asked before a movie is deleted. Its writes apply their change to the cache themselves.
    pub catalog: cinema_catalog::Catalog,
    /// Carts, orders and the library.
    pub commerce: cinema_commerce::Commerce,
    /// Payments and their webhooks.
    pub billing: cinema_billing::Billing,
    /// Reactions, ratings, favorites, comments, notifications.
    pub engagement: cinema_engagement::Engagement,
    /// Avatars and posters.
    pub media: cinema_media::Media,
    /// Where "now" comes from; tests move it.
    pub clock: cinema_kernel::time::Clock,
    /// The local-disk store when it is the one in use: its signed links are served here.
    pub local_media: Option<Arc<cinema_media::LocalStore>>,
    /// The `Cache-Control` of public catalog answers.
    pub catalog_cache_control: actix_web::http::header::HeaderValue,
    /// The highest price a moderator may set (`MAX_PRICE`).
    pub max_price: cinema_kernel::Money,
    /// Video uploads and playback links.
    pub watch: WatchConfig,
}

/// Video uploads and playback.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// Largest video or trailer upload, in bytes (`VIDEO_MAX_BYTES`).
    pub video_limit: u64,
    /// How long a playback link lives (`PLAYBACK_LINK_TTL_SECS`).
    pub playback_ttl: std::time::Duration,
    /// Where uploads are spooled before they go to the store (`UPLOAD_SPOOL_DIR`).
    pub spool_dir: std::path::PathBuf,
    /// How clients reach this server (`MEDIA_PUBLIC_URL`, or the listen address): the watch
    /// page's links start with it.
    pub public_url: String,
    /// Signs watch-page links.
    pub page_key: crate::media::watch_page::PageKey,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            video_limit: 4 * 1024 * 1024 * 1024,
            playback_ttl: std::time::Duration::from_secs(3600),
            spool_dir: std::env::temp_dir().join("cinema-uploads"),
            public_url: "http://127.0.0.1:8010".to_owned(),
            page_key: crate::media::watch_page::PageKey::random(),
        }
    }
}

/// Which browser origins may call the API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CorsPolicy {
    /// No CORS headers: only same-origin browsers and non-browser clients.
    #[default]
    Disabled,
    /// Any origin (`*`), without credentials.
    AnyOrigin,
    /// These exact origins, e.g. `https://app.example.com`.
    Origins(Vec<String>),
}

/// HTTP-level settings.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub cors: CorsPolicy,
    /// Largest accepted JSON body, in bytes.
    pub json_limit: usize,
    /// How long a request body may take to arrive in full (then 408).
    pub body_timeout: std::time::Duration,
    /// Whose forwarded headers decide the client address, and how IPv6 clients are grouped.
    pub client_addresses: crate::client_addr::ClientAddressPolicy,
    /// Who may read `/docs/` and `/openapi.json` (`DOCS_ACCESS`).
    pub docs: crate::DocsAccess,
    /// Where `/metrics` is served (`METRICS_ADDR`).
    pub metrics: crate::metrics::MetricsExposure,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            cors: CorsPolicy::Disabled,
            json_limit: 256 * 1024,
            body_timeout: std::time::Duration::from_secs(30),
            client_addresses: crate::client_addr::ClientAddressPolicy::default(),
            docs: crate::DocsAccess::Public,
            metrics: crate::metrics::MetricsExposure::Off,
        }
    }
}

/// Everything the app factory needs, built once and shared by every worker.
#[derive(Clone)]
pub struct Api {
    state: web::Data<AppState>,
    config: ApiConfig,
    doc: utoipa::openapi::OpenApi,
    routes: web::Data<RouteTable>,
    docs: web::Data<crate::docs_access::DocsGate>,
    metrics: Option<web::Data<crate::metrics::Metrics>>,
    readiness: web::Data<crate::readiness::Readiness>,
}

impl Api {
    pub fn new(state: AppState, config: ApiConfig) -> Self {
        let doc = openapi();
        let routes = web::Data::from(Arc::new(RouteTable::from_openapi(&doc)));
        Self {
            state: web::Data::new(state),
            docs: web::Data::new(crate::docs_access::DocsGate::new(config.docs)),
            config,
            doc,
            routes,
            metrics: None,
            readiness: web::Data::new(crate::readiness::Readiness::unprobed()),
        }
    }

    /// Serves `metrics` at `/metrics` on the API's address when the exposure is
    /// [`MetricsExposure::Public`](crate::metrics::MetricsExposure::Public).
    #[must_use]
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.metrics = Some(web::Data::new(metrics));
        self
    }

    /// Readiness kept by `readiness` (a probe of the database, and draining at shutdown)
    /// instead of asking the database on each probe; see [`crate::readiness`].
    #[must_use]
    pub fn with_readiness(mut self, readiness: crate::readiness::Readiness) -> Self {
        self.readiness = web::Data::new(readiness);
        self
    }
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The routes of the service, registered so their OpenAPI operations are collected.
fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::health)
        .service(health::ready)
        .service(media::serve::download)
        .service(media::serve::receive)
        .service(media::watch_page::page)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .service(accounts::register)
                .service(accounts::activate)
                .service(accounts::resend_activation)
                .service(accounts::login)
                .service(accounts::refresh)
                .service(accounts::logout)
                .service(accounts::me)
                .service(accounts::change_password)
                .service(accounts::request_password_reset)
                .service(accounts::complete_password_reset)
                .service(accounts::sessions)
                .service(accounts::revoke_session)
                .service(profile::get)
                .service(profile::replace)
                .service(profile::update)
                .service(media::avatar::upload)
                .service(media::avatar::remove)
                .service(users::list)
                .service(users::get)
                .service(users::update)
                .service(jobs::list)
                .service(jobs::get)
                .service(jobs::retry)
                .configure(catalog_routes)
                .configure(commerce_routes),
        );
}

fn commerce_routes(cfg: &mut ServiceConfig) {
    use crate::commerce::{cart, library, orders};
    cfg.service(cart::get)
        .service(cart::clear)
        .service(cart::total)
        .service(cart::add)
        .service(cart::remove)
        .service(cart::of_user)
        // `/orders/all` before `/orders/{id}`, so it is not read as an id.
        .service(orders::all)
        .service(orders::place)
        .service(orders::list)
        .service(orders::get)
        .service(orders::cancel)
        .service(orders::set_status)
        .service(crate::billing::checkout)
        .service(crate::billing::payment_status)
        .service(library::list)
        .service(library::record_progress)
        .service(crate::media::video::play)
        .service(crate::billing::webhook)
        .service(crate::billing::test_gateway_page)
        .service(crate::billing::test_gateway_act)
        .service(crate::billing::payments::list)
        .service(crate::billing::payments::all)
        .service(crate::billing::analytics::sales)
        .service(crate::audit::list)
        .service(crate::billing::payments::intent)
        .service(crate::billing::payments::refund)
        .service(crate::engagement::movies::like)
        .service(crate::engagement::movies::dislike)
        .service(crate::engagement::movies::unreact)
        .service(crate::engagement::movies::rate)
        .service(crate::engagement::movies::unrate)
        .service(crate::engagement::movies::favorite)
        .service(crate::engagement::movies::unfavorite)
        .service(crate::engagement::movies::favorites)
        .service(crate::engagement::comments::list)
        .service(crate::engagement::comments::create)
        .service(crate::engagement::comments::reply)
        .service(crate::engagement::comments::replies)
        .service(crate::engagement::comments::remove)
        .service(crate::engagement::comments::like)
        .service(crate::engagement::comments::unlike)
        .service(crate::engagement::notifications::list)
        .service(crate::engagement::notifications::read_all)
        .service(crate::engagement::notifications::read);
}

fn catalog_routes(cfg: &mut ServiceConfig) {
    use crate::catalog::{movies, taxonomy};
    // The fixed paths come before `/movies/{id}` so they are not read as ids.
    cfg.service(movies::search)
        .service(crate::catalog::suggest::suggest)
        .service(movies::filter_advanced)
        .service(movies::trending)
        .service(movies::new_releases)
        .service(movies::by_genre)
        .service(movies::by_uuid)
        .service(movies::list)
        .service(movies::create)
        .service(movies::get)
        .service(movies::update)
        .service(movies::delete)
        .service(crate::media::poster::upload)
        .service(crate::media::poster::remove)
        .service(crate::media::video::upload_video)
        .service(crate::media::video::remove_video)
        .service(crate::media::video::upload_trailer)
        .service(crate::media::video::remove_trailer)
        .service(crate::media::video::trailer)
        .service(crate::media::video::video_upload_url)
        .service(crate::media::video::complete_video)
        .service(crate::media::video::trailer_upload_url)
        .service(crate::media::video::complete_trailer)
        .service(taxonomy::statistics::genres);
    macro_rules! resource {
        ($m:ident) => {
            cfg.service(taxonomy::$m::list)
                .service(taxonomy::$m::create)
                .service(taxonomy::$m::get)
                .service(taxonomy::$m::update)
                .service(taxonomy::$m::delete);
        };
    }
    resource!(genres);
    resource!(directors);
    resource!(stars);
    resource!(certifications);
}

/// The OpenAPI 3.1 document, collected from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(docs::BaseDoc::openapi())
        .configure(routes)
        .split_for_parts();
    crate::error_docs::apply(&mut doc);
    docs::unique_operation_ids(&mut doc);
    crate::docs_links::add_purchase_links(&mut doc);
    doc
}

/// Builds the application for one worker.
pub fn app(
    api: Api,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(api.state)
        .app_data(api.routes)
        .app_data(api.docs)
        .app_data(api.readiness)
        // The limit of JSON bodies, which `body::Json` reads as bytes.
        .app_data(web::PayloadConfig::new(api.config.json_limit))
        .app_data(middleware::BodyTimeout(api.config.body_timeout))
        .app_data(web::Data::new(api.config.client_addresses.clone()))
        .app_data(extract::query_config())
        .app_data(extract::path_config())
        .into_utoipa_app()
        .configure(routes)
        .into_app()
        .service(docs::swagger_ui(api.doc))
        .route("/docs", web::get().to(docs::docs_redirect))
        .configure(|cfg| {
            if let (crate::metrics::MetricsExposure::Public, Some(metrics)) =
                (api.config.metrics, api.metrics)
            {
                cfg.app_data(metrics)
                    .route("/metrics", web::get().to(crate::metrics::scrape));
            }
        })
        .default_service(web::to(crate::fallback::not_matched))
        .wrap(Compress::default())
        .wrap(Condition::new(
            api.config.cors != CorsPolicy::Disabled,
            cors(&api.config.cors),
        ))
        .wrap(from_fn(middleware::trim_trailing_slash))
        .wrap(from_fn(crate::readiness::gate))
        .wrap(from_fn(middleware::body_deadline))
        .wrap(from_fn(middleware::plain_query))
        // Inside the request span: the gate's sign-in checks use the client address.
        .wrap(from_fn(crate::docs_access::docs_access))
        .wrap(from_fn(middleware::security_headers))
        .wrap(from_fn(middleware::request_span))
}

fn cors(policy: &CorsPolicy) -> Cors {
    let base = Cors::default()
        .allow_any_method()
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            middleware::REQUEST_ID_HEADER,
        ])
        .expose_headers([middleware::REQUEST_ID_HEADER, header::RETRY_AFTER])
        .max_age(3600);
    match policy {
        CorsPolicy::Disabled => base,
        CorsPolicy::AnyOrigin => base.allow_any_origin().send_wildcard(),
        CorsPolicy::Origins(origins) => origins
            .iter()
            .fold(base, |cors, origin| cors.allowed_origin(origin)),
    }
}
