//! Offset pagination shared by every list endpoint.

use serde::Serialize;

use crate::FieldError;

/// Default and largest page sizes from the product contract.
pub const DEFAULT_LIMIT: u64 = 20;
/// The largest page any list serves.
pub const MAX_LIMIT: u64 = 100;
/// The largest `skip`: far beyond any list, and small enough for every SQL driver (an offset
/// above `i64::MAX` panics inside the driver).
pub const MAX_SKIP: u64 = 1_000_000_000;

/// A validated `skip`/`limit` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    skip: u64,
    limit: u64,
}

impl PageRequest {
    /// Checks the bounds (`limit` in `1..=max_limit`); a missing value takes its default.
    pub fn new(
        skip: Option<u64>,
        limit: Option<u64>,
        max_limit: u64,
    ) -> Result<Self, Vec<FieldError>> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT.min(max_limit));
        if limit == 0 || limit > max_limit {
            return Err(vec![FieldError::new(
                "limit",
                format!("must be between 1 and {max_limit}"),
            )]);
        }
        let skip = skip.unwrap_or(0);
        if skip > MAX_SKIP {
            return Err(vec![FieldError::new(
                "skip",
                format!("must be between 0 and {MAX_SKIP}"),
            )]);
        }
        Ok(Self { skip, limit })
    }

    /// Items skipped before the page.
    pub fn skip(&self) -> u64 {
        self.skip
    }

    /// Items on the page at most.
    pub fn limit(&self) -> u64 {
        self.limit
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            skip: 0,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// One page of results with the exact total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// How many items match, across every page.
    pub total: u64,
    /// Items skipped before this page.
    pub skip: u64,
    /// The page size asked for.
    pub limit: u64,
}

impl<T> Page<T> {
    /// A page of `items` out of `total`, as `request` asked.
    pub fn new(items: Vec<T>, total: u64, request: PageRequest) -> Self {
        Self {
            items,
            total,
            skip: request.skip,
            limit: request.limit,
        }
    }

    /// Converts every item, keeping the paging numbers.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            skip: self.skip,
            limit: self.limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_sent() {
        let page = PageRequest::new(None, None, MAX_LIMIT).unwrap();
        assert_eq!((page.skip(), page.limit()), (0, 20));
    }

    #[test]
    fn limit_bounds_are_inclusive() {
        assert!(PageRequest::new(None, Some(1), MAX_LIMIT).is_ok());
        assert!(PageRequest::new(None, Some(100), MAX_LIMIT).is_ok());
        assert_eq!(
            PageRequest::new(None, Some(0), MAX_LIMIT).unwrap_err()[0].field,
            "limit"
        );
        assert!(PageRequest::new(None, Some(101), MAX_LIMIT).is_err());
    }

    #[test]
    fn a_smaller_maximum_also_caps_the_default() {
        assert_eq!(PageRequest::new(None, None, 10).unwrap().limit(), 10);
    }
}
