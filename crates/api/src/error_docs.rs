//! One error vocabulary for the whole OpenAPI document: shared problem+json responses under
//! `components.responses`, and the rules that decide which of them each operation can answer.
//! Applied to the document after the handlers' own annotations, so no handler can forget one:
//!
//! - an operation that needs a token can answer 401, and 403 (a role it lacks, or an inactive
//!   account);
//! - a path with an id can answer 404;
//! - an operation with parameters or a body can answer 422 (a bad value, named);
//! - an operation with a body can answer 400 (malformed JSON), 408 (sent too slowly) and 413
//!   (too large);
//! - every `/api` operation can answer 503 (the database or another dependency is down).
//!
//! A handler's own description of a status wins; these only fill what is missing. Partial-update
//! bodies are also stated as "at least one known field" (`anyOf` of one-field requirements).

use utoipa::openapi::{
    ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder, Schema,
    header::HeaderBuilder,
    path::{Operation, PathItem},
    schema::{AnyOfBuilder, Object, SchemaType, Type},
};

/// Text without control characters: what single-line fields and query values accept.
const SINGLE_LINE: &str = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$";
/// Free-form text (`body::FREE_FORM_FIELDS`): tabs and line breaks allowed.
const FREE_FORM: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$";
/// A name: single-line, and not only white space.
const NAME: &str = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\xad\u034f\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\u3164\uffa0][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$";

/// Bodies of partial updates: all fields optional, but at least one known field must be sent
/// (unknown fields are ignored, so `{}` and `{"nickname": 1}` alike change nothing: 400/422).
const AT_LEAST_ONE_FIELD: &[&str] = &["ProfileRequest", "UserPatch", "MoviePatchRequest"];

/// The shared responses: (status, component name, description).
const SHARED: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "The request is malformed (e.g. invalid JSON) or breaks a rule of the operation",
    ),
    (
        "401",
        "Unauthorized",
        "No valid access token: send `Authorization: Bearer <access token>`",
    ),
    (
        "403",
        "Forbidden",
        "The token is valid but its account lacks the role, or is inactive",
    ),
    ("404", "NotFound", "Nothing exists at this id"),
    (
        "408",
        "Timeout",
        "The body was sent too slowly and was cut off",
    ),
    ("413", "TooLarge", "The body is larger than allowed"),
    (
        "422",
        "Invalid",
        "A parameter or field is invalid; `errors` names each one",
    ),
    (
        "503",
        "Unavailable",
        "A dependency (database, storage, mail, payment provider) is unavailable; nothing \
         changed. `Retry-After` says when to try again",
    ),
];

/// Adds the shared responses and fills each operation's missing ones by the rules above.
pub(crate) fn apply(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (_, name, description) in SHARED {
        let content = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build();
        let mut response = ResponseBuilder::new()
            .description(*description)
            .content("application/problem+json", content);
        if *name == "Unavailable" {
            response = response.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(Some(Object::with_type(Type::Integer)))
                    .description(Some("Seconds after which to try again"))
                    .build(),
            );
        }
        components
            .responses
            .insert((*name).to_owned(), RefOr::T(response.build()));
    }
    // Text rules: what `body::Json` and the query check refuse is stated in every pattern.
    let request_schemas = request_schema_names(doc);
    let components = doc.components.get_or_insert_with(Default::default);
    for name in &request_schemas {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
            for (field, property) in object.properties.iter_mut() {
                if let RefOr::T(Schema::Object(text)) = property {
                    state_text_rule(text, field);
                }
            }
        }
    }
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            for param in op.parameters.iter_mut().flatten() {
                if let RefOr::T(param) = param
                    && let Some(RefOr::T(Schema::Object(text))) = param.schema.as_mut()
                {
                    state_text_rule(text, &param.name);
                }
            }
        }
    }
    let components = doc.components.get_or_insert_with(Default::default);
    // Every e-mail a request carries follows identity's rule for addresses.
    for (name, schema) in components.schemas.iter_mut() {
        if let (true, RefOr::T(Schema::Object(object))) = (name.ends_with("Request"), schema)
            && let Some(RefOr::T(Schema::Object(email))) = object.properties.get_mut("email")
        {
            email.pattern = Some(cinema_identity::EMAIL_PATTERN.to_owned());
            email.max_length = Some(cinema_identity::EMAIL_MAX_LEN);
        }
    }
    for name in AT_LEAST_ONE_FIELD {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get(*name) {
            let any_of = at_least_one_of(object);
            components
                .schemas
                .insert((*name).to_owned(), RefOr::T(Schema::AnyOf(any_of)));
        }
    }
    for (path, item) in &mut doc.paths.paths {
        let path_has_id = path.contains('{');
        let api = path.starts_with("/api/");
        for op in operations(item) {
            fill(op, path_has_id, api);
        }
    }
}

fn fill(op: &mut Operation, path_has_id: bool, api: bool) {
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_body = op.request_body.is_some();
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut wanted = Vec::new();
    if secured {
        wanted.extend(["401", "403"]);
    }
    if path_has_id {
        wanted.push("404");
    }
    if has_params || has_body || path_has_id {
        wanted.push("422");
    }
    if has_body {
        wanted.extend(["400", "408", "413"]);
    }
    if api {
        wanted.push("503");
    }
    for status in wanted {
        if let Some((_, name, _)) = SHARED.iter().find(|(s, _, _)| *s == status) {
            op.responses
                .responses
                .entry(status.to_owned())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
        }
    }
}

/// The object as `anyOf` its variants, each requiring one of its properties.
fn at_least_one_of(object: &Object) -> utoipa::openapi::schema::AnyOf {
    let mut builder = AnyOfBuilder::new()
        .description(object.description.clone())
        .examples(object.example.clone());
    for key in object.properties.keys() {
        let mut variant = object.clone();
        variant.required = vec![key.clone()];
        variant.description = None;
        variant.example = None;
        builder = builder.item(Schema::Object(variant));
    }
    builder.build()
}

/// The component schemas request bodies refer to.
fn request_schema_names(doc: &OpenApi) -> Vec<String> {
    let mut names = Vec::new();
    for item in doc.paths.paths.values() {
        for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
            .into_iter()
            .flatten()
        {
            let Some(RefOr::T(body)) = &op.request_body else {
                continue;
            };
            for content in body.content.values() {
                if let RefOr::T(content) = content
                    && let Some(RefOr::Ref(r)) = &content.schema
                    && let Some(name) = r.ref_location.strip_prefix("#/components/schemas/")
                {
                    names.push(name.to_owned());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// States the text rule of a string schema without a rule of its own (a format, an enum or
/// a pattern other than "not blank").
fn state_text_rule(text: &mut Object, field: &str) {
    let is_string = match &text.schema_type {
        SchemaType::Type(Type::String) => true,
        SchemaType::Array(types) => types.contains(&Type::String),
        _ => false,
    };
    if !is_string || text.format.is_some() || text.enum_values.is_some() {
        return;
    }
    text.pattern = match text.pattern.as_deref() {
        None if crate::body::FREE_FORM_FIELDS.contains(&field) => Some(FREE_FORM.to_owned()),
        None => Some(SINGLE_LINE.to_owned()),
        Some(r"\S") => Some(NAME.to_owned()),
        Some(_) => return,
    };
}

/// The operations of a path item.
pub(crate) fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.head,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}
