//! Payment plans over HTTP with the clock moved day by day: a plan whose installments are paid
//! late, then missed, until it breaks and normal dunning takes over again; a plan with interest
//! paid through installment links until it completes (and reopens when a payment is reversed);
//! every new field and mutation tried across organizations and roles.

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::callbacks::{event, send};
use crate::collections::{Team, create_invoice, mutate};
use crate::dunning::{every_day, run_day, set_day};
use crate::helpers::TestApp;

const CREATE: &str = "mutation($input: CreatePaymentPlanInput!) { createPaymentPlan(input: $input) { plan { id status principal { amount currency } interest { amount } interestPercent total { amount currency } installments { id position count dueDate amount { amount } paid { amount } status } invoices { number } createdByLabel } userErrors { field code message } } }";
const CANCEL: &str = "mutation($input: CancelPaymentPlanInput!) { cancelPaymentPlan(input: $input) { plan { status endReason endedAt } userErrors { field code } } }";
const PLAN: &str = "query($id: ID!) { paymentPlan(id: $id) { status paid { amount } left { amount } endReason installments { position paid { amount } left { amount } status missedAt } } }";
const CUSTOMER: &str = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { code } } }";
const RECORD: &str = "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id unappliedAmount { amount } allocations { amount { amount } } } userErrors { field code } } }";
const LINK: &str = "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id providerLinkId amount { amount } url status } userErrors { field code } } }";
const INVOICE: &str =
    "query($id: ID!) { invoice(id: $id) { status paidAmount { amount } balance { amount } } }";
const KINDS: &str = "query($id: ID!) { activities(first: 100, filter: {customerId: $id, kinds: [PLAN_CREATED, PLAN_INSTALLMENT_MISSED, PLAN_COMPLETED, PLAN_BROKEN, PLAN_CANCELLED]}) { edges { node { kind actorLabel data } } } }";
const REMINDERS: &str = "query($id: ID!) { activities(first: 100, filter: {customerId: $id, kinds: [REMINDER_SENT]}) { edges { node { occurredAt data } } } }";

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn plan(app: &TestApp, token: &str, id: &str) -> Value {
    let (_, body) = app.graphql(token, PLAN, json!({"id": id})).await;
    body["data"]["paymentPlan"].clone()
}

fn statuses(plan: &Value) -> Vec<String> {
    plan["installments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|installment| installment["status"].as_str().unwrap().to_owned())
        .collect()
}

async fn settle(app: &TestApp) -> tahsilat::services::plans::SettleReport {
    tahsilat::services::plans::settle_due(&app.state)
        .await
        .unwrap()
}

/// The plan activities of a customer, oldest first.
async fn plan_kinds(app: &TestApp, token: &str, customer: &str) -> Vec<String> {
    let (_, body) = app.graphql(token, KINDS, json!({"id": customer})).await;
    let mut kinds: Vec<String> = body["data"]["activities"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.reverse();
    kinds
}

/// (installment position or null, invoice numbers) of each REMINDER_SENT, oldest first.
async fn reminders(app: &TestApp, token: &str, customer: &str) -> Vec<(Value, Value)> {
    let (_, body) = app.graphql(token, REMINDERS, json!({"id": customer})).await;
    let mut sent: Vec<(Value, Value)> = body["data"]["activities"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            let data = &edge["node"]["data"];
            (
                data["planInstallment"]["position"].clone(),
                data["invoices"].clone(),
            )
        })
        .collect();
    sent.reverse();
    sent
}

on_both_databases! {
    async fn a_plan_paid_late_then_missed_twice_breaks_and_dunning_resumes(app) {
        set_day(&app, day("2026-12-01"));
        let team = Team::new(&app, "taksit").await;
        let other = Team::new(&app, "taksit-rakip").await;
        every_day(&app, &team.admin).await;
        let (_, me) = app.graphql(&team.collector, "{ viewer { id } }", json!({})).await;
        let collector = me["data"]["viewer"]["id"].clone();
        let made = mutate(&app, &team.manager, CUSTOMER, json!({"name": "Zorda Ticaret", "email": "muhasebe@zorda.com.tr", "assignedCollectorId": collector})).await;
        let customer = made["customer"]["id"].as_str().unwrap().to_owned();
        let a = create_invoice(&app, &team.manager, &customer, "A", "1000.00", "2026-11-01").await;
        let b = create_invoice(&app, &team.manager, &customer, "B", "500.00", "2026-11-10").await;
        // 300 paid before the plan: it covers the 1,200 still owed.
        let paid = mutate(&app, &team.collector, RECORD, json!({"customerId": customer, "amount": "300.00", "currency": "TRY", "method": "BANK_TRANSFER"})).await;
        assert_eq!(paid["userErrors"], json!([]), "{paid}");

        // Bad input is refused with the field named, and nothing is made.
        let input = |extra: Value| {
            let mut input = json!({"customerId": customer, "invoiceIds": [a, b]});
            for (key, value) in extra.as_object().unwrap() {
                input[key] = value.clone();
            }
            input
        };
        let refused = [
            (json!({}), "SCHEDULE_REQUIRED"),
            (json!({"count": 3, "firstDueDate": "2026-12-10"}), "SCHEDULE_REQUIRED"),
            (json!({"count": 3, "firstDueDate": "2026-12-10", "interval": "MONTHLY", "installments": [{"dueDate": "2026-12-10", "amount": "1200.00"}]}), "SCHEDULE_REQUIRED"),
            (json!({"installments": [{"dueDate": "2026-12-10", "amount": "600.00"}, {"dueDate": "2027-01-10", "amount": "500.00"}]}), "SUM_MISMATCH"),
            (json!({"installments": [{"dueDate": "2027-01-10", "amount": "600.00"}, {"dueDate": "2026-12-10", "amount": "600.00"}]}), "NOT_ASCENDING"),
            (json!({"installments": [{"dueDate": "2026-11-30", "amount": "1200.00"}]}), "DATE_IN_PAST"),
            (json!({"installments": [{"dueDate": "2026-12-10", "amount": "1200.001"}]}), "TOO_MANY_DECIMALS"),
            (json!({"count": 0, "firstDueDate": "2026-12-10", "interval": "MONTHLY"}), "OUT_OF_RANGE"),
            (json!({"count": 3, "firstDueDate": "2030-12-10", "interval": "MONTHLY"}), "OUT_OF_RANGE"),
            (json!({"count": 3, "firstDueDate": "2026-12-10", "interval": "MONTHLY", "interestPercent": "101"}), "OUT_OF_RANGE"),
            (json!({"count": 3, "firstDueDate": "2026-12-10", "interval": "MONTHLY", "note": "bad\u{0007}note"}), "INVALID_TEXT"),
            (json!({"count": 3, "firstDueDate": "2026-12-10", "interval": "MONTHLY", "invoiceIds": [a, a]}), "DUPLICATE"),
            (json!({"count": 3, "firstDueDate": "2026-12-10", "interval": "MONTHLY", "invoiceIds": []}), "REQUIRED"),
        ];
        for (extra, code) in refused {
            let payload = mutate(&app, &team.collector, CREATE, input(extra.clone())).await;
            assert_eq!(codes(&payload), [code], "{extra}: {payload}");
            assert_eq!(payload["plan"], Value::Null);
        }
        // Another organization sees neither the customer nor the invoices; a viewer may not.
        let foreign = mutate(&app, &other.collector, CREATE, input(json!({"count": 3, "firstDueDate": "2026-12-10", "interval": "MONTHLY"}))).await;
        assert_eq!(codes(&foreign)[0], "NOT_FOUND", "{foreign}");
        let (_, body) = app.graphql(&team.viewer, CREATE, json!({"input": input(json!({"count": 3, "firstDueDate": "2026-12-10", "interval": "MONTHLY"}))})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        let (_, none) = app.graphql(&team.viewer, "{ paymentPlans { totalCount } }", json!({})).await;
        assert_eq!(none["data"]["paymentPlans"]["totalCount"], 0);

        // Three monthly installments of 400.00 from 10 December.
        let made = mutate(&app, &team.collector, CREATE, input(json!({"count": 3, "firstDueDate": "2026-12-10", "interval": "MONTHLY", "note": "Üç ay, her ayın 10'u"}))).await;
        assert_eq!(made["userErrors"], json!([]), "{made}");
        let created = &made["plan"];
        assert_eq!(created["status"], "ACTIVE");
        assert_eq!(created["principal"], json!({"amount": "1200.00", "currency": "TRY"}));
        assert_eq!(created["interest"]["amount"], "0.00");
        assert_eq!(created["total"]["amount"], "1200.00");
        assert_eq!(created["createdByLabel"], "collector@taksit.com.tr");
        assert_eq!(created["invoices"], json!([{"number": "A"}, {"number": "B"}]));
        let schedule: Vec<(String, String, String)> = created["installments"].as_array().unwrap().iter().map(|i| (i["dueDate"].as_str().unwrap().to_owned(), i["amount"]["amount"].as_str().unwrap().to_owned(), i["status"].as_str().unwrap().to_owned())).collect();
        assert_eq!(schedule, vec![
            ("2026-12-10".into(), "400.00".into(), "PENDING".into()),
            ("2027-01-10".into(), "400.00".into(), "PENDING".into()),
            ("2027-02-10".into(), "400.00".into(), "PENDING".into()),
        ]);
        let id = created["id"].as_str().unwrap().to_owned();
        let installments: Vec<String> = created["installments"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect();

        // One active plan per customer and currency; an invoice in one plan only.
        let again = mutate(&app, &team.collector, CREATE, json!({"customerId": customer, "invoiceIds": [b], "count": 1, "firstDueDate": "2026-12-10", "interval": "WEEKLY"})).await;
        assert_eq!(codes(&again), ["IN_PAYMENT_PLAN"], "{again}");
        // A covered invoice cannot be voided while the plan runs.
        let void = mutate(&app, &team.manager, "mutation($input: VoidInvoiceInput!) { voidInvoice(input: $input) { userErrors { code } } }", json!({"id": b, "reason": "hata"})).await;
        assert_eq!(codes(&void), ["IN_PAYMENT_PLAN"], "{void}");
        // Others cannot read it.
        let (_, body) = app.graphql(&other.viewer, PLAN, json!({"id": id})).await;
        assert_eq!(body["data"]["paymentPlan"], Value::Null, "{body}");
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { customer(id: $id) { paymentPlans { id status } } }", json!({"id": customer})).await;
        assert_eq!(body["data"]["customer"]["paymentPlans"], json!([{"id": id, "status": "ACTIVE"}]));

        // A and B are 30 and 21 days overdue, yet no invoice reminder goes: the plan covers them,
        // and its first installment's earliest step (-3 days) is not due yet.
        run_day(&app).await;
        assert_eq!(reminders(&app, &team.viewer, &customer).await, vec![]);
        // On 7 December, three days before the first installment, its own reminder goes with a
        // pay link for that installment alone.
        set_day(&app, day("2026-12-07"));
        run_day(&app).await;
        assert_eq!(reminders(&app, &team.viewer, &customer).await, vec![(json!(1), json!(["A", "B"]))]);
        let (_, body) = app.graphql(&team.viewer, REMINDERS, json!({"id": customer})).await;
        let pay_link = body["data"]["activities"]["edges"][0]["node"]["data"]["payLink"].as_str().unwrap().to_owned();
        let page = app.client.get(&pay_link).header("accept-language", "tr").send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Taksit 1/3") && page.contains("400,00"), "{page}");
        // A second pass the same day sends nothing again.
        run_day(&app).await;
        assert_eq!(reminders(&app, &team.viewer, &customer).await.len(), 1);

        // Paid a day late, within grace: PAID, not missed. The money goes to the plan's invoices
        // oldest first and fills the first installment.
        set_day(&app, day("2026-12-11"));
        let paid = mutate(&app, &team.collector, RECORD, json!({"customerId": customer, "amount": "400.00", "currency": "TRY", "method": "BANK_TRANSFER"})).await;
        assert_eq!(paid["userErrors"], json!([]), "{paid}");
        let state = plan(&app, &team.viewer, &id).await;
        assert_eq!(statuses(&state), ["PAID", "PENDING", "PENDING"], "{state}");
        assert_eq!(state["paid"]["amount"], "400.00");
        assert_eq!(state["left"]["amount"], "800.00");
        for date in ["2026-12-12", "2026-12-13", "2026-12-20"] {
            set_day(&app, day(date));
            assert_eq!(settle(&app).await, Default::default(), "{date}");
        }

        // A link for the second installment asks 400.00; links for a paid installment, for two
        // plans' installments at once or from another organization are refused.
        let link = mutate(&app, &team.collector, LINK, json!({"planInstallmentIds": [installments[1]]})).await;
        assert_eq!(link["userErrors"], json!([]), "{link}");
        assert_eq!(link["paymentLink"]["amount"]["amount"], "400.00");
        let paid_one = mutate(&app, &team.collector, LINK, json!({"planInstallmentIds": [installments[0]]})).await;
        assert_eq!(codes(&paid_one), ["INSTALLMENT_PAID"], "{paid_one}");
        let both = mutate(&app, &team.collector, LINK, json!({"planInstallmentIds": [installments[1]], "invoiceIds": [a]})).await;
        assert_eq!(codes(&both), ["AMBIGUOUS"], "{both}");
        let foreign = mutate(&app, &other.collector, LINK, json!({"planInstallmentIds": [installments[1]]})).await;
        assert_eq!(codes(&foreign), ["NOT_FOUND"], "{foreign}");
        let (_, body) = app.graphql(&team.viewer, LINK, json!({"input": {"planInstallmentIds": [installments[1]]}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");

        // The second installment is never paid: still PENDING through its two grace days,
        // MISSED on the third, with a call first on the collector's list. One miss does not
        // break the plan.
        for date in ["2027-01-10", "2027-01-11", "2027-01-12"] {
            set_day(&app, day(date));
            assert_eq!(settle(&app).await.missed, 0, "{date}");
        }
        set_day(&app, day("2027-01-13"));
        let report = settle(&app).await;
        assert_eq!((report.missed, report.broken), (1, 0));
        let state = plan(&app, &team.viewer, &id).await;
        assert_eq!(statuses(&state), ["PAID", "MISSED", "PENDING"], "{state}");
        assert_eq!(state["status"], "ACTIVE");
        assert!(state["installments"][1]["missedAt"].is_string());
        assert_eq!(settle(&app).await, Default::default(), "a miss is marked once");
        let (_, list) = app.graphql(&team.collector, "{ worklist { source kind note invoices { number } } }", json!({})).await;
        assert_eq!(list["data"]["worklist"][0]["source"], "PAYMENT_PLAN", "{list}");
        assert_eq!(list["data"]["worklist"][0]["kind"], "CALL");
        assert_eq!(list["data"]["worklist"][0]["invoices"], json!([{"number": "A"}, {"number": "B"}]));
        assert!(list["data"]["worklist"][0]["note"].as_str().unwrap().contains("2/3"), "{list}");

        // The third is missed too: the plan breaks, its link is withdrawn, and the invoices'
        // own reminders resume over what they still owe (A 300.00, B 500.00).
        set_day(&app, day("2027-02-12"));
        let link = mutate(&app, &team.collector, LINK, json!({"planInstallmentIds": [installments[1], installments[2]]})).await;
        assert_eq!(link["paymentLink"]["amount"]["amount"], "800.00", "{link}");
        let link_id = link["paymentLink"]["id"].as_str().unwrap().to_owned();
        set_day(&app, day("2027-02-13"));
        let report = settle(&app).await;
        assert_eq!((report.missed, report.broken), (1, 1));
        let state = plan(&app, &team.viewer, &id).await;
        assert_eq!(state["status"], "BROKEN", "{state}");
        assert_eq!(statuses(&state), ["PAID", "MISSED", "MISSED"]);
        assert!(state["endReason"].as_str().unwrap().contains("2"), "{state}");
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { paymentLink(id: $id) { status } }", json!({"id": link_id})).await;
        assert_eq!(body["data"]["paymentLink"]["status"], "CANCELLED", "{body}");
        assert_eq!(
            plan_kinds(&app, &team.viewer, &customer).await,
            ["PLAN_CREATED", "PLAN_INSTALLMENT_MISSED", "PLAN_INSTALLMENT_MISSED", "PLAN_BROKEN"]
        );
        run_day(&app).await;
        let sent = reminders(&app, &team.viewer, &customer).await;
        assert_eq!(sent.last().unwrap(), &(Value::Null, json!(["A", "B"])), "{sent:?}");
        let (_, body) = app.graphql(&team.viewer, INVOICE, json!({"id": a})).await;
        assert_eq!(body["data"]["invoice"]["balance"]["amount"], "300.00");

        // An ended plan cannot be cancelled; listing by status finds it.
        let cancel = mutate(&app, &team.collector, CANCEL, json!({"id": id, "reason": "geç"})).await;
        assert_eq!(codes(&cancel), ["NOT_ACTIVE"], "{cancel}");
        let (_, body) = app.graphql(&team.viewer, "{ paymentPlans(filter: {status: BROKEN}) { totalCount edges { node { id } } } }", json!({})).await;
        assert_eq!(body["data"]["paymentPlans"]["totalCount"], 1, "{body}");
        // With the plan over, a new one may be agreed on what is left.
        let fresh = mutate(&app, &team.collector, CREATE, json!({"customerId": customer, "invoiceIds": [a, b], "installments": [{"dueDate": "2027-02-20", "amount": "800.00"}]})).await;
        assert_eq!(fresh["userErrors"], json!([]), "{fresh}");
        assert_eq!(fresh["plan"]["total"]["amount"], "800.00");
    }
}

on_both_databases! {
    with crate::callbacks::spawn;
    async fn a_plan_with_interest_completes_through_its_links_and_reopens_on_a_reversal(app) {
        set_day(&app, day("2026-12-01"));
        let team = Team::new(&app, "vade").await;
        let customer = mutate(&app, &team.manager, CUSTOMER, json!({"name": "Vade Farkı Ltd", "email": "odeme@vadefarki.com.tr"})).await["customer"]["id"].as_str().unwrap().to_owned();
        let invoice = create_invoice(&app, &team.manager, &customer, "V-1", "1000.00", "2026-11-01").await;
        // 5 % interest on 1,000.00: 50.00, so the installments must add up to 1,050.00.
        let short = mutate(&app, &team.collector, CREATE, json!({"customerId": customer, "invoiceIds": [invoice], "interestPercent": "5", "installments": [{"dueDate": "2026-12-15", "amount": "500.00"}, {"dueDate": "2027-01-15", "amount": "500.00"}]})).await;
        assert_eq!(codes(&short), ["SUM_MISMATCH"], "{short}");
        assert!(short["userErrors"][0]["message"].as_str().unwrap().contains("1050.00"), "{short}");
        let made = mutate(&app, &team.collector, CREATE, json!({"customerId": customer, "invoiceIds": [invoice], "interestPercent": "5", "installments": [{"dueDate": "2026-12-15", "amount": "525.00"}, {"dueDate": "2027-01-15", "amount": "525.00"}]})).await;
        assert_eq!(made["userErrors"], json!([]), "{made}");
        assert_eq!(made["plan"]["interest"]["amount"], "50.00");
        assert_eq!(made["plan"]["interestPercent"], "5.00");
        assert_eq!(made["plan"]["total"]["amount"], "1050.00");
        let id = made["plan"]["id"].as_str().unwrap().to_owned();
        let installments: Vec<String> = made["plan"]["installments"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect();

        // The first installment paid by card through its own link.
        let link = mutate(&app, &team.collector, LINK, json!({"planInstallmentIds": [installments[0]]})).await;
        assert_eq!(link["paymentLink"]["amount"]["amount"], "525.00", "{link}");
        let provider_link = link["paymentLink"]["providerLinkId"].as_str().unwrap().to_owned();
        let (status, _) = send(&app, event("plan-1", "payment.succeeded", &provider_link, "525.00", 1)).await;
        assert_eq!(status, 200);
        let state = plan(&app, &team.viewer, &id).await;
        assert_eq!(statuses(&state), ["PAID", "PENDING"], "{state}");

        // The second link asks 525.00 though the invoice owes only 475.00: the rest is the
        // plan's interest, booked apart, not an overpayment and not a review.
        let link = mutate(&app, &team.collector, LINK, json!({"planInstallmentIds": [installments[1]]})).await;
        assert_eq!(link["paymentLink"]["amount"]["amount"], "525.00", "{link}");
        let provider_link = link["paymentLink"]["providerLinkId"].as_str().unwrap().to_owned();
        let (status, _) = send(&app, event("plan-2", "payment.succeeded", &provider_link, "525.00", 1)).await;
        assert_eq!(status, 200);
        // The same notification again changes nothing.
        let (status, _) = send(&app, event("plan-2", "payment.succeeded", &provider_link, "525.00", 1)).await;
        assert_eq!(status, 200);
        let state = plan(&app, &team.viewer, &id).await;
        assert_eq!(state["status"], "COMPLETED", "{state}");
        assert_eq!(state["paid"]["amount"], "1050.00");
        assert_eq!(statuses(&state), ["PAID", "PAID"]);
        let (_, body) = app.graphql(&team.viewer, INVOICE, json!({"id": invoice})).await;
        assert_eq!(body["data"]["invoice"], json!({"status": "PAID", "paidAmount": {"amount": "1000.00"}, "balance": {"amount": "0.00"}}));
        let (_, body) = app.graphql(&team.viewer, "{ payments(first: 5) { edges { node { id amount { amount } unappliedAmount { amount } needsReview } } } }", json!({})).await;
        let payments = body["data"]["payments"]["edges"].as_array().unwrap().clone();
        assert_eq!(payments.len(), 2, "{body}");
        for payment in &payments {
            assert_eq!(payment["node"]["unappliedAmount"]["amount"], "0.00", "{body}");
            assert_eq!(payment["node"]["needsReview"], false, "{body}");
        }
        assert_eq!(plan_kinds(&app, &team.viewer, &customer).await, ["PLAN_CREATED", "PLAN_COMPLETED"]);

        // The last card payment is charged back: the plan is owed again and ACTIVE.
        let latest = payments[0]["node"]["id"].as_str().unwrap().to_owned();
        let reversed = mutate(&app, &team.manager, "mutation($input: ReversePaymentInput!) { reversePayment(input: $input) { payment { reversed } userErrors { code } } }", json!({"paymentId": latest, "reason": "chargeback"})).await;
        assert_eq!(reversed["payment"]["reversed"], true, "{reversed}");
        let state = plan(&app, &team.viewer, &id).await;
        assert_eq!(state["status"], "ACTIVE", "{state}");
        assert_eq!(statuses(&state), ["PAID", "PENDING"]);
        assert_eq!(state["left"]["amount"], "525.00");

        // A payment recorded without allocations goes to the plan's invoice, then its interest.
        let paid = mutate(&app, &team.collector, RECORD, json!({"customerId": customer, "amount": "600.00", "currency": "TRY", "method": "BANK_TRANSFER"})).await;
        assert_eq!(paid["payment"]["allocations"], json!([{"amount": {"amount": "475.00"}}]), "{paid}");
        assert_eq!(paid["payment"]["unappliedAmount"]["amount"], "75.00", "only what is beyond the plan is unapplied");
        let state = plan(&app, &team.viewer, &id).await;
        assert_eq!(state["status"], "COMPLETED", "{state}");
        // Nothing more to do for the job.
        assert_eq!(settle(&app).await, Default::default());
    }

    async fn plans_are_cancelled_by_collectors_and_listed_without_extra_statements(app) {
        set_day(&app, day("2026-12-01"));
        let team = Team::new(&app, "iptal").await;
        let other = Team::new(&app, "iptal-diger").await;
        let mut ids = Vec::new();
        for index in 0..6 {
            let customer = mutate(&app, &team.manager, CUSTOMER, json!({"name": format!("Müşteri {index}")})).await["customer"]["id"].as_str().unwrap().to_owned();
            let invoice = create_invoice(&app, &team.manager, &customer, &format!("C-{index}"), "900.00", "2026-11-01").await;
            let made = mutate(&app, &team.collector, CREATE, json!({"customerId": customer, "invoiceIds": [invoice], "count": 3, "firstDueDate": "2026-12-05", "interval": "WEEKLY"})).await;
            assert_eq!(made["userErrors"], json!([]), "{made}");
            let dates: Vec<&str> = made["plan"]["installments"].as_array().unwrap().iter().map(|i| i["dueDate"].as_str().unwrap()).collect();
            assert_eq!(dates, ["2026-12-05", "2026-12-12", "2026-12-19"]);
            ids.push(made["plan"]["id"].as_str().unwrap().to_owned());
            if index == 0 {
                // One active plan per customer and currency: a second invoice waits for it.
                let second = create_invoice(&app, &team.manager, &customer, "C-0b", "100.00", "2026-11-15").await;
                let again = mutate(&app, &team.collector, CREATE, json!({"customerId": customer, "invoiceIds": [second], "count": 1, "firstDueDate": "2026-12-05", "interval": "WEEKLY"})).await;
                assert_eq!(codes(&again), ["ACTIVE_PLAN_EXISTS"], "{again}");
            }
        }
        // The list's statements do not grow with its page.
        let query = "query($first: Int) { paymentPlans(first: $first) { edges { node { id status total { amount } paid { amount } customer { name } invoices { number } installments { dueDate status paid { amount } } } } } }";
        let mut counts = Vec::new();
        for first in [2, 6] {
            let (count, body) = app.statements_for(&team.viewer, query, json!({"first": first})).await;
            assert_eq!(body["data"]["paymentPlans"]["edges"].as_array().unwrap().len(), first as usize, "{body}");
            counts.push(count);
        }
        assert_eq!(counts[0], counts[1], "statements grew with the page: {counts:?}");

        // Cancelling: viewers may not, other organizations find nothing, a reason is required.
        let (_, body) = app.graphql(&team.viewer, CANCEL, json!({"input": {"id": ids[0], "reason": "vazgeçildi"}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        let foreign = mutate(&app, &other.manager, CANCEL, json!({"id": ids[0], "reason": "vazgeçildi"})).await;
        assert_eq!(codes(&foreign), ["NOT_FOUND"]);
        let blank = mutate(&app, &team.collector, CANCEL, json!({"id": ids[0], "reason": "  "})).await;
        assert_eq!(codes(&blank), ["REQUIRED"]);
        let cancelled = mutate(&app, &team.collector, CANCEL, json!({"id": ids[0], "reason": "Müşteri tek seferde ödeyecek"})).await;
        assert_eq!(cancelled["plan"]["status"], "CANCELLED", "{cancelled}");
        assert_eq!(cancelled["plan"]["endReason"], "Müşteri tek seferde ödeyecek");
        let (_, body) = app.graphql(&team.viewer, "{ cancelled: paymentPlans(filter: {status: CANCELLED}) { totalCount } active: paymentPlans(filter: {status: ACTIVE}) { totalCount } }", json!({})).await;
        assert_eq!(body["data"], json!({"cancelled": {"totalCount": 1}, "active": {"totalCount": 5}}), "{body}");
        let (_, body) = app.graphql(&other.viewer, "{ paymentPlans { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["paymentPlans"]["totalCount"], 0);
    }
}
