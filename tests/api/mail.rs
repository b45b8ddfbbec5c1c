//! Mailing a payment link: queued with its activity, delivered by the outbox worker over a real
//! SMTP conversation (or into .eml files), late but exactly once when the server was away.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::collections::{Team, create_customer, create_invoice, mutate};
use crate::helpers::{Backend, TestApp, TestDatabase};

const LINK: &str = "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id url } userErrors { code } } }";
const SEND: &str = "mutation($input: SendPaymentLinkInput!) { sendPaymentLink(input: $input) { paymentLink { id } userErrors { code } } }";

/// A small SMTP server: accepts every mail and keeps its DATA.
async fn smtp_server(listener: tokio::net::TcpListener, received: Arc<Mutex<Vec<String>>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let received = received.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            let _ = write.write_all(b"220 test ESMTP\r\n").await;
            let mut data: Option<String> = None;
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(body) = data.as_mut() {
                    if line == "." {
                        received
                            .lock()
                            .unwrap()
                            .push(data.take().unwrap_or_default());
                        let _ = write.write_all(b"250 queued\r\n").await;
                    } else {
                        body.push_str(&line);
                        body.push('\n');
                    }
                    continue;
                }
                let verb = line
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 test\r\n",
                    "DATA" => {
                        data = Some(String::new());
                        b"354 go ahead\r\n"
                    }
                    "QUIT" => {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    }
                    _ => b"250 ok\r\n",
                };
                let _ = write.write_all(reply).await;
            }
        });
    }
}

async fn link_for(app: &TestApp, team: &Team) -> (serde_json::Value, String) {
    let customer = create_customer(app, &team.manager, "Ege Zeytincilik").await;
    mutate(
        app,
        &team.manager,
        "mutation($input: AddContactInput!) { addContact(input: $input) { userErrors { code } } }",
        json!({"customerId": customer, "name": "Elif Demir", "email": "elif@ege.com.tr"}),
    )
    .await;
    let invoice = create_invoice(
        app,
        &team.manager,
        &customer,
        "INV-77",
        "1250.50",
        "2026-11-13",
    )
    .await;
    let created = mutate(
        app,
        &team.collector,
        LINK,
        json!({"invoiceIds": [invoice], "maxInstallments": 3}),
    )
    .await;
    (
        created["paymentLink"]["id"].clone(),
        created["paymentLink"]["url"].as_str().unwrap().to_owned(),
    )
}

async fn until(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

on_both_databases! {
    async fn without_smtp_mail_is_written_to_files(app) {
        let team = Team::new(&app, "Anadolu Gıda").await;
        let (link, url) = link_for(&app, &team).await;
        let sent = mutate(&app, &team.collector, SEND, json!({"id": link})).await;
        assert_eq!(sent["userErrors"], json!([]), "{sent}");
        let dir = app.database.dir.path().join("mail");
        assert!(until(|| std::fs::read_dir(&dir).map(|entries| entries.count() == 1).unwrap_or(false)).await, "no .eml written");
        let file = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
        let eml = std::fs::read_to_string(file).unwrap();
        assert!(eml.contains("To: elif@ege.com.tr"), "{eml}");
        let unfolded = eml.replace("=\r\n", "").replace("=\n", "");
        assert!(unfolded.contains(&url.replace('=', "=3D")) || unfolded.contains(&url), "the pay URL is in the mail");
        let (_, body) = app.graphql(&team.viewer, "{ activities(first: 1, filter: {kinds: [PAYMENT_LINK_SENT]}) { edges { node { data actorLabel } } } }", json!({})).await;
        assert_eq!(body["data"]["activities"]["edges"][0]["node"]["data"]["to"], "elif@ege.com.tr");
        // A cancelled link is not sent.
        mutate(&app, &team.collector, "mutation($input: CancelPaymentLinkInput!) { cancelPaymentLink(input: $input) { userErrors { code } } }", json!({"id": link})).await;
        let refused = mutate(&app, &team.collector, SEND, json!({"id": link})).await;
        assert_eq!(refused["userErrors"][0]["code"], "NOT_ACTIVE");
    }
}

/// The SMTP server is away when the link is sent; the mail waits and goes once it is back.
async fn smtp_outage(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::spawn_configured(
        database,
        &[
            ("TAHSILAT_SMTP_URL", &smtp_url),
            ("TAHSILAT_MAIL_FROM", "Tahsilat <tahsilat@example.com>"),
        ],
    )
    .await;
    let team = Team::new(&app, "acme").await;
    let (link, url) = link_for(&app, &team).await;
    mutate(&app, &team.collector, SEND, json!({"id": link})).await;

    // Nobody listens: the worker tries, fails, and schedules another try.
    let outbox = || async {
        use sea_orm::EntityTrait;
        tahsilat::entities::outbox::Entity::find()
            .all(app.state.db.reader())
            .await
            .unwrap()
    };
    let mut failed = false;
    for _ in 0..100 {
        if outbox().await[0].attempts >= 1 {
            failed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(failed, "the worker never tried");
    assert_eq!(
        outbox().await[0].status,
        tahsilat::entities::outbox::OutboxStatus::Pending
    );

    // The server comes back; once the retry is due, the mail goes, once.
    let received = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(smtp_server(listener, received.clone()));
    app.clock.advance(chrono::Duration::hours(2));
    assert!(
        until(|| received.lock().unwrap().len() == 1).await,
        "not delivered after the server came back"
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        received.lock().unwrap().len(),
        1,
        "delivered more than once"
    );
    assert_eq!(
        outbox().await[0].status,
        tahsilat::entities::outbox::OutboxStatus::Sent
    );
    let message = received.lock().unwrap()[0].replace("=\n", "");
    assert!(
        message.contains(&url) || message.contains(&url.replace('=', "=3D")),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_outage_delays_but_never_loses_or_doubles_mail_sqlite() {
    smtp_outage(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_outage_delays_but_never_loses_or_doubles_mail_postgres() {
    smtp_outage(Backend::Postgres).await;
}

/// A reminder mail over a real SMTP conversation: plain text and HTML, in the customer's
/// language, with the invoice table and a pay link.
async fn reminder_by_smtp(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let received = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let smtp_url = format!("smtp://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(smtp_server(listener, received.clone()));
    let app = TestApp::spawn_configured(
        database,
        &[
            ("TAHSILAT_SMTP_URL", &smtp_url),
            ("TAHSILAT_MAIL_FROM", "Tahsilat <tahsilat@example.com>"),
        ],
    )
    .await;
    let team = Team::new(&app, "acme").await;
    crate::dunning::every_day(&app, &team.admin).await;
    let made = mutate(&app, &team.manager, "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }", json!({"name": "Posta & Kargo Ltd", "email": "muhasebe@posta.example"})).await;
    let customer = made["customer"]["id"].as_str().unwrap().to_owned();
    create_invoice(
        &app,
        &team.manager,
        &customer,
        "M-77",
        "4200.00",
        "2026-11-20",
    )
    .await;
    crate::dunning::set_day(&app, "2026-11-23".parse().unwrap());
    assert_eq!(crate::dunning::run_day(&app).await, 1);
    assert!(
        until(|| received.lock().unwrap().len() == 1).await,
        "no mail arrived"
    );
    let message = received.lock().unwrap()[0].replace("=\n", "");
    for expected in [
        "To: muhasebe@posta.example",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "M-77",
        "/pay/",
    ] {
        assert!(
            message.contains(expected),
            "{expected:?} missing in {message}"
        );
    }
    assert!(
        message.contains("Posta &amp; Kargo Ltd"),
        "the HTML escapes the name: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_goes_by_smtp_sqlite() {
    reminder_by_smtp(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_goes_by_smtp_postgres() {
    reminder_by_smtp(Backend::Postgres).await;
}
