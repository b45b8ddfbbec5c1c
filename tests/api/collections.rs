//! The collector's day through the GraphQL API: customers, invoices, payments and the activity log.

use serde_json::{Value, json};
use tahsilat::domain::role::Role;

use crate::helpers::TestApp;

pub const CREATE_CUSTOMER: &str = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id name paymentTermsDays } userErrors { field code message } } }";
const ADD_CONTACT: &str = "mutation($input: AddContactInput!) { addContact(input: $input) { contact { id name isPrimary } userErrors { field code message } } }";
const CREATE_INVOICE: &str = "mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { invoice { id number status dueDate daysOverdue total { amount currency } balance { amount currency } } userErrors { field code message } } }";
const RECORD_PAYMENT: &str = "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id amount { amount currency } unappliedAmount { amount } allocations { invoice { number status } amount { amount } } } userErrors { field code message } } }";
const LOG_ACTIVITY: &str = "mutation($input: LogActivityInput!) { logActivity(input: $input) { activity { id kind note data actorLabel } userErrors { field code message } } }";
const INVOICE: &str = "query($id: ID!) { invoice(id: $id) { number status disputed daysOverdue balance { amount } paidAmount { amount } payments { amount { amount } } } }";

/// Tokens for one organization's people.
pub struct Team {
    pub admin: String,
    pub manager: String,
    pub collector: String,
    pub viewer: String,
}

impl Team {
    pub async fn new(app: &TestApp, organization: &str) -> Team {
        let domain: String = organization
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase();
        let email = |who: &str| format!("{who}@{domain}.com.tr");
        Team {
            admin: app.user(organization, &email("admin"), Role::Admin).await,
            manager: app
                .user(organization, &email("manager"), Role::Manager)
                .await,
            collector: app
                .user(organization, &email("collector"), Role::Collector)
                .await,
            viewer: app.user(organization, &email("viewer"), Role::Viewer).await,
        }
    }
}

/// Runs a mutation and returns its payload, asserting no GraphQL-level error.
pub async fn mutate(app: &TestApp, token: &str, query: &str, input: Value) -> Value {
    let (status, body) = app.graphql(token, query, json!({"input": input})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let data = body["data"].as_object().unwrap();
    data.values().next().unwrap().clone()
}

pub async fn create_customer(app: &TestApp, token: &str, name: &str) -> String {
    let payload = mutate(app, token, CREATE_CUSTOMER, json!({"name": name})).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["customer"]["id"].as_str().unwrap().to_owned()
}

pub async fn create_invoice(
    app: &TestApp,
    token: &str,
    customer: &str,
    number: &str,
    total: &str,
    due: &str,
) -> String {
    let payload = mutate(
        app,
        token,
        CREATE_INVOICE,
        json!({"customerId": customer, "number": number, "issueDate": "2026-10-01", "dueDate": due, "currency": "TRY", "total": total}),
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["invoice"]["id"].as_str().unwrap().to_owned()
}

fn codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn count(app: &TestApp, token: &str, list: &str) -> u64 {
    let (_, body) = app
        .graphql(
            token,
            &format!("{{ {list}(first: 1) {{ totalCount }} }}"),
            json!({}),
        )
        .await;
    body["data"][list]["totalCount"]
        .as_u64()
        .unwrap_or_else(|| panic!("{body}"))
}

on_both_databases! {
    async fn a_customer_pays_an_overdue_invoice_in_two_parts(app) {
        let team = Team::new(&app, "acme").await;
        // Acceptance 1: a customer with a contact and an invoice of 1000.00 TRY due 10 days ago.
        let customer = create_customer(&app, &team.manager, "Anadolu Yapı A.Ş.").await;
        let contact = mutate(&app, &team.manager, ADD_CONTACT, json!({"customerId": customer, "name": "Elif Demir", "email": "elif@anadolu.com.tr"})).await;
        assert_eq!(contact["contact"]["isPrimary"], true, "{contact}");
        let created = mutate(&app, &team.manager, CREATE_INVOICE, json!({
            "customerId": customer, "number": "A-1", "issueDate": "2026-10-14", "dueDate": "2026-11-13",
            "currency": "TRY", "total": "1000.00"
        })).await;
        let invoice = &created["invoice"];
        assert_eq!(invoice["status"], "OPEN");
        assert_eq!(invoice["balance"], json!({"amount": "1000.00", "currency": "TRY"}));
        assert_eq!(invoice["daysOverdue"], 10);
        let invoice_id = invoice["id"].as_str().unwrap().to_owned();
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { customer(id: $id) { openBalance { amount currency } overdueBalance { amount currency } contacts { name } } }", json!({"id": customer})).await;
        assert_eq!(body["data"]["customer"]["overdueBalance"], json!([{"amount": "1000.00", "currency": "TRY"}]));
        assert_eq!(body["data"]["customer"]["openBalance"], json!([{"amount": "1000.00", "currency": "TRY"}]));

        // Acceptance 2: 400.00, then 700.00 without allocations.
        let first = mutate(&app, &team.collector, RECORD_PAYMENT, json!({"customerId": customer, "amount": "400.00", "currency": "TRY", "method": "BANK_TRANSFER"})).await;
        assert_eq!(first["userErrors"], json!([]), "{first}");
        let (_, body) = app.graphql(&team.viewer, INVOICE, json!({"id": invoice_id})).await;
        assert_eq!(body["data"]["invoice"]["status"], "PARTIALLY_PAID");
        assert_eq!(body["data"]["invoice"]["balance"]["amount"], "600.00");
        let second = mutate(&app, &team.collector, RECORD_PAYMENT, json!({"customerId": customer, "amount": "700.00", "currency": "TRY", "method": "CASH"})).await;
        assert_eq!(second["payment"]["unappliedAmount"]["amount"], "100.00", "{second}");
        assert_eq!(second["payment"]["allocations"][0]["amount"]["amount"], "600.00");
        let (_, body) = app.graphql(&team.viewer, INVOICE, json!({"id": invoice_id})).await;
        let invoice = &body["data"]["invoice"];
        assert_eq!(invoice["status"], "PAID");
        assert_eq!(invoice["balance"]["amount"], "0.00");
        assert_eq!(invoice["paidAmount"]["amount"], "1000.00");
        assert_eq!(invoice["daysOverdue"], 0);
        assert_eq!(invoice["payments"].as_array().unwrap().len(), 2);

        // Acceptance 4: the log, newest first, each with the acting user's email.
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { customer(id: $id) { activities(first: 10) { totalCount edges { node { kind actorLabel actor { email } } } } } }", json!({"id": customer})).await;
        let activities = &body["data"]["customer"]["activities"];
        let kinds: Vec<&str> = activities["edges"].as_array().unwrap().iter().map(|e| e["node"]["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["PAYMENT_RECORDED", "PAYMENT_RECORDED", "INVOICE_CREATED", "CONTACT_ADDED", "CUSTOMER_CREATED"]);
        let labels: Vec<&str> = activities["edges"].as_array().unwrap().iter().map(|e| e["node"]["actorLabel"].as_str().unwrap()).collect();
        assert_eq!(labels, ["collector@acme.com.tr", "collector@acme.com.tr", "manager@acme.com.tr", "manager@acme.com.tr", "manager@acme.com.tr"]);
        assert_eq!(activities["totalCount"], 5);
    }

    async fn bad_amounts_and_duplicates_are_user_errors_that_change_nothing(app) {
        let team = Team::new(&app, "acme").await;
        let customer = create_customer(&app, &team.manager, "Ege Zeytincilik").await;
        create_invoice(&app, &team.manager, &customer, "E-1", "10.00", "2026-12-01").await;
        let base = json!({"customerId": customer, "number": "E-2", "issueDate": "2026-11-01", "currency": "TRY", "total": "10.00"});
        let cases = [
            (json!({"total": "10.005"}), "TOO_MANY_DECIMALS"),
            (json!({"total": "-5"}), "AMOUNT_NOT_POSITIVE"),
            (json!({"currency": "XXX"}), "UNKNOWN_CURRENCY"),
            (json!({"number": "E-1"}), "DUPLICATE"),
            (json!({"customerId": "01a20aa9-0000-7000-8000-000000000000"}), "NOT_FOUND"),
            (json!({"dueDate": "2026-10-01"}), "DUE_BEFORE_ISSUE"),
        ];
        for (change, code) in cases {
            let mut input = base.clone();
            input.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
            let payload = mutate(&app, &team.manager, CREATE_INVOICE, input).await;
            assert_eq!(codes(&payload), [code], "{payload}");
            assert!(payload["invoice"].is_null());
        }
        assert_eq!(count(&app, &team.viewer, "invoices").await, 1);

        let payment = |amount: &str, currency: &str| json!({"customerId": customer, "amount": amount, "currency": currency, "method": "CASH"});
        for (input, code) in [
            (payment("10.005", "TRY"), "TOO_MANY_DECIMALS"),
            (payment("-5", "TRY"), "AMOUNT_NOT_POSITIVE"),
            (payment("5", "XXX"), "UNKNOWN_CURRENCY"),
        ] {
            assert_eq!(codes(&mutate(&app, &team.collector, RECORD_PAYMENT, input).await), [code]);
        }
        // A float in JSON never reaches the money rules: it is refused before execution.
        let (_, body) = app.graphql(&team.collector, RECORD_PAYMENT, json!({"input": {"customerId": customer, "amount": 10.5, "currency": "TRY", "method": "CASH"}})).await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("strings"), "{body}");
        let (_, body) = app.graphql(&team.viewer, "{ activities(first: 50, filter: {kinds: [PAYMENT_RECORDED]}) { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["activities"]["totalCount"], 0);

        let duplicate_ref = json!({"name": "X", "externalRef": "CARI-1"});
        assert_eq!(codes(&mutate(&app, &team.manager, CREATE_CUSTOMER, duplicate_ref.clone()).await), Vec::<String>::new());
        assert_eq!(codes(&mutate(&app, &team.manager, CREATE_CUSTOMER, duplicate_ref).await), ["DUPLICATE"]);
        let bad = mutate(&app, &team.manager, CREATE_CUSTOMER, json!({"name": " ", "taxId": "123", "email": "nope", "paymentTermsDays": 999})).await;
        let mut found = codes(&bad);
        found.sort();
        assert_eq!(found, ["INVALID_EMAIL", "INVALID_TAX_ID", "OUT_OF_RANGE", "REQUIRED"]);
        assert_eq!(count(&app, &team.viewer, "customers").await, 2);
    }

    async fn allocations_follow_the_rules(app) {
        let team = Team::new(&app, "acme").await;
        let customer = create_customer(&app, &team.manager, "Toros Kimya").await;
        let other = create_customer(&app, &team.manager, "Kuzey Ambalaj").await;
        let older = create_invoice(&app, &team.manager, &customer, "T-1", "300.00", "2026-11-01").await;
        let newer = create_invoice(&app, &team.manager, &customer, "T-2", "500.00", "2026-11-20").await;
        let others = create_invoice(&app, &team.manager, &other, "K-1", "100.00", "2026-11-01").await;
        let pay = |allocations: Value, amount: &str| json!({"customerId": customer, "amount": amount, "currency": "TRY", "method": "BANK_TRANSFER", "allocations": allocations});

        let payload = mutate(&app, &team.collector, RECORD_PAYMENT, pay(json!([{"invoiceId": older, "amount": "200.00"}, {"invoiceId": newer, "amount": "200.00"}]), "300.00")).await;
        assert_eq!(codes(&payload), ["ALLOCATION_EXCEEDS_AMOUNT"]);
        let payload = mutate(&app, &team.collector, RECORD_PAYMENT, pay(json!([{"invoiceId": older, "amount": "300.01"}]), "400.00")).await;
        assert_eq!(codes(&payload), ["AMOUNT_EXCEEDS_BALANCE"]);
        let payload = mutate(&app, &team.collector, RECORD_PAYMENT, pay(json!([{"invoiceId": others, "amount": "10.00"}]), "10.00")).await;
        assert_eq!(codes(&payload), ["INVOICE_OF_OTHER_CUSTOMER"]);
        let payload = mutate(&app, &team.collector, RECORD_PAYMENT, pay(json!([{"invoiceId": older, "amount": "1.00"}, {"invoiceId": older, "amount": "1.00"}]), "10.00")).await;
        assert_eq!(codes(&payload), ["DUPLICATE"]);

        // The newer invoice first, by the collector's choice; the rest stays unapplied.
        let payload = mutate(&app, &team.collector, RECORD_PAYMENT, pay(json!([{"invoiceId": newer, "amount": "500.00"}]), "550.00")).await;
        assert_eq!(payload["payment"]["unappliedAmount"]["amount"], "50.00", "{payload}");
        let (_, body) = app.graphql(&team.viewer, INVOICE, json!({"id": older})).await;
        assert_eq!(body["data"]["invoice"]["status"], "OPEN");
        let (_, body) = app.graphql(&team.viewer, INVOICE, json!({"id": newer})).await;
        assert_eq!(body["data"]["invoice"]["status"], "PAID");

        // Without allocations: oldest due first, only in the payment's currency.
        let payload = mutate(&app, &team.collector, RECORD_PAYMENT, json!({"customerId": customer, "amount": "50.00", "currency": "USD", "method": "CASH"})).await;
        assert_eq!(payload["payment"]["allocations"], json!([]));
        assert_eq!(payload["payment"]["unappliedAmount"]["amount"], "50.00");
        let usd_invoice = mutate(&app, &team.collector, RECORD_PAYMENT, pay(json!([{"invoiceId": older, "amount": "1.00"}]), "1.00")).await;
        assert_eq!(usd_invoice["userErrors"], json!([]));
        let mismatch = mutate(&app, &team.collector, RECORD_PAYMENT, json!({"customerId": customer, "amount": "1.00", "currency": "EUR", "method": "CASH", "allocations": [{"invoiceId": older, "amount": "1.00"}]})).await;
        assert_eq!(codes(&mismatch), ["CURRENCY_MISMATCH"]);

        // A paid invoice cannot be voided; an unpaid one can, once.
        let void = "mutation($input: VoidInvoiceInput!) { voidInvoice(input: $input) { invoice { status balance { amount } } userErrors { code } } }";
        assert_eq!(codes(&mutate(&app, &team.manager, void, json!({"id": newer, "reason": "iptal"})).await), ["HAS_PAYMENTS"]);
        let voided = mutate(&app, &team.manager, void, json!({"id": others, "reason": "Mükerrer fatura"})).await;
        assert_eq!(voided["invoice"]["status"], "VOID");
        assert_eq!(voided["invoice"]["balance"]["amount"], "0.00");
        assert_eq!(codes(&mutate(&app, &team.manager, void, json!({"id": others, "reason": "again"})).await), ["ALREADY_VOID"]);
        let onto_void = mutate(&app, &team.collector, RECORD_PAYMENT, json!({"customerId": other, "amount": "1.00", "currency": "TRY", "method": "CASH", "allocations": [{"invoiceId": others, "amount": "1.00"}]})).await;
        assert_eq!(codes(&onto_void), ["INVOICE_VOID"]);
    }

    async fn two_payments_at_once_never_overpay_an_invoice(app) {
        let team = Team::new(&app, "acme").await;
        let customer = create_customer(&app, &team.manager, "Uludağ Otelcilik").await;
        let invoice = create_invoice(&app, &team.manager, &customer, "U-1", "1000.00", "2026-11-01").await;
        let input = json!({"customerId": customer, "amount": "1000.00", "currency": "TRY", "method": "CARD", "allocations": [{"invoiceId": invoice, "amount": "1000.00"}]});
        let attempts = (0..6).map(|_| mutate(&app, &team.collector, RECORD_PAYMENT, input.clone()));
        let results = futures_util::future::join_all(attempts).await;
        let accepted = results.iter().filter(|payload| payload["userErrors"] == json!([])).count();
        assert_eq!(accepted, 1, "{results:?}");
        assert!(results.iter().filter(|p| p["userErrors"] != json!([])).all(|p| codes(p) == ["AMOUNT_EXCEEDS_BALANCE"]));
        let (_, body) = app.graphql(&team.viewer, INVOICE, json!({"id": invoice})).await;
        assert_eq!(body["data"]["invoice"]["paidAmount"]["amount"], "1000.00");
    }

    async fn collectors_log_what_they_did(app) {
        let team = Team::new(&app, "acme").await;
        let customer = create_customer(&app, &team.manager, "Selçuklu Un").await;
        let invoice = create_invoice(&app, &team.manager, &customer, "S-1", "2500.00", "2026-11-01").await;
        let call = mutate(&app, &team.collector, LOG_ACTIVITY, json!({"kind": "CALL", "customerId": customer, "invoiceId": invoice, "note": "Muhasebe arandı"})).await;
        assert_eq!(call["activity"]["actorLabel"], "collector@acme.com.tr", "{call}");
        let promise = mutate(&app, &team.collector, LOG_ACTIVITY, json!({"kind": "PROMISE_TO_PAY", "customerId": customer, "invoiceId": invoice, "promisedAmount": "1500.00", "promisedDate": "2026-11-30"})).await;
        assert_eq!(promise["activity"]["data"], json!({"promisedAmount": "1500.00", "currency": "TRY", "promisedDate": "2026-11-30"}), "{promise}");
        let missing = mutate(&app, &team.collector, LOG_ACTIVITY, json!({"kind": "PROMISE_TO_PAY", "customerId": customer, "promisedDate": "2026-11-01"})).await;
        let mut found = codes(&missing);
        found.sort();
        assert_eq!(found, ["DATE_IN_PAST", "REQUIRED"]);
        let system = mutate(&app, &team.collector, LOG_ACTIVITY, json!({"kind": "PAYMENT_RECEIVED", "customerId": customer})).await;
        assert_eq!(codes(&system), ["NOT_LOGGABLE"]);
        let dispute = mutate(&app, &team.collector, LOG_ACTIVITY, json!({"kind": "DISPUTE", "customerId": customer, "invoiceId": invoice, "note": "Mal eksik geldi"})).await;
        assert_eq!(dispute["userErrors"], json!([]));
        let (_, body) = app.graphql(&team.viewer, INVOICE, json!({"id": invoice})).await;
        assert_eq!(body["data"]["invoice"]["disputed"], true);
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { activities(first: 10, filter: {invoiceId: $id, kinds: [CALL, DISPUTE]}) { totalCount edges { node { kind invoice { number } customer { name } } } } }", json!({"id": invoice})).await;
        assert_eq!(body["data"]["activities"]["totalCount"], 2, "{body}");
        assert_eq!(body["data"]["activities"]["edges"][0]["node"]["kind"], "DISPUTE");
        assert_eq!(body["data"]["activities"]["edges"][1]["node"]["invoice"]["number"], "S-1");
    }

    async fn roles_decide_who_may_change_what(app) {
        let team = Team::new(&app, "acme").await;
        let (status, body) = app.graphql(&team.viewer, CREATE_CUSTOMER, json!({"input": {"name": "Yasak A.Ş."}})).await;
        assert_eq!(status, 200);
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        assert_eq!(count(&app, &team.admin, "customers").await, 0);

        let customer = create_customer(&app, &team.manager, "Marmara Oto").await;
        let call = mutate(&app, &team.collector, LOG_ACTIVITY, json!({"kind": "CALL", "customerId": customer, "note": "Arandı"})).await;
        assert_eq!(call["userErrors"], json!([]));
        let paid = mutate(&app, &team.collector, RECORD_PAYMENT, json!({"customerId": customer, "amount": "10.00", "currency": "TRY", "method": "CASH"})).await;
        assert_eq!(paid["userErrors"], json!([]));
        let (_, body) = app.graphql(&team.collector, CREATE_INVOICE, json!({"input": {"customerId": customer, "number": "M-1", "issueDate": "2026-11-01", "currency": "TRY", "total": "1.00"}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        assert_eq!(count(&app, &team.admin, "invoices").await, 0);
        let (_, body) = app.graphql(&team.viewer, LOG_ACTIVITY, json!({"input": {"kind": "NOTE", "customerId": customer, "note": "x"}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");

        let create_user = "mutation($input: CreateUserInput!) { createUser(input: $input) { user { email role } token userErrors { code } } }";
        let (_, body) = app.graphql(&team.manager, create_user, json!({"input": {"email": "new@acme.com.tr", "name": "Yeni", "role": "COLLECTOR"}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        let created = mutate(&app, &team.admin, create_user, json!({"email": "new@acme.com.tr", "name": "Yeni", "role": "COLLECTOR"})).await;
        let token = created["token"].as_str().unwrap();
        let (_, body) = app.graphql(token, "{ viewer { email role } }", json!({})).await;
        assert_eq!(body["data"]["viewer"], json!({"email": "new@acme.com.tr", "role": "COLLECTOR"}));
        let again = mutate(&app, &team.admin, create_user, json!({"email": "NEW@acme.com.tr", "name": "Yeni", "role": "VIEWER"})).await;
        assert_eq!(codes(&again), ["DUPLICATE"]);
    }

    async fn another_organization_sees_nothing(app) {
        let acme = Team::new(&app, "acme").await;
        let rival = Team::new(&app, "rival").await;
        let customer = create_customer(&app, &acme.manager, "Gizli Müşteri").await;
        let invoice = create_invoice(&app, &acme.manager, &customer, "G-1", "100.00", "2026-11-01").await;
        mutate(&app, &acme.collector, LOG_ACTIVITY, json!({"kind": "NOTE", "customerId": customer, "note": "gizli"})).await;

        let (_, body) = app.graphql(&rival.admin, "query($i: ID!, $c: ID!) { invoice(id: $i) { number } customer(id: $c) { name } }", json!({"i": invoice, "c": customer})).await;
        assert_eq!(body["data"], json!({"invoice": null, "customer": null}));
        for list in ["customers", "invoices", "activities"] {
            assert_eq!(count(&app, &rival.admin, list).await, 0, "{list}");
        }
        let (_, body) = app.graphql(&rival.admin, "query($c: ID!) { invoices(first: 5, filter: {customerId: $c}) { totalCount } }", json!({"c": customer})).await;
        assert_eq!(body["data"]["invoices"]["totalCount"], 0);

        let pay = mutate(&app, &rival.admin, RECORD_PAYMENT, json!({"customerId": customer, "amount": "100.00", "currency": "TRY", "method": "CASH", "allocations": [{"invoiceId": invoice, "amount": "100.00"}]})).await;
        assert!(codes(&pay).iter().all(|code| code == "NOT_FOUND") && !codes(&pay).is_empty(), "{pay}");
        // The same answer as for an id that never existed.
        let missing = mutate(&app, &rival.admin, RECORD_PAYMENT, json!({"customerId": "01a20aa9-0000-7000-8000-000000000000", "amount": "100.00", "currency": "TRY", "method": "CASH", "allocations": [{"invoiceId": "01a20aa9-0000-7000-8000-000000000001", "amount": "100.00"}]})).await;
        assert_eq!(pay["userErrors"].as_array().unwrap().len(), missing["userErrors"].as_array().unwrap().len());
        assert_eq!(codes(&pay), codes(&missing));
        let void = mutate(&app, &rival.admin, "mutation($input: VoidInvoiceInput!) { voidInvoice(input: $input) { userErrors { code } } }", json!({"id": invoice, "reason": "x"})).await;
        assert_eq!(codes(&void), ["NOT_FOUND"]);
        let (_, body) = app.graphql(&acme.viewer, INVOICE, json!({"id": invoice})).await;
        assert_eq!(body["data"]["invoice"]["status"], "OPEN");
    }
}

/// A link up to 6 installments for a fresh 1,250.50 TRY invoice at `provider`: the invoice's id,
/// the link as the API returns it (`id provider providerUrl url installmentOptions`), and the
/// token of its pay page.
pub async fn link_for_new_invoice(
    app: &TestApp,
    team: &Team,
    customer: &str,
    number: &str,
    provider: &str,
) -> (String, Value, String) {
    let invoice = create_invoice(
        app,
        &team.manager,
        customer,
        number,
        "1250.50",
        "2026-11-13",
    )
    .await;
    let created = mutate(app, &team.collector, "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id provider providerUrl url installmentOptions { count total { amount } } } userErrors { code message } } }", json!({"invoiceIds": [invoice], "maxInstallments": 6, "provider": provider})).await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let link = created["paymentLink"].clone();
    let pay_token = link["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    (invoice, link, pay_token)
}
