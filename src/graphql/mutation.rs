//! The mutation root: each mutation takes one `input`, calls a service, and returns a payload.

use async_graphql::{Context, MaybeUndefined, Object, Result};
use uuid::Uuid;

use super::context::ContextExt;
use super::errors::GqlResultExt;
use super::inputs::*;
use super::payloads::*;
use super::types::activity::Activity;
use super::types::customer::{Contact, Customer};
use super::types::invoice::Invoice;
use super::types::parse_id;
use super::types::payment::Payment;
use super::types::payment_link::PaymentLink;
use super::types::user::UsersMutation;
use crate::services::{activities, customers, invoices, payment_links, payments};

/// The schema's mutation root: each area's mutations, merged.
#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(CoreMutation, UsersMutation);

/// Customers, invoices, payments, links and the activity log (to be split by area in turn).
#[derive(Default)]
pub struct CoreMutation;

/// A malformed id is an id that does not exist: the service answers NOT_FOUND for it.
pub fn input_id(id: &async_graphql::ID) -> Uuid {
    parse_id(id).unwrap_or(Uuid::nil())
}

fn change<T, U>(value: MaybeUndefined<T>, map: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(map(value))),
    }
}

#[Object]
impl CoreMutation {
    /// MANAGER or ADMIN.
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        input: CreateCustomerInput,
    ) -> Result<CreateCustomerPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = customers::create(
            &app.db,
            app.clock.as_ref(),
            viewer,
            customers::NewCustomer {
                external_ref: input.external_ref,
                name: input.name,
                tax_id: input.tax_id,
                email: input.email,
                phone: input.phone,
                address: input.address,
                payment_terms_days: input.payment_terms_days,
                assigned_collector_id: input.assigned_collector_id.as_ref().map(input_id),
                credit_limit: input.credit_limit.map(|limit| limit.0),
            },
        )
        .await;
        CreateCustomerPayload::from_result(result.map(Customer))
    }

    /// MANAGER or ADMIN. Fields left out stay as they are.
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        input: UpdateCustomerInput,
    ) -> Result<UpdateCustomerPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let changes = customers::CustomerChanges {
            id: input_id(&input.id),
            external_ref: change(input.external_ref, |v| v),
            name: input.name,
            tax_id: change(input.tax_id, |v| v),
            email: change(input.email, |v| v),
            phone: change(input.phone, |v| v),
            address: change(input.address, |v| v),
            payment_terms_days: input.payment_terms_days,
            assigned_collector_id: change(input.assigned_collector_id, |id| input_id(&id)),
            credit_limit: change(input.credit_limit, |limit| limit.0),
            blocked: input.blocked,
        };
        let result = customers::update(&app.db, app.clock.as_ref(), viewer, changes).await;
        UpdateCustomerPayload::from_result(result.map(Customer))
    }

    /// MANAGER or ADMIN.
    async fn add_contact(
        &self,
        ctx: &Context<'_>,
        input: AddContactInput,
    ) -> Result<AddContactPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = customers::add_contact(
            &app.db,
            app.clock.as_ref(),
            viewer,
            customers::NewContact {
                customer_id: input_id(&input.customer_id),
                name: input.name,
                role: input.role,
                email: input.email,
                phone: input.phone,
                is_primary: input.is_primary,
            },
        )
        .await;
        AddContactPayload::from_result(result.map(Contact))
    }

    /// MANAGER or ADMIN.
    async fn create_invoice(
        &self,
        ctx: &Context<'_>,
        input: CreateInvoiceInput,
    ) -> Result<CreateInvoicePayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = invoices::create(
            &app.db,
            app.clock.as_ref(),
            viewer,
            invoices::NewInvoice {
                customer_id: input_id(&input.customer_id),
                number: input.number,
                external_ref: input.external_ref,
                issue_date: input.issue_date.0,
                due_date: input.due_date.map(|date| date.0),
                currency: input.currency,
                total: input.total.0,
                description: input.description,
            },
        )
        .await;
        CreateInvoicePayload::from_result(result.map(Invoice))
    }

    /// MANAGER or ADMIN: the due date, description or external reference; logged as
    /// INVOICE_UPDATED with what changed.
    async fn update_invoice(
        &self,
        ctx: &Context<'_>,
        input: UpdateInvoiceInput,
    ) -> Result<UpdateInvoicePayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let changes = invoices::InvoiceChanges {
            due_date: input.due_date.map(|date| date.0),
            description: change(input.description, |text| text),
            external_ref: change(input.external_ref, |text| text),
        };
        let result = invoices::update(app, viewer, input_id(&input.id), changes).await;
        UpdateInvoicePayload::from_result(result.map(Invoice))
    }

    /// MANAGER or ADMIN. Refused for an invoice that has received payments.
    async fn void_invoice(
        &self,
        ctx: &Context<'_>,
        input: VoidInvoiceInput,
    ) -> Result<VoidInvoicePayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = invoices::void(app, viewer, input_id(&input.id), &input.reason).await;
        VoidInvoicePayload::from_result(result.map(Invoice))
    }

    /// COLLECTOR and up.
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordPaymentInput,
    ) -> Result<RecordPaymentPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = payments::record(
            app,
            viewer,
            payments::RecordPayment {
                customer_id: input_id(&input.customer_id),
                amount: input.amount.0,
                currency: input.currency,
                method: input.method.into(),
                received_at: input.received_at.map(|at| at.0),
                reference: input.reference,
                allocations: input.allocations.map(|allocations| {
                    allocations
                        .into_iter()
                        .map(|allocation| (input_id(&allocation.invoice_id), allocation.amount.0))
                        .collect()
                }),
            },
        )
        .await;
        RecordPaymentPayload::from_result(result.map(|recorded| Payment(recorded.payment)))
    }

    /// COLLECTOR and up: a note, call, email, meeting, promise to pay or dispute.
    async fn log_activity(
        &self,
        ctx: &Context<'_>,
        input: LogActivityInput,
    ) -> Result<LogActivityPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = activities::log(
            &app.db,
            app.clock.as_ref(),
            viewer,
            activities::LogActivity {
                kind: input.kind.into(),
                customer_id: input_id(&input.customer_id),
                invoice_id: input.invoice_id.as_ref().map(input_id),
                note: input.note,
                promised_amount: input.promised_amount.map(|amount| amount.0),
                promised_date: input.promised_date.map(|date| date.0),
                currency: input.currency,
            },
        )
        .await;
        LogActivityPayload::from_result(result.map(Activity))
    }

    /// COLLECTOR and up: a card-payment link for open invoices of one customer.
    async fn create_payment_link(
        &self,
        ctx: &Context<'_>,
        input: CreatePaymentLinkInput,
    ) -> Result<CreatePaymentLinkPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = payment_links::create(
            app,
            viewer,
            payment_links::NewPaymentLink {
                invoice_ids: input.invoice_ids.iter().map(input_id).collect(),
                amount: input.amount.map(|amount| amount.0),
                max_installments: input.max_installments,
                provider: input.provider,
                expires_in_hours: input.expires_in_hours,
            },
        )
        .await;
        CreatePaymentLinkPayload::from_result(result.map(PaymentLink))
    }

    /// COLLECTOR and up: mails the link to the customer (delivered by the outbox worker).
    async fn send_payment_link(
        &self,
        ctx: &Context<'_>,
        input: SendPaymentLinkInput,
    ) -> Result<SendPaymentLinkPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = payment_links::send(app, viewer, input_id(&input.id), input.email).await;
        SendPaymentLinkPayload::from_result(result.map(PaymentLink))
    }

    /// COLLECTOR and up: withdraws an active link.
    async fn cancel_payment_link(
        &self,
        ctx: &Context<'_>,
        input: CancelPaymentLinkInput,
    ) -> Result<CancelPaymentLinkPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = payment_links::cancel(app, viewer, input_id(&input.id)).await;
        CancelPaymentLinkPayload::from_result(result.map(PaymentLink))
    }
}
