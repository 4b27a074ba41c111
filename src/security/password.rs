//! argon2id password hashing (OWASP parameters: 19 MiB, 2 passes, 1 lane) on its own threads,
//! `hash_concurrency` of them, off the async executor. A request that cannot get a thread
//! within `hash_wait` (default one second) is told to come back (429) instead of queueing
//! without bound.
//!
//! The hashing threads run at the lowest normal scheduling priority (nice 19): when the
//! machine is busy, page views and API reads go first and hashing takes what is left, so a
//! burst of sign-ups or register-mode API calls cannot starve everyone else (bench/run.sh
//! measures the GET list's p99 while register mode runs flat out). Not `SCHED_IDLE`: that
//! could stop sign-ins altogether while the server is saturated.
use std::{
    sync::{mpsc, Arc, Mutex},
    time::Duration,
};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use tokio::sync::{oneshot, Semaphore};

type Job = Box<dyn FnOnce() + Send>;

/// How much lower than the rest of the server the hashing threads run (Linux `nice`).
const HASH_NICE: i32 = 19;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("too many password checks at once")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

#[derive(Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    jobs: mpsc::Sender<Job>,
    wait: Duration,
    /// Verified against when the user does not exist, so both cases take the same time.
    dummy_hash: Arc<String>,
}

impl Hasher {
    /// `wait`: how long a request may wait for a free slot before it is answered 429.
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        let dummy = hash_blocking("not-a-real-password-0f1e2d").expect("argon2 works");
        let concurrency = concurrency.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..concurrency {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    lower_priority();
                    // Ends when the last Hasher clone (the sender) is dropped.
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A panicking job drops its reply (the caller gets an error);
                            // the thread lives on for the next one.
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            Err(_) => return,
                        }
                    }
                })
                .expect("can start the password hashing threads");
        }
        Self {
            slots: Arc::new(Semaphore::new(concurrency)),
            jobs,
            wait,
            dummy_hash: Arc::new(dummy),
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = password.to_string();
        self.run(move || hash_blocking(&password)).await?
    }

    /// `hash` is `None` for an unknown user: a dummy hash is checked and `false` returned.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, HashError> {
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_string);
        let password = password.to_string();
        let ok = self.run(move || verify_blocking(&password, &hash)).await?;
        Ok(known && ok)
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let permit = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Busy)?;
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _permit = permit;
                let _ = tx.send(f());
            }))
            .map_err(|_| HashError::Failed("the hashing threads have stopped".into()))?;
        rx.await
            .map_err(|_| HashError::Failed("a hashing thread stopped mid-way".into()))
    }
}

/// Lowers the calling thread's scheduling priority (on Linux `nice` is per thread).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; `who = 0` is the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, HASH_NICE);
    }
}

pub fn hash_blocking(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError::Failed(e.to_string()))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let h = Hasher::new(2, Duration::from_secs(1));
        let hash = h.hash("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(h
            .verify("correct horse battery", Some(&hash))
            .await
            .unwrap());
        assert!(!h.verify("wrong horse battery", Some(&hash)).await.unwrap());
        assert!(!h.verify("correct horse battery", None).await.unwrap());
    }
}
