//! The configuration fails closed: a server that is not a development server (https public
//! URL, or bound beyond loopback) without a payment gateway refuses to start and names the
//! missing settings; the test gateway runs there only when asked for by name. Checked through
//! the real binary, as an operator would meet it.
use std::process::{Command, Output};

fn portal(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_partner-portal"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATA_DIR", dir.path())
        .env("RUST_LOG", "warn");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const PRODUCTION: [(&str, &str); 3] = [
    ("PUBLIC_URL", "https://partners.example.com"),
    ("SMTP_URL", "smtp://127.0.0.1:2525"),
    ("BIND", "127.0.0.1:0"),
];

#[test]
fn an_https_server_without_a_gateway_refuses_to_start_and_names_the_settings() {
    for args in [&["config"][..], &["serve"][..], &[][..]] {
        let out = portal(args, &PRODUCTION);
        assert!(!out.status.success(), "{args:?} started: {}", text(&out));
        let said = text(&out);
        for name in [
            "PAYMENTS=stripe",
            "STRIPE_SECRET_KEY",
            "STRIPE_PUBLISHABLE_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "PAYMENTS=test",
        ] {
            assert!(said.contains(name), "{args:?}: {name} not named in {said}");
        }
    }
}

#[test]
fn a_server_bound_beyond_loopback_is_not_a_development_server_either() {
    let out = portal(
        &["config"],
        &[
            ("BIND", "0.0.0.0:8080"),
            ("PUBLIC_URL", "http://portal.internal:8080"),
            ("SMTP_URL", "smtp://127.0.0.1:2525"),
        ],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("No payment gateway is configured"));
}

#[test]
fn stripe_chosen_without_its_keys_or_an_unknown_gateway_is_refused() {
    let out = portal(&["config"], &[("PAYMENTS", "stripe")]);
    assert!(!out.status.success());
    assert!(text(&out).contains("PAYMENTS=stripe needs STRIPE_SECRET_KEY"));
    let out = portal(&["config"], &[("PAYMENTS", "paypal")]);
    assert!(!out.status.success());
    assert!(text(&out).contains("PAYMENTS must be stripe or test"));
}

#[test]
fn the_test_gateway_runs_on_a_public_server_only_when_asked_for_by_name() {
    let secret = "s".repeat(70);
    let mut vars = PRODUCTION.to_vec();
    vars.extend([
        ("PAYMENTS", "test"),
        ("SESSION_SECRET", secret.as_str()),
        ("DATABASE_URL", "postgres://app:hunter2@db.internal/portal"),
    ]);
    let out = portal(&["config"], &vars);
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(said.contains("payments: test (PAYMENTS=test"), "{said}");
    assert!(said.contains("server: production"), "{said}");
    // Secrets are masked: the session secret and the database password never printed.
    assert!(!said.contains(&secret), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
    assert!(
        said.contains("postgres://app:••••@db.internal/portal"),
        "{said}"
    );
}

#[test]
fn a_development_server_defaults_to_test_cards_and_says_so() {
    let out = portal(&["config"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.contains("payments: test (development server default"),
        "{said}"
    );
    assert!(said.contains("server: development"), "{said}");
}
