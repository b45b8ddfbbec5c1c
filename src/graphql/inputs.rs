//! Mutation inputs and list filters.

use async_graphql::{ID, InputObject, MaybeUndefined};

use super::scalars::{Date, DateTime, Decimal};
use super::types::enums::{ActivityKind, InvoiceStatus, PaymentMethod};
use super::types::payment_link::PaymentLinkStatus;
use super::types::user::Role;

#[derive(InputObject)]
pub struct CustomerFilter {
    /// Part of the name, email, tax number or external reference (case-insensitive).
    pub search: Option<String>,
    pub assigned_collector_id: Option<ID>,
    /// Only customers with (or without) an overdue invoice.
    pub has_overdue: Option<bool>,
}

#[derive(InputObject)]
pub struct InvoiceFilter {
    pub customer_id: Option<ID>,
    pub status: Option<Vec<InvoiceStatus>>,
    /// Due before today with something left to pay (or, with false, not so).
    pub overdue: Option<bool>,
    pub due_from: Option<Date>,
    pub due_to: Option<Date>,
    pub currency: Option<String>,
}

/// Which payments to list.
#[derive(InputObject)]
pub struct PaymentFilter {
    /// Only this customer's payments.
    pub customer_id: Option<ID>,
    /// Only payments of this method.
    pub method: Option<PaymentMethod>,
    /// Only payments set aside for review (or, with false, only those that are not).
    pub needs_review: Option<bool>,
    /// Only payments through this provider (`sandbox`, `paytr`).
    pub provider: Option<String>,
}

/// Which payment links to list.
#[derive(InputObject)]
pub struct PaymentLinkFilter {
    /// Only this customer's links.
    pub customer_id: Option<ID>,
    /// Only links in these states.
    pub status: Option<Vec<PaymentLinkStatus>>,
}

#[derive(InputObject)]
pub struct ActivityFilter {
    pub customer_id: Option<ID>,
    pub invoice_id: Option<ID>,
    pub actor_id: Option<ID>,
    pub kinds: Option<Vec<ActivityKind>>,
}

#[derive(InputObject)]
pub struct CreateCustomerInput {
    pub name: String,
    pub external_ref: Option<String>,
    /// VKN (10 digits) or TCKN (11 digits).
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// Default 30.
    pub payment_terms_days: Option<i32>,
    pub assigned_collector_id: Option<ID>,
    /// In the organization's currency.
    pub credit_limit: Option<Decimal>,
    /// `tr` or `en`, for the mail, SMS and pay page the customer sees; default the organization's.
    pub language: Option<String>,
}

/// Fields left out stay as they are; fields sent as null are cleared.
#[derive(InputObject)]
pub struct UpdateCustomerInput {
    pub id: ID,
    pub name: Option<String>,
    pub external_ref: MaybeUndefined<String>,
    pub tax_id: MaybeUndefined<String>,
    pub email: MaybeUndefined<String>,
    pub phone: MaybeUndefined<String>,
    pub address: MaybeUndefined<String>,
    pub payment_terms_days: Option<i32>,
    pub assigned_collector_id: MaybeUndefined<ID>,
    pub credit_limit: MaybeUndefined<Decimal>,
    pub blocked: Option<bool>,
    /// `tr` or `en`; null goes back to the organization's.
    pub language: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct AddContactInput {
    pub customer_id: ID,
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Default: true for a customer's first contact.
    pub is_primary: Option<bool>,
}

#[derive(InputObject)]
pub struct CreateInvoiceInput {
    pub customer_id: ID,
    /// Unique in the organization.
    pub number: String,
    pub external_ref: Option<String>,
    pub issue_date: Date,
    /// Default: the issue date plus the customer's payment terms.
    pub due_date: Option<Date>,
    pub currency: String,
    pub total: Decimal,
    pub description: Option<String>,
}

#[derive(InputObject)]
pub struct VoidInvoiceInput {
    pub id: ID,
    pub reason: String,
}

#[derive(InputObject)]
pub struct AllocationInput {
    pub invoice_id: ID,
    pub amount: Decimal,
}

#[derive(InputObject)]
pub struct RecordPaymentInput {
    pub customer_id: ID,
    pub amount: Decimal,
    pub currency: String,
    pub method: PaymentMethod,
    /// Default: now.
    pub received_at: Option<DateTime>,
    pub reference: Option<String>,
    /// Without allocations the customer's unpaid invoices in this currency are paid oldest due
    /// first; any surplus stays unapplied on the payment.
    pub allocations: Option<Vec<AllocationInput>>,
}

/// What reverses a payment.
#[derive(InputObject)]
pub struct ReversePaymentInput {
    pub payment_id: ID,
    /// Why, for the record (up to 1,000 characters), e.g. "karşılıksız çek".
    pub reason: String,
    /// When the money went back; default now. Not before the day the payment was received.
    pub reversed_at: Option<DateTime>,
}

#[derive(InputObject)]
pub struct LogActivityInput {
    /// NOTE, CALL, EMAIL, MEETING, PROMISE_TO_PAY or DISPUTE.
    pub kind: ActivityKind,
    pub customer_id: ID,
    pub invoice_id: Option<ID>,
    pub note: Option<String>,
    /// For PROMISE_TO_PAY.
    pub promised_amount: Option<Decimal>,
    /// For PROMISE_TO_PAY.
    pub promised_date: Option<Date>,
    /// For a promise not tied to an invoice; default the organization's currency.
    pub currency: Option<String>,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// A phone number customers may call (`collector_phone` in reminders); stored in E.164.
    pub phone: Option<String>,
}

/// Fields left out stay as they are; `description` and `externalRef` sent as null are cleared.
#[derive(InputObject)]
pub struct UpdateInvoiceInput {
    /// The invoice to change (not a VOID one).
    pub id: ID,
    /// The new due date; not before the issue date.
    pub due_date: Option<Date>,
    /// Up to 2,000 characters; line breaks allowed.
    pub description: MaybeUndefined<String>,
    /// The invoice's id in the ERP, up to 100 characters.
    pub external_ref: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct CreatePaymentLinkInput {
    /// One or more open invoices of one customer, in one currency. Leave out when the link
    /// pays plan installments.
    pub invoice_ids: Option<Vec<ID>>,
    /// Instead of `invoiceIds`: unpaid installments of one ACTIVE payment plan. The link asks
    /// what is left on them (interest included) and its payment fills them.
    pub plan_installment_ids: Option<Vec<ID>>,
    /// Default: their balance together; may be less (a partial payment), never more. Not with
    /// `planInstallmentIds`.
    pub amount: Option<Decimal>,
    /// Default 1 (a single payment); at most 12.
    pub max_installments: Option<i32>,
    /// Default: the configured provider (`sandbox` unless set otherwise).
    pub provider: Option<String>,
    /// Default 168 (a week); at most 720.
    pub expires_in_hours: Option<i32>,
}

#[derive(InputObject)]
pub struct CancelPaymentLinkInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct SendPaymentLinkInput {
    pub id: ID,
    /// Default: the primary contact's address, else the customer's.
    pub email: Option<String>,
}
