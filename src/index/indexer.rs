//! The one thread that owns the tantivy writer: async code sends it work and awaits the answer.

use super::{IndexError, IndexResult, IndexWriter};
use std::sync::mpsc;
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce(&mut IndexWriter) + Send>;

/// A handle to the indexing thread. Tantivy's writes block (adding a document waits when
/// its indexing queue is full, a commit waits for the segments), so they run here and
/// never on the async runtime; nothing async runs while they hold the writer.
pub struct Indexer {
    jobs: mpsc::Sender<Job>,
    thread: JoinHandle<IndexResult<()>>,
}

impl Indexer {
    /// Starts the thread; it closes the writer once every handle is gone.
    pub fn spawn(mut writer: IndexWriter) -> IndexResult<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("papers-indexer".into())
            .spawn(move || {
                for job in queue {
                    job(&mut writer);
                }
                writer.close()
            })
            .map_err(IndexError::Thread)?;
        Ok(Indexer { jobs, thread })
    }

    /// Runs `work` on the indexing thread, after the work sent before it.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut IndexWriter) -> IndexResult<T> + Send + 'static,
    ) -> IndexResult<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |writer| {
            let _ = answer.send(work(writer));
        });
        self.jobs.send(job).map_err(|_| IndexError::WriterGone)?;
        // No answer means the work panicked and took the thread with it.
        answered.await.map_err(|_| IndexError::WriterGone)?
    }

    /// Lets the queued work finish, waits for merges and releases the index lock.
    pub async fn close(self) -> IndexResult<()> {
        let Indexer { jobs, thread } = self;
        drop(jobs);
        tokio::task::spawn_blocking(move || thread.join().map_err(|_| IndexError::WriterGone)?)
            .await?
    }
}
