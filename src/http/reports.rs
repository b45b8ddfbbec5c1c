//! `GET /reports/aging.csv` and `/reports/aging.xlsx`: the aging report as a spreadsheet, for
//! the same bearer token as the API. Query parameters are `aging`'s arguments: `asOf`
//! (default today), `currency` (default the organization's), `convert`, `groupBy`
//! (`NONE`, `CUSTOMER`, `COLLECTOR`) and `buckets` (`30,60,90`). Every group is included.
//! Column names are Turkish when `Accept-Language` puts Turkish first, else English.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, QueryFilter};
use serde::Deserialize;
use uuid::Uuid;

use super::HttpState;
use super::graphql::{app_error_response, bearer_token};
use crate::auth::Viewer;
use crate::domain::analytics::Buckets;
use crate::entities::{customer, user};
use crate::error::{AppError, AppResult};
use crate::services::analytics::aging::{self, AgingRequest, GroupBy, GroupKey};
use crate::services::analytics::export::{self, Language};
use crate::services::customers::organization_currency;
use crate::services::listing::PageRequest;
use crate::services::rules;
use crate::services::scope::OrgScoped;

/// `aging`'s arguments as query parameters.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgingParams {
    as_of: Option<String>,
    currency: Option<String>,
    convert: Option<String>,
    group_by: Option<String>,
    buckets: Option<String>,
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Xlsx,
}

pub async fn aging_csv(
    State(state): State<HttpState>,
    headers: HeaderMap,
    query: Result<Query<AgingParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    respond(state, headers, query, Format::Csv).await
}

pub async fn aging_xlsx(
    State(state): State<HttpState>,
    headers: HeaderMap,
    query: Result<Query<AgingParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    respond(state, headers, query, Format::Xlsx).await
}

async fn respond(
    state: HttpState,
    headers: HeaderMap,
    query: Result<Query<AgingParams>, axum::extract::rejection::QueryRejection>,
    format: Format,
) -> Response {
    let Some(token) = bearer_token(&headers) else {
        return app_error_response(StatusCode::UNAUTHORIZED, &AppError::Unauthenticated);
    };
    let app = &state.app;
    let viewer = match app
        .tokens
        .authenticate(&app.db, app.clock.as_ref(), token)
        .await
    {
        Ok(viewer) => viewer,
        Err(AppError::Unauthenticated) => {
            return app_error_response(StatusCode::UNAUTHORIZED, &AppError::Unauthenticated);
        }
        Err(error) => return app_error_response(StatusCode::INTERNAL_SERVER_ERROR, &error),
    };
    let Ok(Query(params)) = query else {
        let error = AppError::BadRequest("the query string could not be read".into());
        return app_error_response(StatusCode::BAD_REQUEST, &error);
    };
    let language = Language::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok()),
    );
    match build(&state, &viewer, params, language, format).await {
        Ok((file_name, content_type, body)) => {
            let disposition = format!("attachment; filename=\"{file_name}\"");
            let language = if language == Language::Turkish {
                "tr"
            } else {
                "en"
            };
            let mut response = (StatusCode::OK, body).into_response();
            let response_headers = response.headers_mut();
            response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            response_headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(language));
            response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                response_headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(error @ (AppError::BadRequest(_) | AppError::Invalid(_))) => {
            app_error_response(StatusCode::BAD_REQUEST, &error)
        }
        Err(AppError::Forbidden) => app_error_response(StatusCode::FORBIDDEN, &AppError::Forbidden),
        Err(error) => app_error_response(StatusCode::INTERNAL_SERVER_ERROR, &error),
    }
}

async fn build(
    state: &HttpState,
    viewer: &Viewer,
    params: AgingParams,
    language: Language,
    format: Format,
) -> AppResult<(String, &'static str, Vec<u8>)> {
    let app = &state.app;
    let org = viewer.organization_id;
    let bad = |message: String| AppError::BadRequest(message);
    let as_of = match params.as_of.as_deref() {
        None | Some("") => app.clock.today(),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| bad(format!("asOf {text:?} is not a date (YYYY-MM-DD)")))?,
    };
    let currency = match params.currency.as_deref() {
        None | Some("") => organization_currency(app.db.reader(), org).await?,
        Some(code) => rules::currency(code, &["currency"]).map_err(|error| bad(error.message))?,
    };
    let convert = match params.convert.as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(bad(format!("convert is true or false, not {other:?}"))),
    };
    let group_by = match params
        .group_by
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("") | Some("NONE") => GroupBy::None,
        Some("CUSTOMER") => GroupBy::Customer,
        Some("COLLECTOR") => GroupBy::Collector,
        Some(other) => {
            return Err(bad(format!(
                "groupBy is NONE, CUSTOMER or COLLECTOR, not {other:?}"
            )));
        }
    };
    let buckets = match params.buckets.as_deref() {
        None | Some("") => Buckets::default(),
        Some(text) => {
            let ends = text
                .split(',')
                .map(|end| end.trim().parse::<i64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| bad(format!("buckets {text:?} is not a list of whole days")))?;
            Buckets::new(&ends).map_err(|error| bad(format!("buckets: {error}")))?
        }
    };
    let request = AgingRequest {
        as_of,
        currency,
        convert,
        buckets,
        group_by,
        page: PageRequest {
            first: u64::MAX,
            after: None,
        },
    };
    let report = aging::report(app, viewer, request).await?;
    let names = names(state, viewer, &report).await?;
    let table = export::table(&report, &names, language);
    let stem = format!("aging-{as_of}-{currency}");
    Ok(match format {
        Format::Csv => (
            format!("{stem}.csv"),
            "text/csv; charset=utf-8",
            export::csv(&table, language).into_bytes(),
        ),
        Format::Xlsx => (
            format!("{stem}.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            export::xlsx(
                &table,
                if language == Language::Turkish {
                    "Yaşlandırma"
                } else {
                    "Aging"
                },
            )?,
        ),
    })
}

/// Customers' names and collectors' e-mail addresses, by id, for the groups in the report.
async fn names(
    state: &HttpState,
    viewer: &Viewer,
    report: &aging::AgingReport,
) -> AppResult<HashMap<Uuid, String>> {
    let org = viewer.organization_id;
    let conn = state.app.db.reader();
    let mut customers = Vec::new();
    let mut collectors = Vec::new();
    for (_, group) in report.groups.iter().flat_map(|(page, _)| &page.items) {
        if let GroupKey::Customer(id) = group.key {
            customers.push(id);
        }
        collectors.extend(group.collector);
    }
    let mut names = HashMap::new();
    for chunk in customers.chunks(1_000) {
        let found = customer::Entity::in_org(org)
            .filter(customer::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        names.extend(found.into_iter().map(|row| (row.id, row.name)));
    }
    collectors.sort();
    collectors.dedup();
    let found = user::Entity::in_org(org)
        .filter(user::Column::Id.is_in(collectors))
        .all(conn)
        .await?;
    names.extend(found.into_iter().map(|row| (row.id, row.email)));
    Ok(names)
}
