//! The lineage registry: prompts, runs, batches and conversations in one redb file.
//!
//! Every command reads and writes lineage through this module. redb lets one
//! process hold a database file open at a time, so each operation takes the
//! data dir's `registry.lock` (fslock, polled with a bounded wait), opens the
//! file, runs one transaction and closes it. Several convgen processes can
//! therefore share a data dir: they take turns for a few milliseconds each,
//! ids are allocated inside write transactions and never collide.
//!
//! Records are JSON values keyed by id; multimap tables index them by prompt,
//! run, status, scenario and time, so queries never scan the filesystem or the
//! whole registry.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use redb::{
    Database, MultimapTableDefinition, ReadTransaction, ReadableDatabase, ReadableMultimapTable,
    ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::conversation::{
    BatchStatus, Conversation, Counts, Origin, PromptRef, ScenarioMode, ScriptRef, SourceRef, Usage,
};
use crate::llm::EndpointStats;
use crate::prompt::Prompt;

/// Version of the registry's tables and records.
pub const REGISTRY_SCHEMA_VERSION: u64 = 1;
/// The registry's file name inside the data dir.
pub const REGISTRY_FILE: &str = "registry.redb";
/// The lock file that serialises access to the registry.
pub const LOCK_FILE: &str = "registry.lock";
/// The folder of run locks inside the data dir: `<run_id>.lock`, held by the
/// process working on that run.
pub const RUN_LOCKS_DIR: &str = "locks";
/// Why a run recorded `running` was found with no process working on it.
pub const DEAD_RUN_ERROR: &str =
    "the process working on it ended without recording an outcome (killed, or the machine stopped)";
/// How long to wait for a busy registry, unless `CONVGEN_LOCK_TIMEOUT` says otherwise.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const PROMPTS: TableDefinition<&str, &[u8]> = TableDefinition::new("prompts");
const PROMPT_SOURCES: TableDefinition<&str, &[u8]> = TableDefinition::new("prompt_sources");
const PROMPTS_BY_NAME: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("prompts_by_name");
const SCRIPTS: TableDefinition<&str, &[u8]> = TableDefinition::new("scripts");
const SCRIPT_SOURCES: TableDefinition<&str, &[u8]> = TableDefinition::new("script_sources");
const RUNS: TableDefinition<&str, &[u8]> = TableDefinition::new("runs");
const BATCHES: TableDefinition<&str, &[u8]> = TableDefinition::new("batches");
const BATCHES_BY_RUN: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("batches_by_run");
const BATCHES_BY_PROMPT: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("batches_by_prompt");
const BATCHES_BY_STATUS: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("batches_by_status");
const BATCHES_BY_TIME: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("batches_by_time");
const CONVERSATIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("conversations");
const CONVS_BY_BATCH: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("conversations_by_batch");
const CONVS_BY_RUN: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("conversations_by_run");
const CONVS_BY_SCENARIO: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("conversations_by_scenario");
const CONVS_BY_STATUS: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("conversations_by_status");

/// Why the registry could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(
        "registry busy: {path} is held by another convgen process (waited {waited_s:.1} s; set CONVGEN_LOCK_TIMEOUT to wait longer)"
    )]
    Busy { path: Utf8PathBuf, waited_s: f64 },
    #[error("cannot use the data dir {path}: {message}")]
    DataDir { path: Utf8PathBuf, message: String },
    #[error(
        "{path} is not a readable convgen registry ({message}); move it aside or use another --data-dir"
    )]
    Corrupt { path: Utf8PathBuf, message: String },
    #[error(
        "{path} has registry schema version {found}, newer than this convgen understands ({REGISTRY_SCHEMA_VERSION}); upgrade convgen"
    )]
    TooNew { path: Utf8PathBuf, found: u64 },
    #[error("registry {path}: {message}")]
    Storage { path: Utf8PathBuf, message: String },
    /// A record holds an id or path that cannot be used as one (SPEC §6).
    #[error(transparent)]
    Tampered(#[from] crate::data_path::Tampered),
    /// The registry file itself is not a regular file.
    #[error(transparent)]
    File(#[from] crate::regular_file::FileError),
    #[error("no {kind} `{id}` in the registry at {path}")]
    NotFound {
        kind: &'static str,
        id: String,
        path: Utf8PathBuf,
    },
}

/// A registered prompt version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptRecord {
    pub prompt_id: String,
    pub name: String,
    pub revision: u32,
    pub version: Option<String>,
    pub sha256: String,
    pub title: String,
    pub language: String,
    /// The file it was registered from, relative to the working directory
    /// of the command that registered it (`../` steps when outside it).
    pub path: String,
    pub scenarios: usize,
    pub registered_at: String,
}

impl PromptRecord {
    /// The reference conversations and batches carry.
    pub fn to_ref(&self) -> PromptRef {
        PromptRef {
            id: self.prompt_id.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            revision: self.revision,
            sha256: self.sha256.clone(),
        }
    }
}

/// A registered script version (content-addressed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptRecord {
    pub sha256: String,
    /// The path it was first registered from, relative to the working
    /// directory of the command that registered it (`../` steps when outside it).
    pub path: String,
    pub registered_at: String,
}

/// The state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Interrupted,
    Complete,
    Failed,
}

impl RunStatus {
    /// The name used in the registry and filters.
    pub fn as_str(&self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Complete => "complete",
            RunStatus::Failed => "failed",
        }
    }
}

/// What a run was asked to do: everything needed to redo it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub prompt_id: String,
    pub prompt_name: String,
    pub prompt_sha256: String,
    /// The script (its path relative to the working directory); `resume`
    /// reads it from there to tell whether it changed.
    pub script: Option<ScriptRef>,
    pub scenario_mode: ScenarioMode,
    pub total: u64,
    pub batch_size: u64,
    pub seed: u64,
    /// Base time of the simulated conversations (RFC 3339).
    pub start: String,
    pub provider: String,
    pub model: String,
    pub endpoint_host: Option<String>,
    pub temperature: Option<f64>,
    pub concurrency: u32,
    pub max_attempts: u32,
    /// The `[[endpoints]]` the run was spread over (none for the environment form).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<crate::llm::http::EndpointRecord>,
    /// `ingested` for a `convgen ingest` (then `prompt_name` is the batches'
    /// name, the prompt id and sha256 are empty and `source` is the file).
    #[serde(default, skip_serializing_if = "is_generated")]
    pub origin: Origin,
    /// The file an ingest read (`line` 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
}

impl RunConfig {
    /// What the run's conversations came from: its prompt id, or for an
    /// ingest the file it read (`ingested from calls.csv`).
    pub fn made_from(&self) -> String {
        match (&self.origin, &self.source) {
            (Origin::Ingested, Some(s)) => format!("ingested from {}", s.path),
            _ => self.prompt_id.clone(),
        }
    }
}

fn is_generated(o: &Origin) -> bool {
    *o == Origin::Generated
}

/// One prompt and script version a run used, and the batches it wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunVersion {
    pub prompt_id: String,
    pub prompt_sha256: String,
    pub script: Option<ScriptRef>,
    /// The batches written with this version (or left for it to write).
    pub batches: Vec<String>,
    /// When the run took this version up (RFC 3339).
    pub since: String,
}

/// What an id names in the registry ([`Registry::find`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// Boxed: a run record is much larger than the others.
    Run(Box<RunRecord>),
    Batch(BatchRecord),
    Conversation(ConversationRecord),
    /// Every revision of a prompt name, or the one a prompt id names.
    Prompts(Vec<PromptRecord>),
}

/// A run: its configuration, batches and outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    pub config: RunConfig,
    pub status: RunStatus,
    pub batches: Vec<String>,
    pub counts: Counts,
    pub usage: Usage,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// Why the run failed or stopped, when it did.
    pub error: Option<String>,
    /// What each endpoint did, summed over the processes that worked on the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<EndpointStats>,
    /// Every prompt and script version the run used, oldest first, once
    /// `resume --allow-changed` moved it to new files (empty while it used
    /// one). `config` holds the versions in use now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<RunVersion>,
}

/// Hashes of a written batch's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BatchFiles {
    pub batch_json_sha256: String,
    pub preview_sha256: String,
}

/// A batch: reserved by its run, then written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRecord {
    pub batch_id: String,
    pub run_id: String,
    pub batch_index: u32,
    pub prompt_id: String,
    pub prompt_name: String,
    /// The script version it was (or is to be) written with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<ScriptRef>,
    /// Index (in the run) of the batch's first conversation.
    pub first_index: u64,
    /// Conversations requested.
    pub size: u64,
    pub status: BatchStatus,
    pub counts: Counts,
    pub usage: Usage,
    /// Folder, relative to the data dir.
    pub path: String,
    pub files: Option<BatchFiles>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// A conversation as the registry knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationRecord {
    pub conversation_id: String,
    pub batch_id: String,
    pub run_id: String,
    pub index: u64,
    pub prompt_id: String,
    pub scenario_id: String,
    pub status: String,
    pub attempts: u32,
    pub turns: u32,
    pub issues: Vec<String>,
    pub usage: Usage,
    /// File, relative to the data dir.
    pub file: String,
    pub sha256: String,
}

impl ConversationRecord {
    /// The record of `conv`, written as `<batch_path>/conversations/<id>.json`
    /// with `sha256`; an ingested conversation has no prompt id.
    pub fn of(conv: &Conversation, batch_path: &str, sha256: String) -> Self {
        ConversationRecord {
            conversation_id: conv.conversation_id.clone(),
            batch_id: conv.batch_id.clone(),
            run_id: conv.run_id.clone(),
            index: conv.index,
            prompt_id: conv
                .prompt
                .as_ref()
                .map(|p| p.id.clone())
                .unwrap_or_default(),
            scenario_id: conv.scenario.id.clone(),
            status: conv.status.as_str().to_string(),
            attempts: conv.attempts,
            turns: conv.turns.len() as u32,
            issues: conv.issues.clone(),
            usage: conv.usage,
            file: format!(
                "{batch_path}/{}/{}.json",
                crate::artefact::CONVERSATIONS_DIR,
                conv.conversation_id
            ),
            sha256,
        }
    }
}

/// Filters for batch queries.
#[derive(Debug, Clone, Default)]
pub struct BatchFilter {
    /// Prompt name or prompt id.
    pub prompt: Option<String>,
    pub run: Option<String>,
    pub status: Option<String>,
    /// Created at or after (RFC 3339 or a date).
    pub since: Option<String>,
    /// Created before (RFC 3339 or a date).
    pub until: Option<String>,
}

/// Filters for conversation queries.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub batch: Option<String>,
    pub run: Option<String>,
    pub scenario: Option<String>,
    pub status: Option<String>,
}

/// Handle on a data dir's registry. Cheap: opens the file per operation.
#[derive(Debug, Clone)]
pub struct Registry {
    data_dir: Utf8PathBuf,
    db_path: Utf8PathBuf,
    lock_path: Utf8PathBuf,
    lock_timeout: Duration,
}

/// The lock around one registry operation; released on drop (the file
/// first, then the process's turn).
struct LockGuard {
    file: fslock::LockFile,
    _turn: Turn,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// A process's hold on one run, `<data dir>/locks/<run_id>.lock`: released
/// when dropped, and by the kernel when the process dies (even by `kill -9`),
/// so a run recorded `running` whose lock is free has no process left.
pub struct RunLock {
    file: fslock::LockFile,
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

impl std::fmt::Debug for RunLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunLock")
    }
}

/// Registry operations of this process take turns here before they take the
/// file lock (which is for other processes): a waiting thread wakes as soon
/// as the turn is free, where polling the file lock would sleep on.
struct Turns {
    busy: Mutex<bool>,
    freed: Condvar,
}

static TURNS: Turns = Turns {
    busy: Mutex::new(false),
    freed: Condvar::new(),
};

/// This thread's turn at the registry; the next waiter's when dropped.
struct Turn;

impl Turn {
    /// Waits at most `timeout` for the turn.
    fn take(timeout: Duration) -> Option<Turn> {
        let deadline = Instant::now() + timeout;
        let mut busy = TURNS.busy.lock().unwrap_or_else(|p| p.into_inner());
        while *busy {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            busy = TURNS
                .freed
                .wait_timeout(busy, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *busy = true;
        Some(Turn)
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        *TURNS.busy.lock().unwrap_or_else(|p| p.into_inner()) = false;
        TURNS.freed.notify_one();
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The wait for a busy registry that `CONVGEN_LOCK_TIMEOUT` asks for, in
/// seconds: the default when unset or not a number ≥ 0; at most a day, which
/// is "for ever" in practice (and `1e300` would overflow a `Duration`).
fn lock_timeout(value: Option<&str>) -> Duration {
    value
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| *s >= 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s.min(86_400.0)).ok())
        .unwrap_or(DEFAULT_LOCK_TIMEOUT)
}

/// A run id is checked before it names a lock file (SPEC §6).
fn check_run_id(run_id: &str) -> Result<(), crate::data_path::Tampered> {
    let record = format!("run {} in the registry", crate::data_path::shown(run_id));
    crate::data_path::check_id(&record, "run_id", run_id)
}

impl Registry {
    /// The registry of a data dir (nothing is opened yet).
    pub fn new(data_dir: &Utf8Path) -> Self {
        let lock_timeout = lock_timeout(std::env::var("CONVGEN_LOCK_TIMEOUT").ok().as_deref());
        Self {
            data_dir: data_dir.to_owned(),
            db_path: data_dir.join(REGISTRY_FILE),
            lock_path: data_dir.join(LOCK_FILE),
            lock_timeout,
        }
    }

    /// The registry file's path.
    pub fn path(&self) -> &Utf8Path {
        &self.db_path
    }

    /// The data dir.
    pub fn data_dir(&self) -> &Utf8Path {
        &self.data_dir
    }

    /// True when the registry file exists.
    pub fn exists(&self) -> bool {
        self.db_path.exists()
    }

    fn storage(&self, e: impl std::fmt::Display) -> RegistryError {
        RegistryError::Storage {
            path: self.db_path.clone(),
            message: e.to_string(),
        }
    }

    fn lock(&self) -> Result<LockGuard, RegistryError> {
        // A lock file is opened with O_CREAT: a symlink there would create
        // or open a file elsewhere.
        crate::regular_file::regular_or_absent(&self.lock_path)?;
        let mut file = fslock::LockFile::open(self.lock_path.as_std_path()).map_err(|e| {
            RegistryError::DataDir {
                path: self.data_dir.clone(),
                message: format!("cannot open {}: {e}", self.lock_path),
            }
        })?;
        let started = Instant::now();
        let busy = || RegistryError::Busy {
            path: self.db_path.clone(),
            waited_s: self.lock_timeout.as_secs_f64(),
        };
        let turn = Turn::take(self.lock_timeout).ok_or_else(busy)?;
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(true) => return Ok(LockGuard { file, _turn: turn }),
                Ok(false) => {}
                Err(e) => {
                    return Err(RegistryError::DataDir {
                        path: self.data_dir.clone(),
                        message: format!("cannot lock {}: {e}", self.lock_path),
                    });
                }
            }
            if started.elapsed() >= self.lock_timeout {
                return Err(busy());
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(25));
        }
    }

    /// The lock file of a run.
    pub fn run_lock_path(&self, run_id: &str) -> Utf8PathBuf {
        self.data_dir
            .join(RUN_LOCKS_DIR)
            .join(format!("{run_id}.lock"))
    }

    /// Takes a run's lock, or `None` when another process holds it. Callers
    /// hold the registry lock, so that a probe by `list` or `show` (which
    /// takes the run lock for an instant) never makes a run look busy to a
    /// process starting on it.
    fn try_lock_run_guarded(&self, run_id: &str) -> Result<Option<RunLock>, RegistryError> {
        check_run_id(run_id)?;
        let path = self.run_lock_path(run_id);
        let dir = self.data_dir.join(RUN_LOCKS_DIR);
        let fail = |e: std::io::Error| RegistryError::DataDir {
            path: self.data_dir.clone(),
            message: format!("cannot lock {path}: {e}"),
        };
        crate::regular_file::real_dir(&dir)?;
        std::fs::create_dir_all(&dir).map_err(fail)?;
        crate::regular_file::real_dir(&dir)?;
        crate::regular_file::regular_or_absent(&path)?;
        let mut file = fslock::LockFile::open(path.as_std_path()).map_err(fail)?;
        match file.try_lock() {
            Ok(true) => Ok(Some(RunLock { file })),
            Ok(false) => Ok(None),
            Err(e) => Err(fail(e)),
        }
    }

    /// Takes the lock of a run a process is about to work on; `None` when
    /// another process holds it.
    pub fn lock_run(&self, run_id: &str) -> Result<Option<RunLock>, RegistryError> {
        std::fs::create_dir_all(&self.data_dir).map_err(|e| RegistryError::DataDir {
            path: self.data_dir.clone(),
            message: e.to_string(),
        })?;
        let _guard = self.lock()?;
        self.try_lock_run_guarded(run_id)
    }

    /// True when a process holds the run's lock (under the registry lock).
    fn run_held(&self, run_id: &str) -> Result<bool, RegistryError> {
        check_run_id(run_id)?;
        if !self.run_lock_path(run_id).exists() {
            return Ok(false);
        }
        Ok(self.try_lock_run_guarded(run_id)?.is_none())
    }

    /// The registry file, when there, must be a regular file of the data
    /// dir: a FIFO would hang every command, a symlink lead elsewhere.
    fn check_file(&self) -> Result<(), RegistryError> {
        Ok(crate::regular_file::regular_or_absent(&self.db_path)?)
    }

    fn open_db(&self) -> Result<Database, RegistryError> {
        self.check_file()?;
        Database::create(self.db_path.as_std_path()).map_err(|e| match e {
            redb::DatabaseError::Storage(redb::StorageError::Io(io))
                if io.kind() != std::io::ErrorKind::InvalidData =>
            {
                RegistryError::Storage {
                    path: self.db_path.clone(),
                    message: io.to_string(),
                }
            }
            other => RegistryError::Corrupt {
                path: self.db_path.clone(),
                message: other.to_string(),
            },
        })
    }

    fn check_schema(&self, version: Option<u64>) -> Result<(), RegistryError> {
        match version {
            Some(v) if v > REGISTRY_SCHEMA_VERSION => Err(RegistryError::TooNew {
                path: self.db_path.clone(),
                found: v,
            }),
            Some(_) => Ok(()),
            None => Err(RegistryError::Corrupt {
                path: self.db_path.clone(),
                message: "it has no convgen schema version".into(),
            }),
        }
    }

    /// Runs `f` in one durable write transaction, creating the registry if needed.
    fn write<T>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        std::fs::create_dir_all(&self.data_dir).map_err(|e| RegistryError::DataDir {
            path: self.data_dir.clone(),
            message: e.to_string(),
        })?;
        let _guard = self.lock()?;
        let fresh = !self.db_path.exists()
            || std::fs::metadata(&self.db_path)
                .map(|m| m.len() == 0)
                .unwrap_or(false);
        let db = self.open_db()?;
        let txn = db.begin_write().map_err(|e| self.storage(e))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| self.storage(e))?;
            let version = meta
                .get("schema_version")
                .map_err(|e| self.storage(e))?
                .map(|v| v.value());
            match version {
                None if fresh || meta.len().map_err(|e| self.storage(e))? == 0 => {
                    meta.insert("schema_version", REGISTRY_SCHEMA_VERSION)
                        .map_err(|e| self.storage(e))?;
                }
                v => self.check_schema(v)?,
            }
        }
        create_tables(&txn).map_err(|e| self.storage(e))?;
        let out = f(&txn)?;
        txn.commit().map_err(|e| self.storage(e))?;
        Ok(out)
    }

    /// Runs `f` in a read transaction; `None` when there is no registry yet.
    fn read<T>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, RegistryError>,
    ) -> Result<Option<T>, RegistryError> {
        if !self.db_path.exists() {
            return Ok(None);
        }
        // A data dir on read-only storage (an archive, a read-only mount) can
        // still be listed and audited: no writer can exist there, so no lock is
        // needed, and redb opens the file read-only.
        self.check_file()?;
        let read_only = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.db_path)
            .is_err_and(|e| {
                matches!(
                    e.kind(),
                    std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
                )
            });
        let _guard = if read_only { None } else { Some(self.lock()?) };
        // The database must outlive its read transaction: once it is dropped,
        // reads fail with "closed".
        enum Opened {
            Normal(Database),
            ReadOnly(redb::ReadOnlyDatabase),
        }
        let db = if read_only {
            Opened::ReadOnly(
                redb::ReadOnlyDatabase::open(self.db_path.as_std_path()).map_err(|e| {
                    RegistryError::Corrupt {
                        path: self.db_path.clone(),
                        message: e.to_string(),
                    }
                })?,
            )
        } else {
            Opened::Normal(self.open_db()?)
        };
        let txn = match &db {
            Opened::Normal(d) => d.begin_read(),
            Opened::ReadOnly(d) => d.begin_read(),
        }
        .map_err(|e| self.storage(e))?;
        let version = match txn.open_table(META) {
            Ok(meta) => meta
                .get("schema_version")
                .map_err(|e| self.storage(e))?
                .map(|v| v.value()),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(self.storage(e)),
        };
        self.check_schema(version)?;
        f(&txn).map(Some)
    }

    /// Checks that the registry can be opened (or created) here.
    pub fn ensure(&self) -> Result<(), RegistryError> {
        self.write(|_| Ok(()))
    }

    /// Registers a prompt version (idempotent per sha256); also keeps its source.
    pub fn register_prompt(
        &self,
        prompt: &Prompt,
        source: &[u8],
    ) -> Result<PromptRecord, RegistryError> {
        let prompt_id = prompt_id(&prompt.name, &prompt.sha256);
        self.write(|txn| {
            let mut prompts = txn.open_table(PROMPTS).map_err(|e| self.storage(e))?;
            if let Some(existing) = prompts
                .get(prompt_id.as_str())
                .map_err(|e| self.storage(e))?
            {
                return self.decode(existing.value(), "prompt", &prompt_id);
            }
            let mut by_name = txn
                .open_multimap_table(PROMPTS_BY_NAME)
                .map_err(|e| self.storage(e))?;
            let revision = by_name
                .get(prompt.name.as_str())
                .map_err(|e| self.storage(e))?
                .count() as u32
                + 1;
            let record = PromptRecord {
                prompt_id: prompt_id.clone(),
                name: prompt.name.clone(),
                revision,
                version: prompt.version.clone(),
                sha256: prompt.sha256.clone(),
                title: prompt.title.clone(),
                language: prompt.language.clone(),
                path: prompt.path.to_string(),
                scenarios: prompt.scenarios.len(),
                registered_at: now(),
            };
            prompts
                .insert(prompt_id.as_str(), encode(&record).as_slice())
                .map_err(|e| self.storage(e))?;
            by_name
                .insert(prompt.name.as_str(), prompt_id.as_str())
                .map_err(|e| self.storage(e))?;
            let mut sources = txn
                .open_table(PROMPT_SOURCES)
                .map_err(|e| self.storage(e))?;
            sources
                .insert(prompt.sha256.as_str(), source)
                .map_err(|e| self.storage(e))?;
            Ok(record)
        })
    }

    /// Registers a script version (idempotent per sha256) and keeps its source.
    pub fn register_script(
        &self,
        path: &str,
        sha256: &str,
        source: &[u8],
    ) -> Result<ScriptRecord, RegistryError> {
        self.write(|txn| {
            let mut scripts = txn.open_table(SCRIPTS).map_err(|e| self.storage(e))?;
            if let Some(existing) = scripts.get(sha256).map_err(|e| self.storage(e))? {
                return self.decode(existing.value(), "script", sha256);
            }
            let record = ScriptRecord {
                sha256: sha256.to_string(),
                path: path.to_string(),
                registered_at: now(),
            };
            scripts
                .insert(sha256, encode(&record).as_slice())
                .map_err(|e| self.storage(e))?;
            let mut sources = txn
                .open_table(SCRIPT_SOURCES)
                .map_err(|e| self.storage(e))?;
            sources
                .insert(sha256, source)
                .map_err(|e| self.storage(e))?;
            Ok(record)
        })
    }

    /// The exact bytes of a registered script version.
    pub fn script_source(&self, sha256: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        self.source(SCRIPT_SOURCES, sha256)
    }

    /// Marks a run as running again (resume).
    pub fn reopen_run(&self, run_id: &str) -> Result<RunRecord, RegistryError> {
        self.write(|txn| {
            let mut runs = txn.open_table(RUNS).map_err(|e| self.storage(e))?;
            let mut run = self.run_in(&runs, run_id)?;
            run.status = RunStatus::Running;
            run.error = None;
            run.finished_at = None;
            runs.insert(run_id, encode(&run).as_slice())
                .map_err(|e| self.storage(e))?;
            Ok(run)
        })
    }

    /// Points a run at another provider and endpoints (`resume
    /// --endpoint-from-env`): later resumes go there; each conversation keeps
    /// the endpoint that wrote it.
    pub fn reroute_run(
        &self,
        run_id: &str,
        info: &crate::llm::GeneratorInfo,
        endpoints: Vec<crate::llm::http::EndpointRecord>,
    ) -> Result<RunRecord, RegistryError> {
        self.write(|txn| {
            let mut runs = txn.open_table(RUNS).map_err(|e| self.storage(e))?;
            let mut run = self.run_in(&runs, run_id)?;
            run.config.provider = info.provider.clone();
            run.config.model = info.model.clone();
            run.config.endpoint_host = info.endpoint_host.clone();
            run.config.endpoints = endpoints;
            runs.insert(run_id, encode(&run).as_slice())
                .map_err(|e| self.storage(e))?;
            Ok(run)
        })
    }

    /// Moves a run to a new prompt and script version (`resume
    /// --allow-changed`): its `pending` batches are to be written with it.
    /// The run keeps every version it used, with the batches each wrote.
    pub fn revise_run(
        &self,
        run_id: &str,
        prompt: &PromptRecord,
        script: Option<ScriptRef>,
        pending: &[String],
    ) -> Result<RunRecord, RegistryError> {
        self.write(|txn| {
            let mut runs = txn.open_table(RUNS).map_err(|e| self.storage(e))?;
            let mut run = self.run_in(&runs, run_id)?;
            if run.versions.is_empty() {
                run.versions.push(RunVersion {
                    prompt_id: run.config.prompt_id.clone(),
                    prompt_sha256: run.config.prompt_sha256.clone(),
                    script: run.config.script.clone(),
                    batches: run.batches.clone(),
                    since: run.created_at.clone(),
                });
            }
            for v in &mut run.versions {
                v.batches.retain(|b| !pending.contains(b));
            }
            run.versions.push(RunVersion {
                prompt_id: prompt.prompt_id.clone(),
                prompt_sha256: prompt.sha256.clone(),
                script: script.clone(),
                batches: pending.to_vec(),
                since: now(),
            });
            run.config.prompt_id = prompt.prompt_id.clone();
            run.config.prompt_sha256 = prompt.sha256.clone();
            run.config.script = script.clone();
            runs.insert(run_id, encode(&run).as_slice())
                .map_err(|e| self.storage(e))?;
            drop(runs);
            for id in pending {
                let old: BatchRecord = {
                    let table = txn.open_table(BATCHES).map_err(|e| self.storage(e))?;
                    let guard = table
                        .get(id.as_str())
                        .map_err(|e| self.storage(e))?
                        .ok_or_else(|| self.not_found("batch", id))?;
                    self.decode(guard.value(), "batch", id)?
                };
                let batch = BatchRecord {
                    prompt_id: prompt.prompt_id.clone(),
                    script: script.clone(),
                    ..old.clone()
                };
                self.put_batch(txn, &batch, Some(old.status))?;
            }
            Ok(run)
        })
    }

    /// Every registered script version, by path then time.
    pub fn scripts(&self) -> Result<Vec<ScriptRecord>, RegistryError> {
        let mut out: Vec<ScriptRecord> = self
            .read(|txn| self.all(txn, SCRIPTS, "script"))?
            .unwrap_or_default();
        out.sort_by(|a, b| {
            a.path
                .cmp(&b.path)
                .then(a.registered_at.cmp(&b.registered_at))
        });
        Ok(out)
    }

    /// Records a new run and reserves its batches (status pending). Returns
    /// the run, its batches and the run's lock, taken before the run is
    /// visible to anyone: no reader ever sees it `running` with a free lock.
    pub fn register_run(
        &self,
        config: RunConfig,
    ) -> Result<(RunRecord, Vec<BatchRecord>, RunLock), RegistryError> {
        self.write(|txn| {
            let mut meta = txn.open_table(META).map_err(|e| self.storage(e))?;
            let run_seq = meta
                .get("next_run")
                .map_err(|e| self.storage(e))?
                .map_or(1, |v| v.value());
            meta.insert("next_run", run_seq + 1)
                .map_err(|e| self.storage(e))?;
            let run_id = format!("run-{run_seq:06}");
            let lock = self.try_lock_run_guarded(&run_id)?.ok_or_else(|| {
                self.storage(format!(
                    "the lock of the new run {run_id} is held by another process"
                ))
            })?;
            let seq_key = format!("batch_seq/{}", config.prompt_name);
            let mut batch_seq = meta
                .get(seq_key.as_str())
                .map_err(|e| self.storage(e))?
                .map_or(1, |v| v.value());
            let created_at = now();
            let n_batches = config.total.div_ceil(config.batch_size.max(1));
            let mut batches = Vec::with_capacity(n_batches as usize);
            for b in 0..n_batches {
                let batch_id = format!("{}-{batch_seq:06}", config.prompt_name);
                batch_seq += 1;
                let first_index = b * config.batch_size + 1;
                let size = config.batch_size.min(config.total - b * config.batch_size);
                batches.push(BatchRecord {
                    batch_id: batch_id.clone(),
                    run_id: run_id.clone(),
                    batch_index: (b + 1) as u32,
                    prompt_id: config.prompt_id.clone(),
                    prompt_name: config.prompt_name.clone(),
                    script: config.script.clone(),
                    first_index,
                    size,
                    status: BatchStatus::Pending,
                    counts: Counts {
                        requested: size,
                        ..Counts::default()
                    },
                    usage: Usage::default(),
                    path: batch_id,
                    files: None,
                    created_at: created_at.clone(),
                    finished_at: None,
                });
            }
            meta.insert(seq_key.as_str(), batch_seq)
                .map_err(|e| self.storage(e))?;
            drop(meta);
            let run = RunRecord {
                run_id: run_id.clone(),
                status: RunStatus::Running,
                batches: batches.iter().map(|b| b.batch_id.clone()).collect(),
                counts: Counts {
                    requested: config.total,
                    ..Counts::default()
                },
                usage: Usage::default(),
                config,
                created_at,
                finished_at: None,
                error: None,
                endpoints: Vec::new(),
                versions: Vec::new(),
            };
            let mut runs = txn.open_table(RUNS).map_err(|e| self.storage(e))?;
            runs.insert(run_id.as_str(), encode(&run).as_slice())
                .map_err(|e| self.storage(e))?;
            for batch in &batches {
                self.put_batch(txn, batch, None)?;
            }
            Ok((run, batches, lock))
        })
    }

    /// Writes a batch record and keeps its indexes in step.
    fn put_batch(
        &self,
        txn: &WriteTransaction,
        batch: &BatchRecord,
        old_status: Option<BatchStatus>,
    ) -> Result<(), RegistryError> {
        let id = batch.batch_id.as_str();
        let mut table = txn.open_table(BATCHES).map_err(|e| self.storage(e))?;
        table
            .insert(id, encode(batch).as_slice())
            .map_err(|e| self.storage(e))?;
        let mut by_status = txn
            .open_multimap_table(BATCHES_BY_STATUS)
            .map_err(|e| self.storage(e))?;
        if let Some(old) = old_status {
            by_status
                .remove(old.as_str(), id)
                .map_err(|e| self.storage(e))?;
        } else {
            let mut by_run = txn
                .open_multimap_table(BATCHES_BY_RUN)
                .map_err(|e| self.storage(e))?;
            by_run
                .insert(batch.run_id.as_str(), id)
                .map_err(|e| self.storage(e))?;
            let mut by_prompt = txn
                .open_multimap_table(BATCHES_BY_PROMPT)
                .map_err(|e| self.storage(e))?;
            by_prompt
                .insert(batch.prompt_name.as_str(), id)
                .map_err(|e| self.storage(e))?;
            let mut by_time = txn
                .open_multimap_table(BATCHES_BY_TIME)
                .map_err(|e| self.storage(e))?;
            by_time
                .insert(batch.created_at.as_str(), id)
                .map_err(|e| self.storage(e))?;
        }
        by_status
            .insert(batch.status.as_str(), id)
            .map_err(|e| self.storage(e))?;
        Ok(())
    }

    /// Records a written batch and all its conversations in one transaction.
    pub fn register_conversations(
        &self,
        batch: &BatchRecord,
        conversations: &[ConversationRecord],
    ) -> Result<(), RegistryError> {
        self.write(|txn| {
            let old = {
                let table = txn.open_table(BATCHES).map_err(|e| self.storage(e))?;
                let existing = table
                    .get(batch.batch_id.as_str())
                    .map_err(|e| self.storage(e))?
                    .ok_or_else(|| self.not_found("batch", &batch.batch_id))?;
                let old: BatchRecord = self.decode(existing.value(), "batch", &batch.batch_id)?;
                old
            };
            self.put_batch(txn, batch, Some(old.status))?;
            let mut table = txn.open_table(CONVERSATIONS).map_err(|e| self.storage(e))?;
            let mut by_batch = txn
                .open_multimap_table(CONVS_BY_BATCH)
                .map_err(|e| self.storage(e))?;
            let mut by_run = txn
                .open_multimap_table(CONVS_BY_RUN)
                .map_err(|e| self.storage(e))?;
            let mut by_scenario = txn
                .open_multimap_table(CONVS_BY_SCENARIO)
                .map_err(|e| self.storage(e))?;
            let mut by_status = txn
                .open_multimap_table(CONVS_BY_STATUS)
                .map_err(|e| self.storage(e))?;
            for c in conversations {
                let id = c.conversation_id.as_str();
                if let Some(previous) = table
                    .insert(id, encode(c).as_slice())
                    .map_err(|e| self.storage(e))?
                {
                    // Re-registration (resume): drop the old record's index entries.
                    let prev: ConversationRecord =
                        self.decode(previous.value(), "conversation", id)?;
                    drop(previous);
                    by_scenario
                        .remove(prev.scenario_id.as_str(), id)
                        .map_err(|e| self.storage(e))?;
                    by_status
                        .remove(prev.status.as_str(), id)
                        .map_err(|e| self.storage(e))?;
                }
                by_batch
                    .insert(c.batch_id.as_str(), id)
                    .map_err(|e| self.storage(e))?;
                by_run
                    .insert(c.run_id.as_str(), id)
                    .map_err(|e| self.storage(e))?;
                by_scenario
                    .insert(c.scenario_id.as_str(), id)
                    .map_err(|e| self.storage(e))?;
                by_status
                    .insert(c.status.as_str(), id)
                    .map_err(|e| self.storage(e))?;
            }
            Ok(())
        })
    }

    /// Records a run's outcome.
    pub fn finish_run(
        &self,
        run_id: &str,
        status: RunStatus,
        error: Option<String>,
        endpoints: &[EndpointStats],
    ) -> Result<RunRecord, RegistryError> {
        self.write(|txn| {
            let mut runs = txn.open_table(RUNS).map_err(|e| self.storage(e))?;
            let mut run = self.run_in(&runs, run_id)?;
            self.sum_batches(txn, &mut run)?;
            run.status = status;
            run.error = error;
            run.finished_at = Some(now());
            for e in endpoints {
                match run.endpoints.iter_mut().find(|r| r.name == e.name) {
                    Some(r) => r.add(e),
                    None => run.endpoints.push(e.clone()),
                }
            }
            runs.insert(run_id, encode(&run).as_slice())
                .map_err(|e| self.storage(e))?;
            Ok(run)
        })
    }

    /// Sets a run's counts and usage to the sum of its written batches.
    fn sum_batches(
        &self,
        txn: &WriteTransaction,
        run: &mut RunRecord,
    ) -> Result<(), RegistryError> {
        let batches = txn.open_table(BATCHES).map_err(|e| self.storage(e))?;
        let mut counts = Counts {
            requested: run.config.total,
            ..Counts::default()
        };
        let mut usage = Usage::default();
        for id in &run.batches {
            if let Some(guard) = batches.get(id.as_str()).map_err(|e| self.storage(e))? {
                let b: BatchRecord = self.decode(guard.value(), "batch", id)?;
                counts.valid += b.counts.valid;
                counts.failed += b.counts.failed;
                usage.add(b.usage);
            }
        }
        run.counts = counts;
        run.usage = usage;
        Ok(())
    }

    /// A run as it stands: one recorded `running` whose lock no process holds
    /// (killed with `kill -9`, crashed, the machine stopped) is recorded
    /// `interrupted` with the counts of the batches it registered.
    pub fn settle_run(&self, run_id: &str) -> Result<RunRecord, RegistryError> {
        self.write(|txn| {
            let mut runs = txn.open_table(RUNS).map_err(|e| self.storage(e))?;
            let mut run = self.run_in(&runs, run_id)?;
            // Both looked at under the registry lock: a process finishing the
            // run records its outcome before it lets the run lock go.
            if run.status != RunStatus::Running || self.run_held(run_id)? {
                return Ok(run);
            }
            self.sum_batches(txn, &mut run)?;
            run.status = RunStatus::Interrupted;
            run.error = Some(DEAD_RUN_ERROR.to_string());
            runs.insert(run_id, encode(&run).as_slice())
                .map_err(|e| self.storage(e))?;
            Ok(run)
        })
    }

    /// A run record inside a write transaction.
    fn run_in(
        &self,
        runs: &redb::Table<&str, &[u8]>,
        run_id: &str,
    ) -> Result<RunRecord, RegistryError> {
        let guard = runs
            .get(run_id)
            .map_err(|e| self.storage(e))?
            .ok_or_else(|| self.not_found("run", run_id))?;
        self.decode(guard.value(), "run", run_id)
    }

    fn not_found(&self, kind: &'static str, id: &str) -> RegistryError {
        RegistryError::NotFound {
            kind,
            id: id.to_string(),
            path: self.db_path.clone(),
        }
    }

    fn decode<T: DeserializeOwned>(
        &self,
        bytes: &[u8],
        kind: &str,
        id: &str,
    ) -> Result<T, RegistryError> {
        serde_json::from_slice(bytes).map_err(|e| RegistryError::Corrupt {
            path: self.db_path.clone(),
            message: format!("the {kind} record `{id}` is unreadable: {e}"),
        })
    }

    fn get_record<T: DeserializeOwned>(
        &self,
        txn: &ReadTransaction,
        table: TableDefinition<&str, &[u8]>,
        kind: &'static str,
        id: &str,
    ) -> Result<Option<T>, RegistryError> {
        let t = txn.open_table(table).map_err(|e| self.storage(e))?;
        match t.get(id).map_err(|e| self.storage(e))? {
            Some(g) => self.decode(g.value(), kind, id).map(Some),
            None => Ok(None),
        }
    }

    fn records_for<T: DeserializeOwned>(
        &self,
        txn: &ReadTransaction,
        table: TableDefinition<&str, &[u8]>,
        kind: &'static str,
        ids: &[String],
    ) -> Result<Vec<T>, RegistryError> {
        let t = txn.open_table(table).map_err(|e| self.storage(e))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(g) = t.get(id.as_str()).map_err(|e| self.storage(e))? {
                out.push(self.decode(g.value(), kind, id)?);
            }
        }
        Ok(out)
    }

    fn index_ids(
        &self,
        txn: &ReadTransaction,
        index: MultimapTableDefinition<&str, &str>,
        key: &str,
    ) -> Result<Vec<String>, RegistryError> {
        let t = txn
            .open_multimap_table(index)
            .map_err(|e| self.storage(e))?;
        let mut out = Vec::new();
        for v in t.get(key).map_err(|e| self.storage(e))? {
            out.push(v.map_err(|e| self.storage(e))?.value().to_string());
        }
        Ok(out)
    }

    fn all<T: DeserializeOwned>(
        &self,
        txn: &ReadTransaction,
        table: TableDefinition<&str, &[u8]>,
        kind: &'static str,
    ) -> Result<Vec<T>, RegistryError> {
        let t = txn.open_table(table).map_err(|e| self.storage(e))?;
        let mut out = Vec::new();
        for item in t.iter().map_err(|e| self.storage(e))? {
            let (k, v) = item.map_err(|e| self.storage(e))?;
            out.push(self.decode(v.value(), kind, k.value())?);
        }
        Ok(out)
    }

    /// What an id names (`convgen show`): a run, a batch, a conversation, or
    /// a prompt id or name (every registered revision), tried in that order.
    pub fn find(&self, id: &str) -> Result<Option<Found>, RegistryError> {
        if let Some(run) = self.run(id)? {
            return Ok(Some(Found::Run(Box::new(run))));
        }
        if let Some(batch) = self.batch(id)? {
            return Ok(Some(Found::Batch(batch)));
        }
        if let Some(conv) = self.conversation(id)? {
            return Ok(Some(Found::Conversation(conv)));
        }
        let prompts: Vec<_> = self
            .prompts()?
            .into_iter()
            .filter(|p| p.prompt_id == id || p.name == id)
            .collect();
        Ok((!prompts.is_empty()).then_some(Found::Prompts(prompts)))
    }

    /// Every registered prompt version, by name then revision.
    pub fn prompts(&self) -> Result<Vec<PromptRecord>, RegistryError> {
        let mut out: Vec<PromptRecord> = self
            .read(|txn| self.all(txn, PROMPTS, "prompt"))?
            .unwrap_or_default();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.revision.cmp(&b.revision)));
        Ok(out)
    }

    /// One prompt version by id.
    pub fn prompt(&self, prompt_id: &str) -> Result<Option<PromptRecord>, RegistryError> {
        Ok(self
            .read(|txn| self.get_record(txn, PROMPTS, "prompt", prompt_id))?
            .flatten())
    }

    /// The exact bytes of a registered prompt version.
    pub fn prompt_source(&self, sha256: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        self.source(PROMPT_SOURCES, sha256)
    }

    /// Bytes stored by sha256 in a sources table.
    fn source(
        &self,
        table: TableDefinition<&str, &[u8]>,
        sha256: &str,
    ) -> Result<Option<Vec<u8>>, RegistryError> {
        Ok(self
            .read(|txn| {
                let t = txn.open_table(table).map_err(|e| self.storage(e))?;
                Ok(t.get(sha256)
                    .map_err(|e| self.storage(e))?
                    .map(|g| g.value().to_vec()))
            })?
            .flatten())
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>, RegistryError> {
        Ok(self
            .read(|txn| self.all(txn, RUNS, "run"))?
            .unwrap_or_default())
    }

    /// One run by id.
    pub fn run(&self, run_id: &str) -> Result<Option<RunRecord>, RegistryError> {
        Ok(self
            .read(|txn| self.get_record(txn, RUNS, "run", run_id))?
            .flatten())
    }

    /// One batch by id.
    pub fn batch(&self, batch_id: &str) -> Result<Option<BatchRecord>, RegistryError> {
        Ok(self
            .read(|txn| self.get_record(txn, BATCHES, "batch", batch_id))?
            .flatten())
    }

    /// Batches matching a filter, in id order (allocation order within a prompt).
    pub fn batches(&self, filter: &BatchFilter) -> Result<Vec<BatchRecord>, RegistryError> {
        let out = self.read(|txn| {
            // Narrow with the most selective index the filter names.
            let ids: Option<Vec<String>> = if let Some(run) = &filter.run {
                Some(self.index_ids(txn, BATCHES_BY_RUN, run)?)
            } else if let Some(prompt) = &filter.prompt {
                let name = prompt.split('@').next().unwrap_or(prompt);
                Some(self.index_ids(txn, BATCHES_BY_PROMPT, name)?)
            } else if let Some(status) = &filter.status {
                Some(self.index_ids(txn, BATCHES_BY_STATUS, status)?)
            } else if filter.since.is_some() || filter.until.is_some() {
                let t = txn
                    .open_multimap_table(BATCHES_BY_TIME)
                    .map_err(|e| self.storage(e))?;
                let lo = filter.since.clone().unwrap_or_default();
                let hi = filter.until.clone().unwrap_or_else(|| "\u{10ffff}".into());
                let mut ids = Vec::new();
                for item in t
                    .range(lo.as_str()..hi.as_str())
                    .map_err(|e| self.storage(e))?
                {
                    let (_, values) = item.map_err(|e| self.storage(e))?;
                    for v in values {
                        ids.push(v.map_err(|e| self.storage(e))?.value().to_string());
                    }
                }
                Some(ids)
            } else {
                None
            };
            let records: Vec<BatchRecord> = match ids {
                Some(ids) => self.records_for(txn, BATCHES, "batch", &ids)?,
                None => self.all(txn, BATCHES, "batch")?,
            };
            Ok(records
                .into_iter()
                .filter(|b| batch_matches(b, filter))
                .collect::<Vec<_>>())
        })?;
        let mut out = out.unwrap_or_default();
        out.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.batch_id.cmp(&b.batch_id))
        });
        Ok(out)
    }

    /// One conversation by id.
    pub fn conversation(
        &self,
        conversation_id: &str,
    ) -> Result<Option<ConversationRecord>, RegistryError> {
        Ok(self
            .read(|txn| self.get_record(txn, CONVERSATIONS, "conversation", conversation_id))?
            .flatten())
    }

    /// Conversations matching a filter, in id order.
    pub fn conversations(
        &self,
        filter: &ConversationFilter,
    ) -> Result<Vec<ConversationRecord>, RegistryError> {
        let out = self.read(|txn| {
            let ids: Option<Vec<String>> = if let Some(batch) = &filter.batch {
                Some(self.index_ids(txn, CONVS_BY_BATCH, batch)?)
            } else if let Some(run) = &filter.run {
                Some(self.index_ids(txn, CONVS_BY_RUN, run)?)
            } else if let Some(scenario) = &filter.scenario {
                Some(self.index_ids(txn, CONVS_BY_SCENARIO, scenario)?)
            } else if let Some(status) = &filter.status {
                Some(self.index_ids(txn, CONVS_BY_STATUS, status)?)
            } else {
                None
            };
            let records: Vec<ConversationRecord> = match ids {
                Some(ids) => self.records_for(txn, CONVERSATIONS, "conversation", &ids)?,
                None => self.all(txn, CONVERSATIONS, "conversation")?,
            };
            Ok(records
                .into_iter()
                .filter(|c| {
                    filter.batch.as_ref().is_none_or(|b| &c.batch_id == b)
                        && filter.run.as_ref().is_none_or(|r| &c.run_id == r)
                        && filter.scenario.as_ref().is_none_or(|s| &c.scenario_id == s)
                        && filter.status.as_ref().is_none_or(|s| &c.status == s)
                })
                .collect::<Vec<_>>())
        })?;
        Ok(out.unwrap_or_default())
    }
}

fn batch_matches(b: &BatchRecord, f: &BatchFilter) -> bool {
    f.run.as_ref().is_none_or(|r| &b.run_id == r)
        && f.prompt
            .as_ref()
            .is_none_or(|p| &b.prompt_name == p || &b.prompt_id == p)
        && f.status.as_ref().is_none_or(|s| b.status.as_str() == s)
        && f.since
            .as_ref()
            .is_none_or(|s| b.created_at.as_str() >= s.as_str())
        && f.until
            .as_ref()
            .is_none_or(|u| b.created_at.as_str() < u.as_str())
}

/// The id of a prompt version: `<name>@<first 12 hex digits of its sha256>`.
pub fn prompt_id(name: &str, sha256: &str) -> String {
    format!("{name}@{}", &sha256[..12.min(sha256.len())])
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Records are plain data (strings, numbers, maps with string keys): serialising cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

fn create_tables(txn: &WriteTransaction) -> Result<(), redb::TableError> {
    for t in [
        PROMPTS,
        PROMPT_SOURCES,
        SCRIPTS,
        SCRIPT_SOURCES,
        RUNS,
        BATCHES,
        CONVERSATIONS,
    ] {
        txn.open_table(t)?;
    }
    for t in [
        PROMPTS_BY_NAME,
        BATCHES_BY_RUN,
        BATCHES_BY_PROMPT,
        BATCHES_BY_STATUS,
        BATCHES_BY_TIME,
        CONVS_BY_BATCH,
        CONVS_BY_RUN,
        CONVS_BY_SCENARIO,
        CONVS_BY_STATUS,
    ] {
        txn.open_multimap_table(t)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn threads_take_turns_one_at_a_time() {
        let inside = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50 {
                        let turn = Turn::take(Duration::from_secs(10)).expect("a turn");
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two at once");
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                        drop(turn);
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(done.load(Ordering::SeqCst), 400);
    }

    #[test]
    fn a_turn_held_too_long_times_the_next_one_out() {
        let held = Turn::take(Duration::from_secs(10)).expect("a turn");
        let began = Instant::now();
        let waited = std::thread::scope(|s| {
            s.spawn(|| Turn::take(Duration::from_millis(100)).is_none())
                .join()
                .unwrap()
        });
        assert!(waited, "the second taker gave up");
        assert!(began.elapsed() >= Duration::from_millis(100));
        drop(held);
        assert!(Turn::take(Duration::from_secs(5)).is_some());
    }

    #[test]
    fn lock_timeouts_from_the_environment_never_overflow() {
        assert_eq!(lock_timeout(Some("2.5")), Duration::from_millis(2500));
        assert_eq!(lock_timeout(Some("1e300")), Duration::from_secs(86_400));
        assert_eq!(lock_timeout(Some("1e19")), Duration::from_secs(86_400));
        for bad in ["-1", "NaN", "inf", "", "soon"] {
            let t = lock_timeout(Some(bad));
            assert!(
                t == DEFAULT_LOCK_TIMEOUT || t == Duration::from_secs(86_400),
                "{bad}"
            );
        }
        assert_eq!(lock_timeout(None), DEFAULT_LOCK_TIMEOUT);
    }

    proptest::proptest! {
        #[test]
        fn no_lock_timeout_panics(s in "\\PC{0,12}", f in proptest::num::f64::ANY) {
            let _ = lock_timeout(Some(&s));
            let _ = lock_timeout(Some(&f.to_string()));
            let _ = lock_timeout(Some(&format!("{f:e}")));
        }
    }
}
