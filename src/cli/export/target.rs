//! Where an export goes: stdout, or a file written to a hidden temporary
//! file beside it, synced and renamed only when the export is complete, so
//! a stopped export (a tampered file, a full disk) leaves nothing behind.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use camino::{Utf8Path, Utf8PathBuf};

use crate::export::select::{Query, Selected};
use crate::export::{self, ExportError, Options};
use crate::registry::Registry;

/// A writer that counts the bytes through it and notes a closed pipe
/// (`convgen export … | head` ends quietly).
pub(super) struct Counting<W> {
    inner: W,
    bytes: u64,
    closed: Arc<AtomicBool>,
}

impl<W: Write> Counting<W> {
    fn new(inner: W, closed: &Arc<AtomicBool>) -> Self {
        Self {
            inner,
            bytes: 0,
            closed: closed.clone(),
        }
    }

    fn note(&self, r: io::Result<usize>) -> io::Result<usize> {
        if let Err(e) = &r
            && e.kind() == io::ErrorKind::BrokenPipe
        {
            self.closed.store(true, Ordering::Relaxed);
        }
        r
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.inner.write(buf);
        let n = self.note(r)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        let r = self.inner.flush().map(|_| 0);
        self.note(r).map(|_| ())
    }
}

/// Removes the temporary file unless the export completed.
struct TempFile {
    path: Utf8PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

pub(super) fn export_to_stdout(
    registry: &Registry,
    selected: &Selected,
    query: &Query,
    opts: &Options,
    closed: &Arc<AtomicBool>,
    tick: &mut dyn FnMut(),
) -> Result<(export::Written, u64), ExportError> {
    let out = Counting::new(io::BufWriter::new(io::stdout()), closed);
    let (written, mut out) = export::export(registry, selected, query, opts, out, tick)?;
    out.flush().map_err(|e| ExportError::Write(e.to_string()))?;
    Ok((written, out.bytes))
}

pub(super) fn export_to_file(
    registry: &Registry,
    selected: &Selected,
    query: &Query,
    opts: &Options,
    path: &Utf8Path,
    tick: &mut dyn FnMut(),
) -> Result<(export::Written, u64), ExportError> {
    let fail = |e: io::Error| ExportError::Write(format!("{path}: {e}"));
    if path.is_dir() {
        return Err(ExportError::Write(format!(
            "{path}: is a directory; name a file"
        )));
    }
    let mut tmp = TempFile {
        path: export::temp_out(path),
        keep: false,
    };
    let file = std::fs::File::create(&tmp.path).map_err(fail)?;
    let out = Counting::new(io::BufWriter::new(file), &Arc::new(AtomicBool::new(false)));
    let (written, out) = export::export(registry, selected, query, opts, out, tick)?;
    let bytes = out.bytes;
    let file = out.inner.into_inner().map_err(|e| fail(e.into_error()))?;
    file.sync_all().map_err(fail)?;
    drop(file);
    std::fs::rename(&tmp.path, path).map_err(fail)?;
    tmp.keep = true;
    Ok((written, bytes))
}
