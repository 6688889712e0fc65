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
