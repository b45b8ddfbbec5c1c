//! Dunning over HTTP with the clock moved day by day: a customer through the whole default
//! policy (payments, a dispute, a broken and a kept promise), the sending window, catch-up after
//! downtime, two instances racing, templates refused when saved, and every new mutation tried
//! across organizations and roles.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

use crate::collections::{Team, create_invoice, mutate};
use crate::helpers::TestApp;

pub const SETTINGS: &str = "mutation($input: UpdateDunningSettingsInput!) { updateDunningSettings(input: $input) { settings { enabled timezone windowStart windowEnd weekdays promiseGraceDays } userErrors { field code } } }";
const CREATE_CUSTOMER: &str = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { field code } } }";
const TEMPLATE: &str = "mutation($input: MessageTemplateInput!) { createMessageTemplate(input: $input) { template { id name smsLength { encoding segments } } userErrors { field code message } } }";
const REMINDERS: &str = "query($id: ID!) { activities(first: 100, filter: {customerId: $id, kinds: [REMINDER_SENT]}) { edges { node { occurredAt actorLabel data } } } }";

/// Every day of the week: the walk checks the policy's days, not the window.
pub async fn every_day(app: &TestApp, admin: &str) {
    let all = [
        "MONDAY",
        "TUESDAY",
        "WEDNESDAY",
        "THURSDAY",
        "FRIDAY",
        "SATURDAY",
        "SUNDAY",
    ];
    let saved = mutate(app, admin, SETTINGS, json!({"enabled": true, "timezone": "Europe/Istanbul", "windowStart": "09:00", "windowEnd": "18:00", "weekdays": all, "promiseGraceDays": 2})).await;
    assert_eq!(saved["userErrors"], json!([]), "{saved}");
}

/// Moves the clock to 12:30 Istanbul time on `day`.
pub fn set_day(app: &TestApp, day: NaiveDate) {
    let noon = day.and_hms_opt(9, 30, 0).unwrap();
    app.clock.set(Utc.from_utc_datetime(&noon));
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// One day of the jobs: promises settled, then one scheduler pass.
pub async fn run_day(app: &TestApp) -> usize {
    tahsilat::services::promises::settle_due(&app.state)
        .await
        .unwrap();
    let report = tahsilat::services::dunning::scheduler::run_pass(&app.state)
        .await
        .unwrap();
    // Delivered the same day, so a later payment or dispute cannot drop a message already due.
    tahsilat::services::outbox::deliver_due(&app.state, 100)
        .await
        .unwrap();
    report.sent
}

/// (local day, step, channel, invoice numbers) of each REMINDER_SENT, oldest first.
async fn sent_log(
    app: &TestApp,
    token: &str,
    customer: &str,
) -> Vec<(String, i64, String, Vec<String>)> {
    let (_, body) = app.graphql(token, REMINDERS, json!({"id": customer})).await;
    let mut log: Vec<(String, i64, String, Vec<String>)> = body["data"]["activities"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            assert_eq!(node["actorLabel"], "system");
            let data = &node["data"];
            (
                node["occurredAt"].as_str().unwrap()[..10].to_owned(),
                data["step"].as_i64().unwrap(),
                data["channel"].as_str().unwrap().to_owned(),
                data["invoices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    log.reverse();
    log
}

fn entry(
    day: &str,
    step: i64,
    channel: &str,
    invoices: &[&str],
) -> (String, i64, String, Vec<String>) {
    (
        day.to_owned(),
        step,
        channel.to_owned(),
        invoices.iter().map(|n| (*n).to_owned()).collect(),
    )
}

on_both_databases! {
    async fn a_customer_goes_through_the_whole_default_policy(app) {
        let team = Team::new(&app, "acme").await;
        every_day(&app, &team.admin).await;
        let (_, me) = app.graphql(&team.collector, "{ viewer { id } }", json!({})).await;
        let collector = me["data"]["viewer"]["id"].clone();
        let made = mutate(&app, &team.manager, CREATE_CUSTOMER, json!({"name": "Deniz Tekstil", "email": "muhasebe@deniz.com.tr", "phone": "0532 123 45 67", "assignedCollectorId": collector})).await;
        let customer = made["customer"]["id"].as_str().unwrap().to_owned();
        let a = create_invoice(&app, &team.manager, &customer, "A-1", "1000.00", "2026-11-26").await;
        let b = create_invoice(&app, &team.manager, &customer, "B-2", "2000.00", "2026-11-30").await;
        let c = create_invoice(&app, &team.manager, &customer, "C-3", "3000.00", "2026-12-03").await;

        let mut day = date("2026-11-23");
        while day <= date("2027-01-05") {
            set_day(&app, day);
            match day.to_string().as_str() {
                // Part of A paid: still reminded, for what is left.
                "2026-12-01" => {
                    let paid = mutate(&app, &team.collector, "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { userErrors { code } } }", json!({"customerId": customer, "amount": "400.00", "currency": "TRY", "method": "BANK_TRANSFER", "allocations": [{"invoiceId": a, "amount": "400.00"}]})).await;
                    assert_eq!(paid["userErrors"], json!([]), "{paid}");
                }
                // B disputed: its reminders stop; A's and C's go on.
                "2026-12-02" => {
                    let opened = mutate(&app, &team.collector, "mutation($input: OpenDisputeInput!) { openDispute(input: $input) { userErrors { code } } }", json!({"invoiceId": b, "reason": "QUALITY"})).await;
                    assert_eq!(opened["userErrors"], json!([]), "{opened}");
                }
                // C promised for the 8th: paused through the grace days, then broken.
                "2026-12-04" => {
                    let promised = mutate(&app, &team.collector, "mutation($input: CreatePromiseInput!) { createPromise(input: $input) { userErrors { code } } }", json!({"customerId": customer, "invoiceIds": [c], "amount": "3000.00", "currency": "TRY", "promisedDate": "2026-12-08"})).await;
                    assert_eq!(promised["userErrors"], json!([]), "{promised}");
                }
                // C promised again, and paid: KEPT, and no more reminders for it.
                "2026-12-14" => {
                    let promised = mutate(&app, &team.collector, "mutation($input: CreatePromiseInput!) { createPromise(input: $input) { userErrors { code } } }", json!({"customerId": customer, "invoiceIds": [c], "amount": "3000.00", "currency": "TRY", "promisedDate": "2026-12-18"})).await;
                    assert_eq!(promised["userErrors"], json!([]), "{promised}");
                }
                "2026-12-17" => {
                    let paid = mutate(&app, &team.collector, "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { userErrors { code } } }", json!({"customerId": customer, "amount": "3000.00", "currency": "TRY", "method": "BANK_TRANSFER", "allocations": [{"invoiceId": c, "amount": "3000.00"}]})).await;
                    assert_eq!(paid["userErrors"], json!([]), "{paid}");
                }
                _ => {}
            }
            run_day(&app).await;
            // A second pass the same day sends nothing more.
            assert_eq!(run_day(&app).await, 0, "{day}");
            day = day.succ_opt().unwrap();
        }

        let log = sent_log(&app, &team.viewer, &customer).await;
        assert_eq!(log, vec![
            entry("2026-11-23", -3, "EMAIL", &["A-1"]),
            entry("2026-11-26", 0, "SMS", &["A-1"]),
            entry("2026-11-27", -3, "EMAIL", &["B-2"]),
            entry("2026-11-29", 3, "EMAIL", &["A-1"]),
            entry("2026-11-30", -3, "EMAIL", &["C-3"]),
            entry("2026-11-30", 0, "SMS", &["B-2"]),
            entry("2026-12-03", 0, "SMS", &["C-3"]),
            entry("2026-12-06", 10, "EMAIL", &["A-1"]),
            // The broken promise brings C's overdue step back at once.
            entry("2026-12-11", 3, "EMAIL", &["C-3"]),
            entry("2026-12-13", 10, "EMAIL", &["C-3"]),
            entry("2026-12-26", 30, "EMAIL", &["A-1"]),
        ]);

        // The +10 mail for A asks for what is left, with a working pay link.
        let (_, body) = app.graphql(&team.viewer, REMINDERS, json!({"id": customer})).await;
        let edges = body["data"]["activities"]["edges"].as_array().unwrap();
        let firm = edges.iter().map(|edge| &edge["node"]["data"]).find(|data| data["step"] == 10 && data["invoices"] == json!(["A-1"])).unwrap();
        assert_eq!(firm["amounts"], json!([{"currency": "TRY", "amount": "600.00"}]), "{firm}");
        assert_eq!(firm["to"], "muhasebe@deniz.com.tr");
        let link = firm["payLink"].as_str().unwrap();
        let page = app.client.get(link).header("accept-language", "tr").send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("600,00"), "the pay page asks what is left");
        let sms = edges.iter().map(|edge| &edge["node"]["data"]).find(|data| data["channel"] == "SMS").unwrap();
        assert_eq!(sms["to"], "+905321234567");

        // Tasks: the +20 call for A, and the broken promise's call for C.
        let (_, list) = app.graphql(&team.manager, "query($id: ID!) { worklist(assigneeId: $id, date: \"2027-01-05\") { source kind invoices { number } } }", json!({"id": collector})).await;
        let tasks: Vec<(String, String)> = list["data"]["worklist"].as_array().unwrap().iter().map(|task| (task["source"].as_str().unwrap().to_owned(), task["invoices"][0]["number"].as_str().unwrap().to_owned())).collect();
        assert!(tasks.contains(&("BROKEN_PROMISE".to_owned(), "C-3".to_owned())), "{list}");
        assert!(tasks.contains(&("DUNNING".to_owned(), "A-1".to_owned())), "{list}");
        let (_, promises) = app.graphql(&team.viewer, "query($id: ID!) { customer(id: $id) { promiseStats { made kept broken } } }", json!({"id": customer})).await;
        assert_eq!(promises["data"]["customer"]["promiseStats"], json!({"made": 2, "kept": 1, "broken": 1}));

        // The messages are in the outbox, each once: 8 mails and 3 SMS.
        tahsilat::services::outbox::deliver_due(&app.state, 100).await.unwrap();
        let db = app.state.db.reader();
        use sea_orm::{EntityTrait, QueryFilter, ColumnTrait, PaginatorTrait};
        use tahsilat::entities::outbox;
        let count = |kind| outbox::Entity::find().filter(outbox::Column::Kind.eq(kind)).count(db);
        assert_eq!(count(outbox::OutboxKind::Email).await.unwrap(), 8);
        assert_eq!(count(outbox::OutboxKind::Sms).await.unwrap(), 3);
        let texts = std::fs::read_dir(app.database.dir.path().join("sms")).map(|dir| dir.count()).unwrap_or(0);
        assert_eq!(texts, 3, "the file SMS provider wrote each SMS");
    }

    async fn nothing_goes_out_at_night_or_on_sunday(app) {
        let team = Team::new(&app, "acme").await;
        let made = mutate(&app, &team.manager, CREATE_CUSTOMER, json!({"name": "Gece Ltd", "email": "gece@example.com"})).await;
        let customer = made["customer"]["id"].as_str().unwrap().to_owned();
        create_invoice(&app, &team.manager, &customer, "N-1", "500.00", "2026-11-20").await;
        // A new organization starts with reminders off: Monday noon sends nothing.
        let (_, body) = app.graphql(&team.viewer, "{ dunningSettings { enabled timezone windowStart windowEnd weekdays promiseGraceDays } }", json!({})).await;
        assert_eq!(body["data"]["dunningSettings"], json!({"enabled": false, "timezone": "Europe/Istanbul", "windowStart": "09:00", "windowEnd": "18:00", "weekdays": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"], "promiseGraceDays": 2}));
        assert_eq!(run_day(&app).await, 0);
        let on = mutate(&app, &team.admin, SETTINGS, json!({"enabled": true, "timezone": "Europe/Istanbul", "windowStart": "09:00", "windowEnd": "18:00", "weekdays": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"], "promiseGraceDays": 2})).await;
        assert_eq!(on["userErrors"], json!([]), "{on}");
        // Wednesday 22:00 in Istanbul.
        app.clock.set(Utc.with_ymd_and_hms(2026, 11, 25, 19, 0, 0).unwrap());
        assert_eq!(run_day(&app).await, 0);
        // Sunday noon.
        app.clock.set(Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap());
        assert_eq!(run_day(&app).await, 0);
        // Reminders switched off: nothing on Monday either.
        let off = mutate(&app, &team.admin, SETTINGS, json!({"enabled": false, "timezone": "Europe/Istanbul", "windowStart": "09:00", "windowEnd": "18:00", "weekdays": ["MONDAY"], "promiseGraceDays": 2})).await;
        assert_eq!(off["userErrors"], json!([]), "{off}");
        app.clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 6, 0, 0).unwrap());
        assert_eq!(run_day(&app).await, 0);
        // On, Monday 09:00 local: the waiting step goes, once.
        let on = mutate(&app, &team.admin, SETTINGS, json!({"enabled": true, "timezone": "Europe/Istanbul", "windowStart": "09:00", "windowEnd": "18:00", "weekdays": ["MONDAY", "FRIDAY"], "promiseGraceDays": 2})).await;
        assert_eq!(on["settings"]["weekdays"], json!(["MONDAY", "FRIDAY"]), "{on}");
        assert_eq!(run_day(&app).await, 1);
        assert_eq!(run_day(&app).await, 0);
        let log = sent_log(&app, &team.viewer, &customer).await;
        assert_eq!(log, vec![entry("2026-11-30", 10, "EMAIL", &["N-1"])]);

        // Bad settings change nothing.
        let bad = mutate(&app, &team.admin, SETTINGS, json!({"enabled": true, "timezone": "Mars/Olympus", "windowStart": "18:00", "windowEnd": "9:00", "weekdays": [], "promiseGraceDays": 99})).await;
        let codes: Vec<&str> = bad["userErrors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["INVALID_TIMEZONE", "INVALID_TIME", "REQUIRED", "OUT_OF_RANGE"], "{bad}");
        let (_, body) = app.graphql(&team.manager, SETTINGS, json!({"input": {"enabled": false, "timezone": "UTC", "windowStart": "00:00", "windowEnd": "23:59", "weekdays": ["SUNDAY"], "promiseGraceDays": 0}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        let (_, body) = app.graphql(&team.viewer, "{ dunningSettings { enabled weekdays } }", json!({})).await;
        assert_eq!(body["data"]["dunningSettings"], json!({"enabled": true, "weekdays": ["MONDAY", "FRIDAY"]}));
    }

    async fn after_ten_days_down_one_catch_up_message_goes(app) {
        let team = Team::new(&app, "acme").await;
        every_day(&app, &team.admin).await;
        let made = mutate(&app, &team.manager, CREATE_CUSTOMER, json!({"name": "Uzun Ara A.Ş.", "email": "ara@example.com"})).await;
        let customer = made["customer"]["id"].as_str().unwrap().to_owned();
        create_invoice(&app, &team.manager, &customer, "U-1", "750.00", "2026-11-20").await;
        set_day(&app, date("2026-11-23"));
        assert_eq!(run_day(&app).await, 1);
        // Down from the 24th; back on 12-15: steps 10 (11-30) and 20 (12-10) are due; one goes.
        set_day(&app, date("2026-12-15"));
        let preview_day = app.graphql(&team.manager, "{ dunningPreview(date: \"2026-12-15\") { customer { name } step { offsetDays channel } invoices { number } subject body } }", json!({})).await.1;
        assert_eq!(preview_day["data"]["dunningPreview"].as_array().unwrap().len(), 1, "{preview_day}");
        assert_eq!(preview_day["data"]["dunningPreview"][0]["step"], json!({"offsetDays": 20, "channel": "TASK"}));
        assert_eq!(run_day(&app).await, 1);
        assert_eq!(run_day(&app).await, 0);
        let log = sent_log(&app, &team.viewer, &customer).await;
        assert_eq!(log, vec![entry("2026-11-23", 3, "EMAIL", &["U-1"])]);
        let (_, list) = app.graphql(&team.manager, "{ worklist { source note invoices { number } } }", json!({})).await;
        assert_eq!(list["data"]["worklist"][0]["source"], "DUNNING", "{list}");
        // The +30 mail goes on its day.
        set_day(&app, date("2026-12-20"));
        assert_eq!(run_day(&app).await, 1);
        let log = sent_log(&app, &team.viewer, &customer).await;
        assert_eq!(log.last().unwrap(), &entry("2026-12-20", 30, "EMAIL", &["U-1"]));
        // The steps passed over are on record as skipped, not sent.
        use sea_orm::{EntityTrait, QueryFilter, ColumnTrait};
        use tahsilat::entities::reminder_send;
        let skipped = reminder_send::Entity::find().filter(reminder_send::Column::Outcome.eq(tahsilat::domain::dunning::SendOutcome::Skipped)).all(app.state.db.reader()).await.unwrap();
        assert_eq!(skipped.iter().map(|row| row.offset_days).collect::<Vec<_>>(), [-3, 0, 10]);
    }

    async fn the_preview_renders_what_would_go_without_sending(app) {
        let team = Team::new(&app, "acme").await;
        let made = mutate(&app, &team.manager, CREATE_CUSTOMER, json!({"name": "Önizleme <Ltd>", "email": "o@example.com", "language": "en"})).await;
        let customer = made["customer"]["id"].as_str().unwrap().to_owned();
        create_invoice(&app, &team.manager, &customer, "P-9", "1234.50", "2026-11-26").await;
        let (_, body) = app.graphql(&team.manager, "{ dunningPreview(date: \"2026-11-23\") { customer { name } step { offsetDays channel } invoices { number } subject body } }", json!({})).await;
        let planned = &body["data"]["dunningPreview"][0];
        assert_eq!(planned["step"], json!({"offsetDays": -3, "channel": "EMAIL"}), "{body}");
        // In the customer's language.
        assert_eq!(planned["subject"], "acme: a payment falls due soon");
        let text = planned["body"].as_str().unwrap();
        assert!(text.contains("P-9 · 2026-11-26 · due in 3 days · TRY 1,234.50"), "{text}");
        assert!(text.contains("/pay/"), "{text}");
        // Nothing was sent or recorded.
        assert!(sent_log(&app, &team.viewer, &customer).await.is_empty());
        let (_, body) = app.graphql(&team.collector, "{ dunningPreview(date: \"2026-11-23\") { body } }", json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");

        // previewReminder renders any template for the customer now; HTML is escaped.
        let (_, templates) = app.graphql(&team.viewer, "{ messageTemplates { id name channel language } reminderPolicies { name isDefault maxInstallments steps { offsetDays channel includePayLink template { name language } } } }", json!({})).await;
        let policies = &templates["data"]["reminderPolicies"];
        assert_eq!(policies[0]["isDefault"], true, "{templates}");
        let days: Vec<i64> = policies[0]["steps"].as_array().unwrap().iter().map(|s| s["offsetDays"].as_i64().unwrap()).collect();
        assert_eq!(days, [-3, 0, 3, 10, 20, 30]);
        let all = templates["data"]["messageTemplates"].as_array().unwrap();
        assert_eq!(all.len(), 20, "mail and SMS, Turkish and English, five texts each");
        let mail = all.iter().find(|t| t["channel"] == "EMAIL" && t["language"] == "tr").unwrap();
        let (_, shown) = app.graphql(&team.viewer, "query($c: ID!, $t: ID!) { previewReminder(customerId: $c, templateId: $t) { channel subject text html smsLength { segments } } }", json!({"c": customer, "t": mail["id"]})).await;
        let shown = &shown["data"]["previewReminder"];
        assert!(shown["html"].as_str().unwrap().contains("Önizleme &lt;Ltd&gt;") || shown["text"].as_str().unwrap().contains("P-9"), "{shown}");
        assert!(!shown["html"].as_str().unwrap().contains("<Ltd>"), "{shown}");
    }

    async fn templates_that_do_not_render_are_refused_when_saved(app) {
        let team = Team::new(&app, "acme").await;
        let other = Team::new(&app, "rakip").await;
        let unknown = mutate(&app, &team.manager, TEMPLATE, json!({"name": "Yeni", "channel": "EMAIL", "language": "tr", "subject": "Merhaba {{ customer }}", "body": "Tutar: {{ amount }}"})).await;
        assert_eq!(unknown["userErrors"][0]["field"], json!(["input", "body"]), "{unknown}");
        assert_eq!(unknown["userErrors"][0]["code"], "INVALID_TEMPLATE");
        assert!(unknown["userErrors"][0]["message"].as_str().unwrap().contains("amount"));
        let broken = mutate(&app, &team.manager, TEMPLATE, json!({"name": "Yeni", "channel": "SMS", "language": "tr", "body": "Ödeme {{ pay_link"})).await;
        assert_eq!(broken["userErrors"][0]["code"], "INVALID_TEMPLATE", "{broken}");
        let no_subject = mutate(&app, &team.manager, TEMPLATE, json!({"name": "Yeni", "channel": "EMAIL", "language": "tr", "body": "x"})).await;
        assert_eq!(no_subject["userErrors"][0]["code"], "REQUIRED", "{no_subject}");
        let control = mutate(&app, &team.manager, TEMPLATE, json!({"name": "Ye\u{0}ni", "channel": "SMS", "language": "de", "body": "x"})).await;
        let codes: Vec<&str> = control["userErrors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["INVALID_TEXT", "INVALID_LANGUAGE"], "{control}");
        let (_, body) = app.graphql(&team.collector, TEMPLATE, json!({"input": {"name": "Yeni", "channel": "SMS", "language": "tr", "body": "x"}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");

        // A good SMS shows its length; Turkish letters keep GSM with the shift table.
        let good = mutate(&app, &team.manager, TEMPLATE, json!({"name": "Kısa", "channel": "SMS", "language": "tr", "body": "Sayın müşterimiz, {{company}} ödemeniz gecikti: {{pay_link}}"})).await;
        assert_eq!(good["userErrors"], json!([]), "{good}");
        assert_eq!(good["template"]["smsLength"], json!({"encoding": "GSM7_TURKISH", "segments": 1}));
        let (_, length) = app.graphql(&team.viewer, "{ smsLength(text: \"Sayın müşterimiz 😀\") { encoding units segments } }", json!({})).await;
        assert_eq!(length["data"]["smsLength"], json!({"encoding": "UCS2", "units": 19, "segments": 1}));
        let again = mutate(&app, &team.manager, TEMPLATE, json!({"name": "Kısa", "channel": "SMS", "language": "tr", "body": "x"})).await;
        assert_eq!(again["userErrors"][0]["code"], "DUPLICATE", "{again}");
        let id = good["template"]["id"].clone();
        let update = "mutation($input: UpdateMessageTemplateInput!) { updateMessageTemplate(input: $input) { template { body } userErrors { code } } }";
        let foreign = mutate(&app, &other.manager, update, json!({"id": id, "name": "Kısa", "channel": "SMS", "language": "tr", "body": "x"})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        let bad = mutate(&app, &team.manager, update, json!({"id": id, "name": "Kısa", "channel": "SMS", "language": "tr", "body": "{{ nope }}"})).await;
        assert_eq!(bad["userErrors"][0]["code"], "INVALID_TEMPLATE", "{bad}");
        let (_, kept) = app.graphql(&team.viewer, "{ messageTemplates { name body } }", json!({})).await;
        let kept = kept["data"]["messageTemplates"].as_array().unwrap().iter().find(|t| t["name"] == "Kısa").unwrap().clone();
        assert_eq!(kept["body"], "Sayın müşterimiz, {{company}} ödemeniz gecikti: {{pay_link}}", "a refused change changes nothing");
        let (_, theirs) = app.graphql(&other.viewer, "{ messageTemplates { name } }", json!({})).await;
        assert!(!theirs.to_string().contains("Kısa"), "{theirs}");

        // The collector's name and phone reach the customer.
        let create_user = "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id phone } userErrors { field code } } }";
        let bad = mutate(&app, &team.admin, create_user, json!({"email": "ayse@acme.com.tr", "name": "Ayşe Tahsildar", "role": "COLLECTOR", "phone": "12"})).await;
        assert_eq!(bad["userErrors"][0]["code"], "INVALID_PHONE", "{bad}");
        let ayse = mutate(&app, &team.admin, create_user, json!({"email": "ayse@acme.com.tr", "name": "Ayşe Tahsildar", "role": "COLLECTOR", "phone": "0532 000 11 22"})).await;
        assert_eq!(ayse["user"]["phone"], "+905320001122", "{ayse}");
        let made = mutate(&app, &team.manager, CREATE_CUSTOMER, json!({"name": "Telefon Ltd", "assignedCollectorId": ayse["user"]["id"]})).await;
        let customer = made["customer"]["id"].as_str().unwrap().to_owned();
        create_invoice(&app, &team.manager, &customer, "T-1", "10.00", "2026-11-20").await;
        let call = mutate(&app, &team.manager, TEMPLATE, json!({"name": "Arayın", "channel": "SMS", "language": "tr", "body": "{{collector_name}}: {{collector_phone}} ({{invoice_table}})"})).await;
        let (_, shown) = app.graphql(&team.viewer, "query($c: ID!, $t: ID!) { previewReminder(customerId: $c, templateId: $t) { text } }", json!({"c": customer, "t": call["template"]["id"]})).await;
        assert_eq!(shown["data"]["previewReminder"]["text"], "Ayşe Tahsildar: +905320001122 (- T-1 · 20.11.2026 · 3 gün gecikmiş · 10,00 TL)", "{shown}");
    }

    async fn policies_pauses_and_sends_are_checked_per_tenant_and_role(app) {
        let team = Team::new(&app, "acme").await;
        let other = Team::new(&app, "rakip").await;
        every_day(&app, &team.admin).await;
        let made = mutate(&app, &team.manager, CREATE_CUSTOMER, json!({"name": "Kural A.Ş.", "email": "k@example.com"})).await;
        let customer = made["customer"]["id"].as_str().unwrap().to_owned();
        let invoice = create_invoice(&app, &team.manager, &customer, "K-1", "900.00", "2026-11-20").await;
        let (_, templates) = app.graphql(&team.viewer, "{ messageTemplates { id channel language } }", json!({})).await;
        let mail = templates["data"]["messageTemplates"].as_array().unwrap().iter().find(|t| t["channel"] == "EMAIL").unwrap()["id"].clone();
        let sms = templates["data"]["messageTemplates"].as_array().unwrap().iter().find(|t| t["channel"] == "SMS").unwrap()["id"].clone();

        // A policy of its own: checked steps, then given to the customer.
        let create = "mutation($input: CreateReminderPolicyInput!) { createReminderPolicy(input: $input) { policy { id name isDefault steps { offsetDays channel minOverdueAmount } } userErrors { field code } } }";
        let wrong = mutate(&app, &team.manager, create, json!({"name": "Sıkı", "steps": [{"offsetDays": 1, "channel": "EMAIL", "templateId": sms}, {"offsetDays": 1, "channel": "SMS"}, {"offsetDays": 999, "channel": "TASK", "minOverdueAmount": "-5"}]})).await;
        let codes: Vec<&str> = wrong["userErrors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["CHANNEL_MISMATCH", "DUPLICATE", "REQUIRED", "OUT_OF_RANGE", "INVALID_AMOUNT"], "{wrong}");
        let (_, body) = app.graphql(&team.collector, create, json!({"input": {"name": "x", "steps": [{"offsetDays": 1, "channel": "TASK"}]}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        let strict = mutate(&app, &team.manager, create, json!({"name": "Sıkı", "steps": [{"offsetDays": 1, "channel": "EMAIL", "templateId": mail, "minOverdueAmount": "1000"}, {"offsetDays": 5, "channel": "EMAIL", "templateId": mail}]})).await;
        assert_eq!(strict["userErrors"], json!([]), "{strict}");
        assert_eq!(strict["policy"]["isDefault"], false);
        let policy = strict["policy"]["id"].clone();
        let set = "mutation($input: SetCustomerReminderPolicyInput!) { setCustomerReminderPolicy(input: $input) { customer { reminderPolicy { name } } userErrors { code } } }";
        let foreign = mutate(&app, &other.manager, set, json!({"customerId": customer, "policyId": policy})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        let theirs = mutate(&app, &other.manager, create, json!({"name": "Onların", "steps": [{"offsetDays": 1, "channel": "TASK"}]})).await;
        let mixed = mutate(&app, &team.manager, set, json!({"customerId": customer, "policyId": theirs["policy"]["id"]})).await;
        assert_eq!(mixed["userErrors"][0]["code"], "NOT_FOUND", "{mixed}");
        let given = mutate(&app, &team.manager, set, json!({"customerId": customer, "policyId": policy})).await;
        assert_eq!(given["customer"]["reminderPolicy"]["name"], "Sıkı", "{given}");
        // 900 is under the +1 step's minimum of 1000: it waits; the +5 step goes.
        set_day(&app, date("2026-11-21"));
        assert_eq!(run_day(&app).await, 0);
        set_day(&app, date("2026-11-25"));
        assert_eq!(run_day(&app).await, 1);
        assert_eq!(sent_log(&app, &team.viewer, &customer).await, vec![entry("2026-11-25", 5, "EMAIL", &["K-1"])]);
        let none = mutate(&app, &team.manager, set, json!({"customerId": customer, "policyId": null})).await;
        assert_eq!(none["customer"]["reminderPolicy"], Value::Null, "{none}");

        // Pause and resume, with activities.
        let pause = "mutation($input: PauseDunningInput!) { pauseDunning(input: $input) { customer { dunningPausedUntil dunningPauseReason } userErrors { field code } } }";
        let resume = "mutation($input: ResumeDunningInput!) { resumeDunning(input: $input) { customer { dunningPausedUntil } userErrors { code } } }";
        let past = mutate(&app, &team.collector, pause, json!({"customerId": customer, "until": "2026-11-01"})).await;
        assert_eq!(past["userErrors"][0]["code"], "DATE_IN_PAST", "{past}");
        let foreign = mutate(&app, &other.collector, pause, json!({"customerId": customer, "until": "2026-12-01"})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        let (_, body) = app.graphql(&team.viewer, pause, json!({"input": {"customerId": customer, "until": "2026-12-01"}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        let paused = mutate(&app, &team.collector, pause, json!({"customerId": customer, "until": "2026-12-01", "reason": "Muhasebe tatilde"})).await;
        assert_eq!(paused["customer"], json!({"dunningPausedUntil": "2026-12-01", "dunningPauseReason": "Muhasebe tatilde"}), "{paused}");
        let foreign = mutate(&app, &other.collector, resume, json!({"customerId": customer})).await;
        assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
        let resumed = mutate(&app, &team.collector, resume, json!({"customerId": customer})).await;
        assert_eq!(resumed["customer"]["dunningPausedUntil"], Value::Null, "{resumed}");
        let (_, log) = app.graphql(&team.viewer, "query($id: ID!) { activities(filter: {customerId: $id, kinds: [DUNNING_PAUSED, DUNNING_RESUMED]}) { edges { node { kind } } } }", json!({"id": customer})).await;
        assert_eq!(log["data"]["activities"]["edges"].as_array().unwrap().len(), 2, "{log}");

        // Send one now.
        let send = "mutation($input: SendReminderInput!) { sendReminder(input: $input) { invoices userErrors { field code } } }";
        let foreign = mutate(&app, &other.collector, send, json!({"customerId": customer, "templateId": mail, "invoiceIds": [invoice]})).await;
        let codes: Vec<&str> = foreign["userErrors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["NOT_FOUND", "NOT_FOUND", "NOT_FOUND"], "{foreign}");
        let (_, body) = app.graphql(&team.viewer, send, json!({"input": {"customerId": customer, "templateId": mail, "invoiceIds": [invoice]}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        let no_mobile = mutate(&app, &team.collector, send, json!({"customerId": customer, "templateId": sms, "invoiceIds": [invoice]})).await;
        assert_eq!(no_mobile["userErrors"][0]["code"], "NO_MOBILE", "{no_mobile}");
        let sent = mutate(&app, &team.collector, send, json!({"customerId": customer, "templateId": mail, "invoiceIds": [invoice]})).await;
        assert_eq!(sent["invoices"], json!([invoice]), "{sent}");
        let (_, log) = app.graphql(&team.viewer, REMINDERS, json!({"id": customer})).await;
        assert_eq!(log["data"]["activities"]["edges"][0]["node"]["actorLabel"], "collector@acme.com.tr", "{log}");
    }
}

/// Two app instances on one PostgreSQL database run the scheduler at the same moment: each
/// reminder is written and queued once.
#[tokio::test]
async fn two_instances_racing_send_each_reminder_once() {
    let Some(app) = TestApp::spawn_or_skip(crate::helpers::Backend::Postgres).await else {
        return;
    };
    let team = Team::new(&app, "acme").await;
    every_day(&app, &team.admin).await;
    for index in 0..30 {
        let made = mutate(
            &app,
            &team.manager,
            CREATE_CUSTOMER,
            json!({"name": format!("Yarış {index}"), "email": format!("y{index}@example.com")}),
        )
        .await;
        let customer = made["customer"]["id"].as_str().unwrap().to_owned();
        create_invoice(
            &app,
            &team.manager,
            &customer,
            &format!("Y-{index}"),
            "100.00",
            "2026-11-20",
        )
        .await;
        create_invoice(
            &app,
            &team.manager,
            &customer,
            &format!("Z-{index}"),
            "100.00",
            "2026-11-26",
        )
        .await;
    }
    set_day(&app, date("2026-11-23"));
    let second = tahsilat::app::prepare_state(
        app.database.config(),
        std::sync::Arc::new(app.clock.clone()),
    )
    .await
    .unwrap();
    let (first, other) = tokio::join!(
        tahsilat::services::dunning::scheduler::run_pass(&app.state),
        tahsilat::services::dunning::scheduler::run_pass(&second),
    );
    let (first, other) = (first.unwrap(), other.unwrap());
    assert_eq!(first.sent + other.sent, 60, "{first:?} {other:?}");
    use sea_orm::{EntityTrait, PaginatorTrait};
    let queued = tahsilat::entities::outbox::Entity::find()
        .count(app.state.db.reader())
        .await
        .unwrap();
    assert_eq!(queued, 60);
    let (_, log) = app
        .graphql(
            &team.viewer,
            "{ activities(first: 100, filter: {kinds: [REMINDER_SENT]}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(log["data"]["activities"]["totalCount"], 60, "{log}");
    second.db.close().await;
}
