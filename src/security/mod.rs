//! Security primitives every layer above may use: password hashing (argon2id off the async
//! executor), random tokens and their hashes, and throttling of failed attempts kept in the
//! database.
pub mod password;
pub mod throttle;
pub mod tokens;

/// Makes ring the process's TLS provider (SMTP, Stripe, PostgreSQL all use rustls). Called at
/// start; a second call (tests start many servers) changes nothing.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
