//! The main journeys in a real headless Chromium, driven through chromedriver.
//! Locally, a missing Chromium skips these tests with a printed reason; in CI (CI=true) it
//! fails them.
use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use thirtyfour::{components::SelectElement, prelude::*};

use crate::helpers::*;

pub struct Browser {
    pub driver: WebDriver,
    chromedriver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, or says why it cannot.
    pub async fn start() -> Option<Self> {
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

    /// Saves a screenshot when SCREENSHOT_DIR is set (used for the README).
    pub async fn shot(&self, name: &str) {
        if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
            let path = std::path::Path::new(&dir).join(format!("{name}.png"));
            self.driver.screenshot(&path).await.unwrap();
        }
    }

    pub async fn quit(mut self) {
        let _ = self.driver.clone().quit().await;
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
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
    assert!(b.text().await.contains("Check your inbox"));

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
    let body = b.text().await;
    assert!(body.contains("6 to 15 digits"), "{body}");
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
    assert!(b
        .driver
        .current_url()
        .await
        .unwrap()
        .as_str()
        .ends_with("/login"));
    assert!(b.text().await.contains("Browser Partners is registered"));

    b.fill("email", "browser@example.com").await;
    b.fill("password", PASSWORD).await;
    b.submit().await;
    let home = b.text().await;
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
    assert!(b
        .driver
        .current_url()
        .await
        .unwrap()
        .as_str()
        .ends_with("/company"));
    assert!(b.text().await.contains("Netherlands"));
    b.shot("company").await;
    b.quit().await;
}
