//! Cinema's HTTP surface: actix-web handlers, DTOs, the problem+json error mapping, request
//! middleware and the OpenAPI document with Swagger UI.
//!
//! Entry points: [`Api::new`] gathers state and settings once; [`app`] builds the actix-web
//! `App` for each worker; [`openapi`] returns the document collected from the handlers.
//!
//! This is the only library crate that knows HTTP. Handlers stay thin: extract, call one
//! domain service, map to a DTO. Domain errors reach the client only through [`ApiError`].

mod accounts;
mod app;
pub mod audit;
pub mod auth;
mod billing;
pub mod body;
mod catalog;
pub mod client_addr;
mod commerce;
mod docs;
pub mod docs_access;
mod docs_links;
mod engagement;
pub mod error;
mod error_docs;
pub mod extract;
mod fallback;
mod health;
mod jobs;
mod media;
pub mod metrics;
pub mod middleware;
pub mod page;
mod params;
mod patch;
mod profile;
pub mod readiness;
mod users;

pub use app::{Api, ApiConfig, AppState, CorsPolicy, WatchConfig, app, openapi};
pub use docs_access::DocsAccess;
pub use error::{ApiError, Problem};
pub use media::watch_page::PageKey;
pub use readiness::Readiness;
