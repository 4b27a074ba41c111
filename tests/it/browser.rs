//! The main journeys in a real headless Chromium, driven through chromedriver.
//! Locally, a missing Chromium skips these tests with a printed reason; in CI (CI=true) it
//! fails them.
use std::{
    collections::HashSet,
    hash::{DefaultHasher, Hash, Hasher},
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::{Mutex, OnceLock},
    time::Duration,
};

use thirtyfour::{components::SelectElement, prelude::*};

use crate::helpers::*;

pub struct Browser {
    pub driver: WebDriver,
    chromedriver: Child,
    _profile: tempfile::TempDir,
    /// Pages already checked by axe-core (their address and text), so a page is checked once.
    checked: Mutex<HashSet<u64>>,
}

/// A failed test never leaves chromedriver running: it is killed when the Browser drops.
impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, or says why it cannot.
    pub async fn start() -> Option<Self> {
        // The WebDriver client speaks through reqwest, whose TLS needs the process's provider
        // (a test server installs it too, but the browser may start first).
        partner_portal::security::install_tls();
        let driver_bin =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        if !std::path::Path::new(&driver_bin).exists() || !std::path::Path::new(&chromium).exists()
        {
            let reason = format!("browser test skipped: {driver_bin} or {chromium} is missing (apt-get install chromium chromium-driver)");
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{reason}; CI must run the browser tests");
            }
            eprintln!("{reason}");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let chromedriver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&chromium).unwrap();
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ] {
            caps.add_arg(arg).unwrap();
        }
        let url = format!("http://127.0.0.1:{port}");
        let mut last_err = None;
        for _ in 0..50 {
            match WebDriver::new(&url, caps.clone()).await {
                Ok(driver) => {
                    return Some(Self {
                        driver,
                        chromedriver,
                        _profile: profile,
                        checked: Mutex::default(),
                    })
                }
                Err(e) => last_err = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start: {last_err:?}");
    }

    pub async fn fill(&self, name: &str, value: &str) {
        let el = self.driver.find(By::Name(name)).await.unwrap();
        el.clear().await.unwrap();
        el.send_keys(value).await.unwrap();
    }

    pub async fn submit(&self) {
        self.driver
            .find(By::Css("main form.form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    pub async fn text(&self) -> String {
        self.driver
            .find(By::Tag("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Opens an absolute URL (use `app.url(path)`).
    pub async fn goto(&self, url: &str) {
        self.driver.goto(url).await.unwrap();
        self.check_accessibility().await;
    }

    /// Runs axe-core's WCAG 2 A and AA rules on the page shown, once per page state, and
    /// fails the test on any violation. Called by every navigation helper, so each page a
    /// browser test visits is checked.
    pub async fn check_accessibility(&self) {
        let Some(axe) = axe_source() else { return };
        let url = self
            .driver
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let Ok(text) = self.try_text().await else {
            return;
        };
        let mut h = DefaultHasher::new();
        (&url, &text).hash(&mut h);
        if !self.checked.lock().unwrap().insert(h.finish()) {
            return;
        }
        self.driver.execute(axe, Vec::new()).await.unwrap();
        let found = self
            .driver
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
                  .then(r => done(r.violations.map(v => `${v.id} (${v.nodes.length}): ${v.help}; at ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`)))
                  .catch(e => done(["axe-core failed: " + e]));"#,
                Vec::new(),
            )
            .await
            .unwrap();
        let violations: Vec<String> = serde_json::from_value(found.json().clone()).unwrap();
        assert!(
            violations.is_empty(),
            "accessibility (axe-core, WCAG 2 A/AA) fails on {url}:\n{}",
            violations.join("\n")
        );
    }

    /// Fails unless the page fits the window's width (no sideways scrolling of the page).
    pub async fn assert_fits_width(&self) {
        let ret = self
            .driver
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                Vec::new(),
            )
            .await
            .unwrap();
        let [page, window]: [u64; 2] = serde_json::from_value(ret.json().clone()).unwrap();
        let url = self.driver.current_url().await.unwrap();
        assert!(
            page <= window,
            "{url} is {page} px wide in a {window} px window (it scrolls sideways)"
        );
    }

    /// Clicks the first `button` whose visible text is `text`, or else the first that contains it.
    pub async fn click_button(&self, text: &str) {
        let lit = xpath_literal(text);
        let exact = format!("//button[normalize-space(.) = {lit}]");
        let partial = format!("//button[contains(normalize-space(.), {lit})]");
        let button = match self.driver.find(By::XPath(&exact)).await {
            Ok(b) => b,
            Err(_) => match self.driver.find(By::XPath(&partial)).await {
                Ok(b) => b,
                Err(_) => panic!("no button {text:?}; the page shows:\n{}", self.text().await),
            },
        };
        button.click().await.unwrap();
    }

    /// Chooses the option with this value in the `select` named `name`.
    pub async fn select(&self, name: &str, value: &str) {
        SelectElement::new(&self.driver.find(By::Name(name)).await.unwrap())
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }

    /// Ticks or unticks the checkbox named `name`.
    pub async fn set_checked(&self, name: &str, on: bool) {
        let el = self.driver.find(By::Name(name)).await.unwrap();
        if el.is_selected().await.unwrap() != on {
            el.click().await.unwrap();
        }
    }

    /// Signs in on /login, as a person with an authenticator app would: the password, then
    /// the app's code when asked; a required second factor not set up yet is set up with the
    /// key the page shows (and remembered in `app.auth`), then the user's first page.
    pub async fn sign_in(&self, app: &crate::helpers::TestApp, email: &str, password: &str) {
        self.goto(&app.url("/login")).await;
        self.fill("email", email).await;
        self.fill("password", password).await;
        self.submit().await;
        let mut path = String::new();
        for _ in 0..50 {
            path = self.path().await;
            if path != "/login" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if path == "/login/code" {
            self.fill("code", &app.auth.code(email)).await;
            self.submit().await;
        } else if path == "/account/two-factor" {
            self.set_up_two_factor(app, email).await;
        }
    }

    /// On the set-up page: adds the key shown to the test's authenticator, turns two-factor
    /// sign-in on with its code, and goes on to the home page.
    pub async fn set_up_two_factor(&self, app: &crate::helpers::TestApp, email: &str) {
        {
            let secret = self
                .driver
                .find(By::Css("code.secret"))
                .await
                .unwrap()
                .attr("data-secret")
                .await
                .unwrap()
                .expect("the set-up page shows the key");
            app.auth.add(email, &secret);
            self.fill("code", &app.auth.code(email)).await;
            self.submit().await;
            self.wait_for_text("Your recovery codes").await;
            self.driver
                .find(By::LinkText("I have saved them"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            self.wait_for_path("/account/security").await;
            self.goto(&app.url("/")).await;
        }
    }

    /// The current URL's path.
    pub async fn path(&self) -> String {
        self.driver
            .current_url()
            .await
            .map(|u| u.path().to_string())
            .unwrap_or_default()
    }

    /// The page's text, or an error while a navigation replaces the document.
    async fn try_text(&self) -> WebDriverResult<String> {
        self.driver.find(By::Tag("body")).await?.text().await
    }

    /// Polls the page every 100 ms for up to 5 s until it shows `text`; returns the page text.
    pub async fn wait_for_text(&self, text: &str) -> String {
        let mut last = String::new();
        for _ in 0..50 {
            if let Ok(body) = self.try_text().await {
                if body.contains(text) {
                    self.check_accessibility().await;
                    return body;
                }
                last = body;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let url = self.driver.current_url().await.map(|u| u.to_string());
        panic!("{text:?} did not appear on {url:?} within 5 s; the page shows:\n{last}");
    }

    /// Polls for up to 5 s until the current URL's path starts with `prefix`; returns the path.
    pub async fn wait_for_path(&self, prefix: &str) -> String {
        let mut last = String::new();
        for _ in 0..50 {
            if let Ok(url) = self.driver.current_url().await {
                last = url.path().to_string();
                if last.starts_with(prefix) {
                    self.check_accessibility().await;
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "expected a page under {prefix}, still on {last}; the page shows:\n{}",
            self.text().await
        );
    }

    /// The text of the first table row that contains `text`.
    pub async fn row_text(&self, text: &str) -> String {
        let xpath = format!("//tbody/tr[contains(., {})]", xpath_literal(text));
        match self.driver.find(By::XPath(&xpath)).await {
            Ok(row) => row.text().await.unwrap(),
            Err(_) => panic!(
                "no table row with {text:?}; the page shows:\n{}",
                self.text().await
            ),
        }
    }

    /// The flash message shown after a redirect, as (kind, message), e.g. ("success", "...").
    pub async fn flash(&self) -> Option<(String, String)> {
        let el = self.driver.find(By::Css(".flash")).await.ok()?;
        let class = el.class_name().await.ok()??;
        let kind = class
            .split_whitespace()
            .find_map(|c| c.strip_prefix("flash-"))?
            .to_string();
        Some((kind, el.text().await.ok()?))
    }

    /// Saves a screenshot when SCREENSHOT_DIR is set (used for the README).
    pub async fn shot(&self, name: &str) {
        if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
            let path = std::path::Path::new(&dir).join(format!("{name}.png"));
            self.driver.screenshot(&path).await.unwrap();
        }
    }

    pub async fn quit(self) {
        let _ = self.driver.clone().quit().await;
        // Drop stops chromedriver (and with it Chromium).
    }
}

/// axe-core's script, installed by `npm ci --prefix tests/axe` (as `.ci/run` does). Without
/// it the checks are skipped with a printed reason, except in CI, where that fails.
fn axe_source() -> Option<&'static str> {
    static AXE: OnceLock<Option<String>> = OnceLock::new();
    AXE.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/axe/node_modules/axe-core/axe.min.js");
        match std::fs::read_to_string(&path) {
            Ok(script) => Some(script),
            Err(_) => {
                let reason = format!(
                    "accessibility checks skipped: {} is missing (npm ci --prefix tests/axe)",
                    path.display()
                );
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("{reason}; CI must run them");
                }
                eprintln!("{reason}");
                None
            }
        }
    })
    .as_deref()
}

/// `s` as an XPath string literal (XPath 1.0 has no escapes: quotes need concat()).
fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

#[tokio::test]
async fn a_partner_signs_up_in_the_browser_and_sees_its_company() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;

    b.driver.goto(app.url("/partners/register")).await.unwrap();
    b.fill("email", "browser@example.com").await;
    b.submit().await;
    b.wait_for_text("Check your inbox").await;

    let mail = app
        .smtp
        .wait_for("browser@example.com", "Finish your partner registration")
        .await;
    b.driver
        .goto(link(&mail.text, "/partners/register/"))
        .await
        .unwrap();
    // A mistake first: the form comes back with the message and what was typed.
    b.fill("company_name", "Browser Partners").await;
    b.fill("contact_name", "Bea Browser").await;
    SelectElement::new(&b.driver.find(By::Name("country")).await.unwrap())
        .await
        .unwrap()
        .select_by_value("NL")
        .await
        .unwrap();
    b.fill("phone", "12").await;
    b.fill("password", PASSWORD).await;
    b.fill("password_confirm", PASSWORD).await;
    b.submit().await;
    b.wait_for_text("6 to 15 digits").await;
    let kept = b
        .driver
        .find(By::Name("company_name"))
        .await
        .unwrap()
        .value()
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Browser Partners"));

    b.fill("phone", "+31 20 123 4567").await;
    b.fill("password", PASSWORD).await;
    b.fill("password_confirm", PASSWORD).await;
    b.submit().await;
    b.wait_for_text("Browser Partners is registered").await;
    assert!(b
        .driver
        .current_url()
        .await
        .unwrap()
        .as_str()
        .ends_with("/login"));

    b.fill("email", "browser@example.com").await;
    b.fill("password", PASSWORD).await;
    b.submit().await;
    // A partner admin sets up two-factor sign-in before anything else.
    b.wait_for_text("Set up two-factor sign-in").await;
    b.set_up_two_factor(&app, "browser@example.com").await;
    let home = b.wait_for_text("Welcome, Bea Browser").await;
    assert!(home.contains("Browser Partners"), "{home}");
    assert!(home.contains("Active"));
    b.shot("partner-home").await;

    b.driver
        .find(By::LinkText("Browser Partners"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_for_text("Netherlands").await;
    assert!(b
        .driver
        .current_url()
        .await
        .unwrap()
        .as_str()
        .ends_with("/company"));
    b.shot("company").await;
    b.quit().await;
}

/// Staff sign in, open the approval queue, open the request for `company` and approve it.
async fn staff_approve(app: &TestApp, s: &Browser, company: &str) {
    s.sign_in(app, "staff@example.com", PASSWORD).await;
    s.wait_for_path("/staff/approvals").await;
    s.goto(&app.url("/staff/approvals")).await;
    s.wait_for_text(company).await;
    let xpath = format!(
        "//a[contains(@href, '/staff/approvals/')][contains(., {c}) or ancestor::tr[contains(., {c})]]",
        c = xpath_literal(company)
    );
    match s.driver.find(By::XPath(&xpath)).await {
        Ok(a) => a.click().await.unwrap(),
        Err(_) => panic!(
            "no link to the request of {company} in the queue:\n{}",
            s.text().await
        ),
    }
    s.wait_for_path("/staff/approvals/").await;
    s.wait_for_text(company).await;
    s.click_button("Approve").await;
    // Back on a page with a success message.
    for _ in 0..50 {
        if let Some((kind, msg)) = s.flash().await {
            assert_eq!(kind, "success", "approving failed: {msg}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no message after approving; the page shows:\n{}",
        s.text().await
    );
}

/// The browser is on the page of one customer: /customers/{uuid}.
async fn assert_customer_page(b: &Browser) {
    let url = b.driver.current_url().await.unwrap();
    let id = url.path().strip_prefix("/customers/").unwrap_or_default();
    assert!(
        uuid::Uuid::parse_str(id).is_ok(),
        "expected the customer page, on {url}"
    );
}

#[tokio::test]
async fn a_partner_links_an_existing_account_the_customer_confirms_and_staff_approve_in_three_browsers(
) {
    let Some(p) = Browser::start().await else {
        return;
    };
    let c = Browser::start().await.unwrap();
    let s = Browser::start().await.unwrap();
    let app = spawn_app().await;
    app.partner("p@example.com", "Reseller Co").await;
    app.staff("staff@example.com").await;
    app.account("it@globex.example", "Globex Corp").await;

    // The partner checks the account, then adds it.
    p.sign_in(&app, "p@example.com", PASSWORD).await;
    p.wait_for_text("Reseller Co").await;
    p.goto(&app.url("/customers/new?mode=link")).await;
    p.wait_for_text("Add a Customer account").await;
    p.fill("email", "it@globex.example").await;
    p.fill("friendly_name", "Globex").await;
    p.fill("commission", "12.5").await;
    p.click_button("Check eligibility").await;
    p.wait_for_text("Eligibility of it@globex.example").await;
    let rules = p.driver.find_all(By::Css("ul.rules li")).await.unwrap();
    assert_eq!(rules.len(), 9, "every rule is listed:\n{}", p.text().await);
    for rule in &rules {
        let text = rule.text().await.unwrap();
        let class = rule.class_name().await.unwrap().unwrap_or_default();
        assert!(
            text.starts_with('✓') && class.split_whitespace().any(|c| c == "pass"),
            "rule not passed: {text:?} ({class})"
        );
    }
    assert!(p
        .driver
        .find_all(By::Css("ul.rules li.fail"))
        .await
        .unwrap()
        .is_empty());
    // What was typed is kept for the add.
    let kept = p
        .driver
        .find(By::Name("commission"))
        .await
        .unwrap()
        .value()
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("12.5"));
    p.click_button("Add").await;
    let page = p.wait_for_text("Waiting for customer").await;
    assert_customer_page(&p).await;
    assert!(page.contains("Globex Corp"), "{page}");

    // The customer opens the emailed link in their own browser and confirms.
    let mail = app
        .smtp
        .wait_for("it@globex.example", "asks to become your partner")
        .await;
    assert!(mail.subject.contains("Reseller Co"), "{}", mail.subject);
    c.goto(&link(&mail.text, "/confirm/")).await;
    let page = c.wait_for_text("asks to become your partner").await;
    assert!(page.contains("Reseller Co"), "{page}");
    assert!(page.contains("Globex Corp"), "{page}");
    assert!(
        c.driver.find(By::Name("password")).await.is_err(),
        "an existing account sets no password"
    );
    c.click_button("Confirm").await;
    c.wait_for_text("Thank you, confirmed").await;

    // The partner sees the request move on.
    p.driver.refresh().await.unwrap();
    p.wait_for_text("Waiting for approval").await;

    // Staff approve in a third browser.
    staff_approve(&app, &s, "Globex").await;

    // The partner's list shows the active customer with its commission.
    p.goto(&app.url("/customers")).await;
    p.wait_for_text("My Customers").await;
    let row = p.row_text("Globex").await;
    assert!(row.contains("Active"), "{row}");
    assert!(row.contains("12.5%"), "{row}");
    assert!(!row.contains("Waiting"), "{row}");
    p.shot("my-customers").await;

    p.quit().await;
    c.quit().await;
    s.quit().await;
}

#[tokio::test]
async fn a_partner_registers_a_new_customer_who_confirms_with_a_password_and_is_approved_in_three_browsers(
) {
    let Some(p) = Browser::start().await else {
        return;
    };
    let c = Browser::start().await.unwrap();
    let s = Browser::start().await.unwrap();
    let app = spawn_app().await;
    app.partner("p@example.com", "Reseller Co").await;
    app.staff("staff@example.com").await;

    // The partner registers a new customer.
    p.sign_in(&app, "p@example.com", PASSWORD).await;
    p.wait_for_text("Reseller Co").await;
    p.goto(&app.url("/customers/new?mode=new")).await;
    p.wait_for_text("Register a new customer").await;
    p.fill("company_name", "Initech").await;
    p.set_checked("active", true).await;
    p.fill("commission", "10").await;
    p.select("customer_type", "CUSTOMER").await;
    p.fill("friendly_name", "Initech").await;
    p.fill("admin_name", "Ina Admin").await;
    p.fill("admin_email", "ina@initech.example").await;
    p.select("country", "FR").await;
    p.fill("phone", "+33 1 23 45 67 89").await;
    p.click_button("Save Customer").await;
    let page = p.wait_for_text("Waiting for customer").await;
    assert_customer_page(&p).await;
    assert!(page.contains("Initech"), "{page}");
    assert!(page.contains("ina@initech.example"), "{page}");

    // The customer opens the link, chooses a password and confirms.
    let mail = app
        .smtp
        .wait_for("ina@initech.example", "asks to become your partner")
        .await;
    c.goto(&link(&mail.text, "/confirm/")).await;
    let page = c.wait_for_text("asks to become your partner").await;
    assert!(page.contains("Reseller Co"), "{page}");
    assert!(page.contains("Choose your password"), "{page}");
    c.fill("password", PASSWORD).await;
    c.fill("password_confirm", PASSWORD).await;
    c.click_button("Confirm").await;
    c.wait_for_text("Thank you, confirmed").await;

    // Staff approve.
    staff_approve(&app, &s, "Initech").await;

    // The partner sees the customer active.
    p.goto(&app.url("/customers")).await;
    p.wait_for_text("My Customers").await;
    let row = p.row_text("Initech").await;
    assert!(row.contains("Active"), "{row}");
    assert!(row.contains("10%"), "{row}");

    // The customer signs in with the password they chose and sees their partner.
    c.sign_in(&app, "ina@initech.example", PASSWORD).await;
    c.wait_for_path("/my/partner").await;
    let page = c.wait_for_text("Your partner").await;
    assert!(page.contains("Reseller Co"), "{page}");
    assert!(page.contains("Active"), "{page}");
    // Its licenses: none yet, and the page says where they will come from.
    c.goto(&app.url("/my/licenses")).await;
    let page = c.wait_for_text("Your licenses").await;
    assert!(page.contains("no license yet"), "{page}");

    p.quit().await;
    c.quit().await;
    s.quit().await;
}

/// Staff add a monthly product on /staff/catalog/new, as a person would; returns its id.
async fn staff_add_product(
    app: &TestApp,
    s: &Browser,
    sku: &str,
    trial_days: &str,
    usd: &str,
) -> String {
    s.goto(&app.url("/staff/catalog/new")).await;
    s.fill("sku", sku).await;
    s.fill("name", &format!("Product {sku}")).await;
    s.fill("unit", "seat").await;
    s.select("kind", "monthly").await;
    s.fill("trial_days", trial_days).await;
    s.fill("min_quantity", "1").await;
    s.fill("max_quantity", "100").await;
    s.fill("price_usd", usd).await;
    s.click_button("Add to the catalog").await;
    s.wait_for_text(&format!("{sku} is in the catalog.")).await;
    s.wait_for_path("/staff/catalog/")
        .await
        .trim_start_matches("/staff/catalog/")
        .to_string()
}

#[tokio::test]
async fn a_partner_orders_assigns_seats_and_a_trial_expires_in_the_browser() {
    let Some(s) = Browser::start().await else {
        return;
    };
    let p = Browser::start().await.unwrap();
    // The jobs run often: the trial expires within the test.
    let app = spawn_app_with(Options::default().var("JOBS_EVERY_MS", 100)).await;
    app.staff("staff@example.com").await;
    let partner = crate::registrations::quick_partner(&app, "p@example.com", "Reseller Co").await;
    let customer =
        crate::customer_prices::active_customer(&app, &partner, "it@acme.example", "Acme").await;
    let account =
        partner_portal::services::accounts::find_by_email(&app.core.db.read, "it@acme.example")
            .await
            .unwrap()
            .unwrap()
            .id;
    let users = crate::orders::customer_users(&app, account, &["Ann", "Bob", "Cid"]).await;

    // Staff add a product at $10.00 a seat a month, one with a 14-day trial, and sell to the
    // partner at 20 % off (its cost: $8.00).
    s.sign_in(&app, "staff@example.com", PASSWORD).await;
    s.wait_for_path("/staff/approvals").await;
    let product = staff_add_product(&app, &s, "BK-100", "0", "10.00").await;
    let trial_product = staff_add_product(&app, &s, "MS-200", "14", "5.00").await;
    s.goto(&app.url(&format!("/staff/partners/{}/prices", partner.id)))
        .await;
    s.fill("discount", "20").await;
    s.click_button("Save the overall discount").await;
    s.wait_for_text("20% off every product").await;

    // The partner gives its customer 10 % off (its price: $9.00).
    p.sign_in(&app, "p@example.com", PASSWORD).await;
    p.wait_for_text("Welcome").await;
    p.goto(&app.url(&format!("/customers/{customer}/prices")))
        .await;
    p.fill("discount", "10").await;
    p.click_button("Save").await;
    p.wait_for_text("The customer's prices are saved").await;

    // 10 seats: the preview shows $90.00 (and the partner's margin, $10.00) before placing.
    p.goto(&app.url(&format!("/customers/{customer}/orders/new")))
        .await;
    p.select("product", &product).await;
    p.fill("quantity", "10").await;
    p.select("currency", "USD").await;
    p.set_checked("auto_renew", true).await;
    p.click_button("Preview the price").await;
    let preview = p.wait_for_text("Before you place it").await;
    assert!(preview.contains("$90.00"), "{preview}");
    assert!(preview.contains("$10.00"), "{preview}");
    p.click_button("Place the order").await;
    p.wait_for_path("/orders/").await;
    let page = p.wait_for_text("Order ORD-000001").await;
    assert!(page.contains("$90.00"), "{page}");
    let (kind, msg) = p.flash().await.expect("a message after placing");
    assert_eq!(kind, "success", "{msg}");
    assert!(msg.contains("Order ORD-000001 placed: $90.00"), "{msg}");

    // The order links its license: 3 of its seats go to 3 of the customer's users.
    p.driver
        .find(By::Css("main a[href^='/licenses/']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    p.wait_for_path("/licenses/").await;
    p.wait_for_text("0 of 10").await;
    for (n, user) in users.iter().enumerate() {
        p.select("user", user).await;
        p.click_button("Give the seat").await;
        p.wait_for_text(&format!("{} of 10", n + 1)).await;
    }
    for email in [
        "ann@customer.example",
        "bob@customer.example",
        "cid@customer.example",
    ] {
        p.row_text(email).await;
    }

    // My Customers: the usage and the license's end, a month from today.
    let day = |d: chrono::NaiveDate| d.format("%-d %b %Y").to_string();
    let license_end = day(app.core.now().date_naive() + chrono::Months::new(1));
    p.goto(&app.url("/customers")).await;
    let row = p.row_text("Acme").await;
    assert!(row.contains("3 / 10 (30%)"), "{row}");
    assert!(row.contains(&license_end), "{row}");

    // A 14-day trial ends before the license: it is the coming expiry.
    let trial_end = day(app.core.now().date_naive() + chrono::Duration::days(14));
    p.goto(&app.url(&format!("/customers/{customer}/trials/new")))
        .await;
    p.select("product", &trial_product).await;
    p.fill("seats", "3").await;
    p.click_button("Start the trial").await;
    p.wait_for_text("Trial started").await;
    let trial = p.wait_for_path("/licenses/").await;
    p.goto(&app.url("/customers")).await;
    let row = p.row_text("Acme").await;
    assert!(row.contains(&trial_end), "{row}");
    assert!(!row.contains(&license_end), "{row}");

    // 15 days on, the trial has expired by itself and left Coming Expiry Date.
    app.clock.advance(chrono::Duration::days(15));
    app.job_rounds_pass(2).await;
    p.goto(&app.url(&trial)).await;
    p.wait_for_text("Expired").await;
    p.goto(&app.url("/customers")).await;
    let row = p.row_text("Acme").await;
    assert!(row.contains(&license_end), "{row}");
    assert!(!row.contains(&trial_end), "{row}");

    s.quit().await;
    p.quit().await;
}

#[tokio::test]
async fn at_phone_width_the_main_pages_fit_the_screen_and_pass_the_accessibility_rules() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let partner_id = app.partner("p@example.com", "Phone Partners Ltd").await;
    app.staff("staff@example.com").await;
    // A long company name and email, as real ones are: they must wrap, not widen the page.
    let long_email = "procurement.department@a-rather-long-company-domain-name.example";
    app.account(
        long_email,
        "A Company With A Rather Long Name For A Phone GmbH & Co. KG",
    )
    .await;
    app.account("b@x.example", "Beta Ltd").await;
    let c = app.client();
    c.sign_in("p@example.com", PASSWORD).await;
    let mut customer = String::new();
    for email in [long_email, "b@x.example"] {
        let added = c
            .post_form(
                "/customers/new",
                "/customers/new",
                &[
                    ("mode", "link"),
                    ("action", "add"),
                    ("email", email),
                    ("friendly_name", "Phone customer"),
                    ("partner_role", "Partner"),
                    ("commission", "12.5"),
                    ("customer_type", "CUSTOMER"),
                ],
            )
            .await;
        customer = added.location().to_string();
    }

    let staff = app.client();
    staff.sign_in("staff@example.com", PASSWORD).await;
    let product = staff
        .post_form(
            "/staff/catalog/new",
            "/staff/catalog/new",
            &[
                ("sku", "MAIL-SEC"),
                ("name", "Mail security with a long product name for phones"),
                ("unit", "mailbox"),
                ("kind", "yearly"),
                ("trial_days", "30"),
                ("min_quantity", "5"),
                ("max_quantity", "10000"),
                ("price_usd", "24.00"),
                ("price_vnd", "550000"),
            ],
        )
        .await
        .location();

    let partner_view =
        partner_portal::services::staff::partner_detail(&app.core, partner_id.parse().unwrap())
            .await
            .unwrap()
            .partner;
    let active = crate::customer_prices::active_customer(
        &app,
        &partner_view,
        "active@x.example",
        "Active Customer Ltd",
    )
    .await;
    let active_page = format!("/customers/{active}");
    let active_prices = format!("/customers/{active}/prices");
    // An order for it, placed as the order form would: its page and its license's page.
    let placed = {
        use partner_portal::services::{
            audit::Actor,
            orders::{self as svc, OrderInput, Placement},
        };
        svc::place(
            &app.core,
            &Actor::system("test"),
            partner_view.id,
            active.parse().unwrap(),
            &OrderInput {
                product: "MAIL-SEC".into(),
                quantity: "5".into(),
                ..Default::default()
            },
            Placement {
                key: None,
                via: "web",
            },
            None,
        )
        .await
        .unwrap()
    };
    let order_new = format!("/customers/{active}/orders/new");
    let order_page = format!("/orders/{}", placed.order);
    let license_page = format!("/licenses/{}", placed.license.unwrap());
    let trial_new = format!("/customers/{active}/trials/new");
    // The order's invoice, and its payment link.
    let (invoice_page, pay_link) = partner_portal::services::invoices::of_customer(
        &app.core,
        partner_view.id,
        active.parse().unwrap(),
    )
    .await
    .unwrap()
    .into_iter()
    .next()
    .map(|(i, link)| (format!("/invoices/{}", i.id), link.expect("open: a link")))
    .expect("the order's invoice");
    // Some credit, so the invoice and the payment link show their credit forms.
    partner_portal::services::credits::grant(
        &app.core,
        &partner_portal::services::audit::Actor::system("test"),
        partner_portal::domain::Role::Admin,
        partner_view.id,
        active.parse().unwrap(),
        partner_portal::domain::Money::new(1_500, partner_portal::domain::Currency::Usd),
        "Welcome",
        None,
    )
    .await
    .unwrap();
    // A grant above a ceiling of $10.00: it waits for staff, on both sides' pages.
    {
        use partner_portal::{
            domain::{Currency, Money, Role},
            services::{audit::Actor, credits},
        };
        let usd = |minor| Money::new(minor, Currency::Usd);
        credits::set_ceiling(
            &app.core,
            &Actor::system("test"),
            partner_view.id,
            Currency::Usd,
            Some(usd(1_000)),
        )
        .await
        .unwrap();
        let pat =
            partner_portal::services::auth::find_user_by_email(&app.core.db.read, "p@example.com")
                .await
                .unwrap()
                .unwrap();
        credits::grant(
            &app.core,
            &Actor::user(&pat.into()),
            Role::Admin,
            partner_view.id,
            active.parse().unwrap(),
            usd(500),
            "Above the ceiling",
            None,
        )
        .await
        .unwrap();
    }
    let active_credits = format!("/customers/{active}/credits");

    b.driver.set_window_rect(0, 0, 390, 844).await.unwrap();
    b.sign_in(&app, "p@example.com", PASSWORD).await;
    b.wait_for_text("Welcome").await;
    for path in [
        "/",
        "/customers",
        "/customers?view=org",
        "/customers?q=zzqqx",
        "/customers/new",
        "/customers/new?mode=new",
        customer.as_str(),
        "/account",
        "/company",
        "/company/credit-limits",
        "/company/security",
        "/account/security",
        "/company/users",
        "/apps",
        "/docs/api",
        "/price-lists",
        active_page.as_str(),
        active_prices.as_str(),
        order_new.as_str(),
        order_page.as_str(),
        license_page.as_str(),
        trial_new.as_str(),
        invoice_page.as_str(),
        "/invoices",
        active_credits.as_str(),
        "/revenue",
    ] {
        b.goto(&app.url(path)).await;
        b.assert_fits_width().await;
    }
    // A form with errors: the summary and the messages fit and pass too.
    b.goto(&app.url("/customers/new")).await;
    b.click_button("Add").await;
    b.wait_for_text("Check these before sending again").await;
    b.assert_fits_width().await;
    // The credits page with a refused grant.
    b.goto(&app.url(&active_credits)).await;
    b.click_button("Grant the credit").await;
    b.wait_for_text("Enter an amount").await;
    b.assert_fits_width().await;
    // The order form with its preview shown.
    b.goto(&app.url(&order_new)).await;
    b.select("product", product.trim_start_matches("/staff/catalog/"))
        .await;
    b.fill("quantity", "5").await;
    b.click_button("Preview the price").await;
    b.wait_for_text("Before you place it").await;
    b.assert_fits_width().await;
    // The customer's own pages, as the partner acting as its user (management mode).
    {
        use partner_portal::entities::registrations;
        use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
        registrations::Entity::update_many()
            .set(registrations::ActiveModel {
                management_mode: Set(true),
                ..Default::default()
            })
            .filter(registrations::Column::Id.eq(active.parse::<uuid::Uuid>().unwrap()))
            .exec(&app.core.db.write)
            .await
            .unwrap();
    }
    let account =
        partner_portal::services::accounts::find_by_email(&app.core.db.read, "active@x.example")
            .await
            .unwrap()
            .unwrap()
            .id;
    let ann = crate::orders::customer_users(&app, account, &["Ann"]).await;
    let ann_page = format!("/customers/{active}/users/{}", ann[0]);
    let invite_page = format!("/customers/{active}/users/invite");
    for path in [ann_page.as_str(), invite_page.as_str()] {
        b.goto(&app.url(path)).await;
        b.assert_fits_width().await;
    }
    b.goto(&app.url(&ann_page)).await;
    b.click_button("Login As Ann").await;
    b.wait_for_text("You are signed in as").await;
    for path in [
        "/my",
        "/my/partner",
        "/my/orders",
        "/my/licenses",
        "/my/invoices",
        "/my/credits",
        "/my/users",
        "/my/activity",
    ] {
        b.goto(&app.url(path)).await;
        b.assert_fits_width().await;
    }
    b.click_button("Return to Phone Partners Ltd").await;
    b.wait_for_text("You are back as yourself").await;

    b.driver.delete_all_cookies().await.unwrap();
    b.sign_in(&app, "staff@example.com", PASSWORD).await;
    b.wait_for_path("/staff/approvals").await;
    let partner_page = format!("/staff/partners/{partner_id}");
    let partner_prices = format!("/staff/partners/{partner_id}/prices");
    for path in [
        "/staff/approvals",
        "/staff/accounts",
        "/staff/accounts/new",
        "/staff/accounts/import",
        "/staff/partners",
        partner_page.as_str(),
        "/staff/audit",
        "/staff/catalog",
        "/staff/catalog/new",
        "/staff/catalog/import",
        product.as_str(),
        partner_prices.as_str(),
        "/staff/tax-rates",
        "/staff/invoices",
        "/staff/credits",
        "/staff/credit-requests",
        "/staff/reminders",
        "/staff/revenue",
        invoice_page.as_str(),
    ] {
        b.goto(&app.url(path)).await;
        b.assert_fits_width().await;
    }
    // The payment link, signed out.
    b.driver.delete_all_cookies().await.unwrap();
    b.goto(&app.url(&pay_link)).await;
    b.wait_for_text("Test installation").await;
    b.wait_for_text("of credit").await;
    b.assert_fits_width().await;
    b.quit().await;
}

/// Types into the card field the pay page mounted (localstripe's mock of Stripe Elements names
/// its inputs by placeholder).
async fn type_card(b: &Browser, number: &str) {
    for (field, value) in [
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "30"),
        ("cvc", "123"),
        ("postal_code", "10115"),
    ] {
        b.driver
            .find(By::Css(format!("#card-element input[placeholder={field}]")))
            .await
            .unwrap_or_else(|_| panic!("no card input {field}"))
            .send_keys(value)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn an_invoice_link_is_copied_and_paid_signed_out_with_the_test_card_and_through_stripe() {
    let Some(p) = Browser::start().await else {
        return;
    };
    let payer = Browser::start().await.unwrap();

    // The test gateway: the partner orders, copies the invoice's link from the customer page.
    let s = crate::orders::shop().await;
    crate::orders::order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "10")],
    )
    .await;
    let year = chrono::Datelike::year(&s.app.core.now());
    let number = format!("INV-{year}-000001");
    p.sign_in(&s.app, "p@example.com", PASSWORD).await;
    p.wait_for_text("Welcome").await;
    let customer_page = s.app.url(&format!("/customers/{}", s.customer));
    p.goto(&customer_page).await;
    p.wait_for_text(&number).await;
    let copy = p
        .driver
        .find(By::Css(format!("button[data-copy='link-{number}']")))
        .await
        .unwrap();
    copy.click().await.unwrap();
    p.wait_for_text("Copied").await;
    let link = p
        .driver
        .find(By::Id(format!("link-{number}")))
        .await
        .unwrap()
        .value()
        .await
        .unwrap()
        .expect("the link");
    assert!(link.contains("/pay/"), "{link}");

    // A signed-out browser opens it: the declining card leaves it open with a message, the
    // approving one pays it.
    payer.goto(&link).await;
    payer.wait_for_text("Test installation").await;
    payer.fill("email", "ap@acme.example").await;
    payer.click_button("(declined)").await;
    payer.wait_for_text("The payment was declined").await;
    assert!(payer.text().await.contains("Open"));
    payer.click_button("(approved)").await;
    payer.wait_for_text("Paid.").await;
    // Both sides see it paid; the receipts went out.
    p.goto(&customer_page).await;
    assert!(p.row_text(&number).await.contains("Paid"));
    for to in ["ap@acme.example", "p@example.com"] {
        s.app
            .smtp
            .wait_for(to, &format!("Receipt for {number}"))
            .await;
    }

    // The same through Stripe (localstripe): the card is typed into the Elements field.
    let ls = crate::stripe::Localstripe::start().await;
    let st = crate::orders::shop_with(ls.options()).await;
    ls.send_webhooks_to(&st.app.url("/webhooks/stripe")).await;
    crate::orders::order(
        &st.partner,
        &st.customer,
        &[("product", &st.product), ("quantity", "4")],
    )
    .await;
    let (invoice, pay) = crate::stripe::newest_invoice(&st).await;
    payer.goto(&st.app.url(&pay)).await;
    payer.wait_for_text("never reach this site").await;
    type_card(&payer, "4000000000000341").await;
    payer.click_button("Pay $").await;
    payer.wait_for_text("Your card was declined").await;
    // Another card, on the page reloaded.
    payer.goto(&st.app.url(&pay)).await;
    payer.fill("email", "card@acme.example").await;
    type_card(&payer, "4242424242424242").await;
    payer.click_button("Pay $").await;
    payer.wait_for_text("Paid.").await;
    st.app
        .smtp
        .wait_for("card@acme.example", "Receipt for")
        .await;
    let staff_view = st.staff.get(&format!("/invoices/{invoice}")).await;
    staff_view.expect_text("Paid").expect_text("stripe");
    p.quit().await;
    payer.quit().await;
}

#[tokio::test]
async fn a_partner_logs_in_as_a_customer_user_sees_the_banner_everywhere_and_returns() {
    use partner_portal::entities::{registrations, users};
    use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
    let Some(p) = Browser::start().await else {
        return;
    };
    let s = crate::orders::shop().await;
    let app = &s.app;
    registrations::Entity::update_many()
        .set(registrations::ActiveModel {
            management_mode: Set(true),
            ..Default::default()
        })
        .filter(registrations::Column::Id.eq(s.customer.parse::<uuid::Uuid>().unwrap()))
        .exec(&app.core.db.write)
        .await
        .unwrap();
    let ids = crate::orders::customer_users(app, s.account, &["Ann", "Cora"]).await;
    // Cora is the account's admin and can sign in (the partner's password, for the test).
    let hash = users::Entity::find()
        .filter(users::Column::Email.eq("p@example.com"))
        .one(&app.core.db.read)
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    users::Entity::update_many()
        .set(users::ActiveModel {
            role: Set(partner_portal::domain::Role::Admin),
            password_hash: Set(hash),
            ..Default::default()
        })
        .filter(users::Column::Email.eq("cora@customer.example"))
        .exec(&app.core.db.write)
        .await
        .unwrap();

    // The partner opens the customer, its Users list, Ann's page, and signs in as her.
    p.sign_in(app, "p@example.com", PASSWORD).await;
    p.wait_for_text("Welcome").await;
    p.goto(&app.url(&format!("/customers/{}", s.customer)))
        .await;
    p.driver
        .find(By::LinkText("Ann"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    p.wait_for_path(&format!("/customers/{}/users/{}", s.customer, ids[0]))
        .await;
    p.click_button("Login As Ann").await;
    p.wait_for_text("You are signed in as").await;
    // The banner on every customer page.
    for path in [
        "/my",
        "/my/partner",
        "/my/orders",
        "/my/licenses",
        "/my/invoices",
        "/my/credits",
        "/my/users",
        "/my/activity",
    ] {
        p.goto(&app.url(path)).await;
        let text = p.wait_for_text("You are signed in as").await;
        assert!(
            text.contains("Ann (Acme)") && text.contains("on behalf of Reseller Co"),
            "{path}: {text}"
        );
        assert!(text.contains("minutes left"), "{path}");
    }
    // A partner page: refused, saying why and how back.
    p.goto(&app.url("/customers")).await;
    p.wait_for_text("Not while you act as a customer").await;
    // Return: back on the customer's page as the partner.
    p.click_button("Return to Reseller Co").await;
    p.wait_for_path(&format!("/customers/{}", s.customer)).await;
    let text = p.wait_for_text("You are back as yourself").await;
    assert!(!text.contains("You are signed in as"));

    // The customer's admin was told, and sees the session in the account's activity.
    app.smtp
        .wait_for("cora@customer.example", "signed in as Ann")
        .await;
    p.driver.delete_all_cookies().await.unwrap();
    p.sign_in(app, "cora@customer.example", PASSWORD).await;
    p.wait_for_path("/my/partner").await;
    p.goto(&app.url("/my/activity")).await;
    let text = p.wait_for_text("signed in as Ann").await;
    assert!(text.contains("stopped acting as Ann"), "{text}");
    p.quit().await;
}

#[tokio::test]
async fn a_paid_order_shows_on_revenue_with_its_bar_and_line_and_staff_pay_the_statement_out() {
    let Some(p) = Browser::start().await else {
        return;
    };
    let payer = Browser::start().await.unwrap();
    let staff = Browser::start().await.unwrap();
    let s = crate::orders::shop().await;
    let app = &s.app;
    // The partner orders 3 seats at $9.00 for its customer (10 % commission).
    p.sign_in(app, "p@example.com", PASSWORD).await;
    p.wait_for_text("Welcome").await;
    crate::orders::order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "3")],
    )
    .await;
    let inv = partner_portal::services::invoices::of_customer(
        &app.core,
        s.org.id,
        s.customer.parse().unwrap(),
    )
    .await
    .unwrap()
    .into_iter()
    .next()
    .expect("the order's invoice");
    let (number, link) = (inv.0.number.clone(), inv.1.expect("open: a link"));
    // The customer pays it with the test card, signed out.
    payer.goto(&app.url(&link)).await;
    payer.click_button("(approved)").await;
    payer.wait_for_text("Paid").await;

    // Revenue: the month's paid amount and commission, its bar in the chart, the CSV line.
    p.goto(&app.url("/revenue")).await;
    let text = p.wait_for_text("Paid this month").await;
    assert!(text.contains("$27.00") && text.contains("$2.70"), "{text}");
    let bars: i64 = serde_json::from_value(
        p.driver
            .execute(
                "return Array.from(document.querySelectorAll('svg.chart rect'))\
                 .filter(r => r.getAttribute('fill') === '#2563EB' && +r.getAttribute('height') > 0).length;",
                Vec::new(),
            )
            .await
            .unwrap()
            .json()
            .clone(),
    )
    .unwrap();
    assert_eq!(bars, 1, "one month with paid revenue: one bar");
    let csv: String = serde_json::from_value(
        p.driver
            .execute(
                "return fetch('/revenue/export.csv').then(r => r.text());",
                Vec::new(),
            )
            .await
            .unwrap()
            .json()
            .clone(),
    )
    .unwrap();
    assert!(
        csv.lines()
            .any(|l| l.contains(&number) && l.contains(",2.70,USD,")),
        "{csv}"
    );

    // The month ends: the job closes the statement.
    let period = partner_portal::services::commission::period_of(app.core.now());
    let next = partner_portal::services::commission::next_period(&period);
    let to = partner_portal::services::commission::period_start(&next)
        .unwrap()
        .and_hms_opt(0, 10, 0)
        .unwrap()
        .and_utc();
    app.clock.advance(to - app.core.now());
    partner_portal::services::commission::close_months(&app.core)
        .await
        .unwrap();

    // Staff approve it, then record its payout, in the browser.
    staff.sign_in(app, "staff@example.com", PASSWORD).await;
    staff.wait_for_path("/staff").await;
    staff
        .goto(&app.url(&format!("/staff/revenue?period={period}")))
        .await;
    staff.wait_for_text("Reseller Co").await;
    staff.set_checked("statement", true).await;
    staff
        .click_button("Approve the chosen closed statements")
        .await;
    staff.wait_for_text("1 statement approved").await;
    staff.set_checked("statement", true).await;
    staff.fill("reference", "WIRE-0001").await;
    staff
        .click_button("Mark the chosen approved statements paid out")
        .await;
    staff.wait_for_text("1 statement marked paid out").await;

    // The partner sees it paid out.
    p.goto(&app.url("/revenue")).await;
    let text = p.wait_for_text("Paid out").await;
    assert!(text.contains("WIRE-0001"), "{text}");
    p.quit().await;
    payer.quit().await;
    staff.quit().await;
}

#[tokio::test]
async fn a_partner_admin_sets_up_two_factor_sign_in_and_signs_in_with_a_code() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    crate::registrations::quick_partner(&app, "p@example.com", "Reseller Co").await;
    // First sign-in: the password, then straight to the set-up page (the QR code, the key);
    // the code the test's authenticator computes from the key turns it on.
    b.goto(&app.url("/login")).await;
    b.fill("email", "p@example.com").await;
    b.fill("password", PASSWORD).await;
    b.submit().await;
    b.wait_for_text("Set up two-factor sign-in").await;
    b.goto(&app.url("/customers")).await;
    b.wait_for_path("/account/two-factor").await;
    b.shot("two-factor-setup").await;
    b.fill("code", "000000").await;
    b.submit().await;
    b.wait_for_text("That code is not valid").await;
    let key = b
        .driver
        .find(By::Css("code.secret"))
        .await
        .unwrap()
        .attr("data-secret")
        .await
        .unwrap()
        .unwrap();
    app.auth.add("p@example.com", &key);
    b.fill("code", &app.auth.code("p@example.com")).await;
    b.submit().await;
    let codes = b.wait_for_text("Your recovery codes").await;
    b.shot("recovery-codes").await;
    assert!(codes.contains("I have saved them"));
    b.driver
        .find(By::LinkText("I have saved them"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let page = b.wait_for_text("Where you are signed in").await;
    assert!(page.contains("This browser"), "{page}");
    b.shot("account-security").await;
    // Signed out, the password alone is not enough: the code page, then the home page.
    b.driver
        .find(By::Css("header details summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.click_button("Sign out").await;
    b.wait_for_text("You have been signed out").await;
    b.sign_in(&app, "p@example.com", PASSWORD).await;
    b.wait_for_text("Welcome").await;
    assert_eq!(b.path().await, "/");
}
