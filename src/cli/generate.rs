//! `convgen generate`: plan a run, register it, run its batches.

use clap::Args;

use crate::artefact;
use crate::cli::Arc;
use crate::cli::check::refuse_problems;
use crate::cli::inputs::{load_prompt, load_script, resolve_prompt};
use crate::cli::interrupt::catch_interrupts;
use crate::cli::options::{GlobalArgs, QuotaArgs};
use crate::cli::outcome::{Job, execute};
use crate::cli::output::Say;
use crate::cli::provider::select_generator;
use crate::error::Error;
use crate::llm::choose::{Chosen, Provider};
use crate::plan::{Asked, ModeChoice, RunPlan};
use crate::registry::{Registry, RunConfig};
use crate::runlog::RunLog;
use crate::validate::format_timestamp;

#[derive(Debug, Args)]
pub(super) struct GenerateArgs {
    /// Prompt name (in the prompts dir) or path to a .md file.
    #[arg(long, value_name = "NAME|PATH")]
    pub(super) prompt: String,
    /// Number of conversations.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub(super) total: u64,
    /// Conversations per batch (default: 100, or the total when smaller).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=9_999))]
    pub(super) batch_size: Option<u64>,
    /// Give every conversation this scenario.
    #[arg(long, value_name = "ID", conflicts_with = "scenario_mode")]
    pub(super) scenario: Option<String>,
    /// How scenarios are chosen (default: script when the prompt's script defines select_scenario, else weighted).
    #[arg(long, value_enum)]
    pub(super) scenario_mode: Option<ModeChoice>,
    /// Run seed, below 2^53 (default: random, printed and recorded).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=crate::plan::SEED_MASK))]
    pub(super) seed: Option<u64>,
    /// Base time of the simulated calls, RFC 3339 (default: the prompt's `start`, else a day of 2020 chosen by the seed, at 09:00 UTC).
    #[arg(long, value_name = "TIME")]
    pub(super) start: Option<String>,
    /// Which generator writes the text.
    #[arg(long, value_enum, default_value = "auto", env = "CONVGEN_PROVIDER")]
    pub(super) provider: Provider,
    /// Model name (OpenAI-compatible servers; recorded for Azure, which uses the deployment).
    #[arg(long, env = "CONVGEN_MODEL")]
    pub(super) model: Option<String>,
    /// Transport retries per request (408, 409, 429, 5xx, dropped connections, timeouts).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=50))]
    pub(super) max_retries: u32,
    /// Seconds a whole request may take.
    #[arg(long, default_value_t = 120.0, value_name = "SECONDS")]
    pub(super) timeout: f64,
    /// Conversations made at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(super) concurrency: u32,
    /// Tries per conversation before it is recorded as failed.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub(super) max_attempts: u32,
    #[command(flatten)]
    pub(super) quota: QuotaArgs,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub(super) json: bool,
}

pub(super) fn cmd_generate(g: &GlobalArgs, args: GenerateArgs) -> Result<i32, Error> {
    let say = Say { quiet: g.quiet };
    // Lineage records paths relative to the working directory.
    let path = artefact::recorded_path(&resolve_prompt(g, &args.prompt)?);
    let (prompt, source) = load_prompt(&path)?;

    let log = Arc::new(RunLog::new(&g.data_dir, !g.quiet));
    let factory = load_script(g, &prompt, log.clone())?;
    let asked = Asked {
        scenario: args.scenario.as_deref(),
        mode: args.scenario_mode,
        total: args.total,
        batch_size: args.batch_size,
        seed: args.seed,
        start: args.start.as_deref(),
    };
    let has_select = factory.as_ref().is_some_and(|f| f.has("select_scenario"));
    let RunPlan {
        mode,
        total,
        batch_size,
        seed,
        start,
    } = crate::plan::plan(&prompt, &asked, has_select)?;
    refuse_problems(g, &prompt, factory.as_ref(), &mode)?;

    let Chosen {
        generator,
        note: provider_note,
        endpoints,
    } = select_generator(&args)?;
    let info = generator.info();
    let registry = Registry::new(&g.data_dir);
    let prompt_record = registry.register_prompt(&prompt, &source)?;
    if let Some(f) = &factory {
        registry.register_script(f.source.path.as_str(), &f.source.sha256, &f.source.bytes)?;
    }
    say.line(provider_note);
    if info.provider == "mock"
        && let Some(note) = crate::llm::mock::fallback_note(&prompt.language)
    {
        say.line(format!("note: {note}"));
    }
    let config = RunConfig {
        prompt_id: prompt_record.prompt_id.clone(),
        prompt_name: prompt.name.clone(),
        prompt_sha256: prompt.sha256.clone(),
        script: factory.as_ref().map(|f| f.source.to_ref()),
        scenario_mode: mode,
        total,
        batch_size,
        seed,
        start: format_timestamp(start),
        provider: info.provider.clone(),
        model: info.model.clone(),
        endpoint_host: info.endpoint_host.clone(),
        temperature: prompt.temperature,
        concurrency: args.concurrency,
        max_attempts: args.max_attempts,
        endpoints,
        origin: crate::conversation::Origin::Generated,
        source: None,
    };
    // The run's lock comes with it: it is never seen running with its lock free.
    let (run, batches, _run_lock) = registry.register_run(config)?;
    catch_interrupts();
    log.set_run(&run.run_id);
    if let Some(f) = &factory {
        say.line(format!(
            "script: {} (hooks: {})",
            f.source.path,
            if f.defined().is_empty() {
                "none".to_string()
            } else {
                f.defined().join(", ")
            }
        ));
    }
    say.line(format!(
        "{}: {} conversations of {} (revision {}) in {} batch(es), seed {}, start {}, scenario mode {}",
        run.run_id,
        total,
        prompt.name,
        prompt_record.revision,
        batches.len(),
        seed,
        run.config.start,
        run.config.scenario_mode.label()
    ));

    let job = Job {
        prompt: &prompt,
        prompt_ref: prompt_record.to_ref(),
        run: &run,
        start,
        generator: generator.as_ref(),
        factory: factory.as_ref(),
    };
    execute(g, &say, job, &registry, &batches, args.json)
}
