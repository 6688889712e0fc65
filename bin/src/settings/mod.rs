//! Typed settings, parsed once at startup from the environment (and an optional `.env`).
//!
//! Every variable is optional; the defaults give a working server with no configuration.
//! A bad value stops the process with a one-line message naming the variable. `.env.sample`
//! documents each variable; keep the two in step.

use std::{collections::HashMap, fmt, net::SocketAddr, str::FromStr, time::Duration};

use cinema_api::ApiConfig;
use cinema_commerce::CommerceConfig;
use cinema_identity::IdentityConfig;
use cinema_kernel::Money;
use cinema_kernel::db::{DatabaseConfig, DatabaseUrl};
use cinema_kernel::time::Clock;
use cinema_notify::{MailConfig, WorkerConfig};

mod catalog_cache;
mod http;
mod identity;
mod mail;
mod media;
mod payments;
mod replicas;
pub use catalog_cache::CatalogCacheSettings;
use http::{client_address_policy, cors_policy, watch_settings};
pub use identity::DEFAULT_FRONTEND_URL;
use identity::identity_settings;
pub(crate) use identity::random_secret;
pub use mail::{DEFAULT_MAIL_DIR, DEFAULT_MAIL_FROM};
use mail::{mail_settings, worker_settings};
pub use media::{DEFAULT_MEDIA_DIR, DEFAULT_S3_BUCKET, MediaSettings, MediaStorage};
pub use payments::{PaymentSettings, StripeSettings};
pub use replicas::ReplicaSettings;

/// Where a setting comes from: the process environment in production, a map in tests.
pub trait Source {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment. Empty values count as unset, as in most `.env` conventions.
#[derive(Debug, Clone, Copy)]
pub struct Environment;

impl Source for Environment {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Source for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }
}

/// A setting that could not be used, named by its variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {var} {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    fn new(var: &'static str, message: impl fmt::Display) -> Self {
        Self {
            var,
            message: message.to_string(),
        }
    }
}

/// The whole configuration of one process.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseConfig,
    /// Streaming replicas for public catalog reads (`DATABASE_REPLICA_URLS`).
    pub replicas: ReplicaSettings,
    pub http: HttpSettings,
    pub api: ApiConfig,
    pub log: LogSettings,
    pub mail: MailConfig,
    pub worker: WorkerConfig,
    /// The product name shown in e-mails.
    pub app_name: String,
    pub identity: IdentityConfig,
    /// How long another process's revocation of a session may go unseen here
    /// (`AUTH_CACHE_MAX_STALENESS_MS`); `None` reads the session on every request.
    pub session_cache: Option<Duration>,
    pub media: MediaSettings,
    pub commerce: CommerceConfig,
    /// The highest price a movie may have (`MAX_PRICE`).
    pub max_price: Money,
    /// Video uploads and playback links.
    pub watch: cinema_api::WatchConfig,
    pub engagement: cinema_engagement::EngagementConfig,
    pub catalog_cache: CatalogCacheSettings,
    pub payments: PaymentSettings,
    /// How often the expiry job looks for stale pending orders.
    pub order_expiry_interval: Duration,
    /// Whether `JWT_SECRET` was generated for this process (tokens die with it).
    pub jwt_secret_generated: bool,
    /// `APP_ENV=production`: demo data and the test gateway are refused.
    pub production: bool,
    /// Where every service reads "now" (the system clock; tests move a clone of it).
    pub clock: Clock,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub addr: SocketAddr,
    /// actix-web worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT.
    pub shutdown_timeout: Duration,
    /// After SIGTERM/SIGINT, how long readiness is red while requests are still served, so a
    /// balancer stops sending before the listener closes (`SHUTDOWN_DRAIN_MS`).
    pub drain: Duration,
    /// How long the rest of a refused request body is read and discarded before the connection
    /// closes; zero closes at once.
    pub linger: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `info,cinema_api=debug`.
    pub filter: String,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://cinema.db";
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8010";

impl Settings {
    /// Reads every setting from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Environment)
    }

    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let url: DatabaseUrl = parse_or(src, "DATABASE_URL", DEFAULT_DATABASE_URL)?;
        let mut database = DatabaseConfig::new(url);
        database.max_connections = parse_or(src, "DATABASE_MAX_CONNECTIONS", "10")?;
        if database.max_connections < 2 {
            return Err(ConfigError::new(
                "DATABASE_MAX_CONNECTIONS",
                "must be at least 2",
            ));
        }
        database.connect_timeout =
            Duration::from_secs(parse_or(src, "DATABASE_CONNECT_TIMEOUT_SECS", "5")?);

        let http = HttpSettings {
            addr: parse_or(src, "HTTP_ADDR", DEFAULT_HTTP_ADDR)?,
            workers: parse_opt(src, "HTTP_WORKERS")?,
            shutdown_timeout: Duration::from_secs(parse_or(src, "SHUTDOWN_TIMEOUT_SECS", "30")?),
            // Behind a balancer (production) a few of its probe intervals; at a terminal, none.
            drain: Duration::from_millis(parse_or(
                src,
                "SHUTDOWN_DRAIN_MS",
                if production(src)? { "5000" } else { "0" },
            )?),
            linger: Duration::from_millis(parse_or(src, "HTTP_LINGER_MS", "0")?),
        };
        if http.workers == Some(0) {
            return Err(ConfigError::new("HTTP_WORKERS", "must be at least 1"));
        }

        let api = ApiConfig {
            cors: cors_policy(src.get("CORS_ALLOWED_ORIGINS"))?,
            json_limit: parse_or(src, "JSON_BODY_LIMIT_BYTES", "262144")?,
            body_timeout: Duration::from_secs(parse_or(src, "BODY_READ_TIMEOUT_SECS", "30")?),
            client_addresses: client_address_policy(src)?,
            // Public while developing; in production only admins, unless chosen otherwise.
            docs: parse_or(
                src,
                "DOCS_ACCESS",
                if production(src)? { "admins" } else { "public" },
            )?,
            metrics: metrics_exposure(src)?,
        };

        let log = LogSettings {
            format: match src.get("LOG_FORMAT").as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(ConfigError::new(
                        "LOG_FORMAT",
                        format!("must be `text` or `json`, not `{other}`"),
                    ));
                }
            },
            filter: src.get("LOG_LEVEL").unwrap_or_else(|| "info".to_owned()),
        };
        tracing_subscriber::EnvFilter::try_new(&log.filter)
            .map_err(|e| ConfigError::new("LOG_LEVEL", format!("is not a valid filter ({e})")))?;

        let mail = mail_settings(src)?;
        let worker = worker_settings(src)?;
        let (identity, jwt_secret_generated) = identity_settings(src)?;
        let payments = payments::payment_settings(src, &identity.frontend_url)?;
        let media = media::media_settings(src)?;
        let catalog_cache = catalog_cache::catalog_cache_settings(src, media.config.link_ttl)?;
        let session_cache = identity::session_cache_settings(src)?;
        let pending_minutes: u64 = parse_or(src, "ORDER_PENDING_TTL_MINUTES", "30")?;
        if !(1..=7 * 24 * 60).contains(&pending_minutes) {
            return Err(ConfigError::new(
                "ORDER_PENDING_TTL_MINUTES",
                "must be between 1 and 10080 (a week)",
            ));
        }
        let max_price: Money = parse_or(src, "MAX_PRICE", "10000.00")?;
        if max_price > cinema_commerce::MAX_CHARGE {
            return Err(ConfigError::new(
                "MAX_PRICE",
                format!(
                    "must be at most {}, the most one payment can take",
                    cinema_commerce::MAX_CHARGE
                ),
            ));
        }
        let commerce = CommerceConfig {
            pending_ttl: Duration::from_secs(pending_minutes * 60),
            max_total: cinema_commerce::MAX_CHARGE,
        };
        let order_expiry_interval =
            Duration::from_secs(parse_or(src, "ORDER_EXPIRY_INTERVAL_SECS", "60")?);
        if order_expiry_interval.is_zero() {
            return Err(ConfigError::new(
                "ORDER_EXPIRY_INTERVAL_SECS",
                "must be at least 1",
            ));
        }

        let comment_limit: u32 = parse_or(src, "COMMENT_RATE_LIMIT", "10")?;
        let comment_window: u64 = parse_or(src, "COMMENT_RATE_WINDOW_SECS", "60")?;
        if comment_limit == 0 || comment_window == 0 {
            return Err(ConfigError::new(
                if comment_limit == 0 {
                    "COMMENT_RATE_LIMIT"
                } else {
                    "COMMENT_RATE_WINDOW_SECS"
                },
                "must be at least 1",
            ));
        }
        let engagement = cinema_engagement::EngagementConfig {
            comment_limit,
            comment_window: Duration::from_secs(comment_window),
            notification_mails_per_hour: parse_or(src, "NOTIFICATION_MAILS_PER_HOUR", "10")?,
        };

        let replicas = replicas::replica_settings(src, &database)?;
        Ok(Self {
            database,
            replicas,
            http,
            api,
            log,
            mail,
            worker,
            app_name: src.get("APP_NAME").unwrap_or_else(|| "Cinema".to_owned()),
            identity,
            session_cache,
            media,
            commerce,
            max_price,
            watch: watch_settings(src)?,
            engagement,
            catalog_cache,
            payments,
            order_expiry_interval,
            jwt_secret_generated,
            production: production(src)?,
            clock: Clock::system(),
        })
    }
}

/// `METRICS_ADDR`: `off`, `public` (at `/metrics` with the API) or a listen address of its
/// own; `public` in development and `off` in production unless set.
fn metrics_exposure(
    src: &impl Source,
) -> Result<cinema_api::metrics::MetricsExposure, ConfigError> {
    use cinema_api::metrics::MetricsExposure;
    let value = src.get("METRICS_ADDR");
    match value.as_deref() {
        None if production(src)? => Ok(MetricsExposure::Off),
        None | Some("public") => Ok(MetricsExposure::Public),
        Some("off") => Ok(MetricsExposure::Off),
        Some(addr) => addr.parse().map(MetricsExposure::Separate).map_err(|_| {
            ConfigError::new(
                "METRICS_ADDR",
                format!(
                    "must be `off`, `public` or an address such as 127.0.0.1:9100, not `{addr}`"
                ),
            )
        }),
    }
}

/// `APP_ENV`: `development` (the default) or `production`.
pub(crate) fn production(src: &impl Source) -> Result<bool, ConfigError> {
    match src.get("APP_ENV").as_deref() {
        None | Some("development") => Ok(false),
        Some("production") => Ok(true),
        Some(other) => Err(ConfigError::new(
            "APP_ENV",
            format!("must be `development` or `production`, not `{other}`"),
        )),
    }
}

fn parse_opt<T>(src: &impl Source, var: &'static str) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    src.get(var)
        .map(|raw| {
            raw.trim()
                .parse()
                .map_err(|e| ConfigError::new(var, format!("is invalid: {e}")))
        })
        .transpose()
}

/// An optional `http://` or `https://` URL.
pub(crate) fn http_url(
    src: &impl Source,
    var: &'static str,
) -> Result<Option<url::Url>, ConfigError> {
    match parse_opt::<url::Url>(src, var)? {
        Some(url) if !matches!(url.scheme(), "http" | "https") => {
            Err(ConfigError::new(var, "must be an http(s) URL"))
        }
        url => Ok(url),
    }
}

pub(crate) fn parse_or<T>(
    src: &impl Source,
    var: &'static str,
    default: &str,
) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    match parse_opt(src, var)? {
        Some(value) => Ok(value),
        None => default
            .parse()
            .map_err(|e| ConfigError::new(var, format!("has a bad default: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cinema_api::CorsPolicy;
    use cinema_notify::MailTransport;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_source(&map)
    }

    #[test]
    fn no_configuration_gives_sqlite_on_port_8010() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database.url.expose(), "sqlite://cinema.db");
        assert_eq!(s.http.addr.to_string(), "127.0.0.1:8010");
        assert_eq!(s.api.cors, CorsPolicy::Disabled);
        assert_eq!(s.log.format, LogFormat::Text);
        assert_eq!(s.session_cache, Some(std::time::Duration::from_secs(1)));
        let off = settings(&[("AUTH_CACHE_MAX_STALENESS_MS", "0")]).unwrap();
        assert_eq!(off.session_cache, None);
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (var, value) in [
            ("DATABASE_URL", "mysql://db/x"),
            ("DATABASE_URL", "nonsense"),
            ("DATABASE_MAX_CONNECTIONS", "many"),
            ("DATABASE_MAX_CONNECTIONS", "1"),
            ("HTTP_ADDR", "localhost"),
            ("HTTP_WORKERS", "0"),
            ("SHUTDOWN_TIMEOUT_SECS", "-1"),
            ("HTTP_LINGER_MS", "soon"),
            ("CORS_ALLOWED_ORIGINS", "https://a.example.com/path"),
            ("LOG_FORMAT", "xml"),
            ("LOG_LEVEL", "info,[bad"),
            ("MAIL_FROM", "not an address"),
            ("SMTP_URL", "ftp://mail.example.com"),
            ("SMTP_TIMEOUT_SECS", "soon"),
            ("JOB_LEASE_SECS", "0"),
            ("JOB_MAX_ATTEMPTS", "0"),
            ("JOB_POLL_INTERVAL_MS", "0"),
            ("JWT_SECRET", "too-short"),
            ("ACCESS_TOKEN_TTL_MINUTES", "60"),
            ("BCRYPT_COST", "3"),
            ("FRONTEND_URL", "ftp://x"),
            ("LOGIN_MAX_FAILURES", "many"),
            ("MEDIA_STORAGE", "ftp"),
            ("MEDIA_LINK_TTL_SECS", "0"),
            ("MEDIA_LINK_TTL_SECS", "604801"),
            ("PUBLIC_URL", "localhost:8010"),
            ("MEDIA_ORPHAN_GRACE_SECS", "-5"),
            ("MEDIA_SWEEP_INTERVAL_SECS", "0"),
            ("ORDER_PENDING_TTL_MINUTES", "0"),
            ("ORDER_PENDING_TTL_MINUTES", "10081"),
            ("ORDER_EXPIRY_INTERVAL_SECS", "0"),
            ("COMMENT_RATE_LIMIT", "0"),
            ("COMMENT_RATE_WINDOW_SECS", "0"),
            ("COMMENT_RATE_LIMIT", "many"),
            ("PAYMENT_CURRENCY", "dollars"),
            ("PAYMENT_CURRENCY", "u5d"),
            ("APP_ENV", "production"),
            ("APP_ENV", "prod"),
            ("DOCS_ACCESS", "admin"),
            ("METRICS_ADDR", "9100"),
            ("AUTH_CACHE_MAX_STALENESS_MS", "5"),
            ("AUTH_CACHE_MAX_STALENESS_MS", "60001"),
            ("AUTH_CACHE_MAX_STALENESS_MS", "-1"),
        ] {
            let err = settings(&[(var, value)]).unwrap_err();
            assert_eq!(err.var, var, "{value}");
            assert!(!err.to_string().contains('\n'));
        }
    }

    #[test]
    fn stripe_needs_its_webhook_secret_and_makes_production_possible() {
        let stripe = [
            ("STRIPE_SECRET_KEY", "sk_test_123"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_123"),
        ];
        let s = settings(&stripe).unwrap();
        let configured = s.payments.stripe.unwrap();
        assert_eq!(configured.api_base, "https://api.stripe.com");
        assert_eq!(
            configured.success_url,
            "http://localhost:3000/orders/{ORDER_ID}?payment=success"
        );
        let production = settings(&[("APP_ENV", "production"), stripe[0], stripe[1]]).unwrap();
        assert!(production.production && !s.production);
        assert_eq!(production.api.docs, cinema_api::DocsAccess::Admins);
        assert_eq!(s.api.docs, cinema_api::DocsAccess::Public);
        use cinema_api::metrics::MetricsExposure;
        assert_eq!(production.api.metrics, MetricsExposure::Off);
        assert_eq!(s.api.metrics, MetricsExposure::Public);
        let separate = settings(&[("METRICS_ADDR", "127.0.0.1:9100")]).unwrap();
        assert_eq!(
            separate.api.metrics,
            MetricsExposure::Separate("127.0.0.1:9100".parse().unwrap())
        );
        assert_eq!(s.payments.refund_window, Duration::from_secs(14 * 86_400));
        for (pairs, var) in [
            (vec![stripe[0]], "STRIPE_WEBHOOK_SECRET"),
            (
                vec![("STRIPE_SECRET_KEY", "pk_test_1"), stripe[1]],
                "STRIPE_SECRET_KEY",
            ),
            (
                vec![stripe[0], stripe[1], ("STRIPE_API_BASE", "ftp://x")],
                "STRIPE_API_BASE",
            ),
            (vec![("REFUND_WINDOW_DAYS", "-1")], "REFUND_WINDOW_DAYS"),
            (vec![("REFUND_WINDOW_DAYS", "4000")], "REFUND_WINDOW_DAYS"),
            (
                vec![("REFUND_RETRY_INTERVAL_SECS", "0")],
                "REFUND_RETRY_INTERVAL_SECS",
            ),
        ] {
            assert_eq!(settings(&pairs).unwrap_err().var, var);
        }
    }

    #[test]
    fn empty_values_count_as_unset() {
        let s = settings(&[("DATABASE_URL", ""), ("HTTP_ADDR", " ")]).unwrap();
        assert_eq!(s.http.addr.port(), 8010);
    }

    #[test]
    fn cors_takes_a_wildcard_or_a_list_of_origins() {
        let s = settings(&[("CORS_ALLOWED_ORIGINS", "*")]).unwrap();
        assert_eq!(s.api.cors, CorsPolicy::AnyOrigin);
        let s = settings(&[(
            "CORS_ALLOWED_ORIGINS",
            "https://app.example.com, http://localhost:3000/",
        )])
        .unwrap();
        assert_eq!(
            s.api.cors,
            CorsPolicy::Origins(vec![
                "https://app.example.com".into(),
                "http://localhost:3000".into()
            ])
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let s = settings(&[
            ("DATABASE_URL", "postgres://u:s3cret@h/db"),
            ("SMTP_URL", "smtps://mailer:m41lpass@smtp.example.com"),
            ("JWT_SECRET", "jwt-secret-jwt-secret-jwt-secret-42"),
        ])
        .unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(!debug.contains("m41lpass"), "{debug}");
        assert!(!debug.contains("jwt-secret"), "{debug}");
    }

    #[test]
    fn media_goes_to_local_disk_unless_s3_is_configured() {
        let s = settings(&[]).unwrap();
        assert!(matches!(s.media.storage, MediaStorage::Local { .. }));
        let err = settings(&[("MEDIA_STORAGE", "s3")]).unwrap_err();
        assert_eq!(err.var, "S3_ACCESS_KEY");
        let s = settings(&[
            ("MEDIA_STORAGE", "s3"),
            ("S3_ENDPOINT", "http://minio:9000/"),
            ("S3_ACCESS_KEY", "cinema"),
            ("S3_SECRET_KEY", "s3-s3cret-key"),
        ])
        .unwrap();
        let MediaStorage::S3(s3) = &s.media.storage else {
            panic!("not S3")
        };
        assert_eq!(s3.endpoint.as_deref(), Some("http://minio:9000"));
        assert_eq!(s3.bucket, DEFAULT_S3_BUCKET);
        assert!(s3.path_style);
        assert!(!format!("{s:?}").contains("s3-s3cret"));
        let err = settings(&[
            ("MEDIA_STORAGE", "s3"),
            ("S3_ACCESS_KEY", "a"),
            ("S3_SECRET_KEY", "b"),
            ("S3_ENDPOINT", "ftp://x"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "S3_ENDPOINT");
    }

    #[test]
    fn mail_goes_to_files_unless_smtp_is_configured() {
        let s = settings(&[]).unwrap();
        assert!(matches!(s.mail.transport, MailTransport::Files { .. }));
        let s = settings(&[("SMTP_URL", "smtp://127.0.0.1:2525?tls=required")]).unwrap();
        assert!(matches!(s.mail.transport, MailTransport::Smtp { .. }));
    }
}
