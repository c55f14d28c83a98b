//! `convgen resume`: finish an interrupted or failed run where it went.

use clap::Args;

use crate::cli::check::refuse_problems;
use crate::cli::interrupt::catch_interrupts;
use crate::cli::options::{GlobalArgs, QuotaArgs};
use crate::cli::outcome::{Job, execute};
use crate::cli::output::{Dirs, Say, user_command};
use crate::cli::runs::lock_run;
use crate::cli::{Arc, file_settings};
use crate::error::{EXIT_OK, Error};
use crate::llm::choose::{Choice, choose};
use crate::prompt;
use crate::registry::{Registry, RunStatus};
use crate::runlog::RunLog;
use crate::script::ScriptFactory;
use crate::script::sandbox::Limits;

#[derive(Debug, Args)]
pub(super) struct ResumeArgs {
    /// The run to finish (see `convgen list runs --status interrupted`).
    pub(super) run_id: String,
    /// Go on even though the prompt or script files changed since the run
    /// started: the remaining batches use the files as they are now (the run
    /// records both versions).
    #[arg(long)]
    pub(super) allow_changed: bool,
    /// Send the rest of the run where the environment (and convgen.toml)
    /// point now, instead of the endpoint the run recorded.
    #[arg(long)]
    pub(super) endpoint_from_env: bool,
    /// Transport retries per request.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=50))]
    pub(super) max_retries: u32,
    /// Seconds a whole request may take.
    #[arg(long, default_value_t = 120.0, value_name = "SECONDS")]
    pub(super) timeout: f64,
    #[command(flatten)]
    pub(super) quota: QuotaArgs,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub(super) json: bool,
}

pub(super) fn cmd_resume(g: &GlobalArgs, args: ResumeArgs) -> Result<i32, Error> {
    let say = Say { quiet: g.quiet };
    let registry = Registry::new(&g.data_dir);
    let run = registry.run(&args.run_id)?.ok_or_else(|| {
        Error::Usage(format!(
            "no run `{}` in {} (see `{}`)",
            args.run_id,
            registry.path(),
            user_command(g, Dirs::Data, &["list", "runs"])
        ))
    })?;
    if let Some(s) = &run.config.source {
        return Err(Error::Usage(format!(
            "{} is an ingest of {}, not a generation: there is nothing to resume; `{}` ingests the file again",
            run.run_id,
            s.path,
            user_command(
                g,
                Dirs::Data,
                &["ingest", &s.path, "--format", &s.format, "--again"]
            )
        )));
    }
    let _run_lock = lock_run(&registry, &run.run_id)?;
    let pending = crate::resume::pending(&registry, &run)?;
    if pending.is_empty() {
        if run.status != RunStatus::Complete {
            registry.finish_run(&run.run_id, RunStatus::Complete, None, &[])?;
        }
        say.line(format!("{} is complete: nothing to resume", run.run_id));
        return Ok(EXIT_OK);
    }
    let c = &run.config;
    let mut versions = crate::resume::versions(&registry, &run, args.allow_changed)?;
    let log = Arc::new(RunLog::new(&g.data_dir, !g.quiet));
    log.set_run(&run.run_id);
    let factory = versions
        .script
        .clone()
        .map(|s| ScriptFactory::new(s, &versions.prompt, Limits::from_env(), log.clone()))
        .transpose()
        .map_err(Error::Script)?;
    if !versions.changes.is_empty() {
        // Files still broken are refused here, before anything is recorded.
        refuse_problems(g, &versions.prompt, factory.as_ref(), &c.scenario_mode)?;
    }
    let target = crate::resume::target(&run, args.endpoint_from_env, file_settings())?;
    let chosen = choose(
        &Choice {
            provider: target.provider,
            model: target.model,
            timeout: args.timeout,
            max_retries: args.max_retries,
            concurrency: c.concurrency,
            max_wait: args.quota.max_wait,
            quota: args.quota.quota(),
            recorded: target.recorded,
        },
        file_settings(),
    )?;
    if let Some(why) = target.note {
        say.line(why);
    }
    say.line(&chosen.note);
    let start =
        prompt::parse_time(&c.start).map_err(|m| Error::Usage(format!("{}: {m}", run.run_id)))?;
    if args.endpoint_from_env {
        registry.reroute_run(&run.run_id, &chosen.generator.info(), chosen.endpoints)?;
        say.line(format!(
            "{} now points where the environment does; later resumes go there too",
            run.run_id
        ));
    }
    versions.record(&registry, &run.run_id, &pending, factory.as_ref())?;
    if !versions.changes.is_empty() {
        say.line(format!(
            "{} changed since {} started; the {} remaining batch(es) use the files as they are now (--allow-changed), and the run records both versions",
            versions.changes.join(" and "),
            run.run_id,
            pending.len()
        ));
    }
    let run = registry.reopen_run(&run.run_id)?;
    catch_interrupts();
    say.line(format!(
        "resuming {}: {} of {} batch(es) to write",
        run.run_id,
        pending.len(),
        run.batches.len()
    ));
    let job = Job {
        prompt: &versions.prompt,
        prompt_ref: versions.record.to_ref(),
        run: &run,
        start,
        generator: chosen.generator.as_ref(),
        factory: factory.as_ref(),
    };
    execute(g, &say, job, &registry, &pending, args.json)
}
