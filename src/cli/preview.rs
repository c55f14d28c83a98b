//! `convgen preview`: one conversation, or the request a model would get; nothing stored.

use std::io::Write;

use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::json;

use crate::artefact;
use crate::cli::check::refuse_problems;
use crate::cli::inputs::{load_prompt, load_script, resolve_prompt};
use crate::cli::options::GlobalArgs;
use crate::cli::output::print_json;
use crate::cli::{Arc, AtomicBool, file_settings};
use crate::conversation::Conversation;
use crate::error::{EXIT_FINDINGS, EXIT_OK, Error};
use crate::llm::MockGenerator;
use crate::llm::choose::{Choice, Provider, choose};
use crate::llm::governor::Quota;
use crate::prompt::Prompt;
use crate::script::sandbox::LogSink;

#[derive(Debug, Args)]
pub(super) struct PreviewArgs {
    /// Prompt name (in the prompts dir) or path to a .md file.
    #[arg(long, value_name = "NAME|PATH")]
    pub(super) prompt: String,
    /// The scenario to use (default: as the script or the weights choose).
    #[arg(long, value_name = "ID")]
    pub(super) scenario: Option<String>,
    /// Seed, below 2^53 (default: random).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=crate::plan::SEED_MASK))]
    pub(super) seed: Option<u64>,
    /// Print the conversation as JSON (with --request: the request body and where it would go).
    #[arg(long)]
    pub(super) json: bool,
    /// Print the request an LLM would be sent for this conversation (messages, model, reply format), not the conversation; no key is shown and nothing is sent.
    #[arg(long)]
    pub(super) request: bool,
    /// With --request: the provider whose request to show.
    #[arg(long, value_enum, default_value = "auto", env = "CONVGEN_PROVIDER")]
    pub(super) provider: Provider,
    /// With --request: the model name (OpenAI-compatible servers).
    #[arg(long, env = "CONVGEN_MODEL")]
    pub(super) model: Option<String>,
}

pub(super) fn cmd_preview(g: &GlobalArgs, args: PreviewArgs) -> Result<i32, Error> {
    let path = resolve_prompt(g, &args.prompt)?;
    let (prompt, _) = load_prompt(&path)?;
    let log: Arc<dyn LogSink> = Arc::new(crate::runlog::StderrLog);
    let factory = load_script(g, &prompt, log)?;
    let has_select = factory.as_ref().is_some_and(|f| f.has("select_scenario"));
    let mode = crate::plan::scenario_mode(&prompt, args.scenario.as_deref(), None, has_select)?;
    refuse_problems(g, &prompt, factory.as_ref(), &mode)?;
    let seed = args.seed.unwrap_or_else(crate::plan::random_seed);
    let mut hooks: Box<dyn crate::hooks::Hooks> = match &factory {
        Some(f) => Box::new(f.load_host().map_err(Error::Script)?),
        None => Box::new(crate::hooks::NoScript),
    };
    let start = prompt
        .start
        .unwrap_or_else(|| crate::plan::default_start(seed));
    let sample = crate::generate::Sample {
        prompt: &prompt,
        script: factory.as_ref().map(|f| f.source.to_ref()),
        mode,
        seed,
        start,
        generator: &MockGenerator,
        max_attempts: 3,
    };
    let conv = sample.make(1, hooks.as_mut())?;
    if args.request {
        return print_request(&prompt, &conv, start, &args);
    }
    let note = crate::llm::mock::fallback_note(&prompt.language).map(|n| format!("note: {n}"));
    if args.json {
        if let Some(note) = &note {
            eprintln!("{note}");
        }
        print_json(&conv)?;
    } else {
        let mut text = String::new();
        artefact::render_conversation(&conv, &mut text);
        println!(
            "{} · seed {} · {} / {} · attempts {} · nothing stored",
            prompt.name, seed, conv.generator.provider, conv.generator.model, conv.attempts
        );
        if let Some(note) = &note {
            println!("{note}");
        }
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
pub(super) fn print_request(
    prompt: &Prompt,
    conv: &Conversation,
    fallback_start: DateTime<Utc>,
    args: &PreviewArgs,
) -> Result<i32, Error> {
    let scenario = prompt.scenario(&conv.scenario.id).ok_or_else(|| {
        Error::Usage(format!(
            "{}: no scenario `{}` in the catalog",
            prompt.path, conv.scenario.id
        ))
    })?;
    let filled = crate::generate::fill_for_model(prompt, scenario, &conv.variables);
    let stop = AtomicBool::new(false);
    // Providers are not told the start; the mock greets by it. The first
    // turn's time is the conversation's start to within its latency.
    let start = conv
        .turns
        .first()
        .and_then(|t| t.timestamp.as_deref())
        .and_then(|t| crate::prompt::parse_time(t).ok())
        .unwrap_or(fallback_start);
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
        start,
    };
    let chosen = choose(
        &Choice {
            provider: args.provider,
            model: args.model.clone(),
            timeout: 120.0,
            max_retries: 0,
            concurrency: 1,
            max_wait: std::time::Duration::from_secs(1),
            quota: Quota::default(),
            recorded: Vec::new(),
        },
        file_settings(),
    )?;
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
