//! Keyset pagination and the cost of relations: pages are exact, and nested data is batched.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use serde_json::json;
use tahsilat::services::invoices::{NewInvoice, create};

use crate::collections::{Team, create_customer};

on_both_databases! {
    async fn paging_through_250_invoices_returns_each_once_in_order(app) {
        let team = Team::new(&app, "acme").await;
        let manager = app.viewer(&team.manager).await;
        let customers = [
            create_customer(&app, &team.manager, "Birinci").await,
            create_customer(&app, &team.manager, "İkinci").await,
        ];
        let start = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        for n in 0..250_i64 {
            // Only 17 distinct due dates, so ties must be broken by id.
            let due = start + Duration::days(n % 17);
            create(&app.state.db, &app.clock, &manager, NewInvoice {
                customer_id: customers[(n % 2) as usize].parse().unwrap(),
                number: format!("P-{n:03}"),
                external_ref: None,
                issue_date: start - Duration::days(30),
                due_date: Some(due),
                currency: "TRY".into(),
                total: rust_decimal::Decimal::new(1000 + n, 2),
                description: None,
            })
            .await
            .unwrap();
        }
        let query = "query($after: String) { invoices(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id number dueDate } } } }";
        let (mut seen, mut order, mut after, mut pages) = (HashSet::new(), Vec::new(), serde_json::Value::Null, 0);
        loop {
            let (status, body) = app.graphql(&team.viewer, query, json!({"after": after})).await;
            assert_eq!(status, 200, "{body}");
            let connection = &body["data"]["invoices"];
            assert_eq!(connection["totalCount"], 250);
            pages += 1;
            for edge in connection["edges"].as_array().unwrap() {
                let node = &edge["node"];
                assert!(seen.insert(node["id"].as_str().unwrap().to_owned()), "{node} twice");
                order.push((node["dueDate"].as_str().unwrap().to_owned(), node["id"].as_str().unwrap().to_owned()));
            }
            if connection["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = connection["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), 250);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "not ordered by due date, then id");

        // A cursor from elsewhere is refused, not misread.
        let (_, body) = app.graphql(&team.viewer, query, json!({"after": "bm9wZQ"})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");

        // Nested pages: a customer's invoices page the same way.
        let nested = "query($id: ID!, $after: String) { customer(id: $id) { invoices(first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { number customer { name } } } } } }";
        let (mut count, mut after) = (0, serde_json::Value::Null);
        loop {
            let (_, body) = app.graphql(&team.viewer, nested, json!({"id": customers[0], "after": after})).await;
            let connection = &body["data"]["customer"]["invoices"];
            assert_eq!(connection["totalCount"], 125, "{body}");
            count += connection["edges"].as_array().unwrap().len();
            if connection["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = connection["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(count, 125);
    }

    async fn relations_cost_the_same_for_5_rows_as_for_50(app) {
        tahsilat::services::demo::seed(&app.state.db, &app.clock).await.unwrap();
        let token = app.user(tahsilat::services::demo::DEMO_ORGANIZATION, "reader@demoticaret.com.tr", tahsilat::domain::role::Role::Viewer).await;
        let query = "query($first: Int!) { invoices(first: $first) { edges { node { number balance { amount } daysOverdue expectedPaymentDate paymentLinks { status }
            customer { name contacts { name } openBalance { amount currency } overdueBalance { amount } assignedCollector { email } paymentBehaviour { riskScore riskReasons } }
            payments { amount { amount } method recordedBy { email } allocations { amount { amount } invoice { number } } }
            activities(first: 3) { totalCount edges { node { kind actorLabel actor { email organization { name } } } } } } } } }";
        // Warm-up, so the token's last-use bookkeeping is not counted.
        app.graphql(&token, "{ viewer { email } }", json!({})).await;
        let mut statements = Vec::new();
        for first in [5, 50, 100] {
            let (spent, body) = app.statements_for(&token, query, json!({"first": first})).await;
            assert_eq!(body["data"]["invoices"]["edges"].as_array().unwrap().len(), first as usize);
            statements.push(spent);
        }
        // One statement per relation shown: page, customers, balances, contacts,
        // collectors, the invoices' allocations, payments, the payments' allocations, allocated
        // invoices, recorders, activity pages, their counts, actors' organizations, expected
        // dates (lateness, promises), payment behaviour (five sums)… never per row.
        assert_eq!(statements[0], statements[1], "statements grew with the page: {statements:?}");
        assert_eq!(statements[1], statements[2], "statements grew with the page: {statements:?}");
        assert!(statements[0] <= 23, "{statements:?}");

        // First-level relations of a list are loaded with the page: exactly one statement each.
        let flat = "query($first: Int!) { activities(first: $first) { edges { node { kind customer { name } invoice { number } actor { email } } } } }";
        let mut flat_counts = Vec::new();
        for first in [5, 100] {
            flat_counts.push(app.statements_for(&token, flat, json!({"first": first})).await.0);
        }
        // The token was checked by the warm-up and is remembered for a while.
        assert_eq!(flat_counts, [4, 4], "page, customers, invoices, actors");

        // The same holds below a single object: one customer's invoices and their relations.
        let customer_id = body_customer_id(&app, &token).await;
        let nested = "query($id: ID!, $first: Int!) { customer(id: $id) { invoices(first: $first) { edges { node { number customer { name }
            payments { amount { amount } allocations { invoice { number } } } activities(first: 2) { edges { node { kind actor { email } } } } } } } } }";
        let mut nested_counts = Vec::new();
        for first in [1, 6] {
            let (spent, body) = app.statements_for(&token, nested, json!({"id": customer_id, "first": first})).await;
            assert_eq!(body["data"]["customer"]["invoices"]["edges"].as_array().unwrap().len(), first as usize);
            nested_counts.push(spent);
        }
        assert_eq!(nested_counts[0], nested_counts[1], "{nested_counts:?}");

        // The benchmark's query: a page of overdue invoices with customer names and balances
        // costs two statements (page, customers), three when the token is new to this instance.
        let (spent, _) = app.statements_for(&token, "{ invoices(first: 50, filter: {overdue: true}) { edges { node { number balance { amount currency } customer { name } } } } }", json!({})).await;
        assert_eq!(spent, 2);
    }
}

async fn body_customer_id(app: &crate::helpers::TestApp, token: &str) -> String {
    let (_, body) = app
        .graphql(
            token,
            "{ customers(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    body["data"]["customers"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}
