//! A bank's NestPay virtual POS (3D Pay Hosting) end to end, against a stand-in gateway that
//! checks the form's hash version 3 and posts back fields signed the same way, as the bank does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Form;
use axum::extract::State;
use axum::response::Html;
use axum::routing::post;
use integrations::nestpay::{hash_v3, verify};
use serde_json::{Value, json};

use crate::collections::{Team, create_customer, link_for_new_invoice, mutate};
use crate::helpers::{Backend, TestApp, TestDatabase, no_redirects};

pub const CLIENT_ID: &str = "100200127";
/// With `|` and `\` in it, so escaping is exercised end to end.
pub const STORE_KEY: &str = "TEST|KEY\\1";

pub const API_USER: &str = "tahsilat-api";
pub const API_PASSWORD: &str = "api-pass&<1>";

/// The forms the stand-in bank received, by `oid`, how many failed their hash, the orders it
/// took money for (whatever became of the posts back), and how many status queries it refused.
#[derive(Default)]
pub struct Bank {
    pub forms: HashMap<String, Vec<(String, String)>>,
    pub bad_hashes: usize,
    pub settled: HashMap<String, String>,
    pub refused_queries: usize,
}

pub type Shared = Arc<Mutex<Bank>>;

/// What the bank posts back for a form it received: approved or declined, signed.
pub fn answer(form: &[(String, String)], approved: bool) -> Vec<(String, String)> {
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    let oid = field("oid");
    let mut fields: Vec<(String, String)> = vec![
        ("EXTRA.CARDBRAND".into(), "VISA".into()),
        ("MaskedPan".into(), "435508***4358".into()),
        ("TransId".into(), format!("26341{}", &oid[oid.len() - 8..])),
        ("oid".into(), oid.clone()),
        ("ReturnOid".into(), oid),
        ("amount".into(), field("amount")),
        ("currency".into(), field("currency")),
        ("taksit".into(), field("taksit")),
        ("clientid".into(), field("clientid")),
        ("rnd".into(), field("rnd")),
        ("hashAlgorithm".into(), "ver3".into()),
        ("EXTRA.TRXDATE".into(), "20261123 12:30:00".into()),
        ("mdStatus".into(), "1".into()),
    ];
    if approved {
        fields.extend([
            ("Response".into(), "Approved".into()),
            ("ProcReturnCode".into(), "00".into()),
            ("AuthCode".into(), "P77974".into()),
            ("HostRefNum".into(), "633018561234".into()),
        ]);
    } else {
        fields.extend([
            ("Response".into(), "Declined".into()),
            ("ProcReturnCode".into(), "51".into()),
            ("ErrMsg".into(), "Yetersiz bakiye".into()),
        ]);
    }
    let hash = hash_v3(
        fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
        STORE_KEY,
    );
    fields.push(("HASH".into(), hash));
    fields
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// The gateway: checks the hash over every field, then shows the bank's page, whose buttons post
/// the signed result back through the browser to `okUrl` or `failUrl`.
async fn gateway(
    State(bank): State<Shared>,
    Form(form): Form<Vec<(String, String)>>,
) -> Html<String> {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let mut bank = bank.lock().unwrap();
    if !verify(&pairs, STORE_KEY) {
        bank.bad_hashes += 1;
        return Html("<p id=\"error\">Hash değeri hatalı</p>".into());
    }
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    bank.forms.insert(field("oid"), form.clone());
    let hidden = |fields: Vec<(String, String)>| -> String {
        fields
            .iter()
            .map(|(name, value)| {
                format!(
                    "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                    escape(name),
                    escape(value)
                )
            })
            .collect()
    };
    Html(format!(
        "<!doctype html><html><body><h1>Test Bankası 3D Secure</h1><p id=\"amount\">{} TL, {} taksit</p>\
<form method=\"post\" action=\"{}\">{}<button id=\"approve\" type=\"submit\">Onayla</button></form>\
<form method=\"post\" action=\"{}\">{}<button id=\"decline\" type=\"submit\">Reddet</button></form></body></html>",
        field("amount"),
        field("taksit"),
        escape(&field("okUrl")),
        hidden(answer(&form, true)),
        escape(&field("failUrl")),
        hidden(answer(&form, false)),
    ))
}

/// The XML API's `ORDERSTATUS` query, as NestPay answers it: amounts in minor units.
async fn api(State(bank): State<Shared>, body: String) -> String {
    let field = |name: &str| {
        body.split(&format!("<{name}>"))
            .nth(1)
            .and_then(|rest| rest.split(&format!("</{name}>")).next())
            .unwrap_or_default()
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
    };
    let mut bank = bank.lock().unwrap();
    if field("Name") != API_USER
        || field("Password") != API_PASSWORD
        || field("ClientId") != CLIENT_ID
        || field("ORDERSTATUS") != "QUERY"
    {
        bank.refused_queries += 1;
        return "<CC5Response><ProcReturnCode>99</ProcReturnCode><ErrMsg>Yetkisiz</ErrMsg></CC5Response>".into();
    }
    let oid = field("OrderId");
    match bank.settled.get(&oid) {
        Some(amount) => {
            let minor = amount.replace('.', "");
            format!(
                "<?xml version=\"1.0\" encoding=\"ISO-8859-9\"?><CC5Response><OrderId>{oid}</OrderId><GroupId>{oid}</GroupId><Response>Approved</Response><AuthCode>P77974</AuthCode><HostRefNum>633018561234</HostRefNum><ProcReturnCode>00</ProcReturnCode><TransId>26341{}</TransId><ErrMsg>Record(s) found for {oid}</ErrMsg><Extra><TRANS_STAT>S</TRANS_STAT><CHARGE_TYPE_CD>S</CHARGE_TYPE_CD><ORIG_TRANS_AMT>{minor}</ORIG_TRANS_AMT><CAPTURE_AMT>{minor}</CAPTURE_AMT><PAN>4355 08** **** 4358</PAN></Extra></CC5Response>",
                &oid[oid.len() - 8..]
            )
        }
        None => format!(
            "<CC5Response><OrderId>{oid}</OrderId><ProcReturnCode>99</ProcReturnCode><ErrMsg>No record found for {oid}</ErrMsg></CC5Response>"
        ),
    }
}

pub async fn stand_in() -> (String, Shared) {
    let bank: Shared = Arc::default();
    let router = axum::Router::new()
        .route("/fim/est3Dgate", post(gateway))
        .route("/fim/api", post(api))
        .with_state(bank.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/fim/est3Dgate", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (address, bank)
}

pub async fn spawn(backend: Backend, gateway: &str) -> Option<TestApp> {
    let database = TestDatabase::create(backend).await?;
    Some(
        TestApp::spawn_configured(
            database,
            &[
                ("TAHSILAT_NESTPAY_CLIENT_ID", CLIENT_ID),
                ("TAHSILAT_NESTPAY_STORE_KEY", STORE_KEY),
                ("TAHSILAT_NESTPAY_GATEWAY_URL", gateway),
                ("TAHSILAT_NESTPAY_NAME", "Örnek Bankası"),
                (
                    "TAHSILAT_NESTPAY_API_URL",
                    &gateway.replace("est3Dgate", "api"),
                ),
                ("TAHSILAT_NESTPAY_API_USER", API_USER),
                ("TAHSILAT_NESTPAY_API_PASSWORD", API_PASSWORD),
                ("TAHSILAT_INSTALLMENT_RATES", "1:0,6:5"),
            ],
        )
        .await,
    )
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The pay page's choice: the form our page has the browser post to the bank, and its CSP.
async fn choose(
    app: &TestApp,
    pay_token: &str,
    installments: u32,
) -> (String, Vec<(String, String)>, String) {
    let response = no_redirects()
        .post(app.url(&format!("/pay/{pay_token}")))
        .form(&[("installments", installments.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = response.text().await.unwrap();
    let action = page
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let fields = page
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once('"').unwrap();
            let value = rest
                .split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            (unescape(name), unescape(value))
        })
        .collect();
    assert!(
        page.contains("<script>") && page.contains("Örnek Bankası"),
        "{page}"
    );
    (unescape(&action), fields, csp)
}

async fn post_back(app: &TestApp, path: &str, fields: &[(String, String)]) -> (u16, String) {
    let response = no_redirects()
        .post(app.url(&format!("/callbacks/nestpay/{path}")))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned());
    (status, location.unwrap_or(response.text().await.unwrap()))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or_default()
}

/// A link for a fresh 1,250.50 TRY invoice, up to 6 installments: its invoice, id and pay token.
async fn link_for(
    app: &TestApp,
    team: &Team,
    customer: &str,
    number: &str,
) -> (String, String, String) {
    let (invoice, link, pay_token) =
        link_for_new_invoice(app, team, customer, number, "nestpay").await;
    assert_eq!(
        (link["provider"].as_str(), &link["providerUrl"]),
        (Some("nestpay"), &Value::Null)
    );
    assert_eq!(link["installmentOptions"][1]["total"]["amount"], "1313.03");
    (invoice, link["id"].as_str().unwrap().to_owned(), pay_token)
}

const STATE: &str = "query($invoice: ID!, $link: ID!) { invoice(id: $invoice) { status paidAmount { amount } payments { amount { amount } charged { amount } installmentCount provider needsReview } } paymentLink(id: $link) { status } }";

async fn scenario(backend: Backend) {
    let (gateway, bank) = stand_in().await;
    let Some(app) = spawn(backend, &gateway).await else {
        return;
    };
    let team = Team::new(&app, "acme").await;
    let customer = create_customer(&app, &team.manager, "Borçlu Ticaret A.Ş.").await;

    // 6 installments at 5 %: the form the browser takes to the bank asks 1,313.03 in 6.
    let (invoice, link, pay_token) = link_for(&app, &team, &customer, "INV-2024-0001").await;
    let (action, form, csp) = choose(&app, &pay_token, 6).await;
    assert_eq!(action, gateway);
    let origin = gateway.trim_end_matches("/fim/est3Dgate");
    assert!(
        csp.contains(&format!("form-action {origin};"))
            && csp.contains(origin)
            && csp.contains("script-src 'sha256-"),
        "{csp}"
    );
    assert_eq!(
        (
            field(&form, "amount"),
            field(&form, "taksit"),
            field(&form, "currency")
        ),
        ("1313.03", "6", "949")
    );
    assert_eq!(
        (
            field(&form, "clientid"),
            field(&form, "storetype"),
            field(&form, "hashAlgorithm")
        ),
        (CLIENT_ID, "3d_pay_hosting", "ver3")
    );
    assert!(
        field(&form, "okUrl").ends_with("/callbacks/nestpay/ok")
            && field(&form, "failUrl").ends_with("/callbacks/nestpay/fail")
            && field(&form, "callbackUrl").ends_with("/callbacks/nestpay/callback")
    );
    let pairs: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert!(verify(&pairs, STORE_KEY), "the form's hash holds");
    assert!(
        !form
            .iter()
            .any(|(name, _)| name.to_lowercase().contains("pan") || name.contains("cv")),
        "no card fields"
    );

    // The bank's server-to-server callback (fields in its own order, EXTRA.* among them) 20
    // times at once, then the browser's post to okUrl, replayed: one payment.
    let approved = answer(&form, true);
    let answers =
        futures_util::future::join_all((0..20).map(|_| post_back(&app, "callback", &approved)))
            .await;
    assert!(
        answers
            .iter()
            .all(|answer| answer == &(200, "Approved".to_owned())),
        "{answers:?}"
    );
    for _ in 0..2 {
        assert_eq!(
            post_back(&app, "ok", &approved).await,
            (303, format!("/pay/{pay_token}"))
        );
    }
    // A forged post (the amount changed after signing) is refused and changes nothing.
    let mut forged = approved.clone();
    forged
        .iter_mut()
        .find(|(name, _)| name == "amount")
        .unwrap()
        .1 = "1.00".into();
    assert_eq!(post_back(&app, "callback", &forged).await.0, 400);
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
            "invoice": {"status": "PAID", "paidAmount": {"amount": "1250.50"}, "payments": [{"amount": {"amount": "1250.50"}, "charged": {"amount": "1313.03"}, "installmentCount": 6, "provider": "nestpay", "needsReview": false}]},
            "paymentLink": {"status": "PAID"}
        })
    );

    // Declined: PAYMENT_FAILED with the bank's reason, the link still ACTIVE, the payer told.
    let (_, declined_link, declined_pay) = link_for(&app, &team, &customer, "INV-2024-0002").await;
    let (_, first_try, _) = choose(&app, &declined_pay, 1).await;
    assert_eq!(
        field(&first_try, "taksit"),
        "",
        "a single payment posts an empty taksit"
    );
    let declined = answer(&first_try, false);
    assert_eq!(
        post_back(&app, "fail", &declined).await,
        (303, format!("/pay/{declined_pay}?payment=failed"))
    );
    let page = app
        .client
        .get(app.url(&format!("/pay/{declined_pay}?payment=failed")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-result=\"failed\""), "{page}");
    let (_, failures) = app.graphql(&team.viewer, "query($id: ID!) { paymentLink(id: $id) { status } activities(first: 5, filter: {kinds: [PAYMENT_FAILED]}) { totalCount edges { node { note } } } }", json!({"id": declined_link})).await;
    assert_eq!(failures["data"]["paymentLink"]["status"], "ACTIVE");
    assert_eq!(
        failures["data"]["activities"]["edges"][0]["node"]["note"],
        "Yetersiz bakiye"
    );

    // The payer tries again: a new oid. The browser's return is lost; the bank's server
    // callback alone records the payment.
    let (_, second_try, _) = choose(&app, &declined_pay, 1).await;
    assert_ne!(
        field(&second_try, "oid"),
        field(&first_try, "oid"),
        "an oid is unique per attempt"
    );
    assert_eq!(
        post_back(&app, "callback", &answer(&second_try, true))
            .await
            .0,
        200
    );
    let (_, retried) = app.graphql(&team.viewer, "query($id: ID!) { paymentLink(id: $id) { status payment { amount { amount } charged { amount } } } }", json!({"id": declined_link})).await;
    assert_eq!(
        retried["data"]["paymentLink"],
        json!({"status": "PAID", "payment": {"amount": {"amount": "1250.50"}, "charged": {"amount": "1250.50"}}})
    );

    // The bank takes the money but neither post comes back: once the attempt has been quiet for
    // 15 minutes, the reconciliation job asks the bank's API and records it, once.
    let (lost_invoice, lost_link, lost_pay) =
        link_for(&app, &team, &customer, "INV-2024-0004").await;
    let (_, lost_form, _) = choose(&app, &lost_pay, 6).await;
    let lost_oid = field(&lost_form, "oid").to_owned();
    bank.lock()
        .unwrap()
        .settled
        .insert(lost_oid.clone(), field(&lost_form, "amount").to_owned());
    // Another payer goes to the bank and never pays.
    let (_, _, idle_pay) = link_for(&app, &team, &customer, "INV-2024-0005").await;
    choose(&app, &idle_pay, 1).await;
    let early = tahsilat::services::attempts::reconcile(&app.state)
        .await
        .unwrap();
    assert_eq!(early.asked, 0, "too early to ask");
    app.clock.advance(chrono::Duration::minutes(16));
    let found = tahsilat::services::attempts::reconcile(&app.state)
        .await
        .unwrap();
    assert_eq!(
        (found.asked, found.recorded, found.errors),
        (2, 1, 0),
        "{found:?}"
    );
    let (_, reconciled) = app
        .graphql(
            &team.viewer,
            STATE,
            json!({"invoice": lost_invoice, "link": lost_link}),
        )
        .await;
    assert_eq!(
        reconciled["data"],
        json!({
            "invoice": {"status": "PAID", "paidAmount": {"amount": "1250.50"}, "payments": [{"amount": {"amount": "1250.50"}, "charged": {"amount": "1313.03"}, "installmentCount": 6, "provider": "nestpay", "needsReview": false}]},
            "paymentLink": {"status": "PAID"}
        })
    );
    // The bank's callback arriving late is a repeat, and the job does not ask again.
    assert_eq!(
        post_back(&app, "callback", &answer(&lost_form, true)).await,
        (200, "Approved".to_owned())
    );
    app.clock.advance(chrono::Duration::minutes(16));
    let again = tahsilat::services::attempts::reconcile(&app.state)
        .await
        .unwrap();
    assert_eq!(again.recorded, 0, "{again:?}");
    let (_, lost_payments) = app
        .graphql(
            &team.viewer,
            "query($id: ID!) { invoice(id: $id) { payments { id } } }",
            json!({"id": lost_invoice}),
        )
        .await;
    assert_eq!(
        lost_payments["data"]["invoice"]["payments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // An attempt the bank never saw paid is given up after a day, without a payment.
    app.clock.advance(chrono::Duration::hours(25));
    let given_up = tahsilat::services::attempts::reconcile(&app.state)
        .await
        .unwrap();
    assert_eq!(
        (given_up.recorded, given_up.abandoned),
        (0, 1),
        "{given_up:?}"
    );
    assert_eq!(bank.lock().unwrap().refused_queries, 0);

    // A signed approval for an order we never made: kept as UNKNOWN_LINK for an ADMIN, who
    // assigns it to the customer's invoice.
    let (stray_invoice, _, stray_pay) = link_for(&app, &team, &customer, "INV-2024-0003").await;
    let _ = stray_pay;
    let mut stray_form = first_try.clone();
    stray_form
        .iter_mut()
        .find(|(name, _)| name == "oid")
        .unwrap()
        .1 = "ORDER-FROM-ELSEWHERE".into();
    assert_eq!(
        post_back(&app, "callback", &answer(&stray_form, true)).await,
        (200, "Approved".to_owned())
    );
    let events = "query($filter: ProviderEventFilter) { providerEvents(first: 10, filter: $filter) { totalCount edges { node { id provider outcome signatureOk charged { amount currency } transactionId body } } } }";
    let (_, listed) = app
        .graphql(
            &team.admin,
            events,
            json!({"filter": {"outcome": "UNKNOWN_LINK"}}),
        )
        .await;
    assert_eq!(
        listed["data"]["providerEvents"]["totalCount"], 1,
        "{listed}"
    );
    let stray = &listed["data"]["providerEvents"]["edges"][0]["node"];
    assert_eq!(
        (
            stray["provider"].as_str(),
            stray["signatureOk"].as_bool(),
            &stray["charged"]
        ),
        (
            Some("nestpay"),
            Some(true),
            &json!({"amount": "1250.50", "currency": "TRY"})
        )
    );
    let kept = stray["body"].as_str().unwrap();
    assert!(
        kept.contains("oid=ORDER-FROM-ELSEWHERE") && kept.contains("TransId="),
        "{kept}"
    );
    assert!(
        !kept.contains("MaskedPan") && !kept.contains("4358"),
        "no card details are kept: {kept}"
    );
    let (_, rejected) = app
        .graphql(
            &team.admin,
            events,
            json!({"filter": {"provider": "nestpay", "outcome": "REJECTED"}}),
        )
        .await;
    assert_eq!(
        rejected["data"]["providerEvents"]["totalCount"], 1,
        "the forged post is on the trail: {rejected}"
    );
    assert_eq!(
        rejected["data"]["providerEvents"]["edges"][0]["node"]["body"],
        Value::Null,
        "a refused body is never kept"
    );
    let (_, forbidden) = app.graphql(&team.manager, events, json!({})).await;
    assert_eq!(forbidden["errors"][0]["extensions"]["code"], "FORBIDDEN");

    let assign = "mutation($input: AssignProviderEventInput!) { assignProviderEvent(input: $input) { event { outcome assignedAt } payment { amount { amount } provider needsReview method } userErrors { field code } } }";
    let input =
        json!({"eventId": stray["id"], "customerId": customer, "invoiceIds": [stray_invoice]});
    let (_, by_manager) = app
        .graphql(&team.manager, assign, json!({"input": input}))
        .await;
    assert_eq!(by_manager["errors"][0]["extensions"]["code"], "FORBIDDEN");
    // Another organization's customer is not found, and nothing is recorded.
    let other = Team::new(&app, "other").await;
    let theirs = create_customer(&app, &other.manager, "Başka Müşteri").await;
    let wrong = mutate(
        &app,
        &team.admin,
        assign,
        json!({"eventId": stray["id"], "customerId": theirs, "invoiceIds": []}),
    )
    .await;
    assert_eq!(
        wrong["userErrors"],
        json!([{"field": ["input", "customerId"], "code": "NOT_FOUND"}])
    );
    let assigned = mutate(&app, &team.admin, assign, input.clone()).await;
    assert_eq!(assigned["userErrors"], json!([]), "{assigned}");
    assert_eq!(assigned["event"]["outcome"], "RECORDED");
    assert_eq!(
        assigned["payment"],
        json!({"amount": {"amount": "1250.50"}, "provider": "nestpay", "needsReview": false, "method": "CARD"})
    );
    let (_, stray_state) = app
        .graphql(
            &team.viewer,
            "query($id: ID!) { invoice(id: $id) { status } }",
            json!({"id": stray_invoice}),
        )
        .await;
    assert_eq!(stray_state["data"]["invoice"]["status"], "PAID");
    // Once assigned, it is that organization's alone, and cannot be assigned twice.
    let (_, theirs_now) = app
        .graphql(
            &other.admin,
            events,
            json!({"filter": {"outcome": "RECORDED"}}),
        )
        .await;
    assert_eq!(
        theirs_now["data"]["providerEvents"]["totalCount"], 0,
        "{theirs_now}"
    );
    let twice = mutate(
        &app,
        &other.admin,
        assign,
        json!({"eventId": stray["id"], "customerId": theirs, "invoiceIds": []}),
    )
    .await;
    assert_eq!(twice["userErrors"][0]["code"], "NOT_FOUND");
    let again = mutate(&app, &team.admin, assign, input).await;
    assert_eq!(again["userErrors"][0]["code"], "NOT_ASSIGNABLE");
    assert_eq!(bank.lock().unwrap().bad_hashes, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nestpay_form_callbacks_and_unknown_orders_sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nestpay_form_callbacks_and_unknown_orders_postgres() {
    scenario(Backend::Postgres).await;
}
