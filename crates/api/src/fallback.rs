//! Answers for requests no handler took: 405 with `Allow` when the path exists under another
//! method, 404 otherwise. The table is derived from the OpenAPI document, which is itself
//! collected from the handlers, so it can never drift from the routes.

use actix_web::{HttpRequest, HttpResponse, ResponseError, dev::ResourceDef, http::Method, web};
use utoipa::openapi::OpenApi;

use crate::error::ApiError;

/// Every documented path with the methods it accepts.
#[derive(Debug)]
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl RouteTable {
    pub fn from_openapi(doc: &OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let ops = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ];
                let methods = ops
                    .into_iter()
                    .filter_map(|(m, present)| present.then_some(m))
                    .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods of a route without parameters whose path is exactly `path`: a request for
    /// it under another method may have been taken for an id by a parameterised route
    /// (`PATCH /genres/statistics` by `/genres/{id}`) and must still be a 405.
    pub(crate) fn static_methods(&self, path: &str) -> Option<&[Method]> {
        self.routes
            .iter()
            .find(|(def, _)| !def.is_prefix() && def.pattern() == Some(path))
            .map(|(_, methods)| methods.as_slice())
    }

    /// The 405 for `method` on a path that exists under other methods only.
    pub(crate) fn method_not_allowed(methods: &[Method]) -> ApiError {
        let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
        ApiError::method_not_allowed(allow.join(", "))
    }

    /// The methods the path accepts, if any route matches it.
    fn methods_for(&self, path: &str) -> Option<&[Method]> {
        self.routes
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }
}

pub async fn not_matched(req: HttpRequest, table: web::Data<RouteTable>) -> HttpResponse {
    let error = match table.methods_for(req.path()) {
        Some(methods) if !methods.is_empty() => RouteTable::method_not_allowed(methods),
        _ => ApiError::not_found(format!("No route matches {} {}.", req.method(), req.path())),
    };
    error.error_response()
}
