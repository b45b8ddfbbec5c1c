//! The kinds of entry in the activity log: what people did, and what happened on its own.

use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ActivityKind {
    #[sea_orm(string_value = "NOTE")]
    Note,
    #[sea_orm(string_value = "CALL")]
    Call,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "MEETING")]
    Meeting,
    #[sea_orm(string_value = "PROMISE_TO_PAY")]
    PromiseToPay,
    #[sea_orm(string_value = "DISPUTE")]
    Dispute,
    #[sea_orm(string_value = "CUSTOMER_CREATED")]
    CustomerCreated,
    #[sea_orm(string_value = "CUSTOMER_UPDATED")]
    CustomerUpdated,
    #[sea_orm(string_value = "CONTACT_ADDED")]
    ContactAdded,
    #[sea_orm(string_value = "INVOICE_CREATED")]
    InvoiceCreated,
    #[sea_orm(string_value = "INVOICE_UPDATED")]
    InvoiceUpdated,
    #[sea_orm(string_value = "INVOICE_VOIDED")]
    InvoiceVoided,
    #[sea_orm(string_value = "PAYMENT_RECORDED")]
    PaymentRecorded,
    #[sea_orm(string_value = "PAYMENT_RECEIVED")]
    PaymentReceived,
    /// A payment was reversed: its allocations no longer count, its invoices are owed again.
    #[sea_orm(string_value = "PAYMENT_REVERSED")]
    PaymentReversed,
    /// A cheque or promissory note was taken in payment and put in the portfolio.
    #[sea_orm(string_value = "INSTRUMENT_RECEIVED")]
    InstrumentReceived,
    /// An instrument was endorsed on to someone else (ciro).
    #[sea_orm(string_value = "INSTRUMENT_ENDORSED")]
    InstrumentEndorsed,
    /// An instrument was given to a bank for collection or as collateral.
    #[sea_orm(string_value = "INSTRUMENT_DEPOSITED")]
    InstrumentDeposited,
    /// An instrument was paid: the money is in.
    #[sea_orm(string_value = "INSTRUMENT_CLEARED")]
    InstrumentCleared,
    /// An instrument bounced (karşılıksız; a note protested): its payment is reversed.
    #[sea_orm(string_value = "INSTRUMENT_BOUNCED")]
    InstrumentBounced,
    /// An instrument was handed back to the customer.
    #[sea_orm(string_value = "INSTRUMENT_RETURNED")]
    InstrumentReturned,
    #[sea_orm(string_value = "PAYMENT_FAILED")]
    PaymentFailed,
    #[sea_orm(string_value = "PAYMENT_LINK_CREATED")]
    PaymentLinkCreated,
    #[sea_orm(string_value = "PAYMENT_LINK_SENT")]
    PaymentLinkSent,
    #[sea_orm(string_value = "PAYMENT_LINK_CANCELLED")]
    PaymentLinkCancelled,
    /// The link's invoices came to owe less than it asked: the provider's page was withdrawn and
    /// the link now asks what is owed.
    #[sea_orm(string_value = "PAYMENT_LINK_REPRICED")]
    PaymentLinkRepriced,
    /// A dispute was opened on an invoice (it is marked disputed).
    #[sea_orm(string_value = "DISPUTE_OPENED")]
    DisputeOpened,
    /// A dispute was resolved, upheld or rejected.
    #[sea_orm(string_value = "DISPUTE_RESOLVED")]
    DisputeResolved,
    /// A task was put on someone's worklist.
    #[sea_orm(string_value = "TASK_CREATED")]
    TaskCreated,
    /// A task was done; `note` holds the outcome.
    #[sea_orm(string_value = "TASK_COMPLETED")]
    TaskCompleted,
    /// An open task was given to someone else (or to the managers' pool).
    #[sea_orm(string_value = "TASK_ASSIGNED")]
    TaskAssigned,
    /// A promise to pay was recorded (by a collector or by the customer).
    #[sea_orm(string_value = "PROMISE_MADE")]
    PromiseMade,
    /// The promised amount arrived by the date (plus grace).
    #[sea_orm(string_value = "PROMISE_KEPT")]
    PromiseKept,
    /// The date and grace days passed without the money; a task goes to the collector.
    #[sea_orm(string_value = "PROMISE_BROKEN")]
    PromiseBroken,
    /// A payment plan was agreed over some of the customer's invoices.
    #[sea_orm(string_value = "PLAN_CREATED")]
    PlanCreated,
    /// A plan's installment passed its due date plus grace unpaid; a task goes to the collector.
    #[sea_orm(string_value = "PLAN_INSTALLMENT_MISSED")]
    PlanInstallmentMissed,
    /// Every installment of a plan was paid.
    #[sea_orm(string_value = "PLAN_COMPLETED")]
    PlanCompleted,
    /// Too many installments were missed: the plan ended and normal dunning resumed.
    #[sea_orm(string_value = "PLAN_BROKEN")]
    PlanBroken,
    /// A person withdrew the plan.
    #[sea_orm(string_value = "PLAN_CANCELLED")]
    PlanCancelled,
    /// A reminder went out (actor `system`): step, channel, invoices, amounts.
    #[sea_orm(string_value = "REMINDER_SENT")]
    ReminderSent,
    /// A reminder could not be delivered after its retries; the reason is in the data.
    #[sea_orm(string_value = "REMINDER_FAILED")]
    ReminderFailed,
    /// Reminders to the customer were paused until a day.
    #[sea_orm(string_value = "DUNNING_PAUSED")]
    DunningPaused,
    /// Reminders to the customer were resumed.
    #[sea_orm(string_value = "DUNNING_RESUMED")]
    DunningResumed,
}

impl ActivityKind {
    /// Kinds a person may log by hand; the others record what the system did.
    pub fn is_manual(self) -> bool {
        matches!(
            self,
            ActivityKind::Note
                | ActivityKind::Call
                | ActivityKind::Email
                | ActivityKind::Meeting
                | ActivityKind::PromiseToPay
                | ActivityKind::Dispute
        )
    }
}
