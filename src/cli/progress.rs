//! The progress a run shows on stderr.

use std::io::IsTerminal;

use camino::Utf8Path;

use crate::cli::AtomicBool;
use crate::cli::output::{Say, rate, thousands};
use crate::conversation::Conversation;
use crate::generate::Observer;
use crate::llm::Generator;
use crate::registry::BatchRecord;

/// Shows a run's progress on stderr: a live bar on a terminal (conversations,
/// batches, rate, ETA, failures, tokens) and a line per finished batch.
pub(super) struct BatchLines<'a> {
    pub(super) say: Say,
    /// Its pacing line and notices go with the progress.
    pub(super) generator: &'a dyn Generator,
    pub(super) bar: Option<indicatif::ProgressBar>,
    pub(super) batches: usize,
    pub(super) done_batches: std::sync::atomic::AtomicUsize,
    pub(super) failed: std::sync::atomic::AtomicU64,
    pub(super) tokens: std::sync::atomic::AtomicU64,
    pub(super) ticks: std::sync::atomic::AtomicU64,
}

impl<'a> BatchLines<'a> {
    /// Progress for `total` conversations in `batches` batches; the bar only on
    /// a terminal and without `--quiet`.
    pub(super) fn new(
        quiet: bool,
        total: u64,
        batches: usize,
        generator: &'a dyn Generator,
    ) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total);
            let style = indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} conversations · {msg} · {rate} · ETA {eta}",
            )
            .map(|s| {
                s.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = w.write_str(&rate(state.per_sec()));
                    },
                )
            })
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(format!("batches 0/{batches}"));
            bar
        });
        Self {
            say: Say { quiet },
            generator,
            bar,
            batches,
            done_batches: Default::default(),
            failed: Default::default(),
            tokens: Default::default(),
            ticks: Default::default(),
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    pub(super) fn message(&self) -> String {
        use std::sync::atomic::Ordering::Relaxed;
        let mut m = format!(
            "batches {}/{} · {} failed · {} tokens",
            self.done_batches.load(Relaxed),
            self.batches,
            self.failed.load(Relaxed),
            thousands(self.tokens.load(Relaxed))
        );
        if let Some(status) = self.generator.status() {
            m.push_str(" · ");
            m.push_str(&status);
        }
        m
    }

    /// Prints the generator's notices and refreshes the pacing figures.
    pub(super) fn tick(&self) {
        for notice in self.generator.take_notices() {
            match &self.bar {
                Some(bar) => bar.println(format!("  {}", crate::escape::line(&notice))),
                None => self.say.line(format!("  {notice}")),
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_message(self.message());
        }
    }

    /// Runs `work`, ticking four times a second while it goes.
    pub(super) fn around<T>(&self, work: impl FnOnce() -> T) -> T {
        let done = AtomicBool::new(false);
        let result = std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    if self.bar.is_some() || !self.generator.local() {
                        self.tick_every(5);
                    }
                }
            });
            let result = work();
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            result
        });
        self.tick();
        result
    }

    /// Ticks on every `n`-th call.
    pub(super) fn tick_every(&self, n: u64) {
        if self
            .ticks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .is_multiple_of(n)
        {
            self.tick();
        }
    }
}

impl Observer for BatchLines<'_> {
    fn conversation_done(&self, conv: &Conversation) {
        use std::sync::atomic::Ordering::Relaxed;
        self.tokens.fetch_add(conv.usage.total(), Relaxed);
        if conv.status == crate::conversation::Status::Failed {
            self.failed.fetch_add(1, Relaxed);
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(self.message());
        }
    }

    fn batch_done(&self, batch: &BatchRecord, path: &Utf8Path) {
        self.done_batches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let line = format!(
            "  {}: {} conversations ({} valid, {} failed) -> {}",
            batch.batch_id, batch.counts.requested, batch.counts.valid, batch.counts.failed, path
        );
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.set_message(self.message());
            }
            None => self.say.line(line),
        }
    }
}
