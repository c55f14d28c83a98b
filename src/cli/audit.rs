//! `convgen audit`: registry and files agree, conversations pass the checks and the QA script.

use std::io::IsTerminal;

use camino::Utf8PathBuf;
use clap::Args;

use crate::cli::Arc;
use crate::cli::options::GlobalArgs;
use crate::cli::output::{Dirs, print_json, require_data_dir, user_command};
use crate::error::{EXIT_FINDINGS, EXIT_OK, Error};
use crate::registry::Registry;
use crate::runlog::RunLog;
use crate::script::AuditScript;
use crate::script::sandbox::{Limits, LogSink};

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
    use crate::audit::report::{self, Qa, SelectError, Selection};
    require_data_dir(g)?;
    let registry = Registry::new(&g.data_dir);
    if !registry.exists() {
        return Err(Error::Usage(format!(
            "no registry at {}: nothing has been generated in this data dir (point at the right one with --data-dir DIR or CONVGEN_DATA_DIR)",
            registry.path()
        )));
    }
    let selection = match (&args.run, args.batches.as_slice()) {
        _ if args.all => Selection::All,
        (Some(run_id), _) => Selection::Run(run_id),
        (None, []) => {
            return Err(Error::Usage(
                "name the batches to audit, or --run RUN_ID, or --all".into(),
            ));
        }
        (None, ids) => Selection::Batches(ids),
    };
    let batches = report::select(&registry, selection).map_err(|e| match e {
        SelectError::Registry(r) => Error::Registry(r),
        e @ SelectError::NoRun { .. } => Error::Usage(format!(
            "{e} (see `{}`)",
            user_command(g, Dirs::Data, &["list", "runs"])
        )),
        e @ SelectError::NoBatch { .. } => Error::Usage(format!(
            "{e} (see `{}`)",
            user_command(g, Dirs::Data, &["list", "batches"])
        )),
    })?;
    let mut script = match &args.script {
        Some(path) => {
            let source = crate::script_file::read(path)
                .map_err(|e| Error::Usage(format!("--script: {e}")))?;
            let log: Arc<dyn LogSink> = Arc::new(RunLog::new(&g.data_dir, !args.json && !g.quiet));
            Some(AuditScript::load(&source, Limits::from_env(), log).map_err(Error::Script)?)
        }
        None => None,
    };
    let qa = args
        .script
        .as_deref()
        .zip(script.as_mut())
        .map(|(path, script)| Qa { path, script });
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
    let tick = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let report = report::run(&registry, &batches, qa, &tick)?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if args.json {
        print_json(&report.to_json())?;
    } else {
        // The whole report goes to stdout, so that `audit --all > report.txt` keeps it.
        report
            .write_text(&mut std::io::stdout().lock())
            .map_err(|e| Error::Io {
                path: "stdout".into(),
                message: e.to_string(),
            })?;
    }
    Ok(if report.clean() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}
