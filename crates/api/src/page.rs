//! The `{items, total, skip, limit}` envelope of every list, and its query parameters.

use cinema_kernel::page::{MAX_LIMIT, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

#[derive(Debug, Serialize, ToSchema)]
pub struct PageResponse<T: ToSchema> {
    pub items: Vec<T>,
    /// Exact number of matching items.
    pub total: u64,
    pub skip: u64,
    pub limit: u64,
}

impl<T: ToSchema> PageResponse<T> {
    pub fn from_page<U>(page: Page<U>, f: impl FnMut(U) -> T) -> Self {
        let page = page.map(f);
        Self {
            items: page.items,
            total: page.total,
            skip: page.skip,
            limit: page.limit,
        }
    }
}

/// `skip` (≥ 0, default 0) and `limit` (1–100, default 20).
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Items to skip.
    #[param(minimum = 0, maximum = 1_000_000_000, default = 0)]
    pub skip: Option<u64>,
    /// Items per page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u64>,
}

impl PageQuery {
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        page_request(self.skip, self.limit)
    }
}

/// Validates `skip`/`limit` from a query that also has filters. (Filters and paging share one
/// flat struct: `#[serde(flatten)]` breaks number parsing in query strings.)
pub fn page_request(skip: Option<u64>, limit: Option<u64>) -> Result<PageRequest, ApiError> {
    PageRequest::new(skip, limit, MAX_LIMIT).map_err(ApiError::invalid)
}

/// Epoch-millisecond bounds `[from, before)` of the UTC days `date_from..=date_to` of a
/// list's filter; a range that runs backwards is a 422.
pub fn day_range(
    date_from: Option<chrono::NaiveDate>,
    date_to: Option<chrono::NaiveDate>,
) -> Result<(Option<i64>, Option<i64>), ApiError> {
    if let (Some(from), Some(to)) = (date_from, date_to)
        && from > to
    {
        return Err(ApiError::invalid(vec![cinema_kernel::FieldError::new(
            "date_from",
            "must not be after date_to",
        )]));
    }
    let start_of = |day: chrono::NaiveDate| {
        day.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis())
    };
    Ok((
        date_from.map(start_of),
        date_to.and_then(|d| d.succ_opt()).map(start_of),
    ))
}
