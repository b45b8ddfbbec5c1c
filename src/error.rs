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
