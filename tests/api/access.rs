//! Tokens, users, invoice edits and the payment lists: every new field or mutation that takes an
//! id, tried across organizations and across roles.

use serde_json::{Value, json};

use crate::collections::{Team, create_customer, create_invoice, mutate};
use crate::helpers::TestApp;

const CREATE_TOKEN: &str = "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id name prefix } userErrors { code } } }";
const REVOKE_TOKEN: &str = "mutation($input: RevokeApiTokenInput!) { revokeApiToken(input: $input) { apiToken { id revokedAt } userErrors { code } } }";
const DEACTIVATE: &str = "mutation($input: DeactivateUserInput!) { deactivateUser(input: $input) { user { id active } userErrors { code } } }";
const TOKENS: &str =
    "{ apiTokens { id name prefix createdAt lastUsedAt revokedAt user { id email } } }";
const UPDATE_INVOICE: &str = "mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) { invoice { dueDate description externalRef } userErrors { code } } }";

fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

async fn viewer_status(app: &TestApp, token: &str) -> u16 {
    app.graphql(token, "{ viewer { email } }", json!({}))
        .await
        .0
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let (_, body) = app.graphql(token, "{ viewer { id } }", json!({})).await;
    body["data"]["viewer"]["id"].as_str().unwrap().to_owned()
}

on_both_databases! {
    async fn tokens_are_made_listed_and_revoked_by_their_owner_or_an_admin(app) {
        let team = Team::new(&app, "acme").await;
        let other = Team::new(&app, "rakip").await;

        let made = mutate(&app, &team.collector, CREATE_TOKEN, json!({"name": "Excel eklentisi"})).await;
        assert_eq!(made["userErrors"], json!([]), "{made}");
        let token = made["token"].as_str().unwrap().to_owned();
        let token_id = made["apiToken"]["id"].as_str().unwrap().to_owned();
        assert!(token.starts_with(made["apiToken"]["prefix"].as_str().unwrap()));
        assert_eq!(viewer_status(&app, &token).await, 200);
        let bad = mutate(&app, &team.collector, CREATE_TOKEN, json!({"name": "a\u{0}b"})).await;
        assert_eq!(bad["userErrors"][0]["code"], "INVALID_TEXT", "{bad}");

        // A collector sees their own tokens; the admin sees the organization's; no one sees another's.
        let (_, own) = app.graphql(&team.collector, TOKENS, json!({})).await;
        let own = own["data"]["apiTokens"].as_array().unwrap().clone();
        assert_eq!(own.len(), 2, "{own:?}");
        assert!(own.iter().all(|t| t["user"]["email"] == "collector@acme.com.tr"));
        assert!(own.iter().any(|t| t["name"] == "Excel eklentisi" && t["revokedAt"].is_null()));
        let (_, all) = app.graphql(&team.admin, TOKENS, json!({})).await;
        assert_eq!(all["data"]["apiTokens"].as_array().unwrap().len(), 5, "{all}");
        let (_, theirs) = app.graphql(&other.admin, TOKENS, json!({})).await;
        assert!(theirs["data"]["apiTokens"].as_array().unwrap().iter().all(|t| t["id"] != token_id.as_str()));

        // Another organization's admin cannot revoke it: it does not exist for them.
        let foreign = mutate(&app, &other.admin, REVOKE_TOKEN, json!({"id": token_id})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        // Nor can a manager of the same organization: it is not theirs.
        let (_, body) = app.graphql(&team.manager, REVOKE_TOKEN, json!({"input": {"id": token_id}})).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        assert_eq!(viewer_status(&app, &token).await, 200);

        // Its owner can, and it stops working at once.
        let revoked = mutate(&app, &team.collector, REVOKE_TOKEN, json!({"id": token_id})).await;
        assert_eq!(revoked["userErrors"], json!([]), "{revoked}");
        assert!(revoked["apiToken"]["revokedAt"].is_string());
        assert_eq!(viewer_status(&app, &token).await, 401);
        let again = mutate(&app, &team.collector, REVOKE_TOKEN, json!({"id": token_id})).await;
        assert_eq!(again["userErrors"][0]["code"], "ALREADY_REVOKED", "{again}");

        // An admin can revoke anyone's in the organization.
        let made = mutate(&app, &team.viewer, CREATE_TOKEN, json!({"name": "telefon"})).await;
        let viewer_token = made["token"].as_str().unwrap().to_owned();
        assert_eq!(viewer_status(&app, &viewer_token).await, 200);
        let revoked = mutate(&app, &team.admin, REVOKE_TOKEN, json!({"id": made["apiToken"]["id"]})).await;
        assert_eq!(revoked["userErrors"], json!([]), "{revoked}");
        assert_eq!(viewer_status(&app, &viewer_token).await, 401);
        assert_eq!(viewer_status(&app, &team.viewer).await, 200, "other tokens keep working");
    }

    async fn a_deactivated_user_cannot_sign_in(app) {
        let team = Team::new(&app, "acme").await;
        let other = Team::new(&app, "rakip").await;
        let collector = user_id(&app, &team.collector).await;
        let admin = user_id(&app, &team.admin).await;
        let extra = mutate(&app, &team.collector, CREATE_TOKEN, json!({"name": "ikinci"})).await;
        let extra = extra["token"].as_str().unwrap().to_owned();
        assert_eq!(viewer_status(&app, &team.collector).await, 200);

        for token in [&team.manager, &team.collector, &team.viewer] {
            let (_, body) = app.graphql(token, DEACTIVATE, json!({"input": {"id": collector}})).await;
            assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        }
        let foreign = mutate(&app, &other.admin, DEACTIVATE, json!({"id": collector})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        let itself = mutate(&app, &team.admin, DEACTIVATE, json!({"id": admin})).await;
        assert_eq!(itself["userErrors"][0]["code"], "CANNOT_DEACTIVATE_SELF", "{itself}");
        assert_eq!(viewer_status(&app, &team.collector).await, 200);

        let done = mutate(&app, &team.admin, DEACTIVATE, json!({"id": collector})).await;
        assert_eq!(done["userErrors"], json!([]), "{done}");
        assert_eq!(done["user"]["active"], false);
        assert_eq!(viewer_status(&app, &team.collector).await, 401);
        assert_eq!(viewer_status(&app, &extra).await, 401);
        let (_, tokens) = app.graphql(&team.admin, TOKENS, json!({})).await;
        assert!(tokens["data"]["apiTokens"].as_array().unwrap().iter()
            .filter(|t| t["user"]["id"] == collector.as_str())
            .all(|t| t["revokedAt"].is_string()), "{tokens}");
        // A token issued later for them does not work either.
        let later = tahsilat::services::users::provision_user(
            &app.state.db,
            &app.clock,
            tahsilat::services::users::NewUser {
                organization_name: "acme".into(),
                email: "collector@acme.com.tr".into(),
                name: None,
                role: tahsilat::domain::role::Role::Collector,
            },
        )
        .await
        .unwrap();
        assert_eq!(viewer_status(&app, &later.token).await, 401);

        // Users: ADMIN and MANAGER see everyone, with who is active.
        let query = "{ users { email role active } }";
        for token in [&team.viewer] {
            let (_, body) = app.graphql(token, query, json!({})).await;
            assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        }
        let (_, body) = app.graphql(&team.manager, query, json!({})).await;
        let users = body["data"]["users"].as_array().unwrap();
        assert_eq!(users.len(), 4, "{body}");
        assert!(users.iter().any(|u| u["email"] == "collector@acme.com.tr" && u["active"] == false));
        assert!(users.iter().all(|u| u["email"].as_str().unwrap().ends_with("@acme.com.tr")));
    }

    async fn invoices_are_updated_by_managers_of_their_organization(app) {
        let team = Team::new(&app, "acme").await;
        let other = Team::new(&app, "rakip").await;
        let customer = create_customer(&app, &team.manager, "Güncel A.Ş.").await;
        let invoice = create_invoice(&app, &team.manager, &customer, "U-1", "500.00", "2026-11-30").await;

        for token in [&team.collector, &team.viewer] {
            let (_, body) = app.graphql(token, UPDATE_INVOICE, json!({"input": {"id": invoice, "dueDate": "2026-12-15"}})).await;
            assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        }
        let foreign = mutate(&app, &other.manager, UPDATE_INVOICE, json!({"id": invoice, "dueDate": "2026-12-15"})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        let early = mutate(&app, &team.manager, UPDATE_INVOICE, json!({"id": invoice, "dueDate": "2026-09-01"})).await;
        assert_eq!(early["userErrors"][0]["code"], "DUE_BEFORE_ISSUE", "{early}");
        let bad = mutate(&app, &team.manager, UPDATE_INVOICE, json!({"id": invoice, "externalRef": "ERP\u{0}1"})).await;
        assert_eq!(bad["userErrors"][0]["code"], "INVALID_TEXT", "{bad}");

        let done = mutate(&app, &team.manager, UPDATE_INVOICE, json!({"id": invoice, "dueDate": "2026-12-15", "description": "Kasım\nsevkiyatı", "externalRef": "ERP-77"})).await;
        assert_eq!(done["userErrors"], json!([]), "{done}");
        assert_eq!(done["invoice"], json!({"dueDate": "2026-12-15", "description": "Kasım\nsevkiyatı", "externalRef": "ERP-77"}));
        let cleared = mutate(&app, &team.manager, UPDATE_INVOICE, json!({"id": invoice, "externalRef": null})).await;
        assert_eq!(cleared["invoice"]["externalRef"], Value::Null, "{cleared}");
        assert_eq!(cleared["invoice"]["dueDate"], "2026-12-15");
        let (_, log) = app.graphql(&team.viewer, "query($id: ID!) { activities(filter: {invoiceId: $id, kinds: [INVOICE_UPDATED]}) { totalCount edges { node { actor { email } data } } } }", json!({"id": invoice})).await;
        assert_eq!(log["data"]["activities"]["totalCount"], 2, "{log}");
        let latest = &log["data"]["activities"]["edges"][0]["node"];
        assert_eq!(latest["actor"]["email"], "manager@acme.com.tr");
        assert_eq!(latest["data"]["changed"]["externalRef"], json!({"from": "ERP-77", "to": null}), "{latest}");
    }

    async fn payment_lists_show_only_the_organizations_own(app) {
        let team = Team::new(&app, "acme").await;
        let other = Team::new(&app, "rakip").await;
        let customer = create_customer(&app, &team.manager, "Listeli A.Ş.").await;
        let invoice = create_invoice(&app, &team.manager, &customer, "L-1", "300.00", "2026-11-30").await;
        let record = "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id } userErrors { code } } }";
        for amount in ["100.00", "50.00"] {
            let paid = mutate(&app, &team.collector, record, json!({"customerId": customer, "amount": amount, "currency": "TRY", "method": "CASH"})).await;
            assert_eq!(paid["userErrors"], json!([]), "{paid}");
        }
        let link = "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id } userErrors { code } } }";
        let created = mutate(&app, &team.collector, link, json!({"invoiceIds": [invoice]})).await;
        assert_eq!(created["userErrors"], json!([]), "{created}");

        let payments = "query($f: PaymentFilter) { payments(first: 1, filter: $f) { totalCount edges { cursor node { amount { amount } method test } } pageInfo { hasNextPage endCursor } } }";
        let (_, body) = app.graphql(&team.viewer, payments, json!({"f": {"customerId": customer}})).await;
        assert_eq!(body["data"]["payments"]["totalCount"], 2, "{body}");
        assert_eq!(body["data"]["payments"]["pageInfo"]["hasNextPage"], true);
        let after = body["data"]["payments"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        let (_, next) = app.graphql(&team.viewer, "query($a: String) { payments(first: 5, after: $a) { edges { node { amount { amount } } } pageInfo { hasNextPage } } }", json!({"a": after})).await;
        assert_eq!(next["data"]["payments"]["edges"].as_array().unwrap().len(), 1, "{next}");
        let (_, body) = app.graphql(&team.viewer, payments, json!({"f": {"method": "CARD"}})).await;
        assert_eq!(body["data"]["payments"]["totalCount"], 0, "{body}");
        let (_, body) = app.graphql(&other.admin, payments, json!({"f": {"customerId": customer}})).await;
        assert_eq!(body["data"]["payments"]["totalCount"], 0, "another organization sees nothing: {body}");
        let (_, body) = app.graphql(&other.admin, payments, json!({})).await;
        assert_eq!(body["data"]["payments"]["totalCount"], 0, "{body}");

        let links = "query($f: PaymentLinkFilter) { paymentLinks(filter: $f) { totalCount edges { node { status amount { amount } } } } }";
        let (_, body) = app.graphql(&team.viewer, links, json!({"f": {"customerId": customer, "status": ["ACTIVE"]}})).await;
        assert_eq!(body["data"]["paymentLinks"]["totalCount"], 1, "{body}");
        assert_eq!(body["data"]["paymentLinks"]["edges"][0]["node"]["amount"]["amount"], "150.00");
        let (_, body) = app.graphql(&other.viewer, links, json!({"f": {"customerId": customer}})).await;
        assert_eq!(body["data"]["paymentLinks"]["totalCount"], 0, "{body}");
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { customer(id: $id) { paymentLinks { status } } }", json!({"id": customer})).await;
        assert_eq!(body["data"]["customer"]["paymentLinks"], json!([{"status": "ACTIVE"}]), "{body}");
        let (_, body) = app.graphql(&other.viewer, "query($id: ID!) { customer(id: $id) { paymentLinks { status } } }", json!({"id": customer})).await;
        assert!(body["data"]["customer"].is_null(), "{body}");
    }
}
