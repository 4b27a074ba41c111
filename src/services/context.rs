//! What services need from the outside world, and nothing of the web's: the database, the
//! clock, the link settings for emails, the password hasher and the outbox worker's wake-up.
//! Built once in `startup` and held by the application state.
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{DatabaseTransaction, DbErr, Statement};
use tokio::sync::Notify;

use super::clock::Clock;
use crate::{
    config::{Config, Payments},
    db::Db,
    security::password::Hasher,
};

pub struct Core {
    pub db: Db,
    pub clock: Clock,
    pub links: Links,
    pub hasher: Hasher,
    pub rules: Rules,
    /// Wakes this instance's outbox worker when a message was queued.
    mail_wake: Arc<Notify>,
    /// How many rounds this instance's background loops have finished.
    pub beats: Beats,
    /// Order numbers reserved for this instance.
    pub order_numbers: super::counters::Block,
    /// Where invoices are paid: the gateway `PAYMENTS` chose (see `config::Payments`).
    pub gateway: Arc<dyn crate::payments::Gateway>,
}

/// Rounds finished by the background loops (the outbox worker, the jobs), so that tests and
/// health checks can wait for "has run since" instead of sleeping.
#[derive(Clone, Debug, Default)]
pub struct Beats {
    pub mail: Arc<AtomicU64>,
    pub jobs: Arc<AtomicU64>,
}

impl Beats {
    pub fn mail_rounds(&self) -> u64 {
        self.mail.load(Ordering::Acquire)
    }

    pub fn job_rounds(&self) -> u64 {
        self.jobs.load(Ordering::Acquire)
    }
}

/// Where emailed links point and how long they live.
#[derive(Clone, Debug)]
pub struct Links {
    pub public_url: String,
    pub signup_ttl: Duration,
    pub reset_ttl: Duration,
    pub invite_ttl: Duration,
    /// How long a customer has to answer a registration request.
    pub confirm_ttl: Duration,
    /// The key payment-link tokens are derived from (`invoices::pay_key`).
    pub pay_key: [u8; 32],
}

impl Links {
    /// The absolute URL of a portal path, for emails.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}

/// Limits the services enforce.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Failed sign-ins per account / per IP within `throttle_window` before sign-in is refused.
    pub throttle_account_limit: i32,
    pub throttle_ip_limit: i32,
    pub throttle_window: Duration,
    /// How often staff may get the "waiting for approval" digest.
    pub digest_every: Duration,
    /// How long after its start an order can still be cancelled.
    pub order_grace: Duration,
    /// How long after it is issued an invoice is due.
    pub invoice_due: Duration,
    /// How long before a term ends its renewal is invoiced.
    pub renewal_lead: Duration,
    /// How long a Login As lasts.
    pub login_as: Duration,
}

impl Core {
    /// Connects to the configured database, applies the migrations and builds the context.
    pub async fn open(config: &Config, clock: Clock) -> anyhow::Result<Self> {
        let db = Db::connect(
            &config.database_url,
            config.sqlite_readers,
            config.sqlite_mmap_bytes,
        )
        .await?;
        db.migrate().await?;
        Ok(Self::new(config, db, clock))
    }

    pub fn new(config: &Config, db: Db, clock: Clock) -> Self {
        Self {
            db,
            clock,
            hasher: Hasher::new(config.hash_concurrency, config.hash_wait),
            links: Links {
                public_url: config.public_url.clone(),
                signup_ttl: config.signup_link_ttl,
                reset_ttl: config.reset_link_ttl,
                invite_ttl: config.invite_link_ttl,
                confirm_ttl: config.confirm_link_ttl,
                pay_key: super::invoices::pay_key(&config.session_secret),
            },
            rules: Rules {
                throttle_account_limit: config.throttle_account_limit,
                throttle_ip_limit: config.throttle_ip_limit,
                throttle_window: config.throttle_window,
                digest_every: config.digest_every,
                order_grace: config.order_grace,
                invoice_due: config.invoice_due,
                renewal_lead: config.renewal_lead,
                login_as: config.login_as,
            },
            mail_wake: Arc::new(Notify::new()),
            beats: Beats::default(),
            order_numbers: super::counters::Block::new("orders", 20),
            gateway: match &config.payments {
                Payments::Stripe(s) => Arc::new(crate::payments::Stripe::new(s.clone())),
                Payments::Test { .. } => Arc::new(crate::payments::TestGateway),
            },
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// What the outbox worker waits on.
    pub fn mail_wake(&self) -> Arc<Notify> {
        self.mail_wake.clone()
    }

    /// Tells this instance's outbox worker that a message is waiting.
    pub fn wake_mailer(&self) {
        self.mail_wake.notify_one();
    }

    /// Commits an action's transaction, then wakes the outbox worker for the emails it queued.
    pub async fn commit(&self, txn: DatabaseTransaction) -> Result<(), DbErr> {
        txn.commit().await?;
        self.wake_mailer();
        Ok(())
    }

    /// [`Db::commit_all`], then wakes the outbox worker.
    pub async fn commit_all(&self, statements: Vec<Statement>) -> Result<(), DbErr> {
        self.db.commit_all(statements).await?;
        self.wake_mailer();
        Ok(())
    }
}
