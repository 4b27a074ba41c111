//! Background jobs every instance runs: lapsed confirmation requests expire, staff get their
//! digest, expired sessions are purged. Each job is safe to run on several instances at once.
use super::Core;
use std::{sync::Arc, time::Duration};

use super::registrations;
use crate::auth::session_store;

pub async fn run(core: Arc<Core>, every: Duration) {
    let mut ticks: u64 = 0;
    loop {
        if let Err(e) = registrations::expire_due(&core).await {
            tracing::warn!(error = %e, "expiring registrations failed");
        }
        if let Err(e) = registrations::staff_digest(&core, core.rules.digest_every).await {
            tracing::warn!(error = %e, "staff digest failed");
        }
        if ticks.is_multiple_of(60) {
            if let Err(e) = session_store::purge_expired(&core.db.write).await {
                tracing::warn!(error = %e, "purging expired sessions failed");
            }
        }
        ticks += 1;
        tokio::time::sleep(every).await;
    }
}
