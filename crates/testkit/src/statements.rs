//! Counting the statements a connection runs, to hold code to its round-trip budget.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use sea_orm::DatabaseConnection;

/// How many statements the connection has run since [`StatementCount::on`] (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct StatementCount(Arc<AtomicUsize>);

impl StatementCount {
    /// Starts counting every statement `db` runs (its clones count too).
    pub fn on(db: &mut DatabaseConnection) -> Self {
        let count = Self::default();
        let counter = count.0.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        count
    }

    /// Statements so far.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Statements `work` ran, and its output.
    pub async fn during<T>(&self, work: impl std::future::Future<Output = T>) -> (usize, T) {
        let before = self.get();
        let output = work.await;
        (self.get() - before, output)
    }
}
