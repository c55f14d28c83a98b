//! Running a set of batches and reporting how the run ended (generate and resume).

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::cli::Instant;
use crate::cli::interrupt::EXIT_STOPPED;
use crate::cli::options::GlobalArgs;
use crate::cli::output::{Dirs, Say, print_json, user_command};
use crate::cli::progress::BatchLines;
use crate::cli::summary::{report_run, run_summary};
use crate::error::{EXIT_FINDINGS, EXIT_OK, Error};
use crate::generate::{BatchOutcome, NoScriptFactory, RunContext};
use crate::interrupt::EXIT_INTERRUPTED;
use crate::llm::Generator;
use crate::prompt::Prompt;
use crate::registry::{BatchRecord, Registry, RunRecord};
use crate::script::ScriptFactory;

/// What `generate` and `resume` hand over to run a set of batches.
pub(super) struct Job<'a> {
    pub(super) prompt: &'a Prompt,
    pub(super) prompt_ref: crate::conversation::PromptRef,
    /// The run; its recorded configuration gives the script and concurrency.
    pub(super) run: &'a RunRecord,
    pub(super) start: DateTime<Utc>,
    pub(super) generator: &'a dyn Generator,
    pub(super) factory: Option<&'a ScriptFactory>,
}

/// Runs the batches with progress, reports, and picks the exit code (130 when interrupted).
pub(super) fn execute(
    g: &GlobalArgs,
    say: &Say,
    job: Job,
    registry: &Registry,
    batches: &[BatchRecord],
    json: bool,
) -> Result<i32, Error> {
    let conversations: u64 = batches.iter().map(|b| b.size).sum();
    let progress = BatchLines::new(g.quiet, conversations, batches.len(), job.generator);
    let ctx = RunContext {
        prompt: job.prompt,
        prompt_ref: job.prompt_ref,
        script: job.run.config.script.clone(),
        run: job.run,
        start: job.start,
        generator: job.generator,
        hosts: match job.factory {
            Some(f) => f,
            None => &NoScriptFactory,
        },
        data_dir: &g.data_dir,
        concurrency: job.run.config.concurrency as usize,
        observer: &progress,
        stop: crate::interrupt::stop_flag(),
    };
    let ctx = &ctx;
    let began = Instant::now();
    let result = progress.around(|| crate::generate::run_all(ctx, registry, batches));
    progress.finish();
    let elapsed = began.elapsed().as_secs_f64();
    let (run, outcomes) = match result {
        Ok(done) => done,
        Err(e) => return Err(run_failed(g, registry, &job.run.run_id, e, json, elapsed)),
    };
    report_run(g, say, &run, &outcomes, elapsed);
    // The summary ends with the audit of what was just written.
    let findings = audit_new_batches(registry, &outcomes)?;
    if !outcomes.is_empty() {
        say.line(if findings == 0 {
            format!(
                "audit of the new batches: clean ({} batch(es))",
                outcomes.len()
            )
        } else {
            format!(
                "audit of the new batches: {findings} finding(s); see them with: {}",
                user_command(g, Dirs::Data, &["audit", "--run", &run.run_id])
            )
        });
    }
    if json {
        let mut summary = run_summary(&run, &outcomes, elapsed);
        summary["audit"] = json!({"clean": findings == 0, "findings": findings});
        print_json(&summary)?;
    }
    if run.status == crate::registry::RunStatus::Interrupted {
        let written = format!(
            "{} of {} conversations are written; finish the run with: {}",
            run.counts.valid + run.counts.failed,
            run.counts.requested,
            user_command(g, Dirs::Data, &["resume", &run.run_id])
        );
        // Stopped by the provider (waits or retries exhausted), or by Ctrl-C.
        return Ok(match &run.error {
            Some(why) => {
                eprintln!("stopped: {}; {written}", crate::escape::line(why));
                EXIT_STOPPED
            }
            None => {
                eprintln!("interrupted: {written}");
                EXIT_INTERRUPTED
            }
        });
    }
    Ok(if run.counts.failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// What a run that stopped on an error reports: with `--json`, the summary of
/// the run as the registry finished it (status `failed` and the error), so
/// that a script reading stdout learns the run id; then the error itself.
pub(super) fn run_failed(
    g: &GlobalArgs,
    registry: &Registry,
    run_id: &str,
    e: crate::generate::GenerateError,
    json: bool,
    elapsed: f64,
) -> Error {
    if json && let Ok(Some(run)) = registry.run(run_id) {
        let outcomes: Vec<BatchOutcome> = run
            .batches
            .iter()
            .filter_map(|id| registry.batch(id).ok().flatten())
            .filter(|b| b.status != crate::conversation::BatchStatus::Pending)
            .map(|b| BatchOutcome {
                path: g.data_dir.join(&b.path),
                record: b,
            })
            .collect();
        let mut summary = run_summary(&run, &outcomes, elapsed);
        if summary["error"].is_null() {
            summary["error"] = json!(e.to_string());
        }
        if let Err(e) = print_json(&summary) {
            return e;
        }
    }
    match e {
        crate::generate::GenerateError::Unfinished { run_id, message } => {
            Error::Generate(crate::generate::GenerateError::Plan(format!(
                "{message}; finish the run with: {}",
                user_command(g, Dirs::Data, &["resume", &run_id])
            )))
        }
        e => Error::Generate(e),
    }
}

/// Audits the batches a run just wrote (on every core); the number of findings.
pub(super) fn audit_new_batches(
    registry: &Registry,
    outcomes: &[BatchOutcome],
) -> Result<usize, Error> {
    let batches: Vec<BatchRecord> = outcomes.iter().map(|o| o.record.clone()).collect();
    Ok(crate::audit::report::run(registry, &batches, None, &|| {})?.findings())
}
