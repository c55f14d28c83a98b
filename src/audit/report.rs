//! Auditing a set of batches, and the report of it: one driver for
//! `convgen audit` and for the audit that ends every run.
//!
//! Without a QA script the batches are audited on every core (each is read
//! back and checked on its own); a QA script is one Lua state, so with one
//! they go in order. The report renders itself as the human text (one line
//! per batch and problem, then one closing line with every count) and as JSON.

use std::io::Write;

use camino::Utf8Path;
use serde::Serialize;
use serde_json::json;

use super::{AuditError, BatchAudit, NotVisited, PromptCache, audit_batch};
use crate::conversation::{Conversation, ScenarioMode};
use crate::prompt::Prompt;
use crate::registry::{BatchFilter, BatchRecord, Registry, RegistryError};
use crate::script::{AuditResult, AuditScript};

/// Which batches to audit.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    All,
    Run(&'a str),
    Batches(&'a [String]),
}

/// A selection that names nothing the registry holds.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("--run {run_id}: no such run in {registry}")]
    NoRun { run_id: String, registry: String },
    #[error("no batch `{batch_id}` in {registry}")]
    NoBatch { batch_id: String, registry: String },
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// The batches a selection names, in registry order.
pub fn select(registry: &Registry, selection: Selection) -> Result<Vec<BatchRecord>, SelectError> {
    let place = || registry.path().to_string();
    match selection {
        Selection::All => Ok(registry.batches(&BatchFilter::default())?),
        Selection::Run(run_id) => {
            let run = registry.run(run_id)?.ok_or_else(|| SelectError::NoRun {
                run_id: run_id.to_string(),
                registry: place(),
            })?;
            let mut out = Vec::with_capacity(run.batches.len());
            for id in &run.batches {
                out.extend(registry.batch(id)?);
            }
            Ok(out)
        }
        Selection::Batches(ids) => ids
            .iter()
            .map(|id| {
                registry.batch(id)?.ok_or_else(|| SelectError::NoBatch {
                    batch_id: id.clone(),
                    registry: place(),
                })
            })
            .collect(),
    }
}

/// A QA script to run on every conversation whose file is intact.
pub struct Qa<'a> {
    /// The script's path, as the report names it.
    pub path: &'a Utf8Path,
    pub script: &'a mut AuditScript,
}

/// What the QA script said.
#[derive(Debug, Clone, Serialize)]
pub struct QaReport {
    pub path: String,
    pub results: Vec<AuditResult>,
    /// What `summary(results)` returned, if the script defines it.
    pub summary: Option<String>,
    /// Conversations not given to the script (their file failed the checks).
    pub skipped: Vec<NotVisited>,
}

impl QaReport {
    /// Conversations the script failed.
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| !r.ok).count()
    }
}

/// The audit of a set of batches.
#[derive(Debug, Clone)]
pub struct Report {
    pub batches: Vec<BatchAudit>,
    pub qa: Option<QaReport>,
}

/// Audits `batches`, with the QA script when there is one; `tick` is called
/// once per batch done (from any thread).
pub fn run(
    registry: &Registry,
    batches: &[BatchRecord],
    qa: Option<Qa>,
    tick: &(dyn Fn() + Sync),
) -> Result<Report, AuditError> {
    let Some(qa) = qa else {
        return Ok(Report {
            batches: in_parallel(registry, batches, tick)?,
            qa: None,
        });
    };
    let mut prompts = PromptCache::default();
    let mut reports = Vec::with_capacity(batches.len());
    let mut results: Vec<AuditResult> = Vec::new();
    for batch in batches {
        let mode = registry
            .run(&batch.run_id)?
            .map(|r| r.config.scenario_mode)
            .unwrap_or(ScenarioMode::Weighted);
        let mut visit = |conv: &Conversation, prompt: &Prompt| -> Result<(), String> {
            let reasons = qa.script.check(conv, prompt, batch.batch_index, &mode)?;
            results.push(AuditResult {
                conversation_id: conv.conversation_id.clone(),
                ok: reasons.is_empty(),
                reasons,
            });
            Ok(())
        };
        reports.push(audit_batch(registry, batch, &mut prompts, &mut visit)?);
        tick();
    }
    let summary = qa.script.summary(&results).map_err(AuditError::Script)?;
    let skipped = reports
        .iter()
        .flat_map(|r| r.not_visited.iter().cloned())
        .collect();
    Ok(Report {
        batches: reports,
        qa: Some(QaReport {
            path: qa.path.to_string(),
            results,
            summary,
            skipped,
        }),
    })
}

/// The integrity audit of `batches` on every core, in their order.
fn in_parallel(
    registry: &Registry,
    batches: &[BatchRecord],
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<BatchAudit>, AuditError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(batches.len())
        .max(1);
    let parts: Vec<Result<Vec<(usize, BatchAudit)>, AuditError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut prompts = PromptCache::default();
                    let mut out = Vec::new();
                    for (i, b) in batches.iter().enumerate().skip(t).step_by(threads) {
                        out.push((
                            i,
                            audit_batch(registry, b, &mut prompts, &mut |_, _| Ok(()))?,
                        ));
                        tick();
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut all = Vec::with_capacity(batches.len());
    for part in parts {
        all.extend(part?);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

impl Report {
    /// Integrity findings: files, registry, built-in checks.
    pub fn findings(&self) -> usize {
        self.batches.iter().map(|r| r.findings.len()).sum()
    }

    pub fn conversations(&self) -> u64 {
        self.batches.iter().map(|r| r.conversations).sum()
    }

    /// Conversations recorded as failed when they were made (not findings).
    pub fn recorded_failed(&self) -> u64 {
        self.batches.iter().map(|r| r.recorded_failed).sum()
    }

    /// No integrity finding and no QA failure.
    pub fn clean(&self) -> bool {
        self.findings() == 0 && self.qa.as_ref().is_none_or(|q| q.failed() == 0)
    }

    /// `audit clean: …` or `audit FAILED: …`, with every count.
    pub fn closing_line(&self) -> String {
        let mut line = format!(
            "audit {}: {} batch(es), {} conversation(s): {} integrity finding(s)",
            if self.clean() { "clean" } else { "FAILED" },
            self.batches.len(),
            self.conversations(),
            self.findings()
        );
        if let Some(qa) = &self.qa {
            line.push_str(&format!(
                ", {} failing QA ({}), {} skipped",
                qa.failed(),
                qa.path,
                qa.skipped.len()
            ));
        }
        let recorded = self.recorded_failed();
        if recorded > 0 {
            line.push_str(&format!("; {recorded} recorded as failed when written"));
        }
        line
    }

    /// The human report: a line per batch, finding, QA failure and skipped
    /// conversation, then the QA tally and the closing line. What a QA script
    /// or a file name says is shown one line each, control characters escaped.
    pub fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        use crate::escape::line;
        for r in &self.batches {
            if let Some(why) = &r.skipped {
                writeln!(out, "{}: skipped, {}", r.batch_id, line(why))?;
            } else if r.findings.is_empty() {
                writeln!(
                    out,
                    "{}: ok ({} conversations)",
                    r.batch_id, r.conversations
                )?;
            } else {
                writeln!(out, "{}: {} finding(s)", r.batch_id, r.findings.len())?;
                for f in &r.findings {
                    let who = f
                        .conversation_id
                        .as_deref()
                        .or(f.file.as_deref())
                        .unwrap_or(&f.batch_id);
                    writeln!(out, "  {} [{}] {}", line(who), f.kind, line(&f.message))?;
                }
            }
        }
        if let Some(qa) = &self.qa {
            for r in qa.results.iter().filter(|r| !r.ok) {
                writeln!(
                    out,
                    "{} [qa] {}",
                    r.conversation_id,
                    line(&r.reasons.join("; "))
                )?;
            }
            for s in &qa.skipped {
                writeln!(
                    out,
                    "{} [skipped] not given to {}: {}",
                    s.conversation_id,
                    qa.path,
                    line(&s.reason)
                )?;
            }
            let skipped = match qa.skipped.len() {
                0 => String::new(),
                n => format!(", {n} skipped"),
            };
            writeln!(
                out,
                "qa {}: {} of {} conversation(s) pass{skipped}",
                qa.path,
                qa.results.len() - qa.failed(),
                qa.results.len()
            )?;
            if let Some(summary) = &qa.summary {
                writeln!(out, "qa summary: {}", line(summary))?;
            }
        }
        writeln!(out, "{}", self.closing_line())
    }

    /// The report as `audit --json` prints it.
    pub fn to_json(&self) -> serde_json::Value {
        let qa = self.qa.as_ref().map(|qa| {
            json!({
                "path": qa.path,
                "checked": qa.results.len(),
                "failed": qa.failed(),
                "skipped": qa.skipped,
                "summary": qa.summary,
                "results": qa.results,
            })
        });
        json!({
            "clean": self.clean(),
            "qa": qa,
            "batches": self.batches.len(),
            "conversations": self.conversations(),
            "recorded_failed": self.recorded_failed(),
            "findings": self.findings(),
            "reports": self.batches,
        })
    }
}
