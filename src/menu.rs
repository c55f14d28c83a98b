//! The operator menu: `convgen` with no arguments on a terminal (SPEC §8).
//!
//! It asks for what `generate` needs — prompt, scenario mode, total, batch
//! size, seed — shows the provider that will be used, and asks to confirm.
//! Beside the prompts it offers to ingest a file instead ([`ingest`]).
//! Nothing is written before the confirmation; Esc at a choice leaves.

use camino::Utf8PathBuf;
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, Input, Select};

use crate::conversation::ScenarioMode;
use crate::prompt::Prompt;

pub mod ingest;

use ingest::{IngestChoice, IngestPreview};

/// The menu's last entry, below the prompts.
pub const INGEST_ENTRY: &str = "Ingest a file (CSV or JSONL) instead of generating";

/// What the operator asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Generate(Choice),
    Ingest(IngestChoice),
}

/// A prompt as the menu lists it.
pub struct PromptEntry {
    pub path: Utf8PathBuf,
    /// The parsed prompt, or why it cannot be used.
    pub prompt: Result<Prompt, String>,
    /// The paired script, and whether it defines `select_scenario`.
    pub script: Option<(String, bool)>,
}

/// What the operator chose.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub prompt: Utf8PathBuf,
    pub mode: ScenarioMode,
    pub total: u64,
    pub batch_size: u64,
    pub seed: Option<u64>,
}

/// Why the menu ended without a choice.
#[derive(Debug)]
pub enum MenuExit {
    /// The operator left (Esc, or declined to confirm).
    Cancelled,
    /// The terminal failed.
    Terminal(String),
}

fn term(e: dialoguer::Error) -> MenuExit {
    match e {
        // Ctrl-C while a question waits for a key: the read is interrupted
        // by the signal the watcher thread answers; leave the same way.
        dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => {
            crate::interrupt::leave_menu()
        }
        e => MenuExit::Terminal(e.to_string()),
    }
}

/// One line of the prompt list.
pub fn describe(entry: &PromptEntry) -> String {
    match &entry.prompt {
        Ok(p) => format!(
            "{} — {} ({} scenarios, {})",
            p.name,
            p.title,
            p.scenarios.len(),
            match &entry.script {
                Some((path, _)) => format!("script {path}"),
                None => "no script".to_string(),
            }
        ),
        Err(e) => format!("{} — cannot be used: {e}", entry.path),
    }
}

/// Checks a typed count: a whole number from `lo` to `hi`.
pub fn parse_count(text: &str, what: &str, lo: u64, hi: u64) -> Result<u64, String> {
    match text.trim().parse::<i128>() {
        Ok(n) if n >= lo as i128 && n <= hi as i128 => Ok(n as u64),
        Ok(n) => Err(format!("{what} must be from {lo} to {hi}; {n} is not")),
        Err(_) => Err(format!("{what} must be a whole number, like {lo}")),
    }
}

/// Shows the terminal's cursor again however the menu ends: dialoguer hides
/// it while a list is open, and an error or Ctrl-C would leave it hidden.
struct CursorGuard;

impl CursorGuard {
    fn new() -> Self {
        crate::interrupt::leave_menu_on_ctrl_c();
        CursorGuard
    }
}

impl Drop for CursorGuard {
    fn drop(&mut self) {
        let _ = dialoguer::console::Term::stderr().show_cursor();
        crate::interrupt::leave_on_ctrl_c();
    }
}

/// Runs the menu; `provider` says which provider will be used, `files`
/// reads the file an ingest names.
pub fn run(
    entries: &[PromptEntry],
    provider: &str,
    files: &dyn IngestPreview,
) -> Result<Action, MenuExit> {
    let _cursor = CursorGuard::new();
    let colorful = ColorfulTheme::default();
    let simple = SimpleTheme;
    let theme: &dyn Theme = if std::env::var_os("NO_COLOR").is_some() {
        &simple
    } else {
        &colorful
    };
    choose(theme, entries, provider, files)
}

/// Asks every question in turn.
fn choose(
    theme: &dyn Theme,
    entries: &[PromptEntry],
    provider: &str,
    files: &dyn IngestPreview,
) -> Result<Action, MenuExit> {
    let mut items: Vec<String> = entries.iter().map(describe).collect();
    items.push(INGEST_ENTRY.to_string());
    let (path, prompt, script_selects) = loop {
        let Some(i) = Select::with_theme(theme)
            .with_prompt("Prompt")
            .items(&items)
            .default(0)
            .interact_opt()
            .map_err(term)?
        else {
            return Err(MenuExit::Cancelled);
        };
        if i == entries.len() {
            return ingest::choose(theme, files).map(Action::Ingest);
        }
        match &entries[i].prompt {
            Ok(p) => {
                break (
                    entries[i].path.clone(),
                    p,
                    entries[i].script.as_ref().is_some_and(|s| s.1),
                );
            }
            Err(e) => eprintln!(
                "That prompt cannot be used: {}",
                crate::escape::block(&e.to_string())
            ),
        }
    };

    let mut modes = vec![
        ("weighted — at random, by the catalog's weights", "weighted"),
        ("random — uniformly at random", "random"),
        ("fixed — every conversation gets one scenario", "fixed"),
    ];
    if script_selects {
        modes.insert(
            0,
            ("script — the script's select_scenario decides", "script"),
        );
    }
    let labels: Vec<&str> = modes.iter().map(|m| m.0).collect();
    let Some(m) = Select::with_theme(theme)
        .with_prompt("Scenario mode")
        .items(&labels)
        .default(0)
        .interact_opt()
        .map_err(term)?
    else {
        return Err(MenuExit::Cancelled);
    };
    let mode = match modes[m].1 {
        "script" => ScenarioMode::Script,
        "random" => ScenarioMode::Random,
        "weighted" => ScenarioMode::Weighted,
        _ => {
            let scenarios: Vec<String> = prompt
                .scenarios
                .iter()
                .map(|s| format!("{}: {} (weight {})", s.id, s.title, s.weight))
                .collect();
            let Some(s) = Select::with_theme(theme)
                .with_prompt("Scenario")
                .items(&scenarios)
                .default(0)
                .interact_opt()
                .map_err(term)?
            else {
                return Err(MenuExit::Cancelled);
            };
            ScenarioMode::Fixed(prompt.scenarios[s].id.clone())
        }
    };

    let total_text: String = Input::with_theme(theme)
        .with_prompt("How many conversations")
        .default("100".to_string())
        .validate_with(|t: &String| parse_count(t, "the total", 1, 10_000_000).map(|_| ()))
        .interact_text()
        .map_err(term)?;
    let total = parse_count(&total_text, "the total", 1, 10_000_000).map_err(MenuExit::Terminal)?;
    let batch_text: String = Input::with_theme(theme)
        .with_prompt("Conversations per batch")
        .default(total.min(100).to_string())
        .validate_with(move |t: &String| {
            parse_count(t, "the batch size", 1, total.min(9_999)).map(|_| ())
        })
        .interact_text()
        .map_err(term)?;
    let batch_size = parse_count(&batch_text, "the batch size", 1, total.min(9_999))
        .map_err(MenuExit::Terminal)?;
    let seed_text: String = Input::with_theme(theme)
        .with_prompt("Seed (empty for a random one)")
        .allow_empty(true)
        .validate_with(|t: &String| {
            if t.trim().is_empty() {
                Ok(())
            } else {
                parse_count(t, "the seed", 0, crate::plan::SEED_MASK).map(|_| ())
            }
        })
        .interact_text()
        .map_err(term)?;
    let seed = match seed_text.trim() {
        "" => None,
        s => Some(
            parse_count(s, "the seed", 0, crate::plan::SEED_MASK).map_err(MenuExit::Terminal)?,
        ),
    };

    eprintln!("{provider}");
    let batches = total.div_ceil(batch_size);
    let confirmed = Confirm::with_theme(theme)
        .with_prompt(format!(
            "Generate {total} conversations of {} in {batches} batch(es)?",
            prompt.name
        ))
        .default(true)
        .interact_opt()
        .map_err(term)?;
    if confirmed != Some(true) {
        return Err(MenuExit::Cancelled);
    }
    Ok(Action::Generate(Choice {
        prompt: path,
        mode,
        total,
        batch_size,
        seed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_listed_with_their_script_or_their_error() {
        let text = "+++\nlanguage = \"es\"\nroles = [\"a\", \"b\"]\nturns = 2\ntitle = \"T\"\n+++\nx\n## Scenarios\n### s: S\nt\n";
        let prompt =
            crate::prompt::parse(camino::Utf8Path::new("prompts/p.md"), text.as_bytes()).unwrap();
        let ok = PromptEntry {
            path: "prompts/p.md".into(),
            prompt: Ok(prompt),
            script: Some(("scripts/p.lua".into(), true)),
        };
        assert_eq!(describe(&ok), "p — T (1 scenarios, script scripts/p.lua)");
        let bad = PromptEntry {
            path: "prompts/bad.md".into(),
            prompt: Err("prompts/bad.md:3: `turns` is 1".into()),
            script: None,
        };
        assert_eq!(
            describe(&bad),
            "prompts/bad.md — cannot be used: prompts/bad.md:3: `turns` is 1"
        );
    }

    #[test]
    fn counts_are_checked() {
        assert_eq!(parse_count(" 25 ", "the total", 1, 100), Ok(25));
        assert!(
            parse_count("0", "the total", 1, 100)
                .unwrap_err()
                .contains("from 1 to 100")
        );
        assert!(
            parse_count("-3", "the total", 1, 100)
                .unwrap_err()
                .contains("-3 is not")
        );
        assert!(
            parse_count("lots", "the total", 1, 100)
                .unwrap_err()
                .contains("whole number")
        );
        assert!(
            parse_count("101", "the batch size", 1, 100)
                .unwrap_err()
                .contains("the batch size")
        );
    }
}
