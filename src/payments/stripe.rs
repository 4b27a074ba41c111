//! The `stripe` gateway: a PaymentIntent per attempt, confirmed at once with the card the
//! payer's browser tokenized in Stripe.js Elements; a card that asks for 3-D Secure is
//! authenticated in the browser with the intent's client secret. The invoice is marked paid by
//! whichever comes first of the charge's answer, the browser's return and the signed
//! `payment_intent.succeeded` webhook: all three name the same intent, which is recorded once.
//! `STRIPE_API_BASE` points it elsewhere (localstripe in tests and CI).
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use uuid::Uuid;

use super::{Charge, Event, Gateway, GatewayError, Method, Outcome, PayForm, WebhookError};
use crate::domain::{Currency, Money};

/// How far a webhook's signed timestamp may be from the clock (Stripe's libraries use 300 s).
pub const WEBHOOK_TOLERANCE_SECONDS: i64 = 300;

#[derive(Clone)]
pub struct StripeSettings {
    pub secret_key: String,
    pub publishable_key: String,
    pub webhook_secret: String,
    /// `https://api.stripe.com` unless `STRIPE_API_BASE` says otherwise.
    pub api_base: String,
    /// Stripe.js: `https://js.stripe.com/v3/`, or the API base's mock of it (localstripe).
    pub js_url: String,
}

/// Never prints the keys.
impl std::fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeSettings")
            .field("publishable_key", &self.publishable_key)
            .field("api_base", &self.api_base)
            .field("js_url", &self.js_url)
            .finish_non_exhaustive()
    }
}

pub struct Stripe {
    settings: StripeSettings,
    http: reqwest::Client,
}

impl Stripe {
    pub fn new(settings: StripeSettings) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .connect_timeout(std::time::Duration::from_secs(5))
            .build()
            .expect("a TLS backend is compiled in");
        Self { settings, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.api_base.trim_end_matches('/'))
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<(u16, Value), GatewayError> {
        let res = req
            .basic_auth(&self.settings.secret_key, None::<&str>)
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        let status = res.status().as_u16();
        let body = res
            .json::<Value>()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("HTTP {status}: {e}")))?;
        Ok((status, body))
    }
}

fn origin(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let scheme = url.split_once("://").map_or("https", |(s, _)| s);
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

/// What an intent's JSON says happened.
fn outcome_of(pi: &Value) -> Result<Outcome, GatewayError> {
    let reference = pi["id"]
        .as_str()
        .ok_or_else(|| GatewayError::Unavailable("an intent without an id".into()))?
        .to_string();
    let status = pi["status"].as_str().unwrap_or_default();
    Ok(match status {
        "succeeded" => Outcome::Paid {
            amount: amount_of(pi)
                .ok_or_else(|| GatewayError::Unavailable("an intent without an amount".into()))?,
            reference,
        },
        "requires_action" => Outcome::NeedsAction {
            client_secret: pi["client_secret"].as_str().unwrap_or_default().to_string(),
            reference,
        },
        "processing" | "requires_capture" => Outcome::Pending { reference },
        _ => Outcome::Declined {
            reason: pi["last_payment_error"]["message"]
                .as_str()
                .map(|m| format!("{m} "))
                .unwrap_or_else(|| "the card was not charged. ".into())
                .trim_end()
                .to_string(),
            reference,
        },
    })
}

/// Stripe's amounts are in the currency's smallest unit, as ours are (for every currency the
/// portal sells in: two decimals, or none for JPY and VND).
fn amount_of(pi: &Value) -> Option<Money> {
    let minor = pi["amount_received"]
        .as_i64()
        .filter(|a| *a > 0)
        .or_else(|| pi["amount"].as_i64())?;
    let currency = Currency::parse(pi["currency"].as_str()?).ok()?;
    Some(Money::new(minor, currency))
}

fn invoice_of(pi: &Value) -> Option<Uuid> {
    pi["metadata"]["invoice"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// Checks a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`): one v1 must be the HMAC-SHA256 of
/// `t.body` with the endpoint's secret, and t within the tolerance of `now`.
pub fn verify_signature(
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), WebhookError> {
    let header = header.ok_or(WebhookError::Header)?;
    let mut t: Option<i64> = None;
    let mut sigs: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v.parse().map_err(|_| WebhookError::Header)?),
            Some(("v1", v)) => {
                if let Ok(bytes) = hex::decode(v) {
                    sigs.push(bytes);
                }
            }
            _ => {}
        }
    }
    let t = t.ok_or(WebhookError::Header)?;
    if sigs.is_empty() {
        return Err(WebhookError::Header);
    }
    let signed = |sig: &[u8]| {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(sig).is_ok()
    };
    if !sigs.iter().any(|s| signed(s)) {
        return Err(WebhookError::Signature);
    }
    if (now.timestamp() - t).abs() > WEBHOOK_TOLERANCE_SECONDS {
        return Err(WebhookError::Stale);
    }
    Ok(())
}

/// Reads a verified event's body.
pub fn read_event(body: &[u8]) -> Result<Event, WebhookError> {
    let event: Value = serde_json::from_slice(body).map_err(|_| WebhookError::Body)?;
    let kind = event["type"]
        .as_str()
        .ok_or(WebhookError::Body)?
        .to_string();
    let pi = &event["data"]["object"];
    if kind != "payment_intent.succeeded" || pi["object"].as_str() != Some("payment_intent") {
        return Ok(Event::Ignored { kind });
    }
    match (
        invoice_of(pi),
        pi["id"].as_str(),
        amount_of(pi),
        pi["status"].as_str(),
    ) {
        (Some(invoice), Some(reference), Some(amount), Some("succeeded")) => Ok(Event::Succeeded {
            invoice,
            reference: reference.to_string(),
            amount,
            payer: pi["receipt_email"].as_str().map(str::to_string),
        }),
        // Not one of ours (no invoice in its metadata), or not what it claims.
        _ => Ok(Event::Ignored { kind }),
    }
}

#[async_trait]
impl Gateway for Stripe {
    fn kind(&self) -> crate::domain::payment::PaymentGateway {
        crate::domain::payment::PaymentGateway::Stripe
    }

    fn form(&self) -> PayForm {
        PayForm::Elements {
            publishable_key: self.settings.publishable_key.clone(),
            js_url: self.settings.js_url.clone(),
            js_origin: origin(&self.settings.js_url),
            api_origin: origin(&self.settings.api_base),
        }
    }

    #[tracing::instrument(skip(self, charge), fields(invoice = %charge.invoice))]
    async fn charge(&self, charge: &Charge) -> Result<Outcome, GatewayError> {
        let Method::Token(card) = &charge.method else {
            return Err(GatewayError::Unsupported);
        };
        let amount = charge.amount.minor.to_string();
        let currency = charge.amount.currency.code().to_ascii_lowercase();
        let invoice = charge.invoice.to_string();
        let form = [
            ("amount", amount.as_str()),
            ("currency", currency.as_str()),
            ("payment_method", card.as_str()),
            ("confirm", "true"),
            ("metadata[invoice]", invoice.as_str()),
            ("metadata[number]", charge.number.as_str()),
        ];
        let (status, body) = self
            .send(
                self.http
                    .post(self.url("/v1/payment_intents"))
                    .header("Idempotency-Key", &charge.idempotency_key)
                    .form(&form),
            )
            .await?;
        match status {
            200 => outcome_of(&body),
            // A card error: declined, expired, wrong CVC… Nothing was taken.
            402 => Ok(Outcome::Declined {
                reference: body["error"]["payment_intent"]["id"]
                    .as_str()
                    .or_else(|| body["error"]["charge"].as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("declined_{}", charge.idempotency_key)),
                reason: body["error"]["message"]
                    .as_str()
                    .unwrap_or("the card was declined.")
                    .to_string(),
            }),
            400 | 404 => Ok(Outcome::Declined {
                reference: format!("refused_{}", charge.idempotency_key),
                reason: body["error"]["message"]
                    .as_str()
                    .map(|m| format!("{m}."))
                    .unwrap_or_else(|| "the card details were refused.".into()),
            }),
            _ => Err(GatewayError::Unavailable(format!(
                "HTTP {status}: {}",
                body["error"]["message"].as_str().unwrap_or("no message")
            ))),
        }
    }

    async fn look(&self, reference: &str) -> Result<(Outcome, Option<Uuid>), GatewayError> {
        if !reference.starts_with("pi_")
            || !reference[3..].chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(GatewayError::Unsupported);
        }
        let (status, body) = self
            .send(
                self.http
                    .get(self.url(&format!("/v1/payment_intents/{reference}"))),
            )
            .await?;
        if status != 200 {
            return Err(GatewayError::Unavailable(format!("HTTP {status}")));
        }
        Ok((outcome_of(&body)?, invoice_of(&body)))
    }

    fn event(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Event, WebhookError> {
        verify_signature(&self.settings.webhook_secret, signature, body, now)?;
        read_event(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    fn at(t: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(t, 0).unwrap()
    }

    #[test]
    fn a_signature_holds_only_for_its_body_secret_and_time() {
        let body = br#"{"type":"payment_intent.succeeded"}"#;
        let t = 1_780_000_000;
        let good = format!("t={t},v1={}", sign("whsec_a", t, body));
        assert_eq!(
            verify_signature("whsec_a", Some(&good), body, at(t + 10)),
            Ok(())
        );
        // Another secret's signature listed first does not hide the good one.
        let two = format!(
            "t={t},v1={},v1={}",
            sign("whsec_b", t, body),
            sign("whsec_a", t, body)
        );
        assert_eq!(verify_signature("whsec_a", Some(&two), body, at(t)), Ok(()));
        let tampered = br#"{"type":"payment_intent.succeedeD"}"#;
        assert_eq!(
            verify_signature("whsec_a", Some(&good), tampered, at(t)),
            Err(WebhookError::Signature)
        );
        assert_eq!(
            verify_signature("whsec_b", Some(&good), body, at(t)),
            Err(WebhookError::Signature)
        );
        // A replay of a valid delivery after the tolerance.
        assert_eq!(
            verify_signature("whsec_a", Some(&good), body, at(t + 301)),
            Err(WebhookError::Stale)
        );
        // The timestamp is part of what is signed: changing it breaks the signature.
        let moved = good.replace(&format!("t={t}"), &format!("t={}", t + 400));
        assert_eq!(
            verify_signature("whsec_a", Some(&moved), body, at(t + 400)),
            Err(WebhookError::Signature)
        );
        for bad in [
            "",
            "t=abc,v1=00",
            "v1=00",
            &format!("t={t}"),
            &format!("t={t},v0=00"),
        ] {
            assert_eq!(
                verify_signature("whsec_a", Some(bad), body, at(t)),
                Err(WebhookError::Header),
                "{bad:?}"
            );
        }
        assert_eq!(
            verify_signature("whsec_a", None, body, at(t)),
            Err(WebhookError::Header)
        );
    }

    #[test]
    fn only_a_succeeded_intent_of_ours_is_an_event_that_pays() {
        let inv = Uuid::now_v7();
        let body = serde_json::json!({
            "id": "evt_1", "type": "payment_intent.succeeded",
            "data": {"object": {"object": "payment_intent", "id": "pi_1", "status": "succeeded",
                "amount": 1250, "currency": "eur", "metadata": {"invoice": inv.to_string()}}}
        });
        assert_eq!(
            read_event(body.to_string().as_bytes()),
            Ok(Event::Succeeded {
                invoice: inv,
                reference: "pi_1".into(),
                amount: Money::new(1250, Currency::Eur),
                payer: None,
            })
        );
        let mut other = body.clone();
        other["type"] = "payment_intent.payment_failed".into();
        assert!(matches!(
            read_event(other.to_string().as_bytes()),
            Ok(Event::Ignored { .. })
        ));
        let mut foreign = body.clone();
        foreign["data"]["object"]["metadata"] = serde_json::json!({});
        assert!(matches!(
            read_event(foreign.to_string().as_bytes()),
            Ok(Event::Ignored { .. })
        ));
        assert_eq!(read_event(b"not json"), Err(WebhookError::Body));
    }

    #[test]
    fn origins_of_stripe_and_a_local_mock() {
        assert_eq!(origin("https://js.stripe.com/v3/"), "https://js.stripe.com");
        assert_eq!(
            origin("http://127.0.0.1:8420/js.stripe.com/v3/"),
            "http://127.0.0.1:8420"
        );
    }
}
