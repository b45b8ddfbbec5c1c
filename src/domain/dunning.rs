//! Dunning's rules that need no database: channels, the organization's settings and its sending
//! window, and which step of a policy is due for an invoice on a day.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How a template is delivered.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TemplateChannel {
    #[sea_orm(string_value = "EMAIL")]
    #[serde(rename = "EMAIL")]
    Email,
    #[sea_orm(string_value = "SMS")]
    #[serde(rename = "SMS")]
    Sms,
}

/// What a policy step does: send a mail, send an SMS, or put a call on the collector's worklist.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum StepChannel {
    #[sea_orm(string_value = "EMAIL")]
    #[serde(rename = "EMAIL")]
    Email,
    #[sea_orm(string_value = "SMS")]
    #[serde(rename = "SMS")]
    Sms,
    #[sea_orm(string_value = "TASK")]
    #[serde(rename = "TASK")]
    Task,
}

/// What became of an (invoice, step): the unique record that makes each go once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SendOutcome {
    /// A message (or a task) went out for it.
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// A later step was due too (after downtime): only the latest goes, the earlier are skipped.
    #[sea_orm(string_value = "SKIPPED")]
    Skipped,
}

/// One step of a policy, as stored (JSON on the policy row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Days from the due date; negative is before it.
    pub offset_days: i32,
    pub channel: StepChannel,
    /// The template (any language of its name); None only for TASK steps.
    pub template_id: Option<Uuid>,
    pub include_pay_link: bool,
    /// The step waits until the balance of the customer's invoices at it reaches this, in their
    /// currency.
    pub min_overdue_amount: Option<rust_decimal::Decimal>,
}

/// The latest of `offsets` (sorted ascending) due by `today` for an invoice due on `due_date`.
pub fn latest_due_step(offsets: &[i32], due_date: NaiveDate, today: NaiveDate) -> Option<i32> {
    let days = (today - due_date).num_days();
    offsets
        .iter()
        .copied()
        .filter(|offset| i64::from(*offset) <= days)
        .max()
}

/// The organization's dunning settings, kept in its `settings` JSON under `dunning`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DunningSettings {
    pub enabled: bool,
    pub timezone: String,
    /// "HH:MM", local.
    pub window_start: String,
    pub window_end: String,
    /// Days reminders may go out on, `MONDAY`…`SUNDAY`.
    pub weekdays: Vec<String>,
    pub promise_grace_days: u32,
    /// Days after an installment's due date before an unpaid one counts as missed.
    pub plan_grace_days: u32,
    /// Installments missed and still unpaid that break a payment plan.
    pub plan_misses_to_break: u32,
}

impl Default for DunningSettings {
    fn default() -> Self {
        DunningSettings {
            // Off until a manager has reviewed `dunningPreview`: importing a ledger must not
            // mail every overdue customer at once.
            enabled: false,
            timezone: "Europe/Istanbul".into(),
            window_start: "09:00".into(),
            window_end: "18:00".into(),
            weekdays: ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
                .map(str::to_owned)
                .to_vec(),
            promise_grace_days: crate::domain::promise::DEFAULT_GRACE_DAYS,
            plan_grace_days: crate::domain::plan::DEFAULT_GRACE_DAYS,
            plan_misses_to_break: crate::domain::plan::DEFAULT_MISSES_TO_BREAK,
        }
    }
}

pub const WEEKDAYS: [&str; 7] = [
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
];

/// "09:00" → 09:00; anything else → None.
pub fn parse_clock(text: &str) -> Option<NaiveTime> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(hours.parse().ok()?, minutes.parse().ok()?, 0)
}

impl DunningSettings {
    /// The time zone; the default when the stored one is unknown.
    pub fn tz(&self) -> Tz {
        self.timezone.parse().unwrap_or(chrono_tz::Europe::Istanbul)
    }

    /// The organization's calendar day at `now`.
    pub fn local_date(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.tz()).date_naive()
    }

    /// Whether reminders may go out at `now`: an allowed weekday, between start and end, local.
    pub fn in_window(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&self.tz());
        let day = WEEKDAYS[local.weekday().num_days_from_monday() as usize];
        let (Some(start), Some(end)) = (
            parse_clock(&self.window_start),
            parse_clock(&self.window_end),
        ) else {
            return false;
        };
        let time = local.time();
        self.weekdays.iter().any(|allowed| allowed == day) && time >= start && time < end
    }
}

/// A weekday by its API name.
pub fn weekday(name: &str) -> Option<Weekday> {
    WEEKDAYS
        .iter()
        .position(|day| *day == name)
        .and_then(|index| Weekday::try_from(index as u8).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_latest_due_step_wins() {
        let due = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        let offsets = [-3, 0, 3, 10, 30];
        let on = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        assert_eq!(latest_due_step(&offsets, due, on(6)), None);
        assert_eq!(latest_due_step(&offsets, due, on(7)), Some(-3));
        assert_eq!(latest_due_step(&offsets, due, on(10)), Some(0));
        assert_eq!(latest_due_step(&offsets, due, on(19)), Some(3));
        assert_eq!(latest_due_step(&offsets, due, on(20)), Some(10));
    }

    #[test]
    fn the_window_is_local_weekdays_nine_to_six() {
        let settings = DunningSettings::default();
        // Wednesday 2026-11-25: 06:00 UTC is 09:00 in Istanbul.
        let at = |h, m| Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap();
        assert!(!settings.in_window(at(5, 59)));
        assert!(settings.in_window(at(6, 0)));
        assert!(settings.in_window(at(14, 59)));
        assert!(!settings.in_window(at(15, 0)));
        // 22:00 local.
        assert!(!settings.in_window(at(19, 0)));
        // Sunday noon.
        assert!(!settings.in_window(Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap()));
        assert_eq!(
            settings.local_date(Utc.with_ymd_and_hms(2026, 11, 25, 22, 30, 0).unwrap()),
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
        );
    }

    #[test]
    fn clocks_parse_strictly() {
        assert!(parse_clock("09:00").is_some());
        assert!(parse_clock("9:00").is_none());
        assert!(parse_clock("24:00").is_none());
        assert!(parse_clock("09:60").is_none());
    }
}
