//! Batch folders on disk: layout, crash-safe writes and the readable preview.
//!
//! ```text
//! <data dir>/<batch_id>/batch.json              metadata + all conversations; written last
//! <data dir>/<batch_id>/preview.txt             human-readable transcripts
//! <data dir>/<batch_id>/conversations/<id>.json one file per conversation
//! ```
//!
//! Every file goes to a temporary sibling, is synced, then renamed over its
//! final name, so a reader (or a crash) never sees half a file.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::conversation::{Batch, Conversation, Status};
use crate::escape::line;
use crate::prompt::{sha256_hex, value_text};

/// Name of a batch's metadata file.
pub const BATCH_JSON: &str = "batch.json";
/// Name of a batch's transcript file.
pub const PREVIEW_TXT: &str = "preview.txt";
/// Folder of a batch's conversation files.
pub const CONVERSATIONS_DIR: &str = "conversations";

/// The paths of one batch folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchDir {
    root: Utf8PathBuf,
}

impl BatchDir {
    /// The folder of `batch_id` inside `data_dir`.
    pub fn new(data_dir: &Utf8Path, batch_id: &str) -> Self {
        Self {
            root: data_dir.join(batch_id),
        }
    }

    /// The batch folder.
    pub fn root(&self) -> &Utf8Path {
        &self.root
    }

    /// `batch.json`.
    pub fn batch_json(&self) -> Utf8PathBuf {
        self.root.join(BATCH_JSON)
    }

    /// `preview.txt`.
    pub fn preview(&self) -> Utf8PathBuf {
        self.root.join(PREVIEW_TXT)
    }

    /// The conversations folder.
    pub fn conversations(&self) -> Utf8PathBuf {
        self.root.join(CONVERSATIONS_DIR)
    }

    /// One conversation's file.
    pub fn conversation(&self, conversation_id: &str) -> Utf8PathBuf {
        self.conversations().join(format!("{conversation_id}.json"))
    }

    /// Creates the folders; an existing one must be a real folder, not a
    /// symlink leading elsewhere (SPEC §6).
    pub fn create(&self) -> io::Result<()> {
        let check = || {
            for dir in [self.root.clone(), self.conversations()] {
                crate::regular_file::real_dir(&dir).map_err(|e| io::Error::other(e.to_string()))?;
            }
            Ok::<_, io::Error>(())
        };
        // Before: nothing is made through a planted symlink; after: nothing
        // was swapped in while the folders were made.
        check()?;
        fs::create_dir_all(self.conversations())?;
        check()
    }
}

/// A crash switch for fault-injection tests: with `CONVGEN_FAIL_AFTER_WRITES=N`
/// the process aborts (as `kill -9` would stop it) right after its N-th file
/// operation (a temporary file written, a rename, a synced file). Never set in
/// normal use; it exists so tests can crash at every point deterministically.
fn crash_point() {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static LIMIT: OnceLock<Option<u64>> = OnceLock::new();
    static DONE: AtomicU64 = AtomicU64::new(0);
    let limit = LIMIT.get_or_init(|| {
        std::env::var("CONVGEN_FAIL_AFTER_WRITES")
            .ok()
            .and_then(|v| v.trim().parse().ok())
    });
    if let Some(n) = limit
        && DONE.fetch_add(1, Ordering::SeqCst) + 1 >= *n
    {
        std::process::abort();
    }
}

/// How a prompt or script path is recorded in lineage (registry records,
/// conversations, `batch.json`): relative to the working directory, with
/// `../` steps when the file lies outside it, so that published artefacts
/// never carry a home or temporary folder. A relative path is kept as given
/// (it already is relative to the working directory).
pub fn recorded_path(path: &Utf8Path) -> Utf8PathBuf {
    if path.is_relative() {
        return path.to_owned();
    }
    let Some(cwd) = std::env::current_dir()
        .ok()
        .and_then(|d| Utf8PathBuf::from_path_buf(d).ok())
    else {
        return path.to_owned();
    };
    // Compare real folders (a symlinked temp or home folder still matches),
    // but keep the file's own name: a symlinked prompt keeps its name.
    let real = match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => dir
            .canonicalize_utf8()
            .map_or_else(|_| path.to_owned(), |d| d.join(name)),
        _ => path.to_owned(),
    };
    let base = cwd.canonicalize_utf8().unwrap_or(cwd);
    pathdiff::diff_utf8_paths(&real, &base).unwrap_or_else(|| path.to_owned())
}

/// The temporary sibling a file is written to before its rename.
pub fn temp_path(path: &Utf8Path) -> Utf8PathBuf {
    let name = path.file_name().unwrap_or("file");
    path.with_file_name(format!(".{name}.tmp"))
}

/// Writes `bytes` to `path` atomically: temp file, sync, rename.
pub fn write_atomic(path: &Utf8Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = crate::regular_file::create_new(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        crash_point();
        fs::rename(&tmp, path)?;
        crash_point();
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Syncs a directory, so the renames inside it survive a power loss.
pub fn sync_dir(dir: &Utf8Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Pretty JSON with a final newline: the on-disk form of every artefact.
pub fn to_json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    // Artefacts are plain data with string keys: serialising cannot fail.
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// A written file: its bytes' sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub sha256: String,
}

/// Serialises one conversation into its temporary file, unsynced: the batch
/// makes it durable and visible with [`commit_conversations`].
pub fn stage_conversation(dir: &BatchDir, conv: &Conversation) -> io::Result<Written> {
    let bytes = to_json_bytes(conv);
    let tmp = temp_path(&dir.conversation(&conv.conversation_id));
    crate::regular_file::create_new(&tmp)?.write_all(&bytes)?;
    crash_point();
    Ok(Written {
        sha256: sha256_hex(&bytes),
    })
}

/// Makes staged conversation files durable, then gives them their final names.
///
/// One filesystem sync for the whole batch replaces a hundred `fsync` calls
/// that would each force a journal commit; the renames happen only after it,
/// so a final name never points at unsynced bytes.
pub fn commit_conversations(dir: &BatchDir, ids: &[&str]) -> io::Result<()> {
    sync_filesystem(
        &dir.conversations(),
        ids.iter().map(|id| temp_path(&dir.conversation(id))),
    )?;
    for id in ids {
        let path = dir.conversation(id);
        fs::rename(temp_path(&path), &path)?;
        crash_point();
    }
    sync_dir(&dir.conversations())
}

/// Flushes the filesystem holding `dir` (Linux `syncfs`), or, elsewhere, each file.
fn sync_filesystem(dir: &Utf8Path, files: impl Iterator<Item = Utf8PathBuf>) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let _ = files;
        let handle = fs::File::open(dir)?;
        // SAFETY: syncfs only reads the descriptor, which `handle` keeps open.
        if unsafe { libc::syncfs(handle.as_raw_fd()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        for f in files {
            fs::File::open(&f)?.sync_all()?;
        }
        Ok(())
    }
}

/// Writes the preview, then `batch.json` last, and syncs the folders.
pub fn write_batch_files(dir: &BatchDir, batch: &Batch) -> io::Result<(Written, Written)> {
    let preview = render_preview(batch);
    write_atomic(&dir.preview(), preview.as_bytes())?;
    let json = to_json_bytes(batch);
    write_atomic(&dir.batch_json(), &json)?;
    sync_dir(dir.root())?;
    Ok((
        Written {
            sha256: sha256_hex(preview.as_bytes()),
        },
        Written {
            sha256: sha256_hex(&json),
        },
    ))
}

/// The clock part (`HH:MM:SS`) of an RFC 3339 timestamp.
fn clock(ts: &str) -> &str {
    ts.get(11..19).unwrap_or(ts)
}

/// Renders one conversation as a readable transcript (`preview.txt`,
/// `show`, `preview`): one line a turn, a variable line and a line an issue,
/// each with its control characters shown escaped (a newline in a turn as
/// `\n`), so that a model's or a script's text can neither forge a turn nor
/// drive a terminal. The conversation file keeps the exact text.
pub fn render_conversation(conv: &Conversation, out: &mut String) {
    let _ = writeln!(
        out,
        "{} · {}: {} · {}",
        conv.conversation_id,
        conv.scenario.id,
        line(&conv.scenario.title),
        conv.status.as_str()
    );
    if !conv.variables.is_empty() {
        let vars: Vec<String> = conv
            .variables
            .iter()
            .map(|(k, v)| format!("{k}={}", value_text(v)))
            .collect();
        let _ = writeln!(out, "variables: {}", line(&vars.join(", ")));
    }
    if let Some(first) = conv.turns.first().and_then(|t| t.timestamp.as_deref()) {
        let _ = writeln!(out, "started: {first}");
    }
    if conv.status == Status::Failed {
        for issue in &conv.issues {
            let _ = writeln!(out, "! {}", line(issue));
        }
    }
    let width = conv
        .roles
        .iter()
        .map(|r| r.chars().count())
        .max()
        .unwrap_or(0);
    out.push('\n');
    for turn in &conv.turns {
        match turn.timestamp.as_deref() {
            Some(ts) => {
                let _ = write!(out, "[{}] ", clock(ts));
            }
            None => {
                let _ = write!(out, "{:>3}. ", turn.index);
            }
        }
        let _ = writeln!(
            out,
            "{:<width$}  {}",
            line(&turn.role).as_ref(),
            line(&turn.text)
        );
    }
}

/// Renders the whole batch as `preview.txt`.
pub fn render_preview(batch: &Batch) -> String {
    let mut out = String::new();
    let origin = match (&batch.prompt, &batch.source) {
        (Some(p), _) => format!("prompt {} (revision {})", p.name, p.revision),
        (None, Some(s)) => format!("ingested from {} ({})", s.path, s.format),
        (None, None) => "no prompt".to_string(),
    };
    let _ = writeln!(
        out,
        "Batch {} · {} · {} · {} / {}",
        batch.batch_id,
        batch.run_id,
        line(&origin),
        batch.generator.provider,
        line(&batch.generator.model)
    );
    let _ = writeln!(
        out,
        "{} conversations: {} valid, {} failed · scenario mode {} · seed {}",
        batch.counts.requested,
        batch.counts.valid,
        batch.counts.failed,
        batch.scenario_mode.label(),
        batch.seed
    );
    for conv in &batch.conversations {
        out.push_str("\n══════════════════════════════════════════════════════════════════════\n");
        render_conversation(conv, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_paths_are_relative_to_the_working_directory() {
        let cwd = Utf8PathBuf::from_path_buf(std::env::current_dir().unwrap()).unwrap();
        assert_eq!(
            recorded_path(&cwd.join("prompts/call_center_es.md")),
            "prompts/call_center_es.md"
        );
        let outside = cwd.parent().unwrap().join("elsewhere.md");
        assert_eq!(recorded_path(&outside), "../elsewhere.md");
        assert_eq!(
            recorded_path(Utf8Path::new("scripts/x.lua")),
            "scripts/x.lua"
        );
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let path = root.join("x.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn atomic_write_into_missing_dir_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        assert!(write_atomic(&root.join("missing/x.json"), b"x").is_err());
    }

    #[test]
    fn staged_conversations_appear_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let batch = BatchDir::new(Utf8Path::from_path(dir.path()).unwrap(), "b-000001");
        batch.create().unwrap();
        let conv: Conversation = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "conversation_id": "b-000001-0001", "batch_id": "b-000001",
            "run_id": "run-000001", "index": 1,
            "prompt": {"id": "p@0", "name": "p", "version": null, "revision": 1, "sha256": "0"},
            "script": null, "scenario": {"id": "a", "title": "A"}, "variables": {},
            "language": "en", "roles": ["a", "b"],
            "generator": {"provider": "mock", "model": "m", "endpoint_host": null, "temperature": null, "seed": 1},
            "attempts": 1, "status": "valid", "issues": [],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0},
            "created_at": "2026-01-01T00:00:00Z", "turns": []
        }))
        .unwrap();
        let written = stage_conversation(&batch, &conv).unwrap();
        let path = batch.conversation("b-000001-0001");
        assert!(!path.exists(), "not visible before the commit");
        commit_conversations(&batch, &["b-000001-0001"]).unwrap();
        let bytes = fs::read(&path).unwrap();
        assert_eq!(sha256_hex(&bytes), written.sha256);
        assert!(!temp_path(&path).exists());
    }

    #[test]
    fn layout_is_as_specified() {
        let d = BatchDir::new(Utf8Path::new("batches"), "p-000001");
        assert_eq!(d.batch_json(), "batches/p-000001/batch.json");
        assert_eq!(d.preview(), "batches/p-000001/preview.txt");
        assert_eq!(
            d.conversation("p-000001-0001"),
            "batches/p-000001/conversations/p-000001-0001.json"
        );
        assert_eq!(
            temp_path(&d.batch_json()),
            "batches/p-000001/.batch.json.tmp"
        );
    }

    #[test]
    fn clock_takes_the_time_part() {
        assert_eq!(clock("2026-01-01T09:08:07.123Z"), "09:08:07");
        assert_eq!(clock("short"), "short");
    }
}
