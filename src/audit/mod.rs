//! Audit: do the registry and the files agree, and does every conversation
//! still pass the checks it passed when it was written? (SPEC §7)
//!
//! The registry is the reference: it holds the sha256 of every file it
//! registered and the exact source of every prompt version, so an audit can
//! tell an edited, missing or extra file apart from a genuine one without
//! trusting anything on disk.

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8Path;
use serde::Serialize;

use crate::artefact;
use crate::conversation::{Batch, BatchStatus, Conversation, Origin, SourceRef, Status};
use crate::prompt::{self, Prompt};
use crate::registry::{BatchRecord, ConversationFilter, Registry, RegistryError};
use crate::regular_file;
use crate::{data_path, validate};

mod collector;
pub mod ingested;
pub mod report;

use collector::Collector;

/// Why an audit could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The QA script failed.
    #[error("{0}")]
    Script(String),
}

/// Called for every conversation whose file matches the registry.
pub type Visitor<'a> = dyn FnMut(&Conversation, &Prompt) -> Result<(), String> + 'a;

/// One thing an audit found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub batch_id: String,
    /// The conversation at fault, when it is one.
    pub conversation_id: Option<String>,
    /// The file at fault, relative to the data dir, when it is one.
    pub file: Option<String>,
    /// A short machine-readable kind: `missing_file`, `sha256_mismatch`…
    pub kind: &'static str,
    pub message: String,
}

/// The audit of one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchAudit {
    pub batch_id: String,
    pub run_id: String,
    pub status: String,
    /// Conversations checked.
    pub conversations: u64,
    /// Conversations recorded as failed at generation time (not findings).
    pub recorded_failed: u64,
    pub findings: Vec<Finding>,
    /// Set when the batch was not audited, and why (e.g. still pending).
    pub skipped: Option<String>,
    /// Conversations not handed to the visitor (the QA script), and why:
    /// their file is missing, modified or unreadable, or their prompt unknown.
    #[serde(skip)]
    pub not_visited: Vec<NotVisited>,
}

/// A conversation the visitor did not see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotVisited {
    pub conversation_id: String,
    pub reason: String,
}

/// Caches parsed prompt versions from the registry across batches.
#[derive(Default)]
pub struct PromptCache {
    prompts: BTreeMap<String, Option<Prompt>>,
}

impl PromptCache {
    /// The registered prompt version `prompt_id`, parsed from its stored source.
    fn get(
        &mut self,
        registry: &Registry,
        prompt_id: &str,
    ) -> Result<Option<&Prompt>, RegistryError> {
        if !self.prompts.contains_key(prompt_id) {
            let parsed = match registry.prompt(prompt_id)? {
                Some(record) => registry
                    .prompt_source(&record.sha256)?
                    .and_then(|bytes| prompt::parse(Utf8Path::new(&record.path), &bytes).ok()),
                None => None,
            };
            self.prompts.insert(prompt_id.to_string(), parsed);
        }
        Ok(self.prompts.get(prompt_id).and_then(Option::as_ref))
    }
}

/// Audits one registered batch against its files.
pub fn audit_batch(
    registry: &Registry,
    batch: &BatchRecord,
    prompts: &mut PromptCache,
    visit: &mut Visitor,
) -> Result<BatchAudit, AuditError> {
    let mut report = BatchAudit {
        batch_id: batch.batch_id.clone(),
        run_id: batch.run_id.clone(),
        status: batch.status.as_str().to_string(),
        conversations: 0,
        recorded_failed: 0,
        findings: Vec::new(),
        skipped: None,
        not_visited: Vec::new(),
    };
    if batch.status == BatchStatus::Pending {
        report.skipped =
            Some("pending: not written yet (its run is running or was interrupted)".into());
        return Ok(report);
    }
    let data_dir = registry.data_dir();
    let mut out = Collector {
        batch_id: &batch.batch_id,
        findings: Vec::new(),
    };
    let rel = |p: &Utf8Path| p.strip_prefix(data_dir).unwrap_or(p).to_owned();
    // A tampered path is a finding; nothing outside the data dir is read.
    let dir = match data_path::batch_folder(data_dir, batch) {
        Ok(dir) => dir,
        Err(e) => {
            out.add("unsafe_path", None, None, e.to_string());
            report.findings = out.findings;
            return Ok(report);
        }
    };
    let folder = match regular_file::real_dir(dir.root()) {
        Ok(true) => regular_file::real_dir(&dir.conversations()).map(|_| true),
        other => other,
    };
    if !matches!(folder, Ok(true)) {
        let (kind, message) = match folder {
            Err(e) => ("not_regular_file", e.to_string()),
            Ok(_) => (
                "missing_folder",
                format!("batch folder {} is missing", dir.root()),
            ),
        };
        out.add(kind, None, Some(&batch.path), message);
        report.findings = out.findings;
        return Ok(report);
    }

    let registered = registry.conversations(&ConversationFilter {
        batch: Some(batch.batch_id.clone()),
        ..ConversationFilter::default()
    })?;
    let files = batch.files.clone().unwrap_or_default();

    // batch.json: present, untouched, and telling the same story as the registry.
    let batch_json = dir.batch_json();
    if let Some((bytes, _)) = out.read_registered(
        (data_dir, &rel(&batch_json)),
        None,
        regular_file::MAX_BATCH_FILE_BYTES,
        &files.batch_json_sha256,
    ) {
        match serde_json::from_slice::<Batch>(&bytes) {
            Err(e) => out.add(
                "unreadable_file",
                None,
                Some(rel(&batch_json).as_str()),
                format!("{batch_json} is not a valid batch file: {e}"),
            ),
            Ok(b) => {
                let mut disagree = Vec::new();
                if b.batch_id != batch.batch_id {
                    disagree.push(format!("batch_id `{}`", b.batch_id));
                }
                if b.run_id != batch.run_id {
                    disagree.push(format!("run_id `{}`", b.run_id));
                }
                if b.status != batch.status {
                    disagree.push(format!("status `{}`", b.status.as_str()));
                }
                if b.counts != batch.counts {
                    disagree.push(format!(
                        "counts {}/{}/{}",
                        b.counts.requested, b.counts.valid, b.counts.failed
                    ));
                }
                let ids: Vec<&str> = b
                    .conversations
                    .iter()
                    .map(|c| c.conversation_id.as_str())
                    .collect();
                let reg_ids: Vec<&str> = registered
                    .iter()
                    .map(|c| c.conversation_id.as_str())
                    .collect();
                if ids != reg_ids {
                    disagree.push(format!(
                        "{} conversations listed where the registry has {}",
                        ids.len(),
                        reg_ids.len()
                    ));
                }
                if !disagree.is_empty() {
                    out.add(
                        "registry_mismatch",
                        None,
                        Some(rel(&batch_json).as_str()),
                        format!(
                            "{batch_json} disagrees with the registry: {}",
                            disagree.join(", ")
                        ),
                    );
                }
            }
        }
    }

    let preview = dir.preview();
    out.read_registered(
        (data_dir, &rel(&preview)),
        None,
        regular_file::MAX_BATCH_FILE_BYTES,
        &files.preview_sha256,
    );

    // Every registered conversation: present, untouched, still valid.
    let mut expected: BTreeSet<String> = BTreeSet::new();
    // The file an ingested batch's run read, looked up once.
    let mut run_source: Option<Option<SourceRef>> = None;
    for record in &registered {
        report.conversations += 1;
        let id = Some(record.conversation_id.as_str());
        let mut not_visited = |reason: &str| {
            report.not_visited.push(NotVisited {
                conversation_id: record.conversation_id.clone(),
                reason: reason.to_string(),
            })
        };
        let path = match data_path::conversation_file(data_dir, record) {
            Ok(path) => path,
            Err(e) => {
                not_visited("its registry record is not usable (unsafe_path)");
                out.add("unsafe_path", id, None, e.to_string());
                continue;
            }
        };
        expected.insert(path.file_name().unwrap_or_default().to_string());
        let Some((bytes, untouched)) = out.read_registered(
            (data_dir, Utf8Path::new(&record.file)),
            id,
            regular_file::MAX_CONVERSATION_BYTES,
            &record.sha256,
        ) else {
            not_visited(
                "its file cannot be read (missing_file, not_regular_file or file_too_large)",
            );
            continue;
        };
        let conv: Conversation = match serde_json::from_slice(&bytes) {
            Ok(c) => c,
            Err(e) => {
                not_visited("its file is not a valid conversation file (unreadable_file)");
                out.add(
                    "unreadable_file",
                    id,
                    Some(&record.file),
                    format!("{path} is not a valid conversation file: {e}"),
                );
                continue;
            }
        };
        if conv.conversation_id != record.conversation_id || conv.batch_id != record.batch_id {
            out.add(
                "registry_mismatch",
                id,
                Some(&record.file),
                format!(
                    "{path} holds conversation `{}` of batch `{}`",
                    conv.conversation_id, conv.batch_id
                ),
            );
        }
        if conv.status.as_str() != record.status {
            out.add(
                "registry_mismatch",
                id,
                Some(&record.file),
                format!(
                    "{path} says status `{}`, the registry `{}`",
                    conv.status.as_str(),
                    record.status
                ),
            );
        }
        if conv.origin == Origin::Ingested {
            let run_source = run_source.get_or_insert_with(|| {
                registry
                    .run(&batch.run_id)
                    .ok()
                    .flatten()
                    .and_then(|r| r.config.source)
            });
            for (kind, message) in ingested::findings(&conv, run_source.as_ref()) {
                out.add(kind, id, Some(&record.file), message);
            }
            if untouched {
                let prompt = ingested::stand_in_prompt(&conv, &batch.prompt_name);
                visit(&conv, &prompt).map_err(AuditError::Script)?;
            } else {
                not_visited("its file was modified after it was registered (sha256_mismatch)");
            }
            if conv.status == Status::Failed {
                report.recorded_failed += 1;
            }
            continue;
        }
        let Some(prompt_ref) = conv.prompt.as_ref() else {
            not_visited("it names no prompt version (unregistered_prompt)");
            out.add(
                "unregistered_prompt",
                id,
                Some(&record.file),
                format!("{path} is a generated conversation that names no prompt"),
            );
            continue;
        };
        match prompts.get(registry, &prompt_ref.id)? {
            None => {
                not_visited("its prompt version is not registered (unregistered_prompt)");
                out.add(
                    "unregistered_prompt",
                    id,
                    Some(&record.file),
                    format!("prompt version `{}` is not registered", prompt_ref.id),
                )
            }
            Some(prompt) => {
                if prompt.sha256 != prompt_ref.sha256 {
                    out.add(
                        "registry_mismatch",
                        id,
                        Some(&record.file),
                        format!(
                            "prompt sha256 {} differs from the registered one",
                            prompt_ref.sha256
                        ),
                    );
                }
                if untouched {
                    visit(&conv, prompt).map_err(AuditError::Script)?;
                } else {
                    not_visited("its file was modified after it was registered (sha256_mismatch)");
                }
                if conv.status == Status::Valid {
                    let issues = validate::check_conversation(&conv, prompt);
                    if !issues.is_empty() {
                        out.add(
                            "check_failed",
                            id,
                            Some(&record.file),
                            format!("fails the built-in checks: {}", issues.join("; ")),
                        );
                    }
                }
            }
        }
        if conv.status == Status::Failed {
            report.recorded_failed += 1;
        }
    }

    // Files nobody registered.
    let conv_dir = dir.conversations();
    if let Ok(entries) = std::fs::read_dir(&conv_dir) {
        let mut extra: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| !expected.contains(name))
            .collect();
        extra.sort();
        for name in extra {
            let file = format!("{}/{}/{name}", batch.path, artefact::CONVERSATIONS_DIR);
            let kind = if name.ends_with(".tmp") {
                "leftover_temp_file"
            } else {
                "unregistered_file"
            };
            let message = if kind == "leftover_temp_file" {
                format!(
                    "{} is a leftover temporary file from an interrupted write",
                    data_dir.join(&file)
                )
            } else {
                format!("{} is not registered in this batch", data_dir.join(&file))
            };
            out.add(kind, None, Some(&file), message);
        }
    }
    report.findings = out.findings;
    Ok(report)
}
