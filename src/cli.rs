//! The command line: `serve` (default), `migrate`, `create-staff`, `seed-demo`.
use std::io::BufRead;

use clap::{Parser, Subcommand};

use crate::{
    config::Config,
    domain::{Email, NewPassword, PlainName},
    services,
    startup::{AppState, Application},
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
    /// Create a provider staff user; the password is read from standard input.
    CreateStaff {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Fill the database with demonstration data and print the logins.
    SeedDemo,
    /// Load-test data for `bench/`: one partner with N registrations.
    #[command(hide = true)]
    SeedBench {
        #[arg(long, default_value_t = 10_000)]
        registrations: usize,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(config.clone()).await?;
            tracing::info!(
                "Partner Portal listening on {} (public URL {}), database {}",
                app.port(),
                config.public_url,
                redact(&config.database_url)
            );
            if config.dev_mail() {
                tracing::info!(
                    "no SMTP_URL: emails are written to {} and listed at {}/dev/mail",
                    config.mail_dir().display(),
                    config.public_url
                );
            }
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            AppState::new(config).await?;
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
            let state = AppState::new(config).await?;
            let user = services::staff::create_staff(&state, &email, name, &password).await?;
            println!("Staff user {} created ({}).", user.email, user.id);
        }
        Command::SeedDemo => {
            let state = AppState::new(config).await?;
            services::seed::seed_demo(&state).await?;
        }
        Command::SeedBench { registrations } => {
            let state = AppState::new(config).await?;
            services::seed::seed_bench(&state, registrations).await?;
        }
    }
    Ok(())
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}
