//! Attacks found against the running server, each reproduced here first: deeply nested input,
//! oversized and malformed values, and whatever else must never crash, leak or change anything.

use serde_json::{Value, json};

use crate::collections::Team;
use crate::helpers::TestApp;

fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

/// `[[[…"x"…]]]` or `{a:{a:…"x"…}}`, `depth` levels deep, as GraphQL argument text.
fn nested_literal(depth: usize, object: bool) -> String {
    let (open, close) = if object { ("{a:", "}") } else { ("[", "]") };
    format!("{}\"x\"{}", open.repeat(depth), close.repeat(depth))
}

/// The same as JSON, for a variable.
fn nested_json(depth: usize, object: bool) -> String {
    let (open, close) = if object { ("{\"a\":", "}") } else { ("[", "]") };
    format!("{}\"x\"{}", open.repeat(depth), close.repeat(depth))
}

/// The server still answers a plain query after the attack.
async fn still_serving(app: &TestApp, token: &str) {
    let (status, body) = app.graphql(token, "{ viewer { email } }", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["viewer"]["email"].is_string(), "{body}");
}

on_both_databases! {
    async fn deeply_nested_arguments_are_refused_without_crashing(app) {
        let team = Team::new(&app, "acme").await;
        for depth in [2_000, 5_000] {
            for object in [false, true] {
                let query = format!(
                    "{{ customers(filter: {{search: {}}}) {{ totalCount }} }}",
                    nested_literal(depth, object)
                );
                let (status, body) = app.graphql(&team.viewer, &query, json!({})).await;
                assert_eq!(status, 400, "{body}");
                assert_eq!(first_code(&body), "BAD_REQUEST", "{body}");
                assert!(body["errors"][0]["message"].as_str().unwrap().contains("nested"), "{body}");
                still_serving(&app, &team.viewer).await;

                // The same shape in a variable.
                let body_text = format!(
                    "{{\"query\": \"query($f: CustomerFilter) {{ customers(filter: $f) {{ totalCount }} }}\", \"variables\": {{\"f\": {{\"search\": {}}}}}}}",
                    nested_json(depth, object)
                );
                let response = app
                    .client
                    .post(app.url("/graphql"))
                    .bearer_auth(&team.viewer)
                    .header("content-type", "application/json")
                    .body(body_text)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 400);
                let body: Value = response.json().await.unwrap();
                assert_eq!(first_code(&body), "BAD_REQUEST", "{body}");
                still_serving(&app, &team.viewer).await;
            }
        }
        // Variables nested within the JSON parser's limit but past ours are refused too.
        let variables: Value = serde_json::from_str(&format!("{{\"f\": {{\"search\": {}}}}}", nested_json(100, false))).unwrap();
        let (status, body) = app
            .graphql(&team.viewer, "query($f: CustomerFilter) { customers(filter: $f) { totalCount } }", variables)
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("nested"), "{body}");
        // Brackets inside strings and comments do not count.
        let text = format!("{{ customers(filter: {{search: \"{}\"}}) {{ totalCount }} }} # {}", "[".repeat(150), "{".repeat(500));
        let (status, body) = app.graphql(&team.viewer, &text, json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["customers"]["totalCount"], 0, "{body}");
    }
}

use crate::callbacks::{INVOICE, LINK, LINK_STATE, bank, event, link, post, send};
use crate::collections::{create_customer, create_invoice, mutate};
use crate::helpers::{Backend, TestDatabase};
use tahsilat::clock::Clock as _;

const RECORD_PAYMENT: &str = "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id } userErrors { code message } } }";
const VOID: &str = "mutation($input: VoidInvoiceInput!) { voidInvoice(input: $input) { invoice { status } userErrors { code } } }";
const LINK_AMOUNT: &str =
    "query($id: ID!) { paymentLink(id: $id) { status amount { amount } url } }";

async fn link_state(app: &TestApp, team: &Team, id: &str) -> Value {
    let (_, body) = app
        .graphql(&team.viewer, LINK_STATE, json!({"id": id}))
        .await;
    body["data"]["paymentLink"].clone()
}

async fn pay_page(app: &TestApp, url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = app.client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

async fn one_invoice_customer(app: &TestApp, team: &Team, total: &str) -> (String, String) {
    let customer = create_customer(app, &team.manager, "Çift Ödeme A.Ş.").await;
    let invoice = create_invoice(app, &team.manager, &customer, "D-1", total, "2026-11-01").await;
    (customer, invoice)
}

on_both_databases! {
    with crate::callbacks::spawn;
    async fn a_link_never_takes_what_was_paid_another_way(app) {
        let team = Team::new(&app, "acme").await;
        let (customer, invoice) = one_invoice_customer(&app, &team, "100.00").await;
        let (link_id, provider_link) = link(&app, &team, json!({"invoiceIds": [invoice]})).await;
        let (_, body) = app.graphql(&team.viewer, LINK_AMOUNT, json!({"id": link_id})).await;
        let url = body["data"]["paymentLink"]["url"].as_str().unwrap().to_owned();

        // Paid by bank transfer: the link is cancelled, and its page says so.
        let paid = mutate(&app, &team.collector, RECORD_PAYMENT, json!({
            "customerId": customer, "amount": "100.00", "currency": "TRY", "method": "BANK_TRANSFER"
        })).await;
        assert_eq!(paid["userErrors"], json!([]), "{paid}");
        assert_eq!(link_state(&app, &team, &link_id).await["status"], "CANCELLED");
        let (status, _, page) = pay_page(&app, &url).await;
        assert_eq!(status, 200);
        assert!(page.contains("data-status=\"CANCELLED\""), "{page}");
        let (_, log) = app.graphql(&team.viewer, "{ activities(first: 5, filter: {kinds: [PAYMENT_LINK_CANCELLED]}) { totalCount edges { node { actor { email } } } } }", json!({})).await;
        assert_eq!(log["data"]["activities"]["totalCount"], 1, "{log}");

        // Had the bank page been paid anyway, the money is recorded and flagged, not lost.
        let (status, _) = send(&app, event("evt-late", "payment.succeeded", &provider_link, "100.00", 1)).await;
        assert_eq!(status, 200);
        let state = link_state(&app, &team, &link_id).await;
        assert_eq!(state["status"], "CANCELLED", "{state}");
        let (_, payments) = app.graphql(&team.viewer, "{ payments(first: 10, filter: {needsReview: true}) { totalCount edges { node { reviewReason unappliedAmount { amount } } } } }", json!({})).await;
        assert_eq!(payments["data"]["payments"]["totalCount"], 1, "{payments}");
        let reason = payments["data"]["payments"]["edges"][0]["node"]["reviewReason"].as_str().unwrap();
        assert!(reason.contains("cancelled") && reason.contains("unapplied"), "{reason}");
        assert_eq!(payments["data"]["payments"]["edges"][0]["node"]["unappliedAmount"]["amount"], "100.00");

        // Voiding an invoice withdraws its link too.
        let other = create_invoice(&app, &team.manager, &customer, "D-2", "50.00", "2026-11-02").await;
        let (second, _) = link(&app, &team, json!({"invoiceIds": [other]})).await;
        let voided = mutate(&app, &team.manager, VOID, json!({"id": other, "reason": "hatalı"})).await;
        assert_eq!(voided["userErrors"], json!([]), "{voided}");
        assert_eq!(link_state(&app, &team, &second).await["status"], "CANCELLED");
    }

    async fn a_partly_paid_link_asks_only_what_is_owed_now(app) {
        let team = Team::new(&app, "acme").await;
        let (customer, invoice) = one_invoice_customer(&app, &team, "1000.00").await;
        let (link_id, _) = link(&app, &team, json!({"invoiceIds": [invoice], "maxInstallments": 3})).await;
        let paid = mutate(&app, &team.collector, RECORD_PAYMENT, json!({
            "customerId": customer, "amount": "400.00", "currency": "TRY", "method": "CASH"
        })).await;
        assert_eq!(paid["userErrors"], json!([]), "{paid}");
        let (_, body) = app.graphql(&team.viewer, LINK_AMOUNT, json!({"id": link_id})).await;
        let now = &body["data"]["paymentLink"];
        assert_eq!(now["status"], "ACTIVE", "{body}");
        assert_eq!(now["amount"]["amount"], "600.00", "{body}");
        let url = now["url"].as_str().unwrap().to_owned();
        let (_, _, page) = pay_page(&app, &url).await;
        assert!(page.contains("600,00 TL") && !page.contains("1.000,00 TL"), "{page}");

        // The customer chooses 3 installments: a new page at the bank, priced on 600.00.
        let no_redirects = crate::helpers::no_redirects();
        let chosen = no_redirects.post(&url).form(&[("installments", "3")]).send().await.unwrap();
        assert_eq!(chosen.status(), 303);
        let checkout = chosen.headers()["location"].to_str().unwrap().to_owned();
        assert!(checkout.contains("/sandbox/checkout/") && checkout.ends_with("installments=3"), "{checkout}");
        let (_, _, bank_page) = pay_page(&app, &checkout).await;
        assert!(bank_page.contains("624,00 TL"), "600.00 at 4 %: {bank_page}");
        let approved = app.client.post(&checkout).form(&[("action", "approve"), ("installments", "3")]).send().await.unwrap();
        assert_eq!(approved.status(), 200);
        let state = link_state(&app, &team, &link_id).await;
        assert_eq!(state["status"], "PAID", "{state}");
        assert_eq!(state["payment"]["needsReview"], false, "{state}");
        assert_eq!(state["payment"]["charged"]["amount"], "624.00");
        let (_, body) = app.graphql(&team.viewer, INVOICE, json!({"id": invoice})).await;
        assert_eq!(body["data"]["invoice"]["status"], "PAID", "{body}");
        assert_eq!(body["data"]["invoice"]["paidAmount"]["amount"], "1000.00", "{body}");
    }

    async fn odd_callback_values_are_reviewed_and_never_pay_the_link(app) {
        let team = Team::new(&app, "acme").await;
        let customer = create_customer(&app, &team.manager, "Tuhaf Banka A.Ş.").await;
        // (reported amount, count, link maximum, link is paid after?, words in the reason). A
        // link is paid exactly when its amount arrived, whatever else is odd about the report.
        let cases: [(&str, u32, u32, bool, &str); 8] = [
            ("0.00", 1, 1, false, "charge of 0.00"),
            ("-1000.00", 1, 1, false, "charge of -1000.00"),
            ("1000.00", 4_294_967_295, 1, true, "4294967295 installments"),
            ("1000.00", 0, 1, true, "0 installments"),
            ("1130.00", 13, 12, true, "13 installments"),
            ("999.99", 1, 1, false, "charged 999.99"),
            ("1100.00", 1, 1, true, "1000.00"),
            ("1030.00", 6, 6, true, "1070.00"),
        ];
        for (index, (amount, count, max, paid, words)) in cases.into_iter().enumerate() {
            let invoice = create_invoice(&app, &team.manager, &customer, &format!("T-{index}"), "1000.00", "2026-11-01").await;
            let (link_id, provider_link) = link(&app, &team, json!({"invoiceIds": [invoice], "maxInstallments": max})).await;
            let (status, _) = send(&app, event(&format!("evt-odd-{index}"), "payment.succeeded", &provider_link, amount, count)).await;
            assert_eq!(status, 200, "{amount} × {count}");
            let state = link_state(&app, &team, &link_id).await;
            assert_eq!(state["status"], if paid { "PAID" } else { "ACTIVE" }, "{amount} × {count}: {state}");
            let payment = &state["payment"];
            if paid {
                assert_eq!(payment["needsReview"], true, "{state}");
                assert!(payment["reviewReason"].as_str().unwrap().contains(words), "{state}");
                assert!((0..=12).contains(&payment["installmentCount"].as_i64().unwrap()));
            }
            // Either way, one payment row marked for review with the reason.
            let (_, found) = app.graphql(&team.viewer, "{ payments(first: 50, filter: {needsReview: true}) { edges { node { providerTransactionId reviewReason installmentCount amount { amount } } } } }", json!({})).await;
            let row = found["data"]["payments"]["edges"].as_array().unwrap().iter()
                .find(|edge| edge["node"]["providerTransactionId"] == format!("txn-evt-odd-{index}"))
                .unwrap_or_else(|| panic!("no reviewed payment for {amount} × {count}: {found}"));
            assert!(row["node"]["reviewReason"].as_str().unwrap().contains(words), "{row}");
            let stored = row["node"]["installmentCount"].as_i64().unwrap();
            assert!((0..=12).contains(&stored), "{amount} × {count} stored {stored}");
        }
        // An amount that is not money at all is malformed: 400, nothing recorded.
        let invoice = create_invoice(&app, &team.manager, &customer, "T-big", "1000.00", "2026-11-01").await;
        let (link_id, provider_link) = link(&app, &team, json!({"invoiceIds": [invoice]})).await;
        for (index, amount) in ["79228162514264337593543950335", "100000000000000000000", "10.005", "1e3"].into_iter().enumerate() {
            let (status, _) = send(&app, event(&format!("evt-huge-{index}"), "payment.succeeded", &provider_link, amount, 1)).await;
            assert_eq!(status, 400, "{amount}");
        }
        assert_eq!(link_state(&app, &team, &link_id).await["status"], "ACTIVE");
        still_serving(&app, &team.viewer).await;
    }

    async fn refused_callbacks_keep_metadata_only_and_floods_are_throttled(app) {
        use sea_orm::{EntityTrait as _, QueryFilter as _, ColumnTrait as _};
        use tahsilat::entities::provider_event;
        // A signed body that is not an event answers 400, not 401.
        let (status, _) = send(&app, b"{\"id\": 1}".to_vec()).await;
        assert_eq!(status, 400);
        let body = event("evt-forged", "payment.succeeded", "sbx_nothing", "1.00", 1);
        let forged = bank("guessed").sign(app.clock.now().timestamp(), &body);
        let mut statuses = Vec::new();
        for _ in 0..80 {
            statuses.push(post(&app, &forged, body.clone()).await.0);
        }
        assert_eq!(statuses[0], 401);
        assert!(statuses.contains(&429), "{statuses:?}");
        let kept = provider_event::Entity::find()
            .filter(provider_event::Column::SignatureOk.eq(false))
            .all(app.state.db.reader())
            .await
            .unwrap();
        assert!(!kept.is_empty() && kept.len() < 80, "{} kept", kept.len());
        for row in &kept {
            assert_eq!(row.raw_body, "");
            assert_eq!(row.body_size, Some(body.len() as i64));
            assert_eq!(row.body_sha256.as_deref().map(str::len), Some(64));
            assert_eq!(row.source_address.as_deref(), Some("127.0.0.1"));
            assert!(row.reason.is_some(), "{row:?}");
        }
        // A body past 64 KiB is not read at all.
        let large = vec![b'x'; 70 * 1024];
        assert_eq!(post(&app, &forged, large).await.0, 413);
    }

    async fn pay_pages_carry_strict_headers(app) {
        let team = Team::new(&app, "acme").await;
        let (_, invoice) = one_invoice_customer(&app, &team, "100.00").await;
        let (link_id, provider_link) = link(&app, &team, json!({"invoiceIds": [invoice]})).await;
        let (_, body) = app.graphql(&team.viewer, LINK_AMOUNT, json!({"id": link_id})).await;
        let url = body["data"]["paymentLink"]["url"].as_str().unwrap().to_owned();
        for address in [url.clone(), app.url(&format!("/sandbox/checkout/{provider_link}")), app.url("/pay/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] {
            let (_, headers, page) = pay_page(&app, &address).await;
            let policy = headers["content-security-policy"].to_str().unwrap();
            for part in ["default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "style-src 'sha256-"] {
                assert!(policy.contains(part), "{address}: {policy}");
            }
            assert!(!policy.contains("script-src"), "{policy}");
            assert_eq!(headers["referrer-policy"], "no-referrer");
            assert_eq!(headers["cache-control"], "no-store");
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert!(!page.contains("<script"), "{page}");
        }
        let (_, _, bank_page) = pay_page(&app, &app.url(&format!("/sandbox/checkout/{provider_link}"))).await;
        assert!(bank_page.contains("TEST"), "{bank_page}");
        let (_, _, page) = pay_page(&app, &url).await;
        assert!(page.contains("TEST"), "the pay page says the sandbox is a test: {page}");
    }

    async fn money_past_the_cap_is_refused_and_sums_never_overflow(app) {
        let team = Team::new(&app, "acme").await;
        let customer = create_customer(&app, &team.manager, "Büyük A.Ş.").await;
        let create = "mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { invoice { id } userErrors { code field } } }";
        for total in ["92233720368547758.07", "10000000000000.01"] {
            let payload = mutate(&app, &team.manager, create, json!({"customerId": customer, "number": format!("X-{total}"), "issueDate": "2026-10-01", "currency": "TRY", "total": total})).await;
            assert_eq!(payload["userErrors"][0]["code"], "OUT_OF_RANGE", "{payload}");
        }
        // Two invoices at the cap: the balance adds up exactly, and no link can ask for both.
        let mut ids = Vec::new();
        for number in ["CAP-1", "CAP-2"] {
            ids.push(create_invoice(&app, &team.manager, &customer, number, "10000000000000.00", "2026-11-01").await);
        }
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { customer(id: $id) { openBalance { amount currency } } }", json!({"id": customer})).await;
        assert_eq!(body["data"]["customer"]["openBalance"], json!([{"amount": "20000000000000.00", "currency": "TRY"}]), "{body}");
        let payload = mutate(&app, &team.collector, LINK, json!({"invoiceIds": ids, "maxInstallments": 12})).await;
        assert_eq!(payload["userErrors"][0]["code"], "OUT_OF_RANGE", "{payload}");
        // One at the cap with 12 installments is fine, and its page shows.
        let (link_id, _) = link(&app, &team, json!({"invoiceIds": [ids[0]], "maxInstallments": 12})).await;
        let (_, body) = app.graphql(&team.viewer, LINK_AMOUNT, json!({"id": link_id})).await;
        let (status, _, _) = pay_page(&app, body["data"]["paymentLink"]["url"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        let payment = mutate(&app, &team.collector, RECORD_PAYMENT, json!({"customerId": customer, "amount": "99999999999999999999", "currency": "TRY", "method": "CASH"})).await;
        assert_eq!(payment["userErrors"][0]["code"], "OUT_OF_RANGE", "{payment}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_is_off_unless_asked_for() {
    let database = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let app = TestApp::spawn_configured(database, &[("TAHSILAT_SANDBOX", "off")]).await;
    assert!(!app.state.config.sandbox_enabled);
    let team = Team::new(&app, "acme").await;
    let (_, invoice) = one_invoice_customer(&app, &team, "100.00").await;
    let payload = mutate(
        &app,
        &team.collector,
        LINK,
        json!({"invoiceIds": [invoice]}),
    )
    .await;
    assert_eq!(
        payload["userErrors"][0]["code"], "PROVIDER_UNAVAILABLE",
        "{payload}"
    );
    let checkout = app
        .client
        .get(app.url("/sandbox/checkout/sbx_x"))
        .send()
        .await
        .unwrap();
    assert_eq!(checkout.status(), 404);
    let body = event("evt-1", "payment.succeeded", "sbx_x", "1.00", 1);
    let (status, _) = post(&app, "t=1,v1=00", body).await;
    assert_eq!(status, 404);

    // With no setting at all, the configuration keeps it off too.
    let config = tahsilat::config::Config::from_lookup(|_| None).unwrap();
    assert!(!config.sandbox_enabled);
}

on_both_databases! {
    with crate::callbacks::spawn;
    async fn sandbox_payments_say_they_are_tests(app) {
        let team = Team::new(&app, "acme").await;
        let (_, invoice) = one_invoice_customer(&app, &team, "100.00").await;
        let (link_id, provider_link) = link(&app, &team, json!({"invoiceIds": [invoice]})).await;
        let (status, _) = send(&app, event("evt-t", "payment.succeeded", &provider_link, "100.00", 1)).await;
        assert_eq!(status, 200);
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { paymentLink(id: $id) { payment { test } } }", json!({"id": link_id})).await;
        assert_eq!(body["data"]["paymentLink"]["payment"]["test"], true, "{body}");
    }

    async fn suggestions_metrics_and_graphiql_work_offline(app) {
        let team = Team::new(&app, "acme").await;
        let (_, body) = app.graphql(&team.viewer, "{ viewer { emai } }", json!({})).await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("Did you mean"), "suggestions stay on with introspection: {body}");

        let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(metrics.status(), 200);
        let text = metrics.text().await.unwrap();
        for name in ["tahsilat_http_requests_total", "tahsilat_http_request_duration_seconds_bucket", "tahsilat_graphql_operations_total", "tahsilat_outbox_depth", "tahsilat_db_pool_connections"] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
        assert!(text.contains("route=\"/graphql\""), "{text}");

        let page = app.client.get(app.url("/graphql")).send().await.unwrap().text().await.unwrap();
        for cdn in ["unpkg", "jsdelivr", "cdn.", "https://"] {
            assert!(!page.contains(cdn), "{cdn} in {page}");
        }
        for asset in ["graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js", "init.js"] {
            let response = app.client.get(app.url(&format!("/graphql/assets/{asset}"))).send().await.unwrap();
            assert_eq!(response.status(), 200, "{asset}");
            assert!(page.contains(asset), "{asset}");
            assert!(response.bytes().await.unwrap().len() > 100, "{asset}");
        }
        assert_eq!(app.client.get(app.url("/graphql/assets/../Cargo.toml")).send().await.unwrap().status(), 404);
        // Browsers refuse header values outside ISO-8859-1, so the placeholder must be ASCII.
        let init = app.client.get(app.url("/graphql/assets/init.js")).send().await.unwrap().text().await.unwrap();
        assert!(init.is_ascii(), "{init}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_introspection_no_field_names_are_suggested() {
    let database = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let app =
        TestApp::spawn_configured(database, &[("TAHSILAT_GRAPHQL_INTROSPECTION", "false")]).await;
    let team = Team::new(&app, "acme").await;
    let (_, body) = app
        .graphql(&team.viewer, "{ viewer { emai } }", json!({}))
        .await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.contains("Did you mean") && !message.contains("email"),
        "{message}"
    );
}

on_both_databases! {
    async fn control_characters_long_searches_bad_cursors_and_far_dates_are_refused(app) {
        let team = Team::new(&app, "acme").await;
        let create = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { code field } } }";
        for name in ["Sahte\u{0}A.Ş.", "Kırmızı\u{1b}[31m", "İki\nsatır"] {
            let payload = mutate(&app, &team.manager, create, json!({"name": name})).await;
            assert_eq!(payload["userErrors"][0]["code"], "INVALID_TEXT", "{name:?}: {payload}");
        }
        let customer = create_customer(&app, &team.manager, "Gerçek A.Ş.").await;
        let log = "mutation($input: LogActivityInput!) { logActivity(input: $input) { activity { note } userErrors { code } } }";
        let payload = mutate(&app, &team.collector, log, json!({"kind": "NOTE", "customerId": customer, "note": "Aradım.\n\tYarın ödeyecek."})).await;
        assert_eq!(payload["userErrors"], json!([]), "notes keep their lines: {payload}");
        let payload = mutate(&app, &team.collector, log, json!({"kind": "NOTE", "customerId": customer, "note": "gizli\u{0}"})).await;
        assert_eq!(payload["userErrors"][0]["code"], "INVALID_TEXT", "{payload}");

        let search = "query($s: String) { customers(filter: {search: $s}) { totalCount } }";
        for bad in ["\u{0}".to_owned(), "x".repeat(50_000), "a".repeat(201)] {
            let (status, body) = app.graphql(&team.viewer, search, json!({"s": bad})).await;
            assert_eq!(status, 200);
            assert_eq!(first_code(&body), "BAD_REQUEST", "{body}");
        }
        let (_, body) = app.graphql(&team.viewer, search, json!({"s": "Gerçek"})).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 1, "{body}");

        use base64::Engine as _;
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("a\u{0}b\u{1f}{}", uuid::Uuid::nil()));
        for list in ["customers", "invoices", "activities", "payments", "paymentLinks"] {
            for after in [cursor.as_str(), "not a cursor", "%%%"] {
                let (_, body) = app.graphql(&team.viewer, &format!("query($a: String) {{ {list}(after: $a) {{ totalCount }} }}"), json!({"a": after})).await;
                assert_eq!(first_code(&body), "BAD_REQUEST", "{list} {after}: {body}");
            }
        }

        let invoice = "mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { invoice { dueDate } userErrors { code field } } }";
        // A due date past 9999-12-31 derived from the terms is refused, like one given.
        let payload = mutate(&app, &team.manager, invoice, json!({"customerId": customer, "number": "F-1", "issueDate": "9999-12-31", "currency": "TRY", "total": "1.00"})).await;
        assert_eq!(payload["userErrors"][0]["code"], "OUT_OF_RANGE", "{payload}");
        for date in ["0000-01-01", "1899-12-31", "+10000-01-30", "99999-01-01"] {
            let (status, body) = app.graphql(&team.manager, invoice, json!({"input": {"customerId": customer, "number": "F-2", "issueDate": date, "currency": "TRY", "total": "1.00"}})).await;
            assert_eq!(status, 200);
            assert!(body["data"].is_null(), "{date}: {body}");
            assert!(body["errors"][0]["message"].as_str().unwrap().contains("1900-01-01"), "{date}: {body}");
        }
        let payload = mutate(&app, &team.manager, invoice, json!({"customerId": customer, "number": "F-3", "issueDate": "1900-01-01", "dueDate": "9999-12-31", "currency": "TRY", "total": "1.00"})).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_ask_for_https_only_when_served_over_https() {
    for (public_url, hsts) in [("https://odeme.example.com.tr", true), ("", false)] {
        let database = TestDatabase::create(Backend::Sqlite).await.unwrap();
        let settings: Vec<(&str, &str)> = if public_url.is_empty() {
            Vec::new()
        } else {
            vec![("TAHSILAT_PUBLIC_URL", public_url)]
        };
        let app = TestApp::spawn_configured(database, &settings).await;
        let (status, headers, _) =
            pay_page(&app, &app.url("/pay/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).await;
        assert_eq!(status, 404);
        assert_eq!(
            headers.contains_key("strict-transport-security"),
            hsts,
            "{public_url:?}"
        );
    }
}
