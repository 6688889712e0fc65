//! Progress of long CLI work: a bar on a terminal (indicatif), and on anything else — a log
//! file, CI, `docker logs` — a plain line at most every few seconds and one at the end, so a
//! captured run is readable and not a wall of carriage returns.

use std::{
    io::{IsTerminal, Write},
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressStyle};

/// How often the plain lines come, at most.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// Progress of `total` units of `what` ("movies").
#[derive(Debug)]
pub struct Progress {
    what: &'static str,
    total: u64,
    done: u64,
    started: Instant,
    shown: Instant,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar when standard error is a terminal, plain lines otherwise.
    pub fn new(what: &'static str, total: u64) -> Self {
        let terminal = std::io::stderr().is_terminal();
        Self::with_bar(what, total, terminal)
    }

    fn with_bar(what: &'static str, total: u64, terminal: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = ProgressBar::new(total);
            let template = format!(
                "{{spinner}} {{bar:40}} {{human_pos}}/{{human_len}} {what} {{percent}}% · \
                 {{per_sec}} · {{eta}} left {{msg}}"
            );
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Self {
            what,
            total,
            done: 0,
            started: now,
            shown: now,
            bar,
        }
    }

    /// `n` more units are done.
    pub fn advance(&mut self, n: u64) {
        self.done = self.done.saturating_add(n).min(self.total);
        match &self.bar {
            Some(bar) => bar.set_position(self.done),
            None if self.shown.elapsed() >= LINE_EVERY => {
                self.shown = Instant::now();
                self.line("");
            }
            None => {}
        }
    }

    /// What runs now that is not counted in units (building indexes, …).
    pub fn stage(&mut self, message: &'static str) {
        match &self.bar {
            Some(bar) => bar.set_message(message),
            None => self.line(&format!(", {message}")),
        }
    }

    /// The end: the bar is cleared, the plain output gets its last line.
    pub fn finish(self) {
        match &self.bar {
            Some(bar) => bar.finish_and_clear(),
            None => self.line(", done"),
        }
    }

    fn line(&self, suffix: &str) {
        let line = plain_line(
            self.what,
            self.done,
            self.total,
            self.started.elapsed(),
            suffix,
        );
        // Progress is a courtesy: a closed standard error must not stop the work.
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
}

/// `"30000/100000 movies (30%) in 12.3 s, ~28 s left\n"`.
fn plain_line(what: &str, done: u64, total: u64, elapsed: Duration, suffix: &str) -> String {
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    let secs = elapsed.as_secs_f64();
    let left = if done > 0 && done < total {
        format!(
            ", ~{:.0} s left",
            secs * (total - done) as f64 / done as f64
        )
    } else {
        String::new()
    };
    format!("{done}/{total} {what} ({percent}%) in {secs:.1} s{left}{suffix}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_say_how_far_and_how_long() {
        let line = plain_line("movies", 30_000, 100_000, Duration::from_secs(12), "");
        assert_eq!(line, "30000/100000 movies (30%) in 12.0 s, ~28 s left\n");
        let end = plain_line("movies", 0, 0, Duration::from_millis(50), ", done");
        assert_eq!(end, "0/0 movies (100%) in 0.1 s, done\n");
    }

    #[test]
    fn advancing_never_passes_the_total() {
        let mut progress = Progress::with_bar("movies", 10, false);
        progress.advance(7);
        progress.advance(7);
        assert_eq!(progress.done, 10);
    }
}
