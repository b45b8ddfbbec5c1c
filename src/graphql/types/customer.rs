use async_graphql::{Context, ID, Object, Result};

use super::activity::Activity;
use super::id;
use super::invoice::Invoice;
use super::money::Money;
use super::user::User;
use crate::domain::money::Money as DomainMoney;
use crate::entities::{contact, customer};
use crate::graphql::connection::{
    ACTIVITIES_OF_CUSTOMER, ActivityConnection, INVOICES_OF_CUSTOMER, InvoiceConnection, nested,
};
use crate::graphql::context::{ContextExt, load};
use crate::graphql::errors::GqlResultExt;
use crate::graphql::scalars::DateTime;
use crate::services::rules::stored_currency;

use crate::graphql::area::*;

/// A company (or person) that owes money.
pub struct Customer(pub customer::Model);

/// Someone to talk to at a customer.
pub struct Contact(pub contact::Model);

/// A company or person the organization sells to on credit, with its contacts, invoices,
/// balances and history.
#[Object]
impl Customer {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The customer's id in your ERP or accounting system.
    async fn external_ref(&self) -> Option<&str> {
        self.0.external_ref.as_deref()
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// VKN (10 digits) or TCKN (11 digits).
    async fn tax_id(&self) -> Option<&str> {
        self.0.tax_id.as_deref()
    }

    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// E.164, e.g. +905321234567.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    /// `tr` or `en`: what the customer's mail, SMS and pay page are written in.
    async fn language(&self) -> &str {
        self.0.language.as_deref().unwrap_or("tr")
    }

    /// The customer's real risk per currency: the open balance plus cheques and notes not yet
    /// cleared, against the credit limit.
    async fn exposure(&self, ctx: &Context<'_>) -> Result<Vec<super::instrument::Exposure>> {
        let balances = load(ctx, |loaders| &loaders.balances, self.0.id)
            .await?
            .unwrap_or_default();
        let uncleared = load(ctx, |loaders| &loaders.uncleared, self.0.id)
            .await?
            .unwrap_or_default();
        let mut currencies: Vec<_> = balances
            .open
            .iter()
            .map(|sum| sum.currency)
            .chain(uncleared.iter().map(|sum| sum.currency))
            .collect();
        currencies.sort();
        currencies.dedup();
        let minor_in = |sums: &[crate::domain::money::MoneySum], currency| {
            sums.iter()
                .find(|sum| sum.currency == currency)
                .map_or(0, |sum| sum.minor)
        };
        Ok(currencies
            .into_iter()
            .map(|currency| {
                let open = minor_in(&balances.open, currency);
                let papers = minor_in(&uncleared, currency);
                let sum = |minor| {
                    crate::graphql::scalars::Decimal(
                        crate::domain::money::MoneySum { minor, currency }.to_decimal(),
                    )
                };
                let limit = self
                    .0
                    .credit_limit_minor
                    .filter(|_| self.0.credit_limit_currency.as_deref() == Some(currency.code()));
                super::instrument::Exposure {
                    currency: currency.code().to_owned(),
                    open_balance: sum(open),
                    uncleared_instruments: sum(papers),
                    total: sum(open + papers),
                    credit_limit: limit.map(|limit| sum(i128::from(limit))),
                    over_limit: limit.is_some_and(|limit| open + papers > i128::from(limit)),
                }
            })
            .collect())
    }

    /// How the customer pays, and the risk score it adds up to.
    async fn payment_behaviour(
        &self,
        ctx: &Context<'_>,
    ) -> Result<super::analytics::PaymentBehaviour> {
        let found = load(ctx, |loaders| &loaders.behaviour, self.0.id).await?;
        Ok(super::analytics::PaymentBehaviour(
            found.unwrap_or_default(),
        ))
    }

    /// The customer's aging as of a day (default today), one report per currency they owe or
    /// hold unapplied cash in.
    async fn aging(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day (UTC); default today.")] as_of: Option<
            crate::graphql::scalars::Date,
        >,
        #[graphql(
            desc = "Overdue bucket ends in days past due, ascending (default 30, 60, 90, 120)."
        )]
        buckets: Option<Vec<i32>>,
    ) -> Result<Vec<super::analytics::AgingReport>> {
        super::analytics::customer_aging(ctx, &self.0, as_of, buckets).await
    }

    /// No reminders go to the customer until this day (inclusive); null when not paused.
    async fn dunning_paused_until(&self) -> Option<crate::graphql::scalars::Date> {
        self.0
            .dunning_paused_until
            .map(crate::graphql::scalars::Date)
    }

    /// Why reminders are paused.
    async fn dunning_pause_reason(&self) -> Option<&str> {
        self.0.dunning_pause_reason.as_deref()
    }

    /// The policy the customer's reminders follow: their own, else the default; null when the
    /// customer gets no reminders.
    async fn reminder_policy(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::dunning::ReminderPolicy>> {
        if self.0.reminders_off == Some(true) {
            return Ok(None);
        }
        let found = match self.0.reminder_policy_id {
            Some(policy_id) => load(ctx, |loaders| &loaders.reminder_policy, policy_id).await?,
            None => {
                let org = self.0.organization_id;
                load(ctx, |loaders| &loaders.default_policy, org).await?
            }
        };
        Ok(found.map(super::dunning::ReminderPolicy))
    }

    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }

    /// Days from issue to due date, for invoices created without a due date.
    async fn payment_terms_days(&self) -> i32 {
        self.0.payment_terms_days
    }

    async fn credit_limit(&self) -> Result<Option<Money>> {
        match (self.0.credit_limit_minor, &self.0.credit_limit_currency) {
            (Some(minor), Some(code)) => Ok(Some(
                DomainMoney::from_minor(minor, stored_currency(code).gql()?).into(),
            )),
            _ => Ok(None),
        }
    }

    async fn blocked(&self) -> bool {
        self.0.blocked
    }

    /// The collector responsible for this customer.
    async fn assigned_collector(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(collector) = self.0.assigned_collector_id else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.user, collector)
            .await?
            .map(User))
    }

    /// Contacts, the primary one first.
    async fn contacts(&self, ctx: &Context<'_>) -> Result<Vec<Contact>> {
        let mut contacts = load(ctx, |loaders| &loaders.contacts_of_customer, self.0.id)
            .await?
            .unwrap_or_default();
        contacts.sort_by_key(|contact| !contact.is_primary);
        Ok(contacts.into_iter().map(Contact).collect())
    }

    /// The customer's promises to pay, newest first.
    #[graphql(complexity = "10 * child_complexity")]
    async fn promises(&self, ctx: &Context<'_>) -> Result<Vec<super::promise::Promise>> {
        let mut found = load(ctx, |loaders| &loaders.promises_of_customer, self.0.id)
            .await?
            .unwrap_or_default();
        found.sort_by_key(|promise| std::cmp::Reverse((promise.created_at, promise.id)));
        Ok(found.into_iter().map(super::promise::Promise).collect())
    }

    /// The customer's payment plans, newest first.
    async fn payment_plans(&self, ctx: &Context<'_>) -> Result<Vec<super::plan::PaymentPlan>> {
        let mut found = load(ctx, |loaders| &loaders.plans_of_customer, self.0.id)
            .await?
            .unwrap_or_default();
        found.sort_by_key(|plan| std::cmp::Reverse((plan.created_at, plan.id)));
        Ok(found.into_iter().map(super::plan::PaymentPlan).collect())
    }

    /// How the customer's promises went: made, kept, broken, and the share kept.
    async fn promise_stats(&self, ctx: &Context<'_>) -> Result<super::promise::PromiseStats> {
        let found = load(ctx, |loaders| &loaders.promises_of_customer, self.0.id)
            .await?
            .unwrap_or_default();
        let count = |status| {
            found
                .iter()
                .filter(|promise| promise.status == status)
                .count() as u64
        };
        Ok(crate::services::promises::PromiseStats {
            made: found.len() as u64,
            kept: count(crate::domain::promise::PromiseStatus::Kept),
            broken: count(crate::domain::promise::PromiseStatus::Broken),
        }
        .into())
    }

    /// The customer's payment links, newest first.
    #[graphql(complexity = "10 * child_complexity")]
    async fn payment_links(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::payment_link::PaymentLink>> {
        let mut links = load(ctx, |loaders| &loaders.links_of_customer, self.0.id)
            .await?
            .unwrap_or_default();
        links.sort_by_key(|link| std::cmp::Reverse((link.created_at, link.id)));
        Ok(links
            .into_iter()
            .map(super::payment_link::PaymentLink)
            .collect())
    }

    /// The customer's invoices, by due date.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<InvoiceConnection> {
        nested(ctx, self.0.id, first, after, INVOICES_OF_CUSTOMER, Invoice)
            .await
            .map(Into::into)
    }

    /// What was done for this customer, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ActivityConnection> {
        nested(
            ctx,
            self.0.id,
            first,
            after,
            ACTIVITIES_OF_CUSTOMER,
            Activity,
        )
        .await
        .map(Into::into)
    }

    /// Unpaid amounts, one per currency.
    async fn open_balance(&self, ctx: &Context<'_>) -> Result<Vec<Money>> {
        let balances = load(ctx, |loaders| &loaders.balances, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(balances.open.into_iter().map(Money::from).collect())
    }

    /// The part of the open balance that is past due, one per currency.
    async fn overdue_balance(&self, ctx: &Context<'_>) -> Result<Vec<Money>> {
        let balances = load(ctx, |loaders| &loaders.balances, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(balances.overdue.into_iter().map(Money::from).collect())
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}

#[Object]
impl Contact {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Their job, e.g. "Muhasebe Müdürü".
    async fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }

    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    /// Payment links go to the primary contact unless told otherwise.
    async fn is_primary(&self) -> bool {
        self.0.is_primary
    }
}

/// The customers area's queries.
#[derive(Default)]
pub struct CustomersQuery;

#[Object]
impl CustomersQuery {
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Customer>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.customer, id)
            .await?
            .map(Customer))
    }

    /// Customers by name.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        filter: Option<CustomerFilter>,
    ) -> Result<CustomerConnection> {
        let app = ctx.app().gql()?;
        let viewer = ctx.viewer().gql()?;
        let search = match filter.as_ref().and_then(|filter| filter.search.as_deref()) {
            Some(search) => Some(rules::filter_text(search, MAX_SEARCH, "search").gql()?),
            None => None,
        };
        let filter = filter.map_or_else(customers::CustomerFilter::default, |filter| {
            customers::CustomerFilter {
                search,
                assigned_collector_id: filter.assigned_collector_id.as_ref().map(input_id),
                has_overdue: filter.has_overdue,
            }
        });
        let select = customers::filtered(viewer.organization_id, &filter, app.clock.today());
        Ok(list(
            ctx,
            first,
            after,
            select,
            &customers::ORDER,
            prefetch::customers,
            Customer,
        )
        .await?
        .into())
    }
}

/// The customers area's mutations.
#[derive(Default)]
pub struct CustomersMutation;

#[Object]
impl CustomersMutation {
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
                language: input.language,
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
            language: change(input.language, |code| code),
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
}
