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
use crate::graphql::context::ContextExt;
use crate::graphql::errors::GqlResultExt;
use crate::graphql::scalars::DateTime;
use crate::services::rules::stored_currency;

/// A company (or person) that owes money.
pub struct Customer(pub customer::Model);

/// Someone to talk to at a customer.
pub struct Contact(pub contact::Model);

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

    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
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
        Ok(ctx
            .loaders()
            .gql()?
            .user
            .load_one(collector)
            .await
            .gql()?
            .map(User))
    }

    /// Contacts, the primary one first.
    async fn contacts(&self, ctx: &Context<'_>) -> Result<Vec<Contact>> {
        let mut contacts = ctx
            .loaders()
            .gql()?
            .contacts_of_customer
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        contacts.sort_by_key(|contact| !contact.is_primary);
        Ok(contacts.into_iter().map(Contact).collect())
    }

    /// The customer's payment links, newest first.
    #[graphql(complexity = "10 * child_complexity")]
    async fn payment_links(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::payment_link::PaymentLink>> {
        let mut links = ctx
            .loaders()
            .gql()?
            .links_of_customer
            .load_one(self.0.id)
            .await
            .gql()?
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
        let balances = ctx
            .loaders()
            .gql()?
            .balances
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        Ok(balances.open.into_iter().map(Money::from).collect())
    }

    /// The part of the open balance that is past due, one per currency.
    async fn overdue_balance(&self, ctx: &Context<'_>) -> Result<Vec<Money>> {
        let balances = ctx
            .loaders()
            .gql()?
            .balances
            .load_one(self.0.id)
            .await
            .gql()?
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
