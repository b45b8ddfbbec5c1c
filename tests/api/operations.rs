//! Every example in `graphql/operations/` runs against the real server, so none can rot.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::collections::Team;
use crate::helpers::TestApp;

fn operation(name: &str) -> String {
    let path = format!(
        "{}/graphql/operations/{name}.graphql",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// Runs an example; it must answer without errors or userErrors.
async fn run(
    app: &TestApp,
    token: &str,
    name: &str,
    variables: Value,
    ran: &mut BTreeSet<String>,
) -> Value {
    let (status, body) = app.graphql(token, &operation(name), variables).await;
    assert_eq!(status, 200, "{name}: {body}");
    assert!(body.get("errors").is_none(), "{name}: {body}");
    let data = body["data"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    if let Some(errors) = data.get("userErrors") {
        assert_eq!(errors, &json!([]), "{name}: {body}");
    }
    ran.insert(name.to_owned());
    data
}

on_both_databases! {
    async fn every_example_operation_runs(app) {
        let team = Team::new(&app, "ornek").await;
        let mut ran = BTreeSet::new();
        run(&app, &team.viewer, "viewer", json!({}), &mut ran).await;
        let customer = run(&app, &team.manager, "createCustomer", json!({"input": {"name": "Örnek Yapı A.Ş.", "taxId": "1234567890", "paymentTermsDays": 30}}), &mut ran).await;
        let customer = customer["customer"]["id"].clone();
        run(&app, &team.manager, "addContact", json!({"input": {"customerId": customer, "name": "Ayşe Kaya", "role": "Muhasebe", "email": "ayse@ornek.com.tr"}}), &mut ran).await;
        run(&app, &team.manager, "updateCustomer", json!({"input": {"id": customer, "phone": "+90 212 555 00 00"}}), &mut ran).await;
        let invoice = run(&app, &team.manager, "createInvoice", json!({"input": {"customerId": customer, "number": "ORN-1", "issueDate": "2026-10-01", "currency": "TRY", "total": "1250.50"}}), &mut ran).await;
        let invoice = invoice["invoice"]["id"].clone();
        let spare = run(&app, &team.manager, "createInvoice", json!({"input": {"customerId": customer, "number": "ORN-2", "issueDate": "2026-11-01", "currency": "TRY", "total": "99.90"}}), &mut ran).await;
        run(&app, &team.collector, "logActivity", json!({"input": {"kind": "CALL", "customerId": customer, "invoiceId": invoice, "note": "Arandı, ödeme sözü alındı."}}), &mut ran).await;
        run(&app, &team.collector, "recordPayment", json!({"input": {"customerId": customer, "amount": "500.00", "currency": "TRY", "method": "BANK_TRANSFER", "reference": "EFT-1"}}), &mut ran).await;
        run(&app, &team.manager, "voidInvoice", json!({"input": {"id": spare["invoice"]["id"], "reason": "Hatalı kesildi"}}), &mut ran).await;
        run(&app, &team.collector, "createPaymentLink", json!({"input": {"invoiceIds": [invoice], "maxInstallments": 6}}), &mut ran).await;
        let customers = run(&app, &team.viewer, "customers", json!({}), &mut ran).await;
        assert_eq!(customers["totalCount"], 1);
        run(&app, &team.viewer, "customer", json!({"id": customer}), &mut ran).await;
        let invoices = run(&app, &team.viewer, "invoices", json!({}), &mut ran).await;
        assert_eq!(invoices["edges"][0]["node"]["balance"]["amount"], "750.50");
        run(&app, &team.viewer, "invoice", json!({"id": invoice}), &mut ran).await;
        run(&app, &team.viewer, "activities", json!({"kinds": ["CALL", "PAYMENT_RECORDED"]}), &mut ran).await;
        run(&app, &team.admin, "createUser", json!({"input": {"email": "yeni@ornek.com.tr", "name": "Yeni Tahsildar", "role": "COLLECTOR"}}), &mut ran).await;
        let options = run(&app, &team.viewer, "installmentOptions", json!({"amount": "1250.50", "currency": "TRY"}), &mut ran).await;
        assert_eq!(options.as_array().unwrap().len(), 6);
        run(&app, &team.manager, "updateInvoice", json!({"input": {"id": invoice, "dueDate": "2026-12-01", "externalRef": "ERP-1"}}), &mut ran).await;
        let payments = run(&app, &team.viewer, "payments", json!({"filter": {"customerId": customer}}), &mut ran).await;
        assert_eq!(payments["totalCount"], 1);
        let links = run(&app, &team.viewer, "paymentLinks", json!({"filter": {"status": ["ACTIVE"]}}), &mut ran).await;
        assert_eq!(links["totalCount"], 1);
        let made = run(&app, &team.collector, "createApiToken", json!({"input": {"name": "Excel"}}), &mut ran).await;
        let tokens = run(&app, &team.collector, "apiTokens", json!({}), &mut ran).await;
        assert_eq!(tokens.as_array().unwrap().len(), 2);
        run(&app, &team.collector, "revokeApiToken", json!({"input": {"id": made["apiToken"]["id"]}}), &mut ran).await;
        let users = run(&app, &team.manager, "users", json!({}), &mut ran).await;
        let viewer = users.as_array().unwrap().iter().find(|user| user["role"] == "VIEWER").unwrap()["id"].clone();
        run(&app, &team.admin, "deactivateUser", json!({"input": {"id": viewer}}), &mut ran).await;
        let opened = run(&app, &team.collector, "openDispute", json!({"input": {"invoiceId": invoice, "reason": "PRICE", "note": "Fiyat farkı"}}), &mut ran).await;
        let disputes = run(&app, &team.manager, "disputes", json!({"filter": {"status": "OPEN"}}), &mut ran).await;
        assert_eq!(disputes["totalCount"], 1);
        let task = run(&app, &team.manager, "createTask", json!({"input": {"kind": "CALL", "customerId": customer, "invoiceIds": [invoice]}}), &mut ran).await;
        let manager_list = run(&app, &team.manager, "worklist", json!({}), &mut ran).await;
        assert_eq!(manager_list.as_array().unwrap().len(), 1);
        run(&app, &team.manager, "reassignTask", json!({"input": {"id": task["task"]["id"], "assigneeId": null}}), &mut ran).await;
        run(&app, &team.manager, "completeTask", json!({"input": {"id": task["task"]["id"], "note": "Arandı"}}), &mut ran).await;
        run(&app, &team.manager, "resolveDispute", json!({"input": {"id": opened["dispute"]["id"], "outcome": "REJECTED"}}), &mut ran).await;
        // (The viewer was deactivated above; the collector reads.)
        run(&app, &team.manager, "setExchangeRates", json!({"input": {"date": "2026-11-20", "rates": [{"currency": "USD", "rate": "42.3881"}, {"currency": "EUR", "rate": "48.9642"}]}}), &mut ran).await;
        let rates = run(&app, &team.collector, "exchangeRates", json!({}), &mut ran).await;
        assert_eq!(rates.as_array().unwrap().len(), 2);
        let aging = run(&app, &team.collector, "aging", json!({"currency": "TRY", "convert": true}), &mut ran).await;
        assert_eq!(aging["total"], "750.50", "{aging}");
        let months = run(&app, &team.manager, "collectionMetrics", json!({"from": "2026-09-01", "to": "2026-11-30", "currency": "TRY", "groupBy": "MONTH"}), &mut ran).await;
        assert_eq!(months.as_array().unwrap().len(), 3);
        run(&app, &team.collector, "cashForecast", json!({"currency": "TRY"}), &mut ran).await;
        let cheque = run(&app, &team.collector, "receiveInstrument", json!({"input": {"customerId": customer, "kind": "CHEQUE", "number": "0042", "bank": "Ziraat Bankası", "drawer": "Ayşe Kaya", "issueDate": "2026-11-23", "maturityDate": "2026-12-31", "amount": "50.00", "currency": "TRY"}}), &mut ran).await;
        run(&app, &team.manager, "depositInstrument", json!({"input": {"id": cheque["instrument"]["id"], "bank": "Garanti BBVA"}}), &mut ran).await;
        let portfolio = run(&app, &team.collector, "instruments", json!({"filter": {"status": ["DEPOSITED"]}}), &mut ran).await;
        assert_eq!(portfolio["totalCount"], 1);
        let reversed = run(&app, &team.manager, "reversePayment", json!({"input": {"paymentId": cheque["instrument"]["payment"]["id"], "reason": "Yanlış kayıt"}}), &mut ran).await;
        assert_eq!(reversed["payment"]["reversed"], true);
        let plan = run(&app, &team.collector, "createPaymentPlan", json!({"input": {"customerId": customer, "invoiceIds": [invoice], "count": 3, "firstDueDate": "2026-12-15", "interval": "MONTHLY", "interestPercent": "4.5", "note": "Üç ay"}}), &mut ran).await;
        assert_eq!(plan["plan"]["total"]["amount"], "784.27", "750.50 plus 4.5 %: {plan}");
        let plans = run(&app, &team.collector, "paymentPlans", json!({"filter": {"status": "ACTIVE"}}), &mut ran).await;
        assert_eq!(plans["totalCount"], 1);
        let one = run(&app, &team.collector, "paymentPlan", json!({"id": plan["plan"]["id"]}), &mut ran).await;
        assert_eq!(one["installments"].as_array().unwrap().len(), 3);
        run(&app, &team.collector, "cancelPaymentPlan", json!({"input": {"id": plan["plan"]["id"], "reason": "Tek seferde ödenecek"}}), &mut ran).await;
        let imported = run(&app, &team.manager, "importCustomers", json!({"input": {"rows": [{"externalRef": "CARI-1", "name": "Logo Cari A.Ş.", "taxId": "1234567890"}]}}), &mut ran).await;
        assert_eq!(imported["created"], 1);
        let imported = run(&app, &team.manager, "importInvoices", json!({"input": {"mode": "ALL_OR_NOTHING", "rows": [{"externalRef": "FAT-1", "customerExternalRef": "CARI-1", "number": "LOGO-1", "issueDate": "2026-11-01", "currency": "TRY", "total": "1250.50"}]}}), &mut ran).await;
        assert_eq!(imported["created"], 1);
        let imported = run(&app, &team.manager, "importPayments", json!({"input": {"rows": [{"reference": "DEKONT-1", "customerExternalRef": "CARI-1", "amount": "250.50", "currency": "TRY", "method": "BANK_TRANSFER", "allocations": [{"invoiceExternalRef": "FAT-1", "amount": "250.50"}]}]}}), &mut ran).await;
        assert_eq!(imported["created"], 1);
        let behaviour = run(&app, &team.collector, "paymentBehaviour", json!({"id": customer}), &mut ran).await;
        assert_eq!(behaviour["invoices"]["edges"][0]["node"]["expectedPaymentDate"], "2026-12-01");

        let hook = run(&app, &team.admin, "createWebhookEndpoint", json!({"input": {"url": "https://erp.ornek.com.tr/tahsilat/webhooks", "eventTypes": ["customer.created", "invoice.paid"], "description": "Logo entegrasyonu"}}), &mut ran).await;
        assert!(hook["secret"].as_str().unwrap().starts_with("whsec_"));
        let hook = hook["endpoint"]["id"].clone();
        run(&app, &team.admin, "updateWebhookEndpoint", json!({"input": {"id": hook, "eventTypes": ["*"]}}), &mut ran).await;
        run(&app, &team.manager, "createCustomer", json!({"input": {"name": "Webhook Müşteri"}}), &mut ran).await;
        let sent = run(&app, &team.admin, "webhookDeliveries", json!({"endpointId": hook}), &mut ran).await;
        assert_eq!(sent["totalCount"], 1, "{sent}");
        run(&app, &team.admin, "redeliverWebhook", json!({"input": {"deliveryId": sent["edges"][0]["node"]["id"]}}), &mut ran).await;
        run(&app, &team.admin, "rotateWebhookSecret", json!({"input": {"id": hook}}), &mut ran).await;
        run(&app, &team.admin, "disableWebhookEndpoint", json!({"input": {"id": hook}}), &mut ran).await;
        let hooks = run(&app, &team.admin, "webhookEndpoints", json!({}), &mut ran).await;
        assert_eq!(hooks["edges"][0]["node"]["enabled"], false);

        let table = run(&app, &team.admin, "setInstallmentRates", json!({"input": {"provider": "sandbox", "payer": "CUSTOMER", "rates": [{"count": 1, "ratePercent": "0"}, {"count": 3, "ratePercent": "4.5"}]}}), &mut ran).await;
        assert_eq!(table["installmentTable"]["rates"][1], json!({"count": 3, "ratePercent": "4.5"}));
        let tables = run(&app, &team.manager, "installmentTables", json!({}), &mut ran).await;
        assert_eq!(tables[0]["custom"], true, "{tables}");
        // A signed payment for a link nobody here knows, assigned by hand.
        let stray = crate::callbacks::event("evt-stray", "payment.succeeded", "sbx_nobody_knows", "99.90", 1);
        let bank = app.state.providers.sandbox().unwrap();
        let signature = bank.sign(tahsilat::clock::Clock::now(&app.clock).timestamp(), &stray);
        assert_eq!(crate::callbacks::post(&app, &signature, stray).await.0, 200);
        let events = run(&app, &team.admin, "providerEvents", json!({"filter": {"outcome": "UNKNOWN_LINK"}}), &mut ran).await;
        assert_eq!(events["totalCount"], 1, "{events}");
        let assigned = run(&app, &team.admin, "assignProviderEvent", json!({"input": {"eventId": events["edges"][0]["node"]["id"], "customerId": customer, "invoiceIds": [invoice]}}), &mut ran).await;
        assert_eq!(assigned["payment"]["amount"]["amount"], "99.90");

        let files: BTreeSet<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/graphql/operations"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "graphql"))
            .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files, ran, "every example in graphql/operations must run here");
    }
}
