//! Admin sessions kept server-side: random ids with an expiry, revoked at logout; and a
//! per-address limit on failed logins.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a login lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(24 * 3600);
/// Sessions kept at most; past it the oldest go first.
const MAX_SESSIONS: usize = 1_000;
/// Failed logins one address may make per window before it must wait.
const MAX_FAILURES: u32 = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct Sessions {
    /// Session id to its expiry.
    live: Mutex<HashMap<String, Instant>>,
}

impl Sessions {
    /// A new session's id: 32 random bytes as hex.
    pub fn start(&self) -> String {
        let id = crate::domain::random_hex(32);
        let now = Instant::now();
        let mut live = self.live.lock().expect("not poisoned");
        live.retain(|_, expires| *expires > now);
        if live.len() >= MAX_SESSIONS
            && let Some(oldest) = live.iter().min_by_key(|(_, e)| **e).map(|(k, _)| k.clone())
        {
            live.remove(&oldest);
        }
        live.insert(id.clone(), now + SESSION_TTL);
        id
    }

    /// Whether `id` is a session that has not expired or ended.
    pub fn valid(&self, id: &str) -> bool {
        let live = self.live.lock().expect("not poisoned");
        live.get(id)
            .is_some_and(|expires| *expires > Instant::now())
    }

    pub fn end(&self, id: &str) {
        self.live.lock().expect("not poisoned").remove(id);
    }
}

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LoginLimiter {
    /// Seconds `client` must wait before trying again, if it failed too often lately.
    pub fn wait(&self, client: IpAddr) -> Option<u64> {
        let failures = self.failures.lock().expect("not poisoned");
        let (since, count) = failures.get(&client)?;
        let elapsed = since.elapsed();
        (*count >= MAX_FAILURES && elapsed < FAILURE_WINDOW)
            .then(|| (FAILURE_WINDOW - elapsed).as_secs().max(1))
    }

    pub fn failed(&self, client: IpAddr) {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("not poisoned");
        failures.retain(|_, (since, _)| now.duration_since(*since) < FAILURE_WINDOW);
        let (since, count) = failures.entry(client).or_insert((now, 0));
        if now.duration_since(*since) >= FAILURE_WINDOW {
            *since = now;
            *count = 0;
        }
        *count += 1;
    }

    pub fn succeeded(&self, client: IpAddr) {
        self.failures.lock().expect("not poisoned").remove(&client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_random_and_end_at_logout() {
        let sessions = Sessions::default();
        let (a, b) = (sessions.start(), sessions.start());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert!(sessions.valid(&a) && sessions.valid(&b));
        sessions.end(&a);
        assert!(!sessions.valid(&a) && sessions.valid(&b));
        assert!(!sessions.valid("made-up"));
    }

    #[test]
    fn repeated_failures_make_an_address_wait() {
        let limiter = LoginLimiter::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..MAX_FAILURES {
            assert_eq!(limiter.wait(a), None);
            limiter.failed(a);
        }
        assert!(limiter.wait(a).is_some_and(|s| (1..=60).contains(&s)));
        assert_eq!(limiter.wait(b), None, "another address is not held up");
        limiter.succeeded(a);
        assert_eq!(limiter.wait(a), None);
    }
}
