//! The service's error type, and the one place that decides what a caller may see of it.
//!
//! Expected failures of a mutation's input are data (`userErrors`), not errors; this type is for
//! what stops a request: no identity, no permission, nothing there, or something broken inside.
//! Internal failures are logged in full and reach a caller only as `INTERNAL`.

use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No credentials, or credentials that are not valid.
    #[error("authentication required: send an API token as `Authorization: Bearer tsk_…`")]
    Unauthenticated,
    /// The caller's role may not do this.
    #[error("your role does not allow this")]
    Forbidden,
    /// Nothing with that id in the caller's organization (including ids from other organizations).
    #[error("not found")]
    NotFound,
    /// A request the caller can fix, outside any mutation's `userErrors`.
    #[error("{0}")]
    BadRequest(String),
    /// Input that breaks a rule; mutations return these as `userErrors` and change nothing.
    #[error("invalid input: {}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// Displays no details (they may hold SQL), so even an accidental `to_string()` leaks nothing;
    /// the cause is logged through [`AppError::public_message`].
    #[error("internal error")]
    Database(#[from] DbErr),
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// The stable code a caller sees (GraphQL `extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden => "FORBIDDEN",
            AppError::NotFound => "NOT_FOUND",
            AppError::BadRequest(_) => "BAD_REQUEST",
            AppError::Invalid(_) => "BAD_USER_INPUT",
            AppError::Database(_) | AppError::Internal(_) => "INTERNAL",
        }
    }

    /// Whether the details must stay inside (logged, never shown).
    pub fn is_internal(&self) -> bool {
        matches!(self, AppError::Database(_) | AppError::Internal(_))
    }

    /// What a caller may read. Internal details are logged here, once, inside the request's span
    /// (which carries the request id), and replaced by a fixed text.
    pub fn public_message(&self) -> String {
        if self.is_internal() {
            tracing::error!(error = ?self, "internal error");
            "internal error; the request id in the x-request-id header identifies it in the logs"
                .to_owned()
        } else {
            self.to_string()
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// One broken rule in a mutation's input: where (`["input", "total"]`), a stable code, and words
/// for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Vec<String>,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &[&str], code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: std::iter::once("input")
                .chain(field.iter().copied())
                .map(str::to_owned)
                .collect(),
            code,
            message: message.into(),
        }
    }

    /// The error as the only one of a rejected input.
    pub fn into_error(self) -> AppError {
        AppError::Invalid(vec![self])
    }
}

/// Collects every broken rule of an input, so the caller can fix them all at once.
#[derive(Debug, Default)]
pub struct Validation(Vec<FieldError>);

impl Validation {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Adds the error when `broken` holds.
    pub fn check(
        &mut self,
        broken: bool,
        field: &[&str],
        code: &'static str,
        message: impl Into<String>,
    ) {
        if broken {
            self.add(FieldError::new(field, code, message));
        }
    }

    /// Keeps the value of `result`, or records its error.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(error);
                None
            }
        }
    }

    /// The checked value; when the check failed, its error is recorded and `T::default()` stands
    /// in. [`Validation::finish`] then refuses the input before a stand-in can be used, so
    /// callers need no `Option` and no "impossible" branch.
    pub fn value<T: Default>(&mut self, result: Result<T, FieldError>) -> T {
        self.value_or(result, T::default())
    }

    /// Like [`Validation::value`], with the stand-in given.
    pub fn value_or<T>(&mut self, result: Result<T, FieldError>, stand_in: T) -> T {
        self.take(result).unwrap_or(stand_in)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Refuses now if anything failed so far; checks that need the earlier values valid come
    /// after it.
    pub fn stop_if_invalid(&mut self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(std::mem::take(&mut self.0)))
        }
    }

    /// A value whose check recorded its own error when it came back empty: `Some` passes, and
    /// `None` refuses the input with every error recorded so far.
    pub fn require<T>(&mut self, value: Option<T>) -> AppResult<T> {
        match value {
            Some(value) => Ok(value),
            None if self.0.is_empty() => Err(AppError::Internal(
                "a check came back empty without saying why".into(),
            )),
            None => Err(AppError::Invalid(std::mem::take(&mut self.0))),
        }
    }

    /// The errors recorded, for a caller that answers them per row (a bulk import).
    pub fn into_errors(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }

    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}

/// A unique index said no: the row exists already.
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_are_never_shown() {
        let error =
            AppError::Database(DbErr::Custom("relation \"invoices\" does not exist".into()));
        assert_eq!(error.code(), "INTERNAL");
        let shown = error.public_message();
        assert!(!shown.contains("invoices"), "{shown}");
    }

    #[test]
    fn expected_errors_keep_their_words() {
        assert_eq!(AppError::NotFound.code(), "NOT_FOUND");
        assert_eq!(
            AppError::Forbidden.public_message(),
            "your role does not allow this"
        );
    }
}
