use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    partner_portal::telemetry::init();
    let cli = partner_portal::cli::Cli::parse();
    partner_portal::cli::run(cli).await
}
