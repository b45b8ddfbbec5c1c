//! Mutation payloads: the changed object, or `userErrors` saying why nothing changed.

use async_graphql::{ErrorExtensions, SimpleObject};

use super::types::activity::Activity;
use super::types::customer::{Contact, Customer};
use super::types::invoice::Invoice;
use super::types::payment::Payment;
use super::types::payment_link::PaymentLink;
use super::types::user::User;
use crate::error::{AppError, AppResult, FieldError};

/// Why an input was refused. `field` is the path into the mutation's arguments
/// (`["input", "total"]`); `code` is stable for programs, `message` is for people.
#[derive(SimpleObject, Debug, Clone)]
pub struct UserError {
    pub field: Vec<String>,
    pub code: String,
    pub message: String,
}

impl From<FieldError> for UserError {
    fn from(error: FieldError) -> Self {
        Self {
            field: error.field,
            code: error.code.to_owned(),
            message: error.message,
        }
    }
}

/// Splits a service result into a payload's object and user errors; other failures
/// (FORBIDDEN, INTERNAL…) become GraphQL errors.
pub fn split<T>(result: AppResult<T>) -> async_graphql::Result<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(AppError::Invalid(errors)) => {
            Ok((None, errors.into_iter().map(UserError::from).collect()))
        }
        Err(error) => Err(error.extend()),
    }
}

macro_rules! payload {
    ($($(#[$meta:meta])* $name:ident { $field:ident: $type:ty })*) => {$(
        $(#[$meta])*
        #[derive(SimpleObject)]
        pub struct $name {
            pub $field: Option<$type>,
            pub user_errors: Vec<UserError>,
        }

        impl $name {
            pub fn from_result(result: AppResult<$type>) -> async_graphql::Result<Self> {
                let ($field, user_errors) = split(result)?;
                Ok(Self { $field, user_errors })
            }
        }
    )*};
}

payload! {
    CreateCustomerPayload { customer: Customer }
    UpdateCustomerPayload { customer: Customer }
    AddContactPayload { contact: Contact }
    CreateInvoicePayload { invoice: Invoice }
    VoidInvoicePayload { invoice: Invoice }
    /// The invoice as it is now.
    UpdateInvoicePayload { invoice: Invoice }
    RecordPaymentPayload { payment: Payment }
    /// The payment, now marked reversed.
    ReversePaymentPayload { payment: Payment }
    LogActivityPayload { activity: Activity }
    CreatePaymentLinkPayload { payment_link: PaymentLink }
    CancelPaymentLinkPayload { payment_link: PaymentLink }
    SendPaymentLinkPayload { payment_link: PaymentLink }
}

#[derive(SimpleObject)]
pub struct CreateUserPayload {
    pub user: Option<User>,
    /// The new user's API token. Shown only here, once; store it safely.
    pub token: Option<String>,
    pub user_errors: Vec<UserError>,
}
