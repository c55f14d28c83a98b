//! `convgen audit`: registry and files agree, conversations pass the checks and the QA script.

use super::*;

#[derive(Debug, Args)]
pub(super) struct AuditArgs {
    /// Batches to audit.
    #[arg(value_name = "BATCH_ID", conflicts_with_all = ["run", "all"])]
    pub(super) batches: Vec<String>,
    /// Audit every batch of this run.
    #[arg(long, value_name = "RUN_ID", conflicts_with = "all")]
    pub(super) run: Option<String>,
    /// Audit every batch in the registry.
    #[arg(long)]
    pub(super) all: bool,
    /// A QA script (returning `{ check = function(conv, ctx) … end }`) to run on every conversation.
    #[arg(long, value_name = "FILE")]
    pub(super) script: Option<Utf8PathBuf>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub(super) json: bool,
}

pub(super) fn cmd_audit(g: &GlobalArgs, args: AuditArgs) -> Result<i32, Error> {
    require_data_dir(g)?;
    let registry = Registry::new(&g.data_dir);
    if !registry.exists() {
        return Err(Error::Usage(format!(
            "no registry at {}: nothing has been generated in this data dir (point at the right one with --data-dir DIR or CONVGEN_DATA_DIR)",
            registry.path()
        )));
    }
    let batches: Vec<BatchRecord> = if args.all {
        registry.batches(&BatchFilter::default())?
    } else if let Some(run_id) = &args.run {
        let run = registry.run(run_id)?.ok_or_else(|| {
            Error::Usage(format!(
                "--run {run_id}: no such run in {} (see `{}`)",
                registry.path(),
                user_command(g, Dirs::Data, &["list", "runs"])
            ))
        })?;
        let mut out = Vec::new();
        for id in &run.batches {
            out.extend(registry.batch(id)?);
        }
        out
    } else if !args.batches.is_empty() {
        let mut out = Vec::new();
        for id in &args.batches {
            out.push(registry.batch(id)?.ok_or_else(|| {
                Error::Usage(format!(
                    "no batch `{id}` in {} (see `{}`)",
                    registry.path(),
                    user_command(g, Dirs::Data, &["list", "batches"])
                ))
            })?);
        }
        out
    } else {
        return Err(Error::Usage(
            "name the batches to audit, or --run RUN_ID, or --all".into(),
        ));
    };
    let mut qa = match &args.script {
        Some(path) => {
            let source =
                ScriptSource::read(path).map_err(|e| Error::Usage(format!("--script: {e}")))?;
            let log: Arc<dyn LogSink> = Arc::new(RunLog::new(&g.data_dir, !args.json && !g.quiet));
            Some(AuditScript::load(&source, Limits::from_env(), log).map_err(Error::Script)?)
        }
        None => None,
    };
    let mut prompts = PromptCache::default();
    let mut reports: Vec<BatchAudit> = Vec::with_capacity(batches.len());
    let mut results: Vec<AuditResult> = Vec::new();
    // Auditing many batches takes a while: show it on a terminal.
    let bar = (!g.quiet && batches.len() > 5 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(batches.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} batches audited · ETA {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    });
    for batch in &batches {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
        let mode = registry
            .run(&batch.run_id)?
            .map(|r| r.config.scenario_mode)
            .unwrap_or(ScenarioMode::Weighted);
        let mut visit = |conv: &Conversation, prompt: &Prompt| -> Result<(), String> {
            let Some(qa) = qa.as_mut() else { return Ok(()) };
            let reasons = qa.check(conv, prompt, batch.batch_index, &mode)?;
            results.push(AuditResult {
                conversation_id: conv.conversation_id.clone(),
                ok: reasons.is_empty(),
                reasons,
            });
            Ok(())
        };
        reports.push(crate::audit::audit_batch(
            &registry,
            batch,
            &mut prompts,
            &mut visit,
        )?);
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let qa_summary = match qa.as_mut() {
        Some(qa) => qa.summary(&results).map_err(Error::Script)?,
        None => None,
    };
    let qa_failed = results.iter().filter(|r| !r.ok).count();
    let findings: usize = reports.iter().map(|r| r.findings.len()).sum();
    let conversations: u64 = reports.iter().map(|r| r.conversations).sum();
    let recorded_failed: u64 = reports.iter().map(|r| r.recorded_failed).sum();
    // Conversations the QA script never saw: their file failed the integrity checks.
    let skipped: Vec<&crate::audit::NotVisited> = match &args.script {
        Some(_) => reports.iter().flat_map(|r| &r.not_visited).collect(),
        None => Vec::new(),
    };
    let clean = findings == 0 && qa_failed == 0;
    let outcome = AuditOutcome {
        clean,
        batches: reports.len(),
        conversations,
        findings,
        recorded_failed,
        qa: args
            .script
            .as_deref()
            .map(|path| (path, qa_failed, skipped.len())),
    };
    if args.json {
        let qa = args.script.as_ref().map(|path| {
            json!({
                "path": path,
                "checked": results.len(),
                "failed": qa_failed,
                "skipped": skipped,
                "summary": qa_summary,
                "results": results,
            })
        });
        print_json(&json!({
            "clean": clean,
            "qa": qa,
            "batches": reports.len(),
            "conversations": conversations,
            "recorded_failed": recorded_failed,
            "findings": findings,
            "reports": reports,
        }))?;
    } else {
        // The whole report goes to stdout, so that `audit --all > report.txt` keeps it.
        let mut out = std::io::stdout().lock();
        let mut report = |line: String| {
            writeln!(out, "{line}").map_err(|e| Error::Io {
                path: "stdout".into(),
                message: e.to_string(),
            })
        };
        for r in &reports {
            if let Some(why) = &r.skipped {
                report(format!("{}: skipped, {why}", r.batch_id))?;
            } else if r.findings.is_empty() {
                report(format!(
                    "{}: ok ({} conversations)",
                    r.batch_id, r.conversations
                ))?;
            } else {
                report(format!("{}: {} finding(s)", r.batch_id, r.findings.len()))?;
                for f in &r.findings {
                    let who = f
                        .conversation_id
                        .as_deref()
                        .or(f.file.as_deref())
                        .unwrap_or(&f.batch_id);
                    report(format!("  {} [{}] {}", who, f.kind, f.message))?;
                }
            }
        }
        if let Some(path) = &args.script {
            for r in results.iter().filter(|r| !r.ok) {
                report(format!(
                    "{} [qa] {}",
                    r.conversation_id,
                    r.reasons.join("; ")
                ))?;
            }
            for s in &skipped {
                report(format!(
                    "{} [skipped] not given to {path}: {}",
                    s.conversation_id, s.reason
                ))?;
            }
            report(format!(
                "qa {path}: {} of {} conversation(s) pass{}",
                results.len() - qa_failed,
                results.len(),
                if skipped.is_empty() {
                    String::new()
                } else {
                    format!(", {} skipped", skipped.len())
                }
            ))?;
            if let Some(summary) = &qa_summary {
                report(format!("qa summary: {summary}"))?;
            }
        }
        report(outcome.line())?;
    }
    Ok(if clean { EXIT_OK } else { EXIT_FINDINGS })
}

/// What an audit found, as its one closing line says it.
pub(super) struct AuditOutcome<'a> {
    pub(super) clean: bool,
    pub(super) batches: usize,
    pub(super) conversations: u64,
    /// Integrity findings: files, registry, built-in checks.
    pub(super) findings: usize,
    pub(super) recorded_failed: u64,
    /// The QA script, the conversations it failed and those it was not given.
    pub(super) qa: Option<(&'a Utf8Path, usize, usize)>,
}

impl AuditOutcome<'_> {
    /// `audit clean: …` or `audit FAILED: …`, with every count.
    pub(super) fn line(&self) -> String {
        let mut line = format!(
            "audit {}: {} batch(es), {} conversation(s): {} integrity finding(s)",
            if self.clean { "clean" } else { "FAILED" },
            self.batches,
            self.conversations,
            self.findings
        );
        if let Some((path, failed, skipped)) = self.qa {
            line.push_str(&format!(
                ", {failed} failing QA ({path}), {skipped} skipped"
            ));
        }
        if self.recorded_failed > 0 {
            line.push_str(&format!(
                "; {} recorded as failed at generation",
                self.recorded_failed
            ));
        }
        line
    }
}
