//! `GET /analytics/sales` (moderators and admins): the sales report as JSON, or with
//! `Accept: text/csv` the same rows as CSV.

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use chrono::NaiveDate;
use cinema_billing::analytics::{self, SalesFigures, SalesGroup, SalesQuery, SalesReport};
use cinema_kernel::{FieldError, Money, page::PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{AppState, auth::Moderator, error::ApiError};

/// The most rows one report page holds (a CSV export takes them in one go).
const MAX_ROWS: u64 = 1000;
/// The longest range, in days: ten years.
const MAX_DAYS: i64 = 3660;

/// How the rows are grouped.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SalesGroupName {
    /// One row per movie, best-selling (net revenue) first: the top sellers.
    Movie,
    /// One row per genre, best-selling first (a movie counts in each of its genres).
    Genre,
    /// One row per UTC day, oldest first.
    Day,
    /// One row per ISO week (Monday to Sunday, UTC), oldest first.
    Week,
    /// One row per calendar month (UTC), oldest first.
    Month,
}

impl From<SalesGroup> for SalesGroupName {
    fn from(g: SalesGroup) -> Self {
        match g {
            SalesGroup::Movie => SalesGroupName::Movie,
            SalesGroup::Genre => SalesGroupName::Genre,
            SalesGroup::Day => SalesGroupName::Day,
            SalesGroup::Week => SalesGroupName::Week,
            SalesGroup::Month => SalesGroupName::Month,
        }
    }
}

/// Read as text and checked here, so a bad value is a 422 naming its parameter.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SalesParams {
    /// The first day, inclusive (UTC; default: 29 days before `to`).
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// The last day, inclusive (UTC; default: today).
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
    /// How rows are grouped (default `movie`).
    #[param(value_type = Option<SalesGroupName>, inline)]
    pub group: Option<String>,
    /// Rows to skip (default 0).
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub skip: Option<u64>,
    /// Rows per page (1–1000, default 20).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// A `YYYY-MM-DD` parameter; a bad one is recorded.
fn day(value: Option<&str>, name: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let value = value?;
    match value.parse() {
        Ok(day) => Some(day),
        Err(_) => {
            let shown = crate::params::shortened(value);
            errors.push(FieldError::new(
                name,
                format!("must be a day like 2026-12-07, not `{shown}`"),
            ));
            None
        }
    }
}

/// Units and money, exact (`"9.99"`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"units": 12, "gross": "119.88", "refunded_units": 1, "refunds": "9.99", "net_units": 11, "net": "109.89"}))]
pub struct SalesFiguresResponse {
    /// Items sold in the range.
    pub units: i64,
    /// What they were sold for.
    #[schema(value_type = String, example = "119.88")]
    pub gross: Money,
    /// Items refunded in the range (whenever they were sold).
    pub refunded_units: i64,
    /// What was given back.
    #[schema(value_type = String, example = "9.99")]
    pub refunds: Money,
    /// `units - refunded_units`.
    pub net_units: i64,
    /// `gross - refunds`; negative when the range's refunds outweigh its sales.
    #[schema(value_type = String, example = "109.89")]
    pub net: Money,
}

impl From<SalesFigures> for SalesFiguresResponse {
    fn from(f: SalesFigures) -> Self {
        Self {
            units: f.units,
            gross: f.gross,
            refunded_units: f.refunded_units,
            refunds: f.refunds,
            net_units: f.net_units(),
            net: f.net(),
        }
    }
}

/// One row.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"key": "42", "label": "Inception", "units": 12, "gross": "119.88", "refunded_units": 1, "refunds": "9.99", "net_units": 11, "net": "109.89"}))]
pub struct SalesRowResponse {
    /// The movie or genre id, or the period's first day (`2026-12-07`; `2026-12` for a month).
    pub key: String,
    /// The movie's title, the genre's name, or the period.
    pub label: String,
    #[serde(flatten)]
    pub figures: SalesFiguresResponse,
}

/// The report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"from": "2026-11-08", "to": "2026-12-07", "group": "movie", "totals": {"units": 40, "gross": "399.60", "refunded_units": 2, "refunds": "19.98", "net_units": 38, "net": "379.62"}, "items": [{"key": "42", "label": "Inception", "units": 12, "gross": "119.88", "refunded_units": 1, "refunds": "9.99", "net_units": 11, "net": "109.89"}], "total": 9, "skip": 0, "limit": 20}))]
pub struct SalesResponse {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group: SalesGroupName,
    /// The whole range.
    pub totals: SalesFiguresResponse,
    /// This page's rows.
    pub items: Vec<SalesRowResponse>,
    /// How many rows the report has.
    pub total: u64,
    pub skip: u64,
    pub limit: u64,
}

/// Sales over a date range (moderators and admins): units and revenue by movie (the top
/// sellers), genre, day, week or month, refunds subtracted in the period they were made, with
/// the range's totals. Amounts are exact decimal strings. With `Accept: text/csv` the same rows
/// come as CSV (`key,label,units,gross,refunded_units,refunds,net_units,net`).
#[utoipa::path(tag = "analytics", params(SalesParams), security(("bearer" = [])), responses(
    (status = 200, description = "The report", content(
        (SalesResponse = "application/json"),
        (String = "text/csv", example = "key,label,units,gross,refunded_units,refunds,net_units,net\n42,Inception,12,119.88,1,9.99,11,109.89\n"),
    )),
))]
#[get("/analytics/sales")]
pub async fn sales(
    _: Moderator,
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<SalesParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let mut errors = Vec::new();
    let to = day(params.to.as_deref(), "to", &mut errors);
    let from = day(params.from.as_deref(), "from", &mut errors);
    let group = match params.group.as_deref().map(|g| (g, SalesGroup::parse(g))) {
        None => Some(SalesGroup::Movie),
        Some((_, Some(group))) => Some(group),
        Some((name, None)) => {
            let shown = crate::params::shortened(name);
            errors.push(FieldError::new(
                "group",
                format!("must be movie, genre, day, week or month, not `{shown}`"),
            ));
            None
        }
    };
    let page = PageRequest::new(params.skip, params.limit, MAX_ROWS);
    let (Some(group), Ok(page), true) = (group, &page, errors.is_empty()) else {
        errors.extend(page.err().unwrap_or_default());
        return Err(ApiError::invalid(errors));
    };
    let page = *page;
    let to = to.unwrap_or_else(|| state.clock.today());
    let from = from.unwrap_or_else(|| to - chrono::Duration::days(29));
    check_range(from, to)?;
    let query = SalesQuery {
        from,
        to,
        group,
        page,
    };
    let report = analytics::sales(&state.db, &query).await?;
    if wants_csv(&req) {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"sales-{}-{from}-{to}.csv\"",
                    group.as_str()
                ),
            ))
            .body(csv(&report)));
    }
    Ok(HttpResponse::Ok().json(SalesResponse {
        from,
        to,
        group: group.into(),
        totals: report.totals.into(),
        total: report.total_rows,
        skip: page.skip(),
        limit: page.limit(),
        items: report
            .rows
            .into_iter()
            .map(|row| SalesRowResponse {
                key: row.key,
                label: row.label,
                figures: row.figures.into(),
            })
            .collect(),
    }))
}

fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), ApiError> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let mut errors = Vec::new();
    if from < epoch {
        errors.push(FieldError::new("from", "must be 1970-01-01 or later"));
    }
    if from > to {
        errors.push(FieldError::new("from", "must not be after `to`"));
    } else if (to - from).num_days() >= MAX_DAYS {
        errors.push(FieldError::new(
            "to",
            format!("the range may span at most {MAX_DAYS} days"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(errors))
    }
}

/// Whether the client asked for CSV (and prefers it to JSON).
fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept
                .split(',')
                .map(|part| part.split(';').next().unwrap_or("").trim())
                .find(|mime| *mime == "text/csv" || *mime == "application/json")
                == Some("text/csv")
        })
}

/// The rows as CSV (RFC 4180: fields with commas, quotes or line breaks are quoted).
fn csv(report: &SalesReport) -> String {
    let mut out = String::from("key,label,units,gross,refunded_units,refunds,net_units,net\n");
    for row in &report.rows {
        let f = &row.figures;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            csv_field(&row.key),
            csv_field(&row.label),
            f.units,
            f.gross,
            f.refunded_units,
            f.refunds,
            f.net_units(),
            f.net()
        ));
    }
    out
}

fn csv_field(value: &str) -> String {
    // A leading = + - @ would make a spreadsheet run the cell as a formula.
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("Inception"), "Inception");
        assert_eq!(
            csv_field("Crouching Tiger, Hidden Dragon"),
            "\"Crouching Tiger, Hidden Dragon\""
        );
        assert_eq!(csv_field("The \"Thing\""), "\"The \"\"Thing\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }
}
