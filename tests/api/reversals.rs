//! Reversing a payment (a bounced cheque, a chargeback, a mistaken entry): the payment stays,
//! marked; its invoices are owed again; reports as of earlier days still count it.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use crate::collections::{Team, create_customer, mutate};

const CREATE_INVOICE: &str = "mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { invoice { id } userErrors { code } } }";
const RECORD_PAYMENT: &str = "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id } userErrors { field code message } } }";
const REVERSE: &str = "mutation($input: ReversePaymentInput!) { reversePayment(input: $input) { payment { id reversed reversedAt reversalReason reversedBy { email } amount { amount } } userErrors { field code message } } }";
const INVOICES: &str = "query($id: ID!) { customer(id: $id) { invoices(first: 10) { edges { node { number status paidAmount { amount } balance { amount } } } } } }";

fn codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["code"].as_str().unwrap().to_owned())
        .collect()
}

on_both_databases! {
    async fn reversing_a_payment_over_two_invoices_reopens_them_and_keeps_history(app) {
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap());
        let team = Team::new(&app, "iade").await;
        let customer = create_customer(&app, &team.manager, "Karşılıksız Ticaret").await;
        for (number, due, total) in [("A", "2026-11-10", "1000.00"), ("B", "2026-11-20", "500.00")] {
            let made = mutate(&app, &team.manager, CREATE_INVOICE, json!({"customerId": customer, "number": number, "issueDate": "2026-10-01", "dueDate": due, "currency": "TRY", "total": total})).await;
            assert_eq!(made["userErrors"], json!([]));
        }
        // 1,200 oldest due first: A in full, 200 of B; then 100 more on B.
        let cheque = mutate(&app, &team.collector, RECORD_PAYMENT, json!({"customerId": customer, "amount": "1200.00", "currency": "TRY", "method": "CHEQUE", "receivedAt": "2026-11-15T09:00:00Z", "reference": "ÇEK-0042"})).await;
        let cheque = cheque["payment"]["id"].as_str().unwrap().to_owned();
        mutate(&app, &team.collector, RECORD_PAYMENT, json!({"customerId": customer, "amount": "100.00", "currency": "TRY", "method": "BANK_TRANSFER", "receivedAt": "2026-11-25T09:00:00Z"})).await;
        let statuses = |body: Value| -> Vec<(String, String, String)> {
            body["data"]["customer"]["invoices"]["edges"].as_array().unwrap().iter().map(|edge| {
                let node = &edge["node"];
                (node["number"].as_str().unwrap().to_owned(), node["status"].as_str().unwrap().to_owned(), node["balance"]["amount"].as_str().unwrap().to_owned())
            }).collect()
        };
        let (_, body) = app.graphql(&team.viewer, INVOICES, json!({"id": customer})).await;
        assert_eq!(statuses(body), vec![("A".into(), "PAID".into(), "0.00".into()), ("B".into(), "PARTIALLY_PAID".into(), "200.00".into())]);

        // Refused, and nothing changes: a collector; another organization; bad input.
        let (_, body) = app.graphql(&team.collector, REVERSE, json!({"input": {"paymentId": cheque, "reason": "karşılıksız"}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        let stranger = Team::new(&app, "iade-stranger").await;
        let payload = mutate(&app, &stranger.manager, REVERSE, json!({"paymentId": cheque, "reason": "karşılıksız"})).await;
        assert_eq!(codes(&payload), ["NOT_FOUND"]);
        let payload = mutate(&app, &team.manager, REVERSE, json!({"paymentId": cheque, "reason": "  "})).await;
        assert_eq!(codes(&payload), ["REQUIRED"]);
        let payload = mutate(&app, &team.manager, REVERSE, json!({"paymentId": cheque, "reason": "karşılıksız", "reversedAt": "2026-11-14T09:00:00Z"})).await;
        assert_eq!(codes(&payload), ["BEFORE_RECEIVED"]);
        let payload = mutate(&app, &team.manager, REVERSE, json!({"paymentId": cheque, "reason": "karşılıksız", "reversedAt": "2026-12-25T09:00:00Z"})).await;
        assert_eq!(codes(&payload), ["IN_FUTURE"]);
        let payload = mutate(&app, &team.manager, REVERSE, json!({"paymentId": cheque, "reason": "bad\u{0007}text"})).await;
        assert_eq!(codes(&payload), ["INVALID_TEXT"]);
        let (_, body) = app.graphql(&team.viewer, INVOICES, json!({"id": customer})).await;
        assert_eq!(statuses(body)[0].1, "PAID");

        // The cheque bounced on 20 November.
        let reversed = mutate(&app, &team.manager, REVERSE, json!({"paymentId": cheque, "reason": "Karşılıksız çek", "reversedAt": "2026-11-20T10:00:00Z"})).await;
        assert_eq!(reversed["userErrors"], json!([]), "{reversed}");
        let payment = &reversed["payment"];
        assert_eq!((payment["reversed"].clone(), payment["reversedAt"].clone(), payment["reversalReason"].clone()), (json!(true), json!("2026-11-20T10:00:00Z"), json!("Karşılıksız çek")));
        assert_eq!((payment["reversedBy"]["email"].clone(), payment["amount"]["amount"].clone()), (json!("manager@iade.com.tr"), json!("1200.00")), "the payment stays, whole");
        let (_, body) = app.graphql(&team.viewer, INVOICES, json!({"id": customer})).await;
        assert_eq!(statuses(body), vec![("A".into(), "OPEN".into(), "1000.00".into()), ("B".into(), "PARTIALLY_PAID".into(), "400.00".into())]);
        // Twice is refused.
        let again = mutate(&app, &team.manager, REVERSE, json!({"paymentId": cheque, "reason": "again"})).await;
        assert_eq!(codes(&again), ["ALREADY_REVERSED"]);

        // The history says so.
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { customer(id: $id) { activities(first: 1) { edges { node { kind note data actorLabel } } } } }", json!({"id": customer})).await;
        let latest = &body["data"]["customer"]["activities"]["edges"][0]["node"];
        assert_eq!((latest["kind"].clone(), latest["note"].clone(), latest["actorLabel"].clone()), (json!("PAYMENT_REVERSED"), json!("Karşılıksız çek"), json!("manager@iade.com.tr")), "{body}");
        assert_eq!(latest["data"]["invoices"], json!(["A", "B"]));

        // Reports as of a day before the reversal still count the cheque; after it, not.
        let total = |as_of: &'static str| {
            let app = &app;
            let token = team.viewer.clone();
            async move {
                let (_, body) = app.graphql(&token, "query($asOf: Date) { aging(asOf: $asOf, currency: \"TRY\") { total } }", json!({"asOf": as_of})).await;
                body["data"]["aging"]["total"].as_str().unwrap().to_owned()
            }
        };
        assert_eq!(total("2026-11-18").await, "300.00");
        assert_eq!(total("2026-11-22").await, "1500.00");
        assert_eq!(total("2026-12-05").await, "1400.00");
        let (_, body) = app.graphql(&team.manager, "{ collectionMetrics(from: \"2026-11-01\", to: \"2026-11-30\", currency: \"TRY\") { cashCollected arEnd } }", json!({})).await;
        assert_eq!(body["data"]["collectionMetrics"][0], json!({"cashCollected": "100.00", "arEnd": "1400.00"}), "{body}");

        // A payment dated before the reversal would count beside the bounced cheque in reports
        // of the days between: refused. On or after the reversal day it is taken.
        let early = mutate(&app, &team.collector, RECORD_PAYMENT, json!({"customerId": customer, "amount": "1000.00", "currency": "TRY", "method": "BANK_TRANSFER", "receivedAt": "2026-11-18T09:00:00Z"})).await;
        assert_eq!(codes(&early), ["BEFORE_REVERSAL"], "{early}");
        let later = mutate(&app, &team.collector, RECORD_PAYMENT, json!({"customerId": customer, "amount": "1000.00", "currency": "TRY", "method": "BANK_TRANSFER", "receivedAt": "2026-11-21T09:00:00Z"})).await;
        assert_eq!(later["userErrors"], json!([]), "{later}");
        let (_, body) = app.graphql(&team.viewer, INVOICES, json!({"id": customer})).await;
        assert_eq!(statuses(body)[0], ("A".into(), "PAID".into(), "0.00".into()));
        assert_eq!(total("2026-11-22").await, "500.00");
    }
}

on_both_databases! {
    with crate::callbacks::spawn;
    async fn a_card_chargeback_keeps_the_provider_reference(app) {
        use crate::callbacks::{LINK_STATE, event, link, send};
        let team = Team::new(&app, "chargeback").await;
        let customer = create_customer(&app, &team.manager, "Kartlı Ödeyen").await;
        let invoice = crate::collections::create_invoice(&app, &team.manager, &customer, "K-1", "250.00", "2026-11-30").await;
        let (link_id, provider_link) = link(&app, &team, json!({"invoiceIds": [invoice]})).await;
        let (status, _) = send(&app, event("evt-card", "payment.succeeded", &provider_link, "250.00", 1)).await;
        assert_eq!(status, 200);
        let (_, body) = app.graphql(&team.viewer, LINK_STATE, json!({"id": link_id})).await;
        let (_, payments) = app.graphql(&team.viewer, "{ payments(first: 1) { edges { node { id } } } }", json!({})).await;
        let payment = payments["data"]["payments"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
        assert_eq!(body["data"]["paymentLink"]["payment"]["providerTransactionId"], "txn-evt-card");

        let reversed = mutate(&app, &team.manager, REVERSE, json!({"paymentId": payment, "reason": "Chargeback (itiraz)"})).await;
        assert_eq!(reversed["userErrors"], json!([]), "{reversed}");
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { payment(id: $id) { reversed method provider providerTransactionId } }", json!({"id": payment})).await;
        assert_eq!(body["data"]["payment"], json!({"reversed": true, "method": "CARD", "provider": "sandbox", "providerTransactionId": "txn-evt-card"}), "{body}");
        let (_, body) = app.graphql(&team.viewer, crate::callbacks::INVOICE, json!({"id": invoice})).await;
        assert_eq!(body["data"]["invoice"]["status"], "OPEN", "{body}");
        // The same bank report again changes nothing: no second payment, still reversed.
        let (status, _) = send(&app, event("evt-card", "payment.succeeded", &provider_link, "250.00", 1)).await;
        assert_eq!(status, 200);
        let (_, body) = app.graphql(&team.viewer, "{ payments(first: 5) { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["payments"]["totalCount"], 1);
    }
}

on_both_databases! {
    async fn a_reversed_payment_keeps_no_promise(app) {
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap());
        let team = Team::new(&app, "promise-back").await;
        let customer = create_customer(&app, &team.manager, "Söz Veren").await;
        let made = mutate(&app, &team.manager, CREATE_INVOICE, json!({"customerId": customer, "number": "S-1", "issueDate": "2026-10-01", "dueDate": "2026-11-01", "currency": "TRY", "total": "300.00"})).await;
        let invoice = made["invoice"]["id"].as_str().unwrap().to_owned();
        let promised = mutate(&app, &team.collector, "mutation($input: CreatePromiseInput!) { createPromise(input: $input) { promise { id } userErrors { code } } }", json!({"customerId": customer, "invoiceIds": [invoice], "amount": "300.00", "currency": "TRY", "promisedDate": "2026-12-05"})).await;
        let promise = promised["promise"]["id"].as_str().unwrap().to_owned();
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap());
        let paid = mutate(&app, &team.collector, RECORD_PAYMENT, json!({"customerId": customer, "amount": "300.00", "currency": "TRY", "method": "CHEQUE"})).await;
        let payment = paid["payment"]["id"].as_str().unwrap().to_owned();
        let reversed = mutate(&app, &team.manager, REVERSE, json!({"paymentId": payment, "reason": "Karşılıksız çek"})).await;
        assert_eq!(reversed["userErrors"], json!([]));

        let status = || async {
            let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { customer(id: $id) { promises { id status } } }", json!({"id": customer})).await;
            body["data"]["customer"]["promises"].as_array().unwrap().iter().find(|p| p["id"] == promise.as_str()).unwrap()["status"].clone()
        };
        tahsilat::services::promises::settle_due(&app.state).await.unwrap();
        assert_eq!(status().await, "OPEN", "the bounced cheque does not keep it");
        // Unpaid past the date and the grace days: broken.
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 8, 10, 0, 0).unwrap());
        tahsilat::services::promises::settle_due(&app.state).await.unwrap();
        assert_eq!(status().await, "BROKEN");
    }
}
