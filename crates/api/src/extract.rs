//! Extractor settings that route query and path failures through [`ApiError`], so a
//! malformed request gets the same problem+json body as every other error (JSON bodies are
//! read by [`crate::body::Json`]).

use actix_web::{
    HttpRequest,
    error::{PathError, QueryPayloadError},
    web,
};

use crate::{error::ApiError, fallback::RouteTable};

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req: &HttpRequest| query_error(err).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, req: &HttpRequest| {
        let table = req.app_data::<web::Data<RouteTable>>();
        match table.and_then(|t| t.static_methods(req.path())) {
            Some(methods) if !methods.contains(req.method()) => {
                RouteTable::method_not_allowed(methods).into()
            }
            _ => path_error(err).into(),
        }
    })
}

fn query_error(err: QueryPayloadError) -> ApiError {
    let message = match &err {
        QueryPayloadError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    ApiError::invalid(vec![crate::body::describe("query", &message)])
}

fn path_error(err: PathError) -> ApiError {
    let message = match &err {
        PathError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    ApiError::invalid(vec![crate::body::describe("path", &message)])
}
