//! The movie list's query string, parsed into [`MovieListParams`] — the struct that documents
//! it — and then into a [`ListRequest`]: the catalog's `MovieFilter::new` checks the list's
//! rules (IMDb bounds, ranges that run backwards, id-list lengths); this module checks only
//! what the wire adds (types, spelling).
//! `q` and `search_in` are read by [`SearchParams`]: optional on the lists, required on search.

use actix_web::HttpRequest;
use cinema_catalog::movies::{
    MAX_IDS, MovieFilter, MovieFilterInput, SearchField, SearchQuery, Sort, SortKey,
};
use cinema_kernel::{DomainError, Money, page::PageRequest};
use utoipa::{
    IntoParams, PartialSchema, ToSchema,
    openapi::{ObjectBuilder, RefOr, Schema, Type},
};

use crate::{error::ApiError, page::page_request, params::Params};

/// The longest search query accepted: a phrase, not a document.
pub const MAX_QUERY_CHARS: usize = 200;

/// A string enum on the wire whose values are a domain type's names.
fn names_schema(description: &str, names: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(names))
        .into()
}

macro_rules! wire_names {
    ($ty:ident, $doc:literal, $names:expr) => {
        #[doc = $doc]
        #[derive(Debug)]
        pub struct $ty;

        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                names_schema($doc, $names)
            }
        }

        impl ToSchema for $ty {}
    };
}

wire_names!(SortBy, "A sort key.", SortKey::ALL.map(SortKey::as_str));
wire_names!(
    SearchIn,
    "A searchable field.",
    SearchField::ALL.map(SearchField::as_str)
);
wire_names!(SortOrder, "A sort direction.", ["asc", "desc"]);

/// Every filter, sort and paging parameter of the movie lists. Ranges are inclusive and `0` is
/// a real bound; id filters mean "any of" and never duplicate rows.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovieListParams {
    /// First release year, inclusive.
    pub year_from: Option<i32>,
    /// Last release year, inclusive (not before `year_from`).
    pub year_to: Option<i32>,
    /// Lowest IMDb score, inclusive.
    #[param(minimum = 0, maximum = 10)]
    pub imdb_min: Option<f64>,
    /// Highest IMDb score, inclusive (not below `imdb_min`).
    #[param(minimum = 0, maximum = 10)]
    pub imdb_max: Option<f64>,
    /// Lowest price, inclusive, e.g. `4.99`.
    #[param(value_type = Option<String>, pattern = r"^([0-9]{1,16}(\.[0-9]{1,2})?|\.[0-9]{1,2})$", example = "4.99")]
    pub price_min: Option<Money>,
    /// Highest price, inclusive (not below `price_min`).
    #[param(value_type = Option<String>, pattern = r"^([0-9]{1,16}(\.[0-9]{1,2})?|\.[0-9]{1,2})$", example = "19.99")]
    pub price_max: Option<Money>,
    /// Movies in any of these genres (repeat the parameter or separate ids with commas).
    #[param(max_items = 100)]
    pub genre_ids: Option<Vec<i64>>,
    /// Movies with any of these certifications.
    #[param(max_items = 100)]
    pub certification_ids: Option<Vec<i64>>,
    /// Movies by any of these directors.
    #[param(max_items = 100)]
    pub director_ids: Option<Vec<i64>>,
    /// Movies with any of these stars.
    #[param(max_items = 100)]
    pub star_ids: Option<Vec<i64>>,
    /// The order; missing values sort last, ties by id.
    #[param(value_type = Option<SortBy>, inline)]
    pub sort_by: Option<SortKey>,
    /// `asc` (default) or `desc`; `desc` alone sorts by id.
    #[param(value_type = Option<SortOrder>, inline)]
    pub order: Option<bool>,
    /// Items to skip.
    #[param(minimum = 0, maximum = 1_000_000_000, default = 0)]
    pub skip: Option<u64>,
    /// Items per page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u64>,
}

/// The search phrase and the fields it is looked for in.
#[derive(Debug, Default)]
pub struct SearchParams {
    pub q: Option<String>,
    pub search_in: Vec<SearchField>,
}

/// Everything a list request asks for.
#[derive(Debug)]
pub struct ListRequest {
    pub filter: MovieFilter,
    pub sort: Option<Sort>,
    pub page: PageRequest,
}

fn money(p: &mut Params, name: &str) -> Option<Money> {
    let raw = p.raw(name)?;
    match raw.parse::<Money>() {
        Ok(m) if raw == raw.trim() => Some(m),
        Ok(_) => {
            p.error(name, "must not have spaces around it");
            None
        }
        Err(e) => {
            p.error(name, e.to_string());
            None
        }
    }
}

fn ids(p: &mut Params, name: &str) -> Option<Vec<i64>> {
    // Counted as sent, repeats included: the bound is on the request, not on its meaning.
    if p.list(name).len() > MAX_IDS {
        p.error(name, format!("must list at most {MAX_IDS} ids"));
        return None;
    }
    p.ids(name)
}

impl MovieListParams {
    /// Reads every parameter; each bad value is named.
    pub fn parse(p: &mut Params) -> Self {
        let mut params = Self {
            year_from: p.value("year_from", "a year"),
            year_to: p.value("year_to", "a year"),
            imdb_min: p.value("imdb_min", "a number from 0 to 10"),
            imdb_max: p.value("imdb_max", "a number from 0 to 10"),
            price_min: money(p, "price_min"),
            price_max: money(p, "price_max"),
            genre_ids: ids(p, "genre_ids"),
            certification_ids: ids(p, "certification_ids"),
            director_ids: ids(p, "director_ids"),
            star_ids: ids(p, "star_ids"),
            sort_by: None,
            order: None,
            skip: p.value("skip", "a whole number ≥ 0"),
            limit: p.value("limit", "a whole number from 1 to 100"),
        };
        if let Some(raw) = p.raw("sort_by") {
            params.sort_by = SortKey::parse(&raw);
            if params.sort_by.is_none() {
                p.error(
                    "sort_by",
                    format!(
                        "`{}` is not one of id, name, year, time, imdb, votes, meta_score, gross, price, rating",
                        crate::params::shortened(&raw)
                    ),
                );
            }
        }
        params.order = match p.raw("order").as_deref() {
            None => None,
            Some("asc") => Some(false),
            Some("desc") => Some(true),
            Some(other) => {
                let other = crate::params::shortened(other);
                p.error("order", format!("must be asc or desc, not `{other}`"));
                None
            }
        };
        params
    }

    /// Builds the request; the catalog checks the filter's rules ([`MovieFilter::new`]) and
    /// every broken one is named, with `errors` (what the parameters' parsing found) first.
    /// `genre` (a route's own) replaces `genre_ids`.
    pub fn into_request(
        self,
        search: Option<SearchQuery>,
        genre: Option<i64>,
        mut errors: Vec<cinema_kernel::FieldError>,
    ) -> Result<ListRequest, ApiError> {
        let input = MovieFilterInput {
            year_from: self.year_from,
            year_to: self.year_to,
            imdb_min: self.imdb_min,
            imdb_max: self.imdb_max,
            price_min: self.price_min,
            price_max: self.price_max,
            genre_ids: genre.map_or_else(|| self.genre_ids.unwrap_or_default(), |g| vec![g]),
            certification_ids: self.certification_ids.unwrap_or_default(),
            director_ids: self.director_ids.unwrap_or_default(),
            star_ids: self.star_ids.unwrap_or_default(),
            search,
        };
        let filter = match MovieFilter::new(input) {
            Ok(filter) => Some(filter),
            Err(e) => {
                for error in e.field_errors() {
                    if !errors.iter().any(|known| known.field == error.field) {
                        errors.push(error);
                    }
                }
                None
            }
        };
        let (Some(filter), true) = (filter, errors.is_empty()) else {
            return Err(ApiError::invalid(errors));
        };
        let page = page_request(self.skip, self.limit)?;
        let descending = self.order.unwrap_or(false);
        let sort = self
            .sort_by
            .map(|key| Sort { key, descending })
            // `order=desc` alone sorts by id, descending.
            .or_else(|| {
                descending.then_some(Sort {
                    key: SortKey::Id,
                    descending,
                })
            });
        Ok(ListRequest { filter, sort, page })
    }

    /// The list's cache key: the parsed request names it exactly, so parameter order, spelling
    /// of numbers and aliases do not split the cache.
    pub fn cache_key(request: &ListRequest) -> String {
        format!(
            "{}|{}|{}.{}",
            request.filter.cache_key(),
            Sort::cache_key(request.sort),
            request.page.skip(),
            request.page.limit()
        )
    }
}

/// `q` (the last non-empty value, trimmed; `None` when there is none), its length checked:
/// at most [`MAX_QUERY_CHARS`] characters.
pub fn search_text(p: &mut Params) -> Option<String> {
    let q = p.text("q");
    if q.as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
    {
        p.error("q", format!("must be at most {MAX_QUERY_CHARS} characters"));
    }
    q
}

impl SearchParams {
    /// Reads `q` (an empty one is no search) and `search_in`.
    pub fn parse(p: &mut Params) -> Self {
        let q = search_text(p);
        let mut search_in = Vec::new();
        for name in p.list("search_in") {
            match SearchField::parse(&name) {
                Some(f) if !search_in.contains(&f) => search_in.push(f),
                Some(_) => {}
                None => p.error(
                    "search_in",
                    format!(
                        "`{}` is not one of title, description, actors, directors, genres",
                        crate::params::shortened(&name)
                    ),
                ),
            }
        }
        Self { q, search_in }
    }

    pub fn query(&self) -> Option<SearchQuery> {
        self.q
            .as_ref()
            .map(|q| SearchQuery::new(q, &self.search_in))
    }
}

/// Reads the whole query string of a list; `search_required` makes `q` mandatory; `genre` is
/// the genre a route lists.
pub fn parse(
    req: &HttpRequest,
    search_required: bool,
    genre: Option<i64>,
) -> Result<ListRequest, ApiError> {
    let mut p = Params::parse(req.query_string());
    let params = MovieListParams::parse(&mut p);
    let search = SearchParams::parse(&mut p);
    if search_required && search.q.is_none() {
        p.error("q", "is required");
    }
    params.into_request(search.query(), genre, p.errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_is_read_and_each_bad_one_named() {
        let mut p = Params::parse(
            "price_min=4.99&price_max=&genre_ids=1,2&order=desc&year_from=2000&year_to=1999",
        );
        let params = MovieListParams::parse(&mut p);
        assert_eq!(params.price_min.map(Money::cents), Some(499));
        assert_eq!(params.genre_ids, Some(vec![1, 2]));
        assert_eq!(params.order, Some(true));
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert_eq!(p.errors[0].field, "price_max");
        assert!(
            params.into_request(None, None, Vec::new()).is_err(),
            "a reversed year range"
        );
    }
}
