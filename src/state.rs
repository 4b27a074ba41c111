//! What every request handler of both faces shares: the services' context and what only the
//! faces need (the configuration, the API's rate limiter and call log, the cookie key). Built
//! once by `startup`.
use std::sync::Arc;

use actix_web::cookie::Key;
use tokio::sync::mpsc;

use crate::{
    api::limiter::RateLimiter,
    config::Config,
    services::{api_apps::Call, Clock, Core},
};

/// Shared by every request handler: the services' context and what only the web needs.
pub struct AppState {
    pub core: Arc<Core>,
    pub config: Arc<Config>,
    pub api_limiter: RateLimiter,
    /// API calls to log; written in batches by a background task.
    pub api_calls: mpsc::Sender<Call>,
    /// Signs and encrypts the session cookie, signs the CSRF cookie (from `SESSION_SECRET`).
    pub cookie_key: Key,
    pub(crate) api_calls_rx: std::sync::Mutex<Option<mpsc::Receiver<Call>>>,
}

impl AppState {
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        Self::with_clock(config, Clock::system()).await
    }

    /// Connects and migrates the database; services read time from `clock`.
    pub async fn with_clock(config: Config, clock: Clock) -> anyhow::Result<Self> {
        let core = Core::open(&config, clock).await?;
        let (tx, rx) = mpsc::channel(10_000);
        let cookie_key = Key::from(&config.session_secret);
        Ok(Self {
            core: Arc::new(core),
            api_limiter: RateLimiter::new(config.api_rate_per_second, config.api_rate_burst),
            config: Arc::new(config),
            api_calls: tx,
            cookie_key,
            api_calls_rx: std::sync::Mutex::new(Some(rx)),
        })
    }
}
