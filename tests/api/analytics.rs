//! Collection analytics through the API: every worked example of the definitions reproduced from
//! invoices and payments entered over GraphQL, aging as of past days, conversion, collectors'
//! figures, payment behaviour, expected dates, the forecast, and the CSV/XLSX reports.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use crate::collections::{Team, create_customer, mutate};
use crate::helpers::TestApp;

const CREATE_INVOICE: &str = "mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { invoice { id } userErrors { field code message } } }";
const RECORD_PAYMENT: &str = "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id } userErrors { field code message } } }";
const VOID_INVOICE: &str = "mutation($input: VoidInvoiceInput!) { voidInvoice(input: $input) { invoice { status } userErrors { code } } }";
const SET_RATES: &str = "mutation($input: SetExchangeRatesInput!) { setExchangeRates(input: $input) { rates { currency rate date } userErrors { field code message } } }";
const METRICS: &str = "query($from: Date!, $to: Date!, $currency: String!, $groupBy: MetricsGroupBy = NONE) { collectionMetrics(from: $from, to: $to, currency: $currency, groupBy: $groupBy) {
    collector { email } month from to days creditSales arBegin arEnd arEndCurrent cashCollected dso dsoCountback bestPossibleDso add cei
    invoicesPaid averageDaysToPay averageDaysLate averageDaysLateWeighted weightedDaysPastDue promiseKeptRate disputeShare attributedCash customers activityCounts { kind count } } }";
const AGING: &str = "query($asOf: Date, $currency: String!, $convert: Boolean = false, $buckets: [Int!], $groupBy: AgingGroupBy = NONE, $first: Int, $after: String) {
    aging(asOf: $asOf, currency: $currency, convert: $convert, buckets: $buckets, groupBy: $groupBy, first: $first, after: $after) {
    asOf currency total overdue unapplied invoiceCount percentCurrent percentOver90 weightedDaysPastDue rates: ratesUsed { currency rate date }
    buckets { label fromDays toDays amount count }
    groups { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { customer { name } collector { email } total overdue unapplied buckets { amount count } } } } } }";

/// Sets the clock to 10:00 UTC on a day.
fn today(app: &TestApp, day: &str) {
    let day: chrono::NaiveDate = day.parse().unwrap();
    app.clock
        .set(Utc.from_utc_datetime(&day.and_hms_opt(10, 0, 0).unwrap()));
}

/// An invoice issued and due on the given days.
async fn invoice(
    app: &TestApp,
    token: &str,
    customer: &str,
    number: &str,
    issued: &str,
    due: &str,
    total: &str,
) -> String {
    invoice_in(app, token, customer, number, issued, due, total, "TRY").await
}

#[allow(clippy::too_many_arguments, reason = "an invoice has that many parts")]
async fn invoice_in(
    app: &TestApp,
    token: &str,
    customer: &str,
    number: &str,
    issued: &str,
    due: &str,
    total: &str,
    currency: &str,
) -> String {
    let payload = mutate(app, token, CREATE_INVOICE, json!({"customerId": customer, "number": number, "issueDate": issued, "dueDate": due, "currency": currency, "total": total})).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["invoice"]["id"].as_str().unwrap().to_owned()
}

/// A bank transfer received at 08:00 UTC on `day`, applied to `invoice` (or oldest due first).
async fn pay(
    app: &TestApp,
    token: &str,
    customer: &str,
    invoice: Option<&str>,
    amount: &str,
    day: &str,
) {
    let mut input = json!({"customerId": customer, "amount": amount, "currency": "TRY", "method": "BANK_TRANSFER", "receivedAt": format!("{day}T08:00:00Z")});
    if let Some(invoice) = invoice {
        input["allocations"] = json!([{"invoiceId": invoice, "amount": amount}]);
    }
    let payload = mutate(app, token, RECORD_PAYMENT, input).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
}

async fn metrics(app: &TestApp, token: &str, from: &str, to: &str, group_by: &str) -> Vec<Value> {
    let (status, body) = app
        .graphql(
            token,
            METRICS,
            json!({"from": from, "to": to, "currency": "TRY", "groupBy": group_by}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["collectionMetrics"]
        .as_array()
        .unwrap()
        .clone()
}

async fn aging(app: &TestApp, token: &str, variables: Value) -> Value {
    let (status, body) = app.graphql(token, AGING, variables).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["aging"].clone()
}

fn amounts(report: &Value) -> Vec<(String, String, i64)> {
    report["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|bucket| {
            (
                bucket["label"].as_str().unwrap().to_owned(),
                bucket["amount"].as_str().unwrap().to_owned(),
                bucket["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn bucket(label: &str, amount: &str, count: i64) -> (String, String, i64) {
    (label.to_owned(), amount.to_owned(), count)
}

on_both_databases! {
    async fn dso_best_possible_dso_and_add_follow_the_worked_example(app) {
        today(&app, "2026-12-05");
        let team = Team::new(&app, "dso").await;
        let customer = create_customer(&app, &team.manager, "Ege Gıda A.Ş.").await;
        // AR on 30 November: 11,000 overdue + 4,000 current = 15,000; November's sales 10,000.
        invoice(&app, &team.manager, &customer, "E", "2026-10-01", "2026-10-31", "11000.00").await;
        invoice(&app, &team.manager, &customer, "F", "2026-11-05", "2026-12-05", "4000.00").await;
        let g = invoice(&app, &team.manager, &customer, "G", "2026-11-10", "2026-11-20", "6000.00").await;
        pay(&app, &team.collector, &customer, Some(&g), "6000.00", "2026-11-20").await;

        let rows = metrics(&app, &team.manager, "2026-11-01", "2026-11-30", "NONE").await;
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!((row["days"].as_i64(), row["creditSales"].as_str()), (Some(30), Some("10000.00")), "{row}");
        assert_eq!((row["arEnd"].as_str(), row["arEndCurrent"].as_str()), (Some("15000.00"), Some("4000.00")), "{row}");
        assert_eq!(row["dso"], json!(45.0));
        assert_eq!(row["bestPossibleDso"], json!(12.0));
        assert_eq!(row["add"], json!(33.0));
        assert_eq!(row["cashCollected"], "6000.00");
        // G: issued 10 November, paid 20 November on its due date.
        assert_eq!((row["invoicesPaid"].as_i64(), row["averageDaysToPay"].as_f64(), row["averageDaysLate"].as_f64()), (Some(1), Some(10.0), Some(0.0)), "{row}");
        // The overdue book on 30 November: E, 30 days past due.
        assert_eq!(row["weightedDaysPastDue"], json!(30.0));
        // No promises or disputes: undefined, not zero.
        assert_eq!((row["promiseKeptRate"].clone(), row["disputeShare"].clone()), (Value::Null, json!(0.0)), "{row}");

        // A period with no sales: DSO is undefined.
        let empty = metrics(&app, &team.manager, "2026-12-01", "2026-12-04", "NONE").await;
        assert_eq!((empty[0]["dso"].clone(), empty[0]["creditSales"].clone()), (Value::Null, json!("0.00")), "{}", empty[0]);
    }

    async fn cei_and_countback_follow_the_worked_examples(app) {
        today(&app, "2026-12-05");
        let team = Team::new(&app, "cei").await;
        let customer = create_customer(&app, &team.manager, "Marmara Tekstil").await;
        // AR_begin (31 August) 6,200; sales Sep–Nov 10,890; AR_end 6,340 of which 3,590 current.
        let a = invoice(&app, &team.manager, &customer, "A", "2026-08-01", "2026-08-31", "6200.00").await;
        let b = invoice(&app, &team.manager, &customer, "B", "2026-09-10", "2026-10-10", "4550.00").await;
        invoice(&app, &team.manager, &customer, "C", "2026-10-20", "2026-11-19", "2750.00").await;
        invoice(&app, &team.manager, &customer, "D", "2026-11-15", "2026-12-15", "3590.00").await;
        pay(&app, &team.collector, &customer, Some(&a), "6200.00", "2026-09-15").await;
        pay(&app, &team.collector, &customer, Some(&b), "4550.00", "2026-10-10").await;

        let rows = metrics(&app, &team.manager, "2026-09-01", "2026-11-30", "NONE").await;
        let row = &rows[0];
        assert_eq!(row["arBegin"], "6200.00", "{row}");
        assert_eq!(row["creditSales"], "10890.00");
        assert_eq!((row["arEnd"].as_str(), row["arEndCurrent"].as_str()), (Some("6340.00"), Some("3590.00")));
        assert_eq!(row["cashCollected"], "10750.00");
        assert_eq!(row["cei"], json!(55.93));

        // By month: September's AR_end is October's AR_begin, and so on.
        let months = metrics(&app, &team.manager, "2026-09-01", "2026-11-30", "MONTH").await;
        let labels: Vec<_> = months.iter().map(|row| row["month"].as_str().unwrap()).collect();
        assert_eq!(labels, ["2026-09", "2026-10", "2026-11"]);
        for pair in months.windows(2) {
            assert_eq!(pair[0]["arEnd"], pair[1]["arBegin"]);
        }
        let sales: Vec<_> = months.iter().map(|row| row["creditSales"].as_str().unwrap()).collect();
        assert_eq!(sales, ["4550.00", "2750.00", "3590.00"]);

        // Countback: AR 212,000 on 30 November; November's sales 100,000 (30 days), October's
        // 80,000 (31 days), September's 70,000 (30 days): 30 + 31 + 32,000/70,000 × 30 = 74.71.
        // (The textbook's 30-day months give 73.71; no three calendar months in a row have 30
        // days, so that one is checked in the unit tests.)
        let team = Team::new(&app, "countback").await;
        let customer = create_customer(&app, &team.manager, "Trakya Makine").await;
        let september = invoice(&app, &team.manager, &customer, "S", "2026-09-05", "2026-12-31", "70000.00").await;
        invoice(&app, &team.manager, &customer, "O", "2026-10-05", "2026-12-31", "80000.00").await;
        invoice(&app, &team.manager, &customer, "N", "2026-11-05", "2026-12-31", "100000.00").await;
        pay(&app, &team.collector, &customer, Some(&september), "38000.00", "2026-09-20").await;
        let rows = metrics(&app, &team.manager, "2026-11-01", "2026-11-30", "NONE").await;
        assert_eq!(rows[0]["arEnd"], "212000.00", "{}", rows[0]);
        assert_eq!(rows[0]["dsoCountback"], json!(74.71));
        assert_eq!(rows[0]["dso"], json!(63.6), "212,000 / 100,000 × 30");
    }

    async fn aging_as_of_a_past_day_ignores_what_came_later(app) {
        today(&app, "2026-12-01");
        let team = Team::new(&app, "asof").await;
        let customer = create_customer(&app, &team.manager, "Karadeniz İnşaat").await;
        let first = invoice(&app, &team.manager, &customer, "I1", "2026-10-01", "2026-10-31", "1000.00").await;
        invoice(&app, &team.manager, &customer, "I2", "2026-11-20", "2026-12-20", "500.00").await;
        let voided = invoice(&app, &team.manager, &customer, "I3", "2026-09-01", "2026-09-30", "300.00").await;
        pay(&app, &team.collector, &customer, Some(&first), "400.00", "2026-11-10").await;
        pay(&app, &team.collector, &customer, Some(&first), "600.00", "2026-12-01").await;
        // Voided on 3 December: it still counted before then.
        today(&app, "2026-12-03");
        let done = mutate(&app, &team.manager, VOID_INVOICE, json!({"id": voided, "reason": "duplicate"})).await;
        assert_eq!(done["invoice"]["status"], "VOID", "{done}");
        // Paying more than is owed leaves cash unapplied from that day.
        let other = create_customer(&app, &team.manager, "Fazla Ödeyen Ltd.").await;
        invoice(&app, &team.manager, &other, "X1", "2026-11-01", "2026-11-30", "100.00").await;
        pay(&app, &team.collector, &other, None, "150.00", "2026-11-12").await;
        today(&app, "2026-12-05");

        // 15 November: I1 owes 600 (15 days past due), I3 300 (46 days), X1 100 current.
        let report = aging(&app, &team.viewer, json!({"asOf": "2026-11-15", "currency": "TRY"})).await;
        assert_eq!(report["asOf"], "2026-11-15");
        assert_eq!(amounts(&report), vec![
            bucket("Current", "0.00", 0), bucket("1–30", "600.00", 1), bucket("31–60", "300.00", 1),
            bucket("61–90", "0.00", 0), bucket("91–120", "0.00", 0), bucket("121+", "0.00", 0),
        ]);
        assert_eq!((report["total"].as_str(), report["unapplied"].as_str()), (Some("900.00"), Some("50.00")), "{report}");
        assert_eq!(report["percentCurrent"], json!(0.0));
        assert_eq!(report["weightedDaysPastDue"], json!(25.33), "(600×15 + 300×46) / 900");
        assert_eq!((report["buckets"][0]["fromDays"].clone(), report["buckets"][0]["toDays"].clone()), (Value::Null, json!(0)));
        assert_eq!(report["buckets"][5]["toDays"], Value::Null);

        // 5 November: nothing paid yet; X1 issued and current.
        let report = aging(&app, &team.viewer, json!({"asOf": "2026-11-05", "currency": "TRY"})).await;
        assert_eq!((report["total"].as_str(), report["invoiceCount"].as_i64(), report["unapplied"].as_str()), (Some("1400.00"), Some(3), Some("0.00")), "{report}");
        // Today: I1 paid, I3 void, X1 paid; only I2, current.
        let report = aging(&app, &team.viewer, json!({"currency": "TRY"})).await;
        assert_eq!((report["total"].as_str(), report["percentCurrent"].as_f64(), report["percentOver90"].as_f64()), (Some("500.00"), Some(100.0), Some(0.0)), "{report}");
        assert_eq!(report["unapplied"], "50.00");

        // Custom buckets; overlapping ones are refused.
        let report = aging(&app, &team.viewer, json!({"asOf": "2026-11-15", "currency": "TRY", "buckets": [20, 40]})).await;
        assert_eq!(amounts(&report), vec![bucket("Current", "0.00", 0), bucket("1–20", "600.00", 1), bucket("21–40", "0.00", 0), bucket("41+", "300.00", 1)]);
        let (_, body) = app.graphql(&team.viewer, AGING, json!({"currency": "TRY", "buckets": [40, 20]})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{body}");
        let (_, body) = app.graphql(&team.viewer, AGING, json!({"currency": "XYZ"})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{body}");

        // One customer's view agrees.
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { customer(id: $id) { aging(asOf: \"2026-11-15\") { currency total unapplied buckets { amount } } } }", json!({"id": customer})).await;
        assert_eq!(body["data"]["customer"]["aging"], json!([{"currency": "TRY", "total": "900.00", "unapplied": "0.00", "buckets": [{"amount": "0.00"}, {"amount": "600.00"}, {"amount": "300.00"}, {"amount": "0.00"}, {"amount": "0.00"}, {"amount": "0.00"}]}]), "{body}");

        // Another organization sees none of it.
        let stranger = Team::new(&app, "stranger").await;
        let report = aging(&app, &stranger.manager, json!({"asOf": "2026-11-15", "currency": "TRY", "groupBy": "CUSTOMER"})).await;
        assert_eq!((report["total"].as_str(), report["groups"]["totalCount"].as_i64()), (Some("0.00"), Some(0)));
        let (_, body) = app.graphql(&stranger.manager, "query($id: ID!) { customer(id: $id) { aging { total } } }", json!({"id": customer})).await;
        assert_eq!(body["data"]["customer"], Value::Null, "{body}");
    }

    async fn aging_groups_page_by_overdue_amount(app) {
        today(&app, "2026-12-05");
        let team = Team::new(&app, "groups").await;
        let collector_id = viewer_id(&app, &team.collector).await;
        let mut customers = Vec::new();
        for (name, total) in [("Az Borçlu", "100.00"), ("Çok Borçlu", "900.00"), ("Orta Borçlu", "500.00")] {
            let customer = create_customer(&app, &team.manager, name).await;
            invoice(&app, &team.manager, &customer, &format!("{name}-1"), "2026-10-01", "2026-10-31", total).await;
            customers.push(customer);
        }
        let assigned = mutate(&app, &team.manager, "mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) { userErrors { code } } }", json!({"id": customers[1], "assignedCollectorId": collector_id})).await;
        assert_eq!(assigned["userErrors"], json!([]));

        let page = aging(&app, &team.viewer, json!({"currency": "TRY", "groupBy": "CUSTOMER", "first": 2})).await;
        let groups = &page["groups"];
        assert_eq!(groups["totalCount"], 3);
        let names: Vec<_> = groups["edges"].as_array().unwrap().iter().map(|edge| edge["node"]["customer"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Çok Borçlu", "Orta Borçlu"]);
        assert_eq!(groups["edges"][0]["node"]["collector"]["email"], "collector@groups.com.tr");
        assert_eq!(groups["pageInfo"]["hasNextPage"], true);
        let rest = aging(&app, &team.viewer, json!({"currency": "TRY", "groupBy": "CUSTOMER", "first": 2, "after": groups["pageInfo"]["endCursor"]})).await;
        let names: Vec<_> = rest["groups"]["edges"].as_array().unwrap().iter().map(|edge| edge["node"]["customer"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Az Borçlu"]);
        assert_eq!(rest["groups"]["pageInfo"]["hasNextPage"], false);

        // By collector: theirs, and the unassigned rest.
        let by_collector = aging(&app, &team.viewer, json!({"currency": "TRY", "groupBy": "COLLECTOR"})).await;
        let rows: Vec<_> = by_collector["groups"]["edges"].as_array().unwrap().iter().map(|edge| (edge["node"]["collector"]["email"].clone(), edge["node"]["total"].clone())).collect();
        assert_eq!(rows, vec![(json!("collector@groups.com.tr"), json!("900.00")), (Value::Null, json!("600.00"))]);
        // Assigned only on 5 December: on 30 November the collector had no customers.
        let before = aging(&app, &team.viewer, json!({"asOf": "2026-11-30", "currency": "TRY", "groupBy": "COLLECTOR"})).await;
        assert_eq!(before["groups"]["totalCount"], 1);
        assert_eq!(before["groups"]["edges"][0]["node"]["collector"], Value::Null);
    }

    async fn converted_aging_names_its_rates_and_refuses_a_missing_one(app) {
        today(&app, "2026-12-05");
        let team = Team::new(&app, "fx").await;
        let customer = create_customer(&app, &team.manager, "İhracat A.Ş.").await;
        invoice(&app, &team.manager, &customer, "T1", "2026-11-01", "2026-11-30", "1000.00").await;
        invoice_in(&app, &team.manager, &customer, "U1", "2026-11-01", "2026-12-31", "100.00", "USD").await;

        // Without conversion, only the asked currency counts.
        let usd = aging(&app, &team.viewer, json!({"currency": "USD"})).await;
        assert_eq!(usd["total"], "100.00");
        let (_, body) = app.graphql(&team.viewer, AGING, json!({"currency": "TRY", "convert": true})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("no USD exchange rate on or before 2026-12-05"), "{body}");

        // Rates: managers set them; a collector may not; bad ones change nothing.
        let refused = app.graphql(&team.collector, SET_RATES, json!({"input": {"date": "2026-12-01", "rates": [{"currency": "USD", "rate": "40"}]}})).await.1;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
        let invalid = mutate(&app, &team.manager, SET_RATES, json!({"date": "2026-12-01", "rates": [{"currency": "USD", "rate": "0"}, {"currency": "TRY", "rate": "1"}, {"currency": "EUR", "rate": "45"}, {"currency": "EUR", "rate": "46"}]})).await;
        let codes: Vec<_> = invalid["userErrors"].as_array().unwrap().iter().map(|error| error["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["OUT_OF_RANGE", "BASE_CURRENCY", "DUPLICATE"], "{invalid}");
        let (_, body) = app.graphql(&team.viewer, "{ exchangeRates { currency } }", json!({})).await;
        assert_eq!(body["data"]["exchangeRates"], json!([]));
        let saved = mutate(&app, &team.manager, SET_RATES, json!({"date": "2026-12-01", "rates": [{"currency": "USD", "rate": "40.5"}]})).await;
        assert_eq!(saved["rates"], json!([{"currency": "USD", "rate": "40.5", "date": "2026-12-01"}]), "{saved}");
        // A later day's rate does not apply before it.
        mutate(&app, &team.manager, SET_RATES, json!({"date": "2026-12-10", "rates": [{"currency": "USD", "rate": "99"}]})).await;

        let converted = aging(&app, &team.viewer, json!({"currency": "TRY", "convert": true})).await;
        assert_eq!(converted["total"], "5050.00", "1,000 TRY + 100 USD × 40.5");
        assert_eq!(converted["rates"], json!([{"currency": "USD", "rate": "40.5", "date": "2026-12-01"}]));
        assert_eq!(amounts(&converted)[0], bucket("Current", "4050.00", 1));
        assert_eq!(amounts(&converted)[1], bucket("1–30", "1000.00", 1));
        let in_dollars = aging(&app, &team.viewer, json!({"currency": "USD", "convert": true})).await;
        assert_eq!(in_dollars["total"], "124.69", "100 + 1,000 / 40.5 = 24.691… → 24.69");
        let (_, body) = app.graphql(&team.viewer, "{ exchangeRates(date: \"2026-12-10\") { currency rate date } }", json!({})).await;
        assert_eq!(body["data"]["exchangeRates"], json!([{"currency": "USD", "rate": "99", "date": "2026-12-10"}]));

        // Rates belong to the organization that set them.
        let stranger = Team::new(&app, "fx-stranger").await;
        let (_, body) = app.graphql(&stranger.viewer, "{ exchangeRates(date: \"2026-12-10\") { currency } }", json!({})).await;
        assert_eq!(body["data"]["exchangeRates"], json!([]));
    }

    async fn two_collectors_cei_differ_as_the_data_says(app) {
        today(&app, "2026-12-05");
        let team = Team::new(&app, "perf").await;
        let second = app.user("perf", "second@perf.com.tr", tahsilat::domain::role::Role::Collector).await;
        let (first_id, second_id) = (viewer_id(&app, &team.collector).await, viewer_id(&app, &second).await);
        let good = create_customer(&app, &team.manager, "İyi Ödeyen").await;
        let slow = create_customer(&app, &team.manager, "Geç Ödeyen").await;
        // Both assigned before the period.
        today(&app, "2026-10-25");
        for (customer, collector) in [(&good, &first_id), (&slow, &second_id)] {
            let done = mutate(&app, &team.manager, "mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) { userErrors { code } } }", json!({"id": customer, "assignedCollectorId": collector})).await;
            assert_eq!(done["userErrors"], json!([]));
        }
        today(&app, "2026-11-18");
        // Each customer owes 1,000 due in November; the first collector calls and is paid.
        let paid = invoice(&app, &team.manager, &good, "P1", "2026-10-20", "2026-11-19", "1000.00").await;
        invoice(&app, &team.manager, &slow, "P2", "2026-10-20", "2026-11-19", "1000.00").await;
        let call = mutate(&app, &team.collector, "mutation($input: LogActivityInput!) { logActivity(input: $input) { userErrors { code } } }", json!({"kind": "CALL", "customerId": good, "note": "Ödeme sözü verdi"})).await;
        assert_eq!(call["userErrors"], json!([]));
        today(&app, "2026-12-05");
        pay(&app, &team.collector, &good, Some(&paid), "1000.00", "2026-11-20").await;

        let rows = metrics(&app, &team.manager, "2026-11-01", "2026-11-30", "COLLECTOR").await;
        let by_email = |email: &str| rows.iter().find(|row| row["collector"]["email"] == email).unwrap_or_else(|| panic!("{rows:?}")).clone();
        let first = by_email("collector@perf.com.tr");
        let slow_row = by_email("second@perf.com.tr");
        // The first collected everything collectible: CEI 100; the second nothing: CEI 0.
        assert_eq!((first["cei"].as_f64(), slow_row["cei"].as_f64()), (Some(100.0), Some(0.0)), "{rows:?}");
        assert_eq!((first["arBegin"].as_str(), first["arEnd"].as_str()), (Some("1000.00"), Some("0.00")));
        assert_eq!(first["attributedCash"], "1000.00", "paid two days after the call");
        assert_eq!(slow_row["attributedCash"], "0.00");
        assert_eq!((first["customers"].as_i64(), slow_row["customers"].as_i64()), (Some(1), Some(1)));
        assert_eq!(first["activityCounts"], json!([{"kind": "CALL", "count": 1}]), "{first}");

        // A collector sees only their own numbers, whatever they ask for.
        let own = metrics(&app, &second, "2026-11-01", "2026-11-30", "NONE").await;
        assert_eq!(own.len(), 1, "{own:?}");
        assert_eq!(own[0]["collector"]["email"], "second@perf.com.tr");
        assert_eq!(own[0]["cei"], json!(0.0));
        // A viewer is not shown collectors' performance.
        let (_, body) = app.graphql(&team.viewer, METRICS, json!({"from": "2026-11-01", "to": "2026-11-30", "currency": "TRY"})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        // Bad periods are refused.
        let (_, body) = app.graphql(&team.manager, METRICS, json!({"from": "2026-11-30", "to": "2026-11-01", "currency": "TRY"})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{body}");
        // Another organization's manager sees none of it.
        let stranger = Team::new(&app, "perf-stranger").await;
        let rows = metrics(&app, &stranger.manager, "2026-11-01", "2026-11-30", "NONE").await;
        assert_eq!((rows[0]["arBegin"].as_str(), rows[0]["cashCollected"].as_str()), (Some("0.00"), Some("0.00")));
    }

    async fn expected_dates_follow_lateness_and_move_with_a_promise(app) {
        today(&app, "2026-12-01");
        let team = Team::new(&app, "expect").await;
        let customer = create_customer(&app, &team.manager, "Geciken Ticaret").await;
        // History: paid 10 and 20 days late; the typical lateness is 10 (the lower middle).
        let h1 = invoice(&app, &team.manager, &customer, "H1", "2026-07-01", "2026-07-31", "100.00").await;
        let h2 = invoice(&app, &team.manager, &customer, "H2", "2026-09-01", "2026-09-30", "100.00").await;
        pay(&app, &team.collector, &customer, Some(&h1), "100.00", "2026-08-10").await;
        pay(&app, &team.collector, &customer, Some(&h2), "100.00", "2026-10-20").await;
        let open = invoice(&app, &team.manager, &customer, "O1", "2026-11-10", "2026-12-10", "700.00").await;
        invoice(&app, &team.manager, &customer, "O2", "2026-10-01", "2026-11-15", "300.00").await;

        let query = "query($id: ID!) { customer(id: $id) { paymentBehaviour { averageDaysLate typicalDaysLate trendDays promiseKeptRatio openDisputes overdueShare riskScore riskReasons } invoices(first: 10) { edges { node { number expectedPaymentDate } } } } }";
        let (_, body) = app.graphql(&team.viewer, query, json!({"id": customer})).await;
        let behaviour = &body["data"]["customer"]["paymentBehaviour"];
        assert_eq!((behaviour["averageDaysLate"].as_f64(), behaviour["typicalDaysLate"].as_i64()), (Some(15.0), Some(10)), "{body}");
        // Paid 20 days late within the last 90 days, 10 days late in the 90 before: +10.
        assert_eq!(behaviour["trendDays"], json!(10.0));
        assert_eq!(behaviour["overdueShare"], json!(0.3));
        assert_eq!(behaviour["promiseKeptRatio"], Value::Null);
        // 35 × 15/60 = 8.75 → 9; 30 × 0.3 = 9; 10 × 10/30 = 3.33 → 3.
        assert_eq!(behaviour["riskScore"], 21, "{behaviour}");
        assert_eq!(behaviour["riskReasons"].as_array().unwrap().len(), 3, "{behaviour}");
        let dates = expected(&body);
        // O1: due 10 December + 10; O2: due 15 November + 10 is past, so today.
        assert_eq!(dates, vec![("H1".into(), Value::Null), ("H2".into(), Value::Null), ("O1".into(), json!("2026-12-20")), ("O2".into(), json!("2026-12-01"))]);

        // A promise moves the date.
        let promised = mutate(&app, &team.collector, "mutation($input: CreatePromiseInput!) { createPromise(input: $input) { userErrors { code message } } }", json!({"customerId": customer, "invoiceIds": [open], "amount": "700.00", "currency": "TRY", "promisedDate": "2026-12-15"})).await;
        assert_eq!(promised["userErrors"], json!([]), "{promised}");
        let (_, body) = app.graphql(&team.viewer, query, json!({"id": customer})).await;
        assert_eq!(expected(&body)[2], ("O1".into(), json!("2026-12-15")));

        // The forecast: this week (from Monday 30 November) O2, the week of 14 December O1.
        let (_, body) = app.graphql(&team.viewer, "{ cashForecast(weeks: 4, currency: \"TRY\") { weekStart expected invoices } }", json!({})).await;
        assert_eq!(body["data"]["cashForecast"], json!([
            {"weekStart": "2026-11-30", "expected": "300.00", "invoices": 1},
            {"weekStart": "2026-12-07", "expected": "0.00", "invoices": 0},
            {"weekStart": "2026-12-14", "expected": "700.00", "invoices": 1},
            {"weekStart": "2026-12-21", "expected": "0.00", "invoices": 0},
        ]), "{body}");
        let (_, body) = app.graphql(&team.viewer, "{ cashForecast(weeks: 0, currency: \"TRY\") { weekStart } }", json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{body}");
        // Another organization forecasts nothing of this.
        let stranger = Team::new(&app, "expect-stranger").await;
        let (_, body) = app.graphql(&stranger.viewer, "{ cashForecast(weeks: 4, currency: \"TRY\") { invoices } }", json!({})).await;
        assert!(body["data"]["cashForecast"].as_array().unwrap().iter().all(|week| week["invoices"] == 0), "{body}");
        let (_, body) = app.graphql(&stranger.viewer, "query($id: ID!) { customer(id: $id) { paymentBehaviour { riskScore } } invoice(id: $id) { expectedPaymentDate } }", json!({"id": customer})).await;
        assert_eq!((body["data"]["customer"].clone(), body["data"]["invoice"].clone()), (Value::Null, Value::Null), "{body}");
        let (_, body) = app.graphql(&stranger.viewer, "query($id: ID!) { invoice(id: $id) { expectedPaymentDate } }", json!({"id": open})).await;
        assert_eq!(body["data"]["invoice"], Value::Null, "{body}");
    }

    async fn aging_reports_open_in_a_spreadsheet_with_the_api_figures(app) {
        today(&app, "2026-12-05");
        let team = Team::new(&app, "sheet").await;
        for (name, total, due) in [("Anadolu; Yapı", "1250.50", "2026-11-20"), ("=Formül Ltd", "300.00", "2026-08-10"), ("Güncel A.Ş.", "99.99", "2026-12-30")] {
            let customer = create_customer(&app, &team.manager, name).await;
            invoice(&app, &team.manager, &customer, &format!("{total}-{due}"), "2026-07-01", due, total).await;
        }
        let report = aging(&app, &team.viewer, json!({"currency": "TRY", "groupBy": "CUSTOMER", "first": 100})).await;

        // Without a token: 401.
        let response = app.client.get(app.url("/reports/aging.csv?groupBy=CUSTOMER")).send().await.unwrap();
        assert_eq!(response.status(), 401);
        // Bad arguments: 400 with the reason.
        let response = app.client.get(app.url("/reports/aging.csv?asOf=yesterday")).bearer_auth(&team.viewer).send().await.unwrap();
        assert_eq!(response.status(), 400);

        // English: `,` and decimal points.
        let response = app.client.get(app.url("/reports/aging.csv?currency=TRY&groupBy=CUSTOMER")).bearer_auth(&team.viewer).header("accept-language", "en-GB,en;q=0.9").send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        assert!(response.headers()["content-disposition"].to_str().unwrap().contains("aging-2026-12-05-TRY.csv"));
        let text = response.text().await.unwrap();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "Customer,Collector,Current,1–30 days,31–60 days,61–90 days,91–120 days,121+ days,Total,Unapplied cash");
        assert_eq!(lines.len(), 5, "{text}");
        assert_eq!(lines[1], "Anadolu; Yapı,(unassigned),0.00,1250.50,0.00,0.00,0.00,0.00,1250.50,0.00", "largest overdue first");
        assert_eq!(lines[2], "'=Formül Ltd,(unassigned),0.00,0.00,0.00,0.00,300.00,0.00,300.00,0.00", "a name that looks like a formula is defused");
        assert_eq!(lines[4], "Total 2026-12-05 TRY,,99.99,1250.50,0.00,0.00,300.00,0.00,1650.49,0.00");
        assert_eq!(report["total"], "1650.49");

        // Turkish: `;` and decimal commas.
        let response = app.client.get(app.url("/reports/aging.csv?groupBy=CUSTOMER")).bearer_auth(&team.viewer).header("accept-language", "tr-TR,tr;q=0.9,en;q=0.5").send().await.unwrap();
        let text = response.text().await.unwrap();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert!(lines[0].starts_with("Müşteri;Tahsilatçı;Vadesi gelmemiş;1–30 gün"), "{}", lines[0]);
        // The separator inside a name is quoted.
        assert!(lines[1].starts_with("\"Anadolu; Yapı\";(atanmamış);0,00;1250,50;"), "{}", lines[1]);
        assert!(lines[4].starts_with("Toplam 2026-12-05 TRY;;99,99;"), "{}", lines[4]);

        // XLSX, read back: the same figures as the API.
        let response = app.client.get(app.url("/reports/aging.xlsx?currency=TRY&groupBy=CUSTOMER")).bearer_auth(&team.viewer).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        let bytes = response.bytes().await.unwrap();
        let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        use calamine::Reader;
        let sheet = workbook.worksheet_range("Aging").unwrap();
        let rows: Vec<Vec<calamine::Data>> = sheet.rows().map(<[calamine::Data]>::to_vec).collect();
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0][0], calamine::Data::String("Customer".into()));
        for (index, edge) in report["groups"]["edges"].as_array().unwrap().iter().enumerate() {
            let row = &rows[index + 1];
            assert_eq!(row[0], calamine::Data::String(edge["node"]["customer"]["name"].as_str().unwrap().into()));
            let total: f64 = edge["node"]["total"].as_str().unwrap().parse().unwrap();
            assert_eq!(row[8], calamine::Data::Float(total), "{row:?}");
            for (bucket, cell) in edge["node"]["buckets"].as_array().unwrap().iter().zip(&row[2..8]) {
                let amount: f64 = bucket["amount"].as_str().unwrap().parse().unwrap();
                assert_eq!(*cell, calamine::Data::Float(amount));
            }
        }
        assert_eq!(rows[4][8], calamine::Data::Float(1650.49));
        // Another organization's token gets its own (empty) report.
        let stranger = Team::new(&app, "sheet-stranger").await;
        let text = app.client.get(app.url("/reports/aging.csv?groupBy=CUSTOMER")).bearer_auth(&stranger.viewer).send().await.unwrap().text().await.unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
    }
}

fn expected(body: &Value) -> Vec<(String, Value)> {
    let mut dates: Vec<(String, Value)> = body["data"]["customer"]["invoices"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            (
                edge["node"]["number"].as_str().unwrap().to_owned(),
                edge["node"]["expectedPaymentDate"].clone(),
            )
        })
        .collect();
    dates.sort_by(|a, b| a.0.cmp(&b.0));
    dates
}

async fn viewer_id(app: &TestApp, token: &str) -> String {
    let (_, body) = app.graphql(token, "{ viewer { id } }", json!({})).await;
    body["data"]["viewer"]["id"].as_str().unwrap().to_owned()
}
