//! Promises to pay, day by day with the clock: kept when the money comes, broken after the grace
//! days with a call on the collector's worklist; tried across organizations and roles.

use serde_json::{Value, json};

use crate::collections::{Team, create_invoice, mutate};
use crate::helpers::TestApp;

const CREATE: &str = "mutation($input: CreatePromiseInput!) { createPromise(input: $input) { promise { id status amount { amount currency } promisedDate invoices { number } createdByLabel } userErrors { field code } } }";
const CANCEL: &str = "mutation($input: CancelPromiseInput!) { cancelPromise(input: $input) { promise { status } userErrors { code } } }";
const STATE: &str = "query($id: ID!) { customer(id: $id) { promiseStats { made kept broken keptRatio } promises { status promisedDate } } }";

fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

async fn settle_day(app: &TestApp) {
    tahsilat::services::promises::settle_due(&app.state)
        .await
        .unwrap();
}

async fn statuses(app: &TestApp, token: &str, customer: &str) -> Value {
    let (_, body) = app.graphql(token, STATE, json!({"id": customer})).await;
    body["data"]["customer"].clone()
}

on_both_databases! {
    async fn promises_are_kept_or_broken_day_by_day(app) {
        let team = Team::new(&app, "acme").await;
        let other = Team::new(&app, "rakip").await;
        let (_, me) = app.graphql(&team.collector, "{ viewer { id } }", json!({})).await;
        let collector = me["data"]["viewer"]["id"].clone();
        let made = mutate(&app, &team.manager, "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }", json!({"name": "Sözlü A.Ş.", "assignedCollectorId": collector})).await;
        let customer = made["customer"]["id"].as_str().unwrap().to_owned();
        let invoice = create_invoice(&app, &team.manager, &customer, "P-1", "1000.00", "2026-11-20").await;

        // Checks, roles and tenants.
        let past = mutate(&app, &team.collector, CREATE, json!({"customerId": customer, "invoiceIds": [invoice], "amount": "600.00", "currency": "TRY", "promisedDate": "2026-11-22"})).await;
        assert_eq!(past["userErrors"][0]["code"], "DATE_IN_PAST", "{past}");
        let none = mutate(&app, &team.collector, CREATE, json!({"customerId": customer, "invoiceIds": [], "amount": "600.00", "currency": "TRY", "promisedDate": "2026-11-27"})).await;
        assert_eq!(none["userErrors"][0]["code"], "REQUIRED", "{none}");
        let foreign = mutate(&app, &other.collector, CREATE, json!({"customerId": customer, "invoiceIds": [invoice], "amount": "600.00", "currency": "TRY", "promisedDate": "2026-11-27"})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        let (_, body) = app.graphql(&team.viewer, CREATE, json!({"input": {"customerId": customer, "invoiceIds": [invoice], "amount": "600.00", "currency": "TRY", "promisedDate": "2026-11-27"}})).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{body}");

        // 600.00 promised for the 27th; paid on the 24th: KEPT at the next settlement.
        let kept = mutate(&app, &team.collector, CREATE, json!({"customerId": customer, "invoiceIds": [invoice], "amount": "600.00", "currency": "TRY", "promisedDate": "2026-11-27", "note": "Cuma günü"})).await;
        assert_eq!(kept["userErrors"], json!([]), "{kept}");
        assert_eq!(kept["promise"]["status"], "OPEN");
        assert_eq!(kept["promise"]["createdByLabel"], "collector@acme.com.tr");
        settle_day(&app).await;
        assert_eq!(statuses(&app, &team.viewer, &customer).await["promises"][0]["status"], "OPEN");
        app.clock.advance(chrono::Duration::days(1));
        let paid = mutate(&app, &team.collector, "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { userErrors { code } } }", json!({"customerId": customer, "amount": "600.00", "currency": "TRY", "method": "BANK_TRANSFER"})).await;
        assert_eq!(paid["userErrors"], json!([]), "{paid}");
        settle_day(&app).await;
        let state = statuses(&app, &team.viewer, &customer).await;
        assert_eq!(state["promises"][0]["status"], "KEPT", "{state}");
        assert_eq!(state["promiseStats"], json!({"made": 1, "kept": 1, "broken": 0, "keptRatio": "1.00"}));

        // 400.00 for the 26th, never paid: still open through two grace days, BROKEN on the third.
        let broken = mutate(&app, &team.collector, CREATE, json!({"customerId": customer, "invoiceIds": [invoice], "amount": "400.00", "currency": "TRY", "promisedDate": "2026-11-26"})).await;
        assert_eq!(broken["userErrors"], json!([]), "{broken}");
        for day in ["2026-11-26", "2026-11-27", "2026-11-28"] {
            while app.state.clock.today().to_string() != day {
                app.clock.advance(chrono::Duration::days(1));
            }
            settle_day(&app).await;
            assert_eq!(statuses(&app, &team.viewer, &customer).await["promises"][0]["status"], "OPEN", "{day}");
        }
        app.clock.advance(chrono::Duration::days(1));
        settle_day(&app).await;
        let state = statuses(&app, &team.viewer, &customer).await;
        assert_eq!(state["promises"][0]["status"], "BROKEN", "{state}");
        assert_eq!(state["promiseStats"], json!({"made": 2, "kept": 1, "broken": 1, "keptRatio": "0.50"}));
        // The broken promise comes back as a call, first on the collector's list.
        mutate(&app, &team.collector, "mutation($input: CreateTaskInput!) { createTask(input: $input) { userErrors { code } } }", json!({"kind": "EMAIL", "customerId": customer, "note": "el ile"})).await;
        let (_, list) = app.graphql(&team.collector, "{ worklist { source kind invoices { number } } }", json!({})).await;
        assert_eq!(list["data"]["worklist"][0], json!({"source": "BROKEN_PROMISE", "kind": "CALL", "invoices": [{"number": "P-1"}]}), "{list}");
        assert_eq!(list["data"]["worklist"][1]["source"], "MANUAL");
        let (_, log) = app.graphql(&team.viewer, "query($id: ID!) { activities(filter: {customerId: $id, kinds: [PROMISE_MADE, PROMISE_KEPT, PROMISE_BROKEN]}) { edges { node { kind actorLabel } } } }", json!({"id": customer})).await;
        let kinds: Vec<&str> = log["data"]["activities"]["edges"].as_array().unwrap().iter().map(|edge| edge["node"]["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["PROMISE_BROKEN", "PROMISE_MADE", "PROMISE_KEPT", "PROMISE_MADE"], "{log}");

        // Cancelled promises stay cancelled; others' cannot be touched.
        let third = mutate(&app, &team.collector, CREATE, json!({"customerId": customer, "invoiceIds": [invoice], "amount": "100.00", "currency": "TRY", "promisedDate": "2026-12-05"})).await;
        let id = third["promise"]["id"].clone();
        let foreign = mutate(&app, &other.collector, CANCEL, json!({"id": id})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        let cancelled = mutate(&app, &team.collector, CANCEL, json!({"id": id})).await;
        assert_eq!(cancelled["promise"]["status"], "CANCELLED", "{cancelled}");
        let again = mutate(&app, &team.collector, CANCEL, json!({"id": id})).await;
        assert_eq!(again["userErrors"][0]["code"], "NOT_OPEN", "{again}");
        let (_, listed) = app.graphql(&team.viewer, "{ promises(filter: {status: BROKEN}) { totalCount } }", json!({})).await;
        assert_eq!(listed["data"]["promises"]["totalCount"], 1, "{listed}");
        let (_, listed) = app.graphql(&other.viewer, "{ promises { totalCount } }", json!({})).await;
        assert_eq!(listed["data"]["promises"]["totalCount"], 0, "{listed}");

        // A PROMISE_TO_PAY logged on the history becomes a promise over the customer's unpaid
        // invoices, without a second history entry.
        let logged = mutate(&app, &team.collector, "mutation($input: LogActivityInput!) { logActivity(input: $input) { userErrors { code } } }", json!({"kind": "PROMISE_TO_PAY", "customerId": customer, "promisedAmount": "250.00", "promisedDate": "2026-12-10", "note": "Telefonda söz verdi"})).await;
        assert_eq!(logged["userErrors"], json!([]), "{logged}");
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { promises(filter: {customerId: $id, status: OPEN}) { edges { node { amount { amount } promisedDate note invoices { number } } } } }", json!({"id": customer})).await;
        assert_eq!(body["data"]["promises"]["edges"][0]["node"], json!({"amount": {"amount": "250.00"}, "promisedDate": "2026-12-10", "note": "Telefonda söz verdi", "invoices": [{"number": "P-1"}]}), "{body}");
    }
}
