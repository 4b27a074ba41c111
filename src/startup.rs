//! Builds the application: database, migrations, session store, middleware, routes and the
//! outbox worker. The one place that knows every part.
use std::{net::TcpListener, sync::Arc};

use actix_session::{config::PersistentSession, SessionMiddleware};
use actix_web::{
    cookie::{time::Duration as CookieDuration, SameSite},
    dev::{Server, ServerHandle, Service},
    middleware::DefaultHeaders,
    web, App, HttpMessage, HttpServer,
};
use tokio::task::JoinHandle;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::{
    auth::session_store::DbSessionStore,
    config::Config,
    email::{worker::Worker, Mailer},
    error::REQUEST_ID,
    services::{Clock, Core},
    state::AppState,
};

pub struct Application {
    core: Arc<Core>,
    port: u16,
    server: Server,
    worker: JoinHandle<()>,
    jobs: JoinHandle<()>,
    call_log: Option<JoinHandle<()>>,
}

pub const SECURITY_HEADERS: [(&str, &str); 6] = [
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    (
        "Permissions-Policy",
        "camera=(), microphone=(), geolocation=()",
    ),
];

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Clock::system()).await
    }

    /// The application with the clock its services read (tests pass an adjustable one).
    pub async fn build_with_clock(config: Config, clock: Clock) -> anyhow::Result<Self> {
        crate::security::install_tls();
        config.check_mail()?;
        let listener = TcpListener::bind(&config.bind)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState::with_clock(config, clock).await?);
        let mailer = Mailer::from_config(&state.config)?;
        let worker = tokio::spawn(
            Worker {
                db: state.core.db.clone(),
                mailer,
                from: state.config.mail_from.clone(),
                retry_base: state.config.mail_retry_base,
                poll: state.config.mail_poll,
                wake: state.core.mail_wake(),
                rounds: state.core.beats.mail.clone(),
            }
            .run(),
        );
        let jobs = tokio::spawn(crate::services::jobs::run(
            state.core.clone(),
            state.config.jobs_every,
        ));
        let rx = state.api_calls_rx.lock().ok().and_then(|mut r| r.take());
        let call_log = rx.map(|rx| {
            tokio::spawn(crate::services::api_apps::run_call_log(
                state.core.clone(),
                rx,
            ))
        });
        let core = state.core.clone();
        let key = state.cookie_key.clone();
        let secure = state.config.secure_cookies();
        let session_ttl = CookieDuration::seconds(state.config.session_ttl.num_seconds());
        let workers = state.config.workers;
        let store = DbSessionStore::new(state.core.db.clone());
        let mut server = HttpServer::new(move || {
            let mut headers = DefaultHeaders::new();
            for h in SECURITY_HEADERS {
                headers = headers.add(h);
            }
            if secure {
                headers = headers.add(("Strict-Transport-Security", "max-age=31536000"));
            }
            App::new()
                .app_data(state.clone())
                .app_data(web::FormConfig::default().limit(64 * 1024))
                .app_data(web::PayloadConfig::new(64 * 1024))
                .configure(crate::api::routes)
                .configure(crate::web::routes)
                .wrap_fn(crate::web::error_pages_signed_in)
                .wrap_fn(crate::web::partner::login_as::hold_to_grounds)
                .wrap(
                    SessionMiddleware::builder(store.clone(), key.clone())
                        .cookie_name("pp_session".into())
                        .cookie_secure(secure)
                        .cookie_http_only(true)
                        .cookie_same_site(SameSite::Lax)
                        .session_lifecycle(PersistentSession::default().session_ttl(session_ttl))
                        .build(),
                )
                .wrap_fn(crate::auth::csrf::cookie_middleware)
                .wrap(headers)
                .wrap_fn(|req, srv| {
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .map(|r| r.to_string())
                        .unwrap_or_default();
                    REQUEST_ID.scope(id, srv.call(req))
                })
                .wrap(TracingLogger::default())
        })
        .listen(listener)?;
        if workers > 0 {
            server = server.workers(workers);
        }
        Ok(Self {
            core,
            port,
            server: server.run(),
            worker,
            jobs,
            call_log,
        })
    }

    /// The running application's services (tests arrange and assert through them).
    pub fn core(&self) -> Arc<Core> {
        self.core.clone()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped, then stops the outbox worker.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let res = self.server.await;
        self.worker.abort();
        self.jobs.abort();
        if let Some(c) = self.call_log {
            c.abort();
        }
        res
    }
}
