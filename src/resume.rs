//! Resuming a run (SPEC §5): what is left to write, which prompt and script
//! versions write it, and where its requests go (SPEC §4: where the run went,
//! never wherever the environment happens to point now).
//!
//! The command wires these together: [`pending`] batches, [`versions`] of the
//! files (the recorded ones, or with `--allow-changed` the files as they are
//! now, recorded with [`Versions::record`]), and the [`target`] endpoint.

use camino::Utf8Path;

use crate::conversation::BatchStatus;
use crate::llm::choose::Provider;
use crate::llm::http::{EndpointRecord, EnvEndpoint, Flavor, host_of};
use crate::prompt::{self, Prompt, PromptError};
use crate::registry::{BatchRecord, PromptRecord, Registry, RegistryError, RunRecord};
use crate::script::{ScriptFactory, ScriptSource};
use crate::settings::{self, FileSettings};

/// Why a run cannot be resumed as asked.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error("{registry}: the registry lacks the {what} this run recorded")]
    Missing {
        registry: String,
        what: &'static str,
    },
    #[error(
        "{changes} changed since {run_id} started; resuming would mix versions. Pass --allow-changed to finish it with the files as they are now (the run records both versions)"
    )]
    Changed { changes: String, run_id: String },
    #[error(
        "{path}: the prompt is now named `{now}`, not `{was}` as when {run_id} started; a run keeps its prompt's name, so start a new run"
    )]
    Renamed {
        path: String,
        now: String,
        was: String,
        run_id: String,
    },
    #[error("{run_id} was made with {source}")]
    Mode {
        run_id: String,
        source: crate::plan::PlanError,
    },
    /// A changed file could not be read.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// A script could not be read.
    #[error("{0}")]
    Script(String),
    /// The environment points elsewhere than the run went.
    #[error("{0}")]
    Elsewhere(String),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// The batches of a run still to write; each one's id and folder are
/// checked before anything is read or written (a tampered record is an error).
pub fn pending(registry: &Registry, run: &RunRecord) -> Result<Vec<BatchRecord>, RegistryError> {
    let mut out = Vec::new();
    for id in &run.batches {
        if let Some(b) = registry.batch(id)?
            && b.status == BatchStatus::Pending
        {
            crate::data_path::batch_folder(registry.data_dir(), &b)?;
            out.push(b);
        }
    }
    Ok(out)
}

/// A prompt or script file as it is now: a regular file, size-bounded.
fn read_source(path: &str) -> Result<Vec<u8>, crate::regular_file::FileError> {
    use crate::regular_file::{self, Links, MAX_SOURCE_BYTES};
    regular_file::read(Utf8Path::new(path), Links::Follow, MAX_SOURCE_BYTES)
}

/// The prompt and script versions the rest of a run is written with.
pub struct Versions {
    /// The prompt's registry record (the new one once [`Versions::record`] ran).
    pub record: PromptRecord,
    pub prompt: Prompt,
    pub script: Option<ScriptSource>,
    /// Files changed since the run started, as `path (old -> new)` (sha prefixes).
    pub changes: Vec<String>,
    /// The changed prompt's bytes, to register.
    new_prompt: Option<Vec<u8>>,
    script_changed: bool,
}

/// The versions a run recorded, or, when files changed and `allow_changed`,
/// the files as they are now (refused otherwise).
pub fn versions(
    registry: &Registry,
    run: &RunRecord,
    allow_changed: bool,
) -> Result<Versions, ResumeError> {
    let c = &run.config;
    let missing = |what| ResumeError::Missing {
        registry: registry.path().to_string(),
        what,
    };
    let record = registry
        .prompt(&c.prompt_id)?
        .ok_or_else(|| missing("prompt"))?;
    let source = registry
        .prompt_source(&c.prompt_sha256)?
        .ok_or_else(|| missing("prompt text"))?;
    let recorded = prompt::parse(Utf8Path::new(&record.path), &source)?;
    // The sha256 a recorded file has now, when it differs.
    let changed = |path: &str, sha: &str| {
        read_source(path)
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
    if !changes.is_empty() && !allow_changed {
        return Err(ResumeError::Changed {
            changes: changes.join(" and "),
            run_id: run.run_id.clone(),
        });
    }
    let (prompt, new_prompt) = match &prompt_now {
        Some(_) => {
            let path = Utf8Path::new(&record.path);
            let bytes = read_source(path.as_str()).map_err(|e| ResumeError::Io {
                path: record.path.clone(),
                message: format!("cannot read the prompt: {}", e.reason()),
            })?;
            let now = prompt::parse(path, &bytes)?;
            if now.name != recorded.name {
                return Err(ResumeError::Renamed {
                    path: record.path.clone(),
                    now: now.name,
                    was: recorded.name,
                    run_id: run.run_id.clone(),
                });
            }
            crate::plan::check_mode(&now, &c.scenario_mode).map_err(|e| ResumeError::Mode {
                run_id: run.run_id.clone(),
                source: e,
            })?;
            (now, Some(bytes))
        }
        None => (recorded, None),
    };
    let script = match &c.script {
        Some(s) if script_now.is_some() => {
            Some(crate::script_file::read(Utf8Path::new(&s.path)).map_err(ResumeError::Script)?)
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
    Ok(Versions {
        record,
        prompt,
        script,
        changes,
        new_prompt,
        script_changed: script_now.is_some(),
    })
}

impl Versions {
    /// Registers the changed files' versions and moves the run's `pending`
    /// batches to them; the run keeps both versions in its lineage. Nothing
    /// happens when nothing changed.
    pub fn record(
        &mut self,
        registry: &Registry,
        run_id: &str,
        pending: &[BatchRecord],
        factory: Option<&ScriptFactory>,
    ) -> Result<(), RegistryError> {
        if self.changes.is_empty() {
            return Ok(());
        }
        if let Some(bytes) = &self.new_prompt {
            self.record = registry.register_prompt(&self.prompt, bytes)?;
        }
        if let Some(f) = factory.filter(|_| self.script_changed) {
            registry.register_script(f.source.path.as_str(), &f.source.sha256, &f.source.bytes)?;
        }
        let ids: Vec<String> = pending.iter().map(|b| b.batch_id.clone()).collect();
        let script = factory.map(|f| f.source.to_ref());
        registry.revise_run(run_id, &self.record, script, &ids)?;
        Ok(())
    }
}

/// Where a resumed run sends its requests.
pub struct Target {
    pub provider: Provider,
    /// The endpoints to use; none: where the environment points now.
    pub recorded: Vec<EndpointRecord>,
    /// The model to ask for (none: the deployment's name, for Azure).
    pub model: Option<String>,
    /// A line for the operator, when the choice needs saying.
    pub note: Option<String>,
}

/// Decides where a resumed run goes (SPEC §4): where it went, whatever the
/// environment says by now; a run recorded against one endpoint is refused
/// when the environment points to another, unless `--endpoint-from-env`.
pub fn target(run: &RunRecord, from_env: bool, file: &FileSettings) -> Result<Target, ResumeError> {
    let c = &run.config;
    let id = &run.run_id;
    let (provider, flavor) = match c.provider.as_str() {
        "azure" => (Provider::Azure, Some(Flavor::Azure)),
        "openai" => (Provider::Openai, Some(Flavor::OpenAi)),
        "mock" => (Provider::Mock, None),
        // Several endpoints of different providers.
        _ if !c.endpoints.is_empty() => (Provider::Auto, None),
        _ => (Provider::Mock, None),
    };
    let recorded = |note: Option<String>| Target {
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
    let moved = |note: String| Target {
        provider,
        recorded: Vec::new(),
        model: Some(c.model.clone()).filter(|_| !after_deployment),
        note: Some(note),
    };
    if provider == Provider::Mock {
        // Nothing was sent anywhere; nothing will be.
        return Ok(recorded(from_env.then(|| {
            format!("{id} was made with the mock: it resumes with the mock (--endpoint-from-env does not apply)")
        })));
    }
    let env = |k: &str| file.endpoint(k);
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
                Err(ResumeError::Elsewhere(format!(
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
    let here = Target {
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
            Err(ResumeError::Elsewhere(format!(
                "{id} was made against {was} (it recorded only the host) but {points}; set {vars} to that server to resume there, or pass --endpoint-from-env to send the rest to {url}"
            )))
        }
    }
}
