//! Pre-run checks: every problem `convgen check` reports about a prompt and
//! its script, which `generate` and `preview` refuse on before anything is
//! sent or written.
//!
//! The static part reads the prompt: placeholders nothing can fill, and `{{`
//! that opens no placeholder. The dynamic part makes one sample mock
//! conversation per scenario (and a few chosen by `select_scenario`) through
//! every hook. Problems are gathered rather than stopped at, so that one round
//! of fixes can address them all, and a problem seen on several samples is
//! said once.

use std::collections::BTreeMap;

use crate::conversation::{ScenarioMode, Status};
use crate::generate::{self, GenerateError, Sample};
use crate::llm::MockGenerator;
use crate::prompt::Prompt;
use crate::script::ScriptFactory;

/// Samples drawn through `select_scenario`, besides one per scenario.
const SCRIPT_SAMPLES: usize = 5;

/// What the checks found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Findings {
    /// Problems that stop a run.
    pub errors: Vec<String>,
    /// Things worth a look that do not stop a run.
    pub warnings: Vec<String>,
}

impl Findings {
    fn error(&mut self, e: String) {
        if !self.errors.contains(&e) {
            self.errors.push(e);
        }
    }
}

/// Checks a prompt and its script for a run in `mode` (`None`: every way a
/// run could go, as `convgen check` does).
pub fn check(
    prompt: &Prompt,
    factory: Option<&ScriptFactory>,
    mode: Option<&ScenarioMode>,
) -> Findings {
    let mut found = Findings::default();
    if let Some(note) = crate::llm::mock::fallback_note(&prompt.language) {
        found.warnings.push(format!("{}: {note}", prompt.path));
    }
    for (line, snippet) in &prompt.malformed {
        found.error(generate::malformed_issue(prompt, *line, snippet));
    }
    if let Some(mode) = mode
        && let Err(e) = crate::plan::check_mode(prompt, mode)
    {
        found.error(e.to_string());
        return found;
    }
    let fills = factory.is_some_and(|f| f.has("variables"));
    if !fills && !prompt.placeholder_lines.is_empty() {
        let list = prompt
            .placeholder_lines
            .iter()
            .map(|(name, line)| format!("{{{{{name}}}}} (line {line})"))
            .collect::<Vec<_>>()
            .join(", ");
        let fix = match factory {
            Some(f) => format!("add a `variables` hook to {}", f.source.path),
            None => format!(
                "add a script with a `variables` hook (scripts/{}.lua)",
                prompt.path.file_stem().unwrap_or(&prompt.name)
            ),
        };
        found.error(format!(
            "{}: uses {list}, but nothing fills them: {fix}",
            prompt.path
        ));
    }
    if let Some(f) = factory {
        samples(prompt, f, mode, &mut found);
    }
    found
}

/// Runs every hook on sample conversations; gathers what goes wrong.
fn samples(
    prompt: &Prompt,
    factory: &ScriptFactory,
    mode: Option<&ScenarioMode>,
    found: &mut Findings,
) {
    let mut host = match factory.load_host() {
        Ok(h) => h,
        Err(e) => {
            found.error(e);
            return;
        }
    };
    let mut modes: Vec<ScenarioMode> = match mode {
        Some(ScenarioMode::Fixed(id)) => vec![ScenarioMode::Fixed(id.clone())],
        _ => prompt
            .scenarios
            .iter()
            .map(|s| ScenarioMode::Fixed(s.id.clone()))
            .collect(),
    };
    let by_script = matches!(mode, None | Some(ScenarioMode::Script));
    if by_script && factory.has("select_scenario") {
        modes.extend(std::iter::repeat_n(ScenarioMode::Script, SCRIPT_SAMPLES));
    }
    // Placeholder (or leftover) -> the scenarios whose samples leave it.
    let mut unfilled: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut leftover: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // (hook, message), the script, and how many more samples hit it.
    let mut hook_errors: Vec<((String, String), String, usize)> = Vec::new();
    for (i, mode) in modes.into_iter().enumerate() {
        let sample = Sample {
            prompt,
            script: Some(factory.source.to_ref()),
            mode,
            seed: 1,
            start: prompt
                .start
                .unwrap_or_else(|| crate::plan::default_start(1)),
            generator: &MockGenerator,
            max_attempts: 1,
        };
        let conv = match sample.make(i as u64 + 1, &mut host) {
            Ok(conv) => conv,
            Err(GenerateError::Hook(e)) => {
                let key = (e.hook.to_string(), e.message.clone());
                match hook_errors.iter_mut().find(|(k, _, _)| *k == key) {
                    Some((_, _, more)) => *more += 1,
                    None => hook_errors.push((key, e.script.clone(), 0)),
                }
                continue;
            }
            Err(e) => {
                found.error(e.to_string());
                continue;
            }
        };
        let Some(scenario) = prompt.scenario(&conv.scenario.id) else {
            continue;
        };
        for issue in crate::vartype::type_issues(&prompt.variables, &conv.variables) {
            found.error(format!("{}: {issue}", factory.source.path));
        }
        let filled = generate::fill_for_model(prompt, scenario, &conv.variables);
        for name in filled.missing {
            let list = unfilled.entry(name).or_default();
            if !list.contains(&scenario.id) {
                list.push(scenario.id.clone());
            }
        }
        for snippet in filled.leftovers {
            if prompt.malformed.iter().any(|(_, s)| *s == snippet) {
                continue; // said once, with its line, above
            }
            let list = leftover.entry(snippet).or_default();
            if !list.contains(&scenario.id) {
                list.push(scenario.id.clone());
            }
        }
        if conv.status == Status::Failed && conv.attempts > 0 {
            found.warnings.push(format!(
                "a sample mock conversation of `{}` fails validation: {}",
                conv.scenario.id,
                conv.issues.join("; ")
            ));
        }
    }
    for ((hook, message), script, more) in hook_errors {
        let on = match more {
            0 => "a sample conversation".to_string(),
            n => format!("{} sample conversations", n + 1),
        };
        found.error(format!("{script}: hook `{hook}` failed on {on}: {message}"));
    }
    let ticks = |ids: &[String]| {
        ids.iter()
            .map(|id| format!("`{id}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if factory.has("variables") {
        for (name, scenarios) in unfilled {
            let place = prompt.placeholder_lines.get(&name).map_or_else(
                || prompt.path.to_string(),
                |l| format!("{}:{l}", prompt.path),
            );
            found.error(format!(
                "{}: the variables hook returns no `{name}` for scenario {}, which {place} uses as {{{{{name}}}}}",
                factory.source.path,
                ticks(&scenarios)
            ));
        }
    }
    for (snippet, scenarios) in leftover {
        found.error(format!(
            "{}: a value the variables hook returns leaves `{snippet}` in the text for the model (scenario {})",
            factory.source.path,
            ticks(&scenarios)
        ));
    }
}
