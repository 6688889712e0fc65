//! Which catalog versions a cache has applied: every version up to a watermark, plus the ones
//! above it applied out of order (this process's writes commit and apply concurrently).

use std::collections::BTreeSet;

#[derive(Debug, Default)]
pub(super) struct Applied {
    /// Every version up to this one is applied.
    through: i64,
    /// Versions above `through` that are applied too.
    above: BTreeSet<i64>,
}

impl Applied {
    pub(super) fn add(&mut self, version: i64) {
        if version > self.through {
            self.above.insert(version);
            self.settle();
        }
    }

    /// Every version up to `version` counts as applied.
    pub(super) fn through(&mut self, version: i64) {
        if version > self.through {
            self.through = version;
            self.above.retain(|v| *v > version);
            self.settle();
        }
    }

    /// Whether a version up to `version` is not applied.
    pub(super) fn missing_up_to(&self, version: i64) -> bool {
        // Settled: `through + 1` is never applied.
        version > self.through
    }

    fn settle(&mut self) {
        while self.above.first() == Some(&(self.through + 1)) {
            self.above.pop_first();
            self.through += 1;
        }
    }
}
