//! Background work that runs beside the server and stops with it: delivering the outbox's mail
//! and SMS, delivering webhooks, expiring payment links, asking providers about payment attempts
//! nobody reported, settling promises to pay and payment plans, and the reminder scheduler.

pub mod expiry;

use std::time::Duration;

use tokio::sync::watch;

use crate::state::AppState;

/// How often the outbox worker looks for mail to send.
pub const OUTBOX_INTERVAL: Duration = Duration::from_secs(1);

/// How often the webhook worker looks for deliveries due.
pub const WEBHOOK_INTERVAL: Duration = Duration::from_millis(500);
/// Deliveries claimed at once, and batches sent before the worker looks up again.
const WEBHOOK_BATCH: u64 = 200;
const WEBHOOK_BATCHES: usize = 25;

/// Runs the jobs until `stop` changes.
pub async fn run(state: AppState, stop: watch::Receiver<bool>) {
    // Webhooks run beside the rest, so a slow receiver never holds up mail or expiry.
    let webhooks = tokio::spawn(deliver_webhooks(state.clone(), stop.clone()));
    run_periodic(state, stop).await;
    let _ = webhooks.await;
}

/// The webhook worker: delivers what is due until `stop` changes.
async fn deliver_webhooks(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(WEBHOOK_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let pass = crate::services::webhooks::delivery::deliver_due(&state, WEBHOOK_BATCH, WEBHOOK_BATCHES);
                match pass.await {
                    Ok(report) if report.endpoints_disabled > 0 => tracing::warn!(disabled = report.endpoints_disabled, "webhook endpoints disabled after failing for days"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(error = ?error, "the webhook worker failed; will try again"),
                }
            }
            _ = stop.changed() => break,
        }
    }
}

async fn run_periodic(state: AppState, mut stop: watch::Receiver<bool>) {
    let jobs = state.config.jobs_interval;
    let mut ticker = tokio::time::interval(jobs);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first pass waits one interval: a restart storm does not become a reminder storm, and
    // the passes a test drives by hand are the only ones it sees.
    let period = state.config.dunning_interval;
    let mut dunning = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    dunning.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut outbox = tokio::time::interval(OUTBOX_INTERVAL);
    outbox.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = outbox.tick() => {
                if let Err(error) = crate::services::outbox::deliver_due(&state, 20).await {
                    tracing::warn!(error = ?error, "the outbox worker failed; will try again");
                }
            }
            _ = ticker.tick() => {
                match expiry::expire_links(&state).await {
                    Ok(0) => {}
                    Ok(count) => tracing::info!(count, "payment links expired"),
                    Err(error) => tracing::warn!(error = ?error, "expiring payment links failed; will try again"),
                }
                match crate::services::attempts::reconcile(&state).await {
                    Ok(report) if report.recorded + report.failed + report.abandoned == 0 => {}
                    Ok(report) => tracing::info!(recorded = report.recorded, failed = report.failed, abandoned = report.abandoned, "provider attempts reconciled"),
                    Err(error) => tracing::warn!(error = ?error, "reconciling provider attempts failed; will try again"),
                }
                match crate::services::promises::settle_due(&state).await {
                    Ok(0) => {}
                    Ok(count) => tracing::info!(count, "promises settled"),
                    Err(error) => tracing::warn!(error = ?error, "settling promises failed; will try again"),
                }
                match crate::services::plans::settle_due(&state).await {
                    Ok(report) if report == Default::default() => {}
                    Ok(report) => tracing::info!(missed = report.missed, broken = report.broken, completed = report.completed, "payment plans settled"),
                    Err(error) => tracing::warn!(error = ?error, "settling payment plans failed; will try again"),
                }
                state.job_passes.send_modify(|passes| *passes += 1);
            }
            _ = dunning.tick() => {
                match crate::services::dunning::scheduler::run_pass(&state).await {
                    Ok(report) if report.sent > 0 => tracing::info!(sent = report.sent, "reminders sent"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(error = ?error, "the reminder pass failed; will try again"),
                }
            }
            _ = stop.changed() => break,
        }
    }
}
