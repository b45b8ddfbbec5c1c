//! Keyset pagination shared by every list: a cursor is the last row's (sort key, id), and the next
//! page is `WHERE (key, id) > (cursor) ORDER BY key, id LIMIT first + 1` — no OFFSET, so a page
//! costs the same however deep it is, and rows added meanwhile are neither skipped nor repeated.

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, Order, Query, SimpleExpr, WindowStatement,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoSimpleExpr, QueryFilter, QueryOrder,
    QuerySelect, Select, Value,
};
use uuid::Uuid;

use super::scope::OrgScoped;
use crate::domain::ids::OrganizationId;
use crate::error::{AppError, AppResult};

/// The default page size, and the largest a caller may ask for.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// A position in a list: the sort key (as text) and the id of the last row seen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor {
    pub key: String,
    pub id: Uuid,
}

impl Cursor {
    pub fn new(key: impl Into<String>, id: Uuid) -> Self {
        Self {
            key: key.into(),
            id,
        }
    }

    /// base64url("key␟id"): opaque to callers, stable for us.
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{}\u{1f}{}", self.key, self.id))
    }

    pub fn decode(text: &str) -> AppResult<Self> {
        let invalid =
            || AppError::BadRequest("the `after` cursor is not one this list gave out".into());
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (key, id) = text.split_once('\u{1f}').ok_or_else(invalid)?;
        // A key this service made never holds control characters; PostgreSQL refuses NUL.
        if key.chars().any(char::is_control) {
            return Err(invalid());
        }
        let id = Uuid::parse_str(id).map_err(|_| invalid())?;
        Ok(Self::new(key, id))
    }
}

/// Which page: how many rows, after which cursor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// Checks `first` (default 20, at most 100) and decodes `after`.
    pub fn new(first: Option<i32>, after: Option<&str>) -> AppResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if (0..=MAX_PAGE_SIZE as i32).contains(&n) => n as u64,
            Some(n) => {
                return Err(AppError::BadRequest(format!(
                    "`first` must be between 0 and {MAX_PAGE_SIZE}, not {n}"
                )));
            }
        };
        let after = after.map(Cursor::decode).transpose()?;
        Ok(Self { first, after })
    }
}

/// One page of rows, each with its cursor.
#[derive(Debug, Clone)]
pub struct Page<M> {
    pub items: Vec<(Cursor, M)>,
    pub has_next: bool,
}

impl<M> Page<M> {
    /// Cuts `rows` (fetched with one extra) to the page and attaches cursors.
    pub fn from_rows(mut rows: Vec<M>, first: u64, cursor: impl Fn(&M) -> Cursor) -> Self {
        let has_next = rows.len() as u64 > first;
        rows.truncate(first as usize);
        Self {
            items: rows.into_iter().map(|row| (cursor(&row), row)).collect(),
            has_next,
        }
    }
}

/// The direction a list runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

impl Direction {
    fn order(self) -> Order {
        match self {
            Direction::Ascending => Order::Asc,
            Direction::Descending => Order::Desc,
        }
    }
}

/// `(key, id) > (k, i)` (or `<` descending), written portably.
pub fn after_condition<C: ColumnTrait>(
    key: C,
    id: C,
    cursor_key: Value,
    cursor_id: Uuid,
    direction: Direction,
) -> Condition {
    let (key_past, id_past) = match direction {
        Direction::Ascending => (key.gt(cursor_key.clone()), id.gt(cursor_id)),
        Direction::Descending => (key.lt(cursor_key.clone()), id.lt(cursor_id)),
    };
    Condition::any()
        .add(key_past)
        .add(Condition::all().add(key.eq(cursor_key)).add(id_past))
}

/// List filters that apply only when given: `select.eq_if(column, filter.customer_id)`.
pub trait FilterIf: Sized {
    type Column;
    /// `column = value`, when there is a value.
    fn eq_if<V: Into<Value>>(self, column: Self::Column, value: Option<V>) -> Self;
    /// `column IN (values)`, when there are values.
    fn in_if<V: Into<Value>>(self, column: Self::Column, values: Option<Vec<V>>) -> Self;
}

impl<E: EntityTrait> FilterIf for Select<E> {
    type Column = E::Column;

    fn eq_if<V: Into<Value>>(self, column: E::Column, value: Option<V>) -> Self {
        match value {
            Some(value) => self.filter(column.eq(value)),
            None => self,
        }
    }

    fn in_if<V: Into<Value>>(self, column: E::Column, values: Option<Vec<V>>) -> Self {
        match values {
            Some(values) => self.filter(column.is_in(values)),
            None => self,
        }
    }
}

impl<E: EntityTrait> Keyset<E> {
    /// Newest first by a timestamp column, then id.
    pub const fn newest_first(
        key: E::Column,
        id: E::Column,
        key_of: fn(&E::Model) -> String,
    ) -> Self {
        Self {
            key,
            id,
            direction: Direction::Descending,
            key_of,
            parse_key: parse_time_key,
        }
    }
}

/// How one list is ordered: its sort column (then id), its direction, and how a cursor's key is
/// written and read back. Each list declares one, and pages, nested pages and cursors all use it.
pub struct Keyset<E: EntityTrait> {
    pub key: E::Column,
    pub id: E::Column,
    pub direction: Direction,
    pub key_of: fn(&E::Model) -> String,
    pub parse_key: fn(&str) -> AppResult<Value>,
}

impl<E: EntityTrait> Keyset<E> {
    /// The cursor that continues after `model`.
    pub fn cursor_of(&self, model: &E::Model) -> Cursor {
        Cursor::new((self.key_of)(model), self.id_of(model))
    }

    fn id_of(&self, model: &E::Model) -> Uuid {
        match sea_orm::ModelTrait::get(model, self.id) {
            Value::Uuid(Some(id)) => id,
            _ => Uuid::nil(),
        }
    }

    /// One page of `select` in this order.
    pub async fn page(
        &self,
        conn: &impl ConnectionTrait,
        select: Select<E>,
        request: &PageRequest,
    ) -> AppResult<Page<E::Model>> {
        fetch_page(
            conn,
            select,
            (self.key, self.id),
            self.direction,
            request,
            self.parse_key,
            |model| self.cursor_of(model),
        )
        .await
    }
}

fn bad_cursor() -> AppError {
    AppError::BadRequest("the `after` cursor is not one this list gave out".into())
}

/// A timestamp as a cursor key: RFC 3339 with microseconds, as the databases keep it.
pub fn time_key(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_time_key(key: &str) -> AppResult<Value> {
    DateTime::parse_from_rfc3339(key)
        .map(|at| Value::from(at.with_timezone(&Utc)))
        .map_err(|_| bad_cursor())
}

pub fn parse_date_key(key: &str) -> AppResult<Value> {
    NaiveDate::parse_from_str(key, "%Y-%m-%d")
        .map(Value::from)
        .map_err(|_| bad_cursor())
}

pub fn parse_text_key(key: &str) -> AppResult<Value> {
    Ok(Value::from(key.to_owned()))
}

/// Runs `select` as one keyset page ordered by (key, id).
pub async fn fetch_page<E, C>(
    conn: &impl ConnectionTrait,
    select: Select<E>,
    (key, id): (C, C),
    direction: Direction,
    request: &PageRequest,
    cursor_value: impl Fn(&str) -> AppResult<Value>,
    cursor_of: impl Fn(&E::Model) -> Cursor,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let mut select = select;
    if let Some(after) = &request.after {
        select = select.filter(after_condition(
            key,
            id,
            cursor_value(&after.key)?,
            after.id,
            direction,
        ));
    }
    let rows = select
        .order_by(key, direction.order())
        .order_by(id, direction.order())
        .limit(request.first + 1)
        .all(conn)
        .await?;
    Ok(Page::from_rows(rows, request.first, cursor_of))
}

/// Pages of children for many parents in one statement (each parent's first rows, by a window
/// function), so a list of customers with their invoices costs one query, not one per customer.
#[expect(
    clippy::too_many_arguments,
    reason = "one generic query; the arguments name its parts"
)]
pub async fn fetch_child_pages<E, C>(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    parent: C,
    parents: &[Uuid],
    (key, id): (C, C),
    direction: Direction,
    request: &PageRequest,
    cursor_value: impl Fn(&str) -> AppResult<Value>,
) -> AppResult<Vec<E::Model>>
where
    E: OrgScoped + Default,
    C: ColumnTrait,
{
    let order = direction.order();
    let mut window = WindowStatement::partition_by(parent);
    window.order_by(key, order.clone()).order_by(id, order);
    let mut inner = Query::select();
    inner
        .column(Asterisk)
        .expr_window_as(Expr::cust("ROW_NUMBER()"), window, Alias::new("page_row"))
        .from(E::default())
        .and_where(
            E::organization_column()
                .into_simple_expr()
                .eq(organization.0),
        )
        .and_where(parent.is_in(parents.iter().copied()).into_simple_expr());
    if let Some(after) = &request.after {
        let condition: SimpleExpr =
            after_condition(key, id, cursor_value(&after.key)?, after.id, direction).into();
        inner.and_where(condition);
    }
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(inner, Alias::new("paged"))
        .and_where(Expr::col(Alias::new("page_row")).lte(request.first + 1))
        .order_by(Alias::new("page_row"), Order::Asc)
        .to_owned();
    let statement = conn.get_database_backend().build(&outer);
    Ok(E::find().from_raw_sql(statement).all(conn).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor::new("Anadolu Yapı", Uuid::now_v7());
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        assert!(Cursor::decode("bm90IGEgY3Vyc29y").is_err());
        assert!(Cursor::decode("%%%").is_err());
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(PageRequest::new(None, None).unwrap().first, 20);
        assert_eq!(PageRequest::new(Some(100), None).unwrap().first, 100);
        assert!(PageRequest::new(Some(101), None).is_err());
        assert!(PageRequest::new(Some(1000), None).is_err());
        assert!(PageRequest::new(Some(-1), None).is_err());
    }

    #[test]
    fn a_page_knows_whether_more_follow() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| {
            Cursor::new(n.to_string(), Uuid::nil())
        });
        assert!(page.has_next);
        assert_eq!(page.items.len(), 2);
        let last = Page::from_rows(vec![1, 2], 2, |n| Cursor::new(n.to_string(), Uuid::nil()));
        assert!(!last.has_next);
    }
}
