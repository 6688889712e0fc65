//! Extractor settings that route body, query and path failures through [`ApiError`], so a
//! malformed request gets the same problem+json body as every other error.

use actix_web::{
    HttpRequest,
    error::{JsonPayloadError, PathError, QueryPayloadError},
    web,
};
use cinema_kernel::{ErrorKind, FieldError};

use crate::{error::ApiError, fallback::RouteTable};

/// JSON bodies: syntax errors are 400, well-formed JSON of the wrong shape is 422.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req: &HttpRequest| json_error(err).into())
}

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

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::invalid(vec![FieldError::new("body", e.to_string())])
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::new(ErrorKind::BadRequest, format!("Malformed JSON body: {e}."))
        }
        JsonPayloadError::ContentType => ApiError::new(
            ErrorKind::BadRequest,
            "Expected a JSON body with `Content-Type: application/json`.",
        ),
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::new(
            ErrorKind::TooLarge,
            format!("The JSON body is larger than {limit} bytes."),
        ),
        other => ApiError::new(
            ErrorKind::BadRequest,
            format!("The request body could not be read: {other}."),
        ),
    }
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

#[cfg(test)]
mod tests {
    use actix_web::{App, HttpResponse, http::StatusCode, test, web};
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    struct Body {
        #[expect(dead_code, reason = "only its type matters to these tests")]
        count: u32,
    }

    async fn echo(_: web::Json<Body>) -> HttpResponse {
        HttpResponse::NoContent().finish()
    }

    async fn post(
        body: &'static str,
        content_type: &'static str,
    ) -> (StatusCode, serde_json::Value) {
        let app = test::init_service(
            App::new()
                .app_data(json_config(64))
                .route("/", web::post().to(echo)),
        )
        .await;
        let req = test::TestRequest::post()
            .uri("/")
            .insert_header(("content-type", content_type))
            .set_payload(body)
            .to_request();
        let resp = test::call_service(&app, req).await;
        let status = resp.status();
        if status.is_success() {
            return (status, serde_json::Value::Null);
        }
        assert_eq!(
            resp.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
        (status, test::read_body_json(resp).await)
    }

    #[actix_web::test]
    async fn malformed_json_is_a_bad_request() {
        let (status, body) = post("{\"count\": ", "application/json").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .starts_with("Malformed JSON")
        );
    }

    #[actix_web::test]
    async fn a_wrong_type_is_unprocessable_and_says_why() {
        let (status, body) = post("{\"count\": \"many\"}", "application/json").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("invalid type")
        );
    }

    #[actix_web::test]
    async fn a_body_over_the_limit_is_too_large() {
        let (status, _) = post(
            "{\"count\": 1, \"padding\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
            "application/json",
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[actix_web::test]
    async fn a_non_json_content_type_is_refused() {
        let (status, _) = post("count=1", "application/x-www-form-urlencoded").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}
