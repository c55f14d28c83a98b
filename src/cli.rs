//! The command line: flags in, components wired, results out.
//!
//! Commands are thin: they resolve settings, call the library and print.
//! Human messages go to stderr; `--json` results and listings go to stdout.
//! Exit codes: 0 success, 1 ran but found failures, 2 usage/input error.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use camino::{Utf8Path, Utf8PathBuf};
use chrono::{DateTime, Utc};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::json;

use crate::artefact;
use crate::audit::{self, BatchAudit, PromptCache};
use crate::conversation::{Conversation, ScenarioMode};
use crate::error::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, Error};
use crate::generate::{self, BatchOutcome, NoScriptFactory, Observer, RunContext};
use crate::llm::governor::Quota;
use crate::llm::http::{ClientSettings, EndpointRecord, HttpConfig, HttpGenerator};
use crate::llm::{EndpointStats, Generator, MockGenerator};
use crate::prompt::{self, Prompt};
use crate::registry::{
    BatchFilter, BatchRecord, ConversationFilter, Registry, RunConfig, RunLock, RunRecord,
    RunStatus,
};
use crate::runlog::RunLog;
use crate::script::sandbox::{Limits, LogSink};
use crate::script::{self, AuditResult, AuditScript, ScriptFactory, ScriptSource};
use crate::settings::{self, FileSettings};
use crate::validate::format_timestamp;

const EXAMPLES: &str = "\
Examples:
  convgen generate --prompt call_center_es --total 200 --batch-size 50 --seed 7
  convgen list batches --prompt call_center_es
  convgen show call_center_es-000001-0001
  convgen audit --all
  convgen check";

/// convgen: realistic synthetic conversations, in batches, with full lineage.
#[derive(Debug, Parser)]
#[command(name = "convgen", version, about, after_help = EXAMPLES)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Args)]
struct GlobalArgs {
    /// Where batches and the registry live.
    #[arg(
        long,
        global = true,
        env = "CONVGEN_DATA_DIR",
        default_value = "batches",
        value_name = "DIR"
    )]
    data_dir: Utf8PathBuf,
    /// Where prompts are looked up by name.
    #[arg(
        long,
        global = true,
        env = "CONVGEN_PROMPTS_DIR",
        default_value = "prompts",
        value_name = "DIR"
    )]
    prompts_dir: Utf8PathBuf,
    /// Where scripts paired with prompts live.
    #[arg(
        long,
        global = true,
        env = "CONVGEN_SCRIPTS_DIR",
        default_value = "scripts",
        value_name = "DIR"
    )]
    scripts_dir: Utf8PathBuf,
    /// Print only errors on stderr.
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate conversations in batches.
    #[command(after_help = "Examples:
  convgen generate --prompt call_center_es --total 500 --batch-size 100
  convgen generate --prompt prompts/support_en.md --total 20 --scenario card_declined_abroad --seed 1
  convgen generate --prompt call_center_es --total 10 --json > run.json")]
    Generate(GenerateArgs),
    /// Finish an interrupted or failed run exactly as it would have ended.
    #[command(after_help = "Examples:
  convgen resume run-000004
  convgen resume run-000004 --allow-changed")]
    Resume(ResumeArgs),
    /// Check that the registry and the files agree, and that conversations pass the checks.
    #[command(after_help = "Examples:
  convgen audit --all
  convgen audit call_center_es-000001 call_center_es-000002
  convgen audit --run run-000003 --json

Exit status: 0 clean, 1 findings, 2 could not run.")]
    Audit(AuditArgs),
    /// List prompts, runs, batches or conversations from the registry.
    #[command(after_help = "Examples:
  convgen list prompts
  convgen list runs --status complete
  convgen list batches --prompt call_center_es --since 2026-11-01
  convgen list conversations --batch call_center_es-000001 --status failed --json")]
    List(ListArgs),
    /// Show a prompt, run, batch or conversation by id.
    #[command(after_help = "Examples:
  convgen show run-000001
  convgen show call_center_es-000001
  convgen show call_center_es-000001-0007
  convgen show call_center_es@1a2b3c4d5e6f --json")]
    Show(ShowArgs),
    /// Show the effective settings and where each comes from (flag, environment, convgen.toml, default).
    #[command(after_help = "Examples:
  convgen config
  convgen config --json")]
    Config(ConfigArgs),
    /// Print shell completions.
    #[command(after_help = "Examples:
  convgen completions bash > ~/.local/share/bash-completion/completions/convgen
  convgen completions zsh > ~/.zfunc/_convgen
  convgen completions fish > ~/.config/fish/completions/convgen.fish")]
    Completions(CompletionsArgs),
    /// Print one conversation made through the prompt's script; nothing is stored.
    #[command(after_help = "Examples:
  convgen preview --prompt call_center_es
  convgen preview --prompt call_center_es --scenario billing_dispute --seed 3 --json")]
    Preview(PreviewArgs),
    /// Lint prompts and their scripts; run every hook on sample conversations.
    #[command(after_help = "Examples:
  convgen check
  convgen check call_center_es prompts/support_en.md")]
    Check(CheckArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ModeArg {
    /// Uniformly at random.
    Random,
    /// At random, in proportion to the catalog's weights.
    Weighted,
    /// The script's select_scenario hook decides.
    Script,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ProviderArg {
    /// Azure if AZURE_OPENAI_ENDPOINT and _API_KEY are set, else OpenAI-compatible if OPENAI_BASE_URL or OPENAI_API_KEY is, else the mock.
    Auto,
    /// Azure OpenAI (AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, AZURE_OPENAI_DEPLOYMENT, OPENAI_API_VERSION).
    Azure,
    /// Any OpenAI-compatible server (OPENAI_BASE_URL, OPENAI_API_KEY, --model).
    Openai,
    /// The deterministic offline generator.
    Mock,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Prompt name (in the prompts dir) or path to a .md file.
    #[arg(long, value_name = "NAME|PATH")]
    prompt: String,
    /// Number of conversations.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    total: u64,
    /// Conversations per batch (default: 100, or the total when smaller).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=9_999))]
    batch_size: Option<u64>,
    /// Give every conversation this scenario.
    #[arg(long, value_name = "ID", conflicts_with = "scenario_mode")]
    scenario: Option<String>,
    /// How scenarios are chosen (default: script when the prompt's script defines select_scenario, else weighted).
    #[arg(long, value_enum)]
    scenario_mode: Option<ModeArg>,
    /// Run seed, below 2^53 (default: random, printed and recorded).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=generate::SEED_MASK))]
    seed: Option<u64>,
    /// Base time of the simulated calls, RFC 3339 (default: the prompt's `start`, else a day of 2020 chosen by the seed, at 09:00 UTC).
    #[arg(long, value_name = "TIME")]
    start: Option<String>,
    /// Which generator writes the text.
    #[arg(long, value_enum, default_value = "auto", env = "CONVGEN_PROVIDER")]
    provider: ProviderArg,
    /// Model name (OpenAI-compatible servers; recorded for Azure, which uses the deployment).
    #[arg(long, env = "CONVGEN_MODEL")]
    model: Option<String>,
    /// Transport retries per request (408, 409, 429, 5xx, dropped connections, timeouts).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=50))]
    max_retries: u32,
    /// Seconds a whole request may take.
    #[arg(long, default_value_t = 120.0, value_name = "SECONDS")]
    timeout: f64,
    /// Conversations made at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    concurrency: u32,
    /// Tries per conversation before it is recorded as failed.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    max_attempts: u32,
    #[command(flatten)]
    quota: QuotaArgs,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

/// How a run meets a provider's quota.
#[derive(Debug, Args)]
struct QuotaArgs {
    /// Requests per minute each endpoint allows, when known (paced from the first request; otherwise learned from the server).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=settings::RPM_MAX))]
    rpm: Option<u64>,
    /// Tokens per minute each endpoint allows, when known (counted as the prompt's estimate plus max_tokens).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=settings::TPM_MAX))]
    tpm: Option<u64>,
    /// How long an endpoint may refuse every request (HTTP 429) before the run stops, resumable: seconds, or a form like 15m.
    #[arg(long, default_value = "900", value_name = "SECONDS|15m", value_parser = settings::parse_wait)]
    max_wait: std::time::Duration,
}

impl QuotaArgs {
    fn quota(&self) -> Quota {
        Quota {
            rpm: self.rpm,
            tpm: self.tpm,
        }
    }
}

#[derive(Debug, Args)]
struct ConfigArgs {
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
struct ResumeArgs {
    /// The run to finish (see `convgen list runs --status interrupted`).
    run_id: String,
    /// Go on even though the prompt or script files changed since the run
    /// started: the remaining batches use the files as they are now (the run
    /// records both versions).
    #[arg(long)]
    allow_changed: bool,
    /// Send the rest of the run where the environment (and convgen.toml)
    /// point now, instead of the endpoint the run recorded.
    #[arg(long)]
    endpoint_from_env: bool,
    /// Transport retries per request.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=50))]
    max_retries: u32,
    /// Seconds a whole request may take.
    #[arg(long, default_value_t = 120.0, value_name = "SECONDS")]
    timeout: f64,
    #[command(flatten)]
    quota: QuotaArgs,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct AuditArgs {
    /// Batches to audit.
    #[arg(value_name = "BATCH_ID", conflicts_with_all = ["run", "all"])]
    batches: Vec<String>,
    /// Audit every batch of this run.
    #[arg(long, value_name = "RUN_ID", conflicts_with = "all")]
    run: Option<String>,
    /// Audit every batch in the registry.
    #[arg(long)]
    all: bool,
    /// A QA script (returning `{ check = function(conv, ctx) … end }`) to run on every conversation.
    #[arg(long, value_name = "FILE")]
    script: Option<Utf8PathBuf>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ListKind {
    Prompts,
    Scripts,
    Runs,
    Batches,
    Conversations,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// What to list.
    #[arg(value_enum)]
    kind: ListKind,
    /// Only this prompt (name or id): runs, batches.
    #[arg(long)]
    prompt: Option<String>,
    /// Only this run: batches, conversations.
    #[arg(long)]
    run: Option<String>,
    /// Only this batch: conversations.
    #[arg(long)]
    batch: Option<String>,
    /// Only this scenario id: conversations.
    #[arg(long)]
    scenario: Option<String>,
    /// Only this status (runs: running|interrupted|complete|failed; batches: pending|complete|partial|failed; conversations: valid|failed).
    #[arg(long)]
    status: Option<String>,
    /// Only created at or after this date or time: batches, runs.
    #[arg(long, value_name = "DATE|TIME")]
    since: Option<String>,
    /// Only created before this date or time: batches, runs.
    #[arg(long, value_name = "DATE|TIME")]
    until: Option<String>,
    /// Print a JSON array on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// A run id, batch id, conversation id, prompt id or prompt name.
    id: String,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Prompt names or paths (default: every .md in the prompts dir).
    prompts: Vec<String>,
}

/// Runs the program; returns the exit code.
/// What `convgen.toml` in the working directory set (empty when absent).
static FILE_SETTINGS: std::sync::OnceLock<FileSettings> = std::sync::OnceLock::new();

fn file_settings() -> &'static FileSettings {
    FILE_SETTINGS.get_or_init(FileSettings::default)
}

/// The command line, with `convgen.toml` values as the flags' defaults: clap
/// then applies flags > environment > file > built-in defaults.
fn command_with_file(file: &FileSettings) -> clap::Command {
    let mut cmd = Cli::command();
    for (flag, value) in &file.values {
        let value: &'static str = Box::leak(value.clone().into_boxed_str());
        let flag: &'static str = flag;
        if ["data_dir", "prompts_dir", "scripts_dir"].contains(&flag) {
            cmd = cmd.mut_arg(flag, |a| a.default_value(value));
            continue;
        }
        for sub in ["generate", "resume"] {
            let has = cmd
                .find_subcommand(sub)
                .is_some_and(|c| c.get_arguments().any(|a| a.get_id() == flag));
            if has {
                cmd = cmd.mut_subcommand(sub, |c| c.mut_arg(flag, |a| a.default_value(value)));
            }
        }
    }
    cmd
}

pub fn main() -> i32 {
    let file = match Utf8PathBuf::from_path_buf(std::env::current_dir().unwrap_or_default())
        .map_err(|p| format!("the working directory {} is not UTF-8", p.display()))
        .and_then(|dir| FileSettings::load(&dir))
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let parsed = command_with_file(&file)
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let _ = FILE_SETTINGS.set(file);
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    EXIT_OK
                }
                _ => EXIT_ERROR,
            };
        }
    };
    match run(cli, &matches) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.code()
        }
    }
}

fn run(cli: Cli, matches: &clap::ArgMatches) -> Result<i32, Error> {
    let g = &cli.global;
    match cli.command {
        None if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() => cmd_menu(g),
        None => {
            let _ = Cli::command().print_help();
            eprintln!();
            Ok(EXIT_ERROR)
        }
        Some(Command::Generate(args)) => cmd_generate(g, args),
        Some(Command::Resume(args)) => cmd_resume(g, args),
        Some(Command::Audit(args)) => cmd_audit(g, args),
        Some(Command::List(args)) => cmd_list(g, args),
        Some(Command::Show(args)) => cmd_show(g, args),
        Some(Command::Check(args)) => cmd_check(g, args),
        Some(Command::Preview(args)) => cmd_preview(g, args),
        Some(Command::Config(args)) => cmd_config(g, args, matches),
        Some(Command::Completions(args)) => {
            let mut cmd = Cli::command();
            clap_complete::generate(args.shell, &mut cmd, "convgen", &mut std::io::stdout());
            Ok(EXIT_OK)
        }
    }
}

/// Set by the first Ctrl-C: workers take no new conversation.
static STOP: AtomicBool = AtomicBool::new(false);
static INTERRUPTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only async-signal-safe work here: atomics and _exit.
    if INTERRUPTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 1 {
        // Second Ctrl-C: leave now. Files are still whole: each is renamed into place.
        unsafe { libc::_exit(130) };
    }
    STOP.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Makes the first Ctrl-C stop taking new work; the second exits at once.
fn catch_interrupts() {
    // SAFETY: the handler only touches atomics and calls _exit.
    unsafe {
        libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t);
    }
}

/// Exit code after an interruption (128 + SIGINT).
const EXIT_INTERRUPTED: i32 = 130;
/// Exit code when the provider stopped the run (waits or retries exhausted):
/// EX_TEMPFAIL, try again later with `convgen resume`.
const EXIT_STOPPED: i32 = 75;

/// Holds `<data dir>/locks/<run_id>.lock` while a process works on a run.
fn lock_run(registry: &Registry, run_id: &str) -> Result<RunLock, Error> {
    registry.lock_run(run_id)?.ok_or_else(|| {
        Error::Usage(format!(
            "{run_id} is being worked on by another convgen process (it holds {}); wait for it to finish",
            registry.run_lock_path(run_id)
        ))
    })
}

/// A run as it stands now: one recorded running whose process is gone is
/// interrupted (and recorded so). Where the registry cannot be written (a
/// read-only archive), the record is shown as it is.
fn settled(registry: &Registry, run: RunRecord) -> RunRecord {
    if run.status != RunStatus::Running {
        return run;
    }
    registry.settle_run(&run.run_id).unwrap_or(run)
}

/// The global directories a printed command depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dirs {
    /// Only the data dir (`list`, `show`, `audit`, `resume`).
    Data,
    /// The data dir and the prompts and scripts dirs (`generate`, `check`, `preview`).
    All,
}

/// A convgen command for the user to paste, as they must type it: with
/// `--data-dir` (and, for [`Dirs::All`], `--prompts-dir`/`--scripts-dir`)
/// wherever a bare `convgen` in this directory would use another value, and
/// each word shell-quoted when it needs to be.
fn user_command(g: &GlobalArgs, dirs: Dirs, args: &[&str]) -> String {
    let file = file_settings();
    let mut words: Vec<String> = vec!["convgen".into()];
    let mut global = |flag: &str, key: &str, builtin: &str, value: &Utf8Path| {
        let default = file.values.get(key).map_or(builtin, String::as_str);
        if value != Utf8Path::new(default) {
            words.push(format!("--{flag}"));
            words.push(value.to_string());
        }
    };
    global("data-dir", "data_dir", "batches", &g.data_dir);
    if dirs == Dirs::All {
        global("prompts-dir", "prompts_dir", "prompts", &g.prompts_dir);
        global("scripts-dir", "scripts_dir", "scripts", &g.scripts_dir);
    }
    words.extend(args.iter().map(|a| a.to_string()));
    words
        .iter()
        .map(|w| shlex::try_quote(w).map_or_else(|_| w.clone(), |q| q.into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Refuses a data dir that is missing or not a directory: reading it would
/// only show an empty registry, as if nothing had been generated.
fn require_data_dir(g: &GlobalArgs) -> Result<(), Error> {
    let dir = &g.data_dir;
    let problem = match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => "is not a directory",
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "does not exist",
        Err(e) => &format!("cannot be read ({e})"),
    };
    Err(Error::Usage(format!(
        "data dir {dir} {problem}, so there is no registry to read; point at the one you generated into with --data-dir DIR or CONVGEN_DATA_DIR"
    )))
}

/// Prints human messages on stderr unless `--quiet`.
struct Say {
    quiet: bool,
}

impl Say {
    fn line(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }
}

fn print_json<T: Serialize>(value: &T) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(|e| Error::Io {
            path: "stdout".into(),
            message: e.to_string(),
        })
        .and_then(|_| {
            writeln!(out).map_err(|e| Error::Io {
                path: "stdout".into(),
                message: e.to_string(),
            })
        })
}

/// Finds a prompt file by name (in the prompts dir) or path.
fn resolve_prompt(g: &GlobalArgs, spec: &str) -> Result<Utf8PathBuf, Error> {
    let as_path = Utf8Path::new(spec);
    if as_path.is_file() {
        return Ok(as_path.to_owned());
    }
    let looks_like_path = spec.contains('/') || spec.contains('\\') || spec.ends_with(".md");
    let candidate = g.prompts_dir.join(format!("{spec}.md"));
    if !looks_like_path && candidate.is_file() {
        return Ok(candidate);
    }
    let available = prompt_files(&g.prompts_dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.file_stem().map(String::from))
        .collect::<Vec<_>>();
    let hint = if available.is_empty() {
        format!("no prompts in {}", g.prompts_dir)
    } else {
        format!("available in {}: {}", g.prompts_dir, available.join(", "))
    };
    if looks_like_path {
        Err(Error::Usage(format!(
            "--prompt {spec}: no such file ({hint})"
        )))
    } else {
        Err(Error::Usage(format!(
            "--prompt {spec}: no prompt {candidate} ({hint})"
        )))
    }
}

/// The `.md` files of the prompts dir, sorted.
fn prompt_files(dir: &Utf8Path) -> Result<Vec<Utf8PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Io {
        path: dir.to_string(),
        message: format!("cannot read the prompts dir: {e}"),
    })?;
    let mut files: Vec<Utf8PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| Utf8PathBuf::from_path_buf(e.path()).ok())
        .filter(|p| p.extension() == Some("md") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn load_prompt(path: &Utf8Path) -> Result<(Prompt, Vec<u8>), Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::Io {
        path: path.to_string(),
        message: format!("cannot read the prompt: {e}"),
    })?;
    let prompt = prompt::parse(path, &bytes)?;
    Ok((prompt, bytes))
}

/// Loads the script paired with a prompt, if any, checking it once.
fn load_script(
    g: &GlobalArgs,
    prompt: &Prompt,
    log: Arc<dyn LogSink>,
) -> Result<Option<ScriptFactory>, Error> {
    let Some(path) = script::discover(prompt, &g.scripts_dir).map_err(Error::Script)? else {
        return Ok(None);
    };
    let source = ScriptSource::read(&artefact::recorded_path(&path)).map_err(Error::Script)?;
    ScriptFactory::new(source, prompt, Limits::from_env(), log)
        .map(Some)
        .map_err(Error::Script)
}

/// Chooses the generator (SPEC §4) and says which, never showing a key.
fn select_generator(args: &GenerateArgs) -> Result<Chosen, Error> {
    make_generator(&GeneratorChoice {
        provider: args.provider,
        model: args.model.clone(),
        timeout: args.timeout,
        max_retries: args.max_retries,
        concurrency: args.concurrency,
        max_wait: args.quota.max_wait,
        quota: args.quota.quota(),
        recorded: Vec::new(),
    })
}

/// The flags that choose and tune a generator.
struct GeneratorChoice {
    provider: ProviderArg,
    model: Option<String>,
    timeout: f64,
    max_retries: u32,
    concurrency: u32,
    max_wait: std::time::Duration,
    quota: Quota,
    /// The endpoints a resumed run recorded: used instead of `convgen.toml`'s.
    recorded: Vec<EndpointRecord>,
}

/// A generator, the line that says which, and the named endpoints it uses.
struct Chosen {
    generator: Box<dyn Generator>,
    note: String,
    endpoints: Vec<EndpointRecord>,
}

/// The `[[endpoints]]` of `convgen.toml` that `provider` selects.
fn file_endpoints(
    provider: ProviderArg,
    model: Option<&str>,
) -> Result<Vec<EndpointRecord>, Error> {
    let file = file_settings();
    let wanted = |kind: &settings::EndpointKind| {
        matches!(
            (provider, kind),
            (ProviderArg::Auto, _)
                | (ProviderArg::Azure, settings::EndpointKind::Azure { .. })
                | (ProviderArg::Openai, settings::EndpointKind::OpenAi { .. })
        )
    };
    let file_name = file
        .path
        .as_ref()
        .map_or_else(|| settings::FILE.to_string(), |p| p.to_string());
    file.endpoint_list
        .iter()
        .filter(|spec| wanted(&spec.kind))
        .map(|spec| {
            crate::llm::http::record_of(spec, model)
                .map_err(|m| Error::Usage(format!("{file_name}: {m}")))
        })
        .collect()
}

/// Builds the generator for a provider choice.
fn make_generator(args: &GeneratorChoice) -> Result<Chosen, Error> {
    let env = |k: &str| file_settings().endpoint(k);
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        return Err(Error::Usage(format!(
            "--timeout {}: give a number of seconds from 0 to 3600",
            args.timeout
        )));
    }
    let settings = ClientSettings {
        model: args.model.clone(),
        timeout: std::time::Duration::from_secs_f64(args.timeout),
        max_retries: args.max_retries,
        concurrency: args.concurrency as usize,
        max_tokens: None,
        max_wait: args.max_wait,
        quota: args.quota,
    };
    let mock = |note: &str| Chosen {
        generator: Box::new(MockGenerator),
        note: note.to_string(),
        endpoints: Vec::new(),
    };
    let named = match (&args.recorded, args.provider) {
        (recorded, _) if !recorded.is_empty() => recorded.clone(),
        (_, ProviderArg::Mock) => Vec::new(),
        _ => file_endpoints(args.provider, args.model.as_deref())?,
    };
    if !named.is_empty() {
        // Keys come only from the environment, never from the file.
        let from_env = |k: &str| std::env::var(k).ok();
        let mut configs = named
            .iter()
            .map(|r| HttpConfig::from_record(r, &from_env, &settings))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::Usage)?;
        if configs.len() == 1 && configs[0].env.is_some() {
            // A resumed run of the environment form, back where it went.
            return Ok(env_form(configs.remove(0), settings));
        }
        let list = configs
            .iter()
            .map(|c| {
                format!(
                    "{} ({}, model {}, {})",
                    c.name,
                    c.flavor.provider(),
                    c.model,
                    c.endpoint_host
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let generator = HttpGenerator::new(configs, settings);
        return Ok(Chosen {
            note: format!("provider: {} endpoint(s): {list}", named.len()),
            endpoints: generator.records(),
            generator: Box::new(generator),
        });
    }
    let provider = match args.provider {
        ProviderArg::Auto
            if env("AZURE_OPENAI_ENDPOINT").is_some() && env("AZURE_OPENAI_API_KEY").is_some() =>
        {
            ProviderArg::Azure
        }
        ProviderArg::Auto
            if env("OPENAI_BASE_URL").is_some() || env("OPENAI_API_KEY").is_some() =>
        {
            ProviderArg::Openai
        }
        ProviderArg::Auto => {
            return Ok(mock(
                "provider: mock (offline generator: no AZURE_OPENAI_* or OPENAI_* settings found, nothing is sent anywhere)",
            ));
        }
        other => other,
    };
    let cfg = match provider {
        ProviderArg::Azure => HttpConfig::azure(&env, &settings),
        ProviderArg::Openai => HttpConfig::openai(&env, &settings),
        _ => return Ok(mock("provider: mock (offline generator, as requested)")),
    }
    .map_err(Error::Usage)?;
    Ok(env_form(cfg, settings))
}

/// The generator of one environment-form endpoint; the run records where it
/// points (never the key), so that `resume` goes back there.
fn env_form(cfg: HttpConfig, settings: ClientSettings) -> Chosen {
    let generator = HttpGenerator::new(vec![cfg], settings);
    let info = generator.info();
    let note = format!(
        "provider: {}, model {}, endpoint {}",
        info.provider,
        info.model,
        info.endpoint_host.unwrap_or_default()
    );
    Chosen {
        endpoints: generator.records(),
        generator: Box::new(generator),
        note,
    }
}

/// Refuses a run (or a preview) on every problem `convgen check` would report.
fn refuse_problems(
    g: &GlobalArgs,
    prompt: &Prompt,
    factory: Option<&ScriptFactory>,
    mode: &ScenarioMode,
) -> Result<(), Error> {
    let found = crate::check::check(prompt, factory, Some(mode));
    if found.errors.is_empty() {
        return Ok(());
    }
    let subject = match factory {
        Some(f) => format!("{} and {}", prompt.path, f.source.path),
        None => prompt.path.to_string(),
    };
    let check = user_command(g, Dirs::All, &["check", prompt.path.as_str()]);
    Err(Error::Problems {
        subject,
        problems: found.errors,
        check,
    })
}

/// Normalises a `--since`/`--until` value to the registry's timestamp form.
fn parse_bound(flag: &str, value: &str) -> Result<String, Error> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        let t = d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        if let Some(t) = t {
            return Ok(format_timestamp(t));
        }
    }
    prompt::parse_time(value)
        .map(format_timestamp)
        .map_err(|m| Error::Usage(format!("{flag}: {m}; or a date such as 2026-11-25")))
}

/// A count with thousands separators, as people read it: `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate as the progress bar shows it: `12.3/s`, one decimal.
fn rate(per_sec: f64) -> String {
    if per_sec.is_finite() {
        format!("{:.1}/s", per_sec)
    } else {
        "-/s".to_string()
    }
}

/// Shows a run's progress on stderr: a live bar on a terminal (conversations,
/// batches, rate, ETA, failures, tokens) and a line per finished batch.
struct BatchLines<'a> {
    say: Say,
    /// Its pacing line and notices go with the progress.
    generator: &'a dyn Generator,
    bar: Option<indicatif::ProgressBar>,
    batches: usize,
    done_batches: std::sync::atomic::AtomicUsize,
    failed: std::sync::atomic::AtomicU64,
    tokens: std::sync::atomic::AtomicU64,
    ticks: std::sync::atomic::AtomicU64,
}

impl<'a> BatchLines<'a> {
    /// Progress for `total` conversations in `batches` batches; the bar only on
    /// a terminal and without `--quiet`.
    fn new(quiet: bool, total: u64, batches: usize, generator: &'a dyn Generator) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total);
            let style = indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} conversations · {msg} · {rate} · ETA {eta}",
            )
            .map(|s| {
                s.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = w.write_str(&rate(state.per_sec()));
                    },
                )
            })
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(format!("batches 0/{batches}"));
            bar
        });
        Self {
            say: Say { quiet },
            generator,
            bar,
            batches,
            done_batches: Default::default(),
            failed: Default::default(),
            tokens: Default::default(),
            ticks: Default::default(),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn message(&self) -> String {
        use std::sync::atomic::Ordering::Relaxed;
        let mut m = format!(
            "batches {}/{} · {} failed · {} tokens",
            self.done_batches.load(Relaxed),
            self.batches,
            self.failed.load(Relaxed),
            thousands(self.tokens.load(Relaxed))
        );
        if let Some(status) = self.generator.status() {
            m.push_str(" · ");
            m.push_str(&status);
        }
        m
    }

    /// Prints the generator's notices and refreshes the pacing figures.
    fn tick(&self) {
        for notice in self.generator.take_notices() {
            match &self.bar {
                Some(bar) => bar.println(format!("  {notice}")),
                None => self.say.line(format!("  {notice}")),
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_message(self.message());
        }
    }

    /// Runs `work`, ticking four times a second while it goes.
    fn around<T>(&self, work: impl FnOnce() -> T) -> T {
        let done = AtomicBool::new(false);
        let result = std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    if self.bar.is_some() || !self.generator.local() {
                        self.tick_every(5);
                    }
                }
            });
            let result = work();
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            result
        });
        self.tick();
        result
    }

    /// Ticks on every `n`-th call.
    fn tick_every(&self, n: u64) {
        if self
            .ticks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .is_multiple_of(n)
        {
            self.tick();
        }
    }
}

impl Observer for BatchLines<'_> {
    fn conversation_done(&self, conv: &Conversation) {
        use std::sync::atomic::Ordering::Relaxed;
        self.tokens.fetch_add(conv.usage.total(), Relaxed);
        if conv.status == crate::conversation::Status::Failed {
            self.failed.fetch_add(1, Relaxed);
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(self.message());
        }
    }

    fn batch_done(&self, batch: &BatchRecord, path: &Utf8Path) {
        self.done_batches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let line = format!(
            "  {}: {} conversations ({} valid, {} failed) -> {}",
            batch.batch_id, batch.counts.requested, batch.counts.valid, batch.counts.failed, path
        );
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.set_message(self.message());
            }
            None => self.say.line(line),
        }
    }
}

fn cmd_generate(g: &GlobalArgs, args: GenerateArgs) -> Result<i32, Error> {
    let say = Say { quiet: g.quiet };
    // Lineage records paths relative to the working directory.
    let path = artefact::recorded_path(&resolve_prompt(g, &args.prompt)?);
    let (prompt, source) = load_prompt(&path)?;

    let log = Arc::new(RunLog::new(&g.data_dir, !g.quiet));
    let factory = load_script(g, &prompt, log.clone())?;
    let has = |hook: &str| factory.as_ref().is_some_and(|f| f.has(hook));
    let mode = match (&args.scenario, args.scenario_mode) {
        (Some(id), _) => ScenarioMode::Fixed(id.clone()),
        (None, Some(ModeArg::Random)) => ScenarioMode::Random,
        (None, Some(ModeArg::Weighted)) => ScenarioMode::Weighted,
        (None, None) if has("select_scenario") => ScenarioMode::Script,
        (None, None) => ScenarioMode::Weighted,
        (None, Some(ModeArg::Script)) if has("select_scenario") => ScenarioMode::Script,
        (None, Some(ModeArg::Script)) => {
            return Err(Error::Usage(format!(
                "--scenario-mode script: {} has no script with a select_scenario hook; use random or weighted",
                path
            )));
        }
    };
    refuse_problems(g, &prompt, factory.as_ref(), &mode)?;
    let batch_size = args.batch_size.unwrap_or(args.total.min(100));
    if batch_size > args.total {
        return Err(Error::Usage(format!(
            "--batch-size {batch_size} is larger than --total {}; use a batch size of at most {}",
            args.total, args.total
        )));
    }
    // Seeds stay below 2^53 so that every JSON reader (and SAS doubles) keeps them exact.
    let seed = args
        .seed
        .unwrap_or_else(|| rand::random::<u64>() & generate::SEED_MASK);
    // Without a start, the seed picks one: the same seed gives the same files.
    let start: DateTime<Utc> = match (&args.start, prompt.start) {
        (Some(s), _) => prompt::parse_time(s).map_err(|m| Error::Usage(format!("--start: {m}")))?,
        (None, Some(t)) => t,
        (None, None) => generate::default_start(seed),
    };

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
    let config = RunConfig {
        prompt_id: prompt_record.prompt_id.clone(),
        prompt_name: prompt.name.clone(),
        prompt_sha256: prompt.sha256.clone(),
        script: factory.as_ref().map(|f| f.source.to_ref()),
        scenario_mode: mode,
        total: args.total,
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
        args.total,
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

fn cmd_resume(g: &GlobalArgs, args: ResumeArgs) -> Result<i32, Error> {
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
    let _run_lock = lock_run(&registry, &run.run_id)?;
    let mut pending = Vec::new();
    for id in &run.batches {
        if let Some(b) = registry.batch(id)?
            && b.status == crate::conversation::BatchStatus::Pending
        {
            pending.push(b);
        }
    }
    if pending.is_empty() {
        if run.status != crate::registry::RunStatus::Complete {
            registry.finish_run(&run.run_id, crate::registry::RunStatus::Complete, None, &[])?;
        }
        say.line(format!("{} is complete: nothing to resume", run.run_id));
        return Ok(EXIT_OK);
    }
    let c = run.config.clone();
    let missing = |what: &str| {
        Error::Usage(format!(
            "{}: the registry lacks the {what} this run recorded",
            registry.path()
        ))
    };
    let record = registry
        .prompt(&c.prompt_id)?
        .ok_or_else(|| missing("prompt"))?;
    let source = registry
        .prompt_source(&c.prompt_sha256)?
        .ok_or_else(|| missing("prompt text"))?;
    let prompt = prompt::parse(Utf8Path::new(&record.path), &source)?;
    // The sha256 a recorded file has now, when it differs.
    let changed = |path: &str, sha: &str| {
        std::fs::read(path)
            .ok()
            .map(|bytes| prompt::sha256_hex(&bytes))
            .filter(|now| now != sha)
    };
    let short = |sha: &str| sha.chars().take(8).collect::<String>();
    let prompt_now = changed(&record.path, &c.prompt_sha256);
    let script_now = c.script.as_ref().and_then(|s| changed(&s.path, &s.sha256));
    let mut changes = Vec::new();
    if let Some(now) = &prompt_now {
        changes.push(format!(
            "{} ({} -> {})",
            record.path,
            short(&c.prompt_sha256),
            short(now)
        ));
    }
    if let (Some(s), Some(now)) = (&c.script, &script_now) {
        changes.push(format!(
            "{} ({} -> {})",
            s.path,
            short(&s.sha256),
            short(now)
        ));
    }
    if !changes.is_empty() && !args.allow_changed {
        return Err(Error::Usage(format!(
            "{} changed since {} started; resuming would mix versions. Pass --allow-changed to finish it with the files as they are now (the run records both versions)",
            changes.join(" and "),
            run.run_id
        )));
    }
    let log = Arc::new(RunLog::new(&g.data_dir, !g.quiet));
    log.set_run(&run.run_id);
    // The versions the remaining batches use: the recorded ones, or, with
    // --allow-changed, the files as they are now.
    let (prompt, new_prompt_source) = match &prompt_now {
        Some(_) => {
            let (now, bytes) = load_prompt(Utf8Path::new(&record.path))?;
            if now.name != prompt.name {
                return Err(Error::Usage(format!(
                    "{}: the prompt is now named `{}`, not `{}` as when {} started; a run keeps its prompt's name, so start a new run",
                    record.path, now.name, prompt.name, run.run_id
                )));
            }
            generate::check_mode(&now, &c.scenario_mode)
                .map_err(|m| Error::Usage(format!("{} was made with {m}", run.run_id)))?;
            (now, Some(bytes))
        }
        None => (prompt, None),
    };
    let script_source = match &c.script {
        Some(s) if script_now.is_some() => {
            Some(ScriptSource::read(Utf8Path::new(&s.path)).map_err(Error::Script)?)
        }
        Some(s) => {
            let bytes = registry
                .script_source(&s.sha256)?
                .ok_or_else(|| missing("script text"))?;
            Some(ScriptSource {
                path: s.path.clone().into(),
                bytes: bytes.into(),
                sha256: s.sha256.clone(),
            })
        }
        None => None,
    };
    let factory = script_source
        .map(|source| ScriptFactory::new(source, &prompt, Limits::from_env(), log.clone()))
        .transpose()
        .map_err(Error::Script)?;
    if !changes.is_empty() {
        // Files still broken are refused here, before anything is recorded.
        refuse_problems(g, &prompt, factory.as_ref(), &c.scenario_mode)?;
    }
    let target = resume_target(&run, args.endpoint_from_env)?;
    let Chosen {
        generator,
        note,
        endpoints,
    } = make_generator(&GeneratorChoice {
        provider: target.provider,
        model: target.model,
        timeout: args.timeout,
        max_retries: args.max_retries,
        concurrency: c.concurrency,
        max_wait: args.quota.max_wait,
        quota: args.quota.quota(),
        recorded: target.recorded,
    })?;
    if let Some(why) = target.note {
        say.line(why);
    }
    say.line(note);
    let start =
        prompt::parse_time(&c.start).map_err(|m| Error::Usage(format!("{}: {m}", run.run_id)))?;
    if args.endpoint_from_env {
        registry.reroute_run(&run.run_id, &generator.info(), endpoints)?;
        say.line(format!(
            "{} now points where the environment does; later resumes go there too",
            run.run_id
        ));
    }
    let mut record = record;
    if !changes.is_empty() {
        if let Some(bytes) = &new_prompt_source {
            record = registry.register_prompt(&prompt, bytes)?;
        }
        if let Some(f) = factory.as_ref().filter(|_| script_now.is_some()) {
            registry.register_script(f.source.path.as_str(), &f.source.sha256, &f.source.bytes)?;
        }
        let ids: Vec<String> = pending.iter().map(|b| b.batch_id.clone()).collect();
        let script = factory.as_ref().map(|f| f.source.to_ref());
        registry.revise_run(&run.run_id, &record, script, &ids)?;
        say.line(format!(
            "{} changed since {} started; the {} remaining batch(es) use the files as they are now (--allow-changed), and the run records both versions",
            changes.join(" and "),
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
        prompt: &prompt,
        prompt_ref: record.to_ref(),
        run: &run,
        start,
        generator: generator.as_ref(),
        factory: factory.as_ref(),
    };
    execute(g, &say, job, &registry, &pending, args.json)
}

/// Where a resumed run sends its requests.
struct ResumeTarget {
    provider: ProviderArg,
    /// The endpoints to use; none: where the environment points now.
    recorded: Vec<EndpointRecord>,
    /// The model to ask for (none: the deployment's name, for Azure).
    model: Option<String>,
    /// A line for the operator, when the choice needs saying.
    note: Option<String>,
}

/// Decides where a resumed run goes (SPEC §4): where it went, whatever the
/// environment says by now; a run recorded against one endpoint is refused
/// when the environment points to another, unless `--endpoint-from-env`.
fn resume_target(run: &RunRecord, from_env: bool) -> Result<ResumeTarget, Error> {
    use crate::llm::http::{EnvEndpoint, Flavor, host_of};
    let c = &run.config;
    let id = &run.run_id;
    let (provider, flavor) = match c.provider.as_str() {
        "azure" => (ProviderArg::Azure, Some(Flavor::Azure)),
        "openai" => (ProviderArg::Openai, Some(Flavor::OpenAi)),
        "mock" => (ProviderArg::Mock, None),
        // Several endpoints of different providers.
        _ if !c.endpoints.is_empty() => (ProviderArg::Auto, None),
        _ => (ProviderArg::Mock, None),
    };
    let recorded = |note: Option<String>| ResumeTarget {
        provider,
        recorded: c.endpoints.clone(),
        model: Some(c.model.clone()),
        note,
    };
    // An Azure run named its model after the deployment: a new deployment names its own.
    let after_deployment = c
        .endpoints
        .iter()
        .any(|e| e.env.as_ref().and_then(|v| v.deployment.as_ref()) == Some(&c.model));
    let moved = |note: String| ResumeTarget {
        provider,
        recorded: Vec::new(),
        model: Some(c.model.clone()).filter(|_| !after_deployment),
        note: Some(note),
    };
    if provider == ProviderArg::Mock {
        // Nothing was sent anywhere; nothing will be.
        return Ok(recorded(from_env.then(|| {
            format!("{id} was made with the mock: it resumes with the mock (--endpoint-from-env does not apply)")
        })));
    }
    let env = |k: &str| file_settings().endpoint(k);
    let file_only = |var: &str| std::env::var(var).ok().is_none_or(|v| v.trim().is_empty());
    let env_record = match c.endpoints.as_slice() {
        [one] => one.env.as_ref().map(|e| (one, e)),
        _ => None,
    };
    if let Some((rec, was)) = env_record {
        let vars = EnvEndpoint::variables(rec.provider);
        let first = vars.split('/').next().unwrap_or(vars);
        return match EnvEndpoint::from_env(rec.provider, &env) {
            None => Ok(recorded(Some(format!(
                "{id}: resuming against {}, the endpoint it recorded ({vars} not set)",
                was.describe()
            )))),
            Some(now) if was.same_place(&now) => Ok(recorded(None)),
            Some(now) if from_env => Ok(moved(format!(
                "{id}: sending the rest to {} ({vars}), not to {} where it started, as --endpoint-from-env asks",
                now.describe(),
                was.describe()
            ))),
            Some(now) => {
                let in_file = settings::ENDPOINTS.iter().find(|(_, _, var)| *var == first);
                let (points, fix) =
                    if let (true, Some((table, key, _))) = (file_only(first), in_file) {
                        (
                            format!("{}'s [{table}] {key} points to", settings::FILE),
                            "remove it",
                        )
                    } else {
                        (format!("{vars} points to"), "unset it")
                    };
                Err(Error::Usage(format!(
                    "{id} was made against {} but {points} {}; {fix} to resume there, or pass --endpoint-from-env to send the rest to the new endpoint",
                    was.describe(),
                    now.describe()
                )))
            }
        };
    }
    if !c.endpoints.is_empty() {
        // `[[endpoints]]`: the run recorded them all, with their key variables.
        return Ok(if from_env {
            moved(format!(
                "{id}: sending the rest where the environment and {} point now, not to the endpoints it recorded, as --endpoint-from-env asks",
                settings::FILE
            ))
        } else {
            recorded(None)
        });
    }
    // Recorded before runs kept their endpoint: only its host is known.
    let Some(flavor) = flavor else {
        return Ok(recorded(None));
    };
    let vars = EnvEndpoint::variables(flavor);
    let was = c.endpoint_host.clone().unwrap_or_default();
    let now = EnvEndpoint::from_env(flavor, &env);
    let now_url = now.as_ref().map(|n| n.base_url.clone()).or_else(|| {
        (flavor == Flavor::OpenAi).then(|| crate::llm::http::DEFAULT_OPENAI_BASE_URL.to_string())
    });
    let here = ResumeTarget {
        provider,
        recorded: Vec::new(),
        model: Some(c.model.clone()),
        note: None,
    };
    match now_url {
        // Azure without an endpoint: building the generator names what is missing.
        None => Ok(here),
        Some(url) if host_of(&url).eq_ignore_ascii_case(&was) => Ok(here),
        Some(url) if from_env => Ok(moved(format!(
            "{id}: sending the rest to {url} ({vars}), not to {was} where it started, as --endpoint-from-env asks"
        ))),
        Some(url) => {
            let points = match now {
                Some(n) => format!("{vars} points to {}", n.describe()),
                None => format!("{vars} is not set (the default is {url})"),
            };
            Err(Error::Usage(format!(
                "{id} was made against {was} (it recorded only the host) but {points}; set {vars} to that server to resume there, or pass --endpoint-from-env to send the rest to {url}"
            )))
        }
    }
}

fn cmd_config(g: &GlobalArgs, args: ConfigArgs, matches: &clap::ArgMatches) -> Result<i32, Error> {
    let file = file_settings();
    let file_name = file
        .path
        .as_ref()
        .map_or_else(|| settings::FILE.to_string(), |p| p.to_string());
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for s in settings::SETTINGS {
        // Only the global directory flags can be given to `config` itself.
        let is_global = ["data_dir", "prompts_dir", "scripts_dir"].contains(&s.flag);
        let flag_given = is_global
            && matches.value_source(s.flag) == Some(clap::parser::ValueSource::CommandLine);
        let env_value = (!s.env.is_empty())
            .then(|| std::env::var(s.env).ok())
            .flatten()
            .filter(|v| !v.trim().is_empty());
        let (value, source) = if flag_given {
            let v = match s.flag {
                "data_dir" => g.data_dir.to_string(),
                "prompts_dir" => g.prompts_dir.to_string(),
                _ => g.scripts_dir.to_string(),
            };
            (v, format!("flag --{}", s.flag.replace('_', "-")))
        } else if let Some(v) = env_value {
            (v, format!("environment {}", s.env))
        } else if let Some(v) = file.values.get(s.flag) {
            (v.clone(), file_name.clone())
        } else {
            (s.default.to_string(), "default".to_string())
        };
        rows.push((s.key.to_string(), value, source));
    }
    for (table, key, var) in settings::ENDPOINTS {
        let env_value = std::env::var(var).ok().filter(|v| !v.trim().is_empty());
        let (value, source) = match (env_value, file.endpoints.get(var)) {
            (Some(v), _) => (v, format!("environment {var}")),
            (None, Some(v)) => (v.clone(), file_name.clone()),
            (None, None) => (String::new(), "not set".to_string()),
        };
        rows.push((format!("{table}.{key}"), value, source));
    }
    for spec in &file.endpoint_list {
        let key = match &spec.key_env {
            Some(var) if std::env::var(var).is_ok_and(|v| !v.trim().is_empty()) => {
                format!("key from {var} (set)")
            }
            Some(var) => format!("key from {var} (NOT SET)"),
            None => "no key".to_string(),
        };
        let place = match crate::llm::http::record_of(spec, None) {
            Ok(r) => format!("{} {} model {}", r.provider.provider(), r.url, r.model),
            Err(e) => e,
        };
        let quota = [
            spec.rpm.map(|r| format!("rpm {r}")),
            spec.tpm.map(|t| format!("tpm {t}")),
            (spec.weight != 1.0).then(|| format!("weight {}", spec.weight)),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
        let mut value = format!("{place}, {key}");
        if !quota.is_empty() {
            value = format!("{value}, {}", quota.join(", "));
        }
        rows.push((format!("endpoints.{}", spec.name), value, file_name.clone()));
    }
    for var in ["AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"] {
        let set = std::env::var(var).is_ok_and(|v| !v.trim().is_empty());
        rows.push((
            var.to_lowercase(),
            if set { "(set)".into() } else { String::new() },
            if set {
                format!("environment {var}")
            } else {
                "not set".into()
            },
        ));
    }
    if args.json {
        let v: Vec<_> = rows
            .iter()
            .map(|(k, v, s)| json!({"name": k, "value": v, "source": s}))
            .collect();
        return print_json(&v).map(|_| EXIT_OK);
    }
    print_table(
        &["SETTING", "VALUE", "FROM"],
        rows.into_iter().map(|(k, v, s)| vec![k, v, s]).collect(),
    );
    Ok(EXIT_OK)
}

/// The operator menu: choose, confirm, then run `generate` with the choice.
fn cmd_menu(g: &GlobalArgs) -> Result<i32, Error> {
    let mut entries = Vec::new();
    for path in prompt_files(&g.prompts_dir)? {
        let log: Arc<dyn LogSink> = Arc::new(crate::script::sandbox::StderrLog);
        let (prompt, script) = match prompt::load(&path) {
            Err(e) => (Err(e.to_string()), None),
            Ok(p) => match load_script(g, &p, log) {
                Ok(Some(f)) => {
                    let script = (f.source.path.to_string(), f.has("select_scenario"));
                    (Ok(p), Some(script))
                }
                Ok(None) => (Ok(p), None),
                Err(e) => (Err(e.to_string()), None),
            },
        };
        entries.push(crate::menu::PromptEntry {
            path,
            prompt,
            script,
        });
    }
    // What `generate` would use with no flags: environment, convgen.toml, defaults.
    let defaults = |choice: &crate::menu::Choice| -> Result<GenerateArgs, Error> {
        let total = choice.total.to_string();
        let batch = choice.batch_size.to_string();
        let mut argv = vec![
            "convgen".to_string(),
            "generate".into(),
            "--prompt".into(),
            choice.prompt.to_string(),
            "--total".into(),
            total,
            "--batch-size".into(),
            batch,
        ];
        match &choice.mode {
            ScenarioMode::Fixed(id) => argv.extend(["--scenario".into(), id.clone()]),
            ScenarioMode::Random => argv.extend(["--scenario-mode".into(), "random".into()]),
            ScenarioMode::Weighted => argv.extend(["--scenario-mode".into(), "weighted".into()]),
            ScenarioMode::Script => argv.extend(["--scenario-mode".into(), "script".into()]),
        }
        if let Some(seed) = choice.seed {
            argv.extend(["--seed".into(), seed.to_string()]);
        }
        let matches = command_with_file(file_settings())
            .try_get_matches_from(argv)
            .map_err(|e| Error::Usage(e.to_string()))?;
        match Cli::from_arg_matches(&matches)
            .map_err(|e| Error::Usage(e.to_string()))?
            .command
        {
            Some(Command::Generate(args)) => Ok(args),
            _ => Err(Error::Usage(
                "the menu could not build a generate command".into(),
            )),
        }
    };
    let probe = defaults(&crate::menu::Choice {
        prompt: "probe".into(),
        mode: ScenarioMode::Weighted,
        total: 1,
        batch_size: 1,
        seed: None,
    })?;
    let provider = select_generator(&probe)?.note;
    match crate::menu::run(&entries, &provider) {
        Ok(choice) => cmd_generate(g, defaults(&choice)?),
        Err(crate::menu::MenuExit::Cancelled) => {
            eprintln!("nothing generated");
            Ok(EXIT_OK)
        }
        Err(crate::menu::MenuExit::Terminal(e)) => Err(Error::Usage(format!("menu: {e}"))),
    }
}

/// What `generate` and `resume` hand over to run a set of batches.
struct Job<'a> {
    prompt: &'a Prompt,
    prompt_ref: crate::conversation::PromptRef,
    /// The run; its recorded configuration gives the script and concurrency.
    run: &'a RunRecord,
    start: DateTime<Utc>,
    generator: &'a dyn Generator,
    factory: Option<&'a ScriptFactory>,
}

/// Runs the batches with progress, reports, and picks the exit code (130 when interrupted).
fn execute(
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
        stop: &STOP,
    };
    let ctx = &ctx;
    let began = Instant::now();
    let result = progress.around(|| generate::run_all(ctx, registry, batches));
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
                eprintln!("stopped: {why}; {written}");
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
fn run_failed(
    g: &GlobalArgs,
    registry: &Registry,
    run_id: &str,
    e: generate::GenerateError,
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
        generate::GenerateError::Unfinished { run_id, message } => {
            Error::Generate(generate::GenerateError::Plan(format!(
                "{message}; finish the run with: {}",
                user_command(g, Dirs::Data, &["resume", &run_id])
            )))
        }
        e => Error::Generate(e),
    }
}

/// Audits the batches a run just wrote, on every core (each batch is read
/// back and checked against the registry on its own); the number of findings.
fn audit_new_batches(registry: &Registry, outcomes: &[BatchOutcome]) -> Result<usize, Error> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(outcomes.len())
        .max(1);
    let results: Vec<Result<usize, audit::AuditError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut prompts = PromptCache::default();
                    let mut findings = 0;
                    for o in outcomes.iter().skip(t).step_by(threads) {
                        let report =
                            audit::audit_batch(registry, &o.record, &mut prompts, &mut |_, _| {
                                Ok(())
                            })?;
                        findings += report.findings.len();
                    }
                    Ok(findings)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut findings = 0;
    for r in results {
        findings += r?;
    }
    Ok(findings)
}

fn run_summary(run: &RunRecord, outcomes: &[BatchOutcome], elapsed: f64) -> serde_json::Value {
    json!({
        "run_id": run.run_id,
        "status": run.status,
        "error": run.error,
        "prompt": {"id": run.config.prompt_id, "name": run.config.prompt_name},
        "provider": run.config.provider,
        "model": run.config.model,
        "seed": run.config.seed,
        "scenario_mode": run.config.scenario_mode.label(),
        "counts": run.counts,
        "usage": run.usage,
        "elapsed_s": (elapsed * 1000.0).round() / 1000.0,
        "endpoints": endpoints_json(&run.endpoints),
        "batches": outcomes.iter().map(|o| json!({
            "batch_id": o.record.batch_id,
            "path": o.path,
            "status": o.record.status,
            "counts": o.record.counts,
        })).collect::<Vec<_>>(),
    })
}

/// Per-endpoint figures as `--json` gives them.
fn endpoints_json(stats: &[EndpointStats]) -> serde_json::Value {
    json!(
        stats
            .iter()
            .map(|e| json!({
                "name": e.name,
                "requests": e.requests,
                "throttled": e.throttled,
                "retries": e.retries,
                "waited_s": (e.waited_s * 10.0).round() / 10.0,
            }))
            .collect::<Vec<_>>()
    )
}

/// One line per endpoint: requests, 429s, retries and time closed by waits.
fn endpoint_lines(stats: &[EndpointStats]) -> Vec<String> {
    stats
        .iter()
        .map(|e| {
            format!(
                "{}: {} requests, {} answered 429, {} retried, {:.1} s held back after 429s",
                e.name, e.requests, e.throttled, e.retries, e.waited_s
            )
        })
        .collect()
}

fn report_run(g: &GlobalArgs, say: &Say, run: &RunRecord, outcomes: &[BatchOutcome], elapsed: f64) {
    let rate = if elapsed > 0.0 {
        run.counts.valid as f64 / elapsed
    } else {
        0.0
    };
    say.line(format!(
        "{} {}: {} valid, {} failed of {} in {} batch(es), {:.1} s ({:.0} conversations/s), {} tokens",
        run.run_id,
        run.status.as_str(),
        run.counts.valid,
        run.counts.failed,
        run.counts.requested,
        outcomes.len(),
        elapsed,
        rate,
        thousands(run.usage.total())
    ));
    for line in endpoint_lines(&run.endpoints) {
        say.line(format!("  {line}"));
    }
    // One command a line, so that each can be pasted as it is.
    if let Some(first) = outcomes.first() {
        say.line(format!(
            "next: {}",
            user_command(g, Dirs::Data, &["show", &first.record.batch_id])
        ));
        say.line(format!(
            "      {}",
            user_command(g, Dirs::Data, &["audit", "--run", &run.run_id])
        ));
    }
    if run.counts.failed > 0 {
        say.line(format!(
            "some conversations failed; see them with: {}",
            user_command(
                g,
                Dirs::Data,
                &[
                    "list",
                    "conversations",
                    "--run",
                    &run.run_id,
                    "--status",
                    "failed"
                ]
            )
        ));
    }
}

fn cmd_audit(g: &GlobalArgs, args: AuditArgs) -> Result<i32, Error> {
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
        reports.push(audit::audit_batch(
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
    let skipped: Vec<&audit::NotVisited> = match &args.script {
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
struct AuditOutcome<'a> {
    clean: bool,
    batches: usize,
    conversations: u64,
    /// Integrity findings: files, registry, built-in checks.
    findings: usize,
    recorded_failed: u64,
    /// The QA script, the conversations it failed and those it was not given.
    qa: Option<(&'a Utf8Path, usize, usize)>,
}

impl AuditOutcome<'_> {
    /// `audit clean: …` or `audit FAILED: …`, with every count.
    fn line(&self) -> String {
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

/// Rejects filters that do not apply to a listing.
fn only_filters(args: &ListArgs, allowed: &[&str]) -> Result<(), Error> {
    let given = [
        ("prompt", args.prompt.is_some()),
        ("run", args.run.is_some()),
        ("batch", args.batch.is_some()),
        ("scenario", args.scenario.is_some()),
        ("status", args.status.is_some()),
        ("since", args.since.is_some()),
        ("until", args.until.is_some()),
    ];
    for (name, set) in given {
        if set && !allowed.contains(&name) {
            return Err(Error::Usage(format!(
                "--{name} does not apply to `list {}` (it takes: {})",
                format!("{:?}", args.kind).to_lowercase(),
                if allowed.is_empty() {
                    "no filters".to_string()
                } else {
                    allowed
                        .iter()
                        .map(|a| format!("--{a}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )));
        }
    }
    Ok(())
}

fn check_status(value: &Option<String>, allowed: &[&str]) -> Result<(), Error> {
    if let Some(s) = value
        && !allowed.contains(&s.as_str())
    {
        return Err(Error::Usage(format!(
            "--status {s}: expected one of {}",
            allowed.join(", ")
        )));
    }
    Ok(())
}

/// Prints rows as aligned columns.
fn print_table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let last = cells.len().saturating_sub(1);
        cells
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}",
        line(header.iter().map(|h| h.to_string()).collect())
    );
    for row in rows {
        let _ = writeln!(out, "{}", line(row));
    }
}

fn cmd_list(g: &GlobalArgs, args: ListArgs) -> Result<i32, Error> {
    require_data_dir(g)?;
    let registry = Registry::new(&g.data_dir);
    let since = args
        .since
        .as_deref()
        .map(|v| parse_bound("--since", v))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|v| parse_bound("--until", v))
        .transpose()?;
    match args.kind {
        ListKind::Prompts => {
            only_filters(&args, &[])?;
            let prompts = registry.prompts()?;
            if args.json {
                return print_json(&prompts).map(|_| EXIT_OK);
            }
            print_table(
                &[
                    "NAME",
                    "REV",
                    "PROMPT_ID",
                    "SCENARIOS",
                    "REGISTERED",
                    "TITLE",
                ],
                prompts
                    .iter()
                    .map(|p| {
                        vec![
                            p.name.clone(),
                            p.revision.to_string(),
                            p.prompt_id.clone(),
                            p.scenarios.to_string(),
                            p.registered_at.clone(),
                            p.title.clone(),
                        ]
                    })
                    .collect(),
            );
        }
        ListKind::Scripts => {
            only_filters(&args, &[])?;
            let scripts = registry.scripts()?;
            if args.json {
                return print_json(&scripts).map(|_| EXIT_OK);
            }
            print_table(
                &["PATH", "SHA256", "REGISTERED"],
                scripts
                    .iter()
                    .map(|s| vec![s.path.clone(), s.sha256.clone(), s.registered_at.clone()])
                    .collect(),
            );
        }
        ListKind::Runs => {
            only_filters(&args, &["prompt", "status", "since", "until"])?;
            check_status(
                &args.status,
                &["running", "interrupted", "complete", "failed"],
            )?;
            let runs: Vec<RunRecord> = registry
                .runs()?
                .into_iter()
                .map(|r| settled(&registry, r))
                .filter(|r| {
                    args.prompt
                        .as_ref()
                        .is_none_or(|p| &r.config.prompt_name == p || &r.config.prompt_id == p)
                        && args.status.as_ref().is_none_or(|s| r.status.as_str() == s)
                        && since.as_ref().is_none_or(|s| &r.created_at >= s)
                        && until.as_ref().is_none_or(|u| &r.created_at < u)
                })
                .collect();
            let written = runs
                .iter()
                .map(|r| on_disk(&registry, r))
                .collect::<Result<Vec<_>, _>>()?;
            if args.json {
                let rows: Vec<_> = runs
                    .iter()
                    .zip(&written)
                    .map(|(r, n)| {
                        let mut v = serde_json::to_value(r).unwrap_or_default();
                        v["written"] = json!(n);
                        if resumable(r) {
                            v["resume"] =
                                json!(user_command(g, Dirs::Data, &["resume", &r.run_id]));
                        }
                        v
                    })
                    .collect();
                return print_json(&rows).map(|_| EXIT_OK);
            }
            print_table(
                &[
                    "RUN_ID", "STATUS", "PROMPT", "TOTAL", "VALID", "FAILED", "WRITTEN", "BATCHES",
                    "SEED", "CREATED",
                ],
                runs.iter()
                    .zip(&written)
                    .map(|(r, n)| {
                        vec![
                            r.run_id.clone(),
                            r.status.as_str().into(),
                            r.config.prompt_id.clone(),
                            r.config.total.to_string(),
                            r.counts.valid.to_string(),
                            r.counts.failed.to_string(),
                            n.to_string(),
                            r.batches.len().to_string(),
                            r.config.seed.to_string(),
                            r.created_at.clone(),
                        ]
                    })
                    .collect(),
            );
        }
        ListKind::Batches => {
            only_filters(&args, &["prompt", "run", "status", "since", "until"])?;
            check_status(&args.status, &["pending", "complete", "partial", "failed"])?;
            let batches = registry.batches(&BatchFilter {
                prompt: args.prompt.clone(),
                run: args.run.clone(),
                status: args.status.clone(),
                since,
                until,
            })?;
            if args.json {
                let rows: Vec<_> = batches
                    .iter()
                    .map(|b| {
                        let mut v = serde_json::to_value(b).unwrap_or_default();
                        v["path"] = json!(g.data_dir.join(&b.path));
                        v
                    })
                    .collect();
                return print_json(&rows).map(|_| EXIT_OK);
            }
            print_table(
                &[
                    "BATCH_ID", "RUN_ID", "STATUS", "VALID", "FAILED", "CREATED", "PATH",
                ],
                batches
                    .iter()
                    .map(|b| {
                        vec![
                            b.batch_id.clone(),
                            b.run_id.clone(),
                            b.status.as_str().into(),
                            b.counts.valid.to_string(),
                            b.counts.failed.to_string(),
                            b.created_at.clone(),
                            g.data_dir.join(&b.path).to_string(),
                        ]
                    })
                    .collect(),
            );
        }
        ListKind::Conversations => {
            only_filters(&args, &["run", "batch", "scenario", "status"])?;
            check_status(&args.status, &["valid", "failed"])?;
            let convs = registry.conversations(&ConversationFilter {
                batch: args.batch.clone(),
                run: args.run.clone(),
                scenario: args.scenario.clone(),
                status: args.status.clone(),
            })?;
            if args.json {
                let rows: Vec<_> = convs
                    .iter()
                    .map(|c| {
                        let mut v = serde_json::to_value(c).unwrap_or_default();
                        v["path"] = json!(g.data_dir.join(&c.file));
                        v
                    })
                    .collect();
                return print_json(&rows).map(|_| EXIT_OK);
            }
            print_table(
                &[
                    "CONVERSATION_ID",
                    "STATUS",
                    "SCENARIO",
                    "ATTEMPTS",
                    "TURNS",
                    "ISSUES",
                ],
                convs
                    .iter()
                    .map(|c| {
                        vec![
                            c.conversation_id.clone(),
                            c.status.clone(),
                            c.scenario_id.clone(),
                            c.attempts.to_string(),
                            c.turns.to_string(),
                            c.issues.join("; "),
                        ]
                    })
                    .collect(),
            );
        }
    }
    Ok(EXIT_OK)
}

/// Where a run's requests went: the endpoint host, or each recorded
/// endpoint's name and host; nothing for the mock.
fn endpoint_targets(c: &RunConfig) -> Option<String> {
    let named: Vec<_> = c.endpoints.iter().filter(|e| e.env.is_none()).collect();
    if !named.is_empty() {
        return Some(
            named
                .iter()
                .map(|e| format!("{} ({})", e.name, crate::llm::http::host_of(&e.url)))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    c.endpoint_host.clone()
}

/// Reads a conversation file; `audit` is the command that checks its batch.
fn read_conversation(path: &Utf8Path, audit: &str) -> Result<Conversation, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::Io {
        path: path.to_string(),
        message: format!("cannot read the conversation file: {e} (run `{audit}`)"),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Io {
        path: path.to_string(),
        message: format!("not a valid conversation file: {e}"),
    })
}

/// Conversations of a run on disk to stay (see [`generate::conversations_on_disk`]).
fn on_disk(registry: &Registry, run: &RunRecord) -> Result<u64, Error> {
    if run.status == RunStatus::Complete {
        return Ok(run.counts.valid + run.counts.failed);
    }
    Ok(generate::conversations_on_disk(registry, run)?)
}

/// True when `resume` has work to do on a run.
fn resumable(run: &RunRecord) -> bool {
    matches!(run.status, RunStatus::Interrupted | RunStatus::Failed)
}

fn cmd_show(g: &GlobalArgs, args: ShowArgs) -> Result<i32, Error> {
    require_data_dir(g)?;
    let registry = Registry::new(&g.data_dir);
    let id = args.id.trim();
    if let Some(run) = registry.run(id)? {
        let run = settled(&registry, run);
        let written = on_disk(&registry, &run)?;
        if args.json {
            let mut v = serde_json::to_value(&run).unwrap_or_default();
            v["written"] = json!(written);
            if resumable(&run) {
                v["resume"] = json!(user_command(g, Dirs::Data, &["resume", &run.run_id]));
            }
            return print_json(&v).map(|_| EXIT_OK);
        }
        let c = &run.config;
        println!("run {} · {}", run.run_id, run.status.as_str());
        println!("prompt      {} ({})", c.prompt_id, c.prompt_name);
        println!("scenarios   {}", c.scenario_mode.label());
        println!("total       {} in batches of {}", c.total, c.batch_size);
        println!("seed        {}", c.seed);
        println!("start       {}", c.start);
        println!("generator   {} / {}", c.provider, c.model);
        if let Some(line) = endpoint_targets(c) {
            println!("endpoint    {line}");
        }
        println!("attempts    up to {}", c.max_attempts);
        println!("created     {}", run.created_at);
        if let Some(f) = &run.finished_at {
            println!("finished    {f}");
        }
        println!(
            "counts      {} valid, {} failed of {}",
            run.counts.valid, run.counts.failed, run.counts.requested
        );
        if run.status != RunStatus::Complete {
            println!(
                "written     {written} of {} conversations on disk",
                run.counts.requested
            );
        }
        println!(
            "tokens      {} prompt + {} completion",
            thousands(run.usage.prompt_tokens),
            thousands(run.usage.completion_tokens)
        );
        if let Some(e) = &run.error {
            println!("error       {e}");
        }
        if resumable(&run) {
            println!(
                "resume      {}",
                user_command(g, Dirs::Data, &["resume", &run.run_id])
            );
        }
        for (i, line) in endpoint_lines(&run.endpoints).iter().enumerate() {
            println!(
                "{}{line}",
                if i == 0 {
                    "endpoints   "
                } else {
                    "            "
                }
            );
        }
        for (i, v) in run.versions.iter().enumerate() {
            let script = v.script.as_ref().map_or_else(String::new, |s| {
                format!(
                    ", script {} {}",
                    s.path,
                    s.sha256.chars().take(8).collect::<String>()
                )
            });
            println!(
                "{}{}. prompt {}{script} since {}: {}",
                if i == 0 {
                    "versions    "
                } else {
                    "            "
                },
                i + 1,
                v.prompt_id,
                v.since,
                if v.batches.is_empty() {
                    "no batches".to_string()
                } else {
                    v.batches.join(" ")
                }
            );
        }
        println!("batches     {}", run.batches.join(" "));
        return Ok(EXIT_OK);
    }
    if let Some(batch) = registry.batch(id)? {
        let convs = registry.conversations(&ConversationFilter {
            batch: Some(batch.batch_id.clone()),
            ..ConversationFilter::default()
        })?;
        if args.json {
            let mut v = serde_json::to_value(&batch).unwrap_or_default();
            v["path"] = json!(g.data_dir.join(&batch.path));
            v["conversations"] = serde_json::to_value(&convs).unwrap_or_default();
            return print_json(&v).map(|_| EXIT_OK);
        }
        println!(
            "batch {} · {} · {}",
            batch.batch_id,
            batch.run_id,
            batch.status.as_str()
        );
        println!("prompt      {}", batch.prompt_id);
        println!("folder      {}", g.data_dir.join(&batch.path));
        println!(
            "counts      {} valid, {} failed of {}",
            batch.counts.valid, batch.counts.failed, batch.counts.requested
        );
        println!(
            "tokens      {} prompt + {} completion",
            thousands(batch.usage.prompt_tokens),
            thousands(batch.usage.completion_tokens)
        );
        println!();
        print_table(
            &["CONVERSATION_ID", "STATUS", "SCENARIO", "ATTEMPTS"],
            convs
                .iter()
                .map(|c| {
                    vec![
                        c.conversation_id.clone(),
                        c.status.clone(),
                        c.scenario_id.clone(),
                        c.attempts.to_string(),
                    ]
                })
                .collect(),
        );
        return Ok(EXIT_OK);
    }
    if let Some(record) = registry.conversation(id)? {
        let audit = user_command(g, Dirs::Data, &["audit", &record.batch_id]);
        let conv = read_conversation(&g.data_dir.join(&record.file), &audit)?;
        if args.json {
            return print_json(&conv).map(|_| EXIT_OK);
        }
        let mut text = String::new();
        artefact::render_conversation(&conv, &mut text);
        println!(
            "prompt {} · {} / {} · attempts {}",
            conv.prompt.id, conv.generator.provider, conv.generator.model, conv.attempts
        );
        print!("{text}");
        return Ok(EXIT_OK);
    }
    // A prompt id, or a prompt name (every registered revision).
    let prompts: Vec<_> = registry
        .prompts()?
        .into_iter()
        .filter(|p| p.prompt_id == id || p.name == id)
        .collect();
    if !prompts.is_empty() {
        if args.json {
            return print_json(&prompts).map(|_| EXIT_OK);
        }
        for p in &prompts {
            println!(
                "prompt {} · revision {} · {}",
                p.prompt_id, p.revision, p.title
            );
            println!(
                "  name {}, language {}, {} scenarios",
                p.name, p.language, p.scenarios
            );
            println!("  sha256 {}", p.sha256);
            println!("  registered {} from {}", p.registered_at, p.path);
        }
        return Ok(EXIT_OK);
    }
    Err(Error::Usage(format!(
        "`{id}` is not a run, batch, conversation or prompt in {} (see `{}`, `{}` and `{}`)",
        registry.path(),
        user_command(g, Dirs::Data, &["list", "runs"]),
        user_command(g, Dirs::Data, &["list", "batches"]),
        user_command(g, Dirs::Data, &["list", "prompts"]),
    )))
}

fn cmd_check(g: &GlobalArgs, args: CheckArgs) -> Result<i32, Error> {
    let files = if args.prompts.is_empty() {
        let files = prompt_files(&g.prompts_dir)?;
        if files.is_empty() {
            return Err(Error::Usage(format!("no .md prompts in {}", g.prompts_dir)));
        }
        files
    } else {
        args.prompts
            .iter()
            .map(|p| resolve_prompt(g, p))
            .collect::<Result<Vec<_>, _>>()?
    };
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let (ok_mark, bad_mark, warn_mark) = (
        paint("32", "ok"),
        paint("31", "error"),
        paint("33", "warning"),
    );
    let mut bad = 0;
    for file in &files {
        let problems = match check_one(g, file) {
            Ok(report) => {
                println!("{ok_mark}  {file}: {}", report.summary);
                for w in &report.warnings {
                    println!("    {warn_mark}: {w}");
                }
                report.errors
            }
            Err(e) => vec![e.to_string()],
        };
        if !problems.is_empty() {
            bad += 1;
            for p in problems {
                println!("{bad_mark} {p}");
            }
        }
    }
    if bad > 0 {
        eprintln!("error: {bad} of {} prompt(s) have problems", files.len());
        return Ok(EXIT_ERROR);
    }
    Ok(EXIT_OK)
}

/// What `check` found for one prompt.
struct CheckReport {
    summary: String,
    errors: Vec<String>,
    warnings: Vec<String>,
}

/// Lints one prompt and its script, and runs every hook on sample conversations.
fn check_one(g: &GlobalArgs, file: &Utf8Path) -> Result<CheckReport, Error> {
    let p = prompt::load(file)?;
    let mut report = CheckReport {
        summary: format!(
            "{} · {} · {} turns · roles {} · {} scenarios",
            p.name,
            p.language,
            p.turns,
            p.roles.join("/"),
            p.scenarios.len()
        ),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let log: Arc<dyn LogSink> = Arc::new(crate::script::sandbox::StderrLog);
    let factory = match load_script(g, &p, log) {
        Ok(f) => f,
        Err(e) => {
            report.errors.push(e.to_string());
            return Ok(report);
        }
    };
    let found = crate::check::check(&p, factory.as_ref(), None);
    if !p.placeholder_lines.is_empty() {
        report.summary.push_str(&format!(
            " · placeholders {}",
            p.placeholder_lines
                .keys()
                .map(|p| format!("{{{{{p}}}}}"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    if let Some(factory) = &factory {
        report.summary.push_str(&format!(
            " · script {} (hooks: {})",
            factory.source.path,
            if factory.defined().is_empty() {
                "none".to_string()
            } else {
                factory.defined().join(", ")
            }
        ));
    }
    report.errors = found.errors;
    report.warnings = found.warnings;
    Ok(report)
}

#[derive(Debug, Args)]
struct PreviewArgs {
    /// Prompt name (in the prompts dir) or path to a .md file.
    #[arg(long, value_name = "NAME|PATH")]
    prompt: String,
    /// The scenario to use (default: as the script or the weights choose).
    #[arg(long, value_name = "ID")]
    scenario: Option<String>,
    /// Seed, below 2^53 (default: random).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=generate::SEED_MASK))]
    seed: Option<u64>,
    /// Print the conversation as JSON (with --request: the request body and where it would go).
    #[arg(long)]
    json: bool,
    /// Print the request an LLM would be sent for this conversation (messages, model, reply format), not the conversation; no key is shown and nothing is sent.
    #[arg(long)]
    request: bool,
    /// With --request: the provider whose request to show.
    #[arg(long, value_enum, default_value = "auto", env = "CONVGEN_PROVIDER")]
    provider: ProviderArg,
    /// With --request: the model name (OpenAI-compatible servers).
    #[arg(long, env = "CONVGEN_MODEL")]
    model: Option<String>,
}

fn cmd_preview(g: &GlobalArgs, args: PreviewArgs) -> Result<i32, Error> {
    let path = resolve_prompt(g, &args.prompt)?;
    let (prompt, _) = load_prompt(&path)?;
    let log: Arc<dyn LogSink> = Arc::new(crate::script::sandbox::StderrLog);
    let factory = load_script(g, &prompt, log)?;
    let mode = match &args.scenario {
        Some(id) => ScenarioMode::Fixed(id.clone()),
        None if factory.as_ref().is_some_and(|f| f.has("select_scenario")) => ScenarioMode::Script,
        None => ScenarioMode::Weighted,
    };
    refuse_problems(g, &prompt, factory.as_ref(), &mode)?;
    let seed = args
        .seed
        .unwrap_or_else(|| rand::random::<u64>() & generate::SEED_MASK);
    let mut hooks: Box<dyn crate::hooks::Hooks> = match &factory {
        Some(f) => Box::new(f.load_host().map_err(Error::Script)?),
        None => Box::new(crate::hooks::NoScript),
    };
    let sample = generate::Sample {
        prompt: &prompt,
        script: factory.as_ref().map(|f| f.source.to_ref()),
        mode,
        seed,
        start: prompt
            .start
            .unwrap_or_else(|| generate::default_start(seed)),
        generator: &MockGenerator,
        max_attempts: 3,
    };
    let conv = sample.make(1, hooks.as_mut())?;
    if args.request {
        return print_request(&prompt, &conv, &args);
    }
    if args.json {
        print_json(&conv)?;
    } else {
        let mut text = String::new();
        artefact::render_conversation(&conv, &mut text);
        println!(
            "{} · seed {} · {} / {} · attempts {} · nothing stored",
            prompt.name, seed, conv.generator.provider, conv.generator.model, conv.attempts
        );
        print!("{text}");
    }
    Ok(if conv.status == crate::conversation::Status::Valid {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

/// `preview --request`: the first request the chosen provider would be sent
/// for `conv`'s plan (scenario, variables, seed), key-free.
fn print_request(prompt: &Prompt, conv: &Conversation, args: &PreviewArgs) -> Result<i32, Error> {
    let scenario = prompt.scenario(&conv.scenario.id).ok_or_else(|| {
        Error::Usage(format!(
            "{}: no scenario `{}` in the catalog",
            prompt.path, conv.scenario.id
        ))
    })?;
    let filled = generate::fill_for_model(prompt, scenario, &conv.variables);
    let stop = AtomicBool::new(false);
    let request = crate::llm::Request {
        prompt,
        scenario,
        system: &filled.system,
        scenario_text: &filled.scenario_text,
        attributes: &filled.attributes,
        variables: &conv.variables,
        seed: conv.generator.seed,
        attempt: 1,
        feedback: &[],
        stop: &stop,
    };
    let chosen = make_generator(&GeneratorChoice {
        provider: args.provider,
        model: args.model.clone(),
        timeout: 120.0,
        max_retries: 0,
        concurrency: 1,
        max_wait: std::time::Duration::from_secs(1),
        quota: Quota::default(),
        recorded: Vec::new(),
    })?;
    let (url, body, note) = match chosen.generator.first_request(&request) {
        Some((url, body)) => (Some(url), body, chosen.note),
        None => (
            None,
            crate::llm::http::first_body(&request, args.model.as_deref(), None),
            format!(
                "{}; this is what an LLM provider would be sent",
                chosen.note
            ),
        ),
    };
    eprintln!(
        "{} · scenario {} · {}{} · nothing sent",
        prompt.name,
        conv.scenario.id,
        note,
        url.as_ref()
            .map(|u| format!(" · POST {u}"))
            .unwrap_or_default()
    );
    if args.json {
        print_json(&json!({
            "provider": chosen.generator.info().provider,
            "url": url,
            "conversation_seed": conv.generator.seed,
            "scenario": conv.scenario.id,
            "body": body,
        }))?;
        return Ok(EXIT_OK);
    }
    let mut out = std::io::stdout().lock();
    for m in body["messages"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "===== {} =====\n{}\n",
            m["role"].as_str().unwrap_or("?"),
            m["content"].as_str().unwrap_or("")
        );
    }
    let mut rest = body.clone();
    if let Some(map) = rest.as_object_mut() {
        map.remove("messages");
    }
    let _ = writeln!(
        out,
        "===== settings =====\n{}",
        serde_json::to_string_pretty(&rest).unwrap_or_default()
    );
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_accept_dates_and_times() {
        assert_eq!(
            parse_bound("--since", "2026-11-25").unwrap(),
            "2026-11-25T00:00:00.000Z"
        );
        assert_eq!(
            parse_bound("--since", "2026-11-25T10:00:00+01:00").unwrap(),
            "2026-11-25T09:00:00.000Z"
        );
        let e = parse_bound("--until", "soon").unwrap_err().to_string();
        assert!(e.starts_with("--until: "), "{e}");
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(45_064), "45,064");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn rates_have_one_decimal() {
        assert_eq!(rate(12.3456), "12.3/s");
        assert_eq!(rate(0.0), "0.0/s");
        assert_eq!(rate(f64::INFINITY), "-/s");
    }

    #[test]
    fn printed_commands_name_the_data_dir_when_it_is_not_the_default() {
        let global = |data: &str| GlobalArgs {
            data_dir: data.into(),
            prompts_dir: "prompts".into(),
            scripts_dir: "other scripts".into(),
            quiet: false,
        };
        assert_eq!(
            user_command(&global("batches"), Dirs::Data, &["show", "run-000001"]),
            "convgen show run-000001"
        );
        assert_eq!(
            user_command(
                &global("/tmp/my data"),
                Dirs::Data,
                &["resume", "run-000002"]
            ),
            "convgen --data-dir '/tmp/my data' resume run-000002"
        );
        assert_eq!(
            user_command(&global("batches"), Dirs::All, &["check"]),
            "convgen --scripts-dir 'other scripts' check"
        );
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn timestamps_in_bounds_are_utc() {
        use crate::validate::parse_utc_timestamp;
        assert!(parse_utc_timestamp(&parse_bound("--since", "2026-01-01").unwrap()).is_some());
    }
}
