//! The movie list's query string: filters, search, sort and paging, each bad value named.

use actix_web::HttpRequest;
use cinema_catalog::movies::{MovieFilter, SearchField, SearchQuery, Sort, SortKey};
use cinema_kernel::{Money, page::PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{error::ApiError, page::page_request, params::Params};

/// Every filter of the movie list (documentation of what [`parse`] reads).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents the parameters that `parse` reads by hand"
)]
pub struct MovieListParams {
    /// First release year, inclusive.
    pub year_from: Option<i32>,
    /// Last release year, inclusive.
    pub year_to: Option<i32>,
    /// Lowest IMDb score, inclusive (0 is a real bound).
    pub imdb_min: Option<f64>,
    /// Highest IMDb score, inclusive (0 is a real bound).
    pub imdb_max: Option<f64>,
    /// Lowest price, inclusive, e.g. `4.99`.
    pub price_min: Option<String>,
    /// Highest price, inclusive.
    pub price_max: Option<String>,
    /// Movies in any of these genres (repeat the parameter or separate with commas).
    pub genre_ids: Option<Vec<i64>>,
    pub certification_ids: Option<Vec<i64>>,
    pub director_ids: Option<Vec<i64>>,
    pub star_ids: Option<Vec<i64>>,
    /// A phrase to search in titles, descriptions, actors and directors: its words one after
    /// another in one field, the last as a prefix; ranked by the field, then votes.
    #[param(max_length = 200, example = "haunted lighthouse")]
    pub q: Option<String>,
    /// id, name, year, time, imdb, votes, meta_score, gross, price or rating.
    pub sort_by: Option<String>,
    /// asc (default) or desc.
    pub order: Option<String>,
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub skip: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Everything a list request asks for.
#[derive(Debug)]
pub struct ListRequest {
    pub filter: MovieFilter,
    pub sort: Option<Sort>,
    pub page: PageRequest,
}

fn money(p: &mut Params, name: &str) -> Option<i64> {
    let raw = p.text(name)?;
    match raw.parse::<Money>() {
        Ok(m) => Some(m.cents()),
        Err(e) => {
            p.error(name, e.to_string());
            None
        }
    }
}

/// The longest search query accepted: a phrase, not a document.
const MAX_QUERY_CHARS: usize = 200;

/// Reads filters, `q`/`search_in`, sort and paging; `search_required` makes `q` mandatory.
pub fn parse(req: &HttpRequest, search_required: bool) -> Result<ListRequest, ApiError> {
    let mut p = Params::parse(req.query_string());
    let year_from = p.value::<i32>("year_from", "a year");
    let year_to = p.value::<i32>("year_to", "a year");
    let imdb_min = p.value::<f64>("imdb_min", "a number from 0 to 10");
    let imdb_max = p.value::<f64>("imdb_max", "a number from 0 to 10");
    let price_min = money(&mut p, "price_min");
    let price_max = money(&mut p, "price_max");
    for (name, value) in [("imdb_min", imdb_min), ("imdb_max", imdb_max)] {
        if value.is_some_and(|v| !(0.0..=10.0).contains(&v)) {
            p.error(name, "must be between 0 and 10");
        }
    }
    for (from, to, a, b) in [
        (
            "year_from",
            "year_to",
            year_from.map(f64::from),
            year_to.map(f64::from),
        ),
        ("imdb_min", "imdb_max", imdb_min, imdb_max),
        (
            "price_min",
            "price_max",
            price_min.map(|c| c as f64),
            price_max.map(|c| c as f64),
        ),
    ] {
        if let (Some(a), Some(b)) = (a, b)
            && a > b
        {
            p.error(from, format!("must not be greater than {to}"));
        }
    }
    let genre_ids = p.ids("genre_ids");
    let certification_ids = p.ids("certification_ids");
    let director_ids = p.ids("director_ids");
    let star_ids = p.ids("star_ids");

    let mut fields = Vec::new();
    for name in p.list("search_in") {
        match SearchField::parse(&name) {
            Some(f) if !fields.contains(&f) => fields.push(f),
            Some(_) => {}
            None => p.error(
                "search_in",
                format!("`{name}` is not one of title, description, actors, directors"),
            ),
        }
    }
    let q = p.text("q");
    if search_required && q.is_none() {
        p.error("q", "is required");
    }
    if q.as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
    {
        p.error("q", format!("must be at most {MAX_QUERY_CHARS} characters"));
    }
    let search = q.map(|q| SearchQuery::new(&q, &fields));

    let key = p.text("sort_by").map(|s| SortKey::parse(&s).ok_or(s));
    let key = match key {
        Some(Ok(k)) => Some(k),
        Some(Err(s)) => {
            p.error("sort_by", format!("`{s}` is not one of id, name, year, time, imdb, votes, meta_score, gross, price, rating"));
            None
        }
        None => None,
    };
    let descending = match p.text("order").as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            p.error("order", format!("must be asc or desc, not `{other}`"));
            false
        }
    };
    let skip = p.value::<u64>("skip", "a whole number ≥ 0");
    let limit = p.value::<u64>("limit", "a whole number from 1 to 100");
    if !p.errors.is_empty() {
        return Err(ApiError::invalid(p.errors));
    }
    let page = page_request(skip, limit)?;
    // Inclusive bounds in tenths: a minimum rounds up, a maximum down.
    let filter = MovieFilter {
        year_from,
        year_to,
        imdb_min_tenths: imdb_min.map(|v| (v * 10.0 - 1e-9).ceil() as i32),
        imdb_max_tenths: imdb_max.map(|v| (v * 10.0 + 1e-9).floor() as i32),
        price_min_cents: price_min,
        price_max_cents: price_max,
        genre_ids,
        certification_ids,
        director_ids,
        star_ids,
        search,
    };
    let sort = key.map(|key| Sort { key, descending }).or_else(|| {
        // `order=desc` alone sorts by id, descending.
        descending.then_some(Sort {
            key: SortKey::Id,
            descending,
        })
    });
    Ok(ListRequest { filter, sort, page })
}
