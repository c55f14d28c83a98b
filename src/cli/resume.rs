//! `convgen resume`: finish an interrupted or failed run where it went.

use super::*;

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
            crate::generate::check_mode(&now, &c.scenario_mode)
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
    } = choose(
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
pub(super) struct ResumeTarget {
    pub(super) provider: Provider,
    /// The endpoints to use; none: where the environment points now.
    pub(super) recorded: Vec<EndpointRecord>,
    /// The model to ask for (none: the deployment's name, for Azure).
    pub(super) model: Option<String>,
    /// A line for the operator, when the choice needs saying.
    pub(super) note: Option<String>,
}

/// Decides where a resumed run goes (SPEC §4): where it went, whatever the
/// environment says by now; a run recorded against one endpoint is refused
/// when the environment points to another, unless `--endpoint-from-env`.
pub(super) fn resume_target(run: &RunRecord, from_env: bool) -> Result<ResumeTarget, Error> {
    use crate::llm::http::{EnvEndpoint, Flavor, host_of};
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
    if provider == Provider::Mock {
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
