//! The README's examples are true: every command of its "Using it" block and
//! of `generate --help` runs, in order, in a fresh project (issue 12).

use crate::common::{Env, repo};

/// The commands of the first ```sh block after `## Using it`, without comments.
fn using_it() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("\n## Using it")
        .nth(1)
        .expect("README has a `## Using it` section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("`## Using it` has a ```sh block");
    block
        .lines()
        .map(|l| l.split(" #").next().unwrap_or_default().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn issue12_every_command_of_the_readme_using_it_block_runs() {
    let env = Env::with_shipped_prompts();
    let commands = using_it();
    assert!(commands.len() >= 10, "{commands:?}");
    for cmd in &commands {
        assert!(cmd.starts_with("convgen "), "not a convgen command: {cmd}");
        let run = env.shell(cmd);
        // A fresh project with the mock: every run is clean, so even the
        // audits (which may exit 1 on real data) must exit 0 here.
        assert_eq!(
            run.code, 0,
            "README: `{cmd}` exits {}\nstdout:\n{}\nstderr:\n{}",
            run.code, run.stdout, run.stderr
        );
        if cmd.starts_with("convgen resume ") {
            assert!(
                run.stderr.contains("is complete: nothing to resume"),
                "`{cmd}`: {}",
                run.stderr
            );
        }
        if cmd.starts_with("convgen show ") || cmd.starts_with("convgen list ") {
            assert!(!run.stdout.trim().is_empty(), "`{cmd}` printed nothing");
        }
    }
}

#[test]
fn issue12_every_example_of_generate_help_runs() {
    let env = Env::with_shipped_prompts();
    let help = env.run(&["generate", "--help"]).expect(0).stdout.clone();
    let examples: Vec<&str> = help
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("convgen generate "))
        .collect();
    assert!(examples.len() >= 3, "{help}");
    for cmd in examples {
        let run = env.shell(cmd);
        assert_eq!(
            run.code, 0,
            "generate --help: `{cmd}` exits {}\n{}",
            run.code, run.stderr
        );
    }
}

#[test]
fn issue12_shipped_files_name_no_machine_path() {
    for file in ["scripts/convgen.lua", "README.md", ".luarc.json"] {
        let text = std::fs::read_to_string(repo().join(file)).unwrap_or_default();
        for needle in ["/work/", "/home/", "/Users/"] {
            assert!(!text.contains(needle), "{file} mentions {needle}");
        }
    }
}

#[test]
fn issue16_every_command_of_the_readme_ingest_block_runs() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let block = readme
        .split("\n## Ingesting real transcripts")
        .nth(1)
        .and_then(|s| s.split("```sh\n").nth(1))
        .and_then(|b| b.split("\n```").next())
        .expect("README has an ingest section with a ```sh block");
    let env = crate::common::Env::new();
    for name in ["calls.csv", "chats.jsonl"] {
        let bytes = std::fs::read(repo().join("examples").join(name)).unwrap();
        env.write(&format!("examples/{name}"), bytes);
    }
    let commands: Vec<&str> = block
        .lines()
        .map(|l| l.split(" #").next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert!(commands.len() >= 5, "{commands:?}");
    for cmd in commands {
        let run = env.shell(cmd);
        assert_eq!(
            run.code, 0,
            "README: `{cmd}` exits {}\n{}",
            run.code, run.stderr
        );
    }
    assert!(env.path().join("turns.csv").is_file());
    let again = env.shell("convgen ingest examples/calls.csv --format csv");
    assert!(
        again.stderr.contains("already ingested in calls-000001"),
        "{}",
        again.stderr
    );
}
