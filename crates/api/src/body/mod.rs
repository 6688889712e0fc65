//! JSON request bodies: read after the caller is authorised, and every failure described in
//! the client's terms.
//!
//! [`Json`] never fails as an extractor: it reads the body and keeps the outcome, and the
//! handler asks for it with [`Json::into_inner`]. So a handler's role extractor always decides
//! first — a user posting a bad body to a moderator route gets 403, not 422. The failures:
//! - not JSON at all (wrong content type, bad syntax) → 400; larger than allowed → 413; sent
//!   too slowly (see `middleware::body_deadline`) → 408;
//! - a string with a control character (NUL and the like; tab and line breaks are allowed in
//!   free-form text only) or a bidirectional override (U+202A–U+202E, U+2066–U+2069) → 422
//!   naming the field;
//! - an array or a scalar where an object is expected → 422;
//! - the wrong shape → 422 naming the field and the rule, without Rust type names and without
//!   echoing the input back.
//!
//! A number without a fractional part counts as an integer wherever one is expected (`3.0`
//! is the integer 3, as JSON Schema counts it).

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, error::PayloadError, http::header, web};
use cinema_kernel::{ErrorKind, FieldError};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

mod fields;

pub(crate) use fields::describe;
use fields::{check_text, display_path, integral_numbers_as_integers, struct_fields};

/// Fields whose text is free-form: they may hold tabs and line breaks.
pub const FREE_FORM_FIELDS: &[&str] = &["description", "info"];

/// A JSON body whose reading and parsing happened, successfully or not.
#[derive(Debug)]
pub struct Json<T>(Result<T, ApiError>);

impl<T> Json<T> {
    /// The parsed body, or the 4xx it earned.
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let parsed = match bytes.await {
                Ok(_) if !is_json => Err(ApiError::new(
                    ErrorKind::BadRequest,
                    "Expected a JSON body with `Content-Type: application/json`.",
                )),
                Ok(bytes) => parse(&bytes),
                Err(e) => Err(unreadable(&e)),
            };
            Ok(Json(parsed))
        })
    }
}

/// A body read whole, whatever its type (a webhook's raw bytes, a form), with the same
/// failures as [`Json`] for a body too large or too slow.
#[derive(Debug)]
pub struct RawBody(Result<web::Bytes, ApiError>);

impl RawBody {
    pub fn into_inner(self) -> Result<web::Bytes, ApiError> {
        self.0
    }
}

impl FromRequest for RawBody {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move { Ok(RawBody(bytes.await.map_err(|e| unreadable(&e)))) })
    }
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            m.type_() == mime::APPLICATION
                && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
        })
}

fn unreadable(err: &actix_web::Error) -> ApiError {
    match err.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => {
            ApiError::new(ErrorKind::TooLarge, "The body is larger than allowed.")
        }
        Some(PayloadError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
            ApiError::new(ErrorKind::Timeout, "The request body was sent too slowly.")
        }
        _ => ApiError::new(ErrorKind::BadRequest, "The request body could not be read."),
    }
}

/// Parses a JSON body into `T`, describing every failure in the client's terms.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            ErrorKind::BadRequest,
            format!(
                "Malformed JSON body (line {}, column {}).",
                e.line(),
                e.column()
            ),
        )
    })?;
    integral_numbers_as_integers(&mut value);
    from_value(value, "")
}

/// Reads a JSON value found at `at` (a field name, or `""` for the whole body) as `T`,
/// describing a failure as [`parse`] does.
pub fn from_value<T: DeserializeOwned>(value: Value, at: &str) -> Result<T, ApiError> {
    // Text is checked where it is used: in a field, or in the fields `T` reads from an object
    // (unknown fields are ignored, whatever they hold).
    let mut errors = Vec::new();
    match (&value, struct_fields::<T>()) {
        (Value::Object(map), Some(fields)) if at.is_empty() => {
            for (key, item) in map.iter().filter(|(k, _)| fields.contains(&k.as_str())) {
                check_text(item, key, &mut errors);
            }
        }
        // serde would read a struct from an array of its fields in order; the contract says
        // the body is an object.
        (_, Some(_)) if at.is_empty() => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "body",
                "must be a JSON object",
            )]));
        }
        (_, _) if !at.is_empty() => check_text(&value, at, &mut errors),
        _ => {}
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (at, display_path(&inner).as_str()) {
            ("", _) => inner,
            (at, "body") => at.to_owned(),
            (at, inner) => format!("{at}.{inner}"),
        };
        ApiError::invalid(vec![describe(&path, &e.inner().to_string())])
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[expect(dead_code, reason = "only its shape matters to these tests")]
    struct Body {
        count: u32,
        name: Option<String>,
        description: Option<String>,
        tags: Option<Vec<i64>>,
    }

    fn errors(body: &str) -> Vec<FieldError> {
        let err = parse::<Body>(body.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
        err.field_errors().to_vec()
    }

    #[test]
    fn shapes_are_described_without_type_names_or_echo() {
        let e = errors(r#"{"count": "many many many"}"#);
        assert_eq!(e[0].field, "count");
        assert_eq!(e[0].message, "must be a whole number, 0 or more");
        let e = errors(r#"{"count": 1, "tags": [1, "x"]}"#);
        assert_eq!(e[0].field, "tags[1]");
        assert_eq!(e[0].message, "must be a whole number");
        let e = errors(r#"{"name": "x"}"#);
        assert_eq!(
            (e[0].field.as_str(), e[0].message.as_str()),
            ("count", "is required")
        );
        for e in [errors(r#"{"count": -1}"#), errors(r#"[1]"#)] {
            assert!(
                !e[0].message.contains("u32") && !e[0].message.contains("struct"),
                "{e:?}"
            );
        }
    }

    #[test]
    fn control_characters_are_refused_but_free_text_keeps_its_lines() {
        let e = errors("{\"count\": 1, \"name\": \"a\\u0000b\"}");
        assert_eq!(e[0].field, "name");
        let e = errors("{\"count\": 1, \"name\": \"two\\nlines\"}");
        assert_eq!(e[0].field, "name");
        assert!(
            parse::<Body>(b"{\"count\": 1, \"description\": \"two\\nlines\\tand a tab\"}").is_ok()
        );
        let e = errors("{\"count\": 1, \"description\": \"bell\\u0007\"}");
        assert_eq!(e[0].field, "description");
        // Unknown fields are ignored, whatever they hold.
        assert!(parse::<Body>(b"{\"count\": 1, \"x\\u0001\": [\"\\u0000\"]}").is_ok());
    }

    #[test]
    fn an_integral_float_is_an_integer_and_a_fraction_is_not() {
        assert!(parse::<Body>(br#"{"count": 3.0}"#).is_ok());
        let big = br#"{"count": 1, "tags": [2251799813685247.0, -36.0, 2.251799813685247e15]}"#;
        assert!(parse::<Body>(big).is_ok(), "{:?}", parse::<Body>(big).err());
        assert_eq!(errors(r#"{"count": 3.5}"#)[0].field, "count");
    }
}

#[cfg(test)]
mod over_http {
    use actix_web::{App, HttpResponse, http::StatusCode, test, web};
    use serde::Deserialize;

    use super::Json;

    #[derive(Deserialize)]
    struct Body {
        #[expect(dead_code, reason = "only its type matters to these tests")]
        count: u32,
    }

    async fn echo(body: Json<Body>) -> Result<HttpResponse, crate::ApiError> {
        body.into_inner()?;
        Ok(HttpResponse::NoContent().finish())
    }

    async fn post(
        body: &'static str,
        content_type: &'static str,
    ) -> (StatusCode, serde_json::Value) {
        let app = test::init_service(
            App::new()
                .app_data(web::PayloadConfig::new(64))
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
        assert_eq!(body["errors"][0]["field"], "count");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("must be")
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
