//! The run log: what scripts `print` or `log`, on stderr and in `<data dir>/run.log`.
//!
//! Script output never goes to stdout, so `--json` stays machine-readable.
//! Every entry is one line: control characters in what a script logs (a
//! newline, `\r`, terminal escapes) are shown escaped ([`crate::escape::line`]),
//! so a script can neither forge an entry nor drive the terminal.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use camino::{Utf8Path, Utf8PathBuf};

use crate::escape;
use crate::script::sandbox::LogSink;

/// Appends script log lines to `run.log` (opened on the first line) and echoes them.
///
/// `run.log` must be a regular file of its own: a symlink, FIFO or hard link
/// planted at its name is never written through (SPEC §6); the run goes on
/// and says once, on stderr, that lines are not kept.
pub struct RunLog {
    path: Utf8PathBuf,
    file: Mutex<Option<std::fs::File>>,
    echo: bool,
    run_id: Mutex<String>,
    /// Set once `run.log` was refused (said once, not per line).
    refused: AtomicBool,
}

impl RunLog {
    /// A log for the data dir; `echo` also prints lines on stderr.
    pub fn new(data_dir: &Utf8Path, echo: bool) -> Self {
        Self {
            path: data_dir.join("run.log"),
            file: Mutex::new(None),
            echo,
            run_id: Mutex::new("-".into()),
            refused: AtomicBool::new(false),
        }
    }

    /// Tags the following lines with a run id.
    pub fn set_run(&self, run_id: &str) {
        if let Ok(mut r) = self.run_id.lock() {
            *r = run_id.to_string();
        }
    }

    /// The log file's path.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }
}

impl LogSink for RunLog {
    fn log(&self, level: &str, origin: &str, message: &str) {
        let run = self.run_id.lock().map(|r| r.clone()).unwrap_or_default();
        let (origin, message) = (escape::line(origin), escape::line(message));
        if self.echo {
            eprintln!("[{level}] {origin}: {message}");
        }
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if file.is_none() && !self.refused.load(Ordering::SeqCst) {
            let _ = std::fs::create_dir_all(self.path.parent().unwrap_or(Utf8Path::new(".")));
            match crate::regular_file::append(&self.path) {
                Ok(f) => *file = Some(f),
                Err(e) if !self.refused.swap(true, Ordering::SeqCst) => {
                    eprintln!("warning: script log lines are not kept: {e}");
                }
                Err(_) => {}
            }
        }
        if let Some(f) = file.as_mut() {
            // A log line that cannot be written must not stop the run.
            let _ = writeln!(f, "{now} {run} [{level}] {origin}: {message}");
        }
    }
}

/// Script lines on stderr only (`check`, `preview`, the menu), one escaped
/// line each, like the run log's.
pub struct StderrLog;

impl LogSink for StderrLog {
    fn log(&self, level: &str, origin: &str, message: &str) {
        eprintln!(
            "[{level}] {}: {}",
            escape::line(origin),
            escape::line(message)
        );
    }
}
