//! iyzico end to end against a local stand-in that checks every request's IYZWSv2 signature the
//! documented way, makes checkout forms, and answers result retrievals signed as iyzico signs
//! them; webhooks are sent signed with `X-IYZ-SIGNATURE-V3` as iyzico sends them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use base64::Engine as _;
use integrations::iyzico::webhook_signature_hosted;
use integrations::signature::hmac_hex;
use serde_json::{Value, json};

use crate::collections::{Team, create_customer, link_for_new_invoice, mutate};
use crate::helpers::{Backend, TestApp, TestDatabase, no_redirects};

const API_KEY: &str = "sandbox-apikey-TEST";
const SECRET: &str = "sandbox-secret-TEST";

/// What the stand-in will say of a checkout form when asked.
#[derive(Debug, Clone)]
enum Result {
    /// 3-D Secure still under way.
    Pending,
    Paid {
        payment_id: String,
        paid_price: f64,
        installment: u32,
    },
    Declined(String),
}

#[derive(Debug, Clone)]
struct Form {
    conversation_id: String,
    basket_id: String,
    request: Value,
    result: Result,
}

#[derive(Default)]
struct Iyzico {
    forms: HashMap<String, Form>,
    /// Requests whose IYZWSv2 signature did not hold.
    bad_signatures: usize,
    retrievals: usize,
}

type Shared = Arc<Mutex<Iyzico>>;

/// Checks `Authorization: IYZWSv2 base64(apiKey:…&randomKey:…&signature:…)` over rnd + path + body.
fn signed(headers: &HeaderMap, path: &str, body: &[u8]) -> bool {
    let Some(auth) = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("IYZWSv2 "))
    else {
        return false;
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(auth)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default();
    let parts: HashMap<&str, &str> = decoded
        .split('&')
        .filter_map(|part| part.split_once(':'))
        .collect();
    let rnd = parts.get("randomKey").copied().unwrap_or_default();
    let header_rnd = headers
        .get("x-iyzi-rnd")
        .and_then(|value| value.to_str().ok());
    let message = format!("{rnd}{path}{}", String::from_utf8_lossy(body));
    parts.get("apiKey") == Some(&API_KEY)
        && header_rnd == Some(rnd)
        && parts.get("signature").copied()
            == Some(hmac_hex(SECRET.as_bytes(), message.as_bytes()).as_str())
}

fn price(value: f64) -> String {
    rust_decimal::Decimal::try_from(value)
        .unwrap()
        .normalize()
        .to_string()
}

async fn initialize(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Json<Value> {
    let path = "/payment/iyzipos/checkoutform/initialize/auth/ecom";
    let mut state = state.lock().unwrap();
    if !signed(&headers, path, &body) {
        state.bad_signatures += 1;
        return Json(
            json!({"status": "failure", "errorCode": "1000", "errorMessage": "Geçersiz imza"}),
        );
    }
    let request: Value = serde_json::from_slice(&body).unwrap();
    let token = uuid::Uuid::now_v7().to_string();
    let conversation_id = request["conversationId"].as_str().unwrap().to_owned();
    state.forms.insert(
        token.clone(),
        Form {
            conversation_id: conversation_id.clone(),
            basket_id: request["basketId"].as_str().unwrap().to_owned(),
            request,
            result: Result::Pending,
        },
    );
    Json(json!({
        "status": "success",
        "locale": "tr",
        "conversationId": conversation_id,
        "token": token,
        "tokenExpireTime": 1800,
        "paymentPageUrl": format!("https://sandbox-cpp.iyzipay.com?token={token}&lang=tr"),
        "signature": hmac_hex(SECRET.as_bytes(), format!("{conversation_id}:{token}").as_bytes()),
    }))
}

async fn retrieve(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Json<Value> {
    let path = "/payment/iyzipos/checkoutform/auth/ecom/detail";
    let mut state = state.lock().unwrap();
    if !signed(&headers, path, &body) {
        state.bad_signatures += 1;
        return Json(
            json!({"status": "failure", "errorCode": "1000", "errorMessage": "Geçersiz imza"}),
        );
    }
    state.retrievals += 1;
    let request: Value = serde_json::from_slice(&body).unwrap();
    let token = request["token"].as_str().unwrap_or_default().to_owned();
    let Some(form) = state.forms.get(&token).cloned() else {
        return Json(
            json!({"status": "failure", "errorCode": "5090", "errorMessage": "token bulunamadı"}),
        );
    };
    let base: f64 = form.request["price"].as_str().unwrap().parse().unwrap();
    let (status, payment_id, paid, installment, message) = match &form.result {
        Result::Pending => ("INIT_THREEDS", String::new(), base, 1, None),
        Result::Paid {
            payment_id,
            paid_price,
            installment,
        } => (
            "SUCCESS",
            payment_id.clone(),
            *paid_price,
            *installment,
            None,
        ),
        Result::Declined(message) => ("FAILURE", String::new(), base, 1, Some(message.clone())),
    };
    let signed_fields = [
        status.to_owned(),
        payment_id.clone(),
        "TRY".to_owned(),
        form.basket_id.clone(),
        form.conversation_id.clone(),
        price(paid),
        price(base),
        token.clone(),
    ]
    .join(":");
    Json(json!({
        "status": "success",
        "locale": "tr",
        "conversationId": form.conversation_id,
        "paymentStatus": status,
        "paymentId": payment_id,
        "price": base,
        "paidPrice": paid,
        "installment": installment,
        "currency": "TRY",
        "basketId": form.basket_id,
        "fraudStatus": 1,
        "token": token,
        "errorMessage": message,
        "signature": hmac_hex(SECRET.as_bytes(), signed_fields.as_bytes()),
    }))
}

async fn stand_in() -> (String, Shared) {
    let state: Shared = Arc::default();
    let router = axum::Router::new()
        .route(
            "/payment/iyzipos/checkoutform/initialize/auth/ecom",
            post(initialize),
        )
        .route(
            "/payment/iyzipos/checkoutform/auth/ecom/detail",
            post(retrieve),
        )
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (address, state)
}

async fn spawn(backend: Backend, api_base: &str) -> Option<TestApp> {
    let database = TestDatabase::create(backend).await?;
    Some(
        TestApp::spawn_configured(
            database,
            &[
                ("TAHSILAT_IYZICO_API_KEY", API_KEY),
                ("TAHSILAT_IYZICO_SECRET_KEY", SECRET),
                ("TAHSILAT_IYZICO_API_BASE", api_base),
                ("TAHSILAT_INSTALLMENT_RATES", "1:0,6:5"),
            ],
        )
        .await,
    )
}

/// A hosted-page webhook as iyzico sends it.
async fn webhook(
    app: &TestApp,
    token: &str,
    conversation: &str,
    status: &str,
    signature: Option<&str>,
) -> u16 {
    let payment_id = "25152948";
    let body = json!({
        "paymentConversationId": conversation,
        "merchantId": 3393,
        "token": token,
        "status": status,
        "iyziReferenceCode": "ref-1",
        "iyziEventType": "CHECKOUT_FORM_AUTH",
        "iyziEventTime": 1_764_000_000_000_i64,
        "iyziPaymentId": payment_id.parse::<i64>().unwrap(),
    });
    let computed = webhook_signature_hosted(
        SECRET,
        "CHECKOUT_FORM_AUTH",
        payment_id,
        token,
        conversation,
        status,
    );
    app.client
        .post(app.url("/callbacks/iyzico"))
        .header("content-type", "application/json")
        .header("X-IYZ-SIGNATURE-V3", signature.unwrap_or(&computed))
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Chooses `installments` on the pay page: the attempt's token at iyzico and its conversation id.
async fn choose(
    app: &TestApp,
    state: &Shared,
    pay_token: &str,
    installments: u32,
) -> (String, String) {
    let response = no_redirects()
        .post(app.url(&format!("/pay/{pay_token}")))
        .form(&[("installments", installments.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let token = location
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with("https://sandbox-cpp.iyzipay.com?token="),
        "{location}"
    );
    let conversation = state.lock().unwrap().forms[&token].conversation_id.clone();
    (token, conversation)
}

fn settle(state: &Shared, token: &str, result: Result) {
    state.lock().unwrap().forms.get_mut(token).unwrap().result = result;
}

/// A link for a fresh 1,250.50 TRY invoice, up to 6 installments: its id and pay-page token.
async fn link_for(
    app: &TestApp,
    team: &Team,
    customer: &str,
    number: &str,
) -> (String, String, String) {
    let (invoice, link, pay_token) =
        link_for_new_invoice(app, team, customer, number, "iyzico").await;
    assert_eq!(link["provider"], "iyzico");
    assert_eq!(
        link["providerUrl"],
        Value::Null,
        "nothing is made at iyzico until the payer chooses"
    );
    assert_eq!(link["installmentOptions"][1]["total"]["amount"], "1313.03");
    (invoice, link["id"].as_str().unwrap().to_owned(), pay_token)
}

const STATE: &str = "query($invoice: ID!, $link: ID!) { invoice(id: $invoice) { status paidAmount { amount } payments { amount { amount } charged { amount } installmentCount provider providerTransactionId needsReview } } paymentLink(id: $link) { status } }";

async fn scenario(backend: Backend) {
    let (api_base, state) = stand_in().await;
    let Some(app) = spawn(backend, &api_base).await else {
        return;
    };
    let team = Team::new(&app, "acme").await;
    let customer = create_customer(&app, &team.manager, "Borçlu Ticaret A.Ş.").await;
    mutate(
        &app,
        &team.manager,
        "mutation($input: AddContactInput!) { addContact(input: $input) { userErrors { code } } }",
        json!({"customerId": customer, "name": "Ödeme Sorumlusu", "email": "debtor@example.com"}),
    )
    .await;

    // 1,250.50 TRY in 6 installments at 5 %: the card is charged 1,313.03.
    let (invoice, link, pay_token) = link_for(&app, &team, &customer, "INV-2024-0001").await;
    let (token, conversation) = choose(&app, &state, &pay_token, 6).await;
    {
        let seen = state.lock().unwrap();
        assert_eq!(seen.bad_signatures, 0);
        let request = &seen.forms[&token].request;
        assert_eq!(
            (request["price"].as_str(), request["paidPrice"].as_str()),
            (Some("1250.5"), Some("1250.5"))
        );
        assert_eq!(request["enabledInstallments"], json!([6]));
        assert_eq!(request["currency"], "TRY");
        assert_eq!(request["buyer"]["email"], "debtor@example.com");
        assert_eq!(request["basketId"], link.replace('-', ""));
        assert!(
            request["callbackUrl"]
                .as_str()
                .unwrap()
                .ends_with("/callbacks/iyzico/return")
        );
        let items: f64 = request["basketItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["price"].as_str().unwrap().parse::<f64>().unwrap())
            .sum();
        assert_eq!(items, 1250.5);
    }

    // Still in 3-D Secure: a webhook now records nothing and asks iyzico to try again.
    assert_eq!(
        webhook(&app, &token, &conversation, "SUCCESS", None).await,
        500
    );
    // A forged webhook is refused and changes nothing.
    settle(
        &state,
        &token,
        Result::Paid {
            payment_id: "25152948".into(),
            paid_price: 1313.03,
            installment: 6,
        },
    );
    let forged = hmac_hex(b"another secret", b"x");
    assert_eq!(
        webhook(&app, &token, &conversation, "SUCCESS", Some(&forged)).await,
        401
    );
    let (_, before) = app
        .graphql(
            &team.viewer,
            STATE,
            json!({"invoice": invoice, "link": link}),
        )
        .await;
    assert_eq!(before["data"]["invoice"]["status"], "OPEN");
    assert_eq!(before["data"]["invoice"]["payments"], json!([]));

    // The genuine webhook 20 times at once, then twice more: one payment.
    let answers = futures_util::future::join_all(
        (0..20).map(|_| webhook(&app, &token, &conversation, "SUCCESS", None)),
    )
    .await;
    assert!(answers.iter().all(|status| *status == 200), "{answers:?}");
    assert_eq!(
        webhook(&app, &token, &conversation, "SUCCESS", None).await,
        200
    );
    assert_eq!(
        webhook(&app, &token, &conversation, "SUCCESS", None).await,
        200
    );
    let (_, paid) = app
        .graphql(
            &team.viewer,
            STATE,
            json!({"invoice": invoice, "link": link}),
        )
        .await;
    assert_eq!(
        paid["data"],
        json!({
            "invoice": {"status": "PAID", "paidAmount": {"amount": "1250.50"}, "payments": [{"amount": {"amount": "1250.50"}, "charged": {"amount": "1313.03"}, "installmentCount": 6, "provider": "iyzico", "providerTransactionId": "25152948", "needsReview": false}]},
            "paymentLink": {"status": "PAID"}
        })
    );
    // The payer's browser comes back: to the pay page, which shows the link paid.
    let back = no_redirects()
        .post(app.url("/callbacks/iyzico/return"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(back.status().as_u16(), 303);
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/pay/{pay_token}"));
    let page = app
        .client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-status=\"PAID\""), "{page}");

    // A declined card: PAYMENT_FAILED with iyzico's reason, the link still ACTIVE, and the
    // browser's return shows the payer what happened.
    let (_, declined_link, declined_pay) = link_for(&app, &team, &customer, "INV-2024-0002").await;
    let (declined_token, declined_conversation) = choose(&app, &state, &declined_pay, 1).await;
    settle(
        &state,
        &declined_token,
        Result::Declined("Kart limiti yetersiz".into()),
    );
    assert_eq!(
        webhook(
            &app,
            &declined_token,
            &declined_conversation,
            "FAILURE",
            None
        )
        .await,
        200
    );
    assert_eq!(
        webhook(
            &app,
            &declined_token,
            &declined_conversation,
            "FAILURE",
            None
        )
        .await,
        200
    );
    let back = no_redirects()
        .post(app.url("/callbacks/iyzico/return"))
        .form(&[("token", declined_token.as_str())])
        .send()
        .await
        .unwrap();
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/pay/{declined_pay}?payment=failed"));
    let page = app
        .client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-result=\"failed\"") && page.contains("Ödemeye geç"),
        "{page}"
    );
    let (_, failures) = app.graphql(&team.viewer, "query($id: ID!) { paymentLink(id: $id) { status } activities(first: 5, filter: {kinds: [PAYMENT_FAILED]}) { totalCount edges { node { note } } } }", json!({"id": declined_link})).await;
    assert_eq!(failures["data"]["paymentLink"]["status"], "ACTIVE");
    assert_eq!(
        failures["data"]["activities"]["totalCount"], 1,
        "{failures}"
    );
    assert_eq!(
        failures["data"]["activities"]["edges"][0]["node"]["note"],
        "Kart limiti yetersiz"
    );

    // The payer tries again on the same link: a new attempt, paid; its notification is lost, and
    // the reconciliation job finds it once the attempt has been quiet for 15 minutes.
    let (retry_token, retry_conversation) = choose(&app, &state, &declined_pay, 1).await;
    assert_ne!(retry_token, declined_token);
    settle(
        &state,
        &retry_token,
        Result::Paid {
            payment_id: "25152999".into(),
            paid_price: 1250.5,
            installment: 1,
        },
    );
    let early = tahsilat::services::attempts::reconcile(&app.state)
        .await
        .unwrap();
    assert_eq!(early.asked, 0, "too early to ask");
    app.clock.advance(chrono::Duration::minutes(16));
    let found = tahsilat::services::attempts::reconcile(&app.state)
        .await
        .unwrap();
    assert_eq!((found.recorded, found.errors), (1, 0), "{found:?}");
    let (_, reconciled) = app.graphql(&team.viewer, "query($id: ID!) { paymentLink(id: $id) { status payment { amount { amount } providerTransactionId needsReview } } }", json!({"id": declined_link})).await;
    assert_eq!(
        reconciled["data"]["paymentLink"],
        json!({"status": "PAID", "payment": {"amount": {"amount": "1250.50"}, "providerTransactionId": "25152999", "needsReview": false}})
    );
    // The webhook arriving late changes nothing, and the job does not ask again.
    assert_eq!(
        webhook(&app, &retry_token, &retry_conversation, "SUCCESS", None).await,
        200
    );
    app.clock.advance(chrono::Duration::minutes(16));
    let again = tahsilat::services::attempts::reconcile(&app.state)
        .await
        .unwrap();
    assert_eq!(again.recorded, 0, "{again:?}");
    let (_, count) = app
        .graphql(
            &team.viewer,
            "{ payments(first: 10) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(count["data"]["payments"]["totalCount"], 2, "{count}");
    assert_eq!(state.lock().unwrap().bad_signatures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iyzico_checkout_webhooks_and_reconciliation_sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iyzico_checkout_webhooks_and_reconciliation_postgres() {
    scenario(Backend::Postgres).await;
}
