//! The cheque and promissory-note portfolio: received (with its payment), deposited, endorsed,
//! bounced (the debt comes back), returned; exposure at each step.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use crate::collections::{Team, create_customer, mutate};

const RECEIVE: &str = "mutation($input: ReceiveInstrumentInput!) { receiveInstrument(input: $input) { instrument { id status payment { id method reversed } } userErrors { field code message } } }";
const DEPOSIT: &str = "mutation($input: DepositInstrumentInput!) { depositInstrument(input: $input) { instrument { status holder } userErrors { code message } } }";
const ENDORSE: &str = "mutation($input: EndorseInstrumentInput!) { endorseInstrument(input: $input) { instrument { status holder } userErrors { code message } } }";
const CLEAR: &str = "mutation($input: ClearInstrumentInput!) { clearInstrument(input: $input) { instrument { status } userErrors { code message } } }";
const BOUNCE: &str = "mutation($input: BounceInstrumentInput!) { bounceInstrument(input: $input) { instrument { status payment { reversed reversalReason } } userErrors { code message } } }";
const RETURN: &str = "mutation($input: ReturnInstrumentInput!) { returnInstrument(input: $input) { instrument { status } userErrors { code message } } }";
const EXPOSURE: &str = "query($id: ID!) { customer(id: $id) { exposure { currency openBalance unclearedInstruments total creditLimit overLimit } invoices(first: 5) { edges { node { number status balance { amount } } } } } }";

fn codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn invoice(
    app: &crate::helpers::TestApp,
    token: &str,
    customer: &str,
    number: &str,
    total: &str,
) -> String {
    let made = mutate(app, token, "mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { invoice { id } userErrors { code } } }", json!({"customerId": customer, "number": number, "issueDate": "2026-10-20", "dueDate": "2026-11-20", "currency": "TRY", "total": total})).await;
    made["invoice"]["id"].as_str().unwrap().to_owned()
}

on_both_databases! {
    async fn a_cheque_goes_into_the_portfolio_is_deposited_bounces_and_comes_back(app) {
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap());
        let team = Team::new(&app, "portfoy").await;
        let (_, body) = app.graphql(&team.collector, "{ viewer { id } }", json!({})).await;
        let collector = body["data"]["viewer"]["id"].clone();
        let created = mutate(&app, &team.manager, "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }", json!({"name": "Çekle Öder Ltd.", "creditLimit": "5000.00", "assignedCollectorId": collector})).await;
        let customer = created["customer"]["id"].as_str().unwrap().to_owned();
        invoice(&app, &team.manager, &customer, "A", "3000.00").await;
        let exposure = |body: &Value| body["data"]["customer"]["exposure"].clone();

        // Refused, and nothing recorded: a viewer; a cheque with no bank; maturity before issue; no amount.
        let cheque = json!({"customerId": customer, "kind": "CHEQUE", "number": "0042", "bank": "Ziraat Bankası", "branch": "Kadıköy", "accountNo": "TR12 0001", "drawer": "Mehmet Yılmaz", "issueDate": "2026-12-01", "maturityDate": "2026-12-31", "amount": "3000.00", "currency": "TRY"});
        let (_, body) = app.graphql(&team.viewer, RECEIVE, json!({"input": cheque})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        let mut bad = cheque.clone();
        bad["bank"] = Value::Null;
        bad["maturityDate"] = json!("2026-11-01");
        assert_eq!(codes(&mutate(&app, &team.collector, RECEIVE, bad).await), ["REQUIRED", "MATURITY_BEFORE_ISSUE"]);
        let mut bad = cheque.clone();
        bad["amount"] = json!("0");
        assert_eq!(codes(&mutate(&app, &team.collector, RECEIVE, bad).await), ["AMOUNT_NOT_POSITIVE"]);
        let (_, body) = app.graphql(&team.viewer, "{ instruments { totalCount } payments { totalCount } }", json!({})).await;
        assert_eq!((body["data"]["instruments"]["totalCount"].clone(), body["data"]["payments"]["totalCount"].clone()), (json!(0), json!(0)));

        // Received: the invoice is paid in the books, the cheque is risk until it clears.
        let received = mutate(&app, &team.collector, RECEIVE, cheque).await;
        assert_eq!(received["userErrors"], json!([]), "{received}");
        assert_eq!((received["instrument"]["status"].clone(), received["instrument"]["payment"]["method"].clone()), (json!("IN_PORTFOLIO"), json!("CHEQUE")));
        let id = received["instrument"]["id"].as_str().unwrap().to_owned();
        let (_, body) = app.graphql(&team.viewer, EXPOSURE, json!({"id": customer})).await;
        assert_eq!(body["data"]["customer"]["invoices"]["edges"][0]["node"]["status"], "PAID");
        assert_eq!(exposure(&body), json!([{"currency": "TRY", "openBalance": "0.00", "unclearedInstruments": "3000.00", "total": "3000.00", "creditLimit": "5000.00", "overLimit": false}]));

        // Deposited on 3 December; endorsing it now is an invalid move.
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap());
        let (_, body) = app.graphql(&team.collector, DEPOSIT, json!({"input": {"id": id, "bank": "Garanti BBVA", "date": "2026-12-03"}})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "a collector does not move the portfolio");
        let deposited = mutate(&app, &team.manager, DEPOSIT, json!({"id": id, "bank": "Garanti BBVA", "date": "2026-12-03", "note": "Tahsile verildi"})).await;
        assert_eq!(deposited["instrument"], json!({"status": "DEPOSITED", "holder": "Garanti BBVA"}), "{deposited}");
        let endorse = mutate(&app, &team.manager, ENDORSE, json!({"id": id, "endorsee": "Tedarikçi A.Ş."})).await;
        assert_eq!(codes(&endorse), ["INVALID_MOVE"]);
        let early = mutate(&app, &team.manager, BOUNCE, json!({"id": id, "date": "2026-12-02", "reason": "Karşılıksız"})).await;
        assert_eq!(codes(&early), ["BEFORE_LAST_MOVE"]);

        // Bounced: the payment is reversed, the invoice is owed again, the collector has a call.
        let bounced = mutate(&app, &team.manager, BOUNCE, json!({"id": id, "date": "2026-12-05", "reason": "Karşılıksız çıktı"})).await;
        assert_eq!(bounced["userErrors"], json!([]), "{bounced}");
        assert_eq!(bounced["instrument"]["status"], "BOUNCED");
        assert_eq!(bounced["instrument"]["payment"]["reversed"], true);
        let (_, body) = app.graphql(&team.viewer, EXPOSURE, json!({"id": customer})).await;
        assert_eq!(body["data"]["customer"]["invoices"]["edges"][0]["node"], json!({"number": "A", "status": "OPEN", "balance": {"amount": "3000.00"}}));
        assert_eq!(exposure(&body), json!([{"currency": "TRY", "openBalance": "3000.00", "unclearedInstruments": "0.00", "total": "3000.00", "creditLimit": "5000.00", "overLimit": false}]));
        let (_, body) = app.graphql(&team.collector, "{ worklist { source customer { name } invoices { number } } }", json!({})).await;
        assert_eq!(body["data"]["worklist"], json!([{"source": "INSTRUMENT", "customer": {"name": "Çekle Öder Ltd."}, "invoices": [{"number": "A"}]}]), "{body}");

        // It counts in the customer's risk.
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { customer(id: $id) { paymentBehaviour { bouncedInstruments riskReasons } } }", json!({"id": customer})).await;
        let behaviour = &body["data"]["customer"]["paymentBehaviour"];
        assert_eq!(behaviour["bouncedInstruments"], 1, "{body}");
        assert!(behaviour["riskReasons"].as_array().unwrap().iter().any(|reason| reason.as_str().unwrap().starts_with("1 bounced cheque(s) or note(s) in the last year (+10)")), "{body}");

        // A bounced cheque cannot clear; it can go back to the customer, and then nowhere.
        assert_eq!(codes(&mutate(&app, &team.manager, CLEAR, json!({"id": id})).await), ["INVALID_MOVE"]);
        let returned = mutate(&app, &team.manager, RETURN, json!({"id": id, "note": "Müşteriye iade edildi"})).await;
        assert_eq!(returned["instrument"]["status"], "RETURNED");
        assert_eq!(codes(&mutate(&app, &team.manager, CLEAR, json!({"id": id})).await), ["INVALID_MOVE"]);

        // The trail reads in order.
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { instrument(id: $id) { history { status at note actorLabel } } }", json!({"id": id})).await;
        let steps: Vec<_> = body["data"]["instrument"]["history"].as_array().unwrap().iter().map(|step| (step["status"].as_str().unwrap().to_owned(), step["at"].as_str().unwrap().to_owned())).collect();
        assert_eq!(steps, vec![("IN_PORTFOLIO".into(), "2026-12-01".into()), ("DEPOSITED".into(), "2026-12-03".into()), ("BOUNCED".into(), "2026-12-05".into()), ("RETURNED".into(), "2026-12-05".into())]);
        let (_, body) = app.graphql(&team.viewer, "query($id: ID!) { customer(id: $id) { activities(first: 20) { edges { node { kind } } } } }", json!({"id": customer})).await;
        let mut kinds: Vec<String> = body["data"]["customer"]["activities"]["edges"].as_array().unwrap().iter().map(|edge| edge["node"]["kind"].as_str().unwrap().to_owned()).collect();
        kinds.reverse();
        let wanted = ["PAYMENT_RECORDED", "INSTRUMENT_RECEIVED", "INSTRUMENT_DEPOSITED", "PAYMENT_REVERSED", "TASK_CREATED", "INSTRUMENT_BOUNCED", "INSTRUMENT_RETURNED"];
        let trail: Vec<&str> = kinds.iter().map(String::as_str).filter(|kind| wanted.contains(kind)).collect();
        assert_eq!(trail, wanted, "{kinds:?}");

        // Another organization sees none of it and moves none of it.
        let stranger = Team::new(&app, "portfoy-stranger").await;
        let (_, body) = app.graphql(&stranger.viewer, "query($id: ID!) { instrument(id: $id) { id } instruments { totalCount } }", json!({"id": id})).await;
        assert_eq!((body["data"]["instrument"].clone(), body["data"]["instruments"]["totalCount"].clone()), (Value::Null, json!(0)));
        assert_eq!(codes(&mutate(&app, &stranger.manager, RETURN, json!({"id": id})).await), ["NOT_FOUND"]);
    }

    async fn an_endorsed_note_that_bounces_comes_back_and_the_calendar_runs_by_maturity(app) {
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap());
        let team = Team::new(&app, "senet").await;
        let customer = create_customer(&app, &team.manager, "Senetle Öder").await;
        invoice(&app, &team.manager, &customer, "N1", "1000.00").await;
        invoice(&app, &team.manager, &customer, "N2", "500.00").await;
        let note = |number: &str, maturity: &str, amount: &str| json!({"customerId": customer, "kind": "PROMISSORY_NOTE", "number": number, "drawer": "Senetle Öder", "issueDate": "2026-12-01", "maturityDate": maturity, "amount": amount, "currency": "TRY"});
        let late = mutate(&app, &team.collector, RECEIVE, note("S-2", "2027-02-28", "500.00")).await;
        let early = mutate(&app, &team.collector, RECEIVE, note("S-1", "2027-01-31", "1000.00")).await;
        assert_eq!((late["userErrors"].clone(), early["userErrors"].clone()), (json!([]), json!([])));
        let (_, body) = app.graphql(&team.viewer, "{ instruments(filter: {kind: PROMISSORY_NOTE, maturityTo: \"2027-12-31\"}) { edges { node { number maturityDate amount { amount } } } } }", json!({})).await;
        let numbers: Vec<_> = body["data"]["instruments"]["edges"].as_array().unwrap().iter().map(|edge| edge["node"]["number"].as_str().unwrap()).collect();
        assert_eq!(numbers, ["S-1", "S-2"], "soonest maturity first");

        // Endorsed to a supplier: still risk until it clears. It bounces: recourse.
        let id = early["instrument"]["id"].as_str().unwrap().to_owned();
        let endorsed = mutate(&app, &team.manager, ENDORSE, json!({"id": id, "endorsee": "Tedarikçi A.Ş."})).await;
        assert_eq!(endorsed["instrument"], json!({"status": "ENDORSED", "holder": "Tedarikçi A.Ş."}));
        let (_, body) = app.graphql(&team.viewer, EXPOSURE, json!({"id": customer})).await;
        assert_eq!(body["data"]["customer"]["exposure"][0]["unclearedInstruments"], "1500.00");
        let bounced = mutate(&app, &team.manager, BOUNCE, json!({"id": id, "reason": "Protesto edildi"})).await;
        assert_eq!(bounced["instrument"]["status"], "BOUNCED", "{bounced}");
        let (_, body) = app.graphql(&team.viewer, EXPOSURE, json!({"id": customer})).await;
        assert_eq!(body["data"]["customer"]["exposure"][0], json!({"currency": "TRY", "openBalance": "1000.00", "unclearedInstruments": "500.00", "total": "1500.00", "creditLimit": null, "overLimit": false}));
        // The other note clears.
        let other = late["instrument"]["id"].as_str().unwrap().to_owned();
        let cleared = mutate(&app, &team.manager, CLEAR, json!({"id": other})).await;
        assert_eq!(cleared["instrument"]["status"], "CLEARED");
        let (_, body) = app.graphql(&team.viewer, "{ instruments(filter: {status: [BOUNCED, CLEARED]}) { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["instruments"]["totalCount"], 2);
    }

    async fn a_matured_cheque_left_in_the_portfolio_gets_one_follow_up(app) {
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap());
        let team = Team::new(&app, "vade").await;
        let (_, body) = app.graphql(&team.collector, "{ viewer { id } }", json!({})).await;
        let created = mutate(&app, &team.manager, "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }", json!({"name": "Vadeli Ltd.", "assignedCollectorId": body["data"]["viewer"]["id"]})).await;
        let customer = created["customer"]["id"].as_str().unwrap().to_owned();
        invoice(&app, &team.manager, &customer, "V1", "900.00").await;
        let cheque = |number: &str| json!({"customerId": customer, "kind": "CHEQUE", "number": number, "bank": "Akbank", "drawer": "Vadeli Ltd.", "issueDate": "2026-12-01", "maturityDate": "2026-12-10", "amount": "300.00", "currency": "TRY"});
        let kept = mutate(&app, &team.collector, RECEIVE, cheque("K-1")).await;
        assert_eq!(kept["instrument"]["status"], "IN_PORTFOLIO");
        let deposited = mutate(&app, &team.collector, RECEIVE, cheque("K-2")).await;
        mutate(&app, &team.manager, DEPOSIT, json!({"id": deposited["instrument"]["id"], "bank": "Akbank"})).await;
        let pass = |day: u32| {
            let app = &app;
            async move {
                app.clock.set(Utc.with_ymd_and_hms(2026, 12, day, 10, 0, 0).unwrap());
                tahsilat::services::instruments::follow_up_matured(&app.state).await.unwrap()
            }
        };
        // Three days' grace after the maturity on the 10th; then one task, once.
        assert_eq!(pass(13).await, 0);
        assert_eq!(pass(14).await, 1);
        assert_eq!(pass(15).await, 0);
        let (_, body) = app.graphql(&team.collector, "{ worklist { kind source note customer { name } } }", json!({})).await;
        let list = body["data"]["worklist"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{body}");
        assert_eq!((list[0]["kind"].clone(), list[0]["source"].clone()), (json!("FOLLOW_UP"), json!("INSTRUMENT")));
        assert!(list[0]["note"].as_str().unwrap().contains("K-1 matured on 2026-12-10"), "{body}");
    }
}

on_both_databases! {
    async fn the_portfolio_and_exposure_cost_the_same_for_3_rows_as_for_20(app) {
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap());
        let team = Team::new(&app, "sayim").await;
        for index in 0..20 {
            let customer = create_customer(&app, &team.manager, &format!("Müşteri {index:02}")).await;
            invoice(&app, &team.manager, &customer, &format!("C-{index}"), "100.00").await;
            let received = mutate(&app, &team.collector, RECEIVE, json!({"customerId": customer, "kind": "CHEQUE", "number": format!("{index:04}"), "bank": "Vakıfbank", "drawer": "Yetkili", "issueDate": "2026-12-01", "maturityDate": "2027-01-15", "amount": "60.00", "currency": "TRY"})).await;
            assert_eq!(received["userErrors"], json!([]));
        }
        // Warm-up, so the token's bookkeeping is not counted.
        app.graphql(&team.viewer, "{ viewer { email } }", json!({})).await;
        let portfolio = "query($first: Int!) { instruments(first: $first) { edges { node { number customer { name exposure { total } } payment { amount { amount } } history { status } } } } }";
        let exposure = "query($first: Int!) { customers(first: $first) { edges { node { name exposure { openBalance unclearedInstruments total overLimit } } } } }";
        for query in [portfolio, exposure] {
            let mut counts = Vec::new();
            for first in [3, 20] {
                counts.push(app.statements_for(&team.viewer, query, json!({"first": first})).await.0);
            }
            assert_eq!(counts[0], counts[1], "statements grew with the page: {counts:?} for {query}");
        }
    }
}
