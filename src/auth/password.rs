//! argon2id password hashing (OWASP parameters: 19 MiB, 2 passes, 1 lane) on the blocking
//! thread pool, at most `hash_concurrency` at once. A request that cannot get a slot within
//! `hash_wait` (default one second) is told to come back (429) instead of queueing without
//! bound.
use std::{sync::Arc, time::Duration};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

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
    wait: Duration,
    /// Verified against when the user does not exist, so both cases take the same time.
    dummy_hash: Arc<String>,
}

impl Hasher {
    /// `wait`: how long a request may wait for a free slot before it is answered 429.
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        let dummy = hash_blocking("not-a-real-password-0f1e2d").expect("argon2 works");
        Self {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
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
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(|e| HashError::Failed(e.to_string()))
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
