//! What dunning will rely on about a customer: phone numbers kept in E.164 and the language the
//! customer reads.

use serde_json::json;

use crate::collections::{Team, mutate};

const CREATE: &str = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id phone language } userErrors { field code } } }";
const UPDATE: &str = "mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) { customer { phone language } userErrors { field code } } }";
const CONTACT: &str = "mutation($input: AddContactInput!) { addContact(input: $input) { contact { phone } userErrors { field code } } }";

on_both_databases! {
    async fn phones_are_kept_in_e164_and_languages_are_tr_or_en(app) {
        let team = Team::new(&app, "acme").await;
        let made = mutate(&app, &team.manager, CREATE, json!({"name": "Telefonlu A.Ş.", "phone": "0532 123 45 67"})).await;
        assert_eq!(made["userErrors"], json!([]), "{made}");
        assert_eq!(made["customer"]["phone"], "+905321234567");
        assert_eq!(made["customer"]["language"], "tr", "the organization's by default");
        let id = made["customer"]["id"].as_str().unwrap().to_owned();

        let changed = mutate(&app, &team.manager, UPDATE, json!({"id": id, "phone": "+90 (212) 555-00-00", "language": "EN"})).await;
        assert_eq!(changed["customer"], json!({"phone": "+902125550000", "language": "en"}), "{changed}");
        let contact = mutate(&app, &team.manager, CONTACT, json!({"customerId": id, "name": "Ayşe", "phone": "5321234567"})).await;
        assert_eq!(contact["contact"]["phone"], "+905321234567", "{contact}");

        for (input, field, code) in [
            (json!({"id": id, "phone": "ara beni"}), "phone", "INVALID_PHONE"),
            (json!({"id": id, "phone": "0532 123"}), "phone", "INVALID_PHONE"),
            (json!({"id": id, "language": "de"}), "language", "INVALID_LANGUAGE"),
        ] {
            let refused = mutate(&app, &team.manager, UPDATE, input).await;
            assert_eq!(refused["userErrors"][0]["code"], code, "{refused}");
            assert_eq!(refused["userErrors"][0]["field"], json!(["input", field]));
        }
        let cleared = mutate(&app, &team.manager, UPDATE, json!({"id": id, "language": null})).await;
        assert_eq!(cleared["customer"], json!({"phone": "+902125550000", "language": "tr"}), "{cleared}");
    }
}
