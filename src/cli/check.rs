//! `convgen check`: lint prompts and their scripts; the pre-run refusal `generate` shares.

use camino::Utf8Path;
use clap::Args;

use crate::cli::Arc;
use crate::cli::inputs::{load_script, prompt_files, resolve_prompt};
use crate::cli::options::GlobalArgs;
use crate::cli::output::{Dirs, user_command};
use crate::conversation::ScenarioMode;
use crate::error::{EXIT_ERROR, EXIT_OK, Error};
use crate::prompt;
use crate::prompt::Prompt;
use crate::script::ScriptFactory;
use crate::script::sandbox::LogSink;

#[derive(Debug, Args)]
pub(super) struct CheckArgs {
    /// Prompt names or paths (default: every .md in the prompts dir).
    pub(super) prompts: Vec<String>,
}

/// Refuses a run (or a preview) on every problem `convgen check` would report.
pub(super) fn refuse_problems(
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

pub(super) fn cmd_check(g: &GlobalArgs, args: CheckArgs) -> Result<i32, Error> {
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
    // console colours stdout only on a terminal, and honours NO_COLOR and CLICOLOR.
    use dialoguer::console::style;
    let (ok_mark, bad_mark, warn_mark) = (
        style("ok").green().to_string(),
        style("error").red().to_string(),
        style("warning").yellow().to_string(),
    );
    let mut bad = 0;
    for file in &files {
        let problems = match check_one(g, file) {
            Ok(report) => {
                println!("{ok_mark}  {file}: {}", report.summary);
                for w in &report.warnings {
                    println!("    {warn_mark}: {}", crate::escape::block(w));
                }
                report.errors
            }
            Err(e) => vec![e.to_string()],
        };
        if !problems.is_empty() {
            bad += 1;
            for p in problems {
                println!("{bad_mark} {}", crate::escape::block(&p));
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
pub(super) struct CheckReport {
    pub(super) summary: String,
    pub(super) errors: Vec<String>,
    pub(super) warnings: Vec<String>,
}

/// Lints one prompt and its script, and runs every hook on sample conversations.
pub(super) fn check_one(g: &GlobalArgs, file: &Utf8Path) -> Result<CheckReport, Error> {
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
    let log: Arc<dyn LogSink> = Arc::new(crate::runlog::StderrLog);
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
