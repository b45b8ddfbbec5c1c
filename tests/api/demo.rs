//! The demo organization: realistic, consistent, and seeded only once.

use std::collections::{HashMap, HashSet};

use sea_orm::EntityTrait;
use tahsilat::clock::Clock;
use tahsilat::domain::activity::ActivityKind;
use tahsilat::domain::invoice::InvoiceStatus;
use tahsilat::entities::{activity, contact, customer, invoice, payment, payment_allocation, user};
use tahsilat::services::demo::seed;

on_both_databases! {
    async fn seeding_twice_adds_nothing_the_second_time(app) {
        let first = seed(&app.state.db, &app.clock).await.unwrap();
        assert!(first.created);
        let db = app.state.db.reader();
        let counts = || async {
            (
                customer::Entity::find().all(db).await.unwrap().len(),
                invoice::Entity::find().all(db).await.unwrap().len(),
                payment::Entity::find().all(db).await.unwrap().len(),
                activity::Entity::find().all(db).await.unwrap().len(),
                user::Entity::find().all(db).await.unwrap().len(),
            )
        };
        let before = counts().await;
        let second = seed(&app.state.db, &app.clock).await.unwrap();
        assert!(!second.created);
        assert_eq!(counts().await, before);
        assert_ne!(first.admin_token, second.admin_token);
        assert_eq!((second.customers, second.invoices), (25, 150));

        // Either token opens the demo as its admin.
        for token in [&first.admin_token, &second.admin_token] {
            let (status, body) = app.graphql(token, "{ viewer { role organization { name } } }", serde_json::json!({})).await;
            assert_eq!(status, 200);
            assert_eq!(body["data"]["viewer"]["role"], "ADMIN");
            assert_eq!(body["data"]["viewer"]["organization"]["name"], "Demo Ticaret A.Ş.");
        }
    }

    async fn demo_data_is_realistic_and_consistent(app) {
        seed(&app.state.db, &app.clock).await.unwrap();
        let db = app.state.db.reader();
        let today = app.clock.today();
        let customers = customer::Entity::find().all(db).await.unwrap();
        let contacts = contact::Entity::find().all(db).await.unwrap();
        let invoices = invoice::Entity::find().all(db).await.unwrap();
        let allocations = payment_allocation::Entity::find().all(db).await.unwrap();
        let payments = payment::Entity::find().all(db).await.unwrap();
        let activities = activity::Entity::find().all(db).await.unwrap();

        assert_eq!(customers.len(), 25);
        let with_contact: HashSet<_> = contacts.iter().map(|c| c.customer_id).collect();
        assert_eq!(with_contact.len(), 25, "every customer has a contact");
        assert_eq!(contacts.iter().filter(|c| c.is_primary).count(), 25, "one primary contact each");

        assert_eq!(invoices.len(), 150);
        let currencies: HashSet<_> = invoices.iter().map(|i| i.currency.as_str()).collect();
        assert!(currencies.contains("TRY") && currencies.contains("USD") && currencies.contains("EUR"), "{currencies:?}");
        assert!(invoices.iter().filter(|i| i.currency == "TRY").count() > 100);
        let oldest = invoices.iter().map(|i| i.issue_date).min().unwrap();
        assert!((today - oldest).num_days() >= 150 && (today - oldest).num_days() <= 181);
        assert!(invoices.iter().any(|i| i.due_date > today), "some invoices are not due yet");
        let overdue = invoices.iter().filter(|i| i.due_date < today && i.paid_minor < i.total_minor).count();
        assert!(overdue >= 15, "only {overdue} overdue invoices");
        for status in [InvoiceStatus::Open, InvoiceStatus::PartiallyPaid, InvoiceStatus::Paid] {
            assert!(invoices.iter().any(|i| i.status == status), "no {status:?} invoice");
        }

        // Every kuruş adds up: paid amounts are exactly the allocations, which are exactly the payments.
        let mut allocated: HashMap<uuid::Uuid, i64> = HashMap::new();
        // (A bounced cheque's allocations stay, marked reversed: they no longer pay.)
        for allocation in allocations.iter().filter(|allocation| allocation.reversed_on.is_none()) {
            *allocated.entry(allocation.invoice_id).or_default() += allocation.amount_minor;
        }
        for invoice in &invoices {
            assert_eq!(invoice.paid_minor, allocated.get(&invoice.id).copied().unwrap_or(0), "{}", invoice.number);
            assert_eq!(invoice.status, InvoiceStatus::from_amounts(invoice.total_minor, invoice.paid_minor));
        }
        let payment_total: i64 = payments.iter().map(|p| p.amount_minor).sum();
        assert_eq!(payment_total, allocations.iter().map(|a| a.amount_minor).sum::<i64>());
        assert!(payments.iter().all(|p| p.received_at <= app.clock.now()));

        let actors: HashSet<_> = activities
            .iter()
            .filter(|a| a.kind == ActivityKind::Call)
            .map(|a| a.actor_label.as_str())
            .collect();
        assert_eq!(actors.len(), 2, "calls by two collectors: {actors:?}");
        assert!(activities.iter().any(|a| a.kind == ActivityKind::PromiseToPay));
        assert!(activities.iter().all(|a| a.occurred_at <= app.clock.now()));

        // A small cheque portfolio with one bounced cheque, whose payment is reversed.
        let token = app.user(tahsilat::services::demo::DEMO_ORGANIZATION, "cfo@demoticaret.com.tr", tahsilat::domain::role::Role::Viewer).await;
        let (_, body) = app.graphql(&token, "{ instruments(first: 20) { edges { node { status maturityDate payment { reversed } history { status } } } } }", serde_json::json!({})).await;
        let nodes: Vec<_> = body["data"]["instruments"]["edges"].as_array().unwrap().iter().map(|edge| edge["node"].clone()).collect();
        let count = |status: &str| nodes.iter().filter(|node| node["status"] == status).count();
        assert_eq!(count("BOUNCED"), 1, "{body}");
        assert!(count("IN_PORTFOLIO") >= 1 && count("CLEARED") >= 1, "{body}");
        let bounced = nodes.iter().find(|node| node["status"] == "BOUNCED").unwrap();
        assert_eq!(bounced["payment"]["reversed"], true);
        assert_eq!(bounced["history"], serde_json::json!([{"status": "IN_PORTFOLIO"}, {"status": "DEPOSITED"}, {"status": "BOUNCED"}]));

        // A payment plan in progress: four installments with 3 % interest, the first paid.
        let (_, body) = app.graphql(&token, "{ paymentPlans { totalCount edges { node { status interestPercent paid { amount } installments { status amount { amount } } } } } }", serde_json::json!({})).await;
        assert_eq!(body["data"]["paymentPlans"]["totalCount"], 1, "{body}");
        let plan = &body["data"]["paymentPlans"]["edges"][0]["node"];
        assert_eq!(plan["status"], "ACTIVE");
        assert_eq!(plan["interestPercent"], "3.00");
        let statuses: Vec<&str> = plan["installments"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["PAID", "PENDING", "PENDING", "PENDING"], "{body}");
        assert_eq!(plan["paid"]["amount"], plan["installments"][0]["amount"]["amount"]);
    }
}

on_both_databases! {
    async fn the_demo_has_a_default_policy_and_work_for_both_collectors(app) {
        let seeded = seed(&app.state.db, &app.clock).await.unwrap();
        let token = &seeded.admin_token;
        let (_, body) = app.graphql(token, "{ reminderPolicies { isDefault steps { offsetDays channel } } messageTemplates { channel language } users { id role } }", serde_json::json!({})).await;
        let data = &body["data"];
        assert_eq!(data["reminderPolicies"][0]["isDefault"], true, "{body}");
        assert_eq!(data["reminderPolicies"][0]["steps"].as_array().unwrap().len(), 6);
        assert_eq!(data["messageTemplates"].as_array().unwrap().len(), 20);
        let collectors: Vec<&str> = data["users"].as_array().unwrap().iter().filter(|user| user["role"] == "COLLECTOR").map(|user| user["id"].as_str().unwrap()).collect();
        assert_eq!(collectors.len(), 2);
        for collector in collectors {
            let (_, list) = app.graphql(token, "query($id: ID!) { worklist(assigneeId: $id) { kind source customer { id } invoices { number } } }", serde_json::json!({"id": collector})).await;
            let tasks = list["data"]["worklist"].as_array().unwrap();
            assert_eq!(tasks.len(), 4, "{list}");
            assert!(tasks.iter().all(|task| task["invoices"].as_array().unwrap().len() == 1), "{list}");
        }
    }
}

on_both_databases! {
    async fn the_demo_analytics_agree_with_a_hand_computation(app) {
        use rust_decimal::Decimal;
        use rust_decimal::prelude::ToPrimitive;
        use serde_json::json;

        let seeded = seed(&app.state.db, &app.clock).await.unwrap();
        let token = seeded.admin_token;
        let db = app.state.db.reader();
        let today = app.clock.today();
        let invoices: Vec<_> = invoice::Entity::find().all(db).await.unwrap();
        let allocations = payment_allocation::Entity::find().all(db).await.unwrap();
        let day = |text: &str| text.parse::<chrono::NaiveDate>().unwrap();
        // From the raw rows: an invoice's open balance on a day.
        let open_on = |invoice: &invoice::Model, on: chrono::NaiveDate| -> i64 {
            if invoice.issue_date > on || invoice.voided_on.is_some_and(|voided| voided <= on) {
                return 0;
            }
            let paid: i64 = allocations
                .iter()
                .filter(|a| a.invoice_id == invoice.id && a.received_on <= on && a.reversed_on.is_none_or(|reversed| reversed > on))
                .map(|a| a.amount_minor)
                .sum();
            invoice.total_minor - paid
        };
        let lira: Vec<_> = invoices.iter().filter(|invoice| invoice.currency == "TRY").collect();
        let money = |minor: i64| Decimal::new(minor, 2).to_string();

        // Aging today.
        let (_, body) = app.graphql(&token, "{ aging(currency: \"TRY\") { total invoiceCount buckets { amount count } } }", json!({})).await;
        let report = &body["data"]["aging"];
        let mut buckets = [(0_i64, 0_i64); 6];
        for invoice in &lira {
            let open = open_on(invoice, today);
            if open > 0 {
                let late = (today - invoice.due_date).num_days();
                let index = if late <= 0 { 0 } else { [30, 60, 90, 120].iter().position(|end| late <= *end).map_or(5, |at| at + 1) };
                buckets[index].0 += open;
                buckets[index].1 += 1;
            }
        }
        let expected: Vec<_> = buckets.iter().map(|(amount, count)| json!({"amount": money(*amount), "count": count})).collect();
        assert_eq!(report["buckets"], json!(expected), "{body}");
        assert!(buckets.iter().filter(|(amount, _)| *amount > 0).count() >= 4, "a non-trivial aging: {buckets:?}");

        // August to October: AR, sales, DSO and CEI by hand.
        let (from, to) = (day("2026-08-01"), day("2026-10-31"));
        let ar = |on| lira.iter().map(|invoice| open_on(invoice, on)).sum::<i64>();
        let (ar_begin, ar_end) = (ar(day("2026-07-31")), ar(to));
        let current: i64 = lira.iter().filter(|invoice| invoice.due_date >= to).map(|invoice| open_on(invoice, to)).sum();
        let sales: i64 = lira.iter().filter(|invoice| invoice.issue_date >= from && invoice.issue_date <= to).map(|invoice| invoice.total_minor).sum();
        let round = |value: Decimal| value.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero).to_f64().unwrap();
        let dso = round(Decimal::from(ar_end) / Decimal::from(sales) * Decimal::from(92));
        let monthly = Decimal::from(sales) / Decimal::from(3);
        let cei = round((Decimal::from(ar_begin) + monthly - Decimal::from(ar_end)) / (Decimal::from(ar_begin) + monthly - Decimal::from(current)) * Decimal::from(100));
        let (_, body) = app.graphql(&token, "{ collectionMetrics(from: \"2026-08-01\", to: \"2026-10-31\", currency: \"TRY\") { arBegin arEnd arEndCurrent creditSales dso cei } }", json!({})).await;
        let row = &body["data"]["collectionMetrics"][0];
        assert_eq!(row["arBegin"], money(ar_begin), "{body}");
        assert_eq!(row["arEnd"], money(ar_end));
        assert_eq!(row["arEndCurrent"], money(current));
        assert_eq!(row["creditSales"], money(sales));
        assert_eq!(row["dso"].as_f64(), Some(dso), "{row}");
        assert_eq!(row["cei"].as_f64(), Some(cei), "{row}");
        assert!(dso > 0.0 && cei > 0.0 && cei < 100.0, "non-trivial: DSO {dso}, CEI {cei}");

        // The forecast: each open invoice at its due date plus its customer's median lateness.
        let mut lateness: HashMap<uuid::Uuid, Vec<(chrono::NaiveDate, uuid::Uuid, i64)>> = HashMap::new();
        for invoice in &invoices {
            if let Some(paid_on) = invoice.paid_on {
                lateness.entry(invoice.customer_id).or_default().push((paid_on, invoice.id, (paid_on - invoice.due_date).num_days().max(0)));
            }
        }
        let monday = today - chrono::Duration::days(i64::from(chrono::Datelike::weekday(&today).num_days_from_monday()));
        let mut weeks = [0_i64; 12];
        for invoice in lira.iter().filter(|invoice| invoice.paid_minor < invoice.total_minor) {
            let mut history = lateness.get(&invoice.customer_id).cloned().unwrap_or_default();
            history.sort_by_key(|entry| std::cmp::Reverse((entry.0, entry.1)));
            let mut days: Vec<i64> = history.iter().take(12).map(|entry| entry.2).collect();
            days.sort_unstable();
            let typical = if days.is_empty() { 0 } else { days[(days.len() - 1) / 2] };
            let expected = (invoice.due_date + chrono::Duration::days(typical)).max(today);
            let week = (expected - monday).num_days() / 7;
            if let Some(slot) = usize::try_from(week).ok().and_then(|week| weeks.get_mut(week)) {
                *slot += invoice.total_minor - invoice.paid_minor;
            }
        }
        // Converted at the demo's rates, every currency counts.
        let (_, body) = app.graphql(&token, "{ aging(currency: \"TRY\", convert: true) { total ratesUsed { currency } } }", json!({})).await;
        assert_eq!(body["data"]["aging"]["ratesUsed"], json!([{"currency": "EUR"}, {"currency": "USD"}]), "{body}");
        // Rates go back over the demo's months, so a past day converts too.
        let (_, body) = app.graphql(&token, "{ aging(asOf: \"2026-09-30\", currency: \"TRY\", convert: true) { total ratesUsed { currency date } } }", json!({})).await;
        assert_eq!(body["data"]["aging"]["ratesUsed"], json!([{"currency": "EUR", "date": "2026-09-01"}, {"currency": "USD", "date": "2026-09-01"}]), "{body}");
        let (_, body) = app.graphql(&token, "{ cashForecast(currency: \"TRY\") { expected } }", json!({})).await;
        let answered: Vec<_> = body["data"]["cashForecast"].as_array().unwrap().iter().map(|week| week["expected"].clone()).collect();
        let by_hand: Vec<_> = weeks.iter().map(|minor| json!(money(*minor))).collect();
        assert_eq!(answered, by_hand, "{body}");
        assert!(weeks.iter().filter(|minor| **minor > 0).count() >= 3, "a non-trivial forecast: {weeks:?}");
    }
}
