//! The operator menu's wiring: choose, confirm, then `generate` (or `ingest`).

use clap::FromArgMatches;

use crate::cli::generate::{GenerateArgs, cmd_generate};
use crate::cli::ingest::{DEFAULT_BATCH_SIZE, IngestArgs, Planned, held_line, ingest_all, plans};
use crate::cli::inputs::{load_script, prompt_files};
use crate::cli::options::GlobalArgs;
use crate::cli::provider::select_generator;
use crate::cli::{Arc, Cli, Command, command_with_file, file_settings};
use crate::conversation::ScenarioMode;
use crate::error::{EXIT_OK, Error};
use crate::menu::Action;
use crate::menu::ingest::{IngestChoice, IngestPreview};
use crate::plan::ModeChoice;
use crate::prompt;
use crate::script::sandbox::LogSink;

/// The operator menu: choose, confirm, then run `generate` with the choice.
pub(super) fn cmd_menu(g: &GlobalArgs) -> Result<i32, Error> {
    let mut entries = Vec::new();
    for path in prompt_files(&g.prompts_dir)? {
        let log: Arc<dyn LogSink> = Arc::new(crate::runlog::StderrLog);
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
    // What `generate` would use with no flags (environment, convgen.toml,
    // built-in defaults), read once; the operator's choice is set on it.
    let base = generate_defaults()?;
    let provider = select_generator(&base)?.note;
    match crate::menu::run(&entries, &provider, &Files(g)) {
        Ok(Action::Generate(choice)) => cmd_generate(g, with_choice(base, choice)),
        Ok(Action::Ingest(choice)) => {
            let (code, _) = ingest_all(g, &plans(g, &ingest_args(&choice))?)?;
            Ok(code)
        }
        Err(crate::menu::MenuExit::Cancelled) => {
            eprintln!("nothing generated or ingested");
            Ok(EXIT_OK)
        }
        Err(crate::menu::MenuExit::Terminal(e)) => Err(Error::Usage(format!("menu: {e}"))),
    }
}

/// `ingest`'s options for the menu's choice (the defaults for the rest).
fn ingest_args(choice: &IngestChoice) -> IngestArgs {
    IngestArgs {
        files: vec![choice.file.clone()],
        format: choice.format,
        columns: choice.columns.clone(),
        roles: choice.roles.clone(),
        name: None,
        batch_size: DEFAULT_BATCH_SIZE,
        again: false,
        json: false,
    }
}

/// Reads the file the menu's ingest names.
struct Files<'g>(&'g GlobalArgs);

impl IngestPreview for Files<'_> {
    fn header(&self, file: &camino::Utf8Path) -> Result<Vec<String>, String> {
        crate::ingest::source::csv_header(file).map_err(|e| e.to_string())
    }

    fn preview(&self, choice: &IngestChoice) -> Result<String, String> {
        let planned = plans(self.0, &ingest_args(choice)).map_err(|e| e.to_string())?;
        match planned.first() {
            Some(Planned::Fresh(plan, scan)) => {
                Ok(crate::ingest::preview::first_conversation(plan, scan))
            }
            Some(Planned::Held {
                recorded,
                sha256,
                batches,
                ..
            }) => Ok(held_line(recorded, sha256, batches)),
            None => Err(format!("{}: nothing to ingest", choice.file)),
        }
    }
}

/// `generate`'s options with nothing given on the command line.
fn generate_defaults() -> Result<GenerateArgs, Error> {
    let argv = ["convgen", "generate", "--prompt", "-", "--total", "1"];
    let matches = command_with_file(file_settings())
        .try_get_matches_from(argv)
        .map_err(|e| Error::Usage(format!("the settings cannot make a run: {e}")))?;
    match Cli::from_arg_matches(&matches)
        .map_err(|e| Error::Usage(e.to_string()))?
        .command
    {
        Some(Command::Generate(args)) => Ok(args),
        _ => Err(Error::Usage(
            "the menu could not read generate's defaults".into(),
        )),
    }
}

/// The operator's choice on `generate`'s defaults.
fn with_choice(mut args: GenerateArgs, choice: crate::menu::Choice) -> GenerateArgs {
    args.prompt = choice.prompt.to_string();
    args.total = choice.total;
    args.batch_size = Some(choice.batch_size);
    args.seed = choice.seed;
    (args.scenario, args.scenario_mode) = match choice.mode {
        ScenarioMode::Fixed(id) => (Some(id), None),
        ScenarioMode::Random => (None, Some(ModeChoice::Random)),
        ScenarioMode::Weighted => (None, Some(ModeChoice::Weighted)),
        ScenarioMode::Script => (None, Some(ModeChoice::Script)),
        // The menu's generate choices never hold it.
        ScenarioMode::Ingested => (None, None),
    };
    args
}
