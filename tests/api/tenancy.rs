//! Authentication, the viewer, and tenant isolation at the database layer.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use tahsilat::clock::Clock;
use tahsilat::domain::ids::OrganizationId;
use tahsilat::domain::role::Role;
use tahsilat::entities::{api_token, customer, invoice, organization};
use tahsilat::services::scope::OrgScoped;

const VIEWER: &str = "{ viewer { id email name role organization { id name } } }";

on_both_databases! {
    async fn viewer_answers_with_the_tokens_user(app) {
        let token = app.user("acme", "a@example.com", Role::Viewer).await;
        let (status, body) = app.graphql(&token, VIEWER, json!({})).await;
        assert_eq!(status, 200, "{body}");
        let viewer = &body["data"]["viewer"];
        assert_eq!(viewer["email"], "a@example.com");
        assert_eq!(viewer["role"], "VIEWER");
        assert_eq!(viewer["name"], "a");
        assert_eq!(viewer["organization"]["name"], "acme");
    }

    async fn missing_or_bad_tokens_get_401_unauthenticated(app) {
        let token = app.user("acme", "a@example.com", Role::Admin).await;
        let forged = format!("{}x", &token[..token.len() - 1]);
        let no_header = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({"query": VIEWER}))
            .send()
            .await
            .unwrap();
        assert_eq!(no_header.status(), 401);
        let body: serde_json::Value = no_header.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        for bad in [forged.as_str(), "tsk_short", "not-a-token", ""] {
            let (status, body) = app.graphql(bad, VIEWER, json!({})).await;
            assert_eq!(status, 401, "{bad:?}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        }
    }

    async fn tokens_are_stored_only_as_hashes_and_record_their_use(app) {
        let token = app.user("acme", "a@example.com", Role::Manager).await;
        let rows = api_token::Entity::find().all(app.state.db.reader()).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert!(token.starts_with("tsk_") && token.len() == 47, "{token}");
        assert_ne!(rows[0].token_hash, token);
        assert_eq!(rows[0].token_hash, tahsilat::auth::hash_token(&token));
        assert!(rows[0].last_used_at.is_none());
        app.graphql(&token, VIEWER, json!({})).await;
        let used = api_token::Entity::find().one(app.state.db.reader()).await.unwrap().unwrap();
        assert_eq!(used.last_used_at, Some(app.clock.now()));
    }

    async fn one_organization_cannot_see_anothers_rows(app) {
        tahsilat::services::demo::seed(&app.state.db, &app.clock).await.unwrap();
        let other_token = app.user("acme", "b@example.com", Role::Admin).await;
        let db = app.state.db.reader();
        let demo = organization::Entity::find()
            .filter(organization::Column::Name.eq(tahsilat::services::demo::DEMO_ORGANIZATION))
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let acme = organization::Entity::find()
            .filter(organization::Column::Name.eq("acme"))
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let (demo, acme) = (OrganizationId(demo.id), OrganizationId(acme.id));

        assert_eq!(customer::Entity::in_org(demo).count(db).await.unwrap(), 25);
        assert_eq!(customer::Entity::in_org(acme).count(db).await.unwrap(), 0);
        assert_eq!(invoice::Entity::in_org(acme).count(db).await.unwrap(), 0);
        let demo_customer = customer::Entity::in_org(demo).one(db).await.unwrap().unwrap();
        assert!(customer::Entity::find_in_org(demo_customer.id, demo).one(db).await.unwrap().is_some());
        assert!(customer::Entity::find_in_org(demo_customer.id, acme).one(db).await.unwrap().is_none());

        let (_, body) = app.graphql(&other_token, VIEWER, json!({})).await;
        assert_eq!(body["data"]["viewer"]["organization"]["name"], "acme");
    }
}
