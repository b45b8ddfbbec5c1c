//! Tasks and the worklist: who sees what, in which order, on which day; tried across
//! organizations and roles.

use serde_json::{Value, json};

use crate::collections::{Team, create_customer, create_invoice, mutate};
use crate::helpers::TestApp;

const CREATE: &str = "mutation($input: CreateTaskInput!) { createTask(input: $input) { task { id kind source status dueDate assignee { email } customer { name } invoices { number } } userErrors { field code } } }";
const COMPLETE: &str = "mutation($input: CompleteTaskInput!) { completeTask(input: $input) { task { id status outcomeNote completedAt } userErrors { code } } }";
const REASSIGN: &str = "mutation($input: ReassignTaskInput!) { reassignTask(input: $input) { task { id assignee { email } } userErrors { code } } }";
const WORKLIST: &str =
    "query($a: ID, $d: Date) { worklist(assigneeId: $a, date: $d) { id customer { name } note } }";

fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let (_, body) = app.graphql(token, "{ viewer { id } }", json!({})).await;
    body["data"]["viewer"]["id"].as_str().unwrap().to_owned()
}

async fn worklist(app: &TestApp, token: &str, variables: Value) -> Vec<String> {
    let (_, body) = app.graphql(token, WORKLIST, variables).await;
    body["data"]["worklist"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|task| task["note"].as_str().unwrap_or("").to_owned())
        .collect()
}

on_both_databases! {
    async fn the_worklist_shows_each_person_their_tasks_most_urgent_first(app) {
        let team = Team::new(&app, "acme").await;
        let other = Team::new(&app, "rakip").await;
        let collector = user_id(&app, &team.collector).await;
        let assigned = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }";
        let big = mutate(&app, &team.manager, assigned, json!({"name": "Büyük Borçlu", "assignedCollectorId": collector})).await;
        let big = big["customer"]["id"].as_str().unwrap().to_owned();
        let small = mutate(&app, &team.manager, assigned, json!({"name": "Küçük Borçlu", "assignedCollectorId": collector})).await;
        let small = small["customer"]["id"].as_str().unwrap().to_owned();
        let big_invoice = create_invoice(&app, &team.manager, &big, "B-1", "9000.00", "2026-10-01").await;
        create_invoice(&app, &team.manager, &small, "S-1", "100.00", "2026-10-01").await;
        let stranger = create_customer(&app, &team.manager, "Başka Müşteri").await;
        let stranger_invoice = create_invoice(&app, &team.manager, &stranger, "X-1", "10.00", "2026-10-01").await;

        // Created by a manager, the customer's collector gets it; small debts come after big ones.
        let made = mutate(&app, &team.manager, CREATE, json!({"kind": "CALL", "customerId": small, "note": "küçük"})).await;
        assert_eq!(made["userErrors"], json!([]), "{made}");
        assert_eq!(made["task"]["assignee"]["email"], "collector@acme.com.tr");
        assert_eq!(made["task"]["source"], "MANUAL");
        let small_task = made["task"]["id"].as_str().unwrap().to_owned();
        let made = mutate(&app, &team.collector, CREATE, json!({"kind": "CALL", "customerId": big, "invoiceIds": [big_invoice], "note": "büyük"})).await;
        assert_eq!(made["task"]["invoices"], json!([{"number": "B-1"}]), "{made}");
        let big_task = made["task"]["id"].as_str().unwrap().to_owned();
        let later = mutate(&app, &team.collector, CREATE, json!({"kind": "FOLLOW_UP", "customerId": big, "dueDate": "2026-11-25", "note": "sonra"})).await;
        assert_eq!(later["userErrors"], json!([]), "{later}");

        assert_eq!(worklist(&app, &team.collector, json!({})).await, ["büyük", "küçük"]);
        assert_eq!(worklist(&app, &team.collector, json!({"d": "2026-11-25"})).await, ["büyük", "sonra", "küçük"]);
        // The clock moves on; what is due by then shows without asking for a date.
        app.clock.advance(chrono::Duration::days(2));
        assert_eq!(worklist(&app, &team.collector, json!({})).await.len(), 3);

        // Inputs are checked; other organizations' ids do not exist.
        let wrong = mutate(&app, &team.collector, CREATE, json!({"kind": "CALL", "customerId": big, "invoiceIds": [stranger_invoice]})).await;
        assert_eq!(wrong["userErrors"][0]["code"], "INVOICE_OF_OTHER_CUSTOMER", "{wrong}");
        let bad = mutate(&app, &team.collector, CREATE, json!({"kind": "CALL", "customerId": big, "note": "a\u{0}"})).await;
        assert_eq!(bad["userErrors"][0]["code"], "INVALID_TEXT", "{bad}");
        let foreign = mutate(&app, &other.manager, CREATE, json!({"kind": "CALL", "customerId": big})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        let foreign = mutate(&app, &other.manager, COMPLETE, json!({"id": big_task})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        let (_, body) = app.graphql(&other.manager, WORKLIST, json!({"a": collector})).await;
        assert_eq!(body["data"]["worklist"], json!([]), "{body}");
        let (_, body) = app.graphql(&team.viewer, CREATE, json!({"input": {"kind": "CALL", "customerId": big}})).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{body}");

        // A collector sees only their own list; a manager anyone's.
        let manager = user_id(&app, &team.manager).await;
        let (_, body) = app.graphql(&team.collector, WORKLIST, json!({"a": manager})).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        assert_eq!(worklist(&app, &team.manager, json!({"a": collector})).await.len(), 3);

        // Reassigned to nobody, a task goes to the managers; collectors cannot reassign.
        let (_, body) = app.graphql(&team.collector, REASSIGN, json!({"input": {"id": small_task, "assigneeId": null}})).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        let moved = mutate(&app, &team.manager, REASSIGN, json!({"id": small_task, "assigneeId": null})).await;
        assert_eq!(moved["task"]["assignee"], Value::Null, "{moved}");
        assert_eq!(worklist(&app, &team.manager, json!({})).await, ["küçük"]);
        assert_eq!(worklist(&app, &team.collector, json!({})).await, ["büyük", "sonra"]);

        // Done: off the list, on the customer's history; the collector cannot close the managers' task.
        let (_, body) = app.graphql(&team.collector, COMPLETE, json!({"input": {"id": small_task}})).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        let done = mutate(&app, &team.collector, COMPLETE, json!({"id": big_task, "note": "Cuma ödeyecek."})).await;
        assert_eq!(done["task"]["status"], "DONE", "{done}");
        assert_eq!(done["task"]["outcomeNote"], "Cuma ödeyecek.");
        let again = mutate(&app, &team.collector, COMPLETE, json!({"id": big_task})).await;
        assert_eq!(again["userErrors"][0]["code"], "NOT_OPEN", "{again}");
        assert_eq!(worklist(&app, &team.collector, json!({})).await, ["sonra"]);
        let (_, log) = app.graphql(&team.viewer, "query($id: ID!) { activities(filter: {customerId: $id, kinds: [TASK_CREATED, TASK_COMPLETED]}) { edges { node { kind note actorLabel } } } }", json!({"id": big})).await;
        let kinds: Vec<&str> = log["data"]["activities"]["edges"].as_array().unwrap().iter().map(|edge| edge["node"]["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["TASK_COMPLETED", "TASK_CREATED", "TASK_CREATED"], "{log}");
    }
}
