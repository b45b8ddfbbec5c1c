//! PayTR end to end against a local stand-in that checks `paytr_token` the documented way and
//! answers like PayTR, and link callbacks signed as PayTR signs them.

use std::sync::{Arc, Mutex};

use axum::Form;
use axum::Json;
use axum::routing::post;
use integrations::signature::hmac_base64;
use serde_json::json;

use crate::collections::{Team, create_customer, create_invoice, mutate};
use crate::helpers::{Backend, TestApp, TestDatabase};

const MERCHANT_ID: &str = "123456";
const KEY: &str = "TESTKEY1234567890";
const SALT: &str = "TESTSALT12345678";

type Fields = std::collections::HashMap<String, String>;

/// The stand-in: checks the token of each request, remembers what it was sent.
async fn stand_in(seen: Arc<Mutex<Vec<Fields>>>) -> String {
    let create_seen = seen.clone();
    let router = axum::Router::new()
        .route(
            "/odeme/api/link/create",
            post(move |Form(form): Form<Fields>| {
                let seen = create_seen.clone();
                async move {
                    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
                    let message = format!(
                        "{}{}{}{}{}{}{}{SALT}",
                        field("name"), field("price"), field("currency"), field("max_installment"), field("link_type"), field("lang"), field("email")
                    );
                    let expected = hmac_base64(KEY.as_bytes(), message.as_bytes());
                    let ok = field("paytr_token") == expected && field("merchant_id") == MERCHANT_ID;
                    seen.lock().unwrap().push(form);
                    Json(if ok {
                        json!({"status": "success", "id": "PL8F3K2Q", "link": "https://www.paytr.com/link/PL8F3K2Q"})
                    } else {
                        json!({"status": "error", "err_msg": "paytr_token gecersiz"})
                    })
                }
            }),
        )
        .route(
            "/odeme/api/link/delete",
            post(move |Form(mut form): Form<Fields>| {
                let seen = seen.clone();
                async move {
                    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
                    let expected = hmac_base64(KEY.as_bytes(), format!("{}{MERCHANT_ID}{SALT}", field("id")).as_bytes());
                    let ok = field("paytr_token") == expected && field("merchant_id") == MERCHANT_ID;
                    // Remembered as a delete, with whether its token held.
                    form.insert("_deleted".into(), ok.to_string());
                    seen.lock().unwrap().push(form);
                    Json(if ok { json!({"status": "success"}) } else { json!({"status": "error", "err_msg": "token"}) })
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

async fn spawn(backend: Backend, api_base: &str) -> Option<TestApp> {
    let database = TestDatabase::create(backend).await?;
    Some(
        TestApp::spawn_configured(
            database,
            &[
                ("TAHSILAT_PAYTR_MERCHANT_ID", MERCHANT_ID),
                ("TAHSILAT_PAYTR_MERCHANT_KEY", KEY),
                ("TAHSILAT_PAYTR_MERCHANT_SALT", SALT),
                ("TAHSILAT_PAYTR_API_BASE", api_base),
                ("TAHSILAT_DEFAULT_PROVIDER", "paytr"),
                ("TAHSILAT_INSTALLMENT_RATES", "1:0,6:5"),
            ],
        )
        .await,
    )
}

/// A link callback as PayTR sends it.
fn callback(callback_id: &str, merchant_oid: &str, total: &str) -> String {
    let hash = hmac_base64(
        KEY.as_bytes(),
        format!("{callback_id}{merchant_oid}{SALT}success{total}").as_bytes(),
    );
    serde_urlencoded::to_string([
        ("hash", hash.as_str()),
        ("merchant_oid", merchant_oid),
        ("status", "success"),
        ("total_amount", total),
        ("payment_amount", "125050"),
        ("payment_type", "card"),
        ("currency", "TL"),
        ("callback_id", callback_id),
        ("merchant_id", MERCHANT_ID),
        ("test_mode", "1"),
        ("installment_count", "6"),
    ])
    .unwrap()
}

async fn send(app: &TestApp, body: String) -> (u16, String) {
    let response = app
        .client
        .post(app.url("/callbacks/paytr"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn scenario(backend: Backend) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let api_base = stand_in(seen.clone()).await;
    let Some(app) = spawn(backend, &api_base).await else {
        return;
    };
    let team = Team::new(&app, "acme").await;
    let customer = create_customer(&app, &team.manager, "Borçlu A.Ş.").await;
    mutate(
        &app,
        &team.manager,
        "mutation($input: AddContactInput!) { addContact(input: $input) { userErrors { code } } }",
        json!({"customerId": customer, "name": "Ödeme Sorumlusu", "email": "debtor@example.com"}),
    )
    .await;
    let invoice = create_invoice(
        &app,
        &team.manager,
        &customer,
        "INV-2024-0001",
        "1250.50",
        "2026-11-13",
    )
    .await;

    let created = mutate(&app, &team.collector, "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id provider providerLinkId providerUrl installmentOptions { count total { amount } } } userErrors { code message } } }", json!({"invoiceIds": [invoice], "maxInstallments": 6})).await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let link = &created["paymentLink"];
    assert_eq!(link["provider"], "paytr");
    assert_eq!(link["providerLinkId"], "PL8F3K2Q");
    assert_eq!(link["providerUrl"], "https://www.paytr.com/link/PL8F3K2Q");
    assert_eq!(link["installmentOptions"][1]["total"]["amount"], "1313.03");
    let sent = seen.lock().unwrap()[0].clone();
    assert_eq!(
        (
            sent["price"].as_str(),
            sent["currency"].as_str(),
            sent["max_installment"].as_str()
        ),
        ("125050", "TL", "6")
    );
    assert_eq!(
        (sent["link_type"].as_str(), sent["email"].as_str()),
        ("collection", "debtor@example.com")
    );
    let callback_id = sent["callback_id"].clone();
    assert_eq!(
        callback_id,
        link["id"].as_str().unwrap().replace('-', ""),
        "callback_id is the link's id in 32-hex form"
    );
    assert!(sent["callback_link"].ends_with("/callbacks/paytr"));

    // A tampered total is refused and changes nothing.
    let tampered = callback(&callback_id, "PL8F3K2Q9", "131303")
        .replace("total_amount=131303", "total_amount=1");
    assert_eq!(send(&app, tampered).await.0, 400);

    // 20 copies of the genuine callback at once: "OK" to each, one payment.
    let body = callback(&callback_id, "PL8F3K2Q9", "131303");
    let answers = futures_util::future::join_all((0..20).map(|_| send(&app, body.clone()))).await;
    assert!(
        answers
            .iter()
            .all(|answer| answer == &(200, "OK".to_owned())),
        "{answers:?}"
    );
    assert_eq!(send(&app, body).await, (200, "OK".to_owned()));

    let (_, state) = app.graphql(&team.viewer, "query($id: ID!) { invoice(id: $id) { status paidAmount { amount } payments { amount { amount } charged { amount } provider providerTransactionId needsReview } } }", json!({"id": invoice})).await;
    assert_eq!(
        state["data"]["invoice"],
        json!({
            "status": "PAID",
            "paidAmount": {"amount": "1250.50"},
            "payments": [{"amount": {"amount": "1250.50"}, "charged": {"amount": "1313.03"}, "provider": "paytr", "providerTransactionId": "PL8F3K2Q9", "needsReview": false}]
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paytr_links_and_callbacks_sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paytr_links_and_callbacks_postgres() {
    scenario(Backend::Postgres).await;
}

/// A PayTR link left unpaid past its time is expired here and deleted at PayTR, with a token the
/// stand-in accepts.
async fn expiry(backend: Backend) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let api_base = stand_in(seen.clone()).await;
    let Some(app) = spawn(backend, &api_base).await else {
        return;
    };
    let team = Team::new(&app, "acme").await;
    let customer = create_customer(&app, &team.manager, "Geç Kalan A.Ş.").await;
    mutate(
        &app,
        &team.manager,
        "mutation($input: AddContactInput!) { addContact(input: $input) { userErrors { code } } }",
        json!({"customerId": customer, "name": "Muhasebe", "email": "gec@example.com"}),
    )
    .await;
    let invoice = create_invoice(
        &app,
        &team.manager,
        &customer,
        "INV-9",
        "99.90",
        "2026-11-13",
    )
    .await;
    let created = mutate(&app, &team.collector, "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id status } userErrors { code message } } }", json!({"invoiceIds": [invoice], "expiresInHours": 1})).await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let link = created["paymentLink"]["id"].clone();

    // Not yet due: nothing expires, nothing is deleted.
    assert_eq!(
        tahsilat::jobs::expiry::expire_links(&app.state)
            .await
            .unwrap(),
        0
    );
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(
        tahsilat::jobs::expiry::expire_links(&app.state)
            .await
            .unwrap(),
        1
    );
    let (_, body) = app
        .graphql(
            &team.viewer,
            "query($id: ID!) { paymentLink(id: $id) { status } }",
            json!({"id": link}),
        )
        .await;
    assert_eq!(body["data"]["paymentLink"]["status"], "EXPIRED");
    let deletes: Vec<Fields> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|form| form.contains_key("_deleted"))
        .cloned()
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0]["id"], "PL8F3K2Q");
    assert_eq!(
        deletes[0]["_deleted"], "true",
        "the delete carried a valid paytr_token"
    );
    // A second pass does not delete it again.
    assert_eq!(
        tahsilat::jobs::expiry::expire_links(&app.state)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        seen.lock()
            .unwrap()
            .iter()
            .filter(|form| form.contains_key("_deleted"))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paytr_expiry_deletes_the_link_at_paytr_sqlite() {
    expiry(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paytr_expiry_deletes_the_link_at_paytr_postgres() {
    expiry(Backend::Postgres).await;
}
