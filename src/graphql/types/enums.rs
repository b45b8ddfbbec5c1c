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
    /// A payment was reversed (bounced cheque, chargeback, mistaken entry); its invoices are
    /// owed again. The payment stays, marked reversed.
    PaymentReversed,
    /// A cheque or promissory note was taken in payment and put in the portfolio.
    InstrumentReceived,
    /// An instrument was endorsed on to someone else (ciro).
    InstrumentEndorsed,
    /// An instrument was given to a bank for collection or as collateral.
    InstrumentDeposited,
    /// An instrument was paid: the money is in.
    InstrumentCleared,
    /// An instrument bounced (karşılıksız; a note protested): its payment is reversed.
    InstrumentBounced,
    /// An instrument was handed back to the customer.
    InstrumentReturned,
    PaymentFailed,
    PaymentLinkCreated,
    PaymentLinkSent,
    /// Withdrawn by a person, or by the service when nothing was left to pay on its invoices.
    PaymentLinkCancelled,
    /// The link's invoices came to owe less than it asked (paid by another path, voided or
    /// changed): the provider's page was withdrawn and the link now asks what is owed; `data`
    /// holds the old and new amounts.
    PaymentLinkRepriced,
    /// A dispute was opened on the invoice; `data` holds the dispute's id and reason.
    DisputeOpened,
    /// A dispute was resolved; `data` holds its id and outcome.
    DisputeResolved,
    /// A task was put on someone's worklist; `data` holds its id, kind and due date.
    TaskCreated,
    /// A task was done; `note` holds the outcome.
    TaskCompleted,
    /// An open task was given to someone else (or to the managers' pool).
    TaskAssigned,
    /// A promise to pay was recorded; `data` holds its id, amount and date.
    PromiseMade,
    /// The promised amount arrived in time.
    PromiseKept,
    /// The promise passed unpaid; a task went to the collector.
    PromiseBroken,
    /// A payment plan was agreed; `data` holds its id, total, interest and installments.
    PlanCreated,
    /// An installment passed its due date plus grace unpaid; a task went to the collector.
    /// `data` holds the plan, the installment's position, due date and what is left on it.
    PlanInstallmentMissed,
    /// Every installment of a plan was paid.
    PlanCompleted,
    /// Too many installments were missed: the plan ended and normal dunning resumed on what
    /// its invoices still owe.
    PlanBroken,
    /// A person withdrew the plan; `note` holds the reason.
    PlanCancelled,
    /// A reminder went out (actor `system`); `data` holds the step, channel, invoices and amounts,
    /// and `fallback` when an SMS went as mail or a task for want of a mobile number.
    ReminderSent,
    /// A reminder could not be delivered after its retries; `data` holds the reason.
    ReminderFailed,
    /// Reminders were paused until a day; `data` holds the day and reason.
    DunningPaused,
    /// Reminders were resumed.
    DunningResumed,
}
