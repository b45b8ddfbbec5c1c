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
        for allocation in &allocations {
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
