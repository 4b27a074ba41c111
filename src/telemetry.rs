//! Logging: `RUST_LOG` filters (default `info`), one line per event on stderr. Service
//! operations are spans (`#[tracing::instrument]`): when one closes, a line names it with its
//! request's span and how long it took (`time.busy`, `time.idle`). Reads are at `debug`.
use tracing_subscriber::{fmt::format::FmtSpan, EnvFilter};

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::CLOSE)
        .try_init();
}
