//! Outbound webhooks against a local receiver: every signature verified with an independent
//! Standard Webhooks library, retries keeping their `webhook-id`, both signatures during a
//! rotation, refused addresses getting nothing, failing endpoints turned off, and every new
//! mutation tried across organizations and roles.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tahsilat::clock::Clock;

use crate::callbacks::{LINK, bank, event, post, send};
use crate::collections::{Team, create_customer, create_invoice, mutate};
use crate::helpers::{Backend, TestApp, TestDatabase};

const CREATE: &str = "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id url eventTypes enabled } secret userErrors { field code message } } }";
const UPDATE: &str = "mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { endpoint { id url eventTypes enabled description } secret userErrors { field code message } } }";
const ROTATE: &str = "mutation($input: WebhookEndpointIdInput!) { rotateWebhookSecret(input: $input) { endpoint { id previousSecretExpiresAt } secret userErrors { code } } }";
const DISABLE: &str = "mutation($input: WebhookEndpointIdInput!) { disableWebhookEndpoint(input: $input) { endpoint { id enabled disabledReason } userErrors { code } } }";
const REDELIVER: &str = "mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { delivery { id eventId status } userErrors { code } } }";
const DELIVERIES: &str = "query($id: ID!) { webhookDeliveries(endpointId: $id, first: 50) { totalCount edges { node { id eventId eventType status attempts responseStatus responseBody lastError payload endpoint { id } } } } }";
const ENDPOINTS: &str =
    "{ webhookEndpoints(first: 10) { totalCount edges { node { id url enabled } } } }";
const RECORD: &str = "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id } userErrors { code message } } }";

/// What a receiver got: the headers and the exact body.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap().to_str().unwrap()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A local HTTP receiver that keeps every request and answers with the statuses queued (then 200).
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    always: Arc<Mutex<Option<u16>>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let answers: Arc<Mutex<VecDeque<u16>>> = Arc::default();
        let always: Arc<Mutex<Option<u16>>> = Arc::default();
        let (kept, queued, fixed) = (got.clone(), answers.clone(), always.clone());
        let router = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (kept, queued, fixed) = (kept.clone(), queued.clone(), fixed.clone());
                async move {
                    kept.lock().unwrap().push(Received { headers, body });
                    let status = (*fixed.lock().unwrap())
                        .or_else(|| queued.lock().unwrap().pop_front())
                        .unwrap_or(200);
                    (StatusCode::from_u16(status).unwrap(), "thanks")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            port,
            got,
            answers,
            always,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn answer_next(&self, statuses: &[u16]) {
        self.answers.lock().unwrap().extend(statuses);
    }

    fn answer_always(&self, status: u16) {
        *self.always.lock().unwrap() = Some(status);
    }
}

/// An app that may post to plain `http` on loopback, as a local receiver needs.
pub async fn spawn(backend: Backend) -> Option<TestApp> {
    let database = TestDatabase::create(backend).await?;
    let app = TestApp::spawn_configured(
        database,
        &[
            ("TAHSILAT_WEBHOOK_ALLOW_HTTP", "true"),
            ("TAHSILAT_WEBHOOK_ALLOW_PRIVATE", "true"),
            ("TAHSILAT_SANDBOX_SECRET", crate::callbacks::SECRET),
        ],
    )
    .await;
    // The independent verifier compares timestamps with the wall clock.
    app.clock.set(Utc::now());
    Some(app)
}

/// An app with the default rules: https only, no private addresses.
async fn spawn_strict(backend: Backend) -> Option<TestApp> {
    let database = TestDatabase::create(backend).await?;
    Some(TestApp::spawn_configured(database, &[]).await)
}

/// Registers an endpoint as ADMIN; answers its id and secret.
pub async fn endpoint(app: &TestApp, admin: &str, url: &str, types: &[&str]) -> (String, String) {
    let made = mutate(
        app,
        admin,
        CREATE,
        json!({"url": url, "eventTypes": types, "description": "ERP"}),
    )
    .await;
    assert_eq!(made["userErrors"], json!([]), "{made}");
    assert!(made["secret"].as_str().unwrap().starts_with("whsec_"));
    (
        made["endpoint"]["id"].as_str().unwrap().to_owned(),
        made["secret"].as_str().unwrap().to_owned(),
    )
}

/// One pass of the delivery worker, as the background job runs it. The background worker runs
/// too and may have claimed some deliveries first: this waits until none is left mid-send, so
/// what was due has reached the receiver (or failed) when it returns.
pub async fn deliver(app: &TestApp) {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use tahsilat::entities::webhook_delivery::{Column, DeliveryStatus, Entity};
    tahsilat::services::webhooks::delivery::deliver_due(&app.state, 100, 10)
        .await
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let sending = Entity::find()
                .filter(Column::Status.eq(DeliveryStatus::Sending))
                .count(app.state.db.reader())
                .await
                .unwrap();
            if sending == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the background worker finishes its batch");
}

/// Whether the independent Standard Webhooks library accepts the request under `secret`.
pub fn verifies(secret: &str, request: &Received) -> bool {
    let verifier = standardwebhooks::Webhook::new(secret).unwrap();
    verifier.verify(&request.body, &request.headers).is_ok()
}

async fn deliveries(app: &TestApp, admin: &str, endpoint: &str) -> Vec<Value> {
    let (_, body) = app
        .graphql(admin, DELIVERIES, json!({"id": endpoint}))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["webhookDeliveries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// The signature the documented rule gives: `v1,` + base64(HMAC-SHA256(key, id.timestamp.body)),
/// computed here with the hmac crate directly.
fn own_signature(secret: &str, request: &Received) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(request.header("webhook-id").as_bytes());
    mac.update(b".");
    mac.update(request.header("webhook-timestamp").as_bytes());
    mac.update(b".");
    mac.update(&request.body);
    format!("v1,{}", engine.encode(mac.finalize().into_bytes()))
}

/// The parts of a `webhook-signature` header.
fn signatures(request: &Received) -> Vec<String> {
    request
        .header("webhook-signature")
        .split(' ')
        .map(str::to_owned)
        .collect()
}

on_both_databases! {
    with spawn;

    async fn signed_events_reach_a_receiver(app) {
        let receiver = Receiver::start().await;
        let team = Team::new(&app, "acme").await;
        let (endpoint_id, secret) = endpoint(
            &app,
            &team.admin,
            &receiver.url,
            &["customer.created", "invoice.created", "invoice.paid", "payment.recorded"],
        )
        .await;

        let customer = create_customer(&app, &team.manager, "Anadolu Yapı").await;
        let invoice = create_invoice(&app, &team.manager, &customer, "F-1", "1250.50", "2026-12-01").await;
        // Not subscribed: sent to nobody.
        mutate(&app, &team.collector, "mutation($input: LogActivityInput!) { logActivity(input: $input) { activity { id } userErrors { code } } }", json!({"customerId": customer, "kind": "NOTE", "note": "aradım"})).await;
        let paid = mutate(&app, &team.manager, RECORD, json!({
            "customerId": customer, "amount": "1250.50", "currency": "TRY", "method": "BANK_TRANSFER",
            "reference": "EFT-1", "allocations": [{"invoiceId": invoice, "amount": "1250.50"}]
        })).await;
        assert_eq!(paid["userErrors"], json!([]), "{paid}");
        let payment = paid["payment"]["id"].as_str().unwrap().to_owned();

        deliver(&app).await;
        let got = receiver.received();
        assert_eq!(got.len(), 4);
        let types: Vec<String> = got.iter().map(|request| request.json()["type"].as_str().unwrap().to_owned()).collect();
        let mut sorted = types.clone();
        sorted.sort();
        assert_eq!(sorted, ["customer.created", "invoice.created", "invoice.paid", "payment.recorded"]);
        for request in &got {
            assert!(verifies(&secret, request), "{:?}", request.headers);
            assert!(!verifies(&tahsilat::domain::webhook::new_secret(), request));
            assert_eq!(request.header("content-type"), "application/json");
            let body = request.json();
            assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
            assert_eq!(body["data"]["customerId"], json!(customer));
        }
        let by_type = |name: &str| got.iter().find(|request| request.json()["type"] == name).unwrap().json();
        let paid = by_type("invoice.paid");
        assert_eq!(paid["data"]["invoiceId"], json!(invoice));
        assert_eq!(paid["data"]["total"], json!({"amount": "1250.50", "currency": "TRY"}));
        assert_eq!(paid["data"]["paymentId"], json!(payment));
        let recorded = by_type("payment.recorded");
        assert_eq!(recorded["data"]["paymentId"], json!(payment));
        assert_eq!(recorded["data"]["amount"], json!({"amount": "1250.50", "currency": "TRY"}));
        assert_eq!(by_type("invoice.created")["data"]["total"], json!({"amount": "1250.50", "currency": "TRY"}));

        // Delivered once: another pass sends nothing.
        deliver(&app).await;
        assert_eq!(receiver.received().len(), 4);
        let log = deliveries(&app, &team.admin, &endpoint_id).await;
        assert_eq!(log.len(), 4);
        for delivery in &log {
            assert_eq!(delivery["status"], "DELIVERED");
            assert_eq!(delivery["attempts"], 1);
            assert_eq!(delivery["responseStatus"], 200);
            assert_eq!(delivery["responseBody"], "thanks");
            assert_eq!(delivery["endpoint"]["id"], json!(endpoint_id));
            let sent = got.iter().find(|request| request.header("webhook-id") == delivery["eventId"]).unwrap();
            assert_eq!(delivery["payload"].as_str().unwrap().as_bytes(), &sent.body[..]);
        }
    }

    async fn retries_keep_their_id_and_rotation_signs_twice(app) {
        let receiver = Receiver::start().await;
        let team = Team::new(&app, "acme").await;
        let (endpoint_id, old_secret) = endpoint(&app, &team.admin, &receiver.url, &["*"]).await;
        receiver.answer_next(&[500, 503]);
        create_customer(&app, &team.manager, "Deniz Lojistik").await;

        deliver(&app).await;
        let log = deliveries(&app, &team.admin, &endpoint_id).await;
        assert_eq!(log[0]["status"], "PENDING");
        assert_eq!(log[0]["attempts"], 1);
        assert_eq!(log[0]["responseStatus"], 500);
        assert_eq!(log[0]["lastError"], "the receiver answered 500");
        // Not due yet: the first retry waits about 5 s.
        deliver(&app).await;
        assert_eq!(receiver.received().len(), 1);
        app.clock.advance(Duration::seconds(6));
        deliver(&app).await;
        assert_eq!(receiver.received().len(), 2);
        // The second retry waits about 5 minutes.
        app.clock.advance(Duration::seconds(200));
        deliver(&app).await;
        assert_eq!(receiver.received().len(), 2);
        app.clock.advance(Duration::seconds(150));
        deliver(&app).await;
        let got = receiver.received();
        assert_eq!(got.len(), 3);
        let id = got[0].header("webhook-id").to_owned();
        assert!(got.iter().all(|request| request.header("webhook-id") == id));
        assert!(got.iter().all(|request| request.body == got[0].body));
        // The first try within the library's five minutes of the wall clock; each retry signed
        // afresh with its own timestamp.
        assert!(verifies(&old_secret, &got[0]));
        for request in &got {
            assert_eq!(signatures(request), [own_signature(&old_secret, request)]);
        }
        assert_ne!(got[0].header("webhook-timestamp"), got[2].header("webhook-timestamp"));
        app.clock.set(Utc::now());
        let log = deliveries(&app, &team.admin, &endpoint_id).await;
        assert_eq!((log[0]["status"].as_str(), log[0]["attempts"].as_i64()), (Some("DELIVERED"), Some(3)));

        // A rotation: for 24 hours both secrets sign.
        let rotated = mutate(&app, &team.admin, ROTATE, json!({"id": endpoint_id})).await;
        let new_secret = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(new_secret, old_secret);
        assert!(rotated["endpoint"]["previousSecretExpiresAt"].is_string());
        create_customer(&app, &team.manager, "Ege Tekstil").await;
        deliver(&app).await;
        let during = receiver.received().last().unwrap().clone();
        assert_eq!(signatures(&during).len(), 2);
        assert!(verifies(&new_secret, &during));
        assert!(verifies(&old_secret, &during));

        // Redelivered: a new delivery, the same webhook-id.
        let first = &log[0];
        let again = mutate(&app, &team.admin, REDELIVER, json!({"deliveryId": first["id"]})).await;
        assert_eq!(again["userErrors"], json!([]));
        assert_eq!(again["delivery"]["eventId"], first["eventId"]);
        assert_eq!(again["delivery"]["status"], "PENDING");
        deliver(&app).await;
        let resent = receiver.received().last().unwrap().clone();
        assert_eq!(resent.header("webhook-id"), id);
        assert!(verifies(&new_secret, &resent));

        // After 24 hours the old secret no longer signs.
        app.clock.advance(Duration::hours(25));
        create_customer(&app, &team.manager, "Karadeniz Gıda").await;
        deliver(&app).await;
        let after = receiver.received().last().unwrap().clone();
        assert_eq!(signatures(&after).len(), 1);
        assert_eq!(signatures(&after), [own_signature(&new_secret, &after)]);
    }

    async fn an_endpoint_failing_for_five_days_is_turned_off(app) {
        let receiver = Receiver::start().await;
        receiver.answer_always(503);
        let team = Team::new(&app, "acme").await;
        let (endpoint_id, _) = endpoint(&app, &team.admin, &receiver.url, &["customer.created"]).await;
        for day in 0..=5 {
            create_customer(&app, &team.manager, &format!("Müşteri {day}")).await;
            deliver(&app).await;
            let (_, body) = app.graphql(&team.admin, "query($id: ID!) { webhookEndpoint(id: $id) { enabled failingSince disabledReason } }", json!({"id": endpoint_id})).await;
            let state = &body["data"]["webhookEndpoint"];
            if day < 5 {
                assert_eq!(state["enabled"], true, "day {day}: {body}");
                assert!(state["failingSince"].is_string());
            } else {
                assert_eq!(state["enabled"], false, "{body}");
                assert!(state["disabledReason"].as_str().unwrap().starts_with("every delivery failed since"));
            }
            app.clock.advance(Duration::days(1));
        }
        // The admins were told by mail (queued in the outbox with the change).
        let mails = tahsilat::services::outbox::depth(app.state.db.reader()).await.unwrap();
        assert!(mails.iter().any(|depth| depth.kind.as_str() == "email" && depth.waiting >= 1), "{mails:?}");
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let queued = tahsilat::entities::outbox::Entity::find()
            .filter(tahsilat::entities::outbox::Column::Kind.eq(tahsilat::entities::outbox::OutboxKind::Email))
            .all(app.state.db.reader()).await.unwrap();
        let mail = queued.iter().find(|row| row.payload["subject"].as_str().unwrap().contains("Webhook endpoint disabled")).unwrap();
        assert_eq!(mail.payload["to"], "admin@acme.com.tr");
        // Nothing more is sent to it; what waited has failed.
        let before = receiver.received().len();
        create_customer(&app, &team.manager, "Sonra").await;
        app.clock.advance(Duration::days(1));
        deliver(&app).await;
        assert_eq!(receiver.received().len(), before);
        let log = deliveries(&app, &team.admin, &endpoint_id).await;
        assert!(log.iter().all(|delivery| delivery["status"] != "PENDING"), "{log:?}");
        // Turned on again, it forgets its failures and redelivery works.
        *receiver.always.lock().unwrap() = None;
        let on = mutate(&app, &team.admin, UPDATE, json!({"id": endpoint_id, "enabled": true})).await;
        assert_eq!(on["endpoint"]["enabled"], true);
        let failed = &log[0];
        let again = mutate(&app, &team.admin, REDELIVER, json!({"deliveryId": failed["id"]})).await;
        assert_eq!(again["userErrors"], json!([]));
        deliver(&app).await;
        assert_eq!(receiver.received().len(), before + 1);
        assert_eq!(receiver.received().last().unwrap().header("webhook-id"), failed["eventId"]);
    }

    async fn a_forged_callback_warns_the_organization(app) {
        let receiver = Receiver::start().await;
        let team = Team::new(&app, "acme").await;
        let (_, secret) = endpoint(&app, &team.admin, &receiver.url, &["callback.rejected", "payment.received", "payment_link.paid"]).await;
        let customer = create_customer(&app, &team.manager, "Ankara Mobilya").await;
        let invoice = create_invoice(&app, &team.manager, &customer, "F-9", "500.00", "2026-12-01").await;
        let made = mutate(&app, &team.collector, LINK, json!({"invoiceIds": [invoice]})).await;
        let link = made["paymentLink"]["providerLinkId"].as_str().unwrap().to_owned();

        let body = event("evt-forged", "payment.succeeded", &link, "500.00", 1);
        let forged = bank("not-the-secret").sign(app.clock.now().timestamp(), &body);
        let (status, _) = post(&app, &forged, body).await;
        assert_eq!(status, 401);
        deliver(&app).await;
        let got = receiver.received();
        assert_eq!(got.len(), 1);
        assert!(verifies(&secret, &got[0]));
        let warning = got[0].json();
        assert_eq!(warning["type"], "callback.rejected");
        assert_eq!(warning["data"]["reason"], "bad_signature");
        assert_eq!(warning["data"]["provider"], "sandbox");
        assert!(warning["data"]["paymentLinkId"].is_string());

        // The real one pays the link: payment.received and payment_link.paid.
        let (status, _) = send(&app, event("evt-real", "payment.succeeded", &link, "500.00", 1)).await;
        assert_eq!(status, 200);
        deliver(&app).await;
        let mut types: Vec<String> = receiver.received()[1..].iter().map(|request| request.json()["type"].as_str().unwrap().to_owned()).collect();
        types.sort();
        assert_eq!(types, ["payment.received", "payment_link.paid"]);
        let paid = receiver.received().iter().find(|request| request.json()["type"] == "payment_link.paid").unwrap().json();
        assert_eq!(paid["data"]["amount"], json!({"amount": "500.00", "currency": "TRY"}));
    }

    async fn endpoints_belong_to_their_organization_and_admins(app) {
        let receiver = Receiver::start().await;
        let acme = Team::new(&app, "acme").await;
        let other = Team::new(&app, "other").await;
        let (endpoint_id, _) = endpoint(&app, &acme.admin, &receiver.url, &["customer.created"]).await;

        // Roles: only ADMIN manages or reads endpoints.
        for token in [&acme.manager, &acme.collector, &acme.viewer] {
            let (_, body) = app.graphql(token, CREATE, json!({"input": {"url": receiver.url, "eventTypes": ["*"]}})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
            let (_, body) = app.graphql(token, ENDPOINTS, json!({})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
            let (_, body) = app.graphql(token, ROTATE, json!({"input": {"id": endpoint_id}})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
            let (_, body) = app.graphql(token, DELIVERIES, json!({"id": endpoint_id})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        }

        // Another organization sees and touches nothing of it.
        let (_, body) = app.graphql(&other.admin, ENDPOINTS, json!({})).await;
        assert_eq!(body["data"]["webhookEndpoints"]["totalCount"], 0);
        let (_, body) = app.graphql(&other.admin, "query($id: ID!) { webhookEndpoint(id: $id) { id } }", json!({"id": endpoint_id})).await;
        assert_eq!(body["data"]["webhookEndpoint"], Value::Null);
        for (query, input) in [
            (UPDATE, json!({"id": endpoint_id, "url": "http://127.0.0.1:1/x"})),
            (ROTATE, json!({"id": endpoint_id})),
            (DISABLE, json!({"id": endpoint_id})),
        ] {
            let answer = mutate(&app, &other.admin, query, input).await;
            assert_eq!(answer["userErrors"][0]["code"], "NOT_FOUND", "{answer}");
        }
        // Its events go to its own endpoints only.
        create_customer(&app, &other.manager, "Başka Firma").await;
        create_customer(&app, &acme.manager, "Acme Müşteri").await;
        deliver(&app).await;
        let got = receiver.received();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].json()["data"]["note"], Value::Null);
        let log = deliveries(&app, &acme.admin, &endpoint_id).await;
        assert_eq!(log.len(), 1);
        // Another organization's admin cannot list or redeliver acme's deliveries.
        assert!(deliveries(&app, &other.admin, &endpoint_id).await.is_empty());
        let answer = mutate(&app, &other.admin, REDELIVER, json!({"deliveryId": log[0]["id"]})).await;
        assert_eq!(answer["userErrors"][0]["code"], "NOT_FOUND");

        // Bad input is refused and changes nothing.
        let refusals = [
            (json!({"url": receiver.url, "eventTypes": []}), "REQUIRED"),
            (json!({"url": receiver.url, "eventTypes": ["invoice.deleted"]}), "UNKNOWN_EVENT_TYPE"),
            (json!({"url": "ftp://example.com/x", "eventTypes": ["*"]}), "INVALID_URL"),
            (json!({"url": "not a url", "eventTypes": ["*"]}), "INVALID_URL"),
            (json!({"url": "https://user:pw@example.com/x", "eventTypes": ["*"]}), "INVALID_URL"),
            (json!({"url": format!("https://example.com/{}", "a".repeat(2_100)), "eventTypes": ["*"]}), "TOO_LONG"),
            (json!({"url": receiver.url, "eventTypes": ["*"], "description": "a\u{0}b"}), "INVALID_TEXT"),
        ];
        for (input, code) in refusals {
            let answer = mutate(&app, &acme.admin, CREATE, input.clone()).await;
            assert_eq!(answer["userErrors"][0]["code"], code, "{input} → {answer}");
            assert_eq!(answer["endpoint"], Value::Null);
            assert_eq!(answer["secret"], Value::Null);
        }
        let (_, body) = app.graphql(&acme.admin, ENDPOINTS, json!({})).await;
        assert_eq!(body["data"]["webhookEndpoints"]["totalCount"], 1);

        // Disabled by hand: nothing goes out until it is on again.
        let off = mutate(&app, &acme.admin, DISABLE, json!({"id": endpoint_id})).await;
        assert_eq!(off["endpoint"]["enabled"], false);
        assert_eq!(off["endpoint"]["disabledReason"], "disabled by admin@acme.com.tr");
        create_customer(&app, &acme.manager, "Kapalıyken").await;
        deliver(&app).await;
        assert_eq!(receiver.received().len(), 1);
        let answer = mutate(&app, &acme.admin, REDELIVER, json!({"deliveryId": log[0]["id"]})).await;
        assert_eq!(answer["userErrors"][0]["code"], "ENDPOINT_DISABLED");
    }
}

on_both_databases! {
    with spawn_strict;

    async fn refused_addresses_get_nothing(app) {
        let receiver = Receiver::start().await;
        let team = Team::new(&app, "acme").await;
        let refusals = [
            (format!("http://example.com:{}/hook", receiver.port), "INVALID_URL"),
            (format!("https://127.0.0.1:{}/hook", receiver.port), "ADDRESS_NOT_ALLOWED"),
            ("https://[::1]/hook".to_owned(), "ADDRESS_NOT_ALLOWED"),
            ("https://169.254.169.254/latest/meta-data".to_owned(), "ADDRESS_NOT_ALLOWED"),
            ("https://10.0.0.7/hook".to_owned(), "ADDRESS_NOT_ALLOWED"),
            ("https://[::ffff:192.168.1.1]/hook".to_owned(), "ADDRESS_NOT_ALLOWED"),
        ];
        for (url, code) in refusals {
            let answer = mutate(&app, &team.admin, CREATE, json!({"url": url, "eventTypes": ["*"]})).await;
            assert_eq!(answer["userErrors"][0]["code"], code, "{url} → {answer}");
        }
        // A name is judged after DNS: localhost resolves to loopback, so nothing is sent.
        let (endpoint_id, _) = endpoint(&app, &team.admin, &format!("https://localhost:{}/hook", receiver.port), &["*"]).await;
        create_customer(&app, &team.manager, "Yerel").await;
        deliver(&app).await;
        let log = deliveries(&app, &team.admin, &endpoint_id).await;
        let error = log[0]["lastError"].as_str().unwrap();
        assert!(error.contains("an address webhooks may not reach"), "{error}");
        assert_eq!(log[0]["responseStatus"], Value::Null);
        assert!(receiver.received().is_empty());
    }
}

on_both_databases! {
    with spawn;

    async fn every_kind_of_change_has_its_event(app) {
        use crate::dunning::{every_day, run_day, set_day};
        let receiver = Receiver::start().await;
        let team = Team::new(&app, "acme").await;
        endpoint(&app, &team.admin, &receiver.url, &["*"]).await;
        every_day(&app, &team.admin).await;
        set_day(&app, "2026-11-23".parse().unwrap());

        let made = mutate(&app, &team.manager, crate::collections::CREATE_CUSTOMER, json!({"name": "Yolculuk A.Ş.", "email": "muhasebe@yolculuk.com.tr"})).await;
        let customer = made["customer"]["id"].as_str().unwrap().to_owned();
        mutate(&app, &team.manager, "mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) { userErrors { code } } }", json!({"id": customer, "phone": "+90 212 555 00 00"})).await;
        let overdue = create_invoice(&app, &team.manager, &customer, "Y-1", "750.00", "2026-11-20").await;
        let spare = create_invoice(&app, &team.manager, &customer, "Y-2", "100.00", "2026-12-20").await;
        mutate(&app, &team.manager, "mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) { userErrors { code } } }", json!({"id": spare, "description": "Nakliye"})).await;
        mutate(&app, &team.manager, "mutation($input: VoidInvoiceInput!) { voidInvoice(input: $input) { userErrors { code } } }", json!({"id": spare, "reason": "Hatalı"})).await;
        // The reminder pass mails the overdue invoice.
        assert_eq!(run_day(&app).await, 1);
        // A link, a declined card, and the link left to expire.
        let link = mutate(&app, &team.collector, LINK, json!({"invoiceIds": [overdue]})).await;
        let provider_link = link["paymentLink"]["providerLinkId"].as_str().unwrap().to_owned();
        let (status, _) = send(&app, event("evt-declined", "payment.failed", &provider_link, "750.00", 1)).await;
        assert_eq!(status, 200);
        // A promise, then broken.
        mutate(&app, &team.collector, "mutation($input: LogActivityInput!) { logActivity(input: $input) { userErrors { code } } }", json!({"kind": "PROMISE_TO_PAY", "customerId": customer, "invoiceId": overdue, "promisedAmount": "750.00", "promisedDate": "2026-11-25"})).await;
        // A dispute, opened and resolved.
        let opened = mutate(&app, &team.collector, "mutation($input: OpenDisputeInput!) { openDispute(input: $input) { dispute { id } userErrors { code } } }", json!({"invoiceId": overdue, "reason": "PRICE"})).await;
        mutate(&app, &team.manager, "mutation($input: ResolveDisputeInput!) { resolveDispute(input: $input) { userErrors { code } } }", json!({"id": opened["dispute"]["id"], "outcome": "REJECTED"})).await;
        set_day(&app, "2026-12-10".parse().unwrap());
        tahsilat::services::promises::settle_due(&app.state).await.unwrap();
        tahsilat::jobs::expiry::expire_links(&app.state).await.unwrap();
        // Paid by hand in full, then reversed.
        let paid = mutate(&app, &team.manager, RECORD, json!({"customerId": customer, "amount": "750.00", "currency": "TRY", "method": "CHEQUE", "allocations": [{"invoiceId": overdue, "amount": "750.00"}]})).await;
        let reversed = mutate(&app, &team.manager, "mutation($input: ReversePaymentInput!) { reversePayment(input: $input) { userErrors { code message } } }", json!({"paymentId": paid["payment"]["id"], "reason": "Karşılıksız"})).await;
        assert_eq!(reversed["userErrors"], json!([]), "{reversed}");

        deliver(&app).await;
        let mut types: Vec<String> = receiver.received().iter().map(|request| request.json()["type"].as_str().unwrap().to_owned()).collect();
        types.sort();
        types.dedup();
        let expected = [
            "customer.created", "customer.updated", "dispute.opened", "dispute.resolved",
            "invoice.created", "invoice.paid", "invoice.updated", "invoice.voided",
            "payment.failed", "payment.recorded", "payment.reversed", "payment_link.created",
            "payment_link.expired", "promise.broken", "promise.made", "reminder.sent",
        ];
        assert_eq!(types, expected);
        // With payment.received, payment_link.paid and callback.rejected (tested above), every
        // type but promise.kept is seen here; that one is the same path as promise.broken.
        let known = tahsilat::domain::webhook::EVENT_TYPES;
        let elsewhere = ["payment.received", "payment_link.paid", "callback.rejected", "promise.kept"];
        assert_eq!(known.len(), expected.len() + elsewhere.len());
        assert!(known.iter().all(|name| expected.contains(name) || elsewhere.contains(name)));
        let expired = receiver.received().into_iter().find(|request| request.json()["type"] == "payment_link.expired").unwrap().json();
        assert_eq!(expired["data"]["amount"], json!({"amount": "750.00", "currency": "TRY"}));
        assert_eq!(expired["data"]["customerId"], json!(customer));
    }
}

on_both_databases! {
    with spawn;

    async fn the_delivery_log_costs_the_same_for_one_row_or_many(app) {
        let receiver = Receiver::start().await;
        let team = Team::new(&app, "acme").await;
        let (endpoint_id, _) = endpoint(&app, &team.admin, &receiver.url, &["customer.created"]).await;
        create_customer(&app, &team.manager, "Bir").await;
        let (one, body) = app.statements_for(&team.admin, DELIVERIES, json!({"id": endpoint_id})).await;
        assert_eq!(body["data"]["webhookDeliveries"]["totalCount"], 1, "{body}");
        for index in 0..12 {
            create_customer(&app, &team.manager, &format!("Çok {index}")).await;
        }
        let (many, body) = app.statements_for(&team.admin, DELIVERIES, json!({"id": endpoint_id})).await;
        assert_eq!(body["data"]["webhookDeliveries"]["totalCount"], 13);
        assert_eq!(one, many, "each relation is one statement per page");

        // Deliveries show on /metrics as the webhook outbox, at zero once all went out.
        deliver(&app).await;
        let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("tahsilat_outbox_depth{kind=\"webhook\"} 0"), "{metrics}");
    }
}
