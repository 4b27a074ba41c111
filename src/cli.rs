//! The command line: `serve` (default), `migrate`, `create-staff`, `seed-demo`.
use std::io::BufRead;

use clap::{Parser, Subcommand};

use crate::{
    config::Config,
    domain::{Email, NewPassword, PlainName},
    services::{self, Clock, Core},
    startup::Application,
};

#[derive(Parser)]
#[command(
    name = "partner-portal",
    about = "Partner Portal: partners, their customers, commission"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the configuration the server would run with (gateway, mail, database, public
    /// URL), secrets masked; exits non-zero, naming the missing settings, where `serve` would
    /// refuse to start.
    Config,
    /// Create a provider staff user; the password is read from standard input.
    CreateStaff {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Fill the database with demonstration data and print the logins.
    SeedDemo,
    /// Reset the second factor of the user with this email (a lost phone, a staff member's
    /// included): audited with the reason, emailed to the user, every session signed out.
    ResetTwoFactor {
        #[arg(long)]
        email: String,
        #[arg(long)]
        reason: String,
    },
    /// Print the current two-factor code for a key (what an authenticator app would show).
    TotpCode {
        #[arg(long)]
        secret: String,
    },
    /// Register a partner API app for the partner user with this email; prints the client id
    /// and secret (the secret is shown only here).
    CreateApiApp {
        #[arg(long)]
        partner_email: String,
        #[arg(long)]
        name: String,
        /// `readwrite` (elements.customers.readwrite.all), `read`, `orders` (readwrite plus
        /// elements.orders.readwrite.all), `commission` (read plus
        /// elements.commission.read.all) or `all`.
        #[arg(long, default_value = "readwrite")]
        access: String,
        /// Commission rate, in percent, for customers the app onboards.
        #[arg(long, default_value = "10")]
        commission: String,
    },
    /// Load-test data for `bench/`: one partner with N registrations.
    #[command(hide = true)]
    #[cfg(feature = "bench")]
    SeedBench {
        #[arg(long, default_value_t = 10_000)]
        registrations: usize,
        /// Extra accounts nobody holds (free{i}@bench.test), for the onboarding benchmark.
        #[arg(long, default_value_t = 0)]
        free_accounts: usize,
        /// Paid licenses spread over the active registrations (My Customers' Usage and
        /// Coming Expiry Date at scale).
        #[arg(long, default_value_t = 0)]
        licenses: usize,
        /// Trials whose end has passed, for the expiry job.
        #[arg(long, default_value_t = 0)]
        due_trials: usize,
        /// Auto-renewing licenses whose term ends in a week, for the renewal invoices' job.
        #[arg(long, default_value_t = 0)]
        renewals: usize,
    },
    /// Load-test data for the revenue benchmark: partners, registrations (BIG of them the
    /// first partner's, revenue@demo.test) and 20 paid invoice lines each over 24 months.
    #[command(hide = true)]
    #[cfg(feature = "bench")]
    SeedRevenueBench {
        #[arg(long, default_value_t = 100_000)]
        registrations: usize,
        #[arg(long, default_value_t = 10_000)]
        partners: usize,
        #[arg(long, default_value_t = 5_000)]
        big: usize,
    },
    /// The month-end job, once: closes the commission statements of months that are over and
    /// recomputes stale 12-month revenue figures, printing how many and how long each took.
    CloseMonths,
    /// Issues the renewal invoices due now, once, and prints how many and how long it took.
    RenewalInvoices,
    /// Runs the licenses' job once (trial reminders, expiry, renewal) and prints what it did.
    LicensesDue,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Config => {
            config.check_mail()?;
            for (name, value) in config.describe() {
                println!("{name:>15}: {value}");
            }
        }
        Command::Serve => {
            let app = Application::build(config.clone()).await?;
            tracing::info!(
                "Partner Portal listening on {} (public URL {}), database {}",
                app.port(),
                config.public_url,
                crate::config::mask_url(&config.database_url)
            );
            if let crate::config::Payments::Test { explicit } = config.payments {
                tracing::warn!(
                    "payments use the TEST gateway ({}): test cards only, no real money is \
                     taken, and every pay page says this is a test installation",
                    if explicit {
                        "PAYMENTS=test"
                    } else {
                        "development server default"
                    }
                );
            }
            if config.dev_mail() {
                tracing::info!(
                    "no SMTP_URL: emails are written to {} and listed at {}/dev/mail",
                    config.mail_dir().display(),
                    config.public_url
                );
            } else if config.smtp_url.is_none() {
                tracing::warn!(
                    "no SMTP_URL: emails are written to {} (not served: /dev/mail is only for \
                     a loopback, non-https development server)",
                    config.mail_dir().display()
                );
            }
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            Core::open(&config, Clock::system()).await?;
            println!("Migrations applied.");
        }
        Command::CreateStaff { email, name } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let name =
                PlainName::parse(&name, "name").map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            eprintln!("Password for {email} (then Enter):");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let password = line.trim_end_matches(['\r', '\n']);
            let password = NewPassword::parse(password, Some(email.as_str()))
                .map_err(|e| anyhow::anyhow!("password refused: {e}"))?;
            let core = Core::open(&config, Clock::system()).await?;
            let user = services::staff::create_staff(&core, &email, name, &password).await?;
            println!("Staff user {} created ({}).", user.email, user.id);
        }
        Command::ResetTwoFactor { email, reason } => {
            let core = Core::open(&config, Clock::system()).await?;
            let user = services::auth::find_user_by_email(&core.db.read, &email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user with the email {email}"))?;
            services::two_factor::reset_by_staff(
                &core,
                &services::audit::Actor::system("the reset-two-factor command"),
                crate::domain::UserId(user.id),
                &reason,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "The second factor of {email} was reset; they set it up at their next sign-in."
            );
        }
        Command::TotpCode { secret } => {
            let code = services::two_factor::code_at(&secret.replace(' ', ""), chrono::Utc::now())
                .map_err(|e| anyhow::anyhow!("not a valid key: {e}"))?;
            println!("{code}");
        }
        Command::SeedDemo => {
            let core = Core::open(&config, Clock::system()).await?;
            crate::seed::seed_demo(&core).await?;
        }
        Command::CreateApiApp {
            partner_email,
            name,
            access,
            commission,
        } => {
            use crate::services::api_apps::{
                self, SCOPE_COMMISSION, SCOPE_ORDERS, SCOPE_READ, SCOPE_READWRITE,
            };
            let name =
                PlainName::parse(&name, "name").map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let commission = crate::domain::CommissionRate::parse(&commission)
                .map_err(|e| anyhow::anyhow!("--commission: {e}"))?;
            let scopes: &[&str] = match access.as_str() {
                "readwrite" => &[SCOPE_READWRITE],
                "read" => &[SCOPE_READ],
                "orders" => &[SCOPE_READWRITE, SCOPE_ORDERS],
                "commission" => &[SCOPE_READ, SCOPE_COMMISSION],
                "all" => &[SCOPE_READWRITE, SCOPE_ORDERS, SCOPE_COMMISSION],
                _ => anyhow::bail!("--access must be readwrite, read, orders, commission or all"),
            };
            let core = Core::open(&config, Clock::system()).await?;
            let user = services::auth::find_user_by_email(&core.db.read, &partner_email)
                .await?
                .filter(|u| u.partner_id.is_some())
                .ok_or_else(|| anyhow::anyhow!("no partner user has the email {partner_email}"))?;
            let partner_id = user.partner_id.unwrap_or_default().into();
            let actor = services::audit::Actor::system("command line");
            let (app, secret) =
                api_apps::create(&core, &actor, partner_id, name, scopes, commission).await?;
            println!("client_id={}", app.client_id);
            println!("client_secret={secret}");
        }
        #[cfg(feature = "bench")]
        Command::SeedBench {
            registrations,
            free_accounts,
            licenses,
            due_trials,
            renewals,
        } => {
            let core = Core::open(&config, Clock::system()).await?;
            let licenses = crate::seed::bench::BenchLicenses {
                licenses,
                due_trials,
                renewals,
            };
            crate::seed::bench::seed_bench(&core, registrations, free_accounts, licenses).await?;
        }
        #[cfg(feature = "bench")]
        Command::SeedRevenueBench {
            registrations,
            partners,
            big,
        } => {
            let core = Core::open(&config, Clock::system()).await?;
            let started = std::time::Instant::now();
            crate::seed::bench::seed(&core, registrations, partners.max(2), big).await?;
            println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
        }
        Command::CloseMonths => {
            let core = Core::open(&config, Clock::system()).await?;
            let started = std::time::Instant::now();
            let n = services::commission::close_months(&core).await?;
            println!(
                "commission statements: {n} closed in {:.2} s",
                started.elapsed().as_secs_f64()
            );
            let started = std::time::Instant::now();
            let n = services::paid_12m::recompute_stale(&core, true).await?;
            println!(
                "12-month revenue figures: {n} partners recomputed in {:.2} s",
                started.elapsed().as_secs_f64()
            );
        }
        Command::RenewalInvoices => {
            let core = Core::open(&config, Clock::system()).await?;
            let started = std::time::Instant::now();
            let n = services::renewals::renewal_invoices(&core).await?;
            println!(
                "renewal invoices: {n} issued in {:.2} s",
                started.elapsed().as_secs_f64()
            );
        }
        Command::LicensesDue => {
            let core = Core::open(&config, Clock::system()).await?;
            let started = std::time::Instant::now();
            let r = services::orders::licenses_due(&core).await?;
            println!(
                "licenses due: {} reminded, {} expired, {} renewed in {:.2} s",
                r.reminded,
                r.expired,
                r.renewed,
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}
