//! The subscription root, served over WebSocket at `/graphql/ws`: live activity, payments and
//! task assignments of the caller's organization, each sent once its change has committed.
//!
//! Every event is checked against the subscriber's organization (and filter) before anything is
//! read, then read afresh; a subscriber that falls too far behind is dropped (its subscription
//! completes) rather than holding anyone up.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Result, Subscription};
use futures_util::{Stream, StreamExt as _};
use tokio::sync::broadcast;
use uuid::Uuid;

use super::context::ContextExt;
use super::errors::GqlResultExt;
use super::types::activity::Activity;
use super::types::enums::ActivityKind;
use super::types::input_id;
use super::types::payment::Payment;
use super::types::task::Task;
use crate::domain::ids::OrganizationId;
use crate::entities::{activity, payment, task};
use crate::live::Notice;
use crate::services::scope::OrgScoped;
use crate::state::AppState;

/// Which activities to receive.
#[derive(InputObject, Default)]
pub struct ActivityAddedFilter {
    /// Only this customer's activities.
    pub customer_id: Option<ID>,
    /// Only these kinds.
    pub kinds: Option<Vec<ActivityKind>>,
}

/// The schema's subscription root.
#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Every activity of your organization as it is logged (by a person, a provider or the
    /// system), optionally only one customer's or only some kinds.
    async fn activity_added(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityAddedFilter>,
    ) -> Result<impl Stream<Item = Activity> + use<>> {
        let (app, viewer) = (ctx.app().gql()?.clone(), ctx.viewer().gql()?);
        let org = viewer.organization_id;
        let filter = filter.unwrap_or_default();
        let customer = filter.customer_id.as_ref().map(input_id);
        let kinds: Option<Vec<String>> = filter.kinds.map(|kinds| {
            kinds
                .into_iter()
                .map(|kind| {
                    sea_orm::ActiveEnum::to_value(&crate::domain::activity::ActivityKind::from(
                        kind,
                    ))
                })
                .collect()
        });
        let wanted = move |notice: &Notice| {
            customer.is_none_or(|id| notice.customer_id == id)
                && kinds
                    .as_ref()
                    .is_none_or(|kinds| kinds.contains(&notice.kind))
        };
        Ok(
            rows::<activity::Entity, _>(app, org, wanted, |notice| Some(notice.activity_id))
                .map(Activity),
        )
    }

    /// Every payment your organization receives as it is recorded: card payments through pay
    /// links, and payments recorded by hand or imported.
    async fn payment_received(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Payment> + use<>> {
        let (app, viewer) = (ctx.app().gql()?.clone(), ctx.viewer().gql()?);
        let org = viewer.organization_id;
        let paid = |notice: &Notice| notice.payment_id.is_some();
        Ok(rows::<payment::Entity, _>(app, org, paid, |notice| notice.payment_id).map(Payment))
    }

    /// Tasks as they are put on your own worklist: new ones, and ones given to you.
    async fn task_assigned(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Task> + use<>> {
        let (app, viewer) = (ctx.app().gql()?.clone(), ctx.viewer().gql()?);
        let (org, me) = (viewer.organization_id, viewer.user_id.0);
        let mine = move |notice: &Notice| notice.assignee_id == Some(me);
        Ok(rows::<task::Entity, _>(app, org, mine, |notice| notice.task_id).map(Task))
    }
}

/// The organization's notices that pass `wanted`, each turned into the row `id_of` names, read
/// when it arrives (a row gone meanwhile is skipped).
fn rows<E, W>(
    app: AppState,
    org: OrganizationId,
    wanted: W,
    id_of: fn(&Notice) -> Option<Uuid>,
) -> impl Stream<Item = E::Model> + use<E, W>
where
    W: Fn(&Notice) -> bool + Send + 'static,
    E: OrgScoped + Send + Sync + 'static,
    E::Model: Send + Sync + 'static,
{
    let receiver = app.live.subscribe();
    let db = app.db.clone();
    notices(receiver)
        .filter(move |notice| {
            let keep = notice.organization_id == org.0 && wanted(notice);
            async move { keep }
        })
        .filter_map(move |notice| {
            let db = db.clone();
            async move {
                let id = id_of(&notice)?;
                match E::find_in_org(id, org).one(db.reader()).await {
                    Ok(row) => row,
                    Err(error) => {
                        tracing::warn!(%error, "a live event could not be read");
                        None
                    }
                }
            }
        })
}

/// A broadcast receiver as a stream that ends when the subscriber has fallen behind.
fn notices(receiver: broadcast::Receiver<Arc<Notice>>) -> impl Stream<Item = Arc<Notice>> {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        match receiver.recv().await {
            Ok(notice) => Some((notice, receiver)),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "a subscriber fell behind and was dropped");
                None
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> Arc<Notice> {
        Arc::new(Notice {
            organization_id: Uuid::now_v7(),
            activity_id: Uuid::now_v7(),
            customer_id: Uuid::now_v7(),
            kind: "NOTE".into(),
            payment_id: None,
            task_id: None,
            assignee_id: None,
        })
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_dropped() {
        let (sender, receiver) = broadcast::channel(4);
        for _ in 0..6 {
            sender.send(notice()).unwrap();
        }
        // Six sent into room for four, unread: the stream ends instead of skipping silently.
        let delivered: Vec<_> = notices(receiver).collect().await;
        assert!(delivered.is_empty());
        // One keeping up gets everything, and the sender never waited.
        let (sender, receiver) = broadcast::channel(4);
        let reader = tokio::spawn(notices(receiver).take(3).collect::<Vec<_>>());
        for _ in 0..3 {
            sender.send(notice()).unwrap();
            tokio::task::yield_now().await;
        }
        assert_eq!(reader.await.unwrap().len(), 3);
    }
}
