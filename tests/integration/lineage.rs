//! Prompt versions, runs, batches and conversations as the registry records them.

use crate::common::{Env, assert_has, each_str, files_under, read_json, small_prompt, words};

#[test]
fn an_edited_prompt_is_a_second_version_and_old_batches_keep_the_first() {
    let env = Env::with_demo_prompt();
    env.generate("demo", 2, 2, 1, &[]);
    // Same content again: same prompt version.
    env.generate("demo", 2, 2, 1, &[]);
    let prompts = env.run_json(&["list", "prompts", "--json"]);
    assert_eq!(prompts.as_array().unwrap().len(), 1);

    env.write(
        "prompts/demo.md",
        small_prompt("", None).replace("Usted es un agente", "Usted es un agente amable"),
    );
    env.generate("demo", 2, 2, 1, &[]);
    let prompts = env.run_json(&["list", "prompts", "--json"]);
    let prompts = prompts.as_array().unwrap();
    assert_eq!(prompts.len(), 2);
    assert_eq!(prompts[0]["name"], "demo");
    assert_eq!(prompts[0]["revision"], 1);
    assert_eq!(prompts[1]["revision"], 2);
    assert_ne!(prompts[0]["sha256"], prompts[1]["sha256"]);
    assert_ne!(prompts[0]["prompt_id"], prompts[1]["prompt_id"]);

    let old = read_json(
        &env.data()
            .join("demo-000001/conversations/demo-000001-0001.json"),
    );
    let new = read_json(
        &env.data()
            .join("demo-000003/conversations/demo-000003-0001.json"),
    );
    assert_eq!(old["prompt"]["id"], prompts[0]["prompt_id"]);
    assert_eq!(old["prompt"]["revision"], 1);
    assert_eq!(new["prompt"]["id"], prompts[1]["prompt_id"]);
    assert_eq!(new["prompt"]["revision"], 2);
    // Old batches still audit clean against the version they were made with.
    env.run(&["audit", "--all"]).expect(0);
    let shown = env.run(&["show", "demo"]).expect(0).stdout.clone();
    assert!(
        shown.contains("revision 1") && shown.contains("revision 2"),
        "{shown}"
    );
}

#[test]
fn listings_filter_by_metadata() {
    let env = Env::with_demo_prompt();
    env.write(
        "prompts/other.md",
        small_prompt("", None).replace("title = \"Prueba\"", "title = \"Otra\""),
    );
    let first = env.generate("demo", 4, 2, 1, &["--scenario", "billing"]);
    env.generate("other", 3, 3, 2, &["--scenario", "cancel"]);
    let run_id = first["run_id"].as_str().unwrap();

    let runs = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(runs.as_array().unwrap().len(), 2);
    assert_eq!(runs[0]["run_id"], run_id);
    assert_eq!(runs[0]["status"], "complete");
    assert_eq!(runs[0]["config"]["seed"], 1);

    let batches = env.run_json(&["list", "batches", "--prompt", "demo", "--json"]);
    let ids = each_str(&batches, "batch_id");
    assert_eq!(ids, vec!["demo-000001", "demo-000002"]);
    let by_run = env.run_json(&["list", "batches", "--run", run_id, "--json"]);
    assert_eq!(by_run.as_array().unwrap().len(), 2);
    let complete = env.run_json(&["list", "batches", "--status", "complete", "--json"]);
    assert_eq!(complete.as_array().unwrap().len(), 3);
    let none = env.run_json(&["list", "batches", "--until", "2000-01-01", "--json"]);
    assert!(none.as_array().unwrap().is_empty());
    let all = env.run_json(&["list", "batches", "--since", "2000-01-01", "--json"]);
    assert_eq!(all.as_array().unwrap().len(), 3);

    let convs = env.run_json(&["list", "conversations", "--batch", "demo-000002", "--json"]);
    let ids = each_str(&convs, "conversation_id");
    assert_eq!(ids, vec!["demo-000002-0001", "demo-000002-0002"]);
    let cancel = env.run_json(&["list", "conversations", "--scenario", "cancel", "--json"]);
    assert_eq!(cancel.as_array().unwrap().len(), 3);
    for c in cancel.as_array().unwrap() {
        assert_eq!(c["batch_id"], "other-000001");
        assert_eq!(c["status"], "valid");
    }
    let by_run = env.run_json(&["list", "conversations", "--run", run_id, "--json"]);
    assert_eq!(by_run.as_array().unwrap().len(), 4);

    let table = env.run(&["list", "batches"]).expect(0).stdout.clone();
    assert!(table.starts_with("BATCH_ID"), "{table}");
    assert_has(&table, "other-000001");

    env.run(&["list", "prompts", "--batch", "x"])
        .expect(2)
        .stderr_has("unexpected argument '--batch' found");
    env.run(&["list", "batches", "--status", "done"])
        .expect(2)
        .stderr_has("pending, complete, partial, failed");
}

#[test]
fn show_finds_runs_batches_conversations_and_prompts() {
    let env = Env::with_demo_prompt();
    env.generate("demo", 2, 2, 1, &[]);
    let run = env.run(&["show", "run-000001"]).expect(0).stdout.clone();
    assert!(
        run.contains("run run-000001 · complete") && run.contains("seed        1"),
        "{run}"
    );
    let batch = env.run(&["show", "demo-000001"]).expect(0).stdout.clone();
    assert_has(&batch, "demo-000001-0002");
    let conv = env
        .run(&["show", "demo-000001-0001"])
        .expect(0)
        .stdout
        .clone();
    assert!(conv.contains("[09:") || conv.contains("agent"), "{conv}");
    assert!(
        conv.contains("agent ") && conv.contains("client "),
        "{conv}"
    );
    let json = env.run_json(&["show", "demo-000001-0001", "--json"]);
    assert_eq!(json["conversation_id"], "demo-000001-0001");
    let missing = env.run(&["show", "nothing-here"]);
    missing.expect(2);
    assert!(
        missing
            .stderr
            .contains("`nothing-here` is not a run, batch, conversation or prompt")
    );
}

#[test]
fn data_dir_comes_from_flag_or_environment() {
    let env = Env::with_demo_prompt();
    env.run(&words(
        "--data-dir elsewhere generate --prompt demo --total 1",
    ))
    .expect(0);
    assert!(
        env.path()
            .join("elsewhere/demo-000001/batch.json")
            .is_file()
    );
    let v = env
        .run_with(
            &["list", "batches", "--json"],
            &[("CONVGEN_DATA_DIR", "elsewhere")],
        )
        .json();
    assert_eq!(v.as_array().unwrap().len(), 1);
    // Global flags go after the subcommand too.
    env.run(&words("generate --prompt demo --total 1 --data-dir third"))
        .expect(0);
    assert!(env.path().join("third/registry.redb").is_file());
    // A prompt by path, from another prompts dir.
    env.write("more/p.md", small_prompt("", None));
    env.run(&["generate", "--prompt", "more/p.md", "--total", "1"])
        .expect(0);
    env.run(&words("--prompts-dir more generate --prompt p --total 1"))
        .expect(0);
}

/// Issue 12: lineage recorded the script's absolute path, which leaked the
/// author's home or temp folder into every published dataset.
#[test]
fn issue12_prompt_and_script_paths_are_recorded_relative_to_the_working_dir() {
    let env = Env::with_demo_prompt();
    env.write("scripts/demo.lua", "return {}\n");
    // A script kept outside the working dir is recorded with `../` steps.
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("lua")).unwrap();
    std::fs::write(outside.path().join("lua/demo.lua"), "return {}\n").unwrap();
    let root = env.path().to_str().unwrap().to_string();
    let other = outside.path().to_str().unwrap().to_string();
    let prompts = format!("{root}/prompts");
    let scripts = format!("{root}/scripts");
    let by_path = format!("{root}/prompts/demo.md");
    let far = format!("{other}/lua");
    let runs = [
        [
            "--prompts-dir",
            prompts.as_str(),
            "--scripts-dir",
            scripts.as_str(),
            "--prompt",
            "demo",
        ],
        [
            "--prompts-dir",
            "prompts",
            "--scripts-dir",
            scripts.as_str(),
            "--prompt",
            by_path.as_str(),
        ],
        [
            "--prompts-dir",
            prompts.as_str(),
            "--scripts-dir",
            far.as_str(),
            "--prompt",
            "demo",
        ],
    ];
    for (i, flags) in runs.iter().enumerate() {
        let mut args = vec!["generate", "--total", "2", "--seed", "1", "--json"];
        args.extend_from_slice(flags);
        let v = env.run(&args).expect(0).json();
        let run_id = v["run_id"].as_str().unwrap().to_string();
        let show = env.run_json(&["show", &run_id, "--json"]);
        let expected_script = if i == 2 {
            let name = outside.path().file_name().unwrap().to_str().unwrap();
            format!("../{name}/lua/demo.lua")
        } else {
            "scripts/demo.lua".to_string()
        };
        assert_eq!(show["config"]["script"]["path"], expected_script.as_str());
        for b in v["batches"].as_array().unwrap() {
            let batch = read_json(
                &env.path()
                    .join(b["path"].as_str().unwrap())
                    .join("batch.json"),
            );
            assert_eq!(batch["script"]["path"], expected_script.as_str());
            assert_eq!(
                batch["conversations"][0]["script"]["path"],
                expected_script.as_str()
            );
        }
    }
    let prompts = env.run_json(&["list", "prompts", "--json"]);
    assert_eq!(prompts[0]["path"], "prompts/demo.md");
    // No artefact, record or listing holds either folder's absolute path.
    let mut texts: Vec<(String, String)> = files_under(&env.data())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "txt"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    for args in [
        vec!["show", "run-000001", "--json"],
        vec!["show", "run-000003", "--json"],
        vec!["list", "runs", "--json"],
        vec!["list", "prompts", "--json"],
        vec!["list", "scripts", "--json"],
        vec!["list", "batches", "--run", "run-000002", "--json"],
    ] {
        texts.push((args.join(" "), env.run(&args).expect(0).stdout.clone()));
    }
    let real_root = std::fs::canonicalize(env.path()).unwrap();
    let real_other = std::fs::canonicalize(outside.path()).unwrap();
    for (name, text) in texts {
        for folder in [
            &root,
            &other,
            &real_root.display().to_string(),
            &real_other.display().to_string(),
        ] {
            // `list batches` prints the batch folder under the (relative) data dir.
            assert!(
                !text.contains(folder.as_str()),
                "{name} holds {folder}:\n{text}"
            );
        }
    }
}
