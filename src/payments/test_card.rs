//! The `test` gateway: no keys, no JavaScript. The pay page offers a card that approves and
//! one that declines; nothing real is charged and no webhook is sent.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Charge, Event, Gateway, GatewayError, Method, Outcome, PayForm, WebhookError};

#[derive(Clone, Debug, Default)]
pub struct TestGateway;

#[async_trait]
impl Gateway for TestGateway {
    fn kind(&self) -> crate::domain::payment::PaymentGateway {
        crate::domain::payment::PaymentGateway::Test
    }

    fn form(&self) -> PayForm {
        PayForm::TestCards
    }

    async fn charge(&self, charge: &Charge) -> Result<Outcome, GatewayError> {
        let Method::TestCard { approve } = charge.method else {
            return Err(GatewayError::Unsupported);
        };
        let reference = format!("test_{}", Uuid::new_v4().simple());
        Ok(if approve {
            Outcome::Paid {
                reference,
                amount: charge.amount,
            }
        } else {
            Outcome::Declined {
                reference,
                reason: "the test card 4000 0000 0000 0002 is always declined.".into(),
            }
        })
    }

    async fn look(&self, _reference: &str) -> Result<(Outcome, Option<Uuid>), GatewayError> {
        Err(GatewayError::Unsupported)
    }

    fn event(
        &self,
        _signature: Option<&str>,
        _body: &[u8],
        _now: DateTime<Utc>,
    ) -> Result<Event, WebhookError> {
        Err(WebhookError::NotTaken)
    }
}
