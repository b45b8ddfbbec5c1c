//! Installment tables per organization and provider: who may set them, what is refused, that
//! each organization's table is its own, a table whose interest the merchant bears (the provider's
//! commission recorded as `feeAmount`), and a pay page offering a second provider.

use serde_json::{Value, json};

use crate::callbacks::{SECRET, event, send};
use crate::collections::{Team, create_customer, create_invoice, mutate};
use crate::helpers::{Backend, TestApp, TestDatabase};
use crate::nestpay::{CLIENT_ID, STORE_KEY, answer};

const SET: &str = "mutation($input: SetInstallmentRatesInput!) { setInstallmentRates(input: $input) { installmentTable { provider payer custom offeredOnPayPage rates { count ratePercent } } userErrors { field code } } }";
const TABLES: &str =
    "{ installmentTables { provider payer custom offeredOnPayPage rates { count ratePercent } } }";

async fn spawn(backend: Backend, gateway: &str) -> Option<TestApp> {
    let database = TestDatabase::create(backend).await?;
    Some(
        TestApp::spawn_configured(
            database,
            &[
                ("TAHSILAT_SANDBOX_SECRET", SECRET),
                ("TAHSILAT_DEFAULT_PROVIDER", "sandbox"),
                ("TAHSILAT_NESTPAY_CLIENT_ID", CLIENT_ID),
                ("TAHSILAT_NESTPAY_STORE_KEY", STORE_KEY),
                ("TAHSILAT_NESTPAY_GATEWAY_URL", gateway),
                ("TAHSILAT_NESTPAY_NAME", "Örnek Bankası"),
                ("TAHSILAT_INSTALLMENT_RATES", "1:0,2:3,3:4"),
            ],
        )
        .await,
    )
}

fn table<'a>(tables: &'a Value, provider: &str) -> &'a Value {
    tables["data"]["installmentTables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|table| table["provider"] == provider)
        .unwrap()
}

async fn scenario(backend: Backend) {
    let (gateway, _bank) = crate::nestpay::stand_in().await;
    let Some(app) = spawn(backend, &gateway).await else {
        return;
    };
    let team = Team::new(&app, "acme").await;
    let other = Team::new(&app, "other").await;
    let merchant = json!({"provider": "sandbox", "payer": "MERCHANT", "rates": [{"count": 1, "ratePercent": "0"}, {"count": 3, "ratePercent": "10"}]});

    // Only an ADMIN sets a table.
    for token in [&team.manager, &team.collector, &team.viewer] {
        let (_, body) = app.graphql(token, SET, json!({"input": merchant})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body}"
        );
    }
    // Refused tables change nothing.
    let refused = [
        (
            json!({"provider": "sandbox", "payer": "CUSTOMER", "rates": []}),
            json!(["input", "rates"]),
            "REQUIRED",
        ),
        (
            json!({"provider": "sandbox", "payer": "CUSTOMER", "rates": [{"count": 1, "ratePercent": "0"}, {"count": 13, "ratePercent": "5"}]}),
            json!(["input", "rates", "1", "count"]),
            "OUT_OF_RANGE",
        ),
        (
            json!({"provider": "sandbox", "payer": "CUSTOMER", "rates": [{"count": 1, "ratePercent": "0"}, {"count": 0, "ratePercent": "5"}]}),
            json!(["input", "rates", "1", "count"]),
            "OUT_OF_RANGE",
        ),
        (
            json!({"provider": "sandbox", "payer": "CUSTOMER", "rates": [{"count": 1, "ratePercent": "0"}, {"count": 2, "ratePercent": "101"}]}),
            json!(["input", "rates", "1", "ratePercent"]),
            "OUT_OF_RANGE",
        ),
        (
            json!({"provider": "sandbox", "payer": "CUSTOMER", "rates": [{"count": 1, "ratePercent": "-1"}]}),
            json!(["input", "rates", "0", "ratePercent"]),
            "OUT_OF_RANGE",
        ),
        (
            json!({"provider": "sandbox", "payer": "CUSTOMER", "rates": [{"count": 1, "ratePercent": "1.234"}]}),
            json!(["input", "rates", "0", "ratePercent"]),
            "OUT_OF_RANGE",
        ),
        (
            json!({"provider": "sandbox", "payer": "CUSTOMER", "rates": [{"count": 1, "ratePercent": "0"}, {"count": 1, "ratePercent": "2"}]}),
            json!(["input", "rates", "1", "count"]),
            "DUPLICATE",
        ),
        (
            json!({"provider": "sandbox", "payer": "CUSTOMER", "rates": [{"count": 2, "ratePercent": "3"}]}),
            json!(["input", "rates"]),
            "SINGLE_PAYMENT_REQUIRED",
        ),
        (
            json!({"provider": "paytr", "payer": "CUSTOMER", "rates": [{"count": 1, "ratePercent": "0"}]}),
            json!(["input", "provider"]),
            "PROVIDER_UNAVAILABLE",
        ),
    ];
    for (input, field, code) in refused {
        let payload = mutate(&app, &team.admin, SET, input.clone()).await;
        assert_eq!(payload["installmentTable"], Value::Null, "{input}");
        assert_eq!(
            payload["userErrors"][0]["field"], field,
            "{input}: {payload}"
        );
        assert_eq!(payload["userErrors"][0]["code"], code, "{input}: {payload}");
    }
    let (_, tables) = app.graphql(&team.manager, TABLES, json!({})).await;
    assert_eq!(
        table(&tables, "sandbox"),
        &json!({"provider": "sandbox", "payer": "CUSTOMER", "custom": false, "offeredOnPayPage": false, "rates": [{"count": 1, "ratePercent": "0"}, {"count": 2, "ratePercent": "3"}, {"count": 3, "ratePercent": "4"}]})
    );
    let (_, viewer_tables) = app.graphql(&team.viewer, TABLES, json!({})).await;
    assert_eq!(
        viewer_tables["errors"][0]["extensions"]["code"],
        "FORBIDDEN"
    );

    // The merchant bears the interest: the customer pays 1,000.00 in 1 or 3.
    let set = mutate(&app, &team.admin, SET, merchant).await;
    assert_eq!(set["userErrors"], json!([]), "{set}");
    assert_eq!(set["installmentTable"]["payer"], "MERCHANT");
    // Another organization's table is its own.
    let (_, theirs) = app.graphql(&other.manager, TABLES, json!({})).await;
    assert_eq!(table(&theirs, "sandbox")["custom"], false);

    let customer = create_customer(&app, &team.manager, "Borçlu A.Ş.").await;
    let invoice = create_invoice(
        &app,
        &team.manager,
        &customer,
        "INV-1",
        "1000.00",
        "2026-11-13",
    )
    .await;
    let created = mutate(&app, &team.collector, "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id providerLinkId url installmentOptions { count total { amount } } } userErrors { code } } }", json!({"invoiceIds": [invoice], "maxInstallments": 3})).await;
    let link = &created["paymentLink"];
    assert_eq!(
        link["installmentOptions"],
        json!([{"count": 1, "total": {"amount": "1000.00"}}, {"count": 3, "total": {"amount": "1000.00"}}])
    );
    let (status, _) = send(
        &app,
        event(
            "evt-merchant",
            "payment.succeeded",
            link["providerLinkId"].as_str().unwrap(),
            "1000.00",
            3,
        ),
    )
    .await;
    assert_eq!(status, 200);
    let (_, paid) = app.graphql(&team.viewer, "query($id: ID!) { paymentLink(id: $id) { status payment { amount { amount } charged { amount } feeAmount { amount currency } installmentCount needsReview } } }", json!({"id": link["id"]})).await;
    assert_eq!(
        paid["data"]["paymentLink"],
        json!({"status": "PAID", "payment": {"amount": {"amount": "1000.00"}, "charged": {"amount": "1000.00"}, "feeAmount": {"amount": "100.00", "currency": "TRY"}, "installmentCount": 3, "needsReview": false}})
    );

    // A second provider offered on the pay page: the bank at 5 % for 6, the customer paying.
    let bank_table = mutate(&app, &team.admin, SET, json!({"provider": "nestpay", "payer": "CUSTOMER", "offerOnPayPage": true, "rates": [{"count": 1, "ratePercent": "0"}, {"count": 6, "ratePercent": "5"}]})).await;
    assert_eq!(
        bank_table["installmentTable"]["offeredOnPayPage"], true,
        "{bank_table}"
    );
    let second = create_invoice(
        &app,
        &team.manager,
        &customer,
        "INV-2",
        "1000.00",
        "2026-11-13",
    )
    .await;
    let created = mutate(&app, &team.collector, "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id url } userErrors { code } } }", json!({"invoiceIds": [second], "maxInstallments": 6})).await;
    let url = created["paymentLink"]["url"].as_str().unwrap().to_owned();
    let page = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-provider=\"sandbox\"")
            && page.contains("data-provider=\"nestpay\"")
            && page.contains("Örnek Bankası"),
        "{page}"
    );
    let no_redirects = crate::helpers::no_redirects();
    let chosen = no_redirects
        .post(&url)
        .form(&[("installments", "6"), ("provider", "nestpay")])
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status().as_u16(), 200);
    let form_page = chosen.text().await.unwrap();
    let fields: Vec<(String, String)> = form_page
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
            (name.to_owned(), value.replace("&amp;", "&"))
        })
        .collect();
    let amount = fields
        .iter()
        .find(|(name, _)| name == "amount")
        .unwrap()
        .1
        .clone();
    assert_eq!(amount, "1050.00");
    let back = no_redirects
        .post(app.url("/callbacks/nestpay/callback"))
        .form(&answer(&fields, true))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status().as_u16(), 200);
    let (_, paid) = app.graphql(&team.viewer, "query($id: ID!) { invoice(id: $id) { status payments { charged { amount } provider installmentCount feeAmount { amount } } } }", json!({"id": second})).await;
    assert_eq!(
        paid["data"]["invoice"],
        json!({"status": "PAID", "payments": [{"charged": {"amount": "1050.00"}, "provider": "nestpay", "installmentCount": 6, "feeAmount": null}]})
    );
    // A choice the page did not offer (a provider not on it) goes back to the page.
    let third = create_invoice(
        &app,
        &team.manager,
        &customer,
        "INV-3",
        "10.00",
        "2026-11-13",
    )
    .await;
    let created = mutate(&app, &team.collector, "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { url } userErrors { code } } }", json!({"invoiceIds": [third]})).await;
    let third_url = created["paymentLink"]["url"].as_str().unwrap().to_owned();
    let refused = no_redirects
        .post(&third_url)
        .form(&[("installments", "1"), ("provider", "paytr")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 303);

    // Events with their payments, links with their installment tables: as many statements for
    // one row as for three.
    let query = "query($first: Int) { providerEvents(first: $first) { edges { node { provider payment { amount { amount } } } } } paymentLinks(first: $first) { edges { node { installmentOptions { count } } } } }";
    let (one, _) = app
        .statements_for(&team.admin, query, json!({"first": 1}))
        .await;
    let (three, body) = app
        .statements_for(&team.admin, query, json!({"first": 3}))
        .await;
    assert_eq!(one, three, "{body}");
    let events = body["data"]["providerEvents"]["edges"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{body}");
    assert!(
        events
            .iter()
            .all(|event| event["node"]["payment"]["amount"]["amount"].is_string()),
        "{body}"
    );
    assert_eq!(
        body["data"]["paymentLinks"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // The other organization's pay page offers only its link's provider.
    let theirs_customer = create_customer(&app, &other.manager, "Başka A.Ş.").await;
    let theirs_invoice = create_invoice(
        &app,
        &other.manager,
        &theirs_customer,
        "O-1",
        "10.00",
        "2026-11-13",
    )
    .await;
    let created = mutate(&app, &other.collector, "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { url } userErrors { code } } }", json!({"invoiceIds": [theirs_invoice]})).await;
    let page = app
        .client
        .get(created["paymentLink"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-provider=\"sandbox\"") && !page.contains("data-provider=\"nestpay\""),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installment_tables_fees_and_a_second_provider_sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installment_tables_fees_and_a_second_provider_postgres() {
    scenario(Backend::Postgres).await;
}
