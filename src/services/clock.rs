//! The time services read. Production reads the system clock; tests hold a handle to the
//! same clock and move it forward (link expiry, trials, renewals, month-end) instead of
//! shortening lifetimes or sleeping.
use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

use chrono::{DateTime, Duration, Utc};

/// The system clock, plus an offset that only a clock made with [`Clock::adjustable`] can move.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Milliseconds added to the system time; `None` for the plain system clock.
    offset_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock, as production runs.
    pub fn system() -> Self {
        Self { offset_ms: None }
    }

    /// The system clock that [`Clock::advance`] can move forward (tests, demos).
    pub fn adjustable() -> Self {
        Self {
            offset_ms: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        match &self.offset_ms {
            Some(o) => now + Duration::milliseconds(o.load(Ordering::Relaxed)),
            None => now,
        }
    }

    /// Moves this clock, and every copy of it, forward by `by`. A system clock cannot be
    /// moved: the call panics, so a test that forgot to ask for an adjustable one fails loudly.
    pub fn advance(&self, by: Duration) {
        let offset = self
            .offset_ms
            .as_ref()
            .expect("only a Clock::adjustable() can be moved");
        offset.fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_moves_forward_for_every_copy() {
        let clock = Clock::adjustable();
        let copy = clock.clone();
        let before = copy.now();
        clock.advance(Duration::days(8));
        let moved = copy.now() - before;
        assert!(moved >= Duration::days(8) && moved < Duration::days(8) + Duration::minutes(1));
    }

    #[test]
    #[should_panic(expected = "adjustable")]
    fn the_system_clock_cannot_be_moved() {
        Clock::system().advance(Duration::seconds(1));
    }
}
