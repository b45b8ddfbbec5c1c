//! The customer's side: the pay page, the sandbox bank's page, and back — over HTTP, as a browser.

use serde_json::json;

use crate::collections::{Team, create_customer, create_invoice, mutate};

const LINK: &str = "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id url } userErrors { code } } }";

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

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
