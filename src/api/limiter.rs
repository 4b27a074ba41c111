//! A token-bucket rate limit per API app, in this instance's memory: `rate` requests a second
//! on average, bursts up to `burst`. (With several instances each enforces its own bucket.)
use std::{collections::HashMap, sync::Mutex, time::Instant};

use uuid::Uuid;

pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<Uuid, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(rate: f64, burst: f64) -> Self {
        Self {
            rate: rate.max(0.001),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token, or says how many seconds to wait for one.
    pub fn check(&self, app: Uuid) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, at) = buckets.entry(app).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.rate).ceil() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_with_a_wait() {
        let l = RateLimiter::new(1.0, 3.0);
        let app = Uuid::new_v4();
        assert!(l.check(app).is_ok() && l.check(app).is_ok() && l.check(app).is_ok());
        assert_eq!(l.check(app), Err(1));
        assert!(
            l.check(Uuid::new_v4()).is_ok(),
            "each app has its own bucket"
        );
    }
}
