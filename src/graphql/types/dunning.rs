//! Dunning in the API: settings, message templates, reminder policies, previews, and the
//! mutations that change them, pause a customer's reminders or send one now.

use async_graphql::{Enum, InputObject, SimpleObject};

use super::customer::Customer;
use super::id;
use super::invoice::Invoice;
use crate::domain::dunning as domain;
use crate::domain::sms::{SmsEncoding as DomainEncoding, sms_length};
use crate::entities::{message_template, reminder_policy};
use crate::graphql::area::*;
use crate::graphql::scalars::{Date, DateTime, Decimal};
use crate::services::dunning::{self, policies, scheduler, templates};

/// How a template is delivered.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::dunning::TemplateChannel")]
pub enum TemplateChannel {
    /// Mail: a subject, and a body sent as plain text and HTML.
    Email,
    /// SMS: a plain body; Turkish letters are kept.
    Sms,
}

/// What a policy step does.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::dunning::StepChannel")]
pub enum StepChannel {
    /// Send the step's mail template.
    Email,
    /// Send the step's SMS template; without a mobile number, the same text by mail, else a task.
    Sms,
    /// Put a call on the customer's collector's worklist instead of sending.
    Task,
}

/// A day of the week.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    fn name(self) -> &'static str {
        domain::WEEKDAYS[Self::ALL.iter().position(|day| *day == self).unwrap_or(0)]
    }

    fn from_name(name: &str) -> Option<Self> {
        domain::WEEKDAYS
            .iter()
            .position(|day| *day == name)
            .map(|index| Self::ALL[index])
    }
}

/// How reminders go out.
#[derive(SimpleObject)]
pub struct DunningSettings {
    /// Whether the scheduler sends reminders at all (previews work either way); off until an
    /// admin switches it on.
    pub enabled: bool,
    /// The IANA time zone of the window and of "today", e.g. `Europe/Istanbul`.
    pub timezone: String,
    /// When the sending window opens, local `HH:MM`.
    pub window_start: String,
    /// When it closes, local `HH:MM` (exclusive).
    pub window_end: String,
    /// The days reminders may go out on.
    pub weekdays: Vec<Weekday>,
    /// Days after a promised date before an unpaid promise counts as broken.
    pub promise_grace_days: i32,
    /// Days after an installment's due date before an unpaid one counts as missed.
    pub plan_grace_days: i32,
    /// Installments missed and still unpaid that break a payment plan (then normal dunning
    /// resumes on what its invoices owe).
    pub plan_misses_to_break: i32,
}

impl From<domain::DunningSettings> for DunningSettings {
    fn from(settings: domain::DunningSettings) -> Self {
        DunningSettings {
            enabled: settings.enabled,
            timezone: settings.timezone,
            window_start: settings.window_start,
            window_end: settings.window_end,
            weekdays: settings
                .weekdays
                .iter()
                .filter_map(|day| Weekday::from_name(day))
                .collect(),
            promise_grace_days: i32::try_from(settings.promise_grace_days).unwrap_or(i32::MAX),
            plan_grace_days: i32::try_from(settings.plan_grace_days).unwrap_or(i32::MAX),
            plan_misses_to_break: i32::try_from(settings.plan_misses_to_break).unwrap_or(i32::MAX),
        }
    }
}

/// New dunning settings (all of them).
#[derive(InputObject)]
pub struct UpdateDunningSettingsInput {
    /// Whether the scheduler sends reminders.
    pub enabled: bool,
    /// An IANA time zone such as `Europe/Istanbul`.
    pub timezone: String,
    /// Local `HH:MM`, e.g. `09:00`.
    pub window_start: String,
    /// Local `HH:MM`, after the start, e.g. `18:00`.
    pub window_end: String,
    /// At least one day.
    pub weekdays: Vec<Weekday>,
    /// 0 to 30.
    pub promise_grace_days: i32,
    /// 0 to 30; default 2.
    pub plan_grace_days: Option<i32>,
    /// 1 to 12; default 2.
    pub plan_misses_to_break: Option<i32>,
}

/// How long a text is as an SMS.
#[derive(SimpleObject)]
pub struct SmsLength {
    /// `GSM7`, `GSM7_TURKISH` (GSM with the Turkish shift table) or `UCS2`.
    pub encoding: SmsEncoding,
    /// Septets (GSM) or UTF-16 units (UCS-2).
    pub units: i32,
    /// How many messages the operator bills.
    pub segments: i32,
}

/// The character set of an SMS.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SmsEncoding {
    /// The default GSM alphabet: 160 characters in one message.
    #[graphql(name = "GSM7")]
    Gsm7,
    /// GSM with the Turkish single-shift table: 155 in one message; ç ğ ı İ ş take two.
    #[graphql(name = "GSM7_TURKISH")]
    Gsm7Turkish,
    /// Anything else: 70 characters in one message.
    #[graphql(name = "UCS2")]
    Ucs2,
}

impl From<&str> for SmsLength {
    fn from(text: &str) -> Self {
        let length = sms_length(text);
        SmsLength {
            encoding: match length.encoding {
                DomainEncoding::Gsm7 => SmsEncoding::Gsm7,
                DomainEncoding::Gsm7Turkish => SmsEncoding::Gsm7Turkish,
                DomainEncoding::Ucs2 => SmsEncoding::Ucs2,
            },
            units: i32::try_from(length.units).unwrap_or(i32::MAX),
            segments: i32::try_from(length.segments).unwrap_or(i32::MAX),
        }
    }
}

/// A reminder text in one channel and language. Templates of one name are one text in several
/// languages: a customer gets the one in their language.
pub struct MessageTemplate(pub message_template::Model);

#[Object]
impl MessageTemplate {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn channel(&self) -> TemplateChannel {
        self.0.channel.into()
    }

    /// `tr` or `en`.
    async fn language(&self) -> &str {
        &self.0.language
    }

    /// The mail's subject; null for SMS.
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }

    /// The text, with `{{ variable }}` placeholders: company, customer, contact_name,
    /// invoice_table, total_overdue, pay_link, collector_name, collector_phone.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// The body's SMS length as written (variables not filled in).
    async fn sms_length(&self) -> SmsLength {
        self.0.body.as_str().into()
    }

    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// A new or changed template.
#[derive(InputObject)]
pub struct MessageTemplateInput {
    /// Up to 200 characters; one name, channel and language per organization.
    pub name: String,
    pub channel: TemplateChannel,
    /// `tr` or `en`.
    pub language: String,
    /// Required for mail, up to 300 characters; ignored for SMS.
    pub subject: Option<String>,
    /// Up to 10,000 characters; an unknown variable or an unclosed `{{` is refused.
    pub body: String,
}

/// A changed template.
#[derive(InputObject)]
pub struct UpdateMessageTemplateInput {
    /// The template to change.
    pub id: ID,
    /// Its new fields, all of them.
    #[graphql(flatten)]
    pub fields: MessageTemplateInput,
}

impl From<MessageTemplateInput> for templates::TemplateInput {
    fn from(input: MessageTemplateInput) -> Self {
        templates::TemplateInput {
            name: input.name,
            channel: input.channel.into(),
            language: input.language,
            subject: input.subject,
            body: input.body,
        }
    }
}

/// One step of a reminder policy.
pub struct ReminderStep(domain::Step);

#[Object]
impl ReminderStep {
    /// Days from the due date; negative is before it.
    async fn offset_days(&self) -> i32 {
        self.0.offset_days
    }

    async fn channel(&self) -> StepChannel {
        self.0.channel.into()
    }

    /// The template sent (in the customer's language when it has one); null for TASK.
    async fn template(&self, ctx: &Context<'_>) -> Result<Option<MessageTemplate>> {
        let Some(template_id) = self.0.template_id else {
            return Ok(None);
        };
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let found = templates::find(app.db.reader(), viewer.organization_id, template_id).await;
        Ok(found.gql()?.map(MessageTemplate))
    }

    /// Whether the message carries a pay link (the customer's active one for exactly those
    /// invoices, else a new one).
    async fn include_pay_link(&self) -> bool {
        self.0.include_pay_link
    }

    /// The step waits until the balance of the invoices at it reaches this, in their currency.
    async fn min_overdue_amount(&self) -> Option<Decimal> {
        self.0.min_overdue_amount.map(Decimal)
    }
}

/// An ordered list of reminder steps; one is the organization's default.
pub struct ReminderPolicy(pub reminder_policy::Model);

#[Object]
impl ReminderPolicy {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Customers without a policy of their own follow the default.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }

    /// Installments offered on the pay links its reminders create.
    async fn max_installments(&self) -> i32 {
        self.0.max_installments
    }

    /// Oldest day first.
    async fn steps(&self) -> Vec<ReminderStep> {
        policies::steps(&self.0)
            .into_iter()
            .map(ReminderStep)
            .collect()
    }
}

/// One step as given.
#[derive(InputObject)]
pub struct ReminderStepInput {
    /// -365 to 365 days from the due date; one step per day.
    pub offset_days: i32,
    pub channel: StepChannel,
    /// A template of the step's channel; required for EMAIL and SMS.
    pub template_id: Option<ID>,
    /// Whether the message carries a pay link.
    #[graphql(default = true)]
    pub include_pay_link: bool,
    /// The step waits until the invoices at it owe at least this.
    pub min_overdue_amount: Option<Decimal>,
}

/// A new policy.
#[derive(InputObject)]
pub struct CreateReminderPolicyInput {
    /// Up to 200 characters.
    pub name: String,
    /// Makes it the default (the first policy always is).
    #[graphql(default)]
    pub is_default: bool,
    /// 1 to 12 (default 1).
    #[graphql(default = 1)]
    pub max_installments: i32,
    /// 1 to 20 steps.
    pub steps: Vec<ReminderStepInput>,
}

/// A policy replaced whole.
#[derive(InputObject)]
pub struct UpdateReminderPolicyInput {
    /// The policy to change.
    pub id: ID,
    /// Its new fields, all of them; the default stays the default until another is made so.
    #[graphql(flatten)]
    pub fields: CreateReminderPolicyInput,
}

impl From<CreateReminderPolicyInput> for policies::PolicyInput {
    fn from(input: CreateReminderPolicyInput) -> Self {
        policies::PolicyInput {
            name: input.name,
            is_default: input.is_default,
            max_installments: input.max_installments,
            steps: input
                .steps
                .into_iter()
                .map(|step| policies::StepInput {
                    offset_days: step.offset_days,
                    channel: step.channel.into(),
                    template_id: step.template_id.as_ref().map(input_id),
                    include_pay_link: step.include_pay_link,
                    min_overdue_amount: step.min_overdue_amount.map(|amount| amount.0),
                })
                .collect(),
        }
    }
}

/// A customer's policy: another one, or none.
#[derive(InputObject)]
pub struct SetCustomerReminderPolicyInput {
    pub customer_id: ID,
    /// The policy; null = no reminders for this customer.
    pub policy_id: Option<ID>,
}

/// Reminders held off for a while.
#[derive(InputObject)]
pub struct PauseDunningInput {
    pub customer_id: ID,
    /// The last day without reminders: today to a year ahead.
    pub until: Date,
    /// Why; up to 2,000 characters.
    pub reason: Option<String>,
}

/// Reminders going on again.
#[derive(InputObject)]
pub struct ResumeDunningInput {
    pub customer_id: ID,
}

/// One reminder, now.
#[derive(InputObject)]
pub struct SendReminderInput {
    pub customer_id: ID,
    /// Sent by its channel, in the customer's language when the template has it.
    pub template_id: ID,
    /// Open invoices of the customer.
    pub invoice_ids: Vec<ID>,
}

/// The step of a planned reminder.
#[derive(SimpleObject)]
pub struct PlannedStep {
    /// Days from the due date.
    pub offset_days: i32,
    pub channel: StepChannel,
}

/// A reminder the policies would send on a day.
#[derive(SimpleObject)]
pub struct PlannedReminder {
    pub customer: Customer,
    pub step: PlannedStep,
    /// The invoices it lists, oldest due first.
    pub invoices: Vec<Invoice>,
    /// The mail's subject; null for SMS and tasks.
    pub subject: Option<String>,
    /// The text as the customer would read it (a task's description for TASK steps).
    pub body: String,
}

/// A template filled in for a customer.
#[derive(SimpleObject)]
pub struct RenderedReminder {
    pub channel: TemplateChannel,
    pub subject: Option<String>,
    /// Plain text (the SMS, or the mail's text part).
    pub text: String,
    /// The mail's HTML part (values escaped).
    pub html: String,
    /// The text's SMS length.
    pub sms_length: SmsLength,
}

/// The settings as saved.
#[derive(SimpleObject)]
pub struct DunningSettingsPayload {
    pub settings: Option<DunningSettings>,
    pub user_errors: Vec<UserError>,
}

/// The template as saved.
#[derive(SimpleObject)]
pub struct MessageTemplatePayload {
    pub template: Option<MessageTemplate>,
    pub user_errors: Vec<UserError>,
}

/// The policy as saved.
#[derive(SimpleObject)]
pub struct ReminderPolicyPayload {
    pub policy: Option<ReminderPolicy>,
    pub user_errors: Vec<UserError>,
}

/// The customer as it is now.
#[derive(SimpleObject)]
pub struct DunningCustomerPayload {
    pub customer: Option<Customer>,
    pub user_errors: Vec<UserError>,
}

/// What was sent.
#[derive(SimpleObject)]
pub struct SendReminderPayload {
    /// The invoices the reminder listed.
    pub invoices: Option<Vec<ID>>,
    pub user_errors: Vec<UserError>,
}

/// The dunning area's queries.
#[derive(Default)]
pub struct DunningQuery;

#[Object]
impl DunningQuery {
    /// How reminders go out.
    async fn dunning_settings(&self, ctx: &Context<'_>) -> Result<DunningSettings> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let settings = dunning::settings(app.db.reader(), viewer.organization_id).await;
        Ok(settings.gql()?.into())
    }

    /// Every template, by name, channel and language.
    async fn message_templates(&self, ctx: &Context<'_>) -> Result<Vec<MessageTemplate>> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let all = templates::list(app.db.reader(), viewer.organization_id).await;
        Ok(all.gql()?.into_iter().map(MessageTemplate).collect())
    }

    /// Every policy, the default first.
    async fn reminder_policies(&self, ctx: &Context<'_>) -> Result<Vec<ReminderPolicy>> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let all = policies::list(app.db.reader(), viewer.organization_id).await;
        Ok(all.gql()?.into_iter().map(ReminderPolicy).collect())
    }

    /// MANAGER and up: what the policies would send on `date`, rendered, whatever the on/off
    /// switch and the sending window say; nothing is sent or recorded.
    async fn dunning_preview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day to plan, in the organization's time zone.")] date: Date,
    ) -> Result<Vec<PlannedReminder>> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let planned = scheduler::preview(app, viewer, date.0).await.gql()?;
        Ok(planned
            .into_iter()
            .map(|preview| PlannedReminder {
                customer: Customer(preview.customer),
                step: PlannedStep {
                    offset_days: preview.step.offset_days,
                    channel: preview.step.channel.into(),
                },
                invoices: preview.invoices.into_iter().map(Invoice).collect(),
                subject: preview.subject,
                body: preview.body,
            })
            .collect())
    }

    /// What the customer would receive from this template now, over their open invoices.
    async fn preview_reminder(
        &self,
        ctx: &Context<'_>,
        customer_id: ID,
        template_id: ID,
    ) -> Result<RenderedReminder> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let (customer_id, template_id) = (input_id(&customer_id), input_id(&template_id));
        let preview = scheduler::preview_reminder(app, viewer, customer_id, template_id).await;
        let preview = preview.gql()?;
        Ok(RenderedReminder {
            channel: preview.channel.into(),
            sms_length: preview.rendered.text.as_str().into(),
            subject: preview.rendered.subject,
            text: preview.rendered.text,
            html: preview.rendered.html,
        })
    }

    /// The SMS length of a text, to check a template before saving it.
    async fn sms_length(
        &self,
        #[graphql(desc = "The text, up to 10,000 characters.")] text: String,
    ) -> Result<SmsLength> {
        rules::filter_text(&text.replace(['\n', '\r', '\t'], " "), 10_000, "text").gql()?;
        Ok(text.as_str().into())
    }
}

/// The dunning area's mutations.
#[derive(Default)]
pub struct DunningMutation;

#[Object]
impl DunningMutation {
    /// ADMIN: how reminders go out.
    async fn update_dunning_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateDunningSettingsInput,
    ) -> Result<DunningSettingsPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let settings = domain::DunningSettings {
            enabled: input.enabled,
            timezone: input.timezone,
            window_start: input.window_start,
            window_end: input.window_end,
            weekdays: input
                .weekdays
                .iter()
                .map(|day| day.name().to_owned())
                .collect(),
            promise_grace_days: u32::try_from(input.promise_grace_days).unwrap_or(u32::MAX),
            plan_grace_days: input
                .plan_grace_days
                .map_or(crate::domain::plan::DEFAULT_GRACE_DAYS, |days| {
                    u32::try_from(days).unwrap_or(u32::MAX)
                }),
            plan_misses_to_break: input
                .plan_misses_to_break
                .map_or(crate::domain::plan::DEFAULT_MISSES_TO_BREAK, |count| {
                    u32::try_from(count).unwrap_or(u32::MAX)
                }),
        };
        let (settings, user_errors) = split(dunning::update_settings(app, viewer, settings).await)?;
        Ok(DunningSettingsPayload {
            settings: settings.map(Into::into),
            user_errors,
        })
    }

    /// MANAGER and up: a new template, refused if it does not parse.
    async fn create_message_template(
        &self,
        ctx: &Context<'_>,
        input: MessageTemplateInput,
    ) -> Result<MessageTemplatePayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        template_payload(templates::create(app, viewer, input.into()).await)
    }

    /// MANAGER and up: a template replaced, refused if it does not parse.
    async fn update_message_template(
        &self,
        ctx: &Context<'_>,
        input: UpdateMessageTemplateInput,
    ) -> Result<MessageTemplatePayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let id = input_id(&input.id);
        template_payload(templates::update(app, viewer, id, input.fields.into()).await)
    }

    /// MANAGER and up: a new policy.
    async fn create_reminder_policy(
        &self,
        ctx: &Context<'_>,
        input: CreateReminderPolicyInput,
    ) -> Result<ReminderPolicyPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        policy_payload(policies::create(app, viewer, input.into()).await)
    }

    /// MANAGER and up: a policy replaced whole. What was sent stays sent.
    async fn update_reminder_policy(
        &self,
        ctx: &Context<'_>,
        input: UpdateReminderPolicyInput,
    ) -> Result<ReminderPolicyPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let id = input_id(&input.id);
        policy_payload(policies::update(app, viewer, id, input.fields.into()).await)
    }

    /// MANAGER and up: the customer's own policy, or none (no reminders).
    async fn set_customer_reminder_policy(
        &self,
        ctx: &Context<'_>,
        input: SetCustomerReminderPolicyInput,
    ) -> Result<DunningCustomerPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let customer_id = input_id(&input.customer_id);
        let policy_id = input.policy_id.as_ref().map(input_id);
        let result = dunning::set_customer_policy(app, viewer, customer_id, policy_id).await;
        customer_payload(result)
    }

    /// COLLECTOR and up: no reminders to the customer until a day (inclusive).
    async fn pause_dunning(
        &self,
        ctx: &Context<'_>,
        input: PauseDunningInput,
    ) -> Result<DunningCustomerPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let customer_id = input_id(&input.customer_id);
        let result = dunning::pause(app, viewer, customer_id, input.until.0, input.reason).await;
        customer_payload(result)
    }

    /// COLLECTOR and up: reminders go on as the policy says.
    async fn resume_dunning(
        &self,
        ctx: &Context<'_>,
        input: ResumeDunningInput,
    ) -> Result<DunningCustomerPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = dunning::resume(app, viewer, input_id(&input.customer_id)).await;
        customer_payload(result)
    }

    /// COLLECTOR and up: sends a template now about some of the customer's open invoices.
    async fn send_reminder(
        &self,
        ctx: &Context<'_>,
        input: SendReminderInput,
    ) -> Result<SendReminderPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let customer_id = input_id(&input.customer_id);
        let template_id = input_id(&input.template_id);
        let invoice_ids = input.invoice_ids.iter().map(input_id).collect();
        let result = scheduler::send_now(app, viewer, customer_id, template_id, invoice_ids).await;
        let (invoices, user_errors) = split(result)?;
        Ok(SendReminderPayload {
            invoices: invoices.map(|ids| ids.into_iter().map(id).collect()),
            user_errors,
        })
    }
}

fn template_payload(
    result: crate::error::AppResult<message_template::Model>,
) -> Result<MessageTemplatePayload> {
    let (template, user_errors) = split(result)?;
    Ok(MessageTemplatePayload {
        template: template.map(MessageTemplate),
        user_errors,
    })
}

fn policy_payload(
    result: crate::error::AppResult<reminder_policy::Model>,
) -> Result<ReminderPolicyPayload> {
    let (policy, user_errors) = split(result)?;
    Ok(ReminderPolicyPayload {
        policy: policy.map(ReminderPolicy),
        user_errors,
    })
}

fn customer_payload(
    result: crate::error::AppResult<crate::entities::customer::Model>,
) -> Result<DunningCustomerPayload> {
    let (customer, user_errors) = split(result)?;
    Ok(DunningCustomerPayload {
        customer: customer.map(Customer),
        user_errors,
    })
}
