//! Settings from the environment, each with a default that works on a fresh machine.
use std::{path::PathBuf, time::Duration};

use anyhow::Context;

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    pub public_url: String,
    /// 64+ bytes used to sign and encrypt the session cookie.
    pub session_secret: Vec<u8>,
    pub smtp_url: Option<String>,
    /// `MAIL_FILES=1`: emails go to files in `data/mail/` on purpose even where the portal
    /// is public (https); `/dev/mail` is still not served there.
    pub mail_files: bool,
    pub mail_from: String,
    pub data_dir: PathBuf,
    /// Base delay of the outbox retry backoff (doubles per attempt).
    pub mail_retry_base: Duration,
    /// How often the outbox worker looks for due messages when nothing wakes it.
    pub mail_poll: Duration,
    /// How often background jobs (expiry, digest) run.
    pub jobs_every: Duration,
    /// Passwords hashed at once; more wait briefly, then get 429.
    pub hash_concurrency: usize,
    pub hash_wait: Duration,
    /// Lifetime of the links in sign-up, reset and invitation emails.
    pub signup_link_ttl: chrono::Duration,
    pub reset_link_ttl: chrono::Duration,
    pub invite_link_ttl: chrono::Duration,
    /// How long a customer has to answer a registration request (default 7 days).
    pub confirm_link_ttl: chrono::Duration,
    /// How often staff may get the "waiting for approval" digest.
    pub digest_every: chrono::Duration,
    /// How long after its start an order can still be cancelled (default 7 days).
    pub order_grace: chrono::Duration,
    /// How long after it is issued an invoice is due (default 14 days).
    pub invoice_due: chrono::Duration,
    /// How long a Login As lasts (`LOGIN_AS_MINUTES`, default and most 60).
    pub login_as: chrono::Duration,
    /// How many days before a term ends its renewal is invoiced (default 14).
    pub renewal_lead: chrono::Duration,
    pub session_ttl: chrono::Duration,
    /// Failed sign-ins per account / per IP within `throttle_window` before sign-in is refused.
    pub throttle_account_limit: i32,
    pub throttle_ip_limit: i32,
    pub throttle_window: chrono::Duration,
    pub workers: usize,
    /// SQLite read connections.
    pub sqlite_readers: u32,
    /// SQLite's memory map per connection, in bytes (`SQLITE_MMAP_MB`, default 256; 0 reads
    /// with pread instead).
    pub sqlite_mmap_bytes: u64,
    /// Partner API rate limit per app: average requests a second, and the burst allowed.
    pub api_rate_per_second: f64,
    pub api_rate_burst: f64,
    /// Where invoices are paid (`PAYMENTS`): chosen explicitly, or the test gateway on a
    /// development server only. See [`Payments`].
    pub payments: Payments,
}

/// The payment gateway the server runs with.
#[derive(Clone, Debug)]
pub enum Payments {
    /// Stripe, with its three keys (`PAYMENTS=stripe`, or the keys set and `PAYMENTS` unset).
    Stripe(crate::payments::StripeSettings),
    /// The test cards: nothing real is charged. `explicit` when `PAYMENTS=test` asked for it
    /// (allowed anywhere, loudly); otherwise it is the development server's default.
    Test { explicit: bool },
}

impl Payments {
    pub fn is_test(&self) -> bool {
        matches!(self, Self::Test { .. })
    }
}

fn env_num<T: std::str::FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
) -> anyhow::Result<T> {
    match env(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("{name} must be a number, got {v:?}")),
    }
}

impl Config {
    /// Reads the environment. Creates the data folder and, when `SESSION_SECRET` is unset,
    /// a secret kept in it so sessions survive restarts.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The same, reading variables through `get` (tests pass their own).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let env = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let data_dir = PathBuf::from(env("DATA_DIR").unwrap_or_else(|| "data".into()));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating data folder {}", data_dir.display()))?;
        let bind = env("BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let public_url = env("PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_string();
        let session_secret = match env("SESSION_SECRET") {
            Some(s) if s.len() >= 64 => s.into_bytes(),
            Some(_) => anyhow::bail!("SESSION_SECRET must be at least 64 characters"),
            None => load_or_create_secret(&data_dir.join("session_secret"))?,
        };
        let default_db = format!("sqlite://{}/portal.db?mode=rwc", data_dir.display());
        Self {
            database_url: env("DATABASE_URL").unwrap_or(default_db),
            bind,
            public_url,
            session_secret,
            smtp_url: env("SMTP_URL"),
            mail_files: env("MAIL_FILES").is_some_and(|v| v == "1" || v == "true"),
            mail_from: env("MAIL_FROM")
                .unwrap_or_else(|| "Partner Portal <no-reply@partner-portal.local>".into()),
            mail_retry_base: Duration::from_millis(env_num(&env, "MAIL_RETRY_BASE_MS", 2000)?),
            mail_poll: Duration::from_millis(env_num(&env, "MAIL_POLL_MS", 1000)?),
            jobs_every: Duration::from_millis(env_num(&env, "JOBS_EVERY_MS", 30_000)?),
            hash_concurrency: env_num(
                &env,
                "HASH_CONCURRENCY",
                // Half the cores, at least one: hashing never takes every core from page views.
                std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            )?,
            hash_wait: Duration::from_millis(env_num(&env, "HASH_WAIT_MS", 1000)?),
            signup_link_ttl: chrono::Duration::hours(env_num(&env, "SIGNUP_LINK_HOURS", 24)?),
            reset_link_ttl: chrono::Duration::minutes(env_num(&env, "RESET_LINK_MINUTES", 60)?),
            invite_link_ttl: chrono::Duration::days(7),
            confirm_link_ttl: chrono::Duration::minutes(env_num(
                &env,
                "CONFIRM_LINK_MINUTES",
                7 * 24 * 60,
            )?),
            digest_every: chrono::Duration::minutes(env_num(&env, "DIGEST_MINUTES", 60)?),
            order_grace: chrono::Duration::days(env_num(&env, "ORDER_GRACE_DAYS", 7)?),
            invoice_due: chrono::Duration::days(env_num(&env, "INVOICE_DUE_DAYS", 14)?),
            renewal_lead: chrono::Duration::days(env_num(&env, "RENEWAL_INVOICE_DAYS", 14)?),
            login_as: match env_num::<i64>(&env, "LOGIN_AS_MINUTES", 60)? {
                m @ 1..=60 => chrono::Duration::minutes(m),
                m => anyhow::bail!("LOGIN_AS_MINUTES must be from 1 to 60, got {m}"),
            },
            session_ttl: chrono::Duration::hours(12),
            throttle_account_limit: env_num(&env, "THROTTLE_ACCOUNT_LIMIT", 5)?,
            throttle_ip_limit: env_num(&env, "THROTTLE_IP_LIMIT", 50)?,
            throttle_window: chrono::Duration::minutes(15),
            workers: env_num(&env, "WORKERS", 0)?,
            sqlite_readers: env_num(&env, "SQLITE_READERS", 8)?,
            sqlite_mmap_bytes: env_num::<u64>(&env, "SQLITE_MMAP_MB", 256)? * 1024 * 1024,
            api_rate_per_second: env_num(&env, "API_RATE_PER_SECOND", 50.0)?,
            api_rate_burst: env_num(&env, "API_RATE_BURST", 100.0)?,
            payments: Payments::Test { explicit: false },
            data_dir,
        }
        .with_payments(&env)
    }

    /// Chooses the gateway, failing closed: `PAYMENTS=stripe` needs Stripe's three keys;
    /// `PAYMENTS=test` is honoured anywhere (and logged as a warning at start); unset, Stripe's
    /// keys choose Stripe, and without them only a development server (loopback bind, no https
    /// `PUBLIC_URL`) falls back to the test gateway. Anything else refuses to start.
    fn with_payments(mut self, env: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let stripe = stripe_settings(env)?;
        let choice = env("PAYMENTS").map(|v| v.trim().to_ascii_lowercase());
        self.payments = match (choice.as_deref(), stripe) {
            (Some("stripe"), Some(s)) => Payments::Stripe(s),
            (Some("stripe"), None) => anyhow::bail!(
                "PAYMENTS=stripe needs STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and \
                 STRIPE_WEBHOOK_SECRET"
            ),
            (Some("test"), Some(_)) => anyhow::bail!(
                "PAYMENTS=test, but Stripe keys are set: unset them, or choose PAYMENTS=stripe"
            ),
            (Some("test"), None) => Payments::Test { explicit: true },
            (Some(other), _) => {
                anyhow::bail!("PAYMENTS must be stripe or test, got {other:?}")
            }
            (None, Some(s)) => Payments::Stripe(s),
            (None, None) if self.development_server() => Payments::Test { explicit: false },
            (None, None) => anyhow::bail!(
                "No payment gateway is configured, and this is not a development server \
                 (PUBLIC_URL {} / BIND {}): it would take test-card \"payments\" for real \
                 invoices. Set PAYMENTS=stripe with STRIPE_SECRET_KEY, \
                 STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET, or PAYMENTS=test to run a \
                 test installation on purpose.",
                self.public_url,
                self.bind
            ),
        };
        Ok(self)
    }

    /// A development server: it listens on a loopback address only and its public URL is not
    /// https. Conveniences that would expose mail or money run only here unless asked for.
    pub fn development_server(&self) -> bool {
        self.binds_loopback_only() && !self.secure_cookies()
    }

    /// The settings the server would run with, one `name: value` line each, secrets masked
    /// (`partner-portal config`).
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let payments = match &self.payments {
            Payments::Stripe(s) => format!(
                "stripe (API {}, secret key {}, publishable key {}, webhook secret {})",
                s.api_base,
                mask(&s.secret_key),
                mask(&s.publishable_key),
                mask(&s.webhook_secret)
            ),
            Payments::Test { explicit: true } => {
                "test (PAYMENTS=test: test cards only, no real money; every pay page says so)"
                    .into()
            }
            Payments::Test { explicit: false } => {
                "test (development server default: test cards only, no real money)".into()
            }
        };
        let mail = match (&self.smtp_url, self.mail_files) {
            (Some(url), _) => format!("smtp {}", mask_url(url)),
            (None, true) => format!("files in {} (MAIL_FILES=1)", self.mail_dir().display()),
            (None, false) => format!(
                "files in {}{}",
                self.mail_dir().display(),
                if self.dev_mail() {
                    ", listed at /dev/mail"
                } else {
                    ""
                }
            ),
        };
        vec![
            ("public URL", self.public_url.clone()),
            ("bind", self.bind.clone()),
            (
                "server",
                if self.development_server() {
                    "development (loopback, not https)".into()
                } else {
                    "production".into()
                },
            ),
            ("database", mask_url(&self.database_url)),
            ("payments", payments),
            ("mail", mail),
            ("mail from", self.mail_from.clone()),
            (
                "session secret",
                mask(&String::from_utf8_lossy(&self.session_secret)),
            ),
            ("data folder", self.data_dir.display().to_string()),
        ]
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    /// `/dev/mail` is served only in development: emails go to files (no SMTP server), the
    /// server listens on a loopback address only, and the public URL is not https. Anywhere
    /// else it would publish every password-reset and confirmation link.
    pub fn dev_mail(&self) -> bool {
        self.smtp_url.is_none() && self.binds_loopback_only() && !self.secure_cookies()
    }

    /// The bind address is 127.0.0.0/8, ::1 or `localhost`.
    pub fn binds_loopback_only(&self) -> bool {
        match self.bind.parse::<std::net::SocketAddr>() {
            Ok(addr) => addr.ip().is_loopback(),
            Err(_) => self
                .bind
                .rsplit_once(':')
                .is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost")),
        }
    }

    /// A public (https) portal must send real email: without `SMTP_URL` it would keep every
    /// link in files nobody reads. `MAIL_FILES=1` asks for the files on purpose.
    pub fn check_mail(&self) -> anyhow::Result<()> {
        if self.secure_cookies() && self.smtp_url.is_none() && !self.mail_files {
            anyhow::bail!(
                "PUBLIC_URL is https but SMTP_URL is unset, so emails would only be written to \
                 files in {}. Set SMTP_URL, or MAIL_FILES=1 to keep the files on purpose.",
                self.mail_dir().display()
            );
        }
        Ok(())
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}

/// Stripe's settings: all three keys or none. `STRIPE_API_BASE` points the adapter at another
/// server (localstripe), whose mock of Stripe.js is then loaded from the same place unless
/// `STRIPE_JS_URL` says otherwise.
fn stripe_settings(
    env: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<crate::payments::StripeSettings>> {
    let keys = [
        env("STRIPE_SECRET_KEY"),
        env("STRIPE_PUBLISHABLE_KEY"),
        env("STRIPE_WEBHOOK_SECRET"),
    ];
    match keys {
        [None, None, None] => Ok(None),
        [Some(secret_key), Some(publishable_key), Some(webhook_secret)] => {
            let api_base = env("STRIPE_API_BASE")
                .unwrap_or_else(|| "https://api.stripe.com".into())
                .trim_end_matches('/')
                .to_string();
            let js_url = env("STRIPE_JS_URL").unwrap_or_else(|| {
                if api_base == "https://api.stripe.com" {
                    "https://js.stripe.com/v3/".into()
                } else {
                    format!("{api_base}/js.stripe.com/v3/")
                }
            });
            Ok(Some(crate::payments::StripeSettings {
                secret_key,
                publishable_key,
                webhook_secret,
                api_base,
                js_url,
            }))
        }
        _ => anyhow::bail!(
            "Stripe needs all of STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and \
             STRIPE_WEBHOOK_SECRET (or none of them, for the test gateway)"
        ),
    }
}

/// A secret shown as its first four characters and its length.
fn mask(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}… ({} characters)", secret.chars().count())
}

/// A URL with the password of its user part masked: `postgres://app:••••@db/portal`.
pub fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:••••@{host}"),
            None => format!("{scheme}://{user}@{host}"),
        },
        None => url.to_string(),
    }
}

fn load_or_create_secret(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(s) = std::fs::read_to_string(path) {
        if s.trim().len() >= 64 {
            return Ok(s.trim().as_bytes().to_vec());
        }
    }
    let secret = crate::security::tokens::random_token() + &crate::security::tokens::random_token();
    write_private(path, &secret).with_context(|| format!("writing {}", path.display()))?;
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
