//! Limits and refusals: what a careless or hostile caller cannot do.

use serde_json::{Value, json};
use tahsilat::domain::role::Role;

use crate::collections::{Team, create_customer};
use crate::helpers::{Backend, TestApp, TestDatabase};

async fn customer_count(app: &TestApp, token: &str) -> u64 {
    let (_, body) = app
        .graphql(token, "{ customers(first: 1) { totalCount } }", json!({}))
        .await;
    body["data"]["customers"]["totalCount"].as_u64().unwrap()
}

const CREATE: &str =
    r#"mutation { createCustomer(input: {name: "Sahte A.Ş."}) { customer { id } } }"#;

fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

on_both_databases! {
    async fn page_sizes_depth_and_complexity_are_bounded(app) {
        let team = Team::new(&app, "acme").await;
        let (status, body) = app.graphql(&team.viewer, "{ invoices(first: 1000) { totalCount } }", json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(first_code(&body), "BAD_REQUEST", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("first"));

        // 40 levels: customer → invoices → edges → node → customer … (5 levels a turn).
        let mut query = String::from("id");
        for _ in 0..8 {
            query = format!("customer {{ invoices(first: 1) {{ edges {{ node {{ {query} }} }} }} }}");
        }
        let query = format!("{{ invoices(first: 1) {{ edges {{ node {{ {query} }} }} }} }}");
        let (status, body) = app.graphql(&team.viewer, &query, json!({})).await;
        assert_eq!(status, 200);
        assert!(body["data"].is_null(), "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("nested too deep") || message.contains("recursion depth"), "{body}");

        let wide = "{ customers(first: 100) { edges { node { invoices(first: 100) { edges { node { activities(first: 100) { edges { node { id } } } } } } } } } }";
        let (_, body) = app.graphql(&team.viewer, wide, json!({})).await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("complex"), "{body}");
    }

    async fn mutations_only_travel_as_json_posts(app) {
        let team = Team::new(&app, "acme").await;
        // GET never executes anything: it serves GraphiQL.
        let get = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", CREATE)])
            .bearer_auth(&team.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(get.status(), 200);
        assert!(get.text().await.unwrap().to_lowercase().contains("graphiql"));

        // A form post, as a cross-site page could send, is refused.
        let form = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&team.admin)
            .form(&[("query", CREATE)])
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), 415);
        let plain = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&team.admin)
            .header("content-type", "text/plain")
            .body(json!({"query": CREATE}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), 415);
        assert_eq!(customer_count(&app, &team.admin).await, 0);

        // A batch of 1,000 operations is refused whole.
        let batch: Vec<Value> = (0..1000).map(|_| json!({"query": CREATE})).collect();
        let response = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&team.admin)
            .json(&batch)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(customer_count(&app, &team.admin).await, 0);
    }

    async fn internal_errors_show_no_database_text(app) {
        let team = Team::new(&app, "acme").await;
        let customer = create_customer(&app, &team.manager, "Kırılgan A.Ş.").await;
        // Break the database under the running server.
        app.state
            .db
            .writer()
            .execute_unprepared("ALTER TABLE contacts RENAME TO contacts_moved")
            .await
            .unwrap();
        let response = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&team.viewer)
            .json(&json!({"query": "query($id: ID!) { customer(id: $id) { name contacts { name } } }", "variables": {"id": customer}}))
            .send()
            .await
            .unwrap();
        let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
        let text = response.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(first_code(&body), "INTERNAL", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["requestId"], request_id.as_str());
        assert_eq!(body["data"]["customer"]["name"], "Kırılgan A.Ş.", "the rest of the answer still arrives");
        for leak in ["contacts_moved", "SELECT", "relation", "sqlx", "no such table", "syntax"] {
            assert!(!text.contains(leak), "{leak:?} leaked: {text}");
        }
    }
}

use sea_orm::ConnectionTrait as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_can_be_turned_off() {
    let database = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let app =
        TestApp::spawn_configured(database, &[("TAHSILAT_GRAPHQL_INTROSPECTION", "false")]).await;
    let token = app.user("acme", "a@example.com", Role::Viewer).await;
    let (_, body) = app
        .graphql(&token, "{ __schema { types { name } } }", json!({}))
        .await;
    assert!(
        body["data"].is_null() || body["data"]["__schema"].is_null(),
        "{body}"
    );
    let on = TestApp::spawn(Backend::Sqlite).await;
    let token = on.user("acme", "a@example.com", Role::Viewer).await;
    let (_, body) = on
        .graphql(&token, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}
