//! Liveness, readiness, request ids and graceful shutdown.

use std::time::Duration;

use sea_orm::sqlx::{self, Connection as _};

use crate::helpers::{Backend, TestApp};

on_both_databases! {
    async fn health_and_readiness_answer_200(app) {
        let health = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), 200);
        assert_eq!(ready.json::<serde_json::Value>().await.unwrap()["status"], "ready");
    }

    async fn every_response_carries_a_request_id(app) {
        let response = app.client.get(app.url("/healthz")).send().await.unwrap();
        let id = response.headers().get("x-request-id").unwrap().to_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        // A caller's own id is kept, so a frontend can correlate its logs with ours.
        let response = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", "frontend-42")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], "frontend-42");
    }

    async fn shutdown_finishes_and_stops_listening(app) {
        let mut app = app;
        assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
        tokio::time::timeout(Duration::from_secs(10), app.stop()).await.unwrap().unwrap();
        let after = reqwest::Client::new().get(app.url("/healthz")).send().await;
        assert!(after.is_err(), "still answering after shutdown");
    }

    async fn oversized_bodies_are_refused(app) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // Announce more than the limit and send none of it: the answer must come from the
        // headers alone (a client that streams the body may see the connection closed under it).
        let address = app.address.trim_start_matches("http://").to_owned();
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let request = format!(
            "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            tahsilat::http::MAX_BODY_BYTES + 1
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = vec![0; 64];
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer)).await.unwrap().unwrap();
        let status_line = String::from_utf8_lossy(&answer[..read]).into_owned();
        assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
    }
}

/// `/readyz` follows the database: 503 while PostgreSQL refuses connections, 200 again once it
/// accepts them, with no restart. (An embedded SQLite file cannot become unreachable this way.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_a_postgres_outage() {
    let Some(app) = TestApp::spawn_or_skip(Backend::Postgres).await else {
        return;
    };
    let (server_url, name) = app.database.postgres().unwrap().clone();
    let mut admin = sqlx::PgConnection::connect(&server_url).await.unwrap();
    let run = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));

    run(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"))
        .execute(&mut admin)
        .await
        .unwrap();
    run(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let down = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(down.status(), 503);
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    run(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut status = 0;
    for _ in 0..20 {
        status = app
            .client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(status, 200, "readiness did not come back after the outage");
}
