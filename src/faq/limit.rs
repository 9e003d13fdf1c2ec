//! A per-client cap on new FAQ generations in a fixed hourly window (cached FAQs are free).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(3600);
/// Clients remembered before expired windows are swept.
const SWEEP_AT: usize = 10_000;

pub struct ClientLimiter {
    per_window: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl ClientLimiter {
    /// `per_hour` generations per client; 0 is unlimited.
    pub fn new(per_hour: u32) -> Self {
        ClientLimiter {
            per_window: per_hour,
            windows: Mutex::default(),
        }
    }

    /// Counts one generation for `client`, or says in how many seconds it may have another.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        if self.per_window == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut windows = self.windows.lock().expect("not poisoned");
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, used) = windows.entry(client).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *used = 0;
        }
        if *used >= self.per_window {
            return Err((WINDOW - now.duration_since(*start)).as_secs().max(1));
        }
        *used += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_gets_its_own_allowance() {
        let limiter = ClientLimiter::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_ok());
        let wait = limiter.check(a).unwrap_err();
        assert!(wait > 3500 && wait <= 3600, "{wait}");
        assert!(limiter.check(b).is_ok());
        let unlimited = ClientLimiter::new(0);
        assert!((0..100).all(|_| unlimited.check(a).is_ok()));
    }
}
