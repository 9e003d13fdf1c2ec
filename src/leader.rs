//! Which replica runs the schedules (the daily arXiv sync): the one holding the `leader`
//! turn in the database. The leader renews it every few seconds; when it stops renewing
//! (killed, cut off), the turn expires and another replica takes it. A replica that stops
//! cleanly gives it back at once.

use crate::domain::{now_millis, random_hex};
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

const TURN: &str = "leader";

/// This replica's claim to lead.
pub struct Leadership {
    store: Arc<dyn Store>,
    holder: String,
    /// How long a claim lasts without renewal.
    lease: Duration,
    leading: watch::Sender<bool>,
}

impl Leadership {
    /// A claim that lasts `lease` unless renewed (renewed every third of it).
    pub fn new(store: Arc<dyn Store>, lease: Duration) -> Arc<Self> {
        Arc::new(Leadership {
            store,
            holder: random_hex(8),
            lease,
            leading: watch::channel(false).0,
        })
    }

    /// Whether this replica leads now.
    pub fn is_leader(&self) -> bool {
        *self.leading.borrow()
    }

    /// Waits until this replica leads.
    pub async fn until_leading(&self) {
        let mut rx = self.leading.subscribe();
        let _ = rx.wait_for(|leading| *leading).await;
    }

    /// Takes or renews the claim until `shutdown`, then gives it back.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(self.lease / 3);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {}
            }
            let now = now_millis();
            let until = now + self.lease.as_millis() as i64;
            let leading = match self.store.take_turn(TURN, &self.holder, now, until).await {
                Ok(leading) => leading,
                Err(e) => {
                    // Unable to renew: stop acting as leader before the claim can expire.
                    tracing::warn!(error = %e, "cannot renew the schedule leadership");
                    false
                }
            };
            if leading != self.is_leader() {
                if leading {
                    tracing::info!("this replica leads: it runs the arXiv sync");
                } else {
                    tracing::warn!("this replica no longer leads");
                }
                self.leading.send_replace(leading);
            }
        }
        if self.is_leader() {
            self.leading.send_replace(false);
            if let Err(e) = self.store.end_turn(TURN, &self.holder, 0).await {
                tracing::warn!(error = %e, "cannot give back the schedule leadership");
            }
        }
    }
}
