//! Signed provider callbacks, sent over HTTP exactly as a bank sends them.

use chrono::Utc;
use integrations::sandbox::Sandbox;
use integrations::sandbox::transformers::SandboxEvent;
use secrecy::SecretString;
use serde_json::{Value, json};
use tahsilat::clock::Clock;

use crate::collections::{Team, create_customer, create_invoice, mutate};
use crate::helpers::{Backend, TestApp, TestDatabase};

pub const SECRET: &str = "sandbox-test-secret";
pub const LINK: &str = "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id providerLinkId } userErrors { code } } }";
pub const INVOICE: &str =
    "query($id: ID!) { invoice(id: $id) { status paidAmount { amount } balance { amount } } }";
pub const LINK_STATE: &str = "query($id: ID!) { paymentLink(id: $id) { status paidAt payment { amount { amount } charged { amount } installmentCount needsReview reviewReason provider providerTransactionId method } } }";

pub async fn spawn(backend: Backend) -> Option<TestApp> {
    let database = TestDatabase::create(backend).await?;
    Some(TestApp::spawn_configured(database, &[("TAHSILAT_SANDBOX_SECRET", SECRET)]).await)
}

pub fn bank(secret: &str) -> Sandbox {
    Sandbox::new(SecretString::from(secret.to_owned()), None, "http://unused")
}

pub fn event(id: &str, kind: &str, link: &str, amount: &str, installments: u32) -> Vec<u8> {
    serde_json::to_vec(&SandboxEvent {
        id: id.into(),
        kind: kind.into(),
        link_id: link.into(),
        transaction_id: format!("txn-{id}"),
        amount: amount.into(),
        currency: "TRY".into(),
        installment_count: installments,
        failure_reason: (kind == "payment.failed").then(|| "Yetersiz bakiye".to_owned()),
    })
    .unwrap()
}

pub async fn post(app: &TestApp, signature: &str, body: Vec<u8>) -> (u16, String) {
    let response = app
        .client
        .post(app.url("/callbacks/sandbox"))
        .header("content-type", "application/json")
        .header("Sandbox-Signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Signs with the app's clock, as a bank would at that moment.
pub async fn send(app: &TestApp, body: Vec<u8>) -> (u16, String) {
    let signature = bank(SECRET).sign(app.clock.now().timestamp(), &body);
    post(app, &signature, body).await
}

pub async fn link(app: &TestApp, team: &Team, input: Value) -> (String, String) {
    let payload = mutate(app, &team.collector, LINK, input).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    (
        payload["paymentLink"]["id"].as_str().unwrap().to_owned(),
        payload["paymentLink"]["providerLinkId"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

async fn payments(app: &TestApp, team: &Team) -> u64 {
    let (_, body) = app
        .graphql(
            &team.viewer,
            "{ activities(first: 1, filter: {kinds: [PAYMENT_RECEIVED]}) { totalCount } }",
            json!({}),
        )
        .await;
    body["data"]["activities"]["totalCount"].as_u64().unwrap()
}

async fn scenario(app: TestApp) {
    let team = Team::new(&app, "acme").await;
    let customer = create_customer(&app, &team.manager, "Anadolu Yapı").await;
    let invoice = create_invoice(
        &app,
        &team.manager,
        &customer,
        "A-1",
        "1250.50",
        "2026-11-01",
    )
    .await;
    let (link_id, provider_link) = link(
        &app,
        &team,
        json!({"invoiceIds": [invoice], "maxInstallments": 6}),
    )
    .await;

    // A forged and a stale signature change nothing.
    let body = event("evt-1", "payment.succeeded", &provider_link, "1338.04", 6);
    let forged = bank("guessed").sign(app.clock.now().timestamp(), &body);
    assert_eq!(post(&app, &forged, body.clone()).await.0, 401);
    let stale = bank(SECRET).sign(Utc::now().timestamp() - 10_000_000, &body);
    assert_eq!(post(&app, &stale, body.clone()).await.0, 401);
    assert_eq!(payments(&app, &team).await, 0);

    // The genuine one: the invoice is credited the base amount, the card was charged more.
    let (status, answer) = send(&app, body.clone()).await;
    assert_eq!((status, answer.as_str()), (200, r#"{"received": true}"#));
    let (_, state) = app
        .graphql(&team.viewer, INVOICE, json!({"id": invoice}))
        .await;
    assert_eq!(state["data"]["invoice"]["status"], "PAID", "{state}");
    let (_, state) = app
        .graphql(&team.viewer, LINK_STATE, json!({"id": link_id}))
        .await;
    let link_state = &state["data"]["paymentLink"];
    assert_eq!(link_state["status"], "PAID");
    assert_eq!(link_state["payment"]["amount"]["amount"], "1250.50");
    assert_eq!(link_state["payment"]["charged"]["amount"], "1338.04");
    assert_eq!(link_state["payment"]["installmentCount"], 6);
    assert_eq!(link_state["payment"]["needsReview"], false);
    assert_eq!(link_state["payment"]["method"], "CARD");
    let (_, log) = app.graphql(&team.viewer, "{ activities(first: 1, filter: {kinds: [PAYMENT_RECEIVED]}) { edges { node { actorLabel actor { email } invoice { number } } } } }", json!({})).await;
    assert_eq!(
        log["data"]["activities"]["edges"][0]["node"],
        json!({"actorLabel": "sandbox", "actor": null, "invoice": {"number": "A-1"}})
    );

    // The same callback again: the same answer, nothing more.
    let (status, again) = send(&app, body).await;
    assert_eq!((status, again.as_str()), (200, r#"{"received": true}"#));
    assert_eq!(payments(&app, &team).await, 1);

    // Twenty copies of one callback at once: exactly one payment.
    let second = create_invoice(
        &app,
        &team.manager,
        &customer,
        "A-2",
        "100.00",
        "2026-11-05",
    )
    .await;
    let (_, provider_link2) = link(&app, &team, json!({"invoiceIds": [second]})).await;
    let body = event(
        "evt-storm",
        "payment.succeeded",
        &provider_link2,
        "100.00",
        1,
    );
    let storm = (0..20).map(|_| send(&app, body.clone()));
    let answers = futures_util::future::join_all(storm).await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    assert_eq!(payments(&app, &team).await, 2);
    let (_, state) = app
        .graphql(&team.viewer, INVOICE, json!({"id": second}))
        .await;
    assert_eq!(state["data"]["invoice"]["paidAmount"]["amount"], "100.00");

    // A declined payment is logged; the link stays open.
    let third = create_invoice(
        &app,
        &team.manager,
        &customer,
        "A-3",
        "500.00",
        "2026-11-10",
    )
    .await;
    let fourth = create_invoice(
        &app,
        &team.manager,
        &customer,
        "A-4",
        "300.00",
        "2026-11-08",
    )
    .await;
    let (link3, provider_link3) = link(
        &app,
        &team,
        json!({"invoiceIds": [third, fourth], "amount": "600.00"}),
    )
    .await;
    assert_eq!(
        send(
            &app,
            event(
                "evt-declined",
                "payment.failed",
                &provider_link3,
                "600.00",
                1
            )
        )
        .await
        .0,
        200
    );
    let (_, state) = app
        .graphql(&team.viewer, LINK_STATE, json!({"id": link3}))
        .await;
    assert_eq!(state["data"]["paymentLink"]["status"], "ACTIVE");
    let (_, log) = app.graphql(&team.viewer, "{ activities(first: 1, filter: {kinds: [PAYMENT_FAILED]}) { edges { node { note actorLabel } } } }", json!({})).await;
    assert_eq!(
        log["data"]["activities"]["edges"][0]["node"]["note"],
        "Yetersiz bakiye"
    );

    // A partial two-invoice link: oldest due first (A-4, then part of A-3).
    assert_eq!(
        send(
            &app,
            event(
                "evt-partial",
                "payment.succeeded",
                &provider_link3,
                "600.00",
                1
            )
        )
        .await
        .0,
        200
    );
    let (_, state) = app
        .graphql(&team.viewer, INVOICE, json!({"id": fourth}))
        .await;
    assert_eq!(state["data"]["invoice"]["status"], "PAID");
    let (_, state) = app
        .graphql(&team.viewer, INVOICE, json!({"id": third}))
        .await;
    assert_eq!(state["data"]["invoice"]["status"], "PARTIALLY_PAID");
    assert_eq!(state["data"]["invoice"]["balance"]["amount"], "200.00");

    // Money for a cancelled link, or less than asked, is recorded for review — never dropped.
    let fifth = create_invoice(&app, &team.manager, &customer, "A-5", "80.00", "2026-11-12").await;
    let (link5, provider_link5) = link(&app, &team, json!({"invoiceIds": [fifth]})).await;
    mutate(&app, &team.collector, "mutation($input: CancelPaymentLinkInput!) { cancelPaymentLink(input: $input) { userErrors { code } } }", json!({"id": link5})).await;
    assert_eq!(
        send(
            &app,
            event(
                "evt-cancelled",
                "payment.succeeded",
                &provider_link5,
                "80.00",
                1
            )
        )
        .await
        .0,
        200
    );
    let (_, state) = app
        .graphql(&team.viewer, LINK_STATE, json!({"id": link5}))
        .await;
    assert_eq!(state["data"]["paymentLink"]["status"], "CANCELLED");
    let payment = &state["data"]["paymentLink"]["payment"];
    assert!(
        payment.is_null(),
        "a cancelled link keeps no payment of its own: {state}"
    );
    let (_, log) = app.graphql(&team.viewer, "{ activities(first: 1, filter: {kinds: [PAYMENT_RECEIVED]}) { edges { node { note data } } } }", json!({})).await;
    let node = &log["data"]["activities"]["edges"][0]["node"];
    assert_eq!(node["data"]["needsReview"], true);
    assert!(
        node["note"].as_str().unwrap().contains("cancelled"),
        "{node}"
    );

    let sixth = create_invoice(&app, &team.manager, &customer, "A-6", "90.00", "2026-11-12").await;
    let (link6, provider_link6) = link(&app, &team, json!({"invoiceIds": [sixth]})).await;
    assert_eq!(
        send(
            &app,
            event(
                "evt-short",
                "payment.succeeded",
                &provider_link6,
                "50.00",
                1
            )
        )
        .await
        .0,
        200
    );
    // A short payment is credited and reviewed; the link stays payable for what is left.
    let (_, state) = app
        .graphql(
            &team.viewer,
            "query($id: ID!) { paymentLink(id: $id) { status amount { amount } payment { id } } }",
            json!({"id": link6}),
        )
        .await;
    let short_link = &state["data"]["paymentLink"];
    assert_eq!(short_link["status"], "ACTIVE", "{state}");
    assert_eq!(short_link["amount"]["amount"], "40.00", "{state}");
    assert!(short_link["payment"].is_null(), "{state}");
    let (_, found) = app
        .graphql(
            &team.viewer,
            "{ payments(first: 1, filter: {needsReview: true, provider: \"sandbox\"}) { edges { node { needsReview reviewReason amount { amount } } } } }",
            json!({}),
        )
        .await;
    let payment = &found["data"]["payments"]["edges"][0]["node"];
    assert_eq!(payment["needsReview"], true, "{found}");
    assert!(
        payment["reviewReason"]
            .as_str()
            .unwrap()
            .contains("charged 50.00"),
        "{payment}"
    );
    assert_eq!(payment["amount"]["amount"], "50.00");

    // Money for an expired link is recorded too, for review.
    let seventh =
        create_invoice(&app, &team.manager, &customer, "A-7", "70.00", "2026-11-12").await;
    let (link7, provider_link7) = link(
        &app,
        &team,
        json!({"invoiceIds": [seventh], "expiresInHours": 1}),
    )
    .await;
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(
        tahsilat::jobs::expiry::expire_links(&app.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        send(
            &app,
            event(
                "evt-expired",
                "payment.succeeded",
                &provider_link7,
                "70.00",
                1
            )
        )
        .await
        .0,
        200
    );
    let (_, state) = app
        .graphql(&team.viewer, LINK_STATE, json!({"id": link7}))
        .await;
    assert_eq!(state["data"]["paymentLink"]["status"], "EXPIRED");
    let (_, state) = app
        .graphql(&team.viewer, INVOICE, json!({"id": seventh}))
        .await;
    assert_eq!(
        state["data"]["invoice"]["status"], "PAID",
        "the money is applied, and flagged"
    );
    let (_, log) = app.graphql(&team.viewer, "{ activities(first: 1, filter: {kinds: [PAYMENT_RECEIVED]}) { edges { node { note data } } } }", json!({})).await;
    let node = &log["data"]["activities"]["edges"][0]["node"];
    assert!(
        node["note"].as_str().unwrap().contains("expired") && node["data"]["needsReview"] == true,
        "{node}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_callbacks_sqlite() {
    scenario(spawn(Backend::Sqlite).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_callbacks_postgres() {
    if let Some(app) = spawn(Backend::Postgres).await {
        scenario(app).await;
    }
}

/// During a rotation the old secret still verifies; an unrelated one does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_sandbox_secret_still_verifies() {
    let database = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let app = TestApp::spawn_configured(
        database,
        &[
            ("TAHSILAT_SANDBOX_SECRET", "new-secret"),
            ("TAHSILAT_SANDBOX_PREVIOUS_SECRET", SECRET),
        ],
    )
    .await;
    let team = Team::new(&app, "acme").await;
    let customer = create_customer(&app, &team.manager, "Dönüşüm A.Ş.").await;
    let invoice =
        create_invoice(&app, &team.manager, &customer, "R-1", "10.00", "2026-11-01").await;
    let (_, provider_link) = link(&app, &team, json!({"invoiceIds": [invoice]})).await;
    let body = event(
        "evt-rotated",
        "payment.succeeded",
        &provider_link,
        "10.00",
        1,
    );
    let now = app.clock.now().timestamp();
    assert_eq!(
        post(&app, &bank("unrelated").sign(now, &body), body.clone())
            .await
            .0,
        401
    );
    // Signed with the previous secret, as a bank that has not switched yet does.
    assert_eq!(
        post(&app, &bank(SECRET).sign(now, &body), body.clone())
            .await
            .0,
        200
    );
    let (_, state) = app
        .graphql(&team.viewer, INVOICE, json!({"id": invoice}))
        .await;
    assert_eq!(state["data"]["invoice"]["status"], "PAID");
}
