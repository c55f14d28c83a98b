//! Writing an ingested file: one run (`run-…`) per file, its batches
//! (`<name>-000001`…) reserved by the registry, each batch's files written
//! as generate writes them (conversations staged then committed, preview,
//! `batch.json` last) and registered with the source as lineage.

use camino::{Utf8Path, Utf8PathBuf};
use chrono::Utc;

use super::Format;
use super::columns::ColumnMap;
use super::conversation::{conversation, source_ref};
use super::roles::RoleMap;
use super::source::{Scan, SourceError, reopen};
use crate::artefact::{self, BatchDir};
use crate::conversation::{
    Batch, BatchGenerator, BatchStatus, Conversation, Counts, Origin, SCHEMA_VERSION, ScenarioMode,
    Status, Usage,
};
use crate::registry::{
    BatchFiles, BatchRecord, ConversationRecord, Registry, RegistryError, RunConfig, RunRecord,
    RunStatus,
};

/// What to ingest and how.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The file, as given.
    pub path: Utf8PathBuf,
    /// The file as recorded (relative to the working directory).
    pub recorded: String,
    pub format: Format,
    pub columns: ColumnMap,
    pub roles: Option<RoleMap>,
    /// The batches' name (`<name>-000001`).
    pub name: String,
    pub batch_size: u64,
}

/// Why an ingest stopped part-way.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("{path}: cannot be written: {message}")]
    Write { path: Utf8PathBuf, message: String },
}

/// An ingest done: the run and its written batches (with their folders).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub run: RunRecord,
    pub batches: Vec<(BatchRecord, Utf8PathBuf)>,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The written batches of earlier ingests of a file with this sha256.
pub fn already_ingested(registry: &Registry, sha256: &str) -> Result<Vec<String>, RegistryError> {
    let mut out = Vec::new();
    for run in registry.runs()? {
        if run
            .config
            .source
            .as_ref()
            .is_some_and(|s| s.sha256 == sha256)
        {
            for id in &run.batches {
                if registry
                    .batch(id)?
                    .is_some_and(|b| b.status != BatchStatus::Pending)
                {
                    out.push(id.clone());
                }
            }
        }
    }
    Ok(out)
}

fn write_err(path: &Utf8Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Write {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// Writes and registers every batch of a scanned file; `tick` is called
/// once per conversation written.
pub fn ingest(
    registry: &Registry,
    plan: &Plan,
    scan: &Scan,
    tick: &mut dyn FnMut(&Conversation),
) -> Result<Outcome, StoreError> {
    let config = RunConfig {
        prompt_id: String::new(),
        prompt_name: plan.name.clone(),
        prompt_sha256: String::new(),
        script: None,
        scenario_mode: ScenarioMode::Ingested,
        total: scan.conversations,
        batch_size: plan.batch_size.max(1),
        seed: 0,
        start: now(),
        provider: "ingest".into(),
        model: plan.format.as_str().into(),
        endpoint_host: None,
        temperature: None,
        concurrency: 1,
        max_attempts: 1,
        endpoints: Vec::new(),
        origin: Origin::Ingested,
        source: Some(source_ref(plan, &scan.sha256, 0, None)),
    };
    let (run, batches, _lock) = registry.register_run(config)?;
    let result = write_batches(registry, plan, scan, &batches, tick);
    let (status, error) = match &result {
        Ok(_) => (RunStatus::Complete, None),
        Err(e) => (RunStatus::Failed, Some(e.to_string())),
    };
    let run = registry.finish_run(&run.run_id, status, error, &[])?;
    Ok(Outcome {
        run,
        batches: result?,
    })
}

fn write_batches(
    registry: &Registry,
    plan: &Plan,
    scan: &Scan,
    batches: &[BatchRecord],
    tick: &mut dyn FnMut(&Conversation),
) -> Result<Vec<(BatchRecord, Utf8PathBuf)>, StoreError> {
    let mut source = reopen(&plan.path, plan.format, &plan.columns, scan)?;
    let mut out = Vec::with_capacity(batches.len());
    for batch in batches {
        let started_at = now();
        let dir = BatchDir::new(registry.data_dir(), &batch.path);
        dir.create().map_err(write_err(dir.root()))?;
        let mut conversations = Vec::with_capacity(batch.size as usize);
        let mut records = Vec::with_capacity(batch.size as usize);
        let mut counts = Counts {
            requested: batch.size,
            ..Counts::default()
        };
        for n in 1..=batch.size {
            let Some(raw) = source.next_conversation()? else {
                return Err(SourceError::Changed {
                    path: plan.path.clone(),
                }
                .into());
            };
            let conv = conversation(plan, &scan.sha256, raw, batch, n);
            let written = artefact::stage_conversation(&dir, &conv)
                .map_err(write_err(&dir.conversations()))?;
            match conv.status {
                Status::Valid => counts.valid += 1,
                Status::Failed => counts.failed += 1,
            }
            records.push(ConversationRecord::of(&conv, &batch.path, written.sha256));
            tick(&conv);
            conversations.push(conv);
        }
        let ids: Vec<&str> = conversations
            .iter()
            .map(|c| c.conversation_id.as_str())
            .collect();
        artefact::commit_conversations(&dir, &ids).map_err(write_err(&dir.conversations()))?;
        let status = BatchStatus::from_counts(counts.valid, counts.failed);
        let finished_at = now();
        let file = Batch {
            schema_version: SCHEMA_VERSION,
            batch_id: batch.batch_id.clone(),
            run_id: batch.run_id.clone(),
            batch_index: batch.batch_index,
            prompt: None,
            source: Some(source_ref(plan, &scan.sha256, 0, None)),
            script: None,
            scenario_mode: ScenarioMode::Ingested,
            generator: BatchGenerator {
                provider: "ingest".into(),
                model: plan.format.as_str().into(),
                endpoint_host: None,
                temperature: None,
            },
            seed: 0,
            started_at,
            finished_at: finished_at.clone(),
            status,
            counts,
            usage: Usage::default(),
            conversations,
        };
        let (preview, json) =
            artefact::write_batch_files(&dir, &file).map_err(write_err(dir.root()))?;
        let record = BatchRecord {
            status,
            counts,
            files: Some(BatchFiles {
                batch_json_sha256: json.sha256,
                preview_sha256: preview.sha256,
            }),
            finished_at: Some(finished_at),
            ..batch.clone()
        };
        registry.register_conversations(&record, &records)?;
        out.push((record, dir.root().to_owned()));
    }
    if source.next_conversation()?.is_some() || source.finish() != scan.sha256 {
        return Err(SourceError::Changed {
            path: plan.path.clone(),
        }
        .into());
    }
    Ok(out)
}
