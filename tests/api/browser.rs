//! End to end in a real headless browser (Debian's chromium and chromium-driver, spoken to over
//! the W3C WebDriver protocol): the pay page → the sandbox bank's Approve → back on the pay page,
//! which shows the invoice paid. Skips, saying why, where no browser is installed.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::collections::{Team, create_customer, create_invoice, mutate};
use crate::helpers::{Backend, TestApp};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver, stopped when dropped.
struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Ends the browser session, so Chromium exits along with chromedriver.
    async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }

    async fn start(profile: &std::path::Path) -> Option<Driver> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut driver = Driver {
            child,
            base,
            http,
            session: String::new(),
        };
        for _ in 0..100 {
            if driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM,
            "prefs": {"intl.accept_languages": "tr-TR,tr"},
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=412,915", "--lang=tr-TR",
                     format!("--user-data-dir={}", profile.display())]
        }}}});
        let session: Value = driver
            .http
            .post(format!("{}/session", driver.base))
            .json(&capabilities)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        driver.session = session["value"]["sessionId"].as_str()?.to_owned();
        Some(driver)
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = self.http.request(method.clone(), url);
        let request = if method == reqwest::Method::GET {
            request
        } else {
            request.json(&body)
        };
        let response = request.send().await.unwrap();
        response.json::<Value>().await.unwrap()["value"].clone()
    }

    async fn open(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({"url": url}))
            .await;
    }

    async fn click(&self, css: &str) {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        let id = found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned();
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    /// Runs JavaScript in the page (to set a date input, whose typed format depends on locale).
    async fn script(&self, js: &str) {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": js, "args": []}),
        )
        .await;
    }

    /// The page's source once it contains `needle` (or after five seconds, as it is then).
    async fn wait_for(&self, needle: &str) -> String {
        let mut page = String::new();
        for _ in 0..50 {
            page = self.source().await;
            if page.contains(needle) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        page
    }

    async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn screenshot(&self, path: &std::path::Path) {
        let png = self
            .call(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        if let Some(data) = png
            .as_str()
            .and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok())
        {
            let _ = std::fs::write(path, data);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_pays_in_a_real_browser() {
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        eprintln!("skipped: no browser here (install Debian's chromium and chromium-driver)");
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let team = Team::new(&app, "Demo Ticaret A.Ş.").await;
    let customer = create_customer(&app, &team.manager, "Ege Zeytincilik").await;
    let invoice = create_invoice(
        &app,
        &team.manager,
        &customer,
        "DT2026000010",
        "1250.50",
        "2026-11-13",
    )
    .await;
    let created = mutate(&app, &team.collector, "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { url } userErrors { code } } }", json!({"invoiceIds": [invoice], "maxInstallments": 3})).await;
    let url = created["paymentLink"]["url"].as_str().unwrap().to_owned();

    let profile = tempfile::tempdir().unwrap();
    let Some(driver) = Driver::start(profile.path()).await else {
        eprintln!("skipped: chromedriver did not start a browser session");
        return;
    };
    driver.open(&url).await;
    let page = driver.source().await;
    assert!(
        page.contains("1.250,50 TL") || page.contains("TRY 1,250.50"),
        "{page}"
    );
    driver
        .screenshot(&app.database.dir.path().join("pay.png"))
        .await;
    driver.click("input[name=installments][value='3']").await;
    driver.click("button[type=submit]").await;
    // The pay page carries the TEST banner too: wait for the bank's own buttons.
    let bank = driver.wait_for("id=\"approve\"").await;
    assert!(
        bank.contains("id=\"approve\"")
            && bank.contains("TEST")
            && (bank.contains("1.300,52 TL") || bank.contains("TRY 1,300.52")),
        "{bank}"
    );
    driver.click("#approve").await;
    let paid = driver.wait_for("data-status=\"PAID\"").await;
    driver
        .screenshot(&app.database.dir.path().join("paid.png"))
        .await;
    if let Ok(dir) = std::env::var("TAHSILAT_SCREENSHOTS") {
        for name in ["pay.png", "paid.png"] {
            let _ = std::fs::copy(
                app.database.dir.path().join(name),
                std::path::Path::new(&dir).join(name),
            );
        }
    }
    // Ending the session closes Chromium; killing chromedriver alone would leave it running.
    driver.quit().await;
    assert!(paid.contains("data-status=\"PAID\""), "{paid}");

    let (_, body) = app
        .graphql(
            &team.viewer,
            "query($id: ID!) { invoice(id: $id) { status } }",
            json!({"id": invoice}),
        )
        .await;
    assert_eq!(body["data"]["invoice"]["status"], "PAID");
    let (_, body) = app.graphql(&team.viewer, "{ activities(first: 1, filter: {kinds: [PAYMENT_RECEIVED]}) { edges { node { actorLabel data } } } }", json!({})).await;
    assert_eq!(
        body["data"]["activities"]["edges"][0]["node"]["data"]["installmentCount"],
        3
    );
}

/// A bank's NestPay POS: the pay page posts the signed form to the (stand-in) bank by its own
/// script, the bank's page approves, and the browser comes back to the pay page, paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_pays_through_a_bank_gateway_in_a_real_browser() {
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        eprintln!("skipped: no browser here (install Debian's chromium and chromium-driver)");
        return;
    }
    let (gateway, bank) = crate::nestpay::stand_in().await;
    let app = crate::nestpay::spawn(Backend::Sqlite, &gateway)
        .await
        .unwrap();
    let team = Team::new(&app, "Demo Ticaret A.Ş.").await;
    let customer = create_customer(&app, &team.manager, "Ege Zeytincilik").await;
    let invoice = create_invoice(
        &app,
        &team.manager,
        &customer,
        "DT2026000011",
        "1250.50",
        "2026-11-13",
    )
    .await;
    let created = mutate(&app, &team.collector, "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { url } userErrors { code } } }", json!({"invoiceIds": [invoice], "maxInstallments": 6})).await;
    let url = created["paymentLink"]["url"].as_str().unwrap().to_owned();

    let profile = tempfile::tempdir().unwrap();
    let Some(driver) = Driver::start(profile.path()).await else {
        eprintln!("skipped: chromedriver did not start a browser session");
        return;
    };
    driver.open(&url).await;
    driver.click("input[name=installments][value='6']").await;
    driver.click("button[type=submit]").await;
    // Our page's script submits the form to the bank; the bank's page shows what it was sent.
    let at_bank = driver.wait_for("id=\"approve\"").await;
    driver.click("#approve").await;
    let paid = driver.wait_for("data-status=\"PAID\"").await;
    driver.quit().await;
    assert!(at_bank.contains("1313.03 TL, 6 taksit"), "{at_bank}");
    assert!(paid.contains("data-status=\"PAID\""), "{paid}");
    assert_eq!(bank.lock().unwrap().bad_hashes, 0);
    let (_, body) = app
        .graphql(
            &team.viewer,
            "query($id: ID!) { invoice(id: $id) { status payments { charged { amount } installmentCount provider } } }",
            json!({"id": invoice}),
        )
        .await;
    assert_eq!(
        body["data"]["invoice"],
        json!({"status": "PAID", "payments": [{"charged": {"amount": "1313.03"}, "installmentCount": 6, "provider": "nestpay"}]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_promises_and_disputes_in_a_real_browser() {
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        eprintln!("skipped: no browser here (install Debian's chromium and chromium-driver)");
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let team = Team::new(&app, "Demo Ticaret A.Ş.").await;
    let customer = create_customer(&app, &team.manager, "Ege Zeytincilik").await;
    let first = create_invoice(
        &app,
        &team.manager,
        &customer,
        "DT-1",
        "800.00",
        "2026-11-13",
    )
    .await;
    let second = create_invoice(
        &app,
        &team.manager,
        &customer,
        "DT-2",
        "450.50",
        "2026-11-14",
    )
    .await;
    let created = mutate(&app, &team.collector, "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { url } userErrors { code } } }", json!({"invoiceIds": [first, second]})).await;
    let url = created["paymentLink"]["url"].as_str().unwrap().to_owned();

    let profile = tempfile::tempdir().unwrap();
    let Some(driver) = Driver::start(profile.path()).await else {
        eprintln!("skipped: chromedriver did not start a browser session");
        return;
    };
    driver.open(&url).await;
    driver.wait_for("id=\"promise\"").await;
    driver
        .script("document.querySelector('#promise input[name=date]').value = '2026-12-04';")
        .await;
    driver.click("#promise button[type=submit]").await;
    let thanks = driver.wait_for("id=\"reply\"").await;
    driver
        .screenshot(&app.database.dir.path().join("promised.png"))
        .await;

    driver.open(&url).await;
    driver.wait_for("id=\"dispute\"").await;
    driver.script("document.querySelector('#dispute select[name=invoice]').value = 'DT-2'; document.querySelector('#dispute select[name=reason]').value = 'NOT_RECEIVED'; document.querySelector('#dispute textarea').value = 'Mal gelmedi';").await;
    driver.click("#dispute button[type=submit]").await;
    let disputed = driver.wait_for("id=\"reply\"").await;
    driver.quit().await;
    assert!(thanks.contains("data-status=\"200\""), "{thanks}");
    assert!(disputed.contains("data-status=\"200\""), "{disputed}");

    let (_, body) = app.graphql(&team.viewer, "query($id: ID!, $second: ID!) { customer(id: $id) { promises { status promisedDate } } invoice(id: $second) { disputed disputes { reason note } } }", json!({"id": customer, "second": second})).await;
    assert_eq!(
        body["data"]["customer"]["promises"],
        json!([{"status": "OPEN", "promisedDate": "2026-12-04"}]),
        "{body}"
    );
    assert_eq!(
        body["data"]["invoice"],
        json!({"disputed": true, "disputes": [{"reason": "NOT_RECEIVED", "note": "Mal gelmedi"}]}),
        "{body}"
    );
}

/// GraphiQL, as served, runs a subscription typed into it and shows activity as it happens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_shows_live_activity() {
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        eprintln!("skipped: no browser here (install Debian's chromium and chromium-driver)");
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let team = Team::new(&app, "Demo Ticaret A.Ş.").await;
    let profile = tempfile::tempdir().unwrap();
    let Some(driver) = Driver::start(profile.path()).await else {
        eprintln!("skipped: chromedriver did not start a browser session");
        return;
    };
    // What a person types into the editor and the Headers tab, kept where GraphiQL keeps them,
    // written from another page of the same origin before GraphiQL first loads (GraphiQL saves
    // its own state as it runs, so writing beside a running GraphiQL races with it).
    driver.open(&app.url("/healthz")).await;
    let query = "subscription { activityAdded { kind customer { name } } }";
    let headers = json!({"Authorization": format!("Bearer {}", team.viewer)}).to_string();
    let tabs = json!({
        "activeTabIndex": 0,
        "tabs": [{"id": "live", "hash": null, "title": "live", "query": query, "variables": null,
                  "headers": headers, "operationName": null, "response": null}],
    })
    .to_string();
    driver
        .script(&format!(
            "localStorage.setItem('graphiql:tabState', {tabs}); localStorage.setItem('graphiql:query', {query}); localStorage.setItem('graphiql:headers', {headers});",
            tabs = json!(tabs),
            query = json!(query),
            headers = json!(headers),
        ))
        .await;
    driver.open(&app.url("/graphql")).await;
    driver.wait_for("graphiql-execute-button").await;
    driver.click(".graphiql-execute-button").await;
    for _ in 0..200 {
        if app.state.live.live_subscribers() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if app.state.live.live_subscribers() == 0 {
        driver
            .screenshot(std::path::Path::new("/tmp/graphiql-fail.png"))
            .await;
        let page = driver.source().await;
        driver.quit().await;
        panic!("GraphiQL did not subscribe: {page}");
    }
    create_customer(&app, &team.manager, "Canli Akis Musterisi").await;
    let page = driver.wait_for("Canli Akis Musterisi").await;
    driver
        .screenshot(&app.database.dir.path().join("graphiql.png"))
        .await;
    if let Ok(dir) = std::env::var("TAHSILAT_SCREENSHOTS") {
        let _ = std::fs::copy(
            app.database.dir.path().join("graphiql.png"),
            std::path::Path::new(&dir).join("graphiql.png"),
        );
    }
    driver.quit().await;
    assert!(page.contains("CUSTOMER_CREATED"), "{page}");
    assert!(page.contains("Canli Akis Musterisi"), "{page}");
}
