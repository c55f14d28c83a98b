//! Runs: plan each conversation, have it written, check it, store it.
//!
//! The data flow of one conversation is: seed from (run seed, index) → scenario
//! (mode or `select_scenario`) → variables → placeholders filled → generator →
//! timestamps from `turn_latency` → built-in checks and validation hooks →
//! regenerate with the reasons until valid or out of attempts → conversation
//! file. A batch's conversations are made by a pool of workers (each with its
//! own hook host); `batch.json` is written last, then the batch is registered
//! in one transaction.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use camino::{Utf8Path, Utf8PathBuf};
use chrono::{DateTime, Duration, Utc};

use crate::artefact::{self, BatchDir};
use crate::conversation::{
    Batch, BatchGenerator, BatchStatus, Conversation, Counts, GeneratorRef, Origin, PromptRef,
    SCHEMA_VERSION, ScenarioMode, ScenarioRef, ScriptRef, Status, Turn, Usage,
};
use crate::hooks::{HookCtx, HookError, Hooks, default_latency};
use crate::llm::{Generator, LlmError, Request};
use crate::prompt::{self, Prompt, Scenario};
use crate::registry::{
    BatchFiles, BatchRecord, ConversationRecord, Registry, RegistryError, RunRecord, RunStatus,
};
use crate::regular_file::{FileError, Links};
use crate::rng::{ConvRng, derive_seed};
use crate::validate::{self, format_timestamp};
use crate::vartype;

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Hook(#[from] HookError),
    #[error("{0}")]
    Llm(String),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("cannot write {path}: {message}")]
    Write { path: Utf8PathBuf, message: String },
    #[error("{0}")]
    Plan(String),
    /// The provider cannot go on now (waits or retries exhausted): the run
    /// stops as Ctrl-C stops it, resumable.
    #[error("{0}")]
    Halted(String),
    /// Some batches of the run were not written; `resume` can finish them.
    #[error("{message}")]
    Unfinished { run_id: String, message: String },
    /// The run is stopping; this conversation was left for `resume`.
    #[error("stopped")]
    Cancelled,
}

/// Builds one hook host per worker.
pub trait HostFactory: Sync {
    /// A fresh host (a new Lua state, for scripts).
    fn host(&self) -> Result<Box<dyn Hooks>, GenerateError>;
}

/// The factory for prompts without a script.
pub struct NoScriptFactory;

impl HostFactory for NoScriptFactory {
    fn host(&self) -> Result<Box<dyn Hooks>, GenerateError> {
        Ok(Box::new(crate::hooks::NoScript))
    }
}

/// Receives progress as a run goes; every method may be called from any worker.
pub trait Observer: Sync {
    /// A conversation was written.
    fn conversation_done(&self, _conv: &Conversation) {}
    /// A batch was written and registered.
    fn batch_done(&self, _batch: &BatchRecord, _path: &Utf8Path) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// What the run needs besides the registry.
pub struct RunContext<'a> {
    pub prompt: &'a Prompt,
    pub prompt_ref: PromptRef,
    pub script: Option<ScriptRef>,
    pub run: &'a RunRecord,
    pub start: DateTime<Utc>,
    pub generator: &'a dyn Generator,
    pub hosts: &'a dyn HostFactory,
    pub data_dir: &'a Utf8Path,
    pub concurrency: usize,
    pub observer: &'a dyn Observer,
    /// Set to stop taking new conversations (Ctrl-C).
    pub stop: &'a AtomicBool,
}

/// A written batch.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    pub record: BatchRecord,
    pub path: Utf8PathBuf,
}

/// Picks a scenario by mode (not `Script`), drawing from `rng`.
pub fn pick_scenario<'p>(
    prompt: &'p Prompt,
    mode: &ScenarioMode,
    rng: &mut ConvRng,
) -> Option<&'p Scenario> {
    match mode {
        ScenarioMode::Fixed(id) => prompt.scenario(id),
        ScenarioMode::Random => rng.choice(&prompt.scenarios),
        // `Ingested` never reaches generation: ingested batches make nothing.
        ScenarioMode::Weighted | ScenarioMode::Script | ScenarioMode::Ingested => {
            let weights: Vec<f64> = prompt.scenarios.iter().map(|s| s.weight).collect();
            rng.weighted_index(&weights).map(|i| &prompt.scenarios[i])
        }
    }
}

/// The conversation id of index `n` (1-based within the batch).
pub fn conversation_id(batch_id: &str, n: u64) -> String {
    format!("{batch_id}-{n:04}")
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// What the model is told for one conversation, with the holes filling left.
#[derive(Debug, Clone, PartialEq)]
pub struct Filled {
    /// The system instructions, placeholders filled.
    pub system: String,
    /// The scenario text, placeholders filled.
    pub scenario_text: String,
    /// The attributes the model is told ([`prompt::told_attributes`]).
    pub attributes: Vec<(String, String)>,
    /// Placeholders no variable fills.
    pub missing: Vec<String>,
    /// `{{` left in the filled texts that open no placeholder.
    pub leftovers: Vec<String>,
}

/// Fills the system text, the scenario text and the told attributes from `vars`.
pub fn fill_for_model(
    prompt: &Prompt,
    scenario: &Scenario,
    vars: &BTreeMap<String, serde_json::Value>,
) -> Filled {
    let (system, mut missing) = prompt::fill(&prompt.system, vars);
    let (scenario_text, missing_s) = prompt::fill(&scenario.text, vars);
    let (attributes, missing_a) = prompt::told_attributes(scenario, vars);
    for m in missing_s.into_iter().chain(missing_a) {
        if !missing.contains(&m) {
            missing.push(m);
        }
    }
    let mut leftovers: Vec<String> = Vec::new();
    for text in [&system, &scenario_text]
        .into_iter()
        .chain(attributes.iter().map(|(_, v)| v))
    {
        for snippet in prompt::leftovers(text) {
            if !leftovers.contains(&snippet) {
                leftovers.push(snippet);
            }
        }
    }
    Filled {
        system,
        scenario_text,
        attributes,
        missing,
        leftovers,
    }
}

/// One issue per placeholder `vars` leaves unfilled, naming the prompt line.
pub fn unfilled_issues(prompt: &Prompt, missing: &[String]) -> Vec<String> {
    missing
        .iter()
        .map(|m| {
            let place = prompt
                .placeholder_lines
                .get(m)
                .map_or_else(|| prompt.path.to_string(), |l| format!("{}:{l}", prompt.path));
            format!(
                "placeholder {{{{{m}}}}} ({place}) has no value: define `{m}` in the script's variables hook"
            )
        })
        .collect()
}

/// The problem of a `{{` written in the prompt at `line` that opens no placeholder.
pub fn malformed_issue(prompt: &Prompt, line: usize, snippet: &str) -> String {
    format!(
        "{}:{line}: `{snippet}` is not a placeholder convgen can fill (names are letters, digits, `_`, `-` and `.`, on one line); it would reach the model as written",
        prompt.path
    )
}

/// The issue for a `{{` that filling left in the text the model would get.
pub fn leftover_issue(prompt: &Prompt, snippet: &str) -> String {
    match prompt.malformed.iter().find(|(_, s)| s == snippet) {
        Some((line, _)) => malformed_issue(prompt, *line, snippet),
        None => format!(
            "`{snippet}` is left in the text for the model after filling: a variable's value holds it; placeholders are filled once"
        ),
    }
}

pub use crate::plan::SEED_MASK;

/// Seconds of the working day over which conversation starts are spread.
const START_SPREAD_S: f64 = 8.0 * 3600.0;

/// Makes one conversation: plan, generate, time, check, regenerate.
pub fn make_conversation<'a>(
    ctx: &RunContext<'a>,
    batch: &BatchRecord,
    index: u64,
    hooks: &mut dyn Hooks,
) -> Result<Conversation, GenerateError> {
    let prompt = ctx.prompt;
    let mode = &ctx.run.config.scenario_mode;
    let conv_seed = derive_seed(ctx.run.config.seed, index) & SEED_MASK;
    let mut rng = ConvRng::new(conv_seed);
    let conversation_id = conversation_id(&batch.batch_id, index - batch.first_index + 1);
    let script_path = ctx
        .script
        .as_ref()
        .map_or_else(|| "script".to_string(), |s| s.path.clone());
    let no_vars = BTreeMap::new();
    let base_ctx = |scenario: Option<&'a Scenario>, vars| HookCtx {
        prompt,
        index,
        batch_index: batch.batch_index,
        mode,
        scenario,
        vars,
        conversation_id: &conversation_id,
    };

    // Scenario.
    let scenario = match mode {
        ScenarioMode::Script => {
            let picked = hooks.select_scenario(&base_ctx(None, &no_vars), &mut rng)?;
            match picked {
                Some(id) => prompt.scenario(&id).ok_or_else(|| HookError {
                    script: script_path.clone(),
                    hook: "select_scenario",
                    conversation_id: conversation_id.clone(),
                    message: format!(
                        "returned `{id}`, which is not in the catalog ({})",
                        prompt.scenario_ids().join(", ")
                    ),
                })?,
                None => pick_scenario(prompt, mode, &mut rng).ok_or_else(|| {
                    GenerateError::Plan("the prompt has no scenario with a positive weight".into())
                })?,
            }
        }
        _ => pick_scenario(prompt, mode, &mut rng).ok_or_else(|| {
            GenerateError::Plan("the prompt has no scenario with a positive weight".into())
        })?,
    };

    // Variables, then placeholders.
    let variables = hooks
        .variables(&base_ctx(Some(scenario), &no_vars), &mut rng)?
        .unwrap_or_default();
    let variables = vartype::normalise_declared(&prompt.variables, variables);
    let ctx_full = base_ctx(Some(scenario), &variables);
    let Filled {
        system,
        scenario_text,
        attributes,
        missing,
        leftovers,
    } = fill_for_model(prompt, scenario, &variables);
    let mut left = vartype::type_issues(&prompt.variables, &variables);
    left.extend(unfilled_issues(prompt, &missing));
    for snippet in &leftovers {
        left.push(leftover_issue(prompt, snippet));
    }
    if system.len().max(scenario_text.len()) > prompt::MAX_FILLED {
        left.push(format!(
            "the prompt filled with this conversation's variables is over {} MiB (a long value in many placeholders?); nothing was sent",
            prompt::MAX_FILLED >> 20
        ));
    }

    let start = ctx.start + Duration::milliseconds((rng.float() * START_SPREAD_S * 1000.0) as i64);
    let generator = ctx.generator.info();
    let mut conv = Conversation {
        schema_version: SCHEMA_VERSION,
        conversation_id: conversation_id.clone(),
        batch_id: batch.batch_id.clone(),
        run_id: batch.run_id.clone(),
        origin: Origin::Generated,
        index,
        prompt: Some(ctx.prompt_ref.clone()),
        source: None,
        script: ctx.script.clone(),
        scenario: ScenarioRef {
            id: scenario.id.clone(),
            title: scenario.title.clone(),
        },
        variables: variables.clone(),
        language: prompt.language.clone(),
        roles: prompt.roles.clone(),
        generator: GeneratorRef {
            provider: generator.provider,
            model: generator.model,
            endpoint_host: generator.endpoint_host,
            endpoint: generator.endpoint,
            temperature: ctx.run.config.temperature,
            seed: conv_seed,
        },
        attempts: 0,
        status: Status::Failed,
        issues: Vec::new(),
        usage: Usage::default(),
        request_ids: Vec::new(),
        created_at: String::new(),
        turns: Vec::new(),
    };

    if !left.is_empty() {
        // Asking a model with holes in the prompt wastes money: record the failure instead.
        conv.issues = left;
        conv.created_at = now();
        return Ok(conv);
    }

    let mut feedback: Vec<String> = Vec::new();
    for attempt in 1..=ctx.run.config.max_attempts.max(1) {
        conv.attempts = attempt;
        let request = Request {
            prompt,
            scenario,
            system: &system,
            scenario_text: &scenario_text,
            attributes: &attributes,
            variables: &variables,
            seed: conv_seed,
            attempt,
            feedback: &feedback,
            stop: ctx.stop,
            start,
        };
        let reply = match ctx.generator.generate(&request) {
            Ok(reply) => reply,
            Err(LlmError::Fatal(m)) => return Err(GenerateError::Llm(m)),
            Err(LlmError::Halted(m)) => return Err(GenerateError::Halted(m)),
            Err(LlmError::Cancelled) => return Err(GenerateError::Cancelled),
            Err(LlmError::Refused(m)) => {
                conv.issues = vec![format!("refused by the provider: {m}")];
                conv.turns.clear();
                break;
            }
            Err(LlmError::Invalid { reason, usage }) => {
                conv.usage.add(usage);
                conv.turns.clear();
                conv.status = Status::Failed;
                feedback = vec![reason];
                conv.issues = feedback.clone();
                continue;
            }
        };
        conv.usage.add(reply.usage);
        conv.request_ids = reply.request_ids;
        if let Some(g) = reply.served_by {
            conv.generator.provider = g.provider;
            conv.generator.model = g.model;
            conv.generator.endpoint_host = g.endpoint_host;
            conv.generator.endpoint = g.endpoint;
        }
        conv.turns = time_turns(
            reply.turns,
            prompt,
            start,
            &ctx_full,
            hooks,
            &mut rng,
            &script_path,
        )?;
        let mut issues = validate::check_conversation(&conv, prompt);
        if let Some(per_turn) = hooks.validate_turns(&conv.turns, &ctx_full, &mut rng)? {
            for (turn, reasons) in conv.turns.iter().zip(per_turn) {
                issues.extend(
                    reasons
                        .into_iter()
                        .map(|r| format!("turn {}: {r}", turn.index)),
                );
            }
        }
        // The script sees the conversation as it would be written.
        conv.status = if issues.is_empty() {
            Status::Valid
        } else {
            Status::Failed
        };
        conv.issues = issues.clone();
        if let Some(reasons) = hooks.validate_conversation(&conv, &ctx_full, &mut rng)? {
            issues.extend(reasons);
        }
        conv.issues = issues;
        if conv.issues.is_empty() {
            conv.status = Status::Valid;
            break;
        }
        conv.status = Status::Failed;
        feedback = conv.issues.clone();
    }
    conv.created_at = now();
    Ok(conv)
}

/// Makes one conversation outside any run (`check`, `preview`): nothing is
/// registered and nothing is written.
pub struct Sample<'a> {
    pub prompt: &'a Prompt,
    pub script: Option<ScriptRef>,
    pub mode: ScenarioMode,
    pub seed: u64,
    pub start: DateTime<Utc>,
    pub generator: &'a dyn Generator,
    pub max_attempts: u32,
}

impl Sample<'_> {
    /// Conversation `index` of this sample run.
    pub fn make(&self, index: u64, hooks: &mut dyn Hooks) -> Result<Conversation, GenerateError> {
        let info = self.generator.info();
        let run = RunRecord {
            run_id: "preview".into(),
            config: crate::registry::RunConfig {
                prompt_id: crate::registry::prompt_id(&self.prompt.name, &self.prompt.sha256),
                prompt_name: self.prompt.name.clone(),
                prompt_sha256: self.prompt.sha256.clone(),
                script: self.script.clone(),
                scenario_mode: self.mode.clone(),
                total: index,
                batch_size: index,
                seed: self.seed,
                start: format_timestamp(self.start),
                provider: info.provider,
                model: info.model,
                endpoint_host: info.endpoint_host,
                temperature: self.prompt.temperature,
                concurrency: 1,
                max_attempts: self.max_attempts,
                endpoints: Vec::new(),
                origin: Origin::Generated,
                source: None,
            },
            status: RunStatus::Running,
            batches: Vec::new(),
            counts: Counts::default(),
            usage: Usage::default(),
            created_at: now(),
            finished_at: None,
            error: None,
            endpoints: Vec::new(),
            versions: Vec::new(),
        };
        let batch = BatchRecord {
            batch_id: format!("{}-preview", self.prompt.name),
            run_id: run.run_id.clone(),
            batch_index: 1,
            prompt_id: run.config.prompt_id.clone(),
            prompt_name: self.prompt.name.clone(),
            script: self.script.clone(),
            first_index: 1,
            size: index,
            status: BatchStatus::Pending,
            counts: Counts::default(),
            usage: Usage::default(),
            path: String::new(),
            files: None,
            created_at: run.created_at.clone(),
            finished_at: None,
        };
        let stop = AtomicBool::new(false);
        let ctx = RunContext {
            prompt: self.prompt,
            prompt_ref: PromptRef {
                id: run.config.prompt_id.clone(),
                name: self.prompt.name.clone(),
                version: self.prompt.version.clone(),
                revision: 0,
                sha256: self.prompt.sha256.clone(),
            },
            script: self.script.clone(),
            run: &run,
            start: self.start,
            generator: self.generator,
            hosts: &NoScriptFactory,
            data_dir: Utf8Path::new("."),
            concurrency: 1,
            observer: &Silent,
            stop: &stop,
        };
        make_conversation(&ctx, &batch, index, hooks)
    }
}

/// Turns (role, text) pairs into turns with timestamps from the latency model.
fn time_turns(
    pairs: Vec<(String, String)>,
    prompt: &Prompt,
    start: DateTime<Utc>,
    ctx: &HookCtx,
    hooks: &mut dyn Hooks,
    rng: &mut ConvRng,
    script_path: &str,
) -> Result<Vec<Turn>, GenerateError> {
    let mut turns: Vec<Turn> = pairs
        .into_iter()
        .enumerate()
        .map(|(i, (role, text))| Turn {
            index: i as u32 + 1,
            role,
            text,
            timestamp: None,
            latency_ms: None,
        })
        .collect();
    if !prompt.timestamps {
        return Ok(turns);
    }
    let scripted = hooks.turn_latencies(&turns, ctx, rng)?;
    let mut clock = start;
    for i in 0..turns.len() {
        let seconds = match scripted.as_ref().and_then(|v| v.get(i)) {
            Some(s) if (0.0..86_400.0).contains(s) => *s,
            Some(s) => {
                return Err(HookError {
                    script: script_path.to_string(),
                    hook: "turn_latency",
                    conversation_id: ctx.conversation_id.to_string(),
                    message: format!(
                        "returned {s} for turn {}; it must be a number of seconds from 0 to 86400",
                        i + 1
                    ),
                }
                .into());
            }
            None => {
                let role_index = prompt
                    .roles
                    .iter()
                    .position(|r| *r == turns[i].role)
                    .unwrap_or(1);
                let previous = i.checked_sub(1).map(|p| turns[p].text.as_str());
                default_latency(turns[i].index, role_index, previous, rng)
            }
        };
        let ms = (seconds * 1000.0).round() as i64;
        if ms < 1 && i > 0 && scripted.is_some() {
            // Timestamps have millisecond precision and must increase: a
            // latency that rounds to 0 would fail every conversation.
            return Err(HookError {
                script: script_path.to_string(),
                hook: "turn_latency",
                conversation_id: ctx.conversation_id.to_string(),
                message: format!(
                    "returned {seconds} for turn {}, which rounds to 0 ms: its timestamp would equal the previous turn's, and timestamps must increase; return at least 0.001",
                    i + 1
                ),
            }
            .into());
        }
        clock += Duration::milliseconds(ms);
        turns[i].latency_ms = Some(ms as u64);
        turns[i].timestamp = Some(format_timestamp(clock));
    }
    Ok(turns)
}

/// A batch being written: its folder and the conversations staged so far.
struct BatchWork<'b> {
    batch: &'b BatchRecord,
    dir: BatchDir,
    started_at: std::sync::OnceLock<String>,
    results: Mutex<Vec<Option<(Conversation, String)>>>,
    remaining: AtomicU64,
    /// Conversations found whole on disk (an interrupted run): already in place.
    kept: std::collections::BTreeSet<String>,
}

fn write_err(path: &Utf8Path, e: std::io::Error) -> GenerateError {
    GenerateError::Write {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

impl<'b> BatchWork<'b> {
    /// A batch to write. When its folder exists (an interrupted run), staged
    /// temporary files are discarded and every whole conversation file already
    /// in place is kept: those conversations are not made again.
    fn new(batch: &'b BatchRecord, ctx: &RunContext) -> Result<Self, GenerateError> {
        let dir =
            crate::data_path::batch_folder(ctx.data_dir, batch).map_err(RegistryError::from)?;
        // A folder already there must be one convgen made, not a symlink.
        let exists = crate::regular_file::real_dir(dir.root()).map_err(RegistryError::from)?;
        let work = Self {
            batch,
            dir,
            started_at: std::sync::OnceLock::new(),
            results: Mutex::new(Vec::new()),
            remaining: AtomicU64::new(batch.size),
            kept: Default::default(),
        };
        let mut work = work;
        if exists {
            work.reconcile(ctx)?;
        }
        Ok(work)
    }

    fn reconcile(&mut self, ctx: &RunContext) -> Result<(), GenerateError> {
        let prompt = ctx.prompt;
        crate::regular_file::real_dir(&self.dir.conversations()).map_err(RegistryError::from)?;
        for dir in [self.dir.root().to_owned(), self.dir.conversations()] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                // Half-written files, and batch files that were never registered.
                if name.ends_with(".tmp")
                    || name == artefact::BATCH_JSON
                    || name == artefact::PREVIEW_TXT
                {
                    let path = dir.join(&name);
                    std::fs::remove_file(&path).map_err(|e| write_err(&path, e))?;
                }
            }
        }
        let mut results = vec![None; self.batch.size as usize];
        let mut kept = 0;
        for (n, slot) in results.iter_mut().enumerate() {
            let id = conversation_id(&self.batch.batch_id, n as u64 + 1);
            let path = self.dir.conversation(&id);
            // A FIFO, device or symlink in its place is refused, never read.
            let bytes = match crate::regular_file::read(
                &path,
                Links::Refuse,
                crate::regular_file::MAX_CONVERSATION_BYTES,
            ) {
                Ok(bytes) => bytes,
                Err(e) if e.is_missing() => continue,
                Err(e @ (FileError::NotRegular { .. } | FileError::NotFolder { .. })) => {
                    return Err(RegistryError::from(e).into());
                }
                // Unreadable or too large: not a file this batch wrote whole.
                Err(_) => Vec::new(),
            };
            match serde_json::from_slice::<Conversation>(&bytes) {
                // Unregistered files are not trusted blindly: a kept conversation
                // must be this run's, made with the prompt and script versions the
                // batch is written with (`resume --allow-changed` moves them on),
                // and still pass the built-in checks.
                Ok(c)
                    if c.conversation_id == id
                        && c.run_id == self.batch.run_id
                        && c.prompt.as_ref().is_some_and(|p| p.sha256 == prompt.sha256)
                        && c.script == ctx.script
                        && (c.status == Status::Failed
                            || validate::check_conversation(&c, prompt).is_empty()) =>
                {
                    *slot = Some((c, crate::prompt::sha256_hex(&bytes)));
                    self.kept.insert(id);
                    kept += 1;
                }
                // Not what this batch would have written: make it again.
                _ => std::fs::remove_file(&path).map_err(|e| write_err(&path, e))?,
            }
        }
        if kept > 0 {
            *self.results.lock().unwrap_or_else(|p| p.into_inner()) = results;
            self.remaining.fetch_sub(kept, Ordering::SeqCst);
        }
        Ok(())
    }

    /// True when conversation `n` is already in place.
    fn has(&self, n: u64) -> bool {
        self.results
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(n as usize)
            .is_some_and(Option::is_some)
    }

    /// Makes and stages conversation `n` (from 0); true when it was the batch's last.
    fn make(&self, ctx: &RunContext, n: u64, hooks: &mut dyn Hooks) -> Result<bool, GenerateError> {
        let conv = make_conversation(ctx, self.batch, self.batch.first_index + n, hooks)?;
        let written = artefact::stage_conversation(&self.dir, &conv)
            .map_err(|e| write_err(&self.dir.conversation(&conv.conversation_id), e))?;
        ctx.observer.conversation_done(&conv);
        let mut r = self.results.lock().unwrap_or_else(|p| p.into_inner());
        if r.is_empty() {
            r.resize(self.batch.size as usize, None);
        }
        r[n as usize] = Some((conv, written.sha256));
        Ok(self.remaining.fetch_sub(1, Ordering::SeqCst) == 1)
    }

    /// Gives the conversations a stopped batch has staged their final names,
    /// so that `resume` keeps them instead of making them again.
    fn keep_staged(&self) -> Result<(), GenerateError> {
        let results = self.results.lock().unwrap_or_else(|p| p.into_inner());
        let ids: Vec<&str> = results
            .iter()
            .flatten()
            .map(|(c, _)| c.conversation_id.as_str())
            .filter(|id| !self.kept.contains(*id))
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        artefact::commit_conversations(&self.dir, &ids)
            .map_err(|e| write_err(&self.dir.conversations(), e))
    }

    /// Commits the staged files, writes preview and `batch.json`, registers the batch.
    fn finish(&self, ctx: &RunContext, registry: &Registry) -> Result<BatchOutcome, GenerateError> {
        let batch = self.batch;
        let dir = &self.dir;
        let results = std::mem::take(&mut *self.results.lock().unwrap_or_else(|p| p.into_inner()));
        let mut conversations = Vec::with_capacity(results.len());
        let mut records = Vec::with_capacity(results.len());
        let mut counts = Counts {
            requested: batch.size,
            ..Counts::default()
        };
        let mut usage = Usage::default();
        for (conv, sha256) in results.into_iter().flatten() {
            match conv.status {
                Status::Valid => counts.valid += 1,
                Status::Failed => counts.failed += 1,
            }
            usage.add(conv.usage);
            records.push(ConversationRecord::of(&conv, &batch.path, sha256));
            conversations.push(conv);
        }
        let ids: Vec<&str> = conversations
            .iter()
            .map(|c| c.conversation_id.as_str())
            .filter(|id| !self.kept.contains(*id))
            .collect();
        artefact::commit_conversations(dir, &ids)
            .map_err(|e| write_err(&dir.conversations(), e))?;
        let status = BatchStatus::from_counts(counts.valid, counts.failed);
        let info = ctx.generator.info();
        let finished_at = now();
        let batch_file = Batch {
            schema_version: SCHEMA_VERSION,
            batch_id: batch.batch_id.clone(),
            run_id: batch.run_id.clone(),
            batch_index: batch.batch_index,
            prompt: Some(ctx.prompt_ref.clone()),
            source: None,
            script: ctx.script.clone(),
            scenario_mode: ctx.run.config.scenario_mode.clone(),
            generator: BatchGenerator {
                provider: info.provider,
                model: info.model,
                endpoint_host: info.endpoint_host,
                temperature: ctx.run.config.temperature,
            },
            seed: ctx.run.config.seed,
            started_at: self.started_at.get().cloned().unwrap_or_else(now),
            finished_at: finished_at.clone(),
            status,
            counts,
            usage,
            conversations,
        };
        let (preview, json) =
            artefact::write_batch_files(dir, &batch_file).map_err(|e| write_err(dir.root(), e))?;
        let record = BatchRecord {
            // The versions it was written with (`resume --allow-changed` may have moved on).
            prompt_id: ctx.prompt_ref.id.clone(),
            script: ctx.script.clone(),
            status,
            counts,
            usage,
            files: Some(BatchFiles {
                batch_json_sha256: json.sha256,
                preview_sha256: preview.sha256,
            }),
            finished_at: Some(finished_at),
            ..batch.clone()
        };
        registry.register_conversations(&record, &records)?;
        ctx.observer.batch_done(&record, dir.root());
        Ok(BatchOutcome {
            record,
            path: dir.root().to_owned(),
        })
    }
}

/// How many batches are written side by side.
///
/// Creating files in one directory is serialised by the filesystem; spreading
/// the workers over a few batch folders at once keeps the disk busy instead of
/// queueing on one directory lock (measured: about 2.5× faster on ext4). Only
/// for local generators: see [`Generator::local`].
pub fn lanes(concurrency: usize, batches: usize) -> usize {
    (concurrency / 2).clamp(1, 4).min(batches.max(1))
}

/// Writes every pending batch of a run and records the outcome.
///
/// Batches are dealt to [`lanes`]; each lane has its own workers, which live
/// for the whole run (one hook host, i.e. one Lua state, each) and take the
/// lane's conversations in order. Whoever stages a batch's last conversation
/// finishes that batch. A batch cut short by a stop stays pending, its staged
/// files left for `resume`.
pub fn run_all(
    ctx: &RunContext,
    registry: &Registry,
    batches: &[BatchRecord],
) -> Result<(RunRecord, Vec<BatchOutcome>), GenerateError> {
    let lanes = if ctx.generator.local() {
        lanes(ctx.concurrency, batches.len())
    } else {
        1
    };
    let workers = (ctx.concurrency / lanes).max(1);
    let failed = AtomicBool::new(false);
    // Why the provider cannot go on, once it cannot: workers finish what is
    // in flight and take nothing new, as after Ctrl-C.
    let halted: Mutex<Option<String>> = Mutex::new(None);
    let halt = |why: String| {
        failed.store(true, Ordering::SeqCst);
        halted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(why);
    };
    let outcomes: Mutex<Vec<BatchOutcome>> = Mutex::new(Vec::with_capacity(batches.len()));
    let first_error: Mutex<Option<GenerateError>> = Mutex::new(None);
    let fail = |e: GenerateError| {
        failed.store(true, Ordering::SeqCst);
        first_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(e);
    };
    let works: Vec<BatchWork> = batches
        .iter()
        .map(|b| BatchWork::new(b, ctx))
        .collect::<Result<_, _>>()?;
    // Batches an interrupted run left whole only need finishing; the others
    // are dealt to lanes once, before any worker starts changing counts.
    let mut finished = Vec::new();
    let mut open: Vec<&BatchWork> = Vec::with_capacity(works.len());
    for work in &works {
        if work.remaining.load(Ordering::SeqCst) == 0 {
            finished.push(work.finish(ctx, registry)?);
        } else {
            open.push(work);
        }
    }
    let stride = batches.iter().map(|b| b.size).max().unwrap_or(1).max(1);
    std::thread::scope(|s| {
        for lane in 0..lanes {
            let lane_works: Vec<&BatchWork> =
                open.iter().copied().skip(lane).step_by(lanes).collect();
            let next = std::sync::Arc::new(AtomicU64::new(0));
            let prepared = std::sync::Arc::new(Mutex::new(0usize));
            for _ in 0..workers {
                let (lane_works, next, prepared) =
                    (lane_works.clone(), next.clone(), prepared.clone());
                let (failed, outcomes, fail, halt) = (&failed, &outcomes, &fail, &halt);
                s.spawn(move || {
                    let mut hooks = match ctx.hosts.host() {
                        Ok(h) => h,
                        Err(e) => return fail(e),
                    };
                    loop {
                        if failed.load(Ordering::SeqCst) || ctx.stop.load(Ordering::SeqCst) {
                            return;
                        }
                        // Item k of the lane: conversation k % stride of its batch k / stride.
                        let k = next.fetch_add(1, Ordering::SeqCst);
                        let Some(work) = lane_works.get((k / stride) as usize) else {
                            return;
                        };
                        let n = k % stride;
                        if n >= work.batch.size || work.has(n) {
                            continue;
                        }
                        if let Err(e) = prepare(&prepared, &lane_works, (k / stride) as usize) {
                            return fail(e);
                        }
                        match work.make(ctx, n, hooks.as_mut()) {
                            Ok(false) => {}
                            Ok(true) => match work.finish(ctx, registry) {
                                Ok(o) => outcomes.lock().unwrap_or_else(|p| p.into_inner()).push(o),
                                Err(e) => return fail(e),
                            },
                            Err(GenerateError::Halted(why)) => return halt(why),
                            Err(GenerateError::Cancelled) => return,
                            Err(e) => return fail(e),
                        }
                    }
                });
            }
        }
    });
    let mut outcomes = outcomes.into_inner().unwrap_or_else(|p| p.into_inner());
    outcomes.extend(finished);
    outcomes.sort_by_key(|o| o.record.batch_index);
    let stats = ctx.generator.stats();
    if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        let status = if ctx.stop.load(Ordering::SeqCst) {
            RunStatus::Interrupted
        } else {
            RunStatus::Failed
        };
        registry.finish_run(&ctx.run.run_id, status, Some(e.to_string()), &stats)?;
        return Err(e);
    }
    let halted = halted.into_inner().unwrap_or_else(|p| p.into_inner());
    if halted.is_some() || ctx.stop.load(Ordering::SeqCst) {
        for work in open
            .iter()
            .filter(|w| w.remaining.load(Ordering::SeqCst) > 0)
        {
            work.keep_staged()?;
        }
    }
    let (status, error) = match (
        outcomes.len() < batches.len(),
        ctx.stop.load(Ordering::SeqCst),
    ) {
        (false, _) => (RunStatus::Complete, None),
        // Stopped by the provider: interrupted, with the reason kept.
        (true, _) if halted.is_some() => (RunStatus::Interrupted, halted),
        (true, true) => (RunStatus::Interrupted, None),
        (true, false) => (
            RunStatus::Failed,
            Some(format!(
                "{} of {} batches were not written",
                batches.len() - outcomes.len(),
                batches.len()
            )),
        ),
    };
    let run = registry.finish_run(&ctx.run.run_id, status, error.clone(), &stats)?;
    if let Some(e) = error.filter(|_| status == RunStatus::Failed) {
        return Err(GenerateError::Unfinished {
            run_id: ctx.run.run_id.clone(),
            message: e,
        });
    }
    Ok((run, outcomes))
}

/// The conversations of a run that are on disk to stay: those of its written
/// batches, plus the whole files already in place in its pending batches'
/// folders (a stopped batch gives its staged files their final names, see
/// `keep_staged`). Temporary files a killed process left are not counted:
/// `resume` discards them.
pub fn conversations_on_disk(registry: &Registry, run: &RunRecord) -> Result<u64, RegistryError> {
    let batches = registry.batches(&crate::registry::BatchFilter {
        run: Some(run.run_id.clone()),
        ..Default::default()
    })?;
    let mut n = 0;
    for b in batches.iter().filter(|b| b.run_id == run.run_id) {
        if b.status != BatchStatus::Pending {
            n += b.counts.valid + b.counts.failed;
            continue;
        }
        // A registry path is trusted only once checked, a folder only when real.
        let Ok(dir) = crate::data_path::batch_folder(registry.data_dir(), b) else {
            continue;
        };
        let dir = dir.conversations();
        if !matches!(crate::regular_file::real_dir(&dir), Ok(true)) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let prefix = format!("{}-", b.batch_id);
        n += entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with(&prefix) && name.ends_with(".json")
            })
            .count() as u64;
    }
    Ok(n)
}

/// Creates the folders of a lane's batches up to `upto`, once each, in order.
fn prepare(
    prepared: &Mutex<usize>,
    works: &[&BatchWork],
    upto: usize,
) -> Result<(), GenerateError> {
    let mut done = prepared.lock().unwrap_or_else(|p| p.into_inner());
    while *done <= upto {
        let work = works[*done];
        work.dir
            .create()
            .map_err(|e| write_err(work.dir.root(), e))?;
        let _ = work.started_at.set(now());
        *done += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    use super::*;

    fn prompt() -> Prompt {
        let text = "+++\nlanguage = \"en\"\nroles = [\"agent\", \"client\"]\nturns = 4\n+++\nx\n## Scenarios\n### a: A\n```toml\nweight = 9\n```\nt\n### b: B\n```toml\nweight = 1\n```\nt\n";
        prompt::parse(Utf8Path::new("p.md"), text.as_bytes()).unwrap()
    }

    #[test]
    fn weighted_and_random_and_fixed_modes() {
        let p = prompt();
        let mut rng = ConvRng::new(5);
        let weighted = (0..2000)
            .filter(|_| {
                pick_scenario(&p, &ScenarioMode::Weighted, &mut rng)
                    .unwrap()
                    .id
                    == "a"
            })
            .count();
        assert!((1700..1900).contains(&weighted), "{weighted}");
        let random = (0..2000)
            .filter(|_| {
                pick_scenario(&p, &ScenarioMode::Random, &mut rng)
                    .unwrap()
                    .id
                    == "a"
            })
            .count();
        assert!((900..1100).contains(&random), "{random}");
        for _ in 0..50 {
            assert_eq!(
                pick_scenario(&p, &ScenarioMode::Fixed("b".into()), &mut rng)
                    .unwrap()
                    .id,
                "b"
            );
        }
    }

    #[test]
    fn lanes_spread_workers_without_exceeding_batches() {
        assert_eq!(lanes(8, 100), 4);
        assert_eq!(lanes(8, 2), 2);
        assert_eq!(lanes(1, 100), 1);
        assert_eq!(lanes(3, 100), 1);
        assert_eq!(lanes(64, 100), 4);
        assert_eq!(lanes(8, 0), 1);
    }

    #[test]
    fn conversation_ids_are_padded() {
        assert_eq!(conversation_id("p-000001", 7), "p-000001-0007");
    }
}
