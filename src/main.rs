use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    partner_portal::telemetry::init();
    partner_portal::security::install_tls();
    let cli = partner_portal::cli::Cli::parse();
    partner_portal::cli::run(cli).await
}
