//! The operator menu's wiring: choose, confirm, then `generate`.

use super::*;

/// The operator menu: choose, confirm, then run `generate` with the choice.
pub(super) fn cmd_menu(g: &GlobalArgs) -> Result<i32, Error> {
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
