//! Progress for long runs: a bar with rate and ETA on a terminal, log lines elsewhere.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Seconds between log lines when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// `12345/s`: the bar's rate without indicatif's decimals.
fn rate(state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write) {
    let _ = write!(out, "{:.0}/s", state.per_sec());
}

/// Counts work done. Clones share one counter.
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
    inner: Arc<Inner>,
}

struct Inner {
    label: &'static str,
    done: AtomicU64,
    started: Instant,
    last_log_ms: AtomicU64,
}

impl Progress {
    /// `total` is the amount expected when known (drawn as a bar with an ETA).
    pub fn new(label: &'static str, total: Option<u64>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(n) => ProgressBar::new(n).with_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:30}] {human_pos}/{human_len} {rate} eta {eta}",
                    )
                    .expect("valid template")
                    .with_key("rate", rate)
                    .progress_chars("=> "),
                ),
                None => ProgressBar::new_spinner().with_style(
                    ProgressStyle::with_template("{spinner} {msg} {human_pos} {rate} {elapsed}")
                        .expect("valid template")
                        .with_key("rate", rate),
                ),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
            bar.set_message(label);
            bar
        });
        Progress {
            bar,
            inner: Arc::new(Inner {
                label,
                done: AtomicU64::new(0),
                started: Instant::now(),
                last_log_ms: AtomicU64::new(0),
            }),
        }
    }

    pub fn advance(&self, n: u64) {
        let done = self.inner.done.fetch_add(n, Ordering::Relaxed) + n;
        match &self.bar {
            Some(bar) => bar.inc(n),
            None => self.maybe_log(done),
        }
    }

    /// Changes the expected total (when it is an estimate that firms up).
    pub fn set_length(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total.max(self.done()));
        }
    }

    pub fn done(&self) -> u64 {
        self.inner.done.load(Ordering::Relaxed)
    }

    pub fn elapsed(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// Removes the bar; what it counted stays readable.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn maybe_log(&self, done: u64) {
        let now_ms = self.inner.started.elapsed().as_millis() as u64;
        let last = self.inner.last_log_ms.load(Ordering::Relaxed);
        if now_ms.saturating_sub(last) < LOG_EVERY.as_millis() as u64 {
            return;
        }
        if self
            .inner
            .last_log_ms
            .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            let rate = done as f64 / self.inner.started.elapsed().as_secs_f64().max(1e-3);
            tracing::info!(done, rate = format!("{rate:.0}/s"), "{}", self.inner.label);
        }
    }
}
