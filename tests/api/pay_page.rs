//! The customer's side: the pay page, the sandbox bank's page, and back — over HTTP, as a browser.

use serde_json::json;

use crate::collections::{Team, create_customer, create_invoice, mutate};

const LINK: &str = "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id url } userErrors { code } } }";

use crate::helpers::no_redirects as browser;

on_both_databases! {
    async fn a_customer_pays_through_the_sandbox_bank(app) {
        let team = Team::new(&app, "Anadolu Gıda A.Ş.").await;
        let customer = create_customer(&app, &team.manager, "Ege Zeytincilik").await;
        let invoice = create_invoice(&app, &team.manager, &customer, "INV-2024-0001", "1250.50", "2026-11-13").await;
        let unrelated = create_invoice(&app, &team.manager, &customer, "GIZLI-99", "5.00", "2026-11-13").await;
        let created = mutate(&app, &team.collector, LINK, json!({"invoiceIds": [invoice], "maxInstallments": 3})).await;
        let url = created["paymentLink"]["url"].as_str().unwrap().to_owned();
        let link_id = created["paymentLink"]["id"].clone();
        let browser = browser();

        let turkish = browser.get(&url).send().await.unwrap();
        assert_eq!(turkish.status(), 200);
        let html = turkish.text().await.unwrap();
        for expected in ["Anadolu Gıda A.Ş.", "INV-2024-0001", "1.250,50 TL", "Tek çekim", "3 × "] {
            assert!(html.contains(expected), "{expected:?} missing");
        }
        assert!(!html.contains("GIZLI-99") && !html.contains(&unrelated), "the page shows only what the link covers");
        let english = browser.get(&url).header("accept-language", "en-GB,en;q=0.9,tr;q=0.8").send().await.unwrap().text().await.unwrap();
        assert!(english.contains("TRY 1,250.50") && english.contains("Single payment"));
        assert_eq!(browser.get(app.url("/pay/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).send().await.unwrap().status(), 404);
        assert_eq!(browser.get(app.url("/pay/nope")).send().await.unwrap().status(), 404);

        // Choose 3 installments → the bank's page.
        let chosen = browser.post(&url).form(&[("installments", "3")]).send().await.unwrap();
        assert_eq!(chosen.status(), 303);
        let checkout = chosen.headers()["location"].to_str().unwrap().to_owned();
        assert!(checkout.contains("/sandbox/checkout/") && checkout.ends_with("installments=3"), "{checkout}");
        // An installment count that is not offered just returns to the page.
        let refused = browser.post(&url).form(&[("installments", "12")]).send().await.unwrap();
        assert!(refused.headers()["location"].to_str().unwrap().starts_with("/pay/"));

        let bank_page = browser.get(&checkout).send().await.unwrap().text().await.unwrap();
        assert!(bank_page.contains("TEST") && bank_page.contains("1.300,52 TL"), "1250.50 at 4 % in 3");
        // Decline first: logged, the link stays payable.
        let declined = browser.post(&checkout).form(&[("action", "decline"), ("installments", "3")]).send().await.unwrap();
        assert_eq!(declined.status(), 303);
        assert!(browser.get(&url).send().await.unwrap().text().await.unwrap().contains("Ödemeye geç"));
        // Then approve: back on the pay page, which says it is paid.
        let approved = browser.post(&checkout).form(&[("action", "approve"), ("installments", "3")]).send().await.unwrap();
        assert_eq!(approved.status(), 303);
        let back = approved.headers()["location"].to_str().unwrap().to_owned();
        let paid_page = browser.get(app.url(&back)).send().await.unwrap().text().await.unwrap();
        assert!(paid_page.contains("data-status=\"PAID\""), "{paid_page}");

        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { paymentLink(id: $id) { status payment { amount { amount } charged { amount } installmentCount } invoices { status } } }", json!({"id": link_id})).await;
        assert_eq!(body["data"]["paymentLink"], json!({
            "status": "PAID",
            "payment": {"amount": {"amount": "1250.50"}, "charged": {"amount": "1300.52"}, "installmentCount": 3},
            "invoices": [{"status": "PAID"}]
        }));
        let (_, body) = app.graphql(&team.viewer, "{ activities(first: 10, filter: {kinds: [PAYMENT_RECEIVED, PAYMENT_FAILED]}) { edges { node { kind actorLabel } } } }", json!({})).await;
        assert_eq!(body["data"]["activities"]["edges"], json!([
            {"node": {"kind": "PAYMENT_RECEIVED", "actorLabel": "sandbox"}},
            {"node": {"kind": "PAYMENT_FAILED", "actorLabel": "sandbox"}}
        ]));
    }

    async fn expired_and_cancelled_links_show_their_state(app) {
        let team = Team::new(&app, "acme").await;
        let customer = create_customer(&app, &team.manager, "Kuzey Ambalaj").await;
        let first = create_invoice(&app, &team.manager, &customer, "K-1", "10.00", "2026-11-13").await;
        let second = create_invoice(&app, &team.manager, &customer, "K-2", "10.00", "2026-11-13").await;
        let short = mutate(&app, &team.collector, LINK, json!({"invoiceIds": [first], "expiresInHours": 1})).await;
        let cancelled = mutate(&app, &team.collector, LINK, json!({"invoiceIds": [second]})).await;
        mutate(&app, &team.collector, "mutation($input: CancelPaymentLinkInput!) { cancelPaymentLink(input: $input) { userErrors { code } } }", json!({"id": cancelled["paymentLink"]["id"]})).await;
        let browser = browser();
        let page = browser.get(cancelled["paymentLink"]["url"].as_str().unwrap()).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("data-status=\"CANCELLED\"") && !page.contains("<form"));
        app.clock.advance(chrono::Duration::hours(2));
        let url = short["paymentLink"]["url"].as_str().unwrap();
        let page = browser.get(url).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("data-status=\"EXPIRED\"") && !page.contains("<form"));
        let posted = browser.post(url).form(&[("installments", "1")]).send().await.unwrap();
        assert!(posted.headers()["location"].to_str().unwrap().starts_with("/pay/"), "no way to the bank");

        // The expiry job records what the page already shows, once.
        assert_eq!(tahsilat::jobs::expiry::expire_links(&app.state).await.unwrap(), 1);
        assert_eq!(tahsilat::jobs::expiry::expire_links(&app.state).await.unwrap(), 0);
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { paymentLink(id: $id) { status } }", json!({"id": short["paymentLink"]["id"]})).await;
        assert_eq!(body["data"]["paymentLink"]["status"], "EXPIRED");
    }
}

on_both_databases! {
    async fn a_customer_promises_or_disputes_from_the_pay_page(app) {
        let team = Team::new(&app, "acme").await;
        let other = Team::new(&app, "rakip").await;
        let (_, me) = app.graphql(&team.collector, "{ viewer { id } }", json!({})).await;
        let made = mutate(&app, &team.manager, "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }", json!({"name": "Yanıt Ltd", "assignedCollectorId": me["data"]["viewer"]["id"]})).await;
        let customer = made["customer"]["id"].as_str().unwrap().to_owned();
        let first = create_invoice(&app, &team.manager, &customer, "R-1", "300.00", "2026-11-13").await;
        let second = create_invoice(&app, &team.manager, &customer, "R-2", "200.00", "2026-11-14").await;
        let outside = create_invoice(&app, &team.manager, &customer, "R-3", "50.00", "2026-11-14").await;
        let theirs = create_customer(&app, &other.manager, "Başka").await;
        create_invoice(&app, &other.manager, &theirs, "X-1", "10.00", "2026-11-14").await;
        let created = mutate(&app, &team.collector, LINK, json!({"invoiceIds": [first, second]})).await;
        let url = created["paymentLink"]["url"].as_str().unwrap().to_owned();
        let browser = browser();
        let html = browser.get(&url).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Şimdi ödeyemiyor musunuz?") && html.contains("action=\"/pay/"), "the page offers both answers");

        // A date too far ahead, in the past, or missing is refused and records nothing.
        for date in ["2026-12-24", "2026-11-01", ""] {
            let refused = browser.post(format!("{url}/promise")).form(&[("date", date)]).send().await.unwrap();
            assert_eq!(refused.status(), 422, "{date}");
        }
        let promised = browser.post(format!("{url}/promise")).form(&[("date", "2026-12-01"), ("note", "Maaşlar yatınca")]).send().await.unwrap();
        assert_eq!(promised.status(), 200);
        assert!(promised.text().await.unwrap().contains("Ödeme sözünüzü kaydettik"));
        let again = browser.post(format!("{url}/promise")).form(&[("date", "2026-12-02")]).send().await.unwrap();
        assert_eq!(again.status(), 409, "one open promise at a time");
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { promises(filter: {customerId: $id}) { edges { node { status promisedDate amount { amount } createdByLabel invoices { number } } } } }", json!({"id": customer})).await;
        assert_eq!(body["data"]["promises"]["edges"][0]["node"], json!({"status": "OPEN", "promisedDate": "2026-12-01", "amount": {"amount": "500.00"}, "createdByLabel": "customer", "invoices": [{"number": "R-1"}, {"number": "R-2"}]}), "{body}");

        // A dispute reaches only the link's own invoices.
        for invoice in ["R-3", "X-1"] {
            let refused = browser.post(format!("{url}/dispute")).form(&[("invoice", invoice), ("reason", "PRICE")]).send().await.unwrap();
            assert_eq!(refused.status(), 422, "{invoice}");
        }
        let bad_reason = browser.post(format!("{url}/dispute")).form(&[("invoice", "R-2"), ("reason", "ANGRY")]).send().await.unwrap();
        assert_eq!(bad_reason.status(), 422);
        let disputed = browser.post(format!("{url}/dispute")).form(&[("invoice", "R-2"), ("reason", "QUANTITY"), ("note", "10 koli eksik geldi")]).send().await.unwrap();
        assert_eq!(disputed.status(), 200);
        let twice = browser.post(format!("{url}/dispute")).form(&[("invoice", "R-2"), ("reason", "QUANTITY")]).send().await.unwrap();
        assert_eq!(twice.status(), 422, "already disputed");
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { invoice(id: $id) { disputed disputes { status reason note } } }", json!({"id": second})).await;
        assert_eq!(body["data"]["invoice"], json!({"disputed": true, "disputes": [{"status": "OPEN", "reason": "QUANTITY", "note": "10 koli eksik geldi"}]}), "{body}");
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { invoice(id: $id) { disputed } }", json!({"id": outside})).await;
        assert_eq!(body["data"]["invoice"]["disputed"], false);

        // Both replies are on the collector's worklist.
        let (_, list) = app.graphql(&team.collector, "{ worklist { source kind invoices { number } } }", json!({})).await;
        let replies: Vec<(String, String)> = list["data"]["worklist"].as_array().unwrap().iter().map(|task| (task["source"].as_str().unwrap().to_owned(), task["kind"].as_str().unwrap().to_owned())).collect();
        assert_eq!(replies, [("CUSTOMER_REPLY".to_owned(), "FOLLOW_UP".to_owned()), ("CUSTOMER_REPLY".to_owned(), "REVIEW".to_owned())], "{list}");
        let (_, log) = app.graphql(&team.viewer, "query($id: ID!) { activities(filter: {customerId: $id, kinds: [PROMISE_MADE, DISPUTE_OPENED]}) { edges { node { kind actorLabel } } } }", json!({"id": customer})).await;
        let actors: Vec<&str> = log["data"]["activities"]["edges"].as_array().unwrap().iter().map(|edge| edge["node"]["actorLabel"].as_str().unwrap()).collect();
        assert_eq!(actors, ["customer", "customer"], "{log}");

        // An unknown token answers 404 and records nothing.
        let unknown = browser.post(app.url("/pay/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/promise")).form(&[("date", "2026-12-01")]).send().await.unwrap();
        assert_eq!(unknown.status(), 404);
    }
}
