//! GraphQL enums, mirrored from the domain's (the `remote` attribute keeps them in step).

use async_graphql::Enum;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::invoice::InvoiceStatus")]
pub enum InvoiceStatus {
    /// Nothing paid yet.
    Open,
    PartiallyPaid,
    Paid,
    /// Cancelled by a person; frozen.
    Void,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::payment::PaymentMethod")]
pub enum PaymentMethod {
    Cash,
    BankTransfer,
    /// Çek.
    Cheque,
    /// Senet.
    PromissoryNote,
    Card,
    Other,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::activity::ActivityKind")]
pub enum ActivityKind {
    Note,
    Call,
    Email,
    Meeting,
    /// `data` holds promisedAmount, currency and promisedDate.
    PromiseToPay,
    /// Marks the invoice disputed.
    Dispute,
    CustomerCreated,
    CustomerUpdated,
    ContactAdded,
    InvoiceCreated,
    InvoiceUpdated,
    InvoiceVoided,
    PaymentRecorded,
    PaymentReceived,
    PaymentFailed,
    PaymentLinkCreated,
    PaymentLinkSent,
    PaymentLinkCancelled,
    ReminderSent,
}
