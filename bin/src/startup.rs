//! The one boot path, used by `cinema serve` and by every black-box test: connect, migrate,
//! bind (port 0 works), then serve until asked to stop.

use secrecy::ExposeSecret as _;
use std::{
    io,
    net::{SocketAddr, TcpListener},
};

pub use actix_web::dev::ServerHandle;
use actix_web::{HttpServer, http::header::HeaderValue};
use cinema_api::{Api, AppState, metrics::MetricsExposure};
use cinema_catalog::cache::CatalogCache;
use sea_orm::{DatabaseConnection, DbErr};

use std::sync::Arc;

use cinema_identity::{Identity, session_cache::SessionCache};

use crate::{database, media, settings::Settings};

/// Stops a background task when dropped.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database {url}: {source}")]
    Database { url: String, source: DbErr },
    #[error("cannot apply database migrations: {0}")]
    Migration(DbErr),
    #[error("cannot load the e-mail templates: {0}")]
    Templates(cinema_notify::Error),
    #[error("cannot set up media storage: {0}")]
    Media(cinema_media::Error),
    #[error("cannot set up e-mail: {0}")]
    Mail(cinema_notify::Error),
    #[error("cannot set up the payment gateway: {0}")]
    Payments(cinema_billing::gateway::GatewayError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: io::Error,
    },
}

/// A built application: database open and migrated, socket bound, server ready to run.
pub struct Application {
    port: u16,
    metrics: Option<MetricsServer>,
    catalog_watch: Option<AbortOnDrop>,
    session_watch: Option<AbortOnDrop>,
    replica_monitor: Option<AbortOnDrop>,
    search_warmup: AbortOnDrop,
    db: DatabaseConnection,
    media: cinema_media::Media,
    readiness: cinema_api::Readiness,
    server: actix_web::dev::Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Notify's outbox: one template engine that every slice's e-mails go through.
pub fn outbox(settings: &Settings) -> Result<Arc<cinema_notify::JobOutbox>, cinema_notify::Error> {
    let templates = cinema_notify::Templates::new(settings.app_name.clone())?;
    Ok(Arc::new(cinema_notify::JobOutbox::new(
        templates,
        settings.clock.clone(),
    )))
}

/// The identity service, queueing its e-mails through `outbox`.
pub fn identity(settings: &Settings, outbox: Arc<cinema_notify::JobOutbox>) -> Identity {
    Identity::new(settings.identity.clone(), outbox, settings.clock.clone())
}

/// The billing service: Stripe when its key is configured, the built-in test gateway
/// (pages under `public_url`) otherwise; e-mails are queued through `outbox`.
pub fn billing(
    settings: &Settings,
    commerce: cinema_commerce::Commerce,
    outbox: Arc<cinema_notify::JobOutbox>,
    public_url: &str,
) -> Result<cinema_billing::Billing, StartupError> {
    let payments = &settings.payments;
    let gateway: Arc<dyn cinema_billing::PaymentGateway> = match &payments.stripe {
        Some(stripe) => Arc::new(
            cinema_billing::stripe::StripeGateway::new(cinema_billing::stripe::StripeConfig {
                secret_key: stripe.secret_key.clone(),
                api_base: stripe.api_base.clone(),
                success_url: stripe.success_url.clone(),
                cancel_url: stripe.cancel_url.clone(),
                timeout: stripe.timeout,
            })
            .map_err(StartupError::Payments)?,
        ),
        None => Arc::new(cinema_billing::test_gateway::TestGateway::new(public_url)),
    };
    let config = cinema_billing::BillingConfig {
        currency: payments.currency.clone(),
        webhook_secret: payments.webhook_secret.clone(),
        tolerance: cinema_billing::signature::DEFAULT_TOLERANCE,
        refund_window: payments.refund_window,
    };
    Ok(cinema_billing::Billing::new(
        config,
        settings.clock.clone(),
        commerce,
        outbox,
        gateway,
    ))
}

/// The read replicas of `DATABASE_REPLICA_URLS`, opened lazily: one that is down now is
/// skipped until it answers.
async fn replicas(settings: &Settings) -> Result<cinema_catalog::replicas::Replicas, StartupError> {
    let mut pools = Vec::new();
    for config in &settings.replicas.databases {
        let failed = |source| StartupError::Database {
            url: config.url.to_string(),
            source,
        };
        let db = cinema_kernel::db::connect_lazy(config)
            .await
            .map_err(failed)?;
        pools.push(cinema_catalog::replicas::ReplicaPools {
            name: config.url.to_string(),
            reader: cinema_catalog::replicas::Reader { db },
        });
    }
    Ok(cinema_catalog::replicas::Replicas::new(
        pools,
        settings.replicas.max_lag,
    ))
}

impl Application {
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let db = database::connect_migrated(&settings.database)
            .await
            .map_err(|e| match e {
                database::StartError::Connect(source) => StartupError::Database {
                    url: settings.database.url.to_string(),
                    source,
                },
                database::StartError::Migrate(e) => StartupError::Migration(e),
            })?;

        let addr = settings.http.addr;
        let bind_err = |source| StartupError::Bind { addr, source };
        let listener = TcpListener::bind(addr).map_err(bind_err)?;
        let port = listener.local_addr().map_err(bind_err)?.port();

        let outbox = outbox(settings).map_err(StartupError::Templates)?;
        // Who each access token belongs to, remembered for a moment; revocations are heard
        // from the database (PostgreSQL only: on SQLite every request reads its session).
        let session_cache = settings
            .session_cache
            .map_or_else(SessionCache::off, SessionCache::new);
        let session_watch = cinema_identity::session_cache::watch(&session_cache, &db)
            .map(|task| AbortOnDrop(task.abort_handle()));
        let identity = identity(settings, outbox.clone()).with_session_cache(session_cache);
        let api_url = media::listen_url(SocketAddr::new(addr.ip(), port));
        let media = media::media(settings, &api_url)
            .await
            .map_err(StartupError::Media)?;
        let commerce =
            cinema_commerce::Commerce::new(settings.commerce.clone(), settings.clock.clone());
        let public_url = settings
            .media
            .public_url
            .as_ref()
            .map_or(api_url.clone(), |u| u.as_str().to_owned());
        let catalog_cache = match &settings.catalog_cache.cache {
            Some(config) => CatalogCache::new(config),
            None => CatalogCache::off(),
        };
        // Other processes' writes, heard from the database; stopped with the server.
        let catalog_watch = cinema_catalog::cache::watch::spawn(&catalog_cache, &db)
            .map(|task| AbortOnDrop(task.abort_handle()));
        let replicas = replicas(settings).await?;
        let replica_monitor = replicas
            .spawn_monitor(db.clone())
            .map(|task| AbortOnDrop(task.abort_handle()));
        let catalog =
            cinema_catalog::Catalog::new(db.clone(), media.media.clone(), settings.clock.clone())
                .with_cache(catalog_cache.clone())
                .with_replicas(replicas)
                // Carts, pending orders and owners hold movies.
                .with_references(Arc::new(commerce.clone()));
        // The search index is built now rather than by the first search (~1 s for 100k
        // movies); searches that come first wait for this build.
        let index = catalog.search_index().clone();
        let search_warmup = AbortOnDrop(
            tokio::spawn(async move {
                if let Err(e) = index.warm().await {
                    tracing::warn!(error = %e, "cannot build the search index yet; the first search will");
                }
            })
            .abort_handle(),
        );
        let engagement = cinema_engagement::Engagement::new(
            settings.engagement.clone(),
            settings.clock.clone(),
            outbox.clone(),
        )
        .with_catalog_cache(catalog_cache);
        let billing = billing(settings, commerce.clone(), outbox, &public_url)?;
        let api = Api::new(
            AppState {
                db: db.clone(),
                identity,
                catalog,
                commerce,
                billing,
                engagement,
                media: media.media.clone(),
                clock: settings.clock.clone(),
                local_media: media.local,
                catalog_cache_control: HeaderValue::from_str(
                    &settings.catalog_cache.cache_control(),
                )
                .unwrap_or(HeaderValue::from_static("no-cache")),
                max_price: settings.max_price,
                watch: cinema_api::WatchConfig {
                    public_url: public_url.clone(),
                    page_key: cinema_api::PageKey::new(
                        settings.identity.jwt_secret.expose_secret().as_bytes(),
                    ),
                    ..settings.watch.clone()
                },
            },
            settings.api.clone(),
        );
        // PostgreSQL can go away for a moment: a probe of its own keeps readiness and the
        // fast 503s (cinema_api::readiness). SQLite is a file: readiness asks it directly.
        let readiness = match settings.database.url.backend() {
            sea_orm::DbBackend::Postgres => cinema_api::Readiness::probed(
                cinema_kernel::db::connect_probe(
                    &settings.database,
                    cinema_api::readiness::PROBE_TIMEOUT,
                )
                .await
                .map_err(|source| StartupError::Database {
                    url: settings.database.url.to_string(),
                    source,
                })?,
            ),
            _ => cinema_api::Readiness::unprobed(),
        };
        let api = api.with_readiness(readiness.clone());
        let exposure = settings.api.metrics;
        let metrics = match exposure {
            MetricsExposure::Off => None,
            _ => cinema_api::metrics::Metrics::new(db.clone(), settings.database.max_connections),
        };
        let api = match &metrics {
            Some(metrics) => api.with_metrics(metrics.clone()),
            None => api,
        };
        let metrics = match (exposure, metrics) {
            (MetricsExposure::Separate(addr), Some(metrics)) => {
                Some(MetricsServer::start(metrics, addr)?)
            }
            _ => None,
        };
        let mut server = HttpServer::new(move || cinema_api::app(api.clone()))
            .shutdown_timeout(settings.http.shutdown_timeout.as_secs())
            // Signals are handled by the caller, which also stops the worker.
            .disable_signals()
            // How long a refused request body is read and discarded before the connection
            // closes (an oversized upload is not read to its end).
            .client_disconnect_timeout(settings.http.linger);
        if let Some(workers) = settings.http.workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener).map_err(bind_err)?.run();
        if settings.jwt_secret_generated {
            tracing::warn!(
                "JWT_SECRET is not set: using a random key, so sign-ins end when this process stops; set it in production"
            );
        }
        tracing::info!(
            address = %format!("http://{}:{port}", addr.ip()),
            database = %settings.database.url,
            "listening"
        );
        Ok(Self {
            port,
            metrics,
            catalog_watch,
            session_watch,
            replica_monitor,
            search_warmup,
            db,
            media: media.media,
            readiness,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the separate metrics listener, when `METRICS_ADDR` is an address.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|m| m.port)
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The media service, for the worker's orphan sweep.
    pub fn media(&self) -> &cinema_media::Media {
        &self.media
    }

    /// The process's readiness: red while the database is away, and from `Readiness::drain` on (SIGTERM).
    pub fn readiness(&self) -> &cinema_api::Readiness {
        &self.readiness
    }

    /// A handle that stops the server gracefully (`stop(true)`).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the handle stops the server; in-flight requests finish first.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        let stopped = self.server.await;
        drop(self.catalog_watch);
        drop(self.session_watch);
        drop(self.replica_monitor);
        drop(self.search_warmup);
        if let Some(metrics) = self.metrics {
            metrics.stop().await;
        }
        stopped
    }
}

/// `/metrics` on a listen address of its own (`METRICS_ADDR=host:port`), so it need not be
/// exposed with the API; stopped with the server or worker it belongs to.
#[derive(Debug)]
pub struct MetricsServer {
    port: u16,
    handle: ServerHandle,
}

impl MetricsServer {
    /// Binds `addr` and serves `metrics` there.
    pub fn start(
        metrics: cinema_api::metrics::Metrics,
        addr: SocketAddr,
    ) -> Result<Self, StartupError> {
        let bind_err = |source| StartupError::Bind { addr, source };
        let listener = TcpListener::bind(addr).map_err(bind_err)?;
        let port = listener.local_addr().map_err(bind_err)?.port();
        let server = HttpServer::new(move || cinema_api::metrics::app(metrics.clone()))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .map_err(bind_err)?
            .run();
        let handle = server.handle();
        tokio::spawn(server);
        tracing::info!(address = %format!("http://{}:{port}/metrics", addr.ip()), "metrics listening");
        Ok(Self { port, handle })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops it, letting a scrape in progress finish.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}
