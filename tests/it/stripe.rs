//! The Stripe gateway against localstripe (PyPI `localstripe`, a stateful fake Stripe with
//! signed webhooks), started per test on a free port: the card is tokenized as Stripe.js would
//! (the number goes to "Stripe", never to the portal), the portal charges the token, and the
//! invoice is paid exactly once whichever of the charge's answer, the browser's return and the
//! webhook (delivered by localstripe, and again five times at once by the test) comes first.
use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use hmac::{Hmac, Mac};
use partner_portal::entities::{invoices, payments};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use sha2::Sha256;

use crate::{
    helpers::*,
    orders::{order, shop_with, Shop},
};

pub const SECRET_KEY: &str = "sk_test_portal";
pub const PUBLISHABLE_KEY: &str = "pk_test_portal";
pub const WEBHOOK_SECRET: &str = "whsec_portal_test";

/// A localstripe server of the test's own (its webhooks go to every endpoint registered on it).
pub struct Localstripe {
    child: Child,
    pub base: String,
    http: reqwest::Client,
}

impl Drop for Localstripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Localstripe {
    pub async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let python = std::env::var("LOCALSTRIPE_PYTHON").unwrap_or_else(|_| "python3".into());
        let child = Command::new(&python)
            .args(["-m", "localstripe", "--from-scratch", "--port"])
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("localstripe starts (python3 -m pip install localstripe)");
        let ls = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        for _ in 0..200 {
            if let Ok(r) = ls
                .http
                .get(format!("{}/js.stripe.com/v3/", ls.base))
                .send()
                .await
            {
                if r.status().is_success() {
                    return ls;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("localstripe did not start on {}", ls.base);
    }

    /// The portal's settings for this server.
    pub fn options(&self) -> Options {
        Options::default()
            .var("STRIPE_SECRET_KEY", SECRET_KEY)
            .var("STRIPE_PUBLISHABLE_KEY", PUBLISHABLE_KEY)
            .var("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .var("STRIPE_API_BASE", &self.base)
    }

    /// Sends this server's events to `url`, signed with the portal's webhook secret.
    pub async fn send_webhooks_to(&self, url: &str) {
        let r = self
            .http
            .post(format!("{}/_config/webhooks/portal", self.base))
            .form(&[("url", url), ("secret", WEBHOOK_SECRET)])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    /// What Stripe.js does in the payer's browser: the card goes to Stripe, which answers a
    /// token naming the card. Returns the card's id.
    pub async fn tokenize(&self, number: &str) -> String {
        let token: Value = self
            .http
            .post(format!("{}/v1/tokens", self.base))
            .form(&[
                ("card[number]", number),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2030"),
                ("card[cvc]", "123"),
                ("key", PUBLISHABLE_KEY),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        token["card"]["id"].as_str().expect("a card id").to_string()
    }

    /// A call with the secret key, as the portal makes them.
    pub async fn api(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let req = if form.is_empty() {
            self.http.get(format!("{}{path}", self.base))
        } else {
            self.http.post(format!("{}{path}", self.base)).form(form)
        };
        let r = req
            .basic_auth(SECRET_KEY, None::<&str>)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }
}

/// A `Stripe-Signature` header for `body` at time `t`, signed with `secret`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn deliver(app: &TestApp, signature: &str, body: &str) -> StatusCode {
    reqwest::Client::new()
        .post(app.url("/webhooks/stripe"))
        .header("Stripe-Signature", signature)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
}

async fn payments_of(app: &TestApp, invoice: uuid::Uuid) -> Vec<payments::Model> {
    payments::Entity::find()
        .filter(payments::Column::InvoiceId.eq(invoice))
        .all(&app.core.db.read)
        .await
        .unwrap()
}

async fn status_of(app: &TestApp, invoice: uuid::Uuid) -> String {
    invoices::Entity::find_by_id(invoice)
        .one(&app.core.db.read)
        .await
        .unwrap()
        .unwrap()
        .status
        .as_str()
        .to_string()
}

/// A shop on Stripe with an order placed: the invoice's id and its pay path.
async fn invoiced(ls: &Localstripe, quantity: &str) -> (Shop, uuid::Uuid, String) {
    let s = shop_with(ls.options()).await;
    ls.send_webhooks_to(&s.app.url("/webhooks/stripe")).await;
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", quantity)],
    )
    .await;
    let (invoice, link) = newest_invoice(&s).await;
    (s, invoice, link)
}

/// The customer's newest invoice and its payment link's path.
pub async fn newest_invoice(s: &Shop) -> (uuid::Uuid, String) {
    partner_portal::services::invoices::of_customer(
        &s.app.core,
        s.org.id,
        s.customer.parse().unwrap(),
    )
    .await
    .unwrap()
    .into_iter()
    .next()
    .map(|(i, link)| (i.id, link.expect("open: a link")))
    .expect("an invoice")
}

/// The pay page's card step, as its script sends it (with the page's CSRF token).
async fn pay_card(c: &Client, path: &str, token: &str, card: &str, email: &str) -> Value {
    c.post_json_form(
        &format!("{path}/card"),
        &[
            ("csrf_token", token),
            ("payment_method", card),
            ("email", email),
            ("attempt", "a1"),
        ],
    )
    .await
}

#[tokio::test]
async fn a_card_paid_through_stripe_is_recorded_once_by_the_charge_and_the_webhooks() {
    let ls = Localstripe::start().await;
    let (s, invoice, path) = invoiced(&ls, "10").await;
    let app = &s.app;
    let payer = app.client();

    // The pay page loads Stripe.js from the configured place and allows it in its policy.
    let page = payer.get(&path).await;
    page.expect_status(StatusCode::OK)
        .expect_text(&format!("{}/js.stripe.com/v3/", ls.base))
        .expect_text(PUBLISHABLE_KEY)
        .expect_text("never reach this site");
    assert!(page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains(&ls.base));
    assert!(!page.body.contains("Test installation"));
    let token = page.csrf();
    let token = token.as_str();

    // A card the bank declines: a message, the attempt kept, the invoice open.
    let declined = pay_card(
        &payer,
        &path,
        token,
        &ls.tokenize("4000000000000341").await,
        "",
    )
    .await;
    assert_eq!(declined["status"], "declined", "{declined}");
    assert!(declined["message"].as_str().unwrap().contains("declined"));
    assert_eq!(status_of(app, invoice).await, "open");
    // A token that is not one (garbage): refused, nothing recorded beyond the decline.
    let junk = pay_card(&payer, &path, token, "card_<script>", "").await;
    assert_eq!(junk["status"], "refused");

    // A good card: paid at once, receipts to the payer and the partner.
    let paid = pay_card(
        &payer,
        &path,
        token,
        &ls.tokenize("4242424242424242").await,
        "ap@acme.example",
    )
    .await;
    assert_eq!(paid["status"], "paid", "{paid}");
    assert_eq!(status_of(app, invoice).await, "paid");
    let number = invoices::Entity::find_by_id(invoice)
        .one(&app.core.db.read)
        .await
        .unwrap()
        .unwrap()
        .number;
    for to in ["ap@acme.example", "p@example.com"] {
        app.smtp
            .wait_for(to, &format!("Receipt for {number}"))
            .await;
    }
    let rows = payments_of(app, invoice).await;
    let success: Vec<_> = rows
        .iter()
        .filter(|p| p.outcome.as_str() == "succeeded")
        .collect();
    assert_eq!(success.len(), 1);
    assert_eq!(success[0].gateway.as_str(), "stripe");
    let pi = success[0].reference.clone();
    assert!(pi.starts_with("pi_"), "{pi}");

    // The same payment_intent.succeeded event, five times at once, signed now: all answered,
    // still one payment (localstripe delivers its own copy too).
    let (_, intent) = ls.api(&format!("/v1/payment_intents/{pi}"), &[]).await;
    let body = serde_json::json!({
        "id": "evt_replayed", "object": "event", "type": "payment_intent.succeeded",
        "data": {"object": intent}
    })
    .to_string();
    let sig = signature(WEBHOOK_SECRET, app.core.now().timestamp(), &body);
    let answers = futures_util::future::join_all((0..5).map(|_| deliver(app, &sig, &body))).await;
    assert!(answers.iter().all(|s| *s == StatusCode::OK), "{answers:?}");
    // A tampered body, another secret's signature, an old signature, no signature: 400.
    let tampered = body.replace(&pi, "pi_someoneelse");
    assert_eq!(deliver(app, &sig, &tampered).await, StatusCode::BAD_REQUEST);
    let forged = signature("whsec_guess", app.core.now().timestamp(), &body);
    assert_eq!(deliver(app, &forged, &body).await, StatusCode::BAD_REQUEST);
    let old = signature(WEBHOOK_SECRET, app.core.now().timestamp() - 3600, &body);
    assert_eq!(deliver(app, &old, &body).await, StatusCode::BAD_REQUEST);
    assert_eq!(deliver(app, "", &body).await, StatusCode::BAD_REQUEST);
    // An event of another kind, well signed: answered, without effect.
    let other = body.replace("payment_intent.succeeded", "customer.created");
    let sig_other = signature(WEBHOOK_SECRET, app.core.now().timestamp(), &other);
    assert_eq!(deliver(app, &sig_other, &other).await, StatusCode::OK);
    // localstripe's own delivery comes a second after the charge.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rows = payments_of(app, invoice).await;
    assert_eq!(
        rows.iter()
            .filter(|p| p.outcome.as_str() == "succeeded")
            .count(),
        1,
        "{rows:?}"
    );
    assert_eq!(rows.len(), 2, "one decline and one success: {rows:?}");
    // Paying the paid invoice again: refused with a message, nothing charged.
    let again = pay_card(
        &payer,
        &path,
        token,
        &ls.tokenize("4242424242424242").await,
        "",
    )
    .await;
    assert_eq!(again["status"], "refused", "{again}");
    assert!(again["message"].as_str().unwrap().contains("paid"));
}

#[tokio::test]
async fn the_webhook_alone_pays_when_the_portal_never_heard_the_charges_answer() {
    let ls = Localstripe::start().await;
    let (s, invoice, _path) = invoiced(&ls, "3").await;
    let app = &s.app;
    let due = partner_portal::services::invoices::amount_due(&app.core, invoice)
        .await
        .unwrap();
    // The charge went through at Stripe, but the portal stopped before recording it: only the
    // webhook can tell.
    let card = ls.tokenize("4242424242424242").await;
    let (status, pi) = ls
        .api(
            "/v1/payment_intents",
            &[
                ("amount", &due.minor.to_string()),
                ("currency", "usd"),
                ("payment_method", &card),
                ("confirm", "true"),
                ("metadata[invoice]", &invoice.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    for _ in 0..100 {
        if status_of(app, invoice).await == "paid" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status_of(app, invoice).await, "paid");
    let rows = payments_of(app, invoice).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].reference, pi["id"].as_str().unwrap());

    // Money for the wrong amount (a charge of 1 cent naming the invoice): recorded as a
    // mismatch for staff, the invoice's payment unchanged.
    let (_, wrong) = ls
        .api(
            "/v1/payment_intents",
            &[
                ("amount", "1"),
                ("currency", "usd"),
                ("payment_method", &ls.tokenize("4242424242424242").await),
                ("confirm", "true"),
                ("metadata[invoice]", &invoice.to_string()),
            ],
        )
        .await;
    let wrong_id = wrong["id"].as_str().unwrap().to_string();
    for _ in 0..100 {
        if payments_of(app, invoice).await.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows = payments_of(app, invoice).await;
    let flagged = rows
        .iter()
        .find(|p| p.reference == wrong_id)
        .expect("recorded");
    assert_eq!(flagged.outcome.as_str(), "mismatch");
    assert_eq!(
        rows.iter()
            .filter(|p| p.outcome.as_str() == "succeeded")
            .count(),
        1
    );
    s.staff.get("/staff/audit").await.expect_text("refund");
}

#[tokio::test]
async fn a_card_that_asks_for_3d_secure_is_paid_once_whether_the_webhook_or_the_browser_returns_first(
) {
    let ls = Localstripe::start().await;
    let (s, invoice, path) = invoiced(&ls, "2").await;
    let app = &s.app;
    let payer = app.client();
    let token = payer.get(&path).await.csrf();
    let token = token.as_str();
    let answer = pay_card(
        &payer,
        &path,
        token,
        &ls.tokenize("4000002760003184").await,
        "",
    )
    .await;
    assert_eq!(answer["status"], "action", "{answer}");
    let pi = answer["reference"].as_str().unwrap().to_string();
    let secret = answer["client_secret"].as_str().unwrap().to_string();
    assert_eq!(status_of(app, invoice).await, "open");
    // What Stripe.js does when the payer completes the bank's check.
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/payment_intents/{pi}/_authenticate?success=true",
            ls.base
        ))
        .form(&[("key", PUBLISHABLE_KEY), ("client_secret", secret.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    // The webhook arrives first…
    for _ in 0..100 {
        if status_of(app, invoice).await == "paid" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status_of(app, invoice).await, "paid");
    // …then the browser returns: told it is paid, still one payment.
    let back = payer
        .post_json_form(
            &format!("{path}/return"),
            &[("csrf_token", token), ("reference", pi.as_str())],
        )
        .await;
    assert_eq!(back["status"], "paid", "{back}");
    assert_eq!(payments_of(app, invoice).await.len(), 1);

    // Another invoice's link cannot claim this attempt.
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "1")],
    )
    .await;
    let (other, other_link) = newest_invoice(&s).await;
    assert_ne!(other, invoice);
    let page = payer.get(&other_link).await;
    let stolen = payer
        .post_json_form(
            &format!("{other_link}/return"),
            &[
                ("csrf_token", page.csrf().as_str()),
                ("reference", pi.as_str()),
            ],
        )
        .await;
    assert_eq!(stolen["status"], "refused", "{stolen}");
}
