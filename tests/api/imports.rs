//! Bulk imports from the ERP over HTTP: customers and 5,000 invoices imported, imported again
//! (nothing changes), 10 changed (10 updates, 10 log entries); a refused row in ALL_OR_NOTHING
//! writes nothing; roles and organizations kept apart.

use serde_json::{Value, json};

use crate::collections::{Team, mutate};

const CUSTOMERS: &str = "mutation($input: ImportCustomersInput!) { importCustomers(input: $input) { created updated unchanged rejected results { row externalRef outcome id userErrors { field code } } userErrors { field code } } }";
const PAYMENTS: &str = "mutation($input: ImportPaymentsInput!) { importPayments(input: $input) { created updated unchanged rejected results { row outcome id userErrors { field code } } userErrors { code } } }";
const INVOICES: &str = "mutation($input: ImportInvoicesInput!) { importInvoices(input: $input) { created updated unchanged rejected results { row externalRef outcome id userErrors { field code } } userErrors { field code } } }";

fn totals(payload: &Value) -> (i64, i64, i64, i64) {
    (
        payload["created"].as_i64().unwrap(),
        payload["updated"].as_i64().unwrap(),
        payload["unchanged"].as_i64().unwrap(),
        payload["rejected"].as_i64().unwrap(),
    )
}

fn invoice_rows(count: usize, total: impl Fn(usize) -> String) -> Vec<Value> {
    (1..=count)
        .map(|n| {
            json!({
                "externalRef": format!("ERP-{n:05}"),
                "customerExternalRef": if n % 2 == 0 { "C-001" } else { "C-002" },
                "number": format!("F2026{n:05}"),
                "issueDate": "2026-10-01",
                "dueDate": "2026-11-01",
                "currency": "TRY",
                "total": total(n),
                "description": "Logo aktarımı",
            })
        })
        .collect()
}

on_both_databases! {
    async fn the_erp_imports_again_and_again_without_duplicating_anything(app) {
        let team = Team::new(&app, "aktarim").await;
        let other = Team::new(&app, "aktarim-diger").await;
        let customers = json!({"rows": [
            {"externalRef": "C-001", "name": "Anadolu Yapı A.Ş.", "taxId": "1234567890", "email": "muhasebe@anadolu.com.tr", "paymentTermsDays": 30},
            {"externalRef": "C-002", "name": "Ege Gıda Ltd. Şti.", "phone": "0532 123 45 67"},
            {"externalRef": "C-003", "name": "Hatalı", "email": "not-an-address"},
        ]});

        // Collectors and viewers may not import; nothing at all is not an import.
        for token in [&team.collector, &team.viewer] {
            let (_, body) = app.graphql(token, CUSTOMERS, json!({"input": customers})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        }
        let empty = mutate(&app, &team.manager, CUSTOMERS, json!({"rows": []})).await;
        assert_eq!(empty["userErrors"][0]["code"], "REQUIRED", "{empty}");

        // Two customers made, the third refused with the field named.
        let made = mutate(&app, &team.manager, CUSTOMERS, customers.clone()).await;
        assert_eq!(totals(&made), (2, 0, 0, 1), "{made}");
        assert_eq!(made["results"][2]["userErrors"], json!([{"field": ["input", "rows", "2", "email"], "code": "INVALID_EMAIL"}]));
        assert_eq!(made["results"][0]["outcome"], "CREATED");
        // Again: nothing changes. One renamed: one update, logged with what changed.
        let again = mutate(&app, &team.manager, CUSTOMERS, customers.clone()).await;
        assert_eq!(totals(&again), (0, 0, 2, 1), "{again}");
        assert_eq!(again["results"][0]["id"], made["results"][0]["id"]);
        let renamed = mutate(&app, &team.manager, CUSTOMERS, json!({"rows": [{"externalRef": "C-002", "name": "Ege Gıda San. ve Tic. Ltd. Şti.", "phone": "+905321234567"}]})).await;
        assert_eq!(totals(&renamed), (0, 1, 0, 0), "{renamed}");
        let (_, log) = app.graphql(&team.viewer, "{ activities(filter: {kinds: [CUSTOMER_UPDATED]}) { edges { node { data } } } }", json!({})).await;
        let changed = &log["data"]["activities"]["edges"][0]["node"]["data"]["changed"];
        assert_eq!(changed, &json!({"name": {"from": "Ege Gıda Ltd. Şti.", "to": "Ege Gıda San. ve Tic. Ltd. Şti."}}), "{log}");

        // 5,000 invoices; the same 5,000 again change nothing.
        let rows = invoice_rows(5_000, |n| format!("{}.50", 1_000 + n));
        let first = mutate(&app, &team.manager, INVOICES, json!({"rows": rows})).await;
        assert_eq!(totals(&first), (5_000, 0, 0, 0), "{}", first["results"][0]);
        let again = mutate(&app, &team.manager, INVOICES, json!({"rows": rows})).await;
        assert_eq!(totals(&again), (0, 0, 5_000, 0));
        let (_, body) = app.graphql(&team.viewer, "{ invoices { totalCount } created: activities(filter: {kinds: [INVOICE_CREATED]}) { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["invoices"]["totalCount"], 5_000);
        assert_eq!(body["data"]["created"]["totalCount"], 5_000);

        // Ten totals changed in the ERP: ten updates, ten log entries; the rest unchanged.
        let changed = invoice_rows(5_000, |n| if n <= 10 { format!("{}.75", 1_000 + n) } else { format!("{}.50", 1_000 + n) });
        let update = mutate(&app, &team.manager, INVOICES, json!({"rows": changed})).await;
        assert_eq!(totals(&update), (0, 10, 4_990, 0));
        let (_, body) = app.graphql(&team.viewer, "{ activities(first: 20, filter: {kinds: [INVOICE_UPDATED]}) { totalCount edges { node { data } } } }", json!({})).await;
        assert_eq!(body["data"]["activities"]["totalCount"], 10, "{body}");
        assert!(body["data"]["activities"]["edges"][0]["node"]["data"]["changed"]["total"]["to"].as_str().unwrap().ends_with(".75"), "{body}");

        // A total below what was paid is refused for that row only.
        let first_id = update["results"][0]["id"].clone();
        let (_, invoice) = app.graphql(&team.viewer, "query($id: ID!) { invoice(id: $id) { customer { id } } }", json!({"id": first_id})).await;
        let owner = invoice["data"]["invoice"]["customer"]["id"].clone();
        let paid = mutate(&app, &team.collector, "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { userErrors { code } } }", json!({"customerId": owner, "amount": "900.00", "currency": "TRY", "method": "CASH", "allocations": [{"invoiceId": first_id, "amount": "900.00"}]})).await;
        assert_eq!(paid["userErrors"], json!([]), "{paid}");
        let lower = mutate(&app, &team.manager, INVOICES, json!({"rows": [
            {"externalRef": "ERP-00001", "customerExternalRef": "C-002", "number": "F202600001", "issueDate": "2026-10-01", "currency": "TRY", "total": "800.00"},
            {"externalRef": "ERP-09999", "customerExternalRef": "C-001", "number": "F202609999", "issueDate": "2026-10-01", "currency": "TRY", "total": "10.00"},
        ]})).await;
        assert_eq!(totals(&lower), (1, 0, 0, 1), "{lower}");
        assert_eq!(lower["results"][0]["userErrors"], json!([{"field": ["input", "rows", "0", "total"], "code": "TOTAL_BELOW_PAID"}]));

        // ALL_OR_NOTHING: one unknown customer, and neither the new row nor the change is written.
        let refused = mutate(&app, &team.manager, INVOICES, json!({"mode": "ALL_OR_NOTHING", "rows": [
            {"externalRef": "ERP-10001", "customerExternalRef": "C-001", "number": "F202610001", "issueDate": "2026-10-01", "currency": "TRY", "total": "10.00"},
            {"externalRef": "ERP-00002", "customerExternalRef": "C-001", "number": "F202600002", "issueDate": "2026-10-01", "dueDate": "2026-11-01", "currency": "TRY", "total": "99.00"},
            {"externalRef": "ERP-10002", "customerExternalRef": "C-404", "number": "F202610002", "issueDate": "2026-10-01", "currency": "TRY", "total": "10.00"},
            {"externalRef": "ERP-10003", "customerExternalRef": "C-001", "number": "F202610001", "issueDate": "2026-10-01", "currency": "TRY", "total": "10.00"},
        ]})).await;
        assert_eq!(totals(&refused), (0, 0, 2, 2), "{refused}");
        assert_eq!(refused["results"][0]["id"], Value::Null, "never created");
        assert_eq!(refused["results"][2]["userErrors"][0]["code"], "CUSTOMER_NOT_FOUND");
        assert_eq!(refused["results"][3]["userErrors"][0]["code"], "DUPLICATE");
        let (_, body) = app.graphql(&team.viewer, "{ invoices { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["invoices"]["totalCount"], 5_001);
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { invoice(id: $id) { total { amount } } }", json!({"id": update["results"][1]["id"]})).await;
        assert_eq!(body["data"]["invoice"]["total"]["amount"], "1002.75", "{body}");

        // Payments keyed by their reference: recorded once, the same again UNCHANGED, a different
        // one with a known reference refused.
        let payments = json!({"rows": [
            {"reference": "DEK-1", "customerExternalRef": "C-001", "amount": "500.00", "currency": "TRY", "method": "BANK_TRANSFER", "receivedAt": "2026-11-20T10:00:00Z", "allocations": [{"invoiceExternalRef": "ERP-00004", "amount": "500.00"}]},
            {"reference": "DEK-2", "customerExternalRef": "C-002", "amount": "100.00", "currency": "TRY", "method": "CASH"},
            {"reference": "DEK-3", "customerExternalRef": "C-001", "amount": "1.00", "currency": "TRY", "method": "CASH", "allocations": [{"invoiceExternalRef": "ERP-77777", "amount": "1.00"}]},
        ]});
        let (_, body) = app.graphql(&team.collector, PAYMENTS, json!({"input": payments})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        let recorded = mutate(&app, &team.manager, PAYMENTS, payments.clone()).await;
        assert_eq!(totals(&recorded), (2, 0, 0, 1), "{recorded}");
        assert_eq!(recorded["results"][2]["userErrors"], json!([{"field": ["input", "rows", "2", "allocations", "0", "invoiceExternalRef"], "code": "NOT_FOUND"}]));
        let again = mutate(&app, &team.manager, PAYMENTS, payments.clone()).await;
        assert_eq!(totals(&again), (0, 0, 2, 1), "{again}");
        assert_eq!(again["results"][0]["id"], recorded["results"][0]["id"]);
        let different = mutate(&app, &team.manager, PAYMENTS, json!({"rows": [{"reference": "DEK-1", "customerExternalRef": "C-001", "amount": "600.00", "currency": "TRY", "method": "BANK_TRANSFER"}]})).await;
        assert_eq!(different["results"][0]["userErrors"][0]["code"], "PAYMENT_EXISTS", "{different}");
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { invoice(id: $id) { paidAmount { amount } } }", json!({"id": update["results"][3]["id"]})).await;
        assert_eq!(body["data"]["invoice"]["paidAmount"]["amount"], "500.00", "{body}");

        // Another organization's references are not ours: its rows find no customer.
        let foreign = mutate(&app, &other.manager, INVOICES, json!({"rows": [
            {"externalRef": "ERP-00001", "customerExternalRef": "C-001", "number": "F202600001", "issueDate": "2026-10-01", "currency": "TRY", "total": "1.00"},
        ]})).await;
        assert_eq!(foreign["results"][0]["userErrors"][0]["code"], "CUSTOMER_NOT_FOUND", "{foreign}");
        let (_, body) = app.graphql(&other.viewer, "{ invoices { totalCount } customers { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["invoices"]["totalCount"], 0);
        assert_eq!(body["data"]["customers"]["totalCount"], 0);
    }
}
