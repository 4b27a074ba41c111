//! The test harness: the real server on a random port, a fresh database per test (SQLite file,
//! or a new PostgreSQL database when TEST_DATABASE=postgres), and a real SMTP server on
//! loopback that keeps what it receives.
use std::{
    collections::HashMap,
    net::TcpListener,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, Once,
    },
    time::Duration,
};

use actix_web::dev::ServerHandle;
use mailin_embedded::{response, Handler, Response, Server};
use partner_portal::{
    config::Config,
    domain::{AccountId, AccountSource, BillingMode, CountryCode, Email, NewPassword, PlainName},
    services::{self, accounts::NewAccount, audit::Actor, Clock, Core},
    startup::Application,
};
use reqwest::{redirect::Policy, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;
use uuid::Uuid;

pub const PASSWORD: &str = "a-strong-test-passphrase";

static INIT: Once = Once::new();

fn init() {
    INIT.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        if std::env::var("TEST_LOG").is_ok() {
            partner_portal::telemetry::init();
        }
    });
}

// ---------------------------------------------------------------- SMTP sink

#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone, Default)]
struct Sink {
    mails: Arc<Mutex<Vec<Mail>>>,
    /// Answer this many messages with a temporary failure before accepting.
    fail_next: Arc<AtomicUsize>,
    rcpts: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Sink {
    fn rcpt(&mut self, to: &str) -> Response {
        self.rcpts.push(to.to_string());
        response::OK
    }

    fn data_start(&mut self, _: &str, _: &str, _: bool, _: &[String]) -> Response {
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let rcpts = std::mem::take(&mut self.rcpts);
        if self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            // 421 closes the connection (mailin stays in DATA state after other errors).
            return response::NO_SERVICE;
        }
        let parsed = mail_parser::MessageParser::default().parse(&self.data);
        if let Some(m) = parsed {
            self.mails.lock().unwrap().push(Mail {
                to: rcpts,
                subject: m.subject().unwrap_or_default().to_string(),
                text: m.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
                html: m.body_html(0).map(|t| t.to_string()).unwrap_or_default(),
            });
        }
        response::OK
    }
}

/// A real SMTP server on 127.0.0.1, in a thread of the test process.
#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    sink: Sink,
}

impl SmtpServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = Sink::default();
        let mut server = Server::new(sink.clone());
        server.with_name("test-smtp").with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self { port, sink }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn fail_next(&self, n: usize) {
        self.sink.fail_next.store(n, Ordering::SeqCst);
    }

    pub fn all(&self) -> Vec<Mail> {
        self.sink.mails.lock().unwrap().clone()
    }

    pub fn to(&self, addr: &str) -> Vec<Mail> {
        self.all()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(addr)))
            .collect()
    }

    /// Waits up to 15 s for a message to `addr` whose subject contains `subject`.
    pub async fn wait_for(&self, addr: &str, subject: &str) -> Mail {
        for _ in 0..300 {
            if let Some(m) = self
                .to(addr)
                .into_iter()
                .find(|m| m.subject.contains(subject))
            {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no email to {addr} with subject containing {subject:?}; got: {:?}",
            self.all()
                .iter()
                .map(|m| (&m.to, &m.subject))
                .collect::<Vec<_>>()
        );
    }
}

/// Polls `done` for up to 15 s; panics naming `what` if it never holds.
pub async fn wait_until(done: impl Fn() -> bool, what: &str) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("waited 15 s for {what}");
}

/// The first link in `text` whose path starts with `path_prefix`.
pub fn link(text: &str, path_prefix: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with("http") && w.contains(path_prefix))
        .unwrap_or_else(|| panic!("no link to {path_prefix} in:\n{text}"))
        .to_string()
}

// ---------------------------------------------------------------- database

pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// A fresh database for one test.
pub async fn fresh_database(dir: &TempDir) -> String {
    if on_postgres() {
        let admin_url =
            std::env::var("TEST_PG_URL").expect("TEST_PG_URL for TEST_DATABASE=postgres");
        let name = format!("t_{}", Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .expect("connect to PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.close().await.ok();
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        format!("{base}/{name}")
    } else {
        format!("sqlite://{}/portal.db?mode=rwc", dir.path().display())
    }
}

// ---------------------------------------------------------------- the app

pub struct TestApp {
    pub base: String,
    pub smtp: SmtpServer,
    pub config: Config,
    /// The running server's services, for arranging and asserting.
    pub core: Arc<Core>,
    /// The clock the server's services read: `advance` moves time for expiry tests.
    pub clock: Clock,
    /// The authenticator app of every user who set up two-factor sign-in through a client.
    pub auth: Authenticator,
    handle: ServerHandle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: Arc<TempDir>,
}

#[derive(Default)]
pub struct Options {
    pub vars: HashMap<&'static str, String>,
    pub smtp: Option<SmtpServer>,
    pub database_url: Option<String>,
    pub dir: Option<Arc<TempDir>>,
}

impl Options {
    pub fn var(mut self, k: &'static str, v: impl ToString) -> Self {
        self.vars.insert(k, v.to_string());
        self
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(opts: Options) -> TestApp {
    init();
    let dir = opts
        .dir
        .unwrap_or_else(|| Arc::new(tempfile::tempdir().unwrap()));
    let smtp = opts.smtp.unwrap_or_else(SmtpServer::start);
    let db_url = match opts.database_url {
        Some(u) => u,
        None => fresh_database(&dir).await,
    };
    let mut vars: HashMap<String, String> = [
        ("DATA_DIR", dir.path().display().to_string()),
        ("DATABASE_URL", db_url),
        ("BIND", "127.0.0.1:0".into()),
        ("SMTP_URL", smtp.url()),
        ("MAIL_RETRY_BASE_MS", "100".into()),
        ("MAIL_POLL_MS", "100".into()),
        ("WORKERS", "2".into()),
        ("PUBLIC_URL", "http://127.0.0.1:1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in opts.vars {
        vars.insert(k.to_string(), v);
    }
    // The public URL must name the real port, known only once bound: bind first.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    vars.insert("BIND".into(), format!("127.0.0.1:{port}"));
    if !vars["PUBLIC_URL"].contains(&format!(":{port}"))
        && vars["PUBLIC_URL"] == "http://127.0.0.1:1"
    {
        vars.insert("PUBLIC_URL".into(), format!("http://127.0.0.1:{port}"));
    }
    let config = Config::from_vars(|k| vars.get(k).cloned()).unwrap();
    let clock = Clock::adjustable();
    let app = Application::build_with_clock(config.clone(), clock.clone())
        .await
        .expect("app builds");
    let handle = app.handle();
    let core = app.core();
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        smtp,
        config,
        core,
        auth: Authenticator::new(clock.clone()),
        clock,
        handle,
        server,
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base, self.auth.clone())
    }

    /// Stops the server and its outbox worker; returns what a restart needs.
    pub async fn stop(self) -> (SmtpServer, String, Arc<TempDir>) {
        self.handle.stop(true).await;
        let _ = self.server.await;
        (self.smtp, self.config.database_url.clone(), self._dir)
    }

    /// An existing provider account (prepaid, in Germany), made through the service behind
    /// staff's new-account form.
    pub async fn account(&self, email: &str, company: &str) -> AccountId {
        services::accounts::create_alone(
            &self.core,
            NewAccount {
                company_name: PlainName::parse(company, "company").unwrap(),
                primary_email: Email::parse(email).unwrap(),
                country: CountryCode::parse("DE").unwrap(),
                phone: None,
                data_center: "default".into(),
                tags: vec![],
                billing_mode: BillingMode::Prepaid,
                in_poc: false,
                active: true,
            },
            AccountSource::Staff,
            &Actor::system("test"),
        )
        .await
        .unwrap()
        .id
    }

    /// A staff user made through the same service as `create-staff`.
    pub async fn staff(&self, email: &str) {
        services::staff::create_staff(
            &self.core,
            &Email::parse(email).unwrap(),
            PlainName::parse("Stella Staff", "name").unwrap(),
            &NewPassword::parse(PASSWORD, None).unwrap(),
        )
        .await
        .unwrap();
    }

    /// A partner registered through the real email-first flow; returns its org id.
    pub async fn partner(&self, email: &str, company: &str) -> String {
        let c = self.client();
        c.post_form(
            "/partners/register",
            "/partners/register",
            &[("email", email)],
        )
        .await
        .expect_status(StatusCode::OK);
        let mail = self
            .smtp
            .wait_for(email, "Finish your partner registration")
            .await;
        let link = link(&mail.text, "/partners/register/");
        let path = link.trim_start_matches(&self.base).to_string();
        let res = c
            .post_form(
                &path,
                &path,
                &[
                    ("company_name", company),
                    ("contact_name", "Pat Partner"),
                    ("country", "GB"),
                    ("phone", "+44 20 7946 0958"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
        res.expect_redirect("/login");
        let p = services::auth::find_user_by_email(&self.core.db.read, email)
            .await
            .unwrap()
            .unwrap();
        p.partner_id.unwrap().to_string()
    }

    /// The subjects of the emails queued for `addr`. A request's emails are queued in its own
    /// transaction, so once its answer has arrived, an email missing here was never sent.
    pub async fn queued_to(&self, addr: &str) -> Vec<String> {
        use partner_portal::entities::outbox;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        outbox::Entity::find()
            .filter(outbox::Column::ToAddr.eq(addr.to_lowercase()))
            .all(&self.core.db.read)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.subject)
            .collect()
    }

    /// Waits until the outbox worker has finished `n` more rounds (a round that began before
    /// this call counts only if it ends after it, hence ask for 2 to be sure one began after).
    pub async fn mail_rounds_pass(&self, n: u64) {
        let beats = &self.core.beats;
        let target = beats.mail_rounds() + n;
        wait_until(|| beats.mail_rounds() >= target, "outbox worker rounds").await;
    }

    /// Waits until the background jobs have run `n` more times.
    pub async fn job_rounds_pass(&self, n: u64) {
        let beats = &self.core.beats;
        let target = beats.job_rounds() + n;
        wait_until(|| beats.job_rounds() >= target, "background job rounds").await;
    }

    pub async fn count(&self, table: &str) -> i64 {
        let backend = self.core.db.backend();
        let row = self
            .core
            .db
            .read
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}

// ---------------------------------------------------------------- HTTP client

/// A browser-like HTTP client: keeps cookies, does not follow redirects.
pub struct Client {
    pub http: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: String,
    pub auth: Authenticator,
}

/// The users' authenticator apps: the key each user set up, and the codes it shows at the
/// server's clock. A code works once, so a user who signs in again within the same 30
/// seconds gets the next code, and after that waits (the clock moves 30 s) as a person would.
#[derive(Clone)]
pub struct Authenticator {
    clock: Clock,
    keys: Arc<Mutex<HashMap<String, (String, i64)>>>,
}

impl Authenticator {
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            keys: Arc::default(),
        }
    }

    /// Remembers the key `email` set up.
    pub fn add(&self, email: &str, secret: &str) {
        self.keys
            .lock()
            .unwrap()
            .insert(email.to_lowercase(), (secret.to_string(), i64::MIN));
    }

    /// The next code `email`'s app shows that the server has not accepted yet.
    pub fn code(&self, email: &str) -> String {
        loop {
            let step = self.clock.now().timestamp() / 30;
            let mut keys = self.keys.lock().unwrap();
            let (secret, last) = keys
                .get_mut(&email.to_lowercase())
                .unwrap_or_else(|| panic!("{email} has no authenticator key"));
            let use_step = if *last < step {
                step
            } else if *last == step {
                step + 1
            } else {
                drop(keys);
                self.clock.advance(chrono::Duration::seconds(30));
                continue;
            };
            *last = use_step;
            let at = chrono::DateTime::from_timestamp(use_step * 30, 0).unwrap();
            return services::two_factor::code_at(secret, at).unwrap();
        }
    }

    /// The code of a time step the server accepted already (for replay tests).
    pub fn last_code(&self, email: &str) -> String {
        let keys = self.keys.lock().unwrap();
        let (secret, last) = &keys[&email.to_lowercase()];
        let at = chrono::DateTime::from_timestamp(last * 30, 0).unwrap();
        services::two_factor::code_at(secret, at).unwrap()
    }
}

pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    #[track_caller]
    pub fn expect_status(&self, status: StatusCode) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body:\n{}",
            self.body
        );
        self
    }

    /// Asserts a 303 to a location starting with `to`.
    #[track_caller]
    pub fn expect_redirect(&self, to: &str) -> &Self {
        assert_eq!(
            self.status,
            StatusCode::SEE_OTHER,
            "expected a redirect; body:\n{}",
            self.body
        );
        let loc = self.location();
        assert!(loc.starts_with(to), "redirected to {loc}, expected {to}");
        self
    }

    pub fn location(&self) -> String {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn expect_text(&self, text: &str) -> &Self {
        assert!(
            self.body.contains(text),
            "{text:?} not in page:\n{}",
            self.body
        );
        self
    }

    pub fn csrf(&self) -> String {
        csrf_in(&self.body)
    }

    /// The body without its CSRF token (which differs per session), for comparing pages.
    pub fn without_csrf(&self) -> String {
        match self.body.contains("name=\"csrf_token\"") {
            true => self.body.replace(&self.csrf(), ""),
            false => self.body.clone(),
        }
    }

    /// The message shown next to a field (`<p class="error-msg" id="e-FIELD">`).
    pub fn field_error(&self, field: &str) -> Option<String> {
        let marker = format!("id=\"e-{field}\">");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('<')? + start;
        Some(self.body[start..end].to_string())
    }

    /// The value of the input named `field`.
    /// The first link's segment after `prefix` ("/licenses/" gives a license's id).
    #[track_caller]
    pub fn id_after(&self, prefix: &str) -> String {
        self.body
            .split(prefix)
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no link to {prefix}… in the page"))
    }

    pub fn input_value(&self, field: &str) -> Option<String> {
        let marker = format!("name=\"{field}\"");
        let at = self.body.find(&marker)?;
        let rest = &self.body[at..];
        let v = rest.find("value=\"")? + 7;
        let end = rest[v..].find('"')? + v;
        Some(rest[v..end].to_string())
    }
}

pub fn csrf_in(body: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker).expect("page has a CSRF token") + marker.len();
    let end = body[start..].find('"').unwrap() + start;
    body[start..end].to_string()
}

impl Client {
    pub fn new(base: &str, auth: Authenticator) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        Self {
            http: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(Policy::none())
                .build()
                .unwrap(),
            jar,
            base: base.to_string(),
            auth,
        }
    }

    async fn page(res: reqwest::Response) -> Page {
        Page {
            status: res.status(),
            headers: res.headers().clone(),
            body: res.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(
            self.http
                .get(format!("{}{}", self.base, path))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A download: its status, headers and bytes.
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let res = self
            .http
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.bytes().await.unwrap().to_vec())
    }

    /// Posts exactly these fields (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::page(
            self.http
                .post(format!("{}{}", self.base, path))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Posts these fields as a page's script does (`fetch` with a URL-encoded body) and reads
    /// the JSON answer.
    pub async fn post_json_form(&self, path: &str, fields: &[(&str, &str)]) -> serde_json::Value {
        let res = self
            .http
            .post(format!("{}{}", self.base, path))
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("not JSON ({status}) from {path}: {text}"))
    }

    /// Posts a multipart form (a file upload): `fields` as text, `file` as (field, file name,
    /// bytes), with `csrf` as its token when given.
    pub async fn post_multipart(
        &self,
        action: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, Vec<u8>),
        csrf: Option<&str>,
    ) -> Page {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        if let Some(token) = csrf {
            form = form.text("csrf_token", token.to_string());
        }
        let part = reqwest::multipart::Part::bytes(file.2)
            .file_name(file.1.to_string())
            .mime_str("text/csv")
            .unwrap();
        form = form.part(file.0.to_string(), part);
        Self::page(
            self.http
                .post(format!("{}{}", self.base, action))
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Opens `form_page` (as a person would), then posts `fields` with its CSRF token.
    pub async fn post_form(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get(form_page).await.csrf();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_raw(action, &all).await
    }

    /// Signs in as a person with an authenticator app would: the password, then the app's
    /// code when asked for one; a user who must use a second factor and has none yet sets it
    /// up (the key is remembered for later sign-ins). Returns the answer that ends the
    /// sign-in (a redirect to the user's first page, or the refusal).
    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        let res = self
            .post_form(
                "/login",
                "/login",
                &[("email", email), ("password", password)],
            )
            .await;
        if res.status != StatusCode::SEE_OTHER {
            return res;
        }
        let target = res.location();
        if target == "/login/code" {
            let code = self.auth.code(email);
            return self
                .post_form("/login/code", "/login/code", &[("code", &code)])
                .await;
        }
        // The first page: a required second factor not set up yet is set up now.
        let first = self.get(&target).await;
        if first.status == StatusCode::SEE_OTHER && first.location() == "/account/two-factor" {
            self.set_up_two_factor(email).await;
        }
        res
    }

    /// Sets up two-factor sign-in from the set-up page with the key it shows; returns the
    /// recovery codes.
    pub async fn set_up_two_factor(&self, email: &str) -> Vec<String> {
        let setup = self.get("/account/two-factor").await;
        setup.expect_status(StatusCode::OK);
        let secret = setup
            .body
            .split("data-secret=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("the set-up page shows the key")
            .to_string();
        self.auth.add(email, &secret);
        let code = self.auth.code(email);
        let done = self
            .post_form(
                "/account/two-factor",
                "/account/two-factor",
                &[("code", &code)],
            )
            .await;
        done.expect_status(StatusCode::OK)
            .expect_text("Your recovery codes");
        done.body
            .split("<li><code>")
            .skip(1)
            .filter_map(|r| r.split("</code>").next())
            .map(str::to_string)
            .collect()
    }

    /// The session cookie's value, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookie("pp_session")
    }

    /// The value of the cookie `name` this client would send, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().ok()?;
        let header = self.jar.cookies(&url)?;
        let prefix = format!("{name}=");
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|c| c.strip_prefix(prefix.as_str()).map(str::to_string))
    }

    /// Puts a cookie (`name=value`) in this client's jar, as a script or a sibling site might.
    pub fn set_cookie(&self, cookie: &str) {
        self.jar.add_cookie_str(cookie, &self.base.parse().unwrap());
    }

    /// A GET with exactly this session cookie, outside the jar (replaying a cookie).
    pub async fn get_with_cookie(base: &str, path: &str, cookie: &str) -> Page {
        let res = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap()
            .get(format!("{base}{path}"))
            .header("Cookie", format!("pp_session={cookie}"))
            .send()
            .await
            .unwrap();
        Self::page(res).await
    }
}

/// A test card's approval of `amount` for the invoice, through the settlement executor (what
/// the pay page does after the gateway answers), with the gateway's `reference`.
pub async fn test_card_answer(
    core: &Core,
    invoice: uuid::Uuid,
    reference: impl Into<String>,
    amount: partner_portal::domain::Money,
    payer: &str,
) -> Result<
    partner_portal::services::invoices::Settled,
    partner_portal::services::invoices::InvoiceError,
> {
    use partner_portal::{
        domain::payment::PaymentGateway,
        services::invoices::{settlement, Ask, CardAnswer},
    };
    let answer = CardAnswer {
        gateway: PaymentGateway::Test,
        reference: reference.into(),
        amount,
        approved: true,
        detail: None,
        payer: payer.into(),
    };
    settlement::apply(core, invoice, Ask::Card(answer), &Actor::system(payer)).await
}
