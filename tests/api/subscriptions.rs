//! GraphQL subscriptions over a real WebSocket (`graphql-transport-ws` at `/graphql/ws`): live
//! payments, activity and task assignments, each only for its own organization (and, for tasks,
//! its own assignee); on PostgreSQL, from another app instance too.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::callbacks::{LINK, event, send};
use crate::collections::{Team, create_customer, create_invoice, mutate};
use crate::helpers::TestApp;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for a message that should come; far above what it takes.
const PATIENCE: Duration = Duration::from_secs(20);

/// A `graphql-transport-ws` client.
struct Socket {
    stream: Stream,
}

impl Socket {
    /// Opens the socket and sends `connection_init` with the token.
    async fn open(address: &str, token: &str) -> (Socket, Value) {
        let url = format!("{}/graphql/ws", address.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (stream, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        let mut socket = Socket { stream };
        socket
            .send(json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}}))
            .await;
        let answer = socket.next().await;
        (socket, answer)
    }

    /// Opens, and expects the connection acknowledged.
    async fn connect(address: &str, token: &str) -> Socket {
        let (socket, answer) = Self::open(address, token).await;
        assert_eq!(answer["type"], "connection_ack", "{answer}");
        socket
    }

    async fn send(&mut self, message: Value) {
        self.stream
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    async fn subscribe(&mut self, id: &str, query: &str) {
        self.subscribe_with(id, query, json!({})).await;
    }

    async fn subscribe_with(&mut self, id: &str, query: &str, variables: Value) {
        let payload = json!({"query": query, "variables": variables});
        self.send(json!({"id": id, "type": "subscribe", "payload": payload}))
            .await;
    }

    /// The next protocol message (a close frame as `{"type": "close", "code": …}`).
    async fn next(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.stream.next())
                .await
                .expect("a message in time")
                .expect("the socket open")
                .unwrap();
            match message {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == "ping" {
                        self.send(json!({"type": "pong"})).await;
                        continue;
                    }
                    return value;
                }
                Message::Close(frame) => {
                    let code = frame.as_ref().map(|frame| u16::from(frame.code));
                    let reason = frame.map(|frame| frame.reason.to_string());
                    return json!({"type": "close", "code": code, "reason": reason});
                }
                _ => continue,
            }
        }
    }

    /// The next `next` message's data.
    async fn event(&mut self) -> Value {
        let message = self.next().await;
        assert_eq!(message["type"], "next", "{message}");
        assert!(message["payload"].get("errors").is_none(), "{message}");
        message["payload"]["data"].clone()
    }
}

/// Waits until the app's live feed serves `count` subscribers, so no event is sent too early.
pub async fn subscribed(app: &tahsilat::state::AppState, count: usize) {
    tokio::time::timeout(PATIENCE, async {
        while app.live.live_subscribers() < count {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the subscriptions are in place");
}

/// An example from `graphql/subscriptions/`, as the README points frontends to them.
fn example(name: &str) -> String {
    let path = format!(
        "{}/graphql/subscriptions/{name}.graphql",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// A customer with a 500.00 invoice and a sandbox link over it; answers (customer, link).
async fn customer_with_link(app: &TestApp, team: &Team, name: &str) -> (String, String) {
    let customer = create_customer(app, &team.manager, name).await;
    let invoice = create_invoice(
        app,
        &team.manager,
        &customer,
        &format!("{name}-1"),
        "500.00",
        "2026-12-01",
    )
    .await;
    let made = mutate(app, &team.collector, LINK, json!({"invoiceIds": [invoice]})).await;
    assert_eq!(made["userErrors"], json!([]), "{made}");
    (
        customer,
        made["paymentLink"]["providerLinkId"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

on_both_databases! {
    with crate::callbacks::spawn;

    async fn a_payment_reaches_its_organization_live(app) {
        let acme = Team::new(&app, "acme").await;
        let other = Team::new(&app, "other").await;
        let (customer, link) = customer_with_link(&app, &acme, "Anadolu").await;

        let mut payments = Socket::connect(&app.address, &acme.viewer).await;
        payments.subscribe("payments", &example("paymentReceived")).await;
        let mut filtered = Socket::connect(&app.address, &acme.collector).await;
        filtered
            .subscribe_with("mine", &example("activityAdded"), json!({"customerId": customer, "kinds": ["PAYMENT_RECEIVED"]}))
            .await;
        let mut elsewhere = Socket::connect(&app.address, &other.viewer).await;
        elsewhere.subscribe("theirs", &example("activityAdded")).await;
        subscribed(&app.state, 3).await;

        let (status, _) = send(&app, event("evt-1", "payment.succeeded", &link, "500.00", 1)).await;
        assert_eq!(status, 200);
        let paid = payments.event().await;
        assert_eq!(paid["paymentReceived"]["amount"], json!({"amount": "500.00", "currency": "TRY"}));
        assert_eq!(paid["paymentReceived"]["customer"]["id"], json!(customer));
        let logged = filtered.event().await;
        assert_eq!(logged["activityAdded"]["kind"], "PAYMENT_RECEIVED");

        // The other organization saw none of it: the first thing it hears is its own.
        let theirs = create_customer(&app, &other.manager, "Başka").await;
        let first = elsewhere.event().await;
        assert_eq!(first["activityAdded"]["kind"], "CUSTOMER_CREATED");
        assert_eq!(first["activityAdded"]["customer"]["id"], json!(theirs));

        // A payment recorded by hand is a payment received too.
        let invoice = create_invoice(&app, &acme.manager, &customer, "EL-1", "100.00", "2026-12-01").await;
        let recorded = mutate(&app, &acme.collector, "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id } userErrors { code } } }", json!({"customerId": customer, "amount": "100.00", "currency": "TRY", "method": "CASH", "allocations": [{"invoiceId": invoice, "amount": "100.00"}]})).await;
        let by_hand = payments.event().await;
        assert_eq!(by_hand["paymentReceived"]["id"], recorded["payment"]["id"]);
    }

    async fn tasks_reach_their_assignee_live(app) {
        let team = Team::new(&app, "acme").await;
        let second = app.user("acme", "second@acme.com.tr", tahsilat::domain::role::Role::Collector).await;
        let collector = app.viewer(&team.collector).await.user_id.0.to_string();
        let customer = create_customer(&app, &team.manager, "Görevli").await;
        let mut mine = Socket::connect(&app.address, &team.collector).await;
        mine.subscribe("tasks", &example("taskAssigned")).await;
        let mut theirs = Socket::connect(&app.address, &second).await;
        theirs.subscribe("tasks", "subscription { taskAssigned { id note } }").await;
        subscribed(&app.state, 2).await;

        let create = "mutation($input: CreateTaskInput!) { createTask(input: $input) { task { id } userErrors { code } } }";
        let made = mutate(&app, &team.manager, create, json!({"kind": "CALL", "customerId": customer, "invoiceIds": [], "assigneeId": collector, "note": "ara"})).await;
        assert_eq!(made["userErrors"], json!([]), "{made}");
        let task = mine.event().await;
        assert_eq!(task["taskAssigned"]["id"], made["task"]["id"]);
        assert_eq!(task["taskAssigned"]["note"], "ara");
        assert_eq!(task["taskAssigned"]["customer"]["id"], json!(customer));

        // Given to the second collector: only they hear of it.
        let second_id = app.viewer(&second).await.user_id.0.to_string();
        let reassign = "mutation($input: ReassignTaskInput!) { reassignTask(input: $input) { task { id } userErrors { code } } }";
        let moved = mutate(&app, &team.manager, reassign, json!({"id": made["task"]["id"], "assigneeId": second_id})).await;
        assert_eq!(moved["userErrors"], json!([]));
        let given = theirs.event().await;
        assert_eq!(given["taskAssigned"]["id"], made["task"]["id"]);
        // The first collector's next is their own next task, not that one.
        let again = mutate(&app, &team.manager, create, json!({"kind": "EMAIL", "customerId": customer, "invoiceIds": [], "assigneeId": collector, "note": "yaz"})).await;
        assert_eq!(mine.event().await["taskAssigned"]["id"], again["task"]["id"]);
    }

    async fn a_bulk_import_arrives_row_by_row(app) {
        let team = Team::new(&app, "acme").await;
        let mut socket = Socket::connect(&app.address, &team.viewer).await;
        socket
            .subscribe_with("created", &example("activityAdded"), json!({"kinds": ["CUSTOMER_CREATED"]}))
            .await;
        subscribed(&app.state, 1).await;
        let rows: Vec<Value> = (0..95).map(|index| json!({"externalRef": format!("C-{index}"), "name": format!("Toplu {index}")})).collect();
        let imported = mutate(&app, &team.manager, "mutation($input: ImportCustomersInput!) { importCustomers(input: $input) { created } }", json!({"rows": rows})).await;
        assert_eq!(imported["created"], 95);
        let mut names = std::collections::BTreeSet::new();
        for _ in 0..95 {
            let event = socket.event().await;
            names.insert(event["activityAdded"]["customer"]["name"].as_str().unwrap().to_owned());
        }
        assert_eq!(names.len(), 95);
        assert!(names.contains("Toplu 0") && names.contains("Toplu 94"));
    }

    async fn a_subscription_nested_too_deep_ends_its_connection_only(app) {
        let team = Team::new(&app, "acme").await;
        let mut socket = Socket::connect(&app.address, &team.viewer).await;
        // Deep enough to overflow a parser's stack were it let through.
        let deep = format!("subscription {{ paymentReceived {{ {}id{} }} }}", "customer { ".repeat(50_000), " }".repeat(50_000));
        socket.subscribe("deep", &deep).await;
        let ended = tokio::time::timeout(PATIENCE, socket.stream.next()).await.expect("the server ends the connection");
        assert!(!matches!(ended, Some(Ok(Message::Text(_)))), "{ended:?}");
        // The server is still there for everyone else.
        let mut other = Socket::connect(&app.address, &team.viewer).await;
        other.subscribe("ok", &example("paymentReceived")).await;
        let (status, _) = app.graphql(&team.viewer, "{ viewer { email } }", json!({})).await;
        assert_eq!(status, 200);
    }

    async fn a_socket_without_a_valid_token_is_closed(app) {
        let (mut socket, answer) = Socket::open(&app.address, "tsk_not-a-token").await;
        // The server refuses the init and closes the socket, saying why.
        let closed = if answer["type"] == "close" { answer } else { socket.next().await };
        assert_eq!(closed["type"], "close", "{closed}");
        assert_eq!(closed["code"], 1002);
        assert!(closed["reason"].as_str().unwrap().contains("token"), "{closed}");
        // Without any token, likewise.
        let (mut socket, answer) = Socket::open(&app.address, "").await;
        let closed = if answer["type"] == "close" { answer } else { socket.next().await };
        assert_eq!(closed["code"], 1002, "{closed}");
    }
}

/// On PostgreSQL, a payment landing on one instance reaches a subscriber of another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_on_one_instance_reaches_a_subscriber_of_another() {
    let Some(app) = crate::callbacks::spawn(crate::helpers::Backend::Postgres).await else {
        return;
    };
    let team = Team::new(&app, "acme").await;
    let (customer, link) = customer_with_link(&app, &team, "İki Sunucu").await;
    let second = tahsilat::app::App::build_with_clock(
        app.database
            .config_with(&[("TAHSILAT_SANDBOX_SECRET", crate::callbacks::SECRET)]),
        std::sync::Arc::new(app.clock.clone()),
    )
    .await
    .unwrap();
    let second_address = format!("http://{}", second.local_addr());
    let second_state = second.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(second.run_until_stopped(async move {
        let _ = stopped.await;
    }));

    let mut socket = Socket::connect(&second_address, &team.viewer).await;
    socket
        .subscribe("payments", &example("paymentReceived"))
        .await;
    subscribed(&second_state, 1).await;
    let (status, _) = send(
        &app,
        event("evt-2", "payment.succeeded", &link, "500.00", 1),
    )
    .await;
    assert_eq!(status, 200);
    let paid = socket.event().await;
    assert_eq!(paid["paymentReceived"]["customer"]["id"], json!(customer));
    assert_eq!(paid["paymentReceived"]["amount"]["amount"], "500.00");

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
