//! Disputes: opened on an invoice, resolved by a manager, the invoice's mark following them, all
//! in the customer's history; tried across organizations and roles.

use serde_json::{Value, json};

use crate::collections::{Team, create_customer, create_invoice, mutate};

const OPEN: &str = "mutation($input: OpenDisputeInput!) { openDispute(input: $input) { dispute { id status reason note invoice { number disputed } openedBy { email } } userErrors { field code } } }";
const RESOLVE: &str = "mutation($input: ResolveDisputeInput!) { resolveDispute(input: $input) { dispute { id status outcome resolutionNote resolvedAt invoice { disputed } } userErrors { field code } } }";

fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

on_both_databases! {
    async fn a_dispute_marks_its_invoice_until_a_manager_resolves_it(app) {
        let team = Team::new(&app, "acme").await;
        let other = Team::new(&app, "rakip").await;
        let customer = create_customer(&app, &team.manager, "İtirazcı A.Ş.").await;
        let invoice = create_invoice(&app, &team.manager, &customer, "I-1", "500.00", "2026-11-01").await;

        // Roles and tenants: a viewer may not open one; another organization finds no invoice.
        let (_, body) = app.graphql(&team.viewer, OPEN, json!({"input": {"invoiceId": invoice, "reason": "PRICE"}})).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        let foreign = mutate(&app, &other.collector, OPEN, json!({"invoiceId": invoice, "reason": "PRICE"})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        let bad = mutate(&app, &team.collector, OPEN, json!({"invoiceId": invoice, "reason": "PRICE", "note": "gizli\u{0}"})).await;
        assert_eq!(bad["userErrors"][0]["code"], "INVALID_TEXT", "{bad}");

        let opened = mutate(&app, &team.collector, OPEN, json!({"invoiceId": invoice, "reason": "QUANTITY", "note": "10 koli eksik geldi.\nİrsaliye ekte."})).await;
        assert_eq!(opened["userErrors"], json!([]), "{opened}");
        let dispute = &opened["dispute"];
        assert_eq!(dispute["status"], "OPEN");
        assert_eq!(dispute["reason"], "QUANTITY");
        assert_eq!(dispute["invoice"], json!({"number": "I-1", "disputed": true}));
        assert_eq!(dispute["openedBy"]["email"], "collector@acme.com.tr");
        let id = dispute["id"].as_str().unwrap().to_owned();
        let again = mutate(&app, &team.collector, OPEN, json!({"invoiceId": invoice, "reason": "PRICE"})).await;
        assert_eq!(again["userErrors"][0]["code"], "ALREADY_DISPUTED", "{again}");

        // Only a manager resolves it, and only in its own organization.
        let (_, body) = app.graphql(&team.collector, RESOLVE, json!({"input": {"id": id, "outcome": "REJECTED"}})).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        let foreign = mutate(&app, &other.manager, RESOLVE, json!({"id": id, "outcome": "REJECTED"})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        let (_, listed) = app.graphql(&other.viewer, "{ disputes { totalCount } }", json!({})).await;
        assert_eq!(listed["data"]["disputes"]["totalCount"], 0, "{listed}");

        let resolved = mutate(&app, &team.manager, RESOLVE, json!({"id": id, "outcome": "UPHELD", "note": "Fark için iade faturası kesilecek."})).await;
        assert_eq!(resolved["userErrors"], json!([]), "{resolved}");
        assert_eq!(resolved["dispute"]["status"], "RESOLVED");
        assert_eq!(resolved["dispute"]["outcome"], "UPHELD");
        assert_eq!(resolved["dispute"]["invoice"]["disputed"], false);
        assert!(resolved["dispute"]["resolvedAt"].is_string());
        let twice = mutate(&app, &team.manager, RESOLVE, json!({"id": id, "outcome": "REJECTED"})).await;
        assert_eq!(twice["userErrors"][0]["code"], "ALREADY_RESOLVED", "{twice}");

        // The history, the list and the invoice tell the same story.
        let (_, log) = app.graphql(&team.viewer, "query($id: ID!) { activities(filter: {invoiceId: $id, kinds: [DISPUTE_OPENED, DISPUTE_RESOLVED]}) { edges { node { kind actorLabel note } } } }", json!({"id": invoice})).await;
        let kinds: Vec<&str> = log["data"]["activities"]["edges"].as_array().unwrap().iter().map(|edge| edge["node"]["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["DISPUTE_RESOLVED", "DISPUTE_OPENED"], "{log}");
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { disputes(filter: {customerId: $id, status: RESOLVED}) { totalCount edges { node { invoice { number } } } } }", json!({"id": customer})).await;
        assert_eq!(body["data"]["disputes"]["totalCount"], 1, "{body}");
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { invoice(id: $id) { disputed disputes { status outcome } } }", json!({"id": invoice})).await;
        assert_eq!(body["data"]["invoice"], json!({"disputed": false, "disputes": [{"status": "RESOLVED", "outcome": "UPHELD"}]}), "{body}");

        // A void invoice cannot be disputed.
        let spare = create_invoice(&app, &team.manager, &customer, "I-2", "50.00", "2026-11-02").await;
        let void = "mutation($input: VoidInvoiceInput!) { voidInvoice(input: $input) { userErrors { code } } }";
        mutate(&app, &team.manager, void, json!({"id": spare, "reason": "hatalı"})).await;
        let refused = mutate(&app, &team.collector, OPEN, json!({"invoiceId": spare, "reason": "DUPLICATE"})).await;
        assert_eq!(refused["userErrors"][0]["code"], "INVOICE_VOID", "{refused}");
    }
}
