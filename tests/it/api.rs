//! The partner API over real HTTP: tokens, the onboarding statuses 1–7, errors as problem
//! details, scopes, isolation, idempotency and the rate limit.
use partner_portal::{
    domain::{CommissionRate, PlainName},
    services::{
        api_apps::{self, SCOPE_READ, SCOPE_READWRITE},
        audit::Actor,
    },
};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{helpers::*, registrations::account};

pub struct Api {
    pub app_id: partner_portal::domain::AppId,
    pub base: String,
    pub http: reqwest::Client,
    pub client_id: String,
    pub secret: String,
}

/// A partner with an app holding `scopes`, registered through the same service as /apps.
pub async fn app_for(app: &TestApp, email: &str, scopes: &[&str]) -> Api {
    let org = app.partner(email, &format!("{email} Co")).await;
    let (a, secret) = api_apps::create(
        &app.core,
        &Actor::system("test"),
        org.parse().unwrap(),
        PlainName::parse("CRM sync", "n").unwrap(),
        scopes,
        CommissionRate::parse("15").unwrap(),
    )
    .await
    .unwrap();
    Api {
        app_id: a.id,
        base: app.base.clone(),
        http: reqwest::Client::new(),
        client_id: a.client_id,
        secret,
    }
}

impl Api {
    /// POST /oauth/token with this app's credentials in HTTP Basic and `form` as the body.
    pub async fn request_token(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}/oauth/token", self.base))
            .basic_auth(&self.client_id, Some(&self.secret))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn token(&self) -> String {
        let res = self
            .request_token(&[("grant_type", "client_credentials")])
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn post(&self, token: &str, body: &Value) -> (StatusCode, Value) {
        self.post_with(token, body, None).await
    }

    pub async fn post_with(
        &self,
        token: &str,
        body: &Value,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        self.post_to(token, "/partner/external/v3/general/customers", body, key)
            .await
    }

    /// POST `body` to `path` with the token (and an Idempotency-Key).
    pub async fn post_to(
        &self,
        token: &str,
        path: &str,
        body: &Value,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn the_app_page_shows_the_calls_the_app_made() {
    let app = spawn_app().await;
    let api = app_for(&app, "calls@example.com", &[SCOPE_READWRITE]).await;
    let token = api.token().await;
    // A call answered, one its handler refused and one its token's scope refused.
    let calls = [
        (
            "/partner/external/v3/general/customers?pageSize=5",
            StatusCode::OK,
        ),
        (
            "/partner/external/v3/general/customers/not-an-id",
            StatusCode::NOT_FOUND,
        ),
        (
            "/partner/external/v3/general/commission/statements",
            StatusCode::FORBIDDEN,
        ),
    ];
    for (path, status) in calls {
        assert_eq!(api.get(&token, path).await.0, status, "{path}");
    }

    let c = app.client();
    c.sign_in("calls@example.com", PASSWORD).await;
    let page_path = format!("/apps/{}", api.app_id);
    // The call log is written in the background, in batches.
    let mut page = c.get(&page_path).await;
    for _ in 0..50 {
        if calls.iter().all(|(path, _)| page.body.contains(path)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = c.get(&page_path).await;
    }
    page.expect_status(StatusCode::OK);
    for (path, status) in calls {
        let row = format!(
            "{path}</td><td class=\"key\" data-label=\"Status\">{}<",
            status.as_u16()
        );
        assert!(page.body.contains(&row), "{row} in {}", page.body);
    }
    assert!(
        !page.body.contains("last used Never"),
        "the app's last use is recorded with its calls"
    );
}

fn link_body(email: &str) -> Value {
    json!({"firstName": "A", "lastName": "P", "organizationName": "Linked Org", "registrationAccount": email, "countryCode": "DE", "dataCenter": "eu-1"})
}

fn register_body(email: &str) -> Value {
    let mut b = link_body(email);
    b["password"] = json!("a-strong-passphrase-1");
    b
}

#[tokio::test]
async fn tokens_are_issued_by_basic_or_form_credentials_with_standard_errors() {
    let app = spawn_app().await;
    let api = app_for(&app, "p@example.com", &[SCOPE_READWRITE]).await;
    let url = format!("{}/oauth/token", app.base);
    let http = reqwest::Client::new();
    let form = http
        .post(&url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &api.client_id),
            ("client_secret", &api.secret),
            ("scope", SCOPE_READWRITE),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert_eq!(form.headers()["cache-control"], "no-store");
    let t: Value = form.json().await.unwrap();
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 3600);
    assert_eq!(t["scope"], SCOPE_READWRITE);

    let wrong = http
        .post(&url)
        .basic_auth(&api.client_id, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().contains_key("www-authenticate"));
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );

    // An oversized body gets the endpoint's own JSON error, not a bare 413.
    let pad = "x".repeat(100_000);
    let huge = api
        .request_token(&[("grant_type", "client_credentials"), ("pad", &pad)])
        .await;
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let e: Value = huge.json().await.unwrap();
    assert_eq!(e["error"], "invalid_request");

    let grant = api.request_token(&[("grant_type", "password")]).await;
    assert_eq!(grant.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        grant.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );

    let scope = api
        .request_token(&[
            ("grant_type", "client_credentials"),
            ("scope", "admin.everything"),
        ])
        .await;
    assert_eq!(scope.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        scope.json::<Value>().await.unwrap()["error"],
        "invalid_scope"
    );
}

#[tokio::test]
async fn every_onboarding_status_from_1_to_7_comes_from_a_real_call() {
    let app = spawn_app().await;
    let api = app_for(&app, "p@example.com", &[SCOPE_READWRITE]).await;
    let token = api.token().await;
    account(&app, "clean@x.example", "Clean Ltd").await;
    let rich = account(&app, "rich@x.example", "Rich Ltd").await;
    partner_portal::services::accounts::add_credit(
        &app.core,
        &Actor::system("t"),
        rich,
        partner_portal::domain::CreditKind::Topup,
        partner_portal::domain::Money::new(25_000, partner_portal::domain::Currency::Usd),
        "",
    )
    .await
    .unwrap();
    account(&app, "exists@x.example", "Exists Ltd").await;

    // 1: link an existing account; it enters the same workflow (the customer is emailed).
    let (s, v) = api.post(&token, &link_body("clean@x.example")).await;
    assert_eq!((s, v["status"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    assert!(v["id"].is_string() && v["customerId"].is_string());
    app.smtp
        .wait_for("clean@x.example", "asks to become your partner")
        .await;
    // 5: the same again.
    let (_, v) = api.post(&token, &link_body("clean@x.example")).await;
    assert_eq!(v["status"], 5, "{v}");
    // 2: an eligibility rule fails, named in errors.
    let (_, v) = api.post(&token, &link_body("rich@x.example")).await;
    assert_eq!(v["status"], 2, "{v}");
    assert_eq!(v["errors"][0]["code"], "no_credit_balance");
    assert!(v["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("$250.00"));
    // 3: nothing to link.
    let (_, v) = api.post(&token, &link_body("ghost@x.example")).await;
    assert_eq!(v["status"], 3, "{v}");
    // 1: register a new account (with a password).
    let (_, v) = api.post(&token, &register_body("new@x.example")).await;
    assert_eq!(v["status"], 1, "{v}");
    let mail = app
        .smtp
        .wait_for("new@x.example", "asks to become your partner")
        .await;
    // The customer already has a password: the confirmation asks for none.
    let path = link(&mail.text, "/confirm/").replace(&app.base, "");
    let page = app.client().get(&path).await;
    assert!(!page.body.contains("Choose a password"));
    // 7: a new account asked for, but the email has one.
    let (_, v) = api.post(&token, &register_body("exists@x.example")).await;
    assert_eq!(v["status"], 7, "{v}");
    // 4: the new account could not be made; each reason named.
    let mut bad = register_body("bad@x.example");
    bad["password"] = json!("short");
    bad["countryCode"] = json!("XX");
    let (_, v) = api.post(&token, &bad).await;
    assert_eq!(v["status"], 4, "{v}");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"password") && fields.contains(&"countryCode"),
        "{v}"
    );
    // 6: the partner itself.
    let (_, v) = api.post(&token, &link_body("p@example.com")).await;
    assert_eq!(v["status"], 6, "{v}");

    // The registrations are attributed to the app in their timeline.
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    let list = partner.get("/customers").await;
    list.expect_text("Clean Ltd").expect_text("Linked Org");
    let (_, first) = api
        .get(
            &token,
            "/partner/external/v3/general/customers?status=pending_customer",
        )
        .await;
    let id = first["items"][0]["id"].as_str().unwrap().to_string();
    partner
        .get(&format!("/customers/{id}"))
        .await
        .expect_text("API app CRM sync");

    // The list searches company, email and friendly name, through the same index as the page.
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["organizationName"].as_str().unwrap().to_string())
            .collect()
    };
    let base = "/partner/external/v3/general/customers";
    let (_, found) = api.get(&token, &format!("{base}?search=CLEAN+ltd")).await;
    assert_eq!(names(&found), ["Clean Ltd"], "{found}");
    let (_, found) = api.get(&token, &format!("{base}?search=new%40x.ex")).await;
    assert_eq!(names(&found), ["Linked Org"], "{found}");
    let (_, none) = api.get(&token, &format!("{base}?search=zzqqx")).await;
    assert!(names(&none).is_empty(), "{none}");
    let (s, v) = api.get(&token, &format!("{base}?search=a%00b")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["errors"][0]["field"], "search", "{v}");
    let long = "x".repeat(201);
    let (s, v) = api.get(&token, &format!("{base}?search={long}")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["errors"][0]["field"], "search", "{v}");
}

#[tokio::test]
async fn the_vendor_sample_body_with_a_capitalised_field_is_accepted() {
    let app = spawn_app().await;
    let api = app_for(&app, "p@example.com", &[SCOPE_READWRITE]).await;
    let token = api.token().await;
    let sample = json!({
        "firstName":"A",
        "lastName":"P",
        "organizationName":"test_open_api_07",
        "RegistrationAccount":"test_open_api_07@163.com",
        "password":"demo12!@-longer",
        "countryCode":"AF",
        "dataCenter":"7e4ffcae-xxxx-xxxx-xxxx-c6efa0b250d5",
        "tags":["test3"]
    });
    let (s, v) = api.post(&token, &sample).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], 1, "{v}");
}

#[tokio::test]
async fn bad_bodies_get_a_problem_naming_the_field_and_write_nothing() {
    let app = spawn_app().await;
    let api = app_for(&app, "p@example.com", &[SCOPE_READWRITE]).await;
    let token = api.token().await;
    for field in [
        "firstName",
        "lastName",
        "organizationName",
        "registrationAccount",
        "countryCode",
        "dataCenter",
    ] {
        let mut body = link_body("x@x.example");
        body.as_object_mut().unwrap().remove(field);
        let (s, v) = api.post(&token, &body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{field}");
        assert_eq!(v["errors"][0]["field"], field, "{v}");
        assert!(v["detail"].as_str().unwrap().contains(field));
    }
    let mut wrong = link_body("x@x.example");
    wrong["managementMode"] = json!("yes");
    wrong["tags"] = json!("one");
    let (s, v) = api.post(&token, &wrong).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["tags", "managementMode"]);

    let res = api
        .http
        .post(format!(
            "{}/partner/external/v3/general/customers",
            app.base
        ))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"firstName\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(
        res.json::<Value>().await.unwrap()["errors"][0]["field"],
        "body"
    );

    let res = api
        .http
        .post(format!(
            "{}/partner/external/v3/general/customers",
            app.base
        ))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = json!({"firstName": "x".repeat(70_000)});
    let (s, _) = api.post(&token, &huge).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.count("registrations").await, 0);
    assert_eq!(app.count("accounts").await, 0);
}

#[tokio::test]
async fn missing_expired_revoked_and_rotated_credentials_get_401() {
    let app = spawn_app().await;
    let api = app_for(&app, "p@example.com", &[SCOPE_READWRITE]).await;
    let path = "/partner/external/v3/general/customers";
    let res = api
        .http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    assert_eq!(
        api.get("not-a-token", path).await.0,
        StatusCode::UNAUTHORIZED
    );

    let token = api.token().await;
    assert_eq!(api.get(&token, path).await.0, StatusCode::OK);
    // A token lives an hour.
    app.clock.advance(chrono::Duration::minutes(59));
    assert_eq!(api.get(&token, path).await.0, StatusCode::OK);
    app.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(
        api.get(&token, path).await.0,
        StatusCode::UNAUTHORIZED,
        "expired"
    );

    // Rotation: the old secret and its tokens stop working; the new secret works.
    let token = api.token().await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    let apps = partner.get("/apps").await;
    let id = apps
        .body
        .split("href=\"/apps/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let rotated = partner
        .post_form(&format!("/apps/{id}"), &format!("/apps/{id}/rotate"), &[])
        .await;
    rotated
        .expect_status(StatusCode::OK)
        .expect_text("Client secret: copy it now");
    let new_secret = rotated
        .body
        .split("id=\"client-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        api.get(&token, path).await.0,
        StatusCode::UNAUTHORIZED,
        "tokens die with the rotation"
    );
    let old = api
        .request_token(&[("grant_type", "client_credentials")])
        .await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let api = Api {
        secret: new_secret,
        ..api
    };
    let token = api.token().await;
    assert_eq!(api.get(&token, path).await.0, StatusCode::OK);
    // The secret is not shown again.
    assert!(!partner
        .get(&format!("/apps/{id}"))
        .await
        .body
        .contains(&api.secret));

    // Revocation.
    partner
        .post_form(
            &format!("/apps/{id}"),
            &format!("/apps/{id}/revoke"),
            &[("confirmed", "yes")],
        )
        .await
        .expect_redirect("/apps");
    assert_eq!(
        api.get(&token, path).await.0,
        StatusCode::UNAUTHORIZED,
        "revoked"
    );
    let again = api
        .request_token(&[("grant_type", "client_credentials")])
        .await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_read_only_token_cannot_write_and_another_partners_registration_is_404() {
    let app = spawn_app().await;
    let writer = app_for(&app, "a@example.com", &[SCOPE_READWRITE]).await;
    let reader = app_for(&app, "b@example.com", &[SCOPE_READ]).await;
    account(&app, "c@x.example", "C Ltd").await;
    let wt = writer.token().await;
    let (_, v) = writer.post(&wt, &link_body("c@x.example")).await;
    let id = v["id"].as_str().unwrap().to_string();
    let (s, v) = writer
        .get(&wt, &format!("/partner/external/v3/general/customers/{id}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "pending_customer");
    assert_eq!(v["commissionRate"], "15%");

    let rt = reader.token().await;
    let (s, v) = reader.post(&rt, &link_body("c@x.example")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["detail"].as_str().unwrap().contains(SCOPE_READWRITE));
    assert_eq!(
        reader
            .get(&rt, "/partner/external/v3/general/customers")
            .await
            .0,
        StatusCode::OK
    );
    let (s, v) = reader
        .get(&rt, &format!("/partner/external/v3/general/customers/{id}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(
        reader
            .get(&rt, "/partner/external/v3/general/customers/not-a-uuid")
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, v) = reader
        .get(&rt, "/partner/external/v3/general/customers?status=bogus")
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("status"))
    );
}

#[tokio::test]
async fn an_idempotency_key_replays_refuses_another_body_and_reports_in_progress() {
    let app = spawn_app().await;
    let api = app_for(&app, "p@example.com", &[SCOPE_READWRITE]).await;
    let token = api.token().await;
    account(&app, "once@x.example", "Once Ltd").await;
    let first = api
        .post_with(&token, &link_body("once@x.example"), Some("key-1"))
        .await;
    let again = api
        .post_with(&token, &link_body("once@x.example"), Some("key-1"))
        .await;
    assert_eq!(first, again, "the first answer is replayed");
    assert_eq!(first.1["status"], 1);
    assert_eq!(app.count("registrations").await, 1);
    let (s, v) = api
        .post_with(&token, &link_body("other@x.example"), Some("key-1"))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // A request still running under a key.
    let app_id = api.app_id;
    let body = serde_json::to_vec(&link_body("busy@x.example")).unwrap();
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&body))
    };
    partner_portal::services::idempotency::begin(&app.core, app_id, "key-2", &hash)
        .await
        .unwrap();
    let res = api
        .http
        .post(format!(
            "{}/partner/external/v3/general/customers",
            app.base
        ))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .header("Idempotency-Key", "key-2")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // The instance running it died: a minute later the retry takes the key over and runs.
    account(&app, "busy@x.example", "Busy Ltd").await;
    app.clock
        .advance(partner_portal::services::idempotency::LEASE);
    let (s, v) = api
        .post_with(&token, &link_body("busy@x.example"), Some("key-2"))
        .await;
    assert_eq!((s, &v["status"]), (StatusCode::OK, &json!(1)), "{v}");

    // After a day a key is forgotten: the clean-up deletes it, and it may be used anew.
    app.clock
        .advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    let gone = partner_portal::services::idempotency::forget_expired(&app.core)
        .await
        .unwrap();
    assert_eq!(gone, 2, "key-1 and key-2");
    let (s, v) = api
        .post_with(&token, &link_body("other@x.example"), Some("key-1"))
        .await;
    assert_ne!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

#[tokio::test]
async fn an_app_over_its_rate_limit_gets_429_with_retry_after() {
    let app = spawn_app_with(
        Options::default()
            .var("API_RATE_PER_SECOND", 1)
            .var("API_RATE_BURST", 3),
    )
    .await;
    let api = app_for(&app, "p@example.com", &[SCOPE_READWRITE]).await;
    let token = api.token().await;
    let mut last = None;
    for _ in 0..5 {
        let res = api
            .http
            .get(format!(
                "{}/partner/external/v3/general/customers",
                app.base
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        last = Some(res);
    }
    let res = last.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn the_openapi_document_describes_the_contract() {
    let app = spawn_app().await;
    let doc: Value = reqwest::get(format!("{}/api/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let post = &doc["paths"]["/partner/external/v3/general/customers"]["post"];
    for code in [
        "200", "400", "401", "403", "409", "413", "415", "422", "429",
    ] {
        assert!(
            post["responses"][code].is_object(),
            "response {code} documented"
        );
    }
    assert!(
        doc["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]
            [SCOPE_READWRITE]
            .is_string()
    );

    // The request schemas, field by field, against what the parsers read: the same names,
    // the same required ones, the same types.
    request_schema_is_what_the_parser_reads(
        &doc,
        post,
        partner_portal::api::customers::accepted_fields(),
    );
    let orders = &doc["paths"]["/partner/external/v3/general/customers/{id}/orders"]["post"];
    for code in ["201", "400", "401", "403", "404", "409", "422", "429"] {
        assert!(
            orders["responses"][code].is_object(),
            "order response {code} documented"
        );
    }
    assert!(
        doc["paths"]["/partner/external/v3/general/customers/{id}/licenses"]["get"].is_object()
    );
    assert!(
        doc["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]
            ["elements.orders.readwrite.all"]
            .is_string()
    );
    request_schema_is_what_the_parser_reads(
        &doc,
        orders,
        partner_portal::api::orders::accepted_fields(),
    );
    app.client()
        .get("/docs/api")
        .await
        .expect_status(StatusCode::OK)
        .expect_text("curl");
}

/// The request body schema `post` refers to has exactly the fields the parser reads: the same
/// names, the same required ones, the same types.
fn request_schema_is_what_the_parser_reads(
    doc: &Value,
    post: &Value,
    accepted: Vec<partner_portal::api::body::FieldRead>,
) {
    let reference = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .expect("the request body refers to a schema");
    let name = reference.rsplit('/').next().unwrap();
    let schema = &doc["components"]["schemas"][name];
    let properties = schema["properties"].as_object().expect("properties");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut documented: Vec<&str> = properties.keys().map(String::as_str).collect();
    let mut read: Vec<&str> = accepted.iter().map(|f| f.field.as_str()).collect();
    documented.sort_unstable();
    read.sort_unstable();
    assert_eq!(
        documented, read,
        "documented fields = fields the parser reads"
    );
    for f in &accepted {
        assert_eq!(
            required.contains(&f.field.as_str()),
            f.required,
            "{} required in the document exactly when the parser requires it",
            f.field
        );
        let p = &properties[&f.field];
        // OpenAPI 3.1 writes an optional field's type as ["string", "null"].
        let types: Vec<&str> = match &p["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        use partner_portal::api::body::FieldKind;
        let (want, items) = match f.kind {
            FieldKind::String => ("string", None),
            FieldKind::Bool => ("boolean", None),
            FieldKind::StringArray => ("array", Some("string")),
            FieldKind::Integer => ("integer", None),
        };
        assert!(types.contains(&want), "{}: {types:?}, want {want}", f.field);
        if let Some(item) = items {
            assert_eq!(p["items"]["type"], item, "{} items", f.field);
        }
    }
}

#[tokio::test]
async fn only_partner_admins_manage_apps_and_only_their_own() {
    let app = spawn_app().await;
    let _ = app_for(&app, "a@example.com", &[SCOPE_READWRITE]).await;
    app.partner("b@example.com", "B Co").await;
    let a = app.client();
    a.sign_in("a@example.com", PASSWORD).await;
    let apps = a.get("/apps").await;
    let id = apps
        .body
        .split("href=\"/apps/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let b = app.client();
    b.sign_in("b@example.com", PASSWORD).await;
    b.get(&format!("/apps/{id}"))
        .await
        .expect_status(StatusCode::NOT_FOUND);
    b.post_form(
        "/apps",
        &format!("/apps/{id}/revoke"),
        &[("confirmed", "yes")],
    )
    .await
    .expect_status(StatusCode::NOT_FOUND);
    let made = b
        .post_form(
            "/apps",
            "/apps",
            &[("name", "B app"), ("access", "read"), ("commission", "")],
        )
        .await;
    made.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(made.field_error("commission").is_some());
    let made = b
        .post_form(
            "/apps",
            "/apps",
            &[("name", "B app"), ("access", "read"), ("commission", "10")],
        )
        .await;
    made.expect_status(StatusCode::OK)
        .expect_text("Client secret: copy it now")
        .expect_text(SCOPE_READ);
}
