//! Payment links: which invoices may go on one, for how much, and their life until paid.

use serde_json::{Value, json};

use crate::collections::{Team, create_customer, create_invoice, mutate};

const CREATE: &str = "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id url providerUrl provider providerLinkId status maxInstallments amount { amount currency } invoices { number } customer { name } expiresAt installmentOptions { count ratePercent total { amount } perInstallment { amount } firstInstallment { amount } } } userErrors { field code message } } }";
const CANCEL: &str = "mutation($input: CancelPaymentLinkInput!) { cancelPaymentLink(input: $input) { paymentLink { status } userErrors { code } } }";

fn codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

on_both_databases! {
    async fn a_link_covers_open_invoices_of_one_customer(app) {
        let team = Team::new(&app, "acme").await;
        let customer = create_customer(&app, &team.manager, "Ege Zeytincilik").await;
        let other = create_customer(&app, &team.manager, "Toros Kimya").await;
        let older = create_invoice(&app, &team.manager, &customer, "E-1", "1000.00", "2026-11-01").await;
        let newer = create_invoice(&app, &team.manager, &customer, "E-2", "250.50", "2026-11-20").await;
        let others = create_invoice(&app, &team.manager, &other, "T-1", "10.00", "2026-11-01").await;

        let created = mutate(&app, &team.collector, CREATE, json!({"invoiceIds": [newer, older], "maxInstallments": 3})).await;
        assert_eq!(created["userErrors"], json!([]), "{created}");
        let link = &created["paymentLink"];
        assert_eq!(link["status"], "ACTIVE");
        assert_eq!(link["provider"], "sandbox");
        assert_eq!(link["amount"], json!({"amount": "1250.50", "currency": "TRY"}));
        assert_eq!(link["invoices"], json!([{"number": "E-1"}, {"number": "E-2"}]), "oldest due first");
        assert_eq!(link["expiresAt"], "2026-11-30T09:30:00Z", "a week from now");
        let url = link["url"].as_str().unwrap();
        let token = url.rsplit('/').next().unwrap();
        assert!(url.starts_with("http://127.0.0.1:") && url.contains("/pay/") && token.len() == 32, "{url}");
        assert!(link["providerUrl"].as_str().unwrap().contains("/sandbox/checkout/"));
        let options = link["installmentOptions"].as_array().unwrap();
        assert_eq!(options.iter().map(|o| o["count"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2, 3]);
        // 1250.50 at 4 % in 3: 1300.52 = 433.50 + 433.50 + 433.52.
        assert_eq!(options[2]["total"]["amount"], "1300.52");
        assert_eq!(options[2]["perInstallment"]["amount"], "433.50");
        assert_eq!(options[2]["firstInstallment"]["amount"], "433.52");

        let partial = mutate(&app, &team.collector, CREATE, json!({"invoiceIds": [older], "amount": "400.00"})).await;
        assert_eq!(partial["paymentLink"]["amount"]["amount"], "400.00");
        for (input, code) in [
            (json!({"invoiceIds": [older], "amount": "1000.01"}), "AMOUNT_EXCEEDS_BALANCE"),
            (json!({"invoiceIds": [older], "amount": "1.005"}), "TOO_MANY_DECIMALS"),
            (json!({"invoiceIds": [older, others]}), "INVOICES_OF_DIFFERENT_CUSTOMERS"),
            (json!({"invoiceIds": []}), "REQUIRED"),
            (json!({"invoiceIds": [older], "maxInstallments": 13}), "OUT_OF_RANGE"),
            (json!({"invoiceIds": [older], "expiresInHours": 0}), "OUT_OF_RANGE"),
            (json!({"invoiceIds": [older], "provider": "paytr"}), "PROVIDER_UNAVAILABLE"),
            (json!({"invoiceIds": ["01a20aa9-0000-7000-8000-000000000000"]}), "NOT_FOUND"),
        ] {
            let payload = mutate(&app, &team.collector, CREATE, input.clone()).await;
            assert_eq!(codes(&payload), [code], "{input}: {payload}");
        }

        // Paid and void invoices cannot go on a link.
        let pay = "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { userErrors { code } } }";
        mutate(&app, &team.collector, pay, json!({"customerId": other, "amount": "10.00", "currency": "TRY", "method": "CASH"})).await;
        assert_eq!(codes(&mutate(&app, &team.collector, CREATE, json!({"invoiceIds": [others]})).await), ["INVOICE_PAID"]);
        let void = "mutation($input: VoidInvoiceInput!) { voidInvoice(input: $input) { userErrors { code } } }";
        let spare = create_invoice(&app, &team.manager, &other, "T-2", "10.00", "2026-11-01").await;
        mutate(&app, &team.manager, void, json!({"id": spare, "reason": "hata"})).await;
        assert_eq!(codes(&mutate(&app, &team.collector, CREATE, json!({"invoiceIds": [spare]})).await), ["INVOICE_VOID"]);

        // The invoice lists its links; the customer's log has the creation.
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { invoice(id: $id) { paymentLinks { amount { amount } status } } }", json!({"id": older})).await;
        assert_eq!(body["data"]["invoice"]["paymentLinks"].as_array().unwrap().len(), 2, "{body}");
        let (_, body) = app.graphql(&team.viewer, "{ activities(first: 5, filter: {kinds: [PAYMENT_LINK_CREATED]}) { totalCount edges { node { actorLabel data } } } }", json!({})).await;
        assert_eq!(body["data"]["activities"]["totalCount"], 2);
        assert_eq!(body["data"]["activities"]["edges"][1]["node"]["data"]["maxInstallments"], 3);
    }

    async fn links_are_cancelled_once_and_only_by_collectors(app) {
        let team = Team::new(&app, "acme").await;
        let rival = Team::new(&app, "rival").await;
        let customer = create_customer(&app, &team.manager, "Kuzey Ambalaj").await;
        let invoice = create_invoice(&app, &team.manager, &customer, "K-1", "99.90", "2026-11-01").await;
        let (_, body) = app.graphql(&team.viewer, CREATE, json!({"input": {"invoiceIds": [invoice]}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        let created = mutate(&app, &team.collector, CREATE, json!({"invoiceIds": [invoice]})).await;
        let link = created["paymentLink"]["id"].clone();

        // Another organization sees nothing and cancels nothing.
        let (_, body) = app.graphql(&rival.admin, "query($id: ID!) { paymentLink(id: $id) { id } }", json!({"id": link})).await;
        assert_eq!(body["data"]["paymentLink"], Value::Null);
        assert_eq!(codes(&mutate(&app, &rival.admin, CANCEL, json!({"id": link})).await), ["NOT_FOUND"]);

        let cancelled = mutate(&app, &team.collector, CANCEL, json!({"id": link})).await;
        assert_eq!(cancelled["paymentLink"]["status"], "CANCELLED");
        assert_eq!(codes(&mutate(&app, &team.collector, CANCEL, json!({"id": link})).await), ["NOT_ACTIVE"]);
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { paymentLink(id: $id) { status invoices { number } customer { name } } }", json!({"id": link})).await;
        assert_eq!(body["data"]["paymentLink"], json!({"status": "CANCELLED", "invoices": [{"number": "K-1"}], "customer": {"name": "Kuzey Ambalaj"}}));
        let (_, body) = app.graphql(&team.viewer, "{ activities(first: 5, filter: {kinds: [PAYMENT_LINK_CANCELLED]}) { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["activities"]["totalCount"], 1);
    }
}
