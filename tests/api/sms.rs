//! Reminder SMS through a local Netgsm stand-in that answers as Netgsm's REST v2 API does: the
//! request is checked field by field, a rate limit (code 80) is retried after the backoff, and a
//! configuration error (code 30) is given up at once with REMINDER_FAILED on the customer's log.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};

use crate::collections::{Team, create_invoice, mutate};
use crate::dunning::{every_day, run_day, set_day};
use crate::helpers::{Backend, TestApp, TestDatabase};

/// What the stand-in was sent: the Authorization header and the JSON body.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// Answers each send with the next (status, body) of `answers`, then with success.
async fn netgsm(seen: Seen, answers: Arc<Mutex<VecDeque<(u16, Value)>>>) -> String {
    let router = axum::Router::new().route(
        "/sms/rest/v2/send",
        post(move |headers: HeaderMap, Json(body): Json<Value>| {
            let (seen, answers) = (seen.clone(), answers.clone());
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                seen.lock().unwrap().push((auth, body));
                let (status, answer) = answers.lock().unwrap().pop_front().unwrap_or((
                    200,
                    json!({"code": "00", "jobid": "17377215342605050417149344", "description": "queued"}),
                ));
                (StatusCode::from_u16(status).unwrap(), Json(answer))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

async fn netgsm_reminders(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let seen: Seen = Arc::default();
    let answers = Arc::new(Mutex::new(VecDeque::from([(
        406,
        json!({"code": "80", "jobid": null, "description": "limit"}),
    )])));
    let base = netgsm(seen.clone(), answers.clone()).await;
    let app = TestApp::spawn_configured(
        database,
        &[
            ("TAHSILAT_SMS_PROVIDER", "netgsm"),
            ("TAHSILAT_NETGSM_USERCODE", "8503020000"),
            ("TAHSILAT_NETGSM_PASSWORD", "gizli-parola"),
            ("TAHSILAT_NETGSM_HEADER", "ACMETEKSTIL"),
            ("TAHSILAT_NETGSM_API_BASE", &base),
        ],
    )
    .await;
    let team = Team::new(&app, "acme").await;
    every_day(&app, &team.admin).await;
    let create = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { code } } }";
    let made = mutate(
        &app,
        &team.manager,
        create,
        json!({"name": "Kısa Mesaj Ltd", "phone": "+90 532 123 4567", "email": "km@example.com"}),
    )
    .await;
    let customer = made["customer"]["id"].as_str().unwrap().to_owned();
    create_invoice(
        &app,
        &team.manager,
        &customer,
        "S-1",
        "1250.50",
        "2026-11-23",
    )
    .await;

    // The due-day step is an SMS; Netgsm first answers 80 (rate limit): it is tried again.
    set_day(&app, "2026-11-23".parse().unwrap());
    assert_eq!(run_day(&app).await, 1);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let (auth, body) = &seen[0];
        assert_eq!(
            auth, "Basic ODUwMzAyMDAwMDpnaXpsaS1wYXJvbGE=",
            "base64 of usercode:password"
        );
        assert_eq!(body["msgheader"], "ACMETEKSTIL");
        assert_eq!(body["encoding"], "TR");
        assert_eq!(
            body["iysfilter"], "0",
            "a reminder about a debt is informational"
        );
        assert_eq!(body["messages"].as_array().unwrap().len(), 1);
        assert_eq!(body["messages"][0]["no"], "5321234567");
        let text = body["messages"][0]["msg"].as_str().unwrap();
        assert!(
            text.starts_with("acme: 1.250,50 TL tutarındaki ödemenizin vadesi bugün. Ödeme: http"),
            "{text}"
        );
        assert_eq!(body.as_object().unwrap().len(), 4, "{body}");
    }
    // Not yet due again; after the backoff it goes.
    tahsilat::services::outbox::deliver_due(&app.state, 10)
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
    app.clock.advance(chrono::Duration::seconds(11));
    tahsilat::services::outbox::deliver_due(&app.state, 10)
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2);
    use sea_orm::EntityTrait;
    let rows = tahsilat::entities::outbox::Entity::find()
        .all(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].status,
        tahsilat::entities::outbox::OutboxStatus::Sent
    );

    // Code 30 (credentials): given up at once, and the customer's log says why.
    answers.lock().unwrap().push_back((
        406,
        json!({"code": "30", "jobid": null, "description": "Geçersiz kullanıcı adı"}),
    ));
    let made = mutate(
        &app,
        &team.manager,
        create,
        json!({"name": "Hatalı Ltd", "phone": "05551234567"}),
    )
    .await;
    let failing = made["customer"]["id"].as_str().unwrap().to_owned();
    create_invoice(&app, &team.manager, &failing, "S-2", "80.00", "2026-11-23").await;
    assert_eq!(run_day(&app).await, 1);
    assert_eq!(seen.lock().unwrap().len(), 3);
    let (_, log) = app.graphql(&team.viewer, "query($id: ID!) { activities(filter: {customerId: $id, kinds: [REMINDER_SENT, REMINDER_FAILED]}) { edges { node { kind actorLabel data } } } }", json!({"id": failing})).await;
    let edges = log["data"]["activities"]["edges"].as_array().unwrap();
    assert_eq!(edges[0]["node"]["kind"], "REMINDER_FAILED", "{log}");
    assert_eq!(edges[0]["node"]["actorLabel"], "system");
    let reason = edges[0]["node"]["data"]["reason"].as_str().unwrap();
    assert!(reason.contains("code 30"), "{reason}");
    assert_eq!(edges[0]["node"]["data"]["invoices"], json!(["S-2"]));
    assert_eq!(edges[1]["node"]["kind"], "REMINDER_SENT");
    // Never tried again.
    app.clock.advance(chrono::Duration::hours(2));
    tahsilat::services::outbox::deliver_due(&app.state, 10)
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn netgsm_gets_the_documented_request_and_its_errors_are_retried_or_given_up_sqlite() {
    netgsm_reminders(Backend::Sqlite).await;
}

#[tokio::test]
async fn netgsm_gets_the_documented_request_and_its_errors_are_retried_or_given_up_postgres() {
    netgsm_reminders(Backend::Postgres).await;
}

/// An SMS step for a customer with no mobile number goes by mail, or becomes a call task when
/// there is no address at all; the log says so.
#[tokio::test]
async fn without_a_mobile_number_sms_falls_back_to_mail_then_to_a_task() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let team = Team::new(&app, "acme").await;
    every_day(&app, &team.admin).await;
    let create = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { code } } }";
    let mail_only = mutate(
        &app,
        &team.manager,
        create,
        json!({"name": "Sabit Hat A.Ş.", "phone": "0212 123 45 67", "email": "sabit@example.com"}),
    )
    .await;
    let mail_only = mail_only["customer"]["id"].as_str().unwrap().to_owned();
    let nothing = mutate(&app, &team.manager, create, json!({"name": "Adressiz Ltd"})).await;
    let nothing = nothing["customer"]["id"].as_str().unwrap().to_owned();
    create_invoice(
        &app,
        &team.manager,
        &mail_only,
        "F-1",
        "100.00",
        "2026-11-23",
    )
    .await;
    create_invoice(&app, &team.manager, &nothing, "F-2", "100.00", "2026-11-23").await;
    set_day(&app, "2026-11-23".parse().unwrap());
    assert_eq!(run_day(&app).await, 2);
    let (_, log) = app.graphql(&team.viewer, "query($id: ID!) { activities(filter: {customerId: $id, kinds: [REMINDER_SENT]}) { edges { node { data } } } }", json!({"id": mail_only})).await;
    let data = &log["data"]["activities"]["edges"][0]["node"]["data"];
    assert_eq!(data["channel"], "EMAIL", "{log}");
    assert_eq!(data["fallback"], "no mobile number: sent by mail");
    let (_, tasks) = app
        .graphql(
            &team.manager,
            "{ worklist { source note customer { name } } }",
            json!({}),
        )
        .await;
    let task = &tasks["data"]["worklist"][0];
    assert_eq!(task["source"], "DUNNING", "{tasks}");
    assert_eq!(task["customer"]["name"], "Adressiz Ltd");
    assert!(
        task["note"]
            .as_str()
            .unwrap()
            .contains("no mobile number or email"),
        "{tasks}"
    );
}
